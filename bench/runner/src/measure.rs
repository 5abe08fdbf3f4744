//! What a run measures, the same whether it ran natively or under Node, and how long it may
//! take ([`Settings`]).

use serde::{Deserialize, Serialize};

/// Time budgets and sizes of a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Operations in one run of random actions.
    pub actions: u32,
    /// Random actions are timed in chunks of this many operations (see `Throughput`).
    pub chunk_actions: u32,
    /// Traces are timed in chunks of this many operations.
    pub chunk_ops: usize,
    /// Rounds of the stack workload in one run (each round is timed on its own).
    pub stack_rounds: u32,
    /// Operations in each generated trace.
    pub trace_ops: usize,
    /// Timed runs of one allocator on one workload stop once they add up to this (at least
    /// three runs, unless the first took longer than the budget).
    pub budget_ms: f64,
    /// ...or at this many runs.
    pub max_reps: usize,
    /// Live blocks of the scaling measurements.
    pub scaling_live: Vec<usize>,
    /// First fit is measured natively up to this many live blocks only (the wasm run measures
    /// every size): filling n blocks by first fit takes n²/2 steps.
    pub first_fit_native_max: usize,
    /// Timed batches of one scaling measurement stop once they add up to this.
    pub scaling_budget_ms: f64,
    /// A scaling batch is sized to take about this long.
    pub batch_ms: f64,
    /// The most timed batches of one scaling measurement.
    pub max_batches: usize,
    /// Runs of each real program each way, under brkalloc and under glibc.
    pub program_runs: usize,
    /// Whether the real programs' generated inputs are small (`--quick`).
    pub small_program_inputs: bool,
}

impl Settings {
    /// The full run (several minutes, most of it the real programs).
    pub fn full() -> Settings {
        Settings {
            actions: 100_000,
            chunk_actions: 10_000,
            chunk_ops: 10_000,
            stack_rounds: 20,
            trace_ops: 100_000,
            budget_ms: 250.0,
            max_reps: 25,
            scaling_live: vec![100, 1_000, 10_000, 100_000],
            first_fit_native_max: 10_000,
            scaling_budget_ms: 250.0,
            batch_ms: 5.0,
            max_batches: 100,
            program_runs: 5,
            small_program_inputs: false,
        }
    }

    /// A smoke run: smaller workloads, one or two timed runs each, and the real programs twice
    /// each way on small inputs (python, perl and the 8-thread program have fixed sizes, so
    /// those take a minute or two).
    pub fn quick() -> Settings {
        Settings {
            actions: 10_000,
            chunk_actions: 2_000,
            chunk_ops: 2_000,
            stack_rounds: 2,
            trace_ops: 10_000,
            budget_ms: 10.0,
            max_reps: 2,
            scaling_live: vec![100, 1_000],
            first_fit_native_max: 10_000,
            scaling_budget_ms: 5.0,
            batch_ms: 1.0,
            max_batches: 3,
            program_runs: 2,
            small_program_inputs: true,
        }
    }
}

/// The seed of random actions and scaling.
pub const SEED: u64 = 0x5eed_b4ea;

/// Blocks a workload may hold at once (and the largest trace id plus one): the wasm module's
/// table size, used natively too.
pub const SLOTS: usize = 1 << 17;

/// One allocator on one throughput workload.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    /// Operations in one run.
    pub actions_per_rep: f64,
    /// The time of each timed run, in milliseconds.
    pub rep_ms: Vec<f64>,
    /// Each run is timed in chunks; this is each chunk's fastest time over the runs. Their sum
    /// is a run in which no chunk was disturbed by the rest of the machine.
    #[serde(default)]
    pub best_chunk_ms: Vec<f64>,
    /// The most bytes live at once in the first run.
    pub peak_live: f64,
    /// The allocator's heap extent after the first run, in bytes (negative: unknown).
    pub peak_extent: f64,
    /// Bytes of pages grown for it after the first run (negative: unknown).
    pub footprint: f64,
    /// Requests it refused, over all runs.
    pub failed: f64,
    /// Blocks found damaged, over all runs.
    pub corrupted: f64,
}

impl Throughput {
    /// The least disturbed time of one run, in milliseconds: the sum of the chunks' fastest
    /// times (or, without chunks, the fastest run).
    pub fn best_ms(&self) -> Option<f64> {
        if self.best_chunk_ms.is_empty() {
            self.rep_ms.iter().copied().reduce(f64::min)
        } else {
            Some(self.best_chunk_ms.iter().sum())
        }
    }

    /// Operations per microsecond in the least disturbed run ([`Throughput::best_ms`]).
    pub fn actions_per_us(&self) -> Option<f64> {
        let best = self.best_ms()?;
        (best > 0.0).then(|| self.actions_per_rep / (best * 1000.0))
    }

    /// The median timed run, in milliseconds.
    pub fn median_ms(&self) -> Option<f64> {
        median(&self.rep_ms)
    }
}

/// One allocator at one number of live blocks.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingRun {
    /// Live blocks reached by the fill.
    pub live: f64,
    /// How long the fill took, in milliseconds (not part of the figure).
    pub fill_ms: f64,
    /// Free+malloc pairs in each timed batch.
    pub batch: f64,
    /// The time of each timed batch, in milliseconds.
    pub batch_ms: Vec<f64>,
    /// Requests refused.
    pub failed: f64,
    /// Blocks found damaged.
    pub corrupted: f64,
}

impl ScalingRun {
    /// Nanoseconds per operation (a free or a malloc) in the fastest batch.
    pub fn ns_per_op(&self) -> Option<f64> {
        let best = self.batch_ms.iter().copied().reduce(f64::min)?;
        (self.batch > 0.0).then(|| best * 1e6 / (2.0 * self.batch))
    }
}

/// The median of `xs`.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// A throughput workload: a row of the tables.
#[derive(Clone, Debug)]
pub enum Workload {
    /// Random actions, with or without realloc.
    Random {
        /// Whether realloc is one of the actions.
        realloc: bool,
    },
    /// The stack workload.
    Stack,
    /// A generated trace, by its index in the list of traces.
    Trace(usize),
}

/// What every allocator did on one workload (in the order of the allocators asked for).
#[derive(Clone, Debug)]
pub struct WorkloadResults {
    /// The workload's name in the tables.
    pub workload: String,
    /// Each allocator's name and result (or why it has none).
    pub runs: Vec<(String, Result<Throughput, String>)>,
}

/// Every allocator at one number of live blocks.
#[derive(Clone, Debug)]
pub struct ScalingResults {
    /// Live blocks asked for.
    pub live: usize,
    /// Each allocator's name and result.
    pub runs: Vec<(String, Result<ScalingRun, String>)>,
}

/// Everything measured on one platform.
#[derive(Clone, Debug, Default)]
pub struct PlatformResults {
    /// Throughput and memory, workload by workload.
    pub workloads: Vec<WorkloadResults>,
    /// Scaling, size by size.
    pub scaling: Vec<ScalingResults>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fastest_run_gives_the_rate() {
        let t = Throughput {
            actions_per_rep: 1000.0,
            rep_ms: vec![4.0, 2.0, 8.0],
            ..Throughput::default()
        };
        assert_eq!(t.actions_per_us(), Some(0.5));
        assert_eq!(t.median_ms(), Some(4.0));
        assert_eq!(Throughput::default().actions_per_us(), None);
    }

    #[test]
    fn chunks_fastest_times_add_up_to_the_best_run() {
        let t = Throughput {
            actions_per_rep: 1000.0,
            rep_ms: vec![5.0, 6.0],
            best_chunk_ms: vec![1.0, 1.5, 1.5],
            ..Throughput::default()
        };
        assert_eq!(t.best_ms(), Some(4.0));
        assert_eq!(t.actions_per_us(), Some(0.25));
    }

    #[test]
    fn a_pair_is_two_operations() {
        let s = ScalingRun {
            batch: 1000.0,
            batch_ms: vec![3.0, 1.0],
            ..ScalingRun::default()
        };
        assert_eq!(s.ns_per_op(), Some(500.0));
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
