//! Known-answer vectors: every file in `test_data/` is a PDU with its source
//! and the facts that source states (`# expect KEY: VALUE` lines), plus a
//! full field dump kept next to it (`NAME.txt`) so any change in decoding
//! shows up in review. Run with `UPDATE_EXPECT=1` to rewrite the dumps after
//! a deliberate change, then read the diff.
//!
//! Each vector is also re-encoded: the codec must give back the exact
//! octets.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sms_pdu::{Body, Decoded, Pdu, Tpdu, UserData, ValidityPeriod};

#[test]
fn deliver() {
    check_dir("deliver");
}

#[test]
fn submit() {
    check_dir("submit");
}

#[test]
fn status_report() {
    check_dir("status-report");
}

#[test]
fn malformed() {
    check_dir("malformed");
}

struct Vector {
    path: PathBuf,
    expects: Vec<String>,
    hex: String,
}

fn check_dir(kind: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data").join(kind);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hex"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no vectors in {}", dir.display());
    let mut failures = Vec::new();
    for path in paths {
        let vector = read_vector(&path);
        if let Err(failure) = check_vector(&vector) {
            failures.push(format!("{}:\n{failure}", path.display()));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

fn read_vector(path: &Path) -> Vector {
    let content = std::fs::read_to_string(path).unwrap();
    let mut expects = Vec::new();
    let mut hex = String::new();
    for line in content.lines() {
        if let Some(expect) = line.strip_prefix("# expect ") {
            expects.push(expect.to_owned());
        } else if !line.starts_with('#') {
            hex.push_str(line.trim());
        }
    }
    Vector {
        path: path.to_owned(),
        expects,
        hex,
    }
}

fn check_vector(vector: &Vector) -> Result<(), String> {
    let dump = match Pdu::decode_hex(&vector.hex) {
        Ok(decoded) => {
            let dump = dump(&decoded);
            let octets = sms_pdu::decode_hex(&vector.hex).unwrap();
            let reencoded = decoded
                .value
                .encode()
                .map_err(|err| format!("re-encoding failed: {err}"))?;
            if decoded.warnings.is_empty() && reencoded != octets {
                return Err(format!(
                    "re-encoding differs:\n  input:  {}\n  output: {}",
                    sms_pdu::encode_hex(&octets),
                    sms_pdu::encode_hex(&reencoded)
                ));
            }
            dump
        }
        Err(err) => format!("error: {err}\n"),
    };
    for expect in &vector.expects {
        // The source's facts must each be a line of the dump.
        if !dump.lines().any(|line| line == expect) {
            return Err(format!("expected line {expect:?} not in dump:\n{dump}"));
        }
    }
    let snapshot = vector.path.with_extension("txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&snapshot, &dump).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(&snapshot)
        .map_err(|_| format!("no {} (run with UPDATE_EXPECT=1):\n{dump}", snapshot.display()))?;
    if expected != dump {
        return Err(format!(
            "dump differs from {}:\n--- expected\n{expected}--- actual\n{dump}",
            snapshot.display()
        ));
    }
    Ok(())
}

/// One line per field, in wire order.
fn dump(decoded: &Decoded<Pdu>) -> String {
    let pdu = &decoded.value;
    let mut out = String::new();
    let address = |address: &sms_pdu::Address| format!("{address} (toa {:02X})", address.toa.0);
    match &pdu.smsc {
        Some(smsc) => writeln!(out, "smsc: {}", address(smsc)).unwrap(),
        None => writeln!(out, "smsc: none").unwrap(),
    }
    match &pdu.tpdu {
        Tpdu::Deliver(deliver) => {
            writeln!(out, "type: deliver").unwrap();
            let flags = flag_list(&[
                (deliver.no_more_messages, "mms"),
                (deliver.loop_prevention, "lp"),
                (deliver.status_report_indication, "sri"),
                (deliver.reply_path, "rp"),
            ]);
            writeln!(out, "flags: {flags}").unwrap();
            writeln!(out, "oa: {}", address(&deliver.originator)).unwrap();
            dump_pid(&mut out, deliver.pid);
            dump_dcs(&mut out, deliver.dcs);
            writeln!(out, "scts: {}", deliver.scts.to_rfc3339()).unwrap();
            dump_user_data(&mut out, &deliver.user_data, deliver.dcs);
        }
        Tpdu::Submit(submit) => {
            writeln!(out, "type: submit").unwrap();
            let flags = flag_list(&[
                (submit.reject_duplicates, "rd"),
                (submit.status_report_request, "srr"),
                (submit.reply_path, "rp"),
            ]);
            writeln!(out, "flags: {flags}").unwrap();
            writeln!(out, "mr: {}", submit.message_reference).unwrap();
            writeln!(out, "da: {}", address(&submit.destination)).unwrap();
            dump_pid(&mut out, submit.pid);
            dump_dcs(&mut out, submit.dcs);
            let vp = submit
                .validity
                .as_ref()
                .map_or("none".to_owned(), ValidityPeriod::describe);
            writeln!(out, "vp: {vp}").unwrap();
            dump_user_data(&mut out, &submit.user_data, submit.dcs);
        }
        Tpdu::StatusReport(report) => {
            writeln!(out, "type: status-report").unwrap();
            let flags = flag_list(&[
                (report.no_more_messages, "mms"),
                (report.loop_prevention, "lp"),
                (report.status_report_qualifier, "srq"),
            ]);
            writeln!(out, "flags: {flags}").unwrap();
            writeln!(out, "mr: {}", report.message_reference).unwrap();
            writeln!(out, "ra: {}", address(&report.recipient)).unwrap();
            writeln!(out, "scts: {}", report.scts.to_rfc3339()).unwrap();
            writeln!(out, "dt: {}", report.discharge_time.to_rfc3339()).unwrap();
            writeln!(out, "st: {}", report.status.smstools_header()).unwrap();
            if let Some(pi) = report.parameter_indicator {
                writeln!(out, "pi: {pi:02X}").unwrap();
            }
            if let Some(pid) = report.pid {
                dump_pid(&mut out, pid);
            }
            if let Some(dcs) = report.dcs {
                dump_dcs(&mut out, dcs);
            }
            if let Some(user_data) = &report.user_data {
                let dcs = report.dcs.unwrap_or(sms_pdu::DataCodingScheme::GSM7);
                dump_user_data(&mut out, user_data, dcs);
            }
        }
    }
    for warning in &decoded.warnings {
        writeln!(out, "warning: {warning}").unwrap();
    }
    out
}

fn flag_list(flags: &[(bool, &str)]) -> String {
    let set: Vec<&str> = flags
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
    if set.is_empty() {
        "none".to_owned()
    } else {
        set.join(" ")
    }
}

fn dump_pid(out: &mut String, pid: sms_pdu::ProtocolIdentifier) {
    match pid.replace_type() {
        Some(n) => writeln!(out, "pid: {:02X} ({}, type {n})", pid.0, pid.describe()).unwrap(),
        None => writeln!(out, "pid: {:02X} ({})", pid.0, pid.describe()).unwrap(),
    }
}

fn dump_dcs(out: &mut String, dcs: sms_pdu::DataCodingScheme) {
    let meaning = dcs.meaning();
    let mut words = vec![meaning.alphabet.name().to_owned()];
    if let Some(class) = meaning.class {
        words.push(format!("class {}", class as u8));
    }
    if meaning.compressed {
        words.push("compressed".to_owned());
    }
    if let Some(waiting) = meaning.waiting {
        words.push(format!(
            "message waiting: {} {}, {}",
            format!("{:?}", waiting.kind).to_lowercase(),
            if waiting.active { "active" } else { "inactive" },
            if waiting.store { "store" } else { "discard" }
        ));
    }
    writeln!(out, "dcs: {:02X} ({})", dcs.0, words.join(", ")).unwrap();
    writeln!(out, "alphabet: {}", meaning.alphabet.name()).unwrap();
}

fn dump_user_data(out: &mut String, user_data: &UserData, dcs: sms_pdu::DataCodingScheme) {
    if let Some(header) = &user_data.header {
        let elements: Vec<String> = header
            .elements
            .iter()
            .map(|element| format!("{:02X}:{}", element.iei(), sms_pdu::encode_hex(&element.data())))
            .collect();
        writeln!(out, "udh: {}", elements.join(" ")).unwrap();
        if let Some(concat) = header.concat() {
            let width = if concat.wide_reference { 16 } else { 8 };
            writeln!(
                out,
                "concat: ref={} total={} seq={} ({width}-bit reference)",
                concat.reference, concat.total, concat.seq
            )
            .unwrap();
        }
        if let Some((dst, src)) = header.ports() {
            writeln!(out, "ports: dst={dst} src={src}").unwrap();
        }
    }
    match user_data.text(dcs) {
        // Newlines are shown as ⏎ to keep the dump one line per field.
        Some((text, notes)) => {
            writeln!(out, "text: {}", text.replace('\n', "⏎")).unwrap();
            for note in notes {
                writeln!(out, "text note: {note}").unwrap();
            }
        }
        None => {
            let octets = match &user_data.body {
                Body::Octets(octets) => octets.clone(),
                Body::Septets(septets) => septets.clone(),
            };
            writeln!(out, "data: {}", sms_pdu::encode_hex(&octets)).unwrap();
        }
    }
}
