//! Properties over random sequences of commands: no sequence breaks the
//! SOP, and the right people always finish any batch.

use super::*;

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
                starts_at: Utc.with_ymd_and_hms(2026, 11, 24, 5, 0, 0).unwrap(),
                place: "Ruang 1".into(),
            }
        }),
                1 => any::<bool>().prop_map(|attend| Command::Rsvp { attend, reason: Some("alasan".into()) }),
        1 => Just(Command::RescheduleMeeting {
            meeting: Meeting {
                starts_at: Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap(),
                place: "Ruang 2".into(),
            }
        }),
                1 => Just(Command::CancelMeeting { reason: "Ketua sakit".into() }),
        1 => (1..6i64, any::<bool>()).prop_map(|(m, present)| Command::MarkAttendance { member: MemberId(m), present }),
        1 => step.clone().prop_map(|step| Command::PauseStep { step, reason: "menunggu BNSP".into() }),
        1 => step.prop_map(|step| Command::ResumeStep { step }),
        4 => (who.clone(), verdict.clone()).prop_map(|(participant, result)| Command::RecordResult { participant, result }),
        1 => (who.clone(), verdict).prop_map(|(participant, result)| Command::CorrectResult {
            participant,
            result,
            reason: "koreksi".into(),
        }),
        2 => Just(Command::RecordDecree {
            decree: Decree { number: "SK/1".into(), date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap() }
        }),
        3 => (who.clone(), 0..4u8).prop_map(|(participant, n)| Command::RecordBlankNumber {
            participant,
            number: format!("B-{n}"),
        }),
        2 => who.clone().prop_map(|participant| Command::OpenHandover { participant }),
        3 => who.prop_map(|participant| Command::RecordReceipt { participant, via: ReceiptVia::InPerson }),
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
        Command::MarkAttendance { .. } => Some(crate::workflow::attendance_keepers()),
        Command::RecordResult { .. } | Command::RecordUnitsBk { .. } => {
            by_record(RecordKind::Results)
        }
        Command::RecordDecree { .. } => by_record(RecordKind::Decree),
        Command::RecordBlankNumber { .. } => by_record(RecordKind::BlankNumbers),
        Command::OpenHandover { .. } | Command::RecordReceipt { .. } => {
            by_record(RecordKind::Receipts)
        }
        // After the decree only Ketua LSP corrects a result.
        Command::CorrectResult { .. } if state.decree.is_some() => Some([Role::KetuaLsp].into()),
        Command::CorrectResult { .. } => by_record(RecordKind::Results),
        Command::CorrectDecree { .. } | Command::CancelBatch { .. } => {
            Some([Role::KetuaLsp].into())
        }
    }
}

/// The SOP's rules, on any state; `corrected`: a result was corrected
/// after the decree, so a branch may have run again for one participant.
fn check_invariants(state: &BatchState, corrected: bool) -> Result<(), TestCaseError> {
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
        // The K branch never runs for a batch with no K; the BK branch never
        // without BK. (A step done before a correction took its last K or BK
        // away stays done, as it happened.)
        if run.state == StepState::Active {
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
                    if !pred_step.applies.concerns(verdict) {
                        continue;
                    }
                    // A branch run again for a corrected participant does
                    // not undo the documents it made before.
                    if corrected {
                        prop_assert_ne!(state.run(*pred).state, StepState::Skipped);
                    } else {
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
                    starts_at: Utc.with_ymd_and_hms(2026, 11, 24, 5, 0, 0).unwrap(),
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
                via: ReceiptVia::InPerson,
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
        let mut corrected = false;
        for (actor, command) in prefix.into_iter().chain(commands) {
            // Closing the plenary waits for its meeting to begin (time passes).
            if command == (Command::MarkDone { step: s(3) }) {
                b.meeting_held();
            }
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
                    corrected |= decision.events.iter().any(|e| {
                        matches!(e, Event::ResultCorrected { after_decree: true, .. })
                    });
                }
                Err(_) => prop_assert_eq!(&before, &b.state),
            }
            check_invariants(&b.state, corrected)?;
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
            b.ok(&sertifikasi(), Command::RecordReceipt { participant: p(i), via: ReceiptVia::InPerson });
        }
        prop_assert_eq!(b.state.status, BatchStatus::Finished);
        check_invariants(&b.state, false)?;
    }
}
