//! Pieces shared by several pages.

pub mod clock;
pub mod cluster;
pub mod focus;
pub mod form;
pub mod layout;
pub mod live;
