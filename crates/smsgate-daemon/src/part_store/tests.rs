use super::*;
use crate::receive::test_pdus::{part, SINGLE};

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

fn held(pdu: Vec<u8>, arrived_unix: u64, slot: Option<u32>) -> HeldPart {
    HeldPart {
        pdu,
        arrived_unix,
        slot,
    }
}

#[test]
fn held_parts_are_read_back_after_a_restart_and_released_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    parts
        .hold_part("aB3xYz", 2, &held(part(2, 3, "two"), 100, Some(1)))
        .unwrap();
    parts
        .hold_part("aB3xYz", 3, &held(part(3, 3, "three"), 102, None))
        .unwrap();
    parts
        .hold_part("other1", 1, &held(hex_to_bytes(SINGLE).unwrap(), 5, Some(9)))
        .unwrap();
    // A part cut off while being written, and a stranger.
    let parts_dir = dir.path().join("smsgate.parts/GSM1");
    fs::write(parts_dir.join(".aB3xYz-1.json.smsgate-tmp"), "{").unwrap();
    fs::write(parts_dir.join("notes.txt"), "mine").unwrap();
    drop(parts);

    let mut parts = store(dir.path());
    let loaded = parts.load().unwrap();
    assert_eq!(
        loaded.parts,
        [
            ("aB3xYz".to_owned(), 2, held(part(2, 3, "two"), 100, Some(1))),
            ("aB3xYz".to_owned(), 3, held(part(3, 3, "three"), 102, None)),
            (
                "other1".to_owned(),
                1,
                held(hex_to_bytes(SINGLE).unwrap(), 5, Some(9))
            ),
        ]
    );
    assert!(loaded.written.is_empty());
    assert!(!parts_dir.join(".aB3xYz-1.json.smsgate-tmp").exists());
    assert!(parts_dir.join("notes.txt").exists(), "left alone");

    parts.release_parts("aB3xYz", &[2, 3]).unwrap();
    // Released twice (a retry after a failure): nothing left to do.
    parts.release_parts("aB3xYz", &[2, 3]).unwrap();
    assert_eq!(store(dir.path()).load().unwrap().parts.len(), 1);
}

#[test]
fn a_message_written_before_its_parts_were_released_is_known_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = store(dir.path());
    parts
        .hold_part("AAAAAA", 1, &held(part(1, 2, "one"), 1000, None))
        .unwrap();
    fs::create_dir_all(dir.path().join("incoming")).unwrap();
    fs::create_dir_all(dir.path().join("report")).unwrap();
    assert!(!parts.id_taken("AAAAAA"), "held ids are the assembler's to know");
    let location = parts.write_message("AAAAAA", Kind::Message, b"written").unwrap();
    assert_eq!(location, dir.path().join("incoming/GSM1.AAAAAA").into_os_string());
    assert!(parts.id_taken("AAAAAA"));
    let report = parts.write_message("BBBBBB", Kind::Report, b"report").unwrap();
    assert_eq!(report, dir.path().join("report/GSM1.BBBBBB").into_os_string());
    assert!(parts.id_taken("BBBBBB"));
    let loaded = store(dir.path()).load().unwrap();
    assert_eq!(loaded.written, ["AAAAAA".to_owned()].into());
}

#[test]
fn names_round_trip_and_junk_is_not_a_part() {
    assert_eq!(parse_name(&part_name("aB3xYz", 12)), Some(("aB3xYz", 12)));
    assert_eq!(parse_name("notes.txt"), None);
    assert_eq!(parse_name("abc-300.json"), None);
    assert_eq!(hex_to_bytes("0A0b"), Some(vec![0x0A, 0x0B]));
    assert_eq!(hex_to_bytes("0A0"), None);
    assert_eq!(hex_to_bytes("zz"), None);
    assert_eq!(bytes_to_hex(&[0x0A, 0xFF]), "0AFF");
}
