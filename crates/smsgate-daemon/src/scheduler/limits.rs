//! The SIMs' limits (`[modems.NAME.limits]`, [`LimitBook`]) in the
//! shell: the policy asks them as it chooses a modem ([`SharedLimits`],
//! its [`Admission`]); the shell counts a send's parts durably as its
//! first part starts, and gives back those that surely did not go out
//! when a part comes back (one whose outcome is unknown may have gone,
//! and stays counted) or the message finishes.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::hooks::Severity;
use crate::send_core::{Admission, PartOutcome};
use crate::sim_limits::book::{Admission as Verdict, LimitBook, Reservation};
use crate::sim_limits::Now;

use super::Scheduler;

/// The counts, shared by the shell (which writes them) and the policy
/// (which asks them).
#[derive(Clone, Debug)]
pub(super) struct SharedLimits(Arc<Mutex<LimitBook>>);

impl SharedLimits {
    pub(super) fn new(book: LimitBook) -> SharedLimits {
        SharedLimits(Arc::new(Mutex::new(book)))
    }

    pub(super) fn book(&self) -> MutexGuard<'_, LimitBook> {
        // Only the scheduler's task takes it; a panic there ends the task.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Admission for SharedLimits {
    fn admits(&mut self, modem: &str, parts: u32) -> Result<(), String> {
        match self.book().admits(modem, parts, Now::real()) {
            Verdict::Admit => Ok(()),
            Verdict::Refuse(why) => Err(why),
        }
    }
}

/// The parts of a send counted against its modem's limits.
#[derive(Debug)]
pub(super) struct Counted {
    modem: String,
    reservation: Reservation,
    /// Those that came back sent or of unknown outcome.
    gone: u32,
}

impl Scheduler {
    /// Counts the SMS of message `name` still to go out against `modem`'s
    /// limits, durably, as part `part` (the first not sent) starts; parts
    /// counted already (the next part of the same send) are not counted
    /// again. `Err` with the reason when the count cannot be written: the
    /// part must not go out.
    pub(super) fn count_parts(&mut self, name: &str, part: usize, modem: &str) -> Result<(), String> {
        let Some(job) = self.jobs.get(name) else {
            return Ok(());
        };
        if job.counted.is_some() || job.call.is_some() {
            return Ok(());
        }
        let parts = u32::try_from(job.pdus.len().saturating_sub(part.saturating_sub(1))).unwrap_or(u32::MAX);
        let reserved = self.limits.book().reserve(modem, parts, Now::real());
        match reserved {
            Ok((reservation, reached)) => {
                if let Some(text) = reached {
                    tracing::warn!(target: "smsgate", "modem {modem}: {text}; other modems take its messages");
                    self.alarms.raise(Severity::Warning, modem, &text);
                    if let Some(admin) = self.alarms.admin() {
                        admin.limit_alarm(modem, &text);
                    }
                }
                if let Some(job) = self.jobs.get_mut(name) {
                    job.counted = reservation.map(|reservation| Counted {
                        modem: modem.to_owned(),
                        reservation,
                        gone: 0,
                    });
                }
                Ok(())
            }
            Err(err) => {
                let text = format!(
                    "cannot write its message counts ({err}); it sends nothing until they can be written"
                );
                tracing::error!(target: "smsgate", "modem {modem}: {text}");
                self.alarms.raise(Severity::Error, modem, &text);
                Err(text)
            }
        }
    }

    /// A part of message `name` came back: a send that ends here (anything
    /// but a part sent, or its last part sent) gives back what did not go.
    pub(super) fn part_counted(&mut self, name: &str, part: usize, outcome: &PartOutcome) {
        let Some(job) = self.jobs.get_mut(name) else {
            return;
        };
        let Some(counted) = job.counted.as_mut() else {
            return;
        };
        let last = part >= job.pdus.len();
        let ends = match outcome {
            PartOutcome::Sent { .. } => {
                counted.gone += 1;
                last
            }
            PartOutcome::Unknown { .. } => {
                counted.gone += 1;
                true
            }
            _ => true,
        };
        if ends {
            self.release_rest(name);
        }
    }

    /// Gives back the counted parts of message `name` that did not go out.
    pub(super) fn release_rest(&mut self, name: &str) {
        let Some(counted) = self.jobs.get_mut(name).and_then(|job| job.counted.take()) else {
            return;
        };
        let unsent = counted.reservation.parts.saturating_sub(counted.gone);
        self.limits
            .book()
            .release(&counted.modem, counted.reservation, unsent);
    }
}
