//! Starting the UI on the real terminal: error hooks, logging, runtime, restore.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use color_eyre::eyre::{Result, WrapErr};
use ratatui::crossterm::event::EventStream;

use super::app::App;
use super::event_loop;
use super::session::VaultSession;
use super::theme::Theme;
use crate::locale::Locale;
use crate::vault::UnlockKey;

/// Opens the UI on the vault at `path`; `key` (from a key or passphrase file)
/// skips the unlock screen. The terminal is restored on every way out.
pub fn launch(path: PathBuf, key: Option<UnlockKey>, locale: &'static Locale) -> Result<()> {
    init_logging();
    let exists = std::fs::symlink_metadata(&path).is_ok();
    let (width, height) =
        ratatui::crossterm::terminal::size().wrap_err("cannot read the terminal size")?;
    let mut app = App::new(
        path.clone(),
        exists,
        locale,
        Theme::from_env(),
        (width, height),
    );
    let start = app.start(key);
    let session = VaultSession::new(&path);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    // ratatui's init also installs a panic hook that restores the terminal
    // before color-eyre's report prints.
    let mut terminal = ratatui::try_init().wrap_err("cannot set up the terminal")?;
    let result = runtime.block_on(event_loop::run(
        &mut terminal,
        EventStream::new(),
        app,
        session,
        start,
    ));
    ratatui::restore();
    result.wrap_err("the terminal UI failed")
}

/// Logs go to a file (never the screen): `$FLOWVAULT_LOG_DIR`, else the user's
/// state folder; level from `FLOWVAULT_LOG` (default: warn). Logging is best
/// effort: a folder that cannot be made means no log, not a failed start.
fn init_logging() {
    let dir = std::env::var_os("FLOWVAULT_LOG_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            directories::BaseDirs::new().map(|d| {
                d.state_dir()
                    .unwrap_or(d.data_local_dir())
                    .join("flowvault")
            })
        });
    let Some(dir) = dir else { return };
    if std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .is_err()
    {
        return;
    }
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(dir.join("flowvault.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLOWVAULT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}
