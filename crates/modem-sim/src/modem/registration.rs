//! Network registration and radio: `+CREG`, `+CGREG`, `+CGATT`, `+COPS`,
//! `+CSQ`, and the `+CREG`/`+CGREG` result codes when registration
//! changes.
//!
//! gammu-smsd asks for all of them before every send; `+CGATT?` must answer
//! (an `ERROR` fails its network info on every loop), and `+COPS?` must
//! follow the format chosen with `+COPS=3,<format>`.

use super::command::{Args, Kind};
use super::error::{self, CommandError};
use super::{Flow, Modem, Outcome, Reply};

/// The cell every virtual modem camps on, as the lab modem reported it.
const LAC: &str = "00C3";
const CELL_ID: &str = "0001ABCD";
/// E-UTRAN (TS 27.007 7.2 `<AcT>`).
const ACCESS_TECHNOLOGY: u8 = 7;

const BAD_PARAMETERS: CommandError = CommandError::Cme(error::CME_INCORRECT_PARAMETERS);

impl Modem {
    /// `AT+CREG` and `AT+CGREG`: `<n>` 0-2 and the registration status.
    pub(super) fn creg(&mut self, kind: &Kind, reply: &mut Reply, gprs: bool) -> Outcome {
        let name = if gprs { "+CGREG" } else { "+CREG" };
        match kind {
            Kind::Read => {
                let n = if gprs {
                    self.settings.cgreg
                } else {
                    self.settings.creg
                };
                reply.line(format!("{name}: {n},{}", self.registration_fields(n)));
            }
            Kind::Test => reply.line(format!("{name}: (0-2)")),
            Kind::Set(params) => {
                let n = Args(params).number_in(0, 0..=2).map_err(|_| BAD_PARAMETERS)?;
                let n = n.unwrap_or(0) as u8;
                if gprs {
                    self.settings.cgreg = n;
                } else {
                    self.settings.creg = n;
                }
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `<stat>[,<lac>,<ci>,<AcT>]`: 1 (home) or 0 (not registered, not
    /// searching); location only with `<n>` 2 and when registered.
    fn registration_fields(&self, n: u8) -> String {
        if !self.is_registered() {
            return "0".to_owned();
        }
        match n {
            2 => format!("1,\"{LAC}\",\"{CELL_ID}\",{ACCESS_TECHNOLOGY}"),
            _ => "1".to_owned(),
        }
    }

    /// Queues `+CREG: <stat>` / `+CGREG: <stat>` for clients that asked
    /// for them, when the registration differs from `registered_before`.
    pub(super) fn note_registration(&mut self, registered_before: bool) {
        if self.is_registered() == registered_before {
            return;
        }
        for (name, n) in [("+CREG", self.settings.creg), ("+CGREG", self.settings.cgreg)] {
            if n > 0 {
                let line = format!("{name}: {}", self.registration_fields(n));
                self.queue_unsolicited(&line);
            }
        }
    }

    /// `AT+CGATT`: attached whenever registered.
    pub(super) fn cgatt(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => reply.line(format!("+CGATT: {}", u8::from(self.is_registered()))),
            Kind::Test => reply.line("+CGATT: (0,1)"),
            Kind::Set(params) => {
                Args(params).number_in(0, 0..=1).map_err(|_| BAD_PARAMETERS)?;
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+COPS`: one operator, automatic selection, and `<format>` 0
    /// (long name), 1 (short name, the same here) or 2 (numeric).
    pub(super) fn cops(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => {
                let mode = if self.deregistered { 2 } else { 0 };
                if self.is_registered() {
                    let format = self.settings.cops_format;
                    let operator = match format {
                        2 => &self.config.operator_numeric,
                        _ => &self.config.operator_name,
                    };
                    reply.line(format!(
                        "+COPS: {mode},{format},\"{operator}\",{ACCESS_TECHNOLOGY}"
                    ));
                } else {
                    reply.line(format!("+COPS: {mode}"));
                }
            }
            Kind::Test => {
                let operators = if self.faults.no_network {
                    String::new()
                } else {
                    let name = &self.config.operator_name;
                    format!(
                        "(2,\"{name}\",\"{name}\",\"{}\",{ACCESS_TECHNOLOGY})",
                        self.config.operator_numeric
                    )
                };
                reply.line(format!("+COPS: {operators},,(0-4),(0-2)"));
            }
            Kind::Set(params) => {
                let args = Args(params);
                let mode = args.number_in(0, 0..=4).map_err(|_| BAD_PARAMETERS)?;
                let format = args.number_in(1, 0..=2).map_err(|_| BAD_PARAMETERS)?;
                let registered_before = self.is_registered();
                match mode {
                    Some(0) | None => self.deregistered = false,
                    Some(2) => self.deregistered = true,
                    Some(3) if format.is_none() => return Err(BAD_PARAMETERS),
                    Some(3) => {}
                    Some(_) => {
                        // Manual selection (1) or manual then automatic
                        // (4): only our one operator can be chosen.
                        let wanted = args.string(2).ok_or(BAD_PARAMETERS)?;
                        let wanted = self.settings.charset.decode_lenient(wanted);
                        let known =
                            wanted == self.config.operator_name || wanted == self.config.operator_numeric;
                        if !known && mode == Some(1) {
                            return Err(CommandError::Cme(error::CME_NETWORK_NOT_ALLOWED));
                        }
                        self.deregistered = false;
                    }
                }
                if let Some(format) = format {
                    self.settings.cops_format = format as u8;
                }
                self.note_registration(registered_before);
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+CSQ`: the configured signal, or 99 (unknown) without network.
    pub(super) fn signal(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec if self.faults.no_network || self.cfun != 1 => reply.line("+CSQ: 99,99"),
            Kind::Exec => reply.line(format!("+CSQ: {},99", self.config.rssi)),
            Kind::Test => reply.line("+CSQ: (0-31,99),(0-7,99)"),
            _ => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }
}
