//! One virtual modem, sans-I/O: the bytes a client types go in, and
//! [`Action`]s (bytes to write, submitted PDUs, USSD requests) come out.
//!
//! The modem frames the byte stream itself: a command line may arrive in
//! one piece or byte by byte, and the answer is the same, because every
//! decision depends only on the bytes seen so far (style C4). Unsolicited
//! result codes (`+CMTI`, `+CDSI`, `+CMT`, `+CDS`, `+CUSD`, `+CREG`) wait
//! in a queue while a command line is being typed, answered or followed by
//! a PDU, and come out when the line is idle again: polling clients such as
//! smsd and gammu-smsd miss them, or break, when they are interleaved
//! (gotcha 18 of `real-clients-at-transcripts.md`).
//!
//! The answers follow the real clients' captures byte for byte: verbose
//! result codes (`\r\nOK\r\n`), a single CRLF between the lines of one
//! information response, real echo, `ERROR` for anything unknown.

mod call;
mod charset;
mod command;
mod error;
mod general;
mod incoming_call;
mod indications;
mod output;
mod registration;
mod sms;
mod text_mode;
mod ussd;

use std::collections::VecDeque;

pub use call::CallRecord;
pub use incoming_call::INCOMING_CALL;

use crate::config::{ModemConfig, DEFAULT_PUK};
use crate::fault::{Fault, FaultState, SendError, DEFAULT_PIN, GARBAGE};
use crate::store::{Storage, Stores};
use charset::Charset;
use command::Command;
use error::CommandError;
use output::{framed, Output, Reply};

/// What the I/O shell must do, in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Write these bytes to the client now.
    Write(Vec<u8>),
    /// Write these bytes after `delay_ms` milliseconds ([`Fault::Delay`]).
    /// Later actions of the same modem wait for it, so that the order of
    /// the byte stream stays as the modem produced it.
    WriteAfter {
        /// How long to wait.
        delay_ms: u64,
        /// What to write then.
        bytes: Vec<u8>,
    },
    /// `AT+CMGS` accepted a PDU; `+CMGS: <mr>` was written just before.
    /// The PDU is as the client typed it, SMSC address included; hand it to
    /// [`crate::Network::submit`].
    Submitted {
        /// The message reference the client was given.
        mr: u8,
        /// The SMSC address and SMS-SUBMIT octets.
        pdu: Vec<u8>,
    },
    /// The client started a USSD session (`AT+CUSD=1,"*100#",15`). Answer
    /// it, now or later, with [`Modem::ussd_response`].
    UssdRequest {
        /// The request, decoded from the `+CSCS` character set.
        request: String,
        /// The data coding scheme the client gave (15 when it gave none).
        dcs: u8,
    },
    /// The modem left the bus ([`Fault::Unplug`]): close the port. Call
    /// [`Modem::power_cycle`] when plugging it back in.
    Unplug,
    /// The client answered the routed `+CMT`/`+CDS` that was waiting for
    /// it ([`Delivery::AwaitingAck`]) with `AT+CNMA`: `accepted` is the
    /// RP-ACK that completes its delivery; `false` (`AT+CNMA=2`) is an
    /// RP-ERROR, and the network keeps the message and retries.
    Acknowledged {
        /// RP-ACK (true) or RP-ERROR (false).
        accepted: bool,
    },
}

/// What became of a message the network handed to the modem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Stored in `mem` at `index` (the memory `<mem3>` of `AT+CPMS`).
    Stored {
        /// The memory.
        mem: Storage,
        /// The slot, from 1.
        index: usize,
    },
    /// Shown to the client as `+CMT`/`+CDS` without being stored
    /// (`AT+CNMI` routing), acknowledged by the modem itself (`AT+CSMS=0`).
    Routed,
    /// Shown as `+CMT`/`+CDS` under `AT+CSMS=1`: delivered only when the
    /// client acknowledges it ([`Action::Acknowledged`]); if it never
    /// does, [`Modem::acknowledgement_timed_out`] ends the wait and the
    /// network should retry. Until then no status report is due.
    AwaitingAck,
    /// Refused for now (an RP-ERROR with a temporary cause): `AT+CNMI`
    /// mode 1 and the link reserved by a command or the `> ` prompt, an
    /// earlier routed message still unacknowledged, or no room left to
    /// buffer the indication. The network should keep the message and
    /// retry ([`crate::Network::retry_held`]); it is never dropped.
    Deferred(&'static str),
    /// The memory is full; the network should keep the message and retry
    /// ([`crate::Network::retry_held`]).
    StoreFull,
    /// The modem is not registered (no SIM, no PIN, no network, switched
    /// off or unplugged); the network should keep the message and retry.
    Unreachable,
    /// Not a message of the kind asked for; the network drops it.
    Rejected(&'static str),
}

impl Delivery {
    /// Whether the network should keep the message and retry it later.
    pub fn should_retry(&self) -> bool {
        matches!(
            self,
            Delivery::StoreFull | Delivery::Unreachable | Delivery::Deferred(_)
        )
    }
}

/// What the SIM waits for ([`Modem::sim_state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimState {
    /// Unlocked (or no PIN set).
    Ready,
    /// `+CPIN: SIM PIN`: this many wrong PINs until it blocks (3 after
    /// power-up).
    PinRequired {
        /// Tries left.
        tries_left: u8,
    },
    /// `+CPIN: SIM PUK`: blocked after three wrong PINs.
    PukRequired {
        /// Tries left.
        tries_left: u8,
    },
}

/// One virtual modem. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modem {
    config: ModemConfig,
    stores: Stores,
    settings: Settings,
    sim: SimLock,
    /// The PIN the SIM wants; a PUK unblock may change it.
    pin: String,
    faults: FaultState,
    line: Line,
    /// `AT+CFUN`: 1 full, 0 minimum, 4 flight mode.
    cfun: u8,
    /// `AT+COPS=2` deregistered the modem until `AT+COPS=0`.
    deregistered: bool,
    /// `AT+CSCA`, kept on the SIM: it survives ATZ and power cycles.
    smsc: String,
    smsc_toa: u8,
    /// The next `+CMGS: <mr>`. It lives on the SIM like the stores (TS
    /// 31.102 EF_SMSS), so it survives power cycles, and is never 0: the
    /// captured modems started at 1.
    next_mr: u8,
    call: Option<Call>,
    /// The calls placed, for tests ([`Modem::calls`]).
    calls: Vec<CallRecord>,
    /// Routed `+CMT`/`+CDS` the modem acknowledged itself (`AT+CSMS=0`)
    /// that an `AT+CNMA` may still follow: the lab modem answered it `OK`.
    unacknowledged: u32,
    /// Under `AT+CSMS=1`, the routed indication (as written) whose
    /// delivery waits for `AT+CNMA`; only one at a time (TS 27.005 3.4.4).
    awaiting_ack: Option<Vec<u8>>,
    /// Result codes waiting for the line to be idle.
    unsolicited: VecDeque<Vec<u8>>,
    /// SMS indications held back by `AT+CNMI` mode 0.
    buffered: VecDeque<Vec<u8>>,
}

/// The settings a power-up or `ATZ` resets.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Settings {
    echo: bool,
    cmee: u8,
    charset: Charset,
    text_mode: bool,
    creg: u8,
    cgreg: u8,
    cops_format: u8,
    cnmi: Cnmi,
    /// `<mem1>` (read, list, delete), `<mem2>` (write, send), `<mem3>`
    /// (receive).
    cpms: [Storage; 3],
    csmp: Csmp,
    cmms: u8,
    /// `AT+CSMS=<service>`: 1 makes the client acknowledge routed
    /// messages with `AT+CNMA`.
    csms: u8,
    ussd_presentation: bool,
    /// `AT+CLIP=1`: `+CLIP` follows `RING` ([`Modem::incoming_call`]).
    clip: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            // Echo is on after power-up and ATZ (V.250 6.2.4); smsd's
            // first AT arrives with it on.
            echo: true,
            cmee: 0,
            charset: Charset::Gsm,
            text_mode: false,
            creg: 0,
            cgreg: 0,
            cops_format: 0,
            cnmi: Cnmi::default(),
            cpms: [Storage::Sm; 3],
            csmp: Csmp::default(),
            cmms: 0,
            csms: 0,
            ussd_presentation: false,
            clip: false,
        }
    }
}

/// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>` (TS 27.005 3.4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cnmi {
    mode: u8,
    mt: u8,
    bm: u8,
    ds: u8,
    bfr: u8,
}

/// `AT+CSMP=<fo>,<vp>,<pid>,<dcs>` (TS 27.005 3.3.2), for text mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Csmp {
    fo: u8,
    vp: u8,
    pid: u8,
    dcs: u8,
}

impl Default for Csmp {
    fn default() -> Csmp {
        // SMS-SUBMIT with a relative validity period of 24 hours, as most
        // modems ship: 17,167,0,0.
        Csmp {
            fo: 17,
            vp: 167,
            pid: 0,
            dcs: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SimLock {
    Ready,
    Pin { tries_left: u8 },
    Puk { tries_left: u8 },
}

/// The call in progress; its number is in the last [`CallRecord`].
#[derive(Clone, Debug, PartialEq, Eq)]
struct Call {
    answered: bool,
}

/// What the modem is reading.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    /// A command line.
    Command(Entry),
    /// The hex PDU after `AT+CMGS=<length>` and the prompt.
    Pdu { length: usize, entry: Entry },
    /// The text after `AT+CMGS="<da>"` in text mode.
    Text {
        destination: sms_pdu::Address,
        entry: Entry,
    },
}

impl Line {
    fn idle() -> Line {
        Line::Command(Entry::default())
    }
}

/// Bytes typed so far, with a bound: input no modem would accept must not
/// grow memory without end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Entry {
    bytes: Vec<u8>,
    overflow: bool,
}

/// Longer command lines and PDUs are refused whole. Real modems take
/// about 550 characters; a PDU is at most 2 * 176 hex digits.
const MAX_ENTRY: usize = 1024;

impl Entry {
    fn push(&mut self, byte: u8) {
        if self.bytes.len() < MAX_ENTRY {
            self.bytes.push(byte);
        } else {
            self.overflow = true;
        }
    }

    fn pop(&mut self) {
        self.bytes.pop();
    }
}

const BACKSPACE: u8 = 0x08;
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

/// How a command ended, when it did not fail.
enum Flow {
    /// On to the next command of the line; `OK` after the last.
    Next,
    /// Write the `> ` prompt and read what follows (must be the last
    /// command of the line).
    Prompt(Line),
    /// End the line with this final result instead of `OK` (`NO CARRIER`).
    Final(&'static str),
}

type Outcome = Result<Flow, CommandError>;

impl Modem {
    /// A modem as after power-up, with empty stores.
    pub fn new(config: ModemConfig) -> Modem {
        let mut modem = Modem {
            stores: Stores::new(config.sm_capacity, config.me_capacity),
            settings: Settings::default(),
            sim: SimLock::Ready,
            pin: config.pin.clone().unwrap_or_else(|| DEFAULT_PIN.to_owned()),
            faults: FaultState::default(),
            line: Line::idle(),
            cfun: 1,
            deregistered: false,
            smsc_toa: toa_of_number(&config.smsc),
            smsc: config.smsc.clone(),
            next_mr: 1,
            call: None,
            calls: Vec::new(),
            unacknowledged: 0,
            awaiting_ack: None,
            unsolicited: VecDeque::new(),
            buffered: VecDeque::new(),
            config,
        };
        modem.power_up();
        modem
    }

    /// The identity the modem was made with.
    pub fn config(&self) -> &ModemConfig {
        &self.config
    }

    /// The SM and ME stores, for inspection.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// Whether the modem is registered to the network: SIM present and
    /// unlocked, radio on, network there, plugged in. Only then does it
    /// send and receive.
    pub fn is_registered(&self) -> bool {
        !self.faults.unplugged
            && !self.faults.no_network
            && self.sim_error_cme().is_none()
            && self.cfun == 1
            && !self.deregistered
    }

    /// Takes bytes typed by the client; returns what the shell must do, in
    /// order. Any bytes are fine: the modem answers nonsense with `ERROR`
    /// or ignores it, and never panics.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Vec<Action> {
        if self.faults.hang || self.faults.unplugged {
            return Vec::new();
        }
        let mut out = Output::new(&self.faults);
        for &byte in bytes {
            self.on_byte(byte, &mut out);
        }
        out.actions
    }

    /// The network hands over an SMS-DELIVER (octets with the SMSC address
    /// first). Depending on `AT+CNMI` and `AT+CPMS` it is stored (with or
    /// without `+CMTI`) or routed (`+CMT`); call [`Modem::flush_unsolicited`]
    /// afterwards to get the indication out.
    pub fn deliver(&mut self, pdu: Vec<u8>) -> Delivery {
        self.receive_deliver(pdu)
    }

    /// The network hands over an SMS-STATUS-REPORT (octets with the SMSC
    /// address first). Stored like an SMS (silently, or with `+CDSI` for
    /// `AT+CNMI` ds=2) or routed as `+CDS` for ds=1.
    pub fn status_report(&mut self, pdu: Vec<u8>) -> Delivery {
        self.receive_status_report(pdu)
    }

    /// The network answers a USSD request, or sends USSD of its own:
    /// `+CUSD: <status>,"<text>",<dcs>` in the `+CSCS` character set
    /// (`+CUSD: <status>` for empty text), if the client enabled the
    /// presentation (`AT+CUSD=1`). `<status>` is TS 27.007's `<m>`: 0 done,
    /// 1 more input wanted, 2 ended by the network, 4 not supported.
    pub fn ussd_response(&mut self, text: &str, status: u8) -> Vec<Action> {
        self.queue_ussd(text, status);
        self.flush_unsolicited()
    }

    /// Like [`Modem::ussd_response`], but `raw` goes out as it is, in
    /// `+CUSD: <status>,"<raw>",<dcs>`: for answers that arrive encoded,
    /// such as RouterOS's example `+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03",15`
    /// (packed GSM 7-bit in hex). `raw` must not contain a `"`.
    pub fn ussd_response_raw(&mut self, raw: &str, dcs: u8, status: u8) -> Vec<Action> {
        self.queue_ussd_raw(raw, dcs, status);
        self.flush_unsolicited()
    }

    /// What the SIM waits for, and how many tries are left: a test can
    /// see how many PINs a client typed.
    pub fn sim_state(&self) -> SimState {
        match self.sim {
            SimLock::Ready => SimState::Ready,
            SimLock::Pin { tries_left } => SimState::PinRequired { tries_left },
            SimLock::Puk { tries_left } => SimState::PukRequired { tries_left },
        }
    }

    /// The result codes that waited for the line, if it is idle now.
    pub fn flush_unsolicited(&mut self) -> Vec<Action> {
        let mut out = Output::new(&self.faults);
        self.flush_if_idle(&mut out);
        out.actions
    }

    /// Injects a fault (see [`Fault`]). Returns what the shell must do at
    /// once: [`Action::Unplug`], or a `+CREG` the registration change
    /// caused.
    pub fn inject_fault(&mut self, fault: Fault) -> Vec<Action> {
        let registered_before = self.is_registered();
        match fault {
            Fault::Delay { ms } => self.faults.delay_ms = (ms > 0).then_some(ms),
            Fault::Silence => self.faults.silence = true,
            Fault::Garbage => self.faults.garbage = true,
            Fault::CmsError { code, count } | Fault::CmeError { code, count } => {
                self.faults.send_error = (count > 0).then_some(SendError {
                    cms: matches!(fault, Fault::CmsError { .. }),
                    code,
                    remaining: count,
                });
            }
            Fault::PromptError { count } => self.faults.prompt_errors = count,
            Fault::Hang => self.faults.hang = true,
            Fault::SimRemoved => self.faults.sim_removed = true,
            Fault::PinRequired => {
                self.faults.pin_required = true;
                if self.sim == SimLock::Ready {
                    self.sim = SimLock::Pin { tries_left: 3 };
                }
            }
            Fault::SimFull => self.faults.sim_full = true,
            Fault::NoNetwork => self.faults.no_network = true,
            Fault::CallBusy => self.faults.call_busy = true,
            Fault::CallUnanswered => self.faults.call_unanswered = true,
            Fault::Unplug => {
                self.faults.unplugged = true;
                return vec![Action::Unplug];
            }
            Fault::UnplugOnSend => self.faults.unplug_on_send = true,
            Fault::Clear => {
                if self.faults.hang {
                    // The firmware restarted its parser; whatever was half
                    // typed before the hang is gone.
                    self.line = Line::idle();
                }
                // Unplugging is undone by plugging in (power_cycle), not
                // here: the shell has closed the port.
                let unplugged = self.faults.unplugged;
                self.faults = FaultState {
                    unplugged,
                    ..FaultState::default()
                };
                self.sim = SimLock::Ready;
            }
        }
        self.note_registration(registered_before);
        self.flush_unsolicited()
    }

    /// Power off and on (a re-plug): settings back to power-up, queued
    /// result codes and a call in progress lost; the stores, the SMSC
    /// address and the message reference counter kept, as they live on
    /// the SIM. A routed message that awaited `AT+CNMA`
    /// ([`Delivery::AwaitingAck`]) is forgotten: report it to the network
    /// as refused ([`Delivery::Deferred`]), so that it is retried.
    pub fn power_cycle(&mut self) {
        self.faults.power_cycle();
        self.power_up();
    }

    fn power_up(&mut self) {
        self.settings = Settings::default();
        self.line = Line::idle();
        self.cfun = 1;
        self.deregistered = false;
        self.call = None;
        self.unacknowledged = 0;
        self.awaiting_ack = None;
        self.unsolicited.clear();
        self.buffered.clear();
        self.sim = if self.config.pin.is_some() || self.faults.pin_required {
            SimLock::Pin { tries_left: 3 }
        } else {
            SimLock::Ready
        };
    }

    fn on_byte(&mut self, byte: u8, out: &mut Output) {
        if self.settings.echo {
            out.write(&[byte]);
        }
        let is_text = matches!(self.line, Line::Text { .. });
        match &mut self.line {
            Line::Command(entry) => match byte {
                b'\r' => {
                    let entry = std::mem::take(entry);
                    self.run_line(entry, out);
                    self.flush_if_idle(out);
                }
                // The LF of a CRLF-terminated line, or of an empty one.
                b'\n' if entry.bytes.is_empty() => {}
                // gammu sends ESC CR at every connect ("Escaping SMS
                // mode"), smsd Ctrl-Z CR when the modem looks stuck in a
                // prompt: both drop the line and the CR then ends an empty
                // line, which gets no answer.
                ESC | CTRL_Z => *entry = Entry::default(),
                BACKSPACE => entry.pop(),
                _ => entry.push(byte),
            },
            Line::Pdu { entry, .. } | Line::Text { entry, .. } => match byte {
                CTRL_Z => {
                    let line = std::mem::replace(&mut self.line, Line::idle());
                    self.finish_message(line, out);
                    self.flush_if_idle(out);
                }
                ESC => {
                    self.line = Line::idle();
                    self.answer(out, framed("OK"));
                    self.flush_if_idle(out);
                }
                BACKSPACE => entry.pop(),
                // In text mode a CR is part of the message and earns a
                // new prompt (TS 27.005 3.5.1); in PDU mode line ends are
                // noise some clients add before Ctrl-Z.
                b'\r' if is_text => {
                    entry.push(b'\r');
                    self.answer(out, b"\r\n> ".to_vec());
                }
                b'\r' | b'\n' => {}
                _ => entry.push(byte),
            },
        }
    }

    /// Runs one command line: all of it parsed first, then command by
    /// command until one fails; one final result for the line.
    fn run_line(&mut self, entry: Entry, out: &mut Output) {
        // Anything before "AT" is line noise (V.250 5.2.1); a line without
        // it gets no answer.
        let Some(start) = entry
            .bytes
            .windows(2)
            .position(|pair| pair.eq_ignore_ascii_case(b"AT"))
        else {
            return;
        };
        let commands = match command::parse_line(&entry.bytes[start + 2..]) {
            Ok(commands) if !entry.overflow => commands,
            _ => {
                self.answer(out, framed("ERROR"));
                return;
            }
        };
        let mut reply = Reply::default();
        let mut outcome = Ok(Flow::Next);
        for (command_idx, command) in commands.iter().enumerate() {
            let is_last = command_idx + 1 == commands.len();
            outcome = self.execute(command, is_last, &mut reply);
            if !matches!(outcome, Ok(Flow::Next)) {
                break;
            }
        }
        let mut bytes = reply.text;
        match outcome {
            Ok(Flow::Next) => bytes.extend(framed("OK")),
            Ok(Flow::Final(result)) => bytes.extend(framed(result)),
            Ok(Flow::Prompt(line)) => {
                self.line = line;
                bytes.extend_from_slice(b"\r\n> ");
            }
            Err(error) => bytes.extend(framed(&error.result_line(self.settings.cmee))),
        }
        self.answer(out, bytes);
        out.actions.extend(reply.actions);
    }

    fn execute(&mut self, command: &Command, is_last: bool, reply: &mut Reply) -> Outcome {
        let kind = &command.kind;
        match command.name.as_str() {
            "E" => self.echo(kind),
            "Z" | "&F" => self.reset(kind),
            "I" => self.identify(kind, reply),
            "V" | "Q" | "X" | "&C" | "&D" | "&K" | "&W" => self.accepted_basic(&command.name, kind),
            "D" => self.dial(kind),
            "H" | "+CHUP" => self.hang_up(kind),
            "+VTS" => self.dtmf(kind),
            "+CLCC" => self.list_calls(kind, reply),
            "+CLIP" => self.clip(kind, reply),
            "+CPAS" => self.activity(kind, reply),
            "+CMEE" => self.cmee(kind, reply),
            "+CSCS" => self.cscs(kind, reply),
            "+CFUN" => self.cfun(kind, reply),
            "+CPIN" => self.cpin(kind, reply),
            "+CGMI" | "+GMI" => self.identity(kind, reply, self.config.manufacturer.clone()),
            "+CGMM" | "+GMM" => self.identity(kind, reply, self.config.model.clone()),
            "+CGMR" | "+GMR" => self.identity(kind, reply, self.config.revision.clone()),
            "+CGSN" | "+GSN" => self.identity(kind, reply, self.config.imei.clone()),
            "+CIMI" => self.imsi(kind, reply),
            "+CCID" | "+ICCID" => self.iccid(&command.name, kind, reply),
            "+CNUM" => self.own_number(kind, reply),
            "+CBC" => self.battery(kind, reply),
            "+CSQ" => self.signal(kind, reply),
            "+CREG" => self.creg(kind, reply, false),
            "+CGREG" => self.creg(kind, reply, true),
            "+CGATT" => self.cgatt(kind, reply),
            "+COPS" => self.cops(kind, reply),
            "+CMGF" => self.cmgf(kind, reply),
            "+CSCA" => self.csca(kind, reply),
            "+CSMP" => self.csmp(kind, reply),
            "+CPMS" => self.cpms(kind, reply),
            "+CNMI" => self.cnmi(kind, reply),
            "+CNMA" => self.cnma(kind, reply),
            "+CSMS" => self.csms(kind, reply),
            "+CMMS" => self.cmms(kind, reply),
            "+CMGS" => self.cmgs(kind, is_last),
            "+CMGL" => self.cmgl(kind, reply),
            "+CMGR" => self.cmgr(kind, reply),
            "+CMGD" => self.cmgd(kind, reply),
            "+CUSD" => self.cusd(kind, reply),
            _ => Err(CommandError::Error),
        }
    }

    /// Answers (not echo) go through here: the garbage fault replaces the
    /// next one.
    fn answer(&mut self, out: &mut Output, bytes: Vec<u8>) {
        if out.muted {
            return;
        }
        if std::mem::take(&mut self.faults.garbage) {
            out.answer(GARBAGE.to_vec());
        } else {
            out.answer(bytes);
        }
    }

    fn is_idle(&self) -> bool {
        matches!(&self.line, Line::Command(entry) if entry.bytes.is_empty())
            && !self.faults.hang
            && !self.faults.unplugged
            && !self.faults.silence
    }

    fn flush_if_idle(&mut self, out: &mut Output) {
        if !self.is_idle() {
            return;
        }
        while let Some(bytes) = self.unsolicited.pop_front() {
            out.write(&bytes);
        }
    }

    fn queue_unsolicited(&mut self, line: &str) {
        self.unsolicited.push_back(framed(line));
    }

    /// `+CME ERROR` for commands that need the SIM, if it is not usable.
    fn sim_error_cme(&self) -> Option<CommandError> {
        if self.faults.sim_removed {
            return Some(CommandError::Cme(error::CME_SIM_NOT_INSERTED));
        }
        match self.sim {
            SimLock::Ready => None,
            SimLock::Pin { .. } => Some(CommandError::Cme(error::CME_SIM_PIN_REQUIRED)),
            SimLock::Puk { .. } => Some(CommandError::Cme(error::CME_SIM_PUK_REQUIRED)),
        }
    }

    /// `+CMS ERROR` for SMS commands, if the SIM is not usable.
    fn sim_error_cms(&self) -> Option<CommandError> {
        if self.faults.sim_removed {
            return Some(CommandError::Cms(error::CMS_SIM_NOT_INSERTED));
        }
        match self.sim {
            SimLock::Ready => None,
            SimLock::Pin { .. } => Some(CommandError::Cms(error::CMS_SIM_PIN_REQUIRED)),
            SimLock::Puk { .. } => Some(CommandError::Cms(error::CMS_SIM_PUK_REQUIRED)),
        }
    }

    fn puk(&self) -> &str {
        self.config.puk.as_deref().unwrap_or(DEFAULT_PUK)
    }
}

/// TS 24.008 10.5.4.7: 145 for a number with `+`, 129 otherwise.
fn toa_of_number(number: &str) -> u8 {
    if number.starts_with('+') {
        145
    } else {
        129
    }
}

#[cfg(test)]
mod tests;
