//! The brkalloc benchmark suite.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--json] [--quick] [--native-only]
//! ```
//!
//! Runs the same workloads on brkalloc (each policy), dlmalloc, talc, lol_alloc (wasm32 only)
//! and the system allocator (native only): natively in this process, and compiled to wasm32
//! under Node (this program builds the wasm modules itself, with cargo, when run). Prints every
//! figure with its ratio to dlmalloc measured in the same run: throughput, memory efficiency,
//! code size and scaling. The figures decide nothing: the exit code is 0 whatever they are.

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
mod report;
mod size;
mod traces;
mod wasm;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

use measure::{PlatformResults, ScalingResults, Settings, Workload, WorkloadResults};

const USAGE: &str = "\
usage: brkalloc-bench [--json] [--quick] [--native-only]

  --json         print the report as JSON instead of Markdown tables
  --quick        a smoke run: small workloads, one or two timed runs each (seconds, not minutes)
  --native-only  skip everything that needs wasm32 and Node (throughput, memory, code size)

Run it with `cargo run --release --manifest-path bench/Cargo.toml -- [options]`.
The wasm parts need the wasm32-unknown-unknown target, Node.js, and wasm-opt (binaryen) for
the code sizes; whatever is missing is reported as not measured.";

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
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: false,
        quick: false,
        native_only: false,
    };
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--json" => args.json = true,
            "--quick" => args.quick = true,
            "--native-only" => args.native_only = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(args)
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
    let settings = if args.quick {
        Settings::quick()
    } else {
        Settings::full()
    };
    let mut notes = Vec::new();

    let traces = match traces::prepare(settings.trace_ops, &bench.join("target").join("bench-data"))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("brkalloc-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
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
    let size_build = if args.native_only {
        Err("skipped (--native-only)".to_string())
    } else {
        progress!("size: building the minimal modules");
        wasm::build(&bench, "wasm-size", &size::MODULES.map(|m| m.1)).map(|_| ())
    };

    let native = run_native(&workloads, &traces, &settings);
    let wasm = if args.native_only {
        Err("skipped (--native-only)".to_string())
    } else {
        wasm::run(&bench, &traces, &workloads, &SCALING_SUBJECTS, &settings)
    };
    let sizes = size_build.and_then(|()| size::measure(&bench, &mut notes));

    let report = report::Report::new(
        machine::Machine::detect(),
        settings,
        &[("wasm32", &wasm), ("native", &Ok(native))],
        &sizes,
        notes,
    );
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
    ExitCode::SUCCESS
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
