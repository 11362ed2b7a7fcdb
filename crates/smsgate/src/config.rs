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
//! Unknown keys are errors, not ignored: a misspelt `sim-pn` would
//! otherwise leave the SIM locked with no hint why. Every error names the
//! file, the line and the key.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use modem::{FlowControl, PortAddress, SmsStorage};
use serde::de::IgnoredAny;
use serde::Deserialize;
use toml::Spanned;

/// The file looked for when `--config` is not given.
pub(crate) const DEFAULT_PATH: &str = "smsgate.toml";

/// Where lock files go unless the configuration says otherwise.
pub(crate) const DEFAULT_LOCK_DIR: &str = "/var/lock";

/// A configuration file, read and checked.
#[derive(Debug)]
pub(crate) struct ConfigFile {
    /// Where it was read from.
    pub(crate) path: PathBuf,
    /// `lock-dir`.
    pub(crate) lock_dir: Option<PathBuf>,
    /// `[ports.NAME]`, by name.
    pub(crate) ports: BTreeMap<String, PortSection>,
}

/// One `[ports.NAME]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortSection {
    /// The modem's interfaces; `channel` picks one (one for `device`).
    pub(crate) devices: Vec<PortAddress>,
    pub(crate) baud_rate: Option<u32>,
    pub(crate) flow_control: Option<FlowControl>,
    pub(crate) sim_pin: Option<String>,
    pub(crate) sms_storage: Option<SmsStorage>,
    pub(crate) init: Vec<String>,
    pub(crate) handshake_timeout: Option<Duration>,
    pub(crate) send_timeout: Option<Duration>,
    pub(crate) registration_timeout: Option<Duration>,
    pub(crate) ussd_timeout: Option<Duration>,
}

impl ConfigFile {
    /// Reads `path`.
    pub(crate) fn load(path: &Path) -> anyhow::Result<ConfigFile> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        ConfigFile::parse(&text, path)
    }

    /// The file to use: `explicit` if given, else `./smsgate.toml` if there
    /// is one, else none.
    pub(crate) fn find(explicit: Option<&Path>) -> anyhow::Result<Option<ConfigFile>> {
        match explicit {
            Some(path) => ConfigFile::load(path).map(Some),
            None if Path::new(DEFAULT_PATH).is_file() => ConfigFile::load(Path::new(DEFAULT_PATH)).map(Some),
            None => Ok(None),
        }
    }

    /// Parses `text`, read from `path` (named in errors).
    pub(crate) fn parse(text: &str, path: &Path) -> anyhow::Result<ConfigFile> {
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            // toml's message already names the line and column and shows
            // the key; ours adds the file.
            anyhow!("{}: {}", path.display(), err.to_string().trim_end())
        })?;
        let ports = ports_from_raw(raw.ports, text, path)?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            lock_dir: raw.lock_dir,
            ports,
        })
    }

    /// The names of the ports, for an error message.
    pub(crate) fn port_names(&self) -> String {
        let mut names = String::new();
        for (name_idx, name) in self.ports.keys().enumerate() {
            let _ = write!(names, "{}{name}", if name_idx == 0 { "" } else { ", " });
        }
        if names.is_empty() {
            names.push_str("none");
        }
        names
    }
}

/// Checks the `[ports.NAME]` sections of `text` (read from `path`, named in
/// errors); shared with the daemon's configuration, which names its
/// modems' ports the same way.
pub(crate) fn ports_from_raw(
    raw_ports: BTreeMap<String, RawPort>,
    text: &str,
    path: &Path,
) -> anyhow::Result<BTreeMap<String, PortSection>> {
    let located = |span: Range<usize>, key: &str, message: &str| {
        anyhow!(
            "{}: line {}: {key}: {message}",
            path.display(),
            line_of(text, span.start)
        )
    };
    let mut ports = BTreeMap::new();
    for (name, section) in raw_ports {
        let key = |field: &str| format!("ports.{name}.{field}");
        let devices = match (section.device, section.devices) {
            (Some(device), None) => vec![device],
            (None, Some(devices)) => {
                if devices.get_ref().is_empty() {
                    return Err(located(devices.span(), &key("devices"), "is empty"));
                }
                devices.into_inner()
            }
            (Some(device), Some(_)) => {
                return Err(located(
                    device.span(),
                    &format!("ports.{name}"),
                    "give either `device` or `devices`, not both",
                ))
            }
            (None, None) => {
                return Err(anyhow!(
                    "{}: [ports.{name}]: has neither `device` nor `devices`",
                    path.display()
                ))
            }
        };
        let devices = devices
            .into_iter()
            .map(|device| {
                let span = device.span();
                device
                    .into_inner()
                    .parse::<PortAddress>()
                    .map_err(|err| located(span, &key("device"), &err.to_string()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(pin) = &section.sim_pin {
            let digits = pin.get_ref();
            if !(4..=8).contains(&digits.len()) || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(located(pin.span(), &key("sim-pin"), "a SIM PIN is 4 to 8 digits"));
            }
        }
        let init = match section.init {
            None => Vec::new(),
            Some(Init::One(line)) => vec![line],
            Some(Init::Many(lines)) => lines,
        };
        for line in &init {
            if let Err(err) = at::Command::new(line.as_str()) {
                bail!("{}: {}: {err}", path.display(), key("init"));
            }
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
                sms_storage: section.sms_storage.map(|storage| match storage {
                    RawStorage::Sim => SmsStorage::Sim,
                    RawStorage::Modem => SmsStorage::Modem,
                }),
                init,
                handshake_timeout: millis(section.handshake_timeout_ms),
                send_timeout: millis(section.send_timeout_ms),
                registration_timeout: millis(section.registration_timeout_ms),
                ussd_timeout: millis(section.ussd_timeout_ms),
            },
        );
    }
    Ok(ports)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(dead_code, reason = "the daemon's sections are accepted here, never read")]
struct RawConfig {
    lock_dir: Option<PathBuf>,
    #[serde(default)]
    ports: BTreeMap<String, RawPort>,
    // The daemon's sections (`daemon_config.rs`), so that one file serves
    // `smsgate run` and `smsgate send`; checked only when the daemon reads
    // the file.
    spool: Option<IgnoredAny>,
    modems: Option<IgnoredAny>,
    queues: Option<IgnoredAny>,
    handlers: Option<IgnoredAny>,
    limits: Option<IgnoredAny>,
    numbering: Option<IgnoredAny>,
    control: Option<IgnoredAny>,
    sms_commands: Option<IgnoredAny>,
    scripts: Option<IgnoredAny>,
}

/// One `[ports.NAME]` section as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPort {
    device: Option<Spanned<String>>,
    devices: Option<Spanned<Vec<Spanned<String>>>>,
    baud_rate: Option<u32>,
    flow_control: Option<RawFlowControl>,
    sim_pin: Option<Spanned<String>>,
    sms_storage: Option<RawStorage>,
    init: Option<Init>,
    handshake_timeout_ms: Option<u64>,
    send_timeout_ms: Option<u64>,
    registration_timeout_ms: Option<u64>,
    ussd_timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawFlowControl {
    None,
    Software,
    Hardware,
}

/// RouterOS's `sms-storage` values.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawStorage {
    Sim,
    Modem,
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
pub(crate) fn driver_config(
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
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
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
        assert_eq!(config.lock_dir, Some(PathBuf::from("/run/lock")));
        let usb3 = &config.ports["usb3"];
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
        let lte1 = &config.ports["lte1"];
        assert_eq!(lte1.devices[1], PortAddress::Tcp("127.0.0.1:7000".to_owned()));
        assert_eq!(lte1.init.len(), 2);
        assert_eq!(config.port_names(), "lte1, usb3");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_line_and_key() {
        let message = error("[ports.usb3]\ndevice = \"/dev/ttyUSB2\"\nsim-pn = \"1234\"\n");
        assert!(
            message.starts_with("smsgate.toml: TOML parse error at line 3"),
            "{message}"
        );
        assert!(message.contains("unknown field `sim-pn`"), "{message}");
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
            "smsgate.toml: [ports.usb3]: has neither `device` nor `devices`"
        );
        assert_eq!(
            error("[ports.usb3]\ndevices = []\n"),
            "smsgate.toml: line 2: ports.usb3.devices: is empty"
        );
        assert!(error("[ports.usb3]\ndevice = \"/dev/a\"\ninit = [\"ATZ\\r\"]\n").contains("ports.usb3.init"));
    }
}
