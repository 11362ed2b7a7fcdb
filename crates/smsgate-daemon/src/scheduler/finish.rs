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
use crate::events::{DaemonEvent, Intent};
use crate::hooks;
use crate::send_core::store::Finished;
use crate::send_core::{Input, MessageId, MessageStore as _, Outcome, Presence, WriteId};
use crate::spool_dir::{self, Claim, EntryId};
use crate::webhooks::intent::Fact;

use super::watch::{carries_id, hex, is_original_of};
use super::{Scheduler, OUTCOME_HEADER};

/// A finished message rendered, on its way through the finish pipeline
/// (`finish_writer`).
#[derive(Debug)]
pub(super) struct Finishing {
    pub(super) write: WriteId,
    pub(super) id: MessageId,
    /// Its file's name (the shell's key).
    pub(super) name: String,
    /// The name it is kept under in `sent/` or `failed/`.
    kept_name: String,
    pub(super) outcome: Outcome,
    origin: String,
    taken: EntryId,
    mode: u32,
    /// Its rendered file; at the writer while its batch is there.
    pub(super) content: Vec<u8>,
    /// The references for the eventhandler (none for a call).
    message_ids: Vec<u8>,
    /// Its event, whose webhook deliveries are queued before the file is
    /// written (webhooks/intent.rs): published once it is, dropped (the
    /// deliveries go) if its commit fails.
    intent: Intent,
}

impl Finishing {
    /// What the store makes durable of it; its content goes along (and
    /// comes back with the batch).
    pub(super) fn take_for_store(&mut self) -> Finished {
        Finished {
            id: self.id.clone(),
            name: self.kept_name.clone(),
            origin: self.origin.clone(),
            outcome: self.outcome.clone(),
            content: std::mem::take(&mut self.content),
            mode: self.mode,
            taken: self.taken,
        }
    }
}

impl Scheduler {
    /// Tells the policy which messages the store holds open and where their
    /// files are: one whose file reached `sent/` or `failed/` just before a
    /// crash (that file carries its id: a new file of the same name in
    /// `outgoing/` is a new message) or was removed is ended; the others
    /// are linked to their files by name.
    pub(super) fn recover_messages(&mut self) {
        let open_messages = self.store.open_messages();
        let limit = self.config.max_outgoing_bytes;
        // The finished copy of each open message, if it reached `sent/` or
        // `failed/` (it carries the message's id).
        let finished_copies: Vec<Option<PathBuf>> = open_messages
            .iter()
            .map(|open| {
                self.finished_names(&open.name, &open.id)
                    .into_iter()
                    .find(|path| carries_id(path, &open.id, limit.saturating_add(64 * 1024)))
            })
            .collect();
        // Entries claimed when the daemon stopped (spool_dir::claim): the
        // original of a finished message goes, any other is put back.
        for dir in &self.dirs {
            let restored = spool_dir::restore_claims(&dir.path, |name, tag, path| {
                open_messages.iter().zip(&finished_copies).any(|(open, copy)| {
                    open.id == tag
                        && open.name == name
                        && copy
                            .as_ref()
                            .is_some_and(|copy| is_original_of(path, copy, limit))
                })
            });
            match restored {
                Ok(names) => {
                    for name in names {
                        tracing::warn!(target: "smsgate", "{name}: put back in {} after a restart", dir.path.display());
                    }
                }
                Err(err) => tracing::error!(target: "smsgate", "{}: {err}", dir.path.display()),
            }
        }
        let mut recovered = Vec::new();
        for (open, finished) in open_messages.into_iter().zip(finished_copies) {
            let name = &open.name;
            if let Some(finished) = &finished {
                // Cut off between its durable copy and the unlink of the
                // original: that move is completed, never the send repeated.
                // A new file under the name (other content) is left alone.
                for dir in &self.dirs {
                    let source = dir.path.join(name);
                    let claimed =
                        spool_dir::claim(&source, &open.id, |path, _| is_original_of(path, finished, limit));
                    let removed = match claimed {
                        Ok(Claim::Ours(private)) => {
                            tracing::warn!(target: "smsgate", "{name}: finished before a restart; removing {}", source.display());
                            std::fs::remove_file(&private).and_then(|()| spool_dir::sync_dir(&dir.path))
                        }
                        Ok(Claim::NotOurs | Claim::Gone) => Ok(()),
                        Err(err) => Err(err),
                    };
                    if let Err(err) = removed {
                        tracing::error!(target: "smsgate", "{}: {err}", source.display());
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
        self.know_name(id, name);
    }

    /// Renders message `id`'s `sent/` or `failed/` file, for its group's
    /// batch ([`Scheduler::submit_finishes`]); `None` if the shell holds
    /// no such message (nothing to write).
    pub(super) fn prepare_finish(
        &mut self,
        write: WriteId,
        id: &str,
        name: &str,
        outcome: &Outcome,
        unknown: bool,
    ) -> Option<Finishing> {
        if self.jobs.get(name).is_none_or(|job| job.id != id) {
            return None;
        }
        // Parts counted against a modem's limits that never went out (a
        // message failed whole) are given back.
        self.release_rest(name);
        let job = self.jobs.get(name)?;
        let mut bytes = job.bytes.clone();
        if unknown {
            bytes = spool::add_headers(&bytes, &[(OUTCOME_HEADER, "unknown".to_owned())]);
        }
        let (kept_name, content, message_ids) = match outcome {
            Outcome::Sent { modem, references } => {
                let slot = self.modems.iter().find(|slot| slot.name == *modem);
                let message_ids: Vec<u8> = match job.call {
                    // A call has no message reference.
                    Some(_) => Vec::new(),
                    None => references.clone(),
                };
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
                    pdus: self.config.store_sent_pdu.sent_lines(&job.pdus),
                    notices: job.notices.clone(),
                };
                let content = spool::render_sent(&bytes, &record);
                (self.sent_name(name, modem, id), content, message_ids)
            }
            Outcome::Failed {
                reason,
                modem,
                first_unsent,
            } => {
                let pdu = first_unsent
                    .and_then(|part| job.pdus.get(part.wrapping_sub(1)))
                    .filter(|pdu| !pdu.is_empty())
                    .map(|pdu| hex(pdu));
                let content = self.render_failed(name, &bytes, reason, modem.as_deref(), pdu);
                (
                    self.failed_name(name, modem.as_deref(), Some(id)),
                    content,
                    Vec::new(),
                )
            }
        };
        let (dir, event) = match outcome {
            Outcome::Sent { modem, .. } => (
                &self.config.spool.sent,
                DaemonEvent::Sent {
                    id: id.to_owned(),
                    file: name.to_owned(),
                    to: job.recipient.clone(),
                    modem: modem.clone(),
                    message_references: message_ids.clone(),
                    duration_seconds: job.send_started.map(|started| started.elapsed().as_secs_f64()),
                },
            ),
            Outcome::Failed { reason, modem, .. } => (
                &self.config.spool.failed,
                DaemonEvent::Failed {
                    id: Some(id.to_owned()),
                    file: name.to_owned(),
                    modem: modem.clone(),
                    reason: reason.clone(),
                },
            ),
        };
        let fact = Fact {
            writes: dir.join(&kept_name),
            removes: Some(job.path.clone()),
        };
        Some(Finishing {
            write,
            id: id.to_owned(),
            name: name.to_owned(),
            kept_name,
            outcome: outcome.clone(),
            origin: job.path.to_string_lossy().into_owned(),
            taken: job.taken,
            mode: job.mode,
            content,
            message_ids,
            intent: self.config.events.intend(event, fact),
        })
    }

    /// A message's file is durably in `sent/` or `failed/` and its end
    /// recorded: the log, the copies, the eventhandler and the event.
    pub(super) fn finished(&mut self, one: Finishing) {
        let name = &one.name;
        match &one.outcome {
            Outcome::Sent { modem, .. } => {
                let target = self.config.spool.sent.join(&one.kept_name);
                // The journal gets modem, file and message id as fields
                // (MODEM=, FILE=, MESSAGE_ID=; smsgate's logging.rs).
                tracing::info!(
                    target: "smsgate",
                    modem = %modem,
                    file = %name,
                    message_id = %one.id,
                    "{name}: sent by {modem} ({})",
                    target.display()
                );
                let copies = &self.config.features.copies;
                let copy = copies::copy_finished(
                    copies.sent.as_deref(),
                    &target,
                    &one.content,
                    one.mode,
                    &self.alarms,
                    modem,
                );
                let file = copies::for_eventhandler(target, copy, copies.eventhandler_use_copy);
                self.event(Some(modem), hooks::sent_args(&file, &one.message_ids));
            }
            Outcome::Failed { reason, modem, .. } => {
                tracing::warn!(
                    target: "smsgate",
                    modem = modem.as_deref().unwrap_or(""),
                    file = %name,
                    message_id = %one.id,
                    "{name}: failed: {reason}"
                );
                self.sent_index.forget(name);
                if let Some(modem) = modem {
                    self.sent_index.forget(&self.sent_name(name, modem, &one.id));
                }
                let target: PathBuf = self.config.spool.failed.join(&one.kept_name);
                let copies = &self.config.features.copies;
                let copy = copies::copy_finished(
                    copies.failed.as_deref(),
                    &target,
                    &one.content,
                    one.mode,
                    &self.alarms,
                    modem.as_deref().unwrap_or("smsgate"),
                );
                let file = copies::for_eventhandler(target, copy, copies.eventhandler_use_copy);
                self.event(modem.as_deref(), hooks::failed_args(&file));
            }
        }
        self.jobs.remove(name);
        self.names_by_id.remove(&one.id);
        one.intent.publish();
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
