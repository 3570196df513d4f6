//! JSON Web Tokens signed with a shared secret (HS256, HS384, HS512), done here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Sha256, Sha384, Sha512};
use time::OffsetDateTime;

/// Why a token was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a JWT (three base64url parts)")]
    Malformed,
    #[error("the claims are not a JSON object")]
    NotAnObject,
    #[error("the token uses {0}, the connection {1}")]
    WrongAlgorithm(String, String),
    #[error("unsupported algorithm {0}")]
    Unsupported(String),
    #[error("the signature does not match")]
    BadSignature,
    #[error("the token expired")]
    Expired,
    /// Its `nbf` (not before) is still ahead.
    #[error("the token is not valid yet")]
    NotYetValid,
}

fn mac(algorithm: &str, secret: &[u8], data: &[u8]) -> Result<Vec<u8>, JwtError> {
    fn run<M: Mac + hmac::digest::KeyInit>(secret: &[u8], data: &[u8]) -> Vec<u8> {
        keyed::<M>(secret, data).finalize().into_bytes().to_vec()
    }
    match algorithm {
        "HS256" => Ok(run::<Hmac<Sha256>>(secret, data)),
        "HS384" => Ok(run::<Hmac<Sha384>>(secret, data)),
        "HS512" => Ok(run::<Hmac<Sha512>>(secret, data)),
        other => Err(JwtError::Unsupported(other.to_owned())),
    }
}

/// Whether `signature` is the MAC of `data`, compared in constant time by
/// the `hmac` crate: the comparison must not tell how much of a forgery was right.
fn verify_mac(
    algorithm: &str,
    secret: &[u8],
    data: &[u8],
    signature: &[u8],
) -> Result<(), JwtError> {
    fn run<M: Mac + hmac::digest::KeyInit>(
        secret: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<(), JwtError> {
        keyed::<M>(secret, data)
            .verify_slice(signature)
            .map_err(|_| JwtError::BadSignature)
    }
    match algorithm {
        "HS256" => run::<Hmac<Sha256>>(secret, data, signature),
        "HS384" => run::<Hmac<Sha384>>(secret, data, signature),
        "HS512" => run::<Hmac<Sha512>>(secret, data, signature),
        other => Err(JwtError::Unsupported(other.to_owned())),
    }
}

/// A MAC keyed with `secret` that has read `data`.
fn keyed<M: Mac + hmac::digest::KeyInit>(secret: &[u8], data: &[u8]) -> M {
    let mut m = <M as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(data);
    m
}

/// Signs `claims` (a JSON object), adding `iat`, and `exp` when `expires_in` is given.
pub fn sign(
    algorithm: &str,
    secret: &[u8],
    claims: &str,
    expires_in: Option<i64>,
    now: OffsetDateTime,
) -> Result<String, JwtError> {
    let mut claims: serde_json::Map<String, Value> =
        serde_json::from_str(claims).map_err(|_| JwtError::NotAnObject)?;
    claims.entry("iat").or_insert(json!(now.unix_timestamp()));
    if let Some(seconds) = expires_in {
        claims.insert("exp".into(), json!(now.unix_timestamp() + seconds));
    }
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": algorithm, "typ": "JWT"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(algorithm, secret, signing_input.as_bytes())?);
    Ok(format!("{signing_input}.{signature}"))
}

/// The header and claims of a token, without checking its signature.
pub fn decode(token: &str) -> Result<(Value, Value), JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(h), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let part = |s: &str| -> Result<Value, JwtError> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
    };
    Ok((part(h)?, part(p)?))
}

/// The claims of a token whose signature matches, which has not expired and
/// whose `nbf` (not before), if any, has come.
pub fn verify(
    algorithm: &str,
    secret: &[u8],
    token: &str,
    now: OffsetDateTime,
) -> Result<Value, JwtError> {
    let (header, claims) = decode(token)?;
    let alg = header["alg"].as_str().unwrap_or_default();
    if alg != algorithm {
        return Err(JwtError::WrongAlgorithm(
            alg.to_owned(),
            algorithm.to_owned(),
        ));
    }
    let token = token.trim();
    let (signing_input, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed)?;
    verify_mac(algorithm, secret, signing_input.as_bytes(), &signature)?;
    // No leeway either side: a token is good from `nbf` until just before `exp`.
    let now = now.unix_timestamp();
    if claims["exp"].as_f64().is_some_and(|exp| exp <= now as f64) {
        return Err(JwtError::Expired);
    }
    if claims["nbf"].as_f64().is_some_and(|nbf| nbf > now as f64) {
        return Err(JwtError::NotYetValid);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_each_algorithm() {
        let now = OffsetDateTime::now_utc();
        for alg in ["HS256", "HS384", "HS512"] {
            let token = sign(alg, b"secret", r#"{"sub":"u1"}"#, Some(60), now).unwrap();
            let claims = verify(alg, b"secret", &token, now).unwrap();
            assert_eq!(claims["sub"], "u1");
            assert_eq!(
                verify(alg, b"other", &token, now),
                Err(JwtError::BadSignature)
            );
        }
    }

    #[test]
    fn a_known_hs256_token_verifies() {
        // jwt.io's example, signed with "your-256-bit-secret".
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let claims = verify(
            "HS256",
            b"your-256-bit-secret",
            token,
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        assert_eq!(claims["name"], "John Doe");
    }

    #[test]
    fn expired_and_malformed_tokens_are_refused() {
        let now = OffsetDateTime::now_utc();
        let token = sign("HS256", b"s", "{}", Some(-1), now).unwrap();
        assert_eq!(verify("HS256", b"s", &token, now), Err(JwtError::Expired));
        assert_eq!(decode("not-a-token"), Err(JwtError::Malformed));
        assert!(matches!(
            verify("HS512", b"s", &token, now),
            Err(JwtError::WrongAlgorithm(..))
        ));
    }

    #[test]
    fn a_token_is_refused_before_its_nbf_and_accepted_from_it() {
        let now = OffsetDateTime::now_utc();
        let at = now.unix_timestamp();
        let later = sign(
            "HS256",
            b"s",
            &format!(r#"{{"nbf":{}}}"#, at + 30),
            None,
            now,
        )
        .unwrap();
        assert_eq!(
            verify("HS256", b"s", &later, now),
            Err(JwtError::NotYetValid)
        );
        assert!(verify("HS256", b"s", &later, now + time::Duration::seconds(30)).is_ok());
        let fractional = sign("HS256", b"s", &format!(r#"{{"nbf":{}.5}}"#, at), None, now).unwrap();
        assert_eq!(
            verify(
                "HS256",
                b"s",
                &fractional,
                now.replace_nanosecond(0).unwrap()
            ),
            Err(JwtError::NotYetValid)
        );
    }

    #[test]
    fn a_tampered_signature_or_payload_is_refused() {
        let now = OffsetDateTime::now_utc();
        let token = sign("HS256", b"s", r#"{"sub":"u1"}"#, Some(60), now).unwrap();
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        // One bit changed in the last byte of the MAC.
        let mut mac = URL_SAFE_NO_PAD.decode(signature).unwrap();
        *mac.last_mut().unwrap() ^= 1;
        let flipped = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&mac));
        assert_eq!(
            verify("HS256", b"s", &flipped, now),
            Err(JwtError::BadSignature)
        );
        // A MAC cut short, or none at all.
        let short = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&mac[..16]));
        assert_eq!(
            verify("HS256", b"s", &short, now),
            Err(JwtError::BadSignature)
        );
        assert_eq!(
            verify("HS256", b"s", &format!("{signing_input}."), now),
            Err(JwtError::BadSignature)
        );
        // Claims rewritten under the original MAC.
        let (header, _) = signing_input.split_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin"}"#);
        let forged = format!("{header}.{forged_claims}.{signature}");
        assert_eq!(
            verify("HS256", b"s", &forged, now),
            Err(JwtError::BadSignature)
        );
    }
}
