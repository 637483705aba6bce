//! Prints how long a cluster CA and a client certificate take to make.
//! Run with `cargo run --release -p pki --example timing`.

use std::time::Instant;

fn main() -> Result<(), pki::PkiError> {
    const ROUNDS: u32 = 50;
    let start = Instant::now();
    let mut ca = None;
    for _ in 0..ROUNDS {
        ca = Some(pki::new_cluster_ca("timing", "timing")?);
    }
    let ca_each = start.elapsed() / ROUNDS;
    let ca = ca.expect("at least one round");

    let start = Instant::now();
    for _ in 0..ROUNDS {
        pki::issue_client_cert(&ca, "timing")?;
    }
    let client_each = start.elapsed() / ROUNDS;

    let start = Instant::now();
    for _ in 0..ROUNDS {
        pki::issue_server_cert(&ca, "timing", &["10.0.0.1".parse().unwrap()], &[])?;
    }
    let server_each = start.elapsed() / ROUNDS;

    println!("new_cluster_ca:    {ca_each:?} each ({ROUNDS} rounds)");
    println!("issue_client_cert: {client_each:?} each");
    println!("issue_server_cert: {server_each:?} each");
    Ok(())
}
