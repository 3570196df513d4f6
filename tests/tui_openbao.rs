//! The UI on an OpenBao vault: the main walk (add, edit, reveal, delete),
//! then a server that goes away and comes back: it says so, keeps what it
//! shows, and catches up once the server answers.
#![allow(unsafe_code)] // libc: signals and sessions of child processes, the effective uid

// Shared with tests/openbao.rs, which uses all of it.
#[allow(dead_code)]
#[path = "common/bao.rs"]
mod bao;

use bao::BaoServer;
use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::vault::{Connection, Credentials, VaultLocation, VaultStore, openbao};
use ratatui::crossterm::event::KeyCode;

fn connection(name: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("account_sid", "AC0123456789abcdef0123456789abcdef");
    fields.set("auth_token", "tw-secret");
    Connection::new(name, "twilio", "auth_token", fields)
}

#[test]
fn the_main_walk_then_an_unreachable_server_is_said_and_what_is_shown_stays() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut server = BaoServer::start_persistent(dir.path());
    let location = server.location("team");
    let mut store = openbao::init(&location, &server.root(), "flowvault").unwrap();
    store.add_connection(&connection("Twilio SMS")).unwrap();
    drop(store);
    // The UI logs in as an operator would: the token from the environment.
    // The only test in this binary, so no other thread reads the environment.
    unsafe {
        std::env::set_var("BAO_TOKEN", &server.root_token);
        std::env::set_var("HOME", dir.path());
        std::env::remove_var("VAULT_TOKEN");
    }
    let mut ui = Harness::at(
        &VaultLocation::OpenBao(location.clone()),
        None,
        Lang::En,
        80,
        24,
    );
    let screen = ui.screen();
    assert!(screen.contains("Twilio SMS"), "{screen}");

    // Add through the wizard.
    ui.press(KeyCode::Char('a'));
    ui.type_text("twil");
    ui.press(KeyCode::Enter);
    ui.type_text("Twilio Ops");
    ui.press(KeyCode::Enter);
    ui.type_text("AC0123456789abcdef0123456789abcdef");
    ui.press(KeyCode::Tab);
    ui.type_text("ops-secret-1");
    ui.press(KeyCode::Enter);
    ui.press(KeyCode::Enter);
    let screen = ui.screen();
    assert!(screen.contains("Added “Twilio Ops”."), "{screen}");
    let check = openbao::open(&location, &server.root()).unwrap();
    let added = check.connection("Twilio Ops").unwrap();
    assert_eq!(added.fields.get("auth_token"), Some("ops-secret-1"));

    // Edit it: the new secret is stored, with a new version.
    ui.press(KeyCode::Char('e'));
    ui.press(KeyCode::Tab);
    ui.ctrl('u');
    ui.type_text("ops-secret-2");
    ui.ctrl('s');
    let screen = ui.screen();
    assert!(screen.contains("Saved “Twilio Ops”."), "{screen}");
    let edited = check.connection("Twilio Ops").unwrap();
    assert_eq!(edited.fields.get("auth_token"), Some("ops-secret-2"));
    assert!(edited.version > added.version);

    // Details, reveal: the secret shows, and the reveal is in the trail.
    ui.press(KeyCode::Enter);
    ui.press(KeyCode::Char('v'));
    assert!(ui.screen().contains("ops-secret-2"), "{}", ui.screen());
    ui.press(KeyCode::Esc);
    let trail = flowvault::vault::AuditLog::audit_entries(
        &check,
        &flowvault::vault::audit::AuditQuery::default(),
    )
    .unwrap();
    let reveals = trail
        .iter()
        .filter(|e| e.event.action == flowvault::vault::audit::AuditAction::Reveal)
        .count();
    assert_eq!(reveals, 1);

    // Delete it, confirmed on screen.
    ui.press(KeyCode::Char('d'));
    assert!(ui.screen().contains("Twilio Ops"), "{}", ui.screen());
    ui.press(KeyCode::Char('y'));
    let screen = ui.screen();
    assert!(screen.contains("Deleted “Twilio Ops”."), "{screen}");
    assert!(check.connection("Twilio Ops").is_err());

    server.stop();
    ui.poll_vault();
    let screen = ui.screen();
    assert!(
        screen.contains("OpenBao unreachable, retrying…"),
        "{screen}"
    );
    assert!(
        screen.contains("Twilio SMS"),
        "the rows shown are kept: {screen}"
    );
    ui.poll_vault();
    assert!(ui.screen().contains("OpenBao unreachable, retrying…"));

    server.restart();
    let mut other = openbao::open(&location, &server.root()).unwrap();
    other.add_connection(&connection("Twilio Voice")).unwrap();
    ui.poll_vault();
    let screen = ui.screen();
    assert!(!screen.contains("unreachable"), "{screen}");
    assert!(
        screen.contains("Twilio Voice"),
        "caught up once back: {screen}"
    );
}
