//! Per-SIM limits (`[modems.NAME.limits]`, issue 14 "Per-SIM limits and
//! rotation", smsd's `message_limit`): the daemon on the simulator, a
//! modem at its limit hands its messages to the others, with an alarm,
//! and its count survives a restart.

use crate::spool_bench::{header_values, wait_for_lines, Setup, SpoolBench};

#[test]
fn a_modem_at_its_day_limit_leaves_its_messages_to_the_other_and_the_count_survives_a_restart() {
    // modem0 may send 2 a day, modem1 has no limit, modem2 receives.
    let mut bench = SpoolBench::build(Setup {
        n_modems: 3,
        ports_only: 1,
        modem_keys: &["\n[modems.modem0.limits]\nper-day = 2\nreset-time = \"00:00\"\n"],
        ..Setup::default()
    });
    let alarms = bench.alarmhandler(5);
    bench.start_daemon();
    let to = SpoolBench::number(2);
    for index in 0..4 {
        bench.drop_file(&format!("first-{index}"), &format!("To: {to}\n\nbulk {index}\n"));
    }
    let mut modems = Vec::new();
    for index in 0..4 {
        let sent = bench.wait_for_file("sent", &format!("first-{index}"));
        modems.extend(header_values(&sent, "Modem"));
    }
    assert_eq!(
        modems.iter().filter(|modem| *modem == "modem0").count(),
        2,
        "{modems:?}"
    );
    assert_eq!(bench.submitted(0).len(), 2);
    assert_eq!(bench.submitted(1).len(), 2);
    let alarm = wait_for_lines(&alarms, 1).join("\n");
    assert!(
        alarm.contains("|4|modem0|reached limits.per-day 2 (until "),
        "{alarm}"
    );
    assert!(
        bench.log().contains("modem modem0: reached limits.per-day 2"),
        "{}",
        bench.log()
    );
    bench.stop_daemon();

    // After a restart the count is still 2 of 2: modem1 takes everything.
    bench.start_daemon();
    for index in 0..2 {
        bench.drop_file(
            &format!("second-{index}"),
            &format!("To: {to}\n\nafter restart {index}\n"),
        );
    }
    for index in 0..2 {
        let sent = bench.wait_for_file("sent", &format!("second-{index}"));
        assert_eq!(header_values(&sent, "Modem"), ["modem1"], "{sent}");
    }
    assert_eq!(bench.submitted(0).len(), 2);
    let counts = std::fs::read_to_string(bench.spool("smsgate.limits.json")).unwrap();
    assert!(counts.contains("\"day_count\": 2"), "{counts}");
    bench.stop_daemon();
}

#[test]
fn a_message_waits_while_every_modem_serving_it_is_at_its_limit() {
    // smsd's message_limit without message_count_clear: per-period alone.
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        modem_keys: &["\n[modems.modem0.limits]\nper-period = 1\n"],
        ..Setup::default()
    });
    bench.start_daemon();
    let to = SpoolBench::number(1);
    bench.drop_file("one", &format!("To: {to}\n\none\n"));
    bench.wait_for_file("sent", "one");
    bench.drop_file("two", &format!("To: {to}\n\ntwo\n"));
    // Taken, checked and queued, then held: it waits in checked/.
    bench.wait("the second file waits in checked/", || {
        bench.spool("checked").join("two").exists()
    });
    bench.wait("the daemon says why it waits", || {
        bench.log().contains(
            "two: waits: every modem serving it is at a limit (modem modem0: limits.per-period 1 (until the daemon restarts))",
        )
    });
    assert_eq!(bench.submitted(0).len(), 1);
    bench.stop_daemon();
    // smsd's counter starts from zero at each start; so does per-period
    // without period-min.
    bench.start_daemon();
    bench.wait_for_file("sent", "two");
    bench.stop_daemon();
}
