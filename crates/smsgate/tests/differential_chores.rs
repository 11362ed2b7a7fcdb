//! The differential test of smsd's chores against Debian's smstools3
//! (`smsd` 3.1.21), each on a simulator of its own with the same modem
//! identity (style C7: real peers, judged by what they write):
//!
//! - `phonecalls = clip` / `phonecalls = true`: a call is hung up and
//!   written to `phonecalls/`; the files must be equal but for the
//!   `Received:` time and the random part of the name, and the
//!   eventhandler is called with `CALL` and the file;
//! - `message_limit = 2` / `limits.per-period = 2`: of three files two
//!   are sent, the third waits;
//! - `regular_run_cmd`/`regular_run_statfile` / `[modems.NAME.regular-run]`:
//!   the statfile lines are equal but for their time stamp.
//!
//! smsd must be installed: when it is missing the test fails, it never
//! skips. Both daemons are killed, with their process groups, in teardown.

#[path = "differential/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{drop_file, tail, wait_for, Rig};

const MODEM: &str = "GSM1";
const LIMIT: Duration = Duration::from_secs(60);

/// An eventhandler that logs its first argument and the directory of its
/// second, one line per call.
fn eventhandler(rig: &Rig) -> (PathBuf, PathBuf) {
    let log = rig.path("events.log");
    let script = rig.path("event.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s %s\\n' \"$1\" \"$(basename \"$(dirname \"$2\")\")\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (script, log)
}

/// The only file of `dir` (waits for it).
fn only_file(dir: &Path, what: &str, diagnose: impl Fn() -> String) -> (String, String) {
    wait_for(
        what,
        LIMIT,
        || {
            let names: Vec<String> = std::fs::read_dir(dir)
                .ok()?
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| !name.starts_with('.'))
                .collect();
            let [name] = names.as_slice() else { return None };
            let text = std::fs::read_to_string(dir.join(name)).ok()?;
            text.ends_with('\n').then(|| (name.clone(), text))
        },
        diagnose,
    )
}

fn without_received(file: &str) -> String {
    file.lines()
        .filter(|line| !line.starts_with("Received: "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The statfile's two lines without their time stamp (`YYYY-MM-DD
/// hh:mm:ss`, with milliseconds under the rig's `logtime_ms`), once both
/// are there (smsd writes them one by one).
fn stat_lines(path: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let lines: Vec<String> = text
        .lines()
        .map(|line| line.find(",5, ").map_or(line, |at| &line[at..]).to_owned())
        .collect();
    (lines.len() == 2).then_some(lines)
}

fn n_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
            .count()
    })
}

#[test]
fn phonecalls_limits_and_regular_run_write_what_smsd_writes() {
    let smsd_rig = Rig::start("smsgate-chores-smsd-");
    let gate_rig = Rig::start("smsgate-chores-smsgate-");

    let (smsd_event, smsd_events) = eventhandler(&smsd_rig);
    let smsd_calls = smsd_rig.path("spool").join("phonecalls");
    std::fs::create_dir_all(&smsd_calls).unwrap();
    let smsd_stat = smsd_rig.path("GSM1.stat");
    let (_smsd, smsd_spool) = smsd_rig.start_smsd(
        MODEM,
        &format!(
            "phonecalls = {}\neventhandler = {}\n",
            smsd_calls.display(),
            smsd_event.display()
        ),
        &format!(
            "incoming = yes\nphonecalls = clip\nmessage_limit = 2\nregular_run_cmd = AT+CSQ\n\
             regular_run_cmd = AT+COPS?\nregular_run_interval = 2\nregular_run_statfile = {}\n",
            smsd_rig.path("modemname.stat").display()
        ),
    );
    let smsd_log = smsd_spool.join("smsd.log");

    let (gate_event, gate_events) = eventhandler(&gate_rig);
    let gate_stat = gate_rig.path("GSM1.stat");
    let gate = gate_rig.start_smsgate(
        MODEM,
        "",
        &format!(
            "receive = true\nphonecalls = true\n\n[modems.{MODEM}.limits]\nper-period = 2\n\n\
             [modems.{MODEM}.regular-run]\ninterval-s = 2\ncommands = [\"AT+CSQ\", \"AT+COPS?\"]\n\
             statfile = {:?}\n\n[handlers]\neventhandler = {:?}\n",
            gate_stat.display().to_string(),
            gate_event.display().to_string()
        ),
        &["outgoing", "checked", "sent", "failed", "incoming"],
        |_| String::new(),
        40,
    );
    let diagnose = || format!("{}\n{}", tail(&smsd_log, 40), tail(&gate.log, 40));

    // regular_run: both have run once the modem is set up (+CLIP=1 too).
    let smsd_lines = wait_for("smsd's statfile", LIMIT, || stat_lines(&smsd_stat), diagnose);
    let gate_lines = wait_for("smsgate's statfile", LIMIT, || stat_lines(&gate_stat), diagnose);
    assert_eq!(gate_lines, smsd_lines);

    // A call: hung up, the same file, the same event.
    smsd_rig.incoming_call("+37120000000");
    gate_rig.incoming_call("+37120000000");
    let (smsd_name, smsd_file) = only_file(&smsd_calls, "smsd's phonecalls file", diagnose);
    let (gate_name, gate_file) = only_file(
        &gate.spool.join("phonecalls"),
        "smsgate's phonecalls file",
        diagnose,
    );
    assert_eq!(without_received(&gate_file), without_received(&smsd_file));
    assert!(
        smsd_name.starts_with("GSM1.") && smsd_name.len() == 11,
        "{smsd_name}"
    );
    assert!(
        gate_name.starts_with("GSM1.") && gate_name.len() == 11,
        "{gate_name}"
    );
    for events in [&smsd_events, &gate_events] {
        wait_for(
            "the CALL event",
            LIMIT,
            || {
                std::fs::read_to_string(events)
                    .ok()?
                    .lines()
                    .any(|line| line == "CALL phonecalls")
                    .then_some(())
            },
            diagnose,
        );
    }

    // message_limit = 2: two of three go.
    for (index, spool) in [&smsd_spool, &gate.spool].into_iter().enumerate() {
        for file in 1..=3 {
            let text = format!("To: 491720000000{file}\n\nlimited {file}\n");
            drop_file(
                &spool.join("outgoing"),
                &format!("limited-{index}-{file}"),
                text.as_bytes(),
            );
        }
    }
    wait_for(
        "smsd to reach its limit",
        LIMIT,
        || {
            std::fs::read_to_string(&smsd_log)
                .ok()?
                .contains("Message limit 2 is reached.")
                .then_some(())
        },
        diagnose,
    );
    wait_for(
        "smsgate to hold the third",
        LIMIT,
        || {
            std::fs::read_to_string(&gate.log)
                .ok()?
                .contains("waits: every modem serving it is at a limit")
                .then_some(())
        },
        diagnose,
    );
    assert_eq!(n_files(&smsd_spool.join("sent")), 2, "{}", diagnose());
    assert_eq!(n_files(&gate.spool.join("sent")), 2, "{}", diagnose());
    assert_eq!(smsd_rig.submitted().len(), 2);
    assert_eq!(gate_rig.submitted().len(), 2);
    drop(gate.daemon);
}
