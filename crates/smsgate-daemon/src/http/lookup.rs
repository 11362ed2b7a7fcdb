//! A message's state, read from the spool and the journal, which are the
//! truth: `sent/` and `failed/` files, the waiting files of `outgoing/`
//! and the queues' directories, the journal's open messages, and the
//! cancel markers.
//!
//! A message the HTTP API wrote is found by its file name (`http-ID`);
//! any other (a spool file) by the journal while it waits or is sent, and
//! by its `X-Smsgate-Id` header once it is in `sent/` or `failed/`.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::daemon_config::DaemonConfig;
use crate::http::cancel::CANCELLED_REASON;
use crate::http::submit::FILE_PREFIX;
use crate::journal::{self, FileState};
use crate::scheduler::{ID_HEADER, OUTCOME_HEADER};
use crate::send_core::hold::{MODEM_HEADER, SEND_AT_HEADER};

/// The most of a file read for its headers.
const HEADER_BYTES: u64 = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MessageState {
    /// Waiting for a modem (or for the checkhandler).
    Queued,
    /// A part was handed to a modem; not all answers are in.
    Sending,
    Sent,
    Failed,
    /// Failed because a part's outcome is unknown (a crash mid-send).
    Unknown,
    Cancelled,
}

/// `GET /api/v1/messages/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageStatus {
    pub(crate) id: String,
    pub(crate) state: MessageState,
    /// The file's name in the spool.
    pub(crate) file: String,
    pub(crate) to: Option<String>,
    pub(crate) modem: Option<String>,
    /// When the file was last written (RFC 3339).
    pub(crate) created: Option<String>,
    /// `Sent:` of the `sent/` file, as smsd writes it.
    pub(crate) sent: Option<String>,
    pub(crate) parts: Vec<PartStatus>,
    pub(crate) fail_reason: Option<String>,
    /// When it is to be sent, if the request said (`send_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) send_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PartStatus {
    /// From 1.
    pub(crate) seq: usize,
    pub(crate) message_reference: Option<u8>,
    pub(crate) report: Option<ReportStatus>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReportStatus {
    /// The status as the `Status_report:` line gives it (`0,Ok,...`).
    pub(crate) status: String,
    /// The whole `Status_report:` line.
    pub(crate) text: String,
    pub(crate) at: Option<String>,
}

/// A file's headers, in order.
type Headers = Vec<(String, String)>;

/// Where a file was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Waiting,
    Sent,
    Failed,
}

/// The waiting directories: `outgoing/`, `checked/`, every queue's.
fn waiting_dirs(config: &DaemonConfig) -> Vec<&Path> {
    let mut dirs = vec![config.spool.outgoing.as_path(), config.spool.checked.as_path()];
    dirs.extend(config.queues.values().map(|queue| queue.directory.as_path()));
    dirs
}

/// The state of message `id`; none when no trace of it is found.
pub(crate) fn find(config: &DaemonConfig, id: &str) -> std::io::Result<Option<MessageStatus>> {
    let open = journal::peek(&config.spool.base)?;
    let state = open.get(id);
    let name = state.map_or_else(|| format!("{FILE_PREFIX}{id}"), |state| state.file.clone());
    // Twice: a file moves forward (outgoing, queue, sent or failed) while
    // it is looked for, never back.
    for _ in 0..2 {
        for (place, dir) in [
            (Place::Sent, &config.spool.sent),
            (Place::Failed, &config.spool.failed),
        ] {
            let path = dir.join(&name);
            if let Some(headers) = headers_of(&path) {
                if header(&headers, ID_HEADER) == Some(id) {
                    return Ok(Some(status(config, id, &name, &path, place, &headers, state)));
                }
            }
        }
        for dir in waiting_dirs(config) {
            let path = dir.join(&name);
            if let Some(headers) = headers_of(&path) {
                return Ok(Some(status(
                    config,
                    id,
                    &name,
                    &path,
                    Place::Waiting,
                    &headers,
                    state,
                )));
            }
        }
    }
    // A spool file's message, finished: by its header.
    for (place, dir) in [
        (Place::Sent, &config.spool.sent),
        (Place::Failed, &config.spool.failed),
    ] {
        if let Some((name, path, headers)) = scan_for_id(dir, id) {
            return Ok(Some(status(config, id, &name, &path, place, &headers, None)));
        }
    }
    Ok(None)
}

/// The headers of the file at `path` (its first block of `Name: value`
/// lines), or none when it cannot be read. Never follows a symlink.
fn headers_of(path: &Path) -> Option<Headers> {
    let file = std::fs::File::options()
        .read(true)
        .custom_flags_nofollow()
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(HEADER_BYTES).read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(
        text.lines()
            .take_while(|line| !line.trim().is_empty())
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                Some((name.trim().to_owned(), value.trim().to_owned()))
            })
            .collect(),
    )
}

trait NoFollow {
    fn custom_flags_nofollow(&mut self) -> &mut Self;
}

impl NoFollow for std::fs::OpenOptions {
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt as _;
        self.custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn headers_named<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The file in `dir` whose `X-Smsgate-Id` is `id`.
fn scan_for_id(dir: &Path, id: &str) -> Option<(String, PathBuf, Headers)> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if let Some(headers) = headers_of(&path) {
            if header(&headers, ID_HEADER) == Some(id) {
                return Some((name, path, headers));
            }
        }
    }
    None
}

fn status(
    config: &DaemonConfig,
    id: &str,
    name: &str,
    path: &Path,
    place: Place,
    headers: &[(String, String)],
    journal: Option<&FileState>,
) -> MessageStatus {
    let fail_reason = header(headers, "Fail_reason").map(str::to_owned);
    let state = match place {
        Place::Sent => MessageState::Sent,
        Place::Failed if fail_reason.as_deref() == Some(CANCELLED_REASON) => MessageState::Cancelled,
        Place::Failed if header(headers, OUTCOME_HEADER) == Some("unknown") => MessageState::Unknown,
        Place::Failed => MessageState::Failed,
        Place::Waiting if config.cancels.is_cancelled(id) => MessageState::Cancelled,
        Place::Waiting => match journal {
            Some(state) if state.is_in_flight() || !state.sent.is_empty() => MessageState::Sending,
            _ => MessageState::Queued,
        },
    };
    let mut parts: BTreeMap<usize, PartStatus> = BTreeMap::new();
    let references: Vec<u8> = match place {
        Place::Sent => headers_named(headers, "Message_id")
            .filter_map(|value| value.parse().ok())
            .collect(),
        _ => journal
            .map(|state| state.sent.values().copied().collect())
            .unwrap_or_default(),
    };
    for (index, reference) in references.iter().enumerate() {
        parts.insert(
            index + 1,
            PartStatus {
                seq: index + 1,
                message_reference: Some(*reference),
                report: None,
            },
        );
    }
    for line in headers_named(headers, "Status_report") {
        let Some((seq, reference, status)) = parse_report(line) else {
            continue;
        };
        let seq = seq.or_else(|| references.iter().position(|&mr| mr == reference).map(|at| at + 1));
        let Some(seq) = seq else { continue };
        let part = parts.entry(seq).or_insert_with(|| PartStatus {
            seq,
            message_reference: Some(reference),
            report: None,
        });
        part.report = Some(ReportStatus {
            status: status.split(',').next().unwrap_or("").trim().to_owned(),
            text: line.to_owned(),
            at: None,
        });
    }
    let created = std::fs::symlink_metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
        .map(|time| chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339());
    MessageStatus {
        id: id.to_owned(),
        state,
        file: name.to_owned(),
        to: header(headers, "To").map(str::to_owned),
        modem: header(headers, "Modem")
            .map(str::to_owned)
            .or_else(|| journal.and_then(|state| state.modem.clone()))
            .or_else(|| header(headers, MODEM_HEADER).map(str::to_owned)),
        send_at: header(headers, SEND_AT_HEADER).map(str::to_owned),
        created,
        sent: header(headers, "Sent").map(str::to_owned),
        parts: parts.into_values().collect(),
        fail_reason,
    }
}

/// `part 2/3, Message_id 17: 0,Ok` or `Message_id 17: 0,Ok` as (part,
/// reference, status).
fn parse_report(line: &str) -> Option<(Option<usize>, u8, &str)> {
    let seq = line
        .strip_prefix("part ")
        .and_then(|rest| rest.split('/').next())
        .and_then(|seq| seq.parse().ok());
    let after = &line[line.find("Message_id ")? + "Message_id ".len()..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    let reference = digits.parse().ok()?;
    let status = after.split_once(": ").map_or("", |(_, status)| status);
    Some((seq, reference, status))
}

/// The messages the HTTP API wrote, newest first after `cursor` (an id),
/// in `state` if given, changed at or after `since` (unix seconds): the
/// `http-` files of every spool directory, with their states.
pub(crate) fn list(
    config: &DaemonConfig,
    state: Option<MessageState>,
    since: Option<std::time::SystemTime>,
    cursor: Option<&str>,
    limit: usize,
) -> std::io::Result<(Vec<MessageStatus>, Option<String>)> {
    let mut ids: Vec<(std::time::SystemTime, String)> = Vec::new();
    let mut dirs = waiting_dirs(config);
    dirs.push(&config.spool.sent);
    dirs.push(&config.spool.failed);
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix(FILE_PREFIX) else {
                continue;
            };
            if !crate::http::cancel::is_id(id) {
                continue;
            }
            let modified = entry.metadata().and_then(|metadata| metadata.modified());
            let modified = modified.unwrap_or(std::time::UNIX_EPOCH);
            if since.is_some_and(|since| modified < since) {
                continue;
            }
            ids.push((modified, id.to_owned()));
        }
    }
    // Ids start with their creation time: newest first, and a stable
    // order for the cursor.
    ids.sort_by(|a, b| b.1.cmp(&a.1));
    ids.dedup_by(|a, b| a.1 == b.1);
    let mut page = Vec::new();
    let mut next = None;
    for (_, id) in ids
        .iter()
        .filter(|(_, id)| cursor.is_none_or(|cursor| id.as_str() < cursor))
    {
        let Some(status) = find(config, id)? else { continue };
        if state.is_some_and(|state| state != status.state) {
            continue;
        }
        if page.len() == limit {
            next = page.last().map(|last: &MessageStatus| last.id.clone());
            break;
        }
        page.push(status);
    }
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_report_lines_are_read() {
        assert_eq!(
            parse_report("Message_id 17: 0,Ok,2026"),
            Some((None, 17, "0,Ok,2026"))
        );
        assert_eq!(
            parse_report("part 2/3, Message_id 200: 70,Failed"),
            Some((Some(2), 200, "70,Failed"))
        );
        assert_eq!(parse_report("garbage"), None);
    }
}
