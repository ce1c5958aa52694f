//! The workflow's rules, step by step, both branches, every refusal, and
//! properties that no sequence of commands can break.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::{BatchId, Competence, MemberId, ParticipantId, Role};
use crate::sop::{Applies, Procedure, RecordKind, StepNo};

const K: Competence = Competence::Kompeten;
const BK: Competence = Competence::BelumKompeten;

fn staff(id: i64, name: &str, roles: &[Role]) -> Actor {
    Actor::Staff(Staff {
        id: MemberId(id),
        name: name.into(),
        roles: roles.iter().copied().collect(),
    })
}

fn ketua() -> Actor {
    staff(1, "Bu Ketua", &[Role::KetuaLsp])
}
fn sertifikasi() -> Actor {
    staff(2, "Pak Sertifikasi", &[Role::KabagSertifikasi])
}
fn administrasi() -> Actor {
    staff(3, "Bu Administrasi", &[Role::KabagAdministrasi])
}
fn komite() -> Actor {
    staff(4, "Pak Komite", &[Role::KomiteTeknis])
}
fn komite_2() -> Actor {
    staff(5, "Bu Komite", &[Role::KomiteTeknis])
}

fn s(n: u32) -> StepNo {
    StepNo(n)
}
fn p(n: i64) -> ParticipantId {
    ParticipantId(n)
}

struct Batch {
    state: BatchState,
    calendar: Calendar,
    now: DateTime<Utc>,
}

impl Batch {
    fn with_procedure(procedure: Procedure, participants: usize) -> Self {
        let state = BatchState::new(
            BatchId(7),
            Arc::new(procedure),
            (1..=participants as i64).map(|i| (ParticipantId(i), format!("Asesi {i}"))),
        );
        Batch {
            state,
            calendar: Calendar::wall_clock(chrono_tz::Asia::Jakarta),
            now: Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap(),
        }
    }

    fn new(participants: usize) -> Self {
        Self::with_procedure(Procedure::embedded_default(), participants)
    }

    fn act(&mut self, actor: &Actor, command: Command) -> Result<Decision, Refusal> {
        self.now += Duration::minutes(1);
        execute(&mut self.state, actor, &command, self.now, &self.calendar)
    }

    fn ok(&mut self, actor: &Actor, command: Command) -> Decision {
        let shown = format!("{command:?}");
        self.act(actor, command)
            .unwrap_or_else(|r| panic!("{shown} was refused: {r:?}"))
    }

    fn refused(&mut self, actor: &Actor, command: Command) -> Refusal {
        let before = self.state.clone();
        let shown = format!("{command:?}");
        let refusal = self
            .act(actor, command)
            .expect_err(&format!("{shown} was accepted"));
        assert_eq!(self.state, before, "a refusal changed the state");
        refusal
    }

    fn step_state(&self, no: u32) -> StepState {
        self.state.run(s(no)).state
    }

    fn meeting(&self) -> Meeting {
        Meeting {
            starts_at: self.now + Duration::days(2),
            place: "Ruang Rapat LSP, Gedung B lt. 2".into(),
        }
    }

    /// Lets time pass to an hour after the meeting begins (the plenary is
    /// closed only once it has begun).
    fn meeting_held(&mut self) {
        if let Some(meeting) = &self.state.meeting {
            self.now = self.now.max(meeting.starts_at + Duration::hours(1));
        }
    }

    /// Steps 1–3 with the given verdicts, step 4 with a decree.
    fn through_decree(&mut self, verdicts: &[Competence]) {
        self.ok(&Actor::Operator, Command::Start);
        self.through_decree_from_started(verdicts);
    }

    /// [`Batch::through_decree`] on a batch already started.
    fn through_decree_from_started(&mut self, verdicts: &[Competence]) {
        let meeting = self.meeting();
        self.ok(&administrasi(), Command::SetMeeting { meeting });
        self.ok(&administrasi(), Command::MarkDone { step: s(1) });
        self.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
        for (i, verdict) in verdicts.iter().enumerate() {
            self.ok(
                &ketua(),
                Command::RecordResult {
                    participant: p(i as i64 + 1),
                    result: *verdict,
                },
            );
        }
        self.meeting_held();
        self.ok(&ketua(), Command::MarkDone { step: s(3) });
        self.ok(
            &ketua(),
            Command::RecordDecree {
                decree: Decree {
                    number: "SK/LSP-STMI/042/XI/2026".into(),
                    date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
                },
            },
        );
        self.ok(&ketua(), Command::MarkDone { step: s(4) });
    }
}

fn activated(decision: &Decision) -> Vec<u32> {
    decision
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StepActivated { step, .. } => Some(step.0),
            _ => None,
        })
        .collect()
}

fn skipped(decision: &Decision) -> Vec<u32> {
    decision
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StepSkipped { step, .. } => Some(step.0),
            _ => None,
        })
        .collect()
}

mod attendance;
mod changes;
mod corrections;
mod properties;
mod refusals;
mod scenarios;
