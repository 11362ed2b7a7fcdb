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

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use modem::{ModemEvent, ModemHandle};
use tokio::sync::mpsc;
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
    ///
    /// A modem that cannot be opened or set up does not stop the daemon:
    /// an alarm is raised, the others serve, and it is tried again in the
    /// background with growing pauses; once it is up, the scheduler is
    /// restarted (sends in flight finish first) to take it in. The daemon
    /// runs even with no modem at all: files then wait in `outgoing/`.
    pub(crate) async fn start(config: DaemonConfig, shutdown: CancellationToken) -> anyhow::Result<Daemon> {
        let dirs = &config.spool;
        for dir in [&dirs.base, &dirs.outgoing, &dirs.sent, &dirs.failed] {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut supervisor = Supervisor {
            alarms: Alarms::new(&config.handlers, TaskTracker::new()),
            config,
            shutdown,
            waiting: HashMap::new(),
            came_up: mpsc::unbounded_channel(),
        };
        let running = supervisor.start_scheduler(HashMap::new()).await?;
        let join = tokio::spawn(supervisor.run(running));
        Ok(Daemon { join })
    }

    /// Waits until the daemon has stopped (after its token fired) and every
    /// modem is closed.
    pub(crate) async fn join(self) -> anyhow::Result<()> {
        self.join.await.context("the daemon task failed")?
    }
}

/// Owns the scheduler of the moment and the modems that could not be set
/// up yet, whose drivers keep trying in the background.
struct Supervisor {
    config: DaemonConfig,
    shutdown: CancellationToken,
    alarms: Alarms,
    /// By name: modems not set up yet.
    waiting: HashMap<String, ModemHandle>,
    /// The names of waiting modems that are set up now.
    came_up: (mpsc::UnboundedSender<String>, mpsc::UnboundedReceiver<String>),
}

/// A scheduler at work, stopped by its own token (a child of the daemon's).
struct Running {
    join: JoinHandle<anyhow::Result<()>>,
    token: CancellationToken,
}

impl Supervisor {
    /// Until shutdown, restarting the scheduler whenever a waiting modem
    /// comes up.
    async fn run(mut self, mut running: Running) -> anyhow::Result<()> {
        let result = loop {
            let name = tokio::select! {
                result = &mut running.join => break flatten(result),
                Some(name) = self.came_up.1.recv() => name,
            };
            let Some(handle) = self.waiting.remove(&name) else {
                continue;
            };
            tracing::info!(
                target: "smsgate",
                "modem {name} on {} is up now; restarting the scheduler to use it",
                handle.port()
            );
            running.token.cancel();
            if let Err(err) = flatten(running.join.await) {
                handle.shutdown().await;
                break Err(err);
            }
            if self.shutdown.is_cancelled() {
                handle.shutdown().await;
                break Ok(());
            }
            match self.start_scheduler(HashMap::from([(name, handle)])).await {
                Ok(next) => running = next,
                Err(err) => break Err(err),
            }
        };
        for (_, handle) in self.waiting.drain() {
            handle.shutdown().await;
        }
        self.alarms.flush().await;
        result
    }

    /// Replays the journal, opens the modems that are neither in `ready`
    /// (set up already) nor waiting, and starts a scheduler with those
    /// that are set up.
    async fn start_scheduler(&mut self, mut ready: HashMap<String, ModemHandle>) -> anyhow::Result<Running> {
        let config = &self.config;
        let journal = Journal::open(&config.spool.base)
            .with_context(|| format!("opening the journal in {}", config.spool.base.display()))?;
        let lock_dir = config.lock_dir.clone().unwrap_or_else(|| DEFAULT_LOCK_DIR.into());
        let mut modems = Vec::new();
        let mut failed = Vec::new();
        for (name, settings) in &config.modems {
            if self.waiting.contains_key(name) {
                continue;
            }
            let handle = match ready.remove(name) {
                Some(handle) => handle,
                None => {
                    let driver = driver_config(
                        settings.device.clone(),
                        config.ports.get(&settings.port),
                        lock_dir.clone(),
                    );
                    let (handle, error) = ModemHandle::open_or_retry(driver).await;
                    if let Some(err) = error {
                        tracing::error!(
                            target: "smsgate",
                            "modem {name}: {err}; the other modems serve meanwhile, and it is tried again"
                        );
                        self.alarms.raise(
                            Severity::Error,
                            name,
                            &format!("cannot open the port: {err}; trying again in the background"),
                        );
                        // Subscribed at once: the first retry comes after a
                        // short pause, and the others may take longer.
                        let events = handle.subscribe();
                        failed.push((name.clone(), handle, events));
                        continue;
                    }
                    handle
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
        if config.modems.is_empty() {
            tracing::warn!(target: "smsgate", "no [modems.NAME] configured: files will wait in outgoing/");
        } else if modems.is_empty() {
            tracing::warn!(target: "smsgate", "no modem is set up yet: files wait in outgoing/");
        }
        let config = config.clone();
        for (name, handle, events) in failed {
            self.wait_for(name, handle, events);
        }
        let token = self.shutdown.child_token();
        let scheduler = match Scheduler::new(config, journal, modems, token.clone()) {
            Ok(scheduler) => scheduler,
            Err(err) => {
                for (_, handle) in self.waiting.drain() {
                    handle.shutdown().await;
                }
                return Err(err);
            }
        };
        let join = tokio::spawn(scheduler.run());
        Ok(Running { join, token })
    }

    /// Keeps `handle`, whose driver keeps trying to set the modem up, and
    /// reports its name on [`Supervisor::came_up`] once it is.
    fn wait_for(
        &mut self,
        name: String,
        handle: ModemHandle,
        mut events: tokio::sync::broadcast::Receiver<ModemEvent>,
    ) {
        let came_up = self.came_up.0.clone();
        let shutdown = self.shutdown.clone();
        let watched = name.clone();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    event = events.recv() => event,
                };
                match event {
                    Ok(ModemEvent::Reconnected) => {
                        let _ = came_up.send(watched);
                        return;
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        self.waiting.insert(name, handle);
    }
}

fn flatten(joined: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    joined.context("the scheduler task failed")?
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
