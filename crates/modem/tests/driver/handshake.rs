//! The handshake against modems that do not take ESC: some modems and
//! serial bridges answer a line that starts with ESC (`<ESC>AT`, as the
//! ESC before the first `AT` leaves it in the line buffer) with `ERROR`,
//! or not at all. smstools3 opens them with a plain `AT`; so must we.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use modem::{Config, ModemError, ModemHandle, PortAddress};

use crate::scripted::{plain_modem, ScriptedModem};
use crate::support::{fast_timeouts, init_logging};

/// A scripted modem (ESC kept in its line) that answers a line starting
/// with ESC with `to_escape`, anything else as a set-up modem; and the
/// lines it got.
fn modem_answering_escape_with(to_escape: &'static str) -> (ScriptedModem, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let peer = {
        let lines = lines.clone();
        ScriptedModem::start_raw(move |line| {
            lines.lock().unwrap().push(line.to_owned());
            if line.starts_with('\u{1b}') {
                to_escape.to_owned()
            } else {
                plain_modem(line)
            }
        })
    };
    (peer, lines)
}

fn config(peer: &ScriptedModem) -> Config {
    let mut config = Config::new(PortAddress::Serial(peer.slave_path.clone()));
    config.timeouts = fast_timeouts();
    // The probe that gets no answer costs this much.
    config.timeouts.handshake = Duration::from_millis(300);
    config
}

async fn opens_and_answers(peer: &ScriptedModem) {
    let modem = ModemHandle::open(config(peer))
        .await
        .expect("the modem was not opened");
    let status = modem.status().await.unwrap();
    assert_eq!(status.signal.map(|signal| signal.rssi), Some(20), "{status:#?}");
    modem.shutdown().await;
}

#[tokio::test]
async fn a_modem_that_ignores_lines_starting_with_escape_is_opened_with_a_plain_at() {
    init_logging();
    let (peer, lines) = modem_answering_escape_with("");
    opens_and_answers(&peer).await;
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines[..2], ["\u{1b}AT", "AT"], "{lines:?}");
}

#[tokio::test]
async fn a_modem_that_refuses_lines_starting_with_escape_is_opened_with_a_plain_at() {
    init_logging();
    let (peer, lines) = modem_answering_escape_with("\r\nERROR\r\n");
    opens_and_answers(&peer).await;
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines[..2], ["\u{1b}AT", "AT"], "{lines:?}");
}

#[tokio::test]
async fn a_silent_modem_fails_the_handshake_after_one_probe_of_each_form() {
    init_logging();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let peer = {
        let lines = lines.clone();
        ScriptedModem::start_raw(move |line| {
            lines.lock().unwrap().push(line.to_owned());
            String::new()
        })
    };
    let err = ModemHandle::open(config(&peer)).await.unwrap_err();
    assert!(matches!(err, ModemError::Handshake { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("no usable answer to the handshake (ESC AT: no answer; AT: no answer)"),
        "{message}"
    );
    // One probe of each form, then the error: no loop on one form.
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines, ["\u{1b}AT", "AT"]);
}
