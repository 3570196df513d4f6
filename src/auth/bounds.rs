//! Limits on what a server may send: every number it gives is saturated or
//! refused here, so none can overflow the time arithmetic downstream.

use std::time::{Duration, SystemTime};

/// Longest wait a `Retry-After` may ask for; a larger one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Longest token lifetime believed; a larger `expires_in` is cut to this.
pub const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// Largest token response read (body bytes).
pub const MAX_TOKEN_RESPONSE: usize = 1 << 20;
/// Largest access or refresh token accepted.
pub const MAX_TOKEN_LEN: usize = 64 << 10;
/// Largest `scope` accepted.
pub const MAX_SCOPE_LEN: usize = 8 << 10;
/// Largest `token_type` accepted.
pub const MAX_TOKEN_TYPE_LEN: usize = 256;
/// Longest server text (`error`, `error_description`) kept for display and storage.
pub const MAX_SERVER_TEXT: usize = 8 << 10;

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP-date
/// (RFC 9110 §10.2.3), at most [`MAX_RETRY_AFTER`]. `None` when unreadable.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still "a long time": saturate.
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or_default()
            .min(MAX_RETRY_AFTER),
    )
}

/// Why an `expires_in` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifetimeError {
    /// Zero or negative: the token would be born expired.
    NotPositive,
    /// Not a number at all.
    NotANumber,
}

/// The lifetime an `expires_in` gives: `None` when absent (the token does not
/// expire), at most [`MAX_LIFETIME`], whole seconds (a fraction is dropped).
pub fn lifetime(value: Option<&serde_json::Value>) -> Result<Option<Duration>, LifetimeError> {
    use serde_json::Value;
    let secs = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => seconds_of_number(n),
        Some(Value::String(s)) => seconds_of_text(s.trim()),
        Some(_) => Err(LifetimeError::NotANumber),
    }?;
    if secs < 1.0 {
        return Err(LifetimeError::NotPositive);
    }
    let capped = secs.min(MAX_LIFETIME.as_secs_f64());
    // `capped` is finite, at least 1 and at most a year: the cast is exact enough.
    Ok(Some(Duration::from_secs(capped as u64)))
}

fn seconds_of_number(n: &serde_json::Number) -> Result<f64, LifetimeError> {
    // Every JSON number has an f64 reading (very large ones round, or are
    // infinite: both are past the cap and end up at it).
    match n.as_f64() {
        Some(f) if f.is_nan() => Err(LifetimeError::NotANumber),
        Some(f) => Ok(f),
        None => Err(LifetimeError::NotANumber),
    }
}

fn seconds_of_text(s: &str) -> Result<f64, LifetimeError> {
    // Only plain decimal numbers: "inf", "NaN" and hex are not lifetimes.
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    match s.parse::<f64>() {
        Ok(f) if plain && !f.is_nan() => Ok(f),
        _ => Err(LifetimeError::NotANumber),
    }
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when cut.
pub fn truncated(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retry_after_saturates_at_an_hour() {
        let now = SystemTime::now();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        for huge in [
            "18446744073709551615",
            "9999999999999",
            "99999999999999999999999",
        ] {
            assert_eq!(retry_after(huge, now), Some(MAX_RETRY_AFTER), "{huge}");
        }
        for junk in ["", "-5", "1.5", "soon", "0x10"] {
            assert_eq!(retry_after(junk, now), None, "{junk}");
        }
    }

    #[test]
    fn retry_after_reads_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(
            retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn lifetimes_are_positive_and_at_most_a_year() {
        let secs = |v: serde_json::Value| lifetime(Some(&v));
        assert_eq!(secs(json!(3600)), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(secs(json!("3600")), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(secs(json!(3600.7)), Ok(Some(Duration::from_secs(3600))));
        for huge in [
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1e14),
            json!(1e308),
            json!("9223372036854775807"),
            json!("1e400"),
        ] {
            assert_eq!(secs(huge.clone()), Ok(Some(MAX_LIFETIME)), "{huge}");
        }
        for bad in [
            json!(-100),
            json!(0),
            json!(0.5),
            json!("-1"),
            json!(i64::MIN),
        ] {
            assert_eq!(secs(bad.clone()), Err(LifetimeError::NotPositive), "{bad}");
        }
        for junk in [
            json!("soon"),
            json!(true),
            json!([1]),
            json!("NaN"),
            json!("inf"),
        ] {
            assert_eq!(secs(junk.clone()), Err(LifetimeError::NotANumber), "{junk}");
        }
        assert_eq!(lifetime(None), Ok(None));
        assert_eq!(lifetime(Some(&json!(null))), Ok(None));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(truncated("short", 8), "short");
        assert_eq!(truncated("ééé", 3), "é…");
        assert!(truncated(&"x".repeat(100_000), MAX_SERVER_TEXT).len() <= MAX_SERVER_TEXT + 3);
    }
}
