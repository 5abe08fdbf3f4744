//! malloc-lab traces: the parser refuses every malformed case with its line, generated traces
//! round-trip through the text format and stay the same from version to version, and replay
//! measures what a hand computation says it should.
#![cfg(not(target_arch = "wasm32"))]

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use brkalloc::{
    AllocError, ArenaBreak, BlockInfo, Event, Heap, Options, Policy, HEADER_SIZE, MIN_DATA,
};
use brkalloc_lab::trace::{
    self, generate, parse, Failure, Kind, Op, ReplayError, ReplayOptions, Trace, TraceErrorKind,
    MAX_IDS, MAX_SIZE,
};
use brkalloc_lab::Recorder;

/// A trace with the given header numbers and operation lines.
fn rep(ids: usize, count: usize, body: &str) -> String {
    format!("20000\n{ids}\n{count}\n1\n{body}")
}

/// Parses text that must be refused and returns the error, checking that its message names the
/// line it reports.
fn refused(text: &str) -> trace::TraceError {
    let error = parse(text).expect_err("the trace should be refused");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("line {}", error.line)),
        "the message names the line: {message}"
    );
    error
}

// ---------------------------------------------------------------------------------------------
// Parsing well-formed traces

#[test]
fn parses_header_and_every_operation_with_its_line() {
    let trace = parse("20000\n3\n4\n1\na 0 512\nr 0 640\na 1 0\nf 0\n").unwrap();
    assert_eq!(trace.heap_size_hint, 20000);
    assert_eq!(trace.ids, 3);
    assert_eq!(trace.weight, 1);
    assert_eq!(
        trace.ops,
        vec![
            Op::Alloc { id: 0, size: 512 },
            Op::Realloc { id: 0, size: 640 },
            Op::Alloc { id: 1, size: 0 },
            Op::Free { id: 0 },
        ]
    );
    assert_eq!(trace.lines, vec![5, 6, 7, 8]);
}

#[test]
fn tolerates_blank_lines_comments_tabs_trailing_spaces_and_crlf() {
    let text = "# a comment before the header\r\n\
                20000   3\r\n\
                \r\n\
                2 0   # the weight may be 0\r\n\
                \ta\t0\t16   \r\n\
                \r\n\
                # a comment between operations\r\n\
                   f 0# a comment right after\r\n";
    let trace = parse(text).unwrap();
    assert_eq!(trace.ids, 3);
    assert_eq!(trace.weight, 0);
    assert_eq!(
        trace.ops,
        vec![Op::Alloc { id: 0, size: 16 }, Op::Free { id: 0 }]
    );
    assert_eq!(trace.lines, vec![5, 8]);
}

#[test]
fn the_header_may_sit_on_one_line_and_the_last_line_needs_no_newline() {
    let trace = parse("100 1 2 1\na 0 8\nf 0").unwrap();
    assert_eq!(trace.ops.len(), 2);
}

#[test]
fn an_id_may_be_allocated_again_after_it_was_freed() {
    let trace = parse(&rep(1, 4, "a 0 8\nf 0\na 0 16\nf 0\n")).unwrap();
    assert_eq!(trace.ops[2], Op::Alloc { id: 0, size: 16 });
}

#[test]
fn the_largest_size_is_accepted() {
    let trace = parse(&rep(1, 1, &format!("a 0 {MAX_SIZE}\n"))).unwrap();
    assert_eq!(trace.ops[0].size(), Some(MAX_SIZE));
}

#[test]
fn a_trace_of_no_operations_is_valid() {
    let trace = parse("0\n0\n0\n0\n").unwrap();
    assert!(trace.ops.is_empty());
}

#[test]
fn from_str_is_parse() {
    let text = rep(1, 1, "a 0 8\n");
    assert_eq!(text.parse::<Trace>(), parse(&text));
}

// ---------------------------------------------------------------------------------------------
// The header

#[test]
fn an_empty_trace_has_no_header() {
    for text in ["", "\n\n", "# only a comment\n"] {
        let e = refused(text);
        assert_eq!(e.kind, TraceErrorKind::MissingHeader { found: 0 });
        assert!(e.to_string().contains("four whole numbers"), "{e}");
    }
}

#[test]
fn a_header_cut_short_names_the_missing_number() {
    let e = refused("20000\n4\n");
    assert_eq!(e.kind, TraceErrorKind::MissingHeader { found: 2 });
    assert_eq!(e.line, 2);
    assert!(
        e.to_string().contains("number of operations is missing"),
        "{e}"
    );
}

#[test]
fn operations_before_the_header_is_complete_are_a_missing_header() {
    let e = refused("20000\n4\na 0 16\n");
    assert_eq!(e.kind, TraceErrorKind::MissingHeader { found: 2 });
    assert_eq!((e.line, e.column), (3, Some(1)));
    let e = refused("a 0 16\n");
    assert_eq!(e.kind, TraceErrorKind::MissingHeader { found: 0 });
}

#[test]
fn a_header_number_that_is_not_a_whole_number_is_refused() {
    for (text, field, found) in [
        ("big\n1\n1\n1\n", 0, "big"),
        ("20000\n-1\n1\n1\n", 1, "-1"),
        ("20000\n1\n1.5\n1\n", 2, "1.5"),
        ("20000\n1\n1\n+1\n", 3, "+1"),
    ] {
        let e = refused(text);
        assert_eq!(
            e.kind,
            TraceErrorKind::BadHeader {
                field,
                found: found.to_string()
            }
        );
        assert_eq!(e.line, field + 1);
        assert!(e.to_string().contains("whole number"), "{e}");
    }
}

#[test]
fn a_header_number_too_large_to_hold_is_refused() {
    let e = refused("99999999999999999999999999\n1\n1\n1\n");
    assert!(matches!(
        e.kind,
        TraceErrorKind::HeaderTooLarge { field: 0, .. }
    ));
    let e = refused("0\n1\n1\n4294967296\n");
    assert!(matches!(
        e.kind,
        TraceErrorKind::HeaderTooLarge { field: 3, .. }
    ));
    assert!(e.to_string().contains("weight"), "{e}");
}

#[test]
fn more_ids_than_supported_are_refused() {
    let e = refused(&format!("0\n{}\n0\n1\n", MAX_IDS + 1));
    assert_eq!(e.kind, TraceErrorKind::TooManyIds { ids: MAX_IDS + 1 });
    assert_eq!(e.line, 2);
    parse(&format!("0\n{MAX_IDS}\n0\n1\n")).expect("exactly the limit is fine");
}

#[test]
fn text_after_the_fourth_header_number_is_refused() {
    let e = refused("20000 1 1 1 a 0 16\n");
    assert_eq!(
        e.kind,
        TraceErrorKind::HeaderExtra {
            found: "a".to_string()
        }
    );
    assert_eq!((e.line, e.column), (1, Some(13)));
}

// ---------------------------------------------------------------------------------------------
// Operation lines

#[test]
fn an_unknown_operation_letter_is_refused_with_the_three_that_exist() {
    for word in ["x", "A", "alloc", "m"] {
        let e = refused(&rep(1, 1, &format!("{word} 0 16\n")));
        assert_eq!(
            e.kind,
            TraceErrorKind::UnknownOp {
                found: word.to_string()
            }
        );
        assert_eq!((e.line, e.column), (5, Some(1)));
        let message = e.to_string();
        for usage in ["`a ID SIZE`", "`f ID`", "`r ID SIZE`"] {
            assert!(message.contains(usage), "{message}");
        }
    }
}

#[test]
fn a_missing_id_or_size_is_refused() {
    for (line, op, field) in [
        ("a", 'a', "id"),
        ("a 0", 'a', "size"),
        ("f", 'f', "id"),
        ("r 0", 'r', "size"),
    ] {
        let e = refused(&rep(1, 1, &format!("{line}\n")));
        assert_eq!(e.kind, TraceErrorKind::MissingField { op, field }, "{line}");
        assert_eq!(e.line, 5);
        assert!(e.to_string().contains(&format!("has no {field}")), "{e}");
    }
}

#[test]
fn an_extra_field_is_refused() {
    let e = refused(&rep(1, 2, "a 0 16\nf 0 16\n"));
    assert_eq!(
        e.kind,
        TraceErrorKind::ExtraField {
            op: 'f',
            found: "16".to_string()
        }
    );
    assert_eq!((e.line, e.column), (6, Some(5)));
    let e = refused(&rep(1, 1, "a 0 16 32\n"));
    assert!(matches!(e.kind, TraceErrorKind::ExtraField { op: 'a', .. }));
}

#[test]
fn a_field_that_is_not_a_whole_number_is_refused() {
    for (line, field, found) in [
        ("a x 16", "id", "x"),
        ("a 0 sixteen", "size", "sixteen"),
        ("a 0 -16", "size", "-16"),
        ("a 0 1.5", "size", "1.5"),
        ("a 0x1 16", "id", "0x1"),
    ] {
        let e = refused(&rep(2, 1, &format!("{line}\n")));
        assert_eq!(
            e.kind,
            TraceErrorKind::NotANumber {
                op: 'a',
                field,
                found: found.to_string()
            },
            "{line}"
        );
        assert!(e.to_string().contains(&format!("`{found}`")), "{e}");
    }
}

#[test]
fn an_id_not_below_the_number_of_ids_is_out_of_range() {
    let e = refused(&rep(2, 1, "a 2 16\n"));
    assert_eq!(
        e.kind,
        TraceErrorKind::IdOutOfRange {
            id: "2".to_string(),
            ids: 2
        }
    );
    assert_eq!((e.line, e.column), (5, Some(3)));
    assert!(e.to_string().contains("from 0 to 1"), "{e}");
    let e = refused(&rep(2, 1, "a 99999999999999999999999 16\n"));
    assert!(matches!(
        e.kind,
        TraceErrorKind::IdOutOfRange { ids: 2, .. }
    ));
    let e = refused(&rep(0, 1, "a 0 16\n"));
    assert!(e.to_string().contains("no ids at all"), "{e}");
}

#[test]
fn a_size_above_the_limit_is_refused() {
    for size in [
        format!("{}", MAX_SIZE + 1),
        "99999999999999999999999".to_string(),
    ] {
        let e = refused(&rep(1, 1, &format!("a 0 {size}\n")));
        assert_eq!(e.kind, TraceErrorKind::SizeTooLarge { found: size });
        assert_eq!((e.line, e.column), (5, Some(5)));
    }
    let e = refused(&rep(1, 2, &format!("a 0 1\nr 0 {}\n", MAX_SIZE + 1)));
    assert!(matches!(e.kind, TraceErrorKind::SizeTooLarge { .. }));
    assert_eq!(e.line, 6);
}

// ---------------------------------------------------------------------------------------------
// Liveness

#[test]
fn allocating_a_live_id_is_refused_with_the_line_that_allocated_it() {
    let e = refused(&rep(1, 2, "a 0 16\na 0 8\n"));
    assert_eq!(e.kind, TraceErrorKind::AllocLive { id: 0, since: 5 });
    assert_eq!(e.line, 6);
}

#[test]
fn freeing_twice_is_refused_with_the_line_of_the_first_free() {
    let e = refused(&rep(1, 3, "a 0 16\n\nf 0\nf 0\n"));
    assert_eq!(e.kind, TraceErrorKind::DoubleFree { id: 0, freed_at: 7 });
    assert_eq!((e.line, e.column), (8, Some(3)));
    assert!(e.to_string().contains("already freed on line 7"), "{e}");
}

#[test]
fn freeing_an_id_never_allocated_is_refused() {
    let e = refused(&rep(2, 2, "a 0 16\nf 1\n"));
    assert_eq!(e.kind, TraceErrorKind::NeverAllocated { op: 'f', id: 1 });
    assert_eq!(e.line, 6);
    assert!(e.to_string().contains("never allocated"), "{e}");
}

#[test]
fn reallocating_a_dead_id_is_refused() {
    let e = refused(&rep(1, 3, "a 0 16\nf 0\nr 0 32\n"));
    assert_eq!(e.kind, TraceErrorKind::ReallocFreed { id: 0, freed_at: 6 });
    assert_eq!(e.line, 7);
    let e = refused(&rep(1, 1, "r 0 32\n"));
    assert_eq!(e.kind, TraceErrorKind::NeverAllocated { op: 'r', id: 0 });
    assert!(e.to_string().contains("allocate it first"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The operation count

#[test]
fn fewer_operations_than_the_header_promises_are_refused() {
    let e = refused(&rep(1, 3, "a 0 16\nf 0\n\n"));
    assert_eq!(
        e.kind,
        TraceErrorKind::TooFewOps {
            expected: 3,
            found: 2
        }
    );
    assert_eq!(e.line, 7, "the last line of the text");
    assert!(e.to_string().contains("promises 3"), "{e}");
}

#[test]
fn more_operations_than_the_header_promises_are_refused() {
    let e = refused(&rep(1, 1, "a 0 16\nf 0\n"));
    assert_eq!(e.kind, TraceErrorKind::TooManyOps { expected: 1 });
    assert_eq!((e.line, e.column), (6, Some(1)));
    assert!(e.to_string().contains("would be the 2nd"), "{e}");
    let e = refused(&rep(1, 0, "a 0 16\n"));
    assert_eq!(e.kind, TraceErrorKind::TooManyOps { expected: 0 });
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = refused(&rep(1, 1, "a  é 16\n"));
    assert_eq!(e.column, Some(4));
}

#[test]
fn long_text_is_cut_short_in_messages() {
    let word = "z".repeat(500);
    let e = refused(&rep(1, 1, &format!("{word} 0 16\n")));
    assert!(e.to_string().len() < 300, "{e}");
}

// ---------------------------------------------------------------------------------------------
// Traces built by hand

#[test]
fn validate_catches_what_parse_would() {
    let trace = Trace {
        ids: 2,
        ops: vec![Op::Alloc { id: 0, size: 8 }, Op::Free { id: 1 }],
        ..Trace::default()
    };
    let e = trace.validate().unwrap_err();
    assert_eq!(e.kind, TraceErrorKind::NeverAllocated { op: 'f', id: 1 });
    assert_eq!(e.line, 6, "the line the op would have in the written trace");

    let out_of_range = Trace {
        ids: 1,
        ops: vec![Op::Alloc { id: 1, size: 8 }],
        ..Trace::default()
    };
    assert!(matches!(
        out_of_range.validate().unwrap_err().kind,
        TraceErrorKind::IdOutOfRange { .. }
    ));
    let too_large = Trace {
        ids: 1,
        ops: vec![Op::Alloc {
            id: 0,
            size: MAX_SIZE + 1,
        }],
        ..Trace::default()
    };
    assert!(matches!(
        too_large.validate().unwrap_err().kind,
        TraceErrorKind::SizeTooLarge { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Generated traces

/// The sum of the sizes of the live ids, at its largest: computed from the operations alone.
fn peak_live(trace: &Trace) -> usize {
    let mut sizes = vec![0; trace.ids];
    let (mut live, mut peak) = (0, 0);
    for op in &trace.ops {
        match *op {
            Op::Alloc { id, size } | Op::Realloc { id, size } => {
                live = live - sizes[id] + size;
                sizes[id] = size;
            }
            Op::Free { id } => {
                live -= sizes[id];
                sizes[id] = 0;
            }
        }
        peak = usize::max(peak, live);
    }
    peak
}

#[test]
fn generated_traces_have_exactly_the_ops_asked_for_and_are_valid() {
    for kind in Kind::ALL {
        for ops in [0, 1, 2, 7, 1000, 5000] {
            for seed in [0, 1, 0xdead_beef] {
                let trace = generate(kind, ops, seed);
                assert_eq!(trace.ops.len(), ops, "{kind} {ops} {seed}");
                trace
                    .validate()
                    .unwrap_or_else(|e| panic!("{kind} {ops} {seed}: {e}"));
                assert_eq!(trace.heap_size_hint, peak_live(&trace), "{kind}");
                assert_eq!(trace.weight, 1);
            }
        }
    }
}

#[test]
fn generated_traces_round_trip_through_the_text_format() {
    for kind in Kind::ALL {
        for seed in 0..5 {
            let trace = generate(kind, 3000, seed);
            let text = trace.to_rep_string();
            assert_eq!(parse(&text), Ok(trace), "{kind} seed {seed}");
        }
    }
}

#[test]
fn generation_is_deterministic_and_the_seed_matters() {
    for kind in Kind::ALL {
        assert_eq!(generate(kind, 2000, 9), generate(kind, 2000, 9));
        assert_ne!(
            generate(kind, 2000, 9).ops,
            generate(kind, 2000, 10).ops,
            "{kind}"
        );
        // A shorter trace is the start of a longer one with the same seed.
        assert_eq!(
            generate(kind, 500, 9).ops[..],
            generate(kind, 2000, 9).ops[..500]
        );
    }
}

/// The committed traces were written by `brkalloc gen`; generating them again must give the
/// same text, or every benchmark built on generated traces would silently change its input.
#[test]
fn generated_traces_are_the_same_as_the_committed_ones() {
    for (file, kind, seed) in [
        ("random-300.rep", Kind::Random, 1),
        ("small-large-300.rep", Kind::SmallLarge, 2),
        ("grow-300.rep", Kind::Grow, 3),
        ("coalesce-300.rep", Kind::Coalesce, 4),
    ] {
        let path = format!("{}/tests/traces/{file}", env!("CARGO_MANIFEST_DIR"));
        let committed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            generate(kind, 300, seed).to_rep_string(),
            committed,
            "{file}"
        );
    }
}

#[test]
fn kind_names_round_trip() {
    for kind in Kind::ALL {
        assert_eq!(Kind::from_name(kind.name()), Some(kind));
        assert!(!kind.summary().is_empty());
    }
    assert_eq!(Kind::from_name("Random"), None);
}

#[test]
fn random_keeps_a_bounded_number_of_blocks_live() {
    let trace = generate(Kind::Random, 50_000, 3);
    // Freed ids are reused, so the id count is the most blocks live at once.
    assert!(trace.ids > 50 && trace.ids < 2_000, "{} ids", trace.ids);
    assert!(trace.ops.iter().all(|op| !matches!(op, Op::Realloc { .. })));
}

#[test]
fn small_large_allocates_alternately_then_frees_every_large_block() {
    let trace = generate(Kind::SmallLarge, 400, 5);
    let allocs: Vec<(usize, usize)> = trace
        .ops
        .iter()
        .map_while(|op| match *op {
            Op::Alloc { id, size } => Some((id, size)),
            _ => None,
        })
        .collect();
    let (small, large) = (allocs[0].1, allocs[1].1);
    assert!(small < large);
    assert!(allocs.len() >= 32 && allocs.len() % 2 == 0);
    for (i, &(_, size)) in allocs.iter().enumerate() {
        assert_eq!(size, if i % 2 == 0 { small } else { large });
    }
    let frees: Vec<usize> = trace.ops[allocs.len()..]
        .iter()
        .map_while(|op| match *op {
            Op::Free { id } => Some(id),
            _ => None,
        })
        .collect();
    let large_ids: Vec<usize> = allocs
        .iter()
        .skip(1)
        .step_by(2)
        .map(|&(id, _)| id)
        .collect();
    assert_eq!(
        frees, large_ids,
        "every large block, and only those, freed next"
    );
    // Then requests slightly larger than the holes.
    match trace.ops[allocs.len() + frees.len()] {
        Op::Alloc { size, .. } => assert!(size > large),
        other => panic!("expected an allocation, found {other}"),
    }
}

#[test]
fn grow_reallocs_one_block_to_larger_and_larger_sizes() {
    let trace = generate(Kind::Grow, 3000, 2);
    let grower = trace.ops[0].id();
    let sizes: Vec<usize> = trace
        .ops
        .iter()
        .filter_map(|op| match *op {
            Op::Realloc { id, size } if id == grower => Some(size),
            _ => None,
        })
        .take_while(|&size| size <= 32 * 1024)
        .collect();
    assert!(sizes.len() > 100);
    assert!(
        sizes.windows(2).all(|w| w[0] < w[1]),
        "each realloc grows it"
    );
    let others = trace
        .ops
        .iter()
        .filter(|op| matches!(op, Op::Alloc { id, .. } if *id != grower))
        .count();
    assert!(others > 100, "other blocks are allocated around it");
}

#[test]
fn coalesce_frees_runs_of_neighbours_then_asks_for_the_whole_run() {
    let trace = generate(Kind::Coalesce, 200, 8);
    let run: Vec<(usize, usize)> = trace
        .ops
        .iter()
        .map_while(|op| match *op {
            Op::Alloc { id, size } => Some((id, size)),
            _ => None,
        })
        .collect();
    // The run, then one fence block that stays.
    let (run, fence) = run.split_at(run.len() - 1);
    assert!(run.len() >= 8);
    let after = &trace.ops[run.len() + 1..];
    let mut freed: Vec<usize> = after[..run.len()].iter().map(|op| op.id()).collect();
    assert!(after[..run.len()]
        .iter()
        .all(|op| matches!(op, Op::Free { .. })));
    freed.sort_unstable();
    let mut ids: Vec<usize> = run.iter().map(|&(id, _)| id).collect();
    ids.sort_unstable();
    assert_eq!(freed, ids, "every block of the run is freed");
    assert!(!ids.contains(&fence[0].0));
    let total: usize = run.iter().map(|&(_, size)| size).sum();
    assert_eq!(after[run.len()].size(), Some(total));
}

// ---------------------------------------------------------------------------------------------
// Replay

/// A buffer for an arena heap. Its bytes start uninitialised, as a real break's would (and so
/// cost nothing to make).
fn buffer(bytes: usize) -> Vec<MaybeUninit<u8>> {
    let mut memory = Vec::with_capacity(bytes);
    memory.resize_with(bytes, MaybeUninit::uninit);
    memory
}

/// The brief's allocator (first fit, no split, no coalesce, only the last block given back) on
/// a small trace, every number computed by hand. With `H` a header and `m` the smallest data
/// size, every size below is a multiple of `m`, so no rounding happens:
///
/// ```text
/// op        blocks after it                 live   extent
/// a 0 2m    [0:2m]                           2m     H+2m
/// a 1 m     [0:2m][1:m]                      3m    2H+3m
/// f 0       [free 2m][1:m]                    m    2H+3m
/// a 2 m     [2:2m][1:m]  (first fit, whole)  2m    2H+3m
/// a 3 4m    [2:2m][1:m][3:4m]                6m    3H+7m   <- both peaks
/// f 3       [2:2m][1:m]  (last: released)    2m    2H+3m
/// f 1       [2:2m]       (last: released)     m     H+2m
/// f 2       (empty)                           0        0
/// ```
#[test]
fn replay_measures_peak_live_extent_and_utilisation_as_computed_by_hand() {
    let (h, m) = (HEADER_SIZE, MIN_DATA);
    let text = rep(
        4,
        8,
        &format!(
            "a 0 {}\na 1 {m}\nf 0\na 2 {m}\na 3 {}\nf 3\nf 1\nf 2\n",
            2 * m,
            4 * m
        ),
    );
    let trace = parse(&text).unwrap();
    let mut memory = buffer(4096);
    let mut heap = Heap::new(ArenaBreak::new(&mut memory), Options::SEED);
    let stats = trace::replay(&trace, &mut heap).unwrap();

    assert_eq!(stats.operations, 8);
    assert_eq!((stats.allocs, stats.frees, stats.reallocs), (4, 4, 0));
    assert_eq!(stats.peak_live, 6 * m);
    assert_eq!(stats.peak_extent, 3 * h + 7 * m);
    assert_eq!((stats.final_live, stats.final_extent), (0, 0));
    let utilisation = (6 * m) as f64 / (3 * h + 7 * m) as f64;
    assert!((stats.utilisation - utilisation).abs() < 1e-12);
    if cfg!(target_pointer_width = "64") {
        // H = 16, m = 32: 192 / 272.
        assert_eq!((stats.peak_live, stats.peak_extent), (192, 272));
        assert!((stats.utilisation - 0.705_882_352_941).abs() < 1e-9);
    }
    assert!(stats.series.is_empty(), "no samples unless asked for");
    heap.check().unwrap();
}

/// With coalescing, two freed neighbours make one block that a request for both sizes plus a
/// header fits exactly, so the heap does not grow:
///
/// ```text
/// a 0 m; a 1 m; a 2 m     [0:m][1:m][2:m]          live 3m     extent 3H+3m
/// f 0; f 1                [free 2m+H][2:m]          live m
/// a 3 2m+H                [3:2m+H][2:m]             live 3m+H   extent 3H+3m
/// ```
#[test]
fn replay_of_a_coalescing_heap_reuses_the_merged_block() {
    let (h, m) = (HEADER_SIZE, MIN_DATA);
    let text = rep(
        4,
        6,
        &format!("a 0 {m}\na 1 {m}\na 2 {m}\nf 0\nf 1\na 3 {}\n", 2 * m + h),
    );
    let trace = parse(&text).unwrap();
    let mut memory = buffer(4096);
    let mut heap = Heap::new(ArenaBreak::new(&mut memory), Options::DEFAULT);
    let stats = trace::replay(&trace, &mut heap).unwrap();
    assert_eq!(stats.peak_live, 3 * m + h);
    assert_eq!(stats.peak_extent, 3 * h + 3 * m);
    assert_eq!(stats.final_extent, 3 * h + 3 * m);
    assert_eq!(heap.blocks().count(), 2);
}

/// Samples every 2 operations of: a 0 m; a 1 m; a 2 2m; a 3 m; f 0; f 2; a 4 m (the brief's
/// allocator: nothing merges). After `f 2` the free blocks are m and 2m: fragmentation
/// 1 − 2m / 3m = 1/3. `a 4 m` then reuses the first free block (first fit, m), leaving 2m
/// free alone: fragmentation 0.
#[test]
fn replay_samples_extent_live_data_and_fragmentation() {
    let (h, m) = (HEADER_SIZE, MIN_DATA);
    let text = rep(
        5,
        7,
        &format!(
            "a 0 {m}\na 1 {m}\na 2 {}\na 3 {m}\nf 0\nf 2\na 4 {m}\n",
            2 * m
        ),
    );
    let trace = parse(&text).unwrap();
    let mut memory = buffer(4096);
    let mut heap = Heap::new(ArenaBreak::new(&mut memory), Options::SEED);
    let options = ReplayOptions {
        fill: true,
        sample_every: 2,
    };
    let stats = trace::replay_with(&trace, &mut heap, options).unwrap();
    let points: Vec<(usize, usize, usize)> = stats
        .series
        .iter()
        .map(|s| (s.op, s.extent, s.live))
        .collect();
    assert_eq!(
        points,
        vec![
            (0, 0, 0),
            (2, 2 * h + 2 * m, 2 * m),
            (4, 4 * h + 5 * m, 5 * m),
            (6, 4 * h + 5 * m, 2 * m),
            (7, 4 * h + 5 * m, 3 * m),
        ]
    );
    let fragmentation: Vec<f64> = stats.series.iter().map(|s| s.fragmentation).collect();
    assert_eq!(fragmentation[..3], [0.0, 0.0, 0.0]);
    assert!((fragmentation[3] - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(fragmentation[4], 0.0);
}

#[test]
fn replay_with_fill_keeps_every_block_intact_under_every_policy() {
    for policy in Policy::ALL {
        for options in [
            Options::with_policy(policy),
            Options {
                policy,
                ..Options::SEED
            },
        ] {
            for kind in Kind::ALL {
                let trace = generate(kind, 900, 11);
                let mut memory = buffer(1 << 20);
                let mut heap = Heap::new(ArenaBreak::new(&mut memory), options);
                let replay = ReplayOptions {
                    fill: true,
                    sample_every: 300,
                };
                let stats = trace::replay_with(&trace, &mut heap, replay)
                    .unwrap_or_else(|e| panic!("{kind} under {options:?}: {e}"));
                heap.check().unwrap();
                assert_eq!(stats.operations, 900);
                assert_eq!(stats.peak_live, peak_live(&trace));
                assert!(stats.peak_live <= stats.peak_extent);
                assert!(stats.utilisation > 0.0 && stats.utilisation <= 1.0);
                assert_eq!(stats.series.len(), 4, "at 0, 300, 600 and 900");
                assert_eq!(stats.final_extent, stats.series[3].extent);
                let live_blocks = heap.blocks().filter(|b| !b.free).count();
                let live_ids = {
                    let mut live = vec![false; trace.ids];
                    for op in &trace.ops {
                        live[op.id()] = !matches!(op, Op::Free { .. });
                    }
                    live.iter().filter(|&&l| l).count()
                };
                assert_eq!(
                    live_blocks, live_ids,
                    "blocks live at the end stay allocated"
                );
            }
        }
    }
}

#[test]
fn running_out_of_memory_names_the_operation_and_its_line() {
    let trace = parse(&rep(2, 2, "a 0 100\n\na 1 5000\n")).unwrap();
    let mut memory = buffer(1024);
    let mut heap = Heap::new(ArenaBreak::new(&mut memory), Options::DEFAULT);
    let error = trace::replay(&trace, &mut heap).unwrap_err();
    match &error {
        ReplayError::Failed {
            index,
            line,
            op,
            failure: Failure::Alloc(AllocError::OutOfMemory { size, .. }),
        } => {
            assert_eq!((*index, *line, *size), (1, 7, 5000));
            assert_eq!(*op, Op::Alloc { id: 1, size: 5000 });
        }
        other => panic!("expected out of memory, got {other:?}"),
    }
    assert_eq!(error.line(), 7);
    let message = error.to_string();
    assert!(
        message.starts_with("line 7 (`a 1 5000`): out of memory"),
        "{message}"
    );
    assert_eq!(heap.blocks().count(), 1, "the first allocation stays");
}

#[test]
fn replaying_an_invalid_trace_changes_nothing() {
    let trace = Trace {
        ids: 2,
        ops: vec![Op::Alloc { id: 0, size: 8 }, Op::Realloc { id: 1, size: 8 }],
        ..Trace::default()
    };
    let mut memory = buffer(1024);
    let mut heap = Heap::new(ArenaBreak::new(&mut memory), Options::DEFAULT);
    let error = trace::replay(&trace, &mut heap).unwrap_err();
    assert!(matches!(
        error,
        ReplayError::Invalid(ref e) if e.kind == TraceErrorKind::NeverAllocated { op: 'r', id: 1 }
    ));
    assert_eq!(error.line(), 6);
    assert_eq!(
        heap.blocks().count(),
        0,
        "not even the valid first operation ran"
    );
}

#[test]
fn replay_stats_serialise_with_camel_case_names() {
    let trace = generate(Kind::Random, 100, 1);
    let mut memory = buffer(1 << 20);
    let mut heap = Heap::new(ArenaBreak::new(&mut memory), Options::DEFAULT);
    let options = ReplayOptions {
        fill: false,
        sample_every: 50,
    };
    let stats = trace::replay_with(&trace, &mut heap, options).unwrap();
    {
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["operations"], 100);
        assert_eq!(json["peakLive"], stats.peak_live);
        assert_eq!(json["peakExtent"], stats.peak_extent);
        assert_eq!(json["series"][1]["op"], 50);
        assert!(json["series"][1]["fragmentation"].is_number());
    }
    assert_eq!(stats.series.len(), 3);
}

/// The replay's own table says which blocks are live, so it frees and reallocates them with
/// `free_live` and `realloc_live`: no operation walks the chain to find its pointer (no
/// `Lookup` event), and the heap ends exactly as the checked `free` and `realloc` leave it,
/// after the same steps (every event but the lookups), under every policy and on every kind of
/// trace.
#[test]
fn replay_frees_without_looking_up_pointers_and_ends_as_the_checked_calls_do() {
    let is_lookup = |e: &Event| matches!(e, Event::Lookup { .. });
    // Every heap below on the same memory, one after the other: the two replays of a trace
    // get the same addresses.
    let mut memory = buffer(8 << 20);
    for kind in Kind::ALL {
        let trace = generate(kind, 3000, 5);
        for policy in Policy::ALL {
            for options in [
                Options::with_policy(policy),
                Options {
                    policy,
                    ..Options::SEED
                },
            ] {
                let what = format!("{kind} under {options:?}");

                // Visits are only counted: the events left are what the heap did.
                let recorder = Recorder::with_visit_limit(0);
                let mut heap = Heap::with_observer(ArenaBreak::new(&mut memory), options, recorder);
                trace::replay(&trace, &mut heap).unwrap_or_else(|e| panic!("{what}: {e}"));
                let events = heap.observer_mut().take();
                assert_eq!(
                    events.iter().filter(|e| is_lookup(e)).count(),
                    0,
                    "{what}: the replay looked pointers up"
                );
                let blocks: Vec<BlockInfo> = heap.blocks().collect();
                let (start, brk) = (heap.heap_start(), heap.brk());
                heap.check().unwrap();
                drop(heap);

                // The same trace by hand, through the checked calls.
                let recorder = Recorder::with_visit_limit(0);
                let mut heap = Heap::with_observer(ArenaBreak::new(&mut memory), options, recorder);
                let mut live: Vec<Option<NonNull<u8>>> = vec![None; trace.ids];
                for op in &trace.ops {
                    match *op {
                        Op::Alloc { id, size } => live[id] = Some(heap.alloc(size).unwrap()),
                        Op::Free { id } => {
                            heap.free(live[id].take().unwrap().as_ptr()).unwrap();
                        }
                        Op::Realloc { id, size } => {
                            let p = live[id].unwrap().as_ptr();
                            live[id] = Some(heap.realloc(p, size).unwrap());
                        }
                    }
                }
                let checked = heap.observer_mut().take();
                let frees = trace
                    .ops
                    .iter()
                    .filter(|op| !matches!(op, Op::Alloc { .. }))
                    .count();
                assert_eq!(
                    checked.iter().filter(|e| is_lookup(e)).count(),
                    frees,
                    "{what}: each checked free or realloc looks its pointer up"
                );
                let checked: Vec<Event> = checked.into_iter().filter(|e| !is_lookup(e)).collect();
                assert!(events == checked, "{what}: the heap took other steps");
                assert_eq!(heap.blocks().collect::<Vec<_>>(), blocks, "{what}");
                assert_eq!((heap.heap_start(), heap.brk()), (start, brk), "{what}");
            }
        }
    }
}

/// Counts the checked calls' lookups and the most blocks one of them looked at.
#[derive(Default)]
struct Lookups {
    count: usize,
    most_blocks: usize,
}

impl brkalloc::Observer for Lookups {
    fn event(&mut self, event: Event) {
        if let Event::Lookup { blocks, .. } = event {
            self.count += 1;
            self.most_blocks = self.most_blocks.max(blocks);
        }
    }
}

/// A 100,000-operation trace (and shorter ones of every other kind) through the checked `free`
/// and `realloc` of a heap that keeps a start map: every lookup looks at the pointer's own
/// block alone, and the heap ends exactly as the replayer's, which looks nothing up, leaves it.
#[test]
fn with_a_start_map_the_checked_calls_replay_a_long_trace_without_walking() {
    use brkalloc_lab::starts::StartBitVec;
    for (kind, ops) in [
        (Kind::Random, 100_000),
        (Kind::Coalesce, 20_000),
        (Kind::Grow, 20_000),
        (Kind::SmallLarge, 20_000),
    ] {
        let trace = generate(kind, ops, 5);
        let options = Options::with_policy(Policy::Segregated);
        let len = 64 << 20;

        let mut buffer = vec![MaybeUninit::new(0u8); len];
        let base = buffer.as_ptr() as usize;
        let mut heap = Heap::new(ArenaBreak::new(&mut buffer), options);
        trace::replay(&trace, &mut heap).unwrap();
        let relative = |b: BlockInfo, base: usize| (b.header - base, b.size, b.free);
        let replayed: Vec<_> = heap.blocks().map(|b| relative(b, base)).collect();

        let mut buffer = vec![MaybeUninit::new(0u8); len];
        let base = buffer.as_ptr() as usize;
        let mut heap = Heap::with_observer_and_map(
            ArenaBreak::new(&mut buffer),
            options,
            Lookups::default(),
            StartBitVec::new(),
        );
        let mut table: Vec<Option<NonNull<u8>>> = vec![None; trace.ops.len()];
        let mut lookups = 0;
        for op in &trace.ops {
            match *op {
                Op::Alloc { id, size } => table[id] = Some(heap.alloc(size).unwrap()),
                Op::Free { id } => {
                    heap.free(table[id].take().unwrap().as_ptr()).unwrap();
                    lookups += 1;
                }
                Op::Realloc { id, size } => {
                    let p = table[id].unwrap().as_ptr();
                    table[id] = Some(heap.realloc(p, size).unwrap());
                    lookups += 1;
                }
            }
        }
        heap.check().unwrap();
        assert!(lookups > ops / 4, "{kind:?}: the trace frees");
        assert_eq!(heap.observer().count, lookups, "{kind:?}: one lookup each");
        assert_eq!(heap.observer().most_blocks, 1, "{kind:?}: no lookup walked");
        let checked: Vec<_> = heap.blocks().map(|b| relative(b, base)).collect();
        assert!(
            checked == replayed,
            "{kind:?}: the checked calls left another heap"
        );
    }
}
