//! `list`, `add`, `show`, `edit`, `rename`, `rm`.

use crate::catalog::{Catalog, Method, Service};
use crate::locale::terminal_safe::escape_line;
use crate::locale::width::width;
use crate::present::labels::{detail, service_name, status_word};
use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::status::{assess, assess_connection};
use crate::vault::{Connection, Credentials, StoredConnection, VaultError, now, validate_name};

use super::GlobalArgs;
use super::error::CliError;
use super::fields::{FieldInput, FieldSet, require_complete};
use super::output::{Exactness, list_entry, print_json, print_line, show_json, show_text};
use super::unlock::open_store;

/// Arguments of `add`.
pub struct AddArgs {
    pub service: String,
    pub name: String,
    pub method: Option<String>,
    pub set: Vec<String>,
    pub secrets_stdin: bool,
    pub empty: bool,
}

/// `list [--json]`.
pub fn list(global: &GlobalArgs, json: bool) -> Result<(), CliError> {
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
    if json {
        let entries: Vec<_> = assessed
            .iter()
            .map(|(r, a)| list_entry(r, a, locale, now))
            .collect();
        print_json(&entries);
        return Ok(());
    }
    if rows.is_empty() {
        print_line(locale.t("cli.list_empty"));
        return Ok(());
    }
    let columns = [
        locale.t("list.col.status"),
        locale.t("list.col.name"),
        locale.t("list.col.service"),
        locale.t("list.col.detail"),
    ];
    print_line(&text_row(
        &columns
            .map(str::to_uppercase)
            .each_ref()
            .map(String::as_str),
    ));
    for (row, a) in &assessed {
        let connection = match row {
            StoredConnection::Intact(c) => Some(c),
            StoredConnection::Damaged(_) => None,
        };
        let service = connection.map_or("?", |c| c.service.as_str());
        let name = row.name().map_or_else(
            || locale.f("list.unreadable", &[("id", row.id().as_str())]),
            str::to_owned,
        );
        let status = status_word(locale, a.status);
        print_line(&text_row(&[
            status,
            &name,
            service,
            &detail(locale, connection, a, now),
        ]));
    }
    Ok(())
}

/// One line of the `list` table, escaped, then padded by display width (CJK
/// takes two cells) so an escape widens its cell rather than the next one.
fn text_row(cells: &[&str; 4]) -> String {
    let pad = |s: &str, w: usize| {
        let s = escape_line(s);
        format!("{s}{}", " ".repeat(w.saturating_sub(width(&s))))
    };
    format!(
        "{} {} {} {}",
        pad(cells[0], 11),
        pad(cells[1], 28),
        pad(cells[2], 15),
        escape_line(cells[3])
    )
}

/// Prints what a write left: "added “x” (Auth0): pending, no token fetched yet".
fn report(global: &GlobalArgs, key: &str, connection: &Connection) {
    let locale = global.locale();
    let now = now();
    let a = assess_connection(connection, Catalog::embedded(), None, now);
    let service = Catalog::embedded()
        .service(&connection.service)
        .map_or(connection.service.as_str(), |s| service_name(locale, s));
    print_line(&locale.f(
        key,
        &[
            ("name", &connection.name),
            ("service", service),
            ("status", status_word(locale, a.status)),
            ("detail", &detail(locale, Some(connection), &a, now)),
        ],
    ));
}

/// `add SERVICE NAME …`.
pub fn add(global: &GlobalArgs, args: AddArgs) -> Result<(), CliError> {
    let (service, method) = service_and_method(&args.service, args.method.as_deref())?;
    check_name(&args.name)?;
    // Everything that can be checked without the key is checked first.
    let set = FieldSet::credentials(service, method);
    let mut input = FieldInput::from_args(&set, &args.set)?;
    if args.secrets_stdin {
        input.read_stdin(&set)?;
    }
    let mut fields = Credentials::default();
    input.apply(&set, &mut fields)?;
    let mut vault = open_store(global)?;
    let name = args.name.trim();
    // A taken name is said before a secret is asked for or found missing.
    // A complete connection needs no look first: the insert refuses a
    // taken name itself (a miss would check the whole vault's digest).
    if !args.empty && require_complete(&set, &fields).is_err() {
        refuse_taken(vault.as_ref(), name)?;
    }
    if !args.secrets_stdin && !args.empty {
        input.prompt_missing_secrets(&set, &fields)?;
        input.apply(&set, &mut fields)?;
    }
    if !args.empty {
        require_complete(&set, &fields)?;
    }
    let connection = Connection::new(name, &service.id, &method.id, fields);
    vault.add_connection(&connection)?;
    report(global, "cli.added", &connection);
    Ok(())
}

/// A duplicate-name error if a connection (intact or damaged) has `name`.
fn refuse_taken(vault: &dyn crate::vault::Store, name: &str) -> Result<(), CliError> {
    match vault.connection(name) {
        Err(VaultError::NotFound(_)) => Ok(()),
        Ok(_) | Err(VaultError::Damaged { .. }) => {
            Err(VaultError::DuplicateName(name.to_owned()).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `show NAME [--json] [--reveal [--raw]]`.
pub fn show(
    global: &GlobalArgs,
    name: &str,
    json: bool,
    reveal: bool,
    raw: bool,
) -> Result<(), CliError> {
    let mut vault = open_store(global)?;
    let connection = vault.connection(name)?;
    let token = vault.token_record(&connection.id)?;
    let (locale, now) = (global.locale(), now());
    if reveal {
        vault.append_audit(&AuditEvent::connection(
            AuditAction::Reveal,
            &connection,
            None,
        ))?;
    }
    if json {
        // JSON escapes decode to the exact value, so JSON needs no raw mode.
        print_json(&show_json(&connection, Some(&token), reveal, locale, now));
    } else {
        let reveal = reveal.then(|| Exactness::for_stdout(raw));
        // `show_text` escapes every value but the revealed ones it is told to keep exact.
        for line in show_text(&connection, Some(&token), reveal, locale, now) {
            println!("{line}");
        }
    }
    Ok(())
}

/// `edit NAME [--set KEY=VALUE]… [--secrets-stdin]`.
pub fn edit(
    global: &GlobalArgs,
    name: &str,
    sets: &[String],
    secrets_stdin: bool,
) -> Result<(), CliError> {
    if sets.is_empty() && !secrets_stdin {
        return Err(CliError::usage(global.locale().t("cli.nothing_to_change")));
    }
    let mut vault = open_store(global)?;
    let mut connection = vault.connection(name)?;
    let (service, method) = service_and_method(&connection.service, Some(&connection.method))?;
    let set = FieldSet::credentials(service, method);
    let mut input = FieldInput::from_args(&set, sets)?;
    if secrets_stdin {
        input.read_stdin(&set)?;
    }
    input.apply(&set, &mut connection.fields)?;
    connection.updated_at = now();
    vault.update_connection(&connection)?;
    report(global, "cli.updated", &connection);
    Ok(())
}

/// `rename NAME NEW`.
pub fn rename(global: &GlobalArgs, name: &str, new_name: &str) -> Result<(), CliError> {
    check_name(new_name)?;
    let mut vault = open_store(global)?;
    let mut connection = vault.connection(name)?;
    connection.name = new_name.trim().to_owned();
    connection.updated_at = now();
    vault.update_connection(&connection)?;
    print_line(
        &global
            .locale()
            .f("cli.renamed", &[("old", name), ("new", &connection.name)]),
    );
    Ok(())
}

/// `rm NAME [--force]`: refused while a flow action uses the connection,
/// unless forced (which clears those settings). Also takes the id of a
/// damaged connection whose name is unreadable.
pub fn remove(global: &GlobalArgs, name: &str, force: bool) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let id = vault.connection_id(name)?;
    let usage = vault.connection_usage(&id)?;
    if !usage.is_empty() && !force {
        let places: Vec<String> = usage
            .iter()
            .map(|u| {
                locale.f(
                    "cli.used_at",
                    &[("flow", &u.flow), ("position", &u.position.to_string())],
                )
            })
            .collect();
        return Err(CliError::usage(locale.f(
            "cli.in_use",
            &[
                ("name", name),
                ("places", &places.join(locale.t("common.separator"))),
            ],
        )));
    }
    // The steps' connection setting is cleared by the file's foreign key.
    vault.delete_connection(&id)?;
    print_line(&locale.f("cli.deleted", &[("name", name)]));
    if !usage.is_empty() {
        print_line(&locale.f("cli.cleared_settings", &[("n", &usage.len().to_string())]));
    }
    Ok(())
}

/// The catalog entries for a service id and an optional method id.
pub fn service_and_method(
    service: &str,
    method: Option<&str>,
) -> Result<(&'static Service, &'static Method), CliError> {
    let catalog = Catalog::embedded();
    let svc = catalog.service(service).ok_or_else(|| {
        CliError::usage(crate::locale::current().f("cli.unknown_service", &[("service", service)]))
    })?;
    let m = match method {
        None => svc.default_method(),
        Some(id) => svc.method(id).ok_or_else(|| {
            let ids: Vec<_> = svc.methods.iter().map(|m| m.id.as_str()).collect();
            CliError::usage(crate::locale::current().f(
                "cli.unknown_method",
                &[
                    ("service", &svc.name),
                    ("method", id),
                    ("methods", &ids.join(", ")),
                ],
            ))
        })?,
    };
    Ok((svc, m))
}

/// A connection name must be non-blank, printable and of reasonable length.
pub fn check_name(name: &str) -> Result<(), CliError> {
    validate_name(name).map_err(|e| {
        CliError::usage(crate::present::labels::name_error(
            crate::locale::current(),
            e,
        ))
    })
}
