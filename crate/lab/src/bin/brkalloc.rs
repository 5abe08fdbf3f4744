//! `brkalloc`, the command line: replays malloc-lab traces through the allocator natively and
//! reports how well it used memory, draws the heap it leaves, and writes generated traces.
//!
//! Everything is computed before anything is printed, so a failure leaves standard output
//! empty: scripts can trust that whatever they read there is complete.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use brkalloc::{Break, Heap, Options, Policy};
use brkalloc_lab::snapshot::Snapshot;
use brkalloc_lab::trace::{self, Kind, ReplayOptions, ReplayStats, Trace};

const USAGE: &str = "\
brkalloc: replay malloc-lab traces through the brkalloc allocator, and make them

Usage:
  brkalloc replay FILE.rep [--policy P] [--seed-preset] [--fill] [--series N]
                           [--reserve MIB] [--json | --diagram]
  brkalloc gen KIND --ops N [--seed S] [-o FILE]
  brkalloc --help

replay   Runs every operation of a trace through the allocator, on a private break
         inside an mmap reservation, and prints the number of operations, the peak
         live data, the heap extent, the utilisation (peak live / peak extent) and
         the operations per second.
  FILE             a malloc-lab trace (.rep); `-` reads standard input
  --policy P       where a request goes: first-fit (the default), next-fit,
                   best-fit, worst-fit or segregated
  --seed-preset    the classic allocator exactly: no splitting, no coalescing, and
                   only the last block gives memory back (with any --policy)
  --fill           write a pattern into every block and check it on free and realloc
  --series N       also sample extent, live data and fragmentation every N operations
  --reserve MIB    address space to reserve for the heap, in MiB (default 1024)
  --json           print the results as one JSON object
  --diagram        draw the heap left at the end: headers, data, next pointers,
                   heap start and break

gen      Writes a generated trace, the same for the same KIND, N and S.
  KIND             random       random sizes with random lifetimes
                   small-large  small and large blocks alternately, then the large freed
                   grow         one block grown by realloc again and again among others
                   coalesce     runs of neighbours freed in turn, then one request for the run
  --ops N          how many operations
  --seed S         the generator's seed (default 1)
  -o FILE          write to FILE instead of standard output

Exit status: 0 on success; 1 when the allocator fails during a replay (out of memory,
damaged data); 2 for a usage error, or a trace that cannot be read or is malformed.
";

/// Why the command failed, and so its exit status.
enum Failure {
    /// The command line or the input is wrong (exit 2).
    Input(String),
    /// The allocator failed during a replay (exit 1).
    Replay(String),
}

fn usage_error(message: impl std::fmt::Display) -> Failure {
    Failure::Input(format!("{message}\nRun `brkalloc --help` for usage."))
}

/// What to write where, once everything has succeeded.
struct Output {
    stdout: String,
    stderr: String,
}

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!("brkalloc: the argument {arg:?} is not valid UTF-8 text");
                return ExitCode::from(2);
            }
        }
    }
    match run(&args) {
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

fn run(args: &[String]) -> Result<Output, Failure> {
    let Some(command) = args.first() else {
        return Err(usage_error("no command given: use `replay` or `gen`"));
    };
    match command.as_str() {
        "-h" | "--help" | "help" => Ok(Output {
            stdout: USAGE.to_string(),
            stderr: String::new(),
        }),
        "replay" => replay(&args[1..]),
        "gen" => gen(&args[1..]),
        other => Err(usage_error(format!(
            "unknown command `{other}`: expected `replay` or `gen`"
        ))),
    }
}

/// Reads the command's arguments: flags (`--name value` or `--name=value`) and positionals.
struct Args<'a> {
    command: &'static str,
    rest: std::slice::Iter<'a, String>,
}

enum Arg<'a> {
    Flag(&'a str, Option<&'a str>),
    Positional(&'a str),
}

impl<'a> Args<'a> {
    fn next(&mut self) -> Option<Arg<'a>> {
        let arg = self.rest.next()?;
        if arg.len() > 1 && arg.starts_with('-') {
            Some(match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => Arg::Flag(name, Some(value)),
                _ => Arg::Flag(arg, None),
            })
        } else {
            Some(Arg::Positional(arg))
        }
    }

    /// The value of a flag: the part after `=`, or the next argument.
    fn value(
        &mut self,
        flag: &str,
        inline: Option<&'a str>,
        what: &str,
    ) -> Result<&'a str, Failure> {
        match inline {
            Some(value) => Ok(value),
            None => self
                .rest
                .next()
                .map(String::as_str)
                .ok_or_else(|| usage_error(format!("`{flag}` needs a value: {}", what))),
        }
    }

    fn number(&mut self, flag: &str, inline: Option<&'a str>, what: &str) -> Result<u64, Failure> {
        let text = self.value(flag, inline, what)?;
        text.replace('_', "").parse().map_err(|_| {
            usage_error(format!(
                "`{flag}` expects {what}, as a whole number; `{text}` is not one"
            ))
        })
    }

    fn no_value(&self, flag: &str, inline: Option<&str>) -> Result<(), Failure> {
        match inline {
            None => Ok(()),
            Some(_) => Err(usage_error(format!("`{flag}` takes no value"))),
        }
    }

    fn unknown(&self, flag: &str) -> Failure {
        usage_error(format!("`{flag}` is not an option of `{}`", self.command))
    }
}

/// Everything `replay` was asked to do.
struct ReplayRequest {
    file: String,
    options: Options,
    preset: bool,
    replay: ReplayOptions,
    reserve_mib: u64,
    json: bool,
    diagram: bool,
}

fn parse_replay_args(args: &[String]) -> Result<ReplayRequest, Failure> {
    let mut args = Args {
        command: "replay",
        rest: args.iter(),
    };
    let mut file = None;
    let mut policy = Policy::FirstFit;
    let mut preset = false;
    let mut request = ReplayRequest {
        file: String::new(),
        options: Options::DEFAULT,
        preset: false,
        replay: ReplayOptions::default(),
        reserve_mib: 1024,
        json: false,
        diagram: false,
    };
    while let Some(arg) = args.next() {
        match arg {
            Arg::Positional(path) if file.is_none() => file = Some(path.to_string()),
            Arg::Positional(extra) => {
                return Err(usage_error(format!(
                    "`replay` takes one trace file; `{extra}` is one too many"
                )))
            }
            Arg::Flag(flag @ "--policy", inline) => {
                let name = args.value(flag, inline, "a policy name")?;
                policy = Policy::from_name(name).ok_or_else(|| {
                    let names: Vec<&str> = Policy::ALL.iter().map(|p| p.name()).collect();
                    usage_error(format!(
                        "unknown policy `{name}`: expected one of {}",
                        names.join(", ")
                    ))
                })?;
            }
            Arg::Flag(flag @ "--seed-preset", inline) => {
                args.no_value(flag, inline)?;
                preset = true;
            }
            Arg::Flag(flag @ "--fill", inline) => {
                args.no_value(flag, inline)?;
                request.replay.fill = true;
            }
            Arg::Flag(flag @ "--series", inline) => {
                let every = args.number(flag, inline, "a number of operations")?;
                if every == 0 {
                    return Err(usage_error(
                        "`--series` needs a number of operations above 0",
                    ));
                }
                request.replay.sample_every = usize::try_from(every).unwrap_or(usize::MAX);
            }
            Arg::Flag(flag @ "--reserve", inline) => {
                let mib = args.number(flag, inline, "a size in MiB")?;
                if mib == 0 || mib > (usize::MAX >> 20) as u64 {
                    return Err(usage_error(format!(
                        "`--reserve {mib}` is out of range: give between 1 and {} MiB",
                        usize::MAX >> 20
                    )));
                }
                request.reserve_mib = mib;
            }
            Arg::Flag(flag @ "--json", inline) => {
                args.no_value(flag, inline)?;
                request.json = true;
            }
            Arg::Flag(flag @ "--diagram", inline) => {
                args.no_value(flag, inline)?;
                request.diagram = true;
            }
            Arg::Flag(flag, _) => return Err(args.unknown(flag)),
        }
    }
    request.file = file.ok_or_else(|| usage_error("`replay` needs a trace file"))?;
    if request.json && request.diagram {
        return Err(usage_error(
            "`--json` and `--diagram` cannot be combined: one prints JSON, the other a drawing",
        ));
    }
    request.options = if preset {
        Options {
            policy,
            ..Options::SEED
        }
    } else {
        Options::with_policy(policy)
    };
    request.preset = preset;
    Ok(request)
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
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        Failure::Input(format!(
            "{file}: line {line}: the trace is not plain text (it is not valid UTF-8)"
        ))
    })?;
    trace::parse(&text).map_err(|e| Failure::Input(format!("{file}: {e}")))
}

fn replay(args: &[String]) -> Result<Output, Failure> {
    let request = parse_replay_args(args)?;
    let trace = read_trace(&request.file)?;
    let reserve = usize::try_from(request.reserve_mib << 20).unwrap_or(usize::MAX);
    let (stats, seconds, snapshot) = replay_native(&trace, &request, reserve)?;
    let stdout = if request.json {
        json_report(&request, &trace, &stats, seconds)?
    } else {
        let mut text = text_report(&request, &trace, &stats, seconds);
        if let Some(snapshot) = snapshot {
            text.push('\n');
            text.push_str(&diagram(&snapshot));
        }
        text
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
    })
}

/// Replays on the native backend: a private break in an `mmap` reservation.
#[cfg(unix)]
fn replay_native(
    trace: &Trace,
    request: &ReplayRequest,
    reserve: usize,
) -> Result<(ReplayStats, f64, Option<Snapshot>), Failure> {
    let heap = Heap::new(brkalloc::MmapBreak::new(reserve), request.options);
    replay_on(trace, request, heap)
}

/// Replays on an arena over a large vector where there is no `mmap`. The vector's capacity is
/// never written before the heap uses it, so the system provides its pages only as needed.
#[cfg(not(unix))]
fn replay_native(
    trace: &Trace,
    request: &ReplayRequest,
    reserve: usize,
) -> Result<(ReplayStats, f64, Option<Snapshot>), Failure> {
    let mut memory: Vec<u8> = Vec::new();
    memory.try_reserve_exact(reserve).map_err(|_| {
        Failure::Input(format!(
            "cannot reserve {reserve} bytes for the heap; try a smaller --reserve"
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
    request: &ReplayRequest,
    mut heap: Heap<B, Options>,
) -> Result<(ReplayStats, f64, Option<Snapshot>), Failure> {
    let start = Instant::now();
    let result = trace::replay_with(trace, &mut heap, request.replay);
    let seconds = start.elapsed().as_secs_f64();
    let stats = result.map_err(|e| Failure::Replay(format!("{}: {e}", request.file)))?;
    let snapshot = request.diagram.then(|| Snapshot::of(&heap));
    Ok((stats, seconds, snapshot))
}

/// The allocator's options in words.
fn describe_options(options: &Options, preset: bool) -> String {
    let on_off = |on: bool, name: &str| {
        if on {
            name.to_string()
        } else {
            format!("no {name}")
        }
    };
    format!(
        "{}, {}, {}, {}{}",
        options.policy,
        on_off(options.split, "split"),
        on_off(options.coalesce, "coalesce"),
        on_off(options.trim, "trim"),
        if preset { " (seed preset)" } else { "" }
    )
}

fn backend_name() -> &'static str {
    if cfg!(unix) {
        "mmap"
    } else {
        "arena"
    }
}

fn ops_per_second(operations: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        operations as f64 / seconds
    } else {
        0.0
    }
}

fn text_report(
    request: &ReplayRequest,
    trace: &Trace,
    stats: &ReplayStats,
    seconds: f64,
) -> String {
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
        describe_options(&request.options, request.preset),
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
    let _ = writeln!(out, "peak live     {} bytes", thousands(stats.peak_live));
    let _ = writeln!(
        out,
        "heap extent   {} bytes at its peak, {} at the end",
        thousands(stats.peak_extent),
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
        thousands(ops_per_second(stats.operations, seconds).round() as usize),
        seconds * 1000.0,
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
    out
}

fn json_report(
    request: &ReplayRequest,
    trace: &Trace,
    stats: &ReplayStats,
    seconds: f64,
) -> Result<String, Failure> {
    let internal = |e: serde_json::Error| Failure::Replay(format!("cannot write JSON: {e}"));
    let mut value = serde_json::to_value(stats).map_err(internal)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("trace".into(), request.file.clone().into());
        object.insert("ids".into(), trace.ids.into());
        object.insert("weight".into(), trace.weight.into());
        object.insert(
            "options".into(),
            serde_json::to_value(brkalloc_lab::json::OptionsJson(request.options))
                .map_err(internal)?,
        );
        object.insert("seedPreset".into(), request.preset.into());
        object.insert("backend".into(), backend_name().into());
        object.insert("fill".into(), request.replay.fill.into());
        object.insert("seconds".into(), seconds.into());
        object.insert(
            "opsPerSecond".into(),
            ops_per_second(stats.operations, seconds).into(),
        );
    }
    let mut text = serde_json::to_string(&value).map_err(internal)?;
    text.push('\n');
    Ok(text)
}

fn gen(args: &[String]) -> Result<Output, Failure> {
    let mut args = Args {
        command: "gen",
        rest: args.iter(),
    };
    let mut kind = None;
    let mut ops = None;
    let mut seed = 1;
    let mut file = None;
    let kinds = || {
        Kind::ALL
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    while let Some(arg) = args.next() {
        match arg {
            Arg::Positional(name) if kind.is_none() => {
                kind = Some(Kind::from_name(name).ok_or_else(|| {
                    usage_error(format!(
                        "unknown kind `{name}`: expected one of {}",
                        kinds()
                    ))
                })?);
            }
            Arg::Positional(extra) => {
                return Err(usage_error(format!(
                    "`gen` takes one kind; `{extra}` is one too many"
                )))
            }
            Arg::Flag(flag @ "--ops", inline) => {
                let n = args.number(flag, inline, "a number of operations")?;
                ops = Some(usize::try_from(n).map_err(|_| {
                    usage_error(format!("`--ops {n}` is more than this machine can hold"))
                })?);
            }
            Arg::Flag(flag @ "--seed", inline) => {
                seed = args.number(flag, inline, "a seed")?;
            }
            Arg::Flag(flag @ ("-o" | "--output"), inline) => {
                file = Some(args.value(flag, inline, "a file to write")?.to_string());
            }
            Arg::Flag(flag, _) => return Err(args.unknown(flag)),
        }
    }
    let kind =
        kind.ok_or_else(|| usage_error(format!("`gen` needs a kind: one of {}", kinds())))?;
    let ops = ops.ok_or_else(|| usage_error("`gen` needs `--ops N`: how many operations"))?;
    let text = trace::generate(kind, ops, seed).to_rep_string();
    match file.filter(|f| f != "-") {
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
                    "wrote {} operations ({kind}, seed {seed}) to {path}\n",
                    thousands(ops)
                ),
            })
        }
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Blocks drawn at each end of a long chain; the ones between are summed up on one line.
const DIAGRAM_ENDS: usize = 4;
/// Width of a block's box, borders included.
const BOX_WIDTH: usize = 44;
/// Column of the `next` arrow that leads down to the following block.
const ARROW_COLUMN: usize = 13;

/// Draws the heap as a column of boxes, one a block, from the heap start down to the break:
/// each a header and its data, linked by their `next` arrows.
fn diagram(s: &Snapshot) -> String {
    let mut out = String::new();
    if s.blocks.is_empty() {
        let _ = writeln!(
            out,
            "The heap is empty: heap start = program break = 0x{:x}.",
            s.brk
        );
        return out;
    }
    let count = s.blocks.len();
    let border = format!("+--------+{}+", "-".repeat(BOX_WIDTH - 11));
    let arrow_pad = " ".repeat(ARROW_COLUMN);
    let _ = writeln!(out, "heap start 0x{:x}", s.heap_start);
    let _ = writeln!(out, "|\nv");
    let shown =
        |i: usize| count <= 2 * DIAGRAM_ENDS + 1 || i < DIAGRAM_ENDS || i >= count - DIAGRAM_ENDS;
    let mut i = 0;
    while i < count {
        if !shown(i) {
            let hidden = &s.blocks[i..count - DIAGRAM_ENDS];
            let free: Vec<_> = hidden.iter().filter(|b| b.free).collect();
            let used_bytes: usize = hidden.iter().filter(|b| !b.free).map(|b| b.size).sum();
            let free_bytes: usize = free.iter().map(|b| b.size).sum();
            let _ = writeln!(
                out,
                "{arrow_pad}:   ... {} more blocks: {} used ({} bytes), {} free ({} bytes) ...",
                thousands(hidden.len()),
                thousands(hidden.len() - free.len()),
                thousands(used_bytes),
                thousands(free.len()),
                thousands(free_bytes)
            );
            let _ = writeln!(out, "{arrow_pad}|\n{arrow_pad}v");
            i = count - DIAGRAM_ENDS;
            continue;
        }
        let b = &s.blocks[i];
        let last = i + 1 == count;
        let _ = writeln!(
            out,
            "{border}  block {} of {}, header at 0x{:x} (heap start + {})",
            thousands(i + 1),
            thousands(count),
            b.header,
            thousands(b.header - s.heap_start)
        );
        let data = format!(
            " data: {} bytes, {}",
            thousands(b.size),
            if b.free { "free" } else { "used" }
        );
        let data_width = BOX_WIDTH - 11;
        let _ = writeln!(out, "| header |{data:<data_width$}|");
        if last {
            let _ = writeln!(out, "| {:<w$}|", "next = null", w = BOX_WIDTH - 3);
            let _ = writeln!(out, "{border}");
        } else {
            let _ = writeln!(
                out,
                "| next --+---+{}|",
                " ".repeat(BOX_WIDTH - ARROW_COLUMN - 2)
            );
            let _ = writeln!(
                out,
                "+--------+---|{}+",
                "-".repeat(BOX_WIDTH - ARROW_COLUMN - 2)
            );
            let end = b.data + b.size;
            if b.next != end {
                let _ = writeln!(
                    out,
                    "{arrow_pad}|  next jumps over a gap of {} bytes: a new segment starts",
                    thousands(b.next.saturating_sub(end))
                );
            }
            if shown(i + 1) {
                let _ = writeln!(out, "{arrow_pad}v");
            } else {
                let _ = writeln!(out, "{arrow_pad}|");
            }
        }
        i += 1;
    }
    let _ = writeln!(out, "{}^", " ".repeat(BOX_WIDTH - 1));
    let _ = writeln!(
        out,
        "{}program break 0x{:x} (heap start + {})",
        " ".repeat(BOX_WIDTH - 1),
        s.brk,
        thousands(s.brk - s.heap_start)
    );
    let t = &s.totals;
    let _ = writeln!(
        out,
        "\n{} blocks ({} used, {} free) in {} segment{}: {} bytes used, {} free, {} in headers;",
        thousands(t.blocks),
        thousands(t.blocks - t.free_blocks),
        thousands(t.free_blocks),
        s.segments.len(),
        if s.segments.len() == 1 { "" } else { "s" },
        thousands(t.used),
        thousands(t.free),
        thousands(t.overhead)
    );
    let _ = writeln!(
        out,
        "largest free block {} bytes; fragmentation {:.1}%; extent {} bytes.",
        thousands(t.largest_free),
        t.fragmentation * 100.0,
        thousands(t.extent)
    );
    out
}
