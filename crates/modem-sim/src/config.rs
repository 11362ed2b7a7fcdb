//! The identity and sizes of one virtual modem: what `AT+CGSN`, `AT+CIMI`,
//! `AT+CNUM`, `AT+COPS?` and the rest answer, and how many messages its
//! stores hold.

/// Everything that tells one virtual modem from another.
///
/// [`ModemConfig::numbered`] gives each index a distinct, valid identity
/// (IMEI and ICCID with their Luhn check digits), so a test with ten modems
/// needs no hand-written numbers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModemConfig {
    /// Name for logs and the symlink of the I/O shell, e.g. `modem0`.
    pub name: String,
    /// Own number, international digits without `+` (`4917200000000`).
    /// The network routes messages to it and `AT+CNUM` shows it.
    pub msisdn: String,
    /// `AT+CGSN`.
    pub imei: String,
    /// `AT+CIMI`.
    pub imsi: String,
    /// `AT+CCID` / `AT+ICCID`.
    pub iccid: String,
    /// `AT+CSCA?` at power-up, and the SMSC address in front of every
    /// message the network delivers to this modem (`+15555550000`).
    pub smsc: String,
    /// `AT+COPS?` in alphanumeric format.
    pub operator_name: String,
    /// `AT+COPS?` in numeric format (MCC and MNC, `00101`).
    pub operator_numeric: String,
    /// First value of `+CSQ` (0-31).
    pub rssi: u8,
    /// When set, the SIM asks for this PIN after every power-up.
    pub pin: Option<String>,
    /// The PUK that unblocks the SIM after three wrong PINs; `12345678`
    /// when unset.
    pub puk: Option<String>,
    /// Slots of the SIM store `"SM"`.
    pub sm_capacity: usize,
    /// Slots of the phone store `"ME"`.
    pub me_capacity: usize,
    /// `AT+CGMI`.
    pub manufacturer: String,
    /// `AT+CGMM`.
    pub model: String,
    /// `AT+CGMR`.
    pub revision: String,
}

/// The PUK of a SIM whose configuration names none.
pub const DEFAULT_PUK: &str = "12345678";

impl ModemConfig {
    /// The identity of modem number `index`: `modem<index>`, MSISDN
    /// `4917200000000 + index`, IMEI `49015420323751x` style numbers that
    /// differ by index, and 20 SM / 30 ME slots.
    ///
    /// Index 0 has the IMEI, IMSI and SMSC of the lab modem in
    /// `real-clients-at-transcripts.md`, so captures can be replayed.
    pub fn numbered(index: usize) -> ModemConfig {
        let index = index as u64;
        ModemConfig {
            name: format!("modem{index}"),
            msisdn: (4_917_200_000_000 + index).to_string(),
            imei: with_luhn_digit(&(49_015_420_323_751 + index).to_string()),
            imsi: format!("00101{:010}", 123_456_789 + index),
            iccid: with_luhn_digit(&format!("8900101{:011}", 123_456_789 + index)),
            smsc: "+15555550000".to_owned(),
            operator_name: "SMSGATE SIM".to_owned(),
            operator_numeric: "00101".to_owned(),
            rssi: 21,
            pin: None,
            puk: None,
            sm_capacity: 20,
            me_capacity: 30,
            manufacturer: "smsgate".to_owned(),
            model: "modem-sim".to_owned(),
            revision: concat!("modem-sim ", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl Default for ModemConfig {
    fn default() -> ModemConfig {
        ModemConfig::numbered(0)
    }
}

/// Appends the Luhn check digit that IMEIs and ICCIDs carry.
fn with_luhn_digit(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(digit_idx, byte)| {
            let digit = u32::from(byte - b'0');
            match digit_idx % 2 {
                0 if digit * 2 > 9 => digit * 2 - 9,
                0 => digit * 2,
                _ => digit,
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!("{body}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_zero_is_the_lab_modem() {
        let config = ModemConfig::numbered(0);
        assert_eq!(config.imei, "490154203237518");
        assert_eq!(config.imsi, "001010123456789");
        assert_eq!(config.msisdn, "4917200000000");
        assert_eq!(config.smsc, "+15555550000");
    }

    #[test]
    fn identities_differ_and_check_digits_hold() {
        let first = ModemConfig::numbered(1);
        let second = ModemConfig::numbered(2);
        assert_ne!(first.imei, second.imei);
        assert_ne!(first.msisdn, second.msisdn);
        assert_eq!(first.msisdn, "4917200000001");
        for config in [first, second] {
            assert_eq!(config.imei.len(), 15);
            assert_eq!(config.iccid.len(), 19);
            let body = &config.iccid[..18];
            assert_eq!(with_luhn_digit(body), config.iccid);
        }
    }
}
