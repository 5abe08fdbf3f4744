//! The checks of `SbrkBreak` against the real process break; see `../sbrk.rs`.

use brkalloc::{Break, BreakError, SbrkBreak};
use std::process::ExitCode;

/// Fails the check with a message if the condition does not hold.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

type Check = fn() -> Result<(), String>;

/// A backend on the process break.
fn new_break() -> SbrkBreak {
    // SAFETY: this binary runs its checks one at a time on its only thread, and none of them
    // allocates (so that the C library's `malloc` could move the break) during a call of the
    // backend: nothing moves the break while one of its methods runs.
    unsafe { SbrkBreak::new() }
}

#[cfg(not(miri))]
const CHECKS: &[(&str, Check)] = &[
    ("sbrk_zero_changes_nothing", sbrk_zero_changes_nothing),
    (
        "growth_returns_adjacent_writable_bytes",
        growth_returns_adjacent_writable_bytes,
    ),
    (
        "foreign_move_gives_a_new_region",
        foreign_move_gives_a_new_region,
    ),
    (
        "shrink_after_a_foreign_move_is_refused",
        shrink_after_a_foreign_move_is_refused,
    ),
    (
        "shrink_when_untouched_gives_bytes_back",
        shrink_when_untouched_gives_bytes_back,
    ),
    ("below_start_is_refused", below_start_is_refused),
    (
        "global_alloc_gives_the_end_back_past_the_threshold",
        global_alloc_gives_the_end_back_past_the_threshold,
    ),
    (
        "huge_growth_fails_and_changes_nothing",
        huge_growth_fails_and_changes_nothing,
    ),
    (
        "model_on_the_process_break_seeded",
        model_on_the_process_break_seeded,
    ),
    (
        "model_on_the_process_break_proptest",
        model_on_the_process_break_proptest,
    ),
];

/// Miri cannot run `sbrk`, so there is nothing to check under it.
#[cfg(miri)]
const CHECKS: &[(&str, Check)] = &[];

/// Runs every check in turn, printing a line for each and a summary; returns how many failed.
fn run_checks() -> usize {
    let (mut passed, mut failed) = (0, 0);
    for (name, check) in CHECKS {
        match check() {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(why) => {
                println!("test {name} ... FAILED\n    {why}");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    failed
}

pub fn main() -> ExitCode {
    if run_checks() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The process break, as `sbrk(0)` reports it.
fn process_break() -> *mut u8 {
    // SAFETY: `sbrk(0)` only reads the break.
    unsafe { libc::sbrk(0) }.cast()
}

/// Moves the process break behind `SbrkBreak`'s back, as the C library's `malloc` might.
fn foreign_sbrk(delta: isize) -> *mut u8 {
    // SAFETY: moves the break by a few bytes on the only thread that runs; any bytes given back
    // are the ones this same function took just before.
    let old = unsafe { libc::sbrk(delta) };
    assert_ne!(old as usize, usize::MAX, "sbrk({delta}) failed");
    old.cast()
}

/// Writes `len` bytes at `p`, then reads them back.
///
/// # Safety
///
/// The bytes must be ones the break handed out and still owns.
unsafe fn write_and_read(p: *mut u8, len: usize, byte: u8) -> bool {
    // SAFETY: the caller promises the bytes are ours, readable and writable.
    unsafe {
        p.write_bytes(byte, len);
        (0..len).all(|i| p.add(i).read() == byte)
    }
}

fn sbrk_zero_changes_nothing() -> Result<(), String> {
    let mut brk = new_break();
    let before = process_break();
    let got = brk.sbrk(0);
    let after = process_break();
    ensure!(
        got == Ok(brk.current()),
        "sbrk(0) gave {got:?}, current() is {:?}",
        brk.current()
    );
    ensure!(
        before == after,
        "sbrk(0) moved the process break from {before:?} to {after:?}"
    );
    Ok(())
}

fn growth_returns_adjacent_writable_bytes() -> Result<(), String> {
    let mut brk = new_break();
    let p = brk.sbrk(64).map_err(|e| e.to_string())?;
    let q = brk.sbrk(64).map_err(|e| e.to_string())?;
    let end = process_break();
    ensure!(
        q == p.wrapping_add(64),
        "second growth at {q:?} is not adjacent to {p:?} + 64"
    );
    ensure!(
        brk.current() == end,
        "current() {:?} is not the process break {end:?}",
        brk.current()
    );
    ensure!(
        brk.region_start() == p,
        "the region should start at the first growth"
    );
    ensure!(
        // SAFETY: 128 bytes from `p` were handed out and are below the break.
        unsafe { write_and_read(p, 128, 0x5A) },
        "the bytes did not hold what was written"
    );
    brk.sbrk(-128).map_err(|e| e.to_string())?;
    Ok(())
}

fn foreign_move_gives_a_new_region() -> Result<(), String> {
    let mut brk = new_break();
    let p = brk.sbrk(64).map_err(|e| e.to_string())?;
    let foreign = foreign_sbrk(32);
    let q = brk.sbrk(64).map_err(|e| e.to_string())?;
    ensure!(
        foreign == p.wrapping_add(64),
        "the foreign sbrk did not start at our break"
    );
    ensure!(
        q != p.wrapping_add(64),
        "growth after a foreign move claimed to be adjacent"
    );
    ensure!(
        q == foreign.wrapping_add(32),
        "the new region {q:?} is not after the foreign bytes"
    );
    ensure!(
        brk.region_start() == q,
        "the region start did not move to the new region"
    );
    ensure!(
        brk.current() == q.wrapping_add(64),
        "the break is not 64 bytes into the new region"
    );
    // SAFETY: both runs of 64 bytes were handed out and are still ours.
    unsafe {
        ensure!(write_and_read(p, 64, 1), "the old region is not writable");
        ensure!(write_and_read(q, 64, 2), "the new region is not writable");
    }
    let below = brk.sbrk(-65);
    ensure!(
        below == Err(BreakError::BelowStart),
        "moving below the new region gave {below:?}"
    );
    brk.sbrk(-64).map_err(|e| e.to_string())?;
    Ok(())
}

fn shrink_after_a_foreign_move_is_refused() -> Result<(), String> {
    let mut brk = new_break();
    let p = brk.sbrk(64).map_err(|e| e.to_string())?;
    let foreign = foreign_sbrk(16);
    let refused = brk.sbrk(-64);
    let still = process_break();
    ensure!(
        refused == Err(BreakError::Foreign),
        "shrinking under foreign bytes gave {refused:?}"
    );
    ensure!(
        brk.current() == p.wrapping_add(64),
        "a refused shrink moved current()"
    );
    ensure!(
        still == foreign.wrapping_add(16),
        "a refused shrink moved the process break"
    );
    // Once the foreign bytes are gone, the break is where it was left: shrinking works.
    foreign_sbrk(-16);
    let given_back = brk.sbrk(-64);
    ensure!(
        given_back == Ok(p.wrapping_add(64)),
        "shrinking after the foreign bytes left gave {given_back:?}"
    );
    ensure!(
        process_break() == p,
        "the process break did not come down to the region start"
    );
    Ok(())
}

fn shrink_when_untouched_gives_bytes_back() -> Result<(), String> {
    let mut brk = new_break();
    let p = brk.sbrk(4096).map_err(|e| e.to_string())?;
    let shrunk = brk.sbrk(-1000);
    let after_first = process_break();
    let rest = brk.sbrk(-3096);
    let after_all = process_break();
    ensure!(
        shrunk == Ok(p.wrapping_add(4096)),
        "the first shrink returned {shrunk:?}"
    );
    ensure!(
        after_first == p.wrapping_add(3096),
        "the process break is {after_first:?}, not p + 3096"
    );
    ensure!(
        rest == Ok(p.wrapping_add(3096)),
        "the second shrink returned {rest:?}"
    );
    ensure!(
        after_all == p && brk.current() == p,
        "the break did not come back to the start"
    );
    Ok(())
}

fn below_start_is_refused() -> Result<(), String> {
    let mut brk = new_break();
    let before = process_break();
    let empty = brk.sbrk(-1);
    ensure!(
        empty == Err(BreakError::BelowStart),
        "shrinking an empty break gave {empty:?}"
    );
    ensure!(
        process_break() == before,
        "a refused shrink moved the process break"
    );
    let p = brk.sbrk(16).map_err(|e| e.to_string())?;
    let below = brk.sbrk(-17);
    let lowest = brk.sbrk(isize::MIN);
    ensure!(
        below == Err(BreakError::BelowStart),
        "sbrk(-17) after 16 bytes gave {below:?}"
    );
    ensure!(
        lowest == Err(BreakError::BelowStart),
        "sbrk(isize::MIN) gave {lowest:?}"
    );
    ensure!(
        brk.current() == p.wrapping_add(16),
        "a refused shrink moved current()"
    );
    brk.sbrk(-16).map_err(|e| e.to_string())?;
    Ok(())
}

fn huge_growth_fails_and_changes_nothing() -> Result<(), String> {
    let mut brk = new_break();
    let before = process_break();
    let huge = brk.sbrk(isize::MAX);
    let after = process_break();
    ensure!(
        huge == Err(BreakError::OutOfMemory {
            requested: isize::MAX as usize
        }),
        "sbrk(isize::MAX) gave {huge:?}"
    );
    ensure!(after == before, "a failed growth moved the process break");
    ensure!(brk.current().is_null(), "a failed growth changed current()");
    Ok(())
}

/// Through `GlobalAlloc` on the process break: 64 B, 64 MiB, 64 B, then the last two freed.
/// Everything from the end of the first block to the break used to stay; now less than the
/// trim threshold does.
fn global_alloc_gives_the_end_back_past_the_threshold() -> Result<(), String> {
    use brkalloc::{BrkAlloc, SegregatedConfig, TRIM_THRESHOLD};
    use std::alloc::{GlobalAlloc, Layout};
    let a = BrkAlloc::new(new_break(), SegregatedConfig);
    let small = Layout::from_size_align(64, 8).unwrap();
    let big = Layout::from_size_align(64 << 20, 8).unwrap();
    // SAFETY: each pointer is freed once, with the layout it was allocated with.
    let (above, brk_moved_back) = unsafe {
        let p = a.alloc(small);
        let q = a.alloc(big);
        let r = a.alloc(small);
        ensure!(
            !p.is_null() && !q.is_null() && !r.is_null(),
            "an allocation failed"
        );
        let high = process_break();
        a.dealloc(r, small);
        a.dealloc(q, big);
        let stats = a.stats();
        let now = process_break();
        let above = now.addr() - stats.last_used_end;
        a.check().map_err(|e| e.to_string())?;
        a.dealloc(p, small);
        (above, now < high)
    };
    ensure!(brk_moved_back, "the process break did not move back down");
    ensure!(
        above < TRIM_THRESHOLD,
        "{above} bytes stay between the last used block and the process break"
    );
    a.check().map_err(|e| e.to_string())?;
    Ok(())
}

/// Runs `f`, turning a panic (how the model reports a broken rule) into a failed check.
#[cfg(not(miri))]
fn no_panic(f: impl FnOnce() + std::panic::UnwindSafe) -> Result<(), String> {
    std::panic::catch_unwind(f).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the model panicked".to_string())
    })
}

/// The model of random operations (crate/brkalloc/tests/support) on the real process break, for every
/// policy and option set: seeded sequences. The model allocates between heap operations, so the
/// C library's `malloc` moves the break in between: new segments and refused give-backs.
#[cfg(not(miri))]
fn model_on_the_process_break_seeded() -> Result<(), String> {
    use crate::support::{run_model_all, seeded_ops, Checks};
    no_panic(|| {
        for seed in 0..4 {
            run_model_all(
                &mut new_break,
                &seeded_ops(seed, 300, 64 * 1024, 4096),
                Checks::SHARED,
            );
        }
    })
}

/// The same model with proptest's random sequences, shrunk to the smallest on failure.
#[cfg(not(miri))]
fn model_on_the_process_break_proptest() -> Result<(), String> {
    use crate::support::{proptest_model, Checks};
    no_panic(|| proptest_model(&mut new_break, Checks::SHARED, 16))
}
