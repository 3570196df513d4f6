//! The one loop that owns the state: input events and app messages in, frames out.

use std::io;

use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyEventKind};
use ratatui::layout::Rect;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use super::app::App;
use super::effects::{EffectRunner, Outside, POLL_INTERVAL};
use super::message::{Effect, Msg};
use super::session::VaultSession;
use super::terminal::TerminalExtras;

/// Runs the app until it quits or the input ends. Draws only after a change,
/// when no message is waiting; an idle app sleeps in `select!` and writes
/// nothing. The terminal's viewport is resized on each `Event::Resize`, so a
/// fixed one (which never asks the backend its size) follows the window. Vault work runs on a worker thread (see [`EffectRunner`]), so
/// keys are answered while an unlock or a save runs.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    events: S,
    app: App,
    session: VaultSession,
    start: Vec<Effect>,
) -> io::Result<()>
where
    B: Backend + TerminalExtras,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    run_observed(terminal, events, app, session, start, |_, _| {}).await
}

/// [`run`], calling `observe` with the app and the terminal each time a new
/// frame is on screen and the loop is about to wait: tests check there that
/// the screen shows the state, and nothing else.
pub async fn run_observed<B, S, O>(
    terminal: &mut Terminal<B>,
    mut events: S,
    mut app: App,
    session: VaultSession,
    start: Vec<Effect>,
    mut observe: O,
) -> io::Result<()>
where
    B: Backend + TerminalExtras,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
    O: FnMut(&App, &Terminal<B>),
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    // Dropped on return: the vault thread ends after its command in flight,
    // the refresher after its requests in flight.
    let mut runner = EffectRunner::worker(session, tx);
    let mut pending = start;
    // The viewport's area, not the backend's size: a fixed viewport needs no terminal.
    let area = terminal.get_frame().area();
    pending.extend(app.update(Msg::Resize(area.width, area.height)));
    // Changes by other processes appear without a key; a look costs one pragma.
    let mut poll = tokio::time::interval(POLL_INTERVAL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let effects = std::mem::take(&mut pending);
        if runner.perform_all(&mut app, effects, &mut TerminalOutside(terminal))? {
            return Ok(());
        }
        if draw(terminal, &mut app)? {
            observe(&app, terminal);
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = poll.tick() => match runner.poll() {
                Some(msg) => msg,
                None => continue,
            },
        };
        if let Msg::Resize(width, height) = msg {
            // The terminal's viewport is fixed (see `terminal::enter`): it
            // follows the window here, once per resize, instead of asking the
            // terminal its size before every frame. Clears the screen, so the
            // next frame is drawn whole.
            terminal
                .resize(Rect::new(0, 0, width, height))
                .map_err(io::Error::other)?;
        }
        pending.extend(app.update(msg));
        // Handle everything already waiting before the next frame, so a burst
        // (a thousand renewals) costs one redraw, not a thousand.
        while let Ok(msg) = rx.try_recv() {
            pending.extend(app.update(msg));
        }
    }
}

/// The real terminal as effects reach it.
struct TerminalOutside<'a, B: Backend + TerminalExtras>(&'a mut Terminal<B>);

impl<B> Outside for TerminalOutside<'_, B>
where
    B: Backend + TerminalExtras,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    fn copy(&mut self, text: Zeroizing<String>) -> io::Result<()> {
        self.0.backend_mut().copy_to_clipboard(&text)
    }

    fn with_terminal_released(&mut self, work: &mut dyn FnMut()) -> io::Result<()> {
        // No event is read meanwhile: the editor is started by a key, and
        // crossterm's reader thread ends once it has delivered one, so it
        // does not compete with the editor for what the operator types.
        self.0.backend_mut().release()?;
        work();
        self.0.backend_mut().take_back()?;
        // Whatever the editor left on the screen: the next frame is drawn
        // whole. Not `clear`, which asks the terminal where its cursor is.
        let area = self.0.get_frame().area();
        self.0.resize(area).map_err(io::Error::other)
    }
}

/// Draws a frame if anything changed since the last; says whether it did.
fn draw<B>(terminal: &mut Terminal<B>, app: &mut App) -> io::Result<bool>
where
    B: Backend + TerminalExtras,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if !app.take_changed() {
        return Ok(false);
    }
    terminal.backend_mut().begin_frame()?;
    terminal
        .draw(|frame| app.render(frame))
        .map_err(io::Error::other)?;
    terminal.backend_mut().end_frame()?;
    Ok(true)
}

/// The message an input event becomes; key releases and mouse events are dropped.
pub fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}
