//! smsd's administrative messages (`admin_to`, issue 12.24) on the
//! simulator: the daemon sends them itself, through a modem, to the
//! administrator's number.

use std::fs;

use crate::spool_bench::{wait_for_lines, Setup, SpoolBench};

/// An eventhandler that logs each call and exits, call after call, with
/// the statuses in `statuses` (the last one from then on).
fn eventhandler(bench: &SpoolBench, statuses: &[i32]) -> std::path::PathBuf {
    let log = bench.dir.path().join("events.log");
    let mut cases = String::new();
    for (index, status) in statuses.iter().enumerate() {
        cases.push_str(&format!("{}) exit {status};;\n", index + 1));
    }
    let last = statuses.last().copied().unwrap_or(0);
    let body = format!(
        "printf '%s\\n' \"$1\" >> '{log}'\nn=$(wc -l < '{log}')\ncase $n in\n{cases}*) exit {last};;\nesac",
        log = log.display()
    );
    let script = bench.script("event.sh", &body);
    bench.handler_keys(&format!("eventhandler = {:?}", script.display().to_string()));
    log
}

fn admin_texts(bench: &SpoolBench, modem: usize) -> Vec<String> {
    bench
        .submitted_texts(modem)
        .into_iter()
        .filter(|text| text.starts_with("Smsd3") || text.starts_with("Sms3"))
        .collect()
}

/// smsd's `exec_system`: the first failure of a modem's eventhandler is
/// sent by that modem to `admin-to`; while it keeps failing, nothing
/// more; after a success, the next failure is sent again.
#[test]
fn a_failing_eventhandler_sends_one_admin_message_per_run_of_failures() {
    let admin = SpoolBench::number(1);
    let spool = format!("admin-to = {admin:?}");
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        spool: &spool,
        ..Setup::default()
    });
    let events = eventhandler(&bench, &[1, 2, 0, 3]);
    bench.start_daemon();
    for n in 1..=4 {
        let text = format!("To: {admin}\n\nmessage {n}\n");
        bench.drop_file(&format!("m{n}"), &text);
        bench.wait_for_file("sent", &format!("m{n}"));
        assert_eq!(wait_for_lines(&events, n).len(), n);
        if n == 1 {
            bench.wait("the first alert is sent", || admin_texts(&bench, 0).len() == 1);
        }
    }
    bench.wait("the second alert is sent", || admin_texts(&bench, 0).len() == 2);
    assert_eq!(
        admin_texts(&bench, 0),
        [
            "Smsd3: modem0, problem with eventhandler, result 1",
            "Smsd3: modem0, problem with eventhandler, result 3",
        ]
    );
    // Sent straight through the modem: no spool file for them.
    let (sent, _) = bench.names("sent");
    assert_eq!(sent, ["m1", "m2", "m3", "m4"]);
    let submitted = bench.submitted(0);
    let to_admin = submitted
        .iter()
        .filter(|message| {
            let summary = message.summary.as_ref().unwrap();
            summary.text.as_deref().unwrap_or("").starts_with("Smsd3")
        })
        .count();
    assert_eq!(to_admin, 2);
    let log = bench.log();
    assert!(
        log.contains("ALERT (continues, 2): problem with eventhandler, result 2"),
        "{log}"
    );
    bench.stop_daemon();
}

/// A file refused before any modem took it runs the eventhandler for the
/// daemon itself (smsd's main process): `admin-message-modem` sends it,
/// as `Sms3: mainprocess, ...`.
#[test]
fn the_daemons_own_eventhandler_failure_goes_through_admin_message_modem() {
    let admin = SpoolBench::number(0);
    let spool = format!("admin-to = {admin:?}\nadmin-message-modem = \"modem1\"");
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        spool: &spool,
        ..Setup::default()
    });
    let events = eventhandler(&bench, &[4]);
    bench.start_daemon();
    bench.drop_file("bad", "To: 49x\n\nbody\n");
    bench.wait_for_file("failed", "bad");
    assert_eq!(wait_for_lines(&events, 1).len(), 1);
    bench.wait("the alert is sent", || admin_texts(&bench, 1).len() == 1);
    assert_eq!(
        admin_texts(&bench, 1),
        ["Sms3: mainprocess, problem with eventhandler, result 4"]
    );
    assert!(admin_texts(&bench, 0).is_empty());
    assert!(fs::read_dir(bench.spool("sent")).unwrap().next().is_none());
    bench.stop_daemon();
}

/// smsd's `message_limit` (here `limits.per-period`): when the modem's
/// count reaches it, the modem itself sends `Smsd3: MODEM: Message limit N
/// is reached.` to `admin-to`, though it sends no more files.
#[test]
fn reaching_the_message_limit_sends_an_admin_message() {
    let admin = SpoolBench::number(1);
    let spool = format!("admin-to = {admin:?}");
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        spool: &spool,
        modem_keys: &["[modems.modem0.limits]\nper-period = 2\nperiod-min = 60"],
        ..Setup::default()
    });
    bench.start_daemon();
    for n in 1..=2 {
        bench.drop_file(&format!("m{n}"), &format!("To: {admin}\n\nmessage {n}\n"));
        bench.wait_for_file("sent", &format!("m{n}"));
    }
    bench.wait("the limit's alert is sent", || admin_texts(&bench, 0).len() == 1);
    assert_eq!(
        admin_texts(&bench, 0),
        ["Smsd3: modem0: Message limit 2 is reached."]
    );
    bench.stop_daemon();
}

/// A failing regular_run program is smsd's `problem with regular_run
/// (modem)`.
#[test]
fn a_failing_regular_run_sends_an_admin_message() {
    let admin = SpoolBench::number(1);
    let spool = format!("admin-to = {admin:?}");
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("rr.sh");
    fs::write(&program, "#!/bin/sh\nexit 7\n").unwrap();
    fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let keys = format!(
        "[modems.modem0.regular-run]\ninterval-s = 3600\nprogram = {:?}",
        program.display().to_string()
    );
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        spool: &spool,
        modem_keys: &[&keys],
        ..Setup::default()
    });
    bench.start_daemon();
    bench.wait("the regular_run alert is sent", || {
        admin_texts(&bench, 0).len() == 1
    });
    assert_eq!(
        admin_texts(&bench, 0),
        ["Smsd3: modem0, problem with regular_run (modem), result 7"]
    );
    bench.stop_daemon();
}
