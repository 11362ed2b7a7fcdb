//! The AT engine of smsgate, without I/O: the part that knows the protocol
//! of 3GPP TS 27.005 and 27.007 modems and nothing about ports or clocks.
//!
//! A modem is driven by command lines (`AT+CSQ\r`) and answers with
//! information lines and a final result code (`+CSQ: 21,99`, `OK`), mixed
//! with unsolicited result codes it sends on its own (`+CMTI: "SM",3` when
//! a message arrives). The [`Engine`] takes the bytes the modem sent and the
//! current time, and gives back the bytes to write, [`Event`]s and the time
//! it next needs to be woken. The async driver that owns the serial port
//! or TCP connection only moves bytes and sleeps:
//!
//! ```text
//!            bytes read, now                 bytes to write
//!   port ──▶ handle_input ──┐           ┌──▶ poll_transmit(now) ──▶ port
//!   timer ─▶ handle_timeout ┤  Engine   ├──▶ poll_event ──▶ completions, URCs, reports
//!                           └───────────┴──▶ poll_timeout ──▶ timer
//! ```
//!
//! The main types:
//! - [`Engine`] with its [`Config`]; [`Command`]s go in and come back as
//!   [`Completion`]s inside [`Event::Completed`], with their lines and
//!   [`FinalResult`], or a timeout.
//! - [`Urc`]: the unsolicited codes, recognised even in the middle of a
//!   response, two-line `+CMT`/`+CDS` included.
//! - [`parse`]: typed parsers for `+CMGL`, `+CMGR`, `+CMGS`, `+CPMS`,
//!   `+CSQ`, `+CREG`, `+COPS`, `+CPIN`, `+CSCA`, `+CUSD` and the
//!   identities, each failing with a [`ParseError`] that names the line and
//!   field.
//! - [`Framer`]: the line splitter on its own, for tools that only read.
//!
//! ```
//! use at::{Command, Engine, Event, Time};
//!
//! let mut engine = Engine::default();
//! let id = engine.submit(Command::new("AT+CSQ").unwrap());
//! let now = Time::from_millis(0);
//! assert_eq!(engine.poll_transmit(now).unwrap(), b"AT+CSQ\r");
//! assert_eq!(engine.poll_timeout(), Some(Time::from_millis(2000)));
//!
//! // The modem answers, in whatever pieces the port delivers.
//! engine.handle_input(b"\r\n+CSQ: 21", Time::from_millis(20));
//! engine.handle_input(b",99\r\n\r\nOK\r\n", Time::from_millis(21));
//! let Some(Event::Completed(completion)) = engine.poll_event() else { panic!() };
//! assert_eq!(completion.id, id);
//! let quality = at::parse::csq(completion.result().unwrap()).unwrap();
//! assert_eq!(quality.dbm(), Some(-71));
//! ```
//!
//! What this crate does not do: open ports, lock them, read clocks, retry,
//! or decide what to send (initialisation, PIN entry and polling are the
//! driver's). It never panics on input: every byte sequence is either
//! framed, reported as noise, or waits for more bytes. Text mode
//! (`AT+CMGF=1`) is not supported: messages travel as PDUs.

#![warn(missing_docs)]

mod codes;
mod command;
mod engine;
mod error;
mod framer;
pub mod parse;
mod response;
mod time;
mod urc;

pub use codes::{cme_meaning, cms_meaning};
pub use command::{Command, CommandId, Expect};
pub use engine::{Completion, Config, Engine, Event, Noise, Outcome};
pub use error::{CommandError, InvalidCommand, Phase};
pub use framer::{Frame, Framer, Line, DEFAULT_MAX_LINE, MIN_MAX_LINE};
pub use parse::ParseError;
pub use response::{ErrorCode, ErrorFamily, FinalResult};
pub use time::Time;
pub use urc::Urc;
