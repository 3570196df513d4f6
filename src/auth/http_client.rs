//! The process's one HTTP client, for token endpoints and services alike,
//! built on first use and off the thread that asks for it.
//!
//! Building a client loads the system's certificate store (~40 ms). The UI
//! must not pay that before its first frame, nor on its own thread (flow runs
//! share the UI's current-thread runtime): so a handle is free to make, and
//! the first request builds the client on a blocking-pool thread.
//!
//! One client serves every runtime in the process (the UI's, the
//! refresher's, a command's). That is safe here because each runtime that
//! sends through it is driven for as long as it lives, and a runtime that is
//! dropped closes its pooled connections, which the pool then skips.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::OnceCell;

use super::client::{CONNECT_TIMEOUT, TOTAL_TIMEOUT};

/// The client with the standard timeouts, shared by the whole process.
static SHARED: OnceCell<reqwest::Client> = OnceCell::const_new();

/// Clients this process has built, shared or not.
static BUILT: AtomicUsize = AtomicUsize::new(0);

/// A handle on an HTTP client that is built the first time it sends.
/// Cloning a handle shares its client.
#[derive(Debug, Clone)]
pub struct HttpClient {
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    /// The process-wide client, with the standard timeouts.
    Shared,
    /// A client of its own: the connect timeout is a client's setting, so
    /// other timeouts (tests use short ones) need another client.
    Own {
        connect: Duration,
        total: Duration,
        cell: Arc<OnceCell<reqwest::Client>>,
    },
}

impl HttpClient {
    /// The process-wide client (10 s to connect, 30 s in all); builds nothing yet.
    pub fn shared() -> HttpClient {
        HttpClient {
            source: Source::Shared,
        }
    }

    /// A client with other timeouts, its own unless they are the standard
    /// ones; builds nothing yet.
    pub fn with_timeouts(connect: Duration, total: Duration) -> HttpClient {
        if (connect, total) == (CONNECT_TIMEOUT, TOTAL_TIMEOUT) {
            return HttpClient::shared();
        }
        HttpClient {
            source: Source::Own {
                connect,
                total,
                cell: Arc::default(),
            },
        }
    }

    /// The client, built first (on a blocking-pool thread) if this is its
    /// first use. Needs a tokio runtime.
    pub async fn get(&self) -> &reqwest::Client {
        match &self.source {
            Source::Shared => built(&SHARED, CONNECT_TIMEOUT, TOTAL_TIMEOUT).await,
            Source::Own {
                connect,
                total,
                cell,
            } => built(cell, *connect, *total).await,
        }
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::shared()
    }
}

/// Whether the process-wide client has been built yet (tests check that the
/// UI's first frame does not wait for it).
pub fn shared_is_built() -> bool {
    SHARED.initialized()
}

/// How many clients this process has built (tests check the shared one is
/// built once, however many handles and runtimes use it).
pub fn clients_built() -> usize {
    BUILT.load(Ordering::Relaxed)
}

async fn built(
    cell: &OnceCell<reqwest::Client>,
    connect: Duration,
    total: Duration,
) -> &reqwest::Client {
    cell.get_or_init(|| async move {
        // Loading certificates blocks: on a current-thread runtime (the
        // UI's) it would hold up every key and frame meanwhile.
        match tokio::task::spawn_blocking(move || build(connect, total)).await {
            Ok(client) => client,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // The runtime is shutting down: no pool thread to ask.
                Err(_) => build(connect, total),
            },
        }
    })
    .await
}

fn build(connect: Duration, total: Duration) -> reqwest::Client {
    BUILT.fetch_add(1, Ordering::Relaxed);
    crate::tls::install_provider();
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        // A redirect would carry a client secret, API-key headers or a
        // secret body to whatever host it names: redirects are shown, not
        // followed.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("flowvault/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with rustls and fixed options builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    #[test]
    fn a_handle_builds_nothing_until_it_is_used() {
        let own = HttpClient::with_timeouts(Duration::from_secs(1), Duration::from_secs(2));
        let Source::Own { cell, .. } = &own.source else {
            panic!("other timeouts get a client of their own");
        };
        assert!(!cell.initialized());
        runtime().block_on(own.get());
        assert!(cell.initialized());
    }

    #[test]
    fn clones_and_runtimes_share_one_client() {
        let own = HttpClient::with_timeouts(Duration::from_secs(1), Duration::from_secs(2));
        let copy = own.clone();
        let first: *const reqwest::Client = runtime().block_on(own.get());
        let second: *const reqwest::Client = runtime().block_on(copy.get());
        assert_eq!(first, second);
    }

    #[test]
    fn the_standard_timeouts_are_the_shared_client() {
        let standard = HttpClient::with_timeouts(CONNECT_TIMEOUT, TOTAL_TIMEOUT);
        assert!(matches!(standard.source, Source::Shared));
    }
}
