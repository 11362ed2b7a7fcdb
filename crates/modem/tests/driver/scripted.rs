//! What the simulator never does, by design: unsolicited codes inside a
//! response. Real modems do (a `+CMTI` between two `+CMGL` entries, even
//! between an entry's header and its PDU), so a scripted peer on a
//! pseudo-terminal of its own plays one, and the driver must list every
//! message and still pass the codes on.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use modem::{Config, Content, ModemEvent, ModemHandle, PortAddress};
use modem_sim::{InjectedText, TextEncoding};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use sms_pdu::Timestamp;

use crate::support::{fast_timeouts, init_logging, next_event};

/// A modem played by a script on a pseudo-terminal: each command line
/// gets the answer `answer` gives (echo off), and so does an ESC, as
/// `"\u{1b}"`; a NUL in an answer is a pause of [`PAUSE`] (the rest comes
/// in a read of its own). Stops when dropped.
pub(crate) struct ScriptedModem {
    pub(crate) slave_path: std::path::PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    // Held so that the PTY lives while nobody else has the slave open.
    _slave: OwnedFd,
}

impl ScriptedModem {
    pub(crate) fn start(answer: impl FnMut(&str) -> String + Send + 'static) -> ScriptedModem {
        ScriptedModem::start_with_waiting("", answer)
    }

    /// [`ScriptedModem::start`], except that an ESC is no line of its
    /// own: it stays in the line buffer, as in a modem in command mode,
    /// and `answer` gets the whole line up to the CR (`"\u{1b}AT"`), or
    /// a PDU with its Ctrl-Z (`"0011...\u{1a}"`).
    pub(crate) fn start_raw(answer: impl FnMut(&str) -> String + Send + 'static) -> ScriptedModem {
        ScriptedModem::spawn("", Framing::Raw, answer)
    }

    /// [`ScriptedModem::start`], with `waiting` sent before the driver
    /// opens the port: it waits in the line's buffer.
    fn start_with_waiting(
        waiting: &str,
        answer: impl FnMut(&str) -> String + Send + 'static,
    ) -> ScriptedModem {
        ScriptedModem::spawn(waiting, Framing::EscapeApart, answer)
    }

    fn spawn(
        waiting: &str,
        framing: Framing,
        answer: impl FnMut(&str) -> String + Send + 'static,
    ) -> ScriptedModem {
        let pair = nix::pty::openpty(None, None).unwrap();
        if !waiting.is_empty() {
            nix::unistd::write(&pair.master, waiting.as_bytes()).unwrap();
        }
        let slave_path = nix::unistd::ttyname(&pair.slave).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            let master = pair.master;
            std::thread::spawn(move || serve(&master, &stop, framing, answer))
        };
        ScriptedModem {
            slave_path,
            stop,
            thread: Some(thread),
            _slave: pair.slave,
        }
    }
}

impl Drop for ScriptedModem {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How the scripted modem cuts what it reads into lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// An ESC is answered on its own; a line starts at its `AT`.
    EscapeApart,
    /// Everything up to a CR is one line, ESC included.
    Raw,
}

fn serve(master: &OwnedFd, stop: &AtomicBool, framing: Framing, mut answer: impl FnMut(&str) -> String) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(50u16)).unwrap_or(0) == 0 {
            continue;
        }
        let Ok(n_read) = nix::unistd::read(master, &mut buf) else {
            // EIO while no one has the slave open; wait for the next.
            std::thread::sleep(std::time::Duration::from_millis(10));
            continue;
        };
        pending.extend_from_slice(&buf[..n_read]);
        while let Some(at) = pending.iter().position(|&byte| byte == 0x1B) {
            if framing == Framing::Raw {
                break;
            }
            pending.remove(at);
            write_answer(master, &answer("\u{1b}"));
        }
        if framing == Framing::Raw {
            // A line ends at CR, a PDU at Ctrl-Z (kept, so that the
            // script tells it from a command).
            while let Some(end) = pending.iter().position(|&byte| byte == b'\r' || byte == 0x1A) {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                let line = text.trim_matches(['\r', '\n']);
                if !line.is_empty() {
                    write_answer(master, &answer(line));
                }
            }
            continue;
        }
        while let Some(end) = pending.iter().position(|&byte| byte == b'\r') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            let Some(start) = text.find("AT") else { continue };
            let command = text[start..].trim_end();
            write_answer(master, &answer(command));
        }
    }
}

/// How long a NUL in a scripted answer pauses it.
const PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

fn write_answer(master: &OwnedFd, answer: &str) {
    for (chunk_idx, chunk) in answer.split('\0').enumerate() {
        if chunk_idx > 0 {
            std::thread::sleep(PAUSE);
        }
        let _ = nix::unistd::write(master, chunk.as_bytes());
    }
}

/// The parts of a message from `from`, each with its `+CMGL` length.
fn deliver(from: &str, text: &str, reference: u8) -> Vec<(usize, String)> {
    let injected = InjectedText {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding: TextEncoding::Gsm7,
        class0: false,
        reference,
    };
    let scts = Timestamp {
        year: 26,
        month: 11,
        day: 21,
        hour: 19,
        minute: 29,
        second: 19,
        tz_quarters: 8,
    };
    injected
        .deliver_pdus("+15555550000", scts)
        .unwrap()
        .into_iter()
        .map(|pdu| (pdu.len() - 1 - usize::from(pdu[0]), sms_pdu::encode_hex(&pdu)))
        .collect()
}

fn long_text() -> String {
    "part of a long message ".repeat(9)
}

fn modem_with_interrupted_listing(command: &str) -> String {
    let answer = match command {
        "AT+CPIN?" => "+CPIN: READY".to_owned(),
        "AT+CREG?" => "+CREG: 0,1".to_owned(),
        "\u{1b}" => return String::new(),
        command if command.starts_with("AT+CPMS=") => "+CPMS: 3,20,3,20,3,20".to_owned(),
        "AT+CMGL=4" => {
            let long = deliver("+37120000000", &long_text(), 7);
            let short = deliver("+37120000001", "short", 8);
            // A +CMTI between two entries, and a +CDSI between the header
            // of an entry and its PDU.
            format!(
                "+CMGL: 1,1,,{}\r\n{}\r\n+CMTI: \"SM\",4\r\n+CMGL: 2,1,,{}\r\n+CDSI: \"SM\",5\r\n{}\r\n\
                 +CMGL: 3,0,,{}\r\n{}",
                long[0].0, long[0].1, long[1].0, long[1].1, short[0].0, short[0].1
            )
        }
        _ => return "\r\nOK\r\n".to_owned(),
    };
    format!("\r\n{answer}\r\n\r\nOK\r\n")
}

#[tokio::test]
async fn unsolicited_codes_inside_a_listing_do_not_break_it() {
    init_logging();
    let peer = ScriptedModem::start(modem_with_interrupted_listing);
    let mut config = Config::new(PortAddress::Serial(peer.slave_path.clone()));
    config.timeouts = fast_timeouts();
    let modem = ModemHandle::open(config).await.unwrap();
    let mut events = modem.subscribe();
    let inbox = modem.list_messages(None).await.unwrap();
    assert_eq!(inbox.len(), 2, "{inbox:#?}");
    assert_eq!(inbox[0].indexes, [1, 2]);
    assert_eq!(inbox[0].content, Content::Text(long_text()));
    assert_eq!(
        inbox[0].timestamp.unwrap().to_string(),
        "2026-11-21T19:29:19+02:00"
    );
    assert_eq!(inbox[1].indexes, [3]);
    assert_eq!(inbox[1].content, Content::Text("short".to_owned()));
    // The codes were passed on, not lost and not taken for answer lines.
    next_event(&mut events, |event| match event {
        ModemEvent::Urc(at::Urc::MessageStored { index: 4, .. }) => Some(()),
        _ => None,
    })
    .await;
    next_event(&mut events, |event| match event {
        ModemEvent::Urc(at::Urc::StatusReportStored { index: 5, .. }) => Some(()),
        _ => None,
    })
    .await;
    modem.shutdown().await;
}

/// The late answer to an `AT+CMGS` of a daemon killed mid-exchange.
const LATE_CMGS_ANSWER: &str = "\r\n+CMGS: 7\r\n\r\nOK\r\n";

/// A modem that is set up, registered and has nothing stored.
pub(crate) fn plain_modem(command: &str) -> String {
    let answer = match command {
        "AT+CPIN?" => "+CPIN: READY",
        "AT+CREG?" => "+CREG: 0,1",
        "AT+CSQ" => "+CSQ: 20,99",
        command if command.starts_with("AT+CPMS") => "+CPMS: 0,20,0,20,0,20",
        _ => return "\r\nOK\r\n".to_owned(),
    };
    format!("\r\n{answer}\r\n\r\nOK\r\n")
}

async fn open_and_ask_status(peer: &ScriptedModem) {
    let mut config = Config::new(PortAddress::Serial(peer.slave_path.clone()));
    config.timeouts = fast_timeouts();
    // Well above the peer's pauses, even on a loaded machine.
    config.timeouts.stale_quiet = std::time::Duration::from_millis(100);
    let modem = ModemHandle::open(config)
        .await
        .expect("the late answer spoilt the set-up");
    let status = modem.status().await.unwrap();
    // Each answer went to its own command.
    assert!(status.registration.is_some(), "{status:#?}");
    assert_eq!(status.signal.map(|signal| signal.rssi), Some(20), "{status:#?}");
    modem.shutdown().await;
}

#[tokio::test]
async fn a_late_answer_waiting_on_the_line_is_thrown_away() {
    init_logging();
    // On the line before the port is opened; each answer comes a moment
    // after its command, in a read of its own, as from a real modem.
    let peer = ScriptedModem::start_with_waiting(LATE_CMGS_ANSWER, |command| match command {
        "\u{1b}" => String::new(),
        command => format!("\0{}", plain_modem(command)),
    });
    open_and_ask_status(&peer).await;
}

#[tokio::test]
async fn a_late_answer_mixed_into_the_handshake_does_not_shift_the_answers() {
    init_logging();
    // The late answer comes only once the first AT is sent (after the
    // driver's wait for quiet), and that AT's own OK a moment after it:
    // the handshake must not take the first OK for its own.
    let mut first = true;
    let peer = ScriptedModem::start(move |command| match command {
        "\u{1b}" => String::new(),
        "AT" if std::mem::take(&mut first) => format!("{LATE_CMGS_ANSWER}\0\r\nOK\r\n"),
        command => plain_modem(command),
    });
    open_and_ask_status(&peer).await;
}

#[tokio::test]
async fn new_message_indications_during_the_handshake_are_no_late_answer() {
    init_logging();
    // Messages arriving while the driver sets up: a `+CMTI` right after
    // every OK to AT, in the driver's wait for quiet. Taken for a late
    // answer, it would fail every try of the handshake.
    let peer = ScriptedModem::start(move |command| match command {
        "\u{1b}" => String::new(),
        "AT" => "\r\nOK\r\n\0\r\n+CMTI: \"SM\",3\r\n".to_owned(),
        command => plain_modem(command),
    });
    open_and_ask_status(&peer).await;
}
