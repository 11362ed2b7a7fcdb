//! Assertions that print the expected and the actual value in full when
//! they differ, so a failure can be read without re-running anything.

/// Compares two strings (or anything `Display`), printing both whole on a
/// mismatch.
macro_rules! eqnice {
    ($expected:expr, $got:expr $(,)?) => {{
        let expected = &*$expected;
        let got = &*$got;
        if expected != got {
            panic!(
                "\nprinted output differs\n\n\
                 expected:\n{}\n{}\n{}\n\n\
                 got:\n{}\n{}\n{}\n",
                "~".repeat(60),
                expected,
                "~".repeat(60),
                "~".repeat(60),
                got,
                "~".repeat(60),
            );
        }
    }};
}

/// Compares two JSON values, printing both pretty and whole on a mismatch.
macro_rules! eqnice_json {
    ($expected:expr, $got:expr $(,)?) => {{
        let expected: &serde_json::Value = &$expected;
        let got: &serde_json::Value = &$got;
        if expected != got {
            eqnice!(
                serde_json::to_string_pretty(expected).unwrap(),
                serde_json::to_string_pretty(got).unwrap()
            );
        }
    }};
}
