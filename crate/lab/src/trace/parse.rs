//! Reading a `.rep` file into a [`Trace`], and the errors that say what is wrong with one.
//!
//! The format, as in the CMU malloc lab:
//!
//! - Four whole numbers: the suggested heap size, the number of ids, the number of operations
//!   and the weight. They are separated by any whitespace, usually one a line.
//! - Then one operation a line: `a ID SIZE`, `f ID` or `r ID SIZE`.
//!
//! Blank lines and extra spaces or tabs are ignored anywhere, and so is everything from a `#`
//! to the end of its line, so traces can carry comments. Windows line endings are fine.
//!
//! Parsing is all or nothing: the whole text is read and checked, liveness included, before a
//! trace is returned, so a caller never sees half a trace.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::{Op, Trace, MAX_IDS, MAX_SIZE};

/// What the four header numbers mean, in order, for messages.
const HEADER_FIELDS: [&str; 4] = [
    "suggested heap size",
    "number of ids",
    "number of operations",
    "weight",
];

/// Tokens longer than this are cut short when quoted in a message.
const QUOTE_MAX: usize = 24;

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
    /// The header declares more ids than [`MAX_IDS`](super::MAX_IDS).
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
    /// A size is larger than [`MAX_SIZE`](super::MAX_SIZE).
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
        }
    }
}

/// The text of a token for a message, cut short if long.
fn quote(token: &str) -> String {
    match token.char_indices().nth(QUOTE_MAX) {
        Some((end, _)) => alloc::format!("{}...", &token[..end]),
        None => token.to_string(),
    }
}

/// A whole number as written in a trace: ASCII digits only.
enum Whole {
    Value(usize),
    TooLarge,
    Invalid,
}

fn number(token: &str) -> Whole {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Whole::Invalid;
    }
    let mut value: usize = 0;
    for digit in token.bytes() {
        value = match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(usize::from(digit - b'0')))
        {
            Some(v) => v,
            None => return Whole::TooLarge,
        };
    }
    Whole::Value(value)
}

/// The whitespace-separated words of a line, each with its 1-based column in characters.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> + '_ {
    line.split_whitespace().map(move |word| {
        // `word` is a sub-slice of `line`, so the difference of the pointers is its offset.
        let offset = word.as_ptr() as usize - line.as_ptr() as usize;
        (line[..offset].chars().count() + 1, word)
    })
}

/// The state of one id while checking a trace.
#[derive(Clone, Copy)]
enum State {
    Never,
    Live { since: usize },
    Freed { at: usize },
}

/// Follows which ids are live, to refuse double frees and the like. Shared by the parser and
/// [`Trace::validate`].
pub(super) struct Liveness {
    states: Vec<State>,
}

impl Liveness {
    /// A checker for ids below `ids` (which must be at most [`MAX_IDS`]). The table grows as
    /// ids are seen, so a large declared count costs nothing until it is used.
    pub(super) fn new(ids: usize) -> Liveness {
        Liveness {
            states: Vec::with_capacity(ids.min(1024)),
        }
    }

    /// Applies one operation whose id is known to be in range, or says why it is not allowed.
    pub(super) fn step(&mut self, op: Op, line: usize) -> Result<(), TraceErrorKind> {
        let id = op.id();
        if id >= self.states.len() {
            self.states.resize(id + 1, State::Never);
        }
        let state = &mut self.states[id];
        match (op, *state) {
            (Op::Alloc { .. }, State::Live { since }) => {
                return Err(TraceErrorKind::AllocLive { id, since })
            }
            (Op::Alloc { .. }, _) => *state = State::Live { since: line },
            (Op::Free { .. }, State::Live { .. }) => *state = State::Freed { at: line },
            (Op::Free { .. }, State::Freed { at }) => {
                return Err(TraceErrorKind::DoubleFree { id, freed_at: at })
            }
            (Op::Realloc { .. }, State::Live { .. }) => {}
            (Op::Realloc { .. }, State::Freed { at }) => {
                return Err(TraceErrorKind::ReallocFreed { id, freed_at: at })
            }
            (Op::Free { .. } | Op::Realloc { .. }, State::Never) => {
                return Err(TraceErrorKind::NeverAllocated {
                    op: op.letter(),
                    id,
                })
            }
        }
        Ok(())
    }
}

/// The four header numbers once read.
struct Header {
    heap_size_hint: usize,
    ids: usize,
    ops: usize,
    weight: u32,
}

/// Reads a malloc-lab trace (see the module documentation for the format).
///
/// Returns the trace only if all of it is well formed: the header, every operation, the
/// operation count, and the liveness of every id (no block allocated twice while live, freed
/// twice, or used after it was freed or before it was allocated). Otherwise the first problem,
/// with its line.
///
/// ```
/// let trace = brkalloc_lab::trace::parse("20000\n2\n3\n1\na 0 16\na 1 8\nf 0\n").unwrap();
/// assert_eq!(trace.ops.len(), 3);
///
/// let error = brkalloc_lab::trace::parse("20000\n2\n3\n1\na 0 16\nf 0\nf 0\n").unwrap_err();
/// assert_eq!(error.to_string(), "line 7, column 3: block 0 is freed twice: it was already freed on line 6");
/// ```
pub fn parse(text: &str) -> Result<Trace, TraceError> {
    let mut numbers = [0usize; 4];
    let mut read = 0;
    let mut header: Option<Header> = None;
    let mut liveness = Liveness::new(0);
    let mut ops = Vec::new();
    let mut lines = Vec::new();
    let mut last_line = 1;

    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        last_line = line;
        let content = raw.split('#').next().unwrap_or("");
        let error = |column, kind| TraceError {
            line,
            column: Some(column),
            kind,
        };

        let Some(h) = &header else {
            for (column, word) in words(content) {
                if read == 4 {
                    return Err(error(
                        column,
                        TraceErrorKind::HeaderExtra { found: quote(word) },
                    ));
                }
                let value = match number(word) {
                    Whole::Value(v) => v,
                    Whole::Invalid if matches!(word, "a" | "f" | "r") => {
                        return Err(error(column, TraceErrorKind::MissingHeader { found: read }))
                    }
                    Whole::Invalid => {
                        return Err(error(
                            column,
                            TraceErrorKind::BadHeader {
                                field: read,
                                found: quote(word),
                            },
                        ))
                    }
                    Whole::TooLarge => {
                        return Err(error(
                            column,
                            TraceErrorKind::HeaderTooLarge {
                                field: read,
                                found: quote(word),
                            },
                        ))
                    }
                };
                if read == 1 && value > MAX_IDS {
                    return Err(error(column, TraceErrorKind::TooManyIds { ids: value }));
                }
                if read == 3 && u32::try_from(value).is_err() {
                    return Err(error(
                        column,
                        TraceErrorKind::HeaderTooLarge {
                            field: 3,
                            found: quote(word),
                        },
                    ));
                }
                numbers[read] = value;
                read += 1;
            }
            if read == 4 {
                let [heap_size_hint, ids, count, weight] = numbers;
                // Never trust a header for a large allocation: an operation takes at least
                // three bytes of text ("f 0"), plus a line break.
                let capacity = count.min(text.len() / 4 + 1);
                ops.reserve(capacity);
                lines.reserve(capacity);
                liveness = Liveness::new(ids);
                header = Some(Header {
                    heap_size_hint,
                    ids,
                    ops: count,
                    // Checked to fit when it was read.
                    weight: weight as u32,
                });
            }
            continue;
        };

        let mut fields = words(content);
        let Some((op_column, word)) = fields.next() else {
            continue; // a blank line, or only a comment
        };
        if ops.len() == h.ops {
            return Err(error(
                op_column,
                TraceErrorKind::TooManyOps { expected: h.ops },
            ));
        }
        let letter = match word {
            "a" => 'a',
            "f" => 'f',
            "r" => 'r',
            _ => {
                return Err(error(
                    op_column,
                    TraceErrorKind::UnknownOp { found: quote(word) },
                ))
            }
        };
        // Where a missing field would have gone: just past the end of the line's text.
        let end_column = content.trim_end().chars().count() + 2;

        let Some((id_column, id_word)) = fields.next() else {
            return Err(error(
                end_column,
                TraceErrorKind::MissingField {
                    op: letter,
                    field: "id",
                },
            ));
        };
        let id = match number(id_word) {
            Whole::Value(id) if id < h.ids => id,
            Whole::Value(_) | Whole::TooLarge => {
                return Err(error(
                    id_column,
                    TraceErrorKind::IdOutOfRange {
                        id: quote(id_word),
                        ids: h.ids,
                    },
                ))
            }
            Whole::Invalid => {
                return Err(error(
                    id_column,
                    TraceErrorKind::NotANumber {
                        op: letter,
                        field: "id",
                        found: quote(id_word),
                    },
                ))
            }
        };

        let op = if letter == 'f' {
            Op::Free { id }
        } else {
            let Some((size_column, size_word)) = fields.next() else {
                return Err(error(
                    end_column,
                    TraceErrorKind::MissingField {
                        op: letter,
                        field: "size",
                    },
                ));
            };
            let size = match number(size_word) {
                Whole::Value(size) if size <= MAX_SIZE => size,
                Whole::Value(_) | Whole::TooLarge => {
                    return Err(error(
                        size_column,
                        TraceErrorKind::SizeTooLarge {
                            found: quote(size_word),
                        },
                    ))
                }
                Whole::Invalid => {
                    return Err(error(
                        size_column,
                        TraceErrorKind::NotANumber {
                            op: letter,
                            field: "size",
                            found: quote(size_word),
                        },
                    ))
                }
            };
            if letter == 'a' {
                Op::Alloc { id, size }
            } else {
                Op::Realloc { id, size }
            }
        };
        if let Some((column, extra)) = fields.next() {
            return Err(error(
                column,
                TraceErrorKind::ExtraField {
                    op: letter,
                    found: quote(extra),
                },
            ));
        }
        liveness
            .step(op, line)
            .map_err(|kind| error(id_column, kind))?;
        ops.push(op);
        lines.push(line);
    }

    let Some(h) = header else {
        return Err(TraceError {
            line: last_line,
            column: None,
            kind: TraceErrorKind::MissingHeader { found: read },
        });
    };
    if ops.len() < h.ops {
        return Err(TraceError {
            line: last_line,
            column: None,
            kind: TraceErrorKind::TooFewOps {
                expected: h.ops,
                found: ops.len(),
            },
        });
    }
    Ok(Trace {
        heap_size_hint: h.heap_size_hint,
        ids: h.ids,
        ops,
        weight: h.weight,
        lines,
    })
}
