//! Scenario scripts: the few lines of C-like calls a tutorial gives the playground to step
//! through, such as `a = malloc(16); free(a)`.
//!
//! ```text
//! // The brief's walk-through
//! a = malloc(24);      # comments: // and # to the end of the line, and /* ... */ blocks
//! b = malloc(8); c = malloc(40)
//! free(b)              // statements end with ';' or a new line
//! free(c);
//! d = malloc(8)
//! e = realloc(a, 64)   // e holds the result; a still holds the old address, as in C
//! f = calloc(4, 8)
//! malloc(16)           // an allocation need not be named
//! free(0x00120040)     // an address, in hex or decimal: the heap refuses it unless it is a block
//! ```
//!
//! # The language
//!
//! - A statement is a call, `malloc(size)`, `calloc(count, size)`, `realloc(pointer, size)` or
//!   `free(pointer)`, optionally assigned to a name: `a = malloc(16)`, `a = realloc(a, 32)`.
//!   `free` returns nothing, so it cannot be assigned.
//! - Statements end with `;` or a line break. Empty statements (`;;`, blank lines) are fine.
//!   Within a statement, spaces and tabs are free; a line break is not (it ends the
//!   statement), except inside a `/* */` comment — but a comment that spans lines ends a line,
//!   as in JavaScript.
//! - Comments: `//` and `#` to the end of the line, `/* ... */` anywhere (not nested).
//! - Names are C identifiers (ASCII letters, digits and `_`, not starting with a digit), and
//!   are case-sensitive. The function names cannot be names.
//! - Sizes, counts and addresses are whole numbers, in decimal (`24`) or in hex (`0x18`), from
//!   0 to `u32::MAX`: the playground's heap lives in 32-bit WebAssembly memory. A decimal
//!   number may not start with `0` (`012`): C would read it as octal, a trap worth naming.
//!   Nothing else: no `sizeof`, no arithmetic, no nested calls.
//!
//! # What the parser checks, and what it leaves to the heap
//!
//! [`parse`] refuses anything malformed, and any name used before a statement assigned it,
//! with a [`ScriptError`] naming the line and column. It returns a [`Scenario`] only when the
//! whole text is right: nothing runs until then.
//!
//! It does not follow what happens to the memory a name holds. `free(a); free(a)`, `free(a)`
//! after `b = realloc(a, 64)`, or `free` of a literal address all parse: whether they are
//! mistakes is the heap's to decide when the step runs, and a learner should *see* the heap
//! refuse a double free, with its explanation, rather than have the script refused up front.
//! Likewise assigning a name again (`a = malloc(8)` twice) only leaks the first block, as in C.
//!
//! A name holds the address its last assignment returned: after `e = realloc(a, 64)`, `a`
//! still holds the old address (now free if the block moved, or `e`'s if it grew in place).
//!
//! # Back to text
//!
//! [`format()`] writes a scenario back as canonical text, one statement a line, which [`parse`]
//! reads back to the same statements.

mod lex;
mod parse;

pub use parse::{parse, ScriptError};

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::ops::Range;

use serde::Serialize;

/// A parsed script: its statements, in order.
///
/// Serializes (camelCase) as
/// `{steps: [{line, column, span: {start, end}, stmt: {op: "malloc", name, size}}, ...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    /// The statements, in the order they run.
    pub steps: Vec<Step>,
}

/// One statement of a script, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The 1-based line the statement starts on.
    pub line: usize,
    /// The 1-based column it starts at, in characters (Unicode scalar values).
    pub column: usize,
    /// The statement's bytes in the source text, from its first character to its closing
    /// `)` (so `&src[step.span.clone()]` is its text). Byte offsets, not JavaScript string
    /// indices: the two differ once the text has non-ASCII characters, as comments may.
    pub span: Range<usize>,
    /// What it does.
    pub stmt: Stmt,
}

/// One call of a script.
///
/// Serializes with its function as `op`: `{op: "malloc", name: "a", size: 24}`,
/// `{op: "free", ptr: {name: "a"}}`; an unnamed result has `name: null`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Stmt {
    /// `name = malloc(size)`, or `malloc(size)`.
    Malloc {
        /// The name the address is kept under, if any.
        name: Option<String>,
        /// Bytes asked for.
        size: u32,
    },
    /// `name = calloc(count, size)`, or `calloc(count, size)`: `count × size` zeroed bytes.
    Calloc {
        /// The name the address is kept under, if any.
        name: Option<String>,
        /// How many elements.
        count: u32,
        /// Bytes per element.
        size: u32,
    },
    /// `name = realloc(ptr, size)`, or `realloc(ptr, size)`.
    Realloc {
        /// The name the (possibly new) address is kept under, if any.
        name: Option<String>,
        /// The block to resize.
        ptr: Ptr,
        /// The new size in bytes.
        size: u32,
    },
    /// `free(ptr)`.
    Free {
        /// The block to free.
        ptr: Ptr,
    },
}

impl Stmt {
    /// The name this statement assigns, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Stmt::Malloc { name, .. } | Stmt::Calloc { name, .. } | Stmt::Realloc { name, .. } => {
                name.as_deref()
            }
            Stmt::Free { .. } => None,
        }
    }

    /// The pointer this statement takes, for `realloc` and `free`.
    pub fn ptr(&self) -> Option<&Ptr> {
        match self {
            Stmt::Realloc { ptr, .. } | Stmt::Free { ptr } => Some(ptr),
            Stmt::Malloc { .. } | Stmt::Calloc { .. } => None,
        }
    }
}

/// The pointer `free` or `realloc` is given.
///
/// Serializes as `{name: "a"}` or `{address: 1179712}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Ptr {
    /// A name an earlier statement assigned: the address it holds when the step runs.
    Name(String),
    /// An address written as a number. [`parse`] keeps it within 32 bits; the type leaves room
    /// for a 64-bit heap.
    Address(u64),
}

impl fmt::Display for Ptr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ptr::Name(name) => f.write_str(name),
            Ptr::Address(address) => write!(f, "0x{address:08x}"),
        }
    }
}

/// The statement in canonical form: `a = malloc(24)`, `free(0x00120040)`; names as written,
/// sizes and counts in decimal, addresses in hex.
impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.name() {
            write!(f, "{name} = ")?;
        }
        match self {
            Stmt::Malloc { size, .. } => write!(f, "malloc({size})"),
            Stmt::Calloc { count, size, .. } => write!(f, "calloc({count}, {size})"),
            Stmt::Realloc { ptr, size, .. } => write!(f, "realloc({ptr}, {size})"),
            Stmt::Free { ptr } => write!(f, "free({ptr})"),
        }
    }
}

/// Writes a scenario as canonical text: each statement on its own line (ending in a line
/// break), with no comments. For shareable links and "copy as script".
///
/// For any scenario [`parse`] returned, `parse(&format(&s))` gives the same statements (their
/// positions are those of the new text), and formatting that again gives the same text.
///
/// ```
/// use brkalloc_lab::scenario::{format, parse};
///
/// let scenario = parse("a = malloc(0x18); /* b */ b = calloc(4, 8)\nfree( a );").unwrap();
/// assert_eq!(format(&scenario), "a = malloc(24)\nb = calloc(4, 8)\nfree(a)\n");
/// ```
pub fn format(scenario: &Scenario) -> String {
    let mut text = String::new();
    for step in &scenario.steps {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{}", step.stmt);
    }
    text
}
