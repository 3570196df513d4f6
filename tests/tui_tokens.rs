//! The list follows token renewals live: pending, refreshing, ready, failed,
//! as a token endpoint on 127.0.0.1 answers.

mod tui_common;

use std::time::Duration;

use flowvault::auth::{RefreshCommand, RefreshEvent, Refresher, TokenClient};
use flowvault::tui::message::Msg;
use ratatui::crossterm::event::KeyCode;
use serde_json::json;
use tokio::sync::mpsc;
use tui_common::{TestVault, conn, row_with};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    // The vault's temp path is right-aligned in the header: redact the whole line.
    s.add_filter(r"(?m)^( flowvault · [^\n]*?) +\S*vault\.db$", "$1 [VAULT]");
    s
}

/// Waits for the refresher's next event (record updates included).
async fn next(events: &mut mpsc::UnboundedReceiver<RefreshEvent>) -> RefreshEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event in time")
        .expect("refresher alive")
}

#[tokio::test]
async fn the_list_shows_each_status_as_the_server_answers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=good"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok", "expires_in": 84_600}))
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=bad"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let uri = server.uri();
    let vault = TestVault::with(&[
        conn(
            "Mgmt API",
            "auth0",
            "client_credentials",
            &[
                ("domain", &uri),
                ("client_id", "good"),
                ("client_secret", "s"),
            ],
        ),
        conn(
            "Old tenant",
            "auth0",
            "client_credentials",
            &[
                ("domain", &uri),
                ("client_id", "bad"),
                ("client_secret", "s"),
            ],
        ),
    ]);
    let mut h = vault.harness(80, 24);
    assert!(h.refresher_started, "unlocking starts the refresher");
    let screen = h.screen();
    assert!(
        row_with(&screen, "Mgmt API").contains("pending"),
        "{screen}"
    );
    settings().bind(|| insta::assert_snapshot!("tokens_pending", screen));

    // The real refresher, on its own handle; its events go to the app as the loop would send them.
    let (tx, mut events) = mpsc::unbounded_channel();
    let _handle = Refresher::new(Box::new(vault.open()), TokenClient::new(), tx).spawn();
    let (mut started, mut saw_ready, mut saw_failed) = (0, false, false);
    while !(started == 2 && saw_ready && saw_failed) {
        let event = next(&mut events).await;
        let kind = match &event {
            RefreshEvent::Started { .. } => "started",
            RefreshEvent::Renewed { .. } => "renewed",
            RefreshEvent::Failed { .. } => "failed",
            _ => "",
        };
        h.send(Msg::Refresh(event));
        let screen = h.screen();
        match kind {
            // Both requests start before either answers: first tokens,
            // fetched, not renewed.
            "started" => {
                started += 1;
                if started == 2 {
                    assert!(
                        row_with(&screen, "Mgmt API").contains("fetching"),
                        "{screen}"
                    );
                    settings().bind(|| insta::assert_snapshot!("tokens_refreshing", screen));
                }
            }
            "renewed" => {
                saw_ready = true;
                let row = row_with(&screen, "Mgmt API");
                assert!(
                    row.contains("ready") && row.contains("token expires in 23h"),
                    "{screen}"
                );
            }
            "failed" => {
                saw_failed = true;
                let row = row_with(&screen, "Old tenant");
                assert!(
                    row.contains("failed") && row.contains("invalid_client"),
                    "{screen}"
                );
            }
            _ => {}
        }
    }
    let screen = h.screen();
    settings().bind(|| insta::assert_snapshot!("tokens_ready_and_failed", screen));

    // `r` asks the refresher to renew the selected connection now.
    h.press(KeyCode::Char('r'));
    assert!(
        matches!(h.refresh_commands.last(), Some(RefreshCommand::Now(_))),
        "{:?}",
        h.refresh_commands
    );
    assert!(h.screen().contains("Renewing the token of “Mgmt API”"));
}

#[test]
fn r_on_a_static_connection_says_there_is_nothing_to_renew() {
    let vault = TestVault::with(&[conn("Mail", "sendgrid", "api_key", &[("api_key", "SG.x")])]);
    let mut h = vault.harness(80, 24);
    h.press(KeyCode::Char('r'));
    assert!(h.refresh_commands.is_empty());
    assert!(h.screen().contains("static credentials"));
}
