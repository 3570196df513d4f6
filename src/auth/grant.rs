//! Which OAuth grant renews a connection's token, built from its fields.

use std::fmt;

use url::Url;

use crate::catalog::{AuthKind, Catalog, Method, domain_url, is_loopback_http};
use crate::vault::{Connection, SecretValue};

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP basic auth, as RFC 6749 prefers.
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Body,
}

/// A token request, ready to send.
#[derive(Clone)]
pub enum Grant {
    ClientCredentials {
        token_url: Url,
        client_id: String,
        client_secret: SecretValue,
        audience: Option<String>,
        scope: Option<String>,
        auth: ClientAuth,
    },
    RefreshToken {
        token_url: Url,
        client_id: String,
        client_secret: SecretValue,
        refresh_token: SecretValue,
    },
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the endpoint: every other part is a credential or close to one.
        write!(f, "Grant({})", self.token_url())
    }
}

/// Why no grant could be built for a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantSetupError {
    #[error("this connection has no token: it uses static credentials")]
    NoToken,
    #[error("unknown service {0}")]
    UnknownService(String),
    #[error("required credentials are missing: {0}")]
    Missing(String),
    #[error("the token endpoint is not a valid URL")]
    BadUrl,
    #[error("the token endpoint must use https:// (http:// only for 127.0.0.1 or localhost)")]
    Insecure,
}

impl Grant {
    /// The endpoint the request goes to.
    pub fn token_url(&self) -> &Url {
        match self {
            Grant::ClientCredentials { token_url, .. } | Grant::RefreshToken { token_url, .. } => {
                token_url
            }
        }
    }

    /// The grant that renews `connection`'s token.
    pub fn for_connection(connection: &Connection) -> Result<Grant, GrantSetupError> {
        let service = Catalog::embedded()
            .service(&connection.service)
            .ok_or_else(|| GrantSetupError::UnknownService(connection.service.clone()))?;
        let method = service.method(&connection.method).ok_or_else(|| {
            GrantSetupError::UnknownService(format!("{}/{}", service.id, connection.method))
        })?;
        let value = |key: &str| field(connection, method, key);
        let required =
            |key: &str| value(key).ok_or_else(|| GrantSetupError::Missing(key.to_owned()));
        match method.auth {
            AuthKind::ClientCredentials if service.id == "auth0" => {
                let domain = required("domain")?;
                Ok(Grant::ClientCredentials {
                    token_url: endpoint(&format!("{}/oauth/token", domain_url(&domain)))?,
                    client_id: required("client_id")?,
                    client_secret: SecretValue::new(required("client_secret")?),
                    audience: value("audience"),
                    scope: None,
                    auth: ClientAuth::Body,
                })
            }
            AuthKind::ClientCredentials => Ok(Grant::ClientCredentials {
                token_url: endpoint(&required("token_url")?)?,
                client_id: required("client_id")?,
                client_secret: SecretValue::new(required("client_secret")?),
                audience: value("audience"),
                scope: value("scope"),
                auth: match value("client_auth").as_deref() {
                    Some("body") => ClientAuth::Body,
                    _ => ClientAuth::Basic,
                },
            }),
            AuthKind::RefreshToken => Ok(Grant::RefreshToken {
                token_url: endpoint(&required("token_url")?)?,
                client_id: required("client_id")?,
                client_secret: SecretValue::new(required("client_secret")?),
                refresh_token: SecretValue::new(required("refresh_token")?),
            }),
            _ => Err(GrantSetupError::NoToken),
        }
    }
}

/// A field's value, or its default (with `{domain_url}` filled in).
fn field(connection: &Connection, method: &Method, key: &str) -> Option<String> {
    connection.fields.get(key).map(str::to_owned).or_else(|| {
        method
            .field(key)?
            .default_for(connection.fields.get("domain"))
    })
}

fn endpoint(text: &str) -> Result<Url, GrantSetupError> {
    let url = Url::parse(text.trim()).map_err(|_| GrantSetupError::BadUrl)?;
    if url.scheme() == "https" || is_loopback_http(&url) {
        Ok(url)
    } else {
        Err(GrantSetupError::Insecure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Credentials;

    fn auth0(domain: &str) -> Connection {
        let mut fields = Credentials::default();
        fields.set("domain", domain);
        fields.set("client_id", "abc");
        fields.set("client_secret", "s3cret");
        Connection::new("m", "auth0", "client_credentials", fields)
    }

    #[test]
    fn auth0_posts_to_the_tenant_with_the_default_audience() {
        let Grant::ClientCredentials {
            token_url,
            audience,
            auth,
            ..
        } = Grant::for_connection(&auth0("t.eu.auth0.com")).unwrap()
        else {
            panic!("client credentials expected")
        };
        assert_eq!(token_url.as_str(), "https://t.eu.auth0.com/oauth/token");
        assert_eq!(audience.as_deref(), Some("https://t.eu.auth0.com/api/v2/"));
        assert_eq!(auth, ClientAuth::Body);
    }

    #[test]
    fn loopback_http_is_allowed_for_tests_only() {
        let grant = Grant::for_connection(&auth0("http://127.0.0.1:8080")).unwrap();
        assert_eq!(
            grant.token_url().as_str(),
            "http://127.0.0.1:8080/oauth/token"
        );
        let mut fields = Credentials::default();
        fields.set("token_url", "http://example.com/token");
        fields.set("client_id", "a");
        fields.set("client_secret", "b");
        let http = Connection::new("h", "http", "oauth2", fields);
        assert_eq!(
            Grant::for_connection(&http).err(),
            Some(GrantSetupError::Insecure)
        );
    }

    #[test]
    fn debug_shows_only_the_endpoint() {
        let debug = format!(
            "{:?}",
            Grant::for_connection(&auth0("t.auth0.com")).unwrap()
        );
        assert!(
            !debug.contains("s3cret") && !debug.contains("abc"),
            "{debug}"
        );
    }
}
