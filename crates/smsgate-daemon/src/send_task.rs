//! One file's send on one modem, part by part, in a task of its own: each
//! part is journalled as started before its PDU is written to the modem,
//! and its outcome after; a failed write stops the send right there
//! (fail-stop, see [`crate::send_store`]). The scheduler acts on
//! the [`SendResult`].

use std::path::PathBuf;

use modem::{ModemError, ModemHandle};
use tokio_util::sync::CancellationToken;

use crate::journal::Record;
use crate::reports::SentIndex;
use crate::send_store::SharedStore;
use crate::voicecall::{self, CallOutcome, PlannedCall};

/// What a send task reports.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Every part it was given went out.
    Done,
    /// A part was refused; nothing of it went out.
    NotSent(String),
    /// A part was refused for a reason of its own (its number, its
    /// content: see [`blames_the_message`]); nothing of it went out. Retried
    /// like [`Outcome::NotSent`], but no sign that the modem is failing.
    Refused(String),
    /// A part may or may not have gone out.
    Unknown(String),
    /// Shutdown came between two parts.
    Interrupted,
    /// A voice call rang but was not answered, or broke off: failed, and
    /// not tried again.
    Failed(String),
    /// A durable write failed (the journal: a full disk, an I/O error):
    /// the send stopped there. Never the modem's fault.
    StoreFailed(String),
}

#[derive(Debug)]
pub(super) struct SendResult {
    pub(super) file: String,
    pub(super) modem_idx: usize,
    /// Parts (from 1) that went out, with their references.
    pub(super) sent: Vec<(usize, u8)>,
    pub(super) outcome: Outcome,
    /// The outcome's journal record, when writing it failed: the result
    /// waits (its file neither sent on nor finished) until it is written.
    pub(super) unrecorded: Option<Record>,
    /// Its modem is free again already (the result waited for its record).
    pub(super) modem_freed: bool,
}

/// One file's send on one modem, part by part.
pub(super) struct SendTask {
    pub(super) id: String,
    pub(super) file: String,
    /// The name it will have in `sent/` (`file`, or a name of its own
    /// with `keep-filename = false`): status reports are linked to it.
    pub(super) finished_name: String,
    pub(super) modem_idx: usize,
    pub(super) modem_name: String,
    pub(super) handle: ModemHandle,
    pub(super) store: SharedStore,
    pub(super) sent_index: SentIndex,
    pub(super) recipient: String,
    pub(super) failed_dir: PathBuf,
    /// The number of parts of the whole message.
    pub(super) parts: usize,
    /// `check-network`: the registration is checked first.
    pub(super) check_network: bool,
    /// The storage is read first (`receive-before-send`,
    /// `max-continuous-sending-s`).
    pub(super) sweep_first: Option<crate::before_send::SweepRequester>,
    pub(super) shutdown: CancellationToken,
}

impl SendTask {
    fn result(self, sent: Vec<(usize, u8)>, outcome: Outcome, unrecorded: Option<Record>) -> SendResult {
        SendResult {
            file: self.file,
            modem_idx: self.modem_idx,
            sent,
            outcome,
            unrecorded,
            modem_freed: false,
        }
    }

    /// A voice call, journalled as part 1: started before the dial, its
    /// outcome after. A call that rang unanswered is journalled as of
    /// unknown outcome, so that a restart before its file reaches
    /// `failed/` never calls again unasked (`[spool] unknown-outcome`).
    pub(super) async fn call(self, planned: PlannedCall) -> SendResult {
        if self.shutdown.is_cancelled() {
            return self.result(Vec::new(), Outcome::Interrupted, None);
        }
        let (id, modem) = (self.id.clone(), self.modem_name.clone());
        let start = Record::Start {
            id: id.clone(),
            part: 1,
            modem: modem.clone(),
        };
        if let Err(err) = self.store.append(start) {
            return self.result(
                Vec::new(),
                Outcome::StoreFailed(format!("not called: {err}")),
                None,
            );
        }
        let placed = voicecall::place_call(&self.handle, &planned.number, &planned.call).await;
        let (record, outcome, sent) = match placed {
            Ok(CallOutcome::Played) => (
                Record::Sent {
                    id,
                    part: 1,
                    mr: 0,
                    modem,
                },
                Outcome::Done,
                vec![(1, 0)],
            ),
            Ok(CallOutcome::Failed(reason)) => {
                let record = Record::Unknown {
                    id,
                    part: 1,
                    modem,
                    reason: reason.clone(),
                };
                (record, Outcome::Failed(reason), Vec::new())
            }
            Err(reason) => (
                Record::NotSent { id, part: 1 },
                Outcome::NotSent(reason),
                Vec::new(),
            ),
        };
        let unrecorded = self.store.append(record.clone()).err().map(|_| record);
        self.result(sent, outcome, unrecorded)
    }

    pub(super) async fn send(self, parts: Vec<(usize, Vec<u8>)>) -> SendResult {
        if let Some(sweep) = &self.sweep_first {
            tracing::debug!(target: "smsgate", "{}: modem {}: reading its storage first", self.file, self.modem_name);
            sweep.sweep().await;
        }
        if self.check_network {
            if let Err(reason) = crate::before_send::check_network(&self.handle).await {
                tracing::warn!(target: "smsgate", "{}: modem {}: {reason}", self.file, self.modem_name);
                return self.result(Vec::new(), Outcome::NotSent(reason), None);
            }
        }
        let mut sent = Vec::new();
        let (outcome, unrecorded) = self.send_parts(parts, &mut sent).await;
        self.result(sent, outcome, unrecorded)
    }

    /// The outcome, and its record if that could not be written: then the
    /// send stopped right there (fail-stop), whatever the modem said.
    async fn send_parts(
        &self,
        parts: Vec<(usize, Vec<u8>)>,
        sent: &mut Vec<(usize, u8)>,
    ) -> (Outcome, Option<Record>) {
        for (part, pdu) in parts {
            // Between parts, not within one: an exchange with the modem is
            // always finished and recorded.
            if self.shutdown.is_cancelled() {
                return (Outcome::Interrupted, None);
            }
            let start = Record::Start {
                id: self.id.clone(),
                part,
                modem: self.modem_name.clone(),
            };
            // Refused at once, without a write, once any write failed.
            if let Err(err) = self.store.append(start) {
                return (Outcome::StoreFailed(format!("part {part} not sent: {err}")), None);
            }
            let result = self.handle.send_pdus(vec![pdu]).await;
            let (record, outcome) = match result {
                Ok(references) => {
                    let mr = references.first().map_or(0, |reference| reference.0);
                    sent.push((part, mr));
                    self.sent_index.sent_part(
                        &self.modem_name,
                        mr,
                        &self.recipient,
                        &self.finished_name,
                        part,
                        self.parts,
                    );
                    let record = Record::Sent {
                        id: self.id.clone(),
                        part,
                        mr,
                        modem: self.modem_name.clone(),
                    };
                    (record, None)
                }
                Err(err @ ModemError::SendOutcomeUnknown { .. }) => {
                    // Its report, if it went out, still links it.
                    self.sent_index.unknown_part(
                        &self.modem_name,
                        &self.recipient,
                        &self.finished_name,
                        part,
                        self.parts,
                        &self.failed_dir,
                    );
                    let reason = format!("part {part}: {err}");
                    let record = Record::Unknown {
                        id: self.id.clone(),
                        part,
                        modem: self.modem_name.clone(),
                        reason: reason.clone(),
                    };
                    (record, Some(Outcome::Unknown(reason)))
                }
                Err(err) => {
                    let record = Record::NotSent {
                        id: self.id.clone(),
                        part,
                    };
                    let outcome = match blames_the_message(&err) {
                        true => Outcome::Refused(err.to_string()),
                        false => Outcome::NotSent(err.to_string()),
                    };
                    (record, Some(outcome))
                }
            };
            if let Err(err) = self.store.append(record.clone()) {
                tracing::error!(target: "smsgate", "{}: {err}", self.file);
                // A part that went out stops the send here too: `Done`
                // with the others not sent yet, acted on once recorded.
                return (outcome.unwrap_or(Outcome::Done), Some(record));
            }
            if let Some(outcome) = outcome {
                return (outcome, None);
            }
        }
        (Outcome::Done, None)
    }
}

/// Whether a refused send says more about the message than about the
/// modem: `+CMS ERROR`s of TS 24.011 and TS 23.040 about the destination
/// (unassigned or barred number, unknown subscriber, transfer rejected)
/// or the TPDU itself. One bad number must not get a good modem blocked
/// (`block-after`); network trouble (38 network out of order, 41
/// temporary failure, 331 no network service, ...) and timeouts do count.
pub(super) fn blames_the_message(err: &ModemError) -> bool {
    let Some(at::FinalResult::CmsError(error)) = err.final_result() else {
        return false;
    };
    matches!(
        error.code(),
        Some(1 | 8 | 10 | 21 | 27 | 28 | 29 | 30 | 50 | 95..=99 | 128..=255 | 304)
    )
}
