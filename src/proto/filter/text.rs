//! The string form of filters (RFC 4515): parsing, printing, escaping.
//!
//! The parser is a hand-written recursive descent over the bytes of the
//! input, so that every error can name the byte offset where it was found and
//! what was expected there. Its recursion is bounded by [`MAX_DEPTH`].

use std::fmt::{self, Write as _};
use std::str::FromStr;

use bytes::Bytes;
use bytestring::ByteString;

use super::{Ava, Filter, MatchingRuleAssertion, Substrings};

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
    /// use tokio_ldap::proto::Filter;
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
/// structure. Also available as `filter::escape`.
///
/// ```
/// use tokio_ldap::proto::filter::escape_filter_value;
/// use tokio_ldap::proto::Filter;
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
    input: &'a str,
    pos: usize,
    depth: usize,
    /// Parsing a filter without outer parentheses, which the end of the
    /// input closes.
    bare: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.input.as_bytes().get(self.pos + ahead).copied()
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

    fn slice(&self, start: usize) -> &str {
        self.input.get(start..self.pos).unwrap_or_default()
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
        attribute: ByteString,
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
            rest.push(self.value()?);
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
        attribute: Option<ByteString>,
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
    fn attribute_description(&mut self) -> Result<ByteString, FilterParseError> {
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
        Ok(ByteString::from(self.slice(start)))
    }

    fn oid(&mut self) -> Result<ByteString, FilterParseError> {
        let start = self.pos;
        self.oid_or("a matching rule or 'dn'")?;
        Ok(ByteString::from(self.slice(start)))
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
            _ if self.input.as_bytes().get(start) == Some(&b'0') => {
                Err(FilterParseError::Expected {
                    expected: "a number without leading zeros",
                    position: start,
                })
            }
            _ => Ok(()),
        }
    }
}

/// `keychar = ALPHA / DIGIT / HYPHEN`
fn is_keychar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn p(s: &str) -> Filter {
        Filter::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> FilterParseError {
        Filter::parse(s).expect_err(s)
    }

    fn ava(attr: &str, value: &[u8]) -> Ava {
        Ava {
            attribute: attr.into(),
            value: Bytes::copy_from_slice(value),
        }
    }

    fn b(v: &[u8]) -> Bytes {
        Bytes::copy_from_slice(v)
    }

    #[test]
    fn simple_items() {
        assert_eq!(p("(cn=foo)"), Filter::Equality(ava("cn", b"foo")));
        assert_eq!(p("(cn>=foo)"), Filter::GreaterOrEqual(ava("cn", b"foo")));
        assert_eq!(p("(cn<=foo)"), Filter::LessOrEqual(ava("cn", b"foo")));
        assert_eq!(p("(cn~=foo)"), Filter::Approx(ava("cn", b"foo")));
        assert_eq!(p("(cn=*)"), Filter::Present("cn".into()));
        assert_eq!(p("(cn=)"), Filter::Equality(ava("cn", b"")));
        assert_eq!(p("(cn=foo bar )"), Filter::Equality(ava("cn", b"foo bar ")));
        assert_eq!(
            p("(cn;lang-en;binary=x)"),
            Filter::Equality(ava("cn;lang-en;binary", b"x"))
        );
        assert_eq!(p("(2.5.4.3=x)"), Filter::Equality(ava("2.5.4.3", b"x")));
        assert_eq!(
            p("(sn=Lučić)"),
            Filter::Equality(ava("sn", "Lučić".as_bytes()))
        );
    }

    #[test]
    fn rfc4515_examples() {
        assert_eq!(
            p("(cn=Babs Jensen)"),
            Filter::Equality(ava("cn", b"Babs Jensen"))
        );
        assert_eq!(
            p("(!(cn=Tim Howes))"),
            Filter::Not(Box::new(Filter::Equality(ava("cn", b"Tim Howes"))))
        );
        assert_eq!(
            p("(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))"),
            Filter::And(vec![
                Filter::Equality(ava("objectClass", b"Person")),
                Filter::Or(vec![
                    Filter::Equality(ava("sn", b"Jensen")),
                    Filter::Substrings(Substrings {
                        attribute: "cn".into(),
                        initial: Some(b(b"Babs J")),
                        any: vec![],
                        final_: None,
                    }),
                ]),
            ])
        );
        assert_eq!(
            p("(o=univ*of*mich*)"),
            Filter::Substrings(Substrings {
                attribute: "o".into(),
                initial: Some(b(b"univ")),
                any: vec![b(b"of"), b(b"mich")],
                final_: None,
            })
        );
        assert_eq!(p("(seeAlso=)"), Filter::Equality(ava("seeAlso", b"")));
        assert_eq!(
            p("(cn:caseExactMatch:=Fred Flintstone)"),
            Filter::Extensible(MatchingRuleAssertion {
                rule: Some("caseExactMatch".into()),
                attribute: Some("cn".into()),
                value: b(b"Fred Flintstone"),
                dn_attributes: false,
            })
        );
        assert_eq!(
            p("(cn:=Betty Rubble)"),
            Filter::Extensible(MatchingRuleAssertion {
                rule: None,
                attribute: Some("cn".into()),
                value: b(b"Betty Rubble"),
                dn_attributes: false,
            })
        );
        assert_eq!(
            p("(sn:dn:2.4.6.8.10:=Barney Rubble)"),
            Filter::Extensible(MatchingRuleAssertion {
                rule: Some("2.4.6.8.10".into()),
                attribute: Some("sn".into()),
                value: b(b"Barney Rubble"),
                dn_attributes: true,
            })
        );
        assert_eq!(
            p("(o:dn:=Ace Industry)"),
            Filter::Extensible(MatchingRuleAssertion {
                rule: None,
                attribute: Some("o".into()),
                value: b(b"Ace Industry"),
                dn_attributes: true,
            })
        );
        assert_eq!(
            p("(:1.2.3:=Wilma Flintstone)"),
            Filter::Extensible(MatchingRuleAssertion {
                rule: Some("1.2.3".into()),
                attribute: None,
                value: b(b"Wilma Flintstone"),
                dn_attributes: false,
            })
        );
        assert_eq!(
            p("(:DN:2.4.6.8.10:=Dino)"),
            Filter::Extensible(MatchingRuleAssertion {
                rule: Some("2.4.6.8.10".into()),
                attribute: None,
                value: b(b"Dino"),
                dn_attributes: true,
            })
        );
        assert_eq!(
            p("(o=Parens R Us \\28for all your parenthetical needs\\29)"),
            Filter::Equality(ava("o", b"Parens R Us (for all your parenthetical needs)"))
        );
        assert_eq!(
            p("(cn=*\\2A*)"),
            Filter::Substrings(Substrings {
                attribute: "cn".into(),
                initial: None,
                any: vec![b(b"*")],
                final_: None,
            })
        );
        assert_eq!(
            p("(filename=C:\\5cMyFile)"),
            Filter::Equality(ava("filename", b"C:\\MyFile"))
        );
        assert_eq!(
            p("(bin=\\00\\00\\00\\04)"),
            Filter::Equality(ava("bin", &[0, 0, 0, 4]))
        );
        assert_eq!(
            p("(sn=Lu\\c4\\8di\\c4\\87)"),
            Filter::Equality(ava("sn", "Lučić".as_bytes()))
        );
        assert_eq!(
            p("(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69)"),
            Filter::Equality(ava("1.3.6.1.4.1.1466.0", &[4, 2, 0x48, 0x69]))
        );
    }

    #[test]
    fn substrings_shapes() {
        let s = |f: &str| match p(f) {
            Filter::Substrings(s) => s,
            other => panic!("{f}: {other:?}"),
        };
        let x = s("(a=*x)");
        assert_eq!((x.initial, x.any, x.final_), (None, vec![], Some(b(b"x"))));
        let x = s("(a=x*)");
        assert_eq!((x.initial, x.any, x.final_), (Some(b(b"x")), vec![], None));
        let x = s("(a=*x*)");
        assert_eq!((x.initial, x.any, x.final_), (None, vec![b(b"x")], None));
        let x = s("(a=i*x*y*f)");
        assert_eq!(
            (x.initial, x.any, x.final_),
            (Some(b(b"i")), vec![b(b"x"), b(b"y")], Some(b(b"f")))
        );
        // The ABNF allows an empty `any` element.
        let x = s("(a=**)");
        assert_eq!((x.initial, x.any, x.final_), (None, vec![b(b"")], None));
    }

    #[test]
    fn boolean_and_bare() {
        assert_eq!(p("(&)"), Filter::And(vec![]));
        assert_eq!(p("(|)"), Filter::Or(vec![]));
        assert_eq!(p("cn=foo"), Filter::Equality(ava("cn", b"foo")));
        assert_eq!(p("&(a=b)(c=d)"), p("(&(a=b)(c=d))"));
        assert_eq!(p("!(a=b)"), p("(!(a=b))"));
        assert_eq!(p("cn=*"), Filter::Present("cn".into()));
    }

    #[test]
    fn display_canonical() {
        for s in [
            "(cn=foo)",
            "(&(objectClass=person)(|(sn=Jensen)(cn=Babs J*)))",
            "(!(cn=Tim Howes))",
            "(o=univ*of*mich*)",
            "(a=*x*)",
            "(a=**)",
            "(cn=*)",
            "(&)",
            "(|)",
            "(cn>=a)",
            "(cn<=a)",
            "(cn~=a)",
            "(cn:dn:2.5.13.5:=x)",
            "(:dn:rule:=x)",
            "(:rule:=x)",
            "(cn:=x)",
            "(sn=Lučić)",
            "(o=Parens R Us \\28for all\\29)",
            "(cn=\\2a\\5c\\00)",
            "(bin=\\ff\\fe)",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
        // Escapes are normalised: lower-case hex, printable UTF-8 unescaped.
        assert_eq!(p("(cn=\\2A\\41\\c4\\8d)").to_string(), "(cn=\\2aAč)");
        assert_eq!(p("(cn:DN:=x)").to_string(), "(cn:dn:=x)");
        assert_eq!(p("cn=x").to_string(), "(cn=x)");
    }

    #[test]
    fn escape_helper() {
        assert_eq!(
            escape_filter_value("a*b(c)d\\e\0"),
            "a\\2ab\\28c\\29d\\5ce\\00"
        );
        assert_eq!(escape_filter_value([0xc4, 0x8d, 0xff]), "č\\ff");
        assert_eq!(escape_filter_value(""), "");
        // `filter::escape` is the same function.
        assert_eq!(super::super::escape("a*"), "a\\2a");
    }

    #[test]
    fn error_expected() {
        let e = err("(cn=foo");
        assert_eq!(
            e,
            FilterParseError::Expected {
                expected: "')'",
                position: 7
            }
        );
        assert_eq!(e.to_string(), "expected ')' at position 7");
        assert_eq!(err("").to_string(), "expected a filter at position 0");
        assert_eq!(
            err("()").to_string(),
            "expected an attribute description at position 1"
        );
        assert_eq!(err("( cn=x)").position(), 1);
        assert_eq!(
            err("(cn =x)").to_string(),
            "expected a filter type ('=', '~=', '>=', '<=' or ':=') at position 3"
        );
        assert_eq!(err("(cn!=x)").position(), 3);
        assert_eq!(
            err("(&(a=b)c)").to_string(),
            "expected '(' or ')' at position 7"
        );
        assert_eq!(err("(& (a=b))").position(), 2);
        assert_eq!(
            err("(!a=b)").to_string(),
            "expected '(' after '!' at position 2"
        );
        assert_eq!(err("(cn=a(b)").to_string(), "expected ')' at position 5");
        assert_eq!(
            err("(cn;=x)").to_string(),
            "expected an attribute option at position 4"
        );
        assert_eq!(
            err("(1=x)").to_string(),
            "expected '.' (a numeric OID has at least two parts) at position 2"
        );
        assert_eq!(err("(1.=x)").to_string(), "expected a digit at position 3");
        assert_eq!(
            err("(1.02=x)").to_string(),
            "expected a number without leading zeros at position 3"
        );
        assert_eq!(
            err("(cn:dn=x)").to_string(),
            "expected ':' or ':=' at position 6"
        );
        assert_eq!(
            err("(cn:rule=x)").to_string(),
            "expected ':=' at position 8"
        );
        assert_eq!(err("(cn:dn:=x").to_string(), "expected ')' at position 9");
        assert_eq!(
            err("(cn::=x)").to_string(),
            "expected a matching rule or 'dn' at position 4"
        );
    }

    #[test]
    fn error_invalid_escape() {
        for (s, pos) in [
            ("(cn=\\)", 4),
            ("(cn=a\\4)", 5),
            ("(cn=\\zz)", 4),
            ("(cn=\\*)", 4),
            ("cn=\\", 3),
        ] {
            let e = err(s);
            assert_eq!(e, FilterParseError::InvalidEscape { position: pos }, "{s}");
            assert_eq!(
                e.to_string(),
                format!("invalid escape at position {pos}: '\\' must be followed by two hex digits (e.g. \\2a for '*')")
            );
        }
    }

    #[test]
    fn error_unexpected_asterisk() {
        for (s, pos) in [
            ("(cn>=a*)", 6),
            ("(cn~=*)", 5),
            ("(cn<=*a)", 5),
            ("(cn:=a*b)", 6),
        ] {
            let e = err(s);
            assert_eq!(
                e,
                FilterParseError::UnexpectedAsterisk { position: pos },
                "{s}"
            );
        }
        assert_eq!(
            err("(cn>=a*)").to_string(),
            "unescaped '*' at position 6: only '=' takes substrings; write \\2a for a literal '*'"
        );
    }

    #[test]
    fn error_extensible_without_type_or_rule() {
        for s in ["(:=x)", "(:dn:=x)"] {
            let e = err(s);
            assert_eq!(
                e,
                FilterParseError::ExtensibleWithoutTypeOrRule { position: 1 },
                "{s}"
            );
            assert_eq!(
                e.to_string(),
                "extensible match at position 1 needs an attribute type, a matching rule or both"
            );
        }
    }

    #[test]
    fn error_too_deep() {
        let ok = format!(
            "{}(a=b){}",
            "(!".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        p(&ok);
        let deep = format!("{}(a=b){}", "(!".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        let e = err(&deep);
        assert_eq!(
            e,
            FilterParseError::TooDeep {
                max: MAX_DEPTH,
                position: 2 * MAX_DEPTH
            }
        );
        assert_eq!(
            e.to_string(),
            format!(
                "filter nested deeper than 64 levels at position {}",
                2 * MAX_DEPTH
            )
        );
        // A bare filter counts as one level too.
        let bare = format!(
            "!{}(a=b){}",
            "(!".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(matches!(err(&bare), FilterParseError::TooDeep { .. }));
        // Hostile depth is an error, not a stack overflow.
        let huge = "(&".repeat(1_000_000);
        assert!(matches!(err(&huge), FilterParseError::TooDeep { .. }));
    }

    #[test]
    fn error_trailing_input() {
        let e = err("(a=b)(c=d)");
        assert_eq!(e, FilterParseError::TrailingInput { position: 5 });
        assert_eq!(
            e.to_string(),
            "unexpected input after the end of the filter at position 5"
        );
        assert_eq!(err("(a=b) ").position(), 5);
        assert_eq!(err("a=b)").position(), 3);
    }

    fn attr() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z][a-zA-Z0-9-]{0,6}(;[a-zA-Z0-9-]{1,4}){0,2}",
            "(0|[1-9][0-9]{0,3})(\\.(0|[1-9][0-9]{0,3})){1,4}",
        ]
    }

    fn rule() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z][a-zA-Z0-9-]{0,8}".prop_filter("not dn", |r| !r.eq_ignore_ascii_case("dn")),
            "(0|[1-9][0-9]{0,3})(\\.(0|[1-9][0-9]{0,3})){1,4}",
        ]
    }

    fn value() -> impl Strategy<Value = Bytes> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Bytes::from),
            ".{0,6}".prop_map(Bytes::from),
        ]
    }

    fn nonempty_value() -> impl Strategy<Value = Bytes> {
        value().prop_filter("non-empty", |v| !v.is_empty())
    }

    fn leaf() -> impl Strategy<Value = Filter> {
        let ava = || {
            (attr(), value()).prop_map(|(a, v)| Ava {
                attribute: a.into(),
                value: v,
            })
        };
        prop_oneof![
            ava().prop_map(Filter::Equality),
            ava().prop_map(Filter::GreaterOrEqual),
            ava().prop_map(Filter::LessOrEqual),
            ava().prop_map(Filter::Approx),
            attr().prop_map(|a| Filter::Present(a.into())),
            (
                attr(),
                proptest::option::of(nonempty_value()),
                proptest::collection::vec(value(), 0..3),
                proptest::option::of(nonempty_value())
            )
                .prop_filter("not a presence test", |(_, i, a, f)| {
                    i.is_some() || !a.is_empty() || f.is_some()
                })
                .prop_map(|(a, initial, any, final_)| {
                    Filter::Substrings(Substrings {
                        attribute: a.into(),
                        initial,
                        any,
                        final_,
                    })
                }),
            (
                proptest::option::of(attr()),
                proptest::option::of(rule()),
                value(),
                any::<bool>()
            )
                .prop_filter("type or rule", |(a, r, _, _)| a.is_some() || r.is_some())
                .prop_map(|(a, r, v, dn)| Filter::Extensible(MatchingRuleAssertion {
                    rule: r.map(Into::into),
                    attribute: a.map(Into::into),
                    value: v,
                    dn_attributes: dn,
                })),
        ]
    }

    fn filter() -> impl Strategy<Value = Filter> {
        leaf().prop_recursive(6, 48, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Filter::And),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Filter::Or),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
    }

    proptest! {
        #[test]
        fn round_trip(f in filter()) {
            let text = f.to_string();
            prop_assert_eq!(Filter::parse(&text), Ok(f), "{}", text);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
            if let Ok(f) = Filter::parse(&s) {
                let text = f.to_string();
                prop_assert_eq!(Filter::parse(&text), Ok(f));
            }
        }

        #[test]
        fn filter_like_strings_never_panic(s in "[()&|!=*~<>:;a-c0-2.\\\\ ]{0,40}") {
            if let Ok(f) = Filter::parse(&s) {
                let text = f.to_string();
                prop_assert_eq!(Filter::parse(&text), Ok(f));
            }
        }

        #[test]
        fn escaped_values_stay_values(v in proptest::collection::vec(any::<u8>(), 0..16)) {
            let f = Filter::parse(&format!("(cn={})", escape_filter_value(&v))).unwrap();
            prop_assert_eq!(f, Filter::Equality(ava("cn", &v)));
        }
    }
}
