//! [`TraceError`]: why a trace was refused, and where, in a sentence that says what was
//! expected.

use alloc::string::{String, ToString};
use core::fmt;

use super::ops::{MAX_IDS, MAX_SIZE};

/// What the four header numbers mean, in order, for messages.
const HEADER_FIELDS: [&str; 4] = [
    "suggested heap size",
    "number of ids",
    "number of operations",
    "weight",
];

/// Why a trace was refused, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// The 1-based line the problem is on. For a trace that ends too early, the last line.
    pub line: usize,
    /// The 1-based column (in characters) of the offending text, when there is one.
    pub column: Option<usize>,
    /// What is wrong.
    pub kind: TraceErrorKind,
}

/// The kinds of problem a trace can have. Each one's message says what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceErrorKind {
    /// The text ended, or operations began, before all four header numbers were read.
    MissingHeader {
        /// How many header numbers were read.
        found: usize,
    },
    /// A header number is not a whole number.
    BadHeader {
        /// Which number (0 = suggested heap size, 1 = ids, 2 = operations, 3 = weight).
        field: usize,
        /// The text found instead.
        found: String,
    },
    /// A header number is too large to hold.
    HeaderTooLarge {
        /// Which number (0 = suggested heap size, 1 = ids, 2 = operations, 3 = weight).
        field: usize,
        /// The number as written.
        found: String,
    },
    /// The header declares more ids than [`MAX_IDS`].
    TooManyIds {
        /// The number of ids declared.
        ids: usize,
    },
    /// Something follows the fourth header number on its line.
    HeaderExtra {
        /// The text found.
        found: String,
    },
    /// A line starts with something other than `a`, `f` or `r`.
    UnknownOp {
        /// The text found.
        found: String,
    },
    /// An operation lacks its id or its size.
    MissingField {
        /// The operation's letter.
        op: char,
        /// `"id"` or `"size"`.
        field: &'static str,
    },
    /// An operation has more fields than it takes.
    ExtraField {
        /// The operation's letter.
        op: char,
        /// The first field too many.
        found: String,
    },
    /// An id or size is not a whole number.
    NotANumber {
        /// The operation's letter.
        op: char,
        /// `"id"` or `"size"`.
        field: &'static str,
        /// The text found.
        found: String,
    },
    /// A size is larger than [`MAX_SIZE`].
    SizeTooLarge {
        /// The size as written.
        found: String,
    },
    /// An id is not below the header's number of ids.
    IdOutOfRange {
        /// The id as written.
        id: String,
        /// The header's number of ids.
        ids: usize,
    },
    /// `a ID` while block `ID` is still allocated.
    AllocLive {
        /// The id.
        id: usize,
        /// The line that allocated it.
        since: usize,
    },
    /// `f ID` of a block already freed.
    DoubleFree {
        /// The id.
        id: usize,
        /// The line that freed it.
        freed_at: usize,
    },
    /// `r ID` of a block already freed.
    ReallocFreed {
        /// The id.
        id: usize,
        /// The line that freed it.
        freed_at: usize,
    },
    /// `f ID` or `r ID` of an id that was never allocated.
    NeverAllocated {
        /// The operation's letter.
        op: char,
        /// The id.
        id: usize,
    },
    /// The trace ends with fewer operations than its header promises.
    TooFewOps {
        /// The header's count.
        expected: usize,
        /// The operations actually there.
        found: usize,
    },
    /// The trace holds more operations than its header promises.
    TooManyOps {
        /// The header's count.
        expected: usize,
    },
    /// The bytes are not text: not valid UTF-8 (see `parse_bytes`).
    NotText,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {}: {}", self.line, column, self.kind),
            None => write!(f, "line {}: {}", self.line, self.kind),
        }
    }
}

impl std::error::Error for TraceError {}

/// How to write each operation, for messages.
fn usage(op: char) -> &'static str {
    match op {
        'a' => "`a ID SIZE` (allocate SIZE bytes as block ID)",
        'f' => "`f ID` (free block ID)",
        _ => "`r ID SIZE` (realloc block ID to SIZE bytes)",
    }
}

/// "1 operation", "2 operations".
fn operations(n: usize) -> String {
    match n {
        1 => "1 operation".to_string(),
        n => alloc::format!("{n} operations"),
    }
}

/// Ordinal words for small numbers, so messages read "the 3rd operation".
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    alloc::format!("{n}{suffix}")
}

impl fmt::Display for TraceErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEADER: &str = "a trace starts with four whole numbers: the suggested heap \
                              size, the number of ids, the number of operations and the weight";
        match self {
            TraceErrorKind::MissingHeader { found: 0 } => {
                write!(f, "the header is missing: {HEADER}")
            }
            TraceErrorKind::MissingHeader { found } => write!(
                f,
                "the header is incomplete: only {found} of its four numbers came before this \
                 point, so the {} is missing ({HEADER})",
                HEADER_FIELDS[(*found).min(3)]
            ),
            TraceErrorKind::BadHeader { field, found } => write!(
                f,
                "expected the {} (header number {} of 4) as a whole number of 0 or more, \
                 found `{found}`",
                HEADER_FIELDS[(*field).min(3)],
                field + 1
            ),
            TraceErrorKind::HeaderTooLarge { field, found } => write!(
                f,
                "the {} `{found}` is too large",
                HEADER_FIELDS[(*field).min(3)]
            ),
            TraceErrorKind::TooManyIds { ids } => write!(
                f,
                "the header declares {ids} ids; at most {MAX_IDS} are supported"
            ),
            TraceErrorKind::HeaderExtra { found } => write!(
                f,
                "expected the end of the line after the header's fourth number (the weight), \
                 found `{found}`; operations go one a line after the header"
            ),
            TraceErrorKind::UnknownOp { found } => write!(
                f,
                "`{found}` is not an operation: expected {}, {} or {}",
                usage('a'),
                usage('f'),
                usage('r')
            ),
            TraceErrorKind::MissingField { op, field } => {
                write!(f, "this `{op}` has no {field}: write it as {}", usage(*op))
            }
            TraceErrorKind::ExtraField { op, found } => write!(
                f,
                "`{found}` is one field too many: write `{op}` as {}",
                usage(*op)
            ),
            TraceErrorKind::NotANumber { op, field, found } => write!(
                f,
                "expected the {field} of this `{op}` as a whole number of 0 or more, \
                 found `{found}`; write it as {}",
                usage(*op)
            ),
            TraceErrorKind::SizeTooLarge { found } => write!(
                f,
                "the size {found} is too large: a trace's sizes are at most {MAX_SIZE} bytes"
            ),
            TraceErrorKind::IdOutOfRange { id, ids: 0 } => write!(
                f,
                "id {id} is out of range: the header declares no ids at all"
            ),
            TraceErrorKind::IdOutOfRange { id, ids } => write!(
                f,
                "id {id} is out of range: the header declares {ids} ids, so ids go from 0 to {}",
                ids - 1
            ),
            TraceErrorKind::AllocLive { id, since } => write!(
                f,
                "block {id} is allocated again while still in use (allocated on line {since} \
                 and not freed since); free it first or use another id"
            ),
            TraceErrorKind::DoubleFree { id, freed_at } => write!(
                f,
                "block {id} is freed twice: it was already freed on line {freed_at}"
            ),
            TraceErrorKind::ReallocFreed { id, freed_at } => write!(
                f,
                "block {id} is reallocated after it was freed on line {freed_at}; only a live \
                 block can be reallocated"
            ),
            TraceErrorKind::NeverAllocated { op: 'f', id } => {
                write!(f, "block {id} is freed but was never allocated")
            }
            TraceErrorKind::NeverAllocated { id, .. } => write!(
                f,
                "block {id} is reallocated but was never allocated; allocate it first with `a`"
            ),
            TraceErrorKind::TooFewOps { expected, found } => write!(
                f,
                "the trace ends after {}, but its header promises {expected}",
                operations(*found)
            ),
            TraceErrorKind::TooManyOps { expected } => write!(
                f,
                "the header promises {}, and this would be the {}",
                operations(*expected),
                ordinal(expected + 1)
            ),
            TraceErrorKind::NotText => {
                write!(f, "the trace is not plain text (it is not valid UTF-8)")
            }
        }
    }
}
