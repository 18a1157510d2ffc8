//! The GroupInfo of a room's recent epochs (the last [`crate::reconcile::KEEP_EPOCHS`]): the one
//! the creator gave at epoch 0 and each committer's after, all checked by the hub before it took
//! them. A member who joined by a Welcome asks for the one of its epoch and checks that the room
//! it joined is the room the hub follows (`GET /v1/rooms/{room}/group-info/{epoch}`).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::reconcile::KEEP_EPOCHS;

/// Keeps `group_info` (TLS `GroupInfo`) as `room`'s at `epoch`, forgetting those too old.
pub fn keep(tx: &Connection, room: &str, epoch: u64, group_info: &[u8]) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO group_infos (room_uri, epoch, group_info) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![room, epoch as i64, group_info])?;
    if epoch > KEEP_EPOCHS {
        tx.prepare_cached("DELETE FROM group_infos WHERE room_uri = ?1 AND epoch < ?2")?
            .execute(params![room, (epoch - KEEP_EPOCHS) as i64])?;
    }
    Ok(())
}

/// `room`'s GroupInfo at `epoch`.
pub fn at(conn: &Connection, room: &str, epoch: u64) -> Result<Vec<u8>> {
    conn.prepare_cached("SELECT group_info FROM group_infos WHERE room_uri = ?1 AND epoch = ?2")?
        .query_row(params![room, epoch as i64], |r| r.get(0))
        .optional()?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "the hub keeps no GroupInfo of epoch {epoch} of this room (only of its last {KEEP_EPOCHS} epochs)"
            ))
        })
}
