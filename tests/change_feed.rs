//! The change feed of a vault file: every kind of write made through one
//! handle moves the mark another handle reads, and reads never do.

use std::time::Duration;

use flowvault::vault::{
    ChangeMark, Connection, Credentials, Flow, FlowStep, KdfParams, RefreshState, SecretValue,
    Store, StoreAccess, Token, UnlockKey, VaultError, VaultLocation, create_store, now, open_store,
};
use tempfile::TempDir;
use zeroize::Zeroizing;

fn key(byte: u8) -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![byte; 32]))
}

/// Two handles on one new vault file, as two processes would hold.
fn two_handles() -> (TempDir, VaultLocation, Box<dyn Store>, Box<dyn Store>) {
    let dir = TempDir::new().unwrap();
    let location = VaultLocation::File(dir.path().join("vault.db"));
    let access = StoreAccess::with_key(key(7));
    let writer = create_store(&location, &access, KdfParams::default()).unwrap();
    let watcher = open_store(&location, &access).unwrap();
    (dir, location, writer, watcher)
}

fn connection(name: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("domain", "tenant.eu.auth0.com");
    fields.set("client_id", "abc123");
    fields.set("client_secret", "s3cret");
    Connection::new(name, "auth0", "client_credentials", fields)
}

/// Runs `write` on `writer` and checks `watcher` sees a new mark, once.
fn assert_moves(
    what: &str,
    writer: &mut Box<dyn Store>,
    watcher: &dyn Store,
    write: impl FnOnce(&mut dyn Store),
) -> ChangeMark {
    let before = watcher.change_mark().unwrap();
    write(writer.as_mut());
    let after = watcher
        .changed_since(&before)
        .unwrap()
        .unwrap_or_else(|| panic!("{what} did not move the change mark"));
    assert_eq!(writer.change_mark().unwrap(), after, "{what}");
    assert_eq!(watcher.changed_since(&after).unwrap(), None, "{what}");
    after
}

#[test]
fn every_kind_of_write_moves_the_mark_another_handle_reads() {
    let (_dir, _location, mut writer, watcher) = two_handles();
    let watcher = watcher.as_ref();
    let mut c = connection("Prod");
    assert_moves("add", &mut writer, watcher, |s| {
        s.add_connection(&c).unwrap();
    });
    assert_moves("add many", &mut writer, watcher, |s| {
        s.add_connections(&[connection("Staging"), connection("Dev")])
            .unwrap();
    });
    c.fields.set("client_secret", "rotated");
    assert_moves("edit", &mut writer, watcher, |s| {
        c.version = s.update_connection(&c).unwrap();
    });
    let token = Token {
        access_token: SecretValue::new("at-1"),
        token_type: "Bearer".into(),
        scope: None,
        obtained_at: now(),
        expires_at: Some(now() + time::Duration::hours(1)),
    };
    assert_moves("token store", &mut writer, watcher, |s| {
        s.store_token(&c.id, &token, Some(&SecretValue::new("rt-2")))
            .unwrap();
    });
    assert_moves("renewal state", &mut writer, watcher, |s| {
        let state = RefreshState {
            failures: 1,
            last_error: Some("timeout".into()),
            ..RefreshState::default()
        };
        s.store_refresh_state(&c.id, &state).unwrap();
    });
    let mut flow = Flow::new("Nightly");
    assert_moves("flow add", &mut writer, watcher, |s| {
        s.add_flow(&flow).unwrap();
    });
    flow.steps.push(FlowStep::new(
        "get_users",
        Some(c.id.clone()),
        Credentials::default(),
    ));
    assert_moves("flow save", &mut writer, watcher, |s| {
        flow.version = s.save_steps(&flow).unwrap();
    });
    assert_moves("flow rename", &mut writer, watcher, |s| {
        flow.version = s.rename_flow(&flow, "Hourly").unwrap();
    });
    assert_moves("flow delete", &mut writer, watcher, |s| {
        s.delete_flow(&flow.id).unwrap();
    });
    assert_moves("delete", &mut writer, watcher, |s| {
        s.delete_connection(&c.id).unwrap();
    });
}

#[test]
fn reads_leases_audit_entries_and_refused_writes_leave_the_mark_alone() {
    let (_dir, _location, mut writer, watcher) = two_handles();
    let c = connection("Prod");
    writer.add_connection(&c).unwrap();
    let mark = watcher.change_mark().unwrap();

    writer.connections().unwrap();
    writer.connection("prod").unwrap();
    writer.connection_by_id(&c.id).unwrap();
    writer.token_records().unwrap();
    writer.flows().unwrap();
    writer.connection_usage(&c.id).unwrap();
    writer.verify().unwrap();
    // A lease coordinates renewals; it changes nothing a reader shows.
    assert!(
        writer
            .try_lease(&c.id, "me", Duration::from_secs(30))
            .unwrap()
    );
    writer.release_lease(&c.id, "me").unwrap();
    // An audit entry alone (a reveal) changes no record: no UI reads it all again.
    writer
        .append_audit(&flowvault::vault::audit::AuditEvent {
            action: flowvault::vault::audit::AuditAction::Reveal,
            target: None,
            detail: None,
        })
        .unwrap();
    // Refused writes roll back with their bump.
    assert!(matches!(
        writer.add_connection(&connection("prod")),
        Err(VaultError::DuplicateName(_))
    ));
    let mut stale = c.clone();
    stale.version = 7;
    assert!(matches!(
        writer.update_connection(&stale),
        Err(VaultError::Conflict(_))
    ));
    assert_eq!(watcher.changed_since(&mark).unwrap(), None);
    assert_eq!(writer.change_mark().unwrap(), mark);
}

#[test]
fn a_reopened_handle_shares_the_feed() {
    let (_dir, location, mut writer, _watcher) = two_handles();
    let second = writer.reopen().unwrap();
    assert_eq!(second.location(), location.to_string());
    let mark = second.change_mark().unwrap();
    writer.add_connection(&connection("Prod")).unwrap();
    assert!(second.changed_since(&mark).unwrap().is_some());
}

#[test]
fn opening_a_file_location_behaves_as_before() {
    let (_dir, location, writer, _watcher) = two_handles();
    drop(writer);
    assert!(matches!(
        open_store(&location, &StoreAccess::with_key(key(8))),
        Err(VaultError::CannotUnlock)
    ));
    assert!(matches!(
        open_store(&location, &StoreAccess::default()),
        Err(VaultError::NoUnlockKey(_))
    ));
    let missing = VaultLocation::File(location.to_string().replace("vault.db", "none.db").into());
    assert!(matches!(
        open_store(&missing, &StoreAccess::with_key(key(7))),
        Err(VaultError::Missing(_))
    ));
    assert!(matches!(
        create_store(
            &location,
            &StoreAccess::with_key(key(7)),
            KdfParams::default()
        ),
        Err(VaultError::AlreadyExists(_))
    ));
}

#[test]
fn an_openbao_location_needs_no_key_and_goes_to_openbao() {
    // Port 1 on loopback: nothing listens. Without a token in the
    // environment the login is refused first; either way, OpenBao is named
    // and no unlock key is asked for.
    let location = VaultLocation::parse("openbao+http://127.0.0.1:1/secret/flowvault").unwrap();
    assert!(!location.needs_unlock_key());
    let err = open_store(&location, &StoreAccess::default())
        .err()
        .unwrap();
    assert!(matches!(err, VaultError::OpenBao(_)), "{err}");
    assert!(!err.to_string().contains("passphrase"), "{err}");
}
