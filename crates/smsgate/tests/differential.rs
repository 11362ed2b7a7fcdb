//! The differential test against Debian's smstools3 (`smsd` 3.1.21): every
//! file of `tests/data/differential/` goes once through the real smsd and
//! once through `smsgate run`, each on a simulator of its own with the same
//! modem identity; the SMS-SUBMIT PDUs the two modems receive must be
//! identical, except TP-MR, the concatenation reference, and the
//! deliberate differences listed in `docs/differences.md` (style C7: real
//! peers, judged by the traffic, a reason for every exclusion).
//!
//! Each implementation gets the whole corpus in one run, and the two runs
//! happen at the same time. Every file has its own destination number, so
//! the PDUs are attributed to files by destination, whatever order the
//! daemons send them in. smsd must be installed (`scripts/test` installs
//! it): when it is missing the test fails, it never skips. smsd and the
//! daemon are killed, with their process groups, in teardown.
//!
//! Both store every sent PDU in the `sent/` file (smsd's `store_sent_pdu =
//! 3`, smsgate's `store-sent-pdu = 3`): the `PDU:` lines must agree as the
//! PDUs do, and come where smsd puts them, before the notices.
//!
//! `SMSGATE_DIFFERENTIAL_KEEP=1` keeps both runs' directories.

#[path = "differential/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{destination_digits, drop_file, normalised, tail, wait_for, Rig, SmsgateRun, SMSD};

/// `PDU:` lines in `sent/` files for every message (issue 12.19).
const SMSD_STORE_SENT_PDU: &str = "store_sent_pdu = 3\n";
const SMSGATE_STORE_SENT_PDU: &str = "store-sent-pdu = 3";

/// How long each implementation may take for the whole corpus. smsd needs
/// one to two seconds per file with `delaytime = 1`.
const RUN_LIMIT: Duration = Duration::from_secs(240);

/// The corpus files whose PDUs differ on purpose, each with the section of
/// `docs/differences.md` that gives the reason. The test checks that they
/// still differ, so a change of behaviour is noticed and the docs updated.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    ("03-iso-non-gsm.sms", "D2 characters GSM cannot write"),
    ("04-utf-cyrillic.sms", "D1 trailing newline"),
    ("05-utf-gsm-only.sms", "D1 trailing newline"),
    ("07-gsm.sms", "D1 trailing newline"),
    ("15-autosplit-2.sms", "D3 Autosplit 2 part numbers"),
    ("17-autosplit-0.sms", "D4 Autosplit 0 with a long text"),
    ("25-to-plus-00.sms", "D7 To: +00"),
    ("29-to-dots-parens.sms", "D8 To: with dots and parentheses"),
    ("31-blank-line-body.sms", "D9 empty messages"),
    ("45-trailing-whitespace-utf8.sms", "D1 trailing newline"),
];

/// The modems' `smsc` (without smsd's `smsc_pdu`): set with `AT+CSCA`,
/// the PDUs' SMSC field stays empty in both.
const SMSC: &str = "4917200000";

/// The modems' `text_is_pdu_key`: `To:` of `58-text-is-pdu.sms`, and the
/// destination of its PDU, by which its PDU is found.
const TEXT_IS_PDU_KEY: &str = "491720000158";

#[test]
fn smsd_and_smsgate_submit_the_same_pdus() {
    assert!(
        Path::new(SMSD).is_file(),
        "{SMSD} is missing: the differential test runs Debian's smstools3 smsd. \
         Run scripts/test, which installs it (apt-get install smstools)"
    );
    // `Include:` files of the corpus name `@INCLUDE_DIR@`, one directory
    // for both runs: smsd reads it by its absolute name, smsgate as its
    // `[spool] include-dir`.
    let include_dir = tempfile::Builder::new()
        .prefix("smsgate-differential-include-")
        .tempdir()
        .expect("creating the include directory");
    for (name, text) in [
        ("included.txt", "Included text first.\n"),
        ("text-only.txt", "\nIncluded text first.\n"),
        ("two-lines.txt", "\nIncluded one.\nIncluded two.\n"),
    ] {
        std::fs::write(include_dir.path().join(name), text).unwrap();
    }
    let corpus = corpus(include_dir.path());
    assert!(
        corpus.len() >= 15,
        "the corpus is too small: {} files",
        corpus.len()
    );
    let started = Instant::now();
    let (smsd_run, smsgate_run) = std::thread::scope(|scope| {
        let smsd = scope.spawn(|| run_smsd(&corpus));
        let smsgate = scope.spawn(|| run_smsgate(&corpus, include_dir.path()));
        (join(smsd, "smsd"), join(smsgate, "smsgate"))
    });
    eprintln!(
        "corpus of {} files: smsd {:.1?}, smsgate {:.1?}, total {:.1?}",
        corpus.len(),
        smsd_run.elapsed,
        smsgate_run.elapsed,
        started.elapsed()
    );

    let mut failures = String::new();
    for file in &corpus {
        let smsd_result = smsd_run.result(file);
        let smsgate_result = smsgate_run.result(file);
        let same = smsd_result.comparable() == smsgate_result.comparable();
        let known = KNOWN_DIFFERENCES.iter().find(|(name, _)| *name == file.name);
        let diff = || describe_difference(file, &smsd_result, &smsgate_result);
        match (same, known) {
            (true, None) => eprintln!("{}: identical ({} PDUs)", file.name, smsd_result.pdus.len()),
            (false, Some((_, section))) => {
                eprintln!("{}: known difference ({section})\n{}", file.name, diff());
            }
            (true, Some((_, section))) => {
                let _ = writeln!(
                    failures,
                    "{}: now identical, but listed as a known difference ({section}): \
                     remove it from KNOWN_DIFFERENCES and docs/differences.md",
                    file.name
                );
            }
            (false, None) => failures.push_str(&diff()),
        }
    }
    // The sent/ files: smsgate writes `Sending_time:` as smsd does, and
    // every `NOTICE:` line smsd writes (it may add its own, such as for a
    // `Validity:` it ignored).
    for (name, smsd_file) in &smsd_run.sent_files {
        let Some(smsgate_file) = smsgate_run.sent_files.get(name) else {
            continue;
        };
        if header_lines(smsgate_file, "Sending_time").len() != 1 {
            let _ = writeln!(
                failures,
                "{name}: smsgate's sent file has no Sending_time:\n{smsgate_file}"
            );
        }
        let stored = |file: &str| -> Vec<Vec<u8>> {
            header_lines(file, "PDU")
                .iter()
                .map(|line| normalised(&sms_pdu::decode_hex(&line["PDU: ".len()..]).unwrap_or_default()))
                .collect()
        };
        let (smsd_pdus, smsgate_pdus) = (stored(smsd_file), stored(smsgate_file));
        let known = KNOWN_DIFFERENCES.iter().any(|(known, _)| known == name);
        let agree = match known {
            true => smsd_pdus.len() == smsgate_pdus.len(),
            false => smsd_pdus == smsgate_pdus,
        };
        // Where the `PDU:` lines go: after `IMEI:`, and smsd adds its
        // notices after them (smsgate may have notices smsd has not).
        let placed = |file: &str| -> bool {
            let names = header_names_among(file, &["IMEI", "PDU", "NOTICE"]);
            let first_pdu = names.iter().position(|name| name == "PDU");
            let last_pdu = names.iter().rposition(|name| name == "PDU");
            let first_notice = names.iter().position(|name| name == "NOTICE");
            first_pdu.is_some_and(|at| at > 0 && names[at - 1] == "IMEI")
                && first_notice.is_none_or(|notice| last_pdu.is_some_and(|pdu| pdu < notice))
        };
        if smsd_pdus.is_empty() || !agree || !placed(smsd_file) || !placed(smsgate_file) {
            let _ = writeln!(
                failures,
                "{name}: the PDU: lines differ (smsd stores {}, smsgate {}):\n--- smsd ---\n{smsd_file}\n--- smsgate ---\n{smsgate_file}",
                smsd_pdus.len(),
                smsgate_pdus.len()
            );
        }
        let smsgate_notices = header_lines(smsgate_file, "NOTICE");
        for notice in header_lines(smsd_file, "NOTICE") {
            if !smsgate_notices.contains(&notice) {
                let _ = writeln!(
                    failures,
                    "{name}: smsgate's sent file lacks {notice:?}:\n{smsgate_file}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "smsd and smsgate differ:\n{failures}\n{}\n{}",
        smsd_run.diagnostics,
        smsgate_run.diagnostics
    );
}

/// One corpus file.
struct CorpusFile {
    name: String,
    bytes: Vec<u8>,
    /// The destination digits its PDUs carry.
    destination: String,
}

fn corpus(include_dir: &Path) -> Vec<CorpusFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/differential");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sms"))
        .collect();
    paths.sort();
    let files: Vec<CorpusFile> = paths
        .iter()
        .map(|path| {
            let bytes = replace_bytes(
                &std::fs::read(path).unwrap(),
                b"@INCLUDE_DIR@",
                include_dir.display().to_string().as_bytes(),
            );
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let to_line = bytes
                .split(|&byte| byte == b'\n')
                .find_map(|line| line.strip_prefix(b"To: "))
                .unwrap_or_else(|| panic!("{name}: no To: header"));
            let digits: String = String::from_utf8_lossy(to_line)
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            // `00` is the international access prefix, which neither
            // implementation sends.
            let destination = digits.strip_prefix("00").unwrap_or(&digits).to_owned();
            CorpusFile {
                name,
                bytes,
                destination,
            }
        })
        .collect();
    for (index, file) in files.iter().enumerate() {
        assert!(
            files[..index]
                .iter()
                .all(|other| other.destination != file.destination),
            "{}: every corpus file needs a destination of its own",
            file.name
        );
    }
    files
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = &rest[from.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// What one implementation did with the corpus.
struct Run {
    /// The raw PDUs the modem received, by destination digits, in order.
    pdus: BTreeMap<String, Vec<Vec<u8>>>,
    /// Files that ended in `failed/`.
    failed: Vec<String>,
    /// The `sent/` files, by name, as text.
    sent_files: BTreeMap<String, String>,
    elapsed: Duration,
    /// Logs, for a failure message.
    diagnostics: String,
}

impl Run {
    fn result(&self, file: &CorpusFile) -> FileResult {
        FileResult {
            failed: self.failed.contains(&file.name),
            pdus: self.pdus.get(&file.destination).cloned().unwrap_or_default(),
        }
    }
}

/// What became of one file.
struct FileResult {
    failed: bool,
    pdus: Vec<Vec<u8>>,
}

impl FileResult {
    /// What must be equal: the outcome and the PDUs without TP-MR and the
    /// concatenation reference.
    fn comparable(&self) -> (bool, Vec<Vec<u8>>) {
        (self.failed, self.pdus.iter().map(|pdu| normalised(pdu)).collect())
    }
}

fn describe_difference(file: &CorpusFile, smsd: &FileResult, smsgate: &FileResult) -> String {
    let mut out = format!("=== {} ===\n", file.name);
    for (who, result) in [("smsd", smsd), ("smsgate", smsgate)] {
        let outcome = if result.failed { "failed/" } else { "sent/" };
        let _ = writeln!(out, "{who}: {outcome}, {} PDUs", result.pdus.len());
        for pdu in &result.pdus {
            let _ = writeln!(out, "  {}", sms_pdu::encode_hex(pdu));
            match sms_pdu::Pdu::decode(pdu) {
                Ok(decoded) => match decoded.value.tpdu {
                    sms_pdu::Tpdu::Submit(submit) => {
                        let _ = writeln!(
                            out,
                            "    da={:?} pid={:?} dcs={:?} srr={} vp={:?}\n    ud={:?}",
                            submit.destination,
                            submit.pid,
                            submit.dcs,
                            submit.status_report_request,
                            submit.validity,
                            submit.user_data
                        );
                    }
                    other => {
                        let _ = writeln!(out, "    not a SUBMIT: {other:?}");
                    }
                },
                Err(err) => {
                    let _ = writeln!(out, "    does not decode: {err}");
                }
            }
        }
    }
    out
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Run>, who: &str) -> Run {
    handle
        .join()
        .unwrap_or_else(|_| panic!("the {who} run failed (see its panic above)"))
}

/// The `sent/` files of a run.
fn sent_files(spool: &Path) -> BTreeMap<String, String> {
    names(&spool.join("sent"))
        .into_iter()
        .map(|name| {
            let text =
                String::from_utf8_lossy(&std::fs::read(spool.join("sent").join(&name)).unwrap()).into_owned();
            (name, text)
        })
        .collect()
}

/// The header lines of a spool file that start with `name: `.
fn header_lines<'a>(file: &'a str, name: &str) -> Vec<&'a str> {
    file.split("\n\n")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|line| line.starts_with(&format!("{name}: ")))
        .collect()
}

/// The names of the header lines of a spool file that are in `names`, in
/// file order.
fn header_names_among(file: &str, names: &[&str]) -> Vec<String> {
    file.split("\n\n")
        .next()
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(": ").map(|(name, _)| name))
        .filter(|name| names.contains(name))
        .map(str::to_owned)
        .collect()
}

/// Groups the modem's submitted PDUs by destination.
fn by_destination(rig: &Rig) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut pdus: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for message in rig.submitted() {
        let digits = destination_digits(&message.pdu).unwrap_or_default();
        // As in `corpus`: smsd sends `+0049...` with the zeros.
        let destination = digits.strip_prefix("00").unwrap_or(&digits).to_owned();
        pdus.entry(destination).or_default().push(message.pdu);
    }
    pdus
}

/// The names of the regular, non-hidden, non-lock files of `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.') && !name.ends_with(".LOCK"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits until every corpus file is in `sent/` or `failed/` and nothing is
/// left in `pending`; returns the failed ones.
fn wait_until_done(
    who: &str,
    spool: &Path,
    pending: &[&str],
    corpus: &[CorpusFile],
    diagnose: impl FnOnce() -> String,
) -> Vec<String> {
    wait_for(
        &format!("{who} to move every corpus file to sent/ or failed/"),
        RUN_LIMIT,
        || {
            let (sent, failed) = (names(&spool.join("sent")), names(&spool.join("failed")));
            let all_done = corpus
                .iter()
                .all(|file| sent.contains(&file.name) || failed.contains(&file.name));
            let none_pending = pending.iter().all(|dir| names(&spool.join(dir)).is_empty());
            (all_done && none_pending).then_some(failed)
        },
        diagnose,
    )
}

fn describe_spool(spool: &Path) -> String {
    let mut out = String::new();
    for dir in ["outgoing", "checked", "sent", "failed"] {
        let _ = writeln!(out, "{dir}/: {:?}", names(&spool.join(dir)));
    }
    out
}

fn run_smsd(corpus: &[CorpusFile]) -> Run {
    let rig = Rig::start("smsgate-differential-smsd-");
    // report = no, so the files' Report headers decide; incoming = no, so
    // no receive polling slows the sends down.
    let started = Instant::now();
    // The text_is_pdu_key is the destination of `58-text-is-pdu.sms`'s PDU.
    let (smsd, spool) = rig.start_smsd(
        "GSM1",
        SMSD_STORE_SENT_PDU,
        &format!("incoming = no\nreport = no\nsend_retries = 1\ntext_is_pdu_key = {TEXT_IS_PDU_KEY}\nsmsc = {SMSC}\n"),
    );
    for file in corpus {
        drop_file(&spool.join("outgoing"), &file.name, &file.bytes);
    }
    let diagnostics = || {
        format!(
            "--- smsd run ---\n{}{}\n{}",
            describe_spool(&spool),
            tail(&spool.join("smsd.err"), 20),
            tail(&spool.join("smsd.log"), 60)
        )
    };
    let failed = wait_until_done("smsd", &spool, &["outgoing", "checked"], corpus, diagnostics);
    let elapsed = started.elapsed();
    // smsd writes the sent file after the last part; give a straggler (a
    // resend) no chance to be missed.
    std::thread::sleep(Duration::from_millis(300));
    let pdus = by_destination(&rig);
    let diagnostics = diagnostics();
    drop(smsd);
    Run {
        pdus,
        failed,
        sent_files: sent_files(&spool),
        elapsed,
        diagnostics,
    }
}

fn run_smsgate(corpus: &[CorpusFile], include_dir: &Path) -> Run {
    let rig = Rig::start("smsgate-differential-smsgate-");
    let started = Instant::now();
    let SmsgateRun { daemon, log, spool } = rig.start_smsgate(
        "gsm1",
        &format!(
            "include-dir = {:?}\n{SMSGATE_STORE_SENT_PDU}",
            include_dir.display().to_string()
        ),
        &format!("text-is-pdu-key = \"{TEXT_IS_PDU_KEY}\"\nsmsc = \"{SMSC}\"\n"),
        &["outgoing", "sent", "failed"],
        describe_spool,
        60,
    );
    let diagnostics = || {
        format!(
            "--- smsgate run ---\n{}{}",
            describe_spool(&spool),
            tail(&log, 60)
        )
    };
    for file in corpus {
        drop_file(&spool.join("outgoing"), &file.name, &file.bytes);
    }
    let failed = wait_until_done("smsgate", &spool, &["outgoing"], corpus, diagnostics);
    let elapsed = started.elapsed();
    let pdus = by_destination(&rig);
    let diagnostics = diagnostics();
    drop(daemon);
    Run {
        pdus,
        failed,
        sent_files: sent_files(&spool),
        elapsed,
        diagnostics,
    }
}
