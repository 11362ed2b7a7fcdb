//! The `incoming/` and `report/` files: what smsd 3.1.21 writes for a
//! received message or status report. Shown here with `incoming_utf8 =
//! yes` and `decode_unicode_text = yes` (text as UTF-8, 8-bit data as raw
//! bytes); smsd's defaults (ISO-8859-15, raw UCS2) and the `PDU:` lines
//! of `store_received_pdu` are [`IncomingFormat`]'s (`format.rs`).
//!
//! The layout, captured from smsd (the corpus in
//! `smsgate/tests/data/differential-receive`):
//!
//! ```text
//! Warning: ...                  one line per problem, first
//! From: 31641600986             digits without `+`, or the alphanumeric name
//! From_TOA: 91 international, ISDN/telephone
//! From_SMSC: 15555550000
//! Sent: 26-11-21 19:29:19       TP-SCTS, as the SMSC wrote it (its zone)
//! Received: 26-11-21 19:29:20   the caller's clock
//! Subject: GSM1                 the modem's name
//! Modem: GSM1
//! IMSI: 001010123456789         when known
//! IMEI: 490154203237518         when known
//! Report: no                    TP-SRI (TP-SRQ for a report)
//! Replace: 1                    replace short message type, when set
//! Flash: yes                    class 0 only
//! Alphabet: UTF-8               or `binary`
//! UDH-DATA: 06 05 04 0B 84 23 F0     a header other than concatenation
//! UDH-Type: Length=7, [05]Application port addressing scheme, 16 bit address
//! Length: 27                    characters (GSM), UTF-8 octets (UCS2), octets
//!
//! Hello smsd from the network   no newline added
//! ```
//!
//! A concatenated message is one file with the parts' text joined in part
//! order; its concatenation element is not written. smsgate's additions:
//! `Incomplete: yes` and `Missing_parts:` for a message whose wait for
//! its parts ran out, the codec's own `Warning:` text where smsd has no
//! wording, and a file (`Error:`) for a PDU that does not decode at all.
//! `docs/differences.md` lists them.

use sms_pdu::{
    Address, Alphabet, DataCodingScheme, DecodeError, Decoded, Deliver, InformationElement, Location,
    MessageClass, Pdu, StatusReport, Timestamp, Tpdu, UserDataHeader, Warning,
};

use crate::render::SpoolTime;

mod format;

use format::FileAlphabet;
pub use format::{body_text, IncomingCharset, IncomingFormat, StoreReceivedPdu};

/// Who received the message, and when: the header lines that do not come
/// from the PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedBy {
    /// The modem's name (`Subject:` and `Modem:`).
    pub modem: String,
    /// The modem's `number` (`Number:`, after `Modem:`, as smsd writes it).
    pub number: Option<String>,
    /// The modem's `description` (`Description:`).
    pub description: Option<String>,
    /// The SIM's IMSI, if the modem told it.
    pub imsi: Option<String>,
    /// The modem's IMEI, if it told it.
    pub imei: Option<String>,
    /// When the message was read from the modem (`Received:`).
    pub received: SpoolTime,
}

/// One received SMS-DELIVER: a whole message, or one part of a
/// concatenated one.
#[derive(Clone, Copy, Debug)]
pub struct MessagePart<'a> {
    /// The SMSC address the modem printed in front of the TPDU.
    pub smsc: Option<&'a Address>,
    /// The TPDU.
    pub deliver: &'a Deliver,
    /// What the codec found odd while decoding it.
    pub warnings: &'a [Warning],
    /// The PDU in hex as the modem printed it, for the `PDU:` line of
    /// `store_received_pdu`; none, none is written.
    pub pdu: Option<&'a str>,
}

impl<'a> MessagePart<'a> {
    /// The part in a decoded PDU, or `None` when it is not an SMS-DELIVER.
    pub fn of(decoded: &'a Decoded<Pdu>) -> Option<MessagePart<'a>> {
        match &decoded.value.tpdu {
            Tpdu::Deliver(deliver) => Some(MessagePart {
                smsc: decoded.value.smsc.as_ref(),
                deliver,
                warnings: &decoded.warnings,
                pdu: None,
            }),
            _ => None,
        }
    }

    /// The part, with the PDU's hex as the modem printed it.
    pub fn with_pdu(self, pdu: &'a str) -> MessagePart<'a> {
        MessagePart {
            pdu: Some(pdu),
            ..self
        }
    }
}

/// The `incoming/` file for a message made of `parts` (one for a message
/// on its own), in any order; the header comes from the lowest-numbered
/// part. When a concatenated message lacks parts (its wait ran out), the
/// file says which (`Incomplete: yes`, `Missing_parts: 2,3`) and holds
/// the text of the parts that came. A part number given twice is written
/// once. No parts at all gives a file that says so in `Error:`.
pub fn render_incoming(parts: &[MessagePart<'_>], received_by: &ReceivedBy) -> Vec<u8> {
    IncomingFormat::default().render_incoming(parts, received_by)
}

/// The `report/` file for a status report, in UTF-8 and without its PDU
/// ([`IncomingFormat::render_report`]).
pub fn render_report(
    smsc: Option<&Address>,
    report: &StatusReport,
    warnings: &[Warning],
    received_by: &ReceivedBy,
) -> Vec<u8> {
    IncomingFormat::default().render_report(smsc, report, warnings, None, received_by)
}

/// The `incoming/` file for a PDU that does not decode, in UTF-8
/// ([`IncomingFormat::render_undecodable`]).
pub fn render_undecodable(pdu_hex: &str, error: &DecodeError, received_by: &ReceivedBy) -> Vec<u8> {
    IncomingFormat::default().render_undecodable(pdu_hex, error, received_by)
}

/// The file for one decoded PDU, in UTF-8 and without its PDU
/// ([`IncomingFormat::render_pdu`]).
pub fn render_pdu(decoded: &Decoded<Pdu>, received_by: &ReceivedBy) -> (Directory, Vec<u8>) {
    IncomingFormat::default().render_pdu(decoded, None, received_by)
}

impl IncomingFormat {
    /// The `incoming/` file for a message made of `parts` (one for a message
    /// on its own), in any order, in this format (see [`render_incoming`]).
    pub fn render_incoming(self, parts: &[MessagePart<'_>], received_by: &ReceivedBy) -> Vec<u8> {
        let mut ordered: Vec<(u8, MessagePart<'_>)> = parts
            .iter()
            .map(|part| (part_number(part.deliver), *part))
            .collect();
        ordered.sort_by_key(|(seq, _)| *seq);
        ordered.dedup_by_key(|(seq, _)| *seq);
        let Some(&(_, first)) = ordered.first() else {
            let mut file = FileWriter::default();
            file.header("Error", "no message parts to write");
            received_by.write(&mut file);
            return file.finish(b"");
        };
        let deliver = first.deliver;
        let is_multipart = ordered.len() > 1 || concat_total(deliver).is_some();

        let mut file = FileWriter::default();
        for (seq, part) in &ordered {
            for warning in smsd_warnings(part.warnings, &[("TP-SCTS", &part.deliver.scts)], Stamp::Deliver) {
                match is_multipart {
                    true => file.header("Warning", &format!("part {seq}: {warning}")),
                    false => file.header("Warning", &warning),
                }
            }
        }
        let text_alphabet = is_text(deliver);
        // smsd's defaults leave UCS2 as it came; `Length` then counts its
        // code units.
        let raw_ucs2 = text_alphabet
            && self.charset == IncomingCharset::Iso8859_15
            && deliver.dcs.alphabet() == Alphabet::Ucs2;
        let file_alphabet = match (text_alphabet, raw_ucs2) {
            (false, _) => FileAlphabet::Binary,
            (true, true) => FileAlphabet::Ucs2,
            (true, false) => FileAlphabet::Text,
        };
        let mut body = Vec::new();
        let mut length = 0;
        // The parts' UCS2 code units are read together: an emoji whose
        // surrogate pair a sender cut in two is one character.
        let user_data: Vec<(&sms_pdu::UserData, DataCodingScheme)> = ordered
            .iter()
            .map(|(_, part)| (&part.deliver.user_data, part.deliver.dcs))
            .collect();
        let texts = sms_pdu::parts_texts(&user_data);
        for ((seq, part), part_text) in ordered.iter().zip(texts) {
            let user_data = &part.deliver.user_data;
            match part_text.filter(|_| text_alphabet && !raw_ucs2) {
                Some((text, notes)) => {
                    for note in notes {
                        match is_multipart {
                            true => file.header("Warning", &format!("part {seq}: TP-UD: {note}")),
                            false => file.header("Warning", &format!("TP-UD: {note}")),
                        }
                    }
                    // smsd counts GSM text in characters but converted UCS2
                    // in the octets of its UTF-8.
                    let encoded = self.encode_text(&text);
                    length += match (part.deliver.dcs.alphabet(), self.charset) {
                        (Alphabet::Ucs2, _) | (_, IncomingCharset::Iso8859_15) => encoded.len(),
                        _ => text.chars().count(),
                    };
                    body.extend_from_slice(&encoded);
                }
                None => {
                    let octets = user_data.octets().unwrap_or_default();
                    length += octets.len();
                    body.extend_from_slice(octets);
                }
            }
        }

        write_address(&mut file, &deliver.originator);
        write_smsc(&mut file, first.smsc);
        file.header("Sent", &deliver.scts.to_smstools());
        received_by.write(&mut file);
        file.header("Report", yes_no(deliver.status_report_indication));
        if let Some(replace) = deliver.pid.replace_type() {
            file.header("Replace", &replace.to_string());
        }
        if deliver.dcs.meaning().class == Some(MessageClass::Class0) {
            file.header("Flash", "yes");
        }
        file.header("Alphabet", self.alphabet_header(file_alphabet));
        if let Some(header) = &deliver.user_data.header {
            write_udh(&mut file, header);
        }
        if raw_ucs2 {
            length /= 2;
        }
        file.header("Length", &length.to_string());
        if self.stores_pdu(file_alphabet) {
            for (_, part) in &ordered {
                if let Some(pdu) = part.pdu {
                    file.header("PDU", pdu.trim());
                }
            }
        }
        if let Some(total) = concat_total(deliver) {
            let missing: Vec<String> = (1..=total)
                .filter(|seq| !ordered.iter().any(|(have, _)| have == seq))
                .map(|seq| seq.to_string())
                .collect();
            if !missing.is_empty() {
                file.header("Incomplete", "yes");
                file.header("Missing_parts", &missing.join(","));
            }
        }
        file.finish(&body)
    }

    /// The `report/` file for a status report. smsd writes `Message_id`,
    /// `Discharge_timestamp` and `Status` in the body, after a line `SMS
    /// STATUS REPORT`, and counts that body in `Length:`. `pdu` is the
    /// report's hex as the modem printed it, for `store_received_pdu`.
    pub fn render_report(
        self,
        smsc: Option<&Address>,
        report: &StatusReport,
        warnings: &[Warning],
        pdu: Option<&str>,
        received_by: &ReceivedBy,
    ) -> Vec<u8> {
        let mut file = FileWriter::default();
        let timestamps = [("TP-SCTS", &report.scts), ("TP-DT", &report.discharge_time)];
        for warning in smsd_warnings(warnings, &timestamps, Stamp::Report) {
            file.header("Warning", &warning);
        }
        let body = format!(
            "SMS STATUS REPORT\nMessage_id: {}\nDischarge_timestamp: {}\nStatus: {}",
            report.message_reference,
            report.discharge_time.to_smstools(),
            report.status.smstools_header()
        );
        write_address(&mut file, &report.recipient);
        write_smsc(&mut file, smsc);
        file.header("Sent", &report.scts.to_smstools());
        received_by.write(&mut file);
        file.header("Report", yes_no(report.status_report_qualifier));
        file.header("Alphabet", self.alphabet_header(FileAlphabet::Iso));
        file.header("Length", &body.len().to_string());
        file.header("UDH", "no");
        if let Some(pdu) = pdu.filter(|_| self.stores_pdu(FileAlphabet::Iso)) {
            file.header("PDU", pdu.trim());
        }
        file.finish(body.as_bytes())
    }

    /// The `incoming/` file for a PDU that does not decode: `Error:` with the
    /// codec's reason, and the PDU in the body so that nothing is lost (and
    /// in a `PDU:` line too from `store_received_pdu = 1`).
    pub fn render_undecodable(self, pdu_hex: &str, error: &DecodeError, received_by: &ReceivedBy) -> Vec<u8> {
        let mut file = FileWriter::default();
        file.header("Error", &error.to_string());
        received_by.write(&mut file);
        let body = format!("This PDU cannot be decoded: {error}\nPDU: {}\n", pdu_hex.trim());
        file.header("Alphabet", self.alphabet_header(FileAlphabet::Iso));
        file.header("Length", &body.len().to_string());
        if self.stores_undecodable() {
            file.header("PDU", pdu_hex.trim());
        }
        file.finish(body.as_bytes())
    }

    /// The `incoming/` or `report/` file for one decoded PDU, as far as one
    /// PDU goes: a DELIVER on its own (or one part, written alone), a status
    /// report, or an SMS-SUBMIT, which no modem should hand over and which is
    /// written as an error. Tells which directory the file belongs in. `pdu`
    /// is its hex as the modem printed it, for `store_received_pdu`.
    pub fn render_pdu(
        self,
        decoded: &Decoded<Pdu>,
        pdu: Option<&str>,
        received_by: &ReceivedBy,
    ) -> (Directory, Vec<u8>) {
        match &decoded.value.tpdu {
            Tpdu::Deliver(_) => {
                let parts: Vec<MessagePart<'_>> = MessagePart::of(decoded)
                    .map(|part| MessagePart { pdu, ..part })
                    .into_iter()
                    .collect();
                (Directory::Incoming, self.render_incoming(&parts, received_by))
            }
            Tpdu::StatusReport(report) => (
                Directory::Report,
                self.render_report(
                    decoded.value.smsc.as_ref(),
                    report,
                    &decoded.warnings,
                    pdu,
                    received_by,
                ),
            ),
            Tpdu::Submit(_) => {
                let mut file = FileWriter::default();
                file.header(
                    "Error",
                    "the PDU is an SMS-SUBMIT, a sent message; only received messages are written",
                );
                received_by.write(&mut file);
                (Directory::Incoming, file.finish(b""))
            }
        }
    }
}

/// Where a rendered file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directory {
    /// `incoming/`.
    Incoming,
    /// `report/`.
    Report,
}

impl ReceivedBy {
    fn write(&self, file: &mut FileWriter) {
        file.header("Received", &self.received.to_string());
        file.header("Subject", &self.modem);
        file.header("Modem", &self.modem);
        if let Some(number) = &self.number {
            file.header("Number", number);
        }
        if let Some(description) = &self.description {
            file.header("Description", description);
        }
        if let Some(imsi) = &self.imsi {
            file.header("IMSI", imsi);
        }
        if let Some(imei) = &self.imei {
            file.header("IMEI", imei);
        }
    }
}

/// Header lines, then the empty line and the body.
#[derive(Default)]
struct FileWriter {
    out: Vec<u8>,
}

impl FileWriter {
    fn header(&mut self, name: &str, value: &str) {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        // A value (an alphanumeric sender, a modem's answer) must not end
        // the header early or start a line of its own.
        for ch in value.chars() {
            let ch = if ch.is_control() { ' ' } else { ch };
            let mut buffer = [0; 4];
            self.out.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
        }
        self.out.push(b'\n');
    }

    /// A value written as is: `UDH-DATA` ends with a space in smsd's files.
    fn header_raw(&mut self, name: &str, value: &str) {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'\n');
    }

    fn finish(mut self, body: &[u8]) -> Vec<u8> {
        self.out.push(b'\n');
        self.out.extend_from_slice(body);
        self.out
    }
}

fn yes_no(flag: bool) -> &'static str {
    if flag {
        "yes"
    } else {
        "no"
    }
}

fn write_address(file: &mut FileWriter, address: &Address) {
    file.header("From", &address.number);
    file.header("From_TOA", &address.toa.smstools_description());
}

fn write_smsc(file: &mut FileWriter, smsc: Option<&Address>) {
    if let Some(smsc) = smsc.filter(|smsc| !smsc.number.is_empty()) {
        file.header("From_SMSC", &smsc.number);
    }
}

/// Whether the message is written as text: GSM 7-bit or UCS2, not
/// compressed. 8-bit data, compressed text and reserved schemes are
/// written as they came, `Alphabet: binary`.
fn is_text(deliver: &Deliver) -> bool {
    let meaning = deliver.dcs.meaning();
    !meaning.compressed && matches!(meaning.alphabet, Alphabet::Gsm7 | Alphabet::Ucs2)
}

fn part_number(deliver: &Deliver) -> u8 {
    concat_of(deliver).map_or(1, |(_, seq)| seq)
}

fn concat_total(deliver: &Deliver) -> Option<u8> {
    concat_of(deliver).map(|(total, _)| total)
}

fn concat_of(deliver: &Deliver) -> Option<(u8, u8)> {
    let concat = deliver.user_data.header.as_ref()?.concat()?;
    Some((concat.total, concat.seq))
}

/// `UDH-DATA` and `UDH-Type` for the elements other than concatenation
/// (smsd takes that one out when it joins the parts).
fn write_udh(file: &mut FileWriter, header: &UserDataHeader) {
    let elements: Vec<InformationElement> = header
        .elements
        .iter()
        .filter(|element| !matches!(element.iei(), 0x00 | 0x08))
        .cloned()
        .collect();
    if elements.is_empty() {
        return;
    }
    let octets = UserDataHeader { elements }.encode();
    let data: String = octets.iter().map(|octet| format!("{octet:02X} ")).collect();
    file.header_raw("UDH-DATA", &data);
    file.header("UDH-Type", &udh_type(&octets));
}

/// smsd's `UDH-Type` value for an encoded header (UDHL first):
/// `Length=7, [05]Application port addressing scheme, 16 bit address`.
fn udh_type(octets: &[u8]) -> String {
    let mut out = format!("Length={}", octets.len());
    let mut idx = 1;
    while idx + 1 < octets.len() {
        let iei = octets[idx];
        out.push_str(&format!(", [{iei:02X}]{}", element_name(iei)));
        idx += 2 + usize::from(octets[idx + 1]);
    }
    out
}

/// smsd's names for information elements (pdu.c `explain_udh`, after TS
/// 23.040 9.2.3.24), typos kept.
fn element_name(iei: u8) -> &'static str {
    match iei {
        0x00 => "Concatenated short messages, 8-bit reference number",
        0x01 => "Special SMS Message Indication",
        0x02 => "Reserved",
        0x04 => "Application port addressing scheme, 8 bit address",
        0x05 => "Application port addressing scheme, 16 bit address",
        0x06 => "SMSC Control Parameters",
        0x07 => "UDH Source Indicator",
        0x08 => "Concatenated short message, 16-bit reference number",
        0x09 => "Wireless Control Message Protocol",
        0x0A => "Text Formatting",
        0x0B => "Predefined Sound",
        0x0C => "User Defined Sound (iMelody max 128 bytes)",
        0x0D => "Predefined Animation",
        0x0E => "Large Animation (16*16 times 4 = 32*4 =128 bytes)",
        0x0F => "Small Animation (8*8 times 4 = 8*4 =32 bytes)",
        0x10 => "Large Picture (32*32 = 128 bytes)",
        0x11 => "Small Picture (16*16 = 32 bytes)",
        0x12 => "Variable Picture",
        0x13 => "User prompt indicator",
        0x14 => "Extended Object",
        0x15 => "Reused Extended Object",
        0x16 => "Compression Control",
        0x17 => "Object Distribution Indicator",
        0x18 => "Standard WVG object",
        0x19 => "Character Size WVG object",
        0x1A => "Extended Object Data Request Command",
        0x20 => "RFC 822 E-Mail Header",
        0x21 => "Hyperlink format element",
        0x22 => "Reply Address Element",
        0x23 => "Enhanced Voice Mail Information",
        0x1B..=0x1F => "Reserved for future EMS features",
        0x70..=0x7F => "(U)SIM Toolkit Security Headers",
        0x80..=0x9F => "SME to SME specific use",
        0xC0..=0xDF => "SC specific use",
        _ => "Reserved for future use",
    }
}

/// Which TPDU a timestamp warning belongs to: smsd words them differently.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Deliver,
    Report,
}

/// The `Warning:` texts for the codec's warnings: smsd's wording where it
/// checks the same thing (a timestamp out of range), the codec's text,
/// which names the octet and field, elsewhere. `timestamps` are the
/// TPDU's timestamps by field name.
fn smsd_warnings(warnings: &[Warning], timestamps: &[(&str, &Timestamp)], stamp: Stamp) -> Vec<String> {
    let mut out = Vec::new();
    for warning in warnings {
        let field = match warning.location {
            Location::Octet { field, .. } => field,
            Location::HexChar { .. } => "",
        };
        let texts = timestamps
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, timestamp)| timestamp_warnings(timestamp, field, stamp))
            .unwrap_or_default();
        if texts.is_empty() {
            out.push(warning.to_string());
        } else {
            out.extend(texts.into_iter().map(str::to_owned));
        }
    }
    out
}

/// smsd's checks (pdu.c): a month above 12 or a day above 31 is a bad
/// date, an hour above 23 (24 in a discharge time) or a minute or second
/// above 59 a bad time. Zero months and days pass there.
fn timestamp_warnings(timestamp: &Timestamp, field: &str, stamp: Stamp) -> Vec<&'static str> {
    let bad_date = timestamp.month > 12 || timestamp.day > 31;
    let max_hour = if field == "TP-DT" { 24 } else { 23 };
    let bad_time = timestamp.hour > max_hour || timestamp.minute > 59 || timestamp.second > 59;
    let mut out = Vec::new();
    match (stamp, field) {
        (_, "TP-DT") => {
            if bad_date || bad_time {
                out.push("Invalid values(s) in Discharge Timestamp.");
            }
        }
        (Stamp::Deliver, _) => {
            if bad_date {
                out.push("Invalid values(s) in date of Service Centre Time Stamp.");
            }
            if bad_time {
                out.push("Invalid values(s) in time of Service Centre Time Stamp.");
            }
        }
        (Stamp::Report, _) => {
            if bad_date {
                out.push("Invalid value(s) in date of SMSC Timestamp.");
            }
            if bad_time {
                out.push("Invalid value(s) in time of SMSC Timestamp.");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
