//! Taking updates from the inbox with several instances (webhook mode
//! behind a load balancer: any instance may have stored any update). An
//! instance takes the oldest waiting update of a chat none of whose earlier
//! updates still waits, locking it (`FOR UPDATE SKIP LOCKED`: an update in
//! another instance's hands is passed over, not waited for); it handles it
//! and marks it handled ([`crate::store::inbox::handled`]) in the same
//! transaction. So each update is handled once, and one chat's updates in
//! the order Telegram sent them, whichever instance took each.

use sqlx::{PgConnection, Row};

/// The next update this transaction may handle: (update id, JSON), or
/// none while every waiting update is in other hands or waits behind an
/// earlier one of its chat. The row stays locked until the transaction
/// ends.
///
/// # Errors
/// When PostgreSQL refuses.
pub async fn take(conn: &mut PgConnection) -> anyhow::Result<Option<(i64, String)>> {
    let row = sqlx::query(
        "SELECT update_id, body FROM inbox AS waiting
          WHERE NOT EXISTS (SELECT 1 FROM inbox AS earlier
                             WHERE earlier.chat_id = waiting.chat_id
                               AND earlier.update_id < waiting.update_id)
          ORDER BY update_id
          LIMIT 1
          FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => Some((row.try_get("update_id")?, row.try_get("body")?)),
        None => None,
    })
}
