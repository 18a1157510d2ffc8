//! Who is in a room: its members, inviting users, leaving.

use mimi::components::{ParticipantListUpdate, UserRolePair};
use mimi::ids;
use mimi::policy::PolicyState;
use mimi::uri::UserUri;
use mimi::wire::{
    IdentifierUri, Inline, KEY_MATERIAL_REQUEST_LABEL, KeyMaterialRequest, Protocol, encode,
};
use openmls::prelude::{Credential, KeyPackage};
use openmls_traits::signatures::Signer as _;
use tls_codec::Serialize as _;

use super::{default_add_role, resolve_role};
use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::group::{self, MemberInfo, Plan};
use crate::identity;
use crate::pending;
use crate::pseudonymous;
use crate::room::Room;
use crate::shared::{EPOCH_RETRIES, Shared};
use crate::store;
use crate::transport::{answer_unknown, is_wrong_epoch};

impl Room {
    /// The members of a room; in a pseudonymous room each pseudonym is resolved to the real user
    /// behind it where every check passes (`specs/mimi.md` §4.7), fetching the wrapped
    /// identity_link_keys this client lacks from the hub (MIMIMI §4.1 step 4).
    pub async fn members(&self) -> Result<Vec<MemberInfo>> {
        let room = &self.uri;
        let r = room.to_string();
        let conn = self.c.conn.lock().await;
        if group::is_pseudonymous(&conn, &self.c.id, &r)?
            && !pseudonymous::has_all_links(
                &conn,
                &r,
                &group::leaf_pseudonyms(&conn, &self.c.id, &r)?,
            )?
        {
            let hub = self.c.in_room(&conn, &r)?.hub(&self.c).clone();
            let links = hub.identity_links(room.local()).await?;
            pseudonymous::store_links(&conn, &r, &links)?;
        }
        group::members(&conn, &self.c.id, &r)
    }

    pub(crate) async fn claim(
        &self,
        user: &UserUri,
    ) -> Result<Vec<(mimi::credential::ClientIdentity, KeyPackage)>> {
        let room = &self.uri;
        let cwk = self.c.id.credential_with_key();
        let mut req = KeyMaterialRequest {
            protocol: Protocol::Mls10,
            requesting_user: IdentifierUri::new(&self.c.id.user),
            target_user: IdentifierUri::new(user),
            room_id: IdentifierUri::new(room),
            acceptable_ciphersuites: vec![mimi::ids::CIPHERSUITE],
            required_capabilities: Inline::from_bytes(
                identity::required_capabilities()
                    .tls_serialize_detached()
                    .map_err(Error::mls)?,
                "RequiredCapabilities",
            )?,
            requester_signature_key: self.c.id.signer.public().to_vec().into(),
            requester_credential: Inline::<Credential>::from_bytes(
                cwk.credential
                    .tls_serialize_detached()
                    .map_err(Error::mls)?,
                "Credential",
            )?,
            signature: Vec::new().into(),
        };
        let tbs = mimi::credential::sign_content(KEY_MATERIAL_REQUEST_LABEL, &req.tbs());
        req.signature = self
            .c
            .id
            .signer
            .sign(&tbs)
            .map_err(|e| Error::Mls(format!("signing: {e:?}")))?
            .into();
        let resp = self.c.hub.key_material(encode(&req)).await?;
        let packages = group::validate_key_material(&resp, user, &self.c.id.trust)?;
        // SECURITY.md "Devices": a device its user's pinned key did not approve is not added,
        // even when the hub serves it (a client playing a misbehaving member skips this).
        if self.c.switches.skip_precheck() {
            return Ok(packages);
        }
        let mut kept = Vec::new();
        let mut refusals = Vec::new();
        {
            let conn = self.c.conn.lock().await;
            for (who, kp) in packages {
                let leaf = kp.leaf_node();
                match crate::user_key::check(
                    &conn,
                    &self.c.id.trust,
                    leaf.credential(),
                    leaf.signature_key().as_slice(),
                )? {
                    Ok(()) => kept.push((who, kp)),
                    Err(r) => refusals.push(r),
                }
            }
        }
        let mut events = group::key_changes(&refusals);
        for r in &refusals {
            tracing::warn!(room = %room, client = %r.client, reason = %r.reason, "not adding a device");
            events.push(ClientEvent::Refused {
                room: room.to_string(),
                rule: "user_key".into(),
                reason: r.reason.clone(),
            });
        }
        self.c.emit(events);
        Ok(kept)
    }

    /// Invites users (names on this hub, or user URIs) to a room as the first role the local
    /// user may add them to; see [`Room::invite_as`].
    pub async fn invite(&self, users: &[String]) -> Result<()> {
        self.invite_as(users, None).await
    }

    /// Invites users to a room: lists each one not yet listed with `role` (by default the first
    /// role the local user's role may add to, POLICY §8.1 canAddParticipant), claims their
    /// KeyPackages and commits the participant-list update with the Adds in one commit (PROTO
    /// §5.3); the Welcome goes out through the hub. A listed user whose clients were kicked is let
    /// back in with Adds alone.
    pub async fn invite_as(&self, users: &[String], role: Option<&str>) -> Result<()> {
        let room = &self.uri;
        let state = self.policy_state().await?;
        if state.base.pseudonyms_allowed {
            return self.invite_pseudonymous(&state, users, role).await;
        }
        let mut plan = Plan::default();
        let mut added = ParticipantListUpdate::default();
        for u in users {
            let user = self.c.resolve_user(u)?;
            if state.participants.index_of(&user.to_bytes()).is_none() {
                let role = match role {
                    Some(r) => resolve_role(&state, r)?,
                    None => default_add_role(&state, &self.c.id.user, &user)?,
                };
                added.added_participants.push(UserRolePair {
                    user: user.to_bytes().into(),
                    role_index: role,
                });
            }
            let kps = self.claim(&user).await?;
            if kps.is_empty() {
                return Err(Error::NothingToAdd(format!(
                    "{user} has no device that could be added to {room} (not registered, out of KeyPackages, or already in the room)"
                )));
            }
            plan.adds.extend(kps);
        }
        if !added.added_participants.is_empty() {
            plan.updates.push((ids::PARTICIPANT_LIST, added.to_bytes()));
        }
        self.commit(&plan).await
    }

    /// MIMIMI §4.1: adds connected users to a pseudonymous room. For each, claims a complete
    /// KeyPackage set under their connection token, checks that every KeyPackage resolves to
    /// one of their clients, lists their user pseudonym, and commits the Adds with the wrapped
    /// identity_link_keys in AddAAD and the room's wrapper key in the Welcome's GroupInfo.
    async fn invite_pseudonymous(
        &self,
        state: &PolicyState,
        users: &[String],
        role: Option<&str>,
    ) -> Result<()> {
        let room = &self.uri;
        let crypto = openmls_rust_crypto::RustCrypto::default();
        let me = self.me_as().await?;
        let mut plan = Plan::default();
        let mut added = ParticipantListUpdate::default();
        let mut adds = Vec::new();
        let mut wrapper_key = None;
        for u in users {
            let user = self.c.resolve_user(u)?;
            let (ck, wrapper) = {
                let conn = self.c.conn.lock().await;
                let ck = crate::connections::their_key(&conn, &user)?.ok_or_else(|| {
                    Error::Usage(format!(
                        "connect with {user} first: only connected users can add each other to a pseudonymous room (MIMIMI §5)"
                    ))
                })?;
                let wrapper =
                    pseudonymous::wrapper_key(&conn, &room.to_string())?.ok_or_else(|| {
                        Error::Mls(format!("this device lacks the wrapper key of {room}"))
                    })?;
                (ck, wrapper)
            };
            let token = ck
                .connection_token(&crypto)
                .map_err(|e| Error::Mls(e.to_string()))?;
            let (up, packages) = self.c.hub.claim_key_package_set(&token).await?;
            let up = UserUri::parse(&up)?;
            let checked = pseudonymous::check_set(&self.c.id, &user, &ck, &up, &packages)?;
            if state.participants.index_of(&up.to_bytes()).is_none() {
                let role = match role {
                    Some(r) => resolve_role(state, r)?,
                    None => default_add_role(state, &me, &up)?,
                };
                added.added_participants.push(UserRolePair {
                    user: up.to_bytes().into(),
                    role_index: role,
                });
            }
            adds.extend(checked);
            wrapper_key = Some(wrapper);
        }
        if !added.added_participants.is_empty() {
            plan.updates.push((ids::PARTICIPANT_LIST, added.to_bytes()));
        }
        if let Some(wrapper) = wrapper_key {
            plan_pseudonymous_adds(&mut plan, wrapper, adds)?;
        }
        self.commit(&plan).await
    }

    /// Adds this user's other devices waiting to join this pseudonymous room as client
    /// pseudonyms of this client's user pseudonym here (`crate::siblings`): claims what they left
    /// at the hub, keeps each KeyPackage whose identity link resolves to this very user, and
    /// commits the Adds as any pseudonymous add (MIMIMI §4.1). Returns how many were added.
    pub(crate) async fn add_sibling_pseudonyms(&self) -> Result<usize> {
        let r = self.uri.to_string();
        let (hub, wrapper, user_pseudonym) = {
            let conn = self.c.conn.lock().await;
            let hub = self.c.in_room(&conn, &r)?.hub(&self.c).clone();
            let wrapper = pseudonymous::wrapper_key(&conn, &r)?
                .ok_or_else(|| Error::Mls(format!("this device lacks the wrapper key of {r}")))?;
            let me = pseudonymous::in_room(&conn, &r)?
                .ok_or_else(|| Error::Mls(format!("this device has no pseudonym in {r}")))?;
            (hub, wrapper, me.user)
        };
        let packages = hub.claim_sibling_key_packages().await?;
        if packages.is_empty() {
            return Ok(0);
        }
        let ck = crate::connections::my_connection_key(self.c.secrets.as_ref())?;
        let mut adds = Vec::new();
        for kp in packages {
            // One at a time: a KeyPackage planted under this user pseudonym by someone else
            // resolves to no device of this user and is left out alone.
            match pseudonymous::check_set(
                &self.c.id,
                &self.c.id.user,
                &ck,
                &user_pseudonym,
                std::slice::from_ref(&kp),
            ) {
                Ok(checked) => adds.extend(checked),
                Err(e) => tracing::warn!(room = %r, error = %e, "not adding a sibling KeyPackage"),
            }
        }
        let n = adds.len();
        if n == 0 {
            return Ok(0);
        }
        let mut plan = Plan::default();
        plan_pseudonymous_adds(&mut plan, wrapper, adds)?;
        self.commit(&plan).await?;
        Ok(n)
    }

    /// Leaves a room: a SelfRemove proposal that the next committer includes (MLSEXT §6.3).
    pub async fn leave(&self) -> Result<()> {
        let room = &self.uri;
        let r = room.to_string();
        for _ in 0..EPOCH_RETRIES {
            let mut conn = self.c.conn.lock().await;
            self.c.settle_handshake(&mut conn, &r).await?;
            if store::room_group(&conn, &r)?.is_none() {
                // A leave settled just now finished it.
                return Ok(());
            }
            let me = self.c.in_room(&conn, &r)?;
            let bundle = group::leave_proposals(&mut conn, me.id(&self.c), &r)?;
            match me
                .hub(&self.c)
                .update_until_answered(room.local(), &bundle)
                .await
            {
                Ok(_) => {
                    group::mark_left(&mut conn, &r)?;
                    drop(conn);
                    self.c.emit([ClientEvent::RoomLeft { room: r }]);
                    return Ok(());
                }
                Err(e) if is_wrong_epoch(&e) => {
                    pending::forget_handshake(&conn, &r)?;
                    self.c.catch_up(conn, &r, &e).await?;
                }
                // Perhaps taken: kept, and settled by the next sync.
                Err(e) if answer_unknown(&e) => return Err(e),
                Err(e) => {
                    pending::forget_handshake(&conn, &r)?;
                    return Err(e);
                }
            }
        }
        Err(Shared::kept_moving(room))
    }
}

/// Puts checked pseudonymous KeyPackages into `plan` as Adds, with their identity_link_keys
/// wrapped under the room's wrapper key in the commit's AddAAD, and the wrapper key in the
/// Welcome's GroupInfo (MIMIMI §4.1).
fn plan_pseudonymous_adds(
    plan: &mut Plan,
    wrapper: mimi::identity::IdentityLinkWrapperKey,
    adds: Vec<(
        mimi::credential::ClientIdentity,
        KeyPackage,
        mimi::identity::IdentityLinkKey,
    )>,
) -> Result<()> {
    let crypto = openmls_rust_crypto::RustCrypto::default();
    let mut wrapped_keys = Vec::new();
    let mut links = Vec::new();
    for (who, kp, link_key) in adds {
        let sealed = wrapper
            .wrap(&crypto, &who.client, &link_key, rand::random())
            .map_err(|e| Error::Mls(e.to_string()))?;
        links.push((who.client.to_string(), sealed.to_bytes()));
        wrapped_keys.push(sealed);
        plan.adds.push((who, kp));
    }
    plan.welcome_extension = Some(
        mimi::identity::IdentityLinkExtension {
            identity_link_wrapper_key: wrapper,
        }
        .to_bytes(),
    );
    plan.add_aad = Some(group::AddAadPlan {
        aad: mimi::identity::AddAad { wrapped_keys }.to_bytes(),
        links,
    });
    Ok(())
}
