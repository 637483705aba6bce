//! Server functions: thin shims from the browser to the provisioner.

pub mod account;
pub mod auth;
pub mod clusters;
