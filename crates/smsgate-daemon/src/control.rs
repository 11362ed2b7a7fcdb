//! The daemon's control socket: how `smsgate send`, `inbox`, `ussd`,
//! `at-chat` and `status` reach a modem while the daemon holds its port.
//!
//! A Unix-domain socket (`[control] socket`, default `base/smsgate.sock`)
//! with one JSON object per line each way, typed both ways:
//!
//! - [`protocol`] has [`Request`], [`Answer`], [`Refusal`] and the line
//!   framing;
//! - [`views`] has what each command answers (`StatusView`,
//!   `MessageView`, ...), built from the driver's results by the server
//!   and by the CLI when it opens the modem itself, so the output is the
//!   same both ways;
//! - [`server`] has [`ControlSocket`]: bound, served, each request done;
//! - [`send`] has [`send::SendSms`], a `send` request's message, built
//!   alike both ways;
//! - [`client`] has [`ask`];
//! - `registry` has the daemon's modems by name;
//! - `ops_server` answers the live operations ([`crate::ops`]).

pub mod client;
pub(crate) mod ops_server;
pub mod protocol;
mod registry;
pub mod send;
pub mod server;
pub mod views;

pub use client::ask;
pub use protocol::{Answer, Refusal, Request, Storage, MAX_LINE};
pub use registry::ModemRegistry;
pub use server::ControlSocket;

#[cfg(test)]
mod tests;
