//! Moderation: roles, kicks, bans, mutes and suspensions (POLICY §8.1).

use mimi::components::{ParticipantListUpdate, RoleData, UserindexRolePair};
use mimi::ids;
use mimi::policy::{self};

use super::{listed_index, resolve_role};
use crate::error::{Error, Result};
use crate::group::Plan;
use crate::room::Room;

impl Room {
    /// Changes another user's role (POLICY §8.1 canChangeUserRole, or canBan/canUnban when
    /// moving to or from `banned`).
    pub async fn set_role(&self, user: &str, role: &str) -> Result<()> {
        let user = self.target(user).await?;
        self.commit_with(|state| {
            let role = resolve_role(state, role)?;
            let index = listed_index(state, &user)?;
            let update = ParticipantListUpdate {
                changed_role_participants: vec![UserindexRolePair {
                    user_index: index,
                    role_index: role,
                }],
                ..Default::default()
            };
            let mut plan = Plan {
                updates: vec![(ids::PARTICIPANT_LIST, update.to_bytes())],
                ..Default::default()
            };
            // A role that allows no active participants (e.g. banned) takes the user's clients
            // out.
            if state.role(role).is_some_and(|r| !r.allows_active()) {
                plan.removes = state.clients_of(&user).map(|c| c.client.clone()).collect();
            }
            Ok(plan)
        })
        .await
    }

    /// Removes all of a user's clients, keeping the user listed with its role (canKick).
    pub async fn kick(&self, user: &str) -> Result<()> {
        let room = &self.uri;
        let state = self.policy_state().await?;
        let user = self.target(user).await?;
        listed_index(&state, &user)?;
        let plan = Plan {
            removes: state.clients_of(&user).map(|c| c.client.clone()).collect(),
            ..Default::default()
        };
        if plan.removes.is_empty() {
            return Err(Error::NothingToAdd(format!(
                "{user} has no clients in {room}"
            )));
        }
        self.commit(&plan).await
    }

    /// Bans a user: role 1 `banned` and all their clients out (canBan).
    pub async fn ban(&self, user: &str) -> Result<()> {
        self.set_role(user, "banned").await
    }

    /// Unbans a user to `role`, by default the role they would be invited as (canUnban). Their
    /// clients are not added back: they come back by invitation.
    pub async fn unban(&self, user: &str, role: Option<&str>) -> Result<()> {
        let state = self.policy_state().await?;
        let target = self.target(user).await?;
        let role = match role {
            Some(r) => r.to_owned(),
            None => {
                let r = state
                    .role(state.role_of(&self.me_as().await?))
                    .and_then(|r| {
                        r.authorized_role_changes
                            .iter()
                            .find(|c| c.from_role_index == 1)
                            .and_then(|c| c.target_role_indexes.iter().find(|t| **t > 1).copied())
                    })
                    .ok_or_else(|| Error::NotAllowed {
                        rule: "canUnban".into(),
                        reason: format!("your role may not unban {target}"),
                    })?;
                r.to_string()
            }
        };
        self.set_role(user, &role).await
    }

    /// Removes a user from the room: out of the participant list and all clients out
    /// (canRemoveParticipant).
    pub async fn remove_user(&self, user: &str) -> Result<()> {
        let user = self.target(user).await?;
        self.commit_with(|state| {
            let index = listed_index(state, &user)?;
            let update = ParticipantListUpdate {
                removed_indices: vec![index],
                ..Default::default()
            };
            Ok(Plan {
                removes: state.clients_of(&user).map(|c| c.client.clone()).collect(),
                updates: vec![(ids::PARTICIPANT_LIST, update.to_bytes())],
                ..Default::default()
            })
        })
        .await
    }

    /// Mutes a user: moves them to a role without canSendMessage that still receives (e.g.
    /// `guest`), remembering their role for [`Room::unmute`].
    pub async fn mute(&self, user: &str) -> Result<()> {
        self.move_aside(user, Aside::Mute).await
    }

    /// Takes canReceiveMessage away from a user: moves them to a role without it (e.g.
    /// `suspended`), remembering their role for [`Room::unsuspend`].
    pub async fn suspend(&self, user: &str) -> Result<()> {
        self.move_aside(user, Aside::Suspend).await
    }

    /// Gives a muted user their voice back: `role`, or the role they had before.
    pub async fn unmute(&self, user: &str, role: Option<&str>) -> Result<()> {
        self.move_back(user, role).await
    }

    /// Gives a suspended user their messages back: `role`, or the role they had before.
    pub async fn unsuspend(&self, user: &str, role: Option<&str>) -> Result<()> {
        self.move_back(user, role).await
    }

    async fn move_aside(&self, user: &str, aside: Aside) -> Result<()> {
        let room = &self.uri;
        let state = self.policy_state().await?;
        let target = self.target(user).await?;
        listed_index(&state, &target)?;
        let current = state.role_of(&target);
        let fits = |r: &mimi::components::Role| {
            let send = r.lists(policy::Capability::CAN_SEND_MESSAGE);
            let receive = r.lists(policy::Capability::CAN_RECEIVE_MESSAGE);
            r.role_index > 1
                && r.allows_active()
                && !send
                && match aside {
                    Aside::Mute => receive,
                    Aside::Suspend => !receive,
                }
        };
        let (verb, preferred) = match aside {
            Aside::Mute => ("mute", "guest"),
            Aside::Suspend => ("suspend", "suspended"),
        };
        if state.role(current).is_some_and(fits) {
            return Err(Error::Usage(format!(
                "{target} is already {verb}d ({})",
                state.role_name(current)
            )));
        }
        let mut candidates: Vec<&mimi::components::Role> =
            state.roles.roles.iter().filter(|r| fits(r)).collect();
        candidates.sort_by_key(|r| (r.name() != preferred, r.role_index));
        let Some(role) = candidates.first() else {
            return Err(Error::Usage(format!(
                "this room's roles have no role to {verb} with: one without canSendMessage{} that may have clients",
                match aside {
                    Aside::Mute => " but with canReceiveMessage",
                    Aside::Suspend => " and without canReceiveMessage",
                }
            )));
        };
        let role = role.role_index.to_string();
        self.set_role(user, &role).await?;
        self.c.conn.lock().await.execute(
            "INSERT INTO previous_roles (room_uri, user_uri, role_index) VALUES (?1, ?2, ?3)
             ON CONFLICT(room_uri, user_uri) DO UPDATE SET role_index = excluded.role_index",
            rusqlite::params![room.to_string(), target.to_string(), current],
        )?;
        Ok(())
    }

    async fn move_back(&self, user: &str, role: Option<&str>) -> Result<()> {
        let room = &self.uri;
        let target = self.target(user).await?;
        let role = match role {
            Some(r) => r.to_owned(),
            None => {
                let remembered: Option<i64> = self.c
                    .conn
                    .lock()
                    .await
                    .query_row(
                        "SELECT role_index FROM previous_roles WHERE room_uri = ?1 AND user_uri = ?2",
                        [room.to_string(), target.to_string()],
                        |r| r.get(0),
                    )
                    .ok();
                remembered.map(|r| r.to_string()).ok_or_else(|| {
                    Error::Usage(format!(
                        "this device does not know which role {target} had before: name one"
                    ))
                })?
            }
        };
        self.set_role(user, &role).await?;
        self.c.conn.lock().await.execute(
            "DELETE FROM previous_roles WHERE room_uri = ?1 AND user_uri = ?2",
            [room.to_string(), target.to_string()],
        )?;
        Ok(())
    }

    /// Replaces the room's role definitions (canChangeRoleDefinitions).
    pub async fn define_roles(&self, roles: &RoleData) -> Result<()> {
        let plan = Plan {
            updates: vec![(ids::ROLES_LIST, roles.to_bytes())],
            ..Default::default()
        };
        self.commit(&plan).await
    }
}

#[derive(Clone, Copy)]
enum Aside {
    Mute,
    Suspend,
}
