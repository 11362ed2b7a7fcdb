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
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use modem_sim::sim::{Injection, SimConfig, SimHandle, Simulator};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use crate::util::{parse_json, TestCommand};

const PATIENCE: Duration = Duration::from_secs(15);

/// An SMS-DELIVER with a fixed timestamp (AOSP's `GsmSmsTest.testAddressing`,
/// `sms-pdu/test_data/deliver/aosp_addressing.hex`): stored alike on two
/// modems, it lists alike.
const DELIVER: &str = "07914151551512f2040B916105551511f100006060605130308A04D4F29C0E";

/// Two simulated modems; the daemon's config has `modem0` as a modem and
/// `modem1` as a port only, so the commands reach modem 0 through the
/// daemon and modem 1 directly.
struct ControlBench {
    runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    n_starts: usize,
}

impl ControlBench {
    fn new(extra: &str) -> ControlBench {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("lock")).unwrap();
        let sim = runtime
            .block_on(Simulator::start(SimConfig::new(2, dir.path().join("dev"))))
            .unwrap();
        let bench = ControlBench {
            runtime,
            sim: Some(sim),
            dir,
            daemon: None,
            n_starts: 0,
        };
        let config = format!(
            "lock-dir = {:?}\n{extra}\n[spool]\nbase = {:?}\n\n[ports.modem0]\ndevice = {:?}\n\n\
             [modems.modem0]\n\n[ports.modem1]\ndevice = {:?}\n",
            bench.dir.path().join("lock").display().to_string(),
            bench.dir.path().join("spool").display().to_string(),
            bench.device(0),
            bench.device(1),
        );
        fs::write(bench.config(), config).unwrap();
        bench
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("smsgate.toml")
    }

    fn device(&self, index: usize) -> String {
        self.dir
            .path()
            .join("dev")
            .join(format!("modem{index}"))
            .display()
            .to_string()
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("spool").join("smsgate.sock")
    }

    fn number(index: usize) -> String {
        format!("+{}", 4_917_200_000_000_u64 + index as u64)
    }

    /// `smsgate` with `args` and this bench's config file.
    fn smsgate(&self, args: &[&str]) -> TestCommand {
        let mut command = TestCommand::new(args);
        command.args([std::ffi::OsStr::new("--config"), self.config().as_os_str()]);
        command
    }

    /// Starts `smsgate run` and waits until it says it is ready.
    fn start_daemon(&mut self) {
        self.n_starts += 1;
        let log = self.dir.path().join(format!("daemon{}.log", self.n_starts));
        let child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
            .arg("run")
            .arg("--config")
            .arg(self.config())
            .env("RUST_LOG", "smsgate=debug,modem=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        self.daemon = Some(child);
        self.wait("the daemon is ready", || {
            fs::read_to_string(&log).unwrap_or_default().contains("ready:")
        });
    }

    fn log(&self) -> String {
        let log = self.dir.path().join(format!("daemon{}.log", self.n_starts));
        fs::read_to_string(log).unwrap_or_default()
    }

    fn signal_daemon(&mut self, signal: Signal) -> ExitStatus {
        let mut child = self.daemon.take().expect("the daemon runs");
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!("the daemon did not exit in time\nlog:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn wait(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}\nlog:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    /// Stores `DELIVER` on modem `index`.
    fn store_deliver(&self, index: usize) {
        let pdu = hex(DELIVER);
        self.runtime
            .block_on(self.sim().inject(index, Injection::Pdu(pdu)))
            .unwrap();
        self.wait("the message is stored", || self.n_stored(index) == 1);
    }

    fn n_stored(&self, index: usize) -> usize {
        self.runtime.block_on(self.sim().modem(index)).unwrap().sm.0
    }

    /// The texts modem `index` submitted, once there are `n_texts`.
    fn wait_submitted(&self, index: usize, n_texts: usize) -> Vec<String> {
        let texts = || -> Vec<String> {
            self.runtime
                .block_on(self.sim().submitted(index))
                .unwrap()
                .into_iter()
                .map(|submitted| submitted.summary.unwrap().text.unwrap_or_default())
                .collect()
        };
        self.wait(&format!("modem {index} submitted {n_texts}"), || {
            texts().len() >= n_texts
        });
        texts()
    }
}

impl Drop for ControlBench {
    fn drop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
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
    let mut bench = ControlBench::new("");
    bench.start_daemon();
    // The daemon holds the port: opening it here would fail, so these
    // succeed only through the daemon.
    let sent = bench
        .smsgate(&[
            "send",
            "modem0",
            &ControlBench::number(1),
            "--message",
            "through the daemon",
            "--json",
        ])
        .json();
    assert_eq!(sent["references"].as_array().map(Vec::len), Some(1), "{sent}");
    assert_eq!(bench.wait_submitted(0, 1), ["through the daemon"]);
    bench.wait("modem 1 received it", || bench.n_stored(1) == 1);

    // By device path, and with the socket named explicitly.
    let socket = bench.socket().display().to_string();
    let stdout = bench
        .smsgate(&[
            "send",
            &bench.device(0),
            &ControlBench::number(1),
            "--message",
            "by device",
            "--control",
            &socket,
        ])
        .stdout();
    assert!(stdout.trim().parse::<u8>().is_ok(), "{stdout}");
    assert_eq!(bench.wait_submitted(0, 2)[1], "by device");

    eqnice!(
        "+CSQ: 21,99\nOK\n",
        bench.smsgate(&["at-chat", "modem0", "AT+CSQ"]).stdout()
    );
    let printed = bench
        .smsgate(&["at-chat", "modem0", "AT+CMEE=7"])
        .expect_status(1);
    eqnice!("+CME ERROR: 50\n", printed.stdout);
    assert!(
        printed
            .stderr
            .contains("AT+CMEE=7: +CME ERROR: 50 (incorrect parameters)"),
        "{}",
        printed.stderr
    );

    let status = bench.smsgate(&["status", "modem0", "--json"]).json();
    assert_eq!(status["port"], bench.device(0).as_str());
    assert_eq!(status["registration"]["registered"], true, "{status}");
    let imsi = status["imsi"].as_str().unwrap();
    let text = bench.smsgate(&["status", "modem0"]).stdout();
    assert!(text.contains(&format!("imsi:         {imsi}\n")), "{text}");

    bench
        .runtime
        .block_on(bench.sim().set_ussd(0, "*100#", "balance 5 EUR"))
        .unwrap();
    eqnice!(
        "balance 5 EUR\n",
        bench.smsgate(&["ussd", "modem0", "*100#"]).stdout()
    );
    assert!(
        bench.log().contains("control socket"),
        "the daemon names its socket:\n{}",
        bench.log()
    );
}

#[test]
fn the_output_through_the_daemon_is_the_direct_output() {
    let mut bench = ControlBench::new("");
    bench.store_deliver(0);
    bench.store_deliver(1);
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
            bench.smsgate(&full).stdout()
        };
        eqnice!(run("modem1"), run("modem0"));
    }
    let listed = parse_json(&bench.smsgate(&["inbox", "modem0", "--json"]).stdout());
    assert_eq!(listed[0]["phone"], "+16505551111", "{listed}");
    assert_eq!(listed[0]["message"], "Test");

    let status0 = bench.smsgate(&["status", "modem0"]).stdout();
    let status1 = bench.smsgate(&["status", "modem1"]).stdout();
    let row_names = |text: &str| -> Vec<String> {
        text.lines()
            .map(|line| line.split(':').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(row_names(&status0), row_names(&status1));

    let printed = bench
        .smsgate(&["inbox", "modem0", "--remove", "9"])
        .expect_status(1);
    assert!(
        printed.stderr.contains("--remove 9: no message at index 9"),
        "{}",
        printed.stderr
    );
    eqnice!(
        bench.smsgate(&["inbox", "modem1", "--remove", "1"]).stdout(),
        bench.smsgate(&["inbox", "modem0", "--remove", "1"]).stdout()
    );
    assert_eq!(bench.n_stored(0), 0);
    eqnice!("no messages\n", bench.smsgate(&["inbox", "modem0"]).stdout());
}

#[test]
fn bad_requests_and_unknown_modems_get_an_error_answer() {
    let mut bench = ControlBench::new("");
    bench.start_daemon();
    let answers = converse(
        &bench.socket(),
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
    let device = bench.device(0);
    eqnice_json!(
        json!({
            "ok": false,
            "kind": "unknown-modem",
            "error": format!("no modem \"modem7\" in this daemon (modems: modem0 (port modem0, {device}))"),
        }),
        answers[2]
    );
    eqnice_json!(
        json!({"ok": true, "result": [{"name": "modem0", "port": "modem0", "device": device}]}),
        answers[3]
    );
    // The connection survived the bad lines.
    eqnice_json!(
        json!({"ok": true, "modem": "modem0", "result": {
            "lines": [], "result": "OK", "described": "OK", "success": true,
        }}),
        answers[4]
    );

    // With the socket named, a port the daemon does not serve is an error
    // that names the ones it does.
    let socket = bench.socket().display().to_string();
    let printed = bench
        .smsgate(&["status", "modem1", "--control", &socket])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains("no modem \"modem1\" in this daemon (modems: modem0 (port modem0, "),
        "{}",
        printed.stderr
    );
    // Without, the port is opened directly.
    let status = bench.smsgate(&["status", "modem1", "--json"]).json();
    assert_eq!(status["port"], bench.device(1).as_str());
}

#[test]
fn the_socket_is_owner_only_replaced_when_stale_and_removed_on_stop() {
    let mut bench = ControlBench::new("");
    bench.start_daemon();
    let metadata = fs::symlink_metadata(bench.socket()).unwrap();
    assert!(metadata.file_type().is_socket());
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);

    // A killed daemon leaves its socket; the next one replaces it.
    bench.signal_daemon(Signal::SIGKILL);
    assert!(bench.socket().exists());
    bench.start_daemon();
    eqnice!(
        "+CSQ: 21,99\nOK\n",
        bench.smsgate(&["at-chat", "modem0", "AT+CSQ"]).stdout()
    );

    let status = bench.signal_daemon(Signal::SIGTERM);
    assert!(status.success(), "{status}\nlog:\n{}", bench.log());
    assert!(!bench.socket().exists(), "the socket is left after a clean stop");
    // No daemon: the port is opened directly again.
    eqnice!(
        "+CSQ: 21,99\nOK\n",
        bench.smsgate(&["at-chat", "modem0", "AT+CSQ"]).stdout()
    );
}

#[test]
fn a_port_held_by_the_daemon_without_a_socket_is_an_error_that_says_so() {
    let mut bench = ControlBench::new("[control]\nenabled = false\n");
    bench.start_daemon();
    assert!(!bench.socket().exists());
    let printed = bench.smsgate(&["at-chat", "modem0", "AT"]).expect_status(1);
    assert!(
        printed.stderr.contains("is in use by PID")
            && printed
                .stderr
                .contains("the smsgate daemon holds the port, and no control socket of it serves this port"),
        "{}",
        printed.stderr
    );
    // A socket named but absent is an error too, naming it.
    let printed = bench
        .smsgate(&[
            "at-chat",
            "modem0",
            "AT",
            "--control",
            "/nonexistent/smsgate.sock",
        ])
        .expect_status(1);
    assert!(
        printed.stderr.contains("--control /nonexistent/smsgate.sock"),
        "{}",
        printed.stderr
    );
}
