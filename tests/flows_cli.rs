//! `actions`, `flows …` and `run` against services the test starts on 127.0.0.1.

mod common;

use common::{TestVault, assert_error, assert_success};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn out(vault: &TestVault, args: &[&str]) -> std::process::Output {
    vault.cmd().args(args).output().unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// An Auth0 tenant on `server`: token endpoint granting `scope`.
async fn tenant(server: &MockServer, scope: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "mgmt-token-1", "token_type": "Bearer", "expires_in": 86400, "scope": scope
        })))
        .mount(server)
        .await;
}

fn add_auth0(vault: &TestVault, name: &str, server: &MockServer) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", &server.uri()), ("client_id", "cid")],
        &[("client_secret", "csecret")],
    );
}

fn add_twilio(vault: &TestVault, name: &str, server: &MockServer, token: &str) {
    vault.add(
        "twilio",
        name,
        None,
        &[("account_sid", SID), ("base_url", &server.uri())],
        &[("auth_token", token)],
    );
}

fn flows_json(vault: &TestVault) -> Vec<Value> {
    let o = out(vault, &["flows", "list", "--json"]);
    assert_success(&o, "flows list --json");
    serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_action_catalog_lists_every_required_action() {
    let vault = TestVault::new();
    let o = out(&vault, &["actions", "--json"]);
    assert_success(&o, "actions --json");
    let actions: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = actions.iter().map(|a| a["id"].as_str().unwrap()).collect();
    for id in [
        "auth0.get_user",
        "auth0.create_user",
        "auth0.update_user",
        "auth0.request",
        "twilio.send_sms",
        "twilio.make_call",
        "http.request",
        "jwt.sign",
        "jwt.verify",
        "jwt.decode",
        "slack.post_message",
        "sendgrid.send_email",
        "telegram.send_message",
        "stripe.create_customer",
        "zapier.trigger",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let get_user = actions
        .iter()
        .find(|a| a["id"] == "auth0.get_user")
        .unwrap();
    assert_eq!(get_user["scopes"], json!(["read:users"]));
    assert_eq!(
        actions.iter().find(|a| a["id"] == "http.request").unwrap()["connection"],
        "optional"
    );
}

#[tokio::test]
async fn auth0_and_twilio_requests_arrive_as_the_real_apis_expect() {
    let server = MockServer::start().await;
    tenant(&server, "read:users").await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/auth0%7C42"))
        .and(header("authorization", "Bearer mgmt-token-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"user_id": "auth0|42", "email": "ada@example.com"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        // base64("AC0123…cdef:tw-token")
        .and(header(
            "authorization",
            "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp0dy10b2tlbg==",
        ))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"sid": "SM1", "status": "queued"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt", &server);
    add_twilio(&vault, "SMS", &server, "tw-token");
    assert_success(&out(&vault, &["flows", "add", "Onboarding"]), "flows add");
    let o = out(
        &vault,
        &[
            "flows",
            "add-action",
            "Onboarding",
            "auth0.get_user",
            "--connection",
            "Mgmt",
            "--set",
            "user_id=auth0|42",
        ],
    );
    assert_success(&o, "add-action");
    assert_eq!(stdout(&o).trim(), "1");
    let o = out(
        &vault,
        &[
            "flows",
            "add-action",
            "Onboarding",
            "twilio.send_sms",
            "--connection",
            "SMS",
            "--set",
            "to=+14155550100",
            "--set",
            "from=+14155550199",
            "--set",
            "body=Welcome aboard",
        ],
    );
    assert_eq!(stdout(&o).trim(), "2");

    let o = out(&vault, &["run", "Onboarding"]);
    assert_success(&o, "run");
    let text = stdout(&o);
    assert!(
        text.contains("→ 200 OK") && text.contains("\"email\": \"ada@example.com\""),
        "{text}"
    );
    assert!(text.contains("→ 201 Created"), "{text}");
    assert!(
        !text.contains("tw-token") && !text.contains("mgmt-token-1"),
        "no secret in the output: {text}"
    );

    let requests = server.received_requests().await.unwrap();
    let sms = requests
        .iter()
        .find(|r| r.url.path().ends_with("Messages.json"))
        .unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&sms.body)
        .into_owned()
        .collect();
    assert_eq!(
        form,
        [
            ("Body".into(), "Welcome aboard".into()),
            ("From".into(), "+14155550199".into()),
            ("To".into(), "+14155550100".into())
        ]
    );
    server.verify().await;
}

#[tokio::test]
async fn a_dry_run_shows_each_request_with_secrets_masked_and_sends_nothing() {
    let server = MockServer::start().await;
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt", &server);
    add_twilio(&vault, "SMS", &server, "tw-token-secret");
    out(&vault, &["flows", "add", "F"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "auth0.get_user",
            "--connection",
            "Mgmt",
            "--set",
            "user_id=u1",
        ],
    );
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "twilio.send_sms",
            "--connection",
            "SMS",
            "--set",
            "to=+1",
            "--set",
            "from=+2",
            "--set",
            "body=Hi",
        ],
    );
    let o = out(&vault, &["run", "F", "--dry-run"]);
    assert_success(&o, "dry run");
    let text = stdout(&o);
    assert!(
        text.contains(&format!("GET {}/api/v2/users/u1", server.uri())),
        "{text}"
    );
    assert!(text.contains("Authorization: Bearer ••••••"), "{text}");
    assert!(text.contains("Authorization: Basic ••••••"), "{text}");
    assert!(text.contains("Body=Hi&From=%2B2&To=%2B1"), "{text}");
    assert!(
        !text.contains("tw-token-secret") && !text.contains("csecret"),
        "{text}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "a dry run sends nothing, not even a token request"
    );

    // One action of the flow, by position.
    let text = stdout(&out(&vault, &["run", "F", "2", "--dry-run"]));
    assert!(
        !text.contains("api/v2/users") && text.contains("Messages.json"),
        "{text}"
    );
}

#[tokio::test]
async fn an_edited_connection_is_used_by_the_next_run() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header(
            "authorization",
            "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpuZXctdG9rZW4=",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM2"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401
        })))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_twilio(&vault, "SMS", &server, "old-token");
    out(&vault, &["flows", "add", "F"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "twilio.send_sms",
            "--connection",
            "SMS",
            "--set",
            "to=+1",
            "--set",
            "from=+2",
            "--set",
            "body=Hi",
        ],
    );

    let stderr = assert_error(&out(&vault, &["run", "F"]), 1, "run with the old token");
    assert!(
        stderr.contains("action 1 (twilio.send_sms) failed")
            && stderr.contains("Twilio 20003 Authenticate"),
        "{stderr}"
    );

    let o = vault
        .cmd()
        .args(["edit", "SMS", "--secrets-stdin"])
        .write_stdin("auth_token=new-token\n")
        .output()
        .unwrap();
    assert_success(&o, "edit");
    assert_success(&out(&vault, &["run", "F"]), "run after the edit");
    server.verify().await;
}

#[tokio::test]
async fn a_403_insufficient_scope_and_a_401_are_reported_in_words() {
    let server = MockServer::start().await;
    tenant(&server, "read:users").await;
    Mock::given(method("POST"))
        .and(path("/api/v2/users"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "statusCode": 403, "error": "Forbidden",
            "message": "Insufficient scope, expected any of: create:users", "errorCode": "insufficient_scope"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"statusCode": 401, "error": "Unauthorized", "message": "Invalid token"}),
        ))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt", &server);
    out(&vault, &["flows", "add", "F"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "auth0.create_user",
            "--connection",
            "Mgmt",
            "--set",
            "email=ada@example.com",
        ],
    );
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "auth0.get_user",
            "--connection",
            "Mgmt",
            "--set",
            "user_id=u1",
        ],
    );

    let stderr = assert_error(&out(&vault, &["run", "F"]), 1, "403");
    assert!(
        stderr.contains("insufficient_scope") && stderr.contains("expected any of: create:users"),
        "{stderr}"
    );
    assert!(
        stderr.contains("action 1"),
        "the run stops at the first failure and names it: {stderr}"
    );

    let stderr = assert_error(&out(&vault, &["run", "F", "2"]), 1, "401");
    assert!(
        stderr.contains("HTTP 401 Unauthorized") && stderr.contains("Invalid token"),
        "{stderr}"
    );

    // The token now known, `flows list --json` names the missing scope.
    let flows = flows_json(&vault);
    let warnings = &flows[0]["actions"][0]["warnings"];
    assert_eq!(warnings[0]["code"], "missing_scope", "{warnings}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("needs create:users"),
        "{warnings}"
    );
    assert_eq!(flows[0]["actions"][1]["warnings"], json!([]));
}

#[tokio::test]
async fn flows_list_shows_connections_and_warnings() {
    let server = MockServer::start().await;
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt", &server);
    out(&vault, &["flows", "add", "F"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "auth0.get_user",
            "--connection",
            "Mgmt",
        ],
    );
    out(&vault, &["flows", "add-action", "F", "twilio.send_sms"]);
    let flows = flows_json(&vault);
    let actions = flows[0]["actions"].as_array().unwrap();
    assert_eq!(actions[0]["connection"]["name"], "Mgmt");
    assert_eq!(
        actions[0]["warnings"][0]["code"], "invalid_input",
        "user_id is required: {}",
        actions[0]
    );
    assert_eq!(actions[1]["connection"], Value::Null);
    assert_eq!(actions[1]["warnings"][0]["code"], "no_connection");
}

#[test]
fn an_empty_connection_is_named_in_the_warning() {
    let vault = TestVault::new();
    let o = vault
        .cmd()
        .args([
            "add",
            "twilio",
            "Half",
            "--empty",
            "--set",
            &format!("account_sid={SID}"),
        ])
        .output()
        .unwrap();
    assert_success(&o, "add --empty");
    out(&vault, &["flows", "add", "F"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "twilio.send_sms",
            "--connection",
            "Half",
            "--set",
            "to=+1",
            "--set",
            "from=+2",
            "--set",
            "body=x",
        ],
    );
    let flows = flows_json(&vault);
    let w = &flows[0]["actions"][0]["warnings"][0];
    assert_eq!(w["code"], "empty_connection");
    assert!(w["message"].as_str().unwrap().contains("Auth Token"), "{w}");
}

#[test]
fn a_connection_of_another_service_is_refused() {
    let vault = TestVault::new();
    vault.add("sendgrid", "Mail", None, &[], &[("api_key", "SG.x")]);
    out(&vault, &["flows", "add", "F"]);
    let stderr = assert_error(
        &out(
            &vault,
            &[
                "flows",
                "add-action",
                "F",
                "twilio.send_sms",
                "--connection",
                "Mail",
            ],
        ),
        2,
        "add-action with a SendGrid connection",
    );
    assert!(stderr.contains("twilio"), "{stderr}");
    out(&vault, &["flows", "add-action", "F", "twilio.send_sms"]);
    assert_error(
        &out(&vault, &["flows", "set-connection", "F", "1", "Mail"]),
        2,
        "set-connection, wrong service",
    );
    assert_error(
        &out(&vault, &["flows", "set-connection", "F", "9", "Mail"]),
        5,
        "no action 9",
    );
    assert_error(
        &out(&vault, &["flows", "add-action", "F", "nope.nothing"]),
        2,
        "unknown action",
    );
    assert_error(
        &out(&vault, &["flows", "add-action", "Nope", "jwt.decode"]),
        5,
        "unknown flow",
    );
    assert_error(
        &out(&vault, &["flows", "add", "f"]),
        2,
        "duplicate flow name",
    );
}

#[test]
fn a_connection_in_use_is_kept_unless_forced_and_renames_reach_the_flow() {
    let vault = TestVault::new();
    vault.add("sendgrid", "Mail", None, &[], &[("api_key", "SG.x")]);
    out(&vault, &["flows", "add", "Newsletter"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "Newsletter",
            "sendgrid.send_email",
            "--connection",
            "Mail",
        ],
    );

    assert_success(&out(&vault, &["rename", "Mail", "Mail (prod)"]), "rename");
    assert_eq!(
        flows_json(&vault)[0]["actions"][0]["connection"]["name"],
        "Mail (prod)"
    );

    let stderr = assert_error(
        &out(&vault, &["rm", "Mail (prod)"]),
        2,
        "rm of a connection in use",
    );
    assert!(
        stderr.contains("Newsletter") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_success(&out(&vault, &["show", "Mail (prod)"]), "still there");

    assert_success(
        &out(&vault, &["rm", "Mail (prod)", "--force", "--yes"]),
        "rm --force",
    );
    let action = &flows_json(&vault)[0]["actions"][0];
    assert_eq!(action["connection"], Value::Null);
    assert_eq!(action["warnings"][0]["code"], "no_connection");
}

#[test]
fn jwt_actions_sign_verify_and_decode_locally() {
    let vault = TestVault::new();
    vault.add(
        "jwt",
        "Signer",
        None,
        &[("algorithm", "HS256")],
        &[("secret", "jwt-secret")],
    );
    out(&vault, &["flows", "add", "J"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "J",
            "jwt.sign",
            "--connection",
            "Signer",
            "--set",
            "payload={\"sub\":\"u1\"}",
            "--set",
            "expires_in=60",
        ],
    );
    let o = out(&vault, &["run", "J"]);
    assert_success(&o, "jwt.sign");
    let token = stdout(&o).lines().nth(1).unwrap().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{token}");

    out(&vault, &["flows", "add-action", "J", "jwt.decode"]);
    let o = vault
        .cmd()
        .args([
            "flows",
            "add-action",
            "J",
            "jwt.verify",
            "--connection",
            "Signer",
            "--secrets-stdin",
        ])
        .write_stdin(format!("token={token}\n"))
        .output()
        .unwrap();
    assert_success(&o, "add jwt.verify with the token on stdin");
    let o = out(&vault, &["run", "J", "3"]);
    assert_success(&o, "jwt.verify");
    assert!(stdout(&o).contains("\"sub\": \"u1\""), "{}", stdout(&o));
    // A token input is secret: it never shows in `flows list`.
    assert_eq!(
        flows_json(&vault)[0]["actions"][2]["inputs"]["token"],
        "••••••"
    );
}

#[test]
fn a_secret_input_on_the_command_line_is_refused() {
    let vault = TestVault::new();
    out(&vault, &["flows", "add", "J"]);
    let stderr = assert_error(
        &out(
            &vault,
            &[
                "flows",
                "add-action",
                "J",
                "jwt.decode",
                "--set",
                "token=abc.def.ghi",
            ],
        ),
        2,
        "secret input",
    );
    assert!(!stderr.contains("abc.def.ghi"), "{stderr}");
}

#[tokio::test]
async fn http_request_works_with_no_connection_and_with_an_api_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .and(header("x-api-key", "key-123"))
        .and(header("x-trace", "1"))
        .and(body_string_contains("\"hello\""))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    vault.add(
        "http",
        "Hook key",
        Some("api_key"),
        &[("name", "X-Api-Key")],
        &[("value", "key-123")],
    );
    out(&vault, &["flows", "add", "H"]);
    let url = format!("{}/hook", server.uri());
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "H",
            "http.request",
            "--connection",
            "Hook key",
            "--set",
            "method=POST",
            "--set",
            &format!("url={url}"),
            "--set",
            "headers={\"X-Trace\": \"1\"}",
            "--set",
            "body={\"hello\": true}",
        ],
    );
    let open = format!("{}/open", server.uri());
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "H",
            "http.request",
            "--set",
            &format!("url={open}"),
        ],
    );
    let o = out(&vault, &["run", "H"]);
    assert_success(&o, "http runs");
    assert!(!stdout(&o).contains("key-123"), "{}", stdout(&o));
    server.verify().await;
}

#[test]
fn a_step_moved_to_another_place_marks_its_flow_damaged() {
    let vault = TestVault::new();
    out(&vault, &["flows", "add", "F"]);
    out(&vault, &["flows", "add-action", "F", "jwt.decode"]);
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "F",
            "http.request",
            "--set",
            "url=https://example.com/",
        ],
    );
    // Swap the two steps' positions in the file.
    let db = vault.db();
    db.execute_batch(
        "UPDATE flow_steps SET position = -position;
         UPDATE flow_steps SET position = 3 + position;",
    )
    .unwrap();
    drop(db);
    assert_eq!(flows_json(&vault)[0]["damaged"], true);
    let stderr = assert_error(
        &out(&vault, &["run", "F", "--dry-run"]),
        4,
        "run of a damaged flow",
    );
    assert!(stderr.contains("integrity"), "{stderr}");
    // Adding to it would rewrite its steps and lose them: refused.
    assert_error(
        &out(&vault, &["flows", "add-action", "F", "jwt.decode"]),
        4,
        "add to a damaged flow",
    );
}

#[tokio::test]
async fn a_redirect_is_shown_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/moved"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "http://127.0.0.2:9/elsewhere"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    vault.add(
        "http",
        "Key",
        Some("api_key"),
        &[("name", "X-Api-Key")],
        &[("value", "key-123")],
    );
    out(&vault, &["flows", "add", "H"]);
    let url = format!("{}/moved", server.uri());
    out(
        &vault,
        &[
            "flows",
            "add-action",
            "H",
            "http.request",
            "--connection",
            "Key",
            "--set",
            &format!("url={url}"),
        ],
    );
    let o = out(&vault, &["run", "H"]);
    assert_success(&o, "a 302 is an answer");
    assert!(stdout(&o).contains("→ 302 Found"), "{}", stdout(&o));
    server.verify().await;
}

#[test]
fn a_name_that_looks_like_a_placeholder_is_printed_as_it_is() {
    let vault = TestVault::new();
    assert_success(&out(&vault, &["flows", "add", "{n}"]), "add {n}");
    let stderr = assert_error(&out(&vault, &["run", "{n}", "5"]), 5, "run {n} 5");
    assert!(
        stderr.contains("“{n}” has no action 5 (it has 0)."),
        "{stderr}"
    );
}
