//! The locale files' format: nested TOML tables of strings, flattened to
//! dotted keys. Shared by the library (tests read the files with it) and by
//! `build.rs`, which turns the files into the tables compiled into the
//! binary, so that no run pays for parsing them.

use std::collections::BTreeMap;

/// Parses several locale files into one table; a key in two files is an error.
pub fn parse_all(texts: &[&str]) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for text in texts {
        for (key, value) in parse(text)? {
            if out.insert(key.clone(), value).is_some() {
                return Err(format!("{key} is defined twice"));
            }
        }
    }
    Ok(out)
}

/// Parses one locale file.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, String> {
    let value: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    flatten("", &value, &mut out)?;
    Ok(out)
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => {
                return Err(format!(
                    "{key}: only strings and tables belong in a locale file"
                ));
            }
        }
    }
    Ok(())
}
