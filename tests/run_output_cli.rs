//! `run`'s output against a server the test starts on 127.0.0.1: the text
//! report (status, time, size; JSON in the server's key order; forms
//! decoded), `--json` and its documented shape, `--body` byte for byte, and
//! `--output` writing the body exactly, never over a file unless `--force`.

mod common;

use common::{TestVault, assert_error, assert_success};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Keys in the reverse of sorted order: a sorted print would show `a` first.
const ORDERED: &str = r#"{"z":1,"a":{"y":true,"b":[2,"x"]}}"#;
/// Bytes a pretty-printer or a UTF-8 decoder would change.
const EXACT: &[u8] = b"{\"z\":1,\t\"a\":2}\r\n\xff";

fn out(vault: &TestVault, args: &[&str]) -> std::process::Output {
    vault.cmd().args(args).output().unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A server answering `/ordered` with [`ORDERED`] as JSON, `/form` with a
/// form body, `/exact` with [`EXACT`], `/missing` with a 404.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ordered"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(ORDERED, "application/json")
                .insert_header("x-request-id", "req-1"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/form"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "access_token=a%2Bb%3D&scope=read+write",
            "application/x-www-form-urlencoded",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/exact"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(EXACT, "application/octet-stream"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"message":"no such user"}"#, "application/json"),
        )
        .mount(&server)
        .await;
    server
}

/// A vault with a flow "F" of one GET of `server`'s `path` per entry.
fn flow(server: &MockServer, paths: &[&str]) -> TestVault {
    let vault = TestVault::new();
    assert_success(&out(&vault, &["flows", "add", "F"]), "flows add");
    for p in paths {
        let url = format!("url={}{p}", server.uri());
        assert_success(
            &out(
                &vault,
                &["flows", "add-action", "F", "http.request", "--set", &url],
            ),
            "add-action",
        );
    }
    vault
}

async fn sent(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn the_text_report_shows_status_time_size_and_keeps_the_key_order() {
    let server = server().await;
    let vault = flow(&server, &["/ordered", "/form"]);
    let o = out(&vault, &["run", "F"]);
    assert_success(&o, "run");
    let text = stdout(&o);
    let status = text
        .lines()
        .find(|l| l.starts_with("→ 200 OK"))
        .unwrap_or_else(|| panic!("no status line: {text}"));
    let figures: Vec<&str> = status.split(" · ").collect();
    assert_eq!(figures.len(), 3, "{status}");
    assert_eq!(figures[1], format!("{} B", ORDERED.len()));
    assert!(
        figures[2].ends_with(" ms") && figures[2][..figures[2].len() - 3].parse::<u64>().is_ok(),
        "elapsed in ms: {status}"
    );
    let z = text.find("\"z\": 1").expect("z shown");
    let a = text.find("\"a\": {").expect("a shown");
    assert!(z < a, "the server's order, z before a:\n{text}");
    assert!(text.contains("    \"y\": true,\n    \"b\": ["), "{text}");
    // The form body, decoded one field a line.
    assert!(
        text.contains("\naccess_token = a+b=\nscope = read write\n"),
        "{text}"
    );
}

#[tokio::test]
async fn json_output_has_the_documented_shape() {
    let server = server().await;
    let vault = flow(&server, &["/ordered", "/exact"]);
    let o = out(&vault, &["run", "F", "--json"]);
    assert_success(&o, "run --json");
    let text = stdout(&o);
    let run: Value = serde_json::from_str(&text).expect("run --json prints JSON");
    assert_eq!(
        keys(&run),
        ["actions", "dry_run", "flow", "ok"],
        "top level: {run}"
    );
    assert_eq!(run["flow"], "F");
    assert_eq!(run["dry_run"], false);
    assert_eq!(run["ok"], true);
    let first = &run["actions"][0];
    assert_eq!(
        keys(first),
        [
            "action",
            "body",
            "connection",
            "elapsed_ms",
            "error",
            "headers",
            "position",
            "request",
            "size",
            "status",
            "truncated"
        ]
    );
    assert_eq!(first["position"], 1);
    assert_eq!(first["action"], "http.request");
    assert_eq!(first["connection"], Value::Null);
    assert_eq!(first["request"]["method"], "GET");
    assert_eq!(first["request"]["url"], format!("{}/ordered", server.uri()));
    assert_eq!(first["status"], 200);
    assert!(first["elapsed_ms"].is_u64(), "{first}");
    assert_eq!(first["size"], ORDERED.len());
    assert_eq!(first["truncated"], false);
    assert_eq!(first["error"], Value::Null);
    assert_eq!(
        first["body"],
        json!({"z": 1, "a": {"y": true, "b": [2, "x"]}}),
        "a JSON body is JSON"
    );
    let headers = first["headers"].as_array().unwrap();
    assert!(
        headers.contains(&json!({"name": "x-request-id", "value": "req-1"})),
        "{headers:?}"
    );
    // The body's keys in the server's order, in the printed JSON too.
    let z = text.find("\"z\": 1").unwrap();
    let a = text.find("\"a\": {").unwrap();
    assert!(z < a, "{text}");
    // Not JSON: a string.
    let second = &run["actions"][1];
    assert_eq!(second["position"], 2);
    assert_eq!(
        second["body"],
        String::from_utf8_lossy(EXACT).into_owned(),
        "{second}"
    );
    assert_eq!(second["size"], EXACT.len());
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn json_output_reports_a_failure_and_exits_1() {
    let server = server().await;
    let vault = flow(&server, &["/missing", "/ordered"]);
    let o = out(&vault, &["run", "F", "--json"]);
    let stderr = assert_error(&o, 1, "a 404");
    assert!(stderr.contains("action 1"), "{stderr}");
    let run: Value = serde_json::from_slice(&o.stdout).expect("JSON even on failure");
    assert_eq!(run["ok"], false);
    let actions = run["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "the run stopped at the failure");
    assert_eq!(actions[0]["status"], 404);
    assert_eq!(actions[0]["body"], json!({"message": "no such user"}));
    assert_eq!(actions[0]["error"]["code"], "refused");
    assert!(
        actions[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no such user"),
        "{}",
        actions[0]
    );
    assert_eq!(sent(&server).await, 1);
}

#[tokio::test]
async fn a_dry_run_in_json_has_requests_and_no_answers() {
    let server = server().await;
    let vault = flow(&server, &["/ordered"]);
    let o = out(&vault, &["run", "F", "--dry-run", "--json"]);
    assert_success(&o, "run --dry-run --json");
    let run: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(run["dry_run"], true);
    let action = &run["actions"][0];
    assert_eq!(action["request"]["method"], "GET");
    assert_eq!(action["status"], Value::Null);
    assert_eq!(action["body"], Value::Null);
    assert_eq!(sent(&server).await, 0);
}

#[tokio::test]
async fn body_prints_the_last_actions_body_byte_for_byte() {
    let server = server().await;
    let vault = flow(&server, &["/ordered", "/exact"]);
    let o = out(&vault, &["run", "F", "--body"]);
    assert_success(&o, "run --body");
    assert_eq!(o.stdout, EXACT, "the last action's body, exactly");
    // One action by position: its body, not reformatted.
    let o = out(&vault, &["run", "F", "1", "--body"]);
    assert_success(&o, "run F 1 --body");
    assert_eq!(o.stdout, ORDERED.as_bytes());
    // Nothing is sent by a dry run: no body to print.
    assert_error(
        &out(&vault, &["run", "F", "--body", "--dry-run"]),
        2,
        "--body --dry-run",
    );
    assert_error(
        &out(&vault, &["run", "F", "--body", "--json"]),
        2,
        "--body --json",
    );
}

#[tokio::test]
async fn output_writes_the_body_exactly_and_replaces_a_file_only_with_force() {
    let server = server().await;
    let vault = flow(&server, &["/exact"]);
    let file = vault.dir.path().join("body.bin");
    let file_arg = file.to_str().unwrap();
    let o = out(&vault, &["run", "F", "--output", file_arg]);
    assert_success(&o, "run --output");
    assert_eq!(std::fs::read(&file).unwrap(), EXACT);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!(
            "Saved the body ({} B) to {file_arg}.",
            EXACT.len()
        )),
        "{stderr}"
    );
    assert_eq!(sent(&server).await, 1);

    std::fs::write(&file, b"keep me").unwrap();
    let stderr = assert_error(
        &out(&vault, &["run", "F", "--output", file_arg]),
        2,
        "an existing file",
    );
    assert!(
        stderr.contains("exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me", "left as it was");
    assert_eq!(sent(&server).await, 1, "nothing was sent");

    assert_success(
        &out(&vault, &["run", "F", "-o", file_arg, "--force"]),
        "run --output --force",
    );
    assert_eq!(std::fs::read(&file).unwrap(), EXACT);
}

#[tokio::test]
async fn a_refused_answer_is_still_saved_and_the_run_exits_1() {
    let server = server().await;
    let vault = flow(&server, &["/missing"]);
    let file = vault.dir.path().join("error.json");
    let o = out(&vault, &["run", "F", "--output", file.to_str().unwrap()]);
    let stderr = assert_error(&o, 1, "a 404 saved");
    assert!(stderr.contains("no such user"), "{stderr}");
    assert!(stdout(&o).contains("→ 404 Not Found"), "{}", stdout(&o));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        br#"{"message":"no such user"}"#,
        "as curl -o does, the error's body is kept"
    );
}

#[tokio::test]
async fn output_into_a_missing_folder_fails_in_words() {
    let server = server().await;
    let vault = flow(&server, &["/ordered"]);
    let file = vault.dir.path().join("no-such-folder").join("body.json");
    let stderr = assert_error(
        &out(&vault, &["run", "F", "-o", file.to_str().unwrap()]),
        1,
        "a missing folder",
    );
    assert!(stderr.contains("cannot write"), "{stderr}");
}
