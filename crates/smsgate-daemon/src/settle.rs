//! When a file in `outgoing/` (or a queue's directory) is whole, and may
//! be taken: an application that writes a file in place, in more than one
//! write, must not get its first half sent.
//!
//! smstools3 takes a file only when its size is the same at two looks
//! 0.5 s apart (unless `trust_outgoing`). That alone still sends half a
//! file whose writer pauses longer than that between writes, so smsgate
//! also listens to the kernel (inotify), which says more than two looks:
//!
//! - a file renamed in, or closed after a write, is whole at once (the
//!   fast path: the usual write-then-rename costs no wait at all);
//! - a file seen being written (created in place, or written to) is not
//!   whole until it is closed; should the close never be reported
//!   (events lost to an overflow), it is taken once its size and mtime
//!   have not changed for [`WRITER_QUIET`]; a file with more than one
//!   hard link was linked in whole (`ln`: a create, never a close) and
//!   gets the two looks below;
//! - a symlink, a FIFO or the like is never written as a message: intake
//!   refuses it at once (the scheduler does not ask here);
//! - a file only a scan found (there before the daemon started, a
//!   filesystem without inotify) is smstools3's case: its size and mtime
//!   must be the same at two looks [`LOOK_GAP`] apart;
//! - `[spool] trust-outgoing = true` takes every file at once
//!   (smstools3's `trust_outgoing`: the applications promise to rename
//!   finished files in).
//!
//! A `NAME.LOCK` keeps `NAME` waiting whatever this module says
//! ([`crate::spool_dir`]).
//!
//! Pure: fed observations and events with the time they were made, it
//! answers and keeps its deadlines; the scheduler does the I/O.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// smstools3's gap between the two looks at a file only a scan found.
pub(crate) const LOOK_GAP: Duration = Duration::from_millis(500);

/// How long a file seen being written, whose close was never reported,
/// must stay unchanged before it is taken anyway.
pub(crate) const WRITER_QUIET: Duration = Duration::from_secs(30);

/// What the watcher said about a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Created in place or written to: a writer has it open.
    Written,
    /// Closed after a write, or renamed into the directory: whole.
    Settled,
    /// Anything else (removed, renamed away, its mode changed): look.
    Other,
}

/// Whether a file may be taken now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Ready,
    /// Look again then ([`Settling::take_due`] returns it).
    WaitUntil(Instant),
}

/// What a look at a regular file saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Look {
    pub(crate) size: u64,
    pub(crate) modified: SystemTime,
    /// Its hard links: a file created by `link(2)` reports a create and
    /// never a close.
    pub(crate) links: u64,
}

/// The part of a look that tells a change: size and mtime.
type Seen = (u64, SystemTime);

#[derive(Clone, Debug)]
enum State {
    /// Closed after a write or renamed in, and not written since.
    Settled,
    /// Seen being written: waits for its close, or for `WRITER_QUIET`
    /// without a change since `since`.
    Writing { last: Option<Seen>, since: Instant },
    /// Found by a scan only: waits for the same look `LOOK_GAP` later.
    Seen { last: Seen, at: Instant },
}

#[derive(Clone, Debug)]
struct Entry {
    state: State,
    /// The deadline it is filed under in `due`, if any.
    due: Option<Instant>,
}

/// Every file not yet whole, and when to look at each again.
#[derive(Debug, Default)]
pub(crate) struct Settling {
    /// `[spool] trust-outgoing`: every file is whole.
    trust: bool,
    entries: HashMap<PathBuf, Entry>,
    due: BTreeSet<(Instant, PathBuf)>,
}

impl Settling {
    pub(crate) fn new(trust: bool) -> Settling {
        Settling {
            trust,
            ..Settling::default()
        }
    }

    /// Gives back the capacity of its table beyond what it holds.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    /// What the watcher reported about `path` at `now`.
    pub(crate) fn event(&mut self, path: &Path, change: Change, now: Instant) {
        if self.trust {
            return;
        }
        let state = match change {
            Change::Settled => State::Settled,
            Change::Written => State::Writing {
                last: None,
                since: now,
            },
            // The next look tells.
            Change::Other => return,
        };
        self.set(path, state, None);
    }

    /// A look at the regular file `path` at `now` saw `look`: is it
    /// whole?
    pub(crate) fn observe(&mut self, path: &Path, look: Look, now: Instant) -> Verdict {
        if self.trust {
            return Verdict::Ready;
        }
        let linked = look.links > 1;
        let look = (look.size, look.modified);
        let state = self.entries.get(path).map(|entry| &entry.state);
        // Linked in: smstools3's two looks, not a wait for a close.
        let state = match state {
            Some(State::Writing { .. }) if linked => None,
            state => state,
        };
        let (state, deadline) = match state {
            None => (State::Seen { last: look, at: now }, now + LOOK_GAP),
            Some(State::Settled) => {
                self.forget(path);
                return Verdict::Ready;
            }
            Some(&State::Seen { last, at }) if last == look => {
                if now >= at + LOOK_GAP {
                    self.forget(path);
                    return Verdict::Ready;
                }
                (State::Seen { last, at }, at + LOOK_GAP)
            }
            Some(State::Seen { .. }) => (State::Seen { last: look, at: now }, now + LOOK_GAP),
            Some(&State::Writing { last, since }) if last == Some(look) => {
                if now >= since + WRITER_QUIET {
                    self.forget(path);
                    return Verdict::Ready;
                }
                (State::Writing { last, since }, since + WRITER_QUIET)
            }
            Some(State::Writing { .. }) => (
                State::Writing {
                    last: Some(look),
                    since: now,
                },
                now + WRITER_QUIET,
            ),
        };
        self.set(path, state, Some(deadline));
        Verdict::WaitUntil(deadline)
    }

    /// `path` is gone (or taken): nothing more to wait for.
    pub(crate) fn forget(&mut self, path: &Path) {
        if let Some(entry) = self.entries.remove(path) {
            if let Some(at) = entry.due {
                self.due.remove(&(at, path.to_path_buf()));
            }
        }
    }

    /// Forgets every file but those `keep` says are still there.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Path) -> bool) {
        let gone: Vec<PathBuf> = self.entries.keys().filter(|path| !keep(path)).cloned().collect();
        for path in gone {
            self.forget(&path);
        }
    }

    /// The earliest moment a file is to be looked at again.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.due.first().map(|(at, _)| *at)
    }

    /// The files to look at again by `now` (each is looked at once: the
    /// look files it again if it still waits).
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        while let Some((at, _)) = self.due.first() {
            if *at > now {
                break;
            }
            let (_, path) = self.due.pop_first().expect("just seen");
            if let Some(entry) = self.entries.get_mut(&path) {
                entry.due = None;
            }
            paths.push(path);
        }
        paths
    }

    fn set(&mut self, path: &Path, state: State, due: Option<Instant>) {
        let previous = self.entries.insert(path.to_path_buf(), Entry { state, due });
        if let Some(at) = previous.and_then(|entry| entry.due) {
            self.due.remove(&(at, path.to_path_buf()));
        }
        if let Some(at) = due {
            self.due.insert((at, path.to_path_buf()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A look at a file with one link (written, not linked in).
    fn look(size: u64, modified: SystemTime) -> Look {
        Look {
            size,
            modified,
            links: 1,
        }
    }

    fn mtime(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// A fake clock: a fixed origin the tests add to, never a sleep.
    fn origin() -> Instant {
        Instant::now()
    }

    #[test]
    fn a_file_renamed_in_or_closed_after_writing_is_whole_at_once() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        let renamed = Path::new("/spool/outgoing/renamed");
        settling.event(renamed, Change::Settled, t0);
        assert_eq!(settling.observe(renamed, look(40, mtime(1)), t0), Verdict::Ready);
        let closed = Path::new("/spool/outgoing/closed");
        settling.event(closed, Change::Written, t0);
        settling.event(closed, Change::Written, t0);
        settling.event(closed, Change::Settled, t0);
        assert_eq!(settling.observe(closed, look(40, mtime(1)), t0), Verdict::Ready);
        assert_eq!(settling.next_due(), None);
        assert!(settling.entries.is_empty());
    }

    /// The bug: headers written, a pause of 1.5 s with the file open, the
    /// text written, closed. smstools3's two looks 0.5 s apart see the
    /// same size during the pause and take the first half.
    #[test]
    fn a_file_being_written_waits_for_its_close_through_a_pause() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        let path = Path::new("/spool/outgoing/slow");
        settling.event(path, Change::Written, t0);
        let Verdict::WaitUntil(first) = settling.observe(path, look(0, mtime(1)), t0) else {
            panic!("taken while being written")
        };
        settling.event(path, Change::Written, t0 + ms(1));
        let Verdict::WaitUntil(_) = settling.observe(path, look(20, mtime(1)), t0 + ms(1)) else {
            panic!("taken while being written")
        };
        // Looks during the pause, however many, see the same half.
        for at in [600, 1100, 1499] {
            assert!(
                matches!(
                    settling.observe(path, look(20, mtime(1)), t0 + ms(at)),
                    Verdict::WaitUntil(_)
                ),
                "taken half-written at {at} ms"
            );
        }
        assert!(first >= t0 + ms(1000), "looked at again too soon: {first:?}");
        settling.event(path, Change::Written, t0 + ms(1500));
        settling.event(path, Change::Settled, t0 + ms(1500));
        assert_eq!(
            settling.observe(path, look(45, mtime(2)), t0 + ms(1500)),
            Verdict::Ready
        );
    }

    /// A write after the close (the file reopened and appended to) starts
    /// the wait over.
    #[test]
    fn a_write_after_the_close_waits_again() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        let path = Path::new("/spool/outgoing/again");
        settling.event(path, Change::Settled, t0);
        settling.event(path, Change::Written, t0);
        assert!(matches!(
            settling.observe(path, look(10, mtime(1)), t0),
            Verdict::WaitUntil(_)
        ));
        // A removal or a chmod says nothing about being written.
        settling.event(path, Change::Other, t0);
        assert!(matches!(
            settling.observe(path, look(10, mtime(1)), t0),
            Verdict::WaitUntil(_)
        ));
    }

    /// A file seen being written whose close is never reported (events
    /// lost): taken once it has not changed for `WRITER_QUIET`.
    #[test]
    fn a_file_written_but_never_closed_is_taken_after_a_quiet_spell() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        let path = Path::new("/spool/outgoing/linked");
        settling.event(path, Change::Written, t0);
        assert_eq!(
            settling.observe(path, look(30, mtime(1)), t0),
            Verdict::WaitUntil(t0 + WRITER_QUIET)
        );
        // A change restarts the spell.
        assert_eq!(
            settling.observe(path, look(31, mtime(1)), t0 + ms(10_000)),
            Verdict::WaitUntil(t0 + ms(10_000) + WRITER_QUIET)
        );
        assert!(settling.take_due(t0 + WRITER_QUIET).is_empty());
        let due_at = t0 + ms(10_000) + WRITER_QUIET;
        assert_eq!(settling.next_due(), Some(due_at));
        assert_eq!(settling.take_due(due_at), [path.to_path_buf()]);
        assert_eq!(settling.next_due(), None);
        assert_eq!(settling.observe(path, look(31, mtime(1)), due_at), Verdict::Ready);
    }

    /// `ln FILE outgoing/`: a create and never a close; the extra link
    /// says it came whole, and two looks suffice.
    #[test]
    fn a_file_linked_in_gets_two_looks_not_a_wait_for_its_close() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        let path = Path::new("/spool/outgoing/linked-in");
        settling.event(path, Change::Written, t0);
        let linked = Look {
            links: 2,
            ..look(30, mtime(1))
        };
        assert_eq!(
            settling.observe(path, linked, t0),
            Verdict::WaitUntil(t0 + LOOK_GAP)
        );
        assert_eq!(settling.observe(path, linked, t0 + LOOK_GAP), Verdict::Ready);
    }

    /// smstools3's rule for a file only a scan found: the same size and
    /// mtime at two looks at least 0.5 s apart.
    #[test]
    fn a_file_only_a_scan_found_needs_two_equal_looks_half_a_second_apart() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        let path = Path::new("/spool/outgoing/found");
        assert_eq!(
            settling.observe(path, look(10, mtime(1)), t0),
            Verdict::WaitUntil(t0 + LOOK_GAP)
        );
        // Too soon: the same deadline.
        assert_eq!(
            settling.observe(path, look(10, mtime(1)), t0 + ms(100)),
            Verdict::WaitUntil(t0 + LOOK_GAP)
        );
        // Grown: the gap starts over.
        assert_eq!(
            settling.observe(path, look(20, mtime(1)), t0 + ms(400)),
            Verdict::WaitUntil(t0 + ms(400) + LOOK_GAP)
        );
        // Touched, same size: over again.
        assert_eq!(
            settling.observe(path, look(20, mtime(2)), t0 + ms(900)),
            Verdict::WaitUntil(t0 + ms(900) + LOOK_GAP)
        );
        assert_eq!(settling.take_due(t0 + ms(1400)), [path.to_path_buf()]);
        assert_eq!(
            settling.observe(path, look(20, mtime(2)), t0 + ms(1400)),
            Verdict::Ready
        );
    }

    /// Files found by one scan are observed at one moment and come due
    /// together, so that priorities decide among them.
    #[test]
    fn files_found_together_come_due_together() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        for name in ["a", "b", "c"] {
            settling.observe(&Path::new("/spool/outgoing").join(name), look(1, mtime(1)), t0);
        }
        assert_eq!(settling.take_due(t0 + LOOK_GAP).len(), 3);
    }

    #[test]
    fn trust_outgoing_takes_every_file_at_once() {
        let t0 = origin();
        let mut settling = Settling::new(true);
        let path = Path::new("/spool/outgoing/trusted");
        settling.event(path, Change::Written, t0);
        assert_eq!(settling.observe(path, look(0, mtime(1)), t0), Verdict::Ready);
        assert_eq!(settling.next_due(), None);
    }

    #[test]
    fn a_forgotten_file_starts_over_and_leaves_no_deadline() {
        let t0 = origin();
        let mut settling = Settling::new(false);
        let path = Path::new("/spool/outgoing/gone");
        settling.observe(path, look(1, mtime(1)), t0);
        settling.forget(path);
        assert_eq!(settling.next_due(), None);
        assert_eq!(
            settling.observe(path, look(1, mtime(1)), t0 + ms(600)),
            Verdict::WaitUntil(t0 + ms(1100))
        );
        settling.retain(|_| false);
        assert_eq!(settling.next_due(), None);
        assert!(settling.entries.is_empty());
    }
}
