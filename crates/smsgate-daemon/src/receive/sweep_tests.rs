//! The receive side's crash and fault sweep: the pure [`Assembler`] of two
//! modems, driven as the receive task drives it, against a fake SIM per
//! modem (its slots survive a crash unless deleted), a fake network (a
//! routed PDU not acknowledged comes again), a fake clock, and a model
//! store that crashes (the world stops; what was not durable is lost) or
//! fails (ENOSPC, EIO, EACCES; also after the data went down) at its Nth
//! durable write, for every N of a mixed workload and of each of its
//! rotations; and each crash again with a second crash at the first write
//! of the recovery. After a crash the modems restart from the store's
//! durable state and the SIMs' contents. No I/O: a run takes about a
//! millisecond.
//!
//! Asserted after each run: every message stored in a SIM is in
//! `incoming/` (`report/`) exactly once and whole (its parts together,
//! none glued to another message's); a routed one at least once, twice
//! only when a crash came after it was durable and before it was
//! acknowledged (the network then delivers it again, as it must); no SIM
//! slot was deleted before what it held was durable; nothing is left held
//! and every SIM is empty but for the message stored to be sent.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::assembler::{Action, Assembler, Input};
use crate::part_store::hex_to_bytes;
use crate::receive::test_pdus::{part_from, single, REPORT, SUBMIT};
use crate::receive_store::{Held, HeldPart, Kind, Location, ReceiveStore};

const WAIT: u64 = 3600;
const MODEMS: usize = 2;

/// What goes wrong at the Nth durable write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    /// The world stops before the write is durable.
    CrashBefore,
    /// The write is durable, then the world stops (its caller never
    /// learns).
    CrashAfter,
    /// The write fails with this errno, and nothing is written.
    Fail(i32),
    /// The write fails with this errno after the data went down (an
    /// error from the directory's fsync after the rename).
    FailAfterWriting(i32),
}

/// One modem's durable state in the model store.
#[derive(Debug, Default, Clone)]
struct Durable {
    parts: BTreeMap<(String, u8), HeldPart>,
    /// Written messages by id: their kind and their PDUs by part number.
    messages: BTreeMap<String, (Kind, Vec<Vec<u8>>)>,
}

/// Everything the world is: stores, SIMs, the network, the count of
/// writes and the fault to come.
#[derive(Debug, Default)]
struct World {
    durable: [Durable; MODEMS],
    /// Each modem's SIM: slot → PDU.
    sims: [BTreeMap<u32, Vec<u8>>; MODEMS],
    /// Routed PDUs (`+CMT`) delivered but not acknowledged, per modem.
    network: [Vec<Vec<u8>>; MODEMS],
    writes: u64,
    fault: Option<(u64, Fault)>,
    crashed: bool,
    /// Routed PDUs durable but not acknowledged when the world stopped:
    /// they may come twice.
    may_repeat: Vec<(usize, Vec<u8>)>,
    /// The PDUs each SIM was given and each modem was routed.
    stored: [Vec<Vec<u8>>; MODEMS],
    routed: [Vec<Vec<u8>>; MODEMS],
    next_id: u64,
}

impl World {
    /// Counts a durable write; whether it goes through, and what the
    /// caller is told.
    fn write(&mut self) -> (bool, io::Result<()>) {
        self.writes += 1;
        match self.fault {
            Some((at, fault)) if at == self.writes => match fault {
                Fault::CrashBefore => {
                    self.crashed = true;
                    (false, Err(io::Error::other("crashed")))
                }
                Fault::CrashAfter => {
                    self.crashed = true;
                    (true, Err(io::Error::other("crashed")))
                }
                Fault::Fail(errno) => (false, Err(io::Error::from_raw_os_error(errno))),
                Fault::FailAfterWriting(errno) => (true, Err(io::Error::from_raw_os_error(errno))),
            },
            _ => (true, Ok(())),
        }
    }
}

/// The model [`ReceiveStore`] of one modem.
#[derive(Debug)]
struct ModelStore {
    modem: usize,
    world: Arc<Mutex<World>>,
}

impl ReceiveStore for ModelStore {
    fn load(&mut self) -> io::Result<Held> {
        let world = self.world.lock().unwrap();
        let durable = &world.durable[self.modem];
        Ok(Held {
            parts: durable
                .parts
                .iter()
                .map(|((id, seq), part)| (id.clone(), *seq, part.clone()))
                .collect(),
            written: durable
                .parts
                .keys()
                .filter(|(id, _)| durable.messages.contains_key(id))
                .map(|(id, _)| id.clone())
                .collect(),
        })
    }

    fn id_taken(&self, id: &str) -> bool {
        let world = self.world.lock().unwrap();
        let durable = &world.durable[self.modem];
        durable.messages.contains_key(id) || durable.parts.keys().any(|(held, _)| held == id)
    }

    fn hold_part(&mut self, id: &str, seq: u8, part: &HeldPart) -> io::Result<()> {
        let mut world = self.world.lock().unwrap();
        let (durable, result) = world.write();
        if durable {
            world.durable[self.modem]
                .parts
                .insert((id.to_owned(), seq), part.clone());
        }
        result
    }

    fn write_message(&mut self, id: &str, kind: Kind, bytes: &[u8]) -> io::Result<Location> {
        let mut world = self.world.lock().unwrap();
        let (durable, result) = world.write();
        if durable {
            // The model's rendering: the PDUs in hex, by part number.
            let pdus = String::from_utf8(bytes.to_vec())
                .unwrap()
                .split(',')
                .map(|hex| hex_to_bytes(hex).unwrap())
                .collect();
            world.durable[self.modem]
                .messages
                .insert(id.to_owned(), (kind, pdus));
        }
        result.map(|()| id.into())
    }

    fn release_parts(&mut self, id: &str, seqs: &[u8]) -> io::Result<()> {
        let mut world = self.world.lock().unwrap();
        let (durable, result) = world.write();
        if durable {
            for seq in seqs {
                world.durable[self.modem].parts.remove(&(id.to_owned(), *seq));
            }
        }
        result
    }
}

/// One step of the workload.
#[derive(Clone, Debug)]
enum Step {
    /// A PDU lands in the SIM and the modem says so (`+CMTI`): read.
    Arrive(usize, Vec<u8>),
    /// A PDU lands in the SIM silently (seen at the next listing).
    Store(usize, Vec<u8>),
    /// A PDU routed to the modem (`+CMT`, `+CDS`).
    Route(usize, Vec<u8>),
    /// The modem's next deletion fails (its slot is read again later).
    FailNextDelete(usize),
    /// A listing of the whole storage (start, poll, reconnect).
    List(usize),
    /// The clock moves on, with the polls and retries of that time.
    Wait(u64),
    /// The network delivers again what was not acknowledged.
    Redeliver(usize),
}

/// The workload, in groups whose order the rotations change.
fn workload() -> Vec<Vec<Step>> {
    use Step::*;
    let long = |seq: u8, text: &str| part_from("+37120000001", 1, seq, 3, text);
    let colliding = |seq: u8, text: &str| part_from("+4915112345678", 5, seq, 2, text);
    vec![
        vec![Arrive(0, single("one on its own"))],
        // A long message, out of order.
        vec![
            Arrive(0, long(1, "long one")),
            Arrive(0, long(3, "long three")),
            Arrive(0, long(2, "long two")),
        ],
        // Identical PDUs in two slots: two messages (item 7).
        vec![Store(1, single("ALARM")), Store(1, single("ALARM")), List(1)],
        // A slot read twice: its deletion failed (item 7).
        vec![FailNextDelete(0), Arrive(0, single("read twice")), List(0)],
        // AAA part 1, then BBB with the same reference (item 8).
        vec![
            Arrive(1, colliding(1, "AAA one")),
            Arrive(1, colliding(1, "BBB one")),
            Arrive(1, colliding(2, "BBB two")),
        ],
        vec![
            Route(0, single("routed")),
            Route(1, hex_to_bytes(REPORT).unwrap()),
        ],
        // A stored status report, and a message stored to be sent.
        vec![
            Arrive(1, hex_to_bytes(REPORT).unwrap()),
            Store(1, hex_to_bytes(SUBMIT).unwrap()),
        ],
        // The same long message's parts on the other modem: its own.
        vec![
            Arrive(1, long(2, "long two")),
            Arrive(1, long(1, "long one")),
            Arrive(1, long(3, "long three")),
        ],
        vec![Wait(WAIT)],
    ]
}

/// The workload rotated by `by` groups, then time for everything: polls,
/// the network's retries, the waits.
fn rotated(by: usize) -> Vec<Step> {
    let mut groups = workload();
    groups.rotate_left(by);
    let mut steps: Vec<Step> = groups.into_iter().flatten().collect();
    for _ in 0..2 {
        steps.push(Step::Wait(2 * WAIT));
        for modem in 0..MODEMS {
            steps.extend([Step::List(modem), Step::Redeliver(modem)]);
        }
    }
    steps
}

/// The two modems' receive tasks, as pure cores over the model.
struct Modems {
    world: Arc<Mutex<World>>,
    cores: Vec<Assembler>,
    stores: Vec<ModelStore>,
    fail_next_delete: [bool; MODEMS],
    now: u64,
}

impl Modems {
    /// Starts (or restarts) from the durable state: each modem lists its
    /// storage, and the network delivers what was not acknowledged.
    fn start(world: &Arc<Mutex<World>>, now: u64) -> Modems {
        let mut stores: Vec<ModelStore> = (0..MODEMS)
            .map(|modem| ModelStore {
                modem,
                world: world.clone(),
            })
            .collect();
        let cores = stores
            .iter_mut()
            .map(|store| Assembler::restore(store.load().unwrap(), WAIT))
            .collect();
        let mut modems = Modems {
            world: world.clone(),
            cores,
            stores,
            fail_next_delete: [false; MODEMS],
            now,
        };
        for modem in 0..MODEMS {
            modems.list(modem);
            modems.redeliver(modem);
        }
        modems
    }

    fn crashed(&self) -> bool {
        self.world.lock().unwrap().crashed
    }

    /// Runs `step`; false once the world has stopped.
    fn step(&mut self, step: &Step) -> bool {
        self.now += 1;
        match step {
            Step::Arrive(modem, pdu) => {
                let slot = self.sim_store(*modem, pdu);
                self.read(*modem, Some(slot), pdu.clone());
                self.tick(*modem);
            }
            Step::Store(modem, pdu) => {
                self.sim_store(*modem, pdu);
            }
            Step::Route(modem, pdu) => {
                {
                    let mut world = self.world.lock().unwrap();
                    world.routed[*modem].push(pdu.clone());
                    world.network[*modem].push(pdu.clone());
                }
                self.redeliver(*modem);
            }
            Step::FailNextDelete(modem) => self.fail_next_delete[*modem] = true,
            Step::List(modem) => self.list(*modem),
            Step::Redeliver(modem) => self.redeliver(*modem),
            Step::Wait(seconds) => {
                // The storage is polled (every minute at most) and the
                // network retries meanwhile: what a failed write left in
                // the SIM is taken before the wait ends.
                for modem in 0..MODEMS {
                    self.list(modem);
                    self.redeliver(modem);
                }
                self.now += seconds;
                for modem in 0..MODEMS {
                    self.tick(modem);
                }
            }
        }
        !self.crashed()
    }

    fn sim_store(&mut self, modem: usize, pdu: &[u8]) -> u32 {
        let mut world = self.world.lock().unwrap();
        world.stored[modem].push(pdu.to_vec());
        let sim = &mut world.sims[modem];
        let slot = (0..).find(|slot| !sim.contains_key(slot)).unwrap();
        sim.insert(slot, pdu.to_vec());
        slot
    }

    /// The network delivers what is not acknowledged.
    fn redeliver(&mut self, modem: usize) {
        let pending = self.world.lock().unwrap().network[modem].clone();
        for pdu in pending {
            if self.crashed() {
                return;
            }
            self.read(modem, None, pdu);
        }
        self.tick(modem);
    }

    fn list(&mut self, modem: usize) {
        let listed: Vec<(u32, Vec<u8>)> = self.world.lock().unwrap().sims[modem]
            .iter()
            .map(|(slot, pdu)| (*slot, pdu.clone()))
            .collect();
        self.cores[modem].handle(Input::ListingStarted, self.now);
        for (slot, pdu) in listed {
            if self.crashed() {
                return;
            }
            self.read(modem, Some(slot), pdu);
        }
        self.cores[modem].handle(Input::ListingDone, self.now);
        self.tick(modem);
    }

    fn read(&mut self, modem: usize, slot: Option<u32>, pdu: Vec<u8>) {
        let fresh_id = self.fresh_id(modem);
        self.cores[modem].handle(Input::Read { slot, pdu, fresh_id }, self.now);
        self.act(modem);
    }

    fn tick(&mut self, modem: usize) {
        if !self.crashed() {
            self.cores[modem].handle(Input::Tick, self.now);
            self.act(modem);
        }
    }

    fn fresh_id(&mut self, modem: usize) -> String {
        loop {
            let id = {
                let mut world = self.world.lock().unwrap();
                world.next_id += 1;
                format!("{:06}", world.next_id)
            };
            if !self.cores[modem].id_in_use(&id) && !self.stores[modem].id_taken(&id) {
                return id;
            }
        }
    }

    /// The shell: carries out each action and tells its result, until the
    /// world stops.
    fn act(&mut self, modem: usize) {
        while let Some(action) = self.cores[modem].poll_action() {
            if self.crashed() {
                return;
            }
            let store = &mut self.stores[modem];
            let result = match action {
                Action::Hold { id, seq, part } => {
                    let ok = store.hold_part(&id, seq, &part).is_ok();
                    let mut world = self.world.lock().unwrap();
                    if world.crashed
                        && part.slot.is_none()
                        && world.durable[modem].parts.contains_key(&(id.clone(), seq))
                    {
                        world.may_repeat.push((modem, part.pdu.clone()));
                    }
                    Input::Held { id, seq, ok }
                }
                Action::DeleteSlot { id, seq, slot } => {
                    let mut world = self.world.lock().unwrap();
                    let pdu = world.sims[modem].get(&slot).cloned();
                    let held = world.durable[modem]
                        .parts
                        .values()
                        .any(|part| part.slot == Some(slot) && Some(&part.pdu) == pdu.as_ref());
                    assert!(
                        held,
                        "modem {modem}: slot {slot} deleted before its PDU is durable"
                    );
                    let ok = !std::mem::take(&mut self.fail_next_delete[modem]);
                    if ok {
                        world.sims[modem].remove(&slot);
                    }
                    Input::SlotDeleted { id, seq, ok }
                }
                Action::Acknowledge { id, seq } => {
                    let mut world = self.world.lock().unwrap();
                    let part = world.durable[modem].parts.get(&(id, seq)).cloned();
                    let part = part.expect("acknowledged before it is durable");
                    let network = &mut world.network[modem];
                    if let Some(at) = network.iter().position(|pdu| *pdu == part.pdu) {
                        network.remove(at);
                    }
                    continue;
                }
                Action::KeptApart { .. } => continue,
                Action::Discard { id, seq } => {
                    let _ = store.release_parts(&id, &[seq]);
                    continue;
                }
                Action::Write(ready) => {
                    let bytes: Vec<String> = ready
                        .parts
                        .iter()
                        .map(|part| crate::part_store::bytes_to_hex(&part.held.pdu))
                        .collect();
                    let ok = store
                        .write_message(&ready.id, ready.kind, bytes.join(",").as_bytes())
                        .is_ok();
                    Input::Written { id: ready.id, ok }
                }
                Action::Release { id, seqs } => {
                    let ok = store.release_parts(&id, &seqs).is_ok();
                    Input::Released { id, ok }
                }
            };
            if self.crashed() {
                return;
            }
            self.cores[modem].handle(result, self.now);
        }
    }
}

/// Runs the workload rotated by `rotation` with `fault` at write `at`
/// and, when that is a crash and `again` is given, a second crash at the
/// first write after the restart (a crash during recovery); checks the
/// outcome. Returns how many durable writes the run made and how many
/// crashes came.
fn run(rotation: usize, fault: Option<(u64, Fault)>, again: Option<Fault>) -> (u64, usize) {
    let world = Arc::new(Mutex::new(World {
        fault,
        ..World::default()
    }));
    let mut again = again;
    let mut crashes = 0;
    let steps = rotated(rotation);
    let mut modems = Modems::start(&world, 1_000_000);
    let mut next = 0;
    while next < steps.len() {
        let step = &steps[next];
        next += 1;
        let mut up = modems.step(step);
        while !up {
            // The world stops: what is durable and the SIMs stay; the
            // modems start again.
            crashes += 1;
            let now = modems.now;
            drop(modems);
            {
                let mut world = world.lock().unwrap();
                world.crashed = false;
                world.fault = again.take().map(|fault| (world.writes + 1, fault));
            }
            modems = Modems::start(&world, now);
            up = !modems.crashed();
        }
    }
    drop(modems);
    let world = world.lock().unwrap();
    check(&world, rotation, fault);
    (world.writes, crashes)
}

/// The messages the workload makes, each as its PDUs in part order.
fn expected(world: &World, modem: usize) -> BTreeMap<Vec<Vec<u8>>, usize> {
    let mut messages: BTreeMap<Vec<Vec<u8>>, usize> = BTreeMap::new();
    let submit = hex_to_bytes(SUBMIT).unwrap();
    let mut keyed: BTreeMap<(String, u16, u8), Vec<Vec<u8>>> = BTreeMap::new();
    for pdu in world.stored[modem].iter().chain(&world.routed[modem]) {
        if *pdu == submit {
            continue;
        }
        let decoded = sms_pdu::Pdu::decode(pdu).unwrap().value;
        let key = match &decoded.tpdu {
            sms_pdu::Tpdu::Deliver(deliver) => sms_pdu::reassembly::MessageKey::of_deliver(deliver),
            _ => None,
        };
        let text = match &decoded.tpdu {
            sms_pdu::Tpdu::Deliver(deliver) => deliver.user_data.text(deliver.dcs).map(|(text, _)| text),
            _ => None,
        };
        match key {
            // AAA's part 1 and BBB's: told apart by their text.
            Some((key, _)) => keyed
                .entry((
                    key.originator,
                    key.reference,
                    text.map_or(0, |text| text.as_bytes()[0]),
                ))
                .or_default()
                .push(pdu.clone()),
            None => *messages.entry(vec![pdu.clone()]).or_default() += 1,
        }
    }
    for (_, mut parts) in keyed {
        parts.sort_by_key(|pdu| {
            let decoded = sms_pdu::Pdu::decode(pdu).unwrap().value;
            match decoded.tpdu {
                sms_pdu::Tpdu::Deliver(deliver) => {
                    sms_pdu::reassembly::MessageKey::of_deliver(&deliver).map(|(_, seq)| seq)
                }
                _ => None,
            }
        });
        *messages.entry(parts).or_default() += 1;
    }
    messages
}

fn check(world: &World, rotation: usize, fault: Option<(u64, Fault)>) {
    let case = format!("rotation {rotation}, {fault:?}");
    for modem in 0..MODEMS {
        let mut written: BTreeMap<Vec<Vec<u8>>, usize> = BTreeMap::new();
        for (_, pdus) in world.durable[modem].messages.values() {
            *written.entry(pdus.clone()).or_default() += 1;
        }
        let expected = expected(world, modem);
        for (message, count) in &expected {
            let got = written.get(message).copied().unwrap_or(0);
            let repeats = world
                .may_repeat
                .iter()
                .filter(|(repeated_modem, pdu)| *repeated_modem == modem && message.contains(pdu))
                .count();
            assert!(
                got >= *count && got <= count + repeats,
                "{case}: modem {modem}: a message written {got} times, expected {count} (+{repeats} \
                 routed again after a crash): {message:02X?}"
            );
        }
        for message in written.keys() {
            assert!(
                expected.contains_key(message),
                "{case}: modem {modem}: a message no one sent (parts glued): {message:02X?}"
            );
        }
        assert!(
            world.durable[modem].parts.is_empty(),
            "{case}: modem {modem}: parts left held"
        );
        let left: Vec<&Vec<u8>> = world.sims[modem].values().collect();
        let submit = hex_to_bytes(SUBMIT).unwrap();
        assert!(
            left.iter().all(|pdu| **pdu == submit),
            "{case}: modem {modem}: left in the SIM: {left:02X?}"
        );
        assert!(
            world.network[modem].is_empty(),
            "{case}: modem {modem}: never acknowledged"
        );
    }
}

/// Issue 11: every crash point and every failing write of the receive
/// workload, in each of its rotations.
#[test]
fn every_crash_and_failed_write_of_a_mixed_receive_workload_keeps_each_message_once() {
    let started = Instant::now();
    let rotations = workload().len();
    let mut crash_points = BTreeSet::new();
    let mut fault_points = 0;
    for rotation in 0..rotations {
        let (writes, _) = run(rotation, None, None);
        for at in 1..=writes {
            for fault in [Fault::CrashBefore, Fault::CrashAfter] {
                let (_, crashes) = run(rotation, Some((at, fault)), None);
                assert_eq!(crashes, 1, "rotation {rotation}: write {at} never came");
                crash_points.insert((rotation, at, fault, None));
                for again in [Fault::CrashBefore, Fault::CrashAfter] {
                    let (_, crashes) = run(rotation, Some((at, fault)), Some(again));
                    if crashes == 2 {
                        crash_points.insert((rotation, at, fault, Some(again)));
                    }
                }
            }
            for errno in [nix::libc::ENOSPC, nix::libc::EIO, nix::libc::EACCES] {
                for fault in [Fault::Fail(errno), Fault::FailAfterWriting(errno)] {
                    run(rotation, Some((at, fault)), None);
                    fault_points += 1;
                }
            }
        }
    }
    println!(
        "receive sweep: {} crash points, {fault_points} failing writes, {rotations} rotations, in {:?}",
        crash_points.len(),
        started.elapsed()
    );
    assert!(
        crash_points.len() >= 400,
        "only {} crash points",
        crash_points.len()
    );
}
