//! A file's hold (send_core/hold.rs): `X-Smsgate-Send-At` keeps a message
//! until its time, on the fake clock; `X-Smsgate-Modem` sends it on that
//! modem only, whatever its queue.

use super::*;

fn held(name: &str, hold: hold::Hold) -> Offer {
    Offer {
        hold,
        ..offer(name, 1, Priority::Normal, 0)
    }
}

#[test]
fn a_message_held_until_later_is_handed_out_at_its_time_and_not_before() {
    let mut bench = Bench::new(&["m0"], UnknownOutcome::Fail);
    let not_before = Some(bench.t0 + Duration::from_secs(60));
    bench.input(Input::Offered(held(
        "later",
        hold::Hold {
            modem: None,
            not_before,
        },
    )));
    // A message after it, not held, goes first.
    bench.input(Input::Offered(offer("now", 1, Priority::Normal, 5)));
    assert_eq!(bench.starts(), [("id-now", 1, "m0")]);
    bench.answer_last(sent());
    // The core asks to be woken at the held one's time.
    assert_eq!(bench.policy.poll_timeout(bench.now), not_before);
    bench.advance_to(59);
    assert_eq!(bench.starts().len(), 1, "not before its time");
    bench.advance_to(60);
    assert_eq!(bench.starts()[1], ("id-later", 1, "m0"));
}

#[test]
fn a_message_asking_for_a_modem_waits_for_it_and_goes_nowhere_else() {
    let mut bench = Bench::new(&["m0", "m1"], UnknownOutcome::Fail);
    let pinned = || hold::Hold {
        modem: Some("m1".into()),
        not_before: None,
    };
    bench.input(Input::Offered(held("a", pinned())));
    bench.input(Input::Offered(held("b", pinned())));
    // Both want m1: the second waits for it though m0 is free.
    assert_eq!(bench.starts(), [("id-a", 1, "m1")]);
    bench.answer_last(sent());
    assert_eq!(bench.starts(), [("id-a", 1, "m1"), ("id-b", 1, "m1")]);
}

#[test]
fn a_requested_modem_overrides_the_queue() {
    let mut other = modem("m1");
    other.queues = vec!["other".into()];
    let mut bench = Bench::with_modems(vec![modem("m0"), other]);
    // The default queue, which m1 does not serve: m1 sends it anyway.
    bench.input(Input::Offered(held(
        "a",
        hold::Hold {
            modem: Some("m1".into()),
            not_before: None,
        },
    )));
    assert_eq!(bench.starts(), [("id-a", 1, "m1")]);
}
