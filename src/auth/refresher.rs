//! The one task that owns renewal scheduling: renews each token before it
//! expires, at most one request per connection and a bounded number overall.
//!
//! Fairness: connections are sorted into classes by what a renewal is for
//! (see [`Class`]), and each class has its own share of the request slots, so
//! hundreds of failing connections can hold at most a few slots and never
//! delay the renewal of a token still in use. A backoff is a due time, never
//! a sleeping task: waiting holds no slot.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::client::{GrantError, Granted, TokenClient};
use super::contained::{Contained, contain};
use super::grant::Grant;
use super::renewal::{Begin, Finished, begin, finish, holder_name};
use super::schedule::{after, backoff, random_unit, renew_at};
use crate::catalog::Catalog;
use crate::vault::status::missing_fields;
use crate::vault::{ChangeMark, ConnectionId, Store, StoredConnection, TokenRecord, now};

/// Requests in flight at once, at most.
pub const MAX_IN_FLIGHT: usize = 8;
/// Slots connections retrying after a failure may hold, at most.
pub const MAX_RETRYING_IN_FLIGHT: usize = 2;
/// Slots always kept for renewing tokens still in use: first fetches and
/// retries together hold at most `MAX_IN_FLIGHT` minus this.
pub const RESERVED_FOR_RENEWALS: usize = 2;
/// How often to look for changes other processes made to the file.
const WATCH_INTERVAL: Duration = Duration::from_secs(5);
/// How long a stopping refresher waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// How soon to look again at a connection another process is renewing.
const BUSY_RECHECK: Duration = Duration::from_millis(500);

/// Where the refresher gets tokens: the HTTP client, or a stand-in in tests.
pub trait TokenSource: Clone + Send + Sync + 'static {
    /// Sends the grant and reads the token.
    fn request(&self, grant: &Grant) -> impl Future<Output = Result<Granted, GrantError>> + Send;
}

impl TokenSource for TokenClient {
    fn request(&self, grant: &Grant) -> impl Future<Output = Result<Granted, GrantError>> + Send {
        TokenClient::request(self, grant)
    }
}

/// What a renewal is for, which decides the slots it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// A token still in use, due for renewal (or a renewal asked for): any slot.
    Renewing,
    /// No usable token yet, no failure so far: all but the reserved slots.
    First,
    /// Failed before and backing off: at most [`MAX_RETRYING_IN_FLIGHT`] slots.
    Retrying,
}

/// When a connection is next due, and for what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Due {
    at: OffsetDateTime,
    class: Class,
    /// A retry whose token is still valid goes before retries without one.
    urgent: bool,
}

/// A request out, with what it was for.
struct Out {
    id: ConnectionId,
    name: String,
    since: OffsetDateTime,
}

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
pub struct Refresher<S: TokenSource = TokenClient> {
    vault: Box<dyn Store>,
    client: S,
    holder: String,
    events: mpsc::UnboundedSender<RefreshEvent>,
    /// When each connection is next due.
    due: HashMap<ConnectionId, Due>,
    forced: HashSet<ConnectionId>,
    /// Requests out, by their task.
    out: HashMap<tokio::task::Id, Out>,
    in_flight: HashMap<ConnectionId, Class>,
    /// Renewals in a row that ended in a caught panic, per connection.
    crashes: HashMap<ConnectionId, u32>,
    /// The vault's change mark at the last reload.
    seen: Option<ChangeMark>,
    /// Told once the first look at the vault has planned every renewal.
    scheduled: Option<tokio::sync::oneshot::Sender<usize>>,
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

impl<S: TokenSource> Refresher<S> {
    /// A refresher on its own vault handle, reporting to `events`.
    pub fn new(
        vault: Box<dyn Store>,
        client: S,
        events: mpsc::UnboundedSender<RefreshEvent>,
    ) -> Refresher<S> {
        Refresher {
            vault,
            client,
            holder: holder_name(),
            events,
            due: HashMap::new(),
            forced: HashSet::new(),
            out: HashMap::new(),
            in_flight: HashMap::new(),
            crashes: HashMap::new(),
            seen: None,
            scheduled: None,
        }
    }

    /// Sends on `scheduled`, once the first look at the vault is done, how
    /// many connections have a renewal planned (the daemon's readiness).
    pub fn on_scheduled(mut self, scheduled: tokio::sync::oneshot::Sender<usize>) -> Self {
        self.scheduled = Some(scheduled);
        self
    }

    /// Starts the refresher on the current tokio runtime.
    pub fn spawn(self) -> RefresherHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(self.run(rx));
        RefresherHandle { commands: tx }
    }

    /// The refresher as a task to run where the caller chooses (the UI runs
    /// it on a thread of its own: a reload of 10,000 rows must not stall
    /// keys), and the handle that commands it; the task ends with the handle.
    pub fn into_task(self) -> (RefresherHandle, impl std::future::Future<Output = ()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (RefresherHandle { commands: tx }, self.run(rx))
    }

    /// Runs until every command sender is dropped.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<RefreshCommand>) {
        self.reload(false);
        if let Some(scheduled) = self.scheduled.take() {
            let _ = scheduled.send(self.due.len());
        }
        let mut tasks: JoinSet<Result<Granted, GrantError>> = JoinSet::new();
        let mut watch = tokio::time::interval(WATCH_INTERVAL);
        watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.start_due(&mut tasks);
            let next = self.next_due();
            tokio::select! {
                Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    self.joined(joined);
                }
                command = commands.recv() => match command {
                    None => break,
                    Some(RefreshCommand::Now(id)) => {
                        self.forced.insert(id.clone());
                        self.due.insert(id, Due { at: now(), class: Class::Renewing, urgent: true });
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
        // Let requests in flight finish and store their answers, for a while;
        // a server that hangs must not hold up the stop for its whole timeout.
        let grace = tokio::time::sleep(SHUTDOWN_GRACE);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                joined = tasks.join_next_with_id() => match joined {
                    Some(joined) => self.joined(joined),
                    None => break,
                },
                _ = &mut grace => break,
            }
        }
        tasks.abort_all();
        // Abandoned requests: their leases go back, nothing is recorded.
        for (_, out) in self.out.drain() {
            let _ = self.vault.release_lease(&out.id, &self.holder);
        }
    }

    /// A request task ended: with an answer, or in a panic, which counts as a
    /// failure (logged, backed off) so the connection is not left "in flight".
    fn joined(
        &mut self,
        joined: Result<(tokio::task::Id, Result<Granted, GrantError>), tokio::task::JoinError>,
    ) {
        let (task, result) = match joined {
            Ok((task, result)) => (task, result),
            Err(e) => {
                let task = e.id();
                if let Some(out) = self.out.get(&task) {
                    // The payload may quote anything; only that it happened is logged.
                    tracing::error!(
                        connection = %out.id,
                        name = %out.name,
                        panicked = e.is_panic(),
                        "renewal task ended abnormally; retrying with backoff"
                    );
                }
                (task, Err(GrantError::Internal))
            }
        };
        if let Some(out) = self.out.remove(&task) {
            self.finished(out, result);
        }
    }

    /// Rebuilds the schedule from the vault; with `only_if_changed`, only
    /// when something was written since the last look (its own renewals
    /// included: a reload then finds the schedule it already has).
    fn reload(&mut self, only_if_changed: bool) {
        let mark = match (&self.seen, only_if_changed) {
            (Some(seen), true) => match self.vault.changed_since(seen) {
                Ok(None) => return,
                Ok(Some(mark)) => Some(mark),
                // Unreadable (a backend unreachable for now): read as a change.
                Err(_) => None,
            },
            _ => self.vault.change_mark().ok(),
        };
        self.seen = mark;
        let Some(scanned) = scan_on_own_heap(&mut self.vault) else {
            return;
        };
        // Copied here, so the scan's heap is left with nothing in use.
        let candidates: Vec<Candidate> = scanned.clone();
        drop(scanned);
        crate::platform::release_free_heap();
        let mut seen = HashSet::new();
        for Candidate {
            id,
            record,
            complete,
        } in candidates
        {
            if only_if_changed {
                self.emit(RefreshEvent::Updated {
                    id: id.clone(),
                    record: record.clone(),
                });
            }
            if !self.in_flight.contains_key(&id) {
                match self.plan(&id, &record, complete) {
                    Some(due) => self.due.insert(id.clone(), due),
                    None => self.due.remove(&id),
                };
            }
            seen.insert(id);
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
        match self.plan(
            id,
            &record,
            method.auth.uses_tokens() && missing_fields(&c, method).is_empty(),
        ) {
            Some(due) if !self.in_flight.contains_key(id) => self.due.insert(id.clone(), due),
            _ => self.due.remove(id),
        };
    }

    /// When `id` is next due, from its record (and any caught panics).
    fn plan(&self, id: &ConnectionId, record: &TokenRecord, complete: bool) -> Option<Due> {
        let due = due_at(record, complete, now())?;
        match self.crashes.get(id) {
            // A renewal that panicked is retried like a failure, with backoff.
            Some(&crashes) => Some(Due {
                class: Class::Retrying,
                at: due
                    .at
                    .max(after(now(), backoff(crashes, random_unit(), None))),
                ..due
            }),
            None => Some(due),
        }
    }

    /// How many requests of `class` are out.
    fn out_of(&self, class: Class) -> usize {
        self.in_flight.values().filter(|c| **c == class).count()
    }

    /// Whether a request of `class` may start now.
    fn has_slot(&self, class: Class) -> bool {
        let total = self.in_flight.len();
        let retrying = self.out_of(Class::Retrying);
        let not_renewing = total - self.out_of(Class::Renewing);
        total < MAX_IN_FLIGHT
            && match class {
                Class::Renewing => true,
                Class::First => not_renewing < MAX_IN_FLIGHT - RESERVED_FOR_RENEWALS,
                Class::Retrying => {
                    retrying < MAX_RETRYING_IN_FLIGHT
                        && not_renewing < MAX_IN_FLIGHT - RESERVED_FOR_RENEWALS
                }
            }
    }

    /// The next time something could start: the earliest due connection whose
    /// class has a free slot (a full class waits for one of its requests to end).
    fn next_due(&self) -> Option<OffsetDateTime> {
        self.due
            .iter()
            .filter(|(id, due)| !self.in_flight.contains_key(*id) && self.has_slot(due.class))
            .map(|(_, due)| due.at)
            .min()
    }

    fn start_due(&mut self, tasks: &mut JoinSet<Result<Granted, GrantError>>) {
        let now = now();
        let mut ready: Vec<(Class, bool, OffsetDateTime, ConnectionId)> = self
            .due
            .iter()
            .filter(|(id, due)| due.at <= now && !self.in_flight.contains_key(*id))
            .map(|(id, due)| (due.class, !due.urgent, due.at, id.clone()))
            .collect();
        // Renewals first, then first fetches, then retries; within a class,
        // urgent ones, then the longest overdue.
        ready.sort();
        for (class, _, _, id) in ready {
            if self.in_flight.len() >= MAX_IN_FLIGHT {
                break;
            }
            if !self.has_slot(class) {
                continue;
            }
            let force = self.forced.remove(&id);
            let begun = contain(|| begin(self.vault.as_mut(), &id, &self.holder, force, now));
            match begun {
                Ok(Ok(Begin::Send { grant, name, since })) => {
                    self.due.remove(&id);
                    self.in_flight.insert(id.clone(), class);
                    self.emit(RefreshEvent::Started {
                        id: id.clone(),
                        name: name.clone(),
                    });
                    let client = self.client.clone();
                    let task =
                        tasks.spawn(Contained::new(async move { client.request(&grant).await }));
                    self.out.insert(task.id(), Out { id, name, since });
                }
                Ok(Ok(Begin::Fresh(record))) => {
                    self.emit(RefreshEvent::Updated {
                        id: id.clone(),
                        record: record.clone(),
                    });
                    match self.plan(&id, &record, true) {
                        Some(due) => self.due.insert(id, due),
                        None => self.due.remove(&id),
                    };
                }
                Ok(Ok(Begin::Busy)) => {
                    if let Some(due) = self.due.get_mut(&id) {
                        due.at = after(now, BUSY_RECHECK);
                    }
                }
                Ok(Ok(Begin::Cannot(reason))) => {
                    tracing::info!(connection = %id, %reason, "token cannot be renewed");
                    self.due.remove(&id);
                }
                Ok(Err(e)) => {
                    tracing::warn!(connection = %id, error = %e, "renewal not started");
                    self.due.remove(&id);
                }
                Err(_) => {
                    tracing::error!(connection = %id, "starting a renewal panicked; retrying with backoff");
                    // The lease may have been taken before the panic.
                    let _ = self.vault.release_lease(&id, &self.holder);
                    self.crashed(&id, now);
                }
            }
        }
    }

    /// Counts a caught panic for `id` and schedules its retry with backoff.
    fn crashed(&mut self, id: &ConnectionId, now: OffsetDateTime) {
        let crashes = self.crashes.entry(id.clone()).or_default();
        *crashes = crashes.saturating_add(1);
        let wait = backoff(*crashes, random_unit(), None);
        self.due.insert(
            id.clone(),
            Due {
                at: after(now, wait),
                class: Class::Retrying,
                urgent: false,
            },
        );
    }

    fn finished(&mut self, out: Out, result: Result<Granted, GrantError>) {
        let Out { id, name, since } = out;
        self.in_flight.remove(&id);
        let now = now();
        if !matches!(result, Err(GrantError::Internal)) {
            self.crashes.remove(&id);
        }
        let stored = contain(|| finish(self.vault.as_mut(), &id, &self.holder, since, result, now));
        match stored {
            // Edited meanwhile: look at the new credentials.
            Ok(Ok(Finished::Stale)) => self.reschedule(&id),
            Ok(Ok(Finished::Renewed(_))) => {
                let record = self.vault.token_record(&id).unwrap_or_default();
                if let Some(due) = self.plan(&id, &record, true) {
                    self.due.insert(id.clone(), due);
                }
                tracing::debug!(connection = %id, "renewed");
                self.emit(RefreshEvent::Renewed { id, name, record });
            }
            Ok(Ok(Finished::Failed { error, state })) => {
                if matches!(error, GrantError::Internal) {
                    let crashes = self.crashes.entry(id.clone()).or_default();
                    *crashes = crashes.saturating_add(1);
                }
                let record = self.vault.token_record(&id).unwrap_or_default();
                let retry_in = match (state.needs_new_credentials, state.next_attempt_at) {
                    (false, Some(at)) => {
                        let valid = record.token.as_ref().is_some_and(|t| t.is_valid_at(now));
                        self.due.insert(
                            id.clone(),
                            Due {
                                at,
                                class: Class::Retrying,
                                urgent: valid,
                            },
                        );
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
            Ok(Err(e)) => {
                tracing::warn!(connection = %id, error = %e, "renewal result not stored");
                // Not lost: looked at again after a backoff.
                self.crashed(&id, now);
            }
            Err(_) => {
                tracing::error!(connection = %id, "storing a renewal panicked; retrying with backoff");
                let _ = self.vault.release_lease(&id, &self.holder);
                self.crashed(&id, now);
            }
        }
    }

    fn emit(&self, event: RefreshEvent) {
        let _ = self.events.send(event);
    }
}

/// When a connection's token is next due, and for what: `None` when it needs
/// nothing (incomplete, refused credentials, or a token that never expires).
fn due_at(record: &TokenRecord, complete: bool, now: OffsetDateTime) -> Option<Due> {
    if !complete || record.state.needs_new_credentials {
        return None;
    }
    let valid = record.token.as_ref().is_some_and(|t| t.is_valid_at(now));
    if record.state.failures > 0 {
        return Some(Due {
            at: record.state.next_attempt_at.unwrap_or(now),
            class: Class::Retrying,
            urgent: valid,
        });
    }
    let class = if valid { Class::Renewing } else { Class::First };
    let at = match &record.token {
        Some(token) => renew_at(token, random_unit())?,
        None => now,
    };
    Some(Due {
        at,
        class,
        urgent: true,
    })
}

async fn sleep_until(at: Option<OffsetDateTime>) {
    let Some(at) = at else {
        return std::future::pending().await;
    };
    let wait: Duration = (at - now()).try_into().unwrap_or_default();
    tokio::time::sleep(wait).await;
}

/// A connection that keeps tokens, as a reload finds it.
#[derive(Clone)]
struct Candidate {
    id: ConnectionId,
    record: TokenRecord,
    /// Whether every field it needs is set.
    complete: bool,
}

/// Reads every connection to find the few that keep tokens, on a thread of
/// its own. glibc gives each thread its own heap (arena), and a reload of
/// 10,000 connections churns through megabytes; on the refresher's own
/// thread the few records it keeps would end up scattered through that
/// memory and pin it (7 MB kept for 10,000 connections, measured). On a
/// short-lived thread, that heap is wholly free once the caller has copied
/// the candidates out, and goes back to the system. `None` if the vault
/// cannot be read now.
fn scan_on_own_heap(vault: &mut Box<dyn Store>) -> Option<Vec<Candidate>> {
    let on_own_thread = std::thread::scope(|scope| {
        let shared: &mut Box<dyn Store> = vault;
        std::thread::Builder::new()
            .name("flowvault-scan".into())
            .spawn_scoped(scope, move || {
                crate::platform::thread_priority::lower_this_thread();
                let found = token_candidates(&**shared);
                // Its pages and statements were allocated on this heap too.
                shared.shed_caches();
                found
            })
            .ok()
            .map(|scan| {
                scan.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
    });
    // Where no thread can start, scan here: only the memory is worse.
    on_own_thread.unwrap_or_else(|| token_candidates(&**vault))
}

/// The connections of `vault` whose method renews tokens, with their records.
fn token_candidates(vault: &dyn Store) -> Option<Vec<Candidate>> {
    let rows = vault.connections().ok()?;
    let mut records = vault.token_records().unwrap_or_default();
    let catalog = Catalog::embedded();
    let mut out = Vec::new();
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
        out.push(Candidate {
            record: records.remove(&c.id).unwrap_or_default(),
            complete: missing_fields(&c, method).is_empty(),
            id: c.id,
        });
    }
    Some(out)
}
