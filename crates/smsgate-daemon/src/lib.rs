//! The smsgate spool daemon as a library: [`Daemon::start`] with a
//! [`daemon_config::DaemonConfig`] and a shutdown token, then
//! [`Daemon::join`]. `smsgate run` is that plus logging, a runtime and
//! SIGINT/SIGTERM; `smsgate demo` and tests start it in their own process.
//! The public modules are what a client of the daemon needs: [`config`]
//! and [`daemon_config`] (the one model of `smsgate.toml`), [`control`]
//! (the control socket's typed protocol, server and client), and
//! [`logging::escape`].
//!
//! Send side: files dropped into `outgoing/` go to the modems and end in
//! `sent/` or `failed/`, as with smstools3's smsd.
//!
//! ```text
//!   outgoing/ ──inotify, rescan──▶ Scheduler ──part──▶ modem task (one per part in flight)
//!                                  ▲ │  ▲ │                │
//!                     actions ─────┘ │  │ └──── result ────┘
//!              send_core::SendPolicy ◀┘  └─ facts: MessageStore (journal; start before the part)
//!                                        ▼
//!                       sent/ or failed/ (durable move), eventhandler
//! ```
//!
//! - [`spool_dir`]: which files may be taken, durable moves, modes.
//! - `intake`: an outgoing file read without following a symlink,
//!   blocking on a FIFO or reading past the size limit.
//! - `journal`: what was handed to which modem, so that a restart
//!   neither loses nor silently repeats a send.
//! - `send_core`: the send policy, sans I/O: the order (`Priority:
//!   high`, then oldest), queues, round robin over free modems, retries
//!   with backoff that never hold up the other files, blocking of a
//!   failing modem, part-to-modem affinity, unknown outcomes, fail-stop on
//!   a failed durable write; and the store boundary (`MessageStore`).
//! - `scheduler`: its shell: intake, the writes, the parts on the modems.
//! - `hooks`: the eventhandler, checkhandler and alarmhandler.
//! - `include`: `Include:` confined to `[spool] include-dir`.
//! - [`control`]: the control socket through which `smsgate send`,
//!   `inbox`, `ussd`, `at-chat` and `status` use the daemon's modems.
//! - [`sd_notify`]: systemd's notify protocol (READY=1, STATUS=, and
//!   watchdog pings only while the scheduler loop turns).
//!
//! Shutdown: a root [`CancellationToken`] (SIGINT, SIGTERM, or a test's
//! own) stops the taking of new work; every send in flight finishes its
//! exchange with the modem and its outcome is journalled and acted on
//! before the modems are closed.

pub(crate) mod admin_messages;
mod before_send;
pub(crate) mod clock;
pub(crate) mod commands;
pub mod config;
pub mod control;
pub(crate) mod copies;
pub mod daemon_config;
#[cfg(test)]
mod durability_tests;
pub(crate) mod durable;
pub(crate) mod events;
pub(crate) mod finished_names;
pub(crate) mod hooks;
pub(crate) mod http;
pub(crate) mod inbox;
pub(crate) mod include;
pub(crate) mod intake;
pub(crate) mod journal;
pub mod logging;
pub(crate) mod metrics;
mod modem_chores;
pub(crate) mod modem_states;
pub mod ops;
pub(crate) mod part_store;
pub mod port_identity;
pub(crate) mod receive;
pub(crate) mod receive_store;
pub(crate) mod recipient_lists;
pub mod reload;
pub(crate) mod reports;
pub mod resend;
pub(crate) mod scheduler;
pub mod sd_notify;
pub(crate) mod send_core;
pub(crate) mod send_store;
mod send_task;
mod settle;
pub mod sim_limits;
pub mod spool_dir;
pub mod status_board;
pub mod status_file;
pub(crate) mod store_health;
pub(crate) mod ussd_handler;
pub(crate) mod voicecall;
pub(crate) mod webhooks;

use crate::admin_messages::AdminMessages;
use crate::ussd_handler::UssdHandler;
use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use modem::{ModemEvent, ModemHandle};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{driver_config, DEFAULT_LOCK_DIR};
use crate::daemon_config::DaemonConfig;
use commands::CommandRunner;
use control::{ControlSocket, ModemRegistry};
use hooks::{Alarms, Severity};
use inbox::ReceivedDirs;
use journal::Journal;
use ops::{DaemonOps, DaemonOptions, Op, SchedulerOp};
use receive::Receiver;
use reports::SentIndex;
use scheduler::{ModemSlot, Scheduler};
use send_store::SendStore;
use status_board::{Event, ModemState, StatusBoard};
use store_health::RetryPolicy;

/// How the send path's store is made from the journal: the journal
/// itself, or a test's store in front of it.
pub(crate) type StoreMaker = Box<dyn FnOnce(Journal) -> Box<dyn SendStore> + Send>;

/// A running daemon.
#[derive(Debug)]
pub struct Daemon {
    join: JoinHandle<anyhow::Result<()>>,
    /// The control socket's server and its token (control.rs).
    control: Option<(JoinHandle<()>, CancellationToken)>,
    /// The HTTP API's server and its token (http/).
    http: Option<(JoinHandle<()>, CancellationToken)>,
    /// Where the HTTP API listens (the port chosen for `:0`).
    http_addr: Option<std::net::SocketAddr>,
    /// The webhooks' delivery tasks (webhooks/), which stop with the
    /// daemon's token; what they did not deliver waits on disk.
    webhook_tasks: TaskTracker,
    /// Live operations (ops.rs).
    ops: DaemonOps,
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
    pub async fn start(config: DaemonConfig, shutdown: CancellationToken) -> anyhow::Result<Daemon> {
        Daemon::start_with_options(config, shutdown, DaemonOptions::default()).await
    }

    /// [`Daemon::start`] with what the embedding process gives: the config
    /// file, for reloads, and the log level's setter.
    pub async fn start_with_options(
        config: DaemonConfig,
        shutdown: CancellationToken,
        options: DaemonOptions,
    ) -> anyhow::Result<Daemon> {
        let journal_store: StoreMaker = Box::new(|journal| Box::new(journal));
        Daemon::start_full(config, shutdown, journal_store, RetryPolicy::default(), options).await
    }

    /// The live operations on this daemon (reload, modem control, log
    /// level, resend, status), for SIGHUP and the HTTP admin scope.
    pub fn ops(&self) -> DaemonOps {
        self.ops.clone()
    }

    /// [`Daemon::start`] with the send path's durable writes going through
    /// `make_store`'s store, and its retries after a failure by `retry`.
    #[cfg(test)]
    pub(crate) async fn start_with_store(
        config: DaemonConfig,
        shutdown: CancellationToken,
        make_store: StoreMaker,
        retry: RetryPolicy,
    ) -> anyhow::Result<Daemon> {
        Daemon::start_full(config, shutdown, make_store, retry, DaemonOptions::default()).await
    }

    async fn start_full(
        config: DaemonConfig,
        shutdown: CancellationToken,
        make_store: StoreMaker,
        retry: RetryPolicy,
        options: DaemonOptions,
    ) -> anyhow::Result<Daemon> {
        let dirs = &config.spool;
        let queue_dirs = config.queues.values().map(|queue| &queue.directory);
        for dir in [
            &dirs.base,
            &dirs.outgoing,
            &dirs.checked,
            &dirs.sent,
            &dirs.failed,
            &dirs.incoming,
            &dirs.report,
        ]
        .into_iter()
        .chain(queue_dirs)
        .chain(config.features.copies.dirs())
        {
            spool_dir::create_dirs(dir, config.modes.dir)
                .with_context(|| format!("creating {}", dir.display()))?;
        }
        // control.rs: bound first, so that a second daemon on the same
        // socket stops before it opens anything; served once the modems
        // are registered.
        let control_socket = config
            .control_socket
            .as_deref()
            .map(ControlSocket::bind)
            .transpose()?;
        // http/: bound early for the same reason.
        let http_server = match &config.http {
            Some(settings) => Some(http::HttpServer::bind(settings).await?),
            None => None,
        };
        let http_addr = http_server.as_ref().and_then(http::HttpServer::local_addr);
        // Shared by the HTTP API's /metrics and the webhooks' counters.
        let metrics = Arc::new(metrics::Metrics::default());
        let webhook_tasks = TaskTracker::new();
        let board = StatusBoard::new(chrono::Local::now());
        if !config.webhooks.is_empty() {
            let webhooks = webhooks::Webhooks::open(
                &config.spool.base,
                &config.webhooks,
                config.modes.file,
                config.modes.dir,
                metrics.clone(),
                board.clone(),
            )
            .context("opening the webhook queues")?;
            let webhooks = Arc::new(webhooks);
            config.events.set_webhooks(webhooks.clone());
            webhooks.spawn(&webhook_tasks, &shutdown);
        }
        webhook_tasks.close();
        let registry = ModemRegistry::default();
        let commands = match &config.sms_commands {
            Some(settings) => Some(Arc::new(CommandRunner::new(
                settings,
                &config.spool.base,
                &config.spool.outgoing,
                config.modes.file,
            )?)),
            None => None,
        };
        let (ops_tx, ops_rx) = mpsc::unbounded_channel();
        let ops = DaemonOps::new(ops_tx, board.clone(), &config, options.log_level.clone());
        registry.set_ops(ops.clone());
        let mut supervisor = Supervisor {
            board,
            ops_rx,
            scheduler_ops: None,
            options,
            receiver_tokens: HashMap::new(),
            alarms: Alarms::new(&config.handlers, TaskTracker::new())
                .with_admin(AdminMessages::new(&config, TaskTracker::new())),
            sent_index: SentIndex::open(&config.spool.base, &config.spool.sent, config.modes.file),
            config,
            shutdown,
            waiting: HashMap::new(),
            came_up: mpsc::unbounded_channel(),
            registry: registry.clone(),
            handles: Vec::new(),
            receivers: TaskTracker::new(),
            commands,
            add_modem: None,
            make_store: Some(make_store),
            retry,
            identity: port_identity::Rebinder::default(),
        };
        if let Some(commands) = &supervisor.commands {
            // Commands that waited for a slot when the daemon stopped.
            commands.start_waiting(&supervisor.receivers);
        }
        let running = supervisor.start_scheduler().await?;
        if let Some(file) = supervisor.config.status_file.clone() {
            let writer = status_file::run(supervisor.board.clone(), file, supervisor.shutdown.clone());
            supervisor.receivers.spawn(writer);
        }
        let control = control_socket.map(|socket| {
            let token = supervisor.shutdown.child_token();
            (tokio::spawn(socket.serve(registry.clone(), token.clone())), token)
        });
        // Each modem's status now and then (http/modems.rs): for the modems
        // route, /readyz, the modem gauges and `modem` events.
        let modem_watch = http::ModemWatch::default();
        if http_server.is_some() || !supervisor.config.webhooks.is_empty() {
            tokio::spawn(modem_watch.clone().run(
                registry.clone(),
                metrics.clone(),
                supervisor.config.events.clone(),
                supervisor.shutdown.clone(),
            ));
        }
        let http = http_server.map(|server| {
            let token = supervisor.shutdown.child_token();
            let config = supervisor.config.clone();
            (
                server.serve(
                    config,
                    registry.clone(),
                    metrics.clone(),
                    modem_watch.clone(),
                    token.clone(),
                ),
                token,
            )
        });
        let join = tokio::spawn(supervisor.run(running));
        Ok(Daemon {
            join,
            control,
            http,
            http_addr,
            webhook_tasks,
            ops,
        })
    }

    /// The address the HTTP API listens on, if `[http]` is on: with port
    /// 0 in `listen`, the one the system chose.
    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.http_addr
    }

    /// Waits until the daemon has stopped (after its token fired) and every
    /// modem is closed.
    pub async fn join(self) -> anyhow::Result<()> {
        let result = self.join.await.context("the daemon task failed");
        if let Some((http, token)) = self.http {
            token.cancel();
            let _ = http.await;
        }
        self.webhook_tasks.wait().await;
        if let Some((control, token)) = self.control {
            // Also when the daemon stopped on an error of its own.
            token.cancel();
            let _ = control.await;
        }
        result?
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
    /// Every modem's handle, for the control socket.
    registry: ModemRegistry,
    /// Every modem opened, closed at the end.
    handles: Vec<ModemHandle>,
    /// The modems' receive tasks.
    receivers: TaskTracker,
    commands: Option<Arc<CommandRunner>>,
    sent_index: SentIndex,
    /// Gives the scheduler a modem that came up late.
    add_modem: Option<mpsc::UnboundedSender<ModemSlot>>,
    /// Makes the send store of the journal (once).
    make_store: Option<StoreMaker>,
    retry: RetryPolicy,
    /// The status the control socket and the status file show.
    board: StatusBoard,
    /// Live operations (ops.rs), and the scheduler's share of them.
    ops_rx: mpsc::UnboundedReceiver<Op>,
    scheduler_ops: Option<mpsc::UnboundedSender<SchedulerOp>>,
    options: DaemonOptions,
    /// Each receiving modem's own token: a modem closed by a reload or a
    /// reopen stops receiving before its port is closed.
    receiver_tokens: HashMap<String, CancellationToken>,
    /// Modems configured by identity that lost their port, looked for
    /// again (port_identity/rebind.rs).
    identity: port_identity::Rebinder,
}

impl Supervisor {
    /// Until shutdown: a modem that comes up late joins the scheduler and
    /// starts receiving. Then waits for the scheduler (sends in flight are
    /// finished) and the receive tasks, and closes every modem.
    async fn run(mut self, mut scheduler: JoinHandle<anyhow::Result<()>>) -> anyhow::Result<()> {
        let result = loop {
            let name = tokio::select! {
                result = &mut scheduler => break flatten(result),
                wake = self.identity.next() => {
                    self.on_identity(wake).await;
                    continue;
                }
                Some(name) = self.came_up.1.recv() => name,
                Some(op) = self.ops_rx.recv() => {
                    self.on_op(op).await;
                    continue;
                }
            };
            let Some(handle) = self.waiting.remove(&name) else {
                continue;
            };
            tracing::info!(target: "smsgate", "modem {name} on {} is up now", handle.port());
            if let Some(slot) = self.set_up(&name, handle).await {
                if let Some(add) = &self.add_modem {
                    let _ = add.send(slot);
                }
            }
        };
        self.receivers.close();
        self.receivers.wait().await;
        for handle in self.handles.drain(..) {
            handle.shutdown().await;
        }
        self.registry.clear();
        self.alarms.flush().await;
        result
    }

    /// Replays the journal, opens every modem and starts the scheduler
    /// with those that are set up; the others are tried again in the
    /// background ([`Supervisor::wait_for`]).
    async fn start_scheduler(&mut self) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
        // Modems found by identity get their ports first (port_identity.rs).
        let lock_dir = self
            .config
            .lock_dir
            .clone()
            .unwrap_or_else(|| DEFAULT_LOCK_DIR.into());
        let unbound = port_identity::bind_modems(&mut self.config, &lock_dir).await;
        for (name, why) in &unbound {
            let text = format!("{why}; its files wait, and its port is looked for again");
            tracing::error!(target: "smsgate", "modem {name}: {text}");
            self.alarms.raise(Severity::Error, name, &text);
            self.identity.lost.lose(name, std::time::Instant::now());
        }
        let config = self.config.clone();
        let journal = Journal::open(&config.spool.base, config.modes.file)
            .with_context(|| format!("opening the journal in {}", config.spool.base.display()))?;
        // Opened all at once: a modem may take seconds to register, and
        // eight of them one after another would hold up the start.
        let mut opening = tokio::task::JoinSet::new();
        for (name, settings) in config
            .modems
            .iter()
            .filter(|(name, _)| !unbound.contains_key(*name))
        {
            let driver = modem_driver(&config, settings);
            let name = name.clone();
            opening.spawn(async move {
                let (handle, error) = ModemHandle::open_or_retry(driver).await;
                // Subscribed at once: the first retry comes after a short
                // pause, and the others may take longer to open.
                let events = error.is_some().then(|| handle.subscribe());
                (name, handle, error, events)
            });
        }
        let mut opened = Vec::new();
        while let Some(joined) = opening.join_next().await {
            opened.push(joined.context("opening a modem")?);
        }
        opened.sort_by(|a, b| a.0.cmp(&b.0));
        let mut modems = Vec::new();
        for (name, handle, error, events) in opened {
            let Some(settings) = config.modems.get(&name) else {
                continue;
            };
            if let Some(slot) = self.admit(name, settings, handle, error, events).await {
                modems.push(slot);
            }
        }
        if config.modems.is_empty() {
            tracing::warn!(target: "smsgate", "no [modems.NAME] configured: files will wait in outgoing/");
        } else if modems.is_empty() {
            tracing::warn!(target: "smsgate", "no modem is set up yet: files wait in outgoing/");
        }
        let (add_modem, new_modems) = mpsc::unbounded_channel();
        self.add_modem = Some(add_modem);
        let (scheduler_ops, scheduler_ops_rx) = mpsc::unbounded_channel();
        self.scheduler_ops = Some(scheduler_ops);
        let make_store = self.make_store.take().context("the scheduler is started once")?;
        let scheduler = Scheduler::new(
            config,
            make_store(journal),
            self.retry,
            modems,
            new_modems,
            self.sent_index.clone(),
            self.shutdown.clone(),
        )?
        .with_ops(scheduler_ops_rx, self.board.clone());
        let scheduler = match self.alarms.admin() {
            Some(admin) => scheduler.with_admin(admin.clone()),
            None => scheduler,
        };
        Ok(tokio::spawn(scheduler.run()))
    }

    /// A modem just opened (`error`: not set up yet, and `events` to
    /// watch for when it is): registered for the control socket, and
    /// either set up (its scheduler slot returned) or waited for.
    async fn admit(
        &mut self,
        name: String,
        settings: &daemon_config::ModemSettings,
        handle: ModemHandle,
        error: Option<modem::ModemError>,
        events: Option<tokio::sync::broadcast::Receiver<ModemEvent>>,
    ) -> Option<ModemSlot> {
        let received = settings.receive.then(|| ReceivedDirs {
            incoming: self.config.spool.incoming.clone(),
            report: self.config.spool.report.clone(),
        });
        self.registry
            .register(&name, &settings.port, &settings.device, &handle, received);
        let ussd_handler = settings
            .features
            .eventhandler_ussd
            .clone()
            .map(|program| UssdHandler {
                program,
                dir: self.config.spool.base.clone(),
                timeout: self.config.handlers.timeout,
            });
        self.registry.set_ussd_handler(&name, ussd_handler);
        self.handles.push(handle.clone());
        self.watch_identity_port(&name, &handle);
        self.board.record(&name, Event::State(ModemState::Opening));
        if let (Some(err), Some(events)) = (error, events) {
            tracing::error!(
                target: "smsgate",
                "modem {name}: {err}; the other modems serve meanwhile, and it is tried again"
            );
            self.alarms.raise(
                Severity::Error,
                &name,
                &format!("cannot open the port: {err}; trying again in the background"),
            );
            self.board
                .record(&name, Event::Error(format!("cannot open the port: {err}")));
            self.wait_for(name.clone(), handle, events);
            return None;
        }
        self.set_up(&name, handle).await
    }

    /// A modem that is set up: reads its identity, starts its receive
    /// task (if it receives), and gives the scheduler's view of it.
    async fn set_up(&mut self, name: &str, handle: ModemHandle) -> Option<ModemSlot> {
        let settings = self.config.modems.get(name)?.clone();
        if let Some(admin) = self.alarms.admin() {
            admin.add_modem(name, &handle);
        }
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
        let receiver = Receiver::new(
            &self.config,
            name,
            handle.clone(),
            identity.clone(),
            self.alarms.clone(),
            self.commands.clone(),
            self.sent_index.clone(),
            self.receivers.clone(),
        );
        // The modem's own token: a modem closed by a reload or a reopen
        // stops receiving and its chores before its port is closed.
        let modem_token = self.shutdown.child_token();
        self.receiver_tokens.insert(name.to_owned(), modem_token.clone());
        let mut sweep = None;
        match receiver {
            Ok(Some(mut receiver)) => {
                let tasks = &settings.tasks;
                if tasks.receive_before_send || tasks.max_continuous_sending.is_some() {
                    sweep = Some(receiver.sweep_requester());
                }
                self.receivers
                    .spawn(receiver.with_board(self.board.clone()).run(modem_token.clone()));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(target: "smsgate", "{err:#}; not receiving");
                self.alarms
                    .raise(Severity::Error, name, &format!("{err:#}; not receiving"));
            }
        }
        modem_chores::spawn(
            &self.config,
            name,
            &handle,
            &identity,
            &self.alarms,
            &self.receivers,
            &modem_token,
        );
        Some(ModemSlot::new(name.to_owned(), settings, handle, identity).with_sweep(sweep))
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

/// The driver's config of a modem of `config`.
pub(crate) fn modem_driver(config: &DaemonConfig, settings: &daemon_config::ModemSettings) -> modem::Config {
    let lock_dir = config.lock_dir.clone().unwrap_or_else(|| DEFAULT_LOCK_DIR.into());
    let mut driver = driver_config(
        settings.device.clone(),
        config.ports.get(&settings.port),
        lock_dir,
    );
    // smsd: the modem's smsc is set with AT+CSCA unless smsc_pdu puts it
    // into every PDU.
    if !settings.smsc_pdu {
        driver.smsc = settings.smsc.clone();
    }
    modem_chores::adjust_driver(&mut driver, &settings.tasks);
    driver
}

fn flatten(joined: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    joined.context("the scheduler task failed")?
}
