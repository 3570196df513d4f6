//! Reading the config file: where it is, and its sections one by one, so a
//! mistake costs only what it touches.
//!
//! A file that is not TOML is ignored whole. A section with a value of the
//! wrong type or an unknown key (`[timeouts]`, `[theme]`, `[keys]`, or a
//! top-level setting) keeps its defaults; the other sections apply. A
//! single unknown colour, duration, key or action name is ignored alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::keys::{KeyNameError, KeyNames, Rebinding};
use super::theme::{ROLES, parse_style};
use super::timeouts::{MAX_REVEAL, parse_duration};
use super::warning::{ConfigWarning, Position, Problem};
use super::{Settings, StyleSetting};
use crate::locale::Lang;
use crate::vault::VaultLocation;

/// The config file when neither `--config` nor `FLOWVAULT_CONFIG` names
/// one: `$XDG_CONFIG_HOME/flowvault/config.toml`, else
/// `~/.config/flowvault/config.toml` (as gh does, on every system).
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".config")))?;
    Some(base.join("flowvault").join("config.toml"))
}

/// Reads the file at `path`. A missing file is no problem unless it was
/// asked for by name (`named`).
pub fn read(path: &Path, named: bool) -> (Option<Settings>, Vec<ConfigWarning>) {
    let warn = |at, problem| ConfigWarning {
        path: path.to_owned(),
        at,
        problem,
    };
    let text = match read_checked(path) {
        Ok(text) => text,
        Err(Refused::Missing) => {
            let warnings = if named {
                vec![warn(None, Problem::Missing)]
            } else {
                Vec::new()
            };
            return (None, warnings);
        }
        Err(Refused::Problem(problem)) => return (None, vec![warn(None, problem)]),
    };
    let mut reader = Reader {
        path,
        text: &text,
        settings: Settings::default(),
        warnings: Vec::new(),
    };
    reader.document();
    // The parser's tables are not in file order; the warnings are.
    reader
        .warnings
        .sort_by_key(|w| w.at.map(|a| (a.line, a.column)));
    (Some(reader.settings), reader.warnings)
}

/// Larger than this, the file is not read: a config file is a few lines.
pub const MAX_SIZE: u64 = 1024 * 1024;

/// Why the file's text was not read.
enum Refused {
    Missing,
    Problem(Problem),
}

/// The file's text, when it is small and only its owner (this user or
/// root) can change it: it can send the OpenBao login to the server its
/// `vault` names, so it is trusted as ssh trusts `~/.ssh/config`.
fn read_checked(path: &Path) -> Result<String, Refused> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;

    let unreadable = |e: std::io::Error| Refused::Problem(Problem::Unreadable(e.to_string()));
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Refused::Missing,
        _ => unreadable(e),
    })?;
    // The opened file's own metadata: what is checked is what is read.
    let meta = file.metadata().map_err(unreadable)?;
    if let Some(problem) = untrusted(meta.mode(), meta.uid(), crate::platform::current_uid()) {
        return Err(Refused::Problem(problem));
    }
    let too_large = || Refused::Problem(Problem::TooLarge { max: MAX_SIZE });
    if meta.len() > MAX_SIZE {
        return Err(too_large());
    }
    // The file may grow between the check and the read.
    let mut bytes = Vec::new();
    file.take(MAX_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        unreadable(e)
    })
}

/// Why a file with this `mode` and `owner` is not to be trusted by user
/// `me`, if it is not.
pub(super) fn untrusted(mode: u32, owner: u32, me: u32) -> Option<Problem> {
    if mode & 0o022 != 0 {
        return Some(Problem::WritableByOthers);
    }
    if owner != me && owner != 0 {
        return Some(Problem::ForeignOwner(owner));
    }
    None
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    settings: Settings,
    warnings: Vec<ConfigWarning>,
}

impl Reader<'_> {
    fn at(&self, offset: usize) -> Position {
        Position::of(self.text, offset)
    }

    fn warn(&mut self, offset: usize, problem: Problem) {
        let at = Some(self.at(offset));
        self.warnings.push(ConfigWarning {
            path: self.path.to_owned(),
            at,
            problem,
        });
    }

    /// A toml error on one line ("invalid table header; expected `.`, `]`"),
    /// at its span.
    fn toml_error(
        &mut self,
        error: &toml::de::Error,
        fallback: usize,
        problem: fn(String) -> Problem,
    ) {
        let message = error
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let offset = error.span().map_or(fallback, |s| s.start);
        self.warn(offset, problem(message));
    }

    fn document(&mut self) {
        let table = match DeTable::parse(self.text) {
            Ok(table) => table.into_inner(),
            Err(e) => {
                self.toml_error(&e, 0, Problem::NotToml);
                return;
            }
        };
        for (key, value) in table {
            match key.get_ref().as_ref() {
                "vault" => self.vault(value),
                "lang" => self.lang(value),
                "timeouts" => self.section(value, Reader::timeouts),
                "theme" => self.section(value, Reader::theme),
                "keys" => self.section(value, Reader::keys),
                other => {
                    let other = other.to_owned();
                    self.warn(key.span().start, Problem::UnknownSetting(other));
                }
            }
        }
    }

    /// Deserializes a section as `T`; on a type error or unknown key, says
    /// where and leaves the section's defaults.
    fn section<T: for<'de> Deserialize<'de>>(
        &mut self,
        value: Spanned<DeValue<'_>>,
        apply: fn(&mut Self, T),
    ) {
        let start = value.span().start;
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(section) => apply(self, section),
            Err(e) => self.toml_error(&e, start, Problem::Invalid),
        }
    }

    fn string(&mut self, value: Spanned<DeValue<'_>>) -> Option<Spanned<String>> {
        let start = value.span().start;
        match Spanned::<String>::deserialize(ValueDeserializer::from(value)) {
            Ok(text) => Some(text),
            Err(e) => {
                self.toml_error(&e, start, Problem::Invalid);
                None
            }
        }
    }

    fn vault(&mut self, value: Spanned<DeValue<'_>>) {
        let Some(text) = self.string(value) else {
            return;
        };
        match VaultLocation::parse(&expand_home(text.get_ref())) {
            Ok(VaultLocation::File(path)) => {
                // Relative to the config file's folder, as kubeconfig paths are.
                let dir = self.path.parent().unwrap_or(Path::new(""));
                self.settings.vault = Some(VaultLocation::File(dir.join(path)));
            }
            Ok(location) => self.settings.vault = Some(location),
            Err(e) => self.warn(text.span().start, Problem::BadVault(e.to_string())),
        }
    }

    fn lang(&mut self, value: Spanned<DeValue<'_>>) {
        let Some(text) = self.string(value) else {
            return;
        };
        if let Some(lang) = Lang::parse(text.get_ref()) {
            self.settings.lang = Some(lang);
        } else {
            let lang = text.get_ref().clone();
            self.warn(text.span().start, Problem::UnknownLang(lang));
        }
    }

    fn timeouts(&mut self, section: TimeoutsSection) {
        let TimeoutsSection {
            reveal,
            clipboard_clear,
            auto_lock,
        } = section;
        if let Some(value) = reveal {
            self.settings.reveal = self
                .duration("reveal", &value)
                .and_then(|d| self.reveal_in_range(d, &value));
        }
        if let Some(value) = clipboard_clear {
            self.settings.clipboard_clear = self.duration("clipboard_clear", &value);
        }
        if let Some(value) = auto_lock {
            self.settings.auto_lock = self.duration("auto_lock", &value);
        }
    }

    fn duration(
        &mut self,
        setting: &str,
        value: &Spanned<DurationValue>,
    ) -> Option<Option<Duration>> {
        let text = value.get_ref().text();
        let parsed = parse_duration(&text);
        if parsed.is_none() {
            let setting = setting.to_owned();
            self.warn(value.span().start, Problem::BadDuration { setting, text });
        }
        parsed
    }

    /// Secrets always hide again, within the hour.
    fn reveal_in_range(
        &mut self,
        reveal: Option<Duration>,
        value: &Spanned<DurationValue>,
    ) -> Option<Duration> {
        match reveal {
            Some(d) if d <= MAX_REVEAL => Some(d),
            _ => {
                let text = value.get_ref().text();
                let setting = "reveal".to_owned();
                self.warn(value.span().start, Problem::BadDuration { setting, text });
                None
            }
        }
    }

    fn theme(&mut self, section: BTreeMap<Spanned<String>, Spanned<String>>) {
        for (role, text) in section {
            if !ROLES.contains(&role.get_ref().as_str()) {
                let name = role.get_ref().clone();
                self.warn(role.span().start, Problem::UnknownRole(name));
                continue;
            }
            if let Some(style) = parse_style(text.get_ref()) {
                self.settings.theme.push(StyleSetting {
                    role: role.get_ref().clone(),
                    style,
                });
            } else {
                let problem = Problem::BadStyle {
                    role: role.get_ref().clone(),
                    text: text.get_ref().clone(),
                };
                self.warn(text.span().start, problem);
            }
        }
    }

    fn keys(&mut self, section: KeysSection) {
        for (screen, actions) in section {
            let screen_at = self.at(screen.span().start);
            for (action, keys) in actions.into_inner() {
                let names = keys.get_ref().names();
                let mut chords = Vec::new();
                for name in &names {
                    match super::keys::parse_key(name) {
                        Ok(chord) => chords.push(chord),
                        Err(e) => {
                            let name = (*name).to_owned();
                            let problem = match e {
                                KeyNameError::NotAKey => Problem::BadKey(name),
                                KeyNameError::Unsendable => Problem::UnsendableKey(name),
                            };
                            self.warn(keys.span().start, problem);
                        }
                    }
                }
                if chords.len() != names.len() || chords.is_empty() {
                    continue;
                }
                let at = self.at(keys.span().start);
                self.settings.keys.push(Rebinding {
                    screen: screen.get_ref().clone(),
                    action: action.get_ref().clone(),
                    names: names.iter().map(|n| (*n).to_owned()).collect(),
                    chords,
                    screen_at,
                    at,
                });
            }
        }
        // The parser's tables are sorted by name; an earlier line wins a key.
        self.settings.keys.sort_by_key(|k| (k.at.line, k.at.column));
    }
}

type KeysSection = BTreeMap<Spanned<String>, Spanned<BTreeMap<Spanned<String>, Spanned<KeyNames>>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeoutsSection {
    reveal: Option<Spanned<DurationValue>>,
    clipboard_clear: Option<Spanned<DurationValue>>,
    auto_lock: Option<Spanned<DurationValue>>,
}

/// Seconds, or a duration in words.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "seconds or a duration such as \"90s\", \"5m\", \"off\""
)]
enum DurationValue {
    Seconds(u64),
    Text(String),
}

impl DurationValue {
    /// The value as written, for parsing and for messages.
    fn text(&self) -> String {
        match self {
            DurationValue::Seconds(n) => n.to_string(),
            DurationValue::Text(text) => text.clone(),
        }
    }
}

/// `~/…` is the home folder, as a shell would have it.
fn expand_home(text: &str) -> String {
    match (text.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest).display().to_string(),
        _ => text.to_owned(),
    }
}
