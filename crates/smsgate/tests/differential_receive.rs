//! The receive-side differential test against Debian's smstools3 (`smsd`
//! 3.1.21), issue 6: the PDUs of `tests/data/differential-receive/` (GSM
//! 7-bit, UCS2, 8-bit data, multipart in order and shuffled, flash, status
//! reports, damaged PDUs) are delivered to a simulated modem read by the
//! real smsd, and to one read by `smsgate run`; the `incoming/` and
//! `report/` files must agree field by field, except `Received` (the
//! clock), the file names and the deliberate differences of
//! `docs/differences.md` ("Receive side").
//!
//! smsd runs live in every test here: when it is missing the tests fail,
//! they never skip. `NAME.smsd` in the corpus is what smsd wrote when the
//! corpus was captured (`UPDATE_EXPECT=1` rewrites them from the live
//! run); the spool crate's tests render the same PDUs against them without
//! smsd. Every process is killed, with its process group, in teardown.
//!
//! Besides smsd's UTF-8 mode (the corpus's), two more pairs of runs:
//! smsd's defaults (`incoming_utf8 = no`: ISO-8859-15 text, raw UCS2)
//! against `incoming-charset = "iso-8859-15"`, with every PDU stored
//! (`store_received_pdu = 3`); and the UTF-8 mode with
//! `store_received_pdu = 2`.
//!
//! `SMSGATE_DIFFERENTIAL_KEEP=1` keeps the runs' directories.

#[allow(dead_code, reason = "the send-side helpers are not all used here")]
#[path = "differential/support.rs"]
mod support;

#[path = "differential/received.rs"]
mod received;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use received::{
    corpus, data_dir, differences, parse_spool_time, Entry, OutputKey, SpoolFile, NETWORK_REPORT,
};
use spool::incoming::{render_incoming, render_pdu, MessagePart, ReceivedBy};
use support::{drop_file, tail, wait_for, Rig, SmsgateRun};

/// The modem's name in both configurations, so `Subject:` and `Modem:`
/// agree.
const MODEM: &str = "GSM1";

/// The message sent first, with a status report requested: the corpus's
/// reports carry its TP-MR (1, the simulator's first reference).
const REPORT_PROBE: &[u8] = b"To: 4917299990001\nReport: yes\n\nReport probe\n";
const REPORT_PROBE_NAME: &str = "report-probe";
const REPORT_PROBE_MR: &str = "1";

/// How long each implementation may take to send the probe and to write a
/// file for every corpus entry. smsd polls the SIM store every second and
/// takes about 0.25 s per message read.
const RUN_LIMIT: Duration = Duration::from_secs(40);

/// Fields that differ on purpose, by corpus entry, with the section of
/// `docs/differences.md` that gives the reason. The renderer test checks
/// that they still differ, so that a change is noticed and the docs
/// updated.
const DELIBERATE: &[(&str, &[&str], &str)] = &[
    (
        "03-ucs2-emoji",
        &["Length", "body"],
        "R1 characters outside the BMP",
    ),
    (
        "13-damaged-trailing",
        &["Warning"],
        "R2 warnings smsd does not give",
    ),
];

/// Fields `smsgate run` adds to what the renderer writes, by corpus entry:
/// only the smsd-smsgate comparison skips them.
const DAEMON_ADDITIONS: &[(&str, &[&str], &str)] = &[
    (
        "r0-network-report",
        &["Sent_file", "Sent_part"],
        "R4 reports linked to sent files",
    ),
    (
        "r1-delivered",
        &["Sent_file", "Sent_part"],
        "R4 reports linked to sent files",
    ),
    (
        "r2-temporary",
        &["Sent_file", "Sent_part"],
        "R4 reports linked to sent files",
    ),
    (
        "r3-permanent",
        &["Sent_file", "Sent_part"],
        "R4 reports linked to sent files",
    ),
];

/// The network's own report is stamped with the time of each run, in its
/// PDU too.
const NETWORK_REPORT_LIVE_FIELDS: &[&str] = &["Sent", "Discharge_timestamp", "PDU"];

/// smsd's UTF-8 mode, the corpus's (its `store_received_pdu` is the
/// default, 1, smsgate's too).
const SMSD_UTF8: &str = "incoming_utf8 = yes\ndecode_unicode_text = yes\n";

/// Fields that differ on purpose in smsd's default ISO-8859-15 mode: R1
/// is not one, as UCS2 is written raw there, emoji and all.
const DELIBERATE_ISO: &[(&str, &[&str], &str)] = &[(
    "13-damaged-trailing",
    &["Warning"],
    "R2 warnings smsd does not give",
)];

#[test]
fn smsd_writes_what_the_spool_renderer_writes() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 15,
        "the corpus is too small: {} entries",
        corpus.len()
    );
    let smsd_run = run_smsd(&corpus, SMSD_UTF8);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        for entry in &corpus {
            if let (Some(bytes), false) = (smsd_run.files.get(&entry.name), entry.pdus.is_empty()) {
                std::fs::write(data_dir().join(format!("{}.smsd", entry.name)), bytes).unwrap();
            }
        }
    }
    let mut failures = smsd_run.unattributed();
    for entry in &corpus {
        let Some(live) = smsd_run.files.get(&entry.name) else {
            let _ = writeln!(failures, "{}: smsd wrote no file", entry.name);
            continue;
        };
        if entry.pdus.is_empty() {
            // The network's report: its PDU is the simulator's, live.
            continue;
        }
        // smsd is deterministic but for Received: the live file must still
        // be the captured one, or the capture is stale.
        let stale = differences(&entry.golden(), live, &[]);
        if !stale.is_empty() {
            let _ = writeln!(
                failures,
                "{}: smsd's live file differs from {}.smsd (rerun with UPDATE_EXPECT=1):\n{stale}",
                entry.name, entry.name
            );
        }
        let rendered = render(entry, live);
        let allowed = skipped_fields(DELIBERATE, &entry.name);
        if !allowed.is_empty() && differences(live, &rendered, &[]).is_empty() {
            let _ = writeln!(
                failures,
                "{}: now identical, but listed in DELIBERATE: remove it there and from docs/differences.md",
                entry.name
            );
        }
        let found = differences(live, &rendered, &allowed);
        if !found.is_empty() {
            let _ = writeln!(
                failures,
                "{}: the spool renderer differs from smsd:\n{found}--- smsd ---\n{}--- renderer ---\n{}",
                entry.name,
                String::from_utf8_lossy(live),
                String::from_utf8_lossy(&rendered)
            );
        }
    }
    assert!(failures.is_empty(), "{failures}\n{}", smsd_run.diagnostics);
}

/// The differential test proper: smsd and `smsgate run`, at the same
/// time, each on a simulator of its own with the same modem identity.
#[test]
fn smsd_and_smsgate_write_the_same_incoming_and_report_files() {
    smsd_and_smsgate_agree(SMSD_UTF8, "", DELIBERATE);
}

/// Issue 12.18 and 12.19: smsd's default charset (`incoming_utf8 = no`,
/// `decode_unicode_text = no`: ISO-8859-15, UCS2 raw), which existing
/// eventhandlers read, and every PDU stored in its file.
#[test]
fn smsd_defaults_iso_8859_15_with_every_pdu_stored() {
    smsd_and_smsgate_agree(
        "incoming_utf8 = no\nstore_received_pdu = 3\n",
        "incoming-charset = \"iso-8859-15\"\nstore-received-pdu = 3\n",
        DELIBERATE_ISO,
    );
}

/// Issue 12.19: `store_received_pdu = 2` stores the reports' PDUs (and raw
/// UCS2's, none in UTF-8 mode), not those of GSM text or 8-bit data.
#[test]
fn utf8_with_the_pdus_of_reports_stored() {
    smsd_and_smsgate_agree(
        &format!("{SMSD_UTF8}store_received_pdu = 2\n"),
        "store-received-pdu = 2\n",
        DELIBERATE,
    );
}

/// smsd with `smsd_globals` and `smsgate run` with `spool_keys` in its
/// `[spool]` receive the corpus; their files must agree but for
/// `deliberate`.
fn smsd_and_smsgate_agree(
    smsd_globals: &str,
    spool_keys: &str,
    deliberate: &[(&str, &[&'static str], &str)],
) {
    let corpus = corpus();
    let (smsd_run, smsgate_run) = std::thread::scope(|scope| {
        let smsd = scope.spawn(|| run_smsd(&corpus, smsd_globals));
        let smsgate = scope.spawn(|| run_smsgate(&corpus, spool_keys));
        (join(smsd, "smsd"), join(smsgate, "smsgate"))
    });
    eprintln!(
        "corpus of {} entries: smsd {:.1?}, smsgate {:.1?}",
        corpus.len(),
        smsd_run.elapsed,
        smsgate_run.elapsed
    );
    let mut failures = smsd_run.unattributed() + &smsgate_run.unattributed();
    for entry in &corpus {
        match (
            smsd_run.files.get(&entry.name),
            smsgate_run.files.get(&entry.name),
        ) {
            (Some(smsd), Some(smsgate)) => {
                let mut skipped = skipped_fields(deliberate, &entry.name);
                skipped.extend(
                    DAEMON_ADDITIONS
                        .iter()
                        .filter(|(name, _, _)| *name == entry.name)
                        .flat_map(|(_, fields, _)| fields.iter().copied()),
                );
                let found = differences(smsd, smsgate, &skipped);
                if !found.is_empty() {
                    let _ = writeln!(failures, "{}: smsd and smsgate differ:\n{found}", entry.name);
                }
            }
            (smsd, smsgate) => {
                let _ = writeln!(
                    failures,
                    "{}: smsd wrote {}, smsgate wrote {}",
                    entry.name,
                    if smsd.is_some() { "a file" } else { "none" },
                    if smsgate.is_some() { "a file" } else { "none" },
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{failures}\n{}\n{}",
        smsd_run.diagnostics,
        smsgate_run.diagnostics
    );
}

/// The fields of entry `name` that are not compared: its deliberate
/// differences, and the live times of the network's report.
fn skipped_fields(deliberate: &[(&str, &[&'static str], &str)], name: &str) -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = deliberate
        .iter()
        .filter(|(entry, _, _)| *entry == name)
        .flat_map(|(_, fields, _)| fields.iter().copied())
        .collect();
    if name == NETWORK_REPORT {
        fields.extend_from_slice(NETWORK_REPORT_LIVE_FIELDS);
    }
    fields
}

/// What the spool crate renders for `entry`, with the `Received` time and
/// the modem identity taken from smsd's file (the clock is the caller's).
fn render(entry: &Entry, smsd_file: &[u8]) -> Vec<u8> {
    let smsd = SpoolFile::parse(smsd_file);
    let received_by = ReceivedBy {
        modem: MODEM.to_owned(),
        number: None,
        description: None,
        imsi: smsd.get("IMSI").map(str::to_owned),
        imei: smsd.get("IMEI").map(str::to_owned),
        received: smsd
            .get("Received")
            .and_then(parse_spool_time)
            .unwrap_or_else(|| panic!("{}: no Received time in smsd's file", entry.name)),
    };
    let decoded = entry.decoded();
    let parts: Vec<MessagePart<'_>> = decoded.iter().filter_map(MessagePart::of).collect();
    if parts.is_empty() {
        render_pdu(&decoded[0], &received_by).1
    } else {
        render_incoming(&parts, &received_by)
    }
}

/// What one implementation wrote.
struct Run {
    /// The output file of each corpus entry, by entry name.
    files: BTreeMap<String, Vec<u8>>,
    /// Files no entry claims (`dir/name`), each a failure.
    stray: Vec<String>,
    elapsed: Duration,
    diagnostics: String,
}

impl Run {
    fn unattributed(&self) -> String {
        self.stray
            .iter()
            .map(|name| format!("{name}: a file no corpus entry explains\n"))
            .collect()
    }
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Run>, who: &str) -> Run {
    handle
        .join()
        .unwrap_or_else(|_| panic!("the {who} run failed (see its panic above)"))
}

/// The regular, non-hidden, non-lock files of `dir`, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.') && !name.ends_with(".LOCK"))
        .filter_map(|name| Some((name.clone(), std::fs::read(dir.join(&name)).ok()?)))
        .collect()
}

fn describe_spool(spool: &Path) -> String {
    let mut out = String::new();
    for dir in ["outgoing", "checked", "sent", "failed", "incoming", "report"] {
        let names: Vec<String> = files(&spool.join(dir)).into_keys().collect();
        let _ = writeln!(out, "{dir}/: {names:?}");
    }
    out
}

/// The common part of both runs, once the implementation is up: send the
/// probe (so the reports' TP-MR is a message it sent), deliver the corpus,
/// wait until every entry has its file and the SIM store is empty, and
/// attribute the files to the entries.
fn receive_corpus(
    who: &str,
    rig: &Rig,
    spool: &Path,
    corpus: &[Entry],
    diagnose: &dyn Fn() -> String,
) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    drop_file(&spool.join("outgoing"), REPORT_PROBE_NAME, REPORT_PROBE);
    let sent = wait_for(
        &format!("{who} to send the report probe"),
        RUN_LIMIT,
        || files(&spool.join("sent")).remove(REPORT_PROBE_NAME),
        diagnose,
    );
    let sent = SpoolFile::parse(&sent);
    assert_eq!(
        sent.get("Message_id"),
        Some(REPORT_PROBE_MR),
        "{who}: the probe's reference; the corpus's reports need it\n{}",
        diagnose()
    );
    for entry in corpus {
        for pdu in &entry.pdus {
            rig.inject_pdu(pdu.clone());
        }
    }
    let output = || {
        let mut all: Vec<(String, Vec<u8>)> = Vec::new();
        for dir in ["incoming", "report"] {
            for (name, bytes) in files(&spool.join(dir)) {
                all.push((format!("{dir}/{name}"), bytes));
            }
        }
        all
    };
    wait_for(
        &format!("{who} to write a file for every corpus entry"),
        RUN_LIMIT,
        || {
            let all = output();
            let done = corpus.iter().all(|entry| {
                all.iter()
                    .any(|(_, bytes)| SpoolFile::parse(bytes).matches(&entry.key))
            });
            (done && rig.stored() == 0).then_some(())
        },
        diagnose,
    );
    // A straggler (a part written on its own, a second copy) would show
    // up within a poll or two.
    std::thread::sleep(Duration::from_millis(1500));
    let mut by_entry = BTreeMap::new();
    let mut stray = Vec::new();
    for (name, bytes) in output() {
        let file = SpoolFile::parse(&bytes);
        let in_report_dir = name.starts_with("report/");
        match corpus.iter().find(|entry| {
            file.matches(&entry.key) && in_report_dir != matches!(entry.key, OutputKey::From(_))
        }) {
            Some(entry) if !by_entry.contains_key(&entry.name) => {
                by_entry.insert(entry.name.clone(), bytes);
            }
            _ => stray.push(name),
        }
    }
    (by_entry, stray)
}

fn run_smsd(corpus: &[Entry], smsd_globals: &str) -> Run {
    let rig = Rig::start("smsgate-differential-receive-smsd-");
    // Debian's /etc/smsd.conf sets neither incoming_utf8 nor
    // decode_unicode_text, which writes GSM text as ISO-8859-15 and UCS2 as
    // raw UCS-2: smsgate's `incoming-charset = "iso-8859-15"`. Its UTF-8
    // mode is both settings on. delaytime 1 makes it poll every second.
    let started = Instant::now();
    let (smsd, spool) = rig.start_smsd(MODEM, smsd_globals, "incoming = yes\nreport = yes\n");
    let diagnostics = || {
        format!(
            "--- smsd run ---\n{}{}\n{}",
            describe_spool(&spool),
            tail(&spool.join("smsd.err"), 20),
            tail(&spool.join("smsd.log"), 80)
        )
    };
    let (files, stray) = receive_corpus("smsd", &rig, &spool, corpus, &diagnostics);
    let elapsed = started.elapsed();
    let diagnostics = diagnostics();
    drop(smsd);
    Run {
        files,
        stray,
        elapsed,
        diagnostics,
    }
}

fn run_smsgate(corpus: &[Entry], spool_keys: &str) -> Run {
    let rig = Rig::start("smsgate-differential-receive-smsgate-");
    let started = Instant::now();
    let dirs = ["outgoing", "sent", "failed", "incoming", "report"];
    let SmsgateRun { daemon, log, spool } = rig.start_smsgate(
        MODEM,
        spool_keys,
        "receive = true\nreport = true\n",
        &dirs,
        describe_spool,
        80,
    );
    let diagnostics = || {
        format!(
            "--- smsgate run ---\n{}{}",
            describe_spool(&spool),
            tail(&log, 80)
        )
    };
    let (files, stray) = receive_corpus("smsgate", &rig, &spool, corpus, &diagnostics);
    let elapsed = started.elapsed();
    let diagnostics = diagnostics();
    drop(daemon);
    Run {
        files,
        stray,
        elapsed,
        diagnostics,
    }
}
