//! The deterministic crash and fault sweep of the send path: the pure
//! core, a fake modem pair and a model store that crashes (the world stops,
//! what was not durable is lost) or fails (ENOSPC, EIO, EACCES) at its Nth
//! durable write, for every N of a mixed workload (single and multipart
//! files, two modems that refuse, lose answers and succeed in a fixed
//! pattern, names reused). After a crash the core restarts from the
//! store's durable state and finishes. After every run: every file is
//! exactly once in `sent/` or `failed/`, no part went out twice unless its
//! file is flagged, no message's parts left through two modems unless
//! flagged, a file in `sent/` had every part go out, and no part was handed
//! to a modem before its start was durable. No I/O: a run takes
//! microseconds to milliseconds.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::ErrorKind;
use std::time::{Duration, SystemTime};

use spool::Priority;
use tokio::time::Instant;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::store::{FinishWork, Finished};
use super::*;
use crate::spool_dir::EntryId;

/// A file of the workload: its tag tells it from a later file of the same
/// name.
#[derive(Clone, Debug)]
struct File {
    tag: String,
    name: String,
    parts: usize,
    priority: Priority,
}

fn workload() -> Vec<File> {
    let file = |tag: &str, name: &str, parts: usize, priority| File {
        tag: tag.to_owned(),
        name: name.to_owned(),
        parts,
        priority,
    };
    vec![
        file("a1", "a", 1, Priority::Normal),
        file("m1", "m", 3, Priority::Normal),
        file("b1", "b", 1, Priority::High),
        file("c1", "c", 2, Priority::Normal),
        file("d1", "d", 1, Priority::Normal),
        file("e1", "e", 4, Priority::High),
        // Names reused: dropped once the first file of the name has left.
        file("a2", "a", 1, Priority::Normal),
        file("m2", "m", 2, Priority::Normal),
        file("c2", "c", 1, Priority::High),
    ]
}

/// How the store misbehaves at its Nth write.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// The world stops before write N is durable.
    CrashBefore,
    /// The world stops after write N is durable, before it is reported.
    CrashAfter,
    /// Writes N to N + count - 1 fail with `kind`, nothing written.
    Fail(ErrorKind, u64),
}

/// What a durable copy in `sent/` or `failed/` says.
#[derive(Clone, Debug)]
struct Copy {
    id: MessageId,
    tag: String,
    sent: bool,
    flagged: bool,
}

/// The store's durable state, and the fault.
#[derive(Debug, Default)]
struct ModelStore {
    open: BTreeMap<MessageId, OpenMessage>,
    /// Parts started without an outcome: (id, part) to modem.
    in_flight: BTreeMap<(MessageId, usize), String>,
    copies: Vec<Copy>,
    /// The spool's waiting files, by name (the finish unlinks them).
    spool: BTreeMap<String, File>,
    begun: u64,
    writes: u64,
    fault: Option<(u64, Fault)>,
    crashed: bool,
    /// Whether the fault was reached.
    hit: bool,
}

impl ModelStore {
    /// Counts one durable write: Ok(true) to apply it, Ok(false) to apply
    /// it and then crash, Err to fail (or crash) without applying it.
    fn write(&mut self) -> Result<bool, StoreError> {
        if self.crashed {
            return Err(injected(ErrorKind::Other, "after the crash"));
        }
        self.writes += 1;
        let Some((at, fault)) = self.fault else {
            return Ok(true);
        };
        match fault {
            Fault::CrashBefore if self.writes == at => {
                self.hit = true;
                self.crashed = true;
                Err(injected(ErrorKind::Other, "crash"))
            }
            Fault::CrashAfter if self.writes == at => {
                self.hit = true;
                Ok(false)
            }
            Fault::Fail(kind, count) if self.writes >= at && self.writes < at + count => {
                self.hit = true;
                Err(injected(kind, "injected"))
            }
            _ => Ok(true),
        }
    }

    fn done(&mut self, apply: bool) -> Result<(), StoreError> {
        match apply {
            true => Ok(()),
            false => {
                self.crashed = true;
                Err(injected(ErrorKind::Other, "crash"))
            }
        }
    }
}

fn injected(kind: ErrorKind, what: &str) -> StoreError {
    StoreError {
        kind,
        what: what.to_owned(),
    }
}

impl ModelStore {
    /// A fact, durable.
    fn apply(&mut self, fact: &Fact) {
        match fact.clone() {
            Fact::Accepted {
                id, name, reference, ..
            } => {
                self.begun += 1;
                let open = OpenMessage {
                    id: id.clone(),
                    name,
                    reference,
                    begun: self.begun,
                    ..OpenMessage::default()
                };
                self.open.insert(id, open);
            }
            Fact::PartStarted { id, part, modem } => {
                self.in_flight.insert((id, part), modem);
            }
            Fact::PartSent { id, part, modem, mr } => {
                self.in_flight.remove(&(id.clone(), part));
                if let Some(open) = self.open.get_mut(&id) {
                    open.sent.insert(part, mr);
                    open.modem.get_or_insert(modem);
                }
            }
            Fact::PartNotSent { id, part } => {
                self.in_flight.remove(&(id, part));
            }
            Fact::PartUnknown {
                id,
                part,
                modem,
                reason,
            } => {
                self.in_flight.remove(&(id.clone(), part));
                if let Some(open) = self.open.get_mut(&id) {
                    open.unknown = Some((part, modem, reason));
                }
            }
            Fact::Ended { id } => {
                self.open.remove(&id);
            }
            Fact::Probe => {}
        }
    }
}

impl ModelStore {
    /// One durable write per fact, committed as a group: a failure fails
    /// the group, nothing of it applied; a crash in the middle leaves the
    /// facts before it durable (each is true on its own).
    fn record_all(&mut self, facts: &[Fact]) -> Result<(), StoreError> {
        for n in 0..facts.len() {
            match self.write() {
                Ok(true) => {}
                // Durable through this one, then the crash.
                Ok(false) => {
                    facts[..=n].iter().for_each(|fact| self.apply(fact));
                    return self.done(false);
                }
                Err(err) => {
                    if self.crashed {
                        facts[..n].iter().for_each(|fact| self.apply(fact));
                    }
                    return Err(err);
                }
            }
        }
        facts.iter().for_each(|fact| self.apply(fact));
        Ok(())
    }

    /// The spool's finish work: each copy (and the unlink of its original)
    /// a durable write. A failure or a crash at a copy leaves the copies
    /// before it made.
    fn copy_all(&mut self, finished: &[Finished]) -> Result<(), StoreError> {
        for one in finished {
            // A copy of this message made by an earlier try is not made
            // again, nor a newer file of the name unlinked.
            if self.copies.iter().any(|copy| copy.id == one.id) {
                continue;
            }
            let apply = self.write()?;
            let tag = one.origin.clone();
            if self.spool.get(&one.name).is_some_and(|file| file.tag == tag) {
                self.spool.remove(&one.name);
            }
            self.copies.push(Copy {
                id: one.id.clone(),
                tag,
                sent: matches!(one.outcome, Outcome::Sent { .. }),
                flagged: one.content == b"flagged",
            });
            self.done(apply)?;
        }
        Ok(())
    }

    fn open_messages(&self) -> Vec<OpenMessage> {
        let mut open: Vec<OpenMessage> = self.open.values().cloned().collect();
        for message in &mut open {
            // A start without an outcome: the crash came in its exchange.
            let started = self.in_flight.iter().find(|((id, _), _)| *id == message.id);
            if let Some(((_, part), modem)) = started {
                message.unknown = Some((*part, modem.clone(), "the daemon stopped".into()));
            }
        }
        open
    }
}

/// The model store as the shell sees it: shared with the finish work,
/// which the pipelined runs carry out a turn or more after it was handed
/// out, as the writer thread does.
#[derive(Debug, Clone)]
struct Model(Arc<Mutex<ModelStore>>);

impl Model {
    fn lock(&self) -> MutexGuard<'_, ModelStore> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The model's finish work: the copies, when it is run.
struct ModelFinish(Model);

impl FinishWork for ModelFinish {
    fn run(self: Box<Self>, finished: &[Finished]) -> Result<(), StoreError> {
        self.0.lock().copy_all(finished)
    }
}

impl MessageStore for Model {
    fn record_all(&mut self, facts: &[Fact]) -> Result<(), StoreError> {
        self.lock().record_all(facts)
    }

    fn begin_finish(&mut self, _ids: &[MessageId]) -> Box<dyn FinishWork> {
        Box::new(ModelFinish(self.clone()))
    }

    fn finish_done(&mut self, _ids: &[MessageId], _result: &Result<(), StoreError>) {}

    fn open_messages(&self) -> Vec<OpenMessage> {
        self.lock().open_messages()
    }
}

/// The world that outlives a crash: the store, the files still to come,
/// what went out on the air, and the modems' counters.
struct World {
    store: Model,
    later: VecDeque<File>,
    /// (tag, part, modem) per transmission.
    air: Vec<(String, usize, String)>,
    modem_sends: HashMap<String, u32>,
    t0: Instant,
    now: Instant,
    unknown_outcome: UnknownOutcome,
    next_id: u64,
    /// Writes gathered and committed in groups, as the scheduler does
    /// (group commit, finishes through the pipeline), with every modem
    /// answer in by then fed first; else each written as it is asked for.
    batched: bool,
    /// In the batched runs: how many turns of the shell a finish batch
    /// takes at the writer (0: back before the next answers).
    writer_lag: usize,
}

/// What the fake modem does with its `n`th part (from 1): a fixed pattern
/// of successes, refusals, refusals blamed on the message, and lost
/// answers (the part went out, the modem's answer did not come).
fn modem_answer(modem: &str, n: u32) -> (PartOutcome, bool) {
    let shift = if modem == "m0" { 0 } else { 3 };
    match (n + shift) % 11 {
        4 => (
            PartOutcome::NotSent {
                reason: "+CMS ERROR: 38".into(),
            },
            false,
        ),
        7 => (
            PartOutcome::Refused {
                reason: "+CMS ERROR: 21".into(),
            },
            false,
        ),
        9 => (
            PartOutcome::Unknown {
                reason: "no answer".into(),
            },
            true,
        ),
        _ => (PartOutcome::Sent { mr: (n % 256) as u8 }, true),
    }
}

fn modems() -> Vec<ModemPolicy> {
    ["m0", "m1"]
        .iter()
        .map(|name| ModemPolicy {
            name: (*name).to_owned(),
            queues: Vec::new(),
            send: true,
            send_retries: 2,
            block_after: 2,
            block_time: Duration::from_secs(600),
        })
        .collect()
}

mod group;

use group::{finished_of, Group, LARGEST_BATCH, LARGEST_GROUP, SHARED_STARTS};

impl World {
    fn new(
        unknown_outcome: UnknownOutcome,
        fault: Option<(u64, Fault)>,
        batched: bool,
        writer_lag: usize,
    ) -> World {
        let mut files = VecDeque::from(workload());
        let mut store = ModelStore {
            fault,
            ..ModelStore::default()
        };
        // The first file of each name is there at the start.
        let mut later = VecDeque::new();
        while let Some(file) = files.pop_front() {
            match store.spool.contains_key(&file.name) {
                true => later.push_back(file),
                false => {
                    store.spool.insert(file.name.clone(), file);
                }
            }
        }
        let t0 = Instant::now();
        World {
            store: Model(Arc::new(Mutex::new(store))),
            later,
            air: Vec::new(),
            modem_sends: HashMap::new(),
            t0,
            now: t0,
            unknown_outcome,
            next_id: 0,
            batched,
            writer_lag,
        }
    }

    /// Runs one daemon life, from the store's durable state, until the
    /// spool is empty or the world crashes.
    fn run(&mut self) {
        let config = PolicyConfig {
            retry_interval: Duration::from_secs(10),
            unknown_outcome: self.unknown_outcome,
            store_retry: RetryPolicy::default(),
        };
        let mut policy = SendPolicy::new(config, modems());
        let recovered = self
            .store
            .open_messages()
            .into_iter()
            .map(|open| {
                let store = self.store.lock();
                let presence = if store.copies.iter().any(|copy| copy.id == open.id) {
                    Presence::Finished
                } else if store.spool.contains_key(&open.name) {
                    Presence::Waiting
                } else {
                    Presence::Gone
                };
                (open, presence)
            })
            .collect();
        policy.handle(Input::Recovered(recovered), self.now);
        let mut tags: HashMap<MessageId, String> = HashMap::new();
        let mut answers: VecDeque<(MessageId, usize, PartOutcome)> = VecDeque::new();
        let mut group = Group::default();
        for _ in 0..100_000 {
            // The writer back with its batch, in the batched runs: a failed
            // one is reported now, a written one's ends go with this turn's
            // facts.
            for (write, result) in group.writer(&mut self.store, false) {
                policy.handle(Input::Stored { write, result }, self.now);
            }
            if self.crashed() {
                return;
            }
            loop {
                while let Some(action) = policy.poll_action() {
                    if self.batched {
                        if let Some(action) = group.gather(action) {
                            self.act(action, &mut tags, &mut answers);
                        }
                        continue;
                    }
                    if let Some(input) = self.act(action, &mut tags, &mut answers) {
                        policy.handle(input, self.now);
                    }
                    if self.crashed() {
                        return;
                    }
                }
                let reports = group.commit(&mut self.store);
                if reports.is_empty() {
                    break;
                }
                for (write, result) in reports {
                    policy.handle(Input::Stored { write, result }, self.now);
                }
                if self.crashed() {
                    return;
                }
            }
            if self.batched {
                group.submit(&mut self.store, self.writer_lag);
            }
            if self.batched && !answers.is_empty() {
                // Every answer in by now, from both modems, in one turn.
                while let Some((id, part, outcome)) = answers.pop_front() {
                    policy.handle(Input::PartDone { id, part, outcome }, self.now);
                }
                continue;
            }
            if let Some((id, part, outcome)) = answers.pop_front() {
                policy.handle(Input::PartDone { id, part, outcome }, self.now);
                continue;
            }
            // Users drop a reused name once the earlier file has left.
            while let Some(file) = self.later.front() {
                let mut store = self.store.lock();
                if store.spool.contains_key(&file.name) {
                    break;
                }
                let file = self.later.pop_front().unwrap_or_else(|| unreachable!());
                store.spool.insert(file.name.clone(), file);
            }
            // The shell's scan: intake only while the store takes writes.
            let mut offered = false;
            if policy.is_healthy() {
                let files: Vec<File> = self
                    .store
                    .lock()
                    .spool
                    .values()
                    .filter(|file| !policy.holds(&file.name))
                    .cloned()
                    .collect();
                for file in files {
                    self.next_id += 1;
                    let offer = Offer {
                        name: file.name.clone(),
                        origin: file.tag.clone(),
                        fresh_id: format!("id{}", self.next_id),
                        priority: file.priority,
                        arrived: SystemTime::UNIX_EPOCH,
                        queue: None,
                        parts: file.parts,
                        reference: 0,
                        retries: None,
                        refusal: None,
                        call: false,
                        hold: super::hold::Hold::default(),
                    };
                    policy.handle(Input::Offered(offer), self.now);
                    offered = true;
                }
            }
            if offered {
                // As the scheduler's loop: the files just offered come due
                // together, before their accepts are committed (their first
                // starts join that group).
                policy.handle_timeout(self.now);
                continue;
            }
            // Nothing else happens until the writer is back.
            if group.at_writer.is_some() {
                continue;
            }
            if self.store.lock().spool.is_empty() && self.later.is_empty() && policy.is_idle() {
                return;
            }
            let Some(at) = policy.poll_timeout(self.now) else {
                panic!("stuck: nothing due, files waiting: {:?}", self.store.lock().spool);
            };
            self.now = at.max(self.now);
            policy.handle_timeout(self.now);
        }
        panic!("no end after 100000 steps");
    }

    fn crashed(&self) -> bool {
        self.store.lock().crashed
    }

    /// Does one action; returns the input that reports it, if any.
    fn act(
        &mut self,
        action: Action,
        tags: &mut HashMap<MessageId, String>,
        answers: &mut VecDeque<(MessageId, usize, PartOutcome)>,
    ) -> Option<Input> {
        match action {
            Action::Write { write, fact } => {
                let result = self.store.record(&fact);
                Some(Input::Stored { write, result })
            }
            Action::Finish {
                write,
                id,
                name,
                origin,
                outcome,
                unknown,
            } => {
                let finished = finished_of(id, name, origin, outcome, unknown);
                let result = self.store.finish(&finished);
                Some(Input::Stored { write, result })
            }
            Action::Accepted { id, name } => {
                let tag = self.store.lock().spool.get(&name).map(|file| file.tag.clone());
                tags.insert(
                    id,
                    tag.unwrap_or_else(|| panic!("{name}: accepted, not in the spool")),
                );
                None
            }
            Action::StartPart { id, part, modem } => {
                // Its facts are durable before the part goes out.
                let store = self.store.lock();
                assert!(
                    store.open.contains_key(&id),
                    "{id}: part {part} sent before its accept"
                );
                assert_eq!(
                    store.in_flight.get(&(id.clone(), part)),
                    Some(&modem),
                    "{id}: part {part} sent before its start was durable"
                );
                drop(store);
                let sends = self.modem_sends.entry(modem.clone()).or_default();
                *sends += 1;
                let (outcome, went_out) = modem_answer(&modem, *sends);
                if went_out {
                    self.air.push((tags[&id].clone(), part, modem));
                }
                answers.push_back((id, part, outcome));
                None
            }
            Action::Dropped { .. }
            | Action::Alarm { .. }
            | Action::StoreRecovered { .. }
            | Action::Log { .. } => None,
        }
    }

    /// The invariants, after the last run.
    fn check(&self, label: &str) {
        let files = workload();
        let store = self.store.lock();
        assert!(store.spool.is_empty(), "{label}: left waiting: {:?}", store.spool);
        for file in &files {
            let copies: Vec<&Copy> = store.copies.iter().filter(|copy| copy.tag == file.tag).collect();
            assert_eq!(
                copies.len(),
                1,
                "{label}: {} finished {} times",
                file.tag,
                copies.len()
            );
            let copy = copies[0];
            let sends: Vec<&(String, usize, String)> =
                self.air.iter().filter(|(tag, ..)| *tag == file.tag).collect();
            let mut per_part: BTreeMap<usize, usize> = BTreeMap::new();
            for (_, part, _) in &sends {
                *per_part.entry(*part).or_default() += 1;
            }
            let modems: BTreeSet<&str> = sends.iter().map(|(.., modem)| modem.as_str()).collect();
            if !copy.flagged {
                assert!(
                    per_part.values().all(|&n| n == 1),
                    "{label}: {}: a part went out twice, unflagged: {sends:?}",
                    file.tag
                );
                assert!(
                    modems.len() <= 1,
                    "{label}: {}: parts on two modems, unflagged: {sends:?}",
                    file.tag
                );
            }
            if copy.sent {
                assert_eq!(
                    per_part.len(),
                    file.parts,
                    "{label}: {} in sent/ without every part",
                    file.tag
                );
            }
        }
        assert_eq!(store.copies.len(), files.len(), "{label}: a copy of no file");
        assert!(store.open.is_empty(), "{label}: left open: {:?}", store.open);
    }

    fn elapsed(&self) -> Duration {
        self.now - self.t0
    }
}

/// One run with `fault` at write `at`: returns whether the fault was hit.
fn run_once(unknown_outcome: UnknownOutcome, fault: Option<(u64, Fault)>, mode: (bool, usize)) -> bool {
    let (batched, writer_lag) = mode;
    let label = format!("{unknown_outcome:?} {fault:?} batched {batched} writer lag {writer_lag}");
    let mut world = World::new(unknown_outcome, fault, batched, writer_lag);
    world.run();
    let hit = world.store.lock().hit;
    if world.crashed() {
        // The restart: from what is durable, with a store that works.
        let mut store = world.store.lock();
        store.crashed = false;
        store.fault = None;
        drop(store);
        world.run();
    }
    world.check(&label);
    assert!(
        world.elapsed() < Duration::from_secs(86_400),
        "{label}: took a simulated day"
    );
    hit
}

#[test]
fn every_crash_and_write_failure_point_keeps_each_message_once_and_no_part_twice_unflagged() {
    let started = std::time::Instant::now();
    let faults = [
        Fault::CrashBefore,
        Fault::CrashAfter,
        Fault::Fail(ErrorKind::StorageFull, 1),
        Fault::Fail(ErrorKind::Other, 3),
        Fault::Fail(ErrorKind::PermissionDenied, 1),
        // A long outage: the retries fail too, with sends on the modems.
        Fault::Fail(ErrorKind::StorageFull, 12),
    ];
    let mut points = 0;
    let mut per_mode = Vec::new();
    // Each write on its own; and in groups as the scheduler commits them,
    // with the finish batch back from the writer before the next answers
    // or a turn later (the facts of that turn written while it works).
    for mode in [(false, 0), (true, 0), (true, 1)] {
        let before = points;
        for unknown_outcome in [UnknownOutcome::Fail, UnknownOutcome::Resend] {
            // The workload without faults first: every file once, as always.
            assert!(!run_once(unknown_outcome, None, mode));
            for fault in faults {
                for at in 1.. {
                    if !run_once(unknown_outcome, Some((at, fault)), mode) {
                        break;
                    }
                    points += 1;
                }
            }
        }
        per_mode.push(points - before);
    }
    let largest = LARGEST_GROUP.with(std::cell::Cell::get);
    let largest_batch = LARGEST_BATCH.with(std::cell::Cell::get);
    let (accepts, sends) = SHARED_STARTS.with(std::cell::Cell::get);
    println!(
        "send-path crash/fault sweep: {points} distinct crash and failure points in {:.2} s \
         ({per_mode:?} one by one, pipelined, pipelined with a slow writer; groups of up to \
         {largest} writes, finish batches of up to {largest_batch}; {accepts} groups with a \
         first start and its accept, {sends} with a sent part and a start)",
        started.elapsed().as_secs_f64()
    );
    assert!(
        largest >= 3,
        "the batched runs never committed a group: {largest}"
    );
    assert!(
        largest_batch >= 2,
        "the pipelined runs never finished a batch: {largest_batch}"
    );
    assert!(points >= 2_100, "only {points} points");
    // The grouped starts (policy/grouping.rs) are crashed and failed too.
    assert!(
        accepts > 0 && sends > 0,
        "no start shared a group: {accepts} with an accept, {sends} with a sent part"
    );
}
