//! A modem that hangs under the daemon (the simulator's firmware stops
//! answering, the port stays open): each step of its recovery is an
//! alarm, and once it answers again the modem, blocked for its failures,
//! is given work again at once and sends the file that waited.

use std::fs;
use std::time::{Duration, Instant};

use modem_sim::Fault;

use crate::spool_bench::{alarm_fields, wait_until, Setup, SpoolBench};

/// Long enough for a hang to be noticed (three sends without an answer)
/// and recovered (a reopen, a reset and its settle time) on a loaded
/// machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// The alarms so far, as (severity, process, text).
fn alarms(log: &std::path::Path) -> Vec<(String, String, String)> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(alarm_fields)
        .collect()
}

/// Waits for an alarm whose text contains `text`.
fn wait_for_alarm(log: &std::path::Path, text: &str) {
    let found = wait_until(PATIENCE, || {
        alarms(log).iter().any(|(_, _, alarm)| alarm.contains(text))
    });
    assert!(found, "no alarm with {text:?}: {:#?}", alarms(log));
}

#[test]
fn a_hung_modem_is_recovered_with_an_alarm_per_step_and_sends_the_waiting_file() {
    let mut bench = SpoolBench::build(Setup {
        patience: PATIENCE,
        // Blocked for an hour after three failures: only the recovery
        // can put it back to work within the test.
        rest: "\n[limits]\nretry-interval-s = 1\nsend-retries = 20\nblock-after = 3\nblock-time-s = 3600\n",
        ..Setup::default()
    });
    // Short waits for an answer, so that the hang shows within seconds.
    bench.edit_config(|config| {
        config.replacen(
            "\n[ports.modem0]\n",
            "\n[ports.modem0]\nhandshake-timeout-ms = 300\nsend-timeout-ms = 1000\n",
            1,
        )
    });
    let log = bench.alarmhandler(5);
    bench.start_daemon();
    bench.fault(0, Fault::Hang);
    bench.drop_file(
        "patient",
        &format!("To: {}\n\nafter the hang\n", SpoolBench::number(1)),
    );
    wait_for_alarm(&log, "resetting the modem with AT+CFUN=1,1");
    // The modem answers again.
    bench.fault(0, Fault::Clear);
    let answers_again = Instant::now();
    bench.wait_for_file("sent", "patient");
    println!(
        "daemon: the file was in sent/ {:.2} s after the modem answered again",
        answers_again.elapsed().as_secs_f32()
    );
    wait_for_alarm(&log, "answers again");
    let texts: Vec<String> = alarms(&log)
        .into_iter()
        .filter(|(_, process, _)| process == "modem0")
        .map(|(severity, _, text)| format!("{severity} {text}"))
        .collect();
    let device = bench.device(0).display().to_string();
    let position = |wanted: &str| {
        texts
            .iter()
            .position(|text| text == wanted || text.starts_with(wanted))
            .unwrap_or_else(|| panic!("no {wanted:?} in {texts:#?}"))
    };
    // Each alarm runs a process of its own, so only steps raised apart
    // in time come in order: noticed and blocked (at the third failure),
    // then reopened, reset, reopened again, recovered.
    position(&format!("3 the modem on {device} does not answer"));
    position("2 sending failed 3 times in a row; modem blocked for 3600 s");
    let steps = [
        position(&format!(
            "3 the modem on {device}: reopening the port and setting the modem up again (try 1)"
        )),
        position(&format!(
            "3 the modem on {device}: still silent: resetting the modem with AT+CFUN=1,1"
        )),
        position(&format!(
            "3 the modem on {device}: reopening the port and setting the modem up again (try 2)"
        )),
        position(&format!("5 the modem on {device}: answers again, set up ")),
    ];
    assert!(steps.windows(2).all(|pair| pair[0] < pair[1]), "{texts:#?}");
    bench.stop_daemon();
}
