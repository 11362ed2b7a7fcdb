//! The send policy on a fake clock: priority, round robin, backoff,
//! blocking, part-to-modem affinity, unknown outcomes and the store's
//! fail-stop, each in microseconds (the daemon's end-to-end tests of the
//! same behaviour stay, with their real waits).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::time::{Duration, SystemTime};

use spool::Priority;
use tokio::time::Instant;

use super::*;

mod grouping;
mod holding;
mod limits;
mod ops;

fn config(unknown_outcome: UnknownOutcome) -> PolicyConfig {
    PolicyConfig {
        retry_interval: Duration::from_secs(10),
        unknown_outcome,
        store_retry: RetryPolicy {
            first: Duration::from_secs(1),
            max: Duration::from_secs(8),
        },
    }
}

fn modem(name: &str) -> ModemPolicy {
    ModemPolicy {
        name: name.to_owned(),
        queues: Vec::new(),
        send: true,
        send_retries: 2,
        block_after: 3,
        block_time: Duration::from_secs(3600),
    }
}

fn offer(name: &str, parts: usize, priority: Priority, arrived_s: u64) -> Offer {
    Offer {
        name: name.to_owned(),
        origin: format!("outgoing/{name}"),
        fresh_id: format!("id-{name}"),
        priority,
        arrived: SystemTime::UNIX_EPOCH + Duration::from_secs(arrived_s),
        queue: None,
        parts,
        reference: 1,
        retries: None,
        refusal: None,
        call: false,
        hold: hold::Hold::default(),
    }
}

/// The policy, a fake clock, and a store that takes every write unless
/// told otherwise.
struct Bench {
    policy: SendPolicy,
    t0: Instant,
    now: Instant,
    /// Facts written, in order.
    facts: Vec<Fact>,
    /// Parts handed to modems: (id, part, modem).
    started: Vec<(String, usize, String)>,
    finished: Vec<(String, Outcome, bool)>,
    alarms: Vec<(Severity, String, String)>,
    /// The decisions logged.
    logs: Vec<String>,
    /// Writes to fail, by kind, from the next one on.
    failing: Option<ErrorKind>,
    /// Finishes to fail, by kind.
    failing_finish: Option<ErrorKind>,
    /// Whether to answer writes at once (else they wait in `unanswered`).
    answer: bool,
    unanswered: Vec<WriteId>,
}

impl Bench {
    fn new(modems: &[&str], unknown_outcome: UnknownOutcome) -> Bench {
        let t0 = Instant::now();
        let modems = modems.iter().map(|name| modem(name)).collect();
        Bench {
            policy: SendPolicy::new(config(unknown_outcome), modems),
            t0,
            now: t0,
            facts: Vec::new(),
            started: Vec::new(),
            finished: Vec::new(),
            alarms: Vec::new(),
            logs: Vec::new(),
            failing: None,
            failing_finish: None,
            answer: true,
            unanswered: Vec::new(),
        }
    }

    fn with_modems(modems: Vec<ModemPolicy>) -> Bench {
        let mut bench = Bench::new(&[], UnknownOutcome::Fail);
        bench.policy = SendPolicy::new(config(UnknownOutcome::Fail), modems);
        bench
    }

    /// One input, then the tick the shell's loop gives after each event.
    fn input(&mut self, input: Input) {
        self.policy.handle(input, self.now);
        self.drain();
        self.policy.handle_timeout(self.now);
        self.drain();
    }

    /// Answers the core's actions until it has none.
    fn drain(&mut self) {
        while let Some(action) = self.policy.poll_action() {
            match action {
                Action::Write { write, fact } => {
                    if !self.answer {
                        self.unanswered.push(write);
                        continue;
                    }
                    let result = self.store(fact);
                    self.policy.handle(Input::Stored { write, result }, self.now);
                }
                Action::Finish {
                    write,
                    id,
                    outcome,
                    unknown,
                    ..
                } => {
                    let result = match self.failing.or(self.failing_finish) {
                        Some(kind) => Err(StoreError {
                            kind,
                            what: "injected".into(),
                        }),
                        None => {
                            self.finished.push((id, outcome, unknown));
                            Ok(())
                        }
                    };
                    self.policy.handle(Input::Stored { write, result }, self.now);
                }
                Action::StartPart { id, part, modem } => self.started.push((id, part, modem)),
                Action::Alarm {
                    severity,
                    source,
                    text,
                } => self.alarms.push((severity, source, text)),
                Action::Log { text, .. } => self.logs.push(text),
                Action::Accepted { .. } | Action::Dropped { .. } | Action::StoreRecovered { .. } => {}
            }
        }
    }

    fn store(&mut self, fact: Fact) -> Result<(), StoreError> {
        if let Some(kind) = self.failing {
            return Err(StoreError {
                kind,
                what: "injected".into(),
            });
        }
        self.facts.push(fact);
        Ok(())
    }

    /// The modem answers the last part handed out.
    fn answer_last(&mut self, outcome: PartOutcome) {
        let (id, part, _) = self.started.last().cloned().expect("a part was started");
        self.input(Input::PartDone { id, part, outcome });
    }

    fn advance_to(&mut self, secs: u64) {
        self.now = self.t0 + Duration::from_secs(secs);
        self.policy.handle_timeout(self.now);
        self.drain();
    }

    fn starts(&self) -> Vec<(&str, usize, &str)> {
        let starts = self.started.iter();
        starts
            .map(|(id, part, modem)| (id.as_str(), *part, modem.as_str()))
            .collect()
    }
}

fn sent() -> PartOutcome {
    PartOutcome::Sent { mr: 1 }
}

fn not_sent() -> PartOutcome {
    PartOutcome::NotSent {
        reason: "+CMS ERROR: 38".into(),
    }
}

#[test]
fn high_priority_first_then_the_oldest() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.answer = false;
    // Accepted facts wait: nothing is queued before they are durable.
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 5)));
    bench.input(Input::Offered(offer("b", 1, Priority::High, 9)));
    bench.input(Input::Offered(offer("c", 1, Priority::Normal, 1)));
    assert!(bench.started.is_empty());
    bench.answer = true;
    for write in std::mem::take(&mut bench.unanswered) {
        bench.input(Input::Stored {
            write,
            result: Ok(()),
        });
    }
    // The one modem took the first accepted; then the order decides.
    for _ in 0..3 {
        bench.answer_last(sent());
    }
    let order: Vec<&str> = bench.starts().iter().map(|start| start.0).collect();
    assert_eq!(order, ["id-a", "id-b", "id-c"]);
    let finished: Vec<&str> = bench.finished.iter().map(|done| done.0.as_str()).collect();
    assert_eq!(finished, ["id-a", "id-b", "id-c"]);
}

#[test]
fn the_files_of_one_scan_are_handed_out_in_priority_order() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    // One scan: three files offered (and accepted) before the tick.
    for (name, priority, arrived) in [
        ("second normal", Priority::Normal, 2),
        ("urgent", Priority::High, 3),
        ("first normal", Priority::Normal, 1),
    ] {
        bench
            .policy
            .handle(Input::Offered(offer(name, 1, priority, arrived)), bench.now);
        bench.drain();
    }
    assert!(bench.started.is_empty(), "nothing before the tick");
    assert_eq!(bench.policy.poll_timeout(bench.now), Some(bench.now));
    bench.advance_to(0);
    for _ in 0..2 {
        bench.answer_last(sent());
    }
    let order: Vec<&str> = bench.starts().iter().map(|start| start.0).collect();
    assert_eq!(order, ["id-urgent", "id-first normal", "id-second normal"]);
}

#[test]
fn a_backlog_goes_in_priority_order_and_modems_take_turns() {
    // The files come before any modem: then both modems join.
    let mut bench = Bench::with_modems(Vec::new());
    bench.input(Input::Offered(offer("late", 1, Priority::Normal, 3)));
    bench.input(Input::Offered(offer("urgent", 1, Priority::High, 4)));
    bench.input(Input::Offered(offer("early", 1, Priority::Normal, 2)));
    bench.input(Input::ModemAdded(modem("m0")));
    assert_eq!(bench.starts(), [("id-urgent", 1, "m0")]);
    bench.input(Input::ModemAdded(modem("m1")));
    assert_eq!(bench.starts()[1], ("id-early", 1, "m1"));
    bench.input(Input::PartDone {
        id: "id-early".into(),
        part: 1,
        outcome: sent(),
    });
    // Round robin: m1 was last, so the next free modem tried is m0 (busy),
    // then m1.
    assert_eq!(bench.starts()[2], ("id-late", 1, "m1"));
}

#[test]
fn a_part_starts_only_after_its_start_is_durable() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::Offered(offer("a", 2, Priority::Normal, 0)));
    bench.answer = false;
    bench.answer_last(sent());
    // Its outcome not yet durable: part 2 waits.
    assert_eq!(bench.started.len(), 1);
    let write = bench.unanswered.pop().unwrap();
    bench.input(Input::Stored {
        write,
        result: Ok(()),
    });
    // Part 2's start is asked for, not yet durable: not on the modem.
    assert_eq!(bench.started.len(), 1);
    assert!(bench.policy.poll_action().is_none());
    let write = bench.unanswered.pop().unwrap();
    bench.answer = true;
    bench.input(Input::Stored {
        write,
        result: Ok(()),
    });
    assert_eq!(bench.starts(), [("id-a", 1, "m0"), ("id-a", 2, "m0")]);
}

#[test]
fn a_refused_part_is_retried_with_doubling_backoff_then_the_file_fails() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    bench.answer_last(PartOutcome::Refused {
        reason: "+CMS ERROR: 21".into(),
    });
    assert_eq!(
        bench.policy.poll_timeout(bench.now),
        Some(bench.t0 + Duration::from_secs(10))
    );
    bench.advance_to(9);
    assert_eq!(bench.started.len(), 1, "not before its backoff");
    bench.advance_to(10);
    assert_eq!(bench.started.len(), 2);
    bench.answer_last(PartOutcome::Refused {
        reason: "+CMS ERROR: 21".into(),
    });
    assert_eq!(
        bench.policy.poll_timeout(bench.now),
        Some(bench.t0 + Duration::from_secs(30))
    );
    bench.advance_to(30);
    bench.answer_last(PartOutcome::Refused {
        reason: "+CMS ERROR: 21".into(),
    });
    // send-retries 2: three tries, then failed/.
    assert_eq!(bench.started.len(), 3);
    assert!(matches!(
        &bench.finished[..],
        [(_, Outcome::Failed { .. }, false)]
    ));
    let texts: Vec<&str> = bench.alarms.iter().map(|alarm| alarm.2.as_str()).collect();
    assert_eq!(
        texts,
        [
            "a: sending failed, try 2 of 3 in 10 s: +CMS ERROR: 21",
            "a: sending failed, try 3 of 3 in 20 s: +CMS ERROR: 21",
            "a: sending failed, given up after 3 tries: +CMS ERROR: 21",
        ]
    );
    // The message's own fault: the modem is not blamed.
    assert_eq!(bench.policy.failures_in_row("m0"), Some(0));
}

#[test]
fn backoff_doubles_up_to_its_ceiling() {
    let interval = Duration::from_secs(10);
    let waits: Vec<u64> = (1..=8).map(|n| backoff(interval, n).as_secs()).collect();
    assert_eq!(waits, [10, 20, 40, 80, 160, 320, 600, 600]);
    assert_eq!(backoff(interval, u32::MAX), MAX_BACKOFF);
}

#[test]
fn a_failing_modem_is_blocked_and_its_work_goes_to_the_other() {
    let mut bench = Bench::new(&["m0", "m1"], UnknownOutcome::Fail);
    for (idx, name) in ["a", "b"].iter().enumerate() {
        let mut offer = offer(name, 1, Priority::Normal, idx as u64);
        offer.retries = Some(10);
        bench.input(Input::Offered(offer));
    }
    // a on m0, b on m1 (which keeps it): m0 fails three times in a row.
    assert_eq!(bench.starts(), [("id-a", 1, "m0"), ("id-b", 1, "m1")]);
    let fail_a = |bench: &mut Bench| {
        bench.input(Input::PartDone {
            id: "id-a".into(),
            part: 1,
            outcome: not_sent(),
        })
    };
    for at in [10, 30] {
        fail_a(&mut bench);
        assert_eq!(bench.policy.failures_in_row("m0").unwrap() as u64, at / 20 + 1);
        bench.advance_to(at);
        assert_eq!(bench.starts().last().unwrap(), &("id-a", 1, "m0"));
    }
    assert_eq!(bench.policy.blocked_until("m0"), None);
    fail_a(&mut bench);
    let blocked = bench.policy.blocked_until("m0").unwrap();
    assert_eq!(blocked, bench.t0 + Duration::from_secs(30 + 3600));
    let critical = bench
        .alarms
        .iter()
        .find(|alarm| alarm.0 == Severity::Critical)
        .unwrap();
    assert_eq!(critical.1, "m0");
    assert_eq!(
        critical.2,
        "sending failed 3 times in a row; modem blocked for 3600 s"
    );
    // The rest goes to m1 only, until the block ends.
    bench.input(Input::PartDone {
        id: "id-b".into(),
        part: 1,
        outcome: sent(),
    });
    let before = bench.started.len();
    bench.input(Input::Offered(offer("c", 1, Priority::Normal, 2)));
    for at in [70, 80, 90] {
        bench.advance_to(at);
        if bench.policy.is_busy() {
            bench.answer_last(sent());
        }
    }
    let after: Vec<&str> = bench.started[before..]
        .iter()
        .map(|start| start.2.as_str())
        .collect();
    assert_eq!(after, ["m1", "m1"]);
    assert_eq!(bench.finished.len(), 3);
    // A reconnect ends the block at once.
    bench.input(Input::ModemReconnected { name: "m0".into() });
    assert_eq!(bench.policy.blocked_until("m0"), None);
}

#[test]
fn the_parts_of_a_message_stay_on_the_modem_of_its_first_part() {
    let mut bench = Bench::new(&["m0", "m1"], UnknownOutcome::Fail);
    bench.input(Input::Offered(offer("long", 3, Priority::Normal, 0)));
    bench.answer_last(sent());
    bench.answer_last(not_sent());
    assert_eq!(bench.starts(), [("id-long", 1, "m0"), ("id-long", 2, "m0")]);
    // m1 is free, but the retry waits for m0.
    bench.advance_to(10);
    assert_eq!(bench.starts()[2], ("id-long", 2, "m0"));
    bench.answer_last(not_sent());
    bench.advance_to(40);
    bench.answer_last(not_sent());
    // m0 is blocked now (block-after 3): the message cannot finish anywhere.
    assert!(bench.policy.blocked_until("m0").is_some());
    let [(id, Outcome::Failed { reason, .. }, _)] = &bench.finished[..] else {
        panic!("{:?}", bench.finished);
    };
    // send-retries 2 used up on m0; never tried on m1.
    assert_eq!(id, "id-long");
    assert_eq!(reason, "+CMS ERROR: 38");
    assert!(bench.started.iter().all(|start| start.2 == "m0"));
}

#[test]
fn a_blocked_modem_strands_a_message_with_parts_out_on_it() {
    let mut bench = Bench::new(&["m0", "m1"], UnknownOutcome::Fail);
    let mut long = offer("long", 2, Priority::Normal, 0);
    long.retries = Some(10);
    bench.input(Input::Offered(long));
    bench.answer_last(sent());
    bench.answer_last(not_sent());
    // Two more failures of m0 on other files block it.
    bench.input(Input::Offered(offer("x", 1, Priority::Normal, 1)));
    assert_eq!(bench.starts().last().unwrap(), &("id-x", 1, "m1"));
    bench.input(Input::PartDone {
        id: "id-x".into(),
        part: 1,
        outcome: sent(),
    });
    bench.advance_to(10);
    bench.answer_last(not_sent());
    bench.advance_to(30);
    bench.answer_last(not_sent());
    assert!(bench.policy.blocked_until("m0").is_some());
    let (id, outcome, _) = bench.finished.iter().find(|done| done.0 == "id-long").unwrap();
    let Outcome::Failed { reason, .. } = outcome else {
        panic!("{id}: {outcome:?}");
    };
    assert_eq!(
        reason,
        "1 of 2 parts went out on modem m0, which is blocked now; the others cannot go out on another \
         modem (the recipient could not join them)"
    );
}

#[test]
fn an_unknown_outcome_fails_the_file_flagged_or_resends_it_flagged() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    bench.answer_last(PartOutcome::Unknown {
        reason: "timeout".into(),
    });
    assert_eq!(bench.started.len(), 1, "never sent again");
    assert!(matches!(&bench.finished[..], [(_, Outcome::Failed { .. }, true)]));
    assert_eq!(bench.policy.failures_in_row("m0"), Some(1));

    let mut bench = Bench::new(&["m0"], UnknownOutcome::Resend);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    bench.answer_last(PartOutcome::Unknown {
        reason: "timeout".into(),
    });
    bench.answer_last(sent());
    assert_eq!(bench.started.len(), 2);
    assert!(matches!(&bench.finished[..], [(_, Outcome::Sent { .. }, true)]));
}

#[test]
fn a_failed_write_pauses_everything_blames_no_modem_and_resumes_by_itself() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.failing = Some(ErrorKind::StorageFull);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    // Not taken (its Accepted did not reach the store), one critical alarm.
    assert!(!bench.policy.is_healthy());
    assert!(!bench.policy.holds("a"));
    let critical: Vec<_> = bench
        .alarms
        .iter()
        .filter(|alarm| alarm.0 == Severity::Critical)
        .collect();
    assert_eq!(critical.len(), 1);
    assert_eq!(critical[0].1, "smsgate");
    // Intake pauses: an offer now is dropped without a write.
    let facts = bench.facts.len();
    bench.input(Input::Offered(offer("b", 1, Priority::Normal, 1)));
    assert!(!bench.policy.holds("b"));
    assert_eq!(bench.facts.len(), facts);
    // The retry after 1 s fails again: no second alarm; then after 2 s more.
    assert_eq!(
        bench.policy.poll_timeout(bench.now),
        Some(bench.t0 + Duration::from_secs(1))
    );
    bench.advance_to(1);
    assert_eq!(
        bench.policy.poll_timeout(bench.now),
        Some(bench.t0 + Duration::from_secs(3))
    );
    bench.failing = None;
    bench.advance_to(3);
    assert!(bench.policy.is_healthy());
    assert_eq!(bench.facts, [Fact::Probe]);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    bench.answer_last(sent());
    assert_eq!(bench.finished.len(), 1);
    assert_eq!(bench.policy.failures_in_row("m0"), Some(0));
    assert_eq!(bench.policy.blocked_until("m0"), None);
    assert_eq!(
        bench
            .alarms
            .iter()
            .filter(|alarm| alarm.0 == Severity::Critical)
            .count(),
        1
    );
}

#[test]
fn a_part_whose_outcome_cannot_be_recorded_is_never_sent_again() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::Offered(offer("a", 2, Priority::Normal, 0)));
    bench.failing = Some(ErrorKind::Other);
    bench.answer_last(sent());
    // Stalled: part 2 not started, the modem free, blamed for nothing.
    assert_eq!(bench.started.len(), 1);
    assert!(!bench.policy.is_busy());
    assert_eq!(bench.policy.failures_in_row("m0"), Some(0));
    bench.advance_to(1);
    bench.advance_to(3);
    assert_eq!(bench.started.len(), 1);
    bench.failing = None;
    bench.advance_to(7);
    // The retry wrote the probe and the outcome; then part 2, on m0.
    assert_eq!(
        bench.facts[bench.facts.len() - 3..][..2],
        [
            Fact::Probe,
            Fact::PartSent {
                id: "id-a".into(),
                part: 1,
                modem: "m0".into(),
                mr: 1
            },
        ]
    );
    assert_eq!(bench.starts(), [("id-a", 1, "m0"), ("id-a", 2, "m0")]);
    bench.answer_last(sent());
    assert!(
        matches!(&bench.finished[..], [(_, Outcome::Sent { references, .. }, false)] if references.len() == 2)
    );
}

#[test]
fn a_finish_that_cannot_be_written_waits_and_is_retried_without_a_send() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    bench.failing_finish = Some(ErrorKind::PermissionDenied);
    bench.answer_last(sent());
    assert!(bench.finished.is_empty());
    assert!(!bench.policy.is_healthy());
    assert!(bench.policy.holds("a"), "held: not taken again meanwhile");
    bench.failing_finish = None;
    bench.advance_to(1);
    assert_eq!(bench.finished.len(), 1);
    assert_eq!(bench.started.len(), 1);
    assert!(bench.policy.is_healthy());
    assert!(!bench.policy.holds("a"));
}

#[test]
fn a_restart_sends_only_the_parts_left_on_the_modem_of_the_first() {
    let mut bench = Bench::new(&["m0", "m1"], UnknownOutcome::Fail);
    let open = OpenMessage {
        id: "old".into(),
        name: "long".into(),
        reference: 7,
        sent: BTreeMap::from([(1, 40)]),
        modem: Some("m1".into()),
        unknown: None,
        begun: 1,
    };
    let done = OpenMessage {
        id: "done".into(),
        name: "short".into(),
        ..OpenMessage::default()
    };
    bench.input(Input::Recovered(vec![
        (open, Presence::Waiting),
        (done, Presence::Finished),
    ]));
    assert_eq!(bench.facts, [Fact::Ended { id: "done".into() }]);
    bench.input(Input::Offered(offer("long", 2, Priority::Normal, 0)));
    // Known already: no new Accepted fact; part 2 only, on m1.
    assert_eq!(bench.starts(), [("old", 2, "m1")]);
    bench.answer_last(sent());
    assert!(
        matches!(&bench.finished[..], [(id, Outcome::Sent { references, .. }, false)] if id == "old" && *references == [40, 1])
    );
    // The name reused afterwards is a new message.
    bench.input(Input::Offered(offer("long", 1, Priority::Normal, 5)));
    assert_eq!(bench.starts().last().unwrap().0, "id-long");
}

#[test]
fn a_restart_with_an_unknown_part_fails_the_file_unless_told_to_resend() {
    let open = OpenMessage {
        id: "old".into(),
        name: "a".into(),
        unknown: Some((1, "m0".into(), "the daemon stopped".into())),
        ..OpenMessage::default()
    };
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::Recovered(vec![(open.clone(), Presence::Waiting)]));
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    assert!(bench.started.is_empty());
    assert!(matches!(&bench.finished[..], [(_, Outcome::Failed { .. }, true)]));

    let mut bench = Bench::new(&["m0"], UnknownOutcome::Resend);
    bench.input(Input::Recovered(vec![(open, Presence::Waiting)]));
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    bench.answer_last(sent());
    assert!(matches!(&bench.finished[..], [(_, Outcome::Sent { .. }, true)]));
}

#[test]
fn a_file_for_a_queue_goes_only_to_the_modems_that_serve_it() {
    let mut m0 = modem("m0");
    m0.queues = vec!["gold".into()];
    let mut bench = Bench::with_modems(vec![modem("plain"), m0]);
    let mut gold = offer("g", 1, Priority::Normal, 0);
    gold.queue = Some("gold".into());
    bench.input(Input::Offered(offer("p", 1, Priority::Normal, 1)));
    bench.input(Input::Offered(gold));
    assert_eq!(bench.starts(), [("id-p", 1, "plain"), ("id-g", 1, "m0")]);
}
