//! What the crash tests (`crash.rs`, send side; `crash_receive.rs`,
//! receive side) share: the seeded random source, and a bench with the
//! in-process simulator, a spool and the real `smsgate run`, which is
//! killed and restarted.

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use modem_sim::Fault;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// How long any one wait may take.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// The run's seed: `SMSGATE_CRASH_SEED` when set (a replay), else the
/// clock; printed so that a failing run can be replayed.
pub(crate) fn seed(test: &str) -> u64 {
    let seed = std::env::var("SMSGATE_CRASH_SEED")
        .ok()
        .filter(|seed| !seed.is_empty())
        .map(|seed| seed.parse::<u64>().expect("SMSGATE_CRASH_SEED is a number"))
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64);
    println!("{test} seed: {seed} (replay with SMSGATE_CRASH_SEED={seed})");
    seed
}

/// xorshift64*: enough randomness for kill points, no dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `low..high`.
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}

/// A simulator, a spool and (when started) a daemon; everything is killed
/// and stopped on drop, also when the test fails.
pub(crate) struct Bench {
    pub(crate) runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    pub(crate) dir: tempfile::TempDir,
    daemon: Option<Child>,
    n_modems: usize,
    pub(crate) n_starts: usize,
    /// Starts where the daemon exited before it was ready.
    pub(crate) failed_starts: Vec<String>,
}

impl Bench {
    /// `n_modems` simulated modems (`configure_sim` may change them), each
    /// a `[modems.modemN]` with `modem_keys`, and the spool directories
    /// `spool_dirs` made.
    pub(crate) fn new(
        n_modems: usize,
        modem_keys: &str,
        spool_dirs: &[&str],
        configure_sim: impl FnOnce(&mut SimConfig),
    ) -> Bench {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("lock")).unwrap();
        let mut sim_config = SimConfig::new(n_modems, dir.path().join("dev"));
        configure_sim(&mut sim_config);
        let sim = runtime.block_on(Simulator::start(sim_config)).unwrap();
        let mut config = format!(
            "lock-dir = {:?}\n\n[spool]\nbase = {:?}\n\n[limits]\nretry-interval-s = 1\n",
            dir.path().join("lock").display().to_string(),
            dir.path().join("spool").display().to_string()
        );
        for index in 0..n_modems {
            let device = dir.path().join("dev").join(format!("modem{index}"));
            config.push_str(&format!(
                "\n[ports.modem{index}]\ndevice = {:?}\n\n[modems.modem{index}]\n{modem_keys}",
                device.display().to_string()
            ));
        }
        fs::write(dir.path().join("smsgate.toml"), config).unwrap();
        for sub in spool_dirs {
            fs::create_dir_all(dir.path().join("spool").join(sub)).unwrap();
        }
        Bench {
            runtime,
            sim: Some(sim),
            dir,
            daemon: None,
            n_modems,
            n_starts: 0,
            failed_starts: Vec::new(),
        }
    }

    pub(crate) fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    pub(crate) fn spool(&self, sub: &str) -> PathBuf {
        self.dir.path().join("spool").join(sub)
    }

    pub(crate) fn log(&self) -> String {
        let log = self.dir.path().join(format!("daemon{}.log", self.n_starts));
        fs::read_to_string(log).unwrap_or_default()
    }

    /// Starts `smsgate run` and waits until it says it is ready.
    pub(crate) fn start_daemon(&mut self) {
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
        let deadline = Instant::now() + PATIENCE;
        loop {
            if fs::read_to_string(&log).unwrap_or_default().contains("ready:") {
                return;
            }
            let child = self.daemon.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                // Retried, so that the counts below still run; the failed
                // start is asserted on at the end.
                self.daemon = None;
                let log = self.log();
                println!(
                    "FAILED START {}: the daemon exited ({status}):\n{log}",
                    self.n_starts
                );
                self.failed_starts
                    .push(format!("start {}: {status}: {}", self.n_starts, log.trim_end()));
                assert!(self.failed_starts.len() < 10, "the daemon does not start");
                return self.start_daemon();
            }
            assert!(
                Instant::now() < deadline,
                "the daemon is not ready in time\nlog:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub(crate) fn signal_daemon(&mut self, signal: Signal) -> ExitStatus {
        let mut child = self.daemon.take().expect("the daemon runs");
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the daemon did not exit after {signal:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGKILL, then every fault cleared, then a wait of `longest_delay`
    /// milliseconds and a margin: late answers go to the dead line, not
    /// to the next daemon.
    pub(crate) fn kill_9(&mut self, longest_delay: u64) {
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
        std::thread::sleep(Duration::from_millis(longest_delay + 150));
    }

    pub(crate) fn fault(&self, index: usize, fault: Fault) {
        self.runtime.block_on(self.sim().fault(index, fault)).unwrap();
    }

    /// The names of the files in `sub/`, dotfiles (temporary files) apart.
    pub(crate) fn names(&self, sub: &str) -> (Vec<String>, Vec<String>) {
        let mut names: Vec<String> = fs::read_dir(self.spool(sub))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names.into_iter().partition(|name| !name.starts_with('.'))
    }
}

impl Drop for Bench {
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

/// The values of header `name` in a spool file.
pub(crate) fn header_values(file: &str, name: &str) -> Vec<String> {
    let prefix = format!("{name}: ");
    file.lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}
