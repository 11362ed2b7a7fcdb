//! Live operations on a running daemon: reload, a modem suspended,
//! resumed, unblocked or reopened, the log level, resends and the status.
//!
//! [`DaemonOps`] is the one way in: the control socket's requests
//! (`reload`, `modem-control`, `log-level`, `resend`, `daemon-status`),
//! SIGHUP (`smsgate run`) and the HTTP admin scope all call it. What
//! changes the modems goes to the supervisor, which owns them, as an
//! [`Op`]; it passes what concerns the sends on to the scheduler
//! ([`SchedulerOp`]), which owns their state. Resends are file moves in
//! the spool and the status is read from the [`StatusBoard`]: neither
//! waits for the supervisor.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::daemon_config::DaemonConfig;
use crate::reload::ConfigDiff;
use crate::resend::{self, ResendView, Selection};
use crate::status_board::{DaemonStatusView, StatusBoard};

pub(crate) mod apply;

/// What `smsgate ctl modem NAME ACTION` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ModemAction {
    /// Takes no new message; finishes the one in flight.
    Suspend,
    /// Takes messages again.
    Resume,
    /// Ends a block after failures in a row now.
    Unblock,
    /// Closes the port (after the message in flight) and opens it again.
    Reopen,
}

/// The result of the `modem-control` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModemControlView {
    pub modem: String,
    pub action: ModemAction,
    /// What was done, in words.
    pub done: String,
}

/// The result of the `log-level` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogLevelView {
    /// The filter now in force (`info`, `smsgate=debug,warn`, ...).
    pub level: String,
}

/// Sets the log filter of the running process (a tracing reload handle
/// in `smsgate run`); the error says why the filter was not taken.
pub type LogLevelSetter = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// What the embedding process gives the daemon beyond its config.
#[derive(Clone, Default)]
pub struct DaemonOptions {
    /// The file the config was read from: `reload` reads it again. None:
    /// reload is refused.
    pub config_path: Option<PathBuf>,
    /// How `log-level` changes the filter; none: refused.
    pub log_level: Option<LogLevelSetter>,
}

impl std::fmt::Debug for DaemonOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonOptions")
            .field("config_path", &self.config_path)
            .field("log_level", &self.log_level.is_some())
            .finish()
    }
}

/// An operation for the supervisor, with where its answer goes.
pub(crate) enum Op {
    Reload {
        reply: oneshot::Sender<Result<ConfigDiff, String>>,
    },
    Modem {
        name: String,
        action: ModemAction,
        reply: oneshot::Sender<Result<String, String>>,
    },
}

/// An operation for the scheduler.
pub(crate) enum SchedulerOp {
    Suspend(String, oneshot::Sender<Result<(), String>>),
    Resume(String, oneshot::Sender<Result<(), String>>),
    Unblock(String, oneshot::Sender<Result<(), String>>),
    /// Gives modem NAME no new message; answers once none is in flight on
    /// it. `removed`: it does not come back, so a file with parts out on
    /// it fails whole (a recipient cannot join parts from two senders).
    Retire {
        name: String,
        removed: bool,
        reply: oneshot::Sender<()>,
    },
    /// Queues, handlers, limits and the other send settings from now on.
    Reconfigure(Box<DaemonConfig>),
}

/// See the module docs. Cheap to clone.
#[derive(Clone)]
pub struct DaemonOps {
    ops: mpsc::UnboundedSender<Op>,
    board: StatusBoard,
    failed: PathBuf,
    outgoing: PathBuf,
    file_mode: u32,
    log_level: Option<LogLevelSetter>,
}

impl std::fmt::Debug for DaemonOps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonOps")
            .field("outgoing", &self.outgoing)
            .finish()
    }
}

/// How long a reload or a modem operation may wait for a message in
/// flight (a send's own timeouts end it well before).
const OP_TIMEOUT: Duration = Duration::from_secs(600);

impl DaemonOps {
    pub(crate) fn new(
        ops: mpsc::UnboundedSender<Op>,
        board: StatusBoard,
        config: &DaemonConfig,
        log_level: Option<LogLevelSetter>,
    ) -> DaemonOps {
        DaemonOps {
            ops,
            board,
            failed: config.spool.failed.clone(),
            outgoing: config.spool.outgoing.clone(),
            file_mode: config.modes.file,
            log_level,
        }
    }

    async fn ask<T>(&self, op: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Op) -> Result<T, String> {
        let (reply, answer) = oneshot::channel();
        self.ops
            .send(op(reply))
            .map_err(|_| "the daemon is stopping".to_owned())?;
        match tokio::time::timeout(OP_TIMEOUT, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("the daemon is stopping".to_owned()),
            Err(_) => Err(format!("no answer within {} s", OP_TIMEOUT.as_secs())),
        }
    }

    /// Re-reads the config file and applies what changed; a config with
    /// errors, or with a change only a restart can make, is refused whole
    /// and the running one stays.
    pub async fn reload(&self) -> Result<ConfigDiff, String> {
        self.ask(|reply| Op::Reload { reply }).await
    }

    /// `action` on modem `name`; the answer says what was done.
    pub async fn modem(&self, name: &str, action: ModemAction) -> Result<String, String> {
        let name = name.to_owned();
        self.ask(|reply| Op::Modem { name, action, reply }).await
    }

    /// Sets the log filter (`debug`, `smsgate=trace,info`, ...).
    pub fn set_log_level(&self, level: &str) -> Result<(), String> {
        match &self.log_level {
            Some(set) => set(level),
            None => Err("this daemon was started without a changeable log level".to_owned()),
        }
    }

    /// Moves failed files back to `outgoing/` as new messages
    /// ([`crate::resend`]).
    pub fn resend(&self, selection: &Selection) -> ResendView {
        resend::resend(&self.failed, &self.outgoing, selection, self.file_mode)
    }

    /// The status now.
    pub fn status(&self) -> DaemonStatusView {
        self.board.view()
    }
}
