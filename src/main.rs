//! The `flowvault` binary: parse arguments, install error hooks, pick the UI or a command.

use std::process::ExitCode;

use flowvault::cli::{self, unlock};
use flowvault::locale::terminal_safe::{escape_line, escape_text};
use flowvault::locale::{Locale, choose_lang};
use flowvault::vault::{UnlockKey, VaultLocation};

fn main() -> ExitCode {
    // Before anything reads a key or a secret, in every mode (UI, daemon, CLI):
    // no core files, no same-user debugger. Failing is unusual and not fatal.
    if let Err(e) = flowvault::platform::harden_process() {
        eprintln!("warning: {e}");
    }
    // `flowvault list | head` should end quietly, as other tools do, not
    // panic on a closed pipe.
    flowvault::platform::end_quietly_on_closed_pipe();
    // A shell asking for completions gets them and nothing else.
    cli::completions::answer_if_asked();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The config file too: its vault and language, where no flag or variable gives them.
    let args = match cli::parse(&argv) {
        Ok(args) => args,
        // Help and version are clap's own text; errors echo the arguments.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let e = cli::usage::plain_usage(e, &argv);
            // Rendered without styling, so escaping cannot break a colour code.
            eprint!("{}", escape_text(&e.render().to_string()));
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let (lang, unknown) = choose_lang(args.global.lang.as_deref());
    flowvault::locale::set_current(lang);
    if let Some(code) = unknown {
        eprintln!(
            "{}",
            escape_line(&Locale::get(lang).f("cli.unknown_lang", &[("lang", &code)]))
        );
    }
    let locale = Locale::get(lang);
    let result = match args.command {
        Some(command) => {
            // In the UI they show in the status line instead. The refused
            // rebindings too: the file is one file, whatever reads it.
            for warning in &flowvault::tui::settings::warnings(&args.global.file) {
                eprintln!("warning: {}", escape_line(&warning.text(locale)));
            }
            // A renewal panic that `refresh` or the daemon recovers from is
            // logged, not reported (the UI installs it after its own hooks).
            flowvault::auth::contained::install_panic_filter();
            cli::run(&args.global, command)
        }
        None => open_ui(&args.global, locale),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages carry names, paths and servers' error texts.
            eprintln!("error: {}", escape_line(&e.message));
            e.exit_code()
        }
    }
}

/// No command: the terminal UI on the chosen (or default) vault.
fn open_ui(global: &cli::GlobalArgs, locale: &'static Locale) -> Result<(), cli::CliError> {
    // color-eyre first, so a panic report prints after the terminal is restored.
    let _ = color_eyre::install();
    let location = unlock::location(global)?;
    // A key given by file unlocks at once; OpenBao never asks for one.
    let key: Option<UnlockKey> = match (&location, &global.key_file, &global.passphrase_file) {
        (VaultLocation::File(path), Some(_), _) | (VaultLocation::File(path), _, Some(_)) => {
            Some(unlock::existing_key(global, path)?)
        }
        _ => None,
    };
    let bao = unlock::bao_options(global);
    let ui = flowvault::tui::settings::UiSettings::from_config(&global.file);
    flowvault::tui::launch::launch(location, key, bao, locale, ui)
        .map_err(|e| cli::CliError::failure(format!("{e:#}")))
}
