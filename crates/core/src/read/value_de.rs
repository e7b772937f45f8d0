//! A typed read of a parsed value that remembers where it failed and which fields it
//! ignored, in one deserializer.
//!
//! This did take three layers: serde_json's deserializer for a `Value`, wrapped by
//! serde_path_to_error (the path of an error), wrapped by serde_ignored (unknown
//! fields). Each layer is instantiated again for every type read, which made the typed
//! reads the largest part of the web app's code. One deserializer that tracks both does
//! the same work with a third of the code. Its behaviour is theirs: the same visits for
//! the same values (except a struct written as a list, which it refuses), the same error texts (serde_json's "invalid type: null, …"), the
//! deepest failing path (first error wins), and an unknown field wherever a type asks
//! to ignore a value (`IgnoredAny`, which serde's derive and k8s-openapi use for fields
//! they do not have).

use crate::parse::locate::PathSeg;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Expected, MapAccess, SeqAccess, Unexpected, VariantAccess,
    Visitor,
};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// Why a typed read failed, worded as serde_json words it.
#[derive(Debug)]
pub(crate) struct ReadError(String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ReadError(msg.to_string())
    }
    fn invalid_type(unexp: Unexpected, exp: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid type: {}, expected {}",
            JsonUnexpected(unexp),
            exp
        ))
    }
    fn invalid_value(unexp: Unexpected, exp: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid value: {}, expected {}",
            JsonUnexpected(unexp),
            exp
        ))
    }
}

/// serde's wording of an unexpected value, with JSON's names: `null`, not "unit value".
struct JsonUnexpected<'a>(Unexpected<'a>);

impl fmt::Display for JsonUnexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Float(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 => {
                write!(f, "floating point `{v:.1}`")
            }
            Unexpected::Float(v) => write!(f, "floating point `{v}`"),
            other => write!(f, "{other}"),
        }
    }
}

/// What a read noticed besides its result, as paths relative to the value read.
#[derive(Default)]
pub(crate) struct Track {
    /// Where the read failed: the deepest value whose read returned the error.
    pub error_at: Option<Vec<PathSeg>>,
    /// Fields the type does not have, in the order they were met.
    pub unknown: Vec<Vec<PathSeg>>,
}

/// Reads `value` as `T`, noting in `track` where it failed and what it ignored.
pub(crate) fn read<T: DeserializeOwned>(value: &Value, track: &mut Track) -> Result<T, ReadError> {
    let cell = RefCell::new(std::mem::take(track));
    let result = T::deserialize(ValueDe {
        value,
        path: Path::Root,
        track: &cell,
    });
    *track = cell.into_inner();
    result
}

/// Where a value is, as a chain of borrowed frames on the stack (no allocation per value).
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn segments(&self) -> Vec<PathSeg> {
        let mut segments = match self {
            Path::Root => return Vec::new(),
            Path::Key(parent, _) | Path::Index(parent, _) => parent.segments(),
        };
        match self {
            Path::Key(_, key) => segments.push(PathSeg::key(key)),
            Path::Index(_, index) => segments.push(PathSeg::Index(*index)),
            Path::Root => {}
        }
        segments
    }
}

fn fail(track: &RefCell<Track>, path: &Path, error: ReadError) -> ReadError {
    let mut track = track.borrow_mut();
    if track.error_at.is_none() {
        track.error_at = Some(path.segments());
    }
    error
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => number_unexpected(n),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

fn number_unexpected(n: &Number) -> Unexpected<'static> {
    if let Some(u) = n.as_u64() {
        Unexpected::Unsigned(u)
    } else if let Some(i) = n.as_i64() {
        Unexpected::Signed(i)
    } else {
        Unexpected::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

#[derive(Clone, Copy)]
struct ValueDe<'v, 'p, 't> {
    value: &'v Value,
    path: Path<'p>,
    track: &'t RefCell<Track>,
}

impl<'v> ValueDe<'v, '_, '_> {
    fn finish<T>(&self, result: Result<T, ReadError>) -> Result<T, ReadError> {
        result.map_err(|e| fail(self.track, &self.path, e))
    }

    fn invalid<T>(&self, exp: &dyn Expected) -> Result<T, ReadError> {
        Err(de::Error::invalid_type(unexpected(self.value), exp))
    }

    fn number<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::Number(n) => visit_number(n, visitor),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }

    fn array<V: Visitor<'v>>(&self, items: &'v [Value], visitor: V) -> Result<V::Value, ReadError> {
        let mut seq = SeqDe {
            items: items.iter().enumerate(),
            path: self.path,
            track: self.track,
        };
        let out = visitor.visit_seq(&mut seq)?;
        if seq.items.len() == 0 {
            Ok(out)
        } else {
            Err(de::Error::invalid_length(items.len(), &"fewer elements in array"))
        }
    }

    fn object<V: Visitor<'v>>(&self, map: &'v Map<String, Value>, visitor: V) -> Result<V::Value, ReadError> {
        let mut access = MapDe {
            entries: map.iter(),
            value: None,
            path: self.path,
            track: self.track,
        };
        let out = visitor.visit_map(&mut access)?;
        if access.entries.len() == 0 {
            Ok(out)
        } else {
            Err(de::Error::invalid_length(map.len(), &"fewer elements in map"))
        }
    }

    fn string<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }

    fn sequence<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::Array(items) => self.array(items, visitor),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }
}

fn visit_number<'v, V: Visitor<'v>>(n: &Number, visitor: V) -> Result<V::Value, ReadError> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl<'v> de::Deserializer<'v> for ValueDe<'v, '_, '_> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => self.array(items, visitor),
            Value::Object(map) => self.object(map, visitor),
        };
        self.finish(result)
    }

    fn deserialize_bool<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }

    fn deserialize_i8<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_i16<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_i32<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_i64<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_i128<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_u8<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_u16<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_u32<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_u64<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_u128<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_f32<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }
    fn deserialize_f64<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.number(visitor)
    }

    fn deserialize_char<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.string(visitor)
    }
    fn deserialize_str<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.string(visitor)
    }
    fn deserialize_string<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.string(visitor)
    }
    fn deserialize_identifier<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => self.array(items, visitor),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }
    fn deserialize_byte_buf<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        };
        self.finish(result)
    }

    fn deserialize_unit<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::Null => visitor.visit_unit(),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }
    fn deserialize_unit_struct<V: Visitor<'v>>(self, _name: &'static str, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'v>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        let result = visitor.visit_newtype_struct(self);
        self.finish(result)
    }

    fn deserialize_seq<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.sequence(visitor)
    }
    fn deserialize_tuple<V: Visitor<'v>>(self, _len: usize, visitor: V) -> Result<V::Value, ReadError> {
        self.sequence(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'v>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        self.sequence(visitor)
    }

    fn deserialize_map<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let result = match self.value {
            Value::Object(map) => self.object(map, visitor),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }

    fn deserialize_struct<V: Visitor<'v>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        // A Kubernetes object's struct is a mapping; serde_json would also take an array
        // (the struct's fields in order), which no manifest means. Refusing it keeps every
        // derived struct's sequence visitor out of the build.
        let result = match self.value {
            Value::Object(map) => self.object(map, visitor),
            _ => self.invalid(&visitor),
        };
        self.finish(result)
    }

    fn deserialize_enum<V: Visitor<'v>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        let (variant, value) = match self.value {
            Value::Object(map) => {
                let mut entries = map.iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, value)), None) => (variant.as_str(), Some(value)),
                    _ => {
                        let e = de::Error::invalid_value(Unexpected::Map, &"map with a single key");
                        return Err(fail(self.track, &self.path, e));
                    }
                }
            }
            Value::String(variant) => (variant.as_str(), None),
            other => {
                let e = de::Error::invalid_type(unexpected(other), &"string or map");
                return Err(fail(self.track, &self.path, e));
            }
        };
        let result = visitor.visit_enum(EnumDe {
            variant,
            value: value.map(|value| ValueDe { value, ..self }),
        });
        self.finish(result)
    }

    /// The type has no such field: an unknown field, reported by the caller.
    fn deserialize_ignored_any<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.track.borrow_mut().unknown.push(self.path.segments());
        visitor.visit_unit()
    }
}

struct SeqDe<'v, 'p, 't> {
    items: std::iter::Enumerate<std::slice::Iter<'v, Value>>,
    path: Path<'p>,
    track: &'t RefCell<Track>,
}

impl<'v> SeqAccess<'v> for SeqDe<'v, '_, '_> {
    type Error = ReadError;

    fn next_element_seed<S: DeserializeSeed<'v>>(&mut self, seed: S) -> Result<Option<S::Value>, ReadError> {
        let Some((index, value)) = self.items.next() else {
            return Ok(None);
        };
        let path = Path::Index(&self.path, index);
        let de = ValueDe {
            value,
            path,
            track: self.track,
        };
        seed.deserialize(de).map(Some).map_err(|e| fail(self.track, &path, e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'v, 'p, 't> {
    entries: serde_json::map::Iter<'v>,
    /// The entry whose key was read and whose value is next.
    value: Option<(&'v str, &'v Value)>,
    path: Path<'p>,
    track: &'t RefCell<Track>,
}

impl<'v> MapAccess<'v> for MapDe<'v, '_, '_> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'v>>(&mut self, seed: K) -> Result<Option<K::Value>, ReadError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'v>>(&mut self, seed: S) -> Result<S::Value, ReadError> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("value is missing"));
        };
        let path = Path::Key(&self.path, key);
        let de = ValueDe {
            value,
            path,
            track: self.track,
        };
        seed.deserialize(de).map_err(|e| fail(self.track, &path, e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct EnumDe<'v, 'p, 't> {
    variant: &'v str,
    value: Option<ValueDe<'v, 'p, 't>>,
}

impl<'v, 'p, 't> EnumAccess<'v> for EnumDe<'v, 'p, 't> {
    type Error = ReadError;
    type Variant = VariantDe<'v, 'p, 't>;

    fn variant_seed<S: DeserializeSeed<'v>>(self, seed: S) -> Result<(S::Value, Self::Variant), ReadError> {
        let variant = seed.deserialize(BorrowedStrDeserializer::new(self.variant))?;
        Ok((variant, VariantDe { value: self.value }))
    }
}

struct VariantDe<'v, 'p, 't> {
    value: Option<ValueDe<'v, 'p, 't>>,
}

impl<'v> VariantAccess<'v> for VariantDe<'v, '_, '_> {
    type Error = ReadError;

    fn unit_variant(self) -> Result<(), ReadError> {
        match self.value {
            None => Ok(()),
            Some(de) => de::Deserialize::deserialize(de),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'v>>(self, seed: S) -> Result<S::Value, ReadError> {
        match self.value {
            Some(de) => seed.deserialize(de),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"newtype variant")),
        }
    }

    fn tuple_variant<V: Visitor<'v>>(self, _len: usize, visitor: V) -> Result<V::Value, ReadError> {
        match self.value {
            Some(de) => match de.value {
                Value::Array(items) if items.is_empty() => visitor.visit_unit(),
                Value::Array(items) => de.array(items, visitor),
                _ => de.invalid(&"tuple variant"),
            },
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'v>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        match self.value {
            Some(de) => match de.value {
                Value::Object(map) => de.object(map, visitor),
                _ => de.invalid(&"struct variant"),
            },
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"struct variant")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::locate::DisplayPath;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code, reason = "read only to be deserialized")]
    struct Port {
        port: Option<i32>,
        name: Option<String>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code, reason = "read only to be deserialized")]
    struct Spec {
        ports: Vec<Port>,
        labels: Option<BTreeMap<String, String>>,
        mode: Option<Mode>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code, reason = "read only to be deserialized")]
    enum Mode {
        Strict,
        Weighted(u8),
    }

    fn read_spec(value: serde_json::Value) -> (Result<Spec, String>, Track) {
        let mut track = Track::default();
        let result = read::<Spec>(&value, &mut track).map_err(|e| e.to_string());
        (result, track)
    }

    fn shown(path: &Option<Vec<PathSeg>>) -> String {
        path.as_deref().map(|p| DisplayPath(p).to_string()).unwrap_or_default()
    }

    #[test]
    fn an_error_names_the_deepest_failing_field_in_serde_json_words() {
        let (result, track) = read_spec(json!({"ports": [{"port": 80}, {"port": "http"}]}));
        assert_eq!(result.unwrap_err(), "invalid type: string \"http\", expected i32");
        assert_eq!(shown(&track.error_at), "ports[1].port");

        let (result, track) = read_spec(json!({"ports": null}));
        assert_eq!(result.unwrap_err(), "invalid type: null, expected a sequence");
        assert_eq!(shown(&track.error_at), "ports");

        let (result, track) = read_spec(json!({"ports": [], "labels": {"app": 1.5}}));
        assert_eq!(
            result.unwrap_err(),
            "invalid type: floating point `1.5`, expected a string"
        );
        assert_eq!(shown(&track.error_at), "labels.app");

        let (result, track) = read_spec(json!({"ports": [{"port": 99999999999u64}]}));
        assert_eq!(
            result.unwrap_err(),
            "invalid value: integer `99999999999`, expected i32"
        );
        assert_eq!(shown(&track.error_at), "ports[0].port");
    }

    #[test]
    fn a_missing_field_fails_at_the_object_that_lacks_it() {
        let (result, track) = read_spec(json!({"labels": {}}));
        assert_eq!(result.unwrap_err(), "missing field `ports`");
        assert_eq!(shown(&track.error_at), "");
    }

    #[test]
    fn unknown_fields_are_listed_where_they_are() {
        let (result, track) = read_spec(json!({"ports": [{"port": 1, "prot": "TCP"}], "podselector": {}}));
        assert!(result.is_ok());
        let unknown: Vec<String> = track.unknown.iter().map(|p| DisplayPath(p).to_string()).collect();
        // In the map's order, which is the keys' order.
        assert_eq!(unknown, ["podselector", "ports[0].prot"]);
    }

    #[test]
    fn a_struct_written_as_a_list_is_refused() {
        // serde_json reads `[[], null, null]` as a Spec (its fields in order); no manifest means that.
        assert!(serde_json::from_value::<Spec>(json!([[], null, null])).is_ok());
        let (result, track) = read_spec(json!([[], null, null]));
        assert_eq!(result.unwrap_err(), "invalid type: sequence, expected struct Spec");
        assert_eq!(shown(&track.error_at), "");
    }

    #[test]
    fn enums_read_as_serde_json_reads_them() {
        let (result, _) = read_spec(json!({"ports": [], "mode": "Strict"}));
        assert!(matches!(
            result,
            Ok(Spec {
                mode: Some(Mode::Strict),
                ..
            })
        ));
        let (result, _) = read_spec(json!({"ports": [], "mode": {"Weighted": 80}}));
        assert!(matches!(
            result,
            Ok(Spec {
                mode: Some(Mode::Weighted(80)),
                ..
            })
        ));
        let (result, track) = read_spec(json!({"ports": [], "mode": {"Weighted": 80, "Strict": null}}));
        assert_eq!(
            result.unwrap_err(),
            "invalid value: map, expected map with a single key"
        );
        assert_eq!(shown(&track.error_at), "mode");
    }

    #[test]
    fn agrees_with_serde_json_on_every_result() {
        let inputs = [
            json!({"ports": [{"port": 1}]}),
            json!({"ports": [{"port": -1, "name": "x"}], "labels": {"a": "b"}}),
            json!({"ports": [{"port": 1.0}]}),
            json!({"ports": "x"}),
            json!({"ports": [{"port": true}]}),
            json!({"ports": [], "mode": "Weighted"}),
            json!({"ports": [], "mode": {"Strict": 1}}),
            json!({"ports": [], "mode": 3}),
        ];
        for input in inputs {
            let ours = read_spec(input.clone()).0.map(|s| format!("{s:?}"));
            let theirs = serde_json::from_value::<Spec>(input.clone())
                .map(|s| format!("{s:?}"))
                .map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{input}");
        }
    }
}
