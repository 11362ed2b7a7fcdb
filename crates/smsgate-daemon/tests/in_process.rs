//! The daemon as a library, in this process: `Daemon::start` on a
//! simulated modem, one file dropped into `outgoing/`, and it ends in
//! `sent/` with the network having got its text; no `smsgate` process is
//! spawned. Only the crate's public API is used, so this is also what
//! another program embedding the daemon (the demo, a benchmark) may rely
//! on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use modem_sim::sim::{SimConfig, Simulator};
use smsgate_daemon::daemon_config::DaemonConfig;
use smsgate_daemon::Daemon;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long the send may take: a deadline, not an expected duration.
const PATIENCE: Duration = Duration::from_secs(30);

/// Cancels the daemon's token when dropped, so that a failed assertion
/// does not leave the daemon running.
struct StopOnDrop(CancellationToken);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

fn config_text(dir: &Path) -> String {
    format!(
        "lock-dir = {:?}\n\n[spool]\nbase = {:?}\n\n[ports.modem0]\ndevice = {:?}\n\n[modems.modem0]\n",
        dir.join("lock").display().to_string(),
        dir.join("spool").display().to_string(),
        dir.join("dev").join("modem0").display().to_string(),
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| !name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_dropped_into_outgoing_is_sent_by_the_daemon_in_this_process() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimConfig::new(1, dir.path().join("dev")))
        .await
        .unwrap();
    std::fs::create_dir_all(dir.path().join("lock")).unwrap();
    let config_path = dir.path().join("smsgate.toml");
    std::fs::write(&config_path, config_text(dir.path())).unwrap();
    let config = DaemonConfig::load(&config_path).unwrap();

    let shutdown = CancellationToken::new();
    let stop = StopOnDrop(shutdown.clone());
    let daemon = Daemon::start(config, shutdown.clone()).await.unwrap();

    let spool = |sub: &str| -> PathBuf { dir.path().join("spool").join(sub) };
    // Written under a dot name and renamed, as a client of the spool must.
    let temporary = spool("outgoing").join(".hello");
    std::fs::write(&temporary, "To: 491510000001\n\nhello from the library").unwrap();
    std::fs::rename(&temporary, spool("outgoing").join("hello")).unwrap();

    let deadline = Instant::now() + PATIENCE;
    while names(&spool("sent")).is_empty() {
        assert!(
            names(&spool("failed")).is_empty(),
            "the file failed: {:?}",
            names(&spool("failed"))
        );
        assert!(Instant::now() < deadline, "not in sent/ after {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(names(&spool("sent")), ["hello"]);
    assert!(names(&spool("outgoing")).is_empty());
    let submitted = sim.submitted(0).await.unwrap();
    assert_eq!(submitted.len(), 1, "{submitted:?}");
    let summary = submitted[0].summary.clone().unwrap();
    assert_eq!(summary.destination.number, "491510000001");
    assert_eq!(summary.text.as_deref(), Some("hello from the library"));

    drop(stop);
    daemon.join().await.unwrap();
    sim.shutdown().await;
}
