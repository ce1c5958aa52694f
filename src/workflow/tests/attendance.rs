//! The plenary's attendance: who keeps it, when, and what a mark overrides.

use super::*;

/// Attendance is kept at the meeting by Ketua LSP or Kabag Sertifikasi: not
/// before it begins, not by a committee member, not once it is over; an
/// invitee not marked is present as expected (the chair, and those who
/// said yes), a mark overrides the answer, and a moved meeting starts
/// afresh.
#[test]
fn attendance_is_marked_at_the_meeting_by_its_keepers() {
    let mut b = Batch::new(2);
    b.ok(&Actor::Operator, Command::Start);
    let meeting = b.meeting();
    let starts_at = meeting.starts_at;
    b.ok(&administrasi(), Command::SetMeeting { meeting });
    b.ok(&administrasi(), Command::MarkDone { step: s(1) });
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
            reason: Some("Dinas luar".into()),
        },
    );
    let mark = |member: i64, present: bool| Command::MarkAttendance {
        member: MemberId(member),
        present,
    };
    // Before the plenary opens, and before the meeting begins.
    let not_open = Refusal::AttendanceNotOpen {
        step: s(3),
        starts_at: Some(starts_at),
    };
    assert_eq!(b.refused(&ketua(), mark(5, true)), not_open);
    b.ok(&sertifikasi(), Command::MarkDone { step: s(2) });
    assert_eq!(b.refused(&ketua(), mark(5, true)), not_open);
    b.meeting_held();
    assert!(matches!(
        b.refused(&komite(), mark(5, true)),
        Refusal::RoleRequired { .. }
    ));
    // As expected: the chair and the member who said yes.
    assert!(b.state.attended(MemberId(1), true));
    assert!(b.state.attended(MemberId(4), false));
    assert!(!b.state.attended(MemberId(5), false));
    // She declined but came; he said yes and stayed away.
    let came = b.ok(&ketua(), mark(5, true));
    assert_eq!(came.events.len(), 1);
    assert_eq!(came.events[0].name(), "attendance_marked");
    b.ok(&sertifikasi(), mark(4, false));
    assert!(b.state.attended(MemberId(5), false));
    assert!(!b.state.attended(MemberId(4), false));
    // Marking again what is marked records nothing.
    assert!(b.ok(&ketua(), mark(5, true)).events.is_empty());
    // Moved: everyone answers again and attendance starts afresh.
    let moved = Meeting {
        starts_at: b.now + Duration::days(1),
        place: "Ruang 2".into(),
    };
    b.ok(
        &administrasi(),
        Command::RescheduleMeeting { meeting: moved },
    );
    assert!(b.state.attendance.is_empty());
    b.meeting_held();
    b.ok(&ketua(), mark(5, true));
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
    assert_eq!(b.refused(&ketua(), mark(4, true)), Refusal::MeetingOver);
    assert!(b.state.attended(MemberId(5), false));
}
