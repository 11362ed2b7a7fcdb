//! What `at-chat` prints after the final result: the unsolicited codes
//! that come in a short while after it, as the modem wrote them. A
//! command such as `AT+CUSD=1,"*245#",15` is answered `OK` at once and
//! its real answer, `+CUSD: ...`, follows; RouterOS logs it as
//! `gsm,info USSD: ...`, and so does smsgate (target `smsgate`, info), with
//! a decoded `USSD: ...` line printed after it.

use std::time::Duration;

use at::parse::UssdEncoding;
use at::Urc;
use modem::ModemEvent;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// How long `at-chat` waits after the final result unless told:
/// enough for what a modem says at once, short for a command that
/// triggers nothing.
pub const DEFAULT_WAIT: Duration = Duration::from_millis(500);

/// How long `at-chat` waits for the `+CUSD:` of a `AT+CUSD=1,...` unless
/// told; it stops as soon as the answer is there.
pub const DEFAULT_USSD_WAIT: Duration = Duration::from_secs(10);

/// Whether `line` starts a USSD session, whose answer comes afterwards.
pub fn starts_ussd(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    upper.contains("+CUSD=1") || upper.contains("+CUSD=\"")
}

/// The unsolicited codes on `events` until `wait` has passed; a `+CUSD`
/// ends the wait at once when `ussd` says one is awaited.
pub async fn collect(events: &mut broadcast::Receiver<ModemEvent>, wait: Duration, ussd: bool) -> Vec<Urc> {
    let deadline = Instant::now() + wait;
    let mut urcs = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(ModemEvent::Urc(urc))) => {
                let done = ussd && matches!(urc, Urc::Ussd(_));
                urcs.push(urc);
                if done {
                    return urcs;
                }
            }
            Ok(Ok(_) | Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => return urcs,
        }
    }
}

/// The lines `at-chat` prints for `urcs`: each as the modem wrote it, a
/// `+CUSD` followed by its decoded text (`USSD: ...`), which is also
/// logged at info level.
pub fn lines(port: &str, urcs: &[Urc]) -> Vec<String> {
    let mut lines = Vec::new();
    for urc in urcs {
        lines.extend(as_written(urc));
        if let Urc::Ussd(ussd) = urc {
            if let Some(Ok(decoded)) = ussd.decode(UssdEncoding::Auto).transpose() {
                tracing::info!(target: "smsgate", "{port}: USSD: {}", decoded.text);
                lines.push(format!("USSD: {}", decoded.text));
            }
        }
    }
    lines
}

/// The USSD text of the last `USSD: ...` line among `lines`, if any.
pub fn last_ussd(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .rev()
        .find_map(|line| line.strip_prefix("USSD: ").map(str::to_owned))
}

/// `urc` as the modem wrote it (two lines for `+CMT` and `+CDS`).
fn as_written(urc: &Urc) -> Vec<String> {
    let quoted = |text: &str| format!("\"{text}\"");
    match urc {
        Urc::MessageStored { storage, index } => vec![format!("+CMTI: {},{index}", quoted(storage))],
        Urc::StatusReportStored { storage, index } => vec![format!("+CDSI: {},{index}", quoted(storage))],
        Urc::MessageReceived { alpha, length, pdu } => vec![
            format!(
                "+CMT: {},{length}",
                alpha.as_deref().map(quoted).unwrap_or_default()
            ),
            sms_pdu::encode_hex(pdu),
        ],
        Urc::StatusReport { length, pdu } => vec![format!("+CDS: {length}"), sms_pdu::encode_hex(pdu)],
        Urc::Ussd(ussd) => {
            let mut line = format!("+CUSD: {}", ussd.status.0);
            if let Some(raw) = &ussd.raw {
                line.push(',');
                line.push_str(&quoted(raw));
                if let Some(dcs) = ussd.dcs {
                    line.push_str(&format!(",{dcs}"));
                }
            }
            vec![line]
        }
        Urc::Ring => vec!["RING".to_owned()],
        Urc::CallerId {
            number,
            type_of_address,
            ..
        } => vec![match type_of_address {
            Some(toa) => format!("+CLIP: {},{toa}", quoted(number)),
            None => format!("+CLIP: {}", quoted(number)),
        }],
        Urc::Registration { domain, registration } => {
            vec![format!("{} {}", domain.prefix(), registration.status.0)]
        }
        Urc::Vendor(line) | Urc::Unknown(line) => vec![line.clone()],
        // `Urc` may grow; a code this does not know is still shown.
        #[allow(unreachable_patterns)]
        other => vec![format!("{other:?}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_printed_as_written_and_ussd_decoded() {
        let ussd = at::parse::Ussd::parse_line("+CUSD: 0,\"EBB79B1E0685E9ECF4BADE9E03\",15").unwrap();
        let urcs = [
            Urc::Ussd(ussd),
            Urc::MessageStored {
                storage: "SM".to_owned(),
                index: 3,
            },
            Urc::Ring,
        ];
        assert_eq!(
            lines("/dev/x", &urcs),
            [
                "+CUSD: 0,\"EBB79B1E0685E9ECF4BADE9E03\",15",
                "USSD: konta atlikums",
                "+CMTI: \"SM\",3",
                "RING",
            ]
        );
        assert!(starts_ussd("AT+CUSD=1,\"*245#\",15"));
        assert!(!starts_ussd("AT+CUSD=2"));
        assert!(!starts_ussd("AT+CSQ"));
    }
}
