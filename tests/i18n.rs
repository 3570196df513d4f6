//! Translations. Every language has exactly English's keys with the same
//! `{placeholders}`; the catalog's English names mirror assets/services.toml;
//! the screens in French and Japanese are snapshots (tests/snapshots/i18n_*),
//! with CJK text checked to keep columns and borders in place; wide
//! characters are edited by character and the cursor lands on the right
//! cell; and the binary picks its language from `--lang`, `FLOWVAULT_LANG`,
//! `LC_ALL` and `LANG`.

mod common;
mod tui_common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use flowvault::catalog::Catalog;
use flowvault::locale::{Lang, Locale, parse_all};
use flowvault::present::labels::{
    action_name, field_label, input_label, method_name, service_name,
};
use flowvault::tui::harness::Harness;
use flowvault::vault::Connection;
use ratatui::crossterm::event::KeyCode;
use serde_json::Value;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use tui_common::{
    CANARY, PASSPHRASE, SID, TestVault, assert_fits, conn, fixed_dir, key, passphrase, press_all,
    row_with,
};

const TRANSLATIONS: [Lang; 2] = [Lang::Fr, Lang::Ja];

// ---------------------------------------------------------------------------
// Keys and placeholders

/// The flattened strings of a language: interface and catalog files together.
fn table(lang: Lang) -> BTreeMap<String, String> {
    parse_all(&lang.sources()).unwrap_or_else(|e| panic!("{} locale files: {e}", lang.code()))
}

/// The `{name}` placeholders of a string.
fn placeholders(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.insert(name.to_owned());
        }
        rest = &rest[close + 1..];
    }
    out
}

#[test]
fn every_language_has_exactly_the_english_keys() {
    let en: BTreeSet<String> = table(Lang::En).into_keys().collect();
    let mut problems = Vec::new();
    for lang in TRANSLATIONS {
        let keys: BTreeSet<String> = table(lang).into_keys().collect();
        let missing: Vec<_> = en.difference(&keys).collect();
        let extra: Vec<_> = keys.difference(&en).collect();
        if !missing.is_empty() {
            problems.push(format!("{} lacks {missing:?}", lang.code()));
        }
        if !extra.is_empty() {
            problems.push(format!(
                "{} has keys English does not: {extra:?}",
                lang.code()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn translations_use_the_same_placeholders_as_english() {
    let en = table(Lang::En);
    let mut problems = Vec::new();
    for lang in TRANSLATIONS {
        let strings = table(lang);
        for (key, english) in &en {
            let Some(translated) = strings.get(key) else {
                continue; // reported by the key-set test
            };
            let (want, have) = (placeholders(english), placeholders(translated));
            if want != have {
                problems.push(format!(
                    "{}: {key}: English has {want:?}, the translation {have:?}: {translated:?}",
                    lang.code()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Keys whose translation may be the English text itself: product and
/// protocol names, words that are the same in French, bare placeholders.
const SAME_AS_ENGLISH: &[(&str, &str)] = &[
    // Placeholders alone, codes and product words.
    ("*", "list.count"),
    ("fr", "common.separator"),
    ("*", "problem.twilio"),
    ("*", "problem.http_bare"),
    ("*", "run.local_failed"),
    ("*", "vault_error.other"),
    ("*", "catalog.google_sheets.name"),
    ("*", "catalog.twilio.fields.account_sid"),
    ("*", "catalog.slack.fields.webhook_url"),
    ("*", "catalog.zapier.fields.webhook_url"),
    ("*", "catalog.zapier.method.webhook"),
    ("*", "catalog.activecampaign.fields.base_url"),
    ("*", "actions.http.request.inputs.url"),
    ("*", "actions.twilio.make_call.inputs.twiml"),
    ("ja", "detail.webhook"),
    ("ja", "catalog.slack.method.webhook"),
    // A response's figures: placeholders and unit symbols.
    ("*", "response.status_line"),
    ("*", "response.elapsed_ms"),
    ("ja", "response.decimal_mark"),
    ("fr", "response.elapsed_s"),
    ("ja", "response.size_b"),
    ("ja", "response.size_kib"),
    ("ja", "response.size_mib"),
    // Words French shares with English.
    ("fr", "list.col.service"),
    ("fr", "details.service"),
    ("fr", "show.service"),
    ("fr", "detail.webhook"),
    ("fr", "flows.actions"),
    ("fr", "cli.mark_secret"),
    ("fr", "catalog.jwt.fields.secret"),
    ("fr", "catalog.auth0.fields.audience"),
    ("fr", "catalog.http.fields.audience"),
    ("fr", "actions.stripe.create_customer.inputs.description"),
    ("fr", "actions.twilio.send_sms.inputs.body"),
];

#[test]
fn no_english_is_left_in_the_translations() {
    let en = table(Lang::En);
    let mut problems = Vec::new();
    for lang in TRANSLATIONS {
        let strings = table(lang);
        for (key, english) in &en {
            let allowed = SAME_AS_ENGLISH
                .iter()
                .any(|(l, k)| k == key && (*l == "*" || *l == lang.code()));
            // OAuth stays OAuth in every language.
            if allowed || english == "OAuth" {
                continue;
            }
            if strings.get(key) == Some(english) {
                problems.push(format!("{}: {key} = {english:?}", lang.code()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "untranslated (or add to SAME_AS_ENGLISH):\n{}",
        problems.join("\n")
    );
}

/// The catalog key of a field's label (see `present::labels`).
fn field_key(service: &str, field: &str) -> String {
    format!("catalog.{service}.fields.{field}")
}

/// The catalog key of a method's name.
fn method_key(service: &str, method: &str) -> String {
    format!("catalog.{service}.method.{method}")
}

/// The key of an action's name.
fn action_key(action: &str) -> String {
    format!("actions.{action}.name")
}

/// The key of an action input's label.
fn input_key(action: &str, input: &str) -> String {
    format!("actions.{action}.inputs.{input}")
}

/// The catalog's English names, by locale key, as catalog.en.toml must hold them.
fn catalog_names() -> BTreeMap<String, String> {
    let catalog = Catalog::embedded();
    let mut names = BTreeMap::new();
    for s in catalog.services() {
        for m in &s.methods {
            names.insert(method_key(&s.id, &m.id), m.name.clone());
            for f in &m.fields {
                names.insert(field_key(&s.id, &f.key), f.label.clone());
            }
        }
    }
    for a in catalog.actions() {
        names.insert(action_key(&a.id), a.name.clone());
        for f in &a.inputs {
            names.insert(input_key(&a.id, &f.key), f.label.clone());
        }
    }
    names
}

#[test]
fn the_english_catalog_names_mirror_the_catalog() {
    let en = table(Lang::En);
    let mut expected = catalog_names();
    // A service's name is there only where some language writes it differently.
    for s in Catalog::embedded().services() {
        let key = format!("catalog.{}.name", s.id);
        if en.contains_key(&key) {
            expected.insert(key, s.name.clone());
        }
    }
    let actual: BTreeMap<String, String> = en
        .into_iter()
        .filter(|(k, _)| k.starts_with("catalog.") || k.starts_with("actions."))
        .collect();
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !actual.contains_key(*k))
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "catalog.en.toml lacks {missing:?}; names nothing of the catalog: {extra:?}"
    );
    for (key, english) in &expected {
        assert_eq!(&actual[key], english, "{key} differs from assets/");
    }
}

#[test]
fn catalog_labels_are_looked_up_in_the_interface_language() {
    let catalog = Catalog::embedded();
    let twilio = catalog.service("twilio").unwrap();
    let m = twilio.default_method();
    let label = |lang, key: &str| field_label(Locale::get(lang), "twilio", m.field(key).unwrap());
    assert_eq!(label(Lang::Fr, "auth_token"), "Jeton d’authentification");
    assert_eq!(label(Lang::Ja, "auth_token"), "認証トークン");
    assert_eq!(label(Lang::Ja, "account_sid"), "アカウントSID");
    let auth0 = catalog.service("auth0").unwrap();
    let m = auth0.default_method();
    let label = |lang, key: &str| field_label(Locale::get(lang), "auth0", m.field(key).unwrap());
    assert_eq!(label(Lang::Fr, "domain"), "Domaine du tenant");
    assert_eq!(label(Lang::Ja, "client_secret"), "クライアントシークレット");
    // Product names stay; a name a language writes differently is translated.
    assert_eq!(service_name(Locale::get(Lang::Ja), twilio), "Twilio");
    let sheets = catalog.service("google_sheets").unwrap();
    assert_eq!(
        service_name(Locale::get(Lang::Ja), sheets),
        "Google スプレッドシート"
    );
    // Every method, field, action and input has its own translation.
    for lang in TRANSLATIONS {
        let locale = Locale::get(lang);
        let strings = table(lang);
        for s in catalog.services() {
            for m in &s.methods {
                assert_eq!(
                    Some(method_name(locale, &s.id, m)),
                    strings.get(&method_key(&s.id, &m.id)).map(String::as_str)
                );
                for f in &m.fields {
                    assert_eq!(
                        Some(field_label(locale, &s.id, f)),
                        strings.get(&field_key(&s.id, &f.key)).map(String::as_str),
                        "{}: {}.{}",
                        lang.code(),
                        s.id,
                        f.key
                    );
                }
            }
        }
        for a in catalog.actions() {
            assert_eq!(
                Some(action_name(locale, a)),
                strings.get(&action_key(&a.id)).map(String::as_str)
            );
            for f in &a.inputs {
                assert_eq!(
                    Some(input_label(locale, &a.id, f)),
                    strings.get(&input_key(&a.id, &f.key)).map(String::as_str)
                );
            }
        }
        // The wizard's method list gives a name 30 cells.
        for s in catalog.services() {
            for m in &s.methods {
                let name = method_name(locale, &s.id, m);
                assert!(
                    name.width() <= 30,
                    "{}: {name:?} is cut in the wizard",
                    lang.code()
                );
            }
        }
        // A field or input called `name` neither renames its service or
        // action nor takes their name as its label.
        let http = catalog.service("http").unwrap();
        assert_eq!(service_name(locale, http), "HTTP");
        let key_name = http.method("api_key").unwrap().field("name").unwrap();
        assert_eq!(
            field_label(locale, "http", key_name),
            lang_str(lang, "Nom de la clé", "キー名")
        );
        let create = catalog.action("auth0.create_user").unwrap();
        assert_ne!(action_name(locale, create), lang_str(lang, "Nom", "名前"));
    }
}

// ---------------------------------------------------------------------------
// Screens

const W: u16 = 80;
const H: u16 = 24;

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    // Same width as what it replaces, so nothing moves.
    s.add_filter(r"/tmp/fv-[A-Za-z0-9]{8}/", "/tmp/fv-XXXXXXXX/");
    // Details show ids and times, which differ on every run.
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    );
    s.add_filter(
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
        "YYYY-MM-DD hh:mm:ss",
    );
    // History shows who: the OS user@host, in a column of fixed width.
    s.add_filter(r"UTC  \S+@\S+ +", "UTC  user@host         ");
    s
}

/// The display column of each character of `row` (wide ones take two).
fn columns(row: &str) -> Vec<(usize, char)> {
    let mut col = 0;
    row.chars()
        .map(|c| {
            let at = col;
            col += c.width().unwrap_or(0);
            (at, c)
        })
        .collect()
}

/// A box drawn on the screen: its rows and border columns (display cells).
#[derive(Debug, Clone, Copy)]
struct Frame {
    top: usize,
    bottom: Option<usize>,
    left: usize,
    right: usize,
}

impl Frame {
    fn covers(&self, row: usize, col: usize, rows: usize) -> bool {
        (self.top..=self.bottom.unwrap_or(rows)).contains(&row)
            && (self.left..=self.right).contains(&col)
    }
}

/// Every box drawn on the screen is whole: each `┌` has its `┐` on the same
/// row and its `└…┘` below, and between them each row has `│` at both border
/// columns, except where another box (a popup) is drawn over the border.
fn assert_boxes_closed(screen: &str, what: &str) {
    let rows: Vec<Vec<(usize, char)>> = screen.lines().map(columns).collect();
    let at = |row: usize, col: usize| {
        rows.get(row)
            .and_then(|r| r.iter().find(|(c, _)| *c == col))
            .map(|(_, ch)| *ch)
    };
    let mut frames = Vec::new();
    for (top, row) in rows.iter().enumerate() {
        for &(left, ch) in row {
            if ch != '┌' {
                continue;
            }
            let right = row
                .iter()
                .find(|(c, ch)| *c > left && *ch == '┐')
                .map_or_else(
                    || panic!("{what}: ┌ without ┐ on row {top}:\n{screen}"),
                    |(c, _)| *c,
                );
            let bottom = (top + 1..rows.len())
                .find(|&r| at(r, left) == Some('└') && at(r, right) == Some('┘'));
            frames.push(Frame {
                top,
                bottom,
                left,
                right,
            });
        }
    }
    for (i, f) in frames.iter().enumerate() {
        let covered = |row: usize, col: usize| {
            frames
                .iter()
                .enumerate()
                .any(|(j, g)| j != i && g.top > f.top && g.covers(row, col, rows.len()))
        };
        let Some(bottom) = f.bottom else {
            // Its bottom may only be hidden under a popup.
            assert!(
                (f.top + 1..rows.len()).any(|r| covered(r, f.left)),
                "{what}: box from row {} not closed:\n{screen}",
                f.top
            );
            continue;
        };
        for row in f.top + 1..bottom {
            for col in [f.left, f.right] {
                if !covered(row, col) {
                    assert_eq!(
                        at(row, col),
                        Some('│'),
                        "{what}: border at row {row}, column {col}:\n{screen}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_box_check_finds_a_border_out_of_place() {
    let whole = "┌ a ─┐\n│本番│\n└────┘\n";
    assert_boxes_closed(whole, "whole");
    // A wide character counted as one cell pushes the border one cell right.
    let pushed = "┌ a ─┐\n│本番 │\n└────┘\n";
    let caught = std::panic::catch_unwind(|| assert_boxes_closed(pushed, "pushed"));
    assert!(caught.is_err(), "a pushed border went unnoticed");
    let open = "┌ a ─┐\n│    │\n";
    assert!(std::panic::catch_unwind(|| assert_boxes_closed(open, "open")).is_err());
}

/// Checks a screen as an operator would see it and snapshots it as
/// `i18n_<lang>_<name>`.
fn check(lang: Lang, name: &str, screen: &str) {
    let what = format!("{} {name}", lang.code());
    assert_fits(screen, W, H);
    assert_boxes_closed(screen, &what);
    assert!(!screen.contains(CANARY), "{what} shows a secret:\n{screen}");
    // A cut is marked with an ellipsis; a wide character is never split.
    assert!(!screen.contains('\u{FFFD}'), "{what}:\n{screen}");
    let snapshot = format!("i18n_{}_{name}", lang.code());
    settings().bind(|| insta::assert_snapshot!(snapshot, screen));
}

/// A Japanese name too long for the name column.
const LONG_JA: &str = "ステージング環境のテナント（検証用）";

/// A CJK-named ready Twilio connection, an empty Auth0 one with a long
/// Japanese name, and a pending Auth0 one.
fn vault() -> TestVault {
    let token = format!("tok-{CANARY}");
    let secret = format!("cs-{CANARY}");
    let rows: [Connection; 3] = [
        conn(
            "本番 Twilio",
            "twilio",
            "auth_token",
            &[("account_sid", SID), ("auth_token", &token)],
        ),
        conn(
            LONG_JA,
            "auth0",
            "client_credentials",
            &[("domain", "staging.eu.auth0.com")],
        ),
        conn(
            "Mgmt API (prod)",
            "auth0",
            "client_credentials",
            &[
                ("domain", "tenant.eu.auth0.com"),
                ("client_id", "abc123"),
                ("client_secret", &secret),
            ],
        ),
    ];
    TestVault::create_in(fixed_dir(), &key(), &rows)
}

fn harness(v: &TestVault, lang: Lang) -> Harness {
    Harness::new(&v.path, Some(key()), lang, W, H)
}

#[test]
fn list_with_cjk_names() {
    let v = vault();
    for lang in TRANSLATIONS {
        let screen = harness(&v, lang).screen();
        let (ready, empty, pending, missing) = match lang {
            Lang::Fr => ("✓ prête", "! vide", "○ en attente", "manquant : ID client"),
            _ => (
                "✓ 準備完了",
                "! 未設定",
                "○ 保留中",
                "未入力：クライアントID",
            ),
        };
        assert!(row_with(&screen, "本番 Twilio").contains(ready), "{screen}");
        assert!(row_with(&screen, "Mgmt API").contains(pending), "{screen}");
        let long = row_with(&screen, "ステージング");
        assert!(long.contains(empty), "{long}");
        assert!(long.contains(missing), "{long}");
        // Too long for its column: cut at a character, with an ellipsis.
        assert!(!long.contains(LONG_JA), "{long}");
        assert!(long.contains("…"), "{long}");
        // The columns start at the same cell on every row, whatever the names.
        // (The service is the last mention of it: a name may contain it too.)
        let service_col = |row: &str, service: &str| {
            let at = row
                .rfind(service)
                .unwrap_or_else(|| panic!("{service} in {row:?}"));
            row[..at].width()
        };
        let header = screen.lines().nth(1).unwrap();
        let col = service_col(header, lang_str(lang, "Service", "サービス"));
        assert_eq!(service_col(row_with(&screen, "本番 Twilio"), "Twilio"), col);
        assert_eq!(service_col(long, "Auth0"), col);
        assert_eq!(service_col(row_with(&screen, "Mgmt API"), "Auth0"), col);
        check(lang, "list", &screen);
    }
}

fn lang_str(lang: Lang, fr: &'static str, ja: &'static str) -> &'static str {
    if lang == Lang::Fr { fr } else { ja }
}

#[test]
fn wizard_service_step() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = harness(&v, lang);
        h.press(KeyCode::Char('a'));
        let screen = h.screen();
        assert!(
            screen.contains(lang_str(
                lang,
                "Étape 1 sur 3 · Choisissez le service",
                "ステップ1/3 · サービスを選択"
            )),
            "{screen}"
        );
        assert!(
            screen.contains(lang_str(
                lang,
                "Ajouter une connexion au coffre-fort",
                "Vault接続を追加"
            )),
            "{screen}"
        );
        check(lang, "wizard_service", &screen);
    }
}

#[test]
fn wizard_method_step_for_http() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = harness(&v, lang);
        h.press(KeyCode::Char('a'));
        h.type_text("http");
        h.press(KeyCode::Enter);
        let screen = h.screen();
        let methods = match lang {
            Lang::Fr => [
                "Jeton Bearer",
                "Clé d’API",
                "Authentification basique",
                "Identifiants client OAuth2",
            ],
            _ => [
                "Bearerトークン",
                "APIキー",
                "Basic認証",
                "OAuth2クライアント認証情報",
            ],
        };
        for m in methods {
            row_with(&screen, m);
        }
        check(lang, "wizard_method_http", &screen);
    }
}

/// The wizard at the name step of a Twilio connection.
fn at_name_step(v: &TestVault, lang: Lang) -> Harness {
    let mut h = harness(v, lang);
    h.press(KeyCode::Char('a'));
    h.type_text("twil");
    h.press(KeyCode::Enter);
    h
}

#[test]
fn wizard_name_step_with_a_duplicate_cjk_name() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = at_name_step(&v, lang);
        h.type_text("本番 twilio");
        let screen = h.screen();
        assert!(
            screen.contains(lang_str(
                lang,
                "✗ Une connexion nommée « 本番 twilio » existe déjà.",
                "✗ 「本番 twilio」という名前の接続はすでに存在します。"
            )),
            "{screen}"
        );
        check(lang, "wizard_name", &screen);
    }
}

#[test]
fn wizard_credentials_with_errors() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = at_name_step(&v, lang);
        h.type_text("接続テスト");
        h.press(KeyCode::Enter);
        h.type_text("AC12");
        for _ in 0..3 {
            h.press(KeyCode::Enter);
        }
        let screen = h.screen();
        let (sid_error, token_error) = match lang {
            Lang::Fr => (
                // Wrapped, not cut: the example goes on the next line.
                "✗ Account SID : doit ressembler à",
                "✗ Jeton d’authentification : champ obligatoire",
            ),
            _ => ("✗ アカウントSIDはAC0123456789", "✗ 認証トークンは必須です"),
        };
        // The whole message shows, over as many lines as it takes.
        let whole = match lang {
            Lang::Fr => "AC0123456789abcdef0123456789abcdef",
            _ => "ef",
        };
        assert!(screen.contains(sid_error), "{screen}");
        assert!(screen.contains(whole), "{screen}");
        assert!(screen.contains(token_error), "{screen}");
        assert!(screen.contains("Twilio · 接続テスト"), "{screen}");
        check(lang, "wizard_form_errors", &screen);
    }
}

#[test]
fn details() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = harness(&v, lang);
        h.press(KeyCode::Enter);
        let screen = h.screen();
        let token = row_with(
            &screen,
            lang_str(lang, "Jeton d’authentification", "認証トークン"),
        );
        assert!(token.contains("••••••"), "{screen}");
        assert!(row_with(&screen, lang_str(lang, "Account SID", "アカウントSID")).contains(SID));
        check(lang, "details", &screen);
    }
}

#[test]
fn help() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = harness(&v, lang);
        h.press(KeyCode::Char('?'));
        let screen = h.screen();
        assert!(
            screen.contains(lang_str(lang, "Liste des connexions", "接続一覧")),
            "{screen}"
        );
        check(lang, "help", &screen);
    }
}

#[test]
fn delete_confirmation() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = harness(&v, lang);
        h.press(KeyCode::Char('d'));
        let screen = h.screen();
        assert!(screen.contains("本番 Twilio"), "{screen}");
        check(lang, "delete_confirm", &screen);
    }
}

#[test]
fn unlock_screen() {
    let v = TestVault::create_in(
        fixed_dir(),
        &passphrase(PASSPHRASE),
        &[conn("本番 Twilio", "twilio", "auth_token", &[])],
    );
    for lang in TRANSLATIONS {
        let mut h = Harness::new(&v.path, None, lang, W, H);
        h.type_text("corr");
        let screen = h.screen();
        let label = lang_str(lang, "Phrase secrète :", "パスフレーズ：");
        assert!(row_with(&screen, label).contains("••••"), "{screen}");
        assert!(!screen.contains("corr"), "{screen}");
        check(lang, "unlock", &screen);
    }
}

#[test]
fn unlock_with_a_wrong_passphrase() {
    let v = TestVault::create_in(fixed_dir(), &passphrase(PASSPHRASE), &[]);
    for lang in TRANSLATIONS {
        let mut h = Harness::new(&v.path, None, lang, W, H);
        h.type_text("wrong horse");
        h.press(KeyCode::Enter);
        let screen = h.screen();
        let start = lang_str(
            lang,
            "Phrase secrète incorrecte",
            "パスフレーズが正しくありません",
        );
        assert!(screen.contains(start), "{screen}");
        check(lang, "unlock_wrong", &screen);
    }
}

#[test]
fn create_a_vault() {
    let v = TestVault::missing_in(fixed_dir());
    for lang in TRANSLATIONS {
        let screen = Harness::new(&v.path, None, lang, W, H).screen();
        let hint = lang_str(lang, "Aucun coffre-fort ici", "Vaultがまだありません");
        assert!(!row_with(&screen, hint).contains('…'), "{screen}");
        check(lang, "create", &screen);
    }
    assert!(!v.path.exists());
}

/// The way out of "no vault" is a command: it must show in full.
#[test]
fn key_file_for_a_missing_vault() {
    let v = TestVault::missing_in(fixed_dir());
    for lang in TRANSLATIONS {
        let screen = harness(&v, lang).screen();
        let joined: String = screen
            .lines()
            .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.contains("flowvault init --new-key-file PATH"),
            "{screen}"
        );
        check(lang, "key_file_no_vault", &screen);
    }
}

#[test]
fn edit_form() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = harness(&v, lang);
        h.press(KeyCode::Char('e'));
        let screen = h.screen();
        assert!(screen.contains(lang_str(
            lang,
            "Modifier « 本番 Twilio »",
            "「本番 Twilio」を編集"
        )));
        let hint = row_with(&screen, lang_str(lang, "* obligatoire", "* 必須"));
        assert!(!hint.contains('…'), "{hint}");
        check(lang, "edit_form", &screen);
    }
}

// ---------------------------------------------------------------------------
// The flows pane

/// [`vault`] with a flow of three actions: one on the pending Auth0
/// connection (whose token is not fetched), one on the CJK-named Twilio
/// connection, and an HTTP request with no connection.
fn vault_with_flow() -> TestVault {
    use flowvault::vault::{Credentials, Flow, FlowStep, VaultStore};
    let v = vault();
    let id = |name: &str| v.get(name).id;
    let mut sms_inputs = Credentials::default();
    sms_inputs.set("to", "+33600000000");
    sms_inputs.set("body", "こんにちは");
    let mut flow = Flow::new("新規ユーザーの登録");
    flow.steps = vec![
        FlowStep::new(
            "auth0.get_user",
            Some(id("Mgmt API (prod)")),
            Credentials::default(),
        ),
        FlowStep::new("twilio.send_sms", Some(id("本番 Twilio")), sms_inputs),
        FlowStep::new("http.request", None, Credentials::default()),
    ];
    let mut vault = v.open();
    vault.add_flow(&flow).expect("add flow");
    vault.save_steps(&flow).expect("save steps");
    drop(vault);
    v
}

#[test]
fn flows_pane() {
    let v = vault_with_flow();
    for lang in TRANSLATIONS {
        let mut h = harness(&v, lang);
        h.press(KeyCode::Tab);
        let screen = h.screen();
        row_with(
            &screen,
            lang_str(
                lang,
                "Auth0 : Obtenir un utilisateur",
                "Auth0：ユーザーを取得",
            ),
        );
        row_with(
            &screen,
            lang_str(lang, "Envoyer un SMS avec Twilio", "TwilioでSMSを送信"),
        );
        check(lang, "flows", &screen);
        h.press(KeyCode::Right);
        let screen = h.screen();
        assert!(
            row_with(
                &screen,
                lang_str(lang, "Portées requises", "必要なスコープ")
            )
            .contains("read:users"),
            "{screen}"
        );
        check(lang, "flows_action", &screen);
        h.press(KeyCode::Down);
        let screen = h.screen();
        assert!(
            row_with(&screen, lang_str(lang, "Destinataire ", "宛先 ")).contains("+33600000000"),
            "{screen}"
        );
        check(lang, "flows_action_sms", &screen);
        h.press(KeyCode::Char('c'));
        let screen = h.screen();
        check(lang, "flows_connection_picker", &screen);
        h.press(KeyCode::Esc);
        h.press(KeyCode::Char('a'));
        let screen = h.screen();
        check(lang, "flows_action_picker", &screen);
        h.press(KeyCode::Esc);
        h.press(KeyCode::Char('x'));
        let screen = h.screen();
        check(lang, "flows_dry_run", &screen);
    }
}

// ---------------------------------------------------------------------------
// Texts that must fit their place

/// How many hints of a mode the footer shows at 80 columns, of how many it
/// has, as `tui::widgets::footer` draws them.
fn footer_hints_shown(locale: &Locale, mode: flowvault::tui::keymap::Mode) -> (usize, usize) {
    use flowvault::tui::keymap::{Shown, entries};
    let all = entries(mode)
        .iter()
        .filter(|e| e.footer != Shown::HelpOnly)
        .count();
    let keymap = flowvault::tui::keymap::Keymap::default();
    let shown =
        flowvault::tui::widgets::footer::hints(&keymap, mode, W as usize, locale, &[("n", "10")]);
    (shown.len(), all)
}

/// A translation hides no footer hint that English shows at 80 columns.
#[test]
fn footer_hints_fit_at_80_columns_as_in_english() {
    use flowvault::tui::keymap::Mode;
    let mut problems = Vec::new();
    for mode in Mode::ALL {
        let (english, all) = footer_hints_shown(Locale::english(), mode);
        for lang in TRANSLATIONS {
            let (shown, _) = footer_hints_shown(Locale::get(lang), mode);
            if shown < english {
                problems.push(format!(
                    "{}: the footer of {mode:?} shows {shown} of {all} hints, English {english}",
                    lang.code()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Texts drawn on one line and cut to fit: their room at 80 columns (from
/// the screens' layout), so that none is cut in French or Japanese.
const ROOM_AT_80: &[(&str, usize)] = &[
    // list: status cell is 13 with "> ✓ " before the word; name at least 12
    ("status.ready", 10),
    ("status.pending", 10),
    ("status.empty", 10),
    ("status.refreshing", 10),
    ("status.fetching", 10),
    ("status.failed", 10),
    ("status.damaged", 10),
    ("list.col.status", 13),
    ("list.col.name", 12),
    ("list.col.service", 14),
    ("list.col.method", 22),
    ("list.col.updated", 20),
    ("list.empty_vault", 80),
    // details: labels padded to 14
    ("details.service", 13),
    ("details.status", 13),
    // wizard: 78 inside the border, the title 74
    ("wizard.title", 74),
    ("wizard.form_hint", 78),
    ("wizard.edit_hint", 78),
    ("details.revealed", 78),
    // unlock: 62 inside, the title 58; the prompt at most half
    ("unlock.title", 58),
    ("unlock.create_title", 58),
    ("unlock.create_hint", 62),
    ("unlock.passphrase", 31),
    ("unlock.new_passphrase", 31),
    ("unlock.repeat_passphrase", 31),
    ("unlock.unlocking", 62),
    ("unlock.creating", 62),
    // confirm: 56 for the title
    ("confirm.title", 54),
    // help: 62 inside, 18 cells of keys before the hint
    ("help.title", 58),
    // flows pane: settings labels take 18 cells; lines not cut get 78
    ("flows.vault_connection", 18),
    ("flows.scopes", 18),
    ("flows.settings_hint", 78),
    ("flows.inputs_hint", 78),
    ("run.dry_run_note", 78),
];

#[test]
fn one_line_texts_fit_their_place_at_80_columns() {
    let mut problems = Vec::new();
    for lang in TRANSLATIONS {
        let locale = Locale::get(lang);
        let mut check = |key: &str, room: usize| {
            // Texts that name a key name the one bound: measured with the defaults.
            let keys = [
                ("submit", "Enter"),
                ("back", "Esc"),
                ("create_empty", "Ctrl-n"),
            ];
            let text = locale.f(key, &keys);
            let text = text.as_str();
            if text.width() > room {
                problems.push(format!(
                    "{}: {key} takes {} cells, has {room}: {text:?}",
                    lang.code(),
                    text.width()
                ));
            }
        };
        for (key, room) in ROOM_AT_80 {
            check(key, *room);
        }
        for key in table(Lang::En).keys() {
            if key.starts_with("help.mode.") {
                check(key, 62);
            }
            if key.starts_with("keys.") {
                check(key, 62 - 18);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Wide characters in a text input

#[test]
fn wide_characters_are_edited_whole_and_the_cursor_sits_on_the_right_cell() {
    let v = vault();
    for lang in TRANSLATIONS {
        let mut h = at_name_step(&v, lang);
        h.type_text("接続テスト");
        h.press(KeyCode::Left);
        h.press(KeyCode::Left);
        // The cursor is between テ and ス: Backspace takes テ.
        h.press(KeyCode::Backspace);
        let screen = h.screen();
        let (x, y) = h.cursor().expect("the name input shows the cursor");
        let label = lang_str(lang, "Nom de la connexion :", "接続名：");
        let row = row_with(&screen, label);
        assert!(row.contains("接続スト"), "{row:?}");
        assert!(!row.contains("接続テスト"), "{row:?}");
        assert_eq!(
            screen.lines().nth(y as usize),
            Some(row),
            "cursor row\n{screen}"
        );
        // The input starts one cell after the label; 接続 takes four cells
        // before the cursor, which sits on ス.
        let label_end = row[..row.find(label).unwrap() + label.len()].width();
        let input_start = label_end + 1;
        assert_eq!(
            x as usize,
            input_start + 4,
            "{lang:?}: cursor column in {row:?}"
        );
        let on: Vec<_> = columns(row)
            .into_iter()
            .filter(|(c, _)| *c == x as usize)
            .collect();
        assert_eq!(on, [(x as usize, 'ス')], "{row:?}");
        let expected_x = if lang == Lang::Ja {
            1 + 9 + 4
        } else {
            1 + 22 + 4
        };
        assert_eq!(x, expected_x, "{lang:?}");

        // The name is kept as edited: the next step shows it.
        h.press(KeyCode::Enter);
        let form = h.screen();
        assert!(form.contains("Twilio · 接続スト"), "{form}");
        assert_fits(&form, W, H);
    }
}

#[test]
fn a_long_cjk_name_scrolls_and_keeps_the_cursor_inside_the_box() {
    let v = vault();
    let mut h = at_name_step(&v, Lang::Ja);
    let long: String = "接続テスト".repeat(10);
    h.type_text(&long);
    let screen = h.screen();
    assert_fits(&screen, W, H);
    assert_boxes_closed(&screen, "ja long name");
    let (x, y) = h.cursor().expect("cursor shown");
    let row = screen.lines().nth(y as usize).unwrap();
    // The end of the name shows, and the cursor is after it, inside the border.
    assert!(row.contains("テスト"), "{row:?}");
    assert!(
        (x as usize) < W as usize - 1,
        "cursor on the border: {x} in {row:?}"
    );
    assert!(
        x as usize >= row.trim_end_matches('│').trim_end().width(),
        "{x} {row:?}"
    );
    // Home goes back to the start; the first characters show again.
    h.press(KeyCode::Home);
    let screen = h.screen();
    let (x, y) = h.cursor().unwrap();
    let row = screen.lines().nth(y as usize).unwrap();
    assert!(row.contains("接続名： 接続テスト"), "{row:?}");
    assert_eq!(x, 1 + 9, "{row:?}");
    assert_boxes_closed(&screen, "ja long name, home");
}

// ---------------------------------------------------------------------------
// The command line

/// The binary on a key-file vault, in a language chosen by `setup`, with no
/// FLOWVAULT_* or locale variables from the caller.
fn run(
    vault: &common::TestVault,
    setup: &dyn Fn(&mut std::process::Command),
    args: &[&str],
    stdin: &str,
) -> Output {
    let mut cmd = std::process::Command::new(common::BIN);
    common::isolate(&mut cmd);
    cmd.env_remove("LANG");
    cmd.arg("--vault")
        .arg(&vault.path)
        .arg("--key-file")
        .arg(&vault.key);
    setup(&mut cmd);
    cmd.args(args);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run flowvault");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    common::assert_success(out, "command");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Ways to choose a language, and what each must choose.
#[allow(clippy::type_complexity)]
fn choices() -> Vec<(&'static str, Lang, Box<dyn Fn(&mut std::process::Command)>)> {
    vec![
        (
            "LANG=C",
            Lang::En,
            Box::new(|c| {
                c.env("LANG", "C");
            }),
        ),
        (
            "--lang fr",
            Lang::Fr,
            Box::new(|c| {
                c.args(["--lang", "fr"]);
            }),
        ),
        (
            "FLOWVAULT_LANG=ja",
            Lang::Ja,
            Box::new(|c| {
                c.env("FLOWVAULT_LANG", "ja");
            }),
        ),
        (
            "LANG=ja_JP.UTF-8",
            Lang::Ja,
            Box::new(|c| {
                c.env("LANG", "ja_JP.UTF-8");
            }),
        ),
        (
            "LC_ALL=fr_CA.UTF-8 over LANG=ja_JP.UTF-8",
            Lang::Fr,
            Box::new(|c| {
                c.env("LANG", "ja_JP.UTF-8").env("LC_ALL", "fr_CA.UTF-8");
            }),
        ),
        (
            "--lang ja over LC_ALL=fr_CA.UTF-8",
            Lang::Ja,
            Box::new(|c| {
                c.env("LC_ALL", "fr_CA.UTF-8").args(["--lang", "ja"]);
            }),
        ),
    ]
}

/// The header of `list` and the confirmation of `add`, per language.
fn expected_texts(lang: Lang, name: &str) -> ([&'static str; 4], String) {
    match lang {
        Lang::En => (
            ["STATUS", "NAME", "SERVICE", "DETAIL"],
            format!("Added “{name}” (Twilio): ready, basic auth."),
        ),
        Lang::Fr => (
            ["ÉTAT", "NOM", "SERVICE", "DÉTAIL"],
            format!("Connexion « {name} » ajoutée (Twilio) : prête, authentification basique."),
        ),
        Lang::Ja => (
            ["状態", "名前", "サービス", "詳細"],
            format!("「{name}」（Twilio）を追加しました：準備完了、Basic認証。"),
        ),
    }
}

#[test]
fn the_cli_speaks_the_chosen_language() {
    let vault = common::TestVault::new();
    for (i, (how, lang, setup)) in choices().into_iter().enumerate() {
        let name = format!("本番 Twilio {i}");
        let out = run(
            &vault,
            &*setup,
            &[
                "add",
                "twilio",
                &name,
                "--set",
                &format!("account_sid={SID}"),
                "--secrets-stdin",
            ],
            "auth_token=tok-secret\n",
        );
        let (header, added) = expected_texts(lang, &name);
        // A confirmation is a message: stderr, stdout left to data.
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            added,
            "{how}: add"
        );
        assert!(out.stdout.is_empty(), "{how}: add printed data");

        let out = run(&vault, &*setup, &["list", "--format", "table"], "");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        let words: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(words, header, "{how}: list header {:?}", lines[0]);
        // Columns are padded by display width: the service starts at the
        // same cell on every line, CJK names or not.
        let at = |line: &str, needle: &str| line[..line.find(needle).unwrap()].width();
        let col = at(lines[0], header[2]);
        for line in &lines[1..] {
            assert_eq!(at(line, " twilio ") + 1, col, "{how}: {line:?}\n{text}");
        }
    }
}

#[test]
fn list_json_is_the_same_in_every_language() {
    let vault = common::TestVault::new();
    vault.add(
        "twilio",
        "本番 Twilio",
        None,
        &[("account_sid", SID)],
        &[("auth_token", "t")],
    );
    let out = run(
        &vault,
        &|c| {
            c.env("LANG", "C");
        },
        &[
            "add",
            "auth0",
            "空の接続",
            "--set",
            "domain=tenant.eu.auth0.com",
            "--empty",
        ],
        "",
    );
    common::assert_success(&out, "add --empty");
    let json = |setup: &dyn Fn(&mut std::process::Command)| -> Vec<Value> {
        let out = run(&vault, setup, &["list", "--json"], "");
        serde_json::from_str(&stdout(&out)).expect("list --json prints JSON")
    };
    let en = json(&|c| {
        c.env("LANG", "C");
    });
    assert_eq!(en.len(), 2);
    for (how, _, setup) in choices() {
        let other = json(&*setup);
        assert_eq!(other.len(), en.len(), "{how}");
        for (a, b) in en.iter().zip(&other) {
            let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(a), keys(b), "{how}: keys");
            // Only the prose differs; what scripts read is the same.
            for k in [
                "id",
                "name",
                "service",
                "status",
                "missing",
                "expires_at",
                "updated_at",
            ] {
                assert_eq!(a[k], b[k], "{how}: {k}");
            }
        }
    }
}

#[test]
fn errors_keep_their_prefix_and_exit_code_in_every_language() {
    let vault = common::TestVault::new();
    // Each with the name it quotes, as each language quotes it.
    let cases: [(&[&str], i32, &str); 3] = [
        (&["show", "nobody"], 5, "nobody"),
        (&["add", "nosuchservice", "x"], 2, "nosuchservice"),
        (&["add", "twilio", "x", "--set", "auth_token=oops"], 2, ""),
    ];
    for (args, code, quoted) in cases {
        for (how, lang, setup) in choices() {
            let out = run(&vault, &*setup, args, "");
            let stderr = common::assert_error(&out, code, &format!("{how}: {args:?}"));
            if !quoted.is_empty() {
                let want = match lang {
                    Lang::En => format!("“{quoted}”"),
                    Lang::Fr => format!("« {quoted} »"),
                    Lang::Ja => format!("「{quoted}」"),
                };
                assert!(stderr.contains(&want), "{how}: {args:?}: {stderr}");
            }
            assert!(out.stdout.is_empty(), "{how}: {args:?}");
            assert!(
                !String::from_utf8_lossy(&out.stderr).contains("oops"),
                "a secret given on the command line is not echoed"
            );
        }
    }
}

/// Known layout bug, reported: labels padded with `format!("{:<N}")` count
/// characters, not terminal cells, so after a CJK label the value starts
/// further right than after a Latin one (src/tui/screens/details.rs, the
/// settings of src/tui/screens/flows.rs, `show` in src/cli/output.rs).
#[test]
fn values_after_cjk_labels_stay_in_one_column() {
    let col = |row: &str, value: &str| {
        let at = row
            .find(value)
            .unwrap_or_else(|| panic!("{value} in {row:?}"));
        row[..at].width()
    };
    let v = vault_with_flow();
    let mut h = harness(&v, Lang::Ja);
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert_eq!(
        col(row_with(&screen, "サービス"), "Twilio"),
        col(row_with(&screen, "状態"), "✓"),
        "details:\n{screen}"
    );
    let mut h = harness(&v, Lang::Ja);
    press_all(&mut h, &[KeyCode::Tab, KeyCode::Right, KeyCode::Down]);
    let screen = h.screen();
    assert_eq!(
        col(row_with(&screen, "宛先"), "+33600000000"),
        col(row_with(&screen, "メッセージ"), "こんにちは"),
        "flow settings:\n{screen}"
    );

    let vault = common::TestVault::new();
    vault.add(
        "twilio",
        "本番 Twilio",
        None,
        &[("account_sid", SID)],
        &[("auth_token", "t")],
    );
    let out = run(
        &vault,
        &|c| {
            c.args(["--lang", "ja"]);
        },
        &["show", "本番 Twilio"],
        "",
    );
    let text = stdout(&out);
    assert_eq!(
        col(row_with(&text, "名前"), "本番"),
        col(row_with(&text, "サービス"), "Twilio"),
        "show:\n{text}"
    );
}

#[test]
fn an_unknown_language_falls_back_to_english_with_a_notice() {
    let vault = common::TestVault::new();
    for setup in [
        &(|c: &mut std::process::Command| {
            c.args(["--lang", "de"]);
        }) as &dyn Fn(&mut std::process::Command),
        &|c: &mut std::process::Command| {
            c.env("FLOWVAULT_LANG", "de_DE.UTF-8");
        },
    ] {
        let out = run(&vault, setup, &["list"], "");
        assert_eq!(out.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("note: unknown language “de"),
            "{stderr:?}"
        );
        // The hint of an empty list follows the notice, in English.
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines[1..],
            ["No connections yet; add one with `flowvault add SERVICE NAME`."],
            "{stderr:?}"
        );
    }
    // An unknown LANG is no request for a language: English, silently.
    let out = run(
        &vault,
        &|c| {
            c.env("LANG", "de_DE.UTF-8");
        },
        &["list", "--quiet"],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}
