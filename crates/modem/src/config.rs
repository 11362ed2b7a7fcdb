//! What the driver needs to know about one modem: where it is, how to talk
//! to it, how to set it up, and how long to wait for it.
//!
//! The defaults follow RouterOS's `/tool sms`: 2 s for the first `AT`, one
//! minute for a whole send.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How to set up one modem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where the modem is.
    pub port: PortAddress,
    /// Line settings; ignored for TCP.
    pub serial: SerialSettings,
    /// Where the `LCK..<device>` lock file goes (UUCP style, holding our
    /// PID); `None` for no lock file (the device is still locked with
    /// `TIOCEXCL` and `flock`). Not used for TCP.
    pub lock_dir: Option<PathBuf>,
    /// The SIM PIN, entered once if the SIM asks for it. A PIN the SIM
    /// rejects is never entered again, and none is entered when the SIM
    /// asks for its PUK.
    pub sim_pin: Option<String>,
    /// Where received messages are kept and read from (`AT+CPMS`).
    pub sms_storage: SmsStorage,
    /// How much of the set-up to do.
    pub setup: Setup,
    /// Turn echo off (`ATE0`). The engine copes with echo either way; off
    /// halves what crosses the line.
    pub echo_off: bool,
    /// `AT+CNMI` parameters for new-message indications, e.g. `2,1,0,2,0`
    /// (`+CMTI` for stored messages, `+CDSI` for stored status reports);
    /// `None` leaves the modem's setting alone.
    pub new_message_indications: Option<String>,
    /// Command lines sent after smsgate's own set-up, in order, each of
    /// which must answer `OK`: for modems that need something extra, or
    /// to change what smsgate set (a different `AT+CNMI`).
    pub init: Vec<String>,
    /// The SMSC to set with `AT+CSCA` at set-up (smsd's `smsc` without
    /// `smsc_pdu`), e.g. `+4917200000`; `None` keeps the SIM's.
    pub smsc: Option<String>,
    /// How long to wait for what.
    pub timeouts: Timeouts,
    /// What to do with a modem that stops answering.
    pub hang_recovery: HangRecovery,
}

impl Config {
    /// The defaults for the modem at `port`.
    pub fn new(port: PortAddress) -> Config {
        Config {
            port,
            serial: SerialSettings::default(),
            lock_dir: None,
            sim_pin: None,
            sms_storage: SmsStorage::Sim,
            setup: Setup::Full,
            echo_off: true,
            new_message_indications: Some("2,1,0,2,0".to_owned()),
            init: Vec::new(),
            smsc: None,
            timeouts: Timeouts::default(),
            hang_recovery: HangRecovery::default(),
        }
    }
}

/// Where a modem is: a serial device (a USB modem's `/dev/ttyUSB2`, a
/// simulator's pseudo-terminal) or a TCP port (ser2net, `tcp://host:port`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortAddress {
    /// A serial device or pseudo-terminal, possibly through a symlink.
    Serial(PathBuf),
    /// A TCP address, `host:port`.
    Tcp(String),
}

impl FromStr for PortAddress {
    type Err = InvalidPortAddress;

    /// `tcp://host:port` is TCP; anything else is a device path.
    fn from_str(text: &str) -> Result<PortAddress, InvalidPortAddress> {
        let invalid = |reason| InvalidPortAddress {
            text: text.to_owned(),
            reason,
        };
        if let Some(address) = text.strip_prefix("tcp://") {
            let (host, port) = address
                .rsplit_once(':')
                .ok_or_else(|| invalid("a TCP address is tcp://HOST:PORT"))?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(invalid("a TCP address is tcp://HOST:PORT with a port 0-65535"));
            }
            return Ok(PortAddress::Tcp(address.to_owned()));
        }
        if text.is_empty() {
            return Err(invalid("the device path is empty"));
        }
        Ok(PortAddress::Serial(PathBuf::from(text)))
    }
}

impl fmt::Display for PortAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortAddress::Serial(path) => write!(f, "{}", path.display()),
            PortAddress::Tcp(address) => write!(f, "tcp://{address}"),
        }
    }
}

/// A port address that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("port {text:?}: {reason}")]
pub struct InvalidPortAddress {
    /// The address as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Serial line settings. Always 8 data bits, no parity, one stop bit: no
/// GSM modem uses anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SerialSettings {
    /// Bits per second: 115200 by default, what USB modems expect (their
    /// virtual UARTs ignore it).
    pub baud_rate: u32,
    /// Flow control.
    pub flow_control: FlowControl,
}

impl Default for SerialSettings {
    fn default() -> SerialSettings {
        SerialSettings {
            baud_rate: 115_200,
            flow_control: FlowControl::None,
        }
    }
}

/// Serial flow control.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FlowControl {
    /// None.
    #[default]
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// Where received messages are kept (RouterOS's `sms-storage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SmsStorage {
    /// The SIM card: `"SM"`.
    #[default]
    Sim,
    /// The modem's own memory: `"ME"`.
    Modem,
}

impl SmsStorage {
    /// The 27.005 memory name.
    pub fn code(self) -> &'static str {
        match self {
            SmsStorage::Sim => "SM",
            SmsStorage::Modem => "ME",
        }
    }
}

impl fmt::Display for SmsStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How much set-up [`crate::ModemHandle::open`] does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Setup {
    /// Handshake, echo, error format, SIM PIN, network registration, PDU
    /// mode, storage, indications, identities, custom init.
    #[default]
    Full,
    /// Handshake, echo and error format only, then the custom init: for a
    /// raw `at-chat` that must work whatever state the SIM is in.
    Minimal,
}

/// How long to wait. The engine's own defaults (10 s for the `> `
/// prompt) apply to what is not listed here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// The first `AT` after opening the port: 2 s, as RouterOS.
    pub handshake: Duration,
    /// Any other command: 2 s.
    pub command: Duration,
    /// A whole send, all parts: one minute, as RouterOS.
    pub send: Duration,
    /// Listing the stored messages (`AT+CMGL`): 20 s, a full SIM is slow.
    pub list: Duration,
    /// How long to wait for network registration during set-up: 30 s. A
    /// modem still unregistered then is used anyway (reading messages and
    /// the status need no network), with a warning.
    pub registration: Duration,
    /// How long to wait for the network's `+CUSD` answer: 30 s.
    pub ussd: Duration,
    /// The first pause before reopening a port that went away; it doubles
    /// after each failed try up to [`Timeouts::reopen_max`].
    pub reopen_initial: Duration,
    /// The longest pause between tries to reopen a port.
    pub reopen_max: Duration,
    /// After opening a port, what the modem still sends (a late answer to
    /// a command of a process that died mid-exchange) is read and thrown
    /// away until the line has been quiet this long: 150 ms. Zero skips
    /// the wait.
    pub stale_quiet: Duration,
    /// The longest that throwing away stale input may take: 1 s.
    pub stale_max: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            handshake: Duration::from_secs(2),
            command: Duration::from_secs(2),
            send: Duration::from_secs(60),
            list: Duration::from_secs(20),
            registration: Duration::from_secs(30),
            ussd: Duration::from_secs(30),
            reopen_initial: Duration::from_millis(200),
            reopen_max: Duration::from_secs(30),
            stale_quiet: Duration::from_millis(150),
            stale_max: Duration::from_secs(1),
        }
    }
}

/// What the driver does with a modem that stops answering (the AT
/// engine's commands in a row without an answer): it reopens the port and
/// sets the modem up again; if the modem is still silent, it resets it
/// with `AT+CFUN=1,1` (unless told not to, or the modem refused it
/// before); then it keeps trying with pauses that double up to
/// [`HangRecovery::pause_max`]. See `recovery.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HangRecovery {
    /// Try `AT+CFUN=1,1` (a full reset) when reopening alone did not
    /// help: true.
    pub reset: bool,
    /// How long a modem may take to come back after `AT+CFUN=1,1` before
    /// it is tried again: 5 s (after that, the pauses below).
    pub reset_settle: Duration,
    /// The first pause between later tries: 1 s, doubling.
    pub pause_initial: Duration,
    /// The longest pause between tries: 5 s, so that a modem that answers
    /// again is in use within seconds (a try of a silent modem costs
    /// the handshake's probes on top).
    pub pause_max: Duration,
}

impl Default for HangRecovery {
    fn default() -> HangRecovery {
        HangRecovery {
            reset: true,
            reset_settle: Duration::from_secs(5),
            pause_initial: Duration::from_secs(1),
            pause_max: Duration::from_secs(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_addresses() {
        assert_eq!(
            "tcp://127.0.0.1:7000".parse(),
            Ok(PortAddress::Tcp("127.0.0.1:7000".to_owned()))
        );
        assert_eq!(
            "/dev/ttyUSB2".parse(),
            Ok(PortAddress::Serial(PathBuf::from("/dev/ttyUSB2")))
        );
        assert_eq!(
            "tcp://localhost".parse::<PortAddress>().unwrap_err().to_string(),
            r#"port "tcp://localhost": a TCP address is tcp://HOST:PORT"#
        );
        assert!("tcp://:7000".parse::<PortAddress>().is_err());
        assert!("tcp://host:99999".parse::<PortAddress>().is_err());
        assert!("".parse::<PortAddress>().is_err());
        let tcp: PortAddress = "tcp://[::1]:7000".parse().unwrap();
        assert_eq!(tcp.to_string(), "tcp://[::1]:7000");
    }

    #[test]
    fn defaults_follow_routeros() {
        let timeouts = Timeouts::default();
        assert_eq!(timeouts.handshake, Duration::from_secs(2));
        assert_eq!(timeouts.send, Duration::from_secs(60));
        assert_eq!(SmsStorage::Sim.code(), "SM");
        assert_eq!(SmsStorage::Modem.code(), "ME");
    }
}
