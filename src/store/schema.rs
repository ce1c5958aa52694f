//! sertibot's own schema, and the check that a database file holds nothing
//! else: every table, index, trigger and view of a file is compared with
//! what the migrations it records as applied make. A file carrying an
//! object of its own (a trigger that copies participants' rows elsewhere,
//! or rewrites where email goes) is refused before anything runs on it, so
//! a hostile backup cannot be restored and a planted object stops the
//! service at its start.

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// The migrations compiled into this binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// sertibot's schema on PostgreSQL (`migrations/postgres/`): the tables,
/// columns and rules [`MIGRATOR`] makes on SQLite, in PostgreSQL's dialect,
/// plus the audit chain's head row that several instances lock to append.
/// The store does not run on PostgreSQL yet; the integration tests apply
/// this to a real server and hold the two schemas equal, column by column.
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// One object of a schema as SQLite keeps it in `sqlite_master`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    kind: String,
    table: String,
    sql: Option<String>,
}

/// What a database file holds that sertibot's migrations do not make, or
/// lacks that they do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Foreign {
    /// An object sertibot never makes.
    #[error("it holds a {kind} '{name}' that sertibot does not make")]
    Extra { kind: String, name: String },
    /// An object of sertibot's name whose definition was changed.
    #[error("its {kind} '{name}' is not defined as sertibot defines it")]
    Changed { kind: String, name: String },
    /// An object the migrations make, missing (dropped protection).
    #[error("its {kind} '{name}' is missing")]
    Missing { kind: String, name: String },
    /// A migration this binary does not know, or one whose text differs.
    #[error("it records a migration ({version}) this version of sertibot does not have")]
    UnknownMigration { version: i64 },
}

/// The objects of the schema on `conn`, by name (SQLite's own excluded:
/// their names are reserved and nobody can create one).
async fn objects(conn: &mut SqliteConnection) -> anyhow::Result<BTreeMap<String, Object>> {
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, name, table, sql)| (name, Object { kind, table, sql }))
        .collect())
}

/// The newest migration recorded in the file on `conn` (none in a new,
/// empty file), after checking that each recorded one is this binary's.
async fn applied(conn: &mut SqliteConnection) -> anyhow::Result<Result<Option<i64>, Foreign>> {
    let has_table: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if has_table == 0 {
        return Ok(Ok(None));
    }
    let recorded: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    for (version, checksum) in &recorded {
        let known = MIGRATOR
            .iter()
            .any(|m| m.version == *version && m.checksum.as_ref() == checksum.as_slice());
        if !known {
            return Ok(Err(Foreign::UnknownMigration { version: *version }));
        }
    }
    Ok(Ok(recorded.last().map(|(v, _)| *v)))
}

/// The newest migration the file on `conn` records (none in a new file).
///
/// # Errors
/// When the file cannot be read.
pub async fn newest_applied(conn: &mut SqliteConnection) -> anyhow::Result<Option<i64>> {
    Ok(applied(conn).await?.unwrap_or(None))
}

/// The schema sertibot's migrations make up to `version` (nothing for a
/// file that records no migration).
async fn expected(version: Option<i64>) -> anyhow::Result<BTreeMap<String, Object>> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
    let mut conn = SqliteConnection::connect_with(&options).await?;
    if let Some(version) = version {
        // `run_direct` rather than `run_to`: the latter's `Acquire` bound
        // makes callers' futures not `Send` (sqlx's own note on it).
        MIGRATOR
            .run_direct(Some(version), &mut conn, false)
            .await
            .context("cannot make sertibot's schema in memory")?;
    }
    let found = objects(&mut conn).await?;
    conn.close().await?;
    Ok(found)
}

/// Compares the schema of the database on `conn` with the one sertibot's
/// migrations make up to the newest migration the file records: every
/// difference, by name (what the file adds or changed first, then what it
/// lacks), none when the file is sertibot's own.
///
/// # Errors
/// When the file cannot be read as a database.
pub async fn differences(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Foreign>> {
    let version = match applied(conn).await? {
        Ok(version) => version,
        Err(foreign) => return Ok(vec![foreign]),
    };
    let want = expected(version).await?;
    let have = objects(conn).await?;
    let mut found = Vec::new();
    for (name, object) in &have {
        let (kind, name) = (object.kind.clone(), name.clone());
        match want.get(&name) {
            None => found.push(Foreign::Extra { kind, name }),
            Some(ours) if !ours.same_as(object) => found.push(Foreign::Changed { kind, name }),
            Some(_) => {}
        }
    }
    found.extend(
        want.iter()
            .filter(|(name, _)| !have.contains_key(*name))
            .map(|(name, object)| Foreign::Missing {
                kind: object.kind.clone(),
                name: name.clone(),
            }),
    );
    Ok(found)
}

/// The first difference of [`differences`], for a refusal that names one.
///
/// # Errors
/// When the file cannot be read as a database.
pub async fn foreign_objects(conn: &mut SqliteConnection) -> anyhow::Result<Option<Foreign>> {
    Ok(differences(conn).await?.into_iter().next())
}

impl Foreign {
    /// Whether the file adds to or changes sertibot's schema (a planted
    /// object that would run), rather than lacking part of it.
    pub fn adds(&self) -> bool {
        !matches!(self, Foreign::Missing { .. })
    }
}

impl Object {
    /// The same object, its definition compared with white space folded
    /// (SQLite keeps a definition's text as written, and rewrites it when
    /// a column is added or dropped).
    fn same_as(&self, other: &Object) -> bool {
        let folded = |sql: &Option<String>| {
            sql.as_deref()
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        self.kind == other.kind
            && self.table == other.table
            && folded(&self.sql) == folded(&other.sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn migrated() -> SqliteConnection {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        MIGRATOR.run(&mut conn).await.unwrap();
        conn
    }

    #[tokio::test]
    async fn sertibots_own_schema_is_accepted_new_or_at_any_version() {
        let mut conn = migrated().await;
        assert_eq!(foreign_objects(&mut conn).await.unwrap(), None);
        let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
        let mut empty = SqliteConnection::connect_with(&options).await.unwrap();
        assert_eq!(foreign_objects(&mut empty).await.unwrap(), None);
        let mut older = SqliteConnection::connect_with(&options).await.unwrap();
        MIGRATOR.run_to(16, &mut older).await.unwrap();
        assert_eq!(foreign_objects(&mut older).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_extra_trigger_table_or_view_is_named() {
        for (sql, kind, name) in [
            (
                "CREATE TRIGGER steal AFTER INSERT ON participants BEGIN SELECT 1; END",
                "trigger",
                "steal",
            ),
            ("CREATE TABLE loot (x)", "table", "loot"),
            ("CREATE VIEW v AS SELECT 1", "view", "v"),
            ("CREATE INDEX i ON participants(name)", "index", "i"),
        ] {
            let mut conn = migrated().await;
            sqlx::query(sql).execute(&mut conn).await.unwrap();
            assert_eq!(
                foreign_objects(&mut conn).await.unwrap(),
                Some(Foreign::Extra {
                    kind: kind.into(),
                    name: name.into()
                }),
                "{sql}"
            );
        }
    }

    #[tokio::test]
    async fn a_dropped_or_redefined_trigger_is_named() {
        let mut conn = migrated().await;
        sqlx::query("DROP TRIGGER audit_log_append_only_delete")
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            foreign_objects(&mut conn).await.unwrap(),
            Some(Foreign::Missing {
                kind: "trigger".into(),
                name: "audit_log_append_only_delete".into()
            })
        );
        sqlx::query(
            "CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        assert_eq!(
            foreign_objects(&mut conn).await.unwrap(),
            Some(Foreign::Changed {
                kind: "trigger".into(),
                name: "audit_log_append_only_delete".into()
            })
        );
    }
}
