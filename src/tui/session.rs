//! Performs vault commands for the event loop and turns results into replies.

use std::path::Path;

use crate::actions::ActionClients;
use crate::auth::TokenClient;
use crate::vault::{
    BaoOptions, ChangeMark, Connection, Flow, KdfParams, Store, StoreAccess, UnlockKey, VaultError,
    VaultLocation,
};

use super::message::{Conflict, Done, Snapshot, StepsChange, VaultCommand, VaultReply};
use super::screens::list::ListRow;

/// How many connections the first screen of a vault is drawn with: more
/// than any terminal shows. Decoding 10,000 takes some 100 ms; these, a few.
const FIRST_PAGE: usize = 256;

/// The vault the UI works on, open once unlocked (a file) or connected (OpenBao).
pub struct VaultSession {
    location: VaultLocation,
    bao: BaoOptions,
    kdf: KdfParams,
    vault: Option<Box<dyn Store>>,
    /// The vault's change mark when this session last read it.
    seen: Option<ChangeMark>,
    /// The last look at the vault found its server unreachable.
    unreachable: bool,
    token_client: TokenClient,
    action_clients: ActionClients,
}

impl std::fmt::Debug for VaultSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSession")
            .field("location", &self.location)
            .field("open", &self.vault.is_some())
            .finish_non_exhaustive()
    }
}

impl VaultSession {
    /// A session on the vault file at `path`, locked.
    pub fn new(path: &Path) -> VaultSession {
        VaultSession::at(VaultLocation::File(path.to_owned()), BaoOptions::default())
    }

    /// A session on the vault at `location`, not open yet; `bao` logs in
    /// when it is on OpenBao.
    pub fn at(location: VaultLocation, bao: BaoOptions) -> VaultSession {
        VaultSession {
            location,
            bao,
            kdf: KdfParams::default(),
            vault: None,
            seen: None,
            unreachable: false,
            token_client: TokenClient::new(),
            action_clients: ActionClients::new(),
        }
    }

    /// Uses other KDF costs for vaults created here (tests use cheaper ones).
    pub fn with_kdf(mut self, kdf: KdfParams) -> VaultSession {
        self.kdf = kdf;
        self
    }

    /// Uses another HTTP client for tokens (tests use short timeouts).
    pub fn with_token_client(mut self, client: TokenClient) -> VaultSession {
        self.token_client = client;
        self
    }

    /// The HTTP clients flow runs use.
    pub fn action_clients(&self) -> &ActionClients {
        &self.action_clients
    }

    /// The HTTP client the refresher uses.
    pub fn token_client(&self) -> &TokenClient {
        &self.token_client
    }

    /// Runs one command against the file.
    pub fn perform(&mut self, command: VaultCommand) -> VaultReply {
        match self.try_perform(command) {
            Ok(reply) => reply,
            Err(VaultError::CannotUnlock) => VaultReply::WrongKey,
            Err(VaultError::AgentLocked) => {
                self.vault = None;
                VaultReply::AgentLocked { noticed: false }
            }
            Err(VaultError::DuplicateName(name)) => VaultReply::DuplicateName(name),
            Err(VaultError::DuplicateFlow(name)) => VaultReply::DuplicateFlow(name),
            Err(e @ (VaultError::Conflict(_) | VaultError::IdNotFound(_)))
                if self.vault.is_some() =>
            {
                let message = crate::present::labels::vault_error(crate::locale::current(), &e);
                self.refused(Conflict::Other(message.clone()))
                    .unwrap_or(VaultReply::Failed(message))
            }
            Err(e) => {
                tracing::warn!(error = %e, "vault command failed");
                VaultReply::Failed(crate::present::labels::vault_error(
                    crate::locale::current(),
                    &e,
                ))
            }
        }
    }

    /// The vault as it is now, if another process (or this UI's refresher)
    /// wrote to it since this session last read it; `None`, after one look
    /// at the change mark, otherwise.
    /// The periodic look at the vault: news of changes made elsewhere, of
    /// the server becoming unreachable (said once), or of it answering again
    /// (with the vault as it is now).
    pub fn poll(&mut self) -> Option<VaultReply> {
        let vault = self.vault.as_deref()?;
        let looked = match &self.seen {
            Some(seen) => vault.changed_since(seen),
            None => vault.change_mark().map(Some),
        };
        match looked {
            Err(e) if is_unreachable(&e) => {
                if std::mem::replace(&mut self.unreachable, true) {
                    return None;
                }
                let text = crate::present::labels::vault_error(crate::locale::current(), &e);
                Some(VaultReply::Unreachable(text))
            }
            Err(VaultError::AgentLocked) => {
                // Once: with the vault let go, there is nothing to look at.
                self.vault = None;
                Some(VaultReply::AgentLocked { noticed: true })
            }
            Err(_) => None,
            Ok(mark) if std::mem::take(&mut self.unreachable) => {
                // Back: whatever changed meanwhile, the whole vault again.
                self.seen = mark.or(self.seen.take());
                snapshot(vault, None).ok().map(VaultReply::Reachable)
            }
            Ok(None) => None,
            Ok(Some(mark)) => {
                self.seen = Some(mark);
                snapshot(vault, None).ok().map(VaultReply::ChangedElsewhere)
            }
        }
    }

    /// A refused write's reply, with the vault as it is now.
    fn refused(&mut self, conflict: Conflict) -> Result<VaultReply, VaultError> {
        let snapshot = self.read_all()?;
        Ok(VaultReply::Conflict { conflict, snapshot })
    }

    fn saved(&mut self, done: Done) -> Result<VaultReply, VaultError> {
        let snapshot = self.read_all()?;
        Ok(VaultReply::Saved { done, snapshot })
    }

    /// Everything the UI shows, and the mark it stands for. The mark is read
    /// first: a write landing between the two is then seen again at the next
    /// poll rather than missed. This session's own writes move the mark too,
    /// and are taken in here.
    fn read_all(&mut self) -> Result<Snapshot, VaultError> {
        self.read(None)
    }

    /// As [`Self::read_all`], but at most the first page of connections;
    /// the app asks for the rest once it has drawn them.
    fn read_first_page(&mut self) -> Result<Snapshot, VaultError> {
        self.read(Some(FIRST_PAGE))
    }

    fn read(&mut self, limit: Option<usize>) -> Result<Snapshot, VaultError> {
        let vault = self.open_vault()?;
        let mark = vault.change_mark()?;
        let snapshot = snapshot(vault, limit)?;
        self.seen = Some(mark);
        Ok(snapshot)
    }

    fn access(&self, unlock: Option<UnlockKey>) -> StoreAccess {
        StoreAccess {
            unlock,
            bao: self.bao.clone(),
        }
    }

    fn try_perform(&mut self, command: VaultCommand) -> Result<VaultReply, VaultError> {
        match command {
            VaultCommand::Open(key) => {
                let access = self.access(Some(key));
                self.vault = Some(crate::vault::open_store(&self.location, &access)?);
                Ok(VaultReply::Opened(self.read_first_page()?))
            }
            VaultCommand::Connect => {
                let access = self.access(None);
                self.vault = Some(crate::vault::open_store(&self.location, &access)?);
                Ok(VaultReply::Opened(self.read_first_page()?))
            }
            VaultCommand::Create(key) => {
                let access = self.access(Some(key));
                let vault = crate::vault::create_store(&self.location, &access, self.kdf)?;
                self.seen = vault.change_mark().ok();
                self.vault = Some(vault);
                Ok(VaultReply::Opened(Snapshot::default()))
            }
            VaultCommand::Add(connection) => {
                self.open_vault()?.add_connection(&connection)?;
                self.saved(Done::Added(connection.id))
            }
            VaultCommand::Edit {
                base,
                name,
                changes,
            } => {
                let vault = self.open_vault()?;
                let mut connection = match vault.connection_by_id(&base.id) {
                    Ok(connection) => connection,
                    Err(VaultError::IdNotFound(_)) => {
                        return self.refused(Conflict::Deleted(base.id));
                    }
                    Err(e) => return Err(e),
                };
                if connection.version != base.version
                    && overlaps(&base, &connection, &name, &changes)
                {
                    return self.refused(Conflict::Changed(Box::new(connection)));
                }
                // A rename made elsewhere stands unless this edit renames too.
                if name != base.name {
                    connection.name = name;
                }
                for (key, value) in changes {
                    connection.fields.set(key, value.expose());
                }
                connection.updated_at = crate::vault::now();
                match vault.update_connection(&connection) {
                    Ok(_) => self.saved(Done::Updated(base.id)),
                    // Another writer came between the read and the write.
                    Err(VaultError::Conflict(_) | VaultError::IdNotFound(_)) => {
                        match vault.connection_by_id(&base.id) {
                            Ok(now) => self.refused(Conflict::Changed(Box::new(now))),
                            Err(_) => self.refused(Conflict::Deleted(base.id)),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            VaultCommand::Delete(id) => {
                let vault = self.open_vault()?;
                let name = vault.connection_by_id(&id).ok().map(|c| c.name);
                vault.delete_connection(&id)?;
                self.saved(Done::Deleted { id, name })
            }
            VaultCommand::AddFlow(flow) => {
                self.open_vault()?.add_flow(&flow)?;
                self.saved(Done::FlowAdded(flow.id))
            }
            VaultCommand::RenameFlow(flow, name) => {
                self.open_vault()?.rename_flow(&flow, &name)?;
                self.saved(Done::FlowRenamed(flow.id))
            }
            VaultCommand::DeleteFlow(id) => {
                let vault = self.open_vault()?;
                let name = vault
                    .flows()?
                    .into_iter()
                    .find(|f| f.id == id)
                    .map(|f| f.name)
                    .unwrap_or_default();
                vault.delete_flow(&id)?;
                self.saved(Done::FlowDeleted { id, name })
            }
            VaultCommand::Reload => Ok(VaultReply::Reloaded(self.read_all()?)),
            VaultCommand::Audit(event) => super::history::record(self.open_vault()?, &event),
            VaultCommand::History(id) => super::history::read(self.open_vault()?, id),
            VaultCommand::Lock => {
                // Dropping the store drops its key; the next command needs an unlock.
                self.vault = None;
                self.seen = None;
                self.unreachable = false;
                Ok(VaultReply::Locked)
            }
            VaultCommand::SaveFlow(flow) => {
                let vault = self.open_vault()?;
                let stored = vault.flows()?.into_iter().find(|f| f.id == flow.id);
                let change = stored.map_or(StepsChange::Unchanged, |s| steps_change(&s, &flow));
                vault.save_steps(&flow)?;
                self.saved(Done::StepsSaved {
                    flow: flow.id,
                    change,
                })
            }
        }
    }

    /// The open vault, for a second handle (the token refresher).
    pub fn vault(&self) -> Option<&dyn Store> {
        self.vault.as_deref()
    }

    fn open_vault(&mut self) -> Result<&mut dyn Store, VaultError> {
        match self.vault.as_deref_mut() {
            Some(vault) => Ok(vault),
            None => Err(VaultError::CannotUnlock),
        }
    }
}

/// Whether an edit made from `base` touches what was changed elsewhere since
/// (`stored` is the connection now): the same field, or both renamed it.
fn overlaps(
    base: &Connection,
    stored: &Connection,
    name: &str,
    changes: &[(String, crate::vault::SecretValue)],
) -> bool {
    let renamed_here = name != base.name;
    let renamed_there = stored.name != base.name;
    (renamed_here && renamed_there)
        || stored.method != base.method
        || changes
            .iter()
            .any(|(key, _)| stored.fields.get(key) != base.fields.get(key))
}

/// The vault as the UI shows it: every connection, or with `limit` only
/// the oldest ones.
fn snapshot(vault: &dyn Store, limit: Option<usize>) -> Result<Snapshot, VaultError> {
    let mut tokens = vault.token_records()?;
    let now = crate::vault::now();
    let (stored, first_page_of) = match limit {
        Some(limit) => {
            let (first, total) = vault.first_connections(limit)?;
            let part = first.len() < total;
            (first, part.then_some(total))
        }
        None => (vault.connections()?, None),
    };
    let rows = stored
        .into_iter()
        .map(|r| {
            let token = tokens.remove(r.id());
            ListRow::new(r, token, now)
        })
        .collect();
    Ok(Snapshot {
        rows,
        flows: vault.flows()?,
        first_page_of,
    })
}

/// What saving `saved` over `stored` changes, for the notice.
fn steps_change(stored: &Flow, saved: &Flow) -> StepsChange {
    let (before, after) = (&stored.steps, &saved.steps);
    if after.len() > before.len() {
        return StepsChange::ActionAdded;
    }
    if after.len() < before.len() {
        let removed = before.iter().find(|s| !after.iter().any(|a| a.id == s.id));
        return StepsChange::Removed {
            action: removed.map(|s| s.action.clone()).unwrap_or_default(),
        };
    }
    let same_order = before.iter().zip(after).all(|(b, a)| b.id == a.id);
    if !same_order {
        return StepsChange::Moved;
    }
    if before
        .iter()
        .zip(after)
        .any(|(b, a)| b.connection != a.connection)
    {
        return StepsChange::ConnectionSet;
    }
    if before.iter().zip(after).any(|(b, a)| b.inputs != a.inputs) {
        return StepsChange::InputsSaved;
    }
    StepsChange::Unchanged
}

/// Whether `error` says the vault's server cannot be reached now (and may
/// be again): the UI keeps what it shows and retries.
fn is_unreachable(error: &VaultError) -> bool {
    use crate::vault::openbao::OpenBaoError;
    matches!(
        error,
        VaultError::OpenBao(OpenBaoError::Unreachable { .. } | OpenBaoError::Sealed { .. })
    )
}
