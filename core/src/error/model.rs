//! Why a model file was refused: [`ModelError`], wrapped in
//! [`Error::Model`]. It lives here, below every learner, so that the error
//! type does not depend on the file format's reader (`crate::model`).

use super::Error;

/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// Why a model file was refused. Wrapped in [`Error::Model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ModelError {
    /// Fewer bytes than the header and trailer, or than the length the
    /// header declares.
    Truncated {
        /// Bytes required.
        needed: usize,
        /// Bytes given.
        found: usize,
    },
    /// More bytes than the header declares.
    TrailingBytes {
        /// Bytes declared.
        declared: usize,
        /// Bytes given.
        found: usize,
    },
    /// The first four bytes are not `b"HINF"`.
    BadMagic,
    /// A format version this crate does not read.
    UnsupportedVersion {
        /// The version in the file.
        found: u16,
    },
    /// The CRC-32 trailer does not match the contents.
    BadChecksum {
        /// The CRC stored in the file.
        stored: u32,
        /// The CRC of the contents.
        computed: u32,
    },
    /// A precision tag other than 4 (`f32`) or 8 (`f64`).
    UnknownPrecision {
        /// The tag in the file.
        tag: u8,
    },
    /// The file's precision is not the target's (no silent conversion).
    PrecisionMismatch {
        /// Bytes per value in the file.
        file: u8,
        /// Bytes per value of the target.
        target: u8,
    },
    /// Unknown section bits set.
    UnknownSections {
        /// The section byte.
        flags: u8,
    },
    /// The stored spec is invalid or inconsistent with the file's length.
    InvalidSpec,
    /// The file's spec differs from the target network's.
    SpecMismatch,
    /// A value out of its range (non-finite weight, non-positive diagonal
    /// of `P`, γ_f ≤ 1, ...).
    InvalidValue {
        /// Which value.
        what: &'static str,
    },
    /// The section the load needs is not in the file.
    MissingSection {
        /// Which section ("g-EHF" or "adam").
        what: &'static str,
    },
}

impl core::fmt::Display for ModelError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            ModelError::Truncated { needed, found } => {
                write!(f, "truncated: {needed} bytes needed, {found} given")
            }
            ModelError::TrailingBytes { declared, found } => {
                write!(f, "{found} bytes given but the header declares {declared}")
            }
            ModelError::BadMagic => f.write_str("not a hinf model file (bad magic)"),
            ModelError::UnsupportedVersion { found } => write!(
                f,
                "format version {found} is not supported (this build reads {FORMAT_VERSION})"
            ),
            ModelError::BadChecksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is corrupt"
            ),
            ModelError::UnknownPrecision { tag } => write!(f, "unknown precision tag {tag}"),
            ModelError::PrecisionMismatch { file, target } => write!(
                f,
                "the file holds {}-byte values, the target {}-byte values",
                file, target
            ),
            ModelError::UnknownSections { flags } => {
                write!(f, "unknown section flags {flags:#04x}")
            }
            ModelError::InvalidSpec => f.write_str("invalid or inconsistent network spec"),
            ModelError::SpecMismatch => {
                f.write_str("the file's network spec differs from the target's")
            }
            ModelError::InvalidValue { what } => write!(f, "invalid value: {what}"),
            ModelError::MissingSection { what } => write!(f, "the file has no {what} section"),
        }
    }
}

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Self {
        Error::Model(e)
    }
}
