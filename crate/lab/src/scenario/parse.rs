//! Reading a scenario's statements, checking that every name is assigned before it is used.
//!
//! Parsing is all or nothing: [`parse`] reads and checks the whole text, names included, and
//! returns either every step or the first problem, with its line and column.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::error::ScriptError;
use super::lex::{Kind, Lexer, Pos, Token};
use super::script::{Ptr, Scenario, Step, Stmt};
use crate::wording::{quote, Function, Quantity};

/// Reads a scenario script (see the [module documentation](super) for the language).
///
/// Returns every step only if the whole text is well formed and every name is assigned before
/// it is used; otherwise the first problem, with its line and column. Using a name again after
/// it was freed is *not* an error here: that double free is for the heap to refuse, where the
/// learner can see it.
///
/// ```
/// use brkalloc_lab::scenario::{parse, Ptr, Stmt};
///
/// let scenario = parse("a = malloc(16); free(a)").unwrap();
/// assert_eq!(scenario.steps[1].stmt, Stmt::Free { ptr: Ptr::Name("a".into()) });
/// assert_eq!(scenario.steps[1].column, 17);
///
/// let error = parse("a = malloc(16)\nfree(b)").unwrap_err();
/// assert_eq!(error.to_string(), "line 2, column 6: 'b' is used before it is assigned: assign it first, as in 'b = malloc(16)'");
/// ```
pub fn parse(src: &str) -> Result<Scenario, ScriptError> {
    let mut parser = Parser::new(src);
    let mut assigned: BTreeSet<&str> = BTreeSet::new();
    let mut steps = Vec::new();
    while let Some(parsed) = parser.statement()? {
        for &(name, at) in &parsed.uses {
            if !assigned.contains(name) {
                return Err(unassigned(name, at, &assigned, parser));
            }
        }
        if let Some(name) = parsed.assigns {
            assigned.insert(name);
        }
        steps.push(parsed.step);
    }
    Ok(Scenario { steps })
}

/// The error for a name used before any statement assigned it. Reads on, past the use, to say
/// whether the name is assigned further down (a statement in the wrong order) or never.
fn unassigned(name: &str, at: Pos, assigned: &BTreeSet<&str>, mut rest: Parser<'_>) -> ScriptError {
    let later = loop {
        match rest.statement() {
            Ok(Some(parsed)) if parsed.assigns == Some(name) => break Some(parsed.step.line),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break None,
        }
    };
    let mut message = match later {
        _ if matches!(name, "NULL" | "null" | "nullptr") => {
            format!("'{name}' is not a name here: write 0 for a null pointer")
        }
        Some(line) => format!(
            "'{name}' is used before it is assigned: it is first assigned on line {line}, \
             further down; assign it before it is used"
        ),
        None => format!(
            "'{name}' is used before it is assigned: assign it first, as in '{} = malloc(16)'",
            quote(name)
        ),
    };
    if later.is_none() {
        if let Some(close) = closest(name, assigned.iter().copied()) {
            message.push_str(&format!("; did you mean '{close}'?"));
        }
    }
    ScriptError {
        line: at.line,
        column: at.column,
        message,
    }
}

/// One statement read, with the names it assigns and uses, for the name check.
struct Parsed<'a> {
    step: Step,
    assigns: Option<&'a str>,
    uses: Vec<(&'a str, Pos)>,
}

/// Why a number token is not a number the script accepts.
enum BadNumber {
    /// Not decimal digits, nor `0x` and hex digits.
    Invalid,
    /// Decimal digits with a leading zero, which C would read as octal. Holds the digits
    /// without their leading zeros.
    LeadingZero(String),
    /// Larger than [`u32::MAX`].
    TooLarge,
}

/// The value of a number token: decimal, or hex after `0x`; at most [`u32::MAX`].
fn number_value(text: &str) -> Result<u32, BadNumber> {
    let (digits, radix) = match text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (text, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(BadNumber::Invalid);
    }
    if radix == 10 && digits.len() > 1 && digits.starts_with('0') {
        let rest = digits.trim_start_matches('0');
        return Err(BadNumber::LeadingZero(
            if rest.is_empty() { "0" } else { rest }.to_string(),
        ));
    }
    let mut value: u32 = 0;
    for c in digits.chars() {
        // `is_digit(radix)` held for every character.
        let digit = c.to_digit(radix).unwrap_or(0);
        value = value
            .checked_mul(radix)
            .and_then(|v| v.checked_add(digit))
            .ok_or(BadNumber::TooLarge)?;
    }
    Ok(value)
}

/// Reads statements, one at a time, from the tokens of a text.
struct Parser<'a> {
    lexer: Lexer<'a>,
    ahead: Option<Token<'a>>,
    /// Where the last token taken ends: where something missing at the end of a line belongs.
    last_end: Pos,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            lexer: Lexer::new(src),
            ahead: None,
            last_end: Pos {
                offset: 0,
                line: 1,
                column: 1,
            },
        }
    }

    fn peek(&mut self) -> Result<Token<'a>, ScriptError> {
        match self.ahead {
            Some(token) => Ok(token),
            None => {
                let token = self.lexer.next_token()?;
                self.ahead = Some(token);
                Ok(token)
            }
        }
    }

    fn take(&mut self) -> Result<Token<'a>, ScriptError> {
        let token = self.peek()?;
        self.ahead = None;
        self.last_end = token.end;
        Ok(token)
    }

    /// An error about `found`: at its start, or, for a line end or the end of the text, just
    /// past the last token taken, where the missing text belongs.
    fn error(&self, found: &Token<'a>, message: String) -> ScriptError {
        let at = match found.kind {
            Kind::LineEnd | Kind::End => self.last_end,
            _ => found.start,
        };
        ScriptError {
            line: at.line,
            column: at.column,
            message,
        }
    }

    /// "expected {what} after '{after}', found {found}"; `found` is peeked, not taken.
    fn expected(&self, what: &str, after: &str, found: &Token<'a>) -> ScriptError {
        self.error(
            found,
            format!("expected {what} after '{after}', found {}", describe(found)),
        )
    }

    /// The next statement, or `None` at the end of the text. Empty statements (`;;`, blank
    /// lines) are skipped.
    fn statement(&mut self) -> Result<Option<Parsed<'a>>, ScriptError> {
        let first = loop {
            let token = self.take()?;
            match token.kind {
                Kind::Semicolon | Kind::LineEnd => {}
                Kind::End => return Ok(None),
                _ => break token,
            }
        };
        let Kind::Name(word) = first.kind else {
            return Err(self.error(
                &first,
                format!(
                    "expected a statement such as 'a = malloc(16)' or 'free(a)', found {}",
                    describe(&first)
                ),
            ));
        };

        let next = self.peek()?;
        if next.kind == Kind::OpenBracket && Function::from_name(word).is_none() {
            return self.store(word, first).map(Some);
        }
        let (name, function, function_token) = match next.kind {
            Kind::Open => (None, word, first),
            Kind::Equals => {
                if Function::from_name(word).is_some() {
                    return Err(self.error(
                        &first,
                        format!(
                            "'{word}' is a function, so it cannot name a pointer; choose \
                             another name, such as 'p'"
                        ),
                    ));
                }
                self.take()?;
                let after = format!("{} =", quote(word));
                let callee = self.peek()?;
                let Kind::Name(function) = callee.kind else {
                    return Err(self.expected(
                        "a call to malloc, calloc or realloc",
                        &after,
                        &callee,
                    ));
                };
                if let Some(f) = Function::from_name(function).filter(|f| f.writes()) {
                    return Err(self.error(
                        &callee,
                        format!(
                            "{f} writes into memory and its result is not kept here: write \
                             {f}(...) on its own, without '{after}'"
                        ),
                    ));
                }
                if function == "free" {
                    return Err(self.error(
                        &callee,
                        format!(
                            "free returns nothing, so there is nothing to assign to '{}': \
                             write free(...) on its own, without '{after}'",
                            quote(word)
                        ),
                    ));
                }
                self.take()?;
                let open = self.peek()?;
                if open.kind != Kind::Open {
                    if Function::from_name(function).is_some() {
                        return Err(self.expected("'('", &format!("{after} {function}"), &open));
                    }
                    // `b = a`: a name, not a call. Pointers come only from the heap.
                    return Err(self.error(
                        &callee,
                        format!(
                            "expected a call to malloc, calloc or realloc after '{after}', \
                             found '{}': a name is set only from what malloc, calloc or \
                             realloc returns",
                            quote(function)
                        ),
                    ));
                }
                (Some(word), function, callee)
            }
            _ if Function::from_name(word).is_some() => {
                return Err(self.expected("'('", word, &next))
            }
            _ => {
                return Err(self.expected(
                    "'=' (as in 'a = malloc(16)') or '(' (as in 'free(a)')",
                    &quote(word),
                    &next,
                ))
            }
        };

        let Some(f) = Function::from_name(function) else {
            let mut message = format!(
                "unknown function '{}': the functions are malloc, calloc, realloc, free, \
                 strcpy, memset and memcpy",
                quote(function)
            );
            if let Some(close) = closest_function(function) {
                message.push_str(&format!("; did you mean '{close}'?"));
            }
            return Err(self.error(&function_token, message));
        };
        self.take()?; // the `(`

        let mut call = format!("{function}(");
        let mut uses = Vec::new();
        let stmt = match f {
            Function::Malloc => {
                let size = self.number(&mut call, Quantity::Size)?;
                self.close(&call, f)?;
                Stmt::Malloc {
                    name: name.map(String::from),
                    size,
                }
            }
            Function::Calloc => {
                let count = self.number(&mut call, Quantity::Count)?;
                self.comma(&mut call, f)?;
                let size = self.number(&mut call, Quantity::Size)?;
                self.close(&call, f)?;
                Stmt::Calloc {
                    name: name.map(String::from),
                    count,
                    size,
                }
            }
            Function::Realloc => {
                let (ptr, used) = self.pointer(&mut call)?;
                uses.extend(used);
                self.comma(&mut call, f)?;
                let size = self.number(&mut call, Quantity::Size)?;
                self.close(&call, f)?;
                Stmt::Realloc {
                    name: name.map(String::from),
                    ptr,
                    size,
                }
            }
            Function::Free => {
                let (ptr, used) = self.pointer(&mut call)?;
                uses.extend(used);
                self.close(&call, f)?;
                Stmt::Free { ptr }
            }
            Function::Strcpy => {
                let (ptr, used) = self.pointer(&mut call)?;
                uses.extend(used);
                self.comma(&mut call, f)?;
                let text = self.string(&mut call)?;
                self.close(&call, f)?;
                Stmt::Strcpy { ptr, text }
            }
            Function::Memset => {
                let (ptr, used) = self.pointer(&mut call)?;
                uses.extend(used);
                self.comma(&mut call, f)?;
                let byte = self.byte(&mut call)?;
                self.comma(&mut call, f)?;
                let count = self.number(&mut call, Quantity::Size)?;
                self.close(&call, f)?;
                Stmt::Memset { ptr, byte, count }
            }
            Function::Memcpy => {
                let (ptr, used) = self.pointer(&mut call)?;
                uses.extend(used);
                self.comma(&mut call, f)?;
                let (src, used) = self.pointer(&mut call)?;
                uses.extend(used);
                self.comma(&mut call, f)?;
                let count = self.number(&mut call, Quantity::Size)?;
                self.close(&call, f)?;
                Stmt::Memcpy { ptr, src, count }
            }
        };
        let end = self.last_end;

        let after = self.peek()?;
        if !matches!(after.kind, Kind::Semicolon | Kind::LineEnd | Kind::End) {
            let statement = match name {
                Some(name) => format!("{} = {call})", quote(name)),
                None => format!("{call})"),
            };
            return Err(self.expected("';' or a new line", &statement, &after));
        }

        Ok(Some(Parsed {
            step: Step {
                line: first.start.line,
                column: first.start.column,
                span: first.start.offset..end.offset,
                stmt,
            },
            assigns: name,
            uses,
        }))
    }

    /// `name[index] = byte`, from the `[` on (`name` and `first` are taken).
    fn store(&mut self, name: &'a str, first: Token<'a>) -> Result<Parsed<'a>, ScriptError> {
        self.take()?; // the `[`
        let mut call = format!("{}[", quote(name));
        let index = self.number(&mut call, Quantity::Size)?;
        let close = self.peek()?;
        if close.kind != Kind::CloseBracket {
            return Err(self.expected("']'", &call, &close));
        }
        self.take()?;
        call.push(']');
        let equals = self.peek()?;
        if equals.kind != Kind::Equals {
            return Err(self.expected("'=' and a byte, as in 'a[3] = 0x41'", &call, &equals));
        }
        self.take()?;
        call.push_str(" = ");
        let byte = self.byte(&mut call)?;
        let end = self.last_end;
        let after = self.peek()?;
        if !matches!(after.kind, Kind::Semicolon | Kind::LineEnd | Kind::End) {
            return Err(self.expected("';' or a new line", &call, &after));
        }
        Ok(Parsed {
            step: Step {
                line: first.start.line,
                column: first.start.column,
                span: first.start.offset..end.offset,
                stmt: Stmt::Store {
                    ptr: Ptr::Name(name.to_string()),
                    index,
                    byte,
                },
            },
            assigns: None,
            uses: alloc::vec![(name, first.start)],
        })
    }

    /// A byte argument: a number from 0 to 255, or a character literal. Appends its text.
    fn byte(&mut self, call: &mut String) -> Result<u8, ScriptError> {
        let token = self.peek()?;
        let value = match token.kind {
            Kind::Char(text) => {
                let bytes = unescape(&text[1..text.len() - 1])
                    .map_err(|message| self.error(&token, message))?;
                match bytes.as_slice() {
                    [b] => *b,
                    _ => {
                        return Err(self.error(
                            &token,
                            format!(
                                "{} is not one byte: a character literal holds one ASCII \
                                 character, such as 'A' or '\\0'",
                                quote(text)
                            ),
                        ))
                    }
                }
            }
            Kind::Number(text) => {
                let value = self.number_token(&token, text, Quantity::Byte)?;
                u8::try_from(value).map_err(|_| {
                    self.error(
                        &token,
                        format!("'{}' is not a byte: a byte is 0 to 255 (0xff)", quote(text)),
                    )
                })?
            }
            Kind::Minus => return Err(self.negative(&token, call, Quantity::Byte)),
            _ => {
                return Err(self.expected(
                    "a byte (0 to 255, or a character such as 'A')",
                    call,
                    &token,
                ))
            }
        };
        self.take()?;
        call.push_str(&crate::scenario::script::byte_literal(value));
        Ok(value)
    }

    /// A string argument, `"text"`, its escapes read. Appends its text.
    fn string(&mut self, call: &mut String) -> Result<String, ScriptError> {
        let token = self.peek()?;
        let Kind::Str(text) = token.kind else {
            return Err(self.expected("text in double quotes, such as \"hello\"", call, &token));
        };
        let bytes =
            unescape(&text[1..text.len() - 1]).map_err(|message| self.error(&token, message))?;
        // `unescape` makes UTF-8: the text was, and `\x` escapes are ASCII.
        let value = String::from_utf8(bytes)
            .map_err(|_| self.error(&token, "the text is not valid UTF-8".to_string()))?;
        self.take()?;
        call.push_str(&quote(text));
        Ok(value)
    }

    /// A size or count argument. Appends its text to `call`.
    fn number(&mut self, call: &mut String, what: Quantity) -> Result<u32, ScriptError> {
        let token = self.peek()?;
        match token.kind {
            Kind::Number(text) => {
                let value = self.number_token(&token, text, what)?;
                self.take()?;
                call.push_str(text);
                Ok(value)
            }
            Kind::Minus => Err(self.negative(&token, call, what)),
            Kind::Name("sizeof") => Err(self.error(
                &token,
                format!(
                    "expected {} (a number) after '{call}', found 'sizeof': sizeof is not \
                     part of a scenario; write the number of bytes, such as 4 for an int",
                    what.noun()
                ),
            )),
            _ => Err(self.expected(&format!("{} (a number)", what.noun()), call, &token)),
        }
    }

    /// The pointer argument of `free` or `realloc`: a name, or an address. Appends its text to
    /// `call`, and returns the name used, if any, with where it is.
    #[allow(clippy::type_complexity)]
    fn pointer(&mut self, call: &mut String) -> Result<(Ptr, Option<(&'a str, Pos)>), ScriptError> {
        const WHAT: &str = "a pointer (a name or an address)";
        let token = self.peek()?;
        match token.kind {
            Kind::Name(name) if Function::from_name(name).is_some() => Err(self.error(
                &token,
                format!(
                    "expected {WHAT} after '{call}', found '{name}': calls cannot be nested; \
                     write 'p = {name}(...)' first, then use 'p'"
                ),
            )),
            Kind::Name(name) => {
                self.take()?;
                call.push_str(name);
                let uses = Some((name, token.start));
                if self.peek()?.kind != Kind::Plus {
                    return Ok((Ptr::Name(name.to_string()), uses));
                }
                self.take()?;
                call.push_str(" + ");
                let offset = self.number(call, Quantity::Size)?;
                Ok((
                    Ptr::Inside {
                        name: name.to_string(),
                        offset,
                    },
                    uses,
                ))
            }
            Kind::Number(text) => {
                let value = self.number_token(&token, text, Quantity::Address)?;
                self.take()?;
                call.push_str(text);
                Ok((Ptr::Address(u64::from(value)), None))
            }
            Kind::Minus => Err(self.negative(&token, call, Quantity::Address)),
            _ => Err(self.expected(WHAT, call, &token)),
        }
    }

    /// Checks a number token's text.
    fn number_token(
        &self,
        token: &Token<'a>,
        text: &str,
        what: Quantity,
    ) -> Result<u32, ScriptError> {
        number_value(text).map_err(|bad| {
            let text = quote(text);
            let message = match bad {
                BadNumber::Invalid => format!(
                    "'{text}' is not a number: write {} in decimal, {}",
                    what.noun(),
                    what.examples()
                ),
                BadNumber::LeadingZero(plain) => format!(
                    "'{text}' starts with 0, which C would read as octal: write {}, or use 0x \
                     for hex",
                    quote(&plain)
                ),
                BadNumber::TooLarge => format!(
                    "'{text}' is too large for a 32-bit heap: {} is at most {} (0x{:x})",
                    what.noun(),
                    u32::MAX,
                    u32::MAX
                ),
            };
            self.error(token, message)
        })
    }

    /// The error for a `-` where a number belongs: a negative number, or a stray `-`.
    fn negative(&mut self, minus: &Token<'a>, call: &str, what: Quantity) -> ScriptError {
        // Taking the `-` to look at what follows is fine: the parse ends with this error.
        let after = self.take().and_then(|_| self.peek());
        match after {
            Ok(Token {
                kind: Kind::Number(text),
                ..
            }) => self.error(
                minus,
                format!(
                    "{} cannot be negative, found '-{}'",
                    what.noun(),
                    quote(text)
                ),
            ),
            Ok(_) => self.error(
                minus,
                format!(
                    "expected {} (a number) after '{call}', found '-'",
                    what.noun()
                ),
            ),
            Err(error) => error,
        }
    }

    /// The `,` between two arguments. Appends it to `call`.
    fn comma(&mut self, call: &mut String, f: Function) -> Result<(), ScriptError> {
        let token = self.peek()?;
        if token.kind != Kind::Comma {
            return Err(self.error(
                &token,
                format!(
                    "expected ',' after '{call}', found {}: {}",
                    describe(&token),
                    f.usage()
                ),
            ));
        }
        self.take()?;
        call.push_str(", ");
        Ok(())
    }

    /// The `)` after the last argument.
    fn close(&mut self, call: &str, f: Function) -> Result<(), ScriptError> {
        let token = self.peek()?;
        match token.kind {
            Kind::Close => {
                self.take()?;
                Ok(())
            }
            Kind::Comma => Err(self.error(
                &token,
                format!("expected ')' after '{call}', found ',': {}", f.usage()),
            )),
            _ => Err(self.expected("')'", call, &token)),
        }
    }
}

/// The bytes of a string or character literal's inside, its escapes read: `\n`, `\t`, `\r`,
/// `\0`, `\\`, `\"`, `\'` and `\xNN` (an ASCII byte, up to `\x7f`). Any other character
/// stands for its UTF-8 bytes.
fn unescape(inside: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(inside.len());
    let mut chars = inside.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let byte = match chars.next() {
            Some('n') => b'\n',
            Some('t') => b'\t',
            Some('r') => b'\r',
            Some('0') => 0,
            Some('\\') => b'\\',
            Some('"') => b'"',
            Some('\'') => b'\'',
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                match u8::from_str_radix(&hex, 16) {
                    Ok(b) if hex.len() == 2 && b < 0x80 => b,
                    _ => {
                        return Err(format!(
                            "'\\x{}' is not an escape the playground reads: write \\x and two \
                             hex digits from 00 to 7f, such as \\x41",
                            quote(&hex)
                        ))
                    }
                }
            }
            Some(other) => {
                return Err(format!(
                    "'\\{}' is not an escape the playground reads: the escapes are \\n, \\t, \\r, \
                     \\0, \\\\, \\\", \\' and \\xNN",
                    other.escape_debug()
                ))
            }
            None => return Err("a backslash ends the text: write \\\\ for a backslash".to_string()),
        };
        out.push(byte);
    }
    Ok(out)
}

/// A token as a message names it.
fn describe(token: &Token<'_>) -> String {
    match token.kind {
        Kind::Name(text) | Kind::Number(text) | Kind::Str(text) | Kind::Char(text) => {
            format!("'{}'", quote(text))
        }
        Kind::OpenBracket => "'['".to_string(),
        Kind::CloseBracket => "']'".to_string(),
        Kind::Stray(text) => format!("'{}'", text.escape_debug()),
        Kind::Open => "'('".to_string(),
        Kind::Close => "')'".to_string(),
        Kind::Comma => "','".to_string(),
        Kind::Equals => "'='".to_string(),
        Kind::Minus => "'-'".to_string(),
        Kind::Plus => "'+'".to_string(),
        Kind::Semicolon => "';'".to_string(),
        Kind::LineEnd => "the end of the line".to_string(),
        Kind::End => "the end of the script".to_string(),
    }
}

/// The function a mistyped name most likely meant: the names C programmers use for the same
/// jobs, then the nearest by spelling.
fn closest_function(word: &str) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    match lower.as_str() {
        "alloc" | "new" | "allocate" => return Some("malloc"),
        "delete" | "dealloc" | "deallocate" | "release" => return Some("free"),
        "resize" | "grow" => return Some("realloc"),
        _ => {}
    }
    Function::ALL
        .iter()
        .map(|f| (distance(&lower, f.name()), f.name()))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

/// The assigned name a mistyped one most likely meant: the same letters in another case, or a
/// name a typo away (only for names long enough that a typo is more likely than another name).
fn closest<'n>(name: &str, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .map(|c| (distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d == 0 || (name.len() >= 3 && *d <= name.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The edit distance between two strings: insertions, deletions and substitutions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("mallok", "malloc"), 1);
        assert_eq!(distance("", "free"), 4);
        assert_eq!(distance("fere", "free"), 2);
        assert_eq!(distance("realloc", "realloc"), 0);
    }

    #[test]
    fn closest_function_prefers_synonyms_then_spelling() {
        assert_eq!(closest_function("mallok"), Some("malloc"));
        assert_eq!(closest_function("Free"), Some("free"));
        assert_eq!(closest_function("dealloc"), Some("free"));
        assert_eq!(closest_function("printf"), None);
    }

    #[test]
    fn numbers_are_decimal_or_hex_and_fit_in_32_bits() {
        assert!(matches!(number_value("0"), Ok(0)));
        assert!(matches!(number_value("0x00120040"), Ok(0x0012_0040)));
        assert!(matches!(number_value("0XfF"), Ok(255)));
        assert!(matches!(number_value("4294967295"), Ok(u32::MAX)));
        assert!(matches!(
            number_value("4294967296"),
            Err(BadNumber::TooLarge)
        ));
        assert!(matches!(
            number_value("0x100000000"),
            Err(BadNumber::TooLarge)
        ));
        assert!(matches!(number_value("0x"), Err(BadNumber::Invalid)));
        assert!(matches!(number_value("12ab"), Err(BadNumber::Invalid)));
        assert!(matches!(number_value("0012"), Err(BadNumber::LeadingZero(ref s)) if s == "12"));
        assert!(matches!(number_value("00"), Err(BadNumber::LeadingZero(ref s)) if s == "0"));
    }
}
