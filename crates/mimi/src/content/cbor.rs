//! Deterministic CBOR (RFC 8949 §4.2.1), both ways.
//!
//! The encoder always writes the preferred form: shortest heads, definite lengths, the shortest
//! float that holds the value exactly (NaN as `0xf97e00`), bignums that fit 64 bits as plain
//! integers, map entries sorted by the bytes of their encoded keys.
//!
//! The decoder accepts only that form and says which rule an input breaks: it never normalises.
//! It produces `ciborium::value::Value` trees, which the schema layer (`wire.rs`) then reads.
//! Simple values other than `false`, `true` and `null` are refused (ciborium has no `undefined`).

use std::cmp::Ordering;

use ciborium::value::{Integer, Value};

use super::error::ContentError;

/// How deep arrays, maps and tags may nest in any input. Valid content needs at most 10
/// (4 levels of NestedParts); the headroom lets the schema checks report the precise limit that
/// was broken, while the recursion stays bounded.
pub(crate) const MAX_NESTING: usize = 32;

const MAJOR_UINT: u8 = 0;
const MAJOR_NINT: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;

const TAG_POS_BIGNUM: u64 = 2;
const TAG_NEG_BIGNUM: u64 = 3;

const HALF_QUIET_NAN: u16 = 0x7e00;
/// 2^-14, the smallest positive normal half-precision float.
const HALF_MIN_NORMAL: f64 = 6.103_515_625e-5;
/// 2^24: multiplying a half subnormal by this gives its integer mantissa.
const HALF_SUBNORMAL_SCALE: f64 = 16_777_216.0;
const HALF_MAX: f64 = 65504.0;

/// Appends deterministic CBOR to a buffer.
#[derive(Debug, Default)]
pub(crate) struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    fn head(&mut self, major: u8, arg: u64) {
        let m = major << 5;
        if arg < 24 {
            self.out.push(m | arg as u8);
        } else if let Ok(a) = u8::try_from(arg) {
            self.out.extend_from_slice(&[m | 24, a]);
        } else if let Ok(a) = u16::try_from(arg) {
            self.out.push(m | 25);
            self.out.extend_from_slice(&a.to_be_bytes());
        } else if let Ok(a) = u32::try_from(arg) {
            self.out.push(m | 26);
            self.out.extend_from_slice(&a.to_be_bytes());
        } else {
            self.out.push(m | 27);
            self.out.extend_from_slice(&arg.to_be_bytes());
        }
    }

    pub(crate) fn uint(&mut self, v: u64) {
        self.head(MAJOR_UINT, v);
    }

    /// Any integer in −2^64 ..= 2^64 − 1, the range ciborium's `Integer` holds.
    pub(crate) fn int(&mut self, v: i128) {
        if let Ok(u) = u64::try_from(v) {
            self.head(MAJOR_UINT, u);
        } else if let Ok(n) = u64::try_from(-1 - v) {
            self.head(MAJOR_NINT, n);
        } else {
            // Outside CBOR's native range: a bignum, as RFC 8949 §3.4.3 describes.
            let (tag, magnitude) = if v < 0 {
                (TAG_NEG_BIGNUM, (-1 - v).unsigned_abs())
            } else {
                (TAG_POS_BIGNUM, v.unsigned_abs())
            };
            self.head(MAJOR_TAG, tag);
            let be = magnitude.to_be_bytes();
            let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
            self.bytes(&be[first..]);
        }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.head(MAJOR_BYTES, b.len() as u64);
        self.out.extend_from_slice(b);
    }

    pub(crate) fn text(&mut self, s: &str) {
        self.head(MAJOR_TEXT, s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn array(&mut self, len: usize) {
        self.head(MAJOR_ARRAY, len as u64);
    }

    pub(crate) fn bool(&mut self, b: bool) {
        self.out.push(if b { 0xf5 } else { 0xf4 });
    }

    pub(crate) fn null(&mut self) {
        self.out.push(0xf6);
    }

    pub(crate) fn float(&mut self, x: f64) {
        if let Some(half) = exact_half(x) {
            self.out.push(0xf9);
            self.out.extend_from_slice(&half.to_be_bytes());
        } else if f64::from(x as f32) == x {
            self.out.push(0xfa);
            self.out
                .extend_from_slice(&(x as f32).to_bits().to_be_bytes());
        } else {
            self.out.push(0xfb);
            self.out.extend_from_slice(&x.to_bits().to_be_bytes());
        }
    }

    /// A map from already encoded keys and values. Entries are sorted by key bytes; of entries
    /// with equal keys only the first is kept, since a map with duplicate keys is not CBOR that
    /// any strict decoder (ours included) accepts.
    pub(crate) fn map(&mut self, mut entries: Vec<(Vec<u8>, Vec<u8>)>) {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        self.head(MAJOR_MAP, entries.len() as u64);
        for (k, v) in entries {
            self.out.extend_from_slice(&k);
            self.out.extend_from_slice(&v);
        }
    }

    pub(crate) fn value(&mut self, v: &Value) {
        match v {
            Value::Integer(i) => self.int(i128::from(*i)),
            Value::Bytes(b) => self.bytes(b),
            Value::Float(x) => self.float(*x),
            Value::Text(s) => self.text(s),
            Value::Bool(b) => self.bool(*b),
            Value::Null => self.null(),
            Value::Tag(tag, inner) => match (*tag, inner.as_ref()) {
                (TAG_POS_BIGNUM | TAG_NEG_BIGNUM, Value::Bytes(b)) => self.bignum(*tag, b),
                _ => {
                    self.head(MAJOR_TAG, *tag);
                    self.value(inner);
                }
            },
            Value::Array(items) => {
                self.array(items.len());
                for item in items {
                    self.value(item);
                }
            }
            Value::Map(entries) => {
                let entries = entries
                    .iter()
                    .map(|(k, v)| (encode_value(k), encode_value(v)))
                    .collect();
                self.map(entries);
            }
            // `Value` is non-exhaustive; a future variant has no MIMI meaning.
            _ => self.null(),
        }
    }

    /// RFC 8949 §4.2.1: a bignum that fits 64 bits is written as a plain integer, and no bignum
    /// has leading zero bytes.
    fn bignum(&mut self, tag: u64, magnitude: &[u8]) {
        let first = magnitude
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(magnitude.len());
        let digits = &magnitude[first..];
        if digits.len() <= 8 {
            let mut be = [0u8; 8];
            be[8 - digits.len()..].copy_from_slice(digits);
            let n = u64::from_be_bytes(be);
            self.head(
                if tag == TAG_POS_BIGNUM {
                    MAJOR_UINT
                } else {
                    MAJOR_NINT
                },
                n,
            );
        } else {
            self.head(MAJOR_TAG, tag);
            self.bytes(digits);
        }
    }
}

/// The deterministic encoding of one value.
pub(crate) fn encode_value(v: &Value) -> Vec<u8> {
    let mut e = Encoder::new();
    e.value(v);
    e.into_bytes()
}

/// The half-precision bits that represent `x` exactly, if any. NaN maps to the quiet NaN.
fn exact_half(x: f64) -> Option<u16> {
    if x.is_nan() {
        return Some(HALF_QUIET_NAN);
    }
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a == 0.0 {
        return Some(sign);
    }
    if a.is_infinite() {
        return Some(sign | 0x7c00);
    }
    if a < HALF_MIN_NORMAL {
        // Scaling by a power of two is exact, so an integral result means a half subnormal.
        let m = a * HALF_SUBNORMAL_SCALE;
        return (m.fract() == 0.0 && m < 1024.0).then_some(sign | m as u16);
    }
    if a > HALF_MAX {
        return None;
    }
    let bits = a.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mantissa = bits & ((1 << 52) - 1);
    if mantissa & ((1 << 42) - 1) != 0 {
        return None;
    }
    Some(sign | (((exponent + 15) as u16) << 10) | (mantissa >> 42) as u16)
}

fn half_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => mantissa / HALF_SUBNORMAL_SCALE,
        31 if mantissa == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1024.0 + mantissa) * 2f64.powi(exponent - 25),
    };
    sign * magnitude
}

/// Decodes exactly one deterministic CBOR item that fills `bytes`.
pub(crate) fn decode_value(bytes: &[u8]) -> Result<Value, ContentError> {
    let mut d = Decoder { bytes, pos: 0 };
    let value = d.item(0)?;
    if d.pos != bytes.len() {
        return Err(ContentError::TrailingBytes {
            offset: d.pos,
            count: bytes.len() - d.pos,
        });
    }
    Ok(value)
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize, item_start: usize) -> Result<&'a [u8], ContentError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(ContentError::Truncated { offset: item_start })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn take_array<const N: usize>(&mut self, item_start: usize) -> Result<[u8; N], ContentError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, item_start)?);
        Ok(out)
    }

    /// The argument of a head whose additional information is `ai` (0..=27), in shortest form.
    fn argument(&mut self, ai: u8, start: usize) -> Result<u64, ContentError> {
        let (value, min) = match ai {
            0..=23 => return Ok(u64::from(ai)),
            24 => (u64::from(self.take_array::<1>(start)?[0]), 24),
            25 => (
                u64::from(u16::from_be_bytes(self.take_array(start)?)),
                0x100,
            ),
            26 => (
                u64::from(u32::from_be_bytes(self.take_array(start)?)),
                0x1_0000,
            ),
            27 => (u64::from_be_bytes(self.take_array(start)?), 0x1_0000_0000),
            _ => {
                return Err(ContentError::MalformedCbor {
                    offset: start,
                    reason: "reserved additional information 28 to 30",
                });
            }
        };
        if value < min {
            return Err(ContentError::NonShortestForm { offset: start });
        }
        Ok(value)
    }

    /// Checks that `count` entries of at least `min_size` bytes each can still follow.
    fn count(&self, arg: u64, min_size: usize, start: usize) -> Result<usize, ContentError> {
        let remaining = self.bytes.len() - self.pos;
        usize::try_from(arg)
            .ok()
            .filter(|n| n.checked_mul(min_size).is_some_and(|b| b <= remaining))
            .ok_or(ContentError::Truncated { offset: start })
    }

    fn nest(depth: usize, start: usize) -> Result<usize, ContentError> {
        if depth >= MAX_NESTING {
            return Err(ContentError::NestingTooDeep {
                offset: start,
                limit: MAX_NESTING,
            });
        }
        Ok(depth + 1)
    }

    /// One item; `depth` is the number of arrays, maps and tags around it.
    fn item(&mut self, depth: usize) -> Result<Value, ContentError> {
        let start = self.pos;
        let initial = self.take_array::<1>(start)?[0];
        let (major, ai) = (initial >> 5, initial & 0x1f);
        if major == 7 {
            return self.simple_or_float(ai, start);
        }
        if ai == 31 {
            return Err(if (MAJOR_BYTES..=MAJOR_MAP).contains(&major) {
                ContentError::IndefiniteLength { offset: start }
            } else {
                ContentError::MalformedCbor {
                    offset: start,
                    reason: "additional information 31 on an integer or tag",
                }
            });
        }
        let arg = self.argument(ai, start)?;
        match major {
            MAJOR_UINT => Ok(Value::Integer(Integer::from(arg))),
            MAJOR_NINT => Integer::try_from(-1 - i128::from(arg))
                .map(Value::Integer)
                .map_err(|_| ContentError::MalformedCbor {
                    offset: start,
                    reason: "negative integer out of range",
                }),
            MAJOR_BYTES => {
                let n = self.count(arg, 1, start)?;
                Ok(Value::Bytes(self.take(n, start)?.to_vec()))
            }
            MAJOR_TEXT => {
                let n = self.count(arg, 1, start)?;
                let raw = self.take(n, start)?;
                std::str::from_utf8(raw)
                    .map(|s| Value::Text(s.to_owned()))
                    .map_err(|_| ContentError::InvalidUtf8 { offset: start })
            }
            MAJOR_ARRAY => {
                let inner = Self::nest(depth, start)?;
                let n = self.count(arg, 1, start)?;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.item(inner)?);
                }
                Ok(Value::Array(items))
            }
            MAJOR_MAP => {
                let inner = Self::nest(depth, start)?;
                let n = self.count(arg, 2, start)?;
                let mut entries = Vec::with_capacity(n.min(1024));
                let mut previous: Option<&'a [u8]> = None;
                for _ in 0..n {
                    let key_start = self.pos;
                    let key = self.item(inner)?;
                    let key_bytes = &self.bytes[key_start..self.pos];
                    match previous.map(|p| p.cmp(key_bytes)) {
                        Some(Ordering::Equal) => {
                            return Err(ContentError::DuplicateMapKey { offset: key_start });
                        }
                        Some(Ordering::Greater) => {
                            return Err(ContentError::UnsortedMapKeys { offset: key_start });
                        }
                        Some(Ordering::Less) | None => {}
                    }
                    previous = Some(key_bytes);
                    let value = self.item(inner)?;
                    entries.push((key, value));
                }
                Ok(Value::Map(entries))
            }
            _ => {
                let inner = Self::nest(depth, start)?;
                let content = self.item(inner)?;
                if let (TAG_POS_BIGNUM | TAG_NEG_BIGNUM, Value::Bytes(b)) = (arg, &content)
                    && (b.len() <= 8 || b.first() == Some(&0))
                {
                    return Err(ContentError::NonShortestBignum { offset: start });
                }
                Ok(Value::Tag(arg, Box::new(content)))
            }
        }
    }

    fn simple_or_float(&mut self, ai: u8, start: usize) -> Result<Value, ContentError> {
        match ai {
            20 => Ok(Value::Bool(false)),
            21 => Ok(Value::Bool(true)),
            22 => Ok(Value::Null),
            0..=19 | 23 => Err(ContentError::UnsupportedSimpleValue {
                offset: start,
                value: ai,
            }),
            24 => {
                let value = self.take_array::<1>(start)?[0];
                Err(if value < 32 {
                    ContentError::MalformedCbor {
                        offset: start,
                        reason: "two-byte simple value below 32",
                    }
                } else {
                    ContentError::UnsupportedSimpleValue {
                        offset: start,
                        value,
                    }
                })
            }
            25 => {
                let bits = u16::from_be_bytes(self.take_array(start)?);
                let x = half_to_f64(bits);
                if x.is_nan() && bits != HALF_QUIET_NAN {
                    return Err(ContentError::ForbiddenNaN { offset: start });
                }
                Ok(Value::Float(x))
            }
            26 => {
                let x = f64::from(f32::from_bits(u32::from_be_bytes(self.take_array(start)?)));
                Self::check_float(x, start)?;
                if exact_half(x).is_some() {
                    return Err(ContentError::NonShortestFloat { offset: start });
                }
                Ok(Value::Float(x))
            }
            27 => {
                let x = f64::from_bits(u64::from_be_bytes(self.take_array(start)?));
                Self::check_float(x, start)?;
                if f64::from(x as f32) == x {
                    return Err(ContentError::NonShortestFloat { offset: start });
                }
                Ok(Value::Float(x))
            }
            31 => Err(ContentError::MalformedCbor {
                offset: start,
                reason: "break outside an indefinite-length item",
            }),
            _ => Err(ContentError::MalformedCbor {
                offset: start,
                reason: "reserved additional information 28 to 30",
            }),
        }
    }

    fn check_float(x: f64, start: usize) -> Result<(), ContentError> {
        if x.is_nan() {
            return Err(ContentError::ForbiddenNaN { offset: start });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_bytes(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap_or_default()
    }

    #[test]
    fn floats_take_the_shortest_exact_width() {
        for (x, want) in [
            (0.0, "f90000"),
            (-0.0, "f98000"),
            (1.0, "f93c00"),
            (1.5, "f93e00"),
            (65504.0, "f97bff"),
            (5.960_464_477_539_063e-8, "f90001"),
            (f64::INFINITY, "f97c00"),
            (f64::NEG_INFINITY, "f9fc00"),
            (f64::NAN, "f97e00"),
            (100000.0, "fa47c35000"),
            (1.1, "fb3ff199999999999a"),
        ] {
            assert_eq!(hex::encode(encode_value(&Value::Float(x))), want, "{x}");
            let back = decode_value(&hex_bytes(want));
            match back {
                Ok(Value::Float(y)) => assert!(y == x || (x.is_nan() && y.is_nan()), "{x}"),
                other => panic!("{want} decoded to {other:?}"),
            }
        }
    }

    #[test]
    fn floats_wider_than_needed_and_other_nans_are_refused() {
        assert_eq!(
            decode_value(&hex_bytes("fa3fc00000")),
            Err(ContentError::NonShortestFloat { offset: 0 })
        );
        assert_eq!(
            decode_value(&hex_bytes("fb3ff8000000000000")),
            Err(ContentError::NonShortestFloat { offset: 0 })
        );
        assert_eq!(
            decode_value(&hex_bytes("f97e01")),
            Err(ContentError::ForbiddenNaN { offset: 0 })
        );
        assert_eq!(
            decode_value(&hex_bytes("fa7fc00000")),
            Err(ContentError::ForbiddenNaN { offset: 0 })
        );
    }

    #[test]
    fn integers_cover_the_whole_cbor_range() {
        for (v, want) in [
            (0i128, "00"),
            (23, "17"),
            (24, "1818"),
            (256, "190100"),
            (-1, "20"),
            (-25, "3818"),
            (u64::MAX as i128, "1bffffffffffffffff"),
            (-1 - u64::MAX as i128, "3bffffffffffffffff"),
        ] {
            let mut e = Encoder::new();
            e.int(v);
            assert_eq!(hex::encode(e.into_bytes()), want);
            let decoded = decode_value(&hex_bytes(want)).map(|x| match x {
                Value::Integer(i) => i128::from(i),
                _ => i128::MIN,
            });
            assert_eq!(decoded, Ok(v));
        }
    }

    #[test]
    fn small_bignums_are_written_as_integers_and_refused_as_tags() {
        let tagged = Value::Tag(2, Box::new(Value::Bytes(vec![0, 1, 0])));
        assert_eq!(hex::encode(encode_value(&tagged)), "190100");
        assert_eq!(
            decode_value(&hex_bytes("c243010000")),
            Err(ContentError::NonShortestBignum { offset: 0 })
        );
        let big = "c249010000000000000000";
        assert!(decode_value(&hex_bytes(big)).is_ok());
    }

    #[test]
    fn unsupported_simple_values_and_stray_breaks_are_refused() {
        assert_eq!(
            decode_value(&hex_bytes("f7")),
            Err(ContentError::UnsupportedSimpleValue {
                offset: 0,
                value: 23
            })
        );
        assert!(matches!(
            decode_value(&hex_bytes("ff")),
            Err(ContentError::MalformedCbor { offset: 0, .. })
        ));
    }

    #[test]
    fn absurd_lengths_are_truncation_not_allocation() {
        assert_eq!(
            decode_value(&hex_bytes("9bffffffffffffffff")),
            Err(ContentError::Truncated { offset: 0 })
        );
        assert_eq!(
            decode_value(&hex_bytes("5a7fffffff00")),
            Err(ContentError::Truncated { offset: 0 })
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = vec![0x81u8; 100_000];
        assert_eq!(
            decode_value(&deep),
            Err(ContentError::NestingTooDeep {
                offset: MAX_NESTING,
                limit: MAX_NESTING
            })
        );
    }
}
