//! The config file in the terminal UI: a rebound key does its action and
//! shows in the footer and the help; a refused one is a warning in the
//! status line; the theme's roles draw in the file's colours; the reveal
//! lasts as long as the file says.

mod tui_common;

use std::path::PathBuf;
use std::time::Duration;

use flowvault::config::Config;
use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::tui::message::{Effect, Msg, Timer};
use flowvault::tui::settings::UiSettings;
use flowvault::tui::theme::Theme;
use flowvault::vault::Connection;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};

use tui_common::{CANARY, SID, SIZES, TestVault, assert_fits, conn, fixed_dir, key, row_with};

fn snapshot(name: &str, screen: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s.add_filter(r"/tmp/fv-[A-Za-z0-9]{8}/", "/tmp/fv-XXXXXXXX/");
    s.bind(|| insta::assert_snapshot!(name, screen));
}

fn connections() -> Vec<Connection> {
    vec![
        conn(
            "Twilio SMS",
            "twilio",
            "auth_token",
            &[
                ("account_sid", SID),
                ("auth_token", &format!("tok-{CANARY}")),
            ],
        ),
        conn(
            "Mail",
            "sendgrid",
            "api_key",
            &[("api_key", &format!("SG.{CANARY}"))],
        ),
        // Empty: drawn in the warning role.
        conn(
            "Staging",
            "auth0",
            "client_credentials",
            &[("domain", "staging.eu.auth0.com")],
        ),
    ]
}

/// A vault and a config file side by side in one fixed-width folder.
struct Setup {
    vault: TestVault,
    config: PathBuf,
}

impl Setup {
    fn new(config: &str) -> Setup {
        let vault = TestVault::create_in(fixed_dir(), &key(), &connections());
        let path = vault.dir.path().join("config.toml");
        std::fs::write(&path, config).expect("write the config file");
        Setup {
            vault,
            config: path,
        }
    }

    fn settings(&self, theme: Theme) -> UiSettings {
        UiSettings::with_theme(&Config::load(Some(self.config.clone())), theme)
    }

    fn harness(&self, (w, h): (u16, u16)) -> Harness {
        let ui = self.settings(Theme::plain());
        Harness::configured(&self.vault.path, Some(key()), Lang::En, (w, h), ui)
    }
}

fn footer(screen: &str) -> &str {
    screen.lines().last().expect("a footer line")
}

#[test]
fn a_rebound_key_does_its_action_and_the_old_one_nothing() {
    let setup = Setup::new("[keys.list]\ndelete = \"x\"\n");
    let mut h = setup.harness((80, 24));
    let list = h.screen();
    h.press(KeyCode::Char('d'));
    assert_eq!(h.screen(), list, "d still does something");
    h.press(KeyCode::Char('x'));
    let confirm = h.screen();
    assert!(confirm.contains("Delete “Twilio SMS”?"), "{confirm}");
    h.press(KeyCode::Char('y'));
    let names: Vec<String> = setup.vault.intact().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Mail", "Staging"]);
}

#[test]
fn a_rebound_key_shows_in_the_footer_and_the_help() {
    let setup = Setup::new("[keys.list]\ndelete = \"x\"\nhelp = [\"?\", \"F1\"]\n");
    for (w, h) in SIZES {
        let mut hn = setup.harness((w, h));
        let list = hn.screen();
        assert!(footer(&list).contains("x delete"), "{list}");
        assert!(!footer(&list).contains("d delete"), "{list}");
        assert_fits(&list, w, h);
        snapshot(&format!("footer_{w}x{h}"), &list);
        hn.press(KeyCode::F(1));
        let help = hn.screen();
        let delete = row_with(&help, "delete");
        assert!(delete.contains("  x "), "{delete}");
        assert!(row_with(&help, "help").contains("?/F1"), "{help}");
        assert_fits(&help, w, h);
        snapshot(&format!("help_{w}x{h}"), &help);
    }
}

#[test]
fn two_keys_for_one_action_both_work_on_each_variant_of_the_screen() {
    let setup = Setup::new("[keys.details]\ncopy = [\"y\", \"ctrl-y\"]\n");
    let mut h = setup.harness((120, 40));
    h.press(KeyCode::Enter);
    // The Auth Token, the second field.
    h.press(KeyCode::Down);
    h.ctrl('y');
    assert_eq!(h.copied, [format!("tok-{CANARY}")]);
    // Revealed, the details are another mode of the same screen.
    h.press(KeyCode::Char('v'));
    h.ctrl('y');
    h.press(KeyCode::Char('y'));
    assert_eq!(h.copied.len(), 3);
    assert!(footer(&h.screen()).contains("y/Ctrl-y copy field"));
}

#[test]
fn a_refused_binding_keeps_the_default_and_says_so_in_the_status_line() {
    let setup = Setup::new("[keys.list]\ndelete = \"a\"\n");
    let mut h = setup.harness((120, 40));
    let screen = h.screen();
    let status = screen.lines().nth(38).unwrap();
    assert!(
        status.contains("config.toml line 2: [keys.list] delete: a already does “add” here"),
        "{screen}"
    );
    assert!(footer(&screen).contains("d delete"), "{screen}");
    h.press(KeyCode::Char('d'));
    assert!(h.screen().contains("Delete “Twilio SMS”?"));
}

#[test]
fn at_80_columns_the_status_line_says_how_many_problems_and_where_to_read_them() {
    let setup = Setup::new("[keys.list]\ndelete = \"a\"\n[theme]\nmuted = \"chartreuse-ish\"\n");
    let mut h = setup.harness((80, 24));
    let screen = h.screen();
    let status = screen.lines().nth(22).unwrap();
    assert!(
        status.starts_with("2 config problems (flowvault config lists them): config.toml line 2"),
        "{screen}"
    );
}

#[test]
fn a_broken_file_shows_its_line_and_column_on_the_unlock_screen_too() {
    let setup = Setup::new("[theme\nmuted = \"gray\"\n");
    let ui = setup.settings(Theme::plain());
    let mut h = Harness::configured(&setup.vault.path, None, Lang::En, (120, 40), ui);
    let screen = h.screen();
    assert!(screen.contains("Unlock vault"), "{screen}");
    let status = screen.lines().nth(38).unwrap();
    assert!(status.contains("config.toml line 1: "), "{screen}");
    assert!(status.contains("not valid TOML"), "{screen}");
}

/// The hide timer is set for the file's time, not the default 10 s; until
/// it fires the secret shows, and when it fires it hides.
#[test]
fn revealed_secrets_hide_after_the_configured_time() {
    let setup = Setup::new("[timeouts]\nreveal = \"4s\"\n");
    let mut h = setup.harness((120, 40));
    h.press(KeyCode::Enter);
    // The press through the app itself, to see the timer it asks for.
    let effects = h.app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('v'),
        KeyModifiers::NONE,
    )));
    let hides: Vec<(Timer, Duration)> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartTimer(timer @ Timer::HideSecrets(_), delay) => Some((*timer, *delay)),
            _ => None,
        })
        .collect();
    assert_eq!(hides.len(), 1, "{effects:?}");
    let (hide, delay) = hides[0];
    assert_eq!(delay, Duration::from_secs(4));
    let screen = h.screen();
    assert!(screen.contains(CANARY), "not revealed:\n{screen}");
    assert!(footer(&screen).contains("v hide (4 s)"), "{screen}");
    // Before the time: the countdown ticks, the secret stays.
    for effect in &effects {
        if let Effect::StartTimer(timer @ Timer::Countdown(_), _) = effect {
            h.send(Msg::Timer(*timer));
        }
    }
    h.fire_timers();
    let screen = h.screen();
    assert!(screen.contains(CANARY), "hidden too soon:\n{screen}");
    // At the time: hidden.
    h.send(Msg::Timer(hide));
    let screen = h.screen();
    assert!(!screen.contains(CANARY), "still shown:\n{screen}");
    assert!(footer(&screen).contains("v reveal"), "{screen}");
}

/// The roles drawn in the file's colours, as a terminal would get them: the
/// buffer's Debug lists every run of cells with its style.
#[test]
fn theme_roles_draw_in_the_file_colours() {
    let setup = Setup::new(
        "[theme]\nselected = \"black on yellow\"\nkey = \"bold magenta\"\nwarning = \"#ff8800\"\ntitle = \"underlined blue\"\n",
    );
    let ui = setup.settings(Theme::colored());
    let mut h = Harness::configured(&setup.vault.path, Some(key()), Lang::En, (60, 15), ui);
    h.screen();
    let buffer = h.terminal.backend().buffer().clone();
    // The selection marker and the selected name, and nothing else.
    let selected: String = (0..60)
        .map(|x| &buffer[(x, 2)])
        .filter(|c| (c.fg, c.bg) == (Color::Black, Color::Yellow))
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert_eq!(selected, ">Twilio SMS");
    // The footer's keys, the title.
    let first_key = &buffer[(0, 14)];
    assert_eq!(first_key.fg, Color::Magenta);
    assert!(first_key.modifier.contains(Modifier::BOLD));
    assert_eq!(buffer[(1, 0)].fg, Color::Blue);
    let orange = (0..60).filter(|x| buffer[(*x, 4)].fg == Color::Rgb(255, 136, 0));
    assert!(
        orange.count() > 0,
        "the empty connection is not in the warning colour"
    );
    snapshot("theme_colours", &format!("{buffer:?}"));
}

/// The default theme's muted text and borders are dimmed text of the
/// terminal's own colour, never palette index 8 (invisible on Solarized Dark).
#[test]
fn the_default_theme_draws_nothing_in_dark_gray() {
    let setup = Setup::new("");
    let ui = setup.settings(Theme::colored());
    let mut h = Harness::configured(&setup.vault.path, Some(key()), Lang::En, (80, 24), ui);
    h.press(KeyCode::Enter);
    h.screen();
    let buffer = h.terminal.backend().buffer().clone();
    let dims = buffer
        .content()
        .iter()
        .filter(|c| c.modifier.contains(Modifier::DIM))
        .count();
    assert!(dims > 0, "nothing muted on the details screen");
    assert!(
        buffer
            .content()
            .iter()
            .all(|c| c.fg != Color::DarkGray && c.bg != Color::DarkGray)
    );
}

/// Texts that name a key (the form's hint, the rename hint) name the key
/// bound, and that key does what they say.
#[test]
fn hints_in_the_text_name_the_rebound_keys() {
    let setup = Setup::new(
        "[keys.wizard_form]\ncreate_empty = \"ctrl-g\"\n[keys.rename]\nsubmit = \"ctrl-r\"\n",
    );
    let mut h = setup.harness((80, 24));
    h.press(KeyCode::Char('a'));
    h.type_text("twil");
    h.press(KeyCode::Enter);
    h.type_text("Later");
    h.press(KeyCode::Enter);
    let form = h.screen();
    assert!(form.contains("Ctrl-g creates it empty"), "{form}");
    assert!(!form.contains("Ctrl-n"), "{form}");
    h.ctrl('g');
    assert!(setup.vault.intact().iter().any(|c| c.name == "Later"));
    h.press(KeyCode::Char('R'));
    let rename = h.screen();
    assert!(rename.contains("Ctrl-r renames · Esc cancels"), "{rename}");
    h.type_text(" on");
    // Enter, the default, no longer renames; Ctrl-r does.
    h.press(KeyCode::Enter);
    assert!(!setup.vault.intact().iter().any(|c| c.name == "Later on"));
    h.ctrl('r');
    let names: Vec<String> = setup.vault.intact().into_iter().map(|c| c.name).collect();
    assert!(names.contains(&"Later on".to_owned()), "{names:?}");
    assert!(!names.contains(&"Later".to_owned()), "{names:?}");
    let screen = h.screen();
    assert!(
        !screen.contains("Ctrl-r renames"),
        "still renaming:\n{screen}"
    );
}

/// The filter's "no match" line names the key that clears it, as bound.
#[test]
fn the_no_match_line_names_the_key_that_clears_the_filter() {
    let setup = Setup::new("[keys.filter]\nback = \"ctrl-x\"\n[keys.list]\nback = \"backspace\"\n");
    let mut h = setup.harness((100, 24));
    h.type_text("/zzz");
    let screen = h.screen();
    assert!(
        screen.contains("No connection matches “zzz”. Ctrl-x clears the filter."),
        "{screen}"
    );
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains("No connection matches “zzz”. Backspace clears the filter."),
        "{screen}"
    );
    h.press(KeyCode::Backspace);
    assert!(h.screen().contains("Twilio SMS"));
}

/// A vault that needs a key file says which key quits, as bound.
#[test]
fn the_key_file_notice_names_the_key_that_quits() {
    let setup = Setup::new("[keys.unlock]\nquit = \"f10\"\n");
    let ui = setup.settings(Theme::plain());
    // The test vault opens only with its key file; none is given.
    let mut h = Harness::configured(&setup.vault.path, None, Lang::En, (120, 40), ui);
    let screen = h.screen();
    assert!(screen.contains("not a passphrase. Quit (F10)"), "{screen}");
    assert!(!screen.contains("(Esc)"), "{screen}");
    h.press(KeyCode::F(10));
    assert!(h.quit, "F10 does not quit");
}
