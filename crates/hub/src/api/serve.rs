//! Serving the router on a listener, with the housekeeping that runs beside it.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use super::router;
use crate::AppState;

/// Serves the hub on `listener` until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let housekeeping = tokio::spawn(forget_idle_limits(state.clone()));
    let served = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    housekeeping.abort();
    served
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
