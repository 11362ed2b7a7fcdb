//! Logging straight to the systemd journal when the daemon runs as a
//! service: each event a journal entry with its priority (`journalctl -p
//! err`), its target, and its fields as journal fields by their own name,
//! upper-cased (`journalctl MODEM=modem0`, `FILE=`, `MESSAGE_ID=` on the
//! sent, failed and received events), rather than text lines on stderr.
//! No `F_` prefix: the fields are smsgate's own few (no event has a field
//! named as a journal field of systemd's, `PRIORITY`, `MESSAGE`, ...).
//!
//! systemd says stderr goes to the journal by `JOURNAL_STREAM=DEV:INODE`
//! (systemd.exec(5)); it is believed only when stderr is that very stream,
//! since a child started from a service (`smsgate send` in an
//! eventhandler, with stderr redirected) inherits the variable.

use std::os::fd::AsFd as _;
use std::os::unix::fs::MetadataExt as _;

/// Whether stderr is the journal's stream.
pub(super) fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = parse_stream(&stream.to_string_lossy()) else {
        return false;
    };
    let stderr = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from);
    match stderr.and_then(|file| file.metadata()) {
        Ok(meta) => meta.dev() == dev && meta.ino() == ino,
        Err(_) => false,
    }
}

/// `DEV:INODE`, both decimal.
fn parse_stream(text: &str) -> Option<(u64, u64)> {
    let (dev, ino) = text.split_once(':')?;
    Some((dev.parse().ok()?, ino.parse().ok()?))
}

/// The journal layer, if the journal's socket can be reached.
pub(super) fn layer() -> Option<tracing_journald::Layer> {
    tracing_journald::layer().ok().map(|layer| {
        layer
            .with_syslog_identifier("smsgate".to_owned())
            .with_field_prefix(None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_values() {
        assert_eq!(parse_stream("8:123456"), Some((8, 123_456)));
        assert_eq!(parse_stream("8"), None);
        assert_eq!(parse_stream("x:1"), None);
    }
}
