//! `smsgate pdu encode`: known answers from smsd captures, and round trips
//! through `pdu decode` for every alphabet and for multipart messages.

use serde_json::{json, Value};

use crate::util::{encoded_pdus, TestCommand};

const TO: &str = "+4917212345678";

fn encode(args: &[&str]) -> Vec<String> {
    let stdout = TestCommand::new(["pdu", "encode", "--to", TO])
        .args(args)
        .stdout();
    encoded_pdus(&stdout)
}

fn decode(pdus: &[String]) -> Value {
    TestCommand::new(["pdu", "decode", "--json"]).args(pdus).json()
}

/// Capture: smstools3 smsd 3.1.21 lab, a "plain" file with `report = yes`
/// and smsd's default validity (255).
#[test]
fn smsd_capture_plain() {
    let stdout = TestCommand::new([
        "pdu",
        "encode",
        "--to",
        TO,
        "--text",
        "Hello from smsd",
        "--report",
    ])
    .args(["--validity", "255"])
    .stdout();
    eqnice!(
        "29 0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301\n",
        stdout
    );
}

/// Capture: smstools3 smsd 3.1.21 lab, `Alphabet: UTF` sent as UCS2, with
/// the file's trailing newline.
#[test]
fn smsd_capture_ucs2() {
    let stdout = TestCommand::new([
        "pdu",
        "encode",
        "--to",
        TO,
        "--text",
        "Unicode from smsd: Привет €\n",
    ])
    .args(["--report", "--validity", "255"])
    .stdout();
    eqnice!(
        "71 0031000D91947112325476F80008FF380055006E00690063006F00640065002000660072006F006D00200073006D00730064003A0020041F04400438043204350442002020AC000A\n",
        stdout
    );
}

/// Capture: smstools3 smsd 3.1.21 lab, a long text autosplit into two parts
/// with reference 237 (0xED). Decoding the captured parts gives the text;
/// encoding that text again gives the captured parts, octet for octet.
#[test]
fn smsd_capture_two_parts_round_trip() {
    let captured = [
        "0071000D91947112325476F80000FFA0050003ED0201986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF6DD0BC3D2783986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF6DD0BC3D2783986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF6DD0BC3D2783986FF719442FE3E920B3FCDD06CDDB733288F9769F41F4329E0E32CBDF".to_owned(),
        "0071000D91947112325476F80000FF35050003ED0202DAA0797B4E0631DFEE33885EC6D34166F9BB0D9AB7E76410F3ED3E83E8653C1D6496BFDBA0797B4E06".to_owned(),
    ];
    let message = decode(&captured);
    let text = message["text"].as_str().expect("reassembled text").to_owned();
    assert!(text.starts_with("Long text from smsd "), "{text}");
    let stdout = TestCommand::new(["pdu", "encode", "--to", TO, "--text", &text])
        .args(["--report", "--validity", "255", "--reference", "237"])
        .stdout();
    eqnice!(format!("155 {}\n62 {}\n", captured[0], captured[1]), stdout);
}

#[test]
fn gsm7_round_trip() {
    let text = "Hello [world] {€5} ~ ^_^";
    let pdus = encode(&[
        "--text",
        text,
        "--validity",
        "2 days",
        "--report",
        "--smsc",
        "+15555550000",
    ]);
    assert_eq!(pdus.len(), 1);
    let decoded = decode(&pdus);
    eqnice_json!(
        json!({
            "type": "submit",
            "smsc": {"number": "15555550000", "toa": 145},
            "mr": 0,
            "da": {"number": "4917212345678", "toa": 145},
            "pid": 0,
            "dcs": 0,
            "alphabet": "gsm7",
            "class": null,
            "vp": {"format": "relative", "value": 168, "seconds": 172800, "text": "relative 168 (2 days)"},
            "srr": true,
            "rd": false,
            "rp": false,
            "udh": [],
            "concat": null,
            "ports": null,
            "text": text,
            "warnings": [],
        }),
        decoded
    );
}

#[test]
fn ucs2_round_trip_with_an_emoji() {
    let text = "Grüße aus Riga, €5 😀";
    for alphabet in ["auto", "ucs2"] {
        let pdus = encode(&["--text", text, "--alphabet", alphabet, "--class0"]);
        assert_eq!(pdus.len(), 1);
        let decoded = decode(&pdus);
        eqnice_json!(json!("ucs2"), decoded["alphabet"]);
        eqnice_json!(json!(0x18), decoded["dcs"]);
        eqnice_json!(json!(0), decoded["class"]);
        eqnice_json!(json!(text), decoded["text"]);
        eqnice_json!(json!(null), decoded["vp"]);
    }
}

#[test]
fn binary_round_trip() {
    let pdus = encode(&["--alphabet", "binary", "--text", "00FF7F80C0DE", "--class0"]);
    // By hand (TS 23.040 9.2.2.2): no SMSC, SMS-SUBMIT, MR 0, DA, PID 0,
    // DCS 0x14 (8-bit, class 0), UDL 6, the data.
    eqnice!(
        "00 01 00 0D91947112325476F8 00 14 06 00FF7F80C0DE".replace(' ', ""),
        pdus.join("\n")
    );
    let decoded = decode(&pdus);
    eqnice_json!(json!("8bit"), decoded["alphabet"]);
    eqnice_json!(json!(0x14), decoded["dcs"]);
    eqnice_json!(json!("00FF7F80C0DE"), decoded["data"]);
    assert!(decoded.get("text").is_none(), "{decoded}");
}

#[test]
fn three_parts_out_of_order_with_a_duplicate() {
    let text: String = (1..=30).map(|n| format!("Part text {n:02}. ")).collect();
    let pdus = encode(&["--text", &text, "--reference", "42"]);
    assert_eq!(pdus.len(), 3, "{pdus:?}");
    let shuffled = [pdus[2].clone(), pdus[0].clone(), pdus[1].clone(), pdus[0].clone()];
    let message = decode(&shuffled);
    eqnice_json!(json!(text), message["text"]);
    eqnice_json!(
        json!(["PDU 4 repeats part 1 (PDU 2), ignored"]),
        message["warnings"]
    );
    let concats: Vec<&Value> = message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| &part["concat"])
        .collect();
    eqnice_json!(
        json!([
            {"ref": 42, "total": 3, "seq": 3},
            {"ref": 42, "total": 3, "seq": 1},
            {"ref": 42, "total": 3, "seq": 2},
            {"ref": 42, "total": 3, "seq": 1},
        ]),
        Value::Array(concats.into_iter().cloned().collect())
    );
}

#[test]
fn multipart_ucs2_and_binary_round_trip() {
    let text = "Ünïcödé 😀 ".repeat(20);
    let pdus = encode(&["--text", &text]);
    assert_eq!(pdus.len(), 4, "{pdus:?}");
    let reversed: Vec<String> = pdus.iter().rev().cloned().collect();
    eqnice_json!(json!(text), decode(&reversed)["text"]);

    let data = "A5".repeat(300);
    let pdus = encode(&["--alphabet", "binary", "--text", &data]);
    assert_eq!(pdus.len(), 3, "{pdus:?}");
    eqnice_json!(json!(data), decode(&pdus)["data"]);
}

#[test]
fn default_reference_is_deterministic() {
    let text = "x".repeat(200);
    let first = encode(&["--text", &text]);
    eqnice!(first.join("\n"), encode(&["--text", &text]).join("\n"));
    let wide = decode(&encode(&["--text", &text, "--reference", "4660"]));
    eqnice_json!(json!({"iei": 8, "data": "12340201"}), wide["parts"][0]["udh"][0]);
}

#[test]
fn numbered_and_plain_autosplit() {
    let text = "y".repeat(200);
    let numbered = encode(&["--text", &text, "--autosplit", "2"]);
    assert_eq!(numbered.len(), 2);
    let first = decode(&numbered[..1]);
    assert!(first["text"].as_str().unwrap().starts_with("1/2 yyy"), "{first}");
    eqnice_json!(json!([]), first["udh"]);
    let plain = encode(&["--text", &text, "--autosplit", "1"]);
    assert_eq!(plain.len(), 2);
    eqnice_json!(json!("y".repeat(160)), decode(&plain[..1])["text"]);
}

#[test]
fn national_shift_tables() {
    let text = "ĞŞİğşı".repeat(5);
    let without = encode(&["--text", &text]);
    eqnice_json!(json!("ucs2"), decode(&without)["alphabet"]);
    let with = encode(&["--text", &text, "--national", "turkish"]);
    let decoded = decode(&with);
    eqnice_json!(json!("gsm7"), decoded["alphabet"]);
    eqnice_json!(json!(text), decoded["text"]);
    let single_only = decode(&encode(&[
        "--text",
        &text,
        "--national",
        "turkish",
        "--single-shift-only",
    ]));
    eqnice_json!(json!([{"iei": 0x24, "data": "01"}]), single_only["udh"]);
    eqnice_json!(json!(text), single_only["text"]);
}

#[test]
fn errors_exit_1_with_a_message() {
    let long = "z".repeat(161);
    let cases: &[(&[&str], &str)] = &[
        (
            &["--to", "12x", "--text", "hi"],
            "--to: address \"12x\": only the characters 0-9 * # a b c are allowed",
        ),
        (
            &["--to", "123", "--smsc", "+", "--text", "hi"],
            "--smsc: address \"+\": no digits",
        ),
        (
            &["--to", "123", "--text", &long, "--autosplit", "0"],
            "--text: user data is 161 septets, at most 160 fit one message (--autosplit 0 does not split)",
        ),
        (
            &["--to", "123", "--text", &"😀".repeat(71), "--autosplit", "0"],
            "--text: user data is 284 octets, at most 140 fit one message (--autosplit 0 does not split)",
        ),
        (
            &["--to", "123", "--text", "smile 😀", "--alphabet", "gsm"],
            "--text: character '😀' at position 6 cannot be written in the GSM 7-bit alphabet \
             (--alphabet auto or ucs2 would use UCS2)",
        ),
        (
            &["--to", "123", "--text", "0102F", "--alphabet", "binary"],
            "--text: hex character 5: odd number of hexadecimal digits (5)",
        ),
    ];
    for (args, message) in cases {
        let printed = TestCommand::new(["pdu", "encode"]).args(*args).expect_status(1);
        eqnice!("", printed.stdout);
        eqnice!(format!("error: {message}\n"), printed.stderr);
    }
}

#[test]
fn submit_dump() {
    let stdout = TestCommand::new([
        "pdu",
        "encode",
        "--to",
        "+49 172 1234567",
        "--smsc",
        "+15555550000",
    ])
    .args([
        "--text",
        "Two lines,\n\nwith a gap",
        "--class0",
        "--report",
        "--validity",
        "2 days",
    ])
    .stdout();
    let pdus = encoded_pdus(&stdout);
    eqnice!(
        "07915155550500F031000C919471123254760010A816D4FB1BC44EBBCB739642714FD3D1A030E81C8603",
        pdus.join("\n")
    );
    let dump = TestCommand::new(["pdu", "decode"]).args(&pdus).stdout();
    eqnice!(
        "\
type:         SMS-SUBMIT
smsc:         +15555550000 (toa 91 international, ISDN/telephone)
flags:        status report requested (TP-SRR)
mr:           0 (modems put their own counter here)
da:           +491721234567 (toa 91 international, ISDN/telephone)
pid:          00 (short message)
dcs:          10 (GSM 7-bit, class 0 (flash))
vp:           relative 168 (2 days)
text:         Two lines,

              with a gap
",
        dump
    );
}
