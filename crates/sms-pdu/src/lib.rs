//! The SMS PDU codec of smsgate: 3GPP TS 23.040 TPDUs in the alphabets of
//! TS 23.038.
//!
//! A PDU is the binary form of a short message as it travels between a
//! modem and the network; modems show it as hex in `+CMGR`, `+CMGL`, `+CMT`
//! and `+CDS`, and take it after `AT+CMGS`. This crate turns those octets
//! into values and back, splits long texts into parts and puts received
//! parts together again.
//!
//! The main types:
//! - [`Pdu`] (an SMSC address and a [`Tpdu`]) with [`Deliver`], [`Submit`]
//!   and [`StatusReport`]; decoding gives a [`Decoded`] value with the
//!   [`Warning`]s met on the way, or a [`DecodeError`] naming the octet and
//!   field.
//! - [`Address`], [`DataCodingScheme`], [`ProtocolIdentifier`],
//!   [`ValidityPeriod`], [`Timestamp`], [`Status`], [`UserDataHeader`]: the
//!   fields, each keeping its wire value so that nothing is lost.
//! - [`Gsm7Tables`]: the GSM 7-bit default alphabet and all national
//!   language shift tables.
//! - [`split::split_text`] and [`reassembly::Reassembler`]: multipart
//!   messages both ways.
//!
//! ```
//! use sms_pdu::{Pdu, Tpdu};
//!
//! // An SMS-DELIVER as a modem prints it after AT+CMGR.
//! let hex = "07915155550500F0040B911346610089F60000621112919291001BC8329BFD06CDDB7332C82C7FB741747419E42ED3EF6FF91A";
//! let decoded = Pdu::decode_hex(hex).unwrap();
//! let Tpdu::Deliver(deliver) = &decoded.value.tpdu else { panic!("not a DELIVER") };
//! assert_eq!(deliver.originator.to_string(), "+31641600986");
//! assert_eq!(deliver.text().unwrap(), "Hello smsd from the network");
//! assert_eq!(deliver.scts.to_rfc3339(), "2026-11-21T19:29:19+00:00");
//! ```
//!
//! What this crate does not do: any I/O, any clock reading (timeouts of
//! reassembly are the caller's), AT commands, or compressed text (TS
//! 23.042), which it reports and keeps as octets. It never panics on input.

mod address;
mod dcs;
mod error;
pub mod gsm7;
mod hex;
pub mod outgoing;
mod pid;
mod reader;
pub mod reassembly;
pub mod septets;
pub mod split;
mod status;
mod timestamp;
mod tpdu;
mod udh;
mod user_data;
mod validity;

pub use address::{Address, TypeOfAddress, TypeOfNumber, MAX_ADDRESS_DIGITS};
pub use dcs::{Alphabet, DataCodingScheme, DcsMeaning, IndicationType, MessageClass, MessageWaiting};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, Location, Warning};
pub use gsm7::{Gsm7Tables, NationalLanguage};
pub use hex::{decode_hex, encode_hex};
pub use pid::ProtocolIdentifier;
pub use status::{Status, StatusCategory};
pub use timestamp::Timestamp;
pub use tpdu::{Decoded, Deliver, Pdu, StatusReport, Submit, Tpdu};
pub use udh::{ConcatInfo, InformationElement, UserDataHeader};
pub use user_data::{parts_texts, Body, UserData, MAX_OCTETS, MAX_SEPTETS};
pub use validity::{
    enhanced_seconds, parse_smstools_validity, relative_from_minutes, relative_minutes, smsd_validity,
    ValidityParseError, ValidityPeriod,
};
