//! The scheduler's finishing, as the send policy asks for it: how the
//! messages the store holds open are linked back to their files at
//! start, how an accepted file moves on to its queue, and how a message's
//! `sent/` or `failed/` file is rendered and written through the store.
//! Separate from the main loop in `scheduler.rs` because finishing a
//! message is a concern of its own.

use std::path::PathBuf;

use spool::{FailedRecord, SentRecord};

use crate::clock::now;
use crate::copies;
use crate::events::DaemonEvent;
use crate::hooks;
use crate::reports::STATUS_REPORT_HEADER;
use crate::send_core::store::Finished;
use crate::send_core::{Input, MessageStore as _, Outcome, Presence, StoreError};
use crate::spool_dir;
use crate::webhooks::intent::Fact;

use super::watch::{carries_id, hex, is_original_of};
use super::{Scheduler, OUTCOME_HEADER};

impl Scheduler {
    /// Tells the policy which messages the store holds open and where their
    /// files are: one whose file reached `sent/` or `failed/` just before a
    /// crash (that file carries its id: a new file of the same name in
    /// `outgoing/` is a new message) or was removed is ended; the others
    /// are linked to their files by name.
    pub(super) fn recover_messages(&mut self) {
        let mut recovered = Vec::new();
        for open in self.store.open_messages() {
            let name = &open.name;
            let finished = self.finished_names(name, &open.id).into_iter().find(|path| {
                carries_id(
                    path,
                    &open.id,
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
            let presence = if finished.is_some() {
                Presence::Finished
            } else if self.dirs.iter().any(|dir| dir.path.join(name).exists()) {
                Presence::Waiting
            } else {
                Presence::Gone
            };
            recovered.push((open, presence));
        }
        self.input(Input::Recovered(recovered));
    }

    /// Message `id` is accepted: a file from `outgoing/` moves on to its
    /// queue's directory.
    pub(super) fn accepted(&mut self, id: &str, name: &str) {
        let Some(job) = self.jobs.get(name) else {
            return;
        };
        let (path, queue) = (job.path.clone(), job.queue.clone());
        let path = match path.parent() == Some(self.dirs[0].path.as_path()) {
            true => self.move_to_queue(name, &path, queue.as_deref()),
            false => path,
        };
        if let Some(job) = self.jobs.get_mut(name) {
            tracing::info!(target: "smsgate", "{name}: to {}, {} part(s)", job.recipient, job.pdus.len());
            job.id = id.to_owned();
            job.path = path;
        }
    }

    /// Writes message `id`'s `sent/` or `failed/` file and ends it, through
    /// the store; the policy is told how that went.
    pub(super) fn finish(
        &mut self,
        id: &str,
        name: &str,
        outcome: &Outcome,
        unknown: bool,
    ) -> Result<(), StoreError> {
        if self.jobs.get(name).is_none_or(|job| job.id != id) {
            return Ok(());
        }
        // Parts counted against a modem's limits that never went out (a
        // message failed whole) are given back.
        self.release_rest(name);
        let Some(job) = self.jobs.get(name) else {
            return Ok(());
        };
        let mut bytes = job.bytes.clone();
        if unknown {
            bytes = spool::add_headers(&bytes, &[(OUTCOME_HEADER, "unknown".to_owned())]);
        }
        let path = job.path.to_string_lossy().into_owned();
        let (recipient, send_started) = (job.recipient.clone(), job.send_started);
        let (mode, pdus) = (job.mode, job.pdus.clone());
        let result = match outcome {
            Outcome::Sent { modem, references } => {
                let slot = self.modems.iter().find(|slot| slot.name == *modem);
                let message_ids: Vec<u8> = match job.call {
                    // A call has no message reference.
                    Some(_) => Vec::new(),
                    None => references.clone(),
                };
                let sent_name = self.sent_name(name, modem, id);
                let record = SentRecord {
                    original_filename: self.config.features.original_filename(name),
                    number: slot.and_then(|slot| slot.settings.features.number.clone()),
                    description: slot.and_then(|slot| slot.settings.features.description.clone()),
                    modem: modem.clone(),
                    sent: now(),
                    // Whole seconds, as smsd writes it.
                    sending_time: job
                        .send_started
                        .map(|started| u32::try_from(started.elapsed().as_secs()).unwrap_or(u32::MAX)),
                    message_ids: message_ids.clone(),
                    imsi: slot.and_then(|slot| slot.identity.imsi.clone()),
                    imei: slot.and_then(|slot| slot.identity.imei.clone()),
                    pdus: self.config.store_sent_pdu.sent_lines(&pdus),
                    notices: job.notices.clone(),
                };
                let bytes = spool::render_sent(&bytes, &record);
                // Its webhook deliveries queued before the file is written
                // (webhooks/intent.rs).
                let intent = self.config.events.intend(
                    DaemonEvent::Sent {
                        id: id.to_owned(),
                        file: name.to_owned(),
                        to: recipient,
                        modem: modem.clone(),
                        message_references: message_ids.clone(),
                        duration_seconds: send_started.map(|started| started.elapsed().as_secs_f64()),
                    },
                    Fact {
                        writes: self.config.spool.sent.join(&sent_name),
                        removes: Some(PathBuf::from(&path)),
                    },
                );
                // Under the index's lock: a status report that came while
                // the message was being sent is written with it, and one
                // that comes now waits until the file is there.
                let (store, sent_index) = (&mut self.store, &self.sent_index);
                let written = sent_index.write_sent(&sent_name, |early| {
                    let reports: Vec<(&str, String)> = early
                        .iter()
                        .map(|line| (STATUS_REPORT_HEADER, line.clone()))
                        .collect();
                    let bytes = match reports.is_empty() {
                        true => bytes,
                        false => spool::add_headers(&bytes, &reports),
                    };
                    let finished = Finished {
                        id,
                        name: &sent_name,
                        origin: &path,
                        outcome,
                        content: &bytes,
                        mode,
                    };
                    store
                        .finish(&finished)
                        .map(|()| (self.config.spool.sent.join(&sent_name), bytes))
                        .map_err(|err| std::io::Error::new(err.kind, err.what))
                });
                match written {
                    Ok((target, bytes)) => {
                        // The journal gets modem, file and message id as fields
                        // (MODEM=, FILE=, MESSAGE_ID=; smsgate's logging.rs).
                        tracing::info!(
                            target: "smsgate",
                            modem = %modem,
                            file = %name,
                            message_id = %id,
                            "{name}: sent by {modem} ({})",
                            target.display()
                        );
                        let copies = &self.config.features.copies;
                        let copy = copies::copy_finished(
                            copies.sent.as_deref(),
                            &target,
                            &bytes,
                            mode,
                            &self.alarms,
                            modem,
                        );
                        let file = copies::for_eventhandler(target, copy, copies.eventhandler_use_copy);
                        self.event(Some(modem), hooks::sent_args(&file, &message_ids));
                        intent.publish();
                        Ok(())
                    }
                    Err(err) => Err(StoreError::from(err)),
                }
            }
            Outcome::Failed {
                reason,
                modem,
                first_unsent,
            } => {
                let pdu = first_unsent
                    .and_then(|part| pdus.get(part.wrapping_sub(1)))
                    .filter(|pdu| !pdu.is_empty())
                    .map(|pdu| hex(pdu));
                let rendered = self.render_failed(name, &bytes, reason, modem.as_deref(), pdu);
                let failed_name = self.failed_name(name, modem.as_deref(), Some(id));
                let finished = Finished {
                    id,
                    name: &failed_name,
                    origin: &path,
                    outcome,
                    content: &rendered,
                    mode,
                };
                let intent = self.config.events.intend(
                    DaemonEvent::Failed {
                        id: Some(id.to_owned()),
                        file: name.to_owned(),
                        modem: modem.clone(),
                        reason: reason.clone(),
                    },
                    Fact {
                        writes: self.config.spool.failed.join(&failed_name),
                        removes: Some(PathBuf::from(&path)),
                    },
                );
                let result = self.store.finish(&finished);
                if result.is_ok() {
                    tracing::warn!(
                        target: "smsgate",
                        modem = modem.as_deref().unwrap_or(""),
                        file = %name,
                        message_id = %id,
                        "{name}: failed: {reason}"
                    );
                    self.sent_index.forget(name);
                    if let Some(modem) = modem {
                        self.sent_index.forget(&self.sent_name(name, modem, id));
                    }
                    let target: PathBuf = self.config.spool.failed.join(&failed_name);
                    let copies = &self.config.features.copies;
                    let copy = copies::copy_finished(
                        copies.failed.as_deref(),
                        &target,
                        &rendered,
                        mode,
                        &self.alarms,
                        modem.as_deref().unwrap_or("smsgate"),
                    );
                    let file = copies::for_eventhandler(target, copy, copies.eventhandler_use_copy);
                    self.event(modem.as_deref(), hooks::failed_args(&file));
                    intent.publish();
                }
                result
            }
        };
        match &result {
            Ok(()) => {
                self.jobs.remove(name);
            }
            Err(err) => {
                tracing::error!(target: "smsgate", "{name}: cannot write it to sent/ or failed/: {err}");
            }
        }
        result
    }

    /// A file's `failed/` version: its content and the reason.
    pub(super) fn render_failed(
        &self,
        name: &str,
        bytes: &[u8],
        reason: &str,
        modem: Option<&str>,
        pdu: Option<String>,
    ) -> Vec<u8> {
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
        spool::render_failed(bytes, &record)
    }
}
