# The least a flowvault user of an OpenBao vault needs.
#
# Written for the vault openbao://HOST/secret/flowvault and the transit key
# "flowvault": replace `secret` (the KV v2 mount), `flowvault/` (the prefix)
# and `transit/*/flowvault` (the key name) to match yours, then:
#   bao policy write flowvault flowvault-policy.hcl
#
# `flowvault init` also creates the transit key when the policy allows
# `create` on transit/keys/flowvault; with this policy an administrator
# creates it once: `bao write -f transit/keys/flowvault`.

# Records, sealed client-side: read, write with check-and-set, list, delete.
path "secret/data/flowvault/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/flowvault/*" {
  capabilities = ["read", "list", "delete"]
}

# The data key: made once by `init`, unwrapped by every `open`.
path "transit/datakey/plaintext/flowvault" {
  capabilities = ["update"]
}
path "transit/decrypt/flowvault" {
  capabilities = ["update"]
}
path "transit/encrypt/flowvault" {
  capabilities = ["update"]
}
path "transit/keys/flowvault" {
  capabilities = ["read"]
}

# The session's own token: who it is (for the audit trail) and keeping it alive.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
