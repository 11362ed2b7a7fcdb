//! Logging to the journal (issue 14: "logs to the journal with priorities
//! and structured fields (modem, file, message id)"): the real daemon, run
//! as under systemd (`JOURNAL_STREAM` names its stderr), writes its events
//! to the journal's socket; the sent message's entry has its priority and
//! `MODEM=`, `FILE=`, `MESSAGE_ID=` fields.
//!
//! The journal is a datagram socket of this test's: the daemon runs in a
//! user and mount namespace (`unshare -rm`) where the test's directory is
//! mounted over `/run`, so `/run/systemd/journal/socket` is the test's.
//! Where namespaces are not allowed the test says so and checks nothing.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::spool_bench::{Setup, SpoolBench, PATIENCE};

/// Mounts `run/` next to the config (`$3`: `run --config PATH`) over
/// `/run`, says stderr is the journal's stream, and runs the daemon.
const AS_A_SERVICE: &str = "set -e; base=$(dirname \"$3\"); mount --bind \"$base/run\" /run; \
     JOURNAL_STREAM=$(stat -L -c %d:%i /dev/stderr); export JOURNAL_STREAM; exec \"$0\" \"$@\"";

fn namespaces_allowed() -> bool {
    Command::new("unshare")
        .args(["-rm", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// One native-protocol datagram's fields (`NAME=value\n`, or `NAME\n`, a
/// little-endian u64 length, the value and `\n`).
fn journal_fields(mut bytes: &[u8]) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'=') {
        let name = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let value;
        if bytes[end] == b'=' {
            let rest = &bytes[end + 1..];
            let stop = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            value = &rest[..stop];
            bytes = rest.get(stop + 1..).unwrap_or(&[]);
        } else {
            let rest = &bytes[end + 1..];
            let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
            value = &rest[8..8 + len];
            bytes = rest.get(8 + len + 1..).unwrap_or(&[]);
        }
        fields.insert(name, String::from_utf8_lossy(value).into_owned());
    }
    fields
}

#[test]
fn a_sent_message_reaches_the_journal_with_its_priority_and_modem_file_and_message_id_fields() {
    if !namespaces_allowed() {
        println!("SKIPPED: `unshare -rm` is not allowed here; the journal cannot be stood in for");
        return;
    }
    let mut bench = SpoolBench::build(Setup {
        n_modems: 1,
        wrap: &["unshare", "-rm", "sh", "-c", AS_A_SERVICE],
        ..Setup::default()
    });
    let socket_dir = bench.dir.path().join("run/systemd/journal");
    fs::create_dir_all(&socket_dir).unwrap();
    let journal = UnixDatagram::bind(socket_dir.join("socket")).unwrap();
    journal
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // Its log goes to the journal, not to stderr: not waited for as ready.
    bench.spawn_daemon();
    bench.drop_file(
        "journaled",
        &format!("To: {}\n\nto the journal\n", SpoolBench::number(0)),
    );
    bench.wait_for_file("sent", "journaled");

    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    let sent = loop {
        assert!(
            Instant::now() < deadline,
            "no sent entry in the journal; entries:\n{seen:#?}"
        );
        let mut buffer = vec![0; 64 * 1024];
        let Ok(len) = journal.recv(&mut buffer) else {
            continue;
        };
        let fields = journal_fields(&buffer[..len]);
        if fields
            .get("MESSAGE")
            .is_some_and(|text| text.contains("journaled: sent by modem0"))
        {
            break fields;
        }
        seen.push(fields);
    };
    assert_eq!(sent["PRIORITY"], "5", "{sent:#?}"); // info: notice
    assert_eq!(sent["SYSLOG_IDENTIFIER"], "smsgate", "{sent:#?}");
    assert_eq!(sent["MODEM"], "modem0", "{sent:#?}");
    assert_eq!(sent["FILE"], "journaled", "{sent:#?}");
    let message_id = &sent["MESSAGE_ID"];
    let sent_file = fs::read_to_string(bench.spool("sent").join("journaled")).unwrap();
    assert!(
        !message_id.is_empty() && sent_file.contains(message_id.as_str()),
        "{sent:#?}\n{sent_file}"
    );
    assert!(!sent.contains_key("F_MODEM"), "{sent:#?}");
    bench.stop_daemon();
}
