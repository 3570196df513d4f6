//! The config file (`config.toml`): default vault, language, key bindings,
//! theme and timeouts. A mistake in it is a warning that names the line
//! and column; the program runs on defaults for what the mistake touches.

mod file;
pub mod keys;
pub mod theme;
pub mod timeouts;
mod warning;

use std::path::PathBuf;
use std::time::Duration;

use ratatui::style::Style;

use crate::locale::Lang;
use crate::vault::VaultLocation;
pub use file::default_path;
pub use keys::{KeyChord, Rebinding};
pub use timeouts::Timeouts;
pub use warning::{ConfigWarning, Position, Problem};

/// A Rust name as the config file spells it: words split at capitals and
/// joined by `separator` (`PageDown` as `page_down`, `DarkGray` as `dark-gray`).
pub fn file_name(camel: &str, separator: char) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(separator);
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// What the file sets; `None` and empty lists leave the defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub vault: Option<VaultLocation>,
    pub lang: Option<Lang>,
    pub reveal: Option<Duration>,
    /// `Some(None)`: the file turns clearing off.
    pub clipboard_clear: Option<Option<Duration>>,
    /// `Some(None)`: the file turns locking off.
    pub auto_lock: Option<Option<Duration>>,
    /// Theme roles the file restyles, in file order.
    pub theme: Vec<StyleSetting>,
    /// Keys the file rebinds, in file order.
    pub keys: Vec<Rebinding>,
}

/// `[theme] ROLE = "STYLE"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleSetting {
    pub role: String,
    pub style: Style,
}

impl Settings {
    /// The timeouts: the file's where it sets them, else the defaults.
    pub fn timeouts(&self) -> Timeouts {
        let default = Timeouts::default();
        Timeouts {
            reveal: self.reveal.unwrap_or(default.reveal),
            clipboard_clear: self.clipboard_clear.unwrap_or(default.clipboard_clear),
            auto_lock: self.auto_lock.unwrap_or(default.auto_lock),
        }
    }
}

/// How the config file was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathChoice {
    /// The default place.
    Default,
    /// `--config PATH`.
    Flag,
    /// `FLOWVAULT_CONFIG`.
    Env,
}

/// The config file as read at start.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file looked for (`None`: no home folder to look in).
    pub path: Option<PathBuf>,
    /// Whether it was there and read.
    pub found: bool,
    pub settings: Settings,
    /// What was wrong with it, in file order.
    pub warnings: Vec<ConfigWarning>,
}

impl Config {
    /// Reads the file named by `--config`/`FLOWVAULT_CONFIG` (`named`), else
    /// the default one. Never fails: problems are warnings.
    pub fn load(named: Option<PathBuf>) -> Config {
        let is_named = named.is_some();
        let Some(path) = named.or_else(default_path) else {
            return Config::default();
        };
        let (settings, warnings) = file::read(&path, is_named);
        Config {
            found: settings.is_some(),
            settings: settings.unwrap_or_default(),
            path: Some(path),
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    use ratatui::style::Color;

    fn load(text: &str) -> Config {
        let (dir, path) = with_mode(text, 0o600);
        let config = Config::load(Some(path));
        drop(dir);
        config
    }

    fn position(config: &Config, i: usize) -> (usize, usize) {
        let at = config.warnings[i].at.expect("a position");
        (at.line, at.column)
    }

    #[test]
    fn a_full_file_sets_everything() {
        let config = load(
            r##"
vault = "/srv/flowvault/team.db"
lang = "fr"

[timeouts]
reveal = "30s"
clipboard_clear = 45
auto_lock = "15m"

[theme]
muted = "gray"
warning = "#ff8800"

[keys.list]
delete = "x"

[keys.details]
copy = ["y", "ctrl-y"]
"##,
        );
        assert_eq!(config.warnings, []);
        let s = &config.settings;
        assert_eq!(
            s.vault,
            Some(VaultLocation::File("/srv/flowvault/team.db".into()))
        );
        assert_eq!(s.lang, Some(Lang::Fr));
        let t = s.timeouts();
        assert_eq!(t.reveal, Duration::from_secs(30));
        assert_eq!(t.clipboard_clear, Some(Duration::from_secs(45)));
        assert_eq!(t.auto_lock, Some(Duration::from_secs(900)));
        assert_eq!(s.theme.len(), 2);
        assert_eq!(s.theme[0].role, "muted");
        assert_eq!(s.theme[0].style, Style::new().fg(Color::Gray));
        assert_eq!(s.theme[1].style, Style::new().fg(Color::Rgb(255, 136, 0)));
        let copy = s.keys.iter().find(|k| k.action == "copy").unwrap();
        assert_eq!(copy.screen, "details");
        assert_eq!(copy.names, ["y", "ctrl-y"]);
        assert_eq!(copy.chords[1].code, KeyCode::Char('y'));
        assert_eq!(copy.chords[1].modifiers, KeyModifiers::CONTROL);
    }

    #[test]
    fn a_file_that_is_not_toml_is_ignored_whole_with_its_line_and_column() {
        let config = load("lang = \"fr\"\n[theme\nmuted = \"gray\"\n");
        assert_eq!(config.warnings.len(), 1);
        assert!(matches!(config.warnings[0].problem, Problem::NotToml(_)));
        assert_eq!(position(&config, 0).0, 2);
        // Nothing of it applies, not even the good line before the mistake.
        assert_eq!(config.settings, Settings::default());
        let text = config.warnings[0].text(crate::locale::Locale::get(Lang::En));
        assert!(text.contains("config.toml"), "{text}");
        assert!(text.contains("line 2, column"), "{text}");
    }

    #[test]
    fn a_wrong_type_or_unknown_key_costs_only_its_section() {
        let config = load(
            "lang = \"ja\"\n\n[timeouts]\nreveal = true\n\n[theme]\nmuted = \"gray\"\nshade = \"red\"\n\n[colours]\n",
        );
        let problems: Vec<_> = config.warnings.iter().map(|w| &w.problem).collect();
        assert!(matches!(problems[0], Problem::Invalid(_)), "{problems:?}");
        assert_eq!(position(&config, 0), (4, 10));
        // An unknown role is left alone; the rest of [theme] applies.
        assert_eq!(problems[1], &Problem::UnknownRole("shade".into()));
        assert_eq!(position(&config, 1), (8, 1));
        assert_eq!(problems[2], &Problem::UnknownSetting("colours".into()));
        assert_eq!(position(&config, 2), (10, 2));
        assert_eq!(config.settings.lang, Some(Lang::Ja));
        assert_eq!(config.settings.timeouts(), Timeouts::default());
        assert_eq!(config.settings.theme.len(), 1);
    }

    #[test]
    fn unknown_fields_in_a_section_are_named() {
        let config = load("[timeouts]\nreveal = 5\nreveals = 6\n");
        let Problem::Invalid(message) = &config.warnings[0].problem else {
            panic!("{:?}", config.warnings);
        };
        assert!(message.contains("reveals"), "{message}");
        assert_eq!(position(&config, 0), (3, 1));
        assert_eq!(config.settings.reveal, None);
    }

    #[test]
    fn bad_values_are_refused_one_by_one() {
        let config = load(
            "lang = \"klingon\"\n[timeouts]\nreveal = \"forever\"\nauto_lock = \"off\"\n[theme]\nerror = \"purplish\"\n[keys.list]\ndelete = \"hyper-x\"\nadd = \"n\"\n",
        );
        let problems: Vec<_> = config.warnings.iter().map(|w| w.problem.clone()).collect();
        assert_eq!(
            problems,
            [
                Problem::UnknownLang("klingon".into()),
                Problem::BadDuration {
                    setting: "reveal".into(),
                    text: "forever".into()
                },
                Problem::BadStyle {
                    role: "error".into(),
                    text: "purplish".into()
                },
                Problem::BadKey("hyper-x".into()),
            ]
        );
        assert_eq!(position(&config, 3), (8, 10));
        assert_eq!(config.settings.auto_lock, Some(None));
        assert_eq!(config.settings.keys.len(), 1);
        assert_eq!(config.settings.keys[0].action, "add");
    }

    #[test]
    fn rust_names_are_spelled_as_the_file_writes_them() {
        assert_eq!(file_name("PageDown", '_'), "page_down");
        assert_eq!(file_name("DarkGray", '-'), "dark-gray");
        assert_eq!(file_name("Quit", '_'), "quit");
    }

    #[test]
    fn relative_vault_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "vault = \"vaults/team.db\"\n").unwrap();
        let config = Config::load(Some(path));
        assert_eq!(
            config.settings.vault,
            Some(VaultLocation::File(dir.path().join("vaults/team.db")))
        );
    }

    #[test]
    fn a_missing_file_is_a_warning_only_when_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.toml");
        let named = Config::load(Some(path.clone()));
        assert!(!named.found);
        assert_eq!(named.warnings[0].problem, Problem::Missing);
        let (settings, warnings) = file::read(&path, false);
        assert_eq!((settings, warnings), (None, vec![]));
    }

    fn with_mode(text: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        (dir, path)
    }

    /// Such a file could send the OpenBao login to a server of anyone's choosing.
    #[test]
    fn a_file_others_may_write_is_not_read() {
        for mode in [0o664, 0o646, 0o666] {
            let (_dir, path) = with_mode("vault = \"openbao://evil.example\"\n", mode);
            let config = Config::load(Some(path));
            assert_eq!(config.settings, Settings::default(), "{mode:o}");
            assert_eq!(
                config
                    .warnings
                    .iter()
                    .map(|w| &w.problem)
                    .collect::<Vec<_>>(),
                [&Problem::WritableByOthers],
                "{mode:o}"
            );
            let text = config.warnings[0].text(crate::locale::Locale::get(Lang::En));
            assert!(text.contains("chmod go-w"), "{text}");
        }
        let (_dir, path) = with_mode("lang = \"fr\"\n", 0o644);
        assert_eq!(Config::load(Some(path)).settings.lang, Some(Lang::Fr));
    }

    #[test]
    fn only_this_user_or_root_may_own_the_file() {
        assert_eq!(file::untrusted(0o600, 1000, 1000), None);
        assert_eq!(file::untrusted(0o644, 0, 1000), None);
        assert_eq!(
            file::untrusted(0o600, 1001, 1000),
            Some(Problem::ForeignOwner(1001))
        );
        assert_eq!(
            file::untrusted(0o600, 1001, 0),
            Some(Problem::ForeignOwner(1001))
        );
        assert_eq!(
            file::untrusted(0o620, 1000, 1000),
            Some(Problem::WritableByOthers)
        );
    }

    /// A real file of another user, where this test may make one (as root).
    #[test]
    fn a_file_of_another_user_is_not_read() {
        let (_dir, path) = with_mode("lang = \"fr\"\n", 0o644);
        let stranger = crate::platform::current_uid() + 4242;
        if std::os::unix::fs::chown(&path, Some(stranger), None).is_err() {
            // Not root: `only_this_user_or_root_may_own_the_file` covers the rule.
            return;
        }
        let config = Config::load(Some(path));
        assert_eq!(config.settings, Settings::default());
        assert_eq!(config.warnings[0].problem, Problem::ForeignOwner(stranger));
    }

    #[test]
    fn a_file_over_a_mebibyte_is_not_read() {
        let mut text = "lang = \"fr\"\n".to_owned();
        text.push_str(&"# padding\n".repeat(file::MAX_SIZE as usize / 10));
        let (_dir, path) = with_mode(&text, 0o600);
        let config = Config::load(Some(path));
        assert_eq!(config.settings, Settings::default());
        assert_eq!(
            config.warnings[0].problem,
            Problem::TooLarge {
                max: file::MAX_SIZE
            }
        );
        let text = config.warnings[0].text(crate::locale::Locale::get(Lang::En));
        assert!(text.contains("1 MiB"), "{text}");
        // At the limit, it is read.
        let mut text = "lang = \"fr\"\n".to_owned();
        let comment = file::MAX_SIZE as usize - text.len() - 1;
        text.push_str(&"#".repeat(comment));
        text.push('\n');
        assert_eq!(text.len() as u64, file::MAX_SIZE);
        let (_dir, path) = with_mode(&text, 0o600);
        assert_eq!(Config::load(Some(path)).settings.lang, Some(Lang::Fr));
    }

    #[test]
    fn reveal_stays_within_the_hour() {
        let config = load("[timeouts]\nreveal = \"2h\"\n");
        assert_eq!(config.settings.reveal, None);
        assert_eq!(config.warnings.len(), 1);
        let config = load("[timeouts]\nreveal = 0\n");
        assert_eq!(config.settings.reveal, None);
    }
}
