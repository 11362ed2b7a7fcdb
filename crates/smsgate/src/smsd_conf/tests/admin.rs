//! Issue 12.24, `admin_to`: smsd's administrative message settings are
//! carried over to `[spool]` and `[modems.NAME]`.

use std::time::Duration;

use super::{one_modem, round_trip};

#[test]
fn admin_to_and_its_limits_are_carried() {
    let (import, config) = round_trip(&one_modem(
        "admin_to = 37120000000\nadminmessage_device = GSM1",
        "admin_to = +37129999999\nadminmessage_limit = 5\nadminmessage_count_clear = 30\n",
    ));
    assert_eq!(config.features.admin.to.as_deref(), Some("37120000000"));
    assert_eq!(config.features.admin.modem.as_deref(), Some("GSM1"));
    let admin = &config.modems["GSM1"].features.admin;
    assert_eq!(admin.to.as_deref(), Some("+37129999999"));
    assert_eq!(admin.limit, 5);
    assert_eq!(admin.count_clear, Some(Duration::from_secs(30 * 60)));
    assert!(
        !import.toml.contains("not carried yet: admin_to"),
        "{}",
        import.toml
    );
}

#[test]
fn zero_and_empty_are_smsds_not_in_use() {
    let (_, config) = round_trip(&one_modem(
        "admin_to =",
        "adminmessage_limit = 0\nadminmessage_count_clear = 0\n",
    ));
    assert_eq!(config.features.admin.to, None);
    let admin = &config.modems["GSM1"].features.admin;
    assert_eq!((admin.limit, admin.count_clear), (0, None));
}
