//! The keymap with the config file's `[keys.SCREEN] ACTION = KEYS`: each
//! rebinding replaces the action's keys on every mode of that screen, or is
//! refused with a warning (and the defaults kept) when it names no screen or
//! action, would rebind Ctrl-c, takes a key the text field or choice field
//! of the screen reads, or takes a key another action of the screen has.

use std::borrow::Cow;
use std::path::Path;

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::Input;

use super::{Action, Key, Keymap, Mode};
use crate::config::{ConfigWarning, Position, Problem, Rebinding};
use crate::tui::widgets::text_input::{Lines, edit};

/// The keymap the file's `[keys]` make, and which of them it took.
#[derive(Debug, Clone)]
pub struct ConfiguredKeys {
    pub keymap: Keymap,
    /// The rebindings in force, in file order.
    pub applied: Vec<Rebinding>,
    /// The rebindings refused, and why.
    pub warnings: Vec<ConfigWarning>,
}

/// A rebinding that names a real action of a real screen.
struct Candidate<'a> {
    rebinding: &'a Rebinding,
    action: Action,
    modes: Vec<Mode>,
    keys: Vec<Key>,
}

impl Keymap {
    /// The default keys with `rebindings` (from the file at `path`) applied;
    /// the warnings say what was refused and where.
    pub fn configured(rebindings: &[Rebinding], path: &Path) -> ConfiguredKeys {
        let mut warnings = Vec::new();
        let mut warn = |at: Position, problem| {
            warnings.push(ConfigWarning {
                path: path.to_owned(),
                at: Some(at),
                problem,
            });
        };
        let mut candidates: Vec<Candidate<'_>> = Vec::new();
        for rebinding in rebindings {
            match candidate(rebinding) {
                Ok(c) => candidates.push(c),
                Err((at, problem)) => warn(at, problem),
            }
        }
        // The earlier line wins a key: the later one is refused.
        candidates.sort_by_key(|c| (c.rebinding.at.line, c.rebinding.at.column));
        // Refused one at a time until none collides: dropping one rebinding
        // brings back its default keys, which may collide with another.
        loop {
            let keymap = Keymap::with(&candidates);
            let Some(collision) = first_collision(&keymap, &candidates) else {
                let applied = candidates.iter().map(|c| c.rebinding.clone()).collect();
                return ConfiguredKeys {
                    keymap,
                    applied,
                    warnings,
                };
            };
            let (refused, other) = collision.later(&candidates);
            let refused = candidates.remove(refused);
            let r = refused.rebinding;
            warn(
                r.at,
                Problem::KeyTaken {
                    screen: r.screen.clone(),
                    action: r.action.clone(),
                    key: collision.key.label(),
                    other: other.name(),
                },
            );
        }
    }

    fn with(candidates: &[Candidate<'_>]) -> Keymap {
        let mut keymap = Keymap::default();
        for c in candidates {
            for mode in &c.modes {
                for b in keymap.bindings_mut(*mode) {
                    if b.action == c.action {
                        b.keys = Cow::Owned(c.keys.clone());
                    }
                }
            }
        }
        keymap
    }
}

fn candidate(r: &Rebinding) -> Result<Candidate<'_>, (Position, Problem)> {
    let modes: Vec<Mode> = Mode::ALL
        .into_iter()
        .filter(|m| m.screen_name() == r.screen)
        .collect();
    if modes.is_empty() {
        return Err((r.screen_at, Problem::UnknownScreen(r.screen.clone())));
    }
    let default = Keymap::default();
    let action = modes
        .iter()
        .flat_map(|m| default.bindings(*m))
        .map(|b| b.action)
        .find(|a| a.name() == r.action);
    let Some(action) = action else {
        return Err((
            r.at,
            Problem::UnknownAction {
                screen: r.screen.clone(),
                action: r.action.clone(),
            },
        ));
    };
    if action == Action::ForceQuit {
        return Err((r.at, Problem::FixedAction(r.action.clone())));
    }
    let modes: Vec<Mode> = modes
        .into_iter()
        .filter(|m| default.bindings(*m).iter().any(|b| b.action == action))
        .collect();
    let keys: Vec<Key> = r
        .chords
        .iter()
        .map(|c| Key {
            code: c.code,
            modifiers: c.modifiers,
        })
        .collect();
    let typing = modes.iter().any(|m| m.is_typing());
    // NextChoice and PrevChoice do on their keys what the choice field does.
    let choosing = modes.contains(&Mode::WizardChoice)
        && !matches!(action, Action::NextChoice | Action::PrevChoice);
    let taken = |k: &&Key| (typing && text_field_takes(k)) || (choosing && choice_field_takes(k));
    if let Some(key) = keys.iter().find(taken) {
        return Err((
            r.at,
            Problem::TypingKey {
                screen: r.screen.clone(),
                key: key.label(),
            },
        ));
    }
    Ok(Candidate {
        rebinding: r,
        action,
        modes,
        keys,
    })
}

/// A key a text field reads: a character, or one that edits (Backspace,
/// ←, Home, Ctrl-a, Alt-b…). Bound to an action, the field would lose it.
fn text_field_takes(key: &Key) -> bool {
    // Asked of the field itself, so this never drifts from what it reads:
    // with the cursor inside a word inside the text, every key it reads
    // changes the text or moves the cursor.
    let mut field = Input::new("one two three".to_owned()).with_cursor(5);
    let event = Event::Key(KeyEvent::new(key.code, key.modifiers));
    edit(&mut field, &event, Lines::Single)
}

/// A key a choice field of the form reads (`Form::handle_input`): →, Space
/// and ← move between its values, whatever the modifiers.
fn choice_field_takes(key: &Key) -> bool {
    matches!(
        key.code,
        KeyCode::Right | KeyCode::Left | KeyCode::Char(' ')
    )
}

/// A rebinding whose key another action of one of its modes has.
struct Collision {
    /// The rebinding, by index.
    at: usize,
    key: Key,
    mode: Mode,
    /// The action that has the key too.
    other: Action,
}

impl Collision {
    /// The rebinding to refuse, by index, and the action that keeps the
    /// key: when both actions were rebound, the one written later is refused.
    fn later(&self, candidates: &[Candidate<'_>]) -> (usize, Action) {
        let rebound_other = candidates
            .iter()
            .position(|c| c.action == self.other && c.modes.contains(&self.mode));
        match rebound_other {
            Some(j) if j > self.at => (j, candidates[self.at].action),
            _ => (self.at, self.other),
        }
    }
}

/// The first rebinding whose keys another action of one of its modes has.
fn first_collision(keymap: &Keymap, candidates: &[Candidate<'_>]) -> Option<Collision> {
    candidates.iter().enumerate().find_map(|(at, c)| {
        c.modes.iter().find_map(|mode| {
            keymap
                .bindings(*mode)
                .iter()
                .filter(|b| b.action != c.action)
                .find_map(|b| {
                    c.keys
                        .iter()
                        .find(|k| b.keys.contains(k))
                        .map(|k| Collision {
                            at,
                            key: *k,
                            mode: *mode,
                            other: b.action,
                        })
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::parse_key;
    use ratatui::crossterm::event::KeyModifiers;

    fn rebinding(screen: &str, action: &str, names: &[&str], line: usize) -> Rebinding {
        Rebinding {
            screen: screen.to_owned(),
            action: action.to_owned(),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            chords: names.iter().map(|n| parse_key(n).unwrap()).collect(),
            screen_at: Position { line, column: 1 },
            at: Position { line, column: 10 },
        }
    }

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn problems(warnings: &[ConfigWarning]) -> Vec<Problem> {
        warnings.iter().map(|w| w.problem.clone()).collect()
    }

    #[test]
    fn a_rebound_action_answers_to_its_new_keys_only() {
        let ConfiguredKeys {
            keymap, warnings, ..
        } = Keymap::configured(
            &[rebinding("list", "delete", &["x"], 2)],
            Path::new("c.toml"),
        );
        assert_eq!(warnings, []);
        assert_eq!(
            keymap.action_for(Mode::List, &press('x')),
            Some(Action::Delete)
        );
        assert_eq!(keymap.action_for(Mode::List, &press('d')), None);
        // Other screens keep `d`.
        assert_eq!(
            keymap.action_for(Mode::Details, &press('d')),
            Some(Action::Delete)
        );
        let delete = keymap
            .entries(Mode::List)
            .into_iter()
            .find(|e| e.hint == "keys.delete")
            .unwrap();
        assert_eq!(delete.keys, "x");
    }

    #[test]
    fn a_screen_name_covers_its_variants() {
        let ConfiguredKeys {
            keymap, warnings, ..
        } = Keymap::configured(
            &[rebinding("details", "copy", &["y", "ctrl-y"], 2)],
            Path::new("c.toml"),
        );
        assert_eq!(warnings, []);
        let ctrl_y = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL);
        assert_eq!(
            keymap.action_for(Mode::Details, &ctrl_y),
            Some(Action::Copy)
        );
        assert_eq!(
            keymap.action_for(Mode::DetailsRevealed, &ctrl_y),
            Some(Action::Copy)
        );
    }

    #[test]
    fn a_key_another_action_has_is_refused_and_the_default_kept() {
        let ConfiguredKeys {
            keymap, warnings, ..
        } = Keymap::configured(
            &[rebinding("list", "delete", &["a"], 3)],
            Path::new("c.toml"),
        );
        assert_eq!(
            problems(&warnings),
            [Problem::KeyTaken {
                screen: "list".into(),
                action: "delete".into(),
                key: "a".into(),
                other: "add".into(),
            }]
        );
        assert_eq!(
            warnings[0].at,
            Some(Position {
                line: 3,
                column: 10
            })
        );
        assert_eq!(keymap, Keymap::default());
    }

    #[test]
    fn two_actions_may_swap_their_keys() {
        let ConfiguredKeys {
            keymap, warnings, ..
        } = Keymap::configured(
            &[
                rebinding("list", "add", &["d"], 2),
                rebinding("list", "delete", &["a"], 3),
            ],
            Path::new("c.toml"),
        );
        assert_eq!(warnings, []);
        assert_eq!(
            keymap.action_for(Mode::List, &press('a')),
            Some(Action::Delete)
        );
        assert_eq!(
            keymap.action_for(Mode::List, &press('d')),
            Some(Action::Add)
        );
    }

    #[test]
    fn unknown_names_ctrl_c_and_typing_keys_are_refused() {
        let ConfiguredKeys {
            keymap, warnings, ..
        } = Keymap::configured(
            &[
                rebinding("lists", "delete", &["x"], 2),
                rebinding("list", "launch", &["x"], 3),
                rebinding("list", "force_quit", &["ctrl-q"], 4),
                rebinding("filter", "submit", &["s"], 5),
                rebinding("list", "quit", &["ctrl-c"], 6),
            ],
            Path::new("c.toml"),
        );
        assert_eq!(
            problems(&warnings),
            [
                Problem::UnknownScreen("lists".into()),
                Problem::UnknownAction {
                    screen: "list".into(),
                    action: "launch".into()
                },
                Problem::FixedAction("force_quit".into()),
                Problem::TypingKey {
                    screen: "filter".into(),
                    key: "s".into()
                },
                Problem::KeyTaken {
                    screen: "list".into(),
                    action: "quit".into(),
                    key: "Ctrl-c".into(),
                    other: "force_quit".into(),
                },
            ]
        );
        assert_eq!(keymap, Keymap::default());
    }

    #[test]
    fn only_the_rebindings_taken_are_reported_applied() {
        let rebindings = [
            rebinding("lists", "delete", &["x"], 2),
            rebinding("list", "delete", &["a"], 4),
            rebinding("list", "edit", &["E"], 6),
        ];
        let configured = Keymap::configured(&rebindings, Path::new("c.toml"));
        assert_eq!(configured.applied, [rebindings[2].clone()]);
        assert_eq!(configured.warnings.len(), 2);
    }

    #[test]
    fn shifted_letters_fire_on_the_capital_the_terminal_sends() {
        let ConfiguredKeys {
            keymap, warnings, ..
        } = Keymap::configured(
            &[rebinding("list", "delete", &["shift-x"], 2)],
            Path::new("c.toml"),
        );
        assert_eq!(warnings, []);
        let shift_x = KeyEvent::new(KeyCode::Char('X'), KeyModifiers::SHIFT);
        assert_eq!(
            keymap.action_for(Mode::List, &shift_x),
            Some(Action::Delete)
        );
        assert_eq!(keymap.keys_of(Mode::List, Action::Delete), "X");
    }

    /// The text field would never see them again: the prompt could not be
    /// edited.
    #[test]
    fn editing_keys_are_refused_on_typing_screens() {
        let editing = [
            "backspace",
            "delete",
            "left",
            "right",
            "home",
            "end",
            "ctrl-a",
            "ctrl-e",
            "ctrl-k",
            "ctrl-u",
            "ctrl-w",
            "alt-b",
            "alt-f",
            "alt-backspace",
            "ctrl-left",
            "shift-x",
        ];
        for name in editing {
            let ConfiguredKeys {
                keymap, warnings, ..
            } = Keymap::configured(
                &[rebinding("filter", "submit", &[name], 2)],
                Path::new("c.toml"),
            );
            let key = Key {
                code: parse_key(name).unwrap().code,
                modifiers: parse_key(name).unwrap().modifiers,
            };
            assert_eq!(
                problems(&warnings),
                [Problem::TypingKey {
                    screen: "filter".into(),
                    key: key.label(),
                }],
                "{name}"
            );
            assert_eq!(keymap, Keymap::default(), "{name}");
        }
        // Keys the field does not read stay free.
        let ConfiguredKeys { warnings, .. } = Keymap::configured(
            &[rebinding(
                "filter",
                "submit",
                &["ctrl-j", "alt-enter", "f2"],
                2,
            )],
            Path::new("c.toml"),
        );
        assert_eq!(warnings, []);
    }

    /// A choice field moves on →, Space and ← whatever the modifiers: only
    /// the choice actions may have them.
    #[test]
    fn the_choice_fields_keys_are_refused_to_other_actions() {
        let ConfiguredKeys {
            keymap, warnings, ..
        } = Keymap::configured(
            &[rebinding("wizard_form", "save", &["shift-right"], 2)],
            Path::new("c.toml"),
        );
        assert_eq!(
            problems(&warnings),
            [Problem::TypingKey {
                screen: "wizard_form".into(),
                key: "Shift-→".into(),
            }]
        );
        assert_eq!(keymap, Keymap::default());
        let ConfiguredKeys { warnings, .. } = Keymap::configured(
            &[rebinding("wizard_form", "next_choice", &["space"], 2)],
            Path::new("c.toml"),
        );
        assert_eq!(warnings, []);
    }

    /// The line written first keeps the key; the warning is on the line
    /// that came after it.
    #[test]
    fn a_key_two_lines_want_goes_to_the_first() {
        let ConfiguredKeys {
            keymap,
            warnings,
            applied,
        } = Keymap::configured(
            &[
                rebinding("list", "edit", &["x"], 5),
                rebinding("list", "delete", &["x"], 3),
            ],
            Path::new("c.toml"),
        );
        assert_eq!(
            problems(&warnings),
            [Problem::KeyTaken {
                screen: "list".into(),
                action: "edit".into(),
                key: "x".into(),
                other: "delete".into(),
            }]
        );
        assert_eq!(warnings[0].at.map(|a| a.line), Some(5));
        assert_eq!(applied.len(), 1);
        assert_eq!(applied[0].action, "delete");
        assert_eq!(
            keymap.action_for(Mode::List, &press('x')),
            Some(Action::Delete)
        );
        assert_eq!(
            keymap.action_for(Mode::List, &press('e')),
            Some(Action::Edit)
        );
    }

    /// Every action is bound once per mode, so a rebinding replaces all its keys.
    #[test]
    fn default_tables_bind_each_action_once_per_mode() {
        for mode in Mode::ALL {
            let actions: Vec<Action> = super::super::bindings(mode)
                .iter()
                .map(|b| b.action)
                .collect();
            for a in &actions {
                assert_eq!(
                    actions.iter().filter(|b| *b == a).count(),
                    1,
                    "{mode:?} {a:?}"
                );
            }
        }
    }
}
