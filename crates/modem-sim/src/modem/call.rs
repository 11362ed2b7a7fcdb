//! Voice calls, just enough for clients that dial or send DTMF: `ATD...;`
//! starts a call that stays up until `ATH` or `AT+CHUP`; `AT+CLCC` lists
//! it and `AT+VTS` plays tones into it. Data calls and calls without
//! network end at once in `NO CARRIER`. No audio exists: by default the
//! callee answers at once, and `ATD` answers `OK` only then, as modems
//! that report the connection do. [`crate::Fault::CallBusy`] and
//! [`crate::Fault::CallUnanswered`] play the callee that is busy or never
//! picks up.
//!
//! Every call is logged ([`Modem::calls`]): the number dialled, whether
//! it was answered, the tones received and whether the client hung up.

use super::command::{Args, Kind, Param};
use super::error::{self, CommandError};
use super::{toa_of_number, Call, Flow, Modem, Outcome, Reply};

/// One call a client placed, as the network saw it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallRecord {
    /// The number dialled, without dial modifiers (`+4917200000001`).
    pub number: String,
    /// The final result `ATD` got: `OK`, `BUSY`, `NO CARRIER`.
    pub result: &'static str,
    /// Whether the callee picked up.
    pub answered: bool,
    /// The DTMF tones `AT+VTS` played into the answered call, in order.
    pub tones: String,
    /// Whether the client ended the call (`ATH`, `AT+CHUP`); false while
    /// it is up, and for a call that never got through or ended with a
    /// power cycle.
    pub hung_up: bool,
}

/// The log keeps the latest calls only: a simulator that runs for days
/// must not grow without end.
const MAX_CALL_RECORDS: usize = 64;

/// `+CLCC` `<stat>` (TS 27.007 7.18): 0 active, 3 alerting.
const STAT_ACTIVE: u8 = 0;
const STAT_ALERTING: u8 = 3;

impl Modem {
    /// The calls placed since power-up of the simulator, oldest first (at
    /// most the latest 64).
    pub fn calls(&self) -> &[CallRecord] {
        &self.calls
    }

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
        let (result, call) = if self.faults.call_busy {
            ("BUSY", None)
        } else {
            let answered = !self.faults.call_unanswered;
            ("OK", Some(Call { answered }))
        };
        self.log_call(CallRecord {
            number,
            result,
            answered: call.as_ref().is_some_and(|call| call.answered),
            tones: String::new(),
            hung_up: false,
        });
        self.call = call;
        match result {
            "OK" => Ok(Flow::Next),
            other => Ok(Flow::Final(other)),
        }
    }

    /// `ATH` and `AT+CHUP`. `AT+CHUP=?` answers `ERROR` as the lab modem
    /// did: gammu probes it to choose how to hang up.
    pub(super) fn hang_up(&mut self, kind: &Kind) -> Outcome {
        match kind {
            Kind::Exec => {}
            Kind::Set(params) if Args(params).number(0) == Ok(Some(0)) => {}
            _ => return Err(CommandError::Error),
        }
        if self.call.take().is_some() {
            if let Some(record) = self.calls.last_mut() {
                record.hung_up = true;
            }
        }
        Ok(Flow::Next)
    }

    /// `AT+VTS=<tones>` during a call. `AT+VTS=?` answers `ERROR`, as in
    /// the python-gsmmodem capture. A call still ringing refuses tones:
    /// there is no one to hear them.
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
        if !self.call.as_ref().is_some_and(|call| call.answered) {
            return Err(CommandError::Cme(error::CME_OPERATION_NOT_ALLOWED));
        }
        if let Some(record) = self.calls.last_mut() {
            record.tones.push_str(tones);
        }
        Ok(Flow::Next)
    }

    /// `AT+CLCC`: the call, outgoing, voice; active once answered,
    /// alerting before.
    pub(super) fn list_calls(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec => {
                let current = self.call.as_ref().zip(self.calls.last());
                if let Some((call, record)) = current {
                    let stat = if call.answered { STAT_ACTIVE } else { STAT_ALERTING };
                    let toa = toa_of_number(&record.number);
                    reply.line(format!("+CLCC: 1,0,{stat},0,0,\"{}\",{toa}", record.number));
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

    pub(super) fn log_call(&mut self, record: CallRecord) {
        if self.calls.len() == MAX_CALL_RECORDS {
            self.calls.remove(0);
        }
        self.calls.push(record);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, Fault, Modem, ModemConfig};

    /// A modem with echo off, and what it answers to each line.
    fn modem() -> Modem {
        let mut modem = Modem::new(ModemConfig::numbered(0));
        modem.handle_input(b"ATE0\r");
        modem
    }

    fn chat(modem: &mut Modem, line: &str) -> String {
        let actions = modem.handle_input(format!("{line}\r").as_bytes());
        actions
            .into_iter()
            .map(|action| match action {
                Action::Write(bytes) => String::from_utf8(bytes).unwrap(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn answered_call_logs_number_tones_and_hang_up() {
        let mut modem = modem();
        assert_eq!(chat(&mut modem, "ATD+4917200000001;"), "\r\nOK\r\n");
        assert_eq!(
            chat(&mut modem, "AT+CLCC"),
            "\r\n+CLCC: 1,0,0,0,0,\"+4917200000001\",145\r\n\r\nOK\r\n"
        );
        for tone in ["1", "#", "*"] {
            assert_eq!(chat(&mut modem, &format!("AT+VTS={tone}")), "\r\nOK\r\n");
        }
        assert_eq!(chat(&mut modem, "AT+CHUP"), "\r\nOK\r\n");
        assert_eq!(chat(&mut modem, "AT+CLCC"), "\r\nOK\r\n");
        let calls = modem.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].number, "+4917200000001");
        assert_eq!(calls[0].result, "OK");
        assert!(calls[0].answered);
        assert_eq!(calls[0].tones, "1#*");
        assert!(calls[0].hung_up);
    }

    #[test]
    fn busy_callee_ends_the_dial_in_busy() {
        let mut modem = modem();
        modem.inject_fault(Fault::CallBusy);
        assert_eq!(chat(&mut modem, "ATD5551234;"), "\r\nBUSY\r\n");
        assert_eq!(chat(&mut modem, "AT+CLCC"), "\r\nOK\r\n");
        assert_eq!(modem.calls()[0].result, "BUSY");
        assert!(!modem.calls()[0].answered);
        // Hanging up without a call is fine, and logs nothing.
        assert_eq!(chat(&mut modem, "ATH"), "\r\nOK\r\n");
        assert!(!modem.calls()[0].hung_up);
    }

    #[test]
    fn unanswered_call_rings_and_refuses_tones() {
        let mut modem = modem();
        chat(&mut modem, "AT+CMEE=1");
        modem.inject_fault(Fault::CallUnanswered);
        assert_eq!(chat(&mut modem, "ATD5551234;"), "\r\nOK\r\n");
        assert_eq!(
            chat(&mut modem, "AT+CLCC"),
            "\r\n+CLCC: 1,0,3,0,0,\"5551234\",129\r\n\r\nOK\r\n"
        );
        assert_eq!(chat(&mut modem, "AT+VTS=1"), "\r\n+CME ERROR: 3\r\n");
        assert_eq!(chat(&mut modem, "ATH"), "\r\nOK\r\n");
        let call = &modem.calls()[0];
        assert!(!call.answered);
        assert_eq!(call.tones, "");
        assert!(call.hung_up);
        // Clearing the fault lets the next call through.
        modem.inject_fault(Fault::Clear);
        chat(&mut modem, "ATD5551234;");
        assert!(modem.calls()[1].answered);
    }

    #[test]
    fn data_calls_and_no_network_get_no_carrier_and_no_record() {
        let mut modem = modem();
        assert_eq!(chat(&mut modem, "ATD5551234"), "\r\nNO CARRIER\r\n");
        modem.inject_fault(Fault::NoNetwork);
        assert_eq!(chat(&mut modem, "ATD5551234;"), "\r\nNO CARRIER\r\n");
        assert!(modem.calls().is_empty());
    }

    #[test]
    fn the_log_keeps_the_latest_calls() {
        let mut modem = modem();
        for call_idx in 0..70 {
            chat(&mut modem, &format!("ATD{};", 1000 + call_idx));
            chat(&mut modem, "ATH");
        }
        assert_eq!(modem.calls().len(), super::MAX_CALL_RECORDS);
        assert_eq!(modem.calls().last().unwrap().number, "1069");
    }
}
