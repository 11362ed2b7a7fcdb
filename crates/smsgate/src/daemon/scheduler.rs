//! The scheduler: one task that owns the state of every file between
//! `outgoing/` and `sent/`/`failed/`, and the modems' availability.
//!
//! A new file first goes to the checkhandler, if one is configured (in
//! a task of its own, so a slow handler holds up nothing else; see
//! [`hooks::check`]), and is then read and parsed whole, its `Include:`s
//! confined to `include-dir` ([`ConfinedIncludes`]), and planned into
//! PDUs, before anything acts on it; one that does not parse or plan goes
//! to `failed/` with every problem. The others wait in `pending`, and whenever a modem
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
use chrono::{Datelike as _, Timelike as _};
use modem::{Identity, ModemError, ModemEvent, ModemHandle};
use notify::Watcher as _;
use spool::{
    FailedRecord, NumberingPolicy, OutgoingFile, Plan, PlanDefaults, Priority, SentRecord, SpoolTime,
};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::daemon::hooks::{self, Alarms, Severity, Verdict};
use crate::daemon::include::ConfinedIncludes;
use crate::daemon::journal::{Journal, Record};
use crate::daemon::spool_dir;
use crate::daemon_config::{DaemonConfig, ModemSettings, UnknownOutcome};

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

    /// Whether it serves `queue` (`None`: the default queue).
    fn serves(&self, queue: Option<&str>) -> bool {
        match queue {
            None => self.settings.queues.is_empty(),
            Some(queue) => self.settings.queues.iter().any(|served| served == queue),
        }
    }
}

/// A planned file waiting for, or in, a send.
#[derive(Debug)]
struct Job {
    name: String,
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
    attempts: u32,
    not_before: Option<Instant>,
    in_flight: bool,
}

/// What a send task reports.
#[derive(Debug)]
enum Outcome {
    /// Every part it was given went out.
    Done,
    /// A part was refused; nothing of it went out.
    NotSent(String),
    /// A part may or may not have gone out.
    Unknown(String),
    /// Shutdown came between two parts.
    Interrupted,
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
    next_modem: usize,
    pending: BTreeMap<String, Job>,
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
        shutdown: CancellationToken,
    ) -> anyhow::Result<Scheduler> {
        let (wake_tx, wakeups) = mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Some(wakeup) = wakeup_of(event) {
                let _ = wake_tx.send(wakeup);
            }
        })
        .and_then(|mut watcher| {
            watcher
                .watch(&config.spool.outgoing, notify::RecursiveMode::NonRecursive)
                .map(|()| watcher)
        });
        let watcher = match watcher {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                tracing::warn!(
                    target: "smsgate",
                    "cannot watch {} ({err}); scanning it every {} s",
                    config.spool.outgoing.display(),
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
            next_modem: 0,
            pending: BTreeMap::new(),
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
        for slot in &self.modems {
            slot.handle.shutdown().await;
        }
        tracing::info!(target: "smsgate", "stopped");
        Ok(())
    }

    /// Ends the journal's records of files no longer in `outgoing/`: they
    /// reached `sent/` or `failed/` just before a crash, or were removed.
    fn forget_vanished_files(&mut self) -> anyhow::Result<()> {
        let mut journal = self
            .journal
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
        for file in journal.open_files() {
            if !self.config.spool.outgoing.join(&file).exists() {
                journal.append(Record::End { file })?;
            }
        }
        Ok(())
    }

    /// Reads the new files of `outgoing/` (or hands them to the
    /// checkhandler first), and forgets waiting files that were removed by
    /// someone else.
    fn scan(&mut self) {
        let candidates = match spool_dir::scan(&self.config.spool.outgoing) {
            Ok(candidates) => candidates,
            Err(err) => {
                tracing::error!(target: "smsgate", "{}: {err}", self.config.spool.outgoing.display());
                return;
            }
        };
        let present: HashSet<&str> = candidates
            .iter()
            .map(|candidate| candidate.name.as_str())
            .collect();
        self.pending
            .retain(|name, job| job.in_flight || present.contains(name.as_str()));
        self.spooled_by_handler
            .retain(|name| present.contains(name.as_str()));
        for candidate in candidates {
            if self.pending.contains_key(&candidate.name)
                || self.checking.contains(&candidate.name)
                || self.spooled_by_handler.contains(&candidate.name)
            {
                continue;
            }
            self.check_or_take(candidate);
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
                if path.parent() != Some(self.config.spool.outgoing.as_path()) {
                    return false;
                }
                let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                    continue;
                };
                // A lock coming or going changes whether its file may be
                // taken.
                if let Some(locked) = name.strip_suffix(".LOCK") {
                    names.insert(locked.to_owned());
                }
                names.insert(name.to_owned());
            }
            report = self.wakeups.try_recv().ok();
        }
        for name in names {
            self.look_at(&name);
        }
        true
    }

    /// [`Self::scan`] for one name.
    fn look_at(&mut self, name: &str) {
        match spool_dir::candidate(&self.config.spool.outgoing, name) {
            Some(candidate) => {
                if !(self.pending.contains_key(name)
                    || self.checking.contains(name)
                    || self.spooled_by_handler.contains(name))
                {
                    self.check_or_take(candidate);
                }
            }
            None => {
                if self.pending.get(name).is_some_and(|job| !job.in_flight) {
                    self.pending.remove(name);
                }
                self.spooled_by_handler.remove(name);
            }
        }
    }

    /// Hands a new file to the checkhandler, if there is one. A file the
    /// journal knows was checked before a restart, and is not checked
    /// again.
    fn check_or_take(&mut self, candidate: spool_dir::Candidate) {
        let Some(program) = self.config.handlers.checkhandler.clone() else {
            self.take(candidate);
            return;
        };
        let known = self
            .journal
            .lock()
            .ok()
            .is_some_and(|journal| journal.state(&candidate.name).is_some());
        if known {
            self.take(candidate);
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
            Verdict::Accept => self.take(candidate),
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

    /// Reads, parses and plans a new file: into `pending`, or to `failed/`.
    fn take(&mut self, candidate: spool_dir::Candidate) {
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
        let (file, reference, pdus) = match planned {
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
        let queue = match self.queue_of(&file) {
            Ok(queue) => queue,
            Err(reason) => {
                self.fail_file(&name, &candidate.path, &bytes, &reason, None, None);
                return;
            }
        };
        tracing::info!(target: "smsgate", "{name}: to {}, {} part(s)", file.to.number, pdus.len());
        self.pending.insert(
            name.clone(),
            Job {
                name,
                path: candidate.path,
                bytes,
                priority: file.priority,
                modified: candidate.modified,
                queue,
                pdus,
                sent,
                attempts: 0,
                not_before: None,
                in_flight: false,
            },
        );
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
    fn plan(
        &mut self,
        bytes: &[u8],
        reference: Option<u16>,
    ) -> Result<(OutgoingFile, u16, Vec<Vec<u8>>), String> {
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
        let Plan::Sms(sms) = plan else {
            return Err("Voicecall: voice calls are not supported by smsgate run yet".to_owned());
        };
        let pdus = sms
            .pdus
            .iter()
            .map(sms_pdu::Pdu::encode)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| format!("cannot encode the message: {err}"))?;
        Ok((file, reference, pdus))
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
        let mut order: Vec<&Job> = self
            .pending
            .values()
            .filter(|job| !job.in_flight && job.not_before.is_none_or(|at| at <= now))
            .collect();
        order.sort_by(|a, b| (b.priority, a.modified, &a.name).cmp(&(a.priority, b.modified, &b.name)));
        let order: Vec<String> = order.into_iter().map(|job| job.name.clone()).collect();
        for name in order {
            let Some(job) = self.pending.get(&name) else {
                continue;
            };
            let n_modems = self.modems.len();
            let free = (0..n_modems)
                .map(|offset| (self.next_modem + offset) % n_modems)
                .find(|&idx| {
                    let slot = &self.modems[idx];
                    !slot.busy
                        && slot.blocked_until.is_none_or(|until| until <= now)
                        && slot.serves(job.queue.as_deref())
                });
            let Some(modem_idx) = free else { continue };
            self.next_modem = (modem_idx + 1) % n_modems;
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
            shutdown: self.shutdown.clone(),
        };
        let results = self.results_tx.clone();
        self.tasks.spawn(async move {
            let result = task.send(parts).await;
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
        match result.outcome {
            Outcome::Done => {
                self.modems[result.modem_idx].failures_in_row = 0;
                if job.sent.iter().all(Option::is_some) {
                    self.send_done(&result.file, result.modem_idx);
                }
            }
            Outcome::Interrupted => {}
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
            Outcome::NotSent(reason) => {
                job.attempts += 1;
                let retries = self.modems[result.modem_idx].settings.send_retries;
                let give_up = job.attempts > retries;
                let pdu = job
                    .sent
                    .iter()
                    .position(Option::is_none)
                    .and_then(|part_idx| job.pdus.get(part_idx))
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
                    job.not_before = Some(Instant::now() + backoff);
                    let text = format!(
                        "{}: sending failed, try {} of {} in {} s: {reason}",
                        result.file,
                        job.attempts + 1,
                        retries + 1,
                        backoff.as_secs_f32()
                    );
                    self.alarms.raise(Severity::Notice, &modem_name, &text);
                }
                self.modem_failed(result.modem_idx);
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
        let message_ids: Vec<u8> = job.sent.iter().flatten().copied().collect();
        let record = SentRecord {
            modem: slot.name.clone(),
            sent: now(),
            sending_time: None,
            message_ids: message_ids.clone(),
            imsi: slot.identity.imsi.clone(),
            imei: slot.identity.imei.clone(),
        };
        let bytes = spool::render_sent(&job.bytes, &record);
        match spool_dir::finish(&job.path, &self.config.spool.sent, name, &bytes) {
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
    fn next_deadline(&self) -> Option<Instant> {
        let retries = self
            .pending
            .values()
            .filter(|job| !job.in_flight)
            .filter_map(|job| job.not_before);
        let unblocks = self.modems.iter().filter_map(|slot| slot.blocked_until);
        retries.chain(unblocks).filter(|&at| at > Instant::now()).min()
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
    shutdown: CancellationToken,
}

impl SendTask {
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
                    (record, Some(Outcome::NotSent(err.to_string())))
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

/// The local time, as smsd writes it.
fn now() -> SpoolTime {
    let now = chrono::Local::now();
    SpoolTime {
        year: now.year().clamp(0, 9999) as u16,
        month: now.month() as u8,
        day: now.day() as u8,
        hour: now.hour() as u8,
        minute: now.minute() as u8,
        second: now.second() as u8,
    }
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
