//! What happens when the network hands the modem a message or a status
//! report (TS 27.005 3.4), and the commands that steer it: `+CNMI` (which
//! indications, and what to do with them while the link is reserved),
//! `+CSMS` (who acknowledges a routed message) and `+CNMA` (the client's
//! acknowledgement).
//!
//! A message is not lost on the modem's side: what the modem cannot show
//! or store now it refuses ([`Delivery::Deferred`]), and the network keeps
//! it and retries. A stored message's `+CMTI`/`+CDSI` may be dropped (mode
//! 1 on a busy line, `bfr=1`, a full mode 0 buffer): the message is in the
//! store. The one loss TS 27.005 prescribes is kept, because the client
//! asks for it: leaving mode 0 with `bfr=1` clears buffered `+CMT`/`+CDS`
//! too; under `AT+CSMS=0` the modem had acknowledged them already, under
//! `AT+CSMS=1` the one awaiting acknowledgement is refused and retried.

use sms_pdu::{encode_hex, MessageClass, Pdu, Tpdu};

use super::command::{Args, Kind};
use super::error::{self, CommandError};
use super::{framed, Action, Cnmi, Delivery, Flow, Modem, Outcome, Reply};
use crate::store::{tpdu_len, MessageStat, StoredMessage};

const NOT_SUPPORTED: CommandError = CommandError::Cms(error::CMS_OPERATION_NOT_SUPPORTED);
const PDU_PARAMETER: CommandError = CommandError::Cms(error::CMS_INVALID_PDU_PARAMETER);
const NO_CNMA_EXPECTED: CommandError = CommandError::Cms(error::CMS_NO_CNMA_EXPECTED);

/// How many indications the modem buffers (mode 0, or a busy line under
/// modes 2 and 3). A routed message beyond it is refused, to be retried;
/// a `+CMTI` beyond it under mode 0 is dropped (TS 27.005 3.4.1 allows
/// that: its message is stored).
pub(super) const MAX_BUFFERED: usize = 16;

impl Modem {
    /// `AT+CSMS=<service>` (TS 27.005 3.2.1): 0 the modem acknowledges a
    /// routed message itself, 1 the client does with `AT+CNMA`. Kannel
    /// asks `AT+CSMS=?` and sets 1 when it can.
    pub(super) fn csms(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            // <service>,<mt>,<mo>,<bm>: receiving, sending and cell
            // broadcast are all supported.
            Kind::Read => reply.line(format!("+CSMS: {},1,1,1", self.settings.csms)),
            Kind::Test => reply.line("+CSMS: (0,1)"),
            Kind::Set(params) => {
                let args = Args(params);
                let service = args
                    .number_in(0, 0..=1)
                    .ok()
                    .flatten()
                    .filter(|_| args.len() == 1)
                    .ok_or(NOT_SUPPORTED)?;
                self.settings.csms = service as u8;
                reply.line("+CSMS: 1,1,1");
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`, with the ranges gammu-smsd
    /// reads from the test command to choose `2,1,0,2,0` (those of the
    /// lab modem: mode 3, optional in TS 27.005, is not offered).
    pub(super) fn cnmi(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        match kind {
            Kind::Read => {
                let Cnmi {
                    mode,
                    mt,
                    bm,
                    ds,
                    bfr,
                } = self.settings.cnmi;
                reply.line(format!("+CNMI: {mode},{mt},{bm},{ds},{bfr}"));
            }
            Kind::Test => reply.line("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"),
            Kind::Set(params) => {
                let args = Args(params);
                let old = self.settings.cnmi;
                let field = |idx: usize, range, old: u8| -> Result<u8, CommandError> {
                    let value = args.number_in(idx, range).map_err(|_| NOT_SUPPORTED)?;
                    Ok(value.map_or(old, |value| value as u8))
                };
                let cnmi = Cnmi {
                    mode: field(0, 0..=2, old.mode)?,
                    mt: field(1, 0..=3, old.mt)?,
                    bm: field(2, 0..=2, old.bm)?,
                    ds: field(3, 0..=2, old.ds)?,
                    bfr: field(4, 0..=1, old.bfr)?,
                };
                if args.len() > 5 || cnmi.bm == 1 {
                    return Err(NOT_SUPPORTED);
                }
                self.settings.cnmi = cnmi;
                // TS 27.005 3.4.1: leaving mode 0 flushes the indications
                // held back (bfr 0, after the OK) or drops them (bfr 1).
                if cnmi.mode != 0 {
                    let held = std::mem::take(&mut self.buffered);
                    if cnmi.bfr == 0 {
                        self.unsolicited.extend(held);
                    } else if self
                        .awaiting_ack
                        .as_ref()
                        .is_some_and(|bytes| held.contains(bytes))
                    {
                        // The client will never see the message that
                        // waits for its acknowledgement: refused, to be
                        // retried.
                        self.awaiting_ack = None;
                        reply.actions.push(Action::Acknowledged { accepted: false });
                    }
                }
            }
            Kind::Exec => return Err(CommandError::Error),
        }
        Ok(Flow::Next)
    }

    /// `AT+CNMA` (TS 27.005 3.4.4), in PDU mode also `AT+CNMA=<n>` (0 or 1
    /// RP-ACK, 2 RP-ERROR), acknowledges the routed `+CMT`/`+CDS` the
    /// client was shown. Under `AT+CSMS=1` that completes (or, with 2,
    /// refuses) its delivery; under `AT+CSMS=0` the modem acknowledged it
    /// already, and the `AT+CNMA` smsd sends after a routed report is
    /// answered `OK` as the lab modem did.
    pub(super) fn cnma(&mut self, kind: &Kind, reply: &mut Reply) -> Outcome {
        let accepted = match kind {
            Kind::Test if self.settings.text_mode => return Ok(Flow::Next),
            Kind::Test => {
                reply.line("+CNMA: (0-2)");
                return Ok(Flow::Next);
            }
            Kind::Read => return Err(CommandError::Error),
            // Text mode has only the bare form.
            Kind::Set(_) if self.settings.text_mode => return Err(CommandError::Error),
            Kind::Set(params) => {
                let args = Args(params);
                // An acknowledgement PDU (`<n>,<length>` and a prompt)
                // is not supported.
                if args.len() > 1 {
                    return Err(NOT_SUPPORTED);
                }
                let n = args.number_in(0, 0..=2).map_err(|_| PDU_PARAMETER)?;
                n != Some(2)
            }
            Kind::Exec => true,
        };
        if self.settings.csms == 1 {
            // Only what the client has seen can be acknowledged.
            match &self.awaiting_ack {
                Some(bytes) if !self.is_waiting_to_be_shown(bytes) => {
                    self.awaiting_ack = None;
                    reply.actions.push(Action::Acknowledged { accepted });
                    Ok(Flow::Next)
                }
                _ => Err(NO_CNMA_EXPECTED),
            }
        } else if self.unacknowledged > 0 {
            self.unacknowledged -= 1;
            Ok(Flow::Next)
        } else {
            Err(NO_CNMA_EXPECTED)
        }
    }

    /// The client did not acknowledge the routed message of
    /// [`Delivery::AwaitingAck`] in time (the I/O shell keeps the clock;
    /// TS 24.011's TR2M, 12 to 20 seconds, on real hardware). The modem
    /// answers the network with an RP-ERROR, so the network should retry,
    /// and, as TS 27.005 3.4.4 requires, turns routing off (`<mt>` and
    /// `<ds>` of `AT+CNMI` become 0): the retry is stored. Returns whether
    /// a message was waiting.
    pub fn acknowledgement_timed_out(&mut self) -> bool {
        let Some(bytes) = self.awaiting_ack.take() else {
            return false;
        };
        // Not shown yet (a long-busy line): it must not be shown now.
        self.unsolicited.retain(|queued| *queued != bytes);
        self.buffered.retain(|queued| *queued != bytes);
        self.settings.cnmi.mt = 0;
        self.settings.cnmi.ds = 0;
        true
    }

    /// Whether `bytes` still waits in a queue, unseen by the client.
    fn is_waiting_to_be_shown(&self, bytes: &Vec<u8>) -> bool {
        self.unsolicited.contains(bytes) || self.buffered.contains(bytes)
    }

    /// The TPDU of a PDU the network hands over, or why it is not taken:
    /// an undecodable PDU is rejected, and a modem off the network is
    /// unreachable (the network holds the message and retries).
    fn accept_incoming(&self, pdu: &[u8]) -> Result<Tpdu, Delivery> {
        let tpdu = Pdu::decode(pdu)
            .map_err(|_| Delivery::Rejected("not a valid PDU"))?
            .value
            .tpdu;
        if !self.is_registered() {
            return Err(Delivery::Unreachable);
        }
        Ok(tpdu)
    }

    /// [`Modem::deliver`].
    pub(super) fn receive_deliver(&mut self, pdu: Vec<u8>) -> Delivery {
        let deliver = match self.accept_incoming(&pdu) {
            Ok(Tpdu::Deliver(deliver)) => deliver,
            Ok(_) => return Delivery::Rejected("not an SMS-DELIVER"),
            Err(refusal) => return refusal,
        };
        // TS 27.005 3.4.1: mt 2 routes all but class 2, mt 3 routes class 3;
        // the rest is stored, with +CMTI unless mt is 0.
        let class = deliver.dcs.meaning().class;
        let routed = match self.settings.cnmi.mt {
            2 => class != Some(MessageClass::Class2),
            3 => class == Some(MessageClass::Class3),
            _ => false,
        };
        if routed {
            let urc = match self.settings.text_mode {
                true => self.text_cmt(&deliver),
                false => format!("+CMT: ,{}\r\n{}", tpdu_len(&pdu), encode_hex(&pdu)),
            };
            return self.route(&urc);
        }
        let indication = (self.settings.cnmi.mt != 0).then_some("+CMTI");
        self.store_incoming(pdu, indication)
    }

    /// [`Modem::status_report`].
    pub(super) fn receive_status_report(&mut self, pdu: Vec<u8>) -> Delivery {
        let report = match self.accept_incoming(&pdu) {
            Ok(Tpdu::StatusReport(report)) => report,
            Ok(_) => return Delivery::Rejected("not an SMS-STATUS-REPORT"),
            Err(refusal) => return refusal,
        };
        match self.settings.cnmi.ds {
            1 => {
                let urc = match self.settings.text_mode {
                    true => self.text_cds(&report),
                    false => format!("+CDS: {}\r\n{}", tpdu_len(&pdu), encode_hex(&pdu)),
                };
                self.route(&urc)
            }
            // smsd never sets +CNMI and reads the reports it finds stored
            // (ds 0); gammu-smsd and python-gsmmodem ask for +CDSI (ds 2).
            ds => self.store_incoming(pdu, (ds == 2).then_some("+CDSI")),
        }
    }

    /// Shows a message to the client as `+CMT`/`+CDS` under `AT+CNMI`
    /// `<mode>` (TS 27.005 3.4.1): 0 buffers it in the modem, 1 refuses it
    /// while the link is reserved (a command line typed or answered, the
    /// `> ` prompt), 2 holds it until the line is idle. A refused message
    /// stays with the network, which retries: it is never shown to nobody.
    fn route(&mut self, urc: &str) -> Delivery {
        // TS 27.005 3.4.4: no second +CMT/+CDS before the first is
        // acknowledged.
        if self.awaiting_ack.is_some() {
            return Delivery::Deferred("an earlier routed message is not acknowledged yet");
        }
        let bytes = framed(urc);
        match self.settings.cnmi.mode {
            0 if self.buffered.len() >= MAX_BUFFERED => {
                return Delivery::Deferred("the indication buffer is full")
            }
            0 => self.buffered.push_back(bytes.clone()),
            1 if !self.is_idle() => return Delivery::Deferred("the link is reserved (+CNMI mode 1)"),
            _ if self.unsolicited.len() >= MAX_BUFFERED => {
                return Delivery::Deferred("the indication buffer is full")
            }
            _ => self.unsolicited.push_back(bytes.clone()),
        }
        if self.settings.csms == 1 {
            self.awaiting_ack = Some(bytes);
            Delivery::AwaitingAck
        } else {
            self.unacknowledged = self.unacknowledged.saturating_add(1);
            Delivery::Routed
        }
    }

    /// Stores in `<mem3>`, then queues `<indication>: "<mem>",<index>`.
    fn store_incoming(&mut self, pdu: Vec<u8>, indication: Option<&str>) -> Delivery {
        if self.faults.sim_full {
            return Delivery::StoreFull;
        }
        let mem = self.settings.cpms[2];
        let message = StoredMessage {
            stat: MessageStat::ReceivedUnread,
            pdu,
        };
        match self.stores.get_mut(mem).insert(message) {
            Ok(index) => {
                if let Some(indication) = indication {
                    self.storage_indication(&format!("{indication}: \"{mem}\",{index}"));
                }
                Delivery::Stored { mem, index }
            }
            Err(_) => Delivery::StoreFull,
        }
    }

    /// A `+CMTI`/`+CDSI` under `AT+CNMI` `<mode>`: 0 holds it back in the
    /// modem, 1 drops it when the line is busy, 2 queues it until the line
    /// is idle. The message itself is stored either way.
    fn storage_indication(&mut self, line: &str) {
        match self.settings.cnmi.mode {
            // A full buffer drops the new indication, never a routed
            // message waiting in it.
            0 if self.buffered.len() >= MAX_BUFFERED => {}
            0 => self.buffered.push_back(framed(line)),
            1 if !self.is_idle() => {}
            _ => self.queue_unsolicited(line),
        }
    }
}
