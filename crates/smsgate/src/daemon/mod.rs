//! The spool daemon (`smsgate run`), send side: files dropped into
//! `outgoing/` go to the modems and end in `sent/` or `failed/`, as with
//! smstools3's smsd.
//!
//! ```text
//!   outgoing/ ──inotify, rescan──▶ Scheduler ──job──▶ modem task (one per file in flight)
//!                                    ▲   │                │ journal: start, then outcome
//!                                    └───┼──── result ────┘
//!                                        ▼
//!                       sent/ or failed/ (durable move), eventhandler
//! ```
//!
//! - [`spool_dir`]: which files may be taken, durable moves.
//! - [`journal`]: what was handed to which modem, so that a restart
//!   neither loses nor silently repeats a send.
//! - [`scheduler`]: the order (`Priority: high`, then oldest), queues,
//!   round robin over free modems, retries with backoff that never hold
//!   up the other files, blocking of a failing modem.
//! - [`hooks`]: the eventhandler, checkhandler and alarmhandler.
//! - [`include`]: `Include:` confined to `[spool] include-dir`.
//!
//! Shutdown: a root [`CancellationToken`] (SIGINT, SIGTERM, or a test's
//! own) stops the taking of new work; every send in flight finishes its
//! exchange with the modem and its outcome is journalled and acted on
//! before the modems are closed.

pub(crate) mod hooks;
pub(crate) mod include;
pub(crate) mod journal;
pub(crate) mod scheduler;
pub(crate) mod spool_dir;

use std::path::Path;

use anyhow::Context;
use modem::ModemHandle;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{driver_config, DEFAULT_LOCK_DIR};
use crate::daemon_config::DaemonConfig;
use hooks::{Alarms, Severity};
use journal::Journal;
use scheduler::{ModemSlot, Scheduler};

/// A running daemon.
#[derive(Debug)]
pub(crate) struct Daemon {
    join: JoinHandle<anyhow::Result<()>>,
}

impl Daemon {
    /// Creates the spool directories, replays the journal, opens every
    /// modem and starts the scheduler; returns once the daemon is ready.
    /// `shutdown` stops it.
    pub(crate) async fn start(config: DaemonConfig, shutdown: CancellationToken) -> anyhow::Result<Daemon> {
        let dirs = &config.spool;
        for dir in [&dirs.base, &dirs.outgoing, &dirs.sent, &dirs.failed] {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let journal = Journal::open(&dirs.base)
            .with_context(|| format!("opening the journal in {}", dirs.base.display()))?;
        let lock_dir = config.lock_dir.clone().unwrap_or_else(|| DEFAULT_LOCK_DIR.into());
        let mut modems = Vec::new();
        for (name, settings) in &config.modems {
            let driver = driver_config(
                settings.device.clone(),
                config.ports.get(&settings.port),
                lock_dir.clone(),
            );
            let handle = match ModemHandle::open(driver).await {
                Ok(handle) => handle,
                Err(err) => {
                    let alarms = Alarms::new(&config.handlers, TaskTracker::new());
                    alarms.raise(Severity::Error, name, &format!("cannot open the port: {err}"));
                    alarms.flush().await;
                    for slot in &modems {
                        let slot: &ModemSlot = slot;
                        slot.handle.shutdown().await;
                    }
                    return Err(err).with_context(|| format!("modem {name}"));
                }
            };
            let identity = match handle.status().await {
                Ok(status) => status.identity,
                Err(err) => {
                    tracing::warn!(target: "smsgate", "modem {name}: no identity ({err})");
                    Default::default()
                }
            };
            tracing::info!(
                target: "smsgate",
                "modem {name} on {}: IMSI {}",
                handle.port(),
                identity.imsi.as_deref().unwrap_or("unknown")
            );
            modems.push(ModemSlot::new(name.clone(), settings.clone(), handle, identity));
        }
        if modems.is_empty() {
            tracing::warn!(target: "smsgate", "no [modems.NAME] configured: files will wait in outgoing/");
        }
        let scheduler = Scheduler::new(config, journal, modems, shutdown)?;
        let join = tokio::spawn(scheduler.run());
        Ok(Daemon { join })
    }

    /// Waits until the daemon has stopped (after its token fired) and every
    /// modem is closed.
    pub(crate) async fn join(self) -> anyhow::Result<()> {
        self.join.await.context("the scheduler task failed")?
    }
}

/// `smsgate run`: the daemon until SIGINT or SIGTERM.
pub(crate) fn run(config_path: &Path) -> anyhow::Result<()> {
    crate::logging::init("info");
    let config = DaemonConfig::load(config_path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = tokio::spawn(cancel_on_signal(shutdown.clone()));
        let daemon = Daemon::start(config, shutdown.clone()).await;
        let result = match daemon {
            Ok(daemon) => daemon.join().await,
            Err(err) => Err(err),
        };
        signals.abort();
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
