//! `flowvault config`: the effective configuration and where each value
//! came from (default, the file, a variable, a flag), as text or `--json`.

use serde::Serialize;

use super::GlobalArgs;
use super::configured::Origin;
use super::error::CliError;
use super::output::{print_json, print_line};
use crate::config::theme::describe as describe_style;
use crate::config::timeouts::describe;
use crate::locale::width::pad;
use crate::locale::{Lang, Locale};
use crate::tui::settings::{UiSettings, configured_keys};
use crate::tui::theme::Theme;

/// Where a value came from, as `--json` writes it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    Default,
    File { path: String },
    Env { var: String },
    Flag { flag: String },
}

/// A value and where it came from.
#[derive(Debug, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// A duration as written (`10s`, `off`) and in seconds (`null`: off).
#[derive(Debug, Serialize)]
pub struct DurationValue {
    pub text: String,
    pub seconds: Option<u64>,
}

/// The config file looked at.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// `null` without a home folder to look in.
    pub path: Option<String>,
    pub found: bool,
    pub source: Source,
}

/// One timeout and where it came from.
#[derive(Debug, Serialize)]
pub struct TimeoutReport {
    pub value: DurationValue,
    pub source: Source,
    /// Always `true` now that the UI acts on every timeout; kept for the
    /// scripts that read it.
    pub used: bool,
}

/// `[timeouts]`.
#[derive(Debug, Serialize)]
pub struct TimeoutsReport {
    pub reveal: TimeoutReport,
    pub clipboard_clear: TimeoutReport,
    pub auto_lock: TimeoutReport,
}

/// One theme role.
#[derive(Debug, Serialize)]
pub struct RoleReport {
    pub role: &'static str,
    pub style: String,
    pub source: Source,
}

/// One rebinding the UI takes.
#[derive(Debug, Serialize)]
pub struct KeyReport {
    pub screen: String,
    pub action: String,
    pub keys: Vec<String>,
    pub source: Source,
}

/// One problem with the file.
#[derive(Debug, Serialize)]
pub struct WarningReport {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// In English, whatever the language.
    pub message: String,
}

/// The whole of `flowvault config --json`.
#[derive(Debug, Serialize)]
pub struct Effective {
    pub file: FileReport,
    pub vault: Sourced<Option<String>>,
    pub lang: Sourced<&'static str>,
    pub timeouts: TimeoutsReport,
    pub theme: Vec<RoleReport>,
    /// Only the keys the file rebinds; the others are the defaults.
    pub keys: Vec<KeyReport>,
    pub warnings: Vec<WarningReport>,
}

/// Prints the effective configuration.
pub fn config(global: &GlobalArgs, json: bool) -> Result<(), CliError> {
    let effective = effective(global);
    if json {
        print_json(&effective);
    } else {
        print_text(&effective, global.locale());
    }
    Ok(())
}

fn effective(global: &GlobalArgs) -> Effective {
    let file = &global.file;
    let settings = &file.settings;
    let path_text = file.path.as_deref().map(|p| p.display().to_string());
    let in_file = || Source::File {
        path: path_text.clone().unwrap_or_default(),
    };
    let from = |origin: Origin, var: &str, flag: &str| match origin {
        Origin::Default => Source::Default,
        Origin::File => in_file(),
        Origin::Env => Source::Env {
            var: var.to_owned(),
        },
        Origin::Flag => Source::Flag {
            flag: flag.to_owned(),
        },
    };
    let vault = global
        .vault
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| crate::vault::default_path().map(|p| p.display().to_string()));
    let lang = crate::locale::current().lang();
    let lang_source = match global.origins.lang {
        Origin::Default => locale_variable().map_or(Source::Default, |var| Source::Env { var }),
        origin => from(origin, "FLOWVAULT_LANG", "--lang"),
    };
    let timeouts = settings.timeouts();
    let duration = |value: Option<std::time::Duration>, set: bool| TimeoutReport {
        value: DurationValue {
            text: describe(value),
            seconds: value.map(|d| d.as_secs()),
        },
        source: if set { in_file() } else { Source::Default },
        used: true,
    };
    let ui = UiSettings::with_theme(file, Theme::colored());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = if no_color {
        Theme::plain()
            .roles()
            .into_iter()
            .map(|(role, style)| RoleReport {
                role,
                style: describe_style(style),
                source: Source::Env {
                    var: "NO_COLOR".to_owned(),
                },
            })
            .collect()
    } else {
        ui.theme
            .roles()
            .into_iter()
            .map(|(role, style)| RoleReport {
                role,
                style: describe_style(style),
                source: if settings.theme.iter().any(|s| s.role == role) {
                    in_file()
                } else {
                    Source::Default
                },
            })
            .collect()
    };
    let keys = configured_keys(file)
        .applied
        .iter()
        .map(|k| KeyReport {
            screen: k.screen.clone(),
            action: k.action.clone(),
            keys: k.names.clone(),
            source: in_file(),
        })
        .collect();
    let english = Locale::get(Lang::En);
    let warnings = ui
        .warnings
        .iter()
        .map(|w| WarningReport {
            path: w.path.display().to_string(),
            line: w.at.map(|a| a.line),
            column: w.at.map(|a| a.column),
            message: w.text(english),
        })
        .collect();
    Effective {
        file: FileReport {
            path: path_text.clone(),
            found: file.found,
            source: from(global.origins.config, "FLOWVAULT_CONFIG", "--config"),
        },
        vault: Sourced {
            value: vault,
            source: from(global.origins.vault, "FLOWVAULT_VAULT", "--vault"),
        },
        lang: Sourced {
            value: lang.code(),
            source: lang_source,
        },
        timeouts: TimeoutsReport {
            reveal: duration(Some(timeouts.reveal), settings.reveal.is_some()),
            clipboard_clear: duration(timeouts.clipboard_clear, settings.clipboard_clear.is_some()),
            auto_lock: duration(timeouts.auto_lock, settings.auto_lock.is_some()),
        },
        theme,
        keys,
        warnings,
    }
}

/// The first locale variable that decides the language, as `choose_lang` reads them.
fn locale_variable() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .find(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
        .map(str::to_owned)
}

fn source_text(source: &Source, locale: &Locale) -> String {
    match source {
        Source::Default => locale.t("config.source_default").to_owned(),
        Source::File { path } => locale.f("config.source_file", &[("path", path)]),
        Source::Env { var } => locale.f("config.source_env", &[("var", var)]),
        Source::Flag { flag } => locale.f("config.source_flag", &[("flag", flag)]),
    }
}

fn print_text(e: &Effective, locale: &Locale) {
    print_line(&match (&e.file.path, e.file.found) {
        (Some(path), true) => locale.f("config.file_found", &[("path", path)]),
        (Some(path), false) => locale.f("config.file_absent", &[("path", path)]),
        (None, _) => locale.t("config.no_file").to_owned(),
    });
    let mut rows: Vec<(String, String, String)> = vec![
        (
            "vault".to_owned(),
            e.vault.value.clone().unwrap_or_else(|| "-".to_owned()),
            source_text(&e.vault.source, locale),
        ),
        (
            "lang".to_owned(),
            e.lang.value.to_owned(),
            source_text(&e.lang.source, locale),
        ),
    ];
    for (name, t) in [
        ("reveal", &e.timeouts.reveal),
        ("clipboard_clear", &e.timeouts.clipboard_clear),
        ("auto_lock", &e.timeouts.auto_lock),
    ] {
        let source = source_text(&t.source, locale);
        rows.push((format!("timeouts.{name}"), t.value.text.clone(), source));
    }
    for r in &e.theme {
        let source = source_text(&r.source, locale);
        rows.push((format!("theme.{}", r.role), r.style.clone(), source));
    }
    for k in &e.keys {
        let keys = k.keys.join(", ");
        let source = source_text(&k.source, locale);
        rows.push((format!("keys.{}.{}", k.screen, k.action), keys, source));
    }
    let name_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0) + 2;
    let value_width = rows
        .iter()
        .map(|r| crate::locale::width::width(&r.1))
        .max()
        .unwrap_or(0)
        + 2;
    for (name, value, source) in &rows {
        print_line(&format!(
            "{}{}{}",
            pad(name, name_width),
            pad(value, value_width),
            source
        ));
    }
    if e.keys.is_empty() {
        print_line(locale.t("config.keys_default"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_tagged_by_kind_in_json() {
        let json = serde_json::to_value(Source::File {
            path: "/c.toml".into(),
        })
        .unwrap();
        assert_eq!(json, serde_json::json!({"kind": "file", "path": "/c.toml"}));
        let json = serde_json::to_value(Source::Default).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "default"}));
    }
}
