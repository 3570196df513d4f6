//! Performs vault commands for the event loop and turns results into replies.

use std::path::{Path, PathBuf};

use crate::actions::ActionClients;
use crate::auth::TokenClient;
use crate::vault::{Connection, KdfParams, Vault, VaultError, VaultStore};

use super::message::{Snapshot, VaultCommand, VaultReply};

/// The vault file the UI works on, open once unlocked.
#[derive(Debug)]
pub struct VaultSession {
    path: PathBuf,
    kdf: KdfParams,
    vault: Option<Vault>,
    token_client: TokenClient,
    action_clients: ActionClients,
}

impl VaultSession {
    /// A session on `path`, locked.
    pub fn new(path: &Path) -> VaultSession {
        VaultSession {
            path: path.to_owned(),
            kdf: KdfParams::default(),
            vault: None,
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
            Err(VaultError::DuplicateName(name)) => VaultReply::DuplicateName(name),
            Err(VaultError::DuplicateFlow(name)) => VaultReply::DuplicateFlow(name),
            Err(e @ (VaultError::Conflict(_) | VaultError::IdNotFound(_)))
                if self.vault.is_some() =>
            {
                let message = crate::present::labels::vault_error(crate::locale::current(), &e);
                match self.open_vault().and_then(|v| snapshot(v)) {
                    Ok(snapshot) => VaultReply::Conflict { message, snapshot },
                    Err(_) => VaultReply::Failed(message),
                }
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

    fn try_perform(&mut self, command: VaultCommand) -> Result<VaultReply, VaultError> {
        match command {
            VaultCommand::Open(key) => {
                let vault = Vault::open(&self.path, &key)?;
                let snapshot = snapshot(&vault)?;
                self.vault = Some(vault);
                Ok(VaultReply::Opened(snapshot))
            }
            VaultCommand::Create(key) => {
                let vault = Vault::create(&self.path, &key, self.kdf)?;
                self.vault = Some(vault);
                Ok(VaultReply::Opened(Snapshot::default()))
            }
            VaultCommand::Add(connection) => {
                let vault = self.open_vault()?;
                vault.add_connection(&connection)?;
                Ok(VaultReply::Saved {
                    snapshot: snapshot(vault)?,
                    select: Some(connection.id),
                })
            }
            VaultCommand::Edit {
                base,
                name,
                changes,
            } => {
                let vault = self.open_vault()?;
                let mut connection = vault.connection_by_id(&base.id)?;
                if connection.version != base.version
                    && overlaps(&base, &connection, &name, &changes)
                {
                    return Err(VaultError::Conflict(base.name.clone()));
                }
                // A rename made elsewhere stands unless this edit renames too.
                if name != base.name {
                    connection.name = name;
                }
                for (key, value) in changes {
                    connection.fields.set(key, value.expose());
                }
                connection.updated_at = crate::vault::now();
                vault.update_connection(&connection)?;
                Ok(VaultReply::Saved {
                    snapshot: snapshot(vault)?,
                    select: Some(base.id),
                })
            }
            VaultCommand::Delete(id) => {
                let vault = self.open_vault()?;
                vault.delete_connection(&id)?;
                Ok(VaultReply::Saved {
                    snapshot: snapshot(vault)?,
                    select: None,
                })
            }
            VaultCommand::AddFlow(flow) => {
                let vault = self.open_vault()?;
                vault.add_flow(&flow)?;
                Ok(VaultReply::Saved {
                    snapshot: snapshot(vault)?,
                    select: None,
                })
            }
            VaultCommand::RenameFlow(flow, name) => {
                let vault = self.open_vault()?;
                vault.rename_flow(&flow, &name)?;
                Ok(VaultReply::Saved {
                    snapshot: snapshot(vault)?,
                    select: None,
                })
            }
            VaultCommand::DeleteFlow(id) => {
                let vault = self.open_vault()?;
                vault.delete_flow(&id)?;
                Ok(VaultReply::Saved {
                    snapshot: snapshot(vault)?,
                    select: None,
                })
            }
            VaultCommand::Reload => Ok(VaultReply::Reloaded(snapshot(self.open_vault()?)?)),
            VaultCommand::SaveFlow(flow) => {
                let vault = self.open_vault()?;
                vault.save_steps(&flow)?;
                Ok(VaultReply::Saved {
                    snapshot: snapshot(vault)?,
                    select: None,
                })
            }
        }
    }

    /// The open vault, for a second handle (the token refresher).
    pub fn vault(&self) -> Option<&Vault> {
        self.vault.as_ref()
    }

    fn open_vault(&mut self) -> Result<&mut Vault, VaultError> {
        self.vault.as_mut().ok_or(VaultError::CannotUnlock)
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

fn snapshot(vault: &Vault) -> Result<Snapshot, VaultError> {
    Ok(Snapshot {
        rows: vault.connections()?,
        tokens: vault.token_records()?,
        flows: vault.flows()?,
    })
}
