//! The command line as clap sees it: what the user typed, before the
//! commands turn it into the values they work on.
//!
//! This is ripgrep's "low-level args" step. Value parsers here check only
//! syntax that the option itself fixes (a language name, a validity period,
//! an autosplit mode); a bad value there is a usage error, exit status 2.
//! Whether a phone number, a text or a PDU can be encoded or decoded is the
//! command's business, and failing that is exit status 1.
//!
//! Each subcommand is one variant of [`Command`] with its own argument
//! struct, so `run` and `demo` slot in beside `pdu`; the commands that
//! talk to a modem (`send`, `inbox`, `ussd`, `at-chat`, `status`) are
//! [`ModemCommand`], flattened in, and share [`PortArgs`].

use clap::{Args, Parser, Subcommand, ValueEnum};
use sms_pdu::split::Autosplit;
use sms_pdu::{NationalLanguage, ValidityPeriod};
use smsgate_daemon::config::Storage;

const EXIT_STATUS_HELP: &str = "\
Exit status: 0 on success, 1 when a command fails (such as input that cannot \
be decoded or encoded; the message says where), 2 on a usage error.";

/// SMS gateway for GSM/3G/LTE modems.
#[derive(Debug, Parser)]
#[command(name = "smsgate", version, propagate_version = true, after_help = EXIT_STATUS_HELP)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Decode and encode SMS PDUs, without a modem.
    #[command(subcommand, arg_required_else_help = true)]
    Pdu(PduCommand),
    /// Run virtual modems on pseudo-terminals, or control running ones
    /// (`sim ctl`).
    #[command(args_conflicts_with_subcommands = true, after_help = SIM_AFTER_HELP)]
    Sim(SimArgs),
    /// The commands that talk to a modem.
    #[command(flatten)]
    Modem(ModemCommand),
    /// Print the smsgate configuration (TOML) equivalent to an smstools3
    /// smsd.conf.
    #[command(after_help = IMPORT_AFTER_HELP)]
    ImportSmsdConf(ImportSmsdConfArgs),
    /// Run the spool daemon: send the files dropped into outgoing/.
    #[command(after_help = RUN_AFTER_HELP)]
    Run(RunArgs),
    /// Operate a running daemon through its control socket: reload the
    /// config, suspend/resume/unblock/reopen a modem, set the log level,
    /// resend failed files, show the status.
    Ctl(DaemonCtlArgs),
    /// Read and check the configuration file as `run` and every modem
    /// command do, and report every problem in it at once.
    CheckConfig(RunArgs),
    /// Show each modem's settings as RouterOS's `/tool sms print`:
    /// receive, polling, auto-erase, channel, storage, SMS commands (the
    /// numbers, never the secret) and the daemon's last USSD answer.
    Settings(SettingsArgs),
    /// Try smsgate without hardware: two virtual modems, the daemon on
    /// them, and a message sent from one to the other.
    Demo(DemoArgs),
    /// Print the shell completion script for bash, zsh or fish (e.g.
    /// `smsgate completions bash > /etc/bash_completion.d/smsgate`).
    Completions(CompletionsArgs),
    /// Write the man pages (smsgate.1 and one per subcommand) into DIR.
    #[command(hide = true)]
    Man(ManArgs),
}

/// Arguments of `smsgate completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_name = "SHELL")]
    pub(crate) shell: clap_complete::Shell,
}

/// Arguments of `smsgate man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Where the pages go (created if need be).
    #[arg(value_name = "DIR")]
    pub(crate) dir: std::path::PathBuf,
}

const RUN_AFTER_HELP: &str = "\
Files dropped into the spool's outgoing/ (smstools3's format) are sent and \
moved to sent/ or failed/, with smstools3's headers; the eventhandler is \
called as smsd calls it. SIGINT or SIGTERM stops the daemon after the sends \
in flight have finished.

Exit status: 0 after a clean stop, 1 when the configuration is wrong or a \
modem cannot be opened (the message says which).";

/// Arguments of `smsgate run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The configuration file [default: ./smsgate.toml if there is one,
    /// else /etc/smsgate/smsgate.toml].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
}

/// Arguments of `smsgate settings`.
#[derive(Debug, Args)]
pub(crate) struct SettingsArgs {
    /// Only this modem (a modem or port name) [default: every modem].
    #[arg(value_name = "PORT")]
    pub(crate) port: Option<String>,
    /// The configuration file [default: ./smsgate.toml if there is one,
    /// else /etc/smsgate/smsgate.toml].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
    /// The daemon's control socket, asked for last-ussd [default: [control]
    /// socket of the config file].
    #[arg(long, value_name = "PATH")]
    pub(crate) control: Option<std::path::PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `smsgate demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Where the spool, the modems' links and the config go.
    #[arg(value_name = "DIR", default_value = "demo-spool")]
    pub(crate) dir: std::path::PathBuf,
}

const IMPORT_AFTER_HELP: &str = "\
Reads smsd.conf (global settings, [default], [queues], [providers] and one \
section per modem in `devices`) and prints the TOML for `smsgate run \
--config`. Settings smsgate cannot honour are listed, with their line and \
the reason, in a comment at the top; nothing is dropped silently.

Exit status: 0 when the TOML was printed, 1 when smsd.conf cannot be read or \
mapped (the message names the line), 2 on a usage error.";

/// Arguments of `smsgate import-smsd-conf`.
#[derive(Debug, Args)]
pub(crate) struct ImportSmsdConfArgs {
    /// The smstools3 configuration, e.g. /etc/smsd.conf.
    #[arg(value_name = "FILE")]
    pub(crate) file: std::path::PathBuf,
}

const PORT_AFTER_HELP: &str = "\
PORT is a port name from the config file, a serial device such as \
/dev/ttyUSB2 (or a simulator's link), or tcp://HOST:PORT for a serial server \
such as ser2net. The port is locked while the command runs; a second user is \
told who holds it.

The config file (--config, else ./smsgate.toml, else \
/etc/smsgate/smsgate.toml) names ports in [ports.NAME] \
sections with the keys device = \"PATH or tcp://HOST:PORT\" (or devices = \
[...], one per --channel), baud-rate, flow-control (none, software, \
hardware), sim-pin, sms-storage (sim, modem), init (command lines sent after \
the set-up), handshake-timeout-ms, send-timeout-ms, registration-timeout-ms \
and ussd-timeout-ms; and lock-dir at the top.

Exit status: 0 on success, 1 when the command fails (the message says why: \
no answer, a +CMS ERROR with its meaning, a SIM PIN problem, the port in \
use), 2 on a usage error.";

/// The commands that talk to a modem, as RouterOS's `/tool sms` and
/// `/interface lte at-chat`.
#[derive(Debug, Subcommand)]
pub(crate) enum ModemCommand {
    /// Send an SMS and print its message reference(s), one per part.
    #[command(after_help = PORT_AFTER_HELP)]
    Send(SendArgs),
    /// List the messages stored in a modem (parts joined), or remove one.
    #[command(after_help = PORT_AFTER_HELP)]
    Inbox(InboxArgs),
    /// Send a USSD code such as *245# and print the network's answer.
    #[command(after_help = PORT_AFTER_HELP)]
    Ussd(UssdArgs),
    /// Send a raw AT command and print the modem's answer.
    #[command(after_help = PORT_AFTER_HELP)]
    AtChat(AtChatArgs),
    /// Show registration, operator, signal, identities, SMSC and storage.
    #[command(after_help = PORT_AFTER_HELP)]
    Status(StatusArgs),
}

impl ModemCommand {
    /// The port options every modem command has.
    pub(crate) fn port(&self) -> &PortArgs {
        match self {
            ModemCommand::Send(args) => &args.port,
            ModemCommand::Inbox(args) => &args.port,
            ModemCommand::Ussd(args) => &args.port,
            ModemCommand::AtChat(args) => &args.port,
            ModemCommand::Status(args) => &args.port,
        }
    }
}

/// Which modem, and how to reach it.
#[derive(Clone, Debug, Args)]
pub(crate) struct PortArgs {
    /// A port name from the config file, a device path or tcp://HOST:PORT.
    #[arg(value_name = "PORT")]
    pub(crate) port: String,
    /// Which of the port's devices to use (`devices = [...]` in the config
    /// file), from 0.
    #[arg(long, value_name = "N")]
    pub(crate) channel: Option<usize>,
    /// The config file [default: ./smsgate.toml if there is one, else
    /// /etc/smsgate/smsgate.toml if there is that].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
    /// Where LCK..<device> lock files go [default: lock-dir from the
    /// config file, else /var/lock].
    #[arg(long, value_name = "DIR")]
    pub(crate) lock_dir: Option<std::path::PathBuf>,
    /// The daemon's control socket, through which the command runs when
    /// `smsgate run` holds the port [default: $SMSGATE_CONTROL, else
    /// [control] socket of the config file, else <spool base>/smsgate.sock].
    #[arg(long, value_name = "PATH")]
    pub(crate) control: Option<std::path::PathBuf>,
    /// Log every byte written to and read from the modem on stderr
    /// (tracing targets gsm::write and gsm::read; RUST_LOG=gsm=debug does
    /// the same).
    #[arg(long)]
    pub(crate) debug_at: bool,
}

/// Arguments of `smsgate send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) port: PortArgs,
    /// The recipient: the characters 0123456789*# abc; a leading + makes
    /// it international, otherwise its type is unknown. RouterOS's
    /// `phone-number=...`, `message=...`, `channel=N`, `smsc=...`,
    /// `type=...` and `status-report-request=yes|no` may be written here
    /// too, in place of the flags.
    #[arg(value_name = "PHONE", required = true, num_args = 1..)]
    pub(crate) words: Vec<String>,
    /// The text. Any length and any characters: long texts go in several
    /// parts (at most --max-parts), characters outside GSM 7-bit in UCS2.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) message: Option<String>,
    /// The service centre to send through [default: the modem's].
    #[arg(long, value_name = "NUMBER", allow_hyphen_values = true)]
    pub(crate) smsc: Option<String>,
    /// class-0 is shown at once and not stored ("flash"); class-1 to
    /// class-3 are the other classes [default: no class].
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub(crate) sms_type: Option<SmsType>,
    /// The most parts the text may take; a longer text is refused with
    /// its count [default: [limits] max-parts of the config file, else 10].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=255))]
    pub(crate) max_parts: Option<u16>,
    /// Ask for a status report when the message is delivered [default:
    /// yes].
    #[arg(long, value_enum, value_name = "yes|no")]
    pub(crate) status_report_request: Option<YesNo>,
    /// Where the modem keeps received messages (AT+CPMS) [default: from
    /// the config file, else sim].
    #[arg(long, value_enum)]
    pub(crate) sms_storage: Option<Storage>,
    /// Print {"references": [...]} instead of one reference per line.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `smsgate inbox`.
#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    #[command(flatten)]
    pub(crate) port: PortArgs,
    /// Print JSON: phone, message, timestamp (the service centre's clock,
    /// YYYY-MM-DD HH:MM:SS), type, status (received, unsent, sent),
    /// indexes; the same whether the modem or a daemon receiving for it
    /// was asked.
    #[arg(long)]
    pub(crate) json: bool,
    /// Remove the message at index N instead of listing: all its parts, if
    /// it is one of a concatenated message. (Through a daemon that receives
    /// for the modem, N is the number its listing shows, fixed for as long
    /// as the message is kept.)
    #[arg(long, value_name = "N")]
    pub(crate) remove: Option<u64>,
    /// Which storage to read [default: from the config file, else sim].
    /// Through a daemon that receives for the modem, the listing is what
    /// it received (incoming/, report/) unless this is given.
    #[arg(long, value_enum)]
    pub(crate) sms_storage: Option<Storage>,
}

/// Arguments of `smsgate ussd`.
#[derive(Debug, Args)]
pub(crate) struct UssdArgs {
    #[command(flatten)]
    pub(crate) port: PortArgs,
    /// The code, e.g. *245#.
    #[arg(value_name = "CODE", allow_hyphen_values = true)]
    pub(crate) code: String,
    /// Print JSON: status, text, raw, dcs, encoding.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `smsgate at-chat`.
#[derive(Debug, Args)]
pub(crate) struct AtChatArgs {
    #[command(flatten)]
    pub(crate) port: PortArgs,
    /// The command line, e.g. 'AT+CSQ'.
    #[arg(value_name = "COMMAND", allow_hyphen_values = true)]
    pub(crate) command: String,
    /// How long to wait for the final result, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    pub(crate) timeout: std::time::Duration,
    /// How long to wait after a successful final result for unsolicited
    /// codes that follow (a +CUSD answer, a +CMTI), printed after it, in
    /// seconds; 0: none [default: 10 for AT+CUSD=1,... (ending at the
    /// answer), else 0.5].
    #[arg(long, value_name = "SECONDS", value_parser = parse_wait)]
    pub(crate) wait: Option<std::time::Duration>,
}

/// Arguments of `smsgate status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) port: PortArgs,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The values of `send --type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SmsType {
    /// Shown at once, not stored ("flash").
    #[value(name = "class-0")]
    Class0,
    /// Stored in the phone.
    #[value(name = "class-1")]
    Class1,
    /// Stored on the SIM.
    #[value(name = "class-2")]
    Class2,
    /// For the terminal equipment.
    #[value(name = "class-3")]
    Class3,
}

/// RouterOS's yes/no.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum YesNo {
    /// Yes.
    Yes,
    /// No.
    No,
}

/// `smsgate pdu ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PduCommand {
    /// Decode PDUs as modems print them in +CMGR, +CMGL, +CMT and +CDS.
    Decode(DecodeArgs),
    /// Encode a message as the SMS-SUBMIT PDUs that AT+CMGS takes.
    Encode(EncodeArgs),
}

const DECODE_AFTER_HELP: &str = "\
Several HEX arguments are the parts of one concatenated message. They may \
come in any order; a repeated part is ignored with a warning. Each part is \
printed, then the reassembled text (or 8-bit data). If the parts are not one \
complete message (a part missing, a PDU without a concatenation header, parts \
of different messages), the parts are still printed, the problem is reported \
(with --json in \"error\"), and the exit status is 1.

On malformed input nothing is printed but an error naming the PDU, the octet \
and the field, e.g. `PDU 2: octet 26 (TP-UDL): length 171 is invalid, at most \
160`; with --json it is also printed as {\"error\": \"...\"} on stdout.

Exit status: 0 on success, 1 on malformed input or an incomplete message, 2 \
on a usage error.";

/// Arguments of `smsgate pdu decode`.
#[derive(Debug, Args)]
#[command(after_help = DECODE_AFTER_HELP)]
pub(crate) struct DecodeArgs {
    /// Print JSON instead of a field dump.
    #[arg(long)]
    pub(crate) json: bool,
    /// The PDUs are bare TPDUs, without the leading SMSC address.
    #[arg(long)]
    pub(crate) no_smsc: bool,
    /// A PDU in hex, as modems print it: the SMSC address first (`00` for
    /// none), then the TPDU.
    #[arg(value_name = "HEX", required = true)]
    pub(crate) hex: Vec<String>,
}

const ENCODE_AFTER_HELP: &str = "\
Prints one line per part: the length that AT+CMGS takes (TPDU octets, \
without the SMSC address), a space, and the PDU in hex.

Exit status: 0 on success, 1 when the message cannot be encoded (a bad \
number, a character the alphabet lacks, a text too long for --autosplit 0), \
2 on a usage error.";

/// Arguments of `smsgate pdu encode`.
#[derive(Debug, Args)]
#[command(after_help = ENCODE_AFTER_HELP)]
pub(crate) struct EncodeArgs {
    /// The recipient: digits, `*`, `#`, `a`, `b`, `c` and spaces; a leading
    /// `+` makes it international.
    #[arg(long, value_name = "NUMBER", allow_hyphen_values = true)]
    pub(crate) to: String,
    /// The message text; with --alphabet binary, the data in hex.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) text: String,
    /// The SMSC number to put in the PDU [default: none, the modem uses its
    /// own].
    #[arg(long, value_name = "NUMBER", allow_hyphen_values = true)]
    pub(crate) smsc: Option<String>,
    /// Send as a class 0 ("flash") message, shown at once and not stored.
    #[arg(long)]
    pub(crate) class0: bool,
    /// Request a status report.
    #[arg(long)]
    pub(crate) report: bool,
    /// The validity period, in smstools3's syntax: a relative value 0-255,
    /// or a period like "2 days" (min, hour, day, week, month, year),
    /// rounded down [default: none].
    #[arg(long, value_name = "V", value_parser = parse_validity)]
    pub(crate) validity: Option<ValidityPeriod>,
    /// The alphabet; auto picks the one that needs the fewest parts.
    #[arg(long, value_enum, default_value_t = AlphabetArg::Auto)]
    pub(crate) alphabet: AlphabetArg,
    /// smstools3's autosplit mode: 0 never split (too long is an error), 1
    /// split into separate messages, 2 split and start each part with "1/3 ",
    /// 3 split with a concatenation header.
    #[arg(long, value_name = "0-3", default_value = "3", value_parser = parse_autosplit)]
    pub(crate) autosplit: Autosplit,
    /// National languages whose GSM 7-bit shift tables may be used, e.g.
    /// turkish,spanish (not every phone has them).
    #[arg(long, value_name = "LANG[,LANG]", value_delimiter = ',', value_parser = parse_language)]
    pub(crate) national: Vec<NationalLanguage>,
    /// Use only the single-shift tables of the --national languages, never
    /// their locking-shift tables (some phones have only the former).
    #[arg(long, requires = "national")]
    pub(crate) single_shift_only: bool,
    /// The concatenation reference: 0-255 use the 8-bit reference element,
    /// 256-65535 the 16-bit one [default: derived from the number and the
    /// text].
    #[arg(long, value_name = "N")]
    pub(crate) reference: Option<u16>,
}

/// The values of `--alphabet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AlphabetArg {
    /// GSM 7-bit when the text allows it and it needs no more parts than
    /// UCS2, otherwise UCS2.
    Auto,
    /// GSM 7-bit; a character it lacks is an error.
    #[value(alias = "gsm7")]
    Gsm,
    /// UCS2 (UTF-16).
    Ucs2,
    /// 8-bit data; --text is hex.
    #[value(alias = "8bit")]
    Binary,
}

const SIM_AFTER_HELP: &str = "\
Each modem is a pseudo-terminal behind the link DIR/modemN, which clients \
(smsd, gammu, smsgate) open like a serial port; the link survives re-plugs. \
Messages between the modems' numbers travel through a virtual network; \
messages to other numbers are logged (`sim ctl external`). Runs until \
Ctrl-C or SIGTERM, then removes the links.";

/// The control API address `sim` listens on and `sim ctl` calls.
pub(crate) const DEFAULT_CONTROL: &str = "127.0.0.1:7700";

/// Arguments of `smsgate sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// `sim ctl`; without it, `sim` runs the modems.
    #[command(subcommand)]
    pub(crate) command: Option<SimCommand>,
    #[command(flatten)]
    pub(crate) run: SimRunArgs,
}

/// How to run the simulator.
#[derive(Debug, Args)]
pub(crate) struct SimRunArgs {
    /// How many modems.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) modems: u16,
    /// Where the links modem0, modem1, ... go [default: smsgate-sim in the
    /// temporary directory].
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<std::path::PathBuf>,
    /// Also serve modem N over TCP on this address's port + N (like
    /// ser2net; one client per modem at a time).
    #[arg(long, value_name = "BASE_ADDR")]
    pub(crate) tcp: Option<std::net::SocketAddr>,
    /// The control API address; loopback only (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_CONTROL)]
    pub(crate) control: std::net::SocketAddr,
    /// How long a message takes through the network.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub(crate) air_time_ms: u64,
}

/// The subcommands of `smsgate sim`.
#[derive(Debug, Subcommand)]
pub(crate) enum SimCommand {
    /// Call the control API of a running `smsgate sim` and print its JSON
    /// answer.
    Ctl(CtlArgs),
}

/// Arguments of `smsgate sim ctl`.
#[derive(Debug, Args)]
pub(crate) struct CtlArgs {
    /// The control API address of the simulator.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_CONTROL, global = true)]
    pub(crate) control: std::net::SocketAddr,
    /// What to do.
    #[command(subcommand)]
    pub(crate) request: CtlRequest,
}

/// The requests of `smsgate sim ctl`, one per control API endpoint.
#[derive(Debug, Subcommand)]
pub(crate) enum CtlRequest {
    /// List the modems: links, PTYs, numbers, stores.
    Modems,
    /// Deliver a message to a modem as if it came from outside.
    Inject(CtlInjectArgs),
    /// Send a modem a status report about a message it sent.
    StatusReport {
        /// The modem index.
        index: usize,
        /// The +CMGS reference of the message.
        #[arg(long)]
        mr: u8,
        /// TP-ST: 0 delivered, 64-127 permanent errors (70: validity
        /// expired).
        #[arg(long, default_value_t = 0)]
        status: u8,
        /// The recipient the report names [default: the destination of the
        /// message with that reference].
        #[arg(long, value_name = "NUMBER", allow_hyphen_values = true)]
        to: Option<String>,
    },
    /// List what a modem sent (AT+CMGS).
    Submitted {
        /// The modem index.
        index: usize,
    },
    /// List the voice calls of a modem: placed, and incoming (result RING).
    Calls {
        /// The modem index.
        index: usize,
    },
    /// Ring a modem: a voice call from a number (RING, and +CLIP once the
    /// client set AT+CLIP=1) until the client hangs up.
    Call {
        /// The modem index.
        index: usize,
        /// The caller's number.
        #[arg(long)]
        from: String,
    },
    /// List the messages sent to numbers outside the simulator.
    External,
    /// Set the network's answer to a USSD code: a text, or raw hex with
    /// its data coding scheme (--raw-hex EBB79B1E0685E9ECF4BADE9E03 --dcs 15).
    Ussd {
        /// The modem index.
        index: usize,
        /// The code, e.g. *100#.
        #[arg(long, allow_hyphen_values = true)]
        code: String,
        /// The answer, as text.
        #[arg(long, allow_hyphen_values = true, required_unless_present = "raw_hex")]
        answer: Option<String>,
        /// The answer as the network encoded it, in hex octets.
        #[arg(long, value_name = "HEX", conflicts_with = "answer", requires = "dcs")]
        raw_hex: Option<String>,
        /// The data coding scheme of --raw-hex (15: GSM 7-bit, 72: UCS2).
        #[arg(long, value_name = "N", requires = "raw_hex", conflicts_with = "answer")]
        dcs: Option<u8>,
    },
    /// List the messages in a modem's memories (SM, then ME), decoded.
    Messages {
        /// The modem index.
        index: usize,
    },
    /// Inject a fault into a modem.
    Fault {
        /// The modem index.
        index: usize,
        /// What goes wrong.
        #[arg(value_enum)]
        kind: FaultKind,
        /// The error code of cms-error and cme-error (38: network out of
        /// order).
        #[arg(long)]
        code: Option<u16>,
        /// How many sends cms-error, cme-error and prompt-error affect
        /// [default: 1].
        #[arg(long)]
        count: Option<u32>,
        /// The delay of delay, in milliseconds.
        #[arg(long)]
        ms: Option<u64>,
    },
    /// Unplug a modem and plug it back in: a new PTY behind the same link.
    Replug {
        /// The modem index.
        index: usize,
    },
}

/// Arguments of `smsgate sim ctl inject`.
#[derive(Debug, Args)]
pub(crate) struct CtlInjectArgs {
    /// The modem index.
    pub(crate) index: usize,
    /// The sender: +digits, digits, or a name of up to 11 characters.
    #[arg(
        long,
        value_name = "SENDER",
        allow_hyphen_values = true,
        required_unless_present = "pdu"
    )]
    pub(crate) from: Option<String>,
    /// The text; long texts become concatenated parts.
    #[arg(
        long,
        allow_hyphen_values = true,
        conflicts_with = "pdu",
        required_unless_present = "pdu"
    )]
    pub(crate) text: Option<String>,
    /// An SMS-DELIVER or SMS-STATUS-REPORT in hex, SMSC address first.
    #[arg(long, value_name = "HEX")]
    pub(crate) pdu: Option<String>,
    /// The alphabet of --text.
    #[arg(long, value_enum, default_value_t = InjectEncoding::Auto, conflicts_with = "pdu")]
    pub(crate) encoding: InjectEncoding,
    /// Send --text as a class 0 ("flash") message.
    #[arg(long, conflicts_with = "pdu")]
    pub(crate) class0: bool,
    /// Deliver only these parts of --text, in this order, e.g. 3,1,2.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', conflicts_with = "pdu")]
    pub(crate) parts_order: Option<Vec<usize>>,
}

/// The values of `sim ctl inject --encoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InjectEncoding {
    /// GSM 7-bit when the text fits it, else UCS2.
    Auto,
    /// GSM 7-bit.
    Gsm7,
    /// UCS2.
    Ucs2,
}

/// The faults of `sim ctl fault`, named as in the control API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FaultKind {
    /// Every answer comes --ms late.
    Delay,
    /// Commands are carried out but nothing is written.
    Silence,
    /// The next answer is line noise.
    Garbage,
    /// The next --count sends end in +CMS ERROR: --code.
    CmsError,
    /// The next --count sends end in +CME ERROR: --code.
    CmeError,
    /// The next --count AT+CMGS get ERROR instead of the prompt.
    PromptError,
    /// The firmware hangs until cleared or re-plugged.
    Hang,
    /// The SIM is pulled.
    SimRemoved,
    /// The SIM asks for its PIN.
    PinRequired,
    /// The message stores take nothing more.
    SimFull,
    /// No network registration.
    NoNetwork,
    /// The modem leaves the bus and comes back after a pause.
    Unplug,
    /// The next send reaches the network, then the modem leaves the bus
    /// before answering.
    UnplugOnSend,
    /// End every fault.
    Clear,
}

fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0 && *seconds <= 3600.0)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| "a number of seconds, more than 0 and at most 3600".to_owned())
}

fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    if text.parse::<f64>() == Ok(0.0) {
        return Ok(std::time::Duration::ZERO);
    }
    parse_seconds(text)
}

fn parse_validity(text: &str) -> Result<ValidityPeriod, String> {
    sms_pdu::parse_smstools_validity(text)
        .map(ValidityPeriod::Relative)
        .map_err(|err| err.to_string())
}

fn parse_autosplit(text: &str) -> Result<Autosplit, String> {
    text.parse::<u8>()
        .ok()
        .and_then(Autosplit::from_smstools)
        .ok_or_else(|| "the autosplit mode is 0, 1, 2 or 3".to_owned())
}

fn parse_language(name: &str) -> Result<NationalLanguage, String> {
    NationalLanguage::ALL
        .into_iter()
        .find(|language| language.name().eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            let names: Vec<&str> = NationalLanguage::ALL
                .iter()
                .map(|language| language.name())
                .collect();
            format!("unknown language; known: {}", names.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn option_values() {
        assert_eq!(parse_validity("2 days"), Ok(ValidityPeriod::Relative(168)));
        assert!(parse_validity("3 fortnights").is_err());
        assert_eq!(parse_autosplit("0"), Ok(Autosplit::Off));
        assert_eq!(parse_autosplit("3"), Ok(Autosplit::Concatenated));
        assert!(parse_autosplit("4").is_err());
        assert_eq!(parse_seconds("0.5"), Ok(std::time::Duration::from_millis(500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("soon").is_err());
        assert_eq!(parse_language("Turkish"), Ok(NationalLanguage::Turkish));
        assert!(parse_language("klingon")
            .unwrap_err()
            .contains("turkish, spanish"));
    }
}

/// Arguments of `smsgate ctl`.
#[derive(Debug, Args)]
pub(crate) struct DaemonCtlArgs {
    /// The daemon's configuration file, which names its control socket
    /// [default: ./smsgate.toml, else the default spool's socket].
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) config: Option<std::path::PathBuf>,
    /// The daemon's control socket [default: SMSGATE_CONTROL, else the
    /// config's [control] socket].
    #[arg(long, value_name = "SOCKET", global = true)]
    pub(crate) control: Option<std::path::PathBuf>,
    /// Print the daemon's answer as JSON.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// What to do.
    #[command(subcommand)]
    pub(crate) request: DaemonCtl,
}

/// The requests of `smsgate ctl`.
#[derive(Debug, Subcommand)]
pub(crate) enum DaemonCtl {
    /// Read the config file again and apply it: modems added, removed or
    /// changed (each after its message in flight), queues, handlers,
    /// limits. A config with errors is refused whole; the running one
    /// stays. SIGHUP does the same.
    Reload,
    /// Every modem's state and since when, its last error, what it sent,
    /// failed and received today, until when it is blocked; each queue's
    /// depth.
    Status,
    /// Suspend (no new message; the one in flight finishes), resume,
    /// unblock or reopen (close and open the port) a modem.
    Modem {
        /// The modem's name.
        name: String,
        #[arg(value_enum)]
        action: smsgate_daemon::ops::ModemAction,
    },
    /// Set the log filter: a level (debug) or a tracing filter
    /// (smsgate=debug,warn).
    LogLevel { level: String },
    /// Move failed files back to outgoing/ as new messages: their id and
    /// outcome headers stripped, an X-Smsgate-Resend-Of header added.
    Resend {
        /// A file of failed/, by name.
        #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
        file: Option<String>,
        /// Every file of failed/.
        #[arg(long)]
        all_failed: bool,
        /// With --all-failed: only files that failed since TIME (RFC 3339,
        /// YYYY-MM-DD[ HH:MM[:SS]] local, or @UNIX-SECONDS).
        #[arg(long, value_name = "TIME", requires = "all_failed")]
        since: Option<String>,
    },
}
