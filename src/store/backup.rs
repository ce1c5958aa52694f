//! Backups: a consistent copy of the database made while the service runs
//! (SQLite's `VACUUM INTO`, a snapshot of one read transaction), checked
//! the way a restore would check it: `PRAGMA integrity_check` and the
//! audit chain recomputed on the copy, opened read-only.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use super::chain::{Break, Head};
use super::schema::{self, Foreign};

/// What a copy of the database was found to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyCheck {
    /// The file's size in bytes.
    pub bytes: u64,
    /// SQLite's findings: `["ok"]` when sound.
    pub integrity: Vec<String>,
    /// The audit chain's head, or where it breaks.
    pub chain: Result<Head, Break>,
    /// A copy made by a version before the chain (a `sqlite3 .backup` of
    /// an older database): its audit rows are sealed when next opened.
    pub unsealed: bool,
    /// What the copy holds that sertibot's migrations do not make (or
    /// lacks that they do): such a copy is never put in place.
    pub foreign: Option<Foreign>,
}

impl CopyCheck {
    /// Sound on both counts.
    pub fn sound(&self) -> bool {
        self.integrity == ["ok"] && self.chain.is_ok() && self.foreign.is_none()
    }
}

impl super::Store {
    /// Writes a consistent copy of the database to `dest` (a new file,
    /// private to its owner) and checks it.
    ///
    /// # Errors
    /// When `dest` exists, its folder does not, or SQLite cannot write it.
    pub async fn backup_to(&self, dest: &Path) -> anyhow::Result<CopyCheck> {
        if dest.exists() {
            anyhow::bail!("{} already exists; choose a new file", dest.display());
        }
        if let Some(parent) = dest.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            anyhow::bail!("the folder {} does not exist", parent.display());
        }
        let target = dest
            .to_str()
            .with_context(|| format!("{} is not a UTF-8 path", dest.display()))?;
        // Created empty and private first: SQLite then writes into a file
        // only its owner can read, whatever the umask.
        crate::files::private_file_options()
            .write(true)
            .create_new(true)
            .open(dest)
            .with_context(|| format!("cannot create {}", dest.display()))?;
        let mut conn = self.pool.acquire().await?;
        let copied = sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&mut *conn)
            .await;
        drop(conn);
        if let Err(e) = copied {
            let _ = std::fs::remove_file(dest);
            return Err(e).with_context(|| format!("cannot write the backup {}", dest.display()));
        }
        crate::files::restrict(dest, false)?;
        check_copy(dest).await
    }
}

/// A database file opened to be looked at, never written: no migration,
/// no sealing, no write-ahead log of its own.
pub struct Inspection {
    conn: SqliteConnection,
    path: std::path::PathBuf,
}

impl Inspection {
    /// Opens `path` read-only. A copy is opened as immutable (nothing else
    /// writes it); a database in use (`live`) is read with its write-ahead
    /// log, so what the service committed last is seen.
    ///
    /// # Errors
    /// When the file cannot be opened as a database.
    pub async fn open(path: &Path, live: bool) -> anyhow::Result<Inspection> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .read_only(true)
            .immutable(!live);
        let conn = SqliteConnection::connect_with(&options)
            .await
            .with_context(|| format!("cannot open {} as a database", path.display()))?;
        Ok(Inspection {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Its integrity, its schema against sertibot's, and its audit chain.
    ///
    /// # Errors
    /// When the file is not a sertibot database.
    pub async fn check(&mut self) -> anyhow::Result<CopyCheck> {
        let path = &self.path;
        let conn = &mut self.conn;
        let bytes = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        let not_ours = || format!("{} is not a sertibot database", path.display());
        let integrity: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&mut *conn)
            .await
            .with_context(not_ours)?;
        let foreign = schema::foreign_objects(conn).await.with_context(not_ours)?;
        let sealed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pragma_table_info('audit_log') WHERE name = 'hash'",
        )
        .fetch_one(&mut *conn)
        .await
        .with_context(not_ours)?;
        let chain = if sealed == 0 {
            let (rows, last): (i64, Option<i64>) =
                sqlx::query_as("SELECT COUNT(*), MAX(id) FROM audit_log")
                    .fetch_one(&mut *conn)
                    .await
                    .with_context(not_ours)?;
            Ok(Head {
                rows: rows as u64,
                last_id: last.unwrap_or_default(),
                hash: String::new(),
            })
        } else {
            super::Store::audit_chain(conn)
                .await
                .with_context(not_ours)?
        };
        Ok(CopyCheck {
            bytes,
            integrity: integrity.into_iter().map(|(r,)| r).collect(),
            chain,
            unsealed: sealed == 0,
            foreign,
        })
    }

    /// The id of the audit row sealed with `hash`, if any (a head an
    /// export or a backup recorded earlier).
    ///
    /// # Errors
    /// When the file cannot be read.
    pub async fn row_sealed(&mut self, hash: &str) -> anyhow::Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM audit_log WHERE hash = ?")
                .bind(hash)
                .fetch_optional(&mut self.conn)
                .await?,
        )
    }

    /// Closes the file.
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

/// Opens a copy of the database read-only, as it is (no write-ahead log,
/// no migration), and checks its integrity, its schema and its audit chain.
///
/// # Errors
/// When the file cannot be opened as a database.
pub async fn check_copy(path: &Path) -> anyhow::Result<CopyCheck> {
    let mut copy = Inspection::open(path, false).await?;
    let check = copy.check().await;
    copy.close().await;
    check
}

/// What a restore did: where the database it replaced was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The replaced database, kept aside (none when there was none).
    pub kept_aside: Option<std::path::PathBuf>,
    pub check: CopyCheck,
}

/// Puts the backup `from` in place of `database`, after checking it: the
/// database there (with its write-ahead log) is moved aside to
/// `<database>.replaced-<time>`, never deleted. The caller holds the
/// service lock, so no service writes meanwhile.
///
/// # Errors
/// When the backup is not sound (a [`Foreign`] error when it holds what
/// sertibot does not make) or the files cannot be moved or copied; the
/// database in place is then left as it was.
pub async fn restore(
    database: &Path,
    from: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Restored> {
    let check = check_copy(from).await?;
    if let Some(foreign) = check.foreign.clone() {
        // Typed, so the command line words it in the operator's language.
        return Err(anyhow::Error::new(foreign));
    }
    if check.integrity != ["ok"] {
        anyhow::bail!(
            "{} is damaged ({}); nothing was restored",
            from.display(),
            check.integrity.join("; ")
        );
    }
    if let Err(broken) = &check.chain {
        anyhow::bail!(
            "{}'s audit log is broken ({broken}); nothing was restored",
            from.display()
        );
    }
    let with_suffix = |path: &Path, suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    // Copied next to the database first, so the switch is one rename.
    let incoming = with_suffix(database, ".restoring");
    let _ = std::fs::remove_file(&incoming);
    let copied = (|| -> std::io::Result<()> {
        let mut source = std::fs::File::open(from)?;
        let mut target = crate::files::private_file_options()
            .write(true)
            .create_new(true)
            .open(&incoming)?;
        std::io::copy(&mut source, &mut target)?;
        target.sync_all()
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&incoming);
        return Err(e).with_context(|| format!("cannot copy {}", from.display()));
    }
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let aside = with_suffix(database, &format!(".replaced-{stamp}"));
    let kept_aside = if database.exists() {
        std::fs::rename(database, &aside)
            .with_context(|| format!("cannot move {} aside", database.display()))?;
        for suffix in ["-wal", "-shm"] {
            let file = with_suffix(database, suffix);
            if file.exists() {
                let _ = std::fs::rename(&file, with_suffix(&aside, suffix));
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&incoming, database)
        .with_context(|| format!("cannot put the backup in place of {}", database.display()))?;
    Ok(Restored { kept_aside, check })
}
