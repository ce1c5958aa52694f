//! The workbook's rows, one function per sheet: what the batch's records
//! say, as text (times in WIB, members by name).

use sqlx::SqliteConnection;

use super::Records;
use super::workbook::wib;
use crate::documents::facts::BatchFacts;
use crate::domain::{BatchId, MemberId};
use crate::store::chain::Link;
use crate::store::{Store, from_ms};
use crate::workflow::{Calendar, StepState};

type Rows = Vec<Vec<String>>;

/// A member's name, or their number when unknown.
fn member(facts: &BatchFacts, id: Option<i64>) -> String {
    id.map(|m| {
        facts
            .members
            .iter()
            .find(|x| x.id == MemberId(m))
            .map_or_else(|| format!("anggota #{m}"), |x| x.name.clone())
    })
    .unwrap_or_default()
}

/// Every sheet's rows.
///
/// # Errors
/// When the database cannot be read.
pub(super) async fn records(
    conn: &mut SqliteConnection,
    facts: &BatchFacts,
    calendar: &Calendar,
) -> anyhow::Result<Records> {
    let batch = facts.info.id;
    let (steps, acknowledgements) = steps(facts, calendar);
    let audit_rows = Store::audit_links_of(&mut *conn, batch).await?;
    Ok(Records {
        participants: participants(conn, facts).await?,
        steps,
        acknowledgements,
        rsvps: rsvps(facts),
        problems: problems(conn, facts).await?,
        pauses: pauses(&audit_rows),
        messages: messages(conn, facts, batch).await?,
        audit: audit(facts, &audit_rows),
    })
}

/// Peserta: each participant with their particulars, result and receipt.
async fn participants(conn: &mut SqliteConnection, facts: &BatchFacts) -> anyhow::Result<Rows> {
    let emails = Store::participants(&mut *conn, facts.info.id).await?;
    Ok(facts
        .state
        .participants
        .values()
        .enumerate()
        .map(|(i, p)| {
            let person = facts.people.get(&p.id);
            let details = person.map(|x| x.details.clone()).unwrap_or_default();
            vec![
                (i + 1).to_string(),
                p.id.0.to_string(),
                p.name.clone(),
                emails
                    .get(&p.id)
                    .map(|e| e.email.as_str().to_string())
                    .unwrap_or_default(),
                person
                    .and_then(|x| x.registration_no.clone())
                    .unwrap_or_default(),
                details.nik.unwrap_or_default(),
                details.birth_place.unwrap_or_default(),
                details
                    .birth_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                details.phone.unwrap_or_default(),
                p.result.map(|r| r.code().to_string()).unwrap_or_default(),
                p.blank_number.clone().unwrap_or_default(),
                wib(p.handover.ready_at),
                wib(p.handover.received_at),
                p.handover
                    .via
                    .as_ref()
                    .map(|v| crate::words::receipt_way(v.as_str()).to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect())
}

/// Langkah (each step with its clock, lateness and who finished it) and
/// Konfirmasi (each acknowledgement).
fn steps(facts: &BatchFacts, calendar: &Calendar) -> (Rows, Rows) {
    let state = &facts.state;
    let mut steps = Vec::new();
    let mut acknowledgements = Vec::new();
    for (no, run) in &state.steps {
        let step = state.procedure.step(*no);
        let late = match (run.due_at, run.finished_at, run.state) {
            (Some(due), Some(done), StepState::Done) if done > due => {
                calendar.minutes_between(due, done).max(0).to_string()
            }
            (Some(_), Some(_), StepState::Done) => "0".into(),
            _ => String::new(),
        };
        let by: Vec<String> = run.dones.keys().map(|m| member(facts, Some(m.0))).collect();
        steps.push(vec![
            no.0.to_string(),
            step.map(|s| s.activity.clone()).unwrap_or_default(),
            step.map(|s| s.standard_time.to_string())
                .unwrap_or_default(),
            crate::words::step_state(run.state.as_str()).into(),
            wib(run.started_at),
            wib(run.due_at),
            wib(run.finished_at),
            late,
            by.join(", "),
        ]);
        for (m, at) in &run.acks {
            acknowledgements.push(vec![
                no.0.to_string(),
                member(facts, Some(m.0)),
                wib(Some(*at)),
            ]);
        }
    }
    (steps, acknowledgements)
}

/// RSVP: each invitee's answer.
fn rsvps(facts: &BatchFacts) -> Rows {
    facts
        .state
        .rsvps
        .iter()
        .map(|(m, r)| {
            vec![
                member(facts, Some(m.0)),
                if r.attend { "hadir" } else { "tidak hadir" }.into(),
                r.reason.clone().unwrap_or_default(),
                wib(Some(r.at)),
            ]
        })
        .collect()
}

/// Masalah: each problem reported.
async fn problems(conn: &mut SqliteConnection, facts: &BatchFacts) -> anyhow::Result<Rows> {
    Ok(Store::problems_of(conn, facts.info.id)
        .await?
        .into_iter()
        .map(|p| {
            vec![
                p.step.to_string(),
                member(facts, p.member),
                p.text,
                wib(Some(p.at)),
            ]
        })
        .collect())
}

/// Jeda: each pause, from the audit's pause and resume lines.
fn pauses(audit_rows: &[Link]) -> Rows {
    let mut pauses: Rows = Vec::new();
    for l in audit_rows {
        let detail: serde_json::Value = serde_json::from_str(&l.detail).unwrap_or_default();
        let step = detail["step"].as_u64().unwrap_or_default().to_string();
        if l.action == "step_paused" {
            let reason = detail["reason"].as_str().unwrap_or_default().to_string();
            pauses.push(vec![step, wib(Some(from_ms(l.at))), reason, String::new()]);
        } else if l.action == "step_resumed"
            && let Some(open) = pauses
                .iter_mut()
                .rev()
                .find(|p| p[0] == step && p[3].is_empty())
        {
            open[3] = wib(Some(from_ms(l.at)));
        }
    }
    pauses
}

/// Audit: the batch's audit rows, each with its seal.
fn audit(facts: &BatchFacts, audit_rows: &[Link]) -> Rows {
    audit_rows
        .iter()
        .map(|l| {
            vec![
                l.id.to_string(),
                wib(Some(from_ms(l.at))),
                l.channel.clone(),
                l.actor.clone(),
                member(facts, l.member_id),
                l.action.clone(),
                crate::words::action(&l.action).to_string(),
                crate::words::detail(&l.detail, chrono_tz::Asia::Jakarta),
                l.detail.clone(),
                l.hash.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// Every message queued for the batch: to whom, what, and how it went.
async fn messages(
    conn: &mut SqliteConnection,
    facts: &BatchFacts,
    batch: BatchId,
) -> anyhow::Result<Vec<Vec<String>>> {
    Ok(Store::messages_of(conn, batch)
        .await?
        .into_iter()
        .map(|m| {
            let to = if let Some(p) = m.participant {
                let name = facts
                    .state
                    .participants
                    .get(&crate::domain::ParticipantId(p))
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                format!("peserta #{p} {name}")
            } else if let Some(id) = m.member {
                member(facts, Some(id))
            } else if let Some(chat) = m.chat {
                format!("grup {chat}")
            } else {
                String::new()
            };
            vec![
                m.key,
                m.channel,
                to.trim().to_string(),
                format!("{} ({})", crate::words::message(&m.template), m.template),
                crate::words::delivery(&m.status).to_string(),
                m.attempts.to_string(),
                wib(Some(m.created_at)),
                wib(m.sent_at),
                m.last_error.unwrap_or_default(),
            ]
        })
        .collect())
}
