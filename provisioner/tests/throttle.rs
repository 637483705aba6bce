//! Sign-in throttling against a real SQLite file with a pool of connections, so that
//! parallel attempts really race for the database.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use futures::future::join_all;
use provisioner::throttle::{buckets_for, PER_ADDRESS, PER_EMAIL_AND_ADDRESS};
use provisioner::{Error, Provisioner, ProvisionerConfig, SecretKey, Storage};

const PASSWORD: &str = "correct horse battery";
const EMAIL: &str = "ada@example.com";
/// The owner's address.
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
/// A stranger's address.
const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

async fn provisioner_with_owner() -> (Provisioner, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::connect(&testkit::database::url_in(dir.path())).await.unwrap();
    let p = Provisioner::new(storage, ProvisionerConfig::default(), SecretKey::generate()).await.unwrap();
    p.sign_up(EMAIL, PASSWORD).await.unwrap();
    (p, dir)
}

/// Sends all the guesses at once; returns how many reached the password check (answered
/// "wrong password") and how many were turned away before it.
async fn guess_in_parallel(p: &Provisioner, guesses: Vec<(String, IpAddr)>) -> (usize, usize) {
    // Each guess on its own task, on a multi-threaded runtime: really in parallel.
    let tasks = guesses.iter().map(|(email, from)| {
        let (p, email, from) = (p.clone(), email.clone(), *from);
        tokio::spawn(async move { p.sign_in(&email, "not the password", from).await })
    });
    let answers: Vec<_> = join_all(tasks).await.into_iter().map(|joined| joined.unwrap()).collect();
    let checked = answers.iter().filter(|a| matches!(a, Err(Error::Unauthorized(_)))).count();
    let throttled = answers.iter().filter(|a| matches!(a, Err(Error::TooManyAttempts { .. }))).count();
    assert_eq!(checked + throttled, guesses.len(), "{answers:?}");
    (checked, throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_get_no_more_than_the_free_attempts_and_the_owner_still_signs_in() {
    let (p, _dir) = provisioner_with_owner().await;
    let free = PER_EMAIL_AND_ADDRESS.free_attempts as usize;
    let started = std::time::Instant::now();
    let (checked, throttled) = guess_in_parallel(&p, vec![(EMAIL.to_owned(), STRANGER); 40]).await;
    eprintln!("40 parallel guesses: {checked} checked, {throttled} throttled in {:?}", started.elapsed());
    // A sixth attempt may go through only once a second has passed since the fifth (a
    // very slow machine); the exact race is checked with a fixed clock below.
    assert!(checked >= free, "{checked}");
    assert!(checked == free || started.elapsed() >= Duration::from_secs(1), "{checked} reached the password check");

    // The stranger must wait, even with the right password...
    let err = p.sign_in(EMAIL, PASSWORD, STRANGER).await.unwrap_err();
    assert!(matches!(err, Error::TooManyAttempts { .. }), "{err:?}");
    assert!(err.to_string().starts_with("Too many attempts. Try again in"), "{err}");
    // ...while the owner, from home, is not locked out.
    p.sign_in(EMAIL, PASSWORD, HOME).await.unwrap();
    let [home_bucket, _] = buckets_for(EMAIL, HOME);
    assert_eq!(p.storage().sign_in_attempts(&home_bucket).await.unwrap(), None, "success forgets the bucket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_reservations_never_exceed_the_free_attempts() {
    let (p, _dir) = provisioner_with_owner().await;
    let buckets = buckets_for(EMAIL, STRANGER);
    // One instant for all: whatever the scheduling, no wait can have passed.
    let now = 1_000_000;
    let answers = join_all((0..50).map(|_| p.storage().reserve_sign_in_attempt(&buckets, now))).await;
    let granted = answers.iter().filter(|a| matches!(a, Ok(None))).count();
    assert_eq!(granted, PER_EMAIL_AND_ADDRESS.free_attempts as usize, "{answers:?}");
    assert!(answers.iter().all(|a| a.is_ok()), "{answers:?}");
    let [email_bucket, address_bucket] = &buckets;
    assert_eq!(p.storage().sign_in_attempts(email_bucket).await.unwrap(), Some(granted as i64));
    assert_eq!(p.storage().sign_in_attempts(address_bucket).await.unwrap(), Some(granted as i64));
}

#[tokio::test]
async fn after_the_wait_one_more_attempt_goes_through_and_a_success_resets() {
    let (p, _dir) = provisioner_with_owner().await;
    for _ in 0..PER_EMAIL_AND_ADDRESS.free_attempts {
        assert!(matches!(p.sign_in(EMAIL, "nope nope nope", HOME).await, Err(Error::Unauthorized(_))));
    }
    let err = p.sign_in(EMAIL, PASSWORD, HOME).await.unwrap_err();
    assert!(matches!(err, Error::TooManyAttempts { .. }), "{err:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    p.sign_in(EMAIL, PASSWORD, HOME).await.unwrap();
    let [bucket, _] = buckets_for(EMAIL, HOME);
    assert_eq!(p.storage().sign_in_attempts(&bucket).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_cannot_spray_many_emails() {
    let (p, _dir) = provisioner_with_owner().await;
    let free = PER_ADDRESS.free_attempts as usize;
    // Every guess at a different email: the per-email buckets never fill, the address's does.
    let guesses = (0..free + 10).map(|i| (format!("user{i}@example.com"), STRANGER)).collect();
    let (checked, throttled) = guess_in_parallel(&p, guesses).await;
    assert_eq!((checked, throttled), (free, 10));
    // The owner at another address is unaffected.
    p.sign_in(EMAIL, PASSWORD, HOME).await.unwrap();
}

#[tokio::test]
async fn an_ipv6_client_is_one_client_across_its_network() {
    let (p, _dir) = provisioner_with_owner().await;
    let free = PER_EMAIL_AND_ADDRESS.free_attempts as usize;
    // Each guess from another address of the same /64.
    let guesses = (1..=20).map(|i| (EMAIL.to_owned(), format!("2001:db8:5:6::{i:x}").parse().unwrap())).collect();
    let (checked, _) = guess_in_parallel(&p, guesses).await;
    assert_eq!(checked, free);
}

#[tokio::test]
async fn buckets_idle_for_a_day_are_forgotten() {
    let (p, _dir) = provisioner_with_owner().await;
    let [bucket, address] = buckets_for(EMAIL, STRANGER);
    let day_ago = provisioner::throttle::FORGET_AFTER.as_millis() as i64 + 1000;
    let then = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 - day_ago;
    for _ in 0..10 {
        p.storage().reserve_sign_in_attempt(&[bucket.clone(), address.clone()], then).await.unwrap();
    }
    assert_eq!(p.storage().sign_in_attempts(&bucket).await.unwrap(), Some(5), "five counted, then refused");
    assert!(matches!(p.sign_in(EMAIL, "wrong guess", STRANGER).await, Err(Error::Unauthorized(_))));
    assert_eq!(p.storage().sign_in_attempts(&bucket).await.unwrap(), Some(1), "the old count is gone");
}
