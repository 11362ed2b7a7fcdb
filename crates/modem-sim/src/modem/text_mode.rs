//! Text mode (`AT+CMGF=1`, 3GPP TS 27.005 3.1 and 4): sending with
//! `AT+CMGS="<da>"` and the SUBMIT fields of `+CSMP`, and messages shown
//! as header and text rather than hex. None of the captured clients uses
//! it; it is here for clients that do, with `+CSDH=0` shapes (no optional
//! header fields).

use sms_pdu::{
    Address, Alphabet, Body, DataCodingScheme, Deliver, Gsm7Tables, Pdu, ProtocolIdentifier, StatusReport,
    Submit, Timestamp, Tpdu, TypeOfAddress, UserData, ValidityPeriod,
};

use super::charset::ucs2_hex;
use super::command::{latin1, Args};
use super::error::{self, CommandError};
use super::{Entry, Line, Modem};
use crate::store::StoredMessage;

const TEXT_PARAMETER: CommandError = CommandError::Cms(error::CMS_INVALID_TEXT_PARAMETER);

impl Modem {
    /// The destination of `AT+CMGS="<da>"[,<toda>]`.
    pub(super) fn text_destination(&self, args: &Args<'_>) -> Result<Line, CommandError> {
        // Quoted, so that a PDU-mode `AT+CMGS=<length>` sent by mistake is
        // refused rather than taken for a short number.
        let typed = args
            .string(0)
            .filter(|_| args.is_quoted(0))
            .ok_or(TEXT_PARAMETER)?;
        let number = match typed.chars().all(|ch| ch.is_ascii_digit() || ch == '+') {
            true => typed.to_owned(),
            false => self.settings.charset.decode_lenient(typed),
        };
        let toa = args.number_in(1, 0..=255).map_err(|_| TEXT_PARAMETER)?;
        let toa = toa.map_or_else(|| super::toa_of_number(&number), |toa| toa as u8);
        let destination = Address::numeric(number.trim_start_matches('+'), TypeOfAddress(toa))
            .map_err(|_| TEXT_PARAMETER)?;
        Ok(Line::Text {
            destination,
            entry: Entry::default(),
        })
    }

    /// The SMS-SUBMIT for the text typed after the prompt, built from
    /// `+CSMP` (first octet, validity, PID, DCS) without an SMSC address.
    pub(super) fn text_submit(&self, destination: Address, entry: &Entry) -> Result<Vec<u8>, CommandError> {
        if entry.overflow {
            return Err(TEXT_PARAMETER);
        }
        let text = self
            .settings
            .charset
            .decode(&latin1(&entry.bytes))
            .ok_or(TEXT_PARAMETER)?;
        let csmp = self.settings.csmp;
        let dcs = DataCodingScheme(csmp.dcs);
        let body = match dcs.meaning().alphabet {
            Alphabet::Gsm7 => Body::Septets(Gsm7Tables::DEFAULT.encode(&text).map_err(|_| TEXT_PARAMETER)?),
            Alphabet::Ucs2 => Body::Octets(text.encode_utf16().flat_map(u16::to_be_bytes).collect()),
            Alphabet::EightBit => Body::Octets(
                text.chars()
                    .map(|ch| u8::try_from(u32::from(ch)).map_err(|_| TEXT_PARAMETER))
                    .collect::<Result<_, _>>()?,
            ),
        };
        // Text mode can give a relative validity only: +CSMP's <vp> is a
        // number here.
        let validity = (csmp.fo & 0x18 == 0x10).then_some(ValidityPeriod::Relative(csmp.vp));
        let submit = Submit {
            reject_duplicates: csmp.fo & 0x04 != 0,
            validity,
            status_report_request: csmp.fo & 0x20 != 0,
            reply_path: csmp.fo & 0x80 != 0,
            message_reference: 0,
            destination,
            pid: ProtocolIdentifier(csmp.pid),
            dcs,
            user_data: UserData { header: None, body },
        };
        let pdu = Pdu {
            smsc: None,
            tpdu: Tpdu::Submit(submit),
        };
        pdu.encode().map_err(|_| TEXT_PARAMETER)
    }

    /// `+CMGL`/`+CMGR` lines of a stored message in text mode.
    pub(super) fn text_message_lines(&self, index: Option<usize>, message: &StoredMessage) -> Vec<String> {
        let head = match index {
            Some(index) => format!("+CMGL: {index},\"{}\",", message.stat.text()),
            None => format!("+CMGR: \"{}\",", message.stat.text()),
        };
        let Ok(decoded) = Pdu::decode(&message.pdu) else {
            return vec![head + ",,"];
        };
        match decoded.value.tpdu {
            Tpdu::Deliver(deliver) => vec![
                format!(
                    "{head}\"{}\",,\"{}\"",
                    deliver.originator,
                    text_time(deliver.scts)
                ),
                self.text_data(&deliver.user_data, deliver.dcs),
            ],
            Tpdu::StatusReport(report) => vec![format!("{head}{}", report_fields(&report))],
            Tpdu::Submit(submit) => vec![
                format!("{head}\"{}\",", submit.destination),
                self.text_data(&submit.user_data, submit.dcs),
            ],
        }
    }

    /// A routed SMS in text mode: `+CMT: "<oa>",,"<scts>"` and the text.
    pub(super) fn text_cmt(&self, deliver: &Deliver) -> String {
        format!(
            "+CMT: \"{}\",,\"{}\"\r\n{}",
            deliver.originator,
            text_time(deliver.scts),
            self.text_data(&deliver.user_data, deliver.dcs)
        )
    }

    /// A routed status report in text mode.
    pub(super) fn text_cds(&self, report: &StatusReport) -> String {
        format!("+CDS: {}", report_fields(report))
    }

    /// The text of a message in the `+CSCS` character set; UCS2 hex when
    /// the set cannot carry it, hex octets for 8-bit data.
    fn text_data(&self, user_data: &UserData, dcs: DataCodingScheme) -> String {
        match user_data.text(dcs) {
            Some((text, _)) => self
                .settings
                .charset
                .encode(&text)
                .unwrap_or_else(|| ucs2_hex(&text)),
            None => sms_pdu::encode_hex(user_data.octets().unwrap_or_default()),
        }
    }
}

/// `<fo>,<mr>,"<ra>",<tora>,"<scts>","<dt>",<st>` of a status report.
fn report_fields(report: &StatusReport) -> String {
    let first_octet = 0x02
        | if report.no_more_messages { 0x04 } else { 0 }
        | if report.loop_prevention { 0x08 } else { 0 }
        | if report.status_report_qualifier { 0x20 } else { 0 };
    format!(
        "{first_octet},{},\"{}\",{},\"{}\",\"{}\",{}",
        report.message_reference,
        report.recipient,
        report.recipient.toa.0,
        text_time(report.scts),
        text_time(report.discharge_time),
        report.status.0
    )
}

/// TS 27.005 3.3.4's `"yy/MM/dd,hh:mm:ss±zz"`, the zone in quarter hours.
fn text_time(time: Timestamp) -> String {
    format!(
        "{:02}/{:02}/{:02},{:02}:{:02}:{:02}{:+03}",
        time.year, time.month, time.day, time.hour, time.minute, time.second, time.tz_quarters
    )
}
