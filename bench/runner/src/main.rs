//! The brkalloc benchmark suite.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--json] [--quick] [--native-only]
//!     [--no-programs] [--update-readme] [--from-json FILE]
//! ```
//!
//! Runs the same workloads on brkalloc (each policy), dlmalloc, talc, lol_alloc (wasm32 only)
//! and the system allocator (native only): natively in this process, and compiled to wasm32
//! under Node (this program builds the wasm modules itself, with cargo, when run). Then real
//! programs and an 8-thread program under brkalloc's malloc (crate/malloc, preloaded) and
//! glibc's, through `scripts/malloc-programs.py bench --json`. Prints every figure with its
//! ratio to dlmalloc (or glibc) measured in the same run: throughput, memory efficiency, code
//! size, scaling, real programs; and last the targets, each met or not by this run's figures.
//! The exit code is 0 whatever they are.

/// Progress on stderr, stamped with the seconds since the run started.
macro_rules! progress {
    ($($arg:tt)*) => {
        eprintln!("[{:6.1} s] {}", $crate::started().elapsed().as_secs_f64(), format_args!($($arg)*))
    };
}

mod machine;
mod measure;
mod native;
mod pages;
mod programs;
mod report;
mod size;
mod targets;
mod traces;
mod wasm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

use measure::{PlatformResults, ScalingResults, Settings, Workload, WorkloadResults};

const USAGE: &str = "\
usage: brkalloc-bench [--json] [--quick] [--native-only] [--no-programs] [--update-readme]
                      [--from-json FILE]

  --json           print the report as JSON instead of Markdown
  --quick          a smoke run: small workloads, one or two timed runs each, real programs
                   twice each way on small inputs (a couple of minutes)
  --native-only    skip everything that needs wasm32 and Node (throughput, memory, code size)
  --no-programs    skip the real programs and the 8-thread program
  --update-readme  also write the report into README.md, between its bench:latest markers
  --from-json FILE measure nothing: the figures of an earlier `--json` run, saved in FILE
                   (the targets are compared again)

Run it with `npm run bench -- [options]`, or `cargo run --release --manifest-path
bench/Cargo.toml -- [options]`. The wasm parts need the wasm32-unknown-unknown target,
Node.js, and wasm-opt (binaryen) for the code sizes; the real programs need python3, gcc,
git, perl, sqlite3 and gzip (bash scripts/setup.sh test). Whatever is missing is reported as
not measured.";

/// The markers around the section the report replaces in README.md.
const README_BEGIN: &str = "<!-- bench:latest:begin (npm run bench -- --update-readme) -->";
const README_END: &str = "<!-- bench:latest:end -->";

/// The allocators of the scaling measurement.
const SCALING_SUBJECTS: [&str; 3] = ["first-fit", "segregated", "dlmalloc"];

/// When the run started.
fn started() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

struct Args {
    json: bool,
    quick: bool,
    native_only: bool,
    no_programs: bool,
    update_readme: bool,
    from_json: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: false,
        quick: false,
        native_only: false,
        no_programs: false,
        update_readme: false,
        from_json: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
            "--quick" => args.quick = true,
            "--native-only" => args.native_only = true,
            "--no-programs" => args.no_programs = true,
            "--update-readme" => args.update_readme = true,
            "--from-json" => {
                let file = it.next().ok_or("--from-json needs a file")?;
                args.from_json = Some(PathBuf::from(file));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(args)
}

/// The command as the user typed it: through npm when npm started it.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let through_npm = std::env::var("npm_lifecycle_event").is_ok_and(|e| e == "bench");
    let mut command = if through_npm {
        "npm run bench".to_string()
    } else {
        "cargo run --release --manifest-path bench/Cargo.toml".to_string()
    };
    if !args.is_empty() {
        command += " -- ";
        command += &args.join(" ");
    }
    command
}

/// Replaces what lies between the markers in `readme` with `section`.
fn splice_readme(readme: &str, section: &str) -> Result<String, String> {
    let begin = readme
        .find(README_BEGIN)
        .ok_or_else(|| format!("no line `{README_BEGIN}`"))?;
    let after_begin = begin + README_BEGIN.len();
    let end = readme[after_begin..]
        .find(README_END)
        .map(|e| after_begin + e)
        .ok_or_else(|| format!("no line `{README_END}` after `{README_BEGIN}`"))?;
    Ok(format!(
        "{}\n\n{}\n{}",
        &readme[..after_begin],
        section.trim_end(),
        &readme[end..]
    ))
}

fn update_readme(path: &Path, section: &str) -> Result<(), String> {
    let readme = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let updated =
        splice_readme(&readme, section).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    started();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("brkalloc-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the runner lives in bench/runner")
        .to_path_buf();
    let root = bench
        .parent()
        .expect("bench/ is in the repository")
        .to_path_buf();
    let report = match &args.from_json {
        Some(file) => {
            let read = std::fs::read_to_string(file)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    serde_json::from_str::<report::Report>(&t).map_err(|e| e.to_string())
                });
            match read {
                // The targets again, from the saved figures, as this version compares them.
                Ok(mut r) => {
                    let first_round = targets::FirstRound::load(&bench.join("first-round.json"));
                    r.targets = r.compare_targets(first_round.as_ref().ok());
                    r
                }
                Err(e) => {
                    eprintln!("brkalloc-bench: {}: {e}", file.display());
                    return ExitCode::FAILURE;
                }
            }
        }
        None => match measure(&args, &bench, &root) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("brkalloc-bench: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("brkalloc-bench: cannot write JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", report.to_markdown());
    }
    if args.update_readme {
        let readme = root.join("README.md");
        if let Err(e) = update_readme(&readme, &report.to_markdown()) {
            eprintln!("brkalloc-bench: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("brkalloc-bench: wrote the report into {}", readme.display());
    }
    ExitCode::SUCCESS
}

/// Runs every measurement and builds the report.
fn measure(args: &Args, bench: &Path, root: &Path) -> Result<report::Report, String> {
    let settings = if args.quick {
        Settings::quick()
    } else {
        Settings::full()
    };
    let mut notes = Vec::new();

    let traces = traces::prepare(settings.trace_ops, &bench.join("target").join("bench-data"))?;
    let mut workloads = vec![
        ("random".to_string(), Workload::Random { realloc: false }),
        (
            "random+realloc".to_string(),
            Workload::Random { realloc: true },
        ),
        ("stack".to_string(), Workload::Stack),
    ];
    for (i, t) in traces.iter().enumerate() {
        workloads.push((format!("trace {}", t.kind.name()), Workload::Trace(i)));
    }

    // Build the wasm modules before measuring anything, so that no compiler runs meanwhile.
    // (The real programs' script builds crate/malloc after the other measurements, before its
    // own.)
    let size_build = if args.native_only {
        Err("skipped (--native-only)".to_string())
    } else {
        progress!("size: building the minimal modules");
        wasm::build(bench, "wasm-size", &size::MODULES.map(|m| m.1)).map(|_| ())
    };

    let native = run_native(&workloads, &traces, &settings);
    let wasm = if args.native_only {
        Err("skipped (--native-only)".to_string())
    } else {
        wasm::run(bench, &traces, &workloads, &SCALING_SUBJECTS, &settings)
    };
    let sizes = size_build.and_then(|()| size::measure(bench, &mut notes));
    let programs = if args.no_programs {
        Err("skipped (--no-programs)".to_string())
    } else {
        progress!(
            "real programs: scripts/malloc-programs.py bench, {} runs each way",
            settings.program_runs
        );
        programs::run(
            root,
            &bench.join("target").join("bench-data"),
            settings.program_runs,
            settings.small_program_inputs,
        )
    };
    let first_round = targets::FirstRound::load(&bench.join("first-round.json"));

    let run = report::Run {
        machine: machine::Machine::detect(bench),
        command: command_line(),
        duration_s: started().elapsed().as_secs_f64(),
        settings,
    };
    let native = Ok(native);
    Ok(report::Report::new(
        run,
        report::Parts {
            platforms: &[("wasm32", &wasm), ("native", &native)],
            sizes: &sizes,
            programs: &programs,
            first_round: &first_round,
        },
        notes,
    ))
}

fn run_native(
    workloads: &[(String, Workload)],
    traces: &[traces::TraceWorkload],
    s: &Settings,
) -> PlatformResults {
    let mut results = PlatformResults::default();
    for (name, workload) in workloads {
        progress!("native: {name}");
        let once = match workload {
            Workload::Random { realloc } => native::Once::Random {
                actions: s.actions,
                realloc: *realloc,
            },
            Workload::Stack => native::Once::Stack(s.stack_rounds),
            Workload::Trace(i) => native::Once::Trace(&traces[*i].words),
        };
        let runs = native::throughput(&native::SUBJECTS, &once, s);
        results.workloads.push(WorkloadResults {
            workload: name.clone(),
            runs: native::SUBJECTS
                .iter()
                .map(|a| a.to_string())
                .zip(runs)
                .collect(),
        });
    }
    for &live in &s.scaling_live {
        progress!("native: scaling at {live} live blocks");
        // First fit walks every block to place each new one, so filling n blocks takes n²/2
        // steps: about a minute at 100,000 here. The wasm run measures it; natively it stops at
        // `first_fit_native_max`, to keep the whole run within a few minutes.
        let skip = |a: &&str| *a == "first-fit" && live > s.first_fit_native_max;
        let measured: Vec<&str> = SCALING_SUBJECTS
            .iter()
            .copied()
            .filter(|a| !skip(a))
            .collect();
        let mut runs = native::scaling(&measured, live, s).into_iter();
        results.scaling.push(ScalingResults {
            live,
            runs: SCALING_SUBJECTS
                .iter()
                .map(|a| {
                    let r = if skip(a) {
                        Err(format!(
                            "not measured natively above {} live blocks (filling takes n²/2 \
                             steps); see the wasm32 row",
                            s.first_fit_native_max
                        ))
                    } else {
                        runs.next().unwrap_or_else(|| Err("no result".into()))
                    };
                    (a.to_string(), r)
                })
                .collect(),
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_section_between_the_markers_is_replaced() {
        let readme = format!("# A\n\n{README_BEGIN}\n\nold\ntext\n\n{README_END}\n\n## B\n");
        let new = splice_readme(&readme, "### Latest results\n\nnew\n").unwrap();
        assert_eq!(
            new,
            format!("# A\n\n{README_BEGIN}\n\n### Latest results\n\nnew\n{README_END}\n\n## B\n")
        );
        assert_eq!(
            splice_readme(&new, "again").unwrap(),
            splice_readme(&readme, "again").unwrap()
        );
        assert!(splice_readme("# A\n", "x").is_err());
        assert!(splice_readme(&format!("{README_END}\n{README_BEGIN}\n"), "x").is_err());
    }
}
