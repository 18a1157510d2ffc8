//! Serving the router on a listener, with the housekeeping that runs beside it, and the graceful
//! shutdown: stop accepting, answer the waiting long-polls, let the requests in flight finish
//! (for at most [`MAX_DRAIN`]), run what is still queued for the database.

use std::future::{Future, IntoFuture as _};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use super::router;
use crate::AppState;

/// The longest a shutdown waits for the requests in flight; what still runs then is cut off.
pub const MAX_DRAIN: Duration = Duration::from_secs(5);

/// Serves the hub on `listener` until `shutdown` resolves, then shuts down gracefully.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let housekeeping = tokio::spawn(forget_idle_limits(state.clone()));
    let server = axum::serve(
        listener,
        router(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(begin_shutdown(&state, shutdown))
    .into_future();
    let served = tokio::select! {
        served = server => served,
        () = drain_deadline(&state) => Ok(()),
    };
    housekeeping.abort();
    finish(&state).await;
    served
}

/// `shutdown`, then telling the long-polls ([`AppState::begin_shutdown`]).
pub(super) fn begin_shutdown(
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let state = state.clone();
    async move {
        shutdown.await;
        state.begin_shutdown();
    }
}

/// Resolves [`MAX_DRAIN`] after the shutdown began.
pub(super) async fn drain_deadline(state: &AppState) {
    state.shutting_down().await;
    tokio::time::sleep(MAX_DRAIN).await;
    tracing::warn!(
        "requests still in flight {} s after the shutdown began: cut off",
        MAX_DRAIN.as_secs()
    );
}

/// Runs what is still queued for the database, so that nothing accepted is left unwritten.
pub(super) async fn finish(state: &AppState) {
    if let Err(e) = state.finish().await {
        tracing::error!(error = %e, "the last database work failed");
    }
}

/// Every minute, the rate limiters forget principals and addresses that are back to a full
/// budget, so their memory stays bounded by recent traffic.
pub async fn forget_idle_limits(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        state.inner().limiters.forget_idle();
    }
}
