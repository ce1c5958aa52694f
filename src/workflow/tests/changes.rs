//! Clocks and changes after the fact: the handover's clock, due times on
//! the calendar, a meeting moved or cancelled, a paused clock, and `may`
//! answering before the command comes.

use super::*;

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
    b.meeting_held();
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
        from: b.now,
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

#[test]
fn a_handover_clock_runs_from_opening() {
    let mut b = Batch::new(1);
    b.through_decree(&[BK]);
    b.ok(&administrasi(), Command::MarkDone { step: s(5) });
    let open = b.ok(&sertifikasi(), Command::OpenHandover { participant: p(1) });
    assert!(open.effects.contains(&Effect::SetDeadline {
        step: s(11),
        participant: Some(p(1)),
        from: b.now,
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

#[test]
fn the_meetings_step_is_timed_from_the_meeting_and_moves_with_it() {
    let mut b = Batch::new(1);
    b.ok(&Actor::Operator, Command::Start);
    // Tuesday 09:01 WIB: the meeting is set for Thursday 09:00 WIB.
    let thursday = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    let meeting = Meeting {
        starts_at: thursday,
        place: "Ruang Rapat LSP".into(),
    };
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
    let opened = b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    assert_eq!(activated(&opened), vec![3]);
    let run = b.state.run(s(3)).clone();
    assert_eq!(
        run.started_at,
        Some(thursday),
        "the clock starts at the meeting"
    );
    assert_eq!(run.due_at, Some(thursday + Duration::hours(3)));
    assert!(opened.effects.contains(&Effect::SetDeadline {
        step: s(3),
        participant: None,
        from: thursday,
        due_at: thursday + Duration::hours(3)
    }));
    // Monday afternoon before the meeting it is not overdue.
    assert!(!run.is_overdue(thursday - Duration::hours(1)));

    // Moved to Friday 10:00 WIB: the clock moves with it and the card changes.
    let friday = Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap();
    let moved = b.ok(
        &administrasi(),
        Command::RescheduleMeeting {
            meeting: Meeting {
                starts_at: friday,
                place: "Ruang Rapat LSP".into(),
            },
        },
    );
    assert_eq!(b.state.run(s(3)).started_at, Some(friday));
    assert_eq!(b.state.run(s(3)).due_at, Some(friday + Duration::hours(3)));
    assert!(moved.effects.contains(&Effect::TaskChanged { step: s(3) }));

    // Cancelled: no clock until a new date; set again, it runs from there.
    let cancelled = b.ok(
        &administrasi(),
        Command::CancelMeeting {
            reason: "Ketua LSP dinas luar".into(),
        },
    );
    assert_eq!(b.state.run(s(3)).due_at, None);
    assert!(!b.state.run(s(3)).is_overdue(friday + Duration::days(7)));
    assert!(cancelled.effects.contains(&Effect::ClearDeadline {
        step: s(3),
        participant: None
    }));
}

#[test]
fn a_meeting_already_begun_times_the_step_from_when_it_opens() {
    let mut late = Batch::new(1);
    late.ok(&Actor::Operator, Command::Start);
    let meeting = late.meeting();
    late.ok(
        &administrasi(),
        Command::SetMeeting {
            meeting: meeting.clone(),
        },
    );
    late.ok(&administrasi(), Command::MarkDone { step: s(1) });
    late.now = meeting.starts_at + Duration::hours(1);
    late.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    assert_eq!(late.state.run(s(3)).started_at, Some(late.now));
}
