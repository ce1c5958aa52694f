//! Each document's data: the facts it prints, as the JSON its template
//! reads from `/data.json` (dates and times already in words, in WIB).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::Kind;
use super::facts::{BatchFacts, Due, day_text};
use crate::domain::{Competence, Lang, ParticipantDetails, ParticipantId, Role};
use crate::sop::{RecordKind, StepNo};
use crate::workflow::{HandoverStage, ReceiptVia, StepState};

impl BatchFacts {
    /// The document's own facts (the kit adds the letterhead and number).
    pub fn data(&self, due: &Due, tz: Tz) -> Value {
        let when = |at: DateTime<Utc>| crate::templates::Templates::instant_text(at, tz, Lang::Id);
        let base = json!({
            "kind": due.kind.slug(),
            "title": due.kind.title(),
            "date": day_text(due.dated.with_timezone(&tz).date_naive()),
            "batch": {
                "id": self.info.id.0,
                "scheme": self.info.scheme,
                "assessed_on": day_text(self.info.assessed_on),
                "place": self.info.place.clone().unwrap_or_default(),
            },
            "meeting": self.state.meeting.as_ref().map(|m| json!({
                "starts": when(m.starts_at),
                "day": day_text(m.starts_at.with_timezone(&tz).date_naive()),
                // "Senin, tanggal tujuh bulan Desember tahun dua ribu dua puluh enam".
                "day_in_words": crate::templates::dates::date_in_words(m.starts_at.with_timezone(&tz).date_naive()),
                "time": m.starts_at.with_timezone(&tz).format("%H.%M %Z").to_string(),
                "place": m.place,
            })),
            "decree": self.state.decree.as_ref().map(|d| json!({
                "number": d.number,
                "date": day_text(d.date),
            })),
            "ketua": self.holder(Role::KetuaLsp).map(|m| m.name.clone()).unwrap_or_default(),
            "ketua_nip": self.holder(Role::KetuaLsp).and_then(|m| m.nip.clone()).unwrap_or_default(),
        });
        let mut data = base;
        let extra = match due.kind {
            Kind::Undangan | Kind::DaftarHadir => json!({"invitees": self.invitees()}),
            Kind::BeritaAcara => json!({
                // Who attended, as marked at the meeting (unmarked: the
                // chair, and those who said they would come).
                "attendees": self.invitees().into_iter().filter(|i| i["present"] == true).collect::<Vec<_>>(),
                // When the plenary closed: its step's finish, as a time of day.
                "closed": self
                    .state
                    .procedure
                    .step_recording(RecordKind::Results)
                    .and_then(|s| self.state.run(s.no).finished_at)
                    .map(|at| self.closing_time(at, tz)),
                "participants": self.participant_rows(|_| true),
                "k": self.with_result(Competence::Kompeten).len(),
                "bk": self.with_result(Competence::BelumKompeten).len(),
            }),
            Kind::LampiranSk | Kind::PermohonanBlangko | Kind::DaftarSerahTerima => json!({
                "participants": self.participant_rows(|_| true),
                "k": self.with_result(Competence::Kompeten).len(),
                "bk": self.with_result(Competence::BelumKompeten).len(),
            }),
            Kind::SuratBk | Kind::TandaTerima => {
                let rows = self.participant_rows(|id| Some(id) == due.participant);
                json!({"participant": rows.into_iter().next().unwrap_or(Value::Null)})
            }
            Kind::Linimasa => self.timeline(due.dated, tz),
            Kind::DaftarPeserta | Kind::PaketBnsp => json!({}),
        };
        if let (Value::Object(map), Value::Object(more)) = (&mut data, extra) {
            map.extend(more);
        }
        data
    }

    /// When the plenary closed, as minutes say it: the time of day, and
    /// the date too when it closed on another day than it began.
    fn closing_time(&self, at: DateTime<Utc>, tz: Tz) -> String {
        let local = at.with_timezone(&tz);
        let time = local.format("%H.%M %Z").to_string();
        let began = self
            .state
            .meeting
            .as_ref()
            .map(|m| m.starts_at.with_timezone(&tz).date_naive());
        if began == Some(local.date_naive()) {
            time
        } else {
            format!("{time} tanggal {}", day_text(local.date_naive()))
        }
    }

    /// Everyone invited to the meeting, with their answer.
    fn invitees(&self) -> Vec<Value> {
        let roles = self
            .state
            .procedure
            .step_recording(RecordKind::Results)
            .map(|s| s.roles.clone())
            .unwrap_or_default();
        // Ketua LSP first, then the committee, each in the order added.
        crate::notify::attendance::invitees(&self.state, &self.members)
            .into_iter()
            .map(|m| {
                let answer = self.state.rsvps.get(&m.id);
                let roles: Vec<&str> = m
                    .roles
                    .iter()
                    .filter(|r| roles.contains(r))
                    .map(|r| r.title())
                    .collect();
                json!({
                    "name": m.name,
                    "nip": m.nip.clone().unwrap_or_default(),
                    "role": roles.join(", "),
                    "attend": match answer.map(|a| a.attend) {
                        Some(true) => "hadir",
                        Some(false) => "tidak hadir",
                        // The chair is not asked: they called the meeting.
                        None if m.roles.contains(&Role::KetuaLsp) => "pimpinan rapat",
                        None => "belum menjawab",
                    },
                    "reason": answer.and_then(|a| a.reason.clone()).unwrap_or_default(),
                    // Ketua LSP signs the invitation and chairs the meeting:
                    // not among its own invitees.
                    "chair": m.roles.contains(&Role::KetuaLsp),
                    "present": self.state.attended(m.id, m.roles.contains(&Role::KetuaLsp)),
                })
            })
            .collect()
    }

    /// Participants as the tables print them.
    pub fn participant_rows(&self, keep: impl Fn(ParticipantId) -> bool) -> Vec<Value> {
        self.state
            .participants
            .values()
            .filter(|p| keep(p.id))
            .map(|p| {
                let person = self.people.get(&p.id);
                let details = person.map(|x| x.details.clone()).unwrap_or_default();
                let handover = &p.handover;
                json!({
                    "row": person.map_or(0, |x| x.row),
                    "name": p.name,
                    "registration_no": person.and_then(|x| x.registration_no.clone()).unwrap_or_default(),
                    "result": p.result.map(Competence::code).unwrap_or(""),
                    "result_text": match p.result {
                        Some(Competence::Kompeten) => "Kompeten",
                        Some(Competence::BelumKompeten) => "Belum kompeten",
                        None => "",
                    },
                    "blank_number": p.blank_number.clone().unwrap_or_default(),
                    "units_bk": p.units_bk,
                    "nik": details.nik.clone().unwrap_or_default(),
                    "birth": birth_text(&details),
                    "document": match p.result {
                        Some(Competence::Kompeten) => "Sertifikat kompetensi",
                        Some(Competence::BelumKompeten) => "Surat keterangan belum kompeten",
                        None => "",
                    },
                    "stage": match handover.stage() {
                        HandoverStage::Waiting => "belum siap",
                        HandoverStage::Ready => "siap diambil",
                        HandoverStage::Open => "sedang diserahkan",
                        HandoverStage::Received => "sudah diterima",
                    },
                    "received_at": handover.received_at.map(|at| day_text(at.with_timezone(&chrono_tz::Asia::Jakarta).date_naive())).unwrap_or_default(),
                    "received_by": handover.received_by.map(|m| self.member_name(m)).unwrap_or_default(),
                    "received_by_nip": handover.received_by.and_then(|m| self.member_nip(m)).unwrap_or_default(),
                    "via": match &handover.via {
                        Some(ReceiptVia::InPerson) | None => "diambil sendiri".to_string(),
                        Some(ReceiptVia::Courier { tracking_no }) => format!("dikirim kurir, resi {tracking_no}"),
                        Some(ReceiptVia::Representative { name }) => format!("diambil kuasa: {name}"),
                    },
                    // Who signs as the receiver: the participant, their
                    // representative, or nobody present (a courier).
                    "way": handover.via.as_ref().map_or("in_person", ReceiptVia::as_str),
                    "representative": match &handover.via {
                        Some(ReceiptVia::Representative { name }) => name.as_str(),
                        _ => "",
                    },
                    "tracking_no": match &handover.via {
                        Some(ReceiptVia::Courier { tracking_no }) => tracking_no.as_str(),
                        _ => "",
                    },
                })
            })
            .collect()
    }

    /// Each step's start, due time, finish and who finished it, with the
    /// chart's bars as shares of the batch's span.
    fn timeline(&self, until: DateTime<Utc>, tz: Tz) -> Value {
        let short = |at: DateTime<Utc>| at.with_timezone(&tz).format("%d/%m %H.%M").to_string();
        let first = self
            .state
            .steps
            .values()
            .filter_map(|r| r.started_at)
            .min()
            .unwrap_or(until);
        let last = self
            .state
            .steps
            .values()
            .flat_map(|r| [r.finished_at, r.due_at])
            .flatten()
            .chain([until])
            .max()
            .unwrap_or(until);
        let span = (last - first).num_seconds().max(1) as f64;
        let share = |at: DateTime<Utc>| ((at - first).num_seconds() as f64 / span).clamp(0.0, 1.0);
        let rows: Vec<Value> = self
            .state
            .procedure
            .steps
            .iter()
            .map(|step| {
                let run = self.state.run(step.no);
                let late = match (run.finished_at, run.due_at) {
                    (Some(done), Some(due)) => done > due,
                    (None, Some(due)) => run.state == StepState::Active && due < until,
                    _ => false,
                };
                let status = match run.state {
                    StepState::Waiting => "menunggu",
                    StepState::Skipped => "tidak berlaku",
                    StepState::Active if late => "berjalan, terlambat",
                    StepState::Active => "berjalan",
                    StepState::Done if late => "terlambat",
                    StepState::Done => "tepat waktu",
                };
                let by: Vec<String> = run.dones.keys().map(|m| self.member_name(*m)).collect();
                let end = run.finished_at.unwrap_or(until);
                json!({
                    "no": step_label(step.no),
                    "activity": step.activity,
                    "roles": step.roles.iter().map(|r| r.title()).collect::<Vec<_>>().join(", "),
                    "started": run.started_at.map(short).unwrap_or_default(),
                    "due": run.due_at.map(short).unwrap_or_default(),
                    "done": run.finished_at.map(short).unwrap_or_default(),
                    "status": status,
                    "late": late,
                    "by": by.join(", "),
                    "bar": run.started_at.map(|s| json!({
                        "from": share(s),
                        "to": share(end).max(share(s)),
                        "due": run.due_at.map(share),
                    })),
                })
            })
            .collect();
        json!({
            "steps": rows,
            "from": short(first),
            "until": short(last),
        })
    }
}

fn step_label(no: StepNo) -> String {
    no.0.to_string()
}

/// "Bandung, 2 Maret 1990".
fn birth_text(details: &ParticipantDetails) -> String {
    let date = details.birth_date.map(day_text);
    match (details.birth_place.as_deref(), date) {
        (Some(place), Some(date)) => format!("{place}, {date}"),
        (Some(place), None) => place.to_string(),
        (None, Some(date)) => date,
        (None, None) => String::new(),
    }
}

/// A word longer than this (a name or place with no space in it) gets
/// break opportunities, so a table cell wraps it instead of printing it
/// over the next column and off the page.
const LONGEST_UNBROKEN: usize = 24;

/// Every string in `value` with an invisible break opportunity (U+200B)
/// after each [`LONGEST_UNBROKEN`] characters of any longer word.
pub(super) fn breakable_words(value: &mut Value) {
    match value {
        Value::String(text)
            if text
                .split_whitespace()
                .any(|w| w.chars().count() > LONGEST_UNBROKEN) =>
        {
            let mut out = String::with_capacity(text.len() + text.len() / LONGEST_UNBROKEN * 3);
            let mut run = 0;
            for c in text.chars() {
                if c.is_whitespace() {
                    run = 0;
                } else {
                    if run == LONGEST_UNBROKEN {
                        out.push('\u{200B}');
                        run = 0;
                    }
                    run += 1;
                }
                out.push(c);
            }
            *text = out;
        }
        Value::Array(items) => items.iter_mut().for_each(breakable_words),
        Value::Object(map) => map.values_mut().for_each(breakable_words),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_unbroken_word_gets_break_opportunities_and_short_ones_stay() {
        let mut data = json!({"a": ["Ni Komang Ayu", "x".repeat(60)], "n": 3});
        breakable_words(&mut data);
        assert_eq!(data["a"][0], "Ni Komang Ayu");
        let long = data["a"][1].as_str().unwrap();
        assert_eq!(long.matches('\u{200B}').count(), 2);
        assert_eq!(long.replace('\u{200B}', ""), "x".repeat(60));
        assert_eq!(data["n"], 3);
    }
}
