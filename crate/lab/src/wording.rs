//! How the lab puts things into words, defined once: a call as C writes it (`malloc(24)`,
//! `a = realloc(p, 32)`, `free(0x00110008)`), an address, a byte count, a number in a message,
//! and the placement policies in words.
//!
//! The scenario parser's messages, the playground's messages, the command line and (through
//! the wasm module's `callText`, `stepText`, `addressText`, `bytesText` and `policies`) the
//! page's narration and step list all write through here, so that a call reads the same
//! wherever it is shown.
//!
//! ```
//! use brkalloc_lab::wording::{Arg, Call, Function};
//!
//! let call = Call::new(Function::Realloc, &[Arg::Address(0x0011_0008), Arg::Number(48)]);
//! assert_eq!(call.to_string(), "realloc(0x00110008, 48)");
//! assert_eq!(call.assigned_to("p").to_string(), "p = realloc(0x00110008, 48)");
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use brkalloc::{Options, Policy};

/// The functions a learner calls, in the order messages list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    /// `malloc(size)`.
    Malloc,
    /// `calloc(count, size)`.
    Calloc,
    /// `realloc(pointer, size)`.
    Realloc,
    /// `free(pointer)`.
    Free,
    /// `strcpy(pointer, "text")`.
    Strcpy,
    /// `memset(pointer, byte, count)`.
    Memset,
    /// `memcpy(pointer, source, count)`.
    Memcpy,
}

impl Function {
    /// Every function, in the order messages list them.
    pub const ALL: [Function; 7] = [
        Function::Malloc,
        Function::Calloc,
        Function::Realloc,
        Function::Free,
        Function::Strcpy,
        Function::Memset,
        Function::Memcpy,
    ];

    /// Its name in C.
    pub const fn name(self) -> &'static str {
        match self {
            Function::Malloc => "malloc",
            Function::Calloc => "calloc",
            Function::Realloc => "realloc",
            Function::Free => "free",
            Function::Strcpy => "strcpy",
            Function::Memset => "memset",
            Function::Memcpy => "memcpy",
        }
    }

    /// The function called `name` in C, if it is one of these.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// What its arguments stand for, in order.
    pub const fn arguments(self) -> &'static [Quantity] {
        match self {
            Function::Malloc => &[Quantity::Size],
            Function::Calloc => &[Quantity::Count, Quantity::Size],
            Function::Realloc => &[Quantity::Address, Quantity::Size],
            Function::Free => &[Quantity::Address],
            Function::Strcpy => &[Quantity::Address, Quantity::Text],
            Function::Memset => &[Quantity::Address, Quantity::Byte, Quantity::Size],
            Function::Memcpy => &[Quantity::Address, Quantity::Address, Quantity::Size],
        }
    }

    /// Whether it writes into memory (and returns nothing a script keeps).
    pub const fn writes(self) -> bool {
        matches!(self, Function::Strcpy | Function::Memset | Function::Memcpy)
    }

    /// How it is called, for messages about its arguments: `malloc takes one argument,
    /// malloc(size)`.
    pub fn usage(self) -> String {
        let args = self.arguments();
        let names: alloc::vec::Vec<&str> = match self {
            Function::Strcpy => alloc::vec!["dest", "text"],
            Function::Memset => alloc::vec!["dest", "byte", "count"],
            Function::Memcpy => alloc::vec!["dest", "src", "count"],
            _ => args.iter().map(|q| q.parameter()).collect(),
        };
        format!(
            "{name} takes {count}, {name}({params})",
            name = self.name(),
            count = match args.len() {
                1 => "one argument",
                2 => "two arguments",
                _ => "three arguments",
            },
            params = names.join(", ")
        )
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a number given to a call stands for, to word what is wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantity {
    /// A number of bytes.
    Size,
    /// A number of elements (`calloc`'s first argument).
    Count,
    /// A data address, as `malloc` returned it.
    Address,
    /// A byte value, 0 to 255.
    Byte,
    /// A string.
    Text,
}

impl Quantity {
    /// The parameter's name in a usage line: `size`, `count`, `pointer`.
    pub const fn parameter(self) -> &'static str {
        match self {
            Quantity::Size => "size",
            Quantity::Count => "count",
            Quantity::Address => "pointer",
            Quantity::Byte => "byte",
            Quantity::Text => "text",
        }
    }

    /// The noun with its article, to start a sentence about it: `a size`, `an address`.
    pub const fn noun(self) -> &'static str {
        match self {
            Quantity::Size => "a size",
            Quantity::Count => "a count",
            Quantity::Address => "an address",
            Quantity::Byte => "a byte",
            Quantity::Text => "a string",
        }
    }

    /// What kind of number it must be: `a whole number of bytes`.
    pub const fn unit(self) -> &'static str {
        match self {
            Quantity::Size => "a whole number of bytes",
            Quantity::Count => "a whole number",
            Quantity::Address => "a whole number such as 1114120 or 0x00110008",
            Quantity::Byte => "a whole number from 0 to 255, or a character such as 'A'",
            Quantity::Text => "text in double quotes, such as \"hello\"",
        }
    }

    /// How it can be written in a script: `like 24, or in hex, like 0x18`.
    pub const fn examples(self) -> &'static str {
        match self {
            Quantity::Size => "like 24, or in hex, like 0x18",
            Quantity::Count => "like 4, or in hex, like 0x4",
            Quantity::Address => "like 1179712, or in hex, like 0x00120040",
            Quantity::Byte => "like 65, in hex, like 0x41, or as a character, like 'A'",
            Quantity::Text => "like \"hello\"",
        }
    }
}

/// One argument of a [`Call`], as it is to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg<'a> {
    /// A size or a count, in decimal: `24`.
    Number(u64),
    /// An address, in hex with eight digits: `0x00110008`.
    Address(u64),
    /// Text written as it is: a name (`a`), or an argument as the learner typed it.
    Text(&'a str),
}

impl fmt::Display for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Arg::Number(n) => write!(f, "{n}"),
            Arg::Address(a) => Address(a).fmt(f),
            Arg::Text(text) => f.write_str(text),
        }
    }
}

/// A call as C writes it, `malloc(24)`, optionally assigned to a name: `a = malloc(24)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call<'a> {
    /// The name the result is assigned to, if any.
    pub assign: Option<&'a str>,
    /// The function called.
    pub function: Function,
    /// Its arguments, in order.
    pub args: &'a [Arg<'a>],
}

impl<'a> Call<'a> {
    /// `function(args…)`, assigned to nothing.
    pub const fn new(function: Function, args: &'a [Arg<'a>]) -> Call<'a> {
        Call {
            assign: None,
            function,
            args,
        }
    }

    /// The same call with its result assigned to `name`.
    pub const fn assigned_to(self, name: &'a str) -> Call<'a> {
        Call {
            assign: Some(name),
            ..self
        }
    }
}

impl fmt::Display for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.assign {
            write!(f, "{name} = ")?;
        }
        write!(f, "{}(", self.function)?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            arg.fmt(f)?;
        }
        f.write_str(")")
    }
}

/// An address as every message writes it: `0x` and eight hex digits (`0x00110008`), more
/// digits only for an address past 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address(pub u64);

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.0)
    }
}

/// Names and numbers longer than this are cut short when quoted in a message.
pub const QUOTE_MAX: usize = 24;

/// A token for a message (a name, a number as written), cut short with `...` past
/// [`QUOTE_MAX`] characters, so that a pasted megabyte does not become the message.
pub fn quote(token: &str) -> String {
    match token.char_indices().nth(QUOTE_MAX) {
        Some((end, _)) => format!("{}...", &token[..end]),
        None => token.to_string(),
    }
}

/// A whole number with thousands separators: `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count in words: `1 byte`, `65,536 bytes`.
pub fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{} bytes", thousands(n))
    }
}

/// A policy as a sentence names what chose a block: `first fit`, `the segregated lists`
/// (`found by first fit`).
pub const fn policy_words(policy: Policy) -> &'static str {
    match policy {
        Policy::FirstFit => "first fit",
        Policy::NextFit => "next fit",
        Policy::BestFit => "best fit",
        Policy::WorstFit => "worst fit",
        Policy::Segregated => "the segregated lists",
    }
}

/// A policy as a label names it: `First fit`, `Segregated free lists`.
pub const fn policy_label(policy: Policy) -> &'static str {
    match policy {
        Policy::FirstFit => "First fit",
        Policy::NextFit => "Next fit",
        Policy::BestFit => "Best fit",
        Policy::WorstFit => "Worst fit",
        Policy::Segregated => "Segregated free lists",
    }
}

/// What a policy does, in one sentence.
pub const fn policy_summary(policy: Policy) -> &'static str {
    match policy {
        Policy::FirstFit => {
            "Walks the chain from the heap start and takes the first free block that fits."
        }
        Policy::NextFit => "Like first fit, but starts where the previous search stopped.",
        Policy::BestFit => "Walks the whole chain and takes the smallest free block that fits.",
        Policy::WorstFit => "Walks the whole chain and takes the largest free block.",
        Policy::Segregated => {
            "Keeps free blocks on size-class lists, so a search takes the same time \
             whatever the number of blocks."
        }
    }
}

/// Why the playground refuses [`Options::derive`] with the checks off: the heap run as C does
/// ([`crate::loose`]) is C's classic allocator, which keeps `next` in every header.
pub const DERIVE_NEEDS_CHECKS: &str = "derive needs the checks on: with the checks off the heap \
     runs as C's classic allocator does, which stores next in every header; turn the checks on \
     to derive next from the size";

/// Options in words, as the command line reports them: `first-fit, split, no coalesce,
/// trim`, then `, next derived` with [`Options::derive`], and ` (seed preset)` when they came
/// from that preset.
pub fn options(options: &Options, seed_preset: bool) -> String {
    let on_off = |on: bool, name: &str| {
        if on {
            name.to_string()
        } else {
            format!("no {name}")
        }
    };
    format!(
        "{}, {}, {}, {}{}{}",
        options.policy.name(),
        on_off(options.split, "split"),
        on_off(options.coalesce, "coalesce"),
        on_off(options.trim, "trim"),
        if options.derive { ", next derived" } else { "" },
        if seed_preset { " (seed preset)" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_written_as_c_writes_them() {
        let cases = [
            (
                Call::new(Function::Malloc, &[Arg::Number(24)]),
                "malloc(24)",
            ),
            (
                Call::new(Function::Calloc, &[Arg::Number(4), Arg::Number(8)]),
                "calloc(4, 8)",
            ),
            (
                Call::new(Function::Free, &[Arg::Address(0x0011_0008)]),
                "free(0x00110008)",
            ),
            (
                Call::new(Function::Realloc, &[Arg::Text("a"), Arg::Number(64)]).assigned_to("e"),
                "e = realloc(a, 64)",
            ),
            (Call::new(Function::Malloc, &[Arg::Text("")]), "malloc()"),
        ];
        for (call, text) in cases {
            assert_eq!(call.to_string(), text);
        }
    }

    #[test]
    fn usage_lines_name_each_parameter() {
        let usages: alloc::vec::Vec<String> = Function::ALL.iter().map(|f| f.usage()).collect();
        assert_eq!(
            usages,
            [
                "malloc takes one argument, malloc(size)",
                "calloc takes two arguments, calloc(count, size)",
                "realloc takes two arguments, realloc(pointer, size)",
                "free takes one argument, free(pointer)",
                "strcpy takes two arguments, strcpy(dest, text)",
                "memset takes three arguments, memset(dest, byte, count)",
                "memcpy takes three arguments, memcpy(dest, src, count)",
            ]
        );
        assert_eq!(Function::from_name("realloc"), Some(Function::Realloc));
        assert_eq!(Function::from_name("alloc"), None);
    }

    #[test]
    fn numbers_addresses_and_byte_counts_read_as_in_messages() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(65_536), "65,536 bytes");
        assert_eq!(Address(0x10).to_string(), "0x00000010");
        assert_eq!(Address(0x1_0000_0000).to_string(), "0x100000000");
        assert_eq!(quote("short"), "short");
        assert_eq!(quote(&"x".repeat(30)), format!("{}...", "x".repeat(24)));
    }

    #[test]
    fn options_in_words_say_what_is_off() {
        assert_eq!(
            options(&Options::SEED, true),
            "first-fit, no split, no coalesce, no trim (seed preset)"
        );
        assert_eq!(
            options(&Options::with_policy(Policy::Segregated), false),
            "segregated, split, coalesce, trim"
        );
        let derived = Options {
            derive: true,
            ..Options::SEED
        };
        assert_eq!(
            options(&derived, true),
            "first-fit, no split, no coalesce, no trim, next derived (seed preset)"
        );
    }
}
