//! The engine: one modem's command queue and response parsing, as a state
//! machine driven from outside (quinn-proto style).
//!
//! The caller pushes bytes and time in ([`Engine::handle_input`],
//! [`Engine::handle_timeout`]) and pulls out bytes to write
//! ([`Engine::poll_transmit`]), events ([`Engine::poll_event`]) and the next
//! deadline ([`Engine::poll_timeout`]). One command is in flight at a time;
//! the rest wait in submission order.
//!
//! Which line is what, while a command is in flight:
//!
//! 1. the line after a `+CMT`/`+CDS` header is that code's PDU, if hex;
//! 2. the first hex line after a `+CMGL`/`+CMGR` header is the command's
//!    PDU line (an unsolicited code may come in between);
//! 3. the command's own text, before any answer line, is its echo (the
//!    modem has `ATE1`), and the data after the prompt echoes the same way;
//!    both are dropped;
//! 4. a final result code ends the command;
//! 5. a line with the command's expected prefix is an answer line
//!    ([`Expect`]), except a registration line in the unsolicited shape;
//! 6. a known unsolicited code is a [`Urc`] event, even in the middle of
//!    a response; `^` lines are [`Urc::Vendor`];
//! 7. what is left is an answer line if the command takes any line
//!    ([`Expect::Any`]); otherwise a `+NAME:` line is [`Urc::Unknown`] and
//!    anything else is reported as [`Noise::UnexpectedLine`].
//!
//! After a timeout the engine waits [`Config::settle_time`] before the next
//! command, so that a late answer is not taken for the next command's; a
//! late final result ends the wait early. If the modem was at the `> `
//! prompt, ESC is sent to leave it. [`Config::hung_after`] timeouts in a
//! row raise [`Event::ModemHung`].

use std::collections::VecDeque;
use std::mem;
use std::time::Duration;

use crate::command::{Command, CommandId, Expect};
use crate::error::{CommandError, Phase};
use crate::framer::{Frame, Framer, DEFAULT_MAX_LINE};
use crate::parse::{is_hex_line, ParseError, Registration, RegistrationDomain};
use crate::response::FinalResult;
use crate::time::Time;
use crate::urc::{self, PduHeader, Recognized, Urc};

/// Ctrl-Z: ends the data after the prompt.
const CTRL_Z: u8 = 0x1A;
/// ESC: abandons the data after the prompt.
const ESC: u8 = 0x1B;

/// Timeouts and limits. The defaults follow RouterOS and smstools3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// How long a command without data may take to its final result:
    /// 2 s, RouterOS's handshake timeout. Slow commands (`AT+COPS=?`, a
    /// long `AT+CMGL`) set their own with [`Command::timeout`].
    pub command_timeout: Duration,
    /// How long to wait for the `> ` prompt after `AT+CMGS=<length>`:
    /// 10 s, as smstools3.
    pub prompt_timeout: Duration,
    /// How long to wait for the final result after the data: 60 s, as
    /// RouterOS and smstools3 (the network answers, not just the modem).
    pub data_timeout: Duration,
    /// Quiet time after a timeout before the next command: 500 ms.
    pub settle_time: Duration,
    /// Timeouts in a row that make the modem count as hung: 3 (at least 1).
    pub hung_after: u32,
    /// The longest line kept: [`DEFAULT_MAX_LINE`] bytes (at least
    /// [`MIN_MAX_LINE`](crate::MIN_MAX_LINE)).
    pub max_line: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            command_timeout: Duration::from_secs(2),
            prompt_timeout: Duration::from_secs(10),
            data_timeout: Duration::from_secs(60),
            settle_time: Duration::from_millis(500),
            hung_after: 3,
            max_line: DEFAULT_MAX_LINE,
        }
    }
}

/// What the engine has to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A command finished: final result, timeout or cancellation.
    Completed(Completion),
    /// An unsolicited result code.
    Urc(Urc),
    /// A line with the prefix of an unsolicited code whose parameters do
    /// not fit it.
    MalformedUrc {
        /// The line.
        line: String,
        /// What is wrong with it.
        error: ParseError,
    },
    /// Input that was skipped or repaired; worth a log line.
    Noise(Noise),
    /// This many commands in a row got no answer: the modem is not
    /// answering. Raised once per run of timeouts; a final result ends
    /// the run.
    ModemHung {
        /// The timeouts so far.
        consecutive_timeouts: u32,
    },
}

/// Input that was skipped or repaired.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Noise {
    /// A line was not UTF-8; invalid bytes became U+FFFD and the line was
    /// used as such.
    InvalidUtf8 {
        /// The repaired line.
        line: String,
    },
    /// A line reached the length limit; it was dropped.
    OverlongLine {
        /// The limit.
        limit: usize,
        /// How the line started.
        start: String,
    },
    /// A line nobody claimed: not an answer to the command in flight, not
    /// an unsolicited code; also a late answer after a timeout.
    UnexpectedLine {
        /// The line.
        line: String,
    },
    /// A `+CMT` or `+CDS` header was not followed by a PDU line.
    MissingPdu {
        /// The header line.
        header: String,
    },
}

/// A finished command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The id [`Engine::submit`] gave.
    pub id: CommandId,
    /// The command line, for messages.
    pub command: String,
    /// Its information lines, in order, without echo and final result.
    pub lines: Vec<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// For a command with data: whether the data was sent.
    pub data_sent: Option<bool>,
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// With this final result code.
    Final(FinalResult),
    /// Without a final result in time.
    TimedOut {
        /// What it was waiting for.
        phase: Phase,
        /// How long it waited.
        after: Duration,
    },
    /// By [`Engine::reset`].
    Cancelled,
}

impl Completion {
    /// The information lines if the command succeeded, else why not.
    pub fn result(&self) -> Result<&[String], CommandError> {
        let command = self.command.clone();
        match &self.outcome {
            Outcome::Final(result) if result.is_success() => {
                if self.data_sent == Some(false) {
                    return Err(CommandError::NoPrompt {
                        command,
                        result: result.clone(),
                    });
                }
                Ok(&self.lines)
            }
            Outcome::Final(result) if result.is_unsupported() => Err(CommandError::Unsupported {
                command,
                result: result.clone(),
            }),
            Outcome::Final(result) => Err(CommandError::Rejected {
                command,
                result: result.clone(),
            }),
            &Outcome::TimedOut { phase, after } => Err(CommandError::TimedOut {
                command,
                phase,
                after,
            }),
            Outcome::Cancelled => Err(CommandError::Cancelled { command }),
        }
    }
}

/// The AT engine of one modem. See the module docs.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    framer: Framer,
    queue: VecDeque<(CommandId, Command)>,
    state: State,
    next_id: u64,
    /// A `+CMT`/`+CDS` header waiting for its PDU line.
    pending_urc: Option<PduHeader>,
    escape_due: bool,
    events: VecDeque<Event>,
    consecutive_timeouts: u32,
    hung_reported: bool,
}

#[derive(Debug)]
enum State {
    /// Nothing in flight.
    Idle,
    /// After a timeout, until this time: nothing is sent.
    Settling { until: Time },
    /// A command is in flight.
    Busy(Box<InFlight>),
}

#[derive(Debug)]
struct InFlight {
    id: CommandId,
    command: Command,
    step: Step,
    deadline: Time,
    /// The timeout that set `deadline`, for the report.
    waited: Duration,
    lines: Vec<String>,
    echo_seen: bool,
    data_echo_seen: bool,
    /// The last line was a `+CMGL`/`+CMGR` header.
    pdu_line_due: bool,
    data_sent: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Sent a command with data; waiting for `> `.
    Prompt,
    /// Got the prompt; the data is waiting for `poll_transmit`.
    DataReady,
    /// Sent a command without data; waiting for its final result.
    Response,
    /// Sent the data; waiting for the final result.
    AfterData,
}

impl Step {
    fn phase(self) -> Phase {
        match self {
            Step::Prompt => Phase::Prompt,
            Step::Response => Phase::Response,
            Step::DataReady | Step::AfterData => Phase::AfterData,
        }
    }
}

/// Whether a command claims a line by its prefix.
enum Claim {
    No,
    Line,
    LineThenPdu,
}

impl Engine {
    /// An engine with nothing queued.
    pub fn new(config: Config) -> Engine {
        Engine {
            framer: Framer::new(config.max_line),
            config,
            queue: VecDeque::new(),
            state: State::Idle,
            next_id: 1,
            pending_urc: None,
            escape_due: false,
            events: VecDeque::new(),
            consecutive_timeouts: 0,
            hung_reported: false,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Queues a command. It is sent by a later [`Engine::poll_transmit`],
    /// once the commands before it have finished.
    pub fn submit(&mut self, command: Command) -> CommandId {
        let id = CommandId(self.next_id);
        self.next_id += 1;
        self.queue.push_back((id, command));
        id
    }

    /// Takes bytes read from the modem at `now`. Deadlines up to `now`
    /// expire first: an answer that arrives late counts as late.
    pub fn handle_input(&mut self, bytes: &[u8], now: Time) {
        self.expire(now);
        self.framer.push(bytes);
        while let Some(frame) = self.framer.next_frame(self.prompt_due()) {
            self.on_frame(frame, now);
        }
    }

    /// Lets deadlines up to `now` expire. Call it when the time from
    /// [`Engine::poll_timeout`] comes.
    pub fn handle_timeout(&mut self, now: Time) {
        self.expire(now);
    }

    /// The next bytes to write to the modem, if any: ESC to leave a prompt
    /// after a timeout, the data after a prompt (hex and Ctrl-Z), or the
    /// next command line (with CR). A command's deadline starts here, so
    /// call it right before writing.
    pub fn poll_transmit(&mut self, now: Time) -> Option<Vec<u8>> {
        self.expire(now);
        if self.escape_due {
            self.escape_due = false;
            return Some(vec![ESC]);
        }
        match &mut self.state {
            State::Busy(flight) if flight.step == Step::DataReady => {
                let data = flight.command.data().unwrap_or_default();
                let mut bytes = Vec::with_capacity(data.len() + 1);
                bytes.extend_from_slice(data.as_bytes());
                bytes.push(CTRL_Z);
                let timeout = flight
                    .command
                    .data_timeout_override()
                    .unwrap_or(self.config.data_timeout);
                flight.step = Step::AfterData;
                flight.data_sent = true;
                flight.deadline = now + timeout;
                flight.waited = timeout;
                Some(bytes)
            }
            State::Idle => {
                let (id, command) = self.queue.pop_front()?;
                let mut bytes = Vec::with_capacity(command.text().len() + 1);
                bytes.extend_from_slice(command.text().as_bytes());
                bytes.push(b'\r');
                let (step, timeout) = if command.data().is_some() {
                    let timeout = command
                        .prompt_timeout_override()
                        .unwrap_or(self.config.prompt_timeout);
                    (Step::Prompt, timeout)
                } else {
                    let timeout = command.timeout_override().unwrap_or(self.config.command_timeout);
                    (Step::Response, timeout)
                };
                self.state = State::Busy(Box::new(InFlight {
                    id,
                    command,
                    step,
                    deadline: now + timeout,
                    waited: timeout,
                    lines: Vec::new(),
                    echo_seen: false,
                    data_echo_seen: false,
                    pdu_line_due: false,
                    data_sent: false,
                }));
                Some(bytes)
            }
            State::Busy(_) | State::Settling { .. } => None,
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Engine::handle_timeout`] should be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Time> {
        match &self.state {
            State::Idle => None,
            State::Settling { until } => Some(*until),
            State::Busy(flight) => Some(flight.deadline),
        }
    }

    /// The command in flight, if any.
    pub fn in_flight(&self) -> Option<CommandId> {
        match &self.state {
            State::Busy(flight) => Some(flight.id),
            State::Idle | State::Settling { .. } => None,
        }
    }

    /// How many commands wait behind the one in flight.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Bytes of an unfinished line held; always below [`Config::max_line`]
    /// between calls.
    pub fn buffered(&self) -> usize {
        self.framer.buffered()
    }

    /// Cancels the command in flight and every queued one (each completes
    /// as [`Outcome::Cancelled`]) and forgets partial input: for a port
    /// that was closed and opened again.
    pub fn reset(&mut self) {
        if let State::Busy(flight) = mem::replace(&mut self.state, State::Idle) {
            let completion = completion(*flight, Outcome::Cancelled);
            self.events.push_back(Event::Completed(completion));
        }
        for (id, command) in mem::take(&mut self.queue) {
            self.events.push_back(Event::Completed(Completion {
                id,
                data_sent: command.data().map(|_| false),
                command: command.text().to_owned(),
                lines: Vec::new(),
                outcome: Outcome::Cancelled,
            }));
        }
        self.framer.clear();
        self.pending_urc = None;
        self.escape_due = false;
        self.consecutive_timeouts = 0;
        self.hung_reported = false;
    }

    fn prompt_due(&self) -> bool {
        matches!(&self.state, State::Busy(flight) if flight.step == Step::Prompt)
    }

    fn expire(&mut self, now: Time) {
        if let State::Busy(flight) = &self.state {
            if flight.deadline <= now {
                let outcome = Outcome::TimedOut {
                    phase: flight.step.phase(),
                    after: flight.waited,
                };
                self.finish(outcome, now);
            }
        }
        if let State::Settling { until } = self.state {
            if until <= now {
                self.state = State::Idle;
            }
        }
    }

    fn on_frame(&mut self, frame: Frame, now: Time) {
        match frame {
            Frame::Prompt => {
                if let State::Busy(flight) = &mut self.state {
                    let timeout = flight
                        .command
                        .data_timeout_override()
                        .unwrap_or(self.config.data_timeout);
                    flight.step = Step::DataReady;
                    flight.deadline = now + timeout;
                    flight.waited = timeout;
                }
            }
            Frame::Overlong { limit, start } => {
                if let Some(header) = self.pending_urc.take() {
                    self.noise(Noise::MissingPdu { header: header.line });
                }
                if let State::Busy(flight) = &mut self.state {
                    flight.pdu_line_due = false;
                }
                self.noise(Noise::OverlongLine { limit, start });
            }
            Frame::Line(line) => {
                if line.lossy {
                    self.noise(Noise::InvalidUtf8 {
                        line: line.text.clone(),
                    });
                }
                self.on_line(line.text, now);
            }
        }
    }

    fn on_line(&mut self, text: String, now: Time) {
        if let Some(header) = self.pending_urc.take() {
            if let Some(urc) = header.complete(&text) {
                self.events.push_back(Event::Urc(urc));
                return;
            }
            self.noise(Noise::MissingPdu { header: header.line });
        }
        let final_result = FinalResult::parse(&text);
        let State::Busy(flight) = &mut self.state else {
            if final_result.is_some() {
                // A late answer to a command that timed out: the modem is
                // done with it, so the wait for quiet can end now.
                if matches!(self.state, State::Settling { .. }) {
                    self.state = State::Idle;
                }
                self.noise(Noise::UnexpectedLine { line: text });
            } else {
                self.unsolicited(text);
            }
            return;
        };
        // The PDU line after a `+CMGL`/`+CMGR` header. An unsolicited code
        // between the two leaves it due.
        if flight.pdu_line_due && is_hex_line(&text) {
            flight.pdu_line_due = false;
            flight.lines.push(text);
            return;
        }
        if !flight.echo_seen && flight.lines.is_empty() && text.eq_ignore_ascii_case(flight.command.text()) {
            flight.echo_seen = true;
            return;
        }
        if flight.step == Step::AfterData
            && !flight.data_echo_seen
            && flight
                .command
                .data()
                .is_some_and(|data| text.eq_ignore_ascii_case(data))
        {
            flight.data_echo_seen = true;
            return;
        }
        if let Some(result) = final_result {
            self.finish(Outcome::Final(result), now);
            return;
        }
        match claim(flight.command.expected(), &text) {
            Claim::Line => {
                flight.lines.push(text);
                flight.pdu_line_due = false;
            }
            Claim::LineThenPdu => {
                flight.lines.push(text);
                flight.pdu_line_due = true;
            }
            Claim::No => self.unsolicited(text),
        }
    }

    /// A line the command in flight (if any) did not claim by prefix.
    fn unsolicited(&mut self, text: String) {
        let takes_any =
            matches!(&self.state, State::Busy(flight) if *flight.command.expected() == Expect::Any);
        match urc::recognize(&text) {
            Some(Recognized::Urc(urc)) => self.events.push_back(Event::Urc(urc)),
            Some(Recognized::AwaitPdu(header)) => self.pending_urc = Some(header),
            Some(Recognized::Malformed(_)) if takes_any => self.push_line(text),
            Some(Recognized::Malformed(error)) => {
                self.events.push_back(Event::MalformedUrc { line: text, error });
            }
            None if text.starts_with('^') => self.events.push_back(Event::Urc(Urc::Vendor(text))),
            None if takes_any => self.push_line(text),
            None if looks_like_result_code(&text) => self.events.push_back(Event::Urc(Urc::Unknown(text))),
            None => self.noise(Noise::UnexpectedLine { line: text }),
        }
    }

    fn push_line(&mut self, text: String) {
        if let State::Busy(flight) = &mut self.state {
            flight.lines.push(text);
        }
    }

    fn finish(&mut self, outcome: Outcome, now: Time) {
        let State::Busy(flight) = mem::replace(&mut self.state, State::Idle) else {
            return;
        };
        let timed_out = matches!(outcome, Outcome::TimedOut { .. });
        if timed_out {
            self.consecutive_timeouts = self.consecutive_timeouts.saturating_add(1);
            self.state = State::Settling {
                until: now + self.config.settle_time,
            };
            if matches!(flight.step, Step::Prompt | Step::DataReady) {
                self.escape_due = true;
            }
        } else {
            self.consecutive_timeouts = 0;
            self.hung_reported = false;
        }
        self.events
            .push_back(Event::Completed(completion(*flight, outcome)));
        if timed_out && !self.hung_reported && self.consecutive_timeouts >= self.config.hung_after.max(1) {
            self.hung_reported = true;
            self.events.push_back(Event::ModemHung {
                consecutive_timeouts: self.consecutive_timeouts,
            });
        }
    }

    fn noise(&mut self, noise: Noise) {
        self.events.push_back(Event::Noise(noise));
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(Config::default())
    }
}

fn completion(flight: InFlight, outcome: Outcome) -> Completion {
    Completion {
        id: flight.id,
        data_sent: flight.command.data().map(|_| flight.data_sent),
        command: flight.command.text().to_owned(),
        lines: flight.lines,
        outcome,
    }
}

fn claim(expect: &Expect, text: &str) -> Claim {
    let (prefix, then_pdu) = match expect {
        Expect::Prefix(prefix) => (prefix, false),
        Expect::PrefixThenPdu(prefix) => (prefix, true),
        Expect::Nothing | Expect::Any => return Claim::No,
    };
    let Some(params) = text.strip_prefix(prefix.as_str()) else {
        return Claim::No;
    };
    // `+CREG: 1,"00C3",...` during `AT+CREG?` is the unsolicited code that
    // happened to arrive then, not the answer (which starts with <n>).
    if RegistrationDomain::of_line(text).is_some() && Registration::looks_unsolicited(text, params) {
        return Claim::No;
    }
    if then_pdu {
        Claim::LineThenPdu
    } else {
        Claim::Line
    }
}

/// `+NAME:` with a name of letters and digits.
fn looks_like_result_code(text: &str) -> bool {
    let Some((name, _)) = text.split_once(':') else {
        return false;
    };
    name.strip_prefix('+')
        .is_some_and(|name| !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completion(command: &str, outcome: Outcome, data_sent: Option<bool>) -> Completion {
        Completion {
            id: CommandId(1),
            command: command.to_owned(),
            lines: vec!["+CMGS: 5".to_owned()],
            outcome,
            data_sent,
        }
    }

    fn final_result(line: &str) -> Outcome {
        Outcome::Final(FinalResult::parse(line).unwrap())
    }

    #[test]
    fn defaults_follow_routeros_and_smsd() {
        let config = Config::default();
        assert_eq!(config.command_timeout, Duration::from_secs(2));
        assert_eq!(config.prompt_timeout, Duration::from_secs(10));
        assert_eq!(config.data_timeout, Duration::from_secs(60));
        assert_eq!(config.hung_after, 3);
        assert_eq!(config.max_line, 4096);
    }

    #[test]
    fn results_by_cause() {
        let ok = completion("AT+CMGS=29", final_result("OK"), Some(true));
        assert_eq!(ok.result().unwrap(), ["+CMGS: 5"]);
        let cases = [
            (
                completion("AT+CMGS=29", final_result("+CMS ERROR: 38"), Some(true)),
                "AT+CMGS=29: +CMS ERROR: 38 (network out of order)",
            ),
            (
                completion("AT+CMGS=29", final_result("OK"), Some(false)),
                "AT+CMGS=29: the modem answered OK instead of the \"> \" prompt",
            ),
            (
                completion("AT+CLAC", final_result("+CME ERROR: 4"), None),
                "AT+CLAC: not supported by the modem (+CME ERROR: 4 (operation not supported))",
            ),
            (
                completion(
                    "AT",
                    Outcome::TimedOut {
                        phase: Phase::Response,
                        after: Duration::from_secs(2),
                    },
                    None,
                ),
                "AT: no answer within 2 s while waiting for the response",
            ),
            (
                completion(
                    "AT+CMGS=29",
                    Outcome::TimedOut {
                        phase: Phase::Prompt,
                        after: Duration::from_millis(10_500),
                    },
                    Some(false),
                ),
                "AT+CMGS=29: no answer within 10.5 s while waiting for the \"> \" prompt",
            ),
            (completion("AT", Outcome::Cancelled, None), "AT: cancelled"),
        ];
        for (completion, message) in cases {
            assert_eq!(completion.result().unwrap_err().to_string(), message);
        }
    }

    fn run(engine: &mut Engine, command: &str, answer: &[u8]) -> Vec<Event> {
        engine.submit(Command::new(command).unwrap());
        engine.poll_transmit(Time::ZERO).unwrap();
        engine.handle_input(answer, Time::ZERO);
        std::iter::from_fn(|| engine.poll_event()).collect()
    }

    #[test]
    fn echo_is_dropped_only_before_the_answer() {
        let mut engine = Engine::default();
        // A bare-value command whose value happens to equal its text.
        let events = run(&mut engine, "ATI", b"ATI\r\r\nATI\r\n\r\nOK\r\n");
        let [Event::Completed(completion)] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(completion.lines, ["ATI"]);
    }

    #[test]
    fn lines_nobody_claims() {
        let mut engine = Engine::default();
        let events = run(&mut engine, "AT+CMGF=0", b"\r\nhello\r\n\r\nOK\r\n");
        assert_eq!(
            events[0],
            Event::Noise(Noise::UnexpectedLine {
                line: "hello".to_owned()
            })
        );
        // A chained command takes every line, even one that looks like a
        // malformed code.
        let events = run(&mut engine, "AT+CMEE=1;+CREG?", b"\r\n+CREG: 2,1\r\n\r\nOK\r\n");
        let [Event::Completed(completion)] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(completion.lines, ["+CREG: 2,1"]);
    }

    #[test]
    fn hung_after_zero_counts_as_one() {
        let mut engine = Engine::new(Config {
            hung_after: 0,
            ..Config::default()
        });
        engine.submit(Command::new("AT").unwrap());
        engine.poll_transmit(Time::ZERO).unwrap();
        engine.handle_timeout(Time::from_millis(2000));
        let events: Vec<Event> = std::iter::from_fn(|| engine.poll_event()).collect();
        assert!(matches!(
            events[..],
            [
                Event::Completed(_),
                Event::ModemHung {
                    consecutive_timeouts: 1
                }
            ]
        ));
    }
}
