//! AT sessions replayed against the modem, byte for byte. Each file in
//! `tests/transcripts/` is a session, most of them the captures of real
//! clients in `real-clients-at-transcripts.md`. The notes are the oracle:
//! their `->`/`<-` lines were carried over literally, with the echo and the
//! network events added where the notes describe them, and the files are
//! never regenerated from the modem's output. The other files test what
//! the captures do not reach (errors, faults, indications, text mode), with
//! the expected bytes taken from TS 27.005/27.007.
//!
//! The format, one line per exchange:
//!
//! ```text
//! # a comment                       (also after a step: `> 'AT\r'  # why`)
//! ! config sm=30 me=50 pin=1234     (before the first step; default: the lab modem)
//! > 'AT+CMGS=29\r'                  bytes the client sends, as a Python literal
//! < 'AT+CMGS=29\r'                  bytes the modem writes; `<` lines run together
//! < '\r\n> '
//! = submitted 1 07915155550500F0... other actions: `= after <ms> '<bytes>'`,
//!                                   `= ussd <dcs> '<text>'`, `= unplug`
//! ! deliver <hex>                   the network delivers an SMS, then the queued
//! = stored SM 1                     result codes are flushed; the outcome comes
//! < '\r\n+CMTI: "SM",1\r\n'         first (`stored <mem> <i>`, `routed`,
//!                                   `store-full`, `unreachable`, `rejected`,
//!                                   `deferred`: refused for now, the network
//!                                   retries; `awaiting-ack`: routed under
//!                                   AT+CSMS=1, delivered once acknowledged)
//! = acknowledged / = not-acknowledged  AT+CNMA (=2) ended an awaiting-ack
//! ! ack-timeout                     no AT+CNMA in time; `= timed-out` if one
//!                                   was awaited
//! ! report <hex>                    the same for a status report
//! ! ussd 0 'Your balance'           the network answers USSD (text is UTF-8)
//! ! fault cms-error 38 1            inject a fault (see `parse_fault`)
//! ! power-cycle / ! flush
//! ```
//!
//! The notes show the modem's answers without the echo; where echo is on,
//! a fixture has the echo as its own `<` line above the captured answer.
//!
//! Every run of `>` steps is also fed whole, byte by byte, and split in two
//! at every offset (style C4): the actions and the modem's state afterwards
//! must be the same every time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use modem_sim::{Action, Delivery, Fault, Modem, ModemConfig, Storage};

macro_rules! transcripts {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_transcript($file);
            }
        )*

        const ALL_FIXTURES: &[&str] = &[$($file),*];
    };
}

transcripts! {
    smsd_session => "smsd-session",
    smsd_cmgl => "smsd-cmgl",
    smsd_routed_report => "smsd-routed-report",
    gammu_identify => "gammu-identify",
    gammu_sendsms => "gammu-sendsms",
    gammu_getallsms => "gammu-getallsms",
    gammu_getussd => "gammu-getussd",
    gammu_smsd => "gammu-smsd",
    gsmmodem => "gsmmodem",
    framing => "framing",
    errors => "errors",
    indications => "indications",
    stores => "stores",
    fault_send_errors => "fault-send-errors",
    fault_line => "fault-line",
    fault_sim_and_network => "fault-sim-network",
    calls_and_ussd => "calls-ussd",
    text_mode => "text-mode",
    link_reserved => "link-reserved",
    csms_cnma => "csms-cnma",
    cmee_forms => "cmee-forms",
    query_forms => "query-forms",
}

#[test]
fn every_fixture_is_run() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = ALL_FIXTURES.iter().map(|name| name.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "tests/transcripts/*.txt and the transcripts! list differ"
    );
}

/// The lab modem of the captures: FakeModem Inc. FM-100 on "FAKE NET", 30
/// SIM and 50 phone slots; IMEI, IMSI and SMSC are those of
/// `ModemConfig::numbered(0)`.
fn lab_config() -> ModemConfig {
    ModemConfig {
        manufacturer: "FakeModem Inc.".to_owned(),
        model: "FM-100".to_owned(),
        revision: "FM100_V1.0".to_owned(),
        operator_name: "FAKE NET".to_owned(),
        sm_capacity: 30,
        me_capacity: 50,
        ..ModemConfig::numbered(0)
    }
}

/// Runs the fixture `tests/transcripts/<name>.txt`; panics with every
/// difference found.
fn check_transcript(name: &str) {
    let path = fixture_dir().join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let fixture = parse_fixture(&text).unwrap_or_else(|err| panic!("{}:{err}", path.display()));
    let mut modem = Modem::new(fixture.config.clone());
    let mut failures = Vec::new();
    let mut step_idx = 0;
    while step_idx < fixture.steps.len() {
        // A run of client input between network events.
        let run_end = fixture.steps[step_idx..]
            .iter()
            .position(|step| !matches!(step.input, Input::Bytes(_)))
            .map_or(fixture.steps.len(), |offset| step_idx + offset);
        if run_end == step_idx {
            let step = &fixture.steps[step_idx];
            check_step(&mut modem, step, &mut failures);
            step_idx += 1;
            continue;
        }
        let before = modem.clone();
        let run = &fixture.steps[step_idx..run_end];
        for step in run {
            check_step(&mut modem, step, &mut failures);
        }
        check_splits(&before, run, &modem, &mut failures);
        step_idx = run_end;
    }
    assert!(
        failures.is_empty(),
        "{}: {} failure(s)\n\n{}",
        path.display(),
        failures.len(),
        failures.join("\n\n")
    );
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

struct Fixture {
    config: ModemConfig,
    steps: Vec<Step>,
}

struct Step {
    line_no: usize,
    input: Input,
    expected: Vec<Observed>,
}

enum Input {
    Bytes(Vec<u8>),
    Deliver(Vec<u8>),
    Report(Vec<u8>),
    Ussd(u8, String),
    Fault(Fault),
    PowerCycle,
    Flush,
    AckTimeout,
}

/// What a step produced: the modem's actions, and the outcome of a
/// delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Observed {
    Write(Vec<u8>),
    After(u64, Vec<u8>),
    Submitted(u8, Vec<u8>),
    Ussd(u8, String),
    Unplug,
    /// `AT+CNMA` ended a delivery that waited for it.
    Acknowledged(bool),
    /// The outcome as the fixture writes it (`stored SM 1`).
    Delivery(String),
}

fn check_step(modem: &mut Modem, step: &Step, failures: &mut Vec<String>) {
    let observed = run_step(modem, &step.input);
    let expected = normalize(step.expected.clone());
    if observed != expected {
        failures.push(format!(
            "line {}: expected\n{}\ngot\n{}",
            step.line_no,
            show(&expected),
            show(&observed)
        ));
    }
}

fn run_step(modem: &mut Modem, input: &Input) -> Vec<Observed> {
    let mut observed = Vec::new();
    let actions = match input {
        Input::Bytes(bytes) => modem.handle_input(bytes),
        Input::Deliver(pdu) => {
            observed.push(Observed::Delivery(show_delivery(&modem.deliver(pdu.clone()))));
            modem.flush_unsolicited()
        }
        Input::Report(pdu) => {
            observed.push(Observed::Delivery(show_delivery(
                &modem.status_report(pdu.clone()),
            )));
            modem.flush_unsolicited()
        }
        Input::Ussd(status, text) => modem.ussd_response(text, *status),
        Input::Fault(fault) => modem.inject_fault(fault.clone()),
        Input::PowerCycle => {
            modem.power_cycle();
            Vec::new()
        }
        Input::Flush => modem.flush_unsolicited(),
        Input::AckTimeout => {
            if modem.acknowledgement_timed_out() {
                observed.push(Observed::Delivery("timed-out".to_owned()));
            }
            Vec::new()
        }
    };
    observed.extend(actions.into_iter().map(|action| match action {
        Action::Write(bytes) => Observed::Write(bytes),
        Action::WriteAfter { delay_ms, bytes } => Observed::After(delay_ms, bytes),
        Action::Submitted { mr, pdu } => Observed::Submitted(mr, pdu),
        Action::UssdRequest { request, dcs } => Observed::Ussd(dcs, request),
        Action::Unplug => Observed::Unplug,
        Action::Acknowledged { accepted } => Observed::Acknowledged(accepted),
    }));
    normalize(observed)
}

/// Adjacent writes are one byte stream; how the modem chunked them does
/// not matter to a client.
fn normalize(observed: Vec<Observed>) -> Vec<Observed> {
    let mut merged: Vec<Observed> = Vec::new();
    for item in observed {
        match (merged.last_mut(), item) {
            (Some(Observed::Write(pending)), Observed::Write(bytes)) => pending.extend(bytes),
            (_, Observed::Write(bytes)) if bytes.is_empty() => {}
            (_, item) => merged.push(item),
        }
    }
    merged
}

/// Feeds the run's input whole, byte by byte, and in two pieces split at
/// every offset, starting from `before`; each must give the run's expected
/// actions and end in `after`.
fn check_splits(before: &Modem, run: &[Step], after: &Modem, failures: &mut Vec<String>) {
    let input: Vec<u8> = run
        .iter()
        .flat_map(|step| match &step.input {
            Input::Bytes(bytes) => bytes.clone(),
            _ => Vec::new(),
        })
        .collect();
    let expected = normalize(run.iter().flat_map(|step| step.expected.clone()).collect());
    let first_line = run[0].line_no;
    let mut feed = |label: String, chunks: Vec<&[u8]>| {
        let mut modem = before.clone();
        let observed: Vec<Observed> = chunks
            .into_iter()
            .flat_map(|chunk| run_step(&mut modem, &Input::Bytes(chunk.to_vec())))
            .collect();
        let observed = normalize(observed);
        if observed != expected {
            failures.push(format!(
                "lines {first_line}-{}, input {label}: expected\n{}\ngot\n{}",
                run[run.len() - 1].line_no,
                show(&expected),
                show(&observed)
            ));
            return false;
        }
        if modem != *after {
            failures.push(format!(
                "lines {first_line}-{}, input {label}: same output, different state",
                run[run.len() - 1].line_no
            ));
            return false;
        }
        true
    };
    if !feed("whole".to_owned(), vec![&input]) {
        return;
    }
    if !feed("byte by byte".to_owned(), input.chunks(1).collect()) {
        return;
    }
    for offset in 1..input.len() {
        let (head, tail) = input.split_at(offset);
        if !feed(format!("split at {offset}"), vec![head, tail]) {
            return;
        }
    }
}

fn show(observed: &[Observed]) -> String {
    let mut text = String::new();
    for item in observed {
        let line = match item {
            Observed::Write(bytes) => format!("< {}", repr(bytes)),
            Observed::After(ms, bytes) => format!("= after {ms} {}", repr(bytes)),
            Observed::Submitted(mr, pdu) => format!("= submitted {mr} {}", sms_pdu::encode_hex(pdu)),
            Observed::Ussd(dcs, text) => format!("= ussd {dcs} {}", repr(text.as_bytes())),
            Observed::Unplug => "= unplug".to_owned(),
            Observed::Acknowledged(true) => "= acknowledged".to_owned(),
            Observed::Acknowledged(false) => "= not-acknowledged".to_owned(),
            Observed::Delivery(delivery) => format!("= {delivery}"),
        };
        let _ = writeln!(text, "    {line}");
    }
    if observed.is_empty() {
        text.push_str("    (nothing)\n");
    }
    text
}

fn show_delivery(delivery: &Delivery) -> String {
    match delivery {
        Delivery::Stored { mem, index } => format!("stored {mem} {index}"),
        Delivery::Routed => "routed".to_owned(),
        Delivery::StoreFull => "store-full".to_owned(),
        Delivery::Unreachable => "unreachable".to_owned(),
        Delivery::Rejected(_) => "rejected".to_owned(),
        Delivery::Deferred(_) => "deferred".to_owned(),
        Delivery::AwaitingAck => "awaiting-ack".to_owned(),
    }
}

/// Bytes as a Python literal, the notation of the notes.
fn repr(bytes: &[u8]) -> String {
    let mut text = String::from("'");
    for &byte in bytes {
        match byte {
            b'\r' => text.push_str("\\r"),
            b'\n' => text.push_str("\\n"),
            b'\t' => text.push_str("\\t"),
            b'\\' => text.push_str("\\\\"),
            b'\'' => text.push_str("\\'"),
            0x20..=0x7E => text.push(char::from(byte)),
            _ => {
                let _ = write!(text, "\\x{byte:02x}");
            }
        }
    }
    text.push('\'');
    text
}

// ---------------------------------------------------------------------------
// The fixture format.
// ---------------------------------------------------------------------------

#[derive(Debug)]
enum Token {
    Word(String),
    Quoted(Vec<u8>),
}

fn parse_fixture(text: &str) -> Result<Fixture, String> {
    let mut config = lab_config();
    let mut steps: Vec<Step> = Vec::new();
    for (line_idx, line) in text.lines().enumerate() {
        let line_no = line_idx + 1;
        let fail = |message: String| format!("{line_no}: {message}");
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (marker, rest) = trimmed.split_at(1);
        let tokens = tokenize(rest).map_err(fail)?;
        match marker {
            ">" => match tokens.as_slice() {
                [Token::Quoted(bytes)] => steps.push(Step {
                    line_no,
                    input: Input::Bytes(bytes.clone()),
                    expected: Vec::new(),
                }),
                _ => return Err(fail("`>` takes one quoted string".to_owned())),
            },
            "<" | "=" => {
                let step = steps
                    .last_mut()
                    .ok_or_else(|| fail("an expectation before any step".to_owned()))?;
                let item = if marker == "<" {
                    match tokens.as_slice() {
                        [Token::Quoted(bytes)] => Observed::Write(bytes.clone()),
                        _ => return Err(fail("`<` takes one quoted string".to_owned())),
                    }
                } else {
                    parse_observed(&tokens).map_err(fail)?
                };
                step.expected.push(item);
            }
            "!" => match tokens.first() {
                Some(Token::Word(word)) if word == "config" => {
                    if !steps.is_empty() {
                        return Err(fail("`! config` must come before the first step".to_owned()));
                    }
                    apply_config(&mut config, &tokens[1..]).map_err(fail)?;
                }
                _ => steps.push(Step {
                    line_no,
                    input: parse_event(&tokens).map_err(fail)?,
                    expected: Vec::new(),
                }),
            },
            _ => return Err(fail(format!("unknown line {trimmed:?}"))),
        }
    }
    Ok(Fixture { config, steps })
}

fn words(tokens: &[Token]) -> Vec<&str> {
    tokens
        .iter()
        .map(|token| match token {
            Token::Word(word) => word.as_str(),
            Token::Quoted(_) => "'...'",
        })
        .collect()
}

fn number<T: std::str::FromStr>(word: &str) -> Result<T, String> {
    word.parse().map_err(|_| format!("{word:?} is not a number"))
}

fn hex(word: &str) -> Result<Vec<u8>, String> {
    sms_pdu::decode_hex(word).map_err(|err| format!("{word:?}: {err}"))
}

/// Text in events and USSD expectations is UTF-8 (`'caf\xc3\xa9'`).
fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_observed(tokens: &[Token]) -> Result<Observed, String> {
    let observed = match tokens {
        [Token::Word(word), Token::Word(ms), Token::Quoted(bytes)] if word == "after" => {
            Observed::After(number(ms)?, bytes.clone())
        }
        [Token::Word(word), Token::Word(dcs), Token::Quoted(text)] if word == "ussd" => {
            Observed::Ussd(number(dcs)?, text_of(text))
        }
        _ => match words(tokens).as_slice() {
            ["submitted", mr, pdu] => Observed::Submitted(number(mr)?, hex(pdu)?),
            ["unplug"] => Observed::Unplug,
            ["acknowledged"] => Observed::Acknowledged(true),
            ["not-acknowledged"] => Observed::Acknowledged(false),
            ["stored", mem, index] => {
                let mem = Storage::from_name(mem).ok_or_else(|| format!("no memory {mem:?}"))?;
                Observed::Delivery(format!("stored {mem} {}", number::<usize>(index)?))
            }
            [outcome @ ("routed" | "store-full" | "unreachable" | "rejected" | "deferred" | "awaiting-ack"
            | "timed-out")] => Observed::Delivery((*outcome).to_owned()),
            other => return Err(format!("unknown expectation {other:?}")),
        },
    };
    Ok(observed)
}

fn parse_event(tokens: &[Token]) -> Result<Input, String> {
    if let [Token::Word(word), Token::Word(status), Token::Quoted(text)] = tokens {
        if word == "ussd" {
            return Ok(Input::Ussd(number(status)?, text_of(text)));
        }
    }
    let words = words(tokens);
    Ok(match words.as_slice() {
        ["deliver", pdu] => Input::Deliver(hex(pdu)?),
        ["report", pdu] => Input::Report(hex(pdu)?),
        ["fault", fault @ ..] => Input::Fault(parse_fault(fault)?),
        ["power-cycle"] => Input::PowerCycle,
        ["flush"] => Input::Flush,
        ["ack-timeout"] => Input::AckTimeout,
        other => return Err(format!("unknown event {other:?}")),
    })
}

fn parse_fault(words: &[&str]) -> Result<Fault, String> {
    Ok(match words {
        ["delay", ms] => Fault::Delay { ms: number(ms)? },
        ["silence"] => Fault::Silence,
        ["garbage"] => Fault::Garbage,
        ["cms-error", code, count] => Fault::CmsError {
            code: number(code)?,
            count: number(count)?,
        },
        ["cme-error", code, count] => Fault::CmeError {
            code: number(code)?,
            count: number(count)?,
        },
        ["prompt-error", count] => Fault::PromptError {
            count: number(count)?,
        },
        ["hang"] => Fault::Hang,
        ["sim-removed"] => Fault::SimRemoved,
        ["pin-required"] => Fault::PinRequired,
        ["sim-full"] => Fault::SimFull,
        ["no-network"] => Fault::NoNetwork,
        ["unplug"] => Fault::Unplug,
        ["clear"] => Fault::Clear,
        other => return Err(format!("unknown fault {other:?}")),
    })
}

fn apply_config(config: &mut ModemConfig, tokens: &[Token]) -> Result<(), String> {
    for word in words(tokens) {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("{word:?} is not key=value"))?;
        match key {
            "sm" => config.sm_capacity = number(value)?,
            "me" => config.me_capacity = number(value)?,
            "pin" => config.pin = Some(value.to_owned()),
            "puk" => config.puk = Some(value.to_owned()),
            _ => return Err(format!("unknown config key {key:?}")),
        }
    }
    Ok(())
}

/// Words and Python-style quoted byte strings (`\r \n \t \\ \' \" \xHH`),
/// up to a `#` outside quotes.
fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&ch) = chars.peek() {
        match ch {
            _ if ch.is_whitespace() => {
                chars.next();
            }
            '#' => break,
            '\'' => {
                chars.next();
                let mut bytes = Vec::new();
                loop {
                    match chars.next().ok_or("unterminated string")? {
                        '\'' => break,
                        '\\' => match chars.next().ok_or("unterminated string")? {
                            'r' => bytes.push(b'\r'),
                            'n' => bytes.push(b'\n'),
                            't' => bytes.push(b'\t'),
                            '\\' => bytes.push(b'\\'),
                            '\'' => bytes.push(b'\''),
                            '"' => bytes.push(b'"'),
                            'x' => {
                                let digits: String = chars.by_ref().take(2).collect();
                                let byte = u8::from_str_radix(&digits, 16)
                                    .map_err(|_| format!("bad escape \\x{digits}"))?;
                                bytes.push(byte);
                            }
                            other => return Err(format!("unknown escape \\{other}")),
                        },
                        ch if ch.is_ascii() => bytes.push(ch as u8),
                        ch => return Err(format!("{ch:?}: write non-ASCII bytes as \\xHH")),
                    }
                }
                tokens.push(Token::Quoted(bytes));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}
