//! The speed and memory targets, each computed from this run's figures (and, for "no workload
//! worse than in the first round", from `bench/first-round.json`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::{Report, BASELINE};

/// brkalloc in the targets: the segregated row (`GrowOnlyConfig` on wasm32, `SegregatedConfig`
/// natively, the configuration of crate/malloc).
pub const SUBJECT: &str = "segregated";
/// Its minimal module in the code-size table.
pub const SIZE_SUBJECT: &str = "brkalloc";
/// The allocator whose random throughput ratio brkalloc must reach too.
pub const RIVAL: &str = "talc";
/// The numbers of live blocks of the steady-state target.
pub const SCALING_COUNTS: [usize; 4] = [100, 1_000, 10_000, 100_000];
/// The largest minimal module, in bytes after `wasm-opt -Oz`.
pub const SIZE_LIMIT: u64 = 2_000;
/// The largest ratios to glibc of a real program's wall time and peak RSS.
pub const PROGRAM_WALL_LIMIT: f64 = 1.05;
pub const PROGRAM_RSS_LIMIT: f64 = 1.0;
/// The largest ratio to glibc of the 8-thread program's wall time.
pub const THREADS_WALL_LIMIT: f64 = 2.0;

/// A target and how this run's figure compares.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRow {
    /// The figure, and the platform when it has one.
    pub figure: String,
    pub target: String,
    pub measured: String,
    /// Whether the figure is on the right side of the target; `None`: not (fully) measured,
    /// or not comparable (`measured` says why).
    pub met: Option<bool>,
}

impl TargetRow {
    /// The last column of the table.
    pub fn verdict(&self) -> &'static str {
        match self.met {
            Some(true) => "met",
            Some(false) => "not met",
            None if self.measured == NOT_MEASURED => NOT_MEASURED,
            None => "not decided",
        }
    }
}

/// What a row says when there is no figure at all.
const NOT_MEASURED: &str = "not measured";

/// brkalloc's memory efficiency in the first round, in percent with one decimal, as the README
/// printed it (`bench/first-round.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstRound {
    pub about: String,
    /// Each workload's peak live data in KiB: a run is compared only if its workloads match.
    pub peak_live_kib: BTreeMap<String, f64>,
    /// Peak live data ÷ heap extent, by platform and workload.
    pub efficiency: BTreeMap<String, BTreeMap<String, f64>>,
    /// Peak live data ÷ pages grown, by platform and workload.
    pub pages_grown: BTreeMap<String, BTreeMap<String, f64>>,
}

impl FirstRound {
    pub fn load(path: &Path) -> Result<FirstRound, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Tenths of a percent, as the tables print an efficiency.
fn tenths(fraction: f64) -> i64 {
    (fraction * 1000.0).round() as i64
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn verdict(failed: bool, incomplete: bool) -> Option<bool> {
    if failed {
        Some(false)
    } else if incomplete {
        None
    } else {
        Some(true)
    }
}

impl Report {
    /// Every target, in the order of the table.
    pub(crate) fn compare_targets(&self, first_round: Option<&FirstRound>) -> Vec<TargetRow> {
        let mut rows = Vec::new();
        for platform in ["wasm32", "native"] {
            rows.push(self.throughput_target(platform));
        }
        for platform in ["wasm32", "native"] {
            rows.push(self.scaling_target(platform));
        }
        rows.push(self.size_target());
        for platform in ["wasm32", "native"] {
            rows.push(self.memory_target(platform, first_round));
        }
        rows.push(self.programs_target());
        rows.push(self.threads_target());
        rows
    }

    fn throughput_target(&self, platform: &str) -> TargetRow {
        let figure = format!("throughput, {platform}");
        let target =
            format!("≥ 1.0× {BASELINE} on every workload; on random, at least {RIVAL}'s ratio");
        let rows: Vec<_> = self
            .throughput
            .iter()
            .filter(|r| r.platform == platform && r.allocator == SUBJECT)
            .collect();
        if rows.is_empty() {
            return not_measured(figure, target);
        }
        let ratio_of = |allocator: &str| {
            self.throughput
                .iter()
                .find(|r| {
                    r.platform == platform && r.workload == "random" && r.allocator == allocator
                })
                .and_then(|r| r.ratio_to_dlmalloc)
        };
        let below: Vec<String> = rows
            .iter()
            .filter_map(|r| r.ratio_to_dlmalloc.filter(|&x| x < 1.0).map(|x| (r, x)))
            .map(|(r, x)| format!("{} {x:.3}×", r.workload))
            .collect();
        let missing: Vec<String> = rows
            .iter()
            .filter(|r| r.ratio_to_dlmalloc.is_none())
            .map(|r| r.workload.clone())
            .collect();
        let (ours, theirs) = (ratio_of(SUBJECT), ratio_of(RIVAL));
        let mut measured = if below.is_empty() {
            let lowest = rows
                .iter()
                .filter_map(|r| r.ratio_to_dlmalloc.map(|x| (x, &r.workload)))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            match lowest {
                Some((x, w)) => format!("≥ 1.00× on every workload (lowest {x:.2}×, {w})"),
                None => "no ratio".into(),
            }
        } else {
            format!("below 1.00× on {}", list(&below))
        };
        if !missing.is_empty() {
            measured += &format!("; not measured on {}", list(&missing));
        }
        let fmt = |x: Option<f64>| x.map_or("not measured".into(), |x| format!("{x:.3}×"));
        measured += &format!("; random {} against {RIVAL}'s {}", fmt(ours), fmt(theirs));
        let behind = matches!((ours, theirs), (Some(a), Some(b)) if a < b);
        TargetRow {
            figure,
            target,
            measured,
            met: verdict(
                !below.is_empty() || behind,
                !missing.is_empty() || ours.is_none() || theirs.is_none(),
            ),
        }
    }

    fn scaling_target(&self, platform: &str) -> TargetRow {
        let figure = format!("steady-state time per operation, {platform}");
        let target = format!(
            "≤ {BASELINE}'s at every count, {} to {} live blocks",
            thousands(SCALING_COUNTS[0] as u64),
            thousands(SCALING_COUNTS[SCALING_COUNTS.len() - 1] as u64)
        );
        let mut cells = Vec::new();
        let (mut failed, mut missing) = (false, Vec::new());
        for live in SCALING_COUNTS {
            let r = self
                .scaling
                .iter()
                .find(|s| s.platform == platform && s.allocator == SUBJECT && s.live == live)
                .and_then(|s| s.ratio_to_dlmalloc);
            match r {
                Some(r) => {
                    failed |= r > 1.0;
                    cells.push(format!("{}: {r:.3}×", thousands(live as u64)));
                }
                None => missing.push(thousands(live as u64)),
            }
        }
        let mut measured = if cells.is_empty() {
            String::new()
        } else {
            format!("ns per operation ÷ {BASELINE}'s: {}", list(&cells))
        };
        if !missing.is_empty() {
            if !measured.is_empty() {
                measured += "; ";
            }
            measured += &format!("not measured at {} live", list(&missing));
        }
        TargetRow {
            figure,
            target,
            measured,
            met: verdict(failed, !missing.is_empty()),
        }
    }

    fn size_target(&self) -> TargetRow {
        let figure = "minimal module, wasm32".to_string();
        let target = format!("≤ {} B after wasm-opt -Oz", thousands(SIZE_LIMIT));
        let Some(s) = self
            .code_size
            .iter()
            .find(|s| s.size.allocator == SIZE_SUBJECT)
        else {
            return not_measured(figure, target);
        };
        match s.size.opt_bytes {
            Some(b) => TargetRow {
                figure,
                target,
                measured: format!("{} B", thousands(b)),
                met: Some(b <= SIZE_LIMIT),
            },
            None => TargetRow {
                figure,
                target,
                measured: format!(
                    "{} B before wasm-opt (wasm-opt did not run)",
                    thousands(s.size.raw_bytes)
                ),
                met: None,
            },
        }
    }

    fn memory_target(&self, platform: &str, first_round: Option<&FirstRound>) -> TargetRow {
        let pages = platform == "wasm32";
        let figure = if pages {
            format!("memory efficiency, {platform} (bytes and pages grown)")
        } else {
            format!("memory efficiency, {platform} (bytes)")
        };
        let target =
            format!("≥ {BASELINE} on every workload; no workload worse than in the first round");
        let rows: Vec<_> = self
            .memory
            .iter()
            .filter(|m| m.platform == platform && m.allocator == SUBJECT)
            .collect();
        if rows.is_empty() {
            return not_measured(figure, target);
        }
        let mut below = Vec::new();
        let mut incomplete = false;
        for m in &rows {
            match m.ratio_to_dlmalloc {
                Some(r) if r < 1.0 => below.push(format!("bytes on {} {r:.3}×", m.workload)),
                Some(_) => {}
                None => incomplete = true,
            }
            if pages {
                let base = self
                    .memory
                    .iter()
                    .find(|b| {
                        b.platform == platform
                            && b.allocator == BASELINE
                            && b.workload == m.workload
                    })
                    .and_then(|b| b.footprint_efficiency);
                match (m.footprint_efficiency, base) {
                    (Some(x), Some(b)) if b > 0.0 => {
                        if x < b {
                            below.push(format!("pages on {} {:.3}×", m.workload, x / b));
                        }
                    }
                    _ => incomplete = true,
                }
            }
        }
        let mut measured = if below.is_empty() {
            format!("at or above {BASELINE} on all {} workloads", rows.len())
        } else {
            format!("below {BASELINE}: {}", list(&below))
        };
        // The first round: only when this run's workloads are the same (their peak live data).
        let mut worse = Vec::new();
        let comparison = first_round.ok_or("bench/first-round.json was not read".to_string());
        let comparison = comparison.and_then(|f| {
            let differ: Vec<String> = rows
                .iter()
                .filter(|m| {
                    f.peak_live_kib.get(&m.workload).map(|&k| k.round())
                        != Some((m.peak_live / 1024.0).round())
                })
                .map(|m| m.workload.clone())
                .collect();
            if differ.is_empty() && rows.len() == f.peak_live_kib.len() {
                Ok(f)
            } else {
                Err(format!(
                    "not compared with the first round: its workloads were not these (peak live \
                     data differs on {})",
                    if differ.is_empty() {
                        "the list of workloads".to_string()
                    } else {
                        list(&differ)
                    }
                ))
            }
        });
        match comparison {
            Ok(f) => {
                let mut compare =
                    |what: &str,
                     table: &BTreeMap<String, BTreeMap<String, f64>>,
                     x: &dyn Fn(&crate::report::MemoryRow) -> Option<f64>| {
                        for m in &rows {
                            let first = table.get(platform).and_then(|t| t.get(&m.workload));
                            match (x(m), first) {
                                (Some(now), Some(&then)) => {
                                    if tenths(now) < (then * 10.0).round() as i64 {
                                        worse.push(format!(
                                            "{what} on {} {:.1} % (first round {then:.1} %)",
                                            m.workload,
                                            now * 100.0
                                        ));
                                    }
                                }
                                _ => incomplete = true,
                            }
                        }
                    };
                compare("bytes", &f.efficiency, &|m| m.efficiency);
                if pages {
                    compare("pages", &f.pages_grown, &|m| m.footprint_efficiency);
                }
                if worse.is_empty() {
                    measured += "; no workload worse than in the first round";
                } else {
                    measured += &format!("; worse than in the first round: {}", list(&worse));
                }
            }
            Err(e) => {
                incomplete = true;
                measured += &format!("; {e}");
            }
        }
        TargetRow {
            figure,
            target,
            measured,
            met: verdict(!below.is_empty() || !worse.is_empty(), incomplete),
        }
    }

    fn programs_target(&self) -> TargetRow {
        let figure = "real programs under LD_PRELOAD".to_string();
        let target = format!(
            "wall time ≤ {PROGRAM_WALL_LIMIT:.2}× glibc's and peak RSS ≤ {PROGRAM_RSS_LIMIT:.2}× \
             glibc's on each"
        );
        let Some(p) = &self.programs else {
            return not_measured(figure, target);
        };
        let programs: Vec<_> = p.programs.iter().filter(|p| !p.threads).collect();
        if programs.is_empty() {
            return not_measured(figure, target);
        }
        let mut over = Vec::new();
        let mut incomplete = Vec::new();
        let mut failed = Vec::new();
        for q in &programs {
            match q.wall_ratio {
                Some(r) if r > PROGRAM_WALL_LIMIT => over.push(format!("{} wall {r:.3}×", q.name)),
                Some(_) => {}
                None => incomplete.push(format!("{} wall", q.name)),
            }
            match q.maxrss_ratio {
                Some(r) if r > PROGRAM_RSS_LIMIT => over.push(format!("{} RSS {r:.3}×", q.name)),
                Some(_) => {}
                None => incomplete.push(format!("{} RSS", q.name)),
            }
            if !q.problems.is_empty() {
                failed.push(q.name.clone());
            }
        }
        let worst = |f: &dyn Fn(&crate::programs::Program) -> Option<f64>| {
            programs
                .iter()
                .filter_map(|q| f(q).map(|r| (r, &q.name)))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map_or("n/a".into(), |(r, n)| format!("{r:.2}× ({n})"))
        };
        let mut measured = format!(
            "worst wall {}, worst peak RSS {}",
            worst(&|q| q.wall_ratio),
            worst(&|q| q.maxrss_ratio)
        );
        if !over.is_empty() {
            measured += &format!("; over: {}", list(&over));
        }
        if !incomplete.is_empty() {
            measured += &format!("; no ratio for {}", list(&incomplete));
        }
        if !failed.is_empty() {
            measured += &format!("; output differed or a run failed: {}", list(&failed));
        }
        if p.inputs != "full" {
            measured += &format!(" ({} inputs)", p.inputs);
        }
        TargetRow {
            figure,
            target,
            measured,
            met: verdict(
                !over.is_empty() || !failed.is_empty(),
                !incomplete.is_empty(),
            ),
        }
    }

    fn threads_target(&self) -> TargetRow {
        let figure = "8 threads × 10⁶ operations, frees across threads".to_string();
        let target = format!("≤ {THREADS_WALL_LIMIT:.0}× glibc's wall time");
        let Some(t) = self
            .programs
            .as_ref()
            .and_then(|p| p.programs.iter().find(|p| p.threads))
        else {
            return not_measured(figure, target);
        };
        let mut measured = t.wall_ratio.map_or("no ratio".into(), |r| {
            format!(
                "{r:.2}× ({:.2} s against {:.2} s)",
                t.brkalloc.median_wall_s, t.glibc.median_wall_s
            )
        });
        if !t.problems.is_empty() {
            measured += "; output differed or a run failed";
        }
        TargetRow {
            figure,
            target,
            measured,
            met: verdict(
                t.wall_ratio.is_some_and(|r| r > THREADS_WALL_LIMIT) || !t.problems.is_empty(),
                t.wall_ratio.is_none(),
            ),
        }
    }
}

fn not_measured(figure: String, target: String) -> TargetRow {
    TargetRow {
        figure,
        target,
        measured: NOT_MEASURED.into(),
        met: None,
    }
}

/// A whole number with a comma every three digits.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;
    use crate::measure::{
        PlatformResults, ScalingResults, ScalingRun, Settings, Throughput, WorkloadResults,
    };
    use crate::programs::{Program, Programs, Side};
    use crate::report::{Parts, Run};

    /// One run of 1,000 operations in `ms`, with `live` bytes at peak in `extent` bytes.
    fn t(ms: f64, live: f64, extent: f64) -> Result<Throughput, String> {
        Ok(Throughput {
            actions_per_rep: 1000.0,
            rep_ms: vec![ms],
            peak_live: live,
            peak_extent: extent,
            footprint: extent,
            ..Throughput::default()
        })
    }

    /// Two workloads, random and stack, on brkalloc, dlmalloc and talc: `ours` gives
    /// brkalloc's time and heap extent on each.
    fn platform(
        ours: [(f64, f64); 2],
        talc_random_ms: f64,
        scaling_ns: &[(usize, f64, f64)],
    ) -> PlatformResults {
        let live = 1024.0 * 100.0;
        let workload = |name: &str, i: usize, talc_ms: f64| WorkloadResults {
            workload: name.into(),
            runs: vec![
                (SUBJECT.into(), t(ours[i].0, live, ours[i].1)),
                (BASELINE.into(), t(1.0, live, 2.0 * live)),
                (RIVAL.into(), t(talc_ms, live, 2.0 * live)),
            ],
        };
        let run = |ns: f64| {
            Ok(ScalingRun {
                batch: 1000.0,
                batch_ms: vec![ns * 2.0 * 1000.0 / 1e6],
                ..ScalingRun::default()
            })
        };
        PlatformResults {
            workloads: vec![
                workload("random", 0, talc_random_ms),
                workload("stack", 1, 1.0),
            ],
            scaling: scaling_ns
                .iter()
                .map(|&(live, ours, theirs)| ScalingResults {
                    live,
                    runs: vec![(SUBJECT.into(), run(ours)), (BASELINE.into(), run(theirs))],
                })
                .collect(),
        }
    }

    fn first_round(efficiency: f64) -> FirstRound {
        let per = |x: f64| -> BTreeMap<String, f64> {
            [("random".to_string(), x), ("stack".to_string(), x)].into()
        };
        FirstRound {
            about: String::new(),
            peak_live_kib: per(100.0),
            efficiency: [("native".to_string(), per(efficiency))].into(),
            pages_grown: BTreeMap::new(),
        }
    }

    fn program(name: &str, wall: f64, rss: f64) -> Program {
        let side = |w: f64, r: f64| Side {
            wall_s: vec![w],
            maxrss_kib: vec![r],
            median_wall_s: w,
            median_maxrss_kib: r,
            cross_thread_frees: None,
        };
        Program {
            name: name.into(),
            note: String::new(),
            threads: name == "threads",
            runs: 1,
            glibc: side(1.0, 1000.0),
            brkalloc: side(wall, 1000.0 * rss),
            wall_ratio: Some(wall),
            maxrss_ratio: Some(rss),
            problems: Vec::new(),
        }
    }

    fn report(
        native: PlatformResults,
        programs: Vec<Program>,
        first: Result<FirstRound, String>,
    ) -> Report {
        let run = Run {
            machine: Machine::detect(Path::new(".")),
            command: "test".into(),
            duration_s: 0.0,
            settings: Settings::quick(),
        };
        let programs = Ok(Programs {
            command: String::new(),
            machine: String::new(),
            library: String::new(),
            inputs: "full".into(),
            runs: 1,
            programs,
        });
        Report::new(
            run,
            Parts {
                platforms: &[("native", &Ok(native))],
                sizes: &Err("not built".into()),
                programs: &programs,
                first_round: &first,
            },
            Vec::new(),
        )
    }

    fn row<'a>(r: &'a Report, figure: &str) -> &'a TargetRow {
        r.targets
            .iter()
            .find(|t| t.figure == figure)
            .unwrap_or_else(|| panic!("no row {figure}"))
    }

    const FULL_SCALING: [(usize, f64, f64); 4] = [
        (100, 10.0, 20.0),
        (1_000, 10.0, 20.0),
        (10_000, 10.0, 20.0),
        (100_000, 10.0, 20.0),
    ];

    #[test]
    fn every_figure_has_its_row_and_unmeasured_ones_say_so() {
        let r = report(
            platform([(0.5, 1.0e5); 2], 0.5, &FULL_SCALING),
            vec![],
            Err("x".into()),
        );
        let figures: Vec<&str> = r.targets.iter().map(|t| t.figure.as_str()).collect();
        assert_eq!(figures.len(), 9);
        assert_eq!(row(&r, "throughput, wasm32").met, None);
        assert_eq!(row(&r, "minimal module, wasm32").met, None);
        assert_eq!(
            row(&r, "real programs under LD_PRELOAD").verdict(),
            "not measured"
        );
    }

    #[test]
    fn throughput_needs_every_workload_and_talc_on_random() {
        // Twice dlmalloc's rate everywhere, and talc's on random: met.
        let r = report(
            platform([(0.5, 1.0e5); 2], 0.5, &FULL_SCALING),
            vec![],
            Err("x".into()),
        );
        assert_eq!(row(&r, "throughput, native").met, Some(true));
        // talc faster on random.
        let r = report(
            platform([(0.5, 1.0e5); 2], 0.4, &FULL_SCALING),
            vec![],
            Err("x".into()),
        );
        let t = row(&r, "throughput, native");
        assert_eq!(t.met, Some(false));
        assert!(
            t.measured.contains("random 2.000× against talc's 2.500×"),
            "{}",
            t.measured
        );
        // Slower than dlmalloc on stack.
        let r = report(
            platform([(0.5, 1.0e5), (2.0, 1.0e5)], 0.5, &FULL_SCALING),
            vec![],
            Err("x".into()),
        );
        let t = row(&r, "throughput, native");
        assert_eq!(t.met, Some(false));
        assert!(
            t.measured.contains("below 1.00× on stack 0.500×"),
            "{}",
            t.measured
        );
    }

    #[test]
    fn scaling_needs_every_count_at_or_below_dlmalloc() {
        let r = report(
            platform([(0.5, 1.0e5); 2], 0.5, &FULL_SCALING),
            vec![],
            Err("x".into()),
        );
        assert_eq!(
            row(&r, "steady-state time per operation, native").met,
            Some(true)
        );
        let mut slower = FULL_SCALING;
        slower[3].1 = 21.0;
        let r = report(
            platform([(0.5, 1.0e5); 2], 0.5, &slower),
            vec![],
            Err("x".into()),
        );
        assert_eq!(
            row(&r, "steady-state time per operation, native").met,
            Some(false)
        );
        let r = report(
            platform([(0.5, 1.0e5); 2], 0.5, &FULL_SCALING[..2]),
            vec![],
            Err("x".into()),
        );
        let t = row(&r, "steady-state time per operation, native");
        assert_eq!(t.met, None);
        assert!(
            t.measured.contains("not measured at 10,000, 100,000 live"),
            "{}",
            t.measured
        );
    }

    #[test]
    fn memory_is_compared_with_dlmalloc_and_the_first_round() {
        let live = 1024.0 * 100.0;
        // 80 % against dlmalloc's 50 %, and the first round's 80.0 %: met.
        let ours = [(0.5, live / 0.8); 2];
        let r = report(
            platform(ours, 0.5, &FULL_SCALING),
            vec![],
            Ok(first_round(80.0)),
        );
        let m = row(&r, "memory efficiency, native (bytes)");
        assert_eq!(m.met, Some(true), "{}", m.measured);
        // The first round had 80.1 %: worse now.
        let r = report(
            platform(ours, 0.5, &FULL_SCALING),
            vec![],
            Ok(first_round(80.1)),
        );
        let m = row(&r, "memory efficiency, native (bytes)");
        assert_eq!(m.met, Some(false));
        assert!(
            m.measured
                .contains("bytes on random 80.0 % (first round 80.1 %)"),
            "{}",
            m.measured
        );
        // Below dlmalloc.
        let r = report(
            platform([(0.5, live / 0.4); 2], 0.5, &FULL_SCALING),
            vec![],
            Ok(first_round(10.0)),
        );
        assert_eq!(
            row(&r, "memory efficiency, native (bytes)").met,
            Some(false)
        );
        // Other workloads than the first round's: not compared, so not decided.
        let mut other = first_round(10.0);
        other.peak_live_kib.insert("random".into(), 99.0);
        let r = report(platform(ours, 0.5, &FULL_SCALING), vec![], Ok(other));
        let m = row(&r, "memory efficiency, native (bytes)");
        assert_eq!(m.met, None);
        assert_eq!(m.verdict(), "not decided");
        assert!(
            m.measured.contains("peak live data differs on random"),
            "{}",
            m.measured
        );
    }

    #[test]
    fn programs_and_threads_against_glibc() {
        let p = platform([(0.5, 1.0e5); 2], 0.5, &FULL_SCALING);
        let ok = vec![program("python", 1.05, 1.0), program("threads", 2.0, 0.5)];
        let r = report(p.clone(), ok, Err("x".into()));
        assert_eq!(row(&r, "real programs under LD_PRELOAD").met, Some(true));
        assert_eq!(
            row(&r, "8 threads × 10⁶ operations, frees across threads").met,
            Some(true)
        );

        let slow = vec![
            program("python", 1.0, 1.0),
            program("gzip", 1.06, 1.0),
            program("perl", 1.0, 1.01),
            program("threads", 2.01, 0.5),
        ];
        let r = report(p.clone(), slow, Err("x".into()));
        let t = row(&r, "real programs under LD_PRELOAD");
        assert_eq!(t.met, Some(false));
        assert!(
            t.measured
                .contains("over: gzip wall 1.060×, perl RSS 1.010×"),
            "{}",
            t.measured
        );
        assert_eq!(
            row(&r, "8 threads × 10⁶ operations, frees across threads").met,
            Some(false)
        );

        let mut differed = program("sort", 1.0, 1.0);
        differed
            .problems
            .push("sort: standard output differs".into());
        let r = report(p, vec![differed], Err("x".into()));
        assert_eq!(row(&r, "real programs under LD_PRELOAD").met, Some(false));
        assert_eq!(
            row(&r, "8 threads × 10⁶ operations, frees across threads").met,
            None
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(2000), "2,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
