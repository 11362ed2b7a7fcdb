//! `smsgate sim` and `smsgate sim ctl`: the real binary runs the simulator
//! in the background, `sim ctl` drives it, and SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{parse_json, TestCommand};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A running `smsgate sim`; killed when dropped, so a failing test leaves
/// no process behind.
struct RunningSim {
    child: Child,
    /// Its stdout up to and including the `control` line.
    banner: Vec<String>,
    control: String,
}

impl RunningSim {
    fn start(dir: &Path) -> RunningSim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
            .args(["sim", "--modems", "2", "--control", "127.0.0.1:0", "--dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Read on a thread, so that a simulator that never prints makes the
        // test fail after TIMEOUT instead of hanging.
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = RunningSim {
            child,
            banner: Vec::new(),
            control: String::new(),
        };
        loop {
            let line = lines_rx.recv_timeout(TIMEOUT).unwrap_or_else(|_| {
                panic!("no control line; printed so far: {:?}", running.banner);
            });
            running.banner.push(line.clone());
            if let Some(control) = line.strip_prefix("control http://") {
                running.control = control.to_owned();
                return running;
            }
        }
    }

    fn ctl(&self, args: &[&str]) -> TestCommand {
        let mut command = TestCommand::new(["sim", "ctl", "--control", &self.control]);
        command.args(args);
        command
    }

    /// Sends SIGTERM and returns the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "smsgate sim ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sim_runs_until_sigterm_and_ctl_drives_it() {
    let dir = tempfile::tempdir().unwrap();
    let sim = RunningSim::start(dir.path());
    assert_eq!(sim.banner.len(), 3, "{:?}", sim.banner);
    let link0 = dir.path().join("modem0");
    assert!(
        sim.banner[0].starts_with(&format!("modem0  {} -> /dev/pts/", link0.display())),
        "{:?}",
        sim.banner
    );
    assert!(sim.banner[1].ends_with("  +4917200000001"), "{:?}", sim.banner);
    assert!(std::fs::read_link(&link0).unwrap().starts_with("/dev/pts"));

    let modems = sim.ctl(&["modems"]).json();
    assert_eq!(modems[1]["msisdn"], "4917200000001");
    assert_eq!(modems[0]["path"], link0.display().to_string());

    let injected = sim
        .ctl(&[
            "inject",
            "1",
            "--from",
            "+15551234",
            "--text",
            "hi",
            "--parts-order",
            "1",
        ])
        .json();
    assert_eq!(injected, serde_json::json!({"parts": 1}));
    let deadline = Instant::now() + TIMEOUT;
    while sim.ctl(&["modems"]).json()[1]["sm"]["used"] != 1 {
        assert!(Instant::now() < deadline, "the injected message was never stored");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The stored message, decoded (issue 10 item 21).
    let messages = sim.ctl(&["messages", "1"]).json();
    assert_eq!(messages[0]["mem"], "SM");
    assert_eq!(messages[0]["from"], "+15551234");
    assert_eq!(messages[0]["text"], "hi");
    assert_eq!(messages[0]["concat"], serde_json::Value::Null);
    // A raw USSD answer; a bad one is refused naming the field.
    let raw = [
        "ussd",
        "0",
        "--code",
        "*245#",
        "--raw-hex",
        "EBB79B1E0685E9ECF4BADE9E03",
        "--dcs",
        "15",
    ];
    assert_eq!(sim.ctl(&raw).json(), serde_json::json!({"ok": true}));
    let refused = sim
        .ctl(&["ussd", "0", "--code", "*245#", "--raw-hex", "XY", "--dcs", "15"])
        .expect_status(1);
    assert!(
        refused.stderr.contains("raw: expected hex octets"),
        "{}",
        refused.stderr
    );

    assert_eq!(
        sim.ctl(&["fault", "0", "cms-error", "--code", "38"]).json(),
        serde_json::json!({"ok": true})
    );
    assert_eq!(sim.ctl(&["external"]).json(), serde_json::json!([]));
    // An incoming call rings, and is logged until a client hangs up; a
    // caller that is no number is refused, naming the field.
    assert_eq!(
        sim.ctl(&["call", "1", "--from", "+37120000000"]).json(),
        serde_json::json!({"rang": true})
    );
    assert_eq!(
        sim.ctl(&["call", "1", "--from", "+37120000001"]).json(),
        serde_json::json!({"rang": false})
    );
    let calls = sim.ctl(&["calls", "1"]).json();
    assert_eq!(calls[0]["result"], "RING");
    assert_eq!(calls[0]["hung_up"], false);
    let refused = sim.ctl(&["call", "1", "--from", "nobody"]).expect_status(1);
    assert!(refused.stderr.contains("from: a number"), "{}", refused.stderr);
    let submitted = sim.ctl(&["submitted", "0"]).stdout();
    assert_eq!(parse_json(&submitted), serde_json::json!([]));

    // The API's complaint, naming the field, becomes the error message.
    let refused = sim.ctl(&["fault", "0", "hang", "--ms", "5"]).expect_status(1);
    assert!(
        refused.stderr.contains("ms: does not apply to kind \"hang\""),
        "{}",
        refused.stderr
    );
    let refused = sim.ctl(&["replug", "9"]).expect_status(1);
    assert!(refused.stderr.contains("no modem 9"), "{}", refused.stderr);

    let status = sim.terminate();
    assert!(status.success(), "{status}");
    assert!(std::fs::symlink_metadata(&link0).is_err(), "link left behind");
}

#[test]
fn ctl_without_a_simulator_fails_with_a_hint() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let control = format!("127.0.0.1:{port}");
    let printed = TestCommand::new(["sim", "ctl", "--control", &control, "modems"]).expect_status(1);
    assert!(
        printed.stderr.contains("is `smsgate sim` running?"),
        "{}",
        printed.stderr
    );
}

#[test]
fn sim_refuses_a_control_address_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let printed = TestCommand::new(["sim", "--control", "0.0.0.0:0", "--dir"])
        .args([dir.path()])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains("control: 0.0.0.0:0 is not a loopback address"),
        "{}",
        printed.stderr
    );
}
