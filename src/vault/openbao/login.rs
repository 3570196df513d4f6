//! How flowvault logs in to OpenBao: a token (BAO_TOKEN, VAULT_TOKEN, then
//! the token helper file ~/.vault-token) or AppRole (role id + secret id file).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use zeroize::Zeroizing;

use super::error::OpenBaoError;
use super::http::{Http, Renewal, Request};
use super::kv::checked;
use crate::vault::error::VaultError;

/// Longest token or secret id file read.
const MAX_SECRET_FILE_LEN: u64 = 4096;

/// Credentials to log in with; never printed.
pub enum BaoLogin {
    Token(Zeroizing<String>),
    AppRole {
        role_id: String,
        secret_id: Zeroizing<String>,
    },
}

impl fmt::Debug for BaoLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaoLogin::Token(_) => f.write_str("Token([REDACTED])"),
            BaoLogin::AppRole { role_id, .. } => {
                write!(
                    f,
                    "AppRole {{ role_id: {role_id:?}, secret_id: [REDACTED] }}"
                )
            }
        }
    }
}

/// Who the session is, for the audit trail, and how its token lives.
pub struct Session {
    pub actor: String,
}

impl BaoLogin {
    /// Logs in with this token.
    pub fn token(token: String) -> BaoLogin {
        BaoLogin::Token(Zeroizing::new(token))
    }

    /// AppRole when a role id is given (its secret id read from a private
    /// file, checked like a key file); else BAO_TOKEN, VAULT_TOKEN, then ~/.vault-token.
    pub fn from_env_and_args(
        role_id: Option<String>,
        secret_id_file: Option<PathBuf>,
    ) -> Result<BaoLogin, VaultError> {
        if let Some(role_id) = role_id {
            let path = secret_id_file.ok_or(OpenBaoError::Malformed {
                path: "auth/approle/login".into(),
                what: "--bao-role-id needs --bao-secret-id-file".into(),
            })?;
            return Ok(BaoLogin::AppRole {
                role_id,
                secret_id: read_secret_file(&path, "cannot read the OpenBao secret id file")?,
            });
        }
        for var in ["BAO_TOKEN", "VAULT_TOKEN"] {
            if let Some(token) = std::env::var_os(var).and_then(|v| v.into_string().ok())
                && !token.trim().is_empty()
            {
                return Ok(BaoLogin::Token(Zeroizing::new(token.trim().to_owned())));
            }
        }
        let helper = directories::BaseDirs::new().map(|d| d.home_dir().join(".vault-token"));
        match helper {
            Some(path) if path.exists() => Ok(BaoLogin::Token(read_secret_file(
                &path,
                "cannot read the OpenBao token file",
            )?)),
            _ => Err(OpenBaoError::NoToken.into()),
        }
    }

    /// Logs in (AppRole) or checks the token, installs it in `http`, and
    /// says who it is.
    pub(super) fn start(&self, http: &Http) -> Result<Session, VaultError> {
        let token = match self {
            BaoLogin::Token(token) => token.clone(),
            BaoLogin::AppRole { role_id, secret_id } => {
                let path = "auth/approle/login".to_owned();
                let body = json!({ "role_id": role_id, "secret_id": secret_id.as_str() });
                let answer = checked(&path, http.call(Request::post(path.clone(), body))?)?;
                let token = answer["auth"]["client_token"].as_str().ok_or_else(|| {
                    OpenBaoError::Malformed {
                        path: path.clone(),
                        what: "no client_token".into(),
                    }
                })?;
                Zeroizing::new(token.to_owned())
            }
        };
        http.set_token(token.clone(), None);
        let path = "auth/token/lookup-self".to_owned();
        let me = checked(&path, http.call(Request::get(path.clone()))?)?;
        let data = &me["data"];
        let ttl = data["ttl"].as_u64().unwrap_or(0);
        if data["renewable"].as_bool() == Some(true) && ttl > 0 {
            // Re-sent so the worker renews it from now on.
            http.set_token(
                token,
                Some(Renewal {
                    ttl: Duration::from_secs(ttl),
                    since: Instant::now(),
                }),
            );
        }
        let actor = data["entity_id"]
            .as_str()
            .filter(|e| !e.is_empty())
            .map(|e| format!("{} ({e})", data["display_name"].as_str().unwrap_or("token")))
            .or_else(|| data["display_name"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "openbao token".to_owned());
        Ok(Session { actor })
    }
}

fn read_secret_file(path: &Path, context: &'static str) -> Result<Zeroizing<String>, VaultError> {
    let bytes = crate::vault::file::read_private_file(path, MAX_SECRET_FILE_LEN, context)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::Io {
        context,
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
    })?;
    Ok(Zeroizing::new(text.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_never_prints_its_secrets() {
        let token = BaoLogin::token("s.very-secret-token".into());
        assert!(!format!("{token:?}").contains("very-secret"));
        let approle = BaoLogin::AppRole {
            role_id: "role".into(),
            secret_id: Zeroizing::new("secret-id-value".into()),
        };
        let shown = format!("{approle:?}");
        assert!(shown.contains("role") && !shown.contains("secret-id-value"));
    }
}
