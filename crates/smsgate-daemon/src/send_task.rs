//! One part on one modem, in a task of its own: the scheduler hands it out
//! once the send policy ([`crate::send_core`]) has the part's start
//! durable, and records its outcome through the policy when it reports
//! back ([`PartResult`]). No durable write happens here: the fail-stop
//! rule lives in the policy.

use modem::{ModemError, ModemHandle};

use crate::reports::SentIndex;
use crate::send_core::{MessageId, PartOutcome};
use crate::voicecall::{self, CallOutcome, PlannedCall};

/// What a part's task reports.
#[derive(Debug)]
pub(super) struct PartResult {
    pub(super) id: MessageId,
    pub(super) part: usize,
    /// The modem it was handed to.
    pub(super) modem: String,
    pub(super) outcome: PartOutcome,
}

/// One part's send on one modem.
pub(super) struct PartTask {
    pub(super) id: MessageId,
    pub(super) file: String,
    /// The name it will have in `sent/` (`file`, or a name of its own
    /// with `keep-filename = false`): status reports are linked to it.
    pub(super) finished_name: String,
    pub(super) part: usize,
    pub(super) modem_name: String,
    pub(super) handle: ModemHandle,
    pub(super) sent_index: SentIndex,
    pub(super) recipient: String,
    pub(super) failed_dir: std::path::PathBuf,
    /// The number of parts of the whole message.
    pub(super) parts: usize,
    /// `check-network`: the registration is checked first.
    pub(super) check_network: bool,
    /// The storage is read first (`receive-before-send`,
    /// `max-continuous-sending-s`).
    pub(super) sweep_first: Option<crate::before_send::SweepRequester>,
}

impl PartTask {
    fn result(self, outcome: PartOutcome) -> PartResult {
        PartResult {
            id: self.id,
            part: self.part,
            modem: self.modem_name,
            outcome,
        }
    }

    /// A voice call, as the message's one part. A call that rang
    /// unanswered is final and recorded as of unknown outcome, so that a
    /// restart before its file reaches `failed/` never calls again unasked
    /// (`[spool] unknown-outcome`).
    pub(super) async fn call(self, planned: PlannedCall) -> PartResult {
        let placed = voicecall::place_call(&self.handle, &planned.number, &planned.call).await;
        let outcome = match placed {
            Ok(CallOutcome::Played) => PartOutcome::Sent { mr: 0 },
            Ok(CallOutcome::Failed(reason)) => PartOutcome::Failed { reason },
            Err(reason) => PartOutcome::NotSent { reason },
        };
        self.result(outcome)
    }

    pub(super) async fn send(self, pdu: Vec<u8>) -> PartResult {
        let part = self.part;
        if let Some(sweep) = &self.sweep_first {
            tracing::debug!(target: "smsgate", "{}: modem {}: reading its storage first", self.file, self.modem_name);
            sweep.sweep().await;
        }
        if self.check_network {
            if let Err(reason) = crate::before_send::check_network(&self.handle).await {
                tracing::warn!(target: "smsgate", "{}: modem {}: {reason}", self.file, self.modem_name);
                return self.result(PartOutcome::NotSent { reason });
            }
        }
        let outcome = match self.handle.send_pdus(vec![pdu]).await {
            Ok(references) => {
                let mr = references.first().map_or(0, |reference| reference.0);
                self.sent_index.sent_part(
                    &self.modem_name,
                    mr,
                    &self.recipient,
                    &self.finished_name,
                    part,
                    self.parts,
                );
                PartOutcome::Sent { mr }
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
                PartOutcome::Unknown {
                    reason: format!("part {part}: {err}"),
                }
            }
            Err(err) => match blames_the_message(&err) {
                true => PartOutcome::Refused {
                    reason: err.to_string(),
                },
                false => PartOutcome::NotSent {
                    reason: err.to_string(),
                },
            },
        };
        self.result(outcome)
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
