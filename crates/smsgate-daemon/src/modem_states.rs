//! What the scheduler knows of its modems that the HTTP API shows and
//! acts on: which are blocked and until when, which have a part in
//! flight (`sending`), and a way to unblock one
//! (`POST /api/v1/modems/{name}/unblock`). The scheduler writes here where
//! it blocks and unblocks; the unblock request goes into the scheduler's
//! own "reconnected" channel, which clears a block as a modem that was
//! set up again does.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::mpsc;

#[derive(Clone, Debug, Default)]
pub(crate) struct ModemStates {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The running scheduler's channel that unblocks a modem by name.
    unblock: Option<mpsc::UnboundedSender<String>>,
    /// Blocked modems and when their block ends.
    blocked: BTreeMap<String, SystemTime>,
    /// Modems with a part in flight.
    sending: BTreeSet<String>,
}

impl ModemStates {
    /// A scheduler started: unblock requests go to it.
    pub(crate) fn attach(&self, unblock: mpsc::UnboundedSender<String>) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.unblock = Some(unblock);
        }
    }

    pub(crate) fn blocked(&self, modem: &str, until: SystemTime) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.blocked.insert(modem.to_owned(), until);
        }
    }

    pub(crate) fn unblocked(&self, modem: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.blocked.remove(modem);
        }
    }

    /// Whether `modem` has a part in flight, as the scheduler shows it.
    pub(crate) fn set_sending(&self, modem: &str, sending: bool) {
        if let Ok(mut inner) = self.inner.lock() {
            match sending {
                true => inner.sending.insert(modem.to_owned()),
                false => inner.sending.remove(modem),
            };
        }
    }

    pub(crate) fn is_sending(&self, modem: &str) -> bool {
        self.inner.lock().is_ok_and(|inner| inner.sending.contains(modem))
    }

    /// When `modem`'s block ends, if it is blocked now.
    pub(crate) fn blocked_until(&self, modem: &str) -> Option<SystemTime> {
        let inner = self.inner.lock().ok()?;
        inner
            .blocked
            .get(modem)
            .copied()
            .filter(|until| *until > SystemTime::now())
    }

    /// Asks the scheduler to unblock `modem`; false when no scheduler runs.
    pub(crate) fn request_unblock(&self, modem: &str) -> bool {
        let Ok(inner) = self.inner.lock() else {
            return false;
        };
        inner
            .unblock
            .as_ref()
            .is_some_and(|unblock| unblock.send(modem.to_owned()).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_block_shows_until_it_ends_or_is_lifted() {
        let states = ModemStates::default();
        assert!(!states.request_unblock("gsm1"));
        let (unblock, mut requests) = mpsc::unbounded_channel();
        states.attach(unblock);
        states.blocked("gsm1", SystemTime::now() + Duration::from_secs(60));
        states.blocked("gsm2", SystemTime::now() - Duration::from_secs(1));
        assert!(states.blocked_until("gsm1").is_some());
        assert_eq!(states.blocked_until("gsm2"), None);
        assert!(states.request_unblock("gsm1"));
        assert_eq!(requests.try_recv().unwrap(), "gsm1");
        states.unblocked("gsm1");
        assert_eq!(states.blocked_until("gsm1"), None);
    }

    #[test]
    fn sending_shows_while_a_part_is_in_flight() {
        let states = ModemStates::default();
        assert!(!states.is_sending("gsm1"));
        states.set_sending("gsm1", true);
        assert!(states.is_sending("gsm1") && !states.is_sending("gsm2"));
        states.set_sending("gsm1", false);
        assert!(!states.is_sending("gsm1"));
    }
}
