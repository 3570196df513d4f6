//! `man [COMMAND]`: the roff manual page, from the same definitions as `--help`.

use std::io::Write;

use clap::CommandFactory;

use super::Cli;
use super::error::CliError;

/// Sections clap has no place for, in roff: what scripts and operators rely on.
const FLOWVAULT_SECTIONS: &str = r#".SH ENVIRONMENT
.TP
\fBFLOWVAULT_VAULT\fR, \fBFLOWVAULT_KEY_FILE\fR, \fBFLOWVAULT_PASSPHRASE_FILE\fR, \fBFLOWVAULT_LANG\fR
The global options of the same names.
.TP
\fBFLOWVAULT_BAO_ROLE_ID\fR, \fBFLOWVAULT_BAO_SECRET_ID_FILE\fR, \fBBAO_TOKEN\fR, \fBVAULT_TOKEN\fR
How an OpenBao vault is logged in to.
.TP
\fBFLOWVAULT_LOG\fR, \fBFLOWVAULT_LOG_DIR\fR
The level and the folder of the log file (default: warn, in the state folder).
.TP
\fBNO_COLOR\fR
When set to anything, the terminal UI draws without colour.
.SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
Failure: network, a token endpoint that refused, an OpenBao server that cannot be reached.
.TP
\fB2\fR
Usage error: unknown option, unknown service, invalid field value, duplicate name.
.TP
\fB3\fR
Cannot unlock: wrong passphrase or key file, no terminal to ask.
.TP
\fB4\fR
Integrity failure: a sealed value was tampered with.
.TP
\fB5\fR
Not found.
.SH FILES
.TP
\fI~/.local/share/flowvault/vault.db\fR
The default vault: one encrypted SQLite file.
.TP
\fI~/.local/state/flowvault/flowvault.log\fR
The terminal UI's log; never a secret.
"#;

/// Prints the page of `flowvault`, or of one of its commands (`flows add`
/// is `["flows", "add"]`).
pub fn print_page(command: &[String]) -> Result<(), CliError> {
    let mut page = Vec::new();
    render(command, &mut page)?;
    std::io::stdout()
        .write_all(&page)
        .map_err(|e| CliError::failure(e.to_string()))
}

/// Renders the page of `command` (empty: the whole program) into `out`.
pub fn render(command: &[String], out: &mut Vec<u8>) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut name = String::from("flowvault");
    for word in command {
        let Some(sub) = cmd.find_subcommand(word).cloned() else {
            return Err(CliError::usage(crate::locale::current().f(
                "cli.unknown_command",
                &[("command", &format!("{name} {word}"))],
            )));
        };
        name = format!("{name}-{}", sub.get_name());
        cmd = sub.name(name.clone());
    }
    let write = |e: std::io::Error| CliError::failure(e.to_string());
    let man = clap_mangen::Man::new(cmd)
        .manual("flowvault manual")
        .source(concat!("flowvault ", env!("CARGO_PKG_VERSION")));
    man.render(out).map_err(write)?;
    if command.is_empty() {
        out.extend_from_slice(FLOWVAULT_SECTIONS.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(command: &[&str]) -> String {
        let mut out = Vec::new();
        let words: Vec<String> = command.iter().map(|w| (*w).to_owned()).collect();
        render(&words, &mut out).expect("the page renders");
        String::from_utf8(out).expect("roff is UTF-8")
    }

    #[test]
    fn the_page_names_every_command_and_the_exit_codes() {
        let page = page(&[]);
        assert!(page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH flowvault"));
        for command in ["list", "add", "token", "daemon", "completions", "man"] {
            assert!(page.contains(command), "{command} missing");
        }
        assert!(page.contains(".SH \"EXIT STATUS\""));
        assert!(page.contains("FLOWVAULT_KEY_FILE"));
    }

    #[test]
    fn a_command_has_its_own_page_with_its_options() {
        let page = page(&["flows", "add-action"]);
        assert!(page.contains(".TH flowvault-flows-add-action"), "{page}");
        assert!(page.contains("connection"));
        let error = render(&["nothing".to_owned()], &mut Vec::new()).unwrap_err();
        assert_eq!(error.exit, super::super::Exit::Usage);
    }
}
