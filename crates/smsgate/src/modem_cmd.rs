//! `smsgate send`, `inbox`, `ussd`, `at-chat` and `status`: RouterOS's
//! `/tool sms` and `at-chat` on the command line, each a thin call into
//! the `modem` driver.
//!
//! Each command resolves its PORT (a config name, a device path or a
//! `tcp://` address) into the driver's configuration, checks what it can
//! before touching the modem (a phone number, a text that cannot be
//! encoded), opens the modem, does its one thing, prints, and closes the
//! port again, releasing its lock.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};

use anyhow::{anyhow, bail, Context};
use modem::{Content, InboxMessage, MessageKind, ModemHandle, ModemStatus, PortAddress, Setup, SmsStorage};
use serde_json::{json, Value};
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use sms_pdu::{Address, MessageClass};

use crate::cli::{
    AtChatArgs, InboxArgs, ModemCommand, PortArgs, SendArgs, SmsType, StatusArgs, StorageArg, UssdArgs, YesNo,
};
use crate::config::{ConfigFile, DEFAULT_LOCK_DIR};

/// Runs one modem command.
pub(crate) fn run(command: &ModemCommand) -> anyhow::Result<()> {
    init_logging(command.port().debug_at);
    // One modem, one request at a time: a single thread is plenty.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        match command {
            ModemCommand::Send(args) => send(args).await,
            ModemCommand::Inbox(args) => inbox(args).await,
            ModemCommand::Ussd(args) => ussd(args).await,
            ModemCommand::AtChat(args) => at_chat(args).await,
            ModemCommand::Status(args) => status(args).await,
        }
    })
}

/// Warnings on stderr; with `--debug-at` the AT traffic too. `RUST_LOG`
/// overrides the default.
fn init_logging(debug_at: bool) {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    if debug_at {
        for directive in ["gsm::write=debug", "gsm::read=debug"] {
            if let Ok(directive) = directive.parse() {
                filter = filter.add_directive(directive);
            }
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

async fn send(args: &SendArgs) -> anyhow::Result<()> {
    // Everything that can be checked without the modem is, first.
    let destination = phone_number(&args.phone).context("PHONE")?;
    let smsc = args
        .smsc
        .as_deref()
        .map(phone_number)
        .transpose()
        .context("--smsc")?;
    let message = OutgoingMessage {
        smsc,
        class: args.sms_type.map(|sms_type| match sms_type {
            SmsType::Class0 => MessageClass::Class0,
            SmsType::Class1 => MessageClass::Class1,
            SmsType::Class2 => MessageClass::Class2,
            SmsType::Class3 => MessageClass::Class3,
        }),
        status_report_request: args.status_report_request == YesNo::Yes,
        ..OutgoingMessage::to(destination)
    };
    let options = SplitOptions {
        reference: u16::from(fresh_reference()),
        ..SplitOptions::default()
    };
    message
        .text_pdus(&args.message, &options)
        .map_err(|err| anyhow!("--message: {err}"))?;
    let modem = open(&args.port, Setup::Full, args.sms_storage).await?;
    let sent = modem.send_sms(&message, &args.message, &options).await;
    modem.shutdown().await;
    let references = sent?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let references: Vec<u8> = references.iter().map(|reference| reference.0).collect();
        writeln!(stdout, "{}", json!({ "references": references }))?;
    } else {
        for reference in references {
            writeln!(stdout, "{reference}")?;
        }
    }
    Ok(())
}

async fn inbox(args: &InboxArgs) -> anyhow::Result<()> {
    let modem = open(&args.port, Setup::Full, args.sms_storage).await?;
    let result = match args.remove {
        Some(index) => remove(&modem, index).await,
        None => list(&modem, args.json).await,
    };
    modem.shutdown().await;
    result
}

async fn list(modem: &ModemHandle, json: bool) -> anyhow::Result<()> {
    let messages = modem.list_messages(None).await?;
    let mut stdout = std::io::stdout().lock();
    if json {
        let listed: Vec<Value> = messages.iter().map(message_json).collect();
        writeln!(stdout, "{}", serde_json::to_string_pretty(&listed)?)?;
        return Ok(());
    }
    if messages.is_empty() {
        writeln!(stdout, "no messages")?;
    }
    for (message_idx, message) in messages.iter().enumerate() {
        if message_idx > 0 {
            writeln!(stdout)?;
        }
        write!(stdout, "{}", message_text(message))?;
    }
    Ok(())
}

/// Removes the message with a part at `index`: every part, so that no
/// orphaned part is left to show up alone.
async fn remove(modem: &ModemHandle, index: u32) -> anyhow::Result<()> {
    let messages = modem.list_messages(None).await?;
    let Some(message) = messages.iter().find(|message| message.indexes.contains(&index)) else {
        bail!("--remove {index}: no message at index {index}");
    };
    for &part_index in &message.indexes {
        modem.delete(part_index).await?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "removed the message from {} at index {}",
        message.phone,
        join_numbers(&message.indexes)
    )?;
    Ok(())
}

async fn ussd(args: &UssdArgs) -> anyhow::Result<()> {
    let modem = open(&args.port, Setup::Full, None).await?;
    let answer = modem.ussd(&args.code).await;
    modem.shutdown().await;
    let answer = answer?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let encoding = answer.encoding.map(|encoding| match encoding {
            at::parse::UssdEncoding::PackedGsm7Hex => "gsm7-packed-hex",
            at::parse::UssdEncoding::Ucs2Hex => "ucs2-hex",
            at::parse::UssdEncoding::Text | at::parse::UssdEncoding::Auto => "text",
        });
        let answer = json!({
            "status": answer.status.0,
            "status_text": answer.status.meaning(),
            "text": answer.text,
            "raw": answer.raw,
            "dcs": answer.dcs,
            "encoding": encoding,
        });
        writeln!(stdout, "{}", serde_json::to_string_pretty(&answer)?)?;
    } else {
        writeln!(stdout, "{}", answer.text.as_deref().unwrap_or(""))?;
        if answer.status.expects_reply() {
            eprintln!("note: the network waits for a reply (+CUSD: {})", answer.status);
        }
    }
    Ok(())
}

async fn at_chat(args: &AtChatArgs) -> anyhow::Result<()> {
    let modem = open(&args.port, Setup::Minimal, None).await?;
    let reply = modem.at_chat(&args.command, Some(args.timeout)).await;
    modem.shutdown().await;
    let reply = reply?;
    let mut stdout = std::io::stdout().lock();
    for line in reply.lines.iter().chain(&reply.unclaimed) {
        writeln!(stdout, "{line}")?;
    }
    writeln!(stdout, "{}", as_sent(&reply.result))?;
    if !reply.result.is_success() {
        bail!("{}: {}", args.command, reply.result);
    }
    Ok(())
}

async fn status(args: &StatusArgs) -> anyhow::Result<()> {
    let modem = open(&args.port, Setup::Full, None).await?;
    let status = modem.status().await;
    let port = modem.port().to_owned();
    modem.shutdown().await;
    let status = status?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&status_json(&port, &status))?
        )?;
    } else {
        write!(stdout, "{}", status_text(&port, &status))?;
    }
    for problem in &status.problems {
        eprintln!("note: {problem}");
    }
    Ok(())
}

/// A final result as the modem wrote it: `at-chat` shows the modem's
/// words; the meaning of an error code goes into the error message.
fn as_sent(result: &at::FinalResult) -> String {
    let error = |family: &str, code: &at::ErrorCode| match (code.text(), code.code()) {
        (Some(text), _) => format!("{family}: {text}"),
        (None, Some(number)) => format!("{family}: {number}"),
        (None, None) => family.to_owned(),
    };
    match result {
        at::FinalResult::CmeError(code) => error("+CME ERROR", code),
        at::FinalResult::CmsError(code) => error("+CMS ERROR", code),
        other => other.to_string(),
    }
}

/// Opens the modem that `args` name.
async fn open(args: &PortArgs, setup: Setup, storage: Option<StorageArg>) -> anyhow::Result<ModemHandle> {
    let config_file = ConfigFile::find(args.config.as_deref())?;
    let mut config = modem_config(args, config_file.as_ref())?;
    config.setup = setup;
    if let Some(storage) = storage {
        config.sms_storage = match storage {
            StorageArg::Sim => SmsStorage::Sim,
            StorageArg::Modem => SmsStorage::Modem,
        };
    }
    Ok(ModemHandle::open(config).await?)
}

/// The driver's configuration for PORT: the config file's section if it
/// names one, else PORT as a device path or `tcp://` address.
fn modem_config(args: &PortArgs, config_file: Option<&ConfigFile>) -> anyhow::Result<modem::Config> {
    let section = config_file.and_then(|config_file| config_file.ports.get(&args.port));
    let address = match (section, config_file) {
        (Some(section), _) => {
            let channel = args.channel.unwrap_or(0);
            let n_devices = section.devices.len();
            section.devices.get(channel).cloned().ok_or_else(|| {
                anyhow!(
                    "--channel {channel}: port {} has {n_devices} device{}, channel 0{}",
                    args.port,
                    if n_devices == 1 { "" } else { "s" },
                    if n_devices == 1 {
                        String::new()
                    } else {
                        format!(" to {}", n_devices - 1)
                    }
                )
            })?
        }
        (None, _) if args.port.contains('/') || args.port.starts_with("tcp://") => {
            if let Some(channel) = args.channel.filter(|&channel| channel != 0) {
                bail!(
                    "--channel {channel}: a device path has only channel 0; list a modem's devices \
                     in the config file (devices = [...]) to choose among them"
                );
            }
            args.port.parse::<PortAddress>()?
        }
        (None, Some(config_file)) => bail!(
            "no port {:?} in {} (ports: {}); give a device path or tcp://HOST:PORT instead",
            args.port,
            config_file.path.display(),
            config_file.port_names()
        ),
        (None, None) => bail!(
            "no port {:?}: not a device path or tcp://HOST:PORT, and there is no config file to name \
             it ({} not found; see --config)",
            args.port,
            crate::config::DEFAULT_PATH
        ),
    };
    let lock_dir = args
        .lock_dir
        .clone()
        .or_else(|| config_file.and_then(|config_file| config_file.lock_dir.clone()))
        .unwrap_or_else(|| DEFAULT_LOCK_DIR.into());
    Ok(crate::config::driver_config(address, section, lock_dir))
}

/// A phone number by the seed's rules: `0123456789*# abc`, a leading `+`
/// for international.
fn phone_number(text: &str) -> anyhow::Result<Address> {
    Address::parse_phone(text).map_err(|err| match err {
        sms_pdu::EncodeError::BadAddress { reason, .. } => anyhow!(
            "{text:?}: {reason} (a phone number has the characters 0123456789*# abc, and a leading + \
             if it is international)"
        ),
        other => anyhow!("{text:?}: {other}"),
    })
}

/// A concatenation reference for a new message: phones join parts by
/// sender and reference, so two long messages sent one after the other
/// must not share one. The clock and the PID differ between runs.
fn fresh_reference() -> u8 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since_epoch| since_epoch.subsec_nanos());
    let mixed = nanos ^ std::process::id().rotate_left(16);
    let [a, b, c, d] = mixed.to_be_bytes();
    a ^ b ^ c ^ d
}

/// RouterOS's `type` column: the class for received messages.
fn message_type(message: &InboxMessage) -> String {
    match message.kind {
        MessageKind::Deliver => match message.class {
            Some(class) => format!("class-{}", class as u8),
            None => "sms".to_owned(),
        },
        MessageKind::StatusReport => "status-report".to_owned(),
        MessageKind::Submit => "outgoing".to_owned(),
    }
}

/// What a message says, as text.
fn message_body(message: &InboxMessage) -> String {
    match &message.content {
        Content::Text(text) => text.clone(),
        Content::Data(data) => format!("(8-bit data) {}", sms_pdu::encode_hex(data)),
        Content::Report { reference, status } => {
            format!(
                "report on message reference {reference}: {}",
                status.smstools_header()
            )
        }
        Content::Undecodable(error) => format!("(undecodable: {error})"),
    }
}

fn message_text(message: &InboxMessage) -> String {
    let mut text = format!(
        "{}  {}  {}  {}",
        join_numbers(&message.indexes),
        if message.phone.is_empty() {
            "-"
        } else {
            &message.phone
        },
        message
            .timestamp
            .map_or_else(|| "-".to_owned(), |timestamp| timestamp.to_string()),
        message_type(message),
    );
    if let Some(parts) = message.parts.as_ref().filter(|parts| !parts.missing.is_empty()) {
        let _ = write!(
            text,
            "  (incomplete: part {} of {} missing)",
            join_numbers(&parts.missing),
            parts.total
        );
    }
    text.push('\n');
    for line in message_body(message).lines() {
        let _ = writeln!(text, "    {line}");
    }
    text
}

fn message_json(message: &InboxMessage) -> Value {
    let mut value = json!({
        "index": message.indexes.first(),
        "indexes": message.indexes,
        "phone": message.phone,
        "message": message_body(message),
        "timestamp": message.timestamp.map(|timestamp| timestamp.to_string()),
        "type": message_type(message),
        "status": message.status.name(),
    });
    if let Some(parts) = &message.parts {
        value["parts"] = json!({ "total": parts.total, "missing": parts.missing });
    }
    if let Content::Report { reference, status } = &message.content {
        value["report"] = json!({ "reference": reference, "status": status.0 });
    }
    if !message.warnings.is_empty() {
        value["warnings"] = json!(message.warnings);
    }
    value
}

fn status_text(port: &str, status: &ModemStatus) -> String {
    let unknown = || "unknown".to_owned();
    let identity = &status.identity;
    let rows = [
        ("port", port.to_owned()),
        (
            "registration",
            status.registration.as_ref().map_or_else(unknown, |registration| {
                registration
                    .status
                    .meaning()
                    .map_or_else(|| registration.status.to_string(), str::to_owned)
            }),
        ),
        ("operator", status.operator.clone().unwrap_or_else(unknown)),
        (
            "signal",
            status.signal.map_or_else(unknown, |signal| match signal.dbm() {
                Some(dbm) => format!("{dbm} dBm ({} of 5 bars)", signal.bars()),
                None => "not known (+CSQ 99)".to_owned(),
            }),
        ),
        ("imei", identity.imei.clone().unwrap_or_else(unknown)),
        ("imsi", identity.imsi.clone().unwrap_or_else(unknown)),
        ("iccid", identity.iccid.clone().unwrap_or_else(unknown)),
        (
            "smsc",
            identity
                .smsc
                .as_ref()
                .map_or_else(unknown, |smsc| smsc.number.clone()),
        ),
        (
            "storage",
            status.storage.as_ref().map_or_else(unknown, |storage| {
                format!(
                    "{} {}/{}",
                    storage.name.as_deref().unwrap_or("?"),
                    storage.used,
                    storage.total
                )
            }),
        ),
    ];
    let mut text = String::new();
    for (name, value) in rows {
        let _ = writeln!(text, "{:<14}{value}", format!("{name}:"));
    }
    text
}

fn status_json(port: &str, status: &ModemStatus) -> Value {
    let identity = &status.identity;
    json!({
        "port": port,
        "registration": status.registration.as_ref().map(|registration| json!({
            "status": registration.status.0,
            "meaning": registration.status.meaning(),
            "registered": registration.status.is_registered(),
        })),
        "operator": status.operator,
        "signal": status.signal.map(|signal| json!({
            "rssi": signal.rssi,
            "ber": signal.ber,
            "dbm": signal.dbm(),
            "bars": signal.bars(),
        })),
        "imei": identity.imei,
        "imsi": identity.imsi,
        "iccid": identity.iccid,
        "smsc": identity.smsc.as_ref().map(|smsc| smsc.number.clone()),
        "storage": status.storage.as_ref().map(|storage| json!({
            "memory": storage.name,
            "used": storage.used,
            "total": storage.total,
        })),
        "problems": status.problems,
    })
}

fn join_numbers<T: ToString>(numbers: &[T]) -> String {
    numbers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn port_args(port: &str, channel: Option<usize>) -> PortArgs {
        PortArgs {
            port: port.to_owned(),
            channel,
            config: None,
            lock_dir: None,
            debug_at: false,
        }
    }

    #[test]
    fn ports_resolve_by_name_path_or_address() {
        let config_file = ConfigFile::parse(
            "lock-dir = \"/run/lock\"\n[ports.lte1]\ndevices = [\"/dev/ttyUSB0\", \"/dev/ttyUSB2\"]\n\
             sim-pin = \"1234\"\nsms-storage = \"modem\"\nsend-timeout-ms = 5000\n",
            Path::new("smsgate.toml"),
        )
        .unwrap();
        let config = modem_config(&port_args("lte1", Some(1)), Some(&config_file)).unwrap();
        assert_eq!(config.port, PortAddress::Serial("/dev/ttyUSB2".into()));
        assert_eq!(config.sim_pin.as_deref(), Some("1234"));
        assert_eq!(config.sms_storage, SmsStorage::Modem);
        assert_eq!(config.lock_dir, Some("/run/lock".into()));
        assert_eq!(config.timeouts.send, std::time::Duration::from_secs(5));
        let err = modem_config(&port_args("lte1", Some(2)), Some(&config_file)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--channel 2: port lte1 has 2 devices, channel 0 to 1"
        );
        let err = modem_config(&port_args("usb3", None), Some(&config_file)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no port \"usb3\" in smsgate.toml (ports: lte1)"),
            "{err}"
        );
        let config = modem_config(&port_args("tcp://127.0.0.1:7000", None), None).unwrap();
        assert_eq!(config.port, PortAddress::Tcp("127.0.0.1:7000".to_owned()));
        assert_eq!(config.lock_dir, Some(DEFAULT_LOCK_DIR.into()));
        assert!(modem_config(&port_args("/dev/ttyUSB0", Some(1)), None).is_err());
        assert!(modem_config(&port_args("usb3", None), None).is_err());
    }

    #[test]
    fn phone_numbers_follow_the_seed() {
        assert_eq!(
            phone_number("+371 2000 0000").unwrap().to_string(),
            "+37120000000"
        );
        assert!(!phone_number("20000000").unwrap().is_international());
        assert_eq!(phone_number("*245#").unwrap().to_string(), "*245#");
        let err = phone_number("+371-2000").unwrap_err().to_string();
        assert_eq!(
            err,
            "\"+371-2000\": only the characters 0-9 * # a b c are allowed (a phone number has the \
             characters 0123456789*# abc, and a leading + if it is international)"
        );
    }
}
