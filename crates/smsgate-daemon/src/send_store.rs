//! The journal and spool writes under the send path's store boundary
//! ([`MessageStore`], whose spool backend is built on this trait): the
//! journal's records and the move of a finished file to `sent/` or
//! `failed/`. The daemon's is the journal ([`Journal`]); tests put one in
//! front of it that fails (ENOSPC, EIO) or stops writing at its Nth write
//! ([`FaultyStore`]), so every point of a workload where a write can fail
//! is tried end to end.
//!
//! The fail-stop rule (a failed write stops its path, pauses intake and
//! sending until a retry goes through, and is never a modem's fault) is
//! the send policy's ([`SendPolicy`]).
//!
//! [`MessageStore`]: crate::send_core::MessageStore
//! [`SendPolicy`]: crate::send_core::SendPolicy

use std::io;
#[cfg(test)]
use std::path::Path;
#[cfg(test)]
use std::sync::atomic::Ordering;
#[cfg(test)]
use std::sync::Arc;

use crate::journal::{FileState, Journal, Record};
use crate::spool_dir::{self, Move};

/// See the module docs.
pub(crate) trait SendStore: Send + std::fmt::Debug {
    /// Appends `records`, durably (one sync for them all), before
    /// returning. A failure fails them all: none is known durable.
    fn append_all(&mut self, records: Vec<Record>) -> io::Result<()>;
    /// Every message not finished, by id.
    fn open_messages(&self) -> Vec<(String, FileState)>;
    /// What writes finished files to `sent/` or `failed/`: handed to the
    /// thread that finishes a batch, away from the journal.
    fn file_finisher(&mut self) -> Box<dyn FileFinisher>;
}

/// Writes finished files to `sent/` or `failed/` durably and unlinks their
/// originals, each only if it is still the file taken
/// ([`spool_dir::finish_all`]); `Send`, for the writer thread.
pub(crate) trait FileFinisher: Send {
    fn finish_all(&mut self, moves: &[Move<'_>]) -> io::Result<()>;
}

/// The daemon's: [`spool_dir::finish_all`].
struct SpoolFiles;

impl FileFinisher for SpoolFiles {
    fn finish_all(&mut self, moves: &[Move<'_>]) -> io::Result<()> {
        spool_dir::finish_all(moves)
    }
}

impl SendStore for Journal {
    fn append_all(&mut self, records: Vec<Record>) -> io::Result<()> {
        Journal::append_all(self, records)
    }

    fn open_messages(&self) -> Vec<(String, FileState)> {
        Journal::open_messages(self)
    }

    fn file_finisher(&mut self) -> Box<dyn FileFinisher> {
        Box::new(SpoolFiles)
    }
}

impl SendStore for Box<dyn SendStore> {
    fn append_all(&mut self, records: Vec<Record>) -> io::Result<()> {
        (**self).append_all(records)
    }

    fn open_messages(&self) -> Vec<(String, FileState)> {
        (**self).open_messages()
    }

    fn file_finisher(&mut self) -> Box<dyn FileFinisher> {
        (**self).file_finisher()
    }
}

/// A test's look at each record a [`FaultyStore`] wrote.
#[cfg(test)]
pub(crate) type OnAppend = Box<dyn FnMut(&Record) + Send>;

/// A test's hand in the window between a file's intake and its finish:
/// called with each original's path before it is moved (on the thread
/// that finishes the batch, hence shared).
#[cfg(test)]
pub(crate) type BeforeFinish = Arc<std::sync::Mutex<dyn FnMut(&Path) + Send>>;

/// A store for tests: the journal, with writes number `from` to
/// `from + count - 1` (counting from 1, each record and each finished
/// file of a batch alike) failing with `kind`. A failing write fails its
/// whole batch, nothing of it written, as with a disk that is full for a
/// while. `count = u64::MAX` is a crash: nothing from write `from` on
/// reaches the disk, and what came before it in its batch does (a crash
/// in the middle of a group commit).
#[cfg(test)]
pub(crate) struct FaultyStore {
    pub(crate) inner: Journal,
    pub(crate) from: u64,
    pub(crate) count: u64,
    pub(crate) kind: io::ErrorKind,
    pub(crate) writes: Arc<std::sync::atomic::AtomicU64>,
    /// Called with each record once it is on disk.
    pub(crate) on_append: Option<OnAppend>,
    pub(crate) before_finish: Option<BeforeFinish>,
}

#[cfg(test)]
impl std::fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyStore")
            .field("from", &self.from)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

/// Which writes fail, counted across threads: the journal's appends on the
/// scheduler's and the finished files on the writer thread share one count.
#[cfg(test)]
#[derive(Clone)]
struct Faults {
    from: u64,
    count: u64,
    kind: io::ErrorKind,
    writes: Arc<std::sync::atomic::AtomicU64>,
}

#[cfg(test)]
impl Faults {
    /// Counts `n` writes: how many of them go through before the first
    /// that fails, and that failure.
    fn writes(&self, n: usize) -> (usize, Option<io::Error>) {
        for done in 0..n {
            let write = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
            if write >= self.from && write - self.from < self.count {
                let err = io::Error::new(self.kind, format!("injected failure of write {write}"));
                return (done, Some(err));
            }
        }
        (n, None)
    }

    fn crashes(&self) -> bool {
        self.count == u64::MAX
    }
}

#[cfg(test)]
impl FaultyStore {
    /// A store that never fails, for tests that watch or hold its writes
    /// (`on_append`, `before_finish`).
    pub(crate) fn passing(inner: Journal) -> FaultyStore {
        FaultyStore {
            inner,
            from: u64::MAX,
            count: 0,
            kind: io::ErrorKind::Other,
            writes: Arc::default(),
            on_append: None,
            before_finish: None,
        }
    }

    fn faults(&self) -> Faults {
        Faults {
            from: self.from,
            count: self.count,
            kind: self.kind,
            writes: self.writes.clone(),
        }
    }
}

/// A [`FaultyStore`]'s finished files, on the writer thread.
#[cfg(test)]
struct FaultyFiles {
    faults: Faults,
    before_finish: Option<BeforeFinish>,
}

#[cfg(test)]
impl FileFinisher for FaultyFiles {
    fn finish_all(&mut self, moves: &[Move<'_>]) -> io::Result<()> {
        if let Some(before_finish) = &self.before_finish {
            let mut before_finish = before_finish
                .lock()
                .map_err(|_| io::Error::other("before_finish poisoned"))?;
            moves.iter().for_each(|one| before_finish(one.source));
        }
        let (through, failure) = self.faults.writes(moves.len());
        if let Some(err) = failure {
            if self.faults.crashes() && through > 0 {
                spool_dir::finish_all(&moves[..through])?;
            }
            return Err(err);
        }
        spool_dir::finish_all(moves)
    }
}

#[cfg(test)]
impl SendStore for FaultyStore {
    fn append_all(&mut self, mut records: Vec<Record>) -> io::Result<()> {
        let faults = self.faults();
        let (through, failure) = faults.writes(records.len());
        if let Some(err) = failure {
            if faults.crashes() && through > 0 {
                records.truncate(through);
                self.inner.append_all(records)?;
            }
            return Err(err);
        }
        self.inner.append_all(records.clone())?;
        if let Some(on_append) = &mut self.on_append {
            records.iter().for_each(on_append);
        }
        Ok(())
    }

    fn open_messages(&self) -> Vec<(String, FileState)> {
        self.inner.open_messages()
    }

    fn file_finisher(&mut self) -> Box<dyn FileFinisher> {
        Box::new(FaultyFiles {
            faults: self.faults(),
            before_finish: self.before_finish.clone(),
        })
    }
}
