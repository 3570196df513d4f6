//! `export` and `import` as an operator moving a vault sees them: every
//! record arrives as it left, secrets byte for byte; a wrong key, a damaged
//! file or a name clash changes nothing; the files interoperate with the
//! `age` tool.

#[path = "common/bao.rs"]
#[allow(dead_code)]
mod bao;
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use flowvault::catalog::{Catalog, Field, Rule};
use flowvault::vault::export::{Encryption, ExportDocument, build_document, seal_document};
use flowvault::vault::{
    Connection, Credentials, Flow, FlowStep, SecretValue, StoredConnection, Token, UnlockKey,
    Vault, VaultStore, now,
};
use serde_json::Value;
use zeroize::Zeroizing;

use common::terminal::{self, Terminal};
use common::{TestVault, assert_error, assert_success, write_private};

const EXPORT_PASSPHRASE: &str = "export passphrase 42";

/// A 40-line PEM private key, with its final line break.
fn pem_40_lines() -> String {
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for i in 0..38 {
        pem.push_str(&format!(
            "{:0>64}\n",
            format!("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC{i}")
        ));
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    assert_eq!(pem.lines().count(), 40);
    pem
}

/// A Google service-account key file as downloaded: JSON over many lines,
/// with a PEM inside written with `\n` escapes.
fn service_account_json() -> String {
    "{\n  \"type\": \"service_account\",\n  \"project_id\": \"my-project-123\",\n  \
     \"private_key_id\": \"0123abcd\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n\",\n  \
     \"client_email\": \"robot@my-project-123.iam.gserviceaccount.com\",\n  \"token_uri\": \"https://oauth2.googleapis.com/token\"\n}\n"
        .to_owned()
}

/// A valid value for every field, by its rule (the PEM field gets the 40
/// lines, the first rule-free secret the JSON key file).
fn value_for(service: &str, field: &Field) -> String {
    match &field.rule {
        Some(Rule::Domain) => "tenant.eu.auth0.com".into(),
        Some(Rule::Url) => format!("https://{service}.example.com/{}", field.key),
        Some(Rule::Email) => "robot@project.iam.gserviceaccount.com".into(),
        Some(Rule::Pem) => pem_40_lines(),
        Some(Rule::Choice(choices)) => choices.last().unwrap().clone(),
        Some(Rule::Json) => service_account_json(),
        Some(Rule::Pattern { example, .. }) => example
            .clone()
            .unwrap_or_else(|| panic!("{service}.{} has a pattern and no example", field.key)),
        None if service == "clearbit" => service_account_json(),
        None => format!("{service}-{}-value", field.key),
    }
}

fn key_of(vault: &TestVault) -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(std::fs::read(&vault.key).unwrap()))
}

fn open(vault: &TestVault) -> Vault {
    Vault::open(&vault.path, &key_of(vault)).unwrap()
}

fn intact(vault: &Vault) -> Vec<Connection> {
    vault
        .connections()
        .unwrap()
        .into_iter()
        .map(|c| match c {
            StoredConnection::Intact(c) => c,
            StoredConnection::Damaged(d) => panic!("damaged {d:?}"),
        })
        .collect()
}

/// One connection per catalog service and method with every field filled,
/// a token on every other one, and a flow using several of them.
fn full_vault() -> TestVault {
    let test_vault = TestVault::new();
    let mut vault = open(&test_vault);
    let mut added = Vec::new();
    for service in Catalog::embedded().services() {
        for method in &service.methods {
            let mut fields = Credentials::default();
            for field in &method.fields {
                fields.set(field.key.clone(), value_for(&service.id, field));
            }
            let name = format!("{} {}", service.name, method.name);
            let connection = Connection::new(name, &service.id, &method.id, fields);
            vault.add_connection(&connection).unwrap();
            added.push(connection);
        }
    }
    for (i, connection) in added.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let token = Token {
            access_token: SecretValue::new(format!("eyJ-access-{i}")),
            token_type: "Bearer".into(),
            scope: Some("read:users".into()),
            obtained_at: now(),
            expires_at: Some(now() + time::Duration::hours(1)),
        };
        vault.store_token(&connection.id, &token, None).unwrap();
    }
    let by_service = |id: &str| added.iter().find(|c| c.service == id).unwrap().id.clone();
    let mut flow = Flow::new("Onboarding");
    vault.add_flow(&flow).unwrap();
    let mut user = Credentials::default();
    user.set("user_id", "auth0|42");
    let mut sms = Credentials::default();
    sms.set("to", "+15550100");
    sms.set("body", "Welcome,\nmulti-line body");
    flow.steps = vec![
        FlowStep::new("auth0.get_user", Some(by_service("auth0")), user),
        FlowStep::new("twilio.send_sms", Some(by_service("twilio")), sms),
        FlowStep::new("jwt.decode", None, Credentials::default()),
    ];
    vault.save_steps(&flow).unwrap();
    vault.add_flow(&Flow::new("Empty flow")).unwrap();
    test_vault
}

fn passphrase_file(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
    let path = dir.join(name);
    write_private(&path, format!("{passphrase}\n"));
    path
}

fn export(vault: &TestVault, out: &Path, extra: &[&str]) -> Output {
    vault
        .cmd()
        .arg("export")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// Exports `vault` to a passphrase from a file; returns the export's path
/// and the passphrase file.
fn export_with_passphrase(vault: &TestVault) -> (PathBuf, PathBuf) {
    let pass = passphrase_file(vault.dir.path(), "export-pass", EXPORT_PASSPHRASE);
    let out = vault.dir.path().join("vault.age");
    let output = export(
        vault,
        &out,
        &["--age-passphrase-file", pass.to_str().unwrap()],
    );
    assert_success(&output, "export");
    (out, pass)
}

fn import(vault: &TestVault, file: &Path, extra: &[&str]) -> Output {
    vault
        .cmd()
        .arg("import")
        .arg(file)
        .args(extra)
        .output()
        .unwrap()
}

fn import_with(vault: &TestVault, file: &Path, pass: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--age-passphrase-file", pass.to_str().unwrap()];
    args.extend_from_slice(extra);
    import(vault, file, &args)
}

/// Everything a user can see of a vault: connections with their ids and
/// states, and flows with their actions' connections.
fn visible_state(vault: &TestVault) -> (Vec<Value>, Value) {
    let out = vault
        .cmd()
        .args(["flows", "list", "--json"])
        .output()
        .unwrap();
    assert_success(&out, "flows list --json");
    (
        vault.list_json(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// The vault file and its log, byte for byte.
fn file_bytes(vault: &TestVault) -> Vec<Vec<u8>> {
    ["", "-wal"]
        .iter()
        .map(|suffix| {
            std::fs::read(format!("{}{suffix}", vault.path.display())).unwrap_or_default()
        })
        .collect()
}

/// Asserts the connection and flow records of `to` equal those of `from`,
/// field by field, with the flows' steps pointing at the connections of
/// the same names.
fn assert_same_records(from: &Vault, to: &Vault) {
    let (sources, targets) = (intact(from), intact(to));
    assert_eq!(sources.len(), targets.len(), "connection count");
    let from_tokens = from.token_records().unwrap();
    let to_tokens = to.token_records().unwrap();
    for source in &sources {
        let target = targets
            .iter()
            .find(|t| t.name == source.name)
            .unwrap_or_else(|| panic!("{:?} was not imported", source.name));
        assert_eq!(target.id, source.id, "{}: id kept", source.name);
        assert_eq!(target.service, source.service, "{}", source.name);
        assert_eq!(target.method, source.method, "{}", source.name);
        for (key, value) in source.fields.iter() {
            let arrived = target.fields.iter().find(|(k, _)| *k == key);
            assert_eq!(
                arrived.map(|(_, v)| v.expose().as_bytes()),
                Some(value.expose().as_bytes()),
                "{}: field {key} byte for byte",
                source.name
            );
        }
        assert_eq!(
            target.fields, source.fields,
            "{}: no field more",
            source.name
        );
        assert_eq!(target.created_at, source.created_at, "{}", source.name);
        assert_eq!(target.updated_at, source.updated_at, "{}", source.name);
        assert_eq!(
            to_tokens.get(&target.id).and_then(|r| r.token.clone()),
            from_tokens.get(&source.id).and_then(|r| r.token.clone()),
            "{}: token record",
            source.name
        );
    }
    let name_of = |connections: &[Connection], id: &Option<flowvault::vault::ConnectionId>| {
        id.as_ref().map(|id| {
            connections
                .iter()
                .find(|c| &c.id == id)
                .unwrap()
                .name
                .clone()
        })
    };
    let (source_flows, target_flows) = (from.flows().unwrap(), to.flows().unwrap());
    assert_eq!(source_flows.len(), target_flows.len(), "flow count");
    for flow in &source_flows {
        let there = target_flows.iter().find(|f| f.name == flow.name).unwrap();
        assert_eq!(there.steps.len(), flow.steps.len(), "{}", flow.name);
        for (a, b) in flow.steps.iter().zip(&there.steps) {
            assert_eq!(a.action, b.action);
            assert_eq!(a.inputs, b.inputs);
            assert_eq!(
                name_of(&sources, &a.connection),
                name_of(&targets, &b.connection),
                "{}: the step points at the same connection",
                flow.name
            );
        }
    }
}

#[test]
fn export_then_import_into_an_empty_vault_round_trips_every_service() {
    let source = full_vault();
    let (file, pass) = export_with_passphrase(&source);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the export is private");
    let leftovers: Vec<_> = std::fs::read_dir(source.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".export-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );

    let target = TestVault::new();
    let out = import_with(&target, &file, &pass, &[]);
    assert_success(&out, "import");
    let said = String::from_utf8_lossy(&out.stderr);
    let services: usize = Catalog::embedded()
        .services()
        .iter()
        .map(|s| s.methods.len())
        .sum();
    assert!(
        said.contains(&format!("connections {services} added")),
        "{said}"
    );
    assert_same_records(&open(&source), &open(&target));

    // The user's own view: the PEM and the JSON key file, revealed.
    let pem = target.show_json("BigQuery Service account", true);
    let json = serde_json::to_string(&pem).unwrap();
    assert!(
        json.contains(&serde_json::to_string(&pem_40_lines()).unwrap()),
        "the 40-line PEM, byte for byte: {json}"
    );
    let key_file = target.show_json("Clearbit API key", true);
    assert!(
        serde_json::to_string(&key_file)
            .unwrap()
            .contains(&serde_json::to_string(&service_account_json()).unwrap()),
        "the JSON key file, byte for byte: {key_file}"
    );

    // Both trails say so, with counts and never a value.
    let audit = |vault: &TestVault, action: &str| -> Vec<Value> {
        let out = vault.cmd().args(["audit", "--json"]).output().unwrap();
        assert_success(&out, "audit --json");
        let entries: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        entries
            .into_iter()
            .filter(|e| e["action"] == action)
            .collect()
    };
    let exported = audit(&source, "export");
    assert_eq!(exported.len(), 1, "{exported:?}");
    assert!(
        exported[0]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{services} connections"))
    );
    let imported = audit(&target, "import");
    assert_eq!(imported.len(), 1, "{imported:?}");
    assert!(
        !imported[0].to_string().contains("eyJ-access"),
        "{imported:?}"
    );

    // The same import again changes nothing and says so.
    let before = visible_state(&target);
    let again = import_with(&target, &file, &pass, &[]);
    assert_success(&again, "import again");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains(&format!("{services} unchanged")),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(visible_state(&target), before);
}

#[test]
fn an_export_goes_through_a_pipe_and_back() {
    let source = full_vault();
    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    let out = source
        .cmd()
        .args(["export", "-", "--recipient", &public])
        .output()
        .unwrap();
    assert_success(&out, "export -");
    assert!(out.stdout.starts_with(b"age-encryption.org/v1\n"));
    let target = TestVault::new();
    let key = target.dir.path().join("identity.txt");
    write_private(&key, format!("{}\n", age_secret(&identity)));
    let imported = target
        .cmd()
        .args(["import", "-", "--identity"])
        .arg(&key)
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert_success(&imported, "import -");
    assert_same_records(&open(&source), &open(&target));
}

#[test]
fn an_existing_file_is_refused_unless_forced_and_bad_recipients_before_unlocking() {
    let source = full_vault();
    let pass = passphrase_file(source.dir.path(), "export-pass", EXPORT_PASSPHRASE);
    let out = source.dir.path().join("taken.age");
    std::fs::write(&out, "keep me").unwrap();
    let refused = export(
        &source,
        &out,
        &["--age-passphrase-file", pass.to_str().unwrap()],
    );
    let said = assert_error(&refused, 2, "export over a file");
    assert!(said.contains("already exists"), "{said}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");

    let forced = export(
        &source,
        &out,
        &["--age-passphrase-file", pass.to_str().unwrap(), "--force"],
    );
    assert_success(&forced, "export --force");
    assert!(
        std::fs::read(&out)
            .unwrap()
            .starts_with(b"age-encryption.org/v1\n")
    );

    // Not even --force puts an export in place of the vault it came from.
    let before = std::fs::read(&source.path).unwrap();
    let onto_vault = export(
        &source,
        &source.path,
        &["--age-passphrase-file", pass.to_str().unwrap(), "--force"],
    );
    let said = assert_error(&onto_vault, 2, "export onto the vault");
    assert!(said.contains("replace the vault itself"), "{said}");
    assert_eq!(std::fs::read(&source.path).unwrap(), before);

    let bad = export(
        &source,
        &source.dir.path().join("new.age"),
        &["--recipient", "age1notakey"],
    );
    let said = assert_error(&bad, 2, "a malformed recipient");
    assert!(said.contains("age1notakey"), "{said}");
    assert!(!source.dir.path().join("new.age").exists());

    // No terminal to type a passphrase on: exit 3, nothing written.
    let mut cmd = source.cmd();
    cmd.args(["export"])
        .arg(source.dir.path().join("typed.age"));
    let untyped = cmd.output().unwrap();
    assert_error(&untyped, 3, "export with no passphrase source");
    assert!(!source.dir.path().join("typed.age").exists());
}

#[test]
fn a_wrong_key_a_damaged_or_a_foreign_file_is_refused_and_changes_nothing() {
    let source = full_vault();
    let (file, pass) = export_with_passphrase(&source);
    let target = TestVault::new();
    target.add(
        "http",
        "Already here",
        Some("bearer"),
        &[],
        &[("token", "t0k")],
    );
    let state = visible_state(&target);
    let bytes = file_bytes(&target);
    let unchanged = |what: &str| {
        assert_eq!(visible_state(&target), state, "{what}: list unchanged");
        assert_eq!(file_bytes(&target), bytes, "{what}: vault bytes unchanged");
    };

    let wrong = passphrase_file(target.dir.path(), "wrong", "not the passphrase");
    let said = assert_error(
        &import_with(&target, &file, &wrong, &[]),
        3,
        "wrong passphrase",
    );
    assert!(said.contains("wrong passphrase"), "{said}");
    unchanged("wrong passphrase");

    let original = std::fs::read(&file).unwrap();
    let mut flipped = original.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let tampered = target.dir.path().join("tampered.age");
    std::fs::write(&tampered, &flipped).unwrap();
    let said = assert_error(&import_with(&target, &tampered, &pass, &[]), 4, "tampered");
    assert!(said.contains("damaged or was altered"), "{said}");
    unchanged("tampered");

    let truncated = target.dir.path().join("truncated.age");
    std::fs::write(&truncated, &original[..original.len() - 100]).unwrap();
    let said = assert_error(
        &import_with(&target, &truncated, &pass, &[]),
        4,
        "truncated",
    );
    assert!(said.contains("damaged or was altered"), "{said}");
    unchanged("truncated");

    // Encrypted to someone else's key: this identity does not open it.
    let theirs = age::x25519::Identity::generate();
    let mine = age::x25519::Identity::generate();
    let foreign = target.dir.path().join("foreign.age");
    let sealed = seal_document(
        &build_document(&open(&source)).unwrap(),
        Encryption::Recipients(vec![theirs.to_public()]),
        Vec::new(),
    )
    .unwrap();
    std::fs::write(&foreign, sealed).unwrap();
    let identity = target.dir.path().join("me.txt");
    write_private(&identity, format!("{}\n", age_secret(&mine)));
    let out = import(
        &target,
        &foreign,
        &["--identity", identity.to_str().unwrap()],
    );
    let said = assert_error(&out, 3, "another recipient");
    assert!(said.contains("wrong passphrase or identity"), "{said}");
    unchanged("another recipient");
    // And a passphrase for a file made for keys: told to give --identity.
    let said = assert_error(
        &import_with(&target, &foreign, &pass, &[]),
        2,
        "no identity",
    );
    assert!(said.contains("--identity"), "{said}");
    unchanged("no identity");

    let not_age = target.dir.path().join("plain.json");
    std::fs::write(&not_age, "{\"format\":\"flowvault-export\"}").unwrap();
    assert_error(
        &import_with(&target, &not_age, &pass, &[]),
        4,
        "not an age file",
    );
    unchanged("not an age file");
}

fn age_secret(identity: &age::x25519::Identity) -> String {
    use age::secrecy::ExposeSecret;
    identity.to_string().expose_secret().to_owned()
}

/// Seals a document made from `vault` and changed by `change` to a passphrase.
fn sealed_variant(vault: &TestVault, change: impl FnOnce(&mut ExportDocument)) -> Vec<u8> {
    let mut doc = build_document(&open(vault)).unwrap();
    change(&mut doc);
    seal_document(
        &doc,
        Encryption::Passphrase(EXPORT_PASSPHRASE.to_owned().into()),
        Vec::new(),
    )
    .unwrap()
}

#[test]
fn a_document_with_records_no_vault_takes_is_refused_whole() {
    let source = full_vault();
    let target = TestVault::new();
    let pass = passphrase_file(target.dir.path(), "pass", EXPORT_PASSPHRASE);
    let bytes = file_bytes(&target);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "an unknown service",
            sealed_variant(&source, |d| d.connections[0].service = "nosuch".into()),
            "no service “nosuch”",
        ),
        (
            "a field value add would refuse",
            sealed_variant(&source, |d| {
                let auth0 = d
                    .connections
                    .iter_mut()
                    .find(|c| c.service == "auth0")
                    .unwrap();
                auth0.fields.set("domain", "not a host");
            }),
            "Tenant Domain",
        ),
        (
            "a name used twice",
            sealed_variant(&source, |d| {
                let first = d.connections[0].name.clone();
                d.connections[1].name = first.to_uppercase();
            }),
            "appears twice",
        ),
        (
            "an input the action does not take",
            sealed_variant(&source, |d| {
                let flow = d.flows.iter_mut().find(|f| !f.steps.is_empty()).unwrap();
                flow.steps[0].inputs.set("no_such_input", "x");
            }),
            "has no input “no_such_input”",
        ),
        (
            "a newer version",
            sealed_variant(&source, |d| d.version = 2),
            "newer flowvault",
        ),
    ];
    for (what, sealed, expected) in cases {
        let file = target.dir.path().join("variant.age");
        std::fs::write(&file, sealed).unwrap();
        let said = assert_error(&import_with(&target, &file, &pass, &[]), 1, what);
        assert!(said.contains(expected), "{what}: {said}");
        assert!(target.list_json().is_empty(), "{what}: nothing imported");
    }
    assert_eq!(file_bytes(&target).len(), bytes.len());
}

/// The JSON rows of `import --check --json`.
fn check_rows(out: &Output) -> Vec<(String, String, String)> {
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["change"].as_str().unwrap().to_owned(),
                r["kind"].as_str().unwrap().to_owned(),
                r["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_name_clash_is_refused_unless_overwrite_which_keeps_ids_and_flows() {
    // The export: "Billing" (new values), "Same" (identical), "New", and a
    // flow "Notify" using Billing.
    let source = TestVault::new();
    source.add(
        "http",
        "Billing",
        Some("bearer"),
        &[],
        &[("token", "new-token")],
    );
    source.add("http", "Same", Some("bearer"), &[], &[("token", "same")]);
    source.add("http", "New", Some("bearer"), &[], &[("token", "fresh")]);
    for args in [
        vec!["flows", "add", "Notify"],
        vec![
            "flows",
            "add-action",
            "Notify",
            "http.request",
            "--connection",
            "Billing",
            "--set",
            "url=https://billing.example.com/",
        ],
    ] {
        assert_success(&source.cmd().args(&args).output().unwrap(), "flows");
    }
    let (file, _) = export_with_passphrase(&source);
    let target = TestVault::new();
    let pass = passphrase_file(target.dir.path(), "pass", EXPORT_PASSPHRASE);
    target.add(
        "http",
        "billing",
        Some("bearer"),
        &[],
        &[("token", "old-token")],
    );
    target.add("http", "Same", Some("bearer"), &[], &[("token", "same")]);
    for args in [
        vec!["flows", "add", "Notify"],
        vec![
            "flows",
            "add-action",
            "Notify",
            "http.request",
            "--connection",
            "billing",
            "--set",
            "url=https://old.example.com/",
        ],
    ] {
        assert_success(&target.cmd().args(&args).output().unwrap(), "flows");
    }
    let billing_id = target.list_entry("billing")["id"].clone();
    let state = visible_state(&target);
    let bytes = file_bytes(&target);

    let refused = import_with(&target, &file, &pass, &[]);
    let said = assert_error(&refused, 2, "a clash without --overwrite");
    assert!(
        said.contains("connection “Billing”") && said.contains("flow “Notify”"),
        "the clashing names are listed: {said}"
    );
    assert!(
        !said.contains("“Same”") && !said.contains("“New”"),
        "{said}"
    );
    assert_eq!(visible_state(&target), state, "nothing written");
    assert_eq!(file_bytes(&target), bytes, "nothing written");

    let check = import_with(&target, &file, &pass, &["--check", "--json"]);
    assert_eq!(check.status.code(), Some(2), "--check says the clash too");
    assert_eq!(
        check_rows(&check),
        vec![
            ("conflict".into(), "connection".into(), "Billing".into()),
            ("unchanged".into(), "connection".into(), "Same".into()),
            ("added".into(), "connection".into(), "New".into()),
            ("conflict".into(), "flow".into(), "Notify".into()),
        ]
    );
    let check = import_with(&target, &file, &pass, &["--check", "--overwrite"]);
    assert_success(&check, "--check --overwrite");
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        "overwritten\tconnection\tBilling\nunchanged\tconnection\tSame\n\
         added\tconnection\tNew\noverwritten\tflow\tNotify\n"
    );
    assert_eq!(visible_state(&target), state, "--check writes nothing");
    assert_eq!(file_bytes(&target), bytes, "--check writes nothing");

    let out = import_with(&target, &file, &pass, &["--overwrite"]);
    assert_success(&out, "import --overwrite");
    let billing = target.list_entry("Billing");
    assert_eq!(
        billing["id"], billing_id,
        "the replaced connection keeps its id"
    );
    let revealed = target.show_json("Billing", true);
    assert!(revealed.to_string().contains("new-token"), "{revealed}");
    let (connections, flows) = visible_state(&target);
    assert_eq!(connections.len(), 3, "{connections:?}");
    let flow = &flows.as_array().unwrap()[0];
    let step = flow.to_string();
    assert!(
        step.contains("Billing") && step.contains("billing.example.com"),
        "the flow's action points at the replaced connection, by its id: {flow}"
    );
    // The flow resolves its connection: a dry run of it names it.
    let dry = target
        .cmd()
        .args(["run", "Notify", "--dry-run"])
        .output()
        .unwrap();
    assert_success(&dry, "run --dry-run");
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("billing.example.com"),
        "{}",
        String::from_utf8_lossy(&dry.stdout)
    );
}

// ---------------------------------------------------------------------------
// The age tool

/// The `age` binary, or `None` with a notice; under CI it must be there.
fn age_tool() -> Option<()> {
    let found = std::process::Command::new("age")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(());
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the age tool is missing; .ci/run installs it"
    );
    eprintln!("notice: skipping the age interoperability test: no `age` on PATH");
    None
}

#[test]
fn exports_open_with_the_age_tool_and_its_files_import() {
    if age_tool().is_none() {
        return;
    }
    let source = full_vault();
    let dir = source.dir.path();
    let key = dir.join("age-key.txt");
    let keygen = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert_success(&keygen, "age-keygen");
    let key_text = std::fs::read_to_string(&key).unwrap();
    let public = key_text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned();

    let out = dir.join("to-key.age");
    assert_success(
        &export(&source, &out, &["--recipient", &public]),
        "export --recipient",
    );
    let decrypted = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg(&out)
        .output()
        .unwrap();
    assert_success(&decrypted, "age -d");
    let doc: Value = serde_json::from_slice(&decrypted.stdout).unwrap();
    assert_eq!(doc["format"], "flowvault-export");
    assert_eq!(doc["version"], 1);
    let services: usize = Catalog::embedded()
        .services()
        .iter()
        .map(|s| s.methods.len())
        .sum();
    assert_eq!(doc["connections"].as_array().unwrap().len(), services);

    // A document encrypted by `age -r` imports with --identity.
    let plain = dir.join("doc.json");
    std::fs::write(&plain, &decrypted.stdout).unwrap();
    let by_key = dir.join("by-age-r.age");
    let encrypted = std::process::Command::new("age")
        .args(["-r", &public, "-o"])
        .arg(&by_key)
        .arg(&plain)
        .output()
        .unwrap();
    assert_success(&encrypted, "age -r");
    let target = TestVault::new();
    let imported = import(&target, &by_key, &["--identity", key.to_str().unwrap()]);
    assert_success(&imported, "import of an age -r file");
    assert_same_records(&open(&source), &open(&target));

    // A document encrypted by `age -p` (typed twice at its prompt) imports
    // with the passphrase.
    let by_pass = dir.join("by-age-p.age");
    age_with_passphrase(&plain, &by_pass, EXPORT_PASSPHRASE);
    let other = TestVault::new();
    let pass = passphrase_file(other.dir.path(), "pass", EXPORT_PASSPHRASE);
    assert_success(
        &import_with(&other, &by_pass, &pass, &[]),
        "import of an age -p file",
    );
    assert_same_records(&open(&source), &open(&other));
}

/// `age -p -o OUT IN` in a pseudo-terminal, the passphrase typed at both prompts.
fn age_with_passphrase(input: &Path, output: &Path, passphrase: &str) {
    let mut cmd = portable_pty::CommandBuilder::new("age");
    cmd.arg("-p");
    cmd.arg("-o");
    cmd.arg(output);
    cmd.arg(input);
    let (code, seen) = Terminal::answering(cmd, "passphrase", &[passphrase, passphrase]);
    assert_eq!(code, 0, "age -p failed: {seen}");
}

/// The binary on `vault` in a pseudo-terminal, unlocked by its key file.
fn flowvault_in_terminal(vault: &TestVault, args: &[&str]) -> portable_pty::CommandBuilder {
    let mut cmd = terminal::flowvault();
    cmd.arg("--vault");
    cmd.arg(&vault.path);
    cmd.arg("--key-file");
    cmd.arg(&vault.key);
    cmd.args(args);
    cmd
}

#[test]
fn the_export_passphrase_is_typed_twice_unechoed_and_once_to_import() {
    let source = full_vault();
    let file = source.dir.path().join("typed.age");
    let file_arg = file.to_str().unwrap();
    let typed = "typed export passphrase";

    // Two different answers: refused, no file.
    let cmd = flowvault_in_terminal(&source, &["export", file_arg]);
    let (code, seen) = Terminal::answering(cmd, "the export", &[typed, "something else"]);
    assert_eq!(code, 2, "{seen}");
    assert!(!file.exists());
    let cmd = flowvault_in_terminal(&source, &["export", file_arg]);
    let (code, seen) = Terminal::answering(cmd, "the export", &[typed, typed]);
    assert_eq!(code, 0, "{seen}");
    assert!(
        seen.contains("Passphrase for the export") && seen.contains("Repeat"),
        "{seen}"
    );
    assert!(
        !seen.contains(typed),
        "the passphrase is never echoed: {seen}"
    );

    let target = TestVault::new();
    let cmd = flowvault_in_terminal(&target, &["import", file_arg]);
    let (code, seen) = Terminal::answering(cmd, "Passphrase of", &[typed]);
    assert_eq!(code, 0, "{seen}");
    assert!(!seen.contains(typed), "{seen}");
    assert_same_records(&open(&source), &open(&target));
}

#[test]
fn a_batch_that_fails_part_way_writes_nothing() {
    let test_vault = TestVault::new();
    test_vault.add("http", "Taken", Some("bearer"), &[], &[("token", "t")]);
    let mut vault = open(&test_vault);
    let mut fields = Credentials::default();
    fields.set("token", "x");
    let first = Connection::new("First", "http", "bearer", fields.clone());
    let clash = Connection::new("taken", "http", "bearer", fields);
    let mut flow = Flow::new("Uses first");
    flow.steps = vec![FlowStep::new(
        "http.request",
        Some(first.id.clone()),
        Credentials::default(),
    )];
    let batch = flowvault::vault::RecordBatch {
        added: vec![first.clone(), clash],
        added_flows: vec![flow],
        ..Default::default()
    };
    assert!(
        vault.write_batch(&batch).is_err(),
        "the second name is taken"
    );
    drop(vault);
    let names: Vec<String> = test_vault
        .list_json()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Taken"], "the first connection was rolled back too");
    let (_, flows) = visible_state(&test_vault);
    assert_eq!(flows, Value::Array(Vec::new()));
    let verify = test_vault.cmd().arg("verify").output().unwrap();
    assert_success(&verify, "verify after the rolled-back batch");
}

// ---------------------------------------------------------------------------
// OpenBao

/// The binary on an OpenBao vault, logged in as root, HOME of its own.
fn on_bao(server: &bao::BaoServer, home: &Path, prefix: &str) -> assert_cmd::Command {
    let mut cmd = common::bare_cmd();
    for var in [
        "BAO_TOKEN",
        "VAULT_TOKEN",
        "BAO_ADDR",
        "VAULT_ADDR",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("BAO_TOKEN", &server.root_token)
        .arg("--vault")
        .arg(format!(
            "openbao+http://127.0.0.1:{}/secret/{prefix}",
            server.port
        ));
    cmd
}

#[test]
fn an_export_imports_into_openbao_and_back_out_the_same() {
    let server = bao::BaoServer::start();
    let source = full_vault();
    let (file, pass) = export_with_passphrase(&source);
    let home = source.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let bao = || on_bao(&server, &home, "imported");
    assert_success(&bao().arg("init").output().unwrap(), "init on OpenBao");
    let pass_arg = pass.to_str().unwrap();
    let out = bao()
        .arg("import")
        .arg(&file)
        .args(["--age-passphrase-file", pass_arg])
        .output()
        .unwrap();
    assert_success(&out, "import into OpenBao");

    // Out again into a new file: the same records as the source.
    let again = bao()
        .args(["export", "--age-passphrase-file", pass_arg])
        .arg(source.dir.path().join("from-bao.age"))
        .output()
        .unwrap();
    assert_success(&again, "export from OpenBao");
    let target = TestVault::new();
    let out = import_with(&target, &source.dir.path().join("from-bao.age"), &pass, &[]);
    assert_success(&out, "import of OpenBao's export");
    assert_same_records(&open(&source), &open(&target));

    // A second import into OpenBao changes nothing; its trail has the import.
    let check = bao()
        .arg("import")
        .arg(&file)
        .args(["--age-passphrase-file", pass_arg, "--check", "--json"])
        .output()
        .unwrap();
    assert_success(&check, "--check on OpenBao");
    assert!(
        check_rows(&check)
            .iter()
            .all(|(change, ..)| change == "unchanged")
    );
    let audit = bao().args(["audit", "--json"]).output().unwrap();
    assert_success(&audit, "audit on OpenBao");
    let entries: Vec<Value> = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(
        entries.iter().any(|e| e["action"] == "import"),
        "{entries:?}"
    );
    assert!(
        entries.iter().any(|e| e["action"] == "export"),
        "{entries:?}"
    );
}
