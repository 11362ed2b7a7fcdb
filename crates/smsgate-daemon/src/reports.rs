//! Status reports linked to the messages they are about, part by part,
//! so that "was my 3-part message delivered?" has an answer in the
//! `sent/` file itself.
//!
//! The send tasks record, for every part that went out, which modem sent
//! it with which TP-MR (`<spool base>/smsgate.sent-index`, one JSON line
//! per part, kept for [`KEEP_FOR`]). A status report carries the TP-MR
//! again: the receive task looks the part up (the latest with that modem
//! and reference: TP-MR wraps at 256), writes `Sent_file:` and
//! `Sent_part:` into the `report/` file, and adds a `Status_report:` line
//! to the `sent/` file (rewritten durably under its name). A report that
//! comes before its file reached `sent/` (a long message still sending)
//! is kept and written with the file.
//!
//! A part whose modem's answer was lost (`X-Smsgate-Outcome: unknown`)
//! has no TP-MR to look up; but if it did go out, the network's report
//! comes all the same, with a reference the index does not have for that
//! recipient. Such a report is linked to the unknown part sent to the
//! same recipient through the same modem, and recorded in its file
//! (`sent/` or `failed/`): an operator can tell a flagged file that was
//! delivered from one that was not. Unknown parts are remembered in
//! memory only, for [`KEEP_FOR`].
//!
//! One lock guards the index and both writers of a `sent/` file, so a
//! report is never lost between the two.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::unix_now;
use crate::{intake, spool_dir};

/// How long a sent part is remembered for its report.
const KEEP_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// Lines appended since the last compaction before the next one, on top of
/// the parts remembered (at most 256 per modem: one per TP-MR), so the file
/// stays bounded while the daemon runs.
const COMPACT_AFTER_LINES: usize = 1024;

/// The `sent/` header that records one status report.
pub(crate) const STATUS_REPORT_HEADER: &str = "Status_report";

/// One line of the index file.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SentPart {
    modem: String,
    mr: u8,
    file: String,
    part: usize,
    parts: usize,
    unix: u64,
    /// The number it went to (older index files: unknown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    recipient: String,
}

/// A part whose outcome is unknown: the modem's answer was lost.
#[derive(Clone, Debug)]
struct UnknownPart {
    modem: String,
    recipient: String,
    file: String,
    part: usize,
    parts: usize,
    unix: u64,
    /// Where its file may be: `sent/` or `failed/`.
    failed_dir: PathBuf,
}

#[derive(Debug, Default)]
struct Inner {
    /// (modem, TP-MR) to the latest part sent with it.
    parts: HashMap<(String, u8), SentPart>,
    /// Files being sent (a part went out, the file is not in `sent/`
    /// yet), with the report lines that came meanwhile. Emptied as files
    /// reach `sent/` or `failed/`, so it holds the files in flight only.
    sending: BTreeMap<String, Vec<String>>,
    /// The index file, opened for appending once.
    file: Option<fs::File>,
    /// Lines appended since it was last compacted.
    appended: usize,
    /// Parts whose outcome is unknown, oldest first.
    unknown: Vec<UnknownPart>,
}

/// What a report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) file: String,
    pub(crate) part: usize,
    pub(crate) parts: usize,
}

/// See the module docs. Cheap to clone: one index per daemon.
#[derive(Clone, Debug)]
pub(crate) struct SentIndex {
    path: PathBuf,
    sent_dir: PathBuf,
    /// The index file's mode (`[spool] file-mode`).
    mode: u32,
    inner: Arc<Mutex<Inner>>,
}

impl SentIndex {
    /// Opens the index in `base`, keeping what is recent enough of it; its
    /// file gets `mode`.
    pub(crate) fn open(base: &Path, sent_dir: &Path, mode: u32) -> SentIndex {
        let path = base.join("smsgate.sent-index");
        let mut inner = Inner::default();
        let oldest = unix_now().saturating_sub(KEEP_FOR.as_secs());
        if let Ok(text) = fs::read_to_string(&path) {
            for line in text.lines() {
                // A line torn by a crash is skipped: only a link is lost.
                let Ok(part) = serde_json::from_str::<SentPart>(line) else {
                    continue;
                };
                if part.unix >= oldest {
                    inner.parts.insert((part.modem.clone(), part.mr), part);
                }
            }
            compact(&path, &mut inner, mode);
        }
        SentIndex {
            path,
            sent_dir: sent_dir.to_path_buf(),
            mode,
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    /// Part `part` of `parts` of `file`, to `recipient`, went out through
    /// `modem` as `mr`.
    pub(crate) fn sent_part(
        &self,
        modem: &str,
        mr: u8,
        recipient: &str,
        file: &str,
        part: usize,
        parts: usize,
    ) {
        let entry = SentPart {
            modem: modem.to_owned(),
            mr,
            file: file.to_owned(),
            part,
            parts,
            unix: unix_now(),
            recipient: recipient.to_owned(),
        };
        let Ok(mut inner) = self.inner.lock() else { return };
        if inner.appended >= COMPACT_AFTER_LINES + inner.parts.len() {
            compact(&self.path, &mut inner, self.mode);
        }
        // Not fsynced: a line lost to a crash only loses a link.
        let appended = serde_json::to_string(&entry)
            .map_err(std::io::Error::other)
            .and_then(|line| {
                if inner.file.is_none() {
                    let file = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .mode(self.mode)
                        .open(&self.path)?;
                    // Whatever the umask made of a new one.
                    file.set_permissions(fs::Permissions::from_mode(self.mode))?;
                    inner.file = Some(file);
                }
                match &mut inner.file {
                    Some(file) => file.write_all(format!("{line}\n").as_bytes()),
                    None => Ok(()),
                }
            });
        match appended {
            Ok(()) => inner.appended += 1,
            Err(err) => tracing::warn!(target: "smsgate", "{}: {err}", self.path.display()),
        }
        inner.sending.entry(file.to_owned()).or_default();
        inner.parts.insert((modem.to_owned(), mr), entry);
    }

    /// Writes `file`'s `sent/` version with `write`, given the report lines
    /// that came already, and remembers that it is there.
    #[cfg(test)]
    pub(crate) fn write_sent<T>(
        &self,
        file: &str,
        write: impl FnOnce(&[String]) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        self.write_sent_all(&[file.to_owned()], |early| write(&early[0]))
    }

    /// Writes the `sent/` versions of `files` with `write`, given the
    /// report lines that came already for each, in their order, and
    /// remembers that they are there (one commit of the store for them
    /// all). The index is not held while they are written (the writer
    /// thread's syncs would hold up every part's record): a line that
    /// comes meanwhile waits with the file's, and is added to the file
    /// once it is there. A failed write leaves them all waiting.
    pub(crate) fn write_sent_all<T>(
        &self,
        files: &[String],
        write: impl FnOnce(&[Vec<String>]) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let lock = || {
            self.inner
                .lock()
                .map_err(|_| std::io::Error::other("sent index lock poisoned"))
        };
        let early: Vec<Vec<String>> = {
            let inner = lock()?;
            files
                .iter()
                .map(|file| inner.sending.get(file).cloned().unwrap_or_default())
                .collect()
        };
        let value = write(&early)?;
        let mut inner = lock()?;
        for (file, early) in files.iter().zip(&early) {
            let Some(mut lines) = inner.sending.remove(file) else {
                continue;
            };
            for line in lines.split_off(early.len().min(lines.len())) {
                add_report_line(&self.sent_dir.join(file), &line);
            }
        }
        Ok(value)
    }

    /// `file` went to `failed/`: no report line waits for it any more.
    pub(crate) fn forget(&self, file: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.sending.remove(file);
        }
    }

    /// Part `part` of `parts` of `file`, to `recipient`, was handed to
    /// `modem`, whose answer was lost; the file goes to `sent/` or
    /// `failed_dir`.
    pub(crate) fn unknown_part(
        &self,
        modem: &str,
        recipient: &str,
        file: &str,
        part: usize,
        parts: usize,
        failed_dir: &Path,
    ) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let oldest = unix_now().saturating_sub(KEEP_FOR.as_secs());
        inner.unknown.retain(|unknown| unknown.unix >= oldest);
        inner.unknown.push(UnknownPart {
            modem: modem.to_owned(),
            recipient: recipient.to_owned(),
            file: file.to_owned(),
            part,
            parts,
            unix: unix_now(),
            failed_dir: failed_dir.to_path_buf(),
        });
    }

    /// A report about `mr`, for `recipient`, came through `modem`: what it
    /// is about, if the index knows; its `status` line is added to the
    /// `sent/` file (now, or when it is written). A reference the index
    /// does not have for that recipient is that of a part whose answer was
    /// lost, if one was sent to it through that modem.
    pub(crate) fn report(&self, modem: &str, mr: u8, recipient: &str, status: &str) -> Option<Link> {
        let mut inner = self.inner.lock().ok()?;
        let known = inner.parts.get(&(modem.to_owned(), mr)).cloned();
        let known_for_recipient = known
            .as_ref()
            .is_some_and(|part| part.recipient.is_empty() || same_number(&part.recipient, recipient));
        if !known_for_recipient {
            let found = inner
                .unknown
                .iter()
                .position(|unknown| unknown.modem == modem && same_number(&unknown.recipient, recipient));
            if let Some(found) = found {
                let unknown = inner.unknown.remove(found);
                let line = format!(
                    "part {}/{}, Message_id {mr} (the modem's answer was lost; linked by recipient): {status}",
                    unknown.part, unknown.parts
                );
                match inner.sending.get_mut(&unknown.file) {
                    Some(early) => early.push(line),
                    None => {
                        let sent = self.sent_dir.join(&unknown.file);
                        let path = match sent.exists() {
                            true => sent,
                            false => unknown.failed_dir.join(&unknown.file),
                        };
                        add_report_line(&path, &line);
                    }
                }
                return Some(Link {
                    file: unknown.file,
                    part: unknown.part,
                    parts: unknown.parts,
                });
            }
        }
        let part = known?;
        let line = match part.parts {
            1 => format!("Message_id {mr}: {status}"),
            parts => format!("part {}/{parts}, Message_id {mr}: {status}", part.part),
        };
        match inner.sending.get_mut(&part.file) {
            Some(early) => early.push(line),
            None => add_report_line(&self.sent_dir.join(&part.file), &line),
        }
        Some(Link {
            file: part.file,
            part: part.part,
            parts: part.parts,
        })
    }
}

/// Whether two spellings of a number are the same number: their digits,
/// one ending with the other (a `+` and international or national prefixes
/// come and go), at least six of them.
fn same_number(a: &str, b: &str) -> bool {
    let digits = |number: &str| number.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (digits(a), digits(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 6 && long.ends_with(&short)
}

/// Rewrites the index file at `path` with the parts `inner` remembers
/// (those older than [`KEEP_FOR`] dropped); appends go to the new file.
/// On failure the old file stays in use, whole.
fn compact(path: &Path, inner: &mut Inner, mode: u32) {
    inner.appended = 0;
    let oldest = unix_now().saturating_sub(KEEP_FOR.as_secs());
    inner.parts.retain(|_, part| part.unix >= oldest);
    let kept: String = inner
        .parts
        .values()
        .filter_map(|part| serde_json::to_string(part).ok())
        .map(|line| line + "\n")
        .collect();
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|name| name.to_str())) else {
        return;
    };
    match spool_dir::write_durably(dir, name, kept.as_bytes(), mode) {
        // Reopened at the next append: the old handle is the replaced file.
        Ok(_) => inner.file = None,
        Err(err) => tracing::warn!(target: "smsgate", "{}: cannot compact: {err}", path.display()),
    }
}

/// Adds one `Status_report:` line to a `sent/` file, durably, keeping its
/// mode; a file that is gone (taken away by the user's scripts) is left
/// gone, and only a regular file is read (never through a symlink).
fn add_report_line(path: &Path, line: &str) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|name| name.to_str())) else {
        return;
    };
    let Ok(sent) = intake::read(path, u64::MAX) else {
        return;
    };
    let updated = spool::add_headers(&sent.bytes, &[(STATUS_REPORT_HEADER, line.to_owned())]);
    if let Err(err) = spool_dir::write_durably(dir, name, &updated, sent.mode) {
        tracing::warn!(target: "smsgate", "{}: cannot add the status report: {err}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_reach_the_sent_file_whether_it_is_written_before_or_after_them() {
        let dir = tempfile::tempdir().unwrap();
        let sent = dir.path().join("sent");
        fs::create_dir(&sent).unwrap();
        let index = SentIndex::open(dir.path(), &sent, 0o640);
        index.sent_part("gsm1", 41, "491721234", "long", 1, 2);
        index.sent_part("gsm1", 42, "491721234", "long", 2, 2);
        // Part 1's report comes while part 2 is still being sent.
        let link = index
            .report("gsm1", 41, "+491721234", "0,Ok,short message received by the SME")
            .unwrap();
        assert_eq!(
            link,
            Link {
                file: "long".into(),
                part: 1,
                parts: 2
            }
        );
        index
            .write_sent("long", |early| {
                let headers: Vec<(&str, String)> = early
                    .iter()
                    .map(|line| (STATUS_REPORT_HEADER, line.clone()))
                    .collect();
                let bytes = spool::add_headers(b"To: 491721234\n\nhello\n", &headers);
                spool_dir::write_durably(&sent, "long", &bytes, 0o600).map(|_| ())
            })
            .unwrap();
        index
            .report("gsm1", 42, "+491721234", "0,Ok,short message received by the SME")
            .unwrap();
        let text = fs::read_to_string(sent.join("long")).unwrap();
        assert!(
            text.contains("Status_report: part 1/2, Message_id 41: 0,Ok,short message received by the SME\n"),
            "{text}"
        );
        assert!(
            text.contains("Status_report: part 2/2, Message_id 42: 0,Ok,"),
            "{text}"
        );
        assert!(text.ends_with("\n\nhello\n"), "{text}");
        // A report that comes while the file is being written (the index
        // is not held meanwhile) is added once it is there.
        index.sent_part("gsm1", 44, "491721234", "during", 1, 1);
        index
            .write_sent("during", |early| {
                assert!(early.is_empty());
                let link = index.report("gsm1", 44, "+491721234", "0,Ok,while written");
                assert_eq!(link.map(|link| link.file).as_deref(), Some("during"));
                spool_dir::write_durably(&sent, "during", b"To: 491721234\n\nhi\n", 0o600).map(|_| ())
            })
            .unwrap();
        let text = fs::read_to_string(sent.join("during")).unwrap();
        assert!(
            text.contains("Status_report: Message_id 44: 0,Ok,while written\n"),
            "{text}"
        );
        // Another modem's reference 41 is another message.
        assert_eq!(index.report("gsm2", 41, "+491721234", "0,Ok"), None);
        // A file that failed after a part went out: its report is linked,
        // nothing waits for the file, and no `sent/` file is made up.
        index.sent_part("gsm1", 43, "491721234", "given-up", 1, 2);
        index.forget("given-up");
        assert_eq!(
            index
                .report("gsm1", 43, "+491721234", "0,Ok")
                .map(|link| link.file),
            Some("given-up".to_owned())
        );
        assert!(index.inner.lock().unwrap().sending.is_empty());
        assert!(!sent.join("given-up").exists());

        // After a restart the parts are still known.
        let index = SentIndex::open(dir.path(), &sent, 0o640);
        assert_eq!(
            index
                .report("gsm1", 42, "+491721234", "0,Ok")
                .map(|link| link.part),
            Some(2)
        );
    }

    /// Issue 11, item 16: part 2 of 3 was handed to the modem, whose
    /// answer was lost; the file failed flagged. The network's report for
    /// it (a reference the index has only for another recipient, or not at
    /// all) is recorded in the `failed/` file, and a report for a part with
    /// a known reference still goes to that part.
    #[test]
    fn a_report_for_a_part_whose_answer_was_lost_reaches_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let (sent, failed) = (dir.path().join("sent"), dir.path().join("failed"));
        fs::create_dir(&sent).unwrap();
        fs::create_dir(&failed).unwrap();
        let index = SentIndex::open(dir.path(), &sent, 0o640);
        // An old message to someone else with reference 8.
        index.sent_part("gsm1", 8, "4917000000", "older", 1, 1);
        index.sent_part("gsm1", 7, "+491721234", "flagged", 1, 3);
        index.unknown_part("gsm1", "+491721234", "flagged", 2, 3, &failed);
        index.forget("flagged");
        fs::write(
            failed.join("flagged"),
            "To: +491721234\nX-Smsgate-Outcome: unknown\n\nhi\n",
        )
        .unwrap();
        // Through another modem: not ours.
        assert_eq!(index.report("gsm2", 8, "491721234", "0,Ok"), None);
        let link = index
            .report("gsm1", 8, "491721234", "0,Ok,short message received by the SME")
            .unwrap();
        assert_eq!((link.file.as_str(), link.part, link.parts), ("flagged", 2, 3));
        let text = fs::read_to_string(failed.join("flagged")).unwrap();
        assert!(
            text.contains("Status_report: part 2/3, Message_id 8 (the modem's answer was lost; linked by recipient): 0,Ok,"),
            "{text}"
        );
        // Part 1's report goes to part 1; the old message's to the old one.
        assert_eq!(
            index.report("gsm1", 7, "491721234", "0,Ok").map(|link| link.part),
            Some(1)
        );
        assert_eq!(
            index
                .report("gsm1", 8, "4917000000", "0,Ok")
                .map(|link| link.file),
            Some("older".to_owned())
        );
    }

    /// Issue 11, item 14: 10,000 sends grew the index to 0.8 MB until a
    /// restart; it holds one line per TP-MR and modem now, give or take
    /// [`COMPACT_AFTER_LINES`].
    #[test]
    fn the_index_stays_bounded_while_running() {
        let dir = tempfile::tempdir().unwrap();
        let sent = dir.path().join("sent");
        fs::create_dir(&sent).unwrap();
        let index = SentIndex::open(dir.path(), &sent, 0o640);
        let path = dir.path().join("smsgate.sent-index");
        let mut largest = 0;
        for n in 0..10_000_usize {
            let file = format!("file{n}");
            index.sent_part("gsm1", (n % 256) as u8, "491721234", &file, 1, 1);
            index.forget(&file);
            largest = largest.max(fs::metadata(&path).unwrap().len());
        }
        let lines = fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines <= COMPACT_AFTER_LINES + 2 * 256, "{lines} lines");
        assert!(largest < 200_000, "the index grew to {largest} bytes");
        // The latest parts are still linked, also after a restart.
        let index = SentIndex::open(dir.path(), &sent, 0o640);
        let link = index
            .report("gsm1", (9_999 % 256) as u8, "+491721234", "0,Ok")
            .unwrap();
        assert_eq!(link.file, "file9999");
    }
}
