//! `smsgate run`: the daemon of the `smsgate-daemon` library as a
//! process: logging, the async runtime, and SIGINT/SIGTERM as its
//! shutdown.

use std::path::Path;

use smsgate_daemon::daemon_config::DaemonConfig;
use smsgate_daemon::sd_notify;
use smsgate_daemon::Daemon;
use tokio_util::sync::CancellationToken;

/// `smsgate run`: the daemon until SIGINT or SIGTERM.
pub(crate) fn run(config_path: &Path) -> anyhow::Result<()> {
    crate::logging::init("info");
    // Before the runtime's threads: it clears the environment's variables.
    let notifier = sd_notify::Notifier::from_env()?;
    tracing::info!(target: "smsgate", "configuration {}", config_path.display());
    let config = DaemonConfig::load(config_path)?;
    let modems_configured = config.modems.len();
    let runtime = crate::runtime::multi_thread()?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = tokio::spawn(cancel_on_signal(shutdown.clone()));
        let daemon = Daemon::start(config, shutdown.clone()).await;
        // systemd (sd_notify.rs): ready once started, pings while the
        // scheduler turns, STOPPING=1 when the shutdown begins.
        let supervisor = match (&daemon, notifier) {
            (Ok(_), Some(notifier)) => Some(tokio::spawn(sd_notify::supervise(
                notifier,
                modems_configured,
                shutdown.clone(),
            ))),
            _ => None,
        };
        let result = match daemon {
            Ok(daemon) => daemon.join().await,
            Err(err) => Err(err),
        };
        signals.abort();
        if let Some(supervisor) = supervisor {
            shutdown.cancel();
            let _ = supervisor.await;
        }
        result
    })
}

/// Fires `token` on SIGINT or SIGTERM.
pub(crate) async fn cancel_on_signal(token: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::error!(target: "smsgate", "cannot listen for signals");
        return;
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
        _ = token.cancelled() => return,
    }
    tracing::info!(target: "smsgate", "stopping: finishing the sends in flight");
    token.cancel();
}
