//! What smsd does on a modem before each send, as configured per modem
//! (`daemon_config/modem_tasks.rs`):
//!
//! - `check-network` (smsd's `check_network`, 1 or 2): `AT+CREG?`; a
//!   modem that is not registered does not send (smsd waits for the
//!   registration; smsgate refuses the send, which is retried after
//!   `retry-interval-s` and counts against the modem like any refusal).
//!   An answer it cannot read does not stop the send, as smsd ignores a
//!   modem that does not support the check.

use modem::ModemHandle;

/// `Err` with the reason when the send must not go ahead.
pub(crate) async fn check_network(handle: &ModemHandle) -> Result<(), String> {
    let reply = match handle.at_chat("AT+CREG?", None).await {
        Ok(reply) => reply,
        Err(err) => return Err(format!("checking the registration: {err}")),
    };
    if !reply.result.is_success() {
        // smsd: "If a modem does not support network checking, checking
        // is automatically ignored."
        return Ok(());
    }
    match at::parse::creg(&reply.lines) {
        Ok(registration) if registration.status.is_registered() => Ok(()),
        Ok(_) => Err(format!(
            "not registered to the network ({}); not sent, tried again later",
            reply.lines.join(" ")
        )),
        Err(_) => Ok(()),
    }
}

/// Asks a modem's receive task to read the modem's storage now, and
/// waits until it has (`receive-before-send`, `max-continuous-sending-s`).
#[derive(Clone, Debug)]
pub(crate) struct SweepRequester(
    pub(crate) tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>,
);

/// How long a send waits for the storage to be read.
const SWEEP_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

impl SweepRequester {
    /// Returns when the storage was read, the receive task is gone, or
    /// after two minutes (a send is not held up for ever by a slow read).
    pub(crate) async fn sweep(&self) {
        let (done, read) = tokio::sync::oneshot::channel();
        if self.0.send(done).is_ok() {
            let _ = tokio::time::timeout(SWEEP_WAIT, read).await;
        }
    }
}

/// smsd's `max_continuous_sending`, pure: sends that follow each other
/// without a pause form a run; once a run has lasted the limit, the
/// storage is read before the next send and a new run begins.
#[derive(Clone, Debug, Default)]
pub(crate) struct ContinuousSending {
    /// When the current run began.
    since: Option<tokio::time::Instant>,
    /// When the last send ended; `None` while one is in flight.
    idle_since: Option<tokio::time::Instant>,
}

/// A pause this long between two sends ends a run (smsd's modem loop
/// leaves its sending loop when nothing is waiting).
const RUN_GAP: std::time::Duration = std::time::Duration::from_secs(1);

impl ContinuousSending {
    /// A send starts at `now`: whether the storage is to be read first.
    pub(crate) fn starts(&mut self, now: tokio::time::Instant, limit: Option<std::time::Duration>) -> bool {
        let Some(limit) = limit else {
            return false;
        };
        let idle_long = self
            .idle_since
            .is_some_and(|idle| now.duration_since(idle) >= RUN_GAP);
        self.idle_since = None;
        match self.since {
            Some(since) if !idle_long => {
                let due = now.duration_since(since) >= limit;
                if due {
                    // The read ends the run; sending goes on in a new one.
                    self.since = Some(now);
                }
                due
            }
            _ => {
                self.since = Some(now);
                false
            }
        }
    }

    /// The send ended at `now`.
    pub(crate) fn ended(&mut self, now: tokio::time::Instant) {
        self.idle_since = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::ContinuousSending;

    #[test]
    fn a_run_of_sends_is_broken_for_a_read_once_it_lasted_the_limit() {
        let limit = Some(Duration::from_secs(300));
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        let mut run = ContinuousSending::default();
        assert!(!run.starts(at(0), limit), "a run begins");
        for second in (10..300).step_by(10) {
            run.ended(at(second) - Duration::from_millis(100));
            assert!(!run.starts(at(second), limit), "at {second} s");
        }
        run.ended(at(300) - Duration::from_millis(100));
        assert!(run.starts(at(300), limit), "300 s of sending: read first");
        run.ended(at(310) - Duration::from_millis(100));
        assert!(!run.starts(at(310), limit), "a new run began with the read");
    }

    #[test]
    fn a_pause_between_sends_begins_a_new_run() {
        let limit = Some(Duration::from_secs(60));
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        let mut run = ContinuousSending::default();
        assert!(!run.starts(at(0), limit));
        run.ended(at(50));
        assert!(
            !run.starts(at(55), limit),
            "idle 5 s: the run is over, a new one begins"
        );
        run.ended(at(100));
        assert!(
            !run.starts(at(100), limit),
            "no pause, but 45 s of the new run only"
        );
        run.ended(at(120));
        assert!(run.starts(at(120), limit), "65 s of the new run");
    }

    #[test]
    fn without_a_limit_nothing_is_read() {
        let mut run = ContinuousSending::default();
        let start = Instant::now();
        assert!(!run.starts(start, None));
        assert!(!run.starts(start + Duration::from_secs(100_000), None));
    }
}
