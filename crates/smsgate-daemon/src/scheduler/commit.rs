//! The scheduler's side of group commit: the facts of one turn (with the
//! ends of the finish batches written since) in one commit of the store,
//! and the lookup of a message's file by its id
//! that every part's start and answer needs. The finishes' batches are in
//! `finish_writer`; gathering the writes of a turn is `Scheduler::act`'s.

use tokio::time::Instant;

use super::Scheduler;
use crate::send_core::{self, Input, MessageStore as _, WriteId};

impl Scheduler {
    /// Writes a group of facts in one commit of the store and reports each
    /// to the policy: a failure fails them all. The ends of the finish
    /// batches written since go first in the group (`finish_writer`):
    /// their messages are reported, and finished, with it.
    pub(super) fn commit_facts(&mut self, facts: Vec<(WriteId, send_core::Fact)>) {
        let ending = self.finishes.take_ending();
        let (writes, facts): (Vec<WriteId>, Vec<send_core::Fact>) = ending
            .iter()
            .map(|one| (one.write, send_core::Fact::Ended { id: one.id.clone() }))
            .chain(facts)
            .unzip();
        let result = self.store.record_all(&facts);
        if let Err(err) = &result {
            tracing::error!(
                target: "smsgate",
                "{} fact(s), the first {:?}: {err}; sending and intake paused until the storage takes writes",
                facts.len(),
                facts.first()
            );
        }
        let now = Instant::now();
        let (ended, writes) = writes.split_at(ending.len());
        for (one, &write) in ending.into_iter().zip(ended) {
            match &result {
                Ok(()) => {
                    self.count_finish(&one.outcome);
                    self.finished(one);
                }
                Err(_) => {
                    tracing::error!(target: "smsgate", "{}: in sent/ or failed/, its end not recorded", one.name)
                }
            }
            let result = result.clone();
            self.policy.handle(Input::Stored { write, result }, now);
        }
        for &write in writes {
            let result = result.clone();
            self.policy.handle(Input::Stored { write, result }, now);
        }
    }

    /// The name of message `id`'s file, by its id: a lookup, not a walk
    /// over every file held (10,000 files waiting made each part's start
    /// and answer a walk over them all). Checked against the jobs, so a
    /// stale entry is never believed; stale ones are dropped as they pile
    /// up.
    pub(super) fn name_of(&mut self, id: &str) -> Option<String> {
        if let Some(name) = self.names_by_id.get(id) {
            if self.jobs.get(name).is_some_and(|job| job.id == id) {
                return Some(name.clone());
            }
        }
        let name = self
            .jobs
            .values()
            .find(|job| job.id == id)
            .map(|job| job.name.clone())?;
        self.know_name(id, &name);
        Some(name)
    }

    /// Remembers that message `id` is the file `name`.
    pub(super) fn know_name(&mut self, id: &str, name: &str) {
        if self.names_by_id.len() > 2 * self.jobs.len() + 64 {
            let jobs = &self.jobs;
            self.names_by_id
                .retain(|id, name| jobs.get(name).is_some_and(|job| job.id == *id));
        }
        self.names_by_id.insert(id.to_owned(), name.to_owned());
    }
}
