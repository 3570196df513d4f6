//! Widgets shared by screens: text fitting, inputs, the credentials form, the footer.

pub mod dialog;
pub mod footer;
pub mod form;
pub mod text_input;
