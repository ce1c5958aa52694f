//! What the scheduler asks of the application: digest timers, due
//! timers (reminders, digests) and deadline alerts, each fired once.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::audience::Addressees;
use super::*;
use crate::notify::{self, Audience};
use crate::store::{AuditEntry, Store, Tx};
use crate::workflow;

impl App {
    /// The cron schedule behind a digest timer's kind.
    pub(super) fn schedule_of(&self, kind: &str) -> Option<String> {
        match kind {
            "digest_daily" => Some(self.config.digest_schedule.clone()),
            "digest_weekly" => Some(self.config.weekly_schedule.clone()),
            super::backups::BACKUP_TIMER => self
                .config
                .records
                .backup
                .as_ref()
                .map(|b| b.schedule.clone()),
            _ => None,
        }
    }

    /// Sets the digest timers if none waits (at start-up): the next moment of
    /// each schedule. A digest missed while the service was down fires once
    /// at the next start, because its timer is still waiting then.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn ensure_digest_timers(&self) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        for kind in [
            "digest_daily",
            "digest_weekly",
            super::backups::BACKUP_TIMER,
        ] {
            if crate::store::timers::waiting::<sqlx::Sqlite>(&mut tx, kind).await? {
                continue;
            }
            let Some(schedule) = self.schedule_of(kind) else {
                continue;
            };
            if let Some(next) = self.config.next_on_schedule(&schedule, now) {
                let key = format!("{kind}:{}", next.timestamp_millis());
                crate::store::timers::set::<sqlx::Sqlite>(&mut tx, &key, None, kind, next).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// What a digest shows: for the daily one, every running batch's open,
    /// overdue and paused steps and unanswered invitations; for the weekly
    /// one, the share of steps done within standard time, by step.
    pub(super) async fn digest(
        &self,
        tx: &mut Tx,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<notify::Message, AppError> {
        use notify::reports;
        if kind == "digest_weekly" {
            // The report's own computation of the same seven days as the
            // chart that follows, so the two agree.
            let report = self.week_report(tx, now).await?;
            let steps = report
                .by_step
                .iter()
                .map(|share| {
                    let no = crate::sop::StepNo(share.step.unwrap_or_default());
                    reports::weekly_step(share, self.procedure.step(no))
                })
                .collect();
            return Ok(notify::Message::DigestWeekly(notify::views::WeeklyDigest {
                steps,
            }));
        }
        let members = Store::members(tx).await?;
        let batches: Vec<_> = Store::running_batches(tx)
            .await?
            .iter()
            .map(|(info, state)| reports::digest_batch(info, state, &members, now))
            .collect();
        Ok(notify::Message::DigestDaily(reports::daily_digest(
            batches, now,
        )))
    }

    /// Fires every timer that is due: each in its own transaction, once.
    /// Returns how many fired.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn fire_due_timers(&self) -> Result<usize, AppError> {
        let now = self.now();
        let mut conn = self.conn().await?;
        let timers = crate::store::timers::due::<sqlx::Sqlite>(&mut conn, now).await?;
        drop(conn);
        let mut fired = 0;
        for timer in timers {
            // The copy is made outside the write transaction; only one
            // service fires timers, so it is made once.
            let backup = if timer.kind == super::backups::BACKUP_TIMER {
                self.nightly_backup(now).await
            } else {
                serde_json::Value::Null
            };
            let mut tx = self.store.begin().await?;
            if !crate::store::timers::fire::<sqlx::Sqlite>(&mut tx, timer.id, now).await? {
                continue; // another process fired it
            }
            let sent = self.timer_effects(&mut tx, &timer, now).await?;
            Store::audit(
                &mut tx,
                &[system_entry(
                    timer.batch,
                    format!("{}_fired", timer.kind),
                    if backup.is_null() {
                        json!({"messages": sent, "due_at": timer.due_at})
                    } else {
                        json!({"due_at": timer.due_at, "backup": backup})
                    },
                )],
                now,
            )
            .await?;
            tx.commit().await?;
            fired += 1;
        }
        if fired > 0 {
            self.changed();
        }
        Ok(fired)
    }

    /// Queues what a timer sends (a digest and the week's chart, RSVP
    /// reminders) and sets a scheduled timer's next occasion; how many
    /// messages were queued.
    async fn timer_effects(
        &self,
        tx: &mut Tx,
        timer: &crate::store::Timer,
        now: DateTime<Utc>,
    ) -> Result<u64, AppError> {
        let mut sent = 0;
        if let Some(schedule) = self.schedule_of(&timer.kind) {
            if timer.kind != super::backups::BACKUP_TIMER {
                let members = Store::members(&mut *tx).await?;
                let digest = self.digest(&mut *tx, &timer.kind, now).await?;
                let messages = notify::digest(&members, &timer.key, &digest);
                sent = Store::enqueue(&mut *tx, &messages, now).await?;
                if timer.kind == "digest_weekly" {
                    // The week's chart follows the summary, as a picture.
                    let chart = self.weekly_chart(&mut *tx, now).await?;
                    let key = format!("{}:chart", timer.key);
                    let charts = notify::digest(&members, &key, &chart);
                    sent += Store::enqueue(&mut *tx, &charts, now).await?;
                }
            }
            // The next one: the schedule's first moment after this one (or now).
            if let Some(next) = self
                .config
                .next_on_schedule(&schedule, timer.due_at.max(now))
            {
                let key = format!("{}:{}", timer.kind, next.timestamp_millis());
                crate::store::timers::set::<sqlx::Sqlite>(&mut *tx, &key, None, &timer.kind, next)
                    .await?;
            }
        }
        if timer.kind == "rsvp_reminder"
            && let Some(batch) = timer.batch
            && let Some(state) = Store::load_state(&mut *tx, batch).await?
            && let Some(to) = Addressees::load(&mut *tx, batch).await?
        {
            let messages = notify::rsvp_reminders(&state, &to.private(&self.config.calendar));
            sent = Store::enqueue(&mut *tx, &messages, now).await?;
        }
        Ok(sent)
    }

    /// Sends every clock alert that is due (heads-ups, overdue alerts,
    /// reminders), each once, and moves each clock to its next occasion.
    /// Returns how many alerts went out.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn fire_due_alerts(&self) -> Result<usize, AppError> {
        use crate::workflow::alerts::{ClockFace, after, due_occasion, next_alert_at};
        let now = self.now();
        let settings = self.config.alerts;
        let calendar = &self.config.calendar;
        let mut conn = self.conn().await?;
        let clocks = Store::due_alerts(&mut conn, now).await?;
        drop(conn);
        let mut sent = 0;
        for clock in clocks {
            let face = ClockFace {
                started_at: clock.started_at,
                due_at: clock.due_at,
                heads_up_sent: clock.heads_up_sent,
                overdue_sent: clock.overdue_sent,
            };
            let occasion = due_occasion(&face, now, calendar, &settings);
            let face = occasion.map_or(face, |o| after(&face, o));
            let next = next_alert_at(&face, calendar, &settings).max(now);
            let mut tx = self.store.begin().await?;
            if !Store::advance_clock(&mut tx, &clock, face.heads_up_sent, face.overdue_sent, next)
                .await?
            {
                continue; // another process handled it
            }
            if let Some(occasion) = occasion
                && let Some(state) = Store::load_state(&mut tx, clock.batch).await?
                && let Some(to) = Addressees::load(&mut tx, clock.batch).await?
            {
                let late = calendar.minutes_between(clock.due_at, now).max(0);
                let audience = to.private(&self.config.calendar);
                let messages = notify::clock_alert(&state, &clock, occasion, late, &audience);
                sent += Store::enqueue(&mut tx, &messages, now).await? as usize;
                Store::audit(
                    &mut tx,
                    &[system_entry(
                        Some(clock.batch),
                        match occasion {
                            workflow::alerts::Occasion::HeadsUp => "heads_up_sent".into(),
                            workflow::alerts::Occasion::Overdue { n: 0 } => "overdue_alert_sent".into(),
                            workflow::alerts::Occasion::Overdue { .. } => "overdue_reminder_sent".into(),
                        },
                        json!({"step": clock.step.0, "participant": clock.participant.map(|p| p.0), "late_minutes": late}),
                    )],
                    now,
                )
                .await?;
            }
            tx.commit().await?;
        }
        if sent > 0 {
            self.changed();
        }
        Ok(sent)
    }

    /// Sends the one reminder email to each participant whose document has
    /// waited `collect_reminder_after` working days since it was ready.
    /// Returns how many went out.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn fire_collect_reminders(&self) -> Result<usize, AppError> {
        let Some(days) = self.config.collect_reminder_after else {
            return Ok(0);
        };
        let now = self.now();
        let calendar = &self.config.calendar;
        let wait = crate::sop::StandardTime {
            amount: days,
            unit: crate::sop::TimeUnit::Day,
        };
        let mut conn = self.conn().await?;
        // N working days are at least N calendar days: a first cut in SQL.
        let ready_before = now - chrono::Duration::days(i64::from(days));
        let waiting = Store::uncollected(&mut conn, ready_before).await?;
        drop(conn);
        let mut sent = 0;
        for one in waiting {
            if calendar.due(one.ready_at, wait) > now {
                continue;
            }
            let mut tx = self.store.begin().await?;
            if !Store::mark_reminded(&mut tx, one.participant, now).await? {
                continue;
            }
            if let Some(state) = Store::load_state(&mut tx, one.batch).await?
                && let Some(info) = Store::batch_info(&mut tx, one.batch).await?
            {
                let participants = Store::participants(&mut tx, one.batch).await?;
                let audience = Audience {
                    batch: &info,
                    members: &[],
                    participants: &participants,
                    groups: &[],
                    calendar,
                    letters: &crate::documents::Numbers::new(),
                };
                if let Some(reminder) = notify::collect_reminder(&state, &audience, one.participant)
                {
                    sent += Store::enqueue(&mut tx, &[reminder], now).await? as usize;
                    Store::audit(
                        &mut tx,
                        &[system_entry(
                            Some(one.batch),
                            "collect_reminder_sent".into(),
                            json!({"participant": one.participant.0, "working_days": days}),
                        )],
                        now,
                    )
                    .await?;
                }
            }
            tx.commit().await?;
        }
        if sent > 0 {
            self.changed();
        }
        Ok(sent)
    }
}

/// An audit line for what the scheduler did by itself.
fn system_entry(batch: Option<BatchId>, action: String, detail: serde_json::Value) -> AuditEntry {
    AuditEntry {
        channel: Via::Scheduler.as_str(),
        actor: "system",
        member: None,
        telegram_user: None,
        batch,
        action,
        detail,
    }
}
