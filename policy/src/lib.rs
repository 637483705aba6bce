//! The cluster policy: which Docker Engine API requests a tenant may make.
