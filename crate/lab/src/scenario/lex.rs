//! Cutting a scenario's text into tokens — names, numbers, punctuation and line ends — with
//! spaces and comments skipped.
//!
//! Tokens are made one at a time, as the parser asks for them, so that the first problem in
//! the text is the one reported: a stray character on line 9 never hides a mistake on line 2.

use alloc::format;
use alloc::string::ToString;

use super::error::ScriptError;

/// A place in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pos {
    /// Byte offset.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind<'a> {
    /// A C identifier: a letter or `_`, then letters, digits and `_`.
    Name(&'a str),
    /// Something that starts with a digit: the digits, letters and `_` that follow are taken
    /// too, so `12abc` is one (bad) number rather than a number then a name.
    Number(&'a str),
    Open,
    Close,
    /// `[`, as in `a[3] = 0x41`.
    OpenBracket,
    /// `]`.
    CloseBracket,
    /// A string literal, quotes included: `"hello"`. Its escapes are read by the parser.
    Str(&'a str),
    /// A character literal, quotes included: `'A'`.
    Char(&'a str),
    Comma,
    Equals,
    Minus,
    /// `+`, as in `free(a + 8)`.
    Plus,
    Semicolon,
    /// A line break, or a `/* */` comment that spans lines (as in JavaScript, such a comment
    /// ends a line).
    LineEnd,
    /// The end of the text.
    End,
    /// Any other character, or a `*/` with no comment open.
    Stray(&'a str),
}

/// A token and where it is.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token<'a> {
    pub kind: Kind<'a>,
    pub start: Pos,
    pub end: Pos,
}

/// Hands out the tokens of a text in order.
pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: Pos,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: Pos {
                offset: 0,
                line: 1,
                column: 1,
            },
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos.offset..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.src[self.pos.offset..].chars().nth(1)
    }

    /// Moves past one character, keeping the line and column up to date.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos.offset += c.len_utf8();
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }

    fn bump_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
    }

    /// The next token. The only error is a `/*` comment that is never closed.
    pub(super) fn next_token(&mut self) -> Result<Token<'a>, ScriptError> {
        loop {
            match (self.peek(), self.peek_second()) {
                // Any whitespace but a line break, so that a non-breaking space pasted from a
                // web page, or a `\r` before a `\n`, is only a space.
                (Some(c), _) if c.is_whitespace() && c != '\n' => {
                    self.bump();
                }
                (Some('#'), _) | (Some('/'), Some('/')) => self.bump_while(|c| c != '\n'),
                (Some('/'), Some('*')) => {
                    let start = self.pos;
                    self.bump();
                    self.bump();
                    let mut spans_lines = false;
                    loop {
                        match self.bump() {
                            None => {
                                return Err(ScriptError {
                                    line: start.line,
                                    column: start.column,
                                    message: "this comment is never closed: a comment that \
                                              starts with '/*' ends with '*/'"
                                        .to_string(),
                                })
                            }
                            Some('*') if self.peek() == Some('/') => {
                                self.bump();
                                break;
                            }
                            Some('\n') => spans_lines = true,
                            Some(_) => {}
                        }
                    }
                    if spans_lines {
                        return Ok(Token {
                            kind: Kind::LineEnd,
                            start,
                            end: self.pos,
                        });
                    }
                }
                _ => break,
            }
        }

        let start = self.pos;
        let kind = match self.bump() {
            None => Kind::End,
            Some('\n') => Kind::LineEnd,
            Some('(') => Kind::Open,
            Some(')') => Kind::Close,
            Some('[') => Kind::OpenBracket,
            Some(']') => Kind::CloseBracket,
            Some(quote @ ('"' | '\'')) => {
                // To the closing quote on the same line; a backslash escapes the next character.
                loop {
                    match self.peek() {
                        None | Some('\n') => {
                            let what = if quote == '"' { "string" } else { "character" };
                            return Err(ScriptError {
                                line: start.line,
                                column: start.column,
                                message: format!(
                                    "this {what} is never closed: it starts with {quote} and \
                                     must end with {quote} on the same line"
                                ),
                            });
                        }
                        Some('\\') => {
                            self.bump();
                            if self.peek().is_some_and(|c| c != '\n') {
                                self.bump();
                            }
                        }
                        Some(c) => {
                            self.bump();
                            if c == quote {
                                break;
                            }
                        }
                    }
                }
                let text = &self.src[start.offset..self.pos.offset];
                if quote == '"' {
                    Kind::Str(text)
                } else {
                    Kind::Char(text)
                }
            }
            Some(',') => Kind::Comma,
            Some('=') => Kind::Equals,
            Some('-') => Kind::Minus,
            Some('+') => Kind::Plus,
            Some(';') => Kind::Semicolon,
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                self.bump_while(|c| c.is_ascii_alphanumeric() || c == '_');
                Kind::Name(&self.src[start.offset..self.pos.offset])
            }
            Some(c) if c.is_ascii_digit() => {
                self.bump_while(|c| c.is_ascii_alphanumeric() || c == '_');
                Kind::Number(&self.src[start.offset..self.pos.offset])
            }
            Some('*') if self.peek() == Some('/') => {
                self.bump();
                Kind::Stray("*/")
            }
            Some(_) => Kind::Stray(&self.src[start.offset..self.pos.offset]),
        };
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }
}
