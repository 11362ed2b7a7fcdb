//! Transcript tests: each file in `tests/transcripts/` is an exchange with a
//! modem, one line per step, checked by [`check_transcript`]. Most are real
//! captures from `shared/notes/real-clients-at-transcripts.md`, pasted with
//! their timestamps, so time in a test is the capture's time.
//!
//! The fixture language (`#` starts a comment; `##` lines are the capture's
//! own annotations and are ignored too):
//!
//! ```text
//! config settle_time=0 hung_after=2     engine settings, before any step
//! 19:29:14.187 <step>                   sets the clock, then handle_timeout
//! submit AT+CSQ                         Engine::submit(Command::new(..))
//! submit timeout=30s | AT+COPS=?        ... with options before a `|`
//! submit-pdu 0031000D91...              Engine::submit(Command::send_pdu(..))
//! -> 'AT+CSQ\r'                         poll_transmit must give these bytes
//! -> '0031...' + CTRL-Z                 (Python-style literal, as the notes)
//! -> nothing                            poll_transmit must give nothing
//! <- '\r\n+CSQ: 21,99\r\n\r\nOK\r\n'    bytes from the modem
//! == #1 OK | +CSQ: 21,99                the next event, as `describe` shows it
//! deadline 19:29:16.187                 poll_timeout (or `deadline none`)
//! reset                                 Engine::reset
//! ```
//!
//! Every transcript runs with the modem's bytes fed whole, one byte at a
//! time, and split in two at every offset; each run must give the same
//! events at the same steps and the same bytes to write (C4 in the style
//! notes). `UPDATE_EXPECT=1` rewrites the `==` lines from the whole run;
//! read the diff before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use at::{Command, Config, Engine, Event, Noise, Outcome, Time, Urc};

macro_rules! transcripts {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_transcript(stringify!($name));
            }
        )*

        /// Every fixture file has a test above.
        #[test]
        fn every_fixture_is_listed() {
            let listed = [$(stringify!($name)),*];
            let mut unlisted = Vec::new();
            for entry in std::fs::read_dir(fixture_dir()).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
                if path.extension().is_some_and(|ext| ext == "txt") && !listed.contains(&name.as_str()) {
                    unlisted.push(name);
                }
            }
            assert!(unlisted.is_empty(), "fixtures without a test: {unlisted:?}");
        }
    };
}

transcripts! {
    smsd_startup,
    smsd_idle_poll,
    smsd_send_batch,
    smsd_read_and_delete,
    smsd_stored_status_report,
    smsd_routed_status_report,
    smsd_cmgl_five_messages,
    gammu_identify_with_echo,
    gammu_sendsms_with_echo,
    gammu_getallsms,
    gammu_getussd,
    gammu_smsd_cmti_between_commands,
    python_gsmmodem_session,
    routeros_ussd,
    urc_in_the_middle_of_a_response,
    final_results_and_errors,
    timeouts,
    modem_hung,
    garbage_and_long_lines,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("transcripts")
}

/// One parsed fixture line.
#[derive(Clone, Debug)]
struct Step {
    /// 1-based line number in the file.
    line_no: usize,
    /// Clock setting on this line, if any.
    at: Option<Time>,
    action: Action,
}

#[derive(Clone, Debug)]
enum Action {
    /// A time stamp alone.
    Tick,
    Submit(Command),
    Transmit(Option<Vec<u8>>),
    Receive(Vec<u8>),
    Expect(String),
    Deadline(Option<Time>),
    Reset,
}

/// How the modem's bytes are cut into reads.
#[derive(Clone, Copy, Debug)]
enum Chunking {
    Whole,
    ByteByByte,
    /// Each read in two: the first `n` bytes, then the rest.
    SplitAt(usize),
}

/// What a run produced: the events after each step, by step index.
type Trace = Vec<(usize, String)>;

fn check_transcript(name: &str) {
    let path = fixture_dir().join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let (config, steps) = parse_fixture(&text).unwrap_or_else(|error| panic!("{}:{error}", path.display()));
    let whole =
        run(&config, &steps, Chunking::Whole).unwrap_or_else(|error| panic!("{name} (whole): {error}"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, rewrite_expectations(&text, &steps, &whole)).unwrap();
    } else {
        check_expectations(name, &steps, &whole);
    }
    let longest = steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Receive(bytes) => Some(bytes.len()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let mut chunkings = vec![Chunking::ByteByByte];
    chunkings.extend((1..longest).map(Chunking::SplitAt));
    for chunking in chunkings {
        let trace =
            run(&config, &steps, chunking).unwrap_or_else(|error| panic!("{name} ({chunking:?}): {error}"));
        if trace != whole {
            panic!(
                "{name}: {chunking:?} differs from whole reads\nwhole:\n{}\n{chunking:?}:\n{}",
                show(&steps, &whole),
                show(&steps, &trace)
            );
        }
    }
}

/// Runs the steps; `Expect` steps are checked afterwards against the trace.
fn run(config: &Config, steps: &[Step], chunking: Chunking) -> Result<Trace, String> {
    let mut engine = Engine::new(config.clone());
    let mut now = Time::ZERO;
    let mut trace = Vec::new();
    for (step_idx, step) in steps.iter().enumerate() {
        let here = |message: String| format!("line {}: {message}", step.line_no);
        if let Some(at) = step.at {
            if at < now {
                return Err(here(format!("time goes back from {now} to {at}")));
            }
            now = at;
            engine.handle_timeout(now);
        }
        match &step.action {
            Action::Tick | Action::Expect(_) => {}
            Action::Submit(command) => {
                engine.submit(command.clone());
            }
            Action::Transmit(expected) => {
                let got = engine.poll_transmit(now);
                if got != *expected {
                    return Err(here(format!(
                        "transmit: expected {}, got {}",
                        show_bytes(expected.as_deref()),
                        show_bytes(got.as_deref())
                    )));
                }
            }
            Action::Receive(bytes) => match chunking {
                Chunking::Whole => engine.handle_input(bytes, now),
                Chunking::ByteByByte => {
                    for byte in bytes {
                        engine.handle_input(std::slice::from_ref(byte), now);
                    }
                }
                Chunking::SplitAt(offset) => {
                    let (head, tail) = bytes.split_at(offset.min(bytes.len()));
                    engine.handle_input(head, now);
                    engine.handle_input(tail, now);
                }
            },
            Action::Deadline(expected) => {
                let got = engine.poll_timeout();
                if got != *expected {
                    return Err(here(format!("deadline: expected {expected:?}, got {got:?}")));
                }
            }
            Action::Reset => engine.reset(),
        }
        if engine.buffered() >= engine.config().max_line {
            return Err(here(format!("{} bytes buffered", engine.buffered())));
        }
        while let Some(event) = engine.poll_event() {
            trace.push((step_idx, describe(&event)));
        }
    }
    Ok(trace)
}

/// The `==` lines must list the trace's events in order, each right after
/// the step that produced it.
fn check_expectations(name: &str, steps: &[Step], trace: &Trace) {
    let mut expected = Vec::new();
    let mut owner = None;
    for (step_idx, step) in steps.iter().enumerate() {
        match &step.action {
            Action::Expect(text) => expected.push((owner, text.clone())),
            _ => owner = Some(step_idx),
        }
    }
    let got: Vec<(Option<usize>, String)> = trace
        .iter()
        .map(|(step_idx, text)| (Some(*step_idx), text.clone()))
        .collect();
    if expected != got {
        let line_of = |owner: Option<usize>| owner.map_or(0, |step_idx| steps[step_idx].line_no);
        let list = |events: &[(Option<usize>, String)]| {
            events
                .iter()
                .map(|(owner, text)| format!("  after line {}: {text}", line_of(*owner)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{name}: events differ from the == lines (UPDATE_EXPECT=1 rewrites them)\nexpected:\n{}\ngot:\n{}",
            list(&expected),
            list(&got)
        );
    }
}

/// The fixture with its `==` lines replaced by the trace's events.
fn rewrite_expectations(text: &str, steps: &[Step], trace: &Trace) -> String {
    let mut out = String::new();
    let mut events_after: Vec<Vec<&str>> = vec![Vec::new(); text.lines().count() + 1];
    for (step_idx, event) in trace {
        events_after[steps[*step_idx].line_no].push(event);
    }
    for (line_idx, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("==") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        for event in &events_after[line_idx + 1] {
            let _ = writeln!(out, "== {event}");
        }
    }
    out
}

fn show(steps: &[Step], trace: &Trace) -> String {
    trace
        .iter()
        .map(|(step_idx, event)| format!("  line {}: {event}", steps[*step_idx].line_no))
        .collect::<Vec<_>>()
        .join("\n")
}

fn show_bytes(bytes: Option<&[u8]>) -> String {
    match bytes {
        None => "nothing".to_owned(),
        Some(bytes) => format!("'{}'", bytes.escape_ascii()),
    }
}

/// One line per event: stable, readable, and what `==` lines compare.
fn describe(event: &Event) -> String {
    match event {
        Event::Completed(completion) => {
            let mut text = format!("{} ", completion.id);
            match &completion.outcome {
                Outcome::Final(result) => text.push_str(&result.to_string()),
                Outcome::TimedOut { phase, after } => {
                    let _ = write!(text, "timed out after {}s {phase}", after.as_secs_f32());
                }
                Outcome::Cancelled => text.push_str("cancelled"),
            }
            if completion.data_sent == Some(false) {
                text.push_str(" (data not sent)");
            }
            for line in &completion.lines {
                let _ = write!(text, " | {line}");
            }
            text
        }
        Event::Urc(urc) => format!("urc {}", describe_urc(urc)),
        Event::MalformedUrc { error, .. } => format!("malformed urc: {error}"),
        Event::Noise(Noise::InvalidUtf8 { line }) => format!("noise invalid utf-8: {line}"),
        Event::Noise(Noise::OverlongLine { limit, start }) => {
            format!("noise overlong line (limit {limit}): {start}")
        }
        Event::Noise(Noise::UnexpectedLine { line }) => format!("noise unexpected: {line}"),
        Event::Noise(Noise::MissingPdu { header }) => format!("noise no PDU after: {header}"),
        Event::Noise(other) => format!("noise {other:?}"),
        Event::ModemHung { consecutive_timeouts } => {
            format!("modem hung: {consecutive_timeouts} timeouts in a row")
        }
        other => format!("{other:?}"),
    }
}

fn describe_urc(urc: &Urc) -> String {
    match urc {
        Urc::MessageStored { storage, index } => format!("message stored in {storage} at {index}"),
        Urc::MessageReceived { alpha, length, pdu } => {
            format!(
                "message received {alpha:?} length {length}: {}",
                sms_pdu::encode_hex(pdu)
            )
        }
        Urc::StatusReport { length, pdu } => {
            format!("status report length {length}: {}", sms_pdu::encode_hex(pdu))
        }
        Urc::StatusReportStored { storage, index } => format!("status report stored in {storage} at {index}"),
        Urc::Ussd(ussd) => {
            let text = ussd
                .decode(at::parse::UssdEncoding::Auto)
                .ok()
                .flatten()
                .map(|decoded| decoded.text);
            match (&ussd.raw, ussd.dcs, text) {
                (Some(raw), Some(dcs), Some(text)) => {
                    format!("ussd {} {raw:?} dcs {dcs}: {text:?}", ussd.status.0)
                }
                _ => format!("ussd {} {:?} dcs {:?}", ussd.status.0, ussd.raw, ussd.dcs),
            }
        }
        Urc::Ring => "RING".to_owned(),
        Urc::CallerId {
            number,
            type_of_address,
            alpha,
            validity,
        } => format!("caller {number:?} {type_of_address:?} {alpha:?} {validity:?}"),
        Urc::Registration { domain, registration } => {
            let mut text = format!("{} stat {}", domain.prefix(), registration.status.0);
            if let Some(area) = registration.area {
                let _ = write!(text, " area {area:04X}");
            }
            if let Some(cell) = registration.cell {
                let _ = write!(text, " cell {cell:08X}");
            }
            if let Some(access) = registration.access {
                let _ = write!(text, " act {}", access.0);
            }
            text
        }
        Urc::Vendor(line) => format!("vendor {line}"),
        Urc::Unknown(line) => format!("unknown {line}"),
        other => format!("{other:?}"),
    }
}

fn parse_fixture(text: &str) -> Result<(Config, Vec<Step>), String> {
    let mut config = Config::default();
    let mut steps = Vec::new();
    for (line_idx, raw) in text.lines().enumerate() {
        let line_no = line_idx + 1;
        let here = |message: String| format!("{line_no}: {message}");
        let mut line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut at = None;
        let (stamp, rest) = line.split_once(' ').unwrap_or((line, ""));
        if let Some(time) = parse_clock(stamp) {
            at = Some(time);
            line = rest.trim();
        }
        if line.starts_with("##") {
            // The capture's own annotation; its time stamp still counts.
            if at.is_some() {
                steps.push(Step {
                    line_no,
                    at,
                    action: Action::Tick,
                });
            }
            continue;
        }
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        let action = match keyword {
            "config" => {
                if !steps.is_empty() {
                    return Err(here("config after the first step".to_owned()));
                }
                for setting in rest.split_whitespace() {
                    apply_setting(&mut config, setting).map_err(here)?;
                }
                continue;
            }
            "submit" => {
                let (options, text) = match rest.split_once(" | ") {
                    Some((options, text)) => (options, text),
                    None => ("", rest),
                };
                let mut command = Command::new(text).map_err(|error| here(error.to_string()))?;
                for option in options.split_whitespace() {
                    let (key, value) = option
                        .split_once('=')
                        .ok_or_else(|| here(format!("option {option:?}")))?;
                    let duration = parse_duration(value).map_err(here)?;
                    command = match key {
                        "timeout" => command.timeout(duration),
                        "prompt_timeout" => command.prompt_timeout(duration),
                        "data_timeout" => command.data_timeout(duration),
                        _ => return Err(here(format!("unknown option {key:?}"))),
                    };
                }
                Action::Submit(command)
            }
            "submit-pdu" => {
                let pdu = sms_pdu::decode_hex(rest).map_err(|error| here(error.to_string()))?;
                Action::Submit(Command::send_pdu(&pdu).map_err(|error| here(error.to_string()))?)
            }
            "->" if rest == "nothing" => Action::Transmit(None),
            "->" => Action::Transmit(Some(parse_literal(rest).map_err(here)?)),
            "<-" => Action::Receive(parse_literal(rest).map_err(here)?),
            "==" => Action::Expect(rest.to_owned()),
            "deadline" if rest == "none" => Action::Deadline(None),
            "deadline" => Action::Deadline(Some(
                parse_clock(rest).ok_or_else(|| here(format!("bad time {rest:?}")))?,
            )),
            "reset" => Action::Reset,
            "" if at.is_some() => Action::Tick,
            _ => return Err(here(format!("unknown step {line:?}"))),
        };
        steps.push(Step { line_no, at, action });
    }
    Ok((config, steps))
}

fn apply_setting(config: &mut Config, setting: &str) -> Result<(), String> {
    let (key, value) = setting
        .split_once('=')
        .ok_or_else(|| format!("setting {setting:?} is not KEY=VALUE"))?;
    match key {
        "command_timeout" => config.command_timeout = parse_duration(value)?,
        "prompt_timeout" => config.prompt_timeout = parse_duration(value)?,
        "data_timeout" => config.data_timeout = parse_duration(value)?,
        "settle_time" => config.settle_time = parse_duration(value)?,
        "hung_after" => config.hung_after = value.parse().map_err(|_| format!("bad number {value:?}"))?,
        "max_line" => config.max_line = value.parse().map_err(|_| format!("bad number {value:?}"))?,
        _ => return Err(format!("unknown setting {key:?}")),
    }
    Ok(())
}

/// `HH:MM:SS.mmm`, as milliseconds since midnight.
fn parse_clock(text: &str) -> Option<Time> {
    let (hms, millis) = text.split_once('.')?;
    let mut parts = hms.split(':');
    let (hours, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || millis.len() != 3 {
        return None;
    }
    let number = |part: &str| part.parse::<u64>().ok();
    let total = ((number(hours)? * 60 + number(minutes)?) * 60 + number(seconds)?) * 1000 + number(millis)?;
    Some(Time::from_millis(total))
}

/// `500ms`, `2s`, `0`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration {text:?}");
    if let Some(millis) = text.strip_suffix("ms") {
        return millis.parse().map(Duration::from_millis).map_err(|_| bad());
    }
    if let Some(seconds) = text.strip_suffix('s') {
        return seconds.parse().map(Duration::from_secs).map_err(|_| bad());
    }
    text.parse().map(Duration::from_millis).map_err(|_| bad())
}

/// A Python-style string literal (`'...'` or `"..."`, escapes `\r \n \t
/// \\ \' \" \xNN`), optionally followed by `+ CTRL-Z`, then an optional
/// `# comment`.
fn parse_literal(text: &str) -> Result<Vec<u8>, String> {
    let mut chars = text.chars();
    let quote = chars
        .next()
        .filter(|&ch| ch == '\'' || ch == '"')
        .ok_or("expected a quoted literal")?;
    let mut bytes = Vec::new();
    loop {
        let ch = chars.next().ok_or("unterminated literal")?;
        match ch {
            ch if ch == quote => break,
            '\\' => match chars.next().ok_or("unterminated escape")? {
                'r' => bytes.push(b'\r'),
                'n' => bytes.push(b'\n'),
                't' => bytes.push(b'\t'),
                '\\' => bytes.push(b'\\'),
                '\'' => bytes.push(b'\''),
                '"' => bytes.push(b'"'),
                'x' => {
                    let digits: String = chars.by_ref().take(2).collect();
                    let byte =
                        u8::from_str_radix(&digits, 16).map_err(|_| format!("bad escape \\x{digits}"))?;
                    bytes.push(byte);
                }
                other => return Err(format!("unknown escape \\{other}")),
            },
            ch => {
                let mut buffer = [0; 4];
                bytes.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
    let mut rest = chars.as_str().trim();
    if let Some(after) = rest.strip_prefix("+ CTRL-Z") {
        bytes.push(0x1A);
        rest = after.trim();
    }
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err(format!("unexpected {rest:?} after the literal"));
    }
    Ok(bytes)
}
