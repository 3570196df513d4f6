//! Building and sending flow-action requests, and what keeps an action from running.

pub mod check;
pub mod jwt;
pub mod problem;
pub mod request;
pub mod response;
pub mod run;
pub mod template;

pub use check::{Warning, warnings};
pub use run::{
    ActionClients, ConnectionFault, ResponseView, StepFailure, StepOutcome, StepReport, TokenFetch,
    run_flow, run_sent_event,
};
