//! Certificates for clusters: one CA per cluster, server certificates per segment and
//! for the cluster endpoint, client certificates per credentials bundle.
