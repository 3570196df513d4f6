//! A response's figures in words: its status, how long it took, its size.

use crate::actions::ResponseView;
use crate::locale::Locale;

/// `→ 200 OK · 12 ms · 109 B`: the first line of a response, in the run
/// view and in `run`'s output.
pub fn status_line(locale: &Locale, response: &ResponseView) -> String {
    locale.f(
        "response.status_line",
        &[
            ("status", &response.status.to_string()),
            ("reason", &response.reason),
            ("elapsed", &elapsed_words(locale, response.elapsed)),
            ("size", &size_words(locale, response.raw.len())),
        ],
    )
}

/// `12 ms`, `1.4 s`.
pub fn elapsed_words(locale: &Locale, elapsed: std::time::Duration) -> String {
    let ms = elapsed.as_millis();
    if ms < 10_000 {
        locale.f("response.elapsed_ms", &[("n", &ms.to_string())])
    } else {
        let tenths = ms / 100;
        let s = format!("{}.{}", tenths / 10, tenths % 10);
        locale.f("response.elapsed_s", &[("n", &s)])
    }
}

/// `109 B`, `2.5 KiB`, `1.0 MiB`: a body's size as received.
pub fn size_words(locale: &Locale, bytes: usize) -> String {
    let tenths = |unit: usize| {
        let t = bytes * 10 / unit;
        format!("{}.{}", t / 10, t % 10)
    };
    if bytes < 1 << 10 {
        locale.f("response.size_b", &[("n", &bytes.to_string())])
    } else if bytes < 1 << 20 {
        locale.f("response.size_kib", &[("n", &tenths(1 << 10))])
    } else {
        locale.f("response.size_mib", &[("n", &tenths(1 << 20))])
    }
}

/// Why a body could not be written, in words.
pub fn save_error(locale: &Locale, error: &crate::actions::response::SaveError) -> String {
    use crate::actions::response::SaveError;
    match error {
        SaveError::Exists(path) => locale.f(
            "response.file_exists",
            &[("path", &path.display().to_string())],
        ),
        SaveError::Io { path, source } => locale.f(
            "response.cannot_write",
            &[
                ("path", &path.display().to_string()),
                ("error", &source.to_string()),
            ],
        ),
    }
}
