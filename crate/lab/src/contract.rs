//! The TypeScript side of the contract between the wasm module and the page, generated from the
//! Rust types: [`typescript`] writes the declarations of everything the module hands to
//! JavaScript, and `tests/contract.rs` fails when they differ from the checked-in
//! `www/generated/contract.ts` (`BRKALLOC_WRITE_CONTRACT=1` writes the file instead).
//!
//! Nothing here restates a field. Each type's fields come from serializing an example value
//! through [`Shape`]'s serializer, which records what serde hands it (field names in order,
//! numbers, booleans, strings, `null`able options, lists, the names of structs and enums)
//! instead of writing JSON. So a declaration follows `rename_all`, `serialize_with`, internally
//! tagged enums and every other serde attribute exactly as the module's JSON does. A type seen
//! with several sets of fields (the kinds of [`Event`], the statements of a scenario) becomes
//! a union, told apart by the string field whose value differs between them (`kind`, `op`).
//!
//! The examples are real values (a heap that ran a few calls, a replayed trace, a parsed
//! script); where a type has variants, the examples are checked to cover every one of them
//! (against [`Event::KINDS`], or by a `match` that stops compiling when a variant is added), so
//! a new kind of event or statement cannot go undeclared. A field only ever seen empty or
//! `null` is an error, not a guess.
//!
//! What is not a serialized value is written from the Rust constants it comes from: the policy
//! names ([`Policy::ALL`]), the presets and option names (`json::PRESETS`,
//! `json::OPTION_FIELDS`), the function names of a call, the event kinds and the layout
//! table's fields ([`api::LAYOUT_FIELDS`]).

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::mem::MaybeUninit;

use serde::ser::{self, Serialize};

use brkalloc::heap::Config;
use brkalloc::{ArenaBreak, Event, Heap, Options, Pages, Policy};

use crate::api::{
    self, Constants, ErrorAt, OpResult, PolicyInfo, TraceProgress, TraceSummary, BLOCK_TABLE,
};
use crate::json::{self, OptionsJson};
use crate::scenario::{self, Ptr, Stmt};
use crate::snapshot::{FreeList, Snapshot};
use crate::trace::{self, ReplayOptions, Replayer};
use crate::wording::Function;

/// The shape of a serialized value, as [`Shape::of`] records it.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Any integer or float.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A string; the value seen is kept, to write a union's tag as a literal.
    Str(String),
    /// A unit variant of the named enum (`Policy`), written as a string.
    Enum(&'static str),
    /// `None` or `()`: `null`, of a type this example does not show.
    Null,
    /// `Some(value)`: the value's shape, or `null`.
    Option(Box<Shape>),
    /// A sequence (or tuple, or array), with the shape of every element seen (each is kept:
    /// the elements of a list of statements are of different kinds).
    Array(Vec<Shape>),
    /// A struct (named) or a map (anonymous): fields in order.
    Object {
        /// The struct's name, as serde gives it (the enum's, for an internally tagged variant).
        name: Option<&'static str>,
        /// Its fields, in order.
        fields: Vec<(String, Shape)>,
    },
    /// A variant of an externally tagged enum: `{variant: inner}`.
    Variant {
        /// The enum's name.
        name: &'static str,
        /// The variant's serialized name.
        variant: &'static str,
        /// What the variant holds.
        inner: Box<Shape>,
    },
}

impl Shape {
    /// The shape of `value`, as serde serializes it.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Shape, ContractError> {
        value.serialize(ShapeSerializer)
    }

    /// One shape for two values seen in the same place: `null` and a value make an option, an
    /// empty list takes the other list's elements, named types are the same reference.
    fn merge(self, other: Shape) -> Result<Shape, ContractError> {
        use Shape::*;
        Ok(match (self, other) {
            (a, b) if a == b => a,
            (Null, Option(x)) | (Option(x), Null) => Option(x),
            (Null, x) | (x, Null) => Option(Box::new(x)),
            (Option(a), Option(b)) => Option(Box::new(a.merge(*b)?)),
            (Option(a), b) | (b, Option(a)) => Option(Box::new(a.merge(b)?)),
            (Str(a), Str(_)) => Str(a),
            (Array(mut a), Array(b)) => {
                a.extend(b);
                Array(a)
            }
            (
                Object {
                    name: Some(a),
                    fields,
                },
                Object { name: Some(b), .. },
            ) if a == b => Object {
                name: Some(a),
                fields,
            },
            (
                Object {
                    name: None,
                    fields: a,
                },
                Object {
                    name: None,
                    fields: b,
                },
            ) if same_keys(&a, &b) => Object {
                name: None,
                fields: merge_fields(a, b)?,
            },
            (v @ Variant { name: a, .. }, Variant { name: b, .. }) if a == b => v,
            (a, b) => {
                return Err(ContractError(format!(
                    "one place holds two different shapes: {a:?} and {b:?}"
                )))
            }
        })
    }
}

/// An object's fields, in order.
type Fields = Vec<(String, Shape)>;

fn same_keys(a: &[(String, Shape)], b: &[(String, Shape)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((x, _), (y, _))| x == y)
}

fn merge_fields(
    a: Vec<(String, Shape)>,
    b: Vec<(String, Shape)>,
) -> Result<Vec<(String, Shape)>, ContractError> {
    a.into_iter()
        .zip(b)
        .map(|((key, x), (_, y))| Ok((key, x.merge(y)?)))
        .collect()
}

/// Why the declarations could not be written: an example that does not show a type, or a
/// type that is not in the table of names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractError(pub String);

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ContractError {}

impl ser::Error for ContractError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ContractError(msg.to_string())
    }
}

/// The serializer behind [`Shape::of`].
struct ShapeSerializer;

/// A sequence, tuple or array being recorded.
struct SeqShape(Vec<Shape>);

impl SeqShape {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ContractError> {
        self.0.push(Shape::of(value)?);
        Ok(())
    }

    fn finish(self) -> Shape {
        Shape::Array(self.0)
    }
}

/// A struct or map being recorded, or the fields of a struct or tuple variant.
struct ObjectShape {
    name: Option<&'static str>,
    fields: Vec<(String, Shape)>,
    key: Option<String>,
    /// For a variant: the enum's and the variant's names.
    variant: Option<(&'static str, &'static str)>,
    /// For a tuple variant: its elements.
    elements: Option<SeqShape>,
}

impl ObjectShape {
    fn new(name: Option<&'static str>) -> ObjectShape {
        ObjectShape {
            name,
            fields: Vec::new(),
            key: None,
            variant: None,
            elements: None,
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), ContractError> {
        self.fields.push((key.to_owned(), Shape::of(value)?));
        Ok(())
    }

    fn finish(self) -> Shape {
        let inner = match self.elements {
            Some(elements) => elements.finish(),
            None => Shape::Object {
                name: if self.variant.is_some() {
                    None
                } else {
                    self.name
                },
                fields: self.fields,
            },
        };
        match self.variant {
            Some((name, variant)) => Shape::Variant {
                name,
                variant,
                inner: Box::new(inner),
            },
            None => inner,
        }
    }
}

impl ser::Serializer for ShapeSerializer {
    type Ok = Shape;
    type Error = ContractError;
    type SerializeSeq = SeqShape;
    type SerializeTuple = SeqShape;
    type SerializeTupleStruct = SeqShape;
    type SerializeTupleVariant = ObjectShape;
    type SerializeMap = ObjectShape;
    type SerializeStruct = ObjectShape;
    type SerializeStructVariant = ObjectShape;

    fn serialize_bool(self, _: bool) -> Result<Shape, ContractError> {
        Ok(Shape::Boolean)
    }
    fn serialize_i8(self, _: i8) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_i16(self, _: i16) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_i32(self, _: i32) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_i64(self, _: i64) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_u8(self, _: u8) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_u16(self, _: u16) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_u32(self, _: u32) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_u64(self, _: u64) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_f32(self, _: f32) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_f64(self, _: f64) -> Result<Shape, ContractError> {
        Ok(Shape::Number)
    }
    fn serialize_char(self, c: char) -> Result<Shape, ContractError> {
        Ok(Shape::Str(c.to_string()))
    }
    fn serialize_str(self, s: &str) -> Result<Shape, ContractError> {
        Ok(Shape::Str(s.to_owned()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Shape, ContractError> {
        Ok(Shape::Array(alloc::vec![Shape::Number]))
    }
    fn serialize_none(self) -> Result<Shape, ContractError> {
        Ok(Shape::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Shape, ContractError> {
        Ok(Shape::Option(Box::new(Shape::of(value)?)))
    }
    fn serialize_unit(self) -> Result<Shape, ContractError> {
        Ok(Shape::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Shape, ContractError> {
        Ok(Shape::Null)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Shape, ContractError> {
        Ok(Shape::Enum(name))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Shape, ContractError> {
        Shape::of(value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Shape, ContractError> {
        Ok(Shape::Variant {
            name,
            variant,
            inner: Box::new(Shape::of(value)?),
        })
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqShape, ContractError> {
        Ok(SeqShape(Vec::new()))
    }
    fn serialize_tuple(self, _: usize) -> Result<SeqShape, ContractError> {
        Ok(SeqShape(Vec::new()))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<SeqShape, ContractError> {
        Ok(SeqShape(Vec::new()))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<ObjectShape, ContractError> {
        Ok(ObjectShape {
            variant: Some((name, variant)),
            elements: Some(SeqShape(Vec::new())),
            ..ObjectShape::new(None)
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<ObjectShape, ContractError> {
        Ok(ObjectShape::new(None))
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<ObjectShape, ContractError> {
        Ok(ObjectShape::new(Some(name)))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<ObjectShape, ContractError> {
        Ok(ObjectShape {
            variant: Some((name, variant)),
            ..ObjectShape::new(None)
        })
    }
}

/// The three sequence-like serde traits, which differ only in the name of their one method.
macro_rules! seq_shape {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for SeqShape {
            type Ok = Shape;
            type Error = ContractError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ContractError> {
                self.element(value)
            }
            fn end(self) -> Result<Shape, ContractError> {
                Ok(self.finish())
            }
        }
    )*};
}

seq_shape!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeTupleVariant for ObjectShape {
    type Ok = Shape;
    type Error = ContractError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ContractError> {
        match &mut self.elements {
            Some(elements) => elements.element(value),
            None => Err(ContractError("a tuple variant without elements".into())),
        }
    }
    fn end(self) -> Result<Shape, ContractError> {
        Ok(self.finish())
    }
}

impl ser::SerializeMap for ObjectShape {
    type Ok = Shape;
    type Error = ContractError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ContractError> {
        match Shape::of(key)? {
            Shape::Str(key) => {
                self.key = Some(key);
                Ok(())
            }
            other => Err(ContractError(format!(
                "a map key that is not a string: {other:?}"
            ))),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ContractError> {
        let key = self.key.take().unwrap_or_default();
        self.field(&key, value)
    }
    fn end(self) -> Result<Shape, ContractError> {
        Ok(self.finish())
    }
}

/// The two struct-like serde traits, alike to the letter.
macro_rules! struct_shape {
    ($($trait:ident),*) => {$(
        impl ser::$trait for ObjectShape {
            type Ok = Shape;
            type Error = ContractError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), ContractError> {
                self.field(key, value)
            }
            fn end(self) -> Result<Shape, ContractError> {
                Ok(self.finish())
            }
        }
    )*};
}

struct_shape!(SerializeStruct, SerializeStructVariant);

// ------------------------------------------------------------------------------ the declarations

/// Every named type the module hands out: its name in Rust (as serde gives it), its name in
/// TypeScript, and a line saying what it is. Declared in this order.
const TYPES: &[(&str, &str, &str)] = &[
    (
        "Options",
        "Options",
        "The options in force (`Playground.options()`).",
    ),
    (
        "Pages",
        "Pages",
        "Page accounting of a backend that grows memory in pages.",
    ),
    ("Segment", "Segment", "A run of adjacent blocks."),
    (
        "BlockSnapshot",
        "BlockSnapshot",
        "One block: a header then its data. `next` is 0 (null) for the last block.",
    ),
    (
        "FreeList",
        "FreeList",
        "One size class of the segregated policy: the headers of its blocks, in list order.",
    ),
    (
        "Totals",
        "Totals",
        "Sums over the blocks: the allocator's `Stats` (`Playground.totals()`, `Snapshot.totals`).",
    ),
    (
        "Snapshot",
        "Snapshot",
        "The whole heap at one moment (`Playground.snapshot()`).",
    ),
    (
        "HeapEvent",
        "HeapEvent",
        "One thing the heap did, told apart by `kind` (`Event::kind`, `Event::fields`).",
    ),
    (
        "OpResult",
        "OpResult",
        "What `alloc`, `free`, `realloc` and `calloc` return when they succeed.",
    ),
    (
        "FaultJson",
        "Fault",
        "A simulated crash (checks off): the address outside the heap, and what happened.",
    ),
    (
        "DamagedBlock",
        "DamagedBlock",
        "A damaged block: its header, the damaged fields, and a sentence.",
    ),
    (
        "DamageJson",
        "Damage",
        "The heap checked after a step (`Playground.damage()`): sound when `message` is `null`.",
    ),
    (
        "Written",
        "Written",
        "The bytes a write step wrote: from `at`, `bytes` of them.",
    ),
    (
        "Ptr",
        "ScenarioPtr",
        "The pointer a scenario statement frees or reallocates: a name or an address.",
    ),
    (
        "Range",
        "Span",
        "A statement's place in the script: byte offsets in its UTF-8 text, not string indices.",
    ),
    (
        "Stmt",
        "ScenarioStmt",
        "One statement of a scenario script, told apart by `op`.",
    ),
    (
        "Step",
        "ScenarioStep",
        "A statement and where it was written (1-based line and column).",
    ),
    ("Scenario", "Scenario", "A parsed script, as `parseScenario` returns it."),
    (
        "ErrorAt",
        "ErrorAt",
        "Where in a text an error is: set on the `Error` that `parseScenario`, `loadTrace` and `replayTrace` throw.",
    ),
    (
        "TraceSummary",
        "TraceSummary",
        "What `loadTrace` returns: the trace's header and what its operations are.",
    ),
    (
        "Sample",
        "TraceSample",
        "The heap at one point of a trace replay.",
    ),
    ("TraceProgress", "TraceProgress", "What one `replayTrace` call did."),
    (
        "ReplayStats",
        "ReplayStats",
        "What a whole replay measured (`brkalloc replay --json` prints these fields and more).",
    ),
    (
        "Constants",
        "Constants",
        "The allocator's constants on wasm32 (`constants()`): read them, they differ by target.",
    ),
    (
        "PolicyInfo",
        "PolicyInfo",
        "One placement policy as the page offers it (`policies()`, in `Policy::ALL` order).",
    ),
    (
        "BlockTable",
        "BlockTable",
        "The layout table's shape (`blockTable()`): a row of `stride` u32 per block.",
    ),
];

/// The named enums written as strings, and their values, in order.
fn enums() -> Vec<(&'static str, Vec<&'static str>)> {
    alloc::vec![("Policy", Policy::ALL.iter().map(|p| p.name()).collect())]
}

/// The TypeScript name of a serde name.
fn ts_name(name: &str) -> Result<&'static str, ContractError> {
    if let Some((rust, _)) = enums().into_iter().find(|(n, _)| *n == name) {
        return Ok(rust);
    }
    TYPES
        .iter()
        .find(|(rust, _, _)| *rust == name)
        .map(|(_, ts, _)| *ts)
        .ok_or_else(|| {
            ContractError(format!(
                "the type `{name}` crosses into TypeScript but has no entry in contract.rs's \
                 TYPES: add it, with its TypeScript name"
            ))
        })
}

/// The named types seen in the examples, each with every field list it was seen with.
#[derive(Default)]
struct Registry {
    types: Vec<(&'static str, Vec<Fields>)>,
}

impl Registry {
    fn add(&mut self, shape: &Shape) {
        match shape {
            Shape::Object { name, fields } => {
                if let Some(name) = name {
                    self.seen(name, fields.clone());
                }
                for (_, field) in fields {
                    self.add(field);
                }
            }
            Shape::Variant {
                name,
                variant,
                inner,
            } => {
                self.seen(
                    name,
                    alloc::vec![((*variant).to_owned(), (**inner).clone())],
                );
                self.add(inner);
            }
            Shape::Option(inner) => self.add(inner),
            Shape::Array(elements) => elements.iter().for_each(|e| self.add(e)),
            _ => {}
        }
    }

    fn seen(&mut self, name: &'static str, fields: Vec<(String, Shape)>) {
        match self.types.iter_mut().find(|(n, _)| *n == name) {
            Some((_, seen)) => seen.push(fields),
            None => self.types.push((name, alloc::vec![fields])),
        }
    }
}

/// A named type's variants, from every field list it was seen with, and the field that tells
/// them apart. Seen always with the same fields, it is one struct. Seen with different ones, it
/// is a union: of internally tagged variants when every field list starts with the same string
/// field (`kind`, `op`), whose values then part variants with the same fields (`reuse`,
/// `append`); else of the field lists themselves (`{name}`, `{address}`).
fn variants(seen: &[Fields]) -> Result<(Vec<Fields>, Option<String>), ContractError> {
    let Some(first) = seen.first() else {
        return Ok((Vec::new(), None));
    };
    let tag = if seen.iter().all(|f| same_keys(f, first)) {
        None
    } else {
        first.first().map(|(k, _)| k.clone()).filter(|k| {
            seen.iter()
                .all(|f| matches!(f.first(), Some((key, Shape::Str(_))) if key == k))
        })
    };
    let tag_value = |f: &[(String, Shape)]| match (&tag, f.first()) {
        (Some(_), Some((_, Shape::Str(v)))) => Some(v.clone()),
        _ => None,
    };
    let mut variants: Vec<Fields> = Vec::new();
    for fields in seen {
        match variants
            .iter_mut()
            .find(|v| same_keys(v, fields) && tag_value(v) == tag_value(fields))
        {
            Some(variant) => *variant = merge_fields(core::mem::take(variant), fields.clone())?,
            None => variants.push(fields.clone()),
        }
    }
    Ok((variants, tag))
}

/// A type in TypeScript.
fn ts(shape: &Shape) -> Result<String, ContractError> {
    Ok(match shape {
        Shape::Number => "number".into(),
        Shape::Boolean => "boolean".into(),
        Shape::Str(_) => "string".into(),
        Shape::Enum(name) => ts_name(name)?.into(),
        Shape::Option(inner) => format!("{} | null", ts(inner)?),
        Shape::Array(elements) => {
            let mut seen = elements.iter().cloned();
            let Some(first) = seen.next() else {
                return Err(ContractError(
                    "a list is only ever empty in the examples: give one with an element".into(),
                ));
            };
            let inner = ts(&seen.try_fold(first, Shape::merge)?)?;
            if inner.contains(' ') {
                format!("({inner})[]")
            } else {
                format!("{inner}[]")
            }
        }
        Shape::Object {
            name: Some(name), ..
        }
        | Shape::Variant { name, .. } => ts_name(name)?.into(),
        Shape::Object { name: None, fields } => object_literal(fields, None)?,
        Shape::Null => {
            return Err(ContractError(
                "a field is only ever `null` in the examples: give one with a value".into(),
            ))
        }
    })
}

/// `{ a: number; b: string }`, with the tag field (if any) as its literal value.
fn object_literal(fields: &[(String, Shape)], tag: Option<&str>) -> Result<String, ContractError> {
    let mut parts = Vec::new();
    for (key, shape) in fields {
        let ty = match shape {
            Shape::Str(value) if Some(key.as_str()) == tag => format!("{value:?}"),
            _ => ts(shape)?,
        };
        parts.push(format!("{key}: {ty}"));
    }
    Ok(format!("{{ {} }}", parts.join("; ")))
}

/// The declaration of a named type seen with these field lists.
fn declaration(
    out: &mut String,
    ts_name: &str,
    doc: &str,
    seen: &[Fields],
) -> Result<(), ContractError> {
    let (variants, tag) = variants(seen)?;
    let _ = writeln!(out, "\n/** {doc} */");
    if let [fields] = variants.as_slice() {
        let _ = writeln!(out, "export interface {ts_name} {{");
        for (key, shape) in fields {
            let _ = writeln!(out, "  {key}: {};", ts(shape)?);
        }
        let _ = writeln!(out, "}}");
    } else {
        let _ = writeln!(out, "export type {ts_name} =");
        for (i, fields) in variants.iter().enumerate() {
            let end = if i + 1 == variants.len() { ";" } else { "" };
            let _ = writeln!(out, "  | {}{end}", object_literal(fields, tag.as_deref())?);
        }
    }
    Ok(())
}

/// A union of string literals: `"a" | "b"`.
fn literals<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values
        .into_iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A list of string literals: `["a", "b"]`.
fn list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = values.into_iter().map(|v| format!("{v:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// The TypeScript declarations of everything the wasm module hands to JavaScript: the text of
/// `www/generated/contract.ts`.
pub fn typescript() -> Result<String, ContractError> {
    let mut registry = Registry::default();
    for example in examples()? {
        registry.add(&example);
    }

    let mut out = String::new();
    out.push_str(
        "// Generated by crate/lab/src/contract.rs from the Rust types the wasm module hands to\n\
         // JavaScript: do not edit. `cargo test -p brkalloc-lab --test contract` fails when this\n\
         // file and the Rust side disagree; with BRKALLOC_WRITE_CONTRACT=1 it writes this file.\n\
         //\n\
         // Addresses and sizes are plain numbers: on wasm32 every `usize` fits in one exactly.\n",
    );

    out.push_str("\n// ------------------------------------------------------------ names\n");
    for (name, values) in enums() {
        let _ = writeln!(
            out,
            "\n/** `{name}::name`, in the order of `{name}::ALL`. */\nexport type {name} = {};",
            literals(values.iter().copied())
        );
    }
    let policies = list(Policy::ALL.iter().map(|p| p.name()));
    let _ = writeln!(
        out,
        "\n/** Every policy, in the order of `Policy::ALL` (the teaching default first). */\n\
         export const POLICY_NAMES: readonly Policy[] = {policies};"
    );
    let presets = literals(json::PRESETS.iter().map(|(name, _)| *name));
    let _ = writeln!(
        out,
        "\n/** The presets a playground starts from: \"seed\" is the brief's allocator. */\n\
         export type Preset = {presets};"
    );
    let _ = writeln!(
        out,
        "\n/** What `new Playground(options)` and `reset(options)` accept: a preset, then any of\n \
         * the options ({}). Anything else is refused. */\n\
         export type PlaygroundOptions = Partial<Options> & {{ preset?: Preset }};",
        json::OPTION_FIELDS.join(", ")
    );
    let functions = literals(Function::ALL.iter().map(|f| f.name()));
    let _ = writeln!(
        out,
        "\n/** The functions a call can be to (`callText`, `stepText`). */\n\
         export type FunctionName = {functions};"
    );
    let kinds = literals(Event::KINDS);
    let _ = writeln!(
        out,
        "\n/** `Event::KINDS`: every kind of `HeapEvent`. */\nexport type HeapEventKind = {kinds};"
    );
    let fields = list(api::LAYOUT_FIELDS);
    let _ = writeln!(
        out,
        "\n/** The fields of one block's row in the layout table, in order (`blockTable().fields`). */\n\
         export const LAYOUT_FIELDS = {fields} as const;\n\
         \n/** One field of the layout table. */\n\
         export type LayoutField = (typeof LAYOUT_FIELDS)[number];\n\
         \n/** `u32`s per block in the layout table (`blockTable().stride`). */\n\
         export const LAYOUT_STRIDE = {};\n\
         \n/** The bit of a row's `flags` that says the block is free (`blockTable().freeFlag`). */\n\
         export const LAYOUT_FREE = {};",
        api::LAYOUT_STRIDE,
        api::LAYOUT_FREE
    );

    out.push_str("\n// ------------------------------------------------------------ values\n");
    let mut declared = Vec::new();
    for (rust, ts_name, doc) in TYPES {
        let Some((_, variants)) = registry.types.iter().find(|(n, _)| n == rust) else {
            return Err(ContractError(format!(
                "no example shows the type `{rust}` ({ts_name}): add one to contract.rs's \
                 examples, or take it out of TYPES"
            )));
        };
        declaration(&mut out, ts_name, doc, variants)?;
        declared.push(*rust);
    }
    if let Some((name, _)) = registry.types.iter().find(|(n, _)| !declared.contains(n)) {
        return Err(ContractError(format!(
            "the type `{name}` crosses into TypeScript but has no entry in contract.rs's \
             TYPES: add it, with its TypeScript name"
        )));
    }
    out.push_str(
        "\n/** An `Error` thrown with where in the text it is (`parseScenario`, `loadTrace`, `replayTrace`). */\n\
         export type LocatedError = Error & ErrorAt;\n",
    );
    Ok(out)
}

// ------------------------------------------------------------------------------ the examples

/// One of each kind of event, in the order of [`Event::KINDS`].
pub fn example_events() -> Vec<Event> {
    alloc::vec![
        Event::Visit {
            block: 16,
            size: 24,
            free: true,
            fits: true,
        },
        Event::SizeClass {
            class: 3,
            min_size: 48,
        },
        Event::Reuse {
            block: 16,
            size: 24,
        },
        Event::Split {
            block: 16,
            size: 24,
            rest: 56,
            rest_size: 8,
        },
        Event::Append {
            block: 16,
            size: 24,
        },
        Event::Extend {
            block: 16,
            from: 8,
            to: 24,
        },
        Event::MarkFree {
            block: 16,
            size: 24,
        },
        Event::Coalesce {
            block: 16,
            absorbed: 56,
            size: 64,
        },
        Event::Release {
            block: 16,
            blocks: 2,
            bytes: 96,
        },
        Event::BreakMoved { from: 16, to: 56 },
        Event::PagesGrown { pages: 1, total: 3 },
        Event::NewSegment {
            gap_from: 56,
            start: 4096,
        },
        Event::ResizeInPlace {
            block: 16,
            from: 24,
            to: 40,
        },
        Event::Trim {
            block: 16,
            from: 200_000,
            to: 64,
        },
        Event::Lookup {
            addr: 32,
            blocks: 2,
        },
        Event::Move {
            from: 32,
            to: 96,
            bytes: 24,
        },
    ]
}

/// The statements of [`SCRIPT`]: every kind of statement, both kinds of pointer, named and
/// unnamed results.
const SCRIPT: &str = "a = malloc(16)\nmalloc(8)\nb = calloc(4, 8)\nc = realloc(a, 32)\n\
                      free(0x00110008)\nfree(b)\nstrcpy(c, \"hi\")\nmemset(c, 'A', 4)\n\
                      c[3] = 0x41\nmemcpy(c, c, 2)\nfree(c + 8)\n";

/// Example values of everything the module hands to JavaScript, as their shapes.
fn examples() -> Result<Vec<Shape>, ContractError> {
    let mut shapes = Vec::new();

    // Events: one of each kind, checked against the allocator's own list.
    let events = example_events();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind()).collect();
    if kinds != Event::KINDS {
        return Err(ContractError(format!(
            "contract.rs's example events ({kinds:?}) are not one of each of Event::KINDS \
             ({:?}): add an example of the new kind",
            Event::KINDS
        )));
    }
    shapes.push(Shape::of(&OpResult {
        address: Some(32),
        events: &events,
        more_visits: 0,
        more_free_visits: 0,
        written: None,
        fault: None,
    })?);
    shapes.push(Shape::of(&OpResult {
        address: None,
        events: &[],
        more_visits: 0,
        more_free_visits: 0,
        written: Some(crate::write::Written { at: 40, bytes: 6 }),
        fault: None,
    })?);
    // A heap run as C does, whose second header a `memset` overwrote: it is damaged, and the
    // next malloc crashes.
    let mut memory = alloc::vec![MaybeUninit::new(0u8); 1 << 16];
    let mut loose = crate::loose::LooseHeap::new(
        ArenaBreak::new(&mut memory),
        Options::DEFAULT,
        crate::Recorder::default(),
    );
    let a = loose
        .alloc(16)
        .map_err(|e| ContractError(format!("{e:?}")))?;
    loose
        .alloc(16)
        .map_err(|e| ContractError(format!("{e:?}")))?;
    loose
        .write(a, &[0x41; 40])
        .map_err(|e| ContractError(format!("{e:?}")))?;
    let damage = loose.inspect();
    if damage.damaged.is_empty() {
        return Err(ContractError("the example overflow damaged nothing".into()));
    }
    shapes.push(Shape::of(&api::DamageJson::of(&damage))?);
    shapes.push(Shape::of(&api::DamageJson::of(
        &crate::loose::Damage::default(),
    ))?);
    let fault = match loose.alloc(8) {
        Err(crate::loose::Stop::Fault(f)) => f,
        other => {
            return Err(ContractError(format!(
                "the example malloc after an overflow should crash: {other:?}"
            )))
        }
    };
    shapes.push(Shape::of(&OpResult {
        address: None,
        events: &[],
        more_visits: 0,
        more_free_visits: 0,
        written: None,
        fault: Some(api::FaultJson {
            address: fault.address(),
            message: format!("malloc(8): {fault}"),
        }),
    })?);

    // A heap that ran a few calls, under the segregated policy so that it has free lists.
    let mut memory = alloc::vec![MaybeUninit::new(0u8); 1 << 16];
    let mut heap = Heap::new(
        ArenaBreak::new(&mut memory),
        Options::with_policy(Policy::Segregated),
    );
    let blocks: Vec<_> = [24, 8, 40, 16]
        .iter()
        .filter_map(|&n| heap.alloc(n).ok())
        .collect();
    if let Some(b) = blocks.first() {
        let _ = heap.free(b.as_ptr());
    }
    let listed: Vec<_> = heap.listed().collect();
    let snapshot = Snapshot::build(
        heap.heap_start(),
        heap.brk(),
        Some(Pages {
            page_size: 65536,
            grown: 1,
        }),
        heap.config().policy,
        !heap.config().stores_next(),
        heap.blocks(),
        FreeList::group(&listed),
    );
    if snapshot.free_lists.is_empty() {
        return Err(ContractError(
            "the example heap has no free list to show".into(),
        ));
    }
    shapes.push(Shape::of(&snapshot)?);
    shapes.push(Shape::of(&OptionsJson(*heap.config(), true))?);

    // A scenario with every kind of statement.
    let parsed = scenario::parse(SCRIPT).map_err(|e| ContractError(e.to_string()))?;
    let mut seen = BTreeSet::new();
    for step in &parsed.steps {
        // A new kind of statement or pointer stops this compiling: give SCRIPT one of it.
        seen.insert(match step.stmt {
            Stmt::Malloc { .. } => "malloc",
            Stmt::Calloc { .. } => "calloc",
            Stmt::Realloc { .. } => "realloc",
            Stmt::Free { .. } => "free",
            Stmt::Strcpy { .. } => "strcpy",
            Stmt::Memset { .. } => "memset",
            Stmt::Store { .. } => "store",
            Stmt::Memcpy { .. } => "memcpy",
        });
        seen.insert(match step.stmt.ptr() {
            Some(Ptr::Name(_)) => "name",
            Some(Ptr::Address(_)) => "address",
            Some(Ptr::Inside { .. }) => "inside",
            None => "no pointer",
        });
    }
    if seen.len() != 12 {
        return Err(ContractError(format!(
            "contract.rs's SCRIPT shows only {seen:?}"
        )));
    }
    shapes.push(Shape::of(&parsed)?);
    if let Err(e) = scenario::parse("free(q)") {
        shapes.push(Shape::of(&ErrorAt::from(&e))?);
    }

    // A trace, replayed with samples.
    let trace = trace::generate(trace::Kind::Random, 50, 1);
    shapes.push(Shape::of(&TraceSummary::of(&trace))?);
    let mut memory = alloc::vec![MaybeUninit::new(0u8); 1 << 20];
    let heap = Heap::new(ArenaBreak::new(&mut memory), Options::DEFAULT);
    let options = ReplayOptions {
        fill: false,
        sample_every: 10,
    };
    let mut replayer = Replayer::new(&trace, heap, options);
    replayer
        .step(usize::MAX)
        .map_err(|e| ContractError(e.to_string()))?;
    shapes.push(Shape::of(&TraceProgress {
        done: replayer.done(),
        total: replayer.total(),
        samples: replayer.samples().to_vec(),
    })?);
    shapes.push(Shape::of(&replayer.stats())?);

    shapes.push(Shape::of(&Constants::with_page_size(65536))?);
    shapes.push(Shape::of(&PolicyInfo::all())?);
    shapes.push(Shape::of(&BLOCK_TABLE)?);
    Ok(shapes)
}
