//! The `incoming/` and `report/` renderers against what smsd 3.1.21
//! wrote for the same PDUs: the corpus of the receive-side differential
//! test (`smsgate/tests/data/differential-receive`: `NAME.hex`, the PDUs
//! in delivery order, and `NAME.smsd`, smsd's file). Each file is
//! rendered with smsd's `Received` time and modem identity and must be
//! smsd's byte for byte; the deliberate differences of
//! `docs/differences.md` ("Receive side") are checked to be exactly what
//! they claim to be.

use std::path::{Path, PathBuf};

use sms_pdu::{Decoded, Pdu};
use spool::incoming::{render_incoming, render_pdu, MessagePart, ReceivedBy};
use spool::SpoolTime;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../smsgate/tests/data/differential-receive")
}

struct Case {
    name: String,
    pdus: Vec<Decoded<Pdu>>,
    smsd: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let dir = corpus_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hex"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let pdus = std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(|line| Pdu::decode_hex(line).unwrap_or_else(|err| panic!("{name}: {err}")))
                .collect();
            let smsd =
                std::fs::read(path.with_extension("smsd")).unwrap_or_else(|err| panic!("{name}.smsd: {err}"));
            Case { name, pdus, smsd }
        })
        .collect()
}

/// The value of header `name` in an smsd file.
fn header<'a>(file: &'a str, name: &str) -> Option<&'a str> {
    file.split("\n\n")
        .next()?
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
}

fn render(case: &Case) -> Vec<u8> {
    let smsd = String::from_utf8_lossy(&case.smsd);
    let received = header(&smsd, "Received").unwrap_or_else(|| panic!("{}: no Received", case.name));
    let number = |range: std::ops::Range<usize>| received[range].parse::<u8>().unwrap();
    let received_by = ReceivedBy {
        modem: header(&smsd, "Modem").unwrap().to_owned(),
        number: None,
        description: None,
        imsi: header(&smsd, "IMSI").map(str::to_owned),
        imei: header(&smsd, "IMEI").map(str::to_owned),
        received: SpoolTime {
            year: 2000 + u16::from(number(0..2)),
            month: number(3..5),
            day: number(6..8),
            hour: number(9..11),
            minute: number(12..14),
            second: number(15..17),
        },
    };
    let parts: Vec<MessagePart<'_>> = case.pdus.iter().filter_map(MessagePart::of).collect();
    match parts.is_empty() {
        true => render_pdu(&case.pdus[0], &received_by).1,
        false => render_incoming(&parts, &received_by),
    }
}

#[test]
fn the_renderers_write_what_smsd_wrote() {
    let cases = cases();
    assert!(
        cases.len() >= 15,
        "the corpus is too small: {} cases",
        cases.len()
    );
    let mut failures = String::new();
    for case in &cases {
        let rendered = render(case);
        let expected = match case.name.as_str() {
            // R1: smsd 3.1.21 stops at a character outside the BMP (its
            // UCS2 to UTF-8 conversion has no surrogate pairs); smsgate
            // writes the whole text, and Length counts its UTF-8 octets.
            "03-ucs2-emoji" => {
                let text = "Привет, мир! € 😀 ok";
                let smsd = String::from_utf8(case.smsd.clone()).unwrap();
                let smsd_text = smsd.split_once("\n\n").unwrap().1;
                assert!(text.starts_with(smsd_text) && smsd_text.len() < text.len());
                smsd.replace("Length: 26\n", &format!("Length: {}\n", text.len()))
                    .replace(&format!("\n\n{smsd_text}"), &format!("\n\n{text}"))
                    .into_bytes()
            }
            // R2: two octets after the user data; smsd does not notice.
            "13-damaged-trailing" => {
                let mut expected =
                    b"Warning: octet 33 (TP-UD): 2 octet(s) after the user data, ignored\n".to_vec();
                expected.extend_from_slice(&case.smsd);
                expected
            }
            _ => case.smsd.clone(),
        };
        if rendered != expected {
            failures.push_str(&format!(
                "=== {} ===\n--- expected ---\n{}\n--- rendered ---\n{}\n",
                case.name,
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&rendered)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}
