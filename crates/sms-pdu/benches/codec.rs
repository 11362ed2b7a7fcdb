//! Criterion benchmarks of the codec, one message per iteration (criterion
//! reports messages/s):
//!
//! - `gsm7_160`: a 160-character GSM 7-bit text, one SMS-SUBMIT; encode is
//!   text to octets (`OutgoingMessage::text_pdus` and `Pdu::encode`),
//!   decode is octets to text (`Pdu::decode` and `text`);
//! - `ucs2_3_parts`: a UCS2 text of three concatenated parts; encode is
//!   text to three PDUs, decode is three received SMS-DELIVER PDUs through
//!   the `Reassembler` back to the text;
//! - `status_report`: an SMS-STATUS-REPORT as a modem prints it after
//!   `+CDS`, both ways.
//!
//! Run: `cargo bench -p sms-pdu --bench codec`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::reassembly::{MessageKey, Outcome, Reassembler};
use sms_pdu::split::{Autosplit, SplitOptions};
use sms_pdu::{Address, Deliver, Pdu, ProtocolIdentifier, Status, Timestamp, Tpdu, TypeOfAddress};

fn recipient() -> Address {
    Address::numeric("4917212345678", TypeOfAddress::INTERNATIONAL).unwrap()
}

fn smsc() -> Address {
    Address::numeric("15555050", TypeOfAddress::INTERNATIONAL).unwrap()
}

fn scts() -> Timestamp {
    Timestamp {
        year: 26,
        month: 11,
        day: 21,
        hour: 19,
        minute: 29,
        second: 19,
        tz_quarters: 4,
    }
}

fn concatenated() -> SplitOptions {
    SplitOptions {
        autosplit: Autosplit::Concatenated,
        reference: 0x42,
        ..SplitOptions::default()
    }
}

/// Encodes `text` into the octets of its SUBMIT PDUs.
fn encode_text(message: &OutgoingMessage, text: &str, options: &SplitOptions) -> Vec<Vec<u8>> {
    message
        .text_pdus(text, options)
        .unwrap()
        .iter()
        .map(|pdu| pdu.encode().unwrap())
        .collect()
}

fn gsm7_160(c: &mut Criterion) {
    let text: String = "The quick brown fox jumps over the lazy dog; 0123456789 (GSM 7-bit) "
        .chars()
        .cycle()
        .take(160)
        .collect();
    let message = OutgoingMessage::to(recipient());
    let options = concatenated();
    let pdus = encode_text(&message, &text, &options);
    assert_eq!(pdus.len(), 1, "one part");
    let octets = pdus.into_iter().next().unwrap();

    let mut group = c.benchmark_group("gsm7_160");
    group.throughput(Throughput::Elements(1));
    group.bench_function("encode", |b| {
        b.iter(|| encode_text(&message, black_box(&text), &options))
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let decoded = Pdu::decode(black_box(&octets)).unwrap();
            let Tpdu::Submit(submit) = decoded.value.tpdu else {
                panic!("not a SUBMIT");
            };
            submit.text().unwrap()
        })
    });
    group.finish();
    assert_eq!(decode_one(&octets), text);
}

fn decode_one(octets: &[u8]) -> String {
    match Pdu::decode(octets).unwrap().value.tpdu {
        Tpdu::Submit(submit) => submit.text().unwrap(),
        other => panic!("not a SUBMIT: {other:?}"),
    }
}

/// The DELIVER PDUs a phone receives for `text`, from the parts a split
/// makes.
fn delivered(text: &str, options: &SplitOptions) -> Vec<Vec<u8>> {
    let message = OutgoingMessage::to(recipient());
    message
        .text_pdus(text, options)
        .unwrap()
        .into_iter()
        .map(|pdu| {
            let Tpdu::Submit(submit) = pdu.tpdu else {
                panic!("not a SUBMIT");
            };
            let deliver = Deliver {
                no_more_messages: true,
                loop_prevention: false,
                status_report_indication: false,
                reply_path: false,
                originator: recipient(),
                pid: ProtocolIdentifier::DEFAULT,
                dcs: submit.dcs,
                scts: scts(),
                user_data: submit.user_data,
            };
            Pdu {
                smsc: Some(smsc()),
                tpdu: Tpdu::Deliver(deliver),
            }
            .encode()
            .unwrap()
        })
        .collect()
}

/// Decodes received parts and puts the text together.
fn reassemble(pdus: &[Vec<u8>]) -> String {
    let mut reassembler = Reassembler::new();
    for octets in pdus {
        let tpdu = Pdu::decode(octets).unwrap().value.tpdu;
        let (key, seq) = MessageKey::of_tpdu(&tpdu).unwrap();
        if let Outcome::Complete(parts) = reassembler.push(key, seq, tpdu) {
            return parts
                .iter()
                .map(|tpdu| {
                    let (user_data, dcs) = tpdu.user_data().unwrap();
                    user_data.text(dcs).unwrap().0
                })
                .collect();
        }
    }
    panic!("incomplete message");
}

fn ucs2_3_parts(c: &mut Criterion) {
    // 190 characters of Cyrillic: 67 per part behind an 8-bit reference.
    let text: String = "Съешь же ещё этих мягких французских булок, да выпей чаю. "
        .chars()
        .cycle()
        .take(190)
        .collect();
    let message = OutgoingMessage::to(recipient());
    let options = concatenated();
    assert_eq!(encode_text(&message, &text, &options).len(), 3, "three parts");
    let pdus = delivered(&text, &options);
    assert_eq!(reassemble(&pdus), text);

    let mut group = c.benchmark_group("ucs2_3_parts");
    group.throughput(Throughput::Elements(1));
    group.bench_function("encode", |b| {
        b.iter(|| encode_text(&message, black_box(&text), &options))
    });
    group.bench_function("decode", |b| b.iter(|| reassemble(black_box(&pdus))));
    group.finish();
}

fn status_report(c: &mut Criterion) {
    // Capture: smsd 3.1.21 lab, +CDS for TP-MR 2, delivered.
    let octets =
        sms_pdu::decode_hex("07915155550500F006020D91947112325476F8621112919202006211129192020000").unwrap();
    let decoded = Pdu::decode(&octets).unwrap();
    assert!(decoded.warnings.is_empty());
    let report = decoded.value;
    let Tpdu::StatusReport(fields) = &report.tpdu else {
        panic!("not a STATUS-REPORT");
    };
    assert_eq!((fields.message_reference, fields.status), (2, Status::DELIVERED));
    assert_eq!(report.encode().unwrap(), octets);

    let mut group = c.benchmark_group("status_report");
    group.throughput(Throughput::Elements(1));
    group.bench_function("encode", |b| b.iter(|| black_box(&report).encode().unwrap()));
    group.bench_function("decode", |b| {
        b.iter(|| {
            let decoded = Pdu::decode(black_box(&octets)).unwrap();
            let Tpdu::StatusReport(report) = decoded.value.tpdu else {
                panic!("not a STATUS-REPORT");
            };
            (report.message_reference, report.status.is_delivered())
        })
    });
    group.finish();
}

criterion_group!(benches, gsm7_160, ucs2_3_parts, status_report);
criterion_main!(benches);
