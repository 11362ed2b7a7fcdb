//! The policy on a fake clock: the instants are made, never waited for.

use super::*;

fn settings(limit: u32, count_clear_min: Option<u64>) -> AdminSettings {
    let modem = |to: Option<&str>| ModemAdminSettings {
        to: to.map(str::to_owned),
        limit,
        count_clear: count_clear_min.map(|minutes| Duration::from_secs(minutes * 60)),
        message_limit: None,
    };
    AdminSettings {
        global_to: Some("358401111111".to_owned()),
        main_modem: Some("gsm1".to_owned()),
        modems: [
            ("gsm1".to_owned(), modem(None)),
            ("gsm2".to_owned(), modem(Some("358402222222"))),
        ]
        .into_iter()
        .collect(),
    }
}

fn sent(decision: &Decision) -> (&str, &str, &str) {
    match decision {
        Decision::Send(message) => (&message.modem, &message.to, &message.text),
        other => panic!("not sent: {other:?}"),
    }
}

fn gsm(name: &str) -> Process {
    Process::Modem(name.to_owned())
}

#[test]
fn a_failing_eventhandler_is_reported_once_until_it_succeeds_again() {
    let mut core = AdminCore::new(settings(0, None));
    let t0 = Instant::now();
    let first = core.handler_finished(&gsm("gsm1"), "eventhandler", 1, t0);
    assert_eq!(
        sent(&first),
        (
            "gsm1",
            "358401111111",
            "Smsd3: gsm1, problem with eventhandler, result 1"
        )
    );
    // Still failing: only counted.
    assert_eq!(
        core.handler_finished(&gsm("gsm1"), "eventhandler", 2, t0),
        Decision::Continues {
            count: 2,
            alert: "problem with eventhandler, result 2".to_owned()
        }
    );
    // Another modem's state is its own, and its own number is used.
    let other = core.handler_finished(&gsm("gsm2"), "eventhandler", 1, t0);
    assert_eq!(
        sent(&other),
        (
            "gsm2",
            "358402222222",
            "Smsd3: gsm2, problem with eventhandler, result 1"
        )
    );
    // A success, then a failure again: sent again.
    assert_eq!(
        core.handler_finished(&gsm("gsm1"), "eventhandler", 0, t0),
        Decision::Nothing
    );
    let again = core.handler_finished(&gsm("gsm1"), "eventhandler", 3, t0);
    assert_eq!(sent(&again).2, "Smsd3: gsm1, problem with eventhandler, result 3");
}

#[test]
fn the_daemons_own_failures_go_through_the_admin_message_modem() {
    let mut core = AdminCore::new(settings(0, None));
    let decision = core.handler_finished(&Process::Main, "eventhandler", 1, Instant::now());
    assert_eq!(
        sent(&decision),
        (
            "gsm1",
            "358401111111",
            "Sms3: mainprocess, problem with eventhandler, result 1"
        )
    );
}

#[test]
fn nothing_is_sent_without_a_number_or_a_modem_for_the_daemons_own() {
    let mut none = settings(0, None);
    none.global_to = None;
    none.main_modem = None;
    let mut core = AdminCore::new(none);
    let now = Instant::now();
    assert_eq!(
        core.handler_finished(&gsm("gsm1"), "eventhandler", 1, now),
        Decision::Nothing
    );
    assert_eq!(
        core.handler_finished(&Process::Main, "eventhandler", 1, now),
        Decision::Nothing
    );
    // gsm2 has a number of its own.
    assert!(matches!(
        core.handler_finished(&gsm("gsm2"), "eventhandler", 1, now),
        Decision::Send(_)
    ));
}

#[test]
fn a_failed_delivery_lets_the_next_failure_be_sent() {
    let mut core = AdminCore::new(settings(0, None));
    let now = Instant::now();
    assert!(matches!(
        core.handler_finished(&gsm("gsm1"), "eventhandler", 1, now),
        Decision::Send(_)
    ));
    core.not_delivered(&gsm("gsm1"));
    assert!(matches!(
        core.handler_finished(&gsm("gsm1"), "eventhandler", 1, now),
        Decision::Send(_)
    ));
}

#[test]
fn the_message_limit_text_is_smsds() {
    let mut core = AdminCore::new(settings(0, None));
    let decision = core.message_limit_reached("gsm2", 300, Instant::now());
    assert_eq!(
        sent(&decision),
        (
            "gsm2",
            "358402222222",
            "Smsd3: gsm2: Message limit 300 is reached."
        )
    );
}

/// adminmessage_limit 2, adminmessage_count_clear 10 minutes: the third
/// message within 10 minutes of the first is dropped; once 10 minutes
/// have passed since the first, the count starts again.
#[test]
fn the_limit_drops_messages_until_the_count_clears() {
    let mut core = AdminCore::new(settings(2, Some(10)));
    let t0 = Instant::now();
    let at = |minutes: u64| t0 + Duration::from_secs(minutes * 60);
    assert!(matches!(
        core.message_limit_reached("gsm1", 5, at(0)),
        Decision::Send(_)
    ));
    assert!(matches!(
        core.message_limit_reached("gsm1", 5, at(3)),
        Decision::Send(_)
    ));
    assert_eq!(
        core.message_limit_reached("gsm1", 5, at(9)),
        Decision::Limited {
            modem: "gsm1".to_owned(),
            text: "Smsd3: gsm1: Message limit 5 is reached.".to_owned()
        }
    );
    // Each sending modem counts its own.
    assert!(matches!(
        core.message_limit_reached("gsm2", 5, at(9)),
        Decision::Send(_)
    ));
    // 10 minutes after the first: cleared.
    assert!(matches!(
        core.message_limit_reached("gsm1", 5, at(10)),
        Decision::Send(_)
    ));
    assert!(matches!(
        core.message_limit_reached("gsm1", 5, at(11)),
        Decision::Send(_)
    ));
    assert!(matches!(
        core.message_limit_reached("gsm1", 5, at(12)),
        Decision::Limited { .. }
    ));
}

#[test]
fn without_count_clear_the_limit_holds_until_restart() {
    let mut core = AdminCore::new(settings(1, None));
    let t0 = Instant::now();
    assert!(matches!(
        core.message_limit_reached("gsm1", 5, t0),
        Decision::Send(_)
    ));
    let much_later = t0 + Duration::from_secs(365 * 24 * 3600);
    assert!(matches!(
        core.message_limit_reached("gsm1", 5, much_later),
        Decision::Limited { .. }
    ));
    // The daemon's own messages count on the modem that sends them.
    assert!(matches!(
        core.handler_finished(&Process::Main, "eventhandler", 1, much_later),
        Decision::Limited { .. }
    ));
}

#[test]
fn the_per_period_alarm_is_smsds_message_limit() {
    assert!(is_message_limit(
        &format!("reached {} (until 2026-12-06 09:00:00)", Limit::Period(5)),
        5
    ));
    assert!(!is_message_limit(
        &format!("reached {} (until 2026-12-07 00:00)", Limit::Day(5)),
        5
    ));
    assert!(!is_message_limit(
        &format!("reached {} (until the daemon restarts)", Limit::Period(50)),
        5
    ));
}
