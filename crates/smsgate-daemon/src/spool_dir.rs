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
//! tells a restart that it was already sent. Finishes come in batches
//! ([`finish_all`]): one fsync per directory for the batch, not per file.
//!
//! A name is not a file: a local program may drop a new file under the
//! name of one being finished. So an entry is removed or moved only if it
//! is still the file intake took ([`EntryId`], by `fstat` of the
//! descriptor read): it is first renamed to a private name ([`claim`]),
//! which takes exactly what was there then, and is checked there; a new
//! file is put back under its name, for intake.
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
    Ok(scan_except(dir, |_| false)?.0)
}

/// [`scan`], with the names `known` says the caller already holds left
/// unlooked-at: they are returned as paths only (present, not stat'ed).
/// A rescan of a directory of 10,000 files being sent would otherwise
/// stat each of them every [`RESCAN_INTERVAL`](crate::scheduler::RESCAN_INTERVAL).
pub(crate) fn scan_except(
    dir: &Path,
    known: impl Fn(&str) -> bool,
) -> io::Result<(Vec<Candidate>, Vec<PathBuf>)> {
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
    let (mut candidates, mut held) = (Vec::new(), Vec::new());
    for (name, entry) in entries {
        if !is_candidate(&name, &names) {
            continue;
        }
        if known(&name) {
            held.push(entry.path());
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
    Ok((candidates, held))
}

/// What a look at one name in a spool directory found.
#[derive(Debug)]
pub(crate) enum Look {
    /// A file to take (if it is whole).
    Candidate(Candidate),
    /// There, but left alone now: a directory, or locked by `NAME.LOCK`.
    Held,
    /// Nothing of that name (or a name intake never takes).
    Gone,
}

/// `dir/name` as a candidate, if it is one now: the same rules as
/// [`scan`], for one name (a changed path the watcher reported), without
/// reading the whole directory. The name itself is looked at first: most
/// reports are of a file that has just moved away, and a name that is not
/// there needs no look for its lock.
pub(crate) fn look(dir: &Path, name: &str) -> Look {
    if name.starts_with('.') || name.ends_with(".LOCK") || name.starts_with("LOCKED") {
        return Look::Gone;
    }
    let path = dir.join(name);
    let Ok(metadata) = fs::symlink_metadata(&path) else {
        return Look::Gone;
    };
    if metadata.is_dir() || fs::symlink_metadata(dir.join(format!("{name}.LOCK"))).is_ok() {
        return Look::Held;
    }
    Look::Candidate(Candidate {
        modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        size: metadata.len(),
        links: metadata.nlink(),
        regular: metadata.is_file(),
        path,
        name: name.to_owned(),
    })
}

/// [`look`], for a candidate only.
#[cfg(test)]
pub(crate) fn candidate(dir: &Path, name: &str) -> Option<Candidate> {
    match look(dir, name) {
        Look::Candidate(candidate) => Some(candidate),
        Look::Held | Look::Gone => None,
    }
}

/// Creates `path` anew with exactly `mode`: an entry of that name (a
/// leftover, a planted symlink) is removed first, never written through.
pub(crate) fn create_file(path: &Path, mode: u32) -> io::Result<File> {
    let create = || File::options().write(true).create_new(true).mode(mode).open(path);
    // Mostly there is none: one system call, not an unlink that fails first.
    let file = match create() {
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(path)?;
            create()?
        }
        created => created?,
    };
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

/// What tells the file intake took from another put under its name later
/// (a local program reusing names): its device and inode, by `fstat` of
/// the descriptor it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct EntryId {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

impl EntryId {
    pub(crate) fn of(metadata: &fs::Metadata) -> EntryId {
        EntryId {
            dev: metadata.dev(),
            ino: metadata.ino(),
        }
    }
}

/// What marks a claimed entry's private name: `.NAME.smsgate-claim.TAG.N`.
const CLAIM_MARK: &str = ".smsgate-claim.";

/// The private name `name` is claimed under by `tag` (a message id).
fn claim_name(name: &str, tag: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".{name}{CLAIM_MARK}{tag}.{n}")
}

/// The name and tag of a claimed entry's private name, if it is one.
fn parse_claim(private: &str) -> Option<(&str, &str)> {
    let rest = private.strip_prefix('.')?;
    let at = rest.rfind(CLAIM_MARK)?;
    let (name, tagged) = (&rest[..at], &rest[at + CLAIM_MARK.len()..]);
    let (tag, n) = tagged.rsplit_once('.')?;
    (!name.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some((name, tag))
}

/// What [`claim`] found under the name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The file wanted, now at this private name.
    Ours(PathBuf),
    /// Another file (dropped under the name meanwhile): put back.
    NotOurs,
    /// Nothing.
    Gone,
}

/// Takes the entry at `path` away under a private name in its directory
/// (a dotfile, which no scan takes) if it is the file wanted. The rename
/// comes first and is atomic, so what is judged, by `lstat` of the private
/// name, is exactly what was taken: nothing dropped under the name after
/// the rename is touched, and nothing judged can be swapped before it is
/// removed. Another file (a local program reused the name) is renamed back
/// (never over a newer one: left under the private name then, which the
/// next start puts back, [`restore_claims`]).
pub(crate) fn claim(
    path: &Path,
    tag: &str,
    ours: impl FnOnce(&Path, &fs::Metadata) -> bool,
) -> io::Result<Claim> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|name| name.to_str())) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a spool entry", path.display()),
        ));
    };
    let private = dir.join(claim_name(name, tag));
    match rename_noreplace(path, &private) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Claim::Gone),
        Err(err) => return Err(err),
    }
    #[cfg(test)]
    tests::in_claim_window(path);
    let is_ours = fs::symlink_metadata(&private).is_ok_and(|metadata| ours(&private, &metadata));
    if is_ours {
        return Ok(Claim::Ours(private));
    }
    put_back(&private, path)?;
    Ok(Claim::NotOurs)
}

/// Renames a claimed entry that is not ours back to its name, never over
/// a file that came there since.
fn put_back(private: &Path, path: &Path) -> io::Result<()> {
    rename_noreplace(private, path).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!(
                "{}: a new file under the name, kept as {} ({err}); put back at the next start",
                path.display(),
                private.display()
            ),
        )
    })
}

fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    nix::fcntl::renameat2(
        nix::fcntl::AT_FDCWD,
        from,
        nix::fcntl::AT_FDCWD,
        to,
        nix::fcntl::RenameFlags::RENAME_NOREPLACE,
    )
    .map_err(io::Error::from)
}

/// Unlinks the entry at `path` if it is still the file `entry` (see
/// [`claim`]); a new file under its name is left for intake. Returns
/// whether it removed it.
pub(crate) fn remove_if_same(path: &Path, tag: &str, entry: EntryId) -> io::Result<bool> {
    match claim(path, tag, |_, metadata| EntryId::of(metadata) == entry)? {
        Claim::Ours(private) => {
            fs::remove_file(private)?;
            Ok(true)
        }
        Claim::NotOurs | Claim::Gone => Ok(false),
    }
}

/// Moves the entry at `source` to `target` (never over a file there) if
/// it is still the file `entry` ([`claim`]). Returns whether it moved it;
/// a new file under the name is left for intake, and a failed move puts
/// the file back.
pub(crate) fn move_if_same(source: &Path, tag: &str, entry: EntryId, target: &Path) -> io::Result<bool> {
    match claim(source, tag, |_, metadata| EntryId::of(metadata) == entry)? {
        Claim::Ours(private) => match rename_noreplace(&private, target) {
            Ok(()) => Ok(true),
            Err(err) => {
                put_back(&private, source)?;
                Err(err)
            }
        },
        Claim::NotOurs | Claim::Gone => Ok(false),
    }
}

/// Claims left by a crash in `dir` (between a claim and its removal or
/// its putting back), at start: one `finished(name, tag, path)` says is
/// the original of a finished message is removed, any other put back
/// under its name. Returns the names put back.
pub(crate) fn restore_claims(
    dir: &Path,
    finished: impl Fn(&str, &str, &Path) -> bool,
) -> io::Result<Vec<String>> {
    let mut restored = Vec::new();
    let mut changed = false;
    // One claim that cannot be settled (a new file under its name) does
    // not keep the others in their private names: each is tried.
    let mut first_error = None;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(private) = entry.file_name().into_string() else {
            continue;
        };
        let Some((name, tag)) = parse_claim(&private) else {
            continue;
        };
        let path = entry.path();
        changed = true;
        let settled = if finished(name, tag, &path) {
            fs::remove_file(&path)
        } else {
            put_back(&path, &dir.join(name)).map(|()| restored.push(name.to_owned()))
        };
        if let Err(err) = settled {
            first_error.get_or_insert(err);
        }
    }
    if changed {
        sync_dir(dir)?;
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(restored),
    }
}

/// Moves the outgoing file `entry` at `source` to `dir` with new contents
/// and `mode` (its own): the new file is durable before the old one is
/// unlinked, and a new file dropped under the old one's name meanwhile is
/// left ([`remove_if_same`]). `tag`: the message's id.
#[cfg(test)]
pub(crate) fn finish(
    source: &Path,
    entry: EntryId,
    tag: &str,
    dir: &Path,
    name: &str,
    bytes: &[u8],
    mode: u32,
) -> io::Result<PathBuf> {
    finish_all(&[Move {
        source,
        entry,
        tag,
        dir,
        name,
        bytes,
        mode,
    }])?;
    Ok(dir.join(name))
}

/// One finished file of a batch ([`finish_all`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Move<'a> {
    /// Its outgoing (or queue) entry.
    pub(crate) source: &'a Path,
    /// The file intake took from there.
    pub(crate) entry: EntryId,
    /// The message's id: names the claim.
    pub(crate) tag: &'a str,
    pub(crate) dir: &'a Path,
    pub(crate) name: &'a str,
    pub(crate) bytes: &'a [u8],
    pub(crate) mode: u32,
}

/// Moves a batch of finished files to `sent/`/`failed/` with one fsync per
/// directory instead of one per file: every new version is written under
/// its temporary name and fsynced, all are renamed, each target directory
/// is fsynced once; only then are the originals unlinked (each only if it
/// is still the file taken, [`remove_if_same`]) and each source directory
/// fsynced once. A failure anywhere fails the batch; doing it again is
/// safe (a copy is rewritten alike, an original gone is not looked for).
pub(crate) fn finish_all(moves: &[Move<'_>]) -> io::Result<()> {
    let mut temporaries = Vec::with_capacity(moves.len());
    for one in moves {
        let temporary = one.dir.join(format!(".{}.smsgate-tmp", one.name));
        let mut file = create_file(&temporary, one.mode)?;
        file.write_all(one.bytes)?;
        temporaries.push((temporary, file));
    }
    let files: Vec<&File> = temporaries.iter().map(|(_, file)| file).collect();
    crate::durable::sync_files(&files)?;
    for ((temporary, _), one) in temporaries.iter().zip(moves) {
        fs::rename(temporary, one.dir.join(one.name))?;
    }
    for dir in distinct(moves.iter().map(|one| one.dir)) {
        sync_dir(dir)?;
    }
    for one in moves {
        remove_if_same(one.source, one.tag, one.entry)?;
    }
    for dir in distinct(moves.iter().filter_map(|one| one.source.parent())) {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Each directory once, in their first order.
fn distinct<'a>(dirs: impl Iterator<Item = &'a Path>) -> Vec<&'a Path> {
    let mut seen: Vec<&Path> = Vec::new();
    for dir in dirs {
        if !seen.contains(&dir) {
            seen.push(dir);
        }
    }
    seen
}

/// The suffix of the note beside a file moved to `failed/` unread.
pub(crate) const FAIL_NOTE_SUFFIX: &str = ".fail_reason";

/// Moves the file `entry` at `source` to `dir/name` as it is, by a rename:
/// not a byte of it is read or copied (a file too large to read), and it
/// keeps its owner and mode. It is claimed first ([`claim`]): a new file
/// dropped under its name since it was judged is left where it is.
/// smsd's headers cannot be put before its text without a copy, so they
/// go beside it, in `dir/name.fail_reason` (with the file's `mode`),
/// written first. A `dir` on another file system fails (`EXDEV`) and the
/// file goes back under its name. `Ok(None)`: not moved, not ours (or gone).
pub(crate) fn move_unread(
    source: &Path,
    entry: EntryId,
    dir: &Path,
    name: &str,
    note: &[u8],
    mode: u32,
) -> io::Result<Option<PathBuf>> {
    let private = match claim(source, "unread", |_, metadata| EntryId::of(metadata) == entry)? {
        Claim::Ours(private) => private,
        Claim::NotOurs | Claim::Gone => return Ok(None),
    };
    let target = dir.join(name);
    let moved = write_durably(dir, &format!("{name}{FAIL_NOTE_SUFFIX}"), note, mode)
        .and_then(|_| fs::rename(&private, &target));
    if let Err(err) = moved {
        put_back(&private, source)?;
        return Err(err);
    }
    sync_dir(dir)?;
    if let Some(parent) = source.parent() {
        sync_dir(parent)?;
    }
    Ok(Some(target))
}

/// Makes a directory's entries (a rename, an unlink) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
pub(crate) mod tests;
