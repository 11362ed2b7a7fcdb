//! The probe on the simulator's real pseudo-terminals: two modems found by
//! IMEI follow their identity when their links swap (a re-plug that
//! renumbers them), and a port another user holds is neither probed into
//! nor disturbed.

use std::collections::BTreeMap;
use std::path::Path;

use modem::{ModemHandle, PortAddress};
use modem_sim::sim::{SimConfig, Simulator};

use super::*;

fn wanted(dir: &Path, imeis: &[(&str, &str)]) -> BTreeMap<String, Wanted> {
    let glob = dir.join("modem*").display().to_string();
    imeis
        .iter()
        .map(|(name, imei)| {
            let wanted = Wanted {
                imei: Some((*imei).to_owned()),
                iccid: None,
                globs: vec![glob.clone()],
            };
            ((*name).to_owned(), wanted)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modems_found_by_imei_follow_a_swap_of_their_ports_and_a_held_port_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dev");
    let lock_dir = dir.path().join("lock");
    std::fs::create_dir_all(&lock_dir).unwrap();
    let mut config = SimConfig::new(3, &dev);
    config.modems[0].imei = "490154203237518".to_owned();
    config.modems[1].imei = "353490061234560".to_owned();
    let third_imei = config.modems[2].imei.clone();
    let sim = Simulator::start(config).await.unwrap();
    // modem2 is in use by someone else (a handle of its own, as minicom).
    let mut holder_config = modem::Config::new(PortAddress::Serial(dev.join("modem2")));
    holder_config.lock_dir = Some(lock_dir.clone());
    let holder = ModemHandle::open(holder_config).await.unwrap();
    let modems = wanted(
        &dev,
        &[
            ("gsm-a", "490154203237518"),
            ("gsm-b", "353490061234560"),
            ("gsm-c", &third_imei),
        ],
    );
    let sections = BTreeMap::new();

    let bindings = probe_and_bind(&modems, &sections, &[], &lock_dir).await;
    assert_eq!(bindings.bound["gsm-a"], dev.join("modem0"));
    assert_eq!(bindings.bound["gsm-b"], dev.join("modem1"));
    // The held port was not taken from its user, who still talks to it.
    assert!(bindings.unbound.contains_key("gsm-c"), "{bindings:?}");
    assert!(holder.at_chat("AT", None).await.is_ok());

    // The re-plug: the two links swap.
    let swap = dev.join("swap");
    std::fs::rename(dev.join("modem0"), &swap).unwrap();
    std::fs::rename(dev.join("modem1"), dev.join("modem0")).unwrap();
    std::fs::rename(&swap, dev.join("modem1")).unwrap();
    let bindings = probe_and_bind(&modems, &sections, &[], &lock_dir).await;
    assert_eq!(bindings.bound["gsm-a"], dev.join("modem1"));
    assert_eq!(bindings.bound["gsm-b"], dev.join("modem0"));

    // A port a running modem of ours holds is not probed at all.
    let bindings = probe_and_bind(&modems, &sections, &[dev.join("modem1")], &lock_dir).await;
    assert!(!bindings.bound.contains_key("gsm-a"), "{bindings:?}");
    assert_eq!(bindings.bound["gsm-b"], dev.join("modem0"));

    holder.shutdown().await;
    sim.shutdown().await;
}
