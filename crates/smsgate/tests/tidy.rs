//! House rules checked on every test run: each source file says what it is
//! (`//!`), no trailing whitespace, and the pure crates stay free of I/O,
//! clocks and async runtimes (they are sans-I/O by design: see
//! ARCHITECTURE.md).

use std::path::{Path, PathBuf};

/// Crates that must not touch the outside world.
const PURE_CRATES: &[&str] = &["sms-pdu", "at", "spool", "sms-command"];

/// What a pure crate may not mention.
const FORBIDDEN_IN_PURE: &[&str] = &[
    "std::fs",
    "std::net",
    "std::io::Read",
    "std::io::Write",
    "std::process",
    "std::thread",
    "SystemTime",
    "Instant::now",
    "tokio",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn crate_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(workspace_root().join("crates")).unwrap() {
        let crate_dir = entry.unwrap().path();
        for sub in ["src", "tests", "benches"] {
            rust_files(&crate_dir.join(sub), &mut files);
        }
    }
    files.sort();
    files
}

#[test]
fn every_module_says_what_it_is() {
    let missing: Vec<String> = crate_sources()
        .into_iter()
        // `mod tests;` files belong to the module that declares them.
        .filter(|path| path.file_name().is_some_and(|name| name != "tests.rs"))
        .filter(|path| !std::fs::read_to_string(path).unwrap().starts_with("//!"))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! header:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_trailing_whitespace() {
    let mut offenders = Vec::new();
    for path in crate_sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (line_idx, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                offenders.push(format!("{}:{}", path.display(), line_idx + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "trailing whitespace:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn pure_crates_do_no_io() {
    let root = workspace_root();
    let mut offenders = Vec::new();
    for crate_name in PURE_CRATES {
        let mut files = Vec::new();
        rust_files(&root.join("crates").join(crate_name).join("src"), &mut files);
        assert!(!files.is_empty(), "no sources for {crate_name}");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for (line_idx, line) in text.lines().enumerate() {
                for word in FORBIDDEN_IN_PURE {
                    if line.contains(word) {
                        offenders.push(format!("{}:{}: {word}", path.display(), line_idx + 1));
                    }
                }
            }
        }
        let manifest =
            std::fs::read_to_string(root.join("crates").join(crate_name).join("Cargo.toml")).unwrap();
        let dependencies = manifest.split("[dependencies]").nth(1).unwrap_or("");
        let dependencies = dependencies.split("\n[").next().unwrap_or("");
        assert!(!dependencies.contains("tokio"), "{crate_name} depends on tokio");
    }
    assert!(
        offenders.is_empty(),
        "I/O in a pure crate:\n{}",
        offenders.join("\n")
    );
}
