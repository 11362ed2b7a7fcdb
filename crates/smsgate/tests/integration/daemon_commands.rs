//! `smsgate run`, `:cmd` commands by SMS end to end: the real binary on
//! the in-process simulator, on `spool_bench`. What a command's file
//! says (`Command:`, `Duplicate_of:`, the secret masked), whether and how
//! often its script runs, and where its reply goes.

use std::fs;
use std::path::PathBuf;

use modem_sim::TextEncoding;
use sms_pdu::{Address, Pdu, Tpdu, TypeOfAddress};

use crate::daemon_receive::{body, deliver_pdu, files, inject_pdu, inject_text, timestamp};
use crate::spool_bench::{header_values, SpoolBench};

/// A command's text as its `incoming/` file keeps it: the secret it gave
/// masked, whether right or wrong.
fn masked(text: &str) -> String {
    let secret = text.split_whitespace().nth(1).unwrap();
    text.replacen(secret, &"*".repeat(secret.len()), 1)
}

/// `:cmd` messages to one modem, each waited for until it is marked.
struct CommandBench {
    bench: SpoolBench,
    events: PathBuf,
    seen: Vec<String>,
}

impl CommandBench {
    /// A daemon with one receiving modem, an eventhandler, `[sms-commands]`
    /// with `keys` and the scripts `scripts` (name, shell body).
    fn start(keys: &str, scripts: &[(&str, &str)]) -> CommandBench {
        let mut bench = SpoolBench::new(1, "");
        bench.section_keys("modems.modem0", "receive = true");
        let events = bench.eventhandler();
        // The keys may give the numbers in RouterOS's spelling instead.
        let numbers = match keys.contains("allowed-number") {
            true => "",
            false => "allowed-numbers = [\"+37120000000\"]\n",
        };
        let mut config = format!("\n[sms-commands]\nsecret = \"slepens\"\n{numbers}{keys}\n");
        for (name, body) in scripts {
            let script = bench.script(&format!("{name}.sh"), body);
            config.push_str(&format!(
                "\n[scripts.{name}]\nprogram = {:?}\n",
                script.display().to_string()
            ));
        }
        bench.edit_config(|text| format!("{text}{config}"));
        bench.start_daemon();
        CommandBench {
            bench,
            events,
            seen: Vec::new(),
        }
    }

    /// Injects `pdu` and returns its `incoming/` file once it is marked
    /// with `Command:` and the eventhandler has heard of it.
    fn receive(&mut self, pdu: Vec<u8>) -> String {
        inject_pdu(&self.bench, 0, pdu);
        self.next_file()
    }

    /// The next new `incoming/` file, once marked and handed to the
    /// eventhandler.
    fn next_file(&mut self) -> String {
        let incoming = self.bench.spool("incoming");
        let mut name = None;
        self.bench.wait("a new incoming file", || {
            name = files(&incoming, "modem0.")
                .into_iter()
                .find(|name| !self.seen.contains(name));
            name.is_some()
        });
        let name = name.unwrap();
        let path = incoming.join(&name);
        self.bench.wait(&format!("{name} is marked"), || {
            !header_values(&fs::read_to_string(&path).unwrap(), "Command").is_empty()
        });
        let event = format!("RECEIVED|{}|", path.display());
        self.bench.wait("the eventhandler ran", || {
            fs::read_to_string(&self.events)
                .unwrap_or_default()
                .lines()
                .any(|line| line == event)
        });
        self.seen.push(name.clone());
        fs::read_to_string(path).unwrap()
    }

    /// The name of the latest file [`Self::next_file`] returned.
    fn last_name(&self) -> &str {
        self.seen.last().unwrap()
    }

    /// What the network got from the modem: (destination, text).
    fn sent(&self) -> Vec<(String, String)> {
        let bench = &self.bench;
        let external = bench.runtime.block_on(bench.sim().external()).unwrap();
        external
            .iter()
            .map(|sent| {
                let text = sent.summary.text.clone().unwrap_or_default();
                (sent.summary.destination.to_string(), text)
            })
            .collect()
    }

    /// Waits until the network has `n` messages from the modem.
    fn wait_sent(&self, n: usize) -> Vec<(String, String)> {
        self.bench
            .wait(&format!("{n} messages sent"), || self.sent().len() >= n);
        self.sent()
    }

    /// Receives `text` from `from` and returns its `Command:` header.
    fn command(&mut self, from: &str, text: &str) -> String {
        let file = self.receive(deliver_pdu(from, text, timestamp(26, 1, 1, 0)));
        assert_eq!(body(&file), masked(text));
        assert_eq!(header_values(&file, "From"), [from.trim_start_matches('+')]);
        header_values(&file, "Command").join("\n")
    }
}

#[test]
fn sms_commands_run_their_script_once_with_the_variables_and_reply_and_are_refused_otherwise() {
    let mut bench = SpoolBench::new(1, "");
    bench.section_keys("modems.modem0", "receive = true");
    let runs = bench.dir.path().join("runs.log");
    let script = bench.script(
        "hello.sh",
        &format!(
            "{{ echo run; env; }} >> '{}'\nprintf 'hello, %s\\n' \"$SMS_VAR_name\"",
            runs.display()
        ),
    );
    let events = bench.eventhandler();
    bench.edit_config(|config| {
        format!(
            "{config}\n[sms-commands]\nsecret = \"slepens\"\nallowed-numbers = [\"+37120000000\"]\nreply = true\n\
             \n[scripts.hello]\nprogram = {:?}\n",
            script.display().to_string(),
        )
    });
    bench.start_daemon();
    let mut commands = CommandBench {
        bench,
        events,
        seen: Vec::new(),
    };
    let dir = commands.bench.dir.path().to_owned();
    let n_runs = || {
        let text = fs::read_to_string(&runs).unwrap_or_default();
        text.lines().filter(|line| *line == "run").count()
    };

    // (a) From the allowed number with the secret: the script runs once,
    // the values reach its environment as they were written, nothing of
    // them is run by a shell, and the reply goes back.
    let x = format!("$(touch {}/pwned)", dir.display());
    let y = format!("a;id>{}/pwned2|sh", dir.display());
    let text = format!(":cmd slepens script hello name=\"a b\" x=\"{x}\" y={y}");
    // Decided before the file is written; the script runs after it.
    assert_eq!(commands.command("+37120000000", &text), "runs script hello");
    // Its reply is spooled once it has ended.
    commands.bench.wait("the reply is sent", || {
        !commands
            .bench
            .runtime
            .block_on(commands.bench.sim().external())
            .unwrap()
            .is_empty()
    });
    assert_eq!(n_runs(), 1);
    let mut environment: Vec<String> = fs::read_to_string(&runs)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("SMS_VAR_") || line.starts_with("SMSGATE_"))
        .map(str::to_owned)
        .collect();
    environment.sort();
    let mut expected = vec![
        "SMSGATE_MODEM=modem0".to_owned(),
        "SMSGATE_SCRIPT=hello".to_owned(),
        "SMSGATE_SENDER=+37120000000".to_owned(),
        "SMS_VAR_name=a b".to_owned(),
        format!("SMS_VAR_x={x}"),
        format!("SMS_VAR_y={y}"),
    ];
    expected.sort();
    assert_eq!(environment, expected);
    assert!(!dir.join("pwned").exists() && !dir.join("pwned2").exists());
    let bench = &commands.bench;
    let external = bench.runtime.block_on(bench.sim().external()).unwrap();
    let replies: Vec<(String, String, Option<String>)> = external
        .iter()
        .map(|sent| {
            let to = sent.summary.destination.to_string();
            (sent.from_msisdn.clone(), to, sent.summary.text.clone())
        })
        .collect();
    assert_eq!(
        replies,
        [(
            SpoolBench::number(0),
            "+37120000000".to_owned(),
            Some("hello, a b".to_owned())
        )]
    );
    // The network has it a moment before its file is in sent/.
    let sent_files = || -> Vec<String> {
        files(&bench.spool("sent"), "")
            .into_iter()
            .filter(|name| !name.starts_with('.'))
            .collect()
    };
    bench.wait("the reply's file is in sent/", || !sent_files().is_empty());
    let sent = sent_files();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("smsgate-reply.modem0."), "{sent:?}");

    // (b)-(e) Each is refused, written as an ordinary message and marked
    // with why; the script does not run.
    let wrong = commands.command("+37120000000", ":cmd slepenz script hello name=b");
    assert_eq!(
        wrong,
        "rejected: wrong secret from +37120000000 (1 in the window)"
    );
    let stranger = commands.command("+37120000001", ":cmd slepens script hello name=c");
    assert_eq!(stranger, "rejected: sender +37120000001 is not an allowed number");
    // The allowed digits, but as an alphanumeric sender (anyone can send
    // one) or without the `+` that says they are international.
    let spoofed = {
        let pdu = deliver_pdu(
            "+37120000000",
            ":cmd slepens script hello name=d",
            timestamp(26, 1, 1, 0),
        );
        let mut decoded = Pdu::decode(&pdu).unwrap().value;
        let Tpdu::Deliver(deliver) = &mut decoded.tpdu else {
            panic!("not a DELIVER")
        };
        deliver.originator = Address::alphanumeric("37120000000").unwrap();
        commands.receive(decoded.encode().unwrap())
    };
    assert_eq!(
        header_values(&spoofed, "From_TOA")[0].get(..2),
        Some("D0"),
        "{spoofed}"
    );
    assert_eq!(body(&spoofed), ":cmd ******* script hello name=d");
    assert_eq!(
        header_values(&spoofed, "Command"),
        ["rejected: sender is not an international number: an alphanumeric sender, not a number"]
    );
    let national = commands.command("37120000000", ":cmd slepens script hello name=e");
    assert_eq!(
        national,
        "rejected: sender is not an international number: \
         type of number unknown and no `+` or `00` before the country code"
    );
    let unknown = commands.command("+37120000000", ":cmd slepens script nope");
    assert_eq!(unknown, "rejected: no script \"nope\" in [scripts]");
    assert_eq!(n_runs(), 1);

    // (f) Wrong secrets count over the window whatever succeeds between
    // them: with the one of (b), two more lock the number out; the right
    // secret is then refused.
    for failures in 2..=3 {
        let marker = commands.command("+37120000000", ":cmd guess script hello");
        let locked = if failures == 3 { "; now locked out" } else { "" };
        assert_eq!(
            marker,
            format!("rejected: wrong secret from +37120000000 ({failures} in the window{locked})")
        );
    }
    let refused = commands.command("+37120000000", ":cmd slepens script hello name=f");
    let prefix = "rejected: sender +37120000000 is locked out after wrong secrets (for ";
    assert!(refused.starts_with(prefix), "{refused}");
    assert_eq!(n_runs(), 1);
    assert_eq!(
        commands
            .bench
            .runtime
            .block_on(commands.bench.sim().external())
            .unwrap()
            .len(),
        1
    );
    assert!(
        !commands.bench.log().contains("slepens"),
        "the secret is not logged"
    );
    commands.bench.stop_daemon();
}

/// A one-part DELIVER of `text`, in UCS2 if GSM 7-bit cannot say it.
fn ucs2_or_gsm7_pdu(from: &str, text: &str, scts: sms_pdu::Timestamp) -> Vec<u8> {
    let injected = modem_sim::InjectedText {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding: TextEncoding::Auto,
        class0: false,
        reference: 0,
    };
    let mut pdus = injected.deliver_pdus("+15555550000", scts).unwrap();
    assert_eq!(pdus.len(), 1, "{text:?} is one part");
    pdus.remove(0)
}

/// Issue 10, items 1, 2, 3, 4 and 5: an incomplete command never runs and
/// its sender is told; a malformed one from a stranger and a quoted or
/// non-ASCII secret are masked; the same SMS twice runs once, also after
/// a restart; a sender given as `0037...` of type unknown gets the reply
/// at +37...; a lockout outlives a restart.
#[test]
fn incomplete_redelivered_and_locked_out_commands_do_not_run_and_replies_go_to_the_right_number() {
    let runs = "runs.log";
    let mut commands = CommandBench::start(
        "reply = true\nallowed-number = [\"+37120000000\", \"+37120000009\"]\n\
         [limits]\nincomplete-after-s = 2\n",
        &[(
            "hello",
            &format!("echo \"run $SMS_VAR_a $SMS_VAR_dry_run\" >> \"$(dirname \"$0\")/{runs}\"\necho done"),
        )],
    );
    let runs = commands.bench.dir.path().join(runs);
    let n_runs = || fs::read_to_string(&runs).unwrap_or_default().lines().count();

    // (1) Two parts, only the first arrives: refused once it has waited,
    // the sender told.
    let long = format!(":cmd slepens script hello a={} dry_run=yes", "x".repeat(150));
    inject_text(
        &commands.bench,
        0,
        "+37120000000",
        &long,
        TextEncoding::Gsm7,
        Some(vec![1]),
    );
    let incomplete = commands.next_file();
    assert_eq!(
        header_values(&incomplete, "Command"),
        ["rejected: incomplete message (part 2 missing)"]
    );
    assert!(
        body(&incomplete).starts_with(":cmd ******* script hello a=xxx"),
        "{incomplete}"
    );
    assert_eq!(
        commands.wait_sent(1),
        [(
            "+37120000000".to_owned(),
            "Command not run: incomplete message (part 2 missing)".to_owned()
        )]
    );

    // (2) Masked whatever it is and whoever sent it.
    for (from, text, masked) in [
        (
            "+37120000001",
            ":cmd slepens script hello v=",
            ":cmd ******* script hello v=",
        ),
        (
            "+37120000000",
            ":cmd slepens script hello a=1 a=2",
            ":cmd ******* script hello a=1 a=2",
        ),
        (
            "+37120000000",
            ":cmd \"slep\\\"ens\" script hello",
            ":cmd *********** script hello",
        ),
        (
            "+37120000000",
            ":cmd slepenš script hello",
            // UCS2 (`Length:` counts UTF-8 octets): one star per octet.
            ":cmd ******** script hello",
        ),
        (
            "+37120000000",
            ":cmd \"slepens script hello",
            ":cmd *********************",
        ),
    ] {
        let file = commands.receive(ucs2_or_gsm7_pdu(from, text, timestamp(26, 1, 2, 0)));
        let length: usize = header_values(&file, "Length")[0].parse().unwrap();
        let counted = match text.is_ascii() {
            true => body(&file).chars().count(),
            false => body(&file).len(),
        };
        assert_eq!(length, counted, "{file}");
        assert_eq!(body(&file), masked, "{file}");
        assert!(!file.contains("slep"), "{file}");
    }
    assert_eq!(n_runs(), 0);

    // (4) From 0037120000000 with type of address 81: runs as
    // +37120000000, and the reply goes there.
    let redelivered = {
        let pdu = deliver_pdu(
            "+37120000000",
            ":cmd slepens script hello a=4",
            timestamp(26, 1, 3, 0),
        );
        let mut decoded = Pdu::decode(&pdu).unwrap().value;
        let Tpdu::Deliver(deliver) = &mut decoded.tpdu else {
            panic!("not a DELIVER")
        };
        deliver.originator = Address {
            toa: TypeOfAddress::UNKNOWN,
            number: "0037120000000".to_owned(),
        };
        decoded.encode().unwrap()
    };
    let ran = commands.receive(redelivered.clone());
    assert_eq!(header_values(&ran, "From"), ["0037120000000"]);
    assert_eq!(header_values(&ran, "Command"), ["runs script hello"]);
    let first = commands.last_name().to_owned();
    let sent = commands.wait_sent(2);
    assert_eq!(sent[1], ("+37120000000".to_owned(), "done".to_owned()));
    commands.bench.wait("the replies are in sent/", || {
        files(&commands.bench.spool("sent"), "smsgate-reply.").len() == 2
    });
    for name in files(&commands.bench.spool("sent"), "smsgate-reply.") {
        let reply = fs::read_to_string(commands.bench.spool("sent").join(name)).unwrap();
        assert_eq!(header_values(&reply, "To"), ["37120000000"], "{reply}");
    }

    // (3) The network delivers it again: written, marked, not run; also
    // after a restart.
    for restart in [false, true] {
        if restart {
            commands.bench.stop_daemon();
            commands.bench.start_daemon();
        }
        let again = commands.receive(redelivered.clone());
        assert_eq!(
            header_values(&again, "Duplicate_of"),
            std::slice::from_ref(&first)
        );
        assert_eq!(
            header_values(&again, "Command"),
            [format!(
                "rejected: the same message as {first}, which was run already (a redelivery)"
            )]
        );
    }
    assert_eq!(n_runs(), 1);

    // (5) Three wrong secrets, a restart, the right one: still locked out.
    for second in 0..3 {
        commands.receive(deliver_pdu(
            "+37120000009",
            ":cmd guess script hello",
            timestamp(26, 1, 4, second),
        ));
    }
    commands.bench.stop_daemon();
    commands.bench.start_daemon();
    let locked = commands.receive(deliver_pdu(
        "+37120000009",
        ":cmd slepens script hello",
        timestamp(26, 1, 4, 9),
    ));
    let marker = header_values(&locked, "Command").join("");
    assert!(
        marker.starts_with("rejected: sender +37120000009 is locked out after wrong secrets"),
        "{marker}"
    );
    assert_eq!(n_runs(), 1);
    assert!(
        !commands.bench.log().contains("slepens"),
        "the secret is not logged"
    );
    commands.bench.stop_daemon();
}

/// Issue 10.6: with `max-running = 1` the second command waits for the
/// first, in order, and a third beyond `max-waiting = 1` is refused.
#[test]
fn commands_beyond_max_running_wait_and_beyond_max_waiting_are_refused() {
    let mut commands = CommandBench::start(
        "reply = true\nmax-running = 1\nmax-waiting = 1\n",
        &[(
            "hang",
            "dir=$(dirname \"$0\")\ntouch \"$dir/started_$SMS_VAR_n\"\n\
             while [ ! -e \"$dir/go\" ]; do sleep 0.05; done\necho \"done $SMS_VAR_n\"",
        )],
    );
    let dir = commands.bench.dir.path().to_owned();
    let started = |n: u8| dir.join(format!("started_{n}")).exists();
    let mut markers = Vec::new();
    for n in 1..=3 {
        let text = format!(":cmd slepens script hang n={n}");
        let file = commands.receive(deliver_pdu("+37120000000", &text, timestamp(26, 2, 1, n)));
        markers.push(header_values(&file, "Command").join(""));
        if n == 1 {
            commands.bench.wait("the first script starts", || started(1));
        }
    }
    assert_eq!(
        markers,
        [
            "runs script hang",
            "waits to run script hang (max-running reached; 0 waiting before it)",
            "rejected: 1 commands wait already (max-waiting); try again later",
        ]
    );
    assert!(!started(2));
    fs::write(dir.join("go"), "").unwrap();
    commands.bench.wait("the second script starts", || started(2));
    let mut sent = commands.wait_sent(3);
    sent.sort();
    assert_eq!(
        sent,
        [
            (
                "+37120000000".to_owned(),
                "Command not run: 1 commands wait already (max-waiting); try again later".to_owned()
            ),
            ("+37120000000".to_owned(), "done 1".to_owned()),
            ("+37120000000".to_owned(), "done 2".to_owned()),
        ]
    );
    assert!(!started(3));
    commands.bench.stop_daemon();
}
