//! Test-only (the `test-switches` feature, which only the test crates enable): `POST
//! /v1/test/panic?where=db|handler[&name=NAME]` panics where it is told, so that the tests can
//! show that a panic is answered `500 internal` and the hub goes on serving. `where=db` first
//! writes a user `NAME` and then panics, in a database job that runs first in the next batch
//! holding another request's job ([`AppState::db_in_next_batch`]); `where=handler` panics in the
//! handler itself. Not one of [`super::routes`]: release builds have no such endpoint.

use axum::Json;
use axum::extract::{Query, State};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::{AppState, Inner};

#[derive(Deserialize)]
pub struct PanicQuery {
    r#where: String,
    name: Option<String>,
}

pub async fn panic(State(s): State<AppState>, Query(q): Query<PanicQuery>) -> Result<Json<Value>> {
    match q.r#where.as_str() {
        "handler" => panic!("test-switches: a panic in a request handler"),
        "db" => {
            let name = q.name.unwrap_or_else(|| "panicked".into());
            s.db_in_next_batch(move |c: &mut Connection, i: &Inner| -> Result<()> {
                c.execute(
                    "INSERT INTO users (uri, name, created_at) VALUES (?1, ?2, 0)",
                    [format!("mimi://{}/u/{name}", i.domain), name.clone()],
                )?;
                panic!("test-switches: a panic in a database job, after it wrote {name}");
            })
            .await?;
            Ok(Json(json!({})))
        }
        other => Err(Error::MalformedBody(format!(
            "where={other}: say db or handler"
        ))),
    }
}
