//! The meaning texts of `+CME ERROR` and `+CMS ERROR` codes.
//!
//! The texts are the specifications' own wording, so that a message such as
//! `+CMS ERROR: 38 (network out of order)` reads the same as in smstools3
//! and gammu logs. Codes outside these tables are kept as numbers (vendor
//! codes differ from modem to modem); only the meaning is then missing.

/// `+CME ERROR` codes: 3GPP TS 27.007 clause 9.2.1 (general), 9.2.2
/// (GPRS and EPS) and the supplementary-service codes 257-264.
const CME: &[(u16, &str)] = &[
    (0, "phone failure"),
    (1, "no connection to phone"),
    (2, "phone-adaptor link reserved"),
    (3, "operation not allowed"),
    (4, "operation not supported"),
    (5, "PH-SIM PIN required"),
    (6, "PH-FSIM PIN required"),
    (7, "PH-FSIM PUK required"),
    (10, "SIM not inserted"),
    (11, "SIM PIN required"),
    (12, "SIM PUK required"),
    (13, "SIM failure"),
    (14, "SIM busy"),
    (15, "SIM wrong"),
    (16, "incorrect password"),
    (17, "SIM PIN2 required"),
    (18, "SIM PUK2 required"),
    (20, "memory full"),
    (21, "invalid index"),
    (22, "not found"),
    (23, "memory failure"),
    (24, "text string too long"),
    (25, "invalid characters in text string"),
    (26, "dial string too long"),
    (27, "invalid characters in dial string"),
    (30, "no network service"),
    (31, "network timeout"),
    (32, "network not allowed - emergency calls only"),
    (40, "network personalization PIN required"),
    (41, "network personalization PUK required"),
    (42, "network subset personalization PIN required"),
    (43, "network subset personalization PUK required"),
    (44, "service provider personalization PIN required"),
    (45, "service provider personalization PUK required"),
    (46, "corporate personalization PIN required"),
    (47, "corporate personalization PUK required"),
    (48, "hidden key required"),
    (49, "EAP method not supported"),
    (50, "incorrect parameters"),
    (51, "command implemented but currently disabled"),
    (52, "command aborted by user"),
    (53, "not attached to network due to MT functionality restrictions"),
    (54, "modem not allowed - MT restricted to emergency calls only"),
    (
        55,
        "operation not allowed because of MT functionality restrictions",
    ),
    (
        56,
        "fixed dial number only allowed - called number is not a fixed dial number",
    ),
    (57, "temporarily out of service due to other MT usage"),
    (58, "language/alphabet not supported"),
    (59, "unexpected data value"),
    (60, "system failure"),
    (61, "data missing"),
    (62, "call barred"),
    (63, "message waiting indication subscription failure"),
    (100, "unknown"),
    (103, "illegal MS"),
    (106, "illegal ME"),
    (107, "GPRS services not allowed"),
    (108, "GPRS services and non-GPRS services not allowed"),
    (111, "PLMN not allowed"),
    (112, "location area not allowed"),
    (113, "roaming not allowed in this location area"),
    (114, "GPRS services not allowed in this PLMN"),
    (115, "no suitable cells in location area"),
    (122, "congestion"),
    (126, "insufficient resources"),
    (127, "missing or unknown APN"),
    (128, "unknown PDP address or PDP type"),
    (129, "user authentication failed"),
    (130, "activation rejected by GGSN, Serving GW or PDN GW"),
    (131, "activation rejected, unspecified"),
    (132, "service option not supported"),
    (133, "requested service option not subscribed"),
    (134, "service option temporarily out of order"),
    (148, "unspecified GPRS error"),
    (149, "PDP authentication failure"),
    (150, "invalid mobile class"),
    (257, "network rejected request"),
    (258, "retry operation"),
    (259, "invalid deflected to number"),
    (260, "deflected to own number"),
    (261, "unknown subscriber"),
    (262, "service not available"),
    (263, "unknown class specified"),
    (264, "unknown network message"),
];

/// `+CMS ERROR` codes: 3GPP TS 27.005 clause 3.2.5. Codes 0-127 are RP
/// causes (TS 24.011 clause E.2), 128-255 TP-FCS values (TS 23.040 clause
/// 9.2.3.22), 300 and up the ME's own.
const CMS: &[(u16, &str)] = &[
    (1, "unassigned (unallocated) number"),
    (8, "operator determined barring"),
    (10, "call barred"),
    (21, "short message transfer rejected"),
    (22, "memory capacity exceeded"),
    (27, "destination out of order"),
    (28, "unidentified subscriber"),
    (29, "facility rejected"),
    (30, "unknown subscriber"),
    (38, "network out of order"),
    (41, "temporary failure"),
    (42, "congestion"),
    (47, "resources unavailable, unspecified"),
    (50, "requested facility not subscribed"),
    (69, "requested facility not implemented"),
    (81, "invalid short message transfer reference value"),
    (95, "invalid message, unspecified"),
    (96, "invalid mandatory information"),
    (97, "message type non-existent or not implemented"),
    (98, "message not compatible with short message protocol state"),
    (99, "information element non-existent or not implemented"),
    (111, "protocol error, unspecified"),
    (127, "interworking, unspecified"),
    (128, "telematic interworking not supported"),
    (129, "short message type 0 not supported"),
    (130, "cannot replace short message"),
    (143, "unspecified TP-PID error"),
    (144, "data coding scheme (alphabet) not supported"),
    (145, "message class not supported"),
    (159, "unspecified TP-DCS error"),
    (160, "command cannot be actioned"),
    (161, "command unsupported"),
    (175, "unspecified TP-Command error"),
    (176, "TPDU not supported"),
    (192, "SC busy"),
    (193, "no SC subscription"),
    (194, "SC system failure"),
    (195, "invalid SME address"),
    (196, "destination SME barred"),
    (197, "SM rejected-duplicate SM"),
    (198, "TP-VPF not supported"),
    (199, "TP-VP not supported"),
    (208, "(U)SIM SMS storage full"),
    (209, "no SMS storage capability in (U)SIM"),
    (210, "error in MS"),
    (211, "memory capacity exceeded"),
    (212, "(U)SIM Application Toolkit busy"),
    (213, "(U)SIM data download error"),
    (255, "unspecified error cause"),
    (300, "ME failure"),
    (301, "SMS service of ME reserved"),
    (302, "operation not allowed"),
    (303, "operation not supported"),
    (304, "invalid PDU mode parameter"),
    (305, "invalid text mode parameter"),
    (310, "(U)SIM not inserted"),
    (311, "(U)SIM PIN required"),
    (312, "PH-(U)SIM PIN required"),
    (313, "(U)SIM failure"),
    (314, "(U)SIM busy"),
    (315, "(U)SIM wrong"),
    (316, "(U)SIM PUK required"),
    (317, "(U)SIM PIN2 required"),
    (318, "(U)SIM PUK2 required"),
    (320, "memory failure"),
    (321, "invalid memory index"),
    (322, "memory full"),
    (330, "SMSC address unknown"),
    (331, "no network service"),
    (332, "network timeout"),
    (340, "no +CNMA acknowledgement expected"),
    (500, "unknown error"),
];

/// The 27.007 meaning of a `+CME ERROR` code.
pub fn cme_meaning(code: u16) -> Option<&'static str> {
    lookup(CME, code)
}

/// The 27.005 meaning of a `+CMS ERROR` code.
pub fn cms_meaning(code: u16) -> Option<&'static str> {
    lookup(CMS, code)
}

/// The code whose meaning is `text` (verbose error mode, `AT+CMEE=2`),
/// compared without regard to case, spaces at the ends, a trailing period,
/// or the "(U)" some tables write before "SIM".
pub(crate) fn cme_code(text: &str) -> Option<u16> {
    reverse_lookup(CME, text)
}

/// Like [`cme_code`], for `+CMS ERROR`.
pub(crate) fn cms_code(text: &str) -> Option<u16> {
    reverse_lookup(CMS, text)
}

fn lookup(table: &[(u16, &'static str)], code: u16) -> Option<&'static str> {
    table
        .binary_search_by_key(&code, |&(entry_code, _)| entry_code)
        .ok()
        .map(|entry_idx| table[entry_idx].1)
}

fn reverse_lookup(table: &[(u16, &str)], text: &str) -> Option<u16> {
    let wanted = normalize(text);
    table
        .iter()
        .find(|&&(_, meaning)| normalize(meaning) == wanted)
        .map(|&(code, _)| code)
}

fn normalize(text: &str) -> String {
    text.trim()
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .replace("(u)sim", "sim")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        // `lookup` binary-searches.
        for table in [CME, CMS] {
            for pair in table.windows(2) {
                assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
            }
        }
    }

    #[test]
    fn known_codes() {
        assert_eq!(cms_meaning(38), Some("network out of order"));
        assert_eq!(cms_meaning(321), Some("invalid memory index"));
        assert_eq!(cms_meaning(500), Some("unknown error"));
        assert_eq!(cme_meaning(10), Some("SIM not inserted"));
        assert_eq!(cme_meaning(262), Some("service not available"));
        assert_eq!(cme_meaning(9), None);
    }

    #[test]
    fn verbose_texts_map_back() {
        assert_eq!(cms_code("Network out of order"), Some(38));
        assert_eq!(cms_code("SIM not inserted"), Some(310));
        assert_eq!(cme_code("SIM PIN required."), Some(11));
        assert_eq!(cme_code("no such thing"), None);
    }
}
