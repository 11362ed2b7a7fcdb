//! Arbitrary modem output into the AT engine with a command in flight: it
//! must never panic, keep its buffer bounded, and complete the command
//! exactly once (by a result or a timeout).

#![no_main]

use at::{Command, Config, Engine, Event, Time};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = Config::default();
    let mut engine = Engine::new(config);
    engine.submit(Command::new("AT+CMGL=4").expect("a valid command"));
    let mut now = Time::from_millis(0);
    while engine.poll_transmit(now).is_some() {}
    // Feed the input in chunks whose sizes come from the input itself.
    let mut rest = data;
    while !rest.is_empty() {
        let take = usize::from(rest[0] % 16) + 1;
        let (chunk, tail) = rest.split_at(take.min(rest.len()));
        engine.handle_input(chunk, now);
        rest = tail;
        assert!(engine.buffered() <= 2 * 4096, "buffer grew to {}", engine.buffered());
    }
    now = Time::from_millis(10 * 60 * 1000);
    engine.handle_timeout(now);
    let mut completed = 0;
    while let Some(event) = engine.poll_event() {
        if matches!(event, Event::Completed(_)) {
            completed += 1;
        }
    }
    assert_eq!(completed, 1);
});
