//! The send policy as a sans-I/O core, as `at::Engine` is for the modem
//! dialogue: [`SendPolicy`] is a pure state machine fed [`Input`]s and the
//! time (`now`, passed in), that answers with [`Action`]s and tells when it
//! next wants to be woken ([`SendPolicy::poll_timeout`]). It owns every
//! decision of the send path: priority and order, queue-to-modem choice
//! (round robin), retries and their backoff, `block-after`/`block-time`,
//! part-to-modem affinity (issue 11 item 6), unknown outcomes, and the
//! fail-stop rule for the store (items 3 and 4). The shell does the I/O:
//! it reads and plans files, writes the facts the core asks for through a
//! [`MessageStore`] and reports back, hands parts to modems, and raises
//! the alarms.
//!
//! The rule the core keeps: every fact a step depends on is durable before
//! the step. A part is handed to a modem ([`Action::StartPart`]) only after
//! its `PartStarted` fact, its message's `Accepted` and its previous
//! part's `Sent` were reported stored; a file moves on to its queue
//! ([`Action::Accepted`]) only after its `Accepted` fact; a failed write
//! stops that message's path, pauses every start and intake until a retry
//! goes through, and never counts against a modem. So the store may commit
//! in groups: an action waits for its own writes' reports, whenever they
//! come. The core asks for a start in the same turn as the fact before it
//! where it can (a new file's first start with its `Accepted`, a modem's
//! next start with its last part's `Sent`: `policy/grouping.rs`), so that
//! the shell's one sync per turn covers both.
//!
//! `policy` holds the state machine, `store` the [`MessageStore`] boundary
//! with the spool directory + journal backend; the unit tests (fake
//! clock) are in `tests`, the crash and fault sweep in `sweep`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use spool::Priority;

use crate::daemon_config::UnknownOutcome;
use crate::store_health::RetryPolicy;

pub(crate) mod hold;
mod policy;
pub(crate) mod store;
#[cfg(test)]
mod sweep;
#[cfg(test)]
mod tests;

pub(crate) use policy::SendPolicy;
pub(crate) use store::{MessageStore, StoreError};

/// A message's durable identity, given at intake (never its file's name).
pub(crate) type MessageId = String;

/// The longest wait between retries of one file.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// The wait before try `attempts + 1` of a file that failed `attempts`
/// times: `interval` doubled per failure, at most [`MAX_BACKOFF`].
pub(crate) fn backoff(interval: Duration, attempts: u32) -> Duration {
    interval
        .saturating_mul(1 << attempts.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

/// The settings the policy needs, from the configuration.
#[derive(Clone, Debug)]
pub(crate) struct PolicyConfig {
    /// `[limits] retry-interval`: the first backoff.
    pub(crate) retry_interval: Duration,
    pub(crate) unknown_outcome: UnknownOutcome,
    /// How failed durable writes are retried.
    pub(crate) store_retry: RetryPolicy,
}

/// One sending modem, as the policy sees it.
#[derive(Clone, Debug)]
pub(crate) struct ModemPolicy {
    pub(crate) name: String,
    /// The queues it serves; empty: the default queue.
    pub(crate) queues: Vec<String>,
    /// `send = false`: receive only, serves no queue.
    pub(crate) send: bool,
    pub(crate) send_retries: u32,
    pub(crate) block_after: u32,
    pub(crate) block_time: Duration,
}

impl ModemPolicy {
    /// Whether it serves `queue` (`None`: the default queue).
    pub(crate) fn serves(&self, queue: Option<&str>) -> bool {
        if !self.send {
            return false;
        }
        match queue {
            None => self.queues.is_empty(),
            Some(queue) => self.queues.iter().any(|served| served == queue),
        }
    }
}

/// A file the shell read and planned, offered for sending.
#[derive(Clone, Debug)]
pub(crate) struct Offer {
    /// Its name in the spool; another file may reuse it later.
    pub(crate) name: String,
    /// Where the shell found it (a path, a queue row): opaque to the core,
    /// handed back with [`Action::Finish`].
    pub(crate) origin: String,
    /// The id it gets if it is a new message (the shell draws it: ids come
    /// from the clock and a random source).
    pub(crate) fresh_id: MessageId,
    pub(crate) priority: Priority,
    /// Older first among equal priorities.
    pub(crate) arrived: SystemTime,
    pub(crate) queue: Option<String>,
    pub(crate) parts: usize,
    /// Its concatenation reference (kept across restarts via the store).
    pub(crate) reference: u16,
    /// The file's `Retries:`, overriding the modem's `send-retries`.
    pub(crate) retries: Option<u32>,
    /// Why it cannot be sent at all (does not parse, no modem serves its
    /// queue): it goes to `failed/` with this reason.
    pub(crate) refusal: Option<String>,
    /// A voice call: its one part is no SMS, which no SIM's limits count.
    pub(crate) call: bool,
    /// Its modem and its earliest time, if the file asks (send_core/hold.rs).
    pub(crate) hold: hold::Hold,
}

/// Whether a modem may take a message now, as its SIM's limits say
/// (`[modems.NAME.limits]`): asked as the core chooses a modem, answered
/// from the shell's counts (which it keeps durably, reserving a send's
/// parts as its first part starts). A query, no I/O: the core stays pure,
/// and its tests answer with a fake.
pub(crate) trait Admission: Send + std::fmt::Debug {
    /// `Err` with the limit reached (for the log) when `modem` may not
    /// take `parts` more SMS now.
    fn admits(&mut self, modem: &str, parts: u32) -> Result<(), String>;
}

/// Admits everything: no modem has limits.
#[derive(Debug)]
pub(crate) struct Unlimited;

impl Admission for Unlimited {
    fn admits(&mut self, _modem: &str, _parts: u32) -> Result<(), String> {
        Ok(())
    }
}

/// What `systemctl status` shows of the policy ([`SendPolicy::snapshot`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PolicySnapshot {
    /// Modems blocked for their failures now.
    pub(crate) blocked: usize,
    /// Messages held: waiting, on a modem or finishing.
    pub(crate) queued: usize,
    /// Modems with a part now.
    pub(crate) sending: usize,
}

/// A message the store holds open (accepted, not finished), for a restart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OpenMessage {
    pub(crate) id: MessageId,
    pub(crate) name: String,
    pub(crate) reference: u16,
    /// Confirmed parts (from 1) and their references.
    pub(crate) sent: BTreeMap<usize, u8>,
    /// The modem its first part went out on.
    pub(crate) modem: Option<String>,
    /// A part whose outcome is unknown (a start without outcome counts):
    /// (part, modem, why).
    pub(crate) unknown: Option<(usize, String, String)>,
    /// The order of acceptance: of two open messages of one name, the
    /// later one is the file there now.
    pub(crate) begun: u64,
}

/// Where the shell found an open message's file at a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    /// Its finished copy (carrying its id) is in `sent/` or `failed/`: the
    /// crash came between that copy and the end of the message.
    Finished,
    /// A file of its name waits to be taken.
    Waiting,
    /// Nowhere: someone removed it.
    Gone,
}

/// What a modem made of one part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PartOutcome {
    /// Accepted, with its message reference.
    Sent { mr: u8 },
    /// Refused; nothing went out. Counts against the modem.
    NotSent { reason: String },
    /// Refused for a reason of the message's own (its number, its
    /// content); retried like `NotSent`, but not the modem's fault.
    Refused { reason: String },
    /// It may or may not have gone out.
    Unknown { reason: String },
    /// Final, not retried, not the modem's fault (a call that rang
    /// unanswered); recorded as unknown so that a restart never repeats it.
    Failed { reason: String },
    /// Never handed to the modem: the shell could not count it against
    /// the SIM's limits (their file cannot be written). Nothing went out;
    /// neither the message's fault nor the modem's: no try is counted, and
    /// the message waits for the next choice of a modem.
    Held { reason: String },
    /// Never handed to the modem: the message was cancelled (over the
    /// HTTP API) before its first part went. It fails, with this reason.
    Cancelled { reason: String },
}

/// One input to the core.
#[derive(Clone, Debug)]
pub(crate) enum Input {
    /// The store's open messages at start, with where their files are.
    Recovered(Vec<(OpenMessage, Presence)>),
    /// A file read and planned.
    Offered(Offer),
    /// A waiting file was removed by someone else.
    Vanished {
        name: String,
    },
    /// A file of this name was refused unread (too large): the open message
    /// of before a restart that it continued, if any, ends.
    RefusedUnread {
        name: String,
    },
    /// A part handed out with [`Action::StartPart`] came back.
    PartDone {
        id: MessageId,
        part: usize,
        outcome: PartOutcome,
    },
    /// A write asked for with [`Action::Write`] or [`Action::Finish`].
    Stored {
        write: WriteId,
        result: Result<(), StoreError>,
    },
    ModemAdded(ModemPolicy),
    /// The driver reopened and set the modem up again: a block for its
    /// failures is over.
    ModemReconnected {
        name: String,
    },
    /// `smsgate ctl modem NAME suspend`: modem `name` is given no new part.
    ModemSuspended {
        name: String,
    },
    /// `smsgate ctl modem NAME resume`: given parts again.
    ModemResumed {
        name: String,
    },
    /// Closed by a reload or a reopen: never chosen again (a new modem may
    /// take its name). `removed`: it is gone from the config, and messages
    /// pinned to it (parts out on it) fail once its part in flight is back.
    ModemRetired {
        name: String,
        removed: bool,
    },
    /// A reload: new settings, and new policies for the modems of these
    /// names (queues, send_retries, block_*).
    Reconfigured {
        config: PolicyConfig,
        modems: Vec<ModemPolicy>,
    },
    /// No part starts from now on; those on a modem finish their exchange.
    Shutdown,
}

/// The number of a write the core asked for, to match its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct WriteId(pub(crate) u64);

/// A durable fact of the send path, as the core asks for it. The move of
/// a finished file is asked for with [`Action::Finish`], whose content
/// only the shell can render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fact {
    Accepted {
        id: MessageId,
        name: String,
        reference: u16,
        parts: usize,
    },
    PartStarted {
        id: MessageId,
        part: usize,
        modem: String,
    },
    PartSent {
        id: MessageId,
        part: usize,
        modem: String,
        mr: u8,
    },
    PartNotSent {
        id: MessageId,
        part: usize,
    },
    PartUnknown {
        id: MessageId,
        part: usize,
        modem: String,
        reason: String,
    },
    /// Its finished copy is there already (a restart found it): nothing
    /// more will happen to the message.
    Ended {
        id: MessageId,
    },
    /// Means nothing: written to learn whether writes go through again.
    Probe,
}

/// How a message ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Sent {
        modem: String,
        /// The reference of each part, in order.
        references: Vec<u8>,
    },
    Failed {
        reason: String,
        modem: Option<String>,
        /// The first part not sent (from 1), for the `PDU:` line.
        first_unsent: Option<usize>,
    },
}

/// How loud an alarm is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    Notice,
    Error,
    Critical,
}

/// What the core asks the shell to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Write `fact` durably; report with [`Input::Stored`].
    Write { write: WriteId, fact: Fact },
    /// Message `id` was accepted (its `Accepted` fact is durable, or it was
    /// known before a restart): the shell may move its file on to its queue.
    Accepted { id: MessageId, name: String },
    /// The message was not taken (its `Accepted` write failed): the shell
    /// forgets it and offers the file again once the store takes writes.
    Dropped { id: MessageId, name: String },
    /// Hand part `part` (from 1) of message `id` to modem `modem`; report
    /// with [`Input::PartDone`].
    StartPart {
        id: MessageId,
        part: usize,
        modem: String,
    },
    /// Move the message's file to `sent/` or `failed/` (with its id, and the
    /// outcome flag if `unknown`) and end it, durably, in one write of the
    /// store; report with [`Input::Stored`].
    Finish {
        write: WriteId,
        id: MessageId,
        name: String,
        origin: String,
        outcome: Outcome,
        /// A part's outcome was unknown: the file carries the flag.
        unknown: bool,
    },
    Alarm {
        severity: Severity,
        /// The modem's name, or "smsgate".
        source: String,
        text: String,
    },
    /// The storage takes writes again after an outage that lasted this long.
    StoreRecovered { lasted: Duration },
    /// A decision for the operator's log (a retry, a give-up, a block).
    Log { warn: bool, text: String },
}
