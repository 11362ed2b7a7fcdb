//! `smsgate run` and `smsgate demo`: the real binary as the spool daemon,
//! on the simulator, which runs in this test's process on real
//! pseudo-terminals. Each test has its own simulator, spool and lock
//! directory; the daemon is killed and the simulator stopped when the test
//! ends, also when it fails. Every wait has a deadline.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use modem_sim::Fault;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const PATIENCE: Duration = Duration::from_secs(15);

/// A simulator, a spool and (when started) a daemon.
struct SpoolBench {
    runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    n_starts: usize,
}

impl SpoolBench {
    /// `n_modems` simulated modems, all in the daemon's config, and
    /// `extra` appended to the config.
    fn new(n_modems: usize, extra: &str) -> SpoolBench {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("lock")).unwrap();
        let sim = runtime
            .block_on(Simulator::start(SimConfig::new(n_modems, dir.path().join("dev"))))
            .unwrap();
        let mut config = format!(
            "lock-dir = {:?}\n{extra}\n[spool]\nbase = {:?}\n",
            dir.path().join("lock").display().to_string(),
            dir.path().join("spool").display().to_string()
        );
        for index in 0..n_modems {
            let device = dir.path().join("dev").join(format!("modem{index}"));
            config.push_str(&format!(
                "\n[ports.modem{index}]\ndevice = {:?}\n\n[modems.modem{index}]\n",
                device.display().to_string()
            ));
        }
        fs::write(dir.path().join("smsgate.toml"), config).unwrap();
        for sub in ["outgoing", "sent", "failed"] {
            fs::create_dir_all(dir.path().join("spool").join(sub)).unwrap();
        }
        SpoolBench {
            runtime,
            sim: Some(sim),
            dir,
            daemon: None,
            n_starts: 0,
        }
    }

    fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    fn spool(&self, sub: &str) -> PathBuf {
        self.dir.path().join("spool").join(sub)
    }

    fn number(index: usize) -> String {
        (4_917_200_000_000_u64 + index as u64).to_string()
    }

    /// Starts `smsgate run` and waits until it says it is ready.
    fn start_daemon(&mut self) {
        self.n_starts += 1;
        let log = self.dir.path().join(format!("daemon{}.log", self.n_starts));
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
        self.wait("the daemon is ready", || {
            fs::read_to_string(&log).unwrap_or_default().contains("ready:")
        });
    }

    /// The daemon's log so far, of its latest start.
    fn log(&self) -> String {
        let log = self.dir.path().join(format!("daemon{}.log", self.n_starts));
        fs::read_to_string(log).unwrap_or_default()
    }

    /// Writes a file into `outgoing/` as applications should: under a
    /// dotfile name, then renamed.
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

    /// The texts modem `index` submitted to the network, in order.
    fn submitted_texts(&self, index: usize) -> Vec<String> {
        self.runtime
            .block_on(self.sim().submitted(index))
            .unwrap()
            .into_iter()
            .map(|submitted| submitted.summary.unwrap().text.unwrap_or_default())
            .collect()
    }

    fn fault(&self, index: usize, fault: Fault) {
        self.runtime.block_on(self.sim().fault(index, fault)).unwrap();
    }

    /// Sends `signal` to the daemon and waits for it to exit.
    fn signal_daemon(&mut self, signal: Signal) -> ExitStatus {
        let mut child = self.daemon.take().expect("the daemon runs");
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
        wait_exit(&mut child)
    }

    /// An executable eventhandler that appends its arguments, `|`-separated,
    /// one line per call, to the returned log.
    fn eventhandler(&self) -> (PathBuf, PathBuf) {
        let script = self.dir.path().join("event.sh");
        let log = self.dir.path().join("events.log");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s|' \"$@\" >> '{}'\necho >> '{}'\n",
                log.display(),
                log.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        (script, log)
    }
}

impl Drop for SpoolBench {
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

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the process did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(10));
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

fn wait_for_lines(path: &Path, n_lines: usize) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= n_lines {
            return text.lines().map(str::to_owned).collect();
        }
        assert!(Instant::now() < deadline, "{} has {text:?}", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_file_is_sent_end_to_end_and_the_eventhandler_called() {
    let mut bench = SpoolBench::new(2, "");
    let (script, events) = bench.eventhandler();
    let config_path = bench.dir.path().join("smsgate.toml");
    let config = fs::read_to_string(&config_path).unwrap();
    fs::write(
        &config_path,
        format!(
            "{config}\n[handlers]\neventhandler = {:?}\n",
            script.display().to_string()
        ),
    )
    .unwrap();
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
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
}

#[test]
fn a_malformed_file_goes_to_failed_with_every_reason() {
    let mut bench = SpoolBench::new(1, "");
    let (script, events) = bench.eventhandler();
    let config_path = bench.dir.path().join("smsgate.toml");
    let config = fs::read_to_string(&config_path).unwrap();
    fs::write(
        &config_path,
        format!(
            "{config}\n[handlers]\neventhandler = {:?}\n",
            script.display().to_string()
        ),
    )
    .unwrap();
    bench.start_daemon();
    bench.drop_file("bad", "To: 49x\nValidity: 3 fortnights\nReplace: 9\n\nbody\n");
    let failed = bench.wait_for_file("failed", "bad");
    let reason = header_values(&failed, "Fail_reason").join("");
    for expected in ["line 1: To:", "line 2: Validity:", "line 3: Replace:"] {
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
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
}

#[test]
fn cms_errors_are_retried_with_backoff_then_the_file_fails() {
    let mut bench = SpoolBench::new(2, "");
    let config_path = bench.dir.path().join("smsgate.toml");
    let config = fs::read_to_string(&config_path).unwrap();
    // One modem, two retries one second apart.
    let config = config.replace("\n[modems.modem1]\n", "\n");
    let config = config.replace("[ports.modem1]", "[ports.unused]");
    fs::write(
        &config_path,
        format!("{config}\n[limits]\nretry-interval-s = 1\nsend-retries = 2\nblock-after = 10\n"),
    )
    .unwrap();
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
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
}

#[test]
fn high_priority_first_then_oldest_and_locked_files_are_left_alone() {
    let mut bench = SpoolBench::new(2, "");
    let config_path = bench.dir.path().join("smsgate.toml");
    let config = fs::read_to_string(&config_path).unwrap();
    let config = config
        .replace("\n[modems.modem1]\n", "\n")
        .replace("[ports.modem1]", "[ports.unused]");
    fs::write(&config_path, config).unwrap();
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
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
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
    let journal = fs::read_to_string(bench.spool("").join("smsgate.journal")).unwrap();
    assert!(journal.contains("\"event\":\"start\""), "{journal}");
    assert!(!journal.contains("\"event\":\"sent\""), "{journal}");
    bench.signal_daemon(Signal::SIGKILL);
    bench.fault(0, Fault::Clear);
    // Let the late answer go to the dead line, not the new daemon.
    std::thread::sleep(Duration::from_millis(3200));

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
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
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
