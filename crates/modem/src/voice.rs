//! Voice calls with DTMF tones, smstools3's `Voicecall: yes`: dial
//! `ATD<number>;`, wait for the callee to pick up, play the tones with
//! `AT+VTS` a number of times, hang up with `AT+CHUP` (`ATH` when that
//! fails).
//!
//! When is a call answered? Modems disagree: some answer `ATD...;` with
//! `OK` only once the callee picks up (smsd's default assumption), others
//! at once, when the call is set up (smsd's `voicecall_cpas` then polls
//! `AT+CPAS`). `AT+CPAS` cannot tell ringing from talking on most modems
//! (both are 4, "call in progress"), so after `OK` the driver asks
//! `AT+CLCC` (TS 27.007 7.18) every second: `<stat>` 0 is answered, 2 and
//! 3 (dialling, alerting) keep it waiting until the `TIME:` limit, no
//! call means it ended unanswered. A modem that refuses `AT+CLCC` is
//! taken at its `OK`, as smsd does. The limit covers both: it bounds the
//! wait for `ATD`'s answer and the polling after it.
//!
//! Tones go one per `AT+VTS=<tone>`, the form every modem takes (TS
//! 27.007 C.2.11); smsd's `voicecall_vts_list` alternatives are vendor
//! dependent. A modem whose `AT+CHUP` fails gets `ATH` (smsd's
//! `voicecall_hangup_ath`), and the hang-up is tried on every path, also
//! after errors and timeouts.
//!
//! [`CallMachine`] decides, without I/O or a clock (the time is passed
//! in); [`Actor::voice_call`] runs its steps on the port.

use std::time::Duration;

use at::{Command, FinalResult, Outcome};
use tokio::time::Instant;

use crate::actor::Actor;
use crate::error::ModemError;

/// A call to place ([`crate::ModemHandle::voice_call`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoiceCall {
    /// Whom to call: digits, an optional leading `+`, `*` and `#`.
    pub number: String,
    /// The DTMF tones, `0`-`9`, `*`, `#`, `A`-`D`, played in order.
    pub tones: String,
    /// How many times to play them (smstools3's default is 3).
    pub repeat: u8,
    /// How long the callee may take to answer, counted from the dial
    /// (smstools3's `TIME:`).
    pub answer_timeout: Duration,
    /// The pause before each round of tones, so that the callee hears
    /// the rounds apart and has the phone at the ear for the first.
    pub round_pause: Duration,
}

/// What became of a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallReport {
    /// Whether the call may have reached the network: false only when
    /// the modem refused `ATD` outright (`ERROR`, `+CME ERROR`), so that
    /// nobody was called and trying again repeats nothing.
    pub placed: bool,
    /// Whether the callee picked up (or the modem, lacking `AT+CLCC`,
    /// said `OK` to the dial).
    pub answered: bool,
    /// How many rounds of tones were played in full.
    pub rounds_played: u8,
    /// Why the call ended before every round was played, naming the
    /// step (`ATD+4917200000001;: BUSY`); `None` when all went well.
    pub problem: Option<String>,
    /// Why the call may still be up: both `AT+CHUP` and `ATH` failed, or
    /// the port went away.
    pub hang_up_problem: Option<String>,
}

/// What the shell must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send this command line and wait this long for its final result.
    Command { line: String, timeout: Duration },
    /// Keep reading the port this long, then report [`Answer::Paused`].
    Pause(Duration),
    /// The call is over.
    Done(CallReport),
}

/// How the last step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The command's final result, with its information lines.
    Final { result: FinalResult, lines: Vec<String> },
    /// No final result in time.
    TimedOut,
    /// The port went away (or the engine was reset).
    Lost(String),
    /// A [`Step::Pause`] is over.
    Paused,
}

/// How often a ringing call is looked at.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// For `AT+CLCC`, `AT+CHUP` and `ATH`, which the modem answers itself.
const QUICK_TIMEOUT: Duration = Duration::from_secs(5);

/// `AT+VTS` returns once the tone has played (its length is `+VTD`).
const TONE_TIMEOUT: Duration = Duration::from_secs(10);

/// The call's progress. See the module docs.
#[derive(Debug)]
pub(crate) struct CallMachine {
    call: VoiceCall,
    state: State,
    report: CallReport,
    /// Why `AT+CHUP` failed, while `ATH` is tried.
    chup_failure: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Dialling,
    Ringing,
    Tones { round: u8, tone_idx: usize },
    HangingUp { with_ath: bool },
    Done,
}

impl CallMachine {
    pub(crate) fn new(call: VoiceCall) -> CallMachine {
        CallMachine {
            call,
            state: State::Dialling,
            report: CallReport::default(),
            chup_failure: None,
        }
    }

    /// The first step: the dial. `now` is counted from here.
    pub(crate) fn start(&self) -> Step {
        Step::Command {
            line: self.dial_line(),
            timeout: self.call.answer_timeout,
        }
    }

    /// The step after `answer`; `now` is the time since [`Self::start`],
    /// `stray` the lines nobody claimed meanwhile (a `NO CARRIER` that
    /// came between two commands).
    pub(crate) fn next(&mut self, answer: Answer, now: Duration, stray: &[String]) -> Step {
        if let Answer::Lost(cause) = answer {
            return self.lost(&cause);
        }
        match self.state {
            State::Dialling => self.after_dial(answer),
            State::Ringing => self.while_ringing(answer, now, stray),
            State::Tones { round, tone_idx } => self.after_tone(answer, round, tone_idx, stray),
            State::HangingUp { with_ath } => self.after_hang_up(answer, with_ath),
            State::Done => Step::Done(self.report.clone()),
        }
    }

    fn after_dial(&mut self, answer: Answer) -> Step {
        let dial = self.dial_line();
        match answer {
            Answer::Final {
                result: FinalResult::Ok,
                ..
            } => {
                self.report.placed = true;
                self.state = State::Ringing;
                self.poll()
            }
            Answer::Final { result, .. } => {
                // BUSY, NO ANSWER, NO CARRIER, NO DIALTONE come from the
                // network's side of a call; ERROR and +CME ERROR are the
                // modem refusing to dial at all.
                self.report.placed = ends_call(&result);
                self.hang_up(format!("{dial}: {result}"))
            }
            Answer::TimedOut => {
                self.report.placed = true;
                let problem = format!(
                    "no answer within {} s ({dial})",
                    seconds(self.call.answer_timeout)
                );
                self.hang_up(problem)
            }
            Answer::Paused | Answer::Lost(_) => self.hang_up(format!("{dial}: no result")),
        }
    }

    fn while_ringing(&mut self, answer: Answer, now: Duration, stray: &[String]) -> Step {
        if let Some(end) = call_ended(stray) {
            return self.hang_up(format!("{end} while the call was ringing"));
        }
        let timed_out = || format!("no answer within {} s", seconds(self.call.answer_timeout));
        match answer {
            Answer::Paused => self.poll(),
            Answer::Final {
                result: FinalResult::Ok,
                lines,
            } => match outgoing_call_stat(&lines) {
                Some(STAT_ACTIVE) => self.answered(),
                Some(_) if now >= self.call.answer_timeout => self.hang_up(timed_out()),
                Some(_) => Step::Pause(POLL_INTERVAL.min(self.call.answer_timeout - now)),
                None => {
                    self.hang_up("the call ended before it was answered (AT+CLCC lists no call)".to_owned())
                }
            },
            Answer::Final { result, .. } if ends_call(&result) => self.hang_up(format!(
                "AT+CLCC: {result} (the call ended before it was answered)"
            )),
            // No AT+CLCC on this modem: its OK to the dial has to mean
            // answered, as smsd takes it.
            Answer::Final { .. } => self.answered(),
            Answer::TimedOut => {
                self.hang_up(format!("AT+CLCC: no answer within {} s", seconds(QUICK_TIMEOUT)))
            }
            Answer::Lost(_) => self.hang_up(timed_out()),
        }
    }

    fn answered(&mut self) -> Step {
        self.report.answered = true;
        if self.call.tones.is_empty() || self.call.repeat == 0 {
            return self.hang_up_after_success();
        }
        self.state = State::Tones {
            round: 0,
            tone_idx: 0,
        };
        Step::Pause(self.call.round_pause)
    }

    fn after_tone(&mut self, answer: Answer, round: u8, tone_idx: usize, stray: &[String]) -> Step {
        if let Some(end) = call_ended(stray) {
            return self.hang_up(format!("{end}: the callee hung up"));
        }
        let line = self.tone_line(tone_idx);
        match answer {
            Answer::Paused => Step::Command {
                line,
                timeout: TONE_TIMEOUT,
            },
            Answer::Final {
                result: FinalResult::Ok,
                ..
            } => {
                let tone_idx = tone_idx + 1;
                if tone_idx < self.call.tones.chars().count() {
                    self.state = State::Tones { round, tone_idx };
                    return Step::Command {
                        line: self.tone_line(tone_idx),
                        timeout: TONE_TIMEOUT,
                    };
                }
                let round = round + 1;
                self.report.rounds_played = round;
                if round >= self.call.repeat {
                    return self.hang_up_after_success();
                }
                self.state = State::Tones { round, tone_idx: 0 };
                Step::Pause(self.call.round_pause)
            }
            Answer::Final { result, .. } => self.hang_up(format!("{line}: {result}")),
            Answer::TimedOut => self.hang_up(format!("{line}: no answer within {} s", seconds(TONE_TIMEOUT))),
            Answer::Lost(_) => self.hang_up(format!("{line}: no result")),
        }
    }

    fn hang_up(&mut self, problem: String) -> Step {
        self.report.problem = Some(problem);
        self.hang_up_after_success()
    }

    fn hang_up_after_success(&mut self) -> Step {
        self.state = State::HangingUp { with_ath: false };
        Step::Command {
            line: "AT+CHUP".to_owned(),
            timeout: QUICK_TIMEOUT,
        }
    }

    fn after_hang_up(&mut self, answer: Answer, with_ath: bool) -> Step {
        let command = if with_ath { "ATH" } else { "AT+CHUP" };
        let failure = match answer {
            // NO CARRIER: there was no call (left) to end.
            Answer::Final {
                result: FinalResult::Ok | FinalResult::NoCarrier,
                ..
            } => None,
            Answer::Final { result, .. } => Some(format!("{command}: {result}")),
            Answer::TimedOut => Some(format!(
                "{command}: no answer within {} s",
                seconds(QUICK_TIMEOUT)
            )),
            Answer::Paused | Answer::Lost(_) => Some(format!("{command}: no result")),
        };
        match failure {
            None => self.done(),
            Some(failure) if !with_ath => {
                self.chup_failure = Some(failure);
                self.state = State::HangingUp { with_ath: true };
                Step::Command {
                    line: "ATH".to_owned(),
                    timeout: QUICK_TIMEOUT,
                }
            }
            Some(failure) => {
                let first = self.chup_failure.take().unwrap_or_default();
                self.report.hang_up_problem = Some(format!("{first}; {failure}"));
                self.done()
            }
        }
    }

    /// The port went away: nothing more can be sent, not even the
    /// hang-up; the modem drops the call when it resets.
    fn lost(&mut self, cause: &str) -> Step {
        match self.state {
            State::HangingUp { .. } | State::Done => {}
            State::Dialling => {
                // The dial was written: the phone may have rung.
                self.report.placed = true;
                self.report.problem =
                    Some(format!("the port went away during {}: {cause}", self.dial_line()));
            }
            _ => self.report.problem = Some(format!("the port went away during the call: {cause}")),
        }
        if self.state != State::Done {
            self.report.hang_up_problem = Some(format!("not hung up: the port went away ({cause})"));
        }
        self.done()
    }

    fn done(&mut self) -> Step {
        self.state = State::Done;
        Step::Done(self.report.clone())
    }

    fn poll(&self) -> Step {
        Step::Command {
            line: "AT+CLCC".to_owned(),
            timeout: QUICK_TIMEOUT,
        }
    }

    fn dial_line(&self) -> String {
        format!("ATD{};", self.call.number)
    }

    fn tone_line(&self, tone_idx: usize) -> String {
        let tone = self.call.tones.chars().nth(tone_idx).unwrap_or('#');
        format!("AT+VTS={tone}")
    }
}

impl VoiceCall {
    /// Refuses what would not make a valid command line.
    pub(crate) fn check(&self) -> Result<(), at::InvalidCommand> {
        let number = self.number.strip_prefix('+').unwrap_or(&self.number);
        if number.is_empty()
            || !number
                .chars()
                .all(|ch| ch.is_ascii_digit() || matches!(ch, '*' | '#'))
        {
            return Err(at::InvalidCommand {
                text: self.number.clone(),
                reason: "a number to call is digits, * and #, with an optional leading +",
            });
        }
        if !self
            .tones
            .chars()
            .all(|ch| ch.is_ascii_digit() || matches!(ch, '*' | '#' | 'A'..='D'))
        {
            return Err(at::InvalidCommand {
                text: self.tones.clone(),
                reason: "DTMF tones are 0-9, *, # and A-D",
            });
        }
        Ok(())
    }
}

impl Actor {
    /// Runs a [`CallMachine`] on the port.
    pub(crate) async fn voice_call(&mut self, call: VoiceCall) -> Result<CallReport, ModemError> {
        call.check()?;
        let mut machine = CallMachine::new(call);
        let start = Instant::now();
        let mut step = machine.start();
        loop {
            let answer = match step {
                Step::Done(report) => {
                    if let Some(problem) = &report.hang_up_problem {
                        tracing::warn!(target: "modem", "{}: the call may still be up: {problem}", self.port);
                    }
                    return Ok(report);
                }
                Step::Command { line, timeout } => {
                    let command = Command::new(line)?.timeout(timeout);
                    match self.exec(command).await {
                        Ok(completion) => match completion.outcome {
                            Outcome::Final(result) => Answer::Final {
                                result,
                                lines: completion.lines,
                            },
                            Outcome::TimedOut { .. } => Answer::TimedOut,
                            Outcome::Cancelled => Answer::Lost("cancelled".to_owned()),
                        },
                        Err(lost) => Answer::Lost(lost.cause),
                    }
                }
                Step::Pause(pause) => match self.pause_until(Instant::now() + pause).await {
                    Ok(()) => Answer::Paused,
                    Err(lost) => Answer::Lost(lost.cause),
                },
            };
            let stray = std::mem::take(&mut self.unclaimed);
            step = machine.next(answer, start.elapsed(), &stray);
        }
    }
}

/// `+CLCC` `<stat>` 0: active (TS 27.007 7.18).
const STAT_ACTIVE: u8 = 0;

/// The `<stat>` of the first outgoing voice call in `+CLCC` lines
/// (`+CLCC: <id>,<dir>,<stat>,<mode>,<mpty>[,...]`, `<dir>` 0 outgoing,
/// `<mode>` 0 voice); `None` when there is none.
fn outgoing_call_stat(lines: &[String]) -> Option<u8> {
    lines.iter().find_map(|line| {
        let fields: Vec<&str> = line.strip_prefix("+CLCC:")?.split(',').map(str::trim).collect();
        let number = |idx: usize| fields.get(idx)?.parse::<u8>().ok();
        (number(1)? == 0 && number(3)? == 0).then_some(number(2)?)
    })
}

/// Whether a final result says the call is over (or never was).
fn ends_call(result: &FinalResult) -> bool {
    matches!(
        result,
        FinalResult::NoCarrier | FinalResult::Busy | FinalResult::NoAnswer | FinalResult::NoDialtone
    )
}

/// The first stray line that ends the call, as the modem wrote it.
fn call_ended(stray: &[String]) -> Option<&str> {
    stray
        .iter()
        .find(|line| FinalResult::parse(line).is_some_and(|result| ends_call(&result)))
        .map(|line| line.trim())
}

fn seconds(duration: Duration) -> String {
    format!("{}", duration.as_secs_f32())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(tones: &str, repeat: u8) -> VoiceCall {
        VoiceCall {
            number: "+4917200000001".to_owned(),
            tones: tones.to_owned(),
            repeat,
            answer_timeout: Duration::from_secs(15),
            round_pause: Duration::from_secs(1),
        }
    }

    fn ok(lines: &[&str]) -> Answer {
        Answer::Final {
            result: FinalResult::Ok,
            lines: lines.iter().map(|line| line.to_string()).collect(),
        }
    }

    fn result(result: FinalResult) -> Answer {
        Answer::Final {
            result,
            lines: Vec::new(),
        }
    }

    /// Drives the machine with `answers`, each at the time given, and
    /// returns the command lines it sent, pauses as `pause`, and the
    /// report.
    fn run(call: VoiceCall, answers: Vec<(Answer, u64)>) -> (Vec<String>, CallReport) {
        let mut machine = CallMachine::new(call);
        let mut steps = vec![machine.start()];
        for (answer, at_s) in answers {
            let step = machine.next(answer, Duration::from_secs(at_s), &[]);
            steps.push(step);
        }
        let mut lines = Vec::new();
        let mut report = None;
        for step in steps {
            match step {
                Step::Command { line, .. } => lines.push(line),
                Step::Pause(_) => lines.push("pause".to_owned()),
                Step::Done(done) => report = Some(done),
            }
        }
        (lines, report.expect("the call did not end"))
    }

    const ACTIVE: &str = "+CLCC: 1,0,0,0,0,\"+4917200000001\",145";
    const ALERTING: &str = "+CLCC: 1,0,3,0,0,\"+4917200000001\",145";

    #[test]
    fn answered_call_plays_every_round_and_hangs_up() {
        let mut answers = vec![(ok(&[]), 0), (ok(&[ACTIVE]), 0)];
        for _round in 0..2 {
            answers.push((Answer::Paused, 1));
            answers.extend((0..3).map(|_| (ok(&[]), 1)));
        }
        answers.push((ok(&[]), 3));
        let (lines, report) = run(call("12#", 2), answers);
        assert_eq!(
            lines,
            [
                "ATD+4917200000001;",
                "AT+CLCC",
                "pause",
                "AT+VTS=1",
                "AT+VTS=2",
                "AT+VTS=#",
                "pause",
                "AT+VTS=1",
                "AT+VTS=2",
                "AT+VTS=#",
                "AT+CHUP",
            ]
        );
        assert_eq!(
            report,
            CallReport {
                placed: true,
                answered: true,
                rounds_played: 2,
                problem: None,
                hang_up_problem: None,
            }
        );
    }

    #[test]
    fn busy_is_not_answered_and_still_hung_up() {
        let (lines, report) = run(call("1", 3), vec![(result(FinalResult::Busy), 2), (ok(&[]), 2)]);
        assert_eq!(lines, ["ATD+4917200000001;", "AT+CHUP"]);
        assert!(report.placed && !report.answered);
        assert_eq!(report.problem.as_deref(), Some("ATD+4917200000001;: BUSY"));
    }

    #[test]
    fn refused_dial_was_not_placed() {
        let (_, report) = run(call("1", 3), vec![(result(FinalResult::Error), 0), (ok(&[]), 0)]);
        assert!(!report.placed);
        assert_eq!(report.problem.as_deref(), Some("ATD+4917200000001;: ERROR"));
    }

    /// A modem that says OK at once: the call rings until TIME runs out.
    #[test]
    fn ringing_until_the_time_limit() {
        let mut answers = vec![(ok(&[]), 0)];
        for at_s in 0..15 {
            answers.push((ok(&[ALERTING]), at_s));
            answers.push((Answer::Paused, at_s + 1));
        }
        answers.push((ok(&[ALERTING]), 15));
        answers.push((ok(&[]), 15));
        let (lines, report) = run(call("1", 3), answers);
        assert_eq!(lines.iter().filter(|line| *line == "AT+CLCC").count(), 16);
        assert_eq!(lines.last().map(String::as_str), Some("AT+CHUP"));
        assert!(!lines.iter().any(|line| line.starts_with("AT+VTS")));
        assert!(report.placed && !report.answered);
        assert_eq!(report.problem.as_deref(), Some("no answer within 15 s"));
    }

    #[test]
    fn ringing_then_answered() {
        let answers = vec![
            (ok(&[]), 0),
            (ok(&[ALERTING]), 0),
            (Answer::Paused, 1),
            (ok(&[ACTIVE]), 1),
            (Answer::Paused, 2),
            (ok(&[]), 2),
            (ok(&[]), 3),
        ];
        let (lines, report) = run(call("5", 1), answers);
        assert_eq!(
            lines,
            [
                "ATD+4917200000001;",
                "AT+CLCC",
                "pause",
                "AT+CLCC",
                "pause",
                "AT+VTS=5",
                "AT+CHUP"
            ]
        );
        assert!(report.answered && report.problem.is_none());
        assert_eq!(report.rounds_played, 1);
    }

    #[test]
    fn call_gone_from_the_list_ended_unanswered() {
        let (_, report) = run(call("5", 1), vec![(ok(&[]), 0), (ok(&[]), 0), (ok(&[]), 0)]);
        assert!(!report.answered);
        assert!(report.problem.unwrap().contains("AT+CLCC lists no call"));
    }

    #[test]
    fn no_clcc_means_the_ok_was_the_answer() {
        let answers = vec![
            (ok(&[]), 0),
            (result(FinalResult::Error), 0),
            (Answer::Paused, 1),
            (ok(&[]), 1),
            (ok(&[]), 1),
        ];
        let (lines, report) = run(call("7", 1), answers);
        assert_eq!(lines[3], "AT+VTS=7");
        assert!(report.answered && report.problem.is_none());
    }

    #[test]
    fn no_carrier_between_commands_ends_the_call() {
        let mut machine = CallMachine::new(call("12", 2));
        machine.start();
        machine.next(ok(&[]), Duration::ZERO, &[]);
        machine.next(ok(&[ACTIVE]), Duration::ZERO, &[]);
        machine.next(Answer::Paused, Duration::from_secs(1), &[]);
        let step = machine.next(ok(&[]), Duration::from_secs(1), &["NO CARRIER".to_owned()]);
        assert_eq!(
            step,
            Step::Command {
                line: "AT+CHUP".to_owned(),
                timeout: QUICK_TIMEOUT
            }
        );
        let Step::Done(report) = machine.next(ok(&[]), Duration::from_secs(1), &[]) else {
            panic!("not done");
        };
        assert_eq!(report.problem.as_deref(), Some("NO CARRIER: the callee hung up"));
        assert_eq!(report.rounds_played, 0);
    }

    #[test]
    fn refused_tone_names_the_command() {
        let answers = vec![
            (ok(&[]), 0),
            (ok(&[ACTIVE]), 0),
            (Answer::Paused, 1),
            (result(FinalResult::Error), 1),
            (ok(&[]), 1),
        ];
        let (lines, report) = run(call("#", 1), answers);
        assert_eq!(lines.last().map(String::as_str), Some("AT+CHUP"));
        assert_eq!(report.problem.as_deref(), Some("AT+VTS=#: ERROR"));
    }

    #[test]
    fn chup_refused_falls_back_to_ath() {
        let (lines, report) = run(
            call("1", 3),
            vec![
                (result(FinalResult::Busy), 0),
                (result(FinalResult::Error), 0),
                (ok(&[]), 0),
            ],
        );
        assert_eq!(lines, ["ATD+4917200000001;", "AT+CHUP", "ATH"]);
        assert_eq!(report.hang_up_problem, None);
        let (_, report) = run(
            call("1", 3),
            vec![
                (result(FinalResult::Busy), 0),
                (result(FinalResult::Error), 0),
                (Answer::TimedOut, 5),
            ],
        );
        assert_eq!(
            report.hang_up_problem.as_deref(),
            Some("AT+CHUP: ERROR; ATH: no answer within 5 s")
        );
    }

    #[test]
    fn dial_timeout_is_not_answered_and_hangs_up() {
        let (lines, report) = run(call("1", 3), vec![(Answer::TimedOut, 15), (ok(&[]), 16)]);
        assert_eq!(lines, ["ATD+4917200000001;", "AT+CHUP"]);
        assert!(report.placed && !report.answered);
        assert_eq!(
            report.problem.as_deref(),
            Some("no answer within 15 s (ATD+4917200000001;)")
        );
    }

    #[test]
    fn port_lost_during_the_dial_may_have_rung() {
        let (lines, report) = run(call("1", 3), vec![(Answer::Lost("EIO".to_owned()), 1)]);
        assert_eq!(lines, ["ATD+4917200000001;"]);
        assert!(report.placed);
        assert!(report
            .problem
            .unwrap()
            .contains("went away during ATD+4917200000001;: EIO"));
        assert!(report.hang_up_problem.is_some());
    }

    #[test]
    fn clcc_lines_are_read_by_field() {
        let lines = |line: &str| vec![line.to_owned()];
        assert_eq!(outgoing_call_stat(&lines(ACTIVE)), Some(0));
        assert_eq!(outgoing_call_stat(&lines("+CLCC: 1,0,2,0,0")), Some(2));
        // Incoming, or a data call: not ours.
        assert_eq!(outgoing_call_stat(&lines("+CLCC: 1,1,0,0,0")), None);
        assert_eq!(outgoing_call_stat(&lines("+CLCC: 1,0,0,1,0")), None);
        assert_eq!(outgoing_call_stat(&lines("+CLCC: x")), None);
        assert_eq!(outgoing_call_stat(&[]), None);
    }

    #[test]
    fn bad_numbers_and_tones_are_refused() {
        assert!(call("12#*ABCD", 1).check().is_ok());
        assert!(call("1,2", 1).check().is_err());
        let mut bad = call("1", 1);
        bad.number = "+49;ATH".to_owned();
        assert!(bad.check().is_err());
        bad.number = String::new();
        assert!(bad.check().is_err());
    }
}
