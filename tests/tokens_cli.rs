//! `token`, `refresh` and `daemon` against a token endpoint the test starts on 127.0.0.1.
#![allow(unsafe_code)] // libc: signals and sessions of child processes, the effective uid

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{TestVault, assert_error, assert_success};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn token_body(token: &str, expires_in: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": "read:users create:users",
    }))
}

/// An Auth0 machine-to-machine connection whose tenant is the test server.
fn add_auth0(vault: &TestVault, name: &str, server: &MockServer, secret: &str) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", &server.uri()), ("client_id", "client-abc")],
        &[("client_secret", secret)],
    );
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn a_token_is_fetched_once_and_then_served_from_the_vault() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_body("tok-A", 86_400))
        .expect(1)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", &server, "s3cret");

    for _ in 0..2 {
        let out = vault.cmd().args(["token", "Mgmt API"]).output().unwrap();
        assert_success(&out, "token");
        assert_eq!(stdout(&out), "tok-A");
    }
    let entry = vault.list_entry("Mgmt API");
    assert_eq!(entry["status"], "ready");
    assert!(
        entry["detail"]
            .as_str()
            .unwrap()
            .starts_with("token expires in"),
        "{entry}"
    );
    assert!(entry["expires_at"].is_string(), "{entry}");
    assert_eq!(
        vault.show_json("Mgmt API", false)["scope"],
        "read:users create:users"
    );
    server.verify().await;
}

#[tokio::test]
async fn the_auth0_request_carries_the_form_fields_the_real_api_expects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_body("t", 3600))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "m", &server, "s3cret");
    assert_success(&vault.cmd().args(["token", "m"]).output().unwrap(), "token");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&requests[0].body)
        .into_owned()
        .collect();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("grant_type"), Some("client_credentials"));
    assert_eq!(get("client_id"), Some("client-abc"));
    assert_eq!(get("client_secret"), Some("s3cret"));
    assert_eq!(
        get("audience"),
        Some(format!("{}/api/v2/", server.uri()).as_str())
    );
    let content_type = requests[0]
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(content_type, "application/x-www-form-urlencoded");
}

#[tokio::test]
async fn the_http_oauth2_method_sends_the_client_secret_by_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        // base64("id-1:sec-1")
        .and(header("authorization", "Basic aWQtMTpzZWMtMQ=="))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=read+write"))
        .respond_with(token_body("tok-http", 3600))
        .expect(1)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    let token_url = format!("{}/token", server.uri());
    vault.add(
        "http",
        "api",
        Some("oauth2"),
        &[
            ("token_url", &token_url),
            ("client_id", "id-1"),
            ("scope", "read write"),
        ],
        &[("client_secret", "sec-1")],
    );
    let out = vault.cmd().args(["token", "api"]).output().unwrap();
    assert_success(&out, "token");
    assert_eq!(stdout(&out), "tok-http");
    let body =
        String::from_utf8(server.received_requests().await.unwrap()[0].body.clone()).unwrap();
    assert!(
        !body.contains("sec-1"),
        "the secret went in the header only: {body}"
    );
    server.verify().await;
}

/// After a first good token, the endpoint answers `failure`: a forced refresh
/// fails with `expect` in its message, and the still-valid token is kept.
async fn a_failed_renewal_keeps_the_token(failure: ResponseTemplate, expect: &str) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_body("tok-good", 3600))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(failure)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "m", &server, "s3cret");
    assert_eq!(
        stdout(&vault.cmd().args(["token", "m"]).output().unwrap()),
        "tok-good"
    );

    let out = vault.cmd().args(["refresh", "m"]).output().unwrap();
    let stderr = assert_error(&out, 1, "refresh against a failing endpoint");
    assert!(stderr.contains(expect), "{expect:?} not in {stderr:?}");

    let out = vault.cmd().args(["token", "m"]).output().unwrap();
    assert_success(&out, "token after a failed renewal");
    assert_eq!(stdout(&out), "tok-good");
    let entry = vault.list_entry("m");
    assert_eq!(entry["status"], "ready", "{entry}");
    let detail = entry["detail"].as_str().unwrap();
    assert!(
        detail.contains("renewal failed") && detail.contains(expect),
        "{detail}"
    );
}

#[tokio::test]
async fn a_500_keeps_the_still_valid_token_and_says_why() {
    a_failed_renewal_keeps_the_token(ResponseTemplate::new(500), "HTTP 500").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_keeps_the_token_and_says_why() {
    let html = ResponseTemplate::new(200).set_body_string("<html>maintenance</html>");
    a_failed_renewal_keeps_the_token(html, "not JSON").await;
}

#[tokio::test]
async fn a_429_keeps_the_token_and_says_why() {
    let busy = ResponseTemplate::new(429).insert_header("Retry-After", "120");
    a_failed_renewal_keeps_the_token(busy, "HTTP 429").await;
}

#[tokio::test]
async fn invalid_client_is_not_retried_until_the_credentials_are_edited() {
    let server = MockServer::start().await;
    let refused = ResponseTemplate::new(401)
        .set_body_json(json!({"error": "invalid_client", "error_description": "Unauthorized"}));
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=client-abc"))
        .respond_with(refused)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=client-new"))
        .respond_with(token_body("tok-after-edit", 3600))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "m", &server, "wrong-secret");

    let stderr = assert_error(
        &vault.cmd().args(["token", "m"]).output().unwrap(),
        1,
        "token, refused",
    );
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(!stderr.contains("wrong-secret"), "{stderr}");
    let entry = vault.list_entry("m");
    assert_eq!(entry["status"], "failed");
    assert!(
        entry["detail"]
            .as_str()
            .unwrap()
            .contains("fix the credentials"),
        "{entry}"
    );

    // Asking again does not hammer the endpoint with the same refused credentials.
    assert_error(
        &vault.cmd().args(["token", "m"]).output().unwrap(),
        1,
        "token, still refused",
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    assert_success(
        &vault
            .cmd()
            .args(["edit", "m", "--set", "client_id=client-new"])
            .output()
            .unwrap(),
        "edit",
    );
    let out = vault.cmd().args(["token", "m"]).output().unwrap();
    assert_success(&out, "token after the edit");
    assert_eq!(stdout(&out), "tok-after-edit");
    assert_eq!(vault.list_entry("m")["status"], "ready");
}

#[tokio::test]
async fn a_rotated_refresh_token_is_stored_and_used_next_time() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at-1", "expires_in": 3600, "refresh_token": "rt-2", "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("refresh_token=rt-2"))
        // No refresh token in this answer: the stored one stays.
        .respond_with(token_body("at-2", 3600))
        .expect(2)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    let token_url = format!("{}/services/oauth2/token", server.uri());
    vault.add(
        "salesforce",
        "crm",
        None,
        &[("token_url", &token_url), ("client_id", "cid")],
        &[("client_secret", "csec"), ("refresh_token", "rt-1")],
    );
    assert_eq!(
        stdout(&vault.cmd().args(["token", "crm"]).output().unwrap()),
        "at-1"
    );
    assert_eq!(
        vault.show_json("crm", true)["fields"]["refresh_token"],
        "rt-2"
    );

    for _ in 0..2 {
        assert_success(
            &vault.cmd().args(["refresh", "crm"]).output().unwrap(),
            "refresh",
        );
    }
    assert_eq!(
        stdout(&vault.cmd().args(["token", "crm"]).output().unwrap()),
        "at-2"
    );
    assert_eq!(
        vault.show_json("crm", true)["fields"]["refresh_token"],
        "rt-2"
    );
    let form =
        String::from_utf8(server.received_requests().await.unwrap()[0].body.clone()).unwrap();
    assert!(form.contains("grant_type=refresh_token"), "{form}");
    server.verify().await;
}

#[tokio::test]
async fn two_processes_asking_at_once_make_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_body("tok-shared", 3600).set_delay(Duration::from_millis(800)))
        .expect(1)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "m", &server, "s3cret");

    let spawn = || {
        let mut std_cmd: std::process::Command = std::process::Command::new(common::BIN);
        common::isolate(&mut std_cmd)
            .args(["--vault"])
            .arg(&vault.path)
            .arg("--key-file")
            .arg(&vault.key)
            .args(["token", "m"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_success(&a, "first process");
    assert_success(&b, "second process");
    assert_eq!(stdout(&a), "tok-shared");
    assert_eq!(stdout(&b), "tok-shared");
    server.verify().await;
}

#[tokio::test]
async fn refresh_without_a_name_renews_every_token_connection() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_body("t", 3600))
        .expect(3)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    for name in ["a", "b", "c"] {
        add_auth0(&vault, name, &server, "s");
    }
    vault.add("sendgrid", "static", None, &[], &[("api_key", "SG.x")]);
    let out = vault.cmd().arg("refresh").output().unwrap();
    assert_success(&out, "refresh all");
    // One "renewed" message per connection, on stderr; no data on stdout.
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 3);
    assert!(out.stdout.is_empty());
    server.verify().await;
}

#[tokio::test]
async fn token_of_a_static_connection_is_a_usage_error() {
    let vault = TestVault::new();
    vault.add("sendgrid", "sg", None, &[], &[("api_key", "SG.x")]);
    let stderr = assert_error(
        &vault.cmd().args(["token", "sg"]).output().unwrap(),
        2,
        "token of static",
    );
    assert!(stderr.contains("static"), "{stderr}");
}

#[tokio::test]
async fn the_daemon_renews_logs_and_never_shows_a_secret_or_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=client-abc"))
        .respond_with(token_body("CANARY-TOKEN-7d1e", 3))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "short", &server, "CANARY-SECRET-42ab");
    vault.add(
        "auth0",
        "broken",
        None,
        &[("domain", "http://127.0.0.1:9"), ("client_id", "x")],
        &[("client_secret", "CANARY-SECRET-99ff")],
    );

    let mut std_cmd = std::process::Command::new(common::BIN);
    let child = common::isolate(&mut std_cmd)
        .arg("--vault")
        .arg(&vault.path)
        .arg("--key-file")
        .arg(&vault.key)
        .arg("daemon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    // SAFETY: kill with a valid pid and signal has no other effect.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "daemon exit: {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    // A 3 s token renews at half its life: at least two renewals in 3.5 s.
    assert!(log.matches("renewed “short”").count() >= 2, "{log}");
    assert!(log.contains("renewing “broken” failed"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    for canary in ["CANARY-TOKEN", "CANARY-SECRET"] {
        assert!(!log.contains(canary), "{canary} leaked into the log: {log}");
    }
    assert!(out.stdout.is_empty());
}
