//! Building the SMS-SUBMIT PDUs of an outgoing message: the settings every
//! part shares, applied to the parts [`crate::split`] makes.

use crate::address::Address;
use crate::dcs::{Alphabet, DataCodingScheme, MessageClass};
use crate::error::EncodeError;
use crate::pid::ProtocolIdentifier;
use crate::split::{split_data, split_text, SplitOptions};
use crate::tpdu::{Pdu, Submit, Tpdu};
use crate::user_data::UserData;
use crate::validity::ValidityPeriod;

/// What all parts of an outgoing message share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The recipient.
    pub destination: Address,
    /// The SMSC to use; `None` lets the modem use its own (`AT+CSCA`).
    pub smsc: Option<Address>,
    /// The message class; class 0 is a flash message.
    pub class: Option<MessageClass>,
    /// Whether to request a status report for each part.
    pub status_report_request: bool,
    /// The validity period.
    pub validity: Option<ValidityPeriod>,
    /// TP-PID, e.g. a replace type.
    pub pid: ProtocolIdentifier,
    /// TP-RD.
    pub reject_duplicates: bool,
}

impl OutgoingMessage {
    /// A message to `destination` with no options set.
    pub fn to(destination: Address) -> OutgoingMessage {
        OutgoingMessage {
            destination,
            smsc: None,
            class: None,
            status_report_request: false,
            validity: None,
            pid: ProtocolIdentifier::DEFAULT,
            reject_duplicates: false,
        }
    }

    /// The PDUs that send `text`, one per part.
    pub fn text_pdus(&self, text: &str, options: &SplitOptions) -> Result<Vec<Pdu>, EncodeError> {
        let split = split_text(text, options)?;
        let dcs = DataCodingScheme::new(split.alphabet, self.class);
        Ok(self.pdus(dcs, split.parts))
    }

    /// The PDUs that send 8-bit `data`, one per part.
    pub fn data_pdus(&self, data: &[u8], options: &SplitOptions) -> Result<Vec<Pdu>, EncodeError> {
        let parts = split_data(data, options)?;
        let dcs = DataCodingScheme::new(Alphabet::EightBit, self.class);
        Ok(self.pdus(dcs, parts))
    }

    /// The PDUs for user data already split, with an explicit TP-DCS.
    pub fn pdus(&self, dcs: DataCodingScheme, parts: Vec<UserData>) -> Vec<Pdu> {
        parts
            .into_iter()
            .map(|user_data| Pdu {
                smsc: self.smsc.clone(),
                tpdu: Tpdu::Submit(Submit {
                    reject_duplicates: self.reject_duplicates,
                    validity: self.validity,
                    status_report_request: self.status_report_request,
                    reply_path: false,
                    // Modems replace it with their own counter.
                    message_reference: 0,
                    destination: self.destination.clone(),
                    pid: self.pid,
                    dcs,
                    user_data,
                }),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::Autosplit;
    use crate::TypeOfAddress;

    /// Capture: smsd 3.1.21 lab, "plain" file to 4917212345678 with
    /// `report = yes`: first octet 31 (SRR, relative VP), VP FF.
    #[test]
    fn smsd_capture_plain() {
        let message = OutgoingMessage {
            status_report_request: true,
            validity: Some(ValidityPeriod::Relative(0xFF)),
            ..OutgoingMessage::to(Address::numeric("4917212345678", TypeOfAddress::INTERNATIONAL).unwrap())
        };
        let pdus = message
            .text_pdus("Hello from smsd", &SplitOptions::default())
            .unwrap();
        assert_eq!(pdus.len(), 1);
        let (length, hex) = pdus[0].to_cmgs().unwrap();
        assert_eq!(
            hex,
            "0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301"
        );
        assert_eq!(length, 29);
    }

    /// Capture: smsd 3.1.21 lab, `Alphabet: UTF` file sent as UCS2,
    /// including the file's trailing newline.
    #[test]
    fn smsd_capture_ucs2() {
        let message = OutgoingMessage {
            status_report_request: true,
            validity: Some(ValidityPeriod::Relative(0xFF)),
            ..OutgoingMessage::to(Address::numeric("4917212345678", TypeOfAddress::INTERNATIONAL).unwrap())
        };
        let pdus = message
            .text_pdus("Unicode from smsd: Привет €\n", &SplitOptions::default())
            .unwrap();
        let (length, hex) = pdus[0].to_cmgs().unwrap();
        assert_eq!(
            hex,
            "0031000D91947112325476F80008FF380055006E00690063006F00640065002000660072006F006D00200073006D00730064003A0020041F04400438043204350442002020AC000A"
        );
        assert_eq!(length, 71);
    }

    /// Capture: smsd 3.1.21 lab, a text autosplit into two concatenated
    /// parts with reference 0xED.
    #[test]
    fn smsd_capture_two_parts() {
        let message = OutgoingMessage {
            status_report_request: true,
            validity: Some(ValidityPeriod::Relative(0xFF)),
            ..OutgoingMessage::to(Address::numeric("4917212345678", TypeOfAddress::INTERNATIONAL).unwrap())
        };
        let part1 = "0071000D91947112325476F80000FFA0050003ED0201986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF6DD0BC3D2783986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF6DD0BC3D2783986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF6DD0BC3D2783986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF";
        let part2 = "0071000D91947112325476F80000FF35050003ED0202DAA0797B4E0631DFEE33885EC6D34166F9BB0D9AB7E76410F3ED3E83E8653C1D6496BFDBA0797B4E06";
        // The text is whatever the captured parts say.
        let text: String = [part1, part2]
            .iter()
            .map(|hex| match Pdu::decode_hex(hex).unwrap().value.tpdu {
                Tpdu::Submit(submit) => submit.text().unwrap(),
                other => panic!("not a SUBMIT: {other:?}"),
            })
            .collect();
        let options = SplitOptions {
            autosplit: Autosplit::Concatenated,
            reference: 0xED,
            ..SplitOptions::default()
        };
        let pdus = message.text_pdus(&text, &options).unwrap();
        let hexes: Vec<String> = pdus.iter().map(|pdu| pdu.to_cmgs().unwrap().1).collect();
        assert_eq!(hexes, vec![part1.to_owned(), part2.to_owned()]);
        assert_eq!(pdus[0].to_cmgs().unwrap().0, 155);
        assert_eq!(pdus[1].to_cmgs().unwrap().0, 62);
    }
}
