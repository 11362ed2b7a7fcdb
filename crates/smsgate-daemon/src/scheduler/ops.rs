//! The scheduler's side of the live operations (`crate::ops`): modems
//! suspended, resumed, unblocked or retired, the config replaced by a
//! reload, and what the status board shows of the sends.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{Scheduler, Stage, TakenFrom};
use crate::daemon_config::DaemonConfig;
use crate::hooks::Alarms;
use crate::include::ConfinedIncludes;
use crate::ops::apply::queue_depths;
use crate::ops::SchedulerOp;
use crate::status_board::{Event, ModemState, StatusBoard};

/// How often the queues' depths are counted for the status, at most.
const QUEUE_COUNT_INTERVAL: Duration = Duration::from_secs(1);

/// A modem being taken out, and who waits for its last send.
#[derive(Debug)]
pub(crate) struct Retiring {
    name: String,
    removed: bool,
    reply: oneshot::Sender<()>,
}

impl super::ModemSlot {
    /// Whether it may be given a message now.
    pub(super) fn is_free(&self, now: Instant) -> bool {
        !self.busy && !self.suspended && !self.retired && self.blocked_until.is_none_or(|until| until <= now)
    }
}

impl Scheduler {
    /// Shows every modem's state on the board.
    pub(super) fn show_all(&self) {
        for idx in 0..self.modems.len() {
            self.show(idx);
        }
    }

    /// Takes live operations from `ops`, and shows its modems and queues
    /// on `board`.
    pub(crate) fn with_ops(
        mut self,
        ops: mpsc::UnboundedReceiver<SchedulerOp>,
        board: StatusBoard,
    ) -> Scheduler {
        self.ops = ops;
        self.board = board;
        self
    }

    pub(super) fn on_op(&mut self, op: SchedulerOp) {
        match op {
            SchedulerOp::Suspend(name, reply) => {
                let _ = reply.send(self.each_slot(&name, |slot| slot.suspended = true));
            }
            SchedulerOp::Resume(name, reply) => {
                let _ = reply.send(self.each_slot(&name, |slot| slot.suspended = false));
            }
            SchedulerOp::Unblock(name, reply) => {
                let found = self.each_slot(&name, |slot| {
                    slot.blocked_until = None;
                    slot.failures_in_row = 0;
                });
                let _ = reply.send(found);
            }
            SchedulerOp::Retire { name, removed, reply } => {
                for slot in self.modems.iter_mut().filter(|slot| slot.name == name) {
                    slot.retired = true;
                }
                self.retiring.push(Retiring { name, removed, reply });
                self.finish_retiring();
            }
            SchedulerOp::Reconfigure(config) => self.reconfigure(*config),
        }
    }

    /// `change` on every live slot of modem `name`, then shown.
    fn each_slot(&mut self, name: &str, change: impl Fn(&mut super::ModemSlot)) -> Result<(), String> {
        let mut found = false;
        for idx in 0..self.modems.len() {
            if self.modems[idx].name == name && !self.modems[idx].retired {
                change(&mut self.modems[idx]);
                self.show(idx);
                found = true;
            }
        }
        match found {
            true => Ok(()),
            false => Err(format!("modem {name} is not set up (yet): nothing to do")),
        }
    }

    /// Answers those waiting for a retired modem whose send is done.
    pub(super) fn finish_retiring(&mut self) {
        let mut still = Vec::new();
        for retiring in std::mem::take(&mut self.retiring) {
            let busy = self
                .modems
                .iter()
                .any(|slot| slot.name == retiring.name && slot.retired && slot.busy);
            if busy {
                still.push(retiring);
                continue;
            }
            if retiring.removed {
                self.fail_stranded(&retiring.name);
            }
            let _ = retiring.reply.send(());
        }
        self.retiring = still;
    }

    /// The config of a reload: queues (their directories watched),
    /// handlers, limits and the other send settings.
    fn reconfigure(&mut self, config: DaemonConfig) {
        let mut dirs = vec![self.dirs[0].clone(), self.dirs[1].clone()];
        for (name, queue) in &config.queues {
            dirs.push(TakenFrom {
                path: queue.directory.clone(),
                stage: Stage::Queue(Some(name.clone())),
            });
        }
        if let Some(watcher) = &mut self._watcher {
            use notify::Watcher as _;
            for dir in dirs
                .iter()
                .filter(|dir| !self.dirs.iter().any(|old| old.path == dir.path))
            {
                if let Err(err) = watcher.watch(&dir.path, notify::RecursiveMode::NonRecursive) {
                    tracing::warn!(
                        target: "smsgate",
                        "cannot watch {} ({err}); it is scanned every few seconds",
                        dir.path.display()
                    );
                }
            }
        }
        self.dirs = dirs;
        self.alarms = Alarms::new(&config.handlers, self.tasks.clone());
        self.includes = ConfinedIncludes::new(config.include_dir.clone());
        self.limits.set_limits(
            config
                .modems
                .iter()
                .map(|(name, modem)| (name.clone(), modem.sim_limits.clone()))
                .collect(),
        );
        for slot in &mut self.modems {
            if let Some(settings) = config.modems.get(&slot.name) {
                slot.settings = settings.clone();
            }
        }
        self.config = config;
        // New queues' directories may hold files already.
        self.scan();
    }

    /// Shows modem `idx`'s state on the board.
    pub(super) fn show(&self, idx: usize) {
        let Some(slot) = self.modems.get(idx) else {
            return;
        };
        if slot.retired {
            return;
        }
        let now = Instant::now();
        let event = if slot.busy {
            Event::State(ModemState::Sending)
        } else if let Some(until) = slot.blocked_until.filter(|&until| until > now) {
            let left = chrono::Duration::from_std(until - now).unwrap_or_default();
            Event::Blocked(chrono::Local::now() + left)
        } else if slot.suspended {
            Event::State(ModemState::Suspended)
        } else {
            Event::State(ModemState::Idle)
        };
        self.board.record(&slot.name, event);
    }

    /// Counts what waits in each queue, for the status (once a second at
    /// most: a backlog of many files is not counted at every wakeup); a
    /// block that has run out is shown as over.
    pub(super) fn publish(&mut self) {
        let now = Instant::now();
        if self
            .queues_shown
            .is_some_and(|at| now < at + QUEUE_COUNT_INTERVAL)
        {
            return;
        }
        self.queues_shown = Some(now);
        let mut depths = queue_depths(self.pending.values().map(|job| job.queue.as_deref()));
        depths.entry("default".to_owned()).or_insert(0);
        for name in self.config.queues.keys() {
            depths.entry(name.clone()).or_insert(0);
        }
        self.board.set_queues(depths);
        for idx in 0..self.modems.len() {
            if self.modems[idx].blocked_until.is_some_and(|until| until <= now) {
                self.show(idx);
            }
        }
    }
}
