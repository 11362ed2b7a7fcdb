//! One modem's task: it owns the modem's PTY (and TCP port) and its
//! [`Modem`], feeds the client's bytes in, and carries out the actions
//! that come out, in order.
//!
//! Writes are queued with the time they are due, so that an
//! [`Action::WriteAfter`] (a delayed answer) holds back everything the
//! modem produced after it, and unsolicited result codes are only fetched
//! ([`Modem::flush_unsolicited`]) when nothing is waiting to be written:
//! a URC must never land inside a response.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::network_task::{NetworkCommand, Parcel};
use super::{sleep_until, SimError};
use crate::pty::{PtyPort, RAW_CHECK_INTERVAL};
use crate::tcp::TcpPort;
use crate::{Action, CallRecord, Delivery, Fault, Modem, ModemId, RoutingKind, SimState, Stores};

/// What a modem task is asked to do.
pub(super) enum ModemCommand {
    Receive(Parcel),
    Info(oneshot::Sender<LiveInfo>),
    Calls(oneshot::Sender<Vec<CallRecord>>),
    Stores(oneshot::Sender<Stores>),
    SetUssd {
        code: String,
        answer: UssdAnswer,
        reply: oneshot::Sender<()>,
    },
    Fault {
        fault: Fault,
        reply: oneshot::Sender<()>,
    },
    Replug(oneshot::Sender<Result<(), SimError>>),
    /// A call from this number rings; the reply says whether it got
    /// through.
    IncomingCall {
        from: String,
        reply: oneshot::Sender<bool>,
    },
}

/// What the network answers to a USSD code.
pub(super) enum UssdAnswer {
    /// Text, encoded by the modem for its `+CSCS`.
    Text(String),
    /// Sent as it is, with this data coding scheme.
    Raw { raw: String, dcs: u8 },
}

/// The parts of [`super::ModemInfo`] that change.
pub(super) struct LiveInfo {
    pub(super) pts: Option<PathBuf>,
    pub(super) sm: (usize, usize),
    pub(super) me: (usize, usize),
    pub(super) registered: bool,
    pub(super) sim: SimState,
}

/// One modem: its port(s), its [`Modem`], and the bytes waiting to be
/// written.
pub(super) struct ModemTask {
    pub(super) id: ModemId,
    pub(super) modem: Modem,
    pub(super) port: PtyPort,
    pub(super) tcp: Option<TcpPort>,
    pub(super) commands: mpsc::UnboundedReceiver<ModemCommand>,
    pub(super) network: mpsc::UnboundedSender<NetworkCommand>,
    /// Bytes to write and when. A [`Action::WriteAfter`] holds back
    /// everything after it, so the stream keeps the modem's order.
    pub(super) output: VecDeque<(Instant, Vec<u8>)>,
    /// When an unplugged modem comes back.
    pub(super) replug_at: Option<Instant>,
    pub(super) replug_pause: Duration,
    /// How long a routed message waits for `AT+CNMA` under `AT+CSMS=1`.
    pub(super) ack_timeout: Duration,
    /// The parcel shown as `+CMT`/`+CDS` that waits for the client's
    /// acknowledgement, and until when.
    pub(super) awaiting_ack: Option<(Instant, Parcel)>,
    /// USSD code to answer.
    pub(super) ussd: HashMap<String, UssdAnswer>,
}

impl ModemTask {
    pub(super) async fn run(mut self, token: CancellationToken) {
        let mut raw_check = tokio::time::interval(RAW_CHECK_INTERVAL);
        raw_check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut pty_buf = [0u8; 1024];
        let mut tcp_buf = [0u8; 1024];
        loop {
            let next_write = self.output.front().map(|(due, _)| *due);
            tokio::select! {
                _ = token.cancelled() => break,
                read = self.port.read(&mut pty_buf) => match read {
                    Ok(n_read) if n_read > 0 => {
                        let actions = self.modem.handle_input(&pty_buf[..n_read]);
                        self.perform(actions).await;
                    }
                    // Cannot happen while the port holds its slave open;
                    // if it does, a fresh PTY is the way out, and the pause
                    // keeps a persistent failure from spinning.
                    _ => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        let _ = self.port.replug();
                    }
                },
                n_read = read_tcp(&mut self.tcp, &mut tcp_buf) => {
                    let actions = self.modem.handle_input(&tcp_buf[..n_read]);
                    self.perform(actions).await;
                }
                command = self.commands.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                _ = sleep_until(next_write) => self.write_due().await,
                _ = sleep_until(self.replug_at) => self.plug_back_in(),
                _ = sleep_until(self.awaiting_ack.as_ref().map(|(due, _)| *due)) => {
                    self.modem.acknowledgement_timed_out();
                    self.settle_awaiting(false);
                }
                _ = raw_check.tick() => {
                    // A failure here shows as garbled bytes in the client's
                    // view; nothing better to do than try again next tick.
                    let _ = self.port.ensure_raw();
                }
            }
            if self.output.is_empty() {
                let actions = self.modem.flush_unsolicited();
                self.perform(actions).await;
            }
        }
    }

    async fn handle(&mut self, command: ModemCommand) {
        match command {
            ModemCommand::Receive(parcel) => {
                let delivery = match parcel.kind {
                    RoutingKind::Deliver => self.modem.deliver(parcel.pdu.clone()),
                    RoutingKind::StatusReport => self.modem.status_report(parcel.pdu.clone()),
                };
                if delivery == Delivery::AwaitingAck {
                    // The modem routes one such message at a time, so
                    // nothing else is waiting here.
                    self.settle_awaiting(false);
                    self.awaiting_ack = Some((Instant::now() + self.ack_timeout, parcel));
                    return;
                }
                let _ = self.network.send(NetworkCommand::Outcome { parcel, delivery });
            }
            ModemCommand::Info(reply) => {
                let stores = self.modem.stores();
                let _ = reply.send(LiveInfo {
                    pts: self.port.slave_path().map(PathBuf::from),
                    sm: (stores.sm.used(), stores.sm.capacity()),
                    me: (stores.me.used(), stores.me.capacity()),
                    registered: self.modem.is_registered(),
                    sim: self.modem.sim_state(),
                });
            }
            ModemCommand::Stores(reply) => {
                let _ = reply.send(self.modem.stores().clone());
            }
            ModemCommand::Calls(reply) => {
                let _ = reply.send(self.modem.calls().to_vec());
            }
            ModemCommand::SetUssd { code, answer, reply } => {
                self.ussd.insert(code, answer);
                let _ = reply.send(());
            }
            ModemCommand::Fault { fault, reply } => {
                let clears = fault == Fault::Clear;
                let actions = self.modem.inject_fault(fault);
                self.perform(actions).await;
                if clears {
                    // Whatever waited for this modem may get through now.
                    let _ = self.network.send(NetworkCommand::RetryHeld);
                }
                let _ = reply.send(());
            }
            ModemCommand::IncomingCall { from, reply } => {
                let (rang, actions) = self.modem.incoming_call(&from);
                self.perform(actions).await;
                let _ = reply.send(rang);
            }
            ModemCommand::Replug(reply) => {
                let result = self.port.replug().map_err(SimError::io("replugging"));
                if let Some(tcp) = &mut self.tcp {
                    tcp.disconnect();
                }
                self.output.clear();
                self.replug_at = None;
                self.modem.power_cycle();
                self.settle_awaiting(false);
                let _ = self.network.send(NetworkCommand::RetryHeld);
                let _ = reply.send(result);
            }
        }
    }

    /// Carries out the modem's actions in order.
    async fn perform(&mut self, actions: Vec<Action>) {
        let mut actions = VecDeque::from(actions);
        while let Some(action) = actions.pop_front() {
            match action {
                Action::Write(bytes) => self.emit(Duration::ZERO, bytes).await,
                Action::WriteAfter { delay_ms, bytes } => {
                    self.emit(Duration::from_millis(delay_ms), bytes).await
                }
                Action::Submitted { mr, pdu } => {
                    let _ = self.network.send(NetworkCommand::Submit {
                        from: self.id,
                        mr,
                        pdu,
                    });
                }
                Action::UssdRequest { request, dcs: _ } => {
                    let follow_up = match self.ussd.get(request.trim()) {
                        Some(UssdAnswer::Text(answer)) => self.modem.ussd_response(answer, 0),
                        Some(UssdAnswer::Raw { raw, dcs }) => self.modem.ussd_response_raw(raw, *dcs, 0),
                        // TS 27.007 +CUSD <m> 4: operation not supported.
                        None => self.modem.ussd_response("", 4),
                    };
                    actions.extend(follow_up);
                }
                Action::Acknowledged { accepted } => self.settle_awaiting(accepted),
                Action::Unplug => self.unplug(),
            }
        }
    }

    /// Tells the network how the delivery that waited for `AT+CNMA` ended:
    /// delivered, or refused (RP-ERROR) to be retried. A power cycle or a
    /// timeout refuses it too.
    fn settle_awaiting(&mut self, accepted: bool) {
        let Some((_, parcel)) = self.awaiting_ack.take() else {
            return;
        };
        let delivery = match accepted {
            true => Delivery::Routed,
            false => Delivery::Deferred("not acknowledged with AT+CNMA"),
        };
        let _ = self.network.send(NetworkCommand::Outcome { parcel, delivery });
    }

    /// Writes `bytes` after `delay`, and after everything queued before.
    async fn emit(&mut self, delay: Duration, bytes: Vec<u8>) {
        if delay.is_zero() && self.output.is_empty() {
            self.write(&bytes).await;
            return;
        }
        let mut due = Instant::now() + delay;
        if let Some((last_due, _)) = self.output.back() {
            due = due.max(*last_due);
        }
        self.output.push_back((due, bytes));
    }

    async fn write_due(&mut self) {
        let now = Instant::now();
        while self.output.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, bytes)) = self.output.pop_front() {
                self.write(&bytes).await;
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) {
        // The PTY fails only if the kernel does; the client then sees a
        // dead line, which is what it would see on real hardware too.
        let _ = self.port.write_all(bytes).await;
        if let Some(tcp) = &mut self.tcp {
            tcp.write_all(bytes).await;
        }
    }

    /// The modem left the bus: the port and its link vanish, the TCP
    /// client is dropped, and the modem comes back after the pause.
    fn unplug(&mut self) {
        let _ = self.port.unplug();
        if let Some(tcp) = &mut self.tcp {
            tcp.disconnect();
        }
        self.output.clear();
        self.replug_at = Some(Instant::now() + self.replug_pause);
    }

    fn plug_back_in(&mut self) {
        self.replug_at = None;
        if self.port.plug().is_err() {
            // Out of PTYs, say: try again after another pause.
            self.replug_at = Some(Instant::now() + self.replug_pause);
            return;
        }
        self.modem.power_cycle();
        self.settle_awaiting(false);
        let _ = self.network.send(NetworkCommand::RetryHeld);
    }
}

/// Reads from the TCP port if there is one; never completes otherwise.
async fn read_tcp(tcp: &mut Option<TcpPort>, buf: &mut [u8]) -> usize {
    match tcp {
        Some(tcp) => tcp.read(buf).await,
        None => std::future::pending().await,
    }
}
