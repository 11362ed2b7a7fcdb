//! Incoming calls: hung up, and with `phonecalls` written to
//! `phonecalls/` and handed to the eventhandler (`CALL FILE`), as smsd
//! does for `hangup_incoming_call` and `phonecalls = clip`.
//!
//! smsd's rule (`put_command`, `handlephonecall_clip`): with `phonecalls
//! = clip` a call is handled at its `+CLIP` (hung up, then saved) and
//! `RING` alone does nothing; otherwise `RING` is hung up. A `+CLIP`
//! without a number (withheld) is hung up and saved with an empty
//! `From:`.

use std::ffi::OsString;
use std::path::PathBuf;

use at::Urc;
use modem::ModemEvent;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ChoreContext;
use crate::hooks::{self, Severity};
use crate::{clock, spool_dir};

/// See the module docs.
pub(super) struct CallChore {
    pub(super) context: ChoreContext,
    /// `phonecalls/`, when calls are saved.
    pub(super) phonecalls: Option<PathBuf>,
    /// Where the eventhandlers run.
    pub(super) handlers: TaskTracker,
    /// Subscribed when the modem was set up, before any call can ring.
    pub(super) events: tokio::sync::broadcast::Receiver<ModemEvent>,
}

/// What to do with an unsolicited code.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum CallAction {
    Ignore,
    HangUp,
    /// Hang up, then save the call from this number and type of address.
    HangUpAndSave {
        number: String,
        toa: u8,
    },
}

/// smsd's decision, pure.
pub(super) fn decide(urc: &Urc, save: bool) -> CallAction {
    match urc {
        Urc::Ring if !save => CallAction::HangUp,
        Urc::CallerId {
            number,
            type_of_address,
            ..
        } if save => CallAction::HangUpAndSave {
            number: number.clone(),
            toa: type_of_address.unwrap_or(129),
        },
        _ => CallAction::Ignore,
    }
}

impl CallChore {
    pub(super) async fn run(mut self, shutdown: CancellationToken) {
        if let Some(dir) = &self.phonecalls {
            if let Err(err) = spool_dir::create_dirs(dir, self.context.dir_mode) {
                tracing::error!(target: "smsgate", "modem {}: creating {}: {err}", self.context.modem, dir.display());
            }
        }
        loop {
            let event = tokio::select! {
                _ = shutdown.cancelled() => return,
                event = self.events.recv() => event,
            };
            let urc = match event {
                Ok(ModemEvent::Urc(urc)) => urc,
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            match decide(&urc, self.phonecalls.is_some()) {
                CallAction::Ignore => {}
                CallAction::HangUp => self.hang_up().await,
                CallAction::HangUpAndSave { number, toa } => {
                    self.hang_up().await;
                    self.save(&number, toa);
                }
            }
        }
    }

    async fn hang_up(&self) {
        let modem = &self.context.modem;
        tracing::info!(target: "smsgate", "modem {modem}: ending an incoming call");
        for command in ["AT+CHUP", "ATH"] {
            match self.context.handle.at_chat(command, None).await {
                Ok(reply) if reply.result.is_success() => return,
                Ok(reply) => {
                    tracing::warn!(target: "smsgate", "modem {modem}: {command}: {}", reply.result);
                }
                Err(err) => {
                    tracing::warn!(target: "smsgate", "modem {modem}: {command}: {err}");
                    return;
                }
            }
        }
    }

    fn save(&self, number: &str, toa: u8) {
        let Some(dir) = &self.phonecalls else {
            return;
        };
        let modem = &self.context.modem;
        let call = spool::Phonecall {
            number,
            toa,
            modem,
            imsi: self.context.identity.imsi.as_deref(),
            imei: self.context.identity.imei.as_deref(),
            received: clock::now(),
        };
        let name = (0..100u128)
            .map(|attempt| format!("{modem}.{}", unique_suffix(clock::unix_now_nanos() + attempt)))
            .find(|name| !dir.join(name).exists())
            .unwrap_or_else(|| format!("{modem}.{}", clock::unix_now_nanos()));
        match spool_dir::write_durably(
            dir,
            &name,
            &spool::render_phonecall(&call),
            self.context.file_mode,
        ) {
            Ok(path) => {
                tracing::info!(target: "smsgate", "modem {modem}: call from {number} written to {}", path.display());
                if let Some(program) = self.context.eventhandler.clone() {
                    let args = vec![OsString::from("CALL"), path.into_os_string()];
                    self.handlers.spawn(hooks::run_eventhandler(
                        program,
                        args,
                        self.context.handler_timeout,
                        self.context.alarms.clone(),
                        Some(modem.to_owned()),
                    ));
                }
            }
            Err(err) => {
                let text = format!("cannot write the call from {number} to {}: {err}", dir.display());
                tracing::error!(target: "smsgate", "modem {modem}: {text}");
                self.context.alarms.raise(Severity::Error, modem, &text);
            }
        }
    }
}

/// Six characters from `seed`, as smsd's `mkstemp` names them; the
/// caller skips a name that exists.
fn unique_suffix(seed: u128) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut value = seed;
    (0..6)
        .map(|_| {
            let ch = ALPHABET[(value % ALPHABET.len() as u128) as usize] as char;
            value /= ALPHABET.len() as u128;
            ch
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use at::Urc;

    use super::{decide, CallAction};

    fn clip(number: &str) -> Urc {
        Urc::CallerId {
            number: number.to_owned(),
            type_of_address: Some(145),
            alpha: None,
            validity: None,
        }
    }

    #[test]
    fn ring_is_hung_up_unless_calls_are_saved_at_their_clip() {
        assert_eq!(decide(&Urc::Ring, false), CallAction::HangUp);
        assert_eq!(decide(&Urc::Ring, true), CallAction::Ignore);
        assert_eq!(decide(&clip("+37120000000"), false), CallAction::Ignore);
        assert_eq!(
            decide(&clip("+37120000000"), true),
            CallAction::HangUpAndSave {
                number: "+37120000000".to_owned(),
                toa: 145
            }
        );
    }
}
