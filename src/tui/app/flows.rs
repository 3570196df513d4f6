//! The app's side of the flows pane: its keys, its dialogs, and what the
//! vault and runs answer.

use ratatui::crossterm::event::Event;

use super::{App, Overlay, Pane};
use crate::actions::StepReport;
use crate::auth::RefreshCommand;
use crate::catalog::Catalog;
use crate::locale::labels::action_name;
use crate::tui::keymap::Action;
use crate::tui::message::{Effect, Snapshot, VaultCommand};
use crate::tui::screens::View;
use crate::tui::screens::confirm::{ConfirmDelete, DeleteTarget};
use crate::tui::screens::flow_edit::{EditOutcome, FlowNameDialog, InputsEditor};
use crate::tui::screens::flows::FlowsOutcome;
use crate::tui::screens::help::Help;
use crate::tui::screens::pickers::{ActionPicker, ConnectionChoice, ConnectionPicker, PickOutcome};
use crate::tui::screens::run_view::RunView;
use crate::tui::screens::wizard::Wizard;
use crate::vault::{ConnectionId, Credentials, Flow, FlowId, FlowStep};

impl App {
    fn flow(&self, id: &FlowId) -> Option<&Flow> {
        self.flows.iter().find(|f| &f.id == id)
    }

    /// A key in the flows pane itself.
    pub(super) fn handle_flows_key(&mut self, action: Action) -> Option<Vec<Effect>> {
        let outcome = self.flows_pane.handle(action, &self.flows);
        // A damaged flow can only be deleted: its steps no longer read back.
        let damaged = self
            .flows
            .get(self.flows_pane.flow)
            .is_some_and(|f| f.damaged);
        let harmless = matches!(
            outcome,
            FlowsOutcome::Ignored
                | FlowsOutcome::Changed
                | FlowsOutcome::Quit
                | FlowsOutcome::Help
                | FlowsOutcome::NextPane
                | FlowsOutcome::NewFlow
                | FlowsOutcome::DeleteFlow(_)
        );
        if damaged && !harmless {
            return Some(vec![
                self.notify(self.locale.t("notice.flow_damaged").to_owned(), true),
            ]);
        }
        let catalog = Catalog::embedded();
        let step = |app: &App, flow: &FlowId, i: usize| {
            app.flow(flow).and_then(|f| f.steps.get(i)).cloned()
        };
        Some(match outcome {
            FlowsOutcome::Ignored => return None,
            FlowsOutcome::Changed => Vec::new(),
            FlowsOutcome::Quit => vec![Effect::Quit],
            FlowsOutcome::Help => {
                self.overlay = Some(Overlay::Help(Help::default()));
                Vec::new()
            }
            FlowsOutcome::NextPane => {
                self.pane = Pane::Connections;
                Vec::new()
            }
            FlowsOutcome::NewFlow => {
                self.overlay = Some(Overlay::FlowName(FlowNameDialog::create()));
                Vec::new()
            }
            FlowsOutcome::RenameFlow(id) => {
                if let Some(flow) = self.flow(&id) {
                    self.overlay = Some(Overlay::FlowName(FlowNameDialog::rename(flow)));
                }
                Vec::new()
            }
            FlowsOutcome::DeleteFlow(id) => {
                let name = self.flow(&id).map(|f| f.name.clone()).unwrap_or_default();
                self.overlay = Some(Overlay::Confirm(ConfirmDelete {
                    target: DeleteTarget::Flow(id),
                    name,
                    used_by: Vec::new(),
                }));
                Vec::new()
            }
            FlowsOutcome::DeleteStep(id, i) => {
                let name = step(self, &id, i)
                    .and_then(|s| {
                        catalog
                            .action(&s.action)
                            .map(|a| action_name(self.locale, a).to_owned())
                    })
                    .unwrap_or_default();
                self.overlay = Some(Overlay::Confirm(ConfirmDelete {
                    target: DeleteTarget::Step(id, i),
                    name,
                    used_by: Vec::new(),
                }));
                Vec::new()
            }
            FlowsOutcome::AddAction(id) => {
                self.overlay = Some(Overlay::ActionPicker(ActionPicker::new(id)));
                Vec::new()
            }
            FlowsOutcome::EditInputs(id, i) => {
                let s = step(self, &id, i)?;
                match catalog.action(&s.action) {
                    Some(a) if !a.inputs.is_empty() => {
                        self.overlay =
                            Some(Overlay::Inputs(InputsEditor::new(id, i, a, &s.inputs)));
                        Vec::new()
                    }
                    _ => vec![self.notify(self.locale.t("notice.no_inputs").to_owned(), false)],
                }
            }
            FlowsOutcome::ChooseConnection(id, i) => {
                let s = step(self, &id, i)?;
                match catalog.action(&s.action) {
                    Some(a)
                        if a.service.is_some()
                            && a.connection != crate::catalog::ConnectionNeed::None =>
                    {
                        self.overlay = Some(Overlay::ConnectionPicker(ConnectionPicker::new(
                            id,
                            i,
                            a,
                            s.connection.as_ref(),
                            &self.rows,
                        )));
                        Vec::new()
                    }
                    _ => vec![self.notify(
                        self.locale.t("notice.no_connection_needed").to_owned(),
                        false,
                    )],
                }
            }
            FlowsOutcome::NewConnection(id, i) => self.new_connection_for(id, i),
            FlowsOutcome::MoveStep { flow, from, by } => {
                let mut f = self.flow(&flow).cloned()?;
                let to = (from as isize + by) as usize;
                f.steps.swap(from, to);
                vec![Effect::Vault(VaultCommand::SaveFlow(f))]
            }
            FlowsOutcome::Run {
                flow,
                only,
                dry_run,
            } => {
                let f = self.flow(&flow).cloned()?;
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
                self.runs += 1;
                self.overlay = Some(Overlay::Run(RunView::running(self.runs, title, dry_run)));
                vec![Effect::Run {
                    run: self.runs,
                    flow: f,
                    only: only.map(|i| i + 1),
                    dry_run,
                }]
            }
        })
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
        self.connection_for = Some((flow, step));
        self.overlay = Some(Overlay::Wizard(Box::new(Wizard::add_for_service(service))));
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
        self.flows_pane.select_flow(&self.flows, flow);
        self.flows_pane.step = step;
        self.flows_pane.focus = crate::tui::screens::flows::Focus::Actions;
        vec![Effect::Vault(VaultCommand::SaveFlow(f))]
    }

    /// A key in one of the flows pane's dialogs.
    pub(super) fn handle_flows_overlay(
        &mut self,
        overlay: Overlay,
        action: Option<Action>,
        event: &Event,
    ) -> Option<Vec<Effect>> {
        let theme = self.theme;
        let view = View {
            theme: &theme,
            locale: self.locale,
            now: self.now,
        };
        let keep = |app: &mut App, overlay: Overlay, changed: bool| {
            app.overlay = Some(overlay);
            changed.then(Vec::new)
        };
        match overlay {
            Overlay::FlowName(mut dialog) => {
                match dialog.handle(action, event, &self.flows, view) {
                    EditOutcome::Ignored => keep(self, Overlay::FlowName(dialog), false),
                    EditOutcome::Changed => keep(self, Overlay::FlowName(dialog), true),
                    EditOutcome::Cancel => Some(Vec::new()),
                    EditOutcome::Save(name) => {
                        let renamed = dialog
                            .renaming
                            .as_ref()
                            .and_then(|id| self.flows.iter().find(|f| &f.id == id));
                        let command = match renamed {
                            Some(flow) => VaultCommand::RenameFlow(flow.clone(), name),
                            None => {
                                let flow = Flow::new(name);
                                self.select_flow = Some(flow.id.clone());
                                VaultCommand::AddFlow(flow)
                            }
                        };
                        self.overlay = Some(Overlay::FlowName(dialog));
                        Some(vec![Effect::Vault(command)])
                    }
                }
            }
            Overlay::ActionPicker(mut picker) => match picker.handle(action, event, view) {
                PickOutcome::Ignored => keep(self, Overlay::ActionPicker(picker), false),
                PickOutcome::Changed => keep(self, Overlay::ActionPicker(picker), true),
                PickOutcome::Cancel => Some(Vec::new()),
                PickOutcome::Picked(id) => {
                    let Some(mut flow) = self.flow(&picker.flow).cloned() else {
                        return Some(Vec::new());
                    };
                    flow.steps
                        .push(FlowStep::new(id, None, Credentials::default()));
                    self.flows_pane.step = flow.steps.len() - 1;
                    self.flows_pane.focus = crate::tui::screens::flows::Focus::Actions;
                    self.overlay = Some(Overlay::ActionPicker(picker));
                    Some(vec![Effect::Vault(VaultCommand::SaveFlow(flow))])
                }
            },
            Overlay::ConnectionPicker(mut picker) => match picker.handle(action?) {
                PickOutcome::Ignored => keep(self, Overlay::ConnectionPicker(picker), false),
                PickOutcome::Changed => keep(self, Overlay::ConnectionPicker(picker), true),
                PickOutcome::Cancel => Some(Vec::new()),
                PickOutcome::Picked(ConnectionChoice::New) => {
                    Some(self.new_connection_for(picker.flow, picker.step))
                }
                PickOutcome::Picked(choice) => {
                    let connection = match choice {
                        ConnectionChoice::Connection(id) => Some(id),
                        _ => None,
                    };
                    let (flow, step) = (picker.flow.clone(), picker.step);
                    self.overlay = Some(Overlay::ConnectionPicker(picker));
                    Some(self.set_step_connection(&flow, step, connection))
                }
            },
            Overlay::Inputs(mut editor) => {
                let current = self
                    .flow(&editor.flow)
                    .and_then(|f| f.steps.get(editor.step))
                    .map(|s| s.inputs.clone())
                    .unwrap_or_default();
                match editor.handle(action, event, &current) {
                    EditOutcome::Ignored => keep(self, Overlay::Inputs(editor), false),
                    EditOutcome::Changed => keep(self, Overlay::Inputs(editor), true),
                    EditOutcome::Cancel => Some(Vec::new()),
                    EditOutcome::Save(inputs) => {
                        let Some(mut flow) = self.flow(&editor.flow).cloned() else {
                            return Some(Vec::new());
                        };
                        if let Some(s) = flow.steps.get_mut(editor.step) {
                            s.inputs = inputs;
                        }
                        self.overlay = Some(Overlay::Inputs(editor));
                        Some(vec![Effect::Vault(VaultCommand::SaveFlow(flow))])
                    }
                }
            }
            Overlay::Run(mut run) => {
                // The run view fills the body, less its two borders.
                let page =
                    super::Areas::of(ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1))
                        .table
                        .height
                        .saturating_sub(2);
                let total = run
                    .lines(view, self.size.0.saturating_sub(2) as usize)
                    .len() as u16;
                if !run.handle(action?, page, total) {
                    self.overlay = Some(Overlay::Run(run));
                }
                Some(Vec::new())
            }
            other => keep(self, other, false),
        }
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

    /// The notice for a save, and what the refresher should hear of it.
    pub(super) fn saved(
        &self,
        overlay: Option<&Overlay>,
        snapshot: &Snapshot,
        select: Option<&ConnectionId>,
    ) -> (String, Option<RefreshCommand>) {
        let locale = self.locale;
        fn name(value: &str) -> [(&'static str, &str); 1] {
            [("name", value)]
        }
        match overlay {
            Some(Overlay::Confirm(c)) => match &c.target {
                DeleteTarget::Connection(id) => (
                    locale.f("notice.deleted", &name(&c.name)),
                    Some(RefreshCommand::Removed(id.clone())),
                ),
                DeleteTarget::Flow(_) => (locale.f("notice.flow_deleted", &name(&c.name)), None),
                DeleteTarget::Step(_, _) => (locale.f("notice.step_removed", &name(&c.name)), None),
            },
            Some(Overlay::Wizard(w)) => {
                let text = if w.editing.is_some() {
                    locale.f("notice.updated", &name(w.name.value().trim()))
                } else {
                    let added = snapshot
                        .rows
                        .iter()
                        .find(|r| Some(r.id()) == select)
                        .and_then(|r| r.name())
                        .unwrap_or_default();
                    locale.f("notice.added", &name(added))
                };
                (text, select.cloned().map(RefreshCommand::Changed))
            }
            Some(Overlay::FlowName(d)) if d.renaming.is_some() => {
                (locale.t("notice.flow_renamed").to_owned(), None)
            }
            Some(Overlay::FlowName(_)) => (locale.t("notice.flow_added").to_owned(), None),
            Some(Overlay::ActionPicker(_)) => (locale.t("notice.action_added").to_owned(), None),
            Some(Overlay::ConnectionPicker(_)) => {
                (locale.t("notice.connection_set").to_owned(), None)
            }
            Some(Overlay::Inputs(_)) => (locale.t("notice.inputs_saved").to_owned(), None),
            _ => (locale.t("notice.flow_saved").to_owned(), None),
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
        if let Some(Overlay::Run(view)) = &mut self.overlay
            && view.run == run
        {
            view.reports = Some(reports);
            view.scroll = 0;
            self.changed = true;
        }
        if !sent {
            return Vec::new();
        }
        let used: std::collections::BTreeSet<ConnectionId> = self
            .flows
            .iter()
            .flat_map(|f| f.steps.iter().filter_map(|s| s.connection.clone()))
            .collect();
        let mut effects = vec![Effect::Vault(VaultCommand::Reload)];
        effects.extend(
            used.into_iter()
                .map(|id| Effect::Refresher(RefreshCommand::Changed(id))),
        );
        effects
    }
}
