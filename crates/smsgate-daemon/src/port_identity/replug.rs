//! Re-plug while running, the policy: which modems configured by identity
//! have lost their port, when the ports are probed for them next, and
//! which ports may be probed then. Fed the time ([`Instant`]s the shell
//! reads); never reads a clock, never touches a port.
//!
//! A modem is lost when its port goes away (the driver reports the port
//! disconnected), or when it found no port at start or at a reload. From
//! then on a probe round is due at once and then after a growing pause
//! ([`FIRST_PAUSE`] doubled each round up to [`MAX_PAUSE`]), so that a
//! modem that comes back at once is found at once and one that stays away
//! costs a probe every half minute. One round probes for every lost modem
//! together: one answer per port serves them all.
//!
//! The ports of a round are those the lost modems' globs find, minus the
//! ports of every modem that is not lost (its driver holds them, or will
//! again: a modem configured by path, or one bound by identity and up):
//! they are never opened by a probe. A port another program holds is
//! refused by its lock when probed (`probe.rs`) and so left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{candidates, Bindings};

/// The pause before the second round for a lost modem.
pub const FIRST_PAUSE: Duration = Duration::from_millis(500);

/// The longest pause between two rounds.
pub const MAX_PAUSE: Duration = Duration::from_secs(30);

/// The modems configured by identity that have no port now.
#[derive(Clone, Debug, Default)]
pub struct Lost {
    modems: BTreeMap<String, LostModem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct LostModem {
    /// Rounds that did not find it.
    misses: u32,
    /// When the next round for it is due.
    due: Instant,
}

/// A probe round: the modems looked for and the ports to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    pub modems: BTreeSet<String>,
    pub ports: Vec<PathBuf>,
}

impl Lost {
    /// Modem `name` has no port since `now`: a round is due at once. A
    /// modem lost already keeps its pause (a second report of the same
    /// loss does not hurry the probes).
    pub fn lose(&mut self, name: &str, now: Instant) {
        self.modems
            .entry(name.to_owned())
            .or_insert(LostModem { misses: 0, due: now });
    }

    /// Modem `name` is no longer looked for (bound, or removed by a
    /// reload).
    pub fn forget(&mut self, name: &str) {
        self.modems.remove(name);
    }

    pub fn is_lost(&self, name: &str) -> bool {
        self.modems.contains_key(name)
    }

    /// The lost modems, by name.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.modems.keys()
    }

    /// When the next round is due, if any modem is lost.
    pub fn next_due(&self) -> Option<Instant> {
        self.modems.values().map(|lost| lost.due).min()
    }

    /// The round to probe at `now`, if one is due: every lost modem, and
    /// the ports of `found` (each path the globs found with the device it
    /// resolves to) that no modem outside the round holds (`in_use`).
    pub fn round(&self, now: Instant, found: &[(PathBuf, PathBuf)], in_use: &[PathBuf]) -> Option<Round> {
        if self.next_due()? > now {
            return None;
        }
        Some(Round {
            modems: self.modems.keys().cloned().collect(),
            ports: candidates(found, in_use),
        })
    }

    /// A round probed at `now` gave `bindings`: the modems bound are no
    /// longer lost; the others wait a longer pause.
    pub fn after_round(&mut self, now: Instant, bindings: &Bindings) {
        for name in bindings.bound.keys() {
            self.modems.remove(name);
        }
        for lost in self.modems.values_mut() {
            lost.misses = lost.misses.saturating_add(1);
            lost.due = now + pause(lost.misses);
        }
    }
}

/// The pause after `misses` rounds that did not find a modem.
pub fn pause(misses: u32) -> Duration {
    let doublings = misses.saturating_sub(1).min(16);
    FIRST_PAUSE.saturating_mul(1 << doublings).min(MAX_PAUSE)
}

/// The ports no probe may open: those of every configured modem that is
/// not lost, by its configured or bound path (`ports`, by modem name).
pub fn ports_in_use<'a>(
    ports: impl IntoIterator<Item = (&'a String, &'a PathBuf)>,
    lost: &Lost,
) -> Vec<PathBuf> {
    ports
        .into_iter()
        .filter(|(name, _)| !lost.is_lost(name))
        .map(|(_, path)| path.clone())
        .collect()
}

#[cfg(test)]
#[path = "replug_tests.rs"]
mod tests;
