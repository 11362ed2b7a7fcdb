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
use std::path::{Path, PathBuf};
#[cfg(test)]
use std::sync::atomic::Ordering;
#[cfg(test)]
use std::sync::Arc;

use crate::journal::{FileState, Journal, Record};
use crate::spool_dir;

/// See the module docs.
pub(crate) trait SendStore: Send + std::fmt::Debug {
    /// Appends `record`, durably, before returning.
    fn append(&mut self, record: Record) -> io::Result<()>;
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

impl SendStore for Box<dyn SendStore> {
    fn append(&mut self, record: Record) -> io::Result<()> {
        (**self).append(record)
    }

    fn open_messages(&self) -> Vec<(String, FileState)> {
        (**self).open_messages()
    }

    fn finish(
        &mut self,
        source: &Path,
        dir: &Path,
        name: &str,
        bytes: &[u8],
        mode: u32,
    ) -> io::Result<PathBuf> {
        (**self).finish(source, dir, name, bytes, mode)
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
