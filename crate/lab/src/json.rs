//! Allocator values in the JSON the playground reads, written from what the values say of
//! themselves — an event's [`kind`](Event::kind) and named [`fields`](Event::fields), a
//! policy's [`name`](Policy::name) — so that nothing here restates their shape.
//!
//! Each is written as a named serde struct (`HeapEvent`, `Pages`, `Options`) or enum variant
//! (`Policy`), which JSON does not show but the contract generator (`contract.rs`) reads, to
//! name the TypeScript type it declares for it.
//!
//! ```
//! use brkalloc::Event;
//! use brkalloc_lab::json::EventJson;
//!
//! let e = Event::Split { block: 16, size: 32, rest: 64, rest_size: 48 };
//! assert_eq!(
//!     serde_json::to_string(&EventJson(&e)).unwrap(),
//!     r#"{"kind":"split","block":16,"size":32,"rest":64,"restSize":48}"#
//! );
//! ```

use brkalloc::observer::Value;
use brkalloc::{Event, Options, Pages, Policy};
use serde::ser::{Serialize, SerializeSeq, SerializeStruct, Serializer};

/// An [`Event`] as a JSON object: `{"kind": "split", "block": …, "size": …, …}`.
pub struct EventJson<'a>(pub &'a Event);

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = self.0.fields();
        let mut map = s.serialize_struct("HeapEvent", 1 + fields.clone().count())?;
        map.serialize_field("kind", self.0.kind())?;
        for (name, value) in fields {
            match value {
                Value::Number(n) => map.serialize_field(name, &n)?,
                Value::Flag(b) => map.serialize_field(name, &b)?,
            }
        }
        map.end()
    }
}

/// Events as a JSON array, for `#[serde(serialize_with = "json::events")]`.
pub fn events<S: Serializer>(events: &[Event], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(events.len()))?;
    for e in events {
        seq.serialize_element(&EventJson(e))?;
    }
    seq.end()
}

/// A policy by its name (`"first-fit"`, …), for `#[serde(serialize_with = "json::policy")]`.
pub fn policy<S: Serializer>(policy: &Policy, s: S) -> Result<S::Ok, S::Error> {
    let index = Policy::ALL.iter().position(|p| p == policy).unwrap_or(0);
    s.serialize_unit_variant("Policy", index as u32, policy.name())
}

/// Page accounting as `{"pageSize": …, "grown": …}`, or `null`, for
/// `#[serde(serialize_with = "json::pages")]`.
pub fn pages<S: Serializer>(pages: &Option<Pages>, s: S) -> Result<S::Ok, S::Error> {
    match pages {
        None => s.serialize_none(),
        Some(p) => s.serialize_some(&PagesJson(*p)),
    }
}

/// [`Pages`] as `{"pageSize": …, "grown": …}`.
struct PagesJson(Pages);

impl Serialize for PagesJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_struct("Pages", 2)?;
        map.serialize_field("pageSize", &self.0.page_size)?;
        map.serialize_field("grown", &self.0.grown)?;
        map.end()
    }
}

/// The presets `new Playground({ preset })` accepts, by name: the options each starts from.
pub const PRESETS: [(&str, Options); 2] = [("seed", Options::SEED), ("default", Options::DEFAULT)];

/// The fields of [`OptionsJson`], in order: the options a playground can be given one by one,
/// besides a preset.
pub const OPTION_FIELDS: [&str; 6] = ["policy", "split", "coalesce", "trim", "derive", "checks"];

/// [`Options`] as `{"policy": "first-fit", "split": …, "coalesce": …, "trim": …, "derive": …,
/// "checks": …}`, with whether the playground's `free` and `realloc` validate their pointers
/// (`checks`: the allocator's own checked operations) or do as C does (see [`crate::loose`]).
/// `derive` is [`Options::derive`]: each block's `next` derived from its size (boundary tags)
/// instead of stored in its header.
pub struct OptionsJson(pub Options, pub bool);

impl Serialize for OptionsJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let [policy_key, split, coalesce, trim, derive, checks] = OPTION_FIELDS;
        let mut map = s.serialize_struct("Options", OPTION_FIELDS.len())?;
        map.serialize_field(policy_key, &PolicyJson(o.policy))?;
        map.serialize_field(split, &o.split)?;
        map.serialize_field(coalesce, &o.coalesce)?;
        map.serialize_field(trim, &o.trim)?;
        map.serialize_field(derive, &o.derive)?;
        map.serialize_field(checks, &self.1)?;
        map.end()
    }
}

/// A [`Policy`] as [`policy`] writes it.
struct PolicyJson(Policy);

impl Serialize for PolicyJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        policy(&self.0, s)
    }
}

/// [`Options`] (checks on) for `#[serde(serialize_with = "json::options")]`.
pub fn options<S: Serializer>(options: &Options, s: S) -> Result<S::Ok, S::Error> {
    OptionsJson(*options, true).serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of event has a name, and its fields are named in camelCase.
    #[test]
    fn every_event_kind_is_named_and_its_fields_are_camel_case() {
        let e = Event::NewSegment {
            gap_from: 1,
            start: 2,
        };
        assert_eq!(
            serde_json::to_string(&EventJson(&e)).unwrap(),
            r#"{"kind":"new-segment","gapFrom":1,"start":2}"#
        );
        let v = Event::Visit {
            block: 3,
            size: 4,
            free: true,
            fits: false,
        };
        assert_eq!(
            serde_json::to_string(&EventJson(&v)).unwrap(),
            r#"{"kind":"visit","block":3,"size":4,"free":true,"fits":false}"#
        );
        assert!(Event::KINDS.iter().all(|k| !k.is_empty()));
    }

    /// The JSON of options and pages is unchanged by their being written as named structs.
    #[test]
    fn options_and_pages_serialise_as_plain_objects() {
        assert_eq!(
            serde_json::to_string(&OptionsJson(Options::SEED, true)).unwrap(),
            r#"{"policy":"first-fit","split":false,"coalesce":false,"trim":false,"derive":false,"checks":true}"#
        );
        let derived = Options {
            derive: true,
            ..Options::DEFAULT
        };
        assert_eq!(
            serde_json::to_value(OptionsJson(derived, true)).unwrap()["derive"],
            true
        );
        let pages = Some(Pages {
            page_size: 65536,
            grown: 3,
        });
        let mut out = Vec::new();
        super::pages(&pages, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"pageSize":65536,"grown":3}"#
        );
        for (name, options) in PRESETS {
            assert!(
                (name == "seed") == (options == Options::SEED),
                "{name}: {options:?}"
            );
            assert!(!options.derive, "{name} stores next in every header");
        }
    }
}
