//! How the CLI prints: data on stdout, messages on stderr (silenced by
//! `--quiet`), every line through the terminal-safe escapes, and the text
//! view of a connection.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalog::Catalog;
use crate::locale::Locale;
use crate::locale::terminal_safe::{escape_json, escape_line, escape_text};
use crate::locale::width::{pad, width};
use crate::present::labels::{detail, field_label, service_name, status_word};
use crate::vault::status::assess_connection;
use crate::vault::{Connection, TokenRecord};

use super::fields::effective_value;

/// What secret values look like when not revealed.
pub const MASK: &str = "••••••";

/// Prints one line on stdout, every control, bidi and invisible character escaped.
pub fn print_line(text: &str) {
    println!("{}", escape_line(text));
}

/// Prints text of several lines on stdout (a response body): line breaks and
/// tabs kept, every other unsafe character escaped.
pub fn print_text(text: &str) {
    println!("{}", escape_text(text));
}

/// Prints one line on stderr, every control, bidi and invisible character escaped.
pub fn eprint_line(text: &str) {
    eprintln!("{}", escape_line(text));
}

/// Whether `--quiet` silenced messages and hints; set once per command.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences [`message`] for the rest of the process (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Prints a message or hint for the person at the keyboard ("Added …",
/// "No connections yet …") on stderr, escaped, unless `--quiet`: stdout
/// carries only data a script reads.
pub fn message(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        eprint_line(text);
    }
}

/// Prints a value as pretty JSON; characters a terminal would obey or that
/// mislead a reader are written as `\uXXXX`, which decodes to the same value.
pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        escape_json(serde_json::to_string_pretty(value).expect("JSON of plain values"))
    );
}

/// How values asked for exactly (revealed secrets, tokens) reach stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exactness {
    /// The value's own characters, for a pipe or a file, or with `--raw`.
    Exact,
    /// Unsafe characters escaped, for a terminal.
    Escaped,
}

impl Exactness {
    /// Exact when stdout is not a terminal or `raw` (`--raw`) asks for it.
    pub fn for_stdout(raw: bool) -> Exactness {
        if raw || !std::io::stdout().is_terminal() {
            Exactness::Exact
        } else {
            Exactness::Escaped
        }
    }

    /// `value` as it is printed.
    pub fn apply(self, value: &str) -> Cow<'_, str> {
        match self {
            Exactness::Exact => Cow::Borrowed(value),
            Exactness::Escaped => escape_line(value),
        }
    }
}

/// Text lines of `show`: one field a line, every value escaped, secrets
/// masked unless `reveal` says how to print them.
pub fn show_text(
    c: &Connection,
    token: Option<&TokenRecord>,
    reveal: Option<Exactness>,
    locale: &Locale,
    now: OffsetDateTime,
) -> Vec<String> {
    let catalog = Catalog::embedded();
    let assessment = assess_connection(c, catalog, token, now);
    let service = catalog.service(&c.service);
    // The label column fits the widest label, measured in display cells.
    let labels_width = [
        "show.name",
        "show.service",
        "show.status",
        "show.id",
        "show.method",
        "show.scope",
        "show.updated",
    ]
    .iter()
    .map(|k| width(locale.t(k)))
    .chain(
        service
            .and_then(|s| s.method(&c.method).map(|m| (s, m)))
            .into_iter()
            .flat_map(|(s, m)| {
                m.fields
                    .iter()
                    .map(move |f| width(field_label(locale, &s.id, f)))
            }),
    )
    .max()
    .unwrap_or(16)
    .max(16);
    let exact_row = |label: &str, value: &str| format!("{} {value}", pad(label, labels_width));
    let row = |label: &str, value: &str| exact_row(label, &escape_line(value));
    let mut lines = vec![
        row(locale.t("show.name"), &c.name),
        row(
            locale.t("show.service"),
            service.map_or(c.service.as_str(), |s| service_name(locale, s)),
        ),
        row(
            locale.t("show.status"),
            &format!(
                "{} ({})",
                status_word(locale, assessment.status),
                detail(locale, Some(c), &assessment, now)
            ),
        ),
        row(locale.t("show.id"), c.id.as_str()),
    ];
    if let Some(method) = service.and_then(|s| s.method(&c.method)) {
        if service.is_some_and(|s| s.methods.len() > 1) {
            lines.push(row(
                locale.t("show.method"),
                crate::present::labels::method_name(locale, &c.service, method),
            ));
        }
        for f in &method.fields {
            let label = field_label(locale, &c.service, f);
            let value = match (c.fields.get(&f.key), f.secret, reveal) {
                (Some(_), true, None) => MASK.to_owned(),
                (Some(v), true, Some(exactness)) => {
                    lines.push(exact_row(label, &exactness.apply(v)));
                    continue;
                }
                (Some(v), false, _) => v.to_owned(),
                (None, ..) => match effective_value(method, &c.fields, &f.key) {
                    Some(default) => locale.f("form.default", &[("value", &default)]),
                    None if f.required => locale.t("details.missing").to_owned(),
                    None => locale.t("details.not_set").to_owned(),
                },
            };
            lines.push(row(label, &value));
        }
    }
    if let Some(scope) = token
        .and_then(|t| t.token.as_ref())
        .and_then(|t| t.scope.as_deref())
    {
        lines.push(row(locale.t("show.scope"), scope));
    }
    lines.push(row(locale.t("show.updated"), &rfc3339(c.updated_at)));
    lines
}

/// A UTC time as RFC 3339, the form of every time the CLI prints.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("UTC times format as RFC 3339")
}
