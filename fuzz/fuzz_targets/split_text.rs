//! `split_text` on arbitrary text: octet 0 picks the mode, alphabet and
//! header options, octet 1 up to two national languages, octets 2-3 the
//! reference, and the rest (its longest UTF-8 prefix) is the text. Every
//! part must encode, decode to the same SUBMIT, and the parts' texts must
//! join to the text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, languages, high, low, text @ ..] = data else {
        return;
    };
    let options = sms_pdu_fuzz::split_options(*flags, *languages, u16::from_be_bytes([*high, *low]));
    sms_pdu_fuzz::check_split(sms_pdu_fuzz::utf8_prefix(text), &options);
});
