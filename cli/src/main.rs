//! `carina`: Carina's command-line client for this service. It drives the JSON API
//! (`/api/v1`) with a personal API key: create, grow, rebuild and delete clusters, fetch
//! their credentials and point the docker CLI at them (`eval $(carina env web)`).

mod args;
mod client;
mod commands;
mod config;
mod credentials;
mod error;
mod login;
mod output;
mod wait;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command};
use config::{Dirs, Saved};
use error::Result;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => err.exit(),
        Err(err) => {
            // One line, like every other error: clap's message up to its usage, without
            // its "error: ".
            let text = err.render().to_string();
            let message: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
            let message = message.join(" ");
            eprintln!("carina: {} (carina --help lists the commands)", message.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("carina: {}", output::one_line(&err.message));
            ExitCode::from(err.code)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), "carina", &mut std::io::stdout());
        return Ok(());
    }
    let dirs = Dirs::from_env()?;
    let saved = Saved::load(&dirs.config_file)?;
    let (url, apikey) = config::resolve(cli.url, cli.apikey, &saved);
    if let Command::Login { email, name } = cli.command {
        let saved = login::login(&url, email, &name, &dirs.config_file)?;
        eprintln!(
            "Logged in to {url} as {}; the key is saved in {}.",
            saved.email.as_deref().unwrap_or("you"),
            dirs.config_file.display()
        );
        return Ok(());
    }
    let ctx = commands::Context { client: client::Client::new(&url, apikey), dirs, json: cli.json };
    commands::run(&ctx, cli.command)
}
