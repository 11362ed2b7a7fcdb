//! `smsgate run`: the daemon of the `smsgate-daemon` library as a
//! process: logging, the async runtime, and SIGINT/SIGTERM as its
//! shutdown.

use std::path::Path;

use smsgate_daemon::daemon_config::DaemonConfig;
use smsgate_daemon::ops::{DaemonOps, DaemonOptions};
use smsgate_daemon::sd_notify;
use smsgate_daemon::Daemon;
use tokio_util::sync::CancellationToken;

/// The daemon gives memory back to the kernel once it is free: after a
/// backlog of 10,000 files has drained, the resident set falls back
/// instead of staying at its peak. glibc's malloc never did (freed memory
/// between live blocks stays resident, and its trim threshold rises with
/// every large table freed); jemalloc (main.rs) purges unused pages after
/// its decay time, and its background thread does so also while the
/// daemon sleeps. Without the thread (if it cannot start), purging
/// happens on later allocations only: logged, not fatal.
///
/// The decay time is shortened from jemalloc's 10 s to
/// [`PURGE_AFTER_MS`]: a backlog drained at full speed left 50 MiB
/// resident that took over 10 s to go (docs/benchmarks.md, "Sixth run").
fn return_freed_memory() {
    use tikv_jemalloc_ctl::{Access as _, AsName as _};
    if let Err(err) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(target: "smsgate", "jemalloc's background purging is off: {err}");
    }
    // Arena 4096 is jemalloc's name for every arena there is; `arenas.*`
    // is the default of those made later.
    for control in [
        &b"arenas.dirty_decay_ms\0"[..],
        b"arenas.muzzy_decay_ms\0",
        b"arena.4096.dirty_decay_ms\0",
        b"arena.4096.muzzy_decay_ms\0",
    ] {
        if let Err(err) = control.name().write(PURGE_AFTER_MS) {
            tracing::warn!(target: "smsgate", "jemalloc's decay time stays as it was: {err}");
        }
    }
}

/// How long freed pages stay resident before jemalloc purges them.
const PURGE_AFTER_MS: isize = 1000;

/// `smsgate run`: the daemon until SIGINT or SIGTERM; SIGHUP reloads
/// the config.
pub(crate) fn run(config_path: &Path) -> anyhow::Result<()> {
    let log_level = crate::logging::init_reloadable("info");
    // Before the runtime's threads: it clears the environment's variables.
    let notifier = sd_notify::Notifier::from_env()?;
    tracing::info!(target: "smsgate", "configuration {}", config_path.display());
    let config = DaemonConfig::load(config_path)?;
    let modems_configured = config.modems.len();
    let options = DaemonOptions {
        config_path: Some(config_path.to_path_buf()),
        log_level,
    };
    return_freed_memory();
    let runtime = crate::runtime::multi_thread()?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = tokio::spawn(cancel_on_signal(shutdown.clone()));
        // Listened for before the daemon starts: SIGHUP's default action
        // ends the process, and a reload asked for during the start (a
        // config management run) must not kill the daemon.
        let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
        let daemon = Daemon::start_with_options(config, shutdown.clone(), options).await;
        // systemd (sd_notify.rs): ready once started, pings while the
        // scheduler turns, STOPPING=1 when the shutdown begins.
        let supervisor = match (&daemon, notifier) {
            (Ok(_), Some(notifier)) => Some(tokio::spawn(sd_notify::supervise(
                notifier,
                modems_configured,
                shutdown.clone(),
            ))),
            _ => None,
        };
        let result = match daemon {
            Ok(daemon) => {
                let reloads = tokio::spawn(reload_on_hangup(hangup, daemon.ops(), shutdown.clone()));
                let result = daemon.join().await;
                reloads.abort();
                result
            }
            Err(err) => Err(err),
        };
        signals.abort();
        if let Some(supervisor) = supervisor {
            shutdown.cancel();
            let _ = supervisor.await;
        }
        result
    })
}

/// Fires `token` on SIGINT or SIGTERM.
pub(crate) async fn cancel_on_signal(token: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::error!(target: "smsgate", "cannot listen for signals");
        return;
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
        _ = token.cancelled() => return,
    }
    tracing::info!(target: "smsgate", "stopping: finishing the sends in flight");
    token.cancel();
}

/// Each SIGHUP reloads the config, as `smsgate ctl reload` does (the
/// outcome is logged by the daemon).
async fn reload_on_hangup(
    hangup: std::io::Result<tokio::signal::unix::Signal>,
    ops: DaemonOps,
    token: CancellationToken,
) {
    let Ok(mut hangup) = hangup else {
        tracing::error!(target: "smsgate", "cannot listen for SIGHUP");
        return;
    };
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            received = hangup.recv() => {
                if received.is_none() {
                    return;
                }
                tracing::info!(target: "smsgate", "SIGHUP: reloading the config");
                let _ = ops.reload().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The allocator of the binary (main.rs) is jemalloc, and `run` turns
    /// its background purging on: without it, an idle daemon keeps the
    /// pages of a drained backlog (docs/benchmarks.md, "Fourth run").
    #[test]
    fn the_daemon_gives_freed_memory_back_while_idle() {
        use tikv_jemalloc_ctl::{Access as _, AsName as _};
        return_freed_memory();
        assert_eq!(tikv_jemalloc_ctl::background_thread::read(), Ok(true));
        let decay: isize = b"arenas.dirty_decay_ms\0".name().read().unwrap();
        assert_eq!(decay, PURGE_AFTER_MS);
    }
}
