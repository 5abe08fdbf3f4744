//! The wasm-bindgen surface of the playground: [`Playground`], a [`Heap`] in this module's own
//! linear memory, driven from JavaScript, and the functions the page reads the allocator's
//! words and numbers from.
//!
//! It is thin on purpose: it turns JavaScript values into sizes and addresses (refusing, with a
//! sentence a learner can read, anything that is not one), calls the heap, the one trace
//! [`Replayer`] or the [`wording`](crate::wording), and turns what they report back into
//! JavaScript values. Every decision about memory is the core's; every value handed out is a
//! type of [`crate::api`], [`crate::snapshot`], [`crate::trace`] or [`crate::scenario`], whose
//! TypeScript declarations `contract.rs` generates (`www/generated/contract.ts`).
//!
//! The heap the user sees grows with `memory.grow` through [`WasmBreak`]; the playground's own
//! bookkeeping (the layout table, the JavaScript values it builds) goes through Rust's allocator,
//! which grows pages of its own, so it never appears among the heap's blocks.
//!
//! ```text
//!   JavaScript                       Playground (this file)            Heap<WasmBreak>
//!   alloc(24)      --validate-->     heap.alloc(24)          -->       blocks in linear memory
//!   {address, events} <--serde--     Recorder's events       <--
//!   layout() + layoutPtr()  --> a Uint32Array over memory.buffer, rows as blockTable() says
//!   loadTrace(text), replayTrace(n) --> trace::parse, then the Replayer, n operations at a time
//!   callText, stepText, addressText, bytesText, policies, constants --> wording, api
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Display;
use core::ptr;

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use brkalloc::{Break, Config, Heap, Options, PageMemory, Policy, WasmBreak, WasmPages};

use crate::api::{
    layout_row, loose_row, Constants, DamageJson, ErrorAt, FaultJson, OpResult, PolicyInfo,
    TraceProgress, TraceSummary, BLOCK_TABLE, LAYOUT_STRIDE,
};
use crate::json::{OPTION_FIELDS, PRESETS};
use crate::loose::{LooseHeap, Stop, Walked};
use crate::snapshot::{FreeList, Snapshot, Totals};
use crate::starts::StartBitVec;
use crate::trace::{self, ReplayOptions, Replayer};
use crate::wording::{self, Address, Arg, Call, Function, Quantity};
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

/// The name of the field of `new Playground(options)` that picks a preset.
const PRESET: &str = "preset";

/// The layout table's shape, `{fields, stride, freeFlag}` (`BlockTable` in the contract): the
/// names of a row's `u32` fields in order (`header, data, size, flags, next`), the row's length,
/// and the bit of `flags` that says a block is free. The page decodes [`Playground::layout`]'s
/// table with it instead of fixed offsets.
#[wasm_bindgen(js_name = blockTable)]
pub fn block_table() -> Result<JsValue, JsError> {
    to_js(&BLOCK_TABLE)
}

/// The allocator's constants on wasm32 (`Constants` in the contract): `headerSize`, `align`,
/// `minData`, `maxSize`, `pageSize` (of `memory.grow`), `maxSegments` and `trimThreshold`. They
/// differ between targets, so the page reads them here rather than writing them down.
#[wasm_bindgen]
pub fn constants() -> Result<JsValue, JsError> {
    to_js(&Constants::with_page_size(
        <WasmPages as PageMemory>::PAGE_SIZE,
    ))
}

/// The placement policies, in the order of `Policy::ALL` (the teaching default first), each
/// `{name, label, words, summary}` (`PolicyInfo` in the contract): the name options and links
/// use (`first-fit`), a label (`First fit`), how a sentence names it (`first fit`, `the
/// segregated lists`), and what it does in one sentence.
#[wasm_bindgen]
pub fn policies() -> Result<JsValue, JsError> {
    to_js(&PolicyInfo::all())
}

/// A call as the learner typed it, for narration: `callText("malloc", [24])` is `malloc(24)`,
/// `callText("free", [1114120])` is `free(0x00110008)`. Each argument is shown as the error
/// messages of [`Playground`] show it: numbers as JavaScript writes them, addresses in hex when
/// they are whole numbers, text holding a number as typed, other text quoted, a missing one
/// empty. `op` is `malloc`, `calloc`, `realloc` or `free`; arguments past its arity are
/// ignored.
#[wasm_bindgen(js_name = callText)]
pub fn call_text(op: &str, args: Vec<JsValue>) -> Result<String, JsError> {
    let refs: Vec<&JsValue> = args.iter().collect();
    Ok(typed_call(function(op)?, &refs))
}

/// A step of a session as C writes it: `stepText("realloc", ["a", 32], "b")` is
/// `b = realloc(a, 32)`, `stepText("free", [1114120])` is `free(0x00110008)`. A number is a
/// size or count in decimal, or, where the function takes a pointer, an address in hex; text is
/// written as it is (a name, or the page's own words for a pointer it cannot name). `name`, when
/// given, is the name the result is assigned to.
#[wasm_bindgen(js_name = stepText)]
pub fn step_text(op: &str, args: Vec<JsValue>, name: Option<String>) -> Result<String, JsError> {
    if op == "store" {
        // `a[3] = 'A'`: not a call.
        let arg = |i: usize| args.get(i).cloned().unwrap_or(JsValue::UNDEFINED);
        let ptr = match arg(0).as_f64() {
            Some(x) => address_text(x),
            None => arg(0).as_string().unwrap_or_default(),
        };
        let index = arg(1).as_f64().map(number_text).unwrap_or_default();
        let byte = match arg(2).as_f64() {
            Some(x) if (0.0..256.0).contains(&x) && x == x.trunc() => {
                crate::scenario::byte_literal(x as u8)
            }
            Some(x) => number_text(x),
            None => arg(2).as_string().unwrap_or_default(),
        };
        return Ok(format!("{ptr}[{index}] = {byte}"));
    }
    let function = function(op)?;
    let texts: Vec<String> = function
        .arguments()
        .iter()
        .zip(&args)
        .map(|(&what, value)| match (what, value.as_f64()) {
            (Quantity::Address, Some(x)) => address_text(x),
            (Quantity::Byte, Some(x)) if (0.0..256.0).contains(&x) && x == x.trunc() => {
                crate::scenario::byte_literal(x as u8)
            }
            (Quantity::Text, None) => value
                .as_string()
                .map(|t| crate::scenario::string_literal(&t))
                .unwrap_or_default(),
            (_, Some(x)) => number_text(x),
            (_, None) => value.as_string().unwrap_or_default(),
        })
        .collect();
    let args: Vec<Arg<'_>> = texts.iter().map(|t| Arg::Text(t)).collect();
    let call = Call::new(function, &args);
    Ok(match name.as_deref() {
        Some(name) => call.assigned_to(name).to_string(),
        None => call.to_string(),
    })
}

/// An address as every message writes it: `0x` and eight hex digits (`0x00110008`). A value
/// that is not a whole number from 0 to 2^32 − 1 is written as JavaScript writes numbers.
#[wasm_bindgen(js_name = addressText)]
pub fn address_text(address: f64) -> String {
    if address >= 0.0 && address <= u32::MAX as f64 && address == address.trunc() {
        Address(address as u64).to_string()
    } else {
        number_text(address)
    }
}

/// A byte count in words: `1 byte`, `65,536 bytes`. A value that is not a whole number of 0 or
/// more is written as JavaScript writes numbers, followed by `bytes`.
#[wasm_bindgen(js_name = bytesText)]
pub fn bytes_text(n: f64) -> String {
    if n >= 0.0 && n <= u32::MAX as f64 && n == n.trunc() {
        wording::bytes(n as usize)
    } else {
        format!("{} bytes", number_text(n))
    }
}

/// The function called `op`, or an error naming the functions.
fn function(op: &str) -> Result<Function, JsError> {
    Function::from_name(op).ok_or_else(|| {
        let names: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
        JsError::new(&format!(
            "unknown function {op:?}: the functions are {}",
            names.join(", ")
        ))
    })
}

/// The call as the learner typed it (`realloc(0x00120008, -5)`), to start a message.
fn typed_call(function: Function, args: &[&JsValue]) -> String {
    let missing = JsValue::UNDEFINED;
    let texts: Vec<String> = function
        .arguments()
        .iter()
        .enumerate()
        .map(|(i, &what)| {
            let value = args.get(i).copied().unwrap_or(&missing);
            match what {
                Quantity::Address => shown_address(value),
                Quantity::Size | Quantity::Count | Quantity::Byte | Quantity::Text => shown(value),
            }
        })
        .collect();
    let args: Vec<Arg<'_>> = texts.iter().map(|t| Arg::Text(t)).collect();
    Call::new(function, &args).to_string()
}

/// Reads a scenario script (see [`crate::scenario`]) into its steps (`Scenario` in the
/// contract): `{steps: [{line, column, span: {start, end}, stmt: {op: "malloc", name, size}},
/// ...]}`. A script that does not parse throws an `Error` whose message is `line L, column C:
/// what was expected`, with `line` and `column` set on it (`LocatedError`); nothing in it runs.
#[wasm_bindgen(js_name = parseScenario)]
pub fn parse_scenario(text: &str) -> Result<JsValue, JsValue> {
    let scenario =
        crate::scenario::parse(text).map_err(|e| located(&e.to_string(), ErrorAt::from(&e)))?;
    Ok(to_js(&scenario)?)
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
    let mut text = Vec::with_capacity(256);
    value
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut text, JsNumbers,
        ))
        .map_err(|e| JsError::new(&format!("could not convert to JSON: {e}")))?;
    // serde_json writes UTF-8 (its strings come from Rust strings).
    let text = String::from_utf8(text)
        .map_err(|_| JsError::new("the heap wrote text that is not UTF-8"))?;
    js_sys::JSON::parse(&text)
        .map_err(|_| JsError::new("could not read back the JSON the heap wrote"))
}

/// serde_json's compact output, with fractions (fragmentation, utilisation) written by
/// JavaScript's `Number.prototype.toString`, which `JSON.parse` reads back exactly: the module
/// then carries no float formatting of its own. (serde_json writes `null` for NaN and the
/// infinities before asking the formatter.)
struct JsNumbers;

impl serde_json::ser::Formatter for JsNumbers {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        writer.write_all(number_text(value).as_bytes())
    }

    fn write_f32<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: f32,
    ) -> std::io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

/// An `Error` whose message is `message`, with the fields of `at` (`line`, `column`, as
/// `ErrorAt` serialises them) set on it, so that the page points at the spot without reading
/// the message.
fn located(message: &str, at: ErrorAt) -> JsValue {
    let error = js_sys::Error::new(message);
    if let Ok(fields) = to_js(&at) {
        Object::assign(&error, fields.unchecked_ref());
    }
    error.into()
}

/// Visits kept as events per operation; a longer search is counted, not listed, so that an
/// operation on a heap of 10,000 blocks still fits in a frame.
const VISIT_LIMIT: usize = 256;

/// The playground's heap, with a start map so that `free(p)` and `realloc(p, n)` find their
/// block without walking the chain.
type PlaygroundHeap = Heap<WasmBreak, Options, Recorder, StartBitVec>;

/// The heap with the checks off ("as C does", [`crate::loose`]).
type LoosePlaygroundHeap = LooseHeap<WasmBreak>;

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
    /// The heap, or the trace replay that holds it.
    held: Held,
    /// The layout table: [`LAYOUT_STRIDE`] `u32`s per block, refreshed by [`Playground::layout`].
    layout: Vec<u32>,
    /// With the checks off, the heap run as C does; `held` then holds an empty placeholder
    /// heap that has grown no memory.
    loose: Option<LoosePlaygroundHeap>,
}

/// Who holds the heap: the playground, or, from [`Playground::load_trace`] until anything else
/// changes the heap, the [`Replayer`] running a trace through it a chunk at a time (so that the
/// page can draw a progress bar between chunks).
///
/// The replayer frees blocks from its own table of live blocks, without looking them up, which
/// is right only while the trace alone changes the heap: so it holds the heap, and any call
/// that may change it (`alloc`, `free`, `realloc`, `calloc`, `reset`, another `loadTrace`, a
/// failed `replayTrace`) takes the heap back, which ends the replay.
enum Held {
    /// No trace is being replayed.
    Heap(PlaygroundHeap),
    /// A trace is being replayed.
    Replay(Replayer<PlaygroundHeap>),
}

impl Held {
    fn heap(&self) -> &PlaygroundHeap {
        match self {
            Held::Heap(heap) => heap,
            Held::Replay(replay) => replay.heap(),
        }
    }

    fn into_heap(self) -> PlaygroundHeap {
        match self {
            Held::Heap(heap) => heap,
            Held::Replay(replay) => replay.into_heap(),
        }
    }
}

#[wasm_bindgen]
impl Playground {
    /// A new, empty heap. `options` is `undefined` or an object with any of `preset` ("seed" or
    /// "default", applied first), `policy` ("first-fit", "next-fit", "best-fit", "worst-fit",
    /// "segregated"), `split`, `coalesce`, `trim`, `derive` and `checks` (booleans):
    /// `PlaygroundOptions` in the contract. Anything else is refused, and so is `derive` with
    /// the checks off (the heap run as C does stores `next` in every header).
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<JsValue>) -> Result<Playground, JsError> {
        let (options, checks) = parse_options(options)?;
        let brk = first_page()?;
        let mut p = Playground {
            held: Held::Heap(placeholder()),
            layout: Vec::new(),
            loose: None,
        };
        p.start(brk, options, checks);
        Ok(p)
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
        let (options, checks) = parse_options(options)?;
        self.reset_with(options, checks);
        Ok(())
    }

    /// Releases this playground's bookkeeping; the object cannot be used afterwards. (The
    /// heap's pages stay in the module's memory, which never shrinks.) wasm-bindgen names this
    /// `free()` on other classes; here `free` is the allocator's.
    pub fn destroy(self) {}

    /// The options in force, as `{policy, split, coalesce, trim, derive, checks}` (`Options` in
    /// the contract).
    pub fn options(&self) -> Result<JsValue, JsError> {
        let (options, checks) = self.config();
        to_js(&crate::json::OptionsJson(options, checks))
    }

    /// `malloc(size)`. Returns `{address, events}` (`OpResult`); throws an `Error` saying why it
    /// refused.
    pub fn alloc(&mut self, size: JsValue) -> Result<JsValue, JsError> {
        let typed = typed_call(Function::Malloc, &[&size]);
        let n = to_usize(&typed, &size, Quantity::Size)?;
        let call = Call::new(Function::Malloc, &[Arg::Number(n as u64)]).to_string();
        if let Some(loose) = &mut self.loose {
            loose.recorder.take();
            let r = loose.alloc(n).map(Some);
            return self.finish_loose(&call, r, None);
        }
        let heap = self.heap_mut();
        heap.observer_mut().take();
        let result = heap.alloc(n).map(|p| p.as_ptr() as usize);
        self.finish(&call, result)
    }

    /// `calloc(count, size)`: `count × size` bytes, zeroed.
    pub fn calloc(&mut self, count: JsValue, size: JsValue) -> Result<JsValue, JsError> {
        let typed = typed_call(Function::Calloc, &[&count, &size]);
        let c = to_usize(&typed, &count, Quantity::Count)?;
        let n = to_usize(&typed, &size, Quantity::Size)?;
        let args = [Arg::Number(c as u64), Arg::Number(n as u64)];
        let call = Call::new(Function::Calloc, &args).to_string();
        if let Some(loose) = &mut self.loose {
            loose.recorder.take();
            let r = loose.calloc(c, n).map(Some);
            return self.finish_loose(&call, r, None);
        }
        let heap = self.heap_mut();
        heap.observer_mut().take();
        let result = heap.calloc(c, n).map(|p| p.as_ptr() as usize);
        self.finish(&call, result)
    }

    /// `free(address)`, checked: a double free, or an address malloc never returned, is refused
    /// and changes nothing. Returns `{address: null, events}`.
    ///
    /// (wasm-bindgen gives every exported class a `free()` that releases the Rust object; this
    /// method takes its name, and [`Playground::destroy`] does that job instead.)
    pub fn free(&mut self, address: JsValue) -> Result<JsValue, JsError> {
        let typed = typed_call(Function::Free, &[&address]);
        let a = to_usize(&typed, &address, Quantity::Address)?;
        let call = Call::new(Function::Free, &[Arg::Address(a as u64)]).to_string();
        if let Some(loose) = &mut self.loose {
            loose.recorder.take();
            let r = loose.free(a).map(|()| None);
            return self.finish_loose(&call, r, None);
        }
        let heap = self.heap_mut();
        heap.observer_mut().take();
        // Only the address is compared with the blocks' (the checked `free` finds the block on
        // the chain), so the pointer needs no provenance.
        let result = heap.free(ptr::without_provenance_mut(a));
        self.finish(&call, result.map(|()| None::<usize>))
    }

    /// `realloc(address, size)`. Returns `{address, events}` with the (possibly new) address.
    pub fn realloc(&mut self, address: JsValue, size: JsValue) -> Result<JsValue, JsError> {
        let typed = typed_call(Function::Realloc, &[&address, &size]);
        let a = to_usize(&typed, &address, Quantity::Address)?;
        let n = to_usize(&typed, &size, Quantity::Size)?;
        let args = [Arg::Address(a as u64), Arg::Number(n as u64)];
        let call = Call::new(Function::Realloc, &args).to_string();
        if let Some(loose) = &mut self.loose {
            loose.recorder.take();
            let r = loose.realloc(a, n).map(Some);
            return self.finish_loose(&call, r, None);
        }
        let heap = self.heap_mut();
        heap.observer_mut().take();
        let result = heap
            .realloc(ptr::without_provenance_mut(a), n)
            .map(|p| p.as_ptr() as usize);
        self.finish(&call, result)
    }

    /// `strcpy(dst, text)`: writes the text's UTF-8 bytes and a terminating NUL at `dst`.
    /// Returns `{address: null, events: [], written: {at, bytes}}`. The bytes must land inside
    /// one used block's data (see [`crate::write`]); anything else throws an `Error` naming
    /// the call and saying where they would have gone, and changes nothing.
    pub fn strcpy(&mut self, dst: JsValue, text: JsValue) -> Result<JsValue, JsError> {
        let typed = typed_call(Function::Strcpy, &[&dst, &text]);
        let a = to_usize(&typed, &dst, Quantity::Address)?;
        let Some(text) = text.as_string() else {
            return Err(JsError::new(&format!(
                "{typed}: the text must be a string, such as \"hello\""
            )));
        };
        let call = Call::new(
            Function::Strcpy,
            &[
                Arg::Address(a as u64),
                Arg::Text(&crate::scenario::string_literal(&text)),
            ],
        )
        .to_string();
        let mut bytes = text.into_bytes();
        bytes.push(0);
        self.write_bytes(&call, a, &bytes)
    }

    /// `memset(dst, byte, count)`: `count` copies of `byte` from `dst` on. As for `strcpy`.
    pub fn memset(
        &mut self,
        dst: JsValue,
        byte: JsValue,
        count: JsValue,
    ) -> Result<JsValue, JsError> {
        let typed = typed_call(Function::Memset, &[&dst, &byte, &count]);
        let a = to_usize(&typed, &dst, Quantity::Address)?;
        let b = to_byte(&typed, &byte)?;
        let n = to_usize(&typed, &count, Quantity::Size)?;
        let call = Call::new(
            Function::Memset,
            &[
                Arg::Address(a as u64),
                Arg::Text(&crate::scenario::byte_literal(b)),
                Arg::Number(n as u64),
            ],
        )
        .to_string();
        if n > crate::write::MAX_WRITE {
            return Err(JsError::new(&format!(
                "{call}: the playground writes at most {} in one step",
                wording::bytes(crate::write::MAX_WRITE)
            )));
        }
        self.write_bytes(&call, a, &alloc::vec![b; n])
    }

    /// `dst[index] = byte`: one byte, `index` bytes after `dst`. As for `strcpy`.
    pub fn store(
        &mut self,
        dst: JsValue,
        index: JsValue,
        byte: JsValue,
    ) -> Result<JsValue, JsError> {
        let typed = format!(
            "{}[{}] = {}",
            shown_address(&dst),
            shown(&index),
            shown(&byte)
        );
        let a = to_usize(&typed, &dst, Quantity::Address)?;
        let i = to_usize(&typed, &index, Quantity::Size)?;
        let b = to_byte(&typed, &byte)?;
        let call = format!(
            "{}[{i}] = {}",
            Address(a as u64),
            crate::scenario::byte_literal(b)
        );
        let at = a
            .checked_add(i)
            .ok_or_else(|| JsError::new(&format!("{call}: the address overflows 32 bits")))?;
        self.write_bytes(&call, at, &[b])
    }

    /// `memcpy(dst, src, count)`: `count` bytes from `src` to `dst`. Both ranges must lie
    /// inside used blocks' data; as for `strcpy`.
    pub fn memcpy(
        &mut self,
        dst: JsValue,
        src: JsValue,
        count: JsValue,
    ) -> Result<JsValue, JsError> {
        let typed = typed_call(Function::Memcpy, &[&dst, &src, &count]);
        let d = to_usize(&typed, &dst, Quantity::Address)?;
        let s = to_usize(&typed, &src, Quantity::Address)?;
        let n = to_usize(&typed, &count, Quantity::Size)?;
        let call = Call::new(
            Function::Memcpy,
            &[
                Arg::Address(d as u64),
                Arg::Address(s as u64),
                Arg::Number(n as u64),
            ],
        )
        .to_string();
        if let Some(loose) = &mut self.loose {
            loose.recorder.take();
            if n > crate::write::MAX_WRITE {
                return Err(JsError::new(&format!(
                    "{call}: the playground copies at most {} in one step",
                    wording::bytes(crate::write::MAX_WRITE)
                )));
            }
            let r = loose
                .read(s, n)
                .map_err(Stop::Fault)
                .and_then(|bytes| loose.write(d, &bytes))
                .map(|()| None);
            let written = crate::write::Written { at: d, bytes: n };
            return self.finish_loose(&call, r, Some(written));
        }
        let heap = self.heap_mut();
        heap.observer_mut().take();
        let written = crate::write::copy(heap, d, s, n)
            .map_err(|why| JsError::new(&format!("{call}: {why}")))?;
        to_js(&OpResult {
            address: None,
            events: &[],
            more_visits: 0,
            more_free_visits: 0,
            written: Some(written),
            fault: None,
        })
    }

    /// The whole heap as a plain object (`Snapshot` in the contract).
    pub fn snapshot(&self) -> Result<JsValue, JsError> {
        if let Some(loose) = &self.loose {
            let walked = loose.inspect().blocks;
            return to_js(&Snapshot::build(
                loose.heap_start(),
                loose.brk(),
                loose.memory().pages(),
                loose.options().policy,
                // As C's classic allocator does, the loose heap stores `next` in every header.
                false,
                Self::loose_blocks(loose, &walked).into_iter(),
                FreeList::group(&loose.listed(&walked)),
            ));
        }
        to_js(&Snapshot::of(self.heap()))
    }

    /// The heap's totals (`Totals` in the contract): blocks, bytes used and free, header
    /// overhead, the largest free block, fragmentation, extent and segments, as the allocator's
    /// `Stats` defines them, in one walk of the chain. The same numbers as `snapshot().totals`,
    /// without building the snapshot: the stats panel asks for them after every step.
    pub fn totals(&self) -> Result<JsValue, JsError> {
        if let Some(loose) = &self.loose {
            let blocks = Self::loose_blocks(loose, &loose.inspect().blocks);
            let stats = brkalloc::Stats::from_blocks(loose.heap_start(), loose.brk(), blocks);
            return to_js(&Totals::from(stats));
        }
        to_js(&Totals::of(self.heap()))
    }

    /// The segregated policy's size-class lists, lowest class first:
    /// `[{ class, minSize, blocks }]`, `blocks` the header addresses in list order. Empty under
    /// the other policies. Cheaper than a snapshot: the page asks for it after every step.
    #[wasm_bindgen(js_name = freeLists)]
    pub fn free_lists(&self) -> Result<JsValue, JsError> {
        if let Some(loose) = &self.loose {
            return to_js(&FreeList::group(&loose.listed(&loose.inspect().blocks)));
        }
        to_js(&FreeList::group(&self.heap().listed().collect::<Vec<_>>()))
    }

    /// Runs the heap's invariant checker: `undefined` when every invariant holds, else a
    /// sentence naming the block that breaks one.
    pub fn check(&self) -> Option<String> {
        if let Some(loose) = &self.loose {
            return loose.inspect().message().map(String::from);
        }
        self.heap().check().err().map(|c| c.to_string())
    }

    /// The heap checked after a step (`Damage` in the contract): `{message, blocks}`, where
    /// `message` says in one sentence what broke and what a C program would run into next
    /// (`null` when the heap is sound), and `blocks` lists each damaged block with its damaged
    /// fields (`size`, `flags`, `next`, `footer`, `links`). With the checks on, the heap is
    /// always sound.
    pub fn damage(&self) -> Result<JsValue, JsError> {
        match &self.loose {
            Some(loose) => to_js(&DamageJson::of(&loose.inspect())),
            None => to_js(&DamageJson {
                message: None,
                blocks: Vec::new(),
            }),
        }
    }

    /// This module's `WebAssembly.Memory`, where the heap's bytes are.
    pub fn memory(&self) -> js_sys::WebAssembly::Memory {
        wasm_bindgen::memory().unchecked_into()
    }

    /// The address of the first header (or of the break, when there is no block).
    #[wasm_bindgen(js_name = heapStart)]
    pub fn heap_start(&self) -> usize {
        match &self.loose {
            Some(loose) => loose.heap_start(),
            None => self.heap().heap_start(),
        }
    }

    /// The program break: the end of the last block, `sbrk(0)`.
    pub fn brk(&self) -> usize {
        match &self.loose {
            Some(loose) => loose.brk(),
            None => self.heap().brk(),
        }
    }

    /// The end of the pages grown for the current region: the break can rise this far without
    /// `memory.grow`.
    pub fn limit(&self) -> usize {
        match &self.loose {
            Some(loose) => loose.memory().backend().limit() as usize,
            None => self.heap().backend().limit() as usize,
        }
    }

    /// How many 64 KiB pages the heap has grown in all.
    #[wasm_bindgen(js_name = pagesGrown)]
    pub fn pages_grown(&self) -> usize {
        match &self.loose {
            Some(loose) => loose.memory().pages().map_or(0, |p| p.grown),
            None => self.heap().backend().pages().map_or(0, |p| p.grown),
        }
    }

    /// Refreshes the layout table, [`LAYOUT_STRIDE`] `u32`s per block in chain order, in the
    /// order `blockTable().fields` names them (`header, data, size, flags, next`; flag
    /// `blockTable().freeFlag` = free, `blockTable().derivedNextFlag` = `next` derived from the
    /// size, not read from the header), and returns the number of blocks. Read it with
    /// `new Uint32Array(memory.buffer, layoutPtr(), blocks * stride)` *after* this call:
    /// refreshing may grow the memory, which replaces `memory.buffer`.
    pub fn layout(&mut self) -> usize {
        let mut table = core::mem::take(&mut self.layout);
        table.clear();
        if let Some(loose) = &self.loose {
            for w in loose.inspect().blocks {
                table.extend_from_slice(&loose_row(&w));
            }
        } else {
            let heap = self.heap();
            let derived = !heap.config().stores_next();
            for b in heap.blocks() {
                table.extend_from_slice(&layout_row(&b, derived));
            }
        }
        self.layout = table;
        self.layout.len() / LAYOUT_STRIDE
    }

    /// Where the layout table starts in linear memory.
    #[wasm_bindgen(js_name = layoutPtr)]
    pub fn layout_ptr(&self) -> usize {
        self.layout.as_ptr() as usize
    }

    /// Reads a malloc-lab trace (`.rep` text) with [`trace::parse`] and makes it the one
    /// [`Playground::replay_trace`] runs. A trace that does not parse throws an `Error` naming
    /// the line (and column) and what was expected, with `line` and `column` set on it
    /// (`LocatedError`), and changes nothing; one that does starts an empty heap with the
    /// options in force. Returns `{operations, allocs, frees, reallocs, ids, heapSizeHint,
    /// weight}` (`TraceSummary`).
    #[wasm_bindgen(js_name = loadTrace)]
    pub fn load_trace(&mut self, text: &str) -> Result<JsValue, JsValue> {
        if self.loose.is_some() {
            return Err(JsError::new(
                "a trace replays with the checks on: turn them on to load one",
            )
            .into());
        }
        let trace = trace::parse(text).map_err(|e| located(&e.to_string(), ErrorAt::from(&e)))?;
        let summary = TraceSummary::of(&trace);
        let options = *self.heap().config();
        self.reset_with(options, true);
        let heap = self.take_heap();
        // Samples are taken as `replayTrace` asks, from its first call on.
        let replay = ReplayOptions {
            fill: false,
            sample_every: 0,
        };
        self.held = Held::Replay(Replayer::new(trace, heap, replay));
        Ok(to_js(&summary)?)
    }

    /// Runs up to `max_ops` more operations of the trace loaded by [`Playground::load_trace`],
    /// sampling the heap every `sample_every` operations (and after the last one). Returns
    /// `{done, total, samples: [{op, extent, live, peakLive, peakExtent, utilisation,
    /// fragmentation}]}` (`TraceProgress`): the samples taken during this call, the first call's
    /// starting with the empty heap.
    ///
    /// An operation the heap refuses throws an `Error` naming its line (`line 7 (`f 0`): …`),
    /// as the `brkalloc replay` command does, with `line` set on it (`LocatedError`); the heap
    /// keeps what the operations before it did, and the replay ends.
    #[wasm_bindgen(js_name = replayTrace)]
    pub fn replay_trace(
        &mut self,
        max_ops: usize,
        sample_every: usize,
    ) -> Result<JsValue, JsValue> {
        let Held::Replay(replay) = &mut self.held else {
            return Err(
                JsError::new("no trace is loaded: load one with loadTrace(text) first").into(),
            );
        };
        replay.sample_every(sample_every.max(1));
        let first = replay.samples().len();
        // The first call checks the trace and samples the empty heap.
        let mut result = replay.step(0);
        let n = max_ops.min(replay.total() - replay.done());
        for _ in 0..n {
            if result.is_err() {
                break;
            }
            // The events of one operation are not kept: nobody narrates a trace.
            replay.observer_mut().take();
            result = replay.step(1);
        }
        match result {
            Ok(_) => Ok(to_js(&TraceProgress {
                done: replay.done(),
                total: replay.total(),
                samples: replay.samples()[first..].to_vec(),
            })?),
            Err(e) => {
                let error = located(&e.to_string(), ErrorAt::from(&e));
                // The heap is the playground's again, as the failed operation left it.
                let heap = self.take_heap();
                self.held = Held::Heap(heap);
                Err(error)
            }
        }
    }
}

impl Playground {
    /// The heap, to look at.
    fn heap(&self) -> &PlaygroundHeap {
        self.held.heap()
    }

    /// The heap, to change: a trace replay in progress ends (see [`Held`]).
    fn heap_mut(&mut self) -> &mut PlaygroundHeap {
        if let Held::Replay(_) = self.held {
            let heap = self.take_heap();
            self.held = Held::Heap(heap);
        }
        match &mut self.held {
            Held::Heap(heap) => heap,
            // Just replaced by `Held::Heap` above.
            Held::Replay(replay) => {
                unreachable!("the replay of {} operations ended", replay.total())
            }
        }
    }

    /// Takes the heap out, ending any replay, and leaves an empty placeholder heap (one that
    /// has grown no memory) in its place until the caller puts a heap back.
    fn take_heap(&mut self) -> PlaygroundHeap {
        core::mem::replace(&mut self.held, Held::Heap(placeholder())).into_heap()
    }

    /// Turns the heap's answer into `{address, events}`, or its error into a JavaScript `Error`
    /// whose message starts with the call.
    fn finish<E: Display>(
        &mut self,
        call: &str,
        result: Result<impl Into<Option<usize>>, E>,
    ) -> Result<JsValue, JsError> {
        let recorder = self.heap_mut().observer_mut();
        let (more_visits, more_free_visits) = (recorder.more_visits, recorder.more_free_visits);
        let events = recorder.take();
        match result {
            Ok(address) => to_js(&OpResult {
                address: address.into(),
                events: &events,
                more_visits,
                more_free_visits,
                written: None,
                fault: None,
            }),
            Err(e) => Err(JsError::new(&prefixed(call, &e.to_string()))),
        }
    }

    /// Writes `bytes` at `at` for the write methods, or refuses with `call: why`.
    fn write_bytes(&mut self, call: &str, at: usize, bytes: &[u8]) -> Result<JsValue, JsError> {
        if let Some(loose) = &mut self.loose {
            loose.recorder.take();
            let r = loose.write(at, bytes).map(|()| None);
            let written = crate::write::Written {
                at,
                bytes: bytes.len(),
            };
            return self.finish_loose(call, r, Some(written));
        }
        let heap = self.heap_mut();
        heap.observer_mut().take();
        let written = crate::write::write(heap, at, bytes)
            .map_err(|why| JsError::new(&format!("{call}: {why}")))?;
        to_js(&OpResult {
            address: None,
            events: &[],
            more_visits: 0,
            more_free_visits: 0,
            written: Some(written),
            fault: None,
        })
    }

    /// Turns the loose heap's answer into `{address, events}`, or `{fault}` for a simulated
    /// crash (a result, not an error: the crash is a step of its own), or a refusal into an
    /// `Error` whose message starts with the call.
    fn finish_loose(
        &mut self,
        call: &str,
        result: Result<Option<usize>, Stop>,
        written: Option<crate::write::Written>,
    ) -> Result<JsValue, JsError> {
        let Some(loose) = &mut self.loose else {
            return Err(JsError::new(&format!("{call}: the checks are on")));
        };
        let (more_visits, more_free_visits) =
            (loose.recorder.more_visits, loose.recorder.more_free_visits);
        let events = loose.recorder.take();
        match result {
            Ok(address) => to_js(&OpResult {
                address,
                events: &events,
                more_visits,
                more_free_visits,
                written,
                fault: None,
            }),
            Err(Stop::Fault(f)) => to_js(&OpResult {
                address: None,
                events: &[],
                more_visits: 0,
                more_free_visits: 0,
                written: None,
                fault: Some(FaultJson {
                    address: f.address(),
                    message: format!("{call}: {f}"),
                }),
            }),
            Err(Stop::Refused(why)) => Err(JsError::new(&format!("{call}: {why}"))),
        }
    }

    /// The options and whether the checks are on.
    fn config(&self) -> (Options, bool) {
        match &self.loose {
            Some(loose) => (loose.options(), false),
            None => (*self.heap().config(), true),
        }
    }

    /// Starts a heap on `brk` (a backend with its first page grown): the allocator's own, or,
    /// without `checks`, one run as C does.
    fn start(&mut self, brk: WasmBreak, options: Options, checks: bool) {
        let recorder = Recorder::with_visit_limit(VISIT_LIMIT);
        if checks {
            self.loose = None;
            self.held = Held::Heap(Heap::with_observer_and_map(
                brk,
                options,
                recorder,
                StartBitVec::new(),
            ));
        } else {
            self.held = Held::Heap(placeholder());
            self.loose = Some(LooseHeap::new(brk, options, recorder));
        }
    }

    /// The loose heap's blocks (`walked`, from one `inspect`) as the snapshot and totals count
    /// them: each size cut to the memory there is (the raw size is in the layout table), so
    /// that sums stay meaningful.
    fn loose_blocks(loose: &LoosePlaygroundHeap, walked: &[Walked]) -> Vec<brkalloc::BlockInfo> {
        let end = loose.brk();
        walked
            .iter()
            .map(|w| brkalloc::BlockInfo {
                size: w.info.size.min(end.saturating_sub(w.info.data)),
                ..w.info
            })
            .collect()
    }

    /// Replaces the heap with an empty one with `options` on the same memory, zeroed (see
    /// [`Playground::reset`]). Ends any trace replay.
    fn reset_with(&mut self, options: Options, checks: bool) {
        let brk = match self.loose.take() {
            // Gives every byte back: the break returns to where the heap started.
            Some(loose) => loose.into_backend(),
            None => {
                let mut old = self.take_heap();
                old.reset();
                old.into_backend()
            }
        };
        self.start(brk, options, checks);
        self.layout.clear();
        self.zero_spare();
    }

    /// Zeroes the bytes between the break and the end of the pages the break owns, through a
    /// `Uint8Array` over the memory (no block lives there: the heap ends at the break).
    fn zero_spare(&self) {
        let (from, to) = (self.brk(), self.limit());
        if from < to {
            let buffer = wasm_bindgen::memory()
                .unchecked_into::<js_sys::WebAssembly::Memory>()
                .buffer();
            js_sys::Uint8Array::new(&buffer).fill(0, from as u32, to as u32);
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

/// A fresh [`WasmBreak`] whose first page is already grown, so that the heap has an address
/// (and the diagram a start) before the first `malloc`.
fn first_page() -> Result<WasmBreak, JsError> {
    make_room_for_bookkeeping();
    let mut brk = WasmBreak::wasm();
    brk.sbrk(1)
        .and_then(|_| brk.sbrk(-1))
        .map_err(|e| JsError::new(&format!("the heap could not get its first page: {e}")))?;
    Ok(brk)
}

/// An empty heap that has grown no memory: what `held` holds while a trace replay or the
/// loose heap has the real one, or while the heap is being replaced.
fn placeholder() -> PlaygroundHeap {
    Heap::with_observer_and_map(
        WasmBreak::wasm(),
        Options::DEFAULT,
        Recorder::with_visit_limit(VISIT_LIMIT),
        StartBitVec::new(),
    )
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
/// JavaScript writes it (`Number.prototype.toString`), which also keeps Rust's float
/// formatting out of the module.
fn number_text(x: f64) -> String {
    String::from(
        js_sys::Number::from(x)
            .to_string_with_radix(10)
            .unwrap_or_else(|_| "NaN".into()),
    )
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

/// Reads a byte given from JavaScript: a whole number from 0 to 255, or a one-character
/// string (`"A"`), whose code must be below 256.
fn to_byte(typed: &str, value: &JsValue) -> Result<u8, JsError> {
    if let Some(text) = value.as_string() {
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if !c.is_ascii_digit() {
                return u8::try_from(u32::from(c)).map_err(|_| {
                    JsError::new(&format!(
                        "{typed}: {c:?} is not one byte; a byte is {}",
                        Quantity::Byte.unit()
                    ))
                });
            }
        }
    }
    let n = to_usize(typed, value, Quantity::Byte)?;
    u8::try_from(n).map_err(|_| {
        JsError::new(&format!(
            "{typed}: {n} is not a byte; a byte is {}",
            Quantity::Byte.unit()
        ))
    })
}

/// Parses text as a number: `0x…` hexadecimal, or anything JavaScript's `Number()` reads as a
/// decimal (`24`, `-1`, `2.5`, `1e12`). `None` for anything else, including empty text.
/// JavaScript reads the decimal, which keeps Rust's float parsing out of the module.
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    // Unary `+`, which reads text exactly as `Number()` does.
    let x = JsValue::from_str(t).unchecked_into_f64();
    // `Number("-")` and `Number("1e")` are NaN: not a number, as Rust's parser says too.
    (ok && !x.is_nan()).then_some(x)
}

/// Reads `new Playground(options)`'s argument, refusing unknown fields and values.
fn parse_options(value: Option<JsValue>) -> Result<(Options, bool), JsError> {
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok((Options::DEFAULT, true));
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

    // The options are a preset, then the fields the options serialise to (`json::OPTION_FIELDS`,
    // which the generated `PlaygroundOptions` declares too).
    let fields = [PRESET].into_iter().chain(OPTION_FIELDS);
    for key in object_keys(object).map_err(|e| unreadable("", e))?.iter() {
        let key = key.as_string().unwrap_or_default();
        if !fields.clone().any(|f| f == key) {
            let names: Vec<&str> = fields.collect();
            let (last, rest) = names.split_last().unwrap_or((&"", &[]));
            return Err(JsError::new(&format!(
                "unknown option {key:?}: the options are {} and {last}",
                rest.join(", ")
            )));
        }
    }

    let preset = get(PRESET)?;
    let mut options = if preset.is_undefined() {
        Options::DEFAULT
    } else {
        let name = preset.as_string().unwrap_or_default();
        match PRESETS.iter().find(|(n, _)| *n == name) {
            Some((_, options)) => *options,
            None => {
                return Err(JsError::new(&format!(
                    "unknown preset {}: the presets are \"seed\" (the brief's allocator) and \"default\"",
                    describe(&preset)
                )))
            }
        }
    };

    let [policy_key, split, coalesce, trim, derive, checks_key] = OPTION_FIELDS;
    let policy = get(policy_key)?;
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
    let mut checks = true;
    for (key, slot) in [
        (split, &mut options.split),
        (coalesce, &mut options.coalesce),
        (trim, &mut options.trim),
        (derive, &mut options.derive),
        (checks_key, &mut checks),
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
    // The heap run as C does (`LooseHeap`) keeps `next` in every header.
    if options.derive && !checks {
        return Err(JsError::new(wording::DERIVE_NEEDS_CHECKS));
    }
    Ok((options, checks))
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
    use crate::api::{LAYOUT_FIELDS, LAYOUT_FREE};
    use brkalloc::{Event, HEADER_SIZE};
    use trace::Op;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    /// The message of the `Error` a refused call throws.
    fn message(e: impl Into<JsValue>) -> String {
        js_sys::Error::from(e.into())
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
        let a = p.heap().blocks().next().unwrap().data;
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
            *p.heap().config(),
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
        assert_eq!(p.heap().block_at(address).map(|b| b.size), Some(24));
        let hex = JsValue::from(format!("0x{address:08x}"));
        p.free(hex).unwrap();
        assert!(
            p.heap().block_at(address).is_none(),
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
        let a = p.heap().blocks().next().unwrap().data;
        assert_eq!(
            e,
            format!("free(0x{a:08x}): the block at 0x{a:08x} is already free (double free)")
        );
        assert_eq!(table(&mut p), before);
        assert_eq!(p.check(), None);
    }

    #[wasm_bindgen_test]
    fn writes_land_inside_used_blocks_or_are_refused_naming_the_call() {
        let mut p = seed();
        let address = |r: &JsValue| Reflect::get(r, &JsValue::from_str("address")).unwrap();
        let a = address(&p.alloc(JsValue::from(16)).unwrap());
        let b = address(&p.alloc(JsValue::from(16)).unwrap());
        p.alloc(JsValue::from(16)).unwrap();
        let at = a.as_f64().unwrap() as usize;
        let r = p.strcpy(a.clone(), JsValue::from("hi")).unwrap();
        let written = Reflect::get(&r, &JsValue::from_str("written")).unwrap();
        assert_eq!(number(&written, "bytes"), 3.0);
        assert_eq!(number(&written, "at"), at as f64);
        p.store(a.clone(), JsValue::from(2), JsValue::from("!"))
            .unwrap();
        p.memcpy(b.clone(), a.clone(), JsValue::from(3)).unwrap();
        assert_eq!(
            p.heap()
                .bytes(b.as_f64().unwrap() as usize, 3)
                .unwrap()
                .iter()
                // SAFETY: these three bytes were just written by memcpy.
                .map(|x| unsafe { x.assume_init() })
                .collect::<Vec<u8>>(),
            b"hi!"
        );
        let before = table(&mut p);
        let e = message(
            p.memset(a.clone(), JsValue::from("A"), JsValue::from(40))
                .unwrap_err(),
        );
        assert!(
            e.starts_with(&format!("memset(0x{at:08x}, 'A', 40): writes 40 bytes")),
            "{e}"
        );
        assert!(e.contains("heap overflow"), "{e}");
        let e = message(
            p.memset(a.clone(), JsValue::from(300), JsValue::from(1))
                .unwrap_err(),
        );
        assert!(e.contains("300 is not a byte"), "{e}");
        let e = message(p.strcpy(a.clone(), JsValue::from(5)).unwrap_err());
        assert!(e.contains("must be a string"), "{e}");
        p.free(b.clone()).unwrap();
        let e = message(p.store(b, JsValue::from(0), JsValue::from(1)).unwrap_err());
        assert!(e.contains("use after free"), "{e}");
        assert_eq!(table(&mut p).len(), before.len());
        assert_eq!(p.check(), None);
        assert_eq!(
            step_text(
                "store",
                vec![JsValue::from("a"), JsValue::from(3), JsValue::from(65)],
                None
            )
            .unwrap(),
            "a[3] = 'A'"
        );
        assert_eq!(
            step_text(
                "strcpy",
                vec![JsValue::from("a"), JsValue::from("hi\n")],
                None
            )
            .unwrap(),
            "strcpy(a, \"hi\\n\")"
        );
        assert_eq!(
            step_text(
                "memset",
                vec![JsValue::from("a"), JsValue::from(0), JsValue::from(4)],
                None
            )
            .unwrap(),
            "memset(a, 0x00, 4)"
        );
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
        let first = p.heap().blocks().next().unwrap().data;
        p.free(JsValue::from(first)).unwrap();
        let rows = table(&mut p);
        let expected: Vec<u32> = p
            .heap()
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
        .unwrap_or((Options::DEFAULT, true));
        assert_eq!(
            options,
            (
                Options {
                    policy: Policy::BestFit,
                    ..Options::SEED
                },
                true
            )
        );
        assert!(parse(r#"{"checks":"off"}"#).starts_with("checks must be true or false"));
        let off = parse_options(Some(js_sys::JSON::parse(r#"{"checks":false}"#).unwrap()));
        assert_eq!(off.ok(), Some((Options::DEFAULT, false)));
        assert!(parse(r#"{"derive":1}"#).starts_with("derive must be true or false, not 1"));
        let derive = parse_options(Some(js_sys::JSON::parse(r#"{"derive":true}"#).unwrap()));
        let derived = Options {
            derive: true,
            ..Options::DEFAULT
        };
        assert_eq!(derive.ok(), Some((derived, true)));
        assert_eq!(
            parse(r#"{"derive":true,"checks":false}"#),
            crate::wording::DERIVE_NEEDS_CHECKS
        );
    }

    /// With `derive`, the options say so, and every row of the layout table and every block of
    /// the snapshot says its `next` was derived; with `next` stored, none does. Asking for
    /// `derive` with the checks off is refused with a sentence and changes nothing.
    #[wasm_bindgen_test]
    fn derived_next_is_marked_and_refused_with_the_checks_off() {
        let options = |json: &str| Some(js_sys::JSON::parse(json).unwrap());
        let mut p = Playground::new(options(r#"{"preset":"seed","derive":true}"#)).unwrap();
        assert_eq!(field(&p.options().unwrap(), "derive").as_bool(), Some(true));
        for size in [24, 8, 40] {
            p.alloc(JsValue::from(size)).unwrap();
        }
        let derived = |p: &mut Playground| -> Vec<bool> {
            let rows = table(p);
            rows.chunks(LAYOUT_STRIDE)
                .map(|row| row[3] & crate::api::LAYOUT_DERIVED_NEXT != 0)
                .collect()
        };
        assert_eq!(derived(&mut p), [true, true, true]);
        let snapshot = p.snapshot().unwrap();
        let blocks: Array = field(&snapshot, "blocks").unchecked_into();
        assert_eq!(blocks.length(), 3);
        assert!(blocks.iter().all(|b| field(&b, "derived") == JsValue::TRUE));
        // The links are the same as when they are stored: each header is right after the data.
        let infos: Vec<_> = p.heap().blocks().collect();
        for pair in infos.windows(2) {
            assert_eq!(pair[0].next, pair[1].header);
            assert_eq!(pair[1].header, pair[0].data + pair[0].size);
        }

        p.reset(options(r#"{"preset":"seed"}"#)).unwrap();
        p.alloc(JsValue::from(24)).unwrap();
        p.alloc(JsValue::from(8)).unwrap();
        assert_eq!(derived(&mut p), [false, false]);
        let blocks: Array = field(&p.snapshot().unwrap(), "blocks").unchecked_into();
        assert!(blocks
            .iter()
            .all(|b| field(&b, "derived") == JsValue::FALSE));

        // Refused with the checks off, and the heap is left as it was.
        let before = table(&mut p);
        let options_before = js_sys::JSON::stringify(&p.options().unwrap()).unwrap();
        let refused = p.reset(options(r#"{"preset":"seed","derive":true,"checks":false}"#));
        assert_eq!(
            message(refused.unwrap_err()),
            crate::wording::DERIVE_NEEDS_CHECKS
        );
        assert_eq!(table(&mut p), before);
        assert_eq!(
            js_sys::JSON::stringify(&p.options().unwrap()).unwrap(),
            options_before
        );
        assert!(Playground::new(options(r#"{"derive":true,"checks":false}"#)).is_err());
    }

    /// A playground with the checks off ("as C does") and the given policy.
    fn as_c(policy: &str) -> Playground {
        let options = js_sys::JSON::parse(&format!(r#"{{"checks":false,"policy":"{policy}"}}"#));
        Playground::new(Some(options.unwrap())).unwrap()
    }

    fn field(value: &JsValue, key: &str) -> JsValue {
        Reflect::get(value, &JsValue::from_str(key)).unwrap()
    }

    #[wasm_bindgen_test]
    fn with_the_checks_off_a_double_free_makes_two_mallocs_return_one_block() {
        let mut p = as_c("segregated");
        let options = p.options().unwrap();
        assert_eq!(field(&options, "checks").as_bool(), Some(false));
        let a = field(&p.alloc(JsValue::from(16)).unwrap(), "address");
        p.alloc(JsValue::from(16)).unwrap();
        p.free(a.clone()).unwrap();
        assert_eq!(p.check(), None, "one free is fine");
        let second = p.free(a.clone()).unwrap();
        assert!(field(&second, "fault").is_null());
        let damage = p.damage().unwrap();
        let message = field(&damage, "message").as_string().unwrap();
        assert!(message.contains("now loops"), "{message}");
        let c = field(&p.alloc(JsValue::from(16)).unwrap(), "address");
        let d = field(&p.alloc(JsValue::from(16)).unwrap(), "address");
        assert_eq!(c.as_f64(), a.as_f64());
        assert_eq!(d.as_f64(), a.as_f64(), "the same block, handed out twice");
        let message = field(&p.damage().unwrap(), "message").as_string().unwrap();
        assert!(
            message.contains("twice, and both are still in use"),
            "{message}"
        );
    }

    #[wasm_bindgen_test]
    fn with_the_checks_off_an_overflow_damages_the_next_header_and_malloc_crashes_changing_nothing()
    {
        let mut p = as_c("first-fit");
        let a = field(&p.alloc(JsValue::from(16)).unwrap(), "address");
        let b = field(&p.alloc(JsValue::from(16)).unwrap(), "address");
        let r = p
            .memset(a.clone(), JsValue::from("A"), JsValue::from(40))
            .unwrap();
        assert_eq!(number(&field(&r, "written"), "bytes"), 40.0);
        assert!(field(&r, "fault").is_null());
        let damage = p.damage().unwrap();
        let blocks: Array = field(&damage, "blocks").unchecked_into();
        let header = b.as_f64().unwrap() - brkalloc::HEADER_SIZE as f64;
        assert_eq!(number(&blocks.get(0), "header"), header);
        let message = field(&damage, "message").as_string().unwrap();
        assert!(message.contains("now says size 0x41414140"), "{message}");
        // The diagram's row for that header says it is damaged.
        let n = p.layout();
        let table = p.layout.clone();
        let row = (0..n)
            .find(|i| table[i * LAYOUT_STRIDE] as f64 == header)
            .unwrap();
        assert_ne!(
            table[row * LAYOUT_STRIDE + 3] & crate::api::LAYOUT_DAMAGED,
            0
        );
        // The next malloc takes the "free" 0x41414140-byte block and crashes; nothing changes.
        let before = table.clone();
        let snapshot = js_sys::JSON::stringify(&p.snapshot().unwrap()).unwrap();
        let crash = p.alloc(JsValue::from(8)).unwrap();
        let fault = field(&crash, "fault");
        let message = field(&fault, "message").as_string().unwrap();
        assert!(
            message.starts_with("malloc(8): segmentation fault"),
            "{message}"
        );
        assert!(field(&crash, "address").is_null());
        p.layout();
        assert_eq!(p.layout, before);
        assert_eq!(
            js_sys::JSON::stringify(&p.snapshot().unwrap()).unwrap(),
            snapshot
        );
        // With the checks on again, a reset heap is sound and writes are refused.
        p.reset(None).unwrap();
        assert_eq!(p.check(), None);
        assert_eq!(field(&p.options().unwrap(), "checks").as_bool(), Some(true));
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
        assert_eq!(*p.heap().config(), Options::DEFAULT);
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
        let samples = Array::new();
        loop {
            let progress = p.replay_trace(700, 100).unwrap();
            chunks += 1;
            let more =
                Array::from(&Reflect::get(&progress, &JsValue::from_str("samples")).unwrap());
            for sample in more.iter() {
                samples.push(&sample);
            }
            if number(&progress, "done") == 3000.0 {
                break;
            }
        }
        assert_eq!(chunks, 5, "3000 operations, 700 at a time");
        assert_eq!(p.check(), None);
        let last = samples.get(samples.length() - 1);

        // The same trace through trace::replay_with on a heap of its own.
        let trace = trace::parse(&text).unwrap();
        let mut heap = Heap::with_observer(
            first_page().unwrap(),
            Options::SEED,
            Recorder::with_visit_limit(VISIT_LIMIT),
        );
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
        // Every sample, the one before the first operation included, is the one replay_with took.
        let series = to_js(&stats.series).unwrap();
        assert_eq!(
            js_sys::JSON::stringify(&samples).unwrap().as_string(),
            js_sys::JSON::stringify(&series).unwrap().as_string()
        );
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
                let events = &p.heap().observer().events;
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
        let error = parse_scenario("a = malloc(16)\nfree(b)").unwrap_err();
        assert!(error.is_instance_of::<js_sys::Error>());
        assert_eq!(
            (number(&error, "line"), number(&error, "column")),
            (2.0, 6.0)
        );
        let e = message(error);
        assert!(e.starts_with("line 2, column 6: "), "{e}");
        assert!(message(generate_trace("zigzag", 10, 1).unwrap_err())
            .starts_with("unknown kind of trace \"zigzag\""));
    }

    /// The errors about a place in a text carry it as `line` and `column` (`LocatedError`):
    /// `column` is `null` where the error has none (an operation the heap refused).
    #[wasm_bindgen_test]
    fn trace_errors_carry_their_line_and_column() {
        let mut p = seed();
        let error = p
            .load_trace("20000\n2\n4\n1\na 0 16\nf 0\nf 0\na 1 8\n")
            .unwrap_err();
        assert_eq!(
            (number(&error, "line"), number(&error, "column")),
            (7.0, 3.0)
        );
        // The largest size a trace may hold is past the largest block of wasm32's heap
        // (`MAX_SIZE`, 2^31 − 8): the heap refuses line 6 without growing anything.
        p.load_trace("0\n2\n2\n1\na 0 8\na 1 2147483647\n").unwrap();
        let error = p.replay_trace(10, 1).unwrap_err();
        assert_eq!(number(&error, "line"), 6.0);
        assert!(Reflect::get(&error, &"column".into()).unwrap().is_null());
        assert!(message(error).starts_with("line 6 (`a 1 2147483647`): "));
        assert!(
            message(p.replay_trace(10, 1).unwrap_err()).starts_with("no trace is loaded"),
            "a failed replay ends it"
        );
        assert_eq!(p.heap().blocks().count(), 1, "the first allocation stays");
    }

    #[wasm_bindgen_test]
    fn the_block_table_names_its_fields_and_stride() {
        let shape = block_table().unwrap();
        let fields: Vec<String> = Array::from(&Reflect::get(&shape, &"fields".into()).unwrap())
            .iter()
            .map(|f| f.as_string().unwrap())
            .collect();
        assert_eq!(fields, LAYOUT_FIELDS);
        assert_eq!(number(&shape, "stride") as usize, LAYOUT_STRIDE);
        assert_eq!(number(&shape, "stride") as usize, fields.len());
        assert_eq!(number(&shape, "freeFlag") as u32, LAYOUT_FREE);
        // A free block's row, read by the names.
        let mut p = seed();
        let a = p.alloc(JsValue::from(24)).unwrap();
        p.alloc(JsValue::from(8)).unwrap();
        p.free(Reflect::get(&a, &"address".into()).unwrap())
            .unwrap();
        let rows = table(&mut p);
        let at = |name: &str| rows[fields.iter().position(|f| f == name).unwrap()];
        assert_eq!(at("size"), 24);
        assert_eq!(at("data") - at("header"), HEADER_SIZE as u32);
        assert_eq!(at("flags") & LAYOUT_FREE, LAYOUT_FREE);
        assert_eq!(at("next"), rows[fields.len()], "the next row's header");
    }

    #[wasm_bindgen_test]
    fn the_constants_are_the_allocators_on_wasm32() {
        let c = constants().unwrap();
        assert_eq!(number(&c, "headerSize") as usize, HEADER_SIZE);
        assert_eq!(number(&c, "headerSize"), 8.0, "two 32-bit words");
        assert_eq!(number(&c, "align") as usize, brkalloc::ALIGN);
        assert_eq!(number(&c, "minData") as usize, brkalloc::MIN_DATA);
        assert_eq!(number(&c, "maxSize") as usize, brkalloc::MAX_SIZE);
        assert_eq!(number(&c, "pageSize"), 65536.0);
        assert_eq!(number(&c, "maxSegments") as usize, brkalloc::MAX_SEGMENTS);
        assert_eq!(
            number(&c, "trimThreshold") as usize,
            brkalloc::TRIM_THRESHOLD
        );
    }

    #[wasm_bindgen_test]
    fn the_policies_come_in_the_order_of_policy_all_with_their_words() {
        let list = Array::from(&policies().unwrap());
        let names: Vec<String> = list
            .iter()
            .map(|p| {
                Reflect::get(&p, &"name".into())
                    .unwrap()
                    .as_string()
                    .unwrap()
            })
            .collect();
        let all: Vec<&str> = Policy::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names, all);
        let segregated = list.get(4);
        let words = Reflect::get(&segregated, &"words".into()).unwrap();
        assert_eq!(words.as_string().as_deref(), Some("the segregated lists"));
        for p in list.iter() {
            for key in ["label", "summary"] {
                let text = Reflect::get(&p, &key.into()).unwrap().as_string().unwrap();
                assert!(!text.is_empty(), "{key}");
            }
        }
    }

    /// The page's narration writes a call as the playground's error messages start it.
    #[wasm_bindgen_test]
    fn call_text_writes_a_call_as_the_error_messages_do() {
        let js = |x: &str| js_sys::JSON::parse(x).unwrap();
        let text = |op: &str, args: &[JsValue]| call_text(op, args.to_vec()).unwrap();
        assert_eq!(text("malloc", &[JsValue::from(24)]), "malloc(24)");
        assert_eq!(text("malloc", &[JsValue::from(" 24 ")]), "malloc(24)");
        assert_eq!(text("malloc", &[JsValue::from("abc")]), "malloc(\"abc\")");
        assert_eq!(text("malloc", &[]), "malloc()");
        assert_eq!(
            text("free", &[JsValue::from(1_114_120)]),
            "free(0x00110008)"
        );
        assert_eq!(
            text("realloc", &[JsValue::from(1_114_120), JsValue::from(2.5)]),
            "realloc(0x00110008, 2.5)"
        );
        assert_eq!(text("calloc", &[js("[1]"), js("{}")]), "calloc([…], {…})");
        // The same text the refusal starts with.
        let mut p = seed();
        for (op, args) in [
            ("malloc", alloc::vec![JsValue::from(-1)]),
            ("calloc", alloc::vec![JsValue::from(2), JsValue::from("x")]),
            ("free", alloc::vec![JsValue::from(0x10)]),
        ] {
            let e = match op {
                "malloc" => message(p.alloc(args[0].clone()).unwrap_err()),
                "calloc" => message(p.calloc(args[0].clone(), args[1].clone()).unwrap_err()),
                _ => message(p.free(args[0].clone()).unwrap_err()),
            };
            let call = call_text(op, args).unwrap();
            assert!(
                e.starts_with(&format!("{call}: ")),
                "{e:?} starts with {call:?}"
            );
        }
        assert!(message(call_text("alloc", alloc::vec![]).unwrap_err())
            .starts_with("unknown function \"alloc\""));
    }

    #[wasm_bindgen_test]
    fn step_text_writes_a_step_as_c_and_the_scenario_language_do() {
        let step = |op: &str, args: &[JsValue], name: Option<&str>| {
            step_text(op, args.to_vec(), name.map(String::from)).unwrap()
        };
        assert_eq!(
            step("malloc", &[JsValue::from(16)], Some("a")),
            "a = malloc(16)"
        );
        assert_eq!(
            step("calloc", &[JsValue::from(4), JsValue::from(8)], None),
            "calloc(4, 8)"
        );
        assert_eq!(
            step(
                "realloc",
                &[JsValue::from("a"), JsValue::from(32)],
                Some("b")
            ),
            "b = realloc(a, 32)"
        );
        assert_eq!(
            step("free", &[JsValue::from(1_114_120)], None),
            "free(0x00110008)"
        );
        assert_eq!(
            step("free", &[JsValue::from("(result of step 3)")], None),
            "free((result of step 3))"
        );
        // The scenario language writes its statements the same way.
        let scenario = crate::scenario::parse("a = malloc(16)\nb = realloc(a, 32)").unwrap();
        assert_eq!(scenario.steps[1].stmt.to_string(), "b = realloc(a, 32)");
        assert_eq!(address_text(1_114_120.0), "0x00110008");
        assert_eq!(address_text(-1.0), "-1");
        assert_eq!(bytes_text(1.0), "1 byte");
        assert_eq!(bytes_text(65536.0), "65,536 bytes");
    }

    /// `totals()` is `snapshot().totals`, without the snapshot.
    #[wasm_bindgen_test]
    fn totals_are_the_snapshots_totals() {
        let mut p = seed();
        let a = p.alloc(JsValue::from(40)).unwrap();
        p.alloc(JsValue::from(8)).unwrap();
        p.alloc(JsValue::from(24)).unwrap();
        p.free(Reflect::get(&a, &"address".into()).unwrap())
            .unwrap();
        let totals = p.totals().unwrap();
        let snapshot = p.snapshot().unwrap();
        let from_snapshot = Reflect::get(&snapshot, &"totals".into()).unwrap();
        assert_eq!(
            js_sys::JSON::stringify(&totals).unwrap().as_string(),
            js_sys::JSON::stringify(&from_snapshot).unwrap().as_string()
        );
        assert_eq!(number(&totals, "freeBlocks"), 1.0);
        assert_eq!(number(&totals, "free"), 40.0);
        assert_eq!(number(&totals, "segments"), 1.0);
        // One free block: nothing is scattered.
        assert_eq!(number(&totals, "fragmentation"), 0.0);
    }
}
