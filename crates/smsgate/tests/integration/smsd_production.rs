//! `smsgate run` with smstools3's production settings (issue 12.24, part
//! A): `blacklist`/`whitelist`, the `*-copy` directories,
//! `keep-filename = false` with `Original_filename:`, a modem's `number`,
//! `description` and own `eventhandler`, and `eventhandler-ussd`. The
//! real binary on the in-process simulator, on `spool_bench`.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use modem_sim::Fault;

use crate::spool_bench::{header_values, wait_for_lines, Setup, SpoolBench};
use crate::util::TestCommand;

/// Modem 0 sends, modem 1 only receives (what modem 0 sends it).
fn sender_and_receiver(spool: &str, modem0: &str) -> SpoolBench {
    let keys = [modem0, "receive = true\nsend = false"];
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        spool,
        modem_keys: &keys,
        ..Setup::default()
    });
    bench.start_daemon();
    bench
}

/// The one file of `sub/` (waiting for it), its name and text.
fn only_file(bench: &SpoolBench, sub: &str) -> (String, String) {
    bench.wait(&format!("one file in {sub}/"), || bench.names(sub).0.len() == 1);
    let name = bench.names(sub).0.remove(0);
    let text = fs::read_to_string(bench.spool(sub).join(&name)).unwrap();
    (name, text)
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// smsd's blacklist.c and whitelist.c: prefixes, `s` for short numbers,
/// the blacklist first, a whitelist `[QUEUE]`, smsd's `Fail_reason:`
/// texts, and the lists read at each message, so an edit counts at once.
#[test]
fn blacklist_and_whitelist_refuse_destinations_as_smsd_does() {
    let dir = tempfile::tempdir().unwrap();
    let blacklist = dir.path().join("blacklist");
    let whitelist = dir.path().join("whitelist");
    fs::write(&blacklist, "491721234567 # Michael\ns123\n").unwrap();
    // The first line that matches counts: [vip] before the wider prefix.
    fs::write(&whitelist, "[vip]\n4917299\n[]\n49172 # Germany\n").unwrap();
    let spool = format!(
        "blacklist = {:?}\nwhitelist = {:?}",
        blacklist.display().to_string(),
        whitelist.display().to_string()
    );
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        spool: &spool,
        modem_keys: &["", "queues = [\"vip\"]"],
        rest: "\n[queues.vip]\nprefixes = [\"3712\"]\n",
        ..Setup::default()
    });
    bench.start_daemon();
    bench.drop_file("black", "To: +491721234567\n\nblack\n");
    bench.drop_file("short-black", "To: s1234\n\nshort\n");
    bench.drop_file("not-white", "To: 37120000000\n\nnot white\n");
    bench.drop_file("white", "To: 491720000001\n\nwhite\n");
    bench.drop_file("vip", "To: 491729912345\n\nvip\n");
    for (name, reason) in [
        ("black", "Destination is blacklisted"),
        ("short-black", "Destination is blacklisted"),
        ("not-white", "Destination is not whitelisted"),
    ] {
        let failed = bench.wait_for_file("failed", name);
        assert_eq!(header_values(&failed, "Fail_reason"), [reason], "{failed}");
        assert!(header_values(&failed, "Modem").is_empty(), "{failed}");
    }
    let white = bench.wait_for_file("sent", "white");
    assert_eq!(header_values(&white, "Modem"), ["modem0"], "{white}");
    // The whitelist's [vip] sends it through the queue only modem1 serves.
    let vip = bench.wait_for_file("sent", "vip");
    assert_eq!(header_values(&vip, "Modem"), ["modem1"], "{vip}");
    // Edited while the daemon runs: the next file reads the new list.
    fs::write(&blacklist, "49172\n").unwrap();
    bench.drop_file("white-later", "To: 491720000001\n\nlater\n");
    let later = bench.wait_for_file("failed", "white-later");
    assert_eq!(
        header_values(&later, "Fail_reason"),
        ["Destination is blacklisted"]
    );
    // A list that cannot be read fails the file (nothing is sent that the
    // list might refuse), with the reason.
    fs::remove_file(&whitelist).unwrap();
    fs::write(&blacklist, "").unwrap();
    bench.drop_file("unreadable", "To: 491720000001\n\nunreadable\n");
    let unreadable = bench.wait_for_file("failed", "unreadable");
    let reason = header_values(&unreadable, "Fail_reason").join("");
    assert!(
        reason.starts_with(&format!("the whitelist {} cannot be read", whitelist.display())),
        "{unreadable}"
    );
    assert_eq!(bench.submitted_texts(0), ["white"]);
    assert_eq!(bench.submitted_texts(1), ["vip"]);
    bench.stop_daemon();
}

/// smsd's `sent_copy`, `failed_copy`, `incoming_copy`, `report_copy`: the
/// same bytes under the same name, with the spool's file mode; with
/// `eventhandler_use_copy` the eventhandler gets the copies.
#[test]
fn copies_of_finished_files_go_to_the_copy_directories() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |sub: &str| dir.path().join(sub).display().to_string();
    let spool = format!(
        "file-mode = \"0640\"\nsent-copy = {:?}\nfailed-copy = {:?}\nincoming-copy = {:?}\nreport-copy = {:?}\n\
         eventhandler-use-copy = true",
        copy("sent"),
        copy("failed"),
        copy("incoming"),
        copy("report")
    );
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        spool: &spool,
        modem_keys: &["receive = true", "receive = true\nsend = false"],
        ..Setup::default()
    });
    let events = bench.eventhandler();
    bench.start_daemon();
    let to = SpoolBench::number(1);
    bench.drop_file("hello", &format!("To: {to}\nReport: yes\n\nhello\n"));
    bench.drop_file("broken", "To: abc\n\nno number\n");
    let failed = bench.wait_for_file("failed", "broken");
    let (_, incoming) = only_file(&bench, "incoming");
    let (_, report) = only_file(&bench, "report");
    bench.wait("the sent file records the report", || {
        fs::read_to_string(bench.spool("sent").join("hello"))
            .unwrap_or_default()
            .contains("Status_report:")
    });
    let lines = wait_for_lines(&events, 4);
    for (sub, text) in [("failed", &failed), ("incoming", &incoming), ("report", &report)] {
        let (name, _) = only_file(&bench, sub);
        let copied = dir.path().join(sub).join(&name);
        assert_eq!(&fs::read_to_string(&copied).unwrap(), text, "{sub}/{name}");
        let mode = mode_of(&bench.spool(sub).join(&name));
        assert_eq!(mode_of(&copied), mode, "{sub}/{name}: {mode:o}");
        assert!(
            lines
                .iter()
                .any(|line| line.contains(&format!("|{}", copied.display()))),
            "the eventhandler got {}: {lines:?}",
            copied.display()
        );
    }
    // The sent copy is the file as it was sent (a report line added later
    // goes to the spool's file only, as in smsd).
    let sent_copy = fs::read_to_string(dir.path().join("sent/hello")).unwrap();
    assert_eq!(header_values(&sent_copy, "Modem"), ["modem0"], "{sent_copy}");
    assert_eq!(
        mode_of(&dir.path().join("sent/hello")),
        mode_of(&bench.spool("sent/hello"))
    );
    assert!(lines
        .iter()
        .any(|line| line.starts_with(&format!("SENT|{}|", dir.path().join("sent/hello").display()))));
    bench.stop_daemon();
}

/// smsd's `keep_filename = no`: names of their own in `sent/` and
/// `failed/` (`MODEM.xxxxxx`, `smsd.xxxxxx` for a file refused before any
/// modem had it), `Original_filename:` as smsd writes it, and the modem's
/// `Number:` and `Description:`; a status report is linked to the new
/// name.
#[test]
fn keep_filename_false_gives_unique_names_and_original_filename() {
    let mut bench = sender_and_receiver(
        "keep-filename = false",
        "number = \"4917200000000\"\ndescription = \"rack A slot 1\"\nreceive = true\nsend-retries = 0",
    );
    let to = SpoolBench::number(1);
    bench.drop_file("same name", &format!("To: {to}\nReport: yes\n\nfirst\n"));
    bench.wait("the first is sent", || bench.names("sent").0.len() == 1);
    bench.drop_file("same name", &format!("To: {to}\n\nsecond\n"));
    bench.wait("both are sent", || bench.names("sent").0.len() == 2);
    bench.drop_file("same name", "To: abc\n\nrefused\n");
    let (failed_name, failed) = only_file(&bench, "failed");
    // Its copy in failed/ comes before the unlink of the original in
    // outgoing/: a namesake dropped in between would be the one unlinked.
    bench.wait("the refused file left outgoing/", || {
        bench.names("outgoing").0.is_empty()
    });
    assert!(is_unique_name(&failed_name, "smsd"), "{failed_name}");
    assert_eq!(
        header_values(&failed, "Original_filename"),
        ["same name"],
        "{failed}"
    );
    // Given up by the modem (send-retries = 0): the modem's name, and
    // its number and description, as smsd writes them.
    bench.fault(0, Fault::CmsError { code: 38, count: 1 });
    bench.drop_file("same name", &format!("To: {to}\n\nrefused by the network\n"));
    bench.wait("two files in failed/", || bench.names("failed").0.len() == 2);
    let given_up: Vec<String> = bench
        .names("failed")
        .0
        .into_iter()
        .filter(|name| *name != failed_name)
        .collect();
    assert!(is_unique_name(&given_up[0], "modem0"), "{given_up:?}");
    let given_up = fs::read_to_string(bench.spool("failed").join(&given_up[0])).unwrap();
    assert_eq!(
        header_values(&given_up, "Original_filename"),
        ["same name"],
        "{given_up}"
    );
    assert_eq!(
        header_values(&given_up, "Number"),
        ["4917200000000"],
        "{given_up}"
    );
    assert_eq!(
        header_values(&given_up, "Description"),
        ["rack A slot 1"],
        "{given_up}"
    );
    let sent = bench.names("sent").0;
    let mut bodies = Vec::new();
    for name in &sent {
        assert!(is_unique_name(name, "modem0"), "{name}");
        let text = fs::read_to_string(bench.spool("sent").join(name)).unwrap();
        let headers: Vec<&str> = text
            .lines()
            .take_while(|line| !line.is_empty())
            .filter_map(|line| line.split_once(": ").map(|(header, _)| header))
            .filter(|header| !matches!(*header, "X-Smsgate-Id" | "Report"))
            .collect();
        assert_eq!(
            headers[..6],
            [
                "To",
                "Original_filename",
                "Modem",
                "Number",
                "Description",
                "Sent"
            ],
            "{text}"
        );
        assert_eq!(header_values(&text, "Original_filename"), ["same name"]);
        assert_eq!(header_values(&text, "Number"), ["4917200000000"]);
        assert_eq!(header_values(&text, "Description"), ["rack A slot 1"]);
        bodies.push(text.split_once("\n\n").unwrap().1.to_owned());
    }
    bodies.sort();
    assert_eq!(bodies, ["first\n", "second\n"]);
    // The report of the first names its sent file by its new name.
    let (_, report) = only_file(&bench, "report");
    let sent_file = header_values(&report, "Sent_file");
    assert_eq!(sent_file.len(), 1, "{report}");
    assert!(sent.contains(&sent_file[0]), "{report}");
    bench.wait("the sent file records the report", || {
        fs::read_to_string(bench.spool("sent").join(&sent_file[0]))
            .unwrap()
            .contains("Status_report:")
    });
    bench.stop_daemon();
}

fn is_unique_name(name: &str, prefix: &str) -> bool {
    name.split_once('.').is_some_and(|(start, suffix)| {
        start == prefix && suffix.len() == 6 && suffix.bytes().all(|byte| byte.is_ascii_alphanumeric())
    })
}

/// smsd's per-modem `eventhandler` (with `modemname`): a modem's
/// events (SENT, FAILED by it, RECEIVED) go to its own handler; a file
/// refused before any modem had it goes to `[handlers] eventhandler`.
#[test]
fn a_modems_own_eventhandler_runs_for_its_events() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        modem_keys: &["", "receive = true\nsend = false"],
        ..Setup::default()
    });
    let global_log = bench.eventhandler();
    let own = bench.dir.path().join("own-modemname").display().to_string();
    for modem in ["modem0", "modem1"] {
        let log = bench.dir.path().join(format!("{modem}.log"));
        bench.script(
            &format!("own-{modem}"),
            &format!(
                "line=$(printf '%s|' \"$@\")\nprintf '%s\\n' \"$line\" >> '{}'",
                log.display()
            ),
        );
        bench.section_keys(&format!("modems.{modem}"), &format!("eventhandler = {own:?}"));
    }
    bench.start_daemon();
    bench.drop_file("to-modem1", &format!("To: {}\n\nhi\n", SpoolBench::number(1)));
    bench.drop_file("no-number", "To: abc\n\nrefused before any modem\n");
    let sent = wait_for_lines(&bench.dir.path().join("modem0.log"), 1);
    assert!(sent[0].starts_with("SENT|"), "{sent:?}");
    let received = wait_for_lines(&bench.dir.path().join("modem1.log"), 1);
    assert!(received[0].starts_with("RECEIVED|"), "{received:?}");
    let global = wait_for_lines(&global_log, 1);
    assert!(global[0].starts_with("FAILED|"), "{global:?}");
    bench.stop_daemon();
    let global = fs::read_to_string(&global_log).unwrap();
    assert_eq!(
        global.lines().count(),
        1,
        "the modems' events went to the global handler: {global}"
    );
}

/// smsd's `eventhandler_ussd`: `USSD FILE MODEM CHARSET COMMAND`, FILE
/// holding the answer; its first line, as the handler left it, is the
/// answer.
#[test]
fn eventhandler_ussd_runs_with_smsds_arguments_and_may_rewrite_the_answer() {
    let mut bench = SpoolBench::build(Setup {
        n_modems: 1,
        ..Setup::default()
    });
    let log = bench.dir.path().join("ussd.log");
    let handler = bench.script(
        "ussd",
        &format!(
            "printf '%s|' \"$@\" >> '{log}'; cat \"$2\" >> '{log}'\nprintf 'Balance: %s\\nsecond line\\n' \"$(cat \"$2\")\" > \"$2\"",
            log = log.display()
        ),
    );
    bench.section_keys(
        "modems.modem0",
        &format!("eventhandler-ussd = {:?}", handler.display().to_string()),
    );
    bench.start_daemon();
    bench
        .runtime
        .block_on(bench.sim().set_ussd(0, "*100#", "5 EUR"))
        .unwrap();
    let mut command = TestCommand::new(["ussd", "modem0", "*100#"]);
    command.args([std::ffi::OsStr::new("--config"), bench.config().as_os_str()]);
    eqnice!("Balance: 5 EUR\n", command.stdout());
    let logged = fs::read_to_string(&log).unwrap();
    let (args, answer) = logged.rsplit_once('|').unwrap();
    let args: Vec<&str> = args.split('|').collect();
    assert_eq!(args[0], "USSD");
    assert!(
        args[1].starts_with(&bench.spool("").display().to_string()),
        "{args:?}"
    );
    assert_eq!(args[2..], ["modem0", "UTF-8", "*100#"]);
    assert_eq!(answer, "5 EUR\n");
    assert!(!Path::new(args[1]).exists(), "the answer's file is removed");
    bench.stop_daemon();
}
