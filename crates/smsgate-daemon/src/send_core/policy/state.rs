//! The policy's bookkeeping: each modem's availability and each
//! message's state, as [`SendPolicy`](super::SendPolicy) keeps them.

use super::*;

/// One modem's availability.
#[derive(Debug)]
pub(super) struct Modem {
    pub(super) policy: ModemPolicy,
    pub(super) busy: bool,
    pub(super) failures_in_row: u32,
    pub(super) blocked_until: Option<Instant>,
    pub(super) suspended: bool,
    pub(super) retired: bool,
    /// Retired as removed: its pinned messages fail once its part is back.
    pub(super) removed: bool,
}

impl Modem {
    pub(super) fn is_free(&self, now: Instant) -> bool {
        !self.busy && !self.suspended && !self.retired && self.blocked_until.is_none_or(|until| until <= now)
    }
}

/// Where a message is on its way.
#[derive(Clone, Debug)]
pub(super) enum Phase {
    /// Its `Accepted` fact is being written; a free modem may take it
    /// meanwhile (its first start joins the same group: grouping.rs).
    Accepting,
    /// Queued: waits for a free modem (and its retry time).
    Waiting,
    /// Holds modem `modem` for part `part`.
    OnModem { modem: usize, part: usize, step: Step },
    /// Its last part went out and that `Sent` is being written
    /// (`sent_pending`), in one group with the start its modem went on to:
    /// it holds no modem, and finishes once the `Sent` is durable.
    SentRecording,
    /// A part's outcome could not be written: the message waits, holding no
    /// modem, until a retry of the store writes it; then it is acted on.
    Stalled {
        fact: Fact,
        modem: usize,
        part: usize,
        outcome: PartOutcome,
    },
    /// Its finish is being written.
    Finishing { outcome: Outcome },
    /// Its finish could not be written: retried with the store, never sent
    /// meanwhile.
    FinishStalled { outcome: Outcome },
}

#[derive(Clone, Debug)]
pub(super) enum Step {
    /// Its `PartStarted` fact is being written: not on the modem yet.
    Starting,
    /// Its `PartStarted` is durable, but a write of its group that comes
    /// before it is not yet reported (its `Accepted`, or its previous
    /// part's `Sent`): handed to the modem once that one is.
    Ready,
    /// Handed to the modem.
    Sending,
    /// Its outcome is being written.
    Recording(PartOutcome),
}

#[derive(Debug)]
pub(super) struct Message {
    pub(super) id: MessageId,
    pub(super) name: String,
    pub(super) origin: String,
    pub(super) priority: Priority,
    pub(super) arrived: SystemTime,
    pub(super) queue: Option<String>,
    pub(super) retries: Option<u32>,
    /// The reference of each part that went out.
    pub(super) sent: Vec<Option<u8>>,
    /// The modem its first part went out on: the others go out there, or
    /// the message fails whole.
    pub(super) pin: Option<String>,
    /// A part's outcome was unknown: the finished file carries the flag.
    pub(super) unknown: bool,
    pub(super) attempts: u32,
    pub(super) not_before: Option<Instant>,
    /// The modem the file asks for (`X-Smsgate-Modem`): only it sends
    /// the message, whatever its queue.
    pub(super) requested_modem: Option<String>,
    pub(super) phase: Phase,
    /// A voice call: no SIM's limits count it.
    pub(super) call: bool,
    /// It was said to wait for its modems' limits (said once).
    pub(super) limit_noted: bool,
    /// Its `Accepted` fact is being written: no part of it goes to a modem
    /// before that write is reported stored.
    pub(super) accepting: bool,
    /// A part's `Sent` being written while its modem already went on to
    /// its next start (in the same group; grouping.rs).
    pub(super) sent_pending: Option<SentPending>,
}

/// A part that went out, whose `Sent` fact is being written in one group
/// with its modem's next start.
#[derive(Clone, Copy, Debug)]
pub(super) struct SentPending {
    pub(super) modem: usize,
    pub(super) part: usize,
    pub(super) mr: u8,
}

impl Message {
    pub(super) fn order_key(&self) -> OrderKey {
        (
            Reverse(self.priority),
            self.arrived,
            self.name.clone(),
            self.id.clone(),
        )
    }

    /// Whether `modem` may take it: the modem it asked for, else one
    /// serving its queue; and the modem its first parts went out on.
    pub(super) fn may_go_on(&self, modem: &super::super::ModemPolicy) -> bool {
        let routed = match &self.requested_modem {
            Some(wanted) => *wanted == modem.name && modem.send,
            None => modem.serves(self.queue.as_deref()),
        };
        routed && self.pin.as_ref().is_none_or(|pin| *pin == modem.name)
    }

    pub(super) fn first_unsent(&self) -> Option<usize> {
        self.sent.iter().position(Option::is_none).map(|idx| idx + 1)
    }

    /// The first part not sent once part `part` counts as sent.
    pub(super) fn first_unsent_besides(&self, part: usize) -> Option<usize> {
        (1..=self.sent.len()).find(|&other| other != part && self.sent[other - 1].is_none())
    }

    /// Part `part` went out on `modem` (its `Sent` is durable): its
    /// reference kept, the message pinned to the modem.
    pub(super) fn note_sent(&mut self, part: usize, mr: u8, modem: &str) {
        if let Some(slot) = self.sent.get_mut(part.wrapping_sub(1)) {
            *slot = Some(mr);
        }
        self.pin.get_or_insert_with(|| modem.to_owned());
    }
}

/// `Priority: high` first, then the oldest, then by name.
pub(super) type OrderKey = (Reverse<Priority>, SystemTime, String, MessageId);

/// What a write the core asked for was for.
#[derive(Clone, Debug)]
pub(super) enum Purpose {
    /// A part's start, outcome, or the finish: acted on by the phase.
    Message(MessageId),
    /// Its `Accepted` fact (its first start may share the group).
    Accepted(MessageId),
    /// A part's `Sent` whose modem went on to its next start in the same
    /// group (`Message::sent_pending`).
    SentOnward(MessageId),
    Ended(MessageId),
    Probe,
}

/// One step of a retry of the store after an outage.
#[derive(Clone, Debug)]
pub(super) enum RetryStep {
    Probe,
    Message(MessageId),
    Ended(MessageId),
}

impl Modem {
    pub(super) fn new(policy: ModemPolicy) -> Modem {
        Modem {
            policy,
            busy: false,
            failures_in_row: 0,
            blocked_until: None,
            suspended: false,
            retired: false,
            removed: false,
        }
    }
}
