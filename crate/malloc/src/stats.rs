//! `BRKALLOC_STATS=1`: high-water marks kept while the program runs, and a report at exit.
//!
//! Every counter is updated with the heap's lock held (from inside [`crate::serve`]), so plain
//! loads and stores are enough; they are atomics only so that the statics need no `unsafe`.
//! Nothing here runs when the setting is off.

use core::fmt::Write;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::report::{Message, Thousands};
use crate::{MallocHeap, HEAP};

/// The highest `brk − heap_start` seen: the most memory the heap spanned.
static PEAK_HEAP: AtomicUsize = AtomicUsize::new(0);
/// Data bytes of the used blocks now.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The highest [`LIVE`] seen.
static PEAK_LIVE: AtomicUsize = AtomicUsize::new(0);
/// Calls served, by kind: allocations (malloc, calloc and the aligned ones), frees, reallocs.
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static FREES: AtomicUsize = AtomicUsize::new(0);
static REALLOCS: AtomicUsize = AtomicUsize::new(0);

/// Adds one to a counter (the caller holds the heap's lock).
fn bump(counter: &AtomicUsize, by: usize) {
    counter.store(counter.load(Relaxed).wrapping_add(by), Relaxed);
}

/// Raises `peak` to `value` if it is higher.
fn raise(peak: &AtomicUsize, value: usize) {
    if value > peak.load(Relaxed) {
        peak.store(value, Relaxed);
    }
}

/// A block of `bytes` data bytes was allocated.
pub(crate) fn allocated(bytes: usize) {
    bump(&ALLOCS, 1);
    let live = LIVE.load(Relaxed) + bytes;
    LIVE.store(live, Relaxed);
    raise(&PEAK_LIVE, live);
}

/// A block of `bytes` data bytes was freed.
pub(crate) fn freed(bytes: usize) {
    bump(&FREES, 1);
    LIVE.store(LIVE.load(Relaxed).saturating_sub(bytes), Relaxed);
}

/// A block of `old` data bytes now has `new` (in place or moved).
pub(crate) fn resized(old: usize, new: usize) {
    bump(&REALLOCS, 1);
    let live = LIVE.load(Relaxed).saturating_sub(old) + new;
    LIVE.store(live, Relaxed);
    raise(&PEAK_LIVE, live);
}

/// After every call: the heap's extent, for its high-water mark.
pub(crate) fn extent(heap: &MallocHeap) {
    raise(&PEAK_HEAP, heap.brk() - heap.heap_start());
}

/// Prints the report to standard error.
pub(crate) fn print_report() {
    let now = HEAP.stats();
    let peak_heap = PEAK_HEAP.load(Relaxed);
    let peak_live = PEAK_LIVE.load(Relaxed);
    let mut m = Message::new();
    // SAFETY: `getpid` has no preconditions.
    let pid = unsafe { libc::getpid() };
    let _ = writeln!(m, "brkalloc: stats at exit (pid {pid}, BRKALLOC_STATS=1)");
    let _ = writeln!(
        m,
        "brkalloc:   peak heap        {} bytes (break - heap start, at its highest)",
        Thousands(peak_heap)
    );
    let _ = writeln!(
        m,
        "brkalloc:   peak live data   {} bytes (data of used blocks, at its highest)",
        Thousands(peak_live)
    );
    let _ = write!(m, "brkalloc:   utilisation      ");
    let _ = match permille(peak_live, peak_heap) {
        Some(p) => writeln!(m, "{}.{}% (peak live data / peak heap)", p / 10, p % 10),
        None => writeln!(m, "- (the heap never grew)"),
    };
    let _ = writeln!(
        m,
        "brkalloc:   at exit          {} blocks: {} used ({} bytes), {} free ({} bytes); heap {} bytes",
        Thousands(now.blocks),
        Thousands(now.used_blocks),
        Thousands(now.used_bytes),
        Thousands(now.free_blocks),
        Thousands(now.free_bytes),
        Thousands(now.brk - now.heap_start),
    );
    let _ = writeln!(
        m,
        "brkalloc:   calls            {} allocations, {} frees, {} reallocs",
        Thousands(ALLOCS.load(Relaxed)),
        Thousands(FREES.load(Relaxed)),
        Thousands(REALLOCS.load(Relaxed)),
    );
    m.print();
}

/// `part / whole` in tenths of a percent, rounded down; `None` when `whole` is 0.
pub(crate) fn permille(part: usize, whole: usize) -> Option<usize> {
    if whole == 0 {
        return None;
    }
    // u128: `part * 1000` cannot overflow.
    Some((part as u128 * 1000 / whole as u128) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilisation_is_in_tenths_of_a_percent() {
        assert_eq!(permille(1, 2), Some(500));
        assert_eq!(permille(2, 3), Some(666));
        assert_eq!(permille(0, 10), Some(0));
        assert_eq!(permille(10, 10), Some(1000));
        assert_eq!(permille(usize::MAX, usize::MAX), Some(1000));
        assert_eq!(permille(5, 0), None);
    }
}
