//! The task that owns one modem: its port, its [`Engine`] and its clock.
//!
//! It takes requests from a queue one at a time and carries each out as a
//! sequence of AT commands; between requests it keeps reading, so that
//! unsolicited result codes are broadcast as they come. Nothing else
//! touches the port, so two operations never interleave on the line.
//!
//! The engine decides; this shell only moves bytes and sleeps until the
//! engine's next deadline (style A4):
//!
//! ```text
//!   requests ─▶ Actor ─ submit ─▶ Engine ─ poll_transmit ─▶ port (gsm::write)
//!                 ▲                  ▲ handle_input ◀──────── port (gsm::read)
//!   replies ◀─────┘                  └ handle_timeout ◀────── sleep_until(poll_timeout)
//!   events (URCs, port lost, reopened) ◀── poll_event
//! ```
//!
//! A port that fails (read error, end of file, a write that cannot finish)
//! is closed, the engine is reset, and the command in flight ends with an
//! error that says whether its data had been written. The actor then
//! reopens the port with growing pauses and sets the modem up again;
//! requests that arrive meanwhile are refused at once rather than queued
//! for an unknown time.
//!
//! A modem that stops answering while its port stays open (the engine's
//! [`Event::ModemHung`]: commands in a row without an answer) is
//! recovered after the request in flight: `recovery.rs` decides the steps
//! (reopen and set up, `AT+CFUN=1,1`, pauses), `recover.rs` carries them
//! out, and each goes to subscribers as a [`ModemEvent::Recovery`].

use std::io;
use std::sync::Arc;
use std::time::Duration;

use at::parse::{MessageReference, StoredMessage};
use at::{Command, Completion, Engine, Event, Urc};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, PortAddress};
use crate::error::ModemError;
use crate::handshake::Probe;
use crate::inbox::InboxMessage;
use crate::lock::LockFile;
use crate::ops::{AtReply, UssdAnswer};
use crate::recovery::RecoveryStep;
use crate::status::ModemStatus;
use crate::transport::{printable, Link};
use crate::voice::{CallReport, VoiceCall};
use crate::SmsStorage;

/// What the driver tells subscribers ([`crate::ModemHandle::subscribe`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModemEvent {
    /// An unsolicited result code: a message arrived (`+CMTI`), a status
    /// report, USSD, a registration change, a vendor code.
    Urc(Urc),
    /// The port went away; the driver is reopening it.
    Disconnected {
        /// What the operating system said.
        cause: String,
    },
    /// The port was reopened and the modem set up again.
    Reconnected,
    /// Several commands in a row got no answer. The driver recovers the
    /// modem next, telling each step.
    Hung,
    /// A step of the recovery of a modem that stopped answering
    /// (`recovery.rs`); requests are refused until
    /// [`ModemEvent::Reconnected`].
    Recovery(RecoveryStep),
}

/// A request from a [`crate::ModemHandle`], with where to send the answer.
pub(crate) enum Request {
    AtChat {
        line: String,
        timeout: Option<Duration>,
        reply: Reply<AtReply>,
    },
    Send {
        pdus: Vec<Vec<u8>>,
        reply: Reply<Vec<MessageReference>>,
    },
    List {
        storage: Option<SmsStorage>,
        reply: Reply<Vec<InboxMessage>>,
    },
    Read {
        index: u32,
        reply: Reply<Option<InboxMessage>>,
    },
    ListStored {
        reply: Reply<Vec<StoredMessage>>,
    },
    ReadStored {
        index: u32,
        reply: Reply<Option<StoredMessage>>,
    },
    Delete {
        index: u32,
        reply: Reply<()>,
    },
    Ussd {
        code: String,
        reply: Reply<UssdAnswer>,
    },
    Status {
        reply: Reply<ModemStatus>,
    },
    VoiceCall {
        call: VoiceCall,
        reply: Reply<CallReport>,
    },
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, ModemError>>;

impl Request {
    /// Answers the request with `error` without doing anything.
    fn refuse(self, error: ModemError) {
        // A requester that stopped waiting has nothing to be told.
        let _ = match self {
            Request::AtChat { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::Send { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::List { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::Read { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::ListStored { reply } => reply.send(Err(error)).is_ok(),
            Request::ReadStored { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::Delete { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::Ussd { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::Status { reply, .. } => reply.send(Err(error)).is_ok(),
            Request::VoiceCall { reply, .. } => reply.send(Err(error)).is_ok(),
        };
    }
}

/// A command that did not finish because the port went away.
#[derive(Debug)]
pub(crate) struct Lost {
    /// What the operating system said.
    pub(crate) cause: String,
    /// The command line.
    pub(crate) command: String,
    /// For a command with data: whether the data had been written.
    pub(crate) data_sent: Option<bool>,
}

/// One modem's task. See the module docs.
pub(crate) struct Actor {
    pub(crate) config: Config,
    /// The port as messages name it.
    pub(crate) port: Arc<str>,
    pub(crate) engine: Engine,
    pub(crate) link: Option<Link>,
    lock: Option<LockFile>,
    /// Why the link is down, while it is.
    pub(crate) lost_cause: String,
    origin: Instant,
    pub(crate) events: broadcast::Sender<ModemEvent>,
    /// A PIN the SIM rejected: never entered again.
    pub(crate) pin_rejected: bool,
    /// The handshake probe that last got a clean `OK`: the next
    /// handshake starts with it.
    pub(crate) probe_that_worked: Probe,
    /// The engine said the modem stopped answering: recover it after the
    /// request in flight.
    hung: bool,
    /// False once the modem refused `AT+CFUN=1,1`.
    pub(crate) reset_allowed: bool,
    /// The unsolicited codes seen since the current request began.
    pub(crate) urcs: Vec<Urc>,
    /// Lines nobody claimed since the current request began.
    pub(crate) unclaimed: Vec<String>,
    buf: Vec<u8>,
}

/// What woke a wait.
enum Woke {
    Read(io::Result<usize>),
    Timer,
}

/// What the idle loop got.
enum Idle {
    Stop,
    Request(Request),
    Io(io::Result<()>),
}

impl Actor {
    pub(crate) fn new(config: Config, events: broadcast::Sender<ModemEvent>) -> Actor {
        let port: Arc<str> = config.port.to_string().into();
        let engine = Engine::new(engine_config(&config));
        Actor {
            config,
            port,
            engine,
            link: None,
            lock: None,
            lost_cause: String::new(),
            origin: Instant::now(),
            events,
            pin_rejected: false,
            probe_that_worked: Probe::EscapeThenAt,
            hung: false,
            reset_allowed: true,
            urcs: Vec::new(),
            unclaimed: Vec::new(),
            buf: vec![0; 4096],
        }
    }

    /// Opens and locks the port and sets the modem up.
    pub(crate) async fn connect(&mut self) -> Result<(), ModemError> {
        self.open_port().await?;
        let result = self.initialise().await;
        if result.is_err() {
            self.link = None;
        } else {
            // It answers: whatever timed out before is over.
            self.hung = false;
        }
        result
    }

    /// Opens and locks the port, with a fresh engine.
    pub(crate) async fn open_port(&mut self) -> Result<(), ModemError> {
        if let PortAddress::Serial(path) = &self.config.port {
            if let Some(dir) = &self.config.lock_dir {
                // Dropped first: after a re-plug the device behind a
                // symlink may have another name.
                self.lock = None;
                self.lock = LockFile::acquire(dir, path, &self.port)?;
            }
        }
        self.engine.reset();
        self.discard_events();
        self.link = Some(Link::open(&self.config, &self.port).await?);
        tracing::debug!(target: "modem", "{}: opened", self.port);
        Ok(())
    }

    /// Remembers why the first [`Actor::connect`] failed: the port is then
    /// down, and [`Actor::run`] reopens it.
    pub(crate) fn connect_failed(&mut self, err: &ModemError) {
        self.link = None;
        self.lost_cause = err.to_string();
    }

    /// Serves requests until the token fires or every handle is gone.
    pub(crate) async fn run(mut self, mut requests: mpsc::Receiver<Request>, token: CancellationToken) {
        loop {
            if self.link.is_none() {
                if !self.reopen(&mut requests, &token).await {
                    break;
                }
                continue;
            }
            let idle = tokio::select! {
                biased;
                _ = token.cancelled() => Idle::Stop,
                request = requests.recv() => request.map_or(Idle::Stop, Idle::Request),
                woke = self.wait_io(None) => Idle::Io(woke),
            };
            match idle {
                Idle::Stop => break,
                Idle::Request(request) => self.serve(request).await,
                Idle::Io(Ok(())) => {}
                Idle::Io(Err(err)) => {
                    self.lose(&err);
                }
            }
            self.drain(None);
            // Kept only for the request that saw them; subscribers got
            // them all.
            self.urcs.clear();
            self.unclaimed.clear();
            if std::mem::take(&mut self.hung)
                && self.link.is_some()
                && !self.recover(&mut requests, &token).await
            {
                break;
            }
        }
        tracing::debug!(target: "modem", "{}: driver stopped", self.port);
    }

    async fn serve(&mut self, request: Request) {
        self.urcs.clear();
        self.unclaimed.clear();
        // A requester that stopped waiting has nothing to be told.
        match request {
            Request::AtChat { line, timeout, reply } => {
                let _ = reply.send(self.at_chat(line, timeout).await);
            }
            Request::Send { pdus, reply } => {
                let _ = reply.send(self.send(pdus).await);
            }
            Request::List { storage, reply } => {
                let _ = reply.send(self.list(storage).await);
            }
            Request::Read { index, reply } => {
                let _ = reply.send(self.read(index).await);
            }
            Request::ListStored { reply } => {
                let _ = reply.send(self.list_stored().await);
            }
            Request::ReadStored { index, reply } => {
                let _ = reply.send(self.read_stored(index).await);
            }
            Request::Delete { index, reply } => {
                let _ = reply.send(self.delete(index).await);
            }
            Request::Ussd { code, reply } => {
                let _ = reply.send(self.ussd(code).await);
            }
            Request::Status { reply } => {
                let _ = reply.send(self.status().await);
            }
            Request::VoiceCall { call, reply } => {
                let _ = reply.send(self.voice_call(call).await);
            }
        }
    }

    /// Reopens the port after it went away, with pauses that double up to
    /// the configured maximum. Returns false when the actor should stop.
    async fn reopen(&mut self, requests: &mut mpsc::Receiver<Request>, token: &CancellationToken) -> bool {
        let timeouts = self.config.timeouts;
        let mut pause = timeouts.reopen_initial;
        loop {
            if !self.wait_refusing(Instant::now() + pause, requests, token).await {
                return false;
            }
            // A set-up may take seconds on a slow modem; shutting down
            // must not wait for it.
            let connected = tokio::select! {
                biased;
                _ = token.cancelled() => return false,
                connected = self.connect() => connected,
            };
            match connected {
                Ok(()) => {
                    tracing::info!(target: "modem", "{}: reopened", self.port);
                    let _ = self.events.send(ModemEvent::Reconnected);
                    return true;
                }
                Err(err) => {
                    tracing::debug!(target: "modem", "{}: reopening failed: {err}", self.port);
                    self.lost_cause = err.to_string();
                    pause = (pause * 2)
                        .min(timeouts.reopen_max)
                        .max(Duration::from_millis(10));
                }
            }
        }
    }

    /// Waits until `wake`, refusing requests meanwhile. Returns false
    /// when the actor should stop.
    pub(crate) async fn wait_refusing(
        &mut self,
        wake: Instant,
        requests: &mut mpsc::Receiver<Request>,
        token: &CancellationToken,
    ) -> bool {
        loop {
            tokio::select! {
                biased;
                _ = token.cancelled() => return false,
                request = requests.recv() => match request {
                    Some(request) => request.refuse(ModemError::Disconnected {
                        port: self.port.to_string(),
                        cause: self.lost_cause.clone(),
                    }),
                    None => return false,
                },
                _ = tokio::time::sleep_until(wake) => return true,
            }
        }
    }

    /// Closes the port (keeping its lock until the next open).
    pub(crate) fn close(&mut self) {
        self.link = None;
        self.engine.reset();
        self.discard_events();
    }

    /// Runs `command` to its end. `Err` only when the port went away.
    pub(crate) async fn exec(&mut self, command: Command) -> Result<Completion, Lost> {
        let text = command.text().to_owned();
        if self.link.is_none() {
            return Err(Lost {
                cause: self.lost_cause.clone(),
                command: text,
                data_sent: command.data().map(|_| false),
            });
        }
        let id = self.engine.submit(command);
        loop {
            if let Err(err) = self.transmit().await {
                return Err(self.lost_during(&err, text));
            }
            if let Some(completion) = self.drain(Some(id)) {
                return Ok(completion);
            }
            if let Err(err) = self.wait_io(None).await {
                return Err(self.lost_during(&err, text));
            }
        }
    }

    /// Keeps reading (and broadcasting URCs) until `until`.
    pub(crate) async fn pause_until(&mut self, until: Instant) -> Result<(), Lost> {
        while Instant::now() < until {
            if let Err(err) = self.wait_io(Some(until)).await {
                return Err(self.lost_during(&err, "(waiting)".to_owned()));
            }
            self.drain(None);
        }
        Ok(())
    }

    /// Waits until `until` for an unsolicited code that `wanted` picks,
    /// and takes it out of [`Actor::urcs`].
    pub(crate) async fn wait_for_urc<T>(
        &mut self,
        until: Instant,
        mut wanted: impl FnMut(&Urc) -> Option<T>,
    ) -> Result<Option<T>, Lost> {
        loop {
            // The code may have come in the same read as the final result
            // of the command before, and still wait in the engine.
            self.drain(None);
            if let Some((urc_idx, found)) = self
                .urcs
                .iter()
                .enumerate()
                .find_map(|(urc_idx, urc)| wanted(urc).map(|found| (urc_idx, found)))
            {
                self.urcs.remove(urc_idx);
                return Ok(Some(found));
            }
            if Instant::now() >= until {
                return Ok(None);
            }
            if let Err(err) = self.wait_io(Some(until)).await {
                return Err(self.lost_during(&err, "(waiting)".to_owned()));
            }
        }
    }

    /// The error for a command that the port took with it.
    pub(crate) fn port_lost(&self, lost: Lost) -> ModemError {
        ModemError::PortLost {
            port: self.port.to_string(),
            command: Some(lost.command),
            cause: lost.cause,
        }
    }

    /// Writes raw bytes outside the engine (the ESC before the handshake).
    pub(crate) async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), Lost> {
        let Some(link) = self.link.as_mut() else {
            return Ok(());
        };
        tracing::debug!(target: "gsm::write", "{}: {}", self.port, printable(bytes));
        if let Err(err) = link.write_all(bytes).await {
            return Err(self.lost_during(&err, printable(bytes)));
        }
        Ok(())
    }

    /// Reads and throws away whatever the modem sends until the line has
    /// been quiet for [`crate::Timeouts::stale_quiet`], for at most
    /// [`crate::Timeouts::stale_max`]: a late answer to a command of a
    /// process that died mid-exchange must not be taken for the answer to
    /// ours. Then forgets any partial input. Unsolicited codes among it
    /// are handed on, not counted. Returns how many lines (a partial one
    /// included) were thrown away.
    pub(crate) async fn discard_stale(&mut self) -> Result<usize, Lost> {
        let quiet = self.config.timeouts.stale_quiet;
        let cap = Instant::now() + self.config.timeouts.stale_max;
        let mut discarded = 0;
        let mut partial = false;
        while !quiet.is_zero() {
            let wake = (Instant::now() + quiet).min(cap);
            let read = {
                let Some(link) = self.link.as_mut() else {
                    return Ok(discarded);
                };
                let buf = &mut self.buf;
                tokio::select! {
                    read = link.read(buf) => Some(read),
                    _ = tokio::time::sleep_until(wake) => None,
                }
            };
            let err = match read {
                None => break,
                Some(Ok(0)) => io::Error::new(io::ErrorKind::UnexpectedEof, "end of file"),
                Some(Ok(n_read)) => {
                    tracing::debug!(target: "gsm::read", "{}: {}", self.port, printable(&self.buf[..n_read]));
                    let now = self.now();
                    partial = !self.buf[..n_read].ends_with(b"\n");
                    self.engine.handle_input(&self.buf[..n_read], now);
                    discarded += self.sort_stale();
                    if Instant::now() >= cap {
                        break;
                    }
                    continue;
                }
                Some(Err(err)) => err,
            };
            return Err(self.lost_during(&err, "(discarding stale input)".to_owned()));
        }
        discarded += usize::from(partial);
        if discarded > 0 {
            tracing::info!(
                target: "modem",
                "{}: threw away {discarded} line(s) the modem sent before the set-up (a late answer?)",
                self.port
            );
        }
        self.engine.reset();
        self.discard_events();
        Ok(discarded)
    }

    /// The events of input that came while no command was in flight:
    /// unsolicited codes (a `+CMTI` while messages arrive) go to the
    /// subscribers as always and are no sign of a stale answer; anything
    /// else is left over from before, and counted.
    fn sort_stale(&mut self) -> usize {
        let mut stale = 0;
        while let Some(event) = self.engine.poll_event() {
            match event {
                Event::Urc(urc) => {
                    let _ = self.events.send(ModemEvent::Urc(urc));
                }
                _ => stale += 1,
            }
        }
        stale
    }

    async fn transmit(&mut self) -> io::Result<()> {
        loop {
            let now = self.now();
            let Some(bytes) = self.engine.poll_transmit(now) else {
                return Ok(());
            };
            let Some(link) = self.link.as_mut() else {
                return Err(io::Error::new(io::ErrorKind::NotConnected, "not connected"));
            };
            tracing::debug!(target: "gsm::write", "{}: {}", self.port, loggable(&bytes));
            link.write_all(&bytes).await?;
        }
    }

    /// Waits for bytes, the engine's next deadline or `until`, whichever
    /// comes first, and feeds the engine. Cancel-safe.
    async fn wait_io(&mut self, until: Option<Instant>) -> io::Result<()> {
        let engine_deadline = self.engine.poll_timeout().map(|time| self.instant(time));
        let deadline = match (engine_deadline, until) {
            (Some(engine), Some(until)) => Some(engine.min(until)),
            (engine, until) => engine.or(until),
        };
        let woke = {
            let Some(link) = self.link.as_mut() else {
                return Err(io::Error::new(io::ErrorKind::NotConnected, "not connected"));
            };
            let buf = &mut self.buf;
            tokio::select! {
                read = link.read(buf) => Woke::Read(read),
                _ = sleep_until(deadline) => Woke::Timer,
            }
        };
        let now = self.now();
        match woke {
            Woke::Read(Ok(0)) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "end of file")),
            Woke::Read(Ok(n_read)) => {
                tracing::debug!(target: "gsm::read", "{}: {}", self.port, printable(&self.buf[..n_read]));
                self.engine.handle_input(&self.buf[..n_read], now);
                Ok(())
            }
            Woke::Read(Err(err)) => Err(err),
            Woke::Timer => {
                self.engine.handle_timeout(now);
                Ok(())
            }
        }
    }

    /// Handles the engine's events; returns the completion of `target`
    /// once it comes.
    fn drain(&mut self, target: Option<at::CommandId>) -> Option<Completion> {
        while let Some(event) = self.engine.poll_event() {
            match event {
                Event::Completed(completion) if Some(completion.id) == target => return Some(completion),
                Event::Completed(completion) => {
                    tracing::debug!(target: "modem", "{}: {} ended unobserved", self.port, completion.command);
                }
                Event::Urc(urc) => {
                    tracing::debug!(target: "modem", "{}: unsolicited {urc:?}", self.port);
                    self.urcs.push(urc.clone());
                    let _ = self.events.send(ModemEvent::Urc(urc));
                }
                Event::MalformedUrc { line, error } => {
                    tracing::warn!(target: "modem", "{}: malformed unsolicited code {line:?}: {error}", self.port);
                }
                Event::Noise(at::Noise::UnexpectedLine { line }) => {
                    tracing::debug!(target: "modem", "{}: unexpected line {line:?}", self.port);
                    self.unclaimed.push(line);
                }
                Event::Noise(noise) => {
                    tracing::debug!(target: "modem", "{}: {noise:?}", self.port);
                }
                Event::ModemHung { consecutive_timeouts } => {
                    tracing::warn!(
                        target: "modem",
                        "{}: {consecutive_timeouts} commands in a row got no answer",
                        self.port
                    );
                    let _ = self.events.send(ModemEvent::Hung);
                    self.hung = true;
                }
                _ => {}
            }
        }
        None
    }

    /// Drops the engine's pending events (after a reset for a new port).
    fn discard_events(&mut self) {
        while self.engine.poll_event().is_some() {}
    }

    /// The port failed: close it, reset the engine, tell subscribers.
    /// Returns the completion of the command that was in flight.
    fn lose(&mut self, err: &io::Error) -> Option<Completion> {
        let cause = describe(err);
        tracing::warn!(target: "modem", "{} went away: {cause}", self.port);
        self.link = None;
        self.lost_cause = cause.clone();
        self.engine.reset();
        let _ = self.events.send(ModemEvent::Disconnected { cause });
        let mut cancelled = None;
        while let Some(event) = self.engine.poll_event() {
            if let Event::Completed(completion) = event {
                cancelled = Some(completion);
            }
        }
        cancelled
    }

    fn lost_during(&mut self, err: &io::Error, command: String) -> Lost {
        let cancelled = self.lose(err);
        Lost {
            cause: self.lost_cause.clone(),
            command: cancelled
                .as_ref()
                .map_or(command, |completion| completion.command.clone()),
            data_sent: cancelled.and_then(|completion| completion.data_sent),
        }
    }

    pub(crate) fn now(&self) -> at::Time {
        at::Time::from_millis(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn instant(&self, time: at::Time) -> Instant {
        self.origin + Duration::from_millis(time.as_millis())
    }
}

fn engine_config(config: &Config) -> at::Config {
    at::Config {
        command_timeout: config.timeouts.command,
        data_timeout: config.timeouts.send,
        ..at::Config::default()
    }
}

/// The bytes for the write log, with a PIN hidden: debug logs get pasted
/// into bug reports.
fn loggable(bytes: &[u8]) -> String {
    let text = printable(bytes);
    match text.get(..8) {
        Some(head) if head.eq_ignore_ascii_case("AT+CPIN=") => "AT+CPIN=<hidden>\\r".to_owned(),
        _ => text,
    }
}

/// An I/O error as the user should read it: EIO after an unplug says
/// little by itself.
fn describe(err: &io::Error) -> String {
    let eio = err.raw_os_error() == Some(nix::errno::Errno::EIO as i32);
    if eio || err.kind() == io::ErrorKind::UnexpectedEof {
        format!("{err} (the device was unplugged or closed)")
    } else {
        err.to_string()
    }
}

/// Sleeps until `deadline`; never completes for `None`.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_stays_out_of_the_log() {
        assert_eq!(loggable(b"AT+CPIN=\"1234\"\r"), "AT+CPIN=<hidden>\\r");
        assert_eq!(loggable(b"AT+CPIN?\r"), "AT+CPIN?\\r");
        assert_eq!(loggable(b"AT+CSQ\r"), "AT+CSQ\\r");
    }
}
