//! Short messages (3GPP TS 27.005): format (`+CMGF`), SMSC (`+CSCA`),
//! memories (`+CPMS`), sending (`+CMGS`) and reading (`+CMGL`, `+CMGR`,
//! `+CMGD`). What the network delivers, and the commands that steer it
//! (`+CNMI`, `+CSMS`, `+CNMA`), are in `indications.rs`.
//!
//! Shapes follow the captures: `+CMGR: <stat>,,<length>` then the PDU on
//! the next line, `+CMGL` entries with a single CRLF between them (smsd's
//! CMGL reader breaks on a blank line), `<length>` without the SMSC address.

use sms_pdu::{encode_hex, Pdu, Tpdu};

use super::command::{latin1, Args, Kind};
use super::error::{self, CommandError};
use super::{Action, Entry, Flow, Line, Modem, Outcome, Output, Reply};
use crate::store::{DeleteFlag, MessageStat, StatFilter, Storage, StoreError, StoredMessage};

/// The longest SMS-SUBMIT TPDU: first octet, TP-MR, a 12-octet TP-DA,
/// TP-PID, TP-DCS, a 7-octet TP-VP, TP-UDL and 140 octets of TP-UD.
const MAX_SUBMIT_LEN: u32 = 164;

const PDU_PARAMETER: CommandError = CommandError::Cms(error::CMS_INVALID_PDU_PARAMETER);
const TEXT_PARAMETER: CommandError = CommandError::Cms(error::CMS_INVALID_TEXT_PARAMETER);
const INVALID_INDEX: CommandError = CommandError::Cms(error::CMS_INVALID_MEMORY_INDEX);
const NOT_ALLOWED: CommandError = CommandError::Cms(error::CMS_OPERATION_NOT_ALLOWED);
const NOT_SUPPORTED: CommandError = CommandError::Cms(error::CMS_OPERATION_NOT_SUPPORTED);

impl Modem {
    /// `AT+CMGF`: 0 PDU mode, 1 text mode.
    pub(super) fn cmgf(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => reply.line(format!("+CMGF: {}", u8::from(self.settings.text_mode))),
            Kind::Test => reply.line("+CMGF: (0,1)"),
            Kind::Set(params) => {
                let mode = Args(params).number_in(0, 0..=1).map_err(|_| NOT_SUPPORTED)?;
                self.settings.text_mode = mode == Some(1);
            }
            Kind::Exec => self.settings.text_mode = false,
        }
        Ok(Flow::Next)
    }

    /// `AT+CSCA`: the SMSC address and its type. gammu and gammu-smsd
    /// read it before the first send and copy it into every PDU.
    pub(super) fn csca(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        // The address lives on the SIM (EF_SMSP): neither read nor written
        // without it.
        if let (Kind::Read | Kind::Set(_), Some(sim_error)) = (kind, self.sim_error_cms()) {
            return Err(sim_error);
        }
        match kind {
            Kind::Read => reply.line(format!("+CSCA: \"{}\",{}", self.smsc, self.smsc_toa)),
            Kind::Test => {}
            Kind::Set(params) => {
                let args = Args(params);
                let typed = args.string(0).ok_or(self.parameter_error())?;
                // A number typed plainly stays as it is whatever +CSCS says;
                // only a string that can't be a number is decoded.
                let is_plain_number = typed
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || matches!(ch, '+' | '*' | '#'));
                let number = match is_plain_number {
                    true => typed.to_owned(),
                    false => self.settings.charset.decode_lenient(typed),
                };
                let toa = args.number_in(1, 0..=255).map_err(|_| self.parameter_error())?;
                self.smsc_toa = toa.map_or_else(|| super::toa_of_number(&number), |toa| toa as u8);
                self.smsc = number;
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+CSMP=<fo>,<vp>,<pid>,<dcs>`: the SUBMIT fields of text mode.
    /// python-gsmmodem sends it in PDU mode too.
    pub(super) fn csmp(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        let csmp = &mut self.settings.csmp;
        match kind {
            Kind::Read => reply.line(format!(
                "+CSMP: {},{},{},{}",
                csmp.fo, csmp.vp, csmp.pid, csmp.dcs
            )),
            Kind::Test => {}
            Kind::Set(params) => {
                let args = Args(params);
                let mut values = [csmp.fo, csmp.vp, csmp.pid, csmp.dcs];
                for (param_idx, value) in values.iter_mut().enumerate() {
                    if let Some(given) = args.number_in(param_idx, 0..=255).map_err(|_| TEXT_PARAMETER)? {
                        *value = given as u8;
                    }
                }
                [csmp.fo, csmp.vp, csmp.pid, csmp.dcs] = values;
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+CPMS`: the query names the three memories, the set answers
    /// only the counts (`+CPMS: 0,50,2,30,2,30` for `AT+CPMS="ME"`).
    pub(super) fn cpms(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        if let (Kind::Read | Kind::Set(_), Some(sim_error)) = (kind, self.sim_error_cms()) {
            return Err(sim_error);
        }
        match kind {
            Kind::Read => {
                let fields: Vec<String> = self
                    .settings
                    .cpms
                    .iter()
                    .map(|&mem| format!("\"{mem}\",{}", self.counts(mem)))
                    .collect();
                reply.line(format!("+CPMS: {}", fields.join(",")));
            }
            Kind::Test => reply.line(r#"+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")"#),
            Kind::Set(params) => {
                let args = Args(params);
                if args.len() > 3 || args.string(0).is_none() {
                    return Err(self.parameter_error());
                }
                let mut cpms = self.settings.cpms;
                for (param_idx, mem) in cpms.iter_mut().enumerate() {
                    if let Some(name) = args.string(param_idx) {
                        let name = self.settings.charset.decode_lenient(name);
                        *mem = Storage::from_name(&name).ok_or(NOT_ALLOWED)?;
                    }
                }
                self.settings.cpms = cpms;
                let counts: Vec<String> = cpms.iter().map(|&mem| self.counts(mem)).collect();
                reply.line(format!("+CPMS: {}", counts.join(",")));
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `<used>,<total>` of a memory.
    fn counts(&self, mem: Storage) -> String {
        let store = self.stores.get(mem);
        format!("{},{}", store.used(), store.capacity())
    }

    /// `AT+CMMS`: keep the link for more messages; accepted and ignored.
    pub(super) fn cmms(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => reply.line(format!("+CMMS: {}", self.settings.cmms)),
            Kind::Test => reply.line("+CMMS: (0-2)"),
            Kind::Set(params) => {
                let n = Args(params)
                    .number_in(0, 0..=2)
                    .map_err(|_| self.parameter_error())?;
                self.settings.cmms = n.unwrap_or(0) as u8;
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+CMGS=<length>` in PDU mode (`AT+CMGS="<da>"` in text mode):
    /// the `> ` prompt, then the message.
    pub(super) fn cmgs(&mut self, kind: &Kind, is_last: bool) -> Outcome {
        let params = match kind {
            Kind::Test => return Ok(Flow::Next),
            Kind::Set(params) => params,
            _ => return Err(CommandError::Error),
        };
        if let Some(sim_error) = self.sim_error_cms() {
            return Err(sim_error);
        }
        let line = if self.settings.text_mode {
            self.text_destination(&Args(params))?
        } else {
            let length = Args(params)
                .number_in(0, 1..=MAX_SUBMIT_LEN)
                .map_err(|_| PDU_PARAMETER)?
                .ok_or(PDU_PARAMETER)?;
            Line::Pdu {
                length: length as usize,
                entry: Entry::default(),
            }
        };
        // What follows the prompt is the message, so nothing may follow
        // the command on its line.
        if !is_last || self.faults.take_prompt_error() {
            return Err(CommandError::Error);
        }
        Ok(Flow::Prompt(line))
    }

    /// Ctrl-Z after the prompt: check the message and send it.
    pub(super) fn finish_message(&mut self, line: Line, out: &mut Output) {
        let submit = match line {
            Line::Pdu { length, entry } => self.check_pdu(length, &entry),
            Line::Text { destination, entry } => self.text_submit(destination, &entry),
            Line::Command(_) => return,
        };
        let sent = submit.and_then(|pdu| self.check_can_send().map(|()| pdu));
        match sent {
            Ok(pdu) => {
                let mr = self.next_mr;
                self.next_mr = mr.checked_add(1).unwrap_or(1);
                if std::mem::take(&mut self.faults.unplug_on_send) {
                    // Gone after the network took it, before the answer.
                    out.actions.push(Action::Submitted { mr, pdu });
                    self.faults.unplugged = true;
                    out.actions.push(Action::Unplug);
                    return;
                }
                self.answer(out, format!("\r\n+CMGS: {mr}\r\n\r\nOK\r\n").into_bytes());
                out.actions.push(Action::Submitted { mr, pdu });
            }
            Err(error) => {
                let line = error.result_line(self.settings.cmee);
                self.answer(out, super::framed(&line));
            }
        }
    }

    /// The typed PDU must be hex, an SMS-SUBMIT, and as long as announced
    /// (TPDU octets, without the SMSC address).
    fn check_pdu(&self, length: usize, entry: &Entry) -> Result<Vec<u8>, CommandError> {
        if entry.overflow {
            return Err(PDU_PARAMETER);
        }
        let octets = sms_pdu::decode_hex(&latin1(&entry.bytes)).map_err(|_| PDU_PARAMETER)?;
        let smsc_len = 1 + usize::from(*octets.first().ok_or(PDU_PARAMETER)?);
        if octets.len().checked_sub(smsc_len) != Some(length) {
            return Err(PDU_PARAMETER);
        }
        match Pdu::decode(&octets) {
            Ok(decoded) if matches!(decoded.value.tpdu, Tpdu::Submit(_)) => Ok(octets),
            _ => Err(PDU_PARAMETER),
        }
    }

    /// SIM, registration, then the injected send errors.
    fn check_can_send(&mut self) -> Result<(), CommandError> {
        if let Some(sim_error) = self.sim_error_cms() {
            return Err(sim_error);
        }
        if !self.is_registered() {
            return Err(CommandError::Cms(error::CMS_NO_NETWORK_SERVICE));
        }
        match self.faults.take_send_error() {
            Some(send_error) if send_error.cms => Err(CommandError::Cms(send_error.code)),
            Some(send_error) => Err(CommandError::Cme(send_error.code)),
            None => Ok(()),
        }
    }

    /// `AT+CMGL=<stat>` (default: unread) in `<mem1>`.
    pub(super) fn cmgl(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        let filter = match kind {
            Kind::Test if self.settings.text_mode => {
                reply.line(r#"+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")"#);
                return Ok(Flow::Next);
            }
            Kind::Test => {
                reply.line("+CMGL: (0-4)");
                return Ok(Flow::Next);
            }
            Kind::Exec => StatFilter::Only(MessageStat::ReceivedUnread),
            Kind::Set(params) => self.stat_filter(&Args(params))?,
            Kind::Read => return Err(CommandError::Error),
        };
        if let Some(sim_error) = self.sim_error_cms() {
            return Err(sim_error);
        }
        let listed = self.stores.get_mut(self.settings.cpms[0]).list(filter);
        let lines: Vec<String> = listed
            .iter()
            .flat_map(|(index, message)| self.message_lines(Some(*index), message))
            .collect();
        if !lines.is_empty() {
            reply.lines(lines);
        }
        Ok(Flow::Next)
    }

    /// PDU mode takes `<stat>` as a number, text mode as a name.
    fn stat_filter(&self, args: &Args<'_>) -> Result<StatFilter, CommandError> {
        if self.settings.text_mode {
            let name = args
                .string(0)
                .filter(|_| args.is_quoted(0))
                .ok_or(TEXT_PARAMETER)?;
            StatFilter::from_text(name).ok_or(TEXT_PARAMETER)
        } else {
            let code = args.number(0).ok().flatten().filter(|_| !args.is_quoted(0));
            code.and_then(StatFilter::from_code).ok_or(PDU_PARAMETER)
        }
    }

    /// `AT+CMGR=<index>` in `<mem1>`: an unread message becomes read.
    pub(super) fn cmgr(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        let params = match kind {
            Kind::Test => return Ok(Flow::Next),
            Kind::Set(params) => params,
            _ => return Err(CommandError::Error),
        };
        if let Some(sim_error) = self.sim_error_cms() {
            return Err(sim_error);
        }
        let index = Args(params).number(0).ok().flatten().ok_or(INVALID_INDEX)?;
        // An empty slot is an error, as on the lab modem; the captured
        // clients only read slots +CPMS counted.
        let message = self
            .stores
            .get_mut(self.settings.cpms[0])
            .read(index as usize)
            .ok()
            .flatten()
            .ok_or(INVALID_INDEX)?;
        reply.lines(self.message_lines(None, &message));
        Ok(Flow::Next)
    }

    /// `AT+CMGD=<index>[,<delflag>]` in `<mem1>`.
    pub(super) fn cmgd(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        let mem = self.settings.cpms[0];
        let params = match kind {
            Kind::Test => {
                let used: Vec<String> = self
                    .stores
                    .get(mem)
                    .iter()
                    .map(|(index, _)| index.to_string())
                    .collect();
                reply.line(format!("+CMGD: ({}),(0-4)", used.join(",")));
                return Ok(Flow::Next);
            }
            Kind::Set(params) => params,
            _ => return Err(CommandError::Error),
        };
        if let Some(sim_error) = self.sim_error_cms() {
            return Err(sim_error);
        }
        let args = Args(params);
        let index = args.number(0).map_err(|_| INVALID_INDEX)?;
        let flag = args
            .number(1)
            .ok()
            .and_then(|flag| DeleteFlag::from_code(flag.unwrap_or(0)))
            .ok_or(self.parameter_error())?;
        // With a flag other than 0 the index is ignored and may be left out.
        let index = match (index, flag) {
            (Some(index), _) => index as usize,
            (None, DeleteFlag::Index) => return Err(INVALID_INDEX),
            (None, _) => 1,
        };
        match self.stores.get_mut(mem).delete_with_flag(index, flag) {
            Ok(_) => Ok(Flow::Next),
            Err(StoreError::InvalidIndex { .. } | StoreError::Full { .. }) => Err(INVALID_INDEX),
        }
    }

    /// The lines of a stored message in `+CMGL` (with index) or `+CMGR`.
    fn message_lines(&self, index: Option<usize>, message: &StoredMessage) -> Vec<String> {
        if self.settings.text_mode {
            return self.text_message_lines(index, message);
        }
        let head = match index {
            Some(index) => format!("+CMGL: {index},{},,{}", message.stat.code(), message.tpdu_len()),
            None => format!("+CMGR: {},,{}", message.stat.code(), message.tpdu_len()),
        };
        vec![head, encode_hex(&message.pdu)]
    }

    fn parameter_error(&self) -> CommandError {
        if self.settings.text_mode {
            TEXT_PARAMETER
        } else {
            PDU_PARAMETER
        }
    }
}
