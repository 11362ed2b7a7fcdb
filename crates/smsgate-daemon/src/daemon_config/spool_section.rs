//! The `[spool]` section's checks: its directories (each its own), the
//! intake limit and file modes, how received and sent files are written,
//! and the national tables; apart from `daemon_config.rs` so that each
//! section's rules read on their own.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::{Checker, RawSpool, SpoolDirs};
use crate::intake::DEFAULT_MAX_OUTGOING_BYTES;
use crate::spool_dir::FileModes;

impl Checker<'_> {
    /// `[spool] max-outgoing-bytes`, `file-mode`, `dir-mode`.
    pub(super) fn spool_files(&mut self, raw: &RawSpool) -> (u64, FileModes) {
        let max_outgoing_bytes = match &raw.max_outgoing_bytes {
            None => DEFAULT_MAX_OUTGOING_BYTES,
            Some(bytes) if *bytes.get_ref() == 0 => {
                self.problem(
                    bytes.span().start,
                    "spool.max-outgoing-bytes",
                    "0 would refuse every file",
                );
                DEFAULT_MAX_OUTGOING_BYTES
            }
            Some(bytes) => *bytes.get_ref(),
        };
        let defaults = FileModes::default();
        // The daemon itself must be able to write its files and to use
        // its directories.
        let modes = FileModes {
            file: self.mode(raw.file_mode.as_ref(), "spool.file-mode", 0o600, defaults.file),
            dir: self.mode(raw.dir_mode.as_ref(), "spool.dir-mode", 0o700, defaults.dir),
        };
        (max_outgoing_bytes, modes)
    }

    /// `[spool] incoming-charset`, `store-received-pdu`, `store-sent-pdu`.
    /// `[spool] national-tables`: names of national languages
    /// (`turkish`, `portuguese`, ...), each known to the codec.
    pub(super) fn national_tables(&mut self, raw: &RawSpool) -> Vec<sms_pdu::NationalLanguage> {
        let Some(names) = &raw.national_tables else {
            return Vec::new();
        };
        let mut tables = Vec::new();
        for name in names.get_ref() {
            let language = sms_pdu::NationalLanguage::ALL
                .into_iter()
                .find(|language| language.name().eq_ignore_ascii_case(name));
            match language {
                Some(language) => tables.push(language),
                None => {
                    let known: Vec<&str> = sms_pdu::NationalLanguage::ALL
                        .iter()
                        .map(|language| language.name())
                        .collect();
                    let message = format!("{name:?} is not a national language; one of {}", known.join(", "));
                    self.problem(names.span().start, "spool.national-tables", &message);
                }
            }
        }
        tables
    }

    pub(super) fn spool_formats(
        &mut self,
        raw: &RawSpool,
    ) -> (spool::incoming::IncomingFormat, spool::StoreSentPdu) {
        use spool::incoming::{IncomingCharset, IncomingFormat, StoreReceivedPdu};
        let mut format = IncomingFormat::default();
        if let Some(name) = &raw.incoming_charset {
            match IncomingCharset::from_name(name.get_ref()) {
                Some(charset) => format.charset = charset,
                None => {
                    let message = format!("{:?} is not \"utf-8\" or \"iso-8859-15\"", name.get_ref());
                    self.problem(name.span().start, "spool.incoming-charset", &message);
                }
            }
        }
        if let Some(level) = &raw.store_received_pdu {
            match StoreReceivedPdu::from_level(*level.get_ref()) {
                Some(store) => format.store_pdu = store,
                None => self.problem(
                    level.span().start,
                    "spool.store-received-pdu",
                    "smsd's values are 0 to 3 (never, undecodable, also reports and raw UCS2, all)",
                ),
            }
        }
        let mut store_sent = spool::StoreSentPdu::default();
        if let Some(level) = &raw.store_sent_pdu {
            match spool::StoreSentPdu::from_level(*level.get_ref()) {
                Some(store) => store_sent = store,
                None => self.problem(
                    level.span().start,
                    "spool.store-sent-pdu",
                    "smsd's values are 0 to 3 (never, failed, also binary and UCS2 sent, all)",
                ),
            }
        }
        (format, store_sent)
    }

    /// A mode as octal digits in a string (`"0640"`): a TOML integer would
    /// be read as decimal. It must grant the owner `needed`.
    pub(super) fn mode(
        &mut self,
        raw: Option<&Spanned<String>>,
        key: &str,
        needed: u32,
        default: u32,
    ) -> u32 {
        let Some(raw) = raw else { return default };
        let text = raw.get_ref();
        let parsed = match text.is_empty() || !text.bytes().all(|byte| (b'0'..=b'7').contains(&byte)) {
            true => None,
            false => u32::from_str_radix(text, 8).ok().filter(|&mode| mode <= 0o777),
        };
        match parsed {
            Some(mode) if mode & needed == needed => mode,
            Some(_) => {
                let message = format!("{text:?} must grant the owner {needed:04o}, which the daemon needs");
                self.problem(raw.span().start, key, &message);
                default
            }
            None => {
                let message =
                    format!("{text:?} is not a mode: octal digits up to \"0777\", such as \"0640\"");
                self.problem(raw.span().start, key, &message);
                default
            }
        }
    }

    pub(super) fn spool(&mut self, raw: RawSpool, base: &Path) -> SpoolDirs {
        let entries = [
            ("outgoing", raw.outgoing),
            ("checked", raw.checked),
            ("failed", raw.failed),
            ("incoming", raw.incoming),
            ("report", raw.report),
            ("sent", raw.sent),
            ("saved", raw.saved),
            ("phonecalls", raw.phonecalls),
        ];
        let mut resolved: Vec<PathBuf> = Vec::new();
        for (entry_idx, (name, dir)) in entries.iter().enumerate() {
            let path = dir
                .as_ref()
                .map_or_else(|| base.join(name), |dir| dir.get_ref().clone());
            if let Some(other_idx) = resolved.iter().position(|other| *other == path) {
                let offset = dir
                    .as_ref()
                    .or(entries[other_idx].1.as_ref())
                    .map_or(0, |dir| dir.span().start);
                let message = format!(
                    "{} is also spool.{}; each spool directory must be its own",
                    path.display(),
                    entries[other_idx].0
                );
                self.problem(offset, &format!("spool.{}", entries[entry_idx].0), &message);
            }
            resolved.push(path);
        }
        let mut dirs = resolved.into_iter();
        let mut next = || dirs.next().unwrap_or_default();
        SpoolDirs {
            base: base.to_path_buf(),
            outgoing: next(),
            checked: next(),
            failed: next(),
            incoming: next(),
            report: next(),
            sent: next(),
            saved: next(),
            phonecalls: next(),
        }
    }
}
