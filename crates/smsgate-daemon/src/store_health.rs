//! When the send path's storage (the journal, `sent/`, `failed/`) failed
//! a write: intake and sending pause, one critical alarm is raised for the
//! outage, and the failed writes are tried again, with waits that double
//! from [`RetryPolicy::first`] up to [`RetryPolicy::max`], until they go
//! through; then everything resumes by itself. Storage trouble is never
//! counted against a modem (`block-after`). Pure: the caller passes the
//! time in.

use std::time::Duration;

use tokio::time::Instant;

/// How the failed writes are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    pub(crate) first: Duration,
    pub(crate) max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct StoreHealth {
    policy: RetryPolicy,
    outage: Option<Outage>,
}

#[derive(Debug)]
struct Outage {
    since: Instant,
    wait: Duration,
    next_try: Instant,
}

/// What the caller does about a failure.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The first of an outage: raise the critical alarm.
    NewOutage,
    /// The outage goes on: the alarm was raised already.
    Ongoing,
}

impl StoreHealth {
    pub(crate) fn new(policy: RetryPolicy) -> StoreHealth {
        StoreHealth { policy, outage: None }
    }

    /// Whether intake and sending may go on.
    pub(crate) fn is_healthy(&self) -> bool {
        self.outage.is_none()
    }

    /// A write failed at `now` (a first one, or a retry).
    pub(crate) fn failed(&mut self, now: Instant) -> Failure {
        match &mut self.outage {
            None => {
                self.outage = Some(Outage {
                    since: now,
                    wait: self.policy.first,
                    next_try: now + self.policy.first,
                });
                Failure::NewOutage
            }
            Some(outage) => {
                // A failure reported late by a send task, while a retry is
                // already planned, does not push the retry further.
                if now >= outage.next_try {
                    outage.wait = outage.wait.saturating_mul(2).min(self.policy.max);
                    outage.next_try = now + outage.wait;
                }
                Failure::Ongoing
            }
        }
    }

    /// When the failed writes are to be tried again.
    pub(crate) fn next_try(&self) -> Option<Instant> {
        self.outage.as_ref().map(|outage| outage.next_try)
    }

    /// Whether a retry is due at `now`.
    pub(crate) fn retry_due(&self, now: Instant) -> bool {
        self.next_try().is_some_and(|at| at <= now)
    }

    /// The retries went through: returns how long the outage lasted.
    pub(crate) fn recovered(&mut self, now: Instant) -> Option<Duration> {
        self.outage
            .take()
            .map(|outage| now.saturating_duration_since(outage.since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_alarm_per_outage_and_retries_back_off_until_it_ends() {
        let policy = RetryPolicy {
            first: Duration::from_secs(1),
            max: Duration::from_secs(5),
        };
        let mut health = StoreHealth::new(policy);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(health.is_healthy());
        assert_eq!(health.failed(t0), Failure::NewOutage);
        assert!(!health.is_healthy());
        assert_eq!(health.next_try(), Some(at(1)));
        // Another send task's failure at once: no second alarm, no later retry.
        assert_eq!(health.failed(t0), Failure::Ongoing);
        assert_eq!(health.next_try(), Some(at(1)));
        assert!(!health.retry_due(t0 + Duration::from_millis(999)));
        assert!(health.retry_due(at(1)));
        // Retries that fail wait 2, 4, then at most 5 s.
        assert_eq!(health.failed(at(1)), Failure::Ongoing);
        assert_eq!(health.next_try(), Some(at(3)));
        health.failed(at(3));
        assert_eq!(health.next_try(), Some(at(7)));
        health.failed(at(7));
        assert_eq!(health.next_try(), Some(at(12)));
        assert_eq!(health.recovered(at(12)), Some(Duration::from_secs(12)));
        assert!(health.is_healthy());
        assert_eq!(health.next_try(), None);
        // The next outage starts over, with its own alarm.
        assert_eq!(health.failed(at(20)), Failure::NewOutage);
        assert_eq!(health.next_try(), Some(at(21)));
    }
}
