//! The scheduler: the shell of the send policy ([`SendPolicy`]), one
//! task that does the send path's I/O and feeds the policy, which decides.
//!
//! A new file first goes to the checkhandler, if one is configured (in
//! a task of its own, so a slow handler holds up nothing else; see
//! [`hooks::check`]), and is then read and parsed whole, its `Include:`s
//! confined to `include-dir` ([`ConfinedIncludes`]), and planned into
//! PDUs, before it is offered to the policy; one that does not parse or
//! plan is offered with its problems and goes to `failed/`. The policy
//! has the message accepted durably ([`send_core::MessageStore`]); the file then moves
//! on, as with smstools3, to its queue's directory (`checked/`, or
//! `[queues.NAME] directory`; a file put there directly is taken as
//! checked, for that queue) and waits. The policy hands waiting files to
//! free modems (`Priority: high` first, then the oldest, skipping files
//! that wait out a retry backoff; modems serving a queue take turns), one
//! part at a time, each only once its start is durable; the scheduler
//! sends the part in a task of its own ([`PartTask`]) and reports the
//! outcome back. Retries, blocks of a failing modem, unknown outcomes and
//! storage outages are the policy's decisions; the scheduler writes the
//! facts, moves finished files to `sent/` or `failed/`, raises the alarms
//! ([`hooks::Alarms`]) and runs the eventhandler. A task per modem watches
//! for a lost port.
//!
//! This file holds the types, the loop and the doing of the policy's
//! actions; taking a file is in `intake`, recovery and finishing in
//! `finish`, and the port watch, the watcher's wakeups and small free
//! helpers in `watch`.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use modem::{Identity, ModemHandle};
use notify::Watcher as _;
use spool::OutgoingFile;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admin_messages::AdminMessages;
use crate::before_send::{ContinuousSending, SweepRequester};
use crate::daemon_config::{DaemonConfig, ModemSettings};
use crate::hooks::{self, Alarms, Severity, Verdict};
use crate::include::ConfinedIncludes;
use crate::intake::Refusals;
use crate::ops::SchedulerOp;
use crate::reports::SentIndex;
use crate::sd_notify;
use crate::send_core::store::SpoolJournal;
use crate::send_core::{
    self, Action, Input, MessageId, ModemPolicy, PartOutcome, PolicyConfig, SendPolicy, WriteId,
};
use crate::send_store::SendStore;
use crate::send_task::PartResult;
use crate::settle::{Change, Settling};
use crate::sim_limits::book::LimitBook;
use crate::spool_dir;
use crate::status_board::StatusBoard;
use crate::store_health::RetryPolicy;
use crate::voicecall::PlannedCall;

mod commit;
mod finish;
mod finish_writer;
mod intake;
mod limits;
mod names;
mod ops;
mod release;
mod start;
mod watch;

use limits::{Counted, SharedLimits};
use watch::{wakeup_of, watch_port};

/// How often `outgoing/` is scanned even without an inotify event (files
/// on NFS, a watcher that failed, events lost to an overflow).
pub(crate) const RESCAN_INTERVAL: Duration = Duration::from_secs(2);

/// The header that flags a file whose send was cut off.
pub(crate) const OUTCOME_HEADER: &str = "X-Smsgate-Outcome";

/// The header that carries a message's id (given when it is taken) into
/// its `sent/` or `failed/` file: after a crash between that file and the
/// journal's `end`, it tells the message that finished from a new file of
/// the same name.
pub(crate) const ID_HEADER: &str = "X-Smsgate-Id";

/// One modem as the scheduler sees it.
#[derive(Debug)]
pub(crate) struct ModemSlot {
    pub(crate) name: String,
    pub(crate) settings: ModemSettings,
    pub(crate) handle: ModemHandle,
    identity: Identity,
    /// Closed by a reload or a reopen (a new slot may take its name):
    /// kept until its part in flight is back, never given a part again.
    retired: bool,
    /// Its receive task's "read the storage now", if it receives.
    sweep: Option<SweepRequester>,
    /// smsd's `max_continuous_sending`.
    continuous: ContinuousSending,
}

impl ModemSlot {
    pub(crate) fn new(
        name: String,
        settings: ModemSettings,
        handle: ModemHandle,
        identity: Identity,
    ) -> ModemSlot {
        ModemSlot {
            name,
            settings,
            handle,
            identity,
            retired: false,
            sweep: None,
            continuous: ContinuousSending::default(),
        }
    }

    /// Sends on it may ask its receive task to read the storage first.
    pub(crate) fn with_sweep(mut self, sweep: Option<SweepRequester>) -> ModemSlot {
        self.sweep = sweep;
        self
    }

    /// What the send policy needs to know of it.
    fn policy(&self) -> ModemPolicy {
        ModemPolicy {
            name: self.name.clone(),
            queues: self.settings.queues.clone(),
            send: self.settings.send,
            send_retries: self.settings.send_retries,
            block_after: self.settings.block_after,
            block_time: self.settings.block_time,
        }
    }

    /// Whether it serves `queue` (`None`: the default queue); a
    /// receive-only modem (`send = false`) serves none.
    fn serves(&self, queue: Option<&str>) -> bool {
        self.policy().serves(queue)
    }
}

/// A directory files are taken from, as smstools3 lays them out: new
/// files land in `outgoing/`; once checked, parsed and planned, a file
/// moves on to its queue's directory (`checked/` for the default queue,
/// `[queues.NAME] directory` for the others) and waits there for a modem.
/// A file put straight into a queue's directory (smstools3 users do) is
/// taken as already checked, for that queue.
#[derive(Clone, Debug)]
struct TakenFrom {
    path: PathBuf,
    stage: Stage,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// `outgoing/`: for the checkhandler, then to be moved on.
    Outgoing,
    /// A queue's directory (`None`: `checked/`, the default queue).
    Queue(Option<String>),
}

/// A planned file held by the send policy: what the shell needs to send
/// its parts and to write its `sent/` or `failed/` file. Its state on the
/// way (parts out, retries, its modem) is the policy's.
#[derive(Debug)]
struct Job {
    /// The message's own id (the store's key), not its file's name.
    id: MessageId,
    name: String,
    /// Where it is now: `outgoing/` or its queue's directory.
    path: PathBuf,
    /// The file as read, with its id header.
    bytes: Vec<u8>,
    /// Its permission bits, which its `sent/` or `failed/` version keeps.
    mode: u32,
    /// The file intake read (device, inode): only it is ever moved or
    /// removed under its name, never a new file dropped there since.
    taken: spool_dir::EntryId,
    /// Encoded PDUs, SMSC address first, one per part.
    pdus: Vec<Vec<u8>>,
    /// For `Voicecall: yes`: the call, recorded as the one part (whose PDU
    /// is empty).
    call: Option<PlannedCall>,
    /// When its current send began, for `Sending_time:`.
    send_started: Option<Instant>,
    /// `NOTICE:` lines for the `sent/` file (spool's notices).
    notices: Vec<String>,
    /// The number it goes to (`To:`).
    recipient: String,
    /// Its queue (`None`: the default queue).
    queue: Option<String>,
    /// The parts of its send counted against its modem's limits, to give
    /// back those that did not go out.
    counted: Option<Counted>,
}

/// A file read and planned.
struct Planned {
    file: OutgoingFile,
    reference: u16,
    /// Encoded PDUs, SMSC address first; one empty part for a call.
    pdus: Vec<Vec<u8>>,
    call: Option<PlannedCall>,
    /// The file's and the plan's notices, for the `sent/` file.
    notices: Vec<String>,
}

/// What a checkhandler task reports.
#[derive(Debug)]
struct CheckResult {
    candidate: spool_dir::Candidate,
    verdict: Verdict,
}

/// See the module docs.
pub(crate) struct Scheduler {
    config: DaemonConfig,
    /// Every durable fact of the send path goes through it.
    store: SpoolJournal<Box<dyn SendStore>>,
    /// The send policy: it decides, the scheduler does the I/O.
    policy: SendPolicy,
    /// The storage took writes again after an outage: rescan.
    store_recovered: bool,
    modems: Vec<ModemSlot>,
    /// Modems that came up after the start.
    new_modems: mpsc::UnboundedReceiver<ModemSlot>,
    /// Which part went out as which TP-MR, for the status reports.
    sent_index: SentIndex,
    /// `outgoing/` first, then `checked/` and the queues' directories.
    dirs: Vec<TakenFrom>,
    /// The files the policy holds, by name (one message per name).
    jobs: HashMap<String, Job>,
    /// Their names by message id ([`Scheduler::name_of`]).
    names_by_id: HashMap<MessageId, String>,
    next_reference: u16,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    results_tx: mpsc::UnboundedSender<PartResult>,
    results: mpsc::UnboundedReceiver<PartResult>,
    /// The watcher's reports: the paths that changed and how, or `None`
    /// when only a full rescan can tell (an error, an overflow).
    wakeups: mpsc::UnboundedReceiver<Option<Vec<(PathBuf, Change)>>>,
    /// Which files seen are not yet whole (still being written).
    settling: Settling,
    /// Files with the checkhandler now.
    checking: HashSet<String>,
    /// Files whose checkhandler said it spooled them itself (exit status
    /// 2): left alone until they leave `outgoing/`.
    spooled_by_handler: HashSet<String>,
    checks_tx: mpsc::UnboundedSender<CheckResult>,
    checks: mpsc::UnboundedReceiver<CheckResult>,
    /// The names of modems whose driver reopened and set them up again
    /// (after a lost port or a hang): a block for their failures is over.
    reconnected_tx: mpsc::UnboundedSender<String>,
    reconnected: mpsc::UnboundedReceiver<String>,
    includes: ConfinedIncludes,
    alarms: Alarms,
    /// Entries intake refused, reported once per version.
    refusals: Refusals,
    /// The modems' per-SIM counts (`[modems.NAME.limits]`), which the
    /// policy asks as it chooses a modem.
    limits: SharedLimits,
    /// The blocks last told to the HTTP API's modem states, by modem.
    blocks_published: HashMap<String, Instant>,
    /// Kept for its inotify watch.
    _watcher: Option<notify::RecommendedWatcher>,
    /// Live operations (crate::ops), modems being taken out, the status
    /// board and when the queues were last counted for it (scheduler/ops.rs).
    ops: mpsc::UnboundedReceiver<SchedulerOp>,
    retiring: Vec<ops::Retiring>,
    board: StatusBoard,
    queues_shown: Option<Instant>,
    /// When to shrink the per-file tables (scheduler/release.rs).
    after_backlog: release::AfterBacklog,
    /// The finishes on their way, and the thread that writes their files
    /// (scheduler/finish_writer.rs).
    finishes: finish_writer::FinishPipeline,
    writer: finish_writer::FinishWriter,
}

impl Scheduler {
    pub(crate) fn new(
        config: DaemonConfig,
        store: Box<dyn SendStore>,
        retry: RetryPolicy,
        modems: Vec<ModemSlot>,
        new_modems: mpsc::UnboundedReceiver<ModemSlot>,
        sent_index: SentIndex,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Scheduler> {
        let mut dirs = vec![
            TakenFrom {
                path: config.spool.outgoing.clone(),
                stage: Stage::Outgoing,
            },
            TakenFrom {
                path: config.spool.checked.clone(),
                stage: Stage::Queue(None),
            },
        ];
        for (name, queue) in &config.queues {
            dirs.push(TakenFrom {
                path: queue.directory.clone(),
                stage: Stage::Queue(Some(name.clone())),
            });
        }
        let (wake_tx, wakeups) = mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Some(wakeup) = wakeup_of(event) {
                let _ = wake_tx.send(wakeup);
            }
        })
        .and_then(|mut watcher| {
            for dir in &dirs {
                watcher.watch(&dir.path, notify::RecursiveMode::NonRecursive)?;
            }
            Ok(watcher)
        });
        let watcher = match watcher {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                tracing::warn!(
                    target: "smsgate",
                    "cannot watch the spool ({err}); scanning it every {} s",
                    RESCAN_INTERVAL.as_secs()
                );
                None
            }
        };
        let (results_tx, results) = mpsc::unbounded_channel();
        let (checks_tx, checks) = mpsc::unbounded_channel();
        let (reconnected_tx, reconnected) = mpsc::unbounded_channel();
        // `POST /api/v1/modems/NAME/unblock` goes in as a reconnect would.
        config.modem_states.attach(reconnected_tx.clone());
        let tasks = TaskTracker::new();
        let alarms = Alarms::new(&config.handlers, tasks.clone());
        let includes = ConfinedIncludes::new(config.include_dir.clone());
        // Concatenation references only need to differ between messages
        // to the same number that are in the air at the same time.
        let next_reference = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos() as u16);
        let settling = Settling::new(config.trust_outgoing);
        let limits = SharedLimits::new(LimitBook::open(
            &config.spool.base,
            config.modes.file,
            config
                .modems
                .iter()
                .map(|(name, modem)| (name.clone(), modem.sim_limits.clone()))
                .collect(),
        ));
        let policy = SendPolicy::new(
            PolicyConfig {
                retry_interval: config.limits.retry_interval,
                unknown_outcome: config.unknown_outcome,
                store_retry: retry,
            },
            modems.iter().map(ModemSlot::policy).collect(),
        )
        .with_admission(Box::new(limits.clone()));
        let store = SpoolJournal::new(store, config.spool.sent.clone(), config.spool.failed.clone());
        Ok(Scheduler {
            config,
            store,
            policy,
            store_recovered: false,
            modems,
            new_modems,
            sent_index,
            dirs,
            jobs: HashMap::new(),
            names_by_id: HashMap::new(),
            next_reference,
            shutdown,
            tasks,
            results_tx,
            results,
            wakeups,
            settling,
            checking: HashSet::new(),
            spooled_by_handler: HashSet::new(),
            checks_tx,
            checks,
            reconnected_tx,
            reconnected,
            includes,
            alarms,
            refusals: Refusals::default(),
            limits,
            blocks_published: HashMap::new(),
            _watcher: watcher,
            // Replaced by `with_ops`; a closed channel meanwhile.
            ops: mpsc::unbounded_channel().1,
            retiring: Vec::new(),
            board: StatusBoard::new(chrono::Local::now()),
            queues_shown: None,
            after_backlog: release::AfterBacklog::default(),
            finishes: finish_writer::FinishPipeline::default(),
            writer: finish_writer::FinishWriter::start(),
        })
    }

    /// Failing eventhandlers are reported to `admin` (smsd's `admin_to`).
    pub(crate) fn with_admin(mut self, admin: AdminMessages) -> Scheduler {
        self.alarms = self.alarms.with_admin(admin);
        self
    }

    /// Runs until the shutdown token fires and every part on a modem has
    /// come back and been recorded; then closes the modems.
    pub(crate) async fn run(mut self) -> anyhow::Result<()> {
        self.recover_messages();
        for slot in &self.modems {
            self.limits
                .book()
                .set_sim(&slot.name, slot.identity.iccid.as_deref());
        }
        for slot in &self.modems {
            self.tasks.spawn(watch_port(
                slot.name.clone(),
                slot.handle.clone(),
                self.alarms.clone(),
                self.shutdown.clone(),
                self.reconnected_tx.clone(),
            ));
        }
        tracing::info!(
            target: "smsgate",
            "ready: {} modem(s), watching {}",
            self.modems.len(),
            self.config.spool.outgoing.display()
        );
        self.show_all();
        let mut next_scan = Instant::now();
        loop {
            self.finish_retiring();
            self.publish();
            // sd_notify.rs: the watchdog pings only while this loop turns.
            sd_notify::PULSE.turn(self.snapshot()).await;
            self.policy.handle_timeout(Instant::now());
            self.act();
            if std::mem::take(&mut self.store_recovered) {
                // Files may have come meanwhile, unseen: intake paused.
                next_scan = Instant::now();
            }
            // Intake pauses while the storage fails: a file taken now
            // could not be recorded.
            let healthy = self.policy.is_healthy();
            if Instant::now() >= next_scan && healthy {
                self.scan();
                next_scan = Instant::now() + RESCAN_INTERVAL;
            }
            if healthy {
                self.look_at_due();
            }
            // The files just taken come due together: handed out now, in
            // their order.
            self.policy.handle_timeout(Instant::now());
            self.act();
            self.release_after_backlog();
            let wake = self
                .next_deadline()
                .map_or(next_scan, |deadline| deadline.min(next_scan));
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => break,
                Some(written) = self.writer.written.recv() => {
                    self.finish_returned(written);
                    // The answers in by now: their facts go in one group
                    // with the batch's ends.
                    let mut modems = Vec::new();
                    while let Ok(result) = self.results.try_recv() {
                        modems.push(self.part_done(result));
                    }
                    self.act();
                    modems.dedup();
                    modems.iter().for_each(|modem| self.show_named(modem));
                }
                Some(result) = self.results.recv() => {
                    // Every part back by now, from every modem: their
                    // outcomes are committed as one group.
                    let mut modems = vec![self.part_done(result)];
                    while let Ok(result) = self.results.try_recv() {
                        modems.push(self.part_done(result));
                    }
                    self.act();
                    modems.dedup();
                    modems.iter().for_each(|modem| self.show_named(modem));
                }
                Some(slot) = self.new_modems.recv() => self.add_modem(slot),
                Some(result) = self.checks.recv() => self.finish_check(result),
                Some(name) = self.reconnected.recv() => {
                    self.config.modem_states.unblocked(&name);
                    self.input(Input::ModemReconnected { name });
                }
                Some(op) = self.ops.recv() => self.on_op(op),
                Some(first) = self.wakeups.recv() => {
                    if !self.policy.is_healthy() || !self.look_at_changes(first) {
                        next_scan = Instant::now();
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        // Every part on a modem ends its exchange and reports; its outcome
        // is recorded like any other. One whose record could not be written
        // is tried once more; failing that, the store's start without an
        // outcome flags the part after the restart.
        // A finish batch at the writer is waited for, and reported.
        self.input(Input::Shutdown);
        while self.policy.is_busy() {
            tokio::select! {
                biased;
                Some(written) = self.writer.written.recv() => {
                    self.finish_returned(written);
                    self.act();
                }
                result = self.results.recv() => match result {
                    Some(result) => {
                        let modem = self.part_done(result);
                        self.act();
                        self.show_named(&modem);
                    }
                    None => break,
                },
            }
        }
        if !self.policy.is_healthy() {
            let retry_due = self
                .policy
                .poll_timeout(Instant::now())
                .unwrap_or_else(Instant::now);
            self.policy.handle_timeout(retry_due.max(Instant::now()));
            self.act();
        }
        self.settle_finishes().await;
        self.writer.stop();
        self.tasks.close();
        self.tasks.wait().await;
        // The modems are closed by the daemon, after their receive tasks.
        tracing::info!(target: "smsgate", "stopped");
        Ok(())
    }

    /// What `systemctl status` shows (sd_notify.rs); cheap on every turn.
    fn snapshot(&self) -> sd_notify::Snapshot {
        let policy = self.policy.snapshot(Instant::now());
        sd_notify::Snapshot {
            modems_up: self.modems.iter().filter(|slot| !slot.retired).count(),
            modems_blocked: policy.blocked,
            queued: policy.queued,
            sending: policy.sending,
        }
    }

    /// Feeds the policy one input, now, and does what it asks.
    fn input(&mut self, input: Input) {
        self.policy.handle(input, Instant::now());
        self.act();
    }

    /// A part's task came back: the policy is told (the caller acts, then
    /// shows the modem returned).
    fn part_done(&mut self, result: PartResult) -> String {
        let PartResult {
            id,
            part,
            modem,
            outcome,
        } = result;
        if let Some(slot) = self.modems.iter_mut().find(|slot| slot.name == modem) {
            slot.continuous.ended(Instant::now());
        }
        self.count_outcome(&modem, &id, &outcome);
        if let Some(name) = self.name_of(&id) {
            self.part_counted(&name, part, &outcome);
            if !matches!(outcome, PartOutcome::Sent { .. }) {
                if let Some(job) = self.jobs.get_mut(&name) {
                    job.send_started = None;
                }
            }
        }
        self.policy
            .handle(Input::PartDone { id, part, outcome }, Instant::now());
        modem
    }

    /// A modem that came up after the start takes its share from now on.
    fn add_modem(&mut self, slot: ModemSlot) {
        tracing::info!(target: "smsgate", "modem {} joins the senders", slot.name);
        // Its limits count its SIM's SMS (sim_limits/book.rs).
        self.limits
            .book()
            .set_sim(&slot.name, slot.identity.iccid.as_deref());
        self.tasks.spawn(watch_port(
            slot.name.clone(),
            slot.handle.clone(),
            self.alarms.clone(),
            self.shutdown.clone(),
            self.reconnected_tx.clone(),
        ));
        let policy = slot.policy();
        self.modems.push(slot);
        self.input(Input::ModemAdded(policy));
        self.show(self.modems.len() - 1);
    }

    /// Reads the new files of `outgoing/` (handing them to the
    /// checkhandler first) and of the queues' directories, and forgets
    /// waiting files that were removed by someone else.
    fn scan(&mut self) {
        // The queues' directories first: a file there is further along
        // than a namesake that has just landed in `outgoing/`, which waits
        // until the first one is done.
        let mut found = Vec::new();
        let mut held = Vec::new();
        for dir_idx in (0..self.dirs.len()).rev() {
            let dir = &self.dirs[dir_idx].path;
            // A name held already is only seen to be there, not looked at.
            let known = |name: &str| {
                self.jobs.contains_key(name)
                    || self.checking.contains(name)
                    || self.spooled_by_handler.contains(name)
            };
            match spool_dir::scan_except(dir, known) {
                Ok((candidates, known)) => {
                    found.extend(candidates.into_iter().map(|candidate| (dir_idx, candidate)));
                    held.extend(known);
                }
                Err(err) => {
                    // Without a full picture, nothing is forgotten.
                    tracing::error!(target: "smsgate", "{}: {err}", dir.display());
                    return;
                }
            }
        }
        let present: HashSet<&std::path::Path> = found
            .iter()
            .map(|(_, candidate)| candidate.path.as_path())
            .chain(held.iter().map(PathBuf::as_path))
            .collect();
        let gone: Vec<String> = self
            .jobs
            .values()
            .filter(|job| !present.contains(job.path.as_path()))
            .map(|job| job.name.clone())
            .collect();
        let outgoing = &self.dirs[0].path;
        self.spooled_by_handler
            .retain(|name| present.contains(outgoing.join(name).as_path()));
        self.refusals.retain(|path| present.contains(path));
        self.settling.retain(|path| present.contains(path));
        for name in gone {
            self.vanished(&name);
        }
        // One moment for every file found: those that wait come due
        // together, and priorities decide among them.
        let now = Instant::now();
        for (dir_idx, candidate) in found {
            if self.jobs.contains_key(&candidate.name)
                || self.checking.contains(&candidate.name)
                || self.spooled_by_handler.contains(&candidate.name)
            {
                continue;
            }
            self.arrived(dir_idx, candidate, now);
        }
    }

    /// A held file was removed by someone else: the policy forgets it
    /// unless it is on a modem or finishing.
    fn vanished(&mut self, name: &str) {
        self.input(Input::Vanished {
            name: name.to_owned(),
        });
        if !self.policy.holds(name) {
            self.jobs.remove(name);
        }
    }

    /// Does what the policy asks, until it asks nothing more. Its writes
    /// are gathered and committed in groups (group commit): the facts
    /// asked for by the time it asks nothing more, with the ends of the
    /// finish batches written since, in one append and one fsync, and
    /// reported. The finishes go to the writer thread as one batch, once
    /// it is free (scheduler/finish_writer.rs); the loop does not wait for
    /// it. The policy releases nothing that depends on a write (a part to a
    /// modem, a file to its queue) before that write's report, so nothing
    /// goes out before its facts are durable.
    fn act(&mut self) {
        let mut facts: Vec<(WriteId, send_core::Fact)> = Vec::new();
        loop {
            while let Some(action) = self.policy.poll_action() {
                self.do_action(action, &mut facts);
            }
            if facts.is_empty() && !self.finishes.has_ending() {
                break;
            }
            self.commit_facts(std::mem::take(&mut facts));
        }
        self.submit_finishes();
        self.publish_blocks();
    }

    /// Does one action of the policy; writes are gathered for their group.
    fn do_action(&mut self, action: Action, facts: &mut Vec<(WriteId, send_core::Fact)>) {
        match action {
            Action::Write { write, fact } => facts.push((write, fact)),
            Action::Finish {
                write,
                id,
                name,
                outcome,
                unknown,
                ..
            } => match self.prepare_finish(write, &id, &name, &outcome, unknown) {
                Some(finishing) => self.finishes.gather(finishing),
                // Nothing of it held here: nothing to write.
                None => self.policy.handle(
                    Input::Stored {
                        write,
                        result: Ok(()),
                    },
                    Instant::now(),
                ),
            },
            Action::Accepted { id, name } => self.accepted(&id, &name),
            Action::Dropped { name, .. } => {
                // Left where it is, offered again once the store takes
                // writes.
                self.jobs.remove(&name);
            }
            Action::StartPart { id, part, modem } => {
                self.start_part(&id, part, &modem);
                self.show_named(&modem);
            }
            Action::Alarm {
                severity,
                source,
                text,
            } => {
                let severity = match severity {
                    send_core::Severity::Notice => Severity::Notice,
                    send_core::Severity::Error => Severity::Error,
                    send_core::Severity::Critical => Severity::Critical,
                };
                self.alarms.raise(severity, &source, &text);
            }
            Action::StoreRecovered { lasted } => {
                tracing::warn!(
                    target: "smsgate",
                    "the storage takes writes again after {} s; sending and intake resume",
                    lasted.as_secs()
                );
                self.store_recovered = true;
            }
            Action::Log { warn: true, text } => tracing::warn!(target: "smsgate", "{text}"),
            Action::Log { warn: false, text } => tracing::info!(target: "smsgate", "{text}"),
        }
    }

    /// Tells the HTTP API's modem states of blocks the policy began or
    /// ended (it decides them; the shell only reports).
    fn publish_blocks(&mut self) {
        let now = Instant::now();
        for slot in &self.modems {
            let until = self.policy.blocked_until(&slot.name).filter(|&until| until > now);
            if self.blocks_published.get(&slot.name) == until.as_ref() {
                continue;
            }
            match until {
                Some(until) => {
                    let wall = SystemTime::now() + until.saturating_duration_since(now);
                    self.config.modem_states.blocked(&slot.name, wall);
                    self.blocks_published.insert(slot.name.clone(), until);
                }
                None => {
                    self.config.modem_states.unblocked(&slot.name);
                    self.blocks_published.remove(&slot.name);
                }
            }
        }
    }

    /// Runs the eventhandler, if one is configured, without waiting for it:
    /// `modem`'s own, if it has one (smsd's per-modem `eventhandler`),
    /// else `[handlers] eventhandler`.
    fn event(&self, modem: Option<&str>, args: Vec<OsString>) {
        let own = modem
            .and_then(|modem| self.config.modems.get(modem))
            .and_then(|settings| settings.features.eventhandler.clone());
        if let Some(program) = own.or_else(|| self.config.handlers.eventhandler.clone()) {
            self.tasks.spawn(hooks::run_eventhandler(
                program,
                args,
                self.config.handlers.timeout,
                self.alarms.clone(),
                modem.map(str::to_owned),
            ));
        }
    }

    /// The next moment something waits for: the policy's (a retry, a
    /// blocked modem, the storage's retry), or a settling file.
    fn next_deadline(&mut self) -> Option<Instant> {
        let now = Instant::now();
        let policy = self
            .policy
            .poll_timeout(now)
            .map(|at| at.max(now + Duration::from_millis(1)));
        // While intake pauses, files still settling wait for the rescan
        // that follows the recovery.
        let settled = if self.policy.is_healthy() {
            self.settling.next_due().map(|at| at.max(now))
        } else {
            None
        };
        policy.into_iter().chain(settled).min()
    }
}
