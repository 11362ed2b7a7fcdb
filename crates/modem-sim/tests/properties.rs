//! Property tests of the modem and the network (proptest, 256 cases each):
//!
//! - no input makes the modem panic, and after any input ESC and `AT\r`
//!   still get `OK`: nothing a client types can wedge it;
//! - the answer does not depend on how the input is cut into chunks
//!   (style C4, here on random command soup rather than fixed sessions);
//! - arbitrary PDUs handed to the modem or the network are refused, never
//!   a panic;
//! - any injected text comes back from `AT+CMGL` as the PDUs that were
//!   delivered, byte for byte.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use modem_sim::{Action, Delivery, InjectedText, Modem, ModemConfig, ModemId, Network, TextEncoding};
use sms_pdu::{decode_hex, encode_hex, Timestamp};

const LAB_PLAIN: &str =
    "07915155550500F0040B911346610089F60000621112919291001BC8329BFD06CDDB7332C82C7FB741747419E42ED3EF6FF91A";
const LAB_REPORT: &str = "07915155550500F006010D91947112325476F8621112919202006211129192020000";

/// Pieces of AT sessions, with the control bytes that change the framing
/// state, so that random sequences reach prompts, chains, resets and
/// errors often.
const TOKENS: &[&str] = &[
    "AT",
    "at",
    "A",
    "T",
    "\r",
    "\n",
    "\x1a",
    "\x1b",
    "\x08",
    ";",
    ",",
    "\"",
    "=",
    "?",
    " ",
    "E0",
    "E1",
    "Z",
    "+CMGS=16",
    "+CMGS=",
    "+CMGS=\"+4917\"",
    "0001000D91947102000000F1000002E834",
    "Hello",
    "+CMGL=4",
    "+CMGL=\"ALL\"",
    "+CMGR=1",
    "+CMGD=1",
    "+CMGD=1,4",
    "+CPMS=\"ME\",\"ME\",\"ME\"",
    "+CPMS?",
    "+CNMI=2,1,0,2,0",
    "+CNMI=0",
    "+CNMI=2,2,0,1",
    "+CNMA",
    "+CMEE=2",
    "+CMGF=1",
    "+CMGF=0",
    "+CSCS=\"UCS2\"",
    "+CSCS=\"HEX\"",
    "+CUSD=1,\"*100#\",15",
    "D123;",
    "H",
    "+CFUN=4",
    "+CFUN=1,1",
    "+COPS=2",
    "+COPS=0",
    "+CREG=2",
    "+CPIN=\"0000\"",
    "I",
    "+CSMP=49,167,0,8",
];

fn soup() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => select(TOKENS).prop_map(|token| token.as_bytes().to_vec()),
        1 => any::<u8>().prop_map(|byte| vec![byte]),
    ];
    vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

fn now() -> Timestamp {
    Timestamp {
        year: 26,
        month: 11,
        day: 21,
        hour: 19,
        minute: 30,
        second: 0,
        tz_quarters: 0,
    }
}

/// A modem with a message and a report waiting in its stores and in its
/// indication buffer, so that the soup meets them.
fn busy_modem() -> Modem {
    let mut modem = Modem::new(ModemConfig {
        sm_capacity: 3,
        me_capacity: 2,
        ..ModemConfig::numbered(0)
    });
    modem.deliver(decode_hex(LAB_PLAIN).unwrap());
    modem.status_report(decode_hex(LAB_REPORT).unwrap());
    modem
}

/// Adjacent writes as one, as a client reads them.
fn normalize(actions: Vec<Action>) -> Vec<Action> {
    let mut merged: Vec<Action> = Vec::new();
    for action in actions {
        match (merged.last_mut(), action) {
            (Some(Action::Write(pending)), Action::Write(bytes)) => pending.extend(bytes),
            (_, action) => merged.push(action),
        }
    }
    merged
}

fn written(actions: &[Action]) -> Vec<u8> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Write(bytes) => Some(bytes.as_slice()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_input_leaves_a_modem_that_answers(input in prop_oneof![soup(), vec(any::<u8>(), 0..400)]) {
        let mut modem = busy_modem();
        modem.handle_input(&input);
        // ESC leaves a prompt; in command mode it drops a half-typed line.
        modem.handle_input(b"\x1b");
        let answer = written(&modem.handle_input(b"AT\r"));
        prop_assert!(answer.ends_with(b"\r\nOK\r\n"), "{:?}", String::from_utf8_lossy(&answer));
    }

    #[test]
    fn chunking_does_not_change_the_answer(input in soup(), cuts in vec(any::<prop::sample::Index>(), 0..8)) {
        let mut whole = busy_modem();
        let expected = normalize(whole.handle_input(&input));
        let mut offsets: Vec<usize> = cuts.iter().map(|cut| cut.index(input.len() + 1)).collect();
        offsets.sort_unstable();
        let mut chunked = busy_modem();
        let mut actions = Vec::new();
        let mut start = 0;
        for offset in offsets.into_iter().chain([input.len()]) {
            actions.extend(chunked.handle_input(&input[start..offset]));
            start = offset;
        }
        prop_assert_eq!(normalize(actions), expected);
        prop_assert_eq!(chunked, whole);
    }

    #[test]
    fn arbitrary_pdus_are_refused_not_panicked_on(pdu in vec(any::<u8>(), 0..200)) {
        let mut modem = busy_modem();
        match modem.deliver(pdu.clone()) {
            Delivery::Stored { .. }
            | Delivery::Routed
            | Delivery::StoreFull
            | Delivery::Rejected(_)
            | Delivery::Deferred(_)
            | Delivery::AwaitingAck => {}
            Delivery::Unreachable => prop_assert!(false, "the modem is registered"),
        }
        modem.status_report(pdu.clone());
        modem.ussd_response(&String::from_utf8_lossy(&pdu), 0);
        let mut network = Network::new();
        network.add_modem(&ModemConfig::numbered(0)).unwrap();
        network.add_modem(&ModemConfig::numbered(1)).unwrap();
        let _ = network.submit(ModemId(0), 1, &pdu, now());
        // And the modem still answers.
        let answer = written(&modem.handle_input(b"\x1bAT\r"));
        prop_assert!(answer.ends_with(b"\r\nOK\r\n"));
    }

    #[test]
    fn injected_texts_come_back_from_cmgl_unchanged(
        text in "[ -~äöü€Привет]{1,400}",
        encoding in select(&[TextEncoding::Auto, TextEncoding::Ucs2][..]),
        class0 in any::<bool>(),
        reference in any::<u8>(),
    ) {
        let message = InjectedText { from: "+31641600986".to_owned(), text, encoding, class0, reference };
        let pdus = message.deliver_pdus("+15555550000", now()).unwrap();
        let mut modem = Modem::new(ModemConfig::numbered(0));
        for pdu in &pdus {
            let stored = matches!(modem.deliver(pdu.clone()), Delivery::Stored { .. });
            prop_assert!(stored);
        }
        let listing = String::from_utf8(written(&modem.handle_input(b"ATE0;+CMGL=4\r"))).unwrap();
        let listed: Vec<&str> = listing
            .split("\r\n")
            .filter(|line| !line.is_empty() && !line.starts_with('+') && *line != "OK" && !line.starts_with("ATE0"))
            .collect();
        let expected: Vec<String> = pdus.iter().map(|pdu| encode_hex(pdu)).collect();
        prop_assert_eq!(listed, expected);
    }

    /// Issue 10 item 19: whatever the client types meanwhile, under any
    /// +CNMI mode and +CSMS service, every message the modem took as
    /// routed (Routed, AwaitingAck) is shown to the client once its line
    /// is idle and mode 0 is left; the others it refused, for the network
    /// to retry. None vanishes.
    #[test]
    fn every_routed_message_is_shown(
        mode in 0u8..=2,
        service in 0u8..=1,
        steps in vec(prop_oneof![
            Just(None),
            select(&["AT+CS", "Q\r", "AT+CMGS=16\r", "\x1b", "AT+CNMA\r", "AT\r", "A"][..]).prop_map(Some),
        ], 0..40),
    ) {
        let mut modem = Modem::new(ModemConfig::numbered(0));
        let setup = format!("ATE0;+CSMS={service};+CNMI={mode},2,0,1,0\r");
        prop_assert!(written(&modem.handle_input(setup.as_bytes())).ends_with(b"OK\r\n"));
        let pdu = decode_hex(LAB_PLAIN).unwrap();
        let mut taken = 0;
        let mut output = Vec::new();
        for step in steps {
            let actions = match step {
                Some(input) => modem.handle_input(input.as_bytes()),
                None => {
                    if matches!(modem.deliver(pdu.clone()), Delivery::Routed | Delivery::AwaitingAck) {
                        taken += 1;
                    }
                    modem.flush_unsolicited()
                }
            };
            output.extend(written(&actions));
        }
        output.extend(written(&modem.handle_input(b"\x1b\x1a\rAT+CNMI=2\r")));
        output.extend(written(&modem.flush_unsolicited()));
        let shown = String::from_utf8_lossy(&output).matches("+CMT: ").count();
        prop_assert_eq!(shown, taken);
    }
}
