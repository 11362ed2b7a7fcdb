//! smstools3's `smsd.conf`, read, and turned into smsgate's TOML
//! (`smsgate import-smsd-conf /etc/smsd.conf`).
//!
//! The format: `key = value` lines; whole-line `#` comments (since 3.1.5 a
//! `#` after a value is part of the value, and so it is here); global
//! settings first, then `[NAME]` sections. `[queues]` (queue directories)
//! and `[providers]` (number prefixes per queue) are special, `[default]`
//! holds settings for every modem, and every other section is a modem
//! named in `devices`. Yes/no values are yes/no, true/false, on/off, 1/0;
//! lists are comma-separated.
//!
//! [`parse`] is pure text in, entries out; [`import`] maps them to the
//! TOML of `daemon_config.rs`. A key smsgate cannot honour is never dropped
//! silently: it is listed, with its line and the reason, in a comment at
//! the top of the output. Errors (a value that is not a number, a modem
//! without a section) name the line.

use std::fmt::{self, Write as _};
use std::path::Path;

use crate::daemon_config::{DaemonConfig, DEFAULT_SPOOL_BASE};

/// A parsed `smsd.conf`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SmsdConf {
    /// The settings before the first section.
    pub(crate) global: Vec<Entry>,
    /// The sections, in file order.
    pub(crate) sections: Vec<Section>,
}

/// One `[NAME]` section.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Section {
    pub(crate) name: String,
    pub(crate) line: usize,
    pub(crate) entries: Vec<Entry>,
}

/// One `key = value` line, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) line: usize,
    /// The key lowercased: smsd's setting names are not case-sensitive.
    pub(crate) key: String,
    /// The key as written: in `[queues]` and `[providers]` it is a queue
    /// name.
    pub(crate) written_key: String,
    pub(crate) value: String,
}

/// A line smsgate could not read or map.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SmsdConfError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for SmsdConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SmsdConfError {}

/// A setting left out of the import, and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unhonoured {
    pub(crate) line: usize,
    /// The section, for a modem, `[default]`, `[queues]` or `[providers]`
    /// setting.
    pub(crate) section: Option<String>,
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) reason: String,
}

impl fmt::Display for Unhonoured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        if let Some(section) = &self.section {
            write!(f, "[{section}] ")?;
        }
        write!(f, "{} = {}: {}", self.key, self.value, self.reason)
    }
}

/// The result of [`import`].
#[derive(Debug)]
pub(crate) struct Import {
    /// The TOML, with the unhonoured settings and the differences smsd.conf
    /// does not state (smsd deletes sent files unless `sent` is set) listed
    /// in a comment at the top.
    pub(crate) toml: String,
    pub(crate) unhonoured: Vec<Unhonoured>,
}

/// Splits `text` into global settings and sections.
pub(crate) fn parse(text: &str) -> Result<SmsdConf, SmsdConfError> {
    let mut conf = SmsdConf::default();
    for (line_idx, raw_line) in text.lines().enumerate() {
        let line = line_idx + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let error = |message: String| SmsdConfError { line, message };
        if let Some(header) = trimmed.strip_prefix('[') {
            let name = header
                .strip_suffix(']')
                .ok_or_else(|| error(format!("section header {trimmed:?} has no closing `]`")))?
                .trim();
            if name.is_empty() {
                return Err(error("empty section name `[]`".to_owned()));
            }
            if let Some(earlier) = conf.sections.iter().find(|section| section.name == name) {
                return Err(error(format!(
                    "section [{name}] again (first at line {})",
                    earlier.line
                )));
            }
            conf.sections.push(Section {
                name: name.to_owned(),
                line,
                entries: Vec::new(),
            });
            continue;
        }
        let (key, value) = trimmed
            .split_once('=')
            .ok_or_else(|| error(format!("expected `key = value` or `[section]`, got {trimmed:?}")))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(error(format!("no key before `=` in {trimmed:?}")));
        }
        let entry = Entry {
            line,
            key: key.to_ascii_lowercase(),
            written_key: key.to_owned(),
            value: value.trim().to_owned(),
        };
        match conf.sections.last_mut() {
            Some(section) => section.entries.push(entry),
            None => conf.global.push(entry),
        }
    }
    Ok(conf)
}

/// Maps a parsed `smsd.conf` to smsgate's TOML, checking that the result
/// loads.
pub(crate) fn import(conf: &SmsdConf, source: &Path) -> Result<Import, SmsdConfError> {
    let mut importer = Importer::default();
    importer.global(&conf.global)?;
    let default_section = conf.sections.iter().find(|section| section.name == "default");
    for section in &conf.sections {
        match section.name.as_str() {
            "default" => {}
            "queues" => importer.queue_directories(section),
            "providers" => importer.providers(section),
            name if importer.devices.iter().any(|device| device == name) => {
                importer.modem(section, default_section)?;
            }
            name => importer.unhonoured.push(Unhonoured {
                line: section.line,
                section: None,
                key: format!("[{name}]"),
                value: "...".to_owned(),
                reason: "not a modem listed in `devices`; smsd ignores it too".to_owned(),
            }),
        }
    }
    if let Some(default_section) = default_section {
        importer.default_section_leftovers(default_section);
    }
    for device in &importer.devices {
        if !conf.sections.iter().any(|section| &section.name == device) {
            return Err(SmsdConfError {
                line: importer.devices_line,
                message: format!("devices: modem {device} has no [{device}] section"),
            });
        }
    }
    let toml = importer.render(source);
    Ok(Import {
        toml,
        unhonoured: importer.unhonoured,
    })
}

/// Checks that imported TOML loads as a daemon configuration.
pub(crate) fn check_import(toml: &str) -> anyhow::Result<DaemonConfig> {
    DaemonConfig::parse(toml, Path::new("imported configuration"))
}

/// Why a setting is not carried over.
const LOGGING: &str = "smsgate logs to stderr through tracing; choose what with RUST_LOG";
const NO_POLLING: &str = "smsgate picks up new files at once (inotify), it does not poll";
const PROCESS: &str = "smsgate writes no pid or info file and does not switch users; use the service manager";
const RECEIVE_FORMAT: &str = "smsgate writes received files one way: text as UTF-8, long messages joined \
     (as smsd with incoming_utf8 = yes, decode_unicode_text = yes, internal_combine = yes)";
const MEMORY: &str = "smsgate reads the modem's storage its own way (AT+CPMS, AT+CMGL)";
const VOICECALL: &str = "voice calls are not configurable in smsgate yet";
const NOT_SUPPORTED: &str = "not supported by smsgate";

/// smsd's spool directory keys, in smsgate's `[spool]` order.
const SPOOL_KEYS: [&str; 8] = [
    "outgoing",
    "checked",
    "failed",
    "incoming",
    "report",
    "sent",
    "saved",
    "phonecalls",
];

#[derive(Debug, Default)]
struct Importer {
    devices: Vec<String>,
    devices_line: usize,
    spool: Vec<(&'static str, String)>,
    /// `[handlers]`, `[limits]`, `[numbering]`: (key, TOML value).
    handlers: Vec<(&'static str, String)>,
    limits: Vec<(&'static str, String)>,
    numbering: Vec<(&'static str, String)>,
    /// Global `autosplit` and `validity`, applied to every modem.
    modem_globals: Vec<(&'static str, String)>,
    ports: Vec<(String, Vec<(&'static str, String)>)>,
    modems: Vec<(String, Vec<(&'static str, String)>)>,
    /// Queue name, directory, prefixes.
    queue_dirs: Vec<(String, String)>,
    queue_prefixes: Vec<(String, Vec<String>)>,
    unhonoured: Vec<Unhonoured>,
    differences: Vec<String>,
}

impl Importer {
    fn leave_out(&mut self, section: Option<&str>, entry: &Entry, reason: &str) {
        // A [default] setting is met once per modem; list it once.
        if self.unhonoured.iter().any(|listed| listed.line == entry.line) {
            return;
        }
        self.unhonoured.push(Unhonoured {
            line: entry.line,
            section: section.map(str::to_owned),
            key: entry.key.clone(),
            value: entry.value.clone(),
            reason: reason.to_owned(),
        });
    }

    fn global(&mut self, entries: &[Entry]) -> Result<(), SmsdConfError> {
        for entry in latest(entries, None, &mut self.unhonoured) {
            let value = entry.value.as_str();
            match entry.key.as_str() {
                "devices" => {
                    self.devices = list(value);
                    self.devices_line = entry.line;
                }
                key if SPOOL_KEYS.contains(&key) => {
                    let key = SPOOL_KEYS
                        .iter()
                        .find(|spool_key| **spool_key == key)
                        .copied()
                        .unwrap_or("");
                    self.spool.push((key, value.to_owned()));
                }
                "errorsleeptime" => self.limits.push(("retry-interval-s", number(entry)?.to_string())),
                "blocktime" => self.limits.push(("block-time-s", number(entry)?.to_string())),
                "blockafter" => self.limits.push(("block-after", number(entry)?.to_string())),
                "eventhandler" | "checkhandler" | "alarmhandler" => {
                    let key = match entry.key.as_str() {
                        "eventhandler" => "eventhandler",
                        "checkhandler" => "checkhandler",
                        _ => "alarmhandler",
                    };
                    self.handlers.push((key, toml_string(value)));
                }
                "alarmlevel" => self.handlers.push(("alarm-level", number(entry)?.to_string())),
                "international_prefixes" => self
                    .numbering
                    .push(("international-prefixes", toml_list(&list(value)))),
                "national_prefixes" => self
                    .numbering
                    .push(("national-prefixes", toml_list(&list(value)))),
                "autosplit" => self.modem_globals.push(("autosplit", number(entry)?.to_string())),
                "validity" => self.modem_globals.push(("validity", validity(value))),
                "delaytime" | "delaytime_mainprocess" | "sleeptime_mainprocess" => {
                    self.leave_out(None, entry, NO_POLLING);
                }
                "logfile"
                | "loglevel"
                | "logtime_ms"
                | "logtime_us"
                | "logtime_format"
                | "log_single_lines"
                | "smart_logging"
                | "log_unmodified"
                | "log_read_from_modem"
                | "log_charconv"
                | "log_read_timing"
                | "log_response_time" => self.leave_out(None, entry, LOGGING),
                "pidfile" | "infofile" | "user" | "group" | "umask" => self.leave_out(None, entry, PROCESS),
                "incoming_utf8"
                | "decode_unicode_text"
                | "internal_combine"
                | "internal_combine_binary"
                | "keep_filename"
                | "date_filename"
                | "store_received_pdu"
                | "store_original_filename" => {
                    self.leave_out(None, entry, RECEIVE_FORMAT);
                }
                _ => self.leave_out(None, entry, NOT_SUPPORTED),
            }
        }
        if !self.spool.iter().any(|(key, _)| *key == "sent") {
            self.differences.push(
                "smsd deletes sent files when `sent` is not set; smsgate keeps them in spool.sent".to_owned(),
            );
        }
        if !self.spool.iter().any(|(key, _)| *key == "failed") {
            self.differences.push(
                "smsd deletes failed files when `failed` is not set; smsgate keeps them in spool.failed"
                    .to_owned(),
            );
        }
        if !self.spool.iter().any(|(key, _)| *key == "report") {
            self.differences.push(
                "smsd puts status reports in `incoming` when `report` is not set; smsgate uses spool.report"
                    .to_owned(),
            );
        }
        Ok(())
    }

    fn modem(&mut self, section: &Section, default_section: Option<&Section>) -> Result<(), SmsdConfError> {
        // The modem's own settings win over [default]'s.
        let own: Vec<&Entry> = latest(&section.entries, Some(&section.name), &mut self.unhonoured);
        let mut entries = own.clone();
        if let Some(default_section) = default_section {
            for entry in &default_section.entries {
                if !own.iter().any(|own_entry| own_entry.key == entry.key) {
                    entries.push(entry);
                }
            }
        }
        let mut port = Vec::new();
        let mut modem = Vec::new();
        let mut init = Vec::new();
        let mut device = false;
        for entry in entries {
            let in_default = !own.iter().any(|own_entry| std::ptr::eq(*own_entry, entry));
            let section_name = if in_default {
                "default"
            } else {
                section.name.as_str()
            };
            let value = entry.value.as_str();
            match entry.key.as_str() {
                "device" => {
                    device = true;
                    port.push(("device", toml_string(value)));
                }
                "baudrate" => port.push(("baud-rate", number(entry)?.to_string())),
                "rtscts" => {
                    let flow = if yes_no(entry)? { "hardware" } else { "none" };
                    port.push(("flow-control", toml_string(flow)));
                }
                "pin" if value.eq_ignore_ascii_case("ignore") || value.is_empty() => {}
                "pin" => port.push(("sim-pin", toml_string(value))),
                "init" | "init2" => init.push((entry.key.clone(), value.to_owned())),
                "queues" => modem.push(("queues", toml_list(&list(value)))),
                "incoming" => {
                    let receive = match value.to_ascii_lowercase().as_str() {
                        "high" | "2" => true,
                        _ => yes_no(entry)?,
                    };
                    modem.push(("receive", receive.to_string()));
                }
                // smsd's default, yes, is smsgate's too: only a receive-only
                // modem is written.
                "outgoing" if yes_no(entry)? => {}
                "outgoing" => modem.push(("send", "false".to_owned())),
                "report" => modem.push(("report", yes_no(entry)?.to_string())),
                "send_retries" => modem.push(("send-retries", number(entry)?.to_string())),
                "autosplit" => modem.push(("autosplit", number(entry)?.to_string())),
                "validity" => modem.push(("validity", validity(value))),
                "smsc" if value.is_empty() => {}
                "smsc" => {
                    let number = if value.starts_with('+') {
                        value.to_owned()
                    } else {
                        format!("+{value}")
                    };
                    modem.push(("smsc", toml_string(&number)));
                }
                // smsgate only works in new-style PDU mode, and keeps the
                // port open and converts character sets: smsd's defaults.
                "mode" if value.eq_ignore_ascii_case("new") => {}
                "keep_open" | "cs_convert" if yes_no(entry)? => {}
                "mode" => self.leave_out(Some(section_name), entry, "smsgate has only the new mode"),
                "keep_open" => self.leave_out(Some(section_name), entry, "smsgate keeps the port open"),
                "cs_convert" => self.leave_out(
                    Some(section_name),
                    entry,
                    "smsgate always converts character sets",
                ),
                "memory_start" | "check_memory_method" | "primary_memory" | "secondary_memory" => {
                    self.leave_out(Some(section_name), entry, MEMORY);
                }
                key if key.starts_with("voicecall") => self.leave_out(Some(section_name), entry, VOICECALL),
                _ => self.leave_out(Some(section_name), entry, NOT_SUPPORTED),
            }
        }
        if !device {
            return Err(SmsdConfError {
                line: section.line,
                message: format!("[{}] has no `device`", section.name),
            });
        }
        if !init.is_empty() {
            // smsd sends init before init2, whatever their order in the file.
            init.sort_by_key(|(key, _)| key == "init2");
            let lines: Vec<String> = init.into_iter().map(|(_, line)| line).collect();
            port.push(("init", toml_list(&lines)));
        }
        for (key, value) in &self.modem_globals {
            if !modem.iter().any(|(modem_key, _)| modem_key == key) {
                modem.push((key, value.clone()));
            }
        }
        self.ports.push((section.name.clone(), port));
        self.modems.push((section.name.clone(), modem));
        Ok(())
    }

    fn default_section_leftovers(&mut self, default_section: &Section) {
        if self.devices.is_empty() && !default_section.entries.is_empty() {
            self.differences
                .push("[default] has settings but `devices` names no modem to apply them to".to_owned());
        }
    }

    fn queue_directories(&mut self, section: &Section) {
        for entry in latest(&section.entries, Some("queues"), &mut self.unhonoured) {
            self.queue_dirs
                .push((entry.written_key.clone(), entry.value.clone()));
        }
    }

    fn providers(&mut self, section: &Section) {
        for entry in latest(&section.entries, Some("providers"), &mut self.unhonoured) {
            self.queue_prefixes
                .push((entry.written_key.clone(), list(&entry.value)));
        }
    }

    fn render(&self, source: &Path) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# smsgate configuration imported from {}", source.display());
        let _ = writeln!(out, "# by `smsgate import-smsd-conf`.");
        if self.unhonoured.is_empty() {
            let _ = writeln!(out, "#\n# Every setting was carried over.");
        } else {
            let _ = writeln!(out, "#\n# Not carried over:");
            for unhonoured in &self.unhonoured {
                let _ = writeln!(out, "#   {unhonoured}");
            }
        }
        if !self.differences.is_empty() {
            let _ = writeln!(out, "#\n# Differences:");
            for difference in &self.differences {
                let _ = writeln!(out, "#   {difference}");
            }
        }
        // Spool directories under one base are written as the base alone.
        let outgoing = self.spool.iter().find(|(key, _)| *key == "outgoing");
        let base = outgoing.and_then(|(_, dir)| Path::new(dir).parent()).map_or_else(
            || DEFAULT_SPOOL_BASE.to_owned(),
            |parent| parent.display().to_string(),
        );
        let mut spool = vec![("base", toml_string(&base))];
        for (key, dir) in &self.spool {
            if Path::new(dir) != Path::new(&base).join(key) {
                spool.push((key, toml_string(dir)));
            }
        }
        table(&mut out, "spool", &spool);
        table(&mut out, "handlers", &self.handlers);
        table(&mut out, "limits", &self.limits);
        table(&mut out, "numbering", &self.numbering);
        for (name, port) in &self.ports {
            table(&mut out, &format!("ports.{}", toml_key(name)), port);
        }
        for (name, modem) in &self.modems {
            table(&mut out, &format!("modems.{}", toml_key(name)), modem);
        }
        let mut queue_names: Vec<&String> = self.queue_dirs.iter().map(|(name, _)| name).collect();
        for (name, _) in &self.queue_prefixes {
            if !queue_names.contains(&name) {
                queue_names.push(name);
            }
        }
        for name in queue_names {
            let prefixes = self
                .queue_prefixes
                .iter()
                .find(|(queue, _)| queue == name)
                .map(|(_, prefixes)| prefixes.clone())
                .unwrap_or_default();
            let mut queue = vec![("prefixes", toml_list(&prefixes))];
            if let Some((_, dir)) = self.queue_dirs.iter().find(|(queue, _)| queue == name) {
                queue.push(("directory", toml_string(dir)));
            }
            table(&mut out, &format!("queues.{}", toml_key(name)), &queue);
        }
        out
    }
}

/// The entries of one section, a repeated key's last value winning; the
/// earlier ones are listed as overridden.
fn latest<'a>(
    entries: &'a [Entry],
    section: Option<&str>,
    unhonoured: &mut Vec<Unhonoured>,
) -> Vec<&'a Entry> {
    let mut kept: Vec<&Entry> = Vec::new();
    for entry in entries {
        if let Some(position) = kept.iter().position(|earlier| earlier.key == entry.key) {
            let earlier = kept.remove(position);
            unhonoured.push(Unhonoured {
                line: earlier.line,
                section: section.map(str::to_owned),
                key: earlier.key.clone(),
                value: earlier.value.clone(),
                reason: format!("set again at line {}", entry.line),
            });
        }
        kept.push(entry);
    }
    kept
}

/// Writes `[name]` and its entries; nothing if there are none, unless the
/// table's presence means something (a modem).
fn table(out: &mut String, name: &str, entries: &[(&str, String)]) {
    if entries.is_empty() && !name.starts_with("modems.") {
        return;
    }
    let _ = writeln!(out, "\n[{name}]");
    for (key, value) in entries {
        let _ = writeln!(out, "{key} = {value}");
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(entry: &Entry) -> Result<u64, SmsdConfError> {
    entry.value.parse().map_err(|_| SmsdConfError {
        line: entry.line,
        message: format!("{}: {:?} is not a whole number", entry.key, entry.value),
    })
}

fn yes_no(entry: &Entry) -> Result<bool, SmsdConfError> {
    match entry.value.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(SmsdConfError {
            line: entry.line,
            message: format!(
                "{}: {:?} is not yes or no (true/false, on/off, 1/0)",
                entry.key, entry.value
            ),
        }),
    }
}

/// smsd's validity: a number 0-255 or a period like "2 days".
fn validity(value: &str) -> String {
    match value.parse::<u64>() {
        Ok(number) => number.to_string(),
        Err(_) => toml_string(value),
    }
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", items.join(", "))
}

/// A key, bare if TOML allows it.
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if bare {
        name.to_owned()
    } else {
        toml_string(name)
    }
}

#[cfg(test)]
mod tests;
