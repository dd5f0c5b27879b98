//! The string form of filters (RFC 4515): parsing, printing, escaping.
//!
//! The parser is a hand-written recursive descent over the bytes of the
//! input, so that every error can name the byte offset where it was found and
//! what was expected there. Its recursion is bounded by [`MAX_DEPTH`].

use std::fmt::{self, Write as _};
use std::str::FromStr;

use bytes::Bytes;
use bytestring::ByteString;

use crate::proto::filter::attr::{is_keychar, AttributeDescription, MatchingRuleId};
use crate::proto::filter::model::{Ava, Filter, MatchingRuleAssertion, Substrings};

/// How deeply filters may nest (`(&(!(|(...))))`) before
/// [`Filter::parse`] gives up with [`FilterParseError::TooDeep`].
///
/// The outermost filter is level 1. Real filters rarely go beyond 5 levels;
/// the limit only exists so that hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Why a filter string did not parse.
///
/// Every variant carries the byte offset in the input where the problem was
/// found, also available as [`FilterParseError::position`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterParseError {
    /// Something else was found where `expected` was required (or the input
    /// ended early).
    #[error("expected {expected} at position {position}")]
    Expected {
        /// What the grammar allows at this point, e.g. `"')'"`.
        expected: &'static str,
        /// Byte offset in the input.
        position: usize,
    },
    /// A `\` in a value not followed by two hex digits.
    #[error(
        "invalid escape at position {position}: '\\' must be followed by two hex digits (e.g. \\2a for '*')"
    )]
    InvalidEscape {
        /// Byte offset of the `\`.
        position: usize,
    },
    /// A `*` in the value of `~=`, `>=`, `<=` or an extensible match, where
    /// substrings are not allowed.
    #[error(
        "unescaped '*' at position {position}: only '=' takes substrings; write \\2a for a literal '*'"
    )]
    UnexpectedAsterisk {
        /// Byte offset of the `*`.
        position: usize,
    },
    /// An extensible match with neither an attribute nor a matching rule,
    /// such as `(:dn:=x)`.
    #[error(
        "extensible match at position {position} needs an attribute type, a matching rule or both"
    )]
    ExtensibleWithoutTypeOrRule {
        /// Byte offset of the start of the item.
        position: usize,
    },
    /// The filter nests deeper than [`MAX_DEPTH`] levels.
    #[error("filter nested deeper than {max} levels at position {position}")]
    TooDeep {
        /// The limit.
        max: usize,
        /// Byte offset of the `(` that went over the limit.
        position: usize,
    },
    /// Two `*` in a row in a substrings value, such as `(cn=a**b)`: the
    /// empty substring between them is not a valid assertion (slapd answers
    /// invalidAttributeSyntax).
    #[error(
        "empty substring at position {position}: '**' asserts nothing between the stars; write one '*', or \\2a for a literal '*'"
    )]
    EmptySubstring {
        /// Byte offset of the second `*`.
        position: usize,
    },
    /// A complete filter was followed by more input.
    #[error("unexpected input after the end of the filter at position {position}")]
    TrailingInput {
        /// Byte offset of the first extra byte.
        position: usize,
    },
}

impl FilterParseError {
    /// The byte offset in the input where the error was found.
    pub fn position(&self) -> usize {
        match *self {
            Self::Expected { position, .. }
            | Self::InvalidEscape { position }
            | Self::UnexpectedAsterisk { position }
            | Self::ExtensibleWithoutTypeOrRule { position }
            | Self::TooDeep { position, .. }
            | Self::EmptySubstring { position }
            | Self::TrailingInput { position } => position,
        }
    }
}

impl Filter {
    /// Parses the string form of a filter (RFC 4515).
    ///
    /// Besides the RFC 4515 grammar this accepts:
    ///
    /// - a filter without the outer parentheses, such as `cn=foo` or
    ///   `&(a=b)(c=d)`, as `ldapsearch` does (it wraps such input in
    ///   parentheses);
    /// - the empty AND and OR, `(&)` (always true) and `(|)` (always false)
    ///   of RFC 4526.
    ///
    /// Whitespace is significant: it is part of a value where one is
    /// allowed, and an error anywhere else. Nesting is limited to
    /// [`MAX_DEPTH`] levels.
    ///
    /// ```
    /// use tokio_ldap::proto::filter::Filter;
    ///
    /// let f = Filter::parse("(&(objectClass=person)(cn=J*n Sm\\2ath))")?;
    /// let Filter::And(items) = &f else { unreachable!() };
    /// assert_eq!(items.len(), 2);
    /// assert_eq!(f.to_string(), "(&(objectClass=person)(cn=J*n Sm\\2ath))");
    ///
    /// let err = Filter::parse("(cn=foo").unwrap_err();
    /// assert_eq!(err.to_string(), "expected ')' at position 7");
    /// # Ok::<(), tokio_ldap::proto::filter::FilterParseError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, FilterParseError> {
        Self::parse_bytes(input.as_bytes())
    }

    /// Parses the string form of a filter given as bytes, which need not be
    /// UTF-8: RFC 4515 §3 says implementations SHOULD accept values that are
    /// not, such as a Latin-1 `(sn=M\xfcller)` read from an old file. The
    /// bytes of a value are taken as they are; the structure (parentheses,
    /// operators, attribute descriptions) is ASCII. Otherwise as
    /// [`Filter::parse`]; printing the filter escapes the bytes that are not
    /// UTF-8 (`\fc`), so its `Display` is valid UTF-8 and parses back to
    /// the same filter.
    ///
    /// ```
    /// use tokio_ldap::proto::filter::Filter;
    ///
    /// let f = Filter::parse_bytes(b"(sn=M\xfcller)")?;
    /// let Filter::Equality(ava) = &f else { unreachable!() };
    /// assert_eq!(&ava.value[..], b"M\xfcller");
    /// assert_eq!(f.to_string(), r"(sn=M\fcller)");
    /// assert_eq!(Filter::parse(&f.to_string())?, f);
    /// # Ok::<(), tokio_ldap::proto::filter::FilterParseError>(())
    /// ```
    pub fn parse_bytes(input: &[u8]) -> Result<Self, FilterParseError> {
        let mut p = Parser {
            input,
            pos: 0,
            depth: 0,
            bare: false,
        };
        let filter = if p.peek() == Some(b'(') {
            p.filter()?
        } else {
            // A bare filter: what ldapsearch would wrap in parentheses.
            if p.peek().is_none() {
                return Err(p.expected("a filter"));
            }
            p.depth = 1;
            p.bare = true;
            p.filter_comp()?
        };
        match p.peek() {
            None => Ok(filter),
            Some(_) => Err(FilterParseError::TrailingInput { position: p.pos }),
        }
    }
}

impl FromStr for Filter {
    type Err = FilterParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Prints the canonical RFC 4515 form: always with the outer parentheses,
/// no whitespace, values escaped by [`escape_filter_value`].
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::And(items) => fmt_list(f, '&', items),
            Self::Or(items) => fmt_list(f, '|', items),
            Self::Not(inner) => write!(f, "(!{inner})"),
            Self::Equality(ava) => fmt_ava(f, ava, "="),
            Self::Substrings(s) => {
                write!(f, "({}=", s.attribute)?;
                if let Some(initial) = &s.initial {
                    write_escaped(f, initial)?;
                }
                f.write_char('*')?;
                for any in &s.any {
                    write_escaped(f, any)?;
                    f.write_char('*')?;
                }
                if let Some(final_) = &s.final_ {
                    write_escaped(f, final_)?;
                }
                f.write_char(')')
            }
            Self::GreaterOrEqual(ava) => fmt_ava(f, ava, ">="),
            Self::LessOrEqual(ava) => fmt_ava(f, ava, "<="),
            Self::Present(attr) => write!(f, "({attr}=*)"),
            Self::Approx(ava) => fmt_ava(f, ava, "~="),
            Self::Extensible(m) => {
                f.write_char('(')?;
                if let Some(attr) = &m.attribute {
                    f.write_str(attr)?;
                }
                if m.dn_attributes {
                    f.write_str(":dn")?;
                }
                if let Some(rule) = &m.rule {
                    write!(f, ":{rule}")?;
                }
                f.write_str(":=")?;
                write_escaped(f, &m.value)?;
                f.write_char(')')
            }
        }
    }
}

/// Escapes a value for use in the string form of a filter (RFC 4515 §3).
///
/// `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c` and `\00`;
/// bytes that are not part of valid UTF-8 become `\xx` too. Everything else,
/// including non-ASCII UTF-8, is kept as it is. Use this whenever a filter is
/// built from user input, so that the input cannot change the filter's
/// structure.
///
/// ```
/// use tokio_ldap::proto::filter::{escape_filter_value, Filter};
///
/// let user_input = "*)(uid=*";
/// let text = format!("(&(objectClass=person)(uid={}))", escape_filter_value(user_input));
/// assert_eq!(text, r"(&(objectClass=person)(uid=\2a\29\28uid=\2a))");
/// // Still one equality match, on the literal input.
/// let f = Filter::parse(&text)?;
/// let Filter::And(items) = f else { unreachable!() };
/// let Filter::Equality(ava) = &items[1] else { unreachable!() };
/// assert_eq!(&ava.value[..], user_input.as_bytes());
/// # Ok::<(), tokio_ldap::proto::filter::FilterParseError>(())
/// ```
pub fn escape_filter_value(value: impl AsRef<[u8]>) -> String {
    let value = value.as_ref();
    let mut out = String::with_capacity(value.len());
    // Writing to a String cannot fail.
    let _ = write_escaped(&mut out, value);
    out
}

fn fmt_list(f: &mut fmt::Formatter<'_>, op: char, items: &[Filter]) -> fmt::Result {
    write!(f, "({op}")?;
    for item in items {
        write!(f, "{item}")?;
    }
    f.write_char(')')
}

fn fmt_ava(f: &mut fmt::Formatter<'_>, ava: &Ava, op: &str) -> fmt::Result {
    write!(f, "({}{op}", ava.attribute)?;
    write_escaped(f, &ava.value)?;
    f.write_char(')')
}

fn write_escaped(out: &mut impl fmt::Write, value: &[u8]) -> fmt::Result {
    for chunk in value.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '*' | '(' | ')' | '\\' | '\0' => write!(out, "\\{:02x}", c as u32)?,
                c => out.write_char(c)?,
            }
        }
        for b in chunk.invalid() {
            write!(out, "\\{b:02x}")?;
        }
    }
    Ok(())
}

/// The parser state: the input, a cursor into it, and the current nesting.
struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    depth: usize,
    /// Parsing a filter without outer parentheses, which the end of the
    /// input closes.
    bare: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.input.get(self.pos + ahead).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn require(&mut self, b: u8, expected: &'static str) -> Result<(), FilterParseError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.expected(expected))
        }
    }

    fn expected(&self, expected: &'static str) -> FilterParseError {
        FilterParseError::Expected {
            expected,
            position: self.pos,
        }
    }

    /// The ASCII name matched since `start` (the grammar of names only
    /// matches ASCII bytes).
    fn name(&self, start: usize) -> ByteString {
        let bytes = self.input.get(start..self.pos).unwrap_or_default();
        ByteString::from(std::str::from_utf8(bytes).unwrap_or_default())
    }

    /// `filter = LPAREN filtercomp RPAREN`
    fn filter(&mut self) -> Result<Filter, FilterParseError> {
        let start = self.pos;
        self.require(b'(', "'('")?;
        if self.depth >= MAX_DEPTH {
            return Err(FilterParseError::TooDeep {
                max: MAX_DEPTH,
                position: start,
            });
        }
        self.depth += 1;
        let filter = self.filter_comp()?;
        self.depth -= 1;
        self.require(b')', "')'")?;
        Ok(filter)
    }

    /// `filtercomp = and / or / not / item`
    fn filter_comp(&mut self) -> Result<Filter, FilterParseError> {
        match self.peek() {
            Some(b'&') => {
                self.pos += 1;
                Ok(Filter::And(self.filter_list()?))
            }
            Some(b'|') => {
                self.pos += 1;
                Ok(Filter::Or(self.filter_list()?))
            }
            Some(b'!') => {
                self.pos += 1;
                if self.peek() != Some(b'(') {
                    return Err(self.expected("'(' after '!'"));
                }
                Ok(Filter::Not(Box::new(self.filter()?)))
            }
            _ => self.item(),
        }
    }

    /// `filterlist = *filter` (RFC 4515 says `1*filter`; RFC 4526 allows
    /// the empty list).
    fn filter_list(&mut self) -> Result<Vec<Filter>, FilterParseError> {
        let mut items = Vec::new();
        while self.peek() == Some(b'(') {
            items.push(self.filter()?);
        }
        let closed_by_end = self.bare && self.depth == 1 && self.peek().is_none();
        if self.peek() != Some(b')') && !closed_by_end {
            return Err(self.expected("'(' or ')'"));
        }
        Ok(items)
    }

    /// `item = simple / present / substring / extensible`
    fn item(&mut self) -> Result<Filter, FilterParseError> {
        let start = self.pos;
        if self.peek() == Some(b':') {
            return self.extensible(start, None);
        }
        let attribute = self.attribute_description()?;
        match (self.peek(), self.peek_at(1)) {
            (Some(b'='), _) => {
                self.pos += 1;
                self.equality_or_substrings(attribute)
            }
            (Some(b'~'), Some(b'=')) => {
                self.pos += 2;
                let value = self.plain_value()?;
                Ok(Filter::Approx(Ava { attribute, value }))
            }
            (Some(b'>'), Some(b'=')) => {
                self.pos += 2;
                let value = self.plain_value()?;
                Ok(Filter::GreaterOrEqual(Ava { attribute, value }))
            }
            (Some(b'<'), Some(b'=')) => {
                self.pos += 2;
                let value = self.plain_value()?;
                Ok(Filter::LessOrEqual(Ava { attribute, value }))
            }
            (Some(b':'), _) => self.extensible(start, Some(attribute)),
            _ => Err(self.expected("a filter type ('=', '~=', '>=', '<=' or ':=')")),
        }
    }

    /// After `attr=`: an equality match, a presence test or substrings.
    fn equality_or_substrings(
        &mut self,
        attribute: AttributeDescription,
    ) -> Result<Filter, FilterParseError> {
        let first = self.value()?;
        if self.peek() != Some(b'*') {
            return Ok(Filter::Equality(Ava {
                attribute,
                value: first,
            }));
        }
        let mut rest = Vec::new();
        while self.eat(b'*') {
            let at = self.pos;
            let piece = self.value()?;
            // `**`: an empty piece between two stars. (`(cn=*)` and a
            // leading or trailing star are not: their empty pieces are the
            // absent initial and final.)
            if piece.is_empty() && self.peek() == Some(b'*') {
                return Err(FilterParseError::EmptySubstring { position: at });
            }
            rest.push(piece);
        }
        // At least one '*' was eaten, so `rest` is not empty.
        let last = rest.pop().unwrap_or_default();
        if first.is_empty() && rest.is_empty() && last.is_empty() {
            return Ok(Filter::Present(attribute));
        }
        Ok(Filter::Substrings(Substrings {
            attribute,
            initial: Some(first).filter(|v| !v.is_empty()),
            any: rest,
            final_: Some(last).filter(|v| !v.is_empty()),
        }))
    }

    /// `extensible = ( attr [dnattrs] [matchingrule] COLON EQUALS assertionvalue )
    ///             / ( [dnattrs] matchingrule COLON EQUALS assertionvalue )`
    fn extensible(
        &mut self,
        start: usize,
        attribute: Option<AttributeDescription>,
    ) -> Result<Filter, FilterParseError> {
        let mut dn_attributes = false;
        let mut rule = None;
        self.require(b':', "':'")?;
        if !self.eat(b'=') {
            let token = self.oid()?;
            if token.eq_ignore_ascii_case("dn") {
                dn_attributes = true;
                self.require(b':', "':' or ':='")?;
                if !self.eat(b'=') {
                    rule = Some(self.oid()?);
                    self.expect_assign()?;
                }
            } else {
                rule = Some(token);
                self.expect_assign()?;
            }
        }
        if attribute.is_none() && rule.is_none() {
            return Err(FilterParseError::ExtensibleWithoutTypeOrRule { position: start });
        }
        let value = self.plain_value()?;
        Ok(Filter::Extensible(MatchingRuleAssertion {
            rule,
            attribute,
            value,
            dn_attributes,
        }))
    }

    fn expect_assign(&mut self) -> Result<(), FilterParseError> {
        if self.peek() == Some(b':') && self.peek_at(1) == Some(b'=') {
            self.pos += 2;
            Ok(())
        } else {
            Err(self.expected("':='"))
        }
    }

    /// A value in which `*` is not allowed.
    fn plain_value(&mut self) -> Result<Bytes, FilterParseError> {
        let value = self.value()?;
        if self.peek() == Some(b'*') {
            return Err(FilterParseError::UnexpectedAsterisk { position: self.pos });
        }
        Ok(value)
    }

    /// `valueencoding = 0*(normal / escaped)`: stops before `(`, `)`, `*`,
    /// NUL or the end of the input.
    fn value(&mut self) -> Result<Bytes, FilterParseError> {
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            match b {
                b'(' | b')' | b'*' | b'\0' => break,
                b'\\' => {
                    let hex = |b: Option<u8>| b.and_then(|b| (b as char).to_digit(16));
                    let (Some(hi), Some(lo)) = (hex(self.peek_at(1)), hex(self.peek_at(2))) else {
                        return Err(FilterParseError::InvalidEscape { position: self.pos });
                    };
                    // Two hex digits make at most 0xff.
                    out.push((hi * 16 + lo) as u8);
                    self.pos += 3;
                }
                // Bytes of a multi-byte UTF-8 character are copied one by one;
                // none of them is ASCII, so none is a delimiter.
                b => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        Ok(Bytes::from(out))
    }

    /// `attributedescription = attributetype options`,
    /// `options = *( SEMI option )`, `option = 1*keychar`
    fn attribute_description(&mut self) -> Result<AttributeDescription, FilterParseError> {
        let start = self.pos;
        self.oid_or("an attribute description")?;
        while self.eat(b';') {
            let opt = self.pos;
            while self.peek().is_some_and(is_keychar) {
                self.pos += 1;
            }
            if self.pos == opt {
                return Err(self.expected("an attribute option"));
            }
        }
        Ok(AttributeDescription::checked(self.name(start)))
    }

    fn oid(&mut self) -> Result<MatchingRuleId, FilterParseError> {
        let start = self.pos;
        self.oid_or("a matching rule or 'dn'")?;
        Ok(MatchingRuleId::checked(self.name(start)))
    }

    /// `oid = descr / numericoid`, `descr = ALPHA *keychar`,
    /// `numericoid = number 1*( DOT number )`.
    fn oid_or(&mut self, expected: &'static str) -> Result<(), FilterParseError> {
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() => {
                while self.peek().is_some_and(is_keychar) {
                    self.pos += 1;
                }
                Ok(())
            }
            Some(b) if b.is_ascii_digit() => {
                self.number()?;
                if self.peek() != Some(b'.') {
                    return Err(self.expected("'.' (a numeric OID has at least two parts)"));
                }
                while self.eat(b'.') {
                    self.number()?;
                }
                Ok(())
            }
            _ => Err(self.expected(expected)),
        }
    }

    /// `number = DIGIT / ( LDIGIT 1*DIGIT )`
    fn number(&mut self) -> Result<(), FilterParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        match self.pos - start {
            0 => Err(self.expected("a digit")),
            1 => Ok(()),
            _ if self.input.get(start) == Some(&b'0') => Err(FilterParseError::Expected {
                expected: "a number without leading zeros",
                position: start,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
