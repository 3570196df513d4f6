//! PLACEHOLDER (issue 11, branch i11-store): the file's audit trail is written
//! on branch i11-audit, whose version of this file replaces this one at
//! merge. It exists only so that `impl Store for Vault` compiles here.

use super::Vault;
use crate::vault::audit::{AuditCheck, AuditEntry, AuditEvent, AuditQuery};
use crate::vault::error::VaultError;
use crate::vault::store::AuditLog;

impl AuditLog for Vault {
    fn append_audit(&mut self, _event: &AuditEvent) -> Result<(), VaultError> {
        unimplemented!("audit trail: branch i11-audit")
    }

    fn audit_entries(&self, _query: &AuditQuery) -> Result<Vec<AuditEntry>, VaultError> {
        unimplemented!("audit trail: branch i11-audit")
    }

    fn verify_audit(&self) -> Result<AuditCheck, VaultError> {
        unimplemented!("audit trail: branch i11-audit")
    }
}
