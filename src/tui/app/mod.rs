//! The app's state, `update` (messages in, effects out) and `render` (state to frame).

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use zeroize::Zeroizing;

use super::intent::Intent;
use super::keymap::{Action, Keymap, Mode};
use super::message::{Done, Effect, Msg, Snapshot, StepsChange, Timer, VaultCommand, VaultReply};
use super::screens::confirm::{ConfirmDelete, DeleteTarget};
use super::screens::details::Details;
use super::screens::flow_edit::{FlowNameDialog, InputsEditor};
use super::screens::help::Help;
use super::screens::list::ListRow;
use super::screens::pickers::{ActionPicker, ConnectionPicker};
use super::screens::run_view::RunView;
use super::screens::stale::StaleEdit;
use super::screens::unlock::UnlockScreen;
use super::screens::wizard::Wizard;
use super::screens::{Context, KeyInput, Reply, Screen, View};
use super::settings::UiSettings;
use super::theme::Theme;
use super::widgets::footer;
use crate::auth::{RefreshCommand, RefreshEvent};
use crate::config::Timeouts;
use crate::locale::Locale;
use crate::locale::width::{truncate, width};
use crate::vault::audit::AuditAction;
use time::OffsetDateTime;

use crate::vault::{Connection, ConnectionId, Flow, UnlockKey, now};

/// Smallest terminal the UI draws in; below it says so instead.
pub const MIN_WIDTH: u16 = 60;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 15;

/// Locked behind the unlock screen, or open.
#[derive(Debug)]
pub enum Phase {
    Locked(UnlockScreen),
    Open,
}

mod auto_lock;
mod clipboard;
mod conflict;
mod countdown;
mod edit;
mod flows;
mod follow_ups;
mod history;
mod panes;
mod status_line;
mod token_copy;
mod work;

use auto_lock::AutoLock;
use clipboard::ClipboardGuard;
use countdown::Countdown;
use follow_ups::FollowUps;
use panes::{Connections, Flows};
pub use status_line::Notice;
use status_line::StatusLine;

/// A screen over the panes; they stack, and only the top one takes keys.
#[derive(Debug)]
pub enum Overlay {
    Wizard(Box<Wizard>),
    Details(Details),
    Confirm(ConfirmDelete),
    Help(Help),
    FlowName(FlowNameDialog),
    ActionPicker(ActionPicker),
    ConnectionPicker(ConnectionPicker),
    Inputs(InputsEditor),
    Run(RunView),
    /// Where to save a response body, over the run view.
    SaveBody(crate::tui::screens::save_body::SaveBodyPrompt),
    ConfirmRun(super::screens::run_confirm::RunConfirm),
    /// Over an edit form whose save was refused: changed or deleted elsewhere.
    Stale(StaleEdit),
}

impl Overlay {
    /// The screen, through the contract every screen keeps.
    fn screen(&self) -> &dyn Screen {
        match self {
            Overlay::Wizard(s) => s.as_ref(),
            Overlay::Details(s) => s,
            Overlay::Confirm(s) => s,
            Overlay::Help(s) => s,
            Overlay::FlowName(s) => s,
            Overlay::ActionPicker(s) => s,
            Overlay::ConnectionPicker(s) => s,
            Overlay::Inputs(s) => s,
            Overlay::Run(s) => s,
            Overlay::SaveBody(s) => s,
            Overlay::ConfirmRun(s) => s,
            Overlay::Stale(s) => s,
        }
    }

    fn screen_mut(&mut self) -> &mut dyn Screen {
        match self {
            Overlay::Wizard(s) => s.as_mut(),
            Overlay::Details(s) => s,
            Overlay::Confirm(s) => s,
            Overlay::Help(s) => s,
            Overlay::FlowName(s) => s,
            Overlay::ActionPicker(s) => s,
            Overlay::ConnectionPicker(s) => s,
            Overlay::Inputs(s) => s,
            Overlay::Run(s) => s,
            Overlay::SaveBody(s) => s,
            Overlay::ConfirmRun(s) => s,
            Overlay::Stale(s) => s,
        }
    }

    /// Whether this screen asked for the write the vault says is `done`
    /// (it is then finished): the reply says, not which screen is on top.
    fn asked_for(&self, done: &Done) -> bool {
        match (self, done) {
            (Overlay::Wizard(w), Done::Added(_)) => w.editing.is_none(),
            (Overlay::Wizard(w), Done::Updated(id)) => {
                w.editing.as_ref().is_some_and(|c| &c.id == id)
            }
            (Overlay::Confirm(c), Done::Deleted { id, .. }) => {
                matches!(&c.target, DeleteTarget::Connection(target) if target == id)
            }
            (Overlay::Confirm(c), Done::FlowDeleted { id, .. }) => {
                matches!(&c.target, DeleteTarget::Flow(target) if target == id)
            }
            (Overlay::FlowName(d), Done::FlowAdded(_)) => d.renaming.is_none(),
            (Overlay::FlowName(d), Done::FlowRenamed(id)) => d.renaming.as_ref() == Some(id),
            (
                Overlay::Confirm(c),
                Done::StepsSaved {
                    flow,
                    change: StepsChange::Removed { .. },
                },
            ) => {
                matches!(&c.target, DeleteTarget::Step(target, _) if target == flow)
            }
            (Overlay::ActionPicker(p), Done::StepsSaved { flow, change }) => {
                &p.flow == flow && *change == StepsChange::ActionAdded
            }
            // Unchanged: the connection or inputs chosen were those stored.
            (Overlay::ConnectionPicker(p), Done::StepsSaved { flow, change }) => {
                &p.flow == flow
                    && matches!(change, StepsChange::ConnectionSet | StepsChange::Unchanged)
            }
            (Overlay::Inputs(e), Done::StepsSaved { flow, change }) => {
                &e.flow == flow
                    && matches!(change, StepsChange::InputsSaved | StepsChange::Unchanged)
            }
            _ => false,
        }
    }
}

/// The two panes `Tab` moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Connections,
    Flows,
}

/// How long after a failed read of the connections past the first page
/// the app tries again.
const READ_THE_REST_AGAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// The whole state of the UI, one part per job.
#[derive(Debug)]
pub struct App {
    locale: &'static Locale,
    theme: Theme,
    /// The keys: the defaults with the config file's.
    keymap: Keymap,
    timeouts: Timeouts,
    vault_path: PathBuf,
    size: (u16, u16),
    phase: Phase,
    /// Unlocking with a key file: a failure cannot be retried by typing.
    key_file_unlock: bool,
    connections: Connections,
    /// `Some(n)` while only the first page of the vault's `n` connections
    /// is here.
    first_page_of: Option<usize>,
    flows: Flows,
    pane: Pane,
    /// Screens over the panes, the top one last; Esc pops one level.
    overlays: Vec<Overlay>,
    status: StatusLine,
    /// Vault commands sent and not answered yet.
    work: work::VaultWork,
    follow_ups: FollowUps,
    countdown: Countdown,
    /// The clock, set as messages arrive; `render` reads it, never the system clock.
    now: OffsetDateTime,
    /// How far tests moved the app's clocks on (see `pass_time`); zero otherwise.
    clock_skew: std::time::Duration,
    /// The last copy, cleared from the clipboard when its time is up.
    clipboard: ClipboardGuard,
    /// The idle time that locks the UI.
    auto_lock: AutoLock,
    changed: bool,
}

/// The parts of the screen, shared by `update` (for scrolling) and `render`.
struct Areas {
    header: Rect,
    table: Rect,
    status: Rect,
    footer: Rect,
}

impl Areas {
    fn of(area: Rect) -> Areas {
        let [header, table, status, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        Areas {
            header,
            table,
            status,
            footer,
        }
    }
}

impl App {
    /// A locked app for the vault at `path`; `exists` decides unlock or create.
    pub fn new(
        vault_path: PathBuf,
        exists: bool,
        locale: &'static Locale,
        theme: Theme,
        size: (u16, u16),
    ) -> App {
        App {
            locale,
            theme,
            keymap: Keymap::default(),
            timeouts: Timeouts::default(),
            phase: Phase::Locked(UnlockScreen::new(vault_path.clone(), exists)),
            vault_path,
            size,
            key_file_unlock: false,
            connections: Connections::default(),
            first_page_of: None,
            flows: Flows::default(),
            pane: Pane::Connections,
            overlays: Vec::new(),
            status: StatusLine::default(),
            work: work::VaultWork::default(),
            follow_ups: FollowUps::default(),
            countdown: Countdown::default(),
            now: now(),
            clock_skew: std::time::Duration::ZERO,
            clipboard: ClipboardGuard::default(),
            auto_lock: AutoLock::new(std::time::Instant::now()),
            changed: true,
        }
    }

    /// The monotonic clock idle time is measured by.
    fn instant(&self) -> std::time::Instant {
        std::time::Instant::now() + self.clock_skew
    }

    /// Moves the app's clocks on by `by`, as if that much time had passed:
    /// tests of timeouts play time instead of sleeping through it.
    #[cfg(any(test, feature = "test-support"))]
    pub fn pass_time(&mut self, by: std::time::Duration) {
        self.clock_skew += by;
    }

    /// Takes the config file's keys, theme and timeouts; its warnings show
    /// in the status line (the first, and how many more).
    pub fn configure(&mut self, ui: UiSettings) {
        let UiSettings {
            keymap,
            theme,
            timeouts,
            warnings,
        } = ui;
        self.keymap = keymap;
        self.theme = theme;
        self.timeouts = timeouts;
        // The count and where to read them all come first: at 80 columns the
        // end of a long warning is cut.
        let text = warnings.first().map(|first| {
            let first = first.short_text(self.locale);
            match warnings.len() {
                1 => first,
                n => self
                    .locale
                    .f("config.more", &[("warning", &first), ("n", &n.to_string())]),
            }
        });
        self.status.set_config_warning(text);
        self.changed = true;
    }

    /// The timeouts in effect.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Effects to run at start: unlocking at once when a key file was given.
    pub fn start(&mut self, key: Option<UnlockKey>) -> Vec<Effect> {
        let Some(key) = key else {
            // A passphrase cannot open a vault that has only key-file slots.
            if matches!(&self.phase, Phase::Locked(s) if matches!(s.stage, super::screens::unlock::Stage::Unlock))
                && crate::vault::file_admin::opens_only_with_key_file(&self.vault_path)
            {
                let screen = UnlockScreen::key_file_needed(self.vault_path.clone());
                self.phase = Phase::Locked(screen);
            }
            return Vec::new();
        };
        self.key_file_unlock = true;
        let exists = matches!(&self.phase, Phase::Locked(s) if matches!(s.stage, super::screens::unlock::Stage::Unlock));
        let mut screen = UnlockScreen::working(self.vault_path.clone());
        if !exists {
            screen.failed(
                self.locale.f(
                    "unlock.no_vault_key_file",
                    &[("path", &self.vault_path.display().to_string())],
                ),
                false,
            );
            self.phase = Phase::Locked(screen);
            return Vec::new();
        }
        self.phase = Phase::Locked(screen);
        vec![Effect::Vault(VaultCommand::Open(key))]
    }

    /// A locked app for the vault at `location`, and the effects to run at
    /// start: a file unlocks at once with `key` (from a key or passphrase
    /// file) or asks for one; a vault on OpenBao is opened at once, no key.
    pub fn on_location(
        location: &crate::vault::VaultLocation,
        key: Option<UnlockKey>,
        locale: &'static Locale,
        theme: Theme,
        size: (u16, u16),
    ) -> (App, Vec<Effect>) {
        use crate::vault::VaultLocation;
        // The unlock screen names the file, or the OpenBao URL.
        let (shown, exists) = match location {
            VaultLocation::File(path) => (path.clone(), std::fs::symlink_metadata(path).is_ok()),
            VaultLocation::OpenBao(loc) => (PathBuf::from(loc.to_string()), true),
        };
        let mut app = App::new(shown, exists, locale, theme, size);
        let start = if location.needs_unlock_key() {
            app.start(key)
        } else {
            app.start_without_key()
        };
        (app, start)
    }

    /// Effects to run at start on a vault that needs no key (OpenBao, or a
    /// file the unlock agent holds): it is opened at once; a failure cannot
    /// be retried by typing.
    pub fn start_without_key(&mut self) -> Vec<Effect> {
        self.key_file_unlock = true;
        self.phase = Phase::Locked(UnlockScreen::working(self.vault_path.clone()));
        vec![Effect::Vault(VaultCommand::Connect)]
    }

    /// Effects to run at start on a file the unlock agent holds: opened at
    /// once, like [`App::start_without_key`], but a vault a passphrase opens
    /// still locks when idle, and unlocking it again asks for the passphrase
    /// (the agent is not asked again: the lock is the UI's own).
    pub fn start_through_agent(&mut self) -> Vec<Effect> {
        let effects = self.start_without_key();
        self.key_file_unlock = crate::vault::file_admin::opens_only_with_key_file(&self.vault_path);
        effects
    }

    /// Whether anything visible changed since the last call.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The connections shown, in order.
    pub fn rows(&self) -> &[ListRow] {
        &self.connections.rows
    }

    /// The keymap mode the app is in.
    pub fn mode(&self) -> Mode {
        if let Phase::Locked(screen) = &self.phase {
            return Screen::mode(screen);
        }
        match self.overlays.last() {
            Some(overlay) => overlay.screen().mode(),
            None => self.pane_screen().mode(),
        }
    }

    /// The flows, in order.
    pub fn flows(&self) -> &[Flow] {
        &self.flows.all
    }

    fn list_height(&self) -> usize {
        self.body().height.saturating_sub(1) as usize
    }

    /// Where full screens and panes draw: between the header and the status line.
    fn body(&self) -> Rect {
        Areas::of(Rect::new(0, 0, self.size.0, self.size.1)).table
    }

    /// The pane that has focus when no overlay is open.
    fn pane_screen(&self) -> &dyn Screen {
        match self.pane {
            Pane::Connections => &self.connections.list,
            Pane::Flows => &self.flows.pane,
        }
    }

    /// Applies one message; returns the effects for the event loop.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let effects = self.apply(msg);
        self.clear_before_quit(effects)
    }

    fn apply(&mut self, msg: Msg) -> Vec<Effect> {
        self.now = now() + self.clock_skew;
        if matches!(msg, Msg::Key(_) | Msg::Paste(_) | Msg::Edited { .. }) {
            // Only the operator keeps the UI unlocked: renewals and redraws
            // do not. Time spent in the editor is the operator's too.
            let at = self.instant();
            self.auto_lock.input(at);
        }
        // Every message is followed by a frame: a state change can never
        // wait unseen behind a guess that nothing changed. An unchanged
        // frame costs nothing on the wire (ratatui writes only the cells
        // that differ).
        self.changed = true;
        match msg {
            Msg::Key(key) => self.handle_input(Event::Key(key)),
            // Whole, to the focused text field only: never replayed as keys,
            // and ignored where no field has the focus.
            Msg::Paste(text) if self.mode().is_typing() => self.handle_input(Event::Paste(text)),
            Msg::Paste(_) => Vec::new(),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                let height = self.list_height();
                self.connections.resize(height);
                Vec::new()
            }
            Msg::Vault(reply) => {
                let history = self.history_after(&reply);
                let mut effects = self.handle_vault(reply);
                effects.extend(history);
                effects
            }
            Msg::Timer(timer) => self.handle_timer(timer),
            Msg::Refresh(event) => self.handle_refresh(event),
            Msg::RunFinished { run, reports } => self.run_finished(run, reports),
            Msg::BodySaved { path, size, result } => self.body_saved(path, size, result),
            Msg::Edited { field, result } => self.edited(&field, result),
        }
    }

    fn handle_timer(&mut self, timer: Timer) -> Vec<Effect> {
        match timer {
            Timer::HideSecrets(generation) => {
                for overlay in &mut self.overlays {
                    if let Overlay::Details(d) = overlay {
                        d.hide_if(generation);
                    }
                }
                Vec::new()
            }
            Timer::ClearNotice(generation) => {
                self.status.expire(generation);
                Vec::new()
            }
            Timer::Countdown(generation) if self.countdown.fired(generation) => {
                self.connections.reassess(self.now);
                self.countdown().into_iter().collect()
            }
            Timer::Countdown(_) => Vec::new(),
            Timer::ReadTheRest if self.first_page_of.is_some() => {
                vec![Effect::Vault(VaultCommand::Reload)]
            }
            Timer::ReadTheRest => Vec::new(),
            Timer::ClearClipboard(generation) => {
                self.clipboard.expired(generation).into_iter().collect()
            }
            Timer::AutoLock(generation) => self.auto_lock_due(generation),
        }
    }

    /// A timer for when the next countdown on screen reads otherwise: a
    /// token's expiry in the list, or revealed secrets hiding again.
    fn countdown(&mut self) -> Option<Effect> {
        let hides = self.overlays.iter().find_map(|o| match o {
            Overlay::Details(d) if d.revealed => d.hides_at,
            _ => None,
        });
        let deadlines = self.connections.expiries().chain(hides);
        self.countdown.schedule(self.now, deadlines)
    }

    fn handle_refresh(&mut self, event: RefreshEvent) -> Vec<Effect> {
        let now = self.now;
        let (id, record) = match &event {
            RefreshEvent::Started { id, .. } => {
                let mut record = self
                    .connections
                    .row(id)
                    .and_then(|r| r.token().cloned())
                    .unwrap_or_default();
                record.renewing = true;
                (id.clone(), record)
            }
            RefreshEvent::Renewed { id, record, .. }
            | RefreshEvent::Failed { id, record, .. }
            | RefreshEvent::Updated { id, record } => (id.clone(), record.clone()),
        };
        let Some(row) = self
            .connections
            .rows
            .iter_mut()
            .find(|r| r.stored.id() == &id)
        else {
            return Vec::new();
        };
        if row.token() != Some(&record) {
            row.set_token(Some(record), now);
            self.changed = true;
        }
        let mut effects: Vec<Effect> = self.countdown().into_iter().collect();
        if let RefreshEvent::Renewed { id, name, record } = &event {
            if self.follow_ups.take_renewal(id) {
                let text = self.locale.f("notice.renewed", &[("name", name)]);
                effects.push(self.notify(text, false));
            }
            effects.extend(self.token_renewed(id, name, record.token.as_ref()));
        }
        if let RefreshEvent::Failed {
            id, name, reason, ..
        } = event
        {
            self.follow_ups.take_renewal(&id);
            self.token_not_renewed(&id);
            effects.push(self.notify(
                self.locale.f(
                    "notice.renew_failed",
                    &[("name", &name), ("reason", &reason)],
                ),
                true,
            ));
        }
        effects
    }

    fn notify(&mut self, text: String, is_error: bool) -> Effect {
        self.status.notify(text, is_error)
    }

    fn handle_vault(&mut self, reply: VaultReply) -> Vec<Effect> {
        let locale = self.locale;
        self.vault_work_done(&reply);
        // Locked: what the vault says of its records, from work sent before
        // the lock, is not kept.
        if matches!(self.phase, Phase::Locked(_))
            && !matches!(
                reply,
                VaultReply::Opened(_) | VaultReply::WrongKey | VaultReply::Failed(_)
            )
        {
            return Vec::new();
        }
        match reply {
            VaultReply::Opened(snapshot) => {
                self.phase = Phase::Open;
                let first_page = snapshot.first_page_of.is_some();
                self.set_rows(snapshot, None);
                // The rest of a large vault is read next (the status line
                // says so meanwhile); renewals start once it is here, so the
                // two do not share the machine.
                let mut effects = if first_page {
                    self.follow_ups.refresher_after_reload = true;
                    vec![Effect::Vault(VaultCommand::Reload)]
                } else {
                    vec![Effect::StartRefresher]
                };
                effects.extend(self.countdown());
                effects.extend(self.arm_auto_lock());
                effects
            }
            VaultReply::WrongKey => {
                let key_file = self.key_file_unlock;
                if let Phase::Locked(screen) = &mut self.phase {
                    let text = if key_file {
                        "unlock.wrong_key_file"
                    } else {
                        "unlock.wrong"
                    };
                    screen.failed(locale.t(text).to_owned(), !key_file);
                }
                Vec::new()
            }
            VaultReply::Failed(text) => match &mut self.phase {
                Phase::Locked(screen) => {
                    screen.failed(text, !self.key_file_unlock);
                    Vec::new()
                }
                Phase::Open => {
                    if let Some(Overlay::Wizard(w)) = self.overlays.last_mut() {
                        w.save_error = Some(text.clone());
                    }
                    let mut effects =
                        vec![self.notify(locale.f("notice.failed", &[("error", &text)]), true)];
                    if std::mem::take(&mut self.follow_ups.refresher_after_reload) {
                        effects.push(Effect::StartRefresher);
                    }
                    // Reading the rest failed (a server gone, say): the list
                    // still says it is partial, and it is read again soon.
                    if self.first_page_of.is_some() {
                        effects.push(Effect::StartTimer(Timer::ReadTheRest, READ_THE_REST_AGAIN));
                    }
                    effects
                }
            },
            VaultReply::Conflict { conflict, snapshot } => {
                self.set_rows(snapshot, None);
                let mut effects = self.refused(conflict);
                effects.extend(self.countdown());
                effects
            }
            VaultReply::DuplicateName(name) => {
                if let Some(Overlay::Wizard(w)) = self.overlays.last_mut() {
                    w.name_taken(locale, &name);
                }
                Vec::new()
            }
            VaultReply::History { id, entries } => {
                self.show_history(&id, entries);
                Vec::new()
            }
            VaultReply::Recorded | VaultReply::Locked => Vec::new(),
            VaultReply::AgentLocked { .. } => self.agent_locked(),
            VaultReply::Unreachable(_) => {
                let text = locale.t("status.unreachable").to_owned();
                self.status.set_warning(Some(text));
                Vec::new()
            }
            VaultReply::Reachable(snapshot) => {
                self.status.set_warning(None);
                self.set_rows(snapshot, None);
                self.countdown().into_iter().collect()
            }
            VaultReply::Reloaded(snapshot) | VaultReply::ChangedElsewhere(snapshot) => {
                self.set_rows(snapshot, None);
                let mut effects: Vec<Effect> = self.countdown().into_iter().collect();
                if std::mem::take(&mut self.follow_ups.refresher_after_reload) {
                    effects.push(Effect::StartRefresher);
                }
                effects
            }
            VaultReply::DuplicateFlow(name) => {
                let theme = self.theme;
                let view = View {
                    theme: &theme,
                    keymap: &self.keymap,
                    locale,
                    now: self.now,
                };
                if let Some(Overlay::FlowName(dialog)) = self.overlays.last_mut() {
                    dialog.name_taken(&name, view);
                }
                Vec::new()
            }
            VaultReply::Saved { done, snapshot } => {
                // The screen that asked for the save is done, if it is still there.
                let asker = match self.overlays.last() {
                    Some(top) if top.asked_for(&done) => self.overlays.pop(),
                    _ => None,
                };
                // Steps saved as they were stored: still what that screen did.
                let done = match (done, &asker) {
                    (
                        Done::StepsSaved {
                            flow,
                            change: StepsChange::Unchanged,
                        },
                        Some(Overlay::Inputs(_)),
                    ) => Done::StepsSaved {
                        flow,
                        change: StepsChange::InputsSaved,
                    },
                    (
                        Done::StepsSaved {
                            flow,
                            change: StepsChange::Unchanged,
                        },
                        Some(Overlay::ConnectionPicker(_)),
                    ) => Done::StepsSaved {
                        flow,
                        change: StepsChange::ConnectionSet,
                    },
                    (done, _) => done,
                };
                // A deleted connection's details have nothing left to show.
                if let Done::Deleted { id, .. } = &done {
                    self.overlays
                        .retain(|o| !matches!(o, Overlay::Details(d) if &d.id == id));
                }
                let select = match &done {
                    Done::Added(id) | Done::Updated(id) => Some(id.clone()),
                    _ => None,
                };
                let (mut text, command) = self.saved(&done, &snapshot);
                if let Some(finished) = self.follow_ups.next_save_notice.take() {
                    text = finished;
                }
                self.set_rows(snapshot, select.as_ref());
                let mut effects = vec![self.notify(text, false)];
                effects.extend(command.map(Effect::Refresher));
                // A connection made with `+` for an action: the action uses it now.
                if let Done::Added(id) = &done
                    && let Some((flow, step)) = self.follow_ups.connection_for.take()
                {
                    let name = self
                        .connection(id)
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    self.follow_ups.next_save_notice = Some(locale.f(
                        "notice.added_for_action",
                        &[("name", &name), ("position", &(step + 1).to_string())],
                    ));
                    effects.extend(self.set_step_connection(&flow, step, Some(id.clone())));
                }
                effects.extend(self.redo_dry_run_under());
                effects.extend(self.countdown());
                effects
            }
        }
    }

    fn set_rows(&mut self, snapshot: Snapshot, select: Option<&ConnectionId>) {
        let Snapshot {
            rows,
            flows,
            first_page_of,
        } = snapshot;
        self.first_page_of = first_page_of;
        self.connections.list.reading_the_rest = first_page_of.is_some();
        let select_flow = self.follow_ups.select_flow.take();
        self.flows.replace(flows, select_flow.as_ref());
        let height = self.list_height();
        self.connections.replace(rows, select, height);
    }

    fn connection(&self, id: &ConnectionId) -> Option<&Connection> {
        self.connections.connection(id)
    }

    /// A key or a paste goes to the screen on top: the unlock screen, the
    /// top overlay, or the pane with focus. Its reply is acted on here, in
    /// one place. A paste has no action, so it can only reach a text field.
    fn handle_input(&mut self, event: Event) -> Vec<Effect> {
        let mode = self.mode();
        let action = match &event {
            Event::Key(key) => self.keymap.action_for(mode, key),
            _ => None,
        };
        if action == Some(Action::ForceQuit) {
            return vec![Effect::Quit];
        }
        let input = KeyInput { action, event };
        // A notice belongs to the screen it was given on: once another
        // opens or this one closes, it goes (unless this key gave it).
        let (depth, notices) = (self.overlays.len(), self.status.generation());
        // A copy, so screens can borrow it while the app's state is changed.
        let theme = self.theme;
        let body = self.body();
        let ctx = Context {
            view: View {
                theme: &theme,
                keymap: &self.keymap,
                locale: self.locale,
                now: self.now,
            },
            rows: &self.connections.rows,
            flows: &self.flows.all,
            body,
        };
        let reply = if let Phase::Locked(screen) = &mut self.phase {
            Screen::handle(screen, &input, &ctx)
        } else if let Some(top) = self.overlays.last_mut() {
            top.screen_mut().handle(&input, &ctx)
        } else {
            match self.pane {
                Pane::Connections => Screen::handle(&mut self.connections.list, &input, &ctx),
                Pane::Flows => Screen::handle(&mut self.flows.pane, &input, &ctx),
            }
        };
        let effects = match reply {
            Reply::Ignored | Reply::Changed => Vec::new(),
            Reply::Close => {
                if let Some(Overlay::Wizard(_)) = self.overlays.pop() {
                    // The connection the `+` of an action was waiting for will not come.
                    self.follow_ups.connection_for = None;
                }
                Vec::new()
            }
            Reply::Do(intent) => self.perform(intent),
        };
        if self.overlays.len() != depth && self.status.generation() == notices {
            self.status.dismiss();
        }
        effects
    }

    /// Does what a screen asked for: the one place intents become state
    /// changes and effects.
    fn perform(&mut self, intent: Intent) -> Vec<Effect> {
        match intent {
            Intent::Quit => vec![Effect::Quit],
            Intent::Help => {
                // At the keys of the screen that asked.
                let help = Help::at(&self.keymap, self.mode(), self.body().height);
                self.overlays.push(Overlay::Help(help));
                Vec::new()
            }
            Intent::NextPane => {
                self.pane = match self.pane {
                    Pane::Connections => Pane::Flows,
                    Pane::Flows => Pane::Connections,
                };
                Vec::new()
            }
            Intent::AddConnection => {
                self.overlays.push(Overlay::Wizard(Box::new(Wizard::add())));
                Vec::new()
            }
            Intent::OpenConnection(id) => {
                if self.connection(&id).is_none() {
                    return vec![self.notify(self.locale.t("notice.damaged").to_owned(), true)];
                }
                self.overlays.push(Overlay::Details(Details::new(
                    id.clone(),
                    self.timeouts.reveal,
                )));
                vec![Effect::Vault(VaultCommand::History(id))]
            }
            Intent::EditConnection(id) => self.open_edit(&id, Wizard::edit),
            Intent::RenameConnection(id) => self.open_edit(&id, Wizard::rename),
            Intent::DeleteConnection(id) => {
                self.open_confirm(&id);
                Vec::new()
            }
            Intent::RenewNow(id) => self.refresh_now(&id),
            Intent::Save(command) => vec![Effect::Vault(command)],
            Intent::HideSecretsLater(generation) => {
                let mut effects = vec![Effect::StartTimer(
                    Timer::HideSecrets(generation),
                    self.timeouts.reveal,
                )];
                // The footer counts the seconds down.
                effects.extend(self.countdown());
                effects.extend(self.audit_details(AuditAction::Reveal, None));
                effects
            }
            Intent::Copy { value, label } => self.copy(value, &label),
            Intent::CopyToken(id) => self.copy_token(&id),
            Intent::OpenEditor { field, text } => vec![Effect::Edit { field, text }],
            Intent::Confirmed(target) => self.confirmed(&target),
            Intent::Flow(intent) => self.perform_flow(intent),
            Intent::NameFlow { renaming, name } => self.name_flow(renaming, name),
            Intent::AppendAction { flow, action } => self.append_action(&flow, action),
            Intent::SetConnection { flow, step, choice } => {
                self.choose_connection(flow, step, choice)
            }
            Intent::SaveInputs { flow, step, inputs } => self.save_inputs(&flow, step, inputs),
            Intent::CopyBody { position, body } => self.copy_body(position, &body),
            Intent::OpenSaveBody { position, body } => self.open_save_body(position, body),
            Intent::SaveBody {
                path,
                body,
                overwrite,
            } => vec![Effect::SaveBody {
                path,
                body,
                overwrite,
            }],
            Intent::NoBody => {
                vec![self.notify(self.locale.t("response.no_body").to_owned(), false)]
            }
            Intent::ReloadEdit(stored) => self.reload_edit(*stored),
            Intent::RecreateEdit => self.recreate_edit(),
        }
    }

    fn copy(&mut self, value: Zeroizing<String>, label: &str) -> Vec<Effect> {
        let name = match self.overlays.last() {
            Some(Overlay::Details(d)) => self.connection(&d.id).map(|c| c.name.clone()),
            _ => None,
        }
        .unwrap_or_default();
        let notice = self.copied_notice("notice.copied", &[("field", label), ("name", &name)]);
        let mut effects = self.put_on_clipboard(value, notice);
        effects.extend(self.audit_details(AuditAction::Copy, Some(label.to_owned())));
        effects
    }

    fn refresh_now(&mut self, id: &ConnectionId) -> Vec<Effect> {
        let locale = self.locale;
        let name = match self.name_of_token_connection(id, "notice.static_nothing_to_renew") {
            Ok(name) => name,
            Err(effects) => return effects,
        };
        self.follow_ups.renewal_asked(id);
        vec![
            Effect::Refresher(RefreshCommand::Now(id.clone())),
            self.notify(locale.f("notice.renewing", &[("name", &name)]), false),
        ]
    }

    /// The name of `id` if its method uses tokens; else the notice to show
    /// (`static_notice` for a connection with static credentials).
    fn name_of_token_connection(
        &mut self,
        id: &ConnectionId,
        static_notice: &str,
    ) -> Result<String, Vec<Effect>> {
        let locale = self.locale;
        let Some(connection) = self.connection(id) else {
            return Err(vec![
                self.notify(locale.t("notice.damaged").to_owned(), true),
            ]);
        };
        let name = connection.name.clone();
        let uses_tokens = crate::catalog::Catalog::embedded()
            .service(&connection.service)
            .and_then(|s| s.method(&connection.method))
            .is_some_and(|m| m.auth.uses_tokens());
        if !uses_tokens {
            return Err(vec![
                self.notify(locale.f(static_notice, &[("name", &name)]), false),
            ]);
        }
        Ok(name)
    }

    fn open_edit(
        &mut self,
        id: &ConnectionId,
        open: fn(Connection) -> Option<Wizard>,
    ) -> Vec<Effect> {
        match self.connection(id).cloned().and_then(open) {
            Some(wizard) => {
                self.overlays.push(Overlay::Wizard(Box::new(wizard)));
                Vec::new()
            }
            None => vec![self.notify(self.locale.t("notice.damaged").to_owned(), true)],
        }
    }

    fn open_confirm(&mut self, id: &ConnectionId) {
        let row = self.connections.row(id);
        let name = row.and_then(|r| r.stored.name()).map_or_else(
            || self.locale.t("list.unreadable_short").to_owned(),
            str::to_owned,
        );
        // Says which flow actions use it: they lose their connection.
        let used_by = self
            .flows
            .all
            .iter()
            .flat_map(|f| {
                f.steps
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.connection.as_ref() == Some(id))
                    .map(|(i, _)| {
                        self.locale.f(
                            "cli.used_at",
                            &[("flow", &f.name), ("position", &(i + 1).to_string())],
                        )
                    })
            })
            .collect();
        self.overlays.push(Overlay::Confirm(ConfirmDelete {
            target: DeleteTarget::Connection(id.clone()),
            name,
            used_by,
        }));
    }

    /// Draws the whole screen from the state; changes nothing.
    pub fn render(&self, frame: &mut Frame) {
        self.render_screen(frame);
        // Names, values and server texts are drawn as they are; the cells are
        // made terminal-safe once, here, whatever screen drew them.
        super::safe_cells::scrub(frame.buffer_mut());
    }

    fn render_screen(&self, frame: &mut Frame) {
        let area = frame.area();
        let view = View {
            theme: &self.theme,
            keymap: &self.keymap,
            locale: self.locale,
            now: self.now,
        };
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let text = self.locale.f(
                "app.too_small",
                &[
                    ("w", &MIN_WIDTH.to_string()),
                    ("h", &MIN_HEIGHT.to_string()),
                    ("cw", &area.width.to_string()),
                    ("ch", &area.height.to_string()),
                ],
            );
            frame.render_widget(
                Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        }
        let areas = Areas::of(area);
        self.render_header(frame, areas.header);
        let ctx = Context {
            view,
            rows: &self.connections.rows,
            flows: &self.flows.all,
            body: areas.table,
        };
        let args = match (&self.phase, self.overlays.last()) {
            (Phase::Open, Some(top)) => top.screen().footer_args(&ctx),
            _ => Vec::new(),
        };
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        footer::render(frame, areas.footer, self.mode(), &args, view);
        if let Phase::Locked(screen) = &self.phase {
            Screen::render(screen, frame, area, &ctx);
            // The config file's problems show from the start, not only once open.
            if self.status.config_warning().is_some() {
                self.status.render(frame, areas.status, None, &self.theme);
            }
            return;
        }
        // Only the top screen draws, over the whole body: pieces of a pane
        // cut by a dialog's border read as noise.
        match self.overlays.last() {
            Some(overlay) => overlay.screen().render(frame, areas.table, &ctx),
            None => self.pane_screen().render(frame, areas.table, &ctx),
        }
        // The status line goes last, so no screen covers it; the filter
        // being typed has the whole line.
        if self.connections.list.filtering {
            return;
        }
        // The filter keeps the left half of the line while the list shows.
        let list_shown = self.pane == Pane::Connections
            && matches!(self.overlays.last(), None | Some(Overlay::Confirm(_)));
        let filter_width = if list_shown && !self.connections.list.filter.value().is_empty() {
            areas.status.width / 2
        } else {
            0
        };
        let area = Rect {
            x: areas.status.x + filter_width,
            width: areas.status.width - filter_width,
            ..areas.status
        };
        self.status
            .render(frame, area, self.work_text(), &self.theme);
    }

    fn render_header(&self, frame: &mut Frame, area: Rect) {
        let locale = self.locale;
        let Connections { rows, list } = &self.connections;
        // While only the first page is read, the count is the vault's.
        let total = self.first_page_of.unwrap_or(rows.len()).to_string();
        let count = match (list.filter.value().is_empty(), self.first_page_of) {
            (true, None) => locale.f("list.count", &[("n", &total)]),
            (true, Some(_)) => locale.f(
                "list.count_filtered",
                &[("shown", &rows.len().to_string()), ("n", &total)],
            ),
            (false, _) => locale.f(
                "list.count_filtered",
                &[("shown", &list.visible.len().to_string()), ("n", &total)],
            ),
        };
        let (title, count) = match self.pane {
            Pane::Connections => (locale.t("list.title"), count),
            Pane::Flows => (locale.t("flows.title"), self.flows.all.len().to_string()),
        };
        let title = format!(" flowvault · {title} ");
        let left = if matches!(self.phase, Phase::Open) {
            format!("{title}({count})")
        } else {
            title
        };
        let path = self.vault_path.display().to_string();
        let room = (area.width as usize).saturating_sub(width(&left) + 2);
        let path = if room > 10 {
            truncate_left(&path, room)
        } else {
            String::new()
        };
        let pad = (area.width as usize).saturating_sub(width(&left) + width(&path) + 1);
        let line = Line::from(vec![
            Span::styled(left, self.theme.title),
            Span::raw(" ".repeat(pad)),
            Span::styled(path, self.theme.muted),
        ]);
        frame.render_widget(Paragraph::new(line), area);
    }
}

/// Keeps the end of a path, which says most: `…/flowvault/vault.db`.
fn truncate_left(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let reversed: String = s.chars().rev().collect();
    let kept = truncate(&reversed, max);
    let kept: String = kept.trim_end_matches('…').chars().rev().collect();
    format!("…{kept}")
}
