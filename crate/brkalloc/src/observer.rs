//! What the heap does, step by step, reported to an [`Observer`].
//!
//! The playground narrates and animates from these events. The default observer, `()`, does
//! nothing; its empty, inlined method costs nothing in a `#[global_allocator]`.
//!
//! An event also describes itself — its [`kind`](Event::kind) and its named
//! [`fields`](Event::fields) — so that code outside the allocator (the playground's JSON, its
//! TypeScript types) is built from this one definition instead of restating it.

/// One thing the heap did. Addresses are plain numbers: header addresses name blocks, sizes are
/// data bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The search looked at a block.
    Visit {
        /// The block's header.
        block: usize,
        /// Its data size.
        size: usize,
        /// Whether it is free.
        free: bool,
        /// Whether it is free and large enough.
        fits: bool,
    },
    /// The segregated policy looked up a size class.
    SizeClass {
        /// The index of the class list that was taken.
        class: usize,
        /// The smallest data size in that class.
        min_size: usize,
    },
    /// A free block was chosen and is now used.
    Reuse {
        /// The block's header.
        block: usize,
        /// Its data size.
        size: usize,
    },
    /// A free block was cut in two: the front keeps `size`, the rest becomes a free block.
    Split {
        /// The block that was cut.
        block: usize,
        /// Its data size after the cut.
        size: usize,
        /// The header of the new block made from the rest.
        rest: usize,
        /// The rest's data size.
        rest_size: usize,
    },
    /// A new block was written at the old break and linked to the end of the chain.
    Append {
        /// The new block's header.
        block: usize,
        /// Its data size.
        size: usize,
    },
    /// The last block was free but too small, so the break moved up to make it big enough,
    /// instead of a new block being appended after it.
    Extend {
        /// The block's header.
        block: usize,
        /// Its data size before.
        from: usize,
        /// Its data size after.
        to: usize,
    },
    /// A block was marked free and stays in the chain, to be reused.
    MarkFree {
        /// The block's header.
        block: usize,
        /// Its data size.
        size: usize,
    },
    /// Two neighbouring free blocks were merged into one.
    Coalesce {
        /// The block that remains (the lower one).
        block: usize,
        /// The block that was absorbed.
        absorbed: usize,
        /// The data size of the merged block.
        size: usize,
    },
    /// Blocks at the end of the heap were removed from the chain and their bytes given back.
    Release {
        /// The header of the first block given back.
        block: usize,
        /// How many blocks.
        blocks: usize,
        /// How many bytes, headers included.
        bytes: usize,
    },
    /// The break moved.
    BreakMoved {
        /// Where it was.
        from: usize,
        /// Where it is now.
        to: usize,
    },
    /// The backend obtained new pages (wasm `memory.grow`).
    PagesGrown {
        /// Pages obtained by this move.
        pages: usize,
        /// Pages obtained so far in all.
        total: usize,
    },
    /// New memory was not adjacent to the heap: a new segment starts here.
    NewSegment {
        /// The end of the previous segment.
        gap_from: usize,
        /// The start of the new segment.
        start: usize,
    },
    /// `realloc` resized a block where it stands.
    ResizeInPlace {
        /// The block's header.
        block: usize,
        /// Its data size before.
        from: usize,
        /// Its data size after.
        to: usize,
    },
    /// The free last block grew past the trim threshold, so it was cut down and the rest
    /// given back through the break (the unchecked `free`, in constant time).
    Trim {
        /// The block's header.
        block: usize,
        /// Its data size before.
        from: usize,
        /// Its data size after.
        to: usize,
    },
    /// The checked `free` or `realloc` looked for the block whose data is at `addr`, before
    /// touching anything: by walking the chain, which is why they take longer as the heap
    /// grows, or, when the heap's [`StartMap`](crate::StartMap) holds the header before `addr`,
    /// by reading that header alone (`blocks` is then 1).
    Lookup {
        /// The address given.
        addr: usize,
        /// Blocks looked at.
        blocks: usize,
    },
    /// `realloc` moved the data to another block.
    Move {
        /// The old data address.
        from: usize,
        /// The new data address.
        to: usize,
        /// Bytes copied.
        bytes: usize,
    },
}

/// The value of one of an event's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// An address, a size or a count.
    Number(usize),
    /// Yes or no.
    Flag(bool),
}

/// An event's fields, as [`Event::fields`] gives them: at most four, in declaration order.
#[derive(Clone, Debug)]
pub struct Fields {
    items: [(&'static str, Value); 4],
    len: usize,
    next: usize,
}

impl Iterator for Fields {
    type Item = (&'static str, Value);

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.items.get(self.next).filter(|_| self.next < self.len)?;
        self.next += 1;
        Some(*item)
    }
}

impl Event {
    /// Every kind of event, in declaration order, as [`Event::kind`] names them.
    pub const KINDS: [&'static str; 16] = [
        "visit",
        "size-class",
        "reuse",
        "split",
        "append",
        "extend",
        "mark-free",
        "coalesce",
        "release",
        "break-moved",
        "pages-grown",
        "new-segment",
        "resize-in-place",
        "trim",
        "lookup",
        "move",
    ];

    /// The event's name, in the words the playground uses: `visit`, `size-class`, `reuse`, …
    pub const fn kind(&self) -> &'static str {
        Event::KINDS[self.index()]
    }

    /// The event's position in [`Event::KINDS`].
    const fn index(&self) -> usize {
        match self {
            Event::Visit { .. } => 0,
            Event::SizeClass { .. } => 1,
            Event::Reuse { .. } => 2,
            Event::Split { .. } => 3,
            Event::Append { .. } => 4,
            Event::Extend { .. } => 5,
            Event::MarkFree { .. } => 6,
            Event::Coalesce { .. } => 7,
            Event::Release { .. } => 8,
            Event::BreakMoved { .. } => 9,
            Event::PagesGrown { .. } => 10,
            Event::NewSegment { .. } => 11,
            Event::ResizeInPlace { .. } => 12,
            Event::Trim { .. } => 13,
            Event::Lookup { .. } => 14,
            Event::Move { .. } => 15,
        }
    }

    /// The event's fields, each by its name as the playground writes it (`block`, `minSize`,
    /// `restSize`, …), in declaration order.
    pub fn fields(&self) -> Fields {
        use Value::{Flag, Number as N};
        let pad = ("", N(0));
        let (items, len): ([(&'static str, Value); 4], usize) = match *self {
            Event::Visit {
                block,
                size,
                free,
                fits,
            } => (
                [
                    ("block", N(block)),
                    ("size", N(size)),
                    ("free", Flag(free)),
                    ("fits", Flag(fits)),
                ],
                4,
            ),
            Event::SizeClass { class, min_size } => {
                ([("class", N(class)), ("minSize", N(min_size)), pad, pad], 2)
            }
            Event::Reuse { block, size }
            | Event::Append { block, size }
            | Event::MarkFree { block, size } => {
                ([("block", N(block)), ("size", N(size)), pad, pad], 2)
            }
            Event::Split {
                block,
                size,
                rest,
                rest_size,
            } => (
                [
                    ("block", N(block)),
                    ("size", N(size)),
                    ("rest", N(rest)),
                    ("restSize", N(rest_size)),
                ],
                4,
            ),
            Event::Extend { block, from, to }
            | Event::ResizeInPlace { block, from, to }
            | Event::Trim { block, from, to } => (
                [("block", N(block)), ("from", N(from)), ("to", N(to)), pad],
                3,
            ),
            Event::Coalesce {
                block,
                absorbed,
                size,
            } => (
                [
                    ("block", N(block)),
                    ("absorbed", N(absorbed)),
                    ("size", N(size)),
                    pad,
                ],
                3,
            ),
            Event::Release {
                block,
                blocks,
                bytes,
            } => (
                [
                    ("block", N(block)),
                    ("blocks", N(blocks)),
                    ("bytes", N(bytes)),
                    pad,
                ],
                3,
            ),
            Event::BreakMoved { from, to } => ([("from", N(from)), ("to", N(to)), pad, pad], 2),
            Event::PagesGrown { pages, total } => {
                ([("pages", N(pages)), ("total", N(total)), pad, pad], 2)
            }
            Event::NewSegment { gap_from, start } => {
                ([("gapFrom", N(gap_from)), ("start", N(start)), pad, pad], 2)
            }
            Event::Lookup { addr, blocks } => {
                ([("addr", N(addr)), ("blocks", N(blocks)), pad, pad], 2)
            }
            Event::Move { from, to, bytes } => (
                [("from", N(from)), ("to", N(to)), ("bytes", N(bytes)), pad],
                3,
            ),
        };
        Fields {
            items,
            len,
            next: 0,
        }
    }
}

/// Receives each [`Event`] as the heap does it.
pub trait Observer {
    /// Called for each event, in order.
    #[inline(always)]
    fn event(&mut self, _event: Event) {}
}

/// The observer that does nothing.
impl Observer for () {}
