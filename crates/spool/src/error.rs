//! Errors of the spool format: every problem of a file with its place, and
//! the reasons a parsed file cannot be sent, each naming its header.

use std::fmt;

/// Where a problem is: a line of the file, or of a file it includes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A line of the spool file, from 1.
    Line(usize),
    /// A line, from 1, of the file an `Include:` header named.
    Included {
        /// The name given in the `Include:` header.
        name: String,
        /// The line in that file.
        line: usize,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Included { name, line } => write!(f, "included {name:?}: line {line}"),
        }
    }
}

/// One problem of a spool file, e.g.
/// `line 3: Validity: "3 fortnights" is neither 0-255 nor a period like "2 days"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line, when the problem has one (a missing `To:` has none).
    pub place: Option<Place>,
    /// The header concerned, or `None` for the body.
    pub header: Option<&'static str>,
    /// What is wrong, without the place and header.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(place) = &self.place {
            write!(f, "{place}: ")?;
        }
        if let Some(header) = self.header {
            write!(f, "{header}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Everything wrong with a spool file, in the order of its lines (problems
/// without a line last). Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The problems.
    pub problems: Vec<Problem>,
}

impl ParseError {
    /// All problems on one line, separated by `; `, for a `Fail_reason:`
    /// header.
    pub fn one_line(&self) -> String {
        let texts: Vec<String> = self.problems.iter().map(Problem::to_string).collect();
        texts.join("; ")
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (problem_idx, problem) in self.problems.iter().enumerate() {
            if problem_idx > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Why a well-formed file cannot be turned into PDUs, e.g.
/// `Alphabet: character '€' at position 3 cannot be written in the GSM 7-bit alphabet`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{header}: {reason}")]
pub struct PlanError {
    /// The header whose value (or absence) is the cause.
    pub header: &'static str,
    /// What is wrong.
    pub reason: String,
}
