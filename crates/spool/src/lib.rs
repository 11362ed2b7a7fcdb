//! The smstools3 spool file format, as smsgate reads and writes it.
//!
//! A message to send is a file in `outgoing/`: `Name: value` header lines,
//! an empty line, then the text (or binary data). This crate turns such a
//! file into an [`OutgoingFile`] value, checking every header and
//! collecting every problem with its line ([`ParseError`]); turns that value
//! into the SMS-SUBMIT PDUs to hand to a modem ([`plan()`]); and writes the
//! `sent/` and `failed/` files smsd writes ([`render_sent`],
//! [`render_failed`]).
//!
//! ```
//! use spool::{plan, NoIncludes, OutgoingFile, Plan, PlanDefaults};
//!
//! let file = OutgoingFile::parse(b"To: 491721234567\n\nHello, this is the sms.\n", &mut NoIncludes).unwrap();
//! let Plan::Sms(sms) = plan(&file, &PlanDefaults::default()).unwrap() else { panic!("not an SMS") };
//! assert_eq!(sms.pdus.len(), 1);
//! assert_eq!(sms.message.destination.to_string(), "+491721234567");
//! ```
//!
//! What this crate does not do: read or move files, read the clock, or
//! talk to modems. An `Include:` header names a file; the caller resolves
//! it through an [`IncludeResolver`] and decides which files may be read.
//! The times written into `sent/` and `failed/` files are given by the
//! caller too.

mod error;
mod hex_data;
pub mod incoming;
mod lines;
mod numbering;
mod outgoing;
mod phonecall;
mod plan;
mod render;
mod voicecall;

pub use error::{ParseError, Place, PlanError, Problem};
pub use numbering::{NumberingPolicy, Recipient, ToToa};
pub use outgoing::{
    Content, FileAlphabet, IncludeError, IncludeResolver, Macro, NoIncludes, OutgoingFile, Priority,
    SystemMessage, UnknownLine,
};
pub use phonecall::{render_phonecall, Phonecall};
pub use plan::{plan, Plan, PlanDefaults, SmsPlan, TrailingNewline};
pub use render::{
    add_headers, render_failed, render_sent, FailedRecord, SentRecord, SpoolTime, StoreSentPdu,
};
pub use voicecall::{DtmfTone, Voicecall};
