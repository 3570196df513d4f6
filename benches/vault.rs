//! Benchmarks of the vault: sealing, adding and listing 10,000 connections;
//! the integrity check at open and `rekey`.
//!
//! Run with `cargo bench-vault`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flowvault::catalog::Catalog;
use flowvault::vault::crypto::{SealContext, SealingKey, SecretKey};
use flowvault::vault::status::assess;
use flowvault::vault::{Connection, Credentials, KdfParams, UnlockKey, Vault, VaultStore};
use tempfile::TempDir;
use zeroize::Zeroizing;

const COUNT: usize = 10_000;

fn key() -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![42u8; 32]))
}

fn connections(n: usize) -> Vec<Connection> {
    (0..n)
        .map(|i| {
            let mut fields = Credentials::default();
            fields.set("domain", format!("tenant{i}.eu.auth0.com"));
            fields.set("client_id", format!("client-{i:06}"));
            fields.set("client_secret", "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t");
            Connection::new(
                format!("Connection {i:05}"),
                "auth0",
                "client_credentials",
                fields,
            )
        })
        .collect()
}

fn new_vault() -> (TempDir, Vault) {
    let dir = TempDir::new().unwrap();
    let vault = Vault::create(&dir.path().join("vault.db"), &key(), KdfParams::default()).unwrap();
    (dir, vault)
}

fn seal_open(c: &mut Criterion) {
    let key = SealingKey::new(&SecretKey::random().unwrap(), 1);
    let vault_id = [7u8; 16];
    let ctx = SealContext {
        vault_id: &vault_id,
        table: "connections",
        row_id: "3f1c",
        column: "fields",
    };
    let value = br#"{"client_id":"abc","client_secret":"0123456789abcdef0123456789abcdef"}"#;
    c.bench_function("seal+open a 70-byte value", |b| {
        b.iter(|| {
            let sealed = key.seal(&ctx, black_box(value)).unwrap();
            black_box(key.open(&ctx, &sealed).unwrap());
        });
    });
}

fn add_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("add");
    group.sample_size(10);
    group.bench_function("10,000 connections in one transaction", |b| {
        b.iter_batched(
            || (new_vault(), connections(COUNT)),
            |((_dir, mut vault), conns)| vault.add_connections(&conns).unwrap(),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("one connection, durable commit (fsync)", |b| {
        let (_dir, mut vault) = new_vault();
        let mut i = 0usize;
        b.iter(|| {
            i += 1;
            let mut conn = connections(1).remove(0);
            conn.name = format!("single {i}");
            vault.add_connection(&conn).unwrap();
        });
    });
    group.finish();
}

fn list_many(c: &mut Criterion) {
    let (_dir, mut vault) = new_vault();
    vault.add_connections(&connections(COUNT)).unwrap();
    let catalog = Catalog::embedded();
    let mut group = c.benchmark_group("list");
    group.sample_size(10);
    group.bench_function("10,000 connections, opened and assessed", |b| {
        b.iter(|| {
            let rows = vault.connections().unwrap();
            let tokens = vault.token_records().unwrap();
            let now = flowvault::vault::now();
            assert_eq!(rows.len(), COUNT);
            for row in &rows {
                black_box(assess(row, catalog, tokens.get(row.id()), now));
            }
        });
    });
    group.finish();
}

fn integrity_and_rekey(c: &mut Criterion) {
    let mut group = c.benchmark_group("integrity");
    group.sample_size(10);
    for n in [100, COUNT] {
        let (dir, mut vault) = new_vault();
        vault.add_connections(&connections(n)).unwrap();
        let path = dir.path().join("vault.db");
        group.bench_function(format!("digest check, {n} connections"), |b| {
            b.iter(|| vault.verify_integrity().unwrap());
        });
        group.bench_function(format!("open with key file, {n} connections"), |b| {
            b.iter(|| black_box(Vault::open(&path, &key()).unwrap()));
        });
    }
    group.bench_function("rekey, 10,000 connections", |b| {
        b.iter_batched(
            || {
                let (dir, mut vault) = new_vault();
                vault.add_connections(&connections(COUNT)).unwrap();
                (dir, vault)
            },
            |(_dir, mut vault)| vault.rekey(&key(), KdfParams::default()).unwrap(),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, seal_open, add_many, list_many, integrity_and_rekey);
criterion_main!(benches);
