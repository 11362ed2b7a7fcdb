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
//! struct, so `run`, `sim`, `send` and `demo` slot in beside `pdu`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use sms_pdu::split::Autosplit;
use sms_pdu::{NationalLanguage, ValidityPeriod};

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
        assert_eq!(parse_language("Turkish"), Ok(NationalLanguage::Turkish));
        assert!(parse_language("klingon")
            .unwrap_err()
            .contains("turkish, spanish"));
    }
}
