//! Every string the user reads, looked up by key in `assets/locales/*.toml`.

pub mod terminal_safe;
pub mod width;

use std::collections::HashMap;
use std::sync::OnceLock;

/// The languages flowvault speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Ja,
}

impl Lang {
    /// All languages, English first (the fallback).
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Ja];

    /// The language code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Ja => "ja",
        }
    }

    /// Parses a code or a locale name ("fr", "fr_CA.UTF-8", "ja-JP").
    pub fn parse(s: &str) -> Option<Lang> {
        let code = s.split(['_', '-', '.', '@']).next()?.to_ascii_lowercase();
        match code.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The locale files of this language: the interface's strings, and the
    /// catalog's (service, method and field names).
    pub fn sources(self) -> [&'static str; 2] {
        match self {
            Lang::En => [
                include_str!("../../assets/locales/en.toml"),
                include_str!("../../assets/locales/catalog.en.toml"),
            ],
            Lang::Fr => [
                include_str!("../../assets/locales/fr.toml"),
                include_str!("../../assets/locales/catalog.fr.toml"),
            ],
            Lang::Ja => [
                include_str!("../../assets/locales/ja.toml"),
                include_str!("../../assets/locales/catalog.ja.toml"),
            ],
        }
    }
}

/// The interface language: `explicit` (`--lang` or `FLOWVAULT_LANG`), then
/// `LC_ALL`, `LC_MESSAGES`, `LANG`, else English. An unknown explicit choice
/// falls back to English and is returned, for a notice.
pub fn choose_lang(explicit: Option<&str>) -> (Lang, Option<String>) {
    if let Some(code) = explicit.filter(|c| !c.trim().is_empty()) {
        return match Lang::parse(code) {
            Some(lang) => (lang, None),
            None => (Lang::En, Some(code.to_owned())),
        };
    }
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Ok(value) = std::env::var(var) {
            if value.is_empty() {
                continue;
            }
            // The first non-empty variable decides, as in POSIX; "C" means English.
            return (Lang::parse(&value).unwrap_or(Lang::En), None);
        }
    }
    (Lang::En, None)
}

static CURRENT: OnceLock<Lang> = OnceLock::new();

/// Sets the process's interface language, once, at start.
pub fn set_current(lang: Lang) {
    let _ = CURRENT.set(lang);
}

/// The strings of the process's interface language (English until set).
pub fn current() -> &'static Locale {
    Locale::get(CURRENT.get().copied().unwrap_or(Lang::En))
}

/// A table of translated strings; keys missing here fall back to English.
#[derive(Debug)]
pub struct Locale {
    lang: Lang,
    strings: HashMap<String, String>,
}

impl Locale {
    /// The locale of a language, parsed once.
    pub fn get(lang: Lang) -> &'static Locale {
        static TABLES: [OnceLock<Locale>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let index = Lang::ALL
            .iter()
            .position(|l| *l == lang)
            .expect("every Lang is in ALL");
        TABLES[index].get_or_init(|| Locale {
            lang,
            strings: parse_all(&lang.sources()).expect("locale files are checked by tests"),
        })
    }

    /// English, the fallback.
    pub fn english() -> &'static Locale {
        Locale::get(Lang::En)
    }

    /// This locale's language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The string for `key`, else the English one, else the key itself (so a
    /// missing string shows, rather than crashing).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings
            .get(key)
            .or_else(|| Locale::english().strings.get(key))
            .map_or(key, String::as_str)
    }

    /// The string for `key` in this locale or English, if either has it.
    pub fn lookup(&self, key: &str) -> Option<&str> {
        self.strings
            .get(key)
            .or_else(|| Locale::english().strings.get(key))
            .map(String::as_str)
    }

    /// The string for `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.t(key).to_owned();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// Every key of this locale, for the completeness test.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.strings.keys().map(String::as_str)
    }
}

/// Parses several locale files into one table; a key in two files is an error.
pub fn parse_all(texts: &[&str]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for text in texts {
        for (key, value) in parse(text)? {
            if out.insert(key.clone(), value).is_some() {
                return Err(format!("{key} is defined twice"));
            }
        }
    }
    Ok(out)
}

/// Parses a locale file: nested TOML tables of strings, flattened to dotted keys.
pub fn parse(text: &str) -> Result<HashMap<String, String>, String> {
    let value: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    flatten("", &value, &mut out)?;
    Ok(out)
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => {
                return Err(format!(
                    "{key}: only strings and tables belong in a locale file"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_names_parse_to_languages() {
        assert_eq!(Lang::parse("ja_JP.UTF-8"), Some(Lang::Ja));
        assert_eq!(Lang::parse("fr_CA.UTF-8"), Some(Lang::Fr));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("de_DE"), None);
    }

    #[test]
    fn placeholders_are_filled() {
        let en = Locale::english();
        assert_eq!(
            en.f("wizard.step", &[("n", "2"), ("total", "3")]),
            "Step 2 of 3"
        );
    }

    #[test]
    fn every_locale_file_parses() {
        for lang in Lang::ALL {
            parse_all(&lang.sources()).unwrap_or_else(|e| panic!("{}: {e}", lang.code()));
        }
    }
}
