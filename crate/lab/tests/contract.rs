//! The contract between the wasm module and the page: `www/generated/contract.ts` is exactly
//! what `brkalloc_lab::contract::typescript` writes from the Rust types, so a change on either
//! side that the other does not follow fails here. `BRKALLOC_WRITE_CONTRACT=1` writes the file
//! instead of comparing.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use brkalloc::{Event, Policy};
use brkalloc_lab::contract::{typescript, Shape};
use brkalloc_lab::json::{OptionsJson, OPTION_FIELDS};
use brkalloc_lab::wording::Function;

fn contract_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/generated/contract.ts")
}

#[test]
fn the_checked_in_contract_is_what_the_rust_types_generate() {
    let generated = typescript().unwrap_or_else(|e| panic!("the contract cannot be written: {e}"));
    let path = contract_file();
    if std::env::var_os("BRKALLOC_WRITE_CONTRACT").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != generated {
        let line = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| checked_in.lines().count().min(generated.lines().count()));
        panic!(
            "www/generated/contract.ts differs from what the Rust types generate, from line {}:\n\
             checked in: {:?}\n\
             generated:  {:?}\n\
             The Rust side changed a type the page reads: run\n\
             \tBRKALLOC_WRITE_CONTRACT=1 cargo test -p brkalloc-lab --test contract\n\
             to write the file again, then make the TypeScript that reads it follow.",
            line + 1,
            checked_in.lines().nth(line).unwrap_or("(end of file)"),
            generated.lines().nth(line).unwrap_or("(end of file)"),
        );
    }
}

/// Every kind of event the allocator lists is a variant of `HeapEvent`, tagged by `kind`, with
/// the fields the event says it has.
#[test]
fn every_event_kind_is_declared_with_its_fields() {
    let ts = typescript().unwrap();
    for event in brkalloc_lab::contract::example_events() {
        let mut variant = format!("{{ kind: {:?}", event.kind());
        for (name, value) in event.fields() {
            let ty = match value {
                brkalloc::observer::Value::Number(_) => "number",
                brkalloc::observer::Value::Flag(_) => "boolean",
            };
            variant.push_str(&format!("; {name}: {ty}"));
        }
        variant.push_str(" }");
        assert!(ts.contains(&variant), "{variant} in\n{ts}");
    }
    assert_eq!(
        brkalloc_lab::contract::example_events()
            .iter()
            .map(|e| e.kind())
            .collect::<Vec<_>>(),
        Event::KINDS
    );
}

/// The options a playground accepts one by one (`PlaygroundOptions`, written from
/// `OPTION_FIELDS`) are the fields the options serialise to.
#[test]
fn the_options_a_playground_takes_are_the_fields_options_serialise_to() {
    let json = serde_json::to_value(OptionsJson(brkalloc::Options::DEFAULT, true)).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut fields = OPTION_FIELDS.to_vec();
    fields.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, fields);
}

/// Names written from Rust constants: the policies in the order of `Policy::ALL`, the
/// functions of a call.
#[test]
fn policy_and_function_names_come_from_the_rust_lists() {
    let ts = typescript().unwrap();
    let policies: Vec<String> = Policy::ALL
        .iter()
        .map(|p| format!("{:?}", p.name()))
        .collect();
    assert!(ts.contains(&format!("export type Policy = {};", policies.join(" | "))));
    let functions: Vec<String> = Function::ALL
        .iter()
        .map(|f| format!("{:?}", f.name()))
        .collect();
    assert!(ts.contains(&format!(
        "export type FunctionName = {};",
        functions.join(" | ")
    )));
}

/// The shape recorder follows serde: renamed fields, `null`able options, internally tagged
/// variants, and a field seen only as `null` refused rather than guessed.
#[test]
fn shapes_follow_what_serde_writes() {
    let step = &brkalloc_lab::scenario::parse("p = malloc(8)")
        .unwrap()
        .steps[0];
    let Shape::Object { name, fields } = Shape::of(&step.stmt).unwrap() else {
        panic!("a statement is an object");
    };
    assert_eq!(name, Some("Stmt"));
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["op", "name", "size"]);
    assert_eq!(fields[0].1, Shape::Str("malloc".into()));
    assert!(matches!(fields[1].1, Shape::Option(_)));
    assert_eq!(Shape::of(&None::<u32>).unwrap(), Shape::Null);
}
