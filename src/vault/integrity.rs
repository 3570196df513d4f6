//! What the whole-vault digest found: records removed, added or rolled back
//! behind flowvault's back.

use std::fmt;

/// The kinds of record the digest covers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum RecordKind {
    Connections,
    Tokens,
    RenewalStates,
    Flows,
    FlowSteps,
}

impl RecordKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Connections,
        RecordKind::Tokens,
        RecordKind::RenewalStates,
        RecordKind::Flows,
        RecordKind::FlowSteps,
    ];

    /// The kind's table, which is also its name in reports.
    pub fn table(self) -> &'static str {
        match self {
            RecordKind::Connections => "connections",
            RecordKind::Tokens => "tokens",
            RecordKind::RenewalStates => "refresh_state",
            RecordKind::Flows => "flows",
            RecordKind::FlowSteps => "flow_steps",
        }
    }
}

/// How the records of one kind differ from what the digest expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KindMismatch {
    pub kind: RecordKind,
    /// How many records the digest counts.
    pub expected: u64,
    /// How many records the file holds.
    pub found: u64,
}

impl KindMismatch {
    /// What happened, as far as counts can tell.
    pub fn change(&self) -> Change {
        match self.found.cmp(&self.expected) {
            std::cmp::Ordering::Less => Change::Removed(self.expected - self.found),
            std::cmp::Ordering::Greater => Change::Added(self.found - self.expected),
            std::cmp::Ordering::Equal => Change::RolledBack,
        }
    }
}

/// One kind's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Removed(u64),
    Added(u64),
    /// As many records as expected, but not the ones the digest was made over.
    RolledBack,
}

/// Every kind of record whose rows do not match the sealed digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IntegrityReport {
    pub mismatches: Vec<KindMismatch>,
}

impl fmt::Display for IntegrityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.mismatches.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let table = m.kind.table();
            match m.change() {
                Change::Removed(n) => write!(f, "{n} {table} row(s) removed")?,
                Change::Added(n) => write!(f, "{n} {table} row(s) added")?,
                Change::RolledBack => write!(f, "{table} rows replaced by older copies")?,
            }
        }
        Ok(())
    }
}
