//! The `brkalloc` command line, run as a user would: replaying traces (as text, as JSON, with a
//! diagram), refusing malformed traces and bad arguments with exit code 2 and nothing on
//! standard output, each command's help, and replaying a generated trace of 100,000
//! operations.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::{Command, Output};

use brkalloc_lab::trace::{generate, Kind};

fn brkalloc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brkalloc"))
        .args(args)
        .output()
        .expect("the brkalloc binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 on stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 on stderr")
}

fn traces(file: &str) -> String {
    format!("{}/tests/traces/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("replay_cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output)).expect("stdout is one JSON value")
}

/// The peak live data of tests/traces/short.rep, by hand: after `a 4 4072` the live blocks are
/// 0 (2040), 2 (48) and 4 (4072); `r 2 96` then makes it 2040 + 96 + 4072.
const SHORT_PEAK_LIVE: u64 = 2040 + 96 + 4072;

#[test]
fn replay_prints_operations_peak_live_extent_utilisation_and_speed() {
    let output = brkalloc(&["replay", &traces("short.rep")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("operations    14 (6 alloc, 6 free, 2 realloc)"),
        "{text}"
    );
    assert!(text.contains("peak live     6,208 bytes"), "{text}");
    assert!(text.contains("heap extent"), "{text}");
    assert!(text.contains("utilisation"), "{text}");
    assert!(text.contains("operations per second"), "{text}");
    assert!(stderr(&output).is_empty());
}

#[test]
fn json_output_is_one_object_with_the_measurements() {
    let output = brkalloc(&[
        "replay",
        &traces("short.rep"),
        "--json",
        "--policy",
        "best-fit",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let v = json(&output);
    assert_eq!(v["operations"], 14);
    assert_eq!(
        (
            v["allocs"].as_u64(),
            v["frees"].as_u64(),
            v["reallocs"].as_u64()
        ),
        (Some(6), Some(6), Some(2))
    );
    assert_eq!(v["peakLive"], SHORT_PEAK_LIVE);
    let extent = v["peakExtent"].as_u64().unwrap();
    assert!(
        extent >= SHORT_PEAK_LIVE,
        "the heap holds at least the live data"
    );
    let utilisation = v["utilisation"].as_f64().unwrap();
    assert!((utilisation - SHORT_PEAK_LIVE as f64 / extent as f64).abs() < 1e-12);
    assert!(v["opsPerSecond"].as_f64().unwrap() > 0.0);
    assert!(v["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(v["options"]["policy"], "best-fit");
    assert_eq!(v["options"]["split"], true);
    assert_eq!(v["finalLive"], 0);
    assert_eq!(v["ids"], 6);
    assert!(v["series"].as_array().unwrap().is_empty());
}

#[test]
fn seed_preset_and_every_policy_replay() {
    for policy in [
        "first-fit",
        "next-fit",
        "best-fit",
        "worst-fit",
        "segregated",
    ] {
        for preset in [false, true] {
            let file = traces("coalesce-300.rep");
            let mut args = vec![
                "replay",
                file.as_str(),
                "--json",
                "--fill",
                "--policy",
                policy,
            ];
            if preset {
                args.push("--seed-preset");
            }
            let output = brkalloc(&args);
            assert!(output.status.success(), "{policy}: {}", stderr(&output));
            let v = json(&output);
            assert_eq!(v["operations"], 300);
            assert_eq!(v["options"]["policy"], policy);
            assert_eq!(v["options"]["coalesce"], !preset);
            assert_eq!(v["seedPreset"], preset);
        }
    }
}

/// `--derive` replays with each block's `next` derived from its size: the options say so, the
/// measurements are the same as with `next` stored, and the diagram says how `next` is found.
#[test]
fn derive_replays_the_same_and_says_next_is_derived() {
    let file = traces("coalesce-300.rep");
    let stored = json(&brkalloc(&["replay", &file, "--json", "--fill"]));
    let output = brkalloc(&["replay", &file, "--json", "--fill", "--derive"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let derived = json(&output);
    assert_eq!(stored["options"]["derive"], false);
    assert_eq!(derived["options"]["derive"], true);
    for key in [
        "operations",
        "peakLive",
        "peakExtent",
        "finalExtent",
        "finalLive",
    ] {
        assert_eq!(derived[key], stored[key], "{key}");
    }

    let dir = temp_dir("derive");
    let small = dir.join("three.rep");
    std::fs::write(&small, "0\n3\n3\n1\na 0 24\na 1 8\na 2 40\n").unwrap();
    let small = small.to_str().unwrap();
    let text = stdout(&brkalloc(&["replay", small, "--derive", "--diagram"]));
    assert!(text.contains("trim, next derived on the"), "{text}");
    assert!(text.contains("next is derived, not stored"), "{text}");
    assert!(text.contains("block 3 of 3"), "{text}");
    let text = stdout(&brkalloc(&["replay", small, "--diagram"]));
    assert!(!text.contains("derived"), "{text}");
}

#[test]
fn series_samples_every_n_operations() {
    let output = brkalloc(&[
        "replay",
        &traces("random-300.rep"),
        "--json",
        "--series=100",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let v = json(&output);
    let ops: Vec<u64> = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["op"].as_u64().unwrap())
        .collect();
    assert_eq!(ops, [0, 100, 200, 300]);
    let text = stdout(&brkalloc(&[
        "replay",
        &traces("random-300.rep"),
        "--series",
        "100",
    ]));
    assert!(text.contains("fragmentation"), "{text}");
}

#[test]
fn diagram_draws_headers_next_arrows_heap_start_and_break() {
    let dir = temp_dir("diagram");
    let small = dir.join("three.rep");
    std::fs::write(&small, "0\n3\n3\n1\na 0 24\na 1 8\na 2 40\n").unwrap();
    let output = brkalloc(&[
        "replay",
        small.to_str().unwrap(),
        "--diagram",
        "--seed-preset",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for part in [
        "heap start 0x",
        "| header |",
        "| next --+",
        "next = null",
        "program break 0x",
        "block 3 of 3",
        "3 blocks (3 used, 0 free)",
    ] {
        assert!(text.contains(part), "`{part}` in\n{text}");
    }
    assert!(!text.contains("more blocks"), "three blocks are all drawn");

    // Many blocks: the ends are drawn, the middle summed up on one line.
    let output = brkalloc(&[
        "replay",
        &traces("coalesce-300.rep"),
        "--diagram",
        "--seed-preset",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("more blocks:"), "{text}");
    assert_eq!(
        text.matches("| header |").count(),
        8,
        "four blocks at each end"
    );
}

#[test]
fn a_malformed_trace_exits_2_with_its_line_and_prints_nothing() {
    let output = brkalloc(&["replay", &traces("bad-double-free.rep"), "--json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "no partial output");
    let message = stderr(&output);
    assert!(message.contains("line 7"), "{message}");
    assert!(message.contains("freed twice"), "{message}");

    let dir = temp_dir("malformed");
    for (text, line) in [
        ("20000\n1\n2\n1\na 0 16\nq 0\n", "line 6"),
        ("20000\n1\n3\n1\na 0 16\nf 0\n", "line 6"),
        ("20000\n1\n1\n1\na 5 16\n", "line 5"),
        ("20000\nmany\n1\n1\n", "line 2"),
    ] {
        let file = dir.join("bad.rep");
        std::fs::write(&file, text).unwrap();
        let output = brkalloc(&["replay", file.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(output.stdout.is_empty());
        assert!(
            stderr(&output).contains(line),
            "{text}: {}",
            stderr(&output)
        );
    }
    let file = dir.join("binary.rep");
    std::fs::write(&file, b"20000\n1\n\xff\xfe\n").unwrap();
    let output = brkalloc(&["replay", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("line 3"), "{}", stderr(&output));
}

#[test]
fn running_out_of_memory_exits_1_naming_the_line() {
    let dir = temp_dir("oom");
    let file = dir.join("big.rep");
    std::fs::write(&file, "0\n2\n2\n1\na 0 100\na 1 3000000\n").unwrap();
    let output = brkalloc(&["replay", file.to_str().unwrap(), "--reserve", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let message = stderr(&output);
    assert!(
        message.contains("line 6 (`a 1 3000000`): out of memory"),
        "{message}"
    );
}

/// Usage errors take clap's usual form (its wording, exit 2, nothing on standard output);
/// what is wrong with the *content* of an argument (an unknown policy or kind, a number that is
/// not one, a file that cannot be read) keeps its own sentence.
#[test]
fn bad_arguments_give_a_usage_error() {
    let short = traces("short.rep");
    for (args, says) in [
        (
            vec!["replay", short.as_str(), "--policy", "worst"],
            "unknown policy `worst`",
        ),
        (
            vec!["replay", short.as_str(), "--fast"],
            "unexpected argument '--fast'",
        ),
        (
            vec!["replay", short.as_str(), "--policy"],
            "a value is required for '--policy <P>'",
        ),
        (
            vec!["replay", short.as_str(), "--json", "--diagram"],
            "cannot be used with",
        ),
        (
            vec!["replay", short.as_str(), "--series", "ten"],
            "`ten` is not one",
        ),
        (vec!["replay"], "required arguments were not provided"),
        (
            vec!["replay", short.as_str(), short.as_str()],
            "unexpected argument",
        ),
        (
            vec!["replay", "/no/such/file.rep"],
            "cannot read `/no/such/file.rep`",
        ),
        (
            vec!["gen", "spiral", "--ops", "10"],
            "unknown kind `spiral`",
        ),
        (vec!["gen", "random"], "--ops <N>"),
        (vec!["gen", "random", "--ops", "-3"], "`-3` is not one"),
        (vec!["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (vec![], "Usage: brkalloc replay FILE.rep"),
    ] {
        let output = brkalloc(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains(says), "{args:?}: {message}");
    }
}

#[test]
fn help_describes_both_commands() {
    for flag in ["--help", "-h", "help"] {
        let output = brkalloc(&[flag]);
        assert!(output.status.success());
        let text = stdout(&output);
        assert!(text.contains("brkalloc replay FILE.rep"), "{text}");
        assert!(text.contains("brkalloc gen KIND --ops N"), "{text}");
    }
}

#[test]
fn each_command_has_its_own_help() {
    let output = brkalloc(&["replay", "--help"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for part in [
        "Usage: brkalloc replay",
        "--policy",
        "--seed-preset",
        "--fill",
        "--series",
        "--reserve",
        "--json",
        "--diagram",
        "segregated",
    ] {
        assert!(text.contains(part), "`{part}` in\n{text}");
    }
    let output = brkalloc(&["gen", "--help"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for part in ["Usage: brkalloc gen", "--ops", "--seed", "-o, --output"] {
        assert!(text.contains(part), "`{part}` in\n{text}");
    }
    for kind in Kind::ALL {
        assert!(text.contains(kind.name()), "{kind} in\n{text}");
        assert!(text.contains(kind.summary()), "{kind} in\n{text}");
    }
    let output = brkalloc(&["help", "replay"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("--seed-preset"));
}

#[test]
fn gen_writes_the_trace_the_library_generates() {
    let output = brkalloc(&["gen", "grow", "--ops", "500", "--seed", "77"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        generate(Kind::Grow, 500, 77).to_rep_string()
    );

    let dir = temp_dir("gen");
    let file = dir.join("grow.rep");
    let output = brkalloc(&[
        "gen",
        "grow",
        "--ops=500",
        "--seed=77",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "the trace went to the file");
    assert!(stderr(&output).contains("wrote 500 operations"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        generate(Kind::Grow, 500, 77).to_rep_string()
    );
}

#[test]
fn a_generated_trace_of_100k_operations_replays() {
    let dir = temp_dir("big");
    for kind in ["random", "coalesce"] {
        let file = dir.join(format!("{kind}.rep"));
        let path = file.to_str().unwrap();
        let output = brkalloc(&["gen", kind, "--ops", "100000", "--seed", "42", "-o", path]);
        assert!(output.status.success(), "{}", stderr(&output));
        let output = brkalloc(&["replay", path, "--json", "--policy", "segregated"]);
        assert!(output.status.success(), "{kind}: {}", stderr(&output));
        let v = json(&output);
        assert_eq!(v["operations"], 100_000);
        let peak_live = v["peakLive"].as_u64().unwrap();
        assert!(peak_live > 0 && peak_live <= v["peakExtent"].as_u64().unwrap());
        let utilisation = v["utilisation"].as_f64().unwrap();
        assert!(utilisation > 0.0 && utilisation <= 1.0, "{utilisation}");
        assert!(v["opsPerSecond"].as_f64().unwrap() > 0.0);
    }
}
