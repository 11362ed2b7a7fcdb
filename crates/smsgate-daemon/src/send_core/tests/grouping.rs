//! Starts that share a group commit with the fact before them
//! (policy/grouping.rs), driven as the scheduler's `act()` drives the
//! policy: every write of a turn gathered, committed as one group with one
//! result, reported in order, until the policy asks nothing more.

use super::*;

/// What the shell saw, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    /// A group of facts committed (one sync), with its result.
    Group(Vec<Fact>, bool),
    Accepted(String),
    Dropped(String),
    Start(String, usize, String),
    Finished(String, bool),
}

/// The scheduler's loop in small: turns of the policy, each group
/// committed whole.
struct Shell {
    policy: SendPolicy,
    t0: Instant,
    now: Instant,
    seen: Vec<Seen>,
    /// The next groups of facts fail with this (a full disk).
    failing: Option<ErrorKind>,
}

impl Shell {
    fn new(modems: &[&str]) -> Shell {
        let t0 = Instant::now();
        let modems = modems.iter().map(|name| modem(name)).collect();
        Shell {
            policy: SendPolicy::new(config(UnknownOutcome::Fail), modems),
            t0,
            now: t0,
            seen: Vec::new(),
            failing: None,
        }
    }

    /// As the scheduler's `act()`: the writes of a turn are gathered and
    /// committed as one group (the facts first, then the finishes), each
    /// reported with the group's result, in order.
    fn act(&mut self) {
        // Kept across the rounds: finishes wait while facts are committed.
        let (mut facts, mut finishes) = (Vec::new(), Vec::new());
        loop {
            while let Some(action) = self.policy.poll_action() {
                match action {
                    Action::Write { write, fact } => facts.push((write, fact)),
                    Action::Finish {
                        write, id, outcome, ..
                    } => finishes.push((write, id, outcome)),
                    Action::Accepted { id, .. } => self.seen.push(Seen::Accepted(id)),
                    Action::Dropped { id, .. } => self.seen.push(Seen::Dropped(id)),
                    Action::StartPart { id, part, modem } => self.seen.push(Seen::Start(id, part, modem)),
                    Action::Alarm { .. } | Action::Log { .. } | Action::StoreRecovered { .. } => {}
                }
            }
            let reports: Vec<(WriteId, Result<(), StoreError>)> = if !facts.is_empty() {
                let result = match self.failing {
                    Some(kind) => Err(StoreError {
                        kind,
                        what: "injected".into(),
                    }),
                    None => Ok(()),
                };
                let group = facts.iter().map(|(_, fact)| fact.clone()).collect();
                self.seen.push(Seen::Group(group, result.is_ok()));
                std::mem::take(&mut facts)
                    .into_iter()
                    .map(|(write, _)| (write, result.clone()))
                    .collect()
            } else if !finishes.is_empty() {
                std::mem::take(&mut finishes)
                    .into_iter()
                    .map(|(write, id, outcome)| {
                        let sent = matches!(outcome, Outcome::Sent { .. });
                        self.seen.push(Seen::Finished(id, sent));
                        (write, Ok(()))
                    })
                    .collect()
            } else {
                return;
            };
            for (write, result) in reports {
                self.policy.handle(Input::Stored { write, result }, self.now);
            }
        }
    }

    /// One scan: the files offered together, then the tick that hands
    /// them out, then the turn's writes committed.
    fn scan(&mut self, offers: Vec<Offer>) {
        for offer in offers {
            self.policy.handle(Input::Offered(offer), self.now);
        }
        self.policy.handle_timeout(self.now);
        self.act();
    }

    fn part_done(&mut self, id: &str, part: usize, outcome: PartOutcome) {
        let id = id.to_owned();
        self.policy
            .handle(Input::PartDone { id, part, outcome }, self.now);
        self.act();
    }

    fn advance_to(&mut self, secs: u64) {
        self.now = self.t0 + Duration::from_secs(secs);
        self.policy.handle_timeout(self.now);
        self.act();
    }

    /// What was seen since the last call.
    fn take(&mut self) -> Vec<Seen> {
        std::mem::take(&mut self.seen)
    }
}

fn accepted(name: &str, parts: usize) -> Fact {
    Fact::Accepted {
        id: format!("id-{name}"),
        name: name.to_owned(),
        reference: 1,
        parts,
    }
}

fn started(id: &str, part: usize, modem: &str) -> Fact {
    Fact::PartStarted {
        id: id.to_owned(),
        part,
        modem: modem.to_owned(),
    }
}

fn part_sent(id: &str, part: usize, modem: &str) -> Fact {
    Fact::PartSent {
        id: id.to_owned(),
        part,
        modem: modem.to_owned(),
        mr: 1,
    }
}

fn start(id: &str, part: usize, modem: &str) -> Seen {
    Seen::Start(id.to_owned(), part, modem.to_owned())
}

#[test]
fn an_accepted_files_first_part_starts_in_the_same_group_as_its_acceptance() {
    // The policy alone, report by report.
    let mut policy = SendPolicy::new(config(UnknownOutcome::Fail), vec![modem("m0")]);
    let now = Instant::now();
    policy.handle(Input::Offered(offer("a", 1, Priority::Normal, 0)), now);
    policy.handle_timeout(now);
    let turn: Vec<Action> = std::iter::from_fn(|| policy.poll_action()).collect();
    let [Action::Write {
        write: accept,
        fact: accept_fact,
    }, Action::Write {
        write: start_write,
        fact: start_fact,
    }] = &turn[..]
    else {
        panic!("the first turn asks for the accept and the start only: {turn:?}");
    };
    assert_eq!(*accept_fact, accepted("a", 1));
    assert_eq!(*start_fact, started("id-a", 1, "m0"));
    // The file moves on once its accept is durable; the part goes to the
    // modem once its start is.
    policy.handle(
        Input::Stored {
            write: *accept,
            result: Ok(()),
        },
        now,
    );
    let after_accept: Vec<Action> = std::iter::from_fn(|| policy.poll_action()).collect();
    assert_eq!(
        after_accept,
        [Action::Accepted {
            id: "id-a".into(),
            name: "a".into()
        }]
    );
    policy.handle(
        Input::Stored {
            write: *start_write,
            result: Ok(()),
        },
        now,
    );
    let after_start: Vec<Action> = std::iter::from_fn(|| policy.poll_action()).collect();
    assert_eq!(
        after_start,
        [Action::StartPart {
            id: "id-a".into(),
            part: 1,
            modem: "m0".into()
        }]
    );

    // As the shell drives it: one group, then the file moved, then the part.
    let mut shell = Shell::new(&["m0"]);
    shell.scan(vec![offer("a", 1, Priority::Normal, 0)]);
    assert_eq!(
        shell.take(),
        [
            Seen::Group(vec![accepted("a", 1), started("id-a", 1, "m0")], true),
            Seen::Accepted("id-a".into()),
            start("id-a", 1, "m0"),
        ]
    );
}

#[test]
fn a_start_reported_before_its_accept_waits_for_it() {
    // A store that reports out of order: the part still waits for the
    // accept, and the file moves on before the part goes.
    let mut policy = SendPolicy::new(config(UnknownOutcome::Fail), vec![modem("m0")]);
    let now = Instant::now();
    policy.handle(Input::Offered(offer("a", 1, Priority::Normal, 0)), now);
    policy.handle_timeout(now);
    let writes: Vec<WriteId> = std::iter::from_fn(|| policy.poll_action())
        .map(|action| match action {
            Action::Write { write, .. } => write,
            other => panic!("{other:?}"),
        })
        .collect();
    let [accept, start_write] = writes[..] else {
        panic!("{writes:?}");
    };
    policy.handle(
        Input::Stored {
            write: start_write,
            result: Ok(()),
        },
        now,
    );
    assert_eq!(policy.poll_action(), None, "not before its accept is durable");
    policy.handle(
        Input::Stored {
            write: accept,
            result: Ok(()),
        },
        now,
    );
    let actions: Vec<Action> = std::iter::from_fn(|| policy.poll_action()).collect();
    assert_eq!(
        actions,
        [
            Action::Accepted {
                id: "id-a".into(),
                name: "a".into()
            },
            Action::StartPart {
                id: "id-a".into(),
                part: 1,
                modem: "m0".into()
            },
        ]
    );
}

#[test]
fn the_files_of_one_scan_start_in_priority_order_in_the_group_of_their_accepts() {
    let mut shell = Shell::new(&["m0", "m1"]);
    shell.scan(vec![
        offer("second normal", 1, Priority::Normal, 2),
        offer("urgent", 1, Priority::High, 3),
        offer("first normal", 1, Priority::Normal, 1),
    ]);
    let seen = shell.take();
    assert_eq!(
        seen[0],
        Seen::Group(
            vec![
                accepted("second normal", 1),
                accepted("urgent", 1),
                accepted("first normal", 1),
                started("id-urgent", 1, "m0"),
                started("id-first normal", 1, "m1"),
            ],
            true
        )
    );
    let starts: Vec<&Seen> = seen
        .iter()
        .filter(|seen| matches!(seen, Seen::Start(..)))
        .collect();
    assert_eq!(
        starts,
        [&start("id-urgent", 1, "m0"), &start("id-first normal", 1, "m1")]
    );
    // Every file moved on before any part went out.
    let first_start = seen
        .iter()
        .position(|seen| matches!(seen, Seen::Start(..)))
        .unwrap();
    let accepts = seen[..first_start]
        .iter()
        .filter(|seen| matches!(seen, Seen::Accepted(_)))
        .count();
    assert_eq!(accepts, 3);
}

#[test]
fn a_failed_group_of_an_accept_and_its_start_sends_nothing_and_blames_no_modem() {
    let mut shell = Shell::new(&["m0"]);
    shell.failing = Some(ErrorKind::StorageFull);
    shell.scan(vec![offer("a", 1, Priority::Normal, 0)]);
    assert_eq!(
        shell.take(),
        [
            Seen::Group(vec![accepted("a", 1), started("id-a", 1, "m0")], false),
            Seen::Dropped("id-a".into()),
        ]
    );
    // Not taken (offered again later), the modem free and not blamed.
    assert!(!shell.policy.holds("a"));
    assert!(!shell.policy.is_busy());
    assert_eq!(shell.policy.failures_in_row("m0"), Some(0));
    assert_eq!(shell.policy.blocked_until("m0"), None);
    assert!(!shell.policy.is_healthy());
    // The store's retry goes through; the file offered again goes out.
    shell.failing = None;
    shell.advance_to(1);
    assert!(shell.policy.is_healthy());
    shell.take();
    let mut again = offer("a", 1, Priority::Normal, 0);
    again.fresh_id = "id-a2".into();
    shell.scan(vec![again]);
    assert_eq!(shell.take().last(), Some(&start("id-a2", 1, "m0")));
}

#[test]
fn a_sent_parts_outcome_and_the_modems_next_start_are_one_group() {
    // Two single-part messages on one modem.
    let mut shell = Shell::new(&["m0"]);
    shell.scan(vec![
        offer("a", 1, Priority::Normal, 0),
        offer("b", 1, Priority::Normal, 1),
    ]);
    assert_eq!(shell.take().last(), Some(&start("id-a", 1, "m0")));
    shell.part_done("id-a", 1, sent());
    assert_eq!(
        shell.take(),
        [
            Seen::Group(vec![part_sent("id-a", 1, "m0"), started("id-b", 1, "m0")], true),
            start("id-b", 1, "m0"),
            Seen::Finished("id-a".into(), true),
        ]
    );
    shell.part_done("id-b", 1, sent());
    assert_eq!(
        shell.take(),
        [
            Seen::Group(vec![part_sent("id-b", 1, "m0")], true),
            Seen::Finished("id-b".into(), true),
        ]
    );
    assert!(shell.policy.is_idle());

    // A two-part message: part 1's `Sent` and part 2's start, one group.
    let mut shell = Shell::new(&["m0", "m1"]);
    shell.scan(vec![offer("long", 2, Priority::Normal, 0)]);
    shell.take();
    shell.part_done("id-long", 1, sent());
    assert_eq!(
        shell.take(),
        [
            Seen::Group(
                vec![part_sent("id-long", 1, "m0"), started("id-long", 2, "m0")],
                true
            ),
            start("id-long", 2, "m0"),
        ]
    );
    shell.part_done("id-long", 2, sent());
    assert_eq!(
        shell.take(),
        [
            Seen::Group(vec![part_sent("id-long", 2, "m0")], true),
            Seen::Finished("id-long".into(), true),
        ]
    );
}

#[test]
fn a_failed_part_is_recorded_before_its_modem_takes_another() {
    // Only a `Sent` hands the modem on: a refusal counts against the modem
    // once recorded, and the next start waits for that.
    let mut shell = Shell::new(&["m0"]);
    shell.scan(vec![
        offer("a", 1, Priority::Normal, 0),
        offer("b", 1, Priority::Normal, 1),
    ]);
    shell.take();
    shell.part_done("id-a", 1, not_sent());
    let seen = shell.take();
    assert_eq!(
        seen[..2],
        [
            Seen::Group(
                vec![Fact::PartNotSent {
                    id: "id-a".into(),
                    part: 1
                }],
                true
            ),
            Seen::Group(vec![started("id-b", 1, "m0")], true),
        ]
    );
    assert_eq!(shell.policy.failures_in_row("m0"), Some(1));
}

#[test]
fn a_failed_group_of_a_sent_part_and_a_start_stalls_the_one_and_puts_back_the_other() {
    let mut shell = Shell::new(&["m0"]);
    shell.scan(vec![
        offer("a", 1, Priority::Normal, 0),
        offer("b", 1, Priority::Normal, 1),
    ]);
    shell.take();
    shell.failing = Some(ErrorKind::StorageFull);
    shell.part_done("id-a", 1, sent());
    // Nothing more went out; the modem is free and not blamed.
    assert_eq!(
        shell.take(),
        [Seen::Group(
            vec![part_sent("id-a", 1, "m0"), started("id-b", 1, "m0")],
            false
        )]
    );
    assert!(!shell.policy.is_busy());
    assert_eq!(shell.policy.failures_in_row("m0"), Some(0));
    assert_eq!(shell.policy.blocked_until("m0"), None);
    assert!(shell.policy.holds("a") && shell.policy.holds("b"));
    // Still failing at the first retry: nothing starts.
    shell.advance_to(1);
    assert!(!shell.take().iter().any(|seen| matches!(seen, Seen::Start(..))));
    // The retry that goes through writes a's outcome (a finishes, never
    // sent again), then b starts.
    shell.failing = None;
    shell.advance_to(3);
    let seen = shell.take();
    assert!(
        seen.contains(&Seen::Group(vec![part_sent("id-a", 1, "m0")], true)),
        "{seen:?}"
    );
    assert!(seen.contains(&Seen::Finished("id-a".into(), true)), "{seen:?}");
    assert_eq!(seen.last(), Some(&start("id-b", 1, "m0")));
    assert!(!seen.contains(&start("id-a", 1, "m0")));
}

#[test]
fn a_failed_group_of_a_part_and_the_next_part_keeps_the_message_on_its_modem() {
    let mut shell = Shell::new(&["m0", "m1"]);
    shell.scan(vec![offer("long", 2, Priority::Normal, 0)]);
    shell.take();
    shell.failing = Some(ErrorKind::Other);
    shell.part_done("id-long", 1, sent());
    assert_eq!(
        shell.take(),
        [Seen::Group(
            vec![part_sent("id-long", 1, "m0"), started("id-long", 2, "m0")],
            false
        )]
    );
    assert!(!shell.policy.is_busy());
    assert_eq!(shell.policy.failures_in_row("m0"), Some(0));
    shell.failing = None;
    shell.advance_to(1);
    // Part 1 recorded by the retry, never sent again; part 2 on m0 only.
    let seen = shell.take();
    let starts: Vec<&Seen> = seen
        .iter()
        .filter(|seen| matches!(seen, Seen::Start(..)))
        .collect();
    assert_eq!(starts, [&start("id-long", 2, "m0")], "{seen:?}");
    shell.part_done("id-long", 2, sent());
    assert_eq!(shell.take().last(), Some(&Seen::Finished("id-long".into(), true)));
}

#[test]
fn after_shutdown_a_sent_part_starts_nothing_in_its_group() {
    let mut shell = Shell::new(&["m0"]);
    shell.scan(vec![
        offer("long", 2, Priority::Normal, 0),
        offer("b", 1, Priority::Normal, 1),
    ]);
    shell.take();
    shell.policy.handle(Input::Shutdown, shell.now);
    shell.act();
    shell.part_done("id-long", 1, sent());
    assert_eq!(
        shell.take(),
        [Seen::Group(vec![part_sent("id-long", 1, "m0")], true)]
    );
    assert!(!shell.policy.is_busy());
}

#[test]
fn a_backlog_costs_one_fact_sync_per_part_sent_on_each_modem() {
    // (modems, files, parts): every part answered `Sent` as soon as it
    // went out, every modem at once, as the scheduler's turns feed them.
    for (modems, files, parts) in [(1, 100, 1), (8, 800, 1), (1, 100, 2)] {
        let names: Vec<String> = (0..modems).map(|idx| format!("m{idx}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut shell = Shell::new(&names);
        shell.scan(
            (0..files)
                .map(|idx| offer(&format!("f{idx:04}"), parts, Priority::Normal, idx as u64))
                .collect(),
        );
        let (mut groups, mut rounds) = (0, 0);
        loop {
            shell.policy.handle_timeout(shell.now);
            shell.act();
            let seen = shell.take();
            groups += seen.iter().filter(|seen| matches!(seen, Seen::Group(..))).count();
            let starts: Vec<(String, usize)> = seen
                .into_iter()
                .filter_map(|seen| match seen {
                    Seen::Start(id, part, _) => Some((id, part)),
                    _ => None,
                })
                .collect();
            if starts.is_empty() {
                break;
            }
            rounds += 1;
            for (id, part) in starts {
                let outcome = sent();
                shell
                    .policy
                    .handle(Input::PartDone { id, part, outcome }, shell.now);
            }
            shell.act();
        }
        assert!(shell.policy.is_idle());
        assert_eq!(rounds, files * parts / modems);
        // One group per round of parts (each `Sent` with the modem's next
        // start), and the first (the accepts with the first starts): not
        // two per round (201 groups for 100 single-part files before).
        assert_eq!(
            groups,
            rounds + 1,
            "{modems} modem(s), {files} files of {parts} part(s)"
        );
    }
}
