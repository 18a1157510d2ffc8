//! A [`Room`] handle: what acts on one room. Reading its state and roles and committing
//! changes are here; the timeline, membership, moderation and reports are in the submodules.
//! The MLS work behind them is in [`crate::group`].

mod membership;
mod moderation;
mod report;
mod timeline;

use mimi::policy::{self, Action, Decision, PolicyState};
use mimi::uri::{RoomUri, UserUri};

use crate::error::{Error, Result};
use crate::group::{self, Plan};
use crate::pseudonymous;
use crate::shared::{EPOCH_RETRIES, Shared};
use crate::store;
use crate::transport::{answer_unknown, is_wrong_epoch};
use std::sync::Arc;

/// One room of a [`Client`](crate::Client), from [`Client::room`](crate::Client::room): an owned, cheap-to-clone handle that shares
/// the client's state, so a UI can keep it across await points. It does not hold membership:
/// each call checks that the client is in the room then.
#[derive(Clone)]
pub struct Room {
    pub(crate) c: Arc<Shared>,
    uri: RoomUri,
}

impl Room {
    pub(crate) fn new(c: Arc<Shared>, uri: RoomUri) -> Room {
        Room { c, uri }
    }

    /// The room's URI.
    pub fn uri(&self) -> &RoomUri {
        &self.uri
    }

    /// The room's policy state (roles, participants, base policy) as this client holds it.
    pub async fn policy_state(&self) -> Result<PolicyState> {
        let room = &self.uri;
        let conn = self.c.conn.lock().await;
        group::state_of(
            &group::load_group(&conn, &room.to_string())?,
            &self.c.id.trust,
        )
    }

    /// The local user as `room`'s participant list names it: its user pseudonym in a
    /// pseudonymous room.
    pub(crate) async fn me_as(&self) -> Result<UserUri> {
        let room = &self.uri;
        let conn = self.c.conn.lock().await;
        Ok(match pseudonymous::in_room(&conn, &room.to_string())? {
            Some(p) => p.user,
            None => self.c.id.user.clone(),
        })
    }

    /// What the policy engine answers if the local user (or `as_user`) does `action` now — the
    /// same call the UI uses to decide which actions to offer.
    pub async fn can(&self, action: &Action) -> Result<Decision> {
        let state = self.policy_state().await?;
        Ok(policy::decide_action(&state, &self.me_as().await?, action))
    }

    /// Parses a CLI/UI verb into a policy action against `room`'s roles.
    pub async fn action(
        &self,
        verb: &str,
        user: Option<&str>,
        role: Option<&str>,
    ) -> Result<Action> {
        let state = self.policy_state().await?;
        let me = self.me_as().await?;
        let target = match user {
            Some(u) => Some(self.target(u).await?),
            None => None,
        };
        let need =
            |t: Option<UserUri>| t.ok_or_else(|| Error::Usage(format!("{verb} needs a USER")));
        let role_or = |default: Option<u32>| -> Result<u32> {
            match role {
                Some(r) => resolve_role(&state, r),
                None => default.ok_or_else(|| Error::Usage(format!("{verb} needs --role ROLE"))),
            }
        };
        Ok(match verb {
            "add" | "invite" => {
                let t = need(target)?;
                let r = match role {
                    Some(r) => resolve_role(&state, r)?,
                    None => default_add_role(&state, &me, &t)?,
                };
                Action::Add { target: t, role: r }
            }
            "remove" => Action::Remove {
                target: need(target)?,
            },
            "kick" => Action::Kick {
                target: need(target)?,
            },
            "ban" => Action::Ban {
                target: need(target)?,
            },
            "unban" => Action::Unban {
                target: need(target)?,
                role: role_or(None)?,
            },
            "role" | "set-role" => Action::ChangeRole {
                target: need(target)?,
                role: role_or(None)?,
            },
            "leave" => Action::Leave,
            "send" => Action::SendMessage,
            "receive" => Action::ReceiveMessage,
            "report" => Action::ReportAbuse,
            // POLICY §8.3: what replies, reactions, edits and deletes need besides sending.
            "reply" => Action::Message(policy::Capability::CAN_REPLY_TO_MESSAGE),
            "react" => Action::Message(policy::Capability::CAN_REACT_TO_MESSAGE),
            "unreact" => Action::Message(policy::Capability::CAN_DELETE_OWN_REACTION),
            "edit" => Action::Message(policy::Capability::CAN_EDIT_OWN_MESSAGE),
            "delete-own" => Action::Message(policy::Capability::CAN_DELETE_OWN_MESSAGE),
            "delete-other" => Action::Message(policy::Capability::CAN_DELETE_OTHER_MESSAGE),
            other => {
                return Err(Error::Usage(format!(
                    "unknown action {other:?}: use add, remove, kick, ban, unban, role, leave, send, receive, report, reply, react, unreact, edit, delete-own or delete-other"
                )));
            }
        })
    }

    /// The participant a moderation command names: a user on this hub or a user URI; in a
    /// pseudonymous room also a listed user pseudonym, and a real user is found through the
    /// resolved pseudonyms (only a verified one: a moderator acts on whom it can see).
    pub async fn target(&self, s: &str) -> Result<UserUri> {
        let user = self.c.resolve_user(s)?;
        let members = self.members().await?;
        if !members.iter().any(|m| m.verified.is_some())
            || members.iter().any(|m| m.user == user.to_string())
        {
            return Ok(user);
        }
        let found = members
            .iter()
            .find(|m| m.real_user.as_deref() == Some(&user.to_string()))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{user} is not a verified member of this pseudonymous room; name their pseudonym (room members)"
                ))
            })?;
        Ok(UserUri::parse(&found.user)?)
    }

    /// The room's role definitions.
    pub async fn roles(&self) -> Result<Vec<crate::roles::RoleInfo>> {
        Ok(crate::roles::describe(&self.policy_state().await?.roles))
    }

    /// The local user's role in a room and what it may do now: the answer a UI needs to say
    /// "You are muted in this room".
    pub async fn me_in(&self) -> Result<crate::roles::RoleInfo> {
        let state = self.policy_state().await?;
        let role = state.role_of(&self.me_as().await?);
        state
            .role(role)
            .map(crate::roles::RoleInfo::from)
            .ok_or_else(|| Error::Usage(format!("the room defines no role {role}")))
    }

    /// How many messages of the room this client did not show because the local user could not
    /// receive them, or their sender could not send them (POLICY §8.3).
    pub async fn hidden_count(&self) -> Result<u64> {
        let room = &self.uri;
        store::hidden(&*self.c.conn.lock().await, &room.to_string())
    }

    /// Marks everything in a room read (its unread count goes to 0 until the next message).
    pub async fn mark_read(&self) -> Result<()> {
        let room = &self.uri;
        store::mark_read(&*self.c.conn.lock().await, &room.to_string())
    }

    /// The room's current MLS epoch as this client sees it.
    pub async fn epoch(&self) -> Result<u64> {
        let room = &self.uri;
        Ok(
            group::load_group(&*self.c.conn.lock().await, &room.to_string())?
                .epoch()
                .as_u64(),
        )
    }

    /// Stages, submits and merges a commit; on `wrongEpoch` catches up and tries again.
    pub(crate) async fn commit(&self, plan: &Plan) -> Result<()> {
        self.commit_with(|_| Ok(plan.clone())).await
    }

    /// Like [`Room::commit`], with the plan built from the room's state as it is at each
    /// attempt: after catching up, or after committing held proposals first, participant-list
    /// indices may have moved, so a plan that names them is made anew.
    pub(crate) async fn commit_with(
        &self,
        build: impl Fn(&PolicyState) -> Result<Plan>,
    ) -> Result<()> {
        let room = &self.uri;
        let r = room.to_string();
        let nothing = Plan::default();
        for _ in 0..EPOCH_RETRIES {
            let mut conn = self.c.conn.lock().await;
            // A commit or leave of ours still unanswered is settled first (RELIABILITY.md).
            self.c.settle_handshake(&mut conn, &r).await?;
            // Proposals the room holds (a leave, the hub's removal) are committed on their own
            // first: one commit may update a component once, and a leave updates the
            // participant list (PROTO §3.5).
            let plan = build(&group::state_of(
                &group::load_group(&conn, &r)?,
                &self.c.id.trust,
            )?)?;
            let proposals_first = !plan.is_empty() && group::has_pending_proposals(&conn, &r)?;
            let this = if proposals_first { &nothing } else { &plan };
            let precheck = !self.c.switches.skip_precheck();
            let me = self.c.in_room(&conn, &r)?;
            let Some(bundle) = group::stage_commit(&mut conn, me.id(&self.c), &r, this, precheck)?
            else {
                return Ok(());
            };
            crate::switches::failpoint("commit:after-stage");
            match me
                .hub(&self.c)
                .update_until_answered(room.local(), &bundle)
                .await
            {
                Ok(accepted) => {
                    crate::switches::failpoint("commit:after-accept");
                    let events = group::merge_pending(
                        &mut conn,
                        me.id(&self.c),
                        &r,
                        accepted.accepted_timestamp,
                    )?;
                    if let Some(a) = &this.add_aad {
                        pseudonymous::store_links(&conn, &r, &a.links)?;
                    }
                    drop(conn);
                    self.c.emit(events);
                    if !proposals_first {
                        return Ok(());
                    }
                }
                Err(e) if is_wrong_epoch(&e) => {
                    group::clear_pending(&mut conn, &r)?;
                    self.c.catch_up(conn, &r, &e).await?;
                }
                // The hub may have accepted it: the pending commit stays, and the next action
                // in this room or the next sync settles it.
                Err(e) if answer_unknown(&e) => return Err(e),
                Err(e) => {
                    group::clear_pending(&mut conn, &r)?;
                    return Err(e);
                }
            }
        }
        Err(Shared::kept_moving(room))
    }
}

pub(crate) fn resolve_role(state: &PolicyState, role: &str) -> Result<u32> {
    if let Ok(i) = role.parse::<u32>()
        && state.role(i).is_some()
    {
        return Ok(i);
    }
    state
        .roles
        .roles
        .iter()
        .find(|r| r.name() == role)
        .map(|r| r.role_index)
        .ok_or_else(|| {
            let names: Vec<String> = state.roles.roles.iter().map(|r| r.name()).collect();
            Error::Usage(format!(
                "the room has no role {role:?}; its roles are {}",
                names.join(", ")
            ))
        })
}

/// The first role `actor` may add `target` to (its role's entry from 0, POLICY §8.1).
pub fn default_add_role(state: &PolicyState, actor: &UserUri, target: &UserUri) -> Result<u32> {
    let targets: Vec<u32> = state
        .role(state.role_of(actor))
        .and_then(|r| {
            r.authorized_role_changes
                .iter()
                .find(|c| c.from_role_index == 0)
                .map(|c| c.target_role_indexes.clone())
        })
        .unwrap_or_default();
    // The least-privileged full participant: the first allowed role whose holders may bring
    // their own devices (canAddOwnClient), e.g. attendee rather than the receive-only guest.
    let allowed: Vec<u32> = targets
        .into_iter()
        .filter(|t| *t > 1)
        .filter(|t| {
            let action = Action::Add {
                target: target.clone(),
                role: *t,
            };
            policy::decide_action(state, actor, &action) == Decision::Allowed
        })
        .collect();
    let full = allowed.iter().copied().find(|t| {
        state
            .role(*t)
            .is_some_and(|r| r.lists(policy::Capability::CAN_ADD_OWN_CLIENT))
    });
    if let Some(t) = full.or(allowed.first().copied()) {
        return Ok(t);
    }
    match policy::decide_action(
        state,
        actor,
        &Action::Add {
            target: target.clone(),
            role: 2,
        },
    ) {
        Decision::Denied { rule, reason } => Err(Error::NotAllowed {
            rule: rule.to_owned(),
            reason,
        }),
        Decision::Allowed => Ok(2),
    }
}

pub(crate) fn listed_index(state: &PolicyState, user: &UserUri) -> Result<u32> {
    state
        .participants
        .index_of(&user.to_bytes())
        .map(|i| i as u32)
        .ok_or_else(|| Error::Usage(format!("{user} is not in the room")))
}

#[cfg(test)]
mod tests {
    use super::Room;
    use crate::Client;

    /// A UI keeps handles across await points and hands them between tasks: both are owned,
    /// cheap to clone, and may cross threads.
    #[test]
    fn handles_are_owned_clone_send_and_sync() {
        fn owned<T: Clone + Send + Sync + 'static>() {}
        owned::<Client>();
        owned::<Room>();
    }
}
