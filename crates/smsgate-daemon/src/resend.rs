//! `smsgate ctl resend FILE|--all-failed [--since TIME]`: a file of
//! `failed/` goes back to `outgoing/` as a new message, as smsd users do
//! by hand, but without the hand's mistakes:
//!
//! - its identity and outcome are stripped ([`fresh_copy`]): the
//!   `X-Smsgate-Id` (or the daemon would take it for the message that
//!   failed), `X-Smsgate-Outcome`, and the headers the failure added
//!   (`Modem`, `IMSI`, `IMEI`, `Fail_reason`, `Failed`, `PDU`); the body
//!   is kept byte for byte;
//! - `X-Smsgate-Resend-Of: OLD-ID` says which message it repeats;
//! - the copy is written under a hidden name (never taken half-written),
//!   made durable, and renamed to its name in `outgoing/` with
//!   `RENAME_NOREPLACE`, which fails rather than replace a file there
//!   (then `NAME.resend-N` is tried);
//!   only then is the failed file removed.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context as _};
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone as _};
use serde::{Deserialize, Serialize};

use crate::scheduler::{ID_HEADER, OUTCOME_HEADER};
use crate::spool_dir::{self, FAIL_NOTE_SUFFIX};

/// The header naming the message a resent file repeats.
pub const RESEND_OF_HEADER: &str = "X-Smsgate-Resend-Of";

/// The headers a failed file got from its failure, stripped on a resend.
const OUTCOME_HEADERS: [&str; 9] = [
    ID_HEADER,
    OUTCOME_HEADER,
    // A file resent before names only the message it now repeats.
    RESEND_OF_HEADER,
    "Modem",
    "IMSI",
    "IMEI",
    "Fail_reason",
    "Failed",
    "PDU",
];

/// One file resent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Resent {
    /// Its name in `failed/`.
    pub from: String,
    /// Its name in `outgoing/`.
    pub to: String,
    /// The message it repeats: its id, or its file's name if it never had
    /// one (refused before it was taken).
    pub resend_of: String,
}

/// The result of the `resend` request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResendView {
    pub resent: Vec<Resent>,
    /// Files that could not be resent, each with why.
    pub errors: Vec<String>,
}

/// `failed` (a failed file's bytes, named `name`) as a new outgoing
/// message, and the id of the message it repeats.
pub fn fresh_copy(failed: &[u8], name: &str) -> (Vec<u8>, String) {
    let mut header = Vec::new();
    let mut old_id = None;
    let mut rest = failed;
    let mut ending: &[u8] = b"\n";
    // Header lines until the empty line; the body after it is not looked at.
    while !rest.is_empty() {
        let line_len = rest
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(rest.len(), |at| at + 1);
        let (line, after) = rest.split_at(line_len);
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        if content.ends_with(b"\r") {
            ending = b"\r\n";
        }
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            break;
        }
        let key = content
            .iter()
            .position(|&byte| byte == b':')
            .map(|colon| String::from_utf8_lossy(&content[..colon]).trim().to_owned());
        match key {
            Some(key) if key.eq_ignore_ascii_case(ID_HEADER) => {
                let value = &content[content.iter().position(|&byte| byte == b':').unwrap_or(0) + 1..];
                old_id = Some(String::from_utf8_lossy(value).trim().to_owned());
            }
            Some(key) if OUTCOME_HEADERS.iter().any(|drop| key.eq_ignore_ascii_case(drop)) => {}
            _ => header.extend_from_slice(line),
        }
        rest = after;
    }
    let resend_of = old_id
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| name.to_owned());
    let mut copy = header;
    if !copy.is_empty() && !copy.ends_with(b"\n") {
        copy.extend_from_slice(ending);
    }
    copy.extend_from_slice(RESEND_OF_HEADER.as_bytes());
    copy.extend_from_slice(b": ");
    copy.extend_from_slice(
        resend_of
            .chars()
            .map(|ch| if ch.is_control() { ' ' } else { ch })
            .collect::<String>()
            .as_bytes(),
    );
    copy.extend_from_slice(ending);
    copy.extend_from_slice(rest);
    (copy, resend_of)
}

/// `--since`: RFC 3339, or local `YYYY-MM-DD[ HH:MM[:SS]]` (also with a
/// `T`), or `@UNIX-SECONDS`.
pub fn parse_since(text: &str) -> anyhow::Result<SystemTime> {
    let text = text.trim();
    let unix = if let Some(seconds) = text.strip_prefix('@') {
        seconds
            .parse::<i64>()
            .map_err(|_| anyhow!("--since {text:?}: not @UNIX-SECONDS"))?
    } else if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        time.timestamp()
    } else {
        let normal = text.replacen('T', " ", 1);
        let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(&normal, format).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(&normal, "%Y-%m-%d")
                    .ok()
                    .and_then(|day| day.and_hms_opt(0, 0, 0))
            })
            .ok_or_else(|| {
                anyhow!("--since {text:?}: not a time (RFC 3339, YYYY-MM-DD[ HH:MM[:SS]] or @UNIX-SECONDS)")
            })?;
        Local
            .from_local_datetime(&naive)
            .earliest()
            .ok_or_else(|| anyhow!("--since {text:?}: no such local time"))?
            .timestamp()
    };
    let unix = u64::try_from(unix).map_err(|_| anyhow!("--since {text:?}: before 1970"))?;
    Ok(UNIX_EPOCH + std::time::Duration::from_secs(unix))
}

/// What to resend.
#[derive(Clone, Debug)]
pub enum Selection {
    /// One file of `failed/`, by its name.
    File(String),
    /// Every file of `failed/`, or those that failed since then.
    AllFailed { since: Option<SystemTime> },
}

/// Resends the selected files of `failed` into `outgoing`, new files
/// with `mode`.
pub fn resend(failed: &Path, outgoing: &Path, selection: &Selection, mode: u32) -> ResendView {
    let mut view = ResendView::default();
    let names = match selection {
        Selection::File(name) => {
            if name.is_empty() || name.contains('/') || name.starts_with('.') {
                view.errors.push(format!("{name:?}: not a file name of failed/"));
                return view;
            }
            vec![name.clone()]
        }
        Selection::AllFailed { since } => match all_failed(failed, *since) {
            Ok(names) => names,
            Err(err) => {
                view.errors.push(format!("{}: {err}", failed.display()));
                return view;
            }
        },
    };
    for name in names {
        match resend_one(failed, outgoing, &name, mode) {
            Ok(resent) => {
                tracing::info!(
                    target: "smsgate",
                    "resend: failed/{name} is outgoing/{} (a resend of {})",
                    resent.to,
                    resent.resend_of
                );
                view.resent.push(resent);
            }
            Err(err) => view.errors.push(format!("{name}: {err:#}")),
        }
    }
    view
}

/// The failed files (not their `.fail_reason` notes), oldest first.
fn all_failed(failed: &Path, since: Option<SystemTime>) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(failed)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || name.ends_with(FAIL_NOTE_SUFFIX) {
            continue;
        }
        let metadata = entry.metadata()?;
        if !metadata.is_file() {
            continue;
        }
        let modified = metadata.modified()?;
        if since.is_some_and(|since| modified < since) {
            continue;
        }
        found.push((modified, name));
    }
    found.sort();
    Ok(found.into_iter().map(|(_, name)| name).collect())
}

fn resend_one(failed: &Path, outgoing: &Path, name: &str, mode: u32) -> anyhow::Result<Resent> {
    let source = failed.join(name);
    let metadata = fs::symlink_metadata(&source).with_context(|| format!("failed/{name}"))?;
    if !metadata.is_file() {
        bail!("failed/{name} is not a regular file");
    }
    let bytes = fs::read(&source).with_context(|| format!("reading failed/{name}"))?;
    let (copy, resend_of) = fresh_copy(&bytes, name);
    let temporary = outgoing.join(format!(".{name}.smsgate-resend"));
    let mut file = spool_dir::create_file(&temporary, mode)?;
    file.write_all(&copy)?;
    file.sync_all()?;
    drop(file);
    let linked = link_fresh(&temporary, outgoing, name);
    let _ = fs::remove_file(&temporary);
    let to = linked?;
    spool_dir::sync_dir(outgoing)?;
    fs::remove_file(&source).with_context(|| format!("removing failed/{name}"))?;
    let _ = fs::remove_file(failed.join(format!("{name}{FAIL_NOTE_SUFFIX}")));
    spool_dir::sync_dir(failed)?;
    Ok(Resent {
        from: name.to_owned(),
        to,
        resend_of,
    })
}

/// Renames `temporary` to `outgoing/name`, or `name.resend-N` if that is
/// taken: `RENAME_NOREPLACE` never replaces an entry, and a rename is
/// what the intake takes as a whole file at once (a hard link, whose
/// temporary name is then removed, would look like a file being written).
fn link_fresh(temporary: &Path, outgoing: &Path, name: &str) -> anyhow::Result<String> {
    use nix::fcntl::{renameat2, RenameFlags, AT_FDCWD};
    for attempt in 0..100_u32 {
        let candidate = match attempt {
            0 => name.to_owned(),
            n => format!("{name}.resend-{n}"),
        };
        let target: PathBuf = outgoing.join(&candidate);
        match renameat2(
            AT_FDCWD,
            temporary,
            AT_FDCWD,
            &target,
            RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => return Ok(candidate),
            Err(nix::errno::Errno::EEXIST) => continue,
            Err(err) => return Err(anyhow!("renaming to outgoing/{candidate}: {err}")),
        }
    }
    bail!("outgoing/{name} and 99 of its .resend-N names are taken")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = "To: 491720000\nX-Smsgate-Id: 1700000000-42\nModem: gsm1\nIMSI: 26201\nFail_reason: +CMS ERROR: 38\nFailed: 26-03-01 10:00:00\nPDU: 0011\n\nModem: in the body stays\n";

    #[test]
    fn the_copy_has_no_identity_nor_outcome_and_names_what_it_repeats() {
        let (copy, old) = fresh_copy(FAILED.as_bytes(), "msg1");
        assert_eq!(old, "1700000000-42");
        assert_eq!(
            String::from_utf8_lossy(&copy),
            "To: 491720000\nX-Smsgate-Resend-Of: 1700000000-42\n\nModem: in the body stays\n"
        );
    }

    #[test]
    fn a_resent_message_resent_again_names_only_the_message_it_repeats() {
        let failed = b"To: 49\nX-Smsgate-Resend-Of: first\nX-Smsgate-Id: second\nFailed: x\n\nhi\n";
        let (copy, old) = fresh_copy(failed, "m1");
        assert_eq!(old, "second");
        assert_eq!(copy, b"To: 49\nX-Smsgate-Resend-Of: second\n\nhi\n");
    }

    #[test]
    fn crlf_files_and_files_never_taken_keep_their_ending_and_name_their_file() {
        let (copy, old) = fresh_copy(b"To: 49\r\nFail_reason: bad\r\n\r\nhi\r\n", "msg2");
        assert_eq!(old, "msg2");
        assert_eq!(copy, b"To: 49\r\nX-Smsgate-Resend-Of: msg2\r\n\r\nhi\r\n");
    }

    #[test]
    fn since_takes_rfc3339_local_days_and_unix_seconds() {
        assert_eq!(
            parse_since("@1700000000").ok(),
            Some(UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
        );
        assert_eq!(
            parse_since("2023-11-14T22:13:20Z").ok(),
            Some(UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
        );
        assert!(parse_since("2026-03-01").is_ok());
        assert!(parse_since("2026-03-01 10:30").is_ok());
        let err = parse_since("yesterday").err().map(|err| err.to_string());
        assert!(err.is_some_and(|err| err.contains("yesterday")));
    }

    #[test]
    fn a_resend_never_replaces_a_file_in_outgoing_and_removes_the_failed_one() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let failed = dir.path().join("failed");
        let outgoing = dir.path().join("outgoing");
        fs::create_dir_all(&failed).unwrap_or_else(|err| panic!("{err}"));
        fs::create_dir_all(&outgoing).unwrap_or_else(|err| panic!("{err}"));
        fs::write(failed.join("msg1"), FAILED).unwrap_or_else(|err| panic!("{err}"));
        fs::write(outgoing.join("msg1"), "To: 1\n\nsomeone else's\n").unwrap_or_else(|err| panic!("{err}"));
        let view = resend(&failed, &outgoing, &Selection::AllFailed { since: None }, 0o640);
        assert!(view.errors.is_empty(), "{view:?}");
        assert_eq!(view.resent[0].to, "msg1.resend-1");
        assert_eq!(
            fs::read_to_string(outgoing.join("msg1")).ok().as_deref(),
            Some("To: 1\n\nsomeone else's\n")
        );
        assert!(!failed.join("msg1").exists());
        let names: Vec<_> = fs::read_dir(&outgoing)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(names.len(), 2, "no temporary left: {names:?}");
        // A name that leaves failed/ is refused.
        let view = resend(
            &failed,
            &outgoing,
            &Selection::File("../outgoing/msg1".into()),
            0o640,
        );
        assert_eq!(view.errors.len(), 1);
    }
}
