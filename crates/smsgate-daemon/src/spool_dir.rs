//! The spool directories on disk: which files in `outgoing/` are ready to
//! be taken, and the durable moves to `sent/` and `failed/`.
//!
//! smstools3's rules for what to leave alone: dotfiles (a file being
//! written under a temporary name), `*.LOCK` and `LOCKED*` files, and any
//! file `NAME` while `NAME.LOCK` exists (smstools3's own tools, such as
//! its `sendsms` script, hold that lock while they write).
//!
//! A finished file is never rewritten in place: the `sent/` or `failed/`
//! version is written under a temporary dotfile name in the target
//! directory, fsynced, renamed to its name, and the directory fsynced;
//! only then is the `outgoing/` file unlinked and `outgoing/` fsynced.
//! A crash at any point leaves the message in `outgoing/`, in the target
//! directory, or (for an instant) in both, never in neither; the journal
//! tells a restart that it was already sent.
//!
//! Modes are set, not left to the umask: a `sent/` or `failed/` version
//! keeps its outgoing file's permission bits (a 0600 message stays
//! 0600), and what the daemon writes of its own (received messages,
//! reports, its state) and the directories it creates get
//! [`FileModes`] (`[spool] file-mode`, `dir-mode`).

use std::collections::HashSet;
use std::fs::{self, File, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The modes of what the daemon writes of its own, whatever its umask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileModes {
    /// Received messages, reports, the journal, the indexes, held parts.
    pub file: u32,
    /// The directories it creates (one that exists is left as it is).
    pub dir: u32,
}

impl Default for FileModes {
    fn default() -> FileModes {
        FileModes {
            file: 0o640,
            dir: 0o750,
        }
    }
}

/// A file in `outgoing/` that may be taken.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) modified: SystemTime,
    /// Its size when seen: with `modified`, what tells a file still being
    /// written ([`crate::settle`]).
    pub(crate) size: u64,
    /// Its number of hard links: more than one, it was linked in whole.
    pub(crate) links: u64,
    /// A regular file: only such a file is ever being written; anything
    /// else is refused at once by intake.
    pub(crate) regular: bool,
}

/// Whether the file `name` may be taken, given every name in its directory.
pub(crate) fn is_candidate(name: &str, names: &HashSet<String>) -> bool {
    !(name.starts_with('.')
        || name.ends_with(".LOCK")
        || name.starts_with("LOCKED")
        || names.contains(&format!("{name}.LOCK")))
}

/// The entries of `dir` that may be taken, in no order: every name but
/// a directory's. A symlink, a FIFO or an unreadable file is one too:
/// intake refuses it, and says so ([`crate::intake`]), rather
/// than leaving it without a word.
pub(crate) fn scan(dir: &Path) -> io::Result<Vec<Candidate>> {
    let mut entries = Vec::new();
    let mut names = HashSet::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        // A name that is not UTF-8 cannot be written into a header or a
        // log line faithfully; such files are left alone.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        names.insert(name.clone());
        entries.push((name, entry));
    }
    let mut candidates = Vec::new();
    for (name, entry) in entries {
        if !is_candidate(&name, &names) {
            continue;
        }
        // A file that vanished meanwhile is simply not a candidate.
        let Ok(metadata) = entry.metadata() else { continue };
        if metadata.is_dir() {
            continue;
        }
        candidates.push(Candidate {
            path: entry.path(),
            modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            size: metadata.len(),
            links: metadata.nlink(),
            regular: metadata.is_file(),
            name,
        });
    }
    Ok(candidates)
}

/// `dir/name` as a candidate, if it is one now: the same rules as
/// [`scan`], for one name (a changed path the watcher reported), without
/// reading the whole directory.
pub(crate) fn candidate(dir: &Path, name: &str) -> Option<Candidate> {
    if name.starts_with('.') || name.ends_with(".LOCK") || name.starts_with("LOCKED") {
        return None;
    }
    if fs::symlink_metadata(dir.join(format!("{name}.LOCK"))).is_ok() {
        return None;
    }
    let path = dir.join(name);
    let metadata = fs::symlink_metadata(&path).ok()?;
    if metadata.is_dir() {
        return None;
    }
    Some(Candidate {
        modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        size: metadata.len(),
        links: metadata.nlink(),
        regular: metadata.is_file(),
        path,
        name: name.to_owned(),
    })
}

/// Creates `path` anew with exactly `mode`: an entry of that name (a
/// leftover, a planted symlink) is removed first, never written through.
pub(crate) fn create_file(path: &Path, mode: u32) -> io::Result<File> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    let file = File::options()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    // The umask narrowed the mode given to the creation.
    file.set_permissions(Permissions::from_mode(mode))?;
    Ok(file)
}

/// Creates `dir` and its missing parents, each with `mode` whatever the
/// umask; directories that exist are left as they are (the operator's).
pub(crate) fn create_dirs(dir: &Path, mode: u32) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        create_dirs(parent, mode)?;
    }
    match fs::DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => return Ok(()),
        Err(err) => return Err(err),
    }
    // Through a descriptor of the directory itself, not whatever is at
    // its name by now.
    File::options()
        .read(true)
        .custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW)
        .open(dir)?
        .set_permissions(Permissions::from_mode(mode))
}

/// Writes `bytes` as `dir/name` with `mode`, durably (temporary name,
/// fsync, rename, fsync of the directory), and returns its path. An
/// existing file of that name is replaced, as smsd does.
pub(crate) fn write_durably(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> io::Result<PathBuf> {
    let temporary = dir.join(format!(".{name}.smsgate-tmp"));
    let target = dir.join(name);
    let mut file = create_file(&temporary, mode)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, &target)?;
    sync_dir(dir)?;
    Ok(target)
}

/// Moves the outgoing file at `source` to `dir` with new contents and
/// `mode` (its own): the new file is durable before the old one is
/// unlinked.
pub(crate) fn finish(source: &Path, dir: &Path, name: &str, bytes: &[u8], mode: u32) -> io::Result<PathBuf> {
    let target = write_durably(dir, name, bytes, mode)?;
    match fs::remove_file(source) {
        Ok(()) => {}
        // Someone removed it meanwhile: the result is the same.
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    if let Some(parent) = source.parent() {
        sync_dir(parent)?;
    }
    Ok(target)
}

/// The suffix of the note beside a file moved to `failed/` unread.
pub(crate) const FAIL_NOTE_SUFFIX: &str = ".fail_reason";

/// Moves the entry at `source` to `dir/name` as it is, by a rename: not a
/// byte of it is read or copied (a file too large to read), and it keeps
/// its owner and mode. smsd's headers cannot be put before its text
/// without a copy, so they go beside it, in `dir/name.fail_reason`
/// (with the file's `mode`), written first. A `dir` on another file
/// system fails (`EXDEV`) and the file stays.
pub(crate) fn move_unread(
    source: &Path,
    dir: &Path,
    name: &str,
    note: &[u8],
    mode: u32,
) -> io::Result<PathBuf> {
    write_durably(dir, &format!("{name}{FAIL_NOTE_SUFFIX}"), note, mode)?;
    let target = dir.join(name);
    fs::rename(source, &target)?;
    sync_dir(dir)?;
    if let Some(parent) = source.parent() {
        sync_dir(parent)?;
    }
    Ok(target)
}

/// Makes a directory's entries (a rename, an unlink) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smstools_lock_rules() {
        let names: HashSet<String> = ["a", "b", "b.LOCK", ".c", "LOCKED_d", "e.LOCK"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let taken: Vec<&str> = ["a", "b", "b.LOCK", ".c", "LOCKED_d", "e.LOCK"]
            .into_iter()
            .filter(|name| is_candidate(name, &names))
            .collect();
        assert_eq!(taken, ["a"]);
    }

    #[test]
    fn one_candidate_follows_the_scan_rules() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b", "b.LOCK", ".c", "LOCKED_d"] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        fs::create_dir(dir.path().join("e")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("f")).unwrap();
        // A symlink is a candidate: intake refuses it, and says so.
        let taken: Vec<&str> = ["a", "b", "b.LOCK", ".c", "LOCKED_d", "e", "f", "gone"]
            .into_iter()
            .filter(|name| candidate(dir.path(), name).is_some())
            .collect();
        assert_eq!(taken, ["a", "f"]);
        let mut scanned: Vec<String> = scan(dir.path()).unwrap().into_iter().map(|c| c.name).collect();
        scanned.sort();
        assert_eq!(scanned, ["a", "f"]);
    }

    #[test]
    fn finish_moves_durably() {
        let dir = tempfile::tempdir().unwrap();
        let outgoing = dir.path().join("outgoing");
        let sent = dir.path().join("sent");
        fs::create_dir(&outgoing).unwrap();
        fs::create_dir(&sent).unwrap();
        fs::write(outgoing.join("m1"), "To: 1\n\nx").unwrap();
        fs::write(outgoing.join(".hidden"), "").unwrap();
        let candidates = scan(&outgoing).unwrap();
        assert_eq!(candidates.len(), 1);
        let target = finish(&candidates[0].path, &sent, "m1", b"To: 1\nModem: a\n\nx", 0o600).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"To: 1\nModem: a\n\nx");
        assert!(!outgoing.join("m1").exists());
        assert_eq!(
            fs::read_dir(&sent).unwrap().count(),
            1,
            "no temporary file is left"
        );
        assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    }

    /// The mode given, not what the umask leaves of it: 0664 under the
    /// test's umask (022) would come out 0644.
    #[test]
    fn files_and_directories_get_their_mode_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = write_durably(dir.path(), "m1", b"x", 0o664).unwrap();
        assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o664);
        let nested = dir.path().join("a/b");
        create_dirs(&nested, 0o770).unwrap();
        for made in [dir.path().join("a"), nested] {
            assert_eq!(fs::metadata(&made).unwrap().permissions().mode() & 0o777, 0o770);
        }
    }

    #[test]
    fn a_planted_temporary_symlink_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".m1.smsgate-tmp")).unwrap();
        write_durably(dir.path(), "m1", b"new", 0o640).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert_eq!(fs::read(dir.path().join("m1")).unwrap(), b"new");
    }

    #[test]
    fn move_unread_renames_and_notes_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (outgoing, failed) = (dir.path().join("outgoing"), dir.path().join("failed"));
        fs::create_dir(&outgoing).unwrap();
        fs::create_dir(&failed).unwrap();
        fs::write(outgoing.join("big"), "To: 1\n\nx").unwrap();
        let inode = std::os::unix::fs::MetadataExt::ino(&fs::metadata(outgoing.join("big")).unwrap());
        let target = move_unread(
            &outgoing.join("big"),
            &failed,
            "big",
            b"Fail_reason: too big\n",
            0o600,
        )
        .unwrap();
        assert_eq!(
            std::os::unix::fs::MetadataExt::ino(&fs::metadata(&target).unwrap()),
            inode
        );
        let note = failed.join("big.fail_reason");
        assert_eq!(fs::read(&note).unwrap(), b"Fail_reason: too big\n");
        assert_eq!(fs::metadata(&note).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!outgoing.join("big").exists());
    }
}
