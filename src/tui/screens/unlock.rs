//! The unlock screen: a masked passphrase, or a new vault's passphrase twice.

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Wrap};
use tui_input::Input;
use zeroize::Zeroizing;

use super::{View, centered};
use crate::locale::width::truncate;
use crate::tui::keymap::Action;
use crate::tui::message::VaultCommand;
use crate::tui::widgets::dialog::frame_dialog;
use crate::tui::widgets::text_input::{InputView, Lines, edit, labelled};
use crate::vault::UnlockKey;

/// Shortest passphrase accepted for a new vault.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Where the operator is in unlocking or creating.
#[derive(Debug)]
pub enum Stage {
    Unlock,
    NewPassphrase,
    ConfirmPassphrase(Zeroizing<String>),
    /// Waiting for the vault to open (the KDF takes a moment).
    Working,
    /// Nothing can be done here (e.g. a key file for a missing vault).
    Blocked,
}

/// What the unlock screen asks the app to do.
#[derive(Debug)]
pub enum UnlockOutcome {
    Ignored,
    Changed,
    Quit,
    Submit(VaultCommand),
}

/// The unlock screen's state.
#[derive(Debug)]
pub struct UnlockScreen {
    pub path: PathBuf,
    pub stage: Stage,
    input: Input,
    /// Locale key of the message under the field, with its arguments.
    pub message: Option<String>,
    /// Stage to go back to if the attempt fails.
    creating: bool,
    /// The message is "too short": it goes once the passphrase is long enough.
    too_short: bool,
    /// Only a key file opens the vault: the screen says how, naming the
    /// quit key as bound when it is drawn (the config file's keys are
    /// applied after this screen is made).
    needs_key_file: bool,
    /// Why the vault is locked again (the UI locked itself), shown until
    /// a message replaces it.
    note: Option<String>,
}

impl UnlockScreen {
    /// Asks for the passphrase of an existing vault, or a new one when none exists.
    pub fn new(path: PathBuf, exists: bool) -> UnlockScreen {
        let stage = if exists {
            Stage::Unlock
        } else {
            Stage::NewPassphrase
        };
        UnlockScreen {
            path,
            stage,
            input: Input::default(),
            message: None,
            creating: !exists,
            too_short: false,
            needs_key_file: false,
            note: None,
        }
    }

    /// Asks for the passphrase again after the UI locked itself; `note` says why.
    pub fn locked(path: PathBuf, note: String) -> UnlockScreen {
        UnlockScreen {
            note: Some(note),
            ..UnlockScreen::new(path, true)
        }
    }

    /// A vault that opens only with a key file, opened without one: typing
    /// a passphrase cannot work, so the screen says how to open it.
    pub fn key_file_needed(path: PathBuf) -> UnlockScreen {
        UnlockScreen {
            path,
            stage: Stage::Blocked,
            input: Input::default(),
            message: None,
            creating: false,
            too_short: false,
            needs_key_file: true,
            note: None,
        }
    }

    /// The keymap mode: at "Repeat it", Esc goes back rather than out.
    pub fn mode(&self) -> crate::tui::keymap::Mode {
        match self.stage {
            Stage::ConfirmPassphrase(_) => crate::tui::keymap::Mode::UnlockRepeat,
            _ => crate::tui::keymap::Mode::Unlock,
        }
    }

    /// Shows that a key-file unlock is in progress.
    pub fn working(path: PathBuf) -> UnlockScreen {
        UnlockScreen {
            path,
            stage: Stage::Working,
            input: Input::default(),
            message: None,
            creating: false,
            too_short: false,
            needs_key_file: false,
            note: None,
        }
    }

    /// The attempt failed: show why and let the operator try again.
    pub fn failed(&mut self, message: String, can_retry: bool) {
        self.message = Some(message);
        self.needs_key_file = false;
        self.too_short = false;
        self.input = Input::default();
        self.stage = match (can_retry, self.creating) {
            (false, _) => Stage::Blocked,
            (true, true) => Stage::NewPassphrase,
            (true, false) => Stage::Unlock,
        };
    }

    /// Handles a key.
    pub fn handle(
        &mut self,
        action: Option<Action>,
        event: &Event,
        view: View<'_>,
    ) -> UnlockOutcome {
        match action {
            Some(Action::Quit | Action::ForceQuit) => UnlockOutcome::Quit,
            Some(Action::Back) => {
                // Back from "Repeat it" to the first field, which starts over.
                if !matches!(self.stage, Stage::ConfirmPassphrase(_)) {
                    return UnlockOutcome::Ignored;
                }
                self.stage = Stage::NewPassphrase;
                self.input = Input::default();
                self.message = None;
                UnlockOutcome::Changed
            }
            Some(Action::Submit) => self.submit(view),
            _ if matches!(self.stage, Stage::Working | Stage::Blocked) => UnlockOutcome::Ignored,
            // One line: a passphrase pasted with its line break is the passphrase.
            _ if edit(&mut self.input, event, Lines::Single) => {
                if self.too_short && self.input.value().chars().count() >= MIN_PASSPHRASE_CHARS {
                    self.too_short = false;
                    self.message = None;
                }
                UnlockOutcome::Changed
            }
            _ => UnlockOutcome::Ignored,
        }
    }

    fn submit(&mut self, view: View<'_>) -> UnlockOutcome {
        let typed = Zeroizing::new(std::mem::take(&mut self.input).value().to_owned());
        match std::mem::replace(&mut self.stage, Stage::Working) {
            Stage::Unlock => {
                self.message = None;
                UnlockOutcome::Submit(VaultCommand::Open(UnlockKey::Passphrase(typed)))
            }
            Stage::NewPassphrase => {
                if typed.chars().count() < MIN_PASSPHRASE_CHARS {
                    self.stage = Stage::NewPassphrase;
                    self.too_short = true;
                    self.message = Some(view.locale.f(
                        "unlock.too_short",
                        &[("n", &MIN_PASSPHRASE_CHARS.to_string())],
                    ));
                } else {
                    self.stage = Stage::ConfirmPassphrase(typed);
                    self.too_short = false;
                    self.message = None;
                }
                UnlockOutcome::Changed
            }
            Stage::ConfirmPassphrase(first) => {
                if *first == *typed {
                    self.message = None;
                    UnlockOutcome::Submit(VaultCommand::Create(UnlockKey::Passphrase(typed)))
                } else {
                    self.stage = Stage::NewPassphrase;
                    self.too_short = false;
                    self.message = Some(view.locale.t("unlock.mismatch").to_owned());
                    UnlockOutcome::Changed
                }
            }
            other => {
                self.stage = other;
                UnlockOutcome::Ignored
            }
        }
    }

    /// Draws the dialog in the middle of the screen.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let popup = centered(area, 64, 9);
        let title = if self.creating {
            locale.t("unlock.create_title")
        } else {
            locale.t("unlock.title")
        };
        let inner = frame_dialog(frame, popup, title, theme.focused_border, theme);
        let w = inner.width as usize;
        let path = locale.f(
            "unlock.vault",
            &[("path", &self.path.display().to_string())],
        );
        frame.render_widget(
            Paragraph::new(Span::styled(truncate(&path, w), theme.muted)),
            row(inner, 0),
        );
        let prompt = match self.stage {
            Stage::Unlock => Some(locale.t("unlock.passphrase")),
            Stage::NewPassphrase => Some(locale.t("unlock.new_passphrase")),
            Stage::ConfirmPassphrase(_) => Some(locale.t("unlock.repeat_passphrase")),
            Stage::Working => {
                let text = if self.creating {
                    locale.t("unlock.creating")
                } else {
                    locale.t("unlock.unlocking")
                };
                frame.render_widget(Paragraph::new(text), row(inner, 2));
                None
            }
            Stage::Blocked => None,
        };
        if let Some(prompt) = prompt {
            let input = InputView {
                input: &self.input,
                masked: true,
                placeholder: None,
                focused: true,
            };
            labelled(frame, row(inner, 2), &truncate(prompt, w / 2), input, theme);
        }
        let needs_key_file = self.needs_key_file.then(|| {
            let quit = view.keymap.keys_of(self.mode(), Action::Quit);
            let path = self.path.display().to_string();
            locale.f("unlock.needs_key_file", &[("path", &path), ("quit", &quit)])
        });
        let note = self
            .note
            .as_ref()
            .filter(|_| self.message.is_none() && needs_key_file.is_none());
        if let Some(note) = note {
            frame.render_widget(
                Paragraph::new(Span::styled(note.as_str(), theme.warning))
                    .wrap(Wrap { trim: true }),
                Rect {
                    y: inner.y + 4,
                    height: inner.height.saturating_sub(4),
                    ..inner
                },
            );
        }
        if let Some(message) = needs_key_file.as_ref().or(self.message.as_ref()) {
            // Messages may name a command to run: wrap them, never cut them.
            let rows = Rect {
                y: inner.y + 4,
                height: inner.height.saturating_sub(4),
                ..inner
            };
            frame.render_widget(
                Paragraph::new(Span::styled(message.as_str(), theme.error))
                    .wrap(Wrap { trim: true }),
                rows,
            );
        }
        if self.creating
            && matches!(
                self.stage,
                Stage::NewPassphrase | Stage::ConfirmPassphrase(_)
            )
            && self.message.is_none()
        {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    truncate(locale.t("unlock.create_hint"), w),
                    theme.muted,
                )),
                row(inner, 4),
            );
        }
    }
}

fn row(area: Rect, n: u16) -> Rect {
    Rect {
        y: area.y + n.min(area.height.saturating_sub(1)),
        height: 1,
        ..area
    }
}

impl super::Screen for UnlockScreen {
    fn handle(&mut self, key: &super::KeyInput, ctx: &super::Context<'_>) -> super::Reply {
        match UnlockScreen::handle(self, key.action, &key.event, ctx.view) {
            UnlockOutcome::Ignored => super::Reply::Ignored,
            UnlockOutcome::Changed => super::Reply::Changed,
            UnlockOutcome::Quit => super::Reply::Do(crate::tui::intent::Intent::Quit),
            UnlockOutcome::Submit(command) => {
                super::Reply::Do(crate::tui::intent::Intent::Save(command))
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &super::Context<'_>) {
        UnlockScreen::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> crate::tui::keymap::Mode {
        UnlockScreen::mode(self)
    }
}
