//! The audit trail in KV: `audit/<seq>` written create-only (cas=0), each
//! entry sealed and chained: its `mac` is HMAC-SHA256, under a key derived
//! from the data key ("flowvault/audit-chain/v1"), of the previous entry's
//! mac (32 zero bytes for the first) || seq (u64 big-endian) || the sealed
//! entry's bytes. Removing, altering or reordering an entry breaks the chain.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::error::OpenBaoError;
use super::store::{OpenBaoStore, b64};
use crate::vault::audit::{AuditCheck, AuditEntry, AuditEvent, AuditQuery};
use crate::vault::error::VaultError;

const KIND: &str = "audit";
/// Appends racing with others move on to the next seq this many times.
const MAX_TRIES: usize = 32;

/// One stored entry: its seq, the entry if it opens, its sealed bytes and mac.
type Stored = (u64, Option<AuditEntry>, Option<Vec<u8>>, Option<Vec<u8>>);

fn key(seq: u64) -> String {
    format!("{KIND}/{seq}")
}

fn decode_b64(value: &serde_json::Value) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str()?)
        .ok()
}

impl OpenBaoStore {
    fn chain_mac(&self, previous: &[u8], seq: u64, sealed: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.audit_key.expose())
            .expect("HMAC takes keys of any length");
        mac.update(previous);
        mac.update(&seq.to_be_bytes());
        mac.update(sealed);
        mac.finalize().into_bytes().to_vec()
    }

    /// The seqs present, in order.
    fn seqs(&self) -> Result<Vec<u64>, VaultError> {
        let mut seqs: Vec<u64> = self
            .kv
            .list(KIND)?
            .iter()
            .filter_map(|k| k.parse().ok())
            .collect();
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// The seq after the last entry.
    fn next_seq(&self) -> Result<u64, VaultError> {
        Ok(self.seqs()?.last().copied().unwrap_or(0) + 1)
    }

    /// The mac of entry `seq` (zeros before the first).
    fn mac_of(&self, seq: u64) -> Result<Vec<u8>, VaultError> {
        if seq == 0 {
            return Ok(vec![0; 32]);
        }
        let entry = self.kv.read(&key(seq))?;
        Ok(entry
            .and_then(|e| decode_b64(&e.data["mac"]))
            .unwrap_or_else(|| vec![0; 32]))
    }

    pub(super) fn append_entry(&mut self, event: &AuditEvent) -> Result<(), VaultError> {
        let mut seq = match self.audit_next {
            Some(next) => next,
            None => self.next_seq()?,
        };
        for attempt in 1..=MAX_TRIES {
            let entry = AuditEntry {
                seq,
                at: crate::vault::model::now(),
                actor: self.actor.clone(),
                event: event.clone(),
            };
            let sealed = self.seal(KIND, &seq.to_string(), &entry)?;
            let sealed_bytes = decode_b64(&sealed["sealed"]).expect("just encoded");
            let mac = self.chain_mac(&self.mac_of(seq - 1)?, seq, &sealed_bytes);
            let data = json!({ "sealed": sealed["sealed"], "mac": b64(&mac) });
            match self.kv.write(&key(seq), data, 0) {
                Ok(_) => {
                    self.audit_next = Some(seq + 1);
                    return self.bump();
                }
                // Taken by another writer: the next one, or past the end
                // of the trail when the remembered seq is far behind.
                Err(OpenBaoError::CasConflict { .. }) if attempt % 4 == 0 => {
                    seq = self.next_seq()?.max(seq + 1);
                }
                Err(OpenBaoError::CasConflict { .. }) => seq += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Err(OpenBaoError::CasConflict { path: key(seq) }.into())
    }

    /// Every entry that opens, in order.
    fn all_entries(&self) -> Result<Vec<Stored>, VaultError> {
        let seqs = self.seqs()?;
        let keys: Vec<String> = seqs.iter().map(|s| key(*s)).collect();
        let mut out = Vec::with_capacity(seqs.len());
        for (seq, entry) in seqs.iter().zip(self.kv.read_many(&keys)) {
            let Some(entry) = entry? else { continue };
            let opened = self.open::<AuditEntry>(KIND, &seq.to_string(), &entry.data);
            out.push((
                *seq,
                opened,
                decode_b64(&entry.data["sealed"]),
                decode_b64(&entry.data["mac"]),
            ));
        }
        Ok(out)
    }

    pub(super) fn query_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, VaultError> {
        let mut entries: Vec<AuditEntry> = self
            .all_entries()?
            .into_iter()
            .filter_map(|(_, e, _, _)| e)
            .filter(|e| {
                query
                    .target_id
                    .as_ref()
                    .is_none_or(|id| e.event.target.as_ref().is_some_and(|t| &t.id == id))
                    && query.since.is_none_or(|since| e.at >= since)
            })
            .collect();
        if let Some(last) = query.last {
            entries.drain(..entries.len().saturating_sub(last));
        }
        Ok(entries)
    }

    pub(super) fn check_chain(&self) -> Result<AuditCheck, VaultError> {
        let mut previous = vec![0u8; 32];
        let mut expected = 1u64;
        for (seq, entry, sealed, mac) in self.all_entries()? {
            let broken = |reason: &str| {
                Ok(AuditCheck::Broken {
                    seq,
                    reason: reason.to_owned(),
                })
            };
            if seq != expected {
                return Ok(AuditCheck::Broken {
                    seq: expected,
                    reason: "entry removed".into(),
                });
            }
            let (Some(entry), Some(sealed), Some(mac)) = (entry, sealed, mac) else {
                return broken("entry altered: it does not open");
            };
            if entry.seq != seq {
                return broken("entry moved from another position");
            }
            if self.chain_mac(&previous, seq, &sealed) != mac {
                return broken("chain broken: an entry before it was altered or removed");
            }
            previous = mac;
            expected += 1;
        }
        Ok(AuditCheck::Intact {
            entries: expected - 1,
        })
    }
}
