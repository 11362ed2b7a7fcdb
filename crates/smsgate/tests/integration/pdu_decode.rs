//! `smsgate pdu decode`: real captures in both output forms, multipart
//! reassembly, and the errors for malformed input.

use serde_json::json;

use crate::util::{parse_json, TestCommand};

/// Capture: smstools3 smsd 3.1.21 lab, an SMS-DELIVER read with AT+CMGR.
const SMSD_DELIVER: &str =
    "07915155550500F0040B911346610089F60000621112919291001BC8329BFD06CDDB7332C82C7FB741747419E42ED3EF6FF91A";

/// Capture: smstools3 smsd 3.1.21 lab, the status report for TP-MR 1.
const SMSD_REPORT: &str = "07915155550500F006010D91947112325476F8621112919202006211129192020000";

/// AOSP telephony tests, GsmSmsTest.testMultipart: a DELIVER in two parts
/// with 8-bit reference 0.
const AOSP_PART1: &str = "07916163838408F6440B816105224431F700007060217175830AA005000300020162B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562B1582C168BC562";
const AOSP_PART2: &str = "07916163838408F6440B816105224431F700007060217185000A2305000300020262B1582C168BC96432994C2693C96432994C2693C96432990C";

/// AOSP telephony tests, GsmSmsTest.testUdh: part 1 of a WAP push, 8-bit
/// data with application ports.
const AOSP_WAP_PART1: &str = "07914140279510F6440A8111110301003BF56080207130138A8C0B05040B8423F000032A02010106276170706C69636174696F6E2F766E642E7761702E6D6D732D6D65737361676500AF848D0185B4848C8298524E453955304A6D713551414142666C414141414D7741414236514141414141008D908918802B31353132323937373638332F545950453D504C4D4E008A808E022B918805810306977F83687474703A2F2F36";

#[test]
fn deliver_dump() {
    let dump = TestCommand::new(["pdu", "decode", SMSD_DELIVER]).stdout();
    eqnice!(
        "\
type:         SMS-DELIVER
smsc:         +15555550000 (toa 91 international, ISDN/telephone)
oa:           +31641600986 (toa 91 international, ISDN/telephone)
flags:        none
pid:          00 (short message)
dcs:          00 (GSM 7-bit, no class)
scts:         2026-11-21T19:29:19+00:00
text:         Hello smsd from the network
",
        dump
    );
}

#[test]
fn deliver_json() {
    let decoded = TestCommand::new(["pdu", "decode", "--json", SMSD_DELIVER]).json();
    eqnice_json!(
        json!({
            "type": "deliver",
            "smsc": {"number": "15555550000", "toa": 145},
            "oa": {"number": "31641600986", "toa": 145},
            "pid": 0,
            "dcs": 0,
            "alphabet": "gsm7",
            "class": null,
            "scts": "2026-11-21T19:29:19+00:00",
            "mms": true,
            "sri": false,
            "rp": false,
            "lp": false,
            "udh": [],
            "concat": null,
            "ports": null,
            "text": "Hello smsd from the network",
            "warnings": [],
        }),
        decoded
    );
}

#[test]
fn bare_tpdu_with_no_smsc() {
    // The same DELIVER without its 8-octet SMSC address.
    let tpdu = &SMSD_DELIVER[16..];
    let decoded = TestCommand::new(["pdu", "decode", "--json", "--no-smsc", tpdu]).json();
    let mut expected = TestCommand::new(["pdu", "decode", "--json", SMSD_DELIVER]).json();
    expected["smsc"] = serde_json::Value::Null;
    eqnice_json!(expected, decoded);
}

#[test]
fn status_report_dump() {
    let dump = TestCommand::new(["pdu", "decode", SMSD_REPORT]).stdout();
    eqnice!(
        "\
type:         SMS-STATUS-REPORT
smsc:         +15555550000 (toa 91 international, ISDN/telephone)
flags:        none
mr:           1
ra:           +4917212345678 (toa 91 international, ISDN/telephone)
scts:         2026-11-21T19:29:20+00:00
dt:           2026-11-21T19:29:20+00:00
st:           0 (transaction completed)
status_text:  Ok,short message received by the SME
",
        dump
    );
}

#[test]
fn status_report_json() {
    let decoded = TestCommand::new(["pdu", "decode", "--json", SMSD_REPORT]).json();
    eqnice_json!(
        json!({
            "type": "status-report",
            "smsc": {"number": "15555550000", "toa": 145},
            "mr": 1,
            "ra": {"number": "4917212345678", "toa": 145},
            "scts": "2026-11-21T19:29:20+00:00",
            "dt": "2026-11-21T19:29:20+00:00",
            "st": 0,
            "status_text": "Ok,short message received by the SME",
            "mms": true,
            "srq": false,
            "lp": false,
            "pid": null,
            "dcs": null,
            "alphabet": null,
            "class": null,
            "warnings": [],
        }),
        decoded
    );
}

#[test]
fn eight_bit_data_with_ports() {
    let decoded = TestCommand::new(["pdu", "decode", "--json", AOSP_WAP_PART1]).json();
    eqnice_json!(json!("8bit"), decoded["alphabet"]);
    eqnice_json!(json!(1), decoded["class"]);
    eqnice_json!(
        json!([{"iei": 5, "data": "0B8423F0"}, {"iei": 0, "data": "2A0201"}]),
        decoded["udh"]
    );
    eqnice_json!(json!({"ref": 42, "total": 2, "seq": 1}), decoded["concat"]);
    eqnice_json!(json!({"src": 9200, "dst": 2948}), decoded["ports"]);
    assert!(decoded.get("text").is_none(), "8-bit data has no text: {decoded}");
    let data = decoded["data"].as_str().unwrap();
    assert!(data.starts_with("0106276170706C69636174696F6E2F"), "{data}");

    let dump = TestCommand::new(["pdu", "decode", AOSP_WAP_PART1]).stdout();
    for line in [
        "dcs:          F5 (8-bit data, class 1)\n",
        "udh:          05 0B8423F0 (application ports, 16-bit)\n",
        "concat:       part 1 of 2, reference 42\n",
        "ports:        src 9200, dst 2948\n",
    ] {
        assert!(dump.contains(line), "no {line:?} in\n{dump}");
    }
}

#[test]
fn multipart_capture_in_reverse_order() {
    let message = TestCommand::new(["pdu", "decode", "--json", AOSP_PART2, AOSP_PART1]).json();
    let text = format!("{}{}", "1".repeat(160), "2".repeat(21));
    eqnice_json!(json!(text), message["text"]);
    eqnice_json!(json!([]), message["warnings"]);
    assert!(message.get("error").is_none(), "{message}");
    let parts = message["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    eqnice_json!(json!({"ref": 0, "total": 2, "seq": 2}), parts[0]["concat"]);
    eqnice_json!(json!({"ref": 0, "total": 2, "seq": 1}), parts[1]["concat"]);

    let dump = TestCommand::new(["pdu", "decode", AOSP_PART2, AOSP_PART1]).stdout();
    assert!(
        dump.starts_with("--- PDU 1\ntype:         SMS-DELIVER\n"),
        "{dump}"
    );
    assert!(
        dump.ends_with(&format!("\n--- message\ntext:         {text}\n")),
        "{dump}"
    );
}

/// `A😀B` in two UCS2 parts cut between the halves of the emoji's
/// surrogate pair: the message has the emoji (it had two U+FFFD).
#[test]
fn an_emoji_split_between_two_parts_is_joined() {
    let part1 = "00440B919471020010F00008621112919202000A050003AA02010041D83D";
    let part2 = "00440B919471020010F00008621112919202000A050003AA0202DE000042";
    let message = TestCommand::new(["pdu", "decode", "--json", part2, part1]).json();
    eqnice_json!(json!("A😀B"), message["text"]);
    let dump = TestCommand::new(["pdu", "decode", part1, part2]).stdout();
    assert!(dump.ends_with("\n--- message\ntext:         A😀B\n"), "{dump}");
}

#[test]
fn incomplete_message_exits_1_and_says_what_is_missing() {
    let problem = "PDU 2 is not part of a concatenated message (no concatenation element); \
                   the message with 8-bit reference 0 of 2 parts (16502244137) is missing part 1";
    let printed = TestCommand::new(["pdu", "decode", "--json", AOSP_PART2, SMSD_DELIVER]).expect_status(1);
    let message = parse_json(&printed.stdout);
    eqnice_json!(json!(problem), message["error"]);
    assert!(message.get("text").is_none(), "{message}");
    assert_eq!(message["parts"].as_array().unwrap().len(), 2);
    eqnice!(
        format!("error: the PDUs are not one complete message: {problem}\n"),
        printed.stderr
    );

    let printed = TestCommand::new(["pdu", "decode", AOSP_PART2, SMSD_DELIVER]).expect_status(1);
    assert!(
        printed
            .stdout
            .ends_with(&format!("--- message\nincomplete:   {problem}\n")),
        "{}",
        printed.stdout
    );
}

/// The malformed vectors of `sms-pdu/test_data/malformed`, each with the
/// message the codec gives for it, now prefixed with the PDU's place.
#[test]
fn malformed_pdus_exit_1_naming_the_place() {
    let cases = [
        (
            "00040",
            "PDU 1: hex character 5: odd number of hexadecimal digits (5)",
        ),
        ("0004G0", "PDU 1: hex character 4: 'G' is not a hexadecimal digit"),
        (
            // The smsd DELIVER cut inside its time stamp (cut in the user
            // data, it decodes with a warning: `truncated_user_data.hex`).
            "07915155550500F0040B911346610089F600006211129192",
            "PDU 1: octet 19 (TP-SCTS): PDU ends here, 2 more octet(s) needed",
        ),
        (
            "07915155550500F0040B911346610089F6000062111291929100AB",
            "PDU 1: octet 26 (TP-UDL): length 171 is invalid, at most 160",
        ),
        (
            "0003",
            "PDU 1: octet 1 (TP-MTI): message type indicator 3 is reserved",
        ),
        ("", "PDU 1: octet 0 (SMSC address): empty PDU"),
    ];
    for (hex, message) in cases {
        let printed = TestCommand::new(["pdu", "decode", hex]).expect_status(1);
        eqnice!("", printed.stdout);
        eqnice!(format!("error: {message}\n"), printed.stderr);

        let printed = TestCommand::new(["pdu", "decode", "--json", hex]).expect_status(1);
        eqnice_json!(json!({"error": message}), parse_json(&printed.stdout));
        eqnice!(format!("error: {message}\n"), printed.stderr);
    }
}

#[test]
fn every_malformed_pdu_is_reported() {
    let truncated = &SMSD_DELIVER[..48];
    let printed =
        TestCommand::new(["pdu", "decode", "--json", SMSD_DELIVER, truncated, "0G"]).expect_status(1);
    let message = "PDU 2: octet 19 (TP-SCTS): PDU ends here, 2 more octet(s) needed; \
                   PDU 3: hex character 1: 'G' is not a hexadecimal digit";
    eqnice_json!(json!({"error": message}), parse_json(&printed.stdout));
    eqnice!(format!("error: {message}\n"), printed.stderr);
}
