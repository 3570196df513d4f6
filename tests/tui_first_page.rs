//! A vault larger than any screen opens on its first page of connections,
//! drawn before the rest is read; the rest follows at once, and renewals
//! start only when it is there.

mod tui_common;

use flowvault::tui::message::{Effect, Msg, Timer, VaultCommand, VaultReply};
use flowvault::tui::session::VaultSession;
use flowvault::vault::{BaoOptions, VaultLocation};
use ratatui::crossterm::event::KeyCode;
use tui_common::{SID, TestVault, conn, key};

/// More than the first page (256 rows).
const COUNT: usize = 300;

fn name(i: usize) -> String {
    format!("Connection {i:03}")
}

fn large_vault() -> TestVault {
    let connections: Vec<_> = (0..COUNT)
        .map(|i| {
            conn(
                &name(i),
                "twilio",
                "basic",
                &[("account_sid", SID), ("auth_token", "t0ken")],
            )
        })
        .collect();
    TestVault::with(&connections)
}

fn session(vault: &TestVault) -> VaultSession {
    VaultSession::at(
        VaultLocation::File(vault.path.clone()),
        BaoOptions::default(),
    )
}

fn names(reply: &VaultReply) -> (Vec<String>, Option<usize>) {
    let snapshot = match reply {
        VaultReply::Opened(s) | VaultReply::Reloaded(s) => s,
        other => panic!("unexpected reply {other:?}"),
    };
    let names = snapshot
        .rows
        .iter()
        .map(|r| r.stored.name().unwrap_or_default().to_owned())
        .collect();
    (names, snapshot.first_page_of)
}

#[test]
fn opening_reads_the_oldest_page_and_a_reload_reads_every_connection() {
    let vault = large_vault();
    let mut session = session(&vault);
    let (first, first_page_of) = names(&session.perform(VaultCommand::Open(key())));
    assert_eq!(
        first_page_of,
        Some(COUNT),
        "a vault of {COUNT} opens on its first page"
    );
    assert_eq!(
        first,
        (0..256).map(name).collect::<Vec<_>>(),
        "oldest first"
    );
    let (all, first_page_of) = names(&session.perform(VaultCommand::Reload));
    assert_eq!(first_page_of, None);
    assert_eq!(all, (0..COUNT).map(name).collect::<Vec<_>>());
}

#[test]
fn a_small_vault_opens_whole_and_starts_renewals_at_once() {
    let vault = TestVault::with(&[conn(
        "Only",
        "twilio",
        "basic",
        &[("account_sid", SID), ("auth_token", "t")],
    )]);
    let opened = session(&vault).perform(VaultCommand::Open(key()));
    let (names, first_page) = names(&opened);
    assert_eq!((names, first_page), (vec!["Only".to_owned()], None));
    let mut h = vault.harness(80, 24);
    let effects = h.app.update(Msg::Vault(opened));
    assert!(starts_refresher(&effects), "{effects:?}");
    assert!(!asks_for_the_rest(&effects), "{effects:?}");
}

fn starts_refresher(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::StartRefresher))
}

fn asks_for_the_rest(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Vault(VaultCommand::Reload)))
}

#[test]
fn a_failed_read_of_the_rest_keeps_saying_partial_and_is_tried_again() {
    let vault = large_vault();
    let mut h = vault.harness(80, 24);
    let mut session = session(&vault);
    let opened = session.perform(VaultCommand::Open(key()));
    let effects = h.app.update(Msg::Vault(opened));
    assert!(asks_for_the_rest(&effects));
    h.app.begin_vault_work(&VaultCommand::Reload).unwrap();
    let effects = h
        .app
        .update(Msg::Vault(VaultReply::Failed("disk unplugged".into())));
    assert!(
        starts_refresher(&effects),
        "renewals do not wait for ever: {effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StartTimer(Timer::ReadTheRest, _))),
        "{effects:?}"
    );
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Connections (256 of {COUNT})")),
        "{screen}"
    );
    assert!(screen.contains("disk unplugged"), "{screen}");
    let effects = h.app.update(Msg::Timer(Timer::ReadTheRest));
    assert!(asks_for_the_rest(&effects), "{effects:?}");
    h.app.begin_vault_work(&VaultCommand::Reload).unwrap();
    let effects = h
        .app
        .update(Msg::Vault(session.perform(VaultCommand::Reload)));
    assert!(
        !starts_refresher(&effects),
        "started once only: {effects:?}"
    );
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Connections ({COUNT})")),
        "{screen}"
    );
    // A late timer after the whole vault is here asks for nothing.
    assert!(h.app.update(Msg::Timer(Timer::ReadTheRest)).is_empty());
}

#[test]
fn news_from_elsewhere_before_the_rest_completes_the_list_and_starts_renewals_once() {
    let vault = large_vault();
    let mut h = vault.harness(80, 24);
    let mut session = session(&vault);
    let opened = session.perform(VaultCommand::Open(key()));
    let whole = match session.perform(VaultCommand::Reload) {
        VaultReply::Reloaded(snapshot) => snapshot,
        other => panic!("unexpected {other:?}"),
    };
    h.app.update(Msg::Vault(opened));
    h.app.begin_vault_work(&VaultCommand::Reload).unwrap();
    let effects = h
        .app
        .update(Msg::Vault(VaultReply::ChangedElsewhere(whole)));
    assert!(starts_refresher(&effects), "{effects:?}");
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Connections ({COUNT})")),
        "{screen}"
    );
    let effects = h
        .app
        .update(Msg::Vault(session.perform(VaultCommand::Reload)));
    assert!(!starts_refresher(&effects), "{effects:?}");
}

#[test]
fn the_first_page_shows_with_reading_said_and_renewals_wait_for_the_rest() {
    let vault = large_vault();
    let mut h = vault.harness(80, 24);
    let mut session = session(&vault);
    let opened = session.perform(VaultCommand::Open(key()));
    let reloaded = session.perform(VaultCommand::Reload);

    // As the event loop does: the reply, then the effects it asks for.
    let effects = h.app.update(Msg::Vault(opened));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Vault(VaultCommand::Reload))),
        "the rest is asked for: {effects:?}"
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::StartRefresher)),
        "renewals wait for the whole vault: {effects:?}"
    );
    h.app
        .begin_vault_work(&VaultCommand::Reload)
        .expect("a read is never refused");
    let screen = h.screen();
    assert!(screen.contains(&name(0)), "{screen}");
    assert!(
        screen.contains("reading…"),
        "the status line says the rest is coming:\n{screen}"
    );

    // A filter typed now finds nothing among the first page: it says that
    // the rest is still being read, not that nothing matches.
    h.press(KeyCode::Char('/'));
    h.type_text("299");
    let screen = h.screen();
    assert!(
        screen.contains("No connection matches “299” yet: reading the rest"),
        "{screen}"
    );

    let effects = h.app.update(Msg::Vault(reloaded));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::StartRefresher)),
        "{effects:?}"
    );
    let screen = h.screen();
    assert!(!screen.contains("reading"), "{screen}");
    assert!(
        screen.contains(&name(COUNT - 1)),
        "the filter finds it now:\n{screen}"
    );
    assert!(
        screen.contains(&format!("Connections (1 of {COUNT})")),
        "{screen}"
    );
    h.press(KeyCode::Esc);
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Connections ({COUNT})")),
        "{screen}"
    );
    h.press(KeyCode::End);
    let screen = h.screen();
    assert!(
        screen.contains(&name(COUNT - 1)),
        "the last row is there:\n{screen}"
    );
}

#[test]
fn the_harness_ends_with_every_row_and_renewals_started() {
    let vault = large_vault();
    let mut h = vault.harness(80, 24);
    assert!(h.refresher_started);
    h.press(KeyCode::End);
    let screen = h.screen();
    assert!(screen.contains(&name(COUNT - 1)), "{screen}");
}
