//! `f64`s in JSON that read back when they are not finite: NaN, inf and
//! −inf are written as the strings `"NaN"`, `"inf"` and `"-inf"` (JSON has
//! no such numbers; serde_json would write `null` and refuse to read it
//! back). Finite values are plain numbers, as before; `null` reads as NaN.
//! For `#[serde(with = "...")]` on the fields of a [`super::TrialResult`]
//! and the others a shard file carries ([`crate::report::shard`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The JSON of `x`.
fn to_value(x: f64) -> Value {
    if x.is_nan() {
        Value::from("NaN")
    } else if x == f64::INFINITY {
        Value::from("inf")
    } else if x == f64::NEG_INFINITY {
        Value::from("-inf")
    } else {
        Value::from(x)
    }
}

/// The number `v` holds, if it holds one.
fn from_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Null => Some(f64::NAN),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

fn read<'de, D: Deserializer<'de>>(v: &Value) -> Result<f64, D::Error> {
    from_value(v).ok_or_else(|| serde::de::Error::custom(format!("not a number: {v}")))
}

/// One `f64`.
pub mod one {
    use super::*;

    /// Writes `x`.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        to_value(*x).serialize(s)
    }

    /// Reads an `f64`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        read::<D>(&Value::deserialize(d)?)
    }
}

/// A `Vec<f64>`.
pub mod many {
    use super::*;

    /// Writes `xs`.
    pub fn serialize<S: Serializer>(xs: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<Value> = xs.iter().map(|&x| to_value(x)).collect();
        v.serialize(s)
    }

    /// Reads a `Vec<f64>`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Value>::deserialize(d)?
            .iter()
            .map(read::<D>)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct T {
        #[serde(with = "super::one")]
        x: f64,
        #[serde(with = "super::many")]
        v: Vec<f64>,
    }

    #[test]
    fn non_finite_values_read_back() {
        let t = T {
            x: f64::NAN,
            v: vec![1.5, f64::INFINITY, f64::NEG_INFINITY, 0.1 + 0.2],
        };
        let s = serde_json::to_string(&t).unwrap();
        assert_eq!(
            s,
            r#"{"x":"NaN","v":[1.5,"inf","-inf",0.30000000000000004]}"#
        );
        let u: T = serde_json::from_str(&s).unwrap();
        assert!(u.x.is_nan());
        assert_eq!(u.v[1..], t.v[1..]);
        let old: T = serde_json::from_str(r#"{"x":null,"v":[2]}"#).unwrap();
        assert!(old.x.is_nan() && old.v == [2.0]);
        assert!(serde_json::from_str::<T>(r#"{"x":"x","v":[]}"#).is_err());
    }
}
