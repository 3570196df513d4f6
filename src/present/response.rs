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
        locale.f("response.elapsed_s", &[("n", &tenths(locale, ms, 1000))])
    }
}

/// `109 B`, `2.5 KiB`, `1.0 MiB`: a body's size as received.
pub fn size_words(locale: &Locale, bytes: usize) -> String {
    let n = bytes as u128;
    if bytes < 1 << 10 {
        locale.f("response.size_b", &[("n", &bytes.to_string())])
    } else if bytes < 1 << 20 {
        locale.f("response.size_kib", &[("n", &tenths(locale, n, 1 << 10))])
    } else {
        locale.f("response.size_mib", &[("n", &tenths(locale, n, 1 << 20))])
    }
}

/// `n / unit` with one decimal, rounded down, with the language's decimal mark.
fn tenths(locale: &Locale, n: u128, unit: u128) -> String {
    let t = n * 10 / unit;
    format!("{}{}{}", t / 10, locale.t("response.decimal_mark"), t % 10)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Lang;
    use std::time::Duration;

    #[test]
    fn sizes_and_times_read_in_their_unit() {
        let en = Locale::get(Lang::En);
        assert_eq!(size_words(en, 0), "0 B");
        assert_eq!(size_words(en, 1023), "1023 B");
        assert_eq!(size_words(en, 1536), "1.5 KiB");
        assert_eq!(size_words(en, 10 << 20), "10.0 MiB");
        assert_eq!(elapsed_words(en, Duration::from_millis(12)), "12 ms");
        assert_eq!(elapsed_words(en, Duration::from_millis(9_999)), "9999 ms");
        assert_eq!(elapsed_words(en, Duration::from_millis(12_345)), "12.3 s");
        assert_eq!(size_words(Locale::get(Lang::Fr), 2048), "2,0 Kio");
    }
}
