//! Commands by SMS, as RouterOS's `/tool sms` takes them:
//!
//! ```text
//! :cmd SECRET script NAME [[ VAR[=VAL] ] ... ]
//! ```
//!
//! A received message is first read by [`parse`]: not a command at all
//! (`Ok(None)`, an ordinary message), a well-formed [`Command`], or a
//! [`ParseError`] saying where and why. An [`Authorizer`] then decides
//! whether the sender may run it: the sender's address (number and type
//! of address) must be one of the allowed [`InternationalNumber`]s, the
//! secret must match (compared in constant time), and a sender that sent
//! too many wrong secrets ([`RateLimit`]) is ignored for a while.
//! [`secret_span`] finds the secret's token in any message that starts
//! with `:cmd`, parsed or not, so that it is masked wherever the message
//! is written; [`RecentCommands`] tells a redelivered message from a new
//! one.
//!
//! ```
//! use std::time::Duration;
//! use sms_command::{parse, Authorizer, InternationalNumber, RateLimit};
//! use sms_pdu::{Address, TypeOfAddress};
//!
//! let command = parse(":cmd slepens script backup dest=\"usb 1\"").unwrap().unwrap();
//! assert_eq!(command.script, "backup");
//! assert_eq!(command.variables[0].value.as_deref(), Some("usb 1"));
//!
//! let allowed = vec![InternationalNumber::parse("+371 2000 0000").unwrap()];
//! let mut authorizer = Authorizer::new(allowed, "slepens", RateLimit::DEFAULT).unwrap();
//! let sender = Address { toa: TypeOfAddress::INTERNATIONAL, number: "37120000000".into() };
//! assert!(authorizer.check(&sender, &command.secret, Duration::ZERO).is_ok());
//! let spoof = Address { toa: TypeOfAddress::ALPHANUMERIC, number: "+37120000000".into() };
//! assert!(authorizer.check(&spoof, &command.secret, Duration::ZERO).is_err());
//! ```
//!
//! What this crate does not do: run anything, read the clock (the time is
//! given to [`Authorizer::check`]) or know which scripts exist. The daemon
//! looks the script up in its configuration and runs that program, with
//! the variables in its environment, never in a shell command line.

mod authorize;
mod mask;
mod number;
mod parse;
mod redelivery;

pub use authorize::{Authorizer, RateLimit, Refusal, SenderRecord, SetupError};
pub use mask::{mask_secret, secret_span};
pub use number::{InternationalNumber, NumberError, SenderError};
pub use parse::{
    is_variable_name, parse, Command, ParseError, ParseErrorKind, Variable, MAX_VARIABLE_NAME_LEN,
};
pub use redelivery::{MessageDigest, RecentCommands, Seen};
