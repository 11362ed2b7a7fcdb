//! Group commit of `POST /api/v1/messages`, the pure part: the steps that
//! make one batch of requests durable, and which answer each request of
//! the batch gets once the steps ran (or one failed).
//!
//! Concurrent requests hand their spool files (and idempotency records)
//! to one writer ([`crate::http::committer`]), which commits them as one
//! batch: every file written under a hidden name, all made durable at
//! once, the records renamed and their directory fsynced, then the spool
//! files renamed into `outgoing/` and `outgoing/` fsynced once. The cost
//! of the fsyncs is shared by the batch instead of paid per request.
//!
//! No answer is released before the last step: a request is accepted
//! only once its files are on disk (the spool's rule). A failed step
//! fails every request of the batch (503 naming the cause), and the
//! cleanup steps take back what the batch made visible in `outgoing/`.
//! A renamed file the cleanup no longer finds was taken by the scheduler
//! meanwhile and will be sent: a request whose every file went that way
//! is answered as accepted, never with a 5xx that would invite a retry
//! sending it twice. Records stay: a retry with the same
//! `Idempotency-Key` finds its record and writes the missing files under
//! the same ids, which is the idempotent retry.

use std::collections::BTreeSet;

/// The directory a step works in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dir {
    Outgoing,
    Records,
}

/// One request's share of a batch: the names of its files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct JobShape {
    /// Its spool files' names in `outgoing/`.
    pub(crate) files: Vec<String>,
    /// Its idempotency record's name, if keyed.
    pub(crate) record: Option<String>,
}

/// Where a step's bytes come from: a job's record or one of its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Record { job: usize },
    File { job: usize, file: usize },
}

/// One I/O step, carried out by the shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Create `temp` in `dir` anew and write the source's bytes.
    Write {
        dir: Dir,
        temp: String,
        source: Source,
    },
    /// Make the contents of these written files durable (one call: the
    /// shell chooses per-file fdatasync or one syncfs).
    SyncFiles(Vec<(Dir, String)>),
    Rename {
        dir: Dir,
        temp: String,
        name: String,
    },
    SyncDir(Dir),
    /// Cleanup after a failure: a missing entry is no error.
    Remove {
        dir: Dir,
        name: String,
    },
}

/// How a step went, as the core needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StepResult {
    Done,
    /// The entry was not there (a `Remove` of a file the scheduler took).
    NotFound,
    Failed(String),
}

/// A request's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Accepted,
    /// Nothing of it will be sent unless named in the message.
    Failed(String),
}

/// The hidden name a file is written under before its rename.
pub(crate) fn temp_name(name: &str) -> String {
    format!(".{name}.http-tmp")
}

/// One batch's commit: feed each [`Step`]'s result back with
/// [`BatchCommit::done`] until [`BatchCommit::next_step`] is `None`, then
/// take the answers.
#[derive(Debug)]
pub(crate) struct BatchCommit {
    jobs: Vec<JobShape>,
    steps: std::collections::VecDeque<Step>,
    /// The failure that ended the forward steps.
    failure: Option<String>,
    /// Temporary files created or being created, not yet renamed.
    temps: BTreeSet<(Dir, String)>,
    /// Spool files renamed into `outgoing/`.
    renamed: Vec<String>,
    /// Renamed spool files the cleanup did not take back: they will be sent.
    left: BTreeSet<String>,
    /// The step handed out and not yet answered.
    current: Option<Step>,
}

impl BatchCommit {
    pub(crate) fn new(jobs: Vec<JobShape>) -> BatchCommit {
        let mut steps = std::collections::VecDeque::new();
        let mut written = Vec::new();
        for (job, shape) in jobs.iter().enumerate() {
            if let Some(record) = &shape.record {
                let temp = temp_name(record);
                steps.push_back(Step::Write {
                    dir: Dir::Records,
                    temp: temp.clone(),
                    source: Source::Record { job },
                });
                written.push((Dir::Records, temp));
            }
            for (file, name) in shape.files.iter().enumerate() {
                let temp = temp_name(name);
                steps.push_back(Step::Write {
                    dir: Dir::Outgoing,
                    temp: temp.clone(),
                    source: Source::File { job, file },
                });
                written.push((Dir::Outgoing, temp));
            }
        }
        if !written.is_empty() {
            steps.push_back(Step::SyncFiles(written));
        }
        // The records first, durable before any spool file is visible: a
        // crash in between leaves a record whose retry writes the files,
        // never a sent message whose retry makes a second one.
        let records: Vec<&String> = jobs.iter().filter_map(|job| job.record.as_ref()).collect();
        for record in &records {
            steps.push_back(Step::Rename {
                dir: Dir::Records,
                temp: temp_name(record),
                name: (*record).clone(),
            });
        }
        if !records.is_empty() {
            steps.push_back(Step::SyncDir(Dir::Records));
        }
        let mut any_file = false;
        for shape in &jobs {
            for name in &shape.files {
                any_file = true;
                steps.push_back(Step::Rename {
                    dir: Dir::Outgoing,
                    temp: temp_name(name),
                    name: name.clone(),
                });
            }
        }
        if any_file {
            steps.push_back(Step::SyncDir(Dir::Outgoing));
        }
        BatchCommit {
            jobs,
            steps,
            failure: None,
            temps: BTreeSet::new(),
            renamed: Vec::new(),
            left: BTreeSet::new(),
            current: None,
        }
    }

    /// The next step to carry out; `None` when the batch is through.
    pub(crate) fn next_step(&mut self) -> Option<Step> {
        debug_assert!(self.current.is_none(), "a step is still out");
        let step = self.steps.pop_front()?;
        self.current = Some(step.clone());
        Some(step)
    }

    /// The result of the step last handed out.
    pub(crate) fn done(&mut self, result: StepResult) {
        let Some(step) = self.current.take() else {
            return;
        };
        if self.failure.is_some() {
            // A cleanup step.
            if let Step::Remove {
                dir: Dir::Outgoing,
                name,
            } = &step
            {
                if !name.starts_with('.') && result != StepResult::Done {
                    // Taken by the scheduler, or not removable: either
                    // way it stays on its way to a modem.
                    self.left.insert(name.clone());
                }
            }
            return;
        }
        match (&step, &result) {
            (Step::Write { dir, temp, .. }, _) => {
                // Even a failed write may have created the file.
                self.temps.insert((*dir, temp.clone()));
            }
            (Step::Rename { dir, temp, name }, StepResult::Done) => {
                self.temps.remove(&(*dir, temp.clone()));
                if *dir == Dir::Outgoing {
                    self.renamed.push(name.clone());
                }
            }
            _ => {}
        }
        match &result {
            StepResult::Done => {}
            StepResult::Failed(cause) => self.fail(describe(&step, cause)),
            StepResult::NotFound => self.fail(describe(&step, "not found")),
        }
    }

    /// Ends the forward steps and queues the cleanup.
    fn fail(&mut self, cause: String) {
        self.failure = Some(cause);
        self.steps.clear();
        for name in &self.renamed {
            self.steps.push_back(Step::Remove {
                dir: Dir::Outgoing,
                name: name.clone(),
            });
        }
        for (dir, temp) in &self.temps {
            self.steps.push_back(Step::Remove {
                dir: *dir,
                name: temp.clone(),
            });
        }
        if !self.renamed.is_empty() {
            // The removals durable, as far as the disk still takes it.
            self.steps.push_back(Step::SyncDir(Dir::Outgoing));
        }
    }

    /// Each job's answer, in the order of the jobs. Only meaningful once
    /// [`BatchCommit::next_step`] returned `None`.
    pub(crate) fn outcomes(&self) -> Vec<Outcome> {
        let Some(cause) = &self.failure else {
            return vec![Outcome::Accepted; self.jobs.len()];
        };
        self.jobs
            .iter()
            .map(|job| {
                let going: Vec<&String> = job.files.iter().filter(|name| self.left.contains(*name)).collect();
                if !job.files.is_empty() && going.len() == job.files.len() {
                    // Every file is with the scheduler: it will be sent.
                    Outcome::Accepted
                } else if going.is_empty() {
                    Outcome::Failed(cause.clone())
                } else {
                    let names: Vec<&str> = going.iter().map(|name| name.as_str()).collect();
                    Outcome::Failed(format!(
                        "{cause}; of this request's messages, {} were already taken by the scheduler and will be sent",
                        names.join(", ")
                    ))
                }
            })
            .collect()
    }
}

fn describe(step: &Step, cause: &str) -> String {
    let dir_name = |dir: &Dir| match dir {
        Dir::Outgoing => "outgoing/",
        Dir::Records => "the idempotency records' directory",
    };
    match step {
        Step::Write { dir, temp, .. } => format!("writing {temp} in {}: {cause}", dir_name(dir)),
        Step::SyncFiles(files) => format!("syncing {} new file(s): {cause}", files.len()),
        Step::Rename { dir, name, .. } => format!("renaming {name} into {}: {cause}", dir_name(dir)),
        Step::SyncDir(dir) => format!("syncing {}: {cause}", dir_name(dir)),
        Step::Remove { name, .. } => format!("removing {name}: {cause}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(files: &[&str], record: Option<&str>) -> JobShape {
        JobShape {
            files: files.iter().map(|name| (*name).to_owned()).collect(),
            record: record.map(str::to_owned),
        }
    }

    /// Runs the batch, answering each step with `answer`; returns the
    /// steps seen and the outcomes, and checks that no outcome could be
    /// taken before the last step (the answers are computed at the end).
    fn run(
        jobs: Vec<JobShape>,
        mut answer: impl FnMut(usize, &Step) -> StepResult,
    ) -> (Vec<Step>, Vec<Outcome>) {
        let mut commit = BatchCommit::new(jobs);
        let mut seen = Vec::new();
        while let Some(step) = commit.next_step() {
            let result = answer(seen.len(), &step);
            seen.push(step);
            commit.done(result);
        }
        let outcomes = commit.outcomes();
        (seen, outcomes)
    }

    #[test]
    fn a_batch_writes_syncs_once_renames_and_syncs_the_directory_once() {
        let (steps, outcomes) = run(
            vec![job(&["http-a"], None), job(&["http-b", "http-c"], None)],
            |_, _| StepResult::Done,
        );
        assert_eq!(outcomes, vec![Outcome::Accepted, Outcome::Accepted]);
        let syncs = steps
            .iter()
            .filter(|step| matches!(step, Step::SyncFiles(_)))
            .count();
        let dir_syncs: Vec<&Step> = steps
            .iter()
            .filter(|step| matches!(step, Step::SyncDir(_)))
            .collect();
        assert_eq!(syncs, 1);
        assert_eq!(dir_syncs, vec![&Step::SyncDir(Dir::Outgoing)]);
        // Every write before the sync, every rename after it, the
        // directory fsync last.
        let sync_at = steps
            .iter()
            .position(|step| matches!(step, Step::SyncFiles(_)))
            .unwrap();
        assert!(steps[..sync_at]
            .iter()
            .all(|step| matches!(step, Step::Write { .. })));
        assert_eq!(steps.len(), 3 + 1 + 3 + 1);
        assert_eq!(steps.last(), Some(&Step::SyncDir(Dir::Outgoing)));
    }

    #[test]
    fn records_are_durable_before_any_spool_file_is_visible() {
        let (steps, outcomes) = run(
            vec![job(&["http-a"], Some("rec")), job(&["http-b"], None)],
            |_, _| StepResult::Done,
        );
        assert_eq!(outcomes, vec![Outcome::Accepted; 2]);
        let records_synced = steps
            .iter()
            .position(|step| step == &Step::SyncDir(Dir::Records))
            .unwrap();
        let first_visible = steps
            .iter()
            .position(|step| {
                matches!(
                    step,
                    Step::Rename {
                        dir: Dir::Outgoing,
                        ..
                    }
                )
            })
            .unwrap();
        assert!(records_synced < first_visible);
    }

    #[test]
    fn a_failed_write_fails_every_request_and_removes_the_temporaries() {
        let (steps, outcomes) = run(vec![job(&["http-a"], None), job(&["http-b"], None)], |_, step| {
            if matches!(step, Step::Write { temp, .. } if temp == ".http-b.http-tmp") {
                StepResult::Failed("No space left on device".into())
            } else {
                StepResult::Done
            }
        });
        for outcome in &outcomes {
            let Outcome::Failed(cause) = outcome else {
                panic!("accepted: {outcomes:?}")
            };
            assert!(cause.contains("No space left"), "{cause}");
        }
        assert!(!steps.iter().any(|step| matches!(step, Step::Rename { .. })));
        let removed: Vec<&Step> = steps
            .iter()
            .filter(|step| matches!(step, Step::Remove { .. }))
            .collect();
        assert_eq!(
            removed.len(),
            2,
            "both temporaries, the failed one too: {removed:?}"
        );
    }

    #[test]
    fn a_failed_directory_sync_takes_back_every_renamed_file() {
        let (steps, outcomes) = run(vec![job(&["http-a"], None), job(&["http-b"], None)], |_, step| {
            if step == &Step::SyncDir(Dir::Outgoing) {
                StepResult::Failed("Input/output error".into())
            } else {
                StepResult::Done
            }
        });
        assert!(outcomes
            .iter()
            .all(|outcome| matches!(outcome, Outcome::Failed(_))));
        let removed: Vec<String> = steps
            .iter()
            .filter_map(|step| match step {
                Step::Remove { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(removed, vec!["http-a".to_owned(), "http-b".to_owned()]);
    }

    #[test]
    fn a_file_the_scheduler_took_before_the_cleanup_is_accepted_not_failed() {
        let (_, outcomes) = run(
            vec![
                job(&["http-a"], None),
                job(&["http-b"], None),
                job(&["http-c", "http-d"], None),
            ],
            |_, step| match step {
                Step::SyncDir(Dir::Outgoing) => StepResult::Failed("Input/output error".into()),
                Step::Remove { name, .. } if name == "http-a" || name == "http-c" => StepResult::NotFound,
                _ => StepResult::Done,
            },
        );
        assert_eq!(outcomes[0], Outcome::Accepted, "it will be sent: no 5xx");
        assert!(matches!(&outcomes[1], Outcome::Failed(cause) if !cause.contains("will be sent")));
        assert!(matches!(&outcomes[2], Outcome::Failed(cause) if cause.contains("http-c")));
    }

    #[test]
    fn a_failed_rename_removes_the_renamed_and_the_rest() {
        let (steps, outcomes) = run(
            vec![
                job(&["http-a"], Some("rec")),
                job(&["http-b"], None),
                job(&["http-c"], None),
            ],
            |_, step| match step {
                Step::Rename { name, .. } if name == "http-b" => {
                    StepResult::Failed("Permission denied".into())
                }
                _ => StepResult::Done,
            },
        );
        assert!(outcomes
            .iter()
            .all(|outcome| matches!(outcome, Outcome::Failed(_))));
        let removed: BTreeSet<String> = steps
            .iter()
            .filter_map(|step| match step {
                Step::Remove { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        let expected: BTreeSet<String> = ["http-a", ".http-b.http-tmp", ".http-c.http-tmp"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        // The record stays: its retry writes the files under its ids.
        assert_eq!(removed, expected);
    }

    #[test]
    fn an_empty_batch_has_no_steps() {
        let (steps, outcomes) = run(Vec::new(), |_, _| StepResult::Done);
        assert!(steps.is_empty() && outcomes.is_empty());
    }
}
