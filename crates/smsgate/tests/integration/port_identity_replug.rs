//! Modems found by identity re-plugged while the daemon runs (issue 14):
//! two modems configured by IMEI are unplugged and come back under each
//! other's device names, then one comes back under a new name; each
//! configured modem ends up on its own port, sends with its own identity,
//! keeps its queue and its per-SIM count (`/metrics` shows it at its
//! limit). A modem added by `ctl reload` is bound by its IMEI too.
//!
//! The simulator runs in the test's process on real pseudo-terminals; the
//! "USB" names are links of the test's own (`usb/ttyUSB*`) to the
//! simulator's ports, relinked while the modems are unplugged.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::time::Duration;

use modem_sim::Fault;

use crate::spool_bench::{header_values, Setup, SpoolBench};
use crate::util::TestCommand;

fn imei(bench: &SpoolBench, index: usize) -> String {
    bench
        .runtime
        .block_on(bench.sim().modem(index))
        .unwrap()
        .config
        .imei
}

fn usb(bench: &SpoolBench, name: &str) -> PathBuf {
    bench.dir.path().join("usb").join(name)
}

/// Points `usb/NAME` at simulated modem `index`'s port.
fn link(bench: &SpoolBench, name: &str, index: usize) {
    let path = usb(bench, name);
    let _ = fs::remove_file(&path);
    symlink(bench.device(index), path).unwrap();
}

/// A bench of two simulated modems, both only ports in the generated
/// config, plugged back `replug` after an unplug, and linked as
/// `usb/ttyUSB0` and `usb/ttyUSB1`.
fn bench(replug: Duration) -> SpoolBench {
    let bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 2,
        sim: Box::new(move |config| config.replug_pause = replug),
        ..Setup::default()
    });
    fs::create_dir(bench.dir.path().join("usb")).unwrap();
    link(&bench, "ttyUSB0", 0);
    link(&bench, "ttyUSB1", 1);
    bench
}

/// `[ports.NAME]` found by `imei` among `usb/ttyUSB*`.
fn port_by_imei(bench: &SpoolBench, name: &str, imei: &str) -> String {
    let glob = usb(bench, "ttyUSB*").display().to_string();
    format!("\n[ports.{name}]\ndevice = {glob:?}\nimei = {imei:?}\n")
}

/// Drops `file` for `to` and checks it went out on `modem` with `imei`.
fn sends(bench: &SpoolBench, file: &str, to: &str, modem: &str, imei: &str) {
    bench.drop_file(file, &format!("To: {to}\n\n{file}\n"));
    let sent = bench.wait_for_file("sent", file);
    assert_eq!(header_values(&sent, "Modem"), [modem], "{sent}");
    assert_eq!(header_values(&sent, "IMEI"), [imei], "{sent}");
}

fn wait_for_log(bench: &SpoolBench, what: &str) {
    bench.wait(what, || bench.log().contains(what));
}

/// The HTTP API's base address, from the daemon's log.
fn http_base(bench: &SpoolBench) -> String {
    let mut base = String::new();
    bench.wait("the daemon names its HTTP address", || {
        match bench.log().split("http API on ").nth(1) {
            Some(rest) => {
                base = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_owned();
                true
            }
            None => false,
        }
    });
    base
}

fn scrape(bench: &SpoolBench, base: &str) -> String {
    bench.runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("{base}/metrics"))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    })
}

#[test]
fn modems_found_by_imei_rebind_when_replugged_under_other_names_while_running() {
    let mut bench = bench(Duration::from_millis(1500));
    let (imei_a, imei_b) = (imei(&bench, 0), imei(&bench, 1));
    // gsm-a serves the queue of number(1), gsm-b that of number(0).
    let (to_a, to_b) = (SpoolBench::number(1), SpoolBench::number(0));
    let ports = port_by_imei(&bench, "a", &imei_a) + &port_by_imei(&bench, "b", &imei_b);
    bench.edit_config(|config| {
        format!(
            "{config}{ports}\
             [modems.gsm-a]\nport = \"a\"\nqueues = [\"qa\"]\n\
             [modems.gsm-a.limits]\nper-day = 3\n\
             [modems.gsm-b]\nport = \"b\"\nqueues = [\"qb\"]\n\
             [queues.qa]\nprefixes = [{to_a:?}]\n\
             [queues.qb]\nprefixes = [{to_b:?}]\n\
             [http]\nlisten = \"127.0.0.1:0\"\n"
        )
    });
    bench.start_daemon();
    let base = http_base(&bench);
    sends(&bench, "a1", &to_a, "gsm-a", &imei_a);
    sends(&bench, "b1", &to_b, "gsm-b", &imei_b);

    // Both unplugged; they come back under each other's names.
    bench.fault(0, Fault::Unplug);
    bench.fault(1, Fault::Unplug);
    link(&bench, "ttyUSB0", 1);
    link(&bench, "ttyUSB1", 0);
    let on = |modem: &str, name: &str| format!("modem {modem} is on {} now", usb(&bench, name).display());
    wait_for_log(&bench, &on("gsm-a", "ttyUSB1"));
    wait_for_log(&bench, &on("gsm-b", "ttyUSB0"));
    sends(&bench, "a2", &to_a, "gsm-a", &imei_a);
    sends(&bench, "b2", &to_b, "gsm-b", &imei_b);

    // gsm-a comes back under a name of its own.
    bench.fault(0, Fault::Unplug);
    fs::remove_file(usb(&bench, "ttyUSB1")).unwrap();
    link(&bench, "ttyUSB7", 0);
    wait_for_log(&bench, &on("gsm-a", "ttyUSB7"));
    sends(&bench, "a3", &to_a, "gsm-a", &imei_a);

    // Its count followed it: 3 of 3 today, it takes no fourth.
    bench.drop_file("a4", &format!("To: {to_a}\n\na4\n"));
    let mut metrics = String::new();
    bench.wait("gsm-a is at its limit in /metrics", || {
        metrics = scrape(&bench, &base);
        metrics.contains("smsgate_modem_limit_reached{modem=\"gsm-a\",limit=\"per-day\"} 1")
    });
    assert!(
        metrics.contains("smsgate_modem_limit_count{modem=\"gsm-a\",period=\"day\"} 3"),
        "{metrics}"
    );
    sends(&bench, "b3", &to_b, "gsm-b", &imei_b);
    assert!(!bench.names("sent").0.iter().any(|name| name == "a4"));
    // The same physical modem sent each queue's messages throughout.
    assert_eq!(bench.submitted_texts(0), ["a1", "a2", "a3"]);
    assert_eq!(bench.submitted_texts(1), ["b1", "b2", "b3"]);
    bench.stop_daemon();
}

fn ctl(bench: &SpoolBench, args: &[&str]) -> TestCommand {
    let mut command = TestCommand::new(["ctl"]);
    command.args(args);
    command.args([
        std::ffi::OsStr::new("--control"),
        bench.spool("smsgate.sock").as_os_str(),
    ]);
    command
}

#[test]
fn a_modem_added_by_reload_is_bound_by_its_imei_and_the_others_stay_put() {
    let mut bench = bench(Duration::from_millis(500));
    let (imei_a, imei_b) = (imei(&bench, 0), imei(&bench, 1));
    // gsm-b is the modem linked first: the glob alone would take it.
    link(&bench, "ttyUSB0", 1);
    link(&bench, "ttyUSB1", 0);
    let (to_a, to_b) = (SpoolBench::number(1), SpoolBench::number(0));
    let port_a = port_by_imei(&bench, "a", &imei_a);
    bench.edit_config(|config| {
        format!(
            "{config}{port_a}[modems.gsm-a]\nport = \"a\"\nqueues = [\"qa\"]\n\
             [queues.qa]\nprefixes = [{to_a:?}]\n"
        )
    });
    bench.start_daemon();
    sends(&bench, "a1", &to_a, "gsm-a", &imei_a);
    // A reload of the same file changes nothing: gsm-a keeps its port.
    assert_eq!(ctl(&bench, &["reload"]).stdout(), "reloaded: nothing changed\n");

    let port_b = port_by_imei(&bench, "b", &imei_b);
    bench.edit_config(|config| {
        format!(
            "{config}{port_b}[modems.gsm-b]\nport = \"b\"\nqueues = [\"qb\"]\n\
             [queues.qb]\nprefixes = [{to_b:?}]\n"
        )
    });
    let reloaded = ctl(&bench, &["reload", "--json"]).json();
    assert_eq!(
        reloaded["modems_added"],
        serde_json::json!(["gsm-b"]),
        "{reloaded}"
    );
    assert_eq!(reloaded["modems_changed"], serde_json::json!([]), "{reloaded}");
    let on_b = format!("modem gsm-b is on {} now", usb(&bench, "ttyUSB0").display());
    wait_for_log(&bench, &on_b);
    sends(&bench, "b1", &to_b, "gsm-b", &imei_b);
    sends(&bench, "a2", &to_a, "gsm-a", &imei_a);
    assert_eq!(bench.submitted_texts(0), ["a1", "a2"]);
    assert_eq!(bench.submitted_texts(1), ["b1"]);
    bench.stop_daemon();
}

#[test]
fn a_modem_not_found_at_start_joins_when_it_is_plugged_in() {
    let mut bench = bench(Duration::from_millis(500));
    let (imei_a, imei_b) = (imei(&bench, 0), imei(&bench, 1));
    // gsm-b's modem is not plugged in yet: no link to it.
    fs::remove_file(usb(&bench, "ttyUSB1")).unwrap();
    let (to_a, to_b) = (SpoolBench::number(1), SpoolBench::number(0));
    let ports = port_by_imei(&bench, "a", &imei_a) + &port_by_imei(&bench, "b", &imei_b);
    bench.edit_config(|config| {
        format!(
            "{config}{ports}\
             [modems.gsm-a]\nport = \"a\"\nqueues = [\"qa\"]\n\
             [modems.gsm-b]\nport = \"b\"\nqueues = [\"qb\"]\n\
             [queues.qa]\nprefixes = [{to_a:?}]\n\
             [queues.qb]\nprefixes = [{to_b:?}]\n"
        )
    });
    bench.start_daemon();
    assert!(
        bench.log().contains("modem gsm-b: no modem with IMEI"),
        "{}",
        bench.log()
    );
    bench.drop_file("b1", &format!("To: {to_b}\n\nb1\n"));
    sends(&bench, "a1", &to_a, "gsm-a", &imei_a);
    // Plugged in: found by a later round, and its waiting file goes.
    link(&bench, "ttyUSB3", 1);
    let sent = bench.wait_for_file("sent", "b1");
    assert_eq!(header_values(&sent, "Modem"), ["gsm-b"], "{sent}");
    assert_eq!(header_values(&sent, "IMEI"), [imei_b.as_str()], "{sent}");
    assert!(bench.log().contains(&format!(
        "modem gsm-b is on {} now",
        usb(&bench, "ttyUSB3").display()
    )));
    bench.stop_daemon();
}
