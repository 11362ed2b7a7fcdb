//! The send path's store boundary: [`MessageStore`], through which every
//! durable fact passes (a message accepted with its id; a part started,
//! sent, refused or of unknown outcome; a file finished to `sent/` or
//! `failed/`). It knows nothing of directories: a finished message is its
//! name, its id, where it came from (opaque), the outcome and the rendered
//! content; the spool directory + journal backend ([`SpoolJournal`]) puts
//! that in `sent/` or `failed/`, a database backend would update a row.
//!
//! A write returns once it is durable. Facts come in groups (group commit:
//! [`MessageStore::record_all`]), each group made durable with as few
//! syncs as the backend can, and reported as one: a failure fails every
//! write of the group, so each of its messages stops (fail-stop) and is
//! retried. The shell reports a write to the core only once its group
//! returned (the core starts nothing before that report).
//!
//! Finishing a batch of messages is split so that it can run off the
//! shell's thread: [`MessageStore::begin_finish`] hands out the work that
//! makes the batch's finished copies durable ([`FinishWork`], `Send`: the
//! shell runs it on a writer thread while it goes on with other facts),
//! [`MessageStore::finish_done`] takes its result back, and the batch's
//! [`Fact::Ended`]s then go with the next group of facts. A restart after
//! the copies and before their ends settles each such message once: the
//! shell finds its copy by its id and reports it
//! [`Presence::Finished`](super::Presence::Finished), which ends it.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;

use super::{Fact, MessageId, OpenMessage, Outcome};
use crate::journal::Record;
use crate::send_store::{FileFinisher, SendStore};
use crate::spool_dir::{EntryId, Move};

/// A failed durable write: its kind (`StorageFull`, `PermissionDenied`,
/// other I/O errors) and what failed, for the log and the alarm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoreError {
    pub(crate) kind: io::ErrorKind,
    pub(crate) what: String,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

impl From<io::Error> for StoreError {
    fn from(err: io::Error) -> StoreError {
        StoreError {
            kind: err.kind(),
            what: err.to_string(),
        }
    }
}

/// A message finished: what a [`FinishWork`] makes durable. Owned: it
/// travels to the thread that runs the work.
#[derive(Clone, Debug)]
pub(crate) struct Finished {
    pub(crate) id: MessageId,
    /// The name it is kept under: its file's, or one of its own
    /// (`keep-filename = false`, [`crate::finished_names`]).
    pub(crate) name: String,
    /// Where the shell found it ([`super::Offer::origin`]).
    pub(crate) origin: String,
    pub(crate) outcome: Outcome,
    /// The file as it is to be kept, rendered by the shell (with the id,
    /// the `Sent:`/`Failed:` lines and the outcome flag).
    pub(crate) content: Vec<u8>,
    /// The permission bits of the original, which the copy keeps (a store
    /// without files ignores them).
    pub(crate) mode: u32,
    /// Which file was taken from `origin`: only it is removed there, never
    /// a new one put under its name meanwhile (a store without files
    /// ignores it).
    pub(crate) taken: EntryId,
}

/// The durable part of finishing a batch, handed out by
/// [`MessageStore::begin_finish`]: run once, on any thread, with the
/// batch as it is to be kept (the shell may still add lines to the
/// contents, under its own lock, before it runs it).
pub(crate) trait FinishWork: Send {
    /// Makes the finished copies of `finished` durable before returning.
    fn run(self: Box<Self>, finished: &[Finished]) -> Result<(), StoreError>;
}

/// See the module docs.
pub(crate) trait MessageStore {
    /// Makes `facts` durable, as one group, before returning.
    fn record_all(&mut self, facts: &[Fact]) -> Result<(), StoreError>;
    /// Makes `fact` durable before returning.
    #[cfg(test)]
    fn record(&mut self, fact: &Fact) -> Result<(), StoreError> {
        self.record_all(std::slice::from_ref(fact))
    }
    /// The work that makes the finished copies of messages `ids` durable,
    /// as one batch; at most one batch of a message at a time. Their ends
    /// are facts of their own ([`Fact::Ended`]), recorded once the work
    /// succeeded and [`MessageStore::finish_done`] was told.
    fn begin_finish(&mut self, ids: &[MessageId]) -> Box<dyn FinishWork>;
    /// The work of [`MessageStore::begin_finish`] for `ids` returned
    /// `result`.
    fn finish_done(&mut self, ids: &[MessageId], result: &Result<(), StoreError>);
    /// Makes the end of messages durable, as one group, on this thread:
    /// their finished copies, then their ends.
    #[cfg(test)]
    fn finish_all(&mut self, finished: &[Finished]) -> Result<(), StoreError> {
        let ids: Vec<MessageId> = finished.iter().map(|one| one.id.clone()).collect();
        let result = self.begin_finish(&ids).run(finished);
        self.finish_done(&ids, &result);
        result?;
        let ends: Vec<Fact> = ids.into_iter().map(|id| Fact::Ended { id }).collect();
        self.record_all(&ends)
    }
    /// Makes the end of a message durable: its finished copy, then its end.
    #[cfg(test)]
    fn finish(&mut self, finished: &Finished) -> Result<(), StoreError> {
        self.finish_all(std::slice::from_ref(finished))
    }
    /// Every message accepted and not finished, for a restart.
    fn open_messages(&self) -> Vec<OpenMessage>;
}

/// The journal record of a fact.
pub(crate) fn record_of(fact: &Fact) -> Record {
    match fact.clone() {
        Fact::Accepted {
            id,
            name,
            reference,
            parts,
        } => Record::Begin {
            id,
            file: name,
            reference,
            parts,
        },
        Fact::PartStarted { id, part, modem } => Record::Start { id, part, modem },
        Fact::PartSent { id, part, modem, mr } => Record::Sent { id, part, mr, modem },
        Fact::PartNotSent { id, part } => Record::NotSent { id, part },
        Fact::PartUnknown {
            id,
            part,
            modem,
            reason,
        } => Record::Unknown {
            id,
            part,
            modem,
            reason,
        },
        Fact::Ended { id } => Record::End { id },
        Fact::Probe => Record::Check,
    }
}

/// Today's embedded backend: the journal in the spool base, and `sent/`
/// and `failed/` for finished files (origin: the file's path). Over any
/// [`SendStore`] ([`Journal`] in the daemon; a `FaultyStore` in tests).
///
/// [`Journal`]: crate::journal::Journal
/// [`FaultyStore`]: crate::send_store::FaultyStore
#[derive(Debug)]
pub(crate) struct SpoolJournal<S> {
    pub(crate) inner: S,
    pub(crate) sent_dir: PathBuf,
    pub(crate) failed_dir: PathBuf,
    /// Messages whose finished copy is made and whose end is not yet
    /// written: a retry writes just the end. (Copying again would be safe,
    /// the origin is only unlinked if it is still the file taken, but
    /// would rewrite the copy for nothing.)
    copied: HashSet<MessageId>,
}

impl<S: SendStore> SpoolJournal<S> {
    pub(crate) fn new(inner: S, sent_dir: PathBuf, failed_dir: PathBuf) -> SpoolJournal<S> {
        SpoolJournal {
            inner,
            sent_dir,
            failed_dir,
            copied: HashSet::new(),
        }
    }
}

impl<S: SendStore> MessageStore for SpoolJournal<S> {
    fn record_all(&mut self, facts: &[Fact]) -> Result<(), StoreError> {
        self.inner.append_all(facts.iter().map(record_of).collect())?;
        for fact in facts {
            if let Fact::Ended { id } = fact {
                self.copied.remove(id);
            }
        }
        Ok(())
    }

    fn begin_finish(&mut self, ids: &[MessageId]) -> Box<dyn FinishWork> {
        Box::new(SpoolFinish {
            files: self.inner.file_finisher(),
            sent_dir: self.sent_dir.clone(),
            failed_dir: self.failed_dir.clone(),
            copied: ids
                .iter()
                .filter(|id| self.copied.contains(*id))
                .cloned()
                .collect(),
        })
    }

    fn finish_done(&mut self, ids: &[MessageId], result: &Result<(), StoreError>) {
        if result.is_ok() {
            self.copied.extend(ids.iter().cloned());
        }
    }

    fn open_messages(&self) -> Vec<OpenMessage> {
        self.inner
            .open_messages()
            .into_iter()
            .map(|(id, state)| OpenMessage {
                id,
                name: state.file,
                reference: state.reference,
                sent: state.sent,
                modem: state.modem,
                unknown: state.unknown,
                begun: state.begun,
            })
            .collect()
    }
}

/// [`SpoolJournal`]'s finish work: each copy written to `sent/` or
/// `failed/` and its original unlinked, as one batch
/// ([`crate::spool_dir::finish_all`] behind the [`SendStore`]).
struct SpoolFinish {
    files: Box<dyn FileFinisher>,
    sent_dir: PathBuf,
    failed_dir: PathBuf,
    /// The messages of the batch whose copy an earlier try made.
    copied: HashSet<MessageId>,
}

impl FinishWork for SpoolFinish {
    fn run(mut self: Box<Self>, finished: &[Finished]) -> Result<(), StoreError> {
        let sources: Vec<PathBuf> = finished.iter().map(|one| PathBuf::from(&one.origin)).collect();
        let moves: Vec<Move<'_>> = finished
            .iter()
            .zip(&sources)
            .filter(|(one, _)| !self.copied.contains(&one.id))
            .map(|(one, source)| Move {
                source,
                entry: one.taken,
                tag: &one.id,
                dir: match one.outcome {
                    Outcome::Sent { .. } => &self.sent_dir,
                    Outcome::Failed { .. } => &self.failed_dir,
                },
                name: &one.name,
                bytes: &one.content,
                mode: one.mode,
            })
            .collect();
        if moves.is_empty() {
            return Ok(());
        }
        Ok(self.files.finish_all(&moves)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;

    #[test]
    fn the_spool_backend_keeps_facts_across_a_reopen_and_finishes_into_sent() {
        let base = tempfile::tempdir().unwrap();
        let sent_dir = base.path().join("sent");
        let failed_dir = base.path().join("failed");
        std::fs::create_dir_all(&sent_dir).unwrap();
        std::fs::create_dir_all(&failed_dir).unwrap();
        let source = base.path().join("a");
        std::fs::write(&source, b"To: 1\n\nx").unwrap();
        let taken = EntryId::of(&std::fs::metadata(&source).unwrap());
        let mut store = SpoolJournal::new(
            Journal::open(base.path(), 0o640).unwrap(),
            sent_dir.clone(),
            failed_dir,
        );
        let id = "m1".to_owned();
        let facts = [
            Fact::Accepted {
                id: id.clone(),
                name: "a".into(),
                reference: 7,
                parts: 2,
            },
            Fact::PartStarted {
                id: id.clone(),
                part: 1,
                modem: "m0".into(),
            },
            Fact::PartSent {
                id: id.clone(),
                part: 1,
                modem: "m0".into(),
                mr: 9,
            },
            Fact::PartStarted {
                id: id.clone(),
                part: 2,
                modem: "m0".into(),
            },
        ];
        for fact in &facts {
            store.record(fact).unwrap();
        }
        drop(store);
        let failed_dir = base.path().join("failed");
        let mut store = SpoolJournal::new(
            Journal::open(base.path(), 0o640).unwrap(),
            sent_dir.clone(),
            failed_dir,
        );
        let open = store.open_messages();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].name, "a");
        assert_eq!(open[0].reference, 7);
        assert_eq!(open[0].sent.get(&1), Some(&9));
        assert_eq!(open[0].modem.as_deref(), Some("m0"));
        // A start without outcome comes back as unknown.
        assert_eq!(open[0].unknown.as_ref().map(|unknown| unknown.0), Some(2));
        let outcome = Outcome::Sent {
            modem: "m0".into(),
            references: vec![9, 10],
        };
        store
            .finish(&Finished {
                id: id.clone(),
                name: "a".into(),
                origin: source.to_str().unwrap().into(),
                outcome,
                content: b"done".to_vec(),
                mode: 0o600,
                taken,
            })
            .unwrap();
        assert!(store.open_messages().is_empty());
        assert!(!source.exists());
        assert_eq!(std::fs::read(sent_dir.join("a")).unwrap(), b"done");
    }

    #[test]
    fn a_finish_whose_end_failed_writes_only_the_end_when_retried() {
        use std::sync::atomic::AtomicU64;
        use std::sync::Arc;

        use crate::send_store::FaultyStore;

        let base = tempfile::tempdir().unwrap();
        let (sent_dir, failed_dir) = (base.path().join("sent"), base.path().join("failed"));
        std::fs::create_dir_all(&sent_dir).unwrap();
        std::fs::create_dir_all(&failed_dir).unwrap();
        let source = base.path().join("a");
        std::fs::write(&source, b"first").unwrap();
        // Writes: 1 the accept, 2 the copy, 3 the end (fails), 4 its retry.
        let faulty = FaultyStore {
            inner: Journal::open(base.path(), 0o640).unwrap(),
            from: 3,
            count: 1,
            kind: io::ErrorKind::StorageFull,
            writes: Arc::new(AtomicU64::new(0)),
            on_append: None,
            before_finish: None,
        };
        let mut store = SpoolJournal::new(faulty, sent_dir.clone(), failed_dir);
        let accepted = Fact::Accepted {
            id: "m1".into(),
            name: "a".into(),
            reference: 1,
            parts: 1,
        };
        store.record(&accepted).unwrap();
        let outcome = Outcome::Sent {
            modem: "m0".into(),
            references: vec![1],
        };
        let finished = Finished {
            id: "m1".into(),
            name: "a".into(),
            origin: source.to_str().unwrap().into(),
            outcome,
            content: b"first, sent".to_vec(),
            mode: 0o600,
            taken: EntryId::of(&std::fs::metadata(&source).unwrap()),
        };
        let err = store.finish(&finished).unwrap_err();
        assert_eq!(err.kind, io::ErrorKind::StorageFull);
        assert_eq!(store.open_messages().len(), 1);
        // A user drops a new file under the name meanwhile.
        std::fs::write(&source, b"second").unwrap();
        store.finish(&finished).unwrap();
        assert!(store.open_messages().is_empty());
        assert_eq!(std::fs::read(&source).unwrap(), b"second", "the new file is kept");
        assert_eq!(std::fs::read(sent_dir.join("a")).unwrap(), b"first, sent");
    }
}
