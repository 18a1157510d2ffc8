//! The body of a message: NestedParts and what they hold (CONTENT §4.4, §4.5).

/// How a part is meant to be shown (CONTENT §8.2.2). Unknown values (9..=255) are kept and
/// treated as [`Disposition::Render`] by UIs (CONTENT §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// 0
    Unspecified,
    /// 1
    Render,
    /// 2
    Reaction,
    /// 3
    Profile,
    /// 4
    Inline,
    /// 5
    Icon,
    /// 6
    Attachment,
    /// 7
    Session,
    /// 8
    Preview,
    /// 9..=255. Build it with [`Disposition::from_u8`]: `Other(1)` would encode as 1 and decode
    /// as `Render`.
    Other(u8),
}

impl Disposition {
    /// The disposition with that registry value.
    pub fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Unspecified,
            1 => Self::Render,
            2 => Self::Reaction,
            3 => Self::Profile,
            4 => Self::Inline,
            5 => Self::Icon,
            6 => Self::Attachment,
            7 => Self::Session,
            8 => Self::Preview,
            other => Self::Other(other),
        }
    }

    /// The registry value.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::Render => 1,
            Self::Reaction => 2,
            Self::Profile => 3,
            Self::Inline => 4,
            Self::Icon => 5,
            Self::Attachment => 6,
            Self::Session => 7,
            Self::Preview => 8,
            Self::Other(v) => v,
        }
    }

    /// The registry name, or `None` for an unknown value.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::Unspecified => "unspecified",
            Self::Render => "render",
            Self::Reaction => "reaction",
            Self::Profile => "profile",
            Self::Inline => "inline",
            Self::Icon => "icon",
            Self::Attachment => "attachment",
            Self::Session => "session",
            Self::Preview => "preview",
            Self::Other(_) => return None,
        })
    }
}

/// How the parts of a MultiPart relate (CONTENT §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartSemantics {
    /// 0: alternatives; show one.
    ChooseOne,
    /// 1: parts that only make sense together.
    SingleUnit,
    /// 2: independent parts; process each.
    ProcessAll,
}

impl PartSemantics {
    /// The semantics with that wire value, if known.
    pub fn from_u64(value: u64) -> Option<Self> {
        match value {
            0 => Some(Self::ChooseOne),
            1 => Some(Self::SingleUnit),
            2 => Some(Self::ProcessAll),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::ChooseOne => 0,
            Self::SingleUnit => 1,
            Self::ProcessAll => 2,
        }
    }

    /// The draft's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ChooseOne => "chooseOne",
            Self::SingleUnit => "singleUnit",
            Self::ProcessAll => "processAll",
        }
    }
}

/// What a NestedPart holds, by cardinality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Cardinality 0: nothing, e.g. the body of a delete.
    Null,
    /// Cardinality 1: inline content.
    Single {
        /// A media type with parameters, e.g. `text/plain;charset=utf-8`.
        content_type: String,
        /// The content.
        content: Vec<u8>,
    },
    /// Cardinality 2: AEAD-encrypted content at a URL (CONTENT §4.5).
    External {
        /// Media type of the decrypted content.
        content_type: String,
        /// Where the encrypted content is.
        url: String,
        /// UNIX seconds after which the URL may be gone; 0 = never.
        expires: u32,
        /// Size in bytes; 0 = unknown.
        size: u64,
        /// IANA AEAD algorithm id; 0 = not encrypted (then key, nonce and aad are empty).
        enc_alg: u16,
        /// AEAD key.
        key: Vec<u8>,
        /// AEAD nonce.
        nonce: Vec<u8>,
        /// AEAD additional data.
        aad: Vec<u8>,
        /// IANA named-information hash id of `content_hash`.
        hash_alg: u8,
        /// Hash of the bytes at the URL.
        content_hash: Vec<u8>,
        /// Human description.
        description: String,
        /// Suggested file name.
        filename: String,
    },
    /// Cardinality 3: two or more parts.
    Multi {
        /// How the parts relate.
        semantics: PartSemantics,
        /// The parts, at least two.
        parts: Vec<NestedPart>,
    },
}

/// A body part with its disposition and language (CONTENT §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedPart {
    /// How to show it.
    pub disposition: Disposition,
    /// `""` or a comma-separated list of RFC 5646 language tags.
    pub language: String,
    /// The content.
    pub part: Part,
}

impl NestedPart {
    /// A SinglePart with no language.
    pub fn single(
        disposition: Disposition,
        content_type: &str,
        content: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            disposition,
            language: String::new(),
            part: Part::Single {
                content_type: content_type.to_owned(),
                content: content.into(),
            },
        }
    }

    /// A NullPart with disposition render, the body of a delete or unlike.
    pub fn null() -> Self {
        Self {
            disposition: Disposition::Render,
            language: String::new(),
            part: Part::Null,
        }
    }

    /// This part and all parts inside it, depth first: index `i` is the draft's `partIndex`.
    pub fn iter_depth_first(&self) -> impl Iterator<Item = &NestedPart> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let next = stack.pop()?;
            if let Part::Multi { parts, .. } = &next.part {
                stack.extend(parts.iter().rev());
            }
            Some(next)
        })
    }
}

/// Whether a media type (with or without parameters) is `text/*`.
pub(crate) fn is_text_type(content_type: &str) -> bool {
    content_type
        .get(..5)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("text/"))
}
