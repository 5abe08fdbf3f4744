//! What a parsed script is: a [`Scenario`] of [`Step`]s, each a [`Stmt`] (a call) and where it
//! was written, and the canonical text it is written back as ([`format()`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use core::ops::Range;

use serde::Serialize;

use crate::wording::{Arg, Call, Function};

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
    /// An address written as a number. `parse` keeps it within 32 bits; the type leaves room
    /// for a 64-bit heap.
    Address(u64),
}

impl Ptr {
    /// The pointer as an argument of a call: the name, or the address in hex.
    pub fn arg(&self) -> Arg<'_> {
        match self {
            Ptr::Name(name) => Arg::Text(name),
            Ptr::Address(address) => Arg::Address(*address),
        }
    }
}

impl fmt::Display for Ptr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.arg().fmt(f)
    }
}

/// The statement in canonical form: `a = malloc(24)`, `free(0x00120040)`; names as written,
/// sizes and counts in decimal, addresses in hex.
impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |x: u32| Arg::Number(u64::from(x));
        let (function, args): (Function, [Arg<'_>; 2]) = match self {
            Stmt::Malloc { size, .. } => (Function::Malloc, [n(*size), n(0)]),
            Stmt::Calloc { count, size, .. } => (Function::Calloc, [n(*count), n(*size)]),
            Stmt::Realloc { ptr, size, .. } => (Function::Realloc, [ptr.arg(), n(*size)]),
            Stmt::Free { ptr } => (Function::Free, [ptr.arg(), n(0)]),
        };
        let call = Call {
            assign: self.name(),
            function,
            args: &args[..function.arguments().len()],
        };
        call.fmt(f)
    }
}

/// Writes a scenario as canonical text: each statement on its own line (ending in a line
/// break), with no comments. For shareable links and "copy as script".
///
/// For any scenario `parse` returned, `parse(&format(&s))` gives the same statements (their
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
