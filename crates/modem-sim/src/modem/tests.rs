//! Unit tests of the modem's framing; whole sessions live in
//! `tests/transcripts/`.

use super::*;

fn modem() -> Modem {
    Modem::new(ModemConfig::numbered(0))
}

fn written(actions: &[Action]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for action in actions {
        if let Action::Write(chunk) = action {
            bytes.extend_from_slice(chunk);
        }
    }
    bytes
}

#[test]
fn echo_then_answer() {
    let mut modem = modem();
    assert_eq!(written(&modem.handle_input(b"AT\r")), b"AT\r\r\nOK\r\n");
    assert_eq!(written(&modem.handle_input(b"ATE0\r")), b"ATE0\r\r\nOK\r\n");
    assert_eq!(written(&modem.handle_input(b"AT\r")), b"\r\nOK\r\n");
}

#[test]
fn lines_without_at_get_no_answer() {
    let mut modem = modem();
    modem.handle_input(b"ATE0\r");
    assert_eq!(written(&modem.handle_input(b"hello\r\r\n\x1b\r\x1a\r")), b"");
    assert_eq!(written(&modem.handle_input(b"xxAT\r")), b"\r\nOK\r\n");
}

#[test]
fn overlong_lines_are_refused_whole() {
    let mut modem = modem();
    modem.handle_input(b"ATE0\r");
    let mut line = b"AT".to_vec();
    line.resize(5000, b'E');
    line.push(b'\r');
    assert_eq!(written(&modem.handle_input(&line)), b"\r\nERROR\r\n");
    assert_eq!(written(&modem.handle_input(b"AT\r")), b"\r\nOK\r\n");
}

#[test]
fn message_reference_wraps_from_255_to_1() {
    let mut modem = modem();
    modem.next_mr = 255;
    modem.handle_input(b"ATE0\r");
    let pdu = b"AT+CMGS=16\r0001000D91947102000000F1000002E834\x1a";
    assert!(written(&modem.handle_input(pdu)).ends_with(b"+CMGS: 255\r\n\r\nOK\r\n"));
    assert!(written(&modem.handle_input(pdu)).ends_with(b"+CMGS: 1\r\n\r\nOK\r\n"));
}

#[test]
fn raw_ussd_answer_goes_out_as_given() {
    let mut modem = modem();
    modem.handle_input(b"ATE0\r");
    let actions = modem.handle_input(b"AT+CUSD=1,\"*245#\",15\r");
    assert!(actions
        .iter()
        .any(|action| matches!(action, Action::UssdRequest { request, .. } if request == "*245#")));
    let answer = modem.ussd_response_raw("EBB79B1E0685E9ECF4BADE9E03", 15, 0);
    assert_eq!(
        written(&answer),
        b"\r\n+CUSD: 0,\"EBB79B1E0685E9ECF4BADE9E03\",15\r\n"
    );
}

#[test]
fn sim_state_counts_wrong_pins() {
    let mut modem = Modem::new(ModemConfig {
        pin: Some("1234".to_owned()),
        ..ModemConfig::numbered(0)
    });
    modem.handle_input(b"ATE0;+CMEE=1\r");
    assert_eq!(modem.sim_state(), SimState::PinRequired { tries_left: 3 });
    assert!(written(&modem.handle_input(b"AT+CPIN=\"0000\"\r")).ends_with(b"+CME ERROR: 16\r\n"));
    assert_eq!(modem.sim_state(), SimState::PinRequired { tries_left: 2 });
    modem.handle_input(b"AT+CPIN=\"1234\"\r");
    assert_eq!(modem.sim_state(), SimState::Ready);
}

#[test]
fn unplug_on_send_takes_the_pdu_and_leaves_without_answering() {
    let mut modem = modem();
    modem.handle_input(b"ATE0\r");
    modem.inject_fault(Fault::UnplugOnSend);
    let pdu = b"AT+CMGS=16\r0001000D91947102000000F1000002E834\x1a";
    let actions = modem.handle_input(pdu);
    assert_eq!(written(&actions), b"\r\n> ");
    assert!(
        matches!(actions[1], Action::Submitted { mr: 1, .. }),
        "{actions:?}"
    );
    assert_eq!(actions[2], Action::Unplug);
    assert!(modem.handle_input(b"AT\r").is_empty());
    // Back after a re-plug, with the fault spent.
    modem.power_cycle();
    modem.handle_input(b"ATE0\r");
    assert!(written(&modem.handle_input(pdu)).ends_with(b"+CMGS: 2\r\n\r\nOK\r\n"));
}
