//! `smsgate send`, `inbox`, `ussd`, `at-chat` and `status`: the real binary
//! against the simulator, which runs in this test's process on real
//! pseudo-terminals. Each test has its own simulator, directory and lock
//! directory; all of it is stopped and removed when the test ends, also
//! when it fails.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use modem_sim::sim::{Injection, SimConfig, SimHandle, Simulator};
use modem_sim::{Fault, ModemConfig, SimState, TextEncoding};
use serde_json::json;
use sms_pdu::{MessageClass, Pdu, Tpdu};

use crate::util::{parse_json, TestCommand};

const PATIENCE: Duration = Duration::from_secs(10);

/// A simulator on a runtime of its own, so that the test thread can run
/// the binary and wait for it while the modems answer.
pub(crate) struct SimBench {
    runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
}

impl SimBench {
    pub(crate) fn start(n_modems: usize) -> SimBench {
        SimBench::start_with(n_modems, |_| {})
    }

    pub(crate) fn start_with(n_modems: usize, tweak: impl FnOnce(&mut SimConfig)) -> SimBench {
        let runtime = crate::spool_bench::runtime();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lock")).unwrap();
        let mut config = SimConfig::new(n_modems, dir.path().join("dev"));
        config.replug_pause = Duration::from_millis(100);
        tweak(&mut config);
        let sim = runtime.block_on(Simulator::start(config)).unwrap();
        SimBench {
            runtime,
            sim: Some(sim),
            dir,
        }
    }

    pub(crate) fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    /// Runs `future` (a simulator call) to its end.
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub(crate) fn path(&self, index: usize) -> String {
        self.dir
            .path()
            .join("dev")
            .join(format!("modem{index}"))
            .display()
            .to_string()
    }

    pub(crate) fn lock_dir(&self) -> PathBuf {
        self.dir.path().join("lock")
    }

    /// `smsgate` with `args` and this bench's lock directory.
    pub(crate) fn smsgate(&self, args: &[&str]) -> TestCommand {
        let mut command = TestCommand::new(args);
        let lock_dir = self.lock_dir();
        command.args([std::ffi::OsStr::new("--lock-dir"), lock_dir.as_os_str()]);
        command
    }

    /// Writes a config file and returns its path.
    pub(crate) fn config(&self, text: &str) -> String {
        let path = self.dir.path().join("smsgate.toml");
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    pub(crate) fn number(index: usize) -> String {
        format!("+{}", 4_917_200_000_000_u64 + index as u64)
    }

    pub(crate) fn submitted_tpdus(&self, index: usize) -> Vec<(Option<String>, Tpdu)> {
        self.block_on(self.sim().submitted(index))
            .unwrap()
            .into_iter()
            .map(|submitted| {
                let pdu = Pdu::decode(&submitted.pdu).unwrap().value;
                (pdu.smsc.map(|smsc| smsc.to_string()), pdu.tpdu)
            })
            .collect()
    }

    /// What modem `index` submitted, once it is at least `n_pdus` PDUs: the
    /// simulator's network records a submission just after the modem
    /// answers `+CMGS`, so a reader may be a moment early.
    pub(crate) fn wait_submitted(&self, index: usize, n_pdus: usize) -> Vec<(Option<String>, Tpdu)> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let submitted = self.submitted_tpdus(index);
            if submitted.len() >= n_pdus {
                return submitted;
            }
            assert!(
                Instant::now() < deadline,
                "modem {index} submitted {} PDUs, never {n_pdus}",
                submitted.len()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until modem `index` holds `n_messages` messages.
    pub(crate) fn wait_for_stored(&self, index: usize, n_messages: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.block_on(self.sim().modem(index)).unwrap().sm.0 < n_messages {
            assert!(
                Instant::now() < deadline,
                "modem {index} never got {n_messages} messages"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for SimBench {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

fn inject(bench: &SimBench, index: usize, from: &str, text: &str, parts_order: Option<Vec<usize>>) {
    let injection = Injection::Text {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding: TextEncoding::Auto,
        class0: false,
        parts_order,
    };
    bench.block_on(bench.sim().inject(index, injection)).unwrap();
}

#[test]
fn send_prints_the_references_and_the_message_goes_out() {
    let bench = SimBench::start(2);
    let to = SimBench::number(1);
    let stdout = bench
        .smsgate(&[
            "send",
            &bench.path(0),
            &to,
            "--message",
            "Hello from the command line",
        ])
        .stdout();
    eqnice!("1\n", stdout);
    // Longer than one message, and not GSM 7-bit: UCS2 in three parts.
    let long = "Labdien! Jūsu konta atlikums ir 5 EUR. ".repeat(4);
    let stdout = bench
        .smsgate(&[
            "send",
            &bench.path(0),
            &to,
            "--message",
            &long,
            "--json",
            "--status-report-request",
            "no",
            "--type",
            "class-0",
            "--smsc",
            "+15550001",
        ])
        .stdout();
    eqnice_json!(json!({"references": [2, 3, 4]}), parse_json(&stdout));
    let submitted = bench.wait_submitted(0, 4);
    assert_eq!(submitted.len(), 4);
    let (smsc, Tpdu::Submit(first)) = &submitted[0] else {
        panic!("not a SUBMIT");
    };
    assert_eq!(*smsc, None);
    assert!(
        first.status_report_request,
        "RouterOS asks for reports by default"
    );
    assert_eq!(first.dcs.class(), None);
    let (smsc, Tpdu::Submit(part)) = &submitted[1] else {
        panic!("not a SUBMIT");
    };
    assert_eq!(smsc.as_deref(), Some("+15550001"));
    assert!(!part.status_report_request);
    assert_eq!(part.dcs.class(), Some(MessageClass::Class0));
    assert_eq!(part.destination.to_string(), to);
    // A number without + is sent with the unknown type of address.
    bench
        .smsgate(&["send", &bench.path(0), "4917200000001", "--message", "x"])
        .stdout();
    let (_, Tpdu::Submit(national)) = &bench.wait_submitted(0, 5)[4] else {
        panic!("not a SUBMIT");
    };
    assert!(!national.destination.is_international());
}

#[test]
fn send_refuses_a_bad_number_before_touching_the_modem() {
    let bench = SimBench::start(1);
    let printed = bench
        .smsgate(&["send", &bench.path(0), "+371-2000", "--message", "x"])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains("PHONE: \"+371-2000\": only the characters 0-9 * # a b c are allowed"),
        "{}",
        printed.stderr
    );
    assert!(bench.submitted_tpdus(0).is_empty());
}

#[test]
fn inbox_lists_joined_messages_and_removes_them_whole() {
    let bench = SimBench::start(1);
    inject(&bench, 0, "+37120000000", "Sveiki!", None);
    inject(
        &bench,
        0,
        "+37120000001",
        &"garš ziņojums ".repeat(9),
        Some(vec![2, 1]),
    );
    bench.wait_for_stored(0, 3);
    let listed = parse_json(&bench.smsgate(&["inbox", &bench.path(0), "--json"]).stdout());
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["phone"], "+37120000000");
    assert_eq!(listed[0]["message"], "Sveiki!");
    assert_eq!(listed[0]["type"], "sms");
    // Read or not, as a daemon's listing of what it received says it.
    assert_eq!(listed[0]["status"], "received");
    // The service centre's clock, without the zone, which a daemon's
    // incoming/ file does not keep.
    let timestamp = listed[0]["timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() == 19 && timestamp.starts_with("20") && timestamp.as_bytes()[10] == b' ',
        "{timestamp}"
    );
    assert_eq!(listed[1]["indexes"], json!([3, 2]));
    assert_eq!(listed[1]["message"], "garš ziņojums ".repeat(9));
    assert_eq!(listed[1]["parts"], json!({"total": 2, "missing": []}));
    let stdout = bench.smsgate(&["inbox", &bench.path(0)]).stdout();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("1  +37120000000  20"), "{stdout}");
    assert!(lines[0].ends_with("  sms"), "{stdout}");
    assert_eq!(lines[1], "    Sveiki!");
    assert_eq!(lines[2], "");
    assert!(lines[3].starts_with("3,2  +37120000001  "), "{stdout}");
    assert_eq!(lines[4], format!("    {}", "garš ziņojums ".repeat(9)));

    let stdout = bench
        .smsgate(&["inbox", &bench.path(0), "--remove", "2"])
        .stdout();
    eqnice!("removed the message from +37120000001 at index 3,2\n", stdout);
    assert_eq!(bench.block_on(bench.sim().modem(0)).unwrap().sm.0, 1);
    let printed = bench
        .smsgate(&["inbox", &bench.path(0), "--remove", "9"])
        .expect_status(1);
    assert!(
        printed.stderr.contains("--remove 9: no message at index 9"),
        "{}",
        printed.stderr
    );
    bench
        .smsgate(&["inbox", &bench.path(0), "--remove", "1"])
        .stdout();
    eqnice!(
        "no messages\n",
        bench.smsgate(&["inbox", &bench.path(0)]).stdout()
    );
}

#[test]
fn ussd_decodes_the_routeros_example() {
    let bench = SimBench::start(1);
    bench
        .block_on(
            bench
                .sim()
                .set_ussd_raw(0, "*245#", "EBB79B1E0685E9ECF4BADE9E03", 15),
        )
        .unwrap();
    let stdout = bench.smsgate(&["ussd", &bench.path(0), "*245#"]).stdout();
    eqnice!("konta atlikums\n", stdout);
    let answer = parse_json(
        &bench
            .smsgate(&["ussd", &bench.path(0), "*245#", "--json"])
            .stdout(),
    );
    eqnice_json!(
        json!({
            "status": 0,
            "status_text": "no further user action required",
            "text": "konta atlikums",
            "raw": "EBB79B1E0685E9ECF4BADE9E03",
            "dcs": 15,
            "encoding": "gsm7-packed-hex",
        }),
        answer
    );
    let printed = bench.smsgate(&["ussd", &bench.path(0), "*999#"]).expect_status(1);
    assert!(
        printed
            .stderr
            .contains("the network answered +CUSD: 4 (operation not supported)"),
        "{}",
        printed.stderr
    );
}

#[test]
fn at_chat_prints_the_answer_and_fails_on_an_error_result() {
    let bench = SimBench::start(1);
    eqnice!(
        "+CSQ: 21,99\nOK\n",
        bench.smsgate(&["at-chat", &bench.path(0), "AT+CSQ"]).stdout()
    );
    let printed = bench
        .smsgate(&["at-chat", &bench.path(0), "AT+CMEE=7"])
        .expect_status(1);
    eqnice!("+CME ERROR: 50\n", printed.stdout);
    assert!(
        printed
            .stderr
            .contains("error: AT+CMEE=7: +CME ERROR: 50 (incorrect parameters)"),
        "{}",
        printed.stderr
    );
}

#[test]
fn status_as_text_and_json() {
    let bench = SimBench::start(1);
    let stdout = bench.smsgate(&["status", &bench.path(0)]).stdout();
    let expected = format!(
        "port:         {}\nregistration: registered, home network\noperator:     SMSGATE SIM\n\
         signal:       -71 dBm (5 of 5 bars)\nimei:         490154203237518\nimsi:         \
         001010123456789\niccid:        8900101001234567898\nsmsc:         +15555550000\n\
         storage:      SM 0/20\n",
        bench.path(0)
    );
    eqnice!(expected, stdout);
    let status = parse_json(&bench.smsgate(&["status", &bench.path(0), "--json"]).stdout());
    assert_eq!(
        status["signal"],
        json!({"rssi": 21, "ber": 99, "dbm": -71, "bars": 5})
    );
    assert_eq!(status["registration"]["registered"], true);
    assert_eq!(status["storage"], json!({"memory": "SM", "used": 0, "total": 20}));
    assert_eq!(status["problems"], json!([]));
}

#[test]
fn over_tcp() {
    let bench = SimBench::start_with(1, |sim| sim.tcp = Some("127.0.0.1:0".parse().unwrap()));
    let address = bench.block_on(bench.sim().modem(0)).unwrap().tcp.unwrap();
    let port = format!("tcp://{address}");
    eqnice!(
        "+CSQ: 21,99\nOK\n",
        bench.smsgate(&["at-chat", &port, "AT+CSQ"]).stdout()
    );
}

#[test]
fn ports_by_name_with_channels_from_the_config_file() {
    let bench = SimBench::start(2);
    let config = bench.config(&format!(
        "[ports.lte1]\ndevices = [\"{}\", \"{}\"]\nsms-storage = \"modem\"\n",
        bench.path(0),
        bench.path(1)
    ));
    let status = parse_json(
        &bench
            .smsgate(&["status", "lte1", "--channel", "1", "--config", &config, "--json"])
            .stdout(),
    );
    assert_eq!(status["port"], bench.path(1));
    assert_eq!(status["imei"], ModemConfig::numbered(1).imei);
    assert_eq!(status["storage"]["memory"], "ME");
    let printed = bench
        .smsgate(&["status", "lte2", "--config", &config])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains(&format!("no port \"lte2\" in {config} (ports: lte1)")),
        "{}",
        printed.stderr
    );
    let config = bench.config("[ports.lte1]\ndevice = \"/dev/ttyUSB0\"\nsim-pin = 1234\n");
    let printed = bench
        .smsgate(&["status", "lte1", "--config", &config])
        .expect_status(1);
    assert!(
        printed.stderr.contains(&format!(
            "error: {config}: line 3: ports.lte1.sim-pin: invalid type"
        )),
        "{}",
        printed.stderr
    );
    assert!(printed.stderr.contains("sim-pin"), "{}", printed.stderr);
}

#[test]
fn a_silent_modem_fails_fast_with_a_clear_message() {
    let bench = SimBench::start(1);
    bench.block_on(bench.sim().fault(0, Fault::Silence)).unwrap();
    let config = bench.config(&format!(
        "[ports.quiet]\ndevice = \"{}\"\nhandshake-timeout-ms = 200\n",
        bench.path(0)
    ));
    let started = Instant::now();
    let printed = bench
        .smsgate(&["status", "quiet", "--config", &config])
        .expect_status(1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    eqnice!(
        format!(
            "error: {}: no usable answer to the handshake (ESC AT: no answer; AT: no answer): is a \
             modem on this port, at this speed?\n",
            bench.path(0)
        ),
        printed.stderr
    );
}

#[test]
fn a_cms_error_on_send_shows_code_and_meaning() {
    let bench = SimBench::start(2);
    bench
        .block_on(bench.sim().fault(0, Fault::CmsError { code: 38, count: 1 }))
        .unwrap();
    let printed = bench
        .smsgate(&["send", &bench.path(0), &SimBench::number(1), "--message", "x"])
        .expect_status(1);
    assert!(printed.stdout.is_empty(), "{}", printed.stdout);
    eqnice!(
        format!(
            "error: {}: AT+CMGS=15: +CMS ERROR: 38 (network out of order)\n",
            bench.path(0)
        ),
        printed.stderr
    );
}

#[test]
fn the_sim_pin_from_the_config_is_entered_once() {
    let bench = SimBench::start_with(1, |sim| {
        sim.modems[0] = ModemConfig {
            pin: Some("4321".to_owned()),
            ..ModemConfig::numbered(0)
        };
    });
    let wrong = bench.config(&format!(
        "[ports.gsm]\ndevice = \"{}\"\nsim-pin = \"1111\"\n",
        bench.path(0)
    ));
    let printed = bench
        .smsgate(&["status", "gsm", "--config", &wrong])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains("the SIM rejected the configured sim-pin (+CME ERROR: 16 (incorrect password))"),
        "{}",
        printed.stderr
    );
    assert_eq!(
        bench.block_on(bench.sim().modem(0)).unwrap().sim,
        SimState::PinRequired { tries_left: 2 }
    );
    let printed = bench.smsgate(&["status", &bench.path(0)]).expect_status(1);
    assert!(
        printed.stderr.contains("no sim-pin is configured"),
        "{}",
        printed.stderr
    );
    let right = bench.config(&format!(
        "[ports.gsm]\ndevice = \"{}\"\nsim-pin = \"4321\"\n",
        bench.path(0)
    ));
    bench.smsgate(&["status", "gsm", "--config", &right]).stdout();
    assert_eq!(bench.block_on(bench.sim().modem(0)).unwrap().sim, SimState::Ready);
}

#[test]
fn echo_left_on_by_an_earlier_user_does_not_matter() {
    let bench = SimBench::start(2);
    eqnice!(
        "OK\n",
        bench.smsgate(&["at-chat", &bench.path(0), "ATE1"]).stdout()
    );
    bench
        .smsgate(&["send", &bench.path(0), &SimBench::number(0), "--message", "echo"])
        .stdout();
    bench.wait_for_stored(0, 1);
    let listed = parse_json(&bench.smsgate(&["inbox", &bench.path(0), "--json"]).stdout());
    assert_eq!(listed[0]["message"], "echo");
}

#[test]
fn the_port_vanishing_mid_send_leaves_the_outcome_unknown() {
    let bench = SimBench::start(2);
    // The modem takes the PDU, the network gets it, and the modem is gone
    // before it answers.
    bench.block_on(bench.sim().fault(0, Fault::UnplugOnSend)).unwrap();
    let printed = bench
        .smsgate(&["send", &bench.path(0), &SimBench::number(1), "--message", "gone"])
        .expect_status(1);
    let stderr = &printed.stderr;
    assert!(printed.stdout.is_empty(), "{}", printed.stdout);
    assert!(stderr.contains("went away"), "{stderr}");
    assert!(
        stderr.contains("its outcome is unknown (it may have been sent)"),
        "{stderr}"
    );
    assert!(stderr.contains("not retried"), "{stderr}");
    // It did go out, once.
    assert_eq!(bench.wait_submitted(0, 1).len(), 1);
}

#[test]
fn a_port_in_use_names_its_holder() {
    let bench = SimBench::start(1);
    let mut config = modem::Config::new(modem::PortAddress::Serial(bench.path(0).into()));
    config.lock_dir = Some(bench.lock_dir());
    let holder = bench.block_on(modem::ModemHandle::open(config)).unwrap();
    let printed = bench.smsgate(&["status", &bench.path(0)]).expect_status(1);
    let expected = format!(
        "error: {} is in use by PID {} (",
        bench.path(0),
        std::process::id()
    );
    assert!(printed.stderr.starts_with(&expected), "{}", printed.stderr);
    // The holder's command line is this test binary's.
    let test_binary = std::env::args().next().unwrap();
    assert!(printed.stderr.contains(&test_binary), "{}", printed.stderr);
    bench.block_on(holder.shutdown());
    bench.smsgate(&["status", &bench.path(0)]).stdout();
}

#[test]
fn debug_at_logs_every_write_and_read() {
    let bench = SimBench::start(1);
    let printed = bench
        .smsgate(&["at-chat", &bench.path(0), "AT+CSQ", "--debug-at"])
        .expect_status(0);
    assert!(printed.stderr.contains("gsm::write"), "{}", printed.stderr);
    assert!(printed.stderr.contains("AT+CSQ\\r"), "{}", printed.stderr);
    assert!(printed.stderr.contains("gsm::read"), "{}", printed.stderr);
    assert!(printed.stderr.contains("+CSQ: 21,99"), "{}", printed.stderr);
    let quiet = bench
        .smsgate(&["at-chat", &bench.path(0), "AT+CSQ"])
        .expect_status(0);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
}
