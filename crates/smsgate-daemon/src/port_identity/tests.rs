use super::*;

fn imei(imei: &str) -> Wanted {
    Wanted {
        imei: Some(imei.to_owned()),
        ..Wanted::default()
    }
}

fn answered(path: &str, imei: &str, iccid: &str) -> (PathBuf, Probe) {
    (
        PathBuf::from(path),
        Probe::Answered(Answer {
            imei: Some(imei.to_owned()),
            iccid: Some(iccid.to_owned()),
        }),
    )
}

fn wanted(modems: &[(&str, Wanted)]) -> BTreeMap<String, Wanted> {
    modems
        .iter()
        .map(|(name, wanted)| ((*name).to_owned(), wanted.clone()))
        .collect()
}

fn bound(bindings: &Bindings) -> Vec<(&str, &str)> {
    bindings
        .bound
        .iter()
        .map(|(name, path)| (name.as_str(), path.to_str().unwrap()))
        .collect()
}

/// The re-plug of issue 14: the two links swap; each modem follows its
/// IMEI.
#[test]
fn modems_follow_their_imei_when_the_ports_swap() {
    let modems = wanted(&[
        ("gsm1", imei("490154203237518")),
        ("gsm2", imei("490154203237526")),
    ]);
    let before = [
        answered("/dev/ttyUSB0", "490154203237518", "8900101000123456789"),
        answered("/dev/ttyUSB1", "490154203237526", "8900101000123456797"),
    ];
    assert_eq!(
        bound(&bind(&modems, &before)),
        [("gsm1", "/dev/ttyUSB0"), ("gsm2", "/dev/ttyUSB1")]
    );
    let after = [
        answered("/dev/ttyUSB0", "490154203237526", "8900101000123456797"),
        answered("/dev/ttyUSB1", "490154203237518", "8900101000123456789"),
    ];
    assert_eq!(
        bound(&bind(&modems, &after)),
        [("gsm1", "/dev/ttyUSB1"), ("gsm2", "/dev/ttyUSB0")]
    );
}

#[test]
fn iccid_answers_are_compared_by_their_digits() {
    let modems = wanted(&[(
        "sim",
        Wanted {
            iccid: Some("89490200001234567890".to_owned()),
            ..Wanted::default()
        },
    )]);
    let probes = [answered("/dev/ttyACM0", "1", "+CCID: \"89490200001234567890F\"")];
    assert_eq!(bound(&bind(&modems, &probes)), [("sim", "/dev/ttyACM0")]);
}

#[test]
fn both_identities_must_match() {
    let modems = wanted(&[(
        "gsm1",
        Wanted {
            imei: Some("111".to_owned()),
            iccid: Some("222".to_owned()),
            globs: Vec::new(),
        },
    )]);
    // The modem is there but holds another SIM.
    let probes = [answered("/dev/ttyUSB0", "111", "333")];
    let bindings = bind(&modems, &probes);
    assert!(bindings.bound.is_empty());
    assert_eq!(
        bindings.unbound["gsm1"],
        "no modem with IMEI 111 and ICCID 222 on any port probed"
    );
}

/// A multi-port modem answers the same on each tty: the first by path.
#[test]
fn a_multi_port_modem_gets_its_first_port() {
    let modems = wanted(&[("lte", imei("777"))]);
    let probes = [
        answered("/dev/ttyUSB3", "777", ""),
        answered("/dev/ttyUSB2", "777", ""),
    ];
    assert_eq!(bound(&bind(&modems, &probes)), [("lte", "/dev/ttyUSB2")]);
}

#[test]
fn globs_limit_the_ports_and_a_glob_alone_takes_what_is_left() {
    let by_id = "/dev/serial/by-id/usb-Quectel*";
    let modems = wanted(&[
        (
            "quectel",
            Wanted {
                imei: Some("777".to_owned()),
                iccid: None,
                globs: vec![by_id.to_owned()],
            },
        ),
        (
            "any",
            Wanted {
                globs: vec!["/dev/serial/by-id/*".to_owned()],
                ..Wanted::default()
            },
        ),
    ]);
    let probes = [
        // The same IMEI outside the glob is not taken.
        answered("/dev/ttyUSB9", "777", ""),
        answered("/dev/serial/by-id/usb-Quectel_EG25-if02", "777", ""),
        answered("/dev/serial/by-id/usb-Huawei-if00", "555", ""),
    ];
    assert_eq!(
        bound(&bind(&modems, &probes)),
        [
            ("any", "/dev/serial/by-id/usb-Huawei-if00"),
            ("quectel", "/dev/serial/by-id/usb-Quectel_EG25-if02"),
        ]
    );
}

#[test]
fn ports_that_did_not_answer_are_not_bound_and_a_port_goes_to_one_modem() {
    let modems = wanted(&[("a", imei("1")), ("b", imei("1")), ("c", Wanted::default())]);
    let probes = [
        (
            PathBuf::from("/dev/ttyUSB0"),
            Probe::Unavailable("held by minicom (pid 42)".to_owned()),
        ),
        answered("/dev/ttyUSB1", "1", ""),
    ];
    let bindings = bind(&modems, &probes);
    assert_eq!(bound(&bindings), [("a", "/dev/ttyUSB1")]);
    assert_eq!(bindings.unbound["b"], "no modem with IMEI 1 on any port probed");
    assert_eq!(bindings.unbound["c"], "no free modem on any port probed");
}

#[test]
fn an_empty_identity_matches_nothing() {
    let modems = wanted(&[("a", imei(""))]);
    let probes = [answered("/dev/ttyUSB1", "", "")];
    assert!(bind(&modems, &probes).bound.is_empty());
}

/// Ports a running modem holds are not probed; a link and its target are
/// one port.
#[test]
fn candidates_skip_ports_in_use_and_duplicates() {
    let pair = |path: &str, device: &str| (PathBuf::from(path), PathBuf::from(device));
    let found = [
        pair("/dev/serial/by-id/a", "/dev/ttyUSB0"),
        pair("/dev/ttyUSB0", "/dev/ttyUSB0"),
        pair("/dev/serial/by-id/b", "/dev/ttyUSB1"),
        pair("/dev/ttyUSB2", "/dev/ttyUSB2"),
    ];
    let in_use = [PathBuf::from("/dev/ttyUSB1")];
    assert_eq!(
        candidates(&found, &in_use),
        [
            PathBuf::from("/dev/serial/by-id/a"),
            PathBuf::from("/dev/ttyUSB2")
        ]
    );
}

#[test]
fn glob_matching() {
    assert!(name_matches("ttyUSB*", "ttyUSB12"));
    assert!(name_matches("*if0?", "usb-Quectel-if02"));
    assert!(name_matches("*", ""));
    assert!(name_matches("a*b*c", "aXXbYYc"));
    assert!(!name_matches("a*b*c", "aXXbYY"));
    assert!(!name_matches("ttyUSB?", "ttyUSB12"));
    assert!(path_matches(
        "/dev/serial/by-id/*",
        Path::new("/dev/serial/by-id/usb-x")
    ));
    assert!(!path_matches("/dev/serial/by-id/*", Path::new("/dev/ttyUSB0")));
}
