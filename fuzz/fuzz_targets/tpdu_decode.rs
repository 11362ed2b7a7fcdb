//! `Tpdu::decode` on arbitrary octets (no SMSC address): never panics, and
//! what decodes survives encoding and decoding again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_pdu::Tpdu;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = Tpdu::decode(data) {
        sms_pdu_fuzz::check_tpdu_round_trip(&decoded.value);
    }
});
