//! The simulator: virtual modems on pseudo-terminals (and optionally TCP)
//! joined by a virtual network, run as tokio tasks. This is what tests
//! embed and what `smsgate sim` and `smsgate demo` run.
//!
//! ```text
//!  client ◀─PTY/TCP─▶ modem task ──Submit──▶ network task ──Receive──▶ modem task ◀─PTY/TCP─▶ client
//!                     (Modem)    ◀─Receive── (Network)    ◀─Outcome──
//!                                                ▲
//!              SimHandle / SimClient / control API (commands, replies on oneshots)
//! ```
//!
//! One task per modem owns its port and its [`Modem`], so a modem's bytes
//! are never written from two places. One task owns the [`Network`] with
//! the log of what was submitted; it applies the air time and retries held
//! deliveries. The tasks talk over unbounded channels: the network sends to
//! the modems and the modems to the network, and with bounded channels a
//! burst in both directions at once could leave each waiting on the other.
//! What flows is small and paced by AT traffic, so the queues stay short.
//!
//! Every task stops when the simulator's cancellation token fires
//! ([`SimHandle::shutdown`], or dropping the [`SimHandle`]); a modem task
//! that stops drops its [`PtyPort`], which removes the symlink.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sms_pdu::{Timestamp, Tpdu};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::network::SubmitSummary;
use crate::pty::PtyPort;
use crate::tcp::TcpPort;
use crate::{
    CallRecord, ExternalMessage, Fault, InjectedText, Modem, ModemConfig, ModemId, Network, RoutingKind,
    SimState, Stores, TextEncoding,
};

mod modem_task;
mod network_task;

use modem_task::{ModemCommand, ModemTask, UssdAnswer};
use network_task::{NetworkCommand, NetworkTask};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// One entry per modem; modem `i` is `dir/<name>`.
    pub modems: Vec<ModemConfig>,
    /// Where the symlinks to the PTYs go. Created if missing.
    pub dir: PathBuf,
    /// When set, modem `i` also listens on TCP at this address with the
    /// port plus `i` (port 0: each modem gets a free port).
    pub tcp: Option<SocketAddr>,
    /// When set, the control API listens here. It has no authentication,
    /// so only loopback addresses are accepted.
    pub control: Option<SocketAddr>,
    /// How long a message takes through the network, submission to
    /// delivery (and delivery to status report). Zero delivers at once.
    pub air_time: Duration,
    /// How long a modem stays away after [`Fault::Unplug`] before it is
    /// plugged back in.
    pub replug_pause: Duration,
    /// How often deliveries held for a full or unreachable modem are
    /// retried; more than zero.
    pub retry_interval: Duration,
    /// How long a modem waits for `AT+CNMA` after a routed message under
    /// `AT+CSMS=1` before it refuses the message (the network retries)
    /// and turns routing off ([`Modem::acknowledgement_timed_out`]).
    pub ack_timeout: Duration,
}

impl SimConfig {
    /// `n_modems` modems numbered from 0 ([`ModemConfig::numbered`]) with
    /// their links in `dir`; no TCP, no control API, no air time.
    pub fn new(n_modems: usize, dir: impl Into<PathBuf>) -> SimConfig {
        SimConfig {
            modems: (0..n_modems).map(ModemConfig::numbered).collect(),
            dir: dir.into(),
            tcp: None,
            control: None,
            air_time: Duration::ZERO,
            replug_pause: Duration::from_millis(500),
            retry_interval: Duration::from_secs(1),
            // TS 24.011's TR2M is 12 to 20 seconds.
            ack_timeout: Duration::from_secs(15),
        }
    }
}

/// What a modem is and where to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModemInfo {
    /// Its index in [`SimConfig::modems`].
    pub index: usize,
    /// Its identity.
    pub config: ModemConfig,
    /// The symlink clients open.
    pub path: PathBuf,
    /// The PTY the link points at now; `None` while unplugged.
    pub pts: Option<PathBuf>,
    /// Its TCP address, if it has one.
    pub tcp: Option<SocketAddr>,
    /// Messages in the SIM store, and its capacity.
    pub sm: (usize, usize),
    /// Messages in the phone store, and its capacity.
    pub me: (usize, usize),
    /// Whether it is registered to the network (see
    /// [`Modem::is_registered`]).
    pub registered: bool,
    /// What its SIM waits for ([`Modem::sim_state`]).
    pub sim: SimState,
}

/// A message to put into a modem as if it came over the air.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injection {
    /// A text from outside the network, split into parts as needed.
    Text {
        /// The sender: `+<digits>`, `<digits>`, or an alphanumeric name.
        from: String,
        /// The text.
        text: String,
        /// The alphabet.
        encoding: TextEncoding,
        /// A class 0 ("flash") message.
        class0: bool,
        /// Which parts to deliver, in this order, numbered from 1 (`[3, 1,
        /// 2]`). A part left out is never delivered, a part named twice is
        /// delivered twice. `None`: all, in order.
        parts_order: Option<Vec<usize>>,
    },
    /// A PDU as a modem stores it (SMSC address first): an SMS-DELIVER,
    /// or an SMS-STATUS-REPORT, which is handed over as a report.
    Pdu(Vec<u8>),
}

/// A message a modem sent with `AT+CMGS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedMessage {
    /// The `+CMGS: <mr>` it was given.
    pub mr: u8,
    /// The SMS-SUBMIT as typed, SMSC address included.
    pub pdu: Vec<u8>,
    /// Destination and text; `Err` with the reason when the PDU did not
    /// decode (the modem still answered `+CMGS`, as a real one would).
    pub summary: Result<SubmitSummary, String>,
    /// When the network took it.
    pub submitted_at: Timestamp,
}

/// Why the simulator could not start or do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// No modem has this index.
    #[error("no modem {0}")]
    NoModem(usize),
    /// A request value is wrong; `field` names it.
    #[error("{field}: {message}")]
    BadRequest {
        /// The request field at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The simulator was shut down.
    #[error("the simulator has stopped")]
    Stopped,
    /// A port or directory could not be set up.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

impl SimError {
    fn bad(field: &'static str, message: impl ToString) -> SimError {
        SimError::BadRequest {
            field,
            message: message.to_string(),
        }
    }

    fn io(context: impl ToString) -> impl FnOnce(io::Error) -> SimError {
        move |source| SimError::Io {
            context: context.to_string(),
            source,
        }
    }
}

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Opens every modem's PTY (and TCP port), starts the tasks and the
    /// control API, and returns the handle that runs and stops them. Must
    /// be called inside a tokio runtime with the time and I/O drivers.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        if let Some(control) = config.control {
            if !control.ip().is_loopback() {
                return Err(SimError::bad(
                    "control",
                    format!("{control} is not a loopback address"),
                ));
            }
        }
        if config.retry_interval.is_zero() {
            return Err(SimError::bad("retry_interval", "must be longer than zero"));
        }
        for (index, modem_config) in config.modems.iter().enumerate() {
            let name = &modem_config.name;
            // The name is the link's file name, and two modems must not
            // share one.
            if name.is_empty() || name.contains('/') || name.starts_with('.') {
                return Err(SimError::bad(
                    "modems",
                    format!("modem {index}: {name:?} is no file name"),
                ));
            }
            if config.modems[..index].iter().any(|earlier| earlier.name == *name) {
                return Err(SimError::bad(
                    "modems",
                    format!("modem {index}: name {name:?} is taken"),
                ));
            }
        }
        std::fs::create_dir_all(&config.dir)
            .map_err(SimError::io(format!("creating {}", config.dir.display())))?;
        let token = CancellationToken::new();
        let (network_tx, network_rx) = mpsc::unbounded_channel();
        let mut network = Network::new();
        let mut slots = Vec::new();
        let mut modem_tasks = Vec::new();
        for (index, modem_config) in config.modems.iter().enumerate() {
            let id = network
                .add_modem(modem_config)
                .map_err(|err| SimError::bad("modems", format!("modem {index}: {err}")))?;
            let path = config.dir.join(&modem_config.name);
            let port = PtyPort::open(&path).map_err(SimError::io(format!("opening {}", path.display())))?;
            let tcp = match config.tcp {
                Some(base) => {
                    let port_number = match base.port() {
                        0 => 0,
                        base_port => u16::try_from(usize::from(base_port) + index)
                            .map_err(|_| SimError::bad("tcp", format!("no port {base_port} + {index}")))?,
                    };
                    let addr = SocketAddr::new(base.ip(), port_number);
                    Some(
                        TcpPort::bind(addr)
                            .await
                            .map_err(SimError::io(format!("listening on {addr}")))?,
                    )
                }
                None => None,
            };
            let (commands_tx, commands_rx) = mpsc::unbounded_channel();
            slots.push(ModemSlot {
                config: modem_config.clone(),
                path,
                tcp: tcp.as_ref().map(TcpPort::local_addr),
                commands: commands_tx,
            });
            modem_tasks.push(ModemTask {
                id,
                modem: Modem::new(modem_config.clone()),
                port,
                tcp,
                commands: commands_rx,
                network: network_tx.clone(),
                output: VecDeque::new(),
                replug_at: None,
                replug_pause: config.replug_pause,
                ack_timeout: config.ack_timeout,
                awaiting_ack: None,
                ussd: HashMap::new(),
            });
        }
        let client = SimClient {
            shared: Arc::new(Shared {
                modems: slots,
                network: network_tx,
                next_reference: AtomicU8::new(1),
            }),
        };
        // Bound before any task is spawned: an error return must not leave
        // tasks running that nothing can stop.
        let control_listener = match config.control {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(SimError::io(format!("listening on {addr}")))?,
            ),
            None => None,
        };
        let control_addr = match &control_listener {
            Some(listener) => Some(listener.local_addr().map_err(SimError::io("control address"))?),
            None => None,
        };
        let mut tasks = Vec::new();
        for modem_task in modem_tasks {
            tasks.push(tokio::spawn(modem_task.run(token.child_token())));
        }
        let network_task = NetworkTask {
            network,
            commands: network_rx,
            modems: client
                .shared
                .modems
                .iter()
                .map(|slot| slot.commands.clone())
                .collect(),
            smscs: config
                .modems
                .iter()
                .map(|modem_config| modem_config.smsc.clone())
                .collect(),
            submitted: vec![Vec::new(); client.shared.modems.len()],
            in_air: VecDeque::new(),
            held_injections: Vec::new(),
            air_time: config.air_time,
            retry_interval: config.retry_interval,
        };
        tasks.push(tokio::spawn(network_task.run(token.child_token())));
        if let Some(listener) = control_listener {
            tasks.push(tokio::spawn(crate::control::serve(
                listener,
                client.clone(),
                token.child_token(),
            )));
        }
        Ok(SimHandle {
            client,
            token,
            tasks,
            control_addr,
        })
    }
}

/// A running simulator. Dropping it stops every task, like
/// [`SimHandle::shutdown`] without waiting.
#[derive(Debug)]
pub struct SimHandle {
    client: SimClient,
    token: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    control_addr: Option<SocketAddr>,
}

impl SimHandle {
    /// A handle for the operations that can be cloned into other tasks.
    pub fn client(&self) -> SimClient {
        self.client.clone()
    }

    /// Where the control API listens, if it runs.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control_addr
    }

    /// See [`SimClient::modems`].
    pub async fn modems(&self) -> Vec<ModemInfo> {
        self.client.modems().await
    }

    /// See [`SimClient::modem`].
    pub async fn modem(&self, index: usize) -> Result<ModemInfo, SimError> {
        self.client.modem(index).await
    }

    /// See [`SimClient::inject`].
    pub async fn inject(&self, index: usize, injection: Injection) -> Result<usize, SimError> {
        self.client.inject(index, injection).await
    }

    /// See [`SimClient::status_report`].
    pub async fn status_report(
        &self,
        index: usize,
        mr: u8,
        status: u8,
        to: Option<String>,
    ) -> Result<(), SimError> {
        self.client.status_report(index, mr, status, to).await
    }

    /// See [`SimClient::submitted`].
    pub async fn submitted(&self, index: usize) -> Result<Vec<SubmittedMessage>, SimError> {
        self.client.submitted(index).await
    }

    /// See [`SimClient::submitted_count`].
    pub async fn submitted_count(&self, index: usize) -> Result<usize, SimError> {
        self.client.submitted_count(index).await
    }

    /// See [`SimClient::calls`].
    pub async fn calls(&self, index: usize) -> Result<Vec<CallRecord>, SimError> {
        self.client.calls(index).await
    }

    /// See [`SimClient::incoming_call`].
    pub async fn incoming_call(&self, index: usize, from: &str) -> Result<bool, SimError> {
        self.client.incoming_call(index, from).await
    }

    /// See [`SimClient::stores`].
    pub async fn stores(&self, index: usize) -> Result<Stores, SimError> {
        self.client.stores(index).await
    }

    /// See [`SimClient::external`].
    pub async fn external(&self) -> Result<Vec<ExternalMessage>, SimError> {
        self.client.external().await
    }

    /// See [`SimClient::set_ussd`].
    pub async fn set_ussd(&self, index: usize, code: &str, answer: &str) -> Result<(), SimError> {
        self.client.set_ussd(index, code, answer).await
    }

    /// See [`SimClient::set_ussd_raw`].
    pub async fn set_ussd_raw(&self, index: usize, code: &str, raw: &str, dcs: u8) -> Result<(), SimError> {
        self.client.set_ussd_raw(index, code, raw, dcs).await
    }

    /// See [`SimClient::fault`].
    pub async fn fault(&self, index: usize, fault: Fault) -> Result<(), SimError> {
        self.client.fault(index, fault).await
    }

    /// See [`SimClient::replug`].
    pub async fn replug(&self, index: usize) -> Result<(), SimError> {
        self.client.replug(index).await
    }

    /// Stops every task and waits until they have ended: the ports are
    /// closed, the symlinks removed and the control API closed.
    pub async fn shutdown(mut self) {
        self.token.cancel();
        for task in std::mem::take(&mut self.tasks) {
            // A task that panicked has ended too; there is nothing to add.
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// The operations on a running simulator; cheap to clone. They fail with
/// [`SimError::Stopped`] once it was shut down.
#[derive(Clone, Debug)]
pub struct SimClient {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    modems: Vec<ModemSlot>,
    network: mpsc::UnboundedSender<NetworkCommand>,
    /// The concatenation reference of the next injected text, so that two
    /// injected multipart messages from one sender never mix.
    next_reference: AtomicU8,
}

#[derive(Debug)]
struct ModemSlot {
    config: ModemConfig,
    path: PathBuf,
    tcp: Option<SocketAddr>,
    commands: mpsc::UnboundedSender<ModemCommand>,
}

impl SimClient {
    /// Every modem, in order.
    pub async fn modems(&self) -> Vec<ModemInfo> {
        let mut infos = Vec::new();
        for index in 0..self.shared.modems.len() {
            if let Ok(info) = self.modem(index).await {
                infos.push(info);
            }
        }
        infos
    }

    /// One modem.
    pub async fn modem(&self, index: usize) -> Result<ModemInfo, SimError> {
        let slot = self.slot(index)?;
        let live = self.ask_modem(index, ModemCommand::Info).await?;
        Ok(ModemInfo {
            index,
            config: slot.config.clone(),
            path: slot.path.clone(),
            pts: live.pts,
            tcp: slot.tcp,
            sm: live.sm,
            me: live.me,
            registered: live.registered,
            sim: live.sim,
        })
    }

    /// Puts a message into modem `index` from outside, through the network
    /// (so the air time applies, and a full store holds it for a retry).
    /// Returns the number of parts of the message.
    pub async fn inject(&self, index: usize, injection: Injection) -> Result<usize, SimError> {
        let slot = self.slot(index)?;
        let (kind, pdus, n_parts) = match injection {
            Injection::Text {
                from,
                text,
                encoding,
                class0,
                parts_order,
            } => {
                let reference = self.shared.next_reference.fetch_add(1, Ordering::Relaxed);
                let injected = InjectedText {
                    from,
                    text,
                    encoding,
                    class0,
                    reference,
                };
                let parts = injected.deliver_pdus(&slot.config.smsc, now()).map_err(|err| {
                    let field = match err {
                        crate::NetworkError::Encode(sms_pdu::EncodeError::BadAddress { .. }) => "from",
                        _ => "text",
                    };
                    SimError::bad(field, err)
                })?;
                let n_parts = parts.len();
                let pdus = match parts_order {
                    None => parts,
                    Some(order) => pick_parts(&parts, &order)?,
                };
                (RoutingKind::Deliver, pdus, n_parts)
            }
            Injection::Pdu(pdu) => {
                let kind = match sms_pdu::Pdu::decode(&pdu) {
                    Ok(decoded) => match decoded.value.tpdu {
                        Tpdu::Deliver(_) => RoutingKind::Deliver,
                        Tpdu::StatusReport(_) => RoutingKind::StatusReport,
                        Tpdu::Submit(_) => {
                            return Err(SimError::bad(
                                "pdu",
                                "an SMS-SUBMIT: a modem receives SMS-DELIVER and SMS-STATUS-REPORT",
                            ))
                        }
                    },
                    Err(err) => return Err(SimError::bad("pdu", err)),
                };
                (kind, vec![pdu], 1)
            }
        };
        self.send_network(NetworkCommand::Inject {
            to: ModemId(index),
            kind,
            pdus,
        })?;
        Ok(n_parts)
    }

    /// Sends modem `index` a status report with TP-MR `mr` and TP-ST
    /// `status` about the message it submitted with that reference (the
    /// latest, if several), or about a message to `to` when given.
    pub async fn status_report(
        &self,
        index: usize,
        mr: u8,
        status: u8,
        to: Option<String>,
    ) -> Result<(), SimError> {
        self.slot(index)?;
        let (reply, answer) = oneshot::channel();
        self.send_network(NetworkCommand::StatusReport {
            to: ModemId(index),
            mr,
            status,
            recipient: to,
            reply,
        })?;
        answer.await.map_err(|_| SimError::Stopped)?
    }

    /// What modem `index` sent, oldest first.
    pub async fn submitted(&self, index: usize) -> Result<Vec<SubmittedMessage>, SimError> {
        self.slot(index)?;
        let (reply, answer) = oneshot::channel();
        self.send_network(NetworkCommand::Submitted {
            from: ModemId(index),
            reply,
        })?;
        answer.await.map_err(|_| SimError::Stopped)
    }

    /// How many SMS-SUBMITs modem `index` has handed to the network: what
    /// a poller waiting for a count asks, without a copy of them all.
    pub async fn submitted_count(&self, index: usize) -> Result<usize, SimError> {
        self.slot(index)?;
        let (reply, answer) = oneshot::channel();
        self.send_network(NetworkCommand::SubmittedCount {
            from: ModemId(index),
            reply,
        })?;
        answer.await.map_err(|_| SimError::Stopped)
    }

    /// The voice calls modem `index` placed, oldest first: number, `ATD`
    /// result, tones received, hang-up.
    pub async fn calls(&self, index: usize) -> Result<Vec<CallRecord>, SimError> {
        self.ask_modem(index, ModemCommand::Calls).await
    }

    /// A voice call from `from` rings on modem `index` (`RING`, and
    /// `+CLIP` if the client asked for it) until the client hangs up;
    /// logged in [`SimClient::calls`] with the result
    /// [`crate::INCOMING_CALL`]. `false`: the modem is not registered or
    /// has a call already, and the caller hears busy.
    pub async fn incoming_call(&self, index: usize, from: &str) -> Result<bool, SimError> {
        let number = from.strip_prefix('+').unwrap_or(from);
        if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(SimError::bad("from", "a number: digits, optionally after `+`"));
        }
        let from = from.to_owned();
        self.ask_modem(index, |reply| ModemCommand::IncomingCall { from, reply })
            .await
    }

    /// What modem `index` holds in its SIM and phone memories now.
    pub async fn stores(&self, index: usize) -> Result<Stores, SimError> {
        self.ask_modem(index, ModemCommand::Stores).await
    }

    /// Messages sent to numbers outside the network, oldest first.
    pub async fn external(&self) -> Result<Vec<ExternalMessage>, SimError> {
        let (reply, answer) = oneshot::channel();
        self.send_network(NetworkCommand::External { reply })?;
        answer.await.map_err(|_| SimError::Stopped)
    }

    /// Sets what the network answers when modem `index` sends USSD `code`
    /// (`*100#`). Codes without an answer get `+CUSD: 4` (operation not
    /// supported).
    pub async fn set_ussd(&self, index: usize, code: &str, answer: &str) -> Result<(), SimError> {
        let (code, answer) = (code.trim().to_owned(), UssdAnswer::Text(answer.to_owned()));
        self.ask_modem(index, |reply| ModemCommand::SetUssd { code, answer, reply })
            .await
    }

    /// Sets an answer to USSD `code` that goes out as given, already
    /// encoded: `+CUSD: 0,"<raw>",<dcs>` (see [`Modem::ussd_response_raw`]).
    /// RouterOS's example is `raw` `EBB79B1E0685E9ECF4BADE9E03` with `dcs`
    /// 15, packed GSM 7-bit for "konta atlikums".
    pub async fn set_ussd_raw(&self, index: usize, code: &str, raw: &str, dcs: u8) -> Result<(), SimError> {
        if raw.contains('"') || raw.chars().any(char::is_control) {
            return Err(SimError::bad("raw", "may not contain '\"' or control characters"));
        }
        let code = code.trim().to_owned();
        let answer = UssdAnswer::Raw {
            raw: raw.to_owned(),
            dcs,
        };
        self.ask_modem(index, |reply| ModemCommand::SetUssd { code, answer, reply })
            .await
    }

    /// Injects a fault into modem `index` ([`Fault::Unplug`] unplugs it for
    /// [`SimConfig::replug_pause`]).
    pub async fn fault(&self, index: usize, fault: Fault) -> Result<(), SimError> {
        self.ask_modem(index, |reply| ModemCommand::Fault { fault, reply })
            .await
    }

    /// Unplugs modem `index` and plugs it back in at once: a new PTY behind
    /// the same link, the TCP client dropped, the modem power cycled.
    pub async fn replug(&self, index: usize) -> Result<(), SimError> {
        self.ask_modem(index, ModemCommand::Replug).await?
    }

    fn slot(&self, index: usize) -> Result<&ModemSlot, SimError> {
        self.shared.modems.get(index).ok_or(SimError::NoModem(index))
    }

    fn send_network(&self, command: NetworkCommand) -> Result<(), SimError> {
        self.shared.network.send(command).map_err(|_| SimError::Stopped)
    }

    async fn ask_modem<T>(
        &self,
        index: usize,
        make: impl FnOnce(oneshot::Sender<T>) -> ModemCommand,
    ) -> Result<T, SimError> {
        let slot = self.slot(index)?;
        let (reply, answer) = oneshot::channel();
        slot.commands.send(make(reply)).map_err(|_| SimError::Stopped)?;
        answer.await.map_err(|_| SimError::Stopped)
    }
}

/// The parts named in `order` (from 1).
fn pick_parts(parts: &[Vec<u8>], order: &[usize]) -> Result<Vec<Vec<u8>>, SimError> {
    if order.is_empty() {
        return Err(SimError::bad("parts_order", "empty: name at least one part"));
    }
    order
        .iter()
        .map(
            |&part| match part.checked_sub(1).and_then(|part_idx| parts.get(part_idx)) {
                Some(pdu) => Ok(pdu.clone()),
                None => Err(SimError::bad(
                    "parts_order",
                    format!("no part {part}: the message has parts 1 to {}", parts.len()),
                )),
            },
        )
        .collect()
}

/// The current time as an SMSC time stamp, in UTC.
fn now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since_epoch| since_epoch.as_secs());
    timestamp_of_unix(seconds)
}

/// Seconds since 1970 in UTC as a time stamp (days to civil date after
/// Howard Hinnant's `civil_from_days`).
fn timestamp_of_unix(seconds: u64) -> Timestamp {
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;
    // Shifted so that the year starts on 1 March, which puts the leap day
    // last; era = 400 years.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    // Every value is in range by construction; the casts cannot truncate.
    Timestamp {
        year: (year % 100) as u8,
        month: month as u8,
        day: day as u8,
        hour: (second_of_day / 3600) as u8,
        minute: (second_of_day / 60 % 60) as u8,
        second: (second_of_day % 60) as u8,
        tz_quarters: 0,
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

    fn stamp(year: u8, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Timestamp {
        Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
            tz_quarters: 0,
        }
    }

    #[test]
    fn unix_time_to_timestamp() {
        assert_eq!(timestamp_of_unix(0), stamp(70, 1, 1, 0, 0, 0));
        assert_eq!(timestamp_of_unix(1_795_287_962), stamp(26, 11, 21, 19, 6, 2));
        assert_eq!(timestamp_of_unix(1_709_251_199), stamp(24, 2, 29, 23, 59, 59));
        assert_eq!(timestamp_of_unix(951_868_800), stamp(0, 3, 1, 0, 0, 0));
        assert_eq!(timestamp_of_unix(4_102_403_401), stamp(99, 12, 31, 12, 30, 1));
    }

    #[test]
    fn parts_are_picked_by_number() {
        let parts = vec![vec![1], vec![2], vec![3]];
        assert_eq!(
            pick_parts(&parts, &[3, 1, 1]).unwrap(),
            vec![vec![3], vec![1], vec![1]]
        );
        assert!(pick_parts(&parts, &[0]).is_err());
        assert!(pick_parts(&parts, &[4]).is_err());
        assert!(pick_parts(&parts, &[]).is_err());
    }
}
