//! `[status] file` and `interval-s`: the daemon's status
//! ([`crate::status_board`]) written to a file every so often, as smsd
//! writes its `status` file (`import-smsd-conf` maps smsd's `stats` and
//! `status_interval` here), for scripts and monitoring that read files.
//! Each write replaces the file whole (a temporary name, then a rename):
//! a reader never sees half of one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use toml::Spanned;

use crate::daemon_config::Checker;
use crate::status_board::StatusBoard;

/// smsd's default `status_interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// `[status]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawStatus {
    file: Option<PathBuf>,
    interval_s: Option<Spanned<u64>>,
}

/// `[status]`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusFile {
    /// A relative `file` is in the spool's base.
    pub path: PathBuf,
    pub interval: Duration,
}

pub(crate) fn check(checker: &mut Checker<'_>, raw: &RawStatus, base: &Path) -> Option<StatusFile> {
    let interval = match &raw.interval_s {
        Some(seconds) if *seconds.get_ref() == 0 => {
            checker.problem(seconds.span().start, "status.interval-s", "must be at least 1");
            DEFAULT_INTERVAL
        }
        Some(seconds) => Duration::from_secs(*seconds.get_ref()),
        None => DEFAULT_INTERVAL,
    };
    let path = raw.file.as_ref()?;
    Some(StatusFile {
        path: base.join(path),
        interval,
    })
}

/// Writes the status to `file` every `interval` until `shutdown`, and
/// once more then (the modems' last states).
pub(crate) async fn run(board: StatusBoard, file: StatusFile, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(file.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        let stopping = tokio::select! {
            _ = shutdown.cancelled() => true,
            _ = ticks.tick() => false,
        };
        let text = board.view().render();
        let path = file.path.clone();
        let written = tokio::task::spawn_blocking(move || write_whole(&path, text.as_bytes())).await;
        match written {
            Ok(Ok(())) => failing = false,
            Ok(Err(err)) if !failing => {
                // Once, not every interval.
                tracing::warn!(target: "smsgate", "[status] file {}: {err}", file.path.display());
                failing = true;
            }
            _ => {}
        }
        if stopping {
            return;
        }
    }
}

fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}
