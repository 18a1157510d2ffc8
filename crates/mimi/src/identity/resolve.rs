//! Resolving a pseudonymous leaf to the real client behind it: `specs/mimi.md` §4.7 steps 1–6,
//! in the order written there, each failure its own [`Unresolved`] reason.

use std::collections::BTreeMap;

use openmls::prelude::{Credential, OpenMlsCrypto};

use super::Trust;
use super::credential::{IdentityLinkTbe, PSEUDONYMOUS_CREDENTIAL_LABEL, PseudonymousCredential};
use super::keys::{ConnectionKey, IdentityLinkKey, IdentityLinkWrapperKey};
use super::seal::{Purpose, Sealed};
use super::{IdentityError, Unresolved};
use crate::credential::{ClientIdentity, ProviderCredential, verify_with_label};
use crate::uri::{ClientUri, UserUri};

/// Where a leaf's identity_link_key comes from (§4.7 step 1).
#[derive(Debug, Clone, Copy)]
pub enum LinkKeySource<'a> {
    /// The owner is connected to us: derive it from the owner's connection key.
    Connection(&'a ConnectionKey),
    /// The hub-stored wrapped key of this leaf, opened with the room's wrapper key.
    Wrapped {
        /// The room's identity_link_wrapper_key.
        wrapper_key: &'a IdentityLinkWrapperKey,
        /// The TLS bytes of the wrapped key as the hub served them.
        wrapped: &'a [u8],
    },
    /// Already known (our own leaf, or derived earlier).
    Known(&'a IdentityLinkKey),
}

/// What a resolution is checked against: the room as this member sees it.
#[derive(Debug, Clone, Copy)]
pub struct RoomView<'a> {
    /// Whom this member trusts to issue real credentials (step 3).
    pub trust: &'a Trust,
    /// The user pseudonyms of the room's participant list (step 6).
    pub participants: &'a [UserUri],
    /// The room's other leaves resolved so far (step 6: one real user, one user pseudonym).
    pub resolved: &'a [Resolution],
}

/// Who is behind a pseudonymous leaf, as far as this member can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Every check of §4.7 passed: the leaf is this real client.
    Verified {
        /// The real client and user.
        real: ClientIdentity,
        /// The leaf's client pseudonym.
        client_pseudonym: ClientUri,
        /// The leaf's user pseudonym.
        user_pseudonym: UserUri,
    },
    /// A check failed: show the pseudonym as unverified, with the reason.
    Unverified {
        /// The leaf's client pseudonym.
        client_pseudonym: ClientUri,
        /// The leaf's user pseudonym.
        user_pseudonym: UserUri,
        /// The first check that failed.
        reason: Unresolved,
    },
}

impl Resolution {
    /// The leaf's client pseudonym.
    pub fn client_pseudonym(&self) -> &ClientUri {
        match self {
            Self::Verified {
                client_pseudonym, ..
            }
            | Self::Unverified {
                client_pseudonym, ..
            } => client_pseudonym,
        }
    }
    /// The leaf's user pseudonym.
    pub fn user_pseudonym(&self) -> &UserUri {
        match self {
            Self::Verified { user_pseudonym, .. } | Self::Unverified { user_pseudonym, .. } => {
                user_pseudonym
            }
        }
    }
    /// The real client, if verified.
    pub fn real(&self) -> Option<&ClientIdentity> {
        match self {
            Self::Verified { real, .. } => Some(real),
            Self::Unverified { .. } => None,
        }
    }
    /// Why it is unverified, if it is.
    pub fn reason(&self) -> Option<&Unresolved> {
        match self {
            Self::Verified { .. } => None,
            Self::Unverified { reason, .. } => Some(reason),
        }
    }
}

/// Resolves one leaf (`specs/mimi.md` §4.7 steps 1–6): obtains its identity_link_key, opens the
/// identity link, verifies the real credential with `room.trust`, the real client's signature
/// over the TBS, the leaf key, the participant list, one user pseudonym per real user (and, as
/// Conclave adds, one real user per user pseudonym) against `room.resolved`, and the pseudonyms'
/// domain against the real provider's.
///
/// Fails only if `credential` is not a well-formed pseudonymous credential or the crypto
/// provider fails; every failed check is a [`Resolution::Unverified`]. Run
/// [`enforce_consistency`] over the whole room afterwards: this function sees only the leaves
/// resolved before it.
pub fn resolve(
    crypto: &impl OpenMlsCrypto,
    credential: &Credential,
    leaf_signature_key: &[u8],
    key: LinkKeySource<'_>,
    room: &RoomView<'_>,
) -> Result<Resolution, IdentityError> {
    let pc = PseudonymousCredential::from_credential(credential)?;
    let unverified = |reason| {
        Ok(Resolution::Unverified {
            client_pseudonym: pc.client_pseudonym.clone(),
            user_pseudonym: pc.user_pseudonym.clone(),
            reason,
        })
    };
    let tbs = pc.tbs();
    let tbs_bytes = tbs.to_bytes();

    // Step 1.
    if pc.identity_link_ciphertext.is_empty() {
        return unverified(Unresolved::NoIdentityLink);
    }
    let link_key = match key {
        LinkKeySource::Connection(ck) => IdentityLinkKey::derive(crypto, ck, &tbs)?,
        LinkKeySource::Wrapped {
            wrapper_key,
            wrapped,
        } => match wrapper_key.unwrap_key(crypto, &pc.client_pseudonym, wrapped) {
            Ok(k) => k,
            Err(_) => return unverified(Unresolved::LinkKeyUnavailable),
        },
        LinkKeySource::Known(k) => k.clone(),
    };

    // Step 2.
    let plain = match Sealed::from_bytes(&pc.identity_link_ciphertext)
        .map_err(IdentityError::from)
        .and_then(|s| {
            s.open(
                crypto,
                link_key.as_bytes(),
                Purpose::IdentityLink,
                &tbs_bytes,
            )
        }) {
        Ok(p) => p,
        Err(_) => return unverified(Unresolved::LinkUndecryptable),
    };
    let Ok(tbe) = IdentityLinkTbe::from_bytes(&plain) else {
        return unverified(Unresolved::LinkMalformed);
    };

    // Step 3. The real key is the one the provider bound in the real credential.
    let real_key = match ProviderCredential::from_bytes(tbe.client_credential.serialized_content())
    {
        Ok(p) => p.signature_key,
        Err(e) => {
            return unverified(Unresolved::RealCredentialInvalid {
                detail: e.to_string(),
            });
        }
    };
    let real = match room
        .trust
        .identify(&tbe.client_credential, real_key.as_slice())
    {
        Ok(id) => id,
        Err(e) => {
            return unverified(Unresolved::RealCredentialInvalid {
                detail: e.to_string(),
            });
        }
    };

    // Step 4.
    if verify_with_label(
        real_key.as_slice(),
        PSEUDONYMOUS_CREDENTIAL_LABEL,
        &tbs_bytes,
        &tbe.pseudonymous_credential_signature,
        "pseudonymous credential",
    )
    .is_err()
    {
        return unverified(Unresolved::BadSignature);
    }

    // Step 5.
    if pc.signature_public_key != leaf_signature_key {
        return unverified(Unresolved::LeafKeyMismatch);
    }

    // Step 6.
    if !room.participants.contains(&pc.user_pseudonym) {
        return unverified(Unresolved::PseudonymNotListed);
    }
    for other in room.resolved {
        let Resolution::Verified {
            real: other_real,
            client_pseudonym,
            user_pseudonym,
        } = other
        else {
            continue;
        };
        if client_pseudonym == &pc.client_pseudonym {
            continue;
        }
        if other_real.user == real.user && user_pseudonym != &pc.user_pseudonym {
            return unverified(Unresolved::SameUserOtherPseudonym {
                other: user_pseudonym.clone(),
            });
        }
        if other_real.user != real.user && user_pseudonym == &pc.user_pseudonym {
            return unverified(Unresolved::PseudonymOfAnotherUser {
                other: other_real.user.clone(),
            });
        }
    }
    for domain in [pc.client_pseudonym.domain(), pc.user_pseudonym.domain()] {
        if domain != real.user.domain() {
            return unverified(Unresolved::DomainMismatch {
                pseudonym_domain: domain.to_owned(),
                provider_domain: real.user.domain().to_owned(),
            });
        }
    }

    Ok(Resolution::Verified {
        real,
        client_pseudonym: pc.client_pseudonym,
        user_pseudonym: pc.user_pseudonym,
    })
}

/// A break of PROTO §6.1's rule that a user's clients share one user pseudonym per room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inconsistency {
    /// One real user's verified leaves use several user pseudonyms.
    UserWithSeveralPseudonyms {
        /// The real user.
        real_user: UserUri,
        /// Their user pseudonyms, sorted.
        user_pseudonyms: Vec<UserUri>,
    },
    /// One user pseudonym is used by verified leaves of several real users (Conclave's addition:
    /// roles attach to user pseudonyms, so a pseudonym must name one user).
    PseudonymOfSeveralUsers {
        /// The user pseudonym.
        user_pseudonym: UserUri,
        /// The real users behind it, sorted.
        real_users: Vec<UserUri>,
    },
}

/// Every break of "one real user ⇔ one user pseudonym" among a room's verified leaves; empty if
/// the room is consistent. Unverified leaves are not considered.
pub fn room_inconsistencies(resolutions: &[Resolution]) -> Vec<Inconsistency> {
    let mut by_user: BTreeMap<&UserUri, Vec<UserUri>> = BTreeMap::new();
    let mut by_pseudonym: BTreeMap<&UserUri, Vec<UserUri>> = BTreeMap::new();
    for r in resolutions {
        if let Resolution::Verified {
            real,
            user_pseudonym,
            ..
        } = r
        {
            by_user
                .entry(&real.user)
                .or_default()
                .push(user_pseudonym.clone());
            by_pseudonym
                .entry(user_pseudonym)
                .or_default()
                .push(real.user.clone());
        }
    }
    let distinct = |mut v: Vec<UserUri>| {
        v.sort();
        v.dedup();
        v
    };
    let mut out = Vec::new();
    for (real_user, ps) in by_user {
        let ps = distinct(ps);
        if ps.len() > 1 {
            out.push(Inconsistency::UserWithSeveralPseudonyms {
                real_user: real_user.clone(),
                user_pseudonyms: ps,
            });
        }
    }
    for (user_pseudonym, us) in by_pseudonym {
        let us = distinct(us);
        if us.len() > 1 {
            out.push(Inconsistency::PseudonymOfSeveralUsers {
                user_pseudonym: user_pseudonym.clone(),
                real_users: us,
            });
        }
    }
    out
}

/// Marks unverified every verified leaf involved in an [`Inconsistency`], whatever the order the
/// leaves were resolved in: which of a user's pseudonyms is the right one cannot be told, so none
/// is trusted. Returns the inconsistencies found.
pub fn enforce_consistency(resolutions: &mut [Resolution]) -> Vec<Inconsistency> {
    let found = room_inconsistencies(resolutions);
    for inc in &found {
        for r in resolutions.iter_mut() {
            let Resolution::Verified {
                real,
                client_pseudonym,
                user_pseudonym,
            } = r
            else {
                continue;
            };
            let reason = match inc {
                Inconsistency::UserWithSeveralPseudonyms {
                    real_user,
                    user_pseudonyms,
                } if &real.user == real_user => {
                    let Some(other) = user_pseudonyms.iter().find(|p| *p != user_pseudonym) else {
                        continue;
                    };
                    Unresolved::SameUserOtherPseudonym {
                        other: other.clone(),
                    }
                }
                Inconsistency::PseudonymOfSeveralUsers {
                    user_pseudonym: p,
                    real_users,
                } if p == user_pseudonym => {
                    let Some(other) = real_users.iter().find(|u| **u != real.user) else {
                        continue;
                    };
                    Unresolved::PseudonymOfAnotherUser {
                        other: other.clone(),
                    }
                }
                _ => continue,
            };
            *r = Resolution::Unverified {
                client_pseudonym: client_pseudonym.clone(),
                user_pseudonym: user_pseudonym.clone(),
                reason,
            };
        }
    }
    found
}
