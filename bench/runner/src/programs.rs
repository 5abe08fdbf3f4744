//! Real programs under `LD_PRELOAD` of brkalloc's C ABI (crate/malloc) against glibc's malloc,
//! and the 8-thread program: run by `scripts/malloc-programs.py bench --json`, the one place
//! that builds, runs and times them (also `npm run bench:programs`); read back here.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// What `malloc-programs.py bench --json` writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Programs {
    /// How the script was started.
    pub command: String,
    /// Cores, CPU, kernel and glibc, as the script saw them.
    pub machine: String,
    /// The preloaded library.
    pub library: String,
    /// "full" or "small" generated inputs.
    pub inputs: String,
    /// Runs of each program each way.
    pub runs: usize,
    /// Each program, in the order run.
    pub programs: Vec<Program>,
}

/// One program, run `runs` times each way.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Program {
    pub name: String,
    /// What it does.
    pub note: String,
    /// Whether it is the 8-thread program.
    pub threads: bool,
    pub runs: usize,
    /// Under glibc's malloc.
    pub glibc: Side,
    /// Under brkalloc's, preloaded.
    pub brkalloc: Side,
    /// The median over the pairs of runs of brkalloc's wall time over glibc's.
    pub wall_ratio: Option<f64>,
    /// The same for the peak resident set.
    pub maxrss_ratio: Option<f64>,
    /// What went wrong (different output, a failed run); empty when nothing did.
    pub problems: Vec<String>,
}

/// One side of a program's runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    /// Every run's wall time, in seconds, in pair order.
    pub wall_s: Vec<f64>,
    /// Every run's peak resident set (ru_maxrss), in KiB.
    pub maxrss_kib: Vec<f64>,
    pub median_wall_s: f64,
    pub median_maxrss_kib: f64,
    /// The 8-thread program: how many frees crossed threads in each run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_thread_frees: Option<Vec<u64>>,
}

/// Runs the script with `runs` runs of each program each way (`small`: small generated inputs)
/// and reads its figures. Its table and progress go to stderr. `root` is the repository.
pub fn run(root: &Path, out_dir: &Path, runs: usize, small: bool) -> Result<Programs, String> {
    let script = root.join("scripts").join("malloc-programs.py");
    let json = out_dir.join("programs.json");
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    // A file left by an earlier run must not pass for this run's.
    match std::fs::remove_file(&json) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", json.display())),
    }
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg("bench")
        .arg("--runs")
        .arg(runs.to_string())
        .arg("--json")
        .arg(&json);
    if small {
        cmd.arg("--quick");
    }
    // The script builds crate/malloc in the main workspace and preloads it from target/ there.
    cmd.env_remove("CARGO_TARGET_DIR");
    let status = cmd
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let text = std::fs::read_to_string(&json).map_err(|e| {
        format!(
            "{} wrote no figures ({status}): {e}; run `python3 scripts/malloc-programs.py \
             bench` to see why",
            script.display()
        )
    })?;
    let programs: Programs =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))?;
    if !status.success() && programs.programs.iter().all(|p| p.problems.is_empty()) {
        return Err(format!("{} failed ({status})", script.display()));
    }
    Ok(programs)
}
