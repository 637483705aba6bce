//! Pieces shared by several pages.

pub mod cluster;
pub mod form;
pub mod layout;
pub mod live;
