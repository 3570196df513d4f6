//! Renewing 1,000 connections whose tokens expire in the same minute against a
//! token endpoint on 127.0.0.1 (`cargo bench --bench refresh`): total time,
//! peak concurrency seen by the server, and key-to-screen latency of the UI
//! meanwhile (the UI and the refresher share one thread, as in the app).

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowvault::locale::{Lang, Locale};
use flowvault::tui::App;
use flowvault::tui::event_loop;
use flowvault::tui::message::{Effect, VaultCommand};
use flowvault::tui::session::VaultSession;
use flowvault::tui::theme::Theme;
use flowvault::vault::{
    Connection, Credentials, KdfParams, SecretValue, Token, UnlockKey, Vault, VaultStore, now,
};
use futures_util::stream;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use zeroize::Zeroizing;

const COUNT: usize = 1_000;
/// How long the server takes to answer each token request.
const SERVER_DELAY: Duration = Duration::from_millis(20);

fn key() -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![3u8; 32]))
}

#[derive(Default)]
struct ServerStats {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    served: AtomicUsize,
    /// When the first request arrived and the last answer left.
    span: Mutex<(Option<Instant>, Option<Instant>)>,
}

/// A minimal token endpoint: reads one request per connection, answers a token.
async fn serve(listener: TcpListener, stats: Arc<ServerStats>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            let mut read = 0;
            // Headers, then the body by Content-Length.
            loop {
                let Ok(n) = socket.read(&mut buf[read..]).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                read += n;
                let text = String::from_utf8_lossy(&buf[..read]);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if read >= end + 4 + length {
                        break;
                    }
                }
            }
            stats
                .span
                .lock()
                .unwrap()
                .0
                .get_or_insert_with(Instant::now);
            let now_in = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            stats.peak.fetch_max(now_in, Ordering::SeqCst);
            tokio::time::sleep(SERVER_DELAY).await;
            let body = r#"{"access_token":"renewed","token_type":"Bearer","expires_in":86400}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = socket.write_all(response.as_bytes()).await;
            stats.span.lock().unwrap().1 = Some(Instant::now());
            stats.served.fetch_add(1, Ordering::SeqCst);
        });
    }
}

/// Records when each frame ends (the synchronized-update end sequence).
#[derive(Clone, Default)]
struct FrameClock(Arc<Mutex<Vec<Instant>>>);

impl Write for FrameClock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.windows(8).any(|w| w == b"\x1b[?2026l") {
            self.0.lock().unwrap().push(Instant::now());
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stats = Arc::new(ServerStats::default());
        // The server runs on its own thread so it does not share the UI's.
        let server_stats = stats.clone();
        let listener = listener.into_std().unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async { serve(TcpListener::from_std(listener).unwrap(), server_stats).await });
        });

        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("vault.db");
        let mut vault = Vault::create(&path, &key(), KdfParams::default()).unwrap();
        let connections: Vec<Connection> = (0..COUNT)
            .map(|i| {
                let mut fields = Credentials::default();
                fields.set("domain", format!("http://127.0.0.1:{port}"));
                fields.set("client_id", format!("client-{i}"));
                fields.set("client_secret", "s3cret");
                Connection::new(format!("Tenant {i:04}"), "auth0", "client_credentials", fields)
            })
            .collect();
        vault.add_connections(&connections).unwrap();
        // Every token expires within the same minute from now: all are due.
        let t0 = now();
        for (i, c) in connections.iter().enumerate() {
            let expires_at = t0 + time::Duration::seconds(65 + (i % 50) as i64);
            let token = Token {
                access_token: SecretValue::new("old"),
                token_type: "Bearer".into(),
                scope: None,
                obtained_at: expires_at - time::Duration::hours(1),
                expires_at: Some(expires_at),
            };
            vault.store_token(&c.id, &token, None).unwrap();
        }
        drop(vault);

        let clock = FrameClock::default();
        let backend = CrosstermBackend::new(clock.clone());
        let mut terminal =
            Terminal::with_options(backend, TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)) }).unwrap();
        let mut app = App::new(path.clone(), true, Locale::get(Lang::En), Theme::colored(), (80, 24));
        app.start(None);
        let session = VaultSession::new(&path);

        // Keys every 20 ms until the server has answered every renewal.
        let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let (key_tx, key_rx) = tokio::sync::mpsc::unbounded_channel::<io::Result<Event>>();
        let keys = stream::unfold(key_rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
        let sent_by_typist = sent.clone();
        let typist_stats = stats.clone();
        let typist = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let mut n = 0u64;
            while typist_stats.served.load(Ordering::SeqCst) < COUNT {
                let code = if n.is_multiple_of(2) { KeyCode::Char('j') } else { KeyCode::Char('k') };
                sent_by_typist.lock().unwrap().push(Instant::now());
                let _ = key_tx.send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
                n += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            // Let the last results be stored, then end the input: the loop returns.
            std::thread::sleep(Duration::from_millis(500));
            drop(key_tx);
        });
        let start = vec![Effect::Vault(VaultCommand::Open(key()))];
        event_loop::run(&mut terminal, Box::pin(keys), app, session, start).await.unwrap();
        typist.join().unwrap();
        let (first, last) = *stats.span.lock().unwrap();
        let total = last.unwrap() - first.unwrap();

        let frames = clock.0.lock().unwrap().clone();
        let mut latencies: Vec<Duration> = sent
            .lock()
            .unwrap()
            .iter()
            .filter_map(|t| frames.iter().find(|f| *f >= t).map(|f| *f - *t))
            .collect();
        latencies.sort();
        let vault = Vault::open(&path, &key()).unwrap();
        let renewed = vault
            .token_records()
            .unwrap()
            .values()
            .filter(|r| r.token.as_ref().is_some_and(|t| t.access_token.expose() == "renewed"))
            .count();
        println!("renewed {renewed} of {COUNT} tokens; server answered {} requests", stats.served.load(Ordering::SeqCst));
        println!("first request to last answer: {total:.2?} (server answers each in {SERVER_DELAY:?})");
        println!("peak concurrent requests at the server: {}", stats.peak.load(Ordering::SeqCst));
        if !latencies.is_empty() {
            println!(
                "key-to-frame latency during the renewals ({} keys): median {:.1?}, p95 {:.1?}, max {:.1?}",
                latencies.len(),
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.95),
                latencies[latencies.len() - 1]
            );
        }
    });
}
