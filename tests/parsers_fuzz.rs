//! Property-based fuzzing of what flowvault parses from untrusted bytes: sealed
//! values, the catalog and field values, and the vault header's key slots.
//! Every input gives an answer (usually an error), never a panic, and never a
//! long key derivation. A short run is part of the normal test run; set
//! `FLOWVAULT_FUZZ_CASES` (for example 100000) for a longer one.

use flowvault::catalog::{Catalog, Field, Rule};
use flowvault::vault::crypto::{SealContext, SealingKey, SecretKey, VAULT_ID_LEN, unwrap_key};
use flowvault::vault::{KdfParams, UnlockKey, Vault, VaultError};
use proptest::prelude::*;
use proptest::test_runner::Config;
use zeroize::Zeroizing;

/// Cases per property: `FLOWVAULT_FUZZ_CASES`, else `default`.
fn cases(default: u32) -> Config {
    let cases = std::env::var("FLOWVAULT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    // A failure prints its minimal input; no regression file is written
    // beside the tests.
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Sealed values

const VAULT_ID: [u8; VAULT_ID_LEN] = [9; VAULT_ID_LEN];

fn ctx() -> SealContext<'static> {
    SealContext {
        vault_id: &VAULT_ID,
        table: "connections",
        row_id: "row-1",
        column: "fields",
    }
}

/// One change to a sealed value.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { to: usize },
    Append(Vec<u8>),
    Version(u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|to| Mutation::Truncate { to }),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(Mutation::Append),
        any::<u32>()
            .prop_filter("another version", |v| *v != 1)
            .prop_map(Mutation::Version),
    ]
}

fn apply(sealed: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Flip { at, mask } => {
            let at = at % sealed.len();
            sealed[at] ^= mask;
        }
        Mutation::Truncate { to } => sealed.truncate(to % sealed.len()),
        Mutation::Append(bytes) => sealed.extend_from_slice(bytes),
        Mutation::Version(v) => {
            if let Some(version) = sealed.get_mut(1..5) {
                version.copy_from_slice(&v.to_be_bytes());
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn arbitrary_bytes_never_open(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let key = SealingKey::new(&SecretKey::from_bytes([3; 32]), 1);
        prop_assert!(key.open(&ctx(), &bytes).is_err());
        let kek = SecretKey::from_bytes([4; 32]);
        prop_assert!(unwrap_key(&kek, &bytes, b"ad").is_err());
    }

    #[test]
    fn a_mutated_sealed_value_never_opens(
        plaintext in prop::collection::vec(any::<u8>(), 0..512),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let key = SealingKey::new(&SecretKey::from_bytes([5; 32]), 1);
        let sealed = key.seal(&ctx(), &plaintext).unwrap();
        prop_assert_eq!(&**key.open(&ctx(), &sealed).unwrap(), &plaintext[..]);
        let mut bad = sealed.clone();
        for m in &mutations {
            if bad.is_empty() {
                break;
            }
            apply(&mut bad, m);
        }
        prop_assume!(bad != sealed);
        prop_assert!(key.open(&ctx(), &bad).is_err());
    }
}

// ---------------------------------------------------------------------------
// The catalog and field values

fn every_field() -> Vec<Field> {
    let catalog = Catalog::embedded();
    let mut fields: Vec<Field> = catalog
        .services()
        .iter()
        .flat_map(|s| s.methods.iter().flat_map(|m| m.fields.iter().cloned()))
        .collect();
    fields.extend(
        catalog
            .actions()
            .iter()
            .flat_map(|a| a.inputs.iter().cloned()),
    );
    fields
}

/// Strings near the shapes the rules look for, and anything at all.
fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z]{0,6}://[a-zA-Z0-9:@./%?#\\[\\]-]{0,40}",
        "[a-zA-Z0-9:@.%-]{0,40}",
        "-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[\\PC]{0,40}",
        "[{}\\[\\]\",:0-9a-z ]{0,40}",
    ]
}

/// A copy of `text` with a few character ranges replaced.
fn mutated_text(text: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec((any::<usize>(), 0..40usize, any::<String>()), 1..6).prop_map(
        move |edits| {
            let mut chars: Vec<char> = text.chars().collect();
            for (at, len, insert) in edits {
                let at = at % (chars.len() + 1);
                let end = (at + len).min(chars.len());
                chars.splice(at..end, insert.chars());
            }
            chars.into_iter().collect()
        },
    )
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn field_validation_answers_every_string(value in field_value()) {
        for field in every_field() {
            let verdict = field.validate(&value);
            if verdict.is_ok() && matches!(field.rule, Some(Rule::Url)) && !value.trim().is_empty() {
                let url = url::Url::parse(value.trim()).unwrap();
                prop_assert!(url.username().is_empty() && url.password().is_none(), "{value:?}");
            }
            if let Err(e) = verdict {
                // The value itself is never part of the message.
                prop_assume!(value.trim().len() > 3);
                prop_assert!(!e.to_string().contains(value.trim()), "{e}");
            }
        }
    }

    #[test]
    fn arbitrary_catalog_text_parses_or_is_refused(text in any::<String>()) {
        let _ = Catalog::parse(&text);
    }

    #[test]
    fn a_damaged_catalog_parses_or_is_refused(
        services in mutated_text(include_str!("../assets/services.toml")),
    ) {
        let _ = Catalog::parse(&services);
        let _ = Catalog::parse_with_actions(&services, include_str!("../assets/actions.toml"));
    }
}

// ---------------------------------------------------------------------------
// The vault header and its key slots

const PASSPHRASE: &str = "correct horse battery";

/// Cheap enough to run once per case.
const CHEAP_KDF: KdfParams = KdfParams {
    memory_kib: 8192,
    iterations: 1,
    parallelism: 1,
};

fn passphrase() -> UnlockKey {
    UnlockKey::Passphrase(Zeroizing::new(PASSPHRASE.to_owned()))
}

/// One stored value: kept, or replaced by anything SQLite can hold.
#[derive(Debug, Clone)]
enum Stored {
    Keep,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

impl Stored {
    fn sql(&self) -> Option<rusqlite::types::Value> {
        use rusqlite::types::Value;
        match self {
            Stored::Keep => None,
            Stored::Int(n) => Some(Value::Integer(*n)),
            Stored::Text(s) => Some(Value::Text(s.clone())),
            Stored::Blob(b) => Some(Value::Blob(b.clone())),
            Stored::Null => Some(Value::Null),
        }
    }
}

/// Mostly near the real values (so checks past the first are reached), and
/// sometimes anything: whole-range integers, nearby costs, other bytes.
fn stored(near: i64) -> impl Strategy<Value = Stored> {
    prop_oneof![
        3 => Just(Stored::Keep),
        2 => (-2i64..=2).prop_filter("a change", |d| *d != 0).prop_map(move |d| Stored::Int(near + d)),
        2 => any::<i64>().prop_map(Stored::Int),
        1 => any::<u32>().prop_map(|n| Stored::Int(i64::from(n))),
        1 => "[a-z_]{0,12}".prop_map(Stored::Text),
        1 => prop::collection::vec(any::<u8>(), 0..80).prop_map(Stored::Blob),
        1 => Just(Stored::Null),
    ]
}

fn stored_bytes(len: usize) -> impl Strategy<Value = Stored> {
    prop_oneof![
        3 => Just(Stored::Keep),
        2 => prop::collection::vec(any::<u8>(), len..=len).prop_map(Stored::Blob),
        2 => prop::collection::vec(any::<u8>(), 0..2 * len + 1).prop_map(Stored::Blob),
        1 => any::<i64>().prop_map(Stored::Int),
        1 => Just(Stored::Null),
    ]
}

fn stored_kind() -> impl Strategy<Value = Stored> {
    prop_oneof![
        3 => Just(Stored::Keep),
        1 => Just(Stored::Text("key_file".into())),
        1 => "[a-z_]{0,12}".prop_map(Stored::Text),
        1 => any::<i64>().prop_map(Stored::Int),
    ]
}

/// A changed header: each key-slot and vault-meta column kept or replaced.
#[derive(Debug, Clone)]
struct HeaderEdit {
    slot: Vec<(&'static str, Stored)>,
    meta: Vec<(&'static str, Stored)>,
}

fn header_edit() -> impl Strategy<Value = HeaderEdit> {
    (
        stored_kind(),
        stored(i64::from(CHEAP_KDF.memory_kib)),
        stored(i64::from(CHEAP_KDF.iterations)),
        stored(i64::from(CHEAP_KDF.parallelism)),
        stored_bytes(32),
        stored_bytes(72),
        stored_bytes(VAULT_ID_LEN),
        stored(1),
    )
        .prop_map(
            |(kind, m, t, p, salt, wrapped, vault_id, version)| HeaderEdit {
                slot: vec![
                    ("kind", kind),
                    ("kdf_memory_kib", m),
                    ("kdf_iterations", t),
                    ("kdf_parallelism", p),
                    ("salt", salt),
                    ("wrapped_key", wrapped),
                ],
                meta: vec![("vault_id", vault_id), ("key_version", version)],
            },
        )
}

/// A passphrase vault with a cheap KDF, and a copy of its pristine file.
struct HeaderFixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    pristine: Vec<u8>,
    pristine_header: Vec<rusqlite::types::Value>,
}

/// Every header column a key slot depends on, as stored.
fn header(db: &rusqlite::Connection) -> Vec<rusqlite::types::Value> {
    let mut values = Vec::new();
    for sql in [
        "SELECT kind, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key FROM key_slots",
        "SELECT vault_id, key_version, NULL, NULL, NULL, NULL FROM vault_meta",
    ] {
        db.query_row(sql, [], |r| {
            for i in 0..6 {
                values.push(r.get::<_, rusqlite::types::Value>(i)?);
            }
            Ok(())
        })
        .unwrap();
    }
    values
}

impl HeaderFixture {
    fn new() -> HeaderFixture {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("vault.db");
        let vault = Vault::create(&path, &passphrase(), CHEAP_KDF).unwrap();
        drop(vault);
        // One self-contained file: fold the WAL back in.
        let db = rusqlite::Connection::open(&path).unwrap();
        db.pragma_update(None, "journal_mode", "DELETE").unwrap();
        drop(db);
        let pristine_header = header(&rusqlite::Connection::open(&path).unwrap());
        let pristine = std::fs::read(&path).unwrap();
        HeaderFixture {
            _dir: dir,
            path,
            pristine,
            pristine_header,
        }
    }

    /// Applies `edit` to a fresh copy; whether the header now differs.
    fn edited(&self, edit: &HeaderEdit) -> bool {
        for suffix in ["-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        std::fs::write(&self.path, &self.pristine).unwrap();
        let db = rusqlite::Connection::open(&self.path).unwrap();
        for (table, columns) in [("key_slots", &edit.slot), ("vault_meta", &edit.meta)] {
            for (column, value) in columns {
                if let Some(value) = value.sql() {
                    // NOT NULL columns refuse some values: that edit is skipped.
                    let _ = db.execute(&format!("UPDATE {table} SET {column} = ?1"), [value]);
                }
            }
        }
        header(&db) != self.pristine_header
    }
}

#[test]
fn sane_kdf_parameters_never_cost_more_than_the_budget() {
    // The cost a wrong passphrase can be made to pay, whatever the header says:
    // memory × passes within four times the default (about 1.6 s here).
    let default = KdfParams::default();
    let budget = 4 * u64::from(default.memory_kib) * u64::from(default.iterations);
    let mut runner = proptest::test_runner::TestRunner::new(cases(20_000));
    runner
        .run(
            &(
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                0u32..=300_000,
                0u32..=70,
                0u32..=20,
            ),
            |(m, t, p, m2, t2, p2)| {
                for params in [
                    KdfParams {
                        memory_kib: m,
                        iterations: t,
                        parallelism: p,
                    },
                    KdfParams {
                        memory_kib: m2,
                        iterations: t2,
                        parallelism: p2,
                    },
                ] {
                    if params.is_sane() {
                        let cost = u64::from(params.memory_kib) * u64::from(params.iterations);
                        prop_assert!(cost <= budget, "{params:?}");
                        prop_assert!(params.memory_kib <= 256 * 1024, "{params:?}");
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn an_altered_header_cannot_unlock_and_never_panics(edit in header_edit()) {
        thread_local! {
            static FIXTURE: HeaderFixture = HeaderFixture::new();
        }
        FIXTURE.with(|fixture| {
            let changed = fixture.edited(&edit);
            let opened = Vault::open(&fixture.path, &passphrase());
            if changed {
                prop_assert!(
                    matches!(opened, Err(VaultError::CannotUnlock)),
                    "{edit:?}: {:?}",
                    opened.map(|_| "unlocked")
                );
            } else {
                prop_assert!(opened.is_ok(), "{edit:?}");
            }
            Ok(())
        })?;
    }
}
