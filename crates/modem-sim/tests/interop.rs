//! Real clients against the simulator: Debian's smstools3 `smsd` and the
//! `gammu` command-line tool talk to virtual modems over real PTYs, and
//! the files they write and the PDUs they submit are checked with our own
//! codec (style C7: real peers, judged by their files and the traffic).
//!
//! The clients must be installed (`scripts/test` installs them); when one
//! is missing the test fails, it never skips. Every client process is
//! killed and every simulator shut down in teardown, also when an assert
//! fails. On a failure the message carries the client's log or output and
//! the simulator's view of each modem.
//!
//! Timing: smsd runs with `delaytime = 1`, so each step takes a second or
//! two; gammu paces its first initialisation about 400 ms per command, so
//! each gammu call takes several seconds, and the gammu tests are separate
//! functions that run in parallel with the smsd test.

mod interop_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use interop_support::{
    decode_submit, describe_dirs, drop_file_atomically, require, run_with_timeout, spool_files, tail,
    wait_for, Finished, Phone, ProcessGuard, Rig, SpoolFile, GAMMU, SMSD,
};
use modem_sim::{Fault, TextEncoding};
use sms_pdu::{Address, Tpdu, TypeOfAddress};

/// How long one smsd step (pick up, send, read, report) may take. smsd
/// needs 2-3 s per step with `delaytime = 1`; the margin is for a loaded
/// CI machine.
const SMSD_STEP: Duration = Duration::from_secs(45);

/// How long one gammu invocation may take (about 5 s normally; `getussd`
/// waits 11 s for more USSD before it ends).
const GAMMU_LIMIT: Duration = Duration::from_secs(60);

/// The SMSC every numbered modem has (`ModemConfig::numbered`).
const SMSC: &str = "15555550000";

// ---------------------------------------------------------------- smsd

/// smsd's spool in the test's directory, and its config.
struct SmsdSpool {
    root: PathBuf,
}

impl SmsdSpool {
    const DIRS: [&'static str; 6] = ["outgoing", "checked", "sent", "failed", "incoming", "report"];

    fn create(root: PathBuf, device: &Path) -> SmsdSpool {
        for dir in SmsdSpool::DIRS {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        let spool = SmsdSpool { root };
        let path = |name: &str| spool.root.join(name).display().to_string();
        // Small delaytime/errorsleeptime/blocktime: the defaults (10 s,
        // 10 s, 3600 s) would make a failing send block the modem for an
        // hour (notes, gotcha 15). send_retries = 1: two attempts.
        let config = format!(
            "# smsd for the interop test (foreground: smsd -t -c THIS)\n\
             devices = GSM1\n\
             logfile = {log}\n\
             loglevel = 7\n\
             logtime_ms = yes\n\
             infofile = {info}\n\
             pidfile = {pid}\n\
             outgoing = {outgoing}\n\
             checked = {checked}\n\
             failed = {failed}\n\
             incoming = {incoming}\n\
             sent = {sent}\n\
             report = {report}\n\
             delaytime = 1\n\
             delaytime_mainprocess = 1\n\
             errorsleeptime = 1\n\
             blocktime = 5\n\
             incoming_utf8 = yes\n\
             decode_unicode_text = yes\n\
             \n\
             [GSM1]\n\
             device = {device}\n\
             incoming = yes\n\
             report = yes\n\
             mode = new\n\
             baudrate = 115200\n\
             send_retries = 1\n",
            log = path("smsd.log"),
            info = path("smsd.working"),
            pid = path("smsd.pid"),
            outgoing = path("outgoing"),
            checked = path("checked"),
            failed = path("failed"),
            incoming = path("incoming"),
            sent = path("sent"),
            report = path("report"),
            device = device.display(),
        );
        std::fs::write(spool.config(), config).unwrap();
        spool
    }

    fn config(&self) -> PathBuf {
        self.root.join("smsd.conf")
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn log(&self) -> PathBuf {
        self.root.join("smsd.log")
    }

    /// The spool's files, smsd's output and log tail, for failure messages.
    fn describe(&self) -> String {
        let dirs: Vec<PathBuf> = SmsdSpool::DIRS.iter().map(|dir| self.dir(dir)).collect();
        format!(
            "{}{}\n{}\n{}",
            describe_dirs(&dirs),
            tail(&self.root.join("smsd.err"), 20),
            tail(&self.root.join("smsd.out"), 20),
            tail(&self.log(), 80)
        )
    }

    /// Waits for a file in `dir` that `matches`.
    fn wait_for_file(
        &self,
        dir: &str,
        what: &str,
        rig: &Rig,
        matches: impl Fn(&SpoolFile) -> bool,
    ) -> SpoolFile {
        wait_for(
            what,
            SMSD_STEP,
            || spool_files(&self.dir(dir)).into_iter().find(&matches),
            || format!("{}\n{}", self.describe(), rig.describe()),
        )
    }
}

/// The texts injected for smsd to receive.
const GSM7_TEXT: &str = "Hello smsd: @£$¥ èéùìò Ç Øø Åå ÄÖÑÜ§ ¿äöñüà ß {[~]} 5€";
const UCS2_TEXT: &str = "Привет, мир! € 123";
const ALPHA_TEXT: &str = "Your code is 314159";

/// A text of three GSM 7-bit parts (153 septets each at most).
fn three_part_text() -> String {
    let mut text = String::new();
    let mut sentence = 1;
    while text.len() < 400 {
        text.push_str(&format!("Sentence {sentence} of a long message. "));
        sentence += 1;
    }
    text.push_str("The end.");
    text
}

#[test]
fn smsd_sends_receives_reports_and_fails() {
    let smsd = require(SMSD);
    let started = Instant::now();
    let rig = Rig::start(2);
    let (modem_a, modem_b) = (rig.config(0), rig.config(1));
    let spool = SmsdSpool::create(rig.path("smsd"), &rig.link(0));

    // Messages from outside for modem A, in its SIM store before smsd
    // starts: smsd reads them on its first poll.
    let long_text = three_part_text();
    rig.inject_text(0, "+31641600986", GSM7_TEXT, TextEncoding::Gsm7, None);
    rig.inject_text(0, "+4915112345678", UCS2_TEXT, TextEncoding::Ucs2, None);
    let parts = rig.inject_text(
        0,
        "+4917099999999",
        &long_text,
        TextEncoding::Gsm7,
        Some(vec![3, 1, 2]),
    );
    assert_eq!(parts, 3, "the long text should need three parts");
    rig.inject_text(0, "BANKINFO", ALPHA_TEXT, TextEncoding::Auto, None);
    wait_for(
        "six messages in modem A's SIM store",
        Duration::from_secs(10),
        || (rig.sm_usage(0).0 == 6).then_some(()),
        || rig.describe(),
    );

    let mut command = Command::new(&smsd);
    command.arg("-t").arg("-c").arg(spool.config());
    let _smsd = ProcessGuard::spawn(command, &spool.root, "smsd").show_on_failure(spool.log());

    // 1. A file in outgoing/ for modem B's number goes out through A.
    let to_b_text = "Hello modem B, this is smsd";
    drop_file_atomically(
        &spool.dir("outgoing"),
        "to_b",
        format!("To: {}\n\n{to_b_text}", modem_b.msisdn).as_bytes(),
    );
    let sent = spool.wait_for_file("sent", "smsd to move to_b to sent/", &rig, |file| {
        file.path.ends_with("to_b")
    });
    eprintln!("smsd: sent/to_b after {:.1?}", started.elapsed());
    let message_id: u8 = sent
        .expect_header("Message_id")
        .parse()
        .unwrap_or_else(|err| panic!("Message_id is not a number ({err})\n{}", sent.raw));
    assert_eq!(sent.header("IMSI"), Some(modem_a.imsi.as_str()), "{}", sent.raw);
    assert_eq!(sent.header("IMEI"), Some(modem_a.imei.as_str()), "{}", sent.raw);

    // What smsd typed decodes with our codec to the same message.
    let submitted = rig.submitted(0);
    let message = submitted
        .iter()
        .find(|message| message.mr == message_id)
        .unwrap_or_else(|| panic!("no submission with mr {message_id}\n{}", rig.describe()));
    let (smsc, submit) = decode_submit(message);
    assert_eq!(smsc, None, "smsd sends SCA 00 (notes, gotcha 11)");
    assert_eq!(submit.text().as_deref(), Some(to_b_text));
    assert_eq!(
        submit.destination,
        Address::numeric(&modem_b.msisdn, TypeOfAddress::INTERNATIONAL).unwrap(),
        "smsd writes a number without + as international (notes, gotcha 10)"
    );
    assert!(submit.status_report_request, "report = yes sets TP-SRR");
    for message in &submitted {
        decode_submit(message);
    }

    // It arrived at modem B, from A's number, with the same text.
    let mut phone_b = Phone::open(&rig.link(1));
    let stored = phone_b.list_pdus();
    let delivered: Vec<_> = stored
        .iter()
        .filter_map(|pdu| match &pdu.tpdu {
            Tpdu::Deliver(deliver) => Some(deliver),
            _ => None,
        })
        .collect();
    assert_eq!(delivered.len(), 1, "modem B's store: {stored:?}");
    assert_eq!(delivered[0].text().as_deref(), Some(to_b_text));
    assert_eq!(
        delivered[0].originator,
        Address::numeric(&modem_a.msisdn, TypeOfAddress::INTERNATIONAL).unwrap()
    );
    assert!(delivered[0].status_report_indication);
    drop(phone_b);

    // 2. The injected messages appear in incoming/, one file each (the
    // three parts combined).
    let incoming = wait_for(
        "smsd to write four files to incoming/",
        SMSD_STEP,
        || {
            let files = spool_files(&spool.dir("incoming"));
            (files.len() >= 4).then_some(files)
        },
        || format!("{}\n{}", spool.describe(), rig.describe()),
    );
    eprintln!("smsd: incoming/ complete after {:.1?}", started.elapsed());
    assert_eq!(incoming.len(), 4, "{}", spool.describe());
    let by_sender = |from: &str| {
        incoming
            .iter()
            .find(|file| file.header("From") == Some(from))
            .unwrap_or_else(|| panic!("no incoming file From: {from}\n{}", spool.describe()))
    };
    let international = "91 international, ISDN/telephone";
    for (from, text) in [
        ("31641600986", GSM7_TEXT),
        ("4915112345678", UCS2_TEXT),
        ("4917099999999", long_text.as_str()),
        ("BANKINFO", ALPHA_TEXT),
    ] {
        let file = by_sender(from);
        assert_eq!(file.body, text, "body of {}\n{}", file.path.display(), file.raw);
        let toa = if from == "BANKINFO" {
            "D0 alphanumeric, unknown"
        } else {
            international
        };
        assert_eq!(file.header("From_TOA"), Some(toa), "{}", file.raw);
        assert_eq!(file.header("From_SMSC"), Some(SMSC), "{}", file.raw);
        assert_eq!(file.header("Modem"), Some("GSM1"), "{}", file.raw);
        assert_eq!(file.header("IMSI"), Some(modem_a.imsi.as_str()), "{}", file.raw);
        assert_eq!(file.header("Alphabet"), Some("UTF-8"), "{}", file.raw);
        // smsd counts the text it decoded: ISO-8859-15 bytes (one per
        // character) for GSM 7-bit, UTF-8 bytes for UCS2.
        let length = if from == "4915112345678" {
            text.len()
        } else {
            text.chars().count()
        };
        assert_eq!(
            file.header("Length"),
            Some(length.to_string().as_str()),
            "{}",
            file.raw
        );
        file.expect_header("Sent");
        file.expect_header("Received");
    }

    // 3. The status report the network sent back for to_b lands in
    // report/ with the same Message_id.
    let report = spool.wait_for_file("report", "smsd to write the status report", &rig, |_| true);
    eprintln!("smsd: report/ after {:.1?}", started.elapsed());
    assert_eq!(
        report
            .body
            .lines()
            .find_map(|line| line.strip_prefix("Message_id: ")),
        Some(message_id.to_string().as_str()),
        "the report's Message_id should match sent/to_b's\n{}",
        report.raw
    );
    let status = report
        .body
        .lines()
        .find_map(|line| line.strip_prefix("Status: "))
        .unwrap_or_else(|| panic!("no Status line\n{}", report.raw));
    assert!(status.starts_with("0,Ok"), "{}", report.raw);
    assert_eq!(
        report.header("From"),
        Some(modem_b.msisdn.as_str()),
        "{}",
        report.raw
    );

    // 4. +CMS ERROR: 38 on every attempt (send_retries = 1: two) ends the
    // file in failed/ with the modem's answer as the reason.
    let n_submitted = rig.submitted(0).len();
    rig.fault(0, Fault::CmsError { code: 38, count: 2 });
    drop_file_atomically(
        &spool.dir("outgoing"),
        "doomed",
        format!("To: {}\n\nThis one fails", modem_b.msisdn).as_bytes(),
    );
    let failed = spool.wait_for_file("failed", "smsd to move doomed to failed/", &rig, |file| {
        file.path.ends_with("doomed")
    });
    eprintln!("smsd: failed/doomed after {:.1?}", started.elapsed());
    let reason = failed.expect_header("Fail_reason");
    assert!(reason.contains("+CMS ERROR: 38"), "{}", failed.raw);
    let log = std::fs::read_to_string(spool.log()).unwrap_or_default();
    assert_eq!(
        log.matches("The modem answer was not OK: +CMS ERROR: 38").count(),
        2,
        "send_retries = 1: one attempt and one retry\n{}",
        spool.describe()
    );
    assert_eq!(
        rig.submitted(0).len(),
        n_submitted,
        "a send answered with +CMS ERROR must not reach the network\n{}",
        rig.describe()
    );
    assert!(
        std::fs::read_dir(spool.dir("sent")).unwrap().count() == 1,
        "{}",
        spool.describe()
    );
    eprintln!("smsd: done after {:.1?}", started.elapsed());
}

// ---------------------------------------------------------------- gammu

/// A gammurc for one modem, in the test's directory.
struct Gammu {
    rc: PathBuf,
    dir: PathBuf,
}

impl Gammu {
    fn new(rig: &Rig, index: usize) -> Gammu {
        let dir = rig.path("gammu");
        std::fs::create_dir_all(&dir).unwrap();
        let rc = dir.join("gammurc");
        let config = format!(
            "[gammu]\n\
             device = {device}\n\
             connection = at\n\
             logfile = {log}\n\
             logformat = textalldate\n",
            device = rig.link(index).display(),
            log = dir.join("gammu.log").display(),
        );
        std::fs::write(&rc, config).unwrap();
        Gammu { rc, dir }
    }

    /// Runs `gammu -c RC <args>` to its end (killed after [`GAMMU_LIMIT`])
    /// and fails the test, with gammu's output, its log and the
    /// simulator's view, unless it exits with 0.
    fn run(&self, rig: &Rig, name: &str, args: &[&str]) -> Finished {
        let mut command = Command::new(GAMMU);
        // gammu reads its arguments and writes its output in the locale's
        // character set; the Cyrillic and the euro sign need UTF-8.
        command
            .arg("-c")
            .arg(&self.rc)
            .args(args)
            .env("LC_ALL", "C.UTF-8")
            .env("HOME", &self.dir);
        let log = self.dir.join("gammu.log");
        let finished = run_with_timeout(command, &self.dir, name, GAMMU_LIMIT, || {
            format!("{}\n{}", tail(&log, 60), rig.describe())
        });
        assert!(
            finished.status.success(),
            "gammu {args:?} failed: {}\n{}\n{}",
            finished.describe(),
            tail(&log, 60),
            rig.describe()
        );
        eprintln!("gammu {args:?}: {:.1?}", finished.elapsed);
        finished
    }
}

/// The value of gammu's `Name : value` output line `name`.
fn gammu_field<'a>(output: &'a str, name: &str) -> Option<&'a str> {
    output.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

#[test]
fn gammu_identify() {
    require(GAMMU);
    let rig = Rig::start(1);
    let modem = rig.config(0);
    let gammu = Gammu::new(&rig, 0);
    let identify = gammu.run(&rig, "identify", &["identify"]);
    let output = &identify.stdout;
    let context = identify.describe();
    assert_eq!(
        gammu_field(output, "Manufacturer"),
        Some(modem.manufacturer.as_str()),
        "{context}"
    );
    assert!(
        gammu_field(output, "Model").is_some_and(|model| model.contains(&modem.model)),
        "{context}"
    );
    assert_eq!(
        gammu_field(output, "Firmware"),
        Some(modem.revision.as_str()),
        "{context}"
    );
    assert_eq!(
        gammu_field(output, "IMEI"),
        Some(modem.imei.as_str()),
        "{context}"
    );
    assert_eq!(
        gammu_field(output, "SIM IMSI"),
        Some(modem.imsi.as_str()),
        "{context}"
    );
}

#[test]
fn gammu_sendsms_text_and_unicode() {
    require(GAMMU);
    let rig = Rig::start(2);
    let modem_b = rig.config(1);
    let gammu = Gammu::new(&rig, 0);
    let to = format!("+{}", modem_b.msisdn);
    let plain = "Hello from gammu, 7-bit: @£$ {[]}";
    let unicode = "Unicode from gammu: Привет €";
    let sent_plain = gammu.run(&rig, "sendsms-text", &["sendsms", "TEXT", &to, "-text", plain]);
    let sent_unicode = gammu.run(
        &rig,
        "sendsms-unicode",
        &["sendsms", "TEXT", &to, "-unicode", "-text", unicode],
    );

    let submitted = rig.submitted(0);
    assert_eq!(submitted.len(), 2, "{}", rig.describe());
    let destination = Address::numeric(&modem_b.msisdn, TypeOfAddress::INTERNATIONAL).unwrap();
    for ((message, text), finished) in submitted
        .iter()
        .zip([plain, unicode])
        .zip([&sent_plain, &sent_unicode])
    {
        // gammu prints the +CMGS reference: "OK, message reference=1".
        assert!(
            finished
                .stdout
                .contains(&format!("message reference={}", message.mr)),
            "{}",
            finished.describe()
        );
        let (smsc, submit) = decode_submit(message);
        // gammu copies the AT+CSCA? answer into every PDU (gotcha 21).
        assert_eq!(
            smsc,
            Some(Address::numeric(SMSC, TypeOfAddress::INTERNATIONAL).unwrap()),
            "{}",
            rig.describe()
        );
        assert_eq!(submit.destination, destination);
        assert_eq!(submit.text().as_deref(), Some(text), "{}", rig.describe());
    }
    let (_, plain_submit) = decode_submit(&submitted[0]);
    let (_, unicode_submit) = decode_submit(&submitted[1]);
    assert_eq!(plain_submit.dcs.0, 0x00, "gammu sends 7-bit by default");
    assert_eq!(unicode_submit.dcs.0, 0x08, "-unicode sends UCS2");

    // Both arrived at modem B with the same texts.
    let mut phone_b = Phone::open(&rig.link(1));
    let texts: Vec<Option<String>> = phone_b
        .list_pdus()
        .iter()
        .map(|pdu| match &pdu.tpdu {
            Tpdu::Deliver(deliver) => deliver.text(),
            other => panic!("modem B holds {other:?}"),
        })
        .collect();
    assert_eq!(texts, [Some(plain.to_owned()), Some(unicode.to_owned())]);
}

#[test]
fn gammu_getallsms_reads_injected_messages() {
    require(GAMMU);
    let rig = Rig::start(1);
    let gammu = Gammu::new(&rig, 0);
    let plain = "Hello gammu from the network";
    let unicode = "Привет, gammu! €";
    rig.inject_text(0, "+31641600986", plain, TextEncoding::Gsm7, None);
    rig.inject_text(0, "+4915112345678", unicode, TextEncoding::Ucs2, None);
    wait_for(
        "two messages in modem 0's SIM store",
        Duration::from_secs(10),
        || (rig.sm_usage(0).0 == 2).then_some(()),
        || rig.describe(),
    );
    let listing = gammu.run(&rig, "getallsms", &["getallsms"]);
    let context = listing.describe();
    for expected in [plain, unicode, "\"+31641600986\"", "\"+4915112345678\""] {
        assert!(listing.stdout.contains(expected), "no {expected:?} in {context}");
    }
    assert!(
        listing.stdout.contains("2 SMS parts in 2 SMS sequences"),
        "{context}"
    );
}

#[test]
fn gammu_getussd_shows_the_answer() {
    require(GAMMU);
    let rig = Rig::start(1);
    let gammu = Gammu::new(&rig, 0);
    let answer = "Your balance is 10.00 EUR";
    rig.set_ussd(0, "*100#", answer);
    let ussd = gammu.run(&rig, "getussd", &["getussd", "*100#"]);
    assert!(ussd.stdout.contains(answer), "{}", ussd.describe());
}
