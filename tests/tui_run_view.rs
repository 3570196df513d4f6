//! The run view's response: status, size and time on one line, JSON in the
//! server's key order, form bodies decoded, and the body copied (`y`, OSC 52)
//! or saved to a file (`s`, a path prompt) exactly as received. Against a
//! server the test starts on 127.0.0.1; screens as insta snapshots.

mod tui_common;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use flowvault::tui::harness::Harness;
use flowvault::tui::terminal::{FrameWriter, TerminalExtras};
use flowvault::vault::{Credentials, Flow, FlowStep, VaultStore};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::KeyCode;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use tui_common::{SIZES, TestVault, assert_fits, key, row_with};

/// Keys in the reverse of sorted order: a sorted print shows `a` first.
const ORDERED: &str = r#"{"z":1,"a":2}"#;
/// Bytes a pretty-printer or a UTF-8 decoder would change.
const EXACT: &[u8] = b"{\"z\":1,\t\"a\":2}\r\n\xff";

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s.add_filter(r"/tmp/fv-[A-Za-z0-9]{8}/", "/tmp/fv-XXXXXXXX/");
    s.add_filter(r"127\.0\.0\.1:\d{5}", "127.0.0.1:#####");
    s.add_filter(
        r"(?i)date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
        "date: Www, DD Mmm YYYY hh:mm:ss GMT",
    );
    // The time a response took, last on its status line: the digits and
    // the spaces after them keep their width, so the border stays put.
    s.add_filter(
        r"· (?:\d ms {3}|\d{2} ms {2}|\d{3} ms |\d{4} ms)",
        "· #### ms",
    );
    s
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the mock server")
}

/// A server answering `/ordered` with [`ORDERED`] as JSON, `/form` with a
/// form body and `/exact` with [`EXACT`].
fn server(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/ordered"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(ORDERED, "application/json"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/form"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                "access_token=a%2Bb%3D&scope=read+write",
                "application/x-www-form-urlencoded",
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/exact"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(EXACT, "application/octet-stream"),
            )
            .mount(&server)
            .await;
        server
    })
}

/// A vault in a folder of fixed-length name holding a flow "Fetch": one
/// GET of `server` per path, in order.
fn vault(server: &MockServer, paths: &[&str]) -> TestVault {
    let dir = tempfile::Builder::new()
        .prefix("fv-")
        .rand_bytes(8)
        .tempdir_in("/tmp")
        .expect("temp dir in /tmp");
    let v = TestVault::create_in(dir, &key(), &[]);
    let mut store = v.open();
    let mut flow = Flow::new("Fetch");
    store.add_flow(&flow).unwrap();
    flow.steps = paths
        .iter()
        .map(|p| {
            let mut inputs = Credentials::default();
            inputs.set("url", format!("{}{p}", server.uri()));
            FlowStep::new("http.request", None, inputs)
        })
        .collect();
    store.save_steps(&flow).unwrap();
    v
}

/// The whole flow run (sent on `y` at the confirmation), its view open.
fn ran(v: &TestVault, w: u16, h: u16) -> Harness {
    let mut hn = v.harness(w, h);
    hn.press(KeyCode::Tab);
    hn.press(KeyCode::Char('R'));
    hn.press(KeyCode::Char('y'));
    hn
}

#[test]
fn the_response_shows_status_size_time_and_the_servers_key_order() {
    let rt = runtime();
    let server = server(&rt);
    let v = vault(&server, &["/ordered", "/form"]);
    for (w, h) in SIZES {
        let mut hn = ran(&v, w, h);
        let screen = hn.screen();
        assert_fits(&screen, w, h);
        let status = row_with(&screen, "→ 200 OK");
        assert!(
            status.contains(&format!("→ 200 OK · {} B · ", ORDERED.len())),
            "{status}"
        );
        assert!(
            status.trim_end_matches('│').trim_end().ends_with(" ms"),
            "{status}"
        );
        let z = screen.find("\"z\": 1").expect("z shown");
        let a = screen.find("\"a\": 2").expect("a shown");
        assert!(z < a, "the server's order, z before a:\n{screen}");
        settings().bind(|| insta::assert_snapshot!(format!("run_view_json_{w}x{h}"), screen));
    }
}

#[test]
fn a_form_body_reads_one_field_a_line() {
    let rt = runtime();
    let server = server(&rt);
    let v = vault(&server, &["/form"]);
    for (w, h) in SIZES {
        let mut hn = ran(&v, w, h);
        let screen = hn.screen();
        assert_fits(&screen, w, h);
        row_with(&screen, "│access_token = a+b=");
        row_with(&screen, "│scope = read write");
        assert!(!screen.contains("a%2Bb"), "decoded:\n{screen}");
        settings().bind(|| insta::assert_snapshot!(format!("run_view_form_{w}x{h}"), screen));
    }
}

/// A writer the test reads after the backend wrote to it.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn y_copies_the_body_in_view_with_osc_52() {
    let rt = runtime();
    let server = server(&rt);
    let v = vault(&server, &["/ordered", "/form"]);
    // Small enough that the run scrolls: `y` takes the action in view, as `e` does.
    let mut hn = ran(&v, 80, 24);
    hn.press(KeyCode::Char('y'));
    // At the top: the first action's body, as received (not pretty-printed).
    assert_eq!(hn.copied, [ORDERED]);
    let screen = hn.screen();
    row_with(
        &screen,
        &format!(
            "Copied the body of action 1 ({} B); the clipboard clears in 30 s.",
            ORDERED.len()
        ),
    );
    // Scrolled to the end: the last one's, which has more lines in view.
    hn.press(KeyCode::PageDown);
    hn.press(KeyCode::Char('y'));
    assert_eq!(hn.copied[1], "access_token=a%2Bb%3D&scope=read+write");

    // What the real terminal is sent for it: OSC 52 with the text in base64.
    let out = Shared::default();
    let mut backend = CrosstermBackend::new(FrameWriter::new(out.clone()));
    backend.copy_to_clipboard(&hn.copied[0]).unwrap();
    use base64::Engine;
    let expected = format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(ORDERED)
    );
    assert_eq!(String::from_utf8(out.0.borrow().clone()).unwrap(), expected);
}

#[test]
fn s_saves_the_body_exactly_and_replaces_a_file_only_on_a_second_enter() {
    let rt = runtime();
    let server = server(&rt);
    let v = vault(&server, &["/exact"]);
    let target = v.dir.path().join("body.bin");
    let typed = target.to_str().unwrap();
    let mut hn = ran(&v, 80, 24);
    hn.press(KeyCode::Char('s'));
    let screen = hn.screen();
    assert_fits(&screen, 80, 24);
    settings().bind(|| insta::assert_snapshot!("run_view_save_prompt_80x24", screen));

    // An empty path is refused in words.
    hn.press(KeyCode::Enter);
    row_with(&hn.screen(), "Type the path of the file to write.");

    hn.type_text(typed);
    hn.press(KeyCode::Enter);
    assert_eq!(
        std::fs::read(&target).unwrap(),
        EXACT,
        "exactly as received"
    );
    let screen = hn.screen();
    row_with(&screen, "Saved the body (17 B) to");
    assert!(
        !screen.contains("Save the body of action 1"),
        "closed:\n{screen}"
    );

    // Again, to the same file: it is there, kept until Enter is pressed again.
    std::fs::write(&target, b"keep me").unwrap();
    hn.press(KeyCode::Char('s'));
    hn.type_text(typed);
    hn.press(KeyCode::Enter);
    let screen = hn.screen();
    assert!(
        screen.contains("exists: Enter again replaces it."),
        "{screen}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    hn.press(KeyCode::Enter);
    assert_eq!(std::fs::read(&target).unwrap(), EXACT);

    // A folder that is not there: said in words, the prompt stays.
    let nowhere = v.dir.path().join("no-such-folder").join("body.bin");
    hn.press(KeyCode::Char('s'));
    hn.type_text(nowhere.to_str().unwrap());
    hn.press(KeyCode::Enter);
    let screen = hn.screen();
    assert!(screen.contains("cannot write"), "{screen}");
    assert!(screen.contains("Save the body of action 1"), "{screen}");
    hn.press(KeyCode::Esc);

    // Esc leaves the prompt without writing.
    let other = v.dir.path().join("other.bin");
    hn.press(KeyCode::Char('s'));
    hn.type_text(other.to_str().unwrap());
    hn.press(KeyCode::Esc);
    assert!(!other.exists());
    row_with(&hn.screen(), "→ 200 OK");
}

#[test]
fn a_dry_run_has_no_body_to_copy_or_save() {
    let rt = runtime();
    let server = server(&rt);
    let v = vault(&server, &["/ordered"]);
    let mut hn = v.harness(80, 24);
    hn.press(KeyCode::Tab);
    hn.press(KeyCode::Char('X'));
    hn.press(KeyCode::Char('y'));
    hn.press(KeyCode::Char('s'));
    assert!(hn.copied.is_empty());
    let screen = hn.screen();
    row_with(&screen, "No action of this run received a body.");
    assert!(!screen.contains("Save the body"), "{screen}");
}
