//! Scenario scripts: the parser reads the walk-through and every kind of comment and separator,
//! refuses each malformed script with the line and column of its first problem, leaves double
//! frees for the heap to refuse, and `format` writes scripts that parse back to the same steps.
//! Property tests lay random valid scenarios out in random ways, and feed the parser random
//! text, which must never make it panic.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::mem::MaybeUninit;

use brkalloc::{ArenaBreak, Heap, Options};
use brkalloc_lab::scenario::{self, format, parse, Ptr, Scenario, ScriptError, Stmt};
use proptest::prelude::*;

fn name(n: &str) -> Option<String> {
    Some(n.to_string())
}

fn by_name(n: &str) -> Ptr {
    Ptr::Name(n.to_string())
}

/// The statements of a script that must parse.
fn stmts(src: &str) -> Vec<Stmt> {
    match parse(src) {
        Ok(scenario) => scenario.steps.into_iter().map(|s| s.stmt).collect(),
        Err(e) => panic!("{src:?} should parse, but: {e}"),
    }
}

/// Parses a script that must be refused and checks the error's line, column and message, and
/// that its Display puts them together.
#[track_caller]
fn refused(src: &str, line: usize, column: usize, message: &str) {
    let error = match parse(src) {
        Ok(s) => panic!("{src:?} should be refused, but parsed as {s:?}"),
        Err(e) => e,
    };
    assert_eq!(
        error,
        ScriptError {
            line,
            column,
            message: message.to_string()
        },
        "for {src:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("line {line}, column {column}: {message}")
    );
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

const WALK_THROUGH: &str = "\
// The brief's walk-through
a = malloc(24);      # comments: // and # to end of line, and /* ... */ blocks
b = malloc(8); c = malloc(40)
free(b)              // statements end with ';' or a newline
free(c);
d = malloc(8)
e = realloc(a, 64)   // realloc of a named pointer
f = calloc(4, 8)
malloc(16)           // an unnamed allocation is allowed
free(0x00120040)     // a literal address
";

// ---------------------------------------------------------------------------------------------
// Well-formed scripts

#[test]
fn parses_the_walk_through_with_every_position() {
    let scenario = parse(WALK_THROUGH).unwrap();
    let expected = [
        (
            2,
            1,
            "a = malloc(24)",
            Stmt::Malloc {
                name: name("a"),
                size: 24,
            },
        ),
        (
            3,
            1,
            "b = malloc(8)",
            Stmt::Malloc {
                name: name("b"),
                size: 8,
            },
        ),
        (
            3,
            16,
            "c = malloc(40)",
            Stmt::Malloc {
                name: name("c"),
                size: 40,
            },
        ),
        (4, 1, "free(b)", Stmt::Free { ptr: by_name("b") }),
        (5, 1, "free(c)", Stmt::Free { ptr: by_name("c") }),
        (
            6,
            1,
            "d = malloc(8)",
            Stmt::Malloc {
                name: name("d"),
                size: 8,
            },
        ),
        (
            7,
            1,
            "e = realloc(a, 64)",
            Stmt::Realloc {
                name: name("e"),
                ptr: by_name("a"),
                size: 64,
            },
        ),
        (
            8,
            1,
            "f = calloc(4, 8)",
            Stmt::Calloc {
                name: name("f"),
                count: 4,
                size: 8,
            },
        ),
        (
            9,
            1,
            "malloc(16)",
            Stmt::Malloc {
                name: None,
                size: 16,
            },
        ),
        (
            10,
            1,
            "free(0x00120040)",
            Stmt::Free {
                ptr: Ptr::Address(0x0012_0040),
            },
        ),
    ];
    assert_eq!(scenario.steps.len(), expected.len());
    for (step, (line, column, text, stmt)) in scenario.steps.iter().zip(expected) {
        assert_eq!((step.line, step.column), (line, column), "{text}");
        assert_eq!(&WALK_THROUGH[step.span.clone()], text);
        assert_eq!(step.stmt, stmt);
    }
}

#[test]
fn line_comments_with_slashes_or_hash_run_to_the_end_of_the_line() {
    let src =
        "// a = malloc(1)\n# b = malloc(2)\nc = malloc(3) // free(c)\nfree(c) # d = malloc(4)";
    assert_eq!(
        stmts(src),
        [
            Stmt::Malloc {
                name: name("c"),
                size: 3
            },
            Stmt::Free { ptr: by_name("c") },
        ]
    );
    // Comment markers inside a comment are only text; a comment may end the script.
    assert_eq!(
        stmts("// /* not a block\n# // nor this\nmalloc(1) # end"),
        [Stmt::Malloc {
            name: None,
            size: 1
        }]
    );
}

#[test]
fn block_comments_fit_anywhere_a_space_does() {
    let src = "/* intro */ a /**/ = /* size: */ malloc( /* 16 */ 16 /* bytes */ ) /* done */";
    assert_eq!(
        stmts(src),
        [Stmt::Malloc {
            name: name("a"),
            size: 16
        }]
    );
    let scenario = parse(src).unwrap();
    assert_eq!((scenario.steps[0].line, scenario.steps[0].column), (1, 13));
    // `//` and `#` inside a block comment do not hide its end.
    assert_eq!(
        stmts("/* // # */ malloc(2)"),
        [Stmt::Malloc {
            name: None,
            size: 2
        }]
    );
}

#[test]
fn a_block_comment_spanning_lines_ends_a_statement_like_a_line_break() {
    assert_eq!(
        stmts("a = malloc(1) /* first\n   then */ b = malloc(2)"),
        [
            Stmt::Malloc {
                name: name("a"),
                size: 1
            },
            Stmt::Malloc {
                name: name("b"),
                size: 2
            },
        ]
    );
    let steps = parse("/*\n\n*/ free(0)").unwrap().steps;
    assert_eq!((steps[0].line, steps[0].column), (3, 4));
}

#[test]
fn semicolons_and_line_breaks_both_end_statements() {
    let one_line = stmts("a = malloc(1); b = malloc(2); free(a); free(b)");
    let lines = stmts("a = malloc(1)\nb = malloc(2)\nfree(a)\nfree(b)\n");
    let mixed = stmts("a = malloc(1);\r\nb = malloc(2)\r\n\r\nfree(a); free(b);");
    assert_eq!(one_line.len(), 4);
    assert_eq!(one_line, lines);
    assert_eq!(one_line, mixed);
}

#[test]
fn empty_statements_blank_lines_and_empty_scripts_are_fine() {
    assert_eq!(
        stmts(";;\n\n ; malloc(1);;\n;"),
        [Stmt::Malloc {
            name: None,
            size: 1
        }]
    );
    assert_eq!(parse("").unwrap(), Scenario::default());
    assert_eq!(
        parse("  \n// only a comment\n/* and another */\n")
            .unwrap()
            .steps,
        []
    );
}

#[test]
fn spaces_tabs_and_pasted_non_breaking_spaces_are_only_spaces() {
    assert_eq!(
        stmts("\ta\u{a0}=\u{a0}calloc ( 4 ,\t8 ) ;"),
        [Stmt::Calloc {
            name: name("a"),
            count: 4,
            size: 8
        }]
    );
}

#[test]
fn numbers_are_decimal_or_hex_up_to_u32_max() {
    assert_eq!(
        stmts("malloc(0)\nmalloc(0x18)\nmalloc(0XfF)\nmalloc(4294967295)\nfree(0xffffffff)\nfree(1179712)"),
        [
            Stmt::Malloc { name: None, size: 0 },
            Stmt::Malloc { name: None, size: 24 },
            Stmt::Malloc { name: None, size: 255 },
            Stmt::Malloc { name: None, size: u32::MAX },
            Stmt::Free { ptr: Ptr::Address(0xffff_ffff) },
            Stmt::Free { ptr: Ptr::Address(0x0012_0040) },
        ]
    );
}

#[test]
fn realloc_may_keep_the_name_take_another_or_none() {
    assert_eq!(
        stmts("a = malloc(8)\na = realloc(a, 16)\nb = realloc(a, 32)\nrealloc(b, 8)\nrealloc(0x10, 4)"),
        [
            Stmt::Malloc { name: name("a"), size: 8 },
            Stmt::Realloc { name: name("a"), ptr: by_name("a"), size: 16 },
            Stmt::Realloc { name: name("b"), ptr: by_name("a"), size: 32 },
            Stmt::Realloc { name: None, ptr: by_name("b"), size: 8 },
            Stmt::Realloc { name: None, ptr: Ptr::Address(16), size: 4 },
        ]
    );
}

#[test]
fn names_are_c_identifiers_and_case_sensitive() {
    assert_eq!(
        stmts("_buf2 = malloc(1); Buf = malloc(2); free(_buf2); free(Buf)"),
        [
            Stmt::Malloc {
                name: name("_buf2"),
                size: 1
            },
            Stmt::Malloc {
                name: name("Buf"),
                size: 2
            },
            Stmt::Free {
                ptr: by_name("_buf2")
            },
            Stmt::Free {
                ptr: by_name("Buf")
            },
        ]
    );
    refused(
        "buf = malloc(1)\nfree(Buf)",
        2,
        6,
        "'Buf' is used before it is assigned: assign it first, as in 'Buf = malloc(16)'; did \
         you mean 'buf'?",
    );
}

#[test]
fn a_double_free_of_a_name_parses_so_the_heap_can_refuse_it() {
    // `b` keeps `a` from being the last block, which `free` would give back to the break.
    let src = "a = malloc(16); b = malloc(8); free(a); free(a)";
    assert_eq!(
        stmts(src),
        [
            Stmt::Malloc {
                name: name("a"),
                size: 16
            },
            Stmt::Malloc {
                name: name("b"),
                size: 8
            },
            Stmt::Free { ptr: by_name("a") },
            Stmt::Free { ptr: by_name("a") },
        ]
    );
    // So do using a name after realloc, and assigning a name twice (a leak, as in C).
    stmts("a = malloc(8); b = realloc(a, 64); free(a); b = malloc(1); b = malloc(2)");

    let outcomes = run(&parse(src).unwrap());
    assert!(outcomes[..3].iter().all(Result::is_ok), "{outcomes:?}");
    let refusal = outcomes[3].as_ref().unwrap_err();
    assert!(
        refusal.contains("double free"),
        "the heap explains: {refusal}"
    );
}

#[test]
fn the_walk_through_runs_on_a_heap_step_by_step() {
    let outcomes = run(&parse(WALK_THROUGH).unwrap());
    assert_eq!(outcomes.len(), 10);
    // Every call but the last succeeds; the made-up address is not a block of this heap.
    for (i, outcome) in outcomes[..9].iter().enumerate() {
        assert!(outcome.is_ok(), "step {i}: {outcome:?}");
    }
    let refusal = outcomes[9].as_ref().unwrap_err();
    assert!(refusal.contains("0x00120040"), "{refusal}");
}

/// Runs a scenario on a fresh heap the way the playground does: names hold the address their
/// last assignment returned, a refused step changes nothing, and the next step runs anyway.
/// Returns each step's address (or `None` for `free`), or the heap's refusal.
fn run(scenario: &Scenario) -> Vec<Result<Option<usize>, String>> {
    let mut buffer = vec![MaybeUninit::new(0u8); 1 << 16];
    let mut heap = Heap::new(ArenaBreak::new(&mut buffer), Options::SEED);
    let mut names: HashMap<String, usize> = HashMap::new();
    let address = |ptr: &Ptr, names: &HashMap<String, usize>| match ptr {
        Ptr::Name(n) => names[n],
        Ptr::Address(a) => usize::try_from(*a).unwrap(),
        Ptr::Inside { name, offset } => names[name] + *offset as usize,
    };
    let mut outcomes = Vec::new();
    for step in &scenario.steps {
        let outcome = match &step.stmt {
            Stmt::Malloc { size, .. } => heap
                .alloc(*size as usize)
                .map(|p| Some(p.as_ptr() as usize))
                .map_err(|e| e.to_string()),
            Stmt::Calloc { count, size, .. } => heap
                .calloc(*count as usize, *size as usize)
                .map(|p| Some(p.as_ptr() as usize))
                .map_err(|e| e.to_string()),
            Stmt::Realloc { ptr, size, .. } => heap
                .realloc(
                    std::ptr::without_provenance_mut(address(ptr, &names)),
                    *size as usize,
                )
                .map(|p| Some(p.as_ptr() as usize))
                .map_err(|e| e.to_string()),
            Stmt::Free { ptr } => heap
                .free(std::ptr::without_provenance_mut(address(ptr, &names)))
                .map(|()| None)
                .map_err(|e| e.to_string()),
            Stmt::Strcpy { ptr, text } => {
                let mut bytes = text.clone().into_bytes();
                bytes.push(0);
                brkalloc_lab::write::write(&mut heap, address(ptr, &names), &bytes).map(|_| None)
            }
            Stmt::Memset { ptr, byte, count } => brkalloc_lab::write::write(
                &mut heap,
                address(ptr, &names),
                &vec![*byte; *count as usize],
            )
            .map(|_| None),
            Stmt::Store { ptr, index, byte } => brkalloc_lab::write::write(
                &mut heap,
                address(ptr, &names) + *index as usize,
                &[*byte],
            )
            .map(|_| None),
            Stmt::Memcpy { ptr, src, count } => brkalloc_lab::write::copy(
                &mut heap,
                address(ptr, &names),
                address(src, &names),
                *count as usize,
            )
            .map(|_| None),
        };
        if let (Some(n), Ok(Some(a))) = (step.stmt.name(), &outcome) {
            names.insert(n.to_string(), *a);
        }
        heap.check().unwrap();
        outcomes.push(outcome);
    }
    outcomes
}

#[test]
fn serializes_to_camel_case_json_the_playground_can_read() {
    let scenario = parse("a = malloc(24)\nfree(a); realloc(0x10, 8)").unwrap();
    let json = serde_json::to_value(&scenario).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"steps": [
            {"line": 1, "column": 1, "span": {"start": 0, "end": 14},
             "stmt": {"op": "malloc", "name": "a", "size": 24}},
            {"line": 2, "column": 1, "span": {"start": 15, "end": 22},
             "stmt": {"op": "free", "ptr": {"name": "a"}}},
            {"line": 2, "column": 10, "span": {"start": 24, "end": 40},
             "stmt": {"op": "realloc", "name": null, "ptr": {"address": 16}, "size": 8}},
        ]})
    );
    let error = parse("mallok(4)").unwrap_err();
    let json = serde_json::to_value(&error).unwrap();
    assert_eq!(json["line"], 1);
    assert_eq!(json["column"], 1);
    assert_eq!(
        json["message"],
        serde_json::Value::from(error.message.as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed scripts: each refused at its first problem

#[test]
fn refuses_an_unknown_function_and_suggests_the_closest() {
    refused(
        "mallok(4)",
        1,
        1,
        "unknown function 'mallok': the functions are malloc, calloc, realloc, free, strcpy, memset and memcpy; did you \
         mean 'malloc'?",
    );
    refused(
        "a = malloc(4)\nb = reallok(a, 8)",
        2,
        5,
        "unknown function 'reallok': the functions are malloc, calloc, realloc, free, strcpy, memset and memcpy; did you \
         mean 'realloc'?",
    );
    refused(
        "delete(a)",
        1,
        1,
        "unknown function 'delete': the functions are malloc, calloc, realloc, free, strcpy, memset and memcpy; did you \
         mean 'free'?",
    );
    refused(
        "printf(4)",
        1,
        1,
        "unknown function 'printf': the functions are malloc, calloc, realloc, free, strcpy, memset and memcpy",
    );
}

#[test]
fn refuses_a_missing_parenthesis() {
    refused("malloc 16", 1, 8, "expected '(' after 'malloc', found '16'");
    refused(
        "a = malloc 16",
        1,
        12,
        "expected '(' after 'a = malloc', found '16'",
    );
    refused(
        "a = malloc(16\nfree(a)",
        1,
        14,
        "expected ')' after 'malloc(16', found the end of the line",
    );
    refused(
        "malloc(16 // the size",
        1,
        10,
        "expected ')' after 'malloc(16', found the end of the script",
    );
    refused(
        "a = malloc(8)\nb = realloc(a, 16",
        2,
        18,
        "expected ')' after 'realloc(a, 16', found the end of the script",
    );
}

#[test]
fn refuses_a_missing_comma() {
    refused(
        "calloc(4 8)",
        1,
        10,
        "expected ',' after 'calloc(4', found '8': calloc takes two arguments, calloc(count, size)",
    );
    refused(
        "a = malloc(1)\nrealloc(a)",
        2,
        10,
        "expected ',' after 'realloc(a', found ')': realloc takes two arguments, realloc(pointer, \
         size)",
    );
}

#[test]
fn refuses_a_missing_argument() {
    // The brief's own example.
    refused(
        "a = malloc(1)\nfree(a)\nb = malloc()",
        3,
        12,
        "expected a size (a number) after 'malloc(', found ')'",
    );
    refused(
        "calloc(4, )",
        1,
        11,
        "expected a size (a number) after 'calloc(4, ', found ')'",
    );
    refused(
        "calloc(, 4)",
        1,
        8,
        "expected a count (a number) after 'calloc(', found ','",
    );
    refused(
        "free()",
        1,
        6,
        "expected a pointer (a name or an address) after 'free(', found ')'",
    );
    refused(
        "realloc(, 4)",
        1,
        9,
        "expected a pointer (a name or an address) after 'realloc(', found ','",
    );
    refused(
        "malloc(\n16)",
        1,
        8,
        "expected a size (a number) after 'malloc(', found the end of the line",
    );
}

#[test]
fn refuses_an_extra_argument() {
    refused(
        "malloc(16, 32)",
        1,
        10,
        "expected ')' after 'malloc(16', found ',': malloc takes one argument, malloc(size)",
    );
    refused(
        "a = malloc(1); b = malloc(1)\nfree(a, b)",
        2,
        7,
        "expected ')' after 'free(a', found ',': free takes one argument, free(pointer)",
    );
    refused(
        "calloc(1, 2, 3)",
        1,
        12,
        "expected ')' after 'calloc(1, 2', found ',': calloc takes two arguments, calloc(count, \
         size)",
    );
}

#[test]
fn refuses_what_is_not_a_number() {
    refused(
        "malloc(abc)",
        1,
        8,
        "expected a size (a number) after 'malloc(', found 'abc'",
    );
    refused(
        "malloc(12abc)",
        1,
        8,
        "'12abc' is not a number: write a size in decimal, like 24, or in hex, like 0x18",
    );
    refused(
        "calloc(0x, 4)",
        1,
        8,
        "'0x' is not a number: write a count in decimal, like 4, or in hex, like 0x4",
    );
    refused(
        "free(0xg)",
        1,
        6,
        "'0xg' is not a number: write an address in decimal, like 1179712, or in hex, like \
         0x00120040",
    );
    refused(
        "malloc(012)",
        1,
        8,
        "'012' starts with 0, which C would read as octal: write 12, or use 0x for hex",
    );
    refused(
        "malloc(sizeof(int))",
        1,
        8,
        "expected a size (a number) after 'malloc(', found 'sizeof': sizeof is not part of a \
         scenario; write the number of bytes, such as 4 for an int",
    );
    refused(
        "malloc(2.5)",
        1,
        9,
        "expected ')' after 'malloc(2', found '.'",
    );
}

#[test]
fn refuses_a_number_too_large_for_a_32_bit_heap() {
    refused(
        "malloc(4294967296)",
        1,
        8,
        "'4294967296' is too large for a 32-bit heap: a size is at most 4294967295 (0xffffffff)",
    );
    refused(
        "free(0x100000000)",
        1,
        6,
        "'0x100000000' is too large for a 32-bit heap: an address is at most 4294967295 \
         (0xffffffff)",
    );
    // Long numbers are quoted cut short.
    refused(
        "calloc(123456789012345678901234567890, 1)",
        1,
        8,
        "'123456789012345678901234...' is too large for a 32-bit heap: a count is at most \
         4294967295 (0xffffffff)",
    );
}

#[test]
fn refuses_negative_numbers() {
    refused("malloc(-1)", 1, 8, "a size cannot be negative, found '-1'");
    refused(
        "calloc(-2, 4)",
        1,
        8,
        "a count cannot be negative, found '-2'",
    );
    refused(
        "calloc(2, -0x4)",
        1,
        11,
        "a size cannot be negative, found '-0x4'",
    );
    refused(
        "free(-8)",
        1,
        6,
        "an address cannot be negative, found '-8'",
    );
    refused(
        "malloc(-)",
        1,
        8,
        "expected a size (a number) after 'malloc(', found '-'",
    );
}

#[test]
fn refuses_a_name_used_before_it_is_assigned_naming_the_line() {
    refused(
        "a = malloc(4)\n\nfree(x)",
        3,
        6,
        "'x' is used before it is assigned: assign it first, as in 'x = malloc(16)'",
    );
    refused(
        "free(x)\nx = malloc(4)",
        1,
        6,
        "'x' is used before it is assigned: it is first assigned on line 2, further down; assign \
         it before it is used",
    );
    refused(
        "a = realloc(a, 8)",
        1,
        13,
        "'a' is used before it is assigned: assign it first, as in 'a = malloc(16)'",
    );
    refused(
        "buffer = malloc(4)\nfree(bufer)",
        2,
        6,
        "'bufer' is used before it is assigned: assign it first, as in 'bufer = malloc(16)'; did \
         you mean 'buffer'?",
    );
    refused(
        "free(NULL)",
        1,
        6,
        "'NULL' is not a name here: write 0 for a null pointer",
    );
    // A name error comes before any later syntax error, and is still reported with one there.
    refused(
        "free(x)\nmalloc(",
        1,
        6,
        "'x' is used before it is assigned: assign it first, as in 'x = malloc(16)'",
    );
}

#[test]
fn refuses_an_unterminated_block_comment_where_it_opens() {
    refused(
        "a = malloc(4)\n  /* never\nclosed",
        2,
        3,
        "this comment is never closed: a comment that starts with '/*' ends with '*/'",
    );
    refused(
        "malloc(/*4)",
        1,
        8,
        "this comment is never closed: a comment that starts with '/*' ends with '*/'",
    );
}

#[test]
fn refuses_text_after_a_statement() {
    refused(
        "a = malloc(4) b",
        1,
        15,
        "expected ';' or a new line after 'a = malloc(4)', found 'b'",
    );
    refused(
        "a = malloc(0x4) free(a)",
        1,
        17,
        "expected ';' or a new line after 'a = malloc(0x4)', found 'free'",
    );
    refused(
        "a = malloc(1)\nfree(a))",
        2,
        8,
        "expected ';' or a new line after 'free(a)', found ')'",
    );
}

#[test]
fn refuses_assigning_free() {
    refused(
        "a = malloc(4)\nx = free(a)",
        2,
        5,
        "free returns nothing, so there is nothing to assign to 'x': write free(...) on its own, \
         without 'x ='",
    );
}

#[test]
fn refuses_stray_characters() {
    refused(
        "a = malloc(4) @",
        1,
        15,
        "expected ';' or a new line after 'a = malloc(4)', found '@'",
    );
    refused(
        "@a = malloc(4)",
        1,
        1,
        "expected a statement such as 'a = malloc(16)' or 'free(a)', found '@'",
    );
    refused(
        "malloc(4*8)",
        1,
        9,
        "expected ')' after 'malloc(4', found '*'",
    );
    refused(
        "malloc(4) */",
        1,
        11,
        "expected ';' or a new line after 'malloc(4)', found '*/'",
    );
    refused(
        "malloc(\"4\")",
        1,
        8,
        "expected a size (a number) after 'malloc(', found '\"4\"'",
    );
    refused(
        "malloc(4)\u{1}",
        1,
        10,
        "expected ';' or a new line after 'malloc(4)', found '\\u{1}'",
    );
    // Columns count characters, not bytes.
    refused(
        "/* é */ malloc(4)；",
        1,
        18,
        "expected ';' or a new line after 'malloc(4)', found '；'",
    );
}

#[test]
fn refuses_statements_that_are_not_calls() {
    refused(
        "16",
        1,
        1,
        "expected a statement such as 'a = malloc(16)' or 'free(a)', found '16'",
    );
    refused(
        "a",
        1,
        2,
        "expected '=' (as in 'a = malloc(16)') or '(' (as in 'free(a)') after 'a', found the end \
         of the script",
    );
    refused(
        "a = 16",
        1,
        5,
        "expected a call to malloc, calloc or realloc after 'a =', found '16'",
    );
    refused(
        "a = \nmalloc(4)",
        1,
        4,
        "expected a call to malloc, calloc or realloc after 'a =', found the end of the line",
    );
    refused(
        "a = malloc(4); b = a",
        1,
        20,
        "expected a call to malloc, calloc or realloc after 'b =', found 'a': a name is set only \
         from what malloc, calloc or realloc returns",
    );
    refused(
        "malloc = malloc(4)",
        1,
        1,
        "'malloc' is a function, so it cannot name a pointer; choose another name, such as 'p'",
    );
    refused(
        "free(malloc(4))",
        1,
        6,
        "expected a pointer (a name or an address) after 'free(', found 'malloc': calls cannot be \
         nested; write 'p = malloc(...)' first, then use 'p'",
    );
}

#[test]
fn reports_the_first_problem_in_the_text_and_counts_crlf_lines() {
    refused(
        "a = malloc(4) b\n@ /*",
        1,
        15,
        "expected ';' or a new line after 'a = malloc(4)', found 'b'",
    );
    refused(
        "a = malloc(4)\r\nmallok(4)\r\n",
        2,
        1,
        "unknown function 'mallok': the functions are malloc, calloc, realloc, free, strcpy, memset and memcpy; did you \
         mean 'malloc'?",
    );
}

// ---------------------------------------------------------------------------------------------
// Back to text

#[test]
fn format_writes_one_canonical_statement_a_line() {
    let scenario = parse(WALK_THROUGH).unwrap();
    let text = format(&scenario);
    assert_eq!(
        text,
        "a = malloc(24)\nb = malloc(8)\nc = malloc(40)\nfree(b)\nfree(c)\nd = malloc(8)\n\
         e = realloc(a, 64)\nf = calloc(4, 8)\nmalloc(16)\nfree(0x00120040)\n"
    );
    let again = parse(&text).unwrap();
    let stmts = |s: &Scenario| s.steps.iter().map(|s| s.stmt.clone()).collect::<Vec<_>>();
    assert_eq!(stmts(&again), stmts(&scenario));
    for (i, step) in again.steps.iter().enumerate() {
        assert_eq!((step.line, step.column), (i + 1, 1));
    }
    assert_eq!(format(&again), text);
    assert_eq!(format(&Scenario::default()), "");
}

#[test]
fn format_writes_hex_literals_as_hex_and_statements_display_alone() {
    let scenario = parse("free(1179712); x = realloc(0X0, 0x20)").unwrap();
    assert_eq!(
        format(&scenario),
        "free(0x00120040)\nx = realloc(0x00000000, 32)\n"
    );
    assert_eq!(
        scenario.steps[1].stmt.to_string(),
        "x = realloc(0x00000000, 32)"
    );
    assert_eq!(scenario.steps[1].stmt.name(), Some("x"));
    assert_eq!(
        scenario.steps[0].stmt.ptr(),
        Some(&Ptr::Address(0x0012_0040))
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

/// A statement before its names are resolved: a `Use(i)` picks among the names assigned so
/// far, so every generated scenario is valid.
#[derive(Clone, Debug)]
enum Raw {
    Malloc(Option<String>, u32),
    Calloc(Option<String>, u32, u32),
    Realloc(Option<String>, RawPtr, u32),
    Free(RawPtr),
}

#[derive(Clone, Debug)]
enum RawPtr {
    Use(usize),
    Address(u32),
}

fn identifier() -> impl Strategy<Value = String> + Clone {
    "[a-zA-Z_][a-zA-Z0-9_]{0,7}".prop_filter("not a function name", |n| {
        !matches!(n.as_str(), "malloc" | "calloc" | "realloc" | "free")
    })
}

fn raw_ptr() -> impl Strategy<Value = RawPtr> {
    prop_oneof![
        4 => any::<usize>().prop_map(RawPtr::Use),
        1 => any::<u32>().prop_map(RawPtr::Address),
    ]
}

fn raw() -> impl Strategy<Value = Raw> {
    let size = prop_oneof![0u32..100, any::<u32>()];
    let name = proptest::option::weighted(0.8, identifier());
    prop_oneof![
        (name.clone(), size.clone()).prop_map(|(n, s)| Raw::Malloc(n, s)),
        (name.clone(), 0u32..10, size.clone()).prop_map(|(n, c, s)| Raw::Calloc(n, c, s)),
        (name, raw_ptr(), size).prop_map(|(n, p, s)| Raw::Realloc(n, p, s)),
        raw_ptr().prop_map(Raw::Free),
    ]
}

/// Valid statements: every name used was assigned by an earlier statement (or the same
/// `realloc`'s result is assigned after its pointer is read).
fn valid_stmts() -> impl Strategy<Value = Vec<Stmt>> {
    proptest::collection::vec(raw(), 0..24).prop_map(|raws| {
        let mut assigned: Vec<String> = Vec::new();
        let resolve = |p: RawPtr, assigned: &Vec<String>| match p {
            RawPtr::Use(i) if !assigned.is_empty() => {
                Ptr::Name(assigned[i % assigned.len()].clone())
            }
            RawPtr::Use(i) => Ptr::Address(i as u64 & 0xffff_ffff),
            RawPtr::Address(a) => Ptr::Address(u64::from(a)),
        };
        raws.into_iter()
            .map(|r| {
                let stmt = match r {
                    Raw::Malloc(name, size) => Stmt::Malloc { name, size },
                    Raw::Calloc(name, count, size) => Stmt::Calloc { name, count, size },
                    Raw::Realloc(name, p, size) => Stmt::Realloc {
                        name,
                        ptr: resolve(p, &assigned),
                        size,
                    },
                    Raw::Free(p) => Stmt::Free {
                        ptr: resolve(p, &assigned),
                    },
                };
                if let Some(n) = stmt.name() {
                    assigned.push(n.to_string());
                }
                stmt
            })
            .collect()
    })
}

/// Picks layout choices from a list of random bytes, cycling through it.
struct Dice {
    bytes: Vec<u8>,
    next: usize,
}

impl Dice {
    fn pick<'c>(&mut self, choices: &[&'c str]) -> &'c str {
        let byte = self.bytes[self.next % self.bytes.len()];
        self.next += 1;
        choices[usize::from(byte) % choices.len()]
    }

    fn number(&mut self, value: u32) -> String {
        match self.pick(&["dec", "hex", "HEX", "padded"]) {
            "dec" => value.to_string(),
            "hex" => format!("0x{value:x}"),
            "HEX" => format!("0X{value:X}"),
            _ => format!("0x{value:08x}"),
        }
    }
}

/// Writes statements with random spacing, comments, separators and number bases, and returns
/// the text with each statement's byte range.
fn lay_out(stmts: &[Stmt], dice: &mut Dice) -> (String, Vec<std::ops::Range<usize>>) {
    const GAPS: &[&str] = &[
        "",
        " ",
        "  ",
        "\t",
        " /* c */ ",
        "/**/",
        "\u{a0}",
        "/* é */",
    ];
    const SEPARATORS: &[&str] = &[
        ";",
        "\n",
        " ;\n",
        "\n\n",
        "; // note\n",
        " # note é\n",
        ";\r\n",
        "\r\n",
        " /* two\nlines */ ",
        ";;",
        "; ; ",
    ];
    let mut text =
        String::from(dice.pick(&["", "// title\n", "# title\n", "/* a\n b */\n", "\n\n", "  "]));
    let mut spans = Vec::new();
    for (i, stmt) in stmts.iter().enumerate() {
        if i > 0 {
            text.push_str(dice.pick(SEPARATORS));
            text.push_str(dice.pick(&["", " ", "\t", "/* c */ "]));
        }
        let mut tokens: Vec<String> = Vec::new();
        if let Some(name) = stmt.name() {
            tokens.extend([name.to_string(), "=".to_string()]);
        }
        let ptr = |p: &Ptr, dice: &mut Dice| match p {
            Ptr::Name(n) => n.clone(),
            Ptr::Address(a) => dice.number(*a as u32),
            Ptr::Inside { name, offset } => format!("{name} + {}", dice.number(*offset)),
        };
        match stmt {
            Stmt::Malloc { size, .. } => {
                tokens.extend(["malloc".into(), "(".into(), dice.number(*size), ")".into()])
            }
            Stmt::Calloc { count, size, .. } => tokens.extend([
                "calloc".into(),
                "(".into(),
                dice.number(*count),
                ",".into(),
                dice.number(*size),
                ")".into(),
            ]),
            Stmt::Realloc { ptr: p, size, .. } => {
                let p = ptr(p, dice);
                tokens.extend([
                    "realloc".into(),
                    "(".into(),
                    p,
                    ",".into(),
                    dice.number(*size),
                    ")".into(),
                ])
            }
            Stmt::Free { ptr: p } => {
                let p = ptr(p, dice);
                tokens.extend(["free".into(), "(".into(), p, ")".into()])
            }
            // Writes are laid out in their canonical form.
            other => tokens.push(other.to_string()),
        }
        let start = text.len();
        for (j, token) in tokens.iter().enumerate() {
            if j > 0 {
                text.push_str(dice.pick(GAPS));
            }
            text.push_str(token);
        }
        spans.push(start..text.len());
    }
    text.push_str(dice.pick(&["", ";", "\n", " // end", "# end", "/* end */", ";\n"]));
    (text, spans)
}

/// What must hold of any text, whether or not it parses: no panic (the caller's job), an error
/// that points inside the text, and steps whose positions agree with their spans and which
/// `format` writes back to the same statements.
fn check_outcome(src: &str) -> Result<(), TestCaseError> {
    match parse(src) {
        Err(e) => {
            let lines: Vec<&str> = src.split('\n').collect();
            prop_assert!(e.line >= 1 && e.line <= lines.len(), "{e} in {src:?}");
            let width = lines[e.line - 1].chars().count();
            prop_assert!(e.column >= 1 && e.column <= width + 1, "{e} in {src:?}");
            prop_assert!(!e.message.is_empty());
        }
        Ok(scenario) => {
            for step in &scenario.steps {
                let text = src.get(step.span.clone());
                prop_assert!(text.is_some(), "span {:?} in {src:?}", step.span);
                let text = text.unwrap();
                prop_assert!(text.ends_with(')'), "{text:?}");
                prop_assert_eq!(line_column(src, step.span.start), (step.line, step.column));
            }
            let again =
                parse(&format(&scenario)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let stmts = |s: &Scenario| s.steps.iter().map(|s| s.stmt.clone()).collect::<Vec<_>>();
            prop_assert_eq!(stmts(&again), stmts(&scenario));
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn generated_scenarios_round_trip_through_format_and_parse(stmts in valid_stmts()) {
        let scenario = Scenario {
            steps: stmts
                .iter()
                .enumerate()
                .map(|(i, stmt)| scenario::Step { line: i + 1, column: 1, span: 0..0, stmt: stmt.clone() })
                .collect(),
        };
        let text = format(&scenario);
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed.steps.len(), stmts.len());
        for (i, (step, stmt)) in parsed.steps.iter().zip(&stmts).enumerate() {
            prop_assert_eq!(&step.stmt, stmt);
            prop_assert_eq!((step.line, step.column), (i + 1, 1));
        }
        prop_assert_eq!(format(&parsed), text);
    }

    #[test]
    fn generated_scenarios_parse_however_they_are_laid_out(
        stmts in valid_stmts(),
        bytes in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        let (text, spans) = lay_out(&stmts, &mut Dice { bytes, next: 0 });
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}")))?;
        prop_assert_eq!(parsed.steps.len(), stmts.len(), "{:?}", text);
        for ((step, stmt), span) in parsed.steps.iter().zip(&stmts).zip(spans) {
            prop_assert_eq!(&step.stmt, stmt, "{:?}", text);
            prop_assert_eq!((step.line, step.column), line_column(&text, span.start));
            prop_assert_eq!(&step.span, &span);
        }
    }

    #[test]
    fn random_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_outcome(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_token_soup_never_panics_the_parser(
        src in "(a|b|x|_y|malloc|calloc|realloc|free|mallok|NULL|sizeof|[0-9]{1,3}|0x[0-9a-f]{1,9}\
                 |99999999999|012|\\(|\\)|,|=|-|;|\n|\r\n|#|//|/\\*|\\*/| |\t|@|é|\u{a0}){0,40}",
    ) {
        check_outcome(&src)?;
    }
}

#[test]
fn writes_parse_with_strings_characters_and_escapes() {
    assert_eq!(
        stmts("a = malloc(16)\nstrcpy(a, \"hello\")\nmemset(a, 'A', 40)\na[3] = 0x41\nb = malloc(16); memcpy(b, a, 16)"),
        vec![
            Stmt::Malloc { name: name("a"), size: 16 },
            Stmt::Strcpy { ptr: by_name("a"), text: "hello".into() },
            Stmt::Memset { ptr: by_name("a"), byte: b'A', count: 40 },
            Stmt::Store { ptr: by_name("a"), index: 3, byte: 0x41 },
            Stmt::Malloc { name: name("b"), size: 16 },
            Stmt::Memcpy { ptr: by_name("b"), src: by_name("a"), count: 16 },
        ]
    );
    assert_eq!(
        stmts(
            r#"a = malloc(8); strcpy(a, "tab\there \"q\" \\ \x41\n"); a[0] = '\0'; a[1] = '\''; memset(0x00110008, 255, 2)"#
        )[1..],
        [
            Stmt::Strcpy {
                ptr: by_name("a"),
                text: "tab\there \"q\" \\ A\n".into()
            },
            Stmt::Store {
                ptr: by_name("a"),
                index: 0,
                byte: 0
            },
            Stmt::Store {
                ptr: by_name("a"),
                index: 1,
                byte: b'\''
            },
            Stmt::Memset {
                ptr: Ptr::Address(0x0011_0008),
                byte: 255,
                count: 2
            },
        ]
    );
    // Non-ASCII text is its UTF-8 bytes.
    assert_eq!(
        stmts("a = malloc(8); strcpy(a, \"né\")")[1],
        Stmt::Strcpy {
            ptr: by_name("a"),
            text: "né".into()
        }
    );
}

#[test]
fn malformed_writes_are_refused_with_where_and_why() {
    refused_with(
        "a = malloc(8); b = strcpy(a, \"x\")",
        1,
        20,
        "strcpy writes into memory and its result is not kept here",
    );
    refused_with(
        "a = malloc(8); strcpy(a, \"x)",
        1,
        26,
        "this string is never closed",
    );
    refused_with(
        "a = malloc(8); memset(a, 256, 4)",
        1,
        26,
        "'256' is not a byte",
    );
    refused_with(
        "a = malloc(8); memset(a, 'AB', 4)",
        1,
        26,
        "'AB' is not one byte",
    );
    refused_with("a = malloc(8); a[2] 65", 1, 21, "expected '=' and a byte");
    refused_with("a = malloc(8); a[2 = 65", 1, 20, "expected ']'");
    refused_with(
        "a = malloc(8); strcpy(a, \"\\q\")",
        1,
        26,
        "'\\q' is not an escape",
    );
    refused_with(
        "a = malloc(8); strcpy(a, \"\\x80\")",
        1,
        26,
        "'\\x80' is not an escape the playground reads",
    );
    refused_with("b[0] = 1", 1, 1, "'b' is used before it is assigned");
    refused_with(
        "a = malloc(8); memcpy(a, c, 4)",
        1,
        26,
        "'c' is used before it is assigned",
    );
    refused_with(
        "a = malloc(8); memset(a, -1, 4)",
        1,
        26,
        "a byte cannot be negative",
    );
}

#[test]
fn writes_format_back_to_text_that_parses_to_the_same_statements() {
    let src = "a = malloc(16)\nstrcpy(a, \"hi \\\"there\\\"\\n\\x01\")\nmemset(a, 0x00, 4)\na[3] = 'A'\na[4] = '\\\\'\nmemcpy(a, 0x00110008, 2)\n";
    let first = parse(src).unwrap();
    let text = format(&first);
    let again = parse(&text).unwrap();
    let a: Vec<_> = first.steps.iter().map(|s| s.stmt.clone()).collect();
    let b: Vec<_> = again.steps.iter().map(|s| s.stmt.clone()).collect();
    assert_eq!(a, b, "{text}");
    assert_eq!(format(&again), text);
    assert!(text.contains("memset(a, 0x00, 4)\na[3] = 'A'\n"), "{text}");
}

/// Like `refused`, for a message that starts with `start`.
fn refused_with(src: &str, line: usize, column: usize, start: &str) {
    let error = match parse(src) {
        Ok(s) => panic!("{src:?} should be refused, but parsed as {s:?}"),
        Err(e) => e,
    };
    assert_eq!(
        (error.line, error.column),
        (line, column),
        "for {src:?}: {error}"
    );
    assert!(error.message.starts_with(start), "for {src:?}: {error}");
}

#[test]
fn a_pointer_can_be_a_name_plus_an_offset() {
    assert_eq!(
        stmts("a = malloc(32)\nfree(a + 8)\nb = realloc(a+0x10, 64)\nmemcpy(b + 4, a, 2)")[1..],
        [
            Stmt::Free {
                ptr: Ptr::Inside {
                    name: "a".into(),
                    offset: 8
                }
            },
            Stmt::Realloc {
                name: name("b"),
                ptr: Ptr::Inside {
                    name: "a".into(),
                    offset: 16
                },
                size: 64
            },
            Stmt::Memcpy {
                ptr: Ptr::Inside {
                    name: "b".into(),
                    offset: 4
                },
                src: by_name("a"),
                count: 2
            },
        ]
    );
    let text = format(&parse("a = malloc(32); free(a + 0x8)").unwrap());
    assert_eq!(text, "a = malloc(32)\nfree(a + 8)\n");
    refused_with(
        "a = malloc(32); free(a + )",
        1,
        26,
        "expected a size (a number) after 'free(a + '",
    );
    refused_with("free(q + 8)", 1, 6, "'q' is used before it is assigned");
    let json = serde_json::to_value(parse("a = malloc(8); free(a + 8)").unwrap()).unwrap();
    assert_eq!(
        json["steps"][1]["stmt"]["ptr"],
        serde_json::json!({"inside": {"name": "a", "offset": 8}})
    );
}
