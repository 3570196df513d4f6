//! A token endpoint on 127.0.0.1 that answers like an attacker would: numbers
//! that overflow, lifetimes that are negative, bodies of tens of megabytes,
//! escape sequences, a body that drips. `token`, `refresh` and the daemon must
//! answer with a clear error (never a panic, exit 101) and keep going.
#![allow(unsafe_code)] // libc: signals to child processes

mod common;

use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{TestVault, assert_error, assert_success};
use flowvault::auth::TokenClient;
use flowvault::auth::client::GrantError;
use flowvault::auth::renewal::{holder_name, obtain};
use flowvault::vault::{TokenRecord, UnlockKey, Vault, VaultStore, now};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What the hostile endpoint answers to every request.
#[derive(Clone)]
enum Answer {
    /// These bytes, then the connection is closed.
    Raw(Vec<u8>),
    /// A 200 whose body is `prefix` then filler, `total` bytes in all,
    /// written in chunks as the client reads (never held whole).
    Huge {
        status: u16,
        prefix: String,
        total: usize,
    },
    /// Headers announcing a body, then one byte every 100 ms, forever.
    Drip,
}

/// A raw HTTP/1.1 endpoint on 127.0.0.1; counts the requests it gets.
struct Hostile {
    url: String,
    requests: Arc<AtomicUsize>,
}

/// Serves on a thread of its own: the test's runtime blocks while it runs the binary.
async fn hostile(answer: Answer) -> Hostile {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(answer_one(socket, answer.clone()));
            }
        });
    });
    Hostile { url, requests }
}

/// Reads one request (headers, then the body by Content-Length), then answers.
async fn answer_one(mut socket: TcpStream, answer: Answer) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = socket.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
    }
    match answer {
        Answer::Raw(bytes) => {
            let _ = socket.write_all(&bytes).await;
        }
        Answer::Huge {
            status,
            prefix,
            total,
        } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n"
            );
            if socket.write_all(head.as_bytes()).await.is_err()
                || socket.write_all(prefix.as_bytes()).await.is_err()
            {
                return;
            }
            let filler = vec![b'A'; 64 << 10];
            let mut left = total.saturating_sub(prefix.len());
            while left > 0 {
                let n = left.min(filler.len());
                // The client stops reading at its cap and closes: the write fails.
                if socket.write_all(&filler[..n]).await.is_err() {
                    return;
                }
                left -= n;
            }
        }
        Answer::Drip => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"access_token\":\"";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if socket.write_all(b"x").await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A complete response with a JSON body.
fn json_answer(status: u16, extra_headers: &str, body: &str) -> Answer {
    Answer::Raw(
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn token_json(expires_in: &str) -> String {
    format!(r#"{{"access_token":"tok-hostile","token_type":"Bearer","expires_in":{expires_in}}}"#)
}

fn add_auth0(vault: &TestVault, name: &str, url: &str, client_id: &str) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", url), ("client_id", client_id)],
        &[("client_secret", "CANARY-SECRET-5e2f")],
    );
}

/// What the vault holds about a connection, read through the library.
fn record(vault: &TestVault, name: &str) -> TokenRecord {
    let key = UnlockKey::read_key_file(&vault.key).unwrap();
    let opened = Vault::open(&vault.path, &key).unwrap();
    let id = opened.connection(name).unwrap().id;
    opened.token_record(&id).unwrap()
}

/// Runs `token NAME` against one hostile answer in a fresh vault.
async fn token_against(answer: Answer) -> (TestVault, Output) {
    let server = hostile(answer).await;
    let vault = TestVault::new();
    add_auth0(&vault, "h", &server.url, "client-h");
    let out = vault.cmd().args(["token", "h"]).output().unwrap();
    assert_ne!(out.status.code(), Some(101), "panicked: {out:?}");
    (vault, out)
}

/// `token` failed the way a script expects: exit 1, one `error:` line,
/// which contains `words`, and no secret.
fn assert_clear_failure(out: &Output, words: &str, what: &str) -> String {
    let stderr = assert_error(out, 1, what);
    assert!(stderr.contains(words), "{what}: {stderr}");
    assert!(
        !stderr.contains("CANARY"),
        "{what}: a secret leaked: {stderr}"
    );
    assert!(out.stdout.is_empty(), "{what}: printed a token");
    stderr
}

#[tokio::test]
async fn a_retry_after_too_large_for_any_clock_waits_at_most_an_hour() {
    for huge in [
        "18446744073709551615",
        "9999999999999",
        "1".repeat(400).as_str(),
    ] {
        let before = now();
        let (vault, out) = token_against(json_answer(
            429,
            &format!("Retry-After: {huge}\r\n"),
            r#"{"error":"slow_down"}"#,
        ))
        .await;
        assert_clear_failure(&out, "429", huge);
        let wait = record(&vault, "h").state.next_attempt_at.unwrap() - before;
        assert!(
            wait <= time::Duration::hours(1) + time::Duration::seconds(5),
            "Retry-After {huge}: waits {wait}"
        );
        assert!(wait >= time::Duration::minutes(59), "waits {wait}");
    }
}

#[tokio::test]
async fn an_http_date_retry_after_is_honoured() {
    let in_ten_minutes =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
    let before = now();
    let (vault, out) = token_against(json_answer(
        503,
        &format!("Retry-After: {in_ten_minutes}\r\n"),
        "{}",
    ))
    .await;
    assert_clear_failure(&out, "503", "HTTP-date Retry-After");
    let wait = record(&vault, "h").state.next_attempt_at.unwrap() - before;
    assert!(
        wait >= time::Duration::minutes(9) && wait <= time::Duration::minutes(11),
        "waits {wait}"
    );
}

#[tokio::test]
async fn a_lifetime_past_any_calendar_is_cut_to_a_year() {
    for huge in [
        "9223372036854775807",
        "18446744073709551616",
        "100000000000000",
        "1e14",
        "1e308",
        "\"9223372036854775807\"",
    ] {
        let before = now();
        let (vault, out) = token_against(json_answer(200, "", &token_json(huge))).await;
        assert_success(&out, &format!("expires_in {huge}"));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "tok-hostile");
        let token = record(&vault, "h").token.unwrap();
        let lifetime = token.expires_at.unwrap() - before;
        assert!(
            lifetime <= time::Duration::days(365) + time::Duration::seconds(5),
            "expires_in {huge}: lives {lifetime}"
        );
        assert!(lifetime >= time::Duration::days(364), "lives {lifetime}");
    }
}

#[tokio::test]
async fn a_zero_or_negative_lifetime_is_an_error_not_a_token_that_never_expires() {
    for bad in [
        "-100",
        "0",
        "-9223372036854775808",
        "0.2",
        "\"soon\"",
        "true",
    ] {
        let (vault, out) = token_against(json_answer(200, "", &token_json(bad))).await;
        let stderr = assert_clear_failure(&out, "expires_in", &format!("expires_in {bad}"));
        assert!(stderr.contains("positive"), "{stderr}");
        assert!(
            record(&vault, "h").token.is_none(),
            "expires_in {bad}: a token was stored"
        );
    }
}

#[tokio::test]
async fn a_50_mb_body_is_refused_after_reading_one_mib() {
    let (_vault, out) = token_against(Answer::Huge {
        status: 200,
        prefix: r#"{"access_token":""#.to_owned(),
        total: 50_000_000,
    })
    .await;
    assert_clear_failure(&out, "over 1 MiB", "50 MB body");
}

#[tokio::test]
async fn a_10_mb_access_token_is_refused() {
    let (vault, out) = token_against(Answer::Huge {
        status: 200,
        prefix: r#"{"expires_in":3600,"access_token":""#.to_owned(),
        total: 10_000_000,
    })
    .await;
    assert_clear_failure(&out, "over 1 MiB", "10 MB access token");
    assert!(record(&vault, "h").token.is_none());
}

#[tokio::test]
async fn an_access_token_under_the_body_cap_but_over_64_kib_is_refused() {
    let body = json!({"access_token": "t".repeat(200_000), "expires_in": 3600}).to_string();
    let (_vault, out) = token_against(json_answer(200, "", &body)).await;
    assert_clear_failure(&out, "access_token is over 64 KiB", "200 kB access token");
}

#[tokio::test]
async fn a_20_mb_error_description_is_refused_unread() {
    let (vault, out) = token_against(Answer::Huge {
        status: 400,
        prefix: r#"{"error":"invalid_request","error_description":""#.to_owned(),
        total: 20_000_000,
    })
    .await;
    let stderr = assert_clear_failure(&out, "over 1 MiB", "20 MB error_description");
    assert!(stderr.len() < 1000, "{} bytes of error", stderr.len());
    let stored = record(&vault, "h").state.last_error.unwrap();
    assert!(stored.len() < 1000, "{} bytes stored", stored.len());
    // `list` shows the connection without printing megabytes.
    let list = vault.cmd().arg("list").output().unwrap();
    assert_success(&list, "list");
    assert!(
        list.stdout.len() < 10_000,
        "{} bytes listed",
        list.stdout.len()
    );
}

#[tokio::test]
async fn a_long_error_description_is_cut_to_8_kib_for_display_and_storage() {
    let body = json!({"error": "invalid_request", "error_description": "d".repeat(500_000)});
    let (vault, out) = token_against(json_answer(400, "", &body.to_string())).await;
    let stderr = assert_clear_failure(&out, "invalid_request", "500 kB error_description");
    assert!(stderr.contains("ddd…"), "the cut is marked");
    assert!(stderr.len() < 9 << 10, "{} bytes of error", stderr.len());
    let stored = record(&vault, "h").state.last_error.unwrap();
    assert!(stored.len() < 9 << 10, "{} bytes stored", stored.len());
}

#[tokio::test]
async fn escape_sequences_in_an_error_description_do_not_crash_anything() {
    let description =
        "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}[2J\u{1b}]0;owned\u{7}\u{9b}31m\u{202e}";
    let body = json!({"error": "invalid_client", "error_description": description});
    let (vault, out) = token_against(json_answer(401, "", &body.to_string())).await;
    assert_clear_failure(&out, "invalid_client", "escape sequences");
    assert!(record(&vault, "h").state.needs_new_credentials);
    assert_success(&vault.cmd().arg("list").output().unwrap(), "list");
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_clear_error() {
    for garbage in [
        &b"\x00\xff\xfe garbage\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
        b"HTTP/1.1 99999 X\r\nContent-Length: 2\r\n\r\n{}",
    ] {
        let (_vault, out) = token_against(Answer::Raw(garbage.to_vec())).await;
        assert_error(&out, 1, &String::from_utf8_lossy(garbage));
    }
}

#[tokio::test]
async fn a_dripping_body_ends_at_the_total_timeout() {
    let server = hostile(Answer::Drip).await;
    let vault = TestVault::new();
    add_auth0(&vault, "h", &server.url, "client-h");
    let key = UnlockKey::read_key_file(&vault.key).unwrap();
    let mut opened = Vault::open(&vault.path, &key).unwrap();
    let id = opened.connection("h").unwrap().id;
    // The binary allows 30 s; the same client with a 2 s budget keeps the test short.
    let client = TokenClient::with_timeouts(Duration::from_secs(1), Duration::from_secs(2));
    let started = std::time::Instant::now();
    let error = obtain(&mut opened, &client, &id, &holder_name(), false)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("did not answer in time"),
        "{error}"
    );
    // Bounded, not a measurement: a drip that is never cut would run forever.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(
        opened
            .token_record(&id)
            .unwrap()
            .state
            .last_error
            .as_deref(),
        Some("timeout")
    );
    assert_eq!(
        client
            .request(
                &flowvault::auth::Grant::for_connection(&opened.connection("h").unwrap()).unwrap()
            )
            .await
            .unwrap_err(),
        GrantError::Timeout
    );
}

#[tokio::test]
async fn refresh_of_every_connection_survives_a_row_of_hostile_servers() {
    let healthy = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "ok", "expires_in": 3600})),
        )
        .mount(&healthy)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "healthy", &healthy.uri(), "client-ok");
    let answers = [
        json_answer(429, "Retry-After: 18446744073709551615\r\n", "{}"),
        json_answer(200, "", &token_json("9223372036854775807")),
        json_answer(200, "", &token_json("-100")),
        Answer::Huge {
            status: 200,
            prefix: String::new(),
            total: 50_000_000,
        },
    ];
    let mut servers = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        let server = hostile(answer).await;
        add_auth0(&vault, &format!("hostile {i}"), &server.url, "client-h");
        servers.push(server);
    }
    let out = vault.cmd().arg("refresh").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // One line per failed connection, then the summary.
    assert!(
        stderr.lines().last().unwrap().starts_with("error: 3 "),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("renewed “healthy”"), "{stderr}");
    assert!(
        stderr.contains("renewed “hostile 1”"),
        "capped lifetime: {stderr}"
    );
    for server in &servers {
        assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    }
}

/// Sends a signal to the daemon.
fn signal(child: &std::process::Child, signal: i32) {
    // SAFETY: kill with a valid pid and signal has no other effect.
    unsafe { libc::kill(child.id() as i32, signal) };
}

#[tokio::test]
async fn the_daemon_keeps_renewing_a_healthy_connection_next_to_hostile_ones_and_survives_sighup() {
    let healthy = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=client-ok"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "CANARY-TOKEN-81c2", "expires_in": 2})),
        )
        .mount(&healthy)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "healthy", &healthy.uri(), "client-ok");
    let hostile_answers = [
        json_answer(429, "Retry-After: 18446744073709551615\r\n", "{}"),
        json_answer(200, "", &token_json("-100")),
        json_answer(200, "", &token_json("1e14")),
        Answer::Huge {
            status: 200,
            prefix: String::new(),
            total: 50_000_000,
        },
        Answer::Drip,
    ];
    let mut servers = Vec::new();
    for (i, answer) in hostile_answers.into_iter().enumerate() {
        let server = hostile(answer).await;
        add_auth0(&vault, &format!("hostile {i}"), &server.url, "client-h");
        servers.push(server);
    }

    let mut std_cmd = std::process::Command::new(common::BIN);
    let child = common::isolate(&mut std_cmd)
        .arg("--vault")
        .arg(&vault.path)
        .arg("--key-file")
        .arg(&vault.key)
        .arg("daemon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before_hup = healthy.received_requests().await.unwrap().len();
    signal(&child, libc::SIGHUP);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let renewals = healthy.received_requests().await.unwrap().len();
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "daemon exit {:?}: {log}", out.status);

    // A 2 s token renews each second: several renewals in 5 s, after SIGHUP too.
    assert!(
        before_hup >= 2,
        "{before_hup} renewals before SIGHUP: {log}"
    );
    assert!(
        renewals >= before_hup + 2,
        "{renewals} renewals in all, {before_hup} before SIGHUP: {log}"
    );
    assert!(log.contains("reopened"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(log.contains("renewed “healthy”"), "{log}");
    assert!(log.contains("renewed “hostile 2”"), "capped 1e14: {log}");
    for i in [0, 1, 3] {
        assert!(
            log.contains(&format!("renewing “hostile {i}” failed")),
            "hostile {i}: {log}"
        );
    }
    // Each log line names the connection and the next attempt.
    assert!(log.contains("connection="), "{log}");
    assert!(log.contains("next_attempt="), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    for canary in ["CANARY-TOKEN", "CANARY-SECRET"] {
        assert!(!log.contains(canary), "{canary} leaked into the log: {log}");
    }
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_flow_action_reads_at_most_10_mib_of_a_50_mb_answer_and_says_so() {
    let server = hostile(Answer::Huge {
        status: 200,
        prefix: String::new(),
        total: 50_000_000,
    })
    .await;
    let vault = TestVault::new();
    assert_success(
        &vault.cmd().args(["flows", "add", "F"]).output().unwrap(),
        "flows add",
    );
    let url = format!("url={}/big", server.url);
    assert_success(
        &vault
            .cmd()
            .args(["flows", "add-action", "F", "http.request", "--set", &url])
            .output()
            .unwrap(),
        "flows add-action",
    );
    let out = vault.cmd().args(["run", "F"]).output().unwrap();
    assert_ne!(out.status.code(), Some(101), "panicked: {out:?}");
    assert_success(&out, "run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[response cut: only its first 10 MiB were read]"),
        "the cut is marked"
    );
    // What is shown is cut further, to 1 MiB.
    assert!(stdout.len() < 2 << 20, "{} bytes printed", stdout.len());
}
