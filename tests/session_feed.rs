//! The UI session's live reload through the change feed: its own saves are
//! taken in with their reply and never come back as "changed elsewhere";
//! another handle's write does, once.

use flowvault::tui::message::{VaultCommand, VaultReply};
use flowvault::tui::session::VaultSession;
use flowvault::vault::{
    Connection, Credentials, KdfParams, StoreAccess, UnlockKey, VaultLocation, open_store,
};
use tempfile::TempDir;
use zeroize::Zeroizing;

fn key() -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![5u8; 32]))
}

fn connection(name: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("domain", "tenant.eu.auth0.com");
    fields.set("client_id", "abc123");
    fields.set("client_secret", "s3cret");
    Connection::new(name, "auth0", "client_credentials", fields)
}

#[test]
fn own_saves_are_not_news_and_another_handles_write_is_news_once() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.db");
    let mut session = VaultSession::new(&path).with_kdf(KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    });
    assert!(matches!(
        session.perform(VaultCommand::Create(key())),
        VaultReply::Opened(_)
    ));
    assert!(session.poll().is_none());

    let reply = session.perform(VaultCommand::Add(connection("Prod")));
    assert!(matches!(reply, VaultReply::Saved { .. }), "{reply:?}");
    assert!(session.poll().is_none(), "own save reported");

    let mut other = open_store(&VaultLocation::File(path), &StoreAccess::with_key(key())).unwrap();
    other.add_connection(&connection("Staging")).unwrap();
    let Some(VaultReply::ChangedElsewhere(news)) = session.poll() else {
        panic!("another handle's write is not reported");
    };
    assert_eq!(news.rows.len(), 2);
    assert!(session.poll().is_none(), "reported twice");
}
