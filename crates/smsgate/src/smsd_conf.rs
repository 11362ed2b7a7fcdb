//! smstools3's `smsd.conf`, read, and turned into smsgate's TOML
//! (`smsgate import-smsd-conf /etc/smsd.conf`).
//!
//! The format: `key = value` lines; whole-line `#` comments (since 3.1.5 a
//! `#` after a value is part of the value, and so it is here); global
//! settings first, then `[NAME]` sections. `[queues]` (queue directories)
//! and `[providers]` (number prefixes per queue) are special, `[default]`
//! holds settings for every modem, a group section such as `[GSM*]` those
//! of every modem whose name is `GSM` then a digit, and every other
//! section is a modem named in `devices`. A modem reads `[default]`, then
//! its group, then its own section (which it need not have); the last
//! one to set a key wins. Values are read as smsd 3.1.21 reads them
//! (`values.rs`, each rule checked against the real binary).
//!
//! [`parse`] is pure text in, entries out; [`import`] maps them to the
//! TOML of `smsgate_daemon::daemon_config` (`importer.rs`), and `render.rs` writes it
//! after a summary: every setting carried over and where to, every one
//! left out and why (`keys.rs`: smsgate does it its own way, or does not
//! have the feature yet), and every smsd default that smsgate does not
//! share. Nothing is dropped silently. Errors (a value smsd would refuse,
//! a modem without a device) name the line.

use std::fmt;
use std::path::Path;

use importer::Importer;
use smsgate_daemon::daemon_config::DaemonConfig;

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
    /// The section, for a modem, group, `[default]`, `[queues]` or
    /// `[providers]` setting.
    pub(crate) section: Option<String>,
    /// The key as written.
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) reason: Reason,
}

/// Why a setting is left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// smsgate does it its own way, or the setting has no meaning there.
    Why(String),
    /// smsgate does not have the feature yet (named).
    NotYet(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Why(reason) => f.write_str(reason),
            Reason::NotYet(feature) => write!(f, "not carried yet: {feature}"),
        }
    }
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
    /// The TOML, after the summary in comments.
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

/// Maps a parsed `smsd.conf` to smsgate's TOML.
pub(crate) fn import(conf: &SmsdConf, source: &Path) -> Result<Import, SmsdConfError> {
    let mut importer = Importer::default();
    importer.global(&conf.global)?;
    let section = |name: &str| conf.sections.iter().find(|section| section.name == name);
    // smsd reads [queues] or else [queue], [providers] or else [provider].
    let queues = section("queues").or_else(|| section("queue"));
    let providers = section("providers").or_else(|| section("provider"));
    let default_section = section("default");
    let devices = importer.devices.clone();
    let groups: Vec<String> = devices
        .iter()
        .filter_map(|device| values::group_of(device))
        .collect();
    for section in &conf.sections {
        let name = section.name.as_str();
        let used = Some(section) == queues
            || Some(section) == providers
            || Some(section) == default_section
            || devices.iter().any(|device| device == name)
            || groups.iter().any(|group| group == name);
        if !used {
            let reason = match name {
                "queue" | "provider" => "smsd reads it only when the plural section is missing".to_owned(),
                "communicate" => "the key shortcuts of `smsd -C`; `smsgate at-chat` has none".to_owned(),
                _ => {
                    "not a modem or group of modems (such as [GSM*]) named by `devices`; smsd ignores it too"
                        .to_owned()
                }
            };
            importer.unhonoured.push(Unhonoured {
                line: section.line,
                section: None,
                key: format!("[{name}]"),
                value: "...".to_owned(),
                reason: Reason::Why(reason),
            });
        }
    }
    if let Some(queues) = queues {
        importer.queue_directories(queues);
    }
    if let Some(providers) = providers {
        importer.providers(providers);
    }
    for device in &devices {
        // smsd reads [default], then the modem's group ([GSM*]), then its
        // own section; a later one wins.
        let group = values::group_of(device).and_then(|group| section(&group));
        let layers: Vec<&Section> = [default_section, group, section(device)]
            .into_iter()
            .flatten()
            .collect();
        importer.modem(device, &layers)?;
    }
    let shared = default_section.into_iter().chain(
        conf.sections
            .iter()
            .filter(|section| groups.contains(&section.name)),
    );
    if !devices.is_empty() {
        for section in shared {
            importer.unused_shared_settings(section);
        }
    }
    if devices.is_empty() && default_section.is_some_and(|section| !section.entries.is_empty()) {
        importer
            .differences
            .push("[default] has settings but `devices` names no modem to apply them to".to_owned());
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

mod importer;
mod keys;
mod render;
mod values;

#[cfg(test)]
mod tests;
