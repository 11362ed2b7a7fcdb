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

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use modem::{Identity, ModemError, ModemEvent, ModemHandle};
use notify::Watcher as _;
use spool::{FailedRecord, NumberingPolicy, OutgoingFile, Plan, PlanDefaults, Priority, SentRecord};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::daemon::clock::now;
use crate::daemon::hooks::{self, Alarms, Severity, Verdict};
use crate::daemon::include::ConfinedIncludes;
use crate::daemon::journal::{Journal, Record};
use crate::daemon::reports::{SentIndex, STATUS_REPORT_HEADER};
use crate::daemon::spool_dir;
use crate::daemon::voicecall::{self, CallOutcome, PlannedCall};
use crate::daemon_config::{DaemonConfig, Limits, ModemSettings, UnknownOutcome};

/// How often `outgoing/` is scanned even without an inotify event (files
/// on NFS, a watcher that failed, events lost to an overflow).
const RESCAN_INTERVAL: Duration = Duration::from_secs(2);

/// The longest wait between retries of one file.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// The header that flags a file whose send was cut off.
pub(crate) const OUTCOME_HEADER: &str = "X-Smsgate-Outcome";

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
    name: String,
    /// Where it is now: `outgoing/` or its queue's directory.
    path: PathBuf,
    /// The file as read (with the outcome flag, if it has one).
    bytes: Vec<u8>,
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
    not_before: Option<Instant>,
    in_flight: bool,
}

/// A file read and planned.
struct Planned {
    file: OutgoingFile,
    reference: u16,
    /// Encoded PDUs, SMSC address first; one empty part for a call.
    pdus: Vec<Vec<u8>>,
    call: Option<PlannedCall>,
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

/// What a send task reports.
#[derive(Debug)]
enum Outcome {
    /// Every part it was given went out.
    Done,
    /// A part was refused; nothing of it went out.
    NotSent(String),
    /// A part was refused for a reason of its own (its number, its
    /// content: see [`blames_the_message`]); nothing of it went out. Retried
    /// like [`Outcome::NotSent`], but no sign that the modem is failing.
    Refused(String),
    /// A part may or may not have gone out.
    Unknown(String),
    /// Shutdown came between two parts.
    Interrupted,
    /// A voice call rang but was not answered, or broke off: failed, and
    /// not tried again.
    Failed(String),
}

/// What a checkhandler task reports.
#[derive(Debug)]
struct CheckResult {
    candidate: spool_dir::Candidate,
    verdict: Verdict,
}

#[derive(Debug)]
struct SendResult {
    file: String,
    modem_idx: usize,
    /// Parts (from 1) that went out, with their references.
    sent: Vec<(usize, u8)>,
    outcome: Outcome,
}

/// See the module docs.
pub(crate) struct Scheduler {
    config: DaemonConfig,
    journal: Arc<Mutex<Journal>>,
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
    /// The watcher's reports: the paths that changed, or `None` when only
    /// a full rescan can tell (an error, an overflow).
    wakeups: mpsc::UnboundedReceiver<Option<Vec<PathBuf>>>,
    /// Files with the checkhandler now.
    checking: HashSet<String>,
    /// Files whose checkhandler said it spooled them itself (exit status
    /// 2): left alone until they leave `outgoing/`.
    spooled_by_handler: HashSet<String>,
    checks_tx: mpsc::UnboundedSender<CheckResult>,
    checks: mpsc::UnboundedReceiver<CheckResult>,
    includes: ConfinedIncludes,
    alarms: Alarms,
    /// Kept for its inotify watch.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Scheduler {
    pub(crate) fn new(
        config: DaemonConfig,
        journal: Journal,
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
        let tasks = TaskTracker::new();
        let alarms = Alarms::new(&config.handlers, tasks.clone());
        let includes = ConfinedIncludes::new(config.include_dir.clone());
        // Concatenation references only need to differ between messages
        // to the same number that are in the air at the same time.
        let next_reference = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos() as u16);
        Ok(Scheduler {
            config,
            journal: Arc::new(Mutex::new(journal)),
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
            checking: HashSet::new(),
            spooled_by_handler: HashSet::new(),
            checks_tx,
            checks,
            includes,
            alarms,
            _watcher: watcher,
        })
    }

    /// Runs until the shutdown token fires and every send in flight has
    /// been finished and recorded; then closes the modems.
    pub(crate) async fn run(mut self) -> anyhow::Result<()> {
        self.forget_vanished_files()?;
        for slot in &self.modems {
            self.tasks.spawn(watch_port(
                slot.name.clone(),
                slot.handle.clone(),
                self.alarms.clone(),
                self.shutdown.clone(),
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
            if Instant::now() >= next_scan {
                self.scan();
                next_scan = Instant::now() + RESCAN_INTERVAL;
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
                Some(first) = self.wakeups.recv() => {
                    if !self.look_at_changes(first) {
                        next_scan = Instant::now();
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        // Every send in flight ends its exchange and reports; its outcome
        // is acted on like any other.
        while self.pending.values().any(|job| job.in_flight) {
            match self.results.recv().await {
                Some(result) => self.finish_send(result),
                None => break,
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
        ));
        self.modems.push(slot);
    }

    /// Ends the journal's records of files no longer in `outgoing/` or a
    /// queue's directory: they reached `sent/` or `failed/` just before a
    /// crash, or were removed.
    fn forget_vanished_files(&mut self) -> anyhow::Result<()> {
        let mut journal = self
            .journal
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
        for file in journal.open_files() {
            if !self.dirs.iter().any(|dir| dir.path.join(&file).exists()) {
                journal.append(Record::End { file })?;
            }
        }
        Ok(())
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
        for (dir_idx, candidate) in found {
            if self.pending.contains_key(&candidate.name)
                || self.checking.contains(&candidate.name)
                || self.spooled_by_handler.contains(&candidate.name)
            {
                continue;
            }
            self.arrived(dir_idx, candidate);
        }
    }

    /// A new file in `self.dirs[dir_idx]`.
    fn arrived(&mut self, dir_idx: usize, candidate: spool_dir::Candidate) {
        match self.dirs[dir_idx].stage.clone() {
            Stage::Outgoing => self.check_or_take(candidate),
            Stage::Queue(queue) => self.take(candidate, Some(queue)),
        }
    }

    /// Looks at just the files the watcher reported changed (this report
    /// and any queued behind it), so that a wakeup costs the same whatever
    /// the number of files waiting. Returns false when only a full rescan
    /// can tell what changed.
    fn look_at_changes(&mut self, first: Option<Vec<PathBuf>>) -> bool {
        let mut names = BTreeSet::new();
        let mut report = Some(first);
        while let Some(paths) = report {
            let Some(paths) = paths else { return false };
            for path in paths {
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
            self.look_at(dir_idx, &name);
        }
        true
    }

    /// [`Self::scan`] for one name in `self.dirs[dir_idx]`.
    fn look_at(&mut self, dir_idx: usize, name: &str) {
        let dir = &self.dirs[dir_idx].path;
        match spool_dir::candidate(dir, name) {
            Some(candidate) => {
                if !(self.pending.contains_key(name)
                    || self.checking.contains(name)
                    || self.spooled_by_handler.contains(name))
                {
                    self.arrived(dir_idx, candidate);
                }
            }
            None => {
                let path = dir.join(name);
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
        let known = self
            .journal
            .lock()
            .ok()
            .is_some_and(|journal| journal.state(&candidate.name).is_some());
        if known {
            self.take(candidate, None);
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
        let Ok(mut bytes) = std::fs::read(&candidate.path) else {
            // Gone meanwhile, or not readable yet; the next scan tells.
            return;
        };
        let name = candidate.name.clone();
        let state = self
            .journal
            .lock()
            .ok()
            .and_then(|journal| journal.state(&name).cloned());
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
                self.fail_file(&name, &candidate.path, &bytes, &reason, Some(&modem), None);
                return;
            }
        }
        let planned = self.plan(&bytes, state.as_ref().map(|state| state.reference));
        let Planned {
            file,
            reference,
            pdus,
            call,
        } = match planned {
            Ok(planned) => planned,
            Err(reason) => {
                self.fail_file(&name, &candidate.path, &bytes, &reason, None, None);
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
        } else if let Ok(mut journal) = self.journal.lock() {
            let begin = Record::Begin {
                file: name.clone(),
                reference,
                parts: pdus.len(),
            };
            if let Err(err) = journal.append(begin) {
                tracing::error!(target: "smsgate", "{name}: {err}; left in outgoing/");
                return;
            }
        }
        let queue = match from_queue {
            Some(queue) => {
                if !self.modems.is_empty() && !self.modems.iter().any(|slot| slot.serves(queue.as_deref())) {
                    let reason = match &queue {
                        Some(queue) => format!("no modem serves queue {queue}, whose directory it is in"),
                        None => "no modem serves checked/, the default queue (every modem lists `queues`)"
                            .to_owned(),
                    };
                    self.fail_file(&name, &candidate.path, &bytes, &reason, None, None);
                    return;
                }
                queue
            }
            None => match self.queue_of(&file) {
                Ok(queue) => queue,
                Err(reason) => {
                    self.fail_file(&name, &candidate.path, &bytes, &reason, None, None);
                    return;
                }
            },
        };
        let path = match candidate.path.parent() == Some(self.dirs[0].path.as_path()) {
            true => self.move_to_queue(&name, &candidate.path, queue.as_deref()),
            false => candidate.path,
        };
        tracing::info!(target: "smsgate", "{name}: to {}, {} part(s)", file.to.number, pdus.len());
        self.pending.insert(Job {
            name,
            path,
            bytes,
            priority: file.priority,
            modified: candidate.modified,
            queue,
            pdus,
            sent,
            call,
            attempts: 0,
            not_before: None,
            in_flight: false,
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
        let Ok(bytes) = std::fs::read(&candidate.path) else {
            tracing::info!(target: "smsgate", "{name}: {reason}, and it is gone already");
            return;
        };
        self.fail_file(name, &candidate.path, &bytes, reason, None, None);
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
        }
        let plan = spool::plan(&file, &defaults).map_err(|err| err.to_string())?;
        let sms = match plan {
            Plan::Sms(sms) => sms,
            Plan::Voicecall { destination, call } => {
                let call = PlannedCall::new(&destination, call)?;
                return Ok(Planned {
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
        if self.shutdown.is_cancelled() {
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
            if job.in_flight || job.not_before.is_some_and(|at| at > now) {
                continue;
            }
            let modem = (0..n_modems)
                .map(|offset| (self.next_modem + offset) % n_modems)
                .find(|&idx| free[idx] && self.modems[idx].serves(job.queue.as_deref()));
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
        let parts: Vec<(usize, Vec<u8>)> = job
            .pdus
            .iter()
            .enumerate()
            .filter(|(part_idx, _)| job.sent[*part_idx].is_none())
            .map(|(part_idx, pdu)| (part_idx + 1, pdu.clone()))
            .collect();
        tracing::debug!(target: "smsgate", "{name}: {} part(s) to modem {}", parts.len(), slot.name);
        let task = SendTask {
            file: name.to_owned(),
            modem_idx,
            modem_name: slot.name.clone(),
            handle: slot.handle.clone(),
            journal: self.journal.clone(),
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
    fn finish_send(&mut self, result: SendResult) {
        let slot = &mut self.modems[result.modem_idx];
        slot.busy = false;
        let modem_name = slot.name.clone();
        let Some(job) = self.pending.get_mut(&result.file) else {
            return;
        };
        job.in_flight = false;
        for (part, mr) in &result.sent {
            if let Some(sent) = job.sent.get_mut(part - 1) {
                *sent = Some(*mr);
            }
        }
        let modem_at_fault = !matches!(result.outcome, Outcome::Refused(_));
        match result.outcome {
            Outcome::Done => {
                self.modems[result.modem_idx].failures_in_row = 0;
                if job.sent.iter().all(Option::is_some) {
                    self.send_done(&result.file, result.modem_idx);
                }
            }
            Outcome::Interrupted => {}
            Outcome::Failed(reason) => {
                // The modem did its part; the callee did not.
                self.modems[result.modem_idx].failures_in_row = 0;
                if let Some(job) = self.pending.remove(&result.file) {
                    self.fail_file(&job.name, &job.path, &job.bytes, &reason, Some(&modem_name), None);
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
                        self.fail_file(&job.name, &job.path, &job.bytes, &reason, Some(&modem_name), None);
                    }
                }
                self.modem_failed(result.modem_idx);
            }
            Outcome::NotSent(reason) | Outcome::Refused(reason) => {
                job.attempts += 1;
                let retries = self.modems[result.modem_idx].settings.send_retries;
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
                        self.fail_file(&job.name, &job.path, &job.bytes, &reason, Some(&modem_name), pdu);
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
        }
    }

    /// Moves a fully sent file to `sent/`.
    fn send_done(&mut self, name: &str, modem_idx: usize) {
        let Some(job) = self.pending.remove(name) else {
            return;
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
            sending_time: None,
            message_ids: message_ids.clone(),
            imsi: slot.identity.imsi.clone(),
            imei: slot.identity.imei.clone(),
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
            spool_dir::finish(&job.path, sent_dir, name, &bytes)
        });
        match written {
            Ok(target) => {
                tracing::info!(target: "smsgate", "{name}: sent by {} ({})", slot.name, target.display());
                self.end(name);
                self.event(hooks::sent_args(&target, &message_ids));
            }
            Err(err) => {
                // Sent, but the file could not be moved: the journal keeps
                // its parts as sent, so a restart moves it without sending.
                tracing::error!(target: "smsgate", "{name}: sent, but cannot write it to sent/: {err}");
            }
        }
    }

    /// Moves a file to `failed/` with the reason.
    fn fail_file(
        &mut self,
        name: &str,
        path: &std::path::Path,
        bytes: &[u8],
        reason: &str,
        modem: Option<&str>,
        pdu: Option<String>,
    ) {
        let slot = modem.and_then(|modem| self.modems.iter().find(|slot| slot.name == modem));
        let record = FailedRecord {
            modem: modem.map(str::to_owned),
            imsi: slot.and_then(|slot| slot.identity.imsi.clone()),
            imei: slot.and_then(|slot| slot.identity.imei.clone()),
            reason: reason.to_owned(),
            failed: now(),
            pdu,
        };
        let rendered = spool::render_failed(bytes, &record);
        match spool_dir::finish(path, &self.config.spool.failed, name, &rendered) {
            Ok(target) => {
                tracing::warn!(target: "smsgate", "{name}: failed: {reason}");
                self.sent_index.forget(name);
                self.end(name);
                self.event(hooks::failed_args(&target));
            }
            Err(err) => tracing::error!(target: "smsgate", "{name}: cannot write it to failed/: {err}"),
        }
    }

    fn end(&mut self, name: &str) {
        if let Ok(mut journal) = self.journal.lock() {
            if journal.state(name).is_some() {
                if let Err(err) = journal.append(Record::End {
                    file: name.to_owned(),
                }) {
                    tracing::error!(target: "smsgate", "{name}: {err}");
                }
            }
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
        retry.into_iter().chain(unblocks).filter(|&at| at > now).min()
    }
}

/// What a watcher event tells the scheduler: nothing (`None`), the paths
/// that changed, or (`Some(None)`) that only a full rescan can tell (an
/// error, an overflow).
fn wakeup_of(event: notify::Result<notify::Event>) -> Option<Option<Vec<PathBuf>>> {
    use notify::event::{AccessKind, AccessMode};
    match event {
        // Opening or reading a file or the directory changes nothing; and
        // smsgate's own reads (each scan opens the directory, each file is
        // read when taken) would otherwise wake it again at once, a rescan
        // of every waiting file after another.
        Ok(notify::Event {
            kind: notify::EventKind::Access(access),
            ..
        }) if access != AccessKind::Close(AccessMode::Write) => None,
        Ok(event) if !event.need_rescan() && !event.paths.is_empty() => Some(Some(event.paths)),
        _ => Some(None),
    }
}

/// Raises an alarm when a modem's port is lost or the modem stops
/// answering, until shutdown.
async fn watch_port(name: String, handle: ModemHandle, alarms: Alarms, shutdown: CancellationToken) {
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
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// One file's send on one modem, part by part.
struct SendTask {
    file: String,
    modem_idx: usize,
    modem_name: String,
    handle: ModemHandle,
    journal: Arc<Mutex<Journal>>,
    sent_index: SentIndex,
    /// The number of parts of the whole message.
    parts: usize,
    shutdown: CancellationToken,
}

impl SendTask {
    /// A voice call, journalled as part 1: started before the dial, its
    /// outcome after. A call that rang unanswered is journalled as of
    /// unknown outcome, so that a restart before its file reaches
    /// `failed/` never calls again unasked (`[spool] unknown-outcome`).
    async fn call(self, planned: PlannedCall) -> SendResult {
        let outcome = self.place_call(&planned).await;
        let sent = match outcome {
            Outcome::Done => vec![(1, 0)],
            _ => Vec::new(),
        };
        SendResult {
            file: self.file,
            modem_idx: self.modem_idx,
            sent,
            outcome,
        }
    }

    async fn place_call(&self, planned: &PlannedCall) -> Outcome {
        if self.shutdown.is_cancelled() {
            return Outcome::Interrupted;
        }
        let (file, modem) = (self.file.clone(), self.modem_name.clone());
        let start = Record::Start {
            file: file.clone(),
            part: 1,
            modem: modem.clone(),
        };
        if let Err(err) = self.record(start) {
            return Outcome::NotSent(format!("not called: {err}"));
        }
        let placed = voicecall::place_call(&self.handle, &planned.number, &planned.call).await;
        let (record, outcome) = match placed {
            Ok(CallOutcome::Played) => (Record::Sent { file, part: 1, mr: 0 }, Outcome::Done),
            Ok(CallOutcome::Failed(reason)) => {
                let record = Record::Unknown {
                    file,
                    part: 1,
                    modem,
                    reason: reason.clone(),
                };
                (record, Outcome::Failed(reason))
            }
            Err(reason) => (Record::NotSent { file, part: 1 }, Outcome::NotSent(reason)),
        };
        if let Err(err) = self.record(record) {
            tracing::error!(target: "smsgate", "{}: {err}", self.file);
        }
        outcome
    }

    async fn send(self, parts: Vec<(usize, Vec<u8>)>) -> SendResult {
        let mut sent = Vec::new();
        let outcome = self.send_parts(parts, &mut sent).await;
        SendResult {
            file: self.file,
            modem_idx: self.modem_idx,
            sent,
            outcome,
        }
    }

    async fn send_parts(&self, parts: Vec<(usize, Vec<u8>)>, sent: &mut Vec<(usize, u8)>) -> Outcome {
        for (part, pdu) in parts {
            // Between parts, not within one: an exchange with the modem is
            // always finished and recorded.
            if self.shutdown.is_cancelled() {
                return Outcome::Interrupted;
            }
            let start = Record::Start {
                file: self.file.clone(),
                part,
                modem: self.modem_name.clone(),
            };
            if let Err(err) = self.record(start) {
                return Outcome::NotSent(format!("not sent: {err}"));
            }
            let result = self.handle.send_pdus(vec![pdu]).await;
            let (record, outcome) = match result {
                Ok(references) => {
                    let mr = references.first().map_or(0, |reference| reference.0);
                    sent.push((part, mr));
                    self.sent_index
                        .sent_part(&self.modem_name, mr, &self.file, part, self.parts);
                    let record = Record::Sent {
                        file: self.file.clone(),
                        part,
                        mr,
                    };
                    (record, None)
                }
                Err(err @ ModemError::SendOutcomeUnknown { .. }) => {
                    let reason = format!("part {part}: {err}");
                    let record = Record::Unknown {
                        file: self.file.clone(),
                        part,
                        modem: self.modem_name.clone(),
                        reason: reason.clone(),
                    };
                    (record, Some(Outcome::Unknown(reason)))
                }
                Err(err) => {
                    let record = Record::NotSent {
                        file: self.file.clone(),
                        part,
                    };
                    let outcome = match blames_the_message(&err) {
                        true => Outcome::Refused(err.to_string()),
                        false => Outcome::NotSent(err.to_string()),
                    };
                    (record, Some(outcome))
                }
            };
            if let Err(err) = self.record(record) {
                tracing::error!(target: "smsgate", "{}: {err}", self.file);
            }
            if let Some(outcome) = outcome {
                return outcome;
            }
        }
        Outcome::Done
    }

    fn record(&self, record: Record) -> anyhow::Result<()> {
        let mut journal = self
            .journal
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
        journal.append(record).context("journal")
    }
}

/// Whether a refused send says more about the message than about the
/// modem: `+CMS ERROR`s of TS 24.011 and TS 23.040 about the destination
/// (unassigned or barred number, unknown subscriber, transfer rejected)
/// or the TPDU itself. One bad number must not get a good modem blocked
/// (`block-after`); network trouble (38 network out of order, 41
/// temporary failure, 331 no network service, ...) and timeouts do count.
fn blames_the_message(err: &ModemError) -> bool {
    let Some(at::FinalResult::CmsError(error)) = err.final_result() else {
        return false;
    };
    matches!(
        error.code(),
        Some(1 | 8 | 10 | 21 | 27 | 28 | 29 | 30 | 50 | 95..=99 | 128..=255 | 304)
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use notify::event::{
        AccessKind, AccessMode, CreateKind, EventKind, Flag, ModifyKind, RemoveKind, RenameMode,
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
        for kind in [
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
        ] {
            assert_eq!(
                wakeup_of(event(kind, "/spool/outgoing/m1")),
                Some(Some(vec![PathBuf::from("/spool/outgoing/m1")]))
            );
        }
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert_eq!(wakeup_of(Ok(overflow)), Some(None));
        assert_eq!(wakeup_of(Err(notify::Error::generic("lost"))), Some(None));
    }
}
