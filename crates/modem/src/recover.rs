//! The actor's side of [`crate::recovery`]: it carries out the steps that
//! [`Recovery`] decides for a modem that stopped answering, and tells
//! subscribers each.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use at::Command;

use crate::actor::{Actor, ModemEvent, Request};
use crate::error::ModemError;
use crate::recovery::{Action, Recovery, Reopen, Reset};

impl Actor {
    /// Recovers a modem that stopped answering, step by step as
    /// [`Recovery`] decides, telling subscribers each step. Returns false
    /// when the actor should stop.
    pub(crate) async fn recover(
        &mut self,
        requests: &mut mpsc::Receiver<Request>,
        token: &CancellationToken,
    ) -> bool {
        let (mut recovery, mut plan) =
            Recovery::start(self.config.hang_recovery, self.reset_allowed, self.now());
        self.lost_cause = "the modem does not answer; recovering it".to_owned();
        loop {
            if let Some(step) = plan.report.take() {
                tracing::warn!(target: "modem", "{}: {step}", self.port);
                let _ = self.events.send(ModemEvent::Recovery(step));
            }
            plan = match plan.action {
                Action::Done => {
                    let _ = self.events.send(ModemEvent::Reconnected);
                    return true;
                }
                Action::Reopen => {
                    self.close();
                    // A set-up may take seconds; shutting down must not
                    // wait for it.
                    let connected = tokio::select! {
                        biased;
                        _ = token.cancelled() => return false,
                        connected = self.connect() => connected,
                    };
                    let outcome = match connected {
                        Ok(()) => Reopen::Ready,
                        Err(err) => {
                            tracing::debug!(target: "modem", "{}: reopening failed: {err}", self.port);
                            let silent = matches!(
                                err,
                                ModemError::Handshake { .. }
                                    | ModemError::Command {
                                        error: at::CommandError::TimedOut { .. },
                                        ..
                                    }
                            );
                            if silent {
                                self.lost_cause = format!("the modem does not answer ({err})");
                                Reopen::Silent
                            } else {
                                self.lost_cause = err.to_string();
                                Reopen::Failed
                            }
                        }
                    };
                    recovery.reopened(outcome, self.now())
                }
                Action::Reset => {
                    let outcome = tokio::select! {
                        biased;
                        _ = token.cancelled() => return false,
                        outcome = self.reset_modem() => outcome,
                    };
                    let plan = recovery.reset_done(outcome, self.now());
                    self.reset_allowed = recovery.reset_allowed();
                    plan
                }
                Action::WaitUntil(time) => {
                    if !self.wait_refusing(self.instant(time), requests, token).await {
                        return false;
                    }
                    recovery.waited(self.now())
                }
            };
        }
    }

    /// Sends `AT+CFUN=1,1` (a full reset), opening the port for it if it
    /// is closed, and closes the port: the modem reboots, and a USB
    /// modem's port may vanish meanwhile.
    async fn reset_modem(&mut self) -> Reset {
        if self.link.is_none() {
            if let Err(err) = self.open_port().await {
                tracing::debug!(target: "modem", "{}: cannot open the port to reset the modem: {err}", self.port);
                self.lost_cause = err.to_string();
                return Reset::NotSent;
            }
        }
        let command =
            Command::new("AT+CFUN=1,1").map(|command| command.timeout(self.config.timeouts.command));
        let outcome = match command {
            Err(_) => Reset::NotSent,
            Ok(command) => match self.exec(command).await {
                Ok(completion) => match completion.outcome {
                    at::Outcome::Final(result) if !result.is_success() => Reset::Refused(result.to_string()),
                    // OK, or silent: it may be rebooting either way.
                    _ => Reset::Sent,
                },
                // The port going away right after is what a reset looks
                // like on a USB modem.
                Err(_) => Reset::Sent,
            },
        };
        self.close();
        outcome
    }
}
