#!/usr/bin/env python3
"""Real programs on brkalloc's malloc (crate/malloc), preloaded, compared with glibc's.

    python3 scripts/malloc-programs.py test              # the `malloc` stage of scripts/test.sh
    python3 scripts/malloc-programs.py bench [-n RUNS]   # npm run bench:programs (default 5 runs)
    python3 scripts/malloc-programs.py bench --json FILE # the same, and the figures as JSON
    python3 scripts/malloc-programs.py test --keep       # keep the generated files, say where

Both build the library first (cargo build --release -p brkalloc-malloc: no_std, with its own
panic handler), compile the C test programs of
crate/malloc/tests/ with gcc, and generate their inputs in a temporary directory (removed at the
end unless --keep).

test: runs each program once without and once with LD_PRELOAD=<the library>, and requires the
same standard output and the same exit status; prints each one's wall time both ways. Then it
checks what the environment variables promise: with BRKALLOC_CHECK=1 a heap overflow, a double
free and an interior free stop the program with a message naming the block the program printed,
and real programs run clean; with BRKALLOC_STATS=1 the report at exit adds up; BRKALLOC_RESERVE
bounds the heap, and under `ulimit -v` the heap reserves less address space by itself; a program
that moves the process break with sbrk itself is not disturbed. Every failure
names the program and says what differed; the exit status is 1 if anything failed.

bench: runs each program (threads included, edge left out) RUNS times each way, in pairs whose
order alternates (glibc first, then brkalloc first, ...), and prints the median wall time and the
median peak RSS (ru_maxrss from wait4, see crate/malloc/tests/measure.c) each way, and the median
over the pairs of brkalloc / glibc. --json FILE writes every run's figures too: the benchmark
runner (bench/runner, `npm run bench`) calls it that way and prints them in its report. --quick
generates small inputs (python, perl and threads have fixed sizes); the exit status is 1 if a
program's output differed between its runs or from glibc's.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "crate" / "malloc" / "tests"
LIBRARY = ROOT / "target" / "release" / "libbrkalloc_malloc.so"
# no_std, with its own panic handler (crate/malloc/src/report.rs).
BUILD = ["cargo", "build", "--release", "-p", "brkalloc-malloc"]
HEADER_SIZE = 16  # brkalloc's block header on 64-bit targets: data address = header + 16
TIMEOUT = 180  # seconds for one run of one program


# ---------------------------------------------------------------- running a program


@dataclass
class Program:
    """A command to run both ways. In argv, {fresh} becomes a new empty directory per run."""

    name: str
    argv: list
    stdin: Path | None = None
    env: dict = field(default_factory=dict)
    note: str = ""


@dataclass
class Run:
    status: int  # exit status, or -N when killed by signal N
    stdout: bytes
    stderr: bytes
    wall: float  # seconds
    maxrss: int  # KiB, the largest of the program and the children it waited for (0: unknown)
    timed_out: bool = False


def base_env():
    """The environment every run starts from: the caller's, without any preload or brkalloc
    setting, in the C locale, with Python's hashing fixed. (measure.c adds the preload.)"""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "LD_PRELOAD" and not k.startswith("BRKALLOC_")
    }
    env.update(LC_ALL="C", LANG="C", TZ="UTC", PYTHONHASHSEED="0")
    return env


def run(program, preload, tmp, extra_env=None):
    """Runs `program` once, with the library preloaded or not, and measures it. The program is
    started by crate/malloc/tests/measure.c, which sets LD_PRELOAD for it alone and reports
    its peak RSS (see there why)."""
    env = base_env()
    env.update(program.env)
    env.update(extra_env or {})
    fresh = Path(tempfile.mkdtemp(dir=tmp, prefix="run-"))
    rss_file = fresh / "maxrss"
    argv = [str(tmp / "measure"), str(rss_file), str(LIBRARY) if preload else "-"]
    argv += [str(a).replace("{fresh}", str(fresh)) for a in program.argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = open(program.stdin, "rb") if program.stdin else subprocess.DEVNULL
        try:
            started = time.perf_counter()
            proc = subprocess.Popen(
                argv,
                stdin=stdin,
                stdout=out,
                stderr=err,
                env=env,
                cwd=fresh,
                start_new_session=True,
            )
            timed_out = threading.Event()

            def kill():
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(TIMEOUT, kill)
            timer.start()
            _, wait_status, _ = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(wait_status)
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
        out.seek(0)
        err.seek(0)
        try:
            maxrss = int(rss_file.read_text())
        except (OSError, ValueError):
            maxrss = 0  # killed before it could say
        result = Run(proc.returncode, out.read(), err.read(), wall, maxrss, timed_out.is_set())
    shutil.rmtree(fresh, ignore_errors=True)
    return result


def describe_status(status):
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def tail(data, lines=12):
    text = data.decode(errors="replace").rstrip("\n")
    kept = text.split("\n")[-lines:]
    return "\n".join("      | " + line for line in kept) if text else "      | (nothing)"


def first_difference(a, b):
    """The first line where two outputs differ: (line number, line of a, line of b)."""
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else b"(end of output)"
        y = lb[i] if i < len(lb) else b"(end of output)"
        if x != y:
            return i + 1, x[:200], y[:200]
    return None


def compare(program, without, with_):
    """What differs between the run on glibc's malloc and the run on brkalloc's: a list of
    sentences naming the program (empty when they agree)."""
    name = program.name
    problems = []
    for label, r in (("without LD_PRELOAD", without), ("with LD_PRELOAD", with_)):
        if r.timed_out:
            problems.append(f"{name}: timed out after {TIMEOUT}s {label}")
    if problems:
        return problems
    if without.status != 0:
        problems.append(
            f"{name}: fails even on glibc's malloc ({describe_status(without.status)}), so it "
            f"proves nothing; its stderr:\n{tail(without.stderr)}"
        )
    if without.status != with_.status:
        problems.append(
            f"{name}: {describe_status(without.status)} without LD_PRELOAD but "
            f"{describe_status(with_.status)} with it; stderr with it:\n{tail(with_.stderr)}"
        )
    if without.stdout != with_.stdout:
        line, a, b = first_difference(without.stdout, with_.stdout)
        problems.append(
            f"{name}: standard output differs: {len(without.stdout):,} bytes (sha256 "
            f"{sha(without.stdout)}) without LD_PRELOAD, {len(with_.stdout):,} bytes (sha256 "
            f"{sha(with_.stdout)}) with it; first difference at line {line}:\n"
            f"      without: {a!r}\n      with:    {b!r}"
        )
    return problems


def sha(data):
    return hashlib.sha256(data).hexdigest()[:12]


# ---------------------------------------------------------------- building and generating


def build_library():
    print(f"==> building the library: {' '.join(BUILD)}", flush=True)
    subprocess.run(BUILD, cwd=ROOT, check=True)
    if not LIBRARY.is_file():
        sys.exit(f"cargo built no {LIBRARY}")
    print(f"    {LIBRARY}")


def compile_c(tmp, name):
    exe = tmp / name
    subprocess.run(
        ["gcc", "-O2", "-Wall", "-Wextra", "-pthread", "-o", str(exe), str(TESTS / f"{name}.c")],
        check=True,
    )
    return exe


def xorshift(seed):
    """The generator the python workload uses too (one definition, in workload.py)."""
    sys.dont_write_bytecode = True  # no __pycache__ beside the workload
    sys.path.insert(0, str(TESTS / "programs"))
    try:
        from workload import rng
    finally:
        sys.path.pop(0)
    return rng(seed)


WORDS = [
    "alpha", "block", "break", "chain", "data", "free", "header", "heap", "malloc", "next",
    "page", "segment", "size", "value", "word", "zero",
]


def generate_tree(root, dirs=30, files=100):
    """dirs x files small text files; neighbours share most lines, so git finds deltas."""
    r = xorshift(0x2545F4914F6CDD1D)
    for d in range(dirs):
        for f in range(files):
            path = root / f"dir{d:02d}" / f"file{f:03d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [
                f"line {i} {WORDS[(d + i) % 16]} {WORDS[(f * i) % 16]} "
                f"{next(r) % 1000 if i % 9 == 0 else i}"
                for i in range(40 + (d * f) % 50)
            ]
            path.write_text("\n".join(lines) + "\n")


def generate_sql(path, rows=100_000):
    r = xorshift(0x9E3779B97F4A7C15)
    with open(path, "w") as out:
        out.write(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, score INTEGER, "
            "note TEXT);\n"
        )
        out.write("BEGIN;\n")
        for i in range(1, rows + 1):
            x = next(r)
            name = WORDS[x % 16] + str(x % 9973)
            note = " ".join(WORDS[(x >> s) % 16] for s in range(8, 8 + 4 * (1 + x % 6), 4))
            out.write(f"INSERT INTO t VALUES({i}, '{name}', {x % 100}, {x % 100000}, '{note}');\n")
        out.write("COMMIT;\n")
        out.write(
            """CREATE INDEX t_grp ON t(grp, score);
SELECT count(*), sum(grp), sum(score), sum(length(note)) FROM t;
SELECT grp, count(*), sum(score), max(name), min(name) FROM t GROUP BY grp ORDER BY grp LIMIT 15;
SELECT id, name, score FROM t WHERE grp = 7 ORDER BY score DESC, id LIMIT 10;
SELECT count(*) FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.grp = b.grp;
SELECT substr(group_concat(name, ','), 1, 300)
  FROM (SELECT name FROM t ORDER BY name, id LIMIT 2000);
UPDATE t SET note = upper(note) || ' ' || name WHERE id % 3 = 0;
DELETE FROM t WHERE grp > 90;
SELECT count(*), sum(length(note)), sum(score) FROM t;
SELECT name, count(*) AS n FROM t GROUP BY name ORDER BY n DESC, name LIMIT 5;
"""
        )


def generate_c(path, functions=170):
    """About 18 lines per function: a struct, a loop and a switch each."""
    parts = ["#include <stdio.h>\n"]
    for i in range(functions):
        parts.append(
            f"""struct s{i} {{ int a; long b; double c; char name[16]; }};
static long f{i}(struct s{i} *p, int n)
{{
    long acc = {i};
    for (int k = 0; k < n; k++) {{
        switch ((k + {i}) % 4) {{
        case 0: acc += (long)p->a * k; break;
        case 1: acc ^= p->b >> (k % 7); break;
        case 2: acc -= (long)(p->c * k); break;
        default: acc += p->name[k % 16]; break;
        }}
        if (acc > {1000003 + i}) acc %= {997 + i};
    }}
    return acc;
}}
"""
        )
    parts.append("int main(void)\n{\n    long total = 0;\n")
    for i in range(functions):
        parts.append(
            f'    {{ struct s{i} v = {{{i}, {i * 7}, {i}.5, "f{i}"}}; '
            f"total += f{i}(&v, {i % 50 + 10}); }}\n"
        )
    parts.append('    printf("%ld\\n", total);\n    return 0;\n}\n')
    path.write_text("".join(parts))


def generate_lines(path, megabytes=6):
    r = xorshift(0xD1B54A32D192ED03)
    with open(path, "w") as out:
        written = 0
        while written < megabytes << 20:
            x = next(r)
            line = f"{WORDS[x % 16]}{x % 7919} {x % 1000003} {WORDS[(x >> 20) % 16]} {x >> 40:x}\n"
            out.write(line)
            written += len(line)


# The generated inputs: git's tree (directories, files in each), sqlite's rows, gcc's
# functions, and the megabytes of lines sort and gzip read. `small` is for smoke runs (git.sh
# removes dir03 and dir17, so the tree needs 18 directories).
SIZES = {
    "full": {"dirs": 30, "files": 100, "rows": 100_000, "functions": 170, "megabytes": 6},
    "small": {"dirs": 18, "files": 6, "rows": 5_000, "functions": 20, "megabytes": 1},
}


def prepare(tmp, sizes="full"):
    """Compiles the C programs and generates every input; returns the programs to compare."""
    size = SIZES[sizes]
    print(f"==> preparing the programs in {tmp}", flush=True)
    compile_c(tmp, "measure")
    threads = compile_c(tmp, "threads")
    edge = compile_c(tmp, "edge")
    compile_c(tmp, "misuse")
    tree = tmp / "tree"
    generate_tree(tree, size["dirs"], size["files"])
    sql = tmp / "rows.sql"
    generate_sql(sql, size["rows"])
    csrc = tmp / "generated.c"
    generate_c(csrc, size["functions"])
    data = tmp / "lines.txt"
    generate_lines(data, size["megabytes"])
    files = sum(1 for _ in tree.rglob("*.txt"))
    print(
        f"    git tree {files:,} files; sqlite {sql.stat().st_size / 2**20:.1f} MB of SQL; gcc "
        f"input {csrc.read_text().count(chr(10)):,} lines; sort/gzip input "
        f"{data.stat().st_size / 2**20:.1f} MB"
    )
    programs = TESTS / "programs"
    return [
        Program("python", [sys.executable, programs / "workload.py"], note="dicts, lists, strings"),
        Program("perl", ["perl", programs / "workload.pl"], note="hashes, strings, regexes"),
        Program(
            "git",
            ["bash", programs / "git.sh", tree, "{fresh}/repo"],
            note=f"add, commit, log, grep, gc, fsck of {files:,} files",
        ),
        Program(
            "sqlite3",
            ["sqlite3", "-batch", ":memory:"],
            stdin=sql,
            note=f"{size['rows']:,} inserts, queries",
        ),
        Program(
            "gcc",
            ["gcc", "-O2", "-S", "-o", "-", csrc],
            note=f"-O2 -S of {size['functions']} generated functions",
        ),
        Program("sort", ["sort", "-k2,2n", "-k1,1", data], note=f"{size['megabytes']} MB of lines"),
        Program(
            "gzip",
            [
                "bash",
                "-c",
                'gzip -9 -c "$1" >z.gz && sha256sum <z.gz && gzip -d -c z.gz | sha256sum',
                "gzip",
                data,
            ],
            note=f"-9, then -d, of {size['megabytes']} MB",
        ),
        Program("threads", [threads], note="8 threads x 10^6 malloc/free"),
        Program("edge", [edge], note="edge cases and fork"),
    ]


# ---------------------------------------------------------------- the checks of the env vars


def printed_block(run_result):
    """The data address the misuse program printed on its first line, `block 0x...`."""
    m = re.match(rb"block (0x[0-9a-f]+)\n", run_result.stdout)
    return int(m.group(1), 16) if m else None


def expect_abort(name, r, data, wanted):
    """Problems with a run that BRKALLOC_CHECK=1 should have stopped with a message."""
    problems = []
    if data is None:
        return [f"{name}: the program printed no 'block 0x...' line; stdout:\n{tail(r.stdout)}"]
    if r.status != -signal.SIGABRT:
        problems.append(
            f"{name}: expected to be stopped by SIGABRT, got {describe_status(r.status)}; "
            f"stdout:\n{tail(r.stdout)}\n    stderr:\n{tail(r.stderr)}"
        )
    text = r.stderr.decode(errors="replace")
    for what in wanted:
        if what not in text:
            problems.append(f"{name}: stderr does not say {what!r}; it says:\n{tail(r.stderr)}")
    return problems


def setting_checks(tmp):
    """What the environment variables promise: BRKALLOC_CHECK=1 stops each mistake and names
    the block; BRKALLOC_STATS=1 reports; BRKALLOC_RESERVE bounds the heap."""
    check = {"BRKALLOC_CHECK": "1"}
    results = []

    def mode(m):
        return Program(f"misuse {m}", [tmp / "misuse", m])

    r = run(mode("overflow"), True, tmp, check)
    data = printed_block(r)
    wanted = []
    if data is not None:
        header = data - HEADER_SIZE
        wanted = [
            "heap corruption found before serving malloc(10)",
            f"block {header:#x}: size",  # the Corruption sentence names the header
            f"header at {header:#x}, data at {data:#x}",
            f"data at {data - HEADER_SIZE - 48:#x}, 48 bytes, used",  # the block that overflowed
        ]
    problems = expect_abort("heap overflow", r, data, wanted)
    results.append(("heap overflow", "16 bytes past a block, then malloc", problems))

    r = run(mode("double-free"), True, tmp, check)
    data = printed_block(r)
    wanted = []
    if data is not None:
        wanted = [
            f"free({data:#x}) refused",
            "double free",
            f"header at {data - HEADER_SIZE:#x}, data at {data:#x}",
        ]
    problems = expect_abort("double free", r, data, wanted)
    results.append(("double free", "free(b); free(b)", problems))

    r = run(mode("interior"), True, tmp, check)
    data = printed_block(r)
    wanted = []
    if data is not None:
        wanted = [f"free({data + 8:#x}) refused", f"points 8 bytes into the block at {data:#x}"]
    results.append(("interior free", "free(b + 8)", expect_abort("interior free", r, data, wanted)))

    # The same mistakes go unnoticed without the setting: the checks are what catches them.
    r = run(mode("double-free"), True, tmp)
    problems = []
    if r.status != 0 or b"went unnoticed" not in r.stdout:
        problems.append(
            f"double free without BRKALLOC_CHECK: expected the program to carry on (exit 0), got "
            f"{describe_status(r.status)}; stderr:\n{tail(r.stderr)}"
        )
    results.append(("unchecked", "double free without BRKALLOC_CHECK carries on", problems))

    # BRKALLOC_STATS=1: 1,000 blocks of 1,000 bytes kept to the end.
    keep = mode("keep")
    without = run(keep, False, tmp)
    r = run(keep, True, tmp, {"BRKALLOC_STATS": "1"})
    problems = compare(keep, without, r)
    problems += stats_problems(r.stderr)
    results.append(("stats", "BRKALLOC_STATS=1 report at exit", problems))

    # The program moves the process break itself, between allocations: brkalloc's heap is in
    # its own mapping, so neither gets in the other's way (checked on every call, too).
    r = run(mode("sbrk"), True, tmp, check)
    expected = (
        b"malloc never moved the break: yes\n"
        b"no block inside the program's own sbrk memory: yes\n"
        b"the program's own bytes intact: yes\n"
        b"the break went back down: yes\n"
    )
    problems = []
    if r.status != 0 or r.stdout != expected:
        problems.append(
            f"misuse sbrk: expected exit status 0 and four 'yes', got {describe_status(r.status)}; "
            f"stdout:\n{tail(r.stdout)}\n    stderr:\n{tail(r.stderr)}"
        )
    results.append(("sbrk", "the program's own sbrk beside the heap, checked", problems))

    # BRKALLOC_RESERVE bounds the heap: 200 MB do not fit in 128M of address space, but in 512M.
    alloc200 = Program(
        "python 200 MB", [sys.executable, "-c", "b = bytearray(200 << 20); print(len(b))"]
    )
    problems = []
    small = run(alloc200, True, tmp, {"BRKALLOC_RESERVE": "128M"})
    if small.status != 1 or b"MemoryError" not in small.stderr:
        problems.append(
            f"BRKALLOC_RESERVE=128M: expected python's MemoryError for 200 MB, got "
            f"{describe_status(small.status)}; stderr:\n{tail(small.stderr)}"
        )
    large = run(alloc200, True, tmp, {"BRKALLOC_RESERVE": "512M"})
    if large.status != 0 or large.stdout != b"209715200\n":
        problems.append(
            f"BRKALLOC_RESERVE=512M: expected 200 MB to fit, got {describe_status(large.status)}; "
            f"stderr:\n{tail(large.stderr)}"
        )
    results.append(("reserve", "BRKALLOC_RESERVE=128M refuses 200 MB, 512M serves", problems))

    # Under `ulimit -v 4G` the default 64 GiB reservation is refused: the heap settles for less.
    limited = Program(
        "edge (ulimit -v)", ["bash", "-c", 'ulimit -v 4194304 && exec "$0"', tmp / "edge"]
    )
    problems = compare(limited, run(limited, False, tmp), run(limited, True, tmp))
    results.append(("ulimit -v 4G", "a smaller reservation when 64 GiB is refused", problems))

    # No false alarm: real programs under BRKALLOC_CHECK=1 behave as on glibc.
    for program in (
        Program("edge (checked)", [tmp / "edge"]),
        Program(
            "python (checked)",
            [sys.executable, "-c", "import json; d = {str(i): [i] * (i % 7) for i in range(3000)}; "
             "print(len(json.dumps(d)), sorted(d)[:3])"],
        ),
    ):
        without = run(program, False, tmp)
        r = run(program, True, tmp, check)
        problems = compare(program, without, r)
        if b"brkalloc:" in r.stderr:
            problems.append(f"{program.name}: brkalloc complained:\n{tail(r.stderr)}")
        results.append((program.name, "BRKALLOC_CHECK=1, no false alarm", problems))
    return results


def stats_problems(stderr):
    text = stderr.decode(errors="replace")

    def number(label):
        m = re.search(rf"{label}\s+([\d,]+) bytes", text)
        return int(m.group(1).replace(",", "")) if m else None

    peak_heap, peak_live = number("peak heap"), number("peak live data")
    used = re.search(r"at exit\s+[\d,]+ blocks: ([\d,]+) used", text)
    utilisation = re.search(r"utilisation\s+(\d+)\.(\d)%", text)
    if None in (peak_heap, peak_live) or not used or not utilisation:
        return [
            f"stats: the BRKALLOC_STATS=1 report is missing or incomplete; stderr:\n{tail(stderr)}"
        ]
    problems = []
    if peak_live < 1000 * 1000:
        problems.append(
            f"stats: peak live data {peak_live:,} bytes, but 1,000 blocks of 1,000 bytes were live"
        )
    if peak_heap < peak_live:
        problems.append(
            f"stats: peak heap {peak_heap:,} bytes is less than peak live data {peak_live:,}"
        )
    if int(used.group(1).replace(",", "")) < 1000:
        problems.append(f"stats: {used.group(1)} used blocks at exit, but the program kept 1,000")
    permille = int(utilisation.group(1)) * 10 + int(utilisation.group(2))
    if peak_heap and permille != peak_live * 1000 // peak_heap:
        problems.append(f"stats: utilisation {utilisation.group(0)} is not peak live / peak heap")
    return problems


# ---------------------------------------------------------------- the two commands


def test(args):
    started = time.perf_counter()
    build_library()
    with workdir(args.keep) as tmp:
        programs = prepare(tmp)
        print(f"==> each program without and with LD_PRELOAD={LIBRARY}", flush=True)
        print(
            f"    {'program':<10} {'glibc':>8} {'brkalloc':>9} {'ratio':>6}   "
            f"{'peak RSS glibc / brkalloc':>27}   result"
        )
        failures = []
        for p in programs:
            without = run(p, False, tmp)
            with_ = run(p, True, tmp)
            problems = compare(p, without, with_)
            failures += problems
            verdict = (
                "FAILED"
                if problems
                else f"same output ({len(with_.stdout):,} bytes), {describe_status(with_.status)}"
            )
            print(
                f"    {p.name:<10} {without.wall:>7.2f}s {with_.wall:>8.2f}s "
                f"{with_.wall / max(without.wall, 1e-9):>6.2f}   "
                f"{without.maxrss / 1024:>10.1f} MB / {with_.maxrss / 1024:>6.1f} MB   {verdict}",
                flush=True,
            )
        print("==> BRKALLOC_CHECK, BRKALLOC_STATS, BRKALLOC_RESERVE", flush=True)
        for name, what, problems in setting_checks(tmp):
            failures += problems
            print(f"    {name:<18} {what:<52} {'FAILED' if problems else 'ok'}", flush=True)
    elapsed = time.perf_counter() - started
    if failures:
        print(f"\n==> {len(failures)} failure(s), after {elapsed:.0f}s:")
        for f in failures:
            print(f"  - {f}")
        return 1
    print(f"==> everything agreed, in {elapsed:.0f}s")
    return 0


def machine():
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    glibc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else "?"
    cpus = len(os.sched_getaffinity(0))
    return f"{cpus} CPUs (nproc), {model}; Linux {platform.release()}; {glibc}"


# The program of the thread measurement: 8 threads x 10^6 operations, frees across threads.
THREADS_PROGRAM = "threads"


def paired_median(pairs):
    """The median over pairs (glibc, brkalloc) of brkalloc / glibc; None if a glibc figure is 0."""
    if any(g <= 0 for g, _ in pairs):
        return None
    return statistics.median(b / g for g, b in pairs)


def cross_thread_frees(stderr):
    """How many frees crossed threads, as threads.c reports on standard error (None: not said)."""
    m = re.search(rb"threads: (\d+) frees crossed threads", stderr)
    return int(m.group(1)) if m else None


def measure_pairs(p, runs, tmp):
    """Runs `p` `runs` times each way, interleaved: pair i runs glibc first when i is even and
    brkalloc first when it is odd (so neither always runs on a machine the other just warmed).
    Returns the runs of each side, in pair order."""
    results = {False: [], True: []}
    for i in range(runs):
        for preload in (False, True) if i % 2 == 0 else (True, False):
            results[preload].append(run(p, preload, tmp))
    return results


def summarise(p, runs):
    """One program's figures, as the JSON report (and the bench runner) has them."""
    glibc, brk = runs[False], runs[True]
    problems = compare(p, glibc[0], brk[0])
    for label, side in (("glibc", glibc), ("brkalloc", brk)):
        for i, r in enumerate(side[1:], 2):
            if r.timed_out or r.status != side[0].status or r.stdout != side[0].stdout:
                problems.append(f"{p.name}: run {i} on {label} ended otherwise than run 1")
    if any(r.maxrss <= 0 for r in glibc + brk):
        problems.append(f"{p.name}: a run reported no peak RSS")

    def side(rs):
        out = {
            "wallS": [r.wall for r in rs],
            "maxrssKib": [r.maxrss for r in rs],
            "medianWallS": statistics.median(r.wall for r in rs),
            "medianMaxrssKib": statistics.median(r.maxrss for r in rs),
        }
        crossed = [cross_thread_frees(r.stderr) for r in rs]
        if p.name == THREADS_PROGRAM and None not in crossed:
            out["crossThreadFrees"] = crossed
        return out

    return {
        "name": p.name,
        "note": p.note,
        "threads": p.name == THREADS_PROGRAM,
        "runs": len(glibc),
        "glibc": side(glibc),
        "brkalloc": side(brk),
        "wallRatio": paired_median([(g.wall, b.wall) for g, b in zip(glibc, brk)]),
        "maxrssRatio": paired_median([(g.maxrss, b.maxrss) for g, b in zip(glibc, brk)]),
        "problems": problems,
    }


def bench(args):
    build_library()
    with workdir(args.keep) as tmp:
        programs = [
            p for p in prepare(tmp, "small" if args.quick else "full") if p.name != "edge"
        ]
        print()
        command = " ".join(["python3"] + sys.argv)
        if os.environ.get("npm_lifecycle_event") == "bench:programs":
            command = f"npm run bench:programs ({command})"
        print(f"command:  {command}")
        print(f"machine:  {machine()}")
        print(f"library:  {LIBRARY}")
        print(
            f"runs:     {args.runs} of each program each way, interleaved (glibc first in odd "
            "pairs, brkalloc first in even ones)"
        )
        print()
        header = (
            f"{'program':<10} {'glibc s':>9} {'brkalloc s':>11} {'ratio':>6}   "
            f"{'glibc RSS':>11} {'brkalloc RSS':>13} {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        rows = []
        failures = []
        for p in programs:
            row = summarise(p, measure_pairs(p, args.runs, tmp))
            rows.append(row)
            failures += row["problems"]
            g, b = row["glibc"], row["brkalloc"]
            print(
                f"{p.name:<10} {g['medianWallS']:>9.3f} {b['medianWallS']:>11.3f} "
                f"{fmt_ratio(row['wallRatio']):>6}   "
                f"{g['medianMaxrssKib'] / 1024:>8.1f} MB {b['medianMaxrssKib'] / 1024:>10.1f} MB "
                f"{fmt_ratio(row['maxrssRatio']):>6}"
                + ("   (FAILED, see below)" if row["problems"] else ""),
                flush=True,
            )
        print()
        print("wall: median seconds; RSS: median of the peak resident set (ru_maxrss of the")
        print("program and the children it waited for); ratio: the median over the pairs of")
        print("brkalloc / glibc, below 1 is better for brkalloc.")
        for f in failures:
            print(f"  - {f}")
        if args.json:
            report = {
                "command": command,
                "machine": machine(),
                "library": str(LIBRARY),
                "inputs": "small" if args.quick else "full",
                "runs": args.runs,
                "programs": rows,
            }
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
            print(f"==> wrote {args.json}")
        return 1 if failures else 0


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}"


class workdir:
    """A temporary directory, removed afterwards unless asked to keep it."""

    def __init__(self, keep):
        self.keep = keep

    def __enter__(self):
        self.path = Path(tempfile.mkdtemp(prefix="brkalloc-malloc-"))
        return self.path

    def __exit__(self, *exc):
        if self.keep:
            print(f"==> kept {self.path}")
        else:
            shutil.rmtree(self.path, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("test", help="run each program with and without the library; compare")
    t.add_argument("--keep", action="store_true", help="keep the temporary directory")
    b = sub.add_parser("bench", help="median wall time and peak RSS with and without the library")
    b.add_argument(
        "-n", "--runs", type=int, default=5, help="runs of each program each way (default 5)"
    )
    b.add_argument(
        "--quick", action="store_true", help="small generated inputs (a smoke run; see SIZES)"
    )
    b.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    b.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.command == "bench" and args.runs < 1:
        parser.error("--runs must be at least 1")
    for tool in ("cargo", "gcc", "git", "perl", "sqlite3", "sort", "gzip", "bash"):
        if shutil.which(tool) is None:
            sys.exit(
                f"{tool} is not installed (bash scripts/setup.sh test installs what the malloc "
                "stage needs)"
            )
    return test(args) if args.command == "test" else bench(args)


if __name__ == "__main__":
    sys.exit(main())
