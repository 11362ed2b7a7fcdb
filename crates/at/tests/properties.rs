//! Properties that hold for any input: nothing panics, memory stays
//! bounded, every command completes exactly once, and how the modem's bytes
//! are cut into reads never changes what comes out.
//!
//! Inputs mix arbitrary bytes with pieces of real modem output, so that the
//! deeper paths (prompts, two-line codes, listings) are reached as well.

use std::collections::BTreeMap;
use std::time::Duration;

use at::parse::{self, Ussd, UssdEncoding, UssdStatus};
use at::{Command, Config, Engine, Event, FinalResult, Framer, Time};
use proptest::prelude::*;

/// Pieces of modem output that steer the engine into its states.
const TOKENS: &[&str] = &[
    "\r\n",
    "\r",
    "\n",
    "OK",
    "ERROR",
    "> ",
    ">",
    "+CMS ERROR: 38",
    "+CME ERROR: SIM busy",
    "+CMTI: \"SM\",3",
    "+CMT: ,24",
    "+CMT: \"x\"",
    "+CDS: 26",
    "+CDSI: \"SM\",4",
    "+CUSD: 0,\"EBB79B1E0685E9ECF4BADE9E03\",15",
    "+CUSD: 1,\"",
    "RING",
    "+CLIP: \"+31641600986\",145",
    "+CREG: 1,\"00C3\",\"0001ABCD\",7",
    "+CREG: 2,1",
    "+CSQ: 21,99",
    "+CMGL: 1,0,,26",
    "+CMGR: 0,,0",
    "+CMGS: 7",
    "07915155550500F006010D91947112325476F8621112912023006211129120230000",
    "AT+CSQ",
    "AT+CMGS=29",
    "^RSSI: 3",
    "+QIND: x",
    "\u{1a}",
    "\u{1b}",
    "\"",
    ",",
    "\u{e9}",
];

fn modem_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => prop::sample::select(TOKENS).prop_map(|token| token.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => prop::collection::vec(Just(b'x'), 60..300),
    ];
    prop::collection::vec(token, 0..30).prop_map(|pieces| pieces.concat())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::new("AT").unwrap()),
        Just(Command::new("AT+CSQ").unwrap()),
        Just(Command::new("AT+CREG?").unwrap()),
        Just(Command::new("AT+CMGL=4").unwrap()),
        Just(Command::new("AT+CGSN").unwrap()),
        Just(Command::new("AT+CUSD=1,\"*100#\",15").unwrap()),
        Just(Command::send_pdu(&[0x00, 0x11, 0x00]).unwrap()),
        Just(Command::new("AT").unwrap().timeout(Duration::from_millis(50))),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Submit(Command),
    Input(Vec<u8>),
    /// Milliseconds to advance, then `handle_timeout`.
    Wait(u16),
    Transmit,
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => command().prop_map(Op::Submit),
        4 => modem_bytes().prop_map(Op::Input),
        2 => (0u16..3000).prop_map(Op::Wait),
        3 => Just(Op::Transmit),
        1 => Just(Op::Reset),
    ]
}

/// Runs the ops with each input cut at `cut` (a fraction in per mille of
/// its length; `None`: whole), checking the invariants on the way. Returns
/// every event and transmit, in order, as text.
fn run(config: &Config, ops: &[Op], cut: Option<u16>) -> Result<Vec<String>, TestCaseError> {
    let mut engine = Engine::new(config.clone());
    let mut now = Time::ZERO;
    let mut log = Vec::new();
    let mut submitted = 0u64;
    let mut completed: BTreeMap<u64, usize> = BTreeMap::new();
    let mut drain = |engine: &mut Engine, log: &mut Vec<String>| {
        while let Some(event) = engine.poll_event() {
            if let Event::Completed(completion) = &event {
                *completed.entry(completion.id.get()).or_default() += 1;
            }
            log.push(format!("{event:?}"));
        }
    };
    for op in ops {
        match op {
            Op::Submit(command) => {
                engine.submit(command.clone());
                submitted += 1;
            }
            Op::Input(bytes) => match cut {
                None => engine.handle_input(bytes, now),
                Some(per_mille) => {
                    let (head, tail) = bytes.split_at(bytes.len() * usize::from(per_mille) / 1000);
                    engine.handle_input(head, now);
                    engine.handle_input(tail, now);
                }
            },
            Op::Wait(millis) => {
                now = now + Duration::from_millis(u64::from(*millis));
                engine.handle_timeout(now);
            }
            Op::Transmit => {
                if let Some(bytes) = engine.poll_transmit(now) {
                    log.push(format!("-> {}", bytes.escape_ascii()));
                }
            }
            Op::Reset => engine.reset(),
        }
        prop_assert!(engine.buffered() < engine.config().max_line.max(at::MIN_MAX_LINE));
        drain(&mut engine, &mut log);
    }
    // Let everything finish: each command either gets an answer already
    // given or times out.
    for _ in 0..(submitted * 3 + 10) {
        while let Some(bytes) = engine.poll_transmit(now) {
            log.push(format!("-> {}", bytes.escape_ascii()));
        }
        match engine.poll_timeout() {
            Some(deadline) => {
                now = deadline;
                engine.handle_timeout(now);
            }
            None if engine.queued() == 0 => break,
            None => {}
        }
        drain(&mut engine, &mut log);
    }
    prop_assert_eq!(engine.queued(), 0);
    prop_assert_eq!(engine.in_flight(), None);
    prop_assert_eq!(completed.len() as u64, submitted, "every command completes");
    prop_assert!(
        completed.values().all(|&count| count == 1),
        "exactly once: {:?}",
        completed
    );
    Ok(log)
}

fn config() -> impl Strategy<Value = Config> {
    (64usize..512, 1u32..4, 0u64..600).prop_map(|(max_line, hung_after, settle)| Config {
        max_line,
        hung_after,
        settle_time: Duration::from_millis(settle),
        ..Config::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn engine_never_panics_and_completes_everything(config in config(), ops in prop::collection::vec(op(), 0..40)) {
        run(&config, &ops, None)?;
    }

    #[test]
    fn engine_output_does_not_depend_on_read_sizes(
        config in config(),
        ops in prop::collection::vec(op(), 0..40),
        cut in 0u16..=1000,
    ) {
        let whole = run(&config, &ops, None)?;
        let split = run(&config, &ops, Some(cut))?;
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn framer_output_does_not_depend_on_read_sizes(
        bytes in modem_bytes(),
        sizes in prop::collection::vec(1usize..50, 1..10),
        prompt_due in any::<bool>(),
        max_line in 64usize..300,
    ) {
        let mut whole = Framer::new(max_line);
        whole.push(&bytes);
        let expected: Vec<_> = std::iter::from_fn(|| whole.next_frame(prompt_due)).collect();
        let mut chunked = Framer::new(max_line);
        let mut got = Vec::new();
        let mut rest = &bytes[..];
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
            rest = tail;
            chunked.push(chunk);
            got.extend(std::iter::from_fn(|| chunked.next_frame(prompt_due)));
            prop_assert!(chunked.buffered() < max_line);
        }
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn parsers_never_panic(lines in prop::collection::vec(
        prop_oneof![
            ".*",
            prop::sample::select(TOKENS).prop_map(str::to_owned),
            (prop::sample::select(&["+CSQ:", "+CREG:", "+CGREG:", "+CEREG:", "+COPS:", "+CPIN:", "+CSCA:",
                "+CPMS:", "+CMGS:", "+CMGL:", "+CMGR:", "+CUSD:", "+CCID:"][..]), "[ ,\"0-9A-Fa-z()]{0,30}")
                .prop_map(|(prefix, params)| format!("{prefix}{params}")),
        ],
        0..6,
    )) {
        let _ = parse::csq(&lines);
        let _ = parse::creg(&lines);
        let _ = parse::cgreg(&lines);
        let _ = parse::cereg(&lines);
        let _ = parse::cops(&lines);
        let _ = parse::cpin(&lines);
        let _ = parse::csca(&lines);
        let _ = parse::cpms(&lines);
        let _ = parse::cmgs(&lines);
        let _ = parse::cmgl(&lines);
        let _ = parse::cmgr(1, &lines);
        let _ = parse::cgsn(&lines);
        let _ = parse::cimi(&lines);
        let _ = parse::ccid(&lines);
        if let Ok(ussd) = parse::cusd(&lines) {
            for encoding in [UssdEncoding::Auto, UssdEncoding::Text, UssdEncoding::PackedGsm7Hex, UssdEncoding::Ucs2Hex] {
                let decoded = ussd.decode(encoding);
                if encoding == UssdEncoding::Auto {
                    prop_assert!(decoded.is_ok());
                }
            }
        }
        for line in &lines {
            let _ = FinalResult::parse(line);
            let _ = at::Expect::for_command(line);
            let _ = Command::new(line.as_str());
        }
    }

    /// TS 23.038 packing, as modems show USSD in hex, decodes back to the
    /// text, CR padding included.
    #[test]
    fn packed_gsm7_ussd_round_trips(text in "[A-Za-z0-9 .,:!?@£$_-]{1,90}") {
        let tables = sms_pdu::Gsm7Tables::DEFAULT;
        let mut septets = tables.encode(&text).unwrap();
        if septets.len() % 8 == 7 {
            septets.push(0x0D);
        }
        // A trailing `@` that fills the last octet exactly reads like the
        // zero padding of careless encoders, which the decoder drops.
        prop_assume!(!(septets.len() % 8 == 0 && septets.last() == Some(&0x00)));
        let raw = sms_pdu::encode_hex(&sms_pdu::septets::pack(&septets, 0));
        let ussd = Ussd { status: UssdStatus(0), raw: Some(raw), dcs: Some(15) };
        let decoded = ussd.decode(UssdEncoding::PackedGsm7Hex).unwrap().unwrap();
        prop_assert_eq!(decoded.text, text);
    }

    /// UCS2 hex with a UCS2 data coding scheme decodes back, whatever the text.
    #[test]
    fn ucs2_ussd_round_trips(text in "\\PC{1,60}") {
        let raw: String = text.encode_utf16().map(|unit| format!("{unit:04X}")).collect();
        let ussd = Ussd { status: UssdStatus(0), raw: Some(raw), dcs: Some(0x48) };
        let decoded = ussd.decode(UssdEncoding::Auto).unwrap().unwrap();
        prop_assert_eq!(decoded.text, text);
    }
}

/// 27.007's `<rssi>` scale is monotonic, and so are the bars.
#[test]
fn signal_scale_is_monotonic() {
    let quality = |rssi| parse::SignalQuality { rssi, ber: 99 };
    for rssi in 0..31u8 {
        assert!(quality(rssi).dbm() < quality(rssi + 1).dbm());
        assert!(quality(rssi).bars() <= quality(rssi + 1).bars());
    }
    assert_eq!(quality(0).bars(), 0);
    assert_eq!(quality(31).bars(), 5);
}
