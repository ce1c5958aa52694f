//! SQLite through sqlx: queries and transactions that return domain types.
//! The store never sends anything; it writes what is to be sent into the
//! outbox, in the same transaction as the change that caused it.
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction, so a transaction
//! that reads before it writes takes the write lock up front and never fails
//! halfway with "database is locked". Writers of this process queue for one
//! writing connection (a fair, async queue) rather than for SQLite's lock,
//! whose busy handler polls with sleeps of up to 100 ms and, under
//! contention, lets writes wait far longer than they take; the busy timeout
//! still lets another process (the command line) take its turn. Units of
//! work that wait for the connection together are committed together
//! ([`writer`]: each in its own savepoint, one `COMMIT` for the group).

mod audit;
pub mod backup;
mod batches;
#[cfg(test)]
mod boundary;
pub mod chain;
mod clocks;
mod copy;
mod corrections;
mod delivery;
mod dialect;
mod documents;
mod evidence;
pub mod inbox;
mod lock;
mod members;
mod outbox;
pub mod people;
mod period;
pub mod postgres;
mod record;
pub mod schema;
mod state;
mod telegram;
#[cfg(test)]
mod test_support;
mod time;
pub mod timers;
pub mod unit;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use audit::{AuditEntry, AuditRow, link_of};
pub use batches::{BatchSummary, NewParticipant};
pub use clocks::{RunningClock, Uncollected};
pub use copy::{Copied, CopyError, Target};
pub use delivery::{Claim, Fenced};
pub use documents::ToNumber;
pub use evidence::{MessageRecord, Particulars, ProblemReported};
pub use lock::{LockError, ServiceLock, lock_path};
pub use members::{MemberDetail, Redemption, TokenRecord};
pub use outbox::{OutboxRow, OutboxStatus};
pub use period::{AckGiven, BatchCompleted, StepDone};
pub use time::{from_ms, ms};
pub use timers::Timer;
pub use unit::{Read, Tx, UpdateUnit, Write};
pub use writer::Writer;

/// The database: connections to one SQLite file, several for reading and
/// one for writing.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    writer: Writer,
    /// This process's name as a sender of outbox rows (random per open).
    instance: std::sync::Arc<str>,
    /// This database's random key, made once (identifiers in emails).
    installation: std::sync::Arc<str>,
    /// The database file, and its identity (device, inode) when opened.
    file: std::sync::Arc<(std::path::PathBuf, Option<(u64, u64)>)>,
}

/// A file's device and inode, which change when it is deleted and made anew.
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|_| (0, 0))
    }
}

/// The migration that made the audit log a hash chain.
const CHAINED: i64 = 17;

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Opens (creating if missing) the database at `path` and applies every
    /// migration not yet applied.
    ///
    /// # Errors
    /// When the file cannot be opened or created, or a migration fails.
    pub async fn open(path: &Path) -> anyhow::Result<Store> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            anyhow::bail!("the folder {} does not exist", parent.display());
        }
        // SQLite gives its write-ahead log and shared-memory files the
        // database file's mode: a private database keeps them private.
        if !path.exists() {
            crate::files::private_file_options()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| format!("cannot create the database {}", path.display()))?;
        }
        if let Err(e) = crate::files::restrict(path, false) {
            tracing::warn!(database = %path.display(), error = %e, "cannot make the database private to its owner");
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // No checkpoint inside a commit: it would copy the log into the
            // database and sync it while the writer waits. The running
            // service checkpoints in the background ([`Store::checkpoint`]);
            // a short-lived process's last connection checkpoints on closing.
            .pragma("wal_autocheckpoint", "0")
            // What is deleted or overwritten is zeroed in the file, so an
            // erased participant's data does not linger in free space.
            .pragma("secure_delete", "on")
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        let chained_before;
        // Nothing runs on a file holding objects sertibot does not make:
        // a planted trigger would fire at the first write. What is
        // missing (a protection trigger dropped) is reported by `check`
        // and `audit verify`, not a reason to stop the SOP.
        {
            let mut conn = pool.acquire().await?;
            let found = schema::differences(&mut conn).await?;
            chained_before = schema::newest_applied(&mut conn).await? >= Some(CHAINED);
            if let Some(foreign) = found.iter().find(|f| f.adds()) {
                anyhow::bail!(
                    "the database {} is not sertibot's own: {foreign}; the service does not use it (restore a backup, or remove what was added)",
                    path.display()
                );
            }
        }
        schema::MIGRATOR.run(&pool).await.with_context(|| {
            format!(
                "cannot update the database {} to this version",
                path.display()
            )
        })?;
        let writer = Writer::new(
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open the database {}", path.display()))?,
        );
        let instance = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
        let installation: String = sqlx::query_scalar("SELECT key FROM installation WHERE id = 1")
            .fetch_one(&pool)
            .await
            .with_context(|| format!("cannot read the database {}", path.display()))?;
        let store = Store {
            pool,
            writer,
            instance: instance.into(),
            installation: installation.into(),
            file: std::sync::Arc::new((path.to_path_buf(), identity(path))),
        };
        // Only rows of a log that became a chain in this very opening are
        // sealed: rows named by a `audit_chain_legacy` planted later are
        // left for `audit verify` to report, never laundered.
        if !chained_before {
            store
                .seal_legacy_audit()
                .await
                .with_context(|| format!("cannot seal the audit log of {}", path.display()))?;
        }
        Ok(store)
    }

    /// Starts a unit of work on the writing connection: its own savepoint
    /// in a `BEGIN IMMEDIATE` transaction shared with the units that wait
    /// beside it, committed for all of them at once (see [`Writer`]).
    /// Inside the handling of a Telegram update it is a step of the
    /// update's one transaction instead ([`unit`]).
    ///
    /// # Errors
    /// When no connection can be had or the lock is not granted within the busy timeout.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        Tx::begin(&self.writer).await
    }

    /// A connection to read through: the pool's, or inside an update that
    /// has written, the update's own transaction ([`unit`]).
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn read(&self) -> anyhow::Result<Read> {
        Read::on(self).await
    }

    /// Whether the database file at its path is still the one opened: not
    /// deleted, not replaced by another. A service whose file is gone
    /// would write to a file nobody can see again.
    pub fn still_on_disk(&self) -> bool {
        let (path, opened) = &*self.file;
        opened.is_some() && identity(path) == *opened
    }

    /// This process's name as a sender, for claiming outbox rows.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// This database's random key, made when it was created: emails'
    /// Message-IDs and calendar UIDs include it, unique per installation.
    pub fn installation(&self) -> &str {
        &self.installation
    }

    /// The pool, for reads outside a transaction.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The writing connection, for single writes outside a unit of work
    /// (marking an outbox row sent), each committing on its own; the open
    /// group is committed first. Inside the handling of a Telegram update
    /// the writes are part of the update's transaction ([`unit`]). Never
    /// ask for it while holding a unit: there is one connection.
    ///
    /// # Errors
    /// When the connection cannot be had.
    pub async fn write(&self) -> anyhow::Result<Write> {
        Write::on(&self.writer).await
    }

    /// Runs SQLite's own consistency check; `Ok` holds its findings ("ok" when sound).
    ///
    /// # Errors
    /// When the check cannot run.
    pub async fn integrity_check(&self) -> anyhow::Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(r,)| r).collect())
    }

    /// Copies what the write-ahead log holds into the database file, as far
    /// as readers allow, without holding up writers (a passive checkpoint).
    /// Returns how many of the log's pages are still to be copied (0 when
    /// the database file is up to date). Cheap when there is nothing to do.
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn checkpoint(&self) -> anyhow::Result<i64> {
        let (_busy, logged, copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&self.pool)
                .await?;
        Ok((logged - copied).max(0))
    }

    /// Rewrites the database file without free pages and empties the
    /// write-ahead log (`VACUUM`, then a truncating checkpoint), so that no
    /// erased value lingers in the files. False when either could not be
    /// done now (a long reader, another process writing).
    pub async fn compact(&self) -> bool {
        let Ok(mut conn) = self.write().await else {
            return false;
        };
        if let Err(e) = sqlx::query("VACUUM").execute(&mut *conn).await {
            tracing::warn!(error = %e, "cannot compact the database now");
            return false;
        }
        drop(conn);
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.pool)
            .await
        {
            Ok((busy, _, _)) => busy == 0,
            Err(e) => {
                tracing::warn!(error = %e, "cannot empty the write-ahead log now");
                false
            }
        }
    }

    /// Closes every connection, checkpointing the write-ahead log.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}
