//! What was wrong with the config file, and where: said in the user's language.

use std::fmt;
use std::path::PathBuf;

use crate::locale::Locale;

/// A place in the config file, both counted from 1 as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The line and column of byte `offset` in `text`; the column counts
    /// characters, not bytes, as editors do.
    pub fn of(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        // Inside a multi-byte character: its start.
        let offset = (0..=offset)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

/// One problem, in words the locale gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is not TOML: nothing of it is used.
    NotToml(String),
    /// A value of the wrong type, or an unknown key, inside a section: the
    /// section is left at its defaults.
    Invalid(String),
    /// A setting flowvault does not know, at the top level.
    UnknownSetting(String),
    /// `--config` or `FLOWVAULT_CONFIG` names a file that is not there.
    Missing,
    /// The file is there but cannot be read.
    Unreadable(String),
    /// The file is larger than `max` bytes: not read.
    TooLarge {
        max: u64,
    },
    /// Its group or others may write the file: not read.
    WritableByOthers,
    /// The file belongs to this user id, neither the current user nor
    /// root: not read.
    ForeignOwner(u32),
    BadVault(String),
    UnknownLang(String),
    BadDuration {
        setting: String,
        text: String,
    },
    UnknownRole(String),
    BadStyle {
        role: String,
        text: String,
    },
    UnknownScreen(String),
    UnknownAction {
        screen: String,
        action: String,
    },
    /// Ctrl-c quits everywhere, whatever the file says.
    FixedAction(String),
    BadKey(String),
    /// A key no terminal sends as written (`ctrl-shift-n`, `shift-1`).
    UnsendableKey(String),
    /// The key already does something else on that screen.
    KeyTaken {
        screen: String,
        action: String,
        key: String,
        other: String,
    },
    /// A key the text field takes (a character, Backspace, ←, Ctrl-a…) on
    /// a screen where keys type text.
    TypingKey {
        screen: String,
        key: String,
    },
}

/// A problem in the config file; the setting it concerns keeps its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub path: PathBuf,
    /// Where in the file, when the problem has a place.
    pub at: Option<Position>,
    pub problem: Problem,
}

impl ConfigWarning {
    /// The warning in `locale`'s words: the file, the line and column, what is wrong.
    pub fn text(&self, locale: &Locale) -> String {
        let path = self.path.display().to_string();
        let problem = self.problem.text(locale);
        match self.at {
            Some(at) => locale.f(
                "config.warning_at",
                &[
                    ("path", &path),
                    ("line", &at.line.to_string()),
                    ("column", &at.column.to_string()),
                    ("problem", &problem),
                ],
            ),
            None => locale.f("config.warning", &[("path", &path), ("problem", &problem)]),
        }
    }
}

impl ConfigWarning {
    /// The warning for the status line, shortest first: the file's name (not
    /// its folder), the line, what is wrong. `flowvault config` gives the rest.
    pub fn short_text(&self, locale: &Locale) -> String {
        let file = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let problem = self.problem.text(locale);
        match self.at {
            Some(at) => locale.f(
                "config.status_at",
                &[
                    ("file", &file),
                    ("line", &at.line.to_string()),
                    ("problem", &problem),
                ],
            ),
            None => locale.f("config.status", &[("file", &file), ("problem", &problem)]),
        }
    }
}

impl Problem {
    fn text(&self, locale: &Locale) -> String {
        match self {
            Problem::NotToml(error) => locale.f("config.not_toml", &[("error", error)]),
            Problem::Invalid(error) => locale.f("config.invalid", &[("error", error)]),
            Problem::UnknownSetting(key) => locale.f("config.unknown_setting", &[("key", key)]),
            Problem::Missing => locale.t("config.missing").to_owned(),
            Problem::Unreadable(error) => locale.f("config.unreadable", &[("error", error)]),
            Problem::TooLarge { max } => {
                let max = format!("{} MiB", max / (1024 * 1024));
                locale.f("config.too_large", &[("max", &max)])
            }
            Problem::WritableByOthers => locale.t("config.writable_by_others").to_owned(),
            Problem::ForeignOwner(uid) => {
                locale.f("config.foreign_owner", &[("uid", &uid.to_string())])
            }
            Problem::BadVault(error) => locale.f("config.bad_vault", &[("error", error)]),
            Problem::UnknownLang(lang) => locale.f("config.unknown_lang", &[("lang", lang)]),
            Problem::BadDuration { setting, text } => locale.f(
                "config.bad_duration",
                &[("setting", setting), ("text", text)],
            ),
            Problem::UnknownRole(role) => locale.f("config.unknown_role", &[("role", role)]),
            Problem::BadStyle { role, text } => {
                locale.f("config.bad_style", &[("role", role), ("text", text)])
            }
            Problem::UnknownScreen(screen) => {
                locale.f("config.unknown_screen", &[("screen", screen)])
            }
            Problem::UnknownAction { screen, action } => locale.f(
                "config.unknown_action",
                &[("screen", screen), ("action", action)],
            ),
            Problem::FixedAction(action) => locale.f("config.fixed_action", &[("action", action)]),
            Problem::BadKey(key) => locale.f("config.bad_key", &[("key", key)]),
            Problem::UnsendableKey(key) => locale.f("config.unsendable_key", &[("key", key)]),
            Problem::KeyTaken {
                screen,
                action,
                key,
                other,
            } => locale.f(
                "config.key_taken",
                &[
                    ("screen", screen),
                    ("action", action),
                    ("key", key),
                    ("other", other),
                ],
            ),
            Problem::TypingKey { screen, key } => {
                locale.f("config.typing_key", &[("screen", screen), ("key", key)])
            }
        }
    }
}

impl fmt::Display for ConfigWarning {
    /// English, for logs: the UI and the CLI use [`ConfigWarning::text`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Locale::get(crate::locale::Lang::En)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\n[théme]\nmuted = 3\n";
        assert_eq!(Position::of(text, 0), Position { line: 1, column: 1 });
        // `]` after "[théme": six characters, seven bytes.
        let bracket = text.find(']').unwrap();
        assert_eq!(Position::of(text, bracket), Position { line: 2, column: 7 });
        let three = text.rfind('3').unwrap();
        assert_eq!(Position::of(text, three), Position { line: 3, column: 9 });
        assert_eq!(Position::of(text, 10_000).line, 4);
    }
}
