//! What can go wrong talking to OpenBao, each naming what failed and where.

/// An OpenBao failure; never carries a token, a secret id or a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenBaoError {
    #[error("OpenBao unreachable at {hosts}: {reason}")]
    Unreachable { hosts: String, reason: String },
    #[error("OpenBao at {host} is sealed; unseal it (`bao operator unseal`)")]
    Sealed { host: String },
    #[error(
        "OpenBao refused {path}: permission denied; the token's policy must allow it (see assets/openbao/flowvault-policy.hcl)"
    )]
    PermissionDenied { path: String },
    #[error("{path} was changed by someone else (check-and-set failed)")]
    CasConflict { path: String },
    #[error(
        "the transit engine is not mounted at transit/ ({path}); enable it with `bao secrets enable transit`"
    )]
    TransitNotMounted { path: String },
    #[error(
        "transit key \"{key}\" is missing ({path}); create it with `bao write -f transit/keys/{key}` or run `flowvault init`"
    )]
    TransitKeyMissing { key: String, path: String },
    #[error(
        "transit key \"{key}\" is missing and this token may not create it ({path} is denied); ask an administrator to run `bao write -f {path}`, or allow \"create\" on {path} in the policy"
    )]
    TransitKeyCreateDenied { key: String, path: String },
    #[error(
        "no KV version 2 mount at {mount}/ ({path}); enable it with `bao secrets enable -path={mount} kv-v2`"
    )]
    KvNotMounted { mount: String, path: String },
    #[error("no flowvault vault at {location}; create one with `flowvault init`")]
    NotInitialised { location: String },
    #[error("a flowvault vault is already initialised at {location}; it was left untouched")]
    AlreadyInitialised { location: String },
    #[error(
        "no OpenBao token: set BAO_TOKEN or VAULT_TOKEN, log in with `bao login` (~/.vault-token), or give --bao-role-id and --bao-secret-id-file"
    )]
    NoToken,
    #[error("OpenBao answered {status} to {path}: {message}")]
    Http {
        status: u16,
        path: String,
        message: String,
    },
    #[error("OpenBao's answer to {path} is not what flowvault expects: {what}")]
    Malformed { path: String, what: String },
}
