//! The report: every figure with its ratio to dlmalloc (or to glibc, for the real programs)
//! measured in the same run, as Markdown (the README's "Latest results" section) or as JSON,
//! ending with the targets and whether this run met each. The program's exit code does not
//! depend on the figures.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::machine::Machine;
use crate::measure::{PlatformResults, Settings};
use crate::programs::Programs;
use crate::size::ModuleSize;
use crate::targets::{FirstRound, TargetRow};

/// The allocator every ratio is taken against.
pub const BASELINE: &str = "dlmalloc";

/// Everything a run found.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The machine it ran on.
    pub machine: Machine,
    /// The command that ran it.
    pub command: String,
    /// How long the run took, in seconds.
    pub duration_s: f64,
    /// Sizes and time budgets.
    pub settings: Settings,
    /// Operations per microsecond, by platform, workload and allocator.
    pub throughput: Vec<ThroughputRow>,
    /// Peak live data over the memory obtained.
    pub memory: Vec<MemoryRow>,
    /// Minimal module sizes.
    pub code_size: Vec<SizeRow>,
    /// Time per operation against live blocks.
    pub scaling: Vec<ScalingRow>,
    /// Real programs and the 8-thread program, under brkalloc's malloc and glibc's.
    pub programs: Option<Programs>,
    /// The targets next to what was measured.
    pub targets: Vec<TargetRow>,
    /// Parts that could not run, and why; other remarks.
    pub notes: Vec<String>,
}

/// One allocator on one workload.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThroughputRow {
    pub platform: String,
    pub workload: String,
    pub allocator: String,
    /// Operations per microsecond in the least disturbed run (see `Throughput::best_ms`).
    pub actions_per_us: Option<f64>,
    /// `actions_per_us` over dlmalloc's on the same platform and workload.
    pub ratio_to_dlmalloc: Option<f64>,
    /// Operations in one run.
    pub actions_per_rep: f64,
    /// The least disturbed run, in milliseconds: the sum of its chunks' fastest times.
    pub best_ms: Option<f64>,
    /// The median timed run, in milliseconds.
    pub median_ms: Option<f64>,
    /// Every timed run, in milliseconds.
    pub rep_ms: Vec<f64>,
    /// Refused requests and damaged blocks (both should be 0).
    pub failed: f64,
    pub corrupted: f64,
    /// Why there is no figure.
    pub error: Option<String>,
}

/// Memory of one allocator on one workload (its first run, on a fresh heap).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryRow {
    pub platform: String,
    pub workload: String,
    pub allocator: String,
    /// The most bytes the workload had live at once.
    pub peak_live: f64,
    /// The most bytes the allocator held from its backend at once.
    pub peak_extent: Option<f64>,
    /// Bytes of pages grown for it.
    pub footprint: Option<f64>,
    /// `peak_live / peak_extent`.
    pub efficiency: Option<f64>,
    /// `efficiency` over dlmalloc's.
    pub ratio_to_dlmalloc: Option<f64>,
    /// `peak_live / footprint`.
    pub footprint_efficiency: Option<f64>,
}

/// One minimal module.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SizeRow {
    #[serde(flatten)]
    pub size: ModuleSize,
    /// The size that counts (after wasm-opt when it ran), over dlmalloc's.
    pub ratio_to_dlmalloc: Option<f64>,
    /// Bytes more than the module with no allocator.
    pub over_baseline: Option<i64>,
}

/// One allocator at one number of live blocks.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingRow {
    pub platform: String,
    pub allocator: String,
    pub live: usize,
    /// Nanoseconds per free or malloc, in the fastest batch.
    pub ns_per_op: Option<f64>,
    /// `ns_per_op` over dlmalloc's at the same number of live blocks (above 1 is slower).
    pub ratio_to_dlmalloc: Option<f64>,
    /// `ns_per_op` over the same allocator's at the fewest live blocks.
    pub ratio_to_fewest: Option<f64>,
    /// How long filling took (not part of the figure), in milliseconds.
    pub fill_ms: Option<f64>,
    pub error: Option<String>,
}

/// Where and how the run happened.
pub struct Run {
    pub machine: Machine,
    pub command: String,
    pub duration_s: f64,
    pub settings: Settings,
}

/// What each part measured, or why it did not run.
pub struct Parts<'a> {
    /// By platform name.
    pub platforms: &'a [(&'a str, &'a Result<PlatformResults, String>)],
    pub sizes: &'a Result<Vec<ModuleSize>, String>,
    pub programs: &'a Result<Programs, String>,
    pub first_round: &'a Result<FirstRound, String>,
}

fn ratio(x: Option<f64>, base: Option<f64>) -> Option<f64> {
    match (x, base) {
        (Some(x), Some(b)) if b > 0.0 => Some(x / b),
        _ => None,
    }
}

fn known(x: f64) -> Option<f64> {
    (x >= 0.0).then_some(x)
}

impl Report {
    /// Builds the report from what each part measured (`Err`: why it did not run), and
    /// compares it with the targets.
    pub fn new(run: Run, parts: Parts, mut notes: Vec<String>) -> Report {
        let Parts {
            platforms,
            sizes,
            programs,
            first_round,
        } = parts;
        let mut throughput = Vec::new();
        let mut memory = Vec::new();
        let mut scaling = Vec::new();
        for (platform, results) in platforms {
            let results = match results {
                Ok(r) => r,
                Err(e) => {
                    notes.push(format!("{platform}: not measured: {e}"));
                    continue;
                }
            };
            for w in &results.workloads {
                let find = |name: &str| {
                    w.runs
                        .iter()
                        .find(|(a, _)| a == name)
                        .and_then(|(_, r)| r.as_ref().ok())
                };
                let base = find(BASELINE);
                let base_rate = base.and_then(|t| t.actions_per_us());
                let efficiency = |t: &crate::measure::Throughput| {
                    known(t.peak_extent)
                        .filter(|&e| e > 0.0)
                        .map(|e| t.peak_live / e)
                };
                let base_eff = base.and_then(efficiency);
                for (allocator, r) in &w.runs {
                    let row = |rate, t: Option<&crate::measure::Throughput>, error| ThroughputRow {
                        platform: platform.to_string(),
                        workload: w.workload.clone(),
                        allocator: allocator.clone(),
                        actions_per_us: rate,
                        ratio_to_dlmalloc: ratio(rate, base_rate),
                        actions_per_rep: t.map_or(0.0, |t| t.actions_per_rep),
                        best_ms: t.and_then(|t| t.best_ms()),
                        median_ms: t.and_then(|t| t.median_ms()),
                        rep_ms: t.map_or(Vec::new(), |t| t.rep_ms.clone()),
                        failed: t.map_or(0.0, |t| t.failed),
                        corrupted: t.map_or(0.0, |t| t.corrupted),
                        error,
                    };
                    match r {
                        Ok(t) => {
                            throughput.push(row(t.actions_per_us(), Some(t), None));
                            let eff = efficiency(t);
                            let footprint = known(t.footprint);
                            memory.push(MemoryRow {
                                platform: platform.to_string(),
                                workload: w.workload.clone(),
                                allocator: allocator.clone(),
                                peak_live: t.peak_live,
                                peak_extent: known(t.peak_extent),
                                footprint,
                                efficiency: eff,
                                ratio_to_dlmalloc: ratio(eff, base_eff),
                                footprint_efficiency: footprint
                                    .filter(|&f| f > 0.0)
                                    .map(|f| t.peak_live / f),
                            });
                        }
                        Err(e) => throughput.push(row(None, None, Some(e.clone()))),
                    }
                }
            }
            for g in &results.scaling {
                let base = g
                    .runs
                    .iter()
                    .find(|(a, _)| a == BASELINE)
                    .and_then(|(_, r)| r.as_ref().ok())
                    .and_then(|r| r.ns_per_op());
                for (allocator, r) in &g.runs {
                    let fewest = results
                        .scaling
                        .first()
                        .and_then(|f| f.runs.iter().find(|(a, _)| a == allocator))
                        .and_then(|(_, r)| r.as_ref().ok())
                        .and_then(|r| r.ns_per_op());
                    let ns = r.as_ref().ok().and_then(|r| r.ns_per_op());
                    scaling.push(ScalingRow {
                        platform: platform.to_string(),
                        allocator: allocator.clone(),
                        live: g.live,
                        ns_per_op: ns,
                        ratio_to_dlmalloc: ratio(ns, base),
                        ratio_to_fewest: ratio(ns, fewest),
                        fill_ms: r.as_ref().ok().map(|r| r.fill_ms),
                        error: r.as_ref().err().cloned(),
                    });
                }
            }
        }
        let code_size = match sizes {
            Ok(sizes) => {
                let counted = |s: &ModuleSize| s.opt_bytes.unwrap_or(s.raw_bytes);
                let base = sizes.iter().find(|s| s.allocator == BASELINE).map(counted);
                let none = sizes
                    .iter()
                    .find(|s| s.allocator == "no allocator")
                    .map(counted);
                sizes
                    .iter()
                    .map(|s| SizeRow {
                        size: s.clone(),
                        ratio_to_dlmalloc: ratio(Some(counted(s) as f64), base.map(|b| b as f64)),
                        over_baseline: none.map(|n| counted(s) as i64 - n as i64),
                    })
                    .collect()
            }
            Err(e) => {
                notes.push(format!("code size: not measured: {e}"));
                Vec::new()
            }
        };
        let programs = match programs {
            Ok(p) => Some(p.clone()),
            Err(e) => {
                notes.push(format!("real programs: not measured: {e}"));
                None
            }
        };
        if let Err(e) = first_round {
            notes.push(format!("first round: {e}"));
        }
        let mut report = Report {
            machine: run.machine,
            command: run.command,
            duration_s: run.duration_s,
            settings: run.settings,
            throughput,
            memory,
            code_size,
            scaling,
            programs,
            targets: Vec::new(),
            notes,
        };
        report.targets = report.compare_targets(first_round.as_ref().ok());
        report
    }

    /// The report as Markdown: the README's whole "Latest results" section.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "### Latest results\n");
        let mut machine = format!(
            "Machine: `nproc` {}; `lscpu | grep 'Model name'`: {}; `node --version`: {}; \
             `rustc --version`: {}; {}, commit {}; load average {} at the end of the run.",
            m.nproc, m.cpu, m.node, m.rustc, m.date, m.commit, m.load_average
        );
        if let Some(p) = &self.programs {
            let _ = write!(machine, " Real programs: {}.", p.machine);
        }
        let _ = writeln!(out, "{machine}\n");
        let _ = writeln!(
            out,
            "Command: `{}`; it took {}. `npm run bench -- --update-readme` writes this section \
             into README.md.\n",
            self.command,
            duration(self.duration_s)
        );
        let _ = writeln!(
            out,
            "Each cell: the figure (its ratio to dlmalloc's in this run). The segregated row is \
             brkalloc in the targets: `GrowOnlyConfig` on wasm32 (what a wasm program uses as \
             its global allocator) and `SegregatedConfig` natively (crate/malloc's). Throughput \
             counts a run in which no chunk was disturbed: each run is timed in chunks, and each \
             chunk's fastest time over all runs is added up.\n"
        );
        for platform in ["wasm32", "native"] {
            self.throughput_table(&mut out, platform);
        }
        for platform in ["wasm32", "native"] {
            self.memory_table(&mut out, platform);
        }
        self.footprint_table(&mut out);
        self.size_table(&mut out);
        self.scaling_table(&mut out);
        self.programs_tables(&mut out);
        for n in &self.notes {
            let _ = writeln!(out, "- {n}");
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "#### Targets\n");
        let _ = writeln!(out, "| figure | target | measured | |\n|---|---|---|---|");
        for t in &self.targets {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                t.figure,
                t.target,
                t.measured,
                t.verdict()
            );
        }
        out
    }

    fn programs_tables(&self, out: &mut String) {
        let Some(p) = &self.programs else {
            return;
        };
        let inputs = if p.inputs == "full" {
            String::new()
        } else {
            format!(", {} inputs", p.inputs)
        };
        let _ = writeln!(
            out,
            "#### Real programs under LD_PRELOAD (brkalloc's malloc against glibc's; lower is \
             better)\n"
        );
        let _ = writeln!(
            out,
            "Each program ran {} times under each, in pairs whose order alternates{inputs}. \
             Wall time and peak RSS (`ru_maxrss`): the medians; ratio: the median over the pairs \
             of brkalloc's ÷ glibc's. Library: `{}`; `{}`.\n",
            p.runs, p.library, p.command
        );
        let _ = writeln!(
            out,
            "| program | what it does | wall, glibc | wall, brkalloc | ratio | peak RSS, glibc \
             | peak RSS, brkalloc | ratio |\n|---|---|---|---|---|---|---|---|"
        );
        let row = |out: &mut String, q: &crate::programs::Program| {
            let _ = writeln!(
                out,
                "| {} | {} | {:.3} s | {:.3} s | {} | {} | {} | {} |{}",
                q.name,
                q.note,
                q.glibc.median_wall_s,
                q.brkalloc.median_wall_s,
                q.wall_ratio.map_or("n/a".into(), times),
                mib(q.glibc.median_maxrss_kib),
                mib(q.brkalloc.median_maxrss_kib),
                q.maxrss_ratio.map_or("n/a".into(), times),
                if q.problems.is_empty() { "" } else { " ⚠" },
            );
        };
        for q in p.programs.iter().filter(|q| !q.threads) {
            row(out, q);
        }
        out.push('\n');
        let threads: Vec<_> = p.programs.iter().filter(|q| q.threads).collect();
        if !threads.is_empty() {
            let _ = writeln!(
                out,
                "#### 8 threads × 10⁶ operations, frees across threads (lower is better)\n"
            );
            let _ = writeln!(
                out,
                "| program | what it does | wall, glibc | wall, brkalloc | ratio | peak RSS, \
                 glibc | peak RSS, brkalloc | ratio |\n|---|---|---|---|---|---|---|---|"
            );
            for q in &threads {
                row(out, q);
            }
            for q in &threads {
                if let Some(c) = &q.brkalloc.cross_thread_frees {
                    let mut c = c.clone();
                    c.sort_unstable();
                    let _ = writeln!(
                        out,
                        "\nFrees that crossed threads under brkalloc, per run: {} to {}.",
                        c.first().map_or(0, |x| *x),
                        c.last().map_or(0, |x| *x)
                    );
                }
            }
            out.push('\n');
        }
        for q in &p.programs {
            for problem in &q.problems {
                let _ = writeln!(out, "⚠ {problem}\n");
            }
        }
    }

    /// Workloads and allocators of a platform, in the order measured.
    fn axes<'a, T>(
        rows: &'a [T],
        key: impl Fn(&'a T) -> (&'a str, &'a str),
    ) -> (Vec<&'a str>, Vec<&'a str>) {
        let mut workloads: Vec<&str> = Vec::new();
        let mut allocators: Vec<&str> = Vec::new();
        for r in rows {
            let (w, a) = key(r);
            if !workloads.contains(&w) {
                workloads.push(w);
            }
            if !allocators.contains(&a) {
                allocators.push(a);
            }
        }
        (workloads, allocators)
    }

    fn throughput_table(&self, out: &mut String, platform: &str) {
        let rows: Vec<&ThroughputRow> = self
            .throughput
            .iter()
            .filter(|r| r.platform == platform)
            .collect();
        if rows.is_empty() {
            return;
        }
        let (workloads, allocators) =
            Self::axes(&rows, |r| (r.workload.as_str(), r.allocator.as_str()));
        let _ = writeln!(
            out,
            "#### Throughput, {platform} (operations per µs; higher is better)\n"
        );
        header(out, "allocator", &workloads);
        for a in &allocators {
            let cells: Vec<String> = workloads
                .iter()
                .map(
                    |w| match rows.iter().find(|r| r.allocator == *a && r.workload == *w) {
                        Some(r) if r.error.is_some() => "error".into(),
                        Some(r) => {
                            let mut c = cell(r.actions_per_us, r.ratio_to_dlmalloc, 2);
                            if r.failed > 0.0 || r.corrupted > 0.0 {
                                let _ =
                                    write!(c, " ⚠ {} refused, {} damaged", r.failed, r.corrupted);
                            }
                            c
                        }
                        None => "n/a".into(),
                    },
                )
                .collect();
            let _ = writeln!(out, "| {a} | {} |", cells.join(" | "));
        }
        for r in rows.iter().filter(|r| r.error.is_some()) {
            let _ = writeln!(
                out,
                "\n{} on {}: {}",
                r.allocator,
                r.workload,
                r.error.as_deref().unwrap_or("")
            );
        }
        out.push('\n');
    }

    fn memory_table(&self, out: &mut String, platform: &str) {
        let rows: Vec<&MemoryRow> = self
            .memory
            .iter()
            .filter(|r| r.platform == platform && r.efficiency.is_some())
            .collect();
        if rows.is_empty() {
            return;
        }
        let (workloads, allocators) =
            Self::axes(&rows, |r| (r.workload.as_str(), r.allocator.as_str()));
        let _ = writeln!(
            out,
            "#### Memory efficiency, {platform} (peak live data ÷ heap extent; higher is better)\n"
        );
        let mut columns = workloads.clone();
        columns.push("trace average");
        header(out, "allocator", &columns);
        let average = |a: &str| {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| r.allocator == a && r.workload.starts_with("trace"))
                .filter_map(|r| r.efficiency)
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let base_avg = average(BASELINE);
        for a in &allocators {
            let mut cells: Vec<String> = workloads
                .iter()
                .map(
                    |w| match rows.iter().find(|r| r.allocator == *a && r.workload == *w) {
                        Some(r) => percent_cell(r.efficiency, r.ratio_to_dlmalloc),
                        None => "n/a".into(),
                    },
                )
                .collect();
            let avg = average(a);
            cells.push(percent_cell(avg, ratio(avg, base_avg)));
            let _ = writeln!(out, "| {a} | {} |", cells.join(" | "));
        }
        let live: Vec<String> = workloads
            .iter()
            .filter_map(|w| {
                rows.iter()
                    .find(|r| r.workload == *w)
                    .map(|r| format!("{w} {}", kib(r.peak_live)))
            })
            .collect();
        let _ = writeln!(out, "\nPeak live data: {}.\n", live.join(", "));
    }

    fn footprint_table(&self, out: &mut String) {
        let rows: Vec<&MemoryRow> = self
            .memory
            .iter()
            .filter(|r| r.platform == "wasm32" && r.footprint_efficiency.is_some())
            .collect();
        if rows.is_empty() {
            return;
        }
        let (workloads, allocators) =
            Self::axes(&rows, |r| (r.workload.as_str(), r.allocator.as_str()));
        let _ = writeln!(
            out,
            "#### Memory grown, wasm32 (peak live data ÷ 64 KiB pages grown; higher is better)\n"
        );
        header(out, "allocator", &workloads);
        for a in &allocators {
            let cells: Vec<String> = workloads
                .iter()
                .map(|w| {
                    let base = rows
                        .iter()
                        .find(|r| r.allocator == BASELINE && r.workload == *w)
                        .and_then(|r| r.footprint_efficiency);
                    match rows.iter().find(|r| r.allocator == *a && r.workload == *w) {
                        Some(r) => percent_cell(
                            r.footprint_efficiency,
                            ratio(r.footprint_efficiency, base),
                        ),
                        None => "n/a".into(),
                    }
                })
                .collect();
            let _ = writeln!(out, "| {a} | {} |", cells.join(" | "));
        }
        out.push('\n');
    }

    fn size_table(&self, out: &mut String) {
        if self.code_size.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "#### Code size, wasm32 (bytes of the minimal module; lower is better)\n"
        );
        let _ = writeln!(out, "| allocator | rustc + linker | after wasm-opt -Oz | over no allocator |\n|---|---|---|---|");
        for s in &self.code_size {
            let opt = match s.size.opt_bytes {
                Some(b) => cell(Some(b as f64), s.ratio_to_dlmalloc, 0),
                None => "n/a".into(),
            };
            let over = s.over_baseline.map_or("n/a".into(), |b| format!("{b:+}"));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                s.size.allocator, s.size.raw_bytes, opt, over
            );
        }
        out.push('\n');
    }

    fn scaling_table(&self, out: &mut String) {
        if self.scaling.is_empty() {
            return;
        }
        let mut lives: Vec<usize> = self.scaling.iter().map(|s| s.live).collect();
        lives.sort_unstable();
        lives.dedup();
        let _ = writeln!(
            out,
            "#### Scaling (ns per free or malloc at steady state, by live blocks; lower is better)\n"
        );
        let mut columns: Vec<String> = lives.iter().map(|l| format!("{l} live")).collect();
        columns.push("slowest ÷ fastest".into());
        let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
        header(out, "allocator", &cols);
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for s in &self.scaling {
            if !keys.contains(&(s.platform.as_str(), s.allocator.as_str())) {
                keys.push((s.platform.as_str(), s.allocator.as_str()));
            }
        }
        let mut notes = Vec::new();
        for (platform, allocator) in keys {
            let rows: Vec<&ScalingRow> = self
                .scaling
                .iter()
                .filter(|s| s.platform == platform && s.allocator == allocator)
                .collect();
            let mut cells: Vec<String> = lives
                .iter()
                .map(|l| match rows.iter().find(|r| r.live == *l) {
                    Some(r) if r.error.is_some() => {
                        notes.push(format!(
                            "{allocator}, {platform}, {l} live: {}",
                            r.error.as_deref().unwrap_or("")
                        ));
                        "n/a".into()
                    }
                    Some(r) => cell(r.ns_per_op, r.ratio_to_dlmalloc, 0),
                    None => "n/a".into(),
                })
                .collect();
            let ns: Vec<f64> = rows.iter().filter_map(|r| r.ns_per_op).collect();
            let spread = (!ns.is_empty()).then(|| {
                ns.iter().copied().fold(0.0, f64::max)
                    / ns.iter().copied().fold(f64::INFINITY, f64::min)
            });
            cells.push(spread.map_or("n/a".into(), |s| format!("{s:.2}×")));
            let _ = writeln!(out, "| {allocator}, {platform} | {} |", cells.join(" | "));
        }
        for n in notes {
            let _ = writeln!(out, "\n{n}");
        }
        out.push('\n');
    }
}

fn header(out: &mut String, first: &str, columns: &[&str]) {
    let _ = writeln!(out, "| {first} | {} |", columns.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(columns.len()));
}

/// A ratio with two decimals, or three significant digits below 0.1 (so a tiny one is not
/// shown as 0.00×).
fn times(r: f64) -> String {
    if r >= 0.1 || r == 0.0 {
        format!("{r:.2}×")
    } else {
        let decimals = (-r.log10()).floor() as usize + 3;
        format!("{r:.decimals$}×")
    }
}

fn cell(value: Option<f64>, ratio: Option<f64>, decimals: usize) -> String {
    match (value, ratio) {
        (Some(v), Some(r)) => format!("{v:.decimals$} ({})", times(r)),
        (Some(v), None) => format!("{v:.decimals$}"),
        _ => "n/a".into(),
    }
}

fn percent_cell(value: Option<f64>, ratio: Option<f64>) -> String {
    match (value, ratio) {
        (Some(v), Some(r)) => format!("{:.1} % ({})", v * 100.0, times(r)),
        (Some(v), None) => format!("{:.1} %", v * 100.0),
        _ => "n/a".into(),
    }
}

fn kib(bytes: f64) -> String {
    format!("{:.0} KiB", bytes / 1024.0)
}

fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

/// Seconds as "1 min 20 s" or "42 s".
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("about {} min {} s", s / 60, s % 60)
    } else {
        format!("about {s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_show_the_figure_and_its_ratio() {
        assert_eq!(cell(Some(12.345), Some(1.5), 2), "12.35 (1.50×)");
        assert_eq!(cell(Some(3.0), None, 0), "3");
        assert_eq!(cell(None, Some(1.0), 2), "n/a");
        assert_eq!(percent_cell(Some(0.912), Some(1.1)), "91.2 % (1.10×)");
        assert_eq!(cell(Some(0.14), Some(0.00187), 2), "0.14 (0.00187×)");
        assert_eq!(times(0.05), "0.0500×");
    }

    #[test]
    fn a_ratio_needs_a_positive_baseline() {
        assert_eq!(ratio(Some(3.0), Some(2.0)), Some(1.5));
        assert_eq!(ratio(Some(3.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(2.0)), None);
    }
}
