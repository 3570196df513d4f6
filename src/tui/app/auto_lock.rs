//! Locking an idle UI: after `timeouts.auto_lock` with no key or paste from
//! the operator, the app forgets everything the vault gave it and shows the
//! unlock screen.
//!
//! One timer is out at a time. It is started for the whole idle time at
//! unlock; when it fires, the time since the last key decides: lock, or a
//! new timer for what is left. Keys only note the time, so typing costs no
//! timer, and an idle UI wakes once per idle time, not every few
//! milliseconds. Background work (renewals, redraws, news of other
//! processes) is not the operator and does not count.

use std::time::{Duration, Instant};

use super::{App, Connections, Flows, Pane, Phase};
use crate::tui::message::{Effect, Timer, VaultCommand};
use crate::tui::screens::unlock::UnlockScreen;

/// The idle clock and its one timer.
#[derive(Debug)]
pub struct AutoLock {
    /// When the operator last pressed a key or pasted.
    last_input: Instant,
    /// Numbers the timers: one from before a lock or an unlock is stale.
    generation: u64,
}

impl AutoLock {
    /// A clock whose last input is `now`.
    pub fn new(now: Instant) -> AutoLock {
        AutoLock {
            last_input: now,
            generation: 0,
        }
    }

    /// The vault is open: idle time counts from `now`; the timer for it.
    fn arm(&mut self, now: Instant, after: Duration) -> Effect {
        self.last_input = now;
        self.generation += 1;
        Effect::StartTimer(Timer::AutoLock(self.generation), after)
    }

    /// Any timer out is stale from now on.
    fn disarm(&mut self) {
        self.generation += 1;
    }

    /// The operator pressed a key or pasted at `now`.
    pub fn input(&mut self, now: Instant) {
        self.last_input = now;
    }
}

/// What a fired timer means.
#[derive(Debug, PartialEq, Eq)]
enum Due {
    /// From before the last lock or unlock.
    Stale,
    /// Idle for the whole time: lock.
    Lock,
    /// A key came meanwhile: look again when this much more has passed.
    Later(Duration),
}

impl AutoLock {
    fn due(&self, generation: u64, now: Instant, after: Duration) -> Due {
        if generation != self.generation {
            return Due::Stale;
        }
        let idle = now.saturating_duration_since(self.last_input);
        match after.checked_sub(idle) {
            Some(left) if !left.is_zero() => Due::Later(left),
            _ => Due::Lock,
        }
    }
}

impl App {
    /// The idle time after which the UI locks, if it does. Only a vault
    /// unlocked by a typed passphrase locks: one opened with a key file or
    /// on OpenBao would open again with no one typing anything, so a lock
    /// would protect nothing.
    fn lock_after(&self) -> Option<Duration> {
        self.timeouts.auto_lock.filter(|_| !self.key_file_unlock)
    }

    /// The vault just opened: the idle clock starts.
    pub(super) fn arm_auto_lock(&mut self) -> Option<Effect> {
        let after = self.lock_after()?;
        let now = self.instant();
        Some(self.auto_lock.arm(now, after))
    }

    /// The auto-lock timer of `generation` fired.
    pub(super) fn auto_lock_due(&mut self, generation: u64) -> Vec<Effect> {
        let (Some(after), Phase::Open) = (self.lock_after(), &self.phase) else {
            return Vec::new();
        };
        match self.auto_lock.due(generation, self.instant(), after) {
            Due::Stale => Vec::new(),
            Due::Later(left) => vec![Effect::StartTimer(Timer::AutoLock(generation), left)],
            Due::Lock => self.lock(after),
        }
    }

    /// Locks: everything the vault gave the app goes (connections, tokens,
    /// flows, screens with revealed values, run responses, a form being
    /// filled, the filter), the session lets go of the vault and its key,
    /// the refresher stops; the unlock screen says why.
    fn lock(&mut self, after: Duration) -> Vec<Effect> {
        // As the config file writes it: `15m`, `1h30m`.
        let idle = crate::config::timeouts::describe(Some(after));
        let note = self.locale.f("unlock.auto_locked", &[("after", &idle)]);
        self.lock_saying(note)
    }

    /// The unlock agent the vault was opened through forgot its key: the
    /// UI locks as when idle, and unlocking asks for the passphrase (a
    /// vault only a key file opens says so on the unlock screen).
    pub(super) fn agent_locked(&mut self) -> Vec<Effect> {
        if !matches!(self.phase, Phase::Open) {
            return Vec::new();
        }
        self.key_file_unlock = crate::vault::file_admin::opens_only_with_key_file(&self.vault_path);
        let note = self.locale.t("unlock.agent_locked").to_owned();
        self.lock_saying(note)
    }

    fn lock_saying(&mut self, note: String) -> Vec<Effect> {
        self.auto_lock.disarm();
        self.phase = Phase::Locked(UnlockScreen::locked(self.vault_path.clone(), note));
        self.overlays.clear();
        self.connections = Connections::default();
        self.flows = Flows::default();
        self.pane = Pane::Connections;
        self.first_page_of = None;
        // Run numbers go on, so a run finishing after the lock fills nothing.
        let runs = self.follow_ups.runs;
        self.follow_ups = super::FollowUps {
            runs,
            ..Default::default()
        };
        // A notice may name a connection.
        self.status.dismiss();
        self.status.set_warning(None);
        let mut effects = vec![Effect::StopRefresher, Effect::Vault(VaultCommand::Lock)];
        effects.extend(self.clipboard.clear());
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timer_locks_only_after_the_whole_idle_time_since_the_last_key() {
        let start = Instant::now();
        let after = Duration::from_secs(900);
        let mut lock = AutoLock::new(start);
        let Effect::StartTimer(Timer::AutoLock(generation), first) = lock.arm(start, after) else {
            panic!("arming starts the timer");
        };
        assert_eq!(first, after);
        lock.input(start + Duration::from_secs(600));
        assert_eq!(
            lock.due(generation, start + after, after),
            Due::Later(Duration::from_secs(600))
        );
        assert_eq!(
            lock.due(generation, start + Duration::from_secs(1500), after),
            Due::Lock
        );
        lock.disarm();
        assert_eq!(
            lock.due(generation, start + Duration::from_secs(9000), after),
            Due::Stale
        );
    }
}
