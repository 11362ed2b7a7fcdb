//! The bench of the daemon tests: the simulator in the test's process on
//! real pseudo-terminals, a spool, a config naming the simulated modems,
//! and (when started) the real `smsgate run`. The daemon is killed and the
//! simulator stopped when the bench is dropped, also when a test fails;
//! every wait has a deadline.
//!
//! One file for the `integration` test binary and, through
//! `crash_support` (`#[path]`), for the crash tests; each uses a part of it.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use modem_sim::sim::{Injection, SimConfig, SimHandle, Simulator, SubmittedMessage};
use modem_sim::Fault;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// How long any one wait may take, unless [`Setup::patience`] says
/// otherwise.
pub(crate) const PATIENCE: Duration = Duration::from_secs(15);

/// Slept after kill -9 on top of the latest answer still due: that answer
/// goes to the dead line, not to the next daemon.
const AFTER_KILL: Duration = Duration::from_millis(300);

/// A runtime of its own for the simulator, so that the test thread can
/// run the binary and wait for it while the modems answer.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// How a [`SpoolBench`] is set up; [`Setup::default`] is one modem, no
/// extra keys, `outgoing/`, `sent/` and `failed/` made.
pub(crate) struct Setup<'a> {
    /// Simulated modems, `modem0`, `modem1` and so on, each a
    /// `[ports.modemN]` and a `[modems.modemN]`.
    pub(crate) n_modems: usize,
    /// How many of them, the last ones, are a `[ports.modemN]` only: the
    /// daemon leaves them alone.
    pub(crate) ports_only: usize,
    /// Config keys before any section.
    pub(crate) top: &'a str,
    /// Keys added to `[spool]`.
    pub(crate) spool: &'a str,
    /// Keys added to `[modems.modemN]`, by N; none for the modems past
    /// its end.
    pub(crate) modem_keys: &'a [&'a str],
    /// The end of the config.
    pub(crate) rest: &'a str,
    /// Spool directories made before the daemon starts.
    pub(crate) spool_dirs: &'a [&'a str],
    pub(crate) patience: Duration,
    /// Whether a daemon that exits before it is ready is started again
    /// (up to 10 times, each failed start kept in
    /// [`SpoolBench::failed_starts`]) rather than failing the test.
    pub(crate) retry_failed_starts: bool,
    /// Changes to the simulator's setup.
    pub(crate) sim: Box<dyn FnOnce(&mut SimConfig) + 'a>,
    /// A command the daemon is started through (`setpriv ...`, `sh -c
    /// 'umask 077; exec "$@"' sh`); it must exec the daemon, so that the
    /// child is the daemon.
    pub(crate) wrap: &'a [&'a str],
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup {
            n_modems: 1,
            ports_only: 0,
            top: "",
            spool: "",
            modem_keys: &[],
            rest: "",
            spool_dirs: &["outgoing", "sent", "failed"],
            patience: PATIENCE,
            retry_failed_starts: false,
            sim: Box::new(|_| {}),
            wrap: &[],
        }
    }
}

/// A simulator, a spool and (when started) a daemon.
pub(crate) struct SpoolBench {
    pub(crate) runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) daemon: Option<Child>,
    n_modems: usize,
    patience: Duration,
    retry_failed_starts: bool,
    pub(crate) n_starts: usize,
    /// Starts where the daemon exited before it was ready.
    pub(crate) failed_starts: Vec<String>,
    /// [`Setup::wrap`].
    wrap: Vec<String>,
}

impl SpoolBench {
    /// `n_modems` simulated modems, all in the daemon's config, and
    /// `extra` at the top of the config.
    pub(crate) fn new(n_modems: usize, extra: &str) -> SpoolBench {
        SpoolBench::build(Setup {
            n_modems,
            top: extra,
            ..Setup::default()
        })
    }

    pub(crate) fn build(setup: Setup<'_>) -> SpoolBench {
        let runtime = runtime();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("lock")).unwrap();
        let mut sim_config = SimConfig::new(setup.n_modems, dir.path().join("dev"));
        (setup.sim)(&mut sim_config);
        let sim = runtime.block_on(Simulator::start(sim_config)).unwrap();
        let bench = SpoolBench {
            runtime,
            sim: Some(sim),
            dir,
            daemon: None,
            n_modems: setup.n_modems,
            patience: setup.patience,
            retry_failed_starts: setup.retry_failed_starts,
            n_starts: 0,
            failed_starts: Vec::new(),
            wrap: setup.wrap.iter().map(|arg| (*arg).to_owned()).collect(),
        };
        let mut config = format!(
            "lock-dir = {:?}\n{}\n[spool]\nbase = {:?}\n{}\n",
            bench.dir.path().join("lock").display().to_string(),
            setup.top,
            bench.spool("").display().to_string(),
            setup.spool,
        );
        for index in 0..setup.n_modems {
            let device = bench.device(index).display().to_string();
            config.push_str(&format!("\n[ports.modem{index}]\ndevice = {device:?}\n"));
            if index < setup.n_modems - setup.ports_only {
                let keys = setup.modem_keys.get(index).copied().unwrap_or("");
                config.push_str(&format!("\n[modems.modem{index}]\n{keys}\n"));
            }
        }
        config.push_str(setup.rest);
        fs::write(bench.config(), config).unwrap();
        for sub in setup.spool_dirs {
            fs::create_dir_all(bench.spool(sub)).unwrap();
        }
        bench
    }

    pub(crate) fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    pub(crate) fn config(&self) -> PathBuf {
        self.dir.path().join("smsgate.toml")
    }

    pub(crate) fn spool(&self, sub: &str) -> PathBuf {
        self.dir.path().join("spool").join(sub)
    }

    /// Simulated modem `index`'s device.
    pub(crate) fn device(&self, index: usize) -> PathBuf {
        self.dir.path().join("dev").join(format!("modem{index}"))
    }

    /// The number of simulated modem `index`, as a spool file names it.
    pub(crate) fn number(index: usize) -> String {
        (4_917_200_000_000_u64 + index as u64).to_string()
    }

    /// Starts `smsgate run` and waits until it says it is ready.
    pub(crate) fn start_daemon(&mut self) {
        loop {
            let log = self.spawn_daemon();
            let deadline = Instant::now() + self.patience;
            while !fs::read_to_string(&log).unwrap_or_default().contains("ready:") {
                let child = self.daemon.as_mut().unwrap();
                if let Some(status) = child.try_wait().unwrap() {
                    self.daemon = None;
                    self.failed_start(status);
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "timed out waiting until the daemon is ready\nlog:\n{}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            if self.daemon.is_some() {
                return;
            }
        }
    }

    /// A daemon that exited before it was ready: fails the test, or is
    /// recorded to be started again.
    fn failed_start(&mut self, status: ExitStatus) {
        let log = self.log();
        assert!(
            self.retry_failed_starts,
            "the daemon exited before it was ready ({status})\nlog:\n{log}"
        );
        // Retried, so that the counts after it still run; the test asserts
        // on the failed starts at its end.
        println!(
            "FAILED START {}: the daemon exited ({status}):\n{log}",
            self.n_starts
        );
        self.failed_starts
            .push(format!("start {}: {status}: {}", self.n_starts, log.trim_end()));
        assert!(self.failed_starts.len() < 10, "the daemon does not start");
    }

    /// Starts `smsgate run`; returns its log file.
    pub(crate) fn spawn_daemon(&mut self) -> PathBuf {
        self.n_starts += 1;
        let log = self.log_path();
        let mut command = match self.wrap.split_first() {
            None => Command::new(env!("CARGO_BIN_EXE_smsgate")),
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(env!("CARGO_BIN_EXE_smsgate"));
                command
            }
        };
        let child = command
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
        log
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("daemon{}.log", self.n_starts))
    }

    /// The daemon's log so far, of its latest start.
    pub(crate) fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Sends `signal` to the daemon and waits for it to exit.
    pub(crate) fn signal_daemon(&mut self, signal: Signal) -> ExitStatus {
        let mut child = self.daemon.take().expect("the daemon runs");
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
        exit_status(&mut child, self.patience)
            .unwrap_or_else(|| panic!("the daemon did not exit after {signal:?}\nlog:\n{}", self.log()))
    }

    /// SIGTERM, and the daemon exits 0.
    pub(crate) fn stop_daemon(&mut self) {
        let status = self.signal_daemon(Signal::SIGTERM);
        assert!(status.success(), "{status:?}\nlog:\n{}", self.log());
    }

    /// kill -9, then every fault cleared, then a wait of `late`, the latest
    /// answer still due, and a margin: late answers go to the dead line,
    /// not to the next daemon.
    pub(crate) fn kill_9(&mut self, late: Duration) {
        let status = self.signal_daemon(Signal::SIGKILL);
        assert_eq!(
            status.signal(),
            Some(Signal::SIGKILL as i32),
            "{status:?}\n{}",
            self.log()
        );
        for index in 0..self.n_modems {
            self.fault(index, Fault::Clear);
        }
        std::thread::sleep(late + AFTER_KILL);
    }

    /// Waits until `done`, or fails the test after the bench's patience.
    pub(crate) fn wait(&self, what: &str, done: impl FnMut() -> bool) {
        self.wait_within(what, self.patience, done);
    }

    /// Waits until `done`, or fails the test after `patience`.
    pub(crate) fn wait_within(&self, what: &str, patience: Duration, done: impl FnMut() -> bool) {
        assert!(
            wait_until(patience, done),
            "timed out waiting until {what}\nlog:\n{}",
            self.log()
        );
    }

    /// Edits the daemon's config.
    pub(crate) fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let config = fs::read_to_string(self.config()).unwrap();
        fs::write(self.config(), edit(config)).unwrap();
    }

    /// Adds `keys` at the top of the config's section `[section]`, which
    /// must be there.
    pub(crate) fn section_keys(&self, section: &str, keys: &str) {
        let header = format!("[{section}]\n");
        self.edit_config(|config| {
            assert!(config.contains(&header), "no {header:?} in\n{config}");
            config.replacen(&header, &format!("{header}{keys}\n"), 1)
        });
    }

    /// Adds `keys` to `[handlers]`, which is added if it is not there.
    pub(crate) fn handler_keys(&self, keys: &str) {
        self.edit_config(|config| match config.contains("\n[handlers]\n") {
            true => config,
            false => format!("{config}\n[handlers]\n"),
        });
        self.section_keys("handlers", keys);
    }

    /// An executable shell script `name` in the test's directory.
    pub(crate) fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// Configures an eventhandler that appends its arguments,
    /// `|`-separated, one line per call, to the returned log.
    pub(crate) fn eventhandler(&self) -> PathBuf {
        let log = self.dir.path().join("events.log");
        let script = self.script("event.sh", &one_line_per_call(&log));
        self.handler_keys(&format!("eventhandler = {:?}", script.display().to_string()));
        log
    }

    /// Configures an alarmhandler, with `alarm-level = level`, that appends
    /// its arguments, `|`-separated, one line per call, to the returned
    /// log.
    pub(crate) fn alarmhandler(&self, level: u8) -> PathBuf {
        let log = self.dir.path().join("alarms.log");
        let script = self.script("alarm.sh", &one_line_per_call(&log));
        self.handler_keys(&format!(
            "alarmhandler = {:?}\nalarm-level = {level}",
            script.display().to_string()
        ));
        log
    }

    /// Writes a file into `outgoing/` as applications should: under a
    /// dotfile name, then renamed.
    pub(crate) fn drop_file(&self, name: &str, text: &str) {
        self.drop_file_into("outgoing", name, text);
    }

    /// [`SpoolBench::drop_file`] into `sub/`.
    pub(crate) fn drop_file_into(&self, sub: &str, name: &str, text: &str) {
        let temporary = self.spool(sub).join(format!(".{name}"));
        fs::write(&temporary, text).unwrap();
        fs::rename(&temporary, self.spool(sub).join(name)).unwrap();
    }

    /// Waits until `sub/name` exists and returns its text.
    pub(crate) fn wait_for_file(&self, sub: &str, name: &str) -> String {
        let path = self.spool(sub).join(name);
        self.wait(&format!("{sub}/{name} appears"), || path.exists());
        fs::read_to_string(path).unwrap()
    }

    /// The names of the files in `sub/`, sorted: (files, dotfiles, that is
    /// temporary files).
    pub(crate) fn names(&self, sub: &str) -> (Vec<String>, Vec<String>) {
        let mut names: Vec<String> = fs::read_dir(self.spool(sub))
            .unwrap_or_else(|err| panic!("{}: {err}", self.spool(sub).display()))
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names.into_iter().partition(|name| !name.starts_with('.'))
    }

    /// The journal's records since the latest start (it is compacted
    /// then), as JSON values. The file is allocated ahead of its records:
    /// the space not yet written reads as NULs.
    pub(crate) fn journal(&self) -> Vec<serde_json::Value> {
        fs::read_to_string(self.spool("smsgate.journal"))
            .unwrap()
            .lines()
            .map(|line| line.trim_matches('\0'))
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .collect()
    }

    /// What modem `index` handed to the network, in order.
    pub(crate) fn submitted(&self, index: usize) -> Vec<SubmittedMessage> {
        self.runtime.block_on(self.sim().submitted(index)).unwrap()
    }

    /// The texts modem `index` handed to the network, in order.
    pub(crate) fn submitted_texts(&self, index: usize) -> Vec<String> {
        self.submitted(index)
            .into_iter()
            .map(|submitted| submitted.summary.unwrap().text.unwrap_or_default())
            .collect()
    }

    /// How many messages modem `index`'s SIM holds.
    pub(crate) fn n_stored(&self, index: usize) -> usize {
        self.runtime.block_on(self.sim().modem(index)).unwrap().sm.0
    }

    pub(crate) fn inject(&self, index: usize, injection: Injection) {
        self.runtime
            .block_on(self.sim().inject(index, injection))
            .unwrap();
    }

    pub(crate) fn fault(&self, index: usize, fault: Fault) {
        self.runtime.block_on(self.sim().fault(index, fault)).unwrap();
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

/// Whether `done` held within `patience` (polled every 5 ms).
pub(crate) fn wait_until(patience: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + patience;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// `child`'s exit status once it exits within `patience`; else it is
/// killed and there is none.
fn exit_status(child: &mut Child, patience: Duration) -> Option<ExitStatus> {
    let mut status = None;
    wait_until(patience, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    status
}

/// Waits until `child` exits, failing the test after [`PATIENCE`].
pub(crate) fn wait_exit(child: &mut Child) -> ExitStatus {
    exit_status(child, PATIENCE).expect("the process did not exit in time")
}

/// The values of header `name` in a spool file, in order.
pub(crate) fn header_values(file: &str, name: &str) -> Vec<String> {
    let prefix = format!("{name}: ");
    file.lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

/// The lines of `path` once it has `n_lines` of them.
pub(crate) fn wait_for_lines(path: &Path, n_lines: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let done = wait_until(PATIENCE, || {
        let text = fs::read_to_string(path).unwrap_or_default();
        lines = text.lines().map(str::to_owned).collect();
        lines.len() >= n_lines
    });
    assert!(done, "{} has {lines:?}", path.display());
    lines
}

/// Checks smsd's alarmhandler arguments, `ALARM DATE TIME SEVERITY
/// PROCESS TEXT`, as one `|`-joined line of [`SpoolBench::alarmhandler`]'s
/// log, and returns (severity, process, text).
pub(crate) fn alarm_fields(line: &str) -> (String, String, String) {
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 7, "{line}");
    assert_eq!((fields[0], fields[6]), ("ALARM", ""), "{line}");
    assert!(is_shaped(fields[1], "dddd-dd-dd"), "date {:?}", fields[1]);
    assert!(is_shaped(fields[2], "dd:dd:dd"), "time {:?}", fields[2]);
    (fields[3].to_owned(), fields[4].to_owned(), fields[5].to_owned())
}

/// Whether `text` has `pattern`'s shape, `d` standing for any digit.
fn is_shaped(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text
            .chars()
            .zip(pattern.chars())
            .all(|(c, p)| if p == 'd' { c.is_ascii_digit() } else { c == p })
}

/// A handler script's body that appends its arguments, `|`-separated, as
/// one line to `log` in one write: handlers run at the same time (a
/// `SENT` and a `RECEIVED`, two alarms), and two writes per call would
/// interleave their lines.
fn one_line_per_call(log: &Path) -> String {
    format!(
        "line=$(printf '%s|' \"$@\")\nprintf '%s\\n' \"$line\" >> '{0}'",
        log.display()
    )
}
