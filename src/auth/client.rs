//! Sends token requests (RFC 6749) and reads their answers.

use std::time::Duration;

use serde::Deserialize;

use zeroize::Zeroizing;

use super::body::{read_capped, secret_form, secret_header};
use super::bounds;
use super::grant::{ClientAuth, Grant};
use super::http_client::HttpClient;
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
    /// The response or one of its values was over its size limit.
    #[error("the token endpoint's {part} is over {} (HTTP {status})", size_words(*.limit))]
    Oversized {
        status: u16,
        /// What was too large: `response`, `access_token`, `scope`, ….
        part: &'static str,
        limit: usize,
    },
    /// `expires_in` was zero, negative or not a number.
    #[error(
        "the token endpoint answered HTTP {status} with expires_in {value}: a token's lifetime must be a positive number of seconds"
    )]
    BadLifetime {
        status: u16,
        /// The value as sent, cut short.
        value: String,
    },
    #[error("the token endpoint did not answer in time")]
    Timeout,
    #[error("cannot reach the token endpoint: {0}")]
    Unreachable(String),
    /// The renewal stopped on a bug (a panic), caught; it is retried later.
    #[error("the renewal stopped on an internal error")]
    Internal,
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
            GrantError::Oversized {
                status,
                part,
                limit,
            } => format!("{part} over {} (HTTP {status})", size_words(*limit)),
            GrantError::BadLifetime { status, value } => {
                format!("HTTP {status} with expires_in {value}")
            }
            GrantError::Internal => "internal error".to_owned(),
            GrantError::Timeout => "timeout".to_owned(),
            GrantError::Unreachable(why) => format!("unreachable ({why})"),
        }
    }
}

/// `1 MiB`, `64 KiB`, `300 bytes`.
pub fn size_words(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
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

/// The HTTP client for token endpoints; free to make, built on first use
/// (see [`HttpClient`]).
#[derive(Debug, Clone)]
pub struct TokenClient {
    http: HttpClient,
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
    /// A client with the standard timeouts (10 s to connect, 30 s in all):
    /// the process-wide one.
    pub fn new() -> TokenClient {
        TokenClient::on(HttpClient::shared())
    }

    /// A client with other timeouts (tests use short ones).
    pub fn with_timeouts(connect: Duration, total: Duration) -> TokenClient {
        TokenClient::on(HttpClient::with_timeouts(connect, total))
    }

    /// A client sending through `http`.
    pub fn on(http: HttpClient) -> TokenClient {
        TokenClient { http }
    }

    /// The HTTP client it sends through.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Sends the grant and reads the token; `expires_at` counts from when the
    /// request was sent, so a slow answer never overstates the lifetime.
    /// Every size and number in the answer is checked against [`bounds`].
    pub async fn request(&self, grant: &Grant) -> Result<Granted, GrantError> {
        let http = self.http.get().await;
        let sent = now();
        let response = prepare(http, grant)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| bounds::retry_after(v, std::time::SystemTime::now()));
        let body = read_capped(response, bounds::MAX_TOKEN_RESPONSE)
            .await
            .map_err(transport_error)?;
        let oversized = |part, limit| GrantError::Oversized {
            status: status.as_u16(),
            part,
            limit,
        };
        if !body.complete {
            return Err(oversized("response", bounds::MAX_TOKEN_RESPONSE));
        }
        if !status.is_success() {
            let parsed: Option<ErrorBody> = serde_json::from_slice(&body.bytes).ok();
            let text =
                |t: Option<String>| t.map(|t| bounds::truncated(&t, bounds::MAX_SERVER_TEXT));
            let (error, description) = match parsed {
                Some(b) => (text(b.error), text(b.error_description)),
                None => (None, None),
            };
            return Err(GrantError::Refused {
                status: status.as_u16(),
                error,
                description,
                retry_after,
            });
        }
        let bad = |what| GrantError::BadResponse {
            status: status.as_u16(),
            what,
        };
        // serde_json copies escaped strings through a scratch buffer that is
        // not wiped; plain tokens (no escapes) are read straight from `body`.
        let parsed: TokenBody =
            serde_json::from_slice(&body.bytes).map_err(|_| bad("a body that is not JSON"))?;
        let access_token = parsed
            .access_token
            .filter(|t| !t.expose().is_empty())
            .ok_or(bad("no access_token"))?;
        let too_long = |text: Option<&str>, max| text.is_some_and(|t| t.len() > max);
        if too_long(Some(access_token.expose()), bounds::MAX_TOKEN_LEN) {
            return Err(oversized("access_token", bounds::MAX_TOKEN_LEN));
        }
        if too_long(
            parsed.refresh_token.as_ref().map(SecretValue::expose),
            bounds::MAX_TOKEN_LEN,
        ) {
            return Err(oversized("refresh_token", bounds::MAX_TOKEN_LEN));
        }
        if too_long(parsed.scope.as_deref(), bounds::MAX_SCOPE_LEN) {
            return Err(oversized("scope", bounds::MAX_SCOPE_LEN));
        }
        if too_long(parsed.token_type.as_deref(), bounds::MAX_TOKEN_TYPE_LEN) {
            return Err(oversized("token_type", bounds::MAX_TOKEN_TYPE_LEN));
        }
        let bad_lifetime = || GrantError::BadLifetime {
            status: status.as_u16(),
            value: bounds::truncated(
                &parsed
                    .expires_in
                    .as_ref()
                    .map(std::string::ToString::to_string)
                    .unwrap_or_default(),
                32,
            ),
        };
        let lifetime = bounds::lifetime(parsed.expires_in.as_ref()).map_err(|_| bad_lifetime())?;
        let expires_at = match lifetime {
            None => None,
            // Capped at a year, this fails only for a clock near the year 9999.
            Some(d) => Some(
                time::Duration::try_from(d)
                    .ok()
                    .and_then(|d| sent.checked_add(d))
                    .ok_or_else(bad_lifetime)?,
            ),
        };
        Ok(Granted {
            token: Token {
                access_token,
                token_type: parsed.token_type.unwrap_or_else(|| "Bearer".to_owned()),
                scope: parsed.scope,
                obtained_at: sent,
                expires_at,
            },
            rotated_refresh_token: parsed.refresh_token.filter(|t| !t.expose().is_empty()),
        })
    }
}

/// The POST for a grant; secrets travel in wiped buffers (see [`secret_form`]).
fn prepare(http: &reqwest::Client, grant: &Grant) -> reqwest::RequestBuilder {
    let post = |url: &url::Url, body: bytes::Bytes| {
        http.post(url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
    };
    match grant {
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
            let request = post(token_url, secret_form(&form));
            match auth {
                ClientAuth::Basic => match basic_auth(client_id, client_secret.expose()) {
                    Some(value) => request.header(reqwest::header::AUTHORIZATION, value),
                    // Unreachable in practice: form-encoded base64 is plain ASCII.
                    None => request,
                },
                ClientAuth::Body => request,
            }
        }
        Grant::RefreshToken {
            token_url,
            client_id,
            client_secret,
            refresh_token,
        } => post(
            token_url,
            secret_form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
                ("client_id", client_id.as_str()),
                ("client_secret", client_secret.expose()),
            ]),
        ),
    }
}

/// `Basic base64(id:secret)`, each half form-encoded first as RFC 6749
/// §2.3.1 requires (a secret holding `:`, `+`, `%` or a space reaches a
/// compliant server intact), built in wiped buffers.
fn basic_auth(client_id: &str, secret: &str) -> Option<reqwest::header::HeaderValue> {
    use base64::Engine;
    // Form-encoding at most triples a byte.
    let mut pair = Zeroizing::new(String::with_capacity(
        3 * (client_id.len() + secret.len()) + 1,
    ));
    pair.extend(url::form_urlencoded::byte_serialize(client_id.as_bytes()));
    pair.push(':');
    pair.extend(url::form_urlencoded::byte_serialize(secret.as_bytes()));
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()));
    let mut value = Zeroizing::new(String::with_capacity(6 + encoded.len()));
    value.push_str("Basic ");
    value.push_str(&encoded);
    secret_header(&value)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_each_half_before_joining_them() {
        use base64::Engine;
        let value = basic_auth("my id", "a+b%c:d é").unwrap();
        let encoded = value.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let pair = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(pair, b"my+id:a%2Bb%25c%3Ad+%C3%A9");
        assert!(value.is_sensitive());
    }
}
