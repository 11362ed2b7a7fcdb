//! Virtual GSM modems for testing SMS clients, and the network that joins
//! them.
//!
//! A [`Modem`] speaks AT commands the way the real clients smsd (smstools3),
//! gammu, gammu-smsd and python-gsmmodem expect, byte for byte as captured
//! in `real-clients-at-transcripts.md`: PDU and text mode, separate SIM
//! and phone stores, stored or routed indications, status reports, USSD,
//! and faults to inject. A [`Network`] routes what one modem sends to the
//! modem with that number, answers with status reports, and logs what
//! leaves the network.
//!
//! Both are sans-I/O, like the rest of smsgate's protocol code (style A4):
//! bytes and the time go in, [`Action`]s and [`Routing`]s come out, and a
//! thin shell moves the bytes between a pseudo-terminal and the modem.
//!
//! ```text
//!   client ──bytes──▶ Modem::handle_input ──▶ Action::Write ──▶ client
//!                                         └─▶ Action::Submitted { mr, pdu }
//!                                                   │
//!                          Network::submit(from, mr, pdu, now)
//!                                                   │
//!                 Routing { to, Deliver | StatusReport, pdu }
//!                                                   │
//!          Modem::deliver / Modem::status_report ──▶ Delivery
//!                                                   │
//!                    Network::delivered(id, &delivery, now) ──▶ reports
//! ```
//!
//! ```
//! use modem_sim::{Action, Modem, ModemConfig};
//!
//! let mut modem = Modem::new(ModemConfig::numbered(0));
//! // Echo is on after power-up, as on a real modem.
//! assert_eq!(
//!     modem.handle_input(b"AT+CSQ\r"),
//!     vec![Action::Write(b"AT+CSQ\r\r\n+CSQ: 21,99\r\n\r\nOK\r\n".to_vec())]
//! );
//! ```
//!
//! What this crate's pure part does not do: read a clock, open a port,
//! sleep, or spawn anything. [`Action::WriteAfter`] asks the shell to wait.

#![warn(missing_docs)]

pub mod config;
pub mod control;
pub mod fault;
pub mod modem;
pub mod network;
pub mod pty;
pub mod sim;
pub mod store;
pub mod tcp;

pub use config::ModemConfig;
pub use fault::Fault;
pub use modem::{Action, CallRecord, Delivery, Modem, SimState, INCOMING_CALL};
pub use network::{
    ExternalMessage, InjectedText, ModemId, Network, NetworkError, Routing, RoutingId, RoutingKind,
    SubmitSummary, TextEncoding,
};
pub use store::{MessageStat, MessageStore, Storage, StoredMessage, Stores};
