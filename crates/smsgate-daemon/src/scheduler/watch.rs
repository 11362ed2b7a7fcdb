//! What the scheduler watches and the small free helpers it shares: the
//! task per modem that watches for a lost port, the translation of
//! directory-watcher events into wakeups, and helpers on names, paths and
//! bytes. Separate from `scheduler.rs` because none of it needs the
//! scheduler's state.

use std::path::PathBuf;

use modem::{ModemEvent, ModemHandle, RecoveryStep};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::hooks::{Alarms, Severity};
use crate::settle::Change;

use super::ID_HEADER;

/// What a watcher event tells the scheduler: nothing (`None`), the paths
/// that changed and how, or (`Some(None)`) that only a full rescan can
/// tell (an error, an overflow).
pub(super) fn wakeup_of(event: notify::Result<notify::Event>) -> Option<Option<Vec<(PathBuf, Change)>>> {
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    use notify::EventKind;
    match event {
        // Opening or reading a file or the directory changes nothing; and
        // smsgate's own reads (each scan opens the directory, each file is
        // read when taken) would otherwise wake it again at once, a rescan
        // of every waiting file after another.
        Ok(notify::Event {
            kind: notify::EventKind::Access(access),
            ..
        }) if access != AccessKind::Close(AccessMode::Write) => None,
        Ok(event) if !event.need_rescan() && !event.paths.is_empty() => {
            let change = match event.kind {
                // IN_CLOSE_WRITE, IN_MOVED_TO: whole.
                EventKind::Access(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => Change::Settled,
                // IN_CREATE, IN_MODIFY: a writer has it open.
                EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_)) => Change::Written,
                // A rename's other halves (`Both` repeats the `To`), a
                // removal, a chmod: the look tells.
                _ => Change::Other,
            };
            Some(Some(event.paths.into_iter().map(|path| (path, change)).collect()))
        }
        _ => Some(None),
    }
}

/// Raises an alarm when a modem's port is lost, the modem stops answering,
/// and at each step of its recovery, until shutdown; tells the scheduler
/// when the modem is set up again.
pub(super) async fn watch_port(
    name: String,
    handle: ModemHandle,
    alarms: Alarms,
    shutdown: CancellationToken,
    reconnected: mpsc::UnboundedSender<String>,
) {
    let mut events = handle.subscribe();
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(ModemEvent::Disconnected { cause }) => {
                let text = format!("port {} lost ({cause}); reopening it", handle.port());
                alarms.raise(Severity::Error, &name, &text);
            }
            Ok(ModemEvent::Hung) => {
                let text = format!("the modem on {} does not answer", handle.port());
                alarms.raise(Severity::Error, &name, &text);
            }
            Ok(ModemEvent::Recovery(step)) => {
                let severity = match step {
                    RecoveryStep::Recovered { .. } => Severity::Notice,
                    _ => Severity::Error,
                };
                alarms.raise(
                    severity,
                    &name,
                    &format!("the modem on {}: {step}", handle.port()),
                );
            }
            Ok(ModemEvent::Reconnected) => {
                let _ = reconnected.send(name.clone());
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Whether the finished file at `path` is message `id`'s: its headers
/// carry [`ID_HEADER`] with it.
pub(super) fn carries_id(path: &std::path::Path, id: &str, limit: u64) -> bool {
    let Some(bytes) = read_safely(path, limit) else {
        return false;
    };
    let wanted = format!("{ID_HEADER}: {id}");
    bytes
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
        .any(|line| line == wanted.as_bytes())
}

/// Whether the file at `source` is the original of the finished file
/// `finished` (which is it with headers added): the same body, and each
/// of its header lines among the finished one's. `limit` is `[spool]
/// max-outgoing-bytes`.
pub(super) fn is_original_of(source: &std::path::Path, finished: &std::path::Path, limit: u64) -> bool {
    // The finished file is the original with smsd's headers added.
    let finished_limit = limit.saturating_add(64 * 1024);
    let (Some(source), Some(finished)) = (read_safely(source, limit), read_safely(finished, finished_limit))
    else {
        return false;
    };
    let split = |bytes: &[u8]| -> (Vec<Vec<u8>>, Vec<u8>) {
        let at = bytes
            .windows(2)
            .position(|pair| pair == b"\n\n")
            .map_or(bytes.len(), |at| at + 1);
        let headers = bytes[..at]
            .split(|&byte| byte == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
            .filter(|line| !line.is_empty())
            .collect();
        (headers, bytes[at..].to_vec())
    };
    let ((source_headers, source_body), (finished_headers, finished_body)) =
        (split(&source), split(&finished));
    source_body == finished_body && source_headers.iter().all(|line| finished_headers.contains(line))
}

/// A spool entry's bytes as intake reads them: never through a symlink,
/// never blocking on a FIFO, at most `limit` bytes; none otherwise. A
/// local user may have put anything under a name in `outgoing/`.
fn read_safely(path: &std::path::Path, limit: u64) -> Option<Vec<u8>> {
    crate::intake::read(path, limit).ok().map(|intake| intake.bytes)
}

/// The directory of an entry, for a log line.
pub(super) fn dir_of(path: &std::path::Path) -> std::path::Display<'_> {
    path.parent().unwrap_or(path).display()
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, EventKind, Flag, MetadataKind, ModifyKind,
        RemoveKind, RenameMode,
    };
    use notify::Event;

    use super::*;

    /// Issue 11 (hostile neighbour): recovery compares an `outgoing/` entry
    /// with the finished file of its name; a FIFO there blocked the daemon
    /// at start, and a symlink was followed. Both are now "not the
    /// original", at once.
    #[test]
    fn recovery_never_blocks_on_a_fifo_nor_follows_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let finished = dir.path().join("finished");
        std::fs::write(&finished, "To: 1\nX-Smsgate-Id: abc\n\nhi\n").unwrap();
        let original = dir.path().join("original");
        std::fs::write(&original, "To: 1\n\nhi\n").unwrap();
        assert!(is_original_of(&original, &finished, 1024));
        assert!(carries_id(&finished, "abc", 1024));
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert!(!is_original_of(&fifo, &finished, 1024));
        assert!(!carries_id(&fifo, "abc", 1024));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&original, &link).unwrap();
        assert!(!is_original_of(&link, &finished, 1024));
    }

    fn event(kind: EventKind, path: &str) -> notify::Result<Event> {
        Ok(Event::new(kind).add_path(PathBuf::from(path)))
    }

    /// The cause of the slowdown with a large backlog: every scan opens
    /// `outgoing/`, inotify reports the open, and the wakeup it caused
    /// started the next full scan, without end.
    #[test]
    fn own_reads_do_not_wake_the_scheduler() {
        for access in [
            AccessKind::Open(AccessMode::Any),
            AccessKind::Read,
            AccessKind::Close(AccessMode::Read),
            AccessKind::Any,
        ] {
            assert_eq!(
                wakeup_of(event(EventKind::Access(access), "/spool/outgoing")),
                None
            );
        }
    }

    #[test]
    fn changes_wake_it_with_their_paths_only() {
        for (kind, change) in [
            (EventKind::Create(CreateKind::File), Change::Written),
            (
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                Change::Written,
            ),
            (EventKind::Remove(RemoveKind::File), Change::Other),
            (
                EventKind::Modify(ModifyKind::Name(RenameMode::From)),
                Change::Other,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
                Change::Other,
            ),
            (
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                Change::Settled,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                Change::Settled,
            ),
        ] {
            assert_eq!(
                wakeup_of(event(kind, "/spool/outgoing/m1")),
                Some(Some(vec![(PathBuf::from("/spool/outgoing/m1"), change)]))
            );
        }
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert_eq!(wakeup_of(Ok(overflow)), Some(None));
        assert_eq!(wakeup_of(Err(notify::Error::generic("lost"))), Some(None));
    }
}
