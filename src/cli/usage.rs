//! Usage lines in parse errors that show what a command takes, not what the
//! environment happened to give.

use std::ffi::OsString;

use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::Cli;

/// `error` with the plain usage of the command it is about.
///
/// For a missing argument clap writes the options it saw into the usage
/// line, those set by `FLOWVAULT_VAULT` and the like too, so `show` with
/// no name printed `Usage: flowvault show --vault <PATH|URL> <NAME>` as if
/// `--vault` were required. The command's own usage line replaces it.
pub fn plain_usage(mut error: clap::Error, args: &[OsString]) -> clap::Error {
    if error.kind() != ErrorKind::MissingRequiredArgument {
        return error;
    }
    let mut command = Cli::command();
    // Built, every subcommand knows its whole name (`flowvault flows rm`).
    command.build();
    for word in args.iter().skip(1) {
        let Some(word) = word.to_str() else { continue };
        if word.starts_with('-') {
            continue;
        }
        // An option's value that happens to be a command name descends too:
        // the usage is then of that command, which is still a true line.
        if let Some(sub) = command.find_subcommand(word).cloned() {
            command = sub;
        }
    }
    error.insert(
        ContextKind::Usage,
        ContextValue::StyledStr(command.render_usage()),
    );
    error
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn options_given_are_not_shown_as_required() {
        let args: Vec<OsString> = ["flowvault", "--vault", "/v.db", "flows", "rm"]
            .map(OsString::from)
            .to_vec();
        let error = Cli::try_parse_from(&args).unwrap_err();
        let text = plain_usage(error, &args).render().to_string();
        assert!(
            text.contains("Usage: flowvault flows rm [OPTIONS] <FLOW>"),
            "{text}"
        );
        assert!(!text.contains("--vault <"), "{text}");
    }
}
