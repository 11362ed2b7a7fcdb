//! The finish pipeline: a batch of finished messages is made durable on a
//! writer thread of its own while the scheduler goes on (answers, facts,
//! new starts, intake), and its ends go with the next group of facts.
//!
//! A batch goes to the writer ([`Scheduler::submit_finishes`]) when none
//! is there; the finishes the policy asks for meanwhile are gathered, and
//! go as the next batch once the writer is back (group commit: batches
//! grow with the load). The writer runs the store's work
//! ([`MessageStore::begin_finish`]), under the sent index's lock as
//! before; its result comes back into the scheduler's loop
//! ([`Scheduler::finish_returned`]). A batch whose copies are durable
//! waits for its `End` facts ([`Fact::Ended`]), which
//! [`Scheduler::commit_facts`] writes with the next group (alone if no
//! fact waits at the end of the turn): no sync of their own. The policy
//! hears of each message of the batch ([`Input::Stored`]) only once that
//! group is durable, as before: nothing is forgotten, no name reused, no
//! eventhandler run before the end is on disk. A crash between the copies
//! and the ends is settled at the restart by the copies' ids
//! ([`Scheduler::recover_messages`]), as a crash between the two steps
//! always was.
//!
//! One batch at a time, and a message is in one batch only: the policy
//! asks for a message's finish again only once its write was reported.
//! A failed batch fails each of its messages (fail-stop: one alarm, the
//! policy retries them), and a stop waits for the batch at the writer.
//!
//! [`MessageStore::begin_finish`]: crate::send_core::MessageStore::begin_finish
//! [`Fact::Ended`]: crate::send_core::Fact::Ended
//! [`Input::Stored`]: crate::send_core::Input::Stored

use std::collections::HashSet;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::finish::Finishing;
use super::Scheduler;
use crate::reports::{SentIndex, STATUS_REPORT_HEADER};
use crate::send_core::store::{FinishWork, Finished};
use crate::send_core::{Input, MessageId, MessageStore as _, Outcome, StoreError};

/// A batch's files, written: its messages with their contents as kept
/// (the status report lines added), and the one result of the batch.
pub(super) struct Written {
    finished: Vec<Finished>,
    result: Result<(), StoreError>,
}

/// The writer thread (one for the scheduler's life) and the channel its
/// batches come back on.
pub(super) struct FinishWriter {
    work: Option<std_mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    thread: Option<JoinHandle<()>>,
    written_tx: mpsc::UnboundedSender<Written>,
    pub(super) written: mpsc::UnboundedReceiver<Written>,
}

impl std::fmt::Debug for FinishWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinishWriter").finish_non_exhaustive()
    }
}

impl FinishWriter {
    /// Starts the thread; without one (the system refused it), batches are
    /// written on the scheduler's own thread, as before.
    pub(super) fn start() -> FinishWriter {
        let (written_tx, written) = mpsc::unbounded_channel();
        let (work, jobs) = std_mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let thread = std::thread::Builder::new()
            .name("smsgate-finish".to_owned())
            .spawn(move || {
                while let Ok(job) = jobs.recv() {
                    job();
                }
            });
        let (work, thread) = match thread {
            Ok(thread) => (Some(work), Some(thread)),
            Err(err) => {
                tracing::warn!(target: "smsgate", "no thread to finish files on ({err}); finishing them in the scheduler");
                (None, None)
            }
        };
        FinishWriter {
            work,
            thread,
            written_tx,
            written,
        }
    }

    /// Writes a batch on the thread; its [`Written`] comes back on
    /// `written`.
    fn write(&self, sent_index: SentIndex, work: Box<dyn FinishWork>, finished: Vec<Finished>) {
        let written_tx = self.written_tx.clone();
        let job = move || {
            let written = write_batch(&sent_index, work, finished);
            let _ = written_tx.send(written);
        };
        match &self.work {
            Some(work) => {
                if let Err(std_mpsc::SendError(job)) = work.send(Box::new(job)) {
                    // The thread is gone (it cannot panic: a batch's panic
                    // is caught); write it here rather than never.
                    job();
                }
            }
            None => job(),
        }
    }

    /// Ends the thread (idle by then: the scheduler waited for its batch).
    pub(super) fn stop(&mut self) {
        self.work = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// On the writer thread: the batch's files written through the store's
/// work, with the status report lines that came while each message was
/// being sent; one that comes during the write is added once the file is
/// there (`SentIndex::write_sent_all`, which does not hold its lock across
/// the write). A panic fails the batch.
fn write_batch(sent_index: &SentIndex, work: Box<dyn FinishWork>, mut finished: Vec<Finished>) -> Written {
    let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let sent_names: Vec<String> = finished
            .iter()
            .filter(|one| matches!(one.outcome, Outcome::Sent { .. }))
            .map(|one| one.name.clone())
            .collect();
        sent_index
            .write_sent_all(&sent_names, |early| {
                let mut reports = early.iter();
                for one in &mut finished {
                    if !matches!(one.outcome, Outcome::Sent { .. }) {
                        continue;
                    }
                    let lines: Vec<(&str, String)> = reports
                        .next()
                        .into_iter()
                        .flatten()
                        .map(|line| (STATUS_REPORT_HEADER, line.clone()))
                        .collect();
                    if !lines.is_empty() {
                        one.content = spool::add_headers(&one.content, &lines);
                    }
                }
                work.run(&finished)
                    .map_err(|err| std::io::Error::new(err.kind, err.what))
            })
            .map_err(StoreError::from)
    }));
    let result = written.unwrap_or_else(|_| {
        Err(StoreError::from(std::io::Error::other(
            "the finish writer panicked",
        )))
    });
    Written { finished, result }
}

/// Where the finishes are: gathered for the next batch, at the writer, or
/// written and waiting for their ends.
#[derive(Debug, Default)]
pub(super) struct FinishPipeline {
    gathered: Vec<Finishing>,
    at_writer: Vec<Finishing>,
    ending: Vec<Finishing>,
}

impl FinishPipeline {
    pub(super) fn gather(&mut self, finishing: Finishing) {
        self.gathered.push(finishing);
    }

    /// Whether a batch is at the writer (a stop waits for it).
    pub(super) fn writing(&self) -> bool {
        !self.at_writer.is_empty()
    }

    /// The batches written whose ends wait for the next group of facts.
    pub(super) fn take_ending(&mut self) -> Vec<Finishing> {
        std::mem::take(&mut self.ending)
    }

    pub(super) fn has_ending(&self) -> bool {
        !self.ending.is_empty()
    }

    /// Whether a finish of a message sent or failed by modem `name` is on
    /// its way (a retired modem is let go once they are written).
    pub(super) fn holds_modem(&self, name: &str) -> bool {
        let by = |one: &Finishing| match &one.outcome {
            Outcome::Sent { modem, .. } => modem == name,
            Outcome::Failed { modem, .. } => modem.as_deref() == Some(name),
        };
        self.gathered
            .iter()
            .chain(&self.at_writer)
            .chain(&self.ending)
            .any(by)
    }
}

impl Scheduler {
    /// Hands the finishes gathered to the writer as one batch, if it is
    /// free.
    pub(super) fn submit_finishes(&mut self) {
        let pipeline = &mut self.finishes;
        if pipeline.writing() || pipeline.gathered.is_empty() {
            return;
        }
        // A message is in one batch at a time (the policy asks again only
        // after its report; kept as a guard): one still being ended waits.
        let busy: HashSet<&MessageId> = pipeline.ending.iter().map(|one| &one.id).collect();
        let (mut batch, wait): (Vec<Finishing>, Vec<Finishing>) = std::mem::take(&mut pipeline.gathered)
            .into_iter()
            .partition(|one| !busy.contains(&one.id));
        pipeline.gathered = wait;
        if batch.is_empty() {
            return;
        }
        let ids: Vec<MessageId> = batch.iter().map(|one| one.id.clone()).collect();
        let work = self.store.begin_finish(&ids);
        let finished: Vec<Finished> = batch.iter_mut().map(Finishing::take_for_store).collect();
        self.finishes.at_writer = batch;
        self.writer.write(self.sent_index.clone(), work, finished);
    }

    /// The writer is back with its batch: written, it waits for its ends;
    /// failed, each of its messages fails (the policy stops and retries
    /// them). The caller acts.
    pub(super) fn finish_returned(&mut self, written: Written) {
        let Written { finished, result } = written;
        let mut batch = std::mem::take(&mut self.finishes.at_writer);
        for (one, kept) in batch.iter_mut().zip(finished) {
            one.content = kept.content;
        }
        let ids: Vec<MessageId> = batch.iter().map(|one| one.id.clone()).collect();
        self.store.finish_done(&ids, &result);
        match result {
            Ok(()) => self.finishes.ending.extend(batch),
            Err(err) => {
                let now = Instant::now();
                for one in batch {
                    tracing::error!(target: "smsgate", "{}: cannot write it to sent/ or failed/: {err}", one.name);
                    let result = Err(err.clone());
                    self.policy.handle(
                        Input::Stored {
                            write: one.write,
                            result,
                        },
                        now,
                    );
                }
            }
        }
    }

    /// A stop waits for the batch at the writer, and for those the policy
    /// asks for meanwhile, each written and ended.
    pub(super) async fn settle_finishes(&mut self) {
        while self.finishes.writing() {
            let Some(written) = self.writer.written.recv().await else {
                break;
            };
            self.finish_returned(written);
            self.act();
        }
    }
}
