//! The mapping: smsd.conf's entries in, the TOML sections' keys and the
//! summary's lines out.

use std::path::Path;

use super::keys;

mod chores;
use super::values::{self, toml_list, toml_string, validity, Report};
use super::{Entry, Reason, Section, SmsdConfError, Unhonoured};
use smsgate_daemon::daemon_config::DEFAULT_SPOOL_BASE;

mod admin;
mod production;

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

/// A TOML table's entries: (key, TOML value).
pub(super) type Table = Vec<(&'static str, String)>;

/// A setting carried over, and where to.
#[derive(Debug)]
pub(super) struct Carried {
    pub(super) line: usize,
    pub(super) section: Option<String>,
    pub(super) key: String,
    pub(super) value: String,
    /// The TOML keys it became, or how smsgate honours it.
    pub(super) to: Vec<String>,
}

#[derive(Debug, Default)]
pub(super) struct Importer {
    pub(super) devices: Vec<String>,
    devices_line: usize,
    /// (key, directory, the line), as written.
    pub(super) spool: Vec<(&'static str, String, Entry)>,
    /// `[spool] base`: the parent of `outgoing`, or smsd's default.
    pub(super) spool_base: String,
    pub(super) handlers: Table,
    /// `[spool]` settings other than directories.
    pub(super) spool_settings: Table,
    pub(super) limits: Table,
    pub(super) numbering: Table,
    /// `[status]`: smsd's `stats` directory's status file.
    pub(super) status: Table,
    /// Global `autosplit` and `validity`, applied to every modem.
    modem_globals: Table,
    pub(super) ports: Vec<(String, Table)>,
    pub(super) modems: Vec<(String, Table)>,
    /// Queue name, directory, prefixes.
    pub(super) queue_dirs: Vec<(String, String)>,
    pub(super) queue_prefixes: Vec<(String, Vec<String>)>,
    pub(super) carried: Vec<Carried>,
    pub(super) unhonoured: Vec<Unhonoured>,
    /// What smsd would do otherwise with this file, and what was read in
    /// a way worth saying.
    pub(super) differences: Vec<String>,
    global_eventhandler: Option<String>,
    /// The settings that decide which of smsd's defaults smsgate does not
    /// share.
    pub(super) incoming_utf8: bool,
    pub(super) decode_unicode_text: bool,
    pub(super) alphabet_utf8: bool,
}

/// Whether a section is the global part, a modem's (or `[default]` or a
/// group), or `[queues]`/`[providers]`, whose keys are queue names:
/// smsd's aliases differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Global,
    Modem,
    Queues,
}

/// The name smsd gives a setting it knows by two names.
fn canonical(key: &str, scope: Scope) -> &str {
    match (scope, key) {
        (Scope::Global, "spool") => "outgoing",
        (Scope::Global, "datetime") => "datetime_format",
        (Scope::Modem, "init1") => "init",
        _ => key,
    }
}

/// Settings smsd collects rather than replaces when given again.
fn accumulates(key: &str) -> bool {
    key == "regular_run_cmd"
}

impl Importer {
    /// A global string setting: `spool.KEY`, or, empty, smsd's "not in
    /// use" (carried as such, nothing written).
    fn spool_string_setting(&mut self, entry: &Entry, key: &'static str, value: &str) {
        if value.is_empty() {
            self.carry(None, entry, "not in use, as in smsd");
        } else {
            self.spool_settings.push((key, toml_string(value)));
            self.carry(None, entry, format!("spool.{key}"));
        }
    }

    /// A modem setting: `value` (TOML) as `key` in modem `name`'s table
    /// `modem`, or, `None`, smsd's "not in use" (carried as such).
    fn modem_setting(
        &mut self,
        section: Option<&str>,
        entry: &Entry,
        (name, modem): (&str, &mut Table),
        key: &'static str,
        value: Option<String>,
    ) {
        match value {
            None => self.carry(section, entry, "not in use, as in smsd"),
            Some(value) => {
                modem.push((key, value));
                self.carry(section, entry, format!("modems.{}.{key}", values::toml_key(name)));
            }
        }
    }

    fn carry(&mut self, section: Option<&str>, entry: &Entry, to: impl Into<String>) {
        let to = to.into();
        if let Some(carried) = self.carried.iter_mut().find(|carried| carried.line == entry.line) {
            if !carried.to.contains(&to) {
                carried.to.push(to);
            }
            return;
        }
        self.carried.push(Carried {
            line: entry.line,
            section: section.map(str::to_owned),
            key: entry.written_key.clone(),
            value: entry.value.clone(),
            to: vec![to],
        });
    }

    fn leave_out(&mut self, section: Option<&str>, entry: &Entry, reason: Reason) {
        // A [default] or group setting is met once per modem; list it once.
        if self
            .unhonoured
            .iter()
            .any(|listed| listed.line == entry.line && listed.reason == reason)
        {
            return;
        }
        self.unhonoured.push(Unhonoured {
            line: entry.line,
            section: section.map(str::to_owned),
            key: entry.written_key.clone(),
            value: entry.value.clone(),
            reason,
        });
    }

    /// A number as smsd reads it; text after it is said to be ignored.
    fn number(&mut self, entry: &Entry) -> Result<u64, SmsdConfError> {
        let (number, rest) = values::number(entry)?;
        if let Some(rest) = rest {
            self.differences.push(format!(
                "line {}: {} = {} is read as {number}, as smsd reads it ({rest:?} ignored)",
                entry.line, entry.key, entry.value
            ));
        }
        Ok(number)
    }

    /// The entries of one section, a repeated key's last value winning;
    /// the earlier ones are listed as set again.
    fn latest<'a>(&mut self, entries: &'a [Entry], section: Option<&str>, scope: Scope) -> Vec<&'a Entry> {
        let mut kept: Vec<&Entry> = Vec::new();
        for entry in entries {
            let key = canonical(&entry.key, scope);
            let earlier = kept
                .iter()
                .position(|earlier| canonical(&earlier.key, scope) == key && !accumulates(key));
            if let Some(position) = earlier {
                let earlier = kept.remove(position);
                let reason = Reason::Why(format!("set again at line {}", entry.line));
                self.leave_out(section, earlier, reason);
            }
            kept.push(entry);
        }
        kept
    }

    pub(super) fn global(&mut self, entries: &[Entry]) -> Result<(), SmsdConfError> {
        let latest = self.latest(entries, None, Scope::Global);
        let has_stats = latest
            .iter()
            .any(|entry| entry.key == "stats" && !entry.value.is_empty());
        let date_filename = latest
            .iter()
            .find(|entry| entry.key == "date_filename")
            .and_then(|entry| values::atoi(&entry.value))
            .map_or(0, |(number, _)| number);
        for entry in latest.iter().copied() {
            if self.production_global(entry)? || self.admin_global(entry)? {
                continue;
            }
            let value = entry.value.as_str();
            match canonical(&entry.key, Scope::Global) {
                "devices" => {
                    self.devices = values::devices(entry)?;
                    self.devices_line = entry.line;
                    let names = self.devices.join(", ");
                    self.carry(None, entry, format!("modems {names}"));
                }
                key if SPOOL_KEYS.contains(&key) => {
                    let key = SPOOL_KEYS.iter().find(|spool_key| **spool_key == key).copied().unwrap_or("");
                    self.spool.push((key, value.to_owned(), entry.clone()));
                }
                "errorsleeptime" => self.limit(entry, "retry-interval-s")?,
                "blocktime" => self.limit(entry, "block-time-s")?,
                "blockafter" => self.limit(entry, "block-after")?,
                key @ ("eventhandler" | "checkhandler" | "alarmhandler") => {
                    let key = match key {
                        "eventhandler" => "eventhandler",
                        "checkhandler" => "checkhandler",
                        _ => "alarmhandler",
                    };
                    if key == "eventhandler" {
                        self.global_eventhandler = Some(value.to_owned());
                    }
                    self.handlers.push((key, toml_string(value)));
                    self.carry(None, entry, format!("handlers.{key}"));
                }
                "alarmlevel" => self.alarm_level(entry)?,
                // smsd writes `stats/status` every status_interval seconds
                // (default 1; 0: never); smsgate's status file has the
                // same role, with its own lines.
                "stats" if !value.is_empty() => {
                    let file = format!("{}/status", value.trim_end_matches('/'));
                    self.status.push(("file", toml_string(&file)));
                    self.carry(None, entry, "status.file");
                }
                "status_interval" if has_stats => {
                    let number = self.number(entry)?;
                    if number == 0 {
                        self.status.clear();
                        let reason = Reason::Why("0 writes no status file; neither does smsgate without [status] file".to_owned());
                        self.leave_out(None, entry, reason);
                    } else {
                        self.status.push(("interval-s", number.to_string()));
                        self.carry(None, entry, "status.interval-s");
                    }
                }
                "status_interval" => {
                    let reason = Reason::Why("has no effect without stats, in smsd too".to_owned());
                    self.leave_out(None, entry, reason);
                }
                "stats_interval" | "stats_no_zeroes" => {
                    let reason = Reason::Why(
                        "smsgate writes no statistics files; the status file ([status] file) has today's counts"
                            .to_owned(),
                    );
                    self.leave_out(None, entry, reason);
                }
                "international_prefixes" | "national_prefixes" => {
                    let key = if entry.key.starts_with("international") {
                        "international-prefixes"
                    } else {
                        "national-prefixes"
                    };
                    self.numbering.push((key, toml_list(&values::list(value))));
                    self.carry(None, entry, format!("numbering.{key}"));
                }
                "autosplit" => {
                    let number = self.number(entry)?;
                    self.modem_globals.push(("autosplit", number.to_string()));
                    self.carry(None, entry, "modems.*.autosplit");
                }
                "validity" => {
                    self.modem_globals.push(("validity", validity(value)));
                    self.carry(None, entry, "modems.*.validity");
                }
                "incoming_utf8" => {
                    self.incoming_utf8 = values::yes_no(entry)?;
                    self.carry(None, entry, "spool.incoming-charset");
                }
                "decode_unicode_text" => {
                    self.decode_unicode_text = values::yes_no(entry)?;
                    self.carry(None, entry, "spool.incoming-charset");
                }
                key @ ("store_received_pdu" | "store_sent_pdu") => {
                    let number = self.number(entry)?;
                    if number > 3 {
                        let reason = Reason::Why("smsd refuses to start with it: 0 to 3".to_owned());
                        self.leave_out(None, entry, reason);
                    } else {
                        let key = match key {
                            "store_received_pdu" => "store-received-pdu",
                            _ => "store-sent-pdu",
                        };
                        self.spool_settings.push((key, number.to_string()));
                        self.carry(None, entry, format!("spool.{key}"));
                    }
                }
                "trust_outgoing" => {
                    let trust = values::yes_no(entry)?;
                    self.spool_settings.push(("trust-outgoing", trust.to_string()));
                    self.carry(None, entry, "spool.trust-outgoing");
                }
                "internal_combine" | "outgoing_utf8" if values::yes_no(entry)? => {
                    self.carry(None, entry, "as smsgate always does");
                }
                "outgoing_utf8" => self.leave_out(
                    None,
                    entry,
                    Reason::Why("smsgate reads a file without Alphabet: as UTF-8".to_owned()),
                ),
                "alphabet" if value.to_ascii_uppercase().starts_with("UTF") => {
                    self.alphabet_utf8 = true;
                    self.carry(None, entry, "as smsgate reads a file without Alphabet:");
                }
                "alphabet" => self.leave_out(
                    None,
                    entry,
                    Reason::Why(
                        "smsgate reads a file without Alphabet: as UTF-8 (give ISO-8859-15 files `Alphabet: ISO`)"
                            .to_owned(),
                    ),
                ),
                "date_filename" if date_filename == 0 => {
                    self.carry(None, entry, "smsgate names received files MODEM.xxxxxx");
                }
                "date_filename_format" if date_filename == 0 => {
                    let reason = Reason::Why("has no effect while date_filename = 0, in smsd too".to_owned());
                    self.leave_out(None, entry, reason);
                }
                key if chores::is_global_chore(key) => self.global_chore(entry)?,
                key => self.leave_out(None, entry, keys::global(key)),
            }
        }
        self.spool_base();
        self.global_differences();
        Ok(())
    }

    fn limit(&mut self, entry: &Entry, key: &'static str) -> Result<(), SmsdConfError> {
        let number = self.number(entry)?;
        self.limits.push((key, number.to_string()));
        self.carry(None, entry, format!("limits.{key}"));
        Ok(())
    }

    /// smsd's levels run from 1 (alert) to 7 (debug) and beyond; the
    /// handler gets every alarm at least that severe. smsgate raises alarms
    /// of 2 (critical) to 5 (notice) only, so 6 and above are 5.
    fn alarm_level(&mut self, entry: &Entry) -> Result<(), SmsdConfError> {
        let level = values::level(entry)?;
        let mapped = level.clamp(2, 5);
        self.handlers.push(("alarm-level", mapped.to_string()));
        self.carry(None, entry, "handlers.alarm-level");
        if level > 5 {
            self.differences.push(format!(
                "line {}: alarmlevel = {} is alarm-level = 5: smsgate raises no alarm less severe than notice (5), \
                 so every one reaches the alarmhandler, as with {level}",
                entry.line, entry.value
            ));
        } else if level < 2 {
            self.differences.push(format!(
                "line {}: alarmlevel = {} is alarm-level = 2 (critical), smsgate's most severe: the alarmhandler \
                 also runs for a blocked modem",
                entry.line, entry.value
            ));
        }
        Ok(())
    }

    /// Spool directories under one base are written as the base alone.
    fn spool_base(&mut self) {
        let outgoing = self.spool.iter().find(|(key, _, _)| *key == "outgoing");
        self.spool_base = outgoing
            .and_then(|(_, dir, _)| Path::new(dir).parent())
            .map_or_else(
                || DEFAULT_SPOOL_BASE.to_owned(),
                |parent| parent.display().to_string(),
            );
        let spool = std::mem::take(&mut self.spool);
        for (key, dir, entry) in &spool {
            if Path::new(dir) == Path::new(&self.spool_base).join(key) {
                let base = toml_string(&self.spool_base);
                self.carry(None, entry, format!("spool.base = {base}"));
            } else {
                self.carry(None, entry, format!("spool.{key}"));
            }
        }
        self.spool = spool;
    }

    fn global_differences(&mut self) {
        let set = |key: &str| self.spool.iter().any(|(spool_key, _, _)| *spool_key == key);
        let mut differences = Vec::new();
        if !set("sent") {
            differences.push(
                "smsd deletes sent files when `sent` is not set; smsgate keeps them in spool.sent".to_owned(),
            );
        }
        if !set("failed") {
            differences.push(
                "smsd deletes failed files when `failed` is not set; smsgate keeps them in spool.failed"
                    .to_owned(),
            );
        }
        if !set("report") {
            differences.push(
                "smsd puts status reports in `incoming` when `report` is not set; smsgate uses spool.report"
                    .to_owned(),
            );
        }
        // The charset follows incoming_utf8; smsgate decodes UCS2 exactly
        // when it writes UTF-8.
        let charset = if self.incoming_utf8 {
            "utf-8"
        } else {
            "iso-8859-15"
        };
        self.spool_settings
            .insert(0, ("incoming-charset", toml_string(charset)));
        differences.push(match (self.incoming_utf8, self.decode_unicode_text) {
            (true, true) => "received files: text in UTF-8, as smsd wrote them (incoming-charset = \"utf-8\", \
                             smsgate's default)"
                .to_owned(),
            (false, false) => "received files: text in ISO-8859-15 and Unicode text as raw UCS-2, as smsd wrote \
                               them (incoming-charset = \"iso-8859-15\"); smsgate's own default is UTF-8"
                .to_owned(),
            (true, false) => "received files: smsd wrote Unicode text as raw UCS-2 (decode_unicode_text = no) \
                              beside UTF-8 text; smsgate writes it as UTF-8 too (incoming-charset = \"utf-8\"), \
                              Alphabet: UTF-8"
                .to_owned(),
            (false, true) => "received files: text in ISO-8859-15 (incoming-charset = \"iso-8859-15\"), but \
                              smsd converted Unicode text to ISO-8859-15 (decode_unicode_text = yes); smsgate \
                              writes it as raw UCS-2 (Alphabet: UCS2), losing no character"
                .to_owned(),
        });
        if !self.alphabet_utf8 {
            differences.push(
                "outgoing files without Alphabet: smsd reads them as UTF-8 when they are, else as ISO-8859-15 \
                 (alphabet = ISO, its default); smsgate reads UTF-8 only and moves a file that is not to failed/ \
                 with the reason: give ISO-8859-15 files `Alphabet: ISO`"
                    .to_owned(),
            );
        }
        self.differences.splice(0..0, differences);
    }

    /// One modem, from its layers: `[default]`, its group, its own
    /// section, in that order, each present or not.
    pub(super) fn modem(&mut self, name: &str, layers: &[&Section]) -> Result<(), SmsdConfError> {
        let mut merged: Vec<(&str, &Entry)> = Vec::new();
        for layer in layers {
            for entry in self.latest(&layer.entries, Some(&layer.name), Scope::Modem) {
                let key = canonical(&entry.key, Scope::Modem);
                if !accumulates(key) {
                    merged.retain(|(_, earlier)| canonical(&earlier.key, Scope::Modem) != key);
                }
                merged.push((layer.name.as_str(), entry));
            }
        }
        let find = |key: &str| {
            merged
                .iter()
                .find(|(_, entry)| entry.key == key)
                .map(|(_, entry)| *entry)
        };
        let Some(device_entry) = find("device") else {
            let group = values::group_of(name)
                .map(|group| format!("[{group}], "))
                .unwrap_or_default();
            return Err(SmsdConfError {
                line: self.devices_line,
                message: format!(
                    "devices: modem {name} has no `device` (smsd refuses that too): set it in [{name}], {group}or [default]"
                ),
            });
        };
        let network = device_entry.value.starts_with('@');
        let telnet_login = find("telnet_login").is_some();
        let mut port = Table::new();
        let mut modem = Table::new();
        let mut init: Vec<(bool, String)> = Vec::new();
        let target = |key: &str, table: &str| format!("{table}.{}.{key}", values::toml_key(name));
        for (section, entry) in merged.iter().copied() {
            let section = Some(section);
            let value = entry.value.as_str();
            let key = canonical(&entry.key, Scope::Modem);
            if self.production_modem(section, entry, name, &mut modem)?
                || self.admin_modem(section, entry, name, &mut modem)?
            {
                continue;
            }
            match key {
                "device" => {
                    let device = values::device(entry, &values::with_modem_name(value, name))?;
                    port.push(("device", toml_string(&device)));
                    self.carry(
                        section,
                        entry,
                        format!("{} = {}", target("device", "ports"), toml_string(&device)),
                    );
                }
                "baudrate" => {
                    let number = self.number(entry)?;
                    port.push(("baud-rate", number.to_string()));
                    self.carry(section, entry, target("baud-rate", "ports"));
                }
                "rtscts" => {
                    let flow = if values::yes_no(entry)? {
                        "hardware"
                    } else {
                        "none"
                    };
                    port.push(("flow-control", toml_string(flow)));
                    self.carry(section, entry, target("flow-control", "ports"));
                }
                "pin" if value.eq_ignore_ascii_case("ignore") || value.is_empty() => {
                    self.carry(section, entry, "no PIN is sent, as in smsd");
                }
                "pin" => {
                    port.push(("sim-pin", toml_string(value)));
                    self.carry(section, entry, target("sim-pin", "ports"));
                }
                "init" | "init2" => {
                    init.push((key == "init2", value.to_owned()));
                    self.carry(section, entry, target("init", "ports"));
                }
                "queues" => {
                    let queues = values::list(&values::with_modem_name(value, name));
                    modem.push(("queues", toml_list(&queues)));
                    self.carry(section, entry, target("queues", "modems"));
                }
                "incoming" => {
                    modem.push(("receive", values::incoming(entry)?.to_string()));
                    self.carry(section, entry, target("receive", "modems"));
                }
                // smsd's default, yes, is smsgate's too: only a receive-only
                // modem is written.
                "outgoing" if values::yes_no(entry)? => {
                    self.carry(section, entry, "smsd's default and smsgate's")
                }
                "outgoing" => {
                    modem.push(("send", "false".to_owned()));
                    self.carry(section, entry, target("send", "modems"));
                }
                "report" => {
                    let report = values::report(entry)?;
                    modem.push(("report", (report == Report::Yes).to_string()));
                    self.carry(section, entry, target("report", "modems"));
                    if report == Report::Disabled {
                        let feature = "report = disabled (smsgate still asks for a report when a file says Report: yes)";
                        self.leave_out(section, entry, Reason::NotYet(feature.to_owned()));
                    }
                }
                "send_retries" | "autosplit" => {
                    let number = self.number(entry)?;
                    let toml_key = if key == "autosplit" {
                        "autosplit"
                    } else {
                        "send-retries"
                    };
                    modem.push((toml_key, number.to_string()));
                    self.carry(section, entry, target(toml_key, "modems"));
                }
                "validity" => {
                    modem.push(("validity", validity(value)));
                    self.carry(section, entry, target("validity", "modems"));
                }
                "smsc" if value.is_empty() => {
                    self.carry(section, entry, "the SIM's SMSC is used, as in smsd")
                }
                "smsc" => {
                    let number = if value.starts_with('+') {
                        value.to_owned()
                    } else {
                        format!("+{value}")
                    };
                    modem.push(("smsc", toml_string(&number)));
                    self.carry(section, entry, target("smsc", "modems"));
                }
                "smsc_pdu" => {
                    let in_pdu = values::yes_no(entry)?;
                    modem.push(("smsc-pdu", in_pdu.to_string()));
                    self.carry(section, entry, target("smsc-pdu", "modems"));
                }
                "text_is_pdu_key" if !value.is_empty() => {
                    modem.push(("text-is-pdu-key", toml_string(value)));
                    self.carry(section, entry, target("text-is-pdu-key", "modems"));
                }
                // smsgate only works in new-style PDU mode, and keeps the
                // port open and converts character sets: smsd's defaults.
                "mode" if value.eq_ignore_ascii_case("new") => {
                    self.carry(section, entry, "smsgate's only mode")
                }
                "keep_open" | "cs_convert" if values::yes_no(entry)? => {
                    self.carry(section, entry, "as smsgate always does");
                }
                "mode" => self.leave_out(
                    section,
                    entry,
                    Reason::Why("smsgate has only the new mode".to_owned()),
                ),
                "keep_open" => self.leave_out(
                    section,
                    entry,
                    Reason::Why("smsgate keeps the port open".to_owned()),
                ),
                "cs_convert" => self.leave_out(
                    section,
                    entry,
                    Reason::Why("smsgate always converts character sets".to_owned()),
                ),
                key if chores::is_chore(key) => {
                    let find_value = |key: &str| find(key).map(|entry| entry.value.clone());
                    self.modem_chore(name, section, entry, &find_value, &mut modem)?;
                }
                key if key.starts_with("telnet_") => self.telnet(section, entry, network, telnet_login),
                key => self.leave_out(section, entry, keys::modem(key)),
            }
        }
        if find("rtscts").is_none() {
            port.push(("flow-control", toml_string("hardware")));
            self.differences.push(format!(
                "modem {name}: rtscts is not set, and smsd's default is hardware flow control (RTS/CTS): written \
                 as flow-control = \"hardware\" (smsgate's own default is none)"
            ));
        }
        if !init.is_empty() {
            // smsd sends init before init2, whatever their order in the file.
            init.sort_by_key(|(second, _)| *second);
            let lines: Vec<String> = init.into_iter().map(|(_, line)| line).collect();
            port.push(("init", toml_list(&lines)));
        }
        for (key, value) in &self.modem_globals {
            if !modem.iter().any(|(modem_key, _)| modem_key == key) {
                modem.push((key, value.clone()));
            }
        }
        self.ports.push((name.to_owned(), port));
        self.modems.push((name.to_owned(), modem));
        Ok(())
    }

    fn telnet(&mut self, section: Option<&str>, entry: &Entry, network: bool, telnet_login: bool) {
        let reason = match entry.key.as_str() {
            _ if !network => Reason::Why(keys::NOT_NETWORK.to_owned()),
            "telnet_login_prompt"
            | "telnet_login_prompt_ignore"
            | "telnet_password"
            | "telnet_password_prompt"
                if !telnet_login =>
            {
                Reason::Why(keys::NO_TELNET_LOGIN.to_owned())
            }
            "telnet_crlf" => Reason::Why("smsgate speaks raw TCP and ends AT commands with CR".to_owned()),
            _ => Reason::NotYet(keys::TELNET.to_owned()),
        };
        self.leave_out(section, entry, reason);
    }

    /// Lists the `[default]` or group settings that no modem used: every
    /// modem they apply to sets them itself.
    pub(super) fn unused_shared_settings(&mut self, section: &Section) {
        for entry in &section.entries {
            let seen = self.carried.iter().any(|carried| carried.line == entry.line)
                || self.unhonoured.iter().any(|listed| listed.line == entry.line);
            if !seen {
                let reason = Reason::Why("every modem it applies to sets it in its own section".to_owned());
                self.leave_out(Some(&section.name), entry, reason);
            }
        }
    }

    pub(super) fn queue_directories(&mut self, section: &Section) {
        for entry in self.latest(&section.entries, Some(&section.name), Scope::Queues) {
            self.queue_dirs
                .push((entry.written_key.clone(), entry.value.clone()));
            self.carry(
                Some(&section.name),
                entry,
                format!("queues.{}.directory", values::toml_key(&entry.written_key)),
            );
        }
    }

    pub(super) fn providers(&mut self, section: &Section) {
        for entry in self.latest(&section.entries, Some(&section.name), Scope::Queues) {
            self.queue_prefixes
                .push((entry.written_key.clone(), values::list(&entry.value)));
            self.carry(
                Some(&section.name),
                entry,
                format!("queues.{}.prefixes", values::toml_key(&entry.written_key)),
            );
        }
    }
}
