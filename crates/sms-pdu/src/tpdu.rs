//! The three TPDUs a gateway meets (3GPP TS 23.040 9.2.2): SMS-DELIVER,
//! SMS-SUBMIT and SMS-STATUS-REPORT, and the SMSC address modems print in
//! front of them.

use crate::address::{self, Address};
use crate::dcs::DataCodingScheme;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, Warning};
use crate::hex;
use crate::pid::ProtocolIdentifier;
use crate::reader::Reader;
use crate::status::Status;
use crate::timestamp::Timestamp;
use crate::user_data::UserData;
use crate::validity::ValidityPeriod;

// First-octet bits shared by the TPDUs (TS 23.040 9.2.3).
const MTI_MASK: u8 = 0x03;
const MMS_OR_RD: u8 = 0x04;
const LOOP_PREVENTION: u8 = 0x08;
const VPF_MASK: u8 = 0x18;
const SRI_SRR_SRQ: u8 = 0x20;
const UDHI: u8 = 0x40;
const REPLY_PATH: u8 = 0x80;

/// SMS-DELIVER (TS 23.040 9.2.2.1): a message from the network to the
/// modem.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Deliver {
    /// TP-MMS as on the wire: set means no more messages are waiting.
    pub no_more_messages: bool,
    /// TP-LP, loop prevention.
    pub loop_prevention: bool,
    /// TP-SRI: the sender asked for a status report.
    pub status_report_indication: bool,
    /// TP-RP: a reply path exists.
    pub reply_path: bool,
    /// TP-OA, the sender.
    pub originator: Address,
    /// TP-PID.
    pub pid: ProtocolIdentifier,
    /// TP-DCS.
    pub dcs: DataCodingScheme,
    /// TP-SCTS, when the SMSC received the message.
    pub scts: Timestamp,
    /// TP-UD.
    pub user_data: UserData,
}

/// SMS-SUBMIT (TS 23.040 9.2.2.2): a message from the modem to the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Submit {
    /// TP-RD: the SMSC should reject a duplicate of a message still held.
    pub reject_duplicates: bool,
    /// TP-VP with its format (TP-VPF); `None` for no validity period.
    pub validity: Option<ValidityPeriod>,
    /// TP-SRR: a status report is requested.
    pub status_report_request: bool,
    /// TP-RP: a reply path is requested.
    pub reply_path: bool,
    /// TP-MR. Modems replace it with their own counter and print that in
    /// `+CMGS:`.
    pub message_reference: u8,
    /// TP-DA, the recipient.
    pub destination: Address,
    /// TP-PID.
    pub pid: ProtocolIdentifier,
    /// TP-DCS.
    pub dcs: DataCodingScheme,
    /// TP-UD.
    pub user_data: UserData,
}

/// SMS-STATUS-REPORT (TS 23.040 9.2.2.3): what became of a submitted
/// message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StatusReport {
    /// TP-MMS as on the wire: set means no more messages are waiting.
    pub no_more_messages: bool,
    /// TP-LP, loop prevention.
    pub loop_prevention: bool,
    /// TP-SRQ: set when the report is about an SMS-COMMAND rather than an
    /// SMS-SUBMIT.
    pub status_report_qualifier: bool,
    /// TP-MR of the SMS-SUBMIT this report is about.
    pub message_reference: u8,
    /// TP-RA, the recipient of that message.
    pub recipient: Address,
    /// TP-SCTS, when the SMSC received the message.
    pub scts: Timestamp,
    /// TP-DT, when it was delivered or discarded.
    pub discharge_time: Timestamp,
    /// TP-ST.
    pub status: Status,
    /// TP-PI as received, when present. Its bits 0-2 are recomputed from
    /// the optional fields on encoding; its other bits are kept.
    pub parameter_indicator: Option<u8>,
    /// TP-PID, when TP-PI announces it.
    pub pid: Option<ProtocolIdentifier>,
    /// TP-DCS, when TP-PI announces it.
    pub dcs: Option<DataCodingScheme>,
    /// TP-UDL and TP-UD, when TP-PI announces them.
    pub user_data: Option<UserData>,
}

/// A TPDU of any of the three kinds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tpdu {
    /// SMS-DELIVER.
    Deliver(Deliver),
    /// SMS-SUBMIT.
    Submit(Submit),
    /// SMS-STATUS-REPORT.
    StatusReport(StatusReport),
}

/// A PDU as modems print it in `+CMGR`/`+CMGL`/`+CMT`/`+CDS` and take it in
/// `+CMGS`: an SMSC address (length 0 for none), then the TPDU.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pdu {
    /// The SMSC address, `None` when its length octet is 0.
    pub smsc: Option<Address>,
    /// The TPDU.
    pub tpdu: Tpdu,
}

/// A decoded value with the oddities met on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded<T> {
    /// The value.
    pub value: T,
    /// What was odd but did not stop decoding.
    pub warnings: Vec<Warning>,
}

impl Pdu {
    /// Decodes an SMSC address followed by a TPDU.
    pub fn decode(octets: &[u8]) -> Result<Decoded<Pdu>, DecodeError> {
        let mut warnings = Vec::new();
        let mut reader = Reader::new(octets);
        if reader.is_empty() {
            return Err(reader.error("SMSC address", DecodeErrorKind::Empty));
        }
        let smsc = Address::decode_smsc(&mut reader, &mut warnings)?;
        let tpdu = Tpdu::decode_from(&mut reader, &mut warnings)?;
        Ok(Decoded {
            value: Pdu { smsc, tpdu },
            warnings,
        })
    }

    /// Decodes the hex text of an SMSC address and TPDU.
    pub fn decode_hex(text: &str) -> Result<Decoded<Pdu>, DecodeError> {
        Pdu::decode(&hex::decode_hex(text)?)
    }

    /// Encodes the SMSC address and the TPDU.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(176);
        address::encode_smsc(self.smsc.as_ref(), &mut out)?;
        self.tpdu.encode_into(&mut out)?;
        Ok(out)
    }

    /// The hex text for `AT+CMGS`, with the TPDU length (without the SMSC
    /// address) that the command takes.
    pub fn to_cmgs(&self) -> Result<(usize, String), EncodeError> {
        let octets = self.encode()?;
        let smsc_len = 1 + usize::from(octets[0]);
        Ok((octets.len() - smsc_len, hex::encode_hex(&octets)))
    }
}

impl Tpdu {
    /// Decodes a bare TPDU, without a leading SMSC address.
    pub fn decode(octets: &[u8]) -> Result<Decoded<Tpdu>, DecodeError> {
        let mut warnings = Vec::new();
        let mut reader = Reader::new(octets);
        let tpdu = Tpdu::decode_from(&mut reader, &mut warnings)?;
        Ok(Decoded {
            value: tpdu,
            warnings,
        })
    }

    /// Decodes the hex text of a bare TPDU.
    pub fn decode_hex(text: &str) -> Result<Decoded<Tpdu>, DecodeError> {
        Tpdu::decode(&hex::decode_hex(text)?)
    }

    /// Encodes the TPDU.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(176);
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// The user data with the coding scheme it is written in; `None` for a
    /// status report without user data.
    pub fn user_data(&self) -> Option<(&UserData, DataCodingScheme)> {
        match self {
            Tpdu::Deliver(deliver) => Some((&deliver.user_data, deliver.dcs)),
            Tpdu::Submit(submit) => Some((&submit.user_data, submit.dcs)),
            Tpdu::StatusReport(report) => {
                let user_data = report.user_data.as_ref()?;
                Some((user_data, report.dcs.unwrap_or(DataCodingScheme::GSM7)))
            }
        }
    }

    fn decode_from(reader: &mut Reader<'_>, warnings: &mut Vec<Warning>) -> Result<Tpdu, DecodeError> {
        let first = reader
            .peek()
            .ok_or_else(|| reader.error("TP-MTI", DecodeErrorKind::Empty))?;
        match first & MTI_MASK {
            0 => Deliver::decode(reader, warnings).map(Tpdu::Deliver),
            1 => Submit::decode(reader, warnings).map(Tpdu::Submit),
            2 => StatusReport::decode(reader, warnings).map(Tpdu::StatusReport),
            mti => Err(reader.error("TP-MTI", DecodeErrorKind::ReservedMessageType(mti))),
        }
    }

    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Tpdu::Deliver(deliver) => deliver.encode_into(out),
            Tpdu::Submit(submit) => submit.encode_into(out),
            Tpdu::StatusReport(report) => report.encode_into(out),
        }
    }
}

fn flag(on: bool, bit: u8) -> u8 {
    if on {
        bit
    } else {
        0
    }
}

impl Deliver {
    fn decode(reader: &mut Reader<'_>, warnings: &mut Vec<Warning>) -> Result<Deliver, DecodeError> {
        let first = reader.u8("TP-MTI")?;
        let originator = Address::decode_tp(reader, "TP-OA", warnings)?;
        let pid = ProtocolIdentifier(reader.u8("TP-PID")?);
        let dcs = decode_dcs(reader, warnings)?;
        let scts = Timestamp::decode(reader, "TP-SCTS", warnings)?;
        let user_data = UserData::decode(reader, dcs, first & UDHI != 0, warnings)?;
        Ok(Deliver {
            no_more_messages: first & MMS_OR_RD != 0,
            loop_prevention: first & LOOP_PREVENTION != 0,
            status_report_indication: first & SRI_SRR_SRQ != 0,
            reply_path: first & REPLY_PATH != 0,
            originator,
            pid,
            dcs,
            scts,
            user_data,
        })
    }

    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            flag(self.no_more_messages, MMS_OR_RD)
                | flag(self.loop_prevention, LOOP_PREVENTION)
                | flag(self.status_report_indication, SRI_SRR_SRQ)
                | flag(self.user_data.header.is_some(), UDHI)
                | flag(self.reply_path, REPLY_PATH),
        );
        self.originator.encode_tp(out)?;
        out.push(self.pid.0);
        out.push(self.dcs.0);
        self.scts.encode(out)?;
        self.user_data.encode(self.dcs, out)
    }

    /// The text, for GSM 7-bit and UCS2 messages.
    pub fn text(&self) -> Option<String> {
        self.user_data.text(self.dcs).map(|(text, _)| text)
    }
}

impl Submit {
    fn decode(reader: &mut Reader<'_>, warnings: &mut Vec<Warning>) -> Result<Submit, DecodeError> {
        let first = reader.u8("TP-MTI")?;
        let message_reference = reader.u8("TP-MR")?;
        let destination = Address::decode_tp(reader, "TP-DA", warnings)?;
        let pid = ProtocolIdentifier(reader.u8("TP-PID")?);
        let dcs = decode_dcs(reader, warnings)?;
        let validity = match first & VPF_MASK {
            0x00 => None,
            0x10 => Some(ValidityPeriod::Relative(reader.u8("TP-VP")?)),
            0x08 => Some(ValidityPeriod::Enhanced(reader.array("TP-VP")?)),
            _ => Some(ValidityPeriod::Absolute(Timestamp::decode(
                reader, "TP-VP", warnings,
            )?)),
        };
        let user_data = UserData::decode(reader, dcs, first & UDHI != 0, warnings)?;
        Ok(Submit {
            reject_duplicates: first & MMS_OR_RD != 0,
            validity,
            status_report_request: first & SRI_SRR_SRQ != 0,
            reply_path: first & REPLY_PATH != 0,
            message_reference,
            destination,
            pid,
            dcs,
            user_data,
        })
    }

    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            0x01 | flag(self.reject_duplicates, MMS_OR_RD)
                | self.validity.as_ref().map_or(0, ValidityPeriod::format_bits)
                | flag(self.status_report_request, SRI_SRR_SRQ)
                | flag(self.user_data.header.is_some(), UDHI)
                | flag(self.reply_path, REPLY_PATH),
        );
        out.push(self.message_reference);
        self.destination.encode_tp(out)?;
        out.push(self.pid.0);
        out.push(self.dcs.0);
        match &self.validity {
            None => {}
            Some(ValidityPeriod::Relative(value)) => out.push(*value),
            Some(ValidityPeriod::Enhanced(octets)) => out.extend_from_slice(octets),
            Some(ValidityPeriod::Absolute(timestamp)) => timestamp.encode(out)?,
        }
        self.user_data.encode(self.dcs, out)
    }

    /// The text, for GSM 7-bit and UCS2 messages.
    pub fn text(&self) -> Option<String> {
        self.user_data.text(self.dcs).map(|(text, _)| text)
    }
}

const PI_PID: u8 = 0x01;
const PI_DCS: u8 = 0x02;
const PI_UDL: u8 = 0x04;
const PI_EXTENSION: u8 = 0x80;

impl StatusReport {
    fn decode(reader: &mut Reader<'_>, warnings: &mut Vec<Warning>) -> Result<StatusReport, DecodeError> {
        let first = reader.u8("TP-MTI")?;
        let message_reference = reader.u8("TP-MR")?;
        let recipient = Address::decode_tp(reader, "TP-RA", warnings)?;
        let scts = Timestamp::decode(reader, "TP-SCTS", warnings)?;
        let discharge_time = Timestamp::decode(reader, "TP-DT", warnings)?;
        let status = Status(reader.u8("TP-ST")?);
        let mut report = StatusReport {
            no_more_messages: first & MMS_OR_RD != 0,
            loop_prevention: first & LOOP_PREVENTION != 0,
            status_report_qualifier: first & SRI_SRR_SRQ != 0,
            message_reference,
            recipient,
            scts,
            discharge_time,
            status,
            parameter_indicator: None,
            pid: None,
            dcs: None,
            user_data: None,
        };
        // TP-PI and what it announces are optional (TS 23.040 9.2.2.3).
        let Some(pi) = reader.peek() else {
            return Ok(report);
        };
        let pi_offset = reader.offset();
        reader.u8("TP-PI")?;
        report.parameter_indicator = Some(pi);
        if pi & PI_EXTENSION != 0 {
            // Extension octets carry nothing defined yet; and some SMSCs
            // pad with 0xFF. Either way the optional fields can't be trusted.
            warnings.push(Warning::at(
                pi_offset,
                "TP-PI",
                format!("extension bit set (TP-PI {pi:#04x}); the rest of the report is ignored"),
            ));
            report.parameter_indicator = None;
            reader.rest();
            return Ok(report);
        }
        if pi & PI_PID != 0 {
            report.pid = Some(ProtocolIdentifier(reader.u8("TP-PID")?));
        }
        if pi & PI_DCS != 0 {
            report.dcs = Some(decode_dcs(reader, warnings)?);
        }
        if pi & PI_UDL != 0 {
            let dcs = report.dcs.unwrap_or(DataCodingScheme::GSM7);
            report.user_data = Some(UserData::decode(reader, dcs, first & UDHI != 0, warnings)?);
        } else if !reader.is_empty() {
            warnings.push(Warning::at(
                reader.offset(),
                "TP-PI",
                format!("{} octet(s) after the status report, ignored", reader.remaining()),
            ));
            reader.rest();
        }
        Ok(report)
    }

    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let has_header = self.user_data.as_ref().is_some_and(|ud| ud.header.is_some());
        out.push(
            0x02 | flag(self.no_more_messages, MMS_OR_RD)
                | flag(self.loop_prevention, LOOP_PREVENTION)
                | flag(self.status_report_qualifier, SRI_SRR_SRQ)
                | flag(has_header, UDHI),
        );
        out.push(self.message_reference);
        self.recipient.encode_tp(out)?;
        self.scts.encode(out)?;
        self.discharge_time.encode(out)?;
        out.push(self.status.0);
        let presence = flag(self.pid.is_some(), PI_PID)
            | flag(self.dcs.is_some(), PI_DCS)
            | flag(self.user_data.is_some(), PI_UDL);
        let pi = match self.parameter_indicator {
            Some(pi) => (pi & !(PI_PID | PI_DCS | PI_UDL | PI_EXTENSION)) | presence,
            None if presence != 0 => presence,
            None => return Ok(()),
        };
        out.push(pi);
        if let Some(pid) = self.pid {
            out.push(pid.0);
        }
        if let Some(dcs) = self.dcs {
            out.push(dcs.0);
        }
        if let Some(user_data) = &self.user_data {
            user_data.encode(self.dcs.unwrap_or(DataCodingScheme::GSM7), out)?;
        }
        Ok(())
    }
}

fn decode_dcs(reader: &mut Reader<'_>, warnings: &mut Vec<Warning>) -> Result<DataCodingScheme, DecodeError> {
    let offset = reader.offset();
    let dcs = DataCodingScheme(reader.u8("TP-DCS")?);
    if let Some(reason) = dcs.meaning().reserved {
        warnings.push(Warning::at(offset, "TP-DCS", format!("{:#04x}: {reason}", dcs.0)));
    }
    Ok(dcs)
}
