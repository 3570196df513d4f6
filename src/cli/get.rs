//! `get NAME FIELD` (or `get flowvault://NAME/FIELD`): one value, raw, for
//! a script; or onto the clipboard with `--clip`.

use std::io::{IsTerminal, Write};

use crate::locale::terminal_safe::escape_text;
use crate::vault::audit::AuditAction;

use super::GlobalArgs;
use super::clip;
use super::error::CliError;
use super::output::message;
use super::reference::Reference;
use super::resolve::{Resolver, reference_error};
use super::unlock::open_store;

/// Arguments of `get`.
pub struct GetArgs {
    /// A connection name, or a whole `flowvault://` reference.
    pub name: String,
    pub field: Option<String>,
    pub clip: bool,
    pub raw: bool,
}

/// `get NAME FIELD [--clip] [--raw]`.
pub fn get(global: &GlobalArgs, args: GetArgs) -> Result<(), CliError> {
    let locale = global.locale();
    let reference = match &args.field {
        Some(field) => Reference::new(&args.name, field)
            .map_err(|e| reference_error(locale, &format!("{}/{field}", args.name), &e))?,
        None => {
            Reference::parse(&args.name).map_err(|e| reference_error(locale, &args.name, &e))?
        }
    };
    // No terminal to copy to is said before anything is unlocked or read.
    let mut terminal = args.clip.then(clip::open_terminal).transpose()?;
    let mut vault = open_store(global)?;
    let mut resolver = Resolver::new(vault.as_mut(), locale, time::Duration::ZERO);
    let resolved = resolver.resolve(&reference)?;
    let action = match (&terminal, resolved.is_access_token) {
        (Some(_), _) => AuditAction::Copy,
        (None, true) => AuditAction::TokenPrinted,
        (None, false) => AuditAction::SecretPrinted,
    };
    let value = resolved.value;
    // Recorded first: a value is never handed out without its entry.
    resolver.record(action, Some("get"))?;
    drop(vault);
    if let Some(terminal) = terminal.as_mut() {
        let clear_after = global.file.settings.timeouts().clipboard_clear;
        clip::copy(terminal, &value, clear_after)?;
        message(&match clear_after {
            Some(after) => locale.f(
                "clip.copied",
                &[(
                    "in",
                    &crate::present::labels::duration(
                        locale,
                        time::Duration::try_from(after).unwrap_or(time::Duration::MAX),
                    ),
                )],
            ),
            None => locale.t("clip.copied_no_clear").to_owned(),
        });
        return Ok(());
    }
    print_value(&value, args.raw)
}

/// The value on stdout: exact, with no newline added, for a pipe or a file
/// (what `$(…)` and `>` expect); on a terminal a final newline so the prompt
/// starts on its own line, and control characters escaped unless `raw`.
fn print_value(value: &str, raw: bool) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    let written = if stdout.is_terminal() {
        let shown = if raw {
            value.into()
        } else {
            escape_text(value)
        };
        stdout
            .write_all(shown.as_bytes())
            .and_then(|()| stdout.write_all(b"\n"))
    } else {
        stdout.write_all(value.as_bytes())
    };
    written.and_then(|()| stdout.flush()).map_err(|e| {
        CliError::failure(
            crate::locale::current().f("get.cannot_write", &[("error", &e.to_string())]),
        )
    })
}
