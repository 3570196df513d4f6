//! A flow edited from the command line moves its version as the flows pane's
//! edits do: the pane, still showing the flow as it was, is refused its next
//! save with the conflict in words, and the CLI's edit is kept.

mod common;

use common::{TestVault, assert_success};
use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::vault::UnlockKey;
use ratatui::crossterm::event::KeyCode;
use serde_json::Value;
use zeroize::Zeroizing;

fn out(vault: &TestVault, args: &[&str]) -> std::process::Output {
    vault.cmd().args(args).output().unwrap()
}

/// The catalog ids of the first flow's actions, in order, as the CLI lists them.
fn actions(vault: &TestVault) -> Vec<String> {
    let o = out(vault, &["flows", "list", "--json"]);
    assert_success(&o, "flows list --json");
    let flows: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    flows[0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_edit_from_the_cli_wins_over_a_stale_pane_which_says_so() {
    let vault = TestVault::new();
    assert_success(&out(&vault, &["flows", "add", "F"]), "flows add");
    assert_success(
        &out(&vault, &["flows", "add-action", "F", "jwt.decode"]),
        "add-action",
    );
    assert_success(
        &out(
            &vault,
            &[
                "flows",
                "add-action",
                "F",
                "jwt.sign",
                "--set",
                "payload={}",
            ],
        ),
        "add-action",
    );
    let key = UnlockKey::KeyFile(Zeroizing::new(std::fs::read(&vault.key).unwrap()));
    let mut hn = Harness::new(&vault.path, Some(key), Lang::En, 80, 24);
    hn.press(KeyCode::Tab);
    // The actions column, at the first action.
    hn.press(KeyCode::Char('l'));

    // Meanwhile, from the command line:
    assert_success(
        &out(&vault, &["flows", "move", "F", "2", "1"]),
        "flows move",
    );
    assert_eq!(actions(&vault), ["jwt.sign", "jwt.decode"]);

    // The pane, not yet told, moves its own copy: refused, nothing lost.
    hn.press(KeyCode::Char('J'));
    let screen = hn.screen();
    assert!(
        screen.contains("Not saved: “F” was changed by another process since it was read"),
        "{screen}"
    );
    // And it shows the flow as stored now.
    let sign = screen.find("1. JWT: Sign a token").expect("sign first");
    let decode = screen
        .find("2. JWT: Decode a token")
        .expect("decode second");
    assert!(sign < decode, "{screen}");
    assert_eq!(
        actions(&vault),
        ["jwt.sign", "jwt.decode"],
        "the CLI's move stands"
    );

    // From what it shows now, its edits go through.
    hn.poll_vault();
    hn.press(KeyCode::Char('K'));
    assert_eq!(actions(&vault), ["jwt.decode", "jwt.sign"]);
}
