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

    /// Steps 1–3 with the given verdicts, step 4 with a decree.
    fn through_decree(&mut self, verdicts: &[Competence]) {
        self.ok(&Actor::Operator, Command::Start);
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

#[test]
fn a_mixed_batch_runs_every_step_and_both_branches() {
    let mut b = Batch::new(5);
    let start = b.ok(&Actor::Operator, Command::Start);
    assert_eq!(activated(&start), vec![1]);
    assert!(start.effects.contains(&Effect::StepTask { step: s(1) }));
    let due = b.state.run(s(1)).due_at.unwrap();
    assert_eq!(
        due - b.state.run(s(1)).started_at.unwrap(),
        Duration::hours(1)
    );
    assert!(start.effects.contains(&Effect::SetDeadline {
        step: s(1),
        participant: None,
        due_at: due
    }));

    // Step 1: the invitation. Acknowledge, set the meeting, done.
    let ack = b.ok(&administrasi(), Command::Acknowledge { step: s(1) });
    assert_eq!(ack.events.len(), 1);
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    let done1 = b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    assert!(done1.effects.contains(&Effect::MeetingInvitation));
    assert_eq!(activated(&done1), vec![2]);

    // Invitees answer while the documents are prepared.
    b.ok(
        &komite(),
        Command::Rsvp {
            attend: true,
            reason: None,
        },
    );
    b.ok(
        &komite_2(),
        Command::Rsvp {
            attend: false,
            reason: Some("Dinas luar kota".into()),
        },
    );
    assert_eq!(b.state.rsvps.len(), 2);

    // Step 2, then the meeting (3) with results.
    let done2 = b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    assert_eq!(activated(&done2), vec![3]);
    b.ok(&komite(), Command::Acknowledge { step: s(3) });
    for (i, verdict) in [K, K, K, BK, BK].into_iter().enumerate() {
        b.ok(
            &sertifikasi(),
            Command::RecordResult {
                participant: p(i as i64 + 1),
                result: verdict,
            },
        );
    }
    let done3 = b.ok(&ketua(), Command::MarkDone { step: s(3) });
    assert_eq!(activated(&done3), vec![4]);

    // Step 4: the decree; every participant is told their result.
    b.ok(
        &ketua(),
        Command::RecordDecree {
            decree: Decree {
                number: "SK/042/2026".into(),
                date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            },
        },
    );
    let done4 = b.ok(&ketua(), Command::MarkDone { step: s(4) });
    assert_eq!(activated(&done4), vec![5, 6]);
    let notices = done4
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::ResultNotice { .. }))
        .count();
    assert_eq!(notices, 5);
    assert_eq!(b.step_state(5), StepState::Active);
    assert_eq!(b.step_state(6), StepState::Active);
    assert_eq!(
        b.state.run(s(6)).due_at.unwrap() - b.state.run(s(6)).started_at.unwrap(),
        Duration::days(7)
    );

    // The BK branch: letters ready, so BK participants may come.
    let done5 = b.ok(&administrasi(), Command::MarkDone { step: s(5) });
    assert_eq!(activated(&done5), vec![11]);
    let ready: Vec<_> = done5
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::HandoverNotice { participant } => Some(participant.0),
            _ => None,
        })
        .collect();
    assert_eq!(ready, vec![4, 5]);
    b.ok(&sertifikasi(), Command::OpenHandover { participant: p(4) });
    let receipt = b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(4) });
    assert!(
        receipt
            .effects
            .contains(&Effect::ReceiptConfirmation { participant: p(4) })
    );

    // The K branch: blanks, print, sign, archive.
    for (i, number) in [(1, "BNSP-0001"), (2, "BNSP-0002"), (3, "BNSP-0003")] {
        b.ok(
            &sertifikasi(),
            Command::RecordBlankNumber {
                participant: p(i),
                number: number.into(),
            },
        );
    }
    assert_eq!(
        activated(&b.ok(&sertifikasi(), Command::MarkDone { step: s(6) })),
        vec![7]
    );
    assert_eq!(
        activated(&b.ok(&sertifikasi(), Command::MarkDone { step: s(7) })),
        vec![8]
    );
    assert_eq!(
        activated(&b.ok(&ketua(), Command::MarkDone { step: s(8) })),
        vec![10]
    );
    let done10 = b.ok(&administrasi(), Command::MarkDone { step: s(10) });
    assert!(activated(&done10).is_empty(), "step 11 is already active");
    assert_eq!(
        done10
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::HandoverNotice { .. }))
            .count(),
        3
    );

    // Receipts for everyone else; the last one finishes the batch.
    for i in [5, 1, 2] {
        b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(i) });
        assert_eq!(b.state.status, BatchStatus::Running);
    }
    let last = b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(3) });
    assert!(last.events.contains(&Event::StepCompleted {
        step: s(11),
        at: b.now
    }));
    assert!(matches!(
        last.events.last(),
        Some(Event::BatchFinished { .. })
    ));
    assert_eq!(b.state.status, BatchStatus::Finished);
    assert!(b.state.steps.values().all(|r| r.state == StepState::Done));
}

#[test]
fn a_batch_with_no_bk_skips_the_bk_letter() {
    let mut b = Batch::new(2);
    b.through_decree(&[K, K]);
    assert_eq!(b.step_state(5), StepState::Skipped);
    assert_eq!(b.step_state(6), StepState::Active);
    assert_eq!(b.step_state(11), StepState::Waiting);
}

#[test]
fn a_batch_with_no_k_skips_the_whole_k_branch() {
    let mut b = Batch::new(2);
    b.ok(&Actor::Operator, Command::Start);
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    for i in 1..=2 {
        b.ok(
            &ketua(),
            Command::RecordResult {
                participant: p(i),
                result: BK,
            },
        );
    }
    b.ok(&ketua(), Command::MarkDone { step: s(3) });
    b.ok(
        &ketua(),
        Command::RecordDecree {
            decree: Decree {
                number: "SK/1".into(),
                date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            },
        },
    );
    let done4 = b.ok(&ketua(), Command::MarkDone { step: s(4) });
    assert_eq!(activated(&done4), vec![5]);
    assert_eq!(skipped(&done4), vec![6, 7, 8, 10]);
    let done5 = b.ok(&administrasi(), Command::MarkDone { step: s(5) });
    assert_eq!(activated(&done5), vec![11]);
    b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(1) });
    b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(2) });
    assert_eq!(b.state.status, BatchStatus::Finished);
    let refusal = b.refused(&sertifikasi(), Command::Acknowledge { step: s(6) });
    assert_eq!(refusal, Refusal::BatchFinished);
}

#[test]
fn the_meeting_needs_only_the_chairs_done() {
    let mut b = Batch::new(1);
    b.ok(&Actor::Operator, Command::Start);
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    b.ok(
        &ketua(),
        Command::RecordResult {
            participant: p(1),
            result: K,
        },
    );
    // A committee member may acknowledge the meeting but not close it.
    b.ok(&komite(), Command::Acknowledge { step: s(3) });
    assert_eq!(
        b.refused(&komite(), Command::MarkDone { step: s(3) }),
        Refusal::RoleRequired {
            step: Some(s(3)),
            roles: vec!["Ketua LSP".into()]
        }
    );
    let done = b.ok(&ketua(), Command::MarkDone { step: s(3) });
    assert_eq!(activated(&done), vec![4]);
}

#[test]
fn a_member_with_two_roles_acts_in_either() {
    let mut b = Batch::new(1);
    let both = staff(
        9,
        "Pak Rangkap",
        &[Role::KabagAdministrasi, Role::KabagSertifikasi],
    );
    b.ok(&both, Command::Start);
    let meeting = b.meeting();
    b.ok(&both, Command::SetMeeting { meeting });
    b.ok(&both, Command::MarkDone { step: s(1) });
    b.ok(&both, Command::MarkDone { step: s(2) });
    assert_eq!(b.step_state(3), StepState::Active);
}

#[test]
fn repeated_presses_record_nothing_twice() {
    let mut b = Batch::new(1);
    b.ok(&Actor::Operator, Command::Start);
    assert_eq!(
        b.ok(&administrasi(), Command::Acknowledge { step: s(1) })
            .events
            .len(),
        1
    );
    let again = b.ok(&administrasi(), Command::Acknowledge { step: s(1) });
    assert!(again.events.is_empty() && again.effects.is_empty());
    let meeting = b.meeting();
    b.ok(
        &administrasi(),
        Command::SetMeeting {
            meeting: meeting.clone(),
        },
    );
    assert!(
        b.ok(&administrasi(), Command::SetMeeting { meeting })
            .events
            .is_empty()
    );
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    b.ok(
        &komite(),
        Command::Rsvp {
            attend: true,
            reason: None,
        },
    );
    assert!(
        b.ok(
            &komite(),
            Command::Rsvp {
                attend: true,
                reason: None
            }
        )
        .events
        .is_empty()
    );
    // Changing one's mind is recorded.
    let changed = b.ok(
        &komite(),
        Command::Rsvp {
            attend: false,
            reason: Some("Sakit".into()),
        },
    );
    assert_eq!(changed.events.len(), 1);
    assert!(!b.state.rsvps[&MemberId(4)].attend);
}

#[test]
fn a_second_done_on_a_finished_step_is_refused_as_done() {
    let mut b = Batch::new(1);
    b.ok(&Actor::Operator, Command::Start);
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    assert_eq!(
        b.refused(&administrasi(), Command::MarkDone { step: s(1) }),
        Refusal::StepAlreadyDone { step: s(1) }
    );
}

#[test]
fn every_refusal_is_reachable_and_changes_nothing() {
    // Before start.
    let mut b = Batch::new(2);
    assert_eq!(
        b.refused(&administrasi(), Command::Acknowledge { step: s(1) }),
        Refusal::BatchNotStarted
    );
    assert_eq!(
        b.refused(&komite(), Command::Start),
        Refusal::RoleRequired {
            step: None,
            roles: vec!["Ketua LSP".into(), "Kabag Sertifikasi".into()]
        }
    );
    let mut empty = Batch::new(0);
    assert_eq!(
        empty.refused(&Actor::Operator, Command::Start),
        Refusal::NoParticipants
    );

    b.ok(&sertifikasi(), Command::Start);
    assert_eq!(
        b.refused(&Actor::Operator, Command::Start),
        Refusal::BatchAlreadyStarted
    );
    assert_eq!(
        b.refused(&Actor::Operator, Command::Acknowledge { step: s(1) }),
        Refusal::StaffOnly
    );
    assert_eq!(
        b.refused(&administrasi(), Command::Acknowledge { step: s(9) }),
        Refusal::UnknownStep { step: s(9) }
    );
    assert_eq!(
        b.refused(&sertifikasi(), Command::MarkDone { step: s(1) }),
        Refusal::RoleRequired {
            step: Some(s(1)),
            roles: vec!["Kabag Administrasi".into()]
        }
    );
    assert_eq!(
        b.refused(&ketua(), Command::Acknowledge { step: s(4) }),
        Refusal::StepWaiting {
            step: s(4),
            waiting_for: vec![MissingInput {
                step: s(3),
                output: "Berita acara penetapan hasil asesmen".into()
            }]
        }
    );
    assert_eq!(
        b.refused(&administrasi(), Command::MarkDone { step: s(1) }),
        Refusal::RecordMissing {
            step: s(1),
            record: RecordKind::Meeting
        }
    );
    assert_eq!(
        b.refused(
            &administrasi(),
            Command::SetMeeting {
                meeting: Meeting {
                    starts_at: b.now - Duration::hours(1),
                    place: "Ruang 1".into()
                }
            }
        ),
        Refusal::MeetingInPast
    );
    let far = b.now + Duration::days(1);
    assert_eq!(
        b.refused(
            &administrasi(),
            Command::SetMeeting {
                meeting: Meeting {
                    starts_at: far,
                    place: "   ".into()
                }
            }
        ),
        Refusal::EmptyField {
            field: Field::Place
        }
    );
    assert_eq!(
        b.refused(
            &komite(),
            Command::Rsvp {
                attend: true,
                reason: None
            }
        ),
        Refusal::InvitationNotSent
    );
    assert_eq!(
        b.refused(
            &administrasi(),
            Command::ReportProblem {
                step: s(1),
                text: "x".repeat(MAX_PROBLEM_TEXT + 1)
            }
        ),
        Refusal::TooLong {
            field: Field::ProblemText,
            max: MAX_PROBLEM_TEXT
        }
    );
    let problem = b.ok(
        &administrasi(),
        Command::ReportProblem {
            step: s(1),
            text: "  Ruang rapat belum tersedia ".into(),
        },
    );
    assert!(matches!(
        &problem.effects[..],
        [Effect::ProblemReport { text, .. }] if text == "Ruang rapat belum tersedia"
    ));

    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    assert_eq!(
        b.refused(
            &sertifikasi(),
            Command::Rsvp {
                attend: true,
                reason: None
            }
        ),
        Refusal::NotInvited
    );
    assert_eq!(
        b.refused(
            &komite(),
            Command::Rsvp {
                attend: false,
                reason: None
            }
        ),
        Refusal::EmptyField {
            field: Field::Reason
        }
    );
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    assert_eq!(
        b.refused(
            &komite(),
            Command::RecordResult {
                participant: p(1),
                result: K
            }
        ),
        Refusal::RoleRequired {
            step: Some(s(3)),
            roles: vec!["Ketua LSP".into(), "Kabag Sertifikasi".into()]
        }
    );
    assert_eq!(
        b.refused(
            &ketua(),
            Command::RecordResult {
                participant: p(99),
                result: K
            }
        ),
        Refusal::UnknownParticipant { participant: 99 }
    );
    b.ok(
        &ketua(),
        Command::RecordResult {
            participant: p(1),
            result: K,
        },
    );
    assert_eq!(
        b.refused(&ketua(), Command::MarkDone { step: s(3) }),
        Refusal::ResultsMissing {
            step: s(3),
            missing: 1
        }
    );
    b.ok(
        &ketua(),
        Command::RecordResult {
            participant: p(2),
            result: BK,
        },
    );
    b.ok(&ketua(), Command::MarkDone { step: s(3) });
    assert_eq!(
        b.refused(
            &komite(),
            Command::Rsvp {
                attend: true,
                reason: None
            }
        ),
        Refusal::MeetingOver
    );
    assert_eq!(
        b.refused(&ketua(), Command::MarkDone { step: s(4) }),
        Refusal::RecordMissing {
            step: s(4),
            record: RecordKind::Decree
        }
    );
    assert_eq!(
        b.refused(
            &ketua(),
            Command::RecordDecree {
                decree: Decree {
                    number: " ".into(),
                    date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
                }
            }
        ),
        Refusal::EmptyField {
            field: Field::DecreeNumber
        }
    );
    assert_eq!(
        b.refused(&sertifikasi(), Command::RecordReceipt { participant: p(1) }),
        Refusal::ParticipantNotReady {
            participant: "Asesi 1".into()
        }
    );
    b.ok(
        &ketua(),
        Command::RecordDecree {
            decree: Decree {
                number: "SK/9".into(),
                date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            },
        },
    );
    b.ok(&ketua(), Command::MarkDone { step: s(4) });
    assert_eq!(
        b.refused(
            &sertifikasi(),
            Command::RecordBlankNumber {
                participant: p(2),
                number: "B-1".into()
            }
        ),
        Refusal::NotKompeten {
            participant: "Asesi 2".into()
        }
    );
    assert_eq!(
        b.refused(&sertifikasi(), Command::MarkDone { step: s(6) }),
        Refusal::BlankNumbersMissing {
            step: s(6),
            missing: 1
        }
    );
    assert_eq!(
        b.refused(&sertifikasi(), Command::MarkDone { step: s(11) }),
        Refusal::FinishesByReceipts { step: s(11) }
    );
    b.ok(&administrasi(), Command::MarkDone { step: s(5) });
    b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(2) });
    assert_eq!(
        b.refused(&sertifikasi(), Command::OpenHandover { participant: p(2) }),
        Refusal::AlreadyReceived {
            participant: "Asesi 2".into()
        }
    );
    // A receipt pressed twice records nothing more.
    assert!(
        b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(2) })
            .events
            .is_empty()
    );
}

#[test]
fn a_blank_number_belongs_to_one_participant() {
    let mut b = Batch::new(2);
    b.through_decree(&[K, K]);
    b.ok(
        &sertifikasi(),
        Command::RecordBlankNumber {
            participant: p(1),
            number: "B-77".into(),
        },
    );
    assert_eq!(
        b.refused(
            &sertifikasi(),
            Command::RecordBlankNumber {
                participant: p(2),
                number: " B-77 ".into()
            }
        ),
        Refusal::BlankNumberTaken {
            number: "B-77".into(),
            holder: "Asesi 1".into()
        }
    );
}

#[test]
fn a_step_that_does_not_apply_says_so() {
    let mut b = Batch::new(1);
    b.through_decree(&[K]);
    assert_eq!(
        b.refused(&administrasi(), Command::Acknowledge { step: s(5) }),
        Refusal::StepNotApplicable { step: s(5) }
    );
}

#[test]
fn a_procedure_without_a_decree_step_refuses_a_decree() {
    let text = crate::sop::DEFAULT_PROCEDURE.replacen("records = \"decree\"\n", "", 1);
    let mut b = Batch::with_procedure(Procedure::parse(&text, "custom").unwrap(), 1);
    b.ok(&Actor::Operator, Command::Start);
    assert_eq!(
        b.refused(
            &ketua(),
            Command::RecordDecree {
                decree: Decree {
                    number: "SK/1".into(),
                    date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
                }
            }
        ),
        Refusal::NothingRecords {
            record: RecordKind::Decree
        }
    );
}

#[test]
fn a_handover_clock_runs_from_opening() {
    let mut b = Batch::new(1);
    b.through_decree(&[BK]);
    b.ok(&administrasi(), Command::MarkDone { step: s(5) });
    let open = b.ok(&sertifikasi(), Command::OpenHandover { participant: p(1) });
    assert!(open.effects.contains(&Effect::SetDeadline {
        step: s(11),
        participant: Some(p(1)),
        due_at: b.now + Duration::minutes(10)
    }));
    assert!(
        b.ok(&sertifikasi(), Command::OpenHandover { participant: p(1) })
            .events
            .is_empty()
    );
}

#[test]
fn due_times_follow_the_working_calendar() {
    let mut b = Batch::new(1);
    b.calendar = Calendar::default();
    // Friday 27 November 2026, 15:29 WIB; the command runs a minute later.
    b.now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 29, 0).unwrap();
    b.ok(&Actor::Operator, Command::Start);
    assert_eq!(
        b.state.run(s(1)).due_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 30, 1, 30, 0).unwrap()),
        "Friday 15:30 + 1 jam = Monday 08:30 WIB"
    );
}

// ---------------------------------------------------------------- properties

fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        Just(Actor::Operator),
        Just(ketua()),
        Just(sertifikasi()),
        Just(administrasi()),
        Just(komite()),
        Just(komite_2()),
    ]
}

fn any_command(participants: i64) -> impl Strategy<Value = Command> {
    let step = prop::sample::select(vec![1u32, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).prop_map(StepNo);
    let who = (1..=participants + 1).prop_map(ParticipantId);
    let verdict = prop_oneof![Just(K), Just(BK)];
    prop_oneof![
        1 => Just(Command::Start),
        4 => step.clone().prop_map(|step| Command::Acknowledge { step }),
        6 => step.clone().prop_map(|step| Command::MarkDone { step }),
        1 => step.clone().prop_map(|step| Command::ReportProblem { step, text: "masalah".into() }),
        2 => Just(Command::SetMeeting {
            meeting: Meeting {
                starts_at: Utc.with_ymd_and_hms(2030, 1, 1, 2, 0, 0).unwrap(),
                place: "Ruang 1".into(),
            }
        }),
                1 => any::<bool>().prop_map(|attend| Command::Rsvp { attend, reason: Some("alasan".into()) }),
        1 => Just(Command::RescheduleMeeting {
            meeting: Meeting {
                starts_at: Utc.with_ymd_and_hms(2030, 1, 2, 2, 0, 0).unwrap(),
                place: "Ruang 2".into(),
            }
        }),
                1 => Just(Command::CancelMeeting { reason: "Ketua sakit".into() }),
        1 => step.clone().prop_map(|step| Command::PauseStep { step, reason: "menunggu BNSP".into() }),
        1 => step.prop_map(|step| Command::ResumeStep { step }),
        4 => (who.clone(), verdict).prop_map(|(participant, result)| Command::RecordResult { participant, result }),
        2 => Just(Command::RecordDecree {
            decree: Decree { number: "SK/1".into(), date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap() }
        }),
        3 => (who.clone(), 0..4u8).prop_map(|(participant, n)| Command::RecordBlankNumber {
            participant,
            number: format!("B-{n}"),
        }),
        2 => who.clone().prop_map(|participant| Command::OpenHandover { participant }),
        3 => who.prop_map(|participant| Command::RecordReceipt { participant }),
    ]
}

/// The roles allowed to issue `command` on `state` (before it ran), by the procedure's data.
fn allowed_roles(state: &BatchState, command: &Command) -> Option<crate::domain::RoleSet> {
    let procedure = &state.procedure;
    let by_record = |kind| {
        procedure
            .step_recording(kind)
            .map(|s| s.entry_roles.clone())
    };
    match command {
        Command::Start => Some([Role::KetuaLsp, Role::KabagSertifikasi].into()),
        Command::Acknowledge { step }
        | Command::ReportProblem { step, .. }
        | Command::PauseStep { step, .. }
        | Command::ResumeStep { step } => procedure.step(*step).map(|s| s.roles.clone()),
        Command::MarkDone { step } => procedure.step(*step).map(|s| s.done_by.clone()),
        Command::SetMeeting { .. }
        | Command::RescheduleMeeting { .. }
        | Command::CancelMeeting { .. } => by_record(RecordKind::Meeting),
        Command::Rsvp { .. } => procedure
            .step_recording(RecordKind::Results)
            .map(|s| s.roles.clone()),
        Command::RecordResult { .. } => by_record(RecordKind::Results),
        Command::RecordDecree { .. } => by_record(RecordKind::Decree),
        Command::RecordBlankNumber { .. } => by_record(RecordKind::BlankNumbers),
        Command::OpenHandover { .. } | Command::RecordReceipt { .. } => {
            by_record(RecordKind::Receipts)
        }
    }
}

fn check_invariants(state: &BatchState) -> Result<(), TestCaseError> {
    let procedure = state.procedure.clone();
    for step in &procedure.steps {
        let run = state.run(step.no);
        // No step finishes (or even starts) before its inputs exist.
        if run.state != StepState::Waiting && !step.per_participant {
            for pred in &step.after {
                prop_assert!(
                    state.run(*pred).state.is_finished(),
                    "step {} is {:?} while step {} is {:?}",
                    step.no,
                    run.state,
                    pred,
                    state.run(*pred).state
                );
            }
        }
        // A skipped step is one that does not apply; a step that applies is never skipped.
        if run.state == StepState::Skipped {
            let applies = match step.applies {
                Applies::Always => true,
                Applies::SomeBk => state.has_verdict(BK),
                Applies::SomeK => state.has_verdict(K),
            };
            prop_assert!(!applies, "step {} was skipped but applies", step.no);
        }
        // The K branch never runs for a batch with no K; the BK branch never without BK.
        if matches!(run.state, StepState::Active | StepState::Done) {
            match step.applies {
                Applies::SomeK => {
                    prop_assert!(state.has_verdict(K), "K step {} runs with no K", step.no)
                }
                Applies::SomeBk => {
                    prop_assert!(state.has_verdict(BK), "BK step {} runs with no BK", step.no)
                }
                Applies::Always => {}
            }
        }
        // Done steps that record something hold their record.
        if run.state == StepState::Done {
            match step.records {
                Some(RecordKind::Meeting) => prop_assert!(state.meeting.is_some()),
                Some(RecordKind::Decree) => prop_assert!(state.decree.is_some()),
                Some(RecordKind::Results) => {
                    prop_assert!(state.participants.values().all(|p| p.result.is_some()));
                }
                Some(RecordKind::BlankNumbers) => prop_assert!(
                    state
                        .participants
                        .values()
                        .all(|p| p.result != Some(K) || p.blank_number.is_some())
                ),
                Some(RecordKind::Receipts) => prop_assert!(
                    state
                        .participants
                        .values()
                        .all(|p| p.handover.stage() == HandoverStage::Received)
                ),
                None => {}
            }
        }
    }
    // A handover opens only when that participant's own document is ready.
    if let Some(handover) = procedure.step_recording(RecordKind::Receipts) {
        for p in state.participants.values() {
            if p.handover.stage() != HandoverStage::Waiting {
                let verdict = p.result.expect("a ready participant has a verdict");
                for pred in &handover.after {
                    let pred_step = procedure.step(*pred).unwrap();
                    if pred_step.applies.concerns(verdict) {
                        prop_assert_eq!(state.run(*pred).state, StepState::Done);
                    }
                }
            }
        }
    }
    if state.status == BatchStatus::Finished {
        prop_assert!(state.steps.values().all(|r| r.state.is_finished()));
    }
    Ok(())
}

/// The commands of a run in which everyone does the right thing.
fn happy_path(verdicts: &[Competence]) -> Vec<(Actor, Command)> {
    let mut script = vec![
        (Actor::Operator, Command::Start),
        (administrasi(), Command::Acknowledge { step: s(1) }),
        (
            administrasi(),
            Command::SetMeeting {
                meeting: Meeting {
                    starts_at: Utc.with_ymd_and_hms(2030, 1, 1, 2, 0, 0).unwrap(),
                    place: "Ruang 1".into(),
                },
            },
        ),
        (administrasi(), Command::MarkDone { step: s(1) }),
        (
            komite(),
            Command::Rsvp {
                attend: true,
                reason: None,
            },
        ),
        (sertifikasi(), Command::MarkDone { step: s(2) }),
    ];
    for (i, v) in verdicts.iter().enumerate() {
        script.push((
            ketua(),
            Command::RecordResult {
                participant: p(i as i64 + 1),
                result: *v,
            },
        ));
    }
    script.push((ketua(), Command::MarkDone { step: s(3) }));
    script.push((
        ketua(),
        Command::RecordDecree {
            decree: Decree {
                number: "SK/1".into(),
                date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            },
        },
    ));
    script.push((ketua(), Command::MarkDone { step: s(4) }));
    script.push((administrasi(), Command::MarkDone { step: s(5) }));
    for (i, v) in verdicts.iter().enumerate() {
        if *v == K {
            script.push((
                sertifikasi(),
                Command::RecordBlankNumber {
                    participant: p(i as i64 + 1),
                    number: format!("B-{i}"),
                },
            ));
        }
    }
    script.push((sertifikasi(), Command::MarkDone { step: s(6) }));
    script.push((sertifikasi(), Command::MarkDone { step: s(7) }));
    script.push((ketua(), Command::MarkDone { step: s(8) }));
    script.push((administrasi(), Command::MarkDone { step: s(10) }));
    for i in 0..verdicts.len() {
        script.push((
            sertifikasi(),
            Command::RecordReceipt {
                participant: p(i as i64 + 1),
            },
        ));
    }
    script
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn no_sequence_of_commands_breaks_the_sop(
        verdicts in prop::collection::vec(any::<bool>(), 1..5),
        scripted in 0usize..40,
        commands in prop::collection::vec((any_actor(), any_command(4)), 1..160),
    ) {
        // A prefix of a well-behaved run takes the batch deep into the SOP,
        // so the random commands that follow meet every stage.
        let verdicts: Vec<Competence> = verdicts.into_iter().map(|k| if k { K } else { BK }).collect();
        let mut b = Batch::new(verdicts.len());
        let prefix: Vec<(Actor, Command)> = happy_path(&verdicts).into_iter().take(scripted).collect();
        for (actor, command) in prefix.into_iter().chain(commands) {
            let before = b.state.clone();
            let allowed = allowed_roles(&before, &command);
            match b.act(&actor, command.clone()) {
                Ok(decision) => {
                    // Nobody acts outside their role.
                    match (&actor, &allowed) {
                        (Actor::Operator, _) => prop_assert_eq!(&command, &Command::Start),
                        (Actor::Staff(staff), Some(roles)) => prop_assert!(
                            staff.holds_any(roles),
                            "{} acted outside their role: {:?}", staff.name, command
                        ),
                        (Actor::Staff(_), None) => prop_assert!(false, "accepted {:?} with no step", command),
                    }
                    let changes_state = decision
                        .events
                        .iter()
                        .any(|e| !matches!(e, Event::ProblemReported { .. }));
                    prop_assert_eq!(changes_state, before != b.state, "events: {:?}", decision.events);
                }
                Err(_) => prop_assert_eq!(&before, &b.state),
            }
            check_invariants(&b.state)?;
        }
    }

    #[test]
    fn the_right_people_always_finish_any_batch(verdicts in prop::collection::vec(any::<bool>(), 1..8)) {
        let verdicts: Vec<Competence> = verdicts.into_iter().map(|k| if k { K } else { BK }).collect();
        let mut b = Batch::new(verdicts.len());
        b.through_decree(&verdicts);
        let has_k = verdicts.contains(&K);
        let has_bk = verdicts.contains(&BK);
        prop_assert_eq!(b.step_state(5), if has_bk { StepState::Active } else { StepState::Skipped });
        for n in [6, 7, 8, 10] {
            prop_assert_eq!(b.step_state(n) == StepState::Skipped, !has_k);
        }
        if has_bk {
            b.ok(&administrasi(), Command::MarkDone { step: s(5) });
        }
        if has_k {
            for (i, v) in verdicts.iter().enumerate() {
                if *v == K {
                    b.ok(&sertifikasi(), Command::RecordBlankNumber { participant: p(i as i64 + 1), number: format!("B-{i}") });
                }
            }
            b.ok(&sertifikasi(), Command::MarkDone { step: s(6) });
            b.ok(&sertifikasi(), Command::MarkDone { step: s(7) });
            b.ok(&ketua(), Command::MarkDone { step: s(8) });
            b.ok(&administrasi(), Command::MarkDone { step: s(10) });
        }
        for i in 1..=verdicts.len() as i64 {
            b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(i) });
        }
        prop_assert_eq!(b.state.status, BatchStatus::Finished);
        check_invariants(&b.state)?;
    }
}

#[test]
fn a_meeting_can_be_moved_or_cancelled_after_the_invitation() {
    let mut b = Batch::new(2);
    b.ok(&Actor::Operator, Command::Start);
    let later = Meeting {
        starts_at: b.now + Duration::days(3),
        place: "Ruang 3".into(),
    };
    assert_eq!(
        b.refused(
            &administrasi(),
            Command::RescheduleMeeting {
                meeting: later.clone()
            }
        ),
        Refusal::InvitationNotSent
    );
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    b.ok(
        &komite(),
        Command::Rsvp {
            attend: true,
            reason: None,
        },
    );
    assert_eq!(
        b.refused(&komite(), Command::CancelMeeting { reason: "x".into() }),
        Refusal::RoleRequired {
            step: Some(s(1)),
            roles: vec!["Kabag Administrasi".into()]
        }
    );
    let moved = b.ok(
        &administrasi(),
        Command::RescheduleMeeting {
            meeting: later.clone(),
        },
    );
    assert!(moved.effects.contains(&Effect::MeetingChanged {
        cancelled: false,
        reason: None
    }));
    assert_eq!(b.state.meeting.as_ref(), Some(&later));
    assert_eq!(
        b.state.meeting_changes,
        MeetingChanges {
            sequence: 1,
            cancelled: false
        }
    );
    assert!(
        b.state.rsvps.is_empty(),
        "invitees answer the new time afresh"
    );
    let cancelled = b.ok(
        &administrasi(),
        Command::CancelMeeting {
            reason: "Ketua sakit".into(),
        },
    );
    assert!(cancelled.effects.contains(&Effect::MeetingChanged {
        cancelled: true,
        reason: Some("Ketua sakit".into())
    }));
    assert_eq!(
        b.state.meeting_changes,
        MeetingChanges {
            sequence: 2,
            cancelled: true
        }
    );
    assert_eq!(
        b.refused(
            &komite(),
            Command::Rsvp {
                attend: true,
                reason: None
            }
        ),
        Refusal::MeetingCancelled
    );
    // Cancelling twice changes nothing; moving it again revives it.
    assert!(
        b.ok(
            &administrasi(),
            Command::CancelMeeting {
                reason: "lagi".into()
            }
        )
        .events
        .is_empty()
    );
    let again = Meeting {
        starts_at: b.now + Duration::days(4),
        place: "Ruang 4".into(),
    };
    b.ok(
        &administrasi(),
        Command::RescheduleMeeting { meeting: again },
    );
    assert_eq!(
        b.state.meeting_changes,
        MeetingChanges {
            sequence: 3,
            cancelled: false
        }
    );
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    for i in 1..=2 {
        b.ok(
            &ketua(),
            Command::RecordResult {
                participant: p(i),
                result: K,
            },
        );
    }
    b.ok(&ketua(), Command::MarkDone { step: s(3) });
    assert_eq!(
        b.refused(
            &administrasi(),
            Command::CancelMeeting { reason: "x".into() }
        ),
        Refusal::MeetingOver
    );
}

#[test]
fn a_paused_clock_resumes_where_it_stopped() {
    let mut b = Batch::new(1);
    b.calendar = Calendar::default();
    // Tuesday 09:00 WIB: step 1 is due at 10:00.
    b.now = Utc.with_ymd_and_hms(2026, 11, 24, 1, 59, 0).unwrap();
    b.ok(&Actor::Operator, Command::Start);
    assert_eq!(
        b.refused(
            &komite(),
            Command::PauseStep {
                step: s(1),
                reason: "x".into()
            }
        ),
        Refusal::RoleRequired {
            step: Some(s(1)),
            roles: vec!["Kabag Administrasi".into()]
        }
    );
    assert_eq!(
        b.refused(
            &administrasi(),
            Command::PauseStep {
                step: s(1),
                reason: " ".into()
            }
        ),
        Refusal::EmptyField {
            field: Field::Reason
        }
    );
    b.now = Utc.with_ymd_and_hms(2026, 11, 24, 2, 29, 0).unwrap();
    let paused = b.ok(
        &administrasi(),
        Command::PauseStep {
            step: s(1),
            reason: "Ruang rapat belum pasti".into(),
        },
    );
    assert!(paused.effects.contains(&Effect::ClearDeadline {
        step: s(1),
        participant: None
    }));
    assert_eq!(
        b.state.run(s(1)).pause.as_ref().unwrap().remaining_minutes,
        30
    );
    // Pausing again changes nothing.
    assert!(
        b.ok(
            &administrasi(),
            Command::PauseStep {
                step: s(1),
                reason: "lagi".into()
            }
        )
        .events
        .is_empty()
    );
    // Resumed the next morning at 08:59 (the command runs a minute later): 30 minutes remain.
    b.now = Utc.with_ymd_and_hms(2026, 11, 25, 1, 59, 0).unwrap();
    let resumed = b.ok(&administrasi(), Command::ResumeStep { step: s(1) });
    let due = Utc.with_ymd_and_hms(2026, 11, 25, 2, 30, 0).unwrap();
    assert!(resumed.effects.contains(&Effect::SetDeadline {
        step: s(1),
        participant: None,
        due_at: due
    }));
    assert_eq!(b.state.run(s(1)).due_at, Some(due));
    assert!(b.state.run(s(1)).pause.is_none());
}

#[test]
fn may_gives_the_engines_answer_before_the_command_comes() {
    use crate::workflow::{Intent, may};
    let mut b = Batch::new(3);
    let ask =
        |b: &Batch, actor: &Actor, intent: Intent| may(&b.state, actor, intent, b.now, &b.calendar);
    // Before the start: nothing runs yet.
    assert_eq!(
        ask(&b, &administrasi(), Intent::SetMeeting),
        Err(b.clone_refusal(
            &administrasi(),
            Command::SetMeeting {
                meeting: b.meeting()
            }
        ))
    );
    b.ok(&Actor::Operator, Command::Start);
    // Step 1: Kabag Administrasi sets the meeting; a committee member may not.
    assert_eq!(ask(&b, &administrasi(), Intent::SetMeeting), Ok(()));
    let refusal = b.clone_refusal(
        &komite(),
        Command::SetMeeting {
            meeting: b.meeting(),
        },
    );
    assert_eq!(ask(&b, &komite(), Intent::SetMeeting), Err(refusal));
    // Nobody answers an invitation not yet sent; nobody moves a meeting not yet set.
    let refusal = b.clone_refusal(
        &komite(),
        Command::Rsvp {
            attend: true,
            reason: None,
        },
    );
    assert_eq!(ask(&b, &komite(), Intent::Rsvp), Err(refusal));
    assert!(ask(&b, &administrasi(), Intent::ChangeMeeting).is_err());
    // Results are entered only once the meeting's step runs, by its entry roles.
    assert!(ask(&b, &ketua(), Intent::EnterNow(RecordKind::Results)).is_err());
    assert_eq!(
        ask(&b, &ketua(), Intent::Enter(RecordKind::Results)),
        Ok(())
    );
    assert!(ask(&b, &komite(), Intent::Enter(RecordKind::Results)).is_err());
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    assert_eq!(ask(&b, &komite(), Intent::Rsvp), Ok(()));
    assert_eq!(ask(&b, &administrasi(), Intent::ChangeMeeting), Ok(()));
    // A problem on a step: its people, while it runs.
    assert_eq!(
        ask(&b, &sertifikasi(), Intent::ReportProblem { step: s(2) }),
        Ok(())
    );
    let refusal = b.clone_refusal(
        &komite(),
        Command::ReportProblem {
            step: s(2),
            text: "x".into(),
        },
    );
    assert_eq!(
        ask(&b, &komite(), Intent::ReportProblem { step: s(2) }),
        Err(refusal)
    );
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    assert_eq!(
        ask(&b, &ketua(), Intent::EnterNow(RecordKind::Results)),
        Ok(())
    );
}

impl Batch {
    /// The refusal `command` meets now, the state left as it was.
    fn clone_refusal(&self, actor: &Actor, command: Command) -> Refusal {
        let mut state = self.state.clone();
        execute(&mut state, actor, &command, self.now, &self.calendar)
            .expect_err("the command was accepted")
    }
}
