//! What a file given as `--model` is, by its first bytes ([`ModelKind`]),
//! and the one-line error for a file that is no model at all.

use std::path::Path;

use super::error::DataError;

/// What a file named as a model holds, by its magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A model from `hinf fit --save` (magic `HINFFIT1`).
    Fit,
    /// A bare core model file (magic `HINF` and a version): an XOR
    /// learner from `hinf train --save`.
    Core,
    /// Anything else: not a model.
    NotAModel,
}

/// The kind of model `bytes` hold.
pub fn kind(bytes: &[u8]) -> ModelKind {
    if bytes.starts_with(super::fitted::MAGIC) {
        ModelKind::Fit
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
}
