//! The PostgreSQL database a copy goes into: named without its password,
//! reached within a bounded time, found empty, its tables read from its
//! catalog in the order their references allow, its rows written in
//! bounded statements and read back as fingerprints.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, Postgres, QueryBuilder, Row};

use super::rows::{self, Column, Fingerprint, Kind, Tally, Value};
use super::{CopyError, UrlProblem};
use crate::store::chain::Head;

/// How long reaching the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// PostgreSQL's limit of values bound to one statement is 65,535.
const MAX_BINDS: usize = 60_000;

/// At most this many rows go in one `INSERT`.
const MAX_ROWS_PER_INSERT: usize = 1_000;

/// A PostgreSQL database named by a `postgres://` URL.
#[derive(Debug, Clone)]
pub struct Target {
    options: PgConnectOptions,
}

impl Target {
    /// Reads a `postgres://` (or `postgresql://`) URL; the password may be
    /// in it, in `PGPASSWORD` or in `~/.pgpass`, as for `psql`.
    ///
    /// # Errors
    /// [`CopyError::BadUrl`] naming what is wrong, never quoting the URL.
    pub fn parse(url: &str) -> Result<Target, CopyError> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(CopyError::BadUrl {
                problem: UrlProblem::Scheme,
            });
        }
        let options: PgConnectOptions = url.parse().map_err(|_| CopyError::BadUrl {
            problem: UrlProblem::Invalid,
        })?;
        if options.get_database().is_none_or(str::is_empty) {
            return Err(CopyError::BadUrl {
                problem: UrlProblem::NoDatabase,
            });
        }
        Ok(Target {
            options: options.disable_statement_logging(),
        })
    }

    /// The database as the operator may see it: host, port and name,
    /// never the user's password.
    pub fn place(&self) -> String {
        format!(
            "postgres://{}:{}/{}",
            self.options.get_host(),
            self.options.get_port(),
            self.options.get_database().unwrap_or_default()
        )
    }

    /// One connection to the database.
    ///
    /// # Errors
    /// [`CopyError::Unreachable`] with the server's reason.
    pub async fn connect(&self) -> Result<PgConnection, CopyError> {
        let unreachable = |reason: String| CopyError::Unreachable {
            place: self.place(),
            reason,
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&self.options)).await
        {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(unreachable(short(&e))),
            Err(_) => Err(unreachable(format!(
                "no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// A database error in one line, bounded (a server's message may be long).
pub fn short(e: &sqlx::Error) -> String {
    let text = match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    };
    let line = text.lines().next().unwrap_or_default();
    line.chars().take(300).collect()
}

/// The objects the database already holds in its schema (tables, views,
/// sequences, functions), up to a few names, and how many there are.
pub async fn contents(conn: &mut PgConnection) -> sqlx::Result<(i64, Vec<String>)> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
         UNION ALL
         SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = current_schema()
         ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let count = names.len() as i64;
    Ok((count, names.into_iter().take(3).collect()))
}

/// Each table of the schema with its columns in order, generated columns
/// left out (PostgreSQL computes them), and the migrations' own record
/// (each database keeps its own).
///
/// # Errors
/// When the catalog cannot be read, or a column has a type sertibot's
/// schema does not use.
pub async fn tables(conn: &mut PgConnection) -> anyhow::Result<BTreeMap<String, Vec<Column>>> {
    let found = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS kind
           FROM information_schema.columns
          WHERE table_schema = current_schema() AND is_generated = 'NEVER'
            AND table_name <> '_sqlx_migrations'
          ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for row in found {
        let (table, name, kind): (String, String, String) =
            (row.get("t"), row.get("c"), row.get("kind"));
        let kind = match kind.as_str() {
            "bigint" => Kind::Number,
            "text" => Kind::Text,
            other => anyhow::bail!("column {name} of {table} on PostgreSQL is of type {other}"),
        };
        tables.entry(table).or_default().push(Column { name, kind });
    }
    Ok(tables)
}

/// `tables` in an order where each comes after the tables it refers to.
///
/// # Errors
/// When the catalog cannot be read or the references go round in a circle.
pub async fn in_reference_order(
    conn: &mut PgConnection,
    tables: &BTreeSet<String>,
) -> anyhow::Result<Vec<String>> {
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text
           FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE c.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await?;
    let unquote = |name: &str| name.trim_matches('"').to_string();
    let mut waiting: BTreeMap<String, BTreeSet<String>> = tables
        .iter()
        .map(|t| (t.clone(), BTreeSet::new()))
        .collect();
    for (from, to) in references {
        let (from, to) = (unquote(&from), unquote(&to));
        if from != to && tables.contains(&to) {
            waiting.entry(from).or_default().insert(to);
        }
    }
    let mut order = Vec::with_capacity(tables.len());
    while !waiting.is_empty() {
        let ready: Vec<String> = waiting
            .iter()
            .filter(|(_, needs)| needs.is_empty())
            .map(|(t, _)| t.clone())
            .collect();
        anyhow::ensure!(
            !ready.is_empty(),
            "the tables' references go round in a circle"
        );
        for table in ready {
            waiting.remove(&table);
            for needs in waiting.values_mut() {
                needs.remove(&table);
            }
            order.push(table);
        }
    }
    Ok(order)
}

/// Writes `batch` (rows of `table`) in as few statements as the limits of
/// one statement allow.
///
/// # Errors
/// When PostgreSQL refuses a row.
pub async fn insert(
    conn: &mut PgConnection,
    table: &str,
    columns: &[Column],
    batch: Vec<Vec<Value>>,
) -> sqlx::Result<()> {
    let per_statement = (MAX_BINDS / columns.len().max(1)).clamp(1, MAX_ROWS_PER_INSERT);
    let names: Vec<String> = columns.iter().map(|c| rows::quoted(&c.name)).collect();
    let head = format!(
        "INSERT INTO {} ({}) ",
        rows::quoted(table),
        names.join(", ")
    );
    let mut batch = batch.into_iter().peekable();
    while batch.peek().is_some() {
        let chunk: Vec<Vec<Value>> = batch.by_ref().take(per_statement).collect();
        let mut statement = QueryBuilder::<Postgres>::new(head.clone());
        statement.push_values(chunk, |mut row, values| {
            for value in values {
                match value {
                    Value::Number(n) => row.push_bind(n),
                    Value::Text(s) => row.push_bind(s),
                };
            }
        });
        statement.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The rows `table` holds on PostgreSQL, as a fingerprint.
///
/// # Errors
/// When the table cannot be read.
pub async fn fingerprint(
    conn: &mut PgConnection,
    table: &str,
    columns: &[Column],
) -> anyhow::Result<Fingerprint> {
    let sql = rows::select_all(table, columns);
    let mut found = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    let mut tally = Tally::default();
    while let Some(row) = found.try_next().await? {
        tally.add(&rows::values_of(table, columns, &row)?);
    }
    Ok(tally.finish())
}

/// Moves each identity column's sequence past the highest id copied, so
/// rows added later on PostgreSQL get new ids.
///
/// # Errors
/// When PostgreSQL refuses.
pub async fn advance_sequences(conn: &mut PgConnection) -> sqlx::Result<()> {
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
          WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (table, column) in identities {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), MAX({c})) FROM {t} HAVING MAX({c}) IS NOT NULL",
            c = rows::quoted(&column),
            t = rows::quoted(&table),
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(rows::quoted(&table))
            .bind(&column)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records the chain's head in the row every PostgreSQL writer locks to
/// append ([`crate::store::schema::POSTGRES_MIGRATOR`]'s `audit_head`).
///
/// # Errors
/// When PostgreSQL refuses.
pub async fn set_audit_head(conn: &mut PgConnection, head: &Head) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
    )
    .bind(head.last_id)
    .bind(&head.hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closes a connection, quietly: the copy's outcome is already known.
pub async fn close(conn: PgConnection) {
    let _ = conn.close().await;
}
