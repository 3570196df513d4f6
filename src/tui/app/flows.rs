//! The app's side of the flows pane: its keys, its dialogs, and what the
//! vault and runs answer.

use super::{App, Overlay, Pane};
use crate::actions::StepReport;
use crate::auth::RefreshCommand;
use crate::catalog::Catalog;
use crate::present::labels::action_name;
use crate::present::response::size_words;
use crate::tui::intent::FlowIntent;
use crate::tui::message::{BodyNotSaved, Done, Effect, Snapshot, StepsChange, VaultCommand};
use crate::tui::screens::confirm::{ConfirmDelete, DeleteTarget};
use crate::tui::screens::flow_edit::{FlowNameDialog, InputsEditor};
use crate::tui::screens::pickers::{ActionPicker, ConnectionChoice, ConnectionPicker};
use crate::tui::screens::run_confirm::RunConfirm;
use crate::tui::screens::run_view::RunView;
use crate::tui::screens::save_body::SaveBodyPrompt;
use crate::tui::screens::wizard::Wizard;
use crate::vault::{ConnectionId, Credentials, Flow, FlowId, FlowStep};
use std::path::PathBuf;
use zeroize::Zeroizing;

impl App {
    fn flow(&self, id: &FlowId) -> Option<&Flow> {
        self.flows.get(id)
    }

    /// What the flows pane asked for.
    pub(super) fn perform_flow(&mut self, intent: FlowIntent) -> Vec<Effect> {
        // A damaged flow can only be deleted: its steps no longer read back.
        let damaged = self
            .flows
            .all
            .get(self.flows.pane.flow)
            .is_some_and(|f| f.damaged);
        let harmless = matches!(intent, FlowIntent::NewFlow | FlowIntent::DeleteFlow(_));
        if damaged && !harmless {
            return vec![self.notify(self.locale.t("notice.flow_damaged").to_owned(), true)];
        }
        let catalog = Catalog::embedded();
        let step = |app: &App, flow: &FlowId, i: usize| {
            app.flow(flow).and_then(|f| f.steps.get(i)).cloned()
        };
        let open = |app: &mut App, overlay: Overlay| {
            app.overlays.push(overlay);
            Vec::new()
        };
        match intent {
            FlowIntent::NewFlow => open(self, Overlay::FlowName(FlowNameDialog::create())),
            FlowIntent::RenameFlow(id) => match self.flow(&id) {
                Some(flow) => {
                    let dialog = FlowNameDialog::rename(flow);
                    open(self, Overlay::FlowName(dialog))
                }
                None => Vec::new(),
            },
            FlowIntent::DeleteFlow(id) => {
                let name = self.flow(&id).map(|f| f.name.clone()).unwrap_or_default();
                self.overlays.push(Overlay::Confirm(ConfirmDelete {
                    target: DeleteTarget::Flow(id),
                    name,
                    used_by: Vec::new(),
                }));
                Vec::new()
            }
            FlowIntent::DeleteStep(id, i) => {
                let name = step(self, &id, i)
                    .and_then(|s| {
                        catalog
                            .action(&s.action)
                            .map(|a| action_name(self.locale, a).to_owned())
                    })
                    .unwrap_or_default();
                self.overlays.push(Overlay::Confirm(ConfirmDelete {
                    target: DeleteTarget::Step(id, i),
                    name,
                    used_by: Vec::new(),
                }));
                Vec::new()
            }
            FlowIntent::AddAction(id) => open(self, Overlay::ActionPicker(ActionPicker::new(id))),
            FlowIntent::EditInputs(id, i) => {
                let Some(s) = step(self, &id, i) else {
                    return Vec::new();
                };
                match catalog.action(&s.action) {
                    Some(a) if !a.inputs.is_empty() => open(
                        self,
                        Overlay::Inputs(InputsEditor::new(id, i, a, &s.inputs)),
                    ),
                    _ => vec![self.notify(self.locale.t("notice.no_inputs").to_owned(), false)],
                }
            }
            FlowIntent::ChooseConnection(id, i) => {
                let Some(s) = step(self, &id, i) else {
                    return Vec::new();
                };
                match catalog.action(&s.action) {
                    Some(a)
                        if a.service.is_some()
                            && a.connection != crate::catalog::ConnectionNeed::None =>
                    {
                        let picker = ConnectionPicker::new(
                            id,
                            i,
                            a,
                            s.connection.as_ref(),
                            &self.connections.rows,
                        );
                        open(self, Overlay::ConnectionPicker(picker))
                    }
                    _ => vec![self.notify(
                        self.locale.t("notice.no_connection_needed").to_owned(),
                        false,
                    )],
                }
            }
            FlowIntent::NewConnection(id, i) => self.new_connection_for(id, i),
            FlowIntent::MoveStep { flow, from, by } => {
                let Some(mut f) = self.flow(&flow).cloned() else {
                    return Vec::new();
                };
                let to = (from as isize + by) as usize;
                f.steps.swap(from, to);
                vec![Effect::Vault(VaultCommand::SaveFlow(f))]
            }
            FlowIntent::Run {
                flow,
                only,
                dry_run,
            } => match self.flow(&flow).cloned() {
                Some(f) if dry_run => self.start_run(f, only, true),
                Some(f) => self.confirm_run(f, only),
                None => Vec::new(),
            },
            FlowIntent::Send { flow, only } => self.send_confirmed(flow, only),
            FlowIntent::ChooseActionFirst => vec![self.notify(
                self.locale.t("notice.choose_action_first").to_owned(),
                false,
            )],
        }
    }

    /// A real run: first a dry run of every action it would send, shown in
    /// a confirmation that sends only on `y`.
    fn confirm_run(&mut self, flow: Flow, only: Option<usize>) -> Vec<Effect> {
        let run = self.follow_ups.next_run();
        let confirm = RunConfirm::checking(run, flow.clone(), only, &self.connections.rows);
        self.overlays.push(Overlay::ConfirmRun(confirm));
        vec![Effect::Run {
            run,
            flow,
            only: only.map(|i| i + 1),
            dry_run: true,
        }]
    }

    /// `y` on the confirmation: sends the flow as it was checked, unless it
    /// or its connections changed since; then it is checked again.
    fn send_confirmed(&mut self, flow: Flow, only: Option<usize>) -> Vec<Effect> {
        let stale = match self.overlays.last() {
            Some(Overlay::ConfirmRun(c)) => c.is_stale(&self.flows.all, &self.connections.rows),
            _ => true,
        };
        if matches!(self.overlays.last(), Some(Overlay::ConfirmRun(_))) {
            self.overlays.pop();
        }
        if stale {
            let mut effects =
                vec![self.notify(self.locale.t("notice.flow_changed").to_owned(), true)];
            if let Some(current) = self.flow(&flow.id).cloned() {
                effects.extend(self.confirm_run(current, only));
            }
            return effects;
        }
        self.start_run(flow, only, false)
    }

    /// Opens the run view and starts the run (a real one only from [`Self::send_confirmed`]).
    fn start_run(&mut self, f: Flow, only: Option<usize>, dry_run: bool) -> Vec<Effect> {
        let title = match only {
            Some(i) => self.locale.f(
                if dry_run {
                    "run.title_dry_step"
                } else {
                    "run.title_step"
                },
                &[("flow", &f.name), ("position", &(i + 1).to_string())],
            ),
            None => self.locale.f(
                if dry_run {
                    "run.title_dry"
                } else {
                    "run.title"
                },
                &[("flow", &f.name)],
            ),
        };
        let run = self.follow_ups.next_run();
        let view = RunView::running(run, f.id.clone(), only, title, dry_run);
        self.overlays.push(Overlay::Run(view));
        if !dry_run {
            self.follow_ups.runs_sending.push((run, f.clone()));
        }
        vec![Effect::Run {
            run,
            flow: f,
            only: only.map(|i| i + 1),
            dry_run,
        }]
    }

    /// A fix saved from a dry run's view or a blocked confirmation (`e`): the
    /// dry run is made again (the confirmation checked again), so
    /// the view under the closed form shows the flow as it is now, not the
    /// failure just fixed. A real run's view is left as it was: it says what
    /// was sent, and sending again takes a new confirmation.
    pub(super) fn redo_dry_run_under(&mut self) -> Vec<Effect> {
        // A confirmation blocked by a connection just fixed: checked again.
        if let Some(Overlay::ConfirmRun(confirm)) = self.overlays.last()
            && confirm.reports.is_some()
        {
            let (id, only) = (confirm.flow.id.clone(), confirm.only);
            let Some(flow) = self.flow(&id).cloned() else {
                return Vec::new();
            };
            self.overlays.pop();
            return self.confirm_run(flow, only);
        }
        let Some(Overlay::Run(view)) = self.overlays.last() else {
            return Vec::new();
        };
        if !view.dry_run || view.reports.is_none() {
            return Vec::new();
        }
        let (id, only) = (view.flow.clone(), view.only);
        let Some(flow) = self.flow(&id).cloned() else {
            return Vec::new();
        };
        let run = self.follow_ups.next_run();
        if let Some(Overlay::Run(view)) = self.overlays.last_mut() {
            view.run = run;
            view.reports = None;
            view.scroll = 0;
        }
        vec![Effect::Run {
            run,
            flow,
            only: only.map(|i| i + 1),
            dry_run: true,
        }]
    }

    /// `+` on an action: the wizard with its service already chosen; the new
    /// connection is selected for the action on return.
    fn new_connection_for(&mut self, flow: FlowId, step: usize) -> Vec<Effect> {
        let service = self
            .flow(&flow)
            .and_then(|f| f.steps.get(step))
            .and_then(|s| Catalog::embedded().action(&s.action))
            .and_then(|a| a.service.as_deref())
            .and_then(|id| Catalog::embedded().service(id));
        let Some(service) = service else {
            return vec![self.notify(
                self.locale.t("notice.no_connection_needed").to_owned(),
                false,
            )];
        };
        self.follow_ups.connection_for = Some((flow, step));
        // Over the connection picker, if it was open: Esc goes back to it.
        self.overlays
            .push(Overlay::Wizard(Box::new(Wizard::add_for_service(service))));
        Vec::new()
    }

    /// Points a step at a connection (or none) and saves the flow.
    pub(super) fn set_step_connection(
        &mut self,
        flow: &FlowId,
        step: usize,
        connection: Option<ConnectionId>,
    ) -> Vec<Effect> {
        let Some(mut f) = self.flow(flow).cloned() else {
            return Vec::new();
        };
        let Some(s) = f.steps.get_mut(step) else {
            return Vec::new();
        };
        s.connection = connection;
        self.pane = Pane::Flows;
        self.flows.pane.select_flow(&self.flows.all, flow);
        self.flows.pane.step = step;
        self.flows.pane.focus = crate::tui::screens::flows::Focus::Actions;
        vec![Effect::Vault(VaultCommand::SaveFlow(f))]
    }

    /// A flow name was typed: a new flow, or a rename.
    pub(super) fn name_flow(&mut self, renaming: Option<FlowId>, name: String) -> Vec<Effect> {
        let renamed = renaming.as_ref().and_then(|id| self.flow(id));
        let command = if let Some(flow) = renamed {
            VaultCommand::RenameFlow(flow.clone(), name)
        } else {
            let flow = Flow::new(name);
            self.follow_ups.select_flow = Some(flow.id.clone());
            VaultCommand::AddFlow(flow)
        };
        vec![Effect::Vault(command)]
    }

    /// Appends an action to a flow and selects it.
    pub(super) fn append_action(&mut self, flow: &FlowId, action: String) -> Vec<Effect> {
        let Some(mut flow) = self.flow(flow).cloned() else {
            return Vec::new();
        };
        flow.steps
            .push(FlowStep::new(action, None, Credentials::default()));
        self.flows.pane.step = flow.steps.len() - 1;
        self.flows.pane.focus = crate::tui::screens::flows::Focus::Actions;
        vec![Effect::Vault(VaultCommand::SaveFlow(flow))]
    }

    /// A connection was picked for an action: an existing one, none, or a new one.
    pub(super) fn choose_connection(
        &mut self,
        flow: FlowId,
        step: usize,
        choice: ConnectionChoice,
    ) -> Vec<Effect> {
        match choice {
            ConnectionChoice::New => self.new_connection_for(flow, step),
            ConnectionChoice::Connection(id) => self.set_step_connection(&flow, step, Some(id)),
            ConnectionChoice::None => self.set_step_connection(&flow, step, None),
        }
    }

    /// New input values for an action.
    pub(super) fn save_inputs(
        &mut self,
        flow: &FlowId,
        step: usize,
        inputs: Credentials,
    ) -> Vec<Effect> {
        let Some(mut flow) = self.flow(flow).cloned() else {
            return Vec::new();
        };
        if let Some(s) = flow.steps.get_mut(step) {
            s.inputs = inputs;
        }
        vec![Effect::Vault(VaultCommand::SaveFlow(flow))]
    }

    /// The operator said yes to a deletion.
    pub(super) fn confirmed(&mut self, target: &DeleteTarget) -> Vec<Effect> {
        match target {
            DeleteTarget::Connection(id) => vec![Effect::Vault(VaultCommand::Delete(id.clone()))],
            DeleteTarget::Flow(id) => vec![Effect::Vault(VaultCommand::DeleteFlow(id.clone()))],
            DeleteTarget::Step(id, i) => {
                let Some(mut flow) = self.flow(id).cloned() else {
                    return Vec::new();
                };
                if *i < flow.steps.len() {
                    flow.steps.remove(*i);
                }
                vec![Effect::Vault(VaultCommand::SaveFlow(flow))]
            }
        }
    }

    /// The notice for a save, and what the refresher should hear of it:
    /// from what the vault says it did.
    pub(super) fn saved(
        &self,
        done: &Done,
        snapshot: &Snapshot,
    ) -> (String, Option<RefreshCommand>) {
        let locale = self.locale;
        let unreadable = || locale.t("list.unreadable_short").to_owned();
        let connection_name = |id: &ConnectionId| {
            snapshot
                .rows
                .iter()
                .find(|r| r.stored.id() == id)
                .and_then(|r| r.stored.name())
                .map_or_else(unreadable, str::to_owned)
        };
        let named = |key: &str, name: &str| locale.f(key, &[("name", name)]);
        match done {
            Done::Added(id) => (
                named("notice.added", &connection_name(id)),
                Some(RefreshCommand::Changed(id.clone())),
            ),
            Done::Updated(id) => (
                named("notice.updated", &connection_name(id)),
                Some(RefreshCommand::Changed(id.clone())),
            ),
            Done::Deleted { id, name } => (
                named("notice.deleted", &name.clone().unwrap_or_else(unreadable)),
                Some(RefreshCommand::Removed(id.clone())),
            ),
            Done::FlowAdded(_) => (locale.t("notice.flow_added").to_owned(), None),
            Done::FlowRenamed(_) => (locale.t("notice.flow_renamed").to_owned(), None),
            Done::FlowDeleted { name, .. } => (named("notice.flow_deleted", name), None),
            Done::StepsSaved { change, .. } => {
                let text = match change {
                    StepsChange::ActionAdded => locale.t("notice.action_added").to_owned(),
                    StepsChange::Removed { action } => {
                        let name = Catalog::embedded()
                            .action(action)
                            .map_or(action.as_str(), |a| action_name(locale, a));
                        named("notice.step_removed", name)
                    }
                    StepsChange::ConnectionSet => locale.t("notice.connection_set").to_owned(),
                    StepsChange::InputsSaved => locale.t("notice.inputs_saved").to_owned(),
                    StepsChange::Moved | StepsChange::Unchanged => {
                        locale.t("notice.flow_saved").to_owned()
                    }
                };
                (text, None)
            }
        }
    }

    /// `y` in the run view: the body on the clipboard as text (OSC 52
    /// carries text; bytes that are not UTF-8 become U+FFFD).
    pub(super) fn copy_body(&mut self, position: usize, body: &[u8]) -> Vec<Effect> {
        let text = Zeroizing::new(String::from_utf8_lossy(body).into_owned());
        let notice = self.copied_notice(
            "response.copied",
            &[
                ("position", &position.to_string()),
                ("size", &size_words(self.locale, body.len())),
            ],
        );
        self.put_on_clipboard(text, notice)
    }

    /// `s` in the run view: the prompt for where to save the body.
    pub(super) fn open_save_body(&mut self, position: usize, body: bytes::Bytes) -> Vec<Effect> {
        self.overlays
            .push(Overlay::SaveBody(SaveBodyPrompt::new(position, body)));
        Vec::new()
    }

    /// A body was saved, or not: the prompt closes with a notice, or says
    /// why it stays (a file there, which Enter again replaces; an error).
    pub(super) fn body_saved(
        &mut self,
        path: PathBuf,
        size: usize,
        result: Result<(), BodyNotSaved>,
    ) -> Vec<Effect> {
        let locale = self.locale;
        let Some(Overlay::SaveBody(prompt)) = self.overlays.last_mut() else {
            return Vec::new();
        };
        match result {
            Ok(()) => {
                self.overlays.pop();
                let notice = self.locale.f(
                    "response.saved",
                    &[
                        ("size", &size_words(self.locale, size)),
                        ("path", &path.display().to_string()),
                    ],
                );
                vec![self.notify(notice, false)]
            }
            Err(BodyNotSaved::Exists) => {
                prompt.file_exists(path, locale);
                Vec::new()
            }
            Err(BodyNotSaved::Failed(reason)) => {
                prompt.failed(reason);
                Vec::new()
            }
        }
    }

    /// A run came back: show its result. A real run may have fetched tokens:
    /// read the file again, and let the refresher take those tokens over.
    pub(super) fn run_finished(&mut self, run: u64, reports: Vec<StepReport>) -> Vec<Effect> {
        use crate::actions::StepOutcome;
        // Only a run that sent something can have fetched a token.
        let sent = reports
            .iter()
            .any(|r| !matches!(r.outcome, StepOutcome::DryRun(_)));
        for overlay in &mut self.overlays {
            match overlay {
                Overlay::Run(view) if view.run == run => {
                    view.reports = Some(reports.clone());
                    view.scroll = 0;
                }
                Overlay::ConfirmRun(confirm) if confirm.run == run => {
                    confirm.reports = Some(reports.clone());
                    confirm.scroll = 0;
                }
                _ => {}
            }
        }
        let audit = self.audit_run(run, &reports);
        if !sent {
            return audit.into_iter().collect();
        }
        let used: std::collections::BTreeSet<ConnectionId> = self
            .flows
            .all
            .iter()
            .flat_map(|f| f.steps.iter().filter_map(|s| s.connection.clone()))
            .collect();
        let mut effects: Vec<Effect> = audit.into_iter().collect();
        effects.push(Effect::Vault(VaultCommand::Reload));
        effects.extend(
            used.into_iter()
                .map(|id| Effect::Refresher(RefreshCommand::Changed(id))),
        );
        effects
    }
}
