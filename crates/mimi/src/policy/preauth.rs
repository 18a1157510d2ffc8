//! Preauthorized users (POLICY §4): which credential claims an actor presents, and the first
//! `preauth_list` entry they satisfy.
//!
//! The draft leaves claims open ("TODO: refactor Claims"). A Conclave credential
//! ([`crate::credential::ProviderCredential`], MLS credential type
//! [`PROVIDER_CREDENTIAL_TYPE`]) binds exactly a client URI and a user URI, so the claims of a
//! user are derived from its verified user URI:
//! - `{credential_type: 0xF0C0, id: "user"}` = the user URI, e.g. `mimi://a.example/u/alice`;
//! - `{credential_type: 0xF0C0, id: "domain"}` = its provider domain, e.g. `a.example`.
//!
//! The hub, acting as an MLS external sender, presents one claim of its own,
//! `{credential_type: 0xF0C0, id: "external_sender"}` = `hub`, which no user credential carries.
//! That is how the draft's "a preauthorized role could allow the Hub to remove participants and
//! to ban them" is expressed: the presets preauthorize the hub as their `policy_enforcer`.
//!
//! An entry matches when every claim of its claimset is among the actor's claims (so an empty
//! claimset matches everybody, as the draft's wording implies). Entries are tried in order and the
//! first match wins; only its `target_role.role_index` is used.

use crate::components::{Claim, ClaimId, PreAuthData, PreAuthRoleEntry};
use crate::ids::PROVIDER_CREDENTIAL_TYPE;
use crate::uri::UserUri;

/// Claim id of the user URI.
pub const CLAIM_USER: &[u8] = b"user";
/// Claim id of the user's provider domain.
pub const CLAIM_DOMAIN: &[u8] = b"domain";
/// Claim id that only the hub, as external sender, presents (value `hub`).
pub const CLAIM_EXTERNAL_SENDER: &[u8] = b"external_sender";

/// A claim on Conclave's credential type.
pub fn claim(id: &[u8], value: &[u8]) -> Claim {
    Claim {
        claim_id: ClaimId {
            credential_type: PROVIDER_CREDENTIAL_TYPE,
            id: id.to_vec().into(),
        },
        claim_value: value.to_vec().into(),
    }
}

/// The claims a user's verified credential presents.
pub fn user_claims(user: &UserUri) -> Vec<Claim> {
    vec![
        claim(CLAIM_USER, &user.to_bytes()),
        claim(CLAIM_DOMAIN, user.domain().as_bytes()),
    ]
}

/// The claims the hub presents when it acts as external sender.
pub fn hub_claims() -> Vec<Claim> {
    vec![claim(CLAIM_EXTERNAL_SENDER, b"hub")]
}

/// The first entry whose every claim is among `claims`.
pub fn first_match<'a>(preauth: &'a PreAuthData, claims: &[Claim]) -> Option<&'a PreAuthRoleEntry> {
    preauth
        .preauthorized_entries
        .iter()
        .find(|e| e.claimset.iter().all(|c| claims.contains(c)))
}

/// The role of the first matching entry with a non-zero role (canChangeOwnRole, POLICY §8.1.3).
pub(crate) fn first_nonzero_role(preauth: &PreAuthData, claims: &[Claim]) -> Option<u32> {
    preauth
        .preauthorized_entries
        .iter()
        .filter(|e| e.target_role.role_index != 0)
        .find(|e| e.claimset.iter().all(|c| claims.contains(c)))
        .map(|e| e.target_role.role_index)
}
