//! The JSON that `pdu decode --json` prints: serializable copies of the
//! codec's types, converted by hand.
//!
//! `sms-pdu` has no serde on purpose: every serialized type is a promise to
//! the scripts that read it, so the promise is made here, in these structs,
//! and a change to the codec's types can't change the JSON by accident.
//! Field names are the 3GPP abbreviations in lower case (`oa`, `scts`,
//! `st`); numbers of addresses carry no `+`, their `toa` says what they are.

use serde::Serialize;
use sms_pdu::{
    Address, DataCodingScheme, Deliver, InformationElement, StatusReport, Submit, Tpdu, ValidityPeriod,
};

use crate::decoded::{DecodedPdu, Payload};
use crate::multipart::Reassembled;

/// One decoded PDU.
#[derive(Debug, Serialize)]
pub(crate) struct PduJson {
    #[serde(flatten)]
    tpdu: TpduJson,
    warnings: Vec<String>,
}

/// Several PDUs read as the parts of one message.
#[derive(Debug, Serialize)]
pub(crate) struct MessageJson {
    /// Each PDU in command-line order, with its own warnings.
    parts: Vec<PduJson>,
    /// The joined `text` or `data`; absent unless the message is complete.
    #[serde(flatten)]
    payload: Option<PayloadJson>,
    /// Why the PDUs are not one complete message.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What was odd about putting them together (a repeated part).
    warnings: Vec<String>,
}

/// What is printed instead when the input is malformed.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorJson {
    pub(crate) error: String,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum TpduJson {
    Deliver(DeliverJson),
    Submit(SubmitJson),
    StatusReport(StatusReportJson),
}

#[derive(Debug, Serialize)]
struct DeliverJson {
    smsc: Option<AddressJson>,
    oa: AddressJson,
    pid: u8,
    dcs: u8,
    alphabet: &'static str,
    class: Option<u8>,
    scts: String,
    mms: bool,
    sri: bool,
    rp: bool,
    lp: bool,
    #[serde(flatten)]
    user_data: UserDataJson,
}

#[derive(Debug, Serialize)]
struct SubmitJson {
    smsc: Option<AddressJson>,
    mr: u8,
    da: AddressJson,
    pid: u8,
    dcs: u8,
    alphabet: &'static str,
    class: Option<u8>,
    vp: Option<ValidityJson>,
    srr: bool,
    rd: bool,
    rp: bool,
    #[serde(flatten)]
    user_data: UserDataJson,
}

#[derive(Debug, Serialize)]
struct StatusReportJson {
    smsc: Option<AddressJson>,
    mr: u8,
    ra: AddressJson,
    scts: String,
    dt: String,
    st: u8,
    status_text: &'static str,
    mms: bool,
    srq: bool,
    lp: bool,
    pid: Option<u8>,
    dcs: Option<u8>,
    alphabet: Option<&'static str>,
    class: Option<u8>,
    /// Absent when TP-PI announces no user data, as it usually doesn't.
    #[serde(flatten)]
    user_data: Option<UserDataJson>,
}

#[derive(Debug, Serialize)]
struct AddressJson {
    number: String,
    toa: u8,
}

#[derive(Debug, Serialize)]
struct ValidityJson {
    format: &'static str,
    /// The relative value, 0-255.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<u8>,
    /// The expiry time of the absolute format.
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    /// The seven octets of the enhanced format, in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    octets: Option<String>,
    /// The length of a relative or enhanced period.
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds: Option<u32>,
    text: String,
}

#[derive(Debug, Serialize)]
struct UserDataJson {
    udh: Vec<ElementJson>,
    concat: Option<ConcatJson>,
    ports: Option<PortsJson>,
    #[serde(flatten)]
    payload: Option<PayloadJson>,
}

#[derive(Debug, Serialize)]
struct ElementJson {
    iei: u8,
    data: String,
}

#[derive(Debug, Serialize)]
struct ConcatJson {
    #[serde(rename = "ref")]
    reference: u16,
    total: u8,
    seq: u8,
}

#[derive(Debug, Serialize)]
struct PortsJson {
    src: u16,
    dst: u16,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum PayloadJson {
    /// Decoded text, for GSM 7-bit and UCS2.
    Text(String),
    /// Hex, for 8-bit data.
    Data(String),
}

impl From<&DecodedPdu> for PduJson {
    fn from(pdu: &DecodedPdu) -> PduJson {
        let smsc = pdu.smsc.as_ref().map(AddressJson::from);
        let payload = pdu.payload.as_ref().map(PayloadJson::from);
        let tpdu = match &pdu.tpdu {
            Tpdu::Deliver(deliver) => TpduJson::Deliver(deliver_json(deliver, smsc, payload)),
            Tpdu::Submit(submit) => TpduJson::Submit(submit_json(submit, smsc, payload)),
            Tpdu::StatusReport(report) => TpduJson::StatusReport(status_report_json(report, smsc, payload)),
        };
        PduJson {
            tpdu,
            warnings: pdu.warnings.clone(),
        }
    }
}

impl MessageJson {
    pub(crate) fn new(pdus: &[DecodedPdu], reassembled: &Reassembled) -> MessageJson {
        MessageJson {
            parts: pdus.iter().map(PduJson::from).collect(),
            payload: reassembled.payload.as_ref().map(PayloadJson::from),
            error: reassembled.problem.clone(),
            warnings: reassembled.warnings.clone(),
        }
    }
}

fn deliver_json(deliver: &Deliver, smsc: Option<AddressJson>, payload: Option<PayloadJson>) -> DeliverJson {
    DeliverJson {
        smsc,
        oa: AddressJson::from(&deliver.originator),
        pid: deliver.pid.0,
        dcs: deliver.dcs.0,
        alphabet: deliver.dcs.alphabet().name(),
        class: class(deliver.dcs),
        scts: deliver.scts.to_rfc3339(),
        mms: deliver.no_more_messages,
        sri: deliver.status_report_indication,
        rp: deliver.reply_path,
        lp: deliver.loop_prevention,
        user_data: UserDataJson::new(&deliver.user_data, payload),
    }
}

fn submit_json(submit: &Submit, smsc: Option<AddressJson>, payload: Option<PayloadJson>) -> SubmitJson {
    SubmitJson {
        smsc,
        mr: submit.message_reference,
        da: AddressJson::from(&submit.destination),
        pid: submit.pid.0,
        dcs: submit.dcs.0,
        alphabet: submit.dcs.alphabet().name(),
        class: class(submit.dcs),
        vp: submit.validity.as_ref().map(ValidityJson::from),
        srr: submit.status_report_request,
        rd: submit.reject_duplicates,
        rp: submit.reply_path,
        user_data: UserDataJson::new(&submit.user_data, payload),
    }
}

fn status_report_json(
    report: &StatusReport,
    smsc: Option<AddressJson>,
    payload: Option<PayloadJson>,
) -> StatusReportJson {
    StatusReportJson {
        smsc,
        mr: report.message_reference,
        ra: AddressJson::from(&report.recipient),
        scts: report.scts.to_rfc3339(),
        dt: report.discharge_time.to_rfc3339(),
        st: report.status.0,
        status_text: report.status.smstools_text(),
        mms: report.no_more_messages,
        srq: report.status_report_qualifier,
        lp: report.loop_prevention,
        pid: report.pid.map(|pid| pid.0),
        dcs: report.dcs.map(|dcs| dcs.0),
        alphabet: report.dcs.map(|dcs| dcs.alphabet().name()),
        class: report.dcs.and_then(class),
        user_data: report
            .user_data
            .as_ref()
            .map(|user_data| UserDataJson::new(user_data, payload)),
    }
}

fn class(dcs: DataCodingScheme) -> Option<u8> {
    dcs.class().map(|class| class as u8)
}

impl From<&Address> for AddressJson {
    fn from(address: &Address) -> AddressJson {
        AddressJson {
            number: address.number.clone(),
            toa: address.toa.0,
        }
    }
}

impl From<&ValidityPeriod> for ValidityJson {
    fn from(validity: &ValidityPeriod) -> ValidityJson {
        let mut json = ValidityJson {
            format: "",
            value: None,
            time: None,
            octets: None,
            seconds: None,
            text: validity.describe(),
        };
        match validity {
            ValidityPeriod::Relative(value) => {
                json.format = "relative";
                json.value = Some(*value);
                json.seconds = Some(sms_pdu::relative_minutes(*value) * 60);
            }
            ValidityPeriod::Absolute(timestamp) => {
                json.format = "absolute";
                json.time = Some(timestamp.to_rfc3339());
            }
            ValidityPeriod::Enhanced(octets) => {
                json.format = "enhanced";
                json.octets = Some(sms_pdu::encode_hex(octets));
                json.seconds = sms_pdu::enhanced_seconds(octets);
            }
        }
        json
    }
}

impl UserDataJson {
    fn new(user_data: &sms_pdu::UserData, payload: Option<PayloadJson>) -> UserDataJson {
        let header = user_data.header.as_ref();
        UserDataJson {
            udh: header.map_or_else(Vec::new, |header| {
                header.elements.iter().map(ElementJson::from).collect()
            }),
            concat: header
                .and_then(|header| header.concat())
                .map(|concat| ConcatJson {
                    reference: concat.reference,
                    total: concat.total,
                    seq: concat.seq,
                }),
            ports: header
                .and_then(|header| header.ports())
                .map(|(dst, src)| PortsJson { src, dst }),
            payload,
        }
    }
}

impl From<&InformationElement> for ElementJson {
    fn from(element: &InformationElement) -> ElementJson {
        ElementJson {
            iei: element.iei(),
            data: sms_pdu::encode_hex(&element.data()),
        }
    }
}

impl From<&Payload> for PayloadJson {
    fn from(payload: &Payload) -> PayloadJson {
        match payload {
            Payload::Text(text) => PayloadJson::Text(text.clone()),
            Payload::Data(data) => PayloadJson::Data(sms_pdu::encode_hex(data)),
        }
    }
}
