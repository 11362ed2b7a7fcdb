//! [`SendPolicy`]: the state machine (see the module docs of `send_core`).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::SystemTime;

use spool::Priority;
use tokio::time::Instant;

use super::{
    backoff, Action, Admission, Fact, Input, MessageId, ModemPolicy, Offer, OpenMessage, Outcome,
    PartOutcome, PolicyConfig, Presence, Severity, Unlimited, WriteId,
};
use crate::store_health::StoreHealth;

mod admission;
mod grouping;
mod live;
mod state;
mod store_path;
use crate::daemon_config::UnknownOutcome;
use state::*;

/// See the module docs of `send_core`.
#[derive(Debug)]
pub(crate) struct SendPolicy {
    config: PolicyConfig,
    modems: Vec<Modem>,
    next_modem: usize,
    messages: BTreeMap<MessageId, Message>,
    order: BTreeSet<OrderKey>,
    /// The name each held message goes by: an offer of a name held is the
    /// same file again.
    names: HashMap<String, MessageId>,
    /// Open messages of before a restart, by name: only these are linked
    /// by name; any other file is a new message.
    recovered: HashMap<String, OpenMessage>,
    /// When retries are due (entries in the past are dropped as passed).
    retries: BTreeSet<(Instant, MessageId)>,
    writes: BTreeMap<WriteId, Purpose>,
    next_write: u64,
    health: StoreHealth,
    /// Messages whose `Ended` could not be written.
    unended: Vec<MessageId>,
    /// The retry of the store in progress: the write awaited, the steps
    /// after it.
    retry: Option<(WriteId, VecDeque<RetryStep>)>,
    shutdown: bool,
    /// Messages were queued by intake and wait for the next tick
    /// ([`SendPolicy::handle_timeout`]) to be handed out: the files of one
    /// scan come due together, and priorities decide among them.
    dispatch_due: bool,
    /// Set while an input queues a message: that input hands out nothing.
    intake_input: bool,
    /// The SIMs' limits, asked as a modem is chosen.
    admission: Box<dyn Admission>,
    actions: VecDeque<Action>,
}

impl SendPolicy {
    pub(crate) fn new(config: PolicyConfig, modems: Vec<ModemPolicy>) -> SendPolicy {
        let health = StoreHealth::new(config.store_retry);
        SendPolicy {
            config,
            modems: modems.into_iter().map(Modem::new).collect(),
            next_modem: 0,
            messages: BTreeMap::new(),
            order: BTreeSet::new(),
            names: HashMap::new(),
            recovered: HashMap::new(),
            retries: BTreeSet::new(),
            writes: BTreeMap::new(),
            next_write: 0,
            health,
            unended: Vec::new(),
            retry: None,
            shutdown: false,
            dispatch_due: false,
            intake_input: false,
            admission: Box::new(Unlimited),
            actions: VecDeque::new(),
        }
    }

    /// Gives back the capacity of the per-message tables beyond what
    /// they hold (after a backlog drained; scheduler/release.rs).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.names.shrink_to_fit();
        self.recovered.shrink_to_fit();
        self.unended.shrink_to_fit();
        self.actions.shrink_to_fit();
    }

    /// Feeds one input at `now`; its actions follow from [`Self::poll_action`].
    pub(crate) fn handle(&mut self, input: Input, now: Instant) {
        match input {
            Input::Recovered(open) => self.recover(open),
            Input::Offered(offer) => self.offered(offer),
            Input::Vanished { name } => self.vanished(&name),
            Input::RefusedUnread { name } => {
                if let Some(open) = self.recovered.remove(&name) {
                    self.end(open.id);
                }
            }
            Input::PartDone { id, part, outcome } => self.part_done(&id, part, outcome),
            Input::Stored { write, result } => self.stored(write, result, now),
            Input::ModemAdded(policy) => self.modems.push(Modem::new(policy)),
            Input::ModemReconnected { name } => {
                let mut unblocked = false;
                for modem in self.modems.iter_mut().filter(|modem| modem.policy.name == name) {
                    unblocked |= modem.blocked_until.take().is_some();
                    modem.failures_in_row = 0;
                }
                if unblocked {
                    let text = format!("modem {name}: set up again, no longer blocked");
                    self.actions.push_back(Action::Log { warn: false, text });
                }
            }
            Input::ModemSuspended { name } => self.each_live(&name, |modem| modem.suspended = true),
            Input::ModemResumed { name } => self.each_live(&name, |modem| modem.suspended = false),
            Input::ModemRetired { name, removed } => {
                for modem in self.modems.iter_mut().filter(|modem| modem.policy.name == name) {
                    modem.retired = true;
                    modem.removed |= removed;
                }
            }
            Input::Reconfigured { config, modems } => {
                self.config = config;
                for policy in modems {
                    let name = policy.name.clone();
                    self.each_live(&name, |modem| modem.policy = policy.clone());
                }
            }
            Input::Shutdown => self.shutdown = true,
        }
        if self.modems.iter().any(|modem| modem.removed) {
            self.fail_removed();
        }
        match std::mem::take(&mut self.intake_input) {
            true => self.dispatch_due = true,
            false => self.dispatch(now),
        }
    }

    /// The time given by [`Self::poll_timeout`] has come; also the tick
    /// after a batch of intake (one scan's files).
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.dispatch_due = false;
        if self.retry.is_none() && self.health.retry_due(now) {
            self.start_store_retry(now);
        }
        self.dispatch(now);
    }

    pub(crate) fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next moment the core wants [`Self::handle_timeout`]: a retry due,
    /// a modem's block ending, the store's retry. Moments already past
    /// `now` are left out (they were acted on).
    pub(crate) fn poll_timeout(&mut self, now: Instant) -> Option<Instant> {
        self.retries = self.retries.split_off(&(now, String::new()));
        let retry = self.retries.iter().map(|(at, _)| *at).find(|&at| at > now);
        let unblocks = self
            .modems
            .iter()
            .filter_map(|modem| modem.blocked_until)
            .filter(|&at| at > now);
        let store_retry = match self.retry {
            None => self.health.next_try(),
            Some(_) => None,
        };
        let dispatch = self.dispatch_due.then_some(now);
        retry
            .into_iter()
            .chain(unblocks)
            .chain(store_retry)
            .chain(dispatch)
            .min()
    }

    /// Whether writes go through (intake and sending may go on).
    pub(crate) fn is_healthy(&self) -> bool {
        self.health.is_healthy()
    }

    /// Whether a part is on a modem or being recorded, or a write is
    /// awaited: a shell that stops waits for this to turn false.
    pub(crate) fn is_busy(&self) -> bool {
        !self.writes.is_empty() || self.modems.iter().any(|modem| modem.busy)
    }

    /// Whether nothing is held, awaited or failing: every message offered
    /// is finished and durable.
    #[cfg(test)]
    pub(crate) fn is_idle(&self) -> bool {
        self.messages.is_empty() && !self.is_busy() && self.health.is_healthy() && self.unended.is_empty()
    }

    /// Whether a file of this name is held (the shell need not offer it).
    pub(crate) fn holds(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// Whether message `id` is held, or open from before a restart (an id
    /// a file brings along must not be taken twice).
    pub(crate) fn knows(&self, id: &str) -> bool {
        self.messages.contains_key(id) || self.recovered.values().any(|open| open.id == id)
    }

    /// The open message of before a restart that a file of this name
    /// continues, if any (not yet offered).
    pub(crate) fn recovered(&self, name: &str) -> Option<&OpenMessage> {
        self.recovered.get(name)
    }

    /// When modem `name` is blocked until, if it is.
    pub(crate) fn blocked_until(&self, name: &str) -> Option<Instant> {
        self.modems
            .iter()
            .find(|modem| modem.policy.name == name && !modem.retired)
            .and_then(|modem| modem.blocked_until)
    }

    /// The modem failures counted in a row against modem `name`.
    #[cfg(test)]
    pub(crate) fn failures_in_row(&self, name: &str) -> Option<u32> {
        self.modems
            .iter()
            .find(|modem| modem.policy.name == name)
            .map(|modem| modem.failures_in_row)
    }

    fn recover(&mut self, open: Vec<(OpenMessage, Presence)>) {
        let mut by_name: HashMap<String, OpenMessage> = HashMap::new();
        let mut ended = Vec::new();
        for (message, presence) in open {
            if presence != Presence::Waiting {
                ended.push(message.id);
                continue;
            }
            // Two open messages of one name (the first one's end failed):
            // the later one is the file there now.
            match by_name.get(&message.name) {
                Some(held) if held.begun > message.begun => ended.push(message.id),
                _ => {
                    if let Some(older) = by_name.insert(message.name.clone(), message) {
                        ended.push(older.id);
                    }
                }
            }
        }
        self.recovered.extend(by_name);
        for id in ended {
            self.end(id);
        }
    }

    fn end(&mut self, id: MessageId) {
        let fact = Fact::Ended { id: id.clone() };
        if self.write(fact, Purpose::Ended(id.clone())).is_none() {
            self.unended.push(id);
        }
    }

    fn offered(&mut self, offer: Offer) {
        if self.names.contains_key(&offer.name) {
            return;
        }
        // Intake pauses while the store fails: the file is offered again.
        if !self.health.is_healthy() {
            let (id, name) = (offer.fresh_id, offer.name);
            self.actions.push_back(Action::Dropped { id, name });
            return;
        }
        let recovered = self.recovered.remove(&offer.name);
        let id = recovered.as_ref().map_or(offer.fresh_id, |open| open.id.clone());
        let mut sent = vec![None; offer.parts];
        let (mut pin, mut unknown) = (None, None);
        if let Some(open) = &recovered {
            for (&part, &mr) in &open.sent {
                if let Some(slot) = sent.get_mut(part.wrapping_sub(1)) {
                    *slot = Some(mr);
                }
            }
            pin = open.modem.clone();
            unknown = open.unknown.clone();
        }
        let message = Message {
            id: id.clone(),
            name: offer.name.clone(),
            origin: offer.origin,
            priority: offer.priority,
            arrived: offer.arrived,
            queue: offer.queue,
            retries: offer.retries,
            sent,
            pin,
            unknown: unknown.is_some(),
            attempts: 0,
            not_before: offer.hold.not_before,
            requested_modem: offer.hold.modem,
            phase: Phase::Waiting,
            call: offer.call,
            limit_noted: false,
            accepting: recovered.is_none(),
            sent_pending: None,
        };
        if let Some(at) = message.not_before {
            // Woken when its time comes (`send_at`).
            self.retries.insert((at, id.clone()));
        }
        self.names.insert(message.name.clone(), id.clone());
        self.order.insert(message.order_key());
        self.messages.insert(id.clone(), message);
        if let Some((part, modem, why)) = unknown {
            if self.config.unknown_outcome == UnknownOutcome::Fail {
                let reason = format!(
                    "outcome unknown: part {part} was handed to modem {modem} but {why}; it may have \
                     been sent, so it is not sent again (unknown-outcome = \"fail\")"
                );
                let first_unsent = Some(part);
                let outcome = Outcome::Failed {
                    reason,
                    modem: Some(modem),
                    first_unsent,
                };
                return self.finish(&id, outcome);
            }
        }
        if let Some(reason) = offer.refusal {
            let outcome = Outcome::Failed {
                reason,
                modem: None,
                first_unsent: None,
            };
            return self.finish(&id, outcome);
        }
        self.intake_input = true;
        match recovered {
            Some(_) => {
                let name = offer.name;
                self.actions.push_back(Action::Accepted { id, name });
            }
            None => {
                self.set_phase(&id, Phase::Accepting);
                let fact = Fact::Accepted {
                    id: id.clone(),
                    name: offer.name,
                    reference: offer.reference,
                    parts: offer.parts,
                };
                self.write(fact, Purpose::Accepted(id));
            }
        }
    }

    fn vanished(&mut self, name: &str) {
        let Some(id) = self.names.get(name).cloned() else {
            return;
        };
        if matches!(self.phase(&id), Some(Phase::Waiting)) {
            self.forget(&id);
        }
    }

    /// Hands waiting messages to free modems, in their order, until every
    /// free modem has one (no sort of the whole backlog per free modem).
    fn dispatch(&mut self, now: Instant) {
        // No part starts while a write fails: its start could not be
        // recorded, nor its outcome.
        if self.shutdown || !self.health.is_healthy() || self.retry.is_some() {
            return;
        }
        let mut free: Vec<bool> = self.modems.iter().map(|modem| modem.is_free(now)).collect();
        let mut n_free = free.iter().filter(|&&free| free).count();
        if n_free == 0 {
            return;
        }
        let n_modems = self.modems.len();
        let mut chosen = Vec::new();
        // Messages no modem took, to say once if limits hold them.
        let mut held = Vec::new();
        for (_, _, _, id) in &self.order {
            if n_free == 0 {
                break;
            }
            let Some(message) = self.messages.get(id) else {
                continue;
            };
            if !message.may_start() || message.not_before.is_some_and(|at| at > now) {
                continue;
            }
            let parts = message.unsent_sms();
            let modem = (0..n_modems)
                .map(|offset| (self.next_modem + offset) % n_modems)
                .find(|&idx| {
                    let modem = &self.modems[idx].policy;
                    free[idx] && message.may_go_on(modem) && self.admission.admits(&modem.name, parts).is_ok()
                });
            let Some(modem_idx) = modem else {
                if !message.limit_noted && parts > 0 {
                    held.push(id.clone());
                }
                continue;
            };
            free[modem_idx] = false;
            n_free -= 1;
            self.next_modem = (modem_idx + 1) % n_modems;
            chosen.push((id.clone(), modem_idx));
        }
        for (id, modem_idx) in chosen {
            self.start(&id, modem_idx);
        }
        for id in held {
            self.note_limits(&id);
        }
    }

    /// Starts the first part not sent of message `id` on modem `modem_idx`.
    fn start(&mut self, id: &str, modem_idx: usize) {
        let Some(message) = self.messages.get(id) else {
            return;
        };
        let modem = &mut self.modems[modem_idx];
        modem.blocked_until = None;
        let Some(part) = message.first_unsent() else {
            // Every part went out before a restart: finished at once.
            let references = message.sent.iter().flatten().copied().collect();
            let modem = modem.policy.name.clone();
            return self.finish(id, Outcome::Sent { modem, references });
        };
        self.write_start(id, modem_idx, part);
    }

    /// Asks for the start of part `part` of message `id` on modem
    /// `modem_idx`, which it holds from now on.
    fn write_start(&mut self, id: &str, modem_idx: usize, part: usize) {
        let modem = &mut self.modems[modem_idx];
        modem.busy = true;
        let fact = Fact::PartStarted {
            id: id.to_owned(),
            part,
            modem: modem.policy.name.clone(),
        };
        let step = Step::Starting;
        self.set_phase(
            id,
            Phase::OnModem {
                modem: modem_idx,
                part,
                step,
            },
        );
        self.write(fact, Purpose::Message(id.to_owned()));
    }

    fn part_done(&mut self, id: &str, part: usize, outcome: PartOutcome) {
        let Some(Phase::OnModem {
            modem,
            part: on,
            step: Step::Sending,
        }) = self.phase(id)
        else {
            return;
        };
        if on != part {
            return;
        }
        if let PartOutcome::Sent { mr } = outcome {
            if self.may_go_on() {
                // Its modem's next start joins the group of this `Sent`.
                return self.hand_on(id, modem, part, mr);
            }
        }
        let id = id.to_owned();
        if self.health.is_healthy() {
            let fact = self.outcome_fact(&id, modem, part, &outcome);
            let step = Step::Recording(outcome);
            self.set_phase(&id, Phase::OnModem { modem, part, step });
            self.write(fact, Purpose::Message(id));
        } else {
            // Refused without a write: it waits for the store's retry.
            self.modems[modem].busy = false;
            self.stall(&id, modem, part, outcome);
        }
    }

    /// A part's outcome could not be recorded: its message waits, holding
    /// no modem, for the store's retry to write it (fail-stop; the part is
    /// never sent again).
    fn stall(&mut self, id: &str, modem: usize, part: usize, outcome: PartOutcome) {
        let fact = self.outcome_fact(id, modem, part, &outcome);
        let phase = Phase::Stalled {
            fact,
            modem,
            part,
            outcome,
        };
        self.set_phase(id, phase);
    }

    fn outcome_fact(&self, id: &str, modem: usize, part: usize, outcome: &PartOutcome) -> Fact {
        let (id, modem) = (id.to_owned(), self.modems[modem].policy.name.clone());
        match outcome {
            PartOutcome::Sent { mr } => Fact::PartSent {
                id,
                part,
                modem,
                mr: *mr,
            },
            PartOutcome::NotSent { .. }
            | PartOutcome::Refused { .. }
            | PartOutcome::Held { .. }
            | PartOutcome::Cancelled { .. } => Fact::PartNotSent { id, part },
            PartOutcome::Unknown { reason } | PartOutcome::Failed { reason } => Fact::PartUnknown {
                id,
                part,
                modem,
                reason: reason.clone(),
            },
        }
    }

    /// A part's outcome is durable: act on it. `holds_modem`: the message
    /// still holds the modem (it may go on with its next part there).
    fn part_recorded(
        &mut self,
        id: &str,
        modem_idx: usize,
        part: usize,
        outcome: PartOutcome,
        holds_modem: bool,
        now: Instant,
    ) {
        let modem_name = self.modems[modem_idx].policy.name.clone();
        if holds_modem {
            self.modems[modem_idx].busy = false;
        }
        let Some(message) = self.messages.get_mut(id) else {
            return;
        };
        message.phase = Phase::Waiting;
        match outcome {
            PartOutcome::Sent { mr } => {
                message.note_sent(part, mr, &modem_name);
                if message.first_unsent().is_none() {
                    self.modems[modem_idx].failures_in_row = 0;
                    let references = message.sent.iter().flatten().copied().collect();
                    let outcome = Outcome::Sent {
                        modem: modem_name,
                        references,
                    };
                    return self.finish(id, outcome);
                }
                // The next part on the same modem, at once, as one send.
                if holds_modem && self.may_go_on() {
                    self.start(id, modem_idx);
                }
            }
            PartOutcome::Failed { reason } => {
                // The modem did its part; the callee did not.
                self.modems[modem_idx].failures_in_row = 0;
                let outcome = Outcome::Failed {
                    reason,
                    modem: Some(modem_name),
                    first_unsent: None,
                };
                self.finish(id, outcome);
            }
            PartOutcome::Unknown { reason } => {
                message.unknown = true;
                let name = message.name.clone();
                self.log(format!("{name}: {reason}"));
                if self.config.unknown_outcome == UnknownOutcome::Fail {
                    let reason = format!("outcome unknown: {reason}");
                    let text = format!("{name}: failed: {reason}");
                    self.alarm(Severity::Error, &modem_name, text);
                    let outcome = Outcome::Failed {
                        reason,
                        modem: Some(modem_name),
                        first_unsent: None,
                    };
                    self.finish(id, outcome);
                }
                self.modem_failed(modem_idx, now);
            }
            PartOutcome::NotSent { reason } => {
                self.not_sent(id, modem_idx, reason, now);
                self.modem_failed(modem_idx, now);
            }
            // The message's own fault: no sign that the modem is failing.
            PartOutcome::Refused { reason } => self.not_sent(id, modem_idx, reason, now),
            // Nobody's fault: it waits for the next choice of a modem.
            PartOutcome::Held { .. } => {}
            PartOutcome::Cancelled { reason } => {
                let outcome = Outcome::Failed {
                    reason,
                    modem: None,
                    first_unsent: None,
                };
                self.finish(id, outcome);
            }
        }
    }

    /// A part was refused: tried again after a backoff, or given up after
    /// the file's `Retries:` (else the modem's `send-retries`).
    fn not_sent(&mut self, id: &str, modem_idx: usize, reason: String, now: Instant) {
        let modem = &self.modems[modem_idx].policy;
        let (modem_name, send_retries) = (modem.name.clone(), modem.send_retries);
        let Some(message) = self.messages.get_mut(id) else {
            return;
        };
        message.attempts += 1;
        message.phase = Phase::Waiting;
        let retries = message.retries.unwrap_or(send_retries);
        let attempts = message.attempts;
        let name = message.name.clone();
        let first_unsent = message.first_unsent();
        if attempts > retries {
            self.log(format!("{name}: {reason}; giving up after {attempts} tries"));
            let text = format!("{name}: sending failed, given up after {attempts} tries: {reason}");
            self.alarm(Severity::Error, &modem_name, text);
            let outcome = Outcome::Failed {
                reason,
                modem: Some(modem_name),
                first_unsent,
            };
            return self.finish(id, outcome);
        }
        let wait = backoff(self.config.retry_interval, attempts);
        let at = now + wait;
        message.not_before = Some(at);
        self.retries.insert((at, id.to_owned()));
        self.log(format!(
            "{name}: {reason}; try {} of {} in {} s",
            attempts + 1,
            retries + 1,
            wait.as_secs_f32()
        ));
        let text = format!(
            "{name}: sending failed, try {} of {} in {} s: {reason}",
            attempts + 1,
            retries + 1,
            wait.as_secs_f32()
        );
        self.alarm(Severity::Notice, &modem_name, text);
    }

    /// Counts a failure of a modem, and blocks it after `block-after` in a
    /// row; a message with parts out on it then fails whole.
    fn modem_failed(&mut self, modem_idx: usize, now: Instant) {
        let modem = &mut self.modems[modem_idx];
        modem.failures_in_row += 1;
        if modem.failures_in_row < modem.policy.block_after {
            return;
        }
        let text = format!(
            "sending failed {} times in a row; modem blocked for {} s",
            modem.failures_in_row,
            modem.policy.block_time.as_secs()
        );
        let log = format!(
            "modem {}: {} failures in a row, blocked for {} s; its work goes to the others",
            modem.policy.name,
            modem.failures_in_row,
            modem.policy.block_time.as_secs()
        );
        modem.failures_in_row = 0;
        modem.blocked_until = Some(now + modem.policy.block_time);
        let name = modem.policy.name.clone();
        self.log(log);
        self.alarm(Severity::Critical, &name, text);
        self.fail_stranded(&name, "blocked now");
    }

    /// Fails whole the waiting messages with parts out on modem `name`,
    /// which is `why`: the others cannot go out on another modem.
    fn fail_stranded(&mut self, name: &str, why: &str) {
        let name = name.to_owned();
        let stranded: Vec<MessageId> = self
            .messages
            .values()
            .filter(|message| {
                matches!(message.phase, Phase::Waiting) && message.pin.as_deref() == Some(&name)
            })
            .map(|message| message.id.clone())
            .collect();
        for id in stranded {
            let message = &self.messages[&id];
            let sent = message.sent.iter().flatten().count();
            let reason = format!(
                "{sent} of {} parts went out on modem {name}, which is {why}; the others cannot go \
                 out on another modem (the recipient could not join them)",
                message.sent.len()
            );
            let first_unsent = message.first_unsent();
            self.log(format!("{}: {reason}", message.name));
            let outcome = Outcome::Failed {
                reason,
                modem: Some(name.clone()),
                first_unsent,
            };
            self.finish(&id, outcome);
        }
    }

    /// Moves message `id` to `sent/` or `failed/` (a write of the store).
    fn finish(&mut self, id: &str, outcome: Outcome) {
        let Some(message) = self.messages.get(id) else {
            return;
        };
        // A finishing message never starts again: out of the order that
        // `dispatch` walks, where a backlog of finishes waiting for their
        // batch made every dispatch walk past them all.
        self.order.remove(&message.order_key());
        if !self.health.is_healthy() {
            return self.set_phase(id, Phase::FinishStalled { outcome });
        }
        self.write_finish(id, outcome);
    }

    /// Asks for the finish of message `id`; returns the write's number.
    fn write_finish(&mut self, id: &str, outcome: Outcome) -> WriteId {
        let write = self.next_write_id(Purpose::Message(id.to_owned()));
        if let Some(message) = self.messages.get_mut(id) {
            self.actions.push_back(Action::Finish {
                write,
                id: id.to_owned(),
                name: message.name.clone(),
                origin: message.origin.clone(),
                outcome: outcome.clone(),
                unknown: message.unknown,
            });
            message.phase = Phase::Finishing { outcome };
        }
        write
    }

    fn log(&mut self, text: String) {
        self.actions.push_back(Action::Log { warn: true, text });
    }

    fn alarm(&mut self, severity: Severity, source: &str, text: String) {
        let source = source.to_owned();
        self.actions.push_back(Action::Alarm {
            severity,
            source,
            text,
        });
    }

    fn phase(&self, id: &str) -> Option<Phase> {
        self.messages.get(id).map(|message| message.phase.clone())
    }

    fn set_phase(&mut self, id: &str, phase: Phase) {
        if let Some(message) = self.messages.get_mut(id) {
            message.phase = phase;
        }
    }

    fn forget(&mut self, id: &str) {
        if let Some(message) = self.messages.remove(id) {
            self.order.remove(&message.order_key());
            if self
                .names
                .get(&message.name)
                .is_some_and(|held| *held == message.id)
            {
                self.names.remove(&message.name);
            }
        }
    }
}
