//! The journal: an append-only file in the spool base that records, with
//! an fsync each time, what was handed to a modem and what came of it.
//!
//! A part is recorded as started *before* its PDU is written to the
//! modem, and its outcome after; so after a crash (kill -9, power loss)
//! a part that started and has no outcome may or may not have gone out.
//! The daemon then neither re-sends it silently nor forgets it: the file
//! is flagged and handled by `[spool] unknown-outcome`. Parts with an
//! outcome are never sent again, and a message of several parts keeps its
//! concatenation reference across restarts.
//!
//! One JSON object per line (the binary's own format, read only by this
//! module). Opening the journal replays it and rewrites it with what is
//! still open, so it does not grow without end.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::daemon::spool_dir::{create_file, sync_dir};

/// The journal's file name in the spool base.
pub(crate) const FILE_NAME: &str = "smsgate.journal";

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Record {
    /// A file is taken: its concatenation reference and part count.
    Begin {
        file: String,
        reference: u16,
        parts: usize,
    },
    /// Part `part` (from 1) is being handed to `modem`.
    Start {
        file: String,
        part: usize,
        modem: String,
    },
    /// The modem accepted it with reference `mr`.
    Sent { file: String, part: usize, mr: u8 },
    /// The modem refused it; nothing went out.
    NotSent { file: String, part: usize },
    /// The part may or may not have gone out.
    Unknown {
        file: String,
        part: usize,
        modem: String,
        reason: String,
    },
    /// The file is in `sent/` or `failed/`; nothing more will happen.
    End { file: String },
}

/// What the journal knows of one file still in `outgoing/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FileState {
    pub(crate) reference: u16,
    /// Confirmed parts (from 1) and their references.
    pub(crate) sent: BTreeMap<usize, u8>,
    /// A part whose outcome is unknown: (part, modem, why).
    pub(crate) unknown: Option<(usize, String, String)>,
    /// A part started and not finished: (part, modem).
    in_flight: Option<(usize, String)>,
}

/// The open journal.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    files: BTreeMap<String, FileState>,
}

impl Journal {
    /// Opens (or creates) the journal in `base`, replays it, and rewrites
    /// it with only the files still open. A part that had started without
    /// an outcome becomes unknown: the crash happened in its exchange.
    /// The rewritten file has `mode`.
    pub(crate) fn open(base: &Path, mode: u32) -> io::Result<Journal> {
        let path = base.join(FILE_NAME);
        let mut files: BTreeMap<String, FileState> = BTreeMap::new();
        match File::open(&path) {
            Ok(file) => {
                for line in BufReader::new(file).lines() {
                    let line = line?;
                    // A torn last line (a crash inside a write) never had
                    // its fsync, so what it said was not relied on.
                    let Ok(record) = serde_json::from_str::<Record>(&line) else {
                        tracing::warn!(target: "smsgate", "{}: skipping unreadable line {line:?}", path.display());
                        continue;
                    };
                    apply(&mut files, record);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        for (name, state) in &mut files {
            if let Some((part, modem)) = state.in_flight.take() {
                tracing::warn!(
                    target: "smsgate",
                    "{name}: part {part} was being handed to modem {modem} when smsgate stopped: \
                     its outcome is unknown"
                );
                state.unknown = Some((
                    part,
                    modem,
                    "smsgate stopped after handing it to the modem, before the answer".to_owned(),
                ));
            }
        }
        let temporary = base.join(format!(".{FILE_NAME}.tmp"));
        let mut compacted = create_file(&temporary, mode)?;
        for (name, state) in &files {
            for record in records_of(name, state) {
                writeln!(compacted, "{}", line_of(&record))?;
            }
        }
        compacted.sync_all()?;
        fs::rename(&temporary, &path)?;
        sync_dir(base)?;
        let file = OpenOptions::new().append(true).open(&path)?;
        Ok(Journal { path, file, files })
    }

    /// What is known of `file`, if anything.
    pub(crate) fn state(&self, file: &str) -> Option<&FileState> {
        self.files.get(file)
    }

    /// The names of the files the journal holds open.
    pub(crate) fn open_files(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// Appends `record` and fsyncs it before returning.
    pub(crate) fn append(&mut self, record: Record) -> io::Result<()> {
        let mut line = line_of(&record);
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|err| io::Error::new(err.kind(), format!("journal {}: {err}", self.path.display())))?;
        apply(&mut self.files, record);
        Ok(())
    }
}

fn line_of(record: &Record) -> String {
    // Serializing these plain values cannot fail.
    serde_json::to_string(record).unwrap_or_default()
}

fn apply(files: &mut BTreeMap<String, FileState>, record: Record) {
    match record {
        Record::Begin { file, reference, .. } => {
            files.entry(file).or_default().reference = reference;
        }
        Record::Start { file, part, modem } => {
            files.entry(file).or_default().in_flight = Some((part, modem));
        }
        Record::Sent { file, part, mr } => {
            let state = files.entry(file).or_default();
            state.in_flight = None;
            state.sent.insert(part, mr);
        }
        Record::NotSent { file, .. } => {
            files.entry(file).or_default().in_flight = None;
        }
        Record::Unknown {
            file,
            part,
            modem,
            reason,
        } => {
            let state = files.entry(file).or_default();
            state.in_flight = None;
            state.unknown = Some((part, modem, reason));
        }
        Record::End { file } => {
            files.remove(&file);
        }
    }
}

/// The records that rebuild `state`.
fn records_of(name: &str, state: &FileState) -> Vec<Record> {
    let file = || name.to_owned();
    let mut records = vec![Record::Begin {
        file: file(),
        reference: state.reference,
        parts: 0,
    }];
    for (&part, &mr) in &state.sent {
        records.push(Record::Sent {
            file: file(),
            part,
            mr,
        });
    }
    if let Some((part, modem, reason)) = &state.unknown {
        records.push(Record::Unknown {
            file: file(),
            part: *part,
            modem: modem.clone(),
            reason: reason.clone(),
        });
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_without_outcome_is_unknown_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(dir.path(), 0o640).unwrap();
        let file = || "m1".to_owned();
        journal
            .append(Record::Begin {
                file: file(),
                reference: 7,
                parts: 2,
            })
            .unwrap();
        for record in [
            Record::Start {
                file: file(),
                part: 1,
                modem: "gsm1".to_owned(),
            },
            Record::Sent {
                file: file(),
                part: 1,
                mr: 42,
            },
            Record::Start {
                file: file(),
                part: 2,
                modem: "gsm1".to_owned(),
            },
        ] {
            journal.append(record).unwrap();
        }
        journal
            .append(Record::Begin {
                file: "done".to_owned(),
                reference: 1,
                parts: 1,
            })
            .unwrap();
        journal
            .append(Record::End {
                file: "done".to_owned(),
            })
            .unwrap();
        drop(journal);
        // Simulate a torn last line.
        let path = dir.path().join(FILE_NAME);
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("{\"event\":\"sta");
        fs::write(&path, text).unwrap();

        let journal = Journal::open(dir.path(), 0o640).unwrap();
        assert_eq!(journal.open_files(), ["m1"]);
        let state = journal.state("m1").unwrap();
        assert_eq!(state.reference, 7);
        assert_eq!(state.sent, BTreeMap::from([(1, 42)]));
        assert_eq!(state.unknown.as_ref().unwrap().0, 2);
        drop(journal);
        // Compacted, and the same after another reopening.
        let journal = Journal::open(dir.path(), 0o640).unwrap();
        assert_eq!(journal.state("m1").unwrap().unknown.as_ref().unwrap().1, "gsm1");
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 3);
    }
}
