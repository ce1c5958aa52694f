//! Corrections: a result before and after the decree (and the branch that
//! opens again), the decree, and cancelling a batch.

use super::*;

fn correct(participant: i64, result: Competence, reason: &str) -> Command {
    Command::CorrectResult {
        participant: p(participant),
        result,
        reason: reason.into(),
    }
}

#[test]
fn a_result_is_corrected_before_the_decree_by_those_who_enter_results() {
    let mut b = Batch::new(2);
    b.ok(&Actor::Operator, Command::Start);
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    // Nothing to correct before a result is recorded.
    assert_eq!(
        b.refused(&ketua(), correct(1, BK, "salah tekan")),
        Refusal::NoResultYet {
            participant: "Asesi 1".into()
        }
    );
    for i in 1..=2 {
        b.ok(
            &ketua(),
            Command::RecordResult {
                participant: p(i),
                result: K,
            },
        );
    }
    b.meeting_held();
    b.ok(&ketua(), Command::MarkDone { step: s(3) });
    // A reason is required; then Kabag Sertifikasi may correct.
    assert_eq!(
        b.refused(&sertifikasi(), correct(2, BK, "  ")),
        Refusal::EmptyField {
            field: Field::Reason
        }
    );
    let fixed = b.ok(&sertifikasi(), correct(2, BK, "berita acara: BK"));
    assert_eq!(b.state.participants[&p(2)].result, Some(BK));
    // No one has been told the first result: no correction email.
    assert!(
        !fixed
            .effects
            .iter()
            .any(|e| matches!(e, Effect::ResultCorrection { .. }))
    );
    assert!(matches!(
        b.refused(&komite(), correct(2, K, "x")),
        Refusal::RoleRequired { .. }
    ));
    // The same result again records nothing.
    assert!(
        b.ok(&sertifikasi(), correct(2, BK, "lagi"))
            .events
            .is_empty()
    );
}

#[test]
fn after_the_decree_only_ketua_corrects_and_the_participant_is_told() {
    let mut b = Batch::new(2);
    b.through_decree(&[K, K]);
    assert_eq!(b.step_state(5), StepState::Skipped, "no BK at first");
    b.ok(
        &sertifikasi(),
        Command::RecordBlankNumber {
            participant: p(2),
            number: "B-2".into(),
        },
    );
    assert_eq!(
        b.refused(&sertifikasi(), correct(2, BK, "salah input")),
        Refusal::RoleRequired {
            step: Some(s(3)),
            roles: vec!["Ketua LSP".into()]
        }
    );
    let fixed = b.ok(&ketua(), correct(2, BK, "salah input pada rapat"));
    let participant = &b.state.participants[&p(2)];
    assert_eq!(participant.result, Some(BK));
    assert_eq!(participant.blank_number, None, "a BK has no blank number");
    // The BK letter step, skipped before, opens for them.
    assert_eq!(b.step_state(5), StepState::Active);
    assert!(fixed.events.contains(&Event::StepReopened {
        step: s(5),
        at: b.now
    }));
    assert!(fixed.effects.iter().any(|e| matches!(
        e,
        Effect::ResultCorrection { participant, from: K, to: BK, .. } if *participant == p(2)
    )));
    // Their letter is made, and their handover opens like anyone's.
    b.ok(&administrasi(), Command::MarkDone { step: s(5) });
    assert_eq!(
        b.state.participants[&p(2)].handover.stage(),
        HandoverStage::Ready
    );
    // Once handed over, a result can no longer be corrected.
    b.ok(
        &sertifikasi(),
        Command::RecordReceipt {
            participant: p(2),
            via: ReceiptVia::InPerson,
        },
    );
    assert_eq!(
        b.refused(&ketua(), correct(2, K, "x")),
        Refusal::AlreadyReceived {
            participant: "Asesi 2".into()
        }
    );
}

#[test]
fn the_decree_is_corrected_by_ketua_with_a_reason() {
    let mut b = Batch::new(1);
    let decree = Decree {
        number: "SK/043".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
    };
    b.ok(&Actor::Operator, Command::Start);
    assert_eq!(
        b.refused(
            &ketua(),
            Command::CorrectDecree {
                decree: decree.clone(),
                reason: "salah ketik".into()
            }
        ),
        Refusal::NoDecreeYet
    );
    b.through_decree_from_started(&[K]);
    assert!(matches!(
        b.refused(
            &sertifikasi(),
            Command::CorrectDecree {
                decree: decree.clone(),
                reason: "salah ketik".into()
            }
        ),
        Refusal::RoleRequired { .. }
    ));
    b.ok(
        &ketua(),
        Command::CorrectDecree {
            decree: decree.clone(),
            reason: "salah ketik nomor".into(),
        },
    );
    assert_eq!(b.state.decree, Some(decree));
}

#[test]
fn a_decree_dated_before_the_assessment_or_past_a_year_is_refused_recorded_or_corrected() {
    let mut b = Batch::new(1);
    b.state.assessed_on = NaiveDate::from_ymd_opt(2026, 11, 20);
    b.through_decree(&[K]);
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let expected = Refusal::DecreeDateOutOfRange {
        earliest: Some(day(2026, 11, 20)),
        // A year after today (the plenary was held two days in).
        latest: day(2027, 11, 26),
    };
    for date in [
        day(9999, 12, 31),
        day(2099, 12, 31),
        day(2027, 11, 27),
        day(2026, 11, 19),
    ] {
        let decree = Decree {
            number: "SK/099".into(),
            date,
        };
        let correction = Command::CorrectDecree {
            decree,
            reason: "salah ketik".into(),
        };
        assert_eq!(b.refused(&ketua(), correction), expected, "{date}");
    }
    // The bounds themselves are dates a decree may have.
    for date in [day(2026, 11, 20), day(2027, 11, 26)] {
        let decree = Decree {
            number: "SK/099".into(),
            date,
        };
        b.ok(
            &ketua(),
            Command::CorrectDecree {
                decree: decree.clone(),
                reason: "salah ketik".into(),
            },
        );
        assert_eq!(b.state.decree, Some(decree));
    }
}

#[test]
fn a_meeting_more_than_a_year_ahead_is_refused() {
    let mut b = Batch::new(1);
    b.ok(&Actor::Operator, Command::Start);
    let mut meeting = b.meeting();
    meeting.starts_at = b.now + chrono::Duration::days(400);
    assert_eq!(
        b.refused(&administrasi(), Command::SetMeeting { meeting }),
        Refusal::MeetingTooFar {
            latest: NaiveDate::from_ymd_opt(2027, 11, 24).unwrap()
        }
    );
    let meeting = b.meeting();
    b.ok(&administrasi(), Command::SetMeeting { meeting });
}

#[test]
fn a_cancelled_batch_takes_nothing_more_and_staff_are_told() {
    let mut b = Batch::new(2);
    b.ok(&Actor::Operator, Command::Start);
    assert!(matches!(
        b.refused(&administrasi(), Command::CancelBatch { reason: "x".into() }),
        Refusal::RoleRequired { .. }
    ));
    let cancelled = b.ok(
        &ketua(),
        Command::CancelBatch {
            reason: "peserta dipindah ke batch lain".into(),
        },
    );
    assert_eq!(b.state.status, BatchStatus::Cancelled);
    assert!(cancelled.effects.contains(&Effect::BatchCancelled {
        reason: "peserta dipindah ke batch lain".into()
    }));
    assert_eq!(
        b.refused(&administrasi(), Command::Acknowledge { step: s(1) }),
        Refusal::BatchCancelled
    );
    assert_eq!(
        b.refused(&Actor::Operator, Command::Start),
        Refusal::BatchCancelled
    );
}

#[test]
fn a_branch_under_way_takes_the_corrected_participant_in_and_an_unneeded_one_stops() {
    let mut b = Batch::new(2);
    b.through_decree(&[BK, K]);
    assert_eq!(b.step_state(5), StepState::Active);
    assert_eq!(b.step_state(6), StepState::Active);
    let fixed = b.ok(&ketua(), correct(1, K, "salah input"));
    // The K branch had not finished a step: no new round, the blank number
    // step now waits for both K participants' numbers.
    assert!(
        !fixed
            .events
            .iter()
            .any(|e| matches!(e, Event::StepReopened { .. }))
    );
    assert_eq!(b.state.run(s(6)).round, 0);
    assert_eq!(
        b.refused(&sertifikasi(), Command::MarkDone { step: s(6) }),
        Refusal::BlankNumbersMissing {
            step: s(6),
            missing: 2
        }
    );
    // Nobody is BK any more: the letter step stops.
    assert_eq!(b.step_state(5), StepState::Skipped);
}
