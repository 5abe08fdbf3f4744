//! [`ScriptError`]: why a script was refused, and where.

use alloc::string::String;
use core::fmt;

use serde::Serialize;

/// Why a script was refused, and where.
///
/// Serializes (camelCase) to `{line, column, message}`, so the playground can point at the
/// spot in the editor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptError {
    /// The 1-based line of the problem.
    pub line: usize,
    /// The 1-based column, in characters (Unicode scalar values, as JavaScript's
    /// `Array.from(line)` counts them). For something missing at the end of a line, the
    /// column just past the text before it.
    pub column: usize,
    /// What is wrong, in a sentence a learner can read.
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ScriptError {}
