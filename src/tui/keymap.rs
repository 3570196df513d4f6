//! Keys to named actions, per mode; the footer and the help screen read the same tables.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

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
    /// An edit was refused, the connection changed elsewhere: take the stored values.
    Reload,
    /// An edit was refused, the connection was deleted elsewhere: save it anew.
    Recreate,
}

/// What the app is doing, which decides what keys mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Unlock,
    List,
    Filter,
    WizardService,
    WizardMethod,
    WizardName,
    WizardForm,
    Details,
    Confirm,
    Help,
    Flows,
    FlowName,
    ActionPicker,
    ConnectionPicker,
    InputsForm,
    RunView,
    /// An edit was refused: the connection was changed elsewhere.
    ChangedElsewhere,
    /// An edit was refused: the connection was deleted elsewhere.
    DeletedElsewhere,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 18] = [
        Mode::Unlock,
        Mode::List,
        Mode::Filter,
        Mode::WizardService,
        Mode::WizardMethod,
        Mode::WizardName,
        Mode::WizardForm,
        Mode::Details,
        Mode::Confirm,
        Mode::Help,
        Mode::Flows,
        Mode::FlowName,
        Mode::ActionPicker,
        Mode::ConnectionPicker,
        Mode::InputsForm,
        Mode::RunView,
        Mode::ChangedElsewhere,
        Mode::DeletedElsewhere,
    ];

    /// Typing modes hand every key without a binding to the text input.
    pub fn is_typing(self) -> bool {
        matches!(
            self,
            Mode::Unlock
                | Mode::Filter
                | Mode::WizardService
                | Mode::WizardName
                | Mode::WizardForm
                | Mode::FlowName
                | Mode::ActionPicker
                | Mode::InputsForm
        )
    }

    /// Locale key of the mode's title in the help screen.
    pub fn title_key(self) -> &'static str {
        match self {
            Mode::Unlock => "help.mode.unlock",
            Mode::List => "help.mode.list",
            Mode::Filter => "help.mode.filter",
            Mode::WizardService => "help.mode.wizard_service",
            Mode::WizardMethod => "help.mode.wizard_method",
            Mode::WizardName => "help.mode.wizard_name",
            Mode::WizardForm => "help.mode.wizard_form",
            Mode::Details => "help.mode.details",
            Mode::Confirm => "help.mode.confirm",
            Mode::Help => "help.mode.help",
            Mode::Flows => "help.mode.flows",
            Mode::FlowName => "help.mode.flow_name",
            Mode::ActionPicker => "help.mode.action_picker",
            Mode::ConnectionPicker => "help.mode.connection_picker",
            Mode::InputsForm => "help.mode.inputs_form",
            Mode::RunView => "help.mode.run_view",
            Mode::ChangedElsewhere => "help.mode.changed_elsewhere",
            Mode::DeletedElsewhere => "help.mode.deleted_elsewhere",
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
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
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

/// A set of keys bound to one action, with the locale key of its hint.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub hint: &'static str,
    /// Shown in the footer; every binding is shown in the help screen.
    pub footer: bool,
}

const fn bind(keys: &'static [Key], action: Action, hint: &'static str, footer: bool) -> Binding {
    Binding {
        keys,
        action,
        hint,
        footer,
    }
}

const FORCE_QUIT: Binding = bind(&[ctrl('c')], Action::ForceQuit, "keys.force_quit", false);

const UNLOCK: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Action::Submit, "keys.confirm", true),
    bind(&[key(KeyCode::Esc)], Action::Quit, "keys.quit", true),
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
    bind(&[ch('d')], Action::Delete, "keys.delete", true),
    bind(&[ch('r')], Action::Refresh, "keys.refresh", false),
    bind(
        &[key(KeyCode::Tab)],
        Action::NextPane,
        "keys.next_pane",
        false,
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
    bind(&[key(KeyCode::Esc)], Action::Back, "keys.back", true),
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

const FLOWS: &[Binding] = &[
    bind(&[ch('a')], Action::Add, "keys.add_action_short", true),
    bind(
        &[ch('c')],
        Action::ChooseConnection,
        "keys.choose_connection",
        true,
    ),
    bind(&[ch('e')], Action::Edit, "keys.edit_flow_item", true),
    bind(&[ch('x')], Action::DryRun, "keys.dry_run", true),
    bind(&[ch('r')], Action::Run, "keys.run", true),
    bind(
        &[key(KeyCode::Tab)],
        Action::NextPane,
        "keys.connections_pane",
        true,
    ),
    bind(&[ch('?')], Action::Help, "keys.help", true),
    bind(&[ch('q')], Action::Quit, "keys.quit", true),
    bind(&[ch('n')], Action::NewFlow, "keys.new_flow", false),
    bind(
        &[ch('+')],
        Action::NewConnection,
        "keys.new_connection",
        false,
    ),
    bind(&[ch('d')], Action::Delete, "keys.delete", false),
    bind(&[ch('J')], Action::MoveDown, "keys.move_down", false),
    bind(&[ch('K')], Action::MoveUp, "keys.move_up", false),
    bind(&[ch('X')], Action::DryRunAll, "keys.dry_run_all", false),
    bind(&[ch('R')], Action::RunAll, "keys.run_all", false),
    bind(
        &[ch('j'), key(KeyCode::Down)],
        Action::Down,
        "keys.down",
        false,
    ),
    bind(&[ch('k'), key(KeyCode::Up)], Action::Up, "keys.up", false),
    bind(
        &[ch('h'), key(KeyCode::Left)],
        Action::FocusLeft,
        "keys.focus_flows",
        false,
    ),
    bind(
        &[ch('l'), key(KeyCode::Right), key(KeyCode::Enter)],
        Action::FocusRight,
        "keys.focus_actions",
        false,
    ),
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
    FORCE_QUIT,
];

/// The bindings of a mode, in the order hints are shown.
pub fn bindings(mode: Mode) -> &'static [Binding] {
    match mode {
        Mode::Unlock => UNLOCK,
        Mode::List => LIST,
        Mode::Filter => FILTER,
        Mode::WizardService => WIZARD_SERVICE,
        Mode::WizardMethod => WIZARD_METHOD,
        Mode::WizardName => WIZARD_NAME,
        Mode::WizardForm => WIZARD_FORM,
        Mode::Details => DETAILS,
        Mode::Confirm => CONFIRM,
        Mode::Help => HELP,
        Mode::Flows => FLOWS,
        Mode::FlowName => FLOW_NAME,
        Mode::ActionPicker => ACTION_PICKER,
        Mode::ConnectionPicker => CONNECTION_PICKER,
        Mode::InputsForm => INPUTS_FORM,
        Mode::RunView => RUN_VIEW,
        Mode::ChangedElsewhere => CHANGED_ELSEWHERE,
        Mode::DeletedElsewhere => DELETED_ELSEWHERE,
    }
}

/// The modes listed in the help screen, in order.
pub const HELP_MODES: [Mode; 14] = [
    Mode::List,
    Mode::Filter,
    Mode::Details,
    Mode::WizardService,
    Mode::WizardMethod,
    Mode::WizardName,
    Mode::WizardForm,
    Mode::Confirm,
    Mode::Flows,
    Mode::ConnectionPicker,
    Mode::ActionPicker,
    Mode::InputsForm,
    Mode::RunView,
    Mode::Unlock,
];

/// The action a key press means in a mode, if any.
pub fn action_for(mode: Mode, event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    bindings(mode)
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
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
    fn typing_modes_bind_no_printable_key() {
        for mode in Mode::ALL.into_iter().filter(|m| m.is_typing()) {
            for b in bindings(mode) {
                for k in b.keys {
                    let printable =
                        matches!(k.code, KeyCode::Char(_)) && k.modifiers == KeyModifiers::NONE;
                    assert!(!printable, "{mode:?} binds {k:?}");
                }
            }
        }
    }
}
