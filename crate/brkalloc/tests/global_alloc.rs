//! A test program that runs on brkalloc as its `#[global_allocator]`: every allocation of the
//! test harness and of these tests goes through a segregated-fit heap behind the adapter's
//! lock, from several threads at once. Natively the heap is on `MmapBreak`; under Miri (which
//! runs this file with Tree Borrows) on an `ArenaBreak` over a static buffer.
//!
//! Also here: what safe code can and cannot reach of the live heap, what a reentrant call or a
//! panic under the lock does (in a child process, since it stops the process), and how much
//! free memory the `GlobalAlloc` path keeps at the end of the heap.
//!
//! The binary has its own `main` (`harness = false`) and runs every check in turn on the main
//! thread; the threads it starts are its own. libtest would run each test on a thread of
//! its own, and a std thread starts by freeing a `Box` it received as an argument: Tree
//! Borrows keeps that argument protected until the function returns, so when the allocator
//! files the freed block (writing its list links into it) Miri reports the write, although
//! the bytes belong to the allocator by then. (Miri cannot tell a custom global allocator's
//! reuse of freed memory from a write through a dangling box; rlsf's `GlobalAlloc` tests meet
//! the same report.) Under Miri the threads are therefore started with `pthread_create`
//! directly; natively, with `std::thread` as well.
//!
//! `cargo test --test global_alloc -- NAME` runs the checks whose names contain NAME.

use std::process::ExitCode;

fn main() -> ExitCode {
    #[cfg(unix)]
    return program::main();
    #[cfg(not(unix))]
    {
        println!("these checks run on unix: 0 passed, 0 failed");
        ExitCode::SUCCESS
    }
}

#[cfg(unix)]
mod program {
    use brkalloc::{BlockInfo, BrkAlloc, SegregatedConfig};
    use brkalloc_rng::Rng;
    use std::collections::{BTreeMap, HashMap};
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::process::ExitCode;
    use std::sync::Mutex;

    #[cfg(not(miri))]
    #[global_allocator]
    static ALLOC: BrkAlloc<brkalloc::MmapBreak> =
        BrkAlloc::new(brkalloc::MmapBreak::new(1 << 32), SegregatedConfig);

    #[cfg(miri)]
    const ARENA: usize = 16 << 20;
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

    type Check = fn();

    /// Every check, in the order they run. A check fails by panicking.
    const CHECKS: &[(&str, Check)] = &[
        (
            "collections_churn_on_one_thread",
            collections_churn_on_one_thread,
        ),
        (
            "pthreads_share_the_heap_behind_the_lock",
            pthreads_share_the_heap_behind_the_lock,
        ),
        #[cfg(not(miri))]
        (
            "std_threads_share_the_heap_behind_the_lock",
            std_threads_share_the_heap_behind_the_lock,
        ),
        (
            "safe_views_see_the_live_heap_without_changing_it",
            safe_views_see_the_live_heap_without_changing_it,
        ),
        (
            "blocks_into_counts_past_a_short_buffer",
            blocks_into_counts_past_a_short_buffer,
        ),
        #[cfg(not(miri))]
        (
            "a_reentrant_call_stops_the_process_and_names_the_cause",
            children::a_reentrant_call_stops_the_process_and_names_the_cause,
        ),
        #[cfg(not(miri))]
        (
            "a_panic_under_the_lock_stops_the_process_and_names_the_cause",
            children::a_panic_under_the_lock_stops_the_process_and_names_the_cause,
        ),
        #[cfg(not(miri))]
        (
            "give_back_the_end_of_the_heap_once_past_the_threshold",
            give_back::the_end_of_the_heap_goes_back_once_past_the_threshold,
        ),
        #[cfg(not(miri))]
        (
            "give_back_no_free_leaves_more_than_the_threshold_committed",
            give_back::no_free_leaves_more_than_the_threshold_committed,
        ),
    ];

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        #[cfg(not(miri))]
        if let Some(child) = args.first().and_then(|a| a.strip_prefix("child:")) {
            children::run(child);
            return ExitCode::SUCCESS;
        }
        let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let (mut passed, mut failed, mut skipped) = (0, 0, 0);
        for (name, check) in CHECKS {
            if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
                skipped += 1;
                continue;
            }
            match catch_unwind(AssertUnwindSafe(check)) {
                Ok(()) => {
                    println!("check {name} ... ok");
                    passed += 1;
                }
                Err(_) => {
                    println!("check {name} ... FAILED");
                    failed += 1;
                }
            }
        }
        if let Err(e) = ALLOC.check() {
            println!("the heap after the checks: {e}");
            failed += 1;
        }
        println!("{passed} passed, {failed} failed, {skipped} filtered out");
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }

    /// Fewer steps under Miri, which interprets every instruction.
    const fn steps(native: usize) -> usize {
        if cfg!(miri) {
            native / 100
        } else {
            native
        }
    }

    fn churn(seed: u64, steps: usize) -> u64 {
        let mut rng = Rng::new(seed);
        let mut next = move || rng.next_u64();
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

    fn collections_churn_on_one_thread() {
        churn(1, steps(50_000));
        ALLOC.check().unwrap();
    }

    /// Boxes made on one thread, freed on another.
    static HANDED_OVER: Mutex<Vec<Box<[u8]>>> = Mutex::new(Vec::new());

    extern "C" fn worker(arg: *mut libc::c_void) -> *mut libc::c_void {
        let t = arg.addr() as u64;
        churn(t + 100, steps(20_000));
        HANDED_OVER
            .lock()
            .unwrap()
            .push(vec![t as u8; 1000 + t as usize].into_boxed_slice());
        std::ptr::null_mut()
    }

    /// Collects the boxes the threads left, checks them, and frees them on this thread.
    fn free_handed_over(threads: usize) {
        let boxes = std::mem::take(&mut *HANDED_OVER.lock().unwrap());
        assert_eq!(boxes.len(), threads);
        for b in &boxes {
            assert!(b.iter().all(|&x| x == b[0]));
            assert_eq!(b.len(), 1000 + b[0] as usize);
        }
        drop(boxes);
        ALLOC.check().unwrap();
    }

    fn pthreads_share_the_heap_behind_the_lock() {
        const THREADS: usize = 4;
        let mut ids: [libc::pthread_t; THREADS] = [0; THREADS];
        for (t, id) in ids.iter_mut().enumerate() {
            // SAFETY: `worker` has the signature pthread expects and takes its argument as a
            // number; `id` is written by `pthread_create`.
            let r = unsafe {
                libc::pthread_create(
                    id,
                    std::ptr::null(),
                    worker,
                    std::ptr::without_provenance_mut(t),
                )
            };
            assert_eq!(r, 0, "pthread_create");
        }
        for id in ids {
            // SAFETY: `id` is a thread created above and joined once.
            let r = unsafe { libc::pthread_join(id, std::ptr::null_mut()) };
            assert_eq!(r, 0, "pthread_join");
        }
        free_handed_over(THREADS);
    }

    #[cfg(not(miri))]
    fn std_threads_share_the_heap_behind_the_lock() {
        let handles: Vec<_> = (0..4usize)
            .map(|t| {
                std::thread::spawn(move || {
                    worker(std::ptr::without_provenance_mut(t));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        free_handed_over(4);
    }

    /// The safe views of the live heap agree with each other and with a box the test holds,
    /// and none of them can free it: the box is intact afterwards.
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
        let mut copied = vec![buf[0]; 4096];
        let mut listed = vec![(0, 0, 0); 4096];
        let outline = ALLOC.copy_into(&mut copied, &mut listed);
        let on_lists = outline.listed;
        let stats = ALLOC.stats();
        assert!(n > 0 && stats.blocks > 0);
        assert!(
            buf[..n.min(buf.len())]
                .iter()
                .any(|b| b.data == addr && !b.free && b.size >= 3000),
            "blocks_into lists the box's block as used"
        );
        assert!(
            !listed[..on_lists.min(listed.len())]
                .iter()
                .any(|&(_, _, h)| h == addr - brkalloc::HEADER_SIZE),
            "the box's block is on no free list"
        );
        assert!(outline.heap_start <= addr && addr < outline.brk);
        assert_eq!(outline.policy, brkalloc::Policy::Segregated);
        assert!(
            copied[..outline.blocks.min(copied.len())]
                .iter()
                .any(|b| b.data == addr && !b.free),
            "copy_into lists the box's block as used"
        );
        assert!(held.iter().all(|&x| x == 0x5A));
        ALLOC.check().unwrap();
    }

    /// A view with too small a buffer still counts every block and writes only what fits.
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

    /// What stops the process: each runs in a child (this binary, with `child:NAME`).
    #[cfg(not(miri))]
    mod children {
        use super::ALLOC;
        use std::io::Read;
        use std::os::unix::process::ExitStatusExt;
        use std::process::{Command, Stdio};
        use std::time::{Duration, Instant};

        /// The child's side.
        pub fn run(name: &str) {
            match name {
                "allocates-inside-with" => {
                    // SAFETY: the closure frees and replaces nothing; its allocation is what
                    // stops the process.
                    unsafe {
                        ALLOC.with(|_| {
                            let v: Vec<u8> = Vec::with_capacity(64);
                            drop(v);
                        })
                    };
                }
                "panics-inside-with" => {
                    // SAFETY: the closure frees and replaces nothing.
                    unsafe { ALLOC.with::<()>(|_| panic!("a formatted panic message: {}", 42)) };
                }
                "panics-with-a-static-message-inside-with" => {
                    // SAFETY: the closure frees and replaces nothing.
                    unsafe { ALLOC.with::<()>(|_| panic!("a static panic message")) };
                }
                other => panic!("no child check {other:?}"),
            }
        }

        /// Runs this binary again as the child `name`; returns its exit status and what it
        /// wrote to standard error. The child is killed after a minute: a hang shows as a
        /// kill, not as a check that never ends.
        fn run_child(name: &str) -> (std::process::ExitStatus, String) {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .arg(format!("child:{name}"))
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
                    panic!("{name}: the child was still running after a minute: it hung");
                }
                std::thread::sleep(Duration::from_millis(20));
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

        fn assert_aborted(name: &str, cause: &str) {
            let (status, err) = run_child(name);
            assert_eq!(
                status.signal(),
                Some(libc::SIGABRT),
                "{name}: the child should stop with SIGABRT; status {status:?}, stderr:\n{err}"
            );
            assert!(
                err.contains(cause),
                "{name}: stderr should name the cause ({cause:?}):\n{err}"
            );
        }

        /// An allocation inside `with` used to spin forever on the lock its own thread held.
        pub fn a_reentrant_call_stops_the_process_and_names_the_cause() {
            assert_aborted(
                "allocates-inside-with",
                "called again by the thread that holds its lock",
            );
        }

        /// A panic inside `with` allocates its message under the lock, or unwinds out of it:
        /// either way the process stops with a message, where it used to hang.
        pub fn a_panic_under_the_lock_stops_the_process_and_names_the_cause() {
            assert_aborted("panics-inside-with", "brkalloc: ");
            assert_aborted("panics-with-a-static-message-inside-with", "brkalloc: ");
        }
    }

    /// Memory committed above the last used block, through `GlobalAlloc` on `MmapBreak`.
    #[cfg(not(miri))]
    mod give_back {
        use brkalloc::{BrkAlloc, MmapBreak, SegregatedConfig, TRIM_THRESHOLD};
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        use std::alloc::{GlobalAlloc, Layout};

        fn committed_above_last_used(a: &BrkAlloc<MmapBreak>) -> usize {
            let s = a.stats();
            let pages = s.pages.expect("MmapBreak counts pages");
            // The reservation starts at the heap's first header, page-aligned.
            let committed_end = s.heap_start + pages.grown * pages.page_size;
            committed_end - s.last_used_end
        }

        /// The reviewer's case: 64 B, 64 MiB, 64 B; the last two freed. The whole 64 MiB used
        /// to stay committed until the first block was freed too.
        pub fn the_end_of_the_heap_goes_back_once_past_the_threshold() {
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
            let s = a.stats();
            assert_eq!(
                (s.used_blocks, s.free_blocks),
                (0, 1),
                "freeing the only block leaves it free, for the next allocation"
            );
            assert!(committed_above_last_used(&a) < TRIM_THRESHOLD);
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

        fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
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
                        prop_assert!(
                            above < TRIM_THRESHOLD,
                            "{} bytes committed above the last used block",
                            above
                        );
                    }
                }
            }
            prop_assert!(a.check().is_ok());
            for (p, layout) in live {
                // SAFETY: `p` is live and allocated with `layout`.
                unsafe { a.dealloc(p, layout) };
                prop_assert!(committed_above_last_used(&a) < TRIM_THRESHOLD);
            }
            let s = a.stats();
            prop_assert_eq!(s.used_blocks, 0);
            prop_assert!(s.blocks <= 1, "{} free blocks left", s.blocks);
            Ok(())
        }

        /// After any sequence of allocations and frees, every free leaves less than the trim
        /// threshold committed above the last used block.
        pub fn no_free_leaves_more_than_the_threshold_committed() {
            let mut runner = TestRunner::new(Config {
                cases: 64,
                failure_persistence: None,
                ..Config::default()
            });
            let result = runner.run(&prop::collection::vec(op(), 1..120), run);
            if let Err(e) = result {
                panic!("{e}");
            }
        }
    }
}
