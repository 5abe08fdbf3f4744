//! Shared by the fuzz targets: decoding the fuzzer's bytes into options and operations for the
//! model in `crate/brkalloc/tests/support`.
#![allow(dead_code)] // each target uses a part

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use arbitrary::{Result, Unstructured};
use brkalloc::{Options, Policy};

use crate::support::{BadTarget, Op};

/// The most operations one input runs.
pub const MAX_OPS: usize = 256;

/// A size up to 64 KiB, mostly small.
pub fn size(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0..=9u8)? {
        0..=5 => u.int_in_range(0..=256)?,
        6..=8 => u.int_in_range(0..=4096)?,
        _ => u.int_in_range(0..=64 * 1024)?,
    })
}

pub fn op(u: &mut Unstructured<'_>) -> Result<Op> {
    Ok(match u.int_in_range(0..=9u8)? {
        0..=3 => Op::Alloc {
            size: size(u)?,
            align: 1 << u.int_in_range(0..=12u32)?,
            layout: u.arbitrary()?,
        },
        4 => Op::Calloc {
            count: if u.ratio(1, 10)? {
                usize::MAX / 2 + 1
            } else {
                u.int_in_range(0..=16)?
            },
            size: u.int_in_range(0..=256)?,
        },
        5..=6 => Op::Free {
            pick: u.arbitrary()?,
            unchecked: u.arbitrary()?,
        },
        7..=8 => Op::Realloc {
            pick: u.arbitrary()?,
            size: size(u)?,
            unchecked: u.arbitrary()?,
        },
        _ => Op::BadFree {
            target: match u.int_in_range(0..=5u8)? {
                0 => BadTarget::Null,
                1 => BadTarget::Wild(u.arbitrary()?),
                2 => BadTarget::Near(u.arbitrary()?),
                3 => BadTarget::Interior {
                    pick: u.arbitrary()?,
                    offset: u.arbitrary()?,
                },
                4 => BadTarget::Header {
                    pick: u.arbitrary()?,
                },
                _ => BadTarget::Freed {
                    pick: u.arbitrary()?,
                },
            },
            via_realloc: u.arbitrary()?,
        },
    })
}

/// Decodes the options (a policy and the three switches) and up to [`MAX_OPS`] operations.
pub fn decode(data: &[u8]) -> Result<(Options, Vec<Op>)> {
    let mut u = Unstructured::new(data);
    let options = options(&mut u)?;
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        ops.push(op(&mut u)?);
    }
    Ok((options, ops))
}

/// A policy and the four switches.
pub fn options(u: &mut Unstructured<'_>) -> Result<Options> {
    let policy = Policy::ALL[u.int_in_range(0..=Policy::ALL.len() - 1)?];
    let options = Options {
        policy,
        split: u.arbitrary()?,
        coalesce: u.arbitrary()?,
        trim: u.arbitrary()?,
        derive: u.arbitrary()?,
    };
    Ok(options)
}

/// Heap operations run, each followed by the invariant checker, and inputs run, in this
/// process.
static OPERATIONS: AtomicU64 = AtomicU64::new(0);
static INPUTS: AtomicU64 = AtomicU64::new(0);
static REPORT_AT_EXIT: Once = Once::new();

extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn report() {
    eprintln!(
        "brkalloc-fuzz: {} operations checked in {} inputs",
        OPERATIONS.load(Ordering::Relaxed),
        INPUTS.load(Ordering::Relaxed)
    );
}

/// Counts one input of `operations` heap operations (each checked by the invariant checker).
/// With `BRKALLOC_FUZZ_COUNT` set, the process prints the totals when it exits, so that a
/// campaign can add them up over its runs.
pub fn count(operations: usize) {
    OPERATIONS.fetch_add(operations as u64, Ordering::Relaxed);
    INPUTS.fetch_add(1, Ordering::Relaxed);
    REPORT_AT_EXIT.call_once(|| {
        if std::env::var_os("BRKALLOC_FUZZ_COUNT").is_some() {
            // SAFETY: `report` is a plain function that lives as long as the process.
            unsafe { atexit(report) };
        }
    });
}
