//! The live model of each cluster: what runs on its segments, kept up to date by the
//! segments' Docker events rather than asked for by every page.

mod fold;

pub use fold::{Action, ContainerEvent, Fold, PlacedContainer};
