//! `token` and `refresh`: access tokens from the command line.

use std::collections::HashMap;

use time::OffsetDateTime;
use tokio::task::JoinSet;

use crate::auth::TokenClient;
use crate::auth::client::{GrantError, Granted};
use crate::auth::contained::Contained;
use crate::auth::renewal::{Begin, Finished, ObtainError, begin, finish, holder_name, obtain};
use crate::catalog::Catalog;
use crate::locale::Locale;
use crate::present::labels::duration;
use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::status::missing_fields;
use crate::vault::{Connection, Store, StoredConnection, Token, now};

use super::GlobalArgs;
use super::error::{CliError, Exit};
use super::output::{Exactness, eprint_line, message, print_json, rfc3339};
use super::shapes::{RefreshEntry, RefreshOutcome};
use super::unlock::open_store;

/// A single-threaded runtime for a command's requests.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::failure(
                crate::locale::current().f("cli.no_runtime", &[("error", &e.to_string())]),
            )
        })
}

/// `token NAME [--raw]`: a valid access token on stdout, renewed first if needed.
pub fn token(global: &GlobalArgs, name: &str, raw: bool) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let connection = vault.connection(name)?;
    let token = usable_token(locale, vault.as_mut(), &connection, time::Duration::ZERO)?;
    vault.append_audit(&AuditEvent::connection(
        AuditAction::TokenPrinted,
        &connection,
        None,
    ))?;
    println!(
        "{}",
        Exactness::for_stdout(raw).apply(token.access_token.expose())
    );
    Ok(())
}

/// A token of `connection` valid for at least `min_valid` more: the stored
/// one while fresh, else fetched or renewed (what `token` prints). A renewal
/// that fails while the stored token still lasts is a warning on stderr.
/// If the token endpoint's own tokens live less than `min_valid`, one
/// renewal is all there is to ask for.
pub(super) fn usable_token(
    locale: &Locale,
    vault: &mut dyn Store,
    connection: &Connection,
    min_valid: time::Duration,
) -> Result<Token, CliError> {
    require_tokens(locale, connection)?;
    let client = TokenClient::new();
    let holder = holder_name();
    let runtime = runtime()?;
    let mut force = false;
    loop {
        let result = runtime.block_on(obtain(vault, &client, &connection.id, &holder, force));
        let (token, error) = result.map_err(|e| obtain_error(locale, &connection.name, e))?;
        let lasts = token.expires_at.is_none_or(|at| at - now() >= min_valid);
        if !lasts && !force {
            // Fresh by the renewal schedule, yet too short for this caller.
            force = true;
            continue;
        }
        if let Some(error) = error {
            if !lasts {
                return Err(obtain_error(
                    locale,
                    &connection.name,
                    ObtainError::Grant(error),
                ));
            }
            eprint_line(&locale.f(
                "cli.token_stale",
                &[
                    ("name", &connection.name),
                    (
                        "error",
                        &crate::present::labels::grant_error(locale, &error),
                    ),
                ],
            ));
        }
        return Ok(token);
    }
}

/// `refresh [NAME] [--json]`: renew now, one connection or every one that
/// keeps tokens. Renewals are messages on stderr and failures error lines
/// there; with `--json` the outcome of each connection is data on stdout,
/// and stderr holds only the final `error:` line if any failed.
pub fn refresh(global: &GlobalArgs, name: Option<&str>, json: bool) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let client = TokenClient::new();
    let holder = holder_name();
    if let Some(name) = name {
        let connection = vault.connection(name)?;
        require_tokens(locale, &connection)?;
        let result = runtime()?.block_on(obtain(
            vault.as_mut(),
            &client,
            &connection.id,
            &holder,
            true,
        ));
        let error = match result {
            Ok((token, None)) => {
                if json {
                    print_json(&[refresh_entry(
                        &connection,
                        Ok((&token, RefreshOutcome::Renewed)),
                    )]);
                } else {
                    message(&renewed_line(locale, &connection.name, &token, now()));
                }
                return Ok(());
            }
            Ok((_, Some(error))) => ObtainError::Grant(error),
            // The vault could not be read or written: no outcome to report.
            Err(ObtainError::Vault(e)) => return Err(e.into()),
            Err(e) => e,
        };
        if json {
            let reason = crate::present::labels::obtain_error(locale, &error);
            print_json(&[refresh_entry(&connection, Err(&reason))]);
        }
        return Err(obtain_error(locale, &connection.name, error));
    }
    let connections = token_connections(vault.as_ref())?;
    let results = runtime()?.block_on(renew_all(vault.as_mut(), &client, &holder, connections));
    let mut entries = Vec::with_capacity(results.len());
    for (connection, result) in &results {
        let entry = match result {
            Ok((token, outcome)) => {
                if !json {
                    message(&renewed_line(locale, &connection.name, token, now()));
                }
                refresh_entry(connection, Ok((token, *outcome)))
            }
            Err(reason) => {
                // With --json the reason is in the data; the count is the error.
                if !json {
                    eprint_line(&locale.f(
                        "cli.refresh_failed",
                        &[("name", &connection.name), ("reason", reason)],
                    ));
                }
                refresh_entry(connection, Err(reason))
            }
        };
        entries.push(entry);
    }
    if json {
        print_json(&entries);
    }
    let failed = entries
        .iter()
        .filter(|e| e.outcome == RefreshOutcome::Failed)
        .count();
    if failed > 0 {
        return Err(CliError::failure(
            locale.f("cli.refresh_some_failed", &[("n", &failed.to_string())]),
        ));
    }
    Ok(())
}

/// The `refresh --json` element of one connection: its token now, or why not.
fn refresh_entry(
    connection: &Connection,
    result: Result<(&Token, RefreshOutcome), &String>,
) -> RefreshEntry {
    let (outcome, expires_at, error) = match result {
        Ok((token, outcome)) => (outcome, token.expires_at.map(rfc3339), None),
        Err(reason) => (RefreshOutcome::Failed, None, Some(reason.clone())),
    };
    RefreshEntry {
        error,
        expires_at,
        id: connection.id.as_str().to_owned(),
        name: connection.name.clone(),
        outcome,
    }
}

/// Renews many connections, at most [`crate::auth::refresher::MAX_IN_FLIGHT`]
/// at once; each with its token and whether it was renewed or still fresh,
/// or why it failed.
async fn renew_all(
    vault: &mut dyn Store,
    client: &TokenClient,
    holder: &str,
    connections: Vec<Connection>,
) -> Vec<(Connection, Result<(Token, RefreshOutcome), String>)> {
    let mut out = Vec::new();
    let mut pending = connections.into_iter();
    let mut tasks: JoinSet<Result<Granted, GrantError>> = JoinSet::new();
    let mut out_for: HashMap<tokio::task::Id, Connection> = HashMap::new();
    loop {
        while tasks.len() < crate::auth::refresher::MAX_IN_FLIGHT {
            let Some(connection) = pending.next() else {
                break;
            };
            match begin(vault, &connection.id, holder, true, now()) {
                Ok(Begin::Send { grant, .. }) => {
                    let client = client.clone();
                    let task =
                        tasks.spawn(Contained::new(async move { client.request(&grant).await }));
                    out_for.insert(task.id(), connection);
                }
                Ok(Begin::Fresh(record)) => match record.token {
                    Some(token) => out.push((connection, Ok((token, RefreshOutcome::Fresh)))),
                    None => out.push((
                        connection,
                        Err(crate::locale::current().t("cli.no_token_stored").to_owned()),
                    )),
                },
                Ok(Begin::Busy) => out.push((
                    connection,
                    Err(crate::locale::current()
                        .t("cli.renewing_elsewhere")
                        .to_owned()),
                )),
                Ok(Begin::Cannot(reason)) => out.push((
                    connection,
                    Err(crate::present::labels::cannot_renew(
                        crate::locale::current(),
                        &reason,
                    )),
                )),
                Err(e) => out.push((
                    connection,
                    Err(crate::present::labels::vault_error(
                        crate::locale::current(),
                        &e,
                    )),
                )),
            }
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        // A panicked request still gives its lease back, as a failure.
        let (task, result) = match joined {
            Ok((task, result)) => (task, result),
            Err(e) => (e.id(), Err(GrantError::Internal)),
        };
        let Some(connection) = out_for.remove(&task) else {
            continue;
        };
        // `connection` was read just before its request: its time is the grant's.
        let stored = finish(
            vault,
            &connection.id,
            holder,
            connection.updated_at,
            result,
            now(),
        );
        out.push((
            connection,
            match stored {
                Ok(Finished::Renewed(token)) => Ok((token, RefreshOutcome::Renewed)),
                Ok(Finished::Stale) => Err(crate::locale::current()
                    .t("cli.changed_meanwhile")
                    .to_owned()),
                Ok(Finished::Failed { error, .. }) => Err(crate::present::labels::grant_error(
                    crate::locale::current(),
                    &error,
                )),
                Err(e) => Err(crate::present::labels::vault_error(
                    crate::locale::current(),
                    &e,
                )),
            },
        ));
    }
    out
}

/// `renewed “NAME”: token expires in 1h`, in `locale` (the daemon logs it in English).
pub(super) fn renewed_line(
    locale: &Locale,
    name: &str,
    token: &Token,
    now: OffsetDateTime,
) -> String {
    match token.expires_at {
        Some(at) => locale.f(
            "cli.renewed",
            &[("name", name), ("in", &duration(locale, at - now))],
        ),
        None => locale.f("cli.renewed_no_expiry", &[("name", name)]),
    }
}

/// Every intact, complete connection that keeps tokens.
fn token_connections(vault: &dyn Store) -> Result<Vec<Connection>, CliError> {
    let catalog = Catalog::embedded();
    Ok(vault
        .connections()?
        .into_iter()
        .filter_map(|row| match row {
            StoredConnection::Intact(c) => Some(c),
            StoredConnection::Damaged(_) => None,
        })
        .filter(|c| {
            catalog
                .service(&c.service)
                .and_then(|s| s.method(&c.method))
                .is_some_and(|m| m.auth.uses_tokens() && missing_fields(c, m).is_empty())
        })
        .collect())
}

fn require_tokens(locale: &Locale, connection: &Connection) -> Result<(), CliError> {
    let uses_tokens = Catalog::embedded()
        .service(&connection.service)
        .and_then(|s| s.method(&connection.method))
        .is_some_and(|m| m.auth.uses_tokens());
    if uses_tokens {
        Ok(())
    } else {
        Err(CliError::usage(
            locale.f("cli.no_token", &[("name", &connection.name)]),
        ))
    }
}

fn obtain_error(locale: &Locale, name: &str, error: ObtainError) -> CliError {
    match error {
        ObtainError::Vault(e) => e.into(),
        other => CliError {
            exit: Exit::Failure,
            message: locale.f(
                "cli.token_failed",
                &[
                    ("name", name),
                    (
                        "error",
                        &crate::present::labels::obtain_error(locale, &other),
                    ),
                ],
            ),
        },
    }
}
