//! The scheduler: one task that owns the state of every file between
//! `outgoing/` and `sent/`/`failed/`, and the modems' availability.
//!
//! A new file first goes to the checkhandler, if one is configured (in
//! a task of its own, so a slow handler holds up nothing else; see
//! [`hooks::check`]), and is then read and parsed whole, its `Include:`s
//! confined to `include-dir` ([`ConfinedIncludes`]), and planned into
//! PDUs, before anything acts on it; one that does not parse or plan goes
//! to `failed/` with every problem. The others move on, as with smstools3,
//! to their queue's directory (`checked/`, or `[queues.NAME] directory`;
//! a file put there directly is taken as checked, for that queue) and
//! wait in `pending`, and whenever a modem
//! is free the first waiting file it serves is handed to it: `Priority:
//! high` first, then the oldest, skipping files that wait out a retry
//! backoff (so one bad number never holds up the rest). Modems serving a
//! queue take turns (round robin). The send itself runs in its own task,
//! which journals each part before its PDU is written and its outcome
//! after, and reports back over a channel; the scheduler then moves the
//! file, retries it, or blocks a modem that keeps failing. Failures the
//! operator must hear of raise alarms ([`hooks::Alarms`]); a task per
//! modem watches for a lost port.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use modem::{Identity, ModemEvent, ModemHandle, RecoveryStep};
use notify::Watcher as _;
use spool::{FailedRecord, NumberingPolicy, OutgoingFile, Plan, PlanDefaults, Priority, SentRecord};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::daemon::clock::now;
use crate::daemon::hooks::{self, Alarms, Severity, Verdict};
use crate::daemon::include::ConfinedIncludes;
use crate::daemon::intake::{self, Refusal, Refusals};
use crate::daemon::journal::{new_message_id, Record};
use crate::daemon::reports::{SentIndex, STATUS_REPORT_HEADER};
use crate::daemon::send_store::{SendStore, SharedStore};
use crate::daemon::send_task::{Outcome, SendResult, SendTask};
use crate::daemon::settle::{Change, Look, Settling, Verdict as Settled};
use crate::daemon::spool_dir;
use crate::daemon::store_health::{Failure, RetryPolicy, StoreHealth};
use crate::daemon::voicecall::PlannedCall;
use crate::daemon_config::{DaemonConfig, Limits, ModemSettings, UnknownOutcome};

/// How often `outgoing/` is scanned even without an inotify event (files
/// on NFS, a watcher that failed, events lost to an overflow).
const RESCAN_INTERVAL: Duration = Duration::from_secs(2);

/// The longest wait between retries of one file.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

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
    busy: bool,
    failures_in_row: u32,
    blocked_until: Option<Instant>,
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
            busy: false,
            failures_in_row: 0,
            blocked_until: None,
        }
    }

    /// Whether it serves `queue` (`None`: the default queue); a
    /// receive-only modem (`send = false`) serves none.
    fn serves(&self, queue: Option<&str>) -> bool {
        if !self.settings.send {
            return false;
        }
        match queue {
            None => self.settings.queues.is_empty(),
            Some(queue) => self.settings.queues.iter().any(|served| served == queue),
        }
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

/// A planned file waiting for, or in, a send.
#[derive(Debug)]
struct Job {
    /// The message's own id (the journal's key), not its file's name.
    id: String,
    name: String,
    /// Where it is now: `outgoing/` or its queue's directory.
    path: PathBuf,
    /// The file as read (with the outcome flag, if it has one).
    bytes: Vec<u8>,
    /// Its permission bits, which its `sent/` or `failed/` version keeps.
    mode: u32,
    priority: Priority,
    modified: SystemTime,
    queue: Option<String>,
    /// Encoded PDUs, SMSC address first, one per part.
    pdus: Vec<Vec<u8>>,
    /// The reference of each part that went out.
    sent: Vec<Option<u8>>,
    /// For `Voicecall: yes`: the call, journalled as the one part (whose
    /// PDU is empty).
    call: Option<PlannedCall>,
    attempts: u32,
    /// The file's `Retries:`, if it has one.
    retries: Option<u32>,
    not_before: Option<Instant>,
    in_flight: bool,
    /// When its last send began, for `Sending_time:`.
    send_started: Option<Instant>,
    /// `NOTICE:` lines for the `sent/` file (spool's notices).
    notices: Vec<String>,
    /// The number it goes to (`To:`).
    recipient: String,
    /// The modem its first part went out on: the other parts go out
    /// there too, or the file fails whole (a recipient cannot join parts
    /// from two sender numbers).
    modem: Option<String>,
    /// Its move to `sent/` or `failed/` failed (storage trouble): tried
    /// again when the storage is, never sent meanwhile.
    finishing: Option<Finish>,
}

/// How a job whose move failed is to be finished.
#[derive(Clone, Debug)]
enum Finish {
    Sent {
        modem_idx: usize,
    },
    Failed {
        reason: String,
        modem: Option<String>,
        pdu: Option<String>,
    },
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

/// The planned files, and their order: `Priority: high` first, then the
/// oldest, then by name.
#[derive(Debug, Default)]
struct Pending {
    jobs: BTreeMap<String, Job>,
    order: BTreeSet<(std::cmp::Reverse<Priority>, SystemTime, String)>,
    /// When retries are due (entries in the past are dropped as they are
    /// passed): the next deadline without a look at every waiting file.
    retries: BTreeSet<(Instant, String)>,
}

impl Pending {
    fn key(job: &Job) -> (std::cmp::Reverse<Priority>, SystemTime, String) {
        (std::cmp::Reverse(job.priority), job.modified, job.name.clone())
    }

    fn insert(&mut self, job: Job) {
        if let Some(old) = self.jobs.remove(&job.name) {
            self.order.remove(&Pending::key(&old));
        }
        self.order.insert(Pending::key(&job));
        self.jobs.insert(job.name.clone(), job);
    }

    fn remove(&mut self, name: &str) -> Option<Job> {
        let job = self.jobs.remove(name)?;
        self.order.remove(&Pending::key(&job));
        Some(job)
    }

    fn retain(&mut self, mut keep: impl FnMut(&Job) -> bool) {
        let gone: Vec<String> = self
            .jobs
            .values()
            .filter(|job| !keep(job))
            .map(|job| job.name.clone())
            .collect();
        for name in gone {
            self.remove(&name);
        }
    }

    fn get(&self, name: &str) -> Option<&Job> {
        self.jobs.get(name)
    }

    /// Not for the fields the order rests on (priority, time, name).
    fn get_mut(&mut self, name: &str) -> Option<&mut Job> {
        self.jobs.get_mut(name)
    }

    fn contains_key(&self, name: &str) -> bool {
        self.jobs.contains_key(name)
    }

    fn values(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }

    /// `name` waits for a retry until `at`.
    fn retry_at(&mut self, name: &str, at: Instant) {
        if let Some(job) = self.jobs.get_mut(name) {
            job.not_before = Some(at);
            self.retries.insert((at, name.to_owned()));
        }
    }

    /// The first retry still to come after `now`.
    fn next_retry(&mut self, now: Instant) -> Option<Instant> {
        self.retries = self.retries.split_off(&(now, String::new()));
        self.retries.first().map(|(at, _)| *at)
    }

    fn in_order(&self) -> impl Iterator<Item = &Job> {
        self.order.iter().filter_map(|(_, _, name)| self.jobs.get(name))
    }
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
    store: SharedStore,
    health: StoreHealth,
    /// Send results whose outcome is not journalled yet (see
    /// [`SendResult::unrecorded`]): acted on once it is.
    deferred: Vec<SendResult>,
    /// Messages in `sent/` or `failed/` whose `end` record failed.
    unended: Vec<String>,
    /// Files the journal knew at the start, by name: their message's id.
    /// Only these are linked by name; a file taken later is a new message.
    recovered: HashMap<String, String>,
    modems: Vec<ModemSlot>,
    /// Modems that came up after the start.
    new_modems: mpsc::UnboundedReceiver<ModemSlot>,
    /// Which part went out as which TP-MR, for the status reports.
    sent_index: SentIndex,
    next_modem: usize,
    /// `outgoing/` first, then `checked/` and the queues' directories.
    dirs: Vec<TakenFrom>,
    pending: Pending,
    next_reference: u16,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    results_tx: mpsc::UnboundedSender<SendResult>,
    results: mpsc::UnboundedReceiver<SendResult>,
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
    /// Kept for its inotify watch.
    _watcher: Option<notify::RecommendedWatcher>,
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
        let tasks = TaskTracker::new();
        let alarms = Alarms::new(&config.handlers, tasks.clone());
        let includes = ConfinedIncludes::new(config.include_dir.clone());
        // Concatenation references only need to differ between messages
        // to the same number that are in the air at the same time.
        let next_reference = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos() as u16);
        let settling = Settling::new(config.trust_outgoing);
        Ok(Scheduler {
            config,
            store: SharedStore::new(store),
            health: StoreHealth::new(retry),
            deferred: Vec::new(),
            unended: Vec::new(),
            recovered: HashMap::new(),
            modems,
            new_modems,
            sent_index,
            next_modem: 0,
            dirs,
            pending: Pending::default(),
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
            _watcher: watcher,
        })
    }

    /// Runs until the shutdown token fires and every send in flight has
    /// been finished and recorded; then closes the modems.
    pub(crate) async fn run(mut self) -> anyhow::Result<()> {
        self.recover_messages();
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
        let mut next_scan = Instant::now();
        loop {
            if self.retry_store() {
                // Files may have come meanwhile, unseen: intake paused.
                next_scan = Instant::now();
            }
            // Intake pauses while the storage fails: a file taken now
            // could not be journalled.
            if Instant::now() >= next_scan && self.health.is_healthy() {
                self.scan();
                next_scan = Instant::now() + RESCAN_INTERVAL;
            }
            if self.health.is_healthy() {
                self.look_at_due();
            }
            self.dispatch();
            let wake = self
                .next_deadline()
                .map_or(next_scan, |deadline| deadline.min(next_scan));
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => break,
                Some(result) = self.results.recv() => self.finish_send(result),
                Some(slot) = self.new_modems.recv() => self.add_modem(slot),
                Some(result) = self.checks.recv() => self.finish_check(result),
                Some(name) = self.reconnected.recv() => self.unblock(&name),
                Some(first) = self.wakeups.recv() => {
                    if !self.health.is_healthy() || !self.look_at_changes(first) {
                        next_scan = Instant::now();
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        // Every send in flight ends its exchange and reports; its outcome
        // is acted on like any other. A result whose record could not be
        // written is tried once more; failing that, the journal's start
        // without an outcome flags the part after the restart.
        while self.pending.values().any(|job| job.in_flight) && self.deferred.len() < self.in_flight_count() {
            match self.results.recv().await {
                Some(result) => self.finish_send(result),
                None => break,
            }
        }
        if !self.health.is_healthy() && self.retry_store_now() {
            while let Ok(result) = self.results.try_recv() {
                self.finish_send(result);
            }
        }
        self.tasks.close();
        self.tasks.wait().await;
        // The modems are closed by the daemon, after their receive tasks.
        tracing::info!(target: "smsgate", "stopped");
        Ok(())
    }

    /// A modem that came up after the start takes its share from now on.
    fn add_modem(&mut self, slot: ModemSlot) {
        tracing::info!(target: "smsgate", "modem {} joins the senders", slot.name);
        self.tasks.spawn(watch_port(
            slot.name.clone(),
            slot.handle.clone(),
            self.alarms.clone(),
            self.shutdown.clone(),
            self.reconnected_tx.clone(),
        ));
        self.modems.push(slot);
    }

    /// Links the messages the journal holds open to their files, by name;
    /// ends those whose file reached `sent/` or `failed/` just before a
    /// crash (that file carries their id: a new file of the same name in
    /// `outgoing/` is a new message) or was removed.
    fn recover_messages(&mut self) {
        let mut by_name: HashMap<String, (u64, String)> = HashMap::new();
        let mut ended = Vec::new();
        for (id, state) in self.store.open_messages() {
            let name = &state.file;
            let finished = [&self.config.spool.sent, &self.config.spool.failed]
                .iter()
                .map(|dir| dir.join(name))
                .find(|path| carries_id(path, &id));
            if let Some(finished) = &finished {
                // Cut off between its durable copy and the unlink of the
                // original: that move is completed, never the send repeated.
                // A new file under the name (other content) is left alone.
                for dir in &self.dirs {
                    let source = dir.path.join(name);
                    if is_original_of(&source, finished) {
                        tracing::warn!(target: "smsgate", "{name}: finished before a restart; removing {}", source.display());
                        if let Err(err) =
                            std::fs::remove_file(&source).and_then(|()| spool_dir::sync_dir(&dir.path))
                        {
                            tracing::error!(target: "smsgate", "{}: {err}", source.display());
                        }
                    }
                }
            }
            let present = self.dirs.iter().any(|dir| dir.path.join(name).exists());
            if finished.is_some() || !present {
                ended.push(id);
                continue;
            }
            // Two open messages of one name (the first one's `end` failed):
            // the later one is the file there now.
            match by_name.get(name) {
                Some((begun, _)) if *begun > state.begun => ended.push(id),
                _ => {
                    if let Some((_, older)) = by_name.insert(name.clone(), (state.begun, id)) {
                        ended.push(older);
                    }
                }
            }
        }
        self.recovered = by_name.into_iter().map(|(name, (_, id))| (name, id)).collect();
        for id in ended {
            self.end(&id);
        }
    }

    /// The number of jobs whose send has not been acted on yet.
    fn in_flight_count(&self) -> usize {
        self.pending.values().filter(|job| job.in_flight).count()
    }

    /// A durable write of the send path failed: intake and sending pause
    /// (see [`StoreHealth`]), with one critical alarm per outage. The
    /// failure is the storage's, not a modem's.
    fn store_failed(&mut self, what: &str, err: &dyn std::fmt::Display) {
        tracing::error!(target: "smsgate", "{what}: {err}; sending and intake paused until the storage takes writes");
        if self.health.failed(Instant::now()) == Failure::NewOutage {
            let text = format!(
                "cannot write to the spool or the journal ({what}: {err}); sending and intake paused, \
                 resuming by themselves once writes go through"
            );
            self.alarms.raise(Severity::Critical, "smsgate", &text);
        }
    }

    /// When a retry of the failed writes is due, tries them. Returns true
    /// when the storage is healthy again after an outage.
    fn retry_store(&mut self) -> bool {
        if !self.health.retry_due(Instant::now()) {
            return false;
        }
        self.retry_store_now()
    }

    /// Writes what failed to be written: the outcomes of sends, the `end`s,
    /// the moves to `sent/` and `failed/`; on the first failure, waits for
    /// the next retry. Returns true once all went through.
    fn retry_store_now(&mut self) -> bool {
        let check = self.store.retry_append(Record::Check);
        if let Err(err) = check {
            self.health.failed(Instant::now());
            tracing::debug!(target: "smsgate", "storage still failing: {err}");
            return false;
        }
        while let Some(mut result) = self.deferred.pop() {
            let Some(record) = result.unrecorded.take() else {
                self.deferred.push(result);
                break;
            };
            if let Err(err) = self.store.retry_append(record.clone()) {
                result.unrecorded = Some(record);
                self.deferred.push(result);
                self.health.failed(Instant::now());
                tracing::debug!(target: "smsgate", "storage still failing: {err}");
                return false;
            }
            // Recorded: acted on as if it had just come.
            let _ = self.results_tx.send(result);
        }
        while let Some(id) = self.unended.pop() {
            if let Err(err) = self.store.retry_append(Record::End { id: id.clone() }) {
                self.unended.push(id);
                self.health.failed(Instant::now());
                tracing::debug!(target: "smsgate", "storage still failing: {err}");
                return false;
            }
        }
        let finishing: Vec<(String, Finish)> = self
            .pending
            .values()
            .filter_map(|job| Some((job.name.clone(), job.finishing.clone()?)))
            .collect();
        for (name, finish) in finishing {
            let done = match finish {
                Finish::Sent { modem_idx } => self.send_done(&name, modem_idx, true),
                Finish::Failed { reason, modem, pdu } => {
                    let job = self.pending.remove(&name);
                    job.is_some_and(|job| self.fail_job(job, &reason, modem.as_deref(), pdu, true))
                }
            };
            if !done {
                self.health.failed(Instant::now());
                return false;
            }
        }
        self.store.resume();
        if let Some(lasted) = self.health.recovered(Instant::now()) {
            tracing::warn!(
                target: "smsgate",
                "the storage takes writes again after {} s; sending and intake resume",
                lasted.as_secs()
            );
        }
        true
    }

    /// Reads the new files of `outgoing/` (handing them to the
    /// checkhandler first) and of the queues' directories, and forgets
    /// waiting files that were removed by someone else.
    fn scan(&mut self) {
        // The queues' directories first: a file there is further along
        // than a namesake that has just landed in `outgoing/`, which waits
        // until the first one is done.
        let mut found = Vec::new();
        for dir_idx in (0..self.dirs.len()).rev() {
            let dir = &self.dirs[dir_idx].path;
            match spool_dir::scan(dir) {
                Ok(candidates) => found.extend(candidates.into_iter().map(|candidate| (dir_idx, candidate))),
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
            .collect();
        self.pending
            .retain(|job| job.in_flight || present.contains(job.path.as_path()));
        let outgoing = &self.dirs[0].path;
        self.spooled_by_handler
            .retain(|name| present.contains(outgoing.join(name).as_path()));
        self.refusals.retain(|path| present.contains(path));
        self.settling.retain(|path| present.contains(path));
        // One moment for every file found: those that wait come due
        // together, and priorities decide among them.
        let now = Instant::now();
        for (dir_idx, candidate) in found {
            if self.pending.contains_key(&candidate.name)
                || self.checking.contains(&candidate.name)
                || self.spooled_by_handler.contains(&candidate.name)
            {
                continue;
            }
            self.arrived(dir_idx, candidate, now);
        }
    }

    /// A new file in `self.dirs[dir_idx]`, seen at `now`: taken once it is
    /// whole.
    fn arrived(&mut self, dir_idx: usize, candidate: spool_dir::Candidate, now: Instant) {
        // A symlink or a FIFO is never written to as a message: intake
        // refuses it at once and says so.
        let verdict = if candidate.regular {
            let look = Look {
                size: candidate.size,
                modified: candidate.modified,
                links: candidate.links,
            };
            self.settling.observe(&candidate.path, look, now)
        } else {
            self.settling.forget(&candidate.path);
            Settled::Ready
        };
        if let Settled::WaitUntil(_) = verdict {
            // `settling` keeps the deadline; `look_at_due` looks again.
            return;
        }
        match self.dirs[dir_idx].stage.clone() {
            Stage::Outgoing => self.check_or_take(candidate),
            Stage::Queue(queue) => self.take(candidate, Some(queue)),
        }
    }

    /// Looks at just the files the watcher reported changed (this report
    /// and any queued behind it), so that a wakeup costs the same whatever
    /// the number of files waiting. Returns false when only a full rescan
    /// can tell what changed.
    fn look_at_changes(&mut self, first: Option<Vec<(PathBuf, Change)>>) -> bool {
        let mut names = BTreeSet::new();
        let mut report = Some(first);
        let now = Instant::now();
        while let Some(paths) = report {
            let Some(paths) = paths else { return false };
            for (path, change) in paths {
                let Some(dir_idx) = self
                    .dirs
                    .iter()
                    .position(|dir| path.parent() == Some(dir.path.as_path()))
                else {
                    return false;
                };
                let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                    continue;
                };
                // In the order they happened: written, then closed, is
                // whole.
                self.settling.event(&path, change, now);
                // A lock coming or going changes whether its file may be
                // taken.
                if let Some(locked) = name.strip_suffix(".LOCK") {
                    names.insert((dir_idx, locked.to_owned()));
                }
                names.insert((dir_idx, name.to_owned()));
            }
            report = self.wakeups.try_recv().ok();
        }
        for (dir_idx, name) in names {
            self.look_at(dir_idx, &name, now);
        }
        true
    }

    /// Looks again at the files that were not whole and whose wait is up.
    fn look_at_due(&mut self) {
        let now = Instant::now();
        for path in self.settling.take_due(now) {
            let dir_idx = self
                .dirs
                .iter()
                .position(|dir| path.parent() == Some(dir.path.as_path()));
            let name = path.file_name().and_then(|name| name.to_str());
            if let (Some(dir_idx), Some(name)) = (dir_idx, name) {
                self.look_at(dir_idx, name, now);
            }
        }
    }

    /// [`Self::scan`] for one name in `self.dirs[dir_idx]`.
    fn look_at(&mut self, dir_idx: usize, name: &str, now: Instant) {
        let dir = &self.dirs[dir_idx].path;
        match spool_dir::candidate(dir, name) {
            Some(candidate) => {
                if !(self.pending.contains_key(name)
                    || self.checking.contains(name)
                    || self.spooled_by_handler.contains(name))
                {
                    self.arrived(dir_idx, candidate, now);
                }
            }
            None => {
                let path = dir.join(name);
                // A locked file keeps what was seen of it; a file gone is
                // forgotten.
                if fs::symlink_metadata(&path).is_err() {
                    self.settling.forget(&path);
                }
                // Our own move on to a queue's directory reports the old
                // path too: only a job still at this path is gone.
                if self
                    .pending
                    .get(name)
                    .is_some_and(|job| !job.in_flight && job.path == path)
                {
                    self.pending.remove(name);
                }
                if dir_idx == 0 {
                    self.spooled_by_handler.remove(name);
                }
                self.refusals.forget(&path);
            }
        }
    }

    /// Hands a new file to the checkhandler, if there is one. A file the
    /// journal knows was checked before a restart, and is not checked
    /// again.
    fn check_or_take(&mut self, candidate: spool_dir::Candidate) {
        let Some(program) = self.config.handlers.checkhandler.clone() else {
            self.take(candidate, None);
            return;
        };
        if self.recovered.contains_key(&candidate.name) {
            self.take(candidate, None);
            return;
        }
        // Nothing the daemon would refuse goes to the handler (a FIFO
        // there would hold it until its timeout).
        if let Err(refusal) = intake::open(&candidate.path, self.config.max_outgoing_bytes) {
            self.refused(&candidate, refusal);
            return;
        }
        self.checking.insert(candidate.name.clone());
        let timeout = self.config.handlers.timeout;
        let shutdown = self.shutdown.clone();
        let checks = self.checks_tx.clone();
        self.tasks.spawn(async move {
            let verdict = hooks::check(&program, &candidate.path, timeout, &shutdown).await;
            let _ = checks.send(CheckResult { candidate, verdict });
        });
    }

    /// Acts on the checkhandler's verdict.
    fn finish_check(&mut self, result: CheckResult) {
        let CheckResult { candidate, verdict } = result;
        self.checking.remove(&candidate.name);
        let name = candidate.name.clone();
        match verdict {
            // Read again: the handler may have rewritten it.
            Verdict::Accept => self.take(candidate, None),
            Verdict::Reject(reason) => self.reject_checked(&candidate, &reason),
            Verdict::Broken(reason) => {
                self.alarms
                    .raise(Severity::Error, "smsgate", &format!("{name}: {reason}"));
                self.reject_checked(&candidate, &reason);
            }
            Verdict::Spooled => {
                tracing::info!(
                    target: "smsgate",
                    "{name}: the checkhandler spooled it itself (exit status 2); left alone"
                );
                self.spooled_by_handler.insert(name);
            }
            Verdict::Interrupted => {}
        }
    }

    /// Reads, parses and plans a new file: into `pending` (a file from
    /// `outgoing/` moving on to its queue's directory), or to `failed/`.
    /// `from_queue`: the queue whose directory it was found in.
    fn take(&mut self, candidate: spool_dir::Candidate, from_queue: Option<Option<String>>) {
        let (mut bytes, mode) = match intake::read(&candidate.path, self.config.max_outgoing_bytes) {
            Ok(intake) => (intake.bytes, intake.mode),
            Err(refusal) => return self.refused(&candidate, refusal),
        };
        self.refusals.forget(&candidate.path);
        let name = candidate.name.clone();
        // Only a file the journal knew at the start is an earlier message;
        // any other is new, whatever its name.
        let recovered = self.recovered.get(&name).cloned();
        let state = recovered.as_deref().and_then(|id| self.store.state(id));
        let id = recovered.clone().unwrap_or_else(new_message_id);
        if let Some((part, modem, reason)) = state.as_ref().and_then(|state| state.unknown.clone()) {
            tracing::warn!(
                target: "smsgate",
                "{name}: part {part} was handed to modem {modem} and its outcome is unknown ({reason}); \
                 unknown-outcome = {:?}",
                self.config.unknown_outcome
            );
            bytes = spool::add_headers(&bytes, &[(OUTCOME_HEADER, "unknown".to_owned())]);
            if self.config.unknown_outcome == UnknownOutcome::Fail {
                let reason = format!(
                    "outcome unknown: part {part} was handed to modem {modem} but {reason}; it may have \
                     been sent, so it is not sent again (unknown-outcome = \"fail\")"
                );
                bytes = spool::add_headers(&bytes, &[(ID_HEADER, id.clone())]);
                if self.fail_file(
                    Some(&id),
                    &name,
                    &candidate.path,
                    &bytes,
                    mode,
                    &reason,
                    Some(&modem),
                    None,
                    false,
                ) {
                    self.recovered.remove(&name);
                }
                return;
            }
        }
        let planned = self.plan(&bytes, state.as_ref().map(|state| state.reference));
        let Planned {
            file,
            reference,
            pdus,
            call,
            notices,
        } = match planned {
            Ok(planned) => planned,
            Err(reason) => {
                let bytes = spool::add_headers(&bytes, &[(ID_HEADER, id.clone())]);
                if self.fail_file(
                    Some(&id),
                    &name,
                    &candidate.path,
                    &bytes,
                    mode,
                    &reason,
                    None,
                    None,
                    false,
                ) {
                    self.recovered.remove(&name);
                }
                return;
            }
        };
        let mut sent = vec![None; pdus.len()];
        if let Some(state) = &state {
            for (&part, &mr) in &state.sent {
                if let Some(slot) = sent.get_mut(part.wrapping_sub(1)) {
                    *slot = Some(mr);
                }
            }
        } else {
            let begin = Record::Begin {
                id: id.clone(),
                file: name.clone(),
                reference,
                parts: pdus.len(),
            };
            if let Err(err) = self.store.append(begin) {
                // Left where it is, taken again once the journal takes writes.
                self.store_failed(&format!("{name}: not taken"), &err);
                return;
            }
        }
        let bytes = spool::add_headers(&bytes, &[(ID_HEADER, id.clone())]);
        let queue = match from_queue {
            Some(queue)
                if !self.modems.is_empty()
                    && !self.modems.iter().any(|slot| slot.serves(queue.as_deref())) =>
            {
                Err(match &queue {
                    Some(queue) => format!("no modem serves queue {queue}, whose directory it is in"),
                    None => {
                        "no modem serves checked/, the default queue (every modem lists `queues`)".to_owned()
                    }
                })
            }
            Some(queue) => Ok(queue),
            None => self.queue_of(&file),
        };
        let queue = match queue {
            Ok(queue) => queue,
            Err(reason) => {
                self.fail_file(
                    Some(&id),
                    &name,
                    &candidate.path,
                    &bytes,
                    mode,
                    &reason,
                    None,
                    None,
                    false,
                );
                return;
            }
        };
        self.recovered.remove(&name);
        let path = match candidate.path.parent() == Some(self.dirs[0].path.as_path()) {
            true => self.move_to_queue(&name, &candidate.path, queue.as_deref()),
            false => candidate.path,
        };
        tracing::info!(target: "smsgate", "{name}: to {}, {} part(s)", file.to.number, pdus.len());
        self.pending.insert(Job {
            recipient: file.to.number.clone(),
            id,
            modem: state.and_then(|state| state.modem),
            finishing: None,
            name,
            path,
            bytes,
            mode,
            priority: file.priority,
            modified: candidate.modified,
            queue,
            pdus,
            sent,
            call,
            attempts: 0,
            retries: file.retries,
            not_before: None,
            in_flight: false,
            send_started: None,
            notices,
        });
    }

    /// Moves a checked file on from `outgoing/` to its queue's directory,
    /// as smstools3 does, and returns where it is now. The move need not be
    /// durable: the journal already knows the file, so one that is found
    /// back in `outgoing/` after a power loss is not checked again. A file
    /// of that name already there (someone else's) is never replaced: the
    /// file then waits in `outgoing/`.
    fn move_to_queue(&self, name: &str, path: &std::path::Path, queue: Option<&str>) -> PathBuf {
        let dir = match queue {
            None => &self.config.spool.checked,
            Some(queue) => match self.config.queues.get(queue) {
                Some(settings) => &settings.directory,
                None => return path.to_path_buf(),
            },
        };
        let target = dir.join(name);
        match nix::fcntl::renameat2(
            nix::fcntl::AT_FDCWD,
            path,
            nix::fcntl::AT_FDCWD,
            &target,
            nix::fcntl::RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => target,
            Err(err) => {
                tracing::warn!(
                    target: "smsgate",
                    "{name}: cannot move it to {} ({err}); it waits in outgoing/",
                    dir.display()
                );
                path.to_path_buf()
            }
        }
    }

    /// Moves a file the checkhandler rejected to `failed/`.
    fn reject_checked(&mut self, candidate: &spool_dir::Candidate, reason: &str) {
        let name = &candidate.name;
        match intake::read(&candidate.path, self.config.max_outgoing_bytes) {
            Ok(intake) => {
                self.fail_file(
                    None,
                    name,
                    &candidate.path,
                    &intake.bytes,
                    intake.mode,
                    reason,
                    None,
                    None,
                    false,
                );
            }
            Err(Refusal::Gone) => {
                tracing::info!(target: "smsgate", "{name}: {reason}, and it is gone already");
            }
            Err(refusal) => self.refused(candidate, refusal),
        }
    }

    /// Acts on intake's refusal of an entry: one too large goes to
    /// `failed/` unread; one that cannot be taken stays, and is logged
    /// and alarmed (smsd's "Cannot handle FILE: Access denied") once per
    /// version of it.
    fn refused(&mut self, candidate: &spool_dir::Candidate, refusal: Refusal) {
        let name = &candidate.name;
        match refusal {
            Refusal::Gone => {}
            Refusal::Cannot { reason, identity } => {
                if self.refusals.is_news(&candidate.path, identity, &reason) {
                    let text = format!("Cannot handle {name}: {reason}");
                    tracing::warn!(target: "smsgate", "{text}; left in {}", dir_of(&candidate.path));
                    self.alarms.raise(Severity::Error, "smsgate", &text);
                }
            }
            Refusal::TooLarge { mode, .. } => {
                let reason = refusal.reason();
                let record = FailedRecord {
                    modem: None,
                    imsi: None,
                    imei: None,
                    reason: reason.clone(),
                    failed: now(),
                    pdu: None,
                };
                let note = spool::render_failed(b"", &record);
                let failed = &self.config.spool.failed;
                match spool_dir::move_unread(&candidate.path, failed, name, &note, mode) {
                    Ok(target) => {
                        tracing::warn!(
                            target: "smsgate",
                            "{name}: failed: {reason}; moved unread, the reason is in {name}{}",
                            spool_dir::FAIL_NOTE_SUFFIX
                        );
                        self.refusals.forget(&candidate.path);
                        self.sent_index.forget(name);
                        // A file of an earlier run that grew past the
                        // limit since: its message ends here.
                        if let Some(id) = self.recovered.remove(name) {
                            self.end(&id);
                        }
                        self.event(hooks::failed_args(&target));
                    }
                    Err(err) => {
                        let reason = format!("{reason}, and it cannot be moved to failed/: {err}");
                        let identity = None;
                        if self.refusals.is_news(&candidate.path, identity, &reason) {
                            let text = format!("Cannot handle {name}: {reason}");
                            tracing::error!(target: "smsgate", "{text}");
                            self.alarms.raise(Severity::Error, "smsgate", &text);
                        }
                    }
                }
            }
        }
    }

    /// Parses and plans a file: its encoded PDUs, or every problem on one
    /// line for `Fail_reason:`.
    fn plan(&mut self, bytes: &[u8], reference: Option<u16>) -> Result<Planned, String> {
        let file = OutgoingFile::parse(bytes, &mut self.includes).map_err(|err| err.one_line())?;
        let reference = reference.unwrap_or_else(|| {
            self.next_reference = self.next_reference.wrapping_add(1);
            self.next_reference
        });
        // The message settings of the config are per modem; the file is
        // planned once, with those of the first modem that serves its queue.
        let queue = self.queue_of(&file).ok().flatten();
        let settings = self
            .modems
            .iter()
            .find(|slot| slot.serves(queue.as_deref()))
            .map(|slot| &slot.settings);
        let mut defaults = PlanDefaults {
            numbering: NumberingPolicy {
                international_prefixes: self.config.numbering.international_prefixes.clone(),
                national_prefixes: self.config.numbering.national_prefixes.clone(),
            },
            concat_reference: reference,
            national_tables: self.config.national_tables.clone(),
            ..PlanDefaults::default()
        };
        if let Some(settings) = settings {
            defaults.report = settings.report;
            defaults.autosplit = settings.autosplit;
            if let Some(validity) = settings.validity {
                defaults.validity = validity;
            }
            defaults.smsc = settings
                .smsc
                .as_deref()
                .and_then(|smsc| sms_pdu::Address::parse_phone(smsc).ok());
            defaults.smsc_pdu = settings.smsc_pdu;
            defaults.text_is_pdu_key = settings.text_is_pdu_key.clone();
        }
        let plan = spool::plan(&file, &defaults).map_err(|err| err.to_string())?;
        let sms = match plan {
            Plan::Sms(sms) => sms,
            Plan::Voicecall { destination, call } => {
                let call = PlannedCall::new(&destination, call)?;
                return Ok(Planned {
                    notices: file.notices.clone(),
                    file,
                    reference,
                    pdus: vec![Vec::new()],
                    call: Some(call),
                });
            }
        };
        let pdus = sms
            .pdus
            .iter()
            .map(sms_pdu::Pdu::encode)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| format!("cannot encode the message: {err}"))?;
        // [limits] max-parts: the check shared with `smsgate send` (issue 10).
        Limits::check_parts(self.config.limits.max_parts, pdus.len(), "[limits] max-parts")?;
        Ok(Planned {
            notices: file.notices.iter().chain(&sms.notices).cloned().collect(),
            file,
            reference,
            pdus,
            call: None,
        })
    }

    /// The queue of a file: its `Queue:`/`Provider:` header, else the queue
    /// whose prefix matches its number longest, else the default queue.
    fn queue_of(&self, file: &OutgoingFile) -> Result<Option<String>, String> {
        let queue = match &file.queue {
            Some(queue) => {
                if !self.config.queues.contains_key(queue) {
                    let names: Vec<&str> = self.config.queues.keys().map(String::as_str).collect();
                    return Err(format!(
                        "Queue: no queue {queue:?} (queues: {})",
                        names.join(", ")
                    ));
                }
                Some(queue.clone())
            }
            None => {
                let number = match file.to.short {
                    true => format!("s{}", file.to.number),
                    false => file.to.number.clone(),
                };
                self.config
                    .queues
                    .iter()
                    .flat_map(|(name, queue)| queue.prefixes.iter().map(move |prefix| (name, prefix)))
                    .filter(|(_, prefix)| number.starts_with(prefix.as_str()))
                    .max_by_key(|(_, prefix)| prefix.len())
                    .map(|(name, _)| name.clone())
            }
        };
        if !self.modems.is_empty() && !self.modems.iter().any(|slot| slot.serves(queue.as_deref())) {
            return Err(match &queue {
                Some(queue) => format!("no modem serves queue {queue}"),
                None => "no modem serves the default queue (every modem lists `queues`)".to_owned(),
            });
        }
        Ok(queue)
    }

    /// Hands waiting files to free modems.
    fn dispatch(&mut self) {
        // No send starts while a durable write is failing: its start could
        // not be journalled, nor its outcome.
        if self.shutdown.is_cancelled() || !self.health.is_healthy() {
            return;
        }
        let now = Instant::now();
        // Nothing to hand out without a free modem: the common case with
        // a backlog, and not worth sorting every waiting file for.
        let any_free = self
            .modems
            .iter()
            .any(|slot| !slot.busy && slot.blocked_until.is_none_or(|until| until <= now));
        if !any_free {
            return;
        }
        // The waiting files in their order, until every free modem has one:
        // no sorting of the whole backlog each time a modem is free.
        let n_modems = self.modems.len();
        let mut free: Vec<bool> = self
            .modems
            .iter()
            .map(|slot| !slot.busy && slot.blocked_until.is_none_or(|until| until <= now))
            .collect();
        let mut n_free = free.iter().filter(|&&free| free).count();
        let mut chosen = Vec::new();
        for job in self.pending.in_order() {
            if n_free == 0 {
                break;
            }
            if job.in_flight || job.finishing.is_some() || job.not_before.is_some_and(|at| at > now) {
                continue;
            }
            let modem = (0..n_modems)
                .map(|offset| (self.next_modem + offset) % n_modems)
                .find(|&idx| {
                    let slot = &self.modems[idx];
                    free[idx]
                        && slot.serves(job.queue.as_deref())
                        && may_send_on(job.modem.as_deref(), &slot.name)
                });
            let Some(modem_idx) = modem else { continue };
            free[modem_idx] = false;
            n_free -= 1;
            self.next_modem = (modem_idx + 1) % n_modems;
            chosen.push((job.name.clone(), modem_idx));
        }
        for (name, modem_idx) in chosen {
            self.start_send(&name, modem_idx);
        }
    }

    fn start_send(&mut self, name: &str, modem_idx: usize) {
        let Some(job) = self.pending.get_mut(name) else {
            return;
        };
        let slot = &mut self.modems[modem_idx];
        slot.busy = true;
        slot.blocked_until = None;
        job.in_flight = true;
        job.send_started = Some(Instant::now());
        let parts: Vec<(usize, Vec<u8>)> = job
            .pdus
            .iter()
            .enumerate()
            .filter(|(part_idx, _)| job.sent[*part_idx].is_none())
            .map(|(part_idx, pdu)| (part_idx + 1, pdu.clone()))
            .collect();
        tracing::debug!(target: "smsgate", "{name}: {} part(s) to modem {}", parts.len(), slot.name);
        let task = SendTask {
            id: job.id.clone(),
            file: name.to_owned(),
            modem_idx,
            modem_name: slot.name.clone(),
            handle: slot.handle.clone(),
            store: self.store.clone(),
            recipient: job.recipient.clone(),
            failed_dir: self.config.spool.failed.clone(),
            sent_index: self.sent_index.clone(),
            parts: job.pdus.len(),
            shutdown: self.shutdown.clone(),
        };
        let results = self.results_tx.clone();
        // A call the journal has as done (a restart before its file moved)
        // is not placed again: the empty part list just finishes it.
        let call = job.call.clone().filter(|_| !parts.is_empty());
        self.tasks.spawn(async move {
            let result = match call {
                Some(call) => task.call(call).await,
                None => task.send(parts).await,
            };
            // The scheduler waits for every result before it stops.
            let _ = results.send(result);
        });
    }

    /// Acts on a send task's report.
    fn finish_send(&mut self, mut result: SendResult) {
        let slot = &mut self.modems[result.modem_idx];
        if !result.modem_freed {
            slot.busy = false;
            result.modem_freed = true;
        }
        let modem_name = slot.name.clone();
        let Some(job) = self.pending.get_mut(&result.file) else {
            return;
        };
        for (part, mr) in &result.sent {
            if let Some(sent) = job.sent.get_mut(part - 1) {
                *sent = Some(*mr);
            }
        }
        if !result.sent.is_empty() && job.modem.is_none() {
            job.modem = Some(modem_name.clone());
        }
        if let Some(record) = &result.unrecorded {
            // The modem's answer is known, the journal does not have it:
            // the file waits, in flight, until it has (never sent on, never
            // taken again from what the journal said before).
            let what = format!("{}: part outcome not journalled", result.file);
            let err = format!("{record:?}");
            self.deferred.push(result);
            self.store_failed(&what, &err);
            return;
        }
        job.in_flight = false;
        let modem_at_fault = !matches!(result.outcome, Outcome::Refused(_));
        match result.outcome {
            Outcome::Done => {
                self.modems[result.modem_idx].failures_in_row = 0;
                if job.sent.iter().all(Option::is_some) {
                    self.send_done(&result.file, result.modem_idx, false);
                }
            }
            Outcome::Interrupted => {}
            Outcome::StoreFailed(reason) => {
                // Not tried, not counted: against neither the file nor the
                // modem. Sent again once the storage takes writes.
                self.store_failed(&result.file, &reason);
            }
            Outcome::Failed(reason) => {
                // The modem did its part; the callee did not.
                self.modems[result.modem_idx].failures_in_row = 0;
                if let Some(job) = self.pending.remove(&result.file) {
                    self.fail_job(job, &reason, Some(&modem_name), None, false);
                }
            }
            Outcome::Unknown(reason) => {
                job.bytes = spool::add_headers(&job.bytes, &[(OUTCOME_HEADER, "unknown".to_owned())]);
                tracing::warn!(target: "smsgate", "{}: {reason}", result.file);
                if self.config.unknown_outcome == UnknownOutcome::Fail {
                    let job = self.pending.remove(&result.file);
                    if let Some(job) = job {
                        let reason = format!("outcome unknown: {reason}");
                        let text = format!("{}: failed: {reason}", job.name);
                        self.alarms.raise(Severity::Error, &modem_name, &text);
                        self.fail_job(job, &reason, Some(&modem_name), None, false);
                    }
                }
                self.modem_failed(result.modem_idx);
            }
            Outcome::NotSent(reason) | Outcome::Refused(reason) => {
                job.attempts += 1;
                // A file's `Retries:` overrides the modem's send-retries (smsd).
                let retries = job
                    .retries
                    .unwrap_or(self.modems[result.modem_idx].settings.send_retries);
                let give_up = job.attempts > retries;
                let pdu = job
                    .sent
                    .iter()
                    .position(Option::is_none)
                    .and_then(|part_idx| job.pdus.get(part_idx))
                    .filter(|pdu| !pdu.is_empty())
                    .map(|pdu| hex(pdu));
                if give_up {
                    tracing::warn!(target: "smsgate", "{}: {reason}; giving up after {} tries", result.file, job.attempts);
                    if let Some(job) = self.pending.remove(&result.file) {
                        let text = format!(
                            "{}: sending failed, given up after {} tries: {reason}",
                            job.name, job.attempts
                        );
                        self.alarms.raise(Severity::Error, &modem_name, &text);
                        self.fail_job(job, &reason, Some(&modem_name), pdu, false);
                    }
                } else {
                    let backoff = self
                        .config
                        .limits
                        .retry_interval
                        .saturating_mul(1 << (job.attempts - 1).min(16))
                        .min(MAX_BACKOFF);
                    tracing::warn!(
                        target: "smsgate",
                        "{}: {reason}; try {} of {} in {} s",
                        result.file,
                        job.attempts + 1,
                        retries + 1,
                        backoff.as_secs_f32()
                    );
                    let retry_at = Instant::now() + backoff;
                    let text = format!(
                        "{}: sending failed, try {} of {} in {} s: {reason}",
                        result.file,
                        job.attempts + 1,
                        retries + 1,
                        backoff.as_secs_f32()
                    );
                    self.alarms.raise(Severity::Notice, &modem_name, &text);
                    self.pending.retry_at(&result.file, retry_at);
                }
                if modem_at_fault {
                    self.modem_failed(result.modem_idx);
                }
            }
        }
    }

    /// Counts a failure of a modem, and blocks it after `block-after` in a
    /// row.
    fn modem_failed(&mut self, modem_idx: usize) {
        let slot = &mut self.modems[modem_idx];
        slot.failures_in_row += 1;
        if slot.failures_in_row >= slot.settings.block_after {
            tracing::warn!(
                target: "smsgate",
                "modem {}: {} failures in a row, blocked for {} s; its work goes to the others",
                slot.name,
                slot.failures_in_row,
                slot.settings.block_time.as_secs()
            );
            let text = format!(
                "sending failed {} times in a row; modem blocked for {} s",
                slot.failures_in_row,
                slot.settings.block_time.as_secs()
            );
            self.alarms.raise(Severity::Critical, &slot.name, &text);
            slot.failures_in_row = 0;
            slot.blocked_until = Some(Instant::now() + slot.settings.block_time);
            let modem = slot.name.clone();
            self.fail_stranded(&modem);
        }
    }

    /// A modem that was reopened and set up again is given work again at
    /// once: the failures that blocked it were its port's or its hang's.
    fn unblock(&mut self, name: &str) {
        for slot in self.modems.iter_mut().filter(|slot| slot.name == name) {
            if slot.blocked_until.take().is_some() {
                tracing::info!(target: "smsgate", "modem {name}: set up again, no longer blocked");
            }
            slot.failures_in_row = 0;
        }
    }

    /// `modem` is blocked: a file with parts out on it cannot be finished
    /// there now, nor anywhere else (the recipient could not join parts
    /// from two sender numbers), so it fails whole.
    fn fail_stranded(&mut self, modem: &str) {
        let stranded: Vec<String> = self
            .pending
            .values()
            .filter(|job| !job.in_flight && job.finishing.is_none() && job.modem.as_deref() == Some(modem))
            .map(|job| job.name.clone())
            .collect();
        for name in stranded {
            let Some(job) = self.pending.remove(&name) else {
                continue;
            };
            let sent = job.sent.iter().filter(|part| part.is_some()).count();
            let reason = format!(
                "{sent} of {} parts went out on modem {modem}, which is blocked now; the others cannot go \
                 out on another modem (the recipient could not join them)",
                job.sent.len()
            );
            let pdu = job
                .sent
                .iter()
                .position(Option::is_none)
                .and_then(|part_idx| job.pdus.get(part_idx))
                .map(|pdu| hex(pdu));
            tracing::warn!(target: "smsgate", "{name}: {reason}");
            self.fail_job(job, &reason, Some(modem), pdu, false);
        }
    }

    /// Moves a fully sent file to `sent/`. Returns false when that failed:
    /// the file then waits for the storage, and is never sent again.
    fn send_done(&mut self, name: &str, modem_idx: usize, retrying: bool) -> bool {
        let Some(mut job) = self.pending.remove(name) else {
            return true;
        };
        let slot = &self.modems[modem_idx];
        let message_ids: Vec<u8> = match job.call {
            // A call has no message reference.
            Some(_) => Vec::new(),
            None => job.sent.iter().flatten().copied().collect(),
        };
        let record = SentRecord {
            modem: slot.name.clone(),
            sent: now(),
            // Whole seconds, as smsd writes it.
            sending_time: job
                .send_started
                .map(|started| u32::try_from(started.elapsed().as_secs()).unwrap_or(u32::MAX)),
            message_ids: message_ids.clone(),
            imsi: slot.identity.imsi.clone(),
            imei: slot.identity.imei.clone(),
            pdus: self.config.store_sent_pdu.sent_lines(&job.pdus),
            notices: job.notices.clone(),
        };
        let bytes = spool::render_sent(&job.bytes, &record);
        // Under the index's lock: a status report that came while the
        // message was being sent is written with it, and one that comes
        // now waits until the file is there.
        let sent_dir = &self.config.spool.sent;
        let written = self.sent_index.write_sent(name, |early| {
            let reports: Vec<(&str, String)> = early
                .iter()
                .map(|line| (STATUS_REPORT_HEADER, line.clone()))
                .collect();
            let bytes = match reports.is_empty() {
                true => bytes,
                false => spool::add_headers(&bytes, &reports),
            };
            self.store
                .finish(&job.path, sent_dir, name, &bytes, job.mode, retrying)
        });
        match written {
            Ok(target) => {
                tracing::info!(target: "smsgate", "{name}: sent by {} ({})", slot.name, target.display());
                self.end(&job.id);
                self.event(hooks::sent_args(&target, &message_ids));
                true
            }
            Err(err) => {
                // Sent, but the file could not be moved: it waits, never
                // sent again, and the journal keeps its parts as sent, so a
                // restart moves it without sending.
                let what = format!("{name}: sent, but cannot write it to sent/");
                job.finishing = Some(Finish::Sent { modem_idx });
                self.pending.insert(job);
                self.store_failed(&what, &err);
                false
            }
        }
    }

    /// Moves a job's file to `failed/` with the reason; when that fails,
    /// the job waits for the storage (see [`Scheduler::send_done`]).
    fn fail_job(
        &mut self,
        mut job: Job,
        reason: &str,
        modem: Option<&str>,
        pdu: Option<String>,
        retrying: bool,
    ) -> bool {
        let failed = self.fail_file(
            Some(&job.id),
            &job.name,
            &job.path,
            &job.bytes,
            job.mode,
            reason,
            modem,
            pdu.clone(),
            retrying,
        );
        if !failed {
            job.finishing = Some(Finish::Failed {
                reason: reason.to_owned(),
                modem: modem.map(str::to_owned),
                pdu,
            });
            self.pending.insert(job);
        }
        failed
    }

    /// Moves a file to `failed/` with the reason, and ends message `id`
    /// (`None`: never journalled). Returns false when the move failed.
    #[allow(clippy::too_many_arguments)]
    fn fail_file(
        &mut self,
        id: Option<&str>,
        name: &str,
        path: &std::path::Path,
        bytes: &[u8],
        mode: u32,
        reason: &str,
        modem: Option<&str>,
        pdu: Option<String>,
        retrying: bool,
    ) -> bool {
        let slot = modem.and_then(|modem| self.modems.iter().find(|slot| slot.name == modem));
        let record = FailedRecord {
            modem: modem.map(str::to_owned),
            imsi: slot.and_then(|slot| slot.identity.imsi.clone()),
            imei: slot.and_then(|slot| slot.identity.imei.clone()),
            reason: reason.to_owned(),
            failed: now(),
            pdu: pdu.filter(|_| self.config.store_sent_pdu.stores_failed()),
        };
        let rendered = spool::render_failed(bytes, &record);
        match self
            .store
            .finish(path, &self.config.spool.failed, name, &rendered, mode, retrying)
        {
            Ok(target) => {
                tracing::warn!(target: "smsgate", "{name}: failed: {reason}");
                self.sent_index.forget(name);
                if let Some(id) = id {
                    self.end(id);
                }
                self.event(hooks::failed_args(&target));
                true
            }
            Err(err) => {
                self.store_failed(&format!("{name}: cannot write it to failed/"), &err);
                false
            }
        }
    }

    /// Ends message `id` in the journal; a failed write is retried with the
    /// others (its file is in `sent/` or `failed/` already, with the id).
    fn end(&mut self, id: &str) {
        if self.store.state(id).is_none() {
            return;
        }
        if let Err(err) = self.store.append(Record::End { id: id.to_owned() }) {
            self.unended.push(id.to_owned());
            self.store_failed(&format!("message {id}: finished, end not journalled"), &err);
        }
    }

    /// Runs the eventhandler, if one is configured, without waiting for it.
    fn event(&self, args: Vec<OsString>) {
        if let Some(program) = self.config.handlers.eventhandler.clone() {
            self.tasks
                .spawn(hooks::run(program, args, self.config.handlers.timeout));
        }
    }

    /// The next moment something waits for: a retry, or a blocked modem.
    fn next_deadline(&mut self) -> Option<Instant> {
        let now = Instant::now();
        let retry = self.pending.next_retry(now);
        let unblocks = self.modems.iter().filter_map(|slot| slot.blocked_until);
        let store_retry = self
            .health
            .next_try()
            .map(|at| at.max(now + Duration::from_millis(1)));
        // While intake pauses, files still settling wait for the rescan
        // that follows the recovery.
        let settled = if self.health.is_healthy() {
            self.settling.next_due().map(|at| at.max(now))
        } else {
            None
        };
        retry
            .into_iter()
            .chain(unblocks)
            .filter(|&at| at > now)
            .chain(store_retry)
            .chain(settled)
            .min()
    }
}

/// What a watcher event tells the scheduler: nothing (`None`), the paths
/// that changed and how, or (`Some(None)`) that only a full rescan can
/// tell (an error, an overflow).
fn wakeup_of(event: notify::Result<notify::Event>) -> Option<Option<Vec<(PathBuf, Change)>>> {
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    use notify::EventKind;
    match event {
        // Opening or reading a file or the directory changes nothing; and
        // smsgate's own reads (each scan opens the directory, each file is
        // read when taken) would otherwise wake it again at once, a rescan
        // of every waiting file after another.
        Ok(notify::Event {
            kind: notify::EventKind::Access(access),
            ..
        }) if access != AccessKind::Close(AccessMode::Write) => None,
        Ok(event) if !event.need_rescan() && !event.paths.is_empty() => {
            let change = match event.kind {
                // IN_CLOSE_WRITE, IN_MOVED_TO: whole.
                EventKind::Access(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => Change::Settled,
                // IN_CREATE, IN_MODIFY: a writer has it open.
                EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_)) => Change::Written,
                // A rename's other halves (`Both` repeats the `To`), a
                // removal, a chmod: the look tells.
                _ => Change::Other,
            };
            Some(Some(event.paths.into_iter().map(|path| (path, change)).collect()))
        }
        _ => Some(None),
    }
}

/// Raises an alarm when a modem's port is lost, the modem stops answering,
/// and at each step of its recovery, until shutdown; tells the scheduler
/// when the modem is set up again.
async fn watch_port(
    name: String,
    handle: ModemHandle,
    alarms: Alarms,
    shutdown: CancellationToken,
    reconnected: mpsc::UnboundedSender<String>,
) {
    let mut events = handle.subscribe();
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(ModemEvent::Disconnected { cause }) => {
                let text = format!("port {} lost ({cause}); reopening it", handle.port());
                alarms.raise(Severity::Error, &name, &text);
            }
            Ok(ModemEvent::Hung) => {
                let text = format!("the modem on {} does not answer", handle.port());
                alarms.raise(Severity::Error, &name, &text);
            }
            Ok(ModemEvent::Recovery(step)) => {
                let severity = match step {
                    RecoveryStep::Recovered { .. } => Severity::Notice,
                    _ => Severity::Error,
                };
                alarms.raise(
                    severity,
                    &name,
                    &format!("the modem on {}: {step}", handle.port()),
                );
            }
            Ok(ModemEvent::Reconnected) => {
                let _ = reconnected.send(name.clone());
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Whether the finished file at `path` is message `id`'s: its headers
/// carry [`ID_HEADER`] with it.
fn carries_id(path: &std::path::Path, id: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let wanted = format!("{ID_HEADER}: {id}");
    bytes
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
        .any(|line| line == wanted.as_bytes())
}

/// Whether the file at `source` is the original of the finished file
/// `finished` (which is it with headers added): the same body, and each
/// of its header lines among the finished one's.
fn is_original_of(source: &std::path::Path, finished: &std::path::Path) -> bool {
    let (Ok(source), Ok(finished)) = (std::fs::read(source), std::fs::read(finished)) else {
        return false;
    };
    let split = |bytes: &[u8]| -> (Vec<Vec<u8>>, Vec<u8>) {
        let text = bytes.to_vec();
        let at = text
            .windows(2)
            .position(|pair| pair == b"\n\n")
            .map_or(text.len(), |at| at + 1);
        let headers = text[..at]
            .split(|&byte| byte == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
            .filter(|line| !line.is_empty())
            .collect();
        (headers, text[at..].to_vec())
    };
    let ((source_headers, source_body), (finished_headers, finished_body)) =
        (split(&source), split(&finished));
    source_body == finished_body && source_headers.iter().all(|line| finished_headers.contains(line))
}

/// Whether a file whose parts went out on `pinned` (if any did) may be
/// sent on by the modem `candidate`: only a file with no part sent may
/// move to another modem, since a recipient cannot join parts that came
/// from two sender numbers.
fn may_send_on(pinned: Option<&str>, candidate: &str) -> bool {
    pinned.is_none_or(|pinned| pinned == candidate)
}

/// The directory of an entry, for a log line.
fn dir_of(path: &std::path::Path) -> std::path::Display<'_> {
    path.parent().unwrap_or(path).display()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, EventKind, Flag, MetadataKind, ModifyKind,
        RemoveKind, RenameMode,
    };
    use notify::Event;

    use super::*;

    fn event(kind: EventKind, path: &str) -> notify::Result<Event> {
        Ok(Event::new(kind).add_path(PathBuf::from(path)))
    }

    /// The cause of the slowdown with a large backlog: every scan opens
    /// `outgoing/`, inotify reports the open, and the wakeup it caused
    /// started the next full scan, without end.
    #[test]
    fn own_reads_do_not_wake_the_scheduler() {
        for access in [
            AccessKind::Open(AccessMode::Any),
            AccessKind::Read,
            AccessKind::Close(AccessMode::Read),
            AccessKind::Any,
        ] {
            assert_eq!(
                wakeup_of(event(EventKind::Access(access), "/spool/outgoing")),
                None
            );
        }
    }

    #[test]
    fn changes_wake_it_with_their_paths_only() {
        for (kind, change) in [
            (EventKind::Create(CreateKind::File), Change::Written),
            (
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                Change::Written,
            ),
            (EventKind::Remove(RemoveKind::File), Change::Other),
            (
                EventKind::Modify(ModifyKind::Name(RenameMode::From)),
                Change::Other,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
                Change::Other,
            ),
            (
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                Change::Settled,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                Change::Settled,
            ),
        ] {
            assert_eq!(
                wakeup_of(event(kind, "/spool/outgoing/m1")),
                Some(Some(vec![(PathBuf::from("/spool/outgoing/m1"), change)]))
            );
        }
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert_eq!(wakeup_of(Ok(overflow)), Some(None));
        assert_eq!(wakeup_of(Err(notify::Error::generic("lost"))), Some(None));
    }
}
