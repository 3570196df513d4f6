//! Ctrl-o in a form writes the focused field in the operator's editor: the
//! effect runs a script standing for `$EDITOR` (it writes known bytes), and
//! what it leaves goes into the field, and through a save into the vault,
//! byte for byte. The screen shows a value of several lines as `⏎`-joined
//! or masked with its line count, never with raw line breaks.

mod tui_common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flowvault::tui::editor::Editor;
use flowvault::tui::harness::Harness;
use flowvault::vault::{Credentials, Flow, FlowStep, VaultStore};
use ratatui::crossterm::event::KeyCode;
use tempfile::TempDir;
use tui_common::{CANARY, SIZES, TestVault, assert_fits, conn, fixed_dir, key, row_with};

/// A 40-line PEM private key, as a key file holds it: with its final line break.
fn pem() -> String {
    let mut text = String::from("-----BEGIN PRIVATE KEY-----\n");
    for i in 0..38 {
        // 64 characters a line, as PEM writes them; the canary shows a leak.
        let line = format!("{CANARY}{i:02}{}", "A".repeat(54));
        text.push_str(&line[..64]);
        text.push('\n');
    }
    text.push_str("-----END PRIVATE KEY-----\n");
    text
}

/// A service account's JSON key file, indented as Google writes it.
const KEY_FILE_JSON: &str = "{\n  \"type\": \"service_account\",\n  \"name\": \"Ada\",\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ]\n}\n";

/// A script standing for the editor: it replaces the file with `content`
/// (kept in a file of its own, so every byte is as given), or fails.
fn fake_editor(dir: &Path, content: &str, exit: i32) -> Editor {
    let source = dir.join("edited.txt");
    std::fs::write(&source, content).unwrap();
    let script = dir.join("editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat '{}' > \"$1\"\nexit {exit}\n",
            source.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    Editor::command(script.into_os_string())
}

fn snapshot(name: &str, screen: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s.add_filter(r"/tmp/fv-[A-Za-z0-9]{8}/", "/tmp/fv-XXXXXXXX/");
    s.bind(|| insta::assert_snapshot!(name, screen));
}

/// The wizard at the credentials of a new BigQuery connection, the first
/// two fields filled and the private key focused.
fn at_private_key(h: &mut Harness) {
    h.press(KeyCode::Char('a'));
    h.type_text("bigquery");
    h.press(KeyCode::Enter);
    h.type_text("Warehouse");
    h.press(KeyCode::Enter);
    h.type_text("my-project-123");
    h.press(KeyCode::Tab);
    h.type_text("loader@my-project-123.iam.gserviceaccount.com");
    h.press(KeyCode::Tab);
}

#[test]
fn a_pem_key_written_in_the_editor_is_saved_byte_for_byte() {
    let scripts = TempDir::new().unwrap();
    for (w, hgt) in SIZES {
        let v = TestVault::create_in(fixed_dir(), &key(), &[]);
        let mut h = v.harness(w, hgt);
        h.runner.set_editor(fake_editor(scripts.path(), &pem(), 0));
        at_private_key(&mut h);
        let screen = h.screen();
        assert!(footer(&screen).contains("Ctrl-o editor"), "{screen}");
        h.ctrl('o');
        let screen = h.screen();
        assert_fits(&screen, w, hgt);
        assert!(!screen.contains(CANARY), "masked: {screen}");
        assert!(
            row_with(&screen, "Private Key").contains("40 lines"),
            "{screen}"
        );
        snapshot(&format!("editor_form_pem_{w}x{hgt}"), &screen);

        h.ctrl('s');
        let saved = v.get("Warehouse");
        assert_eq!(saved.fields.get("private_key"), Some(pem().as_str()));
    }
}

#[test]
fn a_json_key_file_written_in_the_editor_as_a_secret_keeps_every_byte() {
    let scripts = TempDir::new().unwrap();
    // Not a PEM: the private key's check says so, and nothing is saved.
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.runner
        .set_editor(fake_editor(scripts.path(), KEY_FILE_JSON, 0));
    at_private_key(&mut h);
    h.ctrl('o');
    h.ctrl('s');
    assert!(v.intact().is_empty());

    // A secret that is a JSON key file, in the edit form of a stored
    // connection: the kept secret is replaced by every byte of it.
    let stored = conn("Generic", "http", "bearer", &[("token", "old")]);
    let v = TestVault::with(std::slice::from_ref(&stored));
    let mut h = v.harness(80, 24);
    h.runner
        .set_editor(fake_editor(scripts.path(), KEY_FILE_JSON, 0));
    h.press(KeyCode::Char('e'));
    assert!(h.screen().contains("keep"), "{}", h.screen());
    h.ctrl('o');
    h.ctrl('s');
    assert_eq!(v.get("Generic").fields.get("token"), Some(KEY_FILE_JSON));
}

#[test]
fn an_editor_that_fails_leaves_the_value_and_says_so() {
    let scripts = TempDir::new().unwrap();
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.runner.set_editor(fake_editor(scripts.path(), &pem(), 1));
    at_private_key(&mut h);
    h.type_text("typed");
    h.ctrl('o');
    let screen = h.screen();
    assert!(
        screen.contains("The editor exited with a failure"),
        "{screen}"
    );
    assert!(
        row_with(&screen, "Private Key").contains("•••••"),
        "{screen}"
    );
    assert!(
        !row_with(&screen, "Private Key").contains("lines"),
        "{screen}"
    );
}

/// A flow whose one action takes JSON: Auth0's update user.
fn flow_vault() -> TestVault {
    let auth0 = conn(
        "Mgmt API",
        "auth0",
        "client_credentials",
        &[
            ("domain", "tenant.eu.auth0.com"),
            ("client_id", "id"),
            ("client_secret", "s"),
        ],
    );
    let v = TestVault::create_in(fixed_dir(), &key(), std::slice::from_ref(&auth0));
    let mut vault = v.open();
    let mut flow = Flow::new("Rename user");
    vault.add_flow(&flow).unwrap();
    let mut inputs = Credentials::default();
    inputs.set("user_id", "auth0|1");
    inputs.set("fields", "{}");
    flow.steps = vec![FlowStep::new(
        "auth0.update_user",
        Some(auth0.id.clone()),
        inputs,
    )];
    vault.save_steps(&flow).unwrap();
    v
}

#[test]
fn a_json_input_written_in_the_editor_shows_its_lines_joined_and_is_saved_as_written() {
    let scripts = TempDir::new().unwrap();
    for (w, hgt) in SIZES {
        let v = flow_vault();
        let mut h = v.harness(w, hgt);
        h.runner
            .set_editor(fake_editor(scripts.path(), KEY_FILE_JSON, 0));
        // The flows pane, the action, its inputs, the JSON field.
        h.press(KeyCode::Tab);
        h.press(KeyCode::Char('l'));
        h.press(KeyCode::Char('e'));
        h.press(KeyCode::Tab);
        let screen = h.screen();
        assert!(footer(&screen).contains("Ctrl-o editor"), "{screen}");
        h.ctrl('o');
        let screen = h.screen();
        assert_fits(&screen, w, hgt);
        let row = row_with(&screen, "Fields (JSON)");
        assert!(row.contains("{⏎  \"type\""), "{screen}");
        assert!(row.contains("8 lines"), "{screen}");
        snapshot(&format!("editor_inputs_json_{w}x{hgt}"), &screen);
        h.ctrl('s');
        let flow = v.open().flows().unwrap().remove(0);
        // One line by nature: the editor's final line break is dropped,
        // every other byte kept.
        assert_eq!(
            flow.steps[0].inputs.get("fields"),
            KEY_FILE_JSON.strip_suffix('\n')
        );
    }
}

fn footer(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}
