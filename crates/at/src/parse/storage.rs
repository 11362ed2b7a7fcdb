//! `+CPMS`: preferred message storage and how full it is (3GPP TS 27.005
//! clause 3.2.2).
//!
//! The read command names the memories:
//! `+CPMS: <mem1>,<used1>,<total1>,<mem2>,<used2>,<total2>,<mem3>,<used3>,<total3>`.
//! The set command answers with the numbers only:
//! `+CPMS: <used1>,<total1>,<used2>,<total2>,<used3>,<total3>`.
//! Some modems report fewer than three memories; one is the minimum.

use super::fields::Field;
use super::{find_line, Fields, ParseError, ParseErrorKind};

/// One memory's fill level.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemoryUsage {
    /// The memory (`"SM"` SIM, `"ME"` modem, `"MT"` both, `"SR"` status
    /// reports, ...), given by the read form only.
    pub name: Option<String>,
    /// Messages stored.
    pub used: u32,
    /// Room for messages.
    pub total: u32,
}

impl MemoryUsage {
    /// Whether no more messages fit.
    pub fn is_full(&self) -> bool {
        self.used >= self.total
    }
}

/// The answer to `AT+CPMS?` or `AT+CPMS=...`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StorageStatus {
    /// `<mem1>`: where messages are read and deleted.
    pub read: MemoryUsage,
    /// `<mem2>`: where messages are written and sent from.
    pub write: Option<MemoryUsage>,
    /// `<mem3>`: where received messages are stored.
    pub receive: Option<MemoryUsage>,
}

/// Reads the answer to `AT+CPMS?` (with names) or to `AT+CPMS=...`
/// (numbers only).
pub fn cpms<S: AsRef<str>>(lines: &[S]) -> Result<StorageStatus, ParseError> {
    let (number, line, params) = find_line(lines, "+CPMS:")?;
    let fields = Fields::parse(number, line, params)?;
    if fields.len() == 0 {
        return Err(fields.error(ParseErrorKind::MissingField {
            index: 1,
            name: "<used1>",
        }));
    }
    let named = matches!(fields.get(0), Some(Field::Quoted(_)))
        || fields
            .opt_text(0)
            .is_some_and(|text| !text.bytes().all(|byte| byte.is_ascii_digit()));
    let stride = if named { 3 } else { 2 };
    if fields.len() % stride != 0 {
        return Err(fields.error(ParseErrorKind::BadValue {
            value: params.trim().to_owned(),
            expected: if named {
                "groups of <mem>,<used>,<total>"
            } else {
                "pairs of <used>,<total>"
            },
        }));
    }
    let mut memories = Vec::with_capacity(3);
    for memory_idx in 0..(fields.len() / stride).min(3) {
        let first = memory_idx * stride;
        let (name, numbers) = if named {
            (
                Some(fields.text(first, MEM_NAMES[memory_idx])?.to_owned()),
                first + 1,
            )
        } else {
            (None, first)
        };
        memories.push(MemoryUsage {
            name,
            used: fields.number(numbers, USED_NAMES[memory_idx], "a count")?,
            total: fields.number(numbers + 1, TOTAL_NAMES[memory_idx], "a count")?,
        });
    }
    let mut memories = memories.into_iter();
    let Some(read) = memories.next() else {
        return Err(fields.error(ParseErrorKind::MissingField {
            index: 1,
            name: "<used1>",
        }));
    };
    Ok(StorageStatus {
        read,
        write: memories.next(),
        receive: memories.next(),
    })
}

const MEM_NAMES: [&str; 3] = ["<mem1>", "<mem2>", "<mem3>"];
const USED_NAMES: [&str; 3] = ["<used1>", "<used2>", "<used3>"];
const TOTAL_NAMES: [&str; 3] = ["<total1>", "<total2>", "<total3>"];

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(name: Option<&str>, used: u32, total: u32) -> MemoryUsage {
        MemoryUsage {
            name: name.map(str::to_owned),
            used,
            total,
        }
    }

    #[test]
    fn read_form_from_smsd_session() {
        // Notes, section 5.1.
        let status = cpms(&[r#"+CPMS: "SM",1,30,"SM",1,30,"SM",1,30"#]).unwrap();
        assert_eq!(status.read, memory(Some("SM"), 1, 30));
        assert_eq!(status.write, Some(memory(Some("SM"), 1, 30)));
        assert_eq!(status.receive, Some(memory(Some("SM"), 1, 30)));
    }

    #[test]
    fn set_form_from_gammu_session() {
        // Notes, section 5.2: AT+CPMS="ME" answered with numbers only.
        let status = cpms(&["+CPMS: 0,50,2,30,2,30"]).unwrap();
        assert_eq!(status.read, memory(None, 0, 50));
        assert_eq!(status.write, Some(memory(None, 2, 30)));
        assert_eq!(status.receive, Some(memory(None, 2, 30)));
    }

    #[test]
    fn fewer_memories_and_errors() {
        let one = cpms(&["+CPMS: 30,30"]).unwrap();
        assert!(one.read.is_full());
        assert_eq!(one.write, None);
        assert_eq!(
            cpms(&[r#"+CPMS: "SM",1"#]).unwrap_err().to_string(),
            r#"line 1 "+CPMS: \"SM\",1": "\"SM\",1" is not groups of <mem>,<used>,<total>"#
        );
        assert_eq!(
            cpms(&[r#"+CPMS: "SM",x,30"#]).unwrap_err().to_string(),
            r#"line 1 "+CPMS: \"SM\",x,30": field 2 (<used1>): "x" is not a count"#
        );
        assert!(cpms(&["+CPMS: "]).is_err());
    }
}
