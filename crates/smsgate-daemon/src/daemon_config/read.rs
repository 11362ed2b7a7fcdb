//! The low-level step of reading `smsgate.toml`: TOML and serde, with
//! every problem collected rather than only the first.
//!
//! serde stops at the first problem of a document. So a problem on a
//! `key = value` line is noted and that line blanked (spaces, so that
//! every offset and line number stays the same), and the text is read
//! again, until it reads or a problem is on no such line (a missing key
//! is reported at its table's header, which cannot be blanked without
//! moving the keys below it into another table).

use std::path::Path;

use anyhow::anyhow;

use super::RawDaemonConfig;
use crate::config::line_of;

/// The raw sections of `text` (none if some problem left it unreadable)
/// and every problem met, each with its line.
pub(super) fn raw_config(text: &str, path: &Path) -> (Option<RawDaemonConfig>, Vec<(usize, String)>) {
    let mut problems = Vec::new();
    let mut edited = text.to_owned();
    loop {
        let err = match toml::from_str::<RawDaemonConfig>(&edited) {
            Ok(raw) => return (Some(raw), problems),
            Err(err) => err,
        };
        let line = err.span().map_or(1, |span| line_of(&edited, span.start));
        problems.push((line, toml_error(path, &edited, &err).to_string()));
        if err.span().is_none() || !blank_line(&mut edited, line) {
            return (None, problems);
        }
    }
}

/// Replaces 1-based `line` of `text` by spaces if it is a `key = value`
/// line and the text is still TOML without it; whether it did.
fn blank_line(text: &mut String, line: usize) -> bool {
    let start: usize = text.split_inclusive('\n').take(line - 1).map(str::len).sum();
    let end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let content = text[start..end].trim();
    if content.is_empty() || content.starts_with('[') || !content.contains('=') {
        return false;
    }
    let mut candidate = text.clone();
    candidate.replace_range(start..end, &" ".repeat(end - start));
    if candidate.parse::<toml::Table>().is_err() {
        return false;
    }
    *text = candidate;
    true
}

/// Formats a TOML error as `FILE: line N: KEY: message`, naming the table,
/// and an unknown key as `unknown key "KEY" in [TABLE], expected one of
/// ...`.
fn toml_error(path: &Path, text: &str, err: &toml::de::Error) -> anyhow::Error {
    let message = err.message().trim_end();
    let Some(span) = err.span() else {
        return anyhow!("{}: {message}", path.display());
    };
    let line = line_of(text, span.start);
    let line_text = text.lines().nth(line - 1).unwrap_or_default();
    let table = table_at(text, line);
    let in_table = table.as_ref().map_or_else(
        || " at the top level".to_owned(),
        |table| format!(" in [{table}]"),
    );
    if let Some((key, expected)) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
    {
        return anyhow!(
            "{}: line {line}: unknown key {key:?}{in_table}{expected}",
            path.display()
        );
    }
    match line_text.split_once('=') {
        Some((key, _)) if !line_text.trim_start().starts_with('[') => {
            let key = key.trim();
            let key = table.map_or_else(|| key.to_owned(), |table| format!("{table}.{key}"));
            anyhow!("{}: line {line}: {key}: {message}", path.display())
        }
        _ => anyhow!("{}: line {line}: {message}{in_table}", path.display()),
    }
}

/// The table whose body holds 1-based `line`: the last header above it.
fn table_at(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|line_text| {
            let header = line_text.trim();
            let header = header.strip_prefix('[')?;
            let end = header.find(']')?;
            Some(header[..end].trim_matches(|c| c == '[' || c == ' ').to_owned())
        })
        .last()
}
