//! When to renew: before expiry by a margin, and after failures with backoff.

use std::time::Duration as StdDuration;

use time::{Duration, OffsetDateTime};

use crate::vault::Token;

/// Shortest margin before expiry at which a token is renewed.
const MIN_MARGIN: Duration = Duration::seconds(60);
/// Longest wait between retries after failures.
pub const MAX_BACKOFF: StdDuration = StdDuration::from_secs(300);

/// When to renew `token`: `expires_at − max(60 s, 10 % of its lifetime)`,
/// moved earlier (never later) by up to a tenth of that margin of jitter, so
/// tokens fetched together do not all come due together. Short-lived tokens
/// renew at half their life at the latest. `None`: it never expires.
pub fn renew_at(token: &Token, jitter: f64) -> Option<OffsetDateTime> {
    let expires_at = token.expires_at?;
    // Times come from the file: a tampered pair must not overflow below.
    let lifetime = (expires_at - token.obtained_at).max(Duration::ZERO);
    let margin = MIN_MARGIN.max(lifetime / 10).min(lifetime / 2);
    let jitter = margin * (jitter.clamp(0.0, 1.0) / 10.0);
    Some(
        expires_at
            .checked_sub(margin)
            .and_then(|at| at.checked_sub(jitter))
            .unwrap_or(token.obtained_at),
    )
}

/// `at` plus `wait`, saturating at the latest time representable.
pub fn after(at: OffsetDateTime, wait: StdDuration) -> OffsetDateTime {
    Duration::try_from(wait)
        .ok()
        .and_then(|wait| at.checked_add(wait))
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc())
}

/// How long to wait after the `failures`-th failure in a row: full jitter over
/// an exponential ceiling (1 s, 2 s, 4 s … up to 5 min), and never less than
/// the server's `Retry-After`.
pub fn backoff(failures: u32, jitter: f64, retry_after: Option<StdDuration>) -> StdDuration {
    let exponent = failures.saturating_sub(1).min(16);
    let ceiling = StdDuration::from_secs(1u64 << exponent).min(MAX_BACKOFF);
    let delay = ceiling.mul_f64(jitter.clamp(0.0, 1.0));
    match retry_after {
        Some(asked) => delay.max(asked),
        None => delay,
    }
}

/// A uniform random number in [0, 1) from the operating system.
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    // Jitter needs no secrecy; a failed generator just means no jitter.
    if crate::vault::crypto::fill_random(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::SecretValue;

    fn token(lifetime_secs: i64) -> Token {
        let obtained_at = OffsetDateTime::UNIX_EPOCH;
        Token {
            access_token: SecretValue::new("t"),
            token_type: "Bearer".into(),
            scope: None,
            obtained_at,
            expires_at: Some(obtained_at + Duration::seconds(lifetime_secs)),
        }
    }

    #[test]
    fn a_day_long_token_renews_a_tenth_before_expiry() {
        let t = token(86_400);
        let at = renew_at(&t, 0.0).unwrap();
        assert_eq!(t.expires_at.unwrap() - at, Duration::seconds(8_640));
    }

    #[test]
    fn an_hour_long_token_keeps_at_least_a_minute() {
        let t = token(3_600);
        assert_eq!(
            t.expires_at.unwrap() - renew_at(&t, 0.0).unwrap(),
            Duration::seconds(360)
        );
        let t = token(300);
        assert_eq!(
            t.expires_at.unwrap() - renew_at(&t, 0.0).unwrap(),
            Duration::seconds(60)
        );
    }

    #[test]
    fn short_tokens_renew_at_half_life_and_jitter_only_moves_earlier() {
        let t = token(4);
        assert_eq!(
            renew_at(&t, 0.0).unwrap() - t.obtained_at,
            Duration::seconds(2)
        );
        let early = renew_at(&t, 0.99).unwrap();
        assert!(early <= renew_at(&t, 0.0).unwrap() && early > t.obtained_at);
    }

    #[test]
    fn backoff_grows_to_five_minutes_and_honours_retry_after() {
        assert_eq!(backoff(1, 1.0, None), StdDuration::from_secs(1));
        assert_eq!(backoff(4, 1.0, None), StdDuration::from_secs(8));
        assert_eq!(backoff(30, 1.0, None), MAX_BACKOFF);
        assert_eq!(
            backoff(1, 0.0, Some(StdDuration::from_secs(7))),
            StdDuration::from_secs(7)
        );
        assert!(backoff(3, 0.5, None) <= StdDuration::from_secs(4));
    }

    #[test]
    fn extreme_times_saturate_instead_of_overflowing() {
        let far = time::PrimitiveDateTime::MAX.assume_utc();
        assert_eq!(after(far, StdDuration::from_secs(u64::MAX)), far);
        assert_eq!(
            after(OffsetDateTime::UNIX_EPOCH, StdDuration::from_secs(60)),
            OffsetDateTime::UNIX_EPOCH + Duration::seconds(60)
        );
        let tampered = Token {
            obtained_at: time::PrimitiveDateTime::MIN.assume_utc(),
            expires_at: Some(far),
            ..token(1)
        };
        assert!(renew_at(&tampered, 0.99).is_some());
        let backwards = Token {
            obtained_at: far,
            expires_at: Some(OffsetDateTime::UNIX_EPOCH),
            ..token(1)
        };
        assert!(renew_at(&backwards, 0.5).is_some());
    }

    #[test]
    fn random_units_fall_in_range() {
        for _ in 0..100 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r));
        }
    }
}
