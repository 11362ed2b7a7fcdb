//! Live operations on the policy's modems: suspend, resume, retire (a
//! reload or a reopen), a reload's new modem policies.

use super::*;

#[test]
fn a_suspended_modem_is_given_nothing_until_resumed() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::ModemSuspended { name: "m0".into() });
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    assert!(bench.starts().is_empty());
    bench.input(Input::ModemResumed { name: "m0".into() });
    assert_eq!(bench.starts(), [("id-a", 1, "m0")]);
}

#[test]
fn a_retired_modem_is_never_chosen_and_its_reopened_successor_is() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    bench.input(Input::ModemRetired {
        name: "m0".into(),
        removed: false,
    });
    bench.input(Input::Offered(offer("a", 1, Priority::Normal, 0)));
    assert!(bench.starts().is_empty());
    assert!(!bench.policy.retired_busy("m0"));
    bench.input(Input::ModemAdded(modem("m0")));
    assert_eq!(bench.starts(), [("id-a", 1, "m0")]);
}

#[test]
fn a_removed_modem_fails_its_pinned_message_once_its_part_is_back() {
    let mut bench = Bench::new(&["m0", "m1"], UnknownOutcome::Fail);
    let mut long = offer("long", 2, Priority::Normal, 0);
    long.retries = Some(10);
    bench.input(Input::Offered(long));
    bench.answer_last(sent());
    // Part 2 is on m0 when it is removed: nothing fails while it is out.
    assert_eq!(bench.starts().last().unwrap(), &("id-long", 2, "m0"));
    bench.input(Input::ModemRetired {
        name: "m0".into(),
        removed: true,
    });
    assert!(bench.policy.retired_busy("m0"));
    assert!(bench.finished.is_empty());
    bench.answer_last(not_sent());
    assert!(!bench.policy.retired_busy("m0"));
    let [(id, Outcome::Failed { reason, .. }, _)] = &bench.finished[..] else {
        panic!("{:?}", bench.finished);
    };
    assert_eq!(id, "id-long");
    assert!(reason.contains("which is removed"), "{reason}");
    // Never on m1.
    assert!(bench.started.iter().all(|start| start.2 == "m0"));
}

#[test]
fn a_reload_gives_the_modems_their_new_queues() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    let mut urgent = offer("a", 1, Priority::Normal, 0);
    urgent.queue = Some("urgent".into());
    bench.input(Input::Offered(urgent));
    assert!(bench.starts().is_empty());
    let mut serving = modem("m0");
    serving.queues = vec!["urgent".into()];
    bench.input(Input::Reconfigured {
        config: config(UnknownOutcome::Fail),
        modems: vec![serving],
    });
    assert_eq!(bench.starts(), [("id-a", 1, "m0")]);
}
