//! The receive policy on a fake clock: no store, no modem, only inputs
//! and the actions they give.

use super::*;
use crate::part_store::hex_to_bytes;
use crate::receive::test_pdus::{part, part_from, single, REPORT, SUBMIT};

const WAIT: u64 = 3600;

fn fresh() -> Assembler {
    Assembler::restore(Held::default(), WAIT)
}

fn drain(core: &mut Assembler) -> Vec<Action> {
    std::iter::from_fn(|| core.poll_action()).collect()
}

/// Reads `pdu` from `slot` at `now` with `fresh_id`, and lets the store
/// keep it and the modem delete it (`delete_ok`); the id and part number
/// it was held as, or `None` when nothing was held.
fn take(
    core: &mut Assembler,
    pdu: &[u8],
    slot: Option<u32>,
    fresh_id: &str,
    now: u64,
    delete_ok: bool,
) -> Option<(String, u8)> {
    core.handle(
        Input::Read {
            slot,
            pdu: pdu.to_vec(),
            fresh_id: fresh_id.to_owned(),
        },
        now,
    );
    let mut held = None;
    while let Some(action) = core.poll_action() {
        let input = match action {
            Action::Hold { id, seq, part } => {
                assert_eq!(part.slot, slot);
                assert_eq!(part.arrived_unix, now);
                held = Some((id.clone(), seq));
                Input::Held { id, seq, ok: true }
            }
            Action::DeleteSlot {
                id,
                seq,
                slot: deleted,
            } => {
                assert_eq!(Some(deleted), slot);
                held.get_or_insert((id.clone(), seq));
                Input::SlotDeleted {
                    id,
                    seq,
                    ok: delete_ok,
                }
            }
            Action::KeptApart { id, seq } => {
                assert_eq!(held, Some((id, seq)));
                continue;
            }
            Action::Acknowledge { id, seq } => {
                assert_eq!(slot, None, "only a routed PDU is acknowledged");
                assert_eq!(held, Some((id, seq)));
                continue;
            }
            other => panic!("unexpected {other:?}"),
        };
        core.handle(input, now);
    }
    held
}

/// The messages a tick at `now` asks to write, by id, with their part
/// numbers; none is written yet.
fn ready_at(core: &mut Assembler, now: u64) -> Vec<(String, Vec<u8>)> {
    core.handle(Input::Tick, now);
    let ready: Vec<(String, Vec<u8>)> = drain(core)
        .into_iter()
        .map(|action| match action {
            Action::Write(ready) => (ready.id, ready.parts.iter().map(|part| part.seq).collect()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    // Not written: asked again at the next tick.
    for (id, _) in &ready {
        core.handle(
            Input::Written {
                id: id.clone(),
                ok: false,
            },
            now,
        );
    }
    ready
}

/// Writes message `id` and releases its parts.
fn write(core: &mut Assembler, id: &str, now: u64) {
    core.handle(Input::Tick, now);
    let mut actions = drain(core);
    actions.retain(|action| matches!(action, Action::Write(ready) if ready.id == id));
    assert_eq!(actions.len(), 1, "{id} is not ready");
    core.handle(
        Input::Written {
            id: id.to_owned(),
            ok: true,
        },
        now,
    );
    assert_eq!(
        drain(core),
        [Action::Release {
            id: id.to_owned(),
            seqs: core.messages[id].parts.keys().copied().collect()
        }]
    );
    core.handle(
        Input::Released {
            id: id.to_owned(),
            ok: true,
        },
        now,
    );
    // The others are not written: asked again later.
    for (other, _) in ready_at(core, now) {
        assert_ne!(other, id);
    }
}

#[test]
fn parts_wait_for_their_siblings_and_a_slot_read_twice_is_one_part() {
    let mut core = fresh();
    let (id, seq) = take(&mut core, &part(2, 3, "two"), Some(1), "AAAAAA", 100, false).unwrap();
    assert_eq!(seq, 2);
    // Read again: its deletion failed, the same slot still holds it.
    assert_eq!(
        take(&mut core, &part(2, 3, "two"), Some(1), "BBBBBB", 101, true),
        Some((id.clone(), 2))
    );
    assert_eq!(
        take(&mut core, &part(3, 3, "three"), Some(2), "CCCCCC", 102, true),
        Some((id.clone(), 3))
    );
    assert!(ready_at(&mut core, 103).is_empty());
    assert_eq!(core.poll_timeout(), Some(100 + WAIT));
    assert_eq!(
        take(&mut core, &part(1, 3, "one"), None, "DDDDDD", 104, true),
        Some((id.clone(), 1))
    );
    assert_eq!(ready_at(&mut core, 105), [(id.clone(), vec![1, 2, 3])]);
    assert_eq!(core.poll_timeout(), None, "complete: nothing to wait for");
    write(&mut core, &id, 105);
    assert_eq!(core.len(), 0);
}

#[test]
fn a_slot_is_deleted_only_after_its_part_is_held_and_not_when_holding_fails() {
    let mut core = fresh();
    let pdu = single("hi");
    core.handle(
        Input::Read {
            slot: Some(4),
            pdu: pdu.clone(),
            fresh_id: "AAAAAA".into(),
        },
        10,
    );
    let actions = drain(&mut core);
    assert!(matches!(&actions[..], [Action::Hold { id, seq: 1, .. }] if id == "AAAAAA"));
    // The store failed: nothing to delete, nothing held.
    core.handle(
        Input::Held {
            id: "AAAAAA".into(),
            seq: 1,
            ok: false,
        },
        10,
    );
    // Nothing to delete, nothing held; what the failed write may have
    // left goes.
    assert_eq!(
        drain(&mut core),
        [Action::Discard {
            id: "AAAAAA".into(),
            seq: 1
        }]
    );
    assert_eq!(core.len(), 0);
    // Read again later: held now, then deleted.
    assert_eq!(
        take(&mut core, &pdu, Some(4), "BBBBBB", 20, true),
        Some(("BBBBBB".into(), 1))
    );
    assert_eq!(ready_at(&mut core, 20), [("BBBBBB".into(), vec![1])]);
}

#[test]
fn reads_that_come_while_a_part_is_being_held_wait_their_turn() {
    let mut core = fresh();
    for (slot, fresh_id) in [(1, "AAAAAA"), (2, "BBBBBB")] {
        core.handle(
            Input::Read {
                slot: Some(slot),
                pdu: part(slot as u8, 2, "x"),
                fresh_id: fresh_id.into(),
            },
            1,
        );
    }
    assert!(matches!(&drain(&mut core)[..], [Action::Hold { seq: 1, .. }]));
    assert!(core.id_in_use("BBBBBB"), "the waiting read's id is taken");
    core.handle(
        Input::Held {
            id: "AAAAAA".into(),
            seq: 1,
            ok: true,
        },
        1,
    );
    // Part 2 joins part 1's message, now that part 1 is held.
    assert_eq!(
        drain(&mut core),
        [
            Action::DeleteSlot {
                id: "AAAAAA".into(),
                seq: 1,
                slot: 1
            },
            Action::Hold {
                id: "AAAAAA".into(),
                seq: 2,
                part: HeldPart {
                    pdu: part(2, 2, "x"),
                    arrived_unix: 1,
                    slot: Some(2)
                }
            }
        ]
    );
}

/// Issue 11, item 7: two equal messages in two slots (a device repeating
/// "ALARM") are two, routed twice too; only a slot read again while its
/// copy is still in it is the same one.
#[test]
fn equal_messages_are_two_and_only_a_slot_read_twice_is_one() {
    let mut core = fresh();
    let alarm = single("ALARM");
    let first = take(&mut core, &alarm, Some(1), "AAAAAA", 10, false).unwrap();
    let second = take(&mut core, &alarm, Some(2), "BBBBBB", 11, false).unwrap();
    assert_ne!(first, second);
    let third = take(&mut core, &alarm, None, "CCCCCC", 12, true).unwrap();
    let fourth = take(&mut core, &alarm, None, "DDDDDD", 12, true).unwrap();
    assert_ne!(third, fourth);
    assert_eq!(
        take(&mut core, &alarm, Some(2), "EEEEEE", 13, false),
        Some(second.clone())
    );
    assert_eq!(core.len(), 4);
    // Slot 1 deleted; a new ALARM lands there: a new message.
    assert_eq!(
        take(&mut core, &alarm, Some(1), "FFFFFF", 14, true),
        Some(first.clone())
    );
    assert_eq!(
        take(&mut core, &alarm, Some(1), "GGGGGG", 15, true),
        Some(("GGGGGG".into(), 1))
    );
    assert_eq!(core.len(), 5);
}

/// Issue 11, item 8: AAA (part 1 held) and BBB (both parts) from one
/// sender with one 8-bit reference: BBB's part 1 starts a new message, its
/// part 2 joins BBB, and AAA is written alone when its time comes.
#[test]
fn a_part_that_collides_with_a_held_one_starts_a_new_message() {
    let mut core = fresh();
    let aaa = take(&mut core, &part(1, 2, "AAA"), Some(1), "AAAAAA", 100, true).unwrap();
    let bbb = take(&mut core, &part(1, 2, "BBB"), Some(2), "BBBBBB", 200, true).unwrap();
    assert_eq!(bbb, ("BBBBBB".into(), 1));
    assert_eq!(
        take(&mut core, &part(2, 2, "BBB two"), Some(3), "CCCCCC", 201, true),
        Some(("BBBBBB".into(), 2))
    );
    assert_eq!(ready_at(&mut core, 202), [("BBBBBB".into(), vec![1, 2])]);
    write(&mut core, "BBBBBB", 202);
    // A late part 2 of AAA cannot be told from a third message's: it
    // does not join AAA, which takes no more parts.
    assert_eq!(core.poll_timeout(), Some(100 + WAIT));
    assert!(ready_at(&mut core, 100 + WAIT - 1).is_empty());
    assert_eq!(ready_at(&mut core, 100 + WAIT), [(aaa.0.clone(), vec![1])]);
}

#[test]
fn an_incomplete_message_is_written_when_its_wait_expires_on_the_fake_clock() {
    let mut core = fresh();
    take(&mut core, &part(1, 2, "one"), None, "AAAAAA", 1000, true).unwrap();
    assert_eq!(core.poll_timeout(), Some(1000 + WAIT));
    assert!(ready_at(&mut core, 1000 + WAIT - 1).is_empty());
    assert_eq!(ready_at(&mut core, 1000 + WAIT), [("AAAAAA".into(), vec![1])]);
}

/// A message past its wait with a part still in the modem (its deletion
/// failed) waits for a listing, not for the clock: its timeout is not in
/// the past, or the shell would wake again at once, in a loop.
#[test]
fn a_part_still_in_the_modem_gives_no_timeout_until_a_listing_clears_it() {
    let mut core = fresh();
    let (id, _) = take(&mut core, &part(1, 2, "one"), Some(5), "AAAAAA", 1000, false).unwrap();
    assert_eq!(core.poll_timeout(), None);
    assert!(ready_at(&mut core, 1000 + WAIT).is_empty());
    // A listing that finds slot 5 empty.
    core.handle(Input::ListingStarted, 1000 + WAIT);
    core.handle(Input::ListingDone, 1000 + WAIT);
    assert_eq!(core.poll_timeout(), Some(1000 + WAIT));
    assert_eq!(ready_at(&mut core, 1000 + WAIT), [(id, vec![1])]);
}

#[test]
fn a_listing_keeps_what_it_found_still_in_the_modem() {
    let mut core = fresh();
    let pdu = single("kept");
    let (id, _) = take(&mut core, &pdu, Some(3), "AAAAAA", 1, false).unwrap();
    core.handle(Input::ListingStarted, 2);
    // Found again, and its deletion fails again.
    assert_eq!(
        take(&mut core, &pdu, Some(3), "BBBBBB", 2, false),
        Some((id.clone(), 1))
    );
    core.handle(Input::ListingDone, 2);
    assert!(ready_at(&mut core, 3).is_empty(), "still in the modem");
    core.handle(Input::ListingStarted, 4);
    assert_eq!(
        take(&mut core, &pdu, Some(3), "CCCCCC", 4, true),
        Some((id.clone(), 1))
    );
    core.handle(Input::ListingDone, 4);
    assert_eq!(ready_at(&mut core, 4), [(id, vec![1])]);
}

#[test]
fn singles_reports_and_undecodable_pdus_are_ready_at_once_and_submits_are_left_alone() {
    let mut core = fresh();
    take(&mut core, &[0x00, 0x04, 0xFF], None, "AAAAAA", 1, true).unwrap();
    take(&mut core, &hex_to_bytes(REPORT).unwrap(), None, "BBBBBB", 1, true).unwrap();
    assert_eq!(
        take(
            &mut core,
            &hex_to_bytes(SUBMIT).unwrap(),
            Some(9),
            "CCCCCC",
            1,
            true
        ),
        None
    );
    core.handle(Input::Tick, 1);
    let kinds: Vec<(String, Kind, bool)> = drain(&mut core)
        .into_iter()
        .map(|action| match action {
            Action::Write(ready) => (ready.id, ready.kind, ready.parts[0].decoded.is_ok()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("AAAAAA".into(), Kind::Message, false),
            ("BBBBBB".into(), Kind::Report, true)
        ]
    );
}

#[test]
fn a_failed_write_keeps_the_message_and_a_failed_release_is_retried_without_a_second_write() {
    let mut core = fresh();
    take(&mut core, &single("x"), None, "AAAAAA", 1, true).unwrap();
    assert_eq!(ready_at(&mut core, 1).len(), 1, "write failed");
    core.handle(Input::Tick, 2);
    assert!(matches!(&drain(&mut core)[..], [Action::Write(_)]));
    core.handle(
        Input::Written {
            id: "AAAAAA".into(),
            ok: true,
        },
        2,
    );
    assert!(matches!(&drain(&mut core)[..], [Action::Release { .. }]));
    core.handle(
        Input::Released {
            id: "AAAAAA".into(),
            ok: false,
        },
        2,
    );
    core.handle(Input::Tick, 3);
    assert_eq!(
        drain(&mut core),
        [Action::Release {
            id: "AAAAAA".into(),
            seqs: vec![1]
        }]
    );
    core.handle(
        Input::Released {
            id: "AAAAAA".into(),
            ok: true,
        },
        3,
    );
    assert_eq!(core.len(), 0);
}

/// A written message whose parts are not all released yet takes no new
/// part of its key: the next one starts a message of its own.
#[test]
fn a_written_message_takes_no_more_parts() {
    let mut core = fresh();
    take(&mut core, &part(1, 2, "one"), None, "AAAAAA", 1, true).unwrap();
    take(&mut core, &part(2, 2, "two"), None, "AAAAAA", 1, true).unwrap();
    core.handle(Input::Tick, 1);
    drain(&mut core);
    core.handle(
        Input::Written {
            id: "AAAAAA".into(),
            ok: true,
        },
        1,
    );
    drain(&mut core);
    core.handle(
        Input::Released {
            id: "AAAAAA".into(),
            ok: false,
        },
        1,
    );
    assert_eq!(
        take(&mut core, &part(1, 2, "again"), None, "BBBBBB", 2, true),
        Some(("BBBBBB".into(), 1))
    );
}

/// After a restart: every part may still be in the modem until a listing;
/// a message whose file was written goes straight to its release; of two
/// messages of one key, new parts join the later.
#[test]
fn what_a_restart_finds_is_restored_as_it_was() {
    let at = |pdu: Vec<u8>, arrived_unix: u64, slot: Option<u32>| HeldPart {
        pdu,
        arrived_unix,
        slot,
    };
    let held = Held {
        parts: vec![
            ("OLDOLD".into(), 1, at(part(1, 3, "old"), 100, None)),
            ("NEWNEW".into(), 1, at(part(1, 3, "new"), 200, None)),
            ("SLOTTD".into(), 1, at(single("in slot 2"), 300, Some(2))),
            (
                "DONEDN".into(),
                1,
                at(part_from("+4912345", 9, 1, 2, "d"), 50, Some(7)),
            ),
        ],
        written: ["DONEDN".to_owned()].into(),
    };
    let mut core = Assembler::restore(held, WAIT);
    assert_eq!(core.len(), 4);
    core.handle(Input::Tick, 400);
    assert_eq!(
        drain(&mut core),
        [Action::Release {
            id: "DONEDN".into(),
            seqs: vec![1]
        }]
    );
    core.handle(
        Input::Released {
            id: "DONEDN".into(),
            ok: true,
        },
        400,
    );
    // Slot 2 read again: the same message, deleted now.
    assert_eq!(
        take(&mut core, &single("in slot 2"), Some(2), "XXXXXX", 400, true),
        Some(("SLOTTD".into(), 1))
    );
    assert_eq!(
        take(&mut core, &part(2, 3, "new two"), None, "YYYYYY", 400, true),
        Some(("NEWNEW".into(), 2))
    );
    assert_eq!(ready_at(&mut core, 401), [("SLOTTD".into(), vec![1])]);
}

/// A routed PDU (`+CMT`) is acknowledged only once it is durable: one the
/// store failed to keep is left to the network to deliver again.
#[test]
fn a_routed_pdu_is_acknowledged_only_once_held() {
    let mut core = fresh();
    let read = |fresh_id: &str| Input::Read {
        slot: None,
        pdu: single("routed"),
        fresh_id: fresh_id.into(),
    };
    core.handle(read("AAAAAA"), 1);
    assert!(matches!(&drain(&mut core)[..], [Action::Hold { .. }]));
    core.handle(
        Input::Held {
            id: "AAAAAA".into(),
            seq: 1,
            ok: false,
        },
        1,
    );
    assert!(!drain(&mut core)
        .iter()
        .any(|action| matches!(action, Action::Acknowledge { .. })));
    core.handle(read("BBBBBB"), 2);
    drain(&mut core);
    core.handle(
        Input::Held {
            id: "BBBBBB".into(),
            seq: 1,
            ok: true,
        },
        2,
    );
    assert_eq!(
        drain(&mut core),
        [Action::Acknowledge {
            id: "BBBBBB".into(),
            seq: 1
        }]
    );
}

/// Found by the sweep: AAA part 1 held; BBB part 1 collides but the store
/// fails to keep it (it stays in the SIM); BBB part 2 then must not be
/// glued to AAA, and BBB part 1, read again, joins BBB part 2.
#[test]
fn a_colliding_part_that_could_not_be_held_still_closes_the_held_message() {
    let mut core = fresh();
    let aaa = take(&mut core, &part(1, 2, "AAA"), Some(1), "AAAAAA", 100, true).unwrap();
    core.handle(
        Input::Read {
            slot: Some(2),
            pdu: part(1, 2, "BBB"),
            fresh_id: "BBBBBB".into(),
        },
        200,
    );
    drain(&mut core);
    core.handle(
        Input::Held {
            id: "BBBBBB".into(),
            seq: 1,
            ok: false,
        },
        200,
    );
    drain(&mut core);
    let bbb_two = take(&mut core, &part(2, 2, "BBB two"), Some(3), "CCCCCC", 201, true).unwrap();
    assert_ne!(bbb_two.0, aaa.0, "BBB's part 2 glued to AAA");
    assert_eq!(
        take(&mut core, &part(1, 2, "BBB"), Some(2), "DDDDDD", 202, true),
        Some((bbb_two.0.clone(), 1))
    );
    assert_eq!(ready_at(&mut core, 203), [(bbb_two.0, vec![1, 2])]);
}
