//! The differential test of smstools3's production settings (issue
//! 12.24, part A) against Debian's smstools3 (`smsd` 3.1.21): the files
//! of `tests/data/differential-production/` go once through the real
//! smsd and once through `smsgate run`, each on a simulator of its own,
//! both configured alike with `blacklist`/`whitelist` (the files beside
//! the corpus), `sent_copy`/`failed_copy`/`incoming_copy`,
//! `keep_filename = no`, `store_original_filename = yes` and the modem's
//! `number` and `description`; then one message is delivered to each
//! modem. What must agree:
//!
//! - each file's outcome (`sent/` or `failed/`, found by its
//!   `Original_filename:`) and `Fail_reason:`;
//! - the headers smsd adds, in smsd's order, with equal values
//!   (`Original_filename`, `Modem`, `Number`, `Description`, the reason);
//! - the new names' shape: `GSM1.xxxxxx` in `sent/`, `smsd.xxxxxx` for a
//!   file refused before a modem had it;
//! - the SMS-SUBMIT PDUs, by destination, as in `differential.rs`;
//! - the copies: one per finished or received file, with its bytes (smsd
//!   gives a copy yet another unique name, smsgate the file's: see
//!   `docs/differences.md`, D-P1);
//! - `Number:` and `Description:` after `Modem:` in the received file.
//!
//! smsd must be installed: when it is missing the test fails, it never
//! skips. Both daemons are killed, with their process groups, in
//! teardown. `SMSGATE_DIFFERENTIAL_KEEP=1` keeps the runs' directories.

#[allow(dead_code, reason = "not every helper is used here")]
#[path = "differential/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{destination_digits, drop_file, normalised, tail, wait_for, Rig, SmsgateRun, SMSD};

const MODEM: &str = "GSM1";
const NUMBER: &str = "4917200000000";
const DESCRIPTION: &str = "rack A slot 1";
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// The headers whose order and values are compared: the ones these
/// settings add, and those around them.
const COMPARED: &[&str] = &[
    "To",
    "Original_filename",
    "Modem",
    "Number",
    "Description",
    "Fail_reason",
    "Sent",
    "Failed",
];

/// A received message, SMS-DELIVER from +37120000000, GSM 7-bit "hi".
const DELIVER: &str = "07917283010010F5040B917321000000F000006221101245000002E834";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/differential-production")
}

/// The corpus: (name, bytes).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sms"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// What one implementation did.
#[derive(Debug, Default)]
struct Run {
    /// By original name: (directory, the file's name there, its text).
    finished: BTreeMap<String, (String, String, String)>,
    /// The received file's text.
    incoming: String,
    /// Copy directory -> the texts of its files, sorted.
    copies: BTreeMap<String, Vec<String>>,
    /// Spool directory -> the texts of its files, sorted.
    originals: BTreeMap<String, Vec<String>>,
    pdus: BTreeMap<String, Vec<Vec<u8>>>,
    diagnostics: String,
}

#[test]
fn smsd_and_smsgate_apply_the_production_settings_alike() {
    assert!(
        Path::new(SMSD).is_file(),
        "{SMSD} is missing: the differential test runs Debian's smstools3 smsd. \
         Run scripts/test, which installs it (apt-get install smstools)"
    );
    let corpus = corpus();
    assert!(
        corpus.len() >= 8,
        "the corpus is too small: {} files",
        corpus.len()
    );
    let (smsd, smsgate) = std::thread::scope(|scope| {
        let smsd = scope.spawn(|| run_smsd(&corpus));
        let smsgate = scope.spawn(|| run_smsgate(&corpus));
        (
            smsd.join().expect("the smsd run"),
            smsgate.join().expect("the smsgate run"),
        )
    });
    let mut failures = String::new();
    for (name, _) in &corpus {
        let (Some(theirs), Some(ours)) = (smsd.finished.get(name), smsgate.finished.get(name)) else {
            let _ = writeln!(failures, "{name}: not finished by both");
            continue;
        };
        if theirs.0 != ours.0 {
            let _ = writeln!(
                failures,
                "{name}: smsd put it in {}/, smsgate in {}/",
                theirs.0, ours.0
            );
        }
        let (smsd_headers, smsgate_headers) = (compared_headers(&theirs.2), compared_headers(&ours.2));
        // `Sent:`/`Failed:` are the clock's: their place counts, not their value.
        let without_time = |headers: &[(String, String)]| -> Vec<(String, String)> {
            headers
                .iter()
                .map(|(header, value)| match header.as_str() {
                    "Sent" | "Failed" => (header.clone(), String::new()),
                    _ => (header.clone(), value.clone()),
                })
                .collect()
        };
        if without_time(&smsd_headers) != without_time(&smsgate_headers) {
            let _ = writeln!(
                failures,
                "{name}: the headers differ\n--- smsd ({}) ---\n{}\n--- smsgate ({}) ---\n{}",
                theirs.1, theirs.2, ours.1, ours.2
            );
        }
        if shape(&theirs.1) != shape(&ours.1) {
            let _ = writeln!(failures, "{name}: smsd named it {}, smsgate {}", theirs.1, ours.1);
        }
    }
    let normalise = |run: &Run| -> BTreeMap<String, Vec<Vec<u8>>> {
        run.pdus
            .iter()
            .map(|(to, pdus)| (to.clone(), pdus.iter().map(|pdu| normalised(pdu)).collect()))
            .collect()
    };
    if normalise(&smsd) != normalise(&smsgate) {
        let _ = writeln!(
            failures,
            "the PDUs differ:\nsmsd {:?}\nsmsgate {:?}",
            smsd.pdus, smsgate.pdus
        );
    }
    for run in [&smsd, &smsgate] {
        if run.copies != run.originals {
            let _ = writeln!(
                failures,
                "the copies are not the files:\ncopies {:#?}\nfiles {:#?}",
                run.copies, run.originals
            );
        }
    }
    let received = |text: &str| -> Vec<(String, String)> {
        header_pairs(text)
            .into_iter()
            .filter(|(header, _)| {
                ["Subject", "Modem", "Number", "Description", "IMSI"].contains(&header.as_str())
            })
            .collect()
    };
    if received(&smsd.incoming) != received(&smsgate.incoming) {
        let _ = writeln!(
            failures,
            "the received files differ\n--- smsd ---\n{}\n--- smsgate ---\n{}",
            smsd.incoming, smsgate.incoming
        );
    }
    assert!(
        failures.is_empty(),
        "smsd and smsgate differ:\n{failures}\n{}\n{}",
        smsd.diagnostics,
        smsgate.diagnostics
    );
}

fn header_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(": "))
        .map(|(header, value)| (header.to_owned(), value.to_owned()))
        .collect()
}

fn compared_headers(text: &str) -> Vec<(String, String)> {
    header_pairs(text)
        .into_iter()
        .filter(|(header, _)| COMPARED.contains(&header.as_str()))
        .collect()
}

/// A finished file's name, its unique part replaced: `GSM1.xxxxxx`.
fn shape(name: &str) -> String {
    match name.split_once('.') {
        Some((prefix, suffix))
            if suffix.len() == 6 && suffix.bytes().all(|byte| byte.is_ascii_alphanumeric()) =>
        {
            format!("{prefix}.xxxxxx")
        }
        _ => name.to_owned(),
    }
}

fn texts(dir: &Path) -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.') && !name.ends_with(".LOCK"))
                .map(|name| {
                    let text = String::from_utf8_lossy(&std::fs::read(dir.join(&name)).unwrap()).into_owned();
                    (name, text)
                })
                .collect()
        })
        .unwrap_or_default();
    texts.sort();
    texts
}

/// Waits until every corpus file is finished and one message received,
/// then reads the run.
fn collect(rig: &Rig, spool: &Path, corpus: &[(String, Vec<u8>)], diagnose: impl Fn() -> String) -> Run {
    let finished = wait_for(
        "every corpus file in sent/ or failed/, and the received message",
        RUN_LIMIT,
        || {
            let mut finished = BTreeMap::new();
            for dir in ["sent", "failed"] {
                for (name, text) in texts(&spool.join(dir)) {
                    let original = header_pairs(&text)
                        .into_iter()
                        .find(|(header, _)| header == "Original_filename")
                        .map_or_else(|| name.clone(), |(_, value)| value);
                    finished.insert(original, (dir.to_owned(), name, text));
                }
            }
            let all = corpus.iter().all(|(name, _)| finished.contains_key(name));
            (all && texts(&spool.join("incoming")).len() == 1).then_some(finished)
        },
        &diagnose,
    );
    // A copy comes right after its file: wait until each has one.
    let count = |dir: &Path| texts(dir).len();
    wait_for(
        "a copy of every finished and received file",
        RUN_LIMIT,
        || {
            ["sent", "failed", "incoming"]
                .iter()
                .all(|dir| count(&spool.join(format!("{dir}-copy"))) == count(&spool.join(dir)))
                .then_some(())
        },
        &diagnose,
    );
    let mut run = Run {
        finished,
        incoming: texts(&spool.join("incoming")).remove(0).1,
        diagnostics: diagnose(),
        ..Run::default()
    };
    for dir in ["sent", "failed", "incoming"] {
        let sorted = |dir: &Path| {
            let mut texts: Vec<String> = texts(dir).into_iter().map(|(_, text)| text).collect();
            texts.sort();
            texts
        };
        run.originals.insert(dir.to_owned(), sorted(&spool.join(dir)));
        run.copies
            .insert(dir.to_owned(), sorted(&spool.join(format!("{dir}-copy"))));
    }
    for message in rig.submitted() {
        let to = destination_digits(&message.pdu).unwrap_or_default();
        run.pdus.entry(to).or_default().push(message.pdu);
    }
    run
}

fn deliver(rig: &Rig) {
    rig.inject_pdu(sms_pdu::decode_hex(DELIVER).expect("the DELIVER is hex"));
}

fn list(name: &str) -> String {
    data_dir().join(name).display().to_string()
}

fn run_smsd(corpus: &[(String, Vec<u8>)]) -> Run {
    let rig = Rig::start("smsgate-differential-production-smsd-");
    let copy = |dir: &str| {
        rig.path("spool")
            .join(format!("{dir}-copy"))
            .display()
            .to_string()
    };
    for dir in ["sent", "failed", "incoming"] {
        std::fs::create_dir_all(copy(dir)).unwrap();
    }
    let global = format!(
        "blacklist = {}\nwhitelist = {}\nsent_copy = {}\nfailed_copy = {}\nincoming_copy = {}\n\
         keep_filename = no\nstore_original_filename = yes\n",
        list("blacklist"),
        list("whitelist"),
        copy("sent"),
        copy("failed"),
        copy("incoming")
    );
    let modem = format!("incoming = yes\nreport = no\nnumber = {NUMBER}\ndescription = {DESCRIPTION}\n");
    let (smsd, spool) = rig.start_smsd(MODEM, &global, &modem);
    for (name, bytes) in corpus {
        drop_file(&spool.join("outgoing"), name, bytes);
    }
    deliver(&rig);
    let diagnose = || {
        format!(
            "--- smsd run ---\n{}\n{}",
            tail(&spool.join("smsd.err"), 20),
            tail(&spool.join("smsd.log"), 60)
        )
    };
    let run = collect(&rig, &spool, corpus, diagnose);
    drop(smsd);
    run
}

fn run_smsgate(corpus: &[(String, Vec<u8>)]) -> Run {
    let rig = Rig::start("smsgate-differential-production-smsgate-");
    let copy = |dir: &str| {
        rig.path("spool")
            .join(format!("{dir}-copy"))
            .display()
            .to_string()
    };
    let spool_keys = format!(
        "blacklist = {:?}\nwhitelist = {:?}\nsent-copy = {:?}\nfailed-copy = {:?}\nincoming-copy = {:?}\n\
         keep-filename = false\nstore-original-filename = true",
        list("blacklist"),
        list("whitelist"),
        copy("sent"),
        copy("failed"),
        copy("incoming")
    );
    let modem_keys = format!("receive = true\nnumber = \"{NUMBER}\"\ndescription = \"{DESCRIPTION}\"\n");
    let SmsgateRun { daemon, log, spool } = rig.start_smsgate(
        MODEM,
        &spool_keys,
        &modem_keys,
        &["outgoing", "sent", "failed", "incoming"],
        |spool| format!("{spool:?}"),
        60,
    );
    for (name, bytes) in corpus {
        drop_file(&spool.join("outgoing"), name, bytes);
    }
    deliver(&rig);
    let diagnose = || format!("--- smsgate run ---\n{}", tail(&log, 60));
    let run = collect(&rig, &spool, corpus, diagnose);
    drop(daemon);
    run
}
