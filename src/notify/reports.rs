//! The read views: where a batch stands, the batch list, a member's open
//! tasks, the daily and weekly digests. Each is computed here once, from
//! the batch's state, and shown by the bot, the command line and the
//! digest alike. Pure: the caller reads the state and the register.

use chrono::{DateTime, Utc};

use super::views::*;
use crate::domain::{BatchInfo, Lang, Member, MemberId};
use crate::sop::{RecordKind, Step};
use crate::store::BatchSummary;
use crate::workflow::{BatchState, HandoverStage, StepState};

/// A member's name, or `#id` for one no longer in the register.
pub fn member_name(members: &[Member], id: MemberId) -> String {
    members
        .iter()
        .find(|m| m.id == id)
        .map_or_else(|| format!("#{id}"), |m| m.name.clone())
}

/// Where a batch stands: every step's state, time and marks (`/status`).
pub fn status(
    info: &BatchInfo,
    state: &BatchState,
    members: &[Member],
    now: DateTime<Utc>,
    lang: Lang,
) -> Status {
    let steps = state
        .procedure
        .steps
        .iter()
        .map(|step| {
            let run = state.run(step.no);
            // A clock that starts later (at the meeting) has no elapsed
            // time yet: never a negative one.
            let upcoming = run
                .started_at
                .filter(|s| *s > now && run.finished_at.is_none());
            let elapsed = run
                .started_at
                .filter(|_| upcoming.is_none())
                .map(|s| (run.finished_at.unwrap_or(now) - s).num_minutes().max(0));
            StatusStep {
                no: step.no.0,
                activity: step.activity.clone(),
                state: run.state.as_str().to_string(),
                standard_time: step.standard_time.describe(lang),
                elapsed_minutes: elapsed,
                clock_starts_at: upcoming.map(|s| s.to_rfc3339()),
                due_at: run.due_at.map(|d| d.to_rfc3339()),
                overdue: run.is_overdue(now),
                paused: run.pause.as_ref().map(|p| p.reason.clone()),
                acks: run.acks.keys().map(|m| member_name(members, *m)).collect(),
            }
        })
        .collect();
    let received = state.handovers_at(HandoverStage::Received);
    Status {
        batch: StatusBatch {
            id: info.id.0,
            scheme: info.scheme.clone(),
            assessed_on: info.assessed_on.to_string(),
        },
        state: state.status.as_str().to_string(),
        participants: state.participants.len(),
        received,
        steps,
    }
}

/// One batch of the batch list.
pub fn batch_line(summary: &BatchSummary) -> BatchLine {
    BatchLine {
        id: summary.info.id.0,
        scheme: summary.info.scheme.clone(),
        assessed_on: summary.info.assessed_on.to_string(),
        participants: usize::try_from(summary.participants).unwrap_or(0),
        status: summary.status.as_str().to_string(),
        active_steps: summary.active_steps.iter().map(|s| s.0).collect(),
    }
}

/// The steps of a running batch that wait on `member`: active, one of
/// their roles, and not yet marked done by them.
pub fn open_tasks(
    info: &BatchInfo,
    state: &BatchState,
    member: &Member,
    now: DateTime<Utc>,
) -> Vec<OpenTask> {
    state
        .procedure
        .steps
        .iter()
        .filter(|step| {
            let run = state.run(step.no);
            run.state == StepState::Active
                && !member.roles.is_disjoint(&step.roles)
                && !run.dones.contains_key(&member.id)
        })
        .map(|step| {
            let run = state.run(step.no);
            OpenTask {
                batch: TaskBatch {
                    id: info.id.0,
                    scheme: info.scheme.clone(),
                },
                step: TaskStep {
                    no: step.no.0,
                    activity: step.activity.clone(),
                },
                due_at: run.due_at.map(|d| d.to_rfc3339()),
                overdue: run.is_overdue(now),
            }
        })
        .collect()
}

/// A running batch in the daily digest: its open steps and who has not
/// answered the meeting's invitation.
pub fn digest_batch(
    info: &BatchInfo,
    state: &BatchState,
    members: &[Member],
    now: DateTime<Utc>,
) -> DigestBatch {
    let steps = state
        .procedure
        .steps
        .iter()
        .filter(|s| state.run(s.no).state == StepState::Active)
        .map(|s| {
            let run = state.run(s.no);
            DigestStep {
                no: s.no.0,
                activity: s.activity.clone(),
                due_at: run.due_at.map(|d| d.to_rfc3339()),
                overdue: run.is_overdue(now),
                paused: run.pause.as_ref().map(|p| p.reason.clone()),
                acknowledged: run.acks.keys().map(|m| member_name(members, *m)).collect(),
            }
        })
        .collect();
    DigestBatch {
        id: info.id.0,
        scheme: info.scheme.clone(),
        steps,
        unanswered: unanswered(state, members),
    }
}

/// The invitees who have not answered, once the invitation went out and
/// until the meeting's step is finished.
fn unanswered(state: &BatchState, members: &[Member]) -> Vec<String> {
    let invited = state
        .procedure
        .step_recording(RecordKind::Meeting)
        .is_some_and(|s| state.run(s.no).state == StepState::Done);
    match state.procedure.step_recording(RecordKind::Results) {
        Some(p) if invited && !state.run(p.no).state.is_finished() => members
            .iter()
            .filter(|m| !m.roles.is_disjoint(&p.roles) && !state.rsvps.contains_key(&m.id))
            .map(|m| m.name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The daily digest: every running batch's open steps, as of `now`.
pub fn daily_digest(batches: Vec<DigestBatch>, now: DateTime<Utc>) -> DailyDigest {
    DailyDigest {
        batches,
        date: now.to_rfc3339(),
    }
}

/// One step's line of the weekly summary, from the report's row for it.
pub fn weekly_step(share: &crate::report::Share, step: Option<&Step>) -> WeeklyStep {
    WeeklyStep {
        no: i64::from(share.step.unwrap_or_default()),
        activity: step.map(|s| s.activity.clone()).unwrap_or_default(),
        done: share.done as i64,
        within: share.within as i64,
        percent: i64::from(share.percent),
    }
}

/// How many participants one page of the K/BK keyboard holds (two buttons
/// each, within Telegram's 100 buttons a message).
pub const RESULTS_PAGE: usize = 40;

/// One page (from 1, clamped) of the K/BK keyboard as recorded now, with
/// the page shown and how many there are.
pub fn results_page(state: &BatchState, page: u32) -> (ResultsPage, usize, usize) {
    let pages = state.participants.len().div_ceil(RESULTS_PAGE).max(1);
    let page = (page as usize).clamp(1, pages);
    let offset = (page - 1) * RESULTS_PAGE;
    let participants = state
        .participants
        .values()
        .skip(offset)
        .take(RESULTS_PAGE)
        .map(|p| VerdictLine {
            id: p.id.0,
            name: p.name.clone(),
            result: p.result.map(|r| r.code().to_string()),
        })
        .collect();
    let view = ResultsPage {
        batch: BatchRef { id: state.id.0 },
        participants,
        offset,
        page: u32::try_from(page).unwrap_or(u32::MAX),
        pages: u32::try_from(pages).unwrap_or(u32::MAX),
    };
    (view, page, pages)
}

/// The handover list: each participant whose document is ready (or whose
/// handover is open), and how many receipts are in.
pub fn handover_list(state: &BatchState) -> HandoverList {
    let ready = state
        .participants
        .values()
        .filter_map(|p| {
            let open = match p.handover.stage() {
                HandoverStage::Ready => false,
                HandoverStage::Open => true,
                _ => return None,
            };
            Some(HandoverLine {
                id: p.id.0,
                name: p.name.clone(),
                open,
            })
        })
        .collect();
    HandoverList {
        batch: BatchRef { id: state.id.0 },
        ready,
        received: state.handovers_at(HandoverStage::Received),
        total: state.participants.len(),
    }
}
