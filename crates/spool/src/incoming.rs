//! The `incoming/` and `report/` files: what smsd 3.1.21 writes for a
//! received message or status report, with `incoming_utf8 = yes` and
//! `decode_unicode_text = yes` (text as UTF-8, 8-bit data as raw bytes).
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

/// Who received the message, and when: the header lines that do not come
/// from the PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedBy {
    /// The modem's name (`Subject:` and `Modem:`).
    pub modem: String,
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
}

impl<'a> MessagePart<'a> {
    /// The part in a decoded PDU, or `None` when it is not an SMS-DELIVER.
    pub fn of(decoded: &'a Decoded<Pdu>) -> Option<MessagePart<'a>> {
        match &decoded.value.tpdu {
            Tpdu::Deliver(deliver) => Some(MessagePart {
                smsc: decoded.value.smsc.as_ref(),
                deliver,
                warnings: &decoded.warnings,
            }),
            _ => None,
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
        match part_text.filter(|_| text_alphabet) {
            Some((text, notes)) => {
                for note in notes {
                    match is_multipart {
                        true => file.header("Warning", &format!("part {seq}: TP-UD: {note}")),
                        false => file.header("Warning", &format!("TP-UD: {note}")),
                    }
                }
                // smsd counts GSM text in characters but converted UCS2
                // in the octets of its UTF-8.
                length += match part.deliver.dcs.alphabet() {
                    Alphabet::Ucs2 => text.len(),
                    _ => text.chars().count(),
                };
                body.extend_from_slice(text.as_bytes());
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
    file.header("Alphabet", if text_alphabet { "UTF-8" } else { "binary" });
    if let Some(header) = &deliver.user_data.header {
        write_udh(&mut file, header);
    }
    file.header("Length", &length.to_string());
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
/// STATUS REPORT`, and counts that body in `Length:`.
pub fn render_report(
    smsc: Option<&Address>,
    report: &StatusReport,
    warnings: &[Warning],
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
    file.header("Alphabet", "UTF-8");
    file.header("Length", &body.len().to_string());
    file.header("UDH", "no");
    file.finish(body.as_bytes())
}

/// The `incoming/` file for a PDU that does not decode: `Error:` with the
/// codec's reason, and the PDU in the body so that nothing is lost.
pub fn render_undecodable(pdu_hex: &str, error: &DecodeError, received_by: &ReceivedBy) -> Vec<u8> {
    let mut file = FileWriter::default();
    file.header("Error", &error.to_string());
    received_by.write(&mut file);
    let body = format!("This PDU cannot be decoded: {error}\nPDU: {}\n", pdu_hex.trim());
    file.header("Alphabet", "UTF-8");
    file.header("Length", &body.len().to_string());
    file.finish(body.as_bytes())
}

/// The `incoming/` or `report/` file for one decoded PDU, as far as one
/// PDU goes: a DELIVER on its own (or one part, written alone), a status
/// report, or an SMS-SUBMIT, which no modem should hand over and which is
/// written as an error. Tells which directory the file belongs in.
pub fn render_pdu(decoded: &Decoded<Pdu>, received_by: &ReceivedBy) -> (Directory, Vec<u8>) {
    match &decoded.value.tpdu {
        Tpdu::Deliver(_) => {
            let parts: Vec<MessagePart<'_>> = MessagePart::of(decoded).into_iter().collect();
            (Directory::Incoming, render_incoming(&parts, received_by))
        }
        Tpdu::StatusReport(report) => (
            Directory::Report,
            render_report(
                decoded.value.smsc.as_ref(),
                report,
                &decoded.warnings,
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
mod tests {
    use proptest::prelude::*;
    use sms_pdu::split::{split_text, AlphabetChoice, SplitOptions};
    use sms_pdu::{DataCodingScheme, NationalLanguage, ProtocolIdentifier, Status, TypeOfAddress, UserData};

    use super::*;

    fn received_by() -> ReceivedBy {
        ReceivedBy {
            modem: "GSM1".to_owned(),
            imsi: Some("001010123456789".to_owned()),
            imei: None,
            received: SpoolTime {
                year: 2026,
                month: 11,
                day: 21,
                hour: 19,
                minute: 29,
                second: 20,
            },
        }
    }

    fn decode(hex: &str) -> Decoded<Pdu> {
        Pdu::decode_hex(hex).unwrap()
    }

    fn render_hex(pdus: &[&str]) -> String {
        String::from_utf8(render_hex_bytes(pdus)).unwrap()
    }

    fn render_hex_bytes(pdus: &[&str]) -> Vec<u8> {
        let decoded: Vec<Decoded<Pdu>> = pdus.iter().map(|hex| decode(hex)).collect();
        let parts: Vec<MessagePart<'_>> = decoded.iter().filter_map(MessagePart::of).collect();
        render_incoming(&parts, &received_by())
    }

    fn header_names(file: &str) -> Vec<&str> {
        file.split("\n\n")
            .next()
            .unwrap()
            .lines()
            .map(|line| line.split(':').next().unwrap())
            .collect()
    }

    /// A DELIVER from +4915112340006 carrying `user_data`.
    fn deliver(dcs: DataCodingScheme, user_data: UserData) -> Deliver {
        Deliver {
            no_more_messages: true,
            loop_prevention: false,
            status_report_indication: false,
            reply_path: false,
            originator: Address::numeric("4915112340006", TypeOfAddress::INTERNATIONAL).unwrap(),
            pid: ProtocolIdentifier::DEFAULT,
            dcs,
            scts: Timestamp {
                year: 26,
                month: 11,
                day: 21,
                hour: 19,
                minute: 29,
                second: 19,
                tz_quarters: 4,
            },
            user_data,
        }
    }

    // The PDU smsd received in the notes (section 5.1) and the file it
    // wrote (section 10), IMEI left out as unknown.
    #[test]
    fn a_plain_message_is_written_as_smsd_writes_it() {
        let file = render_hex(&[
            "07915155550500F0040B911346610089F60000621112919291001BC8329BFD06CDDB7332C82C7FB741747419E42ED3EF6FF91A",
        ]);
        assert_eq!(
            file,
            "From: 31641600986\nFrom_TOA: 91 international, ISDN/telephone\nFrom_SMSC: 15555550000\n\
             Sent: 26-11-21 19:29:19\nReceived: 26-11-21 19:29:20\nSubject: GSM1\nModem: GSM1\n\
             IMSI: 001010123456789\nReport: no\nAlphabet: UTF-8\nLength: 27\n\nHello smsd from the network"
        );
    }

    #[test]
    fn imsi_and_imei_are_written_only_when_known() {
        let decoded = decode("07915155550500F0040B911346610089F600006211129192910005C8329BFD06");
        let parts = [MessagePart::of(&decoded).unwrap()];
        let mut by = received_by();
        by.imei = Some("490154203237518".to_owned());
        let both = String::from_utf8(render_incoming(&parts, &by)).unwrap();
        assert!(
            both.contains("IMSI: 001010123456789\nIMEI: 490154203237518\n"),
            "{both}"
        );
        by.imsi = None;
        by.imei = None;
        let neither = String::from_utf8(render_incoming(&parts, &by)).unwrap();
        assert!(
            !neither.contains("IMSI") && !neither.contains("IMEI"),
            "{neither}"
        );
    }

    #[test]
    fn flags_of_the_pdu_become_headers_in_smsds_order() {
        // TP-SRI set, TP-PID 43 (replace type 3), DCS F0 (GSM 7-bit class 0).
        let mut message = deliver(DataCodingScheme(0xF0), UserData::default());
        message.status_report_indication = true;
        message.pid = ProtocolIdentifier(0x43);
        let parts = [MessagePart {
            smsc: None,
            deliver: &message,
            warnings: &[],
        }];
        let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
        assert_eq!(
            header_names(&file),
            [
                "From", "From_TOA", "Sent", "Received", "Subject", "Modem", "IMSI", "Report", "Replace",
                "Flash", "Alphabet", "Length"
            ]
        );
        assert!(file.contains("Report: yes\nReplace: 3\nFlash: yes\n"), "{file}");
        assert!(
            file.contains("Sent: 26-11-21 19:29:19\n"),
            "the SMSC's own zone: {file}"
        );
    }

    #[test]
    fn class_1_and_short_message_type_0_are_not_flash_or_replace() {
        let mut message = deliver(DataCodingScheme(0xF1), UserData::default());
        message.pid = ProtocolIdentifier::SHORT_MESSAGE_TYPE_0;
        let parts = [MessagePart {
            smsc: None,
            deliver: &message,
            warnings: &[],
        }];
        let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
        assert!(!file.contains("Flash") && !file.contains("Replace"), "{file}");
    }

    #[test]
    fn binary_data_is_written_raw_with_its_port_header() {
        let file = render_hex_bytes(&[
            "07915155550500F0440D91945111320410F100F5621112919291000D0605040B8423F00106032E8400",
        ]);
        let text_at = file.windows(2).position(|pair| pair == b"\n\n").unwrap();
        let (header, body) = (
            std::str::from_utf8(&file[..text_at]).unwrap(),
            &file[text_at + 2..],
        );
        assert!(header.ends_with(
            "Alphabet: binary\nUDH-DATA: 06 05 04 0B 84 23 F0 \n\
             UDH-Type: Length=7, [05]Application port addressing scheme, 16 bit address\nLength: 6"
        ));
        assert_eq!(body, [0x01, 0x06, 0x03, 0x2E, 0x84, 0x00]);
    }

    #[test]
    fn binary_bytes_that_are_not_utf8_survive() {
        let data = vec![0x00, 0x0A, 0xFF, 0x80, 0x0D];
        let message = deliver(
            DataCodingScheme::EIGHT_BIT,
            UserData {
                header: None,
                body: sms_pdu::Body::Octets(data.clone()),
            },
        );
        let parts = [MessagePart {
            smsc: None,
            deliver: &message,
            warnings: &[],
        }];
        let file = render_incoming(&parts, &received_by());
        assert!(file.ends_with(b"Alphabet: binary\nLength: 5\n\n\x00\x0A\xFF\x80\x0D"));
    }

    #[test]
    fn udh_type_names_every_element_and_its_range() {
        assert_eq!(
            udh_type(&[0x08, 0x00, 0x03, 0x01, 0x02, 0x01, 0x70, 0x01, 0x00]),
            "Length=9, [00]Concatenated short messages, 8-bit reference number, [70](U)SIM Toolkit Security Headers"
        );
        assert_eq!(element_name(0x1C), "Reserved for future EMS features");
        assert_eq!(element_name(0x24), "Reserved for future use");
        assert_eq!(element_name(0x85), "SME to SME specific use");
        assert_eq!(element_name(0xC5), "SC specific use");
        assert_eq!(element_name(0xF0), "Reserved for future use");
    }

    #[test]
    fn parts_are_joined_in_part_order_whatever_the_arrival() {
        let split = split_text(&"Fourteen chars".repeat(15), &SplitOptions::default()).unwrap();
        assert_eq!(split.parts.len(), 2);
        let messages: Vec<Deliver> = split
            .parts
            .iter()
            .map(|user_data| deliver(DataCodingScheme::GSM7, user_data.clone()))
            .collect();
        let in_order: Vec<MessagePart<'_>> = messages.iter().map(part).collect();
        let reversed: Vec<MessagePart<'_>> = messages.iter().rev().map(part).collect();
        let expected = render_incoming(&in_order, &received_by());
        assert_eq!(render_incoming(&reversed, &received_by()), expected);
        let file = String::from_utf8(expected).unwrap();
        assert!(
            file.ends_with(&format!("Length: 210\n\n{}", "Fourteen chars".repeat(15))),
            "{file}"
        );
        assert!(
            !file.contains("UDH"),
            "the concatenation element is not written: {file}"
        );
        assert!(!file.contains("Incomplete"), "{file}");
        // A part delivered twice is written once.
        let twice: Vec<MessagePart<'_>> = messages.iter().chain(&messages[..1]).map(part).collect();
        assert_eq!(
            String::from_utf8(render_incoming(&twice, &received_by())).unwrap(),
            file
        );
    }

    /// `Sent:` of a concatenated message is part 1's time stamp, whatever
    /// order the parts came in (smsd 3.1.21 takes it from the part that
    /// arrived first; docs/differences.md R6): the file says the same
    /// however the network delivered it.
    #[test]
    fn sent_is_part_1s_time_stamp() {
        let split = split_text(&"Fourteen chars".repeat(15), &SplitOptions::default()).unwrap();
        let messages: Vec<Deliver> = split
            .parts
            .iter()
            .enumerate()
            .map(|(idx, user_data)| {
                let mut message = deliver(DataCodingScheme::GSM7, user_data.clone());
                message.scts.second = 10 + idx as u8;
                message
            })
            .collect();
        for arrival in [vec![0, 1], vec![1, 0]] {
            let parts: Vec<MessagePart<'_>> = arrival.iter().map(|&idx| part(&messages[idx])).collect();
            let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
            assert!(
                file.contains("\nSent: 26-11-21 19:29:10\n"),
                "{arrival:?}: {file}"
            );
        }
    }

    /// A sender that cuts by UTF-16 code units splits `😀` between two
    /// parts; it was written as two U+FFFD with two warnings.
    #[test]
    fn an_emoji_split_between_two_ucs2_parts_is_one_character() {
        let options = SplitOptions {
            alphabet: AlphabetChoice::Ucs2,
            ..SplitOptions::default()
        };
        let split = split_text(&"x".repeat(100), &options).unwrap();
        assert_eq!(split.parts.len(), 2);
        let bodies = [vec![0x00, b'A', 0xD8, 0x3D], vec![0xDE, 0x00, 0x00, b'B']];
        let messages: Vec<Deliver> = split
            .parts
            .iter()
            .zip(bodies)
            .map(|(user_data, body)| {
                let user_data = sms_pdu::UserData {
                    header: user_data.header.clone(),
                    body: sms_pdu::Body::Octets(body),
                };
                deliver(DataCodingScheme::UCS2, user_data)
            })
            .collect();
        let parts: Vec<MessagePart<'_>> = messages.iter().rev().map(part).collect();
        let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
        assert!(file.ends_with("Length: 6\n\nA😀B"), "{file}");
        assert!(!file.contains("Warning"), "{file}");
    }

    fn part(deliver: &Deliver) -> MessagePart<'_> {
        MessagePart {
            smsc: None,
            deliver,
            warnings: &[],
        }
    }

    #[test]
    fn a_message_whose_wait_ran_out_says_which_parts_are_missing() {
        let options = SplitOptions {
            alphabet: AlphabetChoice::Ucs2,
            ..SplitOptions::default()
        };
        let split = split_text(&"Привет мир ".repeat(20), &options).unwrap();
        assert_eq!(split.parts.len(), 4);
        let messages: Vec<Deliver> = split
            .parts
            .iter()
            .map(|user_data| deliver(DataCodingScheme::UCS2, user_data.clone()))
            .collect();
        let second = [part(&messages[1])];
        let file = String::from_utf8(render_incoming(&second, &received_by())).unwrap();
        let second_text = messages[1].text().unwrap();
        assert!(
            file.ends_with(&format!(
                "Length: {}\nIncomplete: yes\nMissing_parts: 1,3,4\n\n{second_text}",
                second_text.len()
            )),
            "{file}"
        );
    }

    #[test]
    fn a_bad_timestamp_gets_smsds_warning_and_the_rest_the_codecs() {
        // SCTS month 13, then two octets after the user data.
        let file =
            render_hex(&["07915155550500F0040D91945111320410F400006231129192910008C23019440ED3CBAABB"]);
        assert_eq!(
            header_names(&file)[..3],
            ["Warning", "Warning", "From"],
            "warnings come first: {file}"
        );
        assert!(
            file.starts_with(
                "Warning: Invalid values(s) in date of Service Centre Time Stamp.\n\
             Warning: octet 35 (TP-UD): 2 octet(s) after the user data, ignored\n"
            ),
            "{file}"
        );
    }

    #[test]
    fn timestamp_checks_follow_smsd() {
        let mut timestamp = Timestamp {
            year: 26,
            month: 0,
            day: 0,
            hour: 24,
            minute: 0,
            second: 0,
            tz_quarters: 0,
        };
        // smsd lets a zero month and day pass, but not hour 24 in an SCTS.
        assert_eq!(
            timestamp_warnings(&timestamp, "TP-SCTS", Stamp::Deliver),
            ["Invalid values(s) in time of Service Centre Time Stamp."]
        );
        assert!(timestamp_warnings(&timestamp, "TP-DT", Stamp::Report).is_empty());
        timestamp.day = 32;
        assert_eq!(
            timestamp_warnings(&timestamp, "TP-SCTS", Stamp::Report),
            [
                "Invalid value(s) in date of SMSC Timestamp.",
                "Invalid value(s) in time of SMSC Timestamp."
            ]
        );
        assert_eq!(
            timestamp_warnings(&timestamp, "TP-DT", Stamp::Report),
            ["Invalid values(s) in Discharge Timestamp."]
        );
        // Only a month 0 is wrong: smsd says nothing, so the codec does.
        let warning = Warning {
            location: Location::Octet {
                offset: 20,
                field: "TP-SCTS",
            },
            message: "implausible date or time".to_owned(),
        };
        let plausible_to_smsd = Timestamp {
            month: 0,
            day: 1,
            hour: 1,
            ..timestamp
        };
        assert_eq!(
            smsd_warnings(
                std::slice::from_ref(&warning),
                &[("TP-SCTS", &plausible_to_smsd)],
                Stamp::Deliver
            ),
            ["octet 20 (TP-SCTS): implausible date or time"]
        );
    }

    #[test]
    fn a_status_report_is_written_as_smsd_writes_it() {
        // The notes, section 10 (MR 1, delivered), IMEI unknown.
        let decoded = decode("07915155550500F006010D91947112325476F8621112919202006211129192020000");
        let (directory, file) = render_pdu(&decoded, &received_by());
        assert_eq!(directory, Directory::Report);
        assert_eq!(
            String::from_utf8(file).unwrap(),
            "From: 4917212345678\nFrom_TOA: 91 international, ISDN/telephone\nFrom_SMSC: 15555550000\n\
             Sent: 26-11-21 19:29:20\nReceived: 26-11-21 19:29:20\nSubject: GSM1\nModem: GSM1\n\
             IMSI: 001010123456789\nReport: no\nAlphabet: UTF-8\nLength: 117\nUDH: no\n\n\
             SMS STATUS REPORT\nMessage_id: 1\nDischarge_timestamp: 26-11-21 19:29:20\n\
             Status: 0,Ok,short message received by the SME"
        );
    }

    #[test]
    fn every_status_code_is_written_with_its_text() {
        let decoded = decode("07915155550500F006010D91947112325476F8621112919202006211129192020000");
        let Tpdu::StatusReport(report) = &decoded.value.tpdu else {
            unreachable!("a report")
        };
        for code in 0..=u8::MAX {
            let report = StatusReport {
                status: Status(code),
                ..report.clone()
            };
            let file = String::from_utf8(render_report(None, &report, &[], &received_by())).unwrap();
            let (header, body) = file.split_once("\n\n").unwrap();
            assert!(body.ends_with(&format!("\nStatus: {code},{}", Status(code).smstools_text())));
            assert!(header.contains(&format!("\nLength: {}\n", body.len())), "{file}");
            assert!(
                !header.contains("From_SMSC"),
                "no SMSC address, no line: {header}"
            );
        }
    }

    #[test]
    fn an_undecodable_pdu_keeps_its_hex_and_the_reason() {
        // Cut inside the time stamp (a PDU cut in its user data decodes,
        // with a `truncated user data` warning).
        let hex = "07915155550500F0040B911346610089F6000062111291";
        let error = Pdu::decode_hex(hex).unwrap_err();
        let file = String::from_utf8(render_undecodable(hex, &error, &received_by())).unwrap();
        let (header, body) = file.split_once("\n\n").unwrap();
        assert!(
            header.starts_with(&format!("Error: {error}\nReceived: ")),
            "{file}"
        );
        assert!(error.to_string().contains("TP-SCTS"), "{error}");
        assert_eq!(body, format!("This PDU cannot be decoded: {error}\nPDU: {hex}\n"));
        assert!(header.ends_with(&format!("Length: {}", body.len())));
    }

    #[test]
    fn a_submit_or_no_parts_is_an_error_file() {
        let submit = decode("0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301");
        let (directory, file) = render_pdu(&submit, &received_by());
        assert_eq!(directory, Directory::Incoming);
        assert!(file.starts_with(b"Error: the PDU is an SMS-SUBMIT"));
        assert!(MessagePart::of(&submit).is_none());
        assert!(render_incoming(&[], &received_by()).starts_with(b"Error: no message parts to write\n"));
    }

    #[test]
    fn a_sender_name_cannot_break_the_header() {
        let mut message = deliver(DataCodingScheme::GSM7, UserData::default());
        message.originator = Address::alphanumeric("BANK\nX: 1").unwrap_or_else(|_| Address {
            toa: TypeOfAddress::ALPHANUMERIC,
            number: "BANK\nX: 1".to_owned(),
        });
        let file = String::from_utf8(render_incoming(&[part(&message)], &received_by())).unwrap();
        assert!(
            file.starts_with("From: BANK X: 1\nFrom_TOA: D0 alphanumeric, unknown\n"),
            "{file}"
        );
    }

    proptest! {
        #[test]
        fn no_deliver_makes_the_renderer_panic(octets in proptest::collection::vec(any::<u8>(), 0..200)) {
            match Pdu::decode(&octets) {
                Ok(decoded) => {
                    let (_, file) = render_pdu(&decoded, &received_by());
                    prop_assert!(file.windows(2).any(|pair| pair == b"\n\n"));
                }
                Err(error) => {
                    let file = render_undecodable(&sms_pdu::encode_hex(&octets), &error, &received_by());
                    prop_assert!(file.starts_with(b"Error: "));
                }
            }
        }

        #[test]
        fn text_round_trips(
            text in "\\PC{1,400}",
            ucs2 in any::<bool>(),
            national in any::<bool>(),
            shuffle in any::<u64>(),
        ) {
            let options = SplitOptions {
                alphabet: if ucs2 { AlphabetChoice::Ucs2 } else { AlphabetChoice::Auto },
                national_languages: if national { vec![NationalLanguage::Turkish] } else { Vec::new() },
                reference: 7,
                ..SplitOptions::default()
            };
            let Ok(split) = split_text(&text, &options) else { return Ok(()) };
            let dcs = match split.alphabet {
                Alphabet::Ucs2 => DataCodingScheme::UCS2,
                _ => DataCodingScheme::GSM7,
            };
            let messages: Vec<Deliver> = split.parts.iter().map(|user_data| deliver(dcs, user_data.clone())).collect();
            let mut parts: Vec<MessagePart<'_>> = messages.iter().map(part).collect();
            let n_parts = parts.len();
            parts.rotate_left(usize::try_from(shuffle % n_parts as u64).unwrap());
            let file = render_incoming(&parts, &received_by());
            let text_at = file.windows(2).position(|pair| pair == b"\n\n").unwrap() + 2;
            prop_assert_eq!(std::str::from_utf8(&file[text_at..]).unwrap(), text.as_str());
        }
    }
}
