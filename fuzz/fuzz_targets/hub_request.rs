//! Every hub request body (`conclave_hub::api`): the JSON bodies (registration, KeyPackages,
//! connections, blocks, pseudonyms, tokens, queue acknowledgements, room creation…) and the TLS
//! ones (HandshakeBundle, SubmitMessageRequest, KeyMaterialRequest, AbuseReport), with their
//! paths and tokens, sent through the hub's real router in process. The input's layout and the
//! fixture the hub is opened on are in `conclave_fuzz::hub`.
//!
//! Promises checked: the hub answers every request, whatever its body, path or token, with a
//! 4xx and a stable code when it refuses it, never with a 5xx (a `500 internal` is a panic or an
//! error the handlers did not map: a bug); and it still answers `GET /health` afterwards.
//!
//! The hub is opened on a fresh copy of its fixture after every request it answered 2xx that was
//! not a GET (`conclave_fuzz::hub`), so that what an input wrote does not change what the next
//! ones meet.

#![no_main]

use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use conclave_fuzz::hub::{self, Hub, Session};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

/// The hub now serving (kept for as long as it serves: dropping it removes its copy of the
/// fixture), with its router.
struct Open {
    _hub: Hub,
    router: axum::Router,
}

struct Fuzzed {
    rt: tokio::runtime::Runtime,
    routes: Vec<(Method, &'static str)>,
    fixture: PathBuf,
    session: Session,
    /// Where the hub's copy of the fixture lives.
    dir: PathBuf,
    open: Mutex<Option<Open>>,
}

impl Fuzzed {
    fn open(&self) -> Open {
        let hub =
            Hub::open(&self.fixture, self.dir.clone()).expect("opening the hub on its fixture");
        Open {
            router: conclave_hub::router(hub.state.clone()),
            _hub: hub,
        }
    }
}

static HUB: LazyLock<Fuzzed> = LazyLock::new(|| {
    let fixture = conclave_fuzz::fixtures().join(hub::FIXTURE);
    let session = Session::load(&fixture).expect("the fixture's session");
    if let Err(e) = hub::check_routes(&session) {
        panic!("{e}");
    }
    let routes = hub::routes();
    Fuzzed {
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime"),
        routes,
        dir: conclave_fuzz::scratch_dir(hub::FIXTURE).expect("a scratch directory"),
        fixture,
        session,
        open: Mutex::new(None),
    }
});

/// Sends one request; answers its status and body (as text, for the message of a failure).
async fn send(router: axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = router.oneshot(req).await.expect("the router is infallible");
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(the body failed: {e})"));
    (status, body)
}

fuzz_target!(|data: &[u8]| {
    let f = &*HUB;
    let Some((route, req)) = hub::request(&f.routes, &f.session, data) else {
        return;
    };
    let mut open = f.open.lock().unwrap_or_else(|e| e.into_inner());
    let router = open.get_or_insert_with(|| f.open()).router.clone();
    let target = format!("{} {}", req.method(), req.uri());
    let changes = req.method() != Method::GET;
    let (status, body) = f.rt.block_on(send(router.clone(), req));
    assert!(
        !status.is_server_error(),
        "{target} (route {}) answered {status}: {body}",
        f.routes[route].1
    );
    let health = Request::get("/health").body(Body::empty()).unwrap();
    let (health, body) = f.rt.block_on(send(router, health));
    assert_eq!(
        health,
        StatusCode::OK,
        "after {target}, GET /health answered {body}"
    );
    if changes && status.is_success() {
        // The next input meets the fixture again (the old copy is removed with its hub).
        *open = None;
    }
});
