//! `smsgate run` and `smsgate demo`: the real binary as the spool daemon,
//! on the simulator, which runs in this test's process on real
//! pseudo-terminals. Each test has its own simulator, spool and lock
//! directory; the daemon is killed and the simulator stopped when the test
//! ends, also when it fails. Every wait has a deadline.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use modem_sim::Fault;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::spool_bench::{
    alarm_fields, header_values, wait_exit, wait_for_lines, Setup, SpoolBench, PATIENCE,
};

#[test]
fn a_file_is_sent_end_to_end_and_the_eventhandler_called() {
    let mut bench = SpoolBench::new(2, "");
    let events = bench.eventhandler();
    bench.start_daemon();
    let text = format!("To: {}\n\nHello from the spool, Grüße\n", SpoolBench::number(1));
    bench.drop_file("hello world", &text);
    let sent = bench.wait_for_file("sent", "hello world");
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    assert_eq!(header_values(&sent, "Message_id"), ["1"]);
    assert_eq!(header_values(&sent, "IMSI"), ["001010123456789"]);
    assert_eq!(header_values(&sent, "Sent").len(), 1);
    assert!(sent.ends_with("\n\nHello from the spool, Grüße\n"), "{sent}");
    assert!(!bench.spool("outgoing").join("hello world").exists());
    assert_eq!(bench.submitted_texts(0), ["Hello from the spool, Grüße"]);
    // The message reached modem1.
    bench.wait("modem1 stores the message", || {
        bench.runtime.block_on(bench.sim().modem(1)).unwrap().sm.0 == 1
    });
    // smsd's argument vector: SENT, the file in sent/, the message id; a
    // name with a space stays one argument.
    let sent_path = bench.spool("sent").join("hello world");
    assert_eq!(
        wait_for_lines(&events, 1),
        [format!("SENT|{}|1|", sent_path.display())]
    );
    bench.stop_daemon();
}

#[test]
fn a_malformed_file_goes_to_failed_with_every_reason() {
    let mut bench = SpoolBench::new(1, "");
    let events = bench.eventhandler();
    bench.start_daemon();
    bench.drop_file("bad", "To: 49x\nAutosplit: 9\nReplace: 9\n\nbody\n");
    let failed = bench.wait_for_file("failed", "bad");
    let reason = header_values(&failed, "Fail_reason").join("");
    for expected in ["line 1: To:", "line 2: Autosplit:", "line 3: Replace:"] {
        assert!(reason.contains(expected), "{expected:?} missing from {reason:?}");
    }
    assert_eq!(header_values(&failed, "Failed").len(), 1);
    assert!(failed.ends_with("\n\nbody\n"));
    assert!(bench.submitted_texts(0).is_empty());
    let failed_path = bench.spool("failed").join("bad");
    assert_eq!(
        wait_for_lines(&events, 1),
        [format!("FAILED|{}|", failed_path.display())]
    );
    bench.stop_daemon();
}

/// Issue 12.19: `store-sent-pdu = 0` keeps the PDU out of a failed file
/// (smsd's `store_sent_pdu = 0`); 3 puts every part's in the sent file.
#[test]
fn store_sent_pdu_decides_the_pdu_lines() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        spool: "store-sent-pdu = 0",
        rest: "\n[limits]\nsend-retries = 0\nblock-after = 10\n",
        ..Setup::default()
    });
    bench.start_daemon();
    bench.fault(0, Fault::CmsError { code: 38, count: 1 });
    bench.drop_file(
        "refused",
        &format!("To: {}\n\nno PDU kept\n", SpoolBench::number(1)),
    );
    let failed = bench.wait_for_file("failed", "refused");
    assert!(
        header_values(&failed, "Fail_reason")
            .join("")
            .contains("+CMS ERROR: 38"),
        "{failed}"
    );
    assert!(header_values(&failed, "PDU").is_empty(), "{failed}");
    bench.stop_daemon();

    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        spool: "store-sent-pdu = 3",
        ..Setup::default()
    });
    bench.start_daemon();
    let long = "two parts ".repeat(20);
    bench.drop_file("kept", &format!("To: {}\n\n{long}\n", SpoolBench::number(1)));
    let sent = bench.wait_for_file("sent", "kept");
    let pdus = header_values(&sent, "PDU");
    assert_eq!(pdus.len(), 2, "{sent}");
    assert!(pdus.iter().all(|pdu| sms_pdu::decode_hex(pdu).is_ok()), "{sent}");
    bench.stop_daemon();
}

#[test]
fn cms_errors_are_retried_with_backoff_then_the_file_fails() {
    // One modem, two retries one second apart.
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        rest: "\n[limits]\nretry-interval-s = 1\nsend-retries = 2\nblock-after = 10\n",
        ..Setup::default()
    });
    bench.start_daemon();
    bench.fault(0, Fault::CmsError { code: 38, count: 3 });
    let started = Instant::now();
    bench.drop_file(
        "unlucky",
        &format!("To: {}\n\nthird time unlucky\n", SpoolBench::number(1)),
    );
    let failed = bench.wait_for_file("failed", "unlucky");
    // Tries after 0 s, 1 s and 1 + 2 s.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(reason.contains("+CMS ERROR: 38"), "{reason}");
    assert_eq!(header_values(&failed, "Modem"), ["modem0"]);
    assert_eq!(header_values(&failed, "PDU").len(), 1);
    assert!(
        bench.log().matches("+CMS ERROR: 38").count() >= 3,
        "{}",
        bench.log()
    );
    // The modem works again for the next file.
    bench.drop_file(
        "lucky",
        &format!("To: {}\n\nfourth time lucky\n", SpoolBench::number(1)),
    );
    bench.wait_for_file("sent", "lucky");
    bench.stop_daemon();
}

#[test]
fn high_priority_first_then_oldest_and_locked_files_are_left_alone() {
    // One modem.
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        ..Setup::default()
    });
    let to = SpoolBench::number(1);
    // Waiting before the daemon starts: it finds all of them at once.
    bench.drop_file("z-oldest", &format!("To: {to}\n\nfirst normal\n"));
    std::thread::sleep(Duration::from_millis(20));
    bench.drop_file("a-newer", &format!("To: {to}\n\nsecond normal\n"));
    std::thread::sleep(Duration::from_millis(20));
    bench.drop_file("m-urgent", &format!("To: {to}\nPriority: high\n\nurgent\n"));
    bench.drop_file("locked", &format!("To: {to}\n\nlocked\n"));
    bench.drop_file("locked.LOCK", "");
    bench.drop_file("LOCKED.x", &format!("To: {to}\n\nlocked too\n"));
    bench.start_daemon();
    for name in ["m-urgent", "z-oldest", "a-newer"] {
        bench.wait_for_file("sent", name);
    }
    assert_eq!(
        bench.submitted_texts(0),
        ["urgent", "first normal", "second normal"]
    );
    // A rescan later, the locked files are still there, untouched.
    std::thread::sleep(Duration::from_millis(2500));
    for name in ["locked", "locked.LOCK", "LOCKED.x"] {
        assert!(bench.spool("outgoing").join(name).exists(), "{name} was taken");
    }
    assert_eq!(bench.submitted_texts(0).len(), 3);
    // Once the lock goes, the file goes out.
    fs::remove_file(bench.spool("outgoing").join("locked.LOCK")).unwrap();
    bench.wait_for_file("sent", "locked");
    bench.stop_daemon();
}

#[test]
fn a_send_cut_off_by_a_crash_is_flagged_and_not_sent_again() {
    let mut bench = SpoolBench::new(2, "");
    bench.start_daemon();
    // The modem takes the PDU at once but answers +CMGS late: the daemon
    // is killed inside the exchange.
    bench.fault(0, Fault::Delay { ms: 3000 });
    bench.drop_file(
        "in-flight",
        &format!("To: {}\n\ncut off\n", SpoolBench::number(1)),
    );
    bench.wait("the network has the message", || {
        bench.submitted_texts(0).len() == 1
    });
    let journal = fs::read_to_string(bench.spool("smsgate.journal")).unwrap();
    assert!(journal.contains("\"event\":\"start\""), "{journal}");
    assert!(!journal.contains("\"event\":\"sent\""), "{journal}");
    // The late answer goes to the dead line, not the new daemon.
    bench.kill_9(Duration::from_secs(3));

    bench.start_daemon();
    let failed = bench.wait_for_file("failed", "in-flight");
    assert_eq!(header_values(&failed, "X-Smsgate-Outcome"), ["unknown"]);
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(
        reason.contains("outcome unknown") && reason.contains("not sent again"),
        "{reason}"
    );
    assert!(bench.log().contains("outcome is unknown"), "{}", bench.log());
    assert!(!bench.spool("sent").join("in-flight").exists());
    // Exactly one submission, on either modem.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(bench.submitted_texts(0), ["cut off"]);
    assert!(bench.submitted_texts(1).is_empty());
    bench.stop_daemon();
}

#[test]
fn demo_sends_a_message_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .arg("demo")
        .arg(dir.path().join("demo-spool"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct KillOnDrop(Option<Child>);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            if let Some(mut child) = self.0.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    let stdout = child.stdout.take().unwrap();
    let mut guard = KillOnDrop(Some(child));
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    while !printed
        .iter()
        .any(|line: &String| line.starts_with("smsgate is running"))
    {
        let line = lines_rx
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("demo never got running; printed: {printed:#?}"));
        printed.push(line);
    }
    let printed = printed.join("\n");
    assert!(printed.contains("sent: "), "{printed}");
    assert!(printed.contains("Message_id: 1"), "{printed}");
    assert!(printed.contains("received by modem1"), "{printed}");
    assert!(dir.path().join("demo-spool/sent/demo-hello").exists());
    let mut child = guard.0.take().unwrap();
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGTERM).unwrap();
    let status = wait_exit(&mut child);
    assert!(status.success(), "{status}");
}

#[test]
fn the_checkhandler_accepts_rewrites_rejects_spools_and_times_out() {
    let mut bench = SpoolBench::new(1, "");
    let calls = bench.dir.path().join("checks.log");
    let elsewhere = bench.dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    // Dispatches on the file's name; records every call.
    let handler = bench.script(
        "check.sh",
        &format!(
            "printf '%s\\n' \"$1\" >> '{calls}'\n\
             case \"${{1##*/}}\" in\n\
             rewrite) text=$(sed 's/draft/final/' \"$1\"); printf '%s\\n' \"$text\" > \"$1\"; exit 0;;\n\
             reject) exit 1;;\n\
             moved) mv \"$1\" '{elsewhere}/'; exit 2;;\n\
             kept) exit 2;;\n\
             slow) sleep 30; exit 0;;\n\
             esac\n\
             exit 0",
            calls = calls.display(),
            elsewhere = elsewhere.display(),
        ),
    );
    bench.edit_config(|config| {
        format!(
            "{config}\n[handlers]\ncheckhandler = {:?}\ntimeout-s = 1\n",
            handler.display().to_string()
        )
    });
    bench.start_daemon();
    let to = SpoolBench::number(1);
    let started = Instant::now();
    for name in ["rewrite", "reject", "moved", "kept", "slow"] {
        bench.drop_file(name, &format!("To: {to}\n\n{name}: draft text\n"));
    }
    // 0: accepted, and read again after the handler rewrote it.
    let sent = bench.wait_for_file("sent", "rewrite");
    assert!(sent.ends_with("\n\nrewrite: final text\n"), "{sent}");
    // 1: rejected, naming the handler and its status.
    let failed = bench.wait_for_file("failed", "reject");
    assert_eq!(
        header_values(&failed, "Fail_reason"),
        [format!(
            "rejected by checkhandler {} (exit status 1)",
            handler.display()
        )]
    );
    assert!(failed.ends_with("\n\nreject: draft text\n"), "{failed}");
    // A handler that does not end is killed at the timeout; its file is
    // rejected.
    let failed = bench.wait_for_file("failed", "slow");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert_eq!(
        reason,
        format!(
            "rejected: checkhandler {} was still running after 1 s and was killed",
            handler.display()
        )
    );
    // 2: the handler spooled it itself: a moved file is not followed, a
    // kept one is left alone, also by the rescans after it.
    assert!(elsewhere.join("moved").exists());
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(started.elapsed()));
    assert!(bench.spool("outgoing").join("kept").exists());
    for sub in ["sent", "failed"] {
        for name in ["moved", "kept"] {
            assert!(!bench.spool(sub).join(name).exists(), "{sub}/{name}");
        }
    }
    assert_eq!(bench.submitted_texts(0), ["rewrite: final text"]);
    // Called once per file, with the file in outgoing/.
    let mut called = wait_for_lines(&calls, 5);
    called.sort();
    let outgoing = bench.spool("outgoing");
    let expected: Vec<String> = ["kept", "moved", "reject", "rewrite", "slow"]
        .iter()
        .map(|name| outgoing.join(name).display().to_string())
        .collect();
    assert_eq!(called, expected);
    assert!(bench.log().contains("kept: the checkhandler spooled it itself"));
    bench.stop_daemon();
}

#[test]
fn alarms_for_a_blocked_modem_a_failed_file_and_a_lost_port() {
    let mut bench = SpoolBench::new(1, "");
    bench.edit_config(|config| {
        format!(
            "{config}\n[limits]\nretry-interval-s = 1\nsend-retries = 1\nblock-after = 1\nblock-time-s = 1\n"
        )
    });
    // Level 3: the notice of a retry is filtered out.
    let alarms = bench.alarmhandler(3);
    bench.start_daemon();
    bench.fault(0, Fault::CmsError { code: 38, count: 2 });
    bench.drop_file(
        "unlucky",
        &format!("To: {}\n\nnot today\n", SpoolBench::number(1)),
    );
    bench.wait_for_file("failed", "unlucky");
    // Try 1 fails and blocks the modem for a second; try 2 fails, gives
    // the file up and blocks it again.
    let lines = wait_for_lines(&alarms, 3);
    let fields: Vec<_> = lines.iter().map(|line| alarm_fields(line)).collect();
    let blocked = (
        "2".to_owned(),
        "modem0".to_owned(),
        "sending failed 1 times in a row; modem blocked for 1 s".to_owned(),
    );
    assert_eq!(fields[0], blocked);
    assert!(fields[1..3].contains(&blocked), "{fields:?}");
    let given_up = fields
        .iter()
        .find(|(severity, _, _)| severity == "3")
        .unwrap_or_else(|| panic!("{fields:?}"));
    assert_eq!(given_up.1, "modem0");
    assert!(
        given_up
            .2
            .starts_with("unlucky: sending failed, given up after 2 tries: ")
            && given_up.2.contains("+CMS ERROR: 38"),
        "{given_up:?}"
    );
    // The port goes away.
    bench.fault(0, Fault::Unplug);
    let lines = wait_for_lines(&alarms, 4);
    let (severity, process, text) = alarm_fields(&lines[3]);
    assert_eq!((severity.as_str(), process.as_str()), ("3", "modem0"));
    let device = bench.device(0);
    assert!(
        text.starts_with(&format!("port {} lost (", device.display())),
        "{text}"
    );
    assert!(
        lines.iter().all(|line| !line.contains("|5|")),
        "notices are below alarm-level 3: {lines:?}"
    );
    bench.stop_daemon();
}

#[test]
fn a_modem_that_cannot_be_opened_raises_an_alarm_and_comes_into_use_later() {
    let mut bench = SpoolBench::new(2, "");
    let (device, missing) = configure_missing_device(&mut bench, 1, "late-modem1");
    let alarms = bench.alarmhandler(4);
    // The daemon does not stop: modem0 serves.
    bench.start_daemon();
    expect_cannot_open_alarm(&alarms, "modem1", "late-modem1");
    bench.drop_file("early", &format!("To: {}\n\nearly bird\n", SpoolBench::number(5)));
    bench.wait_for_file("sent", "early");
    assert_eq!(bench.submitted_texts(0), ["early bird"]);
    // The modem turns up: it is set up and takes its share.
    std::os::unix::fs::symlink(&device, &missing).unwrap();
    bench.wait("modem1 is taken in", || bench.log().contains("modem modem1 on "));
    for round in 0..10 {
        let name = format!("later{round}");
        bench.drop_file(
            &name,
            &format!("To: {}\n\nround {round}\n", SpoolBench::number(5)),
        );
        bench.wait_for_file("sent", &name);
        if !bench.submitted_texts(1).is_empty() {
            break;
        }
    }
    assert!(
        !bench.submitted_texts(1).is_empty(),
        "modem1 never sent\n{}",
        bench.log()
    );
    bench.stop_daemon();
}

#[test]
fn the_daemon_keeps_running_without_any_modem() {
    let mut bench = SpoolBench::new(1, "");
    configure_missing_device(&mut bench, 0, "no-such-modem");
    let alarms = bench.alarmhandler(4);
    bench.start_daemon();
    expect_cannot_open_alarm(&alarms, "modem0", "no-such-modem");
    // Files are checked and wait in their queue's directory (checked/, as
    // with smstools3) rather than fail.
    bench.drop_file("patient", &format!("To: {}\n\nlater\n", SpoolBench::number(5)));
    let waiting = bench.wait_for_file("checked", "patient");
    assert!(waiting.ends_with("later\n"), "{waiting}");
    assert!(!bench.spool("outgoing").join("patient").exists());
    assert!(!bench.spool("failed").join("patient").exists());
    assert!(bench.daemon.as_mut().unwrap().try_wait().unwrap().is_none());
    bench.stop_daemon();
}

#[test]
fn an_invalid_config_stops_the_daemon_at_once() {
    let mut bench = SpoolBench::new(1, "");
    bench.edit_config(|config| format!("{config}\n[modems.ghost]\nport = \"no-such-port\"\n"));
    bench.spawn_daemon();
    let mut child = bench.daemon.take().unwrap();
    assert!(!wait_exit(&mut child).success());
    assert!(bench.log().contains("error"), "{}", bench.log());
}

#[test]
fn includes_are_confined_to_include_dir() {
    let mut bench = SpoolBench::new(1, "");
    let include = bench.dir.path().join("include");
    fs::create_dir(&include).unwrap();
    fs::write(include.join("greeting"), "\nHello from an include\n").unwrap();
    let secret = bench.dir.path().join("secret");
    fs::write(&secret, "\nsim-pin = 1234\n").unwrap();
    std::os::unix::fs::symlink(&secret, include.join("escape")).unwrap();
    bench.edit_config(|config| {
        config.replace(
            "[spool]\n",
            &format!("[spool]\ninclude-dir = {:?}\n", include.display().to_string()),
        )
    });
    bench.start_daemon();
    let to = SpoolBench::number(1);
    bench.drop_file("allowed", &format!("To: {to}\nInclude: greeting\n"));
    let refused = [
        ("dotdot", "../secret".to_owned()),
        ("absolute", secret.display().to_string()),
        ("symlink", "escape".to_owned()),
    ];
    for (name, target) in &refused {
        bench.drop_file(name, &format!("To: {to}\nInclude: {target}\n"));
    }
    // A file that is not there is left out, as smsd does, and said.
    bench.drop_file(
        "missing",
        &format!("To: {to}\nInclude: nothing-here\n\nMain text\n"),
    );
    let missing = bench.wait_for_file("sent", "missing");
    let notices = header_values(&missing, "NOTICE");
    assert_eq!(notices.len(), 1, "{missing}");
    assert!(
        notices[0].starts_with("Include: \"nothing-here\" not found (")
            && notices[0].ends_with("), sent without it"),
        "{missing}"
    );
    let sent = bench.wait_for_file("sent", "allowed");
    // The file moves as it was written; the text went out included.
    assert_eq!(header_values(&sent, "Include"), ["greeting"]);
    for (name, target) in &refused {
        let failed = bench.wait_for_file("failed", name);
        let reason = header_values(&failed, "Fail_reason").join("");
        // Not where the symlink points, nor whether the file is there.
        let expected = format!(
            "line 2: Include: {target:?} refused: not found under include-dir {}",
            include.display()
        );
        assert!(
            reason.contains(&expected),
            "{name}: {reason:?} lacks {expected:?}"
        );
    }
    let mut texts = bench.submitted_texts(0);
    texts.sort();
    assert_eq!(texts, ["Hello from an include", "Main text"]);
    bench.stop_daemon();
}

/// Points modem `index` of the config at `dev/MISSING`, which does not
/// exist; returns the real device and the missing path.
fn configure_missing_device(bench: &mut SpoolBench, index: usize, missing: &str) -> (PathBuf, PathBuf) {
    let device = bench.device(index);
    let missing = bench.dir.path().join("dev").join(missing);
    bench.edit_config(|config| {
        config.replace(
            &format!("{:?}", device.display().to_string()),
            &format!("{:?}", missing.display().to_string()),
        )
    });
    (device, missing)
}

/// The first alarm says that `modem` cannot open the port at `missing`.
fn expect_cannot_open_alarm(alarms: &Path, modem: &str, missing: &str) {
    let lines = wait_for_lines(alarms, 1);
    let (severity, process, text) = alarm_fields(&lines[0]);
    assert_eq!((severity.as_str(), process.as_str()), ("3", modem));
    assert!(text.starts_with("cannot open the port: "), "{text}");
    assert!(text.contains(missing), "{text}");
}

#[test]
fn checked_files_wait_in_their_queue_directory_which_decides_the_modem() {
    let mut bench = SpoolBench::new(2, "");
    // modem0 serves queue o2 (numbers starting 4917200000001, so modem1's
    // number); modem1 the default queue, checked/.
    let o2 = bench.spool("o2");
    bench.edit_config(|config| {
        let config = config.replace("[modems.modem0]\n", "[modems.modem0]\nqueues = [\"o2\"]\n");
        format!("{config}\n[queues.o2]\nprefixes = [\"4917200000001\"]\n")
    });
    bench.start_daemon();
    assert!(o2.is_dir() && bench.spool("checked").is_dir());
    // Routed by prefix through outgoing/.
    bench.drop_file("to-o2", &format!("To: {}\n\nby prefix\n", SpoolBench::number(1)));
    bench.drop_file(
        "to-default",
        &format!("To: {}\n\nno prefix\n", SpoolBench::number(0)),
    );
    // Put straight into a queue's directory: that directory decides the
    // queue, whatever the number (smstools3's behaviour), and
    // into checked/: the default queue.
    bench.drop_file_into(
        "o2",
        "direct-o2",
        &format!("To: {}\n\ndirect to o2\n", SpoolBench::number(0)),
    );
    bench.drop_file_into(
        "checked",
        "direct-checked",
        &format!("To: {}\n\ndirect to checked\n", SpoolBench::number(1)),
    );
    for (name, modem) in [
        ("to-o2", "modem0"),
        ("to-default", "modem1"),
        ("direct-o2", "modem0"),
        ("direct-checked", "modem1"),
    ] {
        let sent = bench.wait_for_file("sent", name);
        assert_eq!(header_values(&sent, "Modem"), [modem], "{name}:\n{sent}");
    }
    let mut by_modem0 = bench.submitted_texts(0);
    by_modem0.sort();
    assert_eq!(by_modem0, ["by prefix", "direct to o2"]);
    let mut by_modem1 = bench.submitted_texts(1);
    by_modem1.sort();
    assert_eq!(by_modem1, ["direct to checked", "no prefix"]);
    // A file is unlinked from its queue's directory just after its sent/
    // copy is durable.
    for sub in ["outgoing", "checked", "o2"] {
        bench.wait(&format!("{sub}/ is empty"), || {
            fs::read_dir(bench.spool(sub)).unwrap().next().is_none()
        });
    }
    bench.stop_daemon();
}

#[test]
fn a_refused_number_does_not_block_the_modem() {
    let mut bench = SpoolBench::new(1, "");
    bench.edit_config(|config| {
        format!("{config}\n[limits]\nretry-interval-s = 1\nsend-retries = 1\nblock-after = 1\nblock-time-s = 3600\n")
    });
    let alarms = bench.alarmhandler(3);
    bench.start_daemon();
    // +CMS ERROR: 21, "short message transfer rejected": about this
    // message, not the modem. With block-after = 1 a modem fault would
    // block the modem for an hour.
    bench.fault(0, Fault::CmsError { code: 21, count: 2 });
    bench.drop_file(
        "refused",
        &format!("To: {}\n\nno thanks\n", SpoolBench::number(1)),
    );
    let failed = bench.wait_for_file("failed", "refused");
    assert!(
        header_values(&failed, "Fail_reason")[0].contains("+CMS ERROR: 21"),
        "{failed}"
    );
    // The modem goes on sending at once.
    bench.drop_file("next", &format!("To: {}\n\nstill here\n", SpoolBench::number(1)));
    bench.wait_for_file("sent", "next");
    let lines = wait_for_lines(&alarms, 1);
    assert!(
        lines.iter().all(|line| !line.contains("blocked")),
        "no modem was blocked: {lines:?}"
    );
    bench.stop_daemon();
}

/// Issue 12: a file's `Retries:` overrides the modem's send-retries, as in
/// smsd: `Retries: 0` gives the file up after its first failure, where
/// send-retries = 3 would have sent it on the second try. The header was
/// ignored.
#[test]
fn a_files_retries_header_overrides_send_retries() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        rest: "\n[limits]\nretry-interval-s = 1\nsend-retries = 3\nblock-after = 10\n",
        ..Setup::default()
    });
    bench.start_daemon();
    bench.fault(0, Fault::CmsError { code: 38, count: 1 });
    bench.drop_file(
        "impatient",
        &format!("To: {}\nRetries: 0\n\nonce only\n", SpoolBench::number(1)),
    );
    let failed = bench.wait_for_file("failed", "impatient");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(reason.contains("+CMS ERROR: 38"), "{reason}");
    assert!(bench.log().contains("giving up after 1 tries"), "{}", bench.log());
    bench.stop_daemon();
}
