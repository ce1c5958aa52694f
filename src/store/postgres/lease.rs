//! The polling lease on PostgreSQL: Telegram lets one caller at a time ask
//! for a bot's updates, so of several instances in polling mode one
//! fetches, holding the lease, and renews it well within its term (a
//! third of it); the others try now and then. When the fetcher dies its
//! lease runs out and the next instance to try takes it over, within one
//! term. Each takeover counts a generation up: a fetcher that stalled past
//! its term learns at its next renewal that it lost the lease, and stops
//! fetching before it could hand updates over twice.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use crate::store::time::ms;

/// How long a lease lasts unless renewed: another instance takes over
/// within this long of the fetcher's death.
pub const TERM: Duration = Duration::seconds(15);

/// The lease as held: by whom and in which generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub generation: i64,
}

/// Takes the lease for `instance`, or renews it if `instance` holds it:
/// granted when nobody holds it, when its holder is `instance`, or when
/// its term ran out. `None` while another instance holds it.
///
/// # Errors
/// When PostgreSQL refuses.
pub async fn acquire(
    conn: &mut PgConnection,
    instance: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Held>> {
    let held: Option<i64> = sqlx::query_scalar(
        "INSERT INTO polling_lease (id, holder, until, taken_at, generation)
         VALUES (1, $1, $2, $3, 1)
         ON CONFLICT (id) DO UPDATE SET
             holder = excluded.holder,
             until = excluded.until,
             taken_at = CASE WHEN polling_lease.holder = excluded.holder
                             THEN polling_lease.taken_at ELSE excluded.taken_at END,
             generation = CASE WHEN polling_lease.holder = excluded.holder
                               THEN polling_lease.generation ELSE polling_lease.generation + 1 END
         WHERE polling_lease.holder = excluded.holder OR polling_lease.until < $3
         RETURNING generation",
    )
    .bind(instance)
    .bind(ms(now + TERM))
    .bind(ms(now))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(held.map(|generation| Held { generation }))
}

/// Renews a lease held in `held`'s generation; `false` when its term ran
/// out before the renewal (another instance may have taken it over): the
/// caller stops fetching, and may [`acquire`] it again like any other.
///
/// # Errors
/// When PostgreSQL refuses.
pub async fn renew(
    conn: &mut PgConnection,
    instance: &str,
    held: Held,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let renewed = sqlx::query(
        "UPDATE polling_lease SET until = $1
          WHERE id = 1 AND holder = $2 AND generation = $3 AND until >= $4
         RETURNING id",
    )
    .bind(ms(now + TERM))
    .bind(instance)
    .bind(held.generation)
    .bind(ms(now))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(renewed.is_some())
}

/// Gives the lease up at a clean stop, so another instance need not wait
/// for its term to run out.
///
/// # Errors
/// When PostgreSQL refuses.
pub async fn release(
    conn: &mut PgConnection,
    instance: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE polling_lease SET until = $1 WHERE id = 1 AND holder = $2")
        .bind(ms(now) - 1)
        .bind(instance)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
