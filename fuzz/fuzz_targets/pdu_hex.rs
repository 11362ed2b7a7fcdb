//! `Pdu::decode_hex` and `Tpdu::decode_hex` on arbitrary text (the longest
//! UTF-8 prefix of the input): never panic, and what decodes survives
//! encoding and decoding again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_pdu::{Pdu, Tpdu};

fuzz_target!(|data: &[u8]| {
    let text = sms_pdu_fuzz::utf8_prefix(data);
    if let Ok(decoded) = Pdu::decode_hex(text) {
        sms_pdu_fuzz::check_pdu_round_trip(&decoded.value);
    }
    if let Ok(decoded) = Tpdu::decode_hex(text) {
        sms_pdu_fuzz::check_tpdu_round_trip(&decoded.value);
    }
});
