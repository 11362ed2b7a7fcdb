//! The policy's side of the live operations: modems suspended, resumed,
//! retired by a reload or a reopen, and what the shell asks of them.

use super::{Modem, PolicyConfig, SendPolicy};

impl SendPolicy {
    /// The settings in force.
    pub(crate) fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Whether a retired modem of this name still has a part on it.
    pub(crate) fn retired_busy(&self, name: &str) -> bool {
        self.modems
            .iter()
            .any(|modem| modem.policy.name == name && modem.retired && modem.busy)
    }

    /// Whether the live modem `name` has a part on it, and is suspended.
    pub(crate) fn modem_state(&self, name: &str) -> Option<(bool, bool)> {
        self.modems
            .iter()
            .find(|modem| modem.policy.name == name && !modem.retired)
            .map(|modem| (modem.busy, modem.suspended))
    }

    /// `change` on every modem of this name not retired.
    pub(super) fn each_live(&mut self, name: &str, change: impl Fn(&mut Modem)) {
        for modem in self
            .modems
            .iter_mut()
            .filter(|modem| modem.policy.name == name && !modem.retired)
        {
            change(modem);
        }
    }

    /// Messages pinned to a modem removed from the config, none of whose
    /// kind is left, fail whole once its part in flight is back (as with a
    /// block: the recipient could not join parts from two numbers).
    pub(super) fn fail_removed(&mut self) {
        let gone: Vec<String> = self
            .modems
            .iter()
            .filter(|modem| modem.removed && !modem.busy)
            .map(|modem| modem.policy.name.clone())
            .filter(|name| {
                !self
                    .modems
                    .iter()
                    .any(|modem| modem.policy.name == *name && !modem.retired)
            })
            .collect();
        for name in gone {
            self.fail_stranded(&name, "removed");
        }
    }
}
