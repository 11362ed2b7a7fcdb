//! RouterOS's way of writing `/tool sms send`: `phone-number=...`,
//! `message=...`, `channel=`, `smsc=`, `type=`, `status-report-request=`,
//! accepted after PORT beside the flags (`--message` ...). A key that
//! RouterOS has and smsgate does not is answered with the flag to use.

use clap::ValueEnum as _;

use crate::cli::{SendArgs, SmsType, YesNo};

/// A `send` with the flags and the `key=value` words merged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SendWords {
    pub(crate) phone: String,
    pub(crate) message: String,
    pub(crate) smsc: Option<String>,
    pub(crate) sms_type: Option<SmsType>,
    pub(crate) status_report_request: YesNo,
    pub(crate) channel: Option<usize>,
}

/// Why the words do not make a send: a usage error.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UsageError(pub(crate) String);

/// Merges `args`'s flags and its words after PORT: one bare word, the
/// phone number, and `key=value` words. A setting given twice (a flag and
/// its key, or a key twice) is an error, not a silent choice.
pub(crate) fn merge(args: &SendArgs) -> Result<SendWords, UsageError> {
    let mut phone = None;
    let mut message = args.message.clone();
    let mut smsc = args.smsc.clone();
    let mut sms_type = args.sms_type;
    let mut status_report_request = args.status_report_request;
    let mut channel = args.port.channel;
    for word in &args.words {
        let Some((key, value)) = word.split_once('=') else {
            if phone.replace(word.clone()).is_some() {
                return Err(UsageError(format!(
                    "{word:?}: one phone number only (PHONE or phone-number=...)"
                )));
            }
            continue;
        };
        let twice = |given: bool, flag: &str| {
            if given {
                Err(UsageError(format!(
                    "{key}= and {flag} (or {key}= twice): give it once"
                )))
            } else {
                Ok(())
            }
        };
        match key {
            "phone-number" => {
                twice(phone.is_some(), "PHONE")?;
                phone = Some(value.to_owned());
            }
            "message" => {
                twice(message.is_some(), "--message")?;
                message = Some(value.to_owned());
            }
            "smsc" => {
                twice(smsc.is_some(), "--smsc")?;
                smsc = Some(value.to_owned());
            }
            "type" => {
                twice(sms_type.is_some(), "--type")?;
                sms_type = Some(SmsType::from_str(value, true).map_err(|_| {
                    UsageError(format!("type={value}: one of class-0, class-1, class-2, class-3"))
                })?);
            }
            "status-report-request" => {
                twice(status_report_request.is_some(), "--status-report-request")?;
                status_report_request = Some(
                    YesNo::from_str(value, true)
                        .map_err(|_| UsageError(format!("status-report-request={value}: yes or no")))?,
                );
            }
            "channel" => {
                twice(channel.is_some(), "--channel")?;
                channel = Some(
                    value
                        .parse()
                        .map_err(|_| UsageError(format!("channel={value}: a number, from 0")))?,
                );
            }
            "port" => {
                return Err(UsageError(format!(
                    "port={value}: give the port first, as `smsgate send {value} ...`"
                )))
            }
            other => {
                return Err(UsageError(format!(
                    "{other}= is not a setting of send (phone-number=, message=, channel=, smsc=, type=, \
                     status-report-request=; or the flags, see --help)"
                )))
            }
        }
    }
    let phone =
        phone.ok_or_else(|| UsageError("no phone number: give PHONE or phone-number=...".to_owned()))?;
    let message =
        message.ok_or_else(|| UsageError("no text: give --message TEXT or message=TEXT".to_owned()))?;
    Ok(SendWords {
        phone,
        message,
        smsc,
        sms_type,
        status_report_request: status_report_request.unwrap_or(YesNo::Yes),
        channel,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command, ModemCommand};

    fn merged(line: &[&str]) -> Result<SendWords, UsageError> {
        let cli = Cli::try_parse_from(line).unwrap();
        let Command::Modem(ModemCommand::Send(args)) = cli.command else {
            panic!("not send");
        };
        merge(&args)
    }

    #[test]
    fn routeros_keys_and_flags_make_the_same_send() {
        let routeros = merged(&[
            "smsgate",
            "send",
            "usb3",
            "phone-number=+37120000000",
            "message=a=b c",
            "channel=1",
            "smsc=+37129200000",
            "type=class-0",
            "status-report-request=no",
        ])
        .unwrap();
        let flags = merged(&[
            "smsgate",
            "send",
            "usb3",
            "+37120000000",
            "--message",
            "a=b c",
            "--channel",
            "1",
            "--smsc",
            "+37129200000",
            "--type",
            "class-0",
            "--status-report-request",
            "no",
        ])
        .unwrap();
        assert_eq!(routeros, flags);
        assert_eq!(routeros.message, "a=b c");
        assert_eq!(routeros.channel, Some(1));
    }

    #[test]
    fn unknown_or_doubled_keys_say_what_to_use() {
        let error = |line: &[&str]| merged(line).unwrap_err().0;
        assert_eq!(
            error(&["smsgate", "send", "usb3", "+1", "message=x", "--message", "y"]),
            "message= and --message (or message= twice): give it once"
        );
        assert!(
            error(&["smsgate", "send", "usb3", "+1", "message=x", "colour=red"])
                .starts_with("colour= is not a setting of send (phone-number=, message=")
        );
        assert_eq!(
            error(&["smsgate", "send", "usb3", "message=x"]),
            "no phone number: give PHONE or phone-number=..."
        );
        assert_eq!(
            error(&["smsgate", "send", "usb3", "+1"]),
            "no text: give --message TEXT or message=TEXT"
        );
        assert_eq!(
            error(&["smsgate", "send", "usb3", "+1", "message=x", "type=class-9"]),
            "type=class-9: one of class-0, class-1, class-2, class-3"
        );
    }
}
