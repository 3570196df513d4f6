//! `exec [--env VAR=REFERENCE]… -- CMD [ARGS…]`: a program run with secrets
//! in its environment, as `op run` and `aws-vault exec` do.
//!
//! Every reference is resolved before the program starts, so a missing one
//! stops everything with the program never run. Values go only into the
//! program's environment: never its arguments, never a file. The vault is
//! closed before the program starts, and flowvault waits for it, passing on
//! the signals meant for it, and ends with its exit status.

use std::ffi::OsString;
use std::process::Command;

use zeroize::Zeroizing;

use crate::platform::child::{catch_signals_for_child, shell_exit_code, wait_passing_signals};
use crate::vault::audit::AuditAction;

use super::GlobalArgs;
use super::error::{CliError, Exit};
use super::reference::Reference;
use super::resolve::{Resolver, reference_error};
use super::unlock::open_store;

/// How long a token handed to the program must still be valid.
const TOKEN_MIN_VALID: time::Duration = time::Duration::seconds(60);

/// Arguments of `exec`.
pub struct ExecArgs {
    /// `VAR=REFERENCE` pairs, as given.
    pub env: Vec<String>,
    /// The program and its arguments.
    pub command: Vec<OsString>,
}

/// One variable the program gets, and the reference its value comes from.
struct Wanted {
    var: String,
    reference: Reference,
    /// The text the reference was written as, for messages.
    text: String,
}

/// `exec`: resolves, runs, waits; ends the process with the program's status.
pub fn exec(global: &GlobalArgs, args: ExecArgs) -> Result<(), CliError> {
    let locale = global.locale();
    let (program, program_args) = args
        .command
        .split_first()
        .ok_or_else(|| CliError::usage(locale.t("exec.no_command")))?;
    let wanted = wanted_variables(global, &args.env)?;
    let values = resolve_all(global, &wanted, program)?;
    let mut command = Command::new(program);
    command.args(program_args);
    for (var, value) in &values {
        command.env(var, value.as_str());
    }
    catch_signals_for_child().map_err(|e| {
        CliError::failure(locale.f("exec.no_signals", &[("error", &e.to_string())]))
    })?;
    let spawned = command.spawn();
    // flowvault's own copies go now; the program has its environment.
    drop(command);
    drop(values);
    let mut child = spawned.map_err(|e| spawn_error(program, &e))?;
    let status = wait_passing_signals(&mut child).map_err(|e| {
        CliError::failure(locale.f("exec.wait_failed", &[("error", &e.to_string())]))
    })?;
    match shell_exit_code(status) {
        0 => Ok(()),
        code => std::process::exit(code),
    }
}

/// The variables to set: those of the environment whose whole value is a
/// reference, then `--env` (which wins for the same name). A malformed one
/// is a usage error naming the variable.
fn wanted_variables(global: &GlobalArgs, env: &[String]) -> Result<Vec<Wanted>, CliError> {
    let locale = global.locale();
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut add = |var: String, text: &str| -> Result<(), CliError> {
        let reference = Reference::parse(text).map_err(|e| {
            let error = reference_error(locale, text, &e);
            CliError::usage(locale.f(
                "exec.bad_variable",
                &[
                    ("var", &var),
                    ("error", error.message.trim_end_matches(['.', '。'])),
                ],
            ))
        })?;
        wanted.retain(|w| w.var != var);
        wanted.push(Wanted {
            var,
            reference,
            text: text.to_owned(),
        });
        Ok(())
    };
    // Values that are not text cannot be references, and are left as they are.
    for (var, value) in std::env::vars_os() {
        if let (Ok(var), Some(value)) = (var.into_string(), value.to_str())
            && Reference::looks_like(value)
        {
            add(var, value)?;
        }
    }
    for pair in env {
        let (var, text) = pair
            .split_once('=')
            .filter(|(var, _)| valid_variable(var))
            .ok_or_else(|| CliError::usage(locale.f("exec.env_syntax", &[("arg", pair)])))?;
        add(var.to_owned(), text)?;
    }
    Ok(wanted)
}

/// A name `env` and shells accept: not empty, no `=` and no NUL.
fn valid_variable(var: &str) -> bool {
    !var.is_empty() && !var.contains(['=', '\0'])
}

/// Every value, or the first error with its variable and reference named;
/// with the audit entries written. No reference at all: the vault stays shut.
fn resolve_all(
    global: &GlobalArgs,
    wanted: &[Wanted],
    program: &OsString,
) -> Result<Vec<(String, Zeroizing<String>)>, CliError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let mut resolver = Resolver::new(vault.as_mut(), locale, TOKEN_MIN_VALID);
    let mut values = Vec::with_capacity(wanted.len());
    for w in wanted {
        let value = resolver.resolve(&w.reference).map_err(|e| CliError {
            exit: e.exit,
            message: locale.f(
                "exec.unresolved",
                &[
                    ("var", &w.var),
                    ("reference", &w.text),
                    ("error", e.message.trim_end_matches(['.', '。'])),
                ],
            ),
        })?;
        values.push((w.var.clone(), value.value));
    }
    let name = std::path::Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().chars().take(60).collect::<String>());
    resolver.record(AuditAction::ExecEnv, name.as_deref())?;
    Ok(values)
}

/// A program that cannot start: 127 when it does not exist, 126 when it
/// cannot be run, as shells say.
fn spawn_error(program: &OsString, error: &std::io::Error) -> CliError {
    let locale = crate::locale::current();
    let program = program.to_string_lossy();
    if error.kind() == std::io::ErrorKind::NotFound {
        return CliError {
            exit: Exit::CommandNotFound,
            message: locale.f("exec.not_found", &[("program", &program)]),
        };
    }
    CliError {
        exit: Exit::CannotExecute,
        message: locale.f(
            "exec.cannot_run",
            &[("program", &program), ("error", &error.to_string())],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_are_checked() {
        assert!(valid_variable("DATABASE_URL"));
        assert!(valid_variable("lower.and-odd"));
        assert!(!valid_variable(""));
        assert!(!valid_variable("A\0B"));
    }
}
