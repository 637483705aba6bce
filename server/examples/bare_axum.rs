//! The floor for the panel benchmark: a bare axum handler returning a small static HTML
//! page, served the same way as the panel (tokio, axum::serve). Usage: bare_axum ADDR
use axum::response::Html;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3212".into());
    let app = axum::Router::new().route(
        "/",
        get(|| async {
            Html("<!DOCTYPE html><html><head><title>bare</title></head><body><h1>Clusters</h1></body></html>")
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
