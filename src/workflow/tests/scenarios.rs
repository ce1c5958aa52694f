//! Whole batches through the engine: both branches, skipped steps,
//! the meeting's chairs, members with two roles, repeated presses.

use super::*;

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
        from: b.now,
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
    b.meeting_held();
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
    let receipt = b.ok(
        &sertifikasi(),
        Command::RecordReceipt {
            participant: p(4),
            via: ReceiptVia::InPerson,
        },
    );
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
        b.ok(
            &sertifikasi(),
            Command::RecordReceipt {
                participant: p(i),
                via: ReceiptVia::InPerson,
            },
        );
        assert_eq!(b.state.status, BatchStatus::Running);
    }
    let last = b.ok(
        &sertifikasi(),
        Command::RecordReceipt {
            participant: p(3),
            via: ReceiptVia::InPerson,
        },
    );
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
    b.meeting_held();
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
    b.ok(
        &sertifikasi(),
        Command::RecordReceipt {
            participant: p(1),
            via: ReceiptVia::InPerson,
        },
    );
    b.ok(
        &sertifikasi(),
        Command::RecordReceipt {
            participant: p(2),
            via: ReceiptVia::InPerson,
        },
    );
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
    b.meeting_held();
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
