//! The clipboard after a copy: cleared when its time is up (an empty OSC
//! 52), unless the UI copied something newer since, and at quit.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::tui::message::{Effect, Timer};

/// What the UI last put on the clipboard, as far as clearing goes.
#[derive(Debug, Default)]
pub struct ClipboardGuard {
    /// Numbers copies: only the last copy's timer clears.
    generation: u64,
    /// A copy is on the clipboard and its clear has not happened yet.
    pending: bool,
}

impl ClipboardGuard {
    /// Copies `text`; with `clear_after`, schedules the clear.
    pub fn copy(&mut self, text: Zeroizing<String>, clear_after: Option<Duration>) -> Vec<Effect> {
        self.generation += 1;
        self.pending = clear_after.is_some();
        let mut effects = vec![Effect::Copy(text)];
        if let Some(after) = clear_after {
            effects.push(Effect::StartTimer(
                Timer::ClearClipboard(self.generation),
                after,
            ));
        }
        effects
    }

    /// The timer of `generation` fired: the clear, if that copy is the last.
    pub fn expired(&mut self, generation: u64) -> Option<Effect> {
        (generation == self.generation)
            .then(|| self.clear())
            .flatten()
    }

    /// The clear now, if a copy is waiting for one (at quit, at lock).
    pub fn clear(&mut self) -> Option<Effect> {
        std::mem::take(&mut self.pending).then(|| Effect::Copy(Zeroizing::new(String::new())))
    }
}

impl super::App {
    /// The notice after a copy: the locale's `key` (`notice.copied`, say),
    /// or its `_clears` form that says when the clipboard clears.
    pub(super) fn copied_notice(&self, key: &str, args: &[(&str, &str)]) -> String {
        match self.timeouts.clipboard_clear {
            Some(after) => {
                let seconds = after.as_secs().to_string();
                let mut args = args.to_vec();
                args.push(("n", &seconds));
                self.locale.f(&format!("{key}_clears"), &args)
            }
            None => self.locale.f(key, args),
        }
    }

    /// Puts `text` on the clipboard with `notice`, its clear scheduled.
    pub(super) fn put_on_clipboard(
        &mut self,
        text: Zeroizing<String>,
        notice: String,
    ) -> Vec<Effect> {
        let mut effects = self.clipboard.copy(text, self.timeouts.clipboard_clear);
        effects.push(self.notify(notice, false));
        effects
    }

    /// The effects with the clipboard cleared before a quit among them, if
    /// a copy is still waiting for its clear.
    pub(super) fn clear_before_quit(&mut self, mut effects: Vec<Effect>) -> Vec<Effect> {
        if let Some(at) = effects.iter().position(|e| matches!(e, Effect::Quit))
            && let Some(clear) = self.clipboard.clear()
        {
            effects.insert(at, clear);
        }
        effects
    }
}
