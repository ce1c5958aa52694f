//! A participant's entries: result, blank number, handover and receipt.

use sqlx::SqliteConnection;

use crate::store::time::ms;
use crate::workflow::Event;

/// A participant's result or blank number.
pub(super) async fn verdict_event(
    conn: &mut SqliteConnection,
    b: i64,
    event: &Event,
) -> anyhow::Result<()> {
    match event {
        Event::ResultRecorded {
            participant,
            result,
            by,
            at,
        } => {
            sqlx::query(
                "UPDATE participants SET result = ?, result_by = ?, result_at = ?,
                     units_bk = CASE WHEN ? = 'K' THEN NULL ELSE units_bk END
                 WHERE id = ? AND batch_id = ?",
            )
            .bind(result.code())
            .bind(by.0)
            .bind(ms(*at))
            .bind(result.code())
            .bind(participant.0)
            .bind(b)
            .execute(&mut *conn)
            .await?;
        }
        Event::UnitsBkRecorded {
            participant, units, ..
        } => {
            let units = (!units.is_empty()).then(|| units.join(";"));
            sqlx::query("UPDATE participants SET units_bk = ? WHERE id = ? AND batch_id = ?")
                .bind(units)
                .bind(participant.0)
                .bind(b)
                .execute(&mut *conn)
                .await?;
        }
        Event::ResultCorrected {
            participant,
            to,
            by,
            at,
            ..
        } => {
            // A BK has no blank number; a document made for the earlier
            // verdict is not theirs to collect.
            sqlx::query(
                "UPDATE participants SET result = ?, result_by = ?, result_at = ?,
                     blank_number = CASE WHEN ? = 'BK' THEN NULL ELSE blank_number END,
                     units_bk = NULL,
                     handover_ready_at = NULL, handover_opened_at = NULL, handover_opened_by = NULL,
                     handover_due_at = NULL, handover_reminded_at = NULL
                 WHERE id = ? AND batch_id = ?",
            )
            .bind(to.code())
            .bind(by.0)
            .bind(ms(*at))
            .bind(to.code())
            .bind(participant.0)
            .bind(b)
            .execute(&mut *conn)
            .await?;
        }
        Event::BlankNumberRecorded {
            participant,
            number,
            ..
        } => {
            sqlx::query("UPDATE participants SET blank_number = ? WHERE id = ? AND batch_id = ?")
                .bind(number)
                .bind(participant.0)
                .bind(b)
                .execute(&mut *conn)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// A participant's document ready, its handover opened, their receipt.
pub(super) async fn handover_event(
    conn: &mut SqliteConnection,
    b: i64,
    event: &Event,
) -> anyhow::Result<()> {
    match event {
        Event::HandoverReady { participant, at } => {
            sqlx::query(
                "UPDATE participants SET handover_ready_at = ? WHERE id = ? AND batch_id = ?",
            )
            .bind(ms(*at))
            .bind(participant.0)
            .bind(b)
            .execute(&mut *conn)
            .await?;
        }
        Event::HandoverOpened {
            participant,
            by,
            at,
            due_at,
        } => {
            sqlx::query(
                "UPDATE participants SET handover_opened_at = ?, handover_opened_by = ?, handover_due_at = ?
                 WHERE id = ? AND batch_id = ?",
            )
            .bind(ms(*at))
            .bind(by.0)
            .bind(ms(*due_at))
            .bind(participant.0)
            .bind(b)
            .execute(&mut *conn)
            .await?;
        }
        Event::ReceiptRecorded {
            participant,
            via,
            by,
            at,
        } => {
            sqlx::query(
                "UPDATE participants SET received_at = ?, received_by = ?, receipt_via = ?, receipt_detail = ?
                 WHERE id = ? AND batch_id = ?",
            )
            .bind(ms(*at))
            .bind(by.0)
            .bind(via.as_str())
            .bind(via.detail())
            .bind(participant.0)
            .bind(b)
            .execute(&mut *conn)
            .await?;
        }
        _ => {}
    }
    Ok(())
}
