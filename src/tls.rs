//! The TLS crypto provider every HTTP client of the process uses.

use std::sync::Once;

/// Installs ring as rustls's process-wide provider, once, before a client is built.
///
/// reqwest is built without a provider of its own (its default, aws-lc-rs,
/// compiles all of AWS-LC in C); it takes the installed one.
pub fn install_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err means another provider was installed first: it serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_client_builds_on_the_installed_provider() {
        install_provider();
        install_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        // reqwest panics at build time when no provider is installed.
        reqwest::Client::builder()
            .https_only(true)
            .build()
            .expect("a TLS client builds");
    }
}
