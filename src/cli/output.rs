//! How the CLI prints: every line through the terminal-safe escapes, the
//! JSON shapes of CLI.md and the text views of connections.

use std::borrow::Cow;
use std::io::IsTerminal;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalog::Catalog;
use crate::locale::Locale;
use crate::locale::terminal_safe::{escape_json, escape_line, escape_text};
use crate::locale::width::{pad, width};
use crate::present::labels::{detail, field_label, service_name, status_word};
use crate::vault::status::{Assessment, assess_connection};
use crate::vault::{Connection, StoredConnection, TokenRecord};

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

/// One element of `list --json`; keys are the same in every language and
/// printed in alphabetical order, as every JSON object of the CLI.
#[derive(Debug, Serialize)]
pub struct ListEntry<'a> {
    detail: String,
    expires_at: Option<String>,
    id: &'a str,
    missing: &'a [String],
    name: Option<&'a str>,
    service: Option<&'a str>,
    status: &'static str,
    updated_at: Option<String>,
}

/// The `list --json` element of one connection.
pub fn list_entry<'a>(
    stored: &'a StoredConnection,
    assessment: &'a Assessment,
    locale: &Locale,
    now: OffsetDateTime,
) -> ListEntry<'a> {
    let connection = match stored {
        StoredConnection::Intact(c) => Some(c),
        StoredConnection::Damaged(_) => None,
    };
    ListEntry {
        detail: detail(locale, connection, assessment, now),
        expires_at: assessment.expires_at.map(rfc3339),
        id: stored.id().as_str(),
        missing: &assessment.missing,
        name: stored.name(),
        service: connection.map(|c| c.service.as_str()),
        status: assessment.status.as_str(),
        updated_at: connection.map(|c| rfc3339(c.updated_at)),
    }
}

/// `show --json` of one connection; secrets masked unless `reveal`.
pub fn show_json(
    c: &Connection,
    token: Option<&TokenRecord>,
    reveal: bool,
    locale: &Locale,
    now: OffsetDateTime,
) -> Value {
    let catalog = Catalog::embedded();
    let assessment = assess_connection(c, catalog, token, now);
    let method = catalog
        .service(&c.service)
        .and_then(|s| s.method(&c.method));
    let mut fields = serde_json::Map::new();
    for f in method.map_or(&[][..], |m| &m.fields[..]) {
        let value = match c.fields.get(&f.key) {
            Some(_) if f.secret && !reveal => Value::from(MASK),
            Some(v) => Value::from(v),
            None => Value::Null,
        };
        fields.insert(f.key.clone(), value);
    }
    let stored = StoredConnection::Intact(c.clone());
    let mut entry = serde_json::to_value(list_entry(&stored, &assessment, locale, now))
        .expect("JSON of plain values");
    entry["method"] = Value::from(c.method.as_str());
    entry["created_at"] = Value::from(rfc3339(c.created_at));
    entry["scope"] = token
        .and_then(|t| t.token.as_ref())
        .and_then(|t| t.scope.clone())
        .into();
    entry["fields"] = Value::Object(fields);
    entry
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

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("UTC times format as RFC 3339")
}
