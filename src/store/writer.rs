//! The writing connection, with group commit. Every change is a unit of
//! work ([`Tx`]) that runs in its own savepoint inside one shared
//! `BEGIN IMMEDIATE` transaction; units take turns on the one writing
//! connection in a fair queue. When a unit is done it waits for the group's
//! `COMMIT`, which a committer queued behind the units already waiting runs
//! for all of them at once: one commit for as many units as waited, and
//! none of them is told "done" before its work is durable.
//!
//! A unit that fails or is refused rolls back to its savepoint, undoing
//! only itself; a `COMMIT` that fails fails every unit of its group (their
//! work is undone together, as each alone would have been). A unit dropped
//! without a word is rolled back by a task of its own, so the queue never
//! stalls. A single write outside a unit ([`Writer::write`]) commits the
//! open group first, then runs on its own.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// What a unit waiting for its group's commit hears: done, or why not.
type Outcome = Result<(), Arc<str>>;

/// The writing connection and the group of units on it.
#[derive(Debug)]
struct Group {
    conn: Option<PoolConnection<Sqlite>>,
    /// A `BEGIN IMMEDIATE` is open on the connection.
    open: bool,
    /// Units whose savepoint is released, waiting for the commit.
    waiting: Vec<oneshot::Sender<Outcome>>,
    /// A unit was dropped where it could not be undone at once (no
    /// runtime): the next turn undoes it first.
    abandoned: bool,
}

/// The one writing connection, shared by every writer of this process.
#[derive(Debug, Clone)]
pub struct Writer {
    pool: SqlitePool,
    group: Arc<Mutex<Group>>,
    /// A committer is queued and has not yet taken its turn.
    committer_queued: Arc<AtomicBool>,
}

impl Writer {
    /// Group commit over `pool`, a pool of one connection.
    pub fn new(pool: SqlitePool) -> Writer {
        Writer {
            pool,
            group: Arc::new(Mutex::new(Group {
                conn: None,
                open: false,
                waiting: Vec::new(),
                abandoned: false,
            })),
            committer_queued: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts a unit of work: waits for its turn, joins (or opens) the
    /// group's transaction, and sets its savepoint.
    ///
    /// # Errors
    /// When no connection can be had, or the write lock is not granted
    /// within the busy timeout (another process holds it).
    pub async fn begin(&self) -> anyhow::Result<Own> {
        let mut group = self.group.clone().lock_owned().await;
        group.settle().await;
        if !group.open {
            self.open(&mut group).await?;
        }
        let conn = group
            .conn
            .as_mut()
            .expect("an open group has its connection");
        if let Err(e) = sqlx::query("SAVEPOINT unit").execute(&mut **conn).await {
            drop(group);
            self.commit_soon();
            return Err(e).context("cannot start a database transaction");
        }
        Ok(Own {
            unit: Some(group),
            writer: self.clone(),
        })
    }

    /// The writing connection for single statements that commit on their
    /// own (marking an outbox row sent), after committing the open group.
    /// Hold it briefly: every writer waits for it.
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn write(&self) -> anyhow::Result<Single> {
        let mut group = self.group.clone().lock_owned().await;
        group.settle().await;
        group.commit().await;
        if group.conn.is_none() {
            group.conn = Some(self.connection().await?);
        }
        Ok(Single { group })
    }

    /// Whether `other` is this very writer (a clone of it).
    pub fn same(&self, other: &Writer) -> bool {
        Arc::ptr_eq(&self.group, &other.group)
    }

    /// Commits what is waiting and lets the connection go (before closing).
    pub async fn close(&self) {
        let mut group = self.group.lock().await;
        group.settle().await;
        group.commit().await;
        group.conn = None;
        drop(group);
        self.pool.close().await;
    }

    async fn connection(&self) -> anyhow::Result<PoolConnection<Sqlite>> {
        self.pool
            .acquire()
            .await
            .context("cannot reach the database to write")
    }

    /// Opens the group's transaction. A connection left inside a failed
    /// transaction (a full disk) is replaced, once.
    async fn open(&self, group: &mut Group) -> anyhow::Result<()> {
        if group.conn.is_none() {
            group.conn = Some(self.connection().await?);
        }
        let conn = group.conn.as_mut().expect("set above");
        if sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut **conn)
            .await
            .is_err()
        {
            tracing::warn!(
                "the database's writing connection could not begin a transaction; replacing it"
            );
            if let Some(old) = group.conn.take() {
                let _ = old.close().await;
            }
            let mut fresh = self.connection().await?;
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *fresh)
                .await
                .context("cannot start a database transaction")?;
            group.conn = Some(fresh);
        }
        group.open = true;
        Ok(())
    }

    /// Queues a committer behind the units now waiting, unless one is
    /// queued already (it will commit whatever is done when its turn comes).
    fn commit_soon(&self) {
        if self.committer_queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let (group, queued) = (self.group.clone(), self.committer_queued.clone());
        tokio::spawn(async move {
            let mut group = group.lock_owned().await;
            // Units done after this moment queue a committer of their own.
            queued.store(false, Ordering::Release);
            group.settle().await;
            group.commit().await;
        });
    }
}

impl Group {
    /// Commits the open group and tells its units the outcome. A failed
    /// commit is rolled back and every unit of the group told so.
    async fn commit(&mut self) {
        if !self.open {
            return;
        }
        let conn = self
            .conn
            .as_mut()
            .expect("an open group has its connection");
        match sqlx::query("COMMIT").execute(&mut **conn).await {
            Ok(_) => {
                self.open = false;
                for unit in self.waiting.drain(..) {
                    let _ = unit.send(Ok(()));
                }
            }
            Err(e) => self.lose(&format!("{e}")).await,
        }
    }

    /// Undoes the unit in hand (what it wrote since its savepoint),
    /// keeping the group's other units. When the savepoint is gone, SQLite
    /// has rolled the whole transaction back (it does on some errors, a
    /// full disk among them): the group is lost, and its units are told.
    async fn undo(&mut self) {
        let conn = self.conn.as_mut().expect("a unit holds the connection");
        let undone = async {
            sqlx::query("ROLLBACK TO unit").execute(&mut **conn).await?;
            sqlx::query("RELEASE unit").execute(&mut **conn).await
        }
        .await;
        if let Err(e) = undone {
            self.lose(&format!("{e}")).await;
        }
    }

    /// The group's transaction failed: roll back what is left of it, tell
    /// every waiting unit, and drop a connection that cannot even roll
    /// back (the next unit gets a fresh one).
    async fn lose(&mut self, why: &str) {
        tracing::error!(error = %why, units = self.waiting.len(), "a database transaction failed; the units waiting for its commit are undone");
        self.open = false;
        if let Some(conn) = self.conn.as_mut()
            && let Err(e) = sqlx::query("ROLLBACK").execute(&mut **conn).await
            && !e.to_string().contains("no transaction is active")
            && let Some(broken) = self.conn.take()
        {
            let _ = broken.close().await;
        }
        let why: Arc<str> = why.into();
        for unit in self.waiting.drain(..) {
            let _ = unit.send(Err(why.clone()));
        }
    }

    /// Undoes a unit left behind by a drop outside the runtime.
    async fn settle(&mut self) {
        if std::mem::take(&mut self.abandoned) && self.open {
            self.undo().await;
        }
    }
}

/// A unit of work of its own on the writing connection: reads and writes through it
/// (it derefs to the connection), then [`Own::commit`] or [`Own::rollback`].
/// Dropped without either, it is rolled back.
#[derive(Debug)]
pub struct Own {
    unit: Option<OwnedMutexGuard<Group>>,
    writer: Writer,
}

impl Own {
    /// Keeps the unit's work and returns once it is committed (with the
    /// units that waited beside it).
    ///
    /// # Errors
    /// When the database refuses the unit or its group's commit; nothing
    /// of the unit is kept then.
    pub async fn commit(mut self) -> anyhow::Result<()> {
        let mut group = self.unit.take().expect("a unit is committed once");
        let conn = group.conn.as_mut().expect("a unit holds the connection");
        if let Err(e) = sqlx::query("RELEASE unit").execute(&mut **conn).await {
            group.undo().await;
            drop(group);
            self.writer.commit_soon();
            return Err(e).context("cannot commit the database transaction");
        }
        let (tell, told) = oneshot::channel();
        group.waiting.push(tell);
        drop(group);
        self.writer.commit_soon();
        match told.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => anyhow::bail!("cannot commit the database transaction: {why}"),
            Err(_) => anyhow::bail!("the database transaction was abandoned"),
        }
    }

    /// Undoes the unit's work; the group's other units are kept.
    ///
    /// # Errors
    /// None today (an undo that fails loses the whole group, whose units
    /// are told); kept for the callers' shape.
    pub async fn rollback(mut self) -> anyhow::Result<()> {
        let mut group = self.unit.take().expect("a unit is rolled back once");
        group.undo().await;
        drop(group);
        self.writer.commit_soon();
        Ok(())
    }
}

impl Drop for Own {
    fn drop(&mut self) {
        let Some(mut group) = self.unit.take() else {
            return;
        };
        let writer = self.writer.clone();
        // The turn is held until the unit is undone, so no other unit runs
        // inside it.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    group.undo().await;
                    drop(group);
                    writer.commit_soon();
                });
            }
            Err(_) => group.abandoned = true,
        }
    }
}

impl Deref for Own {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.unit
            .as_ref()
            .and_then(|g| g.conn.as_deref())
            .expect("a unit holds the connection")
    }
}

impl DerefMut for Own {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.unit
            .as_mut()
            .and_then(|g| g.conn.as_deref_mut())
            .expect("a unit holds the connection")
    }
}

/// The writing connection for single statements, each committing on its own.
#[derive(Debug)]
pub struct Single {
    group: OwnedMutexGuard<Group>,
}

impl Deref for Single {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.group.conn.as_deref().expect("set by write()")
    }
}

impl DerefMut for Single {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.group.conn.as_deref_mut().expect("set by write()")
    }
}

#[cfg(test)]
mod tests;
