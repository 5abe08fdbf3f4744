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
    /// `strcpy(ptr, "text")`: the text's bytes (UTF-8) and a terminating NUL, written at `ptr`.
    Strcpy {
        /// Where the bytes go.
        ptr: Ptr,
        /// The text, escapes read (`\n`, `\0`, `\x41` …).
        text: String,
    },
    /// `memset(ptr, byte, count)`: `count` copies of `byte` from `ptr` on.
    Memset {
        /// Where the bytes go.
        ptr: Ptr,
        /// The byte written.
        byte: u8,
        /// How many.
        count: u32,
    },
    /// `ptr[index] = byte`: one byte, `index` bytes after `ptr`.
    Store {
        /// The block written into.
        ptr: Ptr,
        /// Bytes after `ptr`.
        index: u32,
        /// The byte written.
        byte: u8,
    },
    /// `memcpy(ptr, src, count)`: `count` bytes from `src` to `ptr`.
    Memcpy {
        /// Where the bytes go.
        ptr: Ptr,
        /// Where they come from.
        src: Ptr,
        /// How many.
        count: u32,
    },
}

impl Stmt {
    /// The name this statement assigns, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Stmt::Malloc { name, .. } | Stmt::Calloc { name, .. } | Stmt::Realloc { name, .. } => {
                name.as_deref()
            }
            Stmt::Free { .. }
            | Stmt::Strcpy { .. }
            | Stmt::Memset { .. }
            | Stmt::Store { .. }
            | Stmt::Memcpy { .. } => None,
        }
    }

    /// The pointer this statement takes: the block `realloc` and `free` are given, or where a
    /// write goes.
    pub fn ptr(&self) -> Option<&Ptr> {
        match self {
            Stmt::Realloc { ptr, .. }
            | Stmt::Free { ptr }
            | Stmt::Strcpy { ptr, .. }
            | Stmt::Memset { ptr, .. }
            | Stmt::Store { ptr, .. }
            | Stmt::Memcpy { ptr, .. } => Some(ptr),
            Stmt::Malloc { .. } | Stmt::Calloc { .. } => None,
        }
    }
}

/// The pointer a statement is given.
///
/// Serializes as `{name: "a"}`, `{address: 1179712}`, or, for a name plus an offset,
/// `{inside: {name: "a", offset: 8}}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Ptr {
    /// A name an earlier statement assigned: the address it holds when the step runs.
    Name(String),
    /// An address written as a number. `parse` keeps it within 32 bits; the type leaves room
    /// for a 64-bit heap.
    Address(u64),
    /// `name + offset`: `offset` bytes past the address a name holds, as C's pointer
    /// arithmetic on a `char *` gives (`free(a + 8)` frees a pointer into the middle of `a`).
    Inside {
        /// The name.
        name: String,
        /// Bytes past its address.
        offset: u32,
    },
}

impl fmt::Display for Ptr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ptr::Name(name) => f.write_str(name),
            Ptr::Address(address) => Arg::Address(*address).fmt(f),
            Ptr::Inside { name, offset } => write!(f, "{name} + {offset}"),
        }
    }
}

/// The statement in canonical form: `a = malloc(24)`, `free(0x00120040)`; names as written,
/// sizes and counts in decimal, addresses in hex.
impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |x: u32| Arg::Number(u64::from(x));
        let text;
        let byte;
        let (p, q) = match self {
            Stmt::Memcpy { ptr, src, .. } => (ptr.to_string(), src.to_string()),
            _ => (
                self.ptr().map(|p| p.to_string()).unwrap_or_default(),
                String::new(),
            ),
        };
        let (function, args): (Function, [Arg<'_>; 3]) = match self {
            Stmt::Malloc { size, .. } => (Function::Malloc, [n(*size), n(0), n(0)]),
            Stmt::Calloc { count, size, .. } => (Function::Calloc, [n(*count), n(*size), n(0)]),
            Stmt::Realloc { size, .. } => (Function::Realloc, [Arg::Text(&p), n(*size), n(0)]),
            Stmt::Free { .. } => (Function::Free, [Arg::Text(&p), n(0), n(0)]),
            Stmt::Strcpy { text: t, .. } => {
                text = string_literal(t);
                (Function::Strcpy, [Arg::Text(&p), Arg::Text(&text), n(0)])
            }
            Stmt::Memset { byte: b, count, .. } => {
                byte = byte_literal(*b);
                (
                    Function::Memset,
                    [Arg::Text(&p), Arg::Text(&byte), n(*count)],
                )
            }
            Stmt::Memcpy { count, .. } => {
                (Function::Memcpy, [Arg::Text(&p), Arg::Text(&q), n(*count)])
            }
            Stmt::Store { ptr, index, byte } => {
                return write!(f, "{ptr}[{index}] = {}", byte_literal(*byte));
            }
        };
        let call = Call {
            assign: self.name(),
            function,
            args: &args[..function.arguments().len()],
        };
        call.fmt(f)
    }
}

/// A byte as a script writes it: a character literal for printable ASCII (`'A'`), else hex
/// (`0x00`).
pub fn byte_literal(byte: u8) -> String {
    match byte {
        b'\'' | b'\\' => alloc::format!("'\\{}'", byte as char),
        0x20..=0x7e => alloc::format!("'{}'", byte as char),
        _ => alloc::format!("0x{byte:02x}"),
    }
}

/// Text as a C string literal: `\"`, `\\`, `\n`, `\t`, other control characters as `\xNN`,
/// everything else as it is. Reading it back gives the same text.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && c.is_ascii() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
