//! Running as a service (issue 14): systemd's notify protocol spoken by
//! the real daemon to a socket this test binds, as systemd would (CI has
//! no systemd as PID 1); the configuration file found without
//! `--config`; the completions and man pages the package installs.

use std::os::unix::net::UnixDatagram;
use std::path::Path;

use crate::spool_bench::{header_values, Setup, SpoolBench, PATIENCE};
use crate::util::TestCommand;

/// The daemon's datagrams, each as text, with a deadline per datagram.
struct NotifyListener {
    socket: UnixDatagram,
    seen: Vec<String>,
}

impl NotifyListener {
    fn bind(path: &Path) -> NotifyListener {
        let socket = UnixDatagram::bind(path).unwrap();
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        NotifyListener {
            socket,
            seen: Vec::new(),
        }
    }

    /// The next datagram; fails the test when none comes in time.
    fn next(&mut self) -> String {
        let mut buf = vec![0; 4096];
        let n = self
            .socket
            .recv(&mut buf)
            .unwrap_or_else(|err| panic!("no datagram from the daemon ({err}); so far: {:#?}", self.seen));
        let datagram = String::from_utf8(buf[..n].to_vec()).unwrap();
        self.seen.push(datagram.clone());
        datagram
    }

    /// Reads datagrams until one satisfies `wanted`; returns it.
    fn until(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        for _ in 0..200 {
            let datagram = self.next();
            if wanted(&datagram) {
                return datagram;
            }
        }
        panic!("no datagram {what} among {:#?}", self.seen);
    }
}

fn lines(datagram: &str) -> Vec<&str> {
    datagram.lines().collect()
}

fn has(datagram: &str, line: &str) -> bool {
    datagram.lines().any(|got| got == line)
}

fn status(datagram: &str) -> Option<&str> {
    datagram.lines().find_map(|line| line.strip_prefix("STATUS="))
}

/// READY=1 once started, STATUS= lines, WATCHDOG=1 while the scheduler
/// turns; with the scheduler held (the debug build's stall hook: the loop
/// really stops, no file is taken) the pings stop while the status ticks
/// go on, and come back when it turns again; STOPPING=1 on SIGTERM. The
/// daemon's children (the eventhandler) do not inherit the socket.
#[test]
fn the_daemon_speaks_systemds_notify_protocol_and_pings_only_while_the_scheduler_turns() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("notify.sock");
    let stall_flag = dir.path().join("stall");
    let mut listener = NotifyListener::bind(&socket);
    let notify_socket = format!("NOTIFY_SOCKET={}", socket.display());
    let stall = format!("SMSGATE_DEBUG_STALL_SCHEDULER={}", stall_flag.display());
    // A ping every 0.5 s; the scheduler counts as stalled once it has not
    // turned for twice its rescan interval and a tick.
    let wrap = ["env", &notify_socket, "WATCHDOG_USEC=1000000", &stall];
    let mut bench = SpoolBench::build(Setup {
        n_modems: 2,
        ports_only: 1,
        wrap: &wrap,
        ..Setup::default()
    });
    let handler_log = dir.path().join("handler-env");
    let handler = bench.script(
        "event.sh",
        &format!(
            "echo \"NOTIFY_SOCKET=${{NOTIFY_SOCKET-unset}} WATCHDOG_USEC=${{WATCHDOG_USEC-unset}}\" >> '{}'",
            handler_log.display()
        ),
    );
    bench.edit_config(|config| {
        format!(
            "{config}\n[handlers]\neventhandler = {:?}\n",
            handler.display().to_string()
        )
    });
    bench.start_daemon();

    // First, READY=1 (its status may come before the scheduler's first
    // turn).
    let ready = listener.next();
    assert_eq!(lines(&ready)[0], "READY=1", "{ready:?}");
    assert!(status(&ready).is_some(), "{ready:?}");
    let ping = listener.until("with WATCHDOG=1", |datagram| has(datagram, "WATCHDOG=1"));
    assert_eq!(
        status(&ping),
        Some("1/1 modem(s) up, 0 file(s) queued, 0 sending"),
        "{ping:?}"
    );
    listener.until("with a second WATCHDOG=1", |datagram| has(datagram, "WATCHDOG=1"));

    // A file goes through: the status follows the queue, the pings go on.
    bench.drop_file("first", &format!("To: {}\n\nfirst\n", SpoolBench::number(1)));
    let sent = bench.wait_for_file("sent", "first");
    assert_eq!(header_values(&sent, "Modem"), ["modem0"]);
    listener.until("with WATCHDOG=1 after the send", |datagram| {
        has(datagram, "WATCHDOG=1")
    });

    // The scheduler held: the pings stop, the status says why.
    std::fs::write(&stall_flag, "").unwrap();
    let stalled = listener.until("saying the scheduler stalled", |datagram| {
        status(datagram).is_some_and(|status| status.starts_with("scheduler stalled for "))
    });
    assert!(!has(&stalled, "WATCHDOG=1"), "{stalled:?}");
    bench.drop_file("held", &format!("To: {}\n\nheld\n", SpoolBench::number(1)));
    // Ticks go on (0.5 s apart), every one without a ping, and the file
    // dropped meanwhile is not taken: the scheduler really stands still.
    for _ in 0..4 {
        let tick = listener.next();
        assert!(
            !has(&tick, "WATCHDOG=1"),
            "a ping while the scheduler is held: {tick:?}"
        );
        assert!(
            status(&tick).is_some_and(|status| status.starts_with("scheduler stalled for ")),
            "{tick:?}"
        );
    }
    assert!(bench.spool("outgoing").join("held").exists());
    assert!(!bench.spool("sent").join("held").exists());

    // Released: the pings come back and the file is sent.
    std::fs::remove_file(&stall_flag).unwrap();
    listener.until("with WATCHDOG=1 after the stall", |datagram| {
        has(datagram, "WATCHDOG=1")
    });
    bench.wait_for_file("sent", "held");

    bench.stop_daemon();
    listener.until("with STOPPING=1", |datagram| has(datagram, "STOPPING=1"));
    let handler_env = std::fs::read_to_string(&handler_log).unwrap();
    assert!(
        handler_env
            .lines()
            .all(|line| line == "NOTIFY_SOCKET=unset WATCHDOG_USEC=unset"),
        "{handler_env}"
    );
    assert!(handler_env.lines().count() >= 2, "{handler_env}");
}

/// Without a watchdog (WatchdogSec= unset) no WATCHDOG=1 is ever sent,
/// only READY=1 and the status.
#[test]
fn without_a_watchdog_only_ready_and_status_are_sent() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("notify.sock");
    let mut listener = NotifyListener::bind(&socket);
    let notify_socket = format!("NOTIFY_SOCKET={}", socket.display());
    let wrap = ["env", &notify_socket];
    let mut bench = SpoolBench::build(Setup {
        n_modems: 1,
        ports_only: 1,
        wrap: &wrap,
        ..Setup::default()
    });
    bench.start_daemon();
    let ready = listener.next();
    assert_eq!(
        lines(&ready),
        ["READY=1", "STATUS=0/0 modem(s) up, 0 file(s) queued, 0 sending"]
    );
    bench.stop_daemon();
    let stopping = listener.until("with STOPPING=1", |datagram| has(datagram, "STOPPING=1"));
    assert!(stopping.contains("STATUS=stopping"), "{stopping:?}");
    assert!(
        listener.seen.iter().all(|datagram| !has(datagram, "WATCHDOG=1")),
        "{:#?}",
        listener.seen
    );
}

const MINIMAL_CONFIG: &str = "[spool]\nbase = \"spool\"\n";

/// `./smsgate.toml` is read when `--config` is not given, and named on
/// stderr; a file given with `--config` is not announced; without either,
/// the system file is read (and named), or the error names both places.
#[test]
fn the_configuration_read_without_config_is_named_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("smsgate.toml"), MINIMAL_CONFIG).unwrap();
    let found = TestCommand::new(["check-config"])
        .current_dir(dir.path())
        .expect_status(0);
    assert_eq!(found.stderr, "smsgate: reading the configuration smsgate.toml\n");
    assert!(found.stdout.starts_with("smsgate.toml: ok:"), "{}", found.stdout);

    let given = dir.path().join("smsgate.toml");
    let explicit = TestCommand::new(["check-config", "--config", given.to_str().unwrap()])
        .current_dir(dir.path())
        .expect_status(0);
    assert_eq!(explicit.stderr, "");

    let empty = tempfile::tempdir().unwrap();
    let system = Path::new("/etc/smsgate/smsgate.toml");
    if system.is_file() {
        // A machine with the package installed (scripts/test-deb checks
        // this case with the packaged file).
        let read = TestCommand::new(["check-config"])
            .current_dir(empty.path())
            .expect_status(0);
        assert!(
            read.stderr
                .starts_with("smsgate: reading the configuration /etc/smsgate/smsgate.toml\n"),
            "{}",
            read.stderr
        );
    } else {
        for args in [&["check-config"][..], &["run"], &["settings"]] {
            let missing = TestCommand::new(args).current_dir(empty.path()).expect_status(1);
            assert_eq!(
                missing.stderr,
                "error: no configuration file: neither ./smsgate.toml nor /etc/smsgate/smsgate.toml exists; \
                 give one with --config FILE\n",
                "{args:?}"
            );
        }
    }
}

/// `smsgate completions` for each shell, and `smsgate man DIR`: a page
/// for smsgate and one per subcommand.
#[test]
fn completions_and_man_pages_are_made() {
    for (shell, marker) in [
        ("bash", "complete -F _smsgate"),
        ("zsh", "#compdef smsgate"),
        ("fish", "complete -c smsgate"),
    ] {
        let script = TestCommand::new(["completions", shell]).stdout();
        assert!(script.contains(marker), "{shell}: {script}");
        for subcommand in ["run", "check-config", "send", "completions", "import-smsd-conf"] {
            assert!(script.contains(subcommand), "{shell} lacks {subcommand}");
        }
    }
    TestCommand::new(["completions", "tcsh"]).expect_status(2);

    let dir = tempfile::tempdir().unwrap();
    let pages_dir = dir.path().join("man1");
    let listed = TestCommand::new(["man", pages_dir.to_str().unwrap()]).stdout();
    let mut pages: Vec<String> = std::fs::read_dir(&pages_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    for page in [
        "smsgate.1",
        "smsgate-run.1",
        "smsgate-check-config.1",
        "smsgate-send.1",
        "smsgate-pdu-decode.1",
        "smsgate-sim-ctl-inject.1",
        "smsgate-completions.1",
    ] {
        assert!(
            pages.iter().any(|name| name == page),
            "{page} missing from {pages:?}"
        );
        let text = std::fs::read_to_string(pages_dir.join(page)).unwrap();
        assert!(
            text.starts_with(".ie \\n(.g .ds Aq") || text.contains(".TH"),
            "{page}: {text}"
        );
        assert!(listed.contains(page), "{listed}");
    }
    // The hidden command makes pages, it has none.
    assert!(!pages.iter().any(|name| name == "smsgate-man.1"), "{pages:?}");
    let run_page = std::fs::read_to_string(pages_dir.join("smsgate-run.1")).unwrap();
    assert!(run_page.contains("/etc/smsgate/smsgate.toml"), "{run_page}");
}
