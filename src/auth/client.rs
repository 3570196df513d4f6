//! Sends token requests (RFC 6749) and reads their answers.

use std::time::Duration;

use serde::Deserialize;

use super::grant::{ClientAuth, Grant};
use crate::vault::{SecretValue, Token, now};

/// Time allowed to connect to a token endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole token request.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// A granted token, with the refresh token the server rotated in, if any.
#[derive(Debug, Clone)]
pub struct Granted {
    pub token: Token,
    pub rotated_refresh_token: Option<SecretValue>,
}

/// Why a token request failed; never carries a credential or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("the token endpoint refused (HTTP {status}): {}", oauth_words(.error, .description))]
    Refused {
        status: u16,
        /// The RFC 6749 `error` code, when the body had one.
        error: Option<String>,
        description: Option<String>,
        retry_after: Option<Duration>,
    },
    #[error("the token endpoint answered HTTP {status} with {what}")]
    BadResponse { status: u16, what: &'static str },
    #[error("the token endpoint did not answer in time")]
    Timeout,
    #[error("cannot reach the token endpoint: {0}")]
    Unreachable(String),
}

/// OAuth error codes that mean the credentials themselves are refused:
/// retrying cannot help until they are edited.
const PERMANENT: [&str; 4] = [
    "invalid_client",
    "invalid_grant",
    "access_denied",
    "unauthorized_client",
];

impl GrantError {
    /// Whether retrying is pointless until the credentials change.
    pub fn needs_new_credentials(&self) -> bool {
        matches!(self, GrantError::Refused { error: Some(e), .. } if PERMANENT.contains(&e.as_str()))
    }

    /// The wait the server asked for (429/503 `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GrantError::Refused { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short reason for the list: `invalid_client`, `HTTP 500`, `timeout`.
    pub fn short(&self) -> String {
        match self {
            GrantError::Refused {
                error: Some(e),
                description: Some(d),
                ..
            } => format!("{e} ({d})"),
            GrantError::Refused { error: Some(e), .. } => e.clone(),
            GrantError::Refused { status, .. } => format!("HTTP {status}"),
            GrantError::BadResponse { status, what } => format!("HTTP {status} with {what}"),
            GrantError::Timeout => "timeout".to_owned(),
            GrantError::Unreachable(why) => format!("unreachable ({why})"),
        }
    }
}

fn oauth_words(error: &Option<String>, description: &Option<String>) -> String {
    match (error, description) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => "no reason given".to_owned(),
    }
}

/// The HTTP client for token endpoints.
#[derive(Debug, Clone)]
pub struct TokenClient {
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: Option<SecretValue>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    scope: Option<String>,
    refresh_token: Option<SecretValue>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenClient {
    /// A client with the standard timeouts (10 s to connect, 30 s in all).
    pub fn new() -> TokenClient {
        TokenClient::with_timeouts(CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// A client with other timeouts (tests use short ones).
    pub fn with_timeouts(connect: Duration, total: Duration) -> TokenClient {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            // A redirect could carry the client secret to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("flowvault/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with rustls and fixed options builds");
        TokenClient { http }
    }

    /// Sends the grant and reads the token; `expires_at` counts from when the
    /// request was sent, so a slow answer never overstates the lifetime.
    pub async fn request(&self, grant: &Grant) -> Result<Granted, GrantError> {
        let sent = now();
        let request = match grant {
            Grant::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                audience,
                scope,
                auth,
            } => {
                let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
                if *auth == ClientAuth::Body {
                    form.push(("client_id", client_id));
                    form.push(("client_secret", client_secret.expose()));
                }
                if let Some(a) = audience {
                    form.push(("audience", a));
                }
                if let Some(s) = scope {
                    form.push(("scope", s));
                }
                let request = self.http.post(token_url.clone()).form(&form);
                match auth {
                    ClientAuth::Basic => {
                        request.basic_auth(client_id, Some(client_secret.expose()))
                    }
                    ClientAuth::Body => request,
                }
            }
            Grant::RefreshToken {
                token_url,
                client_id,
                client_secret,
                refresh_token,
            } => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose()),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose()),
                ];
                self.http.post(token_url.clone()).form(&form)
            }
        };
        let response = request
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(transport_error)?;
        if !status.is_success() {
            let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
            return Err(GrantError::Refused {
                status: status.as_u16(),
                error: parsed.as_ref().and_then(|b| b.error.clone()),
                description: parsed.and_then(|b| b.error_description),
                retry_after,
            });
        }
        let bad = |what| GrantError::BadResponse {
            status: status.as_u16(),
            what,
        };
        let parsed: TokenBody =
            serde_json::from_slice(&body).map_err(|_| bad("a body that is not JSON"))?;
        let access_token = parsed
            .access_token
            .filter(|t| !t.expose().is_empty())
            .ok_or(bad("no access_token"))?;
        let expires_in = match parsed.expires_in {
            None => None,
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        };
        Ok(Granted {
            token: Token {
                access_token,
                token_type: parsed.token_type.unwrap_or_else(|| "Bearer".to_owned()),
                scope: parsed.scope,
                obtained_at: sent,
                expires_at: expires_in
                    .filter(|s| *s > 0)
                    .map(|s| sent + time::Duration::seconds(s)),
            },
            rotated_refresh_token: parsed.refresh_token.filter(|t| !t.expose().is_empty()),
        })
    }
}

impl Default for TokenClient {
    fn default() -> Self {
        TokenClient::new()
    }
}

fn transport_error(e: reqwest::Error) -> GrantError {
    if e.is_timeout() {
        return GrantError::Timeout;
    }
    // The innermost cause says most ("Connection refused"); the URL is left out.
    let mut cause: &dyn std::error::Error = &e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    GrantError::Unreachable(cause.to_string())
}
