//! Time as the caller tells it: the engine never reads a clock.
//!
//! A [`Time`] is a count of milliseconds from an origin the caller picks
//! (the driver uses the moment it opened the port; tests use zero or the
//! wall-clock times of a capture). Milliseconds are plenty for AT timeouts,
//! which are seconds long, and a plain integer makes tests exact.

use std::fmt;
use std::ops::Add;
use std::time::Duration;

/// A point in time, in milliseconds from an origin chosen by the caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

impl Time {
    /// The origin.
    pub const ZERO: Time = Time(0);

    /// The point `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Time {
        Time(millis)
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// How long after `earlier` this is; zero if it is not after it.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;

    /// Saturates instead of overflowing: a deadline past the end of time is
    /// simply never reached.
    fn add(self, duration: Duration) -> Time {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(millis))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Time::from_millis(1500);
        assert_eq!(t + Duration::from_secs(2), Time::from_millis(3500));
        assert_eq!(
            Time::from_millis(u64::MAX - 1) + Duration::from_secs(1),
            Time::from_millis(u64::MAX)
        );
        assert_eq!(Time::from_millis(100).saturating_since(t), Duration::ZERO);
        assert_eq!(t.saturating_since(Time::ZERO), Duration::from_millis(1500));
        assert_eq!(t.to_string(), "1.500s");
    }
}
