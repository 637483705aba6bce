//! The JSON API, over HTTP(S): every answer with a status of 400 or more becomes the
//! service's own one-line message (`{"error": "..."}`).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use ureq::http::Response;
use ureq::Body;

use crate::error::{CliError, Result};

/// How long one request may take (a credentials zip is made in well under a second).
const TIMEOUT: Duration = Duration::from_secs(30);

/// A client of one Carina panel.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    apikey: Option<String>,
}

/// A method of the API.
#[derive(Clone, Copy)]
enum Method {
    Get,
    Post,
    Delete,
}

impl Client {
    pub fn new(url: &str, apikey: Option<String>) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .user_agent(concat!("carina/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client { agent, url: url.to_owned(), apikey }
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        json(self.send(Method::Get, path, None::<&()>)?)
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        json(self.send(Method::Post, path, Some(body))?)
    }

    pub fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        json(self.send(Method::Delete, path, None::<&()>)?)
    }

    /// A DELETE whose answer has no body.
    pub fn delete_empty(&self, path: &str) -> Result<()> {
        self.send(Method::Delete, path, None::<&()>).map(drop)
    }

    /// A POST answered with bytes (a zip), and the value of the answer's `header`.
    pub fn post_bytes(&self, path: &str, header: &str) -> Result<(Vec<u8>, Option<String>)> {
        let mut response = self.send(Method::Post, path, None::<&()>)?;
        let value = response.headers().get(header).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| CliError::unreachable(format!("Reading the answer of {}: {e}", self.url)))?;
        Ok((bytes, value))
    }

    /// Whether the request has a key to send (commands that need one say so first).
    pub fn require_key(&self) -> Result<()> {
        match self.apikey {
            Some(_) => Ok(()),
            None => Err(CliError::usage(
                "No API key: run `carina login`, or set CARINA_APIKEY (make a key on the panel's account page).",
            )),
        }
    }

    fn send(&self, method: Method, path: &str, body: Option<&impl Serialize>) -> Result<Response<Body>> {
        let url = format!("{}/api/v1{path}", self.url);
        let auth = self.apikey.as_ref().map(|k| format!("Bearer {k}"));
        let result = match method {
            Method::Get | Method::Delete => {
                let mut req =
                    if matches!(method, Method::Get) { self.agent.get(&url) } else { self.agent.delete(&url) };
                if let Some(auth) = &auth {
                    req = req.header("Authorization", auth);
                }
                req.header("Accept", "application/json").call()
            }
            Method::Post => {
                let mut req = self.agent.post(&url).header("Accept", "application/json");
                if let Some(auth) = &auth {
                    req = req.header("Authorization", auth);
                }
                match body {
                    Some(body) => req.send_json(body),
                    None => req.send_empty(),
                }
            }
        };
        let mut response = result.map_err(|e| unreachable(&self.url, e))?;
        let status = response.status().as_u16();
        if status < 400 {
            return Ok(response);
        }
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Err(CliError::refused(status, error_message(status, &text)))
    }
}

fn unreachable(url: &str, err: ureq::Error) -> CliError {
    let why = match err {
        ureq::Error::Io(e) => e.to_string(),
        ureq::Error::Timeout(_) => "no answer in time".to_owned(),
        other => other.to_string(),
    };
    CliError::unreachable(format!("Cannot reach Carina at {url}: {why}. Check --url or CARINA_URL."))
}

fn json<T: DeserializeOwned>(mut response: Response<Body>) -> Result<T> {
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| CliError::unreachable(format!("Reading the service's answer: {e}")))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::service(format!("The service answered something unexpected: {e}")))
}

/// The service's message for a failed request, on one line; a hint for a bad key.
pub fn error_message(status: u16, body: &str) -> String {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| match status {
            404 => "Not found: is this the URL of a Carina panel?".to_owned(),
            _ => format!("The service answered HTTP {status}."),
        });
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if status == 401 && !line.contains("carina login") {
        format!("{line} Run `carina login`, or set CARINA_APIKEY.")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_message_on_one_line() {
        assert_eq!(
            error_message(404, r#"{"error":"You have no cluster named \"x\"."}"#),
            "You have no cluster named \"x\"."
        );
        assert_eq!(error_message(500, "<html>\n oops</html>"), "The service answered HTTP 500.");
        assert_eq!(error_message(403, "{\"error\":\"two\\nlines\"}"), "two lines");
        let bad_key = error_message(401, r#"{"error":"This API key is not valid (revoked, or never issued)."}"#);
        assert!(
            bad_key.starts_with("This API key is not valid") && bad_key.ends_with("set CARINA_APIKEY."),
            "{bad_key}"
        );
    }
}
