//! `/dokumen [batch] [jenis]`: a batch's documents, each as a file in the
//! member's private chat (a group is told to ask in private: a document
//! message can be addressed to a private chat only). Letters of one kind
//! for several participants come zipped in one file.

use serde_json::json;

use super::commands::batch_with_papers;
use super::*;
use crate::app::AppError;
use crate::documents::Kind;

pub(super) async fn send(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Result<(), AppError> {
    let mut words = argument.split_whitespace();
    let first = words.next().unwrap_or_default();
    // `/dokumen berita-acara` names a kind of the running batch.
    let (batch_word, kind_word) = match Kind::from_slug(&first.to_lowercase()) {
        Some(_) => ("", first),
        None => (first, words.next().unwrap_or_default()),
    };
    let batch = match batch_with_papers(ctx, batch_word).await? {
        Ok(batch) => batch,
        Err((phrase, context)) => {
            return ctx
                .say_phrase(s.chat, Some(s.member), s.key("documents"), phrase, context)
                .await;
        }
    };
    let wanted = match wanted_kind(kind_word) {
        Ok(wanted) => wanted,
        Err(context) => {
            return ctx
                .say_phrase(
                    s.chat,
                    Some(s.member),
                    s.key("documents"),
                    "bad_document_kind",
                    context,
                )
                .await;
        }
    };
    let found = ctx.app.document_kinds(batch, &s.member.roles).await?;
    let info = found.info;
    // A kind the member's roles do not serve is refused in one sentence,
    // whether asked for by name or only held back from the whole list.
    let withheld = wanted.map_or(!found.withheld.is_empty(), |w| found.withheld.contains(&w));
    let kinds: Vec<Kind> = found
        .yours
        .into_iter()
        .filter(|k| wanted.is_none_or(|w| w == *k))
        .collect();
    // Nothing to send: refused for the member's roles, or not made yet.
    let refusal = if withheld && (wanted.is_some() || kinds.is_empty()) {
        Some("documents_not_yours")
    } else {
        kinds.is_empty().then_some("no_documents")
    };
    if let Some(phrase) = refusal {
        let context = json!({"batch": batch.0, "kind": wanted.map(Kind::title)});
        return ctx
            .say_phrase(s.chat, Some(s.member), s.key("documents"), phrase, context)
            .await;
    }
    let titles: Vec<&str> = kinds.iter().map(|k| k.title()).collect();
    let context = json!({"batch": batch.0, "count": kinds.len(), "titles": titles.join(", ")});
    ctx.say_phrase(
        s.chat,
        Some(s.member),
        s.key("documents"),
        "sending_documents",
        context,
    )
    .await?;
    for kind in kinds {
        let message = notify::Message::Document(views::DocumentFile {
            batch: views::BatchFacts::of(&info),
            kind: kind.slug().into(),
            title: kind.title().into(),
            participant: None,
            picture: false,
            occasion: "asked".into(),
        });
        let key = s.key(&format!("doc:{}", kind.slug()));
        ctx.say(s.chat, Some(s.member), key, message, None).await?;
    }
    Ok(())
}

/// The kind asked for by name (none when no name was given), or the
/// context of the refusal naming the kinds there are.
fn wanted_kind(word: &str) -> Result<Option<Kind>, serde_json::Value> {
    if word.is_empty() {
        return Ok(None);
    }
    Kind::from_slug(&word.to_lowercase())
        .map(Some)
        .ok_or_else(|| {
            let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.slug()).collect();
            json!({"text": crate::limits::clip(word, 40), "kinds": kinds.join(", ")})
        })
}
