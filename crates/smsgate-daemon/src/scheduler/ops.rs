//! The scheduler's side of the live operations (`crate::ops`): modems
//! suspended, resumed, unblocked or retired (told to the send policy,
//! which owns the modems' send state), the config replaced by a reload,
//! and what the status board shows of the sends.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{ModemSlot, Scheduler, Stage, TakenFrom};
use crate::daemon_config::DaemonConfig;
use crate::hooks::Alarms;
use crate::include::ConfinedIncludes;
use crate::ops::apply::queue_depths;
use crate::ops::SchedulerOp;
use crate::send_core::{Input, Outcome, PartOutcome, PolicyConfig};
use crate::status_board::{Event, ModemState, StatusBoard};

/// How often the queues' depths are counted for the status, at most.
const QUEUE_COUNT_INTERVAL: Duration = Duration::from_secs(1);

/// A modem being taken out, and who waits for its last part.
#[derive(Debug)]
pub(crate) struct Retiring {
    name: String,
    reply: oneshot::Sender<()>,
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
                let found = self
                    .live(&name)
                    .map(|()| self.input(Input::ModemSuspended { name: name.clone() }));
                self.show_named(&name);
                let _ = reply.send(found);
            }
            SchedulerOp::Resume(name, reply) => {
                let found = self
                    .live(&name)
                    .map(|()| self.input(Input::ModemResumed { name: name.clone() }));
                self.show_named(&name);
                let _ = reply.send(found);
            }
            SchedulerOp::Unblock(name, reply) => {
                let found = self.live(&name).map(|()| {
                    self.config.modem_states.unblocked(&name);
                    self.input(Input::ModemReconnected { name: name.clone() });
                });
                self.show_named(&name);
                let _ = reply.send(found);
            }
            SchedulerOp::Retire { name, removed, reply } => {
                for slot in self.modems.iter_mut().filter(|slot| slot.name == name) {
                    slot.retired = true;
                }
                self.input(Input::ModemRetired {
                    name: name.clone(),
                    removed,
                });
                self.retiring.push(Retiring { name, reply });
                self.finish_retiring();
            }
            SchedulerOp::Reconfigure(config) => self.reconfigure(*config),
        }
    }

    /// Ok when modem `name` has a live slot.
    fn live(&self, name: &str) -> Result<(), String> {
        match self.modems.iter().any(|slot| slot.name == name && !slot.retired) {
            true => Ok(()),
            false => Err(format!("modem {name} is not set up (yet): nothing to do")),
        }
    }

    pub(super) fn show_named(&self, name: &str) {
        for idx in 0..self.modems.len() {
            if self.modems[idx].name == name {
                self.show(idx);
            }
        }
    }

    /// Answers those waiting for a retired modem whose part is back and
    /// whose finished messages are written (the policy failed the messages
    /// pinned to a removed one by then): it leaves the board after its
    /// last count.
    pub(super) fn finish_retiring(&mut self) {
        let mut still = Vec::new();
        for retiring in std::mem::take(&mut self.retiring) {
            if self.policy.retired_busy(&retiring.name) || self.finishes.holds_modem(&retiring.name) {
                still.push(retiring);
                continue;
            }
            let _ = retiring.reply.send(());
        }
        self.retiring = still;
    }

    /// The config of a reload: queues (their directories watched),
    /// handlers, limits, the policy's settings and the modems' policies.
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
        self.alarms = Alarms::new(&config.handlers, self.tasks.clone()).keeping_admin(&self.alarms);
        self.includes = ConfinedIncludes::new(config.include_dir.clone());
        self.limits.book().set_limits(
            config
                .modems
                .iter()
                .map(|(name, modem)| (name.clone(), modem.sim_limits.clone()))
                .collect(),
        );
        for slot in self.modems.iter().filter(|slot| !slot.retired) {
            // A modem given limits by this reload counts its SIM's SMS.
            self.limits
                .book()
                .set_sim(&slot.name, slot.identity.iccid.as_deref());
        }
        for slot in self.modems.iter_mut().filter(|slot| !slot.retired) {
            if let Some(settings) = config.modems.get(&slot.name) {
                slot.settings = settings.clone();
            }
        }
        let policy_config = PolicyConfig {
            retry_interval: config.limits.retry_interval,
            unknown_outcome: config.unknown_outcome,
            store_retry: self.policy.config().store_retry,
        };
        let modems = self
            .modems
            .iter()
            .filter(|slot| !slot.retired)
            .map(ModemSlot::policy)
            .collect();
        self.config = config;
        self.input(Input::Reconfigured {
            config: policy_config,
            modems,
        });
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
        let Some((busy, suspended)) = self.policy.modem_state(&slot.name) else {
            return;
        };
        let now = Instant::now();
        // The HTTP API's `sending` (http/modems.rs).
        self.config.modem_states.set_sending(&slot.name, busy);
        let event = if busy {
            Event::State(ModemState::Sending)
        } else if let Some(until) = self.policy.blocked_until(&slot.name).filter(|&until| until > now) {
            let left = chrono::Duration::from_std(until - now).unwrap_or_default();
            Event::Blocked(chrono::Local::now() + left)
        } else if suspended {
            Event::State(ModemState::Suspended)
        } else {
            Event::State(ModemState::Idle)
        };
        self.board.record(&slot.name, event);
    }

    /// A part's outcome on the board: an error that did not fail the
    /// message (a failure for good is counted at its finish).
    pub(super) fn count_outcome(&self, modem: &str, _id: &str, outcome: &PartOutcome) {
        let event = match outcome {
            PartOutcome::Sent { .. }
            | PartOutcome::Failed { .. }
            | PartOutcome::Held { .. }
            | PartOutcome::Cancelled { .. } => return,
            PartOutcome::Unknown { reason } => Event::Error(format!("outcome unknown: {reason}")),
            PartOutcome::NotSent { reason } | PartOutcome::Refused { reason } => Event::Error(reason.clone()),
        };
        self.board.record(modem, event);
    }

    /// A message's finish on the board of the modem it went to.
    pub(super) fn count_finish(&self, outcome: &Outcome) {
        match outcome {
            Outcome::Sent { modem, .. } => self.board.record(modem, Event::Sent),
            Outcome::Failed {
                reason,
                modem: Some(modem),
                ..
            } => self.board.record(modem, Event::Failed(reason.clone())),
            Outcome::Failed { modem: None, .. } => {}
        }
    }

    /// Counts what waits in each queue, for the status (once a second at
    /// most: a backlog of many files is not counted at every wakeup), and
    /// shows every modem's state (a block may have run out, a part begun or
    /// ended).
    pub(super) fn publish(&mut self) {
        let now = Instant::now();
        if self
            .queues_shown
            .is_some_and(|at| now < at + QUEUE_COUNT_INTERVAL)
        {
            return;
        }
        self.queues_shown = Some(now);
        let mut depths = queue_depths(self.jobs.values().map(|job| job.queue.as_deref()));
        depths.entry("default".to_owned()).or_insert(0);
        for name in self.config.queues.keys() {
            depths.entry(name.clone()).or_insert(0);
        }
        self.board.set_queues(depths);
        self.show_all();
    }
}
