//! The engine against a small modem model in memory, on a fake clock (C5 in
//! the style notes): a whole session (init, listing, reading, deleting,
//! sending, USSD) with echo on or off, the modem's output cut into reads
//! of random sizes, and `+CMTI` codes slipped in between any two lines.
//! Every command must succeed, the typed parsers must read back what the
//! model holds, every injected code must come out once, and nothing may be
//! reported as noise.
//!
//! The model answers like the lab modem of the notes (single CRLF inside a
//! multi-line answer, `\r\n> ` prompt, bare IMEI line); it is not the
//! project's simulator, which lives in its own crate and is tested there.

use std::collections::{BTreeMap, VecDeque};

use at::parse::{self, UssdEncoding};
use at::{Command, Engine, Event, Time, Urc};
use proptest::prelude::*;

/// Messages in the model's SIM store: the captures of the notes.
const STORED: &[(u32, &str)] = &[
    (
        1,
        "07915155550500F0040B911346610089F60000621112919243001CC8329BFD069DC3ED761D6496BFDB203ABA0C7297E9F7B77C0D",
    ),
    (2, "07915155550500F006020D91947112325476F8621112919263006211129192630000"),
    (
        3,
        "07915155550500F0040B919761214365F70008621112914235001C041F04400438043204350442002C0020043C043804400021002020AC",
    ),
];

/// The PDUs the session sends (smsd's, section 5.1).
const TO_SEND: &[&str] = &[
    "0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301",
    "0031000D91947112325476F80008FF380055006E00690063006F00640065002000660072006F006D00200073006D00730064003A0020041F04400438043204350442002020AC000A",
];

struct ModelModem {
    echo: bool,
    /// Bytes from the engine not yet acted on.
    input: Vec<u8>,
    /// Whole lines (and the prompt) waiting to go out, so that a code is
    /// never put in the middle of one.
    atoms: VecDeque<Vec<u8>>,
    /// Set after the prompt: the TPDU length announced.
    awaiting_pdu: Option<usize>,
    store: BTreeMap<u32, String>,
    sent: Vec<String>,
    next_reference: u8,
    /// Deferred atoms (the USSD answer comes after OK).
    later: Vec<Vec<u8>>,
}

impl ModelModem {
    fn new() -> ModelModem {
        ModelModem {
            echo: false,
            input: Vec::new(),
            atoms: VecDeque::new(),
            awaiting_pdu: None,
            store: STORED
                .iter()
                .map(|&(index, pdu)| (index, pdu.to_owned()))
                .collect(),
            sent: Vec::new(),
            next_reference: 1,
            later: Vec::new(),
        }
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        loop {
            if let Some(length) = self.awaiting_pdu {
                let Some(end) = self.input.iter().position(|&byte| byte == 0x1A) else {
                    return;
                };
                let pdu = String::from_utf8(self.input[..end].to_vec()).unwrap();
                self.input.drain(..=end);
                self.awaiting_pdu = None;
                if self.echo {
                    let mut echoed = pdu.clone().into_bytes();
                    echoed.push(0x1A);
                    self.atoms.push_back(echoed);
                }
                let octets = sms_pdu::decode_hex(&pdu).unwrap();
                assert_eq!(
                    octets.len() - 1 - usize::from(octets[0]),
                    length,
                    "AT+CMGS length"
                );
                self.sent.push(pdu);
                let reference = self.next_reference;
                self.next_reference += 1;
                self.answer(&[&format!("+CMGS: {reference}")], "OK");
                continue;
            }
            let Some(end) = self.input.iter().position(|&byte| byte == b'\r') else {
                return;
            };
            let line = String::from_utf8(self.input[..end].to_vec()).unwrap();
            self.input.drain(..=end);
            if self.echo {
                self.atoms.push_back(format!("{line}\r").into_bytes());
            }
            self.command(&line);
        }
    }

    fn command(&mut self, line: &str) {
        match line {
            "ATE0" => {
                self.echo = false;
                self.answer(&[], "OK");
            }
            "ATE1" => {
                self.echo = true;
                self.answer(&[], "OK");
            }
            "AT" | "AT+CMGF=0" | "AT+CMEE=1" => self.answer(&[], "OK"),
            "AT+CGSN" => self.answer(&["490154203237518"], "OK"),
            "AT+CSQ" => self.answer(&["+CSQ: 21,99"], "OK"),
            "AT+CREG?" => self.answer(&[r#"+CREG: 2,1,"00C3","0001ABCD",7"#], "OK"),
            "AT+CPMS?" => {
                let used = self.store.len();
                self.answer(
                    &[&format!(r#"+CPMS: "SM",{used},30,"SM",{used},30,"SM",{used},30"#)],
                    "OK",
                );
            }
            "AT+CMGL=4" => {
                let mut lines = Vec::new();
                for (index, pdu) in &self.store {
                    lines.push(format!("+CMGL: {index},0,,{}", tpdu_length(pdu)));
                    lines.push(pdu.clone());
                }
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                self.answer(&lines, "OK");
            }
            r#"AT+CUSD=1,"*100#",15"# => {
                self.answer(&[], "OK");
                self.later
                    .push(b"\r\n+CUSD: 0,\"EBB79B1E0685E9ECF4BADE9E03\",15\r\n".to_vec());
            }
            _ => {
                if let Some(index) = line.strip_prefix("AT+CMGR=") {
                    let index: u32 = index.parse().unwrap();
                    match self.store.get(&index).cloned() {
                        Some(pdu) => {
                            self.answer(&[&format!("+CMGR: 0,,{}", tpdu_length(&pdu)), &pdu], "OK");
                        }
                        None => self.answer(&[], "+CMS ERROR: 321"),
                    }
                } else if let Some(index) = line.strip_prefix("AT+CMGD=") {
                    self.store.remove(&index.parse().unwrap());
                    self.answer(&[], "OK");
                } else if let Some(length) = line.strip_prefix("AT+CMGS=") {
                    self.awaiting_pdu = Some(length.parse().unwrap());
                    self.atoms.push_back(b"\r\n> ".to_vec());
                } else {
                    self.answer(&[], "ERROR");
                }
            }
        }
    }

    /// Information lines with single CRLFs between them, then the result.
    fn answer(&mut self, lines: &[&str], result: &str) {
        for (line_idx, line) in lines.iter().enumerate() {
            let lead = if line_idx == 0 { "\r\n" } else { "" };
            self.atoms.push_back(format!("{lead}{line}\r\n").into_bytes());
        }
        self.atoms.push_back(format!("\r\n{result}\r\n").into_bytes());
        let later = std::mem::take(&mut self.later);
        self.atoms.extend(later);
    }
}

fn tpdu_length(pdu: &str) -> usize {
    let octets = sms_pdu::decode_hex(pdu).unwrap();
    octets.len() - 1 - usize::from(octets[0])
}

/// What a session produced.
struct Session {
    completions: Vec<at::Completion>,
    urcs: Vec<Urc>,
    others: Vec<Event>,
    modem: ModelModem,
    /// How many `+CMTI` codes were slipped in.
    injected: u32,
}

/// Runs `commands` against the model. `read_sizes` cuts the modem's output
/// into reads (cycled); `cmti_after` lists atom counts after which a
/// `+CMTI` is slipped in.
fn run_session(commands: Vec<Command>, read_sizes: &[usize], cmti_after: &[usize]) -> Session {
    let mut engine = Engine::default();
    let mut modem = ModelModem::new();
    for command in commands {
        engine.submit(command);
    }
    let mut now = Time::ZERO;
    let mut pending: Vec<u8> = Vec::new();
    let mut atoms_sent = 0;
    let mut read_idx = 0;
    let mut cmti_index = 100;
    let mut session = Session {
        completions: Vec::new(),
        urcs: Vec::new(),
        others: Vec::new(),
        modem: ModelModem::new(),
        injected: 0,
    };
    for _round in 0..100_000 {
        while let Some(bytes) = engine.poll_transmit(now) {
            modem.receive(&bytes);
        }
        // Move whole atoms to the wire, slipping codes in between them.
        while let Some(atom) = modem.atoms.pop_front() {
            pending.extend_from_slice(&atom);
            atoms_sent += 1;
            if cmti_after.contains(&atoms_sent) {
                pending.extend_from_slice(format!("\r\n+CMTI: \"SM\",{cmti_index}\r\n").as_bytes());
                cmti_index += 1;
            }
        }
        if !pending.is_empty() {
            let size = read_sizes[read_idx % read_sizes.len()].clamp(1, pending.len());
            read_idx += 1;
            let read: Vec<u8> = pending.drain(..size).collect();
            now = Time::from_millis(now.as_millis() + 1);
            engine.handle_input(&read, now);
        } else if let Some(deadline) = engine.poll_timeout() {
            now = deadline;
            engine.handle_timeout(now);
        } else if engine.queued() == 0 {
            break;
        }
        while let Some(event) = engine.poll_event() {
            match event {
                Event::Completed(completion) => session.completions.push(completion),
                Event::Urc(urc) => session.urcs.push(urc),
                other => session.others.push(other),
            }
        }
    }
    session.modem = modem;
    session.injected = cmti_index - 100;
    session
}

fn commands(echo: bool) -> Vec<Command> {
    let mut commands = vec![
        Command::new(if echo { "ATE1" } else { "ATE0" }).unwrap(),
        Command::new("AT+CMGF=0").unwrap(),
        Command::new("AT+CGSN").unwrap(),
        Command::new("AT+CSQ").unwrap(),
        Command::new("AT+CREG?").unwrap(),
        Command::new("AT+CPMS?").unwrap(),
        Command::new("AT+CMGL=4").unwrap(),
        Command::new("AT+CMGR=3").unwrap(),
        Command::new("AT+CMGD=3").unwrap(),
        Command::new("AT+CMGR=3").unwrap(),
    ];
    for pdu in TO_SEND {
        commands.push(Command::send_pdu(&sms_pdu::decode_hex(pdu).unwrap()).unwrap());
    }
    commands.push(Command::new(r#"AT+CUSD=1,"*100#",15"#).unwrap());
    commands.push(Command::new("AT+CPMS?").unwrap());
    commands
}

/// Checks everything; returns how many codes were slipped in.
fn check_session(echo: bool, read_sizes: &[usize], cmti_after: &[usize]) -> u32 {
    let session = run_session(commands(echo), read_sizes, cmti_after);
    assert!(session.others.is_empty(), "reports: {:?}", session.others);
    let lines: Vec<&[String]> = session
        .completions
        .iter()
        .enumerate()
        .map(|(completion_idx, completion)| {
            // The second AT+CMGR=3 reads the deleted slot.
            if completion_idx == 9 {
                assert_eq!(
                    completion.outcome,
                    at::Outcome::Final(at::FinalResult::parse("+CMS ERROR: 321").unwrap())
                );
                return &[][..];
            }
            completion.result().unwrap_or_else(|error| panic!("{error}"))
        })
        .collect();
    assert_eq!(lines.len(), 14);
    assert_eq!(parse::cgsn(lines[2]).unwrap(), "490154203237518");
    assert_eq!(parse::csq(lines[3]).unwrap().dbm(), Some(-71));
    assert!(parse::creg(lines[4]).unwrap().status.is_registered());
    assert_eq!(parse::cpms(lines[5]).unwrap().read.used, 3);
    let listed = parse::cmgl(lines[6]).unwrap();
    let listed: Vec<(u32, String)> = listed
        .iter()
        .map(|message| (message.index, sms_pdu::encode_hex(&message.pdu)))
        .collect();
    let stored: Vec<(u32, String)> = STORED
        .iter()
        .map(|&(index, pdu)| (index, pdu.to_owned()))
        .collect();
    assert_eq!(listed, stored);
    let read = parse::cmgr(3, lines[7]).unwrap().unwrap();
    assert!(read.length_matches());
    let sms_pdu::Tpdu::Deliver(deliver) = read.decode().unwrap().value.tpdu else {
        panic!("not a DELIVER");
    };
    assert_eq!(deliver.text().unwrap(), "Привет, мир! €");
    assert_eq!(parse::cmgs(lines[10]).unwrap().0, 1);
    assert_eq!(parse::cmgs(lines[11]).unwrap().0, 2);
    assert_eq!(parse::cpms(lines[13]).unwrap().read.used, 2);
    assert_eq!(session.modem.sent, TO_SEND);

    let (ussd, cmti): (Vec<&Urc>, Vec<&Urc>) =
        session.urcs.iter().partition(|urc| matches!(urc, Urc::Ussd(_)));
    let [Urc::Ussd(ussd)] = ussd[..] else {
        panic!("USSD answers: {ussd:?}");
    };
    assert_eq!(
        ussd.decode(UssdEncoding::Auto).unwrap().unwrap().text,
        "konta atlikums"
    );
    let injected: Vec<u32> = cmti
        .iter()
        .map(|urc| match urc {
            Urc::MessageStored { index, .. } => *index,
            other => panic!("unexpected code {other:?}"),
        })
        .collect();
    let expected: Vec<u32> = (100..100 + session.injected).collect();
    assert_eq!(injected, expected);
    session.injected
}

#[test]
fn whole_session_echo_off_in_one_read() {
    assert_eq!(check_session(false, &[usize::MAX], &[]), 0);
}

#[test]
fn whole_session_echo_on_byte_by_byte_with_codes_everywhere() {
    let every_atom: Vec<usize> = (1..200).collect();
    // With echo on the session is 47 atoms (echoes, lines, prompts,
    // results), so 47 codes, each after one of them.
    assert_eq!(check_session(true, &[1], &every_atom), 47);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_chunking_and_code_placement(
        echo in any::<bool>(),
        read_sizes in prop::collection::vec(1usize..80, 1..20),
        cmti_after in prop::collection::vec(1usize..120, 0..12),
    ) {
        check_session(echo, &read_sizes, &cmti_after);
    }
}
