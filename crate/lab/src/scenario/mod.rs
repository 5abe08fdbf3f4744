//! Scenario scripts: the few lines of C-like calls a tutorial gives the playground to step
//! through, such as `a = malloc(16); free(a)`.
//!
//! ```text
//! // The brief's walk-through
//! a = malloc(24);      # comments: // and # to the end of the line, and /* ... */ blocks
//! b = malloc(8); c = malloc(40)
//! free(b)              // statements end with ';' or a new line
//! free(c);
//! d = malloc(8)
//! e = realloc(a, 64)   // e holds the result; a still holds the old address, as in C
//! f = calloc(4, 8)
//! malloc(16)           // an allocation need not be named
//! free(0x00120040)     // an address, in hex or decimal: the heap refuses it unless it is a block
//! strcpy(d, "hello")   // writes: the text and its NUL,
//! memset(f, 'A', 32)   // 32 bytes of 'A' (0x41),
//! d[3] = 0x41          // one byte,
//! memcpy(f, d, 8)      // 8 bytes copied from d to f
//! free(f + 8)          // a pointer into the middle of f (the heap refuses it)
//! ```
//!
//! # The language
//!
//! - A statement is a call, `malloc(size)`, `calloc(count, size)`, `realloc(pointer, size)` or
//!   `free(pointer)`, or a write (below), the first three optionally assigned to a name: `a = malloc(16)`, `a = realloc(a, 32)`.
//!   `free` returns nothing, so it cannot be assigned.
//! - A write is `strcpy(pointer, "text")`, `memset(pointer, byte, count)`,
//!   `memcpy(pointer, source, count)` or `name[index] = byte`; none is assigned. A byte is a
//!   number from 0 to 255 or a character literal (`'A'`, `'\0'`); text is in double quotes.
//!   Both read the escapes `\n`, `\t`, `\r`, `\0`, `\\`, `\"`, `\'` and `\xNN` (`00` to
//!   `7f`); other characters stand for their UTF-8 bytes.
//! - A pointer is a name, an address, or a name plus a number of bytes (`a + 8`), as C's
//!   arithmetic on a `char *` gives.
//! - Statements end with `;` or a line break. Empty statements (`;;`, blank lines) are fine.
//!   Within a statement, spaces and tabs are free; a line break is not (it ends the
//!   statement), except inside a `/* */` comment — but a comment that spans lines ends a line,
//!   as in JavaScript.
//! - Comments: `//` and `#` to the end of the line, `/* ... */` anywhere (not nested).
//! - Names are C identifiers (ASCII letters, digits and `_`, not starting with a digit), and
//!   are case-sensitive. The function names cannot be names.
//! - Sizes, counts and addresses are whole numbers, in decimal (`24`) or in hex (`0x18`), from
//!   0 to `u32::MAX`: the playground's heap lives in 32-bit WebAssembly memory. A decimal
//!   number may not start with `0` (`012`): C would read it as octal, a trap worth naming.
//!   Nothing else: no `sizeof`, no arithmetic, no nested calls.
//!
//! # What the parser checks, and what it leaves to the heap
//!
//! [`parse`] refuses anything malformed, and any name used before a statement assigned it,
//! with a [`ScriptError`] naming the line and column. It returns a [`Scenario`] only when the
//! whole text is right: nothing runs until then.
//!
//! It does not follow what happens to the memory a name holds. `free(a); free(a)`, `free(a)`
//! after `b = realloc(a, 64)`, or `free` of a literal address all parse: whether they are
//! mistakes is the heap's to decide when the step runs, and a learner should *see* the heap
//! refuse a double free, with its explanation, rather than have the script refused up front.
//! Likewise assigning a name again (`a = malloc(8)` twice) only leaks the first block, as in C.
//!
//! A name holds the address its last assignment returned: after `e = realloc(a, 64)`, `a`
//! still holds the old address (now free if the block moved, or `e`'s if it grew in place).
//!
//! # Back to text
//!
//! [`format()`] writes a scenario back as canonical text, one statement a line, which [`parse`]
//! reads back to the same statements.
//!
//! # The files
//!
//! Each uses only those listed before it: `error.rs` ([`ScriptError`]), `script.rs` (what a
//! parsed script is), `lex.rs` (tokens), `parse.rs` (statements).

mod error;
mod lex;
mod parse;
mod script;

pub use error::ScriptError;
pub use parse::parse;
pub use script::{byte_literal, format, string_literal, Ptr, Scenario, Step, Stmt};
