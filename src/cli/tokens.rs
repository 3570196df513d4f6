//! `token`, `refresh` and `daemon`: access tokens from the command line.

use time::OffsetDateTime;
use tokio::task::JoinSet;

use crate::auth::TokenClient;
use crate::auth::client::{GrantError, Granted};
use crate::auth::refresher::{RefreshEvent, Refresher};
use crate::auth::renewal::{Begin, Finished, ObtainError, begin, finish, holder_name, obtain};
use crate::catalog::Catalog;
use crate::locale::Locale;
use crate::locale::labels::duration;
use crate::vault::status::missing_fields;
use crate::vault::{Connection, StoredConnection, Token, Vault, VaultStore, now};

use super::GlobalArgs;
use super::error::{CliError, Exit};
use super::output::{Exactness, eprint_line, print_line};
use super::unlock::open_vault;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
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
    let mut vault = open_vault(global)?;
    let connection = vault.connection(name)?;
    require_tokens(locale, &connection)?;
    let client = TokenClient::new();
    let holder = holder_name();
    let result = runtime()?.block_on(obtain(&mut vault, &client, &connection.id, &holder, false));
    let (token, error) = result.map_err(|e| obtain_error(locale, &connection.name, e))?;
    if let Some(error) = error {
        eprint_line(&locale.f(
            "cli.token_stale",
            &[
                ("name", &connection.name),
                ("error", &crate::locale::labels::grant_error(locale, &error)),
            ],
        ));
    }
    println!(
        "{}",
        Exactness::for_stdout(raw).apply(token.access_token.expose())
    );
    Ok(())
}

/// `refresh [NAME]`: renew now, one connection or every one that keeps tokens.
pub fn refresh(global: &GlobalArgs, name: Option<&str>) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_vault(global)?;
    let client = TokenClient::new();
    let holder = holder_name();
    if let Some(name) = name {
        let connection = vault.connection(name)?;
        require_tokens(locale, &connection)?;
        let result =
            runtime()?.block_on(obtain(&mut vault, &client, &connection.id, &holder, true));
        return match result {
            Ok((token, None)) => {
                print_line(&renewed_line(locale, &connection.name, &token, now()));
                Ok(())
            }
            Ok((_, Some(error))) => Err(obtain_error(
                locale,
                &connection.name,
                ObtainError::Grant(error),
            )),
            Err(e) => Err(obtain_error(locale, &connection.name, e)),
        };
    }
    let connections = token_connections(&vault)?;
    let results = runtime()?.block_on(renew_all(&mut vault, &client, &holder, connections));
    let mut failed = 0;
    for (name, result) in results {
        match result {
            Ok(token) => print_line(&renewed_line(locale, &name, &token, now())),
            Err(reason) => {
                failed += 1;
                eprint_line(&locale.f(
                    "cli.refresh_failed",
                    &[("name", &name), ("reason", &reason)],
                ));
            }
        }
    }
    if failed > 0 {
        return Err(CliError::failure(
            locale.f("cli.refresh_some_failed", &[("n", &failed.to_string())]),
        ));
    }
    Ok(())
}

/// Renews many connections, at most [`crate::auth::refresher::MAX_IN_FLIGHT`] at once.
async fn renew_all(
    vault: &mut Vault,
    client: &TokenClient,
    holder: &str,
    connections: Vec<Connection>,
) -> Vec<(String, Result<Token, String>)> {
    let mut out = Vec::new();
    let mut pending = connections.into_iter();
    let mut tasks: JoinSet<(Connection, Result<Granted, GrantError>)> = JoinSet::new();
    loop {
        while tasks.len() < crate::auth::refresher::MAX_IN_FLIGHT {
            let Some(connection) = pending.next() else {
                break;
            };
            match begin(vault, &connection.id, holder, true, now()) {
                Ok(Begin::Send { grant, .. }) => {
                    let client = client.clone();
                    tasks.spawn(async move {
                        let result = client.request(&grant).await;
                        (connection, result)
                    });
                }
                Ok(Begin::Fresh(record)) => match record.token {
                    Some(token) => out.push((connection.name, Ok(token))),
                    None => out.push((
                        connection.name,
                        Err(crate::locale::current().t("cli.no_token_stored").to_owned()),
                    )),
                },
                Ok(Begin::Busy) => out.push((
                    connection.name,
                    Err(crate::locale::current()
                        .t("cli.renewing_elsewhere")
                        .to_owned()),
                )),
                Ok(Begin::Cannot(reason)) => out.push((
                    connection.name,
                    Err(crate::locale::labels::cannot_renew(
                        crate::locale::current(),
                        &reason,
                    )),
                )),
                Err(e) => out.push((
                    connection.name,
                    Err(crate::locale::labels::vault_error(
                        crate::locale::current(),
                        &e,
                    )),
                )),
            }
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let Ok((connection, result)) = joined else {
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
            connection.name,
            match stored {
                Ok(Finished::Renewed(token)) => Ok(token),
                Ok(Finished::Stale) => Err(crate::locale::current()
                    .t("cli.changed_meanwhile")
                    .to_owned()),
                Ok(Finished::Failed { error, .. }) => Err(crate::locale::labels::grant_error(
                    crate::locale::current(),
                    &error,
                )),
                Err(e) => Err(crate::locale::labels::vault_error(
                    crate::locale::current(),
                    &e,
                )),
            },
        ));
    }
    out
}

/// `daemon`: keeps every token fresh until SIGINT or SIGTERM; a line per event on stderr.
pub fn daemon(global: &GlobalArgs) -> Result<(), CliError> {
    let locale = global.locale();
    let vault = open_vault(global)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let refresher = Refresher::new(vault.try_clone()?, TokenClient::new(), events_tx);
        let handle = refresher.spawn();
        log(locale.f(
            "daemon.started",
            &[("path", &vault.path().display().to_string())],
        ));
        let mut terminate = tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        )
        .map_err(|e| CliError::failure(locale.f("cli.no_signal", &[("error", &e.to_string())])))?;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate.recv() => break,
                Some(event) = events.recv() => {
                    if let Some(line) = event_line(locale, &event) {
                        log(line);
                    }
                }
            }
        }
        drop(handle);
        // Requests in flight finish and report before the daemon exits.
        while let Some(event) = events.recv().await {
            if let Some(line) = event_line(locale, &event) {
                log(line);
            }
        }
        log(locale.t("daemon.stopped").to_owned());
        Ok::<(), CliError>(())
    })
}

fn log(line: String) {
    let stamp = now()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    eprintln!(
        "{stamp} {}",
        crate::locale::terminal_safe::escape_line(&line)
    );
}

fn event_line(locale: &Locale, event: &RefreshEvent) -> Option<String> {
    let now = now();
    Some(match event {
        RefreshEvent::Started { name, .. } => locale.f("daemon.renewing", &[("name", name)]),
        RefreshEvent::Renewed { name, record, .. } => match record.token.as_ref() {
            Some(token) => renewed_line(locale, name, token, now),
            None => return None,
        },
        RefreshEvent::Failed {
            name,
            reason,
            retry_in,
            ..
        } => match retry_in {
            Some(wait) => locale.f(
                "daemon.failed_retry",
                &[
                    ("name", name),
                    ("reason", reason),
                    (
                        "in",
                        &duration(locale, time::Duration::try_from(*wait).unwrap_or_default()),
                    ),
                ],
            ),
            None => locale.f("daemon.failed_stop", &[("name", name), ("reason", reason)]),
        },
        RefreshEvent::Updated { .. } => return None,
    })
}

fn renewed_line(locale: &Locale, name: &str, token: &Token, now: OffsetDateTime) -> String {
    match token.expires_at {
        Some(at) => locale.f(
            "cli.renewed",
            &[("name", name), ("in", &duration(locale, at - now))],
        ),
        None => locale.f("cli.renewed_no_expiry", &[("name", name)]),
    }
}

/// Every intact, complete connection that keeps tokens.
fn token_connections(vault: &Vault) -> Result<Vec<Connection>, CliError> {
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
                        &crate::locale::labels::obtain_error(locale, &other),
                    ),
                ],
            ),
        },
    }
}
