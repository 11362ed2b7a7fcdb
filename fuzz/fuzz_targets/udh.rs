//! The user data header: the input is framed as the user data of an
//! SMS-SUBMIT with TP-UDHI set. Octet 0 is TP-DCS, octet 1 TP-UDL, the rest
//! TP-UD starting with TP-UDHL. Decoding never panics, what decodes survives
//! a round trip, and a decoded header re-encodes to the very octets it came
//! from.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_pdu::Tpdu;

/// First octet (SUBMIT, TP-UDHI), TP-MR, TP-DA "1" (one digit, unknown
/// type), TP-PID.
const SUBMIT_HEAD: [u8; 6] = [0x41, 0x00, 0x01, 0x81, 0xF1, 0x00];

fuzz_target!(|data: &[u8]| {
    let [dcs, udl, ud @ ..] = data else {
        return;
    };
    let mut tpdu = SUBMIT_HEAD.to_vec();
    tpdu.extend([*dcs, *udl]);
    tpdu.extend_from_slice(ud);
    let Ok(decoded) = Tpdu::decode(&tpdu) else {
        return;
    };
    sms_pdu_fuzz::check_tpdu_round_trip(&decoded.value);
    let Tpdu::Submit(submit) = &decoded.value else {
        panic!("not a SUBMIT: {:?}", decoded.value);
    };
    let header = submit.user_data.header.as_ref().expect("TP-UDHI is set");
    let octets = header.encode();
    assert_eq!(octets.len(), header.encoded_len());
    assert_eq!(&octets[..], &ud[..octets.len()], "header re-encodes differently");
});
