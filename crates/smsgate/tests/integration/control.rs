//! The daemon's control socket (issue 5): `smsgate send`, `inbox`, `ussd`,
//! `at-chat` and `status` on a port that `smsgate run` holds go through
//! the daemon instead of failing on the busy port. The real binary as the
//! daemon and as the client, the simulator in this test's process on real
//! pseudo-terminals. The daemon is killed and the simulator stopped when
//! the test ends, also when it fails; every wait has a deadline.

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use modem_sim::sim::Injection;
use nix::sys::signal::Signal;
use serde_json::{json, Value};

use crate::spool_bench::{Setup, SpoolBench, PATIENCE};
use crate::util::{parse_json, TestCommand};

/// An SMS-DELIVER with a fixed timestamp (AOSP's `GsmSmsTest.testAddressing`,
/// `sms-pdu/test_data/deliver/aosp_addressing.hex`): stored alike on two
/// modems, it lists alike.
const DELIVER: &str = "07914151551512f2040B916105551511f100006060605130308A04D4F29C0E";

/// Two simulated modems; the daemon's config has `modem0` as a modem and
/// `modem1` as a port only, so the commands reach modem 0 through the
/// daemon and modem 1 directly. `extra` goes at the top of the config.
fn control_bench(extra: &str) -> SpoolBench {
    SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        top: extra,
        spool_dirs: &[],
        ..Setup::default()
    })
}

/// Simulated modem `index`'s device, as the daemon names it.
fn device(bench: &SpoolBench, index: usize) -> String {
    bench.device(index).display().to_string()
}

fn socket(bench: &SpoolBench) -> PathBuf {
    bench.spool("smsgate.sock")
}

/// The number of simulated modem `index`, international.
fn number(index: usize) -> String {
    format!("+{}", SpoolBench::number(index))
}

/// `smsgate` with `args` and the bench's config file.
fn smsgate(bench: &SpoolBench, args: &[&str]) -> TestCommand {
    let mut command = TestCommand::new(args);
    command.args([std::ffi::OsStr::new("--config"), bench.config().as_os_str()]);
    command
}

/// Stores `DELIVER` on modem `index`.
fn store_deliver(bench: &SpoolBench, index: usize) {
    bench.inject(index, Injection::Pdu(hex(DELIVER)));
    bench.wait("the message is stored", || bench.n_stored(index) == 1);
}

/// The texts modem `index` submitted, once there are `n_texts`.
fn wait_submitted(bench: &SpoolBench, index: usize, n_texts: usize) -> Vec<String> {
    bench.wait(&format!("modem {index} submitted {n_texts}"), || {
        bench.submitted_texts(index).len() >= n_texts
    });
    bench.submitted_texts(index)
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

/// Writes `lines` to the socket at `path` and reads one answer per line.
fn converse(path: &Path, lines: &[&str]) -> Vec<Value> {
    let mut stream = UnixStream::connect(path).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    lines
        .iter()
        .map(|line| {
            writeln!(stream, "{line}").unwrap();
            let mut answer = String::new();
            reader.read_line(&mut answer).unwrap();
            parse_json(&answer)
        })
        .collect()
}

#[test]
fn commands_reach_the_daemons_port_through_it() {
    let mut bench = control_bench("");
    bench.start_daemon();
    // The daemon holds the port: opening it here would fail, so these
    // succeed only through the daemon.
    let sent = smsgate(
        &bench,
        &[
            "send",
            "modem0",
            &number(1),
            "--message",
            "through the daemon",
            "--json",
        ],
    )
    .json();
    assert_eq!(sent["references"].as_array().map(Vec::len), Some(1), "{sent}");
    assert_eq!(wait_submitted(&bench, 0, 1), ["through the daemon"]);
    bench.wait("modem 1 received it", || bench.n_stored(1) == 1);

    // By device path, and with the socket named explicitly.
    let socket = socket(&bench).display().to_string();
    let stdout = smsgate(
        &bench,
        &[
            "send",
            &device(&bench, 0),
            &number(1),
            "--message",
            "by device",
            "--control",
            &socket,
        ],
    )
    .stdout();
    assert!(stdout.trim().parse::<u8>().is_ok(), "{stdout}");
    assert_eq!(wait_submitted(&bench, 0, 2)[1], "by device");

    eqnice!(
        "+CSQ: 21,99\nOK\n",
        smsgate(&bench, &["at-chat", "modem0", "AT+CSQ"]).stdout()
    );
    let printed = smsgate(&bench, &["at-chat", "modem0", "AT+CMEE=7"]).expect_status(1);
    eqnice!("+CME ERROR: 50\n", printed.stdout);
    assert!(
        printed
            .stderr
            .contains("AT+CMEE=7: +CME ERROR: 50 (incorrect parameters)"),
        "{}",
        printed.stderr
    );

    let status = smsgate(&bench, &["status", "modem0", "--json"]).json();
    assert_eq!(status["port"], device(&bench, 0).as_str());
    assert_eq!(status["registration"]["registered"], true, "{status}");
    let imsi = status["imsi"].as_str().unwrap();
    let text = smsgate(&bench, &["status", "modem0"]).stdout();
    assert!(text.contains(&format!("imsi:         {imsi}\n")), "{text}");

    bench
        .runtime
        .block_on(bench.sim().set_ussd(0, "*100#", "balance 5 EUR"))
        .unwrap();
    eqnice!(
        "balance 5 EUR\n",
        smsgate(&bench, &["ussd", "modem0", "*100#"]).stdout()
    );
    assert!(
        bench.log().contains("control socket"),
        "the daemon names its socket:\n{}",
        bench.log()
    );
}

#[test]
fn the_output_through_the_daemon_is_the_direct_output() {
    let mut bench = control_bench("");
    store_deliver(&bench, 0);
    store_deliver(&bench, 1);
    bench
        .runtime
        .block_on(
            bench
                .sim()
                .set_ussd_raw(0, "*245#", "EBB79B1E0685E9ECF4BADE9E03", 15),
        )
        .unwrap();
    bench
        .runtime
        .block_on(
            bench
                .sim()
                .set_ussd_raw(1, "*245#", "EBB79B1E0685E9ECF4BADE9E03", 15),
        )
        .unwrap();
    bench.start_daemon();
    // modem0 through the daemon, modem1 opened directly; the same stored
    // message and the same answers.
    for args in [
        &["inbox", "--json"][..],
        &["inbox"],
        &["ussd", "*245#"],
        &["ussd", "*245#", "--json"],
        &["at-chat", "AT+CSQ"],
    ] {
        let run = |port: &str| {
            let mut full = vec![args[0], port];
            full.extend_from_slice(&args[1..]);
            smsgate(&bench, &full).stdout()
        };
        eqnice!(run("modem1"), run("modem0"));
    }
    let listed = parse_json(&smsgate(&bench, &["inbox", "modem0", "--json"]).stdout());
    assert_eq!(listed[0]["phone"], "+16505551111", "{listed}");
    assert_eq!(listed[0]["message"], "Test");

    let status0 = smsgate(&bench, &["status", "modem0"]).stdout();
    let status1 = smsgate(&bench, &["status", "modem1"]).stdout();
    let row_names = |text: &str| -> Vec<String> {
        text.lines()
            .map(|line| line.split(':').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(row_names(&status0), row_names(&status1));
    // `status --json`: the same but for what differs between the two
    // modems themselves, their device and identity.
    let status_json = |port: &str| {
        let mut status = parse_json(&smsgate(&bench, &["status", port, "--json"]).stdout());
        for key in ["port", "imei", "imsi", "iccid"] {
            status[key] = Value::Null;
        }
        status
    };
    assert_eq!(status_json("modem1"), status_json("modem0"));

    let printed = smsgate(&bench, &["inbox", "modem0", "--remove", "9"]).expect_status(1);
    assert!(
        printed.stderr.contains("--remove 9: no message at index 9"),
        "{}",
        printed.stderr
    );
    eqnice!(
        smsgate(&bench, &["inbox", "modem1", "--remove", "1"]).stdout(),
        smsgate(&bench, &["inbox", "modem0", "--remove", "1"]).stdout()
    );
    assert_eq!(bench.n_stored(0), 0);
    eqnice!("no messages\n", smsgate(&bench, &["inbox", "modem0"]).stdout());
}

#[test]
fn bad_requests_and_unknown_modems_get_an_error_answer() {
    let mut bench = control_bench("");
    bench.start_daemon();
    let answers = converse(
        &socket(&bench),
        &[
            "hello",
            r#"{"op":"send","port":"modem0","text":"hi"}"#,
            r#"{"op":"status","port":"modem7"}"#,
            r#"{"op":"modems"}"#,
            r#"{"op":"at-chat","port":"modem0","command":"AT"}"#,
        ],
    );
    assert_eq!(answers[0]["ok"], false);
    assert_eq!(answers[0]["kind"], "bad-request");
    assert!(
        answers[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("not a request: "),
        "{}",
        answers[0]
    );
    assert_eq!(answers[1]["kind"], "bad-request");
    assert!(
        answers[1]["error"]
            .as_str()
            .unwrap()
            .contains("missing field `number`"),
        "{}",
        answers[1]
    );
    let device0 = device(&bench, 0);
    eqnice_json!(
        json!({
            "ok": false,
            "kind": "unknown-modem",
            "error": format!("no modem \"modem7\" in this daemon (modems: modem0 (port modem0, {device0}))"),
        }),
        answers[2]
    );
    eqnice_json!(
        json!({"ok": true, "result": [{"name": "modem0", "port": "modem0", "device": device0}]}),
        answers[3]
    );
    // The connection survived the bad lines.
    eqnice_json!(
        json!({"ok": true, "modem": "modem0", "result": {
            "lines": [], "result": "OK", "described": "OK", "success": true, "unsolicited": [],
        }}),
        answers[4]
    );

    // With the socket named, a port the daemon does not serve is an error
    // that names the ones it does.
    let socket = socket(&bench).display().to_string();
    let printed = smsgate(&bench, &["status", "modem1", "--control", &socket]).expect_status(1);
    assert!(
        printed
            .stderr
            .contains("no modem \"modem1\" in this daemon (modems: modem0 (port modem0, "),
        "{}",
        printed.stderr
    );
    // Without, the port is opened directly.
    let status = smsgate(&bench, &["status", "modem1", "--json"]).json();
    assert_eq!(status["port"], device(&bench, 1).as_str());
}

#[test]
fn the_socket_is_owner_only_replaced_when_stale_and_removed_on_stop() {
    let mut bench = control_bench("");
    bench.start_daemon();
    let metadata = fs::symlink_metadata(socket(&bench)).unwrap();
    assert!(metadata.file_type().is_socket());
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);

    // A killed daemon leaves its socket; the next one replaces it.
    bench.signal_daemon(Signal::SIGKILL);
    assert!(socket(&bench).exists());
    bench.start_daemon();
    eqnice!(
        "+CSQ: 21,99\nOK\n",
        smsgate(&bench, &["at-chat", "modem0", "AT+CSQ"]).stdout()
    );

    bench.stop_daemon();
    assert!(!socket(&bench).exists(), "the socket is left after a clean stop");
    // No daemon: the port is opened directly again.
    eqnice!(
        "+CSQ: 21,99\nOK\n",
        smsgate(&bench, &["at-chat", "modem0", "AT+CSQ"]).stdout()
    );
}

#[test]
fn a_port_held_by_the_daemon_without_a_socket_is_an_error_that_says_so() {
    let mut bench = control_bench("[control]\nenabled = false\n");
    bench.start_daemon();
    assert!(!socket(&bench).exists());
    let printed = smsgate(&bench, &["at-chat", "modem0", "AT"]).expect_status(1);
    assert!(
        printed.stderr.contains("is in use by PID")
            && printed
                .stderr
                .contains("the smsgate daemon holds the port, and no control socket of it serves this port"),
        "{}",
        printed.stderr
    );
    // A socket named but absent is an error too, naming it.
    let printed = smsgate(
        &bench,
        &[
            "at-chat",
            "modem0",
            "AT",
            "--control",
            "/nonexistent/smsgate.sock",
        ],
    )
    .expect_status(1);
    assert!(
        printed.stderr.contains("--control /nonexistent/smsgate.sock"),
        "{}",
        printed.stderr
    );
}

/// `inbox` text or JSON without the indexes: a SIM index and a daemon's
/// number for its file differ by nature.
fn without_indexes(printed: &str) -> String {
    match serde_json::from_str::<Value>(printed) {
        Ok(Value::Array(mut messages)) => {
            for message in &mut messages {
                let object = message.as_object_mut().unwrap();
                object.remove("index");
                object.remove("indexes");
            }
            serde_json::to_string_pretty(&messages).unwrap()
        }
        _ => printed
            .lines()
            .map(|line| match line.split_once("  ") {
                Some((index, rest)) if index.parse::<u64>().is_ok() => rest.to_owned(),
                _ => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Issue 10, item 10: a daemon that receives for its modem lists what it
/// wrote to incoming/; that listing is printed exactly as the modem's own
/// (the `+`, the time stamp, the words), and its numbers stay put when an
/// entry is removed.
#[test]
fn a_receiving_daemons_inbox_prints_as_the_modems_own() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        modem_keys: &["receive = true"],
        spool_dirs: &[],
        ..Setup::default()
    });
    store_deliver(&bench, 1);
    bench.start_daemon();
    bench.inject(0, Injection::Pdu(hex(DELIVER)));
    bench.wait("the daemon received it", || {
        fs::read_dir(bench.spool("incoming")).is_ok_and(|dir| dir.count() == 1)
    });
    for args in [&["inbox", "--json"][..], &["inbox"]] {
        let run = |port: &str| {
            let mut full = vec![args[0], port];
            full.extend_from_slice(&args[1..]);
            without_indexes(&smsgate(&bench, &full).stdout())
        };
        eqnice!(run("modem1"), run("modem0"));
    }
    let listed = smsgate(&bench, &["inbox", "modem0", "--json"]).json();
    assert_eq!(listed[0]["phone"], "+16505551111", "{listed}");
    assert_eq!(listed[0]["timestamp"], "2006-06-06 15:03:03", "{listed}");
    assert_eq!(listed[0]["status"], "received", "{listed}");

    // A second message; removing the first leaves the second's number.
    bench.inject(0, Injection::Pdu(hex(DELIVER)));
    bench.wait("the daemon received the second", || {
        fs::read_dir(bench.spool("incoming")).is_ok_and(|dir| dir.count() == 2)
    });
    let listed = smsgate(&bench, &["inbox", "modem0", "--json"]).json();
    let indexes: Vec<u64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes.len(), 2);
    let first = indexes[0].to_string();
    let removed = smsgate(&bench, &["inbox", "modem0", "--remove", &first]).stdout();
    eqnice!(
        format!("removed the message from +16505551111 at index {first}\n"),
        removed
    );
    let listed = smsgate(&bench, &["inbox", "modem0", "--json"]).json();
    assert_eq!(listed[0]["index"], indexes[1], "{listed}");
    let printed = smsgate(&bench, &["inbox", "modem0", "--remove", &first]).expect_status(1);
    assert!(
        printed.stderr.contains(&format!("no message at index {first}")),
        "{}",
        printed.stderr
    );
    // --sms-storage asks for the modem's storage itself, through the
    // daemon: empty, the daemon took the messages off it.
    eqnice!(
        "no messages\n",
        smsgate(&bench, &["inbox", "modem0", "--sms-storage", "sim"]).stdout()
    );
}
