//! The ways a modem lets its user down, and what the driver then says:
//! silence, a network error on send, echo left on, a SIM PIN (right,
//! wrong, blocked), the port vanishing mid-send, and the port in use.

use std::time::{Duration, Instant};

use modem::{Config, ModemError, ModemEvent, ModemHandle, Setup};
use modem_sim::sim::SimConfig;
use modem_sim::{Fault, ModemConfig, SimState};
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use sms_pdu::Address;

use crate::support::{eventually, next_event, Bench};

fn message_to(number: &str) -> OutgoingMessage {
    OutgoingMessage::to(Address::parse_phone(number).unwrap())
}

#[tokio::test]
async fn a_silent_modem_fails_the_handshake_quickly_and_clearly() {
    let bench = Bench::start(1).await;
    bench.sim.fault(0, Fault::Silence).await.unwrap();
    let mut config = bench.config(0);
    config.timeouts.handshake = Duration::from_millis(200);
    let started = Instant::now();
    let err = ModemHandle::open(config).await.unwrap_err();
    // A probe of each form, 0.2 s each, not a wait without end.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no usable answer to the handshake (ESC AT: no answer; AT: no answer): is a \
             modem on this port, at this speed?",
            bench.path(0).display()
        )
    );
    // Nothing holds the port any more: the lock file is gone.
    assert_eq!(std::fs::read_dir(&bench.lock_dir).unwrap().count(), 0);
}

#[tokio::test]
async fn a_network_error_on_send_carries_code_and_meaning() {
    let bench = Bench::start(2).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    bench
        .sim
        .fault(0, Fault::CmsError { code: 38, count: 1 })
        .await
        .unwrap();
    let err = modem
        .send_sms(&message_to(&bench.number(1)), "hi", &SplitOptions::default())
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("+CMS ERROR: 38 (network out of order)"),
        "{message}"
    );
    let Some(at::FinalResult::CmsError(code)) = err.final_result() else {
        panic!("{err:?}");
    };
    assert_eq!(code.code(), Some(38));
    // The next send goes through: the fault was for one send only.
    let references = modem
        .send_sms(&message_to(&bench.number(1)), "hi", &SplitOptions::default())
        .await
        .unwrap();
    assert_eq!(references.len(), 1);
    modem.shutdown().await;
}

#[tokio::test]
async fn everything_works_with_echo_left_on() {
    let bench = Bench::start(2).await;
    let mut config = bench.config(0);
    config.echo_off = false;
    let modem = ModemHandle::open(config).await.unwrap();
    // The modem really echoes: a raw command shows it only through the
    // engine dropping it.
    let reply = modem.at_chat("AT+CSQ", None).await.unwrap();
    assert_eq!(reply.lines, ["+CSQ: 21,99"]);
    let status = modem.status().await.unwrap();
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    let long = "echo ".repeat(50);
    let references = modem
        .send_sms(&message_to(&bench.number(0)), &long, &SplitOptions::default())
        .await
        .unwrap();
    assert_eq!(references.len(), 2);
    let inbox = eventually("the message comes back", || async {
        let inbox = modem.list_messages(None).await.unwrap();
        (inbox.iter().map(|message| message.indexes.len()).sum::<usize>() == 2).then_some(inbox)
    })
    .await;
    assert_eq!(inbox[0].content, modem::Content::Text(long));
    bench.sim.set_ussd(0, "*100#", "ok").await.unwrap();
    assert_eq!(modem.ussd("*100#").await.unwrap().text.as_deref(), Some("ok"));
    // Echo switched back on in the middle of a session.
    let opened = ModemHandle::open(bench.config(1)).await.unwrap();
    opened.at_chat("ATE1", None).await.unwrap();
    assert_eq!(
        opened.at_chat("AT+CSQ", None).await.unwrap().lines,
        ["+CSQ: 21,99"]
    );
    assert!(opened.status().await.unwrap().problems.is_empty());
    modem.shutdown().await;
    opened.shutdown().await;
}

async fn bench_with_pin() -> Bench {
    Bench::start_with(1, |sim: &mut SimConfig| {
        sim.modems[0] = ModemConfig {
            pin: Some("4321".to_owned()),
            ..ModemConfig::numbered(0)
        };
    })
    .await
}

fn with_pin(mut config: Config, pin: &str) -> Config {
    config.sim_pin = Some(pin.to_owned());
    config
}

#[tokio::test]
async fn the_right_pin_unlocks_the_sim() {
    let bench = bench_with_pin().await;
    let modem = ModemHandle::open(with_pin(bench.config(0), "4321"))
        .await
        .unwrap();
    assert_eq!(bench.sim.modem(0).await.unwrap().sim, SimState::Ready);
    assert!(modem.status().await.unwrap().identity.imsi.is_some());
    modem.shutdown().await;
}

#[tokio::test]
async fn a_wrong_pin_is_entered_once_only() {
    let bench = bench_with_pin().await;
    let err = ModemHandle::open(with_pin(bench.config(0), "1111"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModemError::WrongPin { .. }), "{err:?}");
    assert!(
        message.contains("the SIM rejected the configured sim-pin (+CME ERROR: 16 (incorrect password))"),
        "{message}"
    );
    assert!(message.contains("will not be retried"), "{message}");
    // Exactly one try went: two of three are left.
    assert_eq!(
        bench.sim.modem(0).await.unwrap().sim,
        SimState::PinRequired { tries_left: 2 }
    );
    let err = ModemHandle::open(bench.config(0)).await.unwrap_err();
    assert!(matches!(err, ModemError::PinRequired { .. }), "{err:?}");
}

#[tokio::test]
async fn no_pin_is_entered_when_the_sim_wants_its_puk() {
    let bench = bench_with_pin().await;
    let mut raw = bench.config(0);
    raw.setup = Setup::Minimal;
    let modem = ModemHandle::open(raw).await.unwrap();
    for _ in 0..3 {
        modem.at_chat("AT+CPIN=\"0000\"", None).await.unwrap();
    }
    modem.shutdown().await;
    assert_eq!(
        bench.sim.modem(0).await.unwrap().sim,
        SimState::PukRequired { tries_left: 10 }
    );
    let err = ModemHandle::open(with_pin(bench.config(0), "4321"))
        .await
        .unwrap_err();
    assert!(matches!(err, ModemError::PukRequired { .. }), "{err:?}");
    assert!(err.to_string().contains("asks for its PUK"), "{err}");
    assert_eq!(
        bench.sim.modem(0).await.unwrap().sim,
        SimState::PukRequired { tries_left: 10 }
    );
}

#[tokio::test]
async fn an_unplug_mid_send_leaves_the_outcome_unknown_and_the_port_comes_back() {
    let bench = Bench::start(2).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let mut events = modem.subscribe();
    // Every answer comes late, so there is time to pull the plug after the
    // PDU went in and before the modem says how it went.
    bench.sim.fault(0, Fault::Delay { ms: 400 }).await.unwrap();
    let sending = {
        let modem = modem.clone();
        let message = message_to(&bench.number(1));
        tokio::spawn(async move {
            modem
                .send_sms(&message, "into the void", &SplitOptions::default())
                .await
        })
    };
    eventually("the PDU reaches the network", || async {
        (!bench.sim.submitted(0).await.unwrap().is_empty()).then_some(())
    })
    .await;
    bench.sim.fault(0, Fault::Unplug).await.unwrap();
    // The delay would outlive the re-plug (it is the line's, not the
    // modem's) and slow the set-up down.
    bench.sim.fault(0, Fault::Clear).await.unwrap();
    let err = sending.await.unwrap().unwrap_err();
    assert!(matches!(err, ModemError::SendOutcomeUnknown { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("its outcome is unknown"), "{message}");
    assert!(message.contains("not retried"), "{message}");
    next_event(&mut events, |event| {
        matches!(event, ModemEvent::Disconnected { .. }).then_some(())
    })
    .await;
    next_event(&mut events, |event| {
        matches!(event, ModemEvent::Reconnected).then_some(())
    })
    .await;
    // Reopened and set up again; the message was not sent twice.
    assert_eq!(
        modem.at_chat("AT", None).await.unwrap().result,
        at::FinalResult::Ok
    );
    assert_eq!(bench.sim.submitted(0).await.unwrap().len(), 1);
    modem.shutdown().await;
}

#[tokio::test]
async fn an_idle_port_that_vanishes_is_reopened_and_requests_meanwhile_are_refused() {
    let bench = Bench::start(1).await;
    let mut config = bench.config(0);
    // Long enough to ask while it is down.
    config.timeouts.reopen_initial = Duration::from_millis(300);
    config.timeouts.reopen_max = Duration::from_millis(300);
    let modem = ModemHandle::open(config).await.unwrap();
    let mut events = modem.subscribe();
    bench.sim.fault(0, Fault::Unplug).await.unwrap();
    let cause = next_event(&mut events, |event| match event {
        ModemEvent::Disconnected { cause } => Some(cause.clone()),
        _ => None,
    })
    .await;
    assert!(!cause.is_empty());
    let err = modem.at_chat("AT", None).await.unwrap_err();
    assert!(matches!(err, ModemError::Disconnected { .. }), "{err:?}");
    assert!(err.to_string().contains("is not connected (reopening"), "{err}");
    next_event(&mut events, |event| {
        matches!(event, ModemEvent::Reconnected).then_some(())
    })
    .await;
    assert_eq!(
        modem.at_chat("AT+CSQ", None).await.unwrap().lines,
        ["+CSQ: 21,99"]
    );
    modem.shutdown().await;
}

#[tokio::test]
async fn a_second_opener_is_told_who_holds_the_port() {
    let bench = Bench::start(1).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let err = ModemHandle::open(bench.config(0)).await.unwrap_err();
    assert!(matches!(err, ModemError::InUse { .. }), "{err:?}");
    let message = err.to_string();
    let expected = format!(
        "{} is in use by PID {} (",
        bench.path(0).display(),
        std::process::id()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(message.contains("(lock file "), "{message}");
    // Without a lock file the device lock still keeps it out.
    let mut no_lock_file = bench.config(0);
    no_lock_file.lock_dir = None;
    let err = ModemHandle::open(no_lock_file).await.unwrap_err();
    assert!(matches!(err, ModemError::InUse { .. }), "{err:?}");
    // Once the holder is gone the port is free again.
    modem.shutdown().await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    modem.shutdown().await;
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_slow_reopen() {
    let bench = Bench::start(1).await;
    let mut config = bench.config(0);
    config.timeouts.reopen_initial = Duration::from_millis(10);
    let modem = ModemHandle::open(config).await.unwrap();
    let mut events = modem.subscribe();
    // Every answer 300 ms late after the re-plug: a set-up of a dozen
    // commands would take seconds.
    bench.sim.fault(0, Fault::Delay { ms: 300 }).await.unwrap();
    bench.sim.fault(0, Fault::Unplug).await.unwrap();
    next_event(&mut events, |event| {
        matches!(event, ModemEvent::Disconnected { .. }).then_some(())
    })
    .await;
    // Let the reopen get into the set-up.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let started = Instant::now();
    modem.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    // The port and its lock file are released.
    assert_eq!(std::fs::read_dir(&bench.lock_dir).unwrap().count(), 0);
}
