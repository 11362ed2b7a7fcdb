//! Group commit of `POST /api/v1/messages`, the shell: one writer thread
//! takes the submissions waiting in its channel as one batch, carries out
//! the steps of [`crate::http::commit::BatchCommit`] on the disk and
//! answers each submission. Requests that arrive while a batch is being
//! committed wait in the channel and make the next batch, so the batch
//! grows with the load and a lone request still goes at once.
//!
//! The I/O goes through [`SpoolIo`], so a test can fail the Nth step.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};

use crate::http::commit::{BatchCommit, Dir, JobShape, Outcome, Source, Step, StepResult};
use crate::{durable, spool_dir};

/// The most files one batch takes: a bound on the latency the last
/// request of a batch pays for the others.
const MAX_BATCH_FILES: usize = 512;

/// Submissions waiting for the writer; a full channel makes requests wait
/// (back pressure) instead of growing memory.
const CHANNEL_DEPTH: usize = 4096;

/// What one request hands to the writer.
#[derive(Debug, Default)]
pub(crate) struct Submission {
    /// (name in `outgoing/`, bytes).
    pub(crate) files: Vec<(String, Vec<u8>)>,
    /// (name in the records' directory, bytes) of a keyed request.
    pub(crate) record: Option<(String, Vec<u8>)>,
}

#[derive(Debug)]
struct Pending {
    submission: Submission,
    reply: oneshot::Sender<Outcome>,
}

/// The file operations of a commit.
pub(crate) trait SpoolIo: Send + 'static {
    /// Creates `path` anew with `mode` and writes `bytes`.
    fn write(&mut self, path: &Path, bytes: &[u8], mode: u32) -> io::Result<()>;
    /// Makes the contents of the files written at `paths` durable.
    fn sync_files(&mut self, paths: &[PathBuf]) -> io::Result<()>;
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()>;
    fn remove(&mut self, path: &Path) -> io::Result<()>;
}

/// The real disk. Written files stay open until their sync.
#[derive(Debug)]
pub(crate) struct DiskIo {
    open: HashMap<PathBuf, File>,
    /// From this many files on, one syncfs.
    syncfs_from: usize,
    /// How many threads fdatasync the files of a batch at once.
    sync_threads: usize,
}

impl Default for DiskIo {
    fn default() -> Self {
        DiskIo {
            open: HashMap::new(),
            syncfs_from: durable::SYNCFS_FROM_FILES,
            sync_threads: durable::SYNC_THREADS,
        }
    }
}

impl SpoolIo for DiskIo {
    fn write(&mut self, path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
        let mut file = match spool_dir::create_file(path, mode) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                // The records' directory is made on first use.
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                spool_dir::create_file(path, mode)?
            }
            other => other?,
        };
        file.write_all(bytes)?;
        self.open.insert(path.to_owned(), file);
        Ok(())
    }

    fn sync_files(&mut self, paths: &[PathBuf]) -> io::Result<()> {
        let open = std::mem::take(&mut self.open);
        if paths.len() >= self.syncfs_from {
            if let Some(file) = paths.first().and_then(|path| open.get(path)) {
                return nix::unistd::syncfs(file).map_err(io::Error::from);
            }
        }
        let mut reopened = Vec::new();
        for path in paths.iter().filter(|path| !open.contains_key(*path)) {
            reopened.push(File::open(path)?);
        }
        let files: Vec<&File> = paths
            .iter()
            .filter_map(|path| open.get(path))
            .chain(&reopened)
            .collect();
        durable::sync_in_parallel(&files, self.sync_threads)
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        spool_dir::sync_dir(dir)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.open.remove(path);
        std::fs::remove_file(path)
    }
}

/// The handle requests submit through; the writer stops when the last
/// handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Committer {
    sender: mpsc::Sender<Pending>,
}

/// The directories and the mode of a commit.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) outgoing: PathBuf,
    pub(crate) records: PathBuf,
    pub(crate) mode: u32,
}

impl Committer {
    /// Starts the writer thread on the real disk.
    pub(crate) fn start(target: Target) -> Committer {
        Committer::start_with(target, DiskIo::default())
    }

    /// A writer that could not start (no thread) answers every submission
    /// with a failure naming that, so each POST is a 503 with the cause.
    pub(crate) fn start_with(target: Target, mut io: impl SpoolIo) -> Committer {
        let (sender, mut receiver) = mpsc::channel::<Pending>(CHANNEL_DEPTH);
        let started = std::thread::Builder::new()
            .name("http-commit".to_owned())
            .spawn(move || {
                while let Some(first) = receiver.blocking_recv() {
                    let mut n_files = first.submission.files.len();
                    let mut batch = vec![first];
                    while n_files < MAX_BATCH_FILES {
                        let Ok(next) = receiver.try_recv() else { break };
                        n_files += next.submission.files.len();
                        batch.push(next);
                    }
                    commit_batch(&mut io, &target, batch);
                }
            });
        if let Err(err) = started {
            tracing::error!(target: "smsgate", "http API: the spool writer cannot start ({err}): POST /api/v1/messages answers 503");
        }
        Committer { sender }
    }

    /// Commits `submission` with whatever else is waiting; returns when
    /// it is durable (or failed).
    pub(crate) async fn commit(&self, submission: Submission) -> Outcome {
        let (reply, answer) = oneshot::channel();
        if self.sender.send(Pending { submission, reply }).await.is_err() {
            return Outcome::Failed("the spool writer has stopped".to_owned());
        }
        answer
            .await
            .unwrap_or_else(|_| Outcome::Failed("the spool writer has stopped".to_owned()))
    }
}

/// Runs one batch's steps and answers its submissions.
fn commit_batch(io: &mut impl SpoolIo, target: &Target, batch: Vec<Pending>) {
    let shapes: Vec<JobShape> = batch
        .iter()
        .map(|pending| JobShape {
            files: pending
                .submission
                .files
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
            record: pending.submission.record.as_ref().map(|(name, _)| name.clone()),
        })
        .collect();
    let mut commit = BatchCommit::new(shapes);
    let dir_path = |dir: Dir| match dir {
        Dir::Outgoing => &target.outgoing,
        Dir::Records => &target.records,
    };
    while let Some(step) = commit.next_step() {
        let result = match &step {
            Step::Write { dir, temp, source } => {
                let bytes = match *source {
                    Source::Record { job } => batch[job].submission.record.as_ref().map(|(_, bytes)| bytes),
                    Source::File { job, file } => {
                        batch[job].submission.files.get(file).map(|(_, bytes)| bytes)
                    }
                };
                match bytes {
                    Some(bytes) => io.write(&dir_path(*dir).join(temp), bytes, target.mode),
                    None => Err(io::Error::other("a step names no file of its batch")),
                }
            }
            Step::SyncFiles(files) => {
                let paths: Vec<PathBuf> = files
                    .iter()
                    .map(|(dir, temp)| dir_path(*dir).join(temp))
                    .collect();
                io.sync_files(&paths)
            }
            Step::Rename { dir, temp, name } => {
                let dir = dir_path(*dir);
                io.rename(&dir.join(temp), &dir.join(name))
            }
            Step::SyncDir(dir) => io.sync_dir(dir_path(*dir)),
            Step::Remove { dir, name } => io.remove(&dir_path(*dir).join(name)),
        };
        commit.done(match result {
            Ok(()) => StepResult::Done,
            // Only a cleanup may miss its entry (the scheduler took it).
            Err(err) if err.kind() == io::ErrorKind::NotFound && matches!(step, Step::Remove { .. }) => {
                StepResult::NotFound
            }
            Err(err) => StepResult::Failed(err.to_string()),
        });
    }
    for (pending, outcome) in batch.into_iter().zip(commit.outcomes()) {
        // A request that went away (client gone) needs no answer.
        let _ = pending.reply.send(outcome);
    }
}

#[cfg(test)]
#[path = "committer_tests.rs"]
mod tests;
