//! The UI on a vault that is not a file: it is opened at once, without an
//! unlock screen asking for a passphrase.

use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::vault::VaultLocation;

#[test]
fn an_openbao_vault_is_opened_without_asking_a_passphrase() {
    // Nothing listens on port 1 of the loopback host.
    let location = VaultLocation::parse("openbao+http://127.0.0.1:1/secret/flowvault").unwrap();
    let mut ui = Harness::at(&location, None, Lang::En, 80, 24);
    let screen = ui.screen();
    assert!(
        screen.contains("openbao+http://127.0.0.1:1/secret/flowvault"),
        "{screen}"
    );
    assert!(!screen.to_lowercase().contains("passphrase"), "{screen}");
}
