//! Panics of renewal work that the refresher catches and recovers from:
//! logged through `tracing`, never printed over the screen.
//!
//! The process's panic hook (color-eyre's report, ratatui's terminal
//! restore) runs before a panic unwinds to whoever catches it. For a panic
//! the refresher contains, that would restore the terminal under a UI that
//! keeps running and print a report over it. Work run through
//! [`Contained`] or [`contain`] marks its thread while it runs, and the hook
//! installed by [`install_panic_filter`] only logs such panics.

use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// How deep this thread is in contained work.
    static CONTAINED: Cell<u32> = const { Cell::new(0) };
}

/// Marks the thread for as long as it lives, unwinding included.
struct Mark;

impl Mark {
    fn new() -> Mark {
        CONTAINED.with(|c| c.set(c.get() + 1));
        Mark
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        CONTAINED.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Wraps the process's panic hook so that panics in contained work are
/// logged (where, never the message, which may hold a value) instead of
/// reported. Call it after every other hook is installed.
pub fn install_panic_filter() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        if CONTAINED.with(Cell::get) > 0 {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            tracing::error!(at, "a renewal panicked; it was stopped and will be retried");
        } else {
            previous(info);
        }
    }));
}

/// Runs `work`, catching a panic as `Err` (quietly, see the module doc).
pub fn contain<T>(work: impl FnOnce() -> T) -> std::thread::Result<T> {
    let _mark = Mark::new();
    std::panic::catch_unwind(AssertUnwindSafe(work))
}

/// A future whose polls are contained work: a panic while it runs is logged
/// by the filter, then reaches the task's owner as usual (a `JoinError`).
pub struct Contained<F>(Pin<Box<F>>);

impl<F: Future> Contained<F> {
    /// Contains `future`.
    pub fn new(future: F) -> Contained<F> {
        Contained(Box::pin(future))
    }
}

impl<F: Future> Future for Contained<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _mark = Mark::new();
        self.0.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contained_panic_is_caught_and_the_mark_is_cleared() {
        let caught = contain(|| -> u32 { panic!("boom") });
        assert!(caught.is_err());
        assert_eq!(CONTAINED.with(Cell::get), 0);
        assert_eq!(contain(|| 7).unwrap(), 7);
    }
}
