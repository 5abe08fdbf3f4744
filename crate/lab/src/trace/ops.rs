//! A trace as data: its operations ([`Op`]), the whole trace ([`Trace`]) and its limits, and
//! the `.rep` text it is written back as.

use alloc::string::String;
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
/// A trace that came from `parse` or `generate` is valid: every id is below `ids`, only
/// live blocks are freed or reallocated, and no id is allocated while it is live.
/// [`Trace::validate`](Trace::validate) checks that for a trace built by hand.
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

    /// Writes the trace as a `.rep` file: the four header numbers one a line (the operation
    /// count is `ops.len()`), then one operation a line. `parse` reads it back
    /// unchanged.
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
