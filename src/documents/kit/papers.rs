//! Papers made from data the caller prepares rather than from a batch's
//! facts: everything held about one participant (their right of access),
//! and the performance report with its chart.

use serde_json::Value;

use super::super::engine::{SHARED, TemplateFault};
use super::super::sandbox::{Job, Output, Session};
use super::DocumentKit;

impl DocumentKit {
    /// Everything held about one participant (`record`, prepared for
    /// print), as a PDF on the letterhead, dated `dated`.
    ///
    /// # Errors
    /// The template that failed.
    pub fn personal_data_pdf(
        &self,
        record: Value,
        dated: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<u8>, TemplateFault> {
        let ident = format!("sertibot/data-pribadi/{}", record["participant"]["id"]);
        let mut session = self.typesetter.session();
        self.typeset_data(
            &mut session,
            "data-pribadi.typ",
            record,
            dated,
            Output::Pdf { ident },
        )
    }

    /// The performance report as a PDF on the letterhead, and its chart
    /// as a PNG; `report` is the report's data with its period in words.
    ///
    /// # Errors
    /// The template that failed.
    pub fn report_files(
        &self,
        report: Value,
        dated: chrono::DateTime<chrono::Utc>,
        pdf: bool,
    ) -> Result<Vec<u8>, TemplateFault> {
        let ident = format!("sertibot/laporan/{}/{}", report["from"], report["to"]);
        let mut session = self.typesetter.session();
        if pdf {
            self.typeset_data(
                &mut session,
                "laporan.typ",
                report,
                dated,
                Output::Pdf { ident },
            )
        } else {
            let picture = Output::Png {
                pixels_per_point: 2.0,
            };
            self.typeset_data(&mut session, "laporan-grafik.typ", report, dated, picture)
        }
    }

    /// Typesets template `file` with `data` and the letterhead into
    /// `output`, in `session`'s worker (see [`super::super::sandbox`]).
    pub(super) fn typeset_data(
        &self,
        session: &mut Session<'_>,
        file: &'static str,
        data: Value,
        dated: chrono::DateTime<chrono::Utc>,
        output: Output,
    ) -> Result<Vec<u8>, TemplateFault> {
        session.make(&self.job_of(file, data, dated, output))
    }

    /// What the worker is given to typeset template `file` with `data`
    /// and the letterhead.
    pub(super) fn job_of(
        &self,
        file: &'static str,
        mut data: Value,
        dated: chrono::DateTime<chrono::Utc>,
        output: Output,
    ) -> Job {
        super::super::data::breakable_words(&mut data);
        if let Value::Object(map) = &mut data {
            map.insert("lsp".into(), self.letterhead_data());
        }
        Job {
            file: file.into(),
            text: self.templates[file].clone(),
            shared_file: SHARED.into(),
            shared_text: self.templates[SHARED].clone(),
            data,
            logo: self.logo.clone(),
            dated,
            output,
        }
    }
}
