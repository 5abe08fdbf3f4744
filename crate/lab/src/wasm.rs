//! The wasm-bindgen surface of the playground: [`Playground`], a [`Heap`] in this module's own
//! linear memory, driven from JavaScript.
//!
//! It is thin on purpose: it turns JavaScript values into sizes and addresses (refusing, with a
//! sentence a learner can read, anything that is not one), calls the heap, and turns what the
//! heap reports back into JavaScript values. Every decision about memory is the core's.
//!
//! The heap the user sees grows with `memory.grow` through [`WasmBreak`]; the playground's own
//! bookkeeping (the layout table, the JavaScript values it builds) goes through Rust's allocator,
//! which grows pages of its own, so it never appears among the heap's blocks.
//!
//! ```text
//!   JavaScript                       Playground (this file)            Heap<WasmBreak>
//!   alloc(24)      --validate-->     heap.alloc(24)          -->       blocks in linear memory
//!   {address, events} <--serde--     Recorder's events       <--
//!   layout() + layoutPtr()  --> a Uint32Array over memory.buffer: [header, data, size, flags, next]*
//!   loadTrace(text), replayTrace(n) --> trace::parse, then the trace's operations n at a time
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Display;
use core::ptr::{self, NonNull};

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use brkalloc::{Break, Event, Heap, Options, Policy, ReallocError, WasmBreak};

use crate::trace::{self, Failure, Op, ReplayError, Trace};
use crate::Recorder;

/// The JavaScript calls this file makes on values the page hands in that can throw, imported
/// with `catch` so that a throw comes back as an `Err`.
///
/// js_sys imports `Array.isArray` and `Object.keys` without `catch`, and they throw on a revoked
/// `Proxy` (`Object.keys` also runs a `Proxy`'s traps, which may throw anything). A JavaScript
/// exception unwinds through the wasm frames without running any Rust code, so one thrown
/// inside a `&mut self` method would leave the `Playground` borrowed for good: every later call
/// would fail with "recursive use of an object detected". The other JsValue methods used here
/// (`as_string`, `as_f64`, `as_bool`, `is_object`, …) are `typeof` tests, which never throw or
/// run the page's code; `Reflect.get` and `JSON.parse` are imported with `catch` by js_sys.
#[wasm_bindgen]
extern "C" {
    /// `Array.isArray(value)`.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// `Object.keys(value)`.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(value: &JsValue) -> Result<Array, JsValue>;

    /// `String(value)`: how a thrown exception reads (`TypeError: Cannot perform …`).
    #[wasm_bindgen(js_name = String, catch)]
    fn js_string(value: &JsValue) -> Result<String, JsValue>;
}

/// What a JavaScript exception says, for an error message: `String(exception)`, cut short when
/// long, or a placeholder when even that throws.
fn thrown(exception: &JsValue) -> String {
    const LIMIT: usize = 200;
    match js_string(exception) {
        Ok(text) if text.chars().count() > LIMIT => {
            let cut: String = text.chars().take(LIMIT).collect();
            format!("{cut}…")
        }
        Ok(text) => text,
        Err(_) => "an exception that cannot be shown".to_string(),
    }
}

/// Number of `u32` fields per block in the layout table: header, data, size, flags, next.
pub const LAYOUT_STRIDE: usize = 5;

/// Flag bit of the layout table: the block is free.
pub const LAYOUT_FREE: u32 = 1;

/// Number of `u32` fields per block in the table that [`Playground::layout`] fills.
#[wasm_bindgen(js_name = layoutStride)]
pub fn layout_stride() -> usize {
    LAYOUT_STRIDE
}

/// Reads a scenario script (see [`crate::scenario`]) into its steps:
/// `{steps: [{line, column, span: {start, end}, stmt: {op: "malloc", name, size}}, ...]}`, with
/// `stmt` one of `{op: "malloc", name, size}`, `{op: "calloc", name, count, size}`,
/// `{op: "realloc", name, ptr, size}`, `{op: "free", ptr}` and `ptr` either `{name}` or
/// `{address}`. A script that does not parse throws an `Error` whose message is
/// `line L, column C: what was expected`; nothing in it runs.
#[wasm_bindgen(js_name = parseScenario)]
pub fn parse_scenario(text: &str) -> Result<JsValue, JsError> {
    let scenario = crate::scenario::parse(text).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&scenario)
}

/// Makes a malloc-lab trace with [`trace::generate`]: `kind` is one of "random", "small-large",
/// "grow" and "coalesce", `ops` the number of operations (at most 1,000,000), `seed` any whole
/// number (the same seed gives the same trace). Returns the `.rep` text.
#[wasm_bindgen(js_name = generateTrace)]
pub fn generate_trace(kind: &str, ops: u32, seed: u32) -> Result<String, JsError> {
    let kinds: Vec<&str> = trace::Kind::ALL.iter().map(|k| k.name()).collect();
    let k = trace::Kind::from_name(kind).ok_or_else(|| {
        JsError::new(&format!(
            "unknown kind of trace {kind:?}: the kinds are {}",
            kinds.join(", ")
        ))
    })?;
    if ops > 1_000_000 {
        return Err(JsError::new(&format!(
            "{ops} operations is too many for the page: at most 1,000,000"
        )));
    }
    Ok(trace::generate(k, ops as usize, u64::from(seed)).to_rep_string())
}

/// Converts a value to plain JavaScript objects, arrays, numbers, booleans and `null`, through
/// JSON text and `JSON.parse`: one call across the wasm boundary instead of a few per field,
/// which keeps an operation on a heap of 10,000 blocks within a frame.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value)
        .map_err(|e| JsError::new(&format!("could not convert to JSON: {e}")))?;
    js_sys::JSON::parse(&text)
        .map_err(|_| JsError::new("could not read back the JSON the heap wrote"))
}

/// Visits kept as events per operation; a longer search is counted, not listed, so that an
/// operation on a heap of 10,000 blocks still fits in a frame.
const VISIT_LIMIT: usize = 256;

/// What a successful operation returns to JavaScript.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpResult<'a> {
    /// The data address handed out (`null` for `free`).
    address: Option<usize>,
    /// What the heap did, in order (the first [`VISIT_LIMIT`] visits of a search).
    #[serde(serialize_with = "crate::json::events")]
    events: &'a [Event],
    /// Visits beyond those in `events`.
    more_visits: usize,
    /// Of those, visits to free blocks.
    more_free_visits: usize,
}

/// A heap in this module's linear memory, driven from JavaScript.
///
/// ```js
/// const p = new Playground({ preset: "seed" });
/// const { address, events } = p.alloc(24);   // events: [{kind: "append", block, size}, {kind: "break-moved", from, to}]
/// p.free(address);
/// p.free(address);                           // throws Error("free(0x…): the block at 0x… is already free (double free)")
/// p.alloc(-1);                               // throws Error("malloc(-1): a size cannot be negative")
/// ```
#[wasm_bindgen]
pub struct Playground {
    heap: Heap<WasmBreak, Options, Recorder>,
    /// The layout table: [`LAYOUT_STRIDE`] `u32`s per block, refreshed by [`Playground::layout`].
    layout: Vec<u32>,
    /// The trace being replayed, if any: set by [`Playground::load_trace`], dropped by any other
    /// change to the heap.
    trace: Option<TraceRun>,
}

/// A malloc-lab trace being replayed into the playground's heap a chunk at a time, so that the
/// page can draw a progress bar between chunks. Like [`trace::replay_with`], it keeps a table of
/// each id's live block, frees and reallocates them with [`Heap::free_live`] and
/// [`Heap::realloc_live`] (no walk of the chain per operation), and measures the same
/// quantities.
///
/// The table is right only while the trace alone changes the heap: any other operation that
/// changes it (a successful `alloc`, `free`, `realloc` or `calloc`, `reset`, another
/// `loadTrace`) drops the run, and so does a failed `replayTrace`.
struct TraceRun {
    trace: Trace,
    /// Operations done so far.
    done: usize,
    /// Each id's live block: its data pointer, as the heap returned it, and the size the trace
    /// asked for.
    blocks: Vec<Option<(NonNull<u8>, usize)>>,
    /// Sum of the sizes asked for by the live ids.
    live: usize,
    peak_live: usize,
    peak_extent: usize,
}

/// What [`Playground::load_trace`] returns: the trace's header and what its operations are.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceSummary {
    operations: usize,
    allocs: usize,
    frees: usize,
    reallocs: usize,
    ids: usize,
    heap_size_hint: usize,
    weight: u32,
}

/// The heap at one point of a trace replay.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceSample {
    /// Operations done.
    op: usize,
    /// Bytes from the heap start to the break.
    extent: usize,
    /// Sum of the sizes asked for by the live ids.
    live: usize,
    /// The most `live` has been so far.
    peak_live: usize,
    /// The most `extent` has been so far.
    peak_extent: usize,
    /// 1 − largest free block / all free bytes (0 when nothing is free), as `Totals` defines it.
    fragmentation: f64,
}

/// What one call of [`Playground::replay_trace`] did.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceProgress {
    /// Operations done so far, of `total`.
    done: usize,
    total: usize,
    /// Samples taken during this call (the first call also samples the empty heap).
    samples: Vec<TraceSample>,
}

#[wasm_bindgen]
impl Playground {
    /// A new, empty heap. `options` is `undefined` or an object with any of `preset` ("seed" or
    /// "default", applied first), `policy` ("first-fit", "next-fit", "best-fit", "worst-fit",
    /// "segregated"), `split`, `coalesce` and `trim` (booleans). Anything else is refused.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<JsValue>) -> Result<Playground, JsError> {
        let options = parse_options(options)?;
        Ok(Playground {
            heap: new_heap(options)?,
            layout: Vec::new(),
            trace: None,
        })
    }

    /// Starts over with an empty heap, with `options` (or, when `undefined`, the default ones).
    /// The new heap reuses the old one's memory: it starts where the old one did (or, if the
    /// break had to jump, where its last segment did), so the same requests get the same
    /// addresses again.
    ///
    /// The pages it reuses are zeroed, as fresh pages from `memory.grow` are, so that the same
    /// requests also leave the same bytes: stepping back (a reset, then the earlier steps again)
    /// shows the data and free-list words exactly as they were, not what later steps wrote.
    pub fn reset(&mut self, options: Option<JsValue>) -> Result<(), JsError> {
        let options = parse_options(options)?;
        self.trace = None;
        self.reset_with(options);
        Ok(())
    }

    /// Releases this playground's bookkeeping; the object cannot be used afterwards. (The
    /// heap's pages stay in the module's memory, which never shrinks.) wasm-bindgen names this
    /// `free()` on other classes; here `free` is the allocator's.
    pub fn destroy(self) {}

    /// The options in force, as `{policy, split, coalesce, trim}`.
    pub fn options(&self) -> Result<JsValue, JsError> {
        to_js(&crate::json::OptionsJson(*self.heap.config()))
    }

    /// `malloc(size)`. Returns `{address, events}`; throws an `Error` saying why it refused.
    pub fn alloc(&mut self, size: JsValue) -> Result<JsValue, JsError> {
        let typed = format!("malloc({})", shown(&size));
        let n = to_usize(&typed, &size, Quantity::Size)?;
        let call = format!("malloc({n})");
        self.heap.observer_mut().take();
        let result = self.heap.alloc(n).map(|p| p.as_ptr() as usize);
        self.finish(&call, result)
    }

    /// `calloc(count, size)`: `count × size` bytes, zeroed.
    pub fn calloc(&mut self, count: JsValue, size: JsValue) -> Result<JsValue, JsError> {
        let typed = format!("calloc({}, {})", shown(&count), shown(&size));
        let c = to_usize(&typed, &count, Quantity::Count)?;
        let n = to_usize(&typed, &size, Quantity::Size)?;
        let call = format!("calloc({c}, {n})");
        self.heap.observer_mut().take();
        let result = self.heap.calloc(c, n).map(|p| p.as_ptr() as usize);
        self.finish(&call, result)
    }

    /// `free(address)`, checked: a double free, or an address malloc never returned, is refused
    /// and changes nothing. Returns `{address: null, events}`.
    ///
    /// (wasm-bindgen gives every exported class a `free()` that releases the Rust object; this
    /// method takes its name, and [`Playground::destroy`] does that job instead.)
    pub fn free(&mut self, address: JsValue) -> Result<JsValue, JsError> {
        let typed = format!("free({})", shown_address(&address));
        let a = to_usize(&typed, &address, Quantity::Address)?;
        let call = format!("free(0x{a:08x})");
        self.heap.observer_mut().take();
        // Only the address is compared with the blocks' (the checked `free` finds the block on
        // the chain), so the pointer needs no provenance.
        let result = self.heap.free(ptr::without_provenance_mut(a));
        self.finish(&call, result.map(|()| None::<usize>))
    }

    /// `realloc(address, size)`. Returns `{address, events}` with the (possibly new) address.
    pub fn realloc(&mut self, address: JsValue, size: JsValue) -> Result<JsValue, JsError> {
        let typed = format!("realloc({}, {})", shown_address(&address), shown(&size));
        let a = to_usize(&typed, &address, Quantity::Address)?;
        let n = to_usize(&typed, &size, Quantity::Size)?;
        let call = format!("realloc(0x{a:08x}, {n})");
        self.heap.observer_mut().take();
        let result = self
            .heap
            .realloc(ptr::without_provenance_mut(a), n)
            .map(|p| p.as_ptr() as usize);
        self.finish(&call, result)
    }

    /// The whole heap as a plain object (see `Snapshot` in snapshot.rs, and www/types.ts).
    pub fn snapshot(&self) -> Result<JsValue, JsError> {
        to_js(&crate::Snapshot::of(&self.heap))
    }

    /// The segregated policy's size-class lists, lowest class first:
    /// `[{ class, minSize, blocks }]`, `blocks` the header addresses in list order. Empty under
    /// the other policies. Cheaper than a snapshot: the page asks for it after every step.
    #[wasm_bindgen(js_name = freeLists)]
    pub fn free_lists(&self) -> Result<JsValue, JsError> {
        to_js(&crate::snapshot::FreeList::group(
            &self.heap.listed().collect::<Vec<_>>(),
        ))
    }

    /// Runs the heap's invariant checker: `undefined` when every invariant holds, else a
    /// sentence naming the block that breaks one.
    pub fn check(&self) -> Option<String> {
        self.heap.check().err().map(|c| c.to_string())
    }

    /// This module's `WebAssembly.Memory`, where the heap's bytes are.
    pub fn memory(&self) -> js_sys::WebAssembly::Memory {
        wasm_bindgen::memory().unchecked_into()
    }

    /// The address of the first header (or of the break, when there is no block).
    #[wasm_bindgen(js_name = heapStart)]
    pub fn heap_start(&self) -> usize {
        self.heap.heap_start()
    }

    /// The program break: the end of the last block, `sbrk(0)`.
    pub fn brk(&self) -> usize {
        self.heap.brk()
    }

    /// The end of the pages grown for the current region: the break can rise this far without
    /// `memory.grow`.
    pub fn limit(&self) -> usize {
        self.heap.backend().limit() as usize
    }

    /// How many 64 KiB pages the heap has grown in all.
    #[wasm_bindgen(js_name = pagesGrown)]
    pub fn pages_grown(&self) -> usize {
        self.heap.backend().pages().map_or(0, |p| p.grown)
    }

    /// Refreshes the layout table, [`LAYOUT_STRIDE`] `u32`s per block in chain order
    /// (`header, data, size, flags, next`; flag 1 = free), and returns the number of blocks.
    /// Read it with `new Uint32Array(memory.buffer, layoutPtr(), blocks * layoutStride())`
    /// *after* this call: refreshing may grow the memory, which replaces `memory.buffer`.
    pub fn layout(&mut self) -> usize {
        self.layout.clear();
        for b in self.heap.blocks() {
            self.layout.extend_from_slice(&[
                b.header as u32,
                b.data as u32,
                b.size as u32,
                if b.free { LAYOUT_FREE } else { 0 },
                b.next as u32,
            ]);
        }
        self.layout.len() / LAYOUT_STRIDE
    }

    /// Where the layout table starts in linear memory.
    #[wasm_bindgen(js_name = layoutPtr)]
    pub fn layout_ptr(&self) -> usize {
        self.layout.as_ptr() as usize
    }

    /// Reads a malloc-lab trace (`.rep` text) with [`trace::parse`] and makes it the one
    /// [`Playground::replay_trace`] runs. A trace that does not parse throws an `Error` naming
    /// the line (and column) and what was expected, and changes nothing; one that does starts
    /// an empty heap with the options in force. Returns `{operations, allocs, frees, reallocs,
    /// ids, heapSizeHint, weight}`.
    #[wasm_bindgen(js_name = loadTrace)]
    pub fn load_trace(&mut self, text: &str) -> Result<JsValue, JsError> {
        let trace = trace::parse(text).map_err(|e| JsError::new(&e.to_string()))?;
        let count = |letter: char| trace.ops.iter().filter(|op| op.letter() == letter).count();
        let summary = TraceSummary {
            operations: trace.ops.len(),
            allocs: count('a'),
            frees: count('f'),
            reallocs: count('r'),
            ids: trace.ids,
            heap_size_hint: trace.heap_size_hint,
            weight: trace.weight,
        };
        let options = *self.heap.config();
        self.reset_with(options);
        let ids = trace.ops.iter().map(|op| op.id() + 1).max().unwrap_or(0);
        self.trace = Some(TraceRun {
            trace,
            done: 0,
            blocks: alloc::vec![None; ids],
            live: 0,
            peak_live: 0,
            peak_extent: 0,
        });
        to_js(&summary)
    }

    /// Runs up to `max_ops` more operations of the trace loaded by [`Playground::load_trace`],
    /// sampling the heap every `sample_every` operations (and after the last one). Returns
    /// `{done, total, samples: [{op, extent, live, peakLive, peakExtent, fragmentation}]}`.
    ///
    /// An operation the heap refuses throws an `Error` naming its line (`line 7 (`f 0`): …`),
    /// as the `brkalloc replay` command does; the heap keeps what the operations before it did.
    #[wasm_bindgen(js_name = replayTrace)]
    pub fn replay_trace(
        &mut self,
        max_ops: usize,
        sample_every: usize,
    ) -> Result<JsValue, JsError> {
        let Some(mut run) = self.trace.take() else {
            return Err(JsError::new(
                "no trace is loaded: load one with loadTrace(text) first",
            ));
        };
        let every = sample_every.max(1);
        let mut samples = Vec::new();
        if run.done == 0 {
            samples.push(self.trace_sample(&mut run));
        }
        let end = run.done.saturating_add(max_ops).min(run.trace.ops.len());
        while run.done < end {
            if let Err(e) = self.trace_op(&mut run) {
                return Err(JsError::new(&e.to_string()));
            }
            if run.done % every == 0 || run.done == run.trace.ops.len() {
                samples.push(self.trace_sample(&mut run));
            }
        }
        let progress = TraceProgress {
            done: run.done,
            total: run.trace.ops.len(),
            samples,
        };
        self.trace = Some(run);
        to_js(&progress)
    }
}

impl Playground {
    /// Turns the heap's answer into `{address, events}`, or its error into a JavaScript `Error`
    /// whose message starts with the call.
    fn finish<E: Display>(
        &mut self,
        call: &str,
        result: Result<impl Into<Option<usize>>, E>,
    ) -> Result<JsValue, JsError> {
        if result.is_ok() {
            // The heap changed under the trace: its bookkeeping no longer matches.
            self.trace = None;
        }
        let recorder = self.heap.observer_mut();
        let (more_visits, more_free_visits) = (recorder.more_visits, recorder.more_free_visits);
        let events = recorder.take();
        match result {
            Ok(address) => to_js(&OpResult {
                address: address.into(),
                events: &events,
                more_visits,
                more_free_visits,
            }),
            Err(e) => Err(JsError::new(&prefixed(call, &e.to_string()))),
        }
    }
}

impl Playground {
    /// Replaces the heap with an empty one with `options` on the same memory, zeroed (see
    /// [`Playground::reset`]).
    fn reset_with(&mut self, options: Options) {
        self.heap.reset();
        let placeholder = Heap::with_observer(
            WasmBreak::wasm(),
            options,
            Recorder::with_visit_limit(VISIT_LIMIT),
        );
        let old = core::mem::replace(&mut self.heap, placeholder);
        self.heap = Heap::with_observer(
            old.into_backend(),
            options,
            Recorder::with_visit_limit(VISIT_LIMIT),
        );
        self.layout.clear();
        self.zero_spare();
    }

    /// Zeroes the bytes between the break and the end of the pages the break owns, through a
    /// `Uint8Array` over the memory (no block lives there: the heap ends at the break).
    fn zero_spare(&self) {
        let (from, to) = (self.heap.brk(), self.limit());
        if from < to {
            let buffer = wasm_bindgen::memory()
                .unchecked_into::<js_sys::WebAssembly::Memory>()
                .buffer();
            js_sys::Uint8Array::new(&buffer).fill(0, from as u32, to as u32);
        }
    }

    /// Runs the trace's next operation through the heap: `alloc`, or `free_live` and
    /// `realloc_live` on the block the run's table holds for the id.
    fn trace_op(&mut self, run: &mut TraceRun) -> Result<(), ReplayError> {
        let index = run.done;
        let op = run.trace.ops[index];
        let line = run.trace.line_of(index);
        let failed = |failure| ReplayError::Failed {
            index,
            line,
            op,
            failure,
        };
        // The events of one operation are not kept: nobody narrates a trace.
        self.heap.observer_mut().take();
        let slot = op.id();
        match op {
            Op::Alloc { size, .. } => {
                let p = self
                    .heap
                    .alloc(size)
                    .map_err(|e| failed(Failure::Alloc(e)))?;
                run.blocks[slot] = Some((p, size));
                run.live += size;
            }
            Op::Free { .. } => {
                // `parse` checked liveness, so the id holds a block; this is only a guard.
                let (p, size) = run.blocks[slot].ok_or_else(|| trace::not_live(op, line))?;
                // SAFETY: `p` was returned by this heap's `alloc` or `realloc` for this id, and
                // the slot is emptied when the id is freed and refilled when a realloc moves it,
                // so it holds a live block: nothing else changed the heap since the run started
                // (see `TraceRun`).
                unsafe { self.heap.free_live(p) };
                run.blocks[slot] = None;
                run.live -= size;
            }
            Op::Realloc { size, .. } => {
                let (p, old) = run.blocks[slot].ok_or_else(|| trace::not_live(op, line))?;
                // SAFETY: as for `free` above, the slot holds a live block of this heap.
                let p = unsafe { self.heap.realloc_live(p, size) }
                    .map_err(|e| failed(Failure::Realloc(ReallocError::Alloc(e))))?;
                run.blocks[slot] = Some((p, size));
                run.live = run.live - old + size;
            }
        }
        run.done += 1;
        run.peak_live = run.peak_live.max(run.live);
        run.peak_extent = run.peak_extent.max(self.extent());
        Ok(())
    }

    /// Bytes from the heap start to the break.
    fn extent(&self) -> usize {
        self.heap.brk().saturating_sub(self.heap.heap_start())
    }

    /// The heap now, as a point of the replay's plot.
    fn trace_sample(&self, run: &mut TraceRun) -> TraceSample {
        let (mut free, mut largest) = (0usize, 0usize);
        for b in self.heap.blocks().filter(|b| b.free) {
            free += b.size;
            largest = largest.max(b.size);
        }
        let extent = self.extent();
        run.peak_extent = run.peak_extent.max(extent);
        TraceSample {
            op: run.done,
            extent,
            live: run.live,
            peak_live: run.peak_live,
            peak_extent: run.peak_extent,
            fragmentation: if free == 0 {
                0.0
            } else {
                1.0 - largest as f64 / free as f64
            },
        }
    }
}

/// `call: message`, unless the message already starts with the call's name (as `free(NULL): …`
/// and `calloc(…): …` do).
fn prefixed(call: &str, message: &str) -> String {
    let name = call.split('(').next().unwrap_or(call);
    if message.starts_with(name) && message[name.len()..].starts_with('(') {
        message.to_string()
    } else {
        format!("{call}: {message}")
    }
}

/// Bytes of room made for Rust's own allocator before the first heap takes its pages.
const BOOKKEEPING_ROOM: usize = 4 << 20;

/// Whether [`make_room_for_bookkeeping`] has run.
static ROOM_MADE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Grows Rust's allocator by [`BOOKKEEPING_ROOM`] once, before any heap exists, by allocating
/// that much and freeing it (wasm memory never shrinks, so the allocator keeps the room).
///
/// The playground's bookkeeping (layout tables, JSON, a trace's operations) goes through Rust's
/// allocator, which grows the same linear memory as the heaps. Had it to grow while a heap is
/// growing, its pages would land between the heap's, and the heap would continue in a new
/// segment; a reset heap restarts in its last segment, so replaying the steps from there would
/// give other addresses. With room made up front the heap's pages stay contiguous, and stepping
/// back stays exact, for everything but a very large trace.
fn make_room_for_bookkeeping() {
    use core::sync::atomic::Ordering;
    if ROOM_MADE.swap(true, Ordering::Relaxed) {
        return;
    }
    let room: Vec<u8> = Vec::with_capacity(BOOKKEEPING_ROOM);
    // Kept opaque so the allocation is not optimised away.
    drop(core::hint::black_box(room));
}

/// A heap on a fresh [`WasmBreak`] whose first page is already grown, so that the heap has an
/// address (and the diagram a start) before the first `malloc`.
fn new_heap(options: Options) -> Result<Heap<WasmBreak, Options, Recorder>, JsError> {
    make_room_for_bookkeeping();
    let mut brk = WasmBreak::wasm();
    brk.sbrk(1)
        .and_then(|_| brk.sbrk(-1))
        .map_err(|e| JsError::new(&format!("the heap could not get its first page: {e}")))?;
    Ok(Heap::with_observer(
        brk,
        options,
        Recorder::with_visit_limit(VISIT_LIMIT),
    ))
}

/// What a number given to the playground stands for, to word its errors.
#[derive(Clone, Copy)]
enum Quantity {
    Size,
    Count,
    Address,
}

impl Quantity {
    fn noun(self) -> &'static str {
        match self {
            Quantity::Size => "a size",
            Quantity::Count => "a count",
            Quantity::Address => "an address",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Quantity::Size => "a whole number of bytes",
            Quantity::Count => "a whole number",
            Quantity::Address => "a whole number such as 1114120 or 0x00110008",
        }
    }
}

/// The value as the learner typed it, for the start of an error message.
fn shown(value: &JsValue) -> String {
    if let Some(s) = value.as_string() {
        // Text holding a number reads as that number, as typed: `malloc(-1)`, `malloc(1e12)`.
        if parse_number(&s).is_some() {
            s.trim().to_string()
        } else {
            format!("{s:?}")
        }
    } else if let Some(x) = value.as_f64() {
        number_text(x)
    } else if value.is_undefined() {
        String::new()
    } else if value.is_null() {
        "null".to_string()
    } else if let Some(b) = value.as_bool() {
        b.to_string()
    } else if matches!(is_array(value), Ok(true)) {
        "[…]".to_string()
    } else {
        "{…}".to_string()
    }
}

/// An address as typed, in hex when it is one (`0x00120008`), else as [`shown`] writes it.
fn shown_address(value: &JsValue) -> String {
    match value.as_f64() {
        Some(x) if x >= 0.0 && x <= u32::MAX as f64 && x == x.trunc() => {
            format!("0x{:08x}", x as u32)
        }
        _ => shown(value),
    }
}

/// A number written as JavaScript would: `-1`, `2.5`, `1000000000000`, `NaN`, `Infinity`.
fn number_text(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if x == x.trunc() && x.abs() < 1e21 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// Reads a size, count or address given from JavaScript: a number, or text holding one
/// (decimal, or hexadecimal after `0x`). Refuses, with a sentence, anything that is not a whole
/// number from 0 to the largest wasm32 address.
///
/// `typed` is the call as the learner wrote it (`realloc(0x00120008, -5)`), to start the message.
fn to_usize(typed: &str, value: &JsValue, what: Quantity) -> Result<usize, JsError> {
    let noun = what.noun();
    let fail = |why: String| JsError::new(&format!("{typed}: {why}"));
    if value.is_undefined() || value.is_null() {
        return Err(fail(format!("{noun} is needed, as {}", what.unit())));
    }
    let x = if let Some(x) = value.as_f64() {
        x
    } else if let Some(text) = value.as_string() {
        parse_number(&text).ok_or_else(|| {
            fail(format!(
                "{text:?} is not a number; {noun} is {}",
                what.unit()
            ))
        })?
    } else {
        return Err(fail(format!("{noun} must be {}", what.unit())));
    };
    if x.is_nan() {
        return Err(fail(format!(
            "NaN is not a number; {noun} is {}",
            what.unit()
        )));
    }
    if x < 0.0 {
        return Err(fail(format!("{noun} cannot be negative")));
    }
    if x.is_infinite() {
        return Err(fail(format!("{noun} must be finite")));
    }
    if x != x.trunc() {
        return Err(fail(format!("{noun} must be {}", what.unit())));
    }
    if x > u32::MAX as f64 {
        return Err(fail(format!(
            "{noun} cannot be larger than {}: a wasm32 address has 32 bits",
            u32::MAX
        )));
    }
    // In range and whole, as checked above: the conversion is exact.
    Ok(x as u32 as usize)
}

/// Parses text as a number: `0x…` hexadecimal, or anything JavaScript's `Number()` reads as a
/// decimal (`24`, `-1`, `2.5`, `1e12`). `None` for anything else, including empty text.
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    if ok {
        t.parse::<f64>().ok()
    } else {
        None
    }
}

/// Reads `new Playground(options)`'s argument, refusing unknown fields and values.
fn parse_options(value: Option<JsValue>) -> Result<Options, JsError> {
    const FIELDS: &str = "preset, policy, split, coalesce and trim";
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(Options::DEFAULT);
    };
    let value = &value;
    // A revoked `Proxy`, or one whose traps throw, cannot be read: say so, with what it threw.
    let unreadable = |what: &str, e: JsValue| {
        JsError::new(&format!(
            "Playground options cannot be read{what}: {}",
            thrown(&e)
        ))
    };
    if !value.is_object() || is_array(value).map_err(|e| unreadable("", e))? || value.is_function()
    {
        return Err(JsError::new(&format!(
            "Playground options must be an object such as {{ policy: \"best-fit\" }}, not {}",
            describe(value)
        )));
    }
    let object: &Object = value.unchecked_ref();
    let get = |key: &str| {
        Reflect::get(object, &JsValue::from_str(key))
            .map_err(|e| unreadable(&format!(" (its {key} field)"), e))
    };

    for key in object_keys(object).map_err(|e| unreadable("", e))?.iter() {
        let key = key.as_string().unwrap_or_default();
        if !matches!(
            key.as_str(),
            "preset" | "policy" | "split" | "coalesce" | "trim"
        ) {
            return Err(JsError::new(&format!(
                "unknown option {key:?}: the options are {FIELDS}"
            )));
        }
    }

    let preset = get("preset")?;
    let mut options = if preset.is_undefined() {
        Options::DEFAULT
    } else {
        match preset.as_string().as_deref() {
            Some("seed") => Options::SEED,
            Some("default") => Options::DEFAULT,
            _ => {
                return Err(JsError::new(&format!(
                    "unknown preset {}: the presets are \"seed\" (the brief's allocator) and \"default\"",
                    describe(&preset)
                )))
            }
        }
    };

    let policy = get("policy")?;
    if !policy.is_undefined() {
        let names: Vec<&str> = Policy::ALL.iter().map(|p| p.name()).collect();
        options.policy = policy
            .as_string()
            .as_deref()
            .and_then(Policy::from_name)
            .ok_or_else(|| {
                JsError::new(&format!(
                    "unknown policy {}: the policies are {}",
                    describe(&policy),
                    names.join(", ")
                ))
            })?;
    }
    for (key, slot) in [
        ("split", &mut options.split),
        ("coalesce", &mut options.coalesce),
        ("trim", &mut options.trim),
    ] {
        let v = get(key)?;
        if v.is_undefined() {
            continue;
        }
        *slot = v.as_bool().ok_or_else(|| {
            JsError::new(&format!(
                "{key} must be true or false, not {}",
                describe(&v)
            ))
        })?;
    }
    Ok(options)
}

/// A JavaScript value, briefly, for an error message.
fn describe(value: &JsValue) -> String {
    let s = shown(value);
    if s.is_empty() {
        "undefined".to_string()
    } else {
        s
    }
}

/// The translation layer in a real browser (`wasm-pack test --headless --chrome crate --lib`):
/// what JavaScript hands in is refused or read as the learner meant, and a refusal changes
/// nothing.
#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    /// The message of the `Error` a refused call throws.
    fn message(e: JsError) -> String {
        js_sys::Error::from(JsValue::from(e))
            .message()
            .as_string()
            .unwrap_or_default()
    }

    fn seed() -> Playground {
        let options: JsValue = js_sys::JSON::parse(r#"{"preset":"seed"}"#).unwrap();
        Playground::new(Some(options)).unwrap()
    }

    /// The layout table as a Vec, to compare the heap before and after a call.
    fn table(p: &mut Playground) -> Vec<u32> {
        p.layout();
        p.layout.clone()
    }

    #[wasm_bindgen_test]
    fn bad_sizes_are_refused_with_a_sentence_and_change_nothing() {
        let mut p = seed();
        p.alloc(JsValue::from(24)).unwrap();
        let before = table(&mut p);
        let brk = p.brk();
        let cases: [(JsValue, &str); 8] = [
            (JsValue::from(-1), "malloc(-1): a size cannot be negative"),
            (JsValue::from("-1"), "malloc(-1): a size cannot be negative"),
            (
                JsValue::from(1e12),
                "malloc(1000000000000): a size cannot be larger than 4294967295",
            ),
            (
                JsValue::from("abc"),
                "malloc(\"abc\"): \"abc\" is not a number",
            ),
            (JsValue::from(f64::NAN), "malloc(NaN): NaN is not a number"),
            (
                JsValue::from(2.5),
                "malloc(2.5): a size must be a whole number of bytes",
            ),
            (JsValue::UNDEFINED, "malloc(): a size is needed"),
            (
                JsValue::from(true),
                "malloc(true): a size must be a whole number of bytes",
            ),
        ];
        for (value, expected) in cases {
            let e = message(p.alloc(value).unwrap_err());
            assert!(
                e.starts_with(expected),
                "{e:?} should start with {expected:?}"
            );
            assert_eq!(table(&mut p), before);
            assert_eq!(p.brk(), brk);
        }
    }

    /// A revoked `Proxy`: every inspection of it beyond `typeof` throws.
    fn revoked() -> JsValue {
        let pair = js_sys::Proxy::revocable(&Object::new(), &Object::new());
        let revoke: js_sys::Function = Reflect::get(&pair, &"revoke".into()).unwrap().into();
        revoke.call0(&JsValue::UNDEFINED).unwrap();
        Reflect::get(&pair, &"proxy".into()).unwrap()
    }

    /// The calls `Array.isArray` and `Object.keys` make on a revoked `Proxy` throw; they come
    /// back as errors that say so, instead of a JavaScript exception unwinding through the
    /// method (which would leave the `Playground` borrowed for good; tests/hostile.test.mjs
    /// checks that through the glue).
    #[wasm_bindgen_test]
    fn values_that_throw_when_inspected_are_refused_with_a_sentence() {
        let mut p = seed();
        p.alloc(JsValue::from(24)).unwrap();
        let before = table(&mut p);
        let a = p.heap.blocks().next().unwrap().data;
        let refusals = [
            (
                p.alloc(revoked()),
                "malloc({…}): a size must be a whole number of bytes".to_string(),
            ),
            (
                p.calloc(JsValue::from(2), revoked()),
                "calloc(2, {…}): a size must be a whole number of bytes".to_string(),
            ),
            (
                p.free(revoked()),
                "free({…}): an address must be a whole number".to_string(),
            ),
            (
                p.realloc(JsValue::from(a), revoked()),
                format!("realloc(0x{a:08x}, {{…}}): a size must be a whole number of bytes"),
            ),
        ];
        for (result, expected) in refusals {
            let e = message(result.unwrap_err());
            assert!(
                e.starts_with(&expected),
                "{e:?} should start with {expected:?}"
            );
        }
        let e = message(p.reset(Some(revoked())).unwrap_err());
        assert!(
            e.starts_with("Playground options cannot be read: TypeError: "),
            "{e}"
        );
        assert_eq!(table(&mut p), before);
        assert_eq!(
            *p.heap.config(),
            Options::SEED,
            "the failed reset changed nothing"
        );
    }

    #[wasm_bindgen_test]
    fn numbers_written_as_text_are_read_like_numbers() {
        let mut p = seed();
        let a = p.alloc(JsValue::from("24")).unwrap();
        let address = Reflect::get(&a, &JsValue::from_str("address")).unwrap();
        let address = address.as_f64().unwrap() as usize;
        assert_eq!(p.heap.block_at(address).map(|b| b.size), Some(24));
        let hex = JsValue::from(format!("0x{address:08x}"));
        p.free(hex).unwrap();
        assert!(
            p.heap.block_at(address).is_none(),
            "the last block went back"
        );
    }

    #[wasm_bindgen_test]
    fn a_double_free_names_the_call_and_leaves_the_heap_as_it_was() {
        let mut p = seed();
        let a = p.alloc(JsValue::from(16)).unwrap();
        p.alloc(JsValue::from(16)).unwrap();
        let address = Reflect::get(&a, &JsValue::from_str("address")).unwrap();
        p.free(address.clone()).unwrap();
        let before = table(&mut p);
        let e = message(p.free(address).unwrap_err());
        let a = p.heap.blocks().next().unwrap().data;
        assert_eq!(
            e,
            format!("free(0x{a:08x}): the block at 0x{a:08x} is already free (double free)")
        );
        assert_eq!(table(&mut p), before);
        assert_eq!(p.check(), None);
    }

    #[wasm_bindgen_test]
    fn results_carry_the_address_and_the_heaps_events() {
        let mut p = seed();
        let r = p.alloc(JsValue::from(24)).unwrap();
        let events = Reflect::get(&r, &JsValue::from_str("events")).unwrap();
        let kinds: Vec<String> = Array::from(&events)
            .iter()
            .map(|e| {
                Reflect::get(&e, &JsValue::from_str("kind"))
                    .unwrap()
                    .as_string()
                    .unwrap()
            })
            .collect();
        assert!(kinds.iter().any(|k| k == "append"), "{kinds:?}");
        assert!(kinds.iter().any(|k| k == "break-moved"), "{kinds:?}");
        let free = p
            .free(Reflect::get(&r, &JsValue::from_str("address")).unwrap())
            .unwrap();
        assert!(Reflect::get(&free, &JsValue::from_str("address"))
            .unwrap()
            .is_null());
    }

    #[wasm_bindgen_test]
    fn the_layout_table_lists_every_block_in_chain_order() {
        let mut p = seed();
        for size in [24, 8, 40] {
            p.alloc(JsValue::from(size)).unwrap();
        }
        let first = p.heap.blocks().next().unwrap().data;
        p.free(JsValue::from(first)).unwrap();
        let rows = table(&mut p);
        let expected: Vec<u32> = p
            .heap
            .blocks()
            .flat_map(|b| {
                [
                    b.header as u32,
                    b.data as u32,
                    b.size as u32,
                    u32::from(b.free),
                    b.next as u32,
                ]
            })
            .collect();
        assert_eq!(rows, expected);
        assert_eq!(rows.len(), 3 * LAYOUT_STRIDE);
        assert_eq!(rows[3], LAYOUT_FREE);
    }

    #[wasm_bindgen_test]
    fn unknown_options_are_refused_by_name() {
        let parse = |json: &str| {
            parse_options(Some(js_sys::JSON::parse(json).unwrap()))
                .map_err(message)
                .err()
                .unwrap_or_default()
        };
        assert!(parse(r#"{"colour":"red"}"#).starts_with("unknown option \"colour\""));
        assert!(parse(r#"{"policy":"fastest"}"#).starts_with("unknown policy \"fastest\""));
        assert!(parse(r#"{"split":"yes"}"#).starts_with("split must be true or false"));
        assert!(parse(r#"{"preset":"turbo"}"#).starts_with("unknown preset \"turbo\""));
        assert!(parse("[1]").starts_with("Playground options must be an object"));
        let options = parse_options(Some(
            js_sys::JSON::parse(r#"{"preset":"seed","policy":"best-fit"}"#).unwrap(),
        ))
        .unwrap_or(Options::DEFAULT);
        assert_eq!(
            options,
            Options {
                policy: Policy::BestFit,
                ..Options::SEED
            }
        );
    }

    #[wasm_bindgen_test]
    fn reset_starts_an_empty_heap_where_the_old_one_started() {
        let mut p = seed();
        let start = p.heap_start();
        for size in [24, 100, 8] {
            p.alloc(JsValue::from(size)).unwrap();
        }
        let pages = p.pages_grown();
        p.reset(None).unwrap();
        assert_eq!(p.layout(), 0);
        assert_eq!(p.heap_start(), start);
        assert_eq!(p.brk(), start);
        assert_eq!(p.pages_grown(), pages, "no page was grown for the new heap");
        assert_eq!(*p.heap.config(), Options::DEFAULT);
    }

    #[wasm_bindgen_test]
    fn reset_zeroes_the_pages_it_reuses_so_replays_leave_the_same_bytes() {
        let mut p = seed();
        let start = p.heap_start();
        let limit = p.limit();
        let bytes = |p: &Playground| {
            let buffer = p.memory().buffer();
            js_sys::Uint8Array::new(&buffer)
                .slice(start as u32, limit as u32)
                .to_vec()
        };
        let fresh = bytes(&p);
        assert!(fresh.iter().all(|&b| b == 0), "a new heap's page is zeroed");
        let a = p.alloc(JsValue::from(40)).unwrap();
        p.alloc(JsValue::from(24)).unwrap();
        p.free(Reflect::get(&a, &JsValue::from_str("address")).unwrap())
            .unwrap();
        let after = bytes(&p);
        assert_ne!(after, fresh, "the steps wrote headers into the page");

        // The same steps again after a reset: the same bytes, not what the first run left.
        p.reset(Some(js_sys::JSON::parse(r#"{"preset":"seed"}"#).unwrap()))
            .unwrap();
        assert_eq!(bytes(&p), fresh, "reset zeroed the page");
        let a = p.alloc(JsValue::from(40)).unwrap();
        p.alloc(JsValue::from(24)).unwrap();
        p.free(Reflect::get(&a, &JsValue::from_str("address")).unwrap())
            .unwrap();
        assert_eq!(bytes(&p), after);
    }

    /// A field of a plain object, as a number.
    fn number(value: &JsValue, key: &str) -> f64 {
        Reflect::get(value, &JsValue::from_str(key))
            .unwrap()
            .as_f64()
            .unwrap()
    }

    #[wasm_bindgen_test]
    fn a_trace_replayed_in_chunks_measures_what_replay_with_measures() {
        let text = generate_trace("random", 3000, 7).unwrap();
        let mut p = seed();
        let summary = p.load_trace(&text).unwrap();
        assert_eq!(number(&summary, "operations"), 3000.0);
        let mut chunks = 0;
        let mut last = JsValue::UNDEFINED;
        loop {
            let progress = p.replay_trace(700, 100).unwrap();
            chunks += 1;
            let samples =
                Array::from(&Reflect::get(&progress, &JsValue::from_str("samples")).unwrap());
            if samples.length() > 0 {
                last = samples.get(samples.length() - 1);
            }
            if number(&progress, "done") == 3000.0 {
                break;
            }
        }
        assert_eq!(chunks, 5, "3000 operations, 700 at a time");
        assert_eq!(p.check(), None);

        // The same trace through trace::replay_with on a heap of its own.
        let trace = trace::parse(&text).unwrap();
        let mut heap = new_heap(Options::SEED).unwrap();
        let stats = trace::replay_with(
            &trace,
            &mut heap,
            trace::ReplayOptions {
                fill: false,
                sample_every: 100,
            },
        )
        .unwrap();
        assert_eq!(number(&last, "peakLive") as usize, stats.peak_live);
        assert_eq!(number(&last, "peakExtent") as usize, stats.peak_extent);
        assert_eq!(number(&last, "live") as usize, stats.final_live);
        assert_eq!(number(&last, "extent") as usize, stats.final_extent);
        let final_sample = stats.series.last().unwrap();
        assert_eq!(number(&last, "fragmentation"), final_sample.fragmentation);
    }

    /// The playground's trace replay keeps a table of live blocks, so it frees and reallocates
    /// without looking pointers up (no `lookup` event after any operation), and leaves the heap
    /// exactly as the same operations through the checked `free` and `realloc` do.
    #[wasm_bindgen_test]
    fn a_trace_replay_looks_no_pointer_up_and_ends_as_the_checked_calls_do() {
        let is_lookup = |e: &Event| matches!(e, Event::Lookup { .. });
        for kind in ["random", "grow", "coalesce"] {
            let text = generate_trace(kind, 1500, 3).unwrap();
            let trace = trace::parse(&text).unwrap();
            let mut p = seed();
            p.load_trace(&text).unwrap();
            for (i, op) in trace.ops.iter().enumerate() {
                p.replay_trace(1, usize::MAX).unwrap();
                // Each operation takes the recorder's events before it runs: these are its own.
                let events = &p.heap.observer().events;
                assert!(
                    !events.iter().any(is_lookup),
                    "{kind}: operation {i} (`{op}`) looked its pointer up: {events:?}"
                );
            }
            let replayed = table(&mut p);
            let brk = p.brk();

            // The same operations through the playground's checked calls, on a heap that starts
            // where the replay's did.
            p.reset(Some(js_sys::JSON::parse(r#"{"preset":"seed"}"#).unwrap()))
                .unwrap();
            let address = |r: &JsValue| number(r, "address");
            let mut live = alloc::vec![0.0; trace.ids];
            let mut lookups = 0;
            for op in &trace.ops {
                let result = match *op {
                    Op::Alloc { id, size } => {
                        let r = p.alloc(JsValue::from(size)).unwrap();
                        live[id] = address(&r);
                        r
                    }
                    Op::Free { id } => p.free(JsValue::from(live[id])).unwrap(),
                    Op::Realloc { id, size } => {
                        let r = p
                            .realloc(JsValue::from(live[id]), JsValue::from(size))
                            .unwrap();
                        live[id] = address(&r);
                        r
                    }
                };
                let events = Array::from(&Reflect::get(&result, &"events".into()).unwrap());
                lookups += events
                    .iter()
                    .filter(|e| {
                        Reflect::get(e, &"kind".into())
                            .unwrap()
                            .as_string()
                            .as_deref()
                            == Some("lookup")
                    })
                    .count();
            }
            let frees = trace.ops.iter().filter(|op| op.letter() != 'a').count();
            assert_eq!(
                lookups, frees,
                "{kind}: each checked call looks its pointer up"
            );
            assert_eq!(table(&mut p), replayed, "{kind}: the same blocks");
            assert_eq!(p.brk(), brk, "{kind}: the same break");
        }
    }

    #[wasm_bindgen_test]
    fn a_malformed_trace_names_its_line_and_changes_nothing() {
        let mut p = seed();
        p.alloc(JsValue::from(24)).unwrap();
        let before = table(&mut p);
        let e = message(
            p.load_trace("20000\n2\n4\n1\na 0 16\nf 0\nf 0\na 1 8\n")
                .unwrap_err(),
        );
        assert!(e.starts_with("line 7"), "{e}");
        assert_eq!(table(&mut p), before);
        let e = message(p.replay_trace(10, 1).unwrap_err());
        assert!(e.starts_with("no trace is loaded"), "{e}");
        // Any other operation drops a loaded trace: its bookkeeping no longer matches the heap.
        p.load_trace("0\n1\n2\n1\na 0 8\nf 0\n").unwrap();
        p.alloc(JsValue::from(8)).unwrap();
        assert!(message(p.replay_trace(10, 1).unwrap_err()).starts_with("no trace is loaded"));
    }

    #[wasm_bindgen_test]
    fn scenarios_parse_to_steps_or_to_an_error_with_line_and_column() {
        let steps = parse_scenario("a = malloc(16); free(a)").unwrap();
        let steps = Array::from(&Reflect::get(&steps, &JsValue::from_str("steps")).unwrap());
        assert_eq!(steps.length(), 2);
        let stmt = Reflect::get(&steps.get(1), &JsValue::from_str("stmt")).unwrap();
        assert_eq!(
            js_sys::JSON::stringify(&stmt).unwrap().as_string().unwrap(),
            r#"{"op":"free","ptr":{"name":"a"}}"#
        );
        let e = message(parse_scenario("a = malloc(16)\nfree(b)").unwrap_err());
        assert!(e.starts_with("line 2, column 6: "), "{e}");
        assert!(message(generate_trace("zigzag", 10, 1).unwrap_err())
            .starts_with("unknown kind of trace \"zigzag\""));
    }
}
