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
/// gets the answer `answer` gives (echo off). Stops when dropped.
struct ScriptedModem {
    slave_path: std::path::PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    // Held so that the PTY lives while nobody else has the slave open.
    _slave: OwnedFd,
}

impl ScriptedModem {
    fn start(answer: fn(&str) -> String) -> ScriptedModem {
        let pair = nix::pty::openpty(None, None).unwrap();
        let slave_path = nix::unistd::ttyname(&pair.slave).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            let master = pair.master;
            std::thread::spawn(move || serve(&master, &stop, answer))
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

fn serve(master: &OwnedFd, stop: &AtomicBool, answer: fn(&str) -> String) {
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
        while let Some(end) = pending.iter().position(|&byte| byte == b'\r') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            // The ESC the driver sends before its first AT.
            let Some(start) = text.find("AT") else { continue };
            let command = text[start..].trim_end();
            let _ = nix::unistd::write(master, answer(command).as_bytes());
        }
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
