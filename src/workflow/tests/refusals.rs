//! Every refusal the engine can give is reachable, and changes nothing.

use super::*;

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
    // Units not yet competent: only for a BK, recorded once, cleared by a K.
    let units = vec!["TIK.OP02.001.01".to_string()];
    assert_eq!(
        b.refused(
            &ketua(),
            Command::RecordUnitsBk {
                participant: p(1),
                units: units.clone()
            }
        ),
        Refusal::NotBelumKompeten {
            participant: "Asesi 1".into()
        }
    );
    let recorded = b.ok(
        &ketua(),
        Command::RecordUnitsBk {
            participant: p(2),
            units: units.clone(),
        },
    );
    assert_eq!(recorded.events.len(), 1);
    assert_eq!(b.state.participants[&p(2)].units_bk, units);
    let again = b.ok(
        &ketua(),
        Command::RecordUnitsBk {
            participant: p(2),
            units,
        },
    );
    assert!(again.events.is_empty(), "{:?}", again.events);
    let starts_at = b.state.meeting.as_ref().unwrap().starts_at;
    assert_eq!(
        b.refused(&ketua(), Command::MarkDone { step: s(3) }),
        Refusal::MeetingNotStarted {
            step: s(3),
            starts_at
        }
    );
    b.meeting_held();
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
        b.refused(
            &sertifikasi(),
            Command::RecordReceipt {
                participant: p(1),
                via: ReceiptVia::InPerson
            }
        ),
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
    b.ok(
        &sertifikasi(),
        Command::RecordReceipt {
            participant: p(2),
            via: ReceiptVia::InPerson,
        },
    );
    assert_eq!(
        b.refused(&sertifikasi(), Command::OpenHandover { participant: p(2) }),
        Refusal::AlreadyReceived {
            participant: "Asesi 2".into()
        }
    );
    // A receipt pressed twice records nothing more.
    assert!(
        b.ok(
            &sertifikasi(),
            Command::RecordReceipt {
                participant: p(2),
                via: ReceiptVia::InPerson
            }
        )
        .events
        .is_empty()
    );
}

#[test]
fn a_second_done_on_a_finished_step_repeats_calmly_and_anothers_is_refused_as_done() {
    let mut b = Batch::new(1);
    b.ok(&Actor::Operator, Command::Start);
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::Acknowledge { step: s(1) });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    // The same member's repeats, after the step is done: nothing new, no refusal.
    assert!(
        b.ok(&administrasi(), Command::MarkDone { step: s(1) })
            .events
            .is_empty()
    );
    assert!(
        b.ok(&administrasi(), Command::Acknowledge { step: s(1) })
            .events
            .is_empty()
    );
    // Someone else of the role, who had not pressed: the step is done.
    let other = staff(6, "Pak Administrasi", &[Role::KabagAdministrasi]);
    assert_eq!(
        b.refused(&other, Command::MarkDone { step: s(1) }),
        Refusal::StepAlreadyDone { step: s(1) }
    );
}

#[test]
fn a_plenary_held_earlier_is_moved_to_when_it_was_held_and_then_closed() {
    let mut b = Batch::new(1);
    b.ok(&Actor::Operator, Command::Start);
    let meeting = b.meeting();
    let planned = meeting.starts_at;
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    let invited = b.now;
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    b.ok(
        &ketua(),
        Command::RecordResult {
            participant: p(1),
            result: K,
        },
    );
    // It was held an hour ago, a day before the date on the invitation.
    b.now = planned - Duration::days(1);
    let held = b.now - Duration::hours(1);
    assert_eq!(
        b.refused(&ketua(), Command::MarkDone { step: s(3) }),
        Refusal::MeetingNotStarted {
            step: s(3),
            starts_at: planned
        }
    );
    // Not before its own invitation went out.
    let place = "Ruang Rapat LSP".to_string();
    assert_eq!(
        b.refused(
            &administrasi(),
            Command::RescheduleMeeting {
                meeting: Meeting {
                    starts_at: invited - Duration::minutes(5),
                    place: place.clone(),
                },
            },
        ),
        Refusal::MeetingInPast
    );
    b.ok(
        &administrasi(),
        Command::RescheduleMeeting {
            meeting: Meeting {
                starts_at: held,
                place,
            },
        },
    );
    // The plenary's clock is re-timed (from now: it was held already).
    let moved_at = b.now;
    assert_eq!(b.state.run(s(3)).started_at, Some(moved_at));
    assert_eq!(b.state.meeting.as_ref().unwrap().starts_at, held);
    b.ok(&ketua(), Command::MarkDone { step: s(3) });
    let run = b.state.run(s(3));
    assert!(run.finished_at.unwrap() >= run.started_at.unwrap());
}
