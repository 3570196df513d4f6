//! The process's one HTTP client: the UI draws its list before any client is
//! built (building one loads the certificate store), and token requests and
//! flow runs, from any runtime, then share the one that is built.
//!
//! One test in its own binary: the counts are the whole process's, and a
//! second test running beside it would build clients of its own.

mod tui_common;

use std::sync::{Arc, Mutex};

use flowvault::actions::ActionClients;
use flowvault::auth::TokenClient;
use flowvault::auth::http_client::{clients_built, shared_is_built};
use flowvault::locale::{Lang, Locale};
use flowvault::tui::app::App;
use flowvault::tui::event_loop;
use flowvault::tui::harness::buffer_text;
use flowvault::tui::session::VaultSession;
use flowvault::tui::theme::Theme;
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::Event;
use tokio::sync::mpsc;
use tui_common::{CHEAP_KDF, SID, TestVault, conn, key};

/// What the loop's observer saw on the first frame that shows the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AtFirstList {
    clients_built: usize,
    shared_built: bool,
}

/// Runs the real event loop (worker, refresher and all) on a key-file
/// vault until it shows `name`; what had been built by then.
fn first_list_frame(vault: &TestVault, name: &str) -> AtFirstList {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let path = vault.path.clone();
    let mut app = App::new(
        path.clone(),
        true,
        Locale::get(Lang::En),
        Theme::plain(),
        (80, 24),
    );
    let start = app.start(Some(key()));
    let session = VaultSession::new(&path).with_kdf(CHEAP_KDF);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
    // The key stream ends (and the loop with it) once the list is seen.
    let (keys, mut inbox) = mpsc::unbounded_channel::<Event>();
    let keys = Mutex::new(Some(keys));
    let events = stream::poll_fn(move |cx| inbox.poll_recv(cx).map(|e| e.map(Ok)));
    let seen: Arc<Mutex<Option<AtFirstList>>> = Arc::default();
    let observed = Arc::clone(&seen);
    runtime
        .block_on(event_loop::run_observed(
            &mut terminal,
            Box::pin(events),
            app,
            session,
            start,
            |_, terminal| {
                let mut seen = observed.lock().unwrap();
                if seen.is_none() && buffer_text(terminal.backend().buffer()).contains(name) {
                    *seen = Some(AtFirstList {
                        clients_built: clients_built(),
                        shared_built: shared_is_built(),
                    });
                    keys.lock().unwrap().take();
                }
            },
        ))
        .expect("the loop ends when its keys do");
    let seen = *seen.lock().unwrap();
    seen.expect("the list was shown")
}

#[test]
fn the_list_shows_before_any_client_is_built_and_then_one_serves_everything() {
    let vault = TestVault::with(&[conn(
        "SMS",
        "twilio",
        "auth_token",
        &[("account_sid", SID), ("auth_token", "tok")],
    )]);
    assert_eq!(
        first_list_frame(&vault, "SMS"),
        AtFirstList {
            clients_built: 0,
            shared_built: false
        }
    );

    // A token request and a flow run, each on a runtime of its own (the
    // refresher's and the UI's), handles made apart: one client between them.
    let tokens = TokenClient::new();
    let runs = ActionClients::new();
    let on_own_runtime = |work: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| {
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(work);
        })
    };
    let first = on_own_runtime(Box::pin(async move {
        tokens.http().get().await;
    }));
    let second = on_own_runtime(Box::pin(async move {
        runs.http.get().await;
        runs.tokens.http().get().await;
    }));
    first.join().unwrap();
    second.join().unwrap();
    assert!(shared_is_built());
    assert_eq!(clients_built(), 1);
}
