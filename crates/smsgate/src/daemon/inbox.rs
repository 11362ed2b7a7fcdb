//! `smsgate inbox` when the daemon receives for the modem: its SIM is
//! emptied as messages arrive, so the inbox is what it wrote, the
//! modem's files in `incoming/` and `report/` (RouterOS's inbox: phone,
//! message, the operator's time stamp, type), oldest first. `--remove N`
//! deletes the N-th file of that list.
//!
//! The entries have the fields of a listing read from the modem
//! (`modem_cmd::message_json`), plus `file`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{json, Value};

/// Where the daemon writes what a modem received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReceivedDirs {
    pub(crate) incoming: PathBuf,
    pub(crate) report: PathBuf,
}

impl ReceivedDirs {
    /// Modem `modem`'s received files, oldest first, as inbox entries.
    pub(crate) fn list(&self, modem: &str) -> Vec<Value> {
        self.files(modem)
            .iter()
            .enumerate()
            .map(|(index, path)| entry(index, path))
            .collect()
    }

    /// Deletes the `index`-th file of [`Self::list`]; the entry it was,
    /// or `None` when there is none.
    pub(crate) fn remove(&self, modem: &str, index: u32) -> std::io::Result<Option<Value>> {
        let files = self.files(modem);
        let Some(path) = usize::try_from(index).ok().and_then(|index| files.get(index)) else {
            return Ok(None);
        };
        let removed = entry(index as usize, path);
        fs::remove_file(path)?;
        Ok(Some(removed))
    }

    fn files(&self, modem: &str) -> Vec<PathBuf> {
        let prefix = format!("{modem}.");
        let mut files: Vec<(SystemTime, PathBuf)> = [&self.incoming, &self.report]
            .into_iter()
            .filter_map(|dir| fs::read_dir(dir).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter(|entry| {
                entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| name.starts_with(&prefix))
            })
            .filter_map(|entry| {
                let metadata = entry.metadata().ok()?;
                metadata.is_file().then(|| {
                    (
                        metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                        entry.path(),
                    )
                })
            })
            .collect();
        files.sort();
        files.into_iter().map(|(_, path)| path).collect()
    }
}

/// One received file as an inbox entry.
fn entry(index: usize, path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_default();
    let split = bytes.windows(2).position(|pair| pair == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&bytes[..at], &bytes[at + 2..]),
        None => (&bytes[..], &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
            .map(str::to_owned)
    };
    let is_report = String::from_utf8_lossy(body).starts_with("SMS STATUS REPORT");
    let kind = match (is_report, header("Flash").as_deref()) {
        (true, _) => "status-report",
        (false, Some("yes")) => "class-0",
        _ => "sms",
    };
    let message = match header("Alphabet").as_deref() {
        Some("binary") => body.iter().map(|byte| format!("{byte:02X}")).collect(),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    let mut value = json!({
        "index": index,
        "indexes": [index],
        "phone": header("From").unwrap_or_default(),
        "message": message,
        "timestamp": header("Sent"),
        "type": kind,
        "status": "received",
        "file": path.display().to_string(),
    });
    if let Some(missing) = header("Missing_parts") {
        value["incomplete"] = json!(missing);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modems_received_files_oldest_first_and_removal_by_index() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = ReceivedDirs {
            incoming: dir.path().join("incoming"),
            report: dir.path().join("report"),
        };
        fs::create_dir(&dirs.incoming).unwrap();
        fs::create_dir(&dirs.report).unwrap();
        let write = |path: PathBuf, text: &str, age_s: u64| {
            fs::write(&path, text).unwrap();
            let when = SystemTime::now() - std::time::Duration::from_secs(age_s);
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        write(
            dirs.incoming.join("gsm1.AAAAAA"),
            "From: 37120000000\nSent: 26-11-21 10:00:00\nFlash: yes\nAlphabet: UTF-8\n\nhi",
            20,
        );
        write(
            dirs.report.join("gsm1.BBBBBB"),
            "From: 4917212345678\nSent: 26-11-21 10:00:01\nAlphabet: UTF-8\n\nSMS STATUS REPORT\nMessage_id: 1\n",
            10,
        );
        write(
            dirs.incoming.join("gsm1.CCCCCC"),
            "From: 37120000001\nSent: 26-11-21 10:00:02\nAlphabet: binary\n\n\x01\x02",
            5,
        );
        write(dirs.incoming.join("gsm2.DDDDDD"), "From: 1\n\nother modem", 30);
        let listed = dirs.list("gsm1");
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0]["phone"], "37120000000");
        assert_eq!(listed[0]["type"], "class-0");
        assert_eq!(listed[0]["message"], "hi");
        assert_eq!(listed[0]["timestamp"], "26-11-21 10:00:00");
        assert_eq!(listed[1]["type"], "status-report");
        assert_eq!(listed[2]["message"], "0102");
        assert_eq!(listed[2]["index"], 2);

        let removed = dirs.remove("gsm1", 1).unwrap().unwrap();
        assert_eq!(removed["type"], "status-report");
        assert!(!dirs.report.join("gsm1.BBBBBB").exists());
        assert_eq!(dirs.list("gsm1").len(), 2);
        assert!(dirs.remove("gsm1", 7).unwrap().is_none());
    }
}
