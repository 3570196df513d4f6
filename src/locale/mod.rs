//! Every string the user reads, looked up by key in `assets/locales/*.toml`.

mod files;
pub mod terminal_safe;
pub mod width;

pub use files::{parse, parse_all};

use std::sync::OnceLock;

// `EN`, `FR`, `JA`: each language's table, made by `build.rs` from the
// files of `Lang::sources`.
include!(concat!(env!("OUT_DIR"), "/locale_tables.rs"));

/// A language's strings, compiled in: every key and its text one after
/// another in `text`, sorted by key, and where each key and text ends.
#[derive(Debug)]
struct Table {
    text: &'static str,
    ends: &'static [[u32; 2]],
}

impl Table {
    /// Entry `i`: its key and its text.
    fn entry(&self, i: usize) -> (&'static str, &'static str) {
        let start = i.checked_sub(1).map_or(0, |before| self.ends[before][1]) as usize;
        let [key_end, text_end] = self.ends[i].map(|end| end as usize);
        (&self.text[start..key_end], &self.text[key_end..text_end])
    }

    fn entries(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        (0..self.ends.len()).map(|i| self.entry(i))
    }

    fn get(&self, key: &str) -> Option<&'static str> {
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let mid = usize::midpoint(low, high);
            let (k, text) = self.entry(mid);
            match k.cmp(key) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(text),
            }
        }
        None
    }
}

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
    /// Sorted by key.
    strings: &'static Table,
}

impl Locale {
    /// The locale of a language, compiled in.
    pub fn get(lang: Lang) -> &'static Locale {
        static TABLES: [Locale; 3] = [
            Locale {
                lang: Lang::En,
                strings: &EN,
            },
            Locale {
                lang: Lang::Fr,
                strings: &FR,
            },
            Locale {
                lang: Lang::Ja,
                strings: &JA,
            },
        ];
        let index = Lang::ALL
            .iter()
            .position(|l| *l == lang)
            .expect("every Lang is in ALL");
        &TABLES[index]
    }

    /// This locale's own string for `key`.
    fn own(&self, key: &str) -> Option<&'static str> {
        self.strings.get(key)
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
        self.lookup(key).unwrap_or(key)
    }

    /// The string for `key` in this locale or English, if either has it.
    pub fn lookup(&self, key: &str) -> Option<&str> {
        self.own(key).or_else(|| Locale::english().own(key))
    }

    /// The string for `key` with `{name}` placeholders filled in.
    /// In one pass over the template: a value that holds `{name}` itself
    /// (a flow named "{n}") is written as it is, never filled in again.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.t(key), args)
    }

    /// Every key of this locale, for the completeness test.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.strings.entries().map(|(key, _)| key)
    }
}

/// `template` with each `{name}` of `args` replaced by its value, in one
/// pass; an unknown `{…}` or a lone brace stays as it is.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| (*value, close))
        });
        if let Some((value, close)) = value {
            out.push_str(value);
            rest = &after[close + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
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
    fn a_value_holding_a_placeholder_is_written_as_it_is() {
        assert_eq!(
            fill(
                "flow {flow} has no action {n}",
                &[("flow", "{n}"), ("n", "5")]
            ),
            "flow {n} has no action 5"
        );
        assert_eq!(fill("{a}{b}", &[("a", "{b}"), ("b", "x")]), "{b}x");
        assert_eq!(fill("a { b } {c", &[("b", "no")]), "a { b } {c");
        assert_eq!(fill("{}{x}{", &[("x", "1")]), "{}1{");
        assert_eq!(fill("日本{x}語", &[("x", "の")]), "日本の語");
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
    fn the_compiled_tables_hold_exactly_the_locale_files() {
        for lang in Lang::ALL {
            let files =
                parse_all(&lang.sources()).unwrap_or_else(|e| panic!("{}: {e}", lang.code()));
            let compiled: Vec<(&str, &str)> = Locale::get(lang).strings.entries().collect();
            let parsed: Vec<(&str, &str)> = files
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(compiled, parsed, "{}", lang.code());
            for (key, text) in &parsed {
                assert_eq!(Locale::get(lang).own(key), Some(*text), "{key}");
            }
            assert_eq!(Locale::get(lang).own("no.such.key"), None);
            assert_eq!(Locale::get(lang).own(""), None);
            assert_eq!(Locale::get(lang).lang(), lang);
        }
    }
}
