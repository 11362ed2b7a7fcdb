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
//!
//! This file holds the types, the loop and the dispatch to modems; taking
//! a file is in `intake`, outcomes, finishing and recovery in `finish`,
//! and the port watch, the watcher's wakeups and small free helpers in
//! `watch`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use modem::{Identity, ModemHandle};
use notify::Watcher as _;
use spool::{OutgoingFile, Priority};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::before_send::{ContinuousSending, SweepRequester};
use crate::daemon_config::{DaemonConfig, ModemSettings};
use crate::hooks::{self, Alarms, Verdict};
use crate::include::ConfinedIncludes;
use crate::intake::Refusals;
use crate::ops::SchedulerOp;
use crate::reports::SentIndex;
use crate::sd_notify;
use crate::send_store::{SendStore, SharedStore};
use crate::send_task::{SendResult, SendTask};
use crate::settle::{Change, Settling};
use crate::sim_limits::book::{Admission, LimitBook, Reservation};
use crate::sim_limits::Now;
use crate::spool_dir;
use crate::status_board::StatusBoard;
use crate::store_health::{RetryPolicy, StoreHealth};
use crate::voicecall::PlannedCall;

mod finish;
mod intake;
mod names;
mod ops;
mod watch;

use watch::{may_send_on, wakeup_of, watch_port};

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
    busy: bool,
    failures_in_row: u32,
    blocked_until: Option<Instant>,
    /// `smsgate ctl modem NAME suspend`: given no new message.
    suspended: bool,
    /// Closed by a reload or a reopen (a new slot may take its name): never
    /// given a message again. Kept, as sends name their modem by index.
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
            busy: false,
            failures_in_row: 0,
            blocked_until: None,
            suspended: false,
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
    /// The parts of its send in flight counted against its modem's
    /// limits ([`LimitBook`]), to give back those that did not go out.
    reserved: Option<Reservation>,
    /// It was said to wait for its modems' limits (said once).
    limit_noted: bool,
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

/// The SMS of `job` still to go out, as its modem's limits count them (a
/// voice call is no SMS).
fn unsent_parts(job: &Job) -> u32 {
    if job.call.is_some() {
        return 0;
    }
    u32::try_from(job.sent.iter().filter(|sent| sent.is_none()).count()).unwrap_or(u32::MAX)
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
    /// The modems' per-SIM counts (`[modems.NAME.limits]`).
    limits: LimitBook,
    /// Kept for its inotify watch (also of the queues a reload adds).
    _watcher: Option<notify::RecommendedWatcher>,
    /// Live operations (crate::ops), modems being taken out, the status
    /// board and when the queues were last counted for it (scheduler/ops.rs).
    ops: mpsc::UnboundedReceiver<SchedulerOp>,
    retiring: Vec<ops::Retiring>,
    board: StatusBoard,
    queues_shown: Option<Instant>,
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
        let limits = LimitBook::open(
            &config.spool.base,
            config.modes.file,
            config
                .modems
                .iter()
                .map(|(name, modem)| (name.clone(), modem.sim_limits.clone()))
                .collect(),
        );
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
            limits,
            _watcher: watcher,
            // Replaced by `with_ops`; a closed channel meanwhile.
            ops: mpsc::unbounded_channel().1,
            retiring: Vec::new(),
            board: StatusBoard::new(chrono::Local::now()),
            queues_shown: None,
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
        self.show_all();
        let mut next_scan = Instant::now();
        loop {
            self.finish_retiring();
            self.publish();
            // sd_notify.rs: the watchdog pings only while this loop turns.
            sd_notify::PULSE.turn(self.snapshot()).await;
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
                Some(op) = self.ops.recv() => self.on_op(op),
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
        self.show(self.modems.len() - 1);
    }

    /// What `systemctl status` shows (sd_notify.rs); cheap on every turn.
    fn snapshot(&self) -> sd_notify::Snapshot {
        let now = Instant::now();
        sd_notify::Snapshot {
            modems_up: self.modems.len(),
            modems_blocked: self
                .modems
                .iter()
                .filter(|slot| slot.blocked_until.is_some_and(|until| until > now))
                .count(),
            queued: self.pending.jobs.len(),
            sending: self.modems.iter().filter(|slot| slot.busy).count(),
        }
    }

    /// The number of jobs whose send has not been acted on yet.
    fn in_flight_count(&self) -> usize {
        self.pending.values().filter(|job| job.in_flight).count()
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
        let any_free = self.modems.iter().any(|slot| slot.is_free(now));
        if !any_free {
            return;
        }
        // The waiting files in their order, until every free modem has one:
        // no sorting of the whole backlog each time a modem is free.
        let n_modems = self.modems.len();
        let mut free: Vec<bool> = self.modems.iter().map(|slot| slot.is_free(now)).collect();
        let mut n_free = free.iter().filter(|&&free| free).count();
        let mut chosen = Vec::new();
        // Jobs no modem took, to say once if limits hold them.
        let mut held = Vec::new();
        let limits_now = Now::real();
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
                        && self.limits.admits(&slot.name, unsent_parts(job), limits_now) == Admission::Admit
                });
            let Some(modem_idx) = modem else {
                if !job.limit_noted {
                    held.push((job.name.clone(), job.queue.clone(), unsent_parts(job)));
                }
                continue;
            };
            free[modem_idx] = false;
            n_free -= 1;
            self.next_modem = (modem_idx + 1) % n_modems;
            chosen.push((job.name.clone(), modem_idx));
        }
        for (name, modem_idx) in chosen {
            self.start_send(&name, modem_idx, limits_now);
        }
        for (name, queue, parts) in held {
            self.note_limits(&name, queue.as_deref(), parts, limits_now);
        }
    }

    /// Says once why a job waits when every free modem serving it is at
    /// one of its limits.
    fn note_limits(&mut self, name: &str, queue: Option<&str>, parts: u32, now: Now) {
        let mut reasons = Vec::new();
        for slot in self.modems.iter().filter(|slot| slot.serves(queue)) {
            match self.limits.admits(&slot.name, parts, now) {
                Admission::Admit => return,
                Admission::Refuse(why) => reasons.push(format!("modem {}: {why}", slot.name)),
            }
        }
        if reasons.is_empty() {
            return;
        }
        if let Some(job) = self.pending.get_mut(name) {
            job.limit_noted = true;
        }
        tracing::warn!(target: "smsgate", "{name}: waits: every modem serving it is at a limit ({})", reasons.join("; "));
    }

    fn start_send(&mut self, name: &str, modem_idx: usize, now: Now) {
        let Some(id) = self.pending.get_mut(name).map(|job| job.id.clone()) else {
            return;
        };
        let finished_name = self.sent_name(name, &self.modems[modem_idx].name, &id);
        let Some(job) = self.pending.get_mut(name) else {
            return;
        };
        // A cancel over the HTTP API (daemon/http/cancel.rs) wins until here.
        if !self.config.cancels.may_start(&job.id) {
            if let Some(job) = self.pending.remove(name) {
                let reason = crate::http::cancel::CANCELLED_REASON;
                self.fail_job(job, reason, None, None, false);
            }
            return;
        }
        let slot = &mut self.modems[modem_idx];
        // Counted durably before the first PDU goes: a count that cannot
        // be kept stops this send (the modem's limits would be blind).
        match self.limits.reserve(&slot.name, unsent_parts(job), now) {
            Ok((reserved, reached)) => {
                job.reserved = reserved;
                if let Some(text) = reached {
                    tracing::warn!(target: "smsgate", "modem {}: {text}; other modems take its messages", slot.name);
                    self.alarms.raise(hooks::Severity::Warning, &slot.name, &text);
                }
            }
            Err(err) => {
                let text = format!(
                    "cannot write its message counts ({err}); it sends nothing until they can be written"
                );
                tracing::error!(target: "smsgate", "modem {}: {text}", slot.name);
                self.alarms.raise(hooks::Severity::Error, &slot.name, &text);
                return;
            }
        }
        slot.busy = true;
        slot.blocked_until = None;
        job.in_flight = true;
        let sending = crate::status_board::Event::State(crate::status_board::ModemState::Sending);
        self.board.record(&slot.name, sending);
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
            finished_name,
            modem_idx,
            modem_name: slot.name.clone(),
            handle: slot.handle.clone(),
            store: self.store.clone(),
            recipient: job.recipient.clone(),
            failed_dir: self.config.spool.failed.clone(),
            sent_index: self.sent_index.clone(),
            parts: job.pdus.len(),
            check_network: slot.settings.tasks.check_network,
            // smsd reads the storage before a send with receive_before_send,
            // and once a run of sends has lasted max_continuous_sending.
            sweep_first: {
                let tasks = &slot.settings.tasks;
                let run_over = slot
                    .continuous
                    .starts(Instant::now(), tasks.max_continuous_sending);
                slot.sweep
                    .clone()
                    .filter(|_| tasks.receive_before_send || run_over)
            },
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

    /// Runs the eventhandler, if one is configured, without waiting for it:
    /// `modem`'s own, if it has one (smsd's per-modem `eventhandler`),
    /// else `[handlers] eventhandler`.
    fn event(&self, modem: Option<&str>, args: Vec<OsString>) {
        let own = modem
            .and_then(|modem| self.config.modems.get(modem))
            .and_then(|settings| settings.features.eventhandler.clone());
        if let Some(program) = own.or_else(|| self.config.handlers.eventhandler.clone()) {
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
