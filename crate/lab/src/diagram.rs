//! The heap drawn as text, for the command line (`brkalloc replay --diagram`): a column of
//! boxes from the heap start down to the break, one a block, each a header and its data, linked
//! by their `next` arrows, as in the brief's picture.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::snapshot::Snapshot;
use crate::wording::thousands;

/// Blocks drawn at each end of a long chain; the ones between are summed up on one line.
const DIAGRAM_ENDS: usize = 4;
/// Width of a block's box, borders included.
const BOX_WIDTH: usize = 44;
/// Column of the `next` arrow that leads down to the following block.
const ARROW_COLUMN: usize = 13;

/// Draws the heap as a column of boxes, one a block, from the heap start down to the break:
/// each a header and its data, linked by their `next` arrows.
pub fn diagram(s: &Snapshot) -> String {
    let mut out = String::new();
    if s.blocks.is_empty() {
        let _ = writeln!(
            out,
            "The heap is empty: heap start = program break = 0x{:x}.",
            s.brk
        );
        return out;
    }
    let count = s.blocks.len();
    let border = format!("+--------+{}+", "-".repeat(BOX_WIDTH - 11));
    let arrow_pad = " ".repeat(ARROW_COLUMN);
    let _ = writeln!(out, "heap start 0x{:x}", s.heap_start);
    if s.blocks.iter().any(|b| b.derived) {
        let _ = writeln!(
            out,
            "(next is derived, not stored: the next header is at header + {} + size; where the \
             chain jumps a gap, the segment table says where)",
            s.header_size
        );
    }
    let _ = writeln!(out, "|\nv");
    let shown =
        |i: usize| count <= 2 * DIAGRAM_ENDS + 1 || i < DIAGRAM_ENDS || i >= count - DIAGRAM_ENDS;
    let mut i = 0;
    while i < count {
        if !shown(i) {
            let hidden = &s.blocks[i..count - DIAGRAM_ENDS];
            let free: Vec<_> = hidden.iter().filter(|b| b.free).collect();
            let used_bytes: usize = hidden.iter().filter(|b| !b.free).map(|b| b.size).sum();
            let free_bytes: usize = free.iter().map(|b| b.size).sum();
            let _ = writeln!(
                out,
                "{arrow_pad}:   ... {} more blocks: {} used ({} bytes), {} free ({} bytes) ...",
                thousands(hidden.len()),
                thousands(hidden.len() - free.len()),
                thousands(used_bytes),
                thousands(free.len()),
                thousands(free_bytes)
            );
            let _ = writeln!(out, "{arrow_pad}|\n{arrow_pad}v");
            i = count - DIAGRAM_ENDS;
            continue;
        }
        let b = &s.blocks[i];
        let last = i + 1 == count;
        let _ = writeln!(
            out,
            "{border}  block {} of {}, header at 0x{:x} (heap start + {})",
            thousands(i + 1),
            thousands(count),
            b.header,
            thousands(b.header - s.heap_start)
        );
        let data = format!(
            " data: {} bytes, {}",
            thousands(b.size),
            if b.free { "free" } else { "used" }
        );
        let data_width = BOX_WIDTH - 11;
        let _ = writeln!(out, "| header |{data:<data_width$}|");
        if last {
            let _ = writeln!(out, "| {:<w$}|", "next = null", w = BOX_WIDTH - 3);
            let _ = writeln!(out, "{border}");
        } else {
            let _ = writeln!(
                out,
                "| next --+---+{}|",
                " ".repeat(BOX_WIDTH - ARROW_COLUMN - 2)
            );
            let _ = writeln!(
                out,
                "+--------+---|{}+",
                "-".repeat(BOX_WIDTH - ARROW_COLUMN - 2)
            );
            let end = b.data + b.size;
            if b.next != end {
                let _ = writeln!(
                    out,
                    "{arrow_pad}|  next jumps over a gap of {} bytes: a new segment starts",
                    thousands(b.next.saturating_sub(end))
                );
            }
            if shown(i + 1) {
                let _ = writeln!(out, "{arrow_pad}v");
            } else {
                let _ = writeln!(out, "{arrow_pad}|");
            }
        }
        i += 1;
    }
    let _ = writeln!(out, "{}^", " ".repeat(BOX_WIDTH - 1));
    let _ = writeln!(
        out,
        "{}program break 0x{:x} (heap start + {})",
        " ".repeat(BOX_WIDTH - 1),
        s.brk,
        thousands(s.brk - s.heap_start)
    );
    let t = &s.totals;
    let _ = writeln!(
        out,
        "\n{} blocks ({} used, {} free) in {} segment{}: {} bytes used, {} free, {} in headers;",
        thousands(t.blocks),
        thousands(t.blocks - t.free_blocks),
        thousands(t.free_blocks),
        s.segments.len(),
        if s.segments.len() == 1 { "" } else { "s" },
        thousands(t.used),
        thousands(t.free),
        thousands(t.overhead)
    );
    let _ = writeln!(
        out,
        "largest free block {} bytes; fragmentation {:.1}%; extent {} bytes.",
        thousands(t.largest_free),
        t.fragmentation * 100.0,
        thousands(t.extent)
    );
    out
}
