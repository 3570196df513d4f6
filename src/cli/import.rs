//! `import FILE`: an export merged into this vault, checked whole before
//! anything is written, then written in one transaction (a vault file).

use std::io::Read;
use std::path::PathBuf;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::export::{
    Change, ImportPlan, PlannedRecord, is_passphrase_encrypted, open_document, plan_import,
    validate,
};
use crate::vault::{Connection, StoredConnection};

use super::GlobalArgs;
use super::age_keys;
use super::error::{CliError, Exit};
use super::export::porting_error;
use super::output::{message, print_json};
use super::unlock;

/// The largest export read: far above 10,000 connections (some 10 MB).
const MAX_EXPORT_BYTES: u64 = 1 << 30;

/// What `import` was given.
#[derive(Debug)]
pub struct ImportArgs {
    /// The file, or `-` for standard input.
    pub file: PathBuf,
    pub identity: Option<PathBuf>,
    pub age_passphrase_file: Option<PathBuf>,
    pub overwrite: bool,
    pub check: bool,
    pub json: bool,
}

/// Imports `args.file` into the vault, or with `--check` says what would change.
pub fn import(global: &GlobalArgs, args: ImportArgs) -> Result<(), CliError> {
    let shown = args.file.display().to_string();
    let bytes = read_export(&args)?;
    let passphrase_encrypted =
        is_passphrase_encrypted(&bytes).map_err(|e| porting_error(&args.file, e))?;
    let decryption = age_keys::decryption(
        &shown,
        passphrase_encrypted,
        args.identity.as_deref(),
        args.age_passphrase_file.as_deref(),
    )?;
    let document = open_document(&bytes, decryption).map_err(|e| porting_error(&args.file, e))?;
    validate(&document, Catalog::embedded()).map_err(|e| porting_error(&args.file, e))?;

    let mut store = unlock::open_store(global)?;
    store.read_on_two_threads();
    let existing = intact(store.connections()?)?;
    let flows = store.flows()?;
    let plan = plan_import(&document, &existing, &flows, args.overwrite);
    if args.check {
        print_plan(&plan, args.json);
        message(&summary(&shown, &plan, "porting.would_import"));
        return refuse_conflicts(&plan);
    }
    refuse_conflicts(&plan)?;
    if !plan.batch.is_empty() {
        store.write_batch(&plan.batch)?;
    }
    let tokens = plan.batch.tokens.len();
    store.append_audit(&AuditEvent {
        action: AuditAction::Import,
        target: None,
        detail: Some(format!(
            "from {shown}: connections {} added, {} replaced; flows {} added, {} replaced; {tokens} tokens",
            plan.batch.added.len(),
            plan.batch.updated.len(),
            plan.batch.added_flows.len(),
            plan.batch.updated_flows.len(),
        )),
    })?;
    message(&summary(&shown, &plan, "porting.imported"));
    Ok(())
}

/// The export's bytes, from the file or standard input, with a bound.
fn read_export(args: &ImportArgs) -> Result<Vec<u8>, CliError> {
    let shown = args.file.display().to_string();
    let failed = |error: std::io::Error| {
        CliError::failure(crate::locale::current().f(
            "porting.read_failed",
            &[("path", &shown), ("error", &error.to_string())],
        ))
    };
    let mut bytes = Vec::new();
    let read = if args.file.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_EXPORT_BYTES)
            .read_to_end(&mut bytes)
    } else {
        match std::fs::File::open(&args.file) {
            Ok(file) => file.take(MAX_EXPORT_BYTES).read_to_end(&mut bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CliError {
                    exit: Exit::NotFound,
                    message: failed(e).message,
                });
            }
            Err(e) => Err(e),
        }
    };
    read.map_err(failed)?;
    Ok(bytes)
}

/// Every connection of this vault, or the first damaged one as exit 4.
fn intact(stored: Vec<StoredConnection>) -> Result<Vec<Connection>, CliError> {
    stored
        .into_iter()
        .map(|s| match s {
            StoredConnection::Intact(c) => Ok(c),
            StoredConnection::Damaged(d) => Err(CliError {
                exit: Exit::Integrity,
                message: crate::locale::current().f(
                    "porting.damaged_destination",
                    &[(
                        "record",
                        &match &d.name {
                            Some(name) => format!("connection “{name}”"),
                            None => format!("connection {}", d.id),
                        },
                    )],
                ),
            }),
        })
        .collect()
}

/// Exit 2 naming the records that clash, when any do.
fn refuse_conflicts(plan: &ImportPlan) -> Result<(), CliError> {
    let conflicts = plan.conflicts();
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(CliError::usage(crate::locale::current().f(
        "porting.conflicts",
        &[("records", &conflicts.join(", "))],
    )))
}

/// One line a record on stdout, `CHANGE<TAB>KIND<TAB>NAME` (untranslated,
/// for scripts), or JSON.
fn print_plan(plan: &ImportPlan, json: bool) {
    #[derive(Serialize)]
    struct Row<'a> {
        kind: &'static str,
        name: &'a str,
        change: Change,
    }
    let rows: Vec<Row<'_>> = [("connection", &plan.connections), ("flow", &plan.flows)]
        .into_iter()
        .flat_map(|(kind, records): (&'static str, &Vec<PlannedRecord>)| {
            records.iter().map(move |r| Row {
                kind,
                name: &r.name,
                change: r.change,
            })
        })
        .collect();
    if json {
        print_json(&rows);
        return;
    }
    for row in rows {
        let change = serde_json::to_value(row.change)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!("{}", super::tsv::record(&[&change, row.kind, row.name]));
    }
}

fn summary(file: &str, plan: &ImportPlan, key: &str) -> String {
    let n = |list: &[PlannedRecord], change| ImportPlan::count(list, change).to_string();
    let (c, f) = (&plan.connections, &plan.flows);
    crate::locale::current().f(
        key,
        &[
            ("path", file),
            ("c_added", &n(c, Change::Added)),
            ("c_same", &n(c, Change::Unchanged)),
            ("c_over", &n(c, Change::Overwritten)),
            ("c_conflict", &n(c, Change::Conflict)),
            ("f_added", &n(f, Change::Added)),
            ("f_same", &n(f, Change::Unchanged)),
            ("f_over", &n(f, Change::Overwritten)),
            ("f_conflict", &n(f, Change::Conflict)),
            ("tokens", &plan.batch.tokens.len().to_string()),
        ],
    )
}
