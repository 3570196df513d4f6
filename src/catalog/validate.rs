//! Validation of field values against the catalog's rules.

use std::net::IpAddr;

use url::Url;

use super::service::{Field, Rule};

/// Why a field's value was refused; never carries the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{label} is required")]
    Required { label: String },
    #[error("{label} must be a host name such as tenant.eu.auth0.com")]
    NotAHost { label: String },
    #[error("{label} must be a URL")]
    NotAUrl { label: String },
    #[error("{label} must use https:// (http:// only for 127.0.0.1 or localhost)")]
    NotHttps { label: String },
    #[error("{label} must not hold a user name or password (user:password@)")]
    CredentialsInUrl { label: String },
    #[error("{label} must be an email address")]
    NotAnEmail { label: String },
    #[error("{label} must be a PEM private key (-----BEGIN PRIVATE KEY-----)")]
    NotPem { label: String },
    #[error("{label} must be one of: {choices}")]
    NotAChoice { label: String, choices: String },
    #[error("{label} must be valid JSON")]
    NotJson { label: String },
    #[error("{label} is longer than {max} characters")]
    TooLong { label: String, max: usize },
    #[error("{label} does not have the expected form{}", .example.as_ref().map(|e| format!(", such as {e}")).unwrap_or_default())]
    NoMatch {
        label: String,
        example: Option<String>,
    },
}

impl Field {
    /// Checks one value; a blank value is refused only when the field is required.
    pub fn validate(&self, value: &str) -> Result<(), FieldError> {
        let label = || self.label.clone();
        if value.trim().is_empty() {
            return if self.required {
                Err(FieldError::Required { label: label() })
            } else {
                Ok(())
            };
        }
        if let Some(max) = self.max_len
            && value.chars().count() > max
        {
            return Err(FieldError::TooLong {
                label: label(),
                max,
            });
        }
        let Some(rule) = &self.rule else {
            return Ok(());
        };
        match rule {
            Rule::Domain => check_domain(value, label),
            Rule::Url => check_url(value, label),
            Rule::Email => check_email(value).ok_or(FieldError::NotAnEmail { label: label() }),
            Rule::Pem => {
                let v = value.trim();
                let ok = v.starts_with("-----BEGIN ") && v.contains("PRIVATE KEY-----");
                ok.then_some(())
                    .ok_or(FieldError::NotPem { label: label() })
            }
            Rule::Json => serde_json::from_str::<serde_json::Value>(value)
                .map(|_| ())
                .map_err(|_| FieldError::NotJson { label: label() }),
            Rule::Choice(choices) => {
                choices
                    .iter()
                    .any(|c| c == value)
                    .then_some(())
                    .ok_or_else(|| FieldError::NotAChoice {
                        label: label(),
                        choices: choices.join(", "),
                    })
            }
            Rule::Pattern { regex, example } => {
                regex
                    .is_match(value)
                    .then_some(())
                    .ok_or_else(|| FieldError::NoMatch {
                        label: label(),
                        example: example.clone(),
                    })
            }
        }
    }

    /// The default with `{domain_url}` filled in from the connection's domain.
    pub fn default_for(&self, domain: Option<&str>) -> Option<String> {
        let default = self.default.as_deref()?;
        if !default.contains("{domain_url}") {
            return Some(default.to_owned());
        }
        let domain = domain.filter(|d| !d.trim().is_empty())?;
        Some(default.replace("{domain_url}", &domain_url(domain)))
    }
}

/// The base URL of a domain field: `https://` unless it already names a scheme.
pub fn domain_url(domain: &str) -> String {
    let domain = domain.trim().trim_end_matches('/');
    if domain.contains("://") {
        domain.to_owned()
    } else {
        format!("https://{domain}")
    }
}

/// Whether `url` is plain `http://` to a loopback host, the one exception to https.
pub fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        }
}

fn check_url(value: &str, label: impl Fn() -> String) -> Result<(), FieldError> {
    let url = Url::parse(value.trim()).map_err(|_| FieldError::NotAUrl { label: label() })?;
    if url.host().is_none() {
        return Err(FieldError::NotAUrl { label: label() });
    }
    refuse_credentials(&url, &label)?;
    if url.scheme() == "https" || is_loopback_http(&url) {
        Ok(())
    } else {
        Err(FieldError::NotHttps { label: label() })
    }
}

fn check_domain(value: &str, label: impl Fn() -> String) -> Result<(), FieldError> {
    let value = value.trim();
    let not_a_host = || FieldError::NotAHost { label: label() };
    if value.contains("://") {
        let url = Url::parse(value).map_err(|_| not_a_host())?;
        refuse_credentials(&url, &label)?;
        let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        let secure = url.scheme() == "https" || is_loopback_http(&url);
        return (bare && secure && url.host().is_some())
            .then_some(())
            .ok_or_else(not_a_host);
    }
    if value.contains('@') {
        // `user:pass@host` without a scheme: say why, rather than "not a host".
        return Err(FieldError::CredentialsInUrl { label: label() });
    }
    is_host_name(value).then_some(()).ok_or_else(not_a_host)
}

/// Credentials belong in their own (secret, masked) fields: a URL with
/// `user:password@` would be stored and shown as plain text, and sent to every
/// request built from it.
fn refuse_credentials(url: &Url, label: &impl Fn() -> String) -> Result<(), FieldError> {
    if url.username().is_empty() && url.password().is_none() {
        Ok(())
    } else {
        Err(FieldError::CredentialsInUrl { label: label() })
    }
}

fn is_host_name(host: &str) -> bool {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    host.len() <= 253 && host.contains('.') && host.split('.').all(label_ok)
}

fn check_email(value: &str) -> Option<()> {
    let (local, domain) = value.trim().split_once('@')?;
    let ok = !local.is_empty() && !local.contains(char::is_whitespace) && is_host_name(domain);
    ok.then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn field(service: &str, key: &str) -> Field {
        let s = Catalog::embedded().service(service).unwrap();
        s.methods.iter().find_map(|m| m.field(key)).unwrap().clone()
    }

    #[test]
    fn domains_are_host_names_or_loopback_urls() {
        let f = field("auth0", "domain");
        assert!(f.validate("tenant.eu.auth0.com").is_ok());
        assert!(f.validate("https://tenant.auth0.com").is_ok());
        assert!(f.validate("http://127.0.0.1:8080").is_ok());
        assert!(f.validate("http://localhost:9000").is_ok());
        for bad in [
            "not a domain",
            "tenant",
            "http://tenant.auth0.com",
            "-a.com",
            "a..b",
        ] {
            assert_eq!(
                f.validate(bad),
                Err(FieldError::NotAHost {
                    label: "Tenant Domain".into()
                }),
                "{bad}"
            );
        }
        assert_eq!(
            f.validate(""),
            Err(FieldError::Required {
                label: "Tenant Domain".into()
            })
        );
    }

    #[test]
    fn urls_must_be_https_unless_loopback() {
        let f = field("slack", "webhook_url");
        assert!(f.validate("https://hooks.slack.com/services/T/B/X").is_ok());
        assert!(f.validate("http://127.0.0.1:1234/hook").is_ok());
        assert!(matches!(
            f.validate("http://hooks.slack.com/x"),
            Err(FieldError::NotHttps { .. })
        ));
        assert!(matches!(
            f.validate("not a url"),
            Err(FieldError::NotAUrl { .. })
        ));
    }

    #[test]
    fn credentials_in_urls_are_refused_and_never_echoed() {
        let domain = field("auth0", "domain");
        let webhook = field("slack", "webhook_url");
        for (f, value) in [
            (&domain, "https://user:hunter2@tenant.auth0.com"),
            (&domain, "user:hunter2@tenant.auth0.com"),
            (&domain, "http://user@127.0.0.1:8080"),
            (&webhook, "https://user:hunter2@hooks.slack.com/services/x"),
            (&webhook, "https://:hunter2@hooks.slack.com/x"),
        ] {
            let err = f.validate(value).unwrap_err();
            assert!(
                matches!(err, FieldError::CredentialsInUrl { .. }),
                "{value}: {err:?}"
            );
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn twilio_sid_must_match_its_pattern() {
        let f = field("twilio", "account_sid");
        assert!(f.validate("AC0123456789abcdef0123456789abcdef").is_ok());
        assert!(matches!(
            f.validate("AC123"),
            Err(FieldError::NoMatch { .. })
        ));
        assert!(matches!(
            f.validate("xAC0123456789abcdef0123456789abcdef"),
            Err(FieldError::NoMatch { .. })
        ));
    }

    #[test]
    fn choices_and_emails() {
        assert!(field("jwt", "algorithm").validate("HS256").is_ok());
        assert!(matches!(
            field("jwt", "algorithm").validate("none"),
            Err(FieldError::NotAChoice { .. })
        ));
        assert!(
            field("bigquery", "client_email")
                .validate("svc@proj.iam.gserviceaccount.com")
                .is_ok()
        );
        assert!(field("bigquery", "client_email").validate("svc").is_err());
    }

    #[test]
    fn audience_default_follows_the_domain() {
        let f = field("auth0", "audience");
        assert_eq!(
            f.default_for(Some("t.auth0.com")).unwrap(),
            "https://t.auth0.com/api/v2/"
        );
        assert_eq!(
            f.default_for(Some("http://127.0.0.1:8080")).unwrap(),
            "http://127.0.0.1:8080/api/v2/"
        );
        assert_eq!(f.default_for(None), None);
    }
}
