//! Webhooks (`[[webhooks]]`): every event a hook asks for is POSTed to it
//! as JSON, at least once, in order.
//!
//! Durable first: [`Webhooks::enqueue`] runs inside the event bus's
//! publish, where the event happens (after its `sent/`, `failed/`,
//! `incoming/` or `report/` file is durable), and writes one file per hook
//! into `base/webhooks/HOOK/`, fsynced, named by a sequence number. A task
//! per hook delivers them oldest first, one at a time, and deletes a file
//! only after a 2xx: so a hook gets its events in the order they happened
//! (per message too), after a kill -9 and a restart as well; a receiver
//! that is down holds up only its own hook, retried with doubling pauses
//! up to `retry-max-s`. The events of sent, failed and received
//! messages and of status reports are queued *before* their spool file is
//! written and made final after ([`intent`]), so that a daemon that dies
//! between the two loses no delivery.
//!
//! Each POST has `X-Smsgate-Event` (the kind), `X-Smsgate-Delivery` (an id
//! a receiver can deduplicate by: a retry repeats it) and, with a
//! `secret-file`, `X-Smsgate-Signature: sha256=HEX` (HMAC-SHA256 of the
//! body with the secret).

pub(crate) mod config;
pub(crate) mod intent;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hmac::{KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::events::DaemonEvent;
use crate::journal::new_message_id;
use crate::metrics::{Metrics, ResultLabel};
use crate::spool_dir;
use crate::status_board::{HookEvent, StatusBoard};
use config::WebhookSettings;
use intent::{Fact, PENDING_SUFFIX};

/// How often a hook's directory is looked at without a wakeup (files
/// left by a crash are found at the start anyway).
const RESCAN: Duration = Duration::from_secs(5);

/// One pending delivery, as its file holds it.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    delivery: String,
    event: String,
    body: String,
    /// For a delivery queued before its fact ([`intent`]): how to tell
    /// whether the fact was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fact: Option<Fact>,
}

#[derive(Debug)]
struct Hook {
    settings: WebhookSettings,
    dir: PathBuf,
    next: AtomicU64,
    wake: Notify,
}

/// Every hook's queue.
#[derive(Debug)]
pub(crate) struct Webhooks {
    hooks: Vec<Hook>,
    mode: u32,
    metrics: Arc<Metrics>,
    /// Where the status (`ctl status`, `GET /api/v1/status`) shows each
    /// hook's backlog and failures.
    board: StatusBoard,
}

/// The queue directory of the hook that posts to `url`.
fn dir_of(base: &Path, url: &str) -> PathBuf {
    let digest = hex::encode(Sha256::digest(url.as_bytes()));
    base.join("webhooks").join(&digest[..16])
}

/// The queued files of `dir`, oldest first: (sequence number, path,
/// whether it is final rather than waiting for its fact).
fn pending_in(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf, bool)>> {
    let mut files: Vec<(u64, PathBuf, bool)> = std::fs::read_dir(dir)?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let name = name.to_str()?;
            let (seq, committed) = match name.strip_suffix(PENDING_SUFFIX) {
                Some(seq) => (seq, false),
                None => (name, true),
            };
            Some((seq.parse::<u64>().ok()?, entry.path(), committed))
        })
        .collect();
    files.sort();
    Ok(files)
}

impl Webhooks {
    /// Opens (creates) every hook's queue under `base`.
    pub(crate) fn open(
        base: &Path,
        settings: &[WebhookSettings],
        mode: u32,
        dir_mode: u32,
        metrics: Arc<Metrics>,
        board: StatusBoard,
    ) -> std::io::Result<Webhooks> {
        let mut hooks = Vec::new();
        for settings in settings {
            let dir = dir_of(base, &settings.url);
            spool_dir::create_dirs(&dir, dir_mode)?;
            intent::settle(&dir)?;
            let pending = pending_in(&dir)?;
            let next = pending.last().map_or(1, |(seq, ..)| seq + 1);
            metrics.webhook_backlog.inc_by(pending.len() as i64);
            board.record_hook(&settings.url, HookEvent::Waiting(pending.len()));
            hooks.push(Hook {
                settings: settings.clone(),
                dir,
                next: AtomicU64::new(next),
                wake: Notify::new(),
            });
        }
        Ok(Webhooks {
            hooks,
            mode,
            metrics,
            board,
        })
    }

    /// Queues `event` for every hook that asked for its kind, durably.
    pub(crate) fn enqueue(&self, event: &DaemonEvent) {
        let kind = event.kind();
        let body = match serde_json::to_string(event) {
            Ok(body) => body,
            Err(err) => {
                tracing::error!(target: "smsgate", "webhooks: cannot write the {kind} event: {err}");
                return;
            }
        };
        for (index, hook) in self
            .hooks
            .iter()
            .enumerate()
            .filter(|(_, hook)| hook.settings.events.iter().any(|wanted| wanted == kind))
        {
            let pending = Pending {
                delivery: new_message_id(),
                event: kind.to_owned(),
                body: body.clone(),
                fact: None,
            };
            let seq = hook.next.fetch_add(1, Ordering::SeqCst);
            let bytes = serde_json::to_vec(&pending).unwrap_or_default();
            match spool_dir::write_durably(&hook.dir, &format!("{seq:020}"), &bytes, self.mode) {
                Ok(_) => {
                    self.metrics.webhook_backlog.inc();
                    hook.wake.notify_one();
                }
                Err(err) => self.not_queued(index, kind, &err),
            }
        }
    }

    /// A delivery task per hook, until `shutdown`.
    pub(crate) fn spawn(self: &Arc<Self>, tasks: &TaskTracker, shutdown: &CancellationToken) {
        for (index, hook) in self.hooks.iter().enumerate() {
            let client = client_for(&hook.settings);
            tasks.spawn(deliver(self.clone(), index, client, shutdown.clone()));
        }
    }
}

/// The client of one hook: no redirects (a receiver that moved is told
/// of by its failures); for https://, rustls checking the server's
/// certificate against the system's roots and the hook's `ca-file`
/// (reqwest's rustls, with its aws-lc-rs provider).
fn client_for(settings: &WebhookSettings) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(file) = &settings.ca_file {
        // Checked with the config; read again here, as it is now.
        match config::certificates_of(file) {
            Ok(certificates) => builder = builder.tls_certs_merge(certificates),
            Err(err) => tracing::error!(target: "smsgate", "webhook {}: ca-file: {err}", settings.url),
        }
    }
    builder.build().unwrap_or_else(|err| {
        tracing::error!(target: "smsgate", "webhook {}: its HTTP client: {err}; the system's roots only", settings.url);
        reqwest::Client::new()
    })
}

/// `sha256=HEX` of `body` with `secret`.
pub(crate) fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delivers hook `index`'s files, oldest first, until `shutdown`.
async fn deliver(hooks: Arc<Webhooks>, index: usize, client: reqwest::Client, shutdown: CancellationToken) {
    let hook = &hooks.hooks[index];
    let mut pause = hook.settings.retry_initial;
    loop {
        let first = pending_in(&hook.dir).ok().and_then(|files| {
            hooks
                .board
                .record_hook(&hook.settings.url, HookEvent::Waiting(files.len()));
            files.into_iter().next()
        });
        // None, or the oldest waits for its fact: the later ones wait
        // behind it, in order.
        let Some((_, path, true)) = first else {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = hook.wake.notified() => {}
                _ = tokio::time::sleep(RESCAN) => {}
            }
            continue;
        };
        let pending: Option<Pending> = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let Some(pending) = pending else {
            // A torn file never had its fsync: it was never queued.
            tracing::warn!(target: "smsgate", "webhooks: {} is unreadable; dropped", path.display());
            let _ = std::fs::remove_file(&path);
            hooks.metrics.webhook_backlog.dec();
            continue;
        };
        let mut request = client
            .post(&hook.settings.url)
            .timeout(hook.settings.timeout)
            .header("content-type", "application/json")
            .header("x-smsgate-event", &pending.event)
            .header("x-smsgate-delivery", &pending.delivery);
        if let Some(secret) = &hook.settings.secret {
            request = request.header("x-smsgate-signature", signature(secret, pending.body.as_bytes()));
        }
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => return,
            outcome = request.body(pending.body.clone()).send() => outcome,
        };
        let problem = match outcome {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("answered {}", response.status())),
            Err(err) => Some(err.to_string()),
        };
        let result = if problem.is_none() { "delivered" } else { "failed" };
        hooks
            .metrics
            .webhook_deliveries
            .get_or_create(&ResultLabel {
                result: result.to_owned(),
            })
            .inc();
        match problem {
            None => {
                hooks.board.record_hook(&hook.settings.url, HookEvent::Delivered);
                if let Err(err) = std::fs::remove_file(&path) {
                    // Delivered again after a restart: at least once.
                    tracing::warn!(target: "smsgate", "webhooks: cannot remove {}: {err}", path.display());
                }
                hooks.metrics.webhook_backlog.dec();
                pause = hook.settings.retry_initial;
            }
            Some(problem) => {
                hooks
                    .board
                    .record_hook(&hook.settings.url, HookEvent::Failed(problem.clone()));
                tracing::warn!(
                    target: "smsgate",
                    "webhook {}: delivery {} ({}) failed: {problem}; again in {} s",
                    hook.settings.url,
                    pending.delivery,
                    pending.event,
                    pause.as_secs()
                );
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(hook.settings.retry_max);
            }
        }
    }
}

/// A status board for tests that open queues.
#[cfg(test)]
pub(crate) fn test_board() -> StatusBoard {
    StatusBoard::new(chrono::Local::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn the_signature_is_hmac_sha256() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn events_are_queued_durably_in_order_for_the_hooks_that_want_them() {
        let dir = tempfile::tempdir().unwrap();
        let settings = |url: &str, events: &[&str]| WebhookSettings {
            url: url.to_owned(),
            events: events.iter().map(|event| (*event).to_owned()).collect(),
            secret: None,
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
            ca_file: None,
        };
        let hooks = [
            settings("http://a/", &["received"]),
            settings("http://b/", &["sent", "received"]),
        ];
        let metrics = Arc::new(Metrics::default());
        let webhooks =
            Webhooks::open(dir.path(), &hooks, 0o600, 0o700, metrics.clone(), test_board()).unwrap();
        for file in ["one", "two"] {
            webhooks.enqueue(&DaemonEvent::Received {
                file: file.into(),
                modem: "m".into(),
            });
        }
        webhooks.enqueue(&DaemonEvent::Report {
            file: "r".into(),
            modem: "m".into(),
            message_reference: 1,
        });
        let a = pending_in(&dir_of(dir.path(), "http://a/")).unwrap();
        let b = pending_in(&dir_of(dir.path(), "http://b/")).unwrap();
        assert_eq!((a.len(), b.len()), (2, 2));
        assert_eq!(metrics.webhook_backlog.get(), 4);
        let first: Pending = serde_json::from_slice(&std::fs::read(&a[0].1).unwrap()).unwrap();
        assert!(first.body.contains("\"one\""), "{first:?}");
        // Reopened (a restart): numbering goes on after what is there.
        let reopened = Webhooks::open(
            dir.path(),
            &hooks,
            0o600,
            0o700,
            Arc::new(Metrics::default()),
            test_board(),
        )
        .unwrap();
        assert_eq!(reopened.hooks[0].next.load(Ordering::SeqCst), a[1].0 + 1);
        assert!(a.iter().chain(&b).all(|(_, _, committed)| *committed));
    }
}
