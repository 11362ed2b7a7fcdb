//! The field dump `pdu decode` prints without `--json`: one field per line,
//! in wire order, labelled with the same names as the JSON, each value
//! followed by what it means.
//!
//! This is for people; scripts should read the JSON, whose shape is a
//! promise. The dump may gain lines.

use std::fmt::Write as _;

use sms_pdu::{
    Address, DataCodingScheme, Deliver, IndicationType, InformationElement, MessageClass, ProtocolIdentifier,
    StatusCategory, StatusReport, Submit, Tpdu, UserData,
};

use crate::decoded::{DecodedPdu, Payload};
use crate::multipart::Reassembled;

/// Width of the label column, "status_text:" being the longest label.
const LABEL_WIDTH: usize = 13;

/// The dump of one PDU.
pub(crate) fn dump_pdu(pdu: &DecodedPdu) -> String {
    let mut dump = Dump::default();
    match &pdu.tpdu {
        Tpdu::Deliver(deliver) => dump_deliver(&mut dump, pdu, deliver),
        Tpdu::Submit(submit) => dump_submit(&mut dump, pdu, submit),
        Tpdu::StatusReport(report) => dump_status_report(&mut dump, pdu, report),
    }
    for warning in &pdu.warnings {
        dump.field("warning", warning);
    }
    dump.out
}

/// The dump of several PDUs read as one message: each PDU under a heading,
/// then the message.
pub(crate) fn dump_message(pdus: &[DecodedPdu], reassembled: &Reassembled) -> String {
    let mut out = String::new();
    for (pdu_idx, pdu) in pdus.iter().enumerate() {
        let _ = writeln!(out, "--- PDU {}", pdu_idx + 1);
        out.push_str(&dump_pdu(pdu));
        out.push('\n');
    }
    out.push_str("--- message\n");
    let mut dump = Dump { out };
    match &reassembled.payload {
        Some(payload) => dump.payload(payload),
        None => dump.field("incomplete", reassembled.problem.as_deref().unwrap_or("")),
    }
    for warning in &reassembled.warnings {
        dump.field("warning", warning);
    }
    dump.out
}

fn dump_deliver(dump: &mut Dump, pdu: &DecodedPdu, deliver: &Deliver) {
    dump.field("type", "SMS-DELIVER");
    dump.smsc(pdu);
    dump.field("oa", &describe_address(&deliver.originator));
    dump.flags(&[
        (!deliver.no_more_messages, "more messages waiting (TP-MMS clear)"),
        (
            deliver.status_report_indication,
            "status report requested by the sender (TP-SRI)",
        ),
        (deliver.reply_path, "reply path (TP-RP)"),
        (deliver.loop_prevention, "loop prevention (TP-LP)"),
    ]);
    dump.pid(deliver.pid);
    dump.dcs(deliver.dcs);
    dump.field("scts", &deliver.scts.to_rfc3339());
    dump.user_data(&deliver.user_data, pdu.payload.as_ref());
}

fn dump_submit(dump: &mut Dump, pdu: &DecodedPdu, submit: &Submit) {
    dump.field("type", "SMS-SUBMIT");
    dump.smsc(pdu);
    dump.flags(&[
        (submit.reject_duplicates, "reject duplicates (TP-RD)"),
        (submit.status_report_request, "status report requested (TP-SRR)"),
        (submit.reply_path, "reply path (TP-RP)"),
    ]);
    dump.field(
        "mr",
        &format!("{} (modems put their own counter here)", submit.message_reference),
    );
    dump.field("da", &describe_address(&submit.destination));
    dump.pid(submit.pid);
    dump.dcs(submit.dcs);
    let vp = submit
        .validity
        .as_ref()
        .map_or_else(|| "none".to_owned(), |validity| validity.describe());
    dump.field("vp", &vp);
    dump.user_data(&submit.user_data, pdu.payload.as_ref());
}

fn dump_status_report(dump: &mut Dump, pdu: &DecodedPdu, report: &StatusReport) {
    dump.field("type", "SMS-STATUS-REPORT");
    dump.smsc(pdu);
    dump.flags(&[
        (!report.no_more_messages, "more messages waiting (TP-MMS clear)"),
        (
            report.status_report_qualifier,
            "report on an SMS-COMMAND (TP-SRQ)",
        ),
        (report.loop_prevention, "loop prevention (TP-LP)"),
    ]);
    dump.field("mr", &report.message_reference.to_string());
    dump.field("ra", &describe_address(&report.recipient));
    dump.field("scts", &report.scts.to_rfc3339());
    dump.field("dt", &report.discharge_time.to_rfc3339());
    let category = match report.status.category() {
        StatusCategory::Completed => "transaction completed",
        StatusCategory::StillTrying => "temporary error, the SMSC is still trying",
        StatusCategory::PermanentError => "permanent error, the SMSC gave up",
        StatusCategory::TemporaryErrorGaveUp => "temporary error, but the SMSC gave up",
        StatusCategory::Reserved => "reserved value",
    };
    dump.field("st", &format!("{} ({category})", report.status.0));
    dump.field("status_text", report.status.smstools_text());
    if let Some(pi) = report.parameter_indicator {
        dump.field("pi", &format!("{pi:02X}"));
    }
    if let Some(pid) = report.pid {
        dump.pid(pid);
    }
    if let Some(dcs) = report.dcs {
        dump.dcs(dcs);
    }
    if let Some(user_data) = &report.user_data {
        dump.user_data(user_data, pdu.payload.as_ref());
    }
}

#[derive(Default)]
struct Dump {
    out: String,
}

impl Dump {
    /// One `label: value` line; further lines of a multi-line value are
    /// indented to the value column, so the text of a message stays
    /// readable as it is.
    fn field(&mut self, label: &str, value: &str) {
        let label = format!("{label}:");
        for (line_idx, line) in value.split('\n').enumerate() {
            let label = if line_idx == 0 { label.as_str() } else { "" };
            // No padding before an empty line: it would be invisible
            // trailing whitespace.
            let _ = match line {
                "" => writeln!(self.out, "{label}"),
                _ => writeln!(self.out, "{label:<LABEL_WIDTH$} {line}"),
            };
        }
    }

    fn smsc(&mut self, pdu: &DecodedPdu) {
        match &pdu.smsc {
            Some(smsc) => self.field("smsc", &describe_address(smsc)),
            None => self.field("smsc", "none"),
        }
    }

    fn flags(&mut self, flags: &[(bool, &str)]) {
        let set: Vec<&str> = flags
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
        if set.is_empty() {
            self.field("flags", "none");
        } else {
            self.field("flags", &set.join(", "));
        }
    }

    fn pid(&mut self, pid: ProtocolIdentifier) {
        let meaning = match pid.replace_type() {
            Some(n) => format!("{} type {n}", pid.describe()),
            None => pid.describe().to_owned(),
        };
        self.field("pid", &format!("{:02X} ({meaning})", pid.0));
    }

    fn dcs(&mut self, dcs: DataCodingScheme) {
        self.field("dcs", &format!("{:02X} ({})", dcs.0, describe_dcs(dcs)));
    }

    fn user_data(&mut self, user_data: &UserData, payload: Option<&Payload>) {
        if let Some(header) = &user_data.header {
            if header.elements.is_empty() {
                self.field("udh", "present, no elements");
            }
            for element in &header.elements {
                let data = sms_pdu::encode_hex(&element.data());
                let data = if data.is_empty() { "-".to_owned() } else { data };
                self.field(
                    "udh",
                    &format!("{:02X} {data} ({})", element.iei(), describe_element(element)),
                );
            }
            if let Some(concat) = header.concat() {
                self.field(
                    "concat",
                    &format!(
                        "part {} of {}, reference {}",
                        concat.seq, concat.total, concat.reference
                    ),
                );
            }
            if let Some((dst, src)) = header.ports() {
                self.field("ports", &format!("src {src}, dst {dst}"));
            }
        }
        if let Some(payload) = payload {
            self.payload(payload);
        }
    }

    fn payload(&mut self, payload: &Payload) {
        match payload {
            Payload::Text(text) => self.field("text", text),
            Payload::Data(data) => self.field(
                "data",
                &format!("{} ({} octets)", sms_pdu::encode_hex(data), data.len()),
            ),
        }
    }
}

fn describe_address(address: &Address) -> String {
    format!("{address} (toa {})", address.toa.smstools_description())
}

fn describe_dcs(dcs: DataCodingScheme) -> String {
    let meaning = dcs.meaning();
    let mut words = vec![match meaning.alphabet {
        sms_pdu::Alphabet::Gsm7 => "GSM 7-bit".to_owned(),
        sms_pdu::Alphabet::EightBit => "8-bit data".to_owned(),
        sms_pdu::Alphabet::Ucs2 => "UCS2".to_owned(),
    }];
    words.push(match meaning.class {
        Some(MessageClass::Class0) => "class 0 (flash)".to_owned(),
        Some(class) => format!("class {}", class as u8),
        None => "no class".to_owned(),
    });
    if meaning.compressed {
        words.push("compressed".to_owned());
    }
    if meaning.auto_delete {
        words.push("marked for automatic deletion".to_owned());
    }
    if let Some(waiting) = meaning.waiting {
        let kind = match waiting.kind {
            IndicationType::Voicemail => "voicemail",
            IndicationType::Fax => "fax",
            IndicationType::Email => "e-mail",
            IndicationType::Other => "other",
        };
        let action = if waiting.active { "set" } else { "clear" };
        let store = if waiting.store { "store" } else { "discard" };
        words.push(format!("{action} {kind} waiting indication, {store} the message"));
    }
    if let Some(reserved) = meaning.reserved {
        words.push(reserved.to_owned());
    }
    words.join(", ")
}

fn describe_element(element: &InformationElement) -> String {
    let language = |id: u8| sms_pdu::NationalLanguage::from_id(id).map_or("unknown language", |l| l.name());
    match element {
        InformationElement::Concat8 { .. } => "concatenation, 8-bit reference".to_owned(),
        InformationElement::Concat16 { .. } => "concatenation, 16-bit reference".to_owned(),
        InformationElement::Ports8 { .. } => "application ports, 8-bit".to_owned(),
        InformationElement::Ports16 { .. } => "application ports, 16-bit".to_owned(),
        InformationElement::NationalSingleShift(id) => {
            format!("national single shift: {}", language(*id))
        }
        InformationElement::NationalLockingShift(id) => {
            format!("national locking shift: {}", language(*id))
        }
        InformationElement::Other { iei, .. } => match iei {
            0x00 | 0x08 => "concatenation with an unexpected length".to_owned(),
            0x01 => "special SMS message indication".to_owned(),
            0x04 | 0x05 => "application ports with an unexpected length".to_owned(),
            0x06 => "SMSC control parameters".to_owned(),
            0x07 => "UDH source indicator".to_owned(),
            0x09 => "wireless control message protocol".to_owned(),
            0x0A => "EMS text formatting".to_owned(),
            0x0B..=0x1F => "EMS element".to_owned(),
            0x20 => "RFC 822 e-mail header".to_owned(),
            0x21 => "hyperlink format".to_owned(),
            0x22 => "reply address".to_owned(),
            0x23 => "enhanced voice mail information".to_owned(),
            0x24 | 0x25 => "national language shift with an unexpected length".to_owned(),
            0x70..=0x7F => "(U)SIM toolkit security header".to_owned(),
            0x80..=0x9F => "SME to SME specific use".to_owned(),
            0xC0..=0xDF => "SC specific use".to_owned(),
            _ => "not interpreted".to_owned(),
        },
    }
}
