//! `copy_vault` between two real vault files: everything arrives, a second
//! copy changes nothing, a different record of the same name is refused
//! before anything is written, and `--overwrite` replaces it.

use flowvault::vault::copy::{CopyError, Tally, copy_vault};
use flowvault::vault::{
    Connection, Credentials, Flow, FlowStep, KdfParams, SecretValue, StoredConnection, Token,
    UnlockKey, Vault, VaultStore, now,
};
use tempfile::TempDir;
use zeroize::Zeroizing;

fn key(byte: u8) -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![byte; 32]))
}

fn vault(dir: &TempDir, name: &str, byte: u8) -> Vault {
    Vault::create(&dir.path().join(name), &key(byte), KdfParams::default()).unwrap()
}

fn twilio(name: &str, token: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("account_sid", "AC0123456789abcdef0123456789abcdef");
    fields.set("auth_token", token);
    Connection::new(name, "twilio", "basic", fields)
}

fn auth0(name: &str) -> Connection {
    let mut fields = Credentials::default();
    fields.set("domain", "https://tenant.eu.auth0.com");
    fields.set("client_id", "client-abc");
    fields.set("client_secret", "s3cr3t");
    Connection::new(name, "auth0", "client_credentials", fields)
}

fn names(vault: &Vault) -> Vec<String> {
    let mut names: Vec<String> = vault
        .connections()
        .unwrap()
        .into_iter()
        .map(|c| match c {
            StoredConnection::Intact(c) => c.name,
            StoredConnection::Damaged(d) => panic!("damaged {d:?}"),
        })
        .collect();
    names.sort();
    names
}

/// A source with two connections, a token and a flow using both.
fn source(dir: &TempDir) -> Vault {
    let mut from = vault(dir, "from.db", 1);
    let sms = twilio("Twilio SMS", "tw-token");
    let idp = auth0("Auth0 prod");
    from.add_connection(&sms).unwrap();
    from.add_connection(&idp).unwrap();
    let token = Token {
        access_token: SecretValue::new("eyJ-access"),
        token_type: "Bearer".into(),
        scope: Some("read:users".into()),
        obtained_at: now(),
        expires_at: Some(now() + time::Duration::hours(1)),
    };
    from.store_token(&idp.id, &token, None).unwrap();
    let mut flow = Flow::new("Onboarding");
    from.add_flow(&flow).unwrap();
    let mut inputs = Credentials::default();
    inputs.set("user_id", "u-1");
    flow.steps = vec![
        FlowStep::new("auth0.get_user", Some(idp.id.clone()), inputs),
        FlowStep::new(
            "twilio.send_sms",
            Some(sms.id.clone()),
            Credentials::default(),
        ),
    ];
    from.save_steps(&flow).unwrap();
    from
}

#[test]
fn everything_arrives_and_a_second_copy_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let from = source(&dir);
    let mut to = vault(&dir, "to.db", 2);

    let report = copy_vault(&from, &mut to, false).unwrap();
    assert_eq!(report.connections.added, 2);
    assert_eq!(report.flows.added, 1);
    assert_eq!(report.tokens, 1);
    assert_eq!(names(&to), ["Auth0 prod", "Twilio SMS"]);
    let copied = to.connection("Auth0 prod").unwrap();
    assert_eq!(copied.fields.get("client_secret"), Some("s3cr3t"));
    let token = to.token_record(&copied.id).unwrap().token.unwrap();
    assert_eq!(token.access_token.expose(), "eyJ-access");
    let flow = to.flow("Onboarding").unwrap();
    assert_eq!(flow.steps.len(), 2);
    assert_eq!(flow.steps[0].connection.as_ref(), Some(&copied.id));
    assert_eq!(flow.steps[0].inputs.get("user_id"), Some("u-1"));

    let again = copy_vault(&from, &mut to, false).unwrap();
    assert_eq!(
        again.connections,
        Tally {
            unchanged: 2,
            ..Tally::default()
        }
    );
    assert_eq!(again.flows.unchanged, 1);
    assert_eq!(again.tokens, 0);
    assert_eq!(to.connection("Auth0 prod").unwrap().version, copied.version);
}

#[test]
fn a_different_record_of_the_same_name_is_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let from = source(&dir);
    let mut to = vault(&dir, "to.db", 2);
    to.add_connection(&twilio("Twilio SMS", "another-token"))
        .unwrap();

    let err = copy_vault(&from, &mut to, false).unwrap_err();
    assert!(matches!(err, CopyError::Differs(_)), "{err}");
    assert!(err.to_string().contains("“Twilio SMS”"), "{err}");
    assert!(err.to_string().contains("--overwrite"), "{err}");
    // Not even the connection that was free to copy.
    assert_eq!(names(&to), ["Twilio SMS"]);
    assert!(to.flows().unwrap().is_empty());

    let report = copy_vault(&from, &mut to, true).unwrap();
    assert_eq!(report.connections.overwritten, 1);
    assert_eq!(report.connections.added, 1);
    let replaced = to.connection("Twilio SMS").unwrap();
    assert_eq!(replaced.fields.get("auth_token"), Some("tw-token"));
    // The flow's step points at the destination's own connection.
    let flow = to.flow("Onboarding").unwrap();
    assert_eq!(flow.steps[1].connection.as_ref(), Some(&replaced.id));
}
