//! A message that carries a document: the file made from the records when
//! it is sent (through the [`Issuer`](crate::documents::issue::Issuer)),
//! then sent as a Telegram document, or a picture shown in the chat.

use teloxide::prelude::*;
use teloxide::types::ParseMode;

use super::failure::{Failure, classify};
use super::sender::Sender;

impl Sender {
    /// The file a row's message carries, made now (a document, or the
    /// report); none for a message without one.
    pub(super) async fn file_of(
        &self,
        row: &crate::store::OutboxRow,
    ) -> Option<Result<(crate::documents::issue::File, bool), (bool, String)>> {
        match row.message() {
            Ok(crate::notify::Message::Document(view)) => Some(self.document(&view).await),
            Ok(crate::notify::Message::Report(view)) => Some(self.report(&view).await),
            _ => None,
        }
    }

    /// The file a document message carries, made now from the records;
    /// `Err((passing, why))`, passing when trying again later may succeed.
    pub(super) async fn document(
        &self,
        view: &crate::notify::views::DocumentFile,
    ) -> Result<(crate::documents::issue::File, bool), (bool, String)> {
        let issuer = self
            .documents
            .as_ref()
            .ok_or((false, "this worker cannot make documents".to_string()))?;
        let kind = crate::documents::Kind::from_slug(&view.kind).ok_or_else(|| {
            let kind = crate::limits::clip(&view.kind, 40);
            (false, format!("no kind of document '{kind}'"))
        })?;
        let file = issuer
            .file(
                crate::domain::BatchId(view.batch.id),
                kind,
                view.participant.map(crate::domain::ParticipantId),
                view.picture,
                "telegram",
            )
            .await
            .map_err(|e| (e.is_passing(), e.to_string()))?
            .ok_or_else(|| {
                (
                    false,
                    format!("batch {} has no {} yet", view.batch.id, kind.slug()),
                )
            })?;
        Ok((file, view.picture))
    }

    /// The performance report's file (the PDF, or its chart), typeset now
    /// off the async threads from the figures the message carries.
    pub(super) async fn report(
        &self,
        view: &crate::notify::views::ReportFile,
    ) -> Result<(crate::documents::issue::File, bool), (bool, String)> {
        let kit = self
            .documents
            .as_ref()
            .map(|issuer| issuer.kit.clone())
            .ok_or((false, "this worker cannot make documents".to_string()))?;
        let report = view.report.clone();
        let picture = view.picture;
        let made = tokio::task::spawn_blocking(move || {
            let data = crate::report::print_data(&report, kit.tz);
            kit.report_files(data, report.made_at, !picture)
                .map(|bytes| (report, bytes))
        })
        .await
        .map_err(|e| (true, e.to_string()))?;
        let (report, bytes) = made.map_err(|e| (false, e.to_string()))?;
        let (extension, mime) = if picture {
            ("png", "image/png")
        } else {
            ("pdf", "application/pdf")
        };
        let file = crate::documents::issue::File {
            name: format!("laporan-{}-{}.{extension}", report.from, report.to),
            bytes,
            mime,
        };
        Ok((file, picture))
    }

    /// Sends a file (a document, or a picture shown in the chat) with
    /// `caption`.
    pub(super) async fn post_file(
        &self,
        chat: i64,
        caption: &str,
        (file, picture): (crate::documents::issue::File, bool),
    ) -> Result<Option<i64>, Failure> {
        let input = teloxide::types::InputFile::memory(file.bytes).file_name(file.name);
        let caption = crate::telegram::html::shorten(caption, 1024, "…");
        let message = if picture {
            self.bot
                .send_photo(ChatId(chat), input)
                .caption(caption)
                .parse_mode(ParseMode::Html)
                .await
        } else {
            self.bot
                .send_document(ChatId(chat), input)
                .caption(caption)
                .parse_mode(ParseMode::Html)
                .await
        };
        let message = message.map_err(classify)?;
        Ok(Some(i64::from(message.id.0)))
    }
}
