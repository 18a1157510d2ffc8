//! Reporting abuse to the hub (PROTO §5.9).

use mimi::ids;
use mimi::policy::{Action, Decision};
use mimi::wire::IdentifierUri;

use crate::error::{Error, Result};
use crate::room::Room;
use crate::store;

impl Room {
    /// Reports messages of one sender to the hub (PROTO §5.9): each goes with its exact content
    /// bytes and the hub's Frank, so the hub can verify it without having kept a copy. Needs
    /// canReportAbuse; unverified messages cannot be reported. Returns the report's id.
    pub async fn report(
        &self,
        message_ids: &[String],
        reason: Option<&str>,
        note: Option<&str>,
    ) -> Result<i64> {
        let room = &self.uri;
        if !self.c.switches.skip_precheck()
            && let Decision::Denied { rule, reason } = self.can(&Action::ReportAbuse).await?
        {
            return Err(Error::NotAllowed {
                rule: rule.to_owned(),
                reason,
            });
        }
        if message_ids.is_empty() {
            return Err(Error::Usage("name at least one message to report".into()));
        }
        let mut messages = Vec::new();
        let mut abuser: Option<String> = None;
        {
            let conn = self.c.conn.lock().await;
            for mid in message_ids {
                let store::Reportable {
                    content,
                    frank,
                    timestamp,
                    sender,
                    verified,
                } = store::reportable(&conn, &room.to_string(), mid)?
                    .ok_or_else(|| Error::Usage(format!("no message {mid} in {room}")))?;
                let frank = match (verified, frank) {
                    (true, Some(f)) => mimi::wire::decode::<mimi::wire::Frank>(&f, "Frank")?,
                    _ => {
                        return Err(Error::Usage(format!(
                            "message {mid} is unverified: its frank did not check out, so it cannot be reported"
                        )));
                    }
                };
                match &abuser {
                    Some(a) if a != &sender => {
                        return Err(Error::Usage(
                            "a report is about one sender: report each sender's messages separately"
                                .into(),
                        ));
                    }
                    _ => abuser = Some(sender),
                }
                messages.push(mimi::franking::AbusiveMessage {
                    message_content: content.into(),
                    frank,
                    accepted_timestamp: timestamp,
                });
            }
        }
        let report = mimi::franking::AbuseReport {
            reporting_user: IdentifierUri::new(&self.me_as().await?),
            alleged_abuser_uri: IdentifierUri {
                uri: abuser.unwrap_or_default().into_bytes().into(),
            },
            reason_code: 0,
            note: note.unwrap_or_default().as_bytes().to_vec().into(),
            messages,
            abuse_extensions: reason
                .map(|r| mimi::franking::ComponentData {
                    component_id: ids::REPORT_REASON,
                    data: r.as_bytes().to_vec().into(),
                })
                .into_iter()
                .collect(),
        };
        let hub = {
            let conn = self.c.conn.lock().await;
            self.c
                .in_room(&conn, &room.to_string())?
                .hub(&self.c)
                .clone()
        };
        let abuser = String::from_utf8_lossy(report.alleged_abuser_uri.uri.as_slice()).into_owned();
        let id = hub.report(room.local(), report.to_bytes()).await?;
        store::keep_report(
            &*self.c.conn.lock().await,
            &store::FiledReport {
                id,
                room: room.to_string(),
                abuser,
                message_ids: message_ids.to_vec(),
                reason: reason.unwrap_or_default().to_owned(),
                note: note.unwrap_or_default().to_owned(),
                filed_at: store::now_ms(),
            },
        )?;
        Ok(id)
    }
}
