//! `/laporan [awal] [akhir]`: the performance report for Ketua LSP, as the
//! PDF and its chart in their private chat. Without dates: the last 30
//! days; with one month (`2026-11`): that month; with two dates: that
//! period.

use chrono::{Datelike, Days, NaiveDate};
use serde_json::json;

use super::*;

/// The period a `/laporan` argument names, ending `today` when it names none.
fn period(argument: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let words: Vec<&str> = argument.split_whitespace().collect();
    match words[..] {
        [] => Some((today.checked_sub_days(Days::new(29))?, today)),
        [month] => {
            let (year, month) = month.split_once(['-', '/'])?;
            let first = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)?;
            let next = first.checked_add_months(chrono::Months::new(1))?;
            Some((first, next.pred_opt()?))
        }
        [from, to] => {
            let from = crate::dates::read_date(from).ok()?;
            let to = crate::dates::read_date(to).ok()?;
            Some((from, to))
        }
        _ => None,
    }
}

pub(super) async fn send(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Result<(), AppError> {
    if !s.member.roles.contains(&Role::KetuaLsp) {
        return ctx
            .say_phrase(
                s.chat,
                Some(s.member),
                s.key("report"),
                "report_ketua_only",
                json!({}),
            )
            .await;
    }
    let today = ctx
        .app
        .now()
        .with_timezone(&ctx.app.config.calendar.tz)
        .date_naive();
    let not_a_period = || async {
        let context = json!({"text": crate::limits::clip(argument, 40), "year": today.year()});
        ctx.say_phrase(
            s.chat,
            Some(s.member),
            s.key("report"),
            "bad_report_period",
            context,
        )
        .await
    };
    let Some((from, to)) = period(argument, today) else {
        return not_a_period().await;
    };
    let report = match ctx.app.report(from, to).await {
        Ok(report) => report.shortened(),
        Err(AppError::Rejected(
            crate::app::Rejection::PeriodReversed { .. }
            | crate::app::Rejection::PeriodTooLong { .. },
        )) => return not_a_period().await,
        Err(e) => return Err(e),
    };
    let context = json!({"from": from.to_string(), "to": to.to_string()});
    ctx.say_phrase(
        s.chat,
        Some(s.member),
        s.key("report"),
        "sending_report",
        context,
    )
    .await?;
    for picture in [false, true] {
        let message = notify::Message::Report(views::ReportFile {
            report: report.clone(),
            picture,
            occasion: "asked".into(),
        });
        let key = s.key(if picture { "report:png" } else { "report:pdf" });
        ctx.say(s.chat, Some(s.member), key, message, None).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_the_last_30_days_a_month_or_two_dates() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let today = day(2026, 11, 28);
        assert_eq!(period("", today), Some((day(2026, 10, 30), today)));
        assert_eq!(
            period("2026-02", today),
            Some((day(2026, 2, 1), day(2026, 2, 28)))
        );
        assert_eq!(
            period("01-01-2026 2026-11-30", today),
            Some((day(2026, 1, 1), day(2026, 11, 30)))
        );
        assert_eq!(period("kemarin", today), None);
        assert_eq!(period("2026-13", today), None);
        assert_eq!(period("a b c", today), None);
    }
}
