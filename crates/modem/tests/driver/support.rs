//! The bench the driver tests run on: the simulator in this process, its
//! modems on real pseudo-terminals in a temporary directory, a lock
//! directory of their own, and timeouts short enough that a failure does
//! not look like a hang.

#![allow(dead_code, reason = "each test module uses a different subset")]

use std::path::PathBuf;
use std::time::Duration;

use modem::{Config, ModemEvent, PortAddress, Timeouts};
use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use tempfile::TempDir;
use tokio::sync::broadcast;

/// Long enough for a loaded two-core CI machine, short enough that a test
/// that fails does not look hung.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// A running simulator and where its links and locks are. Dropping it
/// stops the simulator's tasks and removes the directory.
pub(crate) struct Bench {
    pub(crate) sim: SimHandle,
    pub(crate) lock_dir: PathBuf,
    dir: TempDir,
}

impl Bench {
    /// `n_modems` modems numbered from 0, with `tweak` applied to the
    /// simulator's configuration.
    pub(crate) async fn start_with(n_modems: usize, tweak: impl FnOnce(&mut SimConfig)) -> Bench {
        init_logging();
        let dir = tempfile::tempdir().unwrap();
        let lock_dir = dir.path().join("lock");
        std::fs::create_dir(&lock_dir).unwrap();
        let mut sim_config = SimConfig::new(n_modems, dir.path().join("dev"));
        // Quick re-plugs keep the reopen tests short.
        sim_config.replug_pause = Duration::from_millis(100);
        tweak(&mut sim_config);
        let sim = Simulator::start(sim_config).await.unwrap();
        Bench { sim, lock_dir, dir }
    }

    pub(crate) async fn start(n_modems: usize) -> Bench {
        Bench::start_with(n_modems, |_| {}).await
    }

    /// The link of modem `index`.
    pub(crate) fn path(&self, index: usize) -> PathBuf {
        self.dir.path().join("dev").join(format!("modem{index}"))
    }

    /// The driver's configuration for modem `index`, with short waits.
    pub(crate) fn config(&self, index: usize) -> Config {
        let mut config = Config::new(PortAddress::Serial(self.path(index)));
        config.lock_dir = Some(self.lock_dir.clone());
        config.timeouts = fast_timeouts();
        config
    }

    /// The number of modem `index`, international.
    pub(crate) fn number(&self, index: usize) -> String {
        format!("+{}", 4_917_200_000_000_u64 + index as u64)
    }
}

/// Shows the driver's log, and with `RUST_LOG=gsm=debug` the AT traffic,
/// in the output of a failing test.
pub(crate) fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
}

/// Timeouts for tests: the simulator answers at once, so a second is
/// plenty anywhere, and reopening starts after 50 ms.
pub(crate) fn fast_timeouts() -> Timeouts {
    Timeouts {
        handshake: Duration::from_secs(2),
        command: Duration::from_secs(2),
        send: Duration::from_secs(10),
        list: Duration::from_secs(5),
        registration: Duration::from_secs(1),
        ussd: Duration::from_secs(2),
        reopen_initial: Duration::from_millis(50),
        reopen_max: Duration::from_millis(200),
        stale_quiet: Duration::from_millis(20),
        stale_max: Duration::from_millis(200),
    }
}

/// Waits for the first event that `wanted` picks, failing after
/// [`PATIENCE`].
pub(crate) async fn next_event<T>(
    events: &mut broadcast::Receiver<ModemEvent>,
    mut wanted: impl FnMut(&ModemEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(PATIENCE, async {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(found) = wanted(&event) {
                        return found;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the driver stopped"),
            }
        }
    })
    .await
    .expect("the event never came")
}

/// Polls `check` every 10 ms until it gives a value, failing after
/// [`PATIENCE`].
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
