//! Voice calls, just enough for clients that dial or send DTMF: `ATD...;`
//! starts a call that stays up until `ATH` or `AT+CHUP`; `AT+CLCC` lists
//! it and `AT+VTS` plays tones into it. Data calls and calls without
//! network end at once in `NO CARRIER`. Nobody answers: no audio exists.

use super::command::{Args, Kind, Param};
use super::error::{self, CommandError};
use super::{toa_of_number, Call, Flow, Modem, Outcome, Reply};

impl Modem {
    /// `ATD<number>;` (voice) or `ATD<number>` (data).
    pub(super) fn dial(&mut self, kind: &Kind) -> Outcome {
        let Kind::Set(params) = kind else {
            return Err(CommandError::Error);
        };
        let Some(Param::Quoted(dial_string)) = params.first() else {
            return Err(CommandError::Error);
        };
        let dial_string = dial_string.trim();
        let voice = dial_string.ends_with(';');
        // V.250 6.3.1: T and P (tone, pulse), W, `,`, `@` and `!` are dial
        // modifiers, not digits.
        let number: String = dial_string
            .chars()
            .filter(|ch| ch.is_ascii_digit() || matches!(ch, '+' | '*' | '#' | 'A'..='D' | 'a'..='d'))
            .collect();
        if number.is_empty() || dial_string.starts_with('>') {
            return Err(CommandError::Error);
        }
        if !voice || !self.is_registered() {
            return Ok(Flow::Final("NO CARRIER"));
        }
        if self.call.is_some() {
            return Err(CommandError::Cme(error::CME_OPERATION_NOT_ALLOWED));
        }
        self.call = Some(Call { number });
        Ok(Flow::Next)
    }

    /// `ATH` and `AT+CHUP`. `AT+CHUP=?` answers `ERROR` as the lab modem
    /// did: gammu probes it to choose how to hang up.
    pub(super) fn hang_up(&mut self, kind: &Kind) -> Outcome {
        match kind {
            Kind::Exec => {}
            Kind::Set(params) if Args(params).number(0) == Ok(Some(0)) => {}
            _ => return Err(CommandError::Error),
        }
        self.call = None;
        Ok(Flow::Next)
    }

    /// `AT+VTS=<tones>` during a call. `AT+VTS=?` answers `ERROR`, as in
    /// the python-gsmmodem capture.
    pub(super) fn dtmf(&mut self, kind: &Kind) -> Outcome {
        let Kind::Set(params) = kind else {
            return Err(CommandError::Error);
        };
        let tones = Args(params).string(0).unwrap_or("");
        let valid = !tones.is_empty()
            && tones
                .chars()
                .all(|ch| ch.is_ascii_digit() || matches!(ch, '*' | '#' | 'A'..='D'));
        if !valid {
            return Err(CommandError::Cme(error::CME_INCORRECT_PARAMETERS));
        }
        if self.call.is_none() {
            return Err(CommandError::Cme(error::CME_OPERATION_NOT_ALLOWED));
        }
        Ok(Flow::Next)
    }

    /// `AT+CLCC`: the call, outgoing, active, voice.
    pub(super) fn list_calls(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec => {
                if let Some(call) = &self.call {
                    let toa = toa_of_number(&call.number);
                    reply.line(format!("+CLCC: 1,0,0,0,0,\"{}\",{toa}", call.number));
                }
            }
            Kind::Test => {}
            _ => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+CPAS`: 0 ready, 4 call in progress.
    pub(super) fn activity(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec => reply.line(format!("+CPAS: {}", if self.call.is_some() { 4 } else { 0 })),
            Kind::Test => reply.line("+CPAS: (0,4)"),
            _ => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }
}
