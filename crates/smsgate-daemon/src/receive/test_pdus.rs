//! Received PDUs for the receive side's tests.

use sms_pdu::{Address, Body, InformationElement, Pdu, Tpdu, UserData, UserDataHeader};

use crate::part_store::hex_to_bytes;

/// "hellohello" from +31641600986 (TS 23.040 examples, as in the codec's
/// vectors), SMSC +31624000000.
pub(crate) const SINGLE: &str =
    "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";

/// A status report (TS 23.040 9.2.2.3), SMSC absent.
pub(crate) const REPORT: &str = "0006D60B911326880736F4111011719551401110117195714000";

/// An SMS-SUBMIT, as a SIM keeps one to be sent.
pub(crate) const SUBMIT: &str = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";

/// A DELIVER with `text` (letters, digits, spaces: their GSM 7-bit codes
/// are their ASCII codes) from `sender` (digits).
pub(crate) fn deliver_from(sender: &str, text: &str) -> sms_pdu::Deliver {
    let pdu = Pdu::decode(&hex_to_bytes(SINGLE).unwrap()).unwrap().value;
    let Tpdu::Deliver(mut deliver) = pdu.tpdu else {
        panic!("SINGLE is a DELIVER")
    };
    deliver.originator = Address::parse_phone(sender).unwrap();
    deliver.user_data = UserData {
        header: None,
        body: Body::Septets(text.bytes().collect()),
    };
    deliver
}

/// A single DELIVER with `text` from +31641600986.
pub(crate) fn single(text: &str) -> Vec<u8> {
    encode(deliver_from("+31641600986", text))
}

/// Part `seq` of `total` from `sender`, 8-bit reference `reference`.
pub(crate) fn part_from(sender: &str, reference: u8, seq: u8, total: u8, text: &str) -> Vec<u8> {
    let mut deliver = deliver_from(sender, text);
    deliver.user_data.header = Some(UserDataHeader {
        elements: vec![InformationElement::Concat8 {
            reference,
            total,
            seq,
        }],
    });
    encode(deliver)
}

/// Part `seq` of `total` from +31641600986, reference 7.
pub(crate) fn part(seq: u8, total: u8, text: &str) -> Vec<u8> {
    part_from("+31641600986", 7, seq, total, text)
}

pub(crate) fn encode(deliver: sms_pdu::Deliver) -> Vec<u8> {
    Pdu {
        smsc: None,
        tpdu: Tpdu::Deliver(deliver),
    }
    .encode()
    .unwrap()
}
