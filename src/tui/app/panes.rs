//! What the two panes show: the rows and flows read from the vault, with the
//! list and pane state that selects among them.

use time::OffsetDateTime;

use crate::tui::screens::flows::FlowsPane;
use crate::tui::screens::list::{ConnectionList, ListRow};
use crate::vault::status::Detail;
use crate::vault::{Connection, ConnectionId, Flow, FlowId, StoredConnection};

/// The connections pane: every row read, and the filtered, scrolled list.
#[derive(Debug, Default)]
pub struct Connections {
    pub rows: Vec<ListRow>,
    pub list: ConnectionList,
}

impl Connections {
    /// The row of `id`, readable or not.
    pub fn row(&self, id: &ConnectionId) -> Option<&ListRow> {
        self.rows.iter().find(|r| r.stored.id() == id)
    }

    /// The connection `id`, if it reads back.
    pub fn connection(&self, id: &ConnectionId) -> Option<&Connection> {
        self.rows.iter().find_map(|r| match &r.stored {
            StoredConnection::Intact(c) if &c.id == id => Some(c),
            _ => None,
        })
    }

    /// The connection selected in the list.
    pub fn selected(&self) -> Option<&ConnectionId> {
        self.list.selected_id(&self.rows)
    }

    /// New rows from the vault. The selection stays on `select`, else on the
    /// row it was on; a filter that would hide `select` is cleared, so the
    /// row selected is the one the operator just saved.
    pub fn replace(&mut self, rows: Vec<ListRow>, select: Option<&ConnectionId>, height: usize) {
        let keep = select.cloned().or_else(|| self.selected().cloned());
        let old = std::mem::replace(&mut self.rows, rows);
        // Freeing 10,000 rows (their secrets are zeroed) takes milliseconds
        // a key would wait for: done on the side.
        if old.len() > 1000 {
            std::thread::spawn(move || drop(old));
        }
        self.list.refilter(&self.rows, keep.as_ref(), height);
        if select.is_some() && self.selected() != select {
            self.list.filter.reset();
            self.list.refilter(&self.rows, select, height);
        }
    }

    /// The list is `height` rows high now.
    pub fn resize(&mut self, height: usize) {
        let keep = self.selected().cloned();
        self.list.refilter(&self.rows, keep.as_ref(), height);
    }

    /// Statuses as of `now`; whether any changed.
    pub fn reassess(&mut self, now: OffsetDateTime) -> bool {
        let mut changed = false;
        for row in &mut self.rows {
            let before = row.assessment.clone();
            row.reassess(now);
            changed |= row.assessment != before;
        }
        changed
    }

    /// When the tokens shown expire.
    pub fn expiries(&self) -> impl Iterator<Item = OffsetDateTime> + '_ {
        self.rows.iter().filter_map(|r| match &r.assessment.detail {
            Detail::TokenValid {
                expires_at: Some(at),
                ..
            } => Some(*at),
            _ => None,
        })
    }
}

/// The flows pane: every flow read, and the pane's selection.
#[derive(Debug, Default)]
pub struct Flows {
    pub all: Vec<Flow>,
    pub pane: FlowsPane,
}

impl Flows {
    /// The flow `id`.
    pub fn get(&self, id: &FlowId) -> Option<&Flow> {
        self.all.iter().find(|f| &f.id == id)
    }

    /// New flows from the vault; the pane selects `select` if given.
    pub fn replace(&mut self, flows: Vec<Flow>, select: Option<&FlowId>) {
        self.all = flows;
        if let Some(id) = select {
            self.pane.select_flow(&self.all, id);
        }
        self.pane.clamp(&self.all);
    }
}
