//! `Voicecall: yes` files through `smsgate run` (issue 5): the real
//! binary as the spool daemon on the simulator, which logs every call a
//! modem places (number, tones received, hang-up). The daemon is killed
//! and the simulator stopped when a test ends, also when it fails; every
//! wait has a deadline.

use std::fs;
use std::time::Duration;

use modem_sim::{CallRecord, Fault};
use nix::sys::signal::Signal;

use crate::spool_bench::{header_values, Setup, SpoolBench};

/// The number of the simulator's modem 1, as a spool file names it.
const CALLEE: &str = "4917200000001";

/// A simulator with two modems, a spool, and (when started) the daemon
/// on modem 0.
fn call_bench() -> SpoolBench {
    SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        patience: Duration::from_secs(20),
        ..Setup::default()
    })
}

/// A `Voicecall: yes` file to [`CALLEE`] whose body is `tones`.
fn call_file(tones: &str) -> String {
    format!("To: {CALLEE}\nVoicecall: yes\n\n{tones}\n")
}

/// A daemon whose callee answers as `fault` says, and its file of
/// `tones`, once it is in `failed/`.
fn failed_call(fault: Fault, tones: &str) -> (SpoolBench, String) {
    let mut bench = call_bench();
    bench.fault(0, fault);
    bench.start_daemon();
    bench.drop_file("alarm", &call_file(tones));
    let failed = bench.wait_for_file("failed", "alarm");
    (bench, failed)
}

/// The calls modem 0 placed.
fn calls(bench: &SpoolBench) -> Vec<CallRecord> {
    bench.runtime.block_on(bench.sim().calls(0)).unwrap()
}

#[test]
fn an_answered_call_plays_the_tones_twice_and_the_file_is_sent() {
    let mut bench = call_bench();
    bench.start_daemon();
    bench.drop_file("alarm", &call_file("TONE: 2 1,2,#"));
    let sent = bench.wait_for_file("sent", "alarm");
    assert_eq!(
        calls(&bench),
        [CallRecord {
            number: format!("+{CALLEE}"),
            result: "OK",
            answered: true,
            tones: "12#12#".to_owned(),
            hung_up: true,
        }]
    );
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    assert_eq!(header_values(&sent, "Sent").len(), 1);
    assert_eq!(header_values(&sent, "IMSI"), ["001010123456789"]);
    // A call has no message reference.
    assert!(header_values(&sent, "Message_id").is_empty(), "{sent}");
    assert!(sent.ends_with("\n\nTONE: 2 1,2,#\n"), "{sent}");
    assert!(!bench.spool("outgoing").join("alarm").exists());
    bench.signal_daemon(Signal::SIGTERM);
}

#[test]
fn a_busy_callee_fails_the_file_and_is_not_called_again() {
    let (mut bench, failed) = failed_call(Fault::CallBusy, "TONE: 1");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert_eq!(reason, format!("voice call not answered: ATD+{CALLEE};: BUSY"));
    assert_eq!(header_values(&failed, "Modem"), ["modem0"]);
    let calls = calls(&bench);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].result, "BUSY");
    bench.signal_daemon(Signal::SIGTERM);
}

#[test]
fn an_unanswered_call_is_hung_up_after_its_time() {
    let (mut bench, failed) = failed_call(Fault::CallUnanswered, "TONE: TIME: 2 #");
    assert_eq!(
        header_values(&failed, "Fail_reason"),
        ["voice call not answered: no answer within 2 s"]
    );
    let calls = calls(&bench);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(!calls[0].answered && calls[0].hung_up, "{calls:?}");
    assert_eq!(calls[0].tones, "");
    bench.signal_daemon(Signal::SIGTERM);
}

#[test]
fn a_malformed_tone_text_goes_to_failed_with_the_parsers_reason() {
    let mut bench = call_bench();
    bench.start_daemon();
    bench.drop_file("bad", &call_file("TONE: 1,A"));
    let failed = bench.wait_for_file("failed", "bad");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(reason.contains("\"A\" is not a tone"), "{reason}");
    assert!(reason.contains("Voicecall"), "{reason}");
    assert!(calls(&bench).is_empty());
    bench.signal_daemon(Signal::SIGTERM);
}

/// A daemon killed while the call rings: the journal has the call as
/// started, so the restarted daemon does not call again but fails the
/// file as of unknown outcome (`unknown-outcome = "fail"`, the default).
#[test]
fn a_call_cut_off_by_a_crash_is_not_placed_again() {
    let mut bench = call_bench();
    bench.fault(0, Fault::CallUnanswered);
    bench.start_daemon();
    bench.drop_file("alarm", &call_file("TONE: TIME: 30 #"));
    bench.wait("the call rings", || !calls(&bench).is_empty());
    bench.signal_daemon(Signal::SIGKILL);
    bench.start_daemon();
    let failed = bench.wait_for_file("failed", "alarm");
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(reason.starts_with("outcome unknown"), "{reason}");
    assert_eq!(header_values(&failed, "X-Smsgate-Outcome"), ["unknown"]);
    assert_eq!(calls(&bench).len(), 1);
    bench.signal_daemon(Signal::SIGTERM);
}

/// A daemon that died after the call was answered and journalled, before
/// the file moved: the restarted daemon moves it to `sent/` without
/// calling again.
#[test]
fn a_call_journalled_as_done_is_not_placed_again_after_a_restart() {
    let mut bench = call_bench();
    let journal = [
        r#"{"event":"begin","file":"alarm","reference":7,"parts":1}"#,
        r#"{"event":"start","file":"alarm","part":1,"modem":"modem0"}"#,
        r#"{"event":"sent","file":"alarm","part":1,"mr":0}"#,
    ];
    fs::write(bench.spool("smsgate.journal"), journal.join("\n") + "\n").unwrap();
    bench.drop_file("alarm", &call_file("TONE: 1"));
    bench.start_daemon();
    let sent = bench.wait_for_file("sent", "alarm");
    assert!(header_values(&sent, "Message_id").is_empty(), "{sent}");
    assert!(calls(&bench).is_empty(), "{:?}", calls(&bench));
    bench.signal_daemon(Signal::SIGTERM);
}
