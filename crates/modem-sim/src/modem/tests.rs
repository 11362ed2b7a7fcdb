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
