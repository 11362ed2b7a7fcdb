use super::*;

/// A DELIVER part `seq` of `total` from +31641600986, reference 7,
/// text `text` (GSM 7-bit).
fn part(seq: u8, total: u8, text: &str) -> Vec<u8> {
    use sms_pdu::{InformationElement, UserDataHeader};
    let mut deliver = deliver(text);
    deliver.user_data.header = Some(UserDataHeader {
        elements: vec![InformationElement::Concat8 {
            reference: 7,
            total,
            seq,
        }],
    });
    encode(deliver)
}

/// A DELIVER with `text` (letters, digits, spaces: their GSM 7-bit
/// codes are their ASCII codes).
fn deliver(text: &str) -> sms_pdu::Deliver {
    let pdu = Pdu::decode(&hex_to_bytes(SINGLE).unwrap()).unwrap().value;
    let Tpdu::Deliver(mut deliver) = pdu.tpdu else {
        panic!("SINGLE is a DELIVER")
    };
    deliver.user_data = sms_pdu::UserData {
        header: None,
        body: sms_pdu::Body::Septets(text.bytes().collect()),
    };
    deliver
}

fn encode(deliver: sms_pdu::Deliver) -> Vec<u8> {
    Pdu {
        smsc: None,
        tpdu: Tpdu::Deliver(deliver),
    }
    .encode()
    .unwrap()
}

/// "hellohello" from +31641600986 (TS 23.040 examples, as in the codec's
/// vectors), SMSC +31624000000.
const SINGLE: &str = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";

fn store(dir: &Path) -> PartStore {
    PartStore::open(
        dir,
        "GSM1",
        &dir.join("incoming"),
        &dir.join("report"),
        FileModes::default(),
    )
    .unwrap()
}

#[test]
fn parts_wait_for_their_siblings_across_a_restart_and_duplicates_are_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    let HoldOutcome::Stored { id, seq: 2 } = parts.hold(&part(2, 3, "two"), 100, Some(1)).unwrap() else {
        panic!("part 2 not stored")
    };
    assert_eq!(
        parts.hold(&part(2, 3, "two"), 101, Some(1)).unwrap(),
        HoldOutcome::Duplicate {
            id: id.clone(),
            seq: 2
        }
    );
    assert_eq!(
        parts.hold(&part(3, 3, "three"), 102, Some(2)).unwrap(),
        HoldOutcome::Stored {
            id: id.clone(),
            seq: 3
        }
    );
    assert!(parts.ready(103, 3600).is_empty());
    drop(parts);

    // A restart reads them back; the last part completes the message.
    let mut parts = store(dir.path());
    assert_eq!(parts.len(), 1);
    assert_eq!(parts.next_timeout(3600), Some(100 + 3600));
    assert_eq!(
        parts.hold(&part(1, 3, "one"), 104, None).unwrap(),
        HoldOutcome::Stored {
            id: id.clone(),
            seq: 1
        }
    );
    // Read back from disk, parts may still be in the modem: nothing is
    // ready until a listing says they are not.
    assert!(parts.ready(105, 3600).is_empty());
    parts.listed(&std::collections::HashSet::from([(id.clone(), 3)]));
    assert!(parts.ready(105, 3600).is_empty());
    parts.off_modem(&id, 3);
    let ready = parts.ready(105, 3600);
    assert_eq!(ready.len(), 1);
    let seqs: Vec<u8> = ready[0].parts.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(ready[0].kind, Kind::Message);
    parts.remove(&ready[0].id).unwrap();
    assert_eq!(parts.len(), 0);
    assert_eq!(
        fs::read_dir(dir.path().join("smsgate.parts/GSM1"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn parts_left_by_a_crash_after_their_file_was_written_are_ready_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    let HoldOutcome::Stored { id, .. } = parts.hold(&part(1, 2, "one"), 1000, None).unwrap() else {
        panic!("not stored")
    };
    drop(parts);
    fs::create_dir_all(dir.path().join("incoming")).unwrap();
    fs::write(dir.path().join("incoming").join(format!("GSM1.{id}")), "written").unwrap();
    let parts = store(dir.path());
    let ready = parts.ready(1001, 3600);
    assert_eq!(ready.len(), 1, "not waiting for part 2 for an hour");
    assert_eq!(ready[0].id, id);
}

#[test]
fn an_incomplete_message_is_ready_once_it_has_waited_long_enough() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    parts.hold(&part(1, 2, "one"), 1000, None).unwrap();
    assert_eq!(parts.next_timeout(60), Some(1060));
    assert!(parts.ready(1000 + 59, 60).is_empty());
    let ready = parts.ready(1000 + 60, 60);
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].parts.len(), 1);
}

#[test]
fn singles_reports_and_undecodable_pdus_are_ready_at_once_and_submits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    let single = hex_to_bytes(SINGLE).unwrap();
    let HoldOutcome::Stored { id, seq: 1 } = parts.hold(&single, 1, Some(3)).unwrap() else {
        panic!("not stored")
    };
    // Read again before its deletion from the modem went through: the
    // same message, not a new one.
    assert_eq!(
        parts.hold(&single, 2, Some(3)).unwrap(),
        HoldOutcome::Duplicate {
            id: id.clone(),
            seq: 1
        }
    );
    assert!(parts.ready(2, 3600).is_empty(), "still in the modem");
    parts.off_modem(&id, 1);
    // Damaged: kept as it is, written as an error later.
    assert!(matches!(
        parts.hold(&[0x00, 0x04, 0xFF], 1, None).unwrap(),
        HoldOutcome::Stored { .. }
    ));
    // A status report (TS 23.040 9.2.2.3), SMSC absent.
    let report = hex_to_bytes("0006D60B911326880736F4111011719551401110117195714000").unwrap();
    assert!(matches!(
        parts.hold(&report, 1, None).unwrap(),
        HoldOutcome::Stored { .. }
    ));
    // A SUBMIT stored in the SIM is not a received message.
    let submit = hex_to_bytes("0011000B916407281553F80000AA0AE8329BFD4697D9EC37").unwrap();
    assert_eq!(parts.hold(&submit, 1, None).unwrap(), HoldOutcome::NotReceived);
    let ready = parts.ready(1, 3600);
    assert_eq!(ready.len(), 3);
    let kinds: Vec<Kind> = ready.iter().map(|ready| ready.kind).collect();
    assert_eq!(kinds.iter().filter(|kind| **kind == Kind::Report).count(), 1);
    // Every id is distinct and names no existing file.
    let mut ids: Vec<&str> = ready.iter().map(|ready| ready.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

/// Issue 11, item 7: a device that sends "ALARM" twice; both copies in
/// the storage (also across a restart) are two messages, not one file
/// and a copy deleted from the SIM.
#[test]
fn equal_messages_are_two_and_only_a_slot_read_twice_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    let alarm = encode(deliver("ALARM"));
    let stored = |outcome: HoldOutcome| match outcome {
        HoldOutcome::Stored { id, .. } => id,
        other => panic!("not stored: {other:?}"),
    };
    let first = stored(parts.hold(&alarm, 10, Some(1)).unwrap());
    let second = stored(parts.hold(&alarm, 11, Some(2)).unwrap());
    assert_ne!(first, second);
    // Routed to us (+CMT) twice: two more.
    let third = stored(parts.hold(&alarm, 12, None).unwrap());
    let fourth = stored(parts.hold(&alarm, 12, None).unwrap());
    assert_ne!(third, fourth);
    // Slot 2 read again before its deletion went through: the same one.
    assert_eq!(
        parts.hold(&alarm, 13, Some(2)).unwrap(),
        HoldOutcome::Duplicate {
            id: second.clone(),
            seq: 1
        }
    );
    drop(parts);
    // After a restart, a listing finds both still in the storage.
    let mut parts = store(dir.path());
    assert_eq!(parts.len(), 4);
    assert_eq!(
        parts.hold(&alarm, 20, Some(1)).unwrap(),
        HoldOutcome::Duplicate {
            id: first.clone(),
            seq: 1
        }
    );
    assert!(matches!(
        parts.hold(&alarm, 20, Some(2)).unwrap(),
        HoldOutcome::Duplicate { .. }
    ));
    // Deleted from slot 1; a new ALARM lands there: a new message.
    parts.off_modem(&first, 1);
    let fifth = stored(parts.hold(&alarm, 21, Some(1)).unwrap());
    assert_ne!(fifth, first);
    assert_eq!(parts.len(), 5);
}

/// Issue 11, item 8: two messages from one sender with the same 8-bit
/// reference, AAA (part 1 held) and BBB (both parts): BBB's part 1 is
/// not taken for a copy of AAA's (and deleted), nor BBB's part 2 glued
/// to AAA; AAA is written as incomplete when its time comes.
#[test]
fn a_part_that_collides_with_a_held_one_starts_a_new_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    let stored = |outcome: HoldOutcome| match outcome {
        HoldOutcome::Stored { id, seq } => (id, seq),
        other => panic!("not stored: {other:?}"),
    };
    let (aaa, _) = stored(parts.hold(&part(1, 2, "AAA"), 100, Some(1)).unwrap());
    let (bbb, seq) = stored(parts.hold(&part(1, 2, "BBB"), 200, Some(2)).unwrap());
    assert_ne!(bbb, aaa);
    assert_eq!(seq, 1);
    assert_eq!(
        stored(parts.hold(&part(2, 2, "BBB two"), 201, Some(3)).unwrap()),
        (bbb.clone(), 2)
    );
    for (id, seq) in [(&aaa, 1), (&bbb, 1), (&bbb, 2)] {
        parts.off_modem(id, seq);
    }
    let ready = parts.ready(202, 3600);
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].id, bbb);
    let texts: Vec<&str> = ready[0].parts.iter().map(|(_, part)| part.pdu.as_str()).collect();
    assert_eq!(
        texts,
        [
            bytes_to_hex(&part(1, 2, "BBB")),
            bytes_to_hex(&part(2, 2, "BBB two"))
        ]
    );
    parts.remove(&bbb).unwrap();
    // AAA waits for its part 2, across a restart, then goes alone.
    drop(parts);
    let mut parts = store(dir.path());
    assert_eq!(parts.len(), 1);
    parts.listed(&std::collections::HashSet::new());
    assert_eq!(parts.next_timeout(3600), Some(100 + 3600));
    let ready = parts.ready(100 + 3600, 3600);
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].id, aaa);
    assert_eq!(ready[0].parts.len(), 1);
}

/// Two messages of one key held across a restart stay two, and new
/// parts join the later one.
#[test]
fn two_messages_of_one_key_stay_apart_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    let HoldOutcome::Stored { id: old, .. } = parts.hold(&part(1, 3, "old"), 100, None).unwrap() else {
        panic!()
    };
    let HoldOutcome::Stored { id: new, .. } = parts.hold(&part(1, 3, "new"), 200, None).unwrap() else {
        panic!()
    };
    drop(parts);
    let mut parts = store(dir.path());
    assert_eq!(parts.len(), 2);
    assert_eq!(
        parts.hold(&part(2, 3, "new two"), 300, None).unwrap(),
        HoldOutcome::Stored {
            id: new.clone(),
            seq: 2
        }
    );
    assert_ne!(old, new);
}

#[test]
fn names_round_trip_and_junk_is_not_a_part() {
    assert_eq!(parse_name(&part_name("aB3xYz", 12)), Some(("aB3xYz", 12)));
    assert_eq!(parse_name("notes.txt"), None);
    assert_eq!(parse_name("abc-300.json"), None);
    assert_eq!(hex_to_bytes("0A0b"), Some(vec![0x0A, 0x0B]));
    assert_eq!(hex_to_bytes("0A0"), None);
    assert_eq!(hex_to_bytes("zz"), None);
}
