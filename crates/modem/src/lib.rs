//! smsgate's modem driver: the thin tokio shell around the sans-I/O AT
//! engine of the `at` crate. It owns a port, sets the modem up, and turns
//! `/tool sms` operations into AT command sequences.
//!
//! One task per modem owns the port (a serial device, a pseudo-terminal,
//! or a TCP connection to a serial server) and its [`at::Engine`]; a
//! [`ModemHandle`] queues requests to it and gets the answers back:
//!
//! ```text
//!   ModemHandle ──request (mpsc)──▶ actor task ──▶ Engine ──▶ port
//!               ◀──answer (oneshot)──    │   ◀── bytes, deadlines ◀──
//!   subscribe() ◀──ModemEvent (broadcast): URCs, port lost, reopened
//! ```
//!
//! - [`ModemHandle::open`] opens and locks the port ([`lock`]: `TIOCEXCL`,
//!   `flock`, and a `LCK..` file naming our PID, so a second user learns
//!   who holds the port) and sets the modem up: handshake (2 s, as
//!   RouterOS), echo off, numeric errors, the SIM PIN (entered at most
//!   once; never when the SIM wants its PUK), network registration, PDU
//!   mode, storage, indications, identities, custom init strings.
//! - [`ModemHandle::send_sms`] encodes with `sms-pdu` and sends each part
//!   within one minute; [`ModemHandle::list_messages`] joins concatenated
//!   messages ([`inbox`]); [`ModemHandle::ussd`] decodes the answer;
//!   [`ModemHandle::status`], [`ModemHandle::at_chat`], [`ModemHandle::read`],
//!   [`ModemHandle::delete`]; [`ModemHandle::voice_call`] dials, plays
//!   DTMF tones and hangs up ([`voice`]).
//! - A port that dies is reported ([`ModemEvent::Disconnected`]) and
//!   reopened with growing pauses. A send in flight then fails, saying
//!   whether its outcome is unknown; it is never retried behind the
//!   caller's back.
//! - A modem that stops answering on a port that stays open is recovered:
//!   the port reopened and the modem set up again, then reset with
//!   `AT+CFUN=1,1` if still silent, then tried with short pauses until it
//!   answers ([`HangRecovery`]); each step is a [`ModemEvent::Recovery`].
//!
//! Every byte written and read is logged at debug level under the tracing
//! targets `gsm::write` and `gsm::read`; the driver's own notes go under
//! `modem`.
//!
//! What this crate does not do: decide what to send or when, keep a spool,
//! or retry. It holds no state worth keeping: a restart loses nothing.

#![warn(missing_docs)]

mod actor;
mod config;
mod error;
mod handle;
mod handshake;
pub mod inbox;
mod init;
pub mod lock;
mod ops;
mod recover;
mod recovery;
mod status;
mod transport;
pub mod voice;

pub use actor::ModemEvent;
pub use config::{
    Config, FlowControl, HangRecovery, InvalidPortAddress, PortAddress, SerialSettings, Setup, SmsStorage,
    Timeouts,
};
pub use error::ModemError;
pub use handle::ModemHandle;
pub use inbox::{Content, InboxMessage, MessageKind, Parts};
pub use ops::{AtReply, UssdAnswer};
pub use recovery::RecoveryStep;
pub use status::{Identity, ModemStatus};
pub use voice::{CallReport, VoiceCall};
