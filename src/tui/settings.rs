//! What the config file changes in the UI: keys, theme, timeouts, and the
//! warnings the status line shows.

use crate::config::{Config, ConfigWarning, Timeouts};
use crate::tui::keymap::Keymap;
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
        let settings = &config.settings;
        let mut warnings = config.warnings.clone();
        let keymap = match &config.path {
            Some(path) => {
                let (keymap, refused) = Keymap::configured(&settings.keys, path);
                warnings.extend(refused);
                warnings.sort_by_key(|w| w.at.map(|a| (a.line, a.column)));
                keymap
            }
            None => Keymap::default(),
        };
        UiSettings {
            keymap,
            theme,
            timeouts: settings.timeouts(),
            warnings,
        }
    }
}
