//! Issue 10: what keeps SMS commands from being abused: incomplete and
//! redelivered messages, lockouts and queues across restarts, replies to
//! the right number, bounded logs.

use super::*;

/// Issue 10.1: a command whose parts did not all arrive never runs; an
/// allowed sender is told, a stranger is not.
#[test]
fn an_incomplete_command_is_refused_and_the_sender_told() {
    let fixture = marker_script(Fixture::new(), "x");
    let runner = fixture.runner();
    let sender = international(ALLOWED);
    let text = ":cmd slepens script x a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    let received = Received {
        missing_parts: &[2],
        ..message(&sender, text, "scts", "gsm1.aaaaaa")
    };
    let Decision::Rejected(rejection) = runner.decide(received, T0) else {
        panic!("not rejected")
    };
    assert_eq!(
        Decision::Rejected(rejection.clone()).marker().unwrap(),
        "rejected: incomplete message (part 2 missing)"
    );
    runner.tell(&rejection, "gsm1");
    assert_eq!(
        fixture.replies(),
        ["To: 37120000000\n\nCommand not run: incomplete message (part 2 missing)\n"]
    );
    // Parts 2 and 4 of 4 missing: what came is not spliced into a command.
    let received = Received {
        missing_parts: &[2, 4],
        ..message(&sender, ":cmd slepens script x a=1 b=3", "scts2", "gsm1.bbbbbb")
    };
    assert_eq!(
        runner.decide(received, T0).marker().unwrap(),
        "rejected: incomplete message (parts 2,4 missing)"
    );
    // A stranger is refused for the sender, and not told.
    let stranger = international("37120000001");
    let received = Received {
        missing_parts: &[2],
        ..message(&stranger, text, "scts", "gsm1.cccccc")
    };
    let Decision::Rejected(rejection) = runner.decide(received, T0) else {
        panic!("not rejected")
    };
    assert!(matches!(rejection, Rejection::Refused(Refusal::NotAllowed(_))));
    runner.tell(&rejection, "gsm1");
    assert_eq!(fixture.replies().len(), 1);
    assert!(runner.state().waiting.is_empty());
    assert!(!fixture.path("ran").exists());
}

/// Issue 10.3: the same SMS again (sender, time stamp, text) within the
/// window does not run again, also after a restart; another time stamp
/// is another SMS.
#[test]
fn a_redelivered_command_does_not_run_again_even_after_a_restart() {
    let fixture = marker_script(Fixture::new(), "x");
    let runner = fixture.runner();
    let sender = international(ALLOWED);
    let text = ":cmd slepens script x";
    let scts = "2026-01-01T12:00:00+00:00";
    let first = message(&sender, text, scts, "gsm1.first0");
    assert_ran_ok(&handle_received(&runner, first, T0));
    let again = message(&sender, text, scts, "gsm1.again0");
    let duplicate = Handled::Rejected(Rejection::Duplicate {
        of: "gsm1.first0".to_owned(),
    });
    assert_eq!(
        handle_received(&runner, again, T0 + Duration::from_secs(60)),
        duplicate
    );
    let restarted = fixture.runner();
    let again = message(&sender, text, scts, "gsm1.again1");
    assert_eq!(
        handle_received(&restarted, again, T0 + Duration::from_secs(120)),
        duplicate
    );
    let marker = Decision::Rejected(Rejection::Duplicate {
        of: "gsm1.first0".to_owned(),
    })
    .marker()
    .unwrap();
    assert_eq!(
        marker,
        "rejected: the same message as gsm1.first0, which was run already (a redelivery)"
    );
    // The same file again: decided before a crash that came before its
    // file was written; not queued a second time.
    let itself = message(&sender, text, scts, "gsm1.first0");
    assert_eq!(
        handle_received(&restarted, itself, T0 + Duration::from_secs(130)),
        Handled::Rejected(Rejection::DecidedBefore)
    );
    assert!(restarted.state().waiting.is_empty());
    // After the window, or with another time stamp: a new command.
    let later = message(&sender, text, scts, "gsm1.later0");
    assert_ran_ok(&handle_received(
        &restarted,
        later,
        T0 + Duration::from_secs(3600),
    ));
    let other = message(&sender, text, "2026-01-01T12:00:01+00:00", "gsm1.other0");
    assert_ran_ok(&handle_received(
        &restarted,
        other,
        T0 + Duration::from_secs(3601),
    ));
}

/// Issue 10.4: the reply goes to the international number the sender was
/// authorised as, not to the digits as they came.
#[test]
fn the_reply_goes_to_the_normalised_international_number() {
    let fixture = Fixture::new().script("ok", "echo done\n", Duration::from_secs(20));
    let runner = Arc::new(fixture.runner());
    let sender = Address {
        toa: TypeOfAddress::UNKNOWN,
        number: "0037120000000".to_owned(),
    };
    let decision = runner.decide(message(&sender, ":cmd slepens script ok", "s", "gsm1.a"), T0);
    assert_eq!(decision.marker().unwrap(), "runs script ok");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let tasks = TaskTracker::new();
        runner.start_waiting(&tasks);
        tasks.close();
        tasks.wait().await;
    });
    assert_eq!(fixture.replies(), ["To: 37120000000\n\ndone\n"]);
}

/// Issue 10.5: a lockout outlives a restart.
#[test]
fn a_lockout_survives_a_restart() {
    let fixture = marker_script(Fixture::new(), "x");
    let sender = international(ALLOWED);
    let runner = fixture.runner();
    for second in 0..3 {
        let handled = handle_at(
            &runner,
            &sender,
            ":cmd guess script x",
            Duration::from_secs(second),
        );
        assert!(
            matches!(handled, Handled::Rejected(Rejection::Refused(_))),
            "{handled:?}"
        );
    }
    drop(runner);
    let restarted = fixture.runner();
    let handled = handle_at(
        &restarted,
        &sender,
        ":cmd slepens script x",
        Duration::from_secs(10),
    );
    assert!(
        matches!(
            handled,
            Handled::Rejected(Rejection::Refused(Refusal::LockedOut { .. }))
        ),
        "{handled:?}"
    );
    assert!(!fixture.path("ran").exists());
}

/// A decision that cannot be saved is not acted on (fail closed), and an
/// unreadable saved state refuses every command.
#[test]
fn an_unsaved_decision_does_not_run_and_an_unreadable_state_refuses_all() {
    let fixture = marker_script(Fixture::new(), "x");
    let runner = fixture.runner();
    let sender = international(ALLOWED);
    // A directory where the state file goes: every save fails.
    let state_file = fixture.path(state::FILE_NAME);
    std::fs::create_dir(&state_file).unwrap();
    std::fs::write(state_file.join("x"), "").unwrap();
    let handled = handle(&runner, &sender, ":cmd slepens script x");
    assert!(
        matches!(handled, Handled::Rejected(Rejection::NotRecorded(_))),
        "{handled:?}"
    );
    assert!(runner.state().waiting.is_empty());
    assert!(!fixture.path("ran").exists());
    // Readable again, but junk: refused, however right.
    std::fs::remove_dir_all(&state_file).unwrap();
    std::fs::write(&state_file, "junk").unwrap();
    let handled = handle(&fixture.runner(), &sender, ":cmd slepens script x");
    assert!(
        matches!(handled, Handled::Rejected(Rejection::StateUnreadable(_))),
        "{handled:?}"
    );
    assert!(!fixture.path("ran").exists());
}

/// Issue 10.6: at most `max-running` scripts at once; the next waits, in
/// order and saved; past `max-waiting` a command is refused and the
/// sender told.
#[test]
fn scripts_beyond_max_running_wait_and_beyond_max_waiting_are_refused() {
    let mut fixture = Fixture::new().script(
        "hang",
        "touch \"$1/started_$SMS_VAR_n\"\nwhile [ ! -e \"$1/go\" ]; do sleep 0.02; done\necho \"done $SMS_VAR_n\"\n",
        Duration::from_secs(30),
    );
    fixture.max_running = 1;
    fixture.max_waiting = 1;
    let runner = Arc::new(fixture.runner());
    let sender = international(ALLOWED);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let tasks = TaskTracker::new();
    let _guard = tokio.enter();
    let mut markers = Vec::new();
    for n in 1..=3 {
        let text = format!(":cmd slepens script hang n={n}");
        let file = format!("gsm1.file{n}");
        let decision = runner.decide(message(&sender, &text, &file, &file), T0);
        if let Decision::Rejected(rejection) = &decision {
            runner.tell(rejection, "gsm1");
        }
        markers.push(decision.marker().unwrap());
        runner.start_waiting(&tasks);
    }
    assert_eq!(
        markers,
        [
            "runs script hang",
            "waits to run script hang (max-running reached; 0 waiting before it)",
            "rejected: 1 commands wait already (max-waiting); try again later",
        ]
    );
    let started = |n: u32| fixture.path(&format!("started_{n}")).exists();
    assert!(wait_until(|| started(1)));
    assert!(!started(2));
    // Saved: a restart finds it waiting.
    let waiting: Vec<String> = fixture
        .runner()
        .state()
        .waiting
        .iter()
        .map(|job| job.file.clone())
        .collect();
    assert_eq!(waiting, ["gsm1.file2"]);
    std::fs::write(fixture.path("go"), "").unwrap();
    assert!(wait_until(|| started(2)));
    tokio.block_on(async {
        while runner.state().running > 0 || !runner.state().waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tasks.close();
        tasks.wait().await;
    });
    assert_eq!(
        fixture.replies(),
        [
            "To: 37120000000\n\nCommand not run: 1 commands wait already (max-waiting); try again later\n",
            "To: 37120000000\n\ndone 1\n",
            "To: 37120000000\n\ndone 2\n",
        ]
    );
    assert!(!started(3));
}

/// Polls `done` for up to 20 s.
fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..1000 {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Issue 10.7: a script's output is logged as a bounded prefix with its
/// byte count, not as 64 KiB in one line.
#[test]
fn output_is_logged_as_a_bounded_prefix_with_the_byte_count() {
    let captured = Captured {
        bytes: vec![b'x'; MAX_OUTPUT],
        total: 300_000,
    };
    let summary = output_summary("long", "stdout", &captured).unwrap();
    assert!(summary.len() < LOGGED_OUTPUT + 100, "{} bytes", summary.len());
    assert!(
        summary.starts_with("script \"long\" stdout (300000 bytes, the first 1024 shown): \"xxx"),
        "{summary}"
    );
    let short = Captured {
        bytes: b"ok\n".to_vec(),
        total: 3,
    };
    assert_eq!(
        output_summary("s", "stderr", &short).unwrap(),
        "script \"s\" stderr (3 bytes): \"ok\\n\""
    );
    assert_eq!(output_summary("s", "stderr", &Captured::default()), None);
}
