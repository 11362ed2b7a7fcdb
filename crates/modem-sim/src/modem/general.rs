//! The general commands: V.250 basics (`E`, `Z`, `I`, ...), error format
//! (`+CMEE`), character set (`+CSCS`), radio (`+CFUN`), SIM PIN (`+CPIN`)
//! and the identity of the device and the SIM.

use super::charset::Charset;
use super::command::{Args, Kind};
use super::error::{self, CommandError};
use super::{Flow, Line, Modem, Outcome, Reply, Settings, SimLock};

const ERROR: CommandError = CommandError::Error;
const BAD_PARAMETERS: CommandError = CommandError::Cme(error::CME_INCORRECT_PARAMETERS);

impl Modem {
    /// `ATE0`, `ATE1`.
    pub(super) fn echo(&mut self, kind: &Kind) -> Outcome {
        self.settings.echo = match kind {
            Kind::Exec => false,
            Kind::Set(params) => match Args(params).number(0) {
                Ok(Some(0)) => false,
                Ok(Some(1)) => true,
                _ => return Err(ERROR),
            },
            _ => return Err(ERROR),
        };
        Ok(Flow::Next)
    }

    /// `ATZ` and `AT&F`: settings back to power-up (echo on, PDU mode,
    /// `+CMEE=0`, ...). python-gsmmodem relies on it.
    pub(super) fn reset(&mut self, kind: &Kind) -> Outcome {
        match kind {
            Kind::Exec => {}
            Kind::Set(params) if Args(params).number(0) == Ok(Some(0)) => {}
            _ => return Err(ERROR),
        }
        self.settings = Settings::default();
        Ok(Flow::Next)
    }

    /// `ATI`: manufacturer, model and revision, one information response
    /// of three lines.
    pub(super) fn identify(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec => {}
            Kind::Set(params) if Args(params).number(0) == Ok(Some(0)) => {}
            _ => return Err(ERROR),
        }
        reply.lines([
            self.config.manufacturer.clone(),
            self.config.model.clone(),
            format!("Revision: {}", self.config.revision),
        ]);
        Ok(Flow::Next)
    }

    /// Basic settings accepted at their usual values and otherwise refused:
    /// `V1` (verbose result codes: numeric ones are not simulated), `Q0`
    /// (result codes on), `X0`-`X4`, `&C`, `&D`, `&K`, `&W`.
    pub(super) fn accepted_basic(&mut self, name: &str, kind: &Kind) -> Outcome {
        let value = match kind {
            Kind::Exec => 0,
            Kind::Set(params) => Args(params).number(0).ok().flatten().ok_or(ERROR)?,
            _ => return Err(ERROR),
        };
        let accepted = match name {
            "V" => value == 1,
            "Q" => value == 0,
            "X" => value <= 4,
            _ => value <= 9,
        };
        if accepted {
            Ok(Flow::Next)
        } else {
            Err(ERROR)
        }
    }

    /// `AT+CMEE`: how failures are reported.
    pub(super) fn cmee(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => reply.line(format!("+CMEE: {}", self.settings.cmee)),
            Kind::Test => reply.line("+CMEE: (0-2)"),
            Kind::Set(params) => {
                let cmee = Args(params).number_in(0, 0..=2).map_err(|_| BAD_PARAMETERS)?;
                self.settings.cmee = cmee.unwrap_or(0) as u8;
            }
            Kind::Exec => self.settings.cmee = 0,
        }
        Ok(Flow::Next)
    }

    /// `AT+CSCS`. The name is always read plainly: gammu switches from
    /// `"UCS2"` back with a plain `AT+CSCS="HEX"`.
    pub(super) fn cscs(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => reply.line(format!("+CSCS: \"{}\"", self.settings.charset.name())),
            Kind::Test => {
                let names: Vec<String> = Charset::ALL
                    .iter()
                    .map(|charset| format!("\"{}\"", charset.name()))
                    .collect();
                reply.line(format!("+CSCS: ({})", names.join(",")));
            }
            Kind::Set(params) => {
                let name = Args(params).string(0).ok_or(BAD_PARAMETERS)?;
                self.settings.charset =
                    Charset::from_name(name).ok_or(CommandError::Cme(error::CME_OPERATION_NOT_SUPPORTED))?;
            }
            Kind::Exec => return Err(ERROR),
        }
        Ok(Flow::Next)
    }

    /// `AT+CFUN`: 1 full, 0 minimum and 4 flight mode both without
    /// network; `AT+CFUN=1,1` also resets the settings.
    pub(super) fn cfun(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => reply.line(format!("+CFUN: {}", self.cfun)),
            Kind::Test => reply.line("+CFUN: (0,1,4),(0,1)"),
            Kind::Set(params) => {
                let args = Args(params);
                let fun = args
                    .number(0)
                    .map_err(|_| BAD_PARAMETERS)?
                    .ok_or(BAD_PARAMETERS)?;
                if !matches!(fun, 0 | 1 | 4) {
                    return Err(BAD_PARAMETERS);
                }
                let reset = args.number_in(1, 0..=1).map_err(|_| BAD_PARAMETERS)? == Some(1);
                let registered_before = self.is_registered();
                self.cfun = fun as u8;
                if reset {
                    self.settings = Settings::default();
                    self.line = Line::idle();
                    self.call = None;
                }
                self.note_registration(registered_before);
            }
            Kind::Exec => return Err(ERROR),
        }
        Ok(Flow::Next)
    }

    /// `AT+CPIN?` and `AT+CPIN="<pin>"` / `AT+CPIN="<puk>","<new pin>"`:
    /// three wrong PINs block the SIM until the PUK is given.
    pub(super) fn cpin(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        if self.faults.sim_removed && !matches!(kind, Kind::Test) {
            return Err(CommandError::Cme(error::CME_SIM_NOT_INSERTED));
        }
        match kind {
            Kind::Read => {
                let state = match self.sim {
                    SimLock::Ready => "READY",
                    SimLock::Pin { .. } => "SIM PIN",
                    SimLock::Puk { .. } => "SIM PUK",
                };
                reply.line(format!("+CPIN: {state}"));
            }
            Kind::Test => {}
            Kind::Set(params) => {
                let args = Args(params);
                let code = args.string(0).ok_or(BAD_PARAMETERS)?;
                let registered_before = self.is_registered();
                let wrong = CommandError::Cme(error::CME_INCORRECT_PASSWORD);
                match self.sim {
                    SimLock::Ready => return Err(CommandError::Cme(error::CME_OPERATION_NOT_ALLOWED)),
                    SimLock::Pin { tries_left } => {
                        if code != self.pin {
                            self.sim = match tries_left {
                                0 | 1 => SimLock::Puk { tries_left: 10 },
                                _ => SimLock::Pin {
                                    tries_left: tries_left - 1,
                                },
                            };
                            return Err(wrong);
                        }
                    }
                    SimLock::Puk { tries_left } => {
                        let new_pin = args.string(1).ok_or(BAD_PARAMETERS)?;
                        if code != self.puk() || tries_left == 0 {
                            self.sim = SimLock::Puk {
                                tries_left: tries_left.saturating_sub(1),
                            };
                            return Err(wrong);
                        }
                        self.pin = new_pin.to_owned();
                    }
                }
                self.sim = SimLock::Ready;
                self.note_registration(registered_before);
            }
            Kind::Exec => return Err(ERROR),
        }
        Ok(Flow::Next)
    }

    /// `AT+CGMI`, `AT+CGMM`, `AT+CGMR`, `AT+CGSN` (and their V.250 names
    /// `+GMI`...): the value alone on its line.
    pub(super) fn identity(&mut self, kind: &Kind, reply: &mut Reply, value: String) -> Outcome {
        match kind {
            Kind::Exec => reply.line(value),
            Kind::Test => {}
            _ => return Err(ERROR),
        }
        Ok(Flow::Next)
    }

    /// `AT+CIMI`: needs an unlocked SIM.
    pub(super) fn imsi(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        if let (Kind::Exec, Some(sim_error)) = (kind, self.sim_error_cme()) {
            return Err(sim_error);
        }
        self.identity(kind, reply, self.config.imsi.clone())
    }

    /// `AT+CCID` / `AT+ICCID`: readable without the PIN, as on most
    /// modems, but not without the SIM.
    pub(super) fn iccid(&mut self, name: &str, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec | Kind::Read if self.faults.sim_removed => {
                Err(CommandError::Cme(error::CME_SIM_NOT_INSERTED))
            }
            Kind::Exec | Kind::Read => {
                reply.line(format!("{name}: {}", self.config.iccid));
                Ok(Flow::Next)
            }
            Kind::Test => Ok(Flow::Next),
            Kind::Set(_) => Err(ERROR),
        }
    }

    /// `AT+CNUM`: the own number as stored on the SIM.
    pub(super) fn own_number(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec => {
                if let Some(sim_error) = self.sim_error_cme() {
                    return Err(sim_error);
                }
                reply.line(format!("+CNUM: \"\",\"+{}\",145", self.config.msisdn));
                Ok(Flow::Next)
            }
            Kind::Test => Ok(Flow::Next),
            _ => Err(ERROR),
        }
    }

    /// `AT+CBC`: a battery always at 95 %, as the lab modem answered.
    pub(super) fn battery(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Exec => reply.line("+CBC: 0,95"),
            Kind::Test => reply.line("+CBC: (0-3),(0-100)"),
            _ => return Err(ERROR),
        }
        Ok(Flow::Next)
    }
}
