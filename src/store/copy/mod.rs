//! `sertibot db copy --to postgres://…`: an LSP's SQLite database copied
//! into an empty PostgreSQL database, everything and the audit chain
//! included, and checked before it is kept.
//!
//! The copy reads one snapshot of the SQLite file (a read transaction: a
//! command line writing meanwhile changes nothing read) and writes in one
//! PostgreSQL transaction: the schema ([`POSTGRES_MIGRATOR`]), every row,
//! the identity sequences moved past the ids copied, and the audit chain's
//! head row. Before that transaction commits, every table is read back and
//! its row count and fingerprint compared with the source's, and the audit
//! chain is walked on PostgreSQL and must end at the source's head. Any
//! difference rolls everything back: the target is left as empty as it
//! was found, never half copied.

mod rows;
mod target;

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::{Connection, SqliteConnection};

pub use target::Target;

use super::Store;
use super::chain::{Break, Head};
use super::schema::POSTGRES_MIGRATOR;
use rows::{Column, Fingerprint, Tally, Value};

/// Tables each database fills on its own and the copy leaves alone: the
/// migrations' record, the chain's head (set from the source's head), the
/// marker of rows from before the chain (PostgreSQL's starts sealed), and
/// the polling lease of several instances (PostgreSQL's alone).
const NOT_COPIED: &[&str] = &[
    "_sqlx_migrations",
    "audit_head",
    "audit_chain_legacy",
    "polling_lease",
];

/// Tables PostgreSQL's triggers fill from the rows copied (each Telegram
/// recipient's queue): not written, but compared like the rest.
const DERIVED: &[&str] = &["telegram_queues"];

/// Rows read from SQLite before they are written to PostgreSQL.
const ROWS_PER_ROUND: usize = 5_000;

/// A key only this copy takes, so two copies into one database queue.
const COPY_LOCK: i64 = 0x7365_7274_6962_6f74; // "sertibot"

/// What was copied.
#[derive(Debug, Clone, Serialize)]
pub struct Copied {
    pub place: String,
    pub tables: usize,
    pub rows: u64,
    pub audit_rows: u64,
    pub head: String,
}

/// What is wrong with a target's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlProblem {
    /// It does not start with `postgres://`.
    Scheme,
    /// It cannot be read as a URL.
    Invalid,
    /// It names no database.
    NoDatabase,
}

/// Why nothing was copied, for a sentence each.
#[derive(Debug, thiserror::Error, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum CopyError {
    #[error("the target is not a PostgreSQL URL ({problem:?})")]
    BadUrl { problem: UrlProblem },
    #[error("cannot reach {place}: {reason}")]
    Unreachable { place: String, reason: String },
    #[error("{place} is not empty: it holds {count} objects ({names})")]
    NotEmpty {
        place: String,
        count: i64,
        names: String,
    },
    #[error("the audit chain of the SQLite database is broken: {found}")]
    SourceBroken { found: Break },
    #[error("column {column} of {table} holds a value that is not a {kind}")]
    Unreadable {
        table: String,
        column: String,
        kind: &'static str,
    },
    #[error("PostgreSQL refused a row of {table}: {reason}")]
    Refused { table: String, reason: String },
    #[error("the copy of {table} differs: {source_rows} rows in SQLite, {copy_rows} on PostgreSQL")]
    Differs {
        table: String,
        source_rows: u64,
        copy_rows: u64,
    },
    #[error("the copied audit chain does not end where the source's does")]
    ChainDiffers,
    #[error("SQLite's and PostgreSQL's schemas differ at table {table} {column:?}")]
    Schemas {
        table: String,
        column: Option<String>,
    },
    #[error("{reason}")]
    Unexpected { reason: String },
}

impl From<anyhow::Error> for CopyError {
    fn from(e: anyhow::Error) -> Self {
        CopyError::Unexpected {
            reason: format!("{e:#}"),
        }
    }
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Unexpected {
            reason: target::short(&e),
        }
    }
}

impl From<rows::Unreadable> for CopyError {
    fn from(e: rows::Unreadable) -> Self {
        CopyError::Unreadable {
            table: e.table,
            column: e.column,
            kind: e.kind,
        }
    }
}

impl CopyError {
    /// The phrase that says it (`cli_db_copy_<what>`).
    pub fn phrase(&self) -> &'static str {
        match self {
            CopyError::BadUrl { .. } => "cli_db_copy_bad_url",
            CopyError::Unreachable { .. } => "cli_db_copy_unreachable",
            CopyError::NotEmpty { .. } => "cli_db_copy_not_empty",
            CopyError::SourceBroken { .. } => "cli_db_copy_source_broken",
            CopyError::Refused { .. } | CopyError::Unreadable { .. } => "cli_db_copy_refused",
            CopyError::Differs { .. } | CopyError::ChainDiffers | CopyError::Schemas { .. } => {
                "cli_db_copy_differs"
            }
            CopyError::Unexpected { .. } => "cli_db_copy_failed",
        }
    }
}

/// What the source holds: each table's fingerprint, and its audit
/// chain's head.
struct Source {
    fingerprints: BTreeMap<String, Fingerprint>,
    head: Head,
}

impl Store {
    /// Copies this database into the empty PostgreSQL database `target`
    /// and checks the copy (module docs). The caller holds the service
    /// lock: no service writes meanwhile.
    ///
    /// # Errors
    /// A [`CopyError`]; the target is then as it was.
    pub async fn copy_to(&self, target: &Target) -> Result<Copied, CopyError> {
        let mut sqlite = self.pool.acquire().await.map_err(anyhow::Error::from)?;
        let mut snapshot = sqlite.begin().await?;
        let head = match Store::audit_chain(&mut snapshot).await? {
            Ok(head) => head,
            Err(found) => return Err(CopyError::SourceBroken { found }),
        };
        let mut postgres = target.connect().await?;
        let copied = copy_in_one_transaction(&mut snapshot, &mut postgres, target, head).await;
        target::close(postgres).await;
        snapshot.rollback().await.ok();
        copied
    }
}

/// The copy itself, committed on PostgreSQL only when it checks out.
async fn copy_in_one_transaction(
    sqlite: &mut SqliteConnection,
    postgres: &mut sqlx::PgConnection,
    place: &Target,
    head: Head,
) -> Result<Copied, CopyError> {
    let mut tx = postgres.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(COPY_LOCK)
        .execute(&mut *tx)
        .await?;
    let (count, names) = target::contents(&mut tx).await?;
    if count > 0 {
        return Err(CopyError::NotEmpty {
            place: place.place(),
            count,
            names: names.join(", "),
        });
    }
    POSTGRES_MIGRATOR
        .run_direct(None, &mut *tx, false)
        .await
        .map_err(|e| anyhow::anyhow!("cannot make sertibot's schema on PostgreSQL: {e}"))?;
    let tables = target::tables(&mut tx).await?;
    let copied = copied_tables(sqlite, &tables).await?;
    let order = target::in_reference_order(&mut tx, &copied).await?;
    let mut source = Source {
        fingerprints: BTreeMap::new(),
        head,
    };
    for table in &order {
        let print = copy_table(sqlite, Some(&mut tx), table, &tables[table]).await?;
        source.fingerprints.insert(table.clone(), print);
    }
    for table in DERIVED {
        let columns = &tables[*table];
        let print = copy_table(sqlite, None, table, columns).await?;
        source.fingerprints.insert(table.to_string(), print);
    }
    target::advance_sequences(&mut tx).await?;
    target::set_audit_head(&mut tx, &source.head).await?;
    check(&mut tx, &tables, &source).await?;
    tx.commit().await?;
    Ok(Copied {
        place: place.place(),
        tables: order.len(),
        rows: order.iter().map(|t| source.fingerprints[t].rows).sum(),
        audit_rows: source.head.rows,
        head: source.head.hash,
    })
}

/// The tables to write: every table of PostgreSQL's schema but those
/// [`NOT_COPIED`] and [`DERIVED`], which must be exactly SQLite's own,
/// column for column (a column PostgreSQL lacked would be left behind).
async fn copied_tables(
    sqlite: &mut SqliteConnection,
    tables: &BTreeMap<String, Vec<Column>>,
) -> Result<BTreeSet<String>, CopyError> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, c.name FROM sqlite_master m, pragma_table_xinfo(m.name) c
          WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND c.hidden = 0",
    )
    .fetch_all(&mut *sqlite)
    .await?;
    let copied = |t: &str| !NOT_COPIED.contains(&t) && !DERIVED.contains(&t);
    let mut in_sqlite: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, column) in columns.into_iter().filter(|(t, _)| copied(t)) {
        in_sqlite.entry(table).or_default().insert(column);
    }
    let in_postgres: BTreeMap<String, BTreeSet<String>> = tables
        .iter()
        .filter(|(t, _)| copied(t))
        .map(|(t, cs)| (t.clone(), cs.iter().map(|c| c.name.clone()).collect()))
        .collect();
    let differs = |table: &String, column: Option<&String>| CopyError::Schemas {
        table: table.clone(),
        column: column.cloned(),
    };
    for (table, columns) in &in_sqlite {
        let Some(theirs) = in_postgres.get(table) else {
            return Err(differs(table, None));
        };
        if let Some(column) = columns.symmetric_difference(theirs).next() {
            return Err(differs(table, Some(column)));
        }
    }
    if let Some(table) = in_postgres.keys().find(|t| !in_sqlite.contains_key(*t)) {
        return Err(differs(table, None));
    }
    Ok(in_sqlite.into_keys().collect())
}

/// Copies one table, a round of rows at a time, into `postgres` (none:
/// only read, for a table PostgreSQL derives); its source fingerprint.
async fn copy_table(
    sqlite: &mut SqliteConnection,
    mut postgres: Option<&mut sqlx::PgConnection>,
    table: &str,
    columns: &[Column],
) -> Result<Fingerprint, CopyError> {
    let sql = rows::select_all(table, columns);
    let mut found = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *sqlite);
    let mut tally = Tally::default();
    let mut round: Vec<Vec<Value>> = Vec::with_capacity(ROWS_PER_ROUND);
    loop {
        let row = found.try_next().await?;
        let done = row.is_none();
        if let Some(row) = row {
            let values = rows::values_of(table, columns, &row)?;
            tally.add(&values);
            if postgres.is_some() {
                round.push(values);
            }
        }
        if let Some(postgres) = postgres.as_deref_mut()
            && (round.len() >= ROWS_PER_ROUND || (done && !round.is_empty()))
        {
            let batch = std::mem::take(&mut round);
            target::insert(postgres, table, columns, batch)
                .await
                .map_err(|e| CopyError::Refused {
                    table: table.to_string(),
                    reason: target::short(&e),
                })?;
        }
        if done {
            return Ok(tally.finish());
        }
    }
}

/// Every table read back from PostgreSQL matches the source, and the
/// audit chain walks to the source's head.
async fn check(
    postgres: &mut sqlx::PgConnection,
    tables: &BTreeMap<String, Vec<Column>>,
    source: &Source,
) -> Result<(), CopyError> {
    for (table, expected) in &source.fingerprints {
        let found = target::fingerprint(postgres, table, &tables[table]).await?;
        if &found != expected {
            return Err(CopyError::Differs {
                table: table.clone(),
                source_rows: expected.rows,
                copy_rows: found.rows,
            });
        }
    }
    match super::postgres::audit::chain(postgres).await? {
        Ok(head) if head == source.head => Ok(()),
        _ => Err(CopyError::ChainDiffers),
    }
}
