//! The real `flowvault` binary against a real OpenBao dev server started by
//! each test (`bao server -dev` on 127.0.0.1): every command, `copy` both ways
//! for every catalog service, no plaintext in the KV mount, a conflict
//! between two processes, two daemons sharing the renewal, the audit trail.
//!
//! Every process runs with HOME in a temporary folder (the developer's
//! `~/.vault-token` is never read), the login in `BAO_TOKEN`, stdin closed
//! and no controlling terminal, so a passphrase prompt would fail the test.

mod common;
#[path = "common/bao.rs"]
#[allow(dead_code)]
mod bao;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bao::BaoServer;
use common::{BIN, assert_error, assert_success, isolate, stdin_lines};
use flowvault::catalog::{Catalog, Field, Rule};
use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Variables that would point a child at another OpenBao login or vault.
const BAO_ENV: &[&str] = &[
    "BAO_TOKEN",
    "VAULT_TOKEN",
    "BAO_ADDR",
    "VAULT_ADDR",
    "FLOWVAULT_BAO_ROLE_ID",
    "FLOWVAULT_BAO_SECRET_ID_FILE",
    "FLOWVAULT_LOG",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
];

/// One machine's view of the OpenBao server: its own HOME (state folders),
/// logged in with the root token.
struct Machine {
    home: TempDir,
    token: String,
}

impl Machine {
    fn new(bao: &BaoServer) -> Machine {
        Machine {
            home: TempDir::new().unwrap(),
            token: bao.root_token.clone(),
        }
    }

    /// The binary, isolated, with no stdin and no terminal.
    fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(BIN);
        isolate(&mut cmd);
        for var in BAO_ENV {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.home.path())
            .env("BAO_TOKEN", &self.token)
            .stdin(Stdio::null());
        // SAFETY: setsid is async-signal-safe; it detaches the child from
        // any controlling terminal so a prompt cannot read one.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        cmd
    }

    fn cmd(&self, vault: &str) -> assert_cmd::Command {
        let mut std_cmd = self.std_cmd();
        std_cmd.arg("--vault").arg(vault);
        if !vault.starts_with("openbao") {
            // A vault file made by `init_file`: its key file beside it.
            std_cmd.arg("--key-file").arg(format!("{vault}.key"));
        }
        let mut cmd = assert_cmd::Command::from_std(std_cmd);
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    fn run(&self, vault: &str, args: &[&str]) -> Output {
        self.cmd(vault).args(args).output().unwrap()
    }

    fn ok(&self, vault: &str, args: &[&str]) -> String {
        let out = self.run(vault, args);
        assert_success(&out, &format!("{args:?} on {vault}"));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, vault: &str, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(vault, args)).expect("JSON on stdout")
    }

    /// `add SERVICE NAME --method M --set … --secrets-stdin`.
    fn add(
        &self,
        vault: &str,
        service: &str,
        name: &str,
        method: &str,
        sets: &[(String, String)],
        secrets: &[(String, String)],
    ) {
        let mut cmd = self.cmd(vault);
        cmd.args(["add", service, name, "--method", method]);
        for (k, v) in sets {
            cmd.arg("--set").arg(format!("{k}={v}"));
        }
        let pairs: Vec<(&str, &str)> = secrets
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        cmd.arg("--secrets-stdin").write_stdin(stdin_lines(&pairs));
        assert_success(&cmd.output().unwrap(), &format!("add {service} {name}"));
    }
}

fn bao_url(bao: &BaoServer, prefix: &str) -> String {
    format!("openbao+http://127.0.0.1:{}/secret/{prefix}", bao.port)
}

/// A new OpenBao vault (`init` creates the transit key on first use).
fn init_bao(machine: &Machine, vault: &str) {
    let out = machine.ok(vault, &["init"]);
    assert!(out.contains("Created"), "{out}");
}

/// A new vault file with a fresh key file.
fn init_file(machine: &Machine, dir: &Path, name: &str) -> (String, PathBuf) {
    let path = dir.join(name);
    let key = dir.join(format!("{name}.key"));
    let mut std_cmd = machine.std_cmd();
    std_cmd.arg("--vault").arg(&path);
    let out = assert_cmd::Command::from_std(std_cmd)
        .arg("init")
        .arg("--new-key-file")
        .arg(&key)
        .output()
        .unwrap();
    assert_success(&out, "init file");
    (path.to_str().unwrap().to_owned(), key)
}

fn token_body(token: &str, expires_in: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": "read:users",
    }))
}

/// A token endpoint that issues `tok-N` (N counting up) for `expires_in` s.
async fn counting_tenant(expires_in: i64) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            token_body(&format!("tok-{n}"), expires_in)
        })
        .mount(&server)
        .await;
    (server, issued)
}

fn auth0_fields(server: &MockServer, client_id: &str) -> Vec<(String, String)> {
    vec![
        ("domain".into(), server.uri()),
        ("client_id".into(), client_id.into()),
    ]
}

fn secret(key: &str, value: &str) -> Vec<(String, String)> {
    vec![(key.into(), value.into())]
}

// ---------------------------------------------------------------------------
// 1. Every command, and 6. the audit trail.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_command_works_on_openbao_without_a_passphrase_and_is_audited() {
    let bao = BaoServer::start();
    let me = Machine::new(&bao);
    let v = &bao_url(&bao, "team");
    let (tenant, issued) = counting_tenant(3600).await;

    // init creates the transit key.
    init_bao(&me, v);
    let (status, body) = bao.raw("GET", "transit/keys/flowvault", None);
    assert_eq!(status, 200, "no transit key after init: {body}");
    // A second init refuses: the vault exists.
    assert_error(&me.run(v, &["init"]), 1, "second init");

    me.add(
        v,
        "auth0",
        "Mgmt API",
        "client_credentials",
        &auth0_fields(&tenant, "client-abc"),
        &secret("client_secret", "CANARY-auth0-secret"),
    );
    me.add(
        v,
        "http",
        "Hook",
        "bearer",
        &[],
        &secret("token", "CANARY-bearer-1"),
    );

    let list = me.ok(v, &["list"]);
    assert!(list.contains("Mgmt API") && list.contains("Hook"), "{list}");
    let rows = me.json(v, &["list", "--json"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let hook = rows.iter().find(|r| r["name"] == "Hook").unwrap();
    assert_eq!(hook["service"], "http");

    let shown = me.ok(v, &["show", "Hook"]);
    assert!(!shown.contains("CANARY-bearer-1"), "{shown}");
    assert!(shown.contains(common::MASK), "{shown}");
    let shown = me.ok(v, &["show", "Hook", "--reveal"]);
    assert!(shown.contains("CANARY-bearer-1"), "{shown}");

    // edit: a secret from stdin.
    let out = me
        .cmd(v)
        .args(["edit", "Hook", "--secrets-stdin"])
        .write_stdin("token=CANARY-bearer-2\n")
        .output()
        .unwrap();
    assert_success(&out, "edit");
    let shown = me.json(v, &["show", "Hook", "--json", "--reveal"]);
    assert_eq!(shown["fields"]["token"], "CANARY-bearer-2", "{shown}");

    me.ok(v, &["rename", "Hook", "Webhook"]);
    assert_error(&me.run(v, &["show", "Hook"]), 5, "show renamed-away (not found)");
    me.ok(v, &["show", "Webhook"]);

    // token and refresh against the loopback tenant.
    assert_eq!(me.ok(v, &["token", "Mgmt API"]).trim(), "tok-1");
    assert_eq!(me.ok(v, &["token", "Mgmt API"]).trim(), "tok-1");
    assert_eq!(issued.load(Ordering::SeqCst), 1, "the token was stored");
    me.ok(v, &["refresh", "Mgmt API"]);
    assert_eq!(me.ok(v, &["token", "Mgmt API"]).trim(), "tok-2");
    assert_eq!(
        me.json(v, &["list", "--json"])[0]["status"],
        "ready",
        "after refresh"
    );

    // flows.
    me.ok(v, &["flows", "add", "Onboard"]);
    let pos = me.ok(
        v,
        &[
            "flows",
            "add-action",
            "Onboard",
            "auth0.get_user",
            "--set",
            "user_id=auth0|42",
        ],
    );
    assert_eq!(pos.trim(), "1", "{pos}");
    me.ok(v, &["flows", "set-connection", "Onboard", "1", "Mgmt API"]);
    let flows = me.json(v, &["flows", "list", "--json"]);
    assert_eq!(flows[0]["name"], "Onboard", "{flows}");
    assert_eq!(
        flows.to_string().matches("Mgmt API").count(),
        1,
        "the action uses the connection: {flows}"
    );
    let before = tenant.received_requests().await.unwrap().len();
    let dry = me.ok(v, &["run", "Onboard", "--dry-run"]);
    assert!(dry.contains("/api/v2/users/"), "{dry}");
    assert!(!dry.contains("tok-2"), "the dry run masks the token: {dry}");
    let after = tenant.received_requests().await.unwrap();
    assert!(
        after[before..]
            .iter()
            .all(|r| r.url.path() == "/oauth/token"),
        "a dry run sends no action request"
    );

    // rm: refused while the flow uses it, then forced.
    assert_error(&me.run(v, &["rm", "Mgmt API"]), 2, "rm in use");
    me.ok(v, &["rm", "Mgmt API", "--force"]);
    me.ok(v, &["rm", "Webhook"]);
    assert_eq!(me.json(v, &["list", "--json"]), json!([]));

    let verify = me.ok(v, &["verify"]);
    assert!(!verify.is_empty());
    let checked = me.ok(v, &["audit", "--verify"]);
    assert!(checked.contains("intact"), "{checked}");

    // File-only commands refuse with a usage error that says why.
    for cmd in ["passwd", "rekey"] {
        let stderr = assert_error(&me.run(v, &[cmd]), 2, cmd);
        assert!(
            stderr.contains("vault file") && stderr.contains("OpenBao"),
            "{stderr}"
        );
    }

    // 6. The audit trail: each action, no secret.
    let text = me.ok(v, &["audit"]);
    let trail = me.json(v, &["audit", "--json"]);
    let all = trail.to_string();
    for canary in ["CANARY", "tok-1", "tok-2"] {
        assert!(!all.contains(canary), "{canary} in the audit trail: {all}");
        assert!(!text.contains(canary), "{canary} in the audit trail: {text}");
    }
    let actions: Vec<(String, String)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["target"]["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let has = |action: &str, name: &str| actions.iter().any(|(a, n)| a == action && n == name);
    assert!(has("reveal", "Hook"), "reveal missing: {actions:?}");
    assert!(
        has("token_printed", "Mgmt API"),
        "token missing: {actions:?}"
    );
    // NOTE: these changes are recorded by the OpenBao store's own writes,
    // which the store work adds on main; this assertion needs that merged.
    for (action, name) in [
        ("add", "Mgmt API"),
        ("add", "Hook"),
        ("edit", "Hook"),
        ("rename", "Webhook"),
        ("remove", "Webhook"),
        ("remove", "Mgmt API"),
        ("refresh", "Mgmt API"),
        ("flow_add", "Onboard"),
    ] {
        assert!(has(action, name), "{action} {name} missing: {actions:?}");
    }
}

// ---------------------------------------------------------------------------
// 2. copy both ways, every catalog service.
// ---------------------------------------------------------------------------

/// A valid value for a field, by its validation rule.
fn valid_value(field: &Field, service: &str) -> String {
    match &field.rule {
        Some(Rule::Domain) => "tenant.eu.auth0.com".into(),
        Some(Rule::Url) => format!("https://{service}.example.com/{}", field.key),
        Some(Rule::Email) => "robot@project.iam.gserviceaccount.com".into(),
        Some(Rule::Pem) => {
            "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0B-----END PRIVATE KEY-----".into()
        }
        Some(Rule::Choice(choices)) => choices.last().unwrap().clone(),
        Some(Rule::Json) => r#"{"k":1}"#.into(),
        Some(Rule::Pattern { example, .. }) => example
            .clone()
            .unwrap_or_else(|| panic!("{service}.{} has a pattern and no example", field.key)),
        None => format!("{service}-{}-value", field.key),
    }
}

/// One connection per service and method of `services --json`, every field
/// filled; returns the names.
fn add_every_service(machine: &Machine, vault: &str) -> Vec<String> {
    let catalog = Catalog::embedded();
    let services = machine.json(vault, &["services", "--json"]);
    let mut names = Vec::new();
    for service in services.as_array().unwrap() {
        let id = service["id"].as_str().unwrap();
        for m in service["methods"].as_array().unwrap() {
            let method = m["id"].as_str().unwrap();
            let fields = &catalog
                .service(id)
                .and_then(|s| s.method(method))
                .unwrap_or_else(|| panic!("{id}/{method} not in the catalog"))
                .fields;
            let (mut sets, mut secrets) = (Vec::new(), Vec::new());
            for field in fields {
                let value = valid_value(field, id);
                if field.secret {
                    secrets.push((field.key.clone(), value));
                } else {
                    sets.push((field.key.clone(), value));
                }
            }
            let name = format!("{id} {method}");
            machine.add(vault, id, &name, method, &sets, &secrets);
            names.push(name);
        }
    }
    names
}

/// `show NAME --json --reveal`.
fn shown(machine: &Machine, vault: &str, name: &str) -> Value {
    machine.json(vault, &["show", name, "--json", "--reveal"])
}

#[test]
fn copy_round_trips_every_catalog_service_both_ways() {
    let bao = BaoServer::start();
    let me = Machine::new(&bao);
    let dir = TempDir::new().unwrap();
    let (file, _) = init_file(&me, dir.path(), "from.db");
    let (back, back_key) = init_file(&me, dir.path(), "back.db");
    let v = &bao_url(&bao, "copied");
    init_bao(&me, v);

    let names = add_every_service(&me, &file);
    assert!(names.len() >= 20, "{names:?}");

    // file → OpenBao.
    let copied = me.ok(&file, &["copy", "--to", v]);
    assert!(copied.contains(&names.len().to_string()), "{copied}");
    // OpenBao → a new file.
    me.ok(
        v,
        &["copy", "--to", &back, "--to-key-file", back_key.to_str().unwrap()],
    );

    for name in &names {
        let a = shown(&me, &file, name);
        let b = shown(&me, v, name);
        let c = shown(&me, &back, name);
        assert_eq!(a, b, "{name}: file vs OpenBao");
        assert_eq!(a, c, "{name}: file vs file copied back");
    }

    // A second copy changes nothing.
    let again = me.ok(&file, &["copy", "--to", v]);
    assert!(
        again.contains("0 added")
            && again.contains(&format!("{} unchanged", names.len()))
            && again.contains("0 replaced"),
        "{again}"
    );

    // A conflicting record: refused without --overwrite, nothing copied.
    let conflicted = names
        .iter()
        .find(|n| n.starts_with("auth0"))
        .unwrap()
        .clone();
    me.ok(
        v,
        &["edit", &conflicted, "--set", "client_id=changed-on-bao"],
    );
    let extra = "extra only in file";
    me.add(
        &file,
        "http",
        extra,
        "bearer",
        &[],
        &secret("token", "extra-token"),
    );
    let stderr = assert_error(&me.run(&file, &["copy", "--to", v]), 1, "conflicting copy");
    assert!(stderr.contains(conflicted.as_str()), "{stderr}");
    assert!(stderr.contains("--overwrite"), "{stderr}");
    assert_error(&me.run(v, &["show", extra]), 5, "nothing copied");
    assert_eq!(
        shown(&me, v, &conflicted)["fields"]["client_id"],
        "changed-on-bao"
    );

    // With --overwrite the file's record replaces it.
    me.ok(&file, &["copy", "--to", v, "--overwrite"]);
    assert_eq!(shown(&me, v, &conflicted), shown(&me, &file, &conflicted));
    assert_eq!(shown(&me, v, extra), shown(&me, &file, extra));
}
