//! Networks deliver the same SMS twice now and then (an acknowledgement
//! lost on the way back to the SMSC). A command must not run twice for
//! it: [`RecentCommands`] remembers the commands that were let run, by a
//! digest of what makes a message the same one (sender, the service
//! centre's time stamp, text), for a window.
//!
//! The digest is of the text with its secret masked
//! ([`crate::mask_secret`]): what is saved on disk then says nothing about
//! the secret, and two messages that differ only in their secret, from
//! the same sender in the same second, are not told apart (no network
//! sends those). Like the rest of this crate it reads no clock: the time
//! is given, since any fixed origin (the daemon: the Unix epoch, so that
//! the window holds across a restart).

use std::collections::VecDeque;
use std::time::Duration;

/// What identifies one SMS: a 64-bit FNV-1a digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageDigest(pub u64);

impl MessageDigest {
    /// The digest of a message from `sender` (its address as received,
    /// type of address included) stamped `scts` by the service centre,
    /// with `text` (masked before it is hashed).
    pub fn of(sender: &str, scts: &str, text: &str) -> MessageDigest {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let masked = crate::mask_secret(text);
        let mut hash = OFFSET;
        // Each field with its length first: ("ab", "c") is not ("a", "bc").
        for field in [sender, scts, masked.as_str()] {
            let length = u64::try_from(field.len()).unwrap_or(u64::MAX);
            for byte in length.to_le_bytes().iter().chain(field.as_bytes()) {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(PRIME);
            }
        }
        MessageDigest(hash)
    }
}

/// A command that was let run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub digest: MessageDigest,
    /// When it was decided.
    pub at: Duration,
    /// Its `incoming/` file's name.
    pub file: String,
}

/// The commands let run within the window, oldest first, at most
/// `capacity` of them (the oldest is forgotten first).
#[derive(Clone, Debug)]
pub struct RecentCommands {
    window: Duration,
    capacity: usize,
    seen: VecDeque<Seen>,
}

impl RecentCommands {
    /// The default window: an hour.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);

    pub fn new(window: Duration, capacity: usize) -> RecentCommands {
        RecentCommands {
            window,
            capacity: capacity.max(1),
            seen: VecDeque::new(),
        }
    }

    /// The earlier command with `digest` within the window before `now`,
    /// if any. One "from the future" (a clock set back) counts as within.
    pub fn find(&self, digest: MessageDigest, now: Duration) -> Option<&Seen> {
        self.seen
            .iter()
            .rev()
            .find(|seen| seen.digest == digest && now.saturating_sub(seen.at) < self.window)
    }

    /// Remembers a command let run at `now`, forgetting those out of the
    /// window and, past the capacity, the oldest.
    pub fn record(&mut self, seen: Seen) {
        self.expire(seen.at);
        self.seen.push_back(seen);
        while self.seen.len() > self.capacity {
            self.seen.pop_front();
        }
    }

    /// Forgets `file`'s record (its decision could not be saved).
    pub fn forget(&mut self, file: &str) {
        self.seen.retain(|seen| seen.file != file);
    }

    /// Forgets what is out of the window at `now`.
    pub fn expire(&mut self, now: Duration) {
        self.seen.retain(|seen| now.saturating_sub(seen.at) < self.window);
    }

    /// Everything remembered, oldest first, to be saved.
    pub fn iter(&self) -> impl Iterator<Item = &Seen> {
        self.seen.iter()
    }

    /// Takes back saved records (bounded as [`Self::record`] bounds them).
    pub fn restore(&mut self, saved: impl IntoIterator<Item = Seen>) {
        let mut saved: Vec<Seen> = saved.into_iter().collect();
        saved.sort_by_key(|seen| seen.at);
        for seen in saved {
            self.seen.push_back(seen);
            while self.seen.len() > self.capacity {
                self.seen.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    fn seen(digest: MessageDigest, seconds: u64, file: &str) -> Seen {
        Seen {
            digest,
            at: at(seconds),
            file: file.to_owned(),
        }
    }

    #[test]
    fn the_same_message_is_found_within_the_window_only() {
        let text = ":cmd slepens script x";
        let digest = MessageDigest::of("91:37120000000", "26/01/01 12:00:00+00", text);
        let mut recent = RecentCommands::new(RecentCommands::DEFAULT_WINDOW, 100);
        assert_eq!(recent.find(digest, at(1000)), None);
        recent.record(seen(digest, 1000, "gsm1.aaaaaa"));
        assert_eq!(recent.find(digest, at(1000 + 3599)).unwrap().file, "gsm1.aaaaaa");
        assert_eq!(recent.find(digest, at(1000 + 3600)), None);
        // A clock set back still finds it.
        assert!(recent.find(digest, at(10)).is_some());
        // Another sender, time stamp or text is another message.
        for other in [
            MessageDigest::of("91:37120000001", "26/01/01 12:00:00+00", text),
            MessageDigest::of("81:37120000000", "26/01/01 12:00:00+00", text),
            MessageDigest::of("91:37120000000", "26/01/01 12:00:01+00", text),
            MessageDigest::of("91:37120000000", "26/01/01 12:00:00+00", ":cmd slepens script y"),
            MessageDigest::of("91:3712000000", "026/01/01 12:00:00+00", text),
        ] {
            assert_ne!(other, digest);
            assert_eq!(recent.find(other, at(1001)), None);
        }
        // The secret is not part of the digest.
        assert_eq!(
            MessageDigest::of("91:37120000000", "26/01/01 12:00:00+00", ":cmd slepenz script x"),
            digest
        );
        recent.forget("gsm1.aaaaaa");
        assert_eq!(recent.find(digest, at(1001)), None);
    }

    #[test]
    fn the_records_are_bounded_and_restored_in_order() {
        let mut recent = RecentCommands::new(at(100), 3);
        for n in 0..5 {
            recent.record(seen(MessageDigest(n), n, &format!("f{n}")));
        }
        let files: Vec<&str> = recent.iter().map(|seen| seen.file.as_str()).collect();
        assert_eq!(files, ["f2", "f3", "f4"]);
        recent.record(seen(MessageDigest(9), 150, "f9"));
        let files: Vec<&str> = recent.iter().map(|seen| seen.file.as_str()).collect();
        assert_eq!(files, ["f9"], "the others are out of the window");

        let mut restored = RecentCommands::new(at(100), 2);
        restored.restore((0..10).rev().map(|n| seen(MessageDigest(n), n, &format!("f{n}"))));
        let files: Vec<&str> = restored.iter().map(|seen| seen.file.as_str()).collect();
        assert_eq!(files, ["f8", "f9"]);
    }
}
