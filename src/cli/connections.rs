//! `list`, `add`, `show`, `edit`, `rename`, `rm`.

use crate::catalog::{Catalog, Method, Service};
use crate::vault::status::{assess, assess_connection};
use crate::vault::{Connection, Credentials, StoredConnection, VaultStore, now, validate_name};

use super::GlobalArgs;
use super::error::CliError;
use super::fields::{FieldInput, require_complete};
use super::output::{detail_text, list_entry, show_json, show_text};
use super::unlock::open_vault;

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
    let vault = open_vault(global)?;
    let catalog = Catalog::embedded();
    let rows = vault.connections()?;
    if json {
        let entries: Vec<_> = rows
            .iter()
            .map(|r| list_entry(r, &assess(r, catalog)))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&entries).expect("JSON of plain values")
        );
        return Ok(());
    }
    if rows.is_empty() {
        println!("no connections yet; add one with `flowvault add SERVICE NAME`");
        return Ok(());
    }
    println!("{:<11} {:<28} {:<15} DETAIL", "STATUS", "NAME", "SERVICE");
    for row in &rows {
        let a = assess(row, catalog);
        let service = match row {
            StoredConnection::Intact(c) => c.service.as_str(),
            StoredConnection::Damaged(_) => "?",
        };
        let name = row
            .name()
            .map_or_else(|| format!("<unreadable {}>", row.id()), str::to_owned);
        println!(
            "{:<11} {:<28} {:<15} {}",
            a.status.as_str(),
            name,
            service,
            detail_text(&a.detail)
        );
    }
    Ok(())
}

/// `add SERVICE NAME …`.
pub fn add(global: &GlobalArgs, args: AddArgs) -> Result<(), CliError> {
    let (service, method) = service_and_method(&args.service, args.method.as_deref())?;
    check_name(&args.name)?;
    // Everything that can be checked without the key is checked first.
    let mut input = FieldInput::from_args(service, method, &args.set)?;
    if args.secrets_stdin {
        input.read_stdin(service, method)?;
    }
    let mut fields = Credentials::default();
    input.apply(method, &mut fields)?;
    let mut vault = open_vault(global)?;
    if !args.secrets_stdin && !args.empty {
        input.prompt_missing_secrets(method, &fields)?;
        input.apply(method, &mut fields)?;
    }
    if !args.empty {
        require_complete(method, &fields)?;
    }
    let connection = Connection::new(args.name.trim(), &service.id, &method.id, fields);
    vault.add_connection(&connection)?;
    let a = assess_connection(&connection, Catalog::embedded());
    println!(
        "added \"{}\" ({}, {}: {})",
        connection.name,
        service.name,
        a.status.as_str(),
        detail_text(&a.detail)
    );
    Ok(())
}

/// `show NAME [--json] [--reveal]`.
pub fn show(global: &GlobalArgs, name: &str, json: bool, reveal: bool) -> Result<(), CliError> {
    let vault = open_vault(global)?;
    let connection = vault.connection(name)?;
    if json {
        let value = show_json(&connection, reveal);
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("JSON of plain values")
        );
    } else {
        for line in show_text(&connection, reveal) {
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
        return Err(CliError::usage(
            "nothing to change: give --set KEY=VALUE or --secrets-stdin",
        ));
    }
    let mut vault = open_vault(global)?;
    let mut connection = vault.connection(name)?;
    let (service, method) = service_and_method(&connection.service, Some(&connection.method))?;
    let mut input = FieldInput::from_args(service, method, sets)?;
    if secrets_stdin {
        input.read_stdin(service, method)?;
    }
    input.apply(method, &mut connection.fields)?;
    connection.updated_at = now();
    vault.update_connection(&connection)?;
    let a = assess_connection(&connection, Catalog::embedded());
    println!(
        "updated \"{}\" ({}: {})",
        connection.name,
        a.status.as_str(),
        detail_text(&a.detail)
    );
    Ok(())
}

/// `rename NAME NEW`.
pub fn rename(global: &GlobalArgs, name: &str, new_name: &str) -> Result<(), CliError> {
    check_name(new_name)?;
    let mut vault = open_vault(global)?;
    let mut connection = vault.connection(name)?;
    connection.name = new_name.trim().to_owned();
    connection.updated_at = now();
    vault.update_connection(&connection)?;
    println!("renamed \"{name}\" to \"{}\"", connection.name);
    Ok(())
}

/// `rm NAME [--force]`; also takes the id of a damaged connection whose name is unreadable.
pub fn remove(global: &GlobalArgs, name: &str, _force: bool) -> Result<(), CliError> {
    let mut vault = open_vault(global)?;
    let id = vault.connection_id(name)?;
    vault.delete_connection(&id)?;
    println!("deleted \"{name}\"");
    Ok(())
}

/// The catalog entries for a service id and an optional method id.
pub fn service_and_method(
    service: &str,
    method: Option<&str>,
) -> Result<(&'static Service, &'static Method), CliError> {
    let catalog = Catalog::embedded();
    let svc = catalog.service(service).ok_or_else(|| {
        CliError::usage(format!(
            "unknown service \"{service}\"; `flowvault services` lists them"
        ))
    })?;
    let m = match method {
        None => svc.default_method(),
        Some(id) => svc.method(id).ok_or_else(|| {
            let ids: Vec<_> = svc.methods.iter().map(|m| m.id.as_str()).collect();
            CliError::usage(format!(
                "{} has no method \"{id}\"; its methods are: {}",
                svc.name,
                ids.join(", ")
            ))
        })?,
    };
    Ok((svc, m))
}

/// A connection name must be non-blank, printable and of reasonable length.
pub fn check_name(name: &str) -> Result<(), CliError> {
    validate_name(name).map_err(|e| CliError::usage(e.to_string()))
}
