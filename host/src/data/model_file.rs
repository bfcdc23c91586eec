//! What a file given as `--model` is, by its first bytes ([`ModelKind`]),
//! the one-line error for a file that is no model at all, and the host
//! wrapper both `fit` and `train` models use around a core model file:
//!
//! | bytes | field |
//! |-------|-------|
//! | 8     | magic: `b"HINFFIT1"` (`fit`) or `b"HINFXOR1"` (`train`) |
//! | 4     | length J of the JSON section, `u32` little-endian |
//! | J     | JSON: what the model needs beside the network (encoding, settings) |
//! | 4     | CRC-32 of the JSON section, `u32` little-endian |
//! | rest  | a core model file ([`hinf::model`]: versioned, its own CRC-32) |

use std::path::Path;

use super::error::DataError;

/// The first bytes of a `hinf fit --save` model file.
pub const FIT_MAGIC: &[u8; 8] = b"HINFFIT1";

/// The first bytes of a `hinf train --save` model file.
pub const XOR_MAGIC: &[u8; 8] = b"HINFXOR1";

/// What a file named as a model holds, by its magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A model from `hinf fit --save` (magic `HINFFIT1`).
    Fit,
    /// An XOR learner from `hinf train --save` (magic `HINFXOR1`).
    Xor,
    /// A bare core model file (magic `HINF` and a version): an XOR
    /// learner saved by `hinf train --save` before its settings were
    /// stored, or by the core's `hinf::model::save_*`.
    Core,
    /// Anything else: not a model.
    NotAModel,
}

/// The kind of model `bytes` hold.
pub fn kind(bytes: &[u8]) -> ModelKind {
    if bytes.starts_with(FIT_MAGIC) {
        ModelKind::Fit
    } else if bytes.starts_with(XOR_MAGIC) {
        ModelKind::Xor
    } else if bytes.starts_with(&hinf::model::MAGIC) {
        ModelKind::Core
    } else {
        ModelKind::NotAModel
    }
}

/// Why `bytes`, read from `path`, are not a model: empty, or a wrong
/// magic (with a hint when they look like a CSV file).
pub fn not_a_model(path: &Path, bytes: &[u8]) -> DataError {
    let what = if bytes.is_empty() {
        "it is empty".to_string()
    } else if looks_like_csv(bytes) {
        "wrong magic: it looks like a CSV file, which goes with --data".to_string()
    } else {
        "wrong magic".to_string()
    };
    DataError::Model(format!(
        "{} is not a hinf model ({what}); models are written by `hinf fit --save` and `hinf train --save`",
        path.display()
    ))
}

/// A wrapped model file (the table of the module docs).
pub fn wrap(magic: &[u8; 8], json: &[u8], core: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16 + json.len() + core.len());
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(json);
    bytes.extend_from_slice(&hinf::model::crc32(json).to_le_bytes());
    bytes.extend_from_slice(core);
    bytes
}

/// The JSON section (checksum verified) and the core section of a file
/// whose magic the caller has checked; else what is wrong with it.
pub fn unwrap(bytes: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    let Some(len) = bytes.get(8..12) else {
        return Err("truncated");
    };
    let j = u32::from_le_bytes(len.try_into().unwrap_or_default()) as usize;
    let Some(json) = bytes.get(12..12usize.saturating_add(j)) else {
        return Err("truncated JSON section");
    };
    let Some(crc) = bytes.get(12 + j..16 + j) else {
        return Err("truncated");
    };
    if hinf::model::crc32(json).to_le_bytes() != crc {
        return Err("JSON section checksum mismatch");
    }
    Ok((json, &bytes[16 + j..]))
}

/// `true` if the first line is text with a comma in it.
fn looks_like_csv(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    std::str::from_utf8(line).is_ok_and(|l| l.contains(',') && !l.contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_magic() {
        assert_eq!(kind(b"HINFFIT1...."), ModelKind::Fit);
        assert_eq!(kind(b"HINFXOR1...."), ModelKind::Xor);
        assert_eq!(kind(b"HINF\x01\x00"), ModelKind::Core);
        assert_eq!(kind(b"a,b\n1,2\n"), ModelKind::NotAModel);
        assert_eq!(kind(b""), ModelKind::NotAModel);
        let p = Path::new("x.csv");
        let m = not_a_model(p, b"a,b\n1,2\n").to_string();
        assert!(
            m.contains("x.csv is not a hinf model") && m.contains("CSV"),
            "{m}"
        );
        assert!(not_a_model(p, b"").to_string().contains("empty"));
        assert!(!not_a_model(p, b"\x7fELF").to_string().contains("CSV"));
    }

    #[test]
    fn wrap_round_trips_and_every_cut_is_refused() {
        let w = wrap(b"HINFXOR1", b"{}", b"core");
        assert_eq!(unwrap(&w), Ok((&b"{}"[..], &b"core"[..])));
        for cut in 0..16 + 2 {
            assert!(unwrap(&w[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = w.clone();
        bad[13] ^= 1;
        assert_eq!(unwrap(&bad), Err("JSON section checksum mismatch"));
    }
}
