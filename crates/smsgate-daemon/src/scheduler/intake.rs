//! The scheduler's intake: how a file in `outgoing/` or a queue's
//! directory is noticed, settled, handed to the checkhandler, read,
//! parsed and planned, and then moved to its queue or refused to
//! `failed/`. Separate from the main loop in `scheduler.rs` because
//! taking a file is a concern of its own, with its own failure paths.

use std::collections::BTreeSet;
use std::path::PathBuf;

use spool::{FailedRecord, NumberingPolicy, OutgoingFile, Plan, PlanDefaults, Priority};
use tokio::time::Instant;

use crate::clock::now;
use crate::daemon_config::{Limits, UnknownOutcome};
use crate::hooks::{self, Severity, Verdict};
use crate::http::submit;
use crate::intake::{self, Refusal};
use crate::journal::new_message_id;
use crate::recipient_lists;
use crate::send_core::hold::{self, Hold, ModemKind};
use crate::send_core::{Input, Offer};
use crate::settle::{Change, Look, Verdict as Settled};
use crate::spool_dir;
use crate::voicecall::PlannedCall;

use super::watch::dir_of;
use super::{CheckResult, Job, Planned, Scheduler, Stage};

impl Scheduler {
    /// A new file in `self.dirs[dir_idx]`, seen at `now`: taken once it is
    /// whole.
    pub(super) fn arrived(&mut self, dir_idx: usize, candidate: spool_dir::Candidate, now: Instant) {
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
    pub(super) fn look_at_changes(&mut self, first: Option<Vec<(PathBuf, Change)>>) -> bool {
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
                // A dotfile is never taken (smstools3's rule): a writer's
                // temporary name, or one of the daemon's own (a claim, a
                // copy being written). Looking at each would cost a stat
                // per report, several per message sent.
                if name.starts_with('.') {
                    continue;
                }
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
    pub(super) fn look_at_due(&mut self) {
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
    pub(super) fn look_at(&mut self, dir_idx: usize, name: &str, now: Instant) {
        let dir = &self.dirs[dir_idx].path;
        let path = match spool_dir::look(dir, name) {
            spool_dir::Look::Candidate(candidate) => {
                if !(self.jobs.contains_key(name)
                    || self.checking.contains(name)
                    || self.spooled_by_handler.contains(name))
                {
                    self.arrived(dir_idx, candidate, now);
                }
                return;
            }
            // A locked file keeps what was seen of it.
            spool_dir::Look::Held => dir.join(name),
            // A file gone (or one intake never takes) is forgotten.
            spool_dir::Look::Gone => {
                let path = dir.join(name);
                self.settling.forget(&path);
                path
            }
        };
        // Our own move on to a queue's directory reports the old path too:
        // only a job still at this path is gone.
        if self.jobs.get(name).is_some_and(|job| job.path == path) {
            self.vanished(name);
        }
        if dir_idx == 0 {
            self.spooled_by_handler.remove(name);
        }
        self.refusals.forget(&path);
    }

    /// Hands a new file to the checkhandler, if there is one. A file the
    /// journal knows was checked before a restart, and is not checked
    /// again.
    pub(super) fn check_or_take(&mut self, candidate: spool_dir::Candidate) {
        let Some(program) = self.config.handlers.checkhandler.clone() else {
            self.take(candidate, None);
            return;
        };
        if self.policy.recovered(&candidate.name).is_some() {
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
    pub(super) fn finish_check(&mut self, result: CheckResult) {
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

    /// Reads, parses and plans a new file, and offers it to the send policy
    /// (which accepts it, or sends it to `failed/` with the reason).
    /// `from_queue`: the queue whose directory it was found in.
    pub(super) fn take(&mut self, candidate: spool_dir::Candidate, from_queue: Option<Option<String>>) {
        let (bytes, mode, taken) = match intake::read(&candidate.path, self.config.max_outgoing_bytes) {
            Ok(intake) => (intake.bytes, intake.mode, intake.entry),
            Err(refusal) => return self.refused(&candidate, refusal),
        };
        self.refusals.forget(&candidate.path);
        let name = candidate.name.clone();
        // Only a file the store knew at the start is an earlier message;
        // any other is new, whatever its name.
        let state = self.policy.recovered(&name).cloned();
        // A file the HTTP API wrote carries the id it answered with.
        let fresh_id = submit::given_id(&name, &bytes)
            .filter(|id| !self.policy.knows(id))
            .unwrap_or_else(new_message_id);
        let id = state
            .as_ref()
            .map_or_else(|| fresh_id.clone(), |state| state.id.clone());
        let mut unknown_fail = false;
        if let Some((part, modem, reason)) = state.as_ref().and_then(|state| state.unknown.clone()) {
            tracing::warn!(
                target: "smsgate",
                "{name}: part {part} was handed to modem {modem} and its outcome is unknown ({reason}); \
                 unknown-outcome = {:?}",
                self.config.unknown_outcome
            );
            // The policy fails it without a plan: it is not sent again.
            unknown_fail = self.config.unknown_outcome == UnknownOutcome::Fail;
        }
        let bytes_with_id = submit::with_id(&bytes, &id);
        let planned = match unknown_fail {
            true => Err(None),
            false => self
                .plan(&bytes, state.as_ref().map(|state| state.reference))
                .map_err(Some),
        };
        let planned = planned.and_then(|planned| {
            let queue = match &from_queue {
                Some(queue) if !self.modems.is_empty() && !self.has_sender_for(queue.as_deref()) => {
                    Err(match queue {
                        Some(queue) => format!("no modem serves queue {queue}, whose directory it is in"),
                        None => "no modem serves checked/, the default queue (every modem lists `queues`)"
                            .to_owned(),
                    })
                }
                Some(queue) => Ok(queue.clone()),
                None => self.queue_of(&planned.file),
            };
            queue.map(|queue| (planned, queue)).map_err(Some)
        });
        let mut offer = first_offer(&name, &candidate, fresh_id);
        let mut job = Job {
            id,
            name: name.clone(),
            path: candidate.path,
            bytes: bytes_with_id,
            mode,
            taken,
            pdus: Vec::new(),
            call: None,
            send_started: None,
            counted: None,
            notices: Vec::new(),
            recipient: String::new(),
            queue: None,
        };
        match planned {
            Ok((planned, queue)) => {
                offer.priority = planned.file.priority;
                offer.queue = queue.clone();
                offer.parts = planned.pdus.len();
                offer.reference = planned.reference;
                offer.retries = planned.file.retries;
                job.recipient = planned.file.to.number.clone();
                job.pdus = planned.pdus;
                offer.call = planned.call.is_some();
                job.call = planned.call;
                job.notices = planned.notices;
                job.queue = queue;
                match self.hold_of(&bytes) {
                    Ok(hold) => offer.hold = hold,
                    Err(reason) => offer.refusal = Some(reason),
                }
            }
            Err(reason) => offer.refusal = reason,
        }
        self.know_name(&job.id, &name);
        self.jobs.insert(name, job);
        // Acted on with the other files of this turn, at the loop's next
        // `act`: their accepts are committed together (one fsync).
        self.policy.handle(Input::Offered(offer), Instant::now());
    }

    /// The file's `X-Smsgate-Modem` and `X-Smsgate-Send-At`, checked
    /// against the configured modems.
    fn hold_of(&self, bytes: &[u8]) -> Result<Hold, String> {
        let kind = |name: &str| match self.config.modems.get(name) {
            Some(modem) if modem.send => ModemKind::Sends,
            Some(_) => ModemKind::ReceivesOnly,
            None => ModemKind::Unknown,
        };
        hold::of_file(bytes, kind, std::time::SystemTime::now(), Instant::now())
    }

    /// Moves a checked file on from `outgoing/` to its queue's directory,
    /// as smstools3 does, and returns where it is now. The move need not be
    /// durable: the journal already knows the file, so one that is found
    /// back in `outgoing/` after a power loss is not checked again. A file
    /// of that name already there (someone else's) is never replaced: the
    /// file then waits in `outgoing/`.
    pub(super) fn move_to_queue(&self, name: &str, path: &std::path::Path, queue: Option<&str>) -> PathBuf {
        let dir = match queue {
            None => &self.config.spool.checked,
            Some(queue) => match self.config.queues.get(queue) {
                Some(settings) => &settings.directory,
                None => return path.to_path_buf(),
            },
        };
        let target = dir.join(name);
        let Some((id, taken)) = self.jobs.get(name).map(|job| (job.id.clone(), job.taken)) else {
            return path.to_path_buf();
        };
        // Only the file taken moves on: a new one dropped under its name
        // since intake read it stays in `outgoing/`, for intake.
        match spool_dir::move_if_same(path, &id, taken, &target) {
            Ok(true) => target,
            Ok(false) => {
                tracing::info!(target: "smsgate", "{name}: replaced in outgoing/ since it was read; the new file waits there");
                path.to_path_buf()
            }
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
    pub(super) fn reject_checked(&mut self, candidate: &spool_dir::Candidate, reason: &str) {
        let name = &candidate.name;
        match intake::read(&candidate.path, self.config.max_outgoing_bytes) {
            Ok(intake) => {
                // Never accepted: it goes to `failed/` through the policy,
                // as every finished file does.
                let fresh_id = new_message_id();
                self.jobs.insert(
                    name.clone(),
                    Job {
                        id: fresh_id.clone(),
                        name: name.clone(),
                        path: candidate.path.clone(),
                        bytes: intake.bytes,
                        mode: intake.mode,
                        taken: intake.entry,
                        pdus: Vec::new(),
                        call: None,
                        send_started: None,
                        counted: None,
                        notices: Vec::new(),
                        recipient: String::new(),
                        queue: None,
                    },
                );
                self.input(Input::Offered(Offer {
                    refusal: Some(reason.to_owned()),
                    ..first_offer(name, candidate, fresh_id)
                }));
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
    pub(super) fn refused(&mut self, candidate: &spool_dir::Candidate, refusal: Refusal) {
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
            Refusal::TooLarge { mode, entry, .. } => {
                let reason = refusal.reason();
                let record = FailedRecord {
                    original_filename: None,
                    modem: None,
                    number: None,
                    description: None,
                    imsi: None,
                    imei: None,
                    reason: reason.clone(),
                    failed: now(),
                    pdu: None,
                };
                let note = spool::render_failed(b"", &record);
                let failed = &self.config.spool.failed;
                match spool_dir::move_unread(&candidate.path, entry, failed, name, &note, mode) {
                    // Replaced since it was judged: the new file is
                    // judged on its own.
                    Ok(None) => {}
                    Ok(Some(target)) => {
                        tracing::warn!(
                            target: "smsgate",
                            "{name}: failed: {reason}; moved unread, the reason is in {name}{}",
                            spool_dir::FAIL_NOTE_SUFFIX
                        );
                        self.refusals.forget(&candidate.path);
                        self.sent_index.forget(name);
                        // A file of an earlier run that grew past the
                        // limit since: its message ends here.
                        self.input(Input::RefusedUnread { name: name.clone() });
                        self.event(None, hooks::failed_args(&target));
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
    pub(super) fn plan(&mut self, bytes: &[u8], reference: Option<u16>) -> Result<Planned, String> {
        let mut file = OutgoingFile::parse(bytes, &mut self.includes).map_err(|err| err.one_line())?;
        self.check_recipient_lists(&mut file)?;
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

    /// smsd's `blacklist` and `whitelist` (read now, so that they may be
    /// edited while the daemon runs): `Err` with smsd's reason, or the
    /// reason a list cannot be read (the file fails: nothing is sent that
    /// the lists might refuse). A whitelist's queue becomes the file's
    /// when it names none.
    fn check_recipient_lists(&self, file: &mut OutgoingFile) -> Result<(), String> {
        let features = &self.config.features;
        if features.blacklist.is_none() && features.whitelist.is_none() {
            return Ok(());
        }
        let number = match file.to.short {
            true => format!("s{}", file.to.number),
            false => file.to.number.clone(),
        };
        let verdict = recipient_lists::check(
            features.blacklist.as_deref(),
            features.whitelist.as_deref(),
            &number,
        )
        .inspect_err(|reason| self.alarms.raise(Severity::Critical, "smsgate", reason))?;
        match verdict {
            recipient_lists::Verdict::Refused(reason) => Err(reason.to_owned()),
            recipient_lists::Verdict::Allowed { queue } => {
                if file.queue.is_none() {
                    file.queue = queue;
                }
                Ok(())
            }
        }
    }

    /// The queue of a file: its `Queue:`/`Provider:` header, else the queue
    /// whose prefix matches its number longest, else the default queue.
    pub(super) fn queue_of(&self, file: &OutgoingFile) -> Result<Option<String>, String> {
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
        if !self.modems.is_empty() && !self.has_sender_for(queue.as_deref()) {
            return Err(match &queue {
                Some(queue) => format!("no modem serves queue {queue}"),
                None => "no modem serves the default queue (every modem lists `queues`)".to_owned(),
            });
        }
        Ok(queue)
    }

    /// Whether a modem sends for `queue` (`None`: the default queue): one
    /// that is set up, or one configured that is not up yet (its port is
    /// still looked for by identity, port_identity/rebind.rs, or is being
    /// opened again): the file waits for it rather than fails.
    fn has_sender_for(&self, queue: Option<&str>) -> bool {
        self.modems.iter().any(|slot| slot.serves(queue))
            || self.config.modems.values().any(|modem| {
                modem.send
                    && match queue {
                        None => modem.queues.is_empty(),
                        Some(queue) => modem.queues.iter().any(|served| served == queue),
                    }
            })
    }
}

/// The offer of a file as intake first knows it: its name, where it was
/// found and when it arrived, nothing planned yet.
fn first_offer(name: &str, candidate: &spool_dir::Candidate, fresh_id: String) -> Offer {
    Offer {
        name: name.to_owned(),
        origin: candidate.path.to_string_lossy().into_owned(),
        fresh_id,
        priority: Priority::default(),
        arrived: candidate.modified,
        queue: None,
        parts: 0,
        reference: 0,
        retries: None,
        refusal: None,
        call: false,
        hold: Hold::default(),
    }
}
