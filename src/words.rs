//! The codes the store keeps (audit actions, message templates, delivery
//! states, channels, batch states), said in Indonesian for the papers a
//! participant or an auditor reads: the personal-data record given under
//! UU PDP and the evidence workbook print these words beside, or instead
//! of, the codes. A code without words here is said generically, never
//! printed bare.

use serde_json::{Value, json};

/// What an audit line records, in words ("hasil asesmen dicatat").
pub fn action(code: &str) -> &'static str {
    match code {
        "batch_created" => "batch dibuat",
        "batch_started" => "batch dimulai",
        "batch_finished" => "batch selesai",
        "batch_cancelled" => "batch dibatalkan",
        "participants_imported" => "daftar peserta diimpor",
        "participant_corrected" => "data peserta dikoreksi",
        "participant_removed" => "peserta dihapus dari daftar",
        "participant_erased" => "data pribadi peserta dihapus",
        "personal_data_shown" => "data pribadi diperlihatkan atas permintaan",
        "step_activated" => "langkah SOP dimulai",
        "step_skipped" => "langkah SOP dilewati",
        "step_clock_moved" => "waktu langkah disesuaikan",
        "step_paused" => "langkah dijeda",
        "step_resumed" => "langkah dilanjutkan",
        "step_completed" => "langkah SOP selesai",
        "step_reopened" => "langkah dibuka kembali",
        "acknowledged" => "tugas diterima staf",
        "problem_reported" => "kendala dilaporkan",
        "done_marked" => "pekerjaan ditandai selesai",
        "meeting_set" => "rapat pleno dijadwalkan",
        "meeting_rescheduled" => "jadwal rapat diubah",
        "meeting_cancelled" => "rapat dibatalkan",
        "rsvp_recorded" => "jawaban undangan rapat dicatat",
        "attendance_confirmed" => "kehadiran rapat dikonfirmasi",
        "result_recorded" => "hasil asesmen dicatat",
        "result_corrected" => "hasil asesmen dikoreksi",
        "decree_recorded" => "SK penetapan dicatat",
        "decree_corrected" => "SK penetapan dikoreksi",
        "blank_number_recorded" => "nomor blangko sertifikat dicatat",
        "handover_ready" => "dokumen siap diambil",
        "handover_opened" => "penyerahan dokumen dimulai",
        "receipt_recorded" => "tanda terima dicatat",
        "document_issued" => "dokumen diterbitkan",
        "document_reissued" => "dokumen diterbitkan ulang",
        "document_numbered" => "nomor surat diberikan",
        "collect_reminder_sent" => "pengingat pengambilan dikirim",
        "email_corrected" | "participant_email_corrected" => "alamat email dikoreksi",
        _ => "catatan lain tentang proses sertifikasi",
    }
}

/// What a message was, by its template ("pemberitahuan hasil: kompeten").
pub fn message(template: &str) -> &'static str {
    match template {
        "result_k" => "pemberitahuan hasil: kompeten",
        "result_bk" => "pemberitahuan hasil: belum kompeten",
        "result_correction" => "pemberitahuan koreksi hasil",
        "handover_notice" => "pemberitahuan dokumen siap diambil",
        "collect_reminder" => "pengingat pengambilan dokumen",
        "receipt_confirmation" => "konfirmasi tanda terima",
        "meeting_invitation_email" => "undangan rapat pleno",
        "meeting_update_email" => "perubahan jadwal rapat",
        "meeting_cancel_email" => "pembatalan rapat",
        "staff_fallback" => "pesan untuk staf lewat email",
        "mail_test" => "email percobaan",
        _ => "pesan lain dari LSP",
    }
}

/// A message's delivery state.
pub fn delivery(status: &str) -> &'static str {
    match status {
        "pending" => "menunggu dikirim",
        "sent" => "terkirim",
        "failed" => "gagal dikirim",
        _ => "tidak diketahui",
    }
}

/// How something reached or came from sertibot.
pub fn channel(code: &str) -> &'static str {
    match code {
        "email" => "email",
        "telegram" => "Telegram",
        "cli" => "perintah operator",
        "system" | "scheduler" => "sistem (otomatis)",
        "webhook" => "Telegram",
        "simulation" => "simulasi",
        _ => "lainnya",
    }
}

/// A batch's state.
pub fn batch_status(code: &str) -> &'static str {
    match code {
        "draft" => "draf (belum dimulai)",
        "running" => "berjalan",
        "finished" => "selesai",
        "cancelled" => "dibatalkan",
        _ => "tidak diketahui",
    }
}

/// A step's state.
pub fn step_state(code: &str) -> &'static str {
    match code {
        "waiting" => "menunggu",
        "active" => "berjalan",
        "done" => "selesai",
        "skipped" => "dilewati",
        _ => "tidak diketahui",
    }
}

/// An audit line's details said in words, field by field ("langkah 3;
/// peserta #4; hasil BK"), beside the stored JSON: known fields in their
/// Indonesian names, times in `tz` (WIB), anything else as `name: value`.
pub fn detail(json: &str, tz: chrono_tz::Tz) -> String {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(json) else {
        return String::new();
    };
    let said = |v: &Value| match v {
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s).map_or_else(
            |_| s.clone(),
            |t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        ),
        Value::Bool(true) => "ya".into(),
        Value::Bool(false) => "tidak".into(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    fields
        .iter()
        .filter(|(name, _)| name.as_str() != "event")
        .map(|(name, value)| {
            let v = said(value);
            match name.as_str() {
                "step" => format!("langkah {v}"),
                "participant" => format!("peserta #{v}"),
                "member" | "by" => format!("anggota #{v}"),
                "result" | "to" => format!("hasil {}", or_code(result(&v), &v)),
                "from" => format!("semula {}", or_code(result(&v), &v)),
                "reason" => format!("alasan: {v}"),
                "reason_given" => format!("alasan diberikan: {v}"),
                "attend" => format!("hadir: {v}"),
                "number" => format!("nomor {v}"),
                "kind" => format!("jenis {v}"),
                "at" => format!("waktu {v}"),
                "due_at" => format!("batas {v}"),
                "units" => format!("unit {v}"),
                _ => format!("{name}: {v}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `words`, or the code itself where there are none.
fn or_code(words: &str, code: &str) -> String {
    if words.is_empty() { code } else { words }.to_string()
}

/// A result code ("K", "BK") in words.
pub fn result(code: &str) -> &'static str {
    match code {
        "K" | "Kompeten" => "Kompeten (K)",
        "BK" | "BelumKompeten" => "Belum kompeten (BK)",
        _ => "",
    }
}

/// How a document was handed over, by its stored way.
pub fn receipt_way(code: &str) -> &'static str {
    match code {
        "in_person" => "diambil sendiri",
        "representative" => "diambil kuasa",
        "courier" => "dikirim kurir",
        _ => "",
    }
}

/// A participant's personal-data record (UU PDP) with its codes said in words beside them (`*_text`), for the
/// participant who reads it: the result, the batch's state, each
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
