//! MIMI identifiers (PROTO §3): `mimi://domain` for a provider, `/u/` users, `/d/` clients (devices)
//! and `/r/` rooms. PROTO leaves the concrete syntax open (§1.1); Conclave accepts a conservative
//! subset so that an identifier has exactly one spelling and can be compared byte for byte.

use std::fmt;
use std::str::FromStr;

use crate::error::UriError;

const SCHEME: &str = "mimi://";
const MAX_DOMAIN: usize = 253;
const MAX_LOCAL: usize = 64;

/// What a MIMI URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UriKind {
    /// `mimi://domain`
    Provider,
    /// `mimi://domain/u/name`
    User,
    /// `mimi://domain/d/id`
    Client,
    /// `mimi://domain/r/id`
    Room,
}

impl UriKind {
    fn segment(self) -> &'static str {
        match self {
            UriKind::Provider => "",
            UriKind::User => "u",
            UriKind::Client => "d",
            UriKind::Room => "r",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            UriKind::Provider => "provider",
            UriKind::User => "user",
            UriKind::Client => "client",
            UriKind::Room => "room",
        }
    }
}

/// A validated MIMI URI of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MimiUri {
    domain: String,
    local: Option<(char, String)>,
}

impl MimiUri {
    /// Parses and validates any MIMI URI.
    pub fn parse(s: &str) -> Result<Self, UriError> {
        let rest = s
            .strip_prefix(SCHEME)
            .ok_or_else(|| UriError::Scheme(s.to_owned()))?;
        let (domain, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        validate_domain(domain)?;
        let local = match path {
            None => None,
            Some(path) => {
                let (seg, local) = path
                    .split_once('/')
                    .ok_or_else(|| UriError::Path(s.to_owned()))?;
                let kind = match seg {
                    "u" => 'u',
                    "d" => 'd',
                    "r" => 'r',
                    _ => return Err(UriError::Path(s.to_owned())),
                };
                validate_local(local)?;
                Some((kind, local.to_owned()))
            }
        };
        Ok(MimiUri {
            domain: domain.to_owned(),
            local,
        })
    }

    /// What this URI names.
    pub fn kind(&self) -> UriKind {
        match self.local {
            None => UriKind::Provider,
            Some(('u', _)) => UriKind::User,
            Some(('d', _)) => UriKind::Client,
            Some(_) => UriKind::Room,
        }
    }

    /// The provider domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The name or id after `/u/`, `/d/` or `/r/`; empty for a provider.
    pub fn local(&self) -> &str {
        self.local.as_ref().map(|(_, l)| l.as_str()).unwrap_or("")
    }

    fn expect(self, kind: UriKind) -> Result<Self, UriError> {
        if self.kind() == kind {
            Ok(self)
        } else {
            Err(UriError::Kind {
                expected: kind.noun(),
                found: self.kind().noun(),
                uri: self.to_string(),
            })
        }
    }
}

impl fmt::Display for MimiUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.local {
            None => write!(f, "{SCHEME}{}", self.domain),
            Some((k, l)) => write!(f, "{SCHEME}{}/{k}/{l}", self.domain),
        }
    }
}

fn validate_domain(d: &str) -> Result<(), UriError> {
    let bad = |why: &'static str| UriError::Domain {
        domain: d.to_owned(),
        why,
    };
    if d.is_empty() {
        return Err(bad("it is empty"));
    }
    if d.len() > MAX_DOMAIN {
        return Err(bad("it is longer than 253 characters"));
    }
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("its port is not a number"));
    }
    for label in host.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("a label is empty or longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad(
                "only lowercase letters, digits, '-' and '.' are allowed",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("a label starts or ends with '-'"));
        }
    }
    Ok(())
}

fn validate_local(l: &str) -> Result<(), UriError> {
    let bad = |why: &'static str| UriError::Local {
        local: l.to_owned(),
        why,
    };
    if l.is_empty() {
        return Err(bad("it is empty"));
    }
    if l.len() > MAX_LOCAL {
        return Err(bad("it is longer than 64 characters"));
    }
    if !l
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(bad("only letters, digits, '-', '_' and '.' are allowed"));
    }
    if !l.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(bad("it must start with a letter or digit"));
    }
    Ok(())
}

macro_rules! typed_uri {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(MimiUri);

        impl $name {
            /// Parses a URI that must be of this kind.
            pub fn parse(s: &str) -> Result<Self, UriError> {
                Ok(Self(MimiUri::parse(s)?.expect($kind)?))
            }
            /// Builds one from a domain and a local part, validating both.
            pub fn new(domain: &str, local: &str) -> Result<Self, UriError> {
                Self::parse(&format!("{SCHEME}{domain}/{}/{local}", $kind.segment()))
            }
            /// The provider domain.
            pub fn domain(&self) -> &str {
                self.0.domain()
            }
            /// The part after the kind segment.
            pub fn local(&self) -> &str {
                self.0.local()
            }
            /// The URI as bytes, as carried in `IdentifierUri`.
            pub fn to_bytes(&self) -> Vec<u8> {
                self.0.to_string().into_bytes()
            }
            /// Parses the bytes of an `IdentifierUri`.
            pub fn from_bytes(b: &[u8]) -> Result<Self, UriError> {
                let s = std::str::from_utf8(b).map_err(|_| UriError::Utf8)?;
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = UriError;
            fn from_str(s: &str) -> Result<Self, UriError> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

typed_uri!(
    /// A user: `mimi://domain/u/name`.
    UserUri,
    UriKind::User
);
typed_uri!(
    /// A client (device): `mimi://domain/d/id`.
    ClientUri,
    UriKind::Client
);
typed_uri!(
    /// A room: `mimi://domain/r/id`.
    RoomUri,
    UriKind::Room
);

/// A provider: `mimi://domain`.
pub fn provider_uri(domain: &str) -> Result<MimiUri, UriError> {
    MimiUri::parse(&format!("{SCHEME}{domain}"))?.expect(UriKind::Provider)
}

/// Checks a bare domain (as given to `conclave-hub serve --domain`).
pub fn validate_provider_domain(domain: &str) -> Result<(), UriError> {
    validate_domain(domain)
}

/// PROTO §6.1: a pseudonym's local part is "a random UUID qualified with the domain of the
/// user's provider". This formats 16 random bytes (the caller's randomness) as a version-4 UUID,
/// lowercase and hyphenated.
pub fn pseudonym_local(random: [u8; 16]) -> String {
    let mut b = random;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Whether a local part has the form of a pseudonym ([`pseudonym_local`]): a lowercase,
/// hyphenated UUID. A hub gives this form to pseudonyms only, so that no pseudonym can name a
/// registered user or client, and no user name can be a pseudonym.
pub fn is_pseudonym_local(local: &str) -> bool {
    let b = local.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_from_the_draft_examples() {
        assert_eq!(
            MimiUri::parse("mimi://a.example").unwrap().kind(),
            UriKind::Provider
        );
        let u = UserUri::parse("mimi://a.example/u/alice").unwrap();
        assert_eq!((u.domain(), u.local()), ("a.example", "alice"));
        let c = ClientUri::parse("mimi://a.example/d/ClientA1").unwrap();
        assert_eq!(c.local(), "ClientA1");
        let r = RoomUri::parse("mimi://a.example/r/clubhouse").unwrap();
        assert_eq!(r.to_string(), "mimi://a.example/r/clubhouse");
        assert_eq!(
            UserUri::parse("mimi://127.0.0.1:8443/u/bob")
                .unwrap()
                .domain(),
            "127.0.0.1:8443"
        );
    }

    #[test]
    fn rejects_malformed_uris_with_the_reason() {
        for (s, needle) in [
            ("https://a.example/u/alice", "mimi://"),
            ("mimi://A.example/u/alice", "lowercase"),
            ("mimi://a..example/u/x", "label"),
            ("mimi://a.example/x/alice", "path"),
            ("mimi://a.example/u/", "empty"),
            ("mimi://a.example/u/al ice", "allowed"),
            ("mimi://a.example/u/-alice", "start"),
            ("mimi://a.example/u/a/b", "allowed"),
            ("mimi://a.example:http/u/a", "port"),
        ] {
            let e = MimiUri::parse(s).unwrap_err().to_string();
            assert!(e.contains(needle), "{s}: {e}");
        }
        let long = format!("mimi://a.example/u/{}", "a".repeat(65));
        assert!(MimiUri::parse(&long).is_err());
    }

    #[test]
    fn typed_parse_rejects_the_wrong_kind() {
        let e = UserUri::parse("mimi://a.example/r/room1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a user URI but mimi://a.example/r/room1 is a room URI"
        );
        assert!(RoomUri::parse("mimi://a.example").is_err());
    }

    #[test]
    fn round_trips_through_bytes_and_serde() {
        let u = UserUri::new("a.example", "alice").unwrap();
        assert_eq!(UserUri::from_bytes(&u.to_bytes()).unwrap(), u);
        let j = serde_json::to_string(&u).unwrap();
        assert_eq!(j, "\"mimi://a.example/u/alice\"");
        assert_eq!(serde_json::from_str::<UserUri>(&j).unwrap(), u);
        assert!(serde_json::from_str::<UserUri>("\"mimi://a.example/d/x\"").is_err());
    }

    #[test]
    fn pseudonyms_are_lowercase_uuids_and_nothing_else_is() {
        let p = pseudonym_local([0xab; 16]);
        assert_eq!(p, "abababab-abab-4bab-abab-abababababab");
        assert!(is_pseudonym_local(&p));
        assert!(UserUri::new("a.example", &p).is_ok());
        for not in [
            "alice",
            "0123456789abcdef",
            "ABABABAB-ABAB-4BAB-ABAB-ABABABABABAB",
            "abababab-abab-4bab-abab-ababababababa",
            "abababab_abab-4bab-abab-abababababab",
            "abababab-abab-4bab-abab-ababababab.b",
        ] {
            assert!(!is_pseudonym_local(not), "{not}");
        }
    }
}
