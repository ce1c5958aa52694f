//! A table's rows as values both backends hold alike (a whole number or a
//! text, or nothing), and a table's fingerprint: the SHA-256 of its rows'
//! digests in sorted order, so the same rows give the same fingerprint
//! whatever order each database returns them in.

use sha2::{Digest, Sha256};
use sqlx::Row;

/// How a column holds its values: sertibot's schema has only these two
/// (times are milliseconds, flags 0 and 1, JSON its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
}

/// A column to copy: its name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Number(Option<i64>),
    Text(Option<String>),
}

/// Why a value could not be read as its column's kind (a SQLite file
/// holding text in a number column, say).
#[derive(Debug, Clone, thiserror::Error)]
#[error("column {column} of {table} holds a value that is not a {kind}")]
pub struct Unreadable {
    pub table: String,
    pub column: String,
    pub kind: &'static str,
}

/// A name quoted as an SQL identifier (the names come from sertibot's own
/// schema, checked on opening; quoted all the same).
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `SELECT "a", "b" FROM "t"`.
pub fn select_all(table: &str, columns: &[Column]) -> String {
    let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
    format!("SELECT {} FROM {}", names.join(", "), quoted(table))
}

/// The values of `row` (selected by [`select_all`]) as `columns` say.
///
/// # Errors
/// [`Unreadable`] for a value that is not of its column's kind.
pub fn values_of<R>(table: &str, columns: &[Column], row: &R) -> Result<Vec<Value>, Unreadable>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let unreadable = |kind| Unreadable {
                table: table.to_string(),
                column: column.name.clone(),
                kind,
            };
            Ok(match column.kind {
                Kind::Number => Value::Number(row.try_get(i).map_err(|_| unreadable("number"))?),
                Kind::Text => Value::Text(row.try_get(i).map_err(|_| unreadable("text"))?),
            })
        })
        .collect()
}

/// The digest of one row: each value tagged with its kind and, for text,
/// its length, so no two different rows encode alike.
pub fn digest(values: &[Value]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for value in values {
        match value {
            Value::Number(None) | Value::Text(None) => hasher.update(b"n"),
            Value::Number(Some(n)) => {
                hasher.update(b"i");
                hasher.update(n.to_be_bytes());
            }
            Value::Text(Some(s)) => {
                hasher.update(b"t");
                hasher.update((s.len() as u64).to_be_bytes());
                hasher.update(s.as_bytes());
            }
        }
    }
    hasher.finalize().into()
}

/// A table's rows, counted and fingerprinted.
#[derive(Debug, Default)]
pub struct Tally {
    digests: Vec<[u8; 32]>,
}

/// What a table holds, in two numbers to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub rows: u64,
    pub hash: String,
}

impl Tally {
    /// Counts a row.
    pub fn add(&mut self, values: &[Value]) {
        self.digests.push(digest(values));
    }

    /// The count and the hash of the sorted digests.
    pub fn finish(mut self) -> Fingerprint {
        self.digests.sort_unstable();
        let mut hasher = Sha256::new();
        for d in &self.digests {
            hasher.update(d);
        }
        Fingerprint {
            rows: self.digests.len() as u64,
            hash: crate::store::chain::hex(&hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_rows_in_another_order_have_the_same_fingerprint_and_a_change_shows() {
        let rows = [
            vec![Value::Number(Some(1)), Value::Text(Some("Siti".into()))],
            vec![Value::Number(Some(2)), Value::Text(None)],
        ];
        let fingerprint = |order: &[usize]| {
            let mut tally = Tally::default();
            for &i in order {
                tally.add(&rows[i]);
            }
            tally.finish()
        };
        assert_eq!(fingerprint(&[0, 1]), fingerprint(&[1, 0]));
        assert_eq!(fingerprint(&[0, 1]).rows, 2);
        assert_ne!(fingerprint(&[0, 1]), fingerprint(&[0]));
        assert_ne!(fingerprint(&[0, 0]), fingerprint(&[0, 1]));
        // An empty text, a missing one and a number are three values.
        let one = |v: Value| digest(&[v]);
        assert_ne!(
            one(Value::Text(Some(String::new()))),
            one(Value::Text(None))
        );
        assert_ne!(
            one(Value::Text(Some("1".into()))),
            one(Value::Number(Some(1)))
        );
        // Text boundaries count: ("ab", "c") is not ("a", "bc").
        let two =
            |a: &str, b: &str| digest(&[Value::Text(Some(a.into())), Value::Text(Some(b.into()))]);
        assert_ne!(two("ab", "c"), two("a", "bc"));
    }

    #[test]
    fn a_name_with_a_quote_is_quoted_whole() {
        assert_eq!(quoted("key"), "\"key\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
