//! The operations of `/tool sms` as command sequences, run by the actor
//! one request at a time: a raw command, sending, listing, reading and
//! deleting stored messages, USSD.

use std::time::Duration;

use at::parse::{self, MessageReference, StoredMessage, UssdEncoding, UssdStatus};
use at::{Command, CommandError, FinalResult, Outcome, Phase, Urc};
use tokio::time::Instant;

use crate::actor::Actor;
use crate::error::ModemError;
use crate::inbox::{self, InboxMessage};
use crate::SmsStorage;

/// The engine's prompt timeout (smstools3's 10 s); a send's remaining
/// time can only shorten it.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer to a raw command (`at-chat`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtReply {
    /// The information lines, without echo and final result.
    pub lines: Vec<String>,
    /// The final result code (an error result is an answer too).
    pub result: FinalResult,
    /// Lines that came meanwhile and belonged neither to the command (by
    /// its expected prefix) nor to a known unsolicited code.
    pub unclaimed: Vec<String>,
}

/// The network's answer to a USSD request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UssdAnswer {
    /// `<m>`: 0 done, 1 the network waits for a reply, 2 ended by the
    /// network.
    pub status: UssdStatus,
    /// The decoded text, if the answer had one.
    pub text: Option<String>,
    /// The text as the modem sent it.
    pub raw: Option<String>,
    /// `<dcs>`, if given.
    pub dcs: Option<u8>,
    /// How `raw` was read.
    pub encoding: Option<UssdEncoding>,
}

impl Actor {
    pub(crate) async fn at_chat(
        &mut self,
        line: String,
        timeout: Option<Duration>,
    ) -> Result<AtReply, ModemError> {
        if takes_data(&line) {
            return Err(ModemError::InvalidCommand(at::InvalidCommand {
                text: line,
                reason: "the modem would wait for a PDU after the \"> \" prompt: use `smsgate send`",
            }));
        }
        let mut command = Command::new(line)?;
        if let Some(timeout) = timeout {
            command = command.timeout(timeout);
        }
        let completion = self.exec(command).await.map_err(|lost| self.port_lost(lost))?;
        match completion.outcome {
            Outcome::Final(result) => Ok(AtReply {
                lines: completion.lines,
                result,
                unclaimed: std::mem::take(&mut self.unclaimed),
            }),
            Outcome::TimedOut { phase, after } => Err(ModemError::Command {
                port: self.port.to_string(),
                error: CommandError::TimedOut {
                    command: completion.command,
                    phase,
                    after,
                },
            }),
            Outcome::Cancelled => Err(ModemError::Command {
                port: self.port.to_string(),
                error: CommandError::Cancelled {
                    command: completion.command,
                },
            }),
        }
    }

    /// Sends the PDUs (SMSC address first) one by one within the send
    /// timeout; stops at the first part that fails. Nothing is retried.
    pub(crate) async fn send(&mut self, pdus: Vec<Vec<u8>>) -> Result<Vec<MessageReference>, ModemError> {
        let deadline = Instant::now() + self.config.timeouts.send;
        let n_parts = pdus.len();
        let mut sent = Vec::with_capacity(n_parts);
        for (part_idx, pdu) in pdus.iter().enumerate() {
            let part = part_idx + 1;
            let not_sent = |sent: &[MessageReference], cause: ModemError| ModemError::SendFailed {
                part,
                n_parts,
                sent: sent.to_vec(),
                error: Box::new(cause),
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            let command = Command::send_pdu(pdu)?;
            if remaining.is_zero() {
                let error = CommandError::TimedOut {
                    command: command.text().to_owned(),
                    phase: Phase::Prompt,
                    after: self.config.timeouts.send,
                };
                return Err(not_sent(&sent, self.command_error(error)));
            }
            let command = command
                .prompt_timeout(PROMPT_TIMEOUT.min(remaining))
                .data_timeout(remaining);
            let completion = match self.exec(command).await {
                Ok(completion) => completion,
                Err(lost) if lost.data_sent == Some(true) => {
                    return Err(ModemError::SendOutcomeUnknown {
                        port: self.port.to_string(),
                        part,
                        n_parts,
                        sent,
                        reason: format!("{} went away ({})", self.port, lost.cause),
                    })
                }
                Err(lost) => return Err(not_sent(&sent, self.port_lost(lost))),
            };
            if let Outcome::TimedOut {
                phase: Phase::AfterData,
                after,
            } = completion.outcome
            {
                return Err(ModemError::SendOutcomeUnknown {
                    port: self.port.to_string(),
                    part,
                    n_parts,
                    sent,
                    reason: format!("no answer within {} s", after.as_secs_f32()),
                });
            }
            let lines = match completion.result() {
                Ok(lines) => lines,
                Err(error) => return Err(not_sent(&sent, self.command_error(error))),
            };
            match parse::cmgs(lines) {
                Ok(reference) => sent.push(reference),
                // The modem said OK, so the part went out; only its
                // reference is lost, and a status report cannot be matched.
                Err(error) => {
                    return Err(ModemError::SendOutcomeUnknown {
                        port: self.port.to_string(),
                        part,
                        n_parts,
                        sent,
                        reason: format!("the modem answered OK without a readable +CMGS ({error})"),
                    })
                }
            }
        }
        Ok(sent)
    }

    /// Lists every message in `storage` (the configured one if `None`),
    /// concatenated messages joined.
    pub(crate) async fn list(
        &mut self,
        storage: Option<SmsStorage>,
    ) -> Result<Vec<InboxMessage>, ModemError> {
        let configured = self.config.sms_storage;
        let switch = storage.filter(|&storage| storage != configured);
        if let Some(storage) = switch {
            self.simple(&format!("AT+CPMS=\"{}\"", storage.code())).await?;
        }
        let listed = self
            .command(Command::new("AT+CMGL=4")?.timeout(self.config.timeouts.list))
            .await;
        if switch.is_some() {
            // Back to the configured storage, which later reads and
            // deletes by index assume.
            self.simple(&format!("AT+CPMS=\"{}\"", configured.code())).await?;
        }
        let lines = listed?;
        let stored = self.parsed("AT+CMGL=4", parse::cmgl(&lines))?;
        Ok(inbox::assemble(stored))
    }

    pub(crate) async fn read(&mut self, index: u32) -> Result<Option<InboxMessage>, ModemError> {
        let command = format!("AT+CMGR={index}");
        let lines = match self.simple(&command).await {
            Ok(lines) => lines,
            // 321: invalid memory index, the usual answer for an empty slot.
            Err(err) if is_cms(&err, 321) => return Ok(None),
            Err(err) => return Err(err),
        };
        let stored = self.parsed(&command, parse::cmgr(index, &lines))?;
        Ok(stored.as_ref().map(inbox::single_message))
    }

    /// `AT+CMGL=4` in the configured storage, entries as they are.
    pub(crate) async fn list_stored(&mut self) -> Result<Vec<StoredMessage>, ModemError> {
        let lines = self
            .command(Command::new("AT+CMGL=4")?.timeout(self.config.timeouts.list))
            .await?;
        self.parsed("AT+CMGL=4", parse::cmgl(&lines))
    }

    /// `AT+CMGR=<index>`; `None` for an empty slot.
    pub(crate) async fn read_stored(&mut self, index: u32) -> Result<Option<StoredMessage>, ModemError> {
        let command = format!("AT+CMGR={index}");
        let lines = match self.simple(&command).await {
            Ok(lines) => lines,
            // 321: invalid memory index, the usual answer for an empty slot.
            Err(err) if is_cms(&err, 321) => return Ok(None),
            Err(err) => return Err(err),
        };
        self.parsed(&command, parse::cmgr(index, &lines))
    }

    pub(crate) async fn delete(&mut self, index: u32) -> Result<(), ModemError> {
        self.simple(&format!("AT+CMGD={index}")).await.map(|_| ())
    }

    /// `AT+CUSD=1,"<code>",15`, then the `+CUSD` answer.
    pub(crate) async fn ussd(&mut self, code: String) -> Result<UssdAnswer, ModemError> {
        let code = code.trim().to_owned();
        if code.is_empty() || code.contains('"') || code.chars().any(char::is_control) {
            return Err(ModemError::InvalidCommand(at::InvalidCommand {
                text: code,
                reason: "a USSD code is a non-empty string such as *100# without quotes",
            }));
        }
        let until = Instant::now() + self.config.timeouts.ussd;
        // Some modems answer OK only once the network has answered.
        let command = Command::new(format!("AT+CUSD=1,\"{code}\",15"))?.timeout(self.config.timeouts.ussd);
        self.command(command).await?;
        let found = self
            .wait_for_urc(until, |urc| match urc {
                Urc::Ussd(ussd) => Some(ussd.clone()),
                _ => None,
            })
            .await
            .map_err(|lost| self.port_lost(lost))?;
        let Some(ussd) = found else {
            // The network may still hold the session open, and a modem
            // with an open session refuses the next request: end it. Its
            // own answer does not change the outcome.
            if let Err(err) = self.simple("AT+CUSD=2").await {
                tracing::debug!(target: "modem", "{}: ending the USSD session: {err}", self.port);
            }
            return Err(ModemError::UssdTimeout {
                port: self.port.to_string(),
                code,
                after: self.config.timeouts.ussd,
            });
        };
        if matches!(ussd.status.0, 4 | 5) {
            return Err(ModemError::UssdRefused {
                port: self.port.to_string(),
                code,
                status: ussd.status,
            });
        }
        let decoded = self.parsed("+CUSD", ussd.decode(UssdEncoding::Auto))?;
        Ok(UssdAnswer {
            status: ussd.status,
            text: decoded.as_ref().map(|decoded| decoded.text.clone()),
            raw: ussd.raw,
            dcs: ussd.dcs,
            encoding: decoded.map(|decoded| decoded.encoding),
        })
    }

    fn command_error(&self, error: CommandError) -> ModemError {
        ModemError::Command {
            port: self.port.to_string(),
            error,
        }
    }
}

/// Whether the command line would make the modem wait for data after a
/// `> ` prompt (`AT+CMGS=23`; not the test form `AT+CMGS=?`).
fn takes_data(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    ["+CMGS=", "+CMGW=", "+CMGC="].iter().any(|name| {
        upper
            .match_indices(name)
            .any(|(at, _)| !upper[at + name.len()..].starts_with('?'))
    })
}

/// Whether `err` is `+CMS ERROR: <code>`.
fn is_cms(err: &ModemError, code: u16) -> bool {
    matches!(err.final_result(), Some(FinalResult::CmsError(error)) if error.code() == Some(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_that_wait_for_data() {
        assert!(takes_data("AT+CMGS=23"));
        assert!(takes_data("at+cmgw=5"));
        assert!(takes_data("AT+CMEE=1;+CMGS=23"));
        assert!(!takes_data("AT+CMGS=?"));
        assert!(!takes_data("AT+CMGL=4"));
    }
}
