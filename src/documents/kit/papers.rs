//! Papers made from data the caller prepares rather than from a batch's
//! facts: everything held about one participant (their right of access),
//! and the performance report with its chart.

use serde_json::Value;

use super::super::engine::{self, SHARED, TemplateFault, TemplateText};
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
        let paged = self.typeset_data("data-pribadi.typ", record, dated)?;
        Ok(engine::pdf(&paged, &ident, dated))
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
        if pdf {
            let paged = self.typeset_data("laporan.typ", report, dated)?;
            Ok(engine::pdf(&paged, &ident, dated))
        } else {
            let paged = self.typeset_data("laporan-grafik.typ", report, dated)?;
            Ok(engine::png(&paged, 2.0))
        }
    }

    /// Typesets template `file` with `data` and the letterhead.
    pub(super) fn typeset_data(
        &self,
        file: &'static str,
        mut data: Value,
        dated: chrono::DateTime<chrono::Utc>,
    ) -> Result<typst_layout::PagedDocument, TemplateFault> {
        if let Value::Object(map) = &mut data {
            map.insert("lsp".into(), self.letterhead_data());
        }
        engine::typeset(
            TemplateText {
                file,
                text: &self.templates[file],
            },
            TemplateText {
                file: SHARED,
                text: &self.templates[SHARED],
            },
            &data,
            self.logo.as_deref(),
            dated,
        )
    }
}
