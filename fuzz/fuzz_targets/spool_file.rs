//! Arbitrary bytes as an outgoing spool file: parsing, planning and
//! rendering must never panic, and a `sent/` file written from a file that
//! parses must parse again to the same body and content.

#![no_main]

use libfuzzer_sys::fuzz_target;
use spool::{plan, render_sent, OutgoingFile, PlanDefaults, SentRecord, SpoolTime};

fuzz_target!(|data: &[u8]| {
    // Included files are the input itself, so includes are exercised too.
    let mut resolver = |_: &str| Ok(data.to_vec());
    let Ok(file) = OutgoingFile::parse(data, &mut resolver) else {
        return;
    };
    let _ = plan(&file, &PlanDefaults::default());
    if !file.includes.is_empty() {
        return;
    }
    let record = SentRecord {
        modem: "GSM1".to_owned(),
        sent: SpoolTime {
            year: 2026,
            month: 1,
            day: 2,
            hour: 3,
            minute: 4,
            second: 5,
        },
        sending_time: Some(1),
        message_ids: vec![1, 2],
        imsi: Some("001010123456789".to_owned()),
        imei: None,
    };
    let rendered = render_sent(data, &record);
    let reparsed = OutgoingFile::parse(&rendered, &mut resolver).expect("a sent/ file parses again");
    assert_eq!(reparsed.body, file.body);
    assert_eq!(reparsed.content, file.content);
});
