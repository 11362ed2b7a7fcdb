//! `smsgate run` against a hostile local user who may write to
//! `outgoing/`: a symlink or a FIFO swapped in after the file was seen,
//! a file far too large, a file the daemon may not read, a name with a
//! newline; and the modes of what the daemon writes, whatever its umask.
//! The real binary on the in-process simulator, on `spool_bench`.
//!
//! The swaps are made by a checkhandler: it runs after the daemon saw a
//! regular file and before it reads it, which is the window a user racing
//! the daemon aims at, made certain.

use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::spool_bench::{alarm_fields, header_values, wait_for_lines, Setup, SpoolBench};

/// A checkhandler that runs `swap` (a shell snippet: `$1` the file,
/// `$swap` a dotfile beside it, which the daemon leaves alone) for the
/// file named `name` and accepts every file.
fn swapping_checkhandler(bench: &SpoolBench, name: &str, swap: &str) {
    let handler = bench.script(
        "check.sh",
        &format!("swap=\"${{1%/*}}/.swap\"\nif [ \"${{1##*/}}\" = '{name}' ]; then {swap}; fi\nexit 0"),
    );
    bench.section_keys(
        "handlers",
        &format!("checkhandler = {:?}", handler.display().to_string()),
    );
}

/// A bench with an alarmhandler at level 3 (errors); returns its log.
fn bench_with_alarms(setup: Setup<'_>) -> (SpoolBench, PathBuf) {
    let bench = SpoolBench::build(setup);
    let alarms = bench.alarmhandler(3);
    (bench, alarms)
}

/// The texts of the alarms so far.
fn alarm_texts(alarms: &Path) -> Vec<String> {
    fs::read_to_string(alarms)
        .unwrap_or_default()
        .lines()
        .map(|line| alarm_fields(line).2)
        .collect()
}

/// Every regular file under `dir`, recursively, never through a symlink.
fn regular_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let metadata = fs::symlink_metadata(&path).unwrap();
        if metadata.is_dir() {
            found.extend(regular_files(&path));
        } else if metadata.is_file() {
            found.push(path);
        }
    }
    found
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .mode()
        & 0o777
}

/// The files of `dir` but those being written (dotfiles).
fn written(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

/// Drops `name` into `outgoing/` with `mode`, set before it gets its name.
fn drop_with_mode(bench: &SpoolBench, name: &str, text: &str, file_mode: u32) {
    let temporary = bench.spool("outgoing").join(format!(".{name}"));
    fs::write(&temporary, text).unwrap();
    fs::set_permissions(&temporary, fs::Permissions::from_mode(file_mode)).unwrap();
    fs::rename(&temporary, bench.spool("outgoing").join(name)).unwrap();
}

/// Issue 11, 1: a symlink renamed over a file the daemon saw was read
/// through, and the root-only file it pointed to landed in `failed/`,
/// world-readable.
#[test]
fn a_symlink_swapped_in_before_the_read_copies_nothing() {
    let (mut bench, alarms) = bench_with_alarms(Setup::default());
    let secret = bench.dir.path().join("secret");
    fs::write(&secret, "sim-pin = 1234\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    swapping_checkhandler(
        &bench,
        "swapped",
        &format!(
            "ln -sf '{}' \"$swap\" && mv -f \"$swap\" \"$1\"",
            secret.display()
        ),
    );
    bench.start_daemon();
    let to = SpoolBench::number(1);
    bench.drop_file("swapped", &format!("To: {to}\n\ninnocent\n"));
    bench.drop_file("after", &format!("To: {to}\n\nafter\n"));
    bench.wait_for_file("sent", "after");
    // Refused, or (before the fix) read through the symlink to failed/.
    let failed = bench.spool("failed").join("swapped");
    bench.wait("swapped is dealt with", || {
        !alarm_texts(&alarms).is_empty() || failed.exists()
    });
    // Stopped first: a running daemon renames its own state files under
    // the walk (a file listed, then gone before it is read).
    bench.stop_daemon();
    for file in regular_files(&bench.spool("")) {
        let bytes = fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("sim-pin"),
            "{} has the secret",
            file.display()
        );
    }
    assert!(!bench.log().contains("sim-pin"), "{}", bench.log());
    assert_eq!(
        alarm_texts(&alarms),
        ["Cannot handle swapped: not a regular file (a symbolic link)"]
    );
    // Left where it is, as it is: still the symlink.
    let left = bench.spool("outgoing").join("swapped");
    assert!(fs::symlink_metadata(&left).unwrap().file_type().is_symlink());
    assert_eq!(bench.submitted_texts(0), ["after"]);
}

/// Issue 11, 2: a FIFO renamed over a seen file held the daemon in its
/// read for good: nothing was sent after it and SIGTERM went unheard.
#[test]
fn a_fifo_swapped_in_holds_up_nothing_and_sigterm_stops_the_daemon() {
    let (mut bench, alarms) = bench_with_alarms(Setup::default());
    swapping_checkhandler(
        &bench,
        "fifo",
        "rm -f \"$swap\" && mkfifo \"$swap\" && mv -f \"$swap\" \"$1\"",
    );
    bench.start_daemon();
    let to = SpoolBench::number(1);
    bench.drop_file("fifo", &format!("To: {to}\n\nfifo\n"));
    bench.wait("the alarm", || !alarm_texts(&alarms).is_empty());
    assert_eq!(
        alarm_texts(&alarms),
        ["Cannot handle fifo: not a regular file (a FIFO)"]
    );
    bench.drop_file("after", &format!("To: {to}\n\nafter\n"));
    bench.wait_for_file("sent", "after");
    assert_eq!(bench.submitted_texts(0), ["after"]);
    bench.stop_daemon();
}

/// The daemon's peak resident set, in KiB.
fn peak_rss_kib(bench: &SpoolBench) -> u64 {
    let pid = bench.daemon.as_ref().unwrap().id();
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in\n{status}"))
}

/// Issue 11, 9: a 100 MB file was read whole (RSS 1.15 GB, an OOM crash
/// loop under a memory limit) and copied to `failed/`.
#[test]
fn a_file_over_the_limit_goes_to_failed_unread() {
    let mut bench = SpoolBench::new(1, "");
    let events = bench.eventhandler();
    bench.start_daemon();
    let to = SpoolBench::number(1);
    let size: u64 = 100 * 1024 * 1024;
    let temporary = bench.spool("outgoing").join(".big");
    fs::write(&temporary, format!("To: {to}\n\n")).unwrap();
    // Sparse: the test writes nothing; a reader still gets 100 MB.
    fs::File::options()
        .write(true)
        .open(&temporary)
        .unwrap()
        .set_len(size)
        .unwrap();
    fs::set_permissions(&temporary, fs::Permissions::from_mode(0o600)).unwrap();
    let inode = fs::metadata(&temporary).unwrap().ino();
    fs::rename(&temporary, bench.spool("outgoing").join("big")).unwrap();
    bench.drop_file("small", &format!("To: {to}\n\nsmall\n"));
    bench.wait_for_file("sent", "small");
    let note = bench.wait_for_file("failed", "big.fail_reason");
    let failed = bench.spool("failed").join("big");
    bench.wait("failed/big", || failed.exists());
    // Renamed, not copied: the same file, its mode kept.
    let metadata = fs::metadata(&failed).unwrap();
    assert_eq!((metadata.ino(), metadata.len()), (inode, size));
    assert_eq!(mode(&failed), 0o600);
    assert_eq!(mode(&bench.spool("failed").join("big.fail_reason")), 0o600);
    assert_eq!(
        header_values(&note, "Fail_reason"),
        [format!(
            "the file has {size} bytes, more than max-outgoing-bytes (1048576); a message is at most 255 parts"
        )]
    );
    let peak = peak_rss_kib(&bench);
    println!(
        "daemon VmHWM with a {} MiB file in outgoing/: {peak} KiB",
        size >> 20
    );
    assert!(peak < (size >> 10) / 2, "VmHWM {peak} KiB");
    let lines = wait_for_lines(&events, 2);
    assert!(
        lines.contains(&format!("FAILED|{}|", failed.display())),
        "{lines:?}"
    );
    assert_eq!(bench.submitted_texts(0), ["small"]);
    bench.stop_daemon();
}

/// Issue 11, 10: `sent/` and `failed/` widened 0600 files to 0644, and
/// everything followed the umask.
fn modes_under_umask(umask: &str) {
    let script = format!("umask {umask} && exec \"$@\"");
    let wrap = ["sh", "-c", script.as_str(), "sh"];
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        modem_keys: &["receive = true", "receive = true"],
        // The daemon creates them all, the spool base too.
        spool_dirs: &[],
        wrap: &wrap,
        ..Setup::default()
    });
    bench.start_daemon();
    let to = SpoolBench::number(1);
    drop_with_mode(
        &bench,
        "private",
        &format!("To: {to}\nReport: yes\n\nprivate\n"),
        0o600,
    );
    drop_with_mode(&bench, "shared", &format!("To: {to}\n\nshared\n"), 0o644);
    drop_with_mode(&bench, "broken", "no header here\n", 0o600);
    bench.wait_for_file("failed", "broken");
    bench.wait_for_file("sent", "shared");
    // The report's line rewrites sent/private: still 0600.
    let sent = bench.spool("sent").join("private");
    bench.wait("the report in sent/private", || {
        fs::read_to_string(&sent).is_ok_and(|text| text.contains("Status_report: "))
    });
    let incoming = bench.spool("incoming");
    let report = bench.spool("report");
    bench.wait("the messages received", || {
        written(&incoming).len() == 2 && written(&report).len() == 1
    });
    let mut expected = vec![
        (sent, 0o600),
        (bench.spool("sent/shared"), 0o644),
        (bench.spool("failed/broken"), 0o600),
        (bench.spool("smsgate.journal"), 0o640),
        (bench.spool("smsgate.sent-index"), 0o640),
    ];
    for dir in [&incoming, &report] {
        expected.extend(written(dir).into_iter().map(|path| (path, 0o640)));
    }
    for sub in [
        "",
        "outgoing",
        "checked",
        "sent",
        "failed",
        "incoming",
        "report",
        "smsgate.parts",
        "smsgate.parts/modem0",
    ] {
        expected.push((bench.spool(sub), 0o750));
    }
    let found: Vec<(PathBuf, u32)> = expected
        .iter()
        .map(|(path, _)| (path.clone(), mode(path)))
        .collect();
    let show = |modes: &[(PathBuf, u32)]| -> Vec<String> {
        modes
            .iter()
            .map(|(path, mode)| format!("{} {mode:04o}", path.display()))
            .collect()
    };
    assert_eq!(show(&found), show(&expected), "umask {umask}");
    bench.stop_daemon();
}

#[test]
fn modes_are_kept_or_set_under_umask_000() {
    modes_under_umask("000");
}

#[test]
fn modes_are_kept_or_set_under_umask_077() {
    modes_under_umask("077");
}

/// Issue 11, 11: a file the daemon could not read was ignored without a
/// word, for ever. The daemon runs as root here, so it is started
/// without the capabilities that let root read anything.
#[test]
fn an_unreadable_file_is_alarmed_once_and_again_when_it_changes() {
    let wrap = [
        "setpriv",
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
    ];
    let (mut bench, alarms) = bench_with_alarms(Setup {
        wrap: &wrap,
        ..Setup::default()
    });
    bench.start_daemon();
    let to = SpoolBench::number(1);
    drop_with_mode(&bench, "locked", &format!("To: {to}\n\nlocked\n"), 0o000);
    bench.wait("the alarm", || !alarm_texts(&alarms).is_empty());
    // Past two rescans (every 2 s), each of which tries it again.
    std::thread::sleep(Duration::from_millis(4500));
    assert_eq!(alarm_texts(&alarms), ["Cannot handle locked: Access denied"]);
    let warnings = bench.log().matches("Cannot handle locked: Access denied").count();
    assert_eq!(warnings, 1, "{}", bench.log());
    // A change (here a chmod, which changes its ctime) is news.
    let locked = bench.spool("outgoing").join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    bench.wait("the second alarm", || alarm_texts(&alarms).len() == 2);
    // Readable, it is sent.
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o600)).unwrap();
    bench.wait_for_file("sent", "locked");
    assert_eq!(alarm_texts(&alarms).len(), 2);
    bench.stop_daemon();
}

/// Issue 11, 12: file names went into the log raw; one with a newline
/// forged a log line (and an alarm line).
#[test]
fn names_with_a_newline_are_escaped_in_the_log_and_alarms() {
    let (mut bench, alarms) = bench_with_alarms(Setup::default());
    bench.start_daemon();
    bench.drop_file("evil\nERROR forged: line", "no header here\n");
    // Logged just after the file reached failed/.
    bench.wait("the failure logged", || {
        bench.log().contains("evil\\nERROR forged: line: failed: ")
    });
    let log = bench.log();
    assert!(!log.lines().any(|line| line.starts_with("ERROR forged")), "{log}");
    std::os::unix::fs::symlink(
        "/etc/hostname",
        bench.spool("outgoing").join("link\nALARM forged"),
    )
    .unwrap();
    bench.wait("the alarm", || {
        fs::read_to_string(&alarms).is_ok_and(|text| !text.is_empty())
    });
    let alarm_lines = fs::read_to_string(&alarms).unwrap();
    assert_eq!(alarm_lines.lines().count(), 1, "{alarm_lines}");
    assert_eq!(
        alarm_texts(&alarms),
        ["Cannot handle link\\nALARM forged: not a regular file (a symbolic link)"]
    );
    bench.stop_daemon();
}

/// Issue 12, 5: an application that writes its file in place, in two
/// writes with a pause between them, got its first half sent: an empty
/// message, its `Report:` and its text lost. smstools3's two looks 0.5 s
/// apart would too; the file is taken when its writer closes it.
#[test]
fn a_file_written_in_two_writes_with_a_pause_is_sent_whole() {
    use std::io::Write as _;

    let mut bench = SpoolBench::new(1, "");
    bench.start_daemon();
    let to = SpoolBench::number(0);
    let path = bench.spool("outgoing").join("slow");
    let mut file = fs::File::create(&path).unwrap();
    file.write_all(format!("To: {to}\n").as_bytes()).unwrap();
    // Longer than smstools3's 0.5 s between two looks.
    std::thread::sleep(Duration::from_millis(1500));
    file.write_all(b"Report: yes\n\nwritten in two goes\n").unwrap();
    drop(file);
    let (sent, failed) = (
        bench.spool("sent").join("slow"),
        bench.spool("failed").join("slow"),
    );
    bench.wait("slow is dealt with", || sent.exists() || failed.exists());
    assert!(
        !failed.exists(),
        "the first half was taken: {}",
        fs::read_to_string(&failed).unwrap_or_default()
    );
    let sent = fs::read_to_string(sent).unwrap();
    assert!(sent.ends_with("\n\nwritten in two goes\n"), "{sent}");
    assert_eq!(header_values(&sent, "Report"), ["yes"]);
    let submitted = bench.submitted(0);
    assert_eq!(submitted.len(), 1, "{submitted:?}");
    let summary = submitted[0].summary.as_ref().unwrap();
    assert_eq!(summary.text.as_deref(), Some("written in two goes"));
    assert!(summary.status_report_request);
    bench.stop_daemon();
}
