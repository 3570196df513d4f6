//! Where a vault lives: a file path, or an OpenBao cluster's KV mount and
//! prefix, parsed from `--vault` / `FLOWVAULT_VAULT`.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// OpenBao's default API port.
pub const DEFAULT_OPENBAO_PORT: u16 = 8200;

const TLS_SCHEME: &str = "openbao://";
const PLAIN_SCHEME: &str = "openbao+http://";

/// A vault's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultLocation {
    /// A vault file on this machine (the default).
    File(PathBuf),
    /// A KV v2 mount and prefix on an OpenBao cluster.
    OpenBao(OpenBaoLocation),
}

/// An OpenBao vault: the cluster's nodes, tried in order, and where the
/// records live in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBaoLocation {
    /// Host names or IP addresses (IPv6 without brackets) with their ports.
    pub hosts: Vec<(String, u16)>,
    /// HTTPS; false only for loopback hosts (`openbao+http://`).
    pub tls: bool,
    /// The KV v2 mount: one path segment.
    pub mount: String,
    /// The records' prefix inside the mount: one or more segments.
    pub prefix: String,
}

/// Why a vault location is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error(
        "unknown vault scheme in \"{0}\"; use openbao://HOST[:PORT]/MOUNT/PREFIX or a file path"
    )]
    UnknownScheme(String),
    #[error("\"{0}\" names no OpenBao host; use openbao://HOST[:PORT]/MOUNT/PREFIX")]
    NoHost(String),
    #[error("\"{host}\" in \"{url}\" is not a valid host[:port]")]
    BadHost { url: String, host: String },
    #[error(
        "openbao+http:// sends the vault's traffic in clear; it is accepted only for loopback hosts, and {host} is not one; use openbao://"
    )]
    PlainNotLoopback { host: String },
    #[error("\"{0}\" needs a mount and a prefix: openbao://HOST[:PORT]/MOUNT/PREFIX")]
    MissingPath(String),
    #[error("\"{0}\" has an empty, \".\" or \"..\" path segment")]
    BadSegment(String),
    #[error("\"{0}\" has a query or fragment; an OpenBao vault location has neither")]
    QueryOrFragment(String),
}

impl VaultLocation {
    /// Parses a location: anything starting with `openbao` is an OpenBao URL,
    /// everything else a file path.
    pub fn parse(text: &str) -> Result<VaultLocation, LocationError> {
        if !text.starts_with("openbao") {
            return Ok(VaultLocation::File(PathBuf::from(text)));
        }
        let (rest, tls) = if let Some(rest) = text.strip_prefix(TLS_SCHEME) {
            (rest, true)
        } else if let Some(rest) = text.strip_prefix(PLAIN_SCHEME) {
            (rest, false)
        } else {
            return Err(LocationError::UnknownScheme(text.to_owned()));
        };
        if rest.contains(['?', '#']) {
            return Err(LocationError::QueryOrFragment(text.to_owned()));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() {
            return Err(LocationError::NoHost(text.to_owned()));
        }
        let hosts = authority
            .split(',')
            .map(|h| {
                parse_host(h).ok_or_else(|| LocationError::BadHost {
                    url: text.to_owned(),
                    host: h.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !tls && let Some((host, _)) = hosts.iter().find(|(h, _)| !is_loopback(h)) {
            return Err(LocationError::PlainNotLoopback { host: host.clone() });
        }
        // A trailing slash is harmless; any other empty segment is a typo.
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        if segments
            .iter()
            .any(|s| s.is_empty() || *s == "." || *s == "..")
        {
            return Err(if segments.len() < 2 || path.is_empty() {
                LocationError::MissingPath(text.to_owned())
            } else {
                LocationError::BadSegment(text.to_owned())
            });
        }
        if segments.len() < 2 {
            return Err(LocationError::MissingPath(text.to_owned()));
        }
        Ok(VaultLocation::OpenBao(OpenBaoLocation {
            hosts,
            tls,
            mount: segments[0].to_owned(),
            prefix: segments[1..].join("/"),
        }))
    }
}

impl fmt::Display for VaultLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VaultLocation::File(path) => write!(f, "{}", path.display()),
            VaultLocation::OpenBao(loc) => loc.fmt(f),
        }
    }
}

impl fmt::Display for OpenBaoLocation {
    /// The canonical URL: every port spelled out, no trailing slash.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.tls { TLS_SCHEME } else { PLAIN_SCHEME })?;
        for (i, (host, port)) in self.hosts.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if host.contains(':') {
                write!(f, "[{host}]:{port}")?;
            } else {
                write!(f, "{host}:{port}")?;
            }
        }
        write!(f, "/{}/{}", self.mount, self.prefix)
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; `None` if malformed.
fn parse_host(text: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (v6, port)
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    let valid_name = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == ':');
    if !valid_name {
        return None;
    }
    let port = match port {
        None => DEFAULT_OPENBAO_PORT,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bao(text: &str) -> OpenBaoLocation {
        match VaultLocation::parse(text).unwrap() {
            VaultLocation::OpenBao(loc) => loc,
            other => panic!("{text} parsed as {other:?}"),
        }
    }

    fn refused(text: &str) -> String {
        VaultLocation::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_path_is_a_file() {
        for text in ["vault.db", "/var/lib/fv/vault.db", "./openbao.db", ""] {
            assert_eq!(
                VaultLocation::parse(text).unwrap(),
                VaultLocation::File(PathBuf::from(text))
            );
        }
    }

    #[test]
    fn tls_url_with_default_port_and_deep_prefix() {
        let loc = bao("openbao://bao.example.com/secret/teams/ops/flowvault");
        assert_eq!(loc.hosts, vec![("bao.example.com".to_owned(), 8200)]);
        assert!(loc.tls);
        assert_eq!(loc.mount, "secret");
        assert_eq!(loc.prefix, "teams/ops/flowvault");
        assert_eq!(
            loc.to_string(),
            "openbao://bao.example.com:8200/secret/teams/ops/flowvault"
        );
    }

    #[test]
    fn several_hosts_keep_their_order_and_ports() {
        let loc = bao("openbao://a.example:8201,b.example,[2001:db8::1]:9000/kv/fv/");
        assert_eq!(
            loc.hosts,
            vec![
                ("a.example".to_owned(), 8201),
                ("b.example".to_owned(), 8200),
                ("2001:db8::1".to_owned(), 9000),
            ]
        );
        assert_eq!(
            loc.to_string(),
            "openbao://a.example:8201,b.example:8200,[2001:db8::1]:9000/kv/fv"
        );
        // The canonical form parses back to the same location.
        assert_eq!(bao(&loc.to_string()), loc);
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for text in [
            "openbao+http://127.0.0.1:8300/secret/fv",
            "openbao+http://127.5.6.7/secret/fv",
            "openbao+http://localhost:1234,[::1]:1235/secret/fv",
        ] {
            assert!(!bao(text).tls, "{text}");
        }
        assert_eq!(
            refused("openbao+http://127.0.0.1,bao.example.com/secret/fv"),
            "openbao+http:// sends the vault's traffic in clear; it is accepted only for \
             loopback hosts, and bao.example.com is not one; use openbao://"
        );
        assert!(refused("openbao+http://10.0.0.1/secret/fv").contains("10.0.0.1 is not one"));
    }

    #[test]
    fn malformed_urls_are_refused_with_the_reason() {
        assert_eq!(
            refused("openbao+https://h/secret/fv"),
            "unknown vault scheme in \"openbao+https://h/secret/fv\"; use \
             openbao://HOST[:PORT]/MOUNT/PREFIX or a file path"
        );
        assert_eq!(
            refused("openbao:///secret/fv"),
            "\"openbao:///secret/fv\" names no OpenBao host; use openbao://HOST[:PORT]/MOUNT/PREFIX"
        );
        assert_eq!(
            refused("openbao://h:99999/secret/fv"),
            "\"h:99999\" in \"openbao://h:99999/secret/fv\" is not a valid host[:port]"
        );
        assert!(refused("openbao://h:0/secret/fv").contains("not a valid host"));
        assert!(refused("openbao://a,,b/secret/fv").contains("\"\" in"));
        assert!(refused("openbao://us%65r@h/secret/fv").contains("not a valid host"));
        assert_eq!(
            refused("openbao://h/secret"),
            "\"openbao://h/secret\" needs a mount and a prefix: openbao://HOST[:PORT]/MOUNT/PREFIX"
        );
        assert!(refused("openbao://h").contains("needs a mount and a prefix"));
        assert!(refused("openbao://h/").contains("needs a mount and a prefix"));
        assert_eq!(
            refused("openbao://h/secret/../other"),
            "\"openbao://h/secret/../other\" has an empty, \".\" or \"..\" path segment"
        );
        assert!(refused("openbao://h/secret//fv").contains("empty"));
        assert!(refused("openbao://h//fv").contains("empty"));
        assert!(refused("openbao://h/secret/fv?x=1").contains("query or fragment"));
    }
}
