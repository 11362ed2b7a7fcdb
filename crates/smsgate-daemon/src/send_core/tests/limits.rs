//! The SIMs' limits in the choice of a modem ([`Admission`]), parts held
//! back by a count that could not be written ([`PartOutcome::Held`]) or a
//! cancel ([`PartOutcome::Cancelled`]), and the policy's snapshot, on the
//! fake clock.

use std::sync::{Arc, Mutex};

use super::*;

/// The SMS each modem may still send; a modem not named has no limits.
#[derive(Clone, Debug, Default)]
struct FakeLimits(Arc<Mutex<BTreeMap<String, u32>>>);

impl FakeLimits {
    fn set(&self, modem: &str, parts: u32) {
        self.0.lock().unwrap().insert(modem.to_owned(), parts);
    }
}

impl Admission for FakeLimits {
    fn admits(&mut self, modem: &str, parts: u32) -> Result<(), String> {
        match self.0.lock().unwrap().get(modem) {
            Some(&left) if parts > left => Err(format!("{left} SMS left today")),
            _ => Ok(()),
        }
    }
}

fn limited(modems: &[&str]) -> (Bench, FakeLimits) {
    let limits = FakeLimits::default();
    let mut bench = Bench::new(modems, UnknownOutcome::Fail);
    let policy = std::mem::replace(
        &mut bench.policy,
        SendPolicy::new(config(UnknownOutcome::Fail), Vec::new()),
    );
    bench.policy = policy.with_admission(Box::new(limits.clone()));
    (bench, limits)
}

fn waits_said(bench: &Bench, name: &str) -> usize {
    let said = format!("{name}: waits: every modem serving it is at a limit");
    bench.logs.iter().filter(|text| text.starts_with(&said)).count()
}

#[test]
fn a_modem_at_its_limit_is_passed_over_and_a_message_all_limits_hold_is_said_once() {
    let (mut bench, limits) = limited(&["m0", "m1"]);
    // m0 has one SMS left: a message of two parts goes to m1.
    limits.set("m0", 1);
    bench.input(Input::Offered(offer("a", 2, Priority::Normal, 1)));
    assert_eq!(bench.starts(), [("id-a", 1, "m1")]);
    bench.answer_last(sent());
    bench.answer_last(sent());
    assert_eq!(bench.starts().len(), 2);
    // Every modem at a limit: it waits, said once however often it is looked at.
    limits.set("m1", 0);
    bench.input(Input::Offered(offer("b", 2, Priority::Normal, 2)));
    for secs in 1..5 {
        bench.advance_to(secs);
    }
    assert_eq!(bench.starts().len(), 2, "nothing more starts");
    assert_eq!(waits_said(&bench, "b"), 1, "{:?}", bench.logs);
    let said = bench
        .logs
        .iter()
        .find(|text| text.starts_with("b: waits"))
        .unwrap();
    assert!(
        said.contains("modem m0: 1 SMS left today") && said.contains("modem m1: 0 SMS left today"),
        "{said}"
    );
    // A limit that lets it through again: it goes.
    limits.set("m0", 5);
    bench.advance_to(6);
    assert_eq!(bench.starts()[2], ("id-b", 1, "m0"));
    // A message nothing else holds is not said to wait for limits.
    assert_eq!(waits_said(&bench, "a"), 0);
}

#[test]
fn a_busy_modem_without_limits_reached_is_no_wait_for_limits() {
    let (mut bench, limits) = limited(&["m0", "m1"]);
    limits.set("m1", 0);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 1)));
    bench.input(Input::Offered(offer("b", 1, Priority::Normal, 2)));
    assert_eq!(bench.starts(), [("id-a", 1, "m0")]);
    // b waits for m0, which is busy but admits it: no word of limits.
    assert_eq!(waits_said(&bench, "b"), 0, "{:?}", bench.logs);
    bench.answer_last(sent());
    assert_eq!(bench.starts()[1], ("id-b", 1, "m0"));
}

#[test]
fn a_voice_call_is_not_held_by_a_limit() {
    let (mut bench, limits) = limited(&["m0"]);
    limits.set("m0", 0);
    let mut call = offer("call", 1, Priority::Normal, 1);
    call.call = true;
    bench.input(Input::Offered(call));
    assert_eq!(bench.starts(), [("id-call", 1, "m0")]);
}

#[test]
fn a_part_held_back_counts_no_try_and_no_modem_failure() {
    let (mut bench, limits) = limited(&["m0"]);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 1)));
    // More holds than send-retries (2) and block-after (3) allow.
    for _ in 0..5 {
        let held = PartOutcome::Held {
            reason: "cannot write its message counts".into(),
        };
        limits.set("m0", 0);
        bench.answer_last(held);
        limits.set("m0", 1);
        bench.advance_to(1);
    }
    assert_eq!(bench.starts().len(), 6, "started again each time");
    assert!(bench.finished.is_empty(), "{:?}", bench.finished);
    assert_eq!(bench.policy.failures_in_row("m0"), Some(0));
    assert!(bench.alarms.is_empty(), "{:?}", bench.alarms);
    // The start without outcome is closed in the store.
    let not_sent = bench
        .facts
        .iter()
        .filter(|fact| matches!(fact, Fact::PartNotSent { .. }))
        .count();
    assert_eq!(not_sent, 5);
    bench.answer_last(sent());
    assert_eq!(bench.finished.len(), 1);
}

#[test]
fn the_snapshot_counts_blocked_modems_held_messages_and_parts_out() {
    let mut bench = Bench::new(&["m0", "m1"], UnknownOutcome::Fail);
    assert_eq!(bench.policy.snapshot(bench.now), PolicySnapshot::default());
    for (idx, name) in ["a", "b", "c"].into_iter().enumerate() {
        bench.input(Input::Offered(offer(name, 1, Priority::Normal, idx as u64)));
    }
    let snapshot = bench.policy.snapshot(bench.now);
    assert_eq!((snapshot.queued, snapshot.sending, snapshot.blocked), (3, 2, 0));
    // m0 fails block-after (3) times in a row: blocked.
    for secs in [100, 200, 300] {
        let on_m0 = bench
            .started
            .iter()
            .rposition(|(_, _, modem)| modem == "m0")
            .unwrap();
        let (id, part, _) = bench.started[on_m0].clone();
        bench.input(Input::PartDone {
            id,
            part,
            outcome: not_sent(),
        });
        bench.advance_to(secs);
    }
    assert!(bench.policy.blocked_until("m0").is_some());
    assert_eq!(bench.policy.snapshot(bench.now).blocked, 1);
}

#[test]
fn a_message_cancelled_before_its_first_part_fails_without_a_modem_or_a_try_counted() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::Offered(offer("a", 2, Priority::Normal, 1)));
    let cancelled = PartOutcome::Cancelled {
        reason: "cancelled over the HTTP API".into(),
    };
    bench.answer_last(cancelled);
    assert_eq!(bench.starts().len(), 1, "nothing more starts");
    let (id, outcome, unknown) = bench.finished.last().cloned().expect("it finished");
    assert_eq!(id, "id-a");
    assert!(!unknown);
    assert_eq!(
        outcome,
        Outcome::Failed {
            reason: "cancelled over the HTTP API".into(),
            modem: None,
            first_unsent: None,
        }
    );
    assert_eq!(bench.policy.failures_in_row("m0"), Some(0));
    assert!(bench.policy.is_idle());
}
