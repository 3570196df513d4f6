//! The config file's share of the global options: where each value came
//! from, and the file's vault and language where no flag or variable gives one.

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use super::{Cli, GlobalArgs};
use crate::config::Config;

/// Where a global value came from; precedence: flag, variable, file, default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    #[default]
    Default,
    /// The config file.
    File,
    /// Its environment variable.
    Env,
    /// Its command-line flag.
    Flag,
}

/// Where `--vault`, `--lang` and `--config` got their values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origins {
    pub vault: Origin,
    pub lang: Origin,
    pub config: Origin,
}

impl Origins {
    fn of(matches: &ArgMatches) -> Origins {
        let origin = |id: &str| match matches.value_source(id) {
            Some(ValueSource::CommandLine) => Origin::Flag,
            Some(ValueSource::EnvVariable) => Origin::Env,
            _ => Origin::Default,
        };
        Origins {
            vault: origin("vault"),
            lang: origin("lang"),
            config: origin("config"),
        }
    }
}

/// Parses the command line, notes where the global values came from, and
/// reads the config file (`--config`, `FLOWVAULT_CONFIG`, else the default
/// place): its vault and language apply where no flag or variable gives one.
pub fn parse(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.global.origins = Origins::of(&matches);
    apply_config(&mut cli.global);
    Ok(cli)
}

/// Reads the config file into `global.file` and fills the vault and the
/// language from it where neither a flag nor a variable gave them.
pub fn apply_config(global: &mut GlobalArgs) {
    let file = Config::load(global.config.clone());
    if global.vault.is_none()
        && let Some(vault) = &file.settings.vault
    {
        global.vault = Some(vault.clone());
        global.origins.vault = Origin::File;
    }
    if global.lang.as_deref().is_none_or(|l| l.trim().is_empty())
        && let Some(lang) = file.settings.lang
    {
        global.lang = Some(lang.code().to_owned());
        global.origins.lang = Origin::File;
    }
    global.file = file;
}
