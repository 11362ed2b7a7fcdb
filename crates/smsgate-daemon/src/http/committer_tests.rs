//! The writer on a real directory, with a failure injected at the Nth
//! file operation.

use std::sync::{Arc, Mutex};

use super::*;

/// The real disk, failing the operation numbered `fail_at` (counted from
/// 1 over every operation), and optionally taking a file away as the
/// scheduler would just before that failure.
struct FaultIo {
    disk: DiskIo,
    count: Arc<Mutex<usize>>,
    fail_at: usize,
    take_before_failing: Option<PathBuf>,
}

impl FaultIo {
    fn new(fail_at: usize) -> FaultIo {
        FaultIo {
            disk: DiskIo::default(),
            count: Arc::new(Mutex::new(0)),
            fail_at,
            take_before_failing: None,
        }
    }

    fn tick(&mut self) -> io::Result<()> {
        let mut count = self.count.lock().unwrap();
        *count += 1;
        if *count == self.fail_at {
            if let Some(path) = &self.take_before_failing {
                std::fs::remove_file(path)?;
            }
            return Err(io::Error::other("injected failure"));
        }
        Ok(())
    }
}

impl SpoolIo for FaultIo {
    fn write(&mut self, path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
        self.tick()?;
        self.disk.write(path, bytes, mode)
    }
    fn sync_files(&mut self, paths: &[PathBuf]) -> io::Result<()> {
        self.tick()?;
        self.disk.sync_files(paths)
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.tick()?;
        self.disk.rename(from, to)
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        self.tick()?;
        self.disk.sync_dir(dir)
    }
    fn remove(&mut self, path: &Path) -> io::Result<()> {
        // Cleanups are not counted and never fail: the test is about a
        // failure of the forward steps.
        self.disk.remove(path)
    }
}

fn target(dir: &Path) -> Target {
    let outgoing = dir.join("outgoing");
    std::fs::create_dir_all(&outgoing).unwrap();
    Target {
        outgoing,
        records: dir.join("http").join("idempotency"),
        mode: 0o640,
    }
}

fn submission(names: &[&str], record: Option<&str>) -> Submission {
    Submission {
        files: names
            .iter()
            .map(|name| ((*name).to_owned(), format!("To: 1\n\n{name}\n").into_bytes()))
            .collect(),
        record: record.map(|name| (name.to_owned(), b"{}".to_vec())),
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// One batch of three requests (one keyed), committed directly.
fn commit_three(io: &mut impl SpoolIo, target: &Target) -> Vec<Outcome> {
    let mut answers = Vec::new();
    let batch = [
        submission(&["http-a"], Some("rec-a")),
        submission(&["http-b", "http-c"], None),
        submission(&["http-d"], None),
    ]
    .into_iter()
    .map(|submission| {
        let (reply, answer) = oneshot::channel();
        answers.push(answer);
        Pending { submission, reply }
    })
    .collect();
    commit_batch(io, target, batch);
    answers
        .into_iter()
        .map(|mut answer| answer.try_recv().expect("answered"))
        .collect()
}

#[test]
fn a_whole_batch_lands_in_outgoing() {
    let dir = tempfile::tempdir().unwrap();
    let target = target(dir.path());
    let outcomes = commit_three(&mut DiskIo::default(), &target);
    assert_eq!(outcomes, vec![Outcome::Accepted; 3]);
    assert_eq!(
        entries(&target.outgoing),
        ["http-a", "http-b", "http-c", "http-d"]
    );
    assert_eq!(entries(&target.records), ["rec-a"]);
    assert_eq!(
        std::fs::read_to_string(target.outgoing.join("http-c")).unwrap(),
        "To: 1\n\nhttp-c\n"
    );
}

#[test]
fn a_failure_at_any_step_fails_the_batch_and_leaves_nothing_in_outgoing() {
    // 5 writes, 1 sync, 1 record rename, 1 records' fsync, 4 renames,
    // 1 fsync of outgoing/: 13 operations.
    for fail_at in 1..=13 {
        let dir = tempfile::tempdir().unwrap();
        let target = target(dir.path());
        let outcomes = commit_three(&mut FaultIo::new(fail_at), &target);
        for outcome in &outcomes {
            assert!(
                matches!(outcome, Outcome::Failed(cause) if cause.contains("injected failure")),
                "failure at {fail_at}: {outcomes:?}"
            );
        }
        assert_eq!(
            entries(&target.outgoing),
            Vec::<String>::new(),
            "failure at {fail_at}"
        );
    }
}

#[test]
fn a_file_the_scheduler_took_before_a_failed_directory_fsync_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let target = target(dir.path());
    let mut io = FaultIo::new(13);
    // The scheduler moved http-d on (it will send it) just before the
    // fsync of outgoing/ failed.
    io.take_before_failing = Some(target.outgoing.join("http-d"));
    let outcomes = commit_three(&mut io, &target);
    assert!(matches!(&outcomes[0], Outcome::Failed(_)));
    assert!(matches!(&outcomes[1], Outcome::Failed(_)));
    assert_eq!(outcomes[2], Outcome::Accepted);
    assert_eq!(entries(&target.outgoing), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_fails_only_the_batch_whose_write_failed() {
    let dir = tempfile::tempdir().unwrap();
    let target = target(dir.path());
    // One request at a time: each is its own batch of write, sync, rename,
    // fsync of outgoing/ (4 operations); the second one's rename fails.
    let committer = Committer::start_with(target.clone(), FaultIo::new(7));
    let mut outcomes = Vec::new();
    for name in ["http-1", "http-2", "http-3"] {
        outcomes.push(committer.commit(submission(&[name], None)).await);
    }
    assert_eq!(outcomes[0], Outcome::Accepted);
    assert!(matches!(&outcomes[1], Outcome::Failed(cause) if cause.contains("renaming http-2")));
    assert_eq!(outcomes[2], Outcome::Accepted);
    assert_eq!(entries(&target.outgoing), ["http-1", "http-3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_are_all_answered() {
    let dir = tempfile::tempdir().unwrap();
    let target = target(dir.path());
    let committer = Committer::start(target.clone());
    let mut tasks = Vec::new();
    for n in 0..200 {
        let committer = committer.clone();
        tasks.push(tokio::spawn(async move {
            committer
                .commit(submission(&[&format!("http-{n:03}")], None))
                .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), Outcome::Accepted);
    }
    assert_eq!(entries(&target.outgoing).len(), 200);
}

/// Not a test: how long one batch of `n` files takes with an fdatasync
/// per file and with one syncfs, on the file system of `$BENCH_DIR` (or
/// the temporary directory). `cargo test --release -p smsgate-daemon --lib
/// committer::tests::sync_strategies -- --ignored --nocapture`
#[test]
#[ignore]
fn sync_strategies() {
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    for n in [1usize, 10, 50, 200] {
        for (label, syncfs_from, sync_threads) in [
            ("fdatasync each", usize::MAX, 1),
            ("fdatasync x16", usize::MAX, 16),
            ("one syncfs", 1, 1),
        ] {
            let dir = tempfile::tempdir_in(&base).unwrap();
            let target = target(dir.path());
            let mut io = DiskIo {
                open: HashMap::new(),
                syncfs_from,
                sync_threads,
            };
            let rounds = 20;
            let start = std::time::Instant::now();
            for round in 0..rounds {
                let names: Vec<String> = (0..n).map(|i| format!("http-{round}-{i}")).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let (reply, _answer) = oneshot::channel();
                commit_batch(
                    &mut io,
                    &target,
                    vec![Pending {
                        submission: submission(&names, None),
                        reply,
                    }],
                );
            }
            let per_batch = start.elapsed() / rounds;
            println!("{n:4} files, {label:15}: {per_batch:?} per batch");
        }
    }
}
