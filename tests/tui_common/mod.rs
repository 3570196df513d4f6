//! Helpers shared by the terminal-UI tests: a throw-away vault filled through
//! the library, the harness on it, and ways to damage a row on disk.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use flowvault::locale::Lang;
use flowvault::tui::harness::Harness;
use flowvault::vault::{
    Connection, ConnectionId, Credentials, KdfParams, StoredConnection, UnlockKey, Vault,
    VaultStore,
};
use ratatui::crossterm::event::KeyCode;
use tempfile::TempDir;
use unicode_width::UnicodeWidthStr;
use zeroize::Zeroizing;

/// The two sizes every screen is checked at.
pub const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// Secret values contain this, so a test can tell whether one leaked to the screen.
pub const CANARY: &str = "canary7q";

/// A valid Twilio Account SID.
pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
/// Another valid one, to tell an edit from the original.
pub const SID2: &str = "ACfedcba9876543210fedcba9876543210";
/// The passphrase of vaults that are unlocked by typing.
pub const PASSPHRASE: &str = "correct horse";

/// Test vaults need not resist attack: a cheap KDF keeps the suite fast.
pub const CHEAP_KDF: KdfParams = KdfParams {
    memory_kib: 8192,
    iterations: 1,
    parallelism: 1,
};

/// The key every key-file test vault is made with.
/// A throw-away folder in /tmp whose name has the same length on every
/// machine, so a snapshot filter can hide it without moving the header's
/// right alignment or a dialog's border.
pub fn fixed_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("fv-")
        .rand_bytes(8)
        .tempdir_in("/tmp")
        .expect("temp dir in /tmp")
}

pub fn key() -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![7u8; 32]))
}

/// A passphrase key.
pub fn passphrase(text: &str) -> UnlockKey {
    UnlockKey::Passphrase(Zeroizing::new(text.to_owned()))
}

/// A connection from `(key, value)` pairs.
pub fn conn(name: &str, service: &str, method: &str, fields: &[(&str, &str)]) -> Connection {
    let mut creds = Credentials::default();
    for (k, v) in fields {
        creds.set(*k, *v);
    }
    Connection::new(name, service, method, creds)
}

/// A vault file in its own temporary folder.
pub struct TestVault {
    /// Kept so the folder lives as long as the test.
    pub dir: TempDir,
    pub path: PathBuf,
}

impl TestVault {
    /// A new vault unlocked by [`key`], holding `connections` in this order.
    pub fn with(connections: &[Connection]) -> TestVault {
        TestVault::with_key(&key(), connections)
    }

    /// A new vault unlocked by `unlock`, holding `connections`.
    pub fn with_key(unlock: &UnlockKey, connections: &[Connection]) -> TestVault {
        TestVault::create_in(TempDir::new().expect("temp dir"), unlock, connections)
    }

    /// A new vault as `DIR/vault.db`, unlocked by `unlock`, holding `connections`.
    pub fn create_in(dir: TempDir, unlock: &UnlockKey, connections: &[Connection]) -> TestVault {
        let path = dir.path().join("vault.db");
        let mut vault = Vault::create(&path, unlock, CHEAP_KDF).expect("create vault");
        if !connections.is_empty() {
            vault.add_connections(connections).expect("add connections");
        }
        TestVault { dir, path }
    }

    /// A folder with no vault in it yet; `path` is where one would go.
    pub fn missing() -> TestVault {
        TestVault::missing_in(TempDir::new().expect("temp dir"))
    }

    /// `DIR/vault.db`, not made yet.
    pub fn missing_in(dir: TempDir) -> TestVault {
        let path = dir.path().join("vault.db");
        TestVault { dir, path }
    }

    /// The harness unlocked at once with [`key`].
    pub fn harness(&self, width: u16, height: u16) -> Harness {
        Harness::new(&self.path, Some(key()), Lang::En, width, height)
    }

    /// The harness on the unlock (or create) screen.
    pub fn locked_harness(&self, width: u16, height: u16) -> Harness {
        Harness::new(&self.path, None, Lang::En, width, height)
    }

    /// The vault opened afresh through the library, as another process would.
    pub fn open(&self) -> Vault {
        Vault::open(&self.path, &key()).expect("open vault")
    }

    /// Every intact connection, oldest first.
    pub fn intact(&self) -> Vec<Connection> {
        self.open()
            .connections()
            .expect("list connections")
            .into_iter()
            .filter_map(|c| match c {
                StoredConnection::Intact(c) => Some(c),
                StoredConnection::Damaged(_) => None,
            })
            .collect()
    }

    /// The intact connection with this name.
    pub fn get(&self, name: &str) -> Connection {
        self.open()
            .connection(name)
            .unwrap_or_else(|e| panic!("{name:?} is not in the vault: {e}"))
    }

    /// Flips one byte of a sealed column of a row, as a disk fault or an
    /// attacker would, so that its integrity check fails.
    pub fn damage(&self, id: &ConnectionId, column: &str) {
        damage(&self.path, id, column);
    }
}

/// See [`TestVault::damage`].
pub fn damage(path: &Path, id: &ConnectionId, column: &str) {
    let db = rusqlite::Connection::open(path).expect("open raw db");
    let mut sealed: Vec<u8> = db
        .query_row(
            &format!("SELECT {column} FROM connections WHERE id = ?1"),
            [id.as_str()],
            |r| r.get(0),
        )
        .expect("read sealed value");
    // Past the nonce, inside the ciphertext.
    let at = sealed.len() - 20;
    sealed[at] ^= 0x40;
    db.execute(
        &format!("UPDATE connections SET {column} = ?1 WHERE id = ?2"),
        rusqlite::params![sealed, id.as_str()],
    )
    .expect("write damaged value");
}

/// Presses each key in turn.
pub fn press_all(h: &mut Harness, keys: &[KeyCode]) {
    for &k in keys {
        h.press(k);
    }
}

/// The screen row that contains `needle`, for checks on one line.
pub fn row_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row contains {needle:?}:\n{screen}"))
}

/// The list rows that carry the selection marker `>` in their first cell.
pub fn list_selected(screen: &str) -> Vec<&str> {
    screen.lines().filter(|l| l.starts_with('>')).collect()
}

/// The lines of a bordered popup whose content starts with the selection
/// marker `>` (what shows of the list beside the popup is left out).
pub fn popup_selected(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter_map(|l| l.split_once('│').map(|(_, inside)| inside))
        .filter(|inside| inside.starts_with('>'))
        .collect()
}

/// Every row fits the terminal and there are exactly `height` rows.
pub fn assert_fits(screen: &str, width: u16, height: u16) {
    let rows: Vec<&str> = screen.lines().collect();
    assert_eq!(rows.len(), height as usize, "row count:\n{screen}");
    for row in rows {
        assert!(
            row.width() <= width as usize,
            "row wider than {width}: {row:?}"
        );
    }
}
