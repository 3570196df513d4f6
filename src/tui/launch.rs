//! Starting the UI on the real terminal: error hooks, logging, runtime, restore.

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use ratatui::crossterm::event::EventStream;

use super::app::App;
use super::event_loop;
use super::session::VaultSession;
use super::settings::UiSettings;
use super::terminal;
use crate::locale::Locale;
use crate::vault::{BaoOptions, InsecureReason, UnlockKey, VaultError, VaultLocation};

/// Opens the UI on the vault at `location`; `key` (from a key or passphrase
/// file) skips the unlock screen, and a vault on OpenBao has none: `bao`
/// logs in; `ui` holds the config file's keys, theme and timeouts. The
/// terminal is restored on every way out.
pub fn launch(
    location: VaultLocation,
    key: Option<UnlockKey>,
    bao: BaoOptions,
    locale: &'static Locale,
    ui: UiSettings,
) -> Result<()> {
    init_logging();
    let (width, height) =
        ratatui::crossterm::terminal::size().wrap_err("cannot read the terminal size")?;
    let theme = ui.theme;
    // A file the unlock agent holds opens without the unlock screen.
    let through_agent = key.is_none()
        && matches!(&location, VaultLocation::File(path) if crate::vault::agent::open(path).is_some());
    let (mut app, mut start) = App::on_location(&location, key, locale, theme, (width, height));
    if through_agent {
        start = app.start_through_agent();
    }
    app.configure(ui);
    let session = VaultSession::at(location, bao);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    // Also installs a panic hook that restores the terminal before
    // color-eyre's report prints.
    let mut terminal = terminal::enter().wrap_err("cannot set up the terminal")?;
    // Last, so it wraps both: a renewal panic the refresher recovers from is
    // logged, and the UI goes on undisturbed.
    crate::auth::contained::install_panic_filter();
    let result = runtime.block_on(event_loop::run(
        &mut terminal,
        EventStream::new(),
        app,
        session,
        start,
    ));
    // The loop's error comes back here too: one way out, one restore.
    terminal::leave();
    result.wrap_err("the terminal UI failed")
}

/// Logs go to a file (never the screen): `$FLOWVAULT_LOG_DIR`, else the user's
/// state folder; level from `FLOWVAULT_LOG` (default: warn). Logging is best
/// effort: a folder that cannot be made means no log, not a failed start. A log
/// others could read or swap (see `open_log_file`) is not used, and a warning
/// says so; it stays on the normal screen after the UI leaves.
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
    let file = match open_log_file(&dir) {
        Ok(Some(file)) => file,
        Ok(None) => return,
        Err(refused) => {
            let locale = crate::locale::current();
            let reason = crate::present::labels::vault_error(locale, &refused);
            eprintln!(
                "warning: {}",
                locale.f("cli.log_refused", &[("reason", &reason)])
            );
            return;
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLOWVAULT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// Opens (or creates, mode 0600) `DIR/flowvault.log` in a folder created with
/// mode 0700. Refused, as a careful tool would, rather than repaired: a folder
/// or log that is a symlink (never followed), a folder others can write to, a
/// log that is not a regular file, is another user's, or that group or others
/// can read (it may already have been read; the user decides, with `chmod 600`).
/// `Ok(None)`: the folder or file cannot be made, so there is no log.
pub fn open_log_file(dir: &Path) -> Result<Option<File>, VaultError> {
    let refuse = |path: &Path, reason| VaultError::InsecurePath {
        path: path.to_owned(),
        reason,
    };
    if DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .is_err()
    {
        return Ok(None);
    }
    let Ok(dir_meta) = std::fs::symlink_metadata(dir) else {
        return Ok(None);
    };
    if dir_meta.file_type().is_symlink() {
        return Err(refuse(dir, InsecureReason::Symlink));
    }
    if dir_meta.permissions().mode() & 0o022 != 0 {
        return Err(refuse(
            dir,
            InsecureReason::OpenFolder(dir_meta.permissions().mode() & 0o777),
        ));
    }
    let path = dir.join("flowvault.log");
    let file = match OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path)
    {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refuse(&path, InsecureReason::Symlink));
        }
        Err(_) => return Ok(None),
    };
    // Checked on the open file: what is checked is what gets written.
    let Ok(meta) = file.metadata() else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Err(refuse(&path, InsecureReason::NotAFile));
    }
    if meta.uid() != crate::platform::current_uid() {
        return Err(refuse(&path, InsecureReason::OtherOwner));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(refuse(&path, InsecureReason::OpenMode(mode)));
    }
    Ok(Some(file))
}
