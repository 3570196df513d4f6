//! What a token endpoint on 127.0.0.1 sees of the client, and what the client
//! makes of its answers: RFC 6749 Basic client authentication with secrets
//! that need encoding, and `Retry-After` in both its forms (RFC 9110 §10.2.3).

use std::time::{Duration, SystemTime};

use base64::Engine;
use flowvault::auth::grant::ClientAuth;
use flowvault::auth::{Grant, GrantError, TokenClient};
use flowvault::vault::SecretValue;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Matches a request whose `Authorization: Basic` header holds this client
/// id and secret once decoded as a compliant server does: base64, split at
/// the first `:`, then each half form-decoded (RFC 6749 §2.3.1).
struct BasicClient {
    id: &'static str,
    secret: &'static str,
}

/// One `application/x-www-form-urlencoded` value decoded (`+` is a space).
fn form_decoded(text: &str) -> Option<String> {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// The client id and secret an RFC 6749 server reads from the header.
fn credentials_in(request: &Request) -> Option<(String, String)> {
    let header = request.headers.get("authorization")?.to_str().ok()?;
    let encoded = header.strip_prefix("Basic ")?;
    let pair = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let pair = String::from_utf8(pair).ok()?;
    let (id, secret) = pair.split_once(':')?;
    Some((form_decoded(id)?, form_decoded(secret)?))
}

impl Match for BasicClient {
    fn matches(&self, request: &Request) -> bool {
        credentials_in(request).is_some_and(|(id, secret)| id == self.id && secret == self.secret)
    }
}

fn client_credentials(server: &MockServer, id: &str, secret: &str) -> Grant {
    Grant::ClientCredentials {
        token_url: format!("{}/token", server.uri()).parse().unwrap(),
        client_id: id.to_owned(),
        client_secret: SecretValue::new(secret),
        audience: None,
        scope: None,
        auth: ClientAuth::Basic,
    }
}

fn client() -> TokenClient {
    TokenClient::with_timeouts(Duration::from_secs(5), Duration::from_secs(10))
}

#[tokio::test]
async fn a_compliant_server_reads_back_secrets_holding_plus_percent_colon_and_space() {
    let cases: [(&'static str, &'static str); 5] = [
        ("plain-id", "a+b"),
        ("plain-id", "100%=sure"),
        ("id:with:colons", "se:cr:et"),
        ("id with space", "two words & more"),
        ("ünï", "ключ/€?#"),
    ];
    for (id, secret) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(BasicClient { id, secret })
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "tok",
                "expires_in": 3600,
            })))
            .mount(&server)
            .await;
        // Anything else is what a compliant server says to wrong credentials.
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "error": "invalid_client",
            })))
            .mount(&server)
            .await;
        let granted = client()
            .request(&client_credentials(&server, id, secret))
            .await;
        let requests = server.received_requests().await.unwrap();
        assert_eq!(
            credentials_in(&requests[0]),
            Some((id.to_owned(), secret.to_owned())),
            "what the server decoded"
        );
        let granted = granted.unwrap_or_else(|e| panic!("{id:?}/{secret:?}: {e}"));
        assert_eq!(granted.token.access_token.expose(), "tok");
        let body = String::from_utf8(requests[0].body.clone()).unwrap();
        assert!(
            !body.contains("client_secret"),
            "the secret goes in the header only: {body}"
        );
    }
}

/// The wait the client reads from a 503 carrying `Retry-After: value`.
async fn retry_after_of(value: &str) -> Option<Duration> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", value)
                .set_body_json(json!({"error": "temporarily_unavailable"})),
        )
        .mount(&server)
        .await;
    let error = client()
        .request(&client_credentials(&server, "id", "secret"))
        .await
        .expect_err("a 503 is an error");
    assert!(
        matches!(error, GrantError::Refused { status: 503, .. }),
        "{error:?}"
    );
    error.retry_after()
}

#[tokio::test]
async fn retry_after_is_read_as_seconds_or_as_an_http_date() {
    assert_eq!(retry_after_of("120").await, Some(Duration::from_secs(120)));

    // Whole seconds: the date form cannot say less, so allow for the second
    // that may tick over between writing the header and reading it.
    let in_two_minutes = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
    let wait = retry_after_of(&in_two_minutes)
        .await
        .expect("a date is a wait");
    assert!(
        (Duration::from_secs(118)..=Duration::from_secs(120)).contains(&wait),
        "{in_two_minutes}: {wait:?}"
    );

    let an_hour_ago = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(3600));
    assert_eq!(
        retry_after_of(&an_hour_ago).await,
        Some(Duration::ZERO),
        "a date in the past means now"
    );

    // As far off as the seconds form may ask: clamped the same way.
    let next_year = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(365 * 86_400));
    assert_eq!(
        retry_after_of(&next_year).await,
        retry_after_of("31536000").await
    );
    assert_eq!(
        retry_after_of(&next_year).await,
        Some(flowvault::auth::bounds::MAX_RETRY_AFTER)
    );

    assert_eq!(retry_after_of("next tuesday").await, None);
}
