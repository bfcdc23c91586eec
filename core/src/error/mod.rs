//! The crate's one error type.
//!
//! Every fallible entry point validates its input first and returns an
//! [`Error`] *before* touching any state: on error, weights, covariance and
//! optimizer state are unchanged, bit for bit.
//!
//! A leaf: it depends on [`crate::real`] only. The model-file reasons
//! ([`ModelError`]) are defined here too, in `error/model.rs`, so that
//! this module need not know the file format's reader.

use crate::real::{Real, all_finite};
use core::fmt;

pub(crate) mod model;
mod param;
pub use model::ModelError;
pub use param::Param;

/// What went wrong. Each variant says what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// A depth that is not L = 2n + 3 with n ≥ 1 (L = 5, 7, 9, ...).
    InvalidDepth {
        /// The requested number of layers.
        layers: usize,
    },
    /// A layer width of zero (input, hidden or output).
    ZeroWidth,
    /// The sigmoid slope η0 must be finite and > 0.
    InvalidSlope,
    /// γ_f must be finite and > 1 (eq. 6).
    InvalidGamma,
    /// ε0 must be finite and > 0 (eq. 5).
    InvalidEps0,
    /// An optimizer hyper-parameter is out of its range (e.g. Adam's β ∉ [0, 1)).
    InvalidParameter {
        /// Which parameter.
        name: Param,
    },
    /// A slice has the wrong length.
    LengthMismatch {
        /// What the slice is ("input", "target", "weights", ...).
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A NaN or infinity where a finite number is required.
    NonFinite {
        /// Where it was found ("input", "target", "weights", ...).
        what: &'static str,
    },
    /// Fixed storage is too small for the requested network or data.
    CapacityExceeded {
        /// What storage ("network buffer", "packed covariance", ...).
        what: &'static str,
        /// Elements needed.
        needed: usize,
        /// Elements available.
        capacity: usize,
    },
    /// A feature not available for this configuration (e.g. the g-EHF's
    /// trust-region extension with several outputs).
    Unsupported {
        /// What is unsupported.
        what: &'static str,
    },
    /// An update would make the weights or the covariance non-finite or
    /// indefinite; it was not applied and the last good state is kept.
    Diverged {
        /// Which quantity broke.
        what: &'static str,
    },
    /// A data set with no samples.
    EmptyData,
    /// A model file was refused (see [`crate::model`]); nothing was loaded.
    Model(ModelError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidDepth { layers } => write!(
                f,
                "invalid depth L = {layers}: L must be 2n + 3 with n >= 1 (5, 7, 9, ...)"
            ),
            Error::ZeroWidth => f.write_str("layer widths must be at least 1"),
            Error::InvalidSlope => f.write_str("sigmoid slope eta0 must be finite and > 0"),
            Error::InvalidGamma => f.write_str("gamma_f must be finite and > 1"),
            Error::InvalidEps0 => f.write_str("eps0 must be finite and > 0"),
            Error::InvalidParameter { name } => write!(f, "parameter {name} is out of range"),
            Error::LengthMismatch {
                what,
                expected,
                found,
            } => write!(f, "{what}: expected length {expected}, found {found}"),
            Error::NonFinite { what } => write!(f, "{what} contains NaN or infinity"),
            Error::CapacityExceeded {
                what,
                needed,
                capacity,
            } => write!(
                f,
                "{what}: capacity exceeded ({needed} elements needed, {capacity} available)"
            ),
            Error::Unsupported { what } => write!(f, "unsupported: {what}"),
            Error::Diverged { what } => {
                write!(f, "update rejected: {what} would become non-finite")
            }
            Error::EmptyData => f.write_str("the data set has no samples"),
            Error::Model(e) => write!(f, "model file rejected: {e}"),
        }
    }
}

impl core::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Checks a slice length.
#[inline]
pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

/// Checks that a slice is all finite.
#[inline]
pub(crate) fn check_finite<T: Real>(what: &'static str, xs: &[T]) -> Result<()> {
    if all_finite(xs) {
        Ok(())
    } else {
        Err(Error::NonFinite { what })
    }
}
