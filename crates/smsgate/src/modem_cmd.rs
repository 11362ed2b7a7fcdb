//! `smsgate send`, `inbox`, `ussd`, `at-chat` and `status`: RouterOS's
//! `/tool sms` and `at-chat` on the command line, each a thin call into
//! the `modem` driver.
//!
//! Each command resolves its PORT (a config name, a device path or a
//! `tcp://` address) into the driver's configuration, checks what it can
//! before touching the modem (a phone number, a text that cannot be
//! encoded), opens the modem, does its one thing, prints, and closes the
//! port again, releasing its lock.
//!
//! While the daemon (`smsgate run`) holds the port, the command goes
//! through its control socket instead (`smsgate_daemon::control`): the socket of
//! `--control`, `SMSGATE_CONTROL` or the config file's `[control]` is
//! asked first, and the port is opened here only if no daemon serves it.
//! Both ways give the same typed view (`smsgate_daemon::control::views`),
//! from which the output is printed, so the output does not depend on the
//! way.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use modem::{ModemError, ModemHandle, PortAddress, Setup};
use serde::de::DeserializeOwned;

use crate::cli::{
    AtChatArgs, InboxArgs, ModemCommand, PortArgs, SendArgs, SmsType, StatusArgs, UssdArgs, YesNo,
};
use smsgate_daemon::config::{ConfigFile, DEFAULT_LOCK_DIR};
use smsgate_daemon::control::send::{SendError, SendSms};
use smsgate_daemon::control::{self, Answer, Refusal, Request, Storage};
use smsgate_daemon::daemon_config::{Limits, DEFAULT_SPOOL_BASE};

mod send_args;

use smsgate_daemon::control::views::{
    at_chat_and_wait, join_numbers, message_text, remove_message, urc, AtReplyView, MessageView,
    RegistrationView, SendView, SignalView, StatusView, UssdView,
};

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
    let words = send_args::merge(args).unwrap_or_else(|send_args::UsageError(message)| {
        use clap::CommandFactory as _;
        crate::cli::Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, message)
            .exit()
    });
    let port = PortArgs {
        channel: words.channel,
        ..args.port.clone()
    };
    // Everything that can be checked without the modem is, first.
    let class = words.sms_type.map(|sms_type| match sms_type {
        SmsType::Class0 => 0,
        SmsType::Class1 => 1,
        SmsType::Class2 => 2,
        SmsType::Class3 => 3,
    });
    let status_report_request = words.status_report_request == YesNo::Yes;
    let SendSms { message, options } =
        SendSms::build(&words.phone, words.smsc.as_deref(), class, status_report_request).map_err(|err| {
            match err {
                SendError::Number(err) => err.context("PHONE"),
                SendError::Smsc(err) => err.context("--smsc"),
                SendError::Class(class) => anyhow!("class {class}: not 0-3"),
            }
        })?;
    let (max_parts, setting) = match args.max_parts {
        Some(max_parts) => (max_parts, "--max-parts"),
        None => match crate::config_path::optional(port.config.as_deref())? {
            Some(config_file) => (config_file.settings.limits.max_parts, "[limits] max-parts"),
            None => (Limits::DEFAULT.max_parts, "--max-parts"),
        },
    };
    let n_parts = match message.text_pdus(&words.message, &options) {
        Ok(pdus) => pdus.len(),
        Err(sms_pdu::EncodeError::TooManyParts(n_parts)) if n_parts > 0 => n_parts,
        Err(err) => bail!("--message: {err}"),
    };
    Limits::check_parts(max_parts, n_parts, setting).map_err(|reason| anyhow!("--message: {reason}"))?;
    let request = Request::Send {
        port: port.port.clone(),
        device: None,
        number: words.phone.clone(),
        text: words.message.clone(),
        smsc: words.smsc.clone(),
        class,
        status_report_request,
    };
    let result = match route(&port, request).await? {
        Route::Daemon(answer) => done(answer)?,
        Route::Direct(socket_note) => {
            let modem = open(&port, Setup::Full, args.sms_storage, socket_note).await?;
            let sent = modem.send_sms(&message, &words.message, &options).await;
            modem.shutdown().await;
            SendView::new(&sent?)
        }
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string(&result)?)?;
    } else {
        for reference in &result.references {
            writeln!(stdout, "{reference}")?;
        }
    }
    Ok(())
}

async fn inbox(args: &InboxArgs) -> anyhow::Result<()> {
    if let Some(index) = args.remove {
        return remove(args, index).await;
    }
    let request = Request::Inbox {
        port: args.port.port.clone(),
        device: None,
        storage: args.sms_storage,
    };
    let messages: Vec<MessageView> = match route(&args.port, request).await? {
        Route::Daemon(answer) => done(answer)?,
        Route::Direct(socket_note) => {
            let modem = open(&args.port, Setup::Full, args.sms_storage, socket_note).await?;
            let listed = modem.list_messages(None).await;
            modem.shutdown().await;
            listed?.iter().map(MessageView::new).collect()
        }
    };
    print_messages(&mut std::io::stdout().lock(), &messages, args.json)
}

/// `inbox --remove INDEX`.
async fn remove(args: &InboxArgs, index: u64) -> anyhow::Result<()> {
    let request = Request::Remove {
        port: args.port.port.clone(),
        device: None,
        index,
    };
    let removed: Option<MessageView> = match route(&args.port, request).await? {
        Route::Daemon(Answer::Refused(Refusal::NoMessage, _)) => None,
        Route::Daemon(answer) => Some(done(answer)?),
        Route::Direct(socket_note) => {
            let modem = open(&args.port, Setup::Full, args.sms_storage, socket_note).await?;
            // A SIM index is 16 bits at most; a larger one is none.
            let removed = match u32::try_from(index) {
                Ok(index) => remove_message(&modem, index).await,
                Err(_) => Ok(None),
            };
            modem.shutdown().await;
            removed?
        }
    };
    let Some(removed) = removed else {
        bail!("--remove {index}: no message at index {index}");
    };
    writeln!(
        std::io::stdout().lock(),
        "removed the message from {} at index {}",
        removed.phone,
        join_numbers(&removed.indexes)
    )?;
    Ok(())
}

fn print_messages(
    stdout: &mut impl std::io::Write,
    messages: &[MessageView],
    json: bool,
) -> anyhow::Result<()> {
    if json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(messages)?)?;
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

async fn ussd(args: &UssdArgs) -> anyhow::Result<()> {
    let request = Request::Ussd {
        port: args.port.port.clone(),
        device: None,
        code: args.code.clone(),
    };
    let answer: UssdView = match route(&args.port, request).await? {
        Route::Daemon(answer) => done(answer)?,
        Route::Direct(socket_note) => {
            let modem = open(&args.port, Setup::Full, None, socket_note).await?;
            let answer = modem.ussd(&args.code).await;
            modem.shutdown().await;
            UssdView::new(&answer?)
        }
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&answer)?)?;
    } else {
        writeln!(stdout, "{}", answer.text.as_deref().unwrap_or(""))?;
        let status = at::parse::UssdStatus(answer.status);
        if status.expects_reply() {
            eprintln!("note: the network waits for a reply (+CUSD: {status})");
        }
    }
    Ok(())
}

async fn at_chat(args: &AtChatArgs) -> anyhow::Result<()> {
    let wait = args.wait.unwrap_or(if urc::starts_ussd(&args.command) {
        urc::DEFAULT_USSD_WAIT
    } else {
        urc::DEFAULT_WAIT
    });
    let request = Request::AtChat {
        port: args.port.port.clone(),
        device: None,
        command: args.command.clone(),
        timeout_ms: Some(millis(args.timeout)),
        wait_ms: Some(millis(wait)),
    };
    let reply: AtReplyView = match route(&args.port, request).await? {
        Route::Daemon(answer) => done(answer)?,
        Route::Direct(socket_note) => {
            let modem = open(&args.port, Setup::Minimal, None, socket_note).await?;
            let reply = at_chat_and_wait(&modem, &args.command, Some(args.timeout), wait).await;
            modem.shutdown().await;
            reply?
        }
    };
    let mut stdout = std::io::stdout().lock();
    for line in reply
        .lines
        .iter()
        .chain([&reply.result])
        .chain(&reply.unsolicited)
    {
        writeln!(stdout, "{line}")?;
    }
    if !reply.success {
        bail!("{}: {}", args.command, reply.described);
    }
    Ok(())
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

async fn status(args: &StatusArgs) -> anyhow::Result<()> {
    let request = Request::Status {
        port: args.port.port.clone(),
        device: None,
    };
    let status: StatusView = match route(&args.port, request).await? {
        Route::Daemon(answer) => done(answer)?,
        Route::Direct(socket_note) => {
            let modem = open(&args.port, Setup::Full, None, socket_note).await?;
            let status = modem.status().await;
            let port = modem.port().to_owned();
            modem.shutdown().await;
            StatusView::new(&port, &status?)
        }
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&status)?)?;
    } else {
        write!(stdout, "{}", status_text(&status))?;
    }
    for problem in &status.problems {
        eprintln!("note: {problem}");
    }
    Ok(())
}

/// How a command reaches its modem.
#[derive(Debug)]
enum Route<T> {
    /// Through the daemon that holds the port: its answer.
    Daemon(Answer<T>),
    /// By opening the port here; why the daemon's socket could not be
    /// asked, if one was tried.
    Direct(Option<String>),
}

/// Asks the daemon's control socket first, if there is one: the daemon
/// may hold the port. A daemon that does not serve PORT, or no socket,
/// leaves the port to be opened here; a socket given by `--control` or
/// `SMSGATE_CONTROL` must answer.
async fn route<T: DeserializeOwned>(args: &PortArgs, mut request: Request) -> anyhow::Result<Route<T>> {
    let config_file = crate::config_path::optional(args.config.as_deref())?;
    let Some((socket, given_by)) = control_socket(args, config_file.as_ref()) else {
        return Ok(Route::Direct(None));
    };
    // The device decides which of the daemon's modems is meant; but for a
    // port with several devices and no `--channel`, the daemon's own
    // choice of channel does (it finds the modem by the port's name).
    let several_devices = config_file
        .as_ref()
        .and_then(|config_file| config_file.ports().get(&args.port))
        .is_some_and(|section| section.devices.len() > 1);
    if args.channel.is_some() || !several_devices {
        if let Ok(config) = modem_config(args, config_file.as_ref()) {
            request.set_device(config.port.to_string());
        }
    }
    match (control::ask(&socket, &request).await, given_by) {
        (Ok(Answer::Refused(Refusal::UnknownModem, _)), None) => Ok(Route::Direct(None)),
        (Ok(answer), _) => Ok(Route::Daemon(answer)),
        (Err(err), Some(given_by)) => Err(err.context(given_by)),
        (Err(err), None) => Ok(Route::Direct(Some(format!("{err:#}")))),
    }
}

/// The control socket to try, and what gave it if the user did: `--control`,
/// else `SMSGATE_CONTROL`, else the config file's `[control]` (none if it
/// says `enabled = false`), else the default spool's.
fn control_socket(args: &PortArgs, config_file: Option<&ConfigFile>) -> Option<(PathBuf, Option<String>)> {
    if let Some(path) = &args.control {
        return Some((path.clone(), Some(format!("--control {}", path.display()))));
    }
    if let Some(path) = std::env::var_os(CONTROL_ENV).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        let given_by = format!("{CONTROL_ENV}={}", path.display());
        return Some((path, Some(given_by)));
    }
    match config_file {
        Some(config_file) => config_file
            .settings
            .control_socket
            .clone()
            .map(|path| (path, None)),
        None => Some((Path::new(DEFAULT_SPOOL_BASE).join("smsgate.sock"), None)),
    }
}

/// The environment variable that names the control socket.
const CONTROL_ENV: &str = "SMSGATE_CONTROL";

/// The result of a request the daemon did, or its refusal as an error.
fn done<T>(answer: Answer<T>) -> anyhow::Result<T> {
    match answer {
        Answer::Done(result) => Ok(result),
        Answer::Refused(_, error) => Err(anyhow!("{error}")),
    }
}

/// Opens the modem that `args` name. `socket_note`: why the daemon's
/// control socket could not be asked, for when the daemon holds the port.
async fn open(
    args: &PortArgs,
    setup: Setup,
    storage: Option<Storage>,
    socket_note: Option<String>,
) -> anyhow::Result<ModemHandle> {
    let config_file = crate::config_path::optional(args.config.as_deref())?;
    let mut config = modem_config(args, config_file.as_ref())?;
    config.setup = setup;
    if let Some(storage) = storage {
        config.sms_storage = storage.into();
    }
    match ModemHandle::open(config).await {
        Ok(modem) => Ok(modem),
        Err(err @ ModemError::InUse { .. }) => match smsgate_holder(&err) {
            Some(SmsgateHolder::Daemon) => {
                let why = socket_note.map_or_else(
                    || "no control socket of it serves this port".to_owned(),
                    |note| format!("its control socket cannot be reached ({note})"),
                );
                bail!(
                    "{err}: the smsgate daemon holds the port, and {why}; check [control] in its config, or \
                     give the socket with --control PATH or {CONTROL_ENV}"
                )
            }
            Some(SmsgateHolder::Command(command)) => {
                bail!("{err}: another `smsgate {command}` is using the port; try again when it has finished")
            }
            None => Err(err.into()),
        },
        Err(err) => Err(err.into()),
    }
}

/// An smsgate process holding a port.
#[derive(Debug, PartialEq, Eq)]
enum SmsgateHolder {
    /// `smsgate run` or `smsgate demo`: a daemon, which may have a
    /// control socket.
    Daemon,
    /// A one-shot command (`ussd`, `at-chat`, ...), named.
    Command(String),
}

/// Which smsgate process holds the port of `err`, if one does: the
/// subcommand is the first word after the program that is not an option.
fn smsgate_holder(err: &ModemError) -> Option<SmsgateHolder> {
    let ModemError::InUse { holders, .. } = err else {
        return None;
    };
    holders.iter().find_map(|holder| {
        let mut words = holder.command_line.as_deref()?.split(' ');
        if !words.next()?.ends_with("smsgate") {
            return None;
        }
        let command = words.find(|word| !word.starts_with('-')).unwrap_or_default();
        Some(match command {
            "run" | "demo" => SmsgateHolder::Daemon,
            other => SmsgateHolder::Command(other.to_owned()),
        })
    })
}

/// The driver's configuration for PORT: the config file's section if it
/// names one, else PORT as a device path or `tcp://` address.
fn modem_config(args: &PortArgs, config_file: Option<&ConfigFile>) -> anyhow::Result<modem::Config> {
    let section = config_file.and_then(|config_file| config_file.ports().get(&args.port));
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
             it (neither ./{} nor {} exists; see --config)",
            args.port,
            smsgate_daemon::config::DEFAULT_PATH,
            crate::config_path::SYSTEM_PATH
        ),
    };
    let lock_dir = args
        .lock_dir
        .clone()
        .or_else(|| config_file.and_then(|config_file| config_file.lock_dir().map(Path::to_path_buf)))
        .unwrap_or_else(|| DEFAULT_LOCK_DIR.into());
    Ok(smsgate_daemon::config::driver_config(address, section, lock_dir))
}

/// A status of `status_json` as `status` prints it.
fn status_text(status: &StatusView) -> String {
    let text_or_unknown = |value: &Option<String>| value.as_deref().unwrap_or("unknown").to_owned();
    let rows = [
        ("port", status.port.clone()),
        (
            "registration",
            match &status.registration {
                None => "unknown".to_owned(),
                Some(RegistrationView {
                    meaning: Some(meaning),
                    ..
                }) => meaning.clone(),
                Some(registration) => registration.status.to_string(),
            },
        ),
        ("operator", text_or_unknown(&status.operator)),
        (
            "signal",
            match &status.signal {
                None => "unknown".to_owned(),
                Some(SignalView { dbm: None, .. }) => "not known (+CSQ 99)".to_owned(),
                Some(SignalView {
                    dbm: Some(dbm), bars, ..
                }) => format!("{dbm} dBm ({bars} of 5 bars)"),
            },
        ),
        ("imei", text_or_unknown(&status.imei)),
        ("imsi", text_or_unknown(&status.imsi)),
        ("iccid", text_or_unknown(&status.iccid)),
        ("smsc", text_or_unknown(&status.smsc)),
        (
            "storage",
            match &status.storage {
                None => "unknown".to_owned(),
                Some(storage) => format!(
                    "{} {}/{}",
                    storage.memory.as_deref().unwrap_or("?"),
                    storage.used,
                    storage.total
                ),
            },
        ),
    ];
    let mut text = String::new();
    for (name, value) in rows {
        let _ = writeln!(text, "{:<14}{value}", format!("{name}:"));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use smsgate_daemon::control::views::phone_number;

    use super::*;

    fn port_args(port: &str, channel: Option<usize>) -> PortArgs {
        PortArgs {
            port: port.to_owned(),
            channel,
            config: None,
            lock_dir: None,
            control: None,
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
        assert_eq!(config.sms_storage, modem::SmsStorage::Modem);
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

    // Issue 10, item 11: a one-shot `smsgate ussd` holding the port was
    // called "the smsgate daemon".
    #[test]
    fn the_smsgate_holding_a_port_is_named_by_its_command() {
        let in_use = |command_line: &str| ModemError::InUse {
            port: "/dev/ttyUSB2".to_owned(),
            holders: vec![modem::lock::Holder {
                pid: 42,
                command_line: Some(command_line.to_owned()),
            }],
            lock_file: None,
        };
        let holder = |command_line: &str| smsgate_holder(&in_use(command_line));
        assert_eq!(
            holder("/usr/bin/smsgate run --config /etc/smsgate.toml"),
            Some(SmsgateHolder::Daemon)
        );
        assert_eq!(holder("smsgate demo"), Some(SmsgateHolder::Daemon));
        assert_eq!(
            holder("target/debug/smsgate ussd /dev/ttyUSB2 *100#"),
            Some(SmsgateHolder::Command("ussd".to_owned()))
        );
        assert_eq!(holder("smsd -c /etc/smsd.conf"), None);
    }
}
