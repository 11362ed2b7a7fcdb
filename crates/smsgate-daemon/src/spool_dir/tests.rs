//! The spool directory's tests: smstools3's scan rules, the durable
//! moves, and claims under a file swapped in at every window.

use std::cell::RefCell;

use super::*;

type WindowHook = Box<dyn FnMut(&Path)>;

thread_local! {
    /// What a test does between a claim's rename and its check.
    static IN_CLAIM_WINDOW: RefCell<Option<WindowHook>> = RefCell::new(None);
}

pub(crate) fn in_claim_window(path: &Path) {
    IN_CLAIM_WINDOW.with(|hook| {
        if let Some(hook) = hook.borrow_mut().as_mut() {
            hook(path);
        }
    });
}

fn entry_of(path: &Path) -> EntryId {
    EntryId::of(&fs::symlink_metadata(path).unwrap())
}

/// Drops `text` under `path` as local programs do: written under a
/// temporary name, renamed over whatever is there.
fn drop_file(path: &Path, text: &str) {
    let temporary = path.with_file_name(".drop");
    fs::write(&temporary, text).unwrap();
    fs::rename(&temporary, path).unwrap();
}

fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (outgoing, sent) = (dir.path().join("outgoing"), dir.path().join("sent"));
    fs::create_dir(&outgoing).unwrap();
    fs::create_dir(&sent).unwrap();
    (dir, outgoing, sent)
}

/// The names in `dir`, dotfiles too.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The bug: a new file dropped under the name of one being finished,
/// after intake read the old one and before its `sent/` copy was
/// durable, was unlinked by name, unsent.
#[test]
fn a_new_file_under_a_finishing_ones_name_is_left() {
    let (_dir, outgoing, sent) = dirs();
    let source = outgoing.join("m1");
    drop_file(&source, "To: 1\n\nfirst");
    let entry = entry_of(&source);
    drop_file(&source, "To: 1\n\nsecond");
    finish(&source, entry, "id1", &sent, "m1", b"first, sent", 0o600).unwrap();
    assert_eq!(fs::read(sent.join("m1")).unwrap(), b"first, sent");
    assert_eq!(fs::read_to_string(&source).unwrap(), "To: 1\n\nsecond");
    assert_eq!(listing(&outgoing), ["m1"], "no claim left behind");
}

/// A file dropped under the name once it is claimed is never touched:
/// the claim took the old one away whole.
#[test]
fn a_file_dropped_while_the_old_one_is_claimed_is_left() {
    let (_dir, outgoing, sent) = dirs();
    let source = outgoing.join("m1");
    drop_file(&source, "first");
    let entry = entry_of(&source);
    IN_CLAIM_WINDOW.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(|path: &Path| drop_file(path, "second")));
    });
    let finished = finish(&source, entry, "id1", &sent, "m1", b"first, sent", 0o600);
    IN_CLAIM_WINDOW.with(|hook| *hook.borrow_mut() = None);
    finished.unwrap();
    assert_eq!(fs::read_to_string(&source).unwrap(), "second");
    assert_eq!(listing(&outgoing), ["m1"]);
}

/// Not ours, and yet another file came under the name during the
/// claim: nothing is overwritten; the claimed one waits under its
/// private name until the next start puts it back.
#[test]
fn a_claim_that_cannot_be_put_back_is_restored_at_the_next_start() {
    let (_dir, outgoing, sent) = dirs();
    let source = outgoing.join("m1");
    drop_file(&source, "first");
    let entry = entry_of(&source);
    drop_file(&source, "second");
    IN_CLAIM_WINDOW.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(|path: &Path| drop_file(path, "third")));
    });
    let finished = finish(&source, entry, "id1", &sent, "m1", b"first, sent", 0o600);
    IN_CLAIM_WINDOW.with(|hook| *hook.borrow_mut() = None);
    assert!(finished.is_err(), "the batch reports it");
    assert_eq!(fs::read_to_string(&source).unwrap(), "third");
    fs::remove_file(&source).unwrap();
    let restored = restore_claims(&outgoing, |_, _, _| false).unwrap();
    assert_eq!(restored, ["m1"]);
    assert_eq!(fs::read_to_string(&source).unwrap(), "second");
    assert_eq!(listing(&outgoing), ["m1"]);
}

#[test]
fn a_claim_whose_name_is_taken_leaves_the_other_claims_settled() {
    let (_dir, outgoing, _sent) = dirs();
    // The claim that cannot be put back is made among twenty others,
    // so that in whatever order the directory is listed (creation,
    // its reverse, a hash) claims come after it.
    let others: Vec<String> = (0..20).map(|n| format!("m{n:02}")).collect();
    let claim = |name: &str, tag: &str, text: &str| {
        fs::write(outgoing.join(format!(".{name}{CLAIM_MARK}{tag}.0")), text).unwrap();
    };
    for name in &others[..10] {
        claim(name, "id2", name);
    }
    claim("a", "id1", "old a");
    fs::write(outgoing.join("a"), "new a").unwrap();
    for name in &others[10..] {
        claim(name, "id2", name);
    }
    let settled = restore_claims(&outgoing, |_, _, _| false);
    assert!(settled.is_err(), "the taken name is reported");
    let mut expected = vec![format!(".a{CLAIM_MARK}id1.0"), "a".to_owned()];
    expected.extend(others.iter().cloned());
    assert_eq!(listing(&outgoing), expected);
    assert_eq!(fs::read_to_string(outgoing.join("a")).unwrap(), "new a");
    // Once the new file is gone, the next start puts the old one back.
    fs::remove_file(outgoing.join("a")).unwrap();
    assert_eq!(restore_claims(&outgoing, |_, _, _| false).unwrap(), ["a"]);
    assert_eq!(fs::read_to_string(outgoing.join("a")).unwrap(), "old a");
}

#[test]
fn claims_of_finished_messages_are_removed_at_start() {
    let (_dir, outgoing, _sent) = dirs();
    fs::write(outgoing.join(format!(".a.b{CLAIM_MARK}id7.3")), "done").unwrap();
    fs::write(outgoing.join(format!(".c{CLAIM_MARK}unread.0")), "big").unwrap();
    let restored = restore_claims(&outgoing, |name, tag, _| (name, tag) == ("a.b", "id7")).unwrap();
    assert_eq!(restored, ["c"]);
    assert_eq!(listing(&outgoing), ["c"]);
}

#[test]
fn a_batch_moves_every_file_and_leaves_new_ones() {
    let (_dir, outgoing, sent) = dirs();
    let names = ["a", "b", "c"];
    let mut entries = Vec::new();
    for name in names {
        drop_file(&outgoing.join(name), name);
        entries.push(entry_of(&outgoing.join(name)));
    }
    drop_file(&outgoing.join("b"), "new b");
    let sources: Vec<PathBuf> = names.iter().map(|name| outgoing.join(name)).collect();
    let moves: Vec<Move<'_>> = names
        .iter()
        .zip(&sources)
        .zip(&entries)
        .map(|((name, source), entry)| Move {
            source,
            entry: *entry,
            tag: name,
            dir: &sent,
            name,
            bytes: b"done",
            mode: 0o640,
        })
        .collect();
    finish_all(&moves).unwrap();
    assert_eq!(listing(&sent), ["a", "b", "c"]);
    assert_eq!(listing(&outgoing), ["b"]);
    assert_eq!(fs::read_to_string(outgoing.join("b")).unwrap(), "new b");
}

/// The move on to a queue's directory takes only the file read.
#[test]
fn a_move_to_the_queue_leaves_a_file_swapped_in() {
    let (dir, outgoing, _sent) = dirs();
    let checked = dir.path().join("checked");
    fs::create_dir(&checked).unwrap();
    let source = outgoing.join("m1");
    drop_file(&source, "first");
    let entry = entry_of(&source);
    assert!(move_if_same(&source, "id1", entry, &checked.join("m1")).unwrap());
    drop_file(&source, "second");
    let entry = EntryId {
        dev: entry.dev,
        ino: u64::MAX,
    };
    assert!(!move_if_same(&source, "id2", entry, &checked.join("m2")).unwrap());
    assert_eq!(fs::read_to_string(checked.join("m1")).unwrap(), "first");
    assert_eq!(fs::read_to_string(&source).unwrap(), "second");
    assert_eq!(listing(&outgoing), ["m1"]);
}

#[test]
fn move_unread_leaves_a_file_swapped_in() {
    let (dir, outgoing, _sent) = dirs();
    let failed = dir.path().join("failed");
    fs::create_dir(&failed).unwrap();
    let source = outgoing.join("big");
    drop_file(&source, "big");
    let entry = entry_of(&source);
    drop_file(&source, "small");
    let moved = move_unread(&source, entry, &failed, "big", b"note", 0o600).unwrap();
    assert_eq!(moved, None);
    assert_eq!(fs::read_to_string(&source).unwrap(), "small");
    assert!(listing(&failed).is_empty());
}

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
    let entry = entry_of(&candidates[0].path);
    let target = finish(
        &candidates[0].path,
        entry,
        "id1",
        &sent,
        "m1",
        b"To: 1\nModem: a\n\nx",
        0o600,
    )
    .unwrap();
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
    let entry = entry_of(&outgoing.join("big"));
    let target = move_unread(
        &outgoing.join("big"),
        entry,
        &failed,
        "big",
        b"Fail_reason: too big\n",
        0o600,
    )
    .unwrap()
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
