//! Keys to named actions, per mode; the footer and the help screen read the same tables.
//!
//! The tables here are the defaults; the app works with a [`Keymap`] built
//! from them and the config file's `[keys]` (see `custom`).

mod custom;

pub use custom::ConfiguredKeys;

use std::borrow::Cow;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::config::file_name;

/// What a key asks for; components match these, never key codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    ForceQuit,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Filter,
    Open,
    Add,
    Edit,
    Delete,
    Refresh,
    NextPane,
    Help,
    Back,
    Submit,
    NextField,
    PrevField,
    /// Save the form from any field (Enter saves only on the last).
    Save,
    /// Save the wizard's connection without its required fields, to fill in later.
    CreateEmpty,
    Reveal,
    Copy,
    Yes,
    No,
    /// Flows pane: focus the flows or the actions column.
    FocusLeft,
    FocusRight,
    /// Move the selected action down or up in its flow.
    MoveDown,
    MoveUp,
    NewFlow,
    ChooseConnection,
    /// Add a connection on the spot (the wizard, service already chosen).
    NewConnection,
    DryRun,
    DryRunAll,
    Run,
    RunAll,
    /// Rename the selected connection (its name only).
    Rename,
    /// Choice fields: the next or the previous value.
    NextChoice,
    PrevChoice,
    /// An edit was refused, the connection changed elsewhere: take the stored values.
    Reload,
    /// An edit was refused, the connection was deleted elsewhere: save it anew.
    Recreate,
    /// Details: copy the connection's current access token.
    CopyToken,
    /// A form: write the focused field's value in `$VISUAL`/`$EDITOR`.
    OpenEditor,
}

impl Action {
    /// The action's name in the config file: `delete`, `page_down`.
    pub fn name(self) -> String {
        file_name(&format!("{self:?}"), '_')
    }
}

/// What the app is doing, which decides what keys mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Unlock,
    /// Creating a vault, at "Repeat it": Esc goes back to the first field.
    UnlockRepeat,
    List,
    Filter,
    WizardService,
    WizardMethod,
    WizardName,
    /// Renaming a connection: Enter saves the name.
    Rename,
    WizardForm,
    /// The form, on a field whose value is one of a few choices.
    WizardChoice,
    Details,
    /// Details while secrets show: `v` hides them.
    DetailsRevealed,
    Confirm,
    Help,
    /// Flows pane, the flows column focused.
    FlowsList,
    /// Flows pane, the selected flow's actions focused.
    FlowsActions,
    FlowName,
    ActionPicker,
    ConnectionPicker,
    InputsForm,
    RunView,
    /// The run view showing an action that failed because of its
    /// connection: `e` opens what fixes it.
    RunViewFixable,
    /// The path a response body is saved to, being typed.
    SaveBody,
    /// The requests a real run will send, waiting for `y`.
    ConfirmRun,
    /// An edit was refused: the connection was changed elsewhere.
    ChangedElsewhere,
    /// An edit was refused: the connection was deleted elsewhere.
    DeletedElsewhere,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 26] = [
        Mode::Unlock,
        Mode::UnlockRepeat,
        Mode::List,
        Mode::Filter,
        Mode::WizardService,
        Mode::WizardMethod,
        Mode::WizardName,
        Mode::Rename,
        Mode::WizardForm,
        Mode::WizardChoice,
        Mode::Details,
        Mode::DetailsRevealed,
        Mode::Confirm,
        Mode::Help,
        Mode::FlowsList,
        Mode::FlowsActions,
        Mode::FlowName,
        Mode::ActionPicker,
        Mode::ConnectionPicker,
        Mode::InputsForm,
        Mode::RunView,
        Mode::RunViewFixable,
        Mode::SaveBody,
        Mode::ConfirmRun,
        Mode::ChangedElsewhere,
        Mode::DeletedElsewhere,
    ];

    /// Typing modes hand every key without a binding to the text input.
    pub fn is_typing(self) -> bool {
        matches!(
            self,
            Mode::Unlock
                | Mode::UnlockRepeat
                | Mode::Filter
                | Mode::WizardService
                | Mode::WizardName
                | Mode::Rename
                | Mode::WizardForm
                | Mode::FlowName
                | Mode::ActionPicker
                | Mode::InputsForm
                | Mode::SaveBody
        )
    }

    /// Locale key of the mode's title in the help screen.
    pub fn title_key(self) -> &'static str {
        match self {
            Mode::Unlock | Mode::UnlockRepeat => "help.mode.unlock",
            Mode::List => "help.mode.list",
            Mode::Filter => "help.mode.filter",
            Mode::WizardService => "help.mode.wizard_service",
            Mode::WizardMethod => "help.mode.wizard_method",
            Mode::WizardName | Mode::Rename => "help.mode.wizard_name",
            Mode::WizardForm => "help.mode.wizard_form",
            Mode::WizardChoice => "help.mode.wizard_choice",
            Mode::Details | Mode::DetailsRevealed => "help.mode.details",
            Mode::Confirm => "help.mode.confirm",
            Mode::Help => "help.mode.help",
            Mode::FlowsList => "help.mode.flows_list",
            Mode::FlowsActions => "help.mode.flows_actions",
            Mode::FlowName => "help.mode.flow_name",
            Mode::ActionPicker => "help.mode.action_picker",
            Mode::ConnectionPicker => "help.mode.connection_picker",
            Mode::InputsForm => "help.mode.inputs_form",
            Mode::RunView | Mode::RunViewFixable | Mode::SaveBody => "help.mode.run_view",
            Mode::ConfirmRun => "help.mode.confirm_run",
            Mode::ChangedElsewhere => "help.mode.changed_elsewhere",
            Mode::DeletedElsewhere => "help.mode.deleted_elsewhere",
        }
    }

    /// The screen's name in the config file's `[keys.SCREEN]`: the mode's
    /// name, one for the variants of a screen (`details` is also the
    /// details with secrets shown).
    pub fn screen_name(self) -> String {
        let same = match self {
            Mode::UnlockRepeat => Mode::Unlock,
            Mode::DetailsRevealed => Mode::Details,
            Mode::RunViewFixable => Mode::RunView,
            Mode::WizardChoice => Mode::WizardForm,
            other => other,
        };
        file_name(&format!("{same:?}"), '_')
    }

    /// The help section that explains this mode's keys.
    pub fn help_section(self) -> Mode {
        match self {
            Mode::UnlockRepeat => Mode::Unlock,
            Mode::DetailsRevealed => Mode::Details,
            Mode::FlowName => Mode::FlowsList,
            // The help lists the run view's keys with `e`, which is bound
            // only while there is something to fix.
            Mode::RunView | Mode::SaveBody => Mode::RunViewFixable,
            other => other,
        }
    }
}

/// One key with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

impl Key {
    /// How the key is written in hints: `j`, `Enter`, `Ctrl-s`, `↑`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "Shift-Tab".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let mut label = base;
        // A character carries its Shift (`G`); other keys say it.
        let character = matches!(self.code, KeyCode::Char(_) | KeyCode::BackTab);
        if self.modifiers.contains(KeyModifiers::SHIFT) && !character {
            label = format!("Shift-{label}");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            label = format!("Alt-{label}");
        }
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            label = format!("Ctrl-{label}");
        }
        label
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        // Shift is part of the character itself ('G'), so it is ignored for chars.
        let mods = match event.code {
            KeyCode::Char(_) | KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        self.code == event.code && self.modifiers == mods
    }
}

/// Where a binding's hint shows; every binding is shown in the help screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// In the help screen only.
    HelpOnly,
    /// In the footer, always.
    Footer,
    /// In the footer when the others leave room (wide terminals).
    FooterIfRoom,
}

/// A set of keys bound to one action, with the locale key of its hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Cow<'static, [Key]>,
    pub action: Action,
    pub hint: &'static str,
    pub footer: Shown,
}

const fn bind(keys: &'static [Key], action: Action, hint: &'static str, footer: bool) -> Binding {
    Binding {
        keys: Cow::Borrowed(keys),
        action,
        hint,
        footer: if footer {
            Shown::Footer
        } else {
            Shown::HelpOnly
        },
    }
}

/// A binding whose hint shows in the footer only when there is room.
const fn spare(keys: &'static [Key], action: Action, hint: &'static str) -> Binding {
    Binding {
        keys: Cow::Borrowed(keys),
        action,
        hint,
        footer: Shown::FooterIfRoom,
    }
}

const FORCE_QUIT: Binding = bind(&[ctrl('c')], Action::ForceQuit, "keys.force_quit", false);

const UNLOCK: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.confirm", true),
    bind(&[key(KeyCode::Esc)], Action::Quit, "keys.quit", true),
    FORCE_QUIT,
];

const UNLOCK_REPEAT: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.confirm", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.back", true),
    FORCE_QUIT,
];

const LIST: &[Binding] = &[
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    bind(
        &[ch('g'), key(KeyCode::Home)],
        Action::Top,
        "keys.top",
        false,
    ),
    bind(
        &[ch('G'), key(KeyCode::End)],
        Action::Bottom,
        "keys.bottom",
        false,
    ),
    bind(
        &[key(KeyCode::PageDown), ctrl('d')],
        Action::PageDown,
        "keys.page_down",
        false,
    ),
    bind(
        &[key(KeyCode::PageUp), ctrl('u')],
        Action::PageUp,
        "keys.page_up",
        false,
    ),
    bind(&[key(KeyCode::Enter)], Action::Open, "keys.details", true),
    bind(&[ch('/')], Action::Filter, "keys.filter", true),
    bind(&[ch('a')], Action::Add, "keys.add", true),
    bind(&[ch('e')], Action::Edit, "keys.edit", true),
    spare(&[ch('R')], Action::Rename, "keys.rename"),
    bind(&[ch('d')], Action::Delete, "keys.delete", true),
    spare(&[ch('r')], Action::Refresh, "keys.refresh"),
    bind(
        &[key(KeyCode::Tab)],
        Action::NextPane,
        "keys.next_pane",
        true,
    ),
    bind(&[ch('?')], Action::Help, "keys.help", true),
    bind(&[ch('q')], Action::Quit, "keys.quit", true),
    bind(
        &[key(KeyCode::Esc)],
        Action::Back,
        "keys.clear_filter",
        false,
    ),
    FORCE_QUIT,
];

const FILTER: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Action::Submit,
        "keys.keep_filter",
        true,
    ),
    bind(
        &[key(KeyCode::Esc)],
        Action::Back,
        "keys.clear_filter",
        true,
    ),
    bind(&[key(KeyCode::Down)], Action::Down, "keys.down", false),
    bind(&[key(KeyCode::Up)], Action::Up, "keys.up", false),
    FORCE_QUIT,
];

const WIZARD_SERVICE: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Action::Submit,
        "keys.continue",
        true,
    ),
    bind(&[key(KeyCode::Down)], Action::Down, "keys.down", true),
    bind(&[key(KeyCode::Up)], Action::Up, "keys.up", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.cancel", true),
    FORCE_QUIT,
];

const WIZARD_METHOD: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Action::Submit,
        "keys.continue",
        true,
    ),
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        true,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.back", true),
    FORCE_QUIT,
];

const WIZARD_NAME: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Action::Submit,
        "keys.continue",
        true,
    ),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.back", true),
    FORCE_QUIT,
];

const RENAME: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.rename", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.cancel", true),
    FORCE_QUIT,
];

const WIZARD_FORM: &[Binding] = &[
    bind(
        &[key(KeyCode::Tab), key(KeyCode::Down)],
        Action::NextField,
        "keys.next_field",
        true,
    ),
    bind(
        &[key(KeyCode::BackTab), key(KeyCode::Up)],
        Action::PrevField,
        "keys.prev_field",
        false,
    ),
    // Out of the footer, which has no room for it at 80 columns: the form's
    // own hint line says what Enter does.
    bind(
        &[key(KeyCode::Enter)],
        Action::Submit,
        "keys.next_or_save",
        false,
    ),
    // Not Ctrl-e, which readline users press to reach the end of the line.
    bind(&[ctrl('s')], Action::Save, "keys.save", true),
    bind(&[ctrl('n')], Action::CreateEmpty, "keys.create_empty", true),
    // Not Ctrl-e either: `o` for "open in the editor".
    bind(&[ctrl('o')], Action::OpenEditor, "keys.editor", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.back", true),
    FORCE_QUIT,
];

/// The form on a choice field: the value is chosen, not typed.
const WIZARD_CHOICE: &[Binding] = &[
    bind(
        &[key(KeyCode::Tab), key(KeyCode::Down)],
        Action::NextField,
        "keys.next_field",
        true,
    ),
    bind(
        &[key(KeyCode::Char(' ')), key(KeyCode::Right)],
        Action::NextChoice,
        "keys.choose",
        true,
    ),
    bind(
        &[key(KeyCode::Left)],
        Action::PrevChoice,
        "keys.prev_choice",
        false,
    ),
    bind(
        &[key(KeyCode::BackTab), key(KeyCode::Up)],
        Action::PrevField,
        "keys.prev_field",
        false,
    ),
    bind(
        &[key(KeyCode::Enter)],
        Action::Submit,
        "keys.next_or_save",
        false,
    ),
    bind(&[ctrl('s')], Action::Save, "keys.save", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.back", true),
    // The form's hint line says it, as for Enter.
    bind(
        &[ctrl('n')],
        Action::CreateEmpty,
        "keys.create_empty",
        false,
    ),
    FORCE_QUIT,
];

/// Details while secrets show: the footer counts down to when they hide.
const DETAILS_REVEALED: &[Binding] = &[
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    bind(&[ch('v')], Action::Reveal, "keys.hide_in", true),
    bind(&[ch('y')], Action::Copy, "keys.copy", true),
    bind(&[ch('t')], Action::CopyToken, "keys.copy_token", true),
    bind(&[ch('e')], Action::Edit, "keys.edit", true),
    bind(&[ch('d')], Action::Delete, "keys.delete", true),
    bind(
        &[key(KeyCode::Esc), ch('q')],
        Action::Back,
        "keys.back",
        true,
    ),
    FORCE_QUIT,
];

const DETAILS: &[Binding] = &[
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    bind(&[ch('v')], Action::Reveal, "keys.reveal", true),
    bind(&[ch('y')], Action::Copy, "keys.copy", true),
    bind(&[ch('t')], Action::CopyToken, "keys.copy_token", true),
    bind(&[ch('e')], Action::Edit, "keys.edit", true),
    bind(&[ch('d')], Action::Delete, "keys.delete", true),
    bind(
        &[key(KeyCode::Esc), ch('q')],
        Action::Back,
        "keys.back",
        true,
    ),
    FORCE_QUIT,
];

const CONFIRM: &[Binding] = &[
    bind(&[ch('y')], Action::Yes, "keys.yes_delete", true),
    bind(
        &[ch('n'), key(KeyCode::Esc)],
        Action::No,
        "keys.no_keep",
        true,
    ),
    FORCE_QUIT,
];

const CHANGED_ELSEWHERE: &[Binding] = &[
    bind(&[ch('r')], Action::Reload, "keys.reload", true),
    bind(
        &[key(KeyCode::Esc)],
        Action::Back,
        "keys.back_to_form",
        true,
    ),
    FORCE_QUIT,
];

const DELETED_ELSEWHERE: &[Binding] = &[
    bind(&[ch('c')], Action::Recreate, "keys.recreate", true),
    bind(
        &[key(KeyCode::Esc)],
        Action::Back,
        "keys.back_to_form",
        true,
    ),
    FORCE_QUIT,
];

const HELP: &[Binding] = &[
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    bind(
        &[key(KeyCode::Esc), ch('?'), ch('q')],
        Action::Back,
        "keys.close",
        true,
    ),
    FORCE_QUIT,
];

/// The flows column: keys that act on the selected flow.
const FLOWS_LIST: &[Binding] = &[
    bind(&[ch('n')], Action::NewFlow, "keys.new", true),
    bind(&[ch('e')], Action::Edit, "keys.rename", true),
    bind(&[ch('d')], Action::Delete, "keys.delete", true),
    bind(&[ch('a')], Action::Add, "keys.add_action", true),
    bind(&[ch('X')], Action::DryRunAll, "keys.dry_run", true),
    bind(&[ch('R')], Action::RunAll, "keys.run", true),
    bind(
        &[key(KeyCode::Tab)],
        Action::NextPane,
        "keys.connections_pane",
        true,
    ),
    bind(&[ch('?')], Action::Help, "keys.help", true),
    spare(
        &[ch('l'), key(KeyCode::Right), key(KeyCode::Enter)],
        Action::FocusRight,
        "keys.focus_actions",
    ),
    spare(&[ch('q')], Action::Quit, "keys.quit"),
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    // `x`/`r` act on one action: here they only say how to choose it, so
    // the same key never runs a whole flow by surprise.
    bind(&[ch('x')], Action::DryRun, "keys.dry_run_step", false),
    bind(&[ch('r')], Action::Run, "keys.run_step", false),
    FORCE_QUIT,
];

/// The actions column: keys that act on the selected action; `X`/`R` still
/// mean the whole flow, as on the flows column.
const FLOWS_ACTIONS: &[Binding] = &[
    bind(
        &[ch('c')],
        Action::ChooseConnection,
        "keys.choose_connection",
        true,
    ),
    bind(&[ch('e')], Action::Edit, "keys.edit_inputs", true),
    bind(&[ch('x')], Action::DryRun, "keys.dry_run", true),
    bind(&[ch('r')], Action::Run, "keys.run", true),
    bind(&[ch('d')], Action::Delete, "keys.remove", true),
    bind(
        &[key(KeyCode::Tab)],
        Action::NextPane,
        "keys.connections_pane",
        true,
    ),
    bind(&[ch('?')], Action::Help, "keys.help", true),
    // One hint, `J/K move`, for the two (the footer joins equal hints).
    spare(&[ch('J')], Action::MoveDown, "keys.move"),
    spare(&[ch('K')], Action::MoveUp, "keys.move"),
    spare(&[ch('a')], Action::Add, "keys.add_action"),
    spare(&[ch('+')], Action::NewConnection, "keys.new_connection"),
    bind(&[ch('n')], Action::NewFlow, "keys.new_flow", false),
    spare(
        &[ch('h'), key(KeyCode::Left)],
        Action::FocusLeft,
        "keys.focus_flows",
    ),
    spare(&[ch('q')], Action::Quit, "keys.quit"),
    bind(&[ch('X')], Action::DryRunAll, "keys.dry_run_all", false),
    bind(&[ch('R')], Action::RunAll, "keys.run_all", false),
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    FORCE_QUIT,
];

const FLOW_NAME: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.save", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.cancel", true),
    FORCE_QUIT,
];

const ACTION_PICKER: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.choose", true),
    bind(&[key(KeyCode::Down)], Action::Down, "keys.down", true),
    bind(&[key(KeyCode::Up)], Action::Up, "keys.up", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.cancel", true),
    FORCE_QUIT,
];

const CONNECTION_PICKER: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.choose", true),
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    bind(
        &[ch('+')],
        Action::NewConnection,
        "keys.new_connection",
        true,
    ),
    bind(
        &[key(KeyCode::Esc), ch('q')],
        Action::Back,
        "keys.cancel",
        true,
    ),
    FORCE_QUIT,
];

const INPUTS_FORM: &[Binding] = &[
    bind(
        &[key(KeyCode::Tab), key(KeyCode::Down)],
        Action::NextField,
        "keys.next_field",
        true,
    ),
    bind(
        &[key(KeyCode::BackTab), key(KeyCode::Up)],
        Action::PrevField,
        "keys.prev_field",
        false,
    ),
    bind(
        &[key(KeyCode::Enter)],
        Action::Submit,
        "keys.next_or_save",
        false,
    ),
    bind(&[ctrl('s')], Action::Save, "keys.save", true),
    bind(&[ctrl('o')], Action::OpenEditor, "keys.editor", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.cancel", true),
    FORCE_QUIT,
];

/// The path prompt of the run view's `s`.
const SAVE_BODY: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.save", true),
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.cancel", true),
    FORCE_QUIT,
];

const RUN_VIEW: &[Binding] = &[
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.scroll_down",
        true,
    ),
    bind(
        &[ch('k'), key(KeyCode::Up)],
        Action::Up,
        "keys.scroll_up",
        true,
    ),
    bind(
        &[key(KeyCode::PageDown), ctrl('d')],
        Action::PageDown,
        "keys.page_down",
        false,
    ),
    bind(
        &[key(KeyCode::PageUp), ctrl('u')],
        Action::PageUp,
        "keys.page_up",
        false,
    ),
    bind(
        &[key(KeyCode::Esc), ch('q')],
        Action::Back,
        "keys.close",
        true,
    ),
    // After close: where the footer is narrow (a longer language) these go
    // first, and `close` stays.
    bind(&[ch('y')], Action::Copy, "keys.copy_body", true),
    bind(&[ch('s')], Action::Save, "keys.save_body", true),
    FORCE_QUIT,
];

/// The run view while an action failed because of its connection: `e`
/// opens the connection's edit form (or the picker, when it has none).
const RUN_VIEW_FIXABLE: &[Binding] = &[
    bind(&[ch('e')], Action::Edit, "keys.fix_connection", true),
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.scroll_down",
        true,
    ),
    bind(
        &[ch('k'), key(KeyCode::Up)],
        Action::Up,
        "keys.scroll_up",
        true,
    ),
    bind(
        &[key(KeyCode::PageDown), ctrl('d')],
        Action::PageDown,
        "keys.page_down",
        false,
    ),
    bind(
        &[key(KeyCode::PageUp), ctrl('u')],
        Action::PageUp,
        "keys.page_up",
        false,
    ),
    bind(
        &[key(KeyCode::Esc), ch('q')],
        Action::Back,
        "keys.close",
        true,
    ),
    // After close: where the footer is narrow (a longer language) these go
    // first, and `close` stays.
    bind(&[ch('y')], Action::Copy, "keys.copy_body", true),
    bind(&[ch('s')], Action::Save, "keys.save_body", true),
    FORCE_QUIT,
];

// Only `y` sends: Enter, which ends so many other dialogs, must not.
const CONFIRM_RUN: &[Binding] = &[
    bind(&[ch('y')], Action::Yes, "keys.yes_send", true),
    bind(
        &[ch('n'), key(KeyCode::Esc)],
        Action::No,
        "keys.cancel",
        true,
    ),
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.scroll_down",
        false,
    ),
    bind(
        &[ch('k'), key(KeyCode::Up)],
        Action::Up,
        "keys.scroll_up",
        false,
    ),
    bind(
        &[key(KeyCode::PageDown), ctrl('d')],
        Action::PageDown,
        "keys.page_down",
        false,
    ),
    bind(
        &[key(KeyCode::PageUp), ctrl('u')],
        Action::PageUp,
        "keys.page_up",
        false,
    ),
    FORCE_QUIT,
];

/// The default bindings of a mode, in the order hints are shown.
pub fn bindings(mode: Mode) -> &'static [Binding] {
    match mode {
        Mode::Unlock => UNLOCK,
        Mode::UnlockRepeat => UNLOCK_REPEAT,
        Mode::List => LIST,
        Mode::Filter => FILTER,
        Mode::WizardService => WIZARD_SERVICE,
        Mode::WizardMethod => WIZARD_METHOD,
        Mode::WizardName => WIZARD_NAME,
        Mode::Rename => RENAME,
        Mode::WizardForm => WIZARD_FORM,
        Mode::WizardChoice => WIZARD_CHOICE,
        Mode::Details => DETAILS,
        Mode::DetailsRevealed => DETAILS_REVEALED,
        Mode::Confirm => CONFIRM,
        Mode::Help => HELP,
        Mode::FlowsList => FLOWS_LIST,
        Mode::FlowsActions => FLOWS_ACTIONS,
        Mode::FlowName => FLOW_NAME,
        Mode::ActionPicker => ACTION_PICKER,
        Mode::ConnectionPicker => CONNECTION_PICKER,
        Mode::InputsForm => INPUTS_FORM,
        Mode::RunView => RUN_VIEW,
        Mode::RunViewFixable => RUN_VIEW_FIXABLE,
        Mode::SaveBody => SAVE_BODY,
        Mode::ConfirmRun => CONFIRM_RUN,
        Mode::ChangedElsewhere => CHANGED_ELSEWHERE,
        Mode::DeletedElsewhere => DELETED_ELSEWHERE,
    }
}

/// The modes listed in the help screen, in order.
pub const HELP_MODES: [Mode; 17] = [
    Mode::List,
    Mode::Filter,
    Mode::Details,
    Mode::WizardService,
    Mode::WizardMethod,
    Mode::WizardName,
    Mode::WizardForm,
    Mode::WizardChoice,
    Mode::Confirm,
    Mode::FlowsList,
    Mode::FlowsActions,
    Mode::ConnectionPicker,
    Mode::ActionPicker,
    Mode::InputsForm,
    Mode::ConfirmRun,
    Mode::RunViewFixable,
    Mode::Unlock,
];

/// The action a key press means in a mode with the default keys, if any.
pub fn action_for(mode: Mode, event: &KeyEvent) -> Option<Action> {
    action_in(bindings(mode), event)
}

fn action_in(bindings: &[Binding], event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    bindings
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// The keys of every mode: the defaults, with the config file's changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// One table per mode, in the order of [`Mode::ALL`].
    tables: Vec<Vec<Binding>>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap {
            tables: Mode::ALL.iter().map(|m| bindings(*m).to_vec()).collect(),
        }
    }
}

impl Keymap {
    /// The bindings of a mode, in the order hints are shown.
    pub fn bindings(&self, mode: Mode) -> &[Binding] {
        &self.tables[Keymap::index(mode)]
    }

    fn bindings_mut(&mut self, mode: Mode) -> &mut [Binding] {
        &mut self.tables[Keymap::index(mode)]
    }

    fn index(mode: Mode) -> usize {
        Mode::ALL
            .iter()
            .position(|m| *m == mode)
            .expect("Mode::ALL holds every mode")
    }

    /// The action a key press means in a mode, if any.
    pub fn action_for(&self, mode: Mode, event: &KeyEvent) -> Option<Action> {
        action_in(self.bindings(mode), event)
    }

    /// The keys of `action` in `mode` as hints write them (`n/Esc`), for
    /// texts that name a key; empty where the mode does not bind it.
    pub fn keys_of(&self, mode: Mode, action: Action) -> String {
        self.bindings(mode)
            .iter()
            .find(|b| b.action == action)
            .map(keys_label)
            .unwrap_or_default()
    }

    /// The hint lines of a mode, in order.
    pub fn entries(&self, mode: Mode) -> Vec<Entry> {
        entries_of(self.bindings(mode))
    }
}

/// One line of hints: the keys of adjacent bindings with the same hint
/// joined (`J/K move`), as the footer and the help show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub keys: String,
    pub hint: &'static str,
    pub footer: Shown,
}

/// The hint lines of a mode with the default keys, in order.
pub fn entries(mode: Mode) -> Vec<Entry> {
    entries_of(bindings(mode))
}

fn entries_of(bindings: &[Binding]) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for b in bindings {
        match out.last_mut() {
            Some(last) if last.hint == b.hint => {
                last.keys = format!("{}/{}", last.keys, keys_label(b));
            }
            _ => out.push(Entry {
                keys: keys_label(b),
                hint: b.hint,
                footer: b.footer,
            }),
        }
    }
    out
}

/// The keys of a binding as shown: `j/↓`.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(Key::label)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_actions_per_mode() {
        assert_eq!(
            action_for(Mode::List, &press(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            action_for(Mode::List, &press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            action_for(
                Mode::WizardForm,
                &press(KeyCode::Char('j'), KeyModifiers::NONE)
            ),
            None
        );
        assert_eq!(
            action_for(
                Mode::WizardForm,
                &press(KeyCode::Char('n'), KeyModifiers::CONTROL)
            ),
            Some(Action::CreateEmpty)
        );
        assert_eq!(
            action_for(
                Mode::WizardForm,
                &press(KeyCode::Char('s'), KeyModifiers::CONTROL)
            ),
            Some(Action::Save)
        );
        assert_eq!(
            action_for(
                Mode::WizardForm,
                &press(KeyCode::BackTab, KeyModifiers::SHIFT)
            ),
            Some(Action::PrevField)
        );
    }

    /// Only `y` sends a run; Enter, pressed out of habit, does nothing.
    #[test]
    fn only_y_confirms_a_run() {
        let yes = |code| action_for(Mode::ConfirmRun, &press(code, KeyModifiers::NONE));
        assert_eq!(yes(KeyCode::Char('y')), Some(Action::Yes));
        assert_eq!(yes(KeyCode::Enter), None);
        assert_eq!(yes(KeyCode::Char('n')), Some(Action::No));
        assert_eq!(yes(KeyCode::Esc), Some(Action::No));
    }

    /// `e` in the run view only while it has a connection to fix; the run
    /// view's other keys are the same either way.
    #[test]
    fn the_run_view_binds_e_only_with_something_to_fix() {
        let e = press(KeyCode::Char('e'), KeyModifiers::NONE);
        assert_eq!(action_for(Mode::RunView, &e), None);
        assert_eq!(action_for(Mode::RunViewFixable, &e), Some(Action::Edit));
        let rest: Vec<_> = RUN_VIEW_FIXABLE
            .iter()
            .filter(|b| b.action != Action::Edit)
            .map(|b| (b.keys.clone(), b.action, b.hint, b.footer))
            .collect();
        let plain: Vec<_> = RUN_VIEW
            .iter()
            .map(|b| (b.keys.clone(), b.action, b.hint, b.footer))
            .collect();
        assert_eq!(rest, plain);
    }

    #[test]
    fn ctrl_c_quits_in_every_mode() {
        for mode in Mode::ALL {
            assert_eq!(
                action_for(mode, &press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
                Some(Action::ForceQuit),
                "{mode:?}"
            );
        }
    }

    /// Readline's editing keys reach the text input in every typing mode.
    #[test]
    fn typing_modes_leave_readline_keys_to_the_input() {
        let readline = [
            press(KeyCode::Char('a'), KeyModifiers::CONTROL),
            press(KeyCode::Char('e'), KeyModifiers::CONTROL),
            press(KeyCode::Char('k'), KeyModifiers::CONTROL),
            press(KeyCode::Char('u'), KeyModifiers::CONTROL),
            press(KeyCode::Char('w'), KeyModifiers::CONTROL),
            press(KeyCode::Char('b'), KeyModifiers::CONTROL),
            press(KeyCode::Char('f'), KeyModifiers::CONTROL),
            press(KeyCode::Char('b'), KeyModifiers::ALT),
            press(KeyCode::Char('f'), KeyModifiers::ALT),
            press(KeyCode::Char('d'), KeyModifiers::ALT),
        ];
        for mode in Mode::ALL.into_iter().filter(|m| m.is_typing()) {
            for key in &readline {
                assert_eq!(action_for(mode, key), None, "{mode:?} binds {key:?}");
            }
        }
    }

    #[test]
    fn labels_name_shift_where_the_key_does_not_show_it() {
        let shifted = |code| Key {
            code,
            modifiers: KeyModifiers::SHIFT,
        };
        assert_eq!(shifted(KeyCode::Up).label(), "Shift-↑");
        assert_eq!(shifted(KeyCode::F(5)).label(), "Shift-F5");
        let ctrl_alt_shift_end = Key {
            code: KeyCode::End,
            modifiers: KeyModifiers::SHIFT | KeyModifiers::ALT | KeyModifiers::CONTROL,
        };
        assert_eq!(ctrl_alt_shift_end.label(), "Ctrl-Alt-Shift-End");
        assert_eq!(ch('G').label(), "G");
        assert_eq!(key(KeyCode::BackTab).label(), "Shift-Tab");
    }

    #[test]
    fn typing_modes_bind_no_printable_key() {
        for mode in Mode::ALL.into_iter().filter(|m| m.is_typing()) {
            for b in bindings(mode) {
                for k in b.keys.iter() {
                    let printable =
                        matches!(k.code, KeyCode::Char(_)) && k.modifiers == KeyModifiers::NONE;
                    assert!(!printable, "{mode:?} binds {k:?}");
                }
            }
        }
    }
}
