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
