//! A test program that runs on brkalloc as its `#[global_allocator]`: every allocation of the
//! test harness and of these tests goes through a segregated-fit heap behind the adapter's
//! lock, from several threads at once. Natively the heap is on `MmapBreak`; under Miri (which
//! runs this file with Tree Borrows) on an `ArenaBreak` over a static buffer.
//!
//! Also here: what safe code can and cannot reach of the live heap, what a reentrant call or a
//! panic under the lock does (in a child process, since it stops the process), and how much
//! free memory the `GlobalAlloc` path keeps at the end of the heap.
#![cfg(unix)]

use brkalloc::{BlockInfo, BrkAlloc, SegregatedConfig};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::thread;

#[cfg(not(miri))]
#[global_allocator]
static ALLOC: BrkAlloc<brkalloc::MmapBreak> =
    BrkAlloc::new(brkalloc::MmapBreak::new(1 << 32), SegregatedConfig);

#[cfg(miri)]
const ARENA: usize = 64 << 20;
#[cfg(miri)]
static mut ARENA_BUFFER: [std::mem::MaybeUninit<u8>; ARENA] =
    [std::mem::MaybeUninit::uninit(); ARENA];
#[cfg(miri)]
#[global_allocator]
static ALLOC: BrkAlloc<brkalloc::ArenaBreak<'static>> = BrkAlloc::new(
    // SAFETY: nothing else in the program touches ARENA_BUFFER: the allocator owns it.
    unsafe { brkalloc::ArenaBreak::from_raw_parts((&raw mut ARENA_BUFFER).cast(), ARENA) },
    SegregatedConfig,
);

/// Fewer steps under Miri, which interprets every instruction.
const fn steps(native: usize) -> usize {
    if cfg!(miri) {
        native / 100
    } else {
        native
    }
}

fn churn(seed: u64, steps: usize) -> u64 {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut map: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut tree: BTreeMap<u64, String> = BTreeMap::new();
    let mut checksum = 0u64;
    for _ in 0..steps {
        let r = next();
        let key = r % 1000;
        match r % 5 {
            0 => {
                map.insert(key, (0..r % 500).collect());
            }
            1 => {
                if let Some(v) = map.remove(&key) {
                    assert!(v.iter().enumerate().all(|(i, &e)| e == i as u64));
                    checksum = checksum.wrapping_add(v.len() as u64);
                }
            }
            2 => {
                tree.insert(key, "y".repeat((r % 4000) as usize));
            }
            3 => {
                if let Some(s) = tree.remove(&key) {
                    assert!(s.bytes().all(|b| b == b'y'));
                }
            }
            _ => {
                if let Some(v) = map.get_mut(&key) {
                    let n = v.len() as u64;
                    v.extend(n..n + r % 64);
                }
            }
        }
    }
    checksum
}

#[test]
fn collections_churn_on_one_thread() {
    churn(1, steps(50_000));
    ALLOC.check().unwrap();
}

#[test]
fn threads_share_the_heap_behind_the_lock() {
    let shared = Arc::new(std::sync::Mutex::new(Vec::<Box<[u8]>>::new()));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let sum = churn(t + 100, steps(20_000));
                // Blocks allocated here and freed by another thread.
                shared
                    .lock()
                    .unwrap()
                    .push(vec![t as u8; 1000 + t as usize].into_boxed_slice());
                sum
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let boxes = std::mem::take(&mut *shared.lock().unwrap());
    assert_eq!(boxes.len(), 4);
    for b in &boxes {
        assert!(b.iter().all(|&x| x == b[0]));
    }
    drop(boxes);
    ALLOC.check().unwrap();
}

/// The safe views of the live heap agree with each other and with a box the test holds, and
/// none of them can free it: the box is intact afterwards.
#[test]
fn safe_views_see_the_live_heap_without_changing_it() {
    let held = vec![0x5Au8; 3000].into_boxed_slice();
    let addr = held.as_ptr().addr();
    let mut buf = vec![
        BlockInfo {
            header: 0,
            data: 0,
            size: 0,
            free: false,
            next: 0,
        };
        4096
    ];
    let n = ALLOC.blocks_into(&mut buf);
    let snapshot = ALLOC.snapshot();
    let stats = ALLOC.stats();
    assert!(n > 0 && stats.blocks > 0 && !snapshot.blocks.is_empty());
    assert!(
        buf[..n.min(buf.len())]
            .iter()
            .any(|b| b.data == addr && !b.free && b.size >= 3000),
        "blocks_into lists the box's block as used"
    );
    assert!(
        snapshot.blocks.iter().any(|b| b.data == addr && !b.free),
        "the snapshot lists the box's block as used"
    );
    assert!(held.iter().all(|&x| x == 0x5A));
    ALLOC.check().unwrap();
}

/// A view with too small a buffer still counts every block and writes only what fits.
#[test]
fn blocks_into_counts_past_a_short_buffer() {
    let _held: Vec<Box<u64>> = (0..8).map(Box::new).collect();
    let mut two = [BlockInfo {
        header: 0,
        data: 0,
        size: 0,
        free: false,
        next: 0,
    }; 2];
    let n = ALLOC.blocks_into(&mut two);
    assert!(n >= 8, "{n} blocks counted");
    assert!(two
        .iter()
        .all(|b| b.header != 0 && b.data == b.header + brkalloc::HEADER_SIZE));
}

/// Runs this test binary again, as a child, with only `test` selected and `BRKALLOC_CHILD`
/// set; returns its exit status and what it wrote to standard error. The child is killed after
/// a minute: a hang shows as a kill, not as a test that never ends.
#[cfg(not(miri))]
fn run_child(test: &str) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("BRKALLOC_CHILD", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{test}: the child was still running after a minute: it hung");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, err)
}

/// The body of a child test runs only in the child.
#[cfg(not(miri))]
fn in_child() -> bool {
    std::env::var_os("BRKALLOC_CHILD").is_some()
}

#[cfg(not(miri))]
fn assert_aborted(test: &str, cause: &str) {
    use std::os::unix::process::ExitStatusExt;
    let (status, err) = run_child(test);
    assert_eq!(
        status.signal(),
        Some(libc::SIGABRT),
        "{test}: the child should stop with SIGABRT; status {status:?}, stderr:\n{err}"
    );
    assert!(
        err.contains(cause),
        "{test}: stderr should name the cause ({cause:?}):\n{err}"
    );
}

#[cfg(not(miri))]
#[test]
fn child_allocates_inside_with() {
    if in_child() {
        // SAFETY: the closure frees and replaces nothing; its allocation is what stops it.
        unsafe {
            ALLOC.with(|_| {
                let v: Vec<u8> = Vec::with_capacity(64);
                drop(v);
            })
        };
    }
}

#[cfg(not(miri))]
#[test]
fn child_panics_inside_with() {
    if in_child() {
        // SAFETY: the closure frees and replaces nothing.
        unsafe { ALLOC.with::<()>(|_| panic!("a formatted panic message: {}", 42)) };
    }
}

#[cfg(not(miri))]
#[test]
fn child_panics_with_a_static_message_inside_with() {
    if in_child() {
        // SAFETY: the closure frees and replaces nothing.
        unsafe { ALLOC.with::<()>(|_| panic!("a static panic message")) };
    }
}

/// An allocation inside `with` used to spin forever on the lock its own thread held.
#[cfg(not(miri))]
#[test]
fn a_reentrant_call_stops_the_process_and_names_the_cause() {
    if in_child() {
        return;
    }
    assert_aborted(
        "child_allocates_inside_with",
        "called again by the thread that holds its lock",
    );
}

/// A panic inside `with` allocates its message under the lock, or unwinds out of it: either
/// way the process stops with a message, where it used to hang.
#[cfg(not(miri))]
#[test]
fn a_panic_under_the_lock_stops_the_process_and_names_the_cause() {
    if in_child() {
        return;
    }
    assert_aborted("child_panics_inside_with", "brkalloc: ");
    assert_aborted(
        "child_panics_with_a_static_message_inside_with",
        "brkalloc: ",
    );
}

/// Memory committed above the last used block, through `GlobalAlloc` on `MmapBreak`.
#[cfg(not(miri))]
mod give_back {
    use brkalloc::{BrkAlloc, MmapBreak, SegregatedConfig, TRIM_THRESHOLD};
    use proptest::prelude::*;
    use std::alloc::{GlobalAlloc, Layout};

    fn committed_above_last_used(a: &BrkAlloc<MmapBreak>) -> usize {
        let s = a.stats();
        let pages = s.pages.expect("MmapBreak counts pages");
        // The reservation starts at the heap's first header, page-aligned.
        let committed_end = s.heap_start + pages.grown * pages.page_size;
        committed_end - s.last_used_end
    }

    /// The reviewer's case: 64 B, 64 MiB, 64 B; the last two freed. The whole 64 MiB used to
    /// stay committed until the first block was freed too.
    #[test]
    fn the_end_of_the_heap_goes_back_once_past_the_threshold() {
        let a = BrkAlloc::new(MmapBreak::new(1 << 30), SegregatedConfig);
        let small = Layout::from_size_align(64, 8).unwrap();
        let big = Layout::from_size_align(64 << 20, 8).unwrap();
        // SAFETY: each pointer is freed once, with the layout it was allocated with.
        unsafe {
            let p = a.alloc(small);
            let q = a.alloc(big);
            let r = a.alloc(small);
            assert!(!p.is_null() && !q.is_null() && !r.is_null());
            q.write_bytes(1, 64 << 20);
            a.dealloc(r, small);
            a.dealloc(q, big);
            let above = committed_above_last_used(&a);
            assert!(
                above < TRIM_THRESHOLD,
                "{above} bytes stay committed above the last used block"
            );
            a.check().unwrap();
            a.dealloc(p, small);
        }
        a.check().unwrap();
        assert_eq!(
            a.stats().blocks,
            0,
            "freeing the only block empties the heap"
        );
    }

    #[derive(Clone, Debug)]
    enum Op {
        Alloc(usize),
        Free(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => prop_oneof![1usize..512, 512usize..70_000, 70_000usize..3_000_000]
                .prop_map(Op::Alloc),
            2 => any::<usize>().prop_map(Op::Free),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// After any sequence of allocations and frees, every free leaves less than the trim
        /// threshold committed above the last used block.
        #[test]
        fn no_free_leaves_more_than_the_threshold_committed(ops in prop::collection::vec(op(), 1..120)) {
            let a = BrkAlloc::new(MmapBreak::new(1 << 34), SegregatedConfig);
            let mut live: Vec<(*mut u8, Layout)> = Vec::new();
            for op in ops {
                match op {
                    Op::Alloc(size) => {
                        let layout = Layout::from_size_align(size, 16).unwrap();
                        // SAFETY: a non-zero size.
                        let p = unsafe { a.alloc(layout) };
                        prop_assert!(!p.is_null());
                        live.push((p, layout));
                    }
                    Op::Free(pick) => {
                        if live.is_empty() {
                            continue;
                        }
                        let (p, layout) = live.swap_remove(pick % live.len());
                        // SAFETY: `p` is live and allocated with `layout`.
                        unsafe { a.dealloc(p, layout) };
                        let above = committed_above_last_used(&a);
                        prop_assert!(above < TRIM_THRESHOLD, "{} bytes committed above the last used block", above);
                    }
                }
            }
            a.check().unwrap();
            for (p, layout) in live {
                // SAFETY: `p` is live and allocated with `layout`.
                unsafe { a.dealloc(p, layout) };
                prop_assert!(committed_above_last_used(&a) < TRIM_THRESHOLD);
            }
            prop_assert_eq!(a.stats().blocks, 0);
        }
    }
}
