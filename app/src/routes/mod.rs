//! One module per page.

pub mod account;
pub mod audit;
pub mod auth;
pub mod cluster;
pub mod clusters;
pub mod home;
pub mod not_found;
pub mod operator;
pub mod password;
