//! What an error response from a service means, in words the operator can act on.

use serde_json::Value;

/// A known kind of failure, read from a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Auth0: the token lacks a scope the call needs.
    InsufficientScope { message: String },
    /// The service refused the credentials or the token (401).
    Unauthorized { message: Option<String> },
    /// Twilio's numbered errors ("20003 Authenticate").
    Twilio { code: i64, message: String },
    /// Any other error status.
    Http {
        status: u16,
        message: Option<String>,
    },
}

/// Reads an error response; `None` for a success.
pub fn explain(status: u16, body: &[u8]) -> Option<Problem> {
    if status < 400 {
        return None;
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    if json.get("errorCode").and_then(Value::as_str) == Some("insufficient_scope") {
        return Some(Problem::InsufficientScope {
            message: text("message").unwrap_or_default(),
        });
    }
    if let (Some(code), Some(message)) = (json.get("code").and_then(Value::as_i64), text("message"))
        && (json.get("more_info").is_some() || (20_000..100_000).contains(&code))
    {
        return Some(Problem::Twilio { code, message });
    }
    let message = text("message")
        .or_else(|| text("error_description"))
        .or_else(|| text("error"));
    if status == 401 {
        return Some(Problem::Unauthorized { message });
    }
    Some(Problem::Http { status, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth0_insufficient_scope_is_recognised() {
        let body = br#"{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:users","errorCode":"insufficient_scope"}"#;
        assert_eq!(
            explain(403, body),
            Some(Problem::InsufficientScope {
                message: "Insufficient scope, expected any of: read:users".into()
            })
        );
    }

    #[test]
    fn twilio_codes_are_recognised() {
        let body = br#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#;
        assert_eq!(
            explain(401, body),
            Some(Problem::Twilio {
                code: 20003,
                message: "Authenticate".into()
            })
        );
    }

    #[test]
    fn other_errors_keep_their_status_and_message() {
        assert_eq!(
            explain(401, b"{}"),
            Some(Problem::Unauthorized { message: None })
        );
        assert_eq!(
            explain(404, br#"{"message":"User not found"}"#),
            Some(Problem::Http {
                status: 404,
                message: Some("User not found".into())
            })
        );
        assert_eq!(explain(200, b""), None);
    }
}
