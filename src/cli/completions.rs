//! Shell completions: the registration script `completions SHELL` prints,
//! and the candidates the shell asks the binary for while the user types.
//!
//! The script calls back into `flowvault` (clap_complete's dynamic engine,
//! `FLOWVAULT_COMPLETE=SHELL flowvault -- ARGS…`), so subcommands and flags
//! always match the installed binary, and names come from the vault itself
//! when it opens without asking anything: a key file (`--key-file` on the
//! line being completed, or `FLOWVAULT_KEY_FILE`) or a passphrase file.

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches};
use clap_complete::env::Shells;
use clap_complete::{CompleteEnv, CompletionCandidate};

use crate::catalog::Catalog;
use crate::vault::VaultLocation;

use super::error::CliError;
use super::{Cli, GlobalArgs};

/// The variable that turns a run of the binary into a completion request.
///
/// Not clap's default `COMPLETE`: a variable of that name set for another
/// tool must not turn every `flowvault` command into a completion.
pub const COMPLETE_VAR: &str = "FLOWVAULT_COMPLETE";

/// Answers a completion request and exits, when the shell made one.
///
/// Called first thing in `main`: stdout must hold nothing but the answer.
pub fn answer_if_asked() {
    CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .complete();
}

/// `completions SHELL`: the script that registers completion in that shell.
pub fn print_registration(shell: &str) -> Result<(), CliError> {
    let shells = Shells::builtins();
    let completer = shells.completer(shell).ok_or_else(|| {
        CliError::usage(crate::locale::current().f(
            "cli.unknown_shell",
            &[
                ("shell", shell),
                ("shells", &shells.names().collect::<Vec<_>>().join(", ")),
            ],
        ))
    })?;
    // The script calls the binary by the name it was run as, as clap's own
    // `COMPLETE=bash flowvault` does: `flowvault` from PATH, or a path made
    // absolute, so that `./flowvault completions bash` works after a `cd`.
    let invoked = std::env::args_os()
        .next()
        .map_or_else(|| "flowvault".into(), std::path::PathBuf::from);
    let invoked = match std::env::current_dir() {
        Ok(dir) if invoked.components().count() > 1 => dir.join(invoked),
        _ => invoked,
    };
    let mut script = Vec::new();
    completer
        .write_registration(
            COMPLETE_VAR,
            "flowvault",
            "flowvault",
            &invoked.to_string_lossy(),
            &mut script,
        )
        .map_err(|e| CliError::failure(e.to_string()))?;
    if completer.name() == "bash" {
        script = quoted_for_bash(&script);
    }
    std::io::stdout()
        .write_all(&script)
        .map_err(|e| CliError::failure(e.to_string()))
}

/// clap's bash script with `-o filenames`, so that readline quotes what it
/// inserts: a connection named `billing api` goes on the line as
/// `billing\ api`, one word, not two.
fn quoted_for_bash(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("complete -o nospace", "complete -o filenames -o nospace")
        .into_bytes()
}

/// Catalog service ids, with their names as help.
pub fn service_ids() -> Vec<CompletionCandidate> {
    Catalog::embedded()
        .services()
        .iter()
        .map(|s| CompletionCandidate::new(&s.id).help(Some(s.name.clone().into())))
        .collect()
}

/// Catalog action ids, with their names as help.
pub fn action_ids() -> Vec<CompletionCandidate> {
    Catalog::embedded()
        .actions()
        .iter()
        .map(|a| CompletionCandidate::new(&a.id).help(Some(a.name.clone().into())))
        .collect()
}

/// The vault's connection names, when it opens without a prompt.
pub fn connection_names() -> Vec<CompletionCandidate> {
    let Some(store) = open_quietly() else {
        return Vec::new();
    };
    let Ok(rows) = store.connections() else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|r| r.name())
        .map(CompletionCandidate::new)
        .collect()
}

/// The vault's flow names, when it opens without a prompt.
pub fn flow_names() -> Vec<CompletionCandidate> {
    let Some(store) = open_quietly() else {
        return Vec::new();
    };
    let Ok(flows) = store.flows() else {
        return Vec::new();
    };
    flows
        .into_iter()
        .map(|f| CompletionCandidate::new(f.name))
        .collect()
}

/// Connection and flow names together (`audit NAME` takes either), from
/// one opening of the vault.
pub fn record_names() -> Vec<CompletionCandidate> {
    let Some(store) = open_quietly() else {
        return Vec::new();
    };
    let connections = store.connections().unwrap_or_default();
    let flows = store.flows().unwrap_or_default();
    connections
        .iter()
        .filter_map(|r| r.name())
        .map(CompletionCandidate::new)
        .chain(flows.into_iter().map(|f| CompletionCandidate::new(f.name)))
        .collect()
}

/// Opens the vault the line being completed names, if that needs no prompt
/// and no network: a file with a key file or a passphrase file.
fn open_quietly() -> Option<Box<dyn crate::vault::Store>> {
    let global = global_args_of_completed_line()?;
    if global.key_file.is_none() && global.passphrase_file.is_none() {
        return None;
    }
    let location = super::unlock::location(&global).ok()?;
    if !matches!(location, VaultLocation::File(_)) {
        return None;
    }
    super::unlock::open_store(&global).ok()
}

/// The global options of the command line being completed (what follows
/// `--` in `flowvault -- flowvault show --key-file K …`), with the
/// environment's values where it gives none.
fn global_args_of_completed_line() -> Option<GlobalArgs> {
    let args: Vec<OsString> = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .collect();
    global_args_of(args)
}

/// The global options of a partial command line: what it lacks or gets
/// wrong (the word being typed) is ignored.
fn global_args_of(args: Vec<OsString>) -> Option<GlobalArgs> {
    let matches = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(args)
        .ok()?;
    let mut global = GlobalArgs::from_arg_matches(&matches).ok()?;
    // The config file's default vault, as the command itself would use.
    super::configured::apply_config(&mut global);
    Some(global)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_line_still_gives_its_key_file() {
        let args = ["flowvault", "show", "--key-file", "/k", "--vault", "/v.db"]
            .map(OsString::from)
            .to_vec();
        let global = global_args_of(args).expect("global options parse");
        assert_eq!(global.key_file.as_deref(), Some(std::path::Path::new("/k")));
        assert!(
            matches!(global.vault, Some(VaultLocation::File(p)) if p == std::path::Path::new("/v.db"))
        );
    }

    #[test]
    fn every_catalog_service_and_action_is_a_candidate() {
        let catalog = Catalog::embedded();
        assert_eq!(service_ids().len(), catalog.services().len());
        assert_eq!(action_ids().len(), catalog.actions().len());
        assert!(service_ids().iter().any(|c| c.get_value() == "auth0"));
    }
}
