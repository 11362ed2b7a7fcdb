//! `smsgate inbox` when the daemon receives for the modem: its SIM is
//! emptied as messages arrive, so the inbox is what it wrote, the
//! modem's files in `incoming/` and `report/` (RouterOS's inbox: phone,
//! message, the operator's time stamp, type), oldest first.
//!
//! The entries are [`MessageView`]s, as a listing read from the
//! modem gives them, so that `inbox` prints the same whichever way it went:
//! the number with its `+` when `From_TOA` says international, the time
//! stamp as the service centre wrote it (`Sent:`; the file has no zone, so
//! neither has the direct listing), the same status and type words.
//!
//! Numbering: an entry's index is its file's inode number. It is fixed for
//! as long as the file exists, so `--remove N` removes the entry that was
//! listed as N, however many others were removed or arrived meanwhile (a
//! position in the list would shift); like a SIM index, a number can come
//! back for a new message once its file is gone.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::control::views::{self, MessageView, PartsView, ReportView};

/// Where the daemon writes what a modem received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReceivedDirs {
    pub(crate) incoming: PathBuf,
    pub(crate) report: PathBuf,
}

/// One received file of a modem.
struct Received {
    path: PathBuf,
    inode: u64,
}

impl ReceivedDirs {
    /// Modem `modem`'s received files, oldest first, as inbox entries.
    pub(crate) fn list(&self, modem: &str) -> Vec<MessageView> {
        self.files(modem)
            .iter()
            .map(|file| entry(file.inode, &file.path))
            .collect()
    }

    /// Deletes the file listed with index `index`; the entry it was, or
    /// `None` when there is none.
    pub(crate) fn remove(&self, modem: &str, index: u64) -> std::io::Result<Option<MessageView>> {
        let files = self.files(modem);
        let mut matching = files.iter().filter(|file| file.inode == index);
        let (Some(file), None) = (matching.next(), matching.next()) else {
            // None, or two (incoming/ and report/ on different file
            // systems, sharing a number): nothing is removed by guess.
            return Ok(None);
        };
        let removed = entry(file.inode, &file.path);
        fs::remove_file(&file.path)?;
        Ok(Some(removed))
    }

    fn files(&self, modem: &str) -> Vec<Received> {
        let prefix = format!("{modem}.");
        let mut files: Vec<(SystemTime, PathBuf, u64)> = [&self.incoming, &self.report]
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
                        metadata.ino(),
                    )
                })
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path, inode)| Received { path, inode })
            .collect()
    }
}

/// One received file as an inbox entry.
fn entry(index: u64, path: &Path) -> MessageView {
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
    // The file's own charset (`[spool] incoming-charset`).
    let body_text = spool::incoming::body_text(header("Alphabet").as_deref(), body);
    let report = body_text.strip_prefix("SMS STATUS REPORT\n").map(|report| {
        let field = |name: &str| {
            report
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
                .unwrap_or_default()
                .to_owned()
        };
        (field("Message_id"), field("Status"))
    });
    let kind = match (&report, header("Flash").as_deref()) {
        (Some(_), _) => "status-report",
        (None, Some("yes")) => "class-0",
        _ => "sms",
    };
    let message = match (&report, header("Alphabet").as_deref()) {
        (Some((reference, status)), _) => format!("report on message reference {reference}: {status}"),
        (None, Some("binary")) => {
            let hex: String = body.iter().map(|byte| format!("{byte:02X}")).collect();
            format!("(8-bit data) {hex}")
        }
        _ => body_text,
    };
    let mut phone = header("From").unwrap_or_default();
    let international = header("From_TOA").is_some_and(|toa| toa.starts_with("91 "));
    if international && !phone.starts_with('+') {
        phone.insert(0, '+');
    }
    let parts = header("Missing_parts").map(|missing| PartsView {
        missing: missing
            .split(',')
            .filter_map(|seq| seq.trim().parse().ok())
            .collect(),
        // The file does not say how many parts there were.
        total: None,
    });
    let report = report.map(|(reference, status)| ReportView {
        reference: reference.parse::<u64>().ok(),
        status: status.split(',').next().and_then(|code| code.parse().ok()),
    });
    MessageView {
        index: Some(index),
        indexes: vec![index],
        message,
        parts,
        phone,
        report,
        status: views::RECEIVED.to_owned(),
        timestamp: header("Sent")
            .as_deref()
            .and_then(views::smstools_stamp_as_listed),
        kind: kind.to_owned(),
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `incoming-charset = "iso-8859-15"`: the text is read in the file's
    /// own charset, ISO-8859-15 or raw UCS2, not as broken UTF-8.
    #[test]
    fn iso_8859_15_and_raw_ucs2_files_are_read_in_their_charset() {
        let dir = tempfile::tempdir().unwrap();
        let iso = dir.path().join("gsm1.ISO");
        fs::write(
            &iso,
            b"From: 1\nAlphabet: ISO\nLength: 6\n\nGr\xFC\xDFe \xA4".as_slice(),
        )
        .unwrap();
        assert_eq!(entry(1, &iso).message, "Grüße €");
        let ucs2 = dir.path().join("gsm1.UCS2");
        let mut bytes = b"From: 1\nAlphabet: UCS2\nLength: 2\n\n".to_vec();
        bytes.extend_from_slice(&[0x04, 0x1F, 0xD8, 0x3D, 0xDE, 0x00]);
        fs::write(&ucs2, bytes).unwrap();
        assert_eq!(entry(2, &ucs2).message, "П😀");
    }

    #[test]
    fn the_modems_received_files_listed_as_a_modem_lists_them() {
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
            "From: 37120000000\nFrom_TOA: 91 international, ISDN/telephone\nSent: 26-11-21 10:00:00\n\
             Flash: yes\nAlphabet: UTF-8\nIncomplete: yes\nMissing_parts: 2,3\n\nhi",
            20,
        );
        write(
            dirs.report.join("gsm1.BBBBBB"),
            "From: 4917212345678\nFrom_TOA: 91 international, ISDN/telephone\nSent: 99-11-21 10:00:01\n\
             Alphabet: UTF-8\n\nSMS STATUS REPORT\nMessage_id: 17\nDischarge_timestamp: 26-11-21 10:00:01\n\
             Status: 0,Ok,short message received by the SME",
            10,
        );
        write(
            dirs.incoming.join("gsm1.CCCCCC"),
            "From: 12345\nFrom_TOA: 81 unknown, ISDN/telephone\nSent: 26-11-21 10:00:02\nAlphabet: binary\n\n\x01\x02",
            5,
        );
        write(dirs.incoming.join("gsm2.DDDDDD"), "From: 1\n\nother modem", 30);
        let inode = |path: PathBuf| fs::metadata(path).unwrap().ino();
        let inodes = [
            inode(dirs.incoming.join("gsm1.AAAAAA")),
            inode(dirs.report.join("gsm1.BBBBBB")),
            inode(dirs.incoming.join("gsm1.CCCCCC")),
        ];
        let listed = dirs.list("gsm1");
        assert_eq!(
            serde_json::to_value(&listed).unwrap(),
            serde_json::json!([
                {
                    "index": inodes[0], "indexes": [inodes[0]], "phone": "+37120000000",
                    "message": "hi", "timestamp": "2026-11-21 10:00:00", "type": "class-0",
                    "status": "received", "parts": {"total": null, "missing": [2, 3]},
                },
                {
                    "index": inodes[1], "indexes": [inodes[1]], "phone": "+4917212345678",
                    "message": "report on message reference 17: 0,Ok,short message received by the SME",
                    "timestamp": "1999-11-21 10:00:01", "type": "status-report", "status": "received",
                    "report": {"reference": 17, "status": 0},
                },
                {
                    "index": inodes[2], "indexes": [inodes[2]], "phone": "12345",
                    "message": "(8-bit data) 0102", "timestamp": "2026-11-21 10:00:02", "type": "sms",
                    "status": "received",
                },
            ])
        );

        // Removing one leaves the others' numbers as they were.
        let removed = dirs.remove("gsm1", inodes[1]).unwrap().unwrap();
        assert_eq!(removed.kind, "status-report");
        assert!(!dirs.report.join("gsm1.BBBBBB").exists());
        assert_eq!(dirs.list("gsm1"), [listed[0].clone(), listed[2].clone()]);
        assert!(dirs.remove("gsm1", inodes[1]).unwrap().is_none());
        let removed = dirs.remove("gsm1", inodes[2]).unwrap().unwrap();
        assert_eq!(removed, listed[2]);
    }
}
