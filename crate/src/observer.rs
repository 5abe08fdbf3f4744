//! What the heap does, step by step, reported to an [`Observer`].
//!
//! The playground narrates and animates from these events. The default observer, `()`, does
//! nothing; its empty, inlined method costs nothing in a `#[global_allocator]`.

/// One thing the heap did. Addresses are plain numbers: header addresses name blocks, sizes are
/// data bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize))]
#[cfg_attr(
    feature = "alloc",
    serde(
        tag = "kind",
        rename_all = "kebab-case",
        rename_all_fields = "camelCase"
    )
)]
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
    /// The checked `free` or `realloc` walked the chain to find the block whose data is at
    /// `addr`, before touching anything: that walk is why they take longer as the heap grows.
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

/// Receives each [`Event`] as the heap does it.
pub trait Observer {
    /// Called for each event, in order.
    #[inline(always)]
    fn event(&mut self, _event: Event) {}
}

/// The observer that does nothing.
impl Observer for () {}

/// An observer that keeps the events, for narration and tests.
///
/// A search on a long chain visits thousands of blocks; past [`visit_limit`](Recorder::visit_limit)
/// visits in one recording, further [`Event::Visit`]s are only counted (in
/// [`more_visits`](Recorder::more_visits) and [`more_free_visits`](Recorder::more_free_visits)),
/// so that narrating one operation stays cheap whatever the heap's size.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug)]
pub struct Recorder {
    /// The events so far, oldest first.
    pub events: alloc::vec::Vec<Event>,
    /// How many visits to keep as events before only counting them (unlimited by default).
    pub visit_limit: usize,
    /// Visits counted beyond the limit.
    pub more_visits: usize,
    /// Of those, visits to free blocks.
    pub more_free_visits: usize,
    visits: usize,
}

#[cfg(feature = "alloc")]
impl Default for Recorder {
    fn default() -> Self {
        Recorder::with_visit_limit(usize::MAX)
    }
}

#[cfg(feature = "alloc")]
impl Recorder {
    /// A recorder that keeps at most `visit_limit` visits per recording as events.
    pub fn with_visit_limit(visit_limit: usize) -> Self {
        Recorder {
            events: alloc::vec::Vec::new(),
            visit_limit,
            more_visits: 0,
            more_free_visits: 0,
            visits: 0,
        }
    }

    /// Takes the events recorded so far, leaving none, and starts counting visits afresh.
    pub fn take(&mut self) -> alloc::vec::Vec<Event> {
        self.visits = 0;
        self.more_visits = 0;
        self.more_free_visits = 0;
        core::mem::take(&mut self.events)
    }
}

#[cfg(feature = "alloc")]
impl Observer for Recorder {
    fn event(&mut self, event: Event) {
        if let Event::Visit { free, .. } = event {
            if self.visits >= self.visit_limit {
                self.more_visits += 1;
                self.more_free_visits += usize::from(free);
                return;
            }
            self.visits += 1;
        }
        self.events.push(event);
    }
}
