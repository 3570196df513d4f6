//! Key names as the config file writes them: `x`, `G`, `ctrl-y`, `enter`,
//! `shift-tab`, `f5` (television's and gitui's spelling).

use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use serde::Deserialize;

use super::warning::Position;

/// One key with its modifiers, as parsed from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyChord {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

/// The keys given for one action: a name or a list of names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a key name or a list of key names")]
pub enum KeyNames {
    One(String),
    Many(Vec<String>),
}

impl KeyNames {
    /// The names, in the order given.
    pub fn names(&self) -> Vec<&str> {
        match self {
            KeyNames::One(name) => vec![name.as_str()],
            KeyNames::Many(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// `[keys.SCREEN] ACTION = KEYS`, one entry, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebinding {
    pub screen: String,
    pub action: String,
    /// The keys as written, for messages and `flowvault config`.
    pub names: Vec<String>,
    pub chords: Vec<KeyChord>,
    /// Where the screen's table starts (for an unknown screen).
    pub screen_at: Position,
    /// Where the action's keys are written.
    pub at: Position,
}

/// Why a key name binds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyNameError {
    /// Not a key at all (`hyper-x`, `f99`).
    NotAKey,
    /// A key no terminal reports as such: Ctrl-Shift with a letter arrives
    /// as Ctrl with the small letter, Shift with `1` as `!` (or whatever
    /// the keyboard layout puts there).
    Unsendable,
}

/// Parses a key name into the key as a terminal reports it.
pub fn parse_key(text: &str) -> Result<KeyChord, KeyNameError> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = text;
    // `-` alone is the minus key, and `ctrl--` is Ctrl with it.
    while let Some((head, tail)) = rest.split_once('-') {
        if tail.is_empty() {
            break;
        }
        let modifier = match head.to_ascii_lowercase().as_str() {
            "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
            "alt" | "meta" | "m" | "a" => KeyModifiers::ALT,
            "shift" | "s" => KeyModifiers::SHIFT,
            _ => break,
        };
        modifiers |= modifier;
        rest = tail;
    }
    let code = code_of(rest).ok_or(KeyNameError::NotAKey)?;
    normalize(code, modifiers)
}

fn code_of(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "minus" => KeyCode::Char('-'),
        "plus" => KeyCode::Char('+'),
        _ => {
            let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
            if !(1..=24).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
    };
    Some(code)
}

/// One spelling per key, as the terminal reports it: with a character,
/// Shift is in the character itself (Shift-a is `A`, and the UI ignores the
/// Shift flag on characters), Shift-Tab is BackTab. Keyboard enhancement is
/// never turned on, so Ctrl-Shift-n arrives as Ctrl-n: such keys are refused.
fn normalize(code: KeyCode, modifiers: KeyModifiers) -> Result<KeyChord, KeyNameError> {
    let shift = modifiers.contains(KeyModifiers::SHIFT);
    let ctrl = modifiers.contains(KeyModifiers::CONTROL);
    let unshifted = modifiers - KeyModifiers::SHIFT;
    let (code, modifiers) = match code {
        KeyCode::Char(c) if shift && c.is_ascii_alphabetic() && ctrl => {
            return Err(KeyNameError::Unsendable);
        }
        KeyCode::Char(c) if shift && c.is_ascii_alphabetic() => {
            (KeyCode::Char(c.to_ascii_uppercase()), unshifted)
        }
        // Space is Space with Shift held or not.
        KeyCode::Char(' ') => (code, unshifted),
        // Which character Shift makes of `1` depends on the keyboard.
        KeyCode::Char(_) if shift => return Err(KeyNameError::Unsendable),
        // Ctrl-Y and Ctrl-y are one key to a terminal.
        KeyCode::Char(c) if ctrl => (KeyCode::Char(c.to_ascii_lowercase()), modifiers),
        KeyCode::Tab | KeyCode::BackTab if shift => (KeyCode::BackTab, unshifted),
        other => (other, modifiers),
    };
    Ok(KeyChord { code, modifiers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(code: KeyCode, modifiers: KeyModifiers) -> Result<KeyChord, KeyNameError> {
        Ok(KeyChord { code, modifiers })
    }

    #[test]
    fn names_parse_to_the_keys_a_terminal_sends() {
        assert_eq!(
            parse_key("x"),
            chord(KeyCode::Char('x'), KeyModifiers::NONE)
        );
        assert_eq!(
            parse_key("G"),
            chord(KeyCode::Char('G'), KeyModifiers::NONE)
        );
        assert_eq!(
            parse_key("shift-g"),
            chord(KeyCode::Char('G'), KeyModifiers::NONE)
        );
        assert_eq!(
            parse_key("ctrl-y"),
            chord(KeyCode::Char('y'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            parse_key("Ctrl-Y"),
            chord(KeyCode::Char('y'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            parse_key("alt-enter"),
            chord(KeyCode::Enter, KeyModifiers::ALT)
        );
        assert_eq!(
            parse_key("shift-tab"),
            chord(KeyCode::BackTab, KeyModifiers::NONE)
        );
        assert_eq!(parse_key("F5"), chord(KeyCode::F(5), KeyModifiers::NONE));
        assert_eq!(
            parse_key("-"),
            chord(KeyCode::Char('-'), KeyModifiers::NONE)
        );
        assert_eq!(
            parse_key("ctrl--"),
            chord(KeyCode::Char('-'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            parse_key("space"),
            chord(KeyCode::Char(' '), KeyModifiers::NONE)
        );
    }

    #[test]
    fn names_that_are_no_key_are_refused() {
        for bad in ["", "ctrl-", "hyper-x", "f0", "f99", "enterr", "ctrl-xy"] {
            assert_eq!(parse_key(bad), Err(KeyNameError::NotAKey), "{bad:?}");
        }
    }

    /// Shift never stays on a character: the UI ignores it there, so such a
    /// binding would never fire.
    #[test]
    fn shift_is_folded_into_characters_or_refused() {
        assert_eq!(
            parse_key("shift-a"),
            chord(KeyCode::Char('A'), KeyModifiers::NONE)
        );
        assert_eq!(
            parse_key("alt-shift-a"),
            chord(KeyCode::Char('A'), KeyModifiers::ALT)
        );
        assert_eq!(
            parse_key("shift-space"),
            chord(KeyCode::Char(' '), KeyModifiers::NONE)
        );
        assert_eq!(
            parse_key("shift-backtab"),
            chord(KeyCode::BackTab, KeyModifiers::NONE)
        );
        // Keys other than characters keep Shift: terminals report Shift-↑.
        assert_eq!(
            parse_key("shift-up"),
            chord(KeyCode::Up, KeyModifiers::SHIFT)
        );
        for unsendable in [
            "shift-1",
            "shift-/",
            "ctrl-shift-n",
            "ctrl-shift-N",
            "ctrl-alt-shift-x",
        ] {
            assert_eq!(
                parse_key(unsendable),
                Err(KeyNameError::Unsendable),
                "{unsendable:?}"
            );
        }
    }
}
