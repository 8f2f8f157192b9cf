//! Strict JSON for JOSE headers and claim sets: an object at the top, and no member name
//! repeated at any depth (RFC 7515 §4, RFC 7519 §4, RFC 8725 §3.7). serde_json alone would
//! silently keep the last duplicate, letting `{"scope":"read","scope":"admin"}` mean
//! different things to different parsers.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a JSON document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON, not an object at the top, trailing data, or nested too deep.
    Invalid,
    /// A member name appears twice in one object.
    Duplicate,
}

/// Parses `bytes` as a JSON object, rejecting duplicate member names at every depth.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictSeed { top: true }.deserialize(&mut de).map_err(|e| {
        if e.to_string().starts_with(DUPLICATE) {
            JsonError::Duplicate
        } else {
            JsonError::Invalid
        }
    })?;
    de.end().map_err(|_| JsonError::Invalid)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::Invalid),
    }
}

/// Parses `bytes` as any JSON value, rejecting duplicate member names at every depth (for
/// JSON-RPC bodies, which may be a batch).
#[cfg(feature = "mcp")]
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictSeed { top: false }
        .deserialize(&mut de)
        .map_err(|e| {
            if e.to_string().starts_with(DUPLICATE) {
                JsonError::Duplicate
            } else {
                JsonError::Invalid
            }
        })?;
    de.end().map_err(|_| JsonError::Invalid)?;
    Ok(value)
}

const DUPLICATE: &str = "duplicate member";

#[derive(Clone, Copy)]
struct StrictSeed {
    top: bool,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor { top: self.top })
    }
}

struct StrictVisitor {
    top: bool,
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.top {
            "a JSON object"
        } else {
            "a JSON value"
        })
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.scalar(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        match Number::from_f64(v) {
            Some(n) => self.scalar(Value::Number(n)),
            None => Err(E::custom("non-finite number")),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.scalar(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.scalar(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.scalar(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.scalar(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.top {
            return Err(de::Error::custom("top level is not an object"));
        }
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(StrictSeed { top: false })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(StrictSeed { top: false })?;
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(map))
    }
}

impl StrictVisitor {
    fn scalar<E: de::Error>(self, v: Value) -> Result<Value, E> {
        if self.top {
            Err(E::custom("top level is not an object"))
        } else {
            Ok(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_objects() {
        let m = parse_object(br#"{"a":1,"b":{"c":[1,2,{"d":null}]}}"#).unwrap();
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        assert_eq!(parse_object(br#"{"a":1,"a":2}"#), Err(JsonError::Duplicate));
        assert_eq!(
            parse_object(br#"{"x":{"a":1,"a":2}}"#),
            Err(JsonError::Duplicate)
        );
        assert_eq!(
            parse_object(br#"{"x":[{"a":1,"a":2}]}"#),
            Err(JsonError::Duplicate)
        );
    }

    #[test]
    fn rejects_non_objects_and_trailing_data() {
        for bad in [
            &b"[1]"[..],
            b"\"s\"",
            b"1",
            b"null",
            b"{} x",
            b"{}{}",
            b"\xef\xbb\xbf{}",
            b"",
            b"{\"a\":1",
        ] {
            assert_eq!(parse_object(bad), Err(JsonError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse_object(deep.as_bytes()), Err(JsonError::Invalid));
    }
}
