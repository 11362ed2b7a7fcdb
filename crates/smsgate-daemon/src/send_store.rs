//! Every durable write of the send path behind one trait, [`SendStore`]:
//! the journal's records and the move of a finished file to `sent/` or
//! `failed/`. The daemon's store is the journal ([`Journal`]); tests put
//! one in front of it that fails (ENOSPC, EIO) or stops writing at its
//! Nth write ([`FaultyStore`]), so every point of a workload where a write
//! can fail is tried.
//!
//! The rule the scheduler keeps with it: state on disk is the truth. A
//! failed write stops its path (no further part of that file is sent,
//! the file is not taken again from older state) and makes the store
//! unhealthy ([`SharedStore`]): no new send starts and no file is taken
//! until a retry of the write goes through ([`StoreHealth`] spaces them).
//!
//! [`StoreHealth`]: crate::store_health::StoreHealth

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::journal::{FileState, Journal, Record};
use crate::spool_dir;

/// See the module docs.
pub(crate) trait SendStore: Send + std::fmt::Debug {
    /// Appends `record`, durably, before returning.
    fn append(&mut self, record: Record) -> io::Result<()>;
    /// What is known of message `id`.
    fn state(&self, id: &str) -> Option<FileState>;
    /// Every message not finished, by id.
    fn open_messages(&self) -> Vec<(String, FileState)>;
    /// Writes a finished file to `dir/name` durably, with `mode`, and
    /// unlinks `source` ([`spool_dir::finish`]).
    fn finish(
        &mut self,
        source: &Path,
        dir: &Path,
        name: &str,
        bytes: &[u8],
        mode: u32,
    ) -> io::Result<PathBuf>;
}

impl SendStore for Journal {
    fn append(&mut self, record: Record) -> io::Result<()> {
        Journal::append(self, record)
    }

    fn state(&self, id: &str) -> Option<FileState> {
        Journal::state(self, id).cloned()
    }

    fn open_messages(&self) -> Vec<(String, FileState)> {
        Journal::open_messages(self)
    }

    fn finish(
        &mut self,
        source: &Path,
        dir: &Path,
        name: &str,
        bytes: &[u8],
        mode: u32,
    ) -> io::Result<PathBuf> {
        spool_dir::finish(source, dir, name, bytes, mode)
    }
}

/// The store shared by the scheduler and its send tasks, with the fail-stop
/// switch: after a write failed, every further write is refused (without
/// touching the disk) until the scheduler's retry has gone through and it
/// calls [`SharedStore::resume`].
#[derive(Clone, Debug)]
pub(crate) struct SharedStore {
    inner: Arc<Mutex<Box<dyn SendStore>>>,
    healthy: Arc<AtomicBool>,
}

impl SharedStore {
    pub(crate) fn new(store: Box<dyn SendStore>) -> SharedStore {
        SharedStore {
            inner: Arc::new(Mutex::new(store)),
            healthy: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Whether writes go through (no failure since the last resume).
    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    /// Appends `record`; refused while the store is unhealthy.
    pub(crate) fn append(&self, record: Record) -> io::Result<()> {
        self.refuse_if_unhealthy()?;
        self.retry_append(record)
    }

    /// Appends `record` even while the store is unhealthy: the scheduler's
    /// retry of a write that failed.
    pub(crate) fn retry_append(&self, record: Record) -> io::Result<()> {
        let result = self.lock()?.append(record);
        self.note(result)
    }

    /// [`SendStore::finish`]; refused while the store is unhealthy unless
    /// `retrying`.
    pub(crate) fn finish(
        &self,
        source: &Path,
        dir: &Path,
        name: &str,
        bytes: &[u8],
        mode: u32,
        retrying: bool,
    ) -> io::Result<PathBuf> {
        if !retrying {
            self.refuse_if_unhealthy()?;
        }
        let result = self.lock()?.finish(source, dir, name, bytes, mode);
        self.note(result)
    }

    pub(crate) fn state(&self, id: &str) -> Option<FileState> {
        self.inner.lock().ok()?.state(id)
    }

    pub(crate) fn open_messages(&self) -> Vec<(String, FileState)> {
        self.inner
            .lock()
            .map(|store| store.open_messages())
            .unwrap_or_default()
    }

    /// Every write that failed has been retried with success.
    pub(crate) fn resume(&self) {
        self.healthy.store(true, Ordering::SeqCst);
    }

    fn refuse_if_unhealthy(&self) -> io::Result<()> {
        match self.is_healthy() {
            true => Ok(()),
            false => Err(io::Error::other(
                "paused: an earlier write to the journal or the spool failed",
            )),
        }
    }

    fn lock(&self) -> io::Result<std::sync::MutexGuard<'_, Box<dyn SendStore>>> {
        self.inner
            .lock()
            .map_err(|_| io::Error::other("send store lock poisoned"))
    }

    fn note<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if result.is_err() {
            self.healthy.store(false, Ordering::SeqCst);
        }
        result
    }
}

/// A store for tests: the journal, with writes number `from` to
/// `from + count - 1` (counting from 1, appends and finishes alike)
/// failing with `kind` before anything reaches the disk, as with a disk
/// that is full for a while. `count = u64::MAX` is a crash: nothing from
/// write `from` on reaches the disk.
/// A test's look at each record a [`FaultyStore`] wrote.
#[cfg(test)]
pub(crate) type OnAppend = Box<dyn FnMut(&Record) + Send>;

#[cfg(test)]
pub(crate) struct FaultyStore {
    pub(crate) inner: Journal,
    pub(crate) from: u64,
    pub(crate) count: u64,
    pub(crate) kind: io::ErrorKind,
    pub(crate) writes: Arc<std::sync::atomic::AtomicU64>,
    /// Called with each record once it is on disk.
    pub(crate) on_append: Option<OnAppend>,
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

#[cfg(test)]
impl FaultyStore {
    fn write(&mut self) -> io::Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        match n >= self.from && n - self.from < self.count {
            true => Err(io::Error::new(
                self.kind,
                format!("injected failure of write {n}"),
            )),
            false => Ok(()),
        }
    }
}

#[cfg(test)]
impl SendStore for FaultyStore {
    fn append(&mut self, record: Record) -> io::Result<()> {
        self.write()?;
        self.inner.append(record.clone())?;
        if let Some(on_append) = &mut self.on_append {
            on_append(&record);
        }
        Ok(())
    }

    fn state(&self, id: &str) -> Option<FileState> {
        self.inner.state(id).cloned()
    }

    fn open_messages(&self) -> Vec<(String, FileState)> {
        self.inner.open_messages()
    }

    fn finish(
        &mut self,
        source: &Path,
        dir: &Path,
        name: &str,
        bytes: &[u8],
        mode: u32,
    ) -> io::Result<PathBuf> {
        self.write()?;
        spool_dir::finish(source, dir, name, bytes, mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_stops_every_later_one_until_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let writes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let store = SharedStore::new(Box::new(FaultyStore {
            inner: Journal::open(dir.path(), 0o640).unwrap(),
            from: 2,
            count: 1,
            kind: io::ErrorKind::StorageFull,
            writes: writes.clone(),
            on_append: None,
        }));
        let begin = |id: &str| Record::Begin {
            id: id.to_owned(),
            file: id.to_owned(),
            reference: 1,
            parts: 1,
        };
        store.append(begin("a")).unwrap();
        let err = store.append(begin("b")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        assert!(!store.is_healthy());
        // Refused without a write: the disk is not touched.
        assert!(store.append(begin("c")).is_err());
        assert_eq!(writes.load(Ordering::SeqCst), 2);
        assert!(store.state("b").is_none(), "never ahead of the disk");
        // The retry goes through; only then does the path open again.
        store.retry_append(begin("b")).unwrap();
        assert!(!store.is_healthy());
        store.resume();
        store.append(begin("c")).unwrap();
        let open: Vec<String> = store.open_messages().into_iter().map(|(id, _)| id).collect();
        assert_eq!(open, ["a", "b", "c"]);
    }
}
