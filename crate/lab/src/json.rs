//! Allocator values in the JSON the playground reads, written from what the values say of
//! themselves — an event's [`kind`](Event::kind) and named [`fields`](Event::fields), a
//! policy's [`name`](Policy::name) — so that nothing here restates their shape.
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
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// An [`Event`] as a JSON object: `{"kind": "split", "block": …, "size": …, …}`.
pub struct EventJson<'a>(pub &'a Event);

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = self.0.fields();
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("kind", self.0.kind())?;
        for (name, value) in fields {
            match value {
                Value::Number(n) => map.serialize_entry(name, &n)?,
                Value::Flag(b) => map.serialize_entry(name, &b)?,
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
    s.serialize_str(policy.name())
}

/// Page accounting as `{"pageSize": …, "grown": …}`, or `null`, for
/// `#[serde(serialize_with = "json::pages")]`.
pub fn pages<S: Serializer>(pages: &Option<Pages>, s: S) -> Result<S::Ok, S::Error> {
    match pages {
        None => s.serialize_none(),
        Some(p) => {
            let mut map = s.serialize_map(Some(2))?;
            map.serialize_entry("pageSize", &p.page_size)?;
            map.serialize_entry("grown", &p.grown)?;
            map.end()
        }
    }
}

/// [`Options`] as `{"policy": "first-fit", "split": …, "coalesce": …, "trim": …}`.
pub struct OptionsJson(pub Options);

impl Serialize for OptionsJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("policy", o.policy.name())?;
        map.serialize_entry("split", &o.split)?;
        map.serialize_entry("coalesce", &o.coalesce)?;
        map.serialize_entry("trim", &o.trim)?;
        map.end()
    }
}

/// [`Options`] for `#[serde(serialize_with = "json::options")]`.
pub fn options<S: Serializer>(options: &Options, s: S) -> Result<S::Ok, S::Error> {
    OptionsJson(*options).serialize(s)
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
}
