//! The configuration file, `smsgate.toml`: named ports, as RouterOS names
//! them in `/port`, so that `smsgate send usb3 ...` needs no device path.
//!
//! ```toml
//! lock-dir = "/var/lock"            # where LCK..<device> files go
//!
//! [ports.usb3]
//! device = "/dev/ttyUSB2"           # or "tcp://host:port"
//! baud-rate = 115200
//! flow-control = "none"             # "software", "hardware"
//! sim-pin = "1234"
//! sms-storage = "sim"               # "modem"
//! init = ["AT^CURC=0"]              # sent after smsgate's own set-up
//!
//! [ports.lte1]
//! devices = ["/dev/ttyUSB0", "/dev/ttyUSB2"]   # --channel N picks one
//! ```
//!
//! Timeouts in milliseconds, all optional: `handshake-timeout-ms` (2000),
//! `send-timeout-ms` (60000), `registration-timeout-ms` (30000),
//! `ussd-timeout-ms` (30000).
//!
//! The file has one schema and one loader, the daemon's
//! ([`DaemonConfig::load`], `daemon_config.rs`): `smsgate send`, `inbox`,
//! `ussd`, `at-chat`, `status` and `run` read it alike, so a section one
//! of them does not use is still checked, never refused as unknown.
//! Unknown keys are errors, not ignored: a misspelt `sim-pn` would
//! otherwise leave the SIM locked with no hint why. Every error names the
//! file, the line and the key, and every problem is reported at once.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use modem::{FlowControl, PortAddress, SmsStorage};
use serde::Deserialize;
use toml::Spanned;

use crate::daemon_config::{Checker, DaemonConfig};

/// The file looked for first when `--config` is not given (then
/// config_path.rs's system file).
pub const DEFAULT_PATH: &str = "smsgate.toml";

/// Where lock files go unless the configuration says otherwise.
pub const DEFAULT_LOCK_DIR: &str = "/var/lock";

/// A configuration file, read and checked as a whole.
#[derive(Debug)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// All of it, as the daemon reads it.
    pub settings: DaemonConfig,
}

/// One `[ports.NAME]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSection {
    /// The modem's interfaces; `channel` picks one (one for `device`).
    pub devices: Vec<PortAddress>,
    pub baud_rate: Option<u32>,
    pub flow_control: Option<FlowControl>,
    pub sim_pin: Option<String>,
    pub sms_storage: Option<SmsStorage>,
    pub init: Vec<String>,
    pub handshake_timeout: Option<Duration>,
    pub send_timeout: Option<Duration>,
    pub registration_timeout: Option<Duration>,
    pub ussd_timeout: Option<Duration>,
    /// The modem is found by identity (`imei`, `iccid`) or by a glob in
    /// `device` (port_identity.rs): probed for at start; `devices` then
    /// holds the first glob until a port is bound.
    pub identity: Option<crate::port_identity::Wanted>,
}

impl ConfigFile {
    /// Reads and checks `path`, the whole file.
    pub fn load(path: &Path) -> anyhow::Result<ConfigFile> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        ConfigFile::parse(&text, path)
    }

    /// Parses and checks `text`, read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<ConfigFile> {
        Ok(ConfigFile {
            path: path.to_path_buf(),
            settings: DaemonConfig::parse(text, path)?,
        })
    }

    /// `[ports.NAME]`, by name.
    pub fn ports(&self) -> &BTreeMap<String, PortSection> {
        &self.settings.ports
    }

    /// `lock-dir`.
    pub fn lock_dir(&self) -> Option<&Path> {
        self.settings.lock_dir.as_deref()
    }

    /// The names of the ports, for an error message.
    pub fn port_names(&self) -> String {
        let mut names = String::new();
        for (name_idx, name) in self.ports().keys().enumerate() {
            let _ = write!(names, "{}{name}", if name_idx == 0 { "" } else { ", " });
        }
        if names.is_empty() {
            names.push_str("none");
        }
        names
    }
}

impl Checker<'_> {
    /// Checks the `[ports.NAME]` sections, every problem noted; a port
    /// with a problem is left out.
    pub fn ports(&mut self, raw_ports: BTreeMap<Spanned<String>, RawPort>) -> BTreeMap<String, PortSection> {
        let mut ports = BTreeMap::new();
        for (name, section) in raw_ports {
            let name_offset = name.span().start;
            let name = name.into_inner();
            let key = |field: &str| format!("ports.{name}.{field}");
            let n_problems = self.n_problems();
            let device_texts: Vec<String> = section
                .device
                .iter()
                .map(|device| device.get_ref().clone())
                .chain(
                    section
                        .devices
                        .iter()
                        .flat_map(|devices| devices.get_ref().iter().map(|device| device.get_ref().clone())),
                )
                .collect();
            let identity = self.port_identity(
                &name,
                section.imei.as_ref(),
                section.iccid.as_ref(),
                &device_texts,
            );
            let devices = match (section.device, section.devices) {
                (Some(device), None) => vec![device],
                (None, Some(devices)) => {
                    if devices.get_ref().is_empty() {
                        self.problem(devices.span().start, &key("devices"), "is empty");
                    }
                    devices.into_inner()
                }
                (Some(device), Some(_)) => {
                    let message = "give either `device` or `devices`, not both";
                    self.problem(device.span().start, &format!("ports.{name}"), message);
                    Vec::new()
                }
                // Found by identity: the globs are the identity's; one
                // stands for the port until it is bound.
                (None, None) if identity.is_some() => {
                    let glob = crate::port_identity::DEFAULT_GLOBS[0].to_owned();
                    vec![Spanned::new(name_offset..name_offset, glob)]
                }
                (None, None) => {
                    let message = "has neither `device` nor `devices` (nor `imei` or `iccid`)";
                    self.problem(name_offset, &format!("ports.{name}"), message);
                    Vec::new()
                }
            };
            let devices: Vec<PortAddress> = devices
                .into_iter()
                .filter_map(|device| {
                    let span = device.span();
                    match device.into_inner().parse::<PortAddress>() {
                        Ok(address) => Some(address),
                        Err(err) => {
                            self.problem(span.start, &key("device"), &err.to_string());
                            None
                        }
                    }
                })
                .collect();
            let devices = match identity.is_some() {
                true => devices.into_iter().take(1).collect(),
                false => devices,
            };
            if let Some(pin) = &section.sim_pin {
                let digits = pin.get_ref();
                if !(4..=8).contains(&digits.len()) || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                    self.problem(pin.span().start, &key("sim-pin"), "a SIM PIN is 4 to 8 digits");
                }
            }
            let (init, init_offset) = match section.init {
                None => (Vec::new(), name_offset),
                Some(init) => {
                    let offset = init.span().start;
                    match init.into_inner() {
                        Init::One(line) => (vec![line], offset),
                        Init::Many(lines) => (lines, offset),
                    }
                }
            };
            for line in &init {
                if let Err(err) = at::Command::new(line.as_str()) {
                    self.problem(init_offset, &key("init"), &err.to_string());
                }
            }
            if self.n_problems() > n_problems {
                continue;
            }
            let millis = |value: Option<u64>| value.map(Duration::from_millis);
            ports.insert(
                name.clone(),
                PortSection {
                    devices,
                    baud_rate: section.baud_rate,
                    flow_control: section.flow_control.map(|flow| match flow {
                        RawFlowControl::None => FlowControl::None,
                        RawFlowControl::Software => FlowControl::Software,
                        RawFlowControl::Hardware => FlowControl::Hardware,
                    }),
                    sim_pin: section.sim_pin.map(Spanned::into_inner),
                    sms_storage: section.sms_storage.map(SmsStorage::from),
                    init,
                    handshake_timeout: millis(section.handshake_timeout_ms),
                    send_timeout: millis(section.send_timeout_ms),
                    registration_timeout: millis(section.registration_timeout_ms),
                    ussd_timeout: millis(section.ussd_timeout_ms),
                    identity,
                },
            );
        }
        ports
    }
}

/// One `[ports.NAME]` section as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPort {
    device: Option<Spanned<String>>,
    devices: Option<Spanned<Vec<Spanned<String>>>>,
    baud_rate: Option<u32>,
    flow_control: Option<RawFlowControl>,
    sim_pin: Option<Spanned<String>>,
    sms_storage: Option<Storage>,
    init: Option<Spanned<Init>>,
    handshake_timeout_ms: Option<u64>,
    send_timeout_ms: Option<u64>,
    registration_timeout_ms: Option<u64>,
    ussd_timeout_ms: Option<u64>,
    // Modems found by identity (port_identity.rs).
    imei: Option<Spanned<String>>,
    iccid: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawFlowControl {
    None,
    Software,
    Hardware,
}

/// RouterOS's `sms-storage` values, one type for every edge that takes
/// them: `sms-storage` here, `--sms-storage` on the command line (with
/// the `clap` feature), `storage` in a control request. The driver's
/// [`SmsStorage`] stays free of serde and clap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    /// The SIM card ("SM").
    Sim,
    /// The modem's memory ("ME").
    Modem,
}

impl From<Storage> for SmsStorage {
    fn from(storage: Storage) -> SmsStorage {
        match storage {
            Storage::Sim => SmsStorage::Sim,
            Storage::Modem => SmsStorage::Modem,
        }
    }
}

/// `init = "AT..."` or `init = ["AT...", "AT..."]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Init {
    One(String),
    Many(Vec<String>),
}

/// The driver's configuration for `address`, with a `[ports.NAME]`
/// section's settings if the port has one.
pub fn driver_config(
    address: PortAddress,
    section: Option<&PortSection>,
    lock_dir: PathBuf,
) -> modem::Config {
    let mut config = modem::Config::new(address);
    config.lock_dir = Some(lock_dir);
    if let Some(section) = section {
        if let Some(baud_rate) = section.baud_rate {
            config.serial.baud_rate = baud_rate;
        }
        if let Some(flow_control) = section.flow_control {
            config.serial.flow_control = flow_control;
        }
        config.sim_pin = section.sim_pin.clone();
        if let Some(storage) = section.sms_storage {
            config.sms_storage = storage;
        }
        config.init = section.init.clone();
        let timeouts = &mut config.timeouts;
        for (setting, value) in [
            (&mut timeouts.handshake, section.handshake_timeout),
            (&mut timeouts.send, section.send_timeout),
            (&mut timeouts.registration, section.registration_timeout),
            (&mut timeouts.ussd, section.ussd_timeout),
        ] {
            if let Some(value) = value {
                *setting = value;
            }
        }
    }
    config
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<ConfigFile> {
        ConfigFile::parse(text, Path::new("smsgate.toml"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    #[test]
    fn every_key() {
        let config = parse(
            r#"
lock-dir = "/run/lock"

[ports.usb3]
device = "/dev/ttyUSB2"
baud-rate = 9600
flow-control = "hardware"
sim-pin = "1234"
sms-storage = "modem"
init = "AT^CURC=0"
handshake-timeout-ms = 300
send-timeout-ms = 5000
registration-timeout-ms = 0
ussd-timeout-ms = 1000

[ports.lte1]
devices = ["/dev/ttyUSB0", "tcp://127.0.0.1:7000"]
init = ["AT+CNMI=1,1,0,0,0", "AT"]
"#,
        )
        .unwrap();
        assert_eq!(config.lock_dir(), Some(Path::new("/run/lock")));
        let usb3 = &config.ports()["usb3"];
        assert_eq!(usb3.devices, [PortAddress::Serial(PathBuf::from("/dev/ttyUSB2"))]);
        assert_eq!(usb3.baud_rate, Some(9600));
        assert_eq!(usb3.flow_control, Some(FlowControl::Hardware));
        assert_eq!(usb3.sim_pin.as_deref(), Some("1234"));
        assert_eq!(usb3.sms_storage, Some(SmsStorage::Modem));
        assert_eq!(usb3.init, ["AT^CURC=0"]);
        assert_eq!(usb3.handshake_timeout, Some(Duration::from_millis(300)));
        assert_eq!(usb3.send_timeout, Some(Duration::from_secs(5)));
        assert_eq!(usb3.registration_timeout, Some(Duration::ZERO));
        assert_eq!(usb3.ussd_timeout, Some(Duration::from_secs(1)));
        let lte1 = &config.ports()["lte1"];
        assert_eq!(lte1.devices[1], PortAddress::Tcp("127.0.0.1:7000".to_owned()));
        assert_eq!(lte1.init.len(), 2);
        assert_eq!(config.port_names(), "lte1, usb3");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_line_and_key() {
        let message = error("[ports.usb3]\ndevice = \"/dev/ttyUSB2\"\nsim-pn = \"1234\"\n");
        assert!(
            message.starts_with("smsgate.toml: line 3: unknown key \"sim-pn\" in [ports.usb3]"),
            "{message}"
        );
        let message = error("[ports.usb3]\ndevice = \"/dev/ttyUSB2\"\nbaud-rate = \"fast\"\n");
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("baud-rate"), "{message}");
        let message = error("[ports.usb3]\ndevice = \"/dev/ttyUSB2\"\nsms-storage = \"flash\"\n");
        assert!(message.contains("line 3"), "{message}");
        assert!(
            message.contains("unknown variant `flash`, expected `sim` or `modem`"),
            "{message}"
        );
        assert_eq!(
            error("[ports.usb3]\ndevice = \"/dev/ttyUSB2\"\nsim-pin = \"12a4\"\n"),
            "smsgate.toml: line 3: ports.usb3.sim-pin: a SIM PIN is 4 to 8 digits"
        );
        assert_eq!(
            error("[ports.usb3]\n\ndevice = \"tcp://nowhere\"\n"),
            "smsgate.toml: line 3: ports.usb3.device: port \"tcp://nowhere\": a TCP address is tcp://HOST:PORT"
        );
        assert_eq!(
            error("[ports.usb3]\ndevice = \"/dev/a\"\ndevices = [\"/dev/b\"]\n"),
            "smsgate.toml: line 2: ports.usb3: give either `device` or `devices`, not both"
        );
        assert_eq!(
            error("[ports.usb3]\nbaud-rate = 9600\n"),
            "smsgate.toml: line 1: ports.usb3: has neither `device` nor `devices` (nor `imei` or `iccid`)"
        );
        assert_eq!(
            error("[ports.usb3]\ndevices = []\n"),
            "smsgate.toml: line 2: ports.usb3.devices: is empty"
        );
        assert!(error("[ports.usb3]\ndevice = \"/dev/a\"\ninit = [\"ATZ\\r\"]\n").contains("ports.usb3.init"));
    }

    // Issue 11: the docs promise every problem at once; the first one
    // stopped the reading, serde's and the ports' alike.
    #[test]
    fn every_problem_is_reported_at_once_in_the_files_order() {
        let message = error(
            "[ports.usb3]\ndevice = \"/dev/ttyUSB2\"\nsim-pn = \"1234\"\nbaud-rate = \"fast\"\n\
             sim-pin = \"12a4\"\n\n[ports.usb4]\ndevice = \"tcp://nowhere\"\n\n\
             [limits]\nretry-interval-s = 0\nsend-retriez = 1\n\n[sms-commands]\nsecret = \"\"\n\
             allowed-numbers = [\"+37120000000\"]\n",
        );
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 8, "{message}");
        assert!(
            lines[0].starts_with("smsgate.toml: line 3: unknown key \"sim-pn\" in [ports.usb3]"),
            "{message}"
        );
        assert!(
            lines[1].starts_with("smsgate.toml: line 4: ports.usb3.baud-rate: "),
            "{message}"
        );
        assert_eq!(
            lines[2],
            "smsgate.toml: line 5: ports.usb3.sim-pin: a SIM PIN is 4 to 8 digits"
        );
        assert!(
            lines[3].starts_with("smsgate.toml: line 8: ports.usb4.device: "),
            "{message}"
        );
        assert!(
            lines[4].starts_with("smsgate.toml: line 11: limits.retry-interval-s: "),
            "{message}"
        );
        assert!(
            lines[5].starts_with("smsgate.toml: line 12: unknown key \"send-retriez\" in [limits]"),
            "{message}"
        );
        assert!(
            lines[6].starts_with("smsgate.toml: line 14: sms-commands: no modem has `receive = true`"),
            "{message}"
        );
        assert_eq!(lines[7], "smsgate.toml: line 15: sms-commands.secret: is empty");
    }
}
