//! The hub's limits: how much one principal, one network address or one user may ask of it.
//!
//! Rates (requests per principal, registrations per client address) are counted in memory with
//! `governor`'s keyed GCRA limiters and answered `429 rate_limited` with `Retry-After`. Quotas on
//! what is stored (KeyPackages per client, open link codes per user, pending connection requests,
//! reports per hour) are counted in the database by the domain modules and answered `429` with
//! their own code. Sizes are answered `413 body_too_large`. Every number comes from the
//! `[limits]` table of the hub's config file (`conclave-hub serve --config FILE`); what is not
//! set there keeps the default below.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;

use crate::error::{Error, Result};

/// The numbers, as the config file's `[limits]` table gives them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Requests one principal (one token) may make per second, sustained.
    pub requests_per_second: u32,
    /// How many requests one principal may make at once before the rate applies.
    pub request_burst: u32,
    /// Requests of any kind, with or without a token, one client address may make per second
    /// (above the per-principal rate: many users may share one address).
    pub address_requests_per_second: u32,
    /// How many requests one address may make at once before its rate applies.
    pub address_request_burst: u32,
    /// Things one principal may create per hour: rooms, pseudonyms, pseudonymous KeyPackages,
    /// blocks (counted in memory by token, so nothing links an account to its pseudonyms).
    pub creations_per_hour: u32,
    /// How many creations one principal may make at once before the rate applies.
    pub creation_burst: u32,
    /// The largest KeyPackage the hub stores, in bytes.
    pub max_key_package_bytes: usize,
    /// Registrations (new users and new devices) one client address may make per hour.
    pub registrations_per_hour: u32,
    /// How many registrations one address may make at once before the rate applies.
    pub registration_burst: u32,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed; the client's address
    /// is then the last one in that header that is not a trusted proxy.
    pub trusted_proxies: Vec<IpAddr>,
    /// The largest request body of any endpoint, in bytes.
    pub max_body_bytes: usize,
    /// The largest application message (`submitMessage` body), in bytes.
    pub max_message_bytes: usize,
    /// The largest handshake bundle (a commit with its Welcome and GroupInfo), in bytes.
    pub max_commit_bytes: usize,
    /// The most bytes one queue fetch returns (it always returns at least one entry).
    pub queue_fetch_bytes: usize,
    /// The most KeyPackages (besides the last-resort one) the hub keeps for one client.
    pub key_packages_per_client: u32,
    /// The most unexpired device-link codes one user may hold at once.
    pub link_codes_per_user: u32,
    /// Wrong link codes tried at a user's name before that user's open codes die.
    pub link_code_attempts: u32,
    /// Connection requests one user may have waiting for an answer.
    pub pending_connections_per_sender: u32,
    /// Connection requests that may wait for one user's answer.
    pub pending_connections_per_recipient: u32,
    /// How long an unanswered connection request counts as pending, in seconds.
    pub connection_request_ttl_secs: u64,
    /// Abuse reports one user may file per hour.
    pub reports_per_hour: u32,
    /// KeyPackage claims (`POST /v1/keyMaterial`) one user may make per hour, sustained: what
    /// keeps anyone from draining others' KeyPackages (each client keeps a last-resort one).
    pub claims_per_hour: u32,
    /// How many claims one user may make at once before the rate applies.
    pub claim_burst: u32,
    /// How long a bearer token lives, in seconds; a client renews its token while in use
    /// (`POST /v1/token`), or with a signature of its device key once it expired.
    pub token_lifetime_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            requests_per_second: 20,
            request_burst: 200,
            address_requests_per_second: 200,
            address_request_burst: 2000,
            creations_per_hour: 600,
            creation_burst: 100,
            max_key_package_bytes: 16 << 10,
            registrations_per_hour: 20,
            registration_burst: 5,
            trusted_proxies: Vec::new(),
            max_body_bytes: 1 << 20,
            max_message_bytes: 256 << 10,
            max_commit_bytes: 1 << 20,
            queue_fetch_bytes: 4 << 20,
            key_packages_per_client: 200,
            link_codes_per_user: 5,
            link_code_attempts: 5,
            pending_connections_per_sender: 20,
            pending_connections_per_recipient: 100,
            connection_request_ttl_secs: 30 * 24 * 3600,
            reports_per_hour: 20,
            token_lifetime_secs: 30 * 24 * 3600,
            claims_per_hour: 600,
            claim_burst: 100,
        }
    }
}

/// The hub's config file (TOML). Only `[limits]` for now.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    /// The limits.
    pub limits: Limits,
}

impl ConfigFile {
    /// Reads and checks a config file.
    pub fn read(path: &Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Internal(format!("cannot read {}: {e}", path.display())))?;
        let file: ConfigFile = toml::from_str(&text)
            .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
        file.limits
            .check()
            .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
        Ok(file)
    }
}

impl Limits {
    /// The default sizes and quotas with rates no single machine's clients reach: for benchmarks
    /// and test stories that drive many requests from one principal and one address (the
    /// limits' own tests set their own).
    pub fn loose() -> Limits {
        Limits {
            requests_per_second: 1_000_000,
            request_burst: 1_000_000,
            address_requests_per_second: 1_000_000,
            address_request_burst: 1_000_000,
            creations_per_hour: 1_000_000,
            creation_burst: 1_000_000,
            registrations_per_hour: 1_000_000,
            registration_burst: 1_000_000,
            claims_per_hour: 1_000_000,
            claim_burst: 1_000_000,
            ..Limits::default()
        }
    }

    /// Refuses numbers that would stop the hub from working at all.
    pub fn check(&self) -> std::result::Result<(), String> {
        for (name, v) in [
            ("requests_per_second", self.requests_per_second),
            ("request_burst", self.request_burst),
            (
                "address_requests_per_second",
                self.address_requests_per_second,
            ),
            ("address_request_burst", self.address_request_burst),
            ("creations_per_hour", self.creations_per_hour),
            ("creation_burst", self.creation_burst),
            ("registrations_per_hour", self.registrations_per_hour),
            ("registration_burst", self.registration_burst),
            ("link_codes_per_user", self.link_codes_per_user),
            ("link_code_attempts", self.link_code_attempts),
            ("claims_per_hour", self.claims_per_hour),
            ("claim_burst", self.claim_burst),
        ] {
            if v == 0 {
                return Err(format!("limits.{name} must be at least 1"));
            }
        }
        if self.token_lifetime_secs < 60 {
            return Err("limits.token_lifetime_secs must be at least 60".into());
        }
        if self.max_message_bytes > self.max_body_bytes
            || self.max_commit_bytes > self.max_body_bytes
        {
            return Err(
                "limits.max_message_bytes and max_commit_bytes may not exceed max_body_bytes"
                    .into(),
            );
        }
        Ok(())
    }

    /// Refuses a body larger than `max`.
    pub fn check_size(len: usize, max: usize, what: &str) -> Result<()> {
        if len > max {
            return Err(Error::TooLarge(format!(
                "{what} of {len} bytes is larger than the hub accepts ({max} bytes)"
            )));
        }
        Ok(())
    }
}

/// The in-memory rate limiters.
pub struct Limiters {
    principals: DefaultKeyedRateLimiter<Vec<u8>>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    creations: DefaultKeyedRateLimiter<Vec<u8>>,
    claims: DefaultKeyedRateLimiter<String>,
    registrations: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Vec<IpAddr>,
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN)
}

impl Limiters {
    /// Limiters for these limits.
    pub fn new(l: &Limits) -> Limiters {
        let per_hour =
            Quota::with_period(Duration::from_secs(3600) / l.registrations_per_hour.max(1))
                .unwrap_or_else(|| Quota::per_hour(nz(l.registrations_per_hour)));
        let creations = Quota::with_period(Duration::from_secs(3600) / l.creations_per_hour.max(1))
            .unwrap_or_else(|| Quota::per_hour(nz(l.creations_per_hour)))
            .allow_burst(nz(l.creation_burst));
        let claims = Quota::with_period(Duration::from_secs(3600) / l.claims_per_hour.max(1))
            .unwrap_or_else(|| Quota::per_hour(nz(l.claims_per_hour)))
            .allow_burst(nz(l.claim_burst));
        Limiters {
            creations: RateLimiter::keyed(creations),
            claims: RateLimiter::keyed(claims),
            principals: RateLimiter::keyed(
                Quota::per_second(nz(l.requests_per_second)).allow_burst(nz(l.request_burst)),
            ),
            addresses: RateLimiter::keyed(
                Quota::per_second(nz(l.address_requests_per_second))
                    .allow_burst(nz(l.address_request_burst)),
            ),
            registrations: RateLimiter::keyed(per_hour.allow_burst(nz(l.registration_burst))),
            trusted_proxies: l.trusted_proxies.clone(),
        }
    }

    /// Counts one request of the principal whose token hashes to `token_hash`.
    pub fn principal(&self, token_hash: &[u8]) -> Result<()> {
        self.principals
            .check_key(&token_hash.to_vec())
            .map_err(|n| limited(n.wait_time_from(DefaultClock::default().now()), "requests"))
    }

    /// Counts one creation (a room, a pseudonym, a pseudonymous KeyPackage, a block) by the
    /// principal whose token hashes to `token_hash`.
    pub fn creation(&self, token_hash: &[u8]) -> Result<()> {
        self.creations.check_key(&token_hash.to_vec()).map_err(|n| {
            limited(
                n.wait_time_from(DefaultClock::default().now()),
                "new rooms, pseudonyms or blocks",
            )
        })
    }

    /// Counts one KeyPackage claim by `user`.
    pub fn claim(&self, user: &str) -> Result<()> {
        self.claims.check_key(&user.to_owned()).map_err(|n| {
            limited(
                n.wait_time_from(DefaultClock::default().now()),
                "KeyPackage claims",
            )
        })
    }

    /// Counts one request, of any kind, from `addr`.
    pub fn address(&self, addr: IpAddr) -> Result<()> {
        self.addresses.check_key(&address_key(addr)).map_err(|n| {
            limited(
                n.wait_time_from(DefaultClock::default().now()),
                "requests from your address",
            )
        })
    }

    /// Counts one registration from `addr`.
    pub fn registration(&self, addr: IpAddr) -> Result<()> {
        self.registrations
            .check_key(&address_key(addr))
            .map_err(|n| {
                limited(
                    n.wait_time_from(DefaultClock::default().now()),
                    "registrations from your address",
                )
            })
    }

    /// The client's address: the peer's, or for a trusted proxy the last address in its
    /// `X-Forwarded-For` (every such header, in order, as one list) that is not itself a trusted
    /// proxy. IPv4-mapped IPv6 addresses count as IPv4; a port or brackets are ignored.
    pub fn client_address<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect();
        let mut addr = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    addr = ip;
                    if !self.trusted_proxies.contains(&ip) {
                        break;
                    }
                }
                // A hop we cannot read: the last trusted one's word ends there.
                None => break,
            }
        }
        addr
    }

    /// Forgets keys whose limits are back to full (housekeeping, so memory stays bounded).
    pub fn forget_idle(&self) {
        self.principals.retain_recent();
        self.addresses.retain_recent();
        self.creations.retain_recent();
        self.claims.retain_recent();
        self.registrations.retain_recent();
    }
}

/// A used-up quota that frees at `frees_at` (ms since the epoch, as `now` is): the error with
/// its code and the whole seconds until then (at least one) as `Retry-After`.
pub fn quota(code: &'static str, frees_at: i64, now: i64, message: String) -> Error {
    let wait_ms = frees_at.saturating_sub(now).max(1000);
    Error::Quota {
        code,
        retry_after: (wait_ms as u64).div_ceil(1000),
        message,
    }
}

/// Requests that wait for an answer (connection and consent requests), counted for one user.
pub struct Pending<'a> {
    /// The table of waiting requests (it has `created_at`).
    pub table: &'static str,
    /// The column naming the user: the requester's or the target's.
    pub column: &'static str,
    /// The user.
    pub who: &'a str,
    /// How many may wait.
    pub max: u32,
    /// The stable code of the refusal.
    pub code: &'static str,
    /// Its sentence.
    pub message: String,
}

/// Refuses when `p.who` already has `p.max` waiting requests (rows past the TTL already
/// pruned), saying when the oldest of them expires.
pub fn pending_quota(
    conn: &rusqlite::Connection,
    p: Pending<'_>,
    ttl_ms: i64,
    now: i64,
) -> Result<()> {
    let (n, oldest): (i64, Option<i64>) = conn.query_row(
        &format!(
            "SELECT COUNT(*), MIN(created_at) FROM {} WHERE {} = ?1",
            p.table, p.column
        ),
        [p.who],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if n >= i64::from(p.max) {
        return Err(quota(
            p.code,
            oldest.unwrap_or(now).saturating_add(ttl_ms),
            now,
            p.message,
        ));
    }
    Ok(())
}

/// One `X-Forwarded-For` hop: an address, perhaps with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse::<IpAddr>().ok())
        })
}

/// What an address is counted as: an IPv4 address itself, an IPv6 address by its /64 (one
/// host usually holds a whole /64, and could otherwise pick a fresh address per request).
fn address_key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

fn limited(wait: Duration, what: &str) -> Error {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Error::RateLimited {
        retry_after: secs.max(1),
        message: format!("too many {what}; try again in {} s", secs.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies_with_a_retry_after() {
        let l = Limits {
            requests_per_second: 1,
            request_burst: 3,
            ..Limits::default()
        };
        let lim = Limiters::new(&l);
        for _ in 0..3 {
            lim.principal(b"alice").unwrap();
        }
        match lim.principal(b"alice").unwrap_err() {
            Error::RateLimited { retry_after, .. } => assert_eq!(retry_after, 1),
            e => panic!("{e}"),
        }
        // Another principal has its own budget.
        lim.principal(b"bob").unwrap();
    }

    #[test]
    fn registrations_are_counted_per_address() {
        let l = Limits {
            registrations_per_hour: 2,
            registration_burst: 2,
            ..Limits::default()
        };
        let lim = Limiters::new(&l);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        lim.registration(a).unwrap();
        lim.registration(a).unwrap();
        match lim.registration(a).unwrap_err() {
            Error::RateLimited { retry_after, .. } => assert!((1..=1800).contains(&retry_after)),
            e => panic!("{e}"),
        }
        lim.registration(b).unwrap();
        // One IPv6 /64 is one address.
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        lim.registration(v6a).unwrap();
        lim.registration(v6b).unwrap();
        assert!(lim.registration(v6a).is_err());
        lim.registration("2001:db8:1:3::1".parse().unwrap())
            .unwrap();
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let inner: IpAddr = "10.0.0.2".parse().unwrap();
        let lim = Limiters::new(&Limits {
            trusted_proxies: vec![proxy, inner],
            ..Limits::default()
        });
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "198.51.100.9".parse().unwrap();
        // Untrusted peers cannot pick their address.
        assert_eq!(lim.client_address(other, ["203.0.113.7"]), other);
        // A trusted proxy's word, skipping further trusted hops, not what the client prepended.
        assert_eq!(
            lim.client_address(proxy, ["1.2.3.4, 203.0.113.7, 10.0.0.2"]),
            client
        );
        // The client's own header comes first, the proxy's own line last: the proxy's counts.
        assert_eq!(
            lim.client_address(proxy, ["1.2.3.4", "203.0.113.7:4711"]),
            client
        );
        // IPv4-mapped peers are the IPv4 proxy.
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(
            lim.client_address(mapped, ["[2001:db8::7]:443"]),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(lim.client_address(proxy, []), proxy);
        assert_eq!(lim.client_address(proxy, ["garbage"]), proxy);
    }

    #[test]
    fn the_config_file_sets_some_numbers_and_keeps_the_rest() {
        let f: ConfigFile =
            toml::from_str("[limits]\nreports_per_hour = 3\ntrusted_proxies = [\"::1\"]\n")
                .unwrap();
        assert_eq!(f.limits.reports_per_hour, 3);
        assert_eq!(
            f.limits.trusted_proxies,
            vec!["::1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(f.limits.request_burst, Limits::default().request_burst);
        assert!(toml::from_str::<ConfigFile>("[limits]\nno_such = 1\n").is_err());
        let zero = Limits {
            request_burst: 0,
            ..Limits::default()
        };
        assert!(zero.check().is_err());
    }
}
