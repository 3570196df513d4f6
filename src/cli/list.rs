//! `list [--format table|tsv|json] [--json] [--no-headers]`: the connections,
//! as a table for people or untranslated fields for scripts.

use std::io::IsTerminal;

use time::OffsetDateTime;

use crate::catalog::Catalog;
use crate::locale::Locale;
use crate::locale::terminal_safe::escape_line;
use crate::locale::width::{pad, truncate};
use crate::present::labels::{detail, status_word};
use crate::vault::status::{Assessment, assess};
use crate::vault::{StoredConnection, now};

use super::GlobalArgs;
use super::detail_code::detail_code;
use super::error::CliError;
use super::output::{message, print_json};
use super::shapes::list_entry;
use super::tsv;
use super::unlock::open_store;

/// How `list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns in the interface language, for people
    Table,
    /// Tab-separated untranslated fields, one connection a line, for scripts
    Tsv,
    /// The JSON array of the README's "JSON output"
    Json,
}

/// What `list` was asked for.
#[derive(Debug, Clone, Copy)]
pub struct ListArgs {
    /// `None`: a table on a terminal, TSV otherwise.
    pub format: Option<ListFormat>,
    /// Print the header line (tsv and table).
    pub headers: bool,
}

/// The TSV header: the JSON keys of the same values.
const TSV_HEADER: [&str; 5] = ["status", "name", "service", "detail_code", "id"];

/// Display cells of the table's status, name and service columns; the
/// detail column takes the rest of the line.
const TABLE_WIDTHS: [usize; 3] = [11, 28, 15];

/// `list`: every connection with its status.
pub fn list(global: &GlobalArgs, args: ListArgs) -> Result<(), CliError> {
    let mut vault = open_store(global)?;
    vault.read_on_two_threads();
    let locale = global.locale();
    let catalog = Catalog::embedded();
    let rows = vault.connections()?;
    let tokens = vault.token_records()?;
    let now = now();
    let assessed: Vec<_> = rows
        .iter()
        .map(|r| (r, assess(r, catalog, tokens.get(r.id()), now)))
        .collect();
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Tsv
    });
    if format == ListFormat::Json {
        let entries: Vec<_> = assessed
            .iter()
            .map(|(r, a)| list_entry(r, a, locale, now))
            .collect();
        print_json(&entries);
        return Ok(());
    }
    if rows.is_empty() {
        message(locale.t("cli.list_empty"));
    }
    let lines = match format {
        ListFormat::Tsv => tsv_lines(&assessed, args.headers),
        _ if rows.is_empty() => Vec::new(),
        _ => table_lines(locale, &assessed, args.headers, now),
    };
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// The TSV records, header first if asked for: untranslated fields, the
/// same in every language.
fn tsv_lines(assessed: &[(&StoredConnection, Assessment)], headers: bool) -> Vec<String> {
    let mut lines = Vec::with_capacity(assessed.len() + 1);
    if headers {
        lines.push(tsv::record(&TSV_HEADER));
    }
    for (row, a) in assessed {
        let service = match row {
            StoredConnection::Intact(c) => c.service.as_str(),
            StoredConnection::Damaged(_) => "",
        };
        lines.push(tsv::record(&[
            a.status.as_str(),
            row.name().unwrap_or(""),
            service,
            &detail_code(a),
            row.id().as_str(),
        ]));
    }
    lines
}

/// The table in the interface language: a header line (unless `headers` is
/// false), then one line a connection.
fn table_lines(
    locale: &Locale,
    assessed: &[(&StoredConnection, Assessment)],
    headers: bool,
    now: OffsetDateTime,
) -> Vec<String> {
    let mut lines = Vec::with_capacity(assessed.len() + 1);
    if headers {
        let columns = [
            locale.t("list.col.status"),
            locale.t("list.col.name"),
            locale.t("list.col.service"),
            locale.t("list.col.detail"),
        ]
        .map(str::to_uppercase);
        lines.push(table_row(&columns.each_ref().map(String::as_str)));
    }
    for (row, a) in assessed {
        let connection = match row {
            StoredConnection::Intact(c) => Some(c),
            StoredConnection::Damaged(_) => None,
        };
        let name = row.name().map_or_else(
            || locale.f("list.unreadable", &[("id", row.id().as_str())]),
            str::to_owned,
        );
        lines.push(table_row(&[
            status_word(locale, a.status),
            &name,
            connection.map_or("?", |c| c.service.as_str()),
            &detail(locale, connection, a, now),
        ]));
    }
    lines
}

/// One line of the table. Each cell is escaped, then cut with `…` to its
/// column and padded, both in display cells (CJK takes two), so a long or
/// escaped name never pushes the next column out of line.
fn table_row(cells: &[&str; 4]) -> String {
    let cell = |s: &str, w: usize| pad(&truncate(&escape_line(s), w), w);
    format!(
        "{} {} {} {}",
        cell(cells[0], TABLE_WIDTHS[0]),
        cell(cells[1], TABLE_WIDTHS[1]),
        cell(cells[2], TABLE_WIDTHS[2]),
        escape_line(cells[3])
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::width::width;

    #[test]
    fn long_names_are_cut_to_their_column() {
        let japanese = "本番環境の顧客管理システム用の接続です"; // 19 wide characters: 38 cells
        let latin = "a-very-long-production-connection-name";
        for name in [japanese, latin, "short"] {
            let row = table_row(&["ready", name, "auth0", "detail"]);
            let (before_detail, _) = row.split_at(row.find("detail").unwrap());
            assert_eq!(width(before_detail), 11 + 1 + 28 + 1 + 15 + 1, "{row}");
        }
        let row = table_row(&["ready", latin, "auth0", "x"]);
        assert!(row.contains("a-very-long-production-conn… auth0"), "{row}");
        // An odd width: the last wide character that fits leaves one cell of padding.
        let row = table_row(&["ready", japanese, "auth0", "x"]);
        assert!(row.contains("本番環境の顧客管理システム…  auth0"), "{row}");
    }
}
