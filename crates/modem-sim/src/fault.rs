//! Faults a test can inject into a modem, to see how a client copes with
//! the failures real modems show (section 9 of
//! `real-clients-at-transcripts.md`): slow or missing answers, line noise,
//! network errors on sends, a hung firmware, SIM and registration trouble,
//! and a modem that vanishes from the bus.

/// One fault, given to [`crate::Modem::inject_fault`].
///
/// Faults add up: a delay and a SIM that wants a PIN can be active at the
/// same time. [`Fault::Clear`] removes all of them. A power cycle
/// ([`crate::Modem::power_cycle`]) ends the faults that live in the modem
/// ([`Fault::Hang`], [`Fault::Silence`], [`Fault::Garbage`],
/// [`Fault::Unplug`]) and keeps those of its surroundings (delay, SIM,
/// network, pending send errors).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Every answer comes `ms` milliseconds late
    /// ([`crate::Action::WriteAfter`]); the echo stays immediate, as the
    /// echo of a real modem comes from its UART, not its firmware.
    Delay {
        /// The delay.
        ms: u64,
    },
    /// The modem carries out commands, sends included, but writes nothing,
    /// not even the echo. Models smsd's "no answer at all after the PDU",
    /// where the message did go out.
    Silence,
    /// The next answer is replaced by line noise ([`GARBAGE`]).
    Garbage,
    /// The next `count` sends end in `+CMS ERROR: <code>` after the PDU
    /// (38 is smsd's "Network out of order").
    CmsError {
        /// The error code.
        code: u16,
        /// How many sends fail.
        count: u32,
    },
    /// The next `count` sends end in `+CME ERROR: <code>` after the PDU.
    CmeError {
        /// The error code.
        code: u16,
        /// How many sends fail.
        count: u32,
    },
    /// The next `count` `AT+CMGS` commands answer `ERROR` instead of the
    /// `> ` prompt (smsd: "The modem answer was not OK: ERROR").
    PromptError {
        /// How many prompts are refused.
        count: u32,
    },
    /// The firmware hangs: input is dropped and nothing is written, until
    /// the fault is cleared or the modem is power cycled.
    Hang,
    /// The SIM is pulled: `AT+CPIN?` answers `+CME ERROR: 10`, SMS commands
    /// `+CMS ERROR: 310`, and the modem loses its registration.
    SimRemoved,
    /// The SIM asks for its PIN now and after every power-up (the
    /// configured PIN, or `0000` when none is configured).
    PinRequired,
    /// The message stores take no new message: the network keeps what it
    /// has for this modem and retries later.
    SimFull,
    /// No network: `+CREG: <n>,0`, sends fail with `+CMS ERROR: 331`,
    /// USSD with `+CME ERROR: 30`, nothing is delivered.
    NoNetwork,
    /// The modem leaves the bus: [`crate::Action::Unplug`] now, and the
    /// modem ignores everything until [`crate::Modem::power_cycle`].
    Unplug,
    /// The next send goes out (the network gets the PDU), and then the
    /// modem leaves the bus before it answers, as [`Fault::Unplug`] does:
    /// the client cannot know whether its message went.
    UnplugOnSend,
    /// Every call the modem places finds the callee busy: `ATD...;`
    /// answers `BUSY`.
    CallBusy,
    /// Nobody answers the calls the modem places: `ATD...;` answers `OK`
    /// at once, as modems that report the call set-up do, `AT+CLCC` shows
    /// the call alerting until the client hangs up, and `AT+VTS` is
    /// refused.
    CallUnanswered,
    /// Ends every fault: the SIM is back and ready, the network too.
    Clear,
}

/// The line noise of [`Fault::Garbage`]: a NUL, bytes that are not UTF-8,
/// a half result code and a stray prompt, so that parsers meet everything
/// at once.
pub const GARBAGE: &[u8] = b"\x00\xff\xfe\r\n+CM\x9bS ERR\r\n> \x07\x1b[0m~~\r\n";

/// The PIN the SIM wants after [`Fault::PinRequired`] when the
/// configuration names none.
pub const DEFAULT_PIN: &str = "0000";

/// The faults in force on one modem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct FaultState {
    pub(crate) delay_ms: Option<u64>,
    pub(crate) silence: bool,
    pub(crate) garbage: bool,
    pub(crate) send_error: Option<SendError>,
    pub(crate) prompt_errors: u32,
    pub(crate) hang: bool,
    pub(crate) sim_removed: bool,
    pub(crate) pin_required: bool,
    pub(crate) sim_full: bool,
    pub(crate) no_network: bool,
    pub(crate) unplugged: bool,
    pub(crate) unplug_on_send: bool,
    pub(crate) call_busy: bool,
    pub(crate) call_unanswered: bool,
}

/// Errors waiting for the next sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SendError {
    pub(crate) cms: bool,
    pub(crate) code: u16,
    pub(crate) remaining: u32,
}

impl FaultState {
    /// The error the next send must end with, if any, counting it down.
    pub(crate) fn take_send_error(&mut self) -> Option<SendError> {
        let error = self.send_error.as_mut()?;
        let taken = *error;
        error.remaining -= 1;
        if error.remaining == 0 {
            self.send_error = None;
        }
        Some(taken)
    }

    /// Whether the next prompt is refused, counting it down.
    pub(crate) fn take_prompt_error(&mut self) -> bool {
        if self.prompt_errors == 0 {
            return false;
        }
        self.prompt_errors -= 1;
        true
    }

    /// Power-up: the faults of the modem itself end.
    pub(crate) fn power_cycle(&mut self) {
        self.hang = false;
        self.silence = false;
        self.garbage = false;
        self.unplugged = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_errors_count_down() {
        let mut faults = FaultState {
            send_error: Some(SendError {
                cms: true,
                code: 38,
                remaining: 2,
            }),
            ..FaultState::default()
        };
        assert_eq!(faults.take_send_error().map(|error| error.code), Some(38));
        assert_eq!(faults.take_send_error().map(|error| error.code), Some(38));
        assert_eq!(faults.take_send_error(), None);
    }

    #[test]
    fn power_cycle_keeps_the_surroundings() {
        let mut faults = FaultState {
            hang: true,
            silence: true,
            sim_removed: true,
            delay_ms: Some(5),
            ..FaultState::default()
        };
        faults.power_cycle();
        assert!(!faults.hang && !faults.silence);
        assert!(faults.sim_removed);
        assert_eq!(faults.delay_ms, Some(5));
    }
}
