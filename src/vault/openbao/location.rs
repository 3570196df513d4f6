//! Where an OpenBao vault lives (unified with `vault::location` at merge).

/// Nodes of one OpenBao cluster, and the KV v2 mount and prefix of the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBaoLocation {
    pub hosts: Vec<(String, u16)>,
    pub tls: bool,
    pub mount: String,
    pub prefix: String,
}

impl OpenBaoLocation {
    /// The location as a URL, for messages.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self.hosts.iter().map(|(h, p)| format!("{h}:{p}")).collect();
        let scheme = if self.tls { "openbao" } else { "openbao+http" };
        format!(
            "{scheme}://{}/{}/{}",
            hosts.join(","),
            self.mount,
            self.prefix
        )
    }
}
