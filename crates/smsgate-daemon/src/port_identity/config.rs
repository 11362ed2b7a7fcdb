//! `[ports.NAME] imei`, `iccid` and a glob in `device`: the checks.

use toml::Spanned;

use super::Wanted;
use crate::daemon_config::Checker;

/// Where a modem named by identity alone is looked for.
pub const DEFAULT_GLOBS: [&str; 3] = ["/dev/serial/by-id/*", "/dev/ttyUSB*", "/dev/ttyACM*"];

/// Whether a `device` is a glob rather than a path.
pub fn is_glob(device: &str) -> bool {
    device.contains(['*', '?'])
}

impl Checker<'_> {
    /// The port's identity, if it has one: `imei`, `iccid`, and the globs
    /// of `devices` (the defaults when there is no device at all).
    pub(crate) fn port_identity(
        &mut self,
        port: &str,
        imei: Option<&Spanned<String>>,
        iccid: Option<&Spanned<String>>,
        devices: &[String],
    ) -> Option<Wanted> {
        let globs: Vec<String> = devices.iter().filter(|device| is_glob(device)).cloned().collect();
        if !globs.is_empty() && globs.len() < devices.len() {
            // A glob names the ports to probe; a path next to it would
            // be probed or not by chance of the binding.
            let offset = imei.or(iccid).map_or(0, |value| value.span().start);
            let message = "mixes globs and paths; give globs only (the modem is probed for) or paths only";
            self.problem(offset, &format!("ports.{port}.devices"), message);
        }
        let mut identity = |value: Option<&Spanned<String>>, key: &str| {
            let value = value?;
            let digits: String = value.get_ref().chars().filter(char::is_ascii_digit).collect();
            if digits.is_empty() || value.get_ref().trim().len() != digits.len() {
                let message = "is the digits the modem answers (AT+CGSN for imei, AT+CCID for iccid)";
                self.problem(value.span().start, &format!("ports.{port}.{key}"), message);
            }
            Some(digits)
        };
        let imei = identity(imei, "imei");
        let iccid = identity(iccid, "iccid");
        if imei.is_none() && iccid.is_none() && globs.is_empty() {
            return None;
        }
        let globs = match devices.is_empty() {
            true => DEFAULT_GLOBS.iter().map(|glob| (*glob).to_owned()).collect(),
            false => globs,
        };
        Some(Wanted { imei, iccid, globs })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::daemon_config::DaemonConfig;

    fn parse(port: &str) -> anyhow::Result<DaemonConfig> {
        let text = format!("[ports.a]\n{port}\n[modems.a]\n[ports.b]\n{port}\n[modems.b]\n");
        DaemonConfig::parse(&text, Path::new("smsgate.toml"))
    }

    #[test]
    fn a_port_by_identity_needs_no_device_and_two_may_share_a_glob() {
        let config = parse("imei = \"490154203237518\"").unwrap();
        let identity = config.ports["a"].identity.clone().unwrap();
        assert_eq!(identity.imei.as_deref(), Some("490154203237518"));
        assert_eq!(identity.globs, super::DEFAULT_GLOBS);
        let config = parse("device = \"/dev/serial/by-id/usb-Quectel*\"\niccid = \"8949020000123\"").unwrap();
        let identity = config.ports["b"].identity.clone().unwrap();
        assert_eq!(identity.iccid.as_deref(), Some("8949020000123"));
        assert_eq!(identity.globs, ["/dev/serial/by-id/usb-Quectel*"]);
        // Plain paths stay plain.
        assert_eq!(
            DaemonConfig::parse("[ports.a]\ndevice = \"/dev/ttyUSB0\"\n", Path::new("x"))
                .unwrap()
                .ports["a"]
                .identity,
            None
        );
    }

    #[test]
    fn mistakes_are_named() {
        let text = format!("{:#}", parse("imei = \"35-34-90\"").unwrap_err());
        assert!(
            text.contains("ports.a.imei: is the digits the modem answers"),
            "{text}"
        );
        let text = format!(
            "{:#}",
            parse("devices = [\"/dev/ttyUSB*\", \"/dev/ttyS0\"]\nimei = \"1\"").unwrap_err()
        );
        assert!(text.contains("ports.a.devices: mixes globs and paths"), "{text}");
    }
}
