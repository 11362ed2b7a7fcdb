//! [`ModemHandle`]: the way in to a modem's actor. Each method queues one
//! request and waits for its answer; clones share the one actor, whose
//! queue puts concurrent callers one after another.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use at::parse::MessageReference;
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::actor::{Actor, ModemEvent, Reply, Request};
use crate::config::Config;
use crate::error::ModemError;
use crate::inbox::InboxMessage;
use crate::ops::{AtReply, UssdAnswer};
use crate::status::ModemStatus;
use crate::voice::{CallReport, VoiceCall};
use crate::SmsStorage;

/// How many requests may wait in the queue before callers wait to queue.
const QUEUE_DEPTH: usize = 32;

/// How many events a slow subscriber may fall behind before it misses
/// some (it is told how many, by `RecvError::Lagged`).
const EVENT_BACKLOG: usize = 64;

/// A modem driven by its own task. Cheap to clone; the task stops when
/// [`ModemHandle::shutdown`] is called or the last clone is dropped, and
/// then releases the port and its lock.
#[derive(Clone, Debug)]
pub struct ModemHandle {
    port: Arc<str>,
    requests: mpsc::Sender<Request>,
    events: broadcast::Sender<ModemEvent>,
    task: Arc<Task>,
}

#[derive(Debug)]
struct Task {
    token: CancellationToken,
    join: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Task {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

impl ModemHandle {
    /// Opens and locks the port, sets the modem up (the steps are in the
    /// crate docs) and starts its task. Must be called inside
    /// a tokio runtime with the time and I/O drivers. Nothing keeps running
    /// when it fails.
    pub async fn open(config: Config) -> Result<ModemHandle, ModemError> {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let mut actor = Actor::new(config, events.clone());
        actor.connect().await?;
        Ok(ModemHandle::spawn(actor, events))
    }

    /// [`ModemHandle::open`], except that a port that cannot be opened or
    /// a modem that cannot be set up now is not given up on: its task
    /// starts anyway and tries again in the background, with the pauses
    /// of a reopen ([`crate::Timeouts::reopen_initial`] doubling up to
    /// [`crate::Timeouts::reopen_max`]), refusing requests meanwhile with
    /// [`ModemError::Disconnected`], and sends [`ModemEvent::Reconnected`]
    /// once the modem is set up. Returns why the first try failed, if it
    /// did. A PIN the SIM rejected is not entered again by the retries.
    pub async fn open_or_retry(config: Config) -> (ModemHandle, Option<ModemError>) {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let mut actor = Actor::new(config, events.clone());
        let failed = actor.connect().await.err();
        if let Some(err) = &failed {
            actor.connect_failed(err);
        }
        (ModemHandle::spawn(actor, events), failed)
    }

    fn spawn(actor: Actor, events: broadcast::Sender<ModemEvent>) -> ModemHandle {
        let port = actor.port.clone();
        let (requests, requests_rx) = mpsc::channel(QUEUE_DEPTH);
        let token = CancellationToken::new();
        let join = tokio::spawn(actor.run(requests_rx, token.clone()));
        ModemHandle {
            port,
            requests,
            events,
            task: Arc::new(Task {
                token,
                join: Mutex::new(Some(join)),
            }),
        }
    }

    /// The port, as messages name it.
    pub fn port(&self) -> &str {
        &self.port
    }

    /// Events from now on: unsolicited codes, the port going away and
    /// coming back.
    pub fn subscribe(&self) -> broadcast::Receiver<ModemEvent> {
        self.events.subscribe()
    }

    /// Sends a raw command line (`AT+CSQ`) and returns the modem's answer.
    /// An error result (`ERROR`, `+CME ERROR: 3`) is an answer; no answer
    /// within `timeout` (the command timeout if `None`) is an error.
    pub async fn at_chat(&self, line: &str, timeout: Option<Duration>) -> Result<AtReply, ModemError> {
        let line = line.to_owned();
        self.ask(|reply| Request::AtChat { line, timeout, reply }).await
    }

    /// Sends `text` to `message.destination`, split and encoded as
    /// `options` say; returns the message reference of each part. A part
    /// that fails stops the send (see [`ModemError::SendFailed`] and
    /// [`ModemError::SendOutcomeUnknown`]); nothing is retried.
    pub async fn send_sms(
        &self,
        message: &OutgoingMessage,
        text: &str,
        options: &SplitOptions,
    ) -> Result<Vec<MessageReference>, ModemError> {
        let pdus = message
            .text_pdus(text, options)?
            .iter()
            .map(sms_pdu::Pdu::encode)
            .collect::<Result<Vec<_>, _>>()?;
        self.ask(|reply| Request::Send { pdus, reply }).await
    }

    /// Sends PDUs already encoded (SMSC address octets first, as
    /// [`sms_pdu::Pdu::encode`] gives them), one `AT+CMGS` each, within the
    /// send timeout; returns the message reference of each. For callers
    /// that plan the parts themselves (the spool daemon sends one part per
    /// call, to journal each before it is written). Nothing is retried.
    pub async fn send_pdus(&self, pdus: Vec<Vec<u8>>) -> Result<Vec<MessageReference>, ModemError> {
        self.ask(|reply| Request::Send { pdus, reply }).await
    }

    /// Every message in `storage` (the configured one if `None`), the
    /// parts of concatenated messages joined.
    pub async fn list_messages(&self, storage: Option<SmsStorage>) -> Result<Vec<InboxMessage>, ModemError> {
        self.ask(|reply| Request::List { storage, reply }).await
    }

    /// The message at `index` of the configured storage, on its own;
    /// `None` for an empty slot.
    pub async fn read(&self, index: u32) -> Result<Option<InboxMessage>, ModemError> {
        self.ask(|reply| Request::Read { index, reply }).await
    }

    /// Every message of the configured storage as stored, one entry per
    /// slot, parts not joined and PDUs not decoded: what a receiver that
    /// must account for each slot (and delete it only once it is safe)
    /// works with.
    pub async fn list_stored(&self) -> Result<Vec<at::parse::StoredMessage>, ModemError> {
        self.ask(|reply| Request::ListStored { reply }).await
    }

    /// The slot `index` of the configured storage as stored; `None` when
    /// it is empty.
    pub async fn read_stored(&self, index: u32) -> Result<Option<at::parse::StoredMessage>, ModemError> {
        self.ask(|reply| Request::ReadStored { index, reply }).await
    }

    /// Deletes the message at `index` of the configured storage.
    pub async fn delete(&self, index: u32) -> Result<(), ModemError> {
        self.ask(|reply| Request::Delete { index, reply }).await
    }

    /// Sends USSD `code` (`*245#`) and returns the network's answer.
    pub async fn ussd(&self, code: &str) -> Result<UssdAnswer, ModemError> {
        let code = code.to_owned();
        self.ask(|reply| Request::Ussd { code, reply }).await
    }

    /// Registration, operator, signal, identities, service centre, storage.
    pub async fn status(&self) -> Result<ModemStatus, ModemError> {
        self.ask(|reply| Request::Status { reply }).await
    }

    /// Calls `call.number`, plays the tones when answered, and hangs up
    /// (see [`crate::voice`]). Not answering, a busy line, a refused tone
    /// are in the report, not errors: `Err` means the call was not tried.
    pub async fn voice_call(&self, call: VoiceCall) -> Result<CallReport, ModemError> {
        self.ask(|reply| Request::VoiceCall { call, reply }).await
    }

    /// Stops the task, after the request in flight (if any) has finished,
    /// and waits until the port is closed and its lock released.
    pub async fn shutdown(&self) {
        self.task.token.cancel();
        let join = self.task.join.lock().ok().and_then(|mut join| join.take());
        if let Some(join) = join {
            // A task that panicked has ended too; there is nothing to add.
            let _ = join.await;
        }
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, ModemError> {
        let stopped = || ModemError::Stopped {
            port: self.port.to_string(),
        };
        let (reply, answer) = oneshot::channel();
        self.requests.send(make(reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}
