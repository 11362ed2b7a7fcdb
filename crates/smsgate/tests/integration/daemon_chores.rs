//! smsd's per-modem chores in the daemon, on the simulator: incoming
//! calls hung up (`hangup-incoming-call`) or hung up and written to
//! `phonecalls/` with the `CALL` event (`phonecalls`, smsd's `phonecalls
//! = clip`), `[modems.NAME.regular-run]`, and the registration checked
//! before each send (`check-network`).

use std::fs;

use modem_sim::{Fault, INCOMING_CALL};

use crate::spool_bench::{header_values, wait_for_lines, Setup, SpoolBench};

fn ring(bench: &SpoolBench, index: usize, from: &str) {
    assert!(bench
        .runtime
        .block_on(bench.sim().incoming_call(index, from))
        .unwrap());
}

fn hung_up(bench: &SpoolBench, index: usize) -> Vec<bool> {
    bench
        .runtime
        .block_on(bench.sim().calls(index))
        .unwrap()
        .iter()
        .filter(|call| call.result == INCOMING_CALL)
        .map(|call| call.hung_up)
        .collect()
}

#[test]
fn a_call_is_hung_up_written_to_phonecalls_and_the_eventhandler_called() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        modem_keys: &["phonecalls = true", "hangup-incoming-call = true"],
        ..Setup::default()
    });
    let events = bench.eventhandler();
    bench.start_daemon();
    ring(&bench, 0, "+37120000000");
    bench.wait("modem0's call is written to phonecalls/", || {
        bench.spool("phonecalls").is_dir() && !bench.names("phonecalls").0.is_empty()
    });
    let names = bench.names("phonecalls").0;
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("modem0.") && names[0].len() == "modem0.".len() + 6,
        "{names:?}"
    );
    let path = bench.spool("phonecalls").join(&names[0]);
    let call = fs::read_to_string(&path).unwrap();
    assert_eq!(header_values(&call, "From"), ["37120000000"]);
    assert_eq!(
        header_values(&call, "From_TOA"),
        ["91 international, ISDN/telephone"]
    );
    assert_eq!(header_values(&call, "Modem"), ["modem0"]);
    assert_eq!(header_values(&call, "Call_type"), ["missed"]);
    assert_eq!(header_values(&call, "Received").len(), 1);
    assert!(call.ends_with("\n\nCALL MISSED\n"), "{call}");
    assert_eq!(wait_for_lines(&events, 1), [format!("CALL|{}|", path.display())]);
    bench.wait("modem0's call is hung up", || hung_up(&bench, 0) == [true]);

    // modem1 only hangs up: at the RING, with nothing written.
    ring(&bench, 1, "+37120000001");
    bench.wait("modem1's call is hung up", || hung_up(&bench, 1) == [true]);
    assert_eq!(bench.names("phonecalls").0.len(), 1);
    // A modem that rings again after a hang-up is hung up again.
    ring(&bench, 0, "+37120000002");
    bench.wait("the second call is written", || {
        bench.names("phonecalls").0.len() == 2
    });
    bench.wait("and hung up", || hung_up(&bench, 0) == [true, true]);
    bench.stop_daemon();
}

#[test]
fn regular_run_runs_the_program_and_writes_the_commands_answers_to_the_statfile() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 1,
        ..Setup::default()
    });
    let runs = bench.dir.path().join("runs.log");
    let program = bench.script(
        "balance",
        &format!(
            "line=$(printf '%s|' \"$@\")\nprintf '%s\\n' \"$line\" >> '{}'",
            runs.display()
        ),
    );
    let statfile = bench.dir.path().join("modem0.stat");
    let section = format!(
        "\n[modems.modem0.regular-run]\ninterval-s = 1\nprogram = {:?}\npost-run = {:?}\n\
         commands = [\"AT+CSQ\", 'AT+CUSD=1,\"*100#\",15']\nstatfile = {:?}\n",
        program.display().to_string(),
        program.display().to_string(),
        statfile.display().to_string()
    );
    bench.edit_config(|config| config + &section);
    bench
        .runtime
        .block_on(bench.sim().set_ussd(0, "*100#", "Balance 5.00 EUR"))
        .unwrap();
    bench.start_daemon();
    let stat = statfile.display();
    assert_eq!(
        wait_for_lines(&runs, 2),
        [format!("PRE_RUN|{stat}|"), format!("POST_RUN|{stat}|")]
    );
    bench.wait("the statfile has both answers", || {
        fs::read_to_string(&statfile).unwrap_or_default().lines().count() == 2
    });
    let written = fs::read_to_string(&statfile).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    // `2026-12-06 07:28:52,5, modem0: CMD: ...`, as smsd writes it.
    for (line, expected) in lines.iter().zip([
        ",5, modem0: CMD: AT+CSQ: +CSQ: 21,99 OK",
        ",5, modem0: CMD: AT+CUSD=1,\"*100#\",15: OK +CUSD: 0,\"Balance 5.00 EUR\",15",
    ]) {
        assert_eq!(line.len(), "2026-12-06 07:28:52".len() + expected.len(), "{line}");
        assert!(
            line.ends_with(expected),
            "{line:?} does not end with {expected:?}"
        );
    }
    // And again a second later: the interval.
    wait_for_lines(&runs, 4);
    bench.stop_daemon();
}

#[test]
fn check_network_keeps_a_message_from_a_modem_that_is_not_registered() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        modem_keys: &["check-network = true"],
        rest: "\n[limits]\nretry-interval-s = 1\nsend-retries = 5\nblock-after = 10\n",
        ..Setup::default()
    });
    bench.start_daemon();
    bench.fault(0, Fault::NoNetwork);
    bench.drop_file(
        "waits",
        &format!("To: {}\n\nafter registration\n", SpoolBench::number(1)),
    );
    bench.wait("the send is refused for the registration", || {
        bench.log().contains("not registered to the network")
    });
    assert!(bench.submitted(0).is_empty());
    bench.fault(0, Fault::Clear);
    let sent = bench.wait_for_file("sent", "waits");
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    bench.stop_daemon();
}

#[test]
fn receive_before_send_reads_the_storage_before_each_send() {
    // modem0 receives, but without new-message indications (AT+CNMI=0 in
    // its init): only a listing of its storage finds a message, and the
    // regular listing is a minute away.
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        modem_keys: &["receive = true\nreceive-before-send = true"],
        spool_dirs: &["outgoing", "sent", "failed", "incoming"],
        ..Setup::default()
    });
    bench.section_keys("ports.modem0", "init = [\"AT+CNMI=0,0,0,0,0\"]");
    bench.start_daemon();
    crate::daemon_receive::inject_text(
        &bench,
        0,
        "+37120000000",
        "waiting in the SIM",
        modem_sim::TextEncoding::Gsm7,
        None,
    );
    bench.wait("the modem stores it", || bench.n_stored(0) == 1);
    bench.drop_file("go", &format!("To: {}\n\nread first\n", SpoolBench::number(1)));
    bench.wait_for_file("sent", "go");
    // The send waited for the listing: the message is in incoming/ by now.
    let incoming = bench.names("incoming").0;
    assert_eq!(incoming.len(), 1, "{incoming:?}\n{}", bench.log());
    let text = fs::read_to_string(bench.spool("incoming").join(&incoming[0])).unwrap();
    assert!(text.ends_with("\n\nwaiting in the SIM"), "{text}");
    bench.stop_daemon();
}
