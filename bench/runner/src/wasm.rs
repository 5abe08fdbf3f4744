//! The wasm half: builds the throughput module for wasm32, writes the plan for `run.mjs`, runs
//! it under Node and collects its results.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bench_core::WASM_SUBJECTS;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::measure::{
    PlatformResults, ScalingResults, ScalingRun, Settings, Throughput, WorkloadResults, SEED,
};
use crate::native::WARM_PAIRS;
use crate::traces::TraceWorkload;

/// `cargo`, as the one running this program if it was started by `cargo run`.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds packages of the bench workspace for wasm32 with `profile`; cargo's messages go to
/// stderr. Returns the folder the `.wasm` files are in.
pub fn build(bench: &Path, profile: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let target_dir = bench.join("target");
    let mut cmd = cargo();
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(bench.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--target", "wasm32-unknown-unknown", "--profile", profile]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let status = cmd
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build --target wasm32-unknown-unknown` failed ({status}); is the target \
             installed? (`rustup target add wasm32-unknown-unknown`)"
        ));
    }
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir.join("wasm32-unknown-unknown").join(dir))
}

/// What a job of the plan is, to read its result back.
enum Slot {
    Throughput { row: usize, col: usize },
    Scaling { row: usize, col: usize },
}

#[derive(Deserialize)]
struct Line {
    id: usize,
    error: Option<String>,
    #[serde(flatten)]
    rest: Value,
}

/// Runs everything the wasm module measures: throughput and memory of every workload on
/// every allocator, and scaling of `scaling_subjects`. Progress goes to stderr.
pub fn run(
    bench: &Path,
    traces: &[TraceWorkload],
    workloads: &[(String, crate::measure::Workload)],
    scaling_subjects: &[&str],
    s: &Settings,
) -> Result<PlatformResults, String> {
    let node_version = crate::machine::first_line("node", &["--version"])
        .ok_or("`node` was not found: the wasm measurements need Node.js")?;
    progress!("wasm: building the throughput module");
    let module = build(bench, "release", &["bench-wasm"])?.join("bench_wasm.wasm");

    let seed = [(SEED & 0xffff_ffff) as u32, (SEED >> 32) as u32];
    let mut groups = Vec::new();
    let mut slots = Vec::new();
    let mut results = PlatformResults::default();
    for (row, (name, workload)) in workloads.iter().enumerate() {
        let mut jobs = Vec::new();
        for (col, _) in WASM_SUBJECTS.iter().enumerate() {
            jobs.push(json!({ "id": slots.len(), "subject": col }));
            slots.push(Slot::Throughput { row, col });
        }
        let mut group = json!({
            "budgetMs": s.budget_ms, "maxReps": s.max_reps, "jobs": jobs,
        });
        match workload {
            crate::measure::Workload::Random { realloc } => {
                group["kind"] = json!("random");
                group["actions"] = json!(s.actions);
                group["chunk"] = json!(s.chunk_actions);
                group["realloc"] = json!(realloc);
                group["seed"] = json!(seed);
            }
            crate::measure::Workload::Stack => {
                group["kind"] = json!("stack");
                group["rounds"] = json!(s.stack_rounds);
                group["seed"] = json!(seed);
            }
            crate::measure::Workload::Trace(i) => {
                group["kind"] = json!("trace");
                group["trace"] = json!(traces[*i].file);
                group["seed"] = json!(seed);
                group["chunk"] = json!(2 * s.chunk_ops);
            }
        }
        groups.push(group);
        results.workloads.push(WorkloadResults {
            workload: name.clone(),
            runs: WASM_SUBJECTS
                .iter()
                .map(|a| (a.to_string(), Err("no result".to_string())))
                .collect(),
        });
    }
    for (row, &live) in s.scaling_live.iter().enumerate() {
        let mut jobs = Vec::new();
        for (col, name) in scaling_subjects.iter().enumerate() {
            let subject = WASM_SUBJECTS
                .iter()
                .position(|s| s == name)
                .ok_or_else(|| format!("the wasm module has no allocator {name}"))?;
            jobs.push(json!({ "id": slots.len(), "subject": subject }));
            slots.push(Slot::Scaling { row, col });
        }
        groups.push(json!({
            "kind": "scaling", "live": live, "seed": seed, "warmPairs": WARM_PAIRS,
            "batchMs": s.batch_ms, "budgetMs": s.scaling_budget_ms,
            "maxBatches": s.max_batches, "jobs": jobs,
        }));
        results.scaling.push(ScalingResults {
            live,
            runs: scaling_subjects
                .iter()
                .map(|a| (a.to_string(), Err("no result".to_string())))
                .collect(),
        });
    }

    let plan_path = bench.join("target").join("bench-data").join("plan.json");
    std::fs::write(&plan_path, json!({ "groups": groups }).to_string())
        .map_err(|e| format!("cannot write {}: {e}", plan_path.display()))?;

    progress!("wasm: running under Node {node_version}");
    // Without Liftoff, V8 compiles every function with its optimising compiler up front, so no
    // timed run measures baseline code waiting to tier up.
    let mut child = Command::new("node")
        .arg("--no-liftoff")
        .arg(bench.join("wasm").join("run.mjs"))
        .arg(&module)
        .arg(&plan_path)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let stdout = child.stdout.take().ok_or("node has no stdout")?;
    let mut seen: HashMap<usize, ()> = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading node's output: {e}"))?;
        let parsed: Line = serde_json::from_str(&line)
            .map_err(|e| format!("node printed something unexpected ({e}): {line}"))?;
        let Some(slot) = slots.get(parsed.id) else {
            return Err(format!("node reported an unknown job {}", parsed.id));
        };
        seen.insert(parsed.id, ());
        match *slot {
            Slot::Throughput { row, col } => {
                let r = match parsed.error {
                    Some(e) => Err(format!("trapped: {e}")),
                    None => serde_json::from_value::<Throughput>(parsed.rest)
                        .map_err(|e| format!("bad result: {e}")),
                };
                let w = &mut results.workloads[row];
                progress!("wasm: {} / {}", w.workload, w.runs[col].0);
                w.runs[col].1 = r;
            }
            Slot::Scaling { row, col } => {
                let r = match parsed.error {
                    Some(e) => Err(format!("trapped: {e}")),
                    None => serde_json::from_value::<ScalingRun>(parsed.rest)
                        .map_err(|e| format!("bad result: {e}")),
                };
                let g = &mut results.scaling[row];
                progress!("wasm: scaling {} / {}", g.live, g.runs[col].0);
                g.runs[col].1 = r;
            }
        }
    }
    let status = child.wait().map_err(|e| format!("node: {e}"))?;
    if !status.success() {
        return Err(format!(
            "node exited with {status} after {} of {} jobs",
            seen.len(),
            slots.len()
        ));
    }
    Ok(results)
}
