//! The network between modems, driven the way the I/O shell will drive it:
//! clients type AT commands into modems, `Submitted` actions go to
//! `Network::submit`, routings go to the receiving modems, and outcomes go
//! back to `Network::delivered`. All in memory, on a fake clock (style C5).
//!
//! Also the PDU builders of the control API, checked against the PDUs of
//! the lab captures.

use modem_sim::network::{sender_address, status_report_pdu};
use modem_sim::{
    Action, Delivery, InjectedText, Modem, ModemConfig, ModemId, Network, NetworkError, Routing, RoutingId,
    RoutingKind, SubmitSummary, TextEncoding,
};
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::{Autosplit, SplitOptions};
use sms_pdu::{
    decode_hex, encode_hex, Address, Deliver, Pdu, Status, StatusReport, Timestamp, Tpdu, TypeOfAddress,
    TypeOfNumber, ValidityPeriod,
};

fn at(minute: u8, second: u8) -> Timestamp {
    Timestamp {
        year: 26,
        month: 11,
        day: 21,
        hour: 19,
        minute,
        second,
        tz_quarters: 0,
    }
}

/// Modems and the network, as the simulator shell joins them.
struct World {
    network: Network,
    modems: Vec<Modem>,
    now: Timestamp,
    /// What each modem wrote to its client, since the last `take_output`.
    output: Vec<Vec<u8>>,
    /// Per modem, the routing shown as +CMT/+CDS that waits for AT+CNMA.
    awaiting_ack: Vec<Option<RoutingId>>,
}

impl World {
    fn new(configs: Vec<ModemConfig>) -> World {
        let mut network = Network::new();
        let mut modems = Vec::new();
        for config in configs {
            network.add_modem(&config).unwrap();
            modems.push(Modem::new(config));
        }
        let output = vec![Vec::new(); modems.len()];
        World {
            network,
            awaiting_ack: vec![None; modems.len()],
            modems,
            now: at(30, 0),
            output,
        }
    }

    /// Two modems, echo off, +CMEE=1, indications stored with +CMTI and
    /// +CDSI.
    fn pair() -> World {
        let mut world = World::new(vec![ModemConfig::numbered(0), ModemConfig::numbered(1)]);
        for modem_idx in 0..2 {
            world.type_in(modem_idx, b"ATE0;+CMEE=1;+CNMI=2,1,0,2,0\r");
        }
        world.take_output();
        world
    }

    /// The client of modem `modem_idx` types `bytes`; whatever it submits
    /// goes through the network at once.
    fn type_in(&mut self, modem_idx: usize, bytes: &[u8]) {
        let actions = self.modems[modem_idx].handle_input(bytes);
        self.perform(modem_idx, actions);
    }

    fn perform(&mut self, modem_idx: usize, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Write(bytes) => self.output[modem_idx].extend(bytes),
                Action::Submitted { mr, pdu } => {
                    let routings = self
                        .network
                        .submit(ModemId(modem_idx), mr, &pdu, self.now)
                        .unwrap();
                    self.route(routings);
                }
                Action::Acknowledged { accepted } => {
                    let id = self.awaiting_ack[modem_idx]
                        .take()
                        .expect("an acknowledgement nobody awaited");
                    self.settle(id, accepted);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Delivers routings and what follows from them, until nothing is left.
    fn route(&mut self, mut routings: Vec<Routing>) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        while !routings.is_empty() {
            let routing = routings.remove(0);
            let modem = &mut self.modems[routing.to.0];
            let delivery = match routing.kind {
                RoutingKind::Deliver => modem.deliver(routing.pdu.clone()),
                RoutingKind::StatusReport => modem.status_report(routing.pdu.clone()),
            };
            let flushed = modem.flush_unsolicited();
            self.perform(routing.to.0, flushed);
            deliveries.push(delivery);
            if delivery == Delivery::AwaitingAck {
                assert_eq!(
                    self.awaiting_ack[routing.to.0], None,
                    "two routings await an acknowledgement"
                );
                self.awaiting_ack[routing.to.0] = Some(routing.id);
            }
            routings.extend(self.network.delivered(routing.id, &delivery, self.now));
        }
        deliveries
    }

    /// The final outcome of a routing that awaited AT+CNMA.
    fn settle(&mut self, id: RoutingId, accepted: bool) {
        let delivery = match accepted {
            true => Delivery::Routed,
            false => Delivery::Deferred("not acknowledged"),
        };
        let routings = self.network.delivered(id, &delivery, self.now);
        self.route(routings);
    }

    /// The shell's clock ran out on modem `modem_idx`'s acknowledgement.
    fn ack_timeout(&mut self, modem_idx: usize) {
        assert!(self.modems[modem_idx].acknowledgement_timed_out());
        let id = self.awaiting_ack[modem_idx].take().expect("nothing awaited");
        self.settle(id, false);
    }

    fn send(&mut self, modem_idx: usize, pdu: &Pdu) -> Vec<u8> {
        let (length, hex) = pdu.to_cmgs().unwrap();
        self.type_in(modem_idx, format!("AT+CMGS={length}\r").as_bytes());
        self.type_in(modem_idx, format!("{hex}\x1a").as_bytes());
        std::mem::take(&mut self.output[modem_idx])
    }

    fn take_output(&mut self) -> Vec<String> {
        self.output
            .iter_mut()
            .map(|bytes| String::from_utf8(std::mem::take(bytes)).unwrap())
            .collect()
    }

    /// The PDU in slot `index` of `mem`, read with AT+CMGR as a client
    /// would.
    fn read(&mut self, modem_idx: usize, mem: &str, index: usize) -> Pdu {
        self.type_in(modem_idx, format!("AT+CPMS=\"{mem}\";+CMGR={index}\r").as_bytes());
        let text = self.take_output().swap_remove(modem_idx);
        let hex = text
            .split("\r\n")
            .skip_while(|line| !line.starts_with("+CMGR:"))
            .nth(1)
            .unwrap_or_else(|| panic!("no +CMGR in {text:?}"));
        Pdu::decode_hex(hex).unwrap().value
    }
}

fn text_message(to: &str, text: &str, report: bool) -> Vec<Pdu> {
    let message = OutgoingMessage {
        status_report_request: report,
        validity: Some(ValidityPeriod::Relative(0xFF)),
        ..OutgoingMessage::to(Address::parse_phone(to).unwrap())
    };
    let options = SplitOptions {
        autosplit: Autosplit::Concatenated,
        reference: 0x42,
        ..SplitOptions::default()
    };
    message.text_pdus(text, &options).unwrap()
}

fn deliver_of(pdu: &Pdu) -> &Deliver {
    match &pdu.tpdu {
        Tpdu::Deliver(deliver) => deliver,
        other => panic!("not a DELIVER: {other:?}"),
    }
}

fn report_of(pdu: &Pdu) -> &StatusReport {
    match &pdu.tpdu {
        Tpdu::StatusReport(report) => report,
        other => panic!("not a STATUS-REPORT: {other:?}"),
    }
}

#[test]
fn gsm7_message_from_a_to_b() {
    let mut world = World::pair();
    let pdus = text_message("+4917200000001", "Hello B", false);
    let answer = world.send(0, &pdus[0]);
    assert_eq!(answer, b"\r\n> \r\n+CMGS: 1\r\n\r\nOK\r\n");
    assert_eq!(world.take_output()[1], "\r\n+CMTI: \"SM\",1\r\n");
    let received = world.read(1, "SM", 1);
    // From A's number, international; stamped now by B's SMSC.
    let deliver = deliver_of(&received);
    assert_eq!(deliver.originator.to_string(), "+4917200000000");
    assert_eq!(deliver.originator.toa, TypeOfAddress::INTERNATIONAL);
    assert_eq!(deliver.scts, at(30, 0));
    assert_eq!(deliver.text().as_deref(), Some("Hello B"));
    assert!(!deliver.status_report_indication);
    assert_eq!(
        encode_hex(&received.encode().unwrap()),
        "07915155550500F0040D91947102000000F000006211129103000007C8329BFD060901"
    );
}

#[test]
fn ucs2_message_keeps_its_coding() {
    let mut world = World::pair();
    let pdus = text_message("+4917200000001", "Привет €", false);
    world.send(0, &pdus[0]);
    let received = world.read(1, "SM", 1);
    let deliver = deliver_of(&received);
    assert_eq!(deliver.dcs, sms_pdu::DataCodingScheme::UCS2);
    assert_eq!(deliver.text().as_deref(), Some("Привет €"));
}

#[test]
fn three_parts_arrive_as_three_parts_in_order() {
    let mut world = World::pair();
    let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(7);
    let pdus = text_message("+4917200000001", &text, false);
    assert_eq!(pdus.len(), 3);
    for (part_idx, pdu) in pdus.iter().enumerate() {
        let answer = world.send(0, pdu);
        assert!(answer.ends_with(format!("+CMGS: {}\r\n\r\nOK\r\n", part_idx + 1).as_bytes()));
    }
    assert_eq!(
        world.take_output()[1],
        "\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",2\r\n\r\n+CMTI: \"SM\",3\r\n"
    );
    let mut joined = String::new();
    for index in 1..=3 {
        let received = world.read(1, "SM", index);
        let deliver = deliver_of(&received);
        let concat = deliver.user_data.header.as_ref().unwrap().concat().unwrap();
        assert_eq!(
            (concat.reference, concat.total, concat.seq),
            (0x42, 3, index as u8)
        );
        joined.push_str(&deliver.text().unwrap());
    }
    assert_eq!(joined, text);
}

#[test]
fn status_report_carries_the_reference_cmgs_gave() {
    let mut world = World::pair();
    // Destination without '+' (TOA 81, as gammu writes it) reaches B too;
    // the report names it as the sender wrote it.
    let first = text_message("4917200000001", "one", true);
    let second = text_message("+4917200000001", "two", true);
    assert!(world
        .send(0, &first[0])
        .ends_with(b"+CMGS: 1\r\n\r\nOK\r\n\r\n+CDSI: \"SM\",1\r\n"));
    world.now = at(31, 0);
    assert!(world
        .send(0, &second[0])
        .ends_with(b"+CMGS: 2\r\n\r\nOK\r\n\r\n+CDSI: \"SM\",2\r\n"));
    let report_1 = world.read(0, "SM", 1);
    let report = report_of(&report_1);
    assert_eq!(report.message_reference, 1);
    assert_eq!(report.recipient.toa, TypeOfAddress::UNKNOWN);
    assert_eq!(report.recipient.number, "4917200000001");
    assert!(report.status.is_delivered());
    let report_2 = world.read(0, "SM", 2);
    let report = report_of(&report_2);
    assert_eq!(report.message_reference, 2);
    assert_eq!(report.recipient.to_string(), "+4917200000001");
    assert_eq!((report.scts, report.discharge_time), (at(31, 0), at(31, 0)));
    // B was told a report goes back.
    assert!(deliver_of(&world.read(1, "SM", 1)).status_report_indication);
}

#[test]
fn full_store_holds_the_message_until_a_slot_is_free() {
    let mut world = World::new(vec![
        ModemConfig::numbered(0),
        ModemConfig {
            sm_capacity: 1,
            ..ModemConfig::numbered(1)
        },
    ]);
    world.type_in(0, b"ATE0;+CNMI=2,1,0,2,0\r");
    world.type_in(1, b"ATE0;+CNMI=2,1,0,2,0\r");
    world.take_output();
    world.send(0, &text_message("+4917200000001", "first", true)[0]);
    world.send(0, &text_message("+4917200000001", "second", true)[0]);
    // Only the first is delivered and reported; the second waits.
    assert_eq!(world.take_output()[1], "\r\n+CMTI: \"SM\",1\r\n");
    assert_eq!(world.modems[0].stores().sm.used(), 1);
    assert_eq!(world.network.held_count(), 1);
    // A retry while the store is still full holds it again.
    let retried = world.network.retry_held();
    assert_eq!(world.route(retried), vec![Delivery::StoreFull]);
    assert_eq!(world.network.held_count(), 1);
    // The client deletes; the retry delivers, and the report follows with
    // the time of the delivery.
    world.type_in(1, b"AT+CMGD=1\r");
    world.now = at(35, 0);
    let retried = world.network.retry_held();
    let deliveries = world.route(retried);
    assert_eq!(
        deliveries,
        vec![
            Delivery::Stored {
                mem: modem_sim::Storage::Sm,
                index: 1
            },
            Delivery::Stored {
                mem: modem_sim::Storage::Sm,
                index: 2
            },
        ]
    );
    assert_eq!(world.network.held_count(), 0);
    let received = world.read(1, "SM", 1);
    assert_eq!(deliver_of(&received).text().as_deref(), Some("second"));
    // Submitted at 30:00, delivered at 35:00.
    let report_2 = world.read(0, "SM", 2);
    let report = report_of(&report_2);
    assert_eq!(report.message_reference, 2);
    assert_eq!((report.scts, report.discharge_time), (at(30, 0), at(35, 0)));
}

#[test]
fn unreachable_modem_gets_the_message_when_back() {
    let mut world = World::pair();
    world.modems[1].inject_fault(modem_sim::Fault::NoNetwork);
    world.send(0, &text_message("+4917200000001", "later", false)[0]);
    assert_eq!(world.network.held_count(), 1);
    assert_eq!(world.modems[1].stores().sm.used(), 0);
    world.modems[1].inject_fault(modem_sim::Fault::Clear);
    let retried = world.network.retry_held();
    world.route(retried);
    assert_eq!(world.modems[1].stores().sm.used(), 1);
}

/// Issue 10 item 19: under +CNMI mode 1 a routed message that meets a
/// busy line was dropped by the modem and reported "delivered" to its
/// sender. Now the modem refuses it, the network holds it and sends no
/// report, and the retry on an idle line delivers it.
#[test]
fn mode_1_busy_line_holds_the_message_and_its_report() {
    let mut world = World::pair();
    world.type_in(1, b"AT+CNMI=1,2,0,1,0\r");
    world.take_output();
    // B's client is in the middle of a command line, then of a prompt.
    world.type_in(1, b"AT+CS");
    world.send(0, &text_message("+4917200000001", "typed over", true)[0]);
    world.type_in(1, b"Q\r");
    world.type_in(1, b"AT+CMGS=16\r");
    world.send(0, &text_message("+4917200000001", "prompted over", true)[0]);
    assert_eq!(world.network.held_count(), 2);
    world.type_in(1, b"\x1b");
    let output = world.take_output();
    assert!(!output[1].contains("+CMT"), "{:?}", output[1]);
    // No "delivered" report went back to A.
    assert!(!output[0].contains("+CDSI"), "{:?}", output[0]);
    assert_eq!(world.modems[0].stores().sm.used(), 0);
    // The line is idle: the retries get through, reported at their time.
    world.now = at(31, 0);
    let retried = world.network.retry_held();
    let stored_report = |index| Delivery::Stored {
        mem: modem_sim::Storage::Sm,
        index,
    };
    assert_eq!(
        world.route(retried),
        vec![
            Delivery::Routed,
            Delivery::Routed,
            stored_report(1),
            stored_report(2)
        ]
    );
    let output = world.take_output();
    assert_eq!(output[1].matches("+CMT: ").count(), 2, "{:?}", output[1]);
    assert_eq!(output[0], "\r\n+CDSI: \"SM\",1\r\n\r\n+CDSI: \"SM\",2\r\n");
    let report_1 = world.read(0, "SM", 1);
    assert_eq!(report_of(&report_1).discharge_time, at(31, 0));
    assert_eq!(world.network.held_count(), 0);
}

/// Under +CSMS=1 a routed message is delivered when the client
/// acknowledges it (TS 27.005 3.4.4): the report waits for AT+CNMA; a
/// second message waits in the network meanwhile; one never acknowledged
/// is retried, and stored, as the modem turned routing off.
#[test]
fn acknowledged_delivery_waits_for_cnma() {
    let mut world = World::pair();
    world.type_in(1, b"AT+CSMS=1;+CNMI=2,2,0,1,0\r");
    world.take_output();
    world.send(0, &text_message("+4917200000001", "one", true)[0]);
    world.send(0, &text_message("+4917200000001", "two", true)[0]);
    let output = world.take_output();
    assert_eq!(output[1].matches("+CMT: ").count(), 1, "{:?}", output[1]);
    assert!(!output[0].contains("+CDSI"), "{:?}", output[0]);
    assert_eq!(world.network.held_count(), 1);
    world.type_in(1, b"AT+CNMA\r");
    assert_eq!(world.take_output()[0], "\r\n+CDSI: \"SM\",1\r\n");
    // The second, retried, is shown and never acknowledged.
    let retried = world.network.retry_held();
    assert_eq!(world.route(retried), vec![Delivery::AwaitingAck]);
    world.ack_timeout(1);
    let output = world.take_output();
    assert!(!output[0].contains("+CDSI"), "{:?}", output[0]);
    assert_eq!(world.network.held_count(), 1);
    let retried = world.network.retry_held();
    // Stored at B, and the report stored at A.
    let stored = |index| Delivery::Stored {
        mem: modem_sim::Storage::Sm,
        index,
    };
    assert_eq!(world.route(retried), vec![stored(1), stored(2)]);
    assert_eq!(world.take_output()[0], "\r\n+CDSI: \"SM\",2\r\n");
    assert_eq!(deliver_of(&world.read(1, "SM", 1)).text().as_deref(), Some("two"));
}

#[test]
fn outside_numbers_are_logged_and_reported() {
    let mut world = World::pair();
    world.now = at(40, 0);
    let pdus = text_message("+3312345678", "to France", true);
    let answer = world.send(0, &pdus[0]);
    assert!(answer.ends_with(b"+CMGS: 1\r\n\r\nOK\r\n\r\n+CDSI: \"SM\",1\r\n"));
    let log = world.network.external_log();
    assert_eq!(log.len(), 1);
    let message = &log[0];
    assert_eq!(message.from, ModemId(0));
    assert_eq!(message.from_msisdn, "4917200000000");
    assert_eq!(message.mr, 1);
    assert_eq!(message.summary.destination.to_string(), "+3312345678");
    assert_eq!(message.summary.text.as_deref(), Some("to France"));
    assert!(message.summary.status_report_request);
    assert_eq!(message.pdu, pdus[0].encode().unwrap());
    assert_eq!(message.submitted_at, at(40, 0));
    let report = world.read(0, "SM", 1);
    assert_eq!(report_of(&report).recipient.to_string(), "+3312345678");
    // National forms and alphanumeric destinations reach nobody.
    let national = Address::numeric("017200000001", TypeOfAddress::NATIONAL).unwrap();
    assert_eq!(world.network.find(&national), None);
    let international = Address::parse_phone("+4917200000001").unwrap();
    assert_eq!(world.network.find(&international), Some(ModemId(1)));
    assert_eq!(world.network.msisdn(ModemId(1)), Some("4917200000001"));
}

#[test]
fn bad_submissions_are_errors() {
    let mut network = Network::new();
    let id = network.add_modem(&ModemConfig::numbered(0)).unwrap();
    let deliver = decode_hex(LAB_PLAIN).unwrap();
    assert_eq!(
        network.submit(id, 1, &deliver, at(0, 0)),
        Err(NetworkError::NotSubmit("SMS-DELIVER"))
    );
    assert!(matches!(
        network.submit(id, 1, &[0x00, 0x01], at(0, 0)),
        Err(NetworkError::Decode(_))
    ));
    assert_eq!(
        network.submit(ModemId(7), 1, &deliver, at(0, 0)),
        Err(NetworkError::UnknownModem(7))
    );
    let bad = ModemConfig {
        msisdn: "+49 172".to_owned(),
        ..ModemConfig::numbered(1)
    };
    assert_eq!(
        network.add_modem(&bad),
        Err(NetworkError::BadMsisdn("+49 172".to_owned()))
    );
    // A routing nobody knows changes nothing.
    assert_eq!(
        network.delivered(modem_sim::RoutingId(99), &Delivery::Routed, at(0, 0)),
        vec![]
    );
}

// ---------------------------------------------------------------------------
// PDU builders for the control API, against the lab's PDUs (section 5).
// ---------------------------------------------------------------------------

const LAB_PLAIN: &str =
    "07915155550500F0040B911346610089F60000621112919291001BC8329BFD06CDDB7332C82C7FB741747419E42ED3EF6FF91A";

fn injected(from: &str, text: &str) -> InjectedText {
    InjectedText {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding: TextEncoding::Auto,
        class0: false,
        reference: 0,
    }
}

fn hexes(pdus: Vec<Vec<u8>>) -> Vec<String> {
    pdus.iter().map(|pdu| encode_hex(pdu)).collect()
}

#[test]
fn injected_text_matches_the_lab_deliver() {
    let pdus = injected("+31641600986", "Hello smsd from the network")
        .deliver_pdus("+15555550000", at(29, 19))
        .unwrap();
    assert_eq!(hexes(pdus), vec![LAB_PLAIN]);
}

/// The five messages of the smsd CMGL capture, rebuilt from their text.
#[test]
fn injected_texts_match_the_cmgl_capture() {
    let time = at(24, 53);
    let ucs2 = "07915155550500F0040B919761214365F70008621112914235001C041F04400438043204350442002C0020043C043804400021002020AC";
    let pdus = injected("+79161234567", "Привет, мир! €")
        .deliver_pdus("+15555550000", time)
        .unwrap();
    assert_eq!(hexes(pdus), vec![ucs2]);

    let class0 = "07915155550500F0040D91945111325476F80010621112914235000E4676788E06A5DDE3773BED3E03";
    let text = deliver_of(&Pdu::decode_hex(class0).unwrap().value)
        .text()
        .unwrap();
    let message = InjectedText {
        class0: true,
        ..injected("+4915112345678", &text)
    };
    assert_eq!(
        hexes(message.deliver_pdus("+15555550000", time).unwrap()),
        vec![class0]
    );

    let parts = [
        "07915155550500F0440D91945111325476F8000062111291423500A0050003410201A8E8F41C949E83C220F6DB7D06A5DDE3773BED3E83DAE5F93C7C2E83E8E8301D744FB3D92077B94C06D1DF2071193487B3D37450DA4D7F83DA6F7919444787DDA0B7BB0C8287E57490B83C0ED7E765509A0E4ACF41ECB7FB5C9683E8E8B01BF4769741E8BA9B2C2F9341613719344FE3E979D0181D9687C7F4B27CCE02E5CB7350DA4D2E97C9",
        "07915155550500F0440D91945111325476F80000621112914235001305000341020240693A283D77818A6EB20B",
    ];
    let text: String = parts
        .iter()
        .map(|hex| deliver_of(&Pdu::decode_hex(hex).unwrap().value).text().unwrap())
        .collect();
    let message = InjectedText {
        reference: 0x41,
        ..injected("+4915112345678", &text)
    };
    assert_eq!(hexes(message.deliver_pdus("+15555550000", time).unwrap()), parts);
}

#[test]
fn injected_senders_and_encodings() {
    let pdus = injected("BANKINFO", "Your code is 1234")
        .deliver_pdus("+15555550000", at(0, 0))
        .unwrap();
    let pdu = Pdu::decode(&pdus[0]).unwrap().value;
    let deliver = deliver_of(&pdu);
    assert_eq!(
        deliver.originator.toa.type_of_number(),
        TypeOfNumber::Alphanumeric
    );
    assert_eq!(deliver.originator.number, "BANKINFO");
    assert_eq!(sender_address("0301234").unwrap().toa, TypeOfAddress::UNKNOWN);
    assert!(matches!(
        sender_address("A sender name that is too long"),
        Err(NetworkError::Encode(_))
    ));

    let forced_ucs2 = InjectedText {
        encoding: TextEncoding::Ucs2,
        ..injected("+31641600986", "plain")
    };
    let pdu = Pdu::decode(&forced_ucs2.deliver_pdus("", at(0, 0)).unwrap()[0])
        .unwrap()
        .value;
    assert_eq!(pdu.smsc, None);
    assert_eq!(deliver_of(&pdu).dcs, sms_pdu::DataCodingScheme::UCS2);

    let gsm7_only = InjectedText {
        encoding: TextEncoding::Gsm7,
        ..injected("+31641600986", "Привет")
    };
    assert!(matches!(
        gsm7_only.deliver_pdus("+15555550000", at(0, 0)),
        Err(NetworkError::Encode(_))
    ));
}

#[test]
fn injected_status_report_matches_the_lab_report() {
    let pdu = status_report_pdu(
        "+15555550000",
        1,
        "+4917212345678",
        Status(0),
        at(29, 20),
        at(29, 20),
    )
    .unwrap();
    assert_eq!(
        encode_hex(&pdu),
        "07915155550500F006010D91947112325476F8621112919202006211129192020000"
    );
}

#[test]
fn submit_summary_reads_what_the_client_sent() {
    // smsd's UCS2 send of the capture.
    let pdu = decode_hex("0031000D91947112325476F80008FF380055006E00690063006F00640065002000660072006F006D00200073006D00730064003A0020041F04400438043204350442002020AC000A").unwrap();
    let summary = SubmitSummary::of(&pdu).unwrap();
    assert_eq!(summary.destination.to_string(), "+4917212345678");
    assert_eq!(summary.text.as_deref(), Some("Unicode from smsd: Привет €\n"));
    assert!(summary.status_report_request);
    assert_eq!(summary.concat, None);
    assert_eq!(
        SubmitSummary::of(&decode_hex(LAB_PLAIN).unwrap()),
        Err(NetworkError::NotSubmit("SMS-DELIVER"))
    );
}
