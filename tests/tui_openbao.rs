//! The UI on an OpenBao vault whose server goes away and comes back: it says
//! so, keeps what it shows, and catches up once the server answers.

// Shared with tests/openbao.rs, which uses all of it.
#[allow(dead_code)]
#[path = "common/bao.rs"]
mod bao;

use bao::BaoServer;
use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::vault::{Connection, Credentials, VaultLocation, VaultStore, openbao};

fn connection(name: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("account_sid", "AC0123456789abcdef0123456789abcdef");
    fields.set("auth_token", "tw-secret");
    Connection::new(name, "twilio", "basic", fields)
}

#[test]
fn an_unreachable_server_is_said_and_what_is_shown_stays() {
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
