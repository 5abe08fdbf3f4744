// Runs the wasm half of the benchmark under Node: `node run.mjs MODULE.wasm PLAN.json`.
//
// The plan, written by the runner, is a list of groups: one workload and the allocators to run
// it on (its jobs). Every job gets a fresh instance of the module, so the allocator it starts is
// the only thing growing that instance's memory. The jobs of a group take turns, one timed run
// each per round, so that whatever else the machine is doing weighs on all of them alike.
//
// Throughput groups ("random", "stack", "trace"): the first run of each job, on a fresh heap,
// gives the memory figures (peakLive, peakExtent, footprint); then timed runs, each from an
// empty heap with the same random numbers, until the job's time budget is spent. Each run is
// timed in chunks (`chunk` operations of random actions or words of the trace; one round of the
// stack): repMs holds each run's total, bestChunkMs each chunk's fastest time over the runs, so
// their sum is a run with every chunk undisturbed by the rest of the machine. actionsPerRep is
// the operations of one run.
// Scaling groups: fill each job to `live` blocks (untimed), a warm-up batch of free+malloc
// pairs that sizes the timed batches to about `batchMs` each, then timed batches of `batch`
// pairs until the budget is spent: batchMs.
//
// Timing is performance.now() around each exported call; releasing the blocks after a run is
// not timed. One JSON object is printed per job, on its own line, when its group is done; a job
// that traps reports { id, error } and its group carries on without it.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [modulePath, planPath] = process.argv.slice(2);
if (!modulePath || !planPath) {
  console.error('usage: node run.mjs MODULE.wasm PLAN.json');
  process.exit(2);
}
const module = new WebAssembly.Module(readFileSync(modulePath));
const plan = JSON.parse(readFileSync(planPath, 'utf8'));

/** A fresh instance with allocator number `subject` started. */
function fresh(subject) {
  const x = new WebAssembly.Instance(module, {}).exports;
  ok(x.start(subject), `start(${subject})`);
  return x;
}

/** Throws if an export reports a failure (anything but 0). */
function ok(status, what) {
  if (status !== 0) throw new Error(`${what} returned ${status}`);
}

function loadTrace(path) {
  const bytes = readFileSync(path);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Times `f()` in milliseconds. */
function time(f) {
  const start = performance.now();
  f();
  return performance.now() - start;
}

/** Runs `step(job)` for every job still wanting one, round after round, until none does. */
function rounds(jobs, wants, step) {
  for (;;) {
    const active = jobs.filter((j) => !j.error && wants(j));
    if (active.length === 0) return;
    for (const j of active) {
      try {
        step(j);
      } catch (e) {
        j.error = String(e && e.message ? e.message : e);
      }
    }
  }
}

/** The chunks one run is timed in, as functions of the instance. */
function chunks(group, words) {
  const list = [];
  if (group.kind === 'random') {
    for (let done = 0; done < group.actions; done += group.chunk) {
      const n = Math.min(group.chunk, group.actions - done);
      list.push((x) => ok(x.random_actions(n, group.realloc ? 1 : 0), 'random_actions'));
    }
  } else if (group.kind === 'stack') {
    for (let r = 0; r < group.rounds; r++) list.push((x) => ok(x.stack(1), 'stack'));
  } else {
    for (let start = 0; start < words.length; start += group.chunk) {
      const n = Math.min(group.chunk, words.length - start);
      list.push((x) => ok(x.replay(start, n), 'replay'));
    }
  }
  return list;
}

function throughput(group) {
  const words = group.kind === 'trace' ? loadTrace(group.trace) : null;
  const parts = chunks(group, words);
  const jobs = group.jobs.map((job) => ({ id: job.id, subject: job.subject, repMs: [], total: 0 }));
  /** One run from an empty heap: every chunk timed; the release afterwards is not. */
  const run = (j) => {
    ok(j.x.seed(group.seed[0], group.seed[1]), 'seed');
    const ms = parts.map((part) => time(() => part(j.x)));
    ok(j.x.release(), 'release');
    return ms;
  };
  rounds(jobs, (j) => j.x === undefined, (j) => {
    const x = fresh(j.subject);
    j.x = x;
    if (words) {
      if (words.length > x.trace_capacity()) throw new Error('the trace is larger than the module\'s buffer');
      new Uint32Array(x.memory.buffer, x.trace_buffer(), words.length).set(words);
    }
    const before = x.actions();
    ok(x.seed(group.seed[0], group.seed[1]), 'seed');
    j.firstMs = time(() => parts.forEach((part) => part(x)));
    j.actionsPerRep = x.actions() - before;
    j.memory = { peakLive: x.peak_live(), peakExtent: x.peak_extent(), footprint: x.footprint() };
    ok(x.release(), 'release');
    j.minReps = j.firstMs > group.budgetMs ? 1 : 3;
    j.bestChunkMs = parts.map(() => Infinity);
  });
  rounds(jobs, (j) => j.repMs.length < group.maxReps && (j.total < group.budgetMs || j.repMs.length < j.minReps), (j) => {
    const ms = run(j);
    ms.forEach((m, k) => { j.bestChunkMs[k] = Math.min(j.bestChunkMs[k], m); });
    const sum = ms.reduce((a, b) => a + b, 0);
    j.repMs.push(sum);
    j.total += sum;
  });
  return jobs.map((j) => j.error
    ? { id: j.id, error: j.error }
    : { id: j.id, actionsPerRep: j.actionsPerRep, repMs: j.repMs, bestChunkMs: j.bestChunkMs, ...j.memory, failed: j.x.failed(), corrupted: j.x.corrupted() });
}

function scaling(group) {
  const jobs = group.jobs.map((job) => ({ id: job.id, subject: job.subject, batchMs: [], total: 0 }));
  rounds(jobs, (j) => j.x === undefined, (j) => {
    const x = fresh(j.subject);
    j.x = x;
    ok(x.seed(group.seed[0], group.seed[1]), 'seed');
    j.fillMs = time(() => ok(x.fill(group.live), 'fill'));
    j.live = x.live_blocks();
    // A warm-up batch, whose time sizes the timed batches to about batchMs each.
    const warmMs = time(() => ok(x.churn(group.warmPairs), 'churn'));
    const perPair = Math.max(warmMs, 1e-6) / group.warmPairs;
    j.batch = Math.min(1e6, Math.max(10, Math.floor(group.batchMs / perPair)));
  });
  rounds(jobs, (j) => j.batchMs.length < group.maxBatches && (j.total < group.budgetMs || j.batchMs.length < 2), (j) => {
    const ms = time(() => ok(j.x.churn(j.batch), 'churn'));
    j.batchMs.push(ms);
    j.total += ms;
  });
  return jobs.map((j) => j.error
    ? { id: j.id, error: j.error }
    : { id: j.id, live: j.live, fillMs: j.fillMs, batch: j.batch, batchMs: j.batchMs, failed: j.x.failed(), corrupted: j.x.corrupted() });
}

for (const group of plan.groups) {
  const results = group.kind === 'scaling' ? scaling(group) : throughput(group);
  for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
}
