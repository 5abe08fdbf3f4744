//! malloc-lab traces: read them, make them, and run them through a [`Heap`](brkalloc::Heap).
//!
//! A trace is the recorded workload of a program, in the format of the CMU malloc lab (`.rep`
//! files): four header numbers, then one operation a line.
//!
//! ```text
//! 20000      suggested heap size (a hint; nothing here relies on it)
//! 3          number of ids: every id in the trace is below this
//! 5          number of operations that follow
//! 1          weight (how much the trace counts in a malloc-lab score)
//! a 0 512    allocate 512 bytes and call the block "0"
//! a 1 128    allocate 128 bytes as block "1"
//! r 0 640    realloc block 0 to 640 bytes
//! f 1        free block 1
//! f 0        free block 0
//! ```
//!
//! Blank lines and extra spaces are ignored, and so is everything from a `#` to the end of its
//! line (an extension: the malloc lab's own traces have no comments).
//!
//! - [`parse`] reads that text into a [`Trace`], refusing anything malformed with a
//!   [`TraceError`] that names the line.
//! - [`generate`] makes traces of a few well-known shapes ([`Kind`]) from a seed, and
//!   [`Trace::to_rep_string`] writes any trace back as text.
//! - [`replay`] runs a trace through a heap and measures it ([`ReplayStats`]).
//!
//! Everything here needs only `alloc`, so traces can be read and replayed in the browser too.

mod gen;
mod parse;
mod replay;

pub use gen::{generate, Kind};
pub use parse::{parse, TraceError, TraceErrorKind};
/// The playground's own chunked replay refuses an operation on an id that is not live with the
/// same error.
#[cfg(target_arch = "wasm32")]
pub(crate) use replay::not_live;
pub use replay::{replay, replay_with, Failure, ReplayError, ReplayOptions, ReplayStats, Sample};

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// The largest size a trace may ask for: malloc-lab keeps sizes in a C `int`, so a larger one is
/// a typo rather than a workload.
pub const MAX_SIZE: usize = i32::MAX as usize;

/// The largest number of ids a trace may declare. Replaying keeps one slot per id, so the header
/// must not be able to ask for an absurd table; real traces use a few thousand.
pub const MAX_IDS: usize = 1 << 20;

/// Lines taken by the header when a trace is written by [`Trace::write_rep`]: one number a line.
pub const HEADER_LINES: usize = 4;

/// One operation of a trace. Ids name blocks: `a 3 16` allocates a block called 3, and a later
/// `f 3` frees that same block, whatever address it got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `a ID SIZE`: `malloc(SIZE)`, remembered as `ID`.
    Alloc {
        /// The block's name in the trace.
        id: usize,
        /// Bytes asked for.
        size: usize,
    },
    /// `f ID`: `free` the block called `ID`.
    Free {
        /// The block's name in the trace.
        id: usize,
    },
    /// `r ID SIZE`: `realloc` the block called `ID` to `SIZE` bytes; it keeps its name.
    Realloc {
        /// The block's name in the trace.
        id: usize,
        /// The new size in bytes.
        size: usize,
    },
}

impl Op {
    /// The id the operation is about.
    pub const fn id(&self) -> usize {
        match *self {
            Op::Alloc { id, .. } | Op::Free { id } | Op::Realloc { id, .. } => id,
        }
    }

    /// The size asked for, if the operation has one.
    pub const fn size(&self) -> Option<usize> {
        match *self {
            Op::Alloc { size, .. } | Op::Realloc { size, .. } => Some(size),
            Op::Free { .. } => None,
        }
    }

    /// The operation's letter in a `.rep` file: `a`, `f` or `r`.
    pub const fn letter(&self) -> char {
        match self {
            Op::Alloc { .. } => 'a',
            Op::Free { .. } => 'f',
            Op::Realloc { .. } => 'r',
        }
    }
}

/// Written as on a line of a `.rep` file: `a 3 16`, `f 3`, `r 3 32`.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Alloc { id, size } => write!(f, "a {id} {size}"),
            Op::Free { id } => write!(f, "f {id}"),
            Op::Realloc { id, size } => write!(f, "r {id} {size}"),
        }
    }
}

/// A whole trace: the header's numbers and the operations, in order.
///
/// A trace that came from [`parse`] or [`generate`] is valid: every id is below `ids`, only
/// live blocks are freed or reallocated, and no id is allocated while it is live.
/// [`Trace::validate`] checks that for a trace built by hand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The header's suggested heap size, in bytes. Only a hint: replaying ignores it.
    pub heap_size_hint: usize,
    /// The header's number of ids: every id in the trace is below it.
    pub ids: usize,
    /// The operations, in order. The header's operation count is their number.
    pub ops: Vec<Op>,
    /// The header's weight (how much the trace counts in a malloc-lab score).
    pub weight: u32,
    /// The 1-based source line of each operation, so errors found while replaying can point at
    /// the file. It may be left empty for a trace built in memory: an operation then reports
    /// the line [`Trace::write_rep`] would put it on (see [`Trace::line_of`]).
    pub lines: Vec<usize>,
}

impl Trace {
    /// The line on which operation `index` (0-based) stands: its source line if the trace was
    /// parsed, else the line it has in the text [`Trace::write_rep`] writes.
    pub fn line_of(&self, index: usize) -> usize {
        self.lines
            .get(index)
            .copied()
            .unwrap_or(HEADER_LINES + index + 1)
    }

    /// Checks what [`parse`] checks, for a trace built by hand: the id limit, ids in range,
    /// sizes in range, and that blocks are freed or reallocated only while live and allocated
    /// only while not.
    pub fn validate(&self) -> Result<(), TraceError> {
        if self.ids > MAX_IDS {
            return Err(TraceError {
                line: 2,
                column: None,
                kind: TraceErrorKind::TooManyIds { ids: self.ids },
            });
        }
        let mut liveness = parse::Liveness::new(self.ids);
        for (index, op) in self.ops.iter().enumerate() {
            let line = self.line_of(index);
            let error = |kind| TraceError {
                line,
                column: None,
                kind,
            };
            if let Some(size) = op.size().filter(|&s| s > MAX_SIZE) {
                return Err(error(TraceErrorKind::SizeTooLarge {
                    found: size.to_string(),
                }));
            }
            if op.id() >= self.ids {
                return Err(error(TraceErrorKind::IdOutOfRange {
                    id: op.id().to_string(),
                    ids: self.ids,
                }));
            }
            liveness.step(*op, line).map_err(error)?;
        }
        Ok(())
    }

    /// Writes the trace as a `.rep` file: the four header numbers one a line (the operation
    /// count is `ops.len()`), then one operation a line. [`parse`] reads it back unchanged.
    pub fn write_rep<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        writeln!(out, "{}", self.heap_size_hint)?;
        writeln!(out, "{}", self.ids)?;
        writeln!(out, "{}", self.ops.len())?;
        writeln!(out, "{}", self.weight)?;
        for op in &self.ops {
            writeln!(out, "{op}")?;
        }
        Ok(())
    }

    /// The trace as the text of a `.rep` file (see [`Trace::write_rep`]).
    pub fn to_rep_string(&self) -> String {
        let mut s = String::with_capacity(16 + self.ops.len() * 12);
        // Writing into a String cannot fail.
        let _ = self.write_rep(&mut s);
        s
    }
}

impl core::str::FromStr for Trace {
    type Err = TraceError;

    fn from_str(text: &str) -> Result<Trace, TraceError> {
        parse(text)
    }
}
