//! The database the tests' storage runs on. By default each test has its own SQLite file;
//! with `CARINA_TEST_DATABASE_URL` naming a PostgreSQL server (its admin database, e.g.
//! `postgres://carina@127.0.0.1:55432/postgres`, as `scripts/test.sh` starts one), each
//! test gets a new, empty database on it instead, so the same tests prove both backends.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable that names the PostgreSQL server to test against.
pub const POSTGRES_VARIABLE: &str = "CARINA_TEST_DATABASE_URL";

/// The URL of a new, empty PostgreSQL database on the server [`POSTGRES_VARIABLE`] names;
/// `None` when it is unset (the tests use SQLite).
pub fn fresh_postgres() -> Option<String> {
    let admin = std::env::var(POSTGRES_VARIABLE).ok().filter(|url| !url.is_empty())?;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!("t{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    // FILE_COPY: copying the empty template's files is much faster than logging them.
    psql(&admin, &format!("CREATE DATABASE {name} STRATEGY FILE_COPY"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    Some(format!("{base}/{name}"))
}

/// The URL of the database a test's storage opens: a fresh PostgreSQL database (see
/// [`fresh_postgres`]) or the SQLite file `carina.db` in `dir`.
pub fn url_in(dir: &Path) -> String {
    fresh_postgres().unwrap_or_else(|| format!("sqlite://{}", dir.join("carina.db").display()))
}

/// Runs one SQL command on the database `url` names with `psql`; its output, tuples only,
/// columns separated by `|` (as the `sqlite3` command prints them).
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .expect("run psql");
    assert!(out.status.success(), "psql {sql:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
