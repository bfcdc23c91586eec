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
//! | 7             | 1              | sections: bit 0 = g-EHF, bit 1 = Adam, bit 2 = `P` as an information window, bit 3 = `P` as a structured window (bits 2 and 3 each with bit 0, not both); others 0 |
//! | 8             | 4              | total file length in bytes, trailer included, `u32`     |
//! | 12            | 4 × 4          | spec: N1, N, N_L, n (shortcuts; L = 2n + 3), `u32` each |
//! | 28            | 8              | sigmoid slope η0, `f64`                                 |
//! | 36            | 4              | N_w, `u32` (must match the spec)                        |
//! | 40            | N_w·b          | weights `w` (layout of eq. 16), `T`                     |
//! | *g-EHF*       | 8 + 8 + 1      | γ_f, ε0 (`f64`), gain order (0 = paper, 1 = covariance first) |
//! |               | 8 + 8 + 8      | process noise q, forgetting λ, diagonal floor (`f64`)   |
//! |               | N_w(N_w+1)/2·b | `P`, lower triangle row by row, `T` (bit 2 clear)       |
//! | *window*      | 4 + 4 + 4      | instead of `P` (bit 2): r, N_L, n ≤ r·N_L (`u32`)       |
//! |               | 1 + 8          | row storage (0 = dense: ρ = N_w; 1 = factored: ρ = Σ_t (N_t + N_{t+1})), the window's ε0 (`f64`) |
//! |               | n·b            | the weights `a_i` of eq. (7), newest row first, `T`     |
//! |               | n·ρ·b          | the kept rows, newest first, ρ values each (factored: per `Wᵗ`, z then δ), `T` |
//! | *terms*       | 4 + 4 + 8      | instead of `P` (bit 3): r, n ≤ r (`u32`), the window's ε0 (`f64`) |
//! |               | n·(1 + N_w)·b  | the kept terms of `ε0 I − Σ c_i u_i u_iᵀ`, newest first: `c_i`, then `u_i` (N_w values), `T` |
//! | *Adam*        | 4 × 8 + 1      | α, β1, β2, ε (`f64`), mode (0 = sample, 1 = batch)      |
//! |               | 4 + 8 + 8      | step count t (`u32`), β1^t, β2^t (`f64`)               |
//! |               | 3 N_w·b        | m, v, batch gradient accumulator, `T`                   |
//! | len − 4       | 4              | CRC-32 (IEEE 802.3, as zlib) of bytes `0 .. len − 4`    |
//!
//! (b = bytes per `T`; the g-EHF section comes before the Adam section
//! when both are present.)
//!
//! An information window ([`crate::InfoWindow`], eq. 7) is stored by its
//! rows, as [`Covariance::window_state`] and [`Covariance::window_row`]
//! give them, not as the packed `P` it represents: (r·N_L)·(N_w + 1)
//! numbers at most instead of N_w(N_w+1)/2. Loading rebuilds its Gram
//! matrix and Cholesky factor from the rows, with the same arithmetic as
//! the steps that built them, so the loaded learner continues bit for bit.
//! Files without bit 2 are the same bytes as before it existed, and read
//! the same; a reader older than bit 2 refuses a window file
//! ([`ModelError::UnknownSections`]) rather than misreading it: so the
//! version stays 1.
//!
//! A structured window ([`crate::TermWindow`], the last r terms of
//! `P = ε0 I − Σ c_i u_i u_iᵀ`, eq. 4) is stored by its terms, as
//! [`Covariance::term_state`] and [`Covariance::window_term`] give them:
//! n·(N_w + 1) numbers, n ≤ r. Loading ([`Covariance::load_terms`]) puts
//! them back in the same order, so every sum of the window runs over the
//! same terms in the same order: the loaded learner continues bit for
//! bit. Bit 3 is new in the same way as bit 2: files without it are
//! unchanged, and an older reader refuses a file with it.
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
//! range; a window's r ≥ 1, N_L ≥ 1, n ≤ r·N_L, row storage known, ε0 > 0,
//! weights `a_i` in (0, 1] (`1 − γ⁻²` rounds to 1 for a huge γ) and rows
//! finite; a structured window's r ≥ 1, n ≤ r, ε0 > 0, every `c_i`
//! finite and > 0 (`c = a / (1 + a s)`, `a = 1 − γ⁻² > 0`) and every `u_i`
//! finite ([`ModelError::InvalidValue`]). The `load_*` methods then check
//! the target (precision, spec, dimensions, that the section is present)
//! and only then write into it: a load that fails has changed nothing.
//! A window checks more there ([`Covariance::load_window`] factors its
//! Gram system, [`Covariance::load_terms`] the diagonal of its `P`), in
//! the target's precision and with its roundings.
//!
//! The g-EHF [`crate::Extension`] (if any) is not stored: it is the
//! caller's choice, as is the scratch.
//!
//! Files: `write.rs` (the `save_*` functions), `read.rs`
//! ([`Model::parse`]), `crc.rs` ([`crc32`]); this one holds the layout's
//! constants and sizes and the `load_*` methods.

use crate::adam::{Adam, AdamConfig, AdamMode};
use crate::covariance::{
    Covariance, FactoredShape, PackedCovariance, RowStorage, TermState, WindowState,
    checked_packed_len,
};
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
/// With [`SECTION_GEHF`]: `P` as an information window, not packed.
const SECTION_WINDOW: u8 = 4;
/// r, N_L, n (`u32`), row storage (`u8`), ε0 (`f64`).
const WINDOW_HEADER_LEN: usize = 4 + 4 + 4 + 1 + 8;
/// With [`SECTION_GEHF`]: `P` as a structured window (its terms), not
/// packed.
const SECTION_TERMS: u8 = 8;
/// r, n (`u32`), ε0 (`f64`).
const TERMS_HEADER_LEN: usize = 4 + 4 + 8;

/// Adam's step count t and bias-correction products β1^t, β2^t.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AdamCounters {
    t: u32,
    b1t: f64,
    b2t: f64,
}

/// How a file stores `P`.
#[derive(Debug, Clone, Copy)]
enum StoredP {
    /// The lower triangle, N_w(N_w + 1)/2 values.
    Packed,
    /// An information window (bit 2): its weights `a_i`, then its rows.
    Window(WindowState<f64>),
    /// A structured window (bit 3): its terms, each `c_i` then `u_i`.
    Terms(TermState<f64>),
}

/// The g-EHF section of a parsed file: its parameters, how it stores `P`
/// and where that starts.
#[derive(Debug, Clone, Copy)]
struct GehfSection {
    config: GEhfConfig,
    regularization: Regularization,
    covariance_at: usize,
    p: StoredP,
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

/// The row storage's byte in the file.
fn storage_code(storage: RowStorage) -> u8 {
    match storage {
        RowStorage::Dense => 0,
        RowStorage::Factored => 1,
    }
}

/// The row storage of a byte in the file.
fn storage_of(code: u8) -> Option<RowStorage> {
    match code {
        0 => Some(RowStorage::Dense),
        1 => Some(RowStorage::Factored),
        _ => None,
    }
}

/// Values per row of a window of `storage` for `spec`: N_w if dense,
/// [`crate::FactoredShape::row_len`] if factored.
const fn window_row_len(spec: &ResNetSpec, storage: RowStorage) -> usize {
    match storage {
        RowStorage::Dense => spec.n_weights(),
        RowStorage::Factored => FactoredShape::new(spec, 1).row_len(),
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

/// Length of a model file of shape `spec` in precision `T` with the g-EHF
/// section whose `P` is an information window of `rows` kept rows stored
/// as `storage` (section bit 2; no Adam section). `rows` = r·N_L
/// ([`crate::WindowShape::rows`]) sizes a buffer for any state of a
/// window of memory r. Saturates at `usize::MAX`.
pub const fn saved_window_len<T>(spec: &ResNetSpec, rows: usize, storage: RowStorage) -> usize {
    let row_len = window_row_len(spec, storage);
    window_file_len(spec, core::mem::size_of::<T>(), rows, row_len, false)
}

/// Length of a model file of shape `spec` in precision `T` with the g-EHF
/// section whose `P` is a structured window of `terms` kept terms
/// (section bit 3; no Adam section). `terms` = r
/// ([`crate::TermWindowShape::memory`]) sizes a buffer for any state of a
/// window of memory r. Saturates at `usize::MAX`.
///
/// ```
/// use hinf::{ResNetSpec, model::{saved_len, saved_terms_len}};
/// const SPEC: ResNetSpec = ResNetSpec::xor_const(1); // L = 5, N_w = 76
/// // Header, weights, trailer; g-EHF parameters; r, n, ε0; 8 (c_i, u_i).
/// assert_eq!(saved_terms_len::<f32>(&SPEC, 8), 44 + 4 * 76 + 41 + 16 + 8 * 4 * 77);
/// let buf = [0u8; saved_terms_len::<f32>(&SPEC, 8)]; // a buffer for any state of r = 8
/// assert!(buf.len() < saved_len::<f32>(&SPEC, true, false));
/// ```
pub const fn saved_terms_len<T>(spec: &ResNetSpec, terms: usize) -> usize {
    terms_file_len(spec, core::mem::size_of::<T>(), terms, false)
}

/// The length [`save_gehf`] writes for a g-EHF learner with covariance
/// `cov` on a network of shape `spec`: [`saved_window_len`] for the rows
/// an information window holds now, [`saved_terms_len`] for the terms a
/// structured window holds now, [`saved_len`]`(spec, true, false)` for any
/// other covariance.
pub fn saved_gehf_len<T: Real, C: Covariance<T>>(spec: &ResNetSpec, cov: &C) -> usize {
    let b = core::mem::size_of::<T>();
    match (cov.window_state(), cov.term_state()) {
        (Some(ws), _) => window_file_len(spec, b, ws.rows, ws.row_len, false),
        (None, Some(ts)) => terms_file_len(spec, b, ts.terms, false),
        (None, None) => saved_len::<T>(spec, true, false),
    }
}

/// [`saved_terms_len`] for `b` bytes per value, with or without the Adam
/// section.
const fn terms_file_len(spec: &ResNetSpec, b: usize, terms: usize, with_adam: bool) -> usize {
    // Each term: c_i and the N_w values of u_i.
    let values = terms.saturating_mul(spec.n_weights().saturating_add(1));
    file_len(spec, b, false, with_adam)
        .saturating_add(GEHF_PARAMS_LEN + TERMS_HEADER_LEN)
        .saturating_add(values.saturating_mul(b))
}

/// [`saved_window_len`] for `b` bytes per value and rows of `row_len`
/// values, with or without the Adam section.
const fn window_file_len(
    spec: &ResNetSpec,
    b: usize,
    rows: usize,
    row_len: usize,
    with_adam: bool,
) -> usize {
    // The weights a_i and the rows: n·(row_len + 1) values.
    let values = rows.saturating_mul(row_len.saturating_add(1));
    file_len(spec, b, false, with_adam)
        .saturating_add(GEHF_PARAMS_LEN + WINDOW_HEADER_LEN)
        .saturating_add(values.saturating_mul(b))
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

    /// `true` if the file holds `P` (packed, or as an information or a
    /// structured window).
    pub fn has_covariance(&self) -> bool {
        self.gehf.is_some()
    }

    /// The information window the file holds `P` as (section bit 2): its
    /// shape, rows kept, row storage and ε0 — what a target window needs
    /// for [`Model::load_gehf_via`]. `None` for a packed `P` or no g-EHF.
    pub fn window(&self) -> Option<WindowState<f64>> {
        match self.gehf?.p {
            StoredP::Window(w) => Some(w),
            _ => None,
        }
    }

    /// The structured window the file holds `P` as (section bit 3): its
    /// memory r, terms kept n and ε0 — what a target window needs for
    /// [`Model::load_gehf_via`]. `None` for any other `P` or no g-EHF.
    pub fn terms(&self) -> Option<TermState<f64>> {
        match self.gehf?.p {
            StoredP::Terms(t) => Some(t),
            _ => None,
        }
    }

    /// The scratch elements [`Model::load_gehf_via`] needs: N_w(N_w+1)/2
    /// for a packed `P`, n·(row length + 1) for an information window of
    /// n rows, n·(N_w + 1) for a structured window of n terms, 0 without a
    /// g-EHF section.
    pub fn covariance_scratch_len(&self) -> usize {
        let Some(section) = self.gehf else {
            return 0;
        };
        match section.p {
            StoredP::Window(w) => w.rows.saturating_mul(w.row_len.saturating_add(1)),
            StoredP::Terms(t) => t
                .terms
                .saturating_mul(self.spec.n_weights().saturating_add(1)),
            StoredP::Packed => checked_packed_len(self.spec.n_weights()).unwrap_or(usize::MAX),
        }
    }

    /// The g-EHF section, or [`ModelError::MissingSection`].
    fn gehf_section(&self) -> Result<GehfSection> {
        self.gehf
            .ok_or(ModelError::MissingSection { what: "g-EHF" }.into())
    }

    /// The g-EHF section with a packed `P`, or [`ModelError::MissingSection`].
    fn packed_section(&self) -> Result<GehfSection> {
        match self.gehf_section()? {
            section @ GehfSection {
                p: StoredP::Packed, ..
            } => Ok(section),
            _ => Err(ModelError::MissingSection { what: "packed P" }.into()),
        }
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
    /// N_w(N_w+1)/2). Fails if the file has no g-EHF section or holds `P`
    /// as a window of either kind ([`ModelError::MissingSection`] "packed P").
    pub fn covariance_into<T: Real>(&self, out: &mut [T]) -> Result<()> {
        let section = self.packed_section()?;
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
        match section.p {
            StoredP::Packed => {}
            StoredP::Window(_) => {
                return Err(Error::Unsupported {
                    what: "an information window into this covariance",
                });
            }
            StoredP::Terms(_) => {
                return Err(Error::Unsupported {
                    what: "a structured window into this covariance",
                });
            }
        }
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

    /// As [`Model::load_gehf`], for any covariance: a packed `P` through
    /// [`Covariance::load_packed`], an information window through
    /// [`Covariance::load_window`], a structured window through
    /// [`Covariance::load_terms`], decoded into `scratch`
    /// ([`Model::covariance_scratch_len`] elements). On error neither
    /// target is changed.
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
        let needed = self.covariance_scratch_len();
        let Some(scratch) = scratch.get_mut(..needed) else {
            return Err(Error::CapacityExceeded {
                what: "covariance scratch",
                needed,
                capacity: scratch.len(),
            });
        };
        section.check_filter(filter)?;
        // `load_packed`, `load_window` and `load_terms` validate before
        // they change anything; they are the last step that can fail.
        let cov = filter.covariance_mut();
        match section.p {
            StoredP::Window(window) => self.load_window_into(&section, window, cov, scratch)?,
            StoredP::Terms(terms) => self.load_terms_into(&section, terms, cov, scratch)?,
            StoredP::Packed => {
                self.covariance_into(scratch)?;
                cov.load_packed(scratch)?;
            }
        }
        self.decode(self.weights_at, net.weights_mut());
        section.commit(filter);
        Ok(())
    }

    /// Decodes the window's weights and rows into `scratch` (exactly
    /// n·(row length + 1) elements) and hands them to `cov`.
    fn load_window_into<T: Real, C: Covariance<T>>(
        &self,
        section: &GehfSection,
        window: WindowState<f64>,
        cov: &mut C,
        scratch: &mut [T],
    ) -> Result<()> {
        let n = window.rows;
        let (weights, rows) = scratch.split_at_mut(n.min(scratch.len()));
        self.decode(section.covariance_at, weights);
        let tag = usize::from(self.tag);
        self.decode(section.covariance_at + n * tag, rows);
        let state = WindowState {
            eps0: T::from_f64(window.eps0),
            memory: window.memory,
            outputs: window.outputs,
            rows: n,
            storage: window.storage,
            row_len: window.row_len,
        };
        cov.load_window(&state, weights, rows)
    }

    /// Decodes the structured window's terms into `scratch` (exactly
    /// n·(N_w + 1) elements: newest first, each `c_i` then `u_i`, as in
    /// the file) and hands them to `cov`.
    fn load_terms_into<T: Real, C: Covariance<T>>(
        &self,
        section: &GehfSection,
        terms: TermState<f64>,
        cov: &mut C,
        scratch: &mut [T],
    ) -> Result<()> {
        self.decode(section.covariance_at, scratch);
        let state = TermState {
            memory: terms.memory,
            terms: terms.terms,
            eps0: T::from_f64(terms.eps0),
        };
        cov.load_terms(&state, scratch)
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
        if !cov.is_fixed()
            && let Some(e) = reg.unsupported_by(cov.regularizable())
        {
            return Err(e);
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
