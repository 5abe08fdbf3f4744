//! Reading a `.rep` file into a [`Trace`].
//!
//! The format, as in the CMU malloc lab:
//!
//! - Four whole numbers: the suggested heap size, the number of ids, the number of operations
//!   and the weight. They are separated by any whitespace, usually one a line.
//! - Then one operation a line: `a ID SIZE`, `f ID` or `r ID SIZE`.
//!
//! Blank lines and extra spaces or tabs are ignored anywhere, and so is everything from a `#`
//! to the end of its line, so traces can carry comments. Windows line endings are fine.
//!
//! Parsing is all or nothing: the whole text is read and checked, liveness included, before a
//! trace is returned, so a caller never sees half a trace.

use alloc::vec::Vec;

use super::check::Liveness;
use super::error::{TraceError, TraceErrorKind};
use super::ops::{Op, Trace, MAX_IDS, MAX_SIZE};
use crate::wording::quote;

/// A whole number as written in a trace: ASCII digits only.
enum Whole {
    Value(usize),
    TooLarge,
    Invalid,
}

fn number(token: &str) -> Whole {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Whole::Invalid;
    }
    let mut value: usize = 0;
    for digit in token.bytes() {
        value = match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(usize::from(digit - b'0')))
        {
            Some(v) => v,
            None => return Whole::TooLarge,
        };
    }
    Whole::Value(value)
}

/// The whitespace-separated words of a line, each with its 1-based column in characters.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> + '_ {
    line.split_whitespace().map(move |word| {
        // `word` is a sub-slice of `line`, so the difference of the pointers is its offset.
        let offset = word.as_ptr() as usize - line.as_ptr() as usize;
        (line[..offset].chars().count() + 1, word)
    })
}

/// Reads a malloc-lab trace from bytes, as a file holds it: [`parse`] once the bytes are known
/// to be text. Bytes that are not UTF-8 are refused with [`TraceErrorKind::NotText`] on the
/// line where the first invalid byte stands.
///
/// ```
/// use brkalloc_lab::trace::parse_bytes;
///
/// let error = parse_bytes(b"20000\n1\n\xff\n").unwrap_err();
/// assert_eq!(error.to_string(), "line 3: the trace is not plain text (it is not valid UTF-8)");
/// ```
pub fn parse_bytes(bytes: &[u8]) -> Result<Trace, TraceError> {
    match core::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            Err(TraceError {
                line: valid.iter().filter(|&&b| b == b'\n').count() + 1,
                column: None,
                kind: TraceErrorKind::NotText,
            })
        }
    }
}

/// The four header numbers once read.
struct Header {
    heap_size_hint: usize,
    ids: usize,
    ops: usize,
    weight: u32,
}

/// Reads a malloc-lab trace (see the module documentation for the format).
///
/// Returns the trace only if all of it is well formed: the header, every operation, the
/// operation count, and the liveness of every id (no block allocated twice while live, freed
/// twice, or used after it was freed or before it was allocated). Otherwise the first problem,
/// with its line.
///
/// ```
/// let trace = brkalloc_lab::trace::parse("20000\n2\n3\n1\na 0 16\na 1 8\nf 0\n").unwrap();
/// assert_eq!(trace.ops.len(), 3);
///
/// let error = brkalloc_lab::trace::parse("20000\n2\n3\n1\na 0 16\nf 0\nf 0\n").unwrap_err();
/// assert_eq!(error.to_string(), "line 7, column 3: block 0 is freed twice: it was already freed on line 6");
/// ```
pub fn parse(text: &str) -> Result<Trace, TraceError> {
    let mut numbers = [0usize; 4];
    let mut read = 0;
    let mut header: Option<Header> = None;
    let mut liveness = Liveness::new(0);
    let mut ops = Vec::new();
    let mut lines = Vec::new();
    let mut last_line = 1;

    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        last_line = line;
        let content = raw.split('#').next().unwrap_or("");
        let error = |column, kind| TraceError {
            line,
            column: Some(column),
            kind,
        };

        let Some(h) = &header else {
            for (column, word) in words(content) {
                if read == 4 {
                    return Err(error(
                        column,
                        TraceErrorKind::HeaderExtra { found: quote(word) },
                    ));
                }
                let value = match number(word) {
                    Whole::Value(v) => v,
                    Whole::Invalid if matches!(word, "a" | "f" | "r") => {
                        return Err(error(column, TraceErrorKind::MissingHeader { found: read }))
                    }
                    Whole::Invalid => {
                        return Err(error(
                            column,
                            TraceErrorKind::BadHeader {
                                field: read,
                                found: quote(word),
                            },
                        ))
                    }
                    Whole::TooLarge => {
                        return Err(error(
                            column,
                            TraceErrorKind::HeaderTooLarge {
                                field: read,
                                found: quote(word),
                            },
                        ))
                    }
                };
                if read == 1 && value > MAX_IDS {
                    return Err(error(column, TraceErrorKind::TooManyIds { ids: value }));
                }
                if read == 3 && u32::try_from(value).is_err() {
                    return Err(error(
                        column,
                        TraceErrorKind::HeaderTooLarge {
                            field: 3,
                            found: quote(word),
                        },
                    ));
                }
                numbers[read] = value;
                read += 1;
            }
            if read == 4 {
                let [heap_size_hint, ids, count, weight] = numbers;
                // Never trust a header for a large allocation: an operation takes at least
                // three bytes of text ("f 0"), plus a line break.
                let capacity = count.min(text.len() / 4 + 1);
                ops.reserve(capacity);
                lines.reserve(capacity);
                liveness = Liveness::new(ids);
                header = Some(Header {
                    heap_size_hint,
                    ids,
                    ops: count,
                    // Checked to fit when it was read.
                    weight: weight as u32,
                });
            }
            continue;
        };

        let mut fields = words(content);
        let Some((op_column, word)) = fields.next() else {
            continue; // a blank line, or only a comment
        };
        if ops.len() == h.ops {
            return Err(error(
                op_column,
                TraceErrorKind::TooManyOps { expected: h.ops },
            ));
        }
        let letter = match word {
            "a" => 'a',
            "f" => 'f',
            "r" => 'r',
            _ => {
                return Err(error(
                    op_column,
                    TraceErrorKind::UnknownOp { found: quote(word) },
                ))
            }
        };
        // Where a missing field would have gone: just past the end of the line's text.
        let end_column = content.trim_end().chars().count() + 2;

        let Some((id_column, id_word)) = fields.next() else {
            return Err(error(
                end_column,
                TraceErrorKind::MissingField {
                    op: letter,
                    field: "id",
                },
            ));
        };
        let id = match number(id_word) {
            Whole::Value(id) if id < h.ids => id,
            Whole::Value(_) | Whole::TooLarge => {
                return Err(error(
                    id_column,
                    TraceErrorKind::IdOutOfRange {
                        id: quote(id_word),
                        ids: h.ids,
                    },
                ))
            }
            Whole::Invalid => {
                return Err(error(
                    id_column,
                    TraceErrorKind::NotANumber {
                        op: letter,
                        field: "id",
                        found: quote(id_word),
                    },
                ))
            }
        };

        let op = if letter == 'f' {
            Op::Free { id }
        } else {
            let Some((size_column, size_word)) = fields.next() else {
                return Err(error(
                    end_column,
                    TraceErrorKind::MissingField {
                        op: letter,
                        field: "size",
                    },
                ));
            };
            let size = match number(size_word) {
                Whole::Value(size) if size <= MAX_SIZE => size,
                Whole::Value(_) | Whole::TooLarge => {
                    return Err(error(
                        size_column,
                        TraceErrorKind::SizeTooLarge {
                            found: quote(size_word),
                        },
                    ))
                }
                Whole::Invalid => {
                    return Err(error(
                        size_column,
                        TraceErrorKind::NotANumber {
                            op: letter,
                            field: "size",
                            found: quote(size_word),
                        },
                    ))
                }
            };
            if letter == 'a' {
                Op::Alloc { id, size }
            } else {
                Op::Realloc { id, size }
            }
        };
        if let Some((column, extra)) = fields.next() {
            return Err(error(
                column,
                TraceErrorKind::ExtraField {
                    op: letter,
                    found: quote(extra),
                },
            ));
        }
        liveness
            .step(op, line)
            .map_err(|kind| error(id_column, kind))?;
        ops.push(op);
        lines.push(line);
    }

    let Some(h) = header else {
        return Err(TraceError {
            line: last_line,
            column: None,
            kind: TraceErrorKind::MissingHeader { found: read },
        });
    };
    if ops.len() < h.ops {
        return Err(TraceError {
            line: last_line,
            column: None,
            kind: TraceErrorKind::TooFewOps {
                expected: h.ops,
                found: ops.len(),
            },
        });
    }
    Ok(Trace {
        heap_size_hint: h.heap_size_hint,
        ids: h.ids,
        ops,
        weight: h.weight,
        lines,
    })
}

impl core::str::FromStr for Trace {
    type Err = TraceError;

    fn from_str(text: &str) -> Result<Trace, TraceError> {
        parse(text)
    }
}
