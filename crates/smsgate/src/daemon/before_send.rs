//! What smsd does on a modem before each send, as configured per modem
//! (`daemon_config/modem_tasks.rs`):
//!
//! - `check-network` (smsd's `check_network`, 1 or 2): `AT+CREG?`; a
//!   modem that is not registered does not send (smsd waits for the
//!   registration; smsgate refuses the send, which is retried after
//!   `retry-interval-s` and counts against the modem like any refusal).
//!   An answer it cannot read does not stop the send, as smsd ignores a
//!   modem that does not support the check.

use modem::ModemHandle;

/// `Err` with the reason when the send must not go ahead.
pub(crate) async fn check_network(handle: &ModemHandle) -> Result<(), String> {
    let reply = match handle.at_chat("AT+CREG?", None).await {
        Ok(reply) => reply,
        Err(err) => return Err(format!("checking the registration: {err}")),
    };
    if !reply.result.is_success() {
        // smsd: "If a modem does not support network checking, checking
        // is automatically ignored."
        return Ok(());
    }
    match at::parse::creg(&reply.lines) {
        Ok(registration) if registration.status.is_registered() => Ok(()),
        Ok(_) => Err(format!(
            "not registered to the network ({}); not sent, tried again later",
            reply.lines.join(" ")
        )),
        Err(_) => Ok(()),
    }
}
