use core::fmt;

/// The class bits of a BER identifier octet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// `00`: universal types (SEQUENCE, INTEGER, ...).
    Universal,
    /// `01`: application-wide tags (LDAP protocol operations).
    Application,
    /// `10`: context-specific tags (choices and optional fields).
    Context,
    /// `11`: private tags.
    Private,
}

/// A BER tag: class, primitive/constructed bit and tag number.
///
/// High tag numbers (31 and above, encoded in the multi-octet form) are
/// supported up to `u32::MAX`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag {
    /// The class.
    pub class: Class,
    /// Whether the encoding is constructed (contains further TLVs).
    pub constructed: bool,
    /// The tag number.
    pub number: u32,
}

impl Tag {
    /// Universal 1, BOOLEAN.
    pub const BOOLEAN: Self = Self::universal(0x01, false);
    /// Universal 2, INTEGER.
    pub const INTEGER: Self = Self::universal(0x02, false);
    /// Universal 4, OCTET STRING.
    pub const OCTET_STRING: Self = Self::universal(0x04, false);
    /// Universal 5, NULL.
    pub const NULL: Self = Self::universal(0x05, false);
    /// Universal 10, ENUMERATED.
    pub const ENUMERATED: Self = Self::universal(0x0a, false);
    /// Universal 16, SEQUENCE (constructed).
    pub const SEQUENCE: Self = Self::universal(0x10, true);
    /// Universal 17, SET (constructed).
    pub const SET: Self = Self::universal(0x11, true);

    const fn universal(number: u32, constructed: bool) -> Self {
        Self {
            class: Class::Universal,
            constructed,
            number,
        }
    }

    /// A primitive APPLICATION tag.
    pub const fn application(number: u32) -> Self {
        Self {
            class: Class::Application,
            constructed: false,
            number,
        }
    }

    /// A primitive context-specific tag, `[number]`.
    pub const fn context(number: u32) -> Self {
        Self {
            class: Class::Context,
            constructed: false,
            number,
        }
    }

    /// The same tag with the constructed bit set.
    pub const fn constructed(self) -> Self {
        Self {
            constructed: true,
            ..self
        }
    }

    /// The first identifier octet (for tags below 31 this is the whole
    /// identifier).
    pub const fn first_octet(self) -> u8 {
        let class = match self.class {
            Class::Universal => 0x00,
            Class::Application => 0x40,
            Class::Context => 0x80,
            Class::Private => 0xc0,
        };
        let pc = if self.constructed { 0x20 } else { 0 };
        let num = if self.number < 31 {
            self.number as u8
        } else {
            0x1f
        };
        class | pc | num
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.class {
            Class::Universal => "UNIVERSAL ",
            Class::Application => "APPLICATION ",
            Class::Context => "",
            Class::Private => "PRIVATE ",
        };
        let pc = if self.constructed { " constructed" } else { "" };
        if self.number < 31 {
            write!(
                f,
                "0x{:02x} ([{class}{}]{pc})",
                self.first_octet(),
                self.number
            )
        } else {
            write!(f, "[{class}{}]{pc}", self.number)
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
