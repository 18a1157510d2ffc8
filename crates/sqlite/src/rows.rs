//! Row helpers both stores use, and the one table they keep alike.

use rusqlite::types::FromSql;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};

/// The first column of the one row `sql` selects, if there is such a row.
pub fn optional_value<T: FromSql>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> rusqlite::Result<Option<T>> {
    conn.prepare_cached(sql)?
        .query_row(params, |r| r.get(0))
        .optional()
}

/// Every row `sql` selects, each read by `read`.
pub fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(sql)?.query_map(params, read)?.collect()
}

/// Stores the wrapped identity_link_keys of a pseudonymous room's leaves (MIMIMI §4.1), one row
/// per leaf in `identity_links (room_uri, client_uri, wrapped)`, which the hub and the client
/// both keep; a leaf's newer key replaces its older one. The bytes are opaque here.
pub fn store_identity_links(
    conn: &Connection,
    room: &str,
    links: &[(String, Vec<u8>)],
) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO identity_links (room_uri, client_uri, wrapped) VALUES (?1, ?2, ?3)
         ON CONFLICT(room_uri, client_uri) DO UPDATE SET wrapped = excluded.wrapped",
    )?;
    for (client, wrapped) in links {
        st.execute(params![room, client, wrapped])?;
    }
    Ok(())
}
