//! The codes the store keeps (audit actions, message templates, delivery
//! states, channels, batch states), said in Indonesian for the papers a
//! participant or an auditor reads: the personal-data record given under
//! UU PDP and the evidence workbook print these words beside, or instead
//! of, the codes. A code without words here is said generically, never
//! printed bare.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{Value, json};

/// The words, by section and code, from `message-templates/documents/kata.toml`
/// (embedded; a section's `lainnya` says a code it does not list).
static WORDS: LazyLock<BTreeMap<String, BTreeMap<String, String>>> = LazyLock::new(|| {
    toml::from_str(include_str!("../message-templates/documents/kata.toml")).unwrap_or_default()
});

/// The words for `code` in `section`, else the section's `lainnya`.
fn word(section: &str, code: &str) -> &'static str {
    WORDS.get(section).map_or("", |words| {
        words
            .get(code)
            .or_else(|| words.get("lainnya"))
            .map_or("", String::as_str)
    })
}

/// What an audit line records, in words ("hasil asesmen dicatat").
pub fn action(code: &str) -> &'static str {
    word("aksi", code)
}

/// What a message was, by its template ("pemberitahuan hasil: kompeten").
pub fn message(template: &str) -> &'static str {
    word("pesan", template)
}

/// A message's delivery state.
pub fn delivery(status: &str) -> &'static str {
    word("pengiriman", status)
}

/// How something reached or came from sertibot.
pub fn channel(code: &str) -> &'static str {
    word("saluran", code)
}

/// A batch's state.
pub fn batch_status(code: &str) -> &'static str {
    word("status_batch", code)
}

/// A step's state.
pub fn step_state(code: &str) -> &'static str {
    word("status_langkah", code)
}

/// A result code ("K", "BK", or the stored "BelumKompeten") in words;
/// empty for anything else.
pub fn result(code: &str) -> &'static str {
    word("hasil", code)
}

/// How a document was handed over, by its stored way.
pub fn receipt_way(code: &str) -> &'static str {
    word("cara_terima", code)
}

/// An audit line's details said in words, field by field ("langkah 3;
/// peserta #4; hasil BK"), beside the stored JSON: known fields as
/// `[rincian]` says them, times in `tz` (WIB), results in words.
pub fn detail(json: &str, tz: chrono_tz::Tz) -> String {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(json) else {
        return String::new();
    };
    let said = |v: &Value| match v {
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s).map_or_else(
            |_| s.clone(),
            |t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        ),
        Value::Bool(true) => word("rincian", "ya").to_string(),
        Value::Bool(false) => word("rincian", "tidak").to_string(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    fields
        .iter()
        .filter(|(name, _)| name.as_str() != "event")
        .map(|(name, value)| {
            let mut v = said(value);
            if matches!(name.as_str(), "result" | "to" | "from") && !result(&v).is_empty() {
                v = result(&v).to_string();
            }
            word("rincian", name)
                .replace("{nama}", name)
                .replace("{}", &v)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A participant's personal-data record (UU PDP) with its codes said in
/// words beside them (`*_text`), for the participant who reads it: the result, the batch's state, each
/// document's kind, each message's subject, channel and state, and each
/// audit line's action and channel.
pub fn record_in_words(mut record: Value) -> Value {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let set = |item: &mut Value, field: &str, words: &str| {
        if let Value::Object(map) = item {
            map.insert(format!("{field}_text"), json!(words));
        }
    };
    let code = text(&record["participant"]["result"]);
    set(&mut record["participant"], "result", result(&code));
    let code = text(&record["batch"]["status"]);
    set(&mut record["batch"], "status", batch_status(&code));
    if let Some(items) = record["documents"].as_array_mut() {
        for item in items {
            let kind = crate::documents::Kind::from_slug(&text(&item["kind"]))
                .map_or("dokumen", |k| k.title());
            set(item, "kind", kind);
        }
    }
    if let Some(items) = record["messages"].as_array_mut() {
        for item in items {
            let (template, by, status) = (
                text(&item["template"]),
                text(&item["channel"]),
                text(&item["status"]),
            );
            set(item, "template", message(&template));
            set(item, "channel", channel(&by));
            set(item, "status", delivery(&status));
        }
    }
    if let Some(items) = record["audit"].as_array_mut() {
        for item in items {
            let (what, by) = (text(&item["action"]), text(&item["channel"]));
            set(item, "action", action(&what));
            set(item, "channel", channel(&by));
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded words file reads, and each section says a code it
    /// does not list (never an empty cell where a word was expected).
    #[test]
    fn the_words_file_reads_and_every_section_has_a_word_for_the_rest() {
        let sections = [
            "aksi",
            "pesan",
            "pengiriman",
            "saluran",
            "status_batch",
            "status_langkah",
            "hasil",
            "cara_terima",
            "rincian",
        ];
        for section in sections {
            let words = WORDS
                .get(section)
                .unwrap_or_else(|| panic!("no [{section}]"));
            assert!(words.contains_key("lainnya"), "[{section}] has no lainnya");
        }
        assert_eq!(channel("cli"), "perintah operator");
        assert_eq!(delivery("bounced"), "tidak diketahui");
        assert_eq!(
            detail(r#"{"tracking":true}"#, chrono_tz::Asia::Jakarta),
            "tracking: ya"
        );
    }

    /// A detail reads field by field, its times in WIB, its codes in words.
    #[test]
    fn a_detail_is_said_field_by_field_with_times_in_wib() {
        let said = detail(
            r#"{"event":"result_recorded","participant":4,"result":"BelumKompeten","by":2,"at":"2026-11-24T02:30:00Z"}"#,
            chrono_tz::Asia::Jakarta,
        );
        let mut parts: Vec<&str> = said.split("; ").collect();
        parts.sort_unstable();
        assert_eq!(
            parts,
            [
                "anggota #2",
                "hasil Belum kompeten (BK)",
                "peserta #4",
                "waktu 2026-11-24 09:30 WIB"
            ]
        );
        assert_eq!(detail("not json", chrono_tz::Asia::Jakarta), "");
    }

    /// Every audit action the workflow names, and the ones the use cases
    /// write about a participant, have their own words.
    #[test]
    fn every_recorded_action_has_words() {
        let generic = action("no-such-action");
        for code in [
            "batch_started",
            "step_activated",
            "step_skipped",
            "step_clock_moved",
            "acknowledged",
            "problem_reported",
            "done_marked",
            "step_paused",
            "step_resumed",
            "step_completed",
            "meeting_set",
            "meeting_rescheduled",
            "meeting_cancelled",
            "rsvp_recorded",
            "attendance_marked",
            "result_recorded",
            "decree_recorded",
            "blank_number_recorded",
            "handover_ready",
            "handover_opened",
            "receipt_recorded",
            "batch_finished",
            "result_corrected",
            "step_reopened",
            "decree_corrected",
            "batch_cancelled",
            "personal_data_shown",
            "document_issued",
            "participant_corrected",
            "units_bk_recorded",
            "member_nip_changed",
        ] {
            assert_ne!(action(code), generic, "{code} has no words");
        }
        for template in [
            "result_k",
            "result_bk",
            "result_correction",
            "handover_notice",
            "collect_reminder",
            "receipt_confirmation",
        ] {
            assert_ne!(message(template), message("x"), "{template}");
        }
    }
}
