//! A `send` request's message, built in one place for both ways a command
//! reaches a modem: the CLI opening the modem itself and the daemon's
//! control socket. Everything that can be checked without the modem is
//! checked here, so that both refuse the same requests.

use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use sms_pdu::MessageClass;

use super::views::{fresh_reference, phone_number};

/// The message to send and how it is split.
#[derive(Clone, Debug)]
pub struct SendSms {
    pub message: OutgoingMessage,
    /// With a fresh concatenation reference.
    pub options: SplitOptions,
}

/// What is wrong with a `send` request; each way names the field its own
/// way (`PHONE` on the command line, `number` in a control request).
#[derive(Debug)]
pub enum SendError {
    /// The destination number.
    Number(anyhow::Error),
    /// The service centre's number.
    Smsc(anyhow::Error),
    /// A TP-DCS message class that is not 0-3.
    Class(u8),
}

impl SendSms {
    /// The message to `number`, through `smsc` if given, of `class` (0 is
    /// "flash"), with a status report if `status_report_request`.
    pub fn build(
        number: &str,
        smsc: Option<&str>,
        class: Option<u8>,
        status_report_request: bool,
    ) -> Result<SendSms, SendError> {
        let destination = phone_number(number).map_err(SendError::Number)?;
        let smsc = smsc.map(phone_number).transpose().map_err(SendError::Smsc)?;
        let class = match class {
            None => None,
            Some(0) => Some(MessageClass::Class0),
            Some(1) => Some(MessageClass::Class1),
            Some(2) => Some(MessageClass::Class2),
            Some(3) => Some(MessageClass::Class3),
            Some(other) => return Err(SendError::Class(other)),
        };
        let message = OutgoingMessage {
            smsc,
            class,
            status_report_request,
            ..OutgoingMessage::to(destination)
        };
        let options = SplitOptions {
            reference: u16::from(fresh_reference()),
            ..SplitOptions::default()
        };
        Ok(SendSms { message, options })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_refuse_the_same_requests_naming_the_field() {
        let sms = SendSms::build("+371 2000 0000", Some("+37129000000"), Some(0), true).unwrap();
        assert_eq!(sms.message.destination.to_string(), "+37120000000");
        assert_eq!(sms.message.class, Some(MessageClass::Class0));
        assert!(sms.message.status_report_request);
        assert!(matches!(
            SendSms::build("12-3", None, None, false),
            Err(SendError::Number(_))
        ));
        assert!(matches!(
            SendSms::build("123", Some("x"), None, false),
            Err(SendError::Smsc(_))
        ));
        assert!(matches!(
            SendSms::build("123", None, Some(4), false),
            Err(SendError::Class(4))
        ));
    }
}
