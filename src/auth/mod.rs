//! OAuth grants, token requests and the refresh scheduler.

pub mod body;
pub mod bounds;
pub mod client;
pub mod contained;
pub mod grant;
pub mod http_client;
pub mod refresher;
pub mod renewal;
pub mod schedule;

pub use client::{GrantError, Granted, TokenClient};
pub use grant::Grant;
pub use http_client::HttpClient;
pub use refresher::{RefreshCommand, RefreshEvent, Refresher, RefresherHandle};
