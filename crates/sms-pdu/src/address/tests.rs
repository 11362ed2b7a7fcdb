use super::*;
use crate::hex::{decode_hex, encode_hex};

fn decode_tp(hex: &str) -> Result<(Address, Vec<Warning>), DecodeError> {
    let octets = decode_hex(hex).unwrap();
    let mut warnings = Vec::new();
    let mut reader = Reader::new(&octets);
    let address = Address::decode_tp(&mut reader, "TP-OA", &mut warnings)?;
    assert!(reader.is_empty(), "{hex}: octets left");
    Ok((address, warnings))
}

/// (hex, type of address, number): decoded and re-encoded.
#[test]
fn tp_addresses() {
    let cases = [
        // Capture: smsd 3.1.21 lab, TP-OA of a DELIVER.
        ("0B911346610089F6", 0x91, "31641600986"),
        // Capture: smsd 3.1.21 lab, TP-DA of a SUBMIT, 13 digits.
        ("0D91947112325476F8", 0x91, "4917212345678"),
        ("04A11032", 0xA1, "0123"),
        ("05812143F5", 0x81, "12345"),
        ("05A1BADCFE", 0xA1, "*#abc"),
        // TS 23.040 9.1.2.5: alphanumeric "BANKINFO", 8 septets in 7 octets.
        ("0ED0C2A07399741A9F", 0xD0, "BANKINFO"),
        ("0080", 0x80, ""),
    ];
    for (hex, toa, number) in cases {
        let (address, warnings) = decode_tp(hex).unwrap();
        assert!(warnings.is_empty(), "{hex}: {warnings:?}");
        assert_eq!(address.toa, TypeOfAddress(toa), "{hex}");
        assert_eq!(address.number, number, "{hex}");
        if !number.is_empty() {
            let mut out = Vec::new();
            address.encode_tp(&mut out).unwrap();
            assert_eq!(encode_hex(&out), hex);
        }
    }
}

#[test]
fn alphanumeric_lengths() {
    for name in ["A", "Info", "BANKINFO", "ABCDEFGHIJK"] {
        let address = Address::alphanumeric(name).unwrap();
        let mut out = Vec::new();
        address.encode_tp(&mut out).unwrap();
        let (decoded, _) = decode_tp(&encode_hex(&out)).unwrap();
        assert_eq!(decoded, address, "{name}");
    }
    assert!(Address::alphanumeric("ABCDEFGHIJKL").is_err());
    assert!(Address::alphanumeric("").is_err());
    assert!(Address::alphanumeric("Привет").is_err());
}

#[test]
fn smsc_addresses() {
    let decode = |hex: &str| {
        let octets = decode_hex(hex).unwrap();
        let mut warnings = Vec::new();
        Address::decode_smsc(&mut Reader::new(&octets), &mut warnings)
    };
    // Capture: the simulator's SMSC as the smsd lab printed it.
    let smsc = decode("07915155550500F0").unwrap().unwrap();
    assert_eq!(smsc.to_string(), "+15555550000");
    let mut out = Vec::new();
    smsc.encode_smsc(&mut out).unwrap();
    assert_eq!(encode_hex(&out), "07915155550500F0");
    assert_eq!(decode("00").unwrap(), None);
    let err = decode("0D91").unwrap_err();
    assert_eq!(
        err.to_string(),
        "octet 0 (SMSC address): length 13 is invalid, at most 11"
    );
}

#[test]
fn phone_numbers_as_users_type_them() {
    let address = Address::parse_phone("+371 2000 0000").unwrap();
    assert_eq!(address.toa, TypeOfAddress::INTERNATIONAL);
    assert_eq!(address.number, "37120000000");
    assert_eq!(address.to_string(), "+37120000000");
    let address = Address::parse_phone("*245#").unwrap();
    assert_eq!(address.toa, TypeOfAddress::UNKNOWN);
    assert_eq!(address.number, "*245#");
    for bad in ["", "+", "12-34", "1+2", "12345678901234567890123", "ABC"] {
        assert!(Address::parse_phone(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        Address::parse_phone("12-34").unwrap_err().to_string(),
        "address \"12-34\": only the characters 0-9 * # a b c are allowed"
    );
}

#[test]
fn odd_inputs_warn_or_fail() {
    // Bit 7 of the type clear.
    let (_, warnings) = decode_tp("021121").unwrap();
    assert_eq!(warnings.len(), 1);
    // F inside the digits.
    let (address, warnings) = decode_tp("0481F121").unwrap();
    assert_eq!(address.number, "112");
    assert_eq!(warnings.len(), 1);
    let err = decode_tp("1591").unwrap_err();
    assert_eq!(
        err.to_string(),
        "octet 0 (TP-OA): length 21 is invalid, at most 20"
    );
    let err = decode_tp("0B911346").unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 4 });
}

#[test]
fn smstools_type_descriptions() {
    assert_eq!(
        TypeOfAddress(0x91).smstools_description(),
        "91 international, ISDN/telephone"
    );
    assert_eq!(
        TypeOfAddress(0xD0).smstools_description(),
        "D0 alphanumeric, unknown"
    );
    assert_eq!(
        TypeOfAddress(0xA1).smstools_description(),
        "A1 national, ISDN/telephone"
    );
    assert_eq!(
        TypeOfAddress(0xC1).smstools_description(),
        "C1 subsciber, ISDN/telephone"
    );
    assert_eq!(
        TypeOfAddress(0x92).smstools_description(),
        "92 international, international"
    );
}
