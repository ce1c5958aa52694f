//! The documents' settings: the letterhead from `[lsp]`, the letter number
//! patterns of `[documents.numbers]`, BNSP's template, and the kit made
//! from them (for `sertibot check`, and read alone at the service's start).

use super::raw::{RawDocuments, RawLsp};
use super::{Config, ConfigError};
use crate::documents::numbers::{NumberPattern, NumberPatterns};
use crate::documents::sandbox::{Limits, Typesetter};
use crate::documents::{DocumentKit, Letterhead};

/// The letterhead's facts as written (the name "LSP" where none is set).
pub(super) fn read_letterhead(lsp: &RawLsp) -> Letterhead {
    Letterhead {
        name: lsp.name.clone().unwrap_or_else(|| "LSP".into()),
        address: lsp.address.clone().unwrap_or_default(),
        phone: lsp.phone.clone().unwrap_or_default(),
        website: lsp.website.clone().unwrap_or_default(),
        email: lsp.email.clone().unwrap_or_default(),
        license_no: lsp.license_no.clone().unwrap_or_default(),
        city: lsp.city.clone().unwrap_or_default(),
    }
}

/// The typesetter's limits per document from `[documents]`
/// (`typeset_seconds`, 1–600, default 60; `typeset_memory_mib`, 512–16384,
/// default 2048), and its program: `named` (`SERTIBOT_TYPESETTER`) or this
/// one.
///
/// # Errors
/// A limit out of its range.
pub(super) fn read_typesetter(
    raw: &RawDocuments,
    named: Option<std::path::PathBuf>,
) -> Result<Typesetter, ConfigError> {
    let defaults = Limits::default();
    let seconds = raw.typeset_seconds.unwrap_or(defaults.seconds);
    if !(1..=600).contains(&seconds) {
        return Err(ConfigError::Invalid(format!(
            "documents.typeset_seconds is {seconds}; give 1 to 600 seconds"
        )));
    }
    let memory_mib = raw.typeset_memory_mib.unwrap_or(defaults.memory_mib);
    if !(512..=16384).contains(&memory_mib) {
        return Err(ConfigError::Invalid(format!(
            "documents.typeset_memory_mib is {memory_mib}; give 512 to 16384 MiB"
        )));
    }
    Ok(Typesetter::this_program(
        Limits {
            seconds,
            memory_mib,
        },
        named,
    ))
}

impl Config {
    /// The document templates (the operator's `documents/` folder over the
    /// embedded ones), the letterhead and the logo, each template tried on
    /// a sample batch (`sertibot check`; the service reads them with
    /// [`DocumentKit::load`] alone).
    ///
    /// # Errors
    /// One sentence naming the file (and line) that cannot be used.
    pub fn document_kit(&self) -> Result<DocumentKit, ConfigError> {
        let kit = self.documents()?;
        kit.check()
            .map_err(|e| ConfigError::Invalid(format!("document templates: {e}")))?;
        Ok(kit)
    }

    /// The document templates, letterhead, logo and BNSP's template, read
    /// and their syntax checked (the service's start: nothing typeset).
    ///
    /// # Errors
    /// One sentence naming the file (and line) that cannot be used.
    pub fn documents(&self) -> Result<DocumentKit, ConfigError> {
        DocumentKit::load(
            self.letterhead.clone(),
            self.logo.as_deref(),
            self.numbers.clone(),
            self.calendar.tz,
            self.templates_dir.as_deref(),
        )
        .and_then(|kit| kit.with_bnsp_template(self.bnsp_template.as_deref()))
        .map(|kit| kit.with_typesetter(self.typesetter.clone()))
        .map_err(|e| ConfigError::Invalid(format!("document templates: {e}")))
    }

    /// What the letterhead lacks, by setting name (`lsp.address`).
    pub fn letterhead_missing(&self) -> Vec<&'static str> {
        let l = &self.letterhead;
        [
            ("lsp.name", l.name == "LSP"),
            ("lsp.license_no", l.license_no.is_empty()),
            ("lsp.address", l.address.is_empty()),
            ("lsp.phone", l.phone.is_empty()),
            ("lsp.website", l.website.is_empty()),
            ("lsp.city", l.city.is_empty()),
            ("lsp.logo", self.logo.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect()
    }
}

/// The letter number patterns: the defaults, with the file's own.
pub(super) fn read_numbers(raw: &RawDocuments) -> Result<NumberPatterns, ConfigError> {
    let mut patterns = NumberPatterns::default();
    for (slug, text) in &raw.numbers {
        let kind = crate::documents::Kind::from_slug(slug)
            .filter(|k| k.number_code().is_some())
            .ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "documents.numbers.{slug}: not a numbered document (use undangan, berita-acara, surat-bk, permohonan-blangko or tanda-terima)"
                ))
            })?;
        let pattern = NumberPattern::parse(text)
            .map_err(|e| ConfigError::Invalid(format!("documents.numbers.{slug}: {e}")))?;
        patterns.0.insert(kind, pattern);
    }
    Ok(patterns)
}
