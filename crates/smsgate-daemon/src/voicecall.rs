//! `Voicecall: yes` files in the daemon: the planned call (whom to call,
//! which tones) and [`place_call`], which runs it on a modem and says
//! where the file goes.
//!
//! A call is journalled like a one-part message: started before the
//! dial, its outcome after. An answered call moves the file to `sent/`
//! (without `Message_id`: a call has none); a call that rang but was not
//! answered, or broke off, goes to `failed/` and is not tried again, as
//! the callee's phone may have rung; only a dial the modem refused
//! outright (nobody was called) is retried like a send.

use std::time::Duration;

use modem::{ModemHandle, VoiceCall};

/// The tones of a bare `TONE:`. smstools3 says "some default tones are
/// played"; its documentation's first example, all digits, serves.
const DEFAULT_TONES: &str = "1234567890";

/// How long a call may ring without `TIME:`: about as long as networks
/// let a call ring before they end it themselves.
const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The pause before each round of tones (see [`VoiceCall::round_pause`]).
const ROUND_PAUSE: Duration = Duration::from_secs(1);

/// A call ready to be placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlannedCall {
    /// The number as dialled: `+` and digits, or national digits.
    pub(crate) number: String,
    pub(crate) call: spool::Voicecall,
}

impl PlannedCall {
    /// The call to `destination` (the file's `To:` after the numbering
    /// rules); refused when it is not a number a phone can dial.
    pub(crate) fn new(destination: &sms_pdu::Address, call: spool::Voicecall) -> Result<PlannedCall, String> {
        let number = destination.to_string();
        let digits = number.strip_prefix('+').unwrap_or(&number);
        if digits.is_empty()
            || !digits
                .chars()
                .all(|ch| ch.is_ascii_digit() || matches!(ch, '*' | '#'))
        {
            return Err(format!(
                "Voicecall: cannot call {number:?}, it is not a phone number"
            ));
        }
        Ok(PlannedCall { number, call })
    }
}

/// How a placed call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CallOutcome {
    /// Answered, every round of tones played: to `sent/`.
    Played,
    /// Placed, but not answered or broken off: to `failed/` with this
    /// reason, not retried.
    Failed(String),
}

/// Calls `number` on `handle` and plays `call`'s tones. `Err` (with the
/// reason) when nobody was called: the modem refused the dial or is not
/// there, and the call may be tried again.
pub(crate) async fn place_call(
    handle: &ModemHandle,
    number: &str,
    call: &spool::Voicecall,
) -> Result<CallOutcome, String> {
    let tones: String = match call.tones.is_empty() {
        true => DEFAULT_TONES.to_owned(),
        false => call.tones.iter().map(|tone| tone.as_char()).collect(),
    };
    let request = VoiceCall {
        number: number.to_owned(),
        tones,
        repeat: call.repeat,
        answer_timeout: call.time.map_or(DEFAULT_ANSWER_TIMEOUT, |seconds| {
            Duration::from_secs(seconds.into())
        }),
        round_pause: ROUND_PAUSE,
    };
    let report = handle.voice_call(request).await.map_err(|err| err.to_string())?;
    if let Some(problem) = &report.hang_up_problem {
        tracing::warn!(target: "smsgate", "call to {number}: the call may still be up: {problem}");
    }
    Ok(match (report.placed, report.answered, report.problem) {
        (_, _, None) => CallOutcome::Played,
        (false, _, Some(problem)) => return Err(format!("voice call not placed: {problem}")),
        (true, false, Some(problem)) => CallOutcome::Failed(format!("voice call not answered: {problem}")),
        (true, true, Some(problem)) => CallOutcome::Failed(format!(
            "voice call answered, but broken off after {} of {} rounds of tones: {problem}",
            report.rounds_played, call.repeat
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> spool::Voicecall {
        spool::Voicecall::parse("TONE: 2 1,2,#").unwrap()
    }

    #[test]
    fn numbers_a_phone_can_dial() {
        let international = sms_pdu::Address::parse_phone("+4917200000001").unwrap();
        assert_eq!(
            PlannedCall::new(&international, call()).unwrap().number,
            "+4917200000001"
        );
        let national = sms_pdu::Address::parse_phone("017200000001").unwrap();
        assert_eq!(
            PlannedCall::new(&national, call()).unwrap().number,
            "017200000001"
        );
        let name = sms_pdu::Address::alphanumeric("Alarm").unwrap();
        assert_eq!(
            PlannedCall::new(&name, call()).unwrap_err(),
            "Voicecall: cannot call \"Alarm\", it is not a phone number"
        );
    }
}
