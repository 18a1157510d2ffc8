//! `hub_request` (`fuzz_targets/hub_request.rs`): every request body the hub takes, sent through
//! its real router (`conclave_hub::router`) in process, to a hub opened on a copy of a fixture.
//!
//! An input is `[route, flags, body…]`: the first byte picks one of `conclave_hub::api::routes()`
//! (modulo their number), the second says how the request is made ([`flags`]), the rest is the
//! body. Path parameters (`{room}`, `{client}`, …) are filled in with the fixture's values
//! ([`Session::params`]), or with values taken from the input ([`flags::PATH_FROM_INPUT`]).
//!
//! The fixture (`fixtures/hub_request/`, written by the seed generator with the seeds) is a hub's
//! data directory in which the user `alice` is registered (her token is [`Session::account_token`])
//! and is a member of two rooms, with `bob`, who sent her a message; alice has a registered
//! pseudonym, bob a connection key, and a pseudonymous KeyPackage set waits under a connection
//! token. The seeds are requests alice makes next from exactly that state, so each one passes
//! every check of the hub (the generator sends each to a fresh copy of the fixture and requires a
//! 2xx answer) and the fuzzer starts from requests that reach the end of their handlers.
//!
//! The target opens the hub on a fresh copy again after every request that changed something
//! (a 2xx answer to anything but a GET: a commit moves the room's epoch, `POST /v1/token` voids
//! the token, a device removes itself…), so that every input meets the fixture's state, or one
//! that differs from it only by what refused requests wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Method, Request, header};
use conclave_hub::limits::Limits;
use conclave_hub::{AppState, Config};
use serde::{Deserialize, Serialize};

/// The fixture's directory name under `fixtures/`.
pub const FIXTURE: &str = "hub_request";
/// The hub's data directory inside the fixture.
pub const DATA: &str = "data";
/// The session file inside the fixture.
pub const SESSION: &str = "session.json";

/// The second byte of an input.
pub mod flags {
    /// Which `Authorization` header the request carries (two bits).
    pub const AUTH: u8 = 0b11;
    /// `Bearer` with the fixture account's token.
    pub const AUTH_ACCOUNT: u8 = 0;
    /// `Bearer` with the token of the account's registered pseudonym.
    pub const AUTH_PSEUDONYM: u8 = 1;
    /// No `Authorization` header.
    pub const AUTH_NONE: u8 = 2;
    /// A header that authenticates nobody: an unknown bearer token, or with
    /// [`NOT_BEARER`] one that is not a bearer token at all.
    pub const AUTH_WRONG: u8 = 3;
    /// The path parameters (and the queue's query) come from the input: the body starts with a
    /// line (up to the first `\n`, which is dropped) of `/`-separated values, percent-encoded
    /// into the path in order; the value after the route's parameters is appended to the queue
    /// route's query. Parameters the line does not give keep the fixture's values.
    pub const PATH_FROM_INPUT: u8 = 1 << 2;
    /// The fixture's other value of each path parameter (the peer's client, the other room…).
    pub const OTHER_IDS: u8 = 1 << 3;
    /// `Content-Type: application/octet-stream` instead of `application/json`.
    pub const NOT_JSON: u8 = 1 << 4;
    /// An `x-conclave-wake-on` header naming the pseudonym's token and one unknown token.
    pub const WAKE_ON: u8 = 1 << 5;
    /// With [`AUTH_WRONG`]: `Basic …` instead of an unknown bearer token.
    pub const NOT_BEARER: u8 = 1 << 6;
}

/// What the generator records about the fixture, for the target to fill requests in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The hub's provider domain.
    pub domain: String,
    /// The bearer token of the account the requests are made as.
    pub account_token: String,
    /// The bearer token of that account's registered pseudonym.
    pub pseudonym_token: String,
    /// Each path parameter of `routes()`, by name: the fixture's own value (the account's client,
    /// the room it is in, …) and another one ([`flags::OTHER_IDS`]).
    pub params: BTreeMap<String, [String; 2]>,
    /// The routes the seeds' first bytes were written for ([`route_names`]).
    pub routes: Vec<String>,
}

impl Session {
    /// Reads a fixture's session file.
    pub fn load(fixture: &Path) -> Result<Session, String> {
        let path = fixture.join(SESSION);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The hub's routes, in `conclave_hub::api::routes()` order: what the first byte picks from.
pub fn routes() -> Vec<(Method, &'static str)> {
    conclave_hub::api::routes()
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect()
}

/// The routes as the session records them: `METHOD path`, in order.
pub fn route_names() -> Vec<String> {
    routes().iter().map(|(m, p)| format!("{m} {p}")).collect()
}

/// Why the fixture no longer fits the hub's routes, if it does not: a route was added, removed or
/// moved since the seed generator wrote it (the seeds name routes by their index), or a route
/// has a path parameter the session has no value for.
pub fn check_routes(session: &Session) -> Result<(), String> {
    if session.routes != route_names() {
        return Err(format!(
            "the hub's routes changed since fixtures/{FIXTURE} was written: rerun the seed generator"
        ));
    }
    for (_, path) in routes() {
        if let Some(name) = params_of(path).find(|n| !session.params.contains_key(*n)) {
            return Err(format!(
                "route {path}: fixtures/{FIXTURE} names no {{{name}}}: rerun the seed generator"
            ));
        }
    }
    Ok(())
}

/// The first byte of an input for `method path`.
pub fn route_index(method: &Method, path: &str) -> Option<u8> {
    routes()
        .iter()
        .position(|(m, p)| m == method && *p == path)
        .and_then(|i| u8::try_from(i).ok())
}

/// The parameter names of a route path (`/v1/rooms/{room}/update` → `room`).
pub fn params_of(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// A seed: route, flags and body.
pub fn seed(route: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![route, flags];
    v.extend_from_slice(body);
    v
}

/// The request an input stands for, and the index of its route; `None` for an input shorter
/// than its two header bytes.
///
/// # Panics
///
/// If a route has a path parameter the session has no value for ([`check_routes`]).
pub fn request(
    routes: &[(Method, &'static str)],
    session: &Session,
    data: &[u8],
) -> Option<(usize, Request<Body>)> {
    let (&route, rest) = data.split_first()?;
    let (&flags, mut body) = rest.split_first()?;
    let index = usize::from(route) % routes.len();
    let (method, template) = &routes[index];

    // The path parameters, and what follows them (the queue's extra query).
    let mut given: Vec<&[u8]> = Vec::new();
    if flags & flags::PATH_FROM_INPUT != 0 {
        let (line, after) = match body.iter().position(|&b| b == b'\n') {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &[][..]),
        };
        given = line.split(|&b| b == b'/').collect();
        body = after;
    }
    let mut given = given.into_iter();
    let other = usize::from(flags & flags::OTHER_IDS != 0);
    let mut uri = String::new();
    for segment in template.split('/').skip(1) {
        uri.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => match given.next() {
                Some(v) => percent_encode(&mut uri, v, false),
                None => {
                    let values = session.params.get(name).unwrap_or_else(|| {
                        panic!(
                            "route {template} has a parameter {{{name}}} that fixtures/{FIXTURE}/{SESSION} \
                             does not name: rerun the seed generator"
                        )
                    });
                    percent_encode(&mut uri, values[other].as_bytes(), false);
                }
            },
            None => uri.push_str(segment),
        }
    }
    // Never a long-poll: the queue is read with `wait=0` (a second `wait` in the input's query
    // is refused as a duplicate field).
    if *method == Method::GET && template.ends_with("/queue") {
        uri.push_str("?wait=0");
        if let Some(query) = given.next() {
            uri.push('&');
            percent_encode(&mut uri, query, true);
        }
    }

    let mut req = Request::builder().method(method.clone()).uri(uri);
    let auth = match flags & flags::AUTH {
        flags::AUTH_ACCOUNT => Some(format!("Bearer {}", session.account_token)),
        flags::AUTH_PSEUDONYM => Some(format!("Bearer {}", session.pseudonym_token)),
        flags::AUTH_NONE => None,
        _ if flags & flags::NOT_BEARER != 0 => Some(format!("Basic {}", session.account_token)),
        _ => Some("Bearer 0123456789abcdef0123456789abcdef".to_owned()),
    };
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    let content_type = if flags & flags::NOT_JSON != 0 {
        "application/octet-stream"
    } else {
        "application/json"
    };
    req = req.header(header::CONTENT_TYPE, content_type);
    if flags & flags::WAKE_ON != 0 {
        req = req.header(
            "x-conclave-wake-on",
            format!("{}, 00ff", session.pseudonym_token),
        );
    }
    let req = req
        .body(Body::from(body.to_vec()))
        .expect("a percent-encoded path and ASCII headers make a valid request");
    Some((index, req))
}

/// Appends `bytes` percent-encoded: everything but unreserved characters, and in a query also
/// `=` and `&` (so that the input can name fields).
fn percent_encode(out: &mut String, bytes: &[u8], query: bool) {
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (query && matches!(b, b'=' | b'&'));
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The limits of the fuzzed hub (and of the story that makes its fixture): no rate and no
/// stored quota a fuzzer reaches (a quota counts refused requests too, e.g. unverified abuse
/// reports, and would otherwise close the way to the code behind it for the rest of a run), and
/// tokens that outlive the fixture; the sizes are the defaults.
pub fn limits() -> Limits {
    Limits {
        key_packages_per_client: 1 << 20,
        link_codes_per_user: 1 << 20,
        link_code_attempts: 1 << 20,
        pending_connections_per_sender: 1 << 20,
        pending_connections_per_recipient: 1 << 20,
        reports_per_hour: 1 << 20,
        token_lifetime_secs: 100 * 365 * 24 * 3600,
        ..Limits::loose()
    }
}

/// A hub opened on a private copy of a fixture's data directory.
pub struct Hub {
    /// Its state, to build routers from.
    pub state: AppState,
    /// The fixture's session.
    pub session: Session,
    dir: PathBuf,
}

impl Hub {
    /// Copies `fixture`'s data directory into the new directory `into` and opens a hub on it,
    /// with [`limits`].
    pub fn open(fixture: &Path, into: PathBuf) -> Result<Hub, String> {
        let session = Session::load(fixture)?;
        crate::copy_private_dir(&fixture.join(DATA), &into)?;
        let mut config = Config::new(&into, &session.domain);
        config.limits = limits();
        let state = AppState::open(&config).map_err(|e| format!("opening the hub: {e}"))?;
        Ok(Hub {
            state,
            session,
            dir: into,
        })
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
