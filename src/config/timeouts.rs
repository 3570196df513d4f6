//! The timeouts: how long secrets show, when the clipboard is cleared, when
//! the UI locks. Written as seconds (`30`) or a duration (`"90s"`, `"5m"`,
//! `"1h30m"`); `0` or `"off"` turns clearing and locking off.

use std::time::Duration;

/// Longest reveal allowed: secrets on screen for more than an hour are not hidden.
pub const MAX_REVEAL: Duration = Duration::from_secs(3600);

/// The timeouts in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long revealed secrets stay visible.
    pub reveal: Duration,
    /// When copied secrets are cleared from the clipboard; `None`: never.
    pub clipboard_clear: Option<Duration>,
    /// When an idle UI locks itself; `None`: never.
    pub auto_lock: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            reveal: Duration::from_secs(10),
            // As `get --clip` in CLI.md.
            clipboard_clear: Some(Duration::from_secs(30)),
            // As 1Password's and rbw's default lock after inactivity.
            auto_lock: Some(Duration::from_secs(15 * 60)),
        }
    }
}

/// A duration as written in the file: `"off"` and `0` are `Some(None)`.
pub fn parse_duration(text: &str) -> Option<Option<Duration>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("never") {
        return Some(None);
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Some((seconds > 0).then(|| Duration::from_secs(seconds)));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let n: u64 = std::mem::take(&mut digits).parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !digits.is_empty() {
        return None;
    }
    Some((total > 0).then(|| Duration::from_secs(total)))
}

/// A duration as the file would write it: `10s`, `5m`, `1h30m`, `off`.
pub fn describe(duration: Option<Duration>) -> String {
    let Some(duration) = duration else {
        return "off".to_owned();
    };
    let mut left = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] {
        if left >= size {
            out.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    if out.is_empty() { "0s".to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Option<Option<Duration>> {
        Some(Some(Duration::from_secs(n)))
    }

    #[test]
    fn durations_parse_seconds_and_units() {
        assert_eq!(parse_duration("30"), secs(30));
        assert_eq!(parse_duration("90s"), secs(90));
        assert_eq!(parse_duration("5m"), secs(300));
        assert_eq!(parse_duration("1h30m"), secs(5400));
        assert_eq!(parse_duration("off"), Some(None));
        assert_eq!(parse_duration("0"), Some(None));
        for bad in ["", "5x", "m", "10 s", "-3", "1.5m", "99999999999999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations_are_described_as_written() {
        assert_eq!(describe(Some(Duration::from_secs(10))), "10s");
        assert_eq!(describe(Some(Duration::from_secs(5400))), "1h30m");
        assert_eq!(describe(None), "off");
    }
}
