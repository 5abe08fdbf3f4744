//! What `brkalloc replay` does and prints, natively: a trace run through the one
//! [`Replayer`](crate::trace::Replayer) on a private break, timed ([`replay_native`]), and its
//! report as text ([`text`]) or one JSON object ([`json`]). The binary only parses its
//! arguments, reads the file and prints what these return.

use std::time::Instant;

use brkalloc::{Break, Heap, Options, Policy};

use crate::diagram::diagram;
use crate::json::OptionsJson;
use crate::snapshot::Snapshot;
use crate::trace::{replay_with, ReplayError, ReplayOptions, ReplayStats, Trace};
use crate::wording::{self, thousands};

/// Everything `brkalloc replay` was asked to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The trace's name, for the report: its path, or `-` for standard input.
    pub file: String,
    /// The allocator's options.
    pub options: Options,
    /// Whether they came from the seed preset, for the report.
    pub seed_preset: bool,
    /// How to replay.
    pub replay: ReplayOptions,
    /// Bytes of address space to reserve for the heap.
    pub reserve: usize,
    /// Whether to draw the heap left at the end.
    pub diagram: bool,
}

/// The allocator's options from a policy, with or without the seed preset (the classic
/// allocator: no splitting, no coalescing, and only the last block gives memory back).
pub fn options(policy: Policy, seed_preset: bool) -> Options {
    if seed_preset {
        Options {
            policy,
            ..Options::SEED
        }
    } else {
        Options::with_policy(policy)
    }
}

/// What a native replay gives: the measurements, the time it took, and the heap it left
/// (when a diagram was asked for).
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// What the replay measured.
    pub stats: ReplayStats,
    /// Seconds the replay took, parsing excluded.
    pub seconds: f64,
    /// The heap at the end, when [`Request::diagram`] is set.
    pub snapshot: Option<Snapshot>,
}

/// Why a native replay failed.
#[derive(Clone, Debug, PartialEq)]
pub enum RunError {
    /// The memory for the heap could not be set aside (`--reserve` too large for the machine).
    Reserve(String),
    /// The replay stopped: an operation the heap refused, or an invalid trace.
    Replay(ReplayError),
}

/// The backend the replay runs on, for the report.
pub const fn backend_name() -> &'static str {
    if cfg!(unix) {
        "mmap"
    } else {
        "arena"
    }
}

/// Replays `trace` on the native backend: a private break in an `mmap` reservation of
/// [`Request::reserve`] bytes.
#[cfg(unix)]
pub fn replay_native(trace: &Trace, request: &Request) -> Result<Run, RunError> {
    let heap = Heap::new(brkalloc::MmapBreak::new(request.reserve), request.options);
    replay_on(trace, request, heap)
}

/// Replays `trace` on an arena over a large vector, where there is no `mmap`. The vector's
/// capacity is never written before the heap uses it, so the system provides its pages only as
/// needed.
#[cfg(not(unix))]
pub fn replay_native(trace: &Trace, request: &Request) -> Result<Run, RunError> {
    let mut memory: std::vec::Vec<u8> = std::vec::Vec::new();
    memory.try_reserve_exact(request.reserve).map_err(|_| {
        RunError::Reserve(format!(
            "cannot reserve {} bytes for the heap; try a smaller --reserve",
            request.reserve
        ))
    })?;
    let heap = Heap::new(
        brkalloc::ArenaBreak::new(memory.spare_capacity_mut()),
        request.options,
    );
    replay_on(trace, request, heap)
}

fn replay_on<B: Break>(
    trace: &Trace,
    request: &Request,
    mut heap: Heap<B, Options>,
) -> Result<Run, RunError> {
    let start = Instant::now();
    let result = replay_with(trace, &mut heap, request.replay);
    let seconds = start.elapsed().as_secs_f64();
    let stats = result.map_err(RunError::Replay)?;
    let snapshot = request.diagram.then(|| Snapshot::of(&heap));
    Ok(Run {
        stats,
        seconds,
        snapshot,
    })
}

fn ops_per_second(operations: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        operations as f64 / seconds
    } else {
        0.0
    }
}

/// The report as text: the trace, the allocator, the counts, peak live data, heap extent,
/// utilisation and speed; then the samples as a table, and the heap drawn, when asked for.
pub fn text(request: &Request, trace: &Trace, run: &Run) -> String {
    use core::fmt::Write as _;
    let stats = &run.stats;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "trace         {} ({} operations on {} ids, weight {})",
        request.file,
        thousands(trace.ops.len()),
        thousands(trace.ids),
        trace.weight
    );
    let _ = writeln!(
        out,
        "allocator     {} on the {} break",
        wording::options(&request.options, request.seed_preset),
        backend_name()
    );
    let _ = writeln!(
        out,
        "operations    {} ({} alloc, {} free, {} realloc)",
        thousands(stats.operations),
        thousands(stats.allocs),
        thousands(stats.frees),
        thousands(stats.reallocs)
    );
    let _ = writeln!(out, "peak live     {}", wording::bytes(stats.peak_live));
    let _ = writeln!(
        out,
        "heap extent   {} at its peak, {} at the end",
        wording::bytes(stats.peak_extent),
        thousands(stats.final_extent)
    );
    let _ = writeln!(
        out,
        "utilisation   {:.1}% (peak live / peak heap extent)",
        stats.utilisation * 100.0
    );
    let _ = writeln!(
        out,
        "speed         {} operations per second ({:.3} ms in all{})",
        thousands(ops_per_second(stats.operations, run.seconds).round() as usize),
        run.seconds * 1000.0,
        if request.replay.fill {
            ", pattern checks included"
        } else {
            ""
        }
    );
    if !stats.series.is_empty() {
        let _ = writeln!(
            out,
            "\n{:>12} {:>14} {:>14} {:>14}",
            "operation", "extent", "live", "fragmentation"
        );
        for s in &stats.series {
            let _ = writeln!(
                out,
                "{:>12} {:>14} {:>14} {:>13.1}%",
                thousands(s.op),
                thousands(s.extent),
                thousands(s.live),
                s.fragmentation * 100.0
            );
        }
    }
    if let Some(snapshot) = &run.snapshot {
        out.push('\n');
        out.push_str(&diagram(snapshot));
    }
    out
}

/// The report as one JSON object, with a line break: the [`ReplayStats`] fields, then the
/// trace's name, ids and weight, the options, the backend, whether the pattern was checked, the
/// time and the speed.
pub fn json(request: &Request, trace: &Trace, run: &Run) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(&run.stats)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("trace".into(), request.file.clone().into());
        object.insert("ids".into(), trace.ids.into());
        object.insert("weight".into(), trace.weight.into());
        object.insert(
            "options".into(),
            serde_json::to_value(OptionsJson(request.options, true))?,
        );
        object.insert("seedPreset".into(), request.seed_preset.into());
        object.insert("backend".into(), backend_name().into());
        object.insert("fill".into(), request.replay.fill.into());
        object.insert("seconds".into(), run.seconds.into());
        object.insert(
            "opsPerSecond".into(),
            ops_per_second(run.stats.operations, run.seconds).into(),
        );
    }
    let mut text = serde_json::to_string(&value)?;
    text.push('\n');
    Ok(text)
}
