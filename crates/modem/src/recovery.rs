//! What to do with a modem that stopped answering, pure: fed what each
//! step got and the time, it says what to do next. The actor carries the
//! steps out and reports each [`RecoveryStep`] as a
//! [`crate::ModemEvent::Recovery`] (the daemon raises an alarm for it).
//!
//! ```text
//!   hung ─▶ reopen + set up ─ ok ──────────────────────────────▶ recovered
//!              │ silent                                            ▲
//!              ▼                                                   │ ok
//!           AT+CFUN=1,1 ─ sent ─▶ wait reset_settle ─▶ reopen + set up
//!              │ refused: never again for this modem               │ silent
//!              ▼                                                   ▼
//!           back off: wait 1 s, 2 s, ... up to pause_max ─▶ reopen + set up ...
//! ```
//!
//! The reset is tried once per hang, and only when the port opened and
//! the modem was silent (a port that cannot be opened cannot carry it).
//! Trying again never ends: a modem that answers again is in use within
//! a pause and a probe.

use std::fmt;
use std::time::Duration;

use at::Time;

use crate::config::HangRecovery;

/// One step of a recovery, as subscribers are told.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryStep {
    /// Closing and reopening the port and setting the modem up again.
    Reopening {
        /// Which try of this recovery, from 1.
        attempt: u32,
    },
    /// The modem stayed silent after a reopen: resetting it with
    /// `AT+CFUN=1,1`.
    Resetting,
    /// The modem refused `AT+CFUN=1,1`; it is not sent to it again.
    ResetRefused {
        /// Its answer.
        answer: String,
    },
    /// Still silent: trying again with pauses up to `pause_max`, without
    /// a report for each try.
    BackingOff {
        /// The longest pause between tries.
        pause_max: Duration,
    },
    /// The modem answers and is set up again.
    Recovered {
        /// From the hang to now.
        after: Duration,
    },
}

impl fmt::Display for RecoveryStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecoveryStep::Reopening { attempt } => {
                write!(
                    f,
                    "reopening the port and setting the modem up again (try {attempt})"
                )
            }
            RecoveryStep::Resetting => f.write_str("still silent: resetting the modem with AT+CFUN=1,1"),
            RecoveryStep::ResetRefused { answer } => {
                write!(
                    f,
                    "the modem refused AT+CFUN=1,1 ({answer}); it is not reset again"
                )
            }
            RecoveryStep::BackingOff { pause_max } => write!(
                f,
                "still silent: trying again every {} s at most until it answers",
                pause_max.as_secs_f32()
            ),
            RecoveryStep::Recovered { after } => {
                write!(
                    f,
                    "answers again, set up {} s after it stopped answering",
                    after.as_secs_f32()
                )
            }
        }
    }
}

/// What a reopen and set-up got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reopen {
    /// The modem is set up.
    Ready,
    /// The port opened but the modem did not answer.
    Silent,
    /// The port did not open, or the set-up failed otherwise.
    Failed,
}

/// What `AT+CFUN=1,1` got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reset {
    /// `OK`, or no answer: either way the modem may be rebooting.
    Sent,
    /// An error result: the modem does not do it.
    Refused(String),
    /// The port did not open or went away: nothing was sent.
    NotSent,
}

/// What the actor does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Close the port, open it and set the modem up; then
    /// [`Recovery::reopened`].
    Reopen,
    /// Open the port if it is closed, send `AT+CFUN=1,1`, close it; then
    /// [`Recovery::reset_done`].
    Reset,
    /// Refuse requests until then; then [`Recovery::waited`].
    WaitUntil(Time),
    /// The modem is back.
    Done,
}

/// The next action, and the step to report, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) report: Option<RecoveryStep>,
    pub(crate) action: Action,
}

/// One recovery, from the hang until the modem answers again.
#[derive(Debug)]
pub(crate) struct Recovery {
    policy: HangRecovery,
    hung_at: Time,
    attempt: u32,
    reset_allowed: bool,
    reset_tried: bool,
    pause: Duration,
    backing_off: bool,
}

impl Recovery {
    /// The modem stopped answering at `now`. `reset_allowed` is false
    /// when the policy says so or the modem refused a reset before.
    pub(crate) fn start(policy: HangRecovery, reset_allowed: bool, now: Time) -> (Recovery, Plan) {
        let mut recovery = Recovery {
            policy,
            hung_at: now,
            attempt: 0,
            reset_allowed: reset_allowed && policy.reset,
            reset_tried: false,
            pause: policy.pause_initial,
            backing_off: false,
        };
        let plan = recovery.reopen();
        (recovery, plan)
    }

    /// Whether the modem may still be reset (false once it refused).
    pub(crate) fn reset_allowed(&self) -> bool {
        self.reset_allowed
    }

    pub(crate) fn reopened(&mut self, outcome: Reopen, now: Time) -> Plan {
        match outcome {
            Reopen::Ready => Plan {
                report: Some(RecoveryStep::Recovered {
                    after: now.saturating_since(self.hung_at),
                }),
                action: Action::Done,
            },
            Reopen::Silent if self.reset_allowed && !self.reset_tried => {
                self.reset_tried = true;
                Plan {
                    report: Some(RecoveryStep::Resetting),
                    action: Action::Reset,
                }
            }
            Reopen::Silent | Reopen::Failed => self.back_off(now),
        }
    }

    pub(crate) fn reset_done(&mut self, outcome: Reset, now: Time) -> Plan {
        match outcome {
            Reset::Sent => Plan {
                report: None,
                action: Action::WaitUntil(now + self.policy.reset_settle),
            },
            Reset::Refused(answer) => {
                self.reset_allowed = false;
                let mut plan = self.back_off(now);
                plan.report = Some(RecoveryStep::ResetRefused { answer });
                plan
            }
            Reset::NotSent => self.back_off(now),
        }
    }

    pub(crate) fn waited(&mut self, _now: Time) -> Plan {
        let plan = self.reopen();
        if self.backing_off {
            // Said once, when the backing off began.
            return Plan { report: None, ..plan };
        }
        plan
    }

    fn reopen(&mut self) -> Plan {
        self.attempt += 1;
        Plan {
            report: Some(RecoveryStep::Reopening {
                attempt: self.attempt,
            }),
            action: Action::Reopen,
        }
    }

    fn back_off(&mut self, now: Time) -> Plan {
        let until = now + self.pause;
        self.pause = (self.pause * 2)
            .min(self.policy.pause_max)
            .max(Duration::from_millis(10));
        let report = (!std::mem::replace(&mut self.backing_off, true)).then_some(RecoveryStep::BackingOff {
            pause_max: self.policy.pause_max,
        });
        Plan {
            report,
            action: Action::WaitUntil(until),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HangRecovery {
        HangRecovery {
            reset: true,
            reset_settle: Duration::from_secs(5),
            pause_initial: Duration::from_secs(1),
            pause_max: Duration::from_secs(4),
        }
    }

    fn at(millis: u64) -> Time {
        Time::from_millis(millis)
    }

    fn plan(report: Option<RecoveryStep>, action: Action) -> Plan {
        Plan { report, action }
    }

    #[test]
    fn a_modem_that_answers_after_the_reopen_is_recovered_without_a_reset() {
        let (mut recovery, first) = Recovery::start(policy(), true, at(10_000));
        assert_eq!(
            first,
            plan(Some(RecoveryStep::Reopening { attempt: 1 }), Action::Reopen)
        );
        assert_eq!(
            recovery.reopened(Reopen::Ready, at(11_500)),
            plan(
                Some(RecoveryStep::Recovered {
                    after: Duration::from_millis(1_500)
                }),
                Action::Done
            )
        );
    }

    #[test]
    fn a_modem_silent_after_the_reopen_is_reset_then_reopened_after_the_settle_time() {
        let (mut recovery, _) = Recovery::start(policy(), true, at(0));
        assert_eq!(
            recovery.reopened(Reopen::Silent, at(8_000)),
            plan(Some(RecoveryStep::Resetting), Action::Reset)
        );
        assert_eq!(
            recovery.reset_done(Reset::Sent, at(8_100)),
            plan(None, Action::WaitUntil(at(13_100)))
        );
        assert_eq!(
            recovery.waited(at(13_100)),
            plan(Some(RecoveryStep::Reopening { attempt: 2 }), Action::Reopen)
        );
        assert_eq!(
            recovery.reopened(Reopen::Ready, at(14_000)),
            plan(
                Some(RecoveryStep::Recovered {
                    after: Duration::from_secs(14)
                }),
                Action::Done
            )
        );
    }

    #[test]
    fn still_silent_after_the_reset_it_backs_off_doubling_up_to_the_maximum_and_says_so_once() {
        let (mut recovery, _) = Recovery::start(policy(), true, at(0));
        recovery.reopened(Reopen::Silent, at(1_000));
        recovery.reset_done(Reset::Sent, at(1_000));
        recovery.waited(at(6_000));
        // No second reset; the backing off is reported once.
        assert_eq!(
            recovery.reopened(Reopen::Silent, at(7_000)),
            plan(
                Some(RecoveryStep::BackingOff {
                    pause_max: Duration::from_secs(4)
                }),
                Action::WaitUntil(at(8_000))
            )
        );
        let mut now = 8_000;
        let mut pauses = Vec::new();
        for _ in 0..4 {
            assert_eq!(recovery.waited(at(now)), plan(None, Action::Reopen));
            now += 500;
            let next = recovery.reopened(Reopen::Silent, at(now));
            assert_eq!(next.report, None);
            let Action::WaitUntil(until) = next.action else {
                panic!("{next:?}");
            };
            pauses.push(until.saturating_since(at(now)).as_millis());
            now = until.as_millis();
        }
        assert_eq!(pauses, [2_000, 4_000, 4_000, 4_000]);
        recovery.waited(at(now));
        assert_eq!(
            recovery.reopened(Reopen::Ready, at(now + 700)).report,
            Some(RecoveryStep::Recovered {
                after: Duration::from_millis(now + 700)
            })
        );
    }

    #[test]
    fn a_refused_reset_is_reported_and_never_tried_again() {
        let (mut recovery, _) = Recovery::start(policy(), true, at(0));
        assert_eq!(recovery.reopened(Reopen::Silent, at(1_000)).action, Action::Reset);
        assert_eq!(
            recovery.reset_done(Reset::Refused("ERROR".to_owned()), at(1_100)),
            plan(
                Some(RecoveryStep::ResetRefused {
                    answer: "ERROR".to_owned()
                }),
                Action::WaitUntil(at(2_100))
            )
        );
        assert!(!recovery.reset_allowed());
        // The next hang starts without it.
        let (mut next, _) = Recovery::start(policy(), recovery.reset_allowed(), at(60_000));
        assert_eq!(
            next.reopened(Reopen::Silent, at(61_000)).action,
            Action::WaitUntil(at(62_000))
        );
    }

    #[test]
    fn no_reset_when_the_policy_forbids_it_or_the_port_does_not_open() {
        let forbidden = HangRecovery {
            reset: false,
            ..policy()
        };
        let (mut recovery, _) = Recovery::start(forbidden, true, at(0));
        assert_eq!(
            recovery.reopened(Reopen::Silent, at(1_000)).action,
            Action::WaitUntil(at(2_000))
        );
        let (mut recovery, _) = Recovery::start(policy(), true, at(0));
        assert_eq!(
            recovery.reopened(Reopen::Failed, at(1_000)).action,
            Action::WaitUntil(at(2_000))
        );
        // A reset that could not be sent leads to backing off too.
        let (mut recovery, _) = Recovery::start(policy(), true, at(0));
        recovery.reopened(Reopen::Silent, at(1_000));
        assert_eq!(
            recovery.reset_done(Reset::NotSent, at(1_000)).action,
            Action::WaitUntil(at(2_000))
        );
    }

    #[test]
    fn steps_read_as_alarms() {
        assert_eq!(
            RecoveryStep::Reopening { attempt: 1 }.to_string(),
            "reopening the port and setting the modem up again (try 1)"
        );
        assert_eq!(
            RecoveryStep::Recovered {
                after: Duration::from_millis(12_500)
            }
            .to_string(),
            "answers again, set up 12.5 s after it stopped answering"
        );
        assert_eq!(
            RecoveryStep::BackingOff {
                pause_max: Duration::from_secs(5)
            }
            .to_string(),
            "still silent: trying again every 5 s at most until it answers"
        );
    }
}
