//! The network's task: it owns the [`Network`] and the log of what each
//! modem submitted, puts every parcel "on the air" for the configured air
//! time, hands it to the receiving modem's task, and retries what a full,
//! unreachable or busy modem could not take.

use std::collections::VecDeque;
use std::time::Duration;

use sms_pdu::Status;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::modem_task::ModemCommand;
use super::{now, sleep_until, SimError, SubmittedMessage};
use crate::network::{status_report_pdu, SubmitSummary};
use crate::{Delivery, ExternalMessage, ModemId, Network, RoutingId, RoutingKind};

/// A PDU on its way to a modem: from the network (`routing` set), or
/// injected from outside.
#[derive(Clone, Debug)]
pub(super) struct Parcel {
    pub(super) routing: Option<RoutingId>,
    pub(super) to: ModemId,
    pub(super) kind: RoutingKind,
    pub(super) pdu: Vec<u8>,
}

/// What the network task is asked to do.
pub(super) enum NetworkCommand {
    Submit {
        from: ModemId,
        mr: u8,
        pdu: Vec<u8>,
    },
    Inject {
        to: ModemId,
        kind: RoutingKind,
        pdus: Vec<Vec<u8>>,
    },
    StatusReport {
        to: ModemId,
        mr: u8,
        status: u8,
        recipient: Option<String>,
        reply: oneshot::Sender<Result<(), SimError>>,
    },
    Outcome {
        parcel: Parcel,
        delivery: Delivery,
    },
    RetryHeld,
    Submitted {
        from: ModemId,
        reply: oneshot::Sender<Vec<SubmittedMessage>>,
    },
    SubmittedCount {
        from: ModemId,
        reply: oneshot::Sender<usize>,
    },
    External {
        reply: oneshot::Sender<Vec<ExternalMessage>>,
    },
}

/// The network and its bookkeeping.
pub(super) struct NetworkTask {
    pub(super) network: Network,
    pub(super) commands: mpsc::UnboundedReceiver<NetworkCommand>,
    pub(super) modems: Vec<mpsc::UnboundedSender<ModemCommand>>,
    /// Per modem, the SMSC address its status reports carry.
    pub(super) smscs: Vec<String>,
    /// Per modem, what it submitted.
    pub(super) submitted: Vec<Vec<SubmittedMessage>>,
    /// Parcels on the air, due in order (every parcel takes the same air
    /// time, so the queue stays sorted).
    pub(super) in_air: VecDeque<(Instant, Parcel)>,
    /// Injected parcels the modem could not take yet; the network holds
    /// its own routings.
    pub(super) held_injections: Vec<Parcel>,
    pub(super) air_time: Duration,
    pub(super) retry_interval: Duration,
}

impl NetworkTask {
    pub(super) async fn run(mut self, token: CancellationToken) {
        let mut retry = tokio::time::interval(self.retry_interval);
        retry.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let next_landing = self.in_air.front().map(|(due, _)| *due);
            tokio::select! {
                _ = token.cancelled() => break,
                command = self.commands.recv() => match command {
                    Some(command) => self.handle(command),
                    None => break,
                },
                _ = sleep_until(next_landing) => {
                    let now = Instant::now();
                    while self.in_air.front().is_some_and(|(due, _)| *due <= now) {
                        if let Some((_, parcel)) = self.in_air.pop_front() {
                            self.hand_over(parcel);
                        }
                    }
                }
                _ = retry.tick() => self.retry_held(),
            }
        }
    }

    fn handle(&mut self, command: NetworkCommand) {
        match command {
            NetworkCommand::Submit { from, mr, pdu } => {
                let submitted_at = now();
                let summary = SubmitSummary::of(&pdu).map_err(|err| err.to_string());
                if let Some(log) = self.submitted.get_mut(from.0) {
                    log.push(SubmittedMessage {
                        mr,
                        pdu: pdu.clone(),
                        summary,
                        submitted_at,
                    });
                }
                // An undecodable PDU was logged above; real networks drop
                // such messages, and so does this one.
                if let Ok(routings) = self.network.submit(from, mr, &pdu, submitted_at) {
                    for routing in routings {
                        self.send(Parcel {
                            routing: Some(routing.id),
                            to: routing.to,
                            kind: routing.kind,
                            pdu: routing.pdu,
                        });
                    }
                }
            }
            NetworkCommand::Inject { to, kind, pdus } => {
                for pdu in pdus {
                    self.send(Parcel {
                        routing: None,
                        to,
                        kind,
                        pdu,
                    });
                }
            }
            NetworkCommand::StatusReport {
                to,
                mr,
                status,
                recipient,
                reply,
            } => {
                let result = self.status_report(to, mr, status, recipient);
                let _ = reply.send(result);
            }
            NetworkCommand::Outcome { parcel, delivery } => match parcel.routing {
                Some(id) => {
                    for routing in self.network.delivered(id, &delivery, now()) {
                        self.send(Parcel {
                            routing: Some(routing.id),
                            to: routing.to,
                            kind: routing.kind,
                            pdu: routing.pdu,
                        });
                    }
                }
                None => {
                    if delivery.should_retry() {
                        self.held_injections.push(parcel);
                    }
                }
            },
            NetworkCommand::RetryHeld => self.retry_held(),
            NetworkCommand::Submitted { from, reply } => {
                let _ = reply.send(self.submitted.get(from.0).cloned().unwrap_or_default());
            }
            NetworkCommand::SubmittedCount { from, reply } => {
                let _ = reply.send(self.submitted.get(from.0).map_or(0, Vec::len));
            }
            NetworkCommand::External { reply } => {
                let _ = reply.send(self.network.external_log().to_vec());
            }
        }
    }

    fn status_report(
        &mut self,
        to: ModemId,
        mr: u8,
        status: u8,
        recipient: Option<String>,
    ) -> Result<(), SimError> {
        let submitted = self
            .submitted
            .get(to.0)
            .and_then(|log| log.iter().rev().find(|message| message.mr == mr));
        let (recipient, scts) = match (recipient, submitted) {
            (Some(recipient), submitted) => (
                recipient,
                submitted.map_or_else(now, |message| message.submitted_at),
            ),
            (
                None,
                Some(SubmittedMessage {
                    summary: Ok(summary),
                    submitted_at,
                    ..
                }),
            ) => (summary.destination.to_string(), *submitted_at),
            (None, _) => {
                return Err(SimError::bad(
                    "mr",
                    format!(
                        "modem {} sent no readable message with mr {mr}; give \"to\"",
                        to.0
                    ),
                ))
            }
        };
        let smsc = self.smscs.get(to.0).map_or("", String::as_str);
        let pdu = status_report_pdu(smsc, mr, &recipient, Status(status), scts, now())
            .map_err(|err| SimError::bad("to", err))?;
        self.send(Parcel {
            routing: None,
            to,
            kind: RoutingKind::StatusReport,
            pdu,
        });
        Ok(())
    }

    /// Puts a parcel on the air.
    fn send(&mut self, parcel: Parcel) {
        if self.air_time.is_zero() {
            self.hand_over(parcel);
        } else {
            self.in_air.push_back((Instant::now() + self.air_time, parcel));
        }
    }

    fn hand_over(&mut self, parcel: Parcel) {
        if let Some(modem) = self.modems.get(parcel.to.0) {
            // A modem task that has ended is shutting down with the rest.
            let _ = modem.send(ModemCommand::Receive(parcel));
        }
    }

    /// Hands every held parcel over again, at once: the air time was spent
    /// on the first attempt.
    fn retry_held(&mut self) {
        for routing in self.network.retry_held() {
            self.hand_over(Parcel {
                routing: Some(routing.id),
                to: routing.to,
                kind: routing.kind,
                pdu: routing.pdu,
            });
        }
        for parcel in std::mem::take(&mut self.held_injections) {
            self.hand_over(parcel);
        }
    }
}
