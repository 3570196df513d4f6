//! Keyboard walks through the terminal UI on the test harness, each checked
//! afterwards on the vault file itself, opened through the library as another
//! process would.

mod tui_common;

use flowvault::tui::message::{Msg, Timer};
use flowvault::vault::{Vault, VaultStore};
use ratatui::crossterm::event::KeyCode;

use tui_common::{
    CANARY, PASSPHRASE, SID, SID2, TestVault, conn, list_selected, passphrase, press_all, row_with,
};

const TOKEN: &str = "tok-canary7q-0001";

fn twilio(name: &str) -> flowvault::vault::Connection {
    conn(
        name,
        "twilio",
        "auth_token",
        &[("account_sid", SID), ("auth_token", TOKEN)],
    )
}

/// From the list to the credentials step of a new Twilio connection.
fn start_twilio(h: &mut flowvault::tui::harness::Harness, name: &str) {
    h.press(KeyCode::Char('a'));
    h.type_text("twil");
    h.press(KeyCode::Enter);
    h.type_text(name);
    h.press(KeyCode::Enter);
}

// ---------------------------------------------------------------------------
// Adding

#[test]
fn wizard_adds_a_connection_and_selects_it() {
    let v = TestVault::with(&[twilio("Existing")]);
    let mut h = v.harness(80, 24);
    start_twilio(&mut h, "Twilio prod");
    h.type_text(SID);
    h.press(KeyCode::Tab);
    h.type_text("secret-token-1");
    // Enter moves past the optional Base URL, then saves on the last field.
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter]);

    let screen = h.screen();
    assert!(screen.contains("Added “Twilio prod”."), "{screen}");
    let selected = list_selected(&screen);
    assert_eq!(selected.len(), 1, "{screen}");
    assert!(selected[0].contains("Twilio prod"), "{screen}");
    assert!(!screen.contains("secret-token-1"));

    let saved = v.get("Twilio prod");
    assert_eq!(saved.service, "twilio");
    assert_eq!(saved.method, "auth_token");
    assert_eq!(saved.fields.get("account_sid"), Some(SID));
    assert_eq!(saved.fields.get("auth_token"), Some("secret-token-1"));
    // Left blank: the catalog default applies, nothing is stored.
    assert_eq!(saved.fields.get("base_url"), None);
    assert_eq!(v.intact().len(), 2);

    // The notice goes when its timer fires; the selection stays.
    h.fire_timers();
    let screen = h.screen();
    assert!(!screen.contains("Added"), "{screen}");
    assert!(list_selected(&screen)[0].contains("Twilio prod"));
}

/// Right after an add, `e` or `d` must act on the new connection, even when
/// a filter that it does not match is on.
#[test]
fn a_new_connection_is_selected_even_under_a_filter() {
    let v = TestVault::with(&[twilio("Relay")]);
    let mut h = v.harness(80, 24);
    h.type_text("/relay");
    h.press(KeyCode::Enter);
    start_twilio(&mut h, "Fresh");
    h.ctrl('n');
    let screen = h.screen();
    let selected = list_selected(&screen);
    assert_eq!(selected.len(), 1, "{screen}");
    assert!(selected[0].contains("Fresh"), "{screen}");
}

#[test]
fn pasted_text_fills_the_focused_field() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    start_twilio(&mut h, "Pasted");
    h.send(Msg::Paste(SID.to_owned()));
    h.press(KeyCode::Tab);
    h.send(Msg::Paste("pasted-token\n".to_owned()));
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter]);
    let saved = v.get("Pasted");
    assert_eq!(saved.fields.get("account_sid"), Some(SID));
    assert_eq!(saved.fields.get("auth_token"), Some("pasted-token"));
}

#[test]
fn esc_steps_back_through_every_step_and_forward_keeps_everything() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('a'));
    h.type_text("htt");
    h.press(KeyCode::Enter);
    // The second method: API key.
    press_all(&mut h, &[KeyCode::Char('j'), KeyCode::Enter]);
    h.type_text("Relay");
    h.press(KeyCode::Enter);
    h.type_text("X-Api-Key");
    h.press(KeyCode::Tab);
    h.type_text("value-1");

    h.press(KeyCode::Esc);
    let name = h.screen();
    assert!(name.contains("Name the connection"), "{name}");
    assert!(
        row_with(&name, "Connection name:").contains("Relay"),
        "{name}"
    );

    h.press(KeyCode::Esc);
    let method = h.screen();
    assert!(method.contains("Choose how it authenticates"), "{method}");
    assert!(
        row_with(&method, "> API key").contains("api_key"),
        "{method}"
    );

    h.press(KeyCode::Esc);
    let service = h.screen();
    assert!(service.contains("Choose the service"), "{service}");
    assert!(row_with(&service, "Search:").contains("htt"), "{service}");
    assert!(row_with(&service, "> HTTP").contains("http"), "{service}");

    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter]);
    let form = h.screen();
    assert!(form.contains("HTTP · API key · Relay"), "{form}");
    assert!(row_with(&form, "Key Name*").contains("X-Api-Key"), "{form}");
    assert!(
        row_with(&form, "> Key Value*").contains(&"•".repeat("value-1".len())),
        "the focus and the typed secret come back: {form}"
    );

    // One step further back than the first: the wizard closes, nothing saved.
    press_all(&mut h, &[KeyCode::Esc; 4]);
    let list = h.screen();
    assert!(list.contains("No connections yet"), "{list}");
    assert!(v.intact().is_empty());

    // And a complete walk forward from the same keys saves what was typed.
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('a'));
    h.type_text("htt");
    h.press(KeyCode::Enter);
    press_all(&mut h, &[KeyCode::Char('j'), KeyCode::Enter]);
    h.type_text("Relay");
    h.press(KeyCode::Enter);
    h.type_text("X-Api-Key");
    h.press(KeyCode::Tab);
    h.type_text("value-1");
    press_all(&mut h, &[KeyCode::Esc, KeyCode::Esc, KeyCode::Esc]);
    press_all(&mut h, &[KeyCode::Enter; 3]);
    // Key Value, then Add To (a choice with a default): saved.
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter]);
    let saved = v.get("Relay");
    assert_eq!(
        (saved.service.as_str(), saved.method.as_str()),
        ("http", "api_key")
    );
    assert_eq!(saved.fields.get("name"), Some("X-Api-Key"));
    assert_eq!(saved.fields.get("value"), Some("value-1"));
}

#[test]
fn changing_the_service_starts_a_fresh_form() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    start_twilio(&mut h, "Changed");
    h.type_text(SID);
    press_all(&mut h, &[KeyCode::Esc, KeyCode::Esc]);
    // From Twilio to SendGrid: the Twilio values must not follow.
    for _ in 0.."twil".len() {
        h.press(KeyCode::Backspace);
    }
    h.type_text("sendg");
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter]);
    let form = h.screen();
    assert!(form.contains("SendGrid · Changed"), "{form}");
    assert!(form.contains("API Key*"), "{form}");
    assert!(!form.contains(SID), "{form}");
}

#[test]
fn ctrl_n_creates_an_empty_connection() {
    let v = TestVault::with(&[]);
    // Wide enough for the whole detail: at 80 columns it is cut.
    let mut h = v.harness(120, 40);
    start_twilio(&mut h, "Later");
    h.ctrl('n');

    let screen = h.screen();
    let row = row_with(&screen, "Later");
    assert!(row.starts_with('>'), "the new row is selected: {screen}");
    assert!(row.contains("! empty"), "{row}");
    assert!(row.contains("missing: Account SID, Auth Token"), "{row}");

    let saved = v.get("Later");
    assert!(saved.fields.is_empty());
    assert_eq!(saved.service, "twilio");
}

#[test]
fn ctrl_n_keeps_what_was_typed() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    start_twilio(&mut h, "Half");
    h.type_text(SID);
    h.ctrl('n');
    let saved = v.get("Half");
    assert_eq!(saved.fields.get("account_sid"), Some(SID));
    assert_eq!(saved.fields.get("auth_token"), None);
    let screen = h.screen();
    assert!(
        row_with(&screen, "Half").contains("missing: Auth Token"),
        "{screen}"
    );
}

#[test]
fn an_invalid_field_saves_nothing() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    start_twilio(&mut h, "Broken");
    h.type_text("AC12");
    h.press(KeyCode::Tab);
    h.type_text("tok");
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter]);
    let screen = h.screen();
    assert!(
        screen.contains("Account SID must look like AC0123456789abcdef0123456789abcdef"),
        "{screen}"
    );
    // Neither can an empty connection be made with a wrong value in it.
    h.ctrl('n');
    assert!(v.intact().is_empty());
    assert!(h.screen().contains("Credentials"));

    // Fixing the value clears its error as it is typed, and saving works.
    h.ctrl('u');
    h.type_text(SID);
    let fixed = h.screen();
    assert!(!fixed.contains("must look like"), "{fixed}");
    press_all(&mut h, &[KeyCode::Tab, KeyCode::Tab, KeyCode::Enter]);
    assert_eq!(v.get("Broken").fields.get("account_sid"), Some(SID));
}

#[test]
fn a_name_taken_meanwhile_sends_the_wizard_back_to_the_name() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    start_twilio(&mut h, "Raced");
    // Another process adds the same name while the form is open.
    v.open().add_connection(&twilio("raced")).unwrap();
    h.type_text(SID);
    h.press(KeyCode::Tab);
    h.type_text("tok");
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter]);
    let screen = h.screen();
    assert!(screen.contains("Name the connection"), "{screen}");
    assert!(
        screen.contains("A connection named “Raced” already exists."),
        "{screen}"
    );
    assert_eq!(v.intact().len(), 1);
}

// ---------------------------------------------------------------------------
// Editing and deleting

#[test]
fn edit_keeps_a_blank_secret_and_saves_a_changed_field() {
    let v = TestVault::with(&[twilio("Main"), twilio("Other")]);
    let before = v.get("Main");
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('e'));
    let form = h.screen();
    assert!(form.contains("Edit “Main”"), "{form}");
    h.ctrl('u');
    h.type_text(SID2);
    // Auth Token left blank, then Base URL: save.
    press_all(&mut h, &[KeyCode::Tab, KeyCode::Enter, KeyCode::Enter]);

    let screen = h.screen();
    assert!(screen.contains("Saved “Main”."), "{screen}");
    assert!(list_selected(&screen)[0].contains("Main"), "{screen}");
    let after = v.get("Main");
    assert_eq!(after.id, before.id);
    assert_eq!(after.fields.get("account_sid"), Some(SID2));
    assert_eq!(after.fields.get("auth_token"), Some(TOKEN));
    assert_eq!(v.get("Other").fields.get("account_sid"), Some(SID));
}

#[test]
fn edit_replaces_a_secret_that_is_typed() {
    let v = TestVault::with(&[twilio("Main")]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('e'));
    h.press(KeyCode::Tab);
    h.type_text("new-token");
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Enter]);
    assert_eq!(v.get("Main").fields.get("auth_token"), Some("new-token"));
}

#[test]
fn esc_leaves_the_edit_form_without_saving() {
    let v = TestVault::with(&[twilio("Main")]);
    let before = v.get("Main");
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('e'));
    h.ctrl('u');
    h.type_text(SID2);
    h.press(KeyCode::Esc);
    assert!(h.screen().contains("Main"));
    assert_eq!(v.get("Main"), before);
}

#[test]
fn delete_asks_first() {
    let v = TestVault::with(&[twilio("First"), twilio("Second")]);
    let mut h = v.harness(80, 24);

    press_all(&mut h, &[KeyCode::Char('d'), KeyCode::Char('n')]);
    assert_eq!(v.intact().len(), 2);
    press_all(&mut h, &[KeyCode::Char('d'), KeyCode::Esc]);
    assert_eq!(v.intact().len(), 2);
    let screen = h.screen();
    assert!(!screen.contains("Delete connection"), "{screen}");

    press_all(&mut h, &[KeyCode::Char('d'), KeyCode::Char('y')]);
    let names: Vec<String> = v.intact().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Second"]);
    let screen = h.screen();
    assert!(screen.contains("Deleted “First”."), "{screen}");
    assert!(!screen.contains("First "), "{screen}");
    assert!(list_selected(&screen)[0].contains("Second"), "{screen}");
}

#[test]
fn delete_from_details() {
    let v = TestVault::with(&[twilio("Only")]);
    let mut h = v.harness(80, 24);
    press_all(
        &mut h,
        &[KeyCode::Enter, KeyCode::Char('d'), KeyCode::Char('y')],
    );
    assert!(v.intact().is_empty());
    assert!(h.screen().contains("No connections yet"));
}

#[test]
fn a_damaged_row_can_be_deleted() {
    let rows = [twilio("Good"), twilio("Bad")];
    let v = TestVault::with(&rows);
    v.damage(&rows[1].id, "fields");
    let mut h = v.harness(80, 24);
    // Neither details nor edit open on it; delete does.
    press_all(&mut h, &[KeyCode::Char('j'), KeyCode::Enter]);
    assert!(h.screen().contains("This connection is damaged"));
    h.press(KeyCode::Char('e'));
    assert!(!h.screen().contains("Edit"));
    press_all(&mut h, &[KeyCode::Char('d'), KeyCode::Char('y')]);
    assert_eq!(v.open().connections().unwrap().len(), 1);
    assert_eq!(v.intact()[0].name, "Good");
}

// ---------------------------------------------------------------------------
// Details

#[test]
fn y_copies_the_selected_field() {
    let v = TestVault::with(&[twilio("Main")]);
    let mut h = v.harness(80, 24);
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Char('y')]);
    assert_eq!(h.copied, [SID]);
    // A secret is copied without being shown.
    press_all(&mut h, &[KeyCode::Char('j'), KeyCode::Char('y')]);
    assert_eq!(h.copied, [SID, TOKEN]);
    assert!(!h.screen().contains(CANARY));
    // Base URL has no value of its own: nothing to copy.
    press_all(&mut h, &[KeyCode::Char('j'), KeyCode::Char('y')]);
    assert_eq!(h.copied.len(), 2);
}

#[test]
fn the_copy_notice_is_visible_over_the_details() {
    let v = TestVault::with(&[twilio("Main")]);
    let mut h = v.harness(80, 24);
    press_all(&mut h, &[KeyCode::Enter, KeyCode::Char('y')]);
    let screen = h.screen();
    assert!(
        screen.contains("Copied Account SID of “Main”; the clipboard clears in 30 s."),
        "{screen}"
    );
}

#[test]
fn reveal_is_undone_by_v_by_the_timer_and_by_leaving() {
    let v = TestVault::with(&[twilio("Main")]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('v'));
    assert!(h.screen().contains(TOKEN));
    h.press(KeyCode::Char('v'));
    assert!(!h.screen().contains(TOKEN));

    // A timer from an earlier reveal must not cut a later one short.
    h.press(KeyCode::Char('v'));
    let timers: Vec<Timer> = std::mem::take(&mut h.timers);
    let hides: Vec<Timer> = timers
        .into_iter()
        .filter(|t| matches!(t, Timer::HideSecrets(_)))
        .collect();
    assert_eq!(hides.len(), 2, "{hides:?}");
    h.send(Msg::Timer(hides[0]));
    assert!(h.screen().contains(TOKEN));
    h.send(Msg::Timer(hides[1]));
    assert!(!h.screen().contains(TOKEN));

    h.press(KeyCode::Char('v'));
    assert!(h.screen().contains(TOKEN));
    press_all(&mut h, &[KeyCode::Esc, KeyCode::Enter]);
    assert!(!h.screen().contains(TOKEN), "opening again starts masked");
}

// ---------------------------------------------------------------------------
// The list

#[test]
fn filter_keys_are_text_and_esc_clears() {
    let v = TestVault::with(&[twilio("Alpha"), twilio("Quartz")]);
    let mut h = v.harness(80, 24);
    // `q` and `j` are letters of the filter here, not quit or down.
    h.type_text("/q");
    assert!(!h.quit);
    let screen = h.screen();
    assert!(screen.contains("(1 of 2)"), "{screen}");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Esc);
    let screen = h.screen();
    assert!(screen.contains("(2)"), "{screen}");
    assert!(list_selected(&screen)[0].contains("Quartz"), "{screen}");
}

#[test]
fn selection_follows_the_keys() {
    let rows: Vec<_> = (1..=40).map(|i| twilio(&format!("conn-{i:02}"))).collect();
    let v = TestVault::with(&rows);
    let mut h = v.harness(80, 24);
    let selected = |h: &mut flowvault::tui::harness::Harness| {
        list_selected(&h.screen())[0]
            .split_whitespace()
            .nth(2)
            .unwrap()
            .to_owned()
    };
    press_all(&mut h, &[KeyCode::Char('j'), KeyCode::Down]);
    assert_eq!(selected(&mut h), "conn-03");
    h.press(KeyCode::Char('k'));
    assert_eq!(selected(&mut h), "conn-02");
    h.press(KeyCode::PageDown);
    assert_eq!(selected(&mut h), "conn-22");
    h.press(KeyCode::End);
    assert_eq!(selected(&mut h), "conn-40");
    h.press(KeyCode::PageUp);
    assert_eq!(selected(&mut h), "conn-20");
    h.press(KeyCode::Home);
    assert_eq!(selected(&mut h), "conn-01");
    h.press(KeyCode::Up);
    assert_eq!(selected(&mut h), "conn-01");
}

#[test]
fn help_scrolls_back_at_once_from_its_end() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('?'));
    for _ in 0..200 {
        h.press(KeyCode::Char('j'));
    }
    let end = h.screen();
    h.press(KeyCode::Char('k'));
    assert_ne!(h.screen(), end, "one `k` at the end of help must scroll up");
}

// ---------------------------------------------------------------------------
// Quitting

#[test]
fn q_quits_from_the_list() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('q'));
    assert!(h.quit);
}

#[test]
fn ctrl_c_quits_from_the_list_the_filter_and_the_unlock_screen() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.ctrl('c');
    assert!(h.quit, "list");

    let mut h = v.harness(80, 24);
    h.type_text("/x");
    h.ctrl('c');
    assert!(h.quit, "filter");

    let mut h = v.locked_harness(80, 24);
    h.ctrl('c');
    assert!(h.quit, "unlock");

    let mut h = v.locked_harness(80, 24);
    h.press(KeyCode::Esc);
    assert!(h.quit, "Esc on the unlock screen");
}

fn ctrl_c_quits_after(keys: &[KeyCode]) {
    let v = TestVault::with(&[twilio("Main")]);
    let mut h = v.harness(80, 24);
    press_all(&mut h, keys);
    h.ctrl('c');
    assert!(h.quit, "after {keys:?}:\n{}", h.screen());
}

#[test]
fn ctrl_c_quits_from_the_wizard() {
    ctrl_c_quits_after(&[KeyCode::Char('a')]);
}

#[test]
fn ctrl_c_quits_from_the_details() {
    ctrl_c_quits_after(&[KeyCode::Enter]);
}

#[test]
fn ctrl_c_quits_from_the_delete_confirmation() {
    ctrl_c_quits_after(&[KeyCode::Char('d')]);
}

#[test]
fn ctrl_c_quits_from_help() {
    ctrl_c_quits_after(&[KeyCode::Char('?')]);
}

// ---------------------------------------------------------------------------
// Unlocking and creating

#[test]
fn a_wrong_then_the_right_passphrase() {
    let v = TestVault::with_key(&passphrase(PASSPHRASE), &[twilio("Main")]);
    let before = std::fs::read(&v.path).unwrap();
    let mut h = v.locked_harness(80, 24);
    h.type_text("wrong horse");
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("Wrong passphrase"), "{screen}");
    assert_eq!(
        std::fs::read(&v.path).unwrap(),
        before,
        "a wrong key changes nothing"
    );

    h.type_text(PASSPHRASE);
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("Connections (1)"), "{screen}");
    assert!(row_with(&screen, "Main").starts_with('>'), "{screen}");
}

#[test]
fn creating_a_vault_from_the_create_screen() {
    let v = TestVault::missing();
    let mut h = v.locked_harness(80, 24);
    h.type_text("new passphrase");
    h.press(KeyCode::Enter);
    assert!(!v.path.exists(), "nothing is written before the repeat");
    h.type_text("new passphrase");
    h.press(KeyCode::Enter);

    let screen = h.screen();
    assert!(screen.contains("No connections yet"), "{screen}");
    assert!(v.path.exists());
    let vault = Vault::open(&v.path, &passphrase("new passphrase")).expect("opens");
    assert!(vault.connections().unwrap().is_empty());

    // The new vault is in use: an add lands in it.
    start_twilio(&mut h, "First");
    h.ctrl('n');
    let vault = Vault::open(&v.path, &passphrase("new passphrase")).unwrap();
    assert_eq!(vault.connection("First").unwrap().service, "twilio");
}

#[test]
fn a_mismatched_repeat_creates_nothing() {
    let v = TestVault::missing();
    let mut h = v.locked_harness(80, 24);
    h.type_text("new passphrase");
    h.press(KeyCode::Enter);
    h.type_text("other passphrase");
    h.press(KeyCode::Enter);
    assert!(!v.path.exists());
    // Starting over works.
    for _ in 0..2 {
        h.type_text("third passphrase");
        h.press(KeyCode::Enter);
    }
    assert!(v.path.exists());
    Vault::open(&v.path, &passphrase("third passphrase")).expect("opens");
}

// ---------------------------------------------------------------------------
// Footers, help and choices that follow what has focus

/// A vault with one Twilio connection and a flow of one action that uses it.
fn with_a_flow() -> TestVault {
    let v = TestVault::with(&[twilio("Main")]);
    let mut vault = v.open();
    let main = v.get("Main");
    let mut flow = flowvault::vault::Flow::new("Alerts");
    vault.add_flow(&flow).unwrap();
    flow.steps = vec![flowvault::vault::FlowStep::new(
        "twilio.send_sms",
        Some(main.id),
        Default::default(),
    )];
    vault.save_steps(&flow).unwrap();
    v
}

fn footer(h: &mut flowvault::tui::harness::Harness) -> String {
    h.screen().lines().last().unwrap_or_default().to_owned()
}

#[test]
fn esc_at_repeat_it_goes_back_to_the_first_passphrase() {
    let v = TestVault::missing();
    let mut h = v.locked_harness(80, 24);
    h.type_text("first passphrase");
    h.press(KeyCode::Enter);
    assert!(h.screen().contains("Repeat it:"));
    assert!(footer(&mut h).contains("Esc back"), "{}", footer(&mut h));
    h.press(KeyCode::Esc);
    assert!(!h.quit, "Esc at Repeat it quit");
    let screen = h.screen();
    assert!(screen.contains("New passphrase:"), "{screen}");
    assert!(!screen.contains("Repeat it:"), "{screen}");
    assert!(footer(&mut h).contains("Esc quit"));
    // It starts over: a new pair is asked for, and it creates the vault.
    h.type_text("second passphrase");
    h.press(KeyCode::Enter);
    h.type_text("second passphrase");
    h.press(KeyCode::Enter);
    assert!(v.path.exists());
    Vault::open(&v.path, &passphrase("second passphrase")).expect("the second pair opens it");
}

#[test]
fn too_short_goes_once_the_passphrase_is_long_enough() {
    let v = TestVault::missing();
    let mut h = v.locked_harness(80, 24);
    h.type_text("short");
    h.press(KeyCode::Enter);
    assert!(h.screen().contains("at least 8"), "{}", h.screen());
    h.type_text("1234567");
    assert!(h.screen().contains("at least 8"), "seven is still short");
    h.type_text("8");
    assert!(!h.screen().contains("at least 8"), "{}", h.screen());
}

#[test]
fn rename_from_the_list_keeps_the_credentials() {
    let v = TestVault::with(&[twilio("Main"), twilio("Other")]);
    let before = v.get("Main");
    let mut h = v.harness(80, 24);
    h.type_text("R");
    let screen = h.screen();
    assert!(screen.contains("Rename the connection"), "{screen}");
    assert!(screen.contains("Enter renames"), "{screen}");
    h.ctrl('u');
    h.type_text("Other");
    assert!(h.screen().contains("already exists"));
    h.press(KeyCode::Enter);
    assert!(
        h.screen().contains("Rename the connection"),
        "a taken name is refused"
    );
    h.ctrl('u');
    h.type_text("Main (prod)");
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        list_selected(&screen)[0].contains("Main (prod)"),
        "{screen}"
    );
    let after = v.get("Main (prod)");
    assert_eq!(after.id, before.id);
    assert_eq!(after.fields, before.fields);
    assert_eq!(v.intact().len(), 2);
}

#[test]
fn esc_at_rename_changes_nothing() {
    let v = TestVault::with(&[twilio("Main")]);
    let mut h = v.harness(80, 24);
    h.type_text("R");
    h.type_text(" 2");
    h.press(KeyCode::Esc);
    assert!(list_selected(&h.screen())[0].contains("Main"));
    assert_eq!(v.get("Main").name, "Main");
}

#[test]
fn choice_fields_cycle_through_their_values() {
    let v = TestVault::with(&[]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('a'));
    h.type_text("http");
    h.press(KeyCode::Enter);
    // API key is the second method.
    press_all(&mut h, &[KeyCode::Char('j'), KeyCode::Enter]);
    h.type_text("Search API");
    h.press(KeyCode::Enter);
    h.type_text("X-Api-Key");
    h.press(KeyCode::Tab);
    h.type_text("secret-key-1");
    h.press(KeyCode::Tab);
    let screen = h.screen();
    // The choices show, the default marked; the footer says how to choose.
    let row = tui_common::row_with(&screen, "Add To");
    assert!(row.contains("‹header›") && row.contains("query"), "{row}");
    assert!(
        footer(&mut h).contains("Space/→ choose"),
        "{}",
        footer(&mut h)
    );
    // Letters are not typed into it.
    h.type_text("zz");
    assert!(!h.screen().contains("zz"));
    h.press(KeyCode::Char(' '));
    assert!(tui_common::row_with(&h.screen(), "Add To").contains("‹query›"));
    press_all(&mut h, &[KeyCode::Right, KeyCode::Left]);
    assert!(tui_common::row_with(&h.screen(), "Add To").contains("‹query›"));
    h.ctrl('s');
    let saved = v.get("Search API");
    assert_eq!(saved.fields.get("location"), Some("query"));
}

#[test]
fn the_flows_footer_shows_the_focused_columns_keys() {
    let v = with_a_flow();
    let mut h = v.harness(80, 24);
    assert!(footer(&mut h).contains("Tab flows"), "{}", footer(&mut h));
    h.press(KeyCode::Tab);
    let flows = footer(&mut h);
    for hint in [
        "n new",
        "e rename",
        "d delete",
        "a add action",
        "X dry run",
        "R run",
    ] {
        assert!(flows.contains(hint), "{hint} missing: {flows}");
    }
    for absent in ["c connection", "x dry run", "J/K"] {
        assert!(
            !flows.contains(absent),
            "{absent} on the flows column: {flows}"
        );
    }
    // `c` means nothing on the flows column: nothing opens.
    h.press(KeyCode::Char('c'));
    assert!(!h.screen().contains("Vault connection for"));

    h.press(KeyCode::Char('l'));
    let actions = footer(&mut h);
    for hint in [
        "c connection",
        "e inputs",
        "x dry run",
        "r run",
        "d remove",
        "J/K move",
    ] {
        assert!(actions.contains(hint), "{hint} missing: {actions}");
    }
    assert!(!actions.contains("n new"), "{actions}");
    assert!(!actions.contains("e rename"), "{actions}");

    // At 120 columns the rest shows too.
    h.resize(120, 40);
    let wide = footer(&mut h);
    assert!(wide.contains("+ new connection"), "{wide}");
    assert!(wide.contains("q quit"), "{wide}");
}

#[test]
fn help_opens_at_the_focused_screens_keys() {
    let v = with_a_flow();
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('?'));
    let screen = h.screen();
    assert!(screen.contains("Connection list"), "{screen}");
    h.press(KeyCode::Esc);

    h.press(KeyCode::Tab);
    h.press(KeyCode::Char('?'));
    let screen = h.screen();
    let first = screen.lines().nth(2).unwrap_or_default();
    assert!(first.contains("Flows pane: flows column"), "{screen}");
    h.press(KeyCode::Esc);

    h.press(KeyCode::Char('l'));
    h.press(KeyCode::Char('?'));
    let screen = h.screen();
    let first = screen.lines().nth(2).unwrap_or_default();
    assert!(first.contains("Flows pane: actions column"), "{screen}");
}

#[test]
fn a_notice_does_not_follow_into_the_next_screen() {
    let v = TestVault::with(&[twilio("Main")]);
    let mut h = v.harness(80, 24);
    h.press(KeyCode::Char('r'));
    assert!(h.screen().contains("static credentials"), "{}", h.screen());
    h.press(KeyCode::Enter);
    assert!(!h.screen().contains("static credentials"), "{}", h.screen());
}

#[test]
fn r_says_renewed_when_the_renewal_it_asked_for_succeeds() {
    use flowvault::auth::RefreshEvent;
    let v = TestVault::with(&[conn(
        "Mgmt API",
        "auth0",
        "client_credentials",
        &[
            ("domain", "tenant.eu.auth0.com"),
            ("client_id", "abc"),
            ("client_secret", "s"),
        ],
    )]);
    let id = v.get("Mgmt API").id;
    let mut h = v.harness(80, 24);
    let renewed = |id: &flowvault::vault::ConnectionId| RefreshEvent::Renewed {
        id: id.clone(),
        name: "Mgmt API".into(),
        record: Default::default(),
    };
    // A renewal nobody asked for (the background schedule) stays quiet.
    h.send(Msg::Refresh(renewed(&id)));
    assert!(!h.screen().contains("Renewed"), "{}", h.screen());
    h.press(KeyCode::Char('r'));
    assert!(h.screen().contains("Renewing the token of “Mgmt API”"));
    h.send(Msg::Refresh(renewed(&id)));
    assert!(h.screen().contains("Renewed “Mgmt API”."), "{}", h.screen());
}
