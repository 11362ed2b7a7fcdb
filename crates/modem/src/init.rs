//! Setting a modem up after the port is opened (and again after every
//! reopen), in this order:
//!
//! 1. the handshake: whatever the modem still sends (a late answer to a
//!    process killed mid-exchange) is thrown away until the line is
//!    quiet, and probes with the handshake timeout (RouterOS: 2 s) are
//!    sent until a clean `OK` answers one, four at most, and none more
//!    once both forms went unanswered: ESC then `AT`
//!    (ESC leaves a `> ` prompt an earlier program may have left open)
//!    and `AT` alone (for modems that ignore or refuse a line starting
//!    with ESC), a failed form never twice in a row (`handshake.rs`);
//! 2. `ATE0` (echo off) and `AT+CMEE=1` (numeric `+CME ERROR`s);
//! 3. `AT+CPIN?`, and the PIN if the SIM asks for it: once. A PIN the SIM
//!    rejects is never entered again, and none is entered when the SIM
//!    asks for its PUK: three wrong PINs block the SIM, ten wrong PUKs
//!    destroy it;
//! 4. network registration (`AT+CREG?`), waited for up to a bound; a modem
//!    still unregistered is used anyway, since reading messages and the
//!    status need no network;
//! 5. `AT+CMGF=0` (PDU mode), `AT+CPMS` (the storage), `AT+CNMI`
//!    (indications of new messages);
//! 6. `AT+CSCA="<smsc>"` when one is configured (as smsd does without
//!    `smsc_pdu`; a modem that refuses it keeps the SIM's SMSC, with a
//!    warning), then `AT+CSCA?` and the identities (IMEI, IMSI, ICCID), for the log;
//! 7. the custom init strings, last, so that they can change what smsgate
//!    set.
//!
//! [`Setup::Minimal`] stops after step 2 and runs the custom init strings:
//! `at-chat` must work whatever state the SIM is in.

use std::time::Duration;

use at::parse::{self, PinStatus};
use at::{Command, CommandError, FinalResult, Outcome};
use tokio::time::Instant;

use crate::actor::Actor;
use crate::config::Setup;
use crate::error::ModemError;
use crate::handshake::{Handshake, Next, Probe, ProbeResult};

/// ESC: leaves the `> ` prompt without sending anything.
const ESC: u8 = 0x1B;

/// How long the SIM may take to become ready after its PIN.
const SIM_READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How often to ask while waiting for the SIM or the network.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How many probes the handshake sends at most before a clean `OK`, to
/// a modem that answers with leftovers of an earlier exchange.
const HANDSHAKE_PROBES: usize = 4;

/// How long `AT+CPIN=...` may take: SIMs are slow to check a PIN.
const PIN_TIMEOUT: Duration = Duration::from_secs(10);

impl Actor {
    /// Sets the modem up; see the module docs.
    pub(crate) async fn initialise(&mut self) -> Result<(), ModemError> {
        self.handshake().await?;
        if self.config.echo_off {
            self.simple("ATE0").await?;
        }
        if let Err(err) = self.simple("AT+CMEE=1").await {
            tracing::warn!(target: "modem", "{}: errors stay unnumbered: {err}", self.port);
        }
        if self.config.setup == Setup::Minimal {
            return self.custom_init().await;
        }
        self.unlock_sim().await?;
        self.wait_for_registration().await?;
        self.simple("AT+CMGF=0").await?;
        let storage = self.config.sms_storage.code();
        self.simple(&format!("AT+CPMS=\"{storage}\",\"{storage}\",\"{storage}\""))
            .await?;
        if let Some(cnmi) = self.config.new_message_indications.clone() {
            if let Err(err) = self.simple(&format!("AT+CNMI={cnmi}")).await {
                tracing::warn!(target: "modem", "{}: no new-message indications: {err}", self.port);
            }
        }
        if let Some(smsc) = self.config.smsc.clone() {
            let number = match smsc.starts_with('+') || smsc.starts_with('0') {
                true => smsc,
                false => format!("+{smsc}"),
            };
            if let Err(err) = self.simple(&format!("AT+CSCA=\"{number}\"")).await {
                tracing::warn!(target: "modem", "{}: the SMSC stays the SIM's, {number} was refused: {err}", self.port);
            }
        }
        self.log_identity().await?;
        self.custom_init().await
    }

    /// Runs one command line and returns its information lines, or why
    /// it failed.
    pub(crate) async fn command(&mut self, command: Command) -> Result<Vec<String>, ModemError> {
        let completion = self.exec(command).await.map_err(|lost| self.port_lost(lost))?;
        completion
            .result()
            .map(<[String]>::to_vec)
            .map_err(|error| ModemError::Command {
                port: self.port.to_string(),
                error,
            })
    }

    /// [`Actor::command`] for a command line without data.
    pub(crate) async fn simple(&mut self, text: &str) -> Result<Vec<String>, ModemError> {
        self.command(Command::new(text)?).await
    }

    /// Reads an answer with `parser`, naming the command if it fails.
    pub(crate) fn parsed<T>(
        &self,
        command: &str,
        result: Result<T, parse::ParseError>,
    ) -> Result<T, ModemError> {
        result.map_err(|error| ModemError::Parse {
            port: self.port.to_string(),
            command: command.to_owned(),
            error: Box::new(error),
        })
    }

    /// Probes until one gets a clean `OK` (no other lines, nothing after
    /// it): a late answer of a process that died mid-exchange (`+CMGS: 7`,
    /// `OK`) that slipped past the first wait must not shift every later
    /// answer by one. [`Handshake`] picks each probe's form.
    async fn handshake(&mut self) -> Result<(), ModemError> {
        let mut handshake = Handshake::new(self.probe_that_worked, HANDSHAKE_PROBES);
        let mut first = true;
        loop {
            let probe = match handshake.next() {
                Next::Send(probe) => probe,
                Next::Done(probe) => {
                    self.probe_that_worked = probe;
                    return Ok(());
                }
                Next::Failed => {
                    return Err(ModemError::Handshake {
                        port: self.port.to_string(),
                        attempts: handshake.attempts(),
                    })
                }
            };
            let result = self.probe(probe, std::mem::take(&mut first)).await?;
            if result != ProbeResult::Clean {
                tracing::debug!(target: "modem", "{}: handshake {probe}: {result}", self.port);
            }
            handshake.record(probe, result);
        }
    }

    /// Sends one handshake probe (after throwing away what the modem still
    /// sends, the first time) and tells what it got.
    async fn probe(&mut self, probe: Probe, first: bool) -> Result<ProbeResult, ModemError> {
        if probe == Probe::EscapeThenAt {
            self.write_raw(&[ESC])
                .await
                .map_err(|lost| self.port_lost(lost))?;
        }
        if first || probe == Probe::EscapeThenAt {
            // Also what the modem answers to the ESC, at a prompt.
            self.discard_stale().await.map_err(|lost| self.port_lost(lost))?;
        }
        self.unclaimed.clear();
        let completion = self
            .exec(Command::new("AT")?.timeout(self.config.timeouts.handshake))
            .await
            .map_err(|lost| self.port_lost(lost))?;
        let result = match &completion.outcome {
            Outcome::Final(FinalResult::Ok) => {
                let clean = completion.result().is_ok_and(<[String]>::is_empty) && self.unclaimed.is_empty();
                // Whatever follows a clean OK is left over from before too.
                let late = self.discard_stale().await.map_err(|lost| self.port_lost(lost))?;
                if clean && late == 0 {
                    ProbeResult::Clean
                } else {
                    ProbeResult::Leftover
                }
            }
            Outcome::Final(result) => ProbeResult::Refused(result.to_string()),
            Outcome::TimedOut { .. } | Outcome::Cancelled => ProbeResult::NoAnswer,
        };
        Ok(result)
    }

    async fn unlock_sim(&mut self) -> Result<(), ModemError> {
        let status = self.pin_status().await?;
        match status {
            PinStatus::Ready => return Ok(()),
            PinStatus::SimPin => {}
            status if status.needs_puk() => {
                return Err(ModemError::PukRequired {
                    port: self.port.to_string(),
                    status,
                })
            }
            status => {
                return Err(ModemError::SimNotReady {
                    port: self.port.to_string(),
                    reason: format!("+CPIN: {status} (smsgate only enters the SIM PIN)"),
                })
            }
        }
        let Some(pin) = self.config.sim_pin.clone() else {
            return Err(ModemError::PinRequired {
                port: self.port.to_string(),
            });
        };
        if self.pin_rejected {
            return Err(ModemError::WrongPin {
                port: self.port.to_string(),
                result: "rejected earlier".to_owned(),
            });
        }
        if pin.is_empty() || !pin.bytes().all(|byte| byte.is_ascii_digit()) {
            // Refused before sending: a wrong PIN costs one of three tries.
            return Err(ModemError::SimNotReady {
                port: self.port.to_string(),
                reason: "sim-pin must be digits (not entered)".to_owned(),
            });
        }
        let command = Command::new(format!("AT+CPIN=\"{pin}\""))?.timeout(PIN_TIMEOUT);
        let completion = self.exec(command).await.map_err(|lost| {
            // The PIN may or may not have reached the SIM: never again.
            self.pin_rejected = true;
            self.port_lost(lost)
        })?;
        match &completion.outcome {
            Outcome::Final(result) if result.is_success() => {}
            Outcome::Final(result) => {
                self.pin_rejected = true;
                return Err(ModemError::WrongPin {
                    port: self.port.to_string(),
                    result: result.to_string(),
                });
            }
            Outcome::TimedOut { .. } | Outcome::Cancelled => {
                self.pin_rejected = true;
                return Err(ModemError::WrongPin {
                    port: self.port.to_string(),
                    result: "no answer in time, so it may or may not have been taken".to_owned(),
                });
            }
        }
        // Some SIMs need a moment after the PIN before they answer READY.
        let until = Instant::now() + SIM_READY_TIMEOUT;
        loop {
            let status = self.pin_status().await?;
            if status.is_ready() {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(ModemError::SimNotReady {
                    port: self.port.to_string(),
                    reason: format!(
                        "still +CPIN: {status} {} s after the PIN was taken",
                        SIM_READY_TIMEOUT.as_secs()
                    ),
                });
            }
            let next = Instant::now() + POLL_INTERVAL;
            self.pause_until(next)
                .await
                .map_err(|lost| self.port_lost(lost))?;
        }
    }

    async fn pin_status(&mut self) -> Result<PinStatus, ModemError> {
        match self.simple("AT+CPIN?").await {
            Ok(lines) => self.parsed("AT+CPIN?", parse::cpin(&lines)),
            Err(ModemError::Command {
                error: CommandError::Rejected { result, .. },
                ..
            }) => Err(ModemError::SimNotReady {
                port: self.port.to_string(),
                reason: format!("AT+CPIN? answered {result}"),
            }),
            Err(err) => Err(err),
        }
    }

    async fn wait_for_registration(&mut self) -> Result<(), ModemError> {
        let until = Instant::now() + self.config.timeouts.registration;
        loop {
            let registration = match self.simple("AT+CREG?").await {
                Ok(lines) => parse::creg(&lines).ok(),
                Err(err @ ModemError::PortLost { .. }) => return Err(err),
                Err(err) => {
                    tracing::warn!(target: "modem", "{}: cannot read the registration: {err}", self.port);
                    return Ok(());
                }
            };
            let status = registration.as_ref().map(|registration| registration.status);
            if status.is_some_and(|status| status.is_registered()) {
                return Ok(());
            }
            // 3: registration denied; waiting will not change it.
            if Instant::now() >= until || status.is_some_and(|status| status.0 == 3) {
                let shown = status.map_or_else(|| "unknown".to_owned(), |status| status.to_string());
                tracing::warn!(
                    target: "modem",
                    "{}: not registered to a network (+CREG status {shown}); sending will fail",
                    self.port
                );
                return Ok(());
            }
            let next = (Instant::now() + POLL_INTERVAL).min(until);
            self.pause_until(next)
                .await
                .map_err(|lost| self.port_lost(lost))?;
        }
    }

    async fn log_identity(&mut self) -> Result<(), ModemError> {
        let identity = self.identity().await?;
        tracing::info!(
            target: "modem",
            "{}: IMEI {}, IMSI {}, ICCID {}",
            self.port,
            identity.imei.as_deref().unwrap_or("?"),
            identity.imsi.as_deref().unwrap_or("?"),
            identity.iccid.as_deref().unwrap_or("?"),
        );
        Ok(())
    }

    async fn custom_init(&mut self) -> Result<(), ModemError> {
        for line in self.config.init.clone() {
            self.simple(&line).await?;
        }
        Ok(())
    }
}
