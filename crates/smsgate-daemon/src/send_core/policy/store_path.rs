//! The store's side of [`SendPolicy`]: what a write's report does to its
//! message, what a failed write stops (its own path only; intake and every
//! start pause), and the retry of the failed writes after an outage.
//! Separate from `policy.rs` because the fail-stop rule is a concern of its
//! own.

use std::collections::VecDeque;

use tokio::time::Instant;

use super::{Phase, Purpose, RetryStep, SendPolicy, Step};
use crate::send_core::{Action, Fact, Severity, StoreError, WriteId};
use crate::store_health::Failure;

impl SendPolicy {
    pub(super) fn stored(&mut self, write: WriteId, result: Result<(), StoreError>, now: Instant) {
        let Some(purpose) = self.writes.remove(&write) else {
            return;
        };
        let retrying = self.retry.as_ref().is_some_and(|(awaited, _)| *awaited == write);
        // The writes a start may share its group with (grouping.rs); what
        // failed, if one did.
        let grouped_failure = match &purpose {
            Purpose::Accepted(id) => self.accept_stored(id, &result),
            Purpose::SentOnward(id) => self.sent_onward_stored(id, &result, now),
            Purpose::Message(_) | Purpose::Ended(_) | Purpose::Probe => None,
        };
        match result {
            Ok(()) => {
                if let Purpose::Message(id) = &purpose {
                    self.message_stored(id, now);
                }
                if retrying {
                    self.next_retry_step(now);
                }
            }
            Err(err) => {
                let what = match &purpose {
                    Purpose::Message(id) => self.message_write_failed(id),
                    Purpose::Ended(id) => {
                        self.unended.push(id.clone());
                        format!("message {id}: finished, end not recorded")
                    }
                    Purpose::Probe => "a retry of the store".to_owned(),
                    Purpose::Accepted(id) | Purpose::SentOnward(id) => {
                        grouped_failure.unwrap_or_else(|| format!("message {id}"))
                    }
                };
                if retrying {
                    self.retry = None;
                }
                self.store_failed(&what, &err, now);
            }
        }
    }

    pub(super) fn message_stored(&mut self, id: &str, now: Instant) {
        let Some(phase) = self.phase(id) else {
            return;
        };
        match phase {
            Phase::OnModem {
                modem,
                part,
                step: Step::Starting,
            } => self.start_stored(id, modem, part),
            Phase::OnModem {
                modem,
                part,
                step: Step::Recording(outcome),
            } => self.part_recorded(id, modem, part, outcome, true, now),
            Phase::Stalled {
                modem, part, outcome, ..
            } => self.part_recorded(id, modem, part, outcome, false, now),
            Phase::Finishing { .. } | Phase::FinishStalled { .. } => self.forget(id),
            Phase::Accepting | Phase::Waiting | Phase::OnModem { .. } | Phase::SentRecording => {}
        }
    }

    /// A write for message `id` failed: its path stops there. Returns what
    /// failed, for the log and the alarm.
    pub(super) fn message_write_failed(&mut self, id: &str) -> String {
        let Some(phase) = self.phase(id) else {
            return format!("message {id}");
        };
        let name = self.messages[id].name.clone();
        match phase {
            Phase::OnModem {
                modem,
                part,
                step: Step::Starting,
            } => {
                // Not tried, not counted against the file nor the modem.
                self.modems[modem].busy = false;
                self.set_phase(id, Phase::Waiting);
                format!("{name}: part {part} not sent")
            }
            Phase::OnModem {
                modem,
                part,
                step: Step::Recording(outcome),
            } => {
                self.modems[modem].busy = false;
                self.stall(id, modem, part, outcome);
                format!("{name}: part outcome not recorded")
            }
            Phase::Finishing { outcome } => {
                self.set_phase(id, Phase::FinishStalled { outcome });
                format!("{name}: cannot finish it")
            }
            Phase::Stalled { .. } | Phase::FinishStalled { .. } => format!("{name}: retry"),
            Phase::Accepting | Phase::Waiting | Phase::OnModem { .. } | Phase::SentRecording => name,
        }
    }

    /// Asks for `fact` to be written; refused (None) while the store fails.
    pub(super) fn write(&mut self, fact: Fact, purpose: Purpose) -> Option<WriteId> {
        if !self.health.is_healthy() {
            return None;
        }
        let write = self.next_write_id(purpose);
        self.actions.push_back(Action::Write { write, fact });
        Some(write)
    }

    pub(super) fn next_write_id(&mut self, purpose: Purpose) -> WriteId {
        self.next_write += 1;
        let write = WriteId(self.next_write);
        self.writes.insert(write, purpose);
        write
    }

    /// A durable write failed: intake and sending pause, with one critical
    /// alarm per outage. The failure is the store's, never a modem's.
    pub(super) fn store_failed(&mut self, what: &str, err: &StoreError, now: Instant) {
        if self.health.failed(now) == Failure::NewOutage {
            let text = format!(
                "cannot write to the spool or the journal ({what}: {err}); sending and intake paused, \
                 resuming by themselves once writes go through"
            );
            self.alarm(Severity::Critical, "smsgate", text);
        }
    }

    /// Tries the writes that failed, one at a time: a probe first, then the
    /// outcomes, the ends and the finishes that wait.
    pub(super) fn start_store_retry(&mut self, now: Instant) {
        let mut steps = VecDeque::from([RetryStep::Probe]);
        steps.extend(self.stalled_steps());
        self.retry = Some((WriteId(0), steps));
        self.next_retry_step(now);
    }

    /// The writes that wait for the store: outcomes, finishes, ends.
    pub(super) fn stalled_steps(&mut self) -> Vec<RetryStep> {
        let mut steps: Vec<RetryStep> = self
            .messages
            .values()
            .filter(|message| matches!(message.phase, Phase::Stalled { .. } | Phase::FinishStalled { .. }))
            .map(|message| RetryStep::Message(message.id.clone()))
            .collect();
        steps.extend(self.unended.drain(..).map(RetryStep::Ended));
        steps
    }

    pub(super) fn next_retry_step(&mut self, now: Instant) {
        let Some((_, steps)) = &mut self.retry else {
            return;
        };
        if steps.is_empty() {
            // Some may have stalled while the retry went on.
            let more = self.stalled_steps();
            if let Some((_, steps)) = &mut self.retry {
                steps.extend(more);
            }
        }
        let Some(step) = self.retry.as_mut().and_then(|(_, steps)| steps.pop_front()) else {
            self.retry = None;
            if let Some(lasted) = self.health.recovered(now) {
                self.actions.push_back(Action::StoreRecovered { lasted });
            }
            return;
        };
        let write = match step {
            RetryStep::Probe => {
                let write = self.next_write_id(Purpose::Probe);
                self.actions.push_back(Action::Write {
                    write,
                    fact: Fact::Probe,
                });
                write
            }
            RetryStep::Ended(id) => {
                let write = self.next_write_id(Purpose::Ended(id.clone()));
                self.actions.push_back(Action::Write {
                    write,
                    fact: Fact::Ended { id },
                });
                write
            }
            RetryStep::Message(id) => match self.phase(&id) {
                Some(Phase::Stalled { fact, .. }) => {
                    let write = self.next_write_id(Purpose::Message(id));
                    self.actions.push_back(Action::Write { write, fact });
                    write
                }
                Some(Phase::FinishStalled { outcome }) => self.write_finish(&id, outcome),
                _ => return self.next_retry_step(now),
            },
        };
        if let Some((awaited, _)) = &mut self.retry {
            *awaited = write;
        }
    }
}
