//! USSD sessions against a scripted peer: what the simulator always
//! does (answer) is left out here, to see what the driver does when the
//! network never answers.

use std::sync::{Arc, Mutex};

use modem::{Config, ModemError, ModemHandle, PortAddress};

use crate::scripted::ScriptedModem;
use crate::support::{fast_timeouts, init_logging};

/// Issue 10, item 13: a USSD request whose answer never comes leaves the
/// session open unless the driver ends it with `AT+CUSD=2`.
#[tokio::test]
async fn a_ussd_that_times_out_ends_its_session() {
    init_logging();
    let commands = Arc::new(Mutex::new(Vec::new()));
    let seen = commands.clone();
    let peer = ScriptedModem::start(move |command| {
        seen.lock().unwrap().push(command.to_owned());
        let answer = match command {
            "\u{1b}" => return String::new(),
            "AT+CPIN?" => "+CPIN: READY",
            "AT+CREG?" => "+CREG: 0,1",
            command if command.starts_with("AT+CPMS") => "+CPMS: 0,20,0,20,0,20",
            // OK, and the network's answer never follows.
            _ => return "\r\nOK\r\n".to_owned(),
        };
        format!("\r\n{answer}\r\n\r\nOK\r\n")
    });
    let mut config = Config::new(PortAddress::Serial(peer.slave_path.clone()));
    config.timeouts = fast_timeouts();
    config.timeouts.ussd = std::time::Duration::from_millis(300);
    let modem = ModemHandle::open(config).await.unwrap();
    let err = modem.ussd("*100#").await.unwrap_err();
    assert!(matches!(err, ModemError::UssdTimeout { .. }), "{err}");
    // The driver is usable again at once.
    modem.at_chat("AT", None).await.unwrap();
    modem.shutdown().await;
    let commands = commands.lock().unwrap().clone();
    let request = commands
        .iter()
        .position(|command| command == "AT+CUSD=1,\"*100#\",15")
        .expect("the request");
    assert_eq!(
        commands.get(request + 1).map(String::as_str),
        Some("AT+CUSD=2"),
        "{commands:?}"
    );
}
