//! Starting a part: the last checks before a part is handed to its modem
//! (a cancel over HTTP, the SIM's limits), then the send task.

use tokio::time::Instant;

use super::Scheduler;
use crate::send_core::PartOutcome;
use crate::send_task::{PartResult, PartTask};

impl Scheduler {
    /// Hands part `part` of message `id` to modem `modem`, in a task.
    /// The first part of a send is counted against the modem's limits
    /// first (a count that cannot be written holds it back: the modem's
    /// limits would be blind), and may have the storage read and the
    /// registration checked before it (`receive-before-send`,
    /// `max-continuous-sending-s`, `check-network`).
    pub(super) fn start_part(&mut self, id: &str, part: usize, modem: &str) {
        let Some(name) = self.name_of(id) else {
            return;
        };
        // A cancel over the HTTP API (http/cancel.rs) wins until here;
        // once a message started, a cancel is refused.
        let held = match self.config.cancels.may_start(id) {
            false => Some(PartOutcome::Cancelled {
                reason: crate::http::cancel::CANCELLED_REASON.to_owned(),
            }),
            true => self
                .count_parts(&name, part, modem)
                .err()
                .map(|reason| PartOutcome::Held { reason }),
        };
        if let Some(outcome) = held {
            let (id, modem) = (id.to_owned(), modem.to_owned());
            let _ = self.results_tx.send(PartResult {
                id,
                part,
                modem,
                outcome,
            });
            return;
        }
        let finished_name = self.sent_name(&name, modem, id);
        let Some(job) = self.jobs.get_mut(&name) else {
            return;
        };
        let Some(slot) = self
            .modems
            .iter_mut()
            .find(|slot| slot.name == modem && !slot.retired)
        else {
            return;
        };
        // A send begins with its first part; the next parts follow it on
        // the modem at once.
        let begins = job.send_started.is_none();
        job.send_started.get_or_insert_with(Instant::now);
        tracing::debug!(target: "smsgate", "{}: part {part} to modem {modem}", job.name);
        let tasks = &slot.settings.tasks;
        // smsd reads the storage before a send with receive_before_send,
        // and once a run of sends has lasted max_continuous_sending.
        let run_over = begins
            && slot
                .continuous
                .starts(Instant::now(), tasks.max_continuous_sending);
        let task = PartTask {
            id: id.to_owned(),
            file: job.name.clone(),
            finished_name,
            part,
            modem_name: slot.name.clone(),
            handle: slot.handle.clone(),
            sent_index: self.sent_index.clone(),
            recipient: job.recipient.clone(),
            failed_dir: self.config.spool.failed.clone(),
            parts: job.pdus.len(),
            check_network: begins && tasks.check_network,
            sweep_first: slot
                .sweep
                .clone()
                .filter(|_| begins && (tasks.receive_before_send || run_over)),
        };
        let call = job.call.clone();
        let pdu = job.pdus.get(part - 1).cloned().unwrap_or_default();
        let results = self.results_tx.clone();
        self.tasks.spawn(async move {
            let result = match call {
                Some(call) => task.call(call).await,
                None => task.send(pdu).await,
            };
            // The scheduler waits for every result before it stops.
            let _ = results.send(result);
        });
    }
}
