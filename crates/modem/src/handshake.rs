//! Which probe the handshake sends next, pure: the shell (`init.rs`)
//! sends each probe and tells the outcome.
//!
//! Two forms of probe. ESC then `AT` leaves a `> ` prompt an earlier
//! program left open; but the ESC stays in the modem's line buffer, so
//! that a modem in command mode reads the line `<ESC>AT`, and some modems
//! and serial bridges answer that with `ERROR` or not at all. `AT` alone
//! is what smstools3 sends. A form that failed is never sent twice in a
//! row: after it the other form goes; a form that got an `OK` with
//! leftovers of an earlier exchange (which proves it is understood) is
//! sent again. Once both forms failed without any `OK`, or after
//! [`Handshake::new`]'s budget of probes, the handshake fails with every
//! probe's outcome, and the driver backs off before it opens the port
//! again.

use std::fmt;

/// One form of the handshake probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// ESC, then `AT`.
    EscapeThenAt,
    /// `AT` alone.
    PlainAt,
}

impl Probe {
    fn other(self) -> Probe {
        match self {
            Probe::EscapeThenAt => Probe::PlainAt,
            Probe::PlainAt => Probe::EscapeThenAt,
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Probe::EscapeThenAt => "ESC AT",
            Probe::PlainAt => "AT",
        })
    }
}

/// What one probe got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProbeResult {
    /// A clean `OK`: nothing else before it, nothing after it.
    Clean,
    /// `OK`, but among or followed by other lines: a late answer to an
    /// earlier program's command.
    Leftover,
    /// An error result (`ERROR`), named.
    Refused(String),
    /// No final result within the handshake timeout.
    NoAnswer,
}

impl fmt::Display for ProbeResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeResult::Clean => f.write_str("OK"),
            ProbeResult::Leftover => f.write_str("OK among stray lines"),
            ProbeResult::Refused(result) => f.write_str(result),
            ProbeResult::NoAnswer => f.write_str("no answer"),
        }
    }
}

/// What the handshake does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send this probe.
    Send(Probe),
    /// A probe got a clean `OK`: the modem is there.
    Done(Probe),
    /// The budget is spent.
    Failed,
}

/// The probes sent so far and what they got.
#[derive(Debug)]
pub(crate) struct Handshake {
    first: Probe,
    budget: usize,
    tried: Vec<(Probe, ProbeResult)>,
}

impl Handshake {
    /// At most `budget` probes (at least one), the first of form `first`
    /// (the form that worked last time, so that a modem that ignores
    /// ESC does not cost a timeout at every reopen).
    pub(crate) fn new(first: Probe, budget: usize) -> Handshake {
        Handshake {
            first,
            budget: budget.max(1),
            tried: Vec::new(),
        }
    }

    pub(crate) fn next(&self) -> Next {
        match self.tried.last() {
            None => Next::Send(self.first),
            Some((probe, ProbeResult::Clean)) => Next::Done(*probe),
            Some(_) if self.tried.len() >= self.budget || self.both_forms_failed() => Next::Failed,
            Some((probe, ProbeResult::Leftover)) => Next::Send(*probe),
            Some((probe, ProbeResult::Refused(_) | ProbeResult::NoAnswer)) => Next::Send(probe.other()),
        }
    }

    /// Each form got no answer or an error, and no probe got an `OK`:
    /// the modem is silent (or not a modem), and more probes only make
    /// the caller wait longer.
    fn both_forms_failed(&self) -> bool {
        let failed = |form: Probe| {
            self.tried.iter().any(|(probe, result)| {
                *probe == form && matches!(result, ProbeResult::Refused(_) | ProbeResult::NoAnswer)
            })
        };
        let answered = self
            .tried
            .iter()
            .any(|(_, result)| *result == ProbeResult::Leftover);
        !answered && failed(Probe::EscapeThenAt) && failed(Probe::PlainAt)
    }

    pub(crate) fn record(&mut self, probe: Probe, result: ProbeResult) {
        self.tried.push((probe, result));
    }

    /// Each probe and its outcome, for the error: `ESC AT: no answer`.
    pub(crate) fn attempts(&self) -> Vec<String> {
        self.tried
            .iter()
            .map(|(probe, result)| format!("{probe}: {result}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(first: Probe, budget: usize, mut answer: impl FnMut(Probe) -> ProbeResult) -> (Vec<Probe>, Next) {
        let mut handshake = Handshake::new(first, budget);
        let mut sent = Vec::new();
        loop {
            match handshake.next() {
                Next::Send(probe) => {
                    sent.push(probe);
                    handshake.record(probe, answer(probe));
                }
                end => return (sent, end),
            }
        }
    }

    #[test]
    fn a_modem_that_ignores_escape_is_reached_by_the_plain_probe() {
        let (sent, end) = run(Probe::EscapeThenAt, 4, |probe| match probe {
            Probe::EscapeThenAt => ProbeResult::NoAnswer,
            Probe::PlainAt => ProbeResult::Clean,
        });
        assert_eq!(sent, [Probe::EscapeThenAt, Probe::PlainAt]);
        assert_eq!(end, Next::Done(Probe::PlainAt));
    }

    #[test]
    fn a_modem_that_refuses_escape_is_reached_by_the_plain_probe() {
        let (sent, end) = run(Probe::EscapeThenAt, 4, |probe| match probe {
            Probe::EscapeThenAt => ProbeResult::Refused("ERROR".to_owned()),
            Probe::PlainAt => ProbeResult::Clean,
        });
        assert_eq!(sent, [Probe::EscapeThenAt, Probe::PlainAt]);
        assert_eq!(end, Next::Done(Probe::PlainAt));
    }

    #[test]
    fn a_silent_modem_gets_each_form_once() {
        let (sent, end) = run(Probe::EscapeThenAt, 4, |_| ProbeResult::NoAnswer);
        assert_eq!(sent, [Probe::EscapeThenAt, Probe::PlainAt]);
        assert_eq!(end, Next::Failed);
        let (sent, end) = run(Probe::PlainAt, 4, |_| ProbeResult::Refused("ERROR".to_owned()));
        assert_eq!(sent, [Probe::PlainAt, Probe::EscapeThenAt]);
        assert_eq!(end, Next::Failed);
    }

    #[test]
    fn a_modem_that_answered_is_probed_up_to_the_budget_never_with_a_failed_form_twice_in_a_row() {
        let mut answers = vec![ProbeResult::Leftover].into_iter();
        let (sent, end) = run(Probe::EscapeThenAt, 4, |_| {
            answers.next().unwrap_or(ProbeResult::NoAnswer)
        });
        assert_eq!(
            sent,
            [
                Probe::EscapeThenAt,
                Probe::EscapeThenAt,
                Probe::PlainAt,
                Probe::EscapeThenAt
            ]
        );
        assert_eq!(end, Next::Failed);
    }

    #[test]
    fn a_leftover_answer_repeats_the_form_that_was_understood() {
        let mut answers = vec![ProbeResult::Clean, ProbeResult::Leftover].into_iter().rev();
        let (sent, end) = run(Probe::PlainAt, 4, |_| answers.next().unwrap());
        assert_eq!(sent, [Probe::PlainAt, Probe::PlainAt]);
        assert_eq!(end, Next::Done(Probe::PlainAt));
    }

    #[test]
    fn the_failure_names_every_probe_and_what_it_got() {
        let mut handshake = Handshake::new(Probe::EscapeThenAt, 2);
        handshake.record(Probe::EscapeThenAt, ProbeResult::NoAnswer);
        handshake.record(Probe::PlainAt, ProbeResult::Refused("ERROR".to_owned()));
        assert_eq!(handshake.next(), Next::Failed);
        assert_eq!(handshake.attempts(), ["ESC AT: no answer", "AT: ERROR"]);
    }

    #[test]
    fn a_zero_budget_still_sends_one_probe() {
        let (sent, end) = run(Probe::EscapeThenAt, 0, |_| ProbeResult::NoAnswer);
        assert_eq!(sent, [Probe::EscapeThenAt]);
        assert_eq!(end, Next::Failed);
    }
}
