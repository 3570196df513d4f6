//! The refresher and single renewals, driven through the library against a
//! token endpoint the test starts on 127.0.0.1.

use std::time::Duration;

use flowvault::auth::client::GrantError;
use flowvault::auth::renewal::{holder_name, obtain};
use flowvault::auth::{RefreshCommand, RefreshEvent, Refresher, TokenClient};
use flowvault::vault::{Connection, Credentials, KdfParams, UnlockKey, Vault, VaultStore, now};
use serde_json::json;
use tempfile::TempDir;
use tokio::sync::mpsc;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zeroize::Zeroizing;

fn vault() -> (TempDir, Vault) {
    let dir = TempDir::new().unwrap();
    let key = UnlockKey::KeyFile(Zeroizing::new(vec![9u8; 32]));
    let vault = Vault::create(&dir.path().join("vault.db"), &key, KdfParams::default()).unwrap();
    (dir, vault)
}

fn auth0(name: &str, server: &MockServer, client_id: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("domain", server.uri());
    fields.set("client_id", client_id);
    fields.set("client_secret", "s3cret");
    Connection::new(name, "auth0", "client_credentials", fields)
}

fn token_body(token: &str, expires_in: i64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"access_token": token, "expires_in": expires_in}))
}

/// Waits for the next event that is not a plain record update.
async fn next_event(
    events: &mut mpsc::UnboundedReceiver<RefreshEvent>,
    within: Duration,
) -> Option<RefreshEvent> {
    tokio::time::timeout(within, async {
        loop {
            match events.recv().await? {
                RefreshEvent::Updated { .. } => continue,
                other => return Some(other),
            }
        }
    })
    .await
    .ok()
    .flatten()
}

#[tokio::test]
async fn short_lived_tokens_are_renewed_before_they_expire() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_body("short", 4))
        .mount(&server)
        .await;
    let (_dir, mut vault) = vault();
    let conn = auth0("m", &server, "abc");
    vault.add_connection(&conn).unwrap();

    let (tx, mut events) = mpsc::unbounded_channel();
    let _handle =
        Refresher::new(Box::new(vault.try_clone().unwrap()), TokenClient::new(), tx).spawn();
    let mut renewals = Vec::new();
    while renewals.len() < 2 {
        match next_event(&mut events, Duration::from_secs(6)).await {
            Some(RefreshEvent::Renewed { record, .. }) => renewals.push(record.token.unwrap()),
            Some(RefreshEvent::Started { .. }) => {}
            other => panic!("expected renewals, got {other:?}"),
        }
    }
    // The second token was fetched before the first one expired.
    let (first, second) = (&renewals[0], &renewals[1]);
    assert!(
        second.obtained_at < first.expires_at.unwrap(),
        "{first:?} then {second:?}"
    );
    assert!(
        vault
            .token_record(&conn.id)
            .unwrap()
            .token
            .unwrap()
            .is_valid_at(now())
    );
}

#[tokio::test]
async fn a_hanging_endpoint_times_out_and_the_token_stays() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_body("first", 3600))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(token_body("late", 3600).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let (_dir, mut vault) = vault();
    let conn = auth0("m", &server, "abc");
    vault.add_connection(&conn).unwrap();
    let client = TokenClient::with_timeouts(Duration::from_secs(1), Duration::from_secs(1));
    let holder = holder_name();

    let (token, error) = obtain(&mut vault, &client, &conn.id, &holder, false)
        .await
        .unwrap();
    assert_eq!(token.access_token.expose(), "first");
    assert!(error.is_none());

    let (token, error) = obtain(&mut vault, &client, &conn.id, &holder, true)
        .await
        .unwrap();
    assert_eq!(
        token.access_token.expose(),
        "first",
        "the still-valid token is kept"
    );
    assert_eq!(error, Some(GrantError::Timeout));
    let record = vault.token_record(&conn.id).unwrap();
    assert_eq!(record.state.failures, 1);
    assert_eq!(record.state.last_error.as_deref(), Some("timeout"));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    let (_dir, mut vault) = vault();
    let conn = auth0("m", &server, "abc");
    vault.add_connection(&conn).unwrap();
    let before = now();
    let error = obtain(
        &mut vault,
        &TokenClient::new(),
        &conn.id,
        &holder_name(),
        false,
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("429"), "{error}");
    let state = vault.token_record(&conn.id).unwrap().state;
    let wait = state.next_attempt_at.unwrap() - before;
    assert!(wait >= time::Duration::seconds(119), "waits {wait}");
    assert!(!state.needs_new_credentials);
}

#[tokio::test]
async fn refused_credentials_stop_the_refresher_until_they_are_edited() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=bad"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=good"))
        .respond_with(token_body("fixed", 3600))
        .mount(&server)
        .await;
    let (_dir, mut vault) = vault();
    let mut conn = auth0("m", &server, "bad");
    vault.add_connection(&conn).unwrap();

    let (tx, mut events) = mpsc::unbounded_channel();
    let handle =
        Refresher::new(Box::new(vault.try_clone().unwrap()), TokenClient::new(), tx).spawn();
    loop {
        match next_event(&mut events, Duration::from_secs(5)).await {
            Some(RefreshEvent::Started { .. }) => continue,
            Some(RefreshEvent::Failed {
                reason, retry_in, ..
            }) => {
                assert!(reason.contains("invalid_client"), "{reason}");
                assert_eq!(retry_in, None, "no retry is planned");
                break;
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }
    assert!(
        next_event(&mut events, Duration::from_secs(2))
            .await
            .is_none(),
        "no retry with refused credentials"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    conn.fields.set("client_id", "good");
    vault.update_connection(&conn).unwrap();
    handle.send(RefreshCommand::Changed(conn.id.clone()));
    loop {
        match next_event(&mut events, Duration::from_secs(5)).await {
            Some(RefreshEvent::Started { .. }) => continue,
            Some(RefreshEvent::Renewed { record, .. }) => {
                assert_eq!(record.token.unwrap().access_token.expose(), "fixed");
                break;
            }
            other => panic!("expected a renewal after the edit, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn renew_now_renews_a_fresh_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_body("t", 86_400))
        .expect(2)
        .mount(&server)
        .await;
    let (_dir, mut vault) = vault();
    let conn = auth0("m", &server, "abc");
    vault.add_connection(&conn).unwrap();
    let (tx, mut events) = mpsc::unbounded_channel();
    let handle =
        Refresher::new(Box::new(vault.try_clone().unwrap()), TokenClient::new(), tx).spawn();
    let mut renewed = 0;
    while renewed < 2 {
        match next_event(&mut events, Duration::from_secs(5)).await {
            Some(RefreshEvent::Started { .. }) => {}
            Some(RefreshEvent::Renewed { .. }) => {
                renewed += 1;
                if renewed == 1 {
                    handle.send(RefreshCommand::Now(conn.id.clone()));
                }
            }
            other => panic!("{other:?}"),
        }
    }
    server.verify().await;
}

#[tokio::test]
async fn an_answer_for_credentials_edited_meanwhile_is_not_stored() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=before"))
        .respond_with(token_body("for-old-credentials", 3600).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=after"))
        .respond_with(token_body("for-new-credentials", 3600))
        .mount(&server)
        .await;
    let (_dir, mut vault) = vault();
    let mut conn = auth0("m", &server, "before");
    vault.add_connection(&conn).unwrap();
    let mut renewer = vault.try_clone().unwrap();
    let id = conn.id.clone();
    let request = tokio::spawn(async move {
        obtain(
            &mut renewer,
            &TokenClient::new(),
            &id,
            &holder_name(),
            false,
        )
        .await
        .map(|(t, _)| t)
    });
    // While the first request is out, the operator fixes the client id.
    tokio::time::sleep(Duration::from_millis(300)).await;
    conn.fields.set("client_id", "after");
    conn.updated_at = now() + time::Duration::seconds(1);
    vault.update_connection(&conn).unwrap();

    let token = request.await.unwrap().unwrap();
    assert_eq!(token.access_token.expose(), "for-new-credentials");
    let stored = vault.token_record(&conn.id).unwrap().token.unwrap();
    assert_eq!(stored.access_token.expose(), "for-new-credentials");
}
