//! Compiles what the binary embeds into forms it reads without parsing
//! TOML, which took half of a one-row command's time:
//! - the locale files into sorted tables (`$OUT_DIR/locale_tables.rs`);
//! - the service and action catalog into JSON (`$OUT_DIR/*.json`).

use std::fmt::Write as _;
use std::path::Path;

#[path = "src/locale/files.rs"]
mod files;

/// Each language's table and its files, in the order of `Lang::ALL`.
const LANGS: [(&str, [&str; 2]); 3] = [
    ("EN", ["en.toml", "catalog.en.toml"]),
    ("FR", ["fr.toml", "catalog.fr.toml"]),
    ("JA", ["ja.toml", "catalog.ja.toml"]),
];

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    write(
        Path::new(&out_dir).join("locale_tables.rs"),
        locale_tables(),
    );
    for name in ["services", "actions"] {
        let json = catalog_json(&Path::new("assets").join(format!("{name}.toml")));
        write(Path::new(&out_dir).join(format!("{name}.json")), json);
    }
}

/// The catalog file at `path` as JSON. The program checks what it means; a
/// file that is not TOML fails the build here.
fn catalog_json(path: &Path) -> String {
    println!("cargo::rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let table: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::to_string(&table).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(target: std::path::PathBuf, text: String) {
    std::fs::write(&target, text)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
}

/// Each language's strings as a static slice sorted by key.
fn locale_tables() -> String {
    let dir = Path::new("assets/locales");
    let mut out = String::new();
    for (table, names) in LANGS {
        let texts: Vec<String> = names
            .iter()
            .map(|name| {
                let path = dir.join(name);
                println!("cargo::rerun-if-changed={}", path.display());
                std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
            })
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let strings = files::parse_all(&texts)
            .unwrap_or_else(|e| panic!("locale files {}: {e}", names.join(", ")));
        // Sorted by key (a BTreeMap), for a binary search. One string of
        // every key and text, and where each ends: a table of `&str`s would
        // cost the loader a relocation per string at every start.
        let mut text_of_all = String::new();
        let mut ends = Vec::new();
        for (key, text) in &strings {
            text_of_all.push_str(key);
            let key_end = text_of_all.len();
            text_of_all.push_str(text);
            ends.push([key_end, text_of_all.len()]);
        }
        let offset = |n: usize| u32::try_from(n).expect("locale files are under 4 GB");
        // `{:?}` of a str is a valid Rust string literal.
        writeln!(out, "static {table}: Table = Table {{").unwrap();
        writeln!(out, "    text: {text_of_all:?},").unwrap();
        writeln!(out, "    ends: &[").unwrap();
        for [key_end, text_end] in ends {
            writeln!(out, "        [{}, {}],", offset(key_end), offset(text_end)).unwrap();
        }
        writeln!(out, "    ],").unwrap();
        writeln!(out, "}};").unwrap();
    }
    println!("cargo::rerun-if-changed=src/locale/files.rs");
    out
}
