//! `smsgate ctl` (issue 14, live operations): reload, modem suspend,
//! resume, unblock and reopen, the log level, resends and the status, on
//! the real binary as daemon and client, the simulator in this test's
//! process on real pseudo-terminals. The daemon is killed and the
//! simulator stopped when the test ends, also when it fails; every wait
//! has a deadline.

use std::fs;

use modem_sim::Fault;
use serde_json::Value;

use crate::spool_bench::{header_values, Setup, SpoolBench};
use crate::util::TestCommand;

/// `smsgate ctl ARGS` on the bench's daemon, by its socket.
fn ctl(bench: &SpoolBench, args: &[&str]) -> TestCommand {
    let mut command = TestCommand::new(["ctl"]);
    command.args(args);
    command.args([
        std::ffi::OsStr::new("--control"),
        bench.spool("smsgate.sock").as_os_str(),
    ]);
    command
}

/// `smsgate ctl status --json`'s modem `name`.
fn modem_status(bench: &SpoolBench, name: &str) -> Value {
    let status = ctl(bench, &["status", "--json"]).json();
    status["modems"]
        .as_array()
        .and_then(|modems| modems.iter().find(|modem| modem["name"] == name))
        .cloned()
        .unwrap_or(Value::Null)
}

fn message(index: usize, text: &str) -> String {
    format!("To: {}\n\n{text}\n", SpoolBench::number(index))
}

/// Two simulated modems; the daemon has modem0, modem1 is a port only
/// until a reload adds it.
fn two_ports() -> SpoolBench {
    SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        ..Setup::default()
    })
}

#[test]
fn a_modem_added_by_reload_sends_and_a_broken_config_is_refused_whole() {
    let mut bench = two_ports();
    bench.start_daemon();
    bench.edit_config(|config| format!("{config}\n[modems.modem1]\n"));
    let reloaded = ctl(&bench, &["reload", "--json"]).json();
    assert_eq!(
        reloaded["modems_added"],
        serde_json::json!(["modem1"]),
        "{reloaded}"
    );
    // modem0 takes nothing new: the next file can only go out on modem1.
    let suspended = ctl(&bench, &["modem", "modem0", "suspend"]).stdout();
    assert!(suspended.contains("suspended"), "{suspended}");
    bench.wait("modem1 is set up", || {
        modem_status(&bench, "modem1")["state"] == "idle"
    });
    bench.drop_file("by the new one", &message(0, "via modem1"));
    let sent = bench.wait_for_file("sent", "by the new one");
    assert_eq!(header_values(&sent, "Modem"), ["modem1"]);
    assert_eq!(modem_status(&bench, "modem0")["state"], "suspended");
    assert_eq!(modem_status(&bench, "modem1")["sent_today"], 1);

    // Two errors: both reported, nothing applied, the daemon unchanged.
    let good = fs::read_to_string(bench.config()).unwrap();
    bench.edit_config(|config| {
        format!("{config}\n[modems.modem2]\nport = \"no-such-port\"\n[limits]\nno-such-key = 1\n")
    });
    let refused = ctl(&bench, &["reload"]).expect_status(1);
    assert!(refused.stderr.contains("no-such-port"), "{}", refused.stderr);
    assert!(refused.stderr.contains("no-such-key"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("the running config stays"),
        "{}",
        refused.stderr
    );
    let status = ctl(&bench, &["status", "--json"]).json();
    let names: Vec<&str> = status["modems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|modem| modem["name"].as_str())
        .collect();
    assert_eq!(names, ["modem0", "modem1"], "{status}");
    assert_eq!(modem_status(&bench, "modem0")["state"], "suspended");

    // Fixed and reloaded: nothing changed since the last good one.
    fs::write(bench.config(), good).unwrap();
    let text = ctl(&bench, &["reload"]).stdout();
    assert_eq!(text, "reloaded: nothing changed\n");
    ctl(&bench, &["modem", "modem0", "resume"]).stdout();
    ctl(&bench, &["modem", "modem1", "suspend"]).stdout();
    bench.drop_file("by the old one", &message(1, "via modem0"));
    let sent = bench.wait_for_file("sent", "by the old one");
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    let text = ctl(&bench, &["status"]).stdout();
    assert!(text.contains("modem modem0 state=idle"), "{text}");
    assert!(text.contains("queue default waiting=0"), "{text}");
    bench.stop_daemon();
}

#[test]
fn a_modem_removed_while_its_message_is_in_flight_finishes_it_and_loses_nothing() {
    let mut bench = two_ports();
    bench.start_daemon();
    // Every answer 2 s late: the send is in flight while the reload comes.
    bench.fault(0, Fault::Delay { ms: 2000 });
    bench.drop_file("in flight", &message(1, "slow one"));
    bench.wait("it is in flight", || {
        modem_status(&bench, "modem0")["state"] == "sending"
    });
    bench.edit_config(|config| config.replace("[modems.modem0]", "[modems.modem1]"));
    bench.drop_file("queued", &message(0, "waits for modem1"));
    let reloaded = ctl(&bench, &["reload", "--json"]).json();
    assert_eq!(
        reloaded["modems_removed"],
        serde_json::json!(["modem0"]),
        "{reloaded}"
    );
    assert_eq!(
        reloaded["modems_added"],
        serde_json::json!(["modem1"]),
        "{reloaded}"
    );
    let sent = bench.wait_for_file("sent", "in flight");
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    let sent = bench.wait_for_file("sent", "queued");
    assert_eq!(header_values(&sent, "Modem"), ["modem1"]);
    assert_eq!(bench.submitted_texts(0), ["slow one"]);
    assert_eq!(bench.names("failed"), (Vec::new(), Vec::new()));
    let status = ctl(&bench, &["status", "--json"]).json();
    assert_eq!(status["modems"].as_array().map(Vec::len), Some(1), "{status}");
    bench.stop_daemon();
}

#[test]
fn resend_moves_failed_files_back_with_a_fresh_identity() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        rest: "\n[limits]\nsend-retries = 0\nblock-after = 10\n[status]\nfile = \"status\"\ninterval-s = 1\n",
        ..Setup::default()
    });
    bench.start_daemon();
    bench.fault(0, Fault::CmsError { code: 38, count: 1 });
    bench.drop_file("unlucky", &message(1, "second time lucky"));
    let failed = bench.wait_for_file("failed", "unlucky");
    let old_id = header_values(&failed, "X-Smsgate-Id").join("");
    assert!(!old_id.is_empty(), "{failed}");
    let status = modem_status(&bench, "modem0");
    assert_eq!(status["failed_today"], 1, "{status}");
    assert!(
        status["last_error"].as_str().unwrap_or("").contains("38"),
        "{status}"
    );

    // The status file says the same, within its interval.
    bench.wait("the status file counts the failure", || {
        fs::read_to_string(bench.spool("status"))
            .is_ok_and(|text| text.contains("modem modem0 state=idle") && text.contains("failed-today=1"))
    });

    let resent = ctl(&bench, &["resend", "unlucky"]).stdout();
    assert_eq!(
        resent,
        format!("failed/unlucky -> outgoing/unlucky (a resend of {old_id})\n")
    );
    let sent = bench.wait_for_file("sent", "unlucky");
    assert_eq!(header_values(&sent, "X-Smsgate-Resend-Of"), [old_id.as_str()]);
    assert!(header_values(&sent, "Fail_reason").is_empty(), "{sent}");
    let new_id = header_values(&sent, "X-Smsgate-Id");
    assert_eq!(new_id.len(), 1, "{sent}");
    assert_ne!(new_id[0], old_id);
    assert!(!bench.spool("failed/unlucky").exists());

    // Nothing left to resend; a file that is not there is an error.
    assert_eq!(
        ctl(&bench, &["resend", "--all-failed", "--since", "2000-01-01"]).stdout(),
        "nothing to resend\n"
    );
    let missing = ctl(&bench, &["resend", "no-such-file"]).expect_status(1);
    assert!(missing.stderr.contains("no-such-file"), "{}", missing.stderr);
    bench.stop_daemon();
}

#[test]
fn modem_unblock_reopen_and_the_log_level_through_ctl() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        rest: "\n[limits]\nsend-retries = 0\nblock-after = 1\nblock-time-s = 3600\n",
        ..Setup::default()
    });
    bench.start_daemon();
    bench.fault(0, Fault::CmsError { code: 38, count: 1 });
    bench.drop_file("blocks it", &message(1, "fails"));
    bench.wait_for_file("failed", "blocks it");
    bench.wait("the modem is blocked", || {
        modem_status(&bench, "modem0")["state"] == "blocked"
    });
    assert!(modem_status(&bench, "modem0")["blocked_until"].is_string());
    let text = ctl(&bench, &["modem", "modem0", "unblock"]).stdout();
    assert_eq!(text, "modem modem0: unblocked\n");
    bench.drop_file("after the unblock", &message(1, "goes"));
    bench.wait_for_file("sent", "after the unblock");

    let text = ctl(&bench, &["modem", "modem0", "reopen"]).stdout();
    assert_eq!(text, "modem modem0: reopened\n");
    bench.drop_file("after the reopen", &message(1, "goes too"));
    bench.wait_for_file("sent", "after the reopen");
    assert!(bench.log().contains("modem modem0: reopened"), "{}", bench.log());

    let unknown = ctl(&bench, &["modem", "modem9", "suspend"]).expect_status(1);
    assert!(
        unknown.stderr.contains("no modem \"modem9\""),
        "{}",
        unknown.stderr
    );

    assert_eq!(
        ctl(&bench, &["log-level", "debug"]).stdout(),
        "log level: debug\n"
    );
    let bad = ctl(&bench, &["log-level", "smsgate=nonsense=x"]).expect_status(1);
    assert!(bad.stderr.contains("log level"), "{}", bad.stderr);
    bench.stop_daemon();
}

#[test]
fn sighup_reloads_as_ctl_reload_does() {
    let mut bench = two_ports();
    bench.start_daemon();
    bench.edit_config(|config| format!("{config}\n[modems.modem1]\n"));
    let pid = bench.daemon.as_ref().map(|child| child.id()).unwrap();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    bench.wait("modem1 is added and set up", || {
        modem_status(&bench, "modem1")["state"] == "idle"
    });
    assert!(
        bench.log().contains("SIGHUP: reloading the config"),
        "{}",
        bench.log()
    );
    bench.stop_daemon();
}
