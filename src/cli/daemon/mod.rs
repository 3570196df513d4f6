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
    // reload once it is open, never the end of the daemon.
    let signals = Signals::install(global)?;
    let location = location(global)?;
    let vault = open_store(global)?;
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
    fn install(global: &GlobalArgs) -> Result<Signals, CliError> {
        let no_signal = |e: std::io::Error| {
            CliError::failure(
                global
                    .locale()
                    .f("cli.no_signal", &[("error", &e.to_string())]),
            )
        };
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).map_err(no_signal)?,
            terminate: signal(SignalKind::terminate()).map_err(no_signal)?,
            hangup: signal(SignalKind::hangup()).map_err(no_signal)?,
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
        let status = match self.reload().await {
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
                        &[("path", &self.shown), ("error", &error)],
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
    async fn reload(&mut self) -> Result<usize, VaultError> {
        self.reread_config();
        if let Some(log) = &self.log
            && let Err(e) = log.reload_level()
        {
            tracing::warn!(
                "{}",
                english().f("daemon.level_failed", &[("error", &e.to_string())])
            );
        }
        let vault = self.reopened()?;
        let (refresher, planned) = schedule(vault.reopen()?, &self.client, &self.events_tx).await;
        // The old refresher ends once its requests are answered; leases keep
        // the two from racing.
        self.refresher = refresher;
        self.shown = escape_line(&vault.location()).into_owned();
        self.vault = vault;
        tracing::info!(
            "{}",
            english().f("daemon.reopened", &[("path", &self.shown)])
        );
        Ok(planned)
    }

    /// Reads the config file again and logs what is wrong in it. A vault it
    /// names, where no flag or variable names one, is the one reopened next.
    fn reread_config(&mut self) {
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
        if let Ok(location) = location(global) {
            self.location = location;
        }
    }

    /// The vault opened afresh: with the key read again from its file (it
    /// may have been rotated), or, for a passphrase typed at start or a key
    /// from the agent, with the key in memory.
    fn reopened(&self) -> Result<Box<dyn Store>, VaultError> {
        let global = &self.global;
        let key = match (&self.location, &global.key_file, &global.passphrase_file) {
            (VaultLocation::File(_), Some(path), _) => UnlockKey::read_key_file(path)?,
            (VaultLocation::File(_), None, Some(path)) => UnlockKey::read_passphrase_file(path)?,
            _ => return self.vault.reopen(),
        };
        crate::vault::open_store(
            &self.location,
            &StoreAccess {
                unlock: Some(key),
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
