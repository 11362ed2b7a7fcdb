//! One decoded PDU as the `pdu` subcommands see it: the codec's value, its
//! payload read once, and every warning as text.
//!
//! Both outputs (the field dump in `pdu_dump` and the JSON in `pdu_json`)
//! and the reassembly in `multipart` read this, so they can't disagree
//! about what the text of a PDU is.

use sms_pdu::reassembly::MessageKey;
use sms_pdu::{Address, DataCodingScheme, DecodeError, Pdu, Tpdu, UserData};

/// A decoded PDU.
#[derive(Clone, Debug)]
pub(crate) struct DecodedPdu {
    /// The SMSC address; `None` when the PDU had none (`00`) or was decoded
    /// as a bare TPDU.
    pub(crate) smsc: Option<Address>,
    /// The TPDU.
    pub(crate) tpdu: Tpdu,
    /// The body of the user data, if the TPDU has user data.
    pub(crate) payload: Option<Payload>,
    /// The codec's warnings and the oddities met reading the text.
    pub(crate) warnings: Vec<String>,
}

/// What the user data carries after its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// GSM 7-bit or UCS2 text.
    Text(String),
    /// 8-bit data, or compressed text (TS 23.042), which is not decoded.
    Data(Vec<u8>),
}

impl DecodedPdu {
    /// Decodes the hex of a PDU: an SMSC address and a TPDU, or with
    /// `with_smsc` false a bare TPDU.
    pub(crate) fn from_hex(hex: &str, with_smsc: bool) -> Result<DecodedPdu, DecodeError> {
        let (smsc, tpdu, warnings) = if with_smsc {
            let decoded = Pdu::decode_hex(hex)?;
            (decoded.value.smsc, decoded.value.tpdu, decoded.warnings)
        } else {
            let decoded = Tpdu::decode_hex(hex)?;
            (None, decoded.value, decoded.warnings)
        };
        let mut warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        let payload = tpdu
            .user_data()
            .map(|(user_data, dcs)| read_payload(user_data, dcs, &mut warnings));
        Ok(DecodedPdu {
            smsc,
            tpdu,
            payload,
            warnings,
        })
    }

    /// Which concatenated message this PDU is a part of, and its number.
    pub(crate) fn concat_part(&self) -> Option<(MessageKey, u8)> {
        MessageKey::of_tpdu(&self.tpdu)
    }
}

fn read_payload(user_data: &UserData, dcs: DataCodingScheme, warnings: &mut Vec<String>) -> Payload {
    if let Some((text, notes)) = user_data.text(dcs) {
        warnings.extend(notes.into_iter().map(|note| format!("TP-UD: {note}")));
        return Payload::Text(text);
    }
    if dcs.meaning().compressed {
        warnings.push("TP-DCS: the text is compressed (TS 23.042), shown as data".to_owned());
    }
    // `text` gives `None` only for octet bodies, so `octets` is `Some` here.
    Payload::Data(user_data.octets().unwrap_or_default().to_vec())
}
