//! Cancelling a message that has not started (`DELETE
//! /api/v1/messages/{id}`), without a race with the scheduler.
//!
//! A cancel is a marker file `base/http/cancelled/ID`, fsynced before the
//! answer: it survives a restart. The scheduler asks [`CancelGate::may_start`]
//! before it hands a message to a modem; under one lock, that either
//! finds the marker (the message goes to `failed/` as cancelled, never
//! sent) or records the start, after which a cancel is refused (409).
//! Starts from before a restart are in the journal, which the cancel
//! reads too.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::journal;
use crate::spool_dir;

/// Starts remembered in memory: by the time this many later messages
/// started, the journal holds the start of the oldest.
const REMEMBERED_STARTS: usize = 65_536;

/// The reason a cancelled message's `failed/` file gives.
pub(crate) const CANCELLED_REASON: &str = "cancelled over the HTTP API";

#[derive(Clone, Debug)]
pub(crate) struct CancelGate {
    dir: PathBuf,
    started: Arc<Mutex<Started>>,
}

/// The ids are kept as numbers, not strings: a string is an allocation of
/// its own per message, and tens of thousands of them, each made between
/// the allocations of the files sent at the time, pin the heap at its peak
/// after a drain (the allocator can give back only wholly free pages).
#[derive(Debug, Default)]
struct Started {
    ids: HashSet<u128>,
    order: VecDeque<u128>,
}

/// Why a cancel was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A part went, or is going, to a modem.
    Started,
    /// The marker could not be written.
    Storage(String),
}

impl CancelGate {
    /// The gate of the spool whose base is `base`.
    pub(crate) fn new(base: &Path) -> CancelGate {
        CancelGate {
            dir: base.join("http").join("cancelled"),
            started: Arc::default(),
        }
    }

    /// Whether message `id` was cancelled.
    pub(crate) fn is_cancelled(&self, id: &str) -> bool {
        is_id(id) && self.dir.join(id).exists()
    }

    /// The scheduler's question before it hands message `id` to a modem:
    /// false when it was cancelled; else the start is recorded and the
    /// message can no longer be cancelled.
    pub(crate) fn may_start(&self, id: &str) -> bool {
        let Ok(mut started) = self.started.lock() else {
            return true;
        };
        if self.is_cancelled(id) {
            return false;
        }
        // Anything but an id can never be cancelled: nothing to remember.
        let Some(key) = id_number(id) else {
            return true;
        };
        if started.ids.insert(key) {
            started.order.push_back(key);
            if started.order.len() > REMEMBERED_STARTS {
                if let Some(oldest) = started.order.pop_front() {
                    started.ids.remove(&oldest);
                }
            }
        }
        true
    }

    /// Cancels message `id` unless it started: the marker is durable when
    /// this returns Ok. `base` is the spool base (the journal's home).
    pub(crate) fn cancel(&self, id: &str, base: &Path, mode: u32) -> Result<(), Refused> {
        if !is_id(id) {
            return Err(Refused::Storage(format!("{id:?} is not a message id")));
        }
        let started = self
            .started
            .lock()
            .map_err(|_| Refused::Storage("the cancel lock is poisoned".to_owned()))?;
        if id_number(id).is_some_and(|key| started.ids.contains(&key)) {
            return Err(Refused::Started);
        }
        let open =
            journal::peek(base).map_err(|err| Refused::Storage(format!("reading the journal: {err}")))?;
        if let Some(state) = open.get(id) {
            if state.is_in_flight() || !state.sent.is_empty() || state.unknown.is_some() {
                return Err(Refused::Started);
            }
        }
        std::fs::create_dir_all(&self.dir)
            .and_then(|()| spool_dir::write_durably(&self.dir, id, b"", mode).map(drop))
            .map_err(|err| Refused::Storage(format!("writing {}: {err}", self.dir.display())))?;
        drop(started);
        Ok(())
    }
}

/// A message id as [`journal::new_message_id`] makes them: 32 lowercase
/// hex digits. Anything else is never a file name here.
pub(crate) fn is_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// An id as the number its hex digits spell; `None` for anything else.
fn id_number(id: &str) -> Option<u128> {
    is_id(id).then(|| u128::from_str_radix(id, 16).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_before_the_start_stops_it_and_after_it_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let gate = CancelGate::new(dir.path());
        let first = journal::new_message_id();
        let second = journal::new_message_id();
        gate.cancel(&first, dir.path(), 0o600).unwrap();
        assert!(!gate.may_start(&first));
        // Durable: a new gate (a restarted daemon) still sees it.
        assert!(CancelGate::new(dir.path()).is_cancelled(&first));
        assert!(gate.may_start(&second));
        assert_eq!(gate.cancel(&second, dir.path(), 0o600), Err(Refused::Started));
        assert!(!gate.is_cancelled(&second));
    }

    #[test]
    fn starts_are_remembered_by_the_number_of_their_id() {
        let dir = tempfile::tempdir().unwrap();
        let gate = CancelGate::new(dir.path());
        let id = journal::new_message_id();
        assert!(gate.may_start(&id));
        assert_eq!(gate.cancel(&id, dir.path(), 0o600), Err(Refused::Started));
        // Something that is not an id starts, and is never recorded.
        assert!(gate.may_start("not-an-id"));
        let started = gate.started.lock().unwrap();
        assert_eq!(started.ids.len(), 1);
        assert_eq!(started.order, [id_number(&id).unwrap()]);
    }

    #[test]
    fn only_ids_are_file_names() {
        assert!(is_id(&journal::new_message_id()));
        assert!(!is_id("../../etc/passwd"));
        assert!(!is_id("0123456789ABCDEF0123456789abcdef"));
    }
}
