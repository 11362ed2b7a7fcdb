//! A delivery queued *before* the fact it tells of, so that a crash
//! between the fact and its queue entry loses no delivery.
//!
//! Before the daemon writes a fact (a `sent/` or `failed/` file, an
//! `incoming/` or `report/` one), each hook that wants its event gets a
//! file `SEQ.pending`, fsynced, holding the event and a [`Fact`]: how to
//! tell from the spool whether the fact was written. Once it is, the file
//! is renamed to `SEQ` and is delivered as any other; if writing the fact
//! failed, it is removed. A daemon that died in between finds the
//! `.pending` files when it opens the queues and settles each from the
//! spool: the fact is there, the delivery is kept (renamed); it is not,
//! the file goes (the fact is written later, with its own event, or
//! never). So every written fact has its delivery, and none is told of a
//! fact that was not written.
//!
//! A `.pending` file holds up its hook's deliveries behind it until it is
//! settled (a moment: one durable write), so the order stays the order the
//! events happened in.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use super::{Pending, Webhooks};
use crate::events::DaemonEvent;
use crate::journal::new_message_id;
use crate::metrics::ResultLabel;
use crate::spool_dir;

/// The suffix of a delivery whose fact is not written yet.
pub(super) const PENDING_SUFFIX: &str = ".pending";

/// How the spool shows that an event's fact was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fact {
    /// The file the fact writes: there, it was written.
    pub(crate) writes: PathBuf,
    /// The file it removes, if it removes one: gone, it was written (and
    /// its file may have been taken away since, by whoever reads the
    /// spool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) removes: Option<PathBuf>,
}

impl Fact {
    fn was_written(&self) -> bool {
        self.writes.exists() || self.removes.as_deref().is_some_and(|removed| !removed.exists())
    }
}

/// The `.pending` files of one event: (hook, sequence number).
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    files: Vec<(usize, u64)>,
}

fn pending_name(seq: u64) -> String {
    format!("{seq:020}{PENDING_SUFFIX}")
}

fn committed_name(seq: u64) -> String {
    format!("{seq:020}")
}

impl Webhooks {
    /// Queues `event` as pending for every hook that wants it, before its
    /// `fact` is written. A hook whose file cannot be written is told of
    /// nothing (counted `not_queued`, logged), as [`Webhooks::enqueue`].
    pub(crate) fn prepare(&self, event: &DaemonEvent, fact: Fact) -> Prepared {
        let kind = event.kind();
        let mut prepared = Prepared::default();
        let Ok(body) = serde_json::to_string(event) else {
            return prepared;
        };
        for (index, hook) in self.hooks.iter().enumerate() {
            if !hook.settings.events.iter().any(|wanted| wanted == kind) {
                continue;
            }
            let pending = Pending {
                delivery: new_message_id(),
                event: kind.to_owned(),
                body: body.clone(),
                fact: Some(fact.clone()),
            };
            let seq = hook.next.fetch_add(1, Ordering::SeqCst);
            let bytes = serde_json::to_vec(&pending).unwrap_or_default();
            match spool_dir::write_durably(&hook.dir, &pending_name(seq), &bytes, self.mode) {
                Ok(_) => prepared.files.push((index, seq)),
                Err(err) => self.not_queued(index, kind, &err),
            }
        }
        prepared
    }

    /// The fact is written: the pending files become deliveries.
    pub(crate) fn commit(&self, prepared: Prepared) {
        for (index, seq) in prepared.files {
            let hook = &self.hooks[index];
            let from = hook.dir.join(pending_name(seq));
            // Not fsynced: lost in a crash, the `.pending` file is settled
            // from the spool at the next start, to the same end.
            match std::fs::rename(&from, hook.dir.join(committed_name(seq))) {
                Ok(()) => {
                    self.metrics.webhook_backlog.inc();
                }
                Err(err) => {
                    tracing::error!(target: "smsgate", "webhooks: cannot commit {}: {err}", from.display())
                }
            }
            hook.wake.notify_one();
        }
    }

    /// The fact was not written: its pending files go.
    pub(crate) fn abort(&self, prepared: Prepared) {
        for (index, seq) in prepared.files {
            let hook = &self.hooks[index];
            // Left behind, it is settled at the next start: the fact is
            // not there, so it goes then.
            let _ = std::fs::remove_file(hook.dir.join(pending_name(seq)));
            hook.wake.notify_one();
        }
    }

    pub(super) fn not_queued(&self, index: usize, kind: &str, err: &std::io::Error) {
        let hook = &self.hooks[index];
        self.metrics
            .webhook_deliveries
            .get_or_create(&ResultLabel {
                result: "not_queued".to_owned(),
            })
            .inc();
        tracing::error!(
            target: "smsgate",
            "webhook {}: cannot queue the {kind} event in {}: {err}; it is not delivered",
            hook.settings.url,
            hook.dir.display()
        );
    }
}

/// Settles the `.pending` files a previous run left in `dir`: kept as
/// deliveries where the spool has their fact, removed where not.
pub(super) fn settle(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let Some(seq) = name
            .to_str()
            .and_then(|name| name.strip_suffix(PENDING_SUFFIX))
            .and_then(|seq| seq.parse::<u64>().ok())
        else {
            continue;
        };
        let path = entry.path();
        let pending: Option<Pending> = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let written = pending
            .as_ref()
            .and_then(|pending| pending.fact.as_ref())
            .is_some_and(Fact::was_written);
        if written {
            tracing::info!(target: "smsgate", "webhooks: {} is written; its delivery is kept", path.display());
            std::fs::rename(&path, dir.join(committed_name(seq)))?;
        } else {
            tracing::info!(target: "smsgate", "webhooks: {}: its fact was not written; dropped", path.display());
            std::fs::remove_file(&path)?;
        }
    }
    spool_dir::sync_dir(dir)
}

/// In debug builds, `SMSGATE_DEBUG_DIE_BEFORE_WEBHOOK_QUEUE=FILE` kills
/// the process with SIGKILL (a kill -9 at a chosen point) where an event
/// of the kind FILE holds (`sent`, `received`, ...) has its fact written
/// and its webhook queue entry not yet final; once: FILE is removed
/// first, so the next start runs on. The test of a crash between the two
/// writes.
pub(crate) fn crash_point(kind: &str) {
    #[cfg(debug_assertions)]
    {
        use std::sync::OnceLock;
        static FLAG: OnceLock<Option<PathBuf>> = OnceLock::new();
        let flag = FLAG
            .get_or_init(|| std::env::var_os("SMSGATE_DEBUG_DIE_BEFORE_WEBHOOK_QUEUE").map(PathBuf::from));
        let Some(flag) = flag else {
            return;
        };
        let wanted = std::fs::read_to_string(flag).unwrap_or_default();
        if wanted.trim() == kind && std::fs::remove_file(flag).is_ok() {
            tracing::warn!(target: "smsgate", "dying before the webhook queue takes a {kind} event");
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            std::process::abort();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = kind;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::metrics::Metrics;
    use crate::webhooks::config::WebhookSettings;
    use crate::webhooks::pending_in;
    use crate::webhooks::test_board;

    fn hooks() -> Vec<WebhookSettings> {
        vec![WebhookSettings {
            url: "http://a/".to_owned(),
            events: vec!["sent".to_owned()],
            secret: None,
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
            ca_file: None,
        }]
    }

    fn sent(file: &str) -> DaemonEvent {
        DaemonEvent::Sent {
            id: "i".into(),
            file: file.into(),
            to: "+1".into(),
            modem: "m".into(),
            message_references: vec![1],
            duration_seconds: None,
        }
    }

    #[test]
    fn a_pending_delivery_is_kept_after_a_crash_when_its_fact_is_written_and_dropped_when_not() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        std::fs::create_dir_all(spool.join("checked")).unwrap();
        std::fs::create_dir_all(spool.join("sent")).unwrap();
        let webhooks = Webhooks::open(
            dir.path(),
            &hooks(),
            0o600,
            0o700,
            Arc::new(Metrics::default()),
            test_board(),
        )
        .unwrap();
        let fact = |name: &str| Fact {
            writes: spool.join("sent").join(name),
            removes: Some(spool.join("checked").join(name)),
        };
        // Three events prepared, then the crash: "done" has its sent/
        // file, "taken" was finished and its sent/ file taken away since,
        // "undone" is still in checked/.
        for name in ["done", "taken", "undone"] {
            std::fs::write(spool.join("checked").join(name), "x").unwrap();
            let _ = webhooks.prepare(&sent(name), fact(name));
        }
        std::fs::write(spool.join("sent/done"), "x").unwrap();
        std::fs::remove_file(spool.join("checked/done")).unwrap();
        std::fs::remove_file(spool.join("checked/taken")).unwrap();
        drop(webhooks);

        let metrics = Arc::new(Metrics::default());
        let webhooks =
            Webhooks::open(dir.path(), &hooks(), 0o600, 0o700, metrics.clone(), test_board()).unwrap();
        let files = pending_in(&webhooks.hooks[0].dir).unwrap();
        let bodies: Vec<String> = files
            .iter()
            .map(|(_, path, committed)| {
                assert!(committed, "{}", path.display());
                let pending: Pending = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
                pending.body
            })
            .collect();
        assert_eq!(bodies.len(), 2, "{bodies:?}");
        assert!(bodies[0].contains("\"done\""), "{bodies:?}");
        assert!(bodies[1].contains("\"taken\""), "{bodies:?}");
        assert_eq!(metrics.webhook_backlog.get(), 2);
    }

    #[test]
    fn a_committed_event_is_a_delivery_and_an_aborted_one_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let metrics = Arc::new(Metrics::default());
        let webhooks =
            Webhooks::open(dir.path(), &hooks(), 0o600, 0o700, metrics.clone(), test_board()).unwrap();
        let fact = Fact {
            writes: dir.path().join("nowhere"),
            removes: None,
        };
        let first = webhooks.prepare(&sent("one"), fact.clone());
        let second = webhooks.prepare(&sent("two"), fact);
        let files = pending_in(&webhooks.hooks[0].dir).unwrap();
        assert_eq!(files.iter().filter(|(_, _, committed)| !committed).count(), 2);
        webhooks.abort(first);
        webhooks.commit(second);
        let files = pending_in(&webhooks.hooks[0].dir).unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].2);
        assert_eq!(metrics.webhook_backlog.get(), 1);
    }
}
