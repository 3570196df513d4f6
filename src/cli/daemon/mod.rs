//! `daemon`: keeps every token fresh until SIGINT or SIGTERM, reloads on
//! SIGHUP, and tells a service manager where it stands (sd_notify: ready,
//! reloading, stopping) when one started it.

mod log;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::auth::{RefreshEvent, Refresher, RefresherHandle, TokenClient};
use crate::locale::terminal_safe::escape_line;
use crate::platform::sd_notify::{Notifier, monotonic_usec};
use crate::vault::{Store, StoreAccess, UnlockKey, VaultError, VaultLocation};

use self::log::{Log, english, log_event};
use super::GlobalArgs;
use super::configured::Origin;
use super::error::CliError;
use super::unlock::{bao_options, location, open_store};

/// Runs the daemon until SIGINT or SIGTERM.
pub fn run(global: &GlobalArgs) -> Result<(), CliError> {
    // First, while this is the only thread: the variable leaves the
    // environment before anything could start a child.
    let notifier = Notifier::from_env();
    let log = Log::install();
    let notifier = notifier.unwrap_or_else(|e| {
        tracing::warn!(
            "{}",
            english().f("daemon.notify_unusable", &[("error", &e.to_string())])
        );
        None
    });
    let runtime = super::tokens::runtime()?;
    let _entered = runtime.enter();
    // Caught from here on: a SIGHUP that comes while the vault unlocks is a
    // reload once it is open, never the end of the daemon. SIGINT and
    // SIGTERM keep their default until then, so Ctrl-C or `systemctl stop`
    // ends a daemon waiting at the passphrase prompt or in the key
    // derivation at once.
    let hangup = Signals::catch(SignalKind::hangup(), global)?;
    let location = location(global)?;
    let vault = open_store(global)?;
    let signals = Signals {
        interrupt: Signals::catch(SignalKind::interrupt(), global)?,
        terminate: Signals::catch(SignalKind::terminate(), global)?,
        hangup,
    };
    runtime.block_on(async move {
        let daemon = Daemon::start(global, location, vault, log, notifier).await?;
        daemon.serve(signals).await;
        Ok(())
    })
}

/// The signals the daemon answers.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    /// Catches `kind` from now on (its default action no longer applies).
    fn catch(kind: SignalKind, global: &GlobalArgs) -> Result<Signal, CliError> {
        signal(kind).map_err(|e| {
            CliError::failure(
                global
                    .locale()
                    .f("cli.no_signal", &[("error", &e.to_string())]),
            )
        })
    }
}

/// The running daemon: its vault, its refresher and where it reports.
struct Daemon {
    /// The options, with what the config file gives; a reload reads it again.
    global: GlobalArgs,
    location: VaultLocation,
    /// The location as logged: escaped, it came from an argument.
    shown: String,
    vault: Box<dyn Store>,
    client: TokenClient,
    refresher: RefresherHandle,
    events_tx: UnboundedSender<RefreshEvent>,
    events: UnboundedReceiver<RefreshEvent>,
    log: Option<Log>,
    notifier: Option<Notifier>,
}

impl Daemon {
    /// Schedules every renewal of the unlocked `vault`, then says it is ready.
    async fn start(
        global: &GlobalArgs,
        location: VaultLocation,
        vault: Box<dyn Store>,
        log: Option<Log>,
        notifier: Option<Notifier>,
    ) -> Result<Daemon, CliError> {
        let (events_tx, events) = unbounded_channel();
        let client = TokenClient::new();
        let (refresher, planned) = schedule(vault.reopen()?, &client, &events_tx).await;
        let shown = escape_line(&vault.location()).into_owned();
        let daemon = Daemon {
            global: global.clone(),
            location,
            shown,
            vault,
            client,
            refresher,
            events_tx,
            events,
            log,
            notifier,
        };
        tracing::info!(
            "{}",
            english().f("daemon.started", &[("path", &daemon.shown)])
        );
        daemon.notify(&format!("READY=1\nSTATUS={}", status(planned)));
        Ok(daemon)
    }

    /// Logs renewals until SIGINT or SIGTERM, reloading on SIGHUP; then lets
    /// the requests in flight finish and report.
    async fn serve(mut self, mut signals: Signals) {
        loop {
            tokio::select! {
                _ = signals.interrupt.recv() => break,
                _ = signals.terminate.recv() => break,
                _ = signals.hangup.recv() => self.on_hangup().await,
                Some(event) = self.events.recv() => log_event(&event),
            }
        }
        self.notify("STOPPING=1");
        let Daemon {
            refresher,
            events_tx,
            mut events,
            ..
        } = self;
        drop(refresher);
        drop(events_tx);
        // Requests in flight finish and report before the daemon exits.
        while let Some(event) = events.recv().await {
            log_event(&event);
        }
        tracing::info!("{}", english().t("daemon.stopped"));
    }

    /// SIGHUP as systemd's `Type=notify-reload` expects it: `RELOADING=1`
    /// stamped with the monotonic clock, the reload, then `READY=1`.
    async fn on_hangup(&mut self) {
        self.notify(&format!("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
        let mut location = self.reread_config();
        if location != self.location
            && matches!(location, VaultLocation::File(_))
            && self.global.key_file.is_none()
            && self.global.passphrase_file.is_none()
        {
            // The passphrase typed at start opens the vault in use only.
            tracing::warn!(
                "{}",
                english().f(
                    "daemon.new_vault_needs_key",
                    &[
                        ("path", &escape_line(&location.to_string())),
                        ("current", &self.shown)
                    ],
                )
            );
            location = self.location.clone();
        }
        let tried = escape_line(&location.to_string()).into_owned();
        let status = match self.reload(location).await {
            Ok(planned) => {
                tracing::info!("{}", english().t("daemon.reloaded"));
                status(planned)
            }
            Err(e) => {
                let error = crate::present::labels::vault_error(english(), &e);
                tracing::error!(
                    "{}",
                    english().f(
                        "daemon.reopen_failed",
                        &[("path", &tried), ("error", &error)],
                    )
                );
                english().t("daemon.status_reload_failed").to_owned()
            }
        };
        self.notify(&format!("READY=1\nSTATUS={status}"));
    }

    /// Reads again everything the daemon takes from outside that may change
    /// while it runs; returns how many renewals are planned.
    ///
    /// The configuration file first, so that the vault it names applies
    /// below (a flag or a variable still wins over it). Then the log level
    /// (`FLOWVAULT_LOG`), then the vault: opened afresh, its connections
    /// scanned again (new ones are renewed, removed ones dropped). A vault
    /// that cannot be opened leaves the one opened before in use.
    async fn reload(&mut self, location: VaultLocation) -> Result<usize, VaultError> {
        if let Some(log) = &self.log
            && let Err(e) = log.reload_level()
        {
            tracing::warn!(
                "{}",
                english().f("daemon.level_failed", &[("error", &e.to_string())])
            );
        }
        let vault = self.reopened(&location)?;
        let (refresher, planned) = schedule(vault.reopen()?, &self.client, &self.events_tx).await;
        // The old refresher ends once its requests are answered; leases keep
        // the two from racing.
        self.refresher = refresher;
        self.shown = escape_line(&vault.location()).into_owned();
        self.vault = vault;
        self.location = location;
        tracing::info!(
            "{}",
            english().f("daemon.reopened", &[("path", &self.shown)])
        );
        Ok(planned)
    }

    /// Reads the config file again and logs what is wrong in it; returns the
    /// vault to reopen: the one it names where no flag or variable names
    /// one, else the one in use.
    fn reread_config(&mut self) -> VaultLocation {
        let global = &mut self.global;
        if global.origins.vault == Origin::File {
            global.vault = None;
        }
        if global.origins.lang == Origin::File {
            global.lang = None;
        }
        super::configured::apply_config(global);
        for warning in &global.file.warnings {
            tracing::warn!("{}", warning.text(english()));
        }
        location(global).unwrap_or_else(|_| self.location.clone())
    }

    /// The vault at `location` opened afresh: with the key read again from
    /// its file (it may have been rotated); with the key in memory for a
    /// passphrase typed at start, which opens only the vault in use; OpenBao
    /// logs in again.
    fn reopened(&self, location: &VaultLocation) -> Result<Box<dyn Store>, VaultError> {
        let global = &self.global;
        let unlock = match (location, &global.key_file, &global.passphrase_file) {
            (VaultLocation::File(_), Some(path), _) => Some(UnlockKey::read_key_file(path)?),
            (VaultLocation::File(_), None, Some(path)) => {
                Some(UnlockKey::read_passphrase_file(path)?)
            }
            (VaultLocation::File(_), None, None) => return self.vault.reopen(),
            (VaultLocation::OpenBao(_), _, _) if *location == self.location => {
                return self.vault.reopen();
            }
            (VaultLocation::OpenBao(_), _, _) => None,
        };
        crate::vault::open_store(
            location,
            &StoreAccess {
                unlock,
                bao: bao_options(global),
            },
        )
    }

    /// Tells the service manager, if one is listening; a failure is logged,
    /// as the daemon's work goes on without it.
    fn notify(&self, state: &str) {
        if let Some(notifier) = &self.notifier
            && let Err(e) = notifier.send(state)
        {
            tracing::warn!(
                "{}",
                english().f("daemon.notify_failed", &[("error", &e.to_string())])
            );
        }
    }
}

/// Starts a refresher on `vault` and waits for its first look at it: the
/// handle, and how many renewals it planned.
async fn schedule(
    vault: Box<dyn Store>,
    client: &TokenClient,
    events: &UnboundedSender<RefreshEvent>,
) -> (RefresherHandle, usize) {
    let (scheduled, planned) = tokio::sync::oneshot::channel();
    let handle = Refresher::new(vault, client.clone(), events.clone())
        .on_scheduled(scheduled)
        .spawn();
    // A refresher that died before planning has planned nothing.
    (handle, planned.await.unwrap_or(0))
}

/// The one-line state `systemctl status` shows.
fn status(planned: usize) -> String {
    english().f("daemon.status_ready", &[("n", &planned.to_string())])
}
