//! A finished sample batch, made in memory: every template is tried on it
//! by `sertibot check` (and at start-up), so a template that would fail on
//! a real batch fails there first, with its line.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::facts::{BatchFacts, Person};
use crate::domain::{
    BatchId, BatchInfo, Competence, Member, MemberId, ParticipantDetails, ParticipantId, Role,
};
use crate::sop::Procedure;
use crate::workflow::{BatchState, Decree, DoneMark, Meeting, Rsvp, StepState};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The sample: four participants (the third BK), a meeting, a decree,
/// blank numbers, every step done, one receipt by courier.
pub fn facts() -> BatchFacts {
    facts_of(4)
}

/// A finished sample batch of `count` participants, every third BK from
/// the third on (the benchmark's 1,000-participant batch).
pub fn facts_of(count: usize) -> BatchFacts {
    let procedure = Arc::new(Procedure::embedded_default());
    let names = [
        "Siti Rahmawati",
        "Ma'ruf #1 $_*\\",
        "Budi Santoso",
        "Dewi Lestari",
    ];
    let participants = (0..count).map(|i| {
        let name = match names.get(i) {
            Some(n) => (*n).to_string(),
            None => format!("Peserta Asesmen Nomor {}", i + 1),
        };
        (ParticipantId(i as i64 + 1), name)
    });
    let mut state = BatchState::new(BatchId(1), procedure.clone(), participants);
    state.status = crate::workflow::BatchStatus::Finished;
    state.meeting = Some(Meeting {
        starts_at: at(24, 2),
        place: "Ruang Rapat LSP".into(),
    });
    state.decree = Some(Decree {
        number: "SK/001/LSP/XI/2026".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
    });
    state.rsvps.insert(
        MemberId(1),
        Rsvp {
            attend: true,
            reason: None,
            at: at(23, 3),
        },
    );
    state.rsvps.insert(
        MemberId(2),
        Rsvp {
            attend: false,
            reason: Some("Dinas luar".into()),
            at: at(23, 4),
        },
    );
    for (i, p) in state.participants.values_mut().enumerate() {
        p.result = Some(if i % 3 == 2 {
            Competence::BelumKompeten
        } else {
            Competence::Kompeten
        });
        if i % 3 != 2 {
            p.blank_number = Some(format!("K {:08}", 123_450 + i));
        } else {
            p.units_bk = vec!["TIK.OP02.001.01".into(), "TIK.OP02.004.01".into()];
        }
        p.handover.ready_at = Some(at(26, 3));
    }
    if let Some(p) = state.participants.values_mut().next() {
        p.handover.received_at = Some(at(27, 4));
        p.handover.received_by = Some(MemberId(4));
        p.handover.via = Some(crate::workflow::ReceiptVia::Courier {
            tracking_no: "JNE-0001".into(),
        });
    }
    let mut start = at(20, 2);
    for step in &procedure.steps {
        let run = state
            .steps
            .entry(step.no)
            .or_insert_with(crate::workflow::StepRun::waiting);
        run.state = StepState::Done;
        run.started_at = Some(start);
        run.due_at = Some(start + Duration::hours(20));
        run.finished_at = Some(start + Duration::hours(8));
        run.dones.insert(
            MemberId(4),
            DoneMark {
                roles: step.done_by.clone(),
                at: start + Duration::hours(8),
            },
        );
        start += Duration::hours(10);
    }
    let people = state
        .participants
        .keys()
        .enumerate()
        .map(|(i, id)| {
            let person = Person {
                row: i + 1,
                registration_no: Some(format!("REG-{:03}", i + 1)),
                details: ParticipantDetails {
                    nik: Some(format!("3171010101{:06}", 900_000 + i)),
                    birth_place: Some("Jakarta".into()),
                    birth_date: NaiveDate::from_ymd_opt(1995, 3, 1),
                    phone: Some("081234567890".into()),
                },
            };
            (*id, person)
        })
        .collect::<BTreeMap<_, _>>();
    let member = |id: i64, name: &str, roles: &[Role]| Member {
        id: MemberId(id),
        name: name.into(),
        roles: roles.iter().copied().collect(),
        email: None,
        telegram_user_id: None,
        // The chair has a NIP, to show it under the signature.
        nip: (id == 1).then(|| "19650101 199003 1 002".into()),
    };
    BatchFacts {
        info: BatchInfo {
            id: BatchId(1),
            scheme: "Operator Komputer Madya".into(),
            assessed_on: NaiveDate::from_ymd_opt(2026, 11, 19).unwrap_or_default(),
            place: Some("TUK Politeknik".into()),
        },
        state,
        people,
        members: vec![
            member(1, "Dr. Andi Wijaya", &[Role::KetuaLsp]),
            member(2, "Rina Kusuma", &[Role::KomiteTeknis]),
            member(3, "Hadi Pratama", &[Role::KomiteTeknis]),
            member(
                4,
                "Sri Wahyuni",
                &[Role::KabagSertifikasi, Role::KabagAdministrasi],
            ),
        ],
    }
}

/// Numbers for the sample's numbered documents, as a counter would give
/// them (`001/LSP/BA/XI/2026`), without a database.
pub fn numbers(facts: &BatchFacts) -> super::kit::Numbers {
    facts
        .due()
        .iter()
        .filter_map(|d| Some((d, d.kind.number_code()?)))
        .enumerate()
        .map(|(i, (d, code))| {
            (
                (d.kind, d.participant),
                format!("{:03}/LSP/{code}/XI/2026", i + 1),
            )
        })
        .collect()
}

/// A small performance report, to try the report's templates on.
pub fn report() -> crate::report::Report {
    use crate::report::{Ack, DoneStep, LeadTime, Report};
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
    let steps = [(1, 0), (1, 45), (3, 0), (11, 600)].map(|(step, late)| DoneStep {
        step,
        month: "2026-11".into(),
        within: late == 0,
        late_minutes: late,
    });
    let acks = [Ack {
        member: "Siti Rahmawati".into(),
        minutes: 12,
    }];
    let lead = vec![LeadTime {
        batch: 7,
        scheme: "Operator Mesin Produksi".into(),
        assessed_on: day(2),
        last_receipt: day(20),
        days: 18,
    }];
    Report::build(
        (day(1), day(30)),
        &steps,
        &acks,
        lead,
        |no| format!("Langkah {no}"),
        Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap(),
    )
}

/// What `participant show` holds about a sample participant, prepared for
/// print, to try the personal data template on.
pub fn personal_record() -> serde_json::Value {
    crate::words::record_in_words(serde_json::json!({
        "title": "Data pribadi yang disimpan",
        "date": "30 November 2026",
        "ketua": "Dr. Hendra Wijaya",
        "ketua_nip": "19650101 199003 1 002",
        "participant": {
            "id": 12, "name": "Ma'ruf #1 $_*", "email": "maruf@example.com",
            "registration_no": "REG-00012", "nik": "3171011234567890",
            "birth_place": "Bandung", "birth_date": "1990-05-17", "phone": "+62 812 3456 7890",
            "row": 3, "result": "BK", "result_at": "2026-11-26 10:00 WIB", "blank_number": null,
            "handover_ready_at": null, "handover_opened_at": null, "received_at": null,
            "erased_at": null,
        },
        "batch": {"id": 7, "scheme": "Operator Mesin Produksi", "assessed_on": "2026-11-20",
                  "place": null, "status": "running"},
        "documents": [{"kind": "surat-bk", "number": "001/LSP/BK/XI/2026",
                       "issued_at": "2026-11-27 09:00 WIB", "sha256": "00"}],
        "messages": [{"channel": "email", "address": "maruf@example.com", "template": "result_bk",
                      "status": "sent", "created_at": "2026-11-26 10:00 WIB",
                      "sent_at": "2026-11-26 10:01 WIB"}],
        "audit": [{"row": 40, "at": "2026-11-26 10:00 WIB", "channel": "telegram",
                   "actor": "member", "action": "result_recorded", "detail": {}}],
    }))
}
