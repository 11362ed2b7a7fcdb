//! Stored and sent messages in PDU mode: `+CMGL`, `+CMGR`, `+CMGS` (3GPP TS
//! 27.005 clauses 3.4.2, 3.4.3, 3.5.1).
//!
//! A listed or read message is a header line followed by the PDU in hex on
//! the next line: `+CMGL: <index>,<stat>,[<alpha>],<length>` then
//! `07915155...`. `<length>` counts the TPDU octets, without the SMSC
//! address that starts the PDU. Text mode answers (`<stat>` as a string
//! such as `"REC UNREAD"`) are rejected with an error saying so.

use std::fmt;

use sms_pdu::{decode_hex, DecodeError, Decoded, Pdu};

use super::{find_line, is_hex_line, Fields, ParseError, ParseErrorKind};

/// `<mr>`, the TP-Message-Reference the modem gave a sent message; a later
/// status report carries the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageReference(pub u8);

impl fmt::Display for MessageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `<stat>` in PDU mode, kept as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageStatus(pub u8);

impl MessageStatus {
    /// Received, not yet read (0).
    pub const RECEIVED_UNREAD: MessageStatus = MessageStatus(0);
    /// Received and read (1).
    pub const RECEIVED_READ: MessageStatus = MessageStatus(1);
    /// Stored, not sent (2).
    pub const STORED_UNSENT: MessageStatus = MessageStatus(2);
    /// Stored and sent (3).
    pub const STORED_SENT: MessageStatus = MessageStatus(3);
    /// All messages, in `AT+CMGL=4` (4).
    pub const ALL: MessageStatus = MessageStatus(4);

    /// The text-mode name of the status (`REC UNREAD`, ...), if assigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "REC UNREAD",
            1 => "REC READ",
            2 => "STO UNSENT",
            3 => "STO SENT",
            4 => "ALL",
            _ => return None,
        })
    }

    /// Whether the message was received (rather than stored to be sent).
    pub fn is_received(self) -> bool {
        self.0 <= 1
    }
}

/// A message in the modem's storage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoredMessage {
    /// `<index>`: its place in the memory, for `AT+CMGR` and `AT+CMGD`.
    pub index: u32,
    /// `<stat>`.
    pub status: MessageStatus,
    /// `<alpha>`: the sender's name from the phonebook, if the modem gives it.
    pub alpha: Option<String>,
    /// `<length>`: the TPDU length in octets as the modem states it.
    pub length: u16,
    /// The PDU octets, SMSC address first.
    pub pdu: Vec<u8>,
}

impl StoredMessage {
    /// Decodes the PDU.
    pub fn decode(&self) -> Result<Decoded<Pdu>, DecodeError> {
        Pdu::decode(&self.pdu)
    }

    /// Whether `length` agrees with the PDU: the octets after the SMSC
    /// address. Modems are consistent in practice, so a mismatch hints at
    /// a truncated line.
    pub fn length_matches(&self) -> bool {
        let Some(&sca_length) = self.pdu.first() else {
            return false;
        };
        self.pdu.len().checked_sub(1 + usize::from(sca_length)) == Some(usize::from(self.length))
    }
}

/// Reads the answer to `AT+CMGS=<length>` (after the PDU):
/// `+CMGS: <mr>[,<ackpdu>]`.
pub fn cmgs<S: AsRef<str>>(lines: &[S]) -> Result<MessageReference, ParseError> {
    let (number, line, params) = find_line(lines, "+CMGS:")?;
    let fields = Fields::parse(number, line, params)?;
    Ok(MessageReference(fields.number(0, "<mr>", "a number 0-255")?))
}

/// Reads the answer to `AT+CMGL=<stat>`: every header and its PDU, in
/// order. Lines without the `+CMGL:` prefix between entries (stray lines)
/// are skipped; a header without a hex PDU after it is an error.
pub fn cmgl<S: AsRef<str>>(lines: &[S]) -> Result<Vec<StoredMessage>, ParseError> {
    let mut messages = Vec::new();
    let mut line_idx = 0;
    while line_idx < lines.len() {
        let line = lines[line_idx].as_ref();
        let Some(params) = line.strip_prefix("+CMGL:") else {
            line_idx += 1;
            continue;
        };
        let fields = Fields::parse(line_idx + 1, line, params)?;
        let index = fields.number(0, "<index>", "a number")?;
        let message = read_entry(&fields, 1, index, lines, line_idx)?;
        messages.push(message);
        line_idx += 2;
    }
    Ok(messages)
}

/// Reads the answer to `AT+CMGR=<index>`: `+CMGR: <stat>,[<alpha>],<length>`
/// and the PDU. An empty slot gives `None`: modems answer it with no
/// `+CMGR` line, or with a header of length 0 and no PDU (others answer
/// `+CMS ERROR: 321`, which the final result carries).
pub fn cmgr<S: AsRef<str>>(index: u32, lines: &[S]) -> Result<Option<StoredMessage>, ParseError> {
    let Ok((number, line, params)) = find_line(lines, "+CMGR:") else {
        return Ok(None);
    };
    let fields = Fields::parse(number, line, params)?;
    let next_is_pdu = lines.get(number).is_some_and(|next| is_hex_line(next.as_ref()));
    let length_field = fields.len().saturating_sub(1);
    if !next_is_pdu && fields.opt_number::<u16>(length_field, "<length>", "a number")? == Some(0) {
        return Ok(None);
    }
    read_entry(&fields, 0, index, lines, number - 1).map(Some)
}

/// `<stat>,[<alpha>],<length>` from `stat_idx` on, and the PDU on the line
/// after `header_idx`. `<alpha>` may be missing altogether (three fields
/// in `+CMGL`, two in `+CMGR`).
fn read_entry<S: AsRef<str>>(
    fields: &Fields<'_>,
    stat_idx: usize,
    index: u32,
    lines: &[S],
    header_idx: usize,
) -> Result<StoredMessage, ParseError> {
    let status = fields.number(stat_idx, "<stat>", "a number (is the modem in text mode?)")?;
    let (alpha, length_idx) = if fields.len() > stat_idx + 2 {
        (
            fields.opt_nonempty_text(stat_idx + 1).map(str::to_owned),
            stat_idx + 2,
        )
    } else {
        (None, stat_idx + 1)
    };
    let length = fields.number(length_idx, "<length>", "a number 0-65535")?;
    let pdu_line = lines.get(header_idx + 1).map(AsRef::as_ref).unwrap_or("");
    if !is_hex_line(pdu_line) {
        return Err(fields.error(ParseErrorKind::MissingPdu));
    }
    let pdu = decode_hex(pdu_line)
        .map_err(|error| ParseError::at(header_idx + 2, pdu_line, ParseErrorKind::BadPdu(error)))?;
    Ok(StoredMessage {
        index,
        status: MessageStatus(status),
        alpha,
        length,
        pdu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmgs_reference() {
        assert_eq!(cmgs(&["+CMGS: 1"]).unwrap(), MessageReference(1));
        assert_eq!(cmgs(&["+CMGS: 255,\"0011\""]).unwrap(), MessageReference(255));
        assert_eq!(
            cmgs(&["+CMGS: 256"]).unwrap_err().to_string(),
            r#"line 1 "+CMGS: 256": field 1 (<mr>): "256" is not a number 0-255"#
        );
        assert_eq!(
            cmgs::<&str>(&[]).unwrap_err().to_string(),
            r#"no "+CMGS:" line in the response"#
        );
    }

    #[test]
    fn cmgl_of_two_from_gammu_getallsms() {
        // Notes, section 5.2: one SMS-DELIVER and one stored status report.
        let lines = [
            "+CMGL: 1,0,,44",
            "07915155550500F0040B911346610089F60000621112919243001CC8329BFD069DC3ED761D6496BFDB203ABA0C7297E9F7B77C0D",
            "+CMGL: 2,0,,26",
            "07915155550500F006020D91947112325476F8621112919263006211129192630000",
        ];
        let messages = cmgl(&lines).unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].index, 1);
        assert_eq!(messages[0].status, MessageStatus::RECEIVED_UNREAD);
        assert_eq!(messages[0].alpha, None);
        assert_eq!(messages[0].length, 44);
        assert!(messages[0].length_matches());
        assert!(messages[1].length_matches());
        let sms_pdu::Tpdu::Deliver(deliver) = messages[0].decode().unwrap().value.tpdu else {
            panic!("not a DELIVER");
        };
        assert_eq!(deliver.text().unwrap(), "Hello gammu from the network");
        assert!(matches!(
            messages[1].decode().unwrap().value.tpdu,
            sms_pdu::Tpdu::StatusReport(_)
        ));
    }

    #[test]
    fn cmgl_alpha_and_short_header() {
        let lines = [
            r#"+CMGL: 7,1,"Alice",5"#,
            "0001000000",
            "+CMGL: 8,1,5",
            "0001000000",
        ];
        let messages = cmgl(&lines).unwrap();
        assert_eq!(messages[0].alpha.as_deref(), Some("Alice"));
        assert_eq!(messages[1].index, 8);
        assert_eq!(messages[1].length, 5);
        assert_eq!(messages[1].status.name(), Some("REC READ"));
        assert!(cmgl::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn cmgl_errors_name_the_line() {
        assert_eq!(
            cmgl(&["+CMGL: 1,0,,44", "+CMGL: 2,0,,26"])
                .unwrap_err()
                .to_string(),
            r#"line 1 "+CMGL: 1,0,,44": header not followed by a hex PDU line"#
        );
        assert_eq!(
            cmgl(&["+CMGL: 1,0,,44"]).unwrap_err().to_string(),
            r#"line 1 "+CMGL: 1,0,,44": header not followed by a hex PDU line"#
        );
        assert_eq!(
            cmgl(&[
                r#"+CMGL: 1,"REC UNREAD","+31641600986",,"26/11/21,19:29:19+00""#,
                "Hello"
            ])
            .unwrap_err()
            .to_string(),
            r#"line 1 "+CMGL: 1,\"REC UNREAD\",\"+31641600986\",,\"26/11/21,19:29:19+00\"": field 2 (<stat>): "\"REC UNREAD\"" is not a number (is the modem in text mode?)"#
        );
    }

    #[test]
    fn cmgr_message_and_empty_slots() {
        // smsd session (notes, section 5.1).
        let lines = [
            "+CMGR: 0,,43",
            "07915155550500F0040B911346610089F60000621112919291001BC8329BFD06CDDB7332C82C7FB741747419E42ED3EF6FF91A",
        ];
        let message = cmgr(1, &lines).unwrap().unwrap();
        assert_eq!(message.index, 1);
        assert_eq!(message.length, 43);
        assert!(message.length_matches());
        assert_eq!(cmgr::<&str>(3, &[]).unwrap(), None);
        assert_eq!(cmgr(3, &["+CMGR: 0,,0"]).unwrap(), None);
        assert_eq!(
            cmgr(3, &["+CMGR: 0,,43"]).unwrap_err().to_string(),
            r#"line 1 "+CMGR: 0,,43": header not followed by a hex PDU line"#
        );
    }

    #[test]
    fn length_mismatch_is_visible() {
        let message = cmgr(1, &["+CMGR: 0,,9", "0001000000"]).unwrap().unwrap();
        assert!(!message.length_matches());
    }
}
