//! The refresher under load from broken connections: failing ones must not
//! delay the renewal of healthy tokens, and a renewal that panics must not
//! stop the others (nor stay "in flight" for ever).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flowvault::auth::client::{GrantError, Granted};
use flowvault::auth::refresher::TokenSource;
use flowvault::auth::{Grant, RefreshEvent, Refresher, TokenClient};
use flowvault::vault::{
    Connection, Credentials, KdfParams, RefreshState, SecretValue, Token, UnlockKey, Vault,
    VaultStore, now,
};
use serde_json::json;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zeroize::Zeroizing;

fn vault() -> (TempDir, Vault) {
    let dir = TempDir::new().unwrap();
    let key = UnlockKey::KeyFile(Zeroizing::new(vec![9u8; 32]));
    let vault = Vault::create(&dir.path().join("vault.db"), &key, KdfParams::default()).unwrap();
    (dir, vault)
}

fn auth0(name: &str, url: &str, client_id: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("domain", url);
    fields.set("client_id", client_id);
    fields.set("client_secret", "s3cret");
    Connection::new(name, "auth0", "client_credentials", fields)
}

/// A token endpoint that accepts connections and never answers.
async fn hanging_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

/// A token endpoint answering 4-second tokens, counting requests per client.
async fn healthy_endpoint(lifetime: i64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "fresh", "expires_in": lifetime})),
        )
        .mount(&server)
        .await;
    server
}

async fn requests_by_client(server: &MockServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for request in server.received_requests().await.unwrap() {
        let client = url::form_urlencoded::parse(&request.body)
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        *counts.entry(client).or_default() += 1;
    }
    counts
}

/// A token fetched just now that lives `secs` seconds.
fn token(secs: i64) -> Token {
    let obtained_at = now();
    Token {
        access_token: SecretValue::new("old"),
        token_type: "Bearer".into(),
        scope: None,
        obtained_at,
        expires_at: Some(obtained_at + time::Duration::seconds(secs)),
    }
}

#[tokio::test]
async fn sixty_hanging_connections_do_not_delay_three_healthy_renewals() {
    let hanging = hanging_endpoint().await;
    let healthy = healthy_endpoint(4).await;
    let (_dir, mut vault) = vault();

    // Forty that failed before and are due for a retry now, twenty never tried:
    // all come due before the healthy tokens do.
    let failing: Vec<Connection> = (0..60)
        .map(|i| auth0(&format!("broken {i}"), &hanging, &format!("broken-{i}")))
        .collect();
    vault.add_connections(&failing).unwrap();
    for c in &failing[..40] {
        let state = RefreshState {
            failures: 3,
            next_attempt_at: Some(now() - time::Duration::seconds(1)),
            last_error: Some("timeout".into()),
            needs_new_credentials: false,
        };
        vault.store_refresh_state(&c.id, &state).unwrap();
    }
    for i in 0..3 {
        let c = auth0(
            &format!("healthy {i}"),
            &healthy.uri(),
            &format!("healthy-{i}"),
        );
        vault.add_connection(&c).unwrap();
        vault.store_token(&c.id, &token(4), None).unwrap();
    }

    let (tx, mut events) = mpsc::unbounded_channel();
    // Each hanging request holds its slot for 3 s: 60 of them, 8 at a time,
    // would keep every slot busy for over 20 s.
    let client = TokenClient::with_timeouts(Duration::from_secs(1), Duration::from_secs(3));
    let handle = Refresher::new(Box::new(vault.try_clone().unwrap()), client, tx).spawn();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    tokio::time::sleep(Duration::from_millis(6500)).await;
    drop(handle);

    // 4-second tokens renew at half life: at +2 s, +4 s and +6 s.
    let counts = requests_by_client(&healthy).await;
    for i in 0..3 {
        let n = counts.get(&format!("healthy-{i}")).copied().unwrap_or(0);
        assert!(n >= 2, "healthy {i} renewed {n} times in 6.5 s: {counts:?}");
    }
    drain.abort();
}

/// Panics for one token endpoint, asks the real client for the others.
#[derive(Clone)]
struct PanicsFor {
    url: String,
    client: TokenClient,
    panics: Arc<AtomicUsize>,
}

impl TokenSource for PanicsFor {
    async fn request(&self, grant: &Grant) -> Result<Granted, GrantError> {
        if grant.token_url().as_str().starts_with(&self.url) {
            self.panics.fetch_add(1, Ordering::SeqCst);
            panic!("a bug in a renewal (provoked by the test)");
        }
        self.client.request(grant).await
    }
}

#[tokio::test]
async fn a_panicking_renewal_is_retried_with_backoff_and_the_others_keep_renewing() {
    let healthy = healthy_endpoint(2).await;
    let (_dir, mut vault) = vault();
    let bomb = auth0("bomb", "http://127.0.0.1:9", "bomb");
    vault.add_connection(&bomb).unwrap();
    for i in 0..2 {
        let c = auth0(
            &format!("healthy {i}"),
            &healthy.uri(),
            &format!("healthy-{i}"),
        );
        vault.add_connection(&c).unwrap();
    }
    let panics = Arc::new(AtomicUsize::new(0));
    let source = PanicsFor {
        url: "http://127.0.0.1:9/".to_owned(),
        client: TokenClient::new(),
        panics: panics.clone(),
    };
    let (tx, mut events) = mpsc::unbounded_channel();
    let handle = Refresher::new(Box::new(vault.try_clone().unwrap()), source, tx).spawn();

    let mut bomb_failures = Vec::new();
    let mut renewed: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(4500);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        match event {
            RefreshEvent::Failed {
                name,
                reason,
                retry_in,
                ..
            } if name == "bomb" => bomb_failures.push((reason, retry_in)),
            RefreshEvent::Renewed { name, .. } => *renewed.entry(name).or_default() += 1,
            _ => {}
        }
    }
    drop(handle);
    // Let the stopping refresher store what is in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The panic became a failure with a retry planned, and the retry happened:
    // the connection was not left "in flight".
    assert!(
        bomb_failures.len() >= 2,
        "the panicking renewal was retried: {bomb_failures:?}"
    );
    for (reason, retry_in) in &bomb_failures {
        assert_eq!(reason, "internal error");
        assert!(retry_in.is_some(), "a retry is planned");
    }
    assert_eq!(panics.load(Ordering::SeqCst), bomb_failures.len());
    // Meanwhile 2-second tokens were renewed every second.
    for i in 0..2 {
        let n = renewed.get(&format!("healthy {i}")).copied().unwrap_or(0);
        assert!(n >= 3, "healthy {i} renewed {n} times: {renewed:?}");
    }
    let state = vault.token_record(&bomb.id).unwrap().state;
    assert!(state.failures >= 2, "{state:?}");
    assert_eq!(state.last_error.as_deref(), Some("internal error"));
    // The lease was given back: this process can renew it at once.
    assert!(
        vault
            .try_lease(&bomb.id, "someone-else", Duration::from_secs(5))
            .unwrap()
    );
}
