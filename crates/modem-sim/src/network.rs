//! The virtual network, sans-I/O: what one modem submits is delivered to
//! the modem with that number, with a status report back when asked for;
//! what goes elsewhere is logged. The caller passes the time in.
//!
//! The network never calls a modem. It hands out [`Routing`]s; the caller
//! performs each one ([`crate::Modem::deliver`] or
//! [`crate::Modem::status_report`]) and reports the [`Delivery`] back with
//! [`Network::delivered`]. That answer decides what follows: a status
//! report once the message is stored or shown (and, under `AT+CSMS=1`,
//! acknowledged), or a hold when the receiver's memory is full, it is off
//! the network or it refused the message for now (`AT+CNMI` mode 1 on a
//! busy line, no acknowledgement), retried by [`Network::retry_held`]:
//! the caller's clock decides when. So the SMSC's bookkeeping stays here and each
//! modem can live in its own task.
//!
//! ```
//! use modem_sim::{Delivery, Modem, ModemConfig, Network, RoutingKind};
//! use sms_pdu::Timestamp;
//!
//! let now = Timestamp { year: 26, month: 11, day: 21, hour: 19, minute: 29, second: 19, tz_quarters: 0 };
//! let mut network = Network::new();
//! let mut modems = vec![Modem::new(ModemConfig::numbered(0)), Modem::new(ModemConfig::numbered(1))];
//! for modem in &modems {
//!     network.add_modem(modem.config()).unwrap();
//! }
//! // Modem 0 sent "hi" to +4917200000001, the number of modem 1.
//! let pdu = sms_pdu::decode_hex("0001000D91947102000000F1000002E834").unwrap();
//! let mut routings = network.submit(modem_sim::ModemId(0), 1, &pdu, now).unwrap();
//! while let Some(routing) = routings.pop() {
//!     let modem = &mut modems[routing.to.0];
//!     let delivery = match routing.kind {
//!         RoutingKind::Deliver => modem.deliver(routing.pdu.clone()),
//!         RoutingKind::StatusReport => modem.status_report(routing.pdu.clone()),
//!     };
//!     routings.extend(network.delivered(routing.id, &delivery, now));
//! }
//! assert_eq!(modems[1].stores().sm.used(), 1);
//! ```

use std::collections::BTreeMap;

use sms_pdu::split::{split_text, AlphabetChoice, Autosplit, SplitOptions};
use sms_pdu::{
    Address, ConcatInfo, DataCodingScheme, DecodeError, Deliver, EncodeError, MessageClass, Pdu,
    ProtocolIdentifier, Status, StatusReport, Submit, Timestamp, Tpdu, TypeOfNumber, UserData,
};

use crate::config::ModemConfig;
use crate::modem::Delivery;

/// A modem of the network, numbered in the order they were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModemId(pub usize);

/// One delivery the network asked for, to match its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoutingId(pub u64);

/// What a routing carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoutingKind {
    /// An SMS-DELIVER, for [`crate::Modem::deliver`].
    Deliver,
    /// An SMS-STATUS-REPORT, for [`crate::Modem::status_report`].
    StatusReport,
}

/// A PDU to hand to a modem; report the outcome with
/// [`Network::delivered`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Routing {
    /// Names this delivery in [`Network::delivered`].
    pub id: RoutingId,
    /// The receiving modem.
    pub to: ModemId,
    /// DELIVER or STATUS-REPORT.
    pub kind: RoutingKind,
    /// The octets, SMSC address first, as modems store them.
    pub pdu: Vec<u8>,
}

/// The facts of an SMS-SUBMIT that tests and the control API look at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubmitSummary {
    /// TP-DA as the client wrote it, type of address included (smsd
    /// writes `91` without a `+` in the file, gammu `81`: not normalised).
    pub destination: Address,
    /// The text, for GSM 7-bit and UCS2 messages.
    pub text: Option<String>,
    /// TP-SRR.
    pub status_report_request: bool,
    /// The concatenation header, for one part of a longer message.
    pub concat: Option<ConcatInfo>,
}

impl SubmitSummary {
    /// Reads an SMS-SUBMIT with its SMSC address, as `AT+CMGS` takes it.
    pub fn of(pdu: &[u8]) -> Result<SubmitSummary, NetworkError> {
        Ok(SubmitSummary::from_submit(&decode_submit(pdu)?))
    }

    fn from_submit(submit: &Submit) -> SubmitSummary {
        SubmitSummary {
            destination: submit.destination.clone(),
            text: submit.text(),
            status_report_request: submit.status_report_request,
            concat: submit
                .user_data
                .header
                .as_ref()
                .and_then(|header| header.concat()),
        }
    }
}

/// A message for a number outside the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExternalMessage {
    /// The sending modem.
    pub from: ModemId,
    /// Its number.
    pub from_msisdn: String,
    /// The `+CMGS: <mr>` it was given.
    pub mr: u8,
    /// The SMS-SUBMIT as typed, SMSC address included.
    pub pdu: Vec<u8>,
    /// Destination, text and the rest.
    pub summary: SubmitSummary,
    /// When the network took it.
    pub submitted_at: Timestamp,
}

/// Why the network could not take a message or build a PDU.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// No modem has this id.
    #[error("no modem {0} in the network")]
    UnknownModem(usize),
    /// A modem's MSISDN is not digits.
    #[error("MSISDN {0:?} is not international digits")]
    BadMsisdn(String),
    /// The PDU is another kind of TPDU.
    #[error("PDU is an {0}, not an SMS-SUBMIT")]
    NotSubmit(&'static str),
    /// The PDU does not decode.
    #[error("PDU does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// A PDU could not be built (address, text or length).
    #[error("cannot build the PDU: {0}")]
    Encode(#[from] EncodeError),
}

/// The virtual SMSC and switch. See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Network {
    subscribers: Vec<Subscriber>,
    next_routing: u64,
    in_flight: BTreeMap<RoutingId, InFlight>,
    external: Vec<ExternalMessage>,
}

#[derive(Clone, Debug)]
struct Subscriber {
    msisdn: String,
    smsc: Option<Address>,
}

#[derive(Clone, Debug)]
struct InFlight {
    routing: Routing,
    held: bool,
    report: Option<PendingReport>,
}

/// The status report a delivery owes its sender (TP-SRR was set).
#[derive(Clone, Debug)]
struct PendingReport {
    to: ModemId,
    mr: u8,
    recipient: Address,
    submitted_at: Timestamp,
}

/// TP-ST for a message the receiving modem refused outright (TS 23.040
/// 9.2.3.15: permanent error, incompatible destination).
const STATUS_INCOMPATIBLE_DESTINATION: Status = Status(0x41);

impl Network {
    /// A network without modems.
    pub fn new() -> Network {
        Network::default()
    }

    /// Adds a modem; messages to its MSISDN reach it from now on, with its
    /// SMSC address in front.
    pub fn add_modem(&mut self, config: &ModemConfig) -> Result<ModemId, NetworkError> {
        let msisdn = config.msisdn.trim_start_matches('+');
        if msisdn.is_empty() || !msisdn.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(NetworkError::BadMsisdn(config.msisdn.clone()));
        }
        let smsc = match config.smsc.trim() {
            "" => None,
            smsc => Some(Address::parse_phone(smsc)?),
        };
        self.subscribers.push(Subscriber {
            msisdn: msisdn.to_owned(),
            smsc,
        });
        Ok(ModemId(self.subscribers.len() - 1))
    }

    /// The MSISDN of a modem.
    pub fn msisdn(&self, id: ModemId) -> Option<&str> {
        Some(&self.subscribers.get(id.0)?.msisdn)
    }

    /// The modem a number reaches: international digits, written with the
    /// international type of number (`91`) or the unknown one (`81`, no
    /// `+`). National and short forms reach nobody.
    pub fn find(&self, number: &Address) -> Option<ModemId> {
        let dialable = matches!(
            number.toa.type_of_number(),
            TypeOfNumber::International | TypeOfNumber::Unknown
        );
        if !dialable {
            return None;
        }
        self.subscribers
            .iter()
            .position(|subscriber| subscriber.msisdn == number.number)
            .map(ModemId)
    }

    /// A modem submitted `pdu` (SMSC address and SMS-SUBMIT, as typed after
    /// `AT+CMGS`) and was given `mr`. Returns the deliveries to perform:
    /// the DELIVER to a modem of the network, or, for an outside number, at
    /// most a status report (the message goes to [`Network::external_log`]).
    pub fn submit(
        &mut self,
        from: ModemId,
        mr: u8,
        pdu: &[u8],
        now: Timestamp,
    ) -> Result<Vec<Routing>, NetworkError> {
        let sender = self
            .subscribers
            .get(from.0)
            .ok_or(NetworkError::UnknownModem(from.0))?;
        let sender_msisdn = sender.msisdn.clone();
        let submit = decode_submit(pdu)?;
        let report = submit.status_report_request.then(|| PendingReport {
            to: from,
            mr,
            recipient: submit.destination.clone(),
            submitted_at: now,
        });
        let Some(to) = self.find(&submit.destination) else {
            self.external.push(ExternalMessage {
                from,
                from_msisdn: sender_msisdn,
                mr,
                pdu: pdu.to_vec(),
                summary: SubmitSummary::from_submit(&submit),
                submitted_at: now,
            });
            return match report {
                Some(report) => Ok(vec![self.report_routing(report, Status::DELIVERED, now)?]),
                None => Ok(Vec::new()),
            };
        };
        // The DELIVER carries what the sender wrote (PID, DCS, UDH, text:
        // a multipart message arrives as multipart), from the sender's
        // number, stamped by the receiver's SMSC.
        let deliver = Deliver {
            no_more_messages: true,
            loop_prevention: false,
            status_report_indication: submit.status_report_request,
            reply_path: false,
            originator: Address::numeric(&sender_msisdn, sms_pdu::TypeOfAddress::INTERNATIONAL)?,
            pid: submit.pid,
            dcs: submit.dcs,
            scts: now,
            user_data: submit.user_data,
        };
        let pdu = Pdu {
            smsc: self.subscribers[to.0].smsc.clone(),
            tpdu: Tpdu::Deliver(deliver),
        }
        .encode()?;
        Ok(vec![self.route(to, RoutingKind::Deliver, pdu, report)])
    }

    /// The outcome of a routing. Returns what follows: the status report
    /// for a message now delivered (or refused for good) whose sender asked
    /// for one. A full memory, an unreachable modem or a refusal for now
    /// holds the routing for [`Network::retry_held`]. A message that waits
    /// for the client's acknowledgement stays in flight, without report,
    /// until its final outcome is reported with another call.
    pub fn delivered(&mut self, id: RoutingId, delivery: &Delivery, now: Timestamp) -> Vec<Routing> {
        let Some(in_flight) = self.in_flight.get_mut(&id) else {
            return Vec::new();
        };
        let status = match delivery {
            Delivery::StoreFull | Delivery::Unreachable | Delivery::Deferred(_) => {
                in_flight.held = true;
                return Vec::new();
            }
            Delivery::AwaitingAck => return Vec::new(),
            Delivery::Stored { .. } | Delivery::Routed => Status::DELIVERED,
            Delivery::Rejected(_) => STATUS_INCOMPATIBLE_DESTINATION,
        };
        let Some(in_flight) = self.in_flight.remove(&id) else {
            return Vec::new();
        };
        // A report that cannot be built (the sender's SMSC address is
        // odd) is dropped rather than failing the delivery it reports on.
        in_flight
            .report
            .and_then(|report| self.report_routing(report, status, now).ok())
            .into_iter()
            .collect()
    }

    /// The held routings, oldest first, to try again; report their outcome
    /// with [`Network::delivered`] as before. A message keeps the time
    /// stamp of its submission.
    pub fn retry_held(&mut self) -> Vec<Routing> {
        self.in_flight
            .values_mut()
            .filter(|in_flight| in_flight.held)
            .map(|in_flight| {
                in_flight.held = false;
                in_flight.routing.clone()
            })
            .collect()
    }

    /// How many routings wait for a retry.
    pub fn held_count(&self) -> usize {
        self.in_flight.values().filter(|in_flight| in_flight.held).count()
    }

    /// Messages sent to numbers outside the network, oldest first.
    pub fn external_log(&self) -> &[ExternalMessage] {
        &self.external
    }

    fn route(
        &mut self,
        to: ModemId,
        kind: RoutingKind,
        pdu: Vec<u8>,
        report: Option<PendingReport>,
    ) -> Routing {
        let id = RoutingId(self.next_routing);
        self.next_routing += 1;
        let routing = Routing { id, to, kind, pdu };
        self.in_flight.insert(
            id,
            InFlight {
                routing: routing.clone(),
                held: false,
                report,
            },
        );
        routing
    }

    /// The status report for `report`: the same TP-MR as `+CMGS` gave, the
    /// destination as the sender wrote it, submitted then, discharged now.
    fn report_routing(
        &mut self,
        report: PendingReport,
        status: Status,
        now: Timestamp,
    ) -> Result<Routing, NetworkError> {
        let smsc = self.subscribers[report.to.0].smsc.clone();
        let pdu = report_pdu(
            smsc,
            report.mr,
            report.recipient,
            status,
            report.submitted_at,
            now,
        )?;
        Ok(self.route(report.to, RoutingKind::StatusReport, pdu, None))
    }
}

fn decode_submit(pdu: &[u8]) -> Result<Submit, NetworkError> {
    match Pdu::decode(pdu)?.value.tpdu {
        Tpdu::Submit(submit) => Ok(submit),
        Tpdu::Deliver(_) => Err(NetworkError::NotSubmit("SMS-DELIVER")),
        Tpdu::StatusReport(_) => Err(NetworkError::NotSubmit("SMS-STATUS-REPORT")),
    }
}

fn report_pdu(
    smsc: Option<Address>,
    mr: u8,
    recipient: Address,
    status: Status,
    scts: Timestamp,
    discharge_time: Timestamp,
) -> Result<Vec<u8>, EncodeError> {
    let report = StatusReport {
        // Set, as in every report the captured clients received.
        no_more_messages: true,
        loop_prevention: false,
        status_report_qualifier: false,
        message_reference: mr,
        recipient,
        scts,
        discharge_time,
        status,
        parameter_indicator: None,
        pid: None,
        dcs: None,
        user_data: None,
    };
    Pdu {
        smsc,
        tpdu: Tpdu::StatusReport(report),
    }
    .encode()
}

/// The alphabet of an injected text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// GSM 7-bit when the text fits it, else UCS2.
    #[default]
    Auto,
    /// GSM 7-bit; an error for text it cannot write.
    Gsm7,
    /// UCS2.
    Ucs2,
}

/// A message from outside the network, for the control API's inject: the
/// SMS-DELIVER PDUs a modem would receive for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InjectedText {
    /// The sender: `+<digits>` (international), `<digits>` (unknown type)
    /// or an alphanumeric name of up to 11 GSM characters (`BANKINFO`).
    pub from: String,
    /// The text; longer texts become concatenated parts.
    pub text: String,
    /// The alphabet.
    pub encoding: TextEncoding,
    /// Class 0 ("flash"): DCS `0x10` or `0x18`.
    pub class0: bool,
    /// The concatenation reference shared by the parts.
    pub reference: u8,
}

impl InjectedText {
    /// The DELIVER PDUs, one per part, in order: `smsc` in front, `scts` as
    /// the SMSC time stamp.
    pub fn deliver_pdus(&self, smsc: &str, scts: Timestamp) -> Result<Vec<Vec<u8>>, NetworkError> {
        let originator = sender_address(&self.from)?;
        let options = SplitOptions {
            alphabet: match self.encoding {
                TextEncoding::Auto => AlphabetChoice::Auto,
                TextEncoding::Gsm7 => AlphabetChoice::Gsm7,
                TextEncoding::Ucs2 => AlphabetChoice::Ucs2,
            },
            autosplit: Autosplit::Concatenated,
            reference: u16::from(self.reference),
            ..SplitOptions::default()
        };
        let split = split_text(&self.text, &options)?;
        let class = self.class0.then_some(MessageClass::Class0);
        let dcs = DataCodingScheme::new(split.alphabet, class);
        let smsc = smsc_address(smsc)?;
        split
            .parts
            .into_iter()
            .map(|user_data| deliver_pdu(smsc.clone(), originator.clone(), dcs, scts, user_data))
            .collect()
    }
}

/// The address of an injected sender: `+<digits>` international,
/// `<digits>` of unknown type, anything else alphanumeric.
pub fn sender_address(from: &str) -> Result<Address, NetworkError> {
    let from = from.trim();
    let digits = from.strip_prefix('+').unwrap_or(from);
    let numeric = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
    Ok(match numeric {
        true => Address::parse_phone(from)?,
        false => Address::alphanumeric(from)?,
    })
}

/// An SMS-STATUS-REPORT for an injected report: TP-MR `mr` about a
/// message to `recipient` (`+<digits>` or `<digits>`), submitted at `scts`,
/// with status `status` at `discharge_time`.
pub fn status_report_pdu(
    smsc: &str,
    mr: u8,
    recipient: &str,
    status: Status,
    scts: Timestamp,
    discharge_time: Timestamp,
) -> Result<Vec<u8>, NetworkError> {
    let recipient = Address::parse_phone(recipient)?;
    Ok(report_pdu(
        smsc_address(smsc)?,
        mr,
        recipient,
        status,
        scts,
        discharge_time,
    )?)
}

fn smsc_address(smsc: &str) -> Result<Option<Address>, NetworkError> {
    match smsc.trim() {
        "" => Ok(None),
        smsc => Ok(Some(Address::parse_phone(smsc)?)),
    }
}

fn deliver_pdu(
    smsc: Option<Address>,
    originator: Address,
    dcs: DataCodingScheme,
    scts: Timestamp,
    user_data: UserData,
) -> Result<Vec<u8>, NetworkError> {
    let deliver = Deliver {
        no_more_messages: true,
        loop_prevention: false,
        status_report_indication: false,
        reply_path: false,
        originator,
        pid: ProtocolIdentifier::DEFAULT,
        dcs,
        scts,
        user_data,
    };
    Ok(Pdu {
        smsc,
        tpdu: Tpdu::Deliver(deliver),
    }
    .encode()?)
}
