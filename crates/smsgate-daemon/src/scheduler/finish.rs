//! The scheduler's outcomes: what happens when a send comes back (the
//! file moves to `sent/` or `failed/`, is retried, or its modem is
//! blocked), how a lost modem's jobs are failed, how messages the
//! journal left open are recovered at start, and how failed durable
//! writes are retried. Separate from the main loop in `scheduler.rs`
//! because finishing a message is a concern of its own.

use crate::events::DaemonEvent;
use std::collections::HashMap;
use std::time::Duration;

use spool::{FailedRecord, SentRecord};
use tokio::time::Instant;

use crate::clock::now;
use crate::copies;
use crate::daemon_config::UnknownOutcome;
use crate::hooks::{self, Severity};
use crate::journal::Record;
use crate::reports::STATUS_REPORT_HEADER;
use crate::send_task::{Outcome, SendResult};
use crate::spool_dir;
use crate::store_health::Failure;

use super::watch::{carries_id, hex, is_original_of};
use super::{Finish, Job, Scheduler, OUTCOME_HEADER};

/// The longest wait between retries of one file.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

impl Scheduler {
    /// Links the messages the journal holds open to their files, by name;
    /// ends those whose file reached `sent/` or `failed/` just before a
    /// crash (that file carries their id: a new file of the same name in
    /// `outgoing/` is a new message) or was removed.
    pub(super) fn recover_messages(&mut self) {
        let mut by_name: HashMap<String, (u64, String)> = HashMap::new();
        let mut ended = Vec::new();
        for (id, state) in self.store.open_messages() {
            let name = &state.file;
            let finished = self.finished_names(name, &id).into_iter().find(|path| {
                carries_id(
                    path,
                    &id,
                    self.config.max_outgoing_bytes.saturating_add(64 * 1024),
                )
            });
            if let Some(finished) = &finished {
                // Cut off between its durable copy and the unlink of the
                // original: that move is completed, never the send repeated.
                // A new file under the name (other content) is left alone.
                for dir in &self.dirs {
                    let source = dir.path.join(name);
                    if is_original_of(&source, finished, self.config.max_outgoing_bytes) {
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

    /// A durable write of the send path failed: intake and sending pause
    /// (see [`StoreHealth`](crate::store_health::StoreHealth)),
    /// with one critical alarm per outage. The failure is the storage's,
    /// not a modem's.
    pub(super) fn store_failed(&mut self, what: &str, err: &dyn std::fmt::Display) {
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
    pub(super) fn retry_store(&mut self) -> bool {
        if !self.health.retry_due(Instant::now()) {
            return false;
        }
        self.retry_store_now()
    }

    /// Writes what failed to be written: the outcomes of sends, the `end`s,
    /// the moves to `sent/` and `failed/`; on the first failure, waits for
    /// the next retry. Returns true once all went through.
    pub(super) fn retry_store_now(&mut self) -> bool {
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

    /// Acts on a send task's report, and shows its modem's state.
    pub(super) fn finish_send(&mut self, result: SendResult) {
        let modem_idx = result.modem_idx;
        self.act_on_send(result);
        self.show(modem_idx);
    }

    fn act_on_send(&mut self, mut result: SendResult) {
        let slot = &mut self.modems[result.modem_idx];
        if !result.modem_freed {
            slot.busy = false;
            slot.continuous.ended(tokio::time::Instant::now());
            result.modem_freed = true;
        }
        let modem_name = slot.name.clone();
        // Counted once: a result whose record failed comes back.
        if result.unrecorded.is_none() {
            self.count_outcome(&modem_name, &result);
        }
        let Some(job) = self.pending.get_mut(&result.file) else {
            return;
        };
        if let Some(reservation) = job.reserved.take() {
            // Parts that surely did not go out are given back; one whose
            // outcome is unknown may have gone, and stays counted.
            let maybe_sent = result.sent.len() + usize::from(matches!(result.outcome, Outcome::Unknown(_)));
            let unsent = reservation
                .parts
                .saturating_sub(u32::try_from(maybe_sent).unwrap_or(u32::MAX));
            self.limits.release(&modem_name, reservation, unsent);
        }
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

    /// Counts a send's outcome on the status board (sent and failed
    /// today, the last error), and shows its modem's state.
    fn count_outcome(&self, modem_name: &str, result: &SendResult) {
        use crate::status_board::Event;
        let Some(job) = self.pending.get(&result.file) else {
            return;
        };
        let event = match &result.outcome {
            // Every part out, those of this send included.
            Outcome::Done
                if job.sent.iter().enumerate().all(|(idx, sent)| {
                    sent.is_some() || result.sent.iter().any(|(part, _)| *part == idx + 1)
                }) =>
            {
                Some(Event::Sent)
            }
            Outcome::Done | Outcome::Interrupted | Outcome::StoreFailed(_) => None,
            Outcome::Failed(reason) => Some(Event::Failed(reason.clone())),
            Outcome::Unknown(reason) if self.config.unknown_outcome == UnknownOutcome::Fail => {
                Some(Event::Failed(format!("outcome unknown: {reason}")))
            }
            Outcome::Unknown(reason) => Some(Event::Error(format!("outcome unknown: {reason}"))),
            Outcome::NotSent(reason) | Outcome::Refused(reason) => {
                let retries = job
                    .retries
                    .unwrap_or(self.modems[result.modem_idx].settings.send_retries);
                match job.attempts + 1 > retries {
                    true => Some(Event::Failed(reason.clone())),
                    false => Some(Event::Error(reason.clone())),
                }
            }
        };
        if let Some(event) = event {
            self.board.record(modem_name, event);
        }
    }

    /// Counts a failure of a modem, and blocks it after `block-after` in a
    /// row.
    pub(super) fn modem_failed(&mut self, modem_idx: usize) {
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
            let until = std::time::SystemTime::now() + slot.settings.block_time;
            self.config.modem_states.blocked(&modem, until);
            self.fail_stranded(&modem);
        }
    }

    /// A modem that was reopened and set up again is given work again at
    /// once: the failures that blocked it were its port's or its hang's.
    pub(super) fn unblock(&mut self, name: &str) {
        self.config.modem_states.unblocked(name);
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
    pub(super) fn fail_stranded(&mut self, modem: &str) {
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
    pub(super) fn send_done(&mut self, name: &str, modem_idx: usize, retrying: bool) -> bool {
        let Some(mut job) = self.pending.remove(name) else {
            return true;
        };
        let slot = &self.modems[modem_idx];
        let message_ids: Vec<u8> = match job.call {
            // A call has no message reference.
            Some(_) => Vec::new(),
            None => job.sent.iter().flatten().copied().collect(),
        };
        let sent_name = self.sent_name(name, &slot.name, &job.id);
        let record = SentRecord {
            original_filename: self.config.features.original_filename(name),
            number: slot.settings.features.number.clone(),
            description: slot.settings.features.description.clone(),
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
        let written = self.sent_index.write_sent(&sent_name, |early| {
            let reports: Vec<(&str, String)> = early
                .iter()
                .map(|line| (STATUS_REPORT_HEADER, line.clone()))
                .collect();
            let bytes = match reports.is_empty() {
                true => bytes,
                false => spool::add_headers(&bytes, &reports),
            };
            self.store
                .finish(&job.path, sent_dir, &sent_name, &bytes, job.mode, retrying)
                .map(|target| (target, bytes))
        });
        match written {
            Ok((target, bytes)) => {
                tracing::info!(target: "smsgate", "{name}: sent by {} ({})", slot.name, target.display());
                let modem = slot.name.clone();
                self.end(&job.id);
                let copies = &self.config.features.copies;
                let copy = copies::copy_finished(
                    copies.sent.as_deref(),
                    &target,
                    &bytes,
                    job.mode,
                    &self.alarms,
                    &modem,
                );
                let file = copies::for_eventhandler(target, copy, copies.eventhandler_use_copy);
                self.event(Some(&modem), hooks::sent_args(&file, &message_ids));
                self.config.events.publish(DaemonEvent::Sent {
                    id: job.id.clone(),
                    file: name.to_owned(),
                    to: job.recipient.clone(),
                    modem: self.modems[modem_idx].name.clone(),
                    message_references: message_ids,
                    duration_seconds: job.send_started.map(|started| started.elapsed().as_secs_f64()),
                });
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
    pub(super) fn fail_job(
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
    pub(super) fn fail_file(
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
            original_filename: self.config.features.original_filename(name),
            modem: modem.map(str::to_owned),
            number: slot.and_then(|slot| slot.settings.features.number.clone()),
            description: slot.and_then(|slot| slot.settings.features.description.clone()),
            imsi: slot.and_then(|slot| slot.identity.imsi.clone()),
            imei: slot.and_then(|slot| slot.identity.imei.clone()),
            reason: reason.to_owned(),
            failed: now(),
            pdu: pdu.filter(|_| self.config.store_sent_pdu.stores_failed()),
        };
        let rendered = spool::render_failed(bytes, &record);
        let failed_name = self.failed_name(name, modem, id);
        match self.store.finish(
            path,
            &self.config.spool.failed,
            &failed_name,
            &rendered,
            mode,
            retrying,
        ) {
            Ok(target) => {
                tracing::warn!(target: "smsgate", "{name}: failed: {reason}");
                self.sent_index.forget(name);
                if let Some(modem) = modem {
                    self.sent_index
                        .forget(&self.sent_name(name, modem, id.unwrap_or_default()));
                }
                if let Some(id) = id {
                    self.end(id);
                }
                let copies = &self.config.features.copies;
                let process = modem.unwrap_or("smsgate");
                let copy = copies::copy_finished(
                    copies.failed.as_deref(),
                    &target,
                    &rendered,
                    mode,
                    &self.alarms,
                    process,
                );
                let file = copies::for_eventhandler(target, copy, copies.eventhandler_use_copy);
                self.event(modem, hooks::failed_args(&file));
                self.config.events.publish(DaemonEvent::Failed {
                    id: id.map(str::to_owned),
                    file: name.to_owned(),
                    modem: modem.map(str::to_owned),
                    reason: reason.to_owned(),
                });
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
    pub(super) fn end(&mut self, id: &str) {
        if self.store.state(id).is_none() {
            return;
        }
        if let Err(err) = self.store.append(Record::End { id: id.to_owned() }) {
            self.unended.push(id.to_owned());
            self.store_failed(&format!("message {id}: finished, end not journalled"), &err);
        }
    }
}
