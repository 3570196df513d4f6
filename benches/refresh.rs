//! Renewing 1,000 connections whose tokens expire in the same minute against a
//! token endpoint on 127.0.0.1 (`cargo bench --bench refresh`): total time,
//! peak concurrency seen by the server, and key-to-screen latency of the UI
//! meanwhile (the UI and the refresher share one thread, as in the app).
//!
//! Then fairness (`cargo bench --bench refresh -- fairness` for only this):
//! 1,000 connections whose endpoint accepts and never answers (each attempt
//! holds a request for the whole 30 s timeout, like a failing DNS lookup)
//! next to three healthy 4-second tokens; how late the healthy ones renew.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowvault::locale::{Lang, Locale};
use flowvault::tui::App;
use flowvault::tui::event_loop;
use flowvault::tui::message::{Effect, VaultCommand};
use flowvault::tui::session::VaultSession;
use flowvault::tui::terminal::FrameWriter;
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

/// Records when each frame ends.
#[derive(Clone, Default)]
struct FrameClock(Arc<Mutex<Vec<Instant>>>);

impl Write for FrameClock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    /// A frame's end: the UI's frame writer flushes once per frame.
    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap().push(Instant::now());
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let only = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    if only("ui") {
        renewal_under_ui();
    }
    if only("fairness") {
        fairness();
    }
}

/// Failing connections in the fairness run.
const FAILING: usize = 1_000;
/// Healthy connections, and the lifetime of their tokens.
const HEALTHY: usize = 3;
const HEALTHY_LIFETIME: i64 = 4;

/// A token endpoint that accepts every connection and never answers.
async fn hang(listener: TcpListener) {
    let mut held = Vec::new();
    while let Ok((socket, _)) = listener.accept().await {
        held.push(socket);
    }
}

/// A token endpoint answering 4-second tokens; records when each client asked.
async fn healthy(listener: TcpListener, seen: Arc<Mutex<Vec<(String, Instant)>>>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let client = loop {
                let Ok(n) = socket.read(&mut chunk).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some(at) = text.find("client_id=") {
                    let rest = &text[at + 10..];
                    if let Some(end) = rest.find('&') {
                        break rest[..end].to_owned();
                    }
                }
            };
            seen.lock().unwrap().push((client, Instant::now()));
            let body = format!(r#"{{"access_token":"renewed","expires_in":{HEALTHY_LIFETIME}}}"#);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        });
    }
}

/// Starts a server future on a thread of its own.
fn serve_on_thread<F, Fut>(serve: F) -> u16
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move { serve(TcpListener::from_std(listener).unwrap()).await });
    });
    port
}

fn fairness() {
    let window = Duration::from_secs(
        std::env::var("FAIRNESS_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30),
    );
    let hang_port = serve_on_thread(hang);
    let seen: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let healthy_seen = seen.clone();
    let healthy_port = serve_on_thread(move |l| healthy(l, healthy_seen));

    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &key(), KdfParams::default()).unwrap();
    let connection = |name: String, port: u16, client: String| {
        let mut fields = Credentials::default();
        fields.set("domain", format!("http://127.0.0.1:{port}"));
        fields.set("client_id", client);
        fields.set("client_secret", "s3cret");
        Connection::new(name, "auth0", "client_credentials", fields)
    };
    let failing: Vec<Connection> = (0..FAILING)
        .map(|i| connection(format!("Broken {i:04}"), hang_port, format!("broken-{i}")))
        .collect();
    vault.add_connections(&failing).unwrap();
    // Half have failed before and are due for a retry; half were never tried.
    for c in &failing[..FAILING / 2] {
        let state = flowvault::vault::RefreshState {
            failures: 3,
            next_attempt_at: Some(now()),
            last_error: Some("unreachable".into()),
            needs_new_credentials: false,
        };
        vault.store_refresh_state(&c.id, &state).unwrap();
    }
    for i in 0..HEALTHY {
        let c = connection(format!("Healthy {i}"), healthy_port, format!("healthy-{i}"));
        vault.add_connection(&c).unwrap();
        let obtained_at = now();
        let token = Token {
            access_token: SecretValue::new("old"),
            token_type: "Bearer".into(),
            scope: None,
            obtained_at,
            expires_at: Some(obtained_at + time::Duration::seconds(HEALTHY_LIFETIME)),
        };
        vault.store_token(&c.id, &token, None).unwrap();
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    runtime.block_on(async {
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let refresher = flowvault::auth::Refresher::new(
            Box::new(vault.try_clone().unwrap()),
            flowvault::auth::TokenClient::new(),
            tx,
        );
        let handle = refresher.spawn();
        let _ =
            tokio::time::timeout(window, async { while events.recv().await.is_some() {} }).await;
        drop(handle);
    });
    let seen = seen.lock().unwrap().clone();
    // Gaps between one healthy token's renewals (from the start for the first):
    // ideally half its lifetime; over the whole lifetime means it expired.
    let mut gaps = Vec::new();
    let mut counts = Vec::new();
    for i in 0..HEALTHY {
        let mut last = start;
        let mut n = 0;
        for (_, at) in seen.iter().filter(|(c, _)| *c == format!("healthy-{i}")) {
            gaps.push(*at - last);
            last = *at;
            n += 1;
        }
        gaps.push(start + window - last);
        counts.push(n);
    }
    gaps.sort();
    let lifetime = Duration::from_secs(HEALTHY_LIFETIME as u64);
    let expired = gaps.iter().filter(|g| **g > lifetime).count();
    println!(
        "fairness: {FAILING} connections whose endpoint never answers (30 s timeout), {HEALTHY} healthy {HEALTHY_LIFETIME}-second tokens, {window:?}"
    );
    println!(
        "  healthy renewals per connection: {counts:?} (ideal: one every {:?})",
        lifetime / 2
    );
    println!(
        "  gap between renewals: median {:.2?}, max {:.2?}; delay past the due time (half life) at most {:.2?}; gaps past expiry: {expired}",
        percentile(&gaps, 0.5),
        gaps[gaps.len() - 1],
        gaps[gaps.len() - 1].saturating_sub(lifetime / 2),
    );
}

fn renewal_under_ui() {
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
        let backend = CrosstermBackend::new(FrameWriter::new(clock.clone()));
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
