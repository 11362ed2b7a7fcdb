//! Starts that share a group commit with the write before them (issue 11:
//! pickup latency, and throughput per modem). The shell commits the
//! writes of one turn with one sync, so a start asked for in the same
//! turn as the fact it follows costs no sync of its own:
//!
//! - a new file's first start joins its `Accepted` (one sync from offer
//!   to `AT+CMGS`, not two in a row);
//! - a part's `Sent` and its modem's next start (the same message's next
//!   part, or the next waiting message) are one group, so a modem's chain
//!   costs one sync per part, not two.
//!
//! Nothing is released early: a part goes to its modem only once its own
//! `PartStarted` and every write of its message before it in the group
//! (its `Accepted`, its previous part's `Sent`) are reported stored; the
//! file moves to its queue only once its `Accepted` is. A failed group
//! stops each path as a failed write does alone: the new file is not
//! taken, the `Sent` waits for the store's retry (never sent again), the
//! start taken back unsent; no modem is blamed.

use tokio::time::Instant;

use super::{Message, Phase, Purpose, SendPolicy, SentPending, Step};
use crate::send_core::{Action, PartOutcome, StoreError};

impl Message {
    /// Whether a free modem may take it now: waiting, or new with its
    /// `Accepted` still being written (its start joins that group).
    pub(super) fn may_start(&self) -> bool {
        match self.phase {
            Phase::Waiting => true,
            Phase::Accepting => self.first_unsent().is_some(),
            _ => false,
        }
    }

    /// Whether a write of its group before its start is still awaited.
    fn start_waits(&self) -> bool {
        self.accepting || self.sent_pending.is_some()
    }
}

impl SendPolicy {
    /// Whether a modem may go on to a next start: not shutting down, the
    /// store healthy and no retry of it going on.
    pub(super) fn may_go_on(&self) -> bool {
        !self.shutdown && self.health.is_healthy() && self.retry.is_none()
    }

    /// Part `part` of message `id` went out on modem `modem_idx`: its
    /// `Sent` is asked for, and the modem goes on at once, in the same
    /// group, with the message's next part (affinity), or, the message's
    /// last part sent, is free for the next waiting message (the dispatch
    /// that ends this input).
    pub(super) fn hand_on(&mut self, id: &str, modem_idx: usize, part: usize, mr: u8) {
        let fact = self.outcome_fact(id, modem_idx, part, &PartOutcome::Sent { mr });
        let Some(message) = self.messages.get_mut(id) else {
            return;
        };
        message.sent_pending = Some(SentPending {
            modem: modem_idx,
            part,
            mr,
        });
        let next = message.first_unsent_besides(part);
        if next.is_none() {
            message.phase = Phase::SentRecording;
            self.modems[modem_idx].busy = false;
        }
        self.write(fact, Purpose::SentOnward(id.to_owned()));
        if let Some(next) = next {
            self.write_start(id, modem_idx, next);
        }
    }

    /// Message `id`'s `PartStarted` is durable: to its modem, unless a
    /// write of its group before it is still awaited.
    pub(super) fn start_stored(&mut self, id: &str, modem: usize, part: usize) {
        let Some(message) = self.messages.get_mut(id) else {
            return;
        };
        if message.start_waits() {
            let step = Step::Ready;
            message.phase = Phase::OnModem { modem, part, step };
            return;
        }
        self.hand_to_modem(id, modem, part);
    }

    /// Hands part `part` of message `id` to modem `modem`.
    fn hand_to_modem(&mut self, id: &str, modem: usize, part: usize) {
        let step = Step::Sending;
        self.set_phase(id, Phase::OnModem { modem, part, step });
        let modem = self.modems[modem].policy.name.clone();
        let id = id.to_owned();
        self.actions.push_back(Action::StartPart { id, part, modem });
    }

    /// Hands a part whose start waited for its group to its modem, once
    /// nothing before it is awaited.
    fn release_ready(&mut self, id: &str) {
        let Some(message) = self.messages.get(id) else {
            return;
        };
        if let Phase::OnModem {
            modem,
            part,
            step: Step::Ready,
        } = message.phase
        {
            if !message.start_waits() {
                self.hand_to_modem(id, modem, part);
            }
        }
    }

    /// Message `id`'s `Accepted` write was reported. Returns what failed,
    /// if it did (for the log and the alarm).
    pub(super) fn accept_stored(&mut self, id: &str, result: &Result<(), StoreError>) -> Option<String> {
        let message = self.messages.get_mut(id)?;
        message.accepting = false;
        let (name, phase) = (message.name.clone(), message.phase.clone());
        if result.is_err() {
            // Left where it is; offered again once the store takes writes.
            // A start of its group is taken back: nothing went out, and the
            // modem is not blamed.
            if let Phase::OnModem { modem, .. } = phase {
                self.modems[modem].busy = false;
            }
            self.forget(id);
            let id = id.to_owned();
            self.actions.push_back(Action::Dropped {
                id,
                name: name.clone(),
            });
            return Some(format!("{name}: not taken"));
        }
        self.actions.push_back(Action::Accepted {
            id: id.to_owned(),
            name,
        });
        match phase {
            // Queued now: handed out with the other files of its scan.
            Phase::Accepting | Phase::Waiting => {
                self.intake_input = true;
                self.set_phase(id, Phase::Waiting);
            }
            _ => self.release_ready(id),
        }
        None
    }

    /// Message `id`'s `Sent` whose modem went on was reported. Returns what
    /// failed, if it did.
    pub(super) fn sent_onward_stored(
        &mut self,
        id: &str,
        result: &Result<(), StoreError>,
        now: Instant,
    ) -> Option<String> {
        let message = self.messages.get_mut(id)?;
        let pending = message.sent_pending.take()?;
        let (modem, part) = (pending.modem, pending.part);
        let outcome = PartOutcome::Sent { mr: pending.mr };
        if result.is_err() {
            // Fail-stop: the message waits, holding no modem, for the
            // store's retry to write its `Sent` (the part is never sent
            // again); its next part's start, in the failed group, is taken
            // back unsent.
            let name = message.name.clone();
            if let Phase::OnModem { modem: held, .. } = message.phase {
                self.modems[held].busy = false;
            }
            self.stall(id, modem, part, outcome);
            return Some(format!("{name}: part outcome not recorded"));
        }
        if matches!(message.phase, Phase::SentRecording) {
            // Its last part: it finishes (the modem went on already).
            self.part_recorded(id, modem, part, outcome, false, now);
            return None;
        }
        let modem_name = self.modems[modem].policy.name.clone();
        message.note_sent(part, pending.mr, &modem_name);
        self.release_ready(id);
        None
    }
}
