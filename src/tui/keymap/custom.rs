//! The keymap with the config file's `[keys.SCREEN] ACTION = KEYS`: each
//! rebinding replaces the action's keys on every mode of that screen, or is
//! refused with a warning (and the defaults kept) when it names no screen or
//! action, would rebind Ctrl-c, types text where keys type text, or takes a
//! key another action of the screen has.

use std::borrow::Cow;
use std::path::Path;

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::{Action, Key, Keymap, Mode};
use crate::config::{ConfigWarning, Position, Problem, Rebinding};

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
    pub fn configured(rebindings: &[Rebinding], path: &Path) -> (Keymap, Vec<ConfigWarning>) {
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
        // Refused one at a time until none collides: dropping one rebinding
        // brings back its default keys, which may collide with another.
        loop {
            let keymap = Keymap::with(&candidates);
            let Some((i, key, other)) = first_collision(&keymap, &candidates) else {
                return (keymap, warnings);
            };
            let refused = candidates.remove(i);
            let r = refused.rebinding;
            warn(
                r.at,
                Problem::KeyTaken {
                    screen: r.screen.clone(),
                    action: r.action.clone(),
                    key: key.label(),
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
    if let Some(key) = keys.iter().find(|k| typing && types_text(k)) {
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

/// A key a text field would take as a character.
fn types_text(key: &Key) -> bool {
    matches!(key.code, KeyCode::Char(_)) && (key.modifiers - KeyModifiers::SHIFT).is_empty()
}

/// The first rebinding whose keys another action of one of its modes has:
/// its index, the key, and the other action.
fn first_collision(keymap: &Keymap, candidates: &[Candidate<'_>]) -> Option<(usize, Key, Action)> {
    candidates.iter().enumerate().find_map(|(i, c)| {
        c.modes.iter().find_map(|mode| {
            keymap
                .bindings(*mode)
                .iter()
                .filter(|b| b.action != c.action)
                .find_map(|b| {
                    c.keys
                        .iter()
                        .find(|k| b.keys.contains(k))
                        .map(|k| (i, *k, b.action))
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::parse_key;
    use ratatui::crossterm::event::KeyEvent;

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
        let (keymap, warnings) = Keymap::configured(
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
        let (keymap, warnings) = Keymap::configured(
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
        let (keymap, warnings) = Keymap::configured(
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
        let (keymap, warnings) = Keymap::configured(
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
        let (keymap, warnings) = Keymap::configured(
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
