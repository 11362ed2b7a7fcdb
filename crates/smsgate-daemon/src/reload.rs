//! `smsgate ctl reload` and SIGHUP: what changed between the running
//! config and the one re-read ([`ConfigDiff`], a pure function of the
//! two), and whether it can be applied live.
//!
//! Modems are added, removed, or (when their settings or their port's
//! changed) closed and opened again; queues, handlers, limits and the
//! other send settings are replaced in the scheduler. The spool's
//! directories, the control socket, the lock directory and the file modes
//! are where the running daemon's state is: a change to them needs a
//! restart, and a reload that has one is refused whole, as is a config
//! with errors (the checker lists them all).

use serde::{Deserialize, Serialize};

use crate::daemon_config::DaemonConfig;

/// What a reload changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigDiff {
    pub modems_added: Vec<String>,
    pub modems_removed: Vec<String>,
    /// Their settings or their `[ports.NAME]` changed: closed and opened
    /// again with the new ones.
    pub modems_changed: Vec<String>,
    pub queues_added: Vec<String>,
    pub queues_removed: Vec<String>,
    pub queues_changed: Vec<String>,
    pub handlers_changed: bool,
    pub limits_changed: bool,
    /// Settings that only a restart can change; a reload with any is
    /// refused.
    pub needs_restart: Vec<String>,
}

impl ConfigDiff {
    /// What changes from `old` to `new`.
    pub fn between(old: &DaemonConfig, new: &DaemonConfig) -> ConfigDiff {
        let mut diff = ConfigDiff::default();
        for (name, settings) in &new.modems {
            match old.modems.get(name) {
                None => diff.modems_added.push(name.clone()),
                Some(before) => {
                    let port_changed = old.ports.get(&before.port) != new.ports.get(&settings.port);
                    if before != settings || port_changed {
                        diff.modems_changed.push(name.clone());
                    }
                }
            }
        }
        diff.modems_removed = old
            .modems
            .keys()
            .filter(|name| !new.modems.contains_key(*name))
            .cloned()
            .collect();
        for (name, queue) in &new.queues {
            match old.queues.get(name) {
                None => diff.queues_added.push(name.clone()),
                Some(before) if before != queue => diff.queues_changed.push(name.clone()),
                Some(_) => {}
            }
        }
        diff.queues_removed = old
            .queues
            .keys()
            .filter(|name| !new.queues.contains_key(*name))
            .cloned()
            .collect();
        diff.handlers_changed = old.handlers != new.handlers;
        diff.limits_changed = old.limits != new.limits;
        let mut restart = |changed: bool, what: &str| {
            if changed {
                diff.needs_restart.push(what.to_owned());
            }
        };
        restart(old.spool != new.spool, "[spool] directories");
        restart(old.control_socket != new.control_socket, "[control]");
        restart(old.lock_dir != new.lock_dir, "lock-dir");
        restart(old.modes != new.modes, "[spool] file-mode/dir-mode");
        restart(old.status_file != new.status_file, "[status]");
        diff
    }

    /// Whether nothing about modems, queues, handlers or limits changes.
    pub fn is_empty(&self) -> bool {
        self == &ConfigDiff::default()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config(text: &str) -> DaemonConfig {
        DaemonConfig::parse(text, Path::new("test.toml")).unwrap_or_else(|err| panic!("{err:#}"))
    }

    const BASE: &str = r#"
[spool]
base = "/tmp/smsgate-diff-test"
[ports.p1]
device = "/dev/ttyS1"
[ports.p2]
device = "/dev/ttyS2"
[modems.gsm1]
port = "p1"
[modems.gsm2]
port = "p2"
"#;

    #[test]
    fn the_same_config_changes_nothing() {
        assert!(ConfigDiff::between(&config(BASE), &config(BASE)).is_empty());
    }

    #[test]
    fn modems_added_removed_and_changed_by_their_settings_or_their_port() {
        let old = config(BASE);
        let new = config(&BASE.replace("[modems.gsm2]\nport = \"p2\"\n", "[modems.gsm3]\nport = \"p2\"\n"));
        let diff = ConfigDiff::between(&old, &new);
        assert_eq!(diff.modems_added, ["gsm3"]);
        assert_eq!(diff.modems_removed, ["gsm2"]);
        assert!(diff.modems_changed.is_empty());
        assert!(diff.needs_restart.is_empty());

        // The port's device changed: the modem on it is reopened.
        let new = config(&BASE.replace("/dev/ttyS1", "/dev/ttyS9"));
        let diff = ConfigDiff::between(&old, &new);
        assert_eq!(diff.modems_changed, ["gsm1"]);
        assert!(diff.modems_added.is_empty() && diff.modems_removed.is_empty());
    }

    #[test]
    fn a_new_spool_base_needs_a_restart() {
        let old = config(BASE);
        let new = config(&BASE.replace("smsgate-diff-test", "elsewhere"));
        // The control socket is in the base unless set.
        assert_eq!(
            ConfigDiff::between(&old, &new).needs_restart,
            ["[spool] directories", "[control]"]
        );
    }
}
