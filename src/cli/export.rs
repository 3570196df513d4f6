//! `export FILE`: every connection, token and flow into an age-encrypted
//! file, written whole or not at all.

use std::fs::OpenOptions;
use std::io::{BufWriter, IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::export::{
    Encryption, ExportDocument, PortingError, build_document, seal_document,
};

use super::GlobalArgs;
use super::age_keys;
use super::error::{CliError, Exit};
use super::output::message;
use super::unlock;

/// What `export` was given.
#[derive(Debug)]
pub struct ExportArgs {
    /// The file, or `-` for standard output.
    pub file: PathBuf,
    pub recipients: Vec<String>,
    pub age_passphrase_file: Option<PathBuf>,
    pub force: bool,
}

/// Exports the vault into `args.file`.
pub fn export(global: &GlobalArgs, args: ExportArgs) -> Result<(), CliError> {
    let locale = global.locale();
    let to_stdout = args.file.as_os_str() == "-";
    // What can be refused without the vault is refused first.
    for recipient in &args.recipients {
        age_keys::parse_recipient(recipient)?;
    }
    if to_stdout && std::io::stdout().is_terminal() {
        return Err(CliError::usage(locale.t("porting.stdout_is_terminal")));
    }
    if let (false, crate::vault::VaultLocation::File(vault)) =
        (to_stdout, unlock::location(global)?)
        && crate::vault::file_admin::same_file(&vault, &args.file)
    {
        return Err(CliError::usage(locale.t("porting.export_same_file")));
    }
    if !to_stdout && !args.force && std::fs::symlink_metadata(&args.file).is_ok() {
        return Err(crate::vault::VaultError::FileExists(args.file.clone()).into());
    }
    let mut store = unlock::open_store(global)?;
    store.read_on_two_threads();
    let document = build_document(store.as_ref()).map_err(|e| porting_error(&args.file, e))?;
    let encryption = age_keys::encryption(&args.recipients, args.age_passphrase_file.as_deref())?;
    let how = match &encryption {
        Encryption::Passphrase(_) => "passphrase".to_owned(),
        Encryption::Recipients(r) => format!("{} recipients", r.len()),
    };
    if to_stdout {
        let stdout = std::io::stdout().lock();
        seal_document(&document, encryption, BufWriter::new(stdout))
            .and_then(|mut w| w.flush().map_err(PortingError::Write))
            .map_err(|e| porting_error(&args.file, e))?;
    } else {
        write_file(&args.file, args.force, &document, encryption)?;
    }
    let counts = Counts::of(&document);
    store.append_audit(&AuditEvent {
        action: AuditAction::Export,
        target: None,
        detail: Some(format!(
            "{} connections, {} flows, {} tokens to {} ({how})",
            counts.connections,
            counts.flows,
            counts.tokens,
            args.file.display()
        )),
    })?;
    message(&locale.f(
        "porting.exported",
        &[
            ("connections", &counts.connections.to_string()),
            ("flows", &counts.flows.to_string()),
            ("tokens", &counts.tokens.to_string()),
            ("path", &args.file.display().to_string()),
        ],
    ));
    Ok(())
}

/// How many records a document holds.
struct Counts {
    connections: usize,
    flows: usize,
    tokens: usize,
}

impl Counts {
    fn of(doc: &ExportDocument) -> Counts {
        Counts {
            connections: doc.connections.len(),
            flows: doc.flows.len(),
            tokens: doc.connections.iter().filter(|c| c.token.is_some()).count(),
        }
    }
}

/// Writes the sealed document into a private temporary file beside `dest`,
/// synced, then moves it into place; on any failure it is removed.
fn write_file(
    dest: &Path,
    force: bool,
    document: &ExportDocument,
    encryption: Encryption,
) -> Result<(), CliError> {
    let temp = crate::vault::temp_beside(dest, "export");
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(PortingError::Write)
        .and_then(|file| seal_document(document, encryption, BufWriter::new(file)))
        .and_then(|writer| {
            let file = writer
                .into_inner()
                .map_err(|e| PortingError::Write(e.into_error()))?;
            file.sync_all().map_err(PortingError::Write)
        })
        .map_err(|e| porting_error(dest, e))
        .and_then(|()| Ok(crate::vault::put_in_place(&temp, dest, force)?));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// An export or import error in the interface language, with its exit code.
pub fn porting_error(file: &Path, error: PortingError) -> CliError {
    let locale = crate::locale::current();
    let path = file.display().to_string();
    let (exit, message) = match error {
        PortingError::WrongKey => (
            Exit::CannotUnlock,
            locale.f("porting.wrong_key", &[("path", &path)]),
        ),
        PortingError::Damaged(detail) => (
            Exit::Integrity,
            locale.f("porting.damaged", &[("path", &path), ("detail", &detail)]),
        ),
        PortingError::NotAnExport(detail) => (
            Exit::Failure,
            locale.f(
                "porting.not_an_export",
                &[("path", &path), ("detail", &detail)],
            ),
        ),
        PortingError::TooMuchWork(n) => (
            Exit::Failure,
            locale.f(
                "porting.too_much_work",
                &[("path", &path), ("n", &n.to_string())],
            ),
        ),
        PortingError::Invalid(problems) => (
            Exit::Failure,
            locale.f(
                "porting.invalid",
                &[("path", &path), ("problems", &problems.join("; "))],
            ),
        ),
        PortingError::DamagedRecord(record) => (
            Exit::Integrity,
            locale.f("porting.damaged_record", &[("record", &record)]),
        ),
        PortingError::Write(error) => (
            Exit::Failure,
            locale.f(
                "porting.write_failed",
                &[("path", &path), ("error", &error.to_string())],
            ),
        ),
        PortingError::Vault(e) => return e.into(),
    };
    CliError { exit, message }
}
