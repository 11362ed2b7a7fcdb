//! The live operations over HTTP (issue 14's admin scope): the real
//! binary as the daemon on the simulator, a real HTTP client, and
//! `smsgate ctl` beside it to show that an operation over HTTP has the
//! effect the same operation over the control socket has. The daemon is
//! killed and the simulator stopped when a test ends, also when it fails;
//! every wait has a deadline.

use std::fs;

use modem_sim::Fault;
use serde_json::{json, Value};

use crate::http_api::{Api, ADMIN, READER};
use crate::spool_bench::{header_values, Setup, SpoolBench};
use crate::util::TestCommand;

/// `smsgate ctl ARGS --json` on the daemon, by its socket.
fn ctl_json(api: &Api, args: &[&str]) -> Value {
    let mut command = TestCommand::new(["ctl"]);
    command.args(args);
    command.args(["--json"]);
    command.args([
        std::ffi::OsStr::new("--control"),
        api.bench.spool("smsgate.sock").as_os_str(),
    ]);
    command.json()
}

/// Modem `name` of a status view.
fn modem_of(status: &Value, name: &str) -> Value {
    status["modems"]
        .as_array()
        .and_then(|modems| modems.iter().find(|modem| modem["name"] == name))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The queue's depth in a status view.
fn waiting(status: &Value, queue: &str) -> u64 {
    status["queues"]
        .as_array()
        .and_then(|queues| queues.iter().find(|entry| entry["queue"] == queue))
        .and_then(|entry| entry["waiting"].as_u64())
        .unwrap_or(0)
}

fn error_code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

fn message(index: usize, text: &str) -> String {
    format!("To: {}\n\n{text}\n", SpoolBench::number(index))
}

/// modem0 configured; modem1 a port only, until a reload adds it.
fn two_ports(rest: &str) -> Api {
    Api::start_on(
        Setup {
            n_modems: 2,
            ports_only: 1,
            rest,
            ..Setup::default()
        },
        "",
    )
}

#[test]
fn suspend_resume_log_level_and_status_over_http_do_what_ctl_does() {
    let mut api = two_ports("");
    api.bench.wait("modem0 is set up", || {
        modem_of(&ctl_json(&api, &["status"]), "modem0")["state"] == "idle"
    });

    // The scopes: none is 401, a read token on an admin route 403.
    let (status, answer) = api.call("POST", "/api/v1/modems/modem0/suspend", None, None);
    assert_eq!((status, error_code(&answer)), (401, "unauthorized"), "{answer}");
    let (status, answer) = api.call("POST", "/api/v1/modems/modem0/suspend", Some(READER), None);
    assert_eq!((status, error_code(&answer)), (403, "forbidden"), "{answer}");
    for (method, path) in [
        ("POST", "/api/v1/admin/reload"),
        ("PUT", "/api/v1/admin/log-level"),
        ("POST", "/api/v1/admin/resend"),
        ("POST", "/api/v1/modems/modem0/resume"),
        ("POST", "/api/v1/modems/modem0/reopen"),
    ] {
        let (status, answer) = api.call(method, path, Some(READER), Some(json!({})));
        assert_eq!(status, 403, "{method} {path}: {answer}");
        let (status, answer) = api.call(method, path, None, Some(json!({})));
        assert_eq!(status, 401, "{method} {path}: {answer}");
    }
    let (status, _) = api.call("GET", "/api/v1/status", None, None);
    assert_eq!(status, 401);

    // Suspended over HTTP: ctl sees it suspended and it takes nothing.
    let (status, answer) = api.call("POST", "/api/v1/modems/modem0/suspend", Some(ADMIN), None);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["modem"], &answer["action"]),
        (&json!("modem0"), &json!("suspend"))
    );
    assert_eq!(
        modem_of(&ctl_json(&api, &["status"]), "modem0")["state"],
        "suspended"
    );
    api.bench.drop_file("held", &message(1, "waits for the resume"));
    api.bench.wait("the file waits in the queue", || {
        waiting(&ctl_json(&api, &["status"]), "default") == 1
    });
    assert!(api.bench.submitted_texts(0).is_empty());
    assert!(!api.bench.spool("sent/held").exists());

    // GET /api/v1/status is ctl status --json (but for the moment asked).
    let (status, over_http) = api.call("GET", "/api/v1/status", Some(READER), None);
    assert_eq!(status, 200, "{over_http}");
    let mut over_http = over_http;
    let mut over_ctl = ctl_json(&api, &["status"]);
    assert!(over_http["at"].is_string(), "{over_http}");
    over_http["at"] = Value::Null;
    over_ctl["at"] = Value::Null;
    assert_eq!(over_http, over_ctl);
    assert_eq!(modem_of(&over_http, "modem0")["state"], "suspended");

    // Resumed over HTTP: the file goes out.
    let (status, answer) = api.call("POST", "/api/v1/modems/modem0/resume", Some(ADMIN), None);
    assert_eq!(status, 200, "{answer}");
    let sent = api.bench.wait_for_file("sent", "held");
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    assert_eq!(api.bench.submitted_texts(0), ["waits for the resume"]);

    // Reopened over HTTP: closed, opened again, and it sends.
    let (status, answer) = api.call("POST", "/api/v1/modems/modem0/reopen", Some(ADMIN), None);
    assert_eq!((status, &answer["done"]), (200, &json!("reopened")), "{answer}");
    assert!(api.bench.log().contains("modem modem0: reopened"));
    api.bench.drop_file("after the reopen", &message(1, "goes too"));
    api.bench.wait_for_file("sent", "after the reopen");

    // An unknown modem is 404, whichever the action.
    for action in ["suspend", "resume", "reopen"] {
        let path = format!("/api/v1/modems/modem9/{action}");
        let (status, answer) = api.call("POST", &path, Some(ADMIN), None);
        assert_eq!((status, error_code(&answer)), (404, "not_found"), "{answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains("modem9"),
            "{answer}"
        );
    }

    // The log level: a filter is taken, the daemon logs at it; a bad one
    // is 422 and the old one stays.
    let (status, answer) = api.call(
        "PUT",
        "/api/v1/admin/log-level",
        Some(ADMIN),
        Some(json!({"level": "debug"})),
    );
    assert_eq!((status, answer), (200, json!({"level": "debug"})));
    assert!(
        api.bench.log().contains("log level now debug"),
        "{}",
        api.bench.log()
    );
    let (status, answer) = api.call(
        "PUT",
        "/api/v1/admin/log-level",
        Some(ADMIN),
        Some(json!({"level": "smsgate=nonsense=x"})),
    );
    assert_eq!((status, error_code(&answer)), (422, "invalid"), "{answer}");
    assert_eq!(answer["error"]["field"], "level", "{answer}");
    let (status, answer) = api.call(
        "PUT",
        "/api/v1/admin/log-level",
        Some(ADMIN),
        Some(json!({"lvl": "x"})),
    );
    assert_eq!((status, error_code(&answer)), (422, "invalid"), "{answer}");
    api.bench.stop_daemon();
}

#[test]
fn reload_over_http_adds_a_modem_and_a_broken_config_is_422_with_the_running_one_kept() {
    let mut api = two_ports("");
    api.bench
        .edit_config(|config| format!("{config}\n[modems.modem1]\n"));
    let (status, diff) = api.call("POST", "/api/v1/admin/reload", Some(ADMIN), None);
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["modems_added"], json!(["modem1"]), "{diff}");
    api.bench.wait("modem1 is set up", || {
        modem_of(&ctl_json(&api, &["status"]), "modem1")["state"] == "idle"
    });
    // The new modem takes work: modem0 suspended over HTTP, a file goes
    // out on modem1.
    let (status, _) = api.call("POST", "/api/v1/modems/modem0/suspend", Some(ADMIN), None);
    assert_eq!(status, 200);
    api.bench.drop_file("by the new one", &message(0, "via modem1"));
    let sent = api.bench.wait_for_file("sent", "by the new one");
    assert_eq!(header_values(&sent, "Modem"), ["modem1"]);

    // Two errors: 422 naming both, nothing applied.
    let good = fs::read_to_string(api.bench.config()).unwrap();
    api.bench.edit_config(|config| {
        format!("{config}\n[modems.modem2]\nport = \"no-such-port\"\n[limits]\nno-such-key = 1\n")
    });
    let (status, answer) = api.call("POST", "/api/v1/admin/reload", Some(ADMIN), None);
    assert_eq!((status, error_code(&answer)), (422, "invalid"), "{answer}");
    let refusal = answer["error"]["message"].as_str().unwrap();
    assert!(refusal.contains("no-such-port"), "{refusal}");
    assert!(refusal.contains("no-such-key"), "{refusal}");
    assert!(refusal.contains("the running config stays"), "{refusal}");
    let status = ctl_json(&api, &["status"]);
    let names: Vec<&str> = status["modems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|modem| modem["name"].as_str())
        .collect();
    assert_eq!(names, ["modem0", "modem1"], "{status}");
    assert_eq!(modem_of(&status, "modem0")["state"], "suspended");

    // Fixed: nothing changed since the last good one, as ctl says.
    fs::write(api.bench.config(), good).unwrap();
    let (status, diff) = api.call("POST", "/api/v1/admin/reload", Some(ADMIN), None);
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff, ctl_json(&api, &["reload"]));
    assert_eq!(diff["modems_added"], json!([]), "{diff}");

    // A modem whose device is not there is added but never set up: the
    // scheduler has no slot for it, so suspending it is 409.
    api.bench.edit_config(|config| {
        format!("{config}\n[ports.ghost]\ndevice = \"/nonexistent/ttyGHOST\"\n[modems.ghost]\n")
    });
    let (status, diff) = api.call("POST", "/api/v1/admin/reload", Some(ADMIN), None);
    assert_eq!(
        (status, &diff["modems_added"]),
        (200, &json!(["ghost"])),
        "{diff}"
    );
    let (status, answer) = api.call("POST", "/api/v1/modems/ghost/suspend", Some(ADMIN), None);
    assert_eq!((status, error_code(&answer)), (409, "conflict"), "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not set up"),
        "{answer}"
    );
    api.bench.stop_daemon();
}

#[test]
fn resend_over_http_moves_failed_files_back_as_ctl_resend_does() {
    let mut api = two_ports("\n[limits]\nsend-retries = 0\nblock-after = 10\n");
    api.bench.wait("modem0 is set up", || {
        modem_of(&ctl_json(&api, &["status"]), "modem0")["state"] == "idle"
    });
    api.bench.fault(0, Fault::CmsError { code: 38, count: 2 });
    api.bench.drop_file("one", &message(1, "first"));
    let failed = api.bench.wait_for_file("failed", "one");
    let old_id = header_values(&failed, "X-Smsgate-Id").join("");
    api.bench.drop_file("two", &message(1, "second"));
    api.bench.wait_for_file("failed", "two");

    // Neither a file nor all_failed, or a since that is no time: 422.
    for body in [
        json!({}),
        json!({"all_failed": true, "since": "someday"}),
        json!({"file": "one", "all_failed": true}),
    ] {
        let (status, answer) = api.call("POST", "/api/v1/admin/resend", Some(ADMIN), Some(body.clone()));
        assert_eq!(
            (status, error_code(&answer)),
            (422, "invalid"),
            "{body}: {answer}"
        );
    }

    let (status, answer) = api.call(
        "POST",
        "/api/v1/admin/resend",
        Some(ADMIN),
        Some(json!({"file": "one"})),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["resent"][0]["from"], "one", "{answer}");
    assert_eq!(answer["resent"][0]["resend_of"], old_id.as_str(), "{answer}");
    let sent = api.bench.wait_for_file("sent", "one");
    assert_eq!(header_values(&sent, "X-Smsgate-Resend-Of"), [old_id.as_str()]);

    let since = "2000-01-01T00:00:00Z";
    let (status, answer) = api.call(
        "POST",
        "/api/v1/admin/resend",
        Some(ADMIN),
        Some(json!({"all_failed": true, "since": since})),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["resent"].as_array().map(Vec::len), Some(1), "{answer}");
    api.bench.wait_for_file("sent", "two");
    // Nothing left: the same (empty) answer as ctl's.
    let (_, again) = api.call(
        "POST",
        "/api/v1/admin/resend",
        Some(ADMIN),
        Some(json!({"all_failed": true, "since": since})),
    );
    assert_eq!(
        again,
        ctl_json(&api, &["resend", "--all-failed", "--since", since])
    );
    assert_eq!(again["resent"], json!([]), "{again}");
    api.bench.stop_daemon();
}
