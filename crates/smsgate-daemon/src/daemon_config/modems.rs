//! Checks of a `[modems.NAME]` section's values: which device of its port
//! it uses, and its `validity`; apart from `daemon_config.rs` so that each
//! section's rules read on their own.

use modem::PortAddress;
use toml::Spanned;

use super::{Checker, RawValidity};
use crate::config::PortSection;

impl Checker<'_> {
    pub(super) fn pick_device(
        &mut self,
        section: &PortSection,
        channel: Option<&Spanned<usize>>,
        port_offset: usize,
        key: &dyn Fn(&str) -> String,
    ) -> Option<PortAddress> {
        match channel {
            None if section.devices.len() == 1 => section.devices.first().cloned(),
            None => {
                let message = format!(
                    "the port has {} devices; choose one with `channel = N`",
                    section.devices.len()
                );
                self.problem(port_offset, &key("port"), &message);
                None
            }
            Some(channel) => {
                let device = section.devices.get(*channel.get_ref()).cloned();
                if device.is_none() {
                    let message = format!(
                        "{} is out of range: the port has {} device(s), from 0",
                        channel.get_ref(),
                        section.devices.len()
                    );
                    self.problem(channel.span().start, &key("channel"), &message);
                }
                device
            }
        }
    }

    pub(super) fn validity(&mut self, validity: &Spanned<RawValidity>, key: &str) -> Option<u8> {
        let parsed = match validity.get_ref() {
            RawValidity::Relative(value) => u8::try_from(*value).map_err(|_| format!("{value} is not 0-255")),
            RawValidity::Period(text) => {
                sms_pdu::parse_smstools_validity(text).map_err(|err| err.to_string())
            }
        };
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.problem(validity.span().start, key, &message);
                None
            }
        }
    }
}
