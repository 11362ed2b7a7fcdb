//! The daemon's configuration (`smsgate run --config FILE`): the spool, the
//! modems and the queues they serve, the smstools3-style hooks, the retry
//! and blocking limits, and number classification.
//!
//! It is the same file as `config.rs`'s `smsgate.toml`: the modems'
//! serial settings live in its `[ports.NAME]` sections, so `smsgate send
//! gsm1` and the daemon's modem `gsm1` use one definition.
//!
//! ```toml
//! [spool]
//! base = "/var/spool/sms"          # outgoing/, checked/, failed/, ... under it
//! sent = "/srv/sms/sent"           # any directory may be set on its own
//! unknown-outcome = "fail"         # or "resend": a send cut off by a crash
//! include-dir = "/etc/sms/include" # `Include:` reads only files under it; unset: refused
//! max-outgoing-bytes = 1048576     # a larger outgoing file goes to failed/ unread
//! trust-outgoing = false           # true: take a file at once, not when it is whole
//! file-mode = "0640"               # received files, reports, state; whatever the umask
//! dir-mode = "0750"                # directories the daemon creates
//! incoming-charset = "utf-8"       # or "iso-8859-15": smsd's default (raw UCS2 text)
//! store-received-pdu = 1           # smsd's 0-3: PDU: lines in received files
//! store-sent-pdu = 1               # smsd's 0-3: PDU: lines in sent/ and failed/ files
//! national-tables = ["turkish"]    # tried before UCS2 for text GSM's default tables lack
//!
//! [ports.gsm1]
//! device = "/dev/ttyUSB0"
//!
//! [modems.gsm1]                    # port = "gsm1" by default: the same name
//! queues = ["o2"]                  # in order; none: the default queue, checked/
//! send-retries = 2                 # and block-after, block-time-s: from [limits]
//! report = true                    # request status reports unless the file says
//! autosplit = 3                    # smstools3's 0-3
//! validity = "2 days"              # or 0-255
//! smsc = "+4917200000"              # set with AT+CSCA, as smsd does
//! smsc-pdu = false                 # true: the SMSC goes into every PDU instead (smsd's smsc_pdu)
//! text-is-pdu-key = "4917299999"   # Text_is_pdu files must name it as To: (smsd's text_is_pdu_key)
//! receive = true                   # read incoming messages (smsd's `incoming`, RouterOS's `receive-enabled`)
//! polling = false                  # list the storage every 10 s (modems without +CMTI)
//! auto-erase = false               # with receive off: a full storage loses its oldest message
//! send = true                      # false: receive only, no queue (smsd's `outgoing = no`)
//!
//! [queues.o2]                      # smstools3's [queues] and [providers]
//! prefixes = ["49176", "49179"]
//! directory = "/var/spool/sms/o2"  # default: base/NAME
//!
//! [handlers]
//! eventhandler = "/usr/local/bin/sms-event"
//! checkhandler = "/usr/local/bin/sms-check"
//! alarmhandler = "/usr/local/bin/sms-alarm"
//! alarm-level = 4                  # 2 (critical) to 5
//! timeout-s = 60                   # a handler still running then is killed
//!
//! [limits]
//! retry-interval-s = 10            # smsd's errorsleeptime
//! send-retries = 2
//! block-after = 3                  # failures in a row that block a modem
//! block-time-s = 3600
//! incomplete-after-s = 86400       # parts of a long message wait this long for the rest
//!
//! [numbering]
//! international-prefixes = ["49"]
//! national-prefixes = ["0"]
//!
//! [control]                        # `smsgate send/inbox/...` reach the daemon's modems here
//! socket = "/run/smsgate.sock"     # default: base/smsgate.sock, mode 0600
//! enabled = true                   # false: no control socket
//!
//! [sms-commands]                   # `:cmd SECRET script NAME VAR=VAL` by SMS
//! secret = "slepens"               # every key: daemon_config/commands.rs
//! allowed-numbers = ["+37120000000"]
//!
//! [scripts.backup]                 # run by `:cmd slepens script backup`
//! program = "/usr/local/bin/backup"
//! ```
//!
//! Reading is ripgrep's low/high split: serde reads the raw sections
//! (unknown keys refused, so a misspelt `sned-retries` is not silently
//! ignored), then [`DaemonConfig::parse`] checks what only the whole file can
//! tell (a queue no modem serves, two modems on one device) and gives the
//! validated values. Every error names the file, the line and the key;
//! all problems are reported at once, one per line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context};
use modem::PortAddress;
use serde::Deserialize;
use sms_pdu::split::Autosplit;
use toml::Spanned;

use crate::config::{line_of, PortSection, RawPort};
use crate::spool_dir::FileModes;
pub use admin::{ModemAdmin, SpoolAdmin};
pub use smsd_features::{Copies, ModemFeatures, SpoolFeatures};

/// Where smstools3 keeps its spool, and so the default base.
pub const DEFAULT_SPOOL_BASE: &str = "/var/spool/sms";

/// A validated daemon configuration.
#[derive(Clone, Debug)]
pub struct DaemonConfig {
    /// `lock-dir`.
    pub lock_dir: Option<PathBuf>,
    /// `[ports.NAME]`, as `smsgate send` reads them.
    pub ports: BTreeMap<String, PortSection>,
    pub spool: SpoolDirs,
    /// `[modems.NAME]`, by name.
    pub modems: BTreeMap<String, ModemSettings>,
    /// `[queues.NAME]`, by name.
    pub queues: BTreeMap<String, QueueSettings>,
    pub handlers: Handlers,
    pub limits: Limits,
    pub numbering: Numbering,
    /// `[spool] unknown-outcome`.
    pub unknown_outcome: UnknownOutcome,
    /// `[spool] include-dir`: the only directory `Include:` may read from;
    /// none: `Include:` is refused.
    pub include_dir: Option<PathBuf>,
    /// `[spool] max-outgoing-bytes`: a larger outgoing file is refused by
    /// its size, unread.
    pub max_outgoing_bytes: u64,
    /// `[spool] trust-outgoing` (smstools3's `trust_outgoing`): a file is
    /// taken as soon as it is seen, not once it is whole
    /// (`settle.rs`).
    pub trust_outgoing: bool,
    /// `[spool] file-mode`, `dir-mode`.
    pub modes: FileModes,
    /// `[spool] incoming-charset`, `store-received-pdu`.
    pub incoming_format: spool::incoming::IncomingFormat,
    /// `[spool] store-sent-pdu`.
    pub store_sent_pdu: spool::StoreSentPdu,
    /// `[spool] national-tables`: tried, in order, for UTF-8 text the
    /// default GSM tables cannot write, before UCS2.
    pub national_tables: Vec<sms_pdu::NationalLanguage>,
    /// `[control] socket` (default `base/smsgate.sock`); none: `enabled =
    /// false`.
    pub control_socket: Option<PathBuf>,
    /// `[sms-commands]` with its `[scripts.NAME]`; none: `:cmd` messages
    /// are ordinary messages.
    pub sms_commands: Option<commands::SmsCommands>,
    /// `[status] file` and `interval-s`: where the daemon's status is
    /// written, and how often (smsd's `stats`/`status_interval`).
    pub status_file: Option<crate::status_file::StatusFile>,
    /// `[spool]`'s smstools3 production settings: recipient lists,
    /// copies, names in `sent/` and `failed/`.
    pub features: SpoolFeatures,
    /// `[http]`: the HTTP API (http/); none: off.
    pub(crate) http: Option<crate::http::config::HttpSettings>,
    /// `[[webhooks]]` (webhooks/).
    pub(crate) webhooks: Vec<crate::webhooks::config::WebhookSettings>,
    /// Not read from the file: the daemon's event bus (events.rs), made
    /// with the config so that every part holding it can publish.
    pub(crate) events: crate::events::EventBus,
    /// Not read from the file: cancels over the HTTP API, which the
    /// scheduler asks before each start (http/cancel.rs).
    pub(crate) cancels: crate::http::cancel::CancelGate,
    /// Not read from the file: the scheduler's blocked modems, and a way
    /// to unblock one (modem_states.rs).
    pub(crate) modem_states: crate::modem_states::ModemStates,
}

/// What to do with a file whose send was cut off (smsgate killed, the
/// port lost) after a PDU went to the modem and before its answer: the
/// message may or may not have gone out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownOutcome {
    /// Move it to `failed/`, flagged, and say why: nothing is sent twice.
    #[default]
    Fail,
    /// Send it again (flagged in the `sent/` file): nothing is lost.
    Resend,
}

/// `[spool]`: every directory resolved (`base/NAME` unless set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpoolDirs {
    /// `base`: the journal lives here.
    pub base: PathBuf,
    pub outgoing: PathBuf,
    pub checked: PathBuf,
    pub failed: PathBuf,
    pub incoming: PathBuf,
    pub report: PathBuf,
    pub sent: PathBuf,
    pub saved: PathBuf,
    pub phonecalls: PathBuf,
}

/// One `[modems.NAME]`, with the defaults of `[limits]` filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModemSettings {
    /// The `[ports.NAME]` it uses.
    pub port: String,
    /// The device of that port (`channel` picked among `devices`).
    pub device: PortAddress,
    /// The queues it serves, in order; empty: the default queue.
    pub queues: Vec<String>,
    pub receive: bool,
    /// `polling` (RouterOS): list the storage every 10 s, for modems
    /// that give no new-message indication.
    pub polling: bool,
    /// `auto-erase` (RouterOS): with reception off, a full storage has its
    /// oldest message deleted so that new ones still arrive.
    pub auto_erase: bool,
    /// `send`: whether files are handed to it (smsd's `outgoing`); false:
    /// a receive-only modem.
    pub send: bool,
    pub send_retries: u32,
    pub block_after: u32,
    pub block_time: Duration,
    pub report: bool,
    pub autosplit: Autosplit,
    /// TP-VP, relative format; none: no validity period in the PDU.
    pub validity: Option<u8>,
    /// smsd's `smsc`: by default set with `AT+CSCA` and the PDUs' SMSC
    /// field left empty, as smsd does.
    pub smsc: Option<String>,
    /// smsd's `smsc_pdu`: put the SMSC into each PDU instead of `AT+CSCA`.
    pub smsc_pdu: bool,
    /// smsd's `text_is_pdu_key`: the `To:` a `Text_is_pdu: yes` file must
    /// name for its body to be sent as a ready-made PDU.
    pub text_is_pdu_key: Option<String>,
    /// Its own eventhandler, USSD handler, number and description.
    pub features: ModemFeatures,
    /// `[modems.NAME.limits]`: per-SIM caps (`daemon_config/sim_limits.rs`).
    pub sim_limits: crate::sim_limits::SimLimits,
    /// smsd's chores around sending: `daemon_config/modem_tasks.rs`.
    pub tasks: modem_tasks::ModemTasks,
}

/// One `[queues.NAME]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// Numbers starting with one of these go to this queue.
    pub prefixes: Vec<String>,
    pub directory: PathBuf,
}

/// `[handlers]`: smstools3's hooks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Handlers {
    pub eventhandler: Option<PathBuf>,
    pub checkhandler: Option<PathBuf>,
    pub alarmhandler: Option<PathBuf>,
    /// Alarms of this severity or worse call the alarm handler (syslog
    /// levels: 2 critical ... 5 notice).
    pub alarm_level: u8,
    /// `timeout-s`: how long any handler may run before it is killed (a
    /// checkhandler killed so rejects its file).
    pub timeout: Duration,
}

/// `[limits]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The wait before retrying after a modem error (smsd's
    /// `errorsleeptime`).
    pub retry_interval: Duration,
    pub send_retries: u32,
    pub block_after: u32,
    pub block_time: Duration,
    /// `incomplete-after-s`: how long the parts of a long message wait for
    /// the missing ones before what arrived is delivered, marked
    /// `Incomplete: yes`.
    pub incomplete_after: Duration,
    /// `max-parts`: the most parts one message may be split into; a longer
    /// one is refused, not silently sent as a heap of SMS.
    pub max_parts: u16,
}

/// `[numbering]`: how numbers without `+` are classified (the type of
/// address), as smstools3's settings of the same names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Numbering {
    pub international_prefixes: Vec<String>,
    pub national_prefixes: Vec<String>,
}

impl Limits {
    /// smstools3's defaults: errorsleeptime 10, send_retries 2, blockafter
    /// 3, blocktime 3600; smstools3 waits for missing parts for ever, we
    /// for a day.
    pub const DEFAULT: Limits = Limits {
        retry_interval: Duration::from_secs(10),
        send_retries: 2,
        block_after: 3,
        block_time: Duration::from_secs(3600),
        incomplete_after: Duration::from_secs(24 * 3600),
        max_parts: DEFAULT_MAX_PARTS,
    };

    /// The one check of a message's number of parts, for `smsgate send`
    /// (with `--max-parts`) and for the daemon's spool files: `Err` with
    /// the reason (which names the count) when `n_parts` is over
    /// `max_parts`. `setting` names where the limit comes from.
    pub fn check_parts(max_parts: u16, n_parts: usize, setting: &str) -> Result<(), String> {
        if n_parts > usize::from(max_parts) {
            return Err(format!(
                "the text needs {n_parts} parts, more than {setting} {max_parts}; shorten it or raise the limit"
            ));
        }
        Ok(())
    }
}

/// The default `[limits] max-parts` and `send --max-parts`.
pub const DEFAULT_MAX_PARTS: u16 = 10;

/// smstools3's default `alarmlevel`.
pub const DEFAULT_ALARM_LEVEL: u8 = 4;

/// The default `[handlers] timeout-s`.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(60);

impl DaemonConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> anyhow::Result<DaemonConfig> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        DaemonConfig::parse(&text, path)
    }

    /// Parses and checks `text`, read from `path` (named in errors): every
    /// problem, one per line, in the order of the file.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<DaemonConfig> {
        let (raw, problems) = read::raw_config(text, path);
        let mut checker = Checker { path, text, problems };
        let config = raw.map(|mut raw| {
            let ports = checker.ports(std::mem::take(&mut raw.ports));
            checker.check(raw, ports)
        });
        match config {
            Some(config) if checker.problems.is_empty() => Ok(config),
            _ => {
                // Stable: problems on one line keep the order they were found in.
                checker.problems.sort_by_key(|(line, _)| *line);
                let problems: Vec<String> =
                    checker.problems.into_iter().map(|(_, problem)| problem).collect();
                Err(anyhow!("{}", problems.join("\n")))
            }
        }
    }
}

/// The high-level step: raw sections in, validated values out, problems
/// collected.
pub struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    /// Each problem with its line, to report them in the file's order.
    problems: Vec<(usize, String)>,
}

impl Checker<'_> {
    pub fn problem(&mut self, offset: usize, key: &str, message: &str) {
        let line = line_of(self.text, offset);
        self.problems.push((
            line,
            format!("{}: line {line}: {key}: {message}", self.path.display()),
        ));
    }

    /// How many problems were found so far.
    pub fn n_problems(&self) -> usize {
        self.problems.len()
    }

    fn check(&mut self, raw: RawDaemonConfig, ports: BTreeMap<String, PortSection>) -> DaemonConfig {
        let base = raw
            .spool
            .base
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SPOOL_BASE));
        let unknown_outcome = match &raw.spool.unknown_outcome {
            None => UnknownOutcome::default(),
            Some(value) => match value.get_ref().as_str() {
                "fail" => UnknownOutcome::Fail,
                "resend" => UnknownOutcome::Resend,
                other => {
                    let message = format!("{other:?} is \"fail\" or \"resend\"");
                    self.problem(value.span().start, "spool.unknown-outcome", &message);
                    UnknownOutcome::default()
                }
            },
        };
        let include_dir = raw.spool.include_dir.as_ref().map(|dir| {
            if !dir.get_ref().is_absolute() {
                let message = format!(
                    "{} is relative; give an absolute path (the daemon's working directory is no anchor)",
                    dir.get_ref().display()
                );
                self.problem(dir.span().start, "spool.include-dir", &message);
            }
            dir.get_ref().clone()
        });
        let control_socket = match raw.control.enabled {
            Some(false) => None,
            _ => Some(raw.control.socket.unwrap_or_else(|| base.join("smsgate.sock"))),
        };
        let status_file = crate::status_file::check(self, &raw.status, &base);
        let (max_outgoing_bytes, modes) = self.spool_files(&raw.spool);
        let trust_outgoing = raw.spool.trust_outgoing.unwrap_or(false);
        let (incoming_format, store_sent_pdu) = self.spool_formats(&raw.spool);
        let national_tables = self.national_tables(&raw.spool);
        let mut raw_spool = raw.spool;
        let admin_modem = raw_spool.admin_message_modem.clone();
        let features = self.spool_features(&mut raw_spool);
        let spool = self.spool(raw_spool, &base);
        let http = self.http(raw.http);
        let webhooks = self.webhooks(raw.webhooks);
        let limits = self.limits(raw.limits);
        let raw_queues = raw.queues;
        let raw_modems = raw.modems;
        let mut queues = BTreeMap::new();
        for (name, raw_queue) in &raw_queues {
            for prefix in &raw_queue.prefixes {
                if !is_queue_prefix(prefix.get_ref()) {
                    self.problem(
                        prefix.span().start,
                        &format!("queues.{}.prefixes", name.get_ref()),
                        &format!(
                            "{:?} is not digits (optionally after `s`, short numbers)",
                            prefix.get_ref()
                        ),
                    );
                }
            }
            let directory = raw_queue
                .directory
                .as_ref()
                .map(|dir| dir.get_ref().clone())
                .unwrap_or_else(|| base.join(name.get_ref()));
            // Files are taken from a queue's directory as belonging to that
            // queue: sharing it with another queue or a spool directory
            // would send them through the wrong modems.
            let spool_dirs = [
                ("spool.outgoing", &spool.outgoing),
                ("spool.checked", &spool.checked),
                ("spool.failed", &spool.failed),
                ("spool.incoming", &spool.incoming),
                ("spool.report", &spool.report),
                ("spool.sent", &spool.sent),
                ("spool.saved", &spool.saved),
                ("spool.phonecalls", &spool.phonecalls),
            ];
            let clash = spool_dirs
                .iter()
                .find(|(_, dir)| **dir == directory)
                .map(|(key, _)| (*key).to_owned())
                .or_else(|| {
                    queues
                        .iter()
                        .find(|(_, queue): &(&String, &QueueSettings)| queue.directory == directory)
                        .map(|(other, _)| format!("queues.{other}.directory"))
                });
            if let Some(other) = clash {
                let offset = raw_queue
                    .directory
                    .as_ref()
                    .map_or(name.span().start, |dir| dir.span().start);
                self.problem(
                    offset,
                    &format!("queues.{}.directory", name.get_ref()),
                    &format!(
                        "{} is also {other}; each queue needs a directory of its own",
                        directory.display()
                    ),
                );
            }
            queues.insert(
                name.get_ref().clone(),
                QueueSettings {
                    prefixes: raw_queue
                        .prefixes
                        .iter()
                        .map(|prefix| prefix.get_ref().clone())
                        .collect(),
                    directory,
                },
            );
        }
        let mut modems = BTreeMap::new();
        let mut device_users: Vec<(PortAddress, String)> = Vec::new();
        for (name, raw_modem) in &raw_modems {
            let modem_name = name.get_ref().clone();
            let key = |field: &str| format!("modems.{modem_name}.{field}");
            let (port, port_offset) = match &raw_modem.port {
                Some(port) => (port.get_ref().clone(), port.span().start),
                None => (modem_name.clone(), name.span().start),
            };
            let device = match ports.get(&port) {
                None => {
                    let message = format!(
                        "no [ports.{port}] for it (ports: {}); add one, or name one with `port = \"NAME\"`",
                        names(ports.keys())
                    );
                    self.problem(port_offset, &key("port"), &message);
                    None
                }
                Some(section) => self.pick_device(section, raw_modem.channel.as_ref(), port_offset, &key),
            };
            // A modem found by identity has its port bound at start
            // (port_identity.rs), one port per modem.
            let by_identity = ports.get(&port).is_some_and(|section| section.identity.is_some());
            if let Some(device) = device.as_ref().filter(|_| !by_identity) {
                if let Some((_, user)) = device_users.iter().find(|(used, _)| used == device) {
                    let message = format!("device {device} is already used by modem {user}");
                    self.problem(port_offset, &key("port"), &message);
                } else {
                    device_users.push((device.clone(), modem_name.clone()));
                }
            }
            for queue in &raw_modem.queues {
                if !queues.contains_key(queue.get_ref()) {
                    let message = format!(
                        "no [queues.{}] (queues: {})",
                        queue.get_ref(),
                        names(queues.keys())
                    );
                    self.problem(queue.span().start, &key("queues"), &message);
                }
            }
            if let (Some(send), Some(queue)) = (&raw_modem.send, raw_modem.queues.first()) {
                if !send.get_ref() {
                    let message = "a modem with `send = false` sends nothing, so it serves no queue";
                    self.problem(queue.span().start, &key("queues"), message);
                }
            }
            let block_after = match &raw_modem.block_after {
                Some(block_after) => self.block_after(block_after, &key("block-after")),
                None => limits.block_after,
            };
            let autosplit = match &raw_modem.autosplit {
                None => Autosplit::Concatenated,
                Some(mode) => Autosplit::from_smstools(*mode.get_ref()).unwrap_or_else(|| {
                    self.problem(mode.span().start, &key("autosplit"), "is 0, 1, 2 or 3");
                    Autosplit::Concatenated
                }),
            };
            let validity = raw_modem
                .validity
                .as_ref()
                .and_then(|validity| self.validity(validity, &key("validity")));
            if let Some(smsc) = &raw_modem.smsc {
                if !is_phone_number(smsc.get_ref()) {
                    self.problem(
                        smsc.span().start,
                        &key("smsc"),
                        "is a number: digits, optionally after `+`",
                    );
                }
            }
            let features = self.modem_features(
                &modem_name,
                raw_modem.eventhandler.as_ref(),
                raw_modem.eventhandler_ussd.as_ref(),
                raw_modem.number.as_ref(),
                raw_modem.description.as_ref(),
            );
            let sim_limits = self.sim_limits(raw_modem.limits.as_ref(), &key);
            let tasks = self.modem_tasks(
                modem_tasks::RawModemTasks {
                    check_network: raw_modem.check_network,
                    receive_before_send: raw_modem.receive_before_send,
                    max_continuous_sending_s: raw_modem.max_continuous_sending_s.as_ref(),
                    hangup_incoming_call: raw_modem.hangup_incoming_call,
                    phonecalls: raw_modem.phonecalls,
                    regular_run: raw_modem.regular_run.as_ref(),
                },
                &key,
            );
            let features = ModemFeatures {
                admin: self.modem_admin(
                    &modem_name,
                    raw_modem.admin_to.as_ref(),
                    raw_modem.admin_message_limit,
                    raw_modem.admin_message_count_clear_min.as_ref(),
                ),
                ..features
            };
            let Some(device) = device else { continue };
            modems.insert(
                modem_name.clone(),
                ModemSettings {
                    port,
                    device,
                    queues: raw_modem
                        .queues
                        .iter()
                        .map(|queue| queue.get_ref().clone())
                        .collect(),
                    receive: raw_modem.receive,
                    polling: raw_modem.polling,
                    auto_erase: raw_modem.auto_erase,
                    send: raw_modem.send.as_ref().is_none_or(|send| *send.get_ref()),
                    send_retries: raw_modem.send_retries.unwrap_or(limits.send_retries),
                    block_after,
                    block_time: raw_modem
                        .block_time_s
                        .map_or(limits.block_time, Duration::from_secs),
                    report: raw_modem.report,
                    autosplit,
                    validity,
                    smsc: raw_modem.smsc.as_ref().map(|smsc| smsc.get_ref().clone()),
                    smsc_pdu: raw_modem.smsc_pdu,
                    text_is_pdu_key: raw_modem.text_is_pdu_key.clone(),
                    features,
                    sim_limits,
                    tasks,
                },
            );
        }
        for name in raw_queues.keys() {
            let served = raw_modems.values().any(|raw_modem| {
                raw_modem
                    .queues
                    .iter()
                    .any(|queue| queue.get_ref() == name.get_ref())
            });
            if !served {
                let message = "no modem serves this queue (add it to some modem's `queues`)";
                self.problem(name.span().start, &format!("queues.{}", name.get_ref()), message);
            }
        }
        let handlers = Handlers {
            eventhandler: raw.handlers.eventhandler,
            checkhandler: raw.handlers.checkhandler,
            alarmhandler: raw.handlers.alarmhandler,
            alarm_level: match raw.handlers.alarm_level {
                None => DEFAULT_ALARM_LEVEL,
                Some(level) => {
                    if !(2..=5).contains(level.get_ref()) {
                        self.problem(
                            level.span().start,
                            "handlers.alarm-level",
                            "is 2 (critical) to 5 (notice)",
                        );
                    }
                    *level.get_ref()
                }
            },
            timeout: match raw.handlers.timeout_s {
                None => DEFAULT_HANDLER_TIMEOUT,
                Some(seconds) => {
                    if *seconds.get_ref() == 0 {
                        self.problem(
                            seconds.span().start,
                            "handlers.timeout-s",
                            "must be at least 1 (seconds a handler may run before it is killed)",
                        );
                    }
                    Duration::from_secs(*seconds.get_ref())
                }
            },
        };
        let numbering = Numbering {
            international_prefixes: self.digit_list(raw.numbering.international_prefixes, "international"),
            national_prefixes: self.digit_list(raw.numbering.national_prefixes, "national"),
        };
        self.check_admin_modem(admin_modem.as_ref(), &modems);
        let sms_commands = self.sms_commands(raw.sms_commands, raw.scripts, &modems);
        let cancels = crate::http::cancel::CancelGate::new(&spool.base);
        DaemonConfig {
            features,
            lock_dir: raw.lock_dir,
            ports,
            spool,
            modems,
            queues,
            handlers,
            limits,
            numbering,
            unknown_outcome,
            include_dir,
            max_outgoing_bytes,
            trust_outgoing,
            modes,
            incoming_format,
            store_sent_pdu,
            national_tables,
            control_socket,
            sms_commands,
            http,
            webhooks,
            events: Default::default(),
            cancels,
            modem_states: Default::default(),
            status_file,
        }
    }

    fn digit_list(&mut self, prefixes: Vec<Spanned<String>>, kind: &str) -> Vec<String> {
        let key = format!("numbering.{kind}-prefixes");
        prefixes
            .into_iter()
            .map(|prefix| {
                let text = prefix.get_ref();
                if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
                    self.problem(prefix.span().start, &key, &format!("{text:?} is not digits"));
                }
                prefix.into_inner()
            })
            .collect()
    }
}

/// A prefix of `[queues.NAME] prefixes`: digits, optionally after `s`
/// (smstools3's mark for short numbers).
fn is_queue_prefix(prefix: &str) -> bool {
    let digits = prefix.strip_prefix('s').unwrap_or(prefix);
    !prefix.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
}

fn is_phone_number(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
}

fn names<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&str> = keys.map(String::as_str).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

mod admin;
pub mod commands;
mod limits;
pub mod modem_tasks;
mod modems;
mod raw;
mod read;
mod sim_limits;
mod smsd_features;
mod spool_section;

pub use raw::RawDaemonConfig;
use raw::*;

#[cfg(test)]
mod tests;
