//! The path prompt of the run view's `s`: where to save a response body.
//! A file that exists is replaced only on a second Enter.

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use tui_input::Input;

use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::actions::response::expand_home;
use crate::locale::Locale;
use crate::locale::width::truncate;
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::tui::widgets::text_input::{InputView, Lines, edit, labelled};

/// A body waiting for the path it is saved to.
#[derive(Debug)]
pub struct SaveBodyPrompt {
    /// The action (1-based) whose body this is.
    pub position: usize,
    body: bytes::Bytes,
    input: Input,
    /// The path typed names a file that exists: Enter again replaces it.
    replace: Option<PathBuf>,
    error: Option<String>,
}

impl SaveBodyPrompt {
    /// A prompt for the body of the action at `position`.
    pub fn new(position: usize, body: bytes::Bytes) -> SaveBodyPrompt {
        SaveBodyPrompt {
            position,
            body,
            input: Input::default(),
            replace: None,
            error: None,
        }
    }

    /// The save found a file at `path`: say so; Enter again replaces it.
    pub fn file_exists(&mut self, path: PathBuf, locale: &Locale) {
        self.error = Some(locale.f(
            "response.replace_file",
            &[("path", &path.display().to_string())],
        ));
        self.replace = Some(path);
    }

    /// The save failed: why, in words.
    pub fn failed(&mut self, reason: String) {
        self.replace = None;
        self.error = Some(reason);
    }

    /// Handles a key: text edits the path, Enter saves.
    pub fn handle(&mut self, action: Option<Action>, event: &Event, view: View<'_>) -> Reply {
        match action {
            Some(Action::Back | Action::ForceQuit) => Reply::Close,
            Some(Action::Submit) => {
                let typed = self.input.value().trim();
                if typed.is_empty() {
                    self.error = Some(view.locale.t("response.path_empty").to_owned());
                    return Reply::Changed;
                }
                let path = expand_home(typed);
                let overwrite = self.replace.as_ref() == Some(&path);
                Reply::Do(Intent::SaveBody {
                    path,
                    body: self.body.clone(),
                    overwrite,
                })
            }
            Some(_) => Reply::Ignored,
            None => {
                if !edit(&mut self.input, event, Lines::Single) {
                    return Reply::Ignored;
                }
                // Another path: whatever was said of the last one no longer holds.
                self.replace = None;
                self.error = None;
                Reply::Changed
            }
        }
    }

    /// Draws the prompt.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let popup = centered(area, area.width.min(72), 6);
        let title = locale.f(
            "response.save_title",
            &[("position", &self.position.to_string())],
        );
        let inner = frame_dialog(frame, popup, &title, theme.focused_border, theme);
        labelled(
            frame,
            Rect { height: 1, ..inner },
            locale.t("response.path"),
            InputView {
                input: &self.input,
                masked: false,
                placeholder: None,
                focused: true,
            },
            theme,
        );
        if let Some(error) = &self.error {
            let style = if self.replace.is_some() {
                theme.warning
            } else {
                theme.error
            };
            frame.render_widget(
                Paragraph::new(Span::styled(truncate(error, inner.width as usize), style)),
                Rect {
                    y: inner.y + 2,
                    height: 1,
                    ..inner
                },
            );
        }
    }
}

impl Screen for SaveBodyPrompt {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        SaveBodyPrompt::handle(self, key.action, &key.event, ctx.view)
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        SaveBodyPrompt::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> Mode {
        Mode::SaveBody
    }
}
