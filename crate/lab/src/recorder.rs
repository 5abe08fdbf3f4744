//! [`Recorder`]: an observer that keeps the events, for narration and tests.

use alloc::vec::Vec;

use brkalloc::{Event, Observer};

/// An observer that keeps the events, for narration and tests.
///
/// A search on a long chain visits thousands of blocks; past [`visit_limit`](Recorder::visit_limit)
/// visits in one recording, further [`Event::Visit`]s are only counted (in
/// [`more_visits`](Recorder::more_visits) and [`more_free_visits`](Recorder::more_free_visits)),
/// so that narrating one operation stays cheap whatever the heap's size.
#[derive(Clone, Debug)]
pub struct Recorder {
    /// The events so far, oldest first.
    pub events: Vec<Event>,
    /// How many visits to keep as events before only counting them (unlimited by default).
    pub visit_limit: usize,
    /// Visits counted beyond the limit.
    pub more_visits: usize,
    /// Of those, visits to free blocks.
    pub more_free_visits: usize,
    visits: usize,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::with_visit_limit(usize::MAX)
    }
}

impl Recorder {
    /// A recorder that keeps at most `visit_limit` visits per recording as events.
    pub fn with_visit_limit(visit_limit: usize) -> Self {
        Recorder {
            events: Vec::new(),
            visit_limit,
            more_visits: 0,
            more_free_visits: 0,
            visits: 0,
        }
    }

    /// Takes the events recorded so far, leaving none, and starts counting visits afresh.
    pub fn take(&mut self) -> Vec<Event> {
        self.visits = 0;
        self.more_visits = 0;
        self.more_free_visits = 0;
        core::mem::take(&mut self.events)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use brkalloc::{ArenaBreak, Heap, Options};
    use core::mem::MaybeUninit;

    #[test]
    fn recorder_counts_visits_past_its_limit() {
        let mut buf = alloc::vec![MaybeUninit::new(0u8); 1 << 16];
        let mut heap = Heap::with_observer(
            ArenaBreak::new(&mut buf),
            Options::SEED,
            Recorder::with_visit_limit(3),
        );
        let blocks: Vec<_> = (0..10).map(|_| heap.alloc(8).unwrap()).collect();
        heap.free(blocks[7].as_ptr()).unwrap();
        heap.observer_mut().take();
        heap.alloc(8).unwrap();
        let r = heap.observer_mut();
        let visits = r
            .events
            .iter()
            .filter(|e| matches!(e, Event::Visit { .. }))
            .count();
        assert_eq!(visits, 3, "the first three visits are kept");
        assert_eq!(r.more_visits, 5, "the other five are counted");
        assert_eq!(r.more_free_visits, 1, "including the free block it reused");
        assert!(r.events.iter().any(|e| matches!(e, Event::Reuse { .. })));
        r.take();
        assert_eq!((r.more_visits, r.more_free_visits), (0, 0));
    }
}
