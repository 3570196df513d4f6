//! Confirm before sending: a real run shows the exact requests (as the dry
//! run does) and sends only on `y`; a run with an action that cannot run
//! sends nothing and says why. Servers on 127.0.0.1 count every request
//! they get, so each test checks what reached the wire, not what the screen
//! claims. Snapshots of the confirmation at 80x24 and 120x40, in English and
//! Japanese (its text is long), reviewed by eye.

mod tui_common;

use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::vault::{Credentials, Flow, FlowStep, VaultStore};
use ratatui::crossterm::event::KeyCode;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use tui_common::{CANARY, SID, SIZES, TestVault, assert_fits, conn, fixed_dir, key, row_with};

const USER_ID: &str = "auth0|507f1f77bcf86cd799439011";
/// Longer than the 50 characters `to` may have.
const LONG_TO: &str = "+1415555012345678901234567890123456789012345678901234567890";

// ---------------------------------------------------------------------------
// Fixtures

/// A runtime for the servers, used between keys only (the harness runs flows
/// on a runtime of its own, which cannot nest in another).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the servers")
}

/// A Twilio stand-in that answers every message with 201, and counts.
fn twilio(rt: &tokio::runtime::Runtime) -> MockServer {
    let server = rt.block_on(MockServer::start());
    let messages = format!("/2010-04-01/Accounts/{SID}/Messages.json");
    rt.block_on(
        Mock::given(method("POST"))
            .and(path(messages.as_str()))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"status": "queued"})))
            .mount(&server),
    );
    server
}

/// How many requests `server` has received.
fn count(rt: &tokio::runtime::Runtime, server: &MockServer) -> usize {
    rt.block_on(server.received_requests())
        .expect("the server records requests")
        .len()
}

fn inputs(pairs: &[(&str, &str)]) -> Credentials {
    let mut c = Credentials::default();
    for (k, v) in pairs {
        c.set(*k, *v);
    }
    c
}

fn sms(to: &str, body: &str) -> Credentials {
    inputs(&[("to", to), ("from", "+14155550100"), ("body", body)])
}

const ALERTS: &str = "Alerts";
const BROKEN: &str = "Broken";
const ONBOARDING: &str = "Onboarding";

/// A vault whose Twilio connection points at `sms_server` and Auth0 one at
/// `auth0_server`, with three flows:
///
/// - "Alerts": 1. Send SMS, 2. Send SMS again: both can run.
/// - "Broken": 1. Send SMS (fine), 2. Send SMS with no connection,
///   3. Send SMS with a `to` too long.
/// - "Onboarding": 1. Auth0: Get user (no token yet), 2. Send SMS.
fn vault(dir: tempfile::TempDir, sms_server: &str, auth0_server: &str) -> TestVault {
    let twilio = conn(
        "Twilio SMS",
        "twilio",
        "auth_token",
        &[
            ("account_sid", SID),
            ("auth_token", &format!("tok-{CANARY}")),
            ("base_url", sms_server),
        ],
    );
    let mgmt = conn(
        "Mgmt API (prod)",
        "auth0",
        "client_credentials",
        &[
            ("domain", auth0_server),
            ("client_id", "abc123"),
            ("client_secret", &format!("cs-{CANARY}")),
        ],
    );
    let v = TestVault::create_in(dir, &key(), &[twilio.clone(), mgmt.clone()]);
    let mut vault = v.open();
    let step = |action: &str, connection: Option<&flowvault::vault::ConnectionId>, i| {
        FlowStep::new(action, connection.cloned(), i)
    };
    let flows = [
        (
            ALERTS,
            vec![
                step(
                    "twilio.send_sms",
                    Some(&twilio.id),
                    sms("+14155550123", "Disk full"),
                ),
                step(
                    "twilio.send_sms",
                    Some(&twilio.id),
                    sms("+14155550124", "Disk full"),
                ),
            ],
        ),
        (
            BROKEN,
            vec![
                step(
                    "twilio.send_sms",
                    Some(&twilio.id),
                    sms("+14155550123", "First"),
                ),
                step("twilio.send_sms", None, sms("+14155550123", "Second")),
                step("twilio.send_sms", Some(&twilio.id), sms(LONG_TO, "Third")),
            ],
        ),
        (
            ONBOARDING,
            vec![
                step(
                    "auth0.get_user",
                    Some(&mgmt.id),
                    inputs(&[("user_id", USER_ID)]),
                ),
                step(
                    "twilio.send_sms",
                    Some(&twilio.id),
                    sms("+14155550123", "Welcome aboard, Ada!"),
                ),
            ],
        ),
    ];
    for (name, steps) in flows {
        let mut flow = Flow::new(name);
        vault.add_flow(&flow).unwrap();
        flow.steps = steps;
        vault.save_steps(&flow).unwrap();
    }
    drop(vault);
    v
}

/// A vault on one counting Twilio stand-in (Auth0 points at a closed port).
fn counting() -> (tokio::runtime::Runtime, MockServer, TestVault) {
    let rt = runtime();
    let server = twilio(&rt);
    let v = vault(
        tempfile::TempDir::new().unwrap(),
        &server.uri(),
        "http://127.0.0.1:9",
    );
    (rt, server, v)
}

/// The harness in the flows pane, the flow named `flow` selected, the
/// flows column focused.
fn at_flow(hn: &mut Harness, flow: &str) {
    hn.press(KeyCode::Tab);
    let index = hn
        .app
        .flows()
        .iter()
        .position(|f| f.name == flow)
        .expect("the flow exists");
    for _ in 0..index {
        hn.press(KeyCode::Char('j'));
    }
}

/// As [`at_flow`], then the action at 1-based `position` selected.
fn at_action(hn: &mut Harness, flow: &str, position: usize) {
    at_flow(hn, flow);
    hn.press(KeyCode::Char('l'));
    for _ in 1..position {
        hn.press(KeyCode::Char('j'));
    }
}

fn key_of(c: char) -> KeyCode {
    match c {
        '⏎' => KeyCode::Enter,
        '⎋' => KeyCode::Esc,
        '⇥' => KeyCode::Tab,
        c => KeyCode::Char(c),
    }
}

/// Whether the screen shows the confirmation that offers `y`: its question
/// and the footer that says what `y` does.
fn confirmation_shown(screen: &str) -> bool {
    screen.contains("┌ Send “")
        && screen
            .lines()
            .any(|l| l.starts_with("y send  n/Esc cancel"))
}

/// Presses `keys` (⏎ Enter, ⎋ Esc, ⇥ Tab) and fails if a request reached
/// the server after a key other than a `y` pressed while the confirmation
/// was on screen; returns how many requests were sent.
fn drive(hn: &mut Harness, rt: &tokio::runtime::Runtime, server: &MockServer, keys: &str) -> usize {
    let start = count(rt, server);
    let mut before = start;
    for c in keys.chars() {
        let screen = hn.screen();
        hn.press(key_of(c));
        let after = count(rt, server);
        if after > before {
            assert!(
                c == 'y' && confirmation_shown(&screen),
                "{} request(s) sent by {c:?} in {keys:?} over:\n{screen}",
                after - before
            );
        }
        before = after;
        if hn.quit {
            break;
        }
    }
    before - start
}

// ---------------------------------------------------------------------------
// Nothing is sent without a yes

/// `r` and `R` only ask; Enter, `n` and Esc send nothing; `x` then `r`
/// shows a dry run and `r` means nothing on it; `r` on the flows column
/// says what to do instead.
#[test]
fn no_key_sends_without_the_confirmation() {
    let (rt, server, v) = counting();
    let sequences = [
        ("r", true),
        ("R", true),
        ("r⏎", true),
        ("r⏎⏎⏎", true),
        ("r⎋", false),
        ("rn", false),
        ("R⎋", false),
        ("Rn⏎", false),
        ("xr", false),
        ("Xr⏎", false),
        ("x⎋r⏎", true),
        ("r⎋y", false),
        ("rny⏎y", false),
    ];
    for (keys, confirmation_stays) in sequences {
        let mut hn = v.harness(120, 40);
        at_action(&mut hn, ALERTS, 1);
        let sent = drive(&mut hn, &rt, &server, keys);
        assert_eq!(sent, 0, "{keys:?} sent a request");
        let screen = hn.screen();
        assert_eq!(
            confirmation_shown(&screen),
            confirmation_stays,
            "{keys:?}:\n{screen}"
        );
    }
    assert_eq!(count(&rt, &server), 0);
}

/// `r` and `x` on the flows column run nothing: a hint says that they act
/// on one action, and what runs the whole flow.
#[test]
fn r_on_the_flows_column_says_what_to_press() {
    let (rt, server, v) = counting();
    for k in ['r', 'x'] {
        let mut hn = v.harness(120, 40);
        at_flow(&mut hn, ALERTS);
        hn.press(KeyCode::Char(k));
        let screen = hn.screen();
        assert!(
            !screen.contains("┌ Send") && !screen.contains("┌ Dry run"),
            "{k} opened something:\n{screen}"
        );
        row_with(
            &screen,
            "x and r act on one action: → to choose it, or X / R",
        );
        // The flows column still has the keys.
        hn.press(KeyCode::Char('j'));
        assert!(hn.screen().contains("Actions of “Broken”"));
    }
    assert_eq!(count(&rt, &server), 0);
}

/// `r` then `y` sends exactly the one request that was shown.
#[test]
fn r_then_y_sends_exactly_one_request() {
    let (rt, server, v) = counting();
    let mut hn = v.harness(120, 40);
    at_action(&mut hn, ALERTS, 2);
    hn.press(KeyCode::Char('r'));
    let screen = hn.screen();
    assert!(confirmation_shown(&screen), "{screen}");
    assert!(screen.contains("┌ Send “Alerts”, action 2? "), "{screen}");
    row_with(
        &screen,
        &format!("Sends 1 request, to {}.", server.address()),
    );
    row_with(&screen, "POST ");
    row_with(&screen, "Authorization: Basic ••••••");
    row_with(&screen, "To=%2B14155550124");
    assert!(!screen.contains("── 1."), "only action 2: {screen}");
    assert!(!screen.contains(CANARY), "{screen}");

    assert_eq!(drive(&mut hn, &rt, &server, "y"), 1);
    let screen = hn.screen();
    assert!(screen.contains("Run of “Alerts”, action 2"), "{screen}");
    row_with(&screen, "→ 201 Created");
    let received = rt.block_on(server.received_requests()).unwrap();
    assert!(String::from_utf8_lossy(&received[0].body).contains("To=%2B14155550124"));

    // Back to the pane; nothing more goes out.
    assert_eq!(drive(&mut hn, &rt, &server, "⎋y⏎"), 0);

    // The audit trail has the run, with the host it contacted, once: the
    // confirmation's dry run is not a run sent.
    use flowvault::vault::AuditLog;
    let trail = v.open().audit_entries(&Default::default()).unwrap();
    let sent: Vec<_> = trail
        .iter()
        .filter(|e| e.event.action == flowvault::vault::audit::AuditAction::RunSent)
        .collect();
    assert_eq!(sent.len(), 1, "{trail:?}");
    assert_eq!(sent[0].event.target.as_ref().unwrap().name, ALERTS);
    assert_eq!(sent[0].event.detail.as_deref(), Some("127.0.0.1"));
}

/// `R` then `y` sends each action of the flow once, after showing them all.
#[test]
fn whole_flow_run_sends_each_action_once() {
    let (rt, server, v) = counting();
    let mut hn = v.harness(120, 40);
    at_flow(&mut hn, ALERTS);
    hn.press(KeyCode::Char('R'));
    let screen = hn.screen();
    assert!(screen.contains("┌ Send “Alerts”? "), "{screen}");
    row_with(
        &screen,
        &format!("Sends 2 requests, to {}.", server.address()),
    );
    row_with(&screen, "── 1. Send SMS with Twilio");
    row_with(&screen, "── 2. Send SMS with Twilio");
    assert_eq!(drive(&mut hn, &rt, &server, "y"), 2);
    assert!(hn.screen().contains("✓ Every action succeeded."));
}

/// `R` on a flow whose actions 2 and 3 cannot run: nothing is sent (not
/// even action 1, which could), each reason is listed, and `y` is not
/// offered and does nothing.
#[test]
fn a_flow_with_a_broken_action_sends_nothing_and_says_why() {
    let (rt, server, v) = counting();
    for (w, h) in SIZES {
        let mut hn = v.harness(w, h);
        at_flow(&mut hn, BROKEN);
        assert_eq!(drive(&mut hn, &rt, &server, "Ry⏎y"), 0);
        let screen = hn.screen();
        assert!(screen.contains("┌ Cannot run “Broken” "), "{screen}");
        assert!(!confirmation_shown(&screen), "{screen}");
        assert!(!screen.contains("y send"), "{screen}");
        let text = squeeze(&screen_text(&mut hn));
        for expected in [
            "✗ Nothing is sent: 2 of 3 actions cannot run.",
            "── 2. Send SMS with Twilio ✗ no connection",
            "── 3. Send SMS with Twilio ✗ To is longer than 50 characters",
        ] {
            assert!(text.contains(&squeeze(expected)), "{expected}: {screen}");
        }
        // Action 1 could run: its request shows, as in a dry run.
        assert!(
            text.contains("── 1. Send SMS with Twilio POST "),
            "{screen}"
        );
        // Esc closes it; the pane is back.
        hn.press(KeyCode::Esc);
        assert!(hn.screen().contains("Actions of “Broken”"));
    }
    assert_eq!(count(&rt, &server), 0);
}

/// Everything the dialog shows, scrolled to its end, without line breaks.
fn screen_text(hn: &mut Harness) -> String {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let screen = hn.screen();
        seen.extend(
            screen
                .lines()
                .filter_map(|l| l.strip_prefix('│'))
                .map(|l| l.trim_end_matches('│').trim().to_owned()),
        );
        hn.press(KeyCode::Char('j'));
    }
    let mut unique: Vec<String> = Vec::new();
    for line in seen {
        if unique.last() != Some(&line) {
            unique.push(line);
        }
    }
    unique.join(" ")
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A flow edited after its confirmation was shown is not sent as it is now:
/// `y` checks it again and says why.
#[test]
fn a_flow_changed_after_the_confirmation_is_checked_again() {
    let (rt, server, v) = counting();
    let mut hn = v.harness(120, 40);
    at_action(&mut hn, ALERTS, 1);
    hn.press(KeyCode::Char('r'));
    assert!(confirmation_shown(&hn.screen()));
    // Another process changes the message; the app reloads it.
    let mut vault = v.open();
    let mut flow = vault.flow(ALERTS).unwrap();
    flow.steps[0].inputs.set("body", "Changed elsewhere");
    vault.save_steps(&flow).unwrap();
    drop(vault);
    hn.poll_vault();
    assert_eq!(drive(&mut hn, &rt, &server, "y"), 0);
    let screen = hn.screen();
    row_with(&screen, "changed since it was shown");
    assert!(confirmation_shown(&screen), "{screen}");
    row_with(&screen, "Body=Changed+elsewhere");
    assert_eq!(drive(&mut hn, &rt, &server, "y"), 1);
    let received = rt.block_on(server.received_requests()).unwrap();
    assert!(String::from_utf8_lossy(&received[0].body).contains("Changed+elsewhere"));
}

/// Random walks over the panes and their dialogs: whatever the keys, a
/// request goes out only on a `y` pressed over the confirmation.
#[test]
fn random_keys_send_only_after_a_confirmation() {
    const KEYS: &[char] = &[
        'r', 'R', 'x', 'X', 'y', 'y', 'n', 'j', 'k', 'h', 'l', '⏎', '⎋', '⇥', 'q', '?',
    ];
    let (rt, server, v) = counting();
    let mut state: u64 = 0x5eed_c0ff_ee00_0009;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) % n as u64) as usize
    };
    let mut sent = 0;
    for _ in 0..24 {
        let keys: String = (0..20).map(|_| KEYS[next(KEYS.len())]).collect();
        let mut hn = v.harness(80, 24);
        hn.press(KeyCode::Tab);
        sent += drive(&mut hn, &rt, &server, &keys);
    }
    // The walks did reach the wire, so the check above was put to work.
    assert!(sent > 0, "no walk confirmed a run");
}

// ---------------------------------------------------------------------------
// The library: a dry run checks every action

/// A dry run goes on past an action that cannot be built, so it can say
/// why each one cannot; a real run stops at the first.
#[test]
fn a_dry_run_builds_every_action() {
    let (rt, server, v) = counting();
    let mut vault = v.open();
    let flow = vault.flow(BROKEN).unwrap();
    let clients = flowvault::actions::ActionClients::new();
    let reports = rt.block_on(flowvault::actions::run_flow(
        &mut vault, &clients, &flow, None, true,
    ));
    let failed: Vec<usize> = reports
        .iter()
        .filter(|r| r.outcome.failed())
        .map(|r| r.position)
        .collect();
    assert_eq!(reports.len(), 3);
    assert_eq!(failed, [2, 3]);
    assert_eq!(count(&rt, &server), 0);
}

// ---------------------------------------------------------------------------
// Snapshots

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s.add_filter(r"/tmp/fv-[A-Za-z0-9]{8}/", "/tmp/fv-XXXXXXXX/");
    // Same widths as what they replace, so borders stay where they were.
    // Ephemeral ports have five digits on Linux and macOS.
    s.add_filter(r"127\.0\.0\.1:\d{5}", "127.0.0.1:#####");
    s
}

/// Snapshots a state at both sizes; the screen fits and no secret shows.
fn check(name: &str, lang: Lang, keys: &str, flow: &str, position: Option<usize>) {
    let rt = runtime();
    let sms_server = twilio(&rt);
    let auth0_server = rt.block_on(MockServer::start());
    let v = vault(fixed_dir(), &sms_server.uri(), &auth0_server.uri());
    for (w, h) in SIZES {
        let mut hn = Harness::new(&v.path, Some(key()), lang, w, h);
        match position {
            Some(p) => at_action(&mut hn, flow, p),
            None => at_flow(&mut hn, flow),
        }
        for c in keys.chars() {
            hn.press(key_of(c));
        }
        let screen = hn.screen();
        assert_fits(&screen, w, h);
        assert!(!screen.contains(CANARY), "{name} shows a secret:\n{screen}");
        settings().bind(|| insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen));
    }
    assert_eq!(count(&rt, &sms_server) + count(&rt, &auth0_server), 0);
}

/// Two requests to two hosts, a token asked for first.
#[test]
fn confirmation_of_a_flow() {
    check("confirm_flow", Lang::En, "R", ONBOARDING, None);
}

/// One action's request.
#[test]
fn confirmation_of_an_action() {
    check("confirm_action", Lang::En, "r", ALERTS, Some(1));
}

/// Nothing can be sent: the reasons instead of a question.
#[test]
fn confirmation_of_a_broken_flow() {
    check("confirm_blocked", Lang::En, "R", BROKEN, None);
}

/// The longest text, in Japanese.
#[test]
fn confirmation_of_a_flow_in_japanese() {
    check("confirm_flow_ja", Lang::Ja, "R", ONBOARDING, None);
}

/// The reasons, in French.
#[test]
fn confirmation_of_a_broken_flow_in_french() {
    check("confirm_blocked_fr", Lang::Fr, "R", BROKEN, None);
}

/// Requests longer than the dialog: its bottom border says more lies below
/// until the operator has scrolled to the end, so nothing is confirmed unseen.
#[test]
fn the_dialog_says_when_more_lies_below() {
    let (_rt, _server, v) = counting();
    let mut hn = v.harness(60, 15);
    at_flow(&mut hn, ONBOARDING);
    hn.press(KeyCode::Char('R'));
    let bottom = |screen: &str| screen.lines().rev().nth(2).unwrap_or("").to_owned();
    let screen = hn.screen();
    assert!(bottom(&screen).contains("↓ more: j/k"), "{screen}");
    for _ in 0..40 {
        hn.press(KeyCode::Char('j'));
    }
    let screen = hn.screen();
    assert!(!bottom(&screen).contains("↓ more"), "{screen}");
    row_with(&screen, "Body=Welcome+aboard");
    assert!(confirmation_shown(&screen), "{screen}");
}

/// With the keys rebound, the dialog's texts name the keys bound, and they
/// scroll as they say.
#[test]
fn the_dialog_names_the_keys_as_rebound() {
    use std::os::unix::fs::PermissionsExt;

    let (_rt, _server, v) = counting();
    let path = v.dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[keys.confirm_run]\nyes = \"s\"\nno = \"c\"\ndown = \"J\"\nup = \"K\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = flowvault::config::Config::load(Some(path));
    let ui = flowvault::tui::settings::UiSettings::with_theme(
        &config,
        flowvault::tui::theme::Theme::plain(),
    );
    assert_eq!(ui.warnings, []);
    let mut hn = Harness::configured(&v.path, Some(key()), Lang::En, (60, 15), ui);
    at_flow(&mut hn, ONBOARDING);
    hn.press(KeyCode::Char('R'));
    let bottom = |screen: &str| screen.lines().rev().nth(2).unwrap_or("").to_owned();
    let screen = hn.screen();
    assert!(bottom(&screen).contains("↓ more: J/K"), "{screen}");
    let joined = screen
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(joined.contains("s sends; c sends nothing."), "{screen}");
    for _ in 0..40 {
        hn.press(KeyCode::Char('J'));
    }
    let screen = hn.screen();
    assert!(!bottom(&screen).contains("↓ more"), "{screen}");
}
