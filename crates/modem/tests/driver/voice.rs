//! Voice calls (`Voicecall: yes`): against the simulator, which logs the
//! number, the tones it received and the hang-up; and against a scripted
//! modem that says `OK` to the dial at once, for the exact command
//! sequence while the call rings, is answered, and `AT+CHUP` fails.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use modem::{Config, ModemHandle, PortAddress, VoiceCall};
use modem_sim::{CallRecord, Fault};

use crate::scripted::{plain_modem, ScriptedModem};
use crate::support::{fast_timeouts, init_logging, Bench};

fn call(number: String, tones: &str, repeat: u8) -> VoiceCall {
    VoiceCall {
        number,
        tones: tones.to_owned(),
        repeat,
        answer_timeout: Duration::from_secs(5),
        round_pause: Duration::from_millis(10),
    }
}

#[tokio::test]
async fn answered_call_plays_the_tones_each_round_and_hangs_up() {
    let bench = Bench::start(2).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let report = modem.voice_call(call(bench.number(1), "12#", 2)).await.unwrap();
    assert!(report.placed && report.answered, "{report:?}");
    assert_eq!(report.rounds_played, 2);
    assert_eq!(report.problem, None);
    assert_eq!(report.hang_up_problem, None);
    assert_eq!(
        bench.sim.calls(0).await.unwrap(),
        [CallRecord {
            number: bench.number(1),
            result: "OK",
            answered: true,
            tones: "12#12#".to_owned(),
            hung_up: true,
        }]
    );
    modem.shutdown().await;
}

#[tokio::test]
async fn busy_callee_is_reported_not_answered() {
    let bench = Bench::start(1).await;
    bench.sim.fault(0, Fault::CallBusy).await.unwrap();
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let report = modem
        .voice_call(call("+37120000000".to_owned(), "1", 3))
        .await
        .unwrap();
    assert!(report.placed && !report.answered);
    assert_eq!(report.problem.as_deref(), Some("ATD+37120000000;: BUSY"));
    assert_eq!(report.hang_up_problem, None);
    let calls = bench.sim.calls(0).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].result, "BUSY");
    assert_eq!(calls[0].tones, "");
    modem.shutdown().await;
}

/// The dial is answered `OK` at once and the call rings on: the driver
/// gives up at the time limit and hangs up, playing nothing.
#[tokio::test]
async fn unanswered_call_is_hung_up_at_the_time_limit() {
    let bench = Bench::start(1).await;
    bench.sim.fault(0, Fault::CallUnanswered).await.unwrap();
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let mut unanswered = call("+37120000000".to_owned(), "1", 3);
    unanswered.answer_timeout = Duration::from_millis(1500);
    let report = modem.voice_call(unanswered).await.unwrap();
    assert!(report.placed && !report.answered);
    assert_eq!(report.problem.as_deref(), Some("no answer within 1.5 s"));
    let calls = bench.sim.calls(0).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert!(!calls[0].answered);
    assert_eq!(calls[0].tones, "");
    assert!(calls[0].hung_up, "{calls:?}");
    modem.shutdown().await;
}

#[tokio::test]
async fn no_network_is_not_answered_either() {
    let bench = Bench::start(1).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    bench.sim.fault(0, Fault::NoNetwork).await.unwrap();
    let report = modem
        .voice_call(call("+37120000000".to_owned(), "1", 1))
        .await
        .unwrap();
    assert!(!report.answered);
    assert_eq!(report.problem.as_deref(), Some("ATD+37120000000;: NO CARRIER"));
    assert!(bench.sim.calls(0).await.unwrap().is_empty());
    modem.shutdown().await;
}

#[tokio::test]
async fn bad_tones_are_refused_before_dialling() {
    let bench = Bench::start(1).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let err = modem
        .voice_call(call("+37120000000".to_owned(), "1;H", 1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("DTMF tones"), "{err}");
    assert!(bench.sim.calls(0).await.unwrap().is_empty());
    modem.shutdown().await;
}

/// A modem that answers the dial at once, lists the call alerting once
/// and then active, and refuses `AT+CHUP`: the driver polls, plays, and
/// hangs up with `ATH`.
#[tokio::test]
async fn exact_sequence_with_a_modem_that_answers_the_dial_at_once() {
    init_logging();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let peer = {
        let seen = seen.clone();
        let mut polls = 0;
        ScriptedModem::start(move |command| {
            seen.lock().unwrap().push(command.to_owned());
            match command {
                "AT+CLCC" => {
                    polls += 1;
                    let stat = if polls == 1 { 3 } else { 0 };
                    format!("\r\n+CLCC: 1,0,{stat},0,0,\"+37120000000\",145\r\n\r\nOK\r\n")
                }
                "AT+CHUP" => "\r\nERROR\r\n".to_owned(),
                command => plain_modem(command),
            }
        })
    };
    let mut config = Config::new(PortAddress::Serial(peer.slave_path.clone()));
    config.timeouts = fast_timeouts();
    let modem = ModemHandle::open(config).await.unwrap();
    let report = modem
        .voice_call(call("+37120000000".to_owned(), "12#", 2))
        .await
        .unwrap();
    assert!(report.answered && report.problem.is_none(), "{report:?}");
    assert_eq!(report.hang_up_problem, None);
    let seen = seen.lock().unwrap().clone();
    let dial = seen.iter().position(|line| line.starts_with("ATD")).unwrap();
    assert_eq!(
        seen[dial..],
        [
            "ATD+37120000000;",
            "AT+CLCC",
            "AT+CLCC",
            "AT+VTS=1",
            "AT+VTS=2",
            "AT+VTS=#",
            "AT+VTS=1",
            "AT+VTS=2",
            "AT+VTS=#",
            "AT+CHUP",
            "ATH",
        ]
    );
    modem.shutdown().await;
}
