//! `Pdu::decode` on arbitrary octets (SMSC address first): never panics,
//! and what decodes survives encoding and decoding again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_pdu::Pdu;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = Pdu::decode(data) {
        sms_pdu_fuzz::check_pdu_round_trip(&decoded.value);
        sms_pdu_fuzz::check_tpdu_round_trip(&decoded.value.tpdu);
        let _ = decoded.value.to_cmgs();
    }
});
