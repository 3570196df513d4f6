//! The headless commands of CLI.md.

mod audit;
mod clip;
pub mod completions;
mod config_cmd;
pub mod configured;
mod confirm;
mod connections;
mod copy;
mod daemon;
mod detail_code;
mod error;
mod exec;
mod fields;
mod flows;
mod get;
mod list;
mod man;
mod output;
mod reference;
mod resolve;
mod run;
mod services;
mod shapes;
mod tokens;
mod tsv;
pub mod unlock;
pub mod usage;
mod vault_cmds;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::ArgValueCandidates;

use completions::{action_ids, connection_names, flow_names, record_names, service_ids};

pub use configured::parse;
pub use error::{CliError, Exit};
pub use list::ListFormat;

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "flowvault",
    version,
    about = "A vault of connections for flow actions"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes, before or after it.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Vault file, or openbao://HOST[:PORT][,HOST…]/MOUNT/PREFIX
    /// [default: <user data dir>/flowvault/vault.db]
    #[arg(
        long,
        global = true,
        env = "FLOWVAULT_VAULT",
        value_name = "PATH|URL",
        value_parser = parse_location
    )]
    pub vault: Option<crate::vault::VaultLocation>,
    /// OpenBao AppRole role id (else the token from BAO_TOKEN, VAULT_TOKEN or ~/.vault-token)
    #[arg(long, global = true, env = "FLOWVAULT_BAO_ROLE_ID", value_name = "ID")]
    pub bao_role_id: Option<String>,
    /// File holding the OpenBao AppRole secret id
    #[arg(
        long,
        global = true,
        env = "FLOWVAULT_BAO_SECRET_ID_FILE",
        value_name = "PATH"
    )]
    pub bao_secret_id_file: Option<PathBuf>,
    /// Unlock with a key file (32+ random bytes)
    #[arg(long, global = true, env = "FLOWVAULT_KEY_FILE", value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Unlock with the first line of a file
    #[arg(
        long,
        global = true,
        env = "FLOWVAULT_PASSPHRASE_FILE",
        value_name = "PATH",
        conflicts_with = "key_file"
    )]
    pub passphrase_file: Option<PathBuf>,
    /// Interface language (en, fr, ja)
    #[arg(long, global = true, env = "FLOWVAULT_LANG", value_name = "LANG")]
    pub lang: Option<String>,
    /// No messages or hints on stderr: only data (stdout) and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Config file [default: $XDG_CONFIG_HOME/flowvault/config.toml]
    #[arg(long, global = true, env = "FLOWVAULT_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where `vault`, `lang` and `config` came from (set after parsing).
    #[arg(skip)]
    pub origins: configured::Origins,
    /// The config file as read (set after parsing).
    #[arg(skip)]
    pub file: crate::config::Config,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a vault
    Init {
        /// Write a fresh random key file (mode 0600) and unlock with it
        #[arg(long, value_name = "PATH")]
        new_key_file: Option<PathBuf>,
        /// On OpenBao: the transit key that wraps the data key [default: flowvault]
        #[arg(long, value_name = "NAME", conflicts_with = "new_key_file")]
        transit_key: Option<String>,
    },
    /// The effective configuration and where each value came from
    Config {
        /// As JSON, each value with its source
        #[arg(long)]
        json: bool,
    },
    /// The catalog of services and their fields
    Services {
        /// Print JSON (the same in every language)
        #[arg(long)]
        json: bool,
    },
    /// List connections (a table on a terminal, tab-separated values otherwise)
    List {
        /// Output format [default: table on a terminal, else tsv]
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<ListFormat>,
        /// Print JSON (the same in every language); same as --format json
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Leave out the header line of tsv and table
        #[arg(long)]
        no_headers: bool,
    },
    /// Add a connection
    Add {
        /// The catalog service (`flowvault services` lists them)
        #[arg(add = ArgValueCandidates::new(service_ids))]
        service: String,
        /// A name for the connection, unique in the vault
        name: String,
        /// One of the service's methods (http: bearer, api_key, basic, oauth2)
        #[arg(long)]
        method: Option<String>,
        /// A non-secret field
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Read KEY=VALUE lines and KEY<<MARKER … MARKER blocks (secrets) from standard input
        ///
        /// A block's value is the lines between `KEY<<MARKER` and the line
        /// that is exactly MARKER, without the line break before MARKER (as
        /// `$(cat FILE)` gives); use --secret-file to keep a final newline.
        #[arg(long)]
        secrets_stdin: bool,
        /// A field's value from a file, byte for byte (PEM keys, JSON files)
        #[arg(long = "secret-file", value_name = "KEY=PATH")]
        secret_file: Vec<String>,
        /// Allow required fields to be missing; the connection is marked empty
        #[arg(long)]
        empty: bool,
    },
    /// Show one connection
    Show {
        /// The connection
        #[arg(add = ArgValueCandidates::new(connection_names))]
        name: String,
        /// Print JSON (the same in every language)
        #[arg(long)]
        json: bool,
        /// Show secret values (on a terminal, control characters in them are escaped)
        #[arg(long)]
        reveal: bool,
        /// With --reveal: print secret values exactly, even on a terminal
        /// (exact is the default when stdout is not a terminal)
        #[arg(long, requires = "reveal")]
        raw: bool,
    },
    /// Change a connection's fields
    Edit {
        /// The connection
        #[arg(add = ArgValueCandidates::new(connection_names))]
        name: String,
        /// A non-secret field
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Read KEY=VALUE lines and KEY<<MARKER … MARKER blocks (secrets) from standard input
        ///
        /// A block's value is the lines between `KEY<<MARKER` and the line
        /// that is exactly MARKER, without the line break before MARKER (as
        /// `$(cat FILE)` gives); use --secret-file to keep a final newline.
        #[arg(long)]
        secrets_stdin: bool,
        /// A field's value from a file, byte for byte (PEM keys, JSON files)
        #[arg(long = "secret-file", value_name = "KEY=PATH")]
        secret_file: Vec<String>,
    },
    /// Rename a connection
    Rename {
        /// The connection
        #[arg(add = ArgValueCandidates::new(connection_names))]
        name: String,
        /// Its new name, unique in the vault
        new_name: String,
    },
    /// Delete a connection (asks first on a terminal)
    Rm {
        /// The connection
        #[arg(add = ArgValueCandidates::new(connection_names))]
        name: String,
        /// Delete it even if flow actions use it (they are left with no connection)
        #[arg(long)]
        force: bool,
        /// Delete without asking (needed when standard input is not a terminal)
        #[arg(short, long)]
        yes: bool,
    },
    /// Print a valid access token, fetching or renewing it first if needed
    Token {
        /// The connection
        #[arg(add = ArgValueCandidates::new(connection_names))]
        name: String,
        /// Print the token exactly, even on a terminal (exact is the default
        /// when stdout is not a terminal; on one, control characters are escaped)
        #[arg(long)]
        raw: bool,
    },
    /// Print one value raw: a field, or `token` (no newline unless on a terminal)
    ///
    /// `get NAME FIELD` or `get flowvault://NAME/FIELD`. FIELD is one of the
    /// connection's field keys (`show` lists them), or `token` for a valid
    /// access token, fetched or renewed first as `token` does.
    Get {
        /// The connection, or a whole reference flowvault://NAME/FIELD
        #[arg(add = ArgValueCandidates::new(connection_names), value_name = "NAME|REFERENCE")]
        name: String,
        /// A field key of the connection, or `token`
        field: Option<String>,
        /// Copy it to the terminal's clipboard (OSC 52) instead, and clear
        /// that after timeouts.clipboard_clear (default 30 s)
        #[arg(long)]
        clip: bool,
        /// Print it exactly even on a terminal (exact is the default when
        /// stdout is not a terminal; on one, control characters are escaped)
        #[arg(long, conflicts_with = "clip")]
        raw: bool,
    },
    /// Run a program with secrets in its environment, and return its exit status
    ///
    /// Each --env VAR=flowvault://NAME/FIELD, and each variable already in the
    /// environment whose value is such a reference, is set to its value;
    /// all are resolved before CMD starts (one missing: exit 5, CMD never
    /// runs). Tokens are valid for at least 60 s. Values are never in argv.
    Exec {
        /// A variable for CMD and the reference of its value
        #[arg(long = "env", value_name = "VAR=REFERENCE")]
        env: Vec<String>,
        /// The program and its arguments, after --
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<std::ffi::OsString>,
    },
    /// Clear the clipboard later unless a newer copy replaced it (started by `get --clip`)
    #[command(hide = true)]
    ClearClipboard {
        /// Milliseconds to wait
        #[arg(long, value_name = "MS")]
        after_ms: u64,
        /// The copy this clear belongs to
        #[arg(long, value_name = "ID")]
        generation: String,
        /// The file naming the terminal's latest copy
        #[arg(long, value_name = "PATH")]
        marker: PathBuf,
    },
    /// Renew tokens now: one connection, or every one that keeps tokens
    Refresh {
        /// Only this connection
        #[arg(add = ArgValueCandidates::new(connection_names))]
        name: Option<String>,
        /// One JSON object per connection: name, id, outcome, expires_at, error
        #[arg(long)]
        json: bool,
    },
    /// Keep every token fresh until SIGINT/SIGTERM (SIGHUP reloads); log lines on stderr
    Daemon,
    /// The catalog of flow actions
    Actions {
        /// Print JSON (the same in every language)
        #[arg(long)]
        json: bool,
    },
    /// Flows and their actions
    Flows {
        #[command(subcommand)]
        command: FlowsCommand,
    },
    /// Run a flow's actions in order, or one of them
    Run {
        /// The flow
        #[arg(add = ArgValueCandidates::new(flow_names))]
        flow: String,
        /// Only the action at this position (1-based)
        position: Option<usize>,
        /// Print each request (secrets as ••••••) and send nothing
        #[arg(long)]
        dry_run: bool,
        /// Print the run as JSON: each action's request, status, time, size, headers and body
        #[arg(long, conflicts_with = "body")]
        json: bool,
        /// Print only the response body of the (last) action, exactly as received
        #[arg(long, conflicts_with = "dry_run")]
        body: bool,
        /// Write the response body of the (last) action to FILE, exactly as received
        #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "dry_run")]
        output: Option<PathBuf>,
        /// With --output: replace FILE if it exists
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Change how the vault is unlocked (rewraps the data key only)
    Passwd {
        /// Write a fresh random key file and unlock with it from now on
        #[arg(long, value_name = "PATH", conflicts_with = "new_passphrase_file")]
        new_key_file: Option<PathBuf>,
        /// Unlock with the first line of this file from now on
        #[arg(long, value_name = "PATH")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Replace the data key and reseal every value in one transaction
    Rekey,
    /// Copy every connection, token and flow into another vault (file or OpenBao)
    Copy {
        /// The destination: a vault file, or openbao://HOST[:PORT][,HOST…]/MOUNT/PREFIX
        #[arg(long, value_name = "PATH|URL", value_parser = parse_location)]
        to: crate::vault::VaultLocation,
        /// Unlock a destination file with this key file
        #[arg(long, value_name = "PATH")]
        to_key_file: Option<PathBuf>,
        /// Unlock a destination file with the first line of this file
        #[arg(long, value_name = "PATH", conflicts_with = "to_key_file")]
        to_passphrase_file: Option<PathBuf>,
        /// Replace records of the same name that hold other values
        #[arg(long)]
        overwrite: bool,
    },
    /// Who did what, when: the audit trail, oldest first, or a check of its chain
    Audit {
        /// A connection or flow, by name or id (renames keep its history).
        #[arg(add = ArgValueCandidates::new(record_names))]
        name: Option<String>,
        /// Print JSON (the same in every language)
        #[arg(long)]
        json: bool,
        /// Only entries at or after WHEN: 2026-12-01, an RFC 3339 time, or 30m, 12h, 7d.
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only the last N entries.
        #[arg(long, value_name = "N")]
        last: Option<usize>,
        /// Checks that no entry was removed, altered or reordered.
        #[arg(long, conflicts_with_all = ["name", "json", "since", "last"])]
        verify: bool,
    },
    /// Check that no record was removed, added or rolled back outside flowvault
    Verify {
        /// Accept the vault as it is now, after reading the report, and seal
        /// a new integrity digest over it
        #[arg(long)]
        accept: bool,
    },
    /// Print the script that completes flowvault's commands and names in SHELL
    ///
    /// bash: `source <(flowvault completions bash)` in ~/.bashrc; zsh: the
    /// same in ~/.zshrc; fish: `flowvault completions fish | source` in
    /// ~/.config/fish/config.fish. Connection and flow names complete when
    /// the vault opens with a key file (--key-file or FLOWVAULT_KEY_FILE).
    Completions {
        /// bash, zsh, fish, elvish or powershell
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(
            clap_complete::env::Shells::builtins().names()
        ))]
        shell: String,
    },
    /// Print the manual page (roff): `flowvault man | man -l -`
    Man {
        /// A command, for its own page (`flowvault man flows add`)
        command: Vec<String>,
    },
}

/// `--vault`'s parser: a clear usage error for a malformed OpenBao URL.
fn parse_location(text: &str) -> Result<crate::vault::VaultLocation, String> {
    crate::vault::VaultLocation::parse(text).map_err(|e| e.to_string())
}

impl GlobalArgs {
    /// The interface language's strings.
    pub fn locale(&self) -> &'static crate::locale::Locale {
        crate::locale::current()
    }
}

/// `flows` subcommands.
#[derive(Debug, Subcommand)]
pub enum FlowsCommand {
    /// Flows with their actions, each action's connection and warnings
    List {
        /// Print JSON (the same in every language)
        #[arg(long)]
        json: bool,
    },
    /// Create a flow
    Add {
        /// A name for the flow, unique in the vault
        flow: String,
    },
    /// Delete a flow
    Rm {
        /// The flow
        #[arg(add = ArgValueCandidates::new(flow_names))]
        flow: String,
    },
    /// Append an action to a flow; prints its position (1-based)
    AddAction {
        /// The flow
        #[arg(add = ArgValueCandidates::new(flow_names))]
        flow: String,
        /// The catalog action (`flowvault actions` lists them)
        #[arg(add = ArgValueCandidates::new(action_ids))]
        action: String,
        /// The connection it uses
        #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(connection_names))]
        connection: Option<String>,
        /// A non-secret input
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Read KEY=VALUE lines (secret inputs) from standard input
        #[arg(long)]
        secrets_stdin: bool,
    },
    /// Point an action at a connection
    SetConnection {
        /// The flow
        #[arg(add = ArgValueCandidates::new(flow_names))]
        flow: String,
        /// The action's position in the flow (1-based)
        position: usize,
        /// The connection
        #[arg(add = ArgValueCandidates::new(connection_names))]
        name: String,
    },
    /// Rename a flow
    Rename {
        /// The flow, by name
        flow: String,
        /// Its new name
        new_name: String,
    },
    /// Remove the action at a position (1-based); the ones after move up
    RmAction {
        /// The flow, by name
        flow: String,
        /// The action's position (1-based)
        position: usize,
    },
    /// Move the action at FROM to TO (1-based positions)
    Move {
        /// The flow, by name
        flow: String,
        /// The action's position now (1-based)
        from: usize,
        /// Its position after the move (1-based)
        to: usize,
    },
    /// Change an action's inputs (a blank value clears one); the others are kept
    SetInput {
        /// The flow, by name
        flow: String,
        /// The action's position (1-based)
        position: usize,
        /// Non-secret inputs
        #[arg(value_name = "KEY=VALUE")]
        values: Vec<String>,
        /// A non-secret input, as add-action takes it
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Read KEY=VALUE lines (secret inputs) from standard input
        #[arg(long)]
        secrets_stdin: bool,
    },
}

/// Runs a headless command; `None` (no command) is the caller's to handle.
pub fn run(global: &GlobalArgs, command: Command) -> Result<(), CliError> {
    output::set_quiet(global.quiet);
    match command {
        Command::Init {
            new_key_file,
            transit_key,
        } => vault_cmds::init(global, new_key_file.as_deref(), transit_key),
        Command::Completions { shell } => completions::print_registration(&shell),
        Command::Man { command } => man::print_page(&command),
        Command::Config { json } => config_cmd::config(global, json),
        Command::Services { json } => services::services(json),
        Command::List {
            format,
            json,
            no_headers,
        } => list::list(
            global,
            list::ListArgs {
                format: json.then_some(ListFormat::Json).or(format),
                headers: !no_headers,
            },
        ),
        Command::Add {
            service,
            name,
            method,
            set,
            secrets_stdin,
            secret_file,
            empty,
        } => connections::add(
            global,
            connections::AddArgs {
                service,
                name,
                method,
                set,
                secrets_stdin,
                secret_files: secret_file,
                empty,
            },
        ),
        Command::Show {
            name,
            json,
            reveal,
            raw,
        } => connections::show(global, &name, json, reveal, raw),
        Command::Edit {
            name,
            set,
            secrets_stdin,
            secret_file,
        } => connections::edit(global, &name, &set, &secret_file, secrets_stdin),
        Command::Rename { name, new_name } => connections::rename(global, &name, &new_name),
        Command::Rm { name, force, yes } => connections::remove(global, &name, force, yes),
        Command::Token { name, raw } => tokens::token(global, &name, raw),
        Command::Get {
            name,
            field,
            clip,
            raw,
        } => get::get(
            global,
            get::GetArgs {
                name,
                field,
                clip,
                raw,
            },
        ),
        Command::Exec { env, command } => exec::exec(global, exec::ExecArgs { env, command }),
        Command::ClearClipboard {
            after_ms,
            generation,
            marker,
        } => clip::clear_later(
            std::time::Duration::from_millis(after_ms),
            &generation,
            &marker,
        ),
        Command::Refresh { name, json } => tokens::refresh(global, name.as_deref(), json),
        Command::Daemon => daemon::run(global),
        Command::Actions { json } => flows::actions(global, json),
        Command::Flows { command } => match command {
            FlowsCommand::List { json } => flows::list(global, json),
            FlowsCommand::Add { flow } => flows::add(global, &flow),
            FlowsCommand::Rm { flow } => flows::remove(global, &flow),
            FlowsCommand::AddAction {
                flow,
                action,
                connection,
                set,
                secrets_stdin,
            } => flows::add_action(
                global,
                flows::AddActionArgs {
                    flow,
                    action,
                    connection,
                    set,
                    secrets_stdin,
                },
            ),
            FlowsCommand::SetConnection {
                flow,
                position,
                name,
            } => flows::set_connection(global, &flow, position, &name),
            FlowsCommand::Rename { flow, new_name } => flows::rename(global, &flow, &new_name),
            FlowsCommand::RmAction { flow, position } => {
                flows::remove_action(global, &flow, position)
            }
            FlowsCommand::Move { flow, from, to } => flows::move_action(global, &flow, from, to),
            FlowsCommand::SetInput {
                flow,
                position,
                mut values,
                set,
                secrets_stdin,
            } => {
                values.extend(set);
                flows::set_input(
                    global,
                    flows::SetInputArgs {
                        flow,
                        position,
                        set: values,
                        secrets_stdin,
                    },
                )
            }
        },
        Command::Run {
            flow,
            position,
            dry_run,
            json,
            body,
            output,
            force,
        } => run::run(
            global,
            run::RunArgs {
                flow,
                position,
                dry_run,
                json,
                body,
                output,
                force,
            },
        ),
        Command::Passwd {
            new_key_file,
            new_passphrase_file,
        } => vault_cmds::passwd(
            global,
            new_key_file.as_deref(),
            new_passphrase_file.as_deref(),
        ),
        Command::Rekey => vault_cmds::rekey(global),
        Command::Verify { accept } => vault_cmds::verify(global, accept),
        Command::Copy {
            to,
            to_key_file,
            to_passphrase_file,
            overwrite,
        } => copy::copy(
            global,
            copy::CopyArgs {
                to,
                to_key_file,
                to_passphrase_file,
                overwrite,
            },
        ),
        Command::Audit {
            name,
            json,
            since,
            last,
            verify,
        } => audit::audit(
            global,
            audit::AuditArgs {
                name,
                json,
                since,
                last,
                verify,
            },
        ),
    }
}
