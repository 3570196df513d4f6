//! The real `flowvault` binary against a real OpenBao dev server started by
//! each test (`bao server -dev` on 127.0.0.1): every command, `copy` both ways
//! for every catalog service, no plaintext in the KV mount, a conflict
//! between two processes, two daemons sharing the renewal, the audit trail.
//!
//! Every process runs with HOME in a temporary folder (the developer's
//! `~/.vault-token` is never read), the login in `BAO_TOKEN`, stdin closed
//! and no controlling terminal, so a passphrase prompt would fail the test.
#![allow(unsafe_code)] // libc: signals and sessions of child processes, the effective uid

#[path = "common/bao.rs"]
#[allow(dead_code)]
mod bao;
mod common;

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

    /// Like `ok`, for a command that changes something: what it said it did,
    /// a message on stderr.
    fn said(&self, vault: &str, args: &[&str]) -> String {
        let out = self.run(vault, args);
        assert_success(&out, &format!("{args:?} on {vault}"));
        assert!(out.stdout.is_empty(), "{args:?} printed data");
        String::from_utf8(out.stderr).unwrap()
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
    let out = machine.said(vault, &["init"]);
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

/// When each token request arrived, with its body.
type Arrivals = Arc<std::sync::Mutex<Vec<(Instant, String)>>>;

/// A token endpoint that issues `tok-N` (N counting up) for `expires_in` s.
async fn counting_tenant(expires_in: i64) -> (MockServer, Arc<AtomicUsize>) {
    let (server, issued, _) = timed_tenant(expires_in).await;
    (server, issued)
}

/// `counting_tenant`, also noting when each request arrived.
async fn timed_tenant(expires_in: i64) -> (MockServer, Arc<AtomicUsize>, Arrivals) {
    let server = MockServer::start().await;
    let issued = Arc::new(AtomicUsize::new(0));
    let arrivals: Arrivals = Arc::default();
    let (counter, noted) = (issued.clone(), arrivals.clone());
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(move |r: &Request| {
            let body = String::from_utf8_lossy(&r.body).into_owned();
            noted.lock().unwrap().push((Instant::now(), body));
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            token_body(&format!("tok-{n}"), expires_in)
        })
        .mount(&server)
        .await;
    (server, issued, arrivals)
}

/// The shortest and the mean time between two token requests of one client.
fn gaps(arrivals: &Arrivals, client_id: &str) -> (Duration, Duration) {
    let times: Vec<Instant> = arrivals
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, body)| body.contains(&format!("client_id={client_id}")))
        .map(|(at, _)| *at)
        .collect();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let shortest = gaps.iter().min().copied().unwrap_or(Duration::MAX);
    let mean = gaps.iter().sum::<Duration>() / gaps.len().max(1) as u32;
    (shortest, mean)
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
    assert_error(
        &me.run(v, &["show", "Hook"]),
        5,
        "show renamed-away (not found)",
    );
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
    me.ok(v, &["rm", "Mgmt API", "--force", "--yes"]);
    me.ok(v, &["rm", "Webhook", "--yes"]);
    assert_eq!(me.json(v, &["list", "--json"]), json!([]));

    // verify checks every record; OpenBao keeps no integrity digest, so the
    // message must not claim one.
    me.add(
        v,
        "http",
        "Kept",
        "bearer",
        &[],
        &secret("token", "CANARY-kept"),
    );
    let verify = me.ok(v, &["verify"]);
    assert!(verify.contains("intact"), "{verify}");
    assert!(!verify.contains("digest"), "{verify}");
    me.ok(v, &["rm", "Kept", "--yes"]);
    let checked = me.ok(v, &["audit", "--verify"]);
    assert!(checked.contains("intact"), "{checked}");

    // File-only commands refuse with a usage error that says why.
    for cmd in [&["passwd"][..], &["rekey"], &["verify", "--accept"]] {
        let stderr = assert_error(&me.run(v, cmd), 2, cmd[0]);
        assert!(
            stderr.contains("vault file") && stderr.contains("OpenBao"),
            "{stderr}"
        );
    }

    // No login, a refused login, no server: exit 1 and a line that says which.
    let mut anonymous = Machine::new(&bao);
    anonymous.token.clear();
    let out = anonymous
        .cmd(v)
        .env_remove("BAO_TOKEN")
        .arg("list")
        .output()
        .unwrap();
    let stderr = assert_error(&out, 1, "no token");
    assert!(stderr.contains("BAO_TOKEN"), "{stderr}");
    anonymous.token = "s.not-a-token".into();
    let stderr = assert_error(&anonymous.run(v, &["list"]), 1, "bad token");
    assert!(stderr.contains("permission denied"), "{stderr}");
    let nowhere = "openbao+http://127.0.0.1:9/secret/team";
    let stderr = assert_error(&me.run(nowhere, &["list"]), 1, "no server");
    assert!(stderr.contains("unreachable"), "{stderr}");

    // 6. The audit trail: each action, no secret.
    let text = me.ok(v, &["audit"]);
    let trail = me.json(v, &["audit", "--json"]);
    let all = trail.to_string();
    for canary in ["CANARY", "tok-1", "tok-2"] {
        assert!(!all.contains(canary), "{canary} in the audit trail: {all}");
        assert!(
            !text.contains(canary),
            "{canary} in the audit trail: {text}"
        );
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
    // The changes, recorded by the OpenBao store's own writes.
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
    // Every entry says who (the OpenBao token's identity) and when, in order.
    for (i, entry) in trail.as_array().unwrap().iter().enumerate() {
        assert_eq!(entry["seq"], i as u64 + 1, "{entry}");
        assert!(!entry["actor"].as_str().unwrap().is_empty(), "{entry}");
        assert!(
            !all.contains(&bao.root_token),
            "the login token in the trail"
        );
    }
    // One connection's history follows it across its rename, by id.
    let webhook = me.json(v, &["audit", "Webhook", "--json"]);
    let kinds: Vec<&str> = webhook
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        kinds.contains(&"add") && kinds.contains(&"rename") && kinds.contains(&"remove"),
        "{webhook}"
    );
    let recent = me.json(v, &["audit", "--json", "--last", "2"]);
    assert_eq!(recent.as_array().unwrap().len(), 2, "{recent}");
    let since = me.json(v, &["audit", "--json", "--since", "1h"]);
    assert_eq!(since, trail, "everything happened within the hour");
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

#[tokio::test]
async fn copy_round_trips_every_catalog_service_both_ways() {
    let (tenant, issued) = counting_tenant(3600).await;
    let bao = BaoServer::start();
    let me = Machine::new(&bao);
    let dir = TempDir::new().unwrap();
    let (file, _) = init_file(&me, dir.path(), "from.db");
    let (back, back_key) = init_file(&me, dir.path(), "back.db");
    let v = &bao_url(&bao, "copied");
    init_bao(&me, v);

    let mut names = add_every_service(&me, &file);
    assert!(names.len() >= 20, "{names:?}");
    // A token and a flow travel too.
    let live = "auth0 on loopback";
    me.add(
        &file,
        "auth0",
        live,
        "client_credentials",
        &auth0_fields(&tenant, "client-live"),
        &secret("client_secret", "live-secret"),
    );
    names.push(live.to_owned());
    assert_eq!(me.ok(&file, &["token", live]).trim(), "tok-1");
    me.ok(&file, &["flows", "add", "Travelling"]);
    me.ok(
        &file,
        &[
            "flows",
            "add-action",
            "Travelling",
            "auth0.get_user",
            "--connection",
            live,
            "--set",
            "user_id=u-9",
        ],
    );

    // file → OpenBao.
    let copied = me.said(&file, &["copy", "--to", v]);
    assert!(copied.contains(&names.len().to_string()), "{copied}");
    // OpenBao → a new file.
    me.ok(
        v,
        &[
            "copy",
            "--to",
            &back,
            "--to-key-file",
            back_key.to_str().unwrap(),
        ],
    );

    for name in &names {
        let a = shown(&me, &file, name);
        let b = shown(&me, v, name);
        let c = shown(&me, &back, name);
        assert_eq!(a, b, "{name}: file vs OpenBao");
        assert_eq!(a, c, "{name}: file vs file copied back");
    }
    let flows = me.json(&file, &["flows", "list", "--json"]);
    assert_eq!(flows, me.json(v, &["flows", "list", "--json"]));
    assert_eq!(flows, me.json(&back, &["flows", "list", "--json"]));
    for vault in [v.as_str(), &back] {
        assert_eq!(me.ok(vault, &["token", live]).trim(), "tok-1", "{vault}");
    }
    assert_eq!(issued.load(Ordering::SeqCst), 1, "the token was copied");

    // A second copy changes nothing.
    let again = me.said(&file, &["copy", "--to", v]);
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

// ---------------------------------------------------------------------------
// 3. Nothing readable in the KV mount.
// ---------------------------------------------------------------------------

/// The `bao` CLI as root on this server.
fn bao_cli(bao: &BaoServer, args: &[&str]) -> String {
    let out = std::process::Command::new("bao")
        .args(args)
        .env_remove("VAULT_TOKEN")
        .env_remove("VAULT_ADDR")
        .env("BAO_ADDR", format!("http://127.0.0.1:{}", bao.port))
        .env("BAO_TOKEN", &bao.root_token)
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .expect("run bao");
    assert!(
        out.status.success(),
        "bao {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every key under `path` (a folder, ending in `/`), recursively.
fn kv_keys(bao: &BaoServer, path: &str, listings: &mut String) -> Vec<String> {
    let listed = bao_cli(bao, &["kv", "list", "-format=json", path]);
    listings.push_str(&listed);
    let mut keys = Vec::new();
    for key in serde_json::from_str::<Vec<String>>(&listed).unwrap() {
        let full = format!("{path}{key}");
        if key.ends_with('/') {
            keys.extend(kv_keys(bao, &full, listings));
        } else {
            keys.push(full);
        }
    }
    keys
}

#[tokio::test]
async fn a_canary_secret_is_not_in_any_kv_entry_of_the_mount() {
    let bao = BaoServer::start();
    let me = Machine::new(&bao);
    let v = &bao_url(&bao, "sealed");
    let (tenant, _) = counting_tenant(3600).await;
    init_bao(&me, v);
    let canary = "CANARY-7f3a9c-secret";
    let name = "Zebra Canary Connection";
    me.add(
        v,
        "auth0",
        name,
        "client_credentials",
        &auth0_fields(&tenant, "client-zz"),
        &secret("client_secret", canary),
    );
    // A token, a flow, a reveal, an edit: every kind of record is written.
    assert_eq!(me.ok(v, &["token", name]).trim(), "tok-1");
    me.ok(v, &["show", name, "--reveal"]);
    me.ok(v, &["flows", "add", "Zebra Flow"]);
    me.ok(
        v,
        &[
            "flows",
            "add-action",
            "Zebra Flow",
            "auth0.get_user",
            "--connection",
            name,
            "--set",
            "user_id=u-1",
        ],
    );
    me.ok(v, &["edit", name, "--set", "client_id=client-zz2"]);

    let mut listings = String::new();
    let keys = kv_keys(&bao, "secret/sealed/", &mut listings);
    assert!(keys.len() >= 4, "{keys:?}");
    let mut everything = listings.clone();
    for key in &keys {
        everything.push_str(&bao_cli(&bao, &["kv", "get", "-format=json", key]));
    }
    for needle in [canary, name, "tok-1", "client-zz", "Zebra"] {
        assert!(
            !everything.contains(needle),
            "{needle:?} is readable in the KV mount"
        );
    }
}

// ---------------------------------------------------------------------------
// 4. Two processes editing one connection.
// ---------------------------------------------------------------------------

#[test]
fn two_edits_of_one_connection_give_one_conflict_and_lose_nothing() {
    let bao = BaoServer::start();
    let me = Machine::new(&bao);
    let v = &bao_url(&bao, "race");
    init_bao(&me, v);
    me.add(
        v,
        "http",
        "Shared",
        "basic",
        &[("username".into(), "alice".into())],
        &secret("password", "pw-0"),
    );

    // A: reads the connection, then waits for its secrets on stdin.
    let mut a = me.std_cmd();
    let mut a = a
        .args(["--vault", v, "edit", "Shared", "--secrets-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A has logged in, unwrapped the key and read the record once its main
    // thread waits on the stdin pipe.
    wait_reading_stdin(a.id());
    // B: edits and saves meanwhile.
    me.ok(v, &["edit", "Shared", "--set", "username=bob"]);
    // A now saves on the version it read.
    {
        use std::io::Write;
        let mut stdin = a.stdin.take().unwrap();
        stdin.write_all(b"password=pw-A\n").unwrap();
    }
    let out = a.wait_with_output().unwrap();
    let stderr = assert_error(&out, 1, "the edit that lost the race");
    assert!(stderr.contains("changed by another process"), "{stderr}");

    // B's change is there, A's was not half-applied.
    let shown = me.json(v, &["show", "Shared", "--json", "--reveal"]);
    assert_eq!(shown["fields"]["username"], "bob", "{shown}");
    assert_eq!(shown["fields"]["password"], "pw-0", "{shown}");
    // A, run again, saves on top of B's change: nothing lost.
    let out = me
        .cmd(v)
        .args(["edit", "Shared", "--secrets-stdin"])
        .write_stdin("password=pw-A\n")
        .output()
        .unwrap();
    assert_success(&out, "edit again");
    let shown = me.json(v, &["show", "Shared", "--json", "--reveal"]);
    assert_eq!(shown["fields"]["username"], "bob", "{shown}");
    assert_eq!(shown["fields"]["password"], "pw-A", "{shown}");
}

/// Waits until process `pid`'s main thread blocks reading a pipe (its stdin).
fn wait_reading_stdin(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
        if wchan.contains("pipe_read") || wchan.contains("pipe_wait") {
            // The read may have been for the record's answer: make sure.
            std::thread::sleep(Duration::from_millis(100));
            let again = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
            if again.contains("pipe_read") || again.contains("pipe_wait") {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the edit never read its stdin: {wchan:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// 5. Two daemons on two machines share the renewal.
// ---------------------------------------------------------------------------

fn spawn_daemon(machine: &Machine, vault: &str) -> std::process::Child {
    let mut cmd = machine.std_cmd();
    cmd.args(["--vault", vault, "daemon"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stop_daemon(child: std::process::Child) -> String {
    // SAFETY: kill with a valid pid and signal has no other effect.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "daemon exit {:?}: {log}", out.status);
    log
}

fn requests_from(requests: &[Request], client_id: &str) -> usize {
    let needle = format!("client_id={client_id}&");
    requests
        .iter()
        .filter(|r| {
            let body = String::from_utf8_lossy(&r.body);
            body.contains(&needle) || body.ends_with(&format!("client_id={client_id}"))
        })
        .count()
}

#[tokio::test]
async fn two_daemons_renew_no_more_often_than_one() {
    let bao = BaoServer::start();
    let (tenant, _, arrivals) = timed_tenant(4).await;
    let solo_vault = &bao_url(&bao, "solo");
    let pair_vault = &bao_url(&bao, "pair");
    let admin = Machine::new(&bao);
    for (vault, client) in [(solo_vault, "solo-client"), (pair_vault, "pair-client")] {
        init_bao(&admin, vault);
        admin.add(
            vault,
            "auth0",
            "Short",
            "client_credentials",
            &auth0_fields(&tenant, client),
            &secret("client_secret", "s3cret"),
        );
    }
    // The baseline and the pair run side by side, each machine its own HOME.
    let (solo, m1, m2) = (Machine::new(&bao), Machine::new(&bao), Machine::new(&bao));
    let started = Instant::now();
    let d0 = spawn_daemon(&solo, solo_vault);
    let d1 = spawn_daemon(&m1, pair_vault);
    let d2 = spawn_daemon(&m2, pair_vault);
    tokio::time::sleep(Duration::from_secs(9)).await;
    // A third process, while the daemons run, gets the newest token issued
    // for the pair (a token renewed by either daemon is seen by everyone).
    let third = Machine::new(&bao);
    let token = third.ok(pair_vault, &["token", "Short"]);
    let so_far = tenant.received_requests().await.unwrap();
    let newest_pair = 1 + so_far
        .iter()
        .rposition(|r| requests_from(std::slice::from_ref(r), "pair-client") == 1)
        .unwrap();
    assert_eq!(
        token.trim(),
        format!("tok-{newest_pair}"),
        "the third process reads the newest renewed token"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let logs = [stop_daemon(d0), stop_daemon(d1), stop_daemon(d2)];
    let ran = started.elapsed();

    let requests = tenant.received_requests().await.unwrap();
    let one = requests_from(&requests, "solo-client");
    let two = requests_from(&requests, "pair-client");
    let ((gap_one, mean_one), (gap_two, mean_two)) = (
        gaps(&arrivals, "solo-client"),
        gaps(&arrivals, "pair-client"),
    );
    eprintln!(
        "in {ran:?}: one daemon {one} token requests (gaps: shortest {gap_one:?}, \
         mean {mean_one:?}), two daemons {two} (shortest {gap_two:?}, mean {mean_two:?})"
    );
    // A 4 s token renews 2 s before expiry: several renewals in 10 s.
    assert!(
        one >= 3,
        "the baseline daemon renewed {one} times: {}",
        logs[0]
    );
    assert!(two >= 3, "the pair renewed {two} times: {logs:?}");
    // Over a fixed window the count depends on the phase of the renewals
    // (5 or 6 in 10 s for one daemon alone): one more is phase, not a second
    // renewer; two renewers would make about twice as many, and requests
    // only a moment apart. So: at most one more, and no renewal before the
    // token is due (2 s after the last one, less at most 10 % jitter and the
    // time a renewal takes to be stored and seen under load).
    assert!(
        two <= one + 1,
        "two daemons made {two} token requests, one alone {one}: {logs:?}"
    );
    assert!(
        gap_two >= Duration::from_millis(1200),
        "two token requests only {gap_two:?} apart: {logs:?}"
    );
    // Phase-free: the pair renews no more often than one daemon alone.
    assert!(
        mean_two.as_secs_f64() >= 0.9 * mean_one.as_secs_f64(),
        "the pair renews every {mean_two:?}, one daemon alone every {mean_one:?}"
    );
    // Each of the two machines renewed or read the other's renewal: the
    // renewals are split between them, never made twice.
    let renewed = |log: &str| log.matches("renewed “Short”").count();
    eprintln!(
        "renewals logged: machine 1 {}, machine 2 {}",
        renewed(&logs[1]),
        renewed(&logs[2])
    );
    assert_eq!(renewed(&logs[1]) + renewed(&logs[2]), two, "{logs:?}");
}
