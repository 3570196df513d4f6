//! `t` in the details copies the connection's current access token, as
//! `flowvault token` gives it: fetched first (by the refresher, against a
//! token endpoint on 127.0.0.1) when there is none, at once when there is
//! a fresh one; a connection without tokens says so.

mod tui_common;

use std::time::Duration;

use flowvault::auth::{RefreshCommand, RefreshEvent, Refresher, TokenClient};
use flowvault::tui::message::Msg;
use flowvault::vault::AuditLog;
use flowvault::vault::audit::{AuditAction, AuditQuery};
use ratatui::crossterm::event::KeyCode;
use serde_json::json;
use tokio::sync::mpsc;
use tui_common::{CANARY, SID, TestVault, conn};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn access_token() -> String {
    format!("at-{CANARY}")
}

#[tokio::test]
async fn t_fetches_a_token_through_the_refresher_then_copies_it_and_copies_a_fresh_one_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": access_token(), "expires_in": 3600})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let v = TestVault::with(&[conn(
        "Mgmt API",
        "auth0",
        "client_credentials",
        &[
            ("domain", &uri),
            ("client_id", "id"),
            ("client_secret", "s"),
        ],
    )]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('t'));
    // No token yet: nothing copied; the refresher is asked, not the UI thread.
    assert!(h.copied.is_empty());
    let id = v.get("Mgmt API").id;
    assert!(
        h.refresh_commands
            .iter()
            .any(|c| matches!(c, RefreshCommand::Now(asked) if *asked == id)),
        "{:?}",
        h.refresh_commands
    );
    let screen = h.screen();
    assert!(
        screen.contains("Fetching a token for “Mgmt API” to copy…"),
        "{screen}"
    );

    // The real refresher runs the commands the app sent; its events come
    // back to the app as the loop would send them.
    let (tx, mut events) = mpsc::unbounded_channel();
    let handle = Refresher::new(Box::new(v.open()), TokenClient::new(), tx).spawn();
    for command in h.refresh_commands.drain(..) {
        handle.send(command);
    }
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event in time")
            .expect("refresher alive");
        let renewed = matches!(event, RefreshEvent::Renewed { .. });
        h.send(Msg::Refresh(event));
        if renewed {
            break;
        }
    }
    assert_eq!(h.copied, [access_token()]);
    let screen = h.screen();
    assert!(
        screen.contains("Copied the access token of “Mgmt API”; the clipboard clears in 30 s."),
        "{screen}"
    );
    assert!(!screen.contains(CANARY), "a copy shows nothing: {screen}");

    // Fresh now: copied at once, no renewal asked.
    h.press(KeyCode::Char('t'));
    assert_eq!(h.copied, [access_token(), access_token()]);
    assert!(h.refresh_commands.is_empty(), "{:?}", h.refresh_commands);

    // Each copy is in the audit trail, never the token itself.
    let entries = v
        .open()
        .audit_entries(&AuditQuery {
            target_id: Some(id.as_str().to_owned()),
            ..AuditQuery::default()
        })
        .unwrap();
    let copies: Vec<_> = entries
        .iter()
        .filter(|e| e.event.action == AuditAction::Copy)
        .collect();
    assert_eq!(copies.len(), 2, "{entries:?}");
    assert_eq!(copies[0].event.detail.as_deref(), Some("access token"));
    server.verify().await;
}

#[test]
fn t_on_a_connection_without_tokens_says_so() {
    let v = TestVault::with(&[conn(
        "Twilio SMS",
        "twilio",
        "auth_token",
        &[("account_sid", SID), ("auth_token", "secret")],
    )]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('t'));
    assert!(h.copied.is_empty());
    assert!(h.refresh_commands.is_empty());
    let screen = h.screen();
    assert!(
        screen.contains("“Twilio SMS” uses static credentials: it has no access token to copy."),
        "{screen}"
    );
}

#[test]
fn a_failed_fetch_copies_nothing() {
    let v = TestVault::with(&[conn(
        "Mgmt API",
        "auth0",
        "client_credentials",
        &[
            ("domain", "http://127.0.0.1:9"),
            ("client_id", "id"),
            ("client_secret", "s"),
        ],
    )]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('t'));
    let id = v.get("Mgmt API").id;
    let record = flowvault::vault::TokenRecord::default();
    h.send(Msg::Refresh(RefreshEvent::Failed {
        id: id.clone(),
        name: "Mgmt API".into(),
        record: record.clone(),
        reason: "connection refused".into(),
        retry_in: None,
    }));
    assert!(h.copied.is_empty());
    // A later renewal, from the schedule, is not taken for the copy asked before.
    h.send(Msg::Refresh(RefreshEvent::Renewed {
        id,
        name: "Mgmt API".into(),
        record,
    }));
    assert!(h.copied.is_empty());
}
