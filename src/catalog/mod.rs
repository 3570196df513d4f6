//! Typed view of the service catalog embedded from `assets/services.toml`.

mod action;
mod service;
mod validate;

pub use action::{Action, ActionRun, AuthSpec, BodySpec, ConnectionNeed, LocalOp, RequestSpec};
pub use service::{AuthKind, Field, Method, Rule, Service};
pub use validate::{FieldError, domain_url, is_loopback_http};

use std::sync::OnceLock;

/// `assets/services.toml` and `assets/actions.toml` as JSON, made by
/// `build.rs`: serde_json reads them in a fraction of the time the TOML
/// parser takes, and every command that names a service reads them.
const SERVICES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/services.json"));
const ACTIONS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/actions.json"));

/// Every service a connection can be made for, in catalog order.
pub struct Catalog {
    services: Vec<Service>,
    /// The embedded catalog's are parsed on first use: most commands name
    /// a service and no action.
    actions: OnceLock<Vec<Action>>,
    /// Where those come from until then.
    actions_json: Option<&'static str>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("services", &self.services)
            .field("actions", &self.actions())
            .finish()
    }
}

/// Why the embedded catalog could not be read; only a test should ever see it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the compiled-in catalog does not parse: {0}")]
    Compiled(#[from] serde_json::Error),
    #[error("catalog is inconsistent: {0}")]
    Invalid(String),
}

impl Catalog {
    /// The catalog built into the binary, parsed once.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog {
            services: service::parse_services(SERVICES_JSON, Syntax::Json)
                .expect("embedded catalog is checked by tests"),
            actions: OnceLock::new(),
            actions_json: Some(ACTIONS_JSON),
        })
    }

    /// Parses and checks a catalog text.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        // With no actions' text, `actions` is empty.
        Catalog::parse_services_only(text, Syntax::Toml)
    }

    /// Parses services and the actions that use them.
    pub fn parse_with_actions(services: &str, actions: &str) -> Result<Catalog, CatalogError> {
        Catalog::read(services, actions, Syntax::Toml)
    }

    fn read(services: &str, actions: &str, syntax: Syntax) -> Result<Catalog, CatalogError> {
        let catalog = Catalog::parse_services_only(services, syntax)?;
        let parsed = action::parse_actions(actions, &catalog, syntax)?;
        let _ = catalog.actions.set(parsed);
        Ok(catalog)
    }

    fn parse_services_only(services: &str, syntax: Syntax) -> Result<Catalog, CatalogError> {
        Ok(Catalog {
            services: service::parse_services(services, syntax)?,
            actions: OnceLock::new(),
            actions_json: None,
        })
    }

    /// All flow actions, in catalog order.
    pub fn actions(&self) -> &[Action] {
        self.actions.get_or_init(|| match self.actions_json {
            Some(json) => action::parse_actions(json, self, Syntax::Json)
                .expect("embedded catalog is checked by tests"),
            None => Vec::new(),
        })
    }

    /// The action with this id.
    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions().iter().find(|a| a.id == id)
    }

    /// All services, in catalog order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The service with this id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }
}

/// How a catalog text is written: TOML as in `assets/`, or the JSON that
/// `build.rs` makes of it.
#[derive(Clone, Copy)]
enum Syntax {
    Toml,
    Json,
}

impl Syntax {
    fn read<T: serde::de::DeserializeOwned>(self, text: &str) -> Result<T, CatalogError> {
        Ok(match self {
            Syntax::Toml => toml::from_str(text)?,
            Syntax::Json => serde_json::from_str(text)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES_TOML: &str = include_str!("../../assets/services.toml");
    const ACTIONS_TOML: &str = include_str!("../../assets/actions.toml");

    #[test]
    fn the_compiled_in_catalog_is_the_catalog_files() {
        let files = Catalog::parse_with_actions(SERVICES_TOML, ACTIONS_TOML).unwrap();
        assert_eq!(format!("{:?}", Catalog::embedded()), format!("{files:?}"));
    }

    #[test]
    fn embedded_catalog_parses_with_all_21_services() {
        let catalog = Catalog::parse(SERVICES_TOML).unwrap();
        assert_eq!(catalog.services().len(), 21);
        for id in [
            "auth0",
            "http",
            "jwt",
            "twilio",
            "sendgrid",
            "mailjet",
            "telegram",
            "whatsapp",
            "slack",
            "zapier",
            "stripe",
            "hubspot",
            "mailchimp",
            "pipedrive",
            "salesforce",
            "google_sheets",
            "docusign",
            "bigquery",
            "clearbit",
            "airtable",
            "activecampaign",
        ] {
            assert!(catalog.service(id).is_some(), "missing service {id}");
        }
    }

    #[test]
    fn embedded_actions_parse_with_the_required_ids() {
        let catalog = Catalog::parse_with_actions(SERVICES_TOML, ACTIONS_TOML).unwrap();
        for id in [
            "auth0.get_user",
            "auth0.create_user",
            "auth0.update_user",
            "auth0.request",
            "twilio.send_sms",
            "twilio.make_call",
            "http.request",
            "jwt.sign",
            "jwt.verify",
            "jwt.decode",
            "slack.post_message",
            "sendgrid.send_email",
            "telegram.send_message",
            "stripe.create_customer",
            "zapier.trigger",
        ] {
            assert!(catalog.action(id).is_some(), "missing action {id}");
        }
        let get_user = catalog.action("auth0.get_user").unwrap();
        assert_eq!(get_user.scopes, ["read:users"]);
        assert_eq!(
            catalog.action("http.request").unwrap().connection,
            ConnectionNeed::Optional
        );
        assert_eq!(
            catalog.action("jwt.decode").unwrap().connection,
            ConnectionNeed::None
        );
        let sms = catalog.action("twilio.send_sms").unwrap();
        assert_eq!(sms.input("body").unwrap().max_len, Some(1600));
        assert_eq!(sms.input("to").unwrap().max_len, Some(50));
    }

    #[test]
    fn auth0_fields_follow_the_reference_labels() {
        let auth0 = Catalog::embedded().service("auth0").unwrap();
        let labels: Vec<_> = auth0.methods[0]
            .fields
            .iter()
            .map(|f| f.label.as_str())
            .collect();
        assert_eq!(
            labels,
            ["Tenant Domain", "Client ID", "Client Secret", "Audience"]
        );
        assert!(auth0.methods[0].field("client_secret").unwrap().secret);
        assert!(!auth0.methods[0].field("audience").unwrap().required);
    }

    #[test]
    fn http_offers_four_methods() {
        let http = Catalog::embedded().service("http").unwrap();
        let ids: Vec<_> = http.methods.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["bearer", "api_key", "basic", "oauth2"]);
    }

    #[test]
    fn duplicate_field_keys_are_rejected() {
        let text = r#"
[[services]]
id = "x"
name = "X"
[[services.methods]]
id = "m"
name = "M"
auth = "static_key"
fields = [ { key = "a", label = "A" }, { key = "a", label = "B" } ]
"#;
        assert!(matches!(
            Catalog::parse(text),
            Err(CatalogError::Invalid(_))
        ));
    }

    #[test]
    fn a_bad_pattern_is_rejected() {
        let text = r#"
[[services]]
id = "x"
name = "X"
[[services.methods]]
id = "m"
name = "M"
auth = "static_key"
fields = [ { key = "a", label = "A", rule = "pattern", pattern = "(" } ]
"#;
        assert!(matches!(
            Catalog::parse(text),
            Err(CatalogError::Invalid(_))
        ));
    }
}
