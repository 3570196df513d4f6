//! The UI locks itself after the operator's idle time and forgets what the
//! vault gave it; a copy leaves the clipboard when its time is up (unless a
//! newer copy replaced it) or when the UI quits. Time is played: the app's
//! clock is moved on and its timers fired, nothing sleeps.

mod tui_common;

use std::time::Duration;

use flowvault::config::Timeouts;
use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::tui::message::Timer;
use flowvault::tui::settings::UiSettings;
use flowvault::tui::theme::Theme;
use flowvault::vault::{Vault, VaultStore};
use ratatui::crossterm::event::KeyCode;
use tui_common::{
    CANARY, PASSPHRASE, SID, SIZES, TestVault, assert_fits, conn, fixed_dir, key, passphrase,
    row_with,
};

const IDLE: Duration = Duration::from_secs(60);

fn token() -> String {
    format!("tok-{CANARY}")
}

fn twilio(name: &str) -> flowvault::vault::Connection {
    conn(
        name,
        "twilio",
        "auth_token",
        &[("account_sid", SID), ("auth_token", &token())],
    )
}

fn snapshot(name: &str, screen: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s.add_filter(r"/tmp/fv-[A-Za-z0-9]{8}/", "/tmp/fv-XXXXXXXX/");
    s.bind(|| insta::assert_snapshot!(name, screen));
}

fn settings(auto_lock: Option<Duration>, clipboard_clear: Option<Duration>) -> UiSettings {
    UiSettings {
        theme: Theme::plain(),
        timeouts: Timeouts {
            auto_lock,
            clipboard_clear,
            ..Timeouts::default()
        },
        ..UiSettings::default()
    }
}

/// A passphrase vault holding one Twilio connection, and the harness on it
/// unlocked by typing, with `ui`'s timeouts.
fn unlocked(size: (u16, u16), ui: UiSettings) -> (TestVault, Harness) {
    let v = TestVault::create_in(fixed_dir(), &passphrase(PASSPHRASE), &[twilio("Main")]);
    let mut h = Harness::configured(&v.path, None, Lang::En, size, ui);
    unlock(&mut h);
    (v, h)
}

fn unlock(h: &mut Harness) {
    h.type_text(PASSPHRASE);
    h.press(KeyCode::Enter);
    assert!(!h.app.rows().is_empty(), "unlocked:\n{}", h.screen());
}

fn is_lock(t: &Timer) -> bool {
    matches!(t, Timer::AutoLock(_))
}

fn lock_timers(h: &Harness) -> usize {
    h.timers.iter().filter(|t| is_lock(t)).count()
}

#[test]
fn the_ui_locks_after_the_idle_time_and_a_key_before_it_postpones_it() {
    let (_v, mut h) = unlocked((80, 24), settings(Some(IDLE), None));
    assert_eq!(lock_timers(&h), 1, "one timer, for the whole idle time");
    // Secrets on screen: the details, revealed.
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('v'));
    assert!(h.screen().contains(&token()));

    // 40 s in, a key: the idle time starts again.
    h.pass_time(Duration::from_secs(40));
    h.press(KeyCode::Char('j'));
    // The timer fires at 60 s: only 20 s idle, so it waits 40 s more.
    h.pass_time(Duration::from_secs(20));
    h.fire(is_lock);
    assert_eq!(lock_timers(&h), 1, "a new timer for what is left");
    assert!(!h.app.rows().is_empty(), "still open");
    assert!(!h.refresher_stopped);

    // Background work is not the operator: a redraw does not postpone the lock.
    h.pass_time(Duration::from_secs(40));
    h.resize(80, 24);
    h.fire(is_lock);
    let screen = h.screen();
    assert!(screen.contains("Locked after 1m of inactivity"), "{screen}");
    assert!(
        !screen.contains(&token()) && !screen.contains("Main"),
        "{screen}"
    );
    assert_eq!(lock_timers(&h), 0, "no timer while locked");
}

#[test]
fn a_lock_drops_the_vault_everything_decrypted_and_the_screens_over_the_list() {
    let (v, mut h) = unlocked((80, 24), settings(Some(IDLE), None));
    assert!(h.runner.holds_vault());
    // A form half filled, over the details.
    h.press(KeyCode::Char('/'));
    h.type_text("Ma");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('e'));
    h.type_text("draft");
    h.pass_time(IDLE);
    h.fire(is_lock);

    assert!(h.app.rows().is_empty(), "connections and tokens forgotten");
    assert!(h.app.flows().is_empty(), "flows forgotten");
    assert!(h.refresher_stopped, "the UI's own refresher stops");
    assert!(
        !h.runner.holds_vault(),
        "the session let go of the vault and its key"
    );
    assert_eq!(h.app.mode(), flowvault::tui::keymap::Mode::Unlock);
    // What another process writes meanwhile is not read while locked.
    Vault::open(&v.path, &passphrase(PASSPHRASE))
        .unwrap()
        .add_connection(&twilio("Added elsewhere"))
        .unwrap();
    h.poll_vault();
    assert!(h.app.rows().is_empty());

    // Unlocking again: the list, the form and the filter gone, the
    // refresher and the idle clock started again.
    h.refresher_started = false;
    unlock(&mut h);
    let screen = h.screen();
    assert!(row_with(&screen, "Main").contains("Twilio"), "{screen}");
    assert!(
        screen.contains("Added elsewhere"),
        "the filter is gone: {screen}"
    );
    assert!(!screen.contains("draft"), "{screen}");
    assert_eq!(h.app.mode(), flowvault::tui::keymap::Mode::List);
    assert!(h.refresher_started);
    assert!(h.runner.holds_vault());
    assert_eq!(lock_timers(&h), 1);
}

#[test]
fn a_confirmation_open_at_lock_time_is_discarded() {
    let (v, mut h) = unlocked((80, 24), settings(Some(IDLE), None));
    h.press(KeyCode::Char('d'));
    assert!(h.screen().contains("Delete"));
    h.pass_time(IDLE);
    h.fire(is_lock);
    // The `y` that would have said yes goes into the passphrase field.
    h.type_text("y");
    assert_eq!(h.app.mode(), flowvault::tui::keymap::Mode::Unlock);
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("Wrong passphrase"), "{screen}");
    let vault = Vault::open(&v.path, &passphrase(PASSPHRASE)).unwrap();
    assert_eq!(vault.connections().unwrap().len(), 1, "nothing deleted");
}

#[test]
fn the_unlock_screen_after_an_auto_lock_says_why() {
    for (w, hgt) in SIZES {
        let (_v, mut h) = unlocked((w, hgt), settings(Some(Duration::from_secs(900)), None));
        h.pass_time(Duration::from_secs(900));
        h.fire(is_lock);
        let screen = h.screen();
        assert_fits(&screen, w, hgt);
        assert!(
            screen.contains("Locked after 15m of inactivity"),
            "{screen}"
        );
        snapshot(&format!("auto_locked_{w}x{hgt}"), &screen);
    }
}

#[test]
fn auto_lock_off_or_a_key_file_never_locks() {
    let (_v, h) = unlocked((80, 24), settings(None, None));
    assert_eq!(lock_timers(&h), 0, "off: no timer at all");
    // A key file opens the vault again with no one typing: no lock.
    let v = TestVault::with(&[twilio("Main")]);
    let ui = settings(Some(IDLE), None);
    let h = Harness::configured(&v.path, Some(key()), Lang::En, (80, 24), ui);
    assert!(!h.app.rows().is_empty());
    assert_eq!(lock_timers(&h), 0);
}

#[test]
fn the_default_locks_after_fifteen_minutes() {
    assert_eq!(
        Timeouts::default().auto_lock,
        Some(Duration::from_secs(15 * 60))
    );
    let (_v, mut h) = unlocked((80, 24), settings(Timeouts::default().auto_lock, None));
    h.pass_time(Duration::from_secs(14 * 60));
    h.fire(is_lock);
    assert!(!h.app.rows().is_empty(), "14 minutes: still open");
    h.pass_time(Duration::from_secs(60));
    h.fire(is_lock);
    assert!(h.app.rows().is_empty(), "15 minutes: locked");
}

// ---------------------------------------------------------------------------
// The clipboard

fn is_clear(t: &Timer) -> bool {
    matches!(t, Timer::ClearClipboard(_))
}

#[test]
fn a_copy_is_cleared_when_its_time_is_up_and_only_the_last_copys_timer_clears() {
    let (_v, mut h) = unlocked((80, 24), settings(None, Some(Duration::from_secs(30))));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('y'));
    assert_eq!(h.copied, [SID]);
    assert!(
        h.screen()
            .contains("Copied Account SID of “Main”; the clipboard clears in 30 s."),
        "{}",
        h.screen()
    );
    let first: Vec<Timer> = h.timers.iter().copied().filter(is_clear).collect();
    assert_eq!(first.len(), 1);
    // A newer copy: the first one's timer clears nothing.
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::Char('y'));
    assert_eq!(h.copied, [SID.to_owned(), token()]);
    h.fire(|t| first.contains(t));
    assert_eq!(
        h.copied.len(),
        2,
        "the older timer did not clear the newer copy"
    );
    h.fire(is_clear);
    assert_eq!(h.copied, [SID.to_owned(), token(), String::new()]);
    // Cleared once: quitting has nothing left to clear.
    h.press(KeyCode::Esc);
    h.press(KeyCode::Char('q'));
    assert!(h.quit);
    assert_eq!(h.copied.len(), 3);
}

#[test]
fn quitting_before_the_clear_clears_at_exit() {
    let (_v, mut h) = unlocked((80, 24), settings(None, Some(Duration::from_secs(30))));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::Char('y'));
    h.ctrl('c');
    assert!(h.quit);
    assert_eq!(h.copied, [token(), String::new()]);
}

#[test]
fn with_clearing_off_a_copy_stays() {
    let (_v, mut h) = unlocked((80, 24), settings(None, None));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('y'));
    assert!(h.timers.iter().all(|t| !is_clear(t)));
    assert!(
        h.screen()
            .contains("Copied Account SID of “Main” to the clipboard."),
        "{}",
        h.screen()
    );
    h.ctrl('c');
    assert_eq!(h.copied, [SID]);
}

/// A writer the test reads after the backend wrote to it.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_clear_is_an_empty_osc_52() {
    use flowvault::tui::terminal::{FrameWriter, TerminalExtras};
    use ratatui::backend::CrosstermBackend;
    let out = Shared::default();
    let mut backend = CrosstermBackend::new(FrameWriter::new(out.clone()));
    backend.copy_to_clipboard("").unwrap();
    assert_eq!(out.0.borrow().as_slice(), b"\x1b]52;c;\x07");
}

#[test]
fn coming_back_from_the_editor_counts_as_the_operators_doing() {
    use flowvault::tui::editor::EditorError;
    use flowvault::tui::message::Msg;
    let (_v, mut h) = unlocked((80, 24), settings(Some(IDLE), None));
    h.press(KeyCode::Char('e'));
    // Ctrl-o, then a long while in the editor: its answer comes at 59 s.
    h.pass_time(Duration::from_secs(59));
    h.send(Msg::Edited {
        field: "auth_token".into(),
        result: Err(EditorError::Failed("exit status: 1".into())),
    });
    h.pass_time(Duration::from_secs(30));
    h.fire(is_lock);
    assert!(!h.app.rows().is_empty(), "not locked on the way back");
    assert!(h.screen().contains("The editor exited with a failure"));
}

#[test]
fn a_lock_clears_a_copy_still_waiting_for_its_clear() {
    let (_v, mut h) = unlocked(
        (80, 24),
        settings(Some(IDLE), Some(Duration::from_secs(300))),
    );
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::Char('y'));
    assert_eq!(h.copied, [token()]);
    h.pass_time(IDLE);
    h.fire(is_lock);
    assert_eq!(h.copied, [token(), String::new()], "cleared at the lock");
    // Its timer, firing later, has nothing left to clear.
    h.fire(is_clear);
    assert_eq!(h.copied.len(), 2);
}
