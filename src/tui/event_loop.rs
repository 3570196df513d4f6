//! The one loop that owns the state: input events and app messages in, frames out.

use std::collections::VecDeque;
use std::io;

use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyEventKind};
use tokio::sync::mpsc;

use super::app::App;
use super::message::{Effect, Msg};
use super::session::VaultSession;
use super::terminal::TerminalExtras;
use crate::auth::{Refresher, RefresherHandle};

/// Runs the app until it quits or the input ends. Draws only after a change,
/// when no message is waiting; an idle app sleeps in `select!` and writes nothing.
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

/// [`run`], calling `observe` with the app and the terminal each time a frame
/// is on screen and the loop is about to wait: tests check there that the
/// screen shows the state, and nothing else.
pub async fn run_observed<B, S, O>(
    terminal: &mut Terminal<B>,
    mut events: S,
    mut app: App,
    mut session: VaultSession,
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
    // Dropped on return, which stops the refresher after its requests in flight.
    let mut refresher: Option<RefresherHandle> = None;
    let mut pending: VecDeque<Effect> = start.into();
    // The viewport's area, not the backend's size: a fixed viewport needs no terminal.
    let area = terminal.get_frame().area();
    pending.extend(app.update(Msg::Resize(area.width, area.height)));
    loop {
        while let Some(effect) = pending.pop_front() {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Vault(command) => {
                    // Show "working" (e.g. unlocking) before the command blocks.
                    draw(terminal, &mut app)?;
                    let reply = session.perform(command);
                    pending.extend(app.update(Msg::Vault(reply)));
                }
                Effect::Copy(text) => terminal.backend_mut().copy_to_clipboard(&text)?,
                Effect::StartRefresher => refresher = start_refresher(&session, &tx),
                Effect::Refresher(command) => {
                    if let Some(handle) = &refresher {
                        handle.send(command);
                    }
                }
                Effect::Run {
                    run,
                    flow,
                    only,
                    dry_run,
                } => match session.vault().map(|v| v.try_clone()) {
                    Some(Ok(mut vault)) => {
                        let (tx, clients) = (tx.clone(), session.action_clients().clone());
                        tokio::spawn(async move {
                            let reports = crate::actions::run_flow(
                                &mut vault, &clients, &flow, only, dry_run,
                            )
                            .await;
                            let _ = tx.send(Msg::RunFinished { run, reports });
                        });
                    }
                    _ => pending.extend(app.update(Msg::RunFinished {
                        run,
                        reports: Vec::new(),
                    })),
                },
                Effect::StartTimer(timer, delay) => {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = tx.send(Msg::Timer(timer));
                    });
                }
            }
        }
        draw(terminal, &mut app)?;
        observe(&app, terminal);
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
        };
        pending.extend(app.update(msg));
        // Handle everything already waiting before the next frame, so a burst
        // (a thousand renewals) costs one redraw, not a thousand.
        while let Ok(msg) = rx.try_recv() {
            pending.extend(app.update(msg));
        }
    }
}

/// Starts the token refresher on a second handle of the unlocked vault; its
/// events come back as messages.
fn start_refresher(
    session: &VaultSession,
    tx: &mpsc::UnboundedSender<Msg>,
) -> Option<RefresherHandle> {
    let vault = match session.vault()?.try_clone() {
        Ok(vault) => vault,
        Err(e) => {
            tracing::warn!(error = %e, "token refresher not started");
            return None;
        }
    };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let handle = Refresher::new(vault, session.token_client().clone(), events_tx).spawn();
    let tx = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if tx.send(Msg::Refresh(event)).is_err() {
                break;
            }
        }
    });
    Some(handle)
}

fn draw<B>(terminal: &mut Terminal<B>, app: &mut App) -> io::Result<()>
where
    B: Backend + TerminalExtras,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if !app.take_changed() {
        return Ok(());
    }
    terminal.backend_mut().begin_frame()?;
    terminal
        .draw(|frame| app.render(frame))
        .map_err(io::Error::other)?;
    terminal.backend_mut().end_frame()
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
