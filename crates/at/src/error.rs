//! Errors of the engine, by cause: the modem said no, the modem misbehaved
//! or went quiet, the modem lacks the feature, or the caller built a
//! command that cannot be sent. Malformed answers are
//! [`ParseError`](crate::parse::ParseError)s, from the typed parsers.

use std::fmt;
use std::time::Duration;

use crate::response::FinalResult;

/// Why a command did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The modem answered with an error result (`ERROR`, `+CMS ERROR: 38`,
    /// `NO CARRIER`, ...).
    #[error("{command}: {result}")]
    Rejected {
        /// The command line.
        command: String,
        /// The final result.
        result: FinalResult,
    },
    /// The modem says it does not support the operation
    /// (`+CME ERROR: 4`, `+CMS ERROR: 303`).
    #[error("{command}: not supported by the modem ({result})")]
    Unsupported {
        /// The command line.
        command: String,
        /// The final result.
        result: FinalResult,
    },
    /// The modem answered `OK` where it should have shown the `> ` prompt:
    /// the data was never sent.
    #[error("{command}: the modem answered {result} instead of the \"> \" prompt")]
    NoPrompt {
        /// The command line.
        command: String,
        /// The final result.
        result: FinalResult,
    },
    /// No final result came in time.
    #[error("{command}: no answer within {} s while {phase}", after.as_secs_f32())]
    TimedOut {
        /// The command line.
        command: String,
        /// What the engine was waiting for.
        phase: Phase,
        /// How long it waited.
        after: Duration,
    },
    /// The engine was reset before the command finished.
    #[error("{command}: cancelled")]
    Cancelled {
        /// The command line.
        command: String,
    },
}

/// What a command was waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The final result of a command without data.
    Response,
    /// The `> ` prompt.
    Prompt,
    /// The final result after the data was sent.
    AfterData,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Response => "waiting for the response",
            Phase::Prompt => "waiting for the \"> \" prompt",
            Phase::AfterData => "waiting for the response to the data",
        })
    }
}

/// A command that cannot be sent as built: a bug of the caller's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("command {text:?}: {reason}")]
pub struct InvalidCommand {
    /// The command as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}
