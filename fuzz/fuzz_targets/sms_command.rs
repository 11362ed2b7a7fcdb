//! Arbitrary text as a received SMS: `sms_command::parse` must never
//! panic; a command that parses must give its canonical text, which parses
//! again to the same command; an error points inside the text. The
//! authorizer, fed the input's secret, must never panic either. The
//! secret's token is masked whatever the text, and a parsed secret is
//! inside it.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sms_command::{mask_secret, parse, secret_span, Authorizer, InternationalNumber, RateLimit};
use sms_pdu::{Address, TypeOfAddress};

fuzz_target!(|data: &[u8]| {
    let Some((&toa, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    assert_eq!(mask_secret(&text).chars().count(), text.chars().count());
    let span = secret_span(&text);
    match parse(&text) {
        Ok(Some(command)) => {
            let token = &text[span.expect("a command has a secret's token")];
            let alone = format!(":cmd {token} script x");
            assert_eq!(parse(&alone).ok().flatten().map(|alone| alone.secret), Some(command.secret.clone()));
            let canonical = command.to_text();
            assert_eq!(parse(&canonical), Ok(Some(command.clone())), "{canonical:?}");
            let allowed = vec![InternationalNumber::parse("+37120000000").unwrap()];
            let mut authorizer = Authorizer::new(allowed, "slepens", RateLimit::DEFAULT).unwrap();
            // The script name stands in for the sender's number.
            let sender = Address {
                toa: TypeOfAddress(toa),
                number: command.script.clone(),
            };
            for seconds in 0..4 {
                let _ = authorizer.check(&sender, &command.secret, Duration::from_secs(seconds));
            }
        }
        Ok(None) => {}
        Err(err) => assert!(err.column >= 1 && err.column <= text.chars().count() + 1),
    }
});
