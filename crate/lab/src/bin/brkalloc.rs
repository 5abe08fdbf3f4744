//! `brkalloc`, the command line: replays malloc-lab traces through the allocator natively and
//! reports how well it used memory, draws the heap it leaves, and writes generated traces.
//!
//! This file only reads the arguments (with clap) and the trace file, and prints: the replay,
//! the reports and the drawing are the lab library's ([`brkalloc_lab::report`]), the traces
//! its [`brkalloc_lab::trace`]. Everything is computed before anything is printed, so a failure
//! leaves standard output empty: scripts can trust that whatever they read there is complete.
//!
//! Exit status: 0 on success; 1 when the allocator fails during a replay (out of memory,
//! damaged data); 2 for a usage error (clap's, with its usual message) or a trace that cannot
//! be read or is malformed.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use brkalloc::Policy;
use brkalloc_lab::report::{self, Request, RunError};
use brkalloc_lab::trace::{self, Kind, ReplayOptions, Trace};
use brkalloc_lab::wording::thousands;

/// Replay malloc-lab traces through the brkalloc allocator, and generate them.
#[derive(Parser)]
#[command(
    name = "brkalloc",
    version,
    subcommand_required = true,
    override_usage = "brkalloc replay FILE.rep [OPTIONS]\n       \
                      brkalloc gen KIND --ops N [--seed S] [-o FILE]",
    after_help = "Exit status: 0 on success; 1 when the allocator fails during a replay (out of \
                  memory, damaged data); 2 for a usage error, or a trace that cannot be read or \
                  is malformed.\n\nRun `brkalloc replay --help` or `brkalloc gen --help` for \
                  each command's options."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a trace through the allocator and measure how well it used memory.
    ///
    /// Runs every operation of the trace on a private break inside an mmap reservation, and
    /// prints the number of operations, the peak live data, the heap extent, the utilisation
    /// (peak live / peak extent) and the operations per second.
    Replay(ReplayArgs),
    /// Write a generated trace: the same for the same KIND, N and S.
    Gen(GenArgs),
}

#[derive(Args)]
struct ReplayArgs {
    /// A malloc-lab trace (.rep); `-` reads standard input.
    #[arg(value_name = "FILE.rep")]
    file: String,

    /// Where a request goes.
    #[arg(long, value_name = "P", value_parser = parse_policy, default_value = "first-fit",
          long_help = policy_help())]
    policy: Policy,

    /// The classic allocator exactly: no splitting, no coalescing, and only the last block
    /// gives memory back (with any --policy).
    #[arg(long)]
    seed_preset: bool,

    /// Derive each block's `next` from its size instead of storing it in the header (boundary
    /// tags): within a segment the next header is right after the data, and the heap's segment
    /// table says where the chain jumps between segments.
    #[arg(long)]
    derive: bool,

    /// Write a pattern into every block and check it on free and realloc.
    #[arg(long)]
    fill: bool,

    /// Also sample extent, live data and fragmentation every N operations.
    #[arg(long, value_name = "N", value_parser = parse_every)]
    series: Option<usize>,

    /// Address space to reserve for the heap, in MiB.
    #[arg(long, value_name = "MIB", default_value = "1024", value_parser = parse_reserve)]
    reserve: usize,

    /// Print the results as one JSON object.
    #[arg(long, conflicts_with = "diagram")]
    json: bool,

    /// Draw the heap left at the end: headers, data, next pointers, heap start and break.
    #[arg(long)]
    diagram: bool,
}

#[derive(Args)]
struct GenArgs {
    /// The shape of the trace.
    #[arg(value_name = "KIND", value_parser = parse_kind, long_help = kind_help())]
    kind: Kind,

    /// How many operations.
    #[arg(long, value_name = "N", value_parser = parse_ops, allow_negative_numbers = true)]
    ops: usize,

    /// The generator's seed.
    #[arg(long, value_name = "S", default_value = "1", value_parser = parse_seed)]
    seed: u64,

    /// Write to FILE instead of standard output (`-`: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
}

/// The policies, for `--help`, from the allocator's own list.
fn policy_help() -> String {
    let names: Vec<&str> = Policy::ALL.iter().map(|p| p.name()).collect();
    format!("Where a request goes: {}.", names.join(", "))
}

/// The kinds of trace and what each is, for `--help`, from the generator's own list.
fn kind_help() -> String {
    let kinds: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("  {:<12} {}", k.name(), k.summary()))
        .collect();
    format!("The shape of the trace:\n{}", kinds.join("\n"))
}

/// A whole number as typed on the command line, `_` separators allowed (`1_000_000`).
fn whole(text: &str, what: &str) -> Result<u64, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("expected {what}, as a whole number; `{text}` is not one"))
}

fn parse_policy(name: &str) -> Result<Policy, String> {
    Policy::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Policy::ALL.iter().map(|p| p.name()).collect();
        format!(
            "unknown policy `{name}`: expected one of {}",
            names.join(", ")
        )
    })
}

fn parse_kind(name: &str) -> Result<Kind, String> {
    Kind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!(
            "unknown kind `{name}`: expected one of {}",
            names.join(", ")
        )
    })
}

fn parse_every(text: &str) -> Result<usize, String> {
    match whole(text, "a number of operations")? {
        0 => Err("a number of operations above 0 is needed".into()),
        n => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

fn parse_reserve(text: &str) -> Result<usize, String> {
    let mib = whole(text, "a size in MiB")?;
    let most = (usize::MAX >> 20) as u64;
    if mib == 0 || mib > most {
        return Err(format!(
            "{mib} MiB is out of range: give between 1 and {most}"
        ));
    }
    // In range, as checked: the shift cannot overflow.
    Ok((mib as usize) << 20)
}

fn parse_ops(text: &str) -> Result<usize, String> {
    let n = whole(text, "a number of operations")?;
    usize::try_from(n).map_err(|_| format!("{n} operations is more than this machine can hold"))
}

fn parse_seed(text: &str) -> Result<u64, String> {
    whole(text, "a seed")
}

/// Why the command failed, and so its exit status.
enum Failure {
    /// The input is wrong: a file that cannot be read or a trace that is malformed (exit 2).
    Input(String),
    /// The allocator failed during a replay (exit 1).
    Replay(String),
}

/// What to write where, once everything has succeeded.
struct Output {
    stdout: String,
    stderr: String,
}

fn main() -> ExitCode {
    // Usage errors and `--help` take clap's usual form: a message and exit 2, or the help on
    // standard output and exit 0.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay(args),
        Command::Gen(args) => gen(args),
    };
    match result {
        Ok(output) => {
            // A closed pipe (`brkalloc gen ... | head`) is not an error worth reporting.
            let _ = io::stdout().lock().write_all(output.stdout.as_bytes());
            let _ = io::stderr().lock().write_all(output.stderr.as_bytes());
            ExitCode::SUCCESS
        }
        Err(Failure::Input(message)) => {
            eprintln!("brkalloc: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Replay(message)) => {
            eprintln!("brkalloc: {message}");
            ExitCode::from(1)
        }
    }
}

/// Reads a trace file (or standard input for `-`) and parses it.
fn read_trace(file: &str) -> Result<Trace, Failure> {
    let bytes = if file == "-" {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Input(format!("cannot read standard input: {e}")))?;
        bytes
    } else {
        std::fs::read(file).map_err(|e| Failure::Input(format!("cannot read `{file}`: {e}")))?
    };
    trace::parse_bytes(&bytes).map_err(|e| Failure::Input(format!("{file}: {e}")))
}

fn replay(args: ReplayArgs) -> Result<Output, Failure> {
    let request = Request {
        options: brkalloc::Options {
            derive: args.derive,
            ..report::options(args.policy, args.seed_preset)
        },
        seed_preset: args.seed_preset,
        replay: ReplayOptions {
            fill: args.fill,
            sample_every: args.series.unwrap_or(0),
        },
        reserve: args.reserve,
        diagram: args.diagram,
        file: args.file,
    };
    let trace = read_trace(&request.file)?;
    let run = report::replay_native(&trace, &request).map_err(|e| match e {
        RunError::Reserve(message) => Failure::Input(message),
        RunError::Replay(e) => Failure::Replay(format!("{}: {e}", request.file)),
    })?;
    let stdout = if args.json {
        report::json(&request, &trace, &run)
            .map_err(|e| Failure::Replay(format!("cannot write JSON: {e}")))?
    } else {
        report::text(&request, &trace, &run)
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
    })
}

fn gen(args: GenArgs) -> Result<Output, Failure> {
    let text = trace::generate(args.kind, args.ops, args.seed).to_rep_string();
    match args.output.filter(|f| f != "-") {
        None => Ok(Output {
            stdout: text,
            stderr: String::new(),
        }),
        Some(path) => {
            std::fs::write(&path, text)
                .map_err(|e| Failure::Input(format!("cannot write `{path}`: {e}")))?;
            Ok(Output {
                stdout: String::new(),
                stderr: format!(
                    "wrote {} operations ({}, seed {}) to {path}\n",
                    thousands(args.ops),
                    args.kind,
                    args.seed
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own consistency checks of the argument definitions.
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
