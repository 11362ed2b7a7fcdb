//! The driver against modems on real pseudo-terminals: the simulator, in
//! this process, and for what the simulator will not do (an unsolicited
//! code inside a response) a scripted peer.
//!
//! One test binary for all of them, so they link once.

mod failures;
mod handshake;
mod recovery;
mod scripted;
mod session;
mod support;
mod ussd;
mod voice;
