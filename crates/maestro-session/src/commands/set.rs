//! `set SESSION FIELD VALUE | --clear`: sets or empties a plain field.

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::render::{self, t};
use crate::values;

/// `set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// Session id or prefix.
    pub session: String,
    /// Field name.
    #[arg(value_parser = values::settable_field())]
    pub field: String,
    /// New value.
    #[arg(required_unless_present = "clear")]
    pub value: Option<String>,
    /// Clear the field instead.
    #[arg(long)]
    pub clear: bool,
}

/// Runs `set`.
///
/// Errors: the session does not resolve; the value is refused for the field.
pub fn run(store: &Store, a: SetArgs) -> anyhow::Result<Report> {
    let what = format!("{} set", t(&a.field));
    let op = Operation::SetField {
        key: a.field,
        value: if a.clear { None } else { a.value },
    };
    let s = super::apply(store, &a.session, vec![op])?;
    Ok(Report::new(
        output::session(&s)?,
        render::changed(&s, &what),
    ))
}
