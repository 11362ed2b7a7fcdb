//! Memory back after a backlog: the maps that hold one entry per waiting
//! file keep the capacity of their largest moment when they empty (a hash
//! map never shrinks by itself), so after 10,000 files drained the
//! daemon would hold the tables of 10,000 for good. When a backlog is
//! gone, they are shrunk; a large table is its own mapping, so that
//! memory goes back to the kernel at once.

use super::Scheduler;

/// Below this many files held at once, the tables are small and a shrink
/// (which reallocates them) is not worth it on every quiet moment.
const BACKLOG_WORTH_RELEASING: usize = 256;

/// Watches how many files are held and says when a backlog has drained.
#[derive(Debug, Default)]
pub(super) struct AfterBacklog {
    /// The most files held since the last time none were.
    peak: usize,
}

impl AfterBacklog {
    /// Fed the number of files held after each turn: true once, when
    /// none are left after at least [`BACKLOG_WORTH_RELEASING`] were.
    pub(super) fn drained(&mut self, held: usize) -> bool {
        self.peak = self.peak.max(held);
        if held > 0 {
            return false;
        }
        std::mem::take(&mut self.peak) >= BACKLOG_WORTH_RELEASING
    }
}

impl Scheduler {
    /// Shrinks the per-file tables once a backlog has drained.
    pub(super) fn release_after_backlog(&mut self) {
        if !self.after_backlog.drained(self.jobs.len()) {
            return;
        }
        self.jobs.shrink_to_fit();
        self.checking.shrink_to_fit();
        self.spooled_by_handler.shrink_to_fit();
        self.settling.shrink_to_fit();
        self.policy.shrink_to_fit();
        tracing::debug!(target: "smsgate", "backlog drained: per-file tables shrunk");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drained_backlog_is_told_once() {
        let mut watch = AfterBacklog::default();
        for held in (0..=BACKLOG_WORTH_RELEASING).rev().skip(1) {
            assert!(!watch.drained(held + 1));
        }
        assert!(watch.drained(0));
        assert!(!watch.drained(0), "only once per backlog");
    }

    #[test]
    fn small_traffic_is_not_a_backlog() {
        let mut watch = AfterBacklog::default();
        for _ in 0..1_000 {
            assert!(!watch.drained(BACKLOG_WORTH_RELEASING - 1));
            assert!(!watch.drained(0));
        }
    }
}
