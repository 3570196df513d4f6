//! `add`, `show`, `edit`, `rename`, `rm`.

use crate::catalog::{Catalog, Method, Service};
use crate::present::labels::{detail, service_name, status_word};
use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::status::assess_connection;
use crate::vault::{Connection, Credentials, VaultError, now, validate_name};

use super::GlobalArgs;
use super::confirm::{Answer, ask};
use super::error::{CliError, Exit};
use super::fields::{FieldInput, FieldSet, require_complete};
use super::output::{Exactness, message, print_json, show_text};
use super::shapes::show_entry;
use super::unlock::open_store;

/// Arguments of `add`.
pub struct AddArgs {
    pub service: String,
    pub name: String,
    pub method: Option<String>,
    pub set: Vec<String>,
    pub secrets_stdin: bool,
    /// `--secret-file KEY=PATH` arguments.
    pub secret_files: Vec<String>,
    pub empty: bool,
}

/// Says what a write left, on stderr: "added “x” (Auth0): pending, no token fetched yet".
fn report(global: &GlobalArgs, key: &str, connection: &Connection) {
    let locale = global.locale();
    let now = now();
    let a = assess_connection(connection, Catalog::embedded(), None, now);
    let service = Catalog::embedded()
        .service(&connection.service)
        .map_or(connection.service.as_str(), |s| service_name(locale, s));
    message(&locale.f(
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
    input.read_files(&set, &args.secret_files)?;
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
        print_json(&show_entry(&connection, Some(&token), reveal, locale, now));
    } else {
        let reveal = reveal.then(|| Exactness::for_stdout(raw));
        // `show_text` escapes every value but the revealed ones it is told to keep exact.
        for line in show_text(&connection, Some(&token), reveal, locale, now) {
            println!("{line}");
        }
    }
    Ok(())
}

/// `edit NAME [--set KEY=VALUE]… [--secret-file KEY=PATH]… [--secrets-stdin]`.
pub fn edit(
    global: &GlobalArgs,
    name: &str,
    sets: &[String],
    secret_files: &[String],
    secrets_stdin: bool,
) -> Result<(), CliError> {
    if sets.is_empty() && secret_files.is_empty() && !secrets_stdin {
        return Err(CliError::usage(
            global.locale().t("secret_input.nothing_to_change"),
        ));
    }
    let mut vault = open_store(global)?;
    let mut connection = vault.connection(name)?;
    let (service, method) = service_and_method(&connection.service, Some(&connection.method))?;
    let set = FieldSet::credentials(service, method);
    let mut input = FieldInput::from_args(&set, sets)?;
    input.read_files(&set, secret_files)?;
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
    message(
        &global
            .locale()
            .f("cli.renamed", &[("old", name), ("new", &connection.name)]),
    );
    Ok(())
}

/// `rm NAME [--force] [--yes]`: refused while a flow action uses the
/// connection, unless forced (which clears those settings); asks first on a
/// terminal unless `yes`, and refuses without one. Also takes the id of a
/// damaged connection whose name is unreadable.
pub fn remove(global: &GlobalArgs, name: &str, force: bool, yes: bool) -> Result<(), CliError> {
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
    if !yes {
        let refusal = CliError::usage(locale.f("output.rm_needs_yes", &[("name", name)]));
        let question = locale.f("output.confirm_rm", &[("name", name)]);
        if ask(locale, &question, refusal)? == Answer::No {
            return Err(CliError {
                exit: Exit::Failure,
                message: locale.f("output.rm_declined", &[("name", name)]),
            });
        }
    }
    // The steps' connection setting is cleared by the file's foreign key.
    vault.delete_connection(&id)?;
    message(&locale.f("cli.deleted", &[("name", name)]));
    if !usage.is_empty() {
        message(&locale.f("cli.cleared_settings", &[("n", &usage.len().to_string())]));
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
