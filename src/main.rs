//! The `flowvault` binary: parse arguments, install error hooks, run a command.

use std::process::ExitCode;

use clap::Parser;
use flowvault::cli::{self, Cli, Command};

fn main() -> ExitCode {
    let args = Cli::parse();
    let command = args.command.unwrap_or(Command::List { json: false });
    match cli::run(&args.global, command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
