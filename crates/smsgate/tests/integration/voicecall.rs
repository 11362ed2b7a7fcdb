//! `Voicecall: yes` files through `smsgate run` (issue 5): the real
//! binary as the spool daemon on the simulator, which logs every call a
//! modem places (number, tones received, hang-up). The daemon is killed
//! and the simulator stopped when a test ends, also when it fails; every
//! wait has a deadline.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use modem_sim::{CallRecord, Fault};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const PATIENCE: Duration = Duration::from_secs(20);

/// The number of the simulator's modem 1, as a spool file names it.
const CALLEE: &str = "4917200000001";

/// A simulator with two modems, a spool, and (when started) the daemon
/// on modem 0.
struct CallBench {
    runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    n_starts: usize,
}

impl CallBench {
    fn new() -> CallBench {
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
        let config = format!(
            "lock-dir = {:?}\n\n[spool]\nbase = {:?}\n\n[ports.modem0]\ndevice = {:?}\n\n[modems.modem0]\n",
            dir.path().join("lock").display().to_string(),
            dir.path().join("spool").display().to_string(),
            dir.path().join("dev").join("modem0").display().to_string(),
        );
        fs::write(dir.path().join("smsgate.toml"), config).unwrap();
        for sub in ["outgoing", "sent", "failed"] {
            fs::create_dir_all(dir.path().join("spool").join(sub)).unwrap();
        }
        CallBench {
            runtime,
            sim: Some(sim),
            dir,
            daemon: None,
            n_starts: 0,
        }
    }

    fn spool(&self, sub: &str) -> PathBuf {
        self.dir.path().join("spool").join(sub)
    }

    /// Starts `smsgate run` and waits until it says it is ready.
    fn start_daemon(&mut self) {
        self.n_starts += 1;
        let log = self.log_path();
        let child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
            .arg("run")
            .arg("--config")
            .arg(self.dir.path().join("smsgate.toml"))
            .env("RUST_LOG", "smsgate=debug,modem=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        self.daemon = Some(child);
        self.wait("the daemon is ready", || self.log().contains("ready:"));
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("daemon{}.log", self.n_starts))
    }

    fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Writes a file into `outgoing/` under a dotfile name, then renames
    /// it, as applications should.
    fn drop_file(&self, name: &str, text: &str) {
        let temporary = self.spool("outgoing").join(format!(".{name}"));
        fs::write(&temporary, text).unwrap();
        fs::rename(&temporary, self.spool("outgoing").join(name)).unwrap();
    }

    /// Waits until `sub/name` exists and returns its text.
    fn wait_for_file(&self, sub: &str, name: &str) -> String {
        let path = self.spool(sub).join(name);
        self.wait(&format!("{sub}/{name} appears"), || path.exists());
        fs::read_to_string(path).unwrap()
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

    /// The calls modem 0 placed.
    fn calls(&self) -> Vec<CallRecord> {
        let sim = self.sim.as_ref().unwrap();
        self.runtime.block_on(sim.calls(0)).unwrap()
    }

    fn fault(&self, fault: Fault) {
        let sim = self.sim.as_ref().unwrap();
        self.runtime.block_on(sim.fault(0, fault)).unwrap();
    }

    /// Sends `signal` to the daemon and waits for it to exit.
    fn signal_daemon(&mut self, signal: Signal) {
        let mut child = self.daemon.take().expect("the daemon runs");
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
        let deadline = Instant::now() + PATIENCE;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!("the daemon did not exit in time");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for CallBench {
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

/// The values of header `name` in a spool file, in order.
fn header_values(file: &str, name: &str) -> Vec<String> {
    let prefix = format!("{name}: ");
    file.lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_answered_call_plays_the_tones_twice_and_the_file_is_sent() {
    let mut bench = CallBench::new();
    bench.start_daemon();
    let text = format!("To: {CALLEE}\nVoicecall: yes\n\nTONE: 2 1,2,#\n");
    bench.drop_file("alarm", &text);
    let sent = bench.wait_for_file("sent", "alarm");
    assert_eq!(
        bench.calls(),
        [CallRecord {
            number: format!("+{CALLEE}"),
            result: "OK",
            answered: true,
            tones: "12#12#".to_owned(),
            hung_up: true,
        }]
    );
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    assert_eq!(header_values(&sent, "Sent").len(), 1);
    assert_eq!(header_values(&sent, "IMSI"), ["001010123456789"]);
    // A call has no message reference.
    assert!(header_values(&sent, "Message_id").is_empty(), "{sent}");
    assert!(sent.ends_with("\n\nTONE: 2 1,2,#\n"), "{sent}");
    assert!(!bench.spool("outgoing").join("alarm").exists());
    bench.signal_daemon(Signal::SIGTERM);
}

#[test]
fn a_busy_callee_fails_the_file_and_is_not_called_again() {
    let mut bench = CallBench::new();
    bench.fault(Fault::CallBusy);
    bench.start_daemon();
    bench.drop_file("alarm", &format!("To: {CALLEE}\nVoicecall: yes\n\nTONE: 1\n"));
    let failed = bench.wait_for_file("failed", "alarm");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert_eq!(reason, format!("voice call not answered: ATD+{CALLEE};: BUSY"));
    assert_eq!(header_values(&failed, "Modem"), ["modem0"]);
    let calls = bench.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].result, "BUSY");
    bench.signal_daemon(Signal::SIGTERM);
}

#[test]
fn an_unanswered_call_is_hung_up_after_its_time() {
    let mut bench = CallBench::new();
    bench.fault(Fault::CallUnanswered);
    bench.start_daemon();
    let text = format!("To: {CALLEE}\nVoicecall: yes\n\nTONE: TIME: 2 #\n");
    bench.drop_file("alarm", &text);
    let failed = bench.wait_for_file("failed", "alarm");
    assert_eq!(
        header_values(&failed, "Fail_reason"),
        ["voice call not answered: no answer within 2 s"]
    );
    let calls = bench.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(!calls[0].answered && calls[0].hung_up, "{calls:?}");
    assert_eq!(calls[0].tones, "");
    bench.signal_daemon(Signal::SIGTERM);
}

#[test]
fn a_malformed_tone_text_goes_to_failed_with_the_parsers_reason() {
    let mut bench = CallBench::new();
    bench.start_daemon();
    bench.drop_file("bad", &format!("To: {CALLEE}\nVoicecall: yes\n\nTONE: 1,A\n"));
    let failed = bench.wait_for_file("failed", "bad");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(reason.contains("\"A\" is not a tone"), "{reason}");
    assert!(reason.contains("Voicecall"), "{reason}");
    assert!(bench.calls().is_empty());
    bench.signal_daemon(Signal::SIGTERM);
}

/// A daemon killed while the call rings: the journal has the call as
/// started, so the restarted daemon does not call again but fails the
/// file as of unknown outcome (`unknown-outcome = "fail"`, the default).
#[test]
fn a_call_cut_off_by_a_crash_is_not_placed_again() {
    let mut bench = CallBench::new();
    bench.fault(Fault::CallUnanswered);
    bench.start_daemon();
    let text = format!("To: {CALLEE}\nVoicecall: yes\n\nTONE: TIME: 30 #\n");
    bench.drop_file("alarm", &text);
    bench.wait("the call rings", || !bench.calls().is_empty());
    bench.signal_daemon(Signal::SIGKILL);
    bench.start_daemon();
    let failed = bench.wait_for_file("failed", "alarm");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(reason.starts_with("outcome unknown"), "{reason}");
    assert_eq!(header_values(&failed, "X-Smsgate-Outcome"), ["unknown"]);
    assert_eq!(bench.calls().len(), 1);
    bench.signal_daemon(Signal::SIGTERM);
}

/// A daemon that died after the call was answered and journalled, before
/// the file moved: the restarted daemon moves it to `sent/` without
/// calling again.
#[test]
fn a_call_journalled_as_done_is_not_placed_again_after_a_restart() {
    let mut bench = CallBench::new();
    let journal = [
        r#"{"event":"begin","file":"alarm","reference":7,"parts":1}"#,
        r#"{"event":"start","file":"alarm","part":1,"modem":"modem0"}"#,
        r#"{"event":"sent","file":"alarm","part":1,"mr":0}"#,
    ];
    fs::write(
        bench.dir.path().join("spool").join("smsgate.journal"),
        journal.join("\n") + "\n",
    )
    .unwrap();
    bench.drop_file("alarm", &format!("To: {CALLEE}\nVoicecall: yes\n\nTONE: 1\n"));
    bench.start_daemon();
    let sent = bench.wait_for_file("sent", "alarm");
    assert!(header_values(&sent, "Message_id").is_empty(), "{sent}");
    assert!(bench.calls().is_empty(), "{:?}", bench.calls());
    bench.signal_daemon(Signal::SIGTERM);
}
