//! `t` in the details: the connection's current access token onto the
//! clipboard, as `flowvault token` would print it. A token fresh for the
//! next minute is copied at once; otherwise the refresher renews it first
//! (never the UI thread) and the copy follows its renewal.

use zeroize::Zeroizing;

use super::App;
use crate::auth::RefreshCommand;
use crate::tui::message::Effect;
use crate::vault::audit::AuditAction;
use crate::vault::{ConnectionId, Token};

/// A token copied must still work when it is pasted: it has at least this long left.
const FRESH_FOR: time::Duration = time::Duration::seconds(60);

impl App {
    /// Copies the token of `id`, or asks the refresher for one first.
    pub(super) fn copy_token(&mut self, id: &ConnectionId) -> Vec<Effect> {
        let locale = self.locale;
        let name = match self.name_of_token_connection(id, "notice.no_token_to_copy") {
            Ok(name) => name,
            Err(effects) => return effects,
        };
        if let Some(token) = self.fresh_token(id) {
            return self.copy_token_now(id, &name, &token);
        }
        self.follow_ups.token_copy = Some(id.clone());
        vec![
            Effect::Refresher(RefreshCommand::Now(id.clone())),
            self.notify(locale.f("notice.fetching_token", &[("name", &name)]), false),
        ]
    }

    /// The token of `id` the list knows, if it is good for [`FRESH_FOR`].
    fn fresh_token(&self, id: &ConnectionId) -> Option<Token> {
        let token = self.connections.row(id)?.token()?.token.clone()?;
        token.is_valid_at(self.now + FRESH_FOR).then_some(token)
    }

    /// A renewal of `id` ended with `token`: the copy waiting for it, if any.
    pub(super) fn token_renewed(
        &mut self,
        id: &ConnectionId,
        name: &str,
        token: Option<&Token>,
    ) -> Vec<Effect> {
        if self.follow_ups.token_copy.as_ref() != Some(id) {
            return Vec::new();
        }
        self.follow_ups.token_copy = None;
        match token {
            Some(token) => self.copy_token_now(id, name, token),
            None => Vec::new(),
        }
    }

    /// A renewal of `id` failed: a copy waiting for it will not happen (the
    /// failure has its own notice).
    pub(super) fn token_not_renewed(&mut self, id: &ConnectionId) {
        if self.follow_ups.token_copy.as_ref() == Some(id) {
            self.follow_ups.token_copy = None;
        }
    }

    fn copy_token_now(&mut self, id: &ConnectionId, name: &str, token: &Token) -> Vec<Effect> {
        let text = Zeroizing::new(token.access_token.expose().to_owned());
        let notice = self.copied_notice("notice.token_copied", &[("name", name)]);
        let mut effects = self.put_on_clipboard(text, notice);
        let label = self.locale.t("details.access_token").to_owned();
        effects.extend(self.audit_connection(id, AuditAction::Copy, Some(label)));
        effects
    }
}
