//! Modems found by identity (issue 14) on the simulator: two modems
//! configured by IMEI, their device links swapped between two runs of the
//! daemon (a re-plug that renumbers them): each configured modem keeps its
//! identity and its queue.

use std::fs;

use crate::spool_bench::{header_values, Setup, SpoolBench};

fn imei(bench: &SpoolBench, index: usize) -> String {
    bench
        .runtime
        .block_on(bench.sim().modem(index))
        .unwrap()
        .config
        .imei
}

/// Swaps the links of simulated modems 0 and 1.
fn swap_links(bench: &SpoolBench) {
    let swap = bench.dir.path().join("dev").join("swap");
    fs::rename(bench.device(0), &swap).unwrap();
    fs::rename(bench.device(1), bench.device(0)).unwrap();
    fs::rename(&swap, bench.device(1)).unwrap();
}

#[test]
fn modems_found_by_imei_keep_their_identity_and_queue_when_their_ports_swap() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 2,
        ..Setup::default()
    });
    let (imei_a, imei_b) = (imei(&bench, 0), imei(&bench, 1));
    let glob = bench.dir.path().join("dev").join("modem*").display().to_string();
    // gsm-a serves the queue of number(1), gsm-b that of number(0).
    let (to_a, to_b) = (SpoolBench::number(1), SpoolBench::number(0));
    bench.edit_config(|config| {
        format!(
            "{config}\n[ports.a]\ndevice = {glob:?}\nimei = {imei_a:?}\n\
             [ports.b]\ndevice = {glob:?}\nimei = {imei_b:?}\n\
             [modems.gsm-a]\nport = \"a\"\nqueues = [\"qa\"]\n\
             [modems.gsm-b]\nport = \"b\"\nqueues = [\"qb\"]\n\
             [queues.qa]\nprefixes = [{to_a:?}]\n\
             [queues.qb]\nprefixes = [{to_b:?}]\n"
        )
    });
    for run in 1..=2 {
        if run == 2 {
            swap_links(&bench);
        }
        bench.start_daemon();
        for (name, to) in [("a", &to_a), ("b", &to_b)] {
            let file = format!("{name}{run}");
            bench.drop_file(&file, &format!("To: {to}\n\nfor gsm-{name}, run {run}\n"));
            let sent = bench.wait_for_file("sent", &file);
            let (modem, imei) = match name {
                "a" => ("gsm-a", &imei_a),
                _ => ("gsm-b", &imei_b),
            };
            assert_eq!(header_values(&sent, "Modem"), [modem], "{sent}");
            assert_eq!(header_values(&sent, "IMEI"), [imei.as_str()], "{sent}");
        }
        bench.stop_daemon();
    }
    // The same physical modem sent each queue's messages, before and after.
    assert_eq!(bench.submitted_texts(0), ["for gsm-a, run 1", "for gsm-a, run 2"]);
    assert_eq!(bench.submitted_texts(1), ["for gsm-b, run 1", "for gsm-b, run 2"]);
}
