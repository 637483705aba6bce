//! Prints how long the operations take in this (test) build; see also `examples/timing.rs`.
//! `cargo test -p pki --test timing -- --nocapture` shows the numbers.

use std::time::Instant;

#[test]
fn report_timings() {
    let start = Instant::now();
    let ca = pki::new_cluster_ca("timing", "timing").unwrap();
    let ca_time = start.elapsed();
    let start = Instant::now();
    pki::issue_client_cert(&ca, "timing").unwrap();
    let client_time = start.elapsed();
    println!("new_cluster_ca: {ca_time:?}, issue_client_cert: {client_time:?}");
}
