//! Mutex locking for state shared by tasks.

use std::sync::{Mutex, MutexGuard};

/// Locks, shrugging off poisoning (the state stays usable after a panic elsewhere).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
