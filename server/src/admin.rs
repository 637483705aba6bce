//! `server admin ...`: operator tasks from the command line.

use std::io::BufRead;

use anyhow::{bail, Context};
use provisioner::{Account, HostView, Provisioner, Quotas, SecretKey};

use std::path::Path;

use segments::{LibvirtSegments, SegmentDriver};

use crate::config::{Admin, Common, SegmentSettings};

/// Runs one operator command and prints what it did.
pub async fn run(common: &Common, command: Admin) -> anyhow::Result<()> {
    if let Admin::PurgeSegments { segments } = &command {
        return purge_segments(&common.data_dir, segments).await;
    }
    if let Admin::Backup { to } = &command {
        return backup(common, to).await;
    }
    let provisioner = &crate::plain_provisioner(common).await?;
    match command {
        Admin::PurgeSegments { .. } | Admin::Backup { .. } => unreachable!("handled above"),
        Admin::RotateSecretKey { new_key_file } => rotate_secret_key(provisioner, common, &new_key_file).await?,
        Admin::CreateOperator { email } => {
            let password = read_password()?;
            let account = provisioner.make_operator(&email, &password).await?;
            println!("operator account ready: {}", account.email);
        }
        Admin::SetQuotas { email, clusters, segments } => {
            let quotas = Quotas { max_clusters: clusters, max_segments_per_cluster: segments };
            let account = provisioner.set_quotas(&email, quotas).await?;
            print_account(&account);
        }
        Admin::ResetPassword { email } => {
            let given = std::env::var("CARINA_PASSWORD").ok();
            let (account, password) = provisioner.reset_password(&email, given.as_deref()).await?;
            match given {
                Some(_) => println!("password of {} reset; every session signed out", account.email),
                None => println!(
                    "password of {} reset; every session signed out. New password (give it to its owner):\n{password}",
                    account.email
                ),
            }
        }
        Admin::Hosts => {
            let wanted = provisioner.storage().cluster_segments_wanted().await?;
            println!("{wanted} segment(s) wanted by clusters");
            for host in provisioner.hosts().await? {
                print_host(&host);
            }
        }
        Admin::SetHostCapacity { name, segments, unlimited } => {
            let capacity = if unlimited { None } else { segments };
            print_host(&provisioner.set_host_capacity(&name, capacity).await?);
        }
        Admin::AddHost { name, uri, segments } => {
            let probe = uri.clone();
            tokio::task::spawn_blocking(move || segments::check_reachable(&probe))
                .await?
                .with_context(|| format!("cannot reach libvirt at {uri}"))?;
            print_host(&provisioner.add_host(&name, &uri, segments).await?);
        }
        Admin::RemoveHost { name } => {
            provisioner.remove_host(&name).await?;
            println!("host {name} removed");
        }
        Admin::DrainHost { name } => print_host(&provisioner.set_host_draining(&name, true).await?),
        Admin::ResumeHost { name } => print_host(&provisioner.set_host_draining(&name, false).await?),
        Admin::ShowAccount { email } => print_account(&provisioner.account_by_email(&email).await?),
        Admin::Audit { email, days } => {
            let since = days.map_or(0, |days| {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                now.saturating_sub(std::time::Duration::from_secs(days * 24 * 3600)).as_millis() as i64
            });
            let mut entries = provisioner.audit_trail_of_all(since, u32::MAX).await?;
            if let Some(email) = email {
                let account = provisioner.account_by_email(&email).await?;
                entries.retain(|e| e.account_id == account.id);
            }
            print!("{}", crate::audit::jsonl(&entries));
        }
    }
    Ok(())
}

async fn purge_segments(data_dir: &Path, settings: &SegmentSettings) -> anyhow::Result<()> {
    let host = crate::infrastructure::host_config(data_dir, settings)?;
    let state_dir = host.state_dir.clone();
    let driver = LibvirtSegments::new(host)?;
    for name in driver.list().await? {
        driver.remove(&name).await.with_context(|| format!("removing segment {name}"))?;
        println!("removed {name}");
    }
    // The instance's own directory goes too, once nothing is left in it.
    if let Err(err) = std::fs::remove_dir(&state_dir) {
        if err.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %state_dir.display(), error = %err, "the instance directory was not removed");
        }
    }
    Ok(())
}

/// Copies the database, online, and says where the secret key the copy needs is.
async fn backup(common: &Common, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} exists already: a backup never overwrites a file", to.display());
    }
    let (storage, key) = crate::open_storage_and_key(common).await?;
    storage.backup_to(to).await.with_context(|| format!("writing the backup to {}", to.display()))?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "database backed up to {} ({size} bytes).\n\
         Its cluster CA keys are sealed with secret key {} ({}), which is not in the backup:\n\
         keep a copy of that file too, stored apart from this one. See \"Backups\" in the README to restore.",
        to.display(),
        key.id(),
        common.secret_key_path().display(),
    );
    Ok(())
}

/// Re-seals every CA key with the key in `new_key_file` (made if missing), then says
/// what the operator does next: the running configuration still names the old file.
async fn rotate_secret_key(provisioner: &Provisioner, common: &Common, new_key_file: &Path) -> anyhow::Result<()> {
    let old_key_file = common.secret_key_path();
    if new_key_file == old_key_file {
        bail!("the new key file must differ from the one in use ({})", old_key_file.display());
    }
    let new = SecretKey::load_or_create(new_key_file)?;
    let resealed = provisioner.rotate_secret_key(&new).await?;
    println!(
        "re-sealed {resealed} CA key(s) (the clusters' and the control plane's) with secret key {} (was {}).\n\
         Next: move {} over {} (or start the server with --secret-key-file {}), then delete the old key.",
        new.id(),
        provisioner.secret_key_id(),
        new_key_file.display(),
        old_key_file.display(),
        new_key_file.display(),
    );
    Ok(())
}

fn print_host(host: &HostView) {
    let capacity = host.capacity.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    let state = match (host.draining, host.unreachable_since) {
        (_, Some(_)) => "not answering",
        (true, None) => "draining",
        (false, None) => "open",
    };
    println!("{}\t{}\tcapacity={capacity}\t{state}\tsegments={}", host.name, host.uri, host.segments);
}

fn print_account(account: &Account) {
    println!(
        "{}\toperator={}\tmax_clusters={}\tmax_segments_per_cluster={}",
        account.email, account.is_operator, account.quotas.max_clusters, account.quotas.max_segments_per_cluster
    );
}

/// The password from CARINA_PASSWORD, else the first line of stdin (never a flag: flags
/// end up in shell history and `ps`).
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("CARINA_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given: set CARINA_PASSWORD or pipe it on stdin");
    }
    Ok(password)
}
