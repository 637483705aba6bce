//! The bundle's `README.md`.

use crate::BundleInput;

/// A short guide: what each file is, how to load the settings, keep the files secret,
/// how to revoke them.
pub(crate) fn readme(input: &BundleInput<'_>) -> String {
    format!(
        r#"# Credentials for the Carina cluster {name}

These files connect your Docker CLI to the cluster `{name}` ({host}) over mutual TLS.

| File | What it is |
| --- | --- |
| `ca.pem` | The cluster's CA certificate: your CLI checks the cluster with it. |
| `cert.pem` | Your client certificate for this cluster. |
| `key.pem` | The private key of your client certificate. |
| `docker.env` | Docker CLI settings for bash and zsh. |
| `docker.fish` | The same for fish. |
| `docker.ps1` | The same for PowerShell. |
| `docker.cmd` | The same for cmd.exe. |

## Connect

```bash
source docker.env      # bash or zsh; from another directory: source path/to/docker.env
docker info
```

fish: `source docker.fish`. PowerShell: `. .\docker.ps1`. cmd.exe: `docker.cmd`.

The settings point `DOCKER_CERT_PATH` at this folder, wherever you unpacked it. If you
move the folder, load the settings again. The cluster runs Docker {version}
(`DOCKER_VERSION`).

## Keep these files secret

Whoever has `key.pem` can use your cluster. Keep these files to yourself, and do not
commit them to source control.

## Revoke

If these files leak, or you no longer need them, revoke these credentials in the control
panel, on the cluster's page. The cluster then refuses them at once; download new
credentials there when you need them.
"#,
        name = input.cluster_name,
        host = input.docker_host,
        version = input.docker_version,
    )
}
