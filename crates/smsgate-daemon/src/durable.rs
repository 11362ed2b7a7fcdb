//! Making a batch of newly written files durable at once, for every group
//! commit that writes files (the HTTP committer's spool files, the send
//! path's `sent/` and `failed/` copies).
//!
//! One `fdatasync(2)` per file, one after the other, waits for a journal
//! commit per file on ext4; syncs that overlap are committed together. So
//! a few files are synced from threads of their own, and from
//! [`SYNCFS_FROM_FILES`] on one `syncfs(2)` of their file system does it
//! with one call (docs/benchmarks.md, "HTTP acceptance", has the
//! measurement behind the numbers). `syncfs` reports write-back errors
//! since Linux 5.8.

use std::fs::File;
use std::io;
use std::sync::{mpsc, Arc, Mutex, OnceLock};

/// From this many files on, one `syncfs(2)` instead of a sync per file.
pub(crate) const SYNCFS_FROM_FILES: usize = 8;

/// How many threads fdatasync a batch's files at once.
pub(crate) const SYNC_THREADS: usize = 4;

/// Makes the data of every file in `files` durable: one `syncfs` from
/// [`SYNCFS_FROM_FILES`] files on, else an `fdatasync` of each on up to
/// [`SYNC_THREADS`] threads.
pub(crate) fn sync_files(files: &[&File]) -> io::Result<()> {
    match files.first() {
        Some(first) if files.len() >= SYNCFS_FROM_FILES => {
            nix::unistd::syncfs(first).map_err(io::Error::from)
        }
        _ => sync_in_parallel(files, SYNC_THREADS),
    }
}

/// fdatasync of every file, on up to `threads` threads: the caller's and
/// long-lived helpers (a thread started per batch cost more than a sync of
/// a small file). None but the caller's for a single file.
pub(crate) fn sync_in_parallel(files: &[&File], threads: usize) -> io::Result<()> {
    if files.len() < 2 || threads < 2 {
        return files.iter().try_for_each(|file| file.sync_data());
    }
    let per_thread = files.len().div_ceil(threads);
    let mut chunks = files.chunks(per_thread);
    let own = chunks.next().unwrap_or_default();
    let (done, results) = mpsc::channel();
    let mut handed = 0;
    for chunk in chunks {
        // A duplicate descriptor syncs the same file.
        let chunk = chunk
            .iter()
            .map(|file| file.try_clone())
            .collect::<io::Result<Vec<File>>>()?;
        helpers()
            .lock()
            .map_err(|_| io::Error::other("the sync helpers are gone"))?
            .send(SyncJob {
                files: chunk,
                done: done.clone(),
            })
            .map_err(|_| io::Error::other("the sync helpers are gone"))?;
        handed += 1;
    }
    let mut result = own.iter().try_for_each(|file| file.sync_data());
    for _ in 0..handed {
        let helped = results
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("a sync helper stopped")));
        result = result.and(helped);
    }
    result
}

/// Files for a sync helper, and where its result goes.
struct SyncJob {
    files: Vec<File>,
    done: mpsc::Sender<io::Result<()>>,
}

/// The sync helpers' queue, started on first use: `SYNC_THREADS - 1`
/// threads, for the life of the process.
fn helpers() -> &'static Mutex<mpsc::Sender<SyncJob>> {
    static HELPERS: OnceLock<Mutex<mpsc::Sender<SyncJob>>> = OnceLock::new();
    HELPERS.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<SyncJob>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 1..SYNC_THREADS {
            let queue = Arc::clone(&queue);
            let started = std::thread::Builder::new()
                .name(format!("smsgate-sync-{index}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let result = job.files.iter().try_for_each(File::sync_data);
                    let _ = job.done.send(result);
                });
            if let Err(err) = started {
                tracing::warn!(target: "smsgate", "cannot start a sync helper thread: {err}");
            }
        }
        Mutex::new(jobs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn every_size_of_batch_is_synced_without_error() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0, 1, 2, 7, 8, 20] {
            let files: Vec<File> = (0..n)
                .map(|index| {
                    let mut file = File::create(dir.path().join(format!("{n}-{index}"))).unwrap();
                    file.write_all(b"x").unwrap();
                    file
                })
                .collect();
            let refs: Vec<&File> = files.iter().collect();
            sync_files(&refs).unwrap();
        }
    }
}
