//! Performs the app's effects: the one runner the event loop and the test
//! harness share, so a test cannot pass on a copy that behaves differently.
//!
//! Vault commands go to the [`VaultSession`]: on a worker thread in the real
//! loop (an unlock runs Argon2id for ~0.4 s, a save over 10,000 connections
//! takes as long; the UI answers keys meanwhile), or at once on the caller's
//! thread for tests and measurements. Either way the command is announced to
//! the app first, and its reply comes back through `App::update`.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use zeroize::Zeroizing;

use super::app::App;
use super::editor::Editor;
use super::message::{Effect, Msg, Timer, VaultCommand, VaultReply};
use super::session::VaultSession;
use crate::actions::ActionClients;
use crate::auth::{RefreshCommand, Refresher, RefresherHandle, TokenClient};
use crate::vault::Store;

/// How often the open UI asks whether another process wrote to the vault.
/// Each look reads the vault's change mark; records are read only on a change.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Where vault commands run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// At once, on the caller's thread; runs finish before `perform` returns,
    /// and timers and refresher commands are recorded instead of started
    /// (the test plays them). For tests and measurements without a runtime.
    Blocking,
    /// On a worker thread, replies as messages; runs, timers and the
    /// refresher on the caller's tokio runtime. For the real loop.
    Worker,
}

/// What effects reach outside the app: the terminal's clipboard, and the
/// terminal itself, handed to the operator's editor for a while.
pub trait Outside {
    /// Puts `text` on the clipboard (OSC 52); an empty text clears it.
    fn copy(&mut self, text: Zeroizing<String>) -> io::Result<()>;
    /// Runs `work` (the editor) with the terminal given back as the shell
    /// had it, then takes it again and redraws it whole.
    fn with_terminal_released(&mut self, work: &mut dyn FnMut()) -> io::Result<()>;
}

/// What a blocking runner recorded instead of starting.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Timers started and not yet fired.
    pub timers: Vec<Timer>,
    /// The app asked for the token refresher.
    pub refresher_started: bool,
    /// The app stopped the token refresher (it locked itself).
    pub refresher_stopped: bool,
    /// Commands the app sent to the refresher.
    pub refresh_commands: Vec<RefreshCommand>,
}

/// Performs effects for one app.
pub struct EffectRunner {
    vault: VaultSide,
    /// A second handle on the open vault, for the refresher and runs.
    spare: Arc<Mutex<Option<Box<dyn Store>>>>,
    token_client: TokenClient,
    action_clients: ActionClients,
    /// Messages that come back later (worker replies, timers, runs, renewals).
    tx: Option<mpsc::UnboundedSender<Msg>>,
    refresher: Option<RefresherHandle>,
    /// Commands for a refresher not started yet (while a large vault's
    /// rest is read): handed to it when it starts.
    held_for_refresher: Vec<RefreshCommand>,
    /// The operator's editor, for multi-line values.
    editor: Editor,
    /// What a blocking runner did not start; empty for a worker.
    pub recorded: Recorded,
}

enum VaultSide {
    Blocking(Box<VaultSession>),
    Worker(VaultWorker),
}

impl EffectRunner {
    /// A blocking runner: everything answers before `perform_all` returns.
    pub fn blocking(session: VaultSession) -> EffectRunner {
        EffectRunner {
            token_client: session.token_client().clone(),
            action_clients: session.action_clients().clone(),
            vault: VaultSide::Blocking(Box::new(session)),
            spare: Arc::default(),
            tx: None,
            refresher: None,
            held_for_refresher: Vec::new(),
            editor: Editor::from_env(),
            recorded: Recorded::default(),
        }
    }

    /// A runner with the session on a worker thread; what comes back later
    /// is sent to `tx`. Needs a tokio runtime (for timers, runs, renewals).
    pub fn worker(session: VaultSession, tx: mpsc::UnboundedSender<Msg>) -> EffectRunner {
        let token_client = session.token_client().clone();
        let action_clients = session.action_clients().clone();
        let spare = Arc::default();
        let worker = VaultWorker::spawn(session, Arc::clone(&spare), tx.clone());
        EffectRunner {
            token_client,
            action_clients,
            vault: VaultSide::Worker(worker),
            spare,
            tx: Some(tx),
            refresher: None,
            held_for_refresher: Vec::new(),
            editor: Editor::from_env(),
            recorded: Recorded::default(),
        }
    }

    /// Uses `editor` for multi-line values instead of `$VISUAL`/`$EDITOR`.
    pub fn set_editor(&mut self, editor: Editor) {
        self.editor = editor;
    }

    /// Whether the runner holds the vault open (its key with it): a lock
    /// lets go of it. Tests look; the app never needs to.
    pub fn holds_vault(&self) -> bool {
        let spare = self.spare.lock().expect("spare handle").is_some();
        match &self.vault {
            VaultSide::Blocking(session) => spare || session.vault().is_some(),
            VaultSide::Worker(_) => spare,
        }
    }

    /// Which kind of runner this is.
    pub fn runner(&self) -> Runner {
        match self.vault {
            VaultSide::Blocking(_) => Runner::Blocking,
            VaultSide::Worker(_) => Runner::Worker,
        }
    }

    /// Performs `effects` in order, and what their answers ask for, until
    /// nothing is left; `outside` holds the clipboard and the terminal.
    /// Returns whether the app asked to quit (what is left is then dropped).
    pub fn perform_all(
        &mut self,
        app: &mut App,
        effects: Vec<Effect>,
        outside: &mut dyn Outside,
    ) -> io::Result<bool> {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Quit => return Ok(true),
                Effect::Vault(command) => {
                    // A refused command comes back as the notice that says so.
                    if let Err(refused) = app.begin_vault_work(&command) {
                        queue.extend(refused);
                        continue;
                    }
                    if let Some(reply) = self.vault(command) {
                        queue.extend(app.update(Msg::Vault(reply)));
                    }
                }
                Effect::Copy(text) => outside.copy(text)?,
                // On this thread: the editor has the terminal, and the UI
                // waits for it as a shell would.
                Effect::Edit { field, text } => {
                    let mut result = None;
                    outside.with_terminal_released(&mut || {
                        result = Some(self.editor.edit(&text));
                    })?;
                    if let Some(result) = result {
                        queue.extend(app.update(Msg::Edited { field, result }));
                    }
                }
                Effect::StopRefresher => {
                    // Dropping the handle stops the refresher; the spare
                    // handle holds the vault's key, so it goes too.
                    self.refresher = None;
                    self.held_for_refresher.clear();
                    *self.spare.lock().expect("spare handle") = None;
                    if self.tx.is_none() {
                        self.recorded.refresher_stopped = true;
                    }
                }
                // On this thread, at once: a body is at most 10 MiB, written
                // in a moment, and the prompt waits for the answer anyway.
                Effect::SaveBody {
                    path,
                    body,
                    overwrite,
                } => {
                    use super::message::BodyNotSaved;
                    use crate::actions::response::{SaveError, save_body};
                    let result = save_body(&path, &body, overwrite).map_err(|e| match e {
                        SaveError::Exists(_) => BodyNotSaved::Exists,
                        SaveError::Io { .. } => BodyNotSaved::Failed(
                            crate::present::response::save_error(crate::locale::current(), &e),
                        ),
                    });
                    let size = body.len();
                    queue.extend(app.update(Msg::BodySaved { path, size, result }));
                }
                Effect::StartTimer(timer, delay) => match &self.tx {
                    Some(tx) => {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            let _ = tx.send(Msg::Timer(timer));
                        });
                    }
                    None => self.recorded.timers.push(timer),
                },
                Effect::StartRefresher => match self.tx.clone() {
                    Some(tx) => {
                        self.refresher = self.start_refresher(tx);
                        let held = std::mem::take(&mut self.held_for_refresher);
                        if let Some(handle) = &self.refresher {
                            held.into_iter().for_each(|command| handle.send(command));
                        }
                    }
                    None => self.recorded.refresher_started = true,
                },
                Effect::Refresher(command) => match &self.refresher {
                    Some(handle) => handle.send(command),
                    None if self.tx.is_none() => self.recorded.refresh_commands.push(command),
                    // Keys pressed faster than a vault is read: a few.
                    None if self.held_for_refresher.len() < 64 => {
                        self.held_for_refresher.push(command);
                    }
                    None => {}
                },
                Effect::Run {
                    run,
                    flow,
                    only,
                    dry_run,
                } => {
                    let Some(mut vault) = self.second_handle() else {
                        let reports = Vec::new();
                        queue.extend(app.update(Msg::RunFinished { run, reports }));
                        continue;
                    };
                    let clients = self.action_clients.clone();
                    let work = async move {
                        crate::actions::run_flow(vault.as_mut(), &clients, &flow, only, dry_run)
                            .await
                    };
                    match &self.tx {
                        Some(tx) => {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                let reports = work.await;
                                let _ = tx.send(Msg::RunFinished { run, reports });
                            });
                        }
                        // Finished before the next key, so tests read the result at once.
                        None => {
                            let reports = tokio::runtime::Builder::new_current_thread()
                                .enable_all()
                                .build()
                                .expect("a runtime for the run")
                                .block_on(work);
                            queue.extend(app.update(Msg::RunFinished { run, reports }));
                        }
                    }
                }
            }
        }
        Ok(false)
    }

    /// Asks whether another process wrote to the vault; if so, the file as
    /// it is now comes back as `VaultReply::ChangedElsewhere` (from a blocking
    /// runner, at once). Costs one pragma when nothing changed.
    pub fn poll(&mut self) -> Option<Msg> {
        match &mut self.vault {
            VaultSide::Blocking(session) => session.poll().map(Msg::Vault),
            VaultSide::Worker(worker) => {
                worker.poll();
                None
            }
        }
    }

    /// Runs a command, or hands it to the worker; the reply if it is here now.
    fn vault(&mut self, command: VaultCommand) -> Option<VaultReply> {
        match &mut self.vault {
            VaultSide::Blocking(session) => {
                let reply = session.perform(command);
                if matches!(reply, VaultReply::Opened(_)) {
                    *self.spare.lock().expect("spare handle") =
                        session.vault().and_then(|v| v.reopen().ok());
                }
                Some(reply)
            }
            VaultSide::Worker(worker) => {
                worker.send(Job::Command(command));
                None
            }
        }
    }

    fn second_handle(&self) -> Option<Box<dyn Store>> {
        let spare = self.spare.lock().expect("spare handle");
        match spare.as_ref()?.reopen() {
            Ok(vault) => Some(vault),
            Err(e) => {
                tracing::warn!(error = %e, "no second vault handle");
                None
            }
        }
    }

    /// Starts the token refresher on a second handle of the unlocked vault,
    /// on a thread and runtime of its own (its reloads read every row);
    /// its events come back as messages. It stops when the handle is dropped.
    fn start_refresher(&self, tx: mpsc::UnboundedSender<Msg>) -> Option<RefresherHandle> {
        let vault = self.second_handle()?;
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let (handle, task) =
            Refresher::new(vault, self.token_client.clone(), events_tx).into_task();
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                tracing::warn!(error = %e, "token refresher not started");
                return None;
            }
        };
        let started = std::thread::Builder::new()
            .name("flowvault-refresher".into())
            .spawn(move || {
                // Renewals are background work: keys go first.
                crate::platform::thread_priority::lower_this_thread();
                runtime.block_on(task);
            });
        if let Err(e) = started {
            tracing::warn!(error = %e, "token refresher not started");
            return None;
        }
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if tx.send(Msg::Refresh(event)).is_err() {
                    break;
                }
            }
        });
        Some(handle)
    }
}

/// Work for the vault thread.
enum Job {
    Command(VaultCommand),
    /// Did another process write to the file?
    Poll,
}

/// The session on its own thread. Commands run one at a time, in order, so
/// replies come back in the order the app asked.
struct VaultWorker {
    jobs: std::sync::mpsc::Sender<Job>,
    /// A poll is queued: a slow command does not pile polls up behind it.
    poll_queued: Arc<AtomicBool>,
}

impl VaultWorker {
    /// Starts the thread. Dropping the worker lets the thread end after its
    /// current command; nothing waits for it (a quit during an unlock is
    /// immediate).
    fn spawn(
        mut session: VaultSession,
        spare: Arc<Mutex<Option<Box<dyn Store>>>>,
        tx: mpsc::UnboundedSender<Msg>,
    ) -> VaultWorker {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let poll_queued = Arc::new(AtomicBool::new(false));
        let queued = Arc::clone(&poll_queued);
        std::thread::Builder::new()
            .name("flowvault-vault".into())
            .spawn(move || {
                // Argon2id and 10,000-row saves run here: keys go first.
                crate::platform::thread_priority::lower_this_thread();
                while let Ok(job) = inbox.recv() {
                    let reply = match job {
                        Job::Command(command) => {
                            let reply = session.perform(command);
                            if matches!(reply, VaultReply::Opened(_)) {
                                // Before the reply: the app starts the refresher on it.
                                *spare.lock().expect("spare handle") =
                                    session.vault().and_then(|v| v.reopen().ok());
                            }
                            Some(reply)
                        }
                        Job::Poll => {
                            queued.store(false, Ordering::Release);
                            session.poll()
                        }
                    };
                    if let Some(reply) = reply {
                        if tx.send(Msg::Vault(reply)).is_err() {
                            break;
                        }
                        // A reply carries the vault read whole; what reading
                        // it took, and the snapshot before, are free now.
                        crate::platform::release_free_heap();
                    }
                }
            })
            .expect("start the vault thread");
        VaultWorker { jobs, poll_queued }
    }

    fn send(&self, job: Job) {
        // The thread ends only when the loop has gone, so nothing is lost.
        let _ = self.jobs.send(job);
    }

    fn poll(&self) {
        if !self.poll_queued.swap(true, Ordering::AcqRel) {
            self.send(Job::Poll);
        }
    }
}
