//! The command line, as Carina's `carina` had it (names, aliases, flags), plus the
//! commands this service adds (`login`, `bundles`, `revoke`, `history`, `completions`).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Command line interface to launch and work with Docker Swarm clusters.
#[derive(Parser, Debug)]
#[command(name = "carina", version, about, propagate_version = true)]
pub struct Cli {
    /// The panel's address (default: the one `carina login` saved, else http://127.0.0.1:3000).
    #[arg(long, env = "CARINA_URL", global = true, value_name = "URL")]
    pub url: Option<String>,
    /// A personal API key (default: the one `carina login` saved).
    #[arg(long, visible_alias = "api-key", env = "CARINA_APIKEY", global = true, hide_env_values = true)]
    pub apikey: Option<String>,
    /// Print JSON for scripts instead of tables for people.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Make an API key with your e-mail and password and save it (and the URL) for later commands.
    Login {
        /// Your e-mail (asked for when not given).
        #[arg(long)]
        email: Option<String>,
        /// The key's name, as the account page lists it.
        #[arg(long, default_value = "carina-cli")]
        name: String,
    },
    /// List your clusters.
    #[command(visible_alias = "list")]
    Ls,
    /// Show one cluster.
    #[command(visible_alias = "inspect")]
    Get {
        name: String,
        /// Wait until it is active (or in error).
        #[arg(long)]
        wait: bool,
    },
    /// Create a cluster.
    Create {
        name: String,
        /// How many segments.
        #[arg(long, visible_alias = "segments", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        nodes: u32,
        /// Wait until it is active, showing progress.
        #[arg(long)]
        wait: bool,
    },
    /// Add segments to a cluster.
    Grow {
        name: String,
        /// How many segments to add.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        by: u32,
        /// Wait until it is active again, showing progress.
        #[arg(long)]
        wait: bool,
    },
    /// Replace every segment of a cluster (containers on them are lost).
    Rebuild {
        name: String,
        /// Wait until it is active again, showing progress.
        #[arg(long)]
        wait: bool,
    },
    /// Delete a cluster (and the credentials `carina env` saved for it).
    #[command(visible_alias = "delete")]
    Rm {
        name: String,
        /// Wait until it is gone.
        #[arg(long)]
        wait: bool,
        /// Where its credentials were saved, if not in the default place.
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
    /// Download a new credentials bundle and unpack it.
    #[command(visible_alias = "creds")]
    Credentials {
        name: String,
        /// The folder to unpack into (default: the one `carina env` uses).
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
    /// Print the command that points your shell's docker at a cluster: eval $(carina env NAME).
    Env {
        name: String,
        /// The shell to print for (default: from $SHELL).
        #[arg(long, value_enum)]
        shell: Option<Shell>,
        /// The folder the credentials are in (or are downloaded to).
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
    /// Your account's quotas.
    Quotas,
    /// The credentials bundles issued for a cluster.
    Bundles { name: String },
    /// Revoke a credentials bundle: it stops working at once.
    Revoke {
        name: String,
        /// The bundle: its name (as `bundles` lists it), its id, or the start of its id.
        bundle: String,
    },
    /// A cluster's history (or, without a name, all your clusters'), newest first.
    History {
        name: Option<String>,
        /// How many events.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Print shell completions for carina.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The shells `carina env` prints for, as Carina's did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Fish,
    Powershell,
    Cmd,
}

impl Shell {
    /// The shell of `$SHELL` (bash, zsh and the rest read `docker.env`).
    pub fn from_env(shell_var: Option<&str>) -> Shell {
        match shell_var.and_then(|s| s.rsplit('/').next()) {
            Some("fish") => Shell::Fish,
            Some("pwsh") | Some("powershell") => Shell::Powershell,
            _ => Shell::Bash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("carina").chain(args.iter().copied()))
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn carinas_names_and_aliases_parse() {
        let cli = parse(&["create", "web", "--segments", "2", "--wait"]).unwrap();
        assert!(matches!(cli.command, Command::Create { ref name, nodes: 2, wait: true } if name == "web"));
        let cli = parse(&["create", "web"]).unwrap();
        assert!(matches!(cli.command, Command::Create { nodes: 1, wait: false, .. }));
        assert!(matches!(parse(&["list"]).unwrap().command, Command::Ls));
        assert!(matches!(parse(&["inspect", "web"]).unwrap().command, Command::Get { .. }));
        assert!(matches!(parse(&["delete", "web"]).unwrap().command, Command::Rm { .. }));
        assert!(matches!(parse(&["creds", "web", "--path", "/tmp/x"]).unwrap().command, Command::Credentials { .. }));
        let cli = parse(&["env", "web", "--shell", "fish", "--json", "--api-key", "k"]).unwrap();
        assert!(matches!(cli.command, Command::Env { shell: Some(Shell::Fish), .. }));
        assert!(cli.json);
        assert_eq!(cli.apikey.as_deref(), Some("k"));
    }

    #[test]
    fn growing_needs_a_positive_by() {
        assert!(matches!(parse(&["grow", "web", "--by", "2"]).unwrap().command, Command::Grow { by: 2, .. }));
        assert!(parse(&["grow", "web"]).is_err());
        assert!(parse(&["grow", "web", "--by", "0"]).is_err());
        assert!(parse(&["create", "web", "--nodes", "0"]).is_err());
    }

    #[test]
    fn the_shell_comes_from_dollar_shell() {
        assert_eq!(Shell::from_env(Some("/usr/bin/fish")), Shell::Fish);
        assert_eq!(Shell::from_env(Some("/bin/zsh")), Shell::Bash);
        assert_eq!(Shell::from_env(None), Shell::Bash);
    }
}
