//! `flows rename`, `rm-action`, `move` and `set-input`: a flow edited from
//! the command line as the flows pane edits it, checked through `flows list
//! --json` and the audit trail.

mod common;

use common::{TestVault, assert_error, assert_success};
use serde_json::Value;

fn out(vault: &TestVault, args: &[&str]) -> std::process::Output {
    vault.cmd().args(args).output().unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What a command said: messages go to stderr, stdout stays for data.
fn said(o: &std::process::Output) -> String {
    assert!(o.stdout.is_empty(), "a message on stdout: {}", stdout(o));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn flows(vault: &TestVault) -> Vec<Value> {
    let o = out(vault, &["flows", "list", "--json"]);
    assert_success(&o, "flows list --json");
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The catalog ids of a flow's actions, in order.
fn actions(vault: &TestVault, flow: usize) -> Vec<String> {
    flows(vault)[flow]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect()
}

/// The audit trail's actions for `name`, oldest first.
fn audited(vault: &TestVault, name: &str) -> Vec<String> {
    let o = out(vault, &["audit", name, "--json"]);
    assert_success(&o, "audit --json");
    let entries: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

/// A flow "F": 1. jwt.decode, 2. http.request (GET example.com), 3. jwt.sign.
fn three_actions() -> TestVault {
    let vault = TestVault::new();
    assert_success(&out(&vault, &["flows", "add", "F"]), "flows add");
    for args in [
        &["flows", "add-action", "F", "jwt.decode"][..],
        &[
            "flows",
            "add-action",
            "F",
            "http.request",
            "--set",
            "url=https://example.com/",
        ],
        &[
            "flows",
            "add-action",
            "F",
            "jwt.sign",
            "--set",
            "payload={}",
        ],
    ] {
        assert_success(&out(&vault, args), "add-action");
    }
    vault
}

#[test]
fn rename_changes_the_name_keeps_the_actions_and_is_audited() {
    let vault = three_actions();
    let o = out(&vault, &["flows", "rename", "f", "  Nightly  "]);
    assert_success(&o, "flows rename");
    assert_eq!(said(&o).trim(), "Renamed flow “F” to “Nightly”.");
    let all = flows(&vault);
    assert_eq!(all[0]["name"], "Nightly");
    assert_eq!(all[0]["actions"].as_array().unwrap().len(), 3);
    assert_eq!(
        audited(&vault, "Nightly").last().map(String::as_str),
        Some("flow_rename")
    );
}

#[test]
fn rename_refuses_a_taken_name_an_invalid_one_and_an_unknown_flow() {
    let vault = three_actions();
    assert_success(&out(&vault, &["flows", "add", "Other"]), "flows add");
    let stderr = assert_error(
        &out(&vault, &["flows", "rename", "F", "other"]),
        2,
        "a taken name",
    );
    assert!(stderr.contains("already exists"), "{stderr}");
    let stderr = assert_error(&out(&vault, &["flows", "rename", "F", "  "]), 2, "blank");
    assert!(!stderr.is_empty());
    assert_error(
        &out(&vault, &["flows", "rename", "F", "bad\u{1b}[2Jname"]),
        2,
        "control characters",
    );
    assert_error(
        &out(&vault, &["flows", "rename", "Nope", "New"]),
        5,
        "unknown flow",
    );
    let names: Vec<Value> = flows(&vault).iter().map(|f| f["name"].clone()).collect();
    assert_eq!(names, ["F", "Other"], "nothing was renamed");
}

#[test]
fn rm_action_removes_one_and_the_rest_move_up() {
    let vault = three_actions();
    let o = out(&vault, &["flows", "rm-action", "F", "2"]);
    assert_success(&o, "rm-action");
    assert_eq!(said(&o).trim(), "Removed action 2 (http.request) from “F”.");
    assert_eq!(actions(&vault, 0), ["jwt.decode", "jwt.sign"]);
    assert_eq!(
        audited(&vault, "F").last().map(String::as_str),
        Some("flow_edit")
    );
    for bad in ["0", "3"] {
        let stderr = assert_error(
            &out(&vault, &["flows", "rm-action", "F", bad]),
            5,
            "no such position",
        );
        assert!(
            stderr.contains(&format!("“F” has no action {bad} (it has 2).")),
            "{stderr}"
        );
    }
    assert_error(
        &out(&vault, &["flows", "rm-action", "F", "one"]),
        2,
        "not a number",
    );
    assert_error(
        &out(&vault, &["flows", "rm-action", "Nope", "1"]),
        5,
        "unknown flow",
    );
    assert_eq!(actions(&vault, 0), ["jwt.decode", "jwt.sign"]);
}

#[test]
fn move_puts_an_action_at_its_new_place_either_way() {
    let vault = three_actions();
    let o = out(&vault, &["flows", "move", "F", "3", "1"]);
    assert_success(&o, "move up");
    assert_eq!(said(&o).trim(), "Moved action 3 of “F” to position 1.");
    assert_eq!(
        actions(&vault, 0),
        ["jwt.sign", "jwt.decode", "http.request"]
    );
    assert_success(&out(&vault, &["flows", "move", "F", "1", "3"]), "move down");
    assert_eq!(
        actions(&vault, 0),
        ["jwt.decode", "http.request", "jwt.sign"]
    );
    // Inputs travel with their action.
    assert_eq!(
        flows(&vault)[0]["actions"][1]["inputs"]["url"],
        "https://example.com/"
    );
    let stderr = assert_error(
        &out(&vault, &["flows", "move", "F", "1", "4"]),
        5,
        "past the end",
    );
    assert!(stderr.contains("has no action 4"), "{stderr}");
    assert_error(
        &out(&vault, &["flows", "move", "F", "0", "1"]),
        5,
        "position 0",
    );
    assert_eq!(
        actions(&vault, 0),
        ["jwt.decode", "http.request", "jwt.sign"],
        "a refused move changes nothing"
    );
}

#[test]
fn set_input_changes_the_named_inputs_and_keeps_the_others() {
    let vault = three_actions();
    let o = out(
        &vault,
        &[
            "flows",
            "set-input",
            "F",
            "2",
            "method=POST",
            "--set",
            "body={\"a\": 1}",
        ],
    );
    assert_success(&o, "set-input");
    assert_eq!(said(&o).trim(), "Saved the inputs of “F” action 2.");
    let inputs = &flows(&vault)[0]["actions"][1]["inputs"];
    assert_eq!(inputs["method"], "POST");
    assert_eq!(inputs["body"], "{\"a\": 1}");
    assert_eq!(inputs["url"], "https://example.com/", "kept: {inputs}");
    assert_eq!(
        audited(&vault, "F").last().map(String::as_str),
        Some("flow_edit")
    );
    // A blank value clears an optional input.
    assert_success(
        &out(&vault, &["flows", "set-input", "F", "2", "body="]),
        "clear body",
    );
    let inputs = &flows(&vault)[0]["actions"][1]["inputs"];
    assert!(inputs["body"].is_null(), "{inputs}");
}

#[test]
fn set_input_reads_secret_inputs_from_stdin_only() {
    let vault = three_actions();
    let stderr = assert_error(
        &out(
            &vault,
            &["flows", "set-input", "F", "1", "token=abc.def.ghi"],
        ),
        2,
        "a secret on the command line",
    );
    assert!(!stderr.contains("abc.def.ghi"), "{stderr}");
    let o = vault
        .cmd()
        .args(["flows", "set-input", "F", "1", "--secrets-stdin"])
        .write_stdin("token=eyJ.eyJ.sig\n")
        .output()
        .unwrap();
    assert_success(&o, "set-input --secrets-stdin");
    assert!(!stdout(&o).contains("eyJ.eyJ.sig"));
    // Shown masked, stored all the same.
    let action = &flows(&vault)[0]["actions"][0];
    assert_eq!(action["inputs"]["token"], "••••••");
    assert_eq!(action["warnings"], serde_json::json!([]), "{action}");
}

#[test]
fn set_input_refuses_invalid_inputs_and_saves_nothing() {
    let vault = three_actions();
    let before = flows(&vault);
    // Not one of the methods.
    let stderr = assert_error(
        &out(&vault, &["flows", "set-input", "F", "2", "method=FETCH"]),
        2,
        "a bad choice",
    );
    assert!(stderr.contains("GET"), "names the choices: {stderr}");
    // A required input may not be cleared, as in the inputs editor.
    let stderr = assert_error(
        &out(&vault, &["flows", "set-input", "F", "2", "url="]),
        2,
        "a required input cleared",
    );
    assert!(stderr.contains("required"), "{stderr}");
    let stderr = assert_error(
        &out(&vault, &["flows", "set-input", "F", "2", "colour=red"]),
        2,
        "an unknown input",
    );
    assert!(stderr.contains("url"), "names the inputs: {stderr}");
    assert_error(
        &out(&vault, &["flows", "set-input", "F", "2", "method"]),
        2,
        "not KEY=VALUE",
    );
    assert_error(
        &out(&vault, &["flows", "set-input", "F", "2"]),
        2,
        "nothing to change",
    );
    assert_error(
        &out(&vault, &["flows", "set-input", "F", "7", "method=GET"]),
        5,
        "no such position",
    );
    assert_error(
        &out(&vault, &["flows", "set-input", "Nope", "1", "method=GET"]),
        5,
        "unknown flow",
    );
    assert_eq!(flows(&vault), before, "nothing was saved");
}

#[test]
fn editing_a_damaged_flow_is_refused() {
    let vault = three_actions();
    let db = vault.db();
    db.execute_batch(
        "UPDATE flow_steps SET position = -position;
         UPDATE flow_steps SET position = 4 + position;",
    )
    .unwrap();
    drop(db);
    for args in [
        &["flows", "rm-action", "F", "1"][..],
        &["flows", "move", "F", "1", "2"],
        &["flows", "set-input", "F", "2", "method=GET"],
    ] {
        let stderr = assert_error(&out(&vault, args), 4, "a damaged flow");
        assert!(stderr.contains("integrity"), "{stderr}");
    }
}
