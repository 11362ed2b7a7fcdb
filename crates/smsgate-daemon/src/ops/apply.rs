//! The supervisor's side of the live operations: a reload applied, a
//! modem closed after its message in flight and opened again.

use std::collections::BTreeMap;

use tokio::sync::oneshot;

use super::{ModemAction, Op, SchedulerOp};
use crate::daemon_config::DaemonConfig;
use crate::hooks::Alarms;
use crate::reload::ConfigDiff;
use crate::spool_dir;
use crate::status_board::{Event, ModemState};
use crate::Supervisor;

impl Supervisor {
    /// Does `op` and answers it.
    pub(crate) async fn on_op(&mut self, op: Op) {
        match op {
            Op::Reload { reply } => {
                let result = self.reload().await;
                match &result {
                    Ok(diff) => tracing::info!(target: "smsgate", "reloaded: {diff:?}"),
                    Err(err) => tracing::error!(target: "smsgate", "reload refused: {err}"),
                }
                let _ = reply.send(result);
            }
            Op::Modem { name, action, reply } => {
                let _ = reply.send(self.modem_action(&name, action).await);
            }
        }
    }

    async fn modem_action(&mut self, name: &str, action: ModemAction) -> Result<String, String> {
        if !self.config.modems.contains_key(name) {
            let known: Vec<&String> = self.config.modems.keys().collect();
            return Err(format!("no modem {name:?} in this daemon (modems: {known:?})"));
        }
        let to_scheduler = |reply| match action {
            ModemAction::Suspend => Some(SchedulerOp::Suspend(name.to_owned(), reply)),
            ModemAction::Resume => Some(SchedulerOp::Resume(name.to_owned(), reply)),
            ModemAction::Unblock => Some(SchedulerOp::Unblock(name.to_owned(), reply)),
            ModemAction::Reopen => None,
        };
        let (reply, answer) = oneshot::channel();
        if let Some(op) = to_scheduler(reply) {
            self.to_scheduler(op)?;
            answer.await.map_err(|_| "the daemon is stopping".to_owned())??;
            let done = match action {
                ModemAction::Suspend => "suspended: takes no new message (one in flight finishes)",
                ModemAction::Resume => "resumed",
                _ => "unblocked",
            };
            tracing::info!(target: "smsgate", "modem {name}: {done}");
            return Ok(done.to_owned());
        }
        // Reopen: closed once its message in flight is done, opened anew.
        self.close_modem(name, false).await;
        self.open_modem(name).await;
        tracing::info!(target: "smsgate", "modem {name}: reopened");
        Ok("reopened".to_owned())
    }

    fn to_scheduler(&self, op: SchedulerOp) -> Result<(), String> {
        self.scheduler_ops
            .as_ref()
            .and_then(|ops| ops.send(op).ok())
            .ok_or_else(|| "the daemon is stopping".to_owned())
    }

    /// See [`super::DaemonOps::reload`].
    async fn reload(&mut self) -> Result<ConfigDiff, String> {
        let Some(path) = self.options.config_path.clone() else {
            return Err("this daemon was started without a config file to read again".to_owned());
        };
        let mut new =
            DaemonConfig::load(&path).map_err(|err| format!("{err:#}; the running config stays"))?;
        crate::port_identity::keep_bindings(&self.config, &mut new);
        let diff = ConfigDiff::between(&self.config, &new);
        if !diff.needs_restart.is_empty() {
            return Err(format!(
                "{}: {} changed, which needs a restart; nothing was reloaded",
                path.display(),
                diff.needs_restart.join(", ")
            ));
        }
        // A queue's directory with files in it: they would wait for a
        // queue no modem serves any more.
        let mut problems = Vec::new();
        for name in &diff.queues_removed {
            if let Some(queue) = self.config.queues.get(name) {
                if has_files(&queue.directory) {
                    problems.push(format!(
                        "[queues.{name}] is removed but {} has files; move them first",
                        queue.directory.display()
                    ));
                }
            }
        }
        for queue in new.queues.values() {
            if let Err(err) = spool_dir::create_dirs(&queue.directory, new.modes.dir) {
                problems.push(format!("creating {}: {err}", queue.directory.display()));
            }
        }
        if !problems.is_empty() {
            return Err(format!("{}; the running config stays", problems.join("; ")));
        }
        // The scheduler first: new queues are watched before a new modem
        // that serves them joins.
        self.to_scheduler(SchedulerOp::Reconfigure(Box::new(new.clone())))?;
        for name in &diff.modems_removed {
            self.close_modem(name, true).await;
            self.board.forget(name);
            self.forget_identity(name);
        }
        for name in &diff.modems_changed {
            self.close_modem(name, false).await;
        }
        if diff.handlers_changed {
            self.alarms.flush().await;
            self.alarms =
                Alarms::new(&new.handlers, tokio_util::task::TaskTracker::new()).keeping_admin(&self.alarms);
        }
        self.config = new;
        // Those found by identity are probed for first (port_identity/).
        let opening: Vec<String> = diff
            .modems_added
            .iter()
            .chain(&diff.modems_changed)
            .cloned()
            .collect();
        let by_identity = self.bind_reloaded(&opening).await;
        for name in opening.iter().filter(|name| !by_identity.contains(name)) {
            self.open_modem(name).await;
        }
        Ok(diff)
    }

    /// Takes modem `name` out: the scheduler gives it nothing new and
    /// answers once its message in flight is done; then its receive task
    /// stops and its port is closed. Its files stay queued for the others.
    pub(crate) async fn close_modem(&mut self, name: &str, removed: bool) {
        self.board.record(name, Event::State(ModemState::Leaving));
        let (reply, done) = oneshot::channel();
        let retire = SchedulerOp::Retire {
            name: name.to_owned(),
            removed,
            reply,
        };
        if self.to_scheduler(retire).is_ok() {
            let _ = done.await;
        }
        if let Some(token) = self.receiver_tokens.remove(name) {
            token.cancel();
        }
        let mut closing = Vec::new();
        if let Some(handle) = self.waiting.remove(name) {
            closing.push(handle);
        }
        if let Some(registered) = self.registry.remove(name) {
            closing.push(registered);
        }
        for handle in closing {
            self.handles.retain(|kept| kept.port() != handle.port());
            handle.shutdown().await;
        }
    }

    /// Opens modem `name` of the config as the start does: it joins the
    /// scheduler once set up, or is tried again in the background.
    pub(crate) async fn open_modem(&mut self, name: &str) {
        let Some(settings) = self.config.modems.get(name).cloned() else {
            return;
        };
        let driver = crate::modem_driver(&self.config, &settings);
        let (handle, error) = modem::ModemHandle::open_or_retry(driver).await;
        let events = error.is_some().then(|| handle.subscribe());
        if let Some(slot) = self
            .admit(name.to_owned(), &settings, handle, error, events)
            .await
        {
            if let Some(add) = &self.add_modem {
                let _ = add.send(slot);
            }
        }
    }
}

fn has_files(dir: &std::path::Path) -> bool {
    spool_dir::scan(dir).is_ok_and(|found| !found.is_empty())
}

/// How many files wait in each queue, for the status.
pub(crate) fn queue_depths<'a>(queues: impl Iterator<Item = Option<&'a str>>) -> BTreeMap<String, usize> {
    let mut depths = BTreeMap::new();
    for queue in queues {
        *depths.entry(queue.unwrap_or("default").to_owned()).or_insert(0) += 1;
    }
    depths
}
