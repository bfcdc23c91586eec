//! Model files: a trained learner (spec, weights, optionally the g-EHF's
//! `P` and parameters, or Adam's state) in a versioned, checksummed
//! little-endian binary format, written into a caller's `&mut [u8]` and
//! read from a `&[u8]` — no allocation, no dependencies.
//!
//! ```
//! use hinf::*;
//! const SPEC: ResNetSpec = ResNetSpec::xor_const(1);
//! let mut net = ResNet::new(SPEC, [0.0f32; SPEC.buffer_len()])?;
//! net.init_uniform(&mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7), 0.05)?;
//! # use rand_core::SeedableRng;
//! let mut file = [0u8; model::saved_len::<f32>(&SPEC, false, false)];
//! let n = model::save_network(&net, &mut file)?;
//!
//! let m = model::Model::parse(&file[..n])?; // magic, version, CRC, spec, values
//! let mut copy = ResNet::new(m.spec(), [0.0f32; SPEC.buffer_len()])?;
//! m.load_network(&mut copy)?;
//! assert_eq!(copy.weights(), net.weights()); // bit for bit
//! # Ok::<(), hinf::Error>(())
//! ```
//!
//! # Format (version 1)
//!
//! All integers are unsigned little-endian; `f64` fields are IEEE-754
//! binary64 little-endian; `T` is the precision of the file (binary32 or
//! binary64, little-endian), written and read bit for bit.
//!
//! | offset        | size           | field                                                   |
//! |---------------|----------------|---------------------------------------------------------|
//! | 0             | 4              | magic `b"HINF"`                                         |
//! | 4             | 2              | format version, `u16` = [`FORMAT_VERSION`]              |
//! | 6             | 1              | precision tag: 4 = `f32`, 8 = `f64` (bytes per `T`)     |
//! | 7             | 1              | sections: bit 0 = g-EHF (`P`), bit 1 = Adam; others 0   |
//! | 8             | 4              | total file length in bytes, trailer included, `u32`     |
//! | 12            | 4 × 4          | spec: N1, N, N_L, n (shortcuts; L = 2n + 3), `u32` each |
//! | 28            | 8              | sigmoid slope η0, `f64`                                 |
//! | 36            | 4              | N_w, `u32` (must match the spec)                        |
//! | 40            | N_w·b          | weights `w` (layout of eq. 16), `T`                     |
//! | *g-EHF*       | 8 + 8 + 1      | γ_f, ε0 (`f64`), gain order (0 = paper, 1 = covariance first) |
//! |               | 8 + 8 + 8      | process noise q, forgetting λ, diagonal floor (`f64`)   |
//! |               | N_w(N_w+1)/2·b | `P`, lower triangle row by row, `T`                     |
//! | *Adam*        | 4 × 8 + 1      | α, β1, β2, ε (`f64`), mode (0 = sample, 1 = batch)      |
//! |               | 4 + 8 + 8      | step count t (`u32`), β1^t, β2^t (`f64`)               |
//! |               | 3 N_w·b        | m, v, batch gradient accumulator, `T`                   |
//! | len − 4       | 4              | CRC-32 (IEEE 802.3, as zlib) of bytes `0 .. len − 4`    |
//!
//! (b = bytes per `T`; the g-EHF section comes before the Adam section
//! when both are present.)
//!
//! # Validation
//!
//! [`Model::parse`] checks, in this order: the length is at least a
//! header and a trailer ([`ModelError::Truncated`]), the magic
//! ([`ModelError::BadMagic`]), the version ([`ModelError::UnsupportedVersion`]),
//! the declared length against the slice ([`ModelError::Truncated`] or
//! [`ModelError::TrailingBytes`]), the CRC ([`ModelError::BadChecksum`]),
//! the precision tag and section bits, the spec (a valid [`ResNetSpec`]
//! whose N_w and section sizes add up to the declared length,
//! [`ModelError::InvalidSpec`]), and every value: weights, `P` and moments
//! finite, `P`'s diagonal positive, the filter's and Adam's parameters in
//! range ([`ModelError::InvalidValue`]). The `load_*` methods then check
//! the target (precision, spec, dimensions, that the section is present)
//! and only then write into it: a load that fails has changed nothing.
//!
//! The g-EHF [`crate::Extension`] (if any) is not stored: it is the
//! caller's choice, as is the scratch.
//!
//! Files: `write.rs` (the `save_*` functions), `read.rs`
//! ([`Model::parse`]), `crc.rs` ([`crc32`]); this one holds the layout's
//! constants and sizes and the `load_*` methods.

use crate::adam::{Adam, AdamConfig, AdamMode};
use crate::covariance::{Covariance, PackedCovariance, checked_packed_len};
pub use crate::error::model::{FORMAT_VERSION, ModelError};
use crate::error::{Error, Result, check_len};
use crate::gehf::{GEhf, GEhfConfig, GainOrder, Regularization};
use crate::network::ResNet;
use crate::real::Real;
use crate::spec::ResNetSpec;

mod crc;
mod read;
mod write;
pub use crc::crc32;
pub use write::{save_adam, save_gehf, save_network};

/// The file's first four bytes.
pub const MAGIC: [u8; 4] = *b"HINF";

const HEADER_LEN: usize = 40;
const TRAILER_LEN: usize = 4;
/// γ_f, ε0, gain order; q, λ, floor.
const GEHF_PARAMS_LEN: usize = 8 + 8 + 1 + 8 + 8 + 8;
/// α, β1, β2, ε, mode; t, β1^t, β2^t.
const ADAM_PARAMS_LEN: usize = 4 * 8 + 1 + 4 + 8 + 8;
const SECTION_GEHF: u8 = 1;
const SECTION_ADAM: u8 = 2;

/// Adam's step count t and bias-correction products β1^t, β2^t.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AdamCounters {
    t: u32,
    b1t: f64,
    b2t: f64,
}

/// The g-EHF section of a parsed file: its parameters and where `P` starts.
#[derive(Debug, Clone, Copy)]
struct GehfSection {
    config: GEhfConfig,
    regularization: Regularization,
    covariance_at: usize,
}

/// The Adam section of a parsed file: its parameters, counters and where
/// the 3 N_w state values start.
#[derive(Debug, Clone, Copy)]
struct AdamSection {
    config: AdamConfig,
    counters: AdamCounters,
    state_at: usize,
}

/// The gain order's byte in the file.
fn gain_order_code(order: GainOrder) -> u8 {
    match order {
        GainOrder::Paper => 0,
        GainOrder::CovarianceFirst => 1,
    }
}

/// The gain order of a byte in the file.
fn gain_order_of(code: u8) -> Option<GainOrder> {
    match code {
        0 => Some(GainOrder::Paper),
        1 => Some(GainOrder::CovarianceFirst),
        _ => None,
    }
}

/// Adam's mode's byte in the file.
fn adam_mode_code(mode: AdamMode) -> u8 {
    match mode {
        AdamMode::Sample => 0,
        AdamMode::Batch => 1,
    }
}

/// Adam's mode of a byte in the file.
fn adam_mode_of(code: u8) -> Option<AdamMode> {
    match code {
        0 => Some(AdamMode::Sample),
        1 => Some(AdamMode::Batch),
        _ => None,
    }
}

/// The precision tag of `T`: [`Real::BYTES`], if model files support it.
fn tag_of<T: Real>() -> Result<u8> {
    match T::BYTES {
        4 | 8 => Ok(T::BYTES),
        _ => Err(Error::Unsupported {
            what: "model files for this scalar type",
        }),
    }
}

/// Length of a model file of shape `spec` in precision `T`, with the
/// g-EHF section (`with_p`) and/or the Adam section (`with_adam`).
/// For sizing a `[u8; N]` buffer at compile time; saturates at
/// `usize::MAX` if it overflows.
pub const fn saved_len<T>(spec: &ResNetSpec, with_p: bool, with_adam: bool) -> usize {
    file_len(spec, core::mem::size_of::<T>(), with_p, with_adam)
}

/// [`saved_len`] for `b` bytes per value.
const fn file_len(spec: &ResNetSpec, b: usize, with_p: bool, with_adam: bool) -> usize {
    // Saturating arithmetic: any overflow carries usize::MAX to the end.
    let nw = spec.n_weights();
    let mut len = (HEADER_LEN + TRAILER_LEN).saturating_add(nw.saturating_mul(b));
    if with_p {
        // The packed triangle, N_w(N_w + 1)/2 numbers, halving the even factor.
        let packed = if nw.is_multiple_of(2) {
            (nw / 2).saturating_mul(nw.saturating_add(1))
        } else {
            nw.saturating_mul(nw.saturating_add(1) / 2)
        };
        len = len
            .saturating_add(packed.saturating_mul(b))
            .saturating_add(GEHF_PARAMS_LEN);
    }
    if with_adam {
        len = len
            .saturating_add(nw.saturating_mul(3).saturating_mul(b))
            .saturating_add(ADAM_PARAMS_LEN);
    }
    len
}

/// A validated model file, borrowed from its bytes. Every field has been
/// checked by [`Model::parse`]; the `load_*` methods check the target and
/// then copy, all or nothing.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    bytes: &'a [u8],
    tag: u8,
    spec: ResNetSpec,
    weights_at: usize,
    gehf: Option<GehfSection>,
    adam: Option<AdamSection>,
}

impl<'a> Model<'a> {
    /// The network's shape.
    pub fn spec(&self) -> ResNetSpec {
        self.spec
    }

    /// Bytes per stored value: 4 (`f32`) or 8 (`f64`).
    pub fn precision(&self) -> u8 {
        self.tag
    }

    /// The g-EHF parameters, if the file has the g-EHF section.
    pub fn gehf_config(&self) -> Option<GEhfConfig> {
        self.gehf.map(|g| g.config)
    }

    /// The g-EHF's regularization of `P`, if the file has the g-EHF section.
    pub fn regularization(&self) -> Option<Regularization> {
        self.gehf.map(|g| g.regularization)
    }

    /// Adam's parameters, if the file has the Adam section.
    pub fn adam_config(&self) -> Option<AdamConfig> {
        self.adam.map(|a| a.config)
    }

    /// `true` if the file holds `P`.
    pub fn has_covariance(&self) -> bool {
        self.gehf.is_some()
    }

    /// The g-EHF section, or [`ModelError::MissingSection`].
    fn gehf_section(&self) -> Result<GehfSection> {
        self.gehf
            .ok_or(ModelError::MissingSection { what: "g-EHF" }.into())
    }

    /// Fails unless `T` is the file's precision.
    fn check_precision<T: Real>(&self) -> Result<()> {
        let target = tag_of::<T>()?;
        if target != self.tag {
            return Err(ModelError::PrecisionMismatch {
                file: self.tag,
                target,
            }
            .into());
        }
        Ok(())
    }

    /// Fails unless `T` is the file's precision and `spec` its spec.
    fn check_target<T: Real>(&self, spec: &ResNetSpec) -> Result<()> {
        self.check_precision::<T>()?;
        if *spec != self.spec {
            return Err(ModelError::SpecMismatch.into());
        }
        Ok(())
    }

    /// Decodes `out.len()` values starting at byte `at`.
    fn decode<T: Real>(&self, at: usize, out: &mut [T]) {
        let mut r = read::Reader::at(self.bytes, at);
        let n = out.len();
        for (o, x) in out.iter_mut().zip(r.values(self.tag, n)) {
            *o = T::from_f64(x);
        }
    }

    /// Copies the weights into `out` (length N_w, precision of the file).
    pub fn weights_into<T: Real>(&self, out: &mut [T]) -> Result<()> {
        self.check_precision::<T>()?;
        check_len("weights", self.spec.n_weights(), out.len())?;
        self.decode(self.weights_at, out);
        Ok(())
    }

    /// Copies `P`'s lower triangle, row by row, into `out` (length
    /// N_w(N_w+1)/2). Fails if the file has no g-EHF section.
    pub fn covariance_into<T: Real>(&self, out: &mut [T]) -> Result<()> {
        let section = self.gehf_section()?;
        self.check_precision::<T>()?;
        let np = checked_packed_len(self.spec.n_weights()).unwrap_or(usize::MAX);
        check_len("packed covariance", np, out.len())?;
        self.decode(section.covariance_at, out);
        Ok(())
    }

    /// Loads the weights into `net`, whose spec and precision must be the
    /// file's. On error `net` is unchanged.
    pub fn load_network<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
        &self,
        net: &mut ResNet<T, S>,
    ) -> Result<()> {
        self.check_target::<T>(net.spec())?;
        self.decode(self.weights_at, net.weights_mut());
        Ok(())
    }

    /// Loads the weights into `net`, and `P`, the g-EHF parameters and the
    /// regularization into `filter` (a [`PackedCovariance`]: `P` is decoded
    /// straight into its storage). On error neither is changed.
    pub fn load_gehf<T, S, PS, U>(
        &self,
        net: &mut ResNet<T, S>,
        filter: &mut GEhf<T, PackedCovariance<T, PS>, U>,
    ) -> Result<()>
    where
        T: Real,
        S: AsRef<[T]> + AsMut<[T]>,
        PS: AsRef<[T]> + AsMut<[T]>,
        U: AsRef<[T]> + AsMut<[T]>,
    {
        let section = self.gehf_section()?;
        self.check_target::<T>(net.spec())?;
        let nw = self.spec.n_weights();
        check_len("covariance dimension", nw, filter.covariance().dim())?;
        section.check_filter(filter)?;
        // Everything is checked: from here on nothing can fail.
        self.decode(section.covariance_at, filter.covariance_mut().packed_mut());
        self.decode(self.weights_at, net.weights_mut());
        section.commit(filter);
        Ok(())
    }

    /// As [`Model::load_gehf`], for any covariance that implements
    /// [`Covariance::load_packed`], decoding `P` through `scratch`
    /// (N_w(N_w+1)/2 elements). On error neither target is changed.
    pub fn load_gehf_via<T, S, C, U>(
        &self,
        net: &mut ResNet<T, S>,
        filter: &mut GEhf<T, C, U>,
        scratch: &mut [T],
    ) -> Result<()>
    where
        T: Real,
        S: AsRef<[T]> + AsMut<[T]>,
        C: Covariance<T>,
        U: AsRef<[T]> + AsMut<[T]>,
    {
        let section = self.gehf_section()?;
        self.check_target::<T>(net.spec())?;
        let nw = self.spec.n_weights();
        check_len("covariance dimension", nw, filter.covariance().dim())?;
        let np = checked_packed_len(nw).unwrap_or(usize::MAX);
        let Some(scratch) = scratch.get_mut(..np) else {
            return Err(Error::CapacityExceeded {
                what: "covariance scratch",
                needed: np,
                capacity: scratch.len(),
            });
        };
        section.check_filter(filter)?;
        self.covariance_into(scratch)?;
        // `load_packed` validates before it changes anything; it is the
        // last step that can fail.
        filter.covariance_mut().load_packed(scratch)?;
        self.decode(self.weights_at, net.weights_mut());
        section.commit(filter);
        Ok(())
    }

    /// Loads the weights into `net` and the whole state (moments, step
    /// count, parameters) into `adam`. On error neither is changed.
    pub fn load_adam<T, S, A>(&self, net: &mut ResNet<T, S>, adam: &mut Adam<T, A>) -> Result<()>
    where
        T: Real,
        S: AsRef<[T]> + AsMut<[T]>,
        A: AsRef<[T]> + AsMut<[T]>,
    {
        let Some(section) = self.adam else {
            return Err(ModelError::MissingSection { what: "adam" }.into());
        };
        self.check_target::<T>(net.spec())?;
        check_len("adam dimension", self.spec.n_weights(), adam.dim())?;
        // Values were validated by `parse`; decode in place.
        let AdamCounters { t, b1t, b2t } = section.counters;
        adam.restore_unchecked(section.config, t, b1t, b2t, |buf| {
            self.decode(section.state_at, buf)
        });
        self.decode(self.weights_at, net.weights_mut());
        Ok(())
    }
}

impl GehfSection {
    /// Checks that `filter` can take this section's parameters and
    /// regularization (without changing it).
    fn check_filter<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>>(
        &self,
        filter: &GEhf<T, C, U>,
    ) -> Result<()> {
        let (config, reg) = (self.config, self.regularization);
        config.validate()?;
        if !(T::from_f64(config.eps0).is_finite() && T::from_f64(config.eps0) > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        reg.validate()?;
        let cov = filter.covariance();
        if !reg.is_none() && !cov.is_fixed() && !cov.supports_regularization() {
            return Err(Error::Unsupported {
                what: "regularization of this covariance",
            });
        }
        Ok(())
    }

    /// Sets this section's parameters and regularization on `filter`
    /// (already checked by [`GehfSection::check_filter`]).
    fn commit<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>>(
        &self,
        filter: &mut GEhf<T, C, U>,
    ) {
        // Both were checked: neither can fail here.
        let _ = filter.set_config(self.config);
        let _ = filter.set_regularization(self.regularization);
    }
}
