//! Taking an outgoing file in, against a hostile local user: whoever may
//! write to `outgoing/` may put there, or swap in after the directory was
//! listed, a symlink to a file only the daemon may read, a FIFO with no
//! writer, or a file of any size.
//!
//! So an entry is opened once, with `O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`
//! (and `O_CLOEXEC`, std's default): a symlink is refused by the kernel
//! and the open never waits for a FIFO's writer. Everything after is
//! decided on that descriptor: `fstat` says whether it is a regular file
//! and how long it is before a byte is read, and the read itself stops at
//! the limit, also when the file grows meanwhile. The name is never
//! opened again for its content.
//!
//! What cannot be taken stays where it is and is reported once
//! ([`Refusals`]), and again only when it changes, as smsd's "Cannot
//! handle FILE: Access denied"; a file over the limit is moved to
//! `failed/` by a rename, never copied ([`spool_dir::move_unread`]).

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Read as _};
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

#[cfg(doc)]
use crate::spool_dir;
use crate::spool_dir::EntryId;

/// The default of `[spool] max-outgoing-bytes`: a message is at most 255
/// parts of 160 characters (a few bytes each in UTF-8) plus its headers,
/// so anything past a mebibyte is a mistake or an attack.
pub(crate) const DEFAULT_MAX_OUTGOING_BYTES: u64 = 1024 * 1024;

/// What tells one version of an entry from the next: a change of any of
/// these (a `chmod`, a rewrite, another file renamed over it) makes a
/// refused entry worth another report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
    mode: u32,
    uid: u32,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Identity {
    fn of(metadata: &Metadata) -> Identity {
        let nanos = |secs: i64, nsecs: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsecs);
        Identity {
            dev: metadata.dev(),
            ino: metadata.ino(),
            mode: metadata.mode(),
            uid: metadata.uid(),
            size: metadata.size(),
            mtime_ns: nanos(metadata.mtime(), metadata.mtime_nsec()),
            ctime_ns: nanos(metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    /// Of the entry itself, not what a symlink points to; `None` when it
    /// is gone.
    fn of_entry(path: &Path) -> Option<Identity> {
        std::fs::symlink_metadata(path)
            .ok()
            .map(|metadata| Identity::of(&metadata))
    }
}

/// An outgoing file, read.
#[derive(Debug)]
pub(crate) struct Intake {
    pub(crate) bytes: Vec<u8>,
    /// Its permission bits: its `sent/` or `failed/` version keeps them.
    pub(crate) mode: u32,
    /// The file itself (device and inode, by `fstat` of the descriptor
    /// read): only this file is ever removed or moved under its name
    /// later, never a new one dropped there meanwhile.
    pub(crate) entry: EntryId,
}

/// An outgoing file opened and checked, not yet read.
#[derive(Debug)]
pub(crate) struct Opened {
    file: File,
    pub(crate) size: u64,
    /// Its permission bits.
    pub(crate) mode: u32,
    /// The file opened ([`Intake::entry`]).
    pub(crate) entry: EntryId,
}

/// Why an entry is not taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// It is gone (taken away, renamed): nothing to say.
    Gone,
    /// It cannot be taken as it is (not readable, not a regular file): it
    /// stays, and is reported.
    Cannot {
        reason: String,
        identity: Option<Identity>,
    },
    /// It is a regular file over the limit (by `fstat`, or it grew while
    /// being read): to `failed/`, unread.
    TooLarge {
        size: u64,
        limit: u64,
        mode: u32,
        /// The file judged, which alone may be moved.
        entry: EntryId,
    },
}

impl Refusal {
    /// The reason, as it goes into a log line or `Fail_reason:`.
    pub(crate) fn reason(&self) -> String {
        match self {
            Refusal::Gone => "it is gone".to_owned(),
            Refusal::Cannot { reason, .. } => reason.clone(),
            Refusal::TooLarge { size, limit, .. } => format!(
                "the file has {size} bytes, more than max-outgoing-bytes ({limit}); a message is at \
                 most 255 parts"
            ),
        }
    }
}

/// Opens the entry at `path` for intake, never following a symlink and
/// never blocking, and checks on the descriptor that it is a regular file
/// of at most `limit` bytes.
pub(crate) fn open(path: &Path, limit: u64) -> Result<Opened, Refusal> {
    let opened = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(err) => return Err(refusal_of_open(path, &err)),
    };
    let metadata = file.metadata().map_err(|err| Refusal::Cannot {
        reason: err.to_string(),
        identity: Identity::of_entry(path),
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    let entry = EntryId::of(&metadata);
    if !metadata.is_file() {
        return Err(Refusal::Cannot {
            reason: format!("not a regular file ({})", kind_of(&metadata)),
            identity: Some(Identity::of(&metadata)),
        });
    }
    if metadata.len() > limit {
        return Err(Refusal::TooLarge {
            size: metadata.len(),
            limit,
            mode,
            entry,
        });
    }
    Ok(Opened {
        file,
        size: metadata.len(),
        mode,
        entry,
    })
}

/// [`open`], then reads at most `limit` bytes from that descriptor.
pub(crate) fn read(path: &Path, limit: u64) -> Result<Intake, Refusal> {
    let opened = open(path, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(opened.size).unwrap_or(0));
    // One byte past the limit tells a file that grew since the fstat.
    if let Err(err) = (&opened.file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        return Err(Refusal::Cannot {
            reason: err.to_string(),
            identity: Identity::of_entry(path),
        });
    }
    if bytes.len() as u64 > limit {
        return Err(Refusal::TooLarge {
            size: bytes.len() as u64,
            limit,
            mode: opened.mode,
            entry: opened.entry,
        });
    }
    Ok(Intake {
        bytes,
        mode: opened.mode,
        entry: opened.entry,
    })
}

fn refusal_of_open(path: &Path, err: &io::Error) -> Refusal {
    if err.kind() == io::ErrorKind::NotFound {
        return Refusal::Gone;
    }
    let identity = Identity::of_entry(path);
    let reason = match err.raw_os_error() {
        // smsd's words.
        Some(nix::libc::EACCES | nix::libc::EPERM) => "Access denied".to_owned(),
        // What O_NOFOLLOW answers for a symlink.
        Some(nix::libc::ELOOP) => "not a regular file (a symbolic link)".to_owned(),
        // A socket, or a device without a driver.
        Some(nix::libc::ENXIO) => "not a regular file".to_owned(),
        _ => err.to_string(),
    };
    Refusal::Cannot { reason, identity }
}

fn kind_of(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// The entries that could not be taken, each reported once per version
/// (see [`Identity`]) and reason.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    reported: HashMap<PathBuf, (Option<Identity>, String)>,
}

impl Refusals {
    /// Whether the refusal of `path` is news: the first for this version
    /// of the entry, or for another reason.
    pub(crate) fn is_news(&mut self, path: &Path, identity: Option<Identity>, reason: &str) -> bool {
        let entry = (identity, reason.to_owned());
        match self.reported.get(path) {
            Some(reported) if *reported == entry => false,
            _ => {
                self.reported.insert(path.to_path_buf(), entry);
                true
            }
        }
    }

    /// `path` was taken, or is gone: a refusal after this is news again.
    pub(crate) fn forget(&mut self, path: &Path) {
        self.reported.remove(path);
    }

    /// Forgets the entries no longer there.
    pub(crate) fn retain(&mut self, mut present: impl FnMut(&Path) -> bool) {
        self.reported.retain(|path, _| present(path));
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn a_regular_file_is_read_with_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m1");
        fs::write(&path, "To: 1\n\nhi").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let intake = read(&path, 100).unwrap();
        assert_eq!(intake.bytes, b"To: 1\n\nhi");
        assert_eq!(intake.mode, 0o600);
    }

    #[test]
    fn a_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("secret"), "sim-pin = 1234").unwrap();
        symlink(dir.path().join("secret"), dir.path().join("m1")).unwrap();
        let refusal = read(&dir.path().join("m1"), 100).unwrap_err();
        assert_eq!(refusal.reason(), "not a regular file (a symbolic link)");
        let Refusal::Cannot { identity, .. } = refusal else {
            panic!("{refusal:?}")
        };
        assert!(identity.is_some());
    }

    /// Opening a FIFO without a writer, blocking, would wait for ever.
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m1");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert_eq!(
            read(&path, 100).unwrap_err().reason(),
            "not a regular file (a FIFO)"
        );
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert_eq!(
            read(&path, 100).unwrap_err().reason(),
            "not a regular file (a directory)"
        );
    }

    #[test]
    fn a_file_over_the_limit_is_refused_by_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m1");
        let file = File::create(&path).unwrap();
        // Sparse: nothing of it is ever read.
        file.set_len(10 * 1024 * 1024 * 1024).unwrap();
        let refusal = read(&path, 1000).unwrap_err();
        assert!(
            matches!(refusal, Refusal::TooLarge { size, limit: 1000, .. } if size == 10 << 30),
            "{refusal:?}"
        );
        fs::write(&path, vec![b'x'; 1000]).unwrap();
        assert_eq!(read(&path, 1000).unwrap().bytes.len(), 1000);
    }

    #[test]
    fn a_missing_file_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("nothing"), 100).unwrap_err(), Refusal::Gone);
    }

    #[test]
    fn a_refusal_is_news_once_per_version_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m1");
        fs::write(&path, "x").unwrap();
        let mut refusals = Refusals::default();
        let first = Identity::of_entry(&path);
        assert!(refusals.is_news(&path, first, "Access denied"));
        assert!(!refusals.is_news(&path, first, "Access denied"));
        assert!(refusals.is_news(&path, first, "not a regular file"));
        fs::write(&path, "changed").unwrap();
        let changed = Identity::of_entry(&path);
        assert_ne!(first, changed);
        assert!(refusals.is_news(&path, changed, "not a regular file"));
        refusals.retain(|_| false);
        assert!(refusals.is_news(&path, changed, "not a regular file"));
        refusals.forget(&path);
        assert!(refusals.is_news(&path, changed, "not a regular file"));
    }
}
