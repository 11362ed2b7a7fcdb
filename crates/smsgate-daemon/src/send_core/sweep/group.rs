//! The sweep's shell side of group commit, as the scheduler does it: the
//! facts of a turn with the ends of the finish batches written since, and
//! the finishes through the writer (scheduler/finish_writer.rs).

use super::*;

/// A finish batch at the writer: its writes, its work, its messages and
/// the turns it still takes.
type AtWriter = (Vec<WriteId>, Box<dyn FinishWork>, Vec<Finished>, usize);

/// The writes of the shell, as the scheduler gathers them: the facts of a
/// turn, committed as one group with the ends of the finish batches
/// written since; the finishes, handed to the writer as one batch when it
/// is free, carried out `lag` turns later, their ends then waiting for the
/// next group (scheduler/finish_writer.rs).
#[derive(Default)]
pub(super) struct Group {
    facts: Vec<(WriteId, Fact)>,
    /// (write, the message as the store gets it)
    gathered: Vec<(WriteId, Finished)>,
    /// The batch at the writer: its writes, its work, its messages and
    /// the turns it still takes.
    pub(super) at_writer: Option<AtWriter>,
    /// Written batches' messages whose ends wait: (write, id).
    ending: Vec<(WriteId, MessageId)>,
}

thread_local! {
    /// The most writes committed in one group so far, and the largest
    /// finish batch.
    pub(super) static LARGEST_GROUP: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    pub(super) static LARGEST_BATCH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };

    /// Groups in which a start shares the sync of the fact before it:
    /// (a message's `Accepted` and its first start, a `Sent` and a start).
    pub(super) static SHARED_STARTS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

fn note_group(size: usize) {
    LARGEST_GROUP.with(|largest| largest.set(largest.get().max(size)));
}

/// The finished message the store gets for `Action::Finish`.
pub(super) fn finished_of(
    id: MessageId,
    name: String,
    origin: String,
    outcome: Outcome,
    unknown: bool,
) -> Finished {
    Finished {
        id,
        name,
        origin,
        outcome,
        content: if unknown { b"flagged".to_vec() } else { Vec::new() },
        mode: 0o600,
        taken: EntryId { dev: 0, ino: 0 },
    }
}

/// Counts the starts of a group that share its sync with an `Accepted`
/// of their message, or with a `Sent`.
fn note_shared_starts(facts: &[Fact]) {
    let accepted_with_start = facts.iter().any(|fact| {
        let Fact::Accepted { id, .. } = fact else {
            return false;
        };
        facts
            .iter()
            .any(|other| matches!(other, Fact::PartStarted { id: started, .. } if started == id))
    });
    let sent = facts.iter().any(|fact| matches!(fact, Fact::PartSent { .. }));
    let started = facts.iter().any(|fact| matches!(fact, Fact::PartStarted { .. }));
    SHARED_STARTS.with(|shared| {
        let (accepts, sends) = shared.get();
        shared.set((
            accepts + usize::from(accepted_with_start),
            sends + usize::from(sent && started),
        ));
    });
}

impl Group {
    /// Keeps a write for the group; any other action is handed back.
    pub(super) fn gather(&mut self, action: Action) -> Option<Action> {
        match action {
            Action::Write { write, fact } => self.facts.push((write, fact)),
            Action::Finish {
                write,
                id,
                name,
                origin,
                outcome,
                unknown,
            } => self
                .gathered
                .push((write, finished_of(id, name, origin, outcome, unknown))),
            other => return Some(other),
        }
        None
    }

    /// Commits the facts with the ends waiting as one group; the report of
    /// each write (one result for the group), none if nothing waits.
    pub(super) fn commit(&mut self, store: &mut Model) -> Vec<(WriteId, Result<(), StoreError>)> {
        if self.facts.is_empty() && self.ending.is_empty() {
            return Vec::new();
        }
        let (writes, facts): (Vec<WriteId>, Vec<Fact>) = std::mem::take(&mut self.ending)
            .into_iter()
            .map(|(write, id)| (write, Fact::Ended { id }))
            .chain(std::mem::take(&mut self.facts))
            .unzip();
        note_group(facts.len());
        note_shared_starts(&facts);
        let result = store.record_all(&facts);
        writes.into_iter().map(|write| (write, result.clone())).collect()
    }

    /// Hands the gathered finishes to the writer, if it is free.
    pub(super) fn submit(&mut self, store: &mut Model, lag: usize) {
        if self.at_writer.is_some() || self.gathered.is_empty() {
            return;
        }
        let (writes, finished): (Vec<WriteId>, Vec<Finished>) =
            std::mem::take(&mut self.gathered).into_iter().unzip();
        LARGEST_BATCH.with(|largest| largest.set(largest.get().max(finished.len())));
        let ids: Vec<MessageId> = finished.iter().map(|one| one.id.clone()).collect();
        let work = store.begin_finish(&ids);
        self.at_writer = Some((writes, work, finished, lag));
    }

    /// The writer's turn: its batch carried out once its lag is over (or
    /// now, if `now`); a failed batch's reports. None while it works.
    pub(super) fn writer(&mut self, store: &mut Model, now: bool) -> Vec<(WriteId, Result<(), StoreError>)> {
        match &mut self.at_writer {
            Some((.., lag)) if *lag > 0 && !now => {
                *lag -= 1;
                return Vec::new();
            }
            Some(_) => {}
            None => return Vec::new(),
        }
        let Some((writes, work, finished, _)) = self.at_writer.take() else {
            return Vec::new();
        };
        let ids: Vec<MessageId> = finished.iter().map(|one| one.id.clone()).collect();
        let result = work.run(&finished);
        store.finish_done(&ids, &result);
        match result {
            Ok(()) => {
                self.ending.extend(writes.into_iter().zip(ids));
                Vec::new()
            }
            Err(err) => writes
                .into_iter()
                .map(|write| (write, Err(err.clone())))
                .collect(),
        }
    }
}
