//! The document templates (embedded from `message-templates/documents/`,
//! each overridable from the operator's template folder as the messages
//! are), the LSP's letterhead and logo, and making a batch's documents.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Value, json};

use super::engine::{self, TemplateFault, TemplateText};
use super::facts::{BatchFacts, Due};
use super::numbers::NumberPatterns;
use super::reading::{read_bounded, read_logo};
use super::sandbox::{Job, Output, Session, Typesetter};
use super::{Document, Kind};
use crate::domain::ParticipantId;

mod papers;
mod workers;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../message-templates/documents/", $name)))),*]
    };
}

/// The embedded templates: (file, source).
const EMBEDDED: &[(&str, &str)] = embedded!(
    "kop.typ",
    "undangan.typ",
    "daftar-hadir.typ",
    "berita-acara.typ",
    "lampiran-sk.typ",
    "surat-bk.typ",
    "permohonan-blangko.typ",
    "tanda-terima.typ",
    "daftar-serah-terima.typ",
    "linimasa.typ",
    "data-pribadi.typ",
    "laporan.typ",
    "laporan-grafik.typ",
);

/// Largest copy of BNSP's template read.
const MAX_BNSP_TEMPLATE_BYTES: u64 = 5 * 1024 * 1024;
/// Largest template file read.
const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;

/// The LSP's letterhead, from `[lsp]` in the config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Letterhead {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub website: String,
    pub email: String,
    /// The LSP's BNSP licence number (nomor lisensi), under its name.
    pub license_no: String,
    /// The city on the date line ("Jakarta, 27 November 2026").
    pub city: String,
}

/// Why the kit cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error(transparent)]
    Template(#[from] TemplateFault),
}

/// Letter numbers already given in a batch: (kind, participant) → number.
pub type Numbers = BTreeMap<(Kind, Option<ParticipantId>), String>;

/// Everything needed to make documents.
#[derive(Debug, Clone)]
pub struct DocumentKit {
    templates: BTreeMap<&'static str, String>,
    letterhead: Letterhead,
    logo: Option<Vec<u8>>,
    pub numbers: NumberPatterns,
    pub tz: Tz,
    /// The headers of the operator's copy of BNSP's template, if set.
    bnsp_columns: Option<Vec<String>>,
    /// The worker process every document is typeset in, and its limits.
    typesetter: Typesetter,
}

impl DocumentKit {
    /// The templates of `dir/documents/` where it has them, the embedded
    /// ones elsewhere; the logo read from `logo`.
    ///
    /// # Errors
    /// [`KitError`] naming the file that cannot be read or the template
    /// line whose syntax is wrong. (Trying each template on sample facts,
    /// [`DocumentKit::check`], is `sertibot check`'s: it wakes the
    /// typesetter, which a resting service leaves asleep.)
    pub fn load(
        letterhead: Letterhead,
        logo: Option<&Path>,
        numbers: NumberPatterns,
        tz: Tz,
        dir: Option<&Path>,
    ) -> Result<DocumentKit, KitError> {
        let mut templates = BTreeMap::new();
        for (file, embedded) in EMBEDDED {
            let path = dir.map(|d| d.join("documents").join(file));
            let text = match path {
                Some(path) if path.is_file() => {
                    read_bounded(&path, MAX_TEMPLATE_BYTES).and_then(|bytes| {
                        String::from_utf8(bytes).map_err(|_| KitError::Read {
                            path: path.display().to_string(),
                            reason: "it is not UTF-8 text".into(),
                        })
                    })?
                }
                _ => (*embedded).to_string(),
            };
            templates.insert(*file, text);
        }
        let logo = logo.map(read_logo).transpose()?;
        for (file, text) in &templates {
            engine::syntax(TemplateText { file, text })?;
        }
        Ok(DocumentKit {
            templates,
            letterhead,
            logo,
            numbers,
            tz,
            bnsp_columns: None,
            typesetter: Typesetter::this_program(Default::default(), None),
        })
    }

    /// Gives up what is being typeset now and refuses more (the service
    /// is stopping).
    pub fn stop_typesetting(&self) {
        self.typesetter.stop();
    }

    /// Typesets with `typesetter` (its program and limits).
    pub fn with_typesetter(mut self, typesetter: Typesetter) -> DocumentKit {
        self.typesetter = typesetter;
        self
    }

    /// Writes the participants' list in the columns of the operator's copy
    /// of BNSP's template (row 1 of its first sheet), when one is set.
    ///
    /// # Errors
    /// [`KitError::Read`] when the file is not a readable workbook with a
    /// header row.
    pub fn with_bnsp_template(mut self, template: Option<&Path>) -> Result<DocumentKit, KitError> {
        let Some(path) = template else {
            return Ok(self);
        };
        let fail = |reason: String| KitError::Read {
            path: path.display().to_string(),
            reason,
        };
        let bytes = read_bounded(path, MAX_BNSP_TEMPLATE_BYTES)?;
        let rows = crate::xlsx::first_sheet(&bytes).map_err(|e| fail(e.to_string()))?;
        let header: Vec<String> = rows
            .into_iter()
            .next()
            .map(|(_, cells)| cells)
            .unwrap_or_default();
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(fail("its first sheet has no header row".into()));
        }
        self.bnsp_columns = Some(header);
        Ok(self)
    }

    /// The headers the participants' list is written under.
    pub fn bnsp_columns(&self) -> Option<&[String]> {
        self.bnsp_columns.as_deref()
    }

    /// The embedded templates with `letterhead`, no logo, default numbers.
    pub fn embedded(letterhead: Letterhead, tz: Tz) -> DocumentKit {
        DocumentKit::load(letterhead, None, NumberPatterns::default(), tz, None)
            .expect("the embedded document templates are valid (checked by a unit test)")
    }

    /// Tries every template on sample facts.
    ///
    /// # Errors
    /// The first template that fails, with its line.
    pub fn check(&self) -> Result<(), TemplateFault> {
        let facts = super::sample::facts();
        let numbers = self.sample_numbers(&facts);
        let mut session = self.typesetter.session();
        for due in facts.due() {
            if due.kind.template().is_some() {
                self.typeset(
                    &mut session,
                    &facts,
                    &due,
                    &numbers,
                    self.pdf_of(&facts, &due),
                )?;
            }
        }
        drop(session);
        let dated = chrono::Utc::now();
        self.personal_data_pdf(super::sample::personal_record(), dated)?;
        let report = crate::report::print_data(&super::sample::report(), self.tz);
        self.report_files(report.clone(), dated, true)?;
        self.report_files(report, dated, false)?;
        Ok(())
    }

    fn sample_numbers(&self, facts: &BatchFacts) -> Numbers {
        facts
            .due()
            .iter()
            .filter_map(|due| {
                let pattern = self.numbers.of(due.kind)?;
                Some((
                    (due.kind, due.participant),
                    pattern.format(1, due.dated, self.tz),
                ))
            })
            .collect()
    }

    /// Makes every document in `due` (the package from the letters made
    /// beside it). `numbers` holds each numbered document's number.
    ///
    /// # Errors
    /// The template that failed.
    pub fn make_all(
        &self,
        facts: &BatchFacts,
        due: &[Due],
        numbers: &Numbers,
    ) -> Result<Vec<Document>, TemplateFault> {
        let items: Vec<&Due> = due.iter().filter(|d| d.kind != Kind::PaketBnsp).collect();
        let mut made = self.make_each(facts, &items, numbers)?;
        if let Some(item) = due.iter().find(|d| d.kind == Kind::PaketBnsp) {
            let mut session = self.typesetter.session();
            let package = self.package(&mut session, facts, item, numbers, &made)?;
            made.push(package);
        }
        Ok(made)
    }

    /// Makes one document.
    ///
    /// # Errors
    /// The template that failed.
    pub(super) fn make(
        &self,
        session: &mut Session<'_>,
        facts: &BatchFacts,
        due: &Due,
        numbers: &Numbers,
    ) -> Result<Document, TemplateFault> {
        let bytes = match due.kind {
            Kind::DaftarPeserta => super::bnsp::participant_list(facts, self.bnsp_columns()),
            Kind::PaketBnsp => return self.package(session, facts, due, numbers, &[]),
            _ => self.typeset(session, facts, due, numbers, self.pdf_of(facts, due))?,
        };
        Ok(self.document(facts, due, numbers, bytes))
    }

    /// A PDF named stably for `due` of `facts`.
    fn pdf_of(&self, facts: &BatchFacts, due: &Due) -> Output {
        Output::Pdf {
            ident: self.ident(facts, due),
        }
    }

    /// The timeline's picture, as a PNG.
    ///
    /// # Errors
    /// The template that failed.
    pub fn timeline_png(&self, facts: &BatchFacts, due: &Due) -> Result<Vec<u8>, TemplateFault> {
        let picture = Output::Png {
            pixels_per_point: 2.0,
        };
        let mut session = self.typesetter.session();
        self.typeset(&mut session, facts, due, &Numbers::new(), picture)
    }

    fn package(
        &self,
        session: &mut Session<'_>,
        facts: &BatchFacts,
        due: &Due,
        numbers: &Numbers,
        made: &[Document],
    ) -> Result<Document, TemplateFault> {
        let part = |kind: Kind, session: &mut Session<'_>| -> Result<Document, TemplateFault> {
            if let Some(doc) = made.iter().find(|d| d.kind == kind) {
                return Ok(doc.clone());
            }
            let mut item = *due;
            item.kind = kind;
            if kind == Kind::BeritaAcara
                && let Some(ba) = facts.due().into_iter().find(|d| d.kind == kind)
            {
                item = ba;
            }
            self.make(session, facts, &item, numbers)
        };
        let mut parts = vec![
            part(Kind::PermohonanBlangko, session)?,
            part(Kind::BeritaAcara, session)?,
        ];
        // The certification decision, once the decree is recorded.
        if let Some(sk) = facts.due().into_iter().find(|d| d.kind == Kind::LampiranSk) {
            parts.push(match made.iter().find(|d| d.kind == Kind::LampiranSk) {
                Some(doc) => doc.clone(),
                None => self.make(session, facts, &sk, numbers)?,
            });
        }
        parts.push(part(Kind::DaftarPeserta, session)?);
        let bytes = super::bnsp::package(&parts, due.dated);
        Ok(self.document(facts, due, numbers, bytes))
    }

    fn document(
        &self,
        facts: &BatchFacts,
        due: &Due,
        numbers: &Numbers,
        bytes: Vec<u8>,
    ) -> Document {
        let row = due
            .participant
            .and_then(|p| facts.people.get(&p))
            .map(|p| format!("-{:04}", p.row))
            .unwrap_or_default();
        Document {
            kind: due.kind,
            participant: due.participant,
            number: numbers.get(&(due.kind, due.participant)).cloned(),
            file_name: format!(
                "batch-{}-{}{row}.{}",
                facts.info.id.0,
                due.kind.slug(),
                due.kind.extension()
            ),
            bytes,
            dated: due.dated,
        }
    }

    /// A stable name for the PDF's identifier.
    fn ident(&self, facts: &BatchFacts, due: &Due) -> String {
        format!(
            "sertibot/{}/{}/{}",
            facts.info.id.0,
            due.kind.slug(),
            due.participant.map_or(0, |p| p.0)
        )
    }

    fn typeset(
        &self,
        session: &mut Session<'_>,
        facts: &BatchFacts,
        due: &Due,
        numbers: &Numbers,
        output: Output,
    ) -> Result<Vec<u8>, TemplateFault> {
        session.make(&self.job(facts, due, numbers, output))
    }

    /// What the worker is given to typeset the document `due`.
    pub(crate) fn job(
        &self,
        facts: &BatchFacts,
        due: &Due,
        numbers: &Numbers,
        output: Output,
    ) -> Job {
        let file = due.kind.template().unwrap_or("linimasa.typ");
        let mut data = facts.data(due, self.tz);
        if let Value::Object(map) = &mut data {
            let number = |kind: Kind, p: Option<ParticipantId>| {
                numbers.get(&(kind, p)).cloned().unwrap_or_default()
            };
            map.insert("number".into(), json!(number(due.kind, due.participant)));
            map.insert(
                "numbers".into(),
                json!({
                    "undangan": number(Kind::Undangan, None),
                    "berita_acara": number(Kind::BeritaAcara, None),
                    "permohonan_blangko": number(Kind::PermohonanBlangko, None),
                    // A BK participant's receipt cites their letter.
                    "surat_bk": number(Kind::SuratBk, due.participant),
                }),
            );
        }
        self.job_of(file, data, due.dated, output)
    }

    fn letterhead_data(&self) -> Value {
        let mut value = serde_json::to_value(&self.letterhead).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("has_logo".into(), json!(self.logo.is_some()));
        }
        value
    }
}
