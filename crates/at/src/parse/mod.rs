//! Typed parsers: a command's response lines in, a value out.
//!
//! Each parser is a pure function of the information lines of a completed
//! command ([`Completion::lines`](crate::Completion::lines)). It finds its
//! line by prefix, so a stray line before or after does no harm, and it
//! fails with a [`ParseError`] that names the line and the field:
//!
//! ```text
//! line 1 "+CSQ: x,99": field 1 (<rssi>): "x" is not a number 0-255
//! ```
//!
//! Values keep what the modem said, including codes the specifications
//! reserve or leave to vendors, and read their meaning on demand.
//!
//! | command                      | parser                         | value                |
//! |------------------------------|--------------------------------|----------------------|
//! | `AT+CSQ`                     | [`csq`]                        | [`SignalQuality`]    |
//! | `AT+CREG?` `+CGREG?` `+CEREG?` | [`creg`], [`cgreg`], [`cereg`] | [`Registration`]   |
//! | `AT+COPS?`                   | [`cops`]                       | [`Operator`]         |
//! | `AT+CPIN?`                   | [`cpin`]                       | [`PinStatus`]        |
//! | `AT+CSCA?`                   | [`csca`]                       | [`ServiceCentre`]    |
//! | `AT+CPMS?`, `AT+CPMS=...`    | [`cpms`]                       | [`StorageStatus`]    |
//! | `AT+CMGS=...`                | [`cmgs`]                       | [`MessageReference`] |
//! | `AT+CMGL=...`                | [`cmgl`]                       | [`StoredMessage`]s   |
//! | `AT+CMGR=...`                | [`cmgr`]                       | [`StoredMessage`]    |
//! | `+CUSD` (usually a URC)      | [`cusd`], [`Ussd::parse_line`] | [`Ussd`]             |
//! | `AT+CGSN`, `+CIMI`, `+CCID`  | [`cgsn`], [`cimi`], [`ccid`]   | `String`             |

mod error;
mod fields;
mod identity;
mod messages;
mod operator;
mod pin;
mod registration;
mod signal;
mod smsc;
mod storage;
mod ussd;

pub use error::{LineRef, ParseError, ParseErrorKind};
pub use identity::{ccid, cgsn, cimi};
pub use messages::{cmgl, cmgr, cmgs, MessageReference, MessageStatus, StoredMessage};
pub use operator::{cops, Operator};
pub use pin::{cpin, PinStatus};
pub use registration::{
    cereg, cgreg, creg, AccessTechnology, Registration, RegistrationDomain, RegistrationStatus,
};
pub use signal::{csq, SignalQuality};
pub use smsc::{csca, ServiceCentre};
pub use storage::{cpms, MemoryUsage, StorageStatus};
pub use ussd::{cusd, CbsAlphabet, Ussd, UssdEncoding, UssdStatus, UssdText};

pub(crate) use fields::{is_hex_line, Fields};

/// The first line starting with `prefix`, with its 1-based number and the
/// text after the prefix.
fn find_line<'a, S: AsRef<str>>(
    lines: &'a [S],
    prefix: &'static str,
) -> Result<(usize, &'a str, &'a str), ParseError> {
    lines
        .iter()
        .enumerate()
        .find_map(|(line_idx, line)| {
            let line = line.as_ref();
            line.strip_prefix(prefix).map(|rest| (line_idx + 1, line, rest))
        })
        .ok_or(ParseError {
            line: None,
            kind: ParseErrorKind::MissingLine { prefix },
        })
}
