//! Who may run commands: a sender among the allowed numbers, with the
//! secret, and not locked out for guessing it.
//!
//! The order matters. The sender is checked first, so that only allowed
//! numbers reach the secret (and the failure records stay as few as the
//! allowed numbers). A locked-out sender's secret is not even compared,
//! so that guessing stops for the lockout whatever is sent. The secret is
//! compared in constant time (in its length): an SMS round trip makes
//! timing useless to an attacker, but the compare costs nothing.
//!
//! A right secret does not clear the wrong ones before it: failures are
//! counted per sender over the window whatever succeeds in between, or an
//! attacker who can see (or wait for) the owner's commands would get
//! `max-failures - 1` guesses per legitimate use.
//!
//! Time is given by the caller, as the time since any fixed origin; the
//! daemon gives the time since the Unix epoch, so that the failures and
//! lockouts it saves ([`Authorizer::records`], [`Authorizer::restore`])
//! mean the same after a restart. This module reads no clock.

use std::collections::BTreeMap;
use std::time::Duration;

use sms_pdu::Address;

use crate::number::{InternationalNumber, SenderError};

/// How many wrong secrets a sender may send before it is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Wrong secrets within `window` that lock the sender out (at least 1).
    pub max_failures: u32,
    pub window: Duration,
    /// How long a locked-out sender's commands are refused unread.
    pub lockout: Duration,
}

impl RateLimit {
    /// 3 wrong secrets in 10 minutes lock a sender out for an hour.
    pub const DEFAULT: RateLimit = RateLimit {
        max_failures: 3,
        window: Duration::from_secs(600),
        lockout: Duration::from_secs(3600),
    };
}

/// Why a command is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("sender is not an international number: {0}")]
    Sender(SenderError),
    #[error("sender {0} is not an allowed number")]
    NotAllowed(InternationalNumber),
    #[error("sender {sender} is locked out after wrong secrets (for {} s more)", remaining.as_secs())]
    LockedOut {
        sender: InternationalNumber,
        remaining: Duration,
    },
    #[error("wrong secret from {sender} ({failures} in the window{})", lockout_note(*locked_out))]
    WrongSecret {
        sender: InternationalNumber,
        /// Wrong secrets within the window, this one included.
        failures: u32,
        /// Whether this failure locked the sender out.
        locked_out: bool,
    },
}

fn lockout_note(locked_out: bool) -> &'static str {
    if locked_out {
        "; now locked out"
    } else {
        ""
    }
}

/// Why an [`Authorizer`] cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("the secret is empty")]
    EmptySecret,
    #[error("no allowed numbers")]
    NoAllowedNumbers,
}

/// The allowed numbers, the secret, and the failures of each sender.
pub struct Authorizer {
    allowed: Vec<InternationalNumber>,
    secret: Vec<u8>,
    rate_limit: RateLimit,
    /// Only allowed numbers get an entry.
    failures: BTreeMap<InternationalNumber, Failures>,
}

#[derive(Debug, Default)]
struct Failures {
    /// When the wrong secrets within the window came.
    recent: Vec<Duration>,
    locked_until: Option<Duration>,
}

impl Authorizer {
    /// An authorizer for `secret` from `allowed` numbers. Both must be
    /// non-empty: an empty list does not mean "anyone".
    pub fn new(
        allowed: Vec<InternationalNumber>,
        secret: &str,
        rate_limit: RateLimit,
    ) -> Result<Authorizer, SetupError> {
        if secret.is_empty() {
            return Err(SetupError::EmptySecret);
        }
        if allowed.is_empty() {
            return Err(SetupError::NoAllowedNumbers);
        }
        Ok(Authorizer {
            allowed,
            secret: secret.as_bytes().to_vec(),
            rate_limit,
            failures: BTreeMap::new(),
        })
    }

    /// The sender's number, if it is one of the allowed numbers.
    pub fn allowed_sender(&self, sender: &Address) -> Result<InternationalNumber, Refusal> {
        let number = InternationalNumber::from_sender(sender).map_err(Refusal::Sender)?;
        if self.allowed.contains(&number) {
            Ok(number)
        } else {
            Err(Refusal::NotAllowed(number))
        }
    }

    /// Whether `sender` may run a command with `secret` at `now`; a wrong
    /// secret is counted against the sender.
    pub fn check(
        &mut self,
        sender: &Address,
        secret: &str,
        now: Duration,
    ) -> Result<InternationalNumber, Refusal> {
        let number = self.allowed_sender(sender)?;
        let failures = self.failures.entry(number.clone()).or_default();
        if let Some(until) = failures.locked_until {
            if now < until {
                return Err(Refusal::LockedOut {
                    sender: number,
                    remaining: until - now,
                });
            }
            failures.locked_until = None;
        }
        if secrets_match(&self.secret, secret.as_bytes()) {
            return Ok(number);
        }
        let window = self.rate_limit.window;
        // A time before a recorded one (a caller's clock reset) keeps it.
        failures.recent.retain(|&at| now.saturating_sub(at) < window);
        failures.recent.push(now);
        let count = u32::try_from(failures.recent.len()).unwrap_or(u32::MAX);
        let locked_out = count >= self.rate_limit.max_failures.max(1);
        if locked_out {
            failures.locked_until = Some(now.saturating_add(self.rate_limit.lockout));
            failures.recent.clear();
        }
        Err(Refusal::WrongSecret {
            sender: number,
            failures: count,
            locked_out,
        })
    }
}

/// What an [`Authorizer`] remembers of one sender, to be saved and given
/// back to [`Authorizer::restore`] after a restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderRecord {
    pub sender: InternationalNumber,
    /// When its wrong secrets within the window came.
    pub failures: Vec<Duration>,
    /// Until when it is locked out, if it is.
    pub locked_until: Option<Duration>,
}

impl Authorizer {
    /// Every sender with failures or a lockout, by number.
    pub fn records(&self) -> Vec<SenderRecord> {
        self.failures
            .iter()
            .filter(|(_, failures)| !failures.recent.is_empty() || failures.locked_until.is_some())
            .map(|(sender, failures)| SenderRecord {
                sender: sender.clone(),
                failures: failures.recent.clone(),
                locked_until: failures.locked_until,
            })
            .collect()
    }

    /// Takes back what [`Authorizer::records`] gave. Records of numbers
    /// that are not allowed (any more) are dropped, and at most the
    /// latest `max_failures` failures of each are kept: what a damaged or
    /// edited file holds cannot grow the state. A record never shortens a
    /// lockout or removes a failure already known.
    pub fn restore(&mut self, records: Vec<SenderRecord>) {
        let keep = usize::try_from(self.rate_limit.max_failures.max(1)).unwrap_or(usize::MAX);
        for record in records {
            if !self.allowed.contains(&record.sender) {
                continue;
            }
            let failures = self.failures.entry(record.sender).or_default();
            failures.recent.extend(record.failures);
            failures.recent.sort();
            failures.recent.dedup();
            let excess = failures.recent.len().saturating_sub(keep);
            failures.recent.drain(..excess);
            failures.locked_until = failures.locked_until.max(record.locked_until);
        }
    }
}

/// The secret stays out of debug output.
impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("allowed", &self.allowed)
            .field("secret", &"<hidden>")
            .field("rate_limit", &self.rate_limit)
            .field("failures", &self.failures)
            .finish()
    }
}

/// Compares in a time that depends on the length of `given` only: every
/// byte is looked at, whatever matches. `expected` is never empty.
fn secrets_match(expected: &[u8], given: &[u8]) -> bool {
    if expected.is_empty() {
        return false;
    }
    let mut difference = u8::from(expected.len() != given.len());
    for (byte_idx, &byte) in given.iter().enumerate() {
        difference |= byte ^ expected[byte_idx % expected.len()];
    }
    // Keeps the compiler from turning the loop into an early exit.
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sms_pdu::TypeOfAddress;

    const SECRET: &str = "slepens";

    fn authorizer() -> Authorizer {
        let allowed = vec![
            InternationalNumber::parse("+371 2000 0000").unwrap(),
            InternationalNumber::parse("0049 172 1234567").unwrap(),
        ];
        Authorizer::new(allowed, SECRET, RateLimit::DEFAULT).unwrap()
    }

    fn address(number: &str, toa: u8) -> Address {
        Address {
            toa: TypeOfAddress(toa),
            number: number.to_owned(),
        }
    }

    fn at(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    fn intl(text: &str) -> InternationalNumber {
        InternationalNumber::parse(text).unwrap()
    }

    #[test]
    fn allowed_sender_with_the_secret() {
        let mut authorizer = authorizer();
        for sender in [
            address("37120000000", 0x91),
            address("+37120000000", 0x81),
            address("0037120000000", 0x81),
        ] {
            assert_eq!(authorizer.check(&sender, SECRET, at(0)), Ok(intl("+37120000000")));
        }
        assert_eq!(
            authorizer.check(&address("491721234567", 0x91), SECRET, at(0)),
            Ok(intl("+491721234567"))
        );
    }

    #[test]
    fn wrong_number_and_spoofed_senders() {
        let mut authorizer = authorizer();
        assert_eq!(
            authorizer.check(&address("37120000001", 0x91), SECRET, at(0)),
            Err(Refusal::NotAllowed(intl("+37120000001")))
        );
        assert_eq!(
            authorizer.check(&address("+37120000000", 0xD0), SECRET, at(0)),
            Err(Refusal::Sender(SenderError::Alphanumeric))
        );
        assert_eq!(
            authorizer.check(&address("20000000", 0xA1), SECRET, at(0)),
            Err(Refusal::Sender(SenderError::NotInternational(
                sms_pdu::TypeOfNumber::National
            )))
        );
        assert_eq!(
            authorizer.check(&address("371 20000000", 0x91), SECRET, at(0)),
            Err(Refusal::Sender(SenderError::NotDigits))
        );
        // A number that ends like an allowed one is another number.
        assert_eq!(
            authorizer.check(&address("137120000000", 0x91), SECRET, at(0)),
            Err(Refusal::NotAllowed(intl("+137120000000")))
        );
    }

    #[test]
    fn wrong_secrets() {
        let mut authorizer = authorizer();
        let sender = address("37120000000", 0x91);
        for wrong in ["", "slepen", "slepens ", "Slepens", "slepensslepens", "slepenš"] {
            let refusal = authorizer.check(&sender, wrong, at(0)).unwrap_err();
            assert!(matches!(refusal, Refusal::WrongSecret { .. }), "{wrong:?}");
            // Start afresh, so that the lockout does not hide the answer.
            authorizer.failures.clear();
        }
    }

    #[test]
    fn wrong_secrets_lock_the_sender_out() {
        let mut authorizer = authorizer();
        let sender = address("37120000000", 0x91);
        let other = address("491721234567", 0x91);
        let wrong = |failures, locked_out| {
            Err(Refusal::WrongSecret {
                sender: intl("+37120000000"),
                failures,
                locked_out,
            })
        };
        assert_eq!(authorizer.check(&sender, "guess1", at(100)), wrong(1, false));
        assert_eq!(authorizer.check(&sender, "guess2", at(200)), wrong(2, false));
        assert_eq!(authorizer.check(&sender, "guess3", at(300)), wrong(3, true));
        // Even the right secret is not looked at now.
        assert_eq!(
            authorizer.check(&sender, SECRET, at(301)),
            Err(Refusal::LockedOut {
                sender: intl("+37120000000"),
                remaining: at(3599)
            })
        );
        // Another sender is not affected.
        assert_eq!(
            authorizer.check(&other, SECRET, at(301)),
            Ok(intl("+491721234567"))
        );
        // After the lockout, the count starts from zero.
        assert_eq!(authorizer.check(&sender, "guess4", at(3900)), wrong(1, false));
        assert_eq!(
            authorizer.check(&sender, SECRET, at(3901)),
            Ok(intl("+37120000000"))
        );
    }

    #[test]
    fn failures_expire_after_the_window_only() {
        let mut authorizer = authorizer();
        let sender = address("37120000000", 0x91);
        let failures = |refusal: Result<InternationalNumber, Refusal>| match refusal {
            Err(Refusal::WrongSecret { failures, .. }) => failures,
            other => panic!("{other:?}"),
        };
        assert_eq!(failures(authorizer.check(&sender, "a", at(0))), 1);
        assert_eq!(failures(authorizer.check(&sender, "b", at(500))), 2);
        // The first is now more than 600 s old.
        assert_eq!(failures(authorizer.check(&sender, "c", at(700))), 2);
        // A clock that went back neither panics nor forgets.
        assert_eq!(failures(authorizer.check(&sender, "e", at(1))), 3);
    }

    /// Issue 10.5: the owner's right secret in between does not give an
    /// attacker a fresh set of guesses.
    #[test]
    fn a_right_secret_does_not_clear_the_failures_before_it() {
        let mut authorizer = authorizer();
        let sender = address("37120000000", 0x91);
        assert!(authorizer.check(&sender, "guess1", at(0)).is_err());
        assert!(authorizer.check(&sender, "guess2", at(10)).is_err());
        assert!(authorizer.check(&sender, SECRET, at(20)).is_ok());
        assert_eq!(
            authorizer.check(&sender, "guess3", at(30)),
            Err(Refusal::WrongSecret {
                sender: intl("+37120000000"),
                failures: 3,
                locked_out: true
            })
        );
        assert!(matches!(
            authorizer.check(&sender, SECRET, at(40)),
            Err(Refusal::LockedOut { .. })
        ));
    }

    /// Issue 10.5: what is saved and restored keeps the lockout and the
    /// failures; junk in the records cannot grow the state.
    #[test]
    fn records_restore_the_lockout_and_failures() {
        let mut first = authorizer();
        let sender = address("37120000000", 0x91);
        let other = address("491721234567", 0x91);
        for second in 0..3 {
            assert!(first.check(&sender, "guess", at(second)).is_err());
        }
        assert!(first.check(&other, "guess", at(5)).is_err());
        let records = first.records();
        assert_eq!(records.len(), 2);

        let mut restarted = authorizer();
        let mut junk = records.clone();
        junk.push(SenderRecord {
            sender: intl("+999999999"),
            failures: vec![at(1); 100],
            locked_until: Some(at(1_000_000)),
        });
        junk.push(SenderRecord {
            sender: intl("+491721234567"),
            failures: (0..100).map(at).collect(),
            locked_until: None,
        });
        restarted.restore(junk);
        assert!(matches!(
            restarted.check(&sender, SECRET, at(10)),
            Err(Refusal::LockedOut { .. })
        ));
        let kept = restarted.records();
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.iter().all(|record| record.failures.len() <= 3));
        // The other sender's one failure (and the junk's) in the window.
        assert!(matches!(
            restarted.check(&other, "guess", at(100)),
            Err(Refusal::WrongSecret { locked_out: true, .. })
        ));
    }

    #[test]
    fn setup_refuses_an_empty_secret_or_list() {
        let allowed = vec![intl("+37120000000")];
        assert_eq!(
            Authorizer::new(allowed, "", RateLimit::DEFAULT).unwrap_err(),
            SetupError::EmptySecret
        );
        assert_eq!(
            Authorizer::new(Vec::new(), SECRET, RateLimit::DEFAULT).unwrap_err(),
            SetupError::NoAllowedNumbers
        );
        assert!(!format!("{:?}", authorizer()).contains(SECRET));
    }

    #[test]
    fn constant_time_compare() {
        assert!(secrets_match(b"slepens", b"slepens"));
        assert!(!secrets_match(b"slepens", b""));
        assert!(!secrets_match(b"slepens", b"slepen"));
        assert!(!secrets_match(b"slepens", b"slepensslepens"));
        assert!(!secrets_match(b"slepens", b"slepenz"));
        assert!(!secrets_match(b"", b""));
    }

    proptest! {
        #[test]
        fn compare_is_equality(expected in proptest::collection::vec(any::<u8>(), 1..20),
                               given in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(secrets_match(&expected, &given), expected == given);
            prop_assert!(secrets_match(&expected, &expected));
        }
    }
}
