//! The one timer that wakes the UI when a countdown on screen ("expires in
//! 5m", "hidden in 8 s") would read otherwise; none when nothing counts down,
//! so an idle screen stays quiet.

use std::time::Duration;

use time::OffsetDateTime;

use crate::present::labels::until_duration_changes;
use crate::tui::message::{Effect, Timer};

/// Timers fire by the monotonic clock and the text is computed from the wall
/// clock: waking this much after the change keeps the two from disagreeing.
const MARGIN: Duration = Duration::from_millis(5);

/// The countdown timer pending, if any, numbered so a superseded one is ignored.
#[derive(Debug, Default)]
pub struct Countdown {
    generation: u64,
    at: Option<OffsetDateTime>,
}

impl Countdown {
    /// A timer for the first moment one of `deadlines` reads otherwise, unless
    /// one at least as early is already pending.
    pub fn schedule(
        &mut self,
        now: OffsetDateTime,
        deadlines: impl Iterator<Item = OffsetDateTime>,
    ) -> Option<Effect> {
        let wait = deadlines
            .filter(|at| *at > now)
            .map(|at| until_duration_changes(at - now) + MARGIN)
            .min()?;
        let at = now + wait;
        if self.at.is_some_and(|pending| pending <= at) {
            return None;
        }
        self.at = Some(at);
        self.generation += 1;
        Some(Effect::StartTimer(Timer::Countdown(self.generation), wait))
    }

    /// The timer of `generation` fired: whether it is the one pending.
    pub fn fired(&mut self, generation: u64) -> bool {
        let current = generation == self.generation;
        if current {
            self.at = None;
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_of(effect: Option<Effect>) -> Duration {
        match effect {
            Some(Effect::StartTimer(Timer::Countdown(_), wait)) => wait,
            other => panic!("expected a countdown timer, got {other:?}"),
        }
    }

    #[test]
    fn in_the_last_minute_it_wakes_on_each_second_of_the_deadline() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1);
        let deadline = now + time::Duration::milliseconds(42_300);
        let mut countdown = Countdown::default();
        // 42.3 s left reads "42s" until 42.0 s left: 300 ms from now.
        let wait = wait_of(countdown.schedule(now, std::iter::once(deadline)));
        assert_eq!(wait, Duration::from_millis(305));
    }

    #[test]
    fn a_pending_earlier_timer_is_kept_and_a_superseded_one_is_ignored() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut countdown = Countdown::default();
        let soon = now + time::Duration::seconds(10) + time::Duration::milliseconds(500);
        let late = now + time::Duration::hours(3) + time::Duration::minutes(30);
        assert!(countdown.schedule(now, std::iter::once(soon)).is_some());
        assert!(countdown.schedule(now, std::iter::once(late)).is_none());
        assert!(!countdown.fired(0));
        assert!(countdown.fired(1));
    }

    #[test]
    fn nothing_counting_down_starts_no_timer() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1);
        let past = now - time::Duration::seconds(1);
        assert!(
            Countdown::default()
                .schedule(now, std::iter::once(past))
                .is_none()
        );
        assert!(
            Countdown::default()
                .schedule(now, std::iter::empty())
                .is_none()
        );
    }
}
