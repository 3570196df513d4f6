//! What the config file changes in the UI: keys, theme, timeouts, and the
//! warnings the status line shows.

use crate::config::{Config, ConfigWarning, Timeouts};
use crate::tui::keymap::{ConfiguredKeys, Keymap};
use crate::tui::theme::Theme;

/// The UI's share of the config file.
#[derive(Debug, Clone)]
pub struct UiSettings {
    pub keymap: Keymap,
    pub theme: Theme,
    pub timeouts: Timeouts,
    /// The file's problems, and rebindings the keymap refused.
    pub warnings: Vec<ConfigWarning>,
}

impl Default for UiSettings {
    fn default() -> UiSettings {
        UiSettings {
            keymap: Keymap::default(),
            theme: Theme::from_env(),
            timeouts: Timeouts::default(),
            warnings: Vec::new(),
        }
    }
}

impl UiSettings {
    /// The settings of `config`, on `theme` (colours or plain) as a base.
    pub fn with_theme(config: &Config, theme: Theme) -> UiSettings {
        UiSettings::themed(config, theme.with_styles(&config.settings.theme))
    }

    /// The settings of `config`; `NO_COLOR` makes the theme plain, whatever
    /// the file says.
    pub fn from_config(config: &Config) -> UiSettings {
        UiSettings::themed(config, Theme::configured(&config.settings.theme))
    }

    /// The settings of `config` with `theme` as it is.
    fn themed(config: &Config, theme: Theme) -> UiSettings {
        let keys = configured_keys(config);
        UiSettings {
            keymap: keys.keymap,
            theme,
            timeouts: config.settings.timeouts(),
            warnings: merged(&config.warnings, keys.warnings),
        }
    }
}

/// The keymap of `config`'s `[keys]`, with the rebindings it took and those
/// it refused; without building the rest of the UI.
pub fn configured_keys(config: &Config) -> ConfiguredKeys {
    match &config.path {
        Some(path) => Keymap::configured(&config.settings.keys, path),
        // No file, so nothing rebound.
        None => ConfiguredKeys {
            keymap: Keymap::default(),
            applied: Vec::new(),
            warnings: Vec::new(),
        },
    }
}

/// Every problem with `config`, the file's and the refused rebindings, in
/// file order: what the status line, `flowvault config` and commands show.
pub fn warnings(config: &Config) -> Vec<ConfigWarning> {
    merged(&config.warnings, configured_keys(config).warnings)
}

fn merged(file: &[ConfigWarning], keys: Vec<ConfigWarning>) -> Vec<ConfigWarning> {
    let mut warnings = file.to_vec();
    warnings.extend(keys);
    warnings.sort_by_key(|w| w.at.map(|a| (a.line, a.column)));
    warnings
}
