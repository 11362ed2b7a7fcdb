//! USSD (3GPP TS 27.007 7.15, `+CUSD`): the request goes out as an
//! [`Action::UssdRequest`], the network's answer comes back through
//! [`Modem::ussd_response`] as `+CUSD: <m>,"<str>",<dcs>`.
//!
//! Both strings follow `+CSCS`: gammu switches to `"UCS2"` and sends
//! `"002A0031003000300023"` for `*100#`, so the answer then comes as UCS2
//! hex too (gotcha 9 of `real-clients-at-transcripts.md`: the lab modem
//! answered in plain text and gammu coped, but hex is what the standard
//! asks for).

use super::command::{Args, Kind};
use super::error::{self, CommandError};
use super::{Action, Flow, Modem, Outcome, Reply};

/// TS 23.038 clause 5: GSM 7-bit, language unspecified.
const DCS_GSM7: u8 = 15;
/// TS 23.038 clause 5: UCS2, language unspecified (group 0100).
const DCS_UCS2: u8 = 72;

const BAD_PARAMETERS: CommandError = CommandError::Cme(error::CME_INCORRECT_PARAMETERS);

impl Modem {
    /// `AT+CUSD=<n>[,<str>[,<dcs>]]`: `<n>` 1 shows answers, 0 hides them,
    /// 2 ends the session.
    pub(super) fn cusd(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => reply.line(format!("+CUSD: {}", u8::from(self.settings.ussd_presentation))),
            Kind::Test => reply.line("+CUSD: (0-2)"),
            Kind::Exec => self.settings.ussd_presentation = false,
            Kind::Set(params) => {
                let args = Args(params);
                let n = args.number_in(0, 0..=2).map_err(|_| BAD_PARAMETERS)?.unwrap_or(0);
                if n == 2 {
                    return Ok(Flow::Next);
                }
                let Some(typed) = args.string(1) else {
                    self.settings.ussd_presentation = n == 1;
                    return Ok(Flow::Next);
                };
                let dcs = args.number_in(2, 0..=255).map_err(|_| BAD_PARAMETERS)?;
                if let Some(sim_error) = self.sim_error_cme() {
                    return Err(sim_error);
                }
                if !self.is_registered() {
                    return Err(CommandError::Cme(error::CME_NO_NETWORK_SERVICE));
                }
                let request = self
                    .settings
                    .charset
                    .decode(typed)
                    .ok_or(CommandError::Cme(error::CME_INVALID_CHARACTERS))?;
                self.settings.ussd_presentation = n == 1;
                reply.actions.push(Action::UssdRequest {
                    request,
                    dcs: dcs.map_or(DCS_GSM7, |dcs| dcs as u8),
                });
            }
        }
        Ok(Flow::Next)
    }

    /// Queues `+CUSD: <status>,"<raw>",<dcs>` with `raw` as given: an
    /// answer already encoded the way a network or modem sends it (packed
    /// GSM 7-bit hex, UCS2 hex), which clients must decode themselves.
    pub(super) fn queue_ussd_raw(&mut self, raw: &str, dcs: u8, status: u8) {
        if !self.settings.ussd_presentation {
            return;
        }
        self.queue_unsolicited(&format!("+CUSD: {status},\"{raw}\",{dcs}"));
    }

    /// Queues `+CUSD` for `text`, in the `+CSCS` character set when it can
    /// carry the text (DCS 15), else as UCS2 hex (DCS 72). Without text
    /// only the status goes out (`+CUSD: 4`, operation not supported).
    pub(super) fn queue_ussd(&mut self, text: &str, status: u8) {
        if !self.settings.ussd_presentation {
            return;
        }
        if text.is_empty() {
            self.queue_unsolicited(&format!("+CUSD: {status}"));
            return;
        }
        let charset = self.settings.charset;
        let fits_gsm7 = sms_pdu::Gsm7Tables::DEFAULT.septet_count(text).is_ok();
        let (encoded, dcs) = match charset.encode(text) {
            Some(encoded) if fits_gsm7 => (encoded, DCS_GSM7),
            _ => (super::charset::ucs2_hex(text), DCS_UCS2),
        };
        self.queue_unsolicited(&format!("+CUSD: {status},\"{encoded}\",{dcs}"));
    }
}
