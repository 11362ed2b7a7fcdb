//! The receive side: one task per modem with `receive = true` turns what
//! arrives into `incoming/` and `report/` files, as smstools3 does.
//!
//! ```text
//!   +CMTI/+CDSI ─▶ AT+CMGR ─┐
//!   listing (start, reconnect, poll) ─▶ AT+CMGL ─┼─▶ ReceiveStore::hold_part ─▶ AT+CMGD
//!   +CMT/+CDS (routed) ─────────────────────────┘            │
//!                              complete, or waited too long ─▶ incoming/ or report/ (fsynced),
//!                                                              parts removed, eventhandler,
//!                                                              `:cmd` scripts, report linking
//! ```
//!
//! The policy is the pure [`Assembler`]; this task is its shell, which
//! reads and deletes, renders and writes through the [`ReceiveStore`]
//! (today's files: [`PartStore`]).
//!
//! The order is what keeps every message exactly once: a PDU is deleted
//! from the modem only after it is durable in the store; a message
//! is written only once none of its PDUs can still be in the modem (read
//! again, it would look new), and its parts are removed only after its
//! file is durable, under a name chosen when its first part arrived, so a
//! restart that finds the file only removes the parts.
//!
//! With `receive = false` and `auto-erase = true`, the task only keeps the
//! storage from filling up (RouterOS's auto-erase): when it is full, the
//! oldest message is deleted, with an alarm.

use crate::events::{DaemonEvent, EventBus};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use modem::{Identity, ModemEvent, ModemHandle};
use sms_pdu::{Decoded, Pdu, Tpdu};
use spool::incoming::{IncomingFormat, MessagePart, ReceivedBy};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{self, unix_now};
use crate::commands::{CommandRunner, Decision, Received, Rejection};
use crate::copies;
use crate::hooks::{self, Alarms, Severity};
use crate::part_store::{bytes_to_hex, random_id, PartStore};
use crate::receive_store::{Kind, ReceiveStore};

pub(crate) mod assembler;
mod mask;
mod parts;
#[cfg(test)]
mod sweep_tests;
#[cfg(test)]
pub(crate) mod test_pdus;

use assembler::{Action, Assembler, Input, Ready};

use crate::daemon_config::{Copies, DaemonConfig, ModemSettings};
use crate::reports::SentIndex;
use mask::{mask_body, BodyCoding};
use parts::*;

/// RouterOS's `polling` interval.
const POLL_INTERVAL: Duration = Duration::from_secs(10);

/// Without `polling`, the storage is still listed this often: a modem that
/// lost its `AT+CNMI` setting (a firmware reset) would otherwise keep
/// messages for ever.
const SAFETY_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// One modem's receive task.
pub(crate) struct Receiver {
    name: String,
    /// The daemon's event bus: `received` and `report` go on it.
    events: EventBus,
    settings: ModemSettings,
    handle: ModemHandle,
    identity: Identity,
    /// Where every durable fact goes.
    store: Box<dyn ReceiveStore>,
    /// The policy: what is held as what, when it is written, when a slot
    /// may be deleted.
    core: Assembler,
    /// `[spool] incoming-charset` and `store-received-pdu`.
    format: IncomingFormat,
    /// The modem's own eventhandler, else `[handlers] eventhandler`.
    eventhandler: Option<PathBuf>,
    handler_timeout: Duration,
    /// `[spool] incoming-copy`, `report-copy`, `eventhandler-use-copy`.
    copies: Copies,
    /// `[spool] file-mode`, the received files' and their copies'.
    copy_mode: u32,
    alarms: Alarms,
    commands: Option<Arc<CommandRunner>>,
    sent_index: SentIndex,
    tasks: TaskTracker,
    /// Whether the storage was found full at the last listing (an alarm
    /// once, not at every poll).
    full: bool,
    /// Where messages received are counted for the status.
    board: Option<crate::status_board::StatusBoard>,
    /// Sends that want the storage read first (`receive-before-send`,
    /// `max-continuous-sending-s`), each told when it was.
    sweep_requests: Option<tokio::sync::mpsc::UnboundedReceiver<tokio::sync::oneshot::Sender<()>>>,
}

impl Receiver {
    /// The receive task of modem `name`; `None` when it neither receives
    /// nor auto-erases.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        config: &DaemonConfig,
        name: &str,
        handle: ModemHandle,
        identity: Identity,
        alarms: Alarms,
        commands: Option<Arc<CommandRunner>>,
        sent_index: SentIndex,
        tasks: TaskTracker,
    ) -> anyhow::Result<Option<Receiver>> {
        let Some(settings) = config.modems.get(name) else {
            return Ok(None);
        };
        if !settings.receive && !settings.auto_erase {
            return Ok(None);
        }
        let spool = &config.spool;
        let mut store = PartStore::open(&spool.base, name, &spool.incoming, &spool.report, config.modes)
            .map_err(|err| {
                anyhow::anyhow!(
                    "modem {name}: opening its part store in {}: {err}",
                    spool.base.display()
                )
            })?;
        let held = store.load().map_err(|err| {
            anyhow::anyhow!(
                "modem {name}: reading its part store in {}: {err}",
                spool.base.display()
            )
        })?;
        let core = Assembler::restore(held, config.limits.incomplete_after.as_secs());
        Ok(Some(Receiver {
            name: name.to_owned(),
            events: config.events.clone(),
            settings: settings.clone(),
            handle,
            identity,
            store: Box::new(store),
            core,
            format: config.incoming_format,
            eventhandler: settings
                .features
                .eventhandler
                .clone()
                .or_else(|| config.handlers.eventhandler.clone()),
            copies: config.features.copies.clone(),
            copy_mode: config.modes.file,
            handler_timeout: config.handlers.timeout,
            alarms,
            commands,
            sent_index,
            tasks,
            full: false,
            board: None,
            sweep_requests: None,
        }))
    }

    /// Counts the messages received on `board`.
    pub(crate) fn with_board(mut self, board: crate::status_board::StatusBoard) -> Receiver {
        self.board = Some(board);
        self
    }

    /// Reads the storage whenever a send asks through the returned
    /// requester.
    pub(crate) fn sweep_requester(&mut self) -> crate::before_send::SweepRequester {
        let (requests, receiver) = tokio::sync::mpsc::unbounded_channel();
        self.sweep_requests = Some(receiver);
        crate::before_send::SweepRequester(requests)
    }

    /// Until `shutdown`: reads what is stored now, then what arrives.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        let mut events = self.handle.subscribe();
        let poll_every = match self.settings.polling {
            true => POLL_INTERVAL,
            false => SAFETY_POLL_INTERVAL,
        };
        tracing::info!(
            target: "smsgate",
            "modem {}: receiving{}, {} message(s) held from before",
            self.name,
            if self.settings.receive { "" } else { " off, auto-erase on" },
            self.core.len()
        );
        self.sweep().await;
        let mut next_poll = Instant::now() + poll_every;
        loop {
            let wake = match self.next_timeout() {
                Some(at) => at.min(next_poll),
                None => next_poll,
            };
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                event = events.recv() => {
                    // What else has come meanwhile, taken together: a burst
                    // of `+CMTI`s is one listing, not a read each (and, for
                    // slots a listing has emptied, a listing each).
                    let mut batch = vec![event];
                    while let Ok(event) = events.try_recv() {
                        batch.push(Ok(event));
                    }
                    if !self.on_events(batch).await {
                        break;
                    }
                }
                Some(done) = next_request(&mut self.sweep_requests) => {
                    self.sweep().await;
                    let _ = done.send(());
                }
                _ = tokio::time::sleep_until(wake) => {
                    if Instant::now() >= next_poll {
                        self.sweep().await;
                        next_poll = Instant::now() + poll_every;
                    } else {
                        self.deliver_ready().await;
                    }
                }
            }
        }
        tracing::debug!(target: "smsgate", "modem {}: receiving stopped", self.name);
    }

    /// When the oldest incomplete message will have waited long enough.
    fn next_timeout(&self) -> Option<Instant> {
        let at = self.core.poll_timeout()?;
        let wait = at.saturating_sub(unix_now());
        Some(Instant::now() + Duration::from_secs(wait))
    }

    /// Acts on events that came together; false once the driver is gone.
    async fn on_events(&mut self, batch: Vec<Result<ModemEvent, RecvError>>) -> bool {
        let mut urcs = Vec::new();
        let mut sweep = false;
        for event in batch {
            match event {
                Ok(ModemEvent::Urc(urc)) => urcs.push(urc),
                Ok(ModemEvent::Reconnected) | Err(RecvError::Lagged(_)) => sweep = true,
                Ok(_) => {}
                Err(RecvError::Closed) => return false,
            }
        }
        let is_stored = |urc: &at::Urc| {
            matches!(
                urc,
                at::Urc::MessageStored { .. } | at::Urc::StatusReportStored { .. }
            )
        };
        sweep |= urcs.iter().filter(|urc| is_stored(urc)).count() > 1;
        for urc in urcs {
            if !(sweep && is_stored(&urc)) {
                self.on_urc(urc).await;
            }
        }
        if sweep {
            self.sweep().await;
        }
        true
    }

    async fn on_urc(&mut self, urc: at::Urc) {
        if !self.settings.receive {
            // Auto-erase only: a message that was stored may have filled
            // the storage; room is made now, not at the next listing, so
            // that a burst is not held back (and maybe given up by the
            // SMSC) one listing interval per message.
            if let at::Urc::MessageStored { .. } | at::Urc::StatusReportStored { .. } = urc {
                self.sweep().await;
            }
            return;
        }
        match urc {
            at::Urc::MessageStored { index, .. } | at::Urc::StatusReportStored { index, .. } => {
                match self.handle.read_stored(index).await {
                    Ok(Some(stored)) => {
                        self.take(&stored.pdu, Some(index)).await;
                        self.deliver_ready().await;
                    }
                    // Stored elsewhere than the storage read from, or gone
                    // meanwhile: a listing tells.
                    Ok(None) => self.sweep().await,
                    Err(err) => {
                        tracing::warn!(target: "smsgate", "modem {}: reading message {index}: {err}", self.name);
                        self.sweep().await;
                    }
                }
            }
            at::Urc::MessageReceived { pdu, .. } | at::Urc::StatusReport { pdu, .. } => {
                // Acknowledged once durable (`Action::Acknowledge`).
                self.take(&pdu, None).await;
                self.deliver_ready().await;
            }
            _ => {}
        }
    }

    /// Lists the whole storage and takes every received message in it;
    /// then writes what is ready.
    async fn sweep(&mut self) {
        let stored = match self.handle.list_stored().await {
            Ok(stored) => stored,
            Err(err) => {
                tracing::warn!(target: "smsgate", "modem {}: listing its messages: {err}", self.name);
                return;
            }
        };
        if self.settings.receive {
            self.core.handle(Input::ListingStarted, unix_now());
            for message in &stored {
                self.take(&message.pdu, Some(message.index)).await;
            }
            self.core.handle(Input::ListingDone, unix_now());
            self.deliver_ready().await;
        }
        self.check_storage(stored.len()).await;
    }

    /// Holds one PDU and deletes it from the modem (`slot`) once it is
    /// durable.
    async fn take(&mut self, pdu: &[u8], slot: Option<u32>) {
        let fresh_id = self.fresh_id();
        let read = Input::Read {
            slot,
            pdu: pdu.to_vec(),
            fresh_id,
        };
        self.core.handle(read, unix_now());
        self.act().await;
    }

    /// Six characters no held message, `incoming/` or `report/` file of
    /// this modem uses, as smstools3's `mkstemp` names.
    fn fresh_id(&self) -> String {
        loop {
            let id = random_id();
            if !self.core.id_in_use(&id) && !self.store.id_taken(&id) {
                return id;
            }
        }
    }

    /// Writes every message that is ready to its file.
    async fn deliver_ready(&mut self) {
        self.core.handle(Input::Tick, unix_now());
        self.act().await;
    }

    /// Carries out what the assembler asks for, each result told back
    /// before the next.
    async fn act(&mut self) {
        while let Some(action) = self.core.poll_action() {
            let result = match action {
                Action::Hold { id, seq, part } => {
                    let ok = match self.store.hold_part(&id, seq, &part) {
                        Ok(()) => true,
                        Err(err) => {
                            // Left in the modem, to be read again: nothing
                            // is lost.
                            self.storage_trouble(&format!("cannot keep a received message on disk: {err}"));
                            false
                        }
                    };
                    Input::Held { id, seq, ok }
                }
                Action::DeleteSlot { id, seq, slot } => {
                    let ok = match self.handle.delete(slot).await {
                        Ok(()) => {
                            if let Err(err) = self.store.slot_released(&id, seq, slot) {
                                tracing::warn!(target: "smsgate", "modem {}: recording the deletion of message {slot}: {err}", self.name);
                            }
                            true
                        }
                        Err(err) => {
                            tracing::warn!(
                                target: "smsgate",
                                "modem {}: deleting message {slot} (kept on disk): {err}",
                                self.name
                            );
                            false
                        }
                    };
                    Input::SlotDeleted { id, seq, ok }
                }
                Action::Write(ready) => {
                    let ok = match self.deliver(&ready) {
                        Ok(()) => true,
                        Err(err) => {
                            self.storage_trouble(&format!(
                                "cannot write a received message: {err}; kept, tried again later"
                            ));
                            false
                        }
                    };
                    Input::Written { id: ready.id, ok }
                }
                Action::Acknowledge { .. } => {
                    // A modem that expects no acknowledgement (AT+CSMS=0)
                    // refuses it, harmlessly.
                    if let Err(err) = self.handle.at_chat("AT+CNMA", None).await {
                        tracing::debug!(target: "smsgate", "modem {}: AT+CNMA: {err}", self.name);
                    }
                    continue;
                }
                Action::KeptApart { id, seq } => {
                    tracing::warn!(
                        target: "smsgate",
                        "modem {}: part {seq} of a message whose part {seq} is held already: another \
                         message with the same reference, kept apart as {id}",
                        self.name
                    );
                    continue;
                }
                Action::Discard { id, seq } => {
                    if let Err(err) = self.store.release_parts(&id, &[seq]) {
                        tracing::warn!(target: "smsgate", "modem {}: removing a part not kept: {err}", self.name);
                    }
                    continue;
                }
                Action::Release { id, seqs } => {
                    let ok = match self.store.release_parts(&id, &seqs) {
                        Ok(()) => true,
                        Err(err) => {
                            self.storage_trouble(&format!(
                                "cannot remove the held parts of a received message: {err}; tried again later"
                            ));
                            false
                        }
                    };
                    Input::Released { id, ok }
                }
            };
            self.core.handle(result, unix_now());
        }
    }

    fn storage_trouble(&self, text: &str) {
        tracing::error!(target: "smsgate", "modem {}: {text}", self.name);
        self.alarms.raise(Severity::Error, &self.name, text);
    }

    fn deliver(&mut self, ready: &Ready) -> std::io::Result<()> {
        let decoded: Vec<(u8, Result<Decoded<Pdu>, String>)> = ready
            .parts
            .iter()
            .map(|part| (part.seq, part.decoded.clone()))
            .collect();
        let hex: Vec<(u8, String)> = ready
            .parts
            .iter()
            .map(|part| (part.seq, bytes_to_hex(&part.held.pdu)))
            .collect();
        let arrived = ready
            .parts
            .iter()
            .map(|part| part.held.arrived_unix)
            .max()
            .unwrap_or(0);
        let received_by = ReceivedBy {
            modem: self.name.clone(),
            number: self.settings.features.number.clone(),
            description: self.settings.features.description.clone(),
            imsi: self.identity.imsi.clone(),
            imei: self.identity.imei.clone(),
            received: clock::at_unix(arrived),
        };
        let name = format!("{}.{}", self.name, ready.id);
        let (kind, bytes, report) = match ready.kind {
            Kind::Report => self.render_report(&decoded, &hex, &received_by),
            Kind::Message => (
                Kind::Message,
                render_message(self.format, &decoded, &hex, &received_by),
                None,
            ),
        };
        let (bytes, decision) = match report {
            Some(_) => (bytes, None),
            None => self.decide_command(&decoded, &name, bytes),
        };
        let event = match report {
            Some(reference) => DaemonEvent::Report {
                file: name.clone(),
                modem: self.name.clone(),
                message_reference: reference,
            },
            None => DaemonEvent::Received {
                file: name.clone(),
                modem: self.name.clone(),
            },
        };
        // Its webhook deliveries queued before the file is written
        // (webhooks/intent.rs), where the store can say where it goes.
        let intent = self.store.path_of(&ready.id, kind).map(|writes| {
            let fact = crate::webhooks::intent::Fact {
                writes,
                removes: None,
            };
            self.events.intend(event.clone(), fact)
        });
        let path = self.store.write_message(&ready.id, kind, &bytes)?;
        match intent {
            Some(intent) => intent.publish(),
            None => self.events.publish(event),
        }
        tracing::info!(
            target: "smsgate",
            modem = %self.name,
            file = %path.to_string_lossy(),
            message_id = %ready.id,
            "modem {}: received {}",
            self.name,
            path.to_string_lossy()
        );
        // Messages, not status reports.
        if let Some(board) = self.board.as_ref().filter(|_| report.is_none()) {
            board.record(&self.name, crate::status_board::Event::Received);
        }
        let copy_dir = match report {
            Some(_) => self.copies.report.as_deref(),
            None => self.copies.incoming.as_deref(),
        };
        let copy = copies::copy_finished(
            copy_dir,
            std::path::Path::new(&path),
            &bytes,
            self.copy_mode,
            &self.alarms,
            &self.name,
        );
        let path = match (self.copies.eventhandler_use_copy, copy) {
            (true, Some(copy)) => copy.into_os_string(),
            _ => path,
        };
        match report {
            Some(reference) => {
                self.event(vec!["REPORT".into(), path, reference.to_string().into()]);
            }
            None => {
                self.event(vec!["RECEIVED".into(), path]);
                if let (Some(runner), Some(decision)) = (&self.commands, decision) {
                    match decision {
                        // A script may take its time: it runs in a task
                        // of its own, reception goes on.
                        Decision::Queued { .. } => runner.start_waiting(&self.tasks),
                        Decision::Rejected(rejection) => runner.tell(&rejection, &self.name),
                        Decision::Ordinary => {}
                    }
                }
            }
        }
        Ok(())
    }

    fn render_report(
        &self,
        decoded: &[(u8, Result<Decoded<Pdu>, String>)],
        parts: &[(u8, String)],
        received_by: &ReceivedBy,
    ) -> (Kind, Vec<u8>, Option<u8>) {
        if let Some((_, Ok(decoded))) = decoded.first() {
            if let Tpdu::StatusReport(report) = &decoded.value.tpdu {
                let pdu = parts.first().map(|(_, hex)| hex.as_str());
                let mut bytes = self.format.render_report(
                    decoded.value.smsc.as_ref(),
                    report,
                    &decoded.warnings,
                    pdu,
                    received_by,
                );
                let mr = report.message_reference;
                let status = format!(
                    "{}, {}",
                    report.status.smstools_header(),
                    report.discharge_time.to_smstools()
                );
                if let Some(link) = self
                    .sent_index
                    .report(&self.name, mr, &report.recipient.number, &status)
                {
                    bytes = spool::add_headers(
                        &bytes,
                        &[
                            ("Sent_file", link.file),
                            ("Sent_part", format!("{}/{}", link.part, link.parts)),
                        ],
                    );
                }
                return (Kind::Report, bytes, Some(mr));
            }
        }
        (
            Kind::Message,
            render_message(self.format, decoded, parts, received_by),
            None,
        )
    }

    /// Whether a received text is an SMS command, decided (and, if it
    /// may run, recorded and queued) before its file `name` is written,
    /// so that the file says so (`Command:`, `Duplicate_of:`). With
    /// `[sms-commands]`, the token in the secret's position of any text
    /// that starts with `:cmd` is masked, whatever the decision and
    /// whoever sent it. Returns the file's bytes and the decision.
    fn decide_command(
        &self,
        decoded: &[(u8, Result<Decoded<Pdu>, String>)],
        name: &str,
        bytes: Vec<u8>,
    ) -> (Vec<u8>, Option<Decision>) {
        let Some(runner) = &self.commands else {
            return (bytes, None);
        };
        let bytes = mask_body(bytes, BodyCoding::of(self.format.charset, is_ucs2(decoded)));
        let Some((sender, text, scts)) = text_of(decoded) else {
            return (bytes, None);
        };
        let missing = missing_parts(decoded);
        let received = Received {
            sender: &sender,
            text: &text,
            modem: &self.name,
            scts: &scts,
            file: name,
            missing_parts: &missing,
        };
        let decision = runner.decide(received, Duration::from_secs(unix_now()));
        let Some(marker) = decision.marker() else {
            return (bytes, None);
        };
        let mut headers = vec![("Command", marker)];
        if let Decision::Rejected(Rejection::Duplicate { of }) = &decision {
            headers.push(("Duplicate_of", of.clone()));
        }
        (spool::add_headers(&bytes, &headers), Some(decision))
    }

    fn event(&self, args: Vec<std::ffi::OsString>) {
        if let Some(program) = self.eventhandler.clone() {
            self.tasks.spawn(hooks::run_eventhandler(
                program,
                args,
                self.handler_timeout,
                self.alarms.clone(),
                Some(self.name.clone()),
            ));
        }
    }

    /// Raises an alarm when the storage is full; with `auto-erase`, makes
    /// room by deleting the oldest message.
    async fn check_storage(&mut self, listed: usize) {
        let usage = match self.handle.at_chat("AT+CPMS?", None).await {
            Ok(reply) => at::parse::cpms(&reply.lines).ok().map(|status| status.read),
            Err(_) => None,
        };
        let Some(usage) = usage else { return };
        let full = usage.is_full() && listed > 0;
        if full && !self.full {
            let text = format!(
                "message storage full ({}/{}): new messages cannot arrive{}",
                usage.used,
                usage.total,
                if self.settings.auto_erase {
                    "; auto-erase deletes the oldest"
                } else {
                    ""
                }
            );
            tracing::error!(target: "smsgate", "modem {}: {text}", self.name);
            self.alarms.raise(Severity::Critical, &self.name, &text);
        }
        self.full = full;
        if full && self.settings.auto_erase {
            self.erase_oldest().await;
        }
    }

    /// RouterOS's auto-erase: the oldest message (by the service centre's
    /// time stamp; the lowest index when none has one) goes.
    async fn erase_oldest(&mut self) {
        let Ok(stored) = self.handle.list_stored().await else {
            return;
        };
        let oldest = stored
            .iter()
            .filter_map(|message| {
                let decoded = Pdu::decode(&message.pdu).ok();
                let stamp = match decoded.map(|decoded| decoded.value.tpdu) {
                    Some(Tpdu::Deliver(deliver)) => Some(deliver.scts),
                    Some(Tpdu::StatusReport(report)) => Some(report.scts),
                    Some(Tpdu::Submit(_)) => return None,
                    None => None,
                };
                Some((erase_order(stamp.as_ref()), message.index))
            })
            .min();
        if let Some((_, index)) = oldest {
            match self.handle.delete(index).await {
                Ok(()) => {
                    let text = format!("auto-erase: storage full, deleted message {index} unread");
                    tracing::warn!(target: "smsgate", "modem {}: {text}", self.name);
                    self.alarms.raise(Severity::Error, &self.name, &text);
                    self.full = false;
                }
                Err(err) => tracing::error!(target: "smsgate", "modem {}: auto-erase: {err}", self.name),
            }
        }
    }
}

/// The next sweep request, or never (no requester, or it is gone).
async fn next_request(
    requests: &mut Option<tokio::sync::mpsc::UnboundedReceiver<tokio::sync::oneshot::Sender<()>>>,
) -> Option<tokio::sync::oneshot::Sender<()>> {
    match requests {
        Some(requests) => requests.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_erase_takes_the_oldest_by_utc_and_unreadable_stamps_last() {
        let at = |hour: u8, minute: u8, tz_quarters: i8| sms_pdu::Timestamp {
            year: 26,
            month: 11,
            day: 21,
            hour,
            minute,
            second: 0,
            tz_quarters,
        };
        // 10:00 at UTC+2 is 08:00 UTC, before 09:30 UTC.
        assert!(erase_order(Some(&at(10, 0, 8))) < erase_order(Some(&at(9, 30, 0))));
        // The 1990s come before the 2020s.
        let nineties = sms_pdu::Timestamp {
            year: 99,
            ..at(0, 0, 0)
        };
        assert!(erase_order(Some(&nineties)) < erase_order(Some(&at(0, 0, 0))));
        let unreadable = sms_pdu::Timestamp {
            month: 13,
            ..at(0, 0, 0)
        };
        assert!(erase_order(Some(&at(23, 59, 0))) < erase_order(Some(&unreadable)));
        assert_eq!(erase_order(None), erase_order(Some(&unreadable)));
    }
}
