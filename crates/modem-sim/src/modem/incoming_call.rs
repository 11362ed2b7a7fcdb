//! Incoming voice calls, for clients that hang them up or log them
//! (smsd's `hangup_incoming_call`, `phonecalls = clip`): a call from the
//! network rings once (`RING`, and `+CLIP: "<number>",<type>` when the
//! client enabled the presentation with `AT+CLIP=1`) and stays up,
//! ringing, until the client ends it with `ATH` or `AT+CHUP`. It is
//! logged in [`Modem::calls`] with the result `RING`; its `hung_up` tells
//! whether the client ended it. Real modems repeat `RING` every few
//! seconds; one is enough for every client we know.

use super::command::{Args, Kind};
use super::error::CommandError;
use super::{toa_of_number, Action, Call, Flow, Modem, Outcome, Reply};
use crate::CallRecord;

/// The `result` of an incoming call in [`Modem::calls`].
pub const INCOMING_CALL: &str = "RING";

impl Modem {
    /// The network puts a call from `from` through: `RING` (and `+CLIP`).
    /// Refused (nothing happens, `false`) while the modem is not
    /// registered or has a call already: the caller hears busy.
    pub fn incoming_call(&mut self, from: &str) -> (bool, Vec<Action>) {
        if !self.is_registered() || self.call.is_some() {
            return (false, Vec::new());
        }
        self.call = Some(Call { answered: false });
        self.log_call(CallRecord {
            number: from.to_owned(),
            result: INCOMING_CALL,
            answered: false,
            tones: String::new(),
            hung_up: false,
        });
        self.queue_unsolicited("RING");
        if self.settings.clip {
            let toa = toa_of_number(from);
            self.queue_unsolicited(&format!("+CLIP: \"{from}\",{toa}"));
        }
        (true, self.flush_unsolicited())
    }

    /// `AT+CLIP=<n>`: calling line identification presentation.
    pub(super) fn clip(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            // `<m>` 1: the network provides the service.
            Kind::Read => reply.line(format!("+CLIP: {},1", u8::from(self.settings.clip))),
            Kind::Test => reply.line("+CLIP: (0,1)"),
            Kind::Set(params) => {
                let n = Args(params)
                    .number_in(0, 0..=1)
                    .map_err(|_| CommandError::Error)?;
                self.settings.clip = n == Some(1);
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Modem, ModemConfig};

    fn chat(modem: &mut Modem, line: &str) -> String {
        let mut out = Vec::new();
        for action in modem.handle_input(format!("{line}\r").as_bytes()) {
            if let crate::Action::Write(bytes) = action {
                out.extend(bytes);
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn written(actions: Vec<crate::Action>) -> String {
        let mut out = Vec::new();
        for action in actions {
            if let crate::Action::Write(bytes) = action {
                out.extend(bytes);
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_call_rings_with_the_caller_once_clip_is_on_until_hung_up() {
        let mut modem = Modem::new(ModemConfig::numbered(0));
        chat(&mut modem, "ATE0");
        let (rang, actions) = modem.incoming_call("+37120000000");
        assert!(rang);
        assert_eq!(written(actions), "\r\nRING\r\n", "no +CLIP without AT+CLIP=1");
        assert!(
            !modem.incoming_call("+37120000001").0,
            "a second caller hears busy"
        );
        assert_eq!(chat(&mut modem, "AT+CHUP"), "\r\nOK\r\n");
        assert_eq!(chat(&mut modem, "AT+CLIP=1"), "\r\nOK\r\n");
        assert_eq!(chat(&mut modem, "AT+CLIP?"), "\r\n+CLIP: 1,1\r\n\r\nOK\r\n");
        let (_, actions) = modem.incoming_call("+37120000000");
        assert_eq!(
            written(actions),
            "\r\nRING\r\n\r\n+CLIP: \"+37120000000\",145\r\n"
        );
        let calls = modem.calls();
        assert_eq!(calls.len(), 2);
        assert!(calls[0].hung_up && calls[0].result == super::INCOMING_CALL);
        assert!(!calls[1].hung_up, "still ringing");
    }
}
