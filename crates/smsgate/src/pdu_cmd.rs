//! `smsgate pdu decode` and `smsgate pdu encode`: the codec on the command
//! line, for looking at what a modem printed and for making what `AT+CMGS`
//! takes.
//!
//! The work is `sms-pdu`'s; this module turns the arguments into codec
//! values (ripgrep's "high-level args" step), picks the output and words
//! the errors, naming the PDU or option they are about.

use std::io::{self, Write};

use anyhow::{anyhow, Context};
use serde::Serialize;
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::{AlphabetChoice, Autosplit, SplitOptions};
use sms_pdu::{Address, EncodeError, MessageClass, Pdu};

use crate::cli::{AlphabetArg, DecodeArgs, EncodeArgs, PduCommand};
use crate::decoded::{DecodedPdu, Payload};
use crate::multipart;
use crate::pdu_dump::{dump_message, dump_pdu};
use crate::pdu_json::{ErrorJson, MessageJson, PduJson};

/// Runs a `pdu` subcommand.
pub(crate) fn run(command: &PduCommand) -> anyhow::Result<()> {
    match command {
        PduCommand::Decode(args) => decode(args),
        PduCommand::Encode(args) => encode(args),
    }
}

fn decode(args: &DecodeArgs) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    let pdus = match decode_all(&args.hex, !args.no_smsc) {
        Ok(pdus) => pdus,
        Err(message) => {
            if args.json {
                write_json(
                    &mut stdout,
                    &ErrorJson {
                        error: message.clone(),
                    },
                )?;
            }
            return Err(anyhow!(message));
        }
    };
    if let [pdu] = pdus.as_slice() {
        if args.json {
            write_json(&mut stdout, &PduJson::from(pdu))?;
        } else {
            stdout.write_all(dump_pdu(pdu).as_bytes())?;
        }
        stdout.flush()?;
        return Ok(());
    }
    let reassembled = multipart::reassemble(&pdus);
    if args.json {
        write_json(&mut stdout, &MessageJson::new(&pdus, &reassembled))?;
    } else {
        stdout.write_all(dump_message(&pdus, &reassembled).as_bytes())?;
    }
    stdout.flush()?;
    match reassembled.problem {
        Some(problem) => Err(anyhow!("the PDUs are not one complete message: {problem}")),
        None => Ok(()),
    }
}

/// Decodes every PDU, or says what is wrong with each one that is
/// malformed, not just the first.
fn decode_all(hexes: &[String], with_smsc: bool) -> Result<Vec<DecodedPdu>, String> {
    let mut pdus = Vec::with_capacity(hexes.len());
    let mut errors = Vec::new();
    for (pdu_idx, hex) in hexes.iter().enumerate() {
        match DecodedPdu::from_hex(hex, with_smsc) {
            Ok(pdu) => pdus.push(pdu),
            Err(err) => errors.push(format!("PDU {}: {err}", pdu_idx + 1)),
        }
    }
    if errors.is_empty() {
        Ok(pdus)
    } else {
        Err(errors.join("; "))
    }
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    // As an `io::Error` again, so that main can tell a closed pipe.
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

fn encode(args: &EncodeArgs) -> anyhow::Result<()> {
    let request = EncodeRequest::from_args(args)?;
    let pdus = request.pdus()?;
    let mut stdout = io::stdout().lock();
    for (part_idx, pdu) in pdus.iter().enumerate() {
        let (length, hex) = pdu
            .to_cmgs()
            .with_context(|| format!("part {} of {}", part_idx + 1, pdus.len()))?;
        writeln!(stdout, "{length} {hex}")?;
    }
    stdout.flush()?;
    Ok(())
}

/// What `pdu encode` was asked to encode, checked.
#[derive(Debug)]
struct EncodeRequest {
    message: OutgoingMessage,
    options: SplitOptions,
    content: Payload,
}

impl EncodeRequest {
    fn from_args(args: &EncodeArgs) -> anyhow::Result<EncodeRequest> {
        let destination = Address::parse_phone(&args.to).context("--to")?;
        let smsc = args
            .smsc
            .as_deref()
            .map(Address::parse_phone)
            .transpose()
            .context("--smsc")?;
        let content = match args.alphabet {
            AlphabetArg::Binary => Payload::Data(sms_pdu::decode_hex(&args.text).context("--text")?),
            _ => Payload::Text(args.text.clone()),
        };
        let reference = args
            .reference
            .unwrap_or_else(|| u16::from(derived_reference(&destination, &content)));
        let options = SplitOptions {
            alphabet: match args.alphabet {
                AlphabetArg::Auto | AlphabetArg::Binary => AlphabetChoice::Auto,
                AlphabetArg::Gsm => AlphabetChoice::Gsm7,
                AlphabetArg::Ucs2 => AlphabetChoice::Ucs2,
            },
            national_languages: args.national.clone(),
            single_shift_only: args.single_shift_only,
            autosplit: args.autosplit,
            reference,
            wide_reference: reference > 0xFF,
            extra_elements: Vec::new(),
        };
        let message = OutgoingMessage {
            smsc,
            class: args.class0.then_some(MessageClass::Class0),
            status_report_request: args.report,
            validity: args.validity,
            ..OutgoingMessage::to(destination)
        };
        Ok(EncodeRequest {
            message,
            options,
            content,
        })
    }

    fn pdus(&self) -> anyhow::Result<Vec<Pdu>> {
        let pdus = match &self.content {
            Payload::Text(text) => self.message.text_pdus(text, &self.options),
            Payload::Data(data) => self.message.data_pdus(data, &self.options),
        };
        pdus.map_err(|err| self.explain(err))
    }

    /// Words an encoding error for the command line.
    fn explain(&self, err: EncodeError) -> anyhow::Error {
        let hint = match (&err, self.options.alphabet, self.options.autosplit) {
            (EncodeError::TooLong { .. }, _, Autosplit::Off) => " (--autosplit 0 does not split)",
            (EncodeError::Unrepresentable { .. }, AlphabetChoice::Gsm7, _) => {
                " (--alphabet auto or ucs2 would use UCS2)"
            }
            _ => "",
        };
        anyhow!("--text: {err}{hint}")
    }
}

/// A concatenation reference for a message that was given none: a hash of
/// the recipient and the content, so the same command gives the same PDUs
/// and different messages to one phone most likely get different
/// references.
fn derived_reference(destination: &Address, content: &Payload) -> u8 {
    // FNV-1a: tiny, and unlike std's hasher its output is fixed forever.
    let mut hash: u32 = 0x811C_9DC5;
    let mut feed = |octets: &[u8]| {
        for &octet in octets {
            hash ^= u32::from(octet);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(destination.number.as_bytes());
    feed(&[0xFF]);
    match content {
        Payload::Text(text) => feed(text.as_bytes()),
        Payload::Data(data) => feed(data),
    }
    let [a, b, c, d] = hash.to_be_bytes();
    a ^ b ^ c ^ d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_references_are_stable() {
        let destination = Address::parse_phone("+4917212345678").unwrap();
        let text = Payload::Text("Hello".to_owned());
        let reference = derived_reference(&destination, &text);
        assert_eq!(reference, derived_reference(&destination, &text));
        // Pinned: a change would change every multipart PDU printed.
        assert_eq!(reference, 71);
        let other = Payload::Text("Hello!".to_owned());
        assert_ne!(reference, derived_reference(&destination, &other));
    }
}
