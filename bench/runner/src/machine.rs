//! What the benchmark ran on: cores, CPU model, Node and rustc versions, the date and the
//! commit.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The machine and tools of a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    /// Cores available to the process (`nproc`).
    pub nproc: usize,
    /// `lscpu`'s model name.
    pub cpu: String,
    /// `node --version`, or "not found".
    pub node: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Today, UTC, as YYYY-MM-DD.
    pub date: String,
    /// The checkout's commit (`git rev-parse --short HEAD`), and whether tracked files had
    /// changes not committed.
    pub commit: String,
    /// The load average over the last 1, 5 and 15 minutes (`/proc/loadavg`), at the end of the
    /// run.
    pub load_average: String,
}

/// The first line a command prints, trimmed; `None` if it cannot run or fails.
pub fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(|l| l.trim().to_string())
}

fn cpu_model() -> String {
    let from_lscpu = Command::new("lscpu").output().ok().and_then(|out| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("Model name:").map(|m| m.trim().to_string()))
    });
    from_lscpu
        .or_else(|| {
            std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("model name")
                        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
                })
            })
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// The civil date (year, month, day) of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm: shift to a calendar whose years start on 1 March, so the leap
    // day falls at the end of a year, then count 400-year eras.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The commit checked out in `dir`, with a note when tracked files have uncommitted changes.
fn commit(dir: &Path) -> String {
    let dir = dir.to_string_lossy();
    let Some(hash) = first_line("git", &["-C", &dir, "rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty = Command::new("git")
        .args(["-C", &dir, "status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    if dirty {
        format!("{hash} (with uncommitted changes)")
    } else {
        hash
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

impl Machine {
    /// Looks everything up; `checkout` is a folder of the repository.
    pub fn detect(checkout: &Path) -> Machine {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu: cpu_model(),
            node: first_line("node", &["--version"]).unwrap_or_else(|| "not found".into()),
            rustc: first_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
            date: format!("{y:04}-{m:02}-{d:02}"),
            commit: commit(checkout),
            load_average: load_average(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
    }
}
