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

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A file in `outgoing/` that may be taken.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) modified: SystemTime,
}

/// Whether the file `name` may be taken, given every name in its directory.
pub(crate) fn is_candidate(name: &str, names: &HashSet<String>) -> bool {
    !(name.starts_with('.')
        || name.ends_with(".LOCK")
        || name.starts_with("LOCKED")
        || names.contains(&format!("{name}.LOCK")))
}

/// The regular files of `dir` that may be taken, in no order.
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
        if !metadata.is_file() {
            continue;
        }
        candidates.push(Candidate {
            path: entry.path(),
            modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
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
    if !metadata.is_file() {
        return None;
    }
    Some(Candidate {
        modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        path,
        name: name.to_owned(),
    })
}

/// Writes `bytes` as `dir/name` durably (temporary name, fsync, rename,
/// fsync of the directory) and returns its path. An existing file of that
/// name is replaced, as smsd does.
pub(crate) fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let temporary = dir.join(format!(".{name}.smsgate-tmp"));
    let target = dir.join(name);
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, &target)?;
    sync_dir(dir)?;
    Ok(target)
}

/// Moves the outgoing file at `source` to `dir` with new contents: the
/// new file is durable before the old one is unlinked.
pub(crate) fn finish(source: &Path, dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let target = write_durably(dir, name, bytes)?;
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
        let taken: Vec<&str> = ["a", "b", "b.LOCK", ".c", "LOCKED_d", "e", "gone"]
            .into_iter()
            .filter(|name| candidate(dir.path(), name).is_some())
            .collect();
        assert_eq!(taken, ["a"]);
        let scanned: Vec<String> = scan(dir.path()).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(scanned, ["a"]);
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
        let target = finish(&candidates[0].path, &sent, "m1", b"To: 1\nModem: a\n\nx").unwrap();
        assert_eq!(fs::read(target).unwrap(), b"To: 1\nModem: a\n\nx");
        assert!(!outgoing.join("m1").exists());
        assert_eq!(
            fs::read_dir(&sent).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }
}
