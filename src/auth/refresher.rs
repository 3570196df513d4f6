//! The one task that owns renewal scheduling: renews each token before it
//! expires, at most one request per connection and a bounded number overall.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::client::{GrantError, Granted, TokenClient};
use super::renewal::{Begin, Finished, begin, finish, holder_name};
use super::schedule::{random_unit, renew_at};
use crate::catalog::Catalog;
use crate::vault::status::missing_fields;
use crate::vault::{ConnectionId, StoredConnection, TokenRecord, Vault, VaultStore, now};

/// Requests in flight at once, at most.
pub const MAX_IN_FLIGHT: usize = 8;
/// How often to look for changes other processes made to the file.
const WATCH_INTERVAL: Duration = Duration::from_secs(5);
/// How soon to look again at a connection another process is renewing.
const BUSY_RECHECK: Duration = Duration::from_millis(500);

/// A request's answer, with what it was for.
type Answer = (
    ConnectionId,
    String,
    OffsetDateTime,
    Result<Granted, GrantError>,
);

/// What the refresher is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshCommand {
    /// Renew this connection's token now, even if fresh.
    Now(ConnectionId),
    /// The connection was added or edited: look at it again.
    Changed(ConnectionId),
    /// The connection was deleted.
    Removed(ConnectionId),
}

/// What the refresher reports, for the list and the daemon's log.
#[derive(Debug, Clone)]
pub enum RefreshEvent {
    Started {
        id: ConnectionId,
        name: String,
    },
    Renewed {
        id: ConnectionId,
        name: String,
        record: TokenRecord,
    },
    Failed {
        id: ConnectionId,
        name: String,
        record: TokenRecord,
        reason: String,
        retry_in: Option<Duration>,
    },
    /// The record changed otherwise (renewed by another process, say).
    Updated {
        id: ConnectionId,
        record: TokenRecord,
    },
}

/// The scheduler; run it with [`Refresher::run`].
pub struct Refresher {
    vault: Vault,
    client: TokenClient,
    holder: String,
    max_in_flight: usize,
    events: mpsc::UnboundedSender<RefreshEvent>,
    /// When each connection is next due.
    due: HashMap<ConnectionId, OffsetDateTime>,
    forced: HashSet<ConnectionId>,
    in_flight: HashSet<ConnectionId>,
    data_version: i64,
}

/// Sends commands to a running refresher.
#[derive(Debug, Clone)]
pub struct RefresherHandle {
    commands: mpsc::UnboundedSender<RefreshCommand>,
}

impl RefresherHandle {
    /// Asks the refresher to do something; a stopped refresher ignores it.
    pub fn send(&self, command: RefreshCommand) {
        let _ = self.commands.send(command);
    }
}

impl Refresher {
    /// A refresher on its own vault handle, reporting to `events`.
    pub fn new(
        vault: Vault,
        client: TokenClient,
        events: mpsc::UnboundedSender<RefreshEvent>,
    ) -> Refresher {
        Refresher {
            vault,
            client,
            holder: holder_name(),
            max_in_flight: MAX_IN_FLIGHT,
            events,
            due: HashMap::new(),
            forced: HashSet::new(),
            in_flight: HashSet::new(),
            data_version: 0,
        }
    }

    /// Starts the refresher on the current tokio runtime.
    pub fn spawn(self) -> RefresherHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(self.run(rx));
        RefresherHandle { commands: tx }
    }

    /// Runs until every command sender is dropped.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<RefreshCommand>) {
        self.reload(false);
        let mut tasks: JoinSet<Answer> = JoinSet::new();
        let mut watch = tokio::time::interval(WATCH_INTERVAL);
        watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.start_due(&mut tasks);
            let next = self.next_due();
            tokio::select! {
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok((id, name, since, result)) = joined {
                        self.finished(id, name, since, result);
                    }
                }
                command = commands.recv() => match command {
                    None => break,
                    Some(RefreshCommand::Now(id)) => {
                        self.forced.insert(id.clone());
                        self.due.insert(id, now());
                    }
                    Some(RefreshCommand::Changed(id)) => self.reschedule(&id),
                    Some(RefreshCommand::Removed(id)) => {
                        self.due.remove(&id);
                    }
                },
                _ = sleep_until(next), if next.is_some() => {}
                _ = watch.tick() => self.reload(true),
            }
        }
        // Let requests in flight finish, so no lease is left behind.
        while let Some(Ok((id, name, since, result))) = tasks.join_next().await {
            self.finished(id, name, since, result);
        }
    }

    /// Rebuilds the schedule from the file; with `only_if_changed`, only when
    /// another connection wrote to it since the last look.
    fn reload(&mut self, only_if_changed: bool) {
        let version: i64 = self
            .vault
            .raw_db()
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap_or_default();
        if only_if_changed && version == self.data_version {
            return;
        }
        self.data_version = version;
        let Ok(rows) = self.vault.connections() else {
            return;
        };
        let records = self.vault.token_records().unwrap_or_default();
        let catalog = Catalog::embedded();
        let mut seen = HashSet::new();
        for row in rows {
            let StoredConnection::Intact(c) = row else {
                continue;
            };
            let Some(method) = catalog
                .service(&c.service)
                .and_then(|s| s.method(&c.method))
            else {
                continue;
            };
            if !method.auth.uses_tokens() {
                continue;
            }
            seen.insert(c.id.clone());
            let record = records.get(&c.id).cloned().unwrap_or_default();
            if only_if_changed {
                self.emit(RefreshEvent::Updated {
                    id: c.id.clone(),
                    record: record.clone(),
                });
            }
            if self.in_flight.contains(&c.id) {
                continue;
            }
            match due_at(&record, missing_fields(&c, method).is_empty()) {
                Some(at) => self.due.insert(c.id.clone(), at),
                None => self.due.remove(&c.id),
            };
        }
        self.due.retain(|id, _| seen.contains(id));
    }

    fn reschedule(&mut self, id: &ConnectionId) {
        let catalog = Catalog::embedded();
        let Ok(c) = self.vault.connection_by_id(id) else {
            self.due.remove(id);
            return;
        };
        let Some(method) = catalog
            .service(&c.service)
            .and_then(|s| s.method(&c.method))
        else {
            return;
        };
        let record = self.vault.token_record(id).unwrap_or_default();
        self.emit(RefreshEvent::Updated {
            id: id.clone(),
            record: record.clone(),
        });
        match due_at(
            &record,
            method.auth.uses_tokens() && missing_fields(&c, method).is_empty(),
        ) {
            Some(at) if !self.in_flight.contains(id) => self.due.insert(id.clone(), at),
            _ => self.due.remove(id),
        };
    }

    fn next_due(&self) -> Option<OffsetDateTime> {
        self.due
            .iter()
            .filter(|(id, _)| !self.in_flight.contains(*id))
            .map(|(_, at)| *at)
            .min()
    }

    fn start_due(&mut self, tasks: &mut JoinSet<Answer>) {
        let now = now();
        let mut ready: Vec<(OffsetDateTime, ConnectionId)> = self
            .due
            .iter()
            .filter(|(id, at)| **at <= now && !self.in_flight.contains(*id))
            .map(|(id, at)| (*at, id.clone()))
            .collect();
        ready.sort();
        for (_, id) in ready {
            if self.in_flight.len() >= self.max_in_flight {
                break;
            }
            let force = self.forced.remove(&id);
            match begin(&mut self.vault, &id, &self.holder, force, now) {
                Ok(Begin::Send { grant, name, since }) => {
                    self.due.remove(&id);
                    self.in_flight.insert(id.clone());
                    self.emit(RefreshEvent::Started {
                        id: id.clone(),
                        name: name.clone(),
                    });
                    let client = self.client.clone();
                    tasks.spawn(async move {
                        let result = client.request(&grant).await;
                        (id, name, since, result)
                    });
                }
                Ok(Begin::Fresh(record)) => {
                    self.emit(RefreshEvent::Updated {
                        id: id.clone(),
                        record: record.clone(),
                    });
                    match due_at(&record, true) {
                        Some(at) => self.due.insert(id, at),
                        None => self.due.remove(&id),
                    };
                }
                Ok(Begin::Busy) => {
                    self.due.insert(id, now + BUSY_RECHECK);
                }
                Ok(Begin::Cannot(reason)) => {
                    tracing::info!(connection = %id, %reason, "token cannot be renewed");
                    self.due.remove(&id);
                }
                Err(e) => {
                    tracing::warn!(connection = %id, error = %e, "renewal not started");
                    self.due.remove(&id);
                }
            }
        }
    }

    fn finished(
        &mut self,
        id: ConnectionId,
        name: String,
        since: OffsetDateTime,
        result: Result<Granted, GrantError>,
    ) {
        self.in_flight.remove(&id);
        let now = now();
        match finish(&mut self.vault, &id, &self.holder, since, result, now) {
            // Edited meanwhile: look at the new credentials.
            Ok(Finished::Stale) => self.reschedule(&id),
            Ok(Finished::Renewed(_)) => {
                let record = self.vault.token_record(&id).unwrap_or_default();
                if let Some(at) = due_at(&record, true) {
                    self.due.insert(id.clone(), at);
                }
                self.emit(RefreshEvent::Renewed { id, name, record });
            }
            Ok(Finished::Failed { error, state }) => {
                let record = self.vault.token_record(&id).unwrap_or_default();
                let retry_in = match (state.needs_new_credentials, state.next_attempt_at) {
                    (false, Some(at)) => {
                        self.due.insert(id.clone(), at);
                        Some((at - now).try_into().unwrap_or_default())
                    }
                    _ => None,
                };
                self.emit(RefreshEvent::Failed {
                    id,
                    name,
                    record,
                    reason: error.short(),
                    retry_in,
                });
            }
            Err(e) => tracing::warn!(connection = %id, error = %e, "renewal result not stored"),
        }
    }

    fn emit(&self, event: RefreshEvent) {
        let _ = self.events.send(event);
    }
}

/// When a connection's token is next due: `None` when it needs nothing (no
/// token kept, incomplete, refused credentials, or a token that never expires).
fn due_at(record: &TokenRecord, complete: bool) -> Option<OffsetDateTime> {
    if !complete || record.state.needs_new_credentials {
        return None;
    }
    if record.state.failures > 0 {
        return Some(record.state.next_attempt_at.unwrap_or_else(now));
    }
    match &record.token {
        Some(token) => renew_at(token, random_unit()),
        None => Some(now()),
    }
}

async fn sleep_until(at: Option<OffsetDateTime>) {
    let Some(at) = at else {
        return std::future::pending().await;
    };
    let wait: Duration = (at - now()).try_into().unwrap_or_default();
    tokio::time::sleep(wait).await;
}
