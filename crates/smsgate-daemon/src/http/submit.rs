//! `POST /api/v1/messages`: a request becomes one outgoing spool file per
//! recipient, as an application would write it, so that it takes the same
//! path as any spool file (checkhandler, queues, eventhandler, `sent/`
//! and `failed/` files).
//!
//! Accepted means durable, the spool's rule: every file is written under a
//! hidden name, fsynced, renamed to `outgoing/http-ID` and the directory
//! fsynced before the 202. The file carries its id in `X-Smsgate-Id`,
//! which the scheduler keeps for a file of that name (scheduler/intake.rs),
//! so the id answered here is the id of the journal, the `sent/` file and
//! the events.
//!
//! Before anything is written the file is parsed and planned with the
//! spool's own code and the config's defaults, as the scheduler will: what
//! it would refuse is refused here, 422, naming the request's field.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use spool::{NoIncludes, NumberingPolicy, OutgoingFile, Plan, PlanDefaults, SmsPlan};
use utoipa::ToSchema;

use crate::daemon_config::{DaemonConfig, Limits};
use crate::http::error::ApiError;
use crate::scheduler::ID_HEADER;
use crate::send_core::hold::{self, ModemKind, MODEM_HEADER, SEND_AT_HEADER};
use crate::spool_dir;

/// The prefix of the outgoing files the HTTP API writes; the rest of the
/// name is the message's id.
pub(crate) const FILE_PREFIX: &str = "http-";

/// The body of `POST /api/v1/messages`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendRequest {
    /// One number, or several: one message each.
    pub(crate) to: Recipients,
    /// The text (UTF-8); or `data_hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) text: Option<String>,
    /// Binary user data, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) data_hex: Option<String>,
    /// A user data header, hex (`UDH-DATA:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) udh_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) flash: Option<bool>,
    /// Ask for status reports; default: the modem's `report`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) report: Option<bool>,
    /// smsd's `Validity:`: `"2 days"`, `"12 hours"`, or 0-255.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) validity: Option<String>,
    /// `"high"` or `"normal"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) priority: Option<String>,
    /// A `[queues.NAME]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) queue: Option<String>,
    /// A `[modems.NAME]` that sends: only it sends the message, whatever
    /// the queue (`X-Smsgate-Modem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) modem: Option<String>,
    /// smstools3's 0-3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) autosplit: Option<u8>,
    /// RFC 3339: not sent before this time (`X-Smsgate-Send-At`); a
    /// time past sends now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) send_at: Option<String>,
}

/// `"+4917..."` or `["+49...", ...]`.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(untagged)]
pub(crate) enum Recipients {
    One(String),
    Many(Vec<String>),
}

impl Default for Recipients {
    fn default() -> Self {
        Recipients::Many(Vec::new())
    }
}

impl Recipients {
    pub(crate) fn numbers(&self) -> Vec<&str> {
        match self {
            Recipients::One(one) => vec![one.as_str()],
            Recipients::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

/// The answer of `POST /api/v1/messages` (202).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
pub(crate) struct SendAnswer {
    pub(crate) messages: Vec<AcceptedMessage>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
pub(crate) struct AcceptedMessage {
    pub(crate) id: String,
    pub(crate) to: String,
}

/// The most recipients one request may name.
const MAX_RECIPIENTS: usize = 1000;

/// The spool file for `to`, checked as the scheduler will check it.
pub(crate) fn render(
    config: &DaemonConfig,
    request: &SendRequest,
    to: &str,
    id: &str,
) -> Result<Vec<u8>, ApiError> {
    let bytes = render_unchecked(config, request, to, id)?;
    check(config, &bytes)?;
    Ok(bytes)
}

/// The spool file for `to`, its fields checked but not planned.
pub(crate) fn render_unchecked(
    config: &DaemonConfig,
    request: &SendRequest,
    to: &str,
    id: &str,
) -> Result<Vec<u8>, ApiError> {
    let mut headers: Vec<(&str, String, &str)> = vec![("To", to.to_owned(), "to")];
    if let Some(modem) = &request.modem {
        let kind = match config.modems.get(modem) {
            Some(settings) if settings.send => ModemKind::Sends,
            Some(_) => ModemKind::ReceivesOnly,
            None => ModemKind::Unknown,
        };
        hold::check_modem(modem, kind).map_err(|why| ApiError::invalid("modem", why))?;
        headers.push((MODEM_HEADER, modem.clone(), "modem"));
    }
    if let Some(send_at) = &request.send_at {
        let at = hold::parse_send_at(send_at).map_err(|why| ApiError::invalid("send_at", why))?;
        // In UTC, as the lookup shows it back.
        let at = chrono::DateTime::<chrono::Utc>::from(at).to_rfc3339();
        headers.push((SEND_AT_HEADER, at, "send_at"));
    }
    if let Some(flash) = request.flash {
        headers.push(("Flash", yes_no(flash), "flash"));
    }
    if let Some(report) = request.report {
        headers.push(("Report", yes_no(report), "report"));
    }
    if let Some(validity) = &request.validity {
        headers.push(("Validity", validity.clone(), "validity"));
    }
    if let Some(priority) = &request.priority {
        if !["high", "normal"].contains(&priority.to_ascii_lowercase().as_str()) {
            return Err(ApiError::invalid(
                "priority",
                format!("{priority:?} is \"high\" or \"normal\""),
            ));
        }
        headers.push(("Priority", priority.clone(), "priority"));
    }
    if let Some(queue) = &request.queue {
        if !config.queues.contains_key(queue) {
            let known: Vec<&str> = config.queues.keys().map(String::as_str).collect();
            return Err(ApiError::invalid(
                "queue",
                format!("no [queues.{queue}] (queues: {})", known.join(", ")),
            ));
        }
        headers.push(("Queue", queue.clone(), "queue"));
    }
    if let Some(autosplit) = request.autosplit {
        if autosplit > 3 {
            return Err(ApiError::invalid("autosplit", format!("{autosplit} is not 0-3")));
        }
        headers.push(("Autosplit", autosplit.to_string(), "autosplit"));
    }
    if let Some(udh) = &request.udh_hex {
        headers.push(("UDH-DATA", spaced_hex(udh, "udh_hex")?, "udh_hex"));
    }
    let body = match (&request.text, &request.data_hex) {
        (Some(text), None) => text.clone(),
        (None, Some(data)) => {
            headers.push(("Alphabet", "binary".to_owned(), "data_hex"));
            headers.push(("Hex", "yes".to_owned(), "data_hex"));
            spaced_hex(data, "data_hex")?
        }
        (Some(_), Some(_)) => return Err(ApiError::invalid("text", "give text or data_hex, not both")),
        (None, None) => return Err(ApiError::invalid("text", "give text or data_hex")),
    };
    headers.push((ID_HEADER, id.to_owned(), "to"));
    let mut file = String::new();
    for (name, value, field) in &headers {
        // A line break in a value would start a header of the caller's
        // choosing.
        if value.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                field,
                "a control character (a line break?) in the value",
            ));
        }
        file.push_str(&format!("{name}: {value}\n"));
    }
    file.push('\n');
    file.push_str(&body);
    Ok(file.into_bytes())
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

/// `"0500034a0201"` as `05 00 03 4a 02 01`; only hex digits (spaces allowed).
fn spaced_hex(text: &str, field: &str) -> Result<String, ApiError> {
    let digits: String = text.chars().filter(|ch| !ch.is_whitespace()).collect();
    if digits.is_empty() || digits.len() % 2 != 0 || !digits.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(field, "not an even number of hex digits"));
    }
    let pairs: Vec<&str> = (0..digits.len())
        .step_by(2)
        .map(|at| &digits[at..at + 2])
        .collect();
    Ok(pairs.join(" "))
}

/// The request field a spool header comes from.
fn field_of(header: &str) -> &'static str {
    match header {
        "To" | "To_TOA" => "to",
        "Flash" => "flash",
        "Report" => "report",
        "Validity" => "validity",
        "Priority" => "priority",
        "Queue" | "Provider" => "queue",
        "Autosplit" => "autosplit",
        "UDH-DATA" | "UDH" => "udh_hex",
        MODEM_HEADER => "modem",
        SEND_AT_HEADER => "send_at",
        "Hex" | "Binary" => "data_hex",
        _ => "text",
    }
}

/// Parses and plans `bytes` as the scheduler will, and refuses more parts
/// than `[limits] max-parts`.
fn check(config: &DaemonConfig, bytes: &[u8]) -> Result<(), ApiError> {
    let n_parts = plan_file(config, bytes)?.pdus.len();
    Limits::check_parts(config.limits.max_parts, n_parts, "[limits] max-parts")
        .map_err(|reason| ApiError::invalid("text", reason))
}

/// Parses and plans `bytes` as the scheduler will, with the defaults of
/// the first modem that serves its queue; every part is encoded once.
pub(crate) fn plan_file(config: &DaemonConfig, bytes: &[u8]) -> Result<SmsPlan, ApiError> {
    let file = OutgoingFile::parse(bytes, &mut NoIncludes).map_err(|err| {
        let first = err.problems.first();
        let field = first.and_then(|problem| problem.header).map_or("text", field_of);
        let message = first.map_or_else(|| err.one_line(), |problem| problem.message.clone());
        ApiError::invalid(field, message)
    })?;
    let queue = file.queue.clone().or_else(|| {
        config
            .queues
            .iter()
            .find(|(_, queue)| {
                queue.prefixes.iter().any(|prefix| {
                    file.to
                        .number
                        .trim_start_matches('+')
                        .starts_with(prefix.as_str())
                })
            })
            .map(|(name, _)| name.clone())
    });
    // The modem asked for plans it; else the first serving its queue.
    let pinned = hold::header(bytes, MODEM_HEADER).and_then(|name| config.modems.get(&name));
    let settings = pinned.or_else(|| {
        config.modems.values().find(|modem| {
            modem.send
                && match &queue {
                    None => modem.queues.is_empty(),
                    Some(queue) => modem.queues.contains(queue),
                }
        })
    });
    let mut defaults = PlanDefaults {
        numbering: NumberingPolicy {
            international_prefixes: config.numbering.international_prefixes.clone(),
            national_prefixes: config.numbering.national_prefixes.clone(),
        },
        national_tables: config.national_tables.clone(),
        ..PlanDefaults::default()
    };
    if let Some(settings) = settings {
        defaults.report = settings.report;
        defaults.autosplit = settings.autosplit;
        if let Some(validity) = settings.validity {
            defaults.validity = validity;
        }
    }
    let plan =
        spool::plan(&file, &defaults).map_err(|err| ApiError::invalid(field_of(err.header), err.reason))?;
    let Plan::Sms(sms) = plan else {
        return Err(ApiError::invalid("text", "not a text message"));
    };
    for pdu in &sms.pdus {
        pdu.encode()
            .map_err(|err| ApiError::invalid("text", format!("cannot encode the message: {err}")))?;
    }
    Ok(sms)
}

/// The recipients of `request`, checked for count.
pub(crate) fn recipients(request: &SendRequest) -> Result<Vec<&str>, ApiError> {
    let numbers = request.to.numbers();
    if numbers.is_empty() {
        return Err(ApiError::invalid("to", "no recipient"));
    }
    if numbers.len() > MAX_RECIPIENTS {
        return Err(ApiError::invalid(
            "to",
            format!("more than {MAX_RECIPIENTS} recipients"),
        ));
    }
    Ok(numbers)
}

/// Writes `files` ((id, bytes)) into `outgoing`, all or none: each under a
/// hidden name and fsynced, then all renamed, then the directory fsynced
/// once. A file already there (a retried idempotent request) is left.
pub(crate) fn write_all(outgoing: &Path, files: &[(String, Vec<u8>)], mode: u32) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for (id, bytes) in files {
            let name = format!("{FILE_PREFIX}{id}");
            let temporary = outgoing.join(format!(".{name}.http-tmp"));
            let mut file = spool_dir::create_file(&temporary, mode)?;
            written.push((temporary.clone(), outgoing.join(&name)));
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        Ok(())
    })();
    if let Err(err) = result {
        for (temporary, _) in &written {
            let _ = std::fs::remove_file(temporary);
        }
        return Err(err);
    }
    for (temporary, target) in &written {
        std::fs::rename(temporary, target)?;
    }
    spool_dir::sync_dir(outgoing)
}

/// The id a file written here carries: for `http-ID` whose headers say
/// `X-Smsgate-Id: ID`, that id; else none (the scheduler makes one).
pub(crate) fn given_id(name: &str, bytes: &[u8]) -> Option<String> {
    let id = name.strip_prefix(FILE_PREFIX)?;
    if !crate::http::cancel::is_id(id) {
        return None;
    }
    has_id_header(bytes, id).then(|| id.to_owned())
}

/// Whether the headers of `bytes` hold `X-Smsgate-Id: id`.
fn has_id_header(bytes: &[u8], id: &str) -> bool {
    let wanted = format!("{ID_HEADER}: {id}");
    bytes
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
        .any(|line| line == wanted.as_bytes())
}

/// `bytes` with `X-Smsgate-Id: id` among its headers, once.
pub(crate) fn with_id(bytes: &[u8], id: &str) -> Vec<u8> {
    if has_id_header(bytes, id) {
        return bytes.to_vec();
    }
    spool::add_headers(bytes, &[(ID_HEADER, id.to_owned())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_of_an_http_file_is_kept_once() {
        let id = crate::journal::new_message_id();
        let bytes = format!("To: 1\n{ID_HEADER}: {id}\n\nhi\n").into_bytes();
        assert_eq!(given_id(&format!("http-{id}"), &bytes), Some(id.clone()));
        assert_eq!(given_id("other", &bytes), None);
        let other = crate::journal::new_message_id();
        assert_eq!(given_id(&format!("http-{other}"), &bytes), None);
        assert_eq!(with_id(&bytes, &id), bytes);
        assert_eq!(
            String::from_utf8(with_id(&bytes, &other))
                .unwrap()
                .matches(ID_HEADER)
                .count(),
            2
        );
    }

    #[test]
    fn hex_is_spaced_and_checked() {
        assert_eq!(spaced_hex("0500034a0201", "x").unwrap(), "05 00 03 4a 02 01");
        assert_eq!(
            spaced_hex("05 0", "udh_hex").unwrap_err().field.as_deref(),
            Some("udh_hex")
        );
        assert!(spaced_hex("zz", "x").is_err());
    }
}
