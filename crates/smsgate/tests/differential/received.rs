//! The receive-side differential test's view of spool files: the corpus of
//! received PDUs, the header block of an `incoming/` or `report/` file
//! parsed into fields, and the field-by-field comparison that tells what
//! differs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sms_pdu::{Decoded, Pdu, Tpdu};

/// The corpus directory: `NAME.hex` (PDUs, in delivery order) and
/// `NAME.smsd` (what smsd 3.1.21 wrote for them).
pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/differential-receive")
}

/// One corpus entry: a message (one or more parts) or a status report.
pub(crate) struct Entry {
    pub(crate) name: String,
    /// The PDUs, SMSC address first, in the order they are delivered.
    pub(crate) pdus: Vec<Vec<u8>>,
    /// What finds this entry's output file: the `From:` value for a
    /// message, the `Status:` code for a report.
    pub(crate) key: OutputKey,
}

/// How an output file is attributed to its corpus entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OutputKey {
    /// An `incoming/` file with this `From:`.
    From(String),
    /// A `report/` file with this TP-ST in its `Status:` line and this
    /// `Sent:` (the report's TP-SCTS).
    Report { status: u8, sent: String },
    /// The report the simulated network itself sends for the probe
    /// message: delivered, stamped with the time of the run.
    NetworkReport,
}

/// The name of the entry for the network's own report of the probe.
pub(crate) const NETWORK_REPORT: &str = "r0-network-report";

impl Entry {
    /// The decoded PDUs in delivery order.
    pub(crate) fn decoded(&self) -> Vec<Decoded<Pdu>> {
        self.pdus
            .iter()
            .map(|pdu| Pdu::decode(pdu).unwrap_or_else(|err| panic!("{}: {err}", self.name)))
            .collect()
    }

    /// smsd's output file for this entry, as captured.
    pub(crate) fn golden(&self) -> Vec<u8> {
        let path = data_dir().join(format!("{}.smsd", self.name));
        std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }
}

/// Reads every `NAME.hex` of the corpus: `#` lines are comments, every
/// other line is one PDU.
pub(crate) fn corpus() -> Vec<Entry> {
    let dir = data_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hex"))
        .collect();
    paths.sort();
    let mut entries: Vec<Entry> = paths
        .iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(path).unwrap();
            let pdus: Vec<Vec<u8>> = text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(|line| sms_pdu::decode_hex(line).unwrap_or_else(|err| panic!("{name}: {err}")))
                .collect();
            assert!(!pdus.is_empty(), "{name}: no PDU");
            let first = Pdu::decode(&pdus[0])
                .unwrap_or_else(|err| panic!("{name}: {err}"))
                .value;
            let key = match first.tpdu {
                Tpdu::Deliver(deliver) => OutputKey::From(deliver.originator.number.clone()),
                Tpdu::StatusReport(report) => OutputKey::Report {
                    status: report.status.0,
                    sent: report.scts.to_smstools(),
                },
                Tpdu::Submit(_) => panic!("{name}: an SMS-SUBMIT is not received"),
            };
            Entry { name, pdus, key }
        })
        .collect();
    // Not a file: the run's probe asks for a report, and the simulated
    // network sends one (delivered, TP-MR 1) at once.
    entries.push(Entry {
        name: NETWORK_REPORT.to_owned(),
        pdus: Vec::new(),
        key: OutputKey::NetworkReport,
    });
    for (index, entry) in entries.iter().enumerate() {
        assert!(
            entries[..index].iter().all(|other| other.key != entry.key),
            "{}: every corpus entry needs a sender (or status) of its own",
            entry.name
        );
    }
    entries
}

/// A spool file split into its header lines and its body. In a `report/`
/// file smsd writes `Message_id`, `Discharge_timestamp` and `Status` in
/// the body, after `SMS STATUS REPORT`; those lines are fields too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SpoolFile {
    /// `(name, value)` in file order, the body's report fields included.
    pub(crate) fields: Vec<(String, String)>,
    /// The bytes after the empty line.
    pub(crate) body: Vec<u8>,
}

impl SpoolFile {
    /// Splits `bytes` at the first empty line; a header line without `: `
    /// is kept as a field with an empty name so that it is compared too.
    pub(crate) fn parse(bytes: &[u8]) -> SpoolFile {
        let (header, body) = match find(bytes, b"\n\n") {
            Some(at) => (&bytes[..at + 1], bytes[at + 2..].to_vec()),
            None => (bytes, Vec::new()),
        };
        let mut fields: Vec<(String, String)> =
            String::from_utf8_lossy(header).lines().map(split_field).collect();
        if body.starts_with(b"SMS STATUS REPORT\n") {
            let text = String::from_utf8_lossy(&body);
            fields.extend(text.lines().skip(1).map(split_field));
        }
        SpoolFile { fields, body }
    }

    /// The value of the first field called `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether this file belongs to `key`.
    pub(crate) fn matches(&self, key: &OutputKey) -> bool {
        match key {
            OutputKey::From(from) => self.get("From") == Some(from.as_str()),
            OutputKey::Report { status, sent } => {
                self.status_code() == Some(*status) && self.get("Sent") == Some(sent.as_str())
            }
            OutputKey::NetworkReport => {
                self.status_code() == Some(0)
                    && self.get("Message_id") == Some("1")
                    && self.get("Sent").is_some_and(|sent| !sent.starts_with("25-06-15"))
            }
        }
    }

    /// The TP-ST of a report file.
    fn status_code(&self) -> Option<u8> {
        self.get("Status")?.split(',').next()?.parse().ok()
    }
}

/// Reads smsd's `YY-MM-DD hh:mm:ss` (the year taken as 20YY).
pub(crate) fn parse_spool_time(text: &str) -> Option<spool::SpoolTime> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u8>().ok();
    (text.len() == 17).then_some(())?;
    Some(spool::SpoolTime {
        year: 2000 + u16::from(number(0..2)?),
        month: number(3..5)?,
        day: number(6..8)?,
        hour: number(9..11)?,
        minute: number(12..14)?,
        second: number(15..17)?,
    })
}

fn split_field(line: &str) -> (String, String) {
    match line.split_once(':') {
        Some((name, value)) => (
            name.to_owned(),
            value.strip_prefix(' ').unwrap_or(value).to_owned(),
        ),
        None => (String::new(), line.to_owned()),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Fields that differ between two correct implementations of the format,
/// whatever the message: the time the file was written.
const VOLATILE_FIELDS: &[&str] = &["Received"];

/// Compares `expected` and `actual` field by field (order included) and
/// the bodies byte for byte, skipping [`VOLATILE_FIELDS`] and `allowed`
/// (fields that differ on purpose). Returns the differences, one per
/// line; empty when the files agree.
pub(crate) fn differences(expected: &[u8], actual: &[u8], allowed: &[&str]) -> String {
    let skip = |name: &str| VOLATILE_FIELDS.contains(&name) || allowed.contains(&name);
    let [expected_file, actual_file] = [expected, actual].map(SpoolFile::parse);
    let keep = |file: &SpoolFile| -> Vec<(String, String)> {
        file.fields
            .iter()
            .filter(|(name, _)| !skip(name))
            .cloned()
            .collect()
    };
    let (expected_fields, actual_fields) = (keep(&expected_file), keep(&actual_file));
    let mut out = String::new();
    for line in field_diff(&expected_fields, &actual_fields) {
        let _ = writeln!(out, "  {line}");
    }
    // A report's body lines are fields, compared above.
    let is_report = |file: &SpoolFile| file.body.starts_with(b"SMS STATUS REPORT\n");
    let both_reports = is_report(&expected_file) && is_report(&actual_file);
    let bodies_compared = !allowed.contains(&"body") && !both_reports;
    if bodies_compared && expected_file.body != actual_file.body {
        let _ = writeln!(
            out,
            "  body: expected {:?}, got {:?}",
            String::from_utf8_lossy(&expected_file.body),
            String::from_utf8_lossy(&actual_file.body)
        );
    }
    out
}

/// The fields `actual` lacks, has in excess or has with another value,
/// in file order (an edit script over the longest common subsequence, so
/// one extra line is one difference, not a cascade).
fn field_diff(expected: &[(String, String)], actual: &[(String, String)]) -> Vec<String> {
    let (n, m) = (expected.len(), actual.len());
    // common[i][j]: the longest common subsequence of expected[i..], actual[j..].
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if expected[i] == actual[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            (i, j) = (i + 1, j + 1);
        } else if i < n && j < m && expected[i].0 == actual[j].0 && common[i + 1][j + 1] == common[i][j] {
            out.push(format!(
                "{}: expected {:?}, got {:?}",
                expected[i].0, expected[i].1, actual[j].1
            ));
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || common[i][j + 1] >= common[i + 1][j]) {
            out.push(format!("extra {}: {:?}", actual[j].0, actual[j].1));
            j += 1;
        } else {
            out.push(format!("missing {}: {:?}", expected[i].0, expected[i].1));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_files_body_fields_are_fields() {
        let file = SpoolFile::parse(
            b"From: 4917299990001\nSent: 25-06-15 12:00:00\nReceived: 26-11-21 19:29:22\n\nSMS STATUS REPORT\nMessage_id: 1\nStatus: 33,Still trying,SME busy",
        );
        assert_eq!(file.get("From"), Some("4917299990001"));
        assert_eq!(file.get("Message_id"), Some("1"));
        let key = |status| OutputKey::Report {
            status,
            sent: "25-06-15 12:00:00".to_owned(),
        };
        assert!(file.matches(&key(33)));
        assert!(!file.matches(&key(0)));
        assert!(!file.matches(&OutputKey::NetworkReport), "not status 0, not live");
        let live =
            SpoolFile::parse(b"Sent: 26-11-21 23:30:00\n\nSMS STATUS REPORT\nMessage_id: 1\nStatus: 0,Ok");
        assert!(live.matches(&OutputKey::NetworkReport));
        assert!(!live.matches(&key(0)));
    }

    #[test]
    fn differences_ignore_received_and_allowed_fields_only() {
        let smsd = b"From: 1\nReceived: 26-11-21 19:29:22\nLength: 3\n\nabc";
        let other = b"From: 1\nReceived: 27-01-01 00:00:00\nLength: 3\n\nabc";
        assert_eq!(differences(smsd, other, &[]), "");
        let longer = b"From: 1\nReceived: 26-11-21 19:29:22\nLength: 4\n\nabcd";
        let found = differences(smsd, longer, &[]);
        assert!(
            found.contains("Length: expected \"3\", got \"4\"") && found.contains("body"),
            "{found}"
        );
        let extra = b"From: 1\nModem: X\nReceived: 26-11-21 19:29:22\nLength: 3\n\nabc";
        assert_eq!(differences(smsd, extra, &[]), "  extra Modem: \"X\"\n");
        assert_eq!(differences(extra, smsd, &[]), "  missing Modem: \"X\"\n");
        assert_eq!(differences(smsd, longer, &["Length", "body"]), "");
    }
}
