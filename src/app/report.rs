//! The performance report for Ketua LSP (see [`crate::report`]): made for
//! the command line, and queued as files for `/laporan` and the weekly
//! summary.

use chrono::NaiveDate;

use super::{App, AppError, Rejection};
use crate::report::{self, Report};

/// A report's files.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub report: Report,
    pub xlsx: Vec<u8>,
    pub pdf: Vec<u8>,
    pub png: Vec<u8>,
}

impl App {
    /// The report of `from..=to` (WIB dates).
    ///
    /// # Errors
    /// [`AppError::Rejected`] for a reversed or overlong period.
    pub async fn report(&self, from: NaiveDate, to: NaiveDate) -> Result<Report, AppError> {
        report::check_period(from, to).map_err(|e| {
            AppError::Rejected(match e {
                report::PeriodError::Reversed { from, to } => Rejection::PeriodReversed {
                    from: from.to_string(),
                    to: to.to_string(),
                },
                report::PeriodError::TooLong => Rejection::PeriodTooLong {
                    years: report::MAX_YEARS,
                },
            })
        })?;
        let mut conn = self.conn().await?;
        let activity = activity_of(self.procedure.clone());
        Ok(report::load::load(
            &mut conn,
            (from, to),
            &self.config.calendar,
            activity,
            self.now(),
        )
        .await?)
    }

    /// The report of the seven days up to `now` (today and the six days
    /// before, WIB), read in `conn`: the weekly summary's lines and its
    /// chart both come from it, so they agree.
    ///
    /// # Errors
    /// When the database fails.
    pub(super) async fn week_report(
        &self,
        conn: &mut sqlx::SqliteConnection,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Report, AppError> {
        let today = now.with_timezone(&self.config.calendar.tz).date_naive();
        let from = today - chrono::Duration::days(6);
        let activity = activity_of(self.procedure.clone());
        Ok(report::load::load(conn, (from, today), &self.config.calendar, activity, now).await?)
    }

    /// The chart of the seven days up to `now`, as the weekly summary's picture.
    ///
    /// # Errors
    /// When the database fails.
    pub(super) async fn weekly_chart(
        &self,
        conn: &mut sqlx::SqliteConnection,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::notify::Message, AppError> {
        let report = self.week_report(conn, now).await?.shortened();
        Ok(crate::notify::Message::Report(
            crate::notify::views::ReportFile {
                report,
                picture: true,
                occasion: "weekly".into(),
            },
        ))
    }

    /// The report with its workbook, PDF and chart, typeset off the async threads.
    ///
    /// # Errors
    /// As [`App::report`]; a template that fails.
    pub async fn report_files(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ReportFiles, AppError> {
        let report = self.report(from, to).await?;
        let kit = self.documents.clone();
        let tz = self.config.calendar.tz;
        let made = tokio::task::spawn_blocking(move || {
            let xlsx = report::workbook::workbook(&report).map_err(|e| e.to_string())?;
            let data = report::print_data(&report.shortened(), tz);
            let pdf = kit
                .report_files(data.clone(), report.made_at, true)
                .map_err(|e| e.to_string())?;
            let png = kit
                .report_files(data, report.made_at, false)
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(ReportFiles {
                report,
                xlsx,
                pdf,
                png,
            })
        })
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
        made.map_err(AppError::Invalid)
    }
}

/// A step's activity by number, as the report names it.
fn activity_of(procedure: std::sync::Arc<crate::sop::Procedure>) -> impl Fn(u32) -> String {
    move |no| {
        procedure
            .step(crate::sop::StepNo(no))
            .map(|s| s.activity.clone())
            .unwrap_or_else(|| format!("Langkah {no}"))
    }
}
