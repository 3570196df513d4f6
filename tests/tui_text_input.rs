//! Text fields on the test harness: readline's editing keys in a name field
//! and in a secret field, pastes that go whole into the focused field and are
//! never read as keys, and the form keys that replaced Ctrl-e (Ctrl-s saves,
//! Ctrl-n creates empty). What a field holds is read from the screen, or for
//! a secret from the vault file afterwards.

mod tui_common;

use flowvault::tui::harness::Harness;
use flowvault::tui::message::Msg;
use flowvault::vault::Connection;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use tui_common::{CANARY, SID, TestVault, assert_fits, key, row_with};

const NAME_LABEL: &str = "Connection name:";

fn alt(h: &mut Harness, c: char) {
    h.send(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)));
}

fn paste(h: &mut Harness, text: &str) {
    h.send(Msg::Paste(text.to_owned()));
}

/// The wizard at its name step, Twilio chosen.
fn at_name_step(h: &mut Harness) {
    h.press(KeyCode::Char('a'));
    h.type_text("twil");
    h.press(KeyCode::Enter);
    assert!(h.screen().contains("Name the connection"));
}

/// What the name field shows.
fn name_field(h: &mut Harness) -> String {
    let screen = h.screen();
    let row = row_with(&screen, NAME_LABEL);
    let after = row.split_once(NAME_LABEL).map_or("", |(_, v)| v);
    after
        .trim_start_matches(' ')
        .trim_end_matches(['│', ' '])
        .to_owned()
}

/// Types `before`, edits with `keys`, and reads the name field.
fn edit_name(before: &str, keys: impl FnOnce(&mut Harness)) -> String {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    at_name_step(&mut h);
    h.type_text(before);
    keys(&mut h);
    name_field(&mut h)
}

#[test]
fn readline_keys_edit_a_name_field() {
    let start_end = edit_name("alpha beta gamma", |h| {
        h.ctrl('a');
        h.type_text("<");
        h.ctrl('e');
        h.type_text(">");
    });
    assert_eq!(start_end, "<alpha beta gamma>");

    let kill_to_end = edit_name("alpha beta gamma", |h| {
        h.ctrl('a');
        alt(h, 'f');
        h.ctrl('k');
    });
    assert_eq!(kill_to_end, "alpha");

    // Ctrl-u kills back to the start only, as in a shell (not the whole line).
    let kill_to_start = edit_name("alpha beta gamma", |h| {
        alt(h, 'b');
        h.ctrl('u');
    });
    assert_eq!(kill_to_start, "gamma");

    let word_back = edit_name("alpha beta gamma", |h| h.ctrl('w'));
    assert_eq!(word_back, "alpha beta");

    let words = edit_name("alpha beta gamma", |h| {
        alt(h, 'b');
        alt(h, 'b');
        h.type_text("+");
        alt(h, 'f');
        h.type_text("!");
    });
    assert_eq!(words, "alpha +beta! gamma");

    let chars = edit_name("abc", |h| {
        h.ctrl('b');
        h.type_text("1");
        h.ctrl('a');
        h.ctrl('f');
        h.type_text("2");
    });
    assert_eq!(chars, "a2b1c");
}

/// The Twilio credentials form, Account SID filled, the focus on the
/// (secret) Auth Token.
fn at_auth_token(v: &TestVault, name: &str) -> Harness {
    let mut h = v.harness(80, 24);
    at_name_step(&mut h);
    h.type_text(name);
    h.press(KeyCode::Enter);
    h.type_text(SID);
    h.press(KeyCode::Tab);
    h.screen();
    h
}

fn saved(v: &TestVault, name: &str) -> Connection {
    v.get(name)
}

/// Keys pressed in a field.
type Keys = fn(&mut Harness);

#[test]
fn readline_keys_edit_a_secret_field() {
    let v = TestVault::with(&[]);
    let mut h = at_auth_token(&v, "Edited");
    h.type_text("middle-canary7q");
    h.ctrl('a');
    h.type_text("start-");
    h.ctrl('e');
    h.type_text("-end");
    let screen = h.screen();
    assert!(!screen.contains(CANARY), "{screen}");
    assert!(
        row_with(&screen, "Auth Token").contains(&"•".repeat("start-middle-canary7q-end".len())),
        "{screen}"
    );
    // Ctrl-s saves from any field: here the middle one.
    h.ctrl('s');
    assert!(h.screen().contains("Added “Edited”."));
    assert_eq!(
        saved(&v, "Edited").fields.get("auth_token"),
        Some("start-middle-canary7q-end")
    );

    let cases: [(&str, Keys, &str); 4] = [
        (
            "one two three",
            |h| {
                alt(h, 'b');
                h.ctrl('k');
            },
            "one two ",
        ),
        (
            "one two three",
            |h| {
                alt(h, 'b');
                h.ctrl('u');
            },
            "three",
        ),
        ("one two three", |h| h.ctrl('w'), "one two "),
        (
            "one two three",
            |h| {
                h.ctrl('a');
                alt(h, 'f');
                h.type_text("X");
            },
            "oneX two three",
        ),
    ];
    for (i, (typed, keys, stored)) in cases.into_iter().enumerate() {
        let name = format!("Secret {i}");
        let mut h = at_auth_token(&v, &name);
        h.type_text(typed);
        keys(&mut h);
        h.ctrl('s');
        // Surrounding spaces are trimmed when a form is saved.
        assert_eq!(
            saved(&v, &name).fields.get("auth_token"),
            Some(stored.trim()),
            "case {i}"
        );
    }
}

#[test]
fn ctrl_e_moves_to_the_end_and_creates_nothing() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    at_name_step(&mut h);
    h.type_text("Late");
    h.press(KeyCode::Enter);
    h.type_text("AC0123456789abcdef0123456789abcde");
    h.ctrl('a');
    h.ctrl('e');
    h.type_text("f");
    let screen = h.screen();
    assert!(screen.contains("Credentials"), "{screen}");
    assert!(v.intact().is_empty(), "Ctrl-e saved something");
    assert!(row_with(&screen, "Account SID").contains(SID), "{screen}");

    // The keys that took its place: Ctrl-n creates it as it is.
    h.ctrl('n');
    assert!(h.screen().contains("Added “Late”."));
    let late = saved(&v, "Late");
    assert_eq!(late.fields.get("account_sid"), Some(SID));
    assert_eq!(late.fields.get("auth_token"), None);
}

#[test]
fn ctrl_s_saves_only_a_complete_form() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    at_name_step(&mut h);
    h.type_text("Partial");
    h.press(KeyCode::Enter);
    h.type_text(SID);
    h.ctrl('s');
    let screen = h.screen();
    assert!(screen.contains("Auth Token is required"), "{screen}");
    assert!(v.intact().is_empty());
}

// ---------------------------------------------------------------------------
// Paste

/// A private key of 30 lines, as `openssl` writes one.
fn pem_30_lines() -> String {
    let mut lines = vec!["-----BEGIN PRIVATE KEY-----".to_owned()];
    for i in 0..28 {
        // Base64 with the letters that are bound to keys elsewhere (q, a, d, e, r, x).
        lines.push(format!(
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDqaderx{i:06}"
        ));
    }
    lines.push("-----END PRIVATE KEY-----".to_owned());
    assert_eq!(lines.len(), 30);
    lines.join("\n")
}

/// The BigQuery credentials form, the project and email filled, the focus on
/// the (secret) private key.
fn at_private_key(h: &mut Harness, name: &str) {
    h.press(KeyCode::Char('a'));
    h.type_text("bigq");
    h.press(KeyCode::Enter);
    h.type_text(name);
    h.press(KeyCode::Enter);
    h.type_text("my-project-123");
    h.press(KeyCode::Tab);
    h.type_text("svc@my-project-123.iam.gserviceaccount.com");
    h.press(KeyCode::Tab);
    let screen = h.screen();
    assert!(
        row_with(&screen, "Private Key").starts_with(['│', '>']),
        "{screen}"
    );
}

#[test]
fn a_pasted_private_key_is_stored_exactly_and_shown_masked() {
    let v = fixed_vault();
    let mut h = v.harness(80, 24);
    at_private_key(&mut h, "Warehouse");
    let pem = pem_30_lines();
    // As xterm sends it: line breaks as CR.
    paste(&mut h, &pem.replace('\n', "\r"));
    let screen = h.screen();
    assert!(!h.quit);
    assert!(
        !screen.contains("MIIE") && !screen.contains("BEGIN"),
        "{screen}"
    );
    assert!(
        row_with(&screen, "Private Key").contains("30 lines"),
        "{screen}"
    );
    assert_fits(&screen, 80, 24);
    snapshot("paste_private_key_80x24", &screen);

    h.press(KeyCode::Enter);
    assert!(h.screen().contains("Added “Warehouse”."));
    assert_eq!(
        saved(&v, "Warehouse").fields.get("private_key"),
        Some(&pem[..])
    );
}

#[test]
fn a_paste_is_never_read_as_keys() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    // No text field has the focus in the list: the paste is ignored, so the
    // `a`, `d` and `q` in it neither add, delete nor quit.
    paste(&mut h, "adq\n");
    assert!(!h.quit);
    let screen = h.screen();
    assert!(screen.contains("No connections yet"), "{screen}");

    // In a name field it is text; its line breaks become spaces there, and
    // the Enter in it does not go on to the next step.
    at_name_step(&mut h);
    paste(&mut h, "quit\r\nnow?\n");
    assert!(!h.quit);
    assert_eq!(name_field(&mut h), "quit now?");
    assert!(h.screen().contains("Name the connection"));
    // Escapes, bidi overrides and invisible characters are dropped.
    h.ctrl('u');
    paste(&mut h, "ev\u{1b}[2Jil\u{202e}gpj\u{200b}.exe\t1");
    assert_eq!(name_field(&mut h), "ev[2Jilgpj.exe 1");
}

#[test]
fn a_paste_goes_in_at_the_cursor() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    at_name_step(&mut h);
    h.type_text("Mail ()");
    h.press(KeyCode::Left);
    paste(&mut h, "prod");
    h.type_text("!");
    assert_eq!(name_field(&mut h), "Mail (prod!)");
}

/// A vault in /tmp under a name of fixed width, which the snapshot redacts.
fn fixed_vault() -> TestVault {
    let dir = tempfile::Builder::new()
        .prefix("fv-")
        .rand_bytes(8)
        .tempdir_in("/tmp")
        .expect("temp dir in /tmp");
    TestVault::create_in(dir, &key(), &[])
}

fn snapshot(name: &str, screen: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s.add_filter(r"/tmp/fv-[A-Za-z0-9]{8}/", "/tmp/fv-XXXXXXXX/");
    s.bind(|| insta::assert_snapshot!(name, screen));
}

#[test]
fn help_lists_the_form_keys() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('?'));
    let mut seen = h.screen();
    for _ in 0..200 {
        h.press(KeyCode::Char('j'));
        seen.push_str(&h.screen());
    }
    for (keys, hint) in [
        ("Ctrl-s", "save"),
        ("Ctrl-n", "create empty"),
        ("Enter", "next / save"),
    ] {
        assert!(
            seen.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")
                    == format!("│ {keys} {hint} │")),
            "help never shows {keys} {hint}"
        );
    }
    assert!(!seen.contains("Ctrl-e"), "help still names Ctrl-e");
}

#[test]
fn ctrl_s_saves_an_actions_inputs_from_any_field() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char('n'));
    h.type_text("demo");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('a'));
    h.type_text("send sms");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('e'));
    let screen = h.screen();
    assert!(screen.contains("Inputs of"), "{screen}");
    assert!(row_with(&screen, "Ctrl-s save").contains("Esc"), "{screen}");
    h.type_text("+14155550123");
    h.press(KeyCode::Tab);
    h.type_text("+14155550100");
    h.press(KeyCode::Tab);
    // A message pasted over two lines: one line in a field that is one line.
    paste(&mut h, "hello\nthere\n");
    h.press(KeyCode::BackTab);
    h.press(KeyCode::BackTab);
    h.ctrl('s');
    let screen = h.screen();
    assert!(!screen.contains("Inputs of"), "{screen}");
    let flow = flowvault::vault::VaultStore::flow(&v.open(), "demo").expect("the flow");
    let inputs = &flow.steps[0].inputs;
    assert_eq!(inputs.get("to"), Some("+14155550123"));
    assert_eq!(inputs.get("from"), Some("+14155550100"));
    assert_eq!(inputs.get("body"), Some("hello there"));
}
