//! Why a connection is in its state, as an untranslated code for scripts:
//! the `detail` column of `list --format tsv` and `detail_code` in JSON.

use crate::catalog::AuthKind;
use crate::vault::status::{Assessment, Detail};

use super::output::rfc3339;

/// The machine form of an assessment's detail, the same in every language:
///
/// | code | when |
/// |---|---|
/// | `missing:KEY,KEY` | required fields are missing |
/// | `no_token` | complete, no token fetched yet |
/// | `token_expired` | the last token expired, no renewal failed |
/// | `expires:TIME` / `no_expiry` | a valid token (TIME in RFC 3339) |
/// | `…;renewal_failed:REASON` | a valid token whose last renewal failed |
/// | `renewing` / `fetching` | a renewal or the first fetch is in flight |
/// | `renewal_failed:REASON` | no valid token, the last renewal failed |
/// | `needs_credentials:REASON` | the server refused the credentials |
/// | `static:KIND` | static credentials (`bearer`, `api_key`, `basic`…) |
/// | `unknown_service:SERVICE/METHOD` | not in this version's catalog |
/// | `integrity_failed` | a sealed value failed its integrity check |
///
/// REASON is the server's short answer (`invalid_client`, `HTTP 500`).
pub fn detail_code(assessment: &Assessment) -> String {
    match &assessment.detail {
        Detail::Missing(_) => format!("missing:{}", assessment.missing.join(",")),
        Detail::NoTokenYet => "no_token".to_owned(),
        Detail::TokenExpired => "token_expired".to_owned(),
        Detail::TokenValid {
            expires_at,
            renewal_failed,
        } => {
            let validity = match expires_at {
                Some(at) => format!("expires:{}", rfc3339(*at)),
                None => "no_expiry".to_owned(),
            };
            match renewal_failed {
                Some(reason) => format!("{validity};renewal_failed:{reason}"),
                None => validity,
            }
        }
        Detail::Renewing => "renewing".to_owned(),
        Detail::Fetching => "fetching".to_owned(),
        Detail::RenewalFailed {
            reason,
            needs_new_credentials: true,
        } => format!("needs_credentials:{reason}"),
        Detail::RenewalFailed { reason, .. } => format!("renewal_failed:{reason}"),
        Detail::Static(kind) => format!("static:{}", auth_kind(*kind)),
        Detail::UnknownService(what) => format!("unknown_service:{what}"),
        Detail::IntegrityFailed => "integrity_failed".to_owned(),
    }
}

/// The catalog's own word for a kind of authentication.
fn auth_kind(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::ClientCredentials => "client_credentials",
        AuthKind::RefreshToken => "refresh_token",
        AuthKind::Bearer => "bearer",
        AuthKind::ApiKey => "api_key",
        AuthKind::Basic => "basic",
        AuthKind::Webhook => "webhook",
        AuthKind::StaticKey => "static_key",
        AuthKind::KeyPair => "key_pair",
        AuthKind::JwtLocal => "jwt_local",
        AuthKind::ServiceAccount => "service_account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::status::Status;
    use time::macros::datetime;

    fn assessed(detail: Detail, missing: &[&str]) -> Assessment {
        Assessment {
            status: Status::Ready,
            missing: missing.iter().map(|s| (*s).to_owned()).collect(),
            detail,
            expires_at: None,
        }
    }

    #[test]
    fn codes_name_keys_and_times_not_words() {
        let missing = assessed(
            Detail::Missing(vec!["Client ID".into(), "Client Secret".into()]),
            &["client_id", "client_secret"],
        );
        assert_eq!(detail_code(&missing), "missing:client_id,client_secret");
        let valid = assessed(
            Detail::TokenValid {
                expires_at: Some(datetime!(2026-12-02 13:00 UTC)),
                renewal_failed: Some("HTTP 500".into()),
            },
            &[],
        );
        assert_eq!(
            detail_code(&valid),
            "expires:2026-12-02T13:00:00Z;renewal_failed:HTTP 500"
        );
        let refused = assessed(
            Detail::RenewalFailed {
                reason: "invalid_client".into(),
                needs_new_credentials: true,
            },
            &[],
        );
        assert_eq!(detail_code(&refused), "needs_credentials:invalid_client");
        assert_eq!(
            detail_code(&assessed(Detail::Static(AuthKind::ApiKey), &[])),
            "static:api_key"
        );
    }
}
