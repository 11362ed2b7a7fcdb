//! The SIMs' limits in the choice of a modem ([`Admission`]), and what
//! the policy shows of itself ([`SendPolicy::snapshot`]). Apart from
//! `policy.rs` to keep it short.
//!
//! [`Admission`]: crate::send_core::Admission

use tokio::time::Instant;

use super::{Message, SendPolicy};
use crate::send_core::{Admission, PolicySnapshot};

impl Message {
    /// The SMS still to go out, as a SIM's limits count them (a voice call
    /// is none).
    pub(super) fn unsent_sms(&self) -> u32 {
        if self.call {
            return 0;
        }
        u32::try_from(self.sent.iter().filter(|sent| sent.is_none()).count()).unwrap_or(u32::MAX)
    }
}

impl SendPolicy {
    /// The SIMs' limits the policy asks when it chooses a modem (none
    /// until this is called).
    pub(crate) fn with_admission(mut self, admission: Box<dyn Admission>) -> SendPolicy {
        self.admission = admission;
        self
    }

    /// How many modems are blocked, messages held and modems sending, at
    /// `now`; cheap enough for every turn of the shell's loop.
    pub(crate) fn snapshot(&self, now: Instant) -> PolicySnapshot {
        PolicySnapshot {
            blocked: self
                .modems
                .iter()
                .filter(|modem| modem.blocked_until.is_some_and(|until| until > now))
                .count(),
            queued: self.messages.len(),
            sending: self.modems.iter().filter(|modem| modem.busy).count(),
        }
    }

    /// Says once why message `id` waits when every modem serving it is at
    /// one of its limits (a modem that is merely busy or blocked admits:
    /// the message waits for it, not for a limit).
    pub(super) fn note_limits(&mut self, id: &str) {
        let Some(message) = self.messages.get(id) else {
            return;
        };
        let parts = message.unsent_sms();
        let mut reasons = Vec::new();
        for modem in &self.modems {
            let policy = &modem.policy;
            if !message.may_go_on(policy) {
                continue;
            }
            match self.admission.admits(&policy.name, parts) {
                Ok(()) => return,
                Err(why) => reasons.push(format!("modem {}: {why}", policy.name)),
            }
        }
        if reasons.is_empty() {
            return;
        }
        let text = format!(
            "{}: waits: every modem serving it is at a limit ({})",
            message.name,
            reasons.join("; ")
        );
        if let Some(message) = self.messages.get_mut(id) {
            message.limit_noted = true;
        }
        self.log(text);
    }
}
