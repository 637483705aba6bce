//! `carina login`: asks for an e-mail and a password, makes an API key with them
//! (`POST /api/v1/keys`, throttled like signing in) and saves it with the URL.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::{json, Value};

use crate::client::Client;
use crate::config::Saved;
use crate::error::{CliError, Result};

/// Reads a line from stdin after a prompt on stderr.
pub fn prompt(question: &str) -> Result<String> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let read =
        std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::usage(format!("Reading stdin: {e}")))?;
    if read == 0 {
        return Err(CliError::usage(format!(
            "No answer to {:?} (stdin is empty).",
            question.trim_end_matches([':', ' '])
        )));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Reads a password: from `CARINA_PASSWORD` if set, else from the terminal without echo,
/// else (stdin is not a terminal) one line of stdin.
pub fn password() -> Result<String> {
    if let Ok(password) = std::env::var("CARINA_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return prompt("Password: ");
    }
    let _echo_off = EchoOff::new();
    let answer = prompt("Password: ");
    eprintln!();
    answer
}

/// Turns the terminal's echo off until dropped.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: termios is plain data; tcgetattr fills it or fails (then it is unused).
        let mut term: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 and a valid pointer to a termios.
        if unsafe { libc::tcgetattr(0, &mut term) } != 0 {
            return EchoOff(None);
        }
        let saved = term;
        term.c_lflag &= !libc::ECHO;
        term.c_lflag |= libc::ECHONL;
        // SAFETY: as above.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &term) };
        EchoOff(Some(saved))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, &saved) };
        }
    }
}

/// Makes a key and saves it; returns the saved settings.
pub fn login(url: &str, email: Option<String>, key_name: &str, saved_path: &std::path::Path) -> Result<Saved> {
    let email = match email {
        Some(email) => email,
        None => prompt("E-mail: ")?,
    };
    let password = password()?;
    let client = Client::new(url, None);
    let key: Value = client.post("/keys", &json!({"email": email.trim(), "password": password, "name": key_name}))?;
    let secret = key["secret"].as_str().ok_or_else(|| CliError::service("The service answered without a key."))?;
    let saved = Saved {
        url: Some(url.to_owned()),
        apikey: Some(secret.to_owned()),
        email: key["email"].as_str().map(str::to_owned),
    };
    saved.save(saved_path)?;
    Ok(saved)
}
