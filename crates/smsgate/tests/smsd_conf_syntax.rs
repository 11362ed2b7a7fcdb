//! The smsd.conf syntax `import-smsd-conf` accepts and refuses, checked
//! against the real smstools3 (Debian's `/usr/sbin/smsd`, 3.1.21): the
//! production configuration of the import tests is one smsd starts with,
//! and a value smsd refuses is one the importer refuses (and the other way
//! round) for the cases issue 12 names. smsd runs in the foreground in a
//! process group of its own, killed when each check ends, also when it
//! fails; its modems do not exist, so it never gets past opening them.

use std::fs::{self, File};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

const SMSD: &str = "/usr/sbin/smsd";
const PATIENCE: Duration = Duration::from_secs(15);

/// smsd in a process group of its own; dropped: SIGTERM to the group,
/// then SIGKILL (smsd forks one process per modem).
struct Smsd {
    child: Child,
    dir: PathBuf,
}

impl Smsd {
    /// Starts `smsd -t -c dir/smsd.conf` with `conf`, whose `$DIR` is
    /// `dir`, and its log, pid and info files under `dir`.
    fn start(dir: &Path, conf: &str) -> Smsd {
        assert!(
            Path::new(SMSD).is_file(),
            "{SMSD} is missing: run scripts/test, which installs it (apt-get install smstools)"
        );
        let dir_text = dir.display().to_string();
        let conf = format!(
            "logfile = $DIR/smsd.log\nloglevel = 7\npidfile = $DIR/smsd.pid\ninfofile = $DIR/smsd.working\n{conf}"
        )
        .replace("$DIR", &dir_text);
        // Global settings first: the lines above go before the first section.
        let path = dir.join("smsd.conf");
        fs::write(&path, conf).unwrap();
        let child = Command::new(SMSD)
            .arg("-t")
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(File::create(dir.join("smsd.out")).unwrap())
            .stderr(File::create(dir.join("smsd.err")).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        Smsd {
            child,
            dir: dir.to_path_buf(),
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("smsd.log")).unwrap_or_default()
    }

    /// Waits until smsd has tried to open each of `modems` (it accepted
    /// its configuration), or has stopped (it did not); true for the first.
    fn accepted(&mut self, modems: &[&str]) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = self.log();
            if modems
                .iter()
                .all(|modem| log.contains(&format!("{modem}: Couldn't open serial port")))
            {
                return true;
            }
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            assert!(Instant::now() < deadline, "smsd neither ran nor stopped:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Smsd {
    fn drop(&mut self) {
        let group = Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// Whether `smsgate import-smsd-conf` takes `conf` (with `$DIR`).
fn imports(dir: &Path, conf: &str) -> (bool, String) {
    let path = dir.join("import.conf");
    fs::write(&path, conf.replace("$DIR", &dir.display().to_string())).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .arg("import-smsd-conf")
        .arg(&path)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A spool under `dir`, as the global settings of a config.
fn spool(dir: &Path) -> String {
    for sub in ["outgoing", "incoming", "checked"] {
        fs::create_dir_all(dir.join("spool").join(sub)).unwrap();
    }
    "outgoing = $DIR/spool/outgoing\nincoming = $DIR/spool/incoming\nchecked = $DIR/spool/checked\n"
        .to_owned()
}

#[test]
fn smsd_and_the_importer_agree_on_what_is_valid() {
    let one_modem = "devices = GSM1\n";
    let modem = "[GSM1]\ndevice = $DIR/no-such-modem\n";
    let cases: &[(&str, &str, bool)] = &[
        ("alarmlevel = warning\n", "", true),
        ("alarmlevel = LOG_WARNING\n", "", true),
        ("alarmlevel = 7\n", "", true),
        // smsd reads level words containing ERROR, not the abbreviation.
        ("alarmlevel = LOG_ERR\n", "", false),
        ("alarmlevel = LOG_ERROR\n", "", true),
        ("", "report = disabled\n", true),
        ("", "rtscts = off\n", true),
        ("", "rtscts = OFF\n", false),
        ("", "init1 = ATZ\n", true),
    ];
    for (global, modem_keys, valid) in cases {
        let dir = tempfile::tempdir().unwrap();
        let conf = format!("{one_modem}{}{global}\n{modem}{modem_keys}", spool(dir.path()));
        let mut smsd = Smsd::start(dir.path(), &conf);
        assert_eq!(
            smsd.accepted(&["GSM1"]),
            *valid,
            "smsd on {global}{modem_keys}\n{}",
            smsd.log()
        );
        drop(smsd);
        let (imported, stderr) = imports(dir.path(), &conf);
        assert_eq!(imported, *valid, "import of {global}{modem_keys}\n{stderr}");
    }
}

#[test]
fn ranges_and_groups_name_and_configure_the_modems_as_in_smsd() {
    let dir = tempfile::tempdir().unwrap();
    let conf = format!(
        "devices = GSM* 1-2, DNA33* 1-1\n{}\n[GSM*]\ndevice = $DIR/gsm-modemname\n[DNA*]\ndevice = $DIR/dna-modemname\n",
        spool(dir.path())
    );
    let mut smsd = Smsd::start(dir.path(), &conf);
    assert!(smsd.accepted(&["GSM1", "GSM2", "DNA331"]), "{}", smsd.log());
    let log = smsd.log();
    drop(smsd);
    let path = |name: &str| dir.path().join(name).display().to_string();
    for (modem, device) in [
        ("GSM1", "gsm-GSM1"),
        ("GSM2", "gsm-GSM2"),
        ("DNA331", "dna-DNA331"),
    ] {
        assert!(
            log.contains(&format!("{modem}: Couldn't open serial port {}", path(device))),
            "{modem}\n{log}"
        );
    }
    let (imported, stderr) = imports(dir.path(), &conf);
    assert!(imported, "{stderr}");
}

#[test]
fn smsd_starts_with_the_production_config() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    let conf =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/smsd/production.conf"))
            .unwrap();
    // Its files under the test's directory; the user and group it switches
    // to are the test's own.
    let conf: String = conf
        .lines()
        .filter(|line| !line.starts_with("user =") && !line.starts_with("group ="))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        .replace("/var/log/smsd", &root)
        .replace("/run/smsd", &root)
        .replace("/var/spool/sms", &format!("{root}/spool"))
        .replace("/srv/sms-archive", &format!("{root}/archive"))
        .replace("/usr/local/lib/sms", &format!("{root}/bin"))
        .replace("/etc/smsd", &root)
        .replace("/dev/serial/by-id", &root)
        // Not a real serial server: smsd would wait for it.
        .replace("@192.168.10.20:4001", &format!("{root}/net1"));
    for sub in [
        "spool/outgoing",
        "spool/checked",
        "spool/failed",
        "spool/incoming",
        "spool/report",
        "spool/sent",
        "spool/phonecalls",
        "spool/vodafone",
        "spool/o2",
        "archive/incoming",
        "archive/sent",
        "archive/failed",
        "archive/report",
        "bin",
    ] {
        fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    for script in ["event", "check", "alarm", "housekeeping", "ussd", "alarm-line"] {
        let path = dir.path().join("bin").join(script);
        fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    for list in ["blacklist", "whitelist"] {
        fs::write(dir.path().join(list), "").unwrap();
    }
    // The header lines of Smsd::start go first.
    let mut smsd = Smsd::start(dir.path(), &conf.replace("logfile = ", "# logfile = "));
    assert!(
        smsd.accepted(&["GSM1", "GSM2", "GSM3", "NET1"]),
        "smsd refused the production config:\n{}\n{}",
        smsd.log(),
        fs::read_to_string(dir.path().join("smsd.out")).unwrap_or_default()
    );
}
