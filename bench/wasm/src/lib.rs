//! The wasm32 throughput module: every allocator under test in one module, each over the
//! module's linear memory, driven through plain `extern "C"` exports by `run.mjs` under Node.
//!
//! The runner instantiates the module afresh for every (allocator, workload) pair, so the
//! allocator it `start`s is the only thing that grows the memory, and the workload's own
//! bookkeeping (the block table and the trace) lives in statics, not on any heap. Exports that
//! need a started allocator return [`NOT_STARTED`] without one.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![cfg(target_arch = "wasm32")]

use core::cell::UnsafeCell;

use bench_core::adapters::{Brkalloc, Dlmalloc, LolAlloc, TalcAlloc};
use bench_core::rng::Rng;
use bench_core::workload::{self, Slot, Tally};
use bench_core::BenchAlloc;
use brkalloc::{GrowOnlyConfig, Options, Policy, WasmPages};
use talc::wasm::WasmBinning;

/// Blocks the workloads can hold at once (and the largest trace id plus one).
const SLOTS: usize = 1 << 17;
/// Words of the trace buffer: two per operation.
const TRACE_WORDS: usize = 1 << 19;

/// Returned by an export that needs a started allocator when there is none.
pub const NOT_STARTED: u32 = u32::MAX;

/// The allocator under test. The segregated policy uses `GrowOnlyConfig`, the configuration of
/// brkalloc's `GlobalAlloc` adapter on wasm; the others run-time `Options`.
enum Subject {
    Policy(Brkalloc<WasmPages, Options>),
    Segregated(Brkalloc<WasmPages, GrowOnlyConfig>),
    Dlmalloc(Dlmalloc<WasmPages>),
    Talc(TalcAlloc<WasmPages, WasmBinning>),
    Lol(LolAlloc),
}

struct State {
    subject: Option<Subject>,
    /// The block table (`BLOCKS`).
    slots: &'static mut [Slot; SLOTS],
    /// Live blocks of random actions and scaling: `slots[..len]`.
    len: usize,
    /// The trace buffer (`TRACE`).
    trace: &'static mut [u32; TRACE_WORDS],
    tally: Tally,
    rng: Rng,
}

/// A static the module's single thread owns. Wasm without threads runs one export at a time,
/// and no export calls another, so there is never more than one reference to its contents.
struct Global<T>(UnsafeCell<T>);

// SAFETY: see `Global`: this module has a single thread.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    /// # Safety
    ///
    /// No other reference to the contents is alive (see `Global`).
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&'static self) -> &'static mut T {
        // SAFETY: the caller guarantees exclusivity.
        unsafe { &mut *self.0.get() }
    }
}

// The two big tables are all zeros, so they cost the module no bytes (they live in `.bss`).
static BLOCKS: Global<[Slot; SLOTS]> = Global(UnsafeCell::new([Slot::EMPTY; SLOTS]));
static TRACE: Global<[u32; TRACE_WORDS]> = Global(UnsafeCell::new([0; TRACE_WORDS]));
static STATE: Global<Option<State>> = Global(UnsafeCell::new(None));

fn state() -> &'static mut State {
    // SAFETY: see `Global`: each export takes this reference once and drops it on return;
    // `BLOCKS` and `TRACE` are borrowed only here, once, into the state.
    unsafe {
        STATE.get().get_or_insert_with(|| State {
            subject: None,
            slots: BLOCKS.get(),
            len: 0,
            trace: TRACE.get(),
            tally: Tally::default(),
            rng: Rng::new(0),
        })
    }
}

/// Runs `$body` with `$a` bound to the started allocator, monomorphised for each, or returns
/// [`NOT_STARTED`].
macro_rules! with_subject {
    ($s:expr, |$a:ident| $body:expr) => {
        match $s.subject.as_mut() {
            Some(Subject::Policy($a)) => $body,
            Some(Subject::Segregated($a)) => $body,
            Some(Subject::Dlmalloc($a)) => $body,
            Some(Subject::Talc($a)) => $body,
            Some(Subject::Lol($a)) => $body,
            None => return NOT_STARTED,
        }
    };
}

/// Makes allocator number `subject` (see `bench_core::WASM_SUBJECTS`) the one under test.
/// Returns 0, 1 for an unknown number, or 2 if one was already started (use a new instance).
#[no_mangle]
pub extern "C" fn start(subject: u32) -> u32 {
    let s = state();
    if s.subject.is_some() {
        return 2;
    }
    let policy = |p| Subject::Policy(Brkalloc::new(WasmPages, Options::with_policy(p)));
    s.subject = Some(match subject {
        0 => policy(Policy::FirstFit),
        1 => policy(Policy::NextFit),
        2 => policy(Policy::BestFit),
        3 => policy(Policy::WorstFit),
        4 => Subject::Segregated(Brkalloc::new(WasmPages, GrowOnlyConfig)),
        5 => Subject::Dlmalloc(Dlmalloc::new(WasmPages)),
        6 => Subject::Talc(TalcAlloc::new(WasmPages)),
        7 => Subject::Lol(LolAlloc::new()),
        _ => return 1,
    });
    0
}

/// Restarts the workloads' random numbers from `seed_hi:seed_lo`. Returns 0.
#[no_mangle]
pub extern "C" fn seed(seed_lo: u32, seed_hi: u32) -> u32 {
    state().rng = Rng::new(u64::from(seed_hi) << 32 | u64::from(seed_lo));
    0
}

/// Random actions: `actions` more operations (with realloc when `realloc` is not 0), going on
/// from the blocks and random numbers the previous call left. Returns 0.
#[no_mangle]
pub extern "C" fn random_actions(actions: u32, realloc: u32) -> u32 {
    let s = state();
    with_subject!(s, |a| {
        // SAFETY: the block table only ever holds blocks of this allocator, the only one this
        // instance ever starts.
        unsafe {
            workload::random_actions(
                a,
                s.slots,
                &mut s.len,
                u64::from(actions),
                realloc != 0,
                &mut s.rng,
                &mut s.tally,
            )
        }
    });
    0
}

/// The stack workload, `rounds` more rounds. Returns 0.
#[no_mangle]
pub extern "C" fn stack(rounds: u32) -> u32 {
    let s = state();
    with_subject!(s, |a| {
        // SAFETY: as in `random_actions`.
        unsafe { workload::stack(a, s.slots, &mut s.len, rounds, &mut s.rng, &mut s.tally) }
    });
    0
}

/// Where the runner writes a trace (pairs of words, see `bench_core::workload::encode`).
#[no_mangle]
pub extern "C" fn trace_buffer() -> *mut u32 {
    state().trace.as_mut_ptr()
}

/// How many words the trace buffer holds.
#[no_mangle]
pub extern "C" fn trace_capacity() -> u32 {
    TRACE_WORDS as u32
}

/// Replays words `start..start + words` of the trace buffer (whole operations: both even).
/// Returns 0, or 1 if the range is outside the buffer.
#[no_mangle]
pub extern "C" fn replay(start: u32, words: u32) -> u32 {
    let s = state();
    let Some(ops) = (start as usize)
        .checked_add(words as usize)
        .and_then(|end| s.trace.get(start as usize..end))
    else {
        return 1;
    };
    with_subject!(s, |a| {
        // SAFETY: as in `random_actions`.
        unsafe { workload::replay(a, s.slots, ops, &mut s.tally) }
    });
    0
}

/// Scaling: allocates until `target` blocks are live (with the random numbers `seed` set).
/// Returns 0.
#[no_mangle]
pub extern "C" fn fill(target: u32) -> u32 {
    let s = state();
    with_subject!(s, |a| {
        // SAFETY: as in `random_actions`.
        unsafe {
            workload::fill(
                a,
                s.slots,
                &mut s.len,
                target as usize,
                &mut s.rng,
                &mut s.tally,
            )
        }
    });
    0
}

/// Scaling: `pairs` times, frees a random live block and allocates another. Returns 0.
#[no_mangle]
pub extern "C" fn churn(pairs: u32) -> u32 {
    let s = state();
    with_subject!(s, |a| {
        // SAFETY: as in `random_actions`.
        unsafe {
            workload::churn(
                a,
                s.slots,
                &mut s.len,
                u64::from(pairs),
                &mut s.rng,
                &mut s.tally,
            )
        }
    });
    0
}

/// Frees every block the workloads hold. Returns 0.
#[no_mangle]
pub extern "C" fn release() -> u32 {
    let s = state();
    with_subject!(s, |a| {
        // SAFETY: as in `random_actions`.
        unsafe { workload::release_ids(a, s.slots, &mut s.tally) }
    });
    s.len = 0;
    0
}

/// Live blocks of random actions or scaling.
#[no_mangle]
pub extern "C" fn live_blocks() -> u32 {
    state().len as u32
}

/// Operations performed so far, all runs of this instance together.
#[no_mangle]
pub extern "C" fn actions() -> f64 {
    state().tally.actions as f64
}

/// The most bytes live at once so far.
#[no_mangle]
pub extern "C" fn peak_live() -> f64 {
    state().tally.peak_live as f64
}

/// Requests refused so far.
#[no_mangle]
pub extern "C" fn failed() -> f64 {
    state().tally.failed as f64
}

/// Blocks found damaged so far.
#[no_mangle]
pub extern "C" fn corrupted() -> f64 {
    state().tally.corrupted as f64
}

/// The allocator's heap extent (see `BenchAlloc::peak_extent`); -1 if unknown, or not started.
#[no_mangle]
pub extern "C" fn peak_extent() -> f64 {
    let s = state();
    let a: Option<&mut dyn BenchAlloc> = match s.subject.as_mut() {
        Some(Subject::Policy(a)) => Some(a),
        Some(Subject::Segregated(a)) => Some(a),
        Some(Subject::Dlmalloc(a)) => Some(a),
        Some(Subject::Talc(a)) => Some(a),
        Some(Subject::Lol(a)) => Some(a),
        None => None,
    };
    a.and_then(|a| a.peak_extent()).map_or(-1.0, |b| b as f64)
}

/// Bytes of pages grown for the allocator; -1 if unknown, or not started.
#[no_mangle]
pub extern "C" fn footprint() -> f64 {
    let s = state();
    let a: Option<&mut dyn BenchAlloc> = match s.subject.as_mut() {
        Some(Subject::Policy(a)) => Some(a),
        Some(Subject::Segregated(a)) => Some(a),
        Some(Subject::Dlmalloc(a)) => Some(a),
        Some(Subject::Talc(a)) => Some(a),
        Some(Subject::Lol(a)) => Some(a),
        None => None,
    };
    a.and_then(|a| a.footprint()).map_or(-1.0, |b| b as f64)
}

/// The module's global allocator refuses everything: talc links the `alloc` crate, which needs
/// one, but nothing here may allocate outside the allocator under test.
struct Refuse;

// SAFETY: null is always a valid answer to `alloc`, and `dealloc` is never given a block
// because none is ever handed out.
unsafe impl core::alloc::GlobalAlloc for Refuse {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[global_allocator]
static REFUSE: Refuse = Refuse;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
