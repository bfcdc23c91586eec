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

use crate::adam::{Adam, AdamConfig, AdamMode};
use crate::covariance::{Covariance, PackedCovariance, checked_packed_len};
pub use crate::error::model::{FORMAT_VERSION, ModelError};
use crate::error::{Error, Result};
use crate::gehf::{GEhf, GEhfConfig, GainOrder, Regularization};
use crate::network::ResNet;
use crate::real::Real;
use crate::spec::ResNetSpec;

/// The file's first four bytes.
pub const MAGIC: [u8; 4] = *b"HINF";

const HEADER_LEN: usize = 40;
const TRAILER_LEN: usize = 4;
const GEHF_PARAMS_LEN: usize = 8 + 8 + 1 + 8 + 8 + 8;
const ADAM_PARAMS_LEN: usize = 4 * 8 + 1 + 4 + 8 + 8;
const SECTION_GEHF: u8 = 1;
const SECTION_ADAM: u8 = 2;

// ---- CRC-32 (IEEE 802.3, reflected 0xEDB88320), table built at compile time.

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 (IEEE 802.3, the zlib/PNG/gzip one) of `bytes`:
/// `crc32(b"123456789") == 0xCBF43926`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for b in bytes {
        c = CRC_TABLE[((c ^ u32::from(*b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

// ---- precision

/// Bytes per value of `T` in a model file: 4 (`f32`) or 8 (`f64`).
fn tag_of<T: Real>() -> Result<u8> {
    match (T::NAME, core::mem::size_of::<T>()) {
        ("f32", 4) => Ok(4),
        ("f64", 8) => Ok(8),
        _ => Err(Error::Unsupported {
            what: "model files for this scalar type",
        }),
    }
}

// ---- sizes

/// Length of a model file of shape `spec` in precision `T`, with the
/// g-EHF section (`with_p`) and/or the Adam section (`with_adam`).
/// For sizing a `[u8; N]` buffer at compile time; saturates at
/// `usize::MAX` if it overflows.
pub const fn saved_len<T>(spec: &ResNetSpec, with_p: bool, with_adam: bool) -> usize {
    // Saturating arithmetic: any overflow carries usize::MAX to the end.
    let b = core::mem::size_of::<T>();
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

// ---- writer

struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        let end = self.pos + b.len();
        if let Some(dst) = self.out.get_mut(self.pos..end) {
            dst.copy_from_slice(b);
        }
        self.pos = end;
    }
    fn u8(&mut self, x: u8) {
        self.bytes(&[x]);
    }
    fn u16(&mut self, x: u16) {
        self.bytes(&x.to_le_bytes());
    }
    fn u32(&mut self, x: u32) {
        self.bytes(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.bytes(&x.to_le_bytes());
    }
    fn reals<T: Real>(&mut self, tag: u8, xs: &[T]) {
        for x in xs {
            if tag == 4 {
                self.bytes(&((x.to_f64() as f32).to_le_bytes()));
            } else {
                self.bytes(&x.to_f64().to_le_bytes());
            }
        }
    }
}

fn to_u32(x: usize) -> Result<u32> {
    u32::try_from(x).map_err(|_| Error::Unsupported {
        what: "model files above 4 GiB or with sizes above 2^32",
    })
}

/// What the sections to write hold.
struct GehfPart<'a, T, C> {
    config: GEhfConfig,
    reg: [f64; 3],
    cov: &'a C,
    _t: core::marker::PhantomData<T>,
}

struct AdamPart<'a, T> {
    config: AdamConfig,
    buf: &'a [T],
    t: u32,
    b1t: f64,
    b2t: f64,
}

fn save_impl<T: Real, S: AsRef<[T]> + AsMut<[T]>, C: Covariance<T>>(
    net: &ResNet<T, S>,
    gehf: Option<GehfPart<'_, T, C>>,
    adam: Option<AdamPart<'_, T>>,
    out: &mut [u8],
) -> Result<usize> {
    let tag = tag_of::<T>()?;
    let spec = *net.spec();
    let nw = spec.n_weights();
    let len = match T::NAME {
        "f32" => saved_len::<f32>(&spec, gehf.is_some(), adam.is_some()),
        _ => saved_len::<f64>(&spec, gehf.is_some(), adam.is_some()),
    };
    if len == usize::MAX {
        return Err(Error::CapacityExceeded {
            what: "model file size",
            needed: usize::MAX,
            capacity: usize::MAX,
        });
    }
    if out.len() < len {
        return Err(Error::CapacityExceeded {
            what: "model buffer (bytes)",
            needed: len,
            capacity: out.len(),
        });
    }
    if let Some(g) = &gehf {
        crate::error::check_len("covariance dimension", nw, g.cov.dim())?;
    }
    if let Some(a) = &adam {
        crate::error::check_len("adam dimension", 3 * nw, a.buf.len())?;
    }
    let header = [
        to_u32(len)?,
        to_u32(spec.inputs())?,
        to_u32(spec.width())?,
        to_u32(spec.outputs())?,
        to_u32(spec.blocks())?,
    ];
    let nw32 = to_u32(nw)?;
    let flags = if gehf.is_some() { SECTION_GEHF } else { 0 }
        | if adam.is_some() { SECTION_ADAM } else { 0 };

    let mut w = Writer { out, pos: 0 };
    w.bytes(&MAGIC);
    w.u16(FORMAT_VERSION);
    w.u8(tag);
    w.u8(flags);
    for x in header {
        w.u32(x);
    }
    w.f64(spec.slope());
    w.u32(nw32);
    w.reals(tag, net.weights());
    if let Some(g) = &gehf {
        w.f64(g.config.gamma);
        w.f64(g.config.eps0);
        w.u8(match g.config.gain_order {
            GainOrder::Paper => 0,
            GainOrder::CovarianceFirst => 1,
        });
        for r in g.reg {
            w.f64(r);
        }
        for i in 0..nw {
            for j in 0..=i {
                w.reals(tag, &[g.cov.get(i, j)]);
            }
        }
    }
    if let Some(a) = &adam {
        w.f64(a.config.lr);
        w.f64(a.config.beta1);
        w.f64(a.config.beta2);
        w.f64(a.config.eps);
        w.u8(match a.config.mode {
            AdamMode::Sample => 0,
            AdamMode::Batch => 1,
        });
        w.u32(a.t);
        w.f64(a.b1t);
        w.f64(a.b2t);
        w.reals(tag, a.buf);
    }
    let body = len - TRAILER_LEN;
    let crc = crc32(w.out.get(..body).unwrap_or(&[]));
    w.u32(crc);
    Ok(len)
}

/// Writes the network alone (spec and weights) into `out`; returns the
/// number of bytes written ([`saved_len`]`(spec, false, false)`). Fails
/// with [`Error::CapacityExceeded`], writing nothing, if `out` is too short.
pub fn save_network<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    net: &ResNet<T, S>,
    out: &mut [u8],
) -> Result<usize> {
    save_impl::<T, S, PackedCovariance<T, [T; 0]>>(net, None, None, out)
}

/// Writes the network and a g-EHF learner's state (parameters and `P`,
/// read through [`Covariance::get`], so any covariance works) into `out`;
/// returns the number of bytes written ([`saved_len`]`(spec, true, false)`).
/// Fails, writing nothing, if `out` is too short or `P` does not match
/// the network.
pub fn save_gehf<T, S, C, U>(
    net: &ResNet<T, S>,
    filter: &GEhf<T, C, U>,
    out: &mut [u8],
) -> Result<usize>
where
    T: Real,
    S: AsRef<[T]> + AsMut<[T]>,
    C: Covariance<T>,
    U: AsRef<[T]> + AsMut<[T]>,
{
    let part = GehfPart {
        config: *filter.config(),
        reg: regularization_fields(filter),
        cov: filter.covariance(),
        _t: core::marker::PhantomData,
    };
    save_impl(net, Some(part), None, out)
}

/// Writes the network and Adam's whole state into `out`; returns the
/// number of bytes written ([`saved_len`]`(spec, false, true)`).
pub fn save_adam<T, S, A>(net: &ResNet<T, S>, adam: &Adam<T, A>, out: &mut [u8]) -> Result<usize>
where
    T: Real,
    S: AsRef<[T]> + AsMut<[T]>,
    A: AsRef<[T]> + AsMut<[T]>,
{
    let (buf, t, b1t, b2t) = adam.state();
    let part = AdamPart {
        config: *adam.config(),
        buf,
        t,
        b1t,
        b2t,
    };
    save_impl::<T, S, PackedCovariance<T, [T; 0]>>(net, None, Some(part), out)
}

/// `[q, λ, floor]` of the filter's regularization.
fn regularization_fields<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>>(
    filter: &GEhf<T, C, U>,
) -> [f64; 3] {
    let r = filter.regularization();
    [r.process_noise, r.forgetting, r.diagonal_floor]
}

fn regularization_of(reg: [f64; 3]) -> Regularization {
    Regularization {
        process_noise: reg[0],
        forgetting: reg[1],
        diagonal_floor: reg[2],
    }
}

// ---- reader

#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        if let Some(src) = self.bytes.get(self.pos..self.pos.saturating_add(N)) {
            a.copy_from_slice(src);
        }
        self.pos = self.pos.saturating_add(N);
        a
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.take())
    }
    /// `n` values of `tag` bytes each, as f64 (exact for both precisions).
    fn values(&mut self, tag: u8, n: usize) -> impl Iterator<Item = f64> + 'a {
        let b = usize::from(tag);
        let start = self.pos;
        let end = start.saturating_add(n.saturating_mul(b));
        self.pos = end;
        self.bytes
            .get(start..end)
            .unwrap_or(&[])
            .chunks_exact(b.max(1))
            .map(move |c| {
                if b == 4 {
                    let mut a = [0u8; 4];
                    a.copy_from_slice(c);
                    f64::from(f32::from_le_bytes(a))
                } else {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(c);
                    f64::from_le_bytes(a)
                }
            })
    }
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
    gehf: Option<(GEhfConfig, [f64; 3], usize)>,
    adam: Option<(AdamConfig, u32, f64, f64, usize)>,
}

impl<'a> Model<'a> {
    /// Validates a whole model file (see the module docs for the checks
    /// and their order). Nothing is loaded anywhere.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let found = bytes.len();
        if found < HEADER_LEN + TRAILER_LEN {
            return Err(ModelError::Truncated {
                needed: HEADER_LEN + TRAILER_LEN,
                found,
            }
            .into());
        }
        let mut r = Reader { bytes, pos: 0 };
        if r.take::<4>() != MAGIC {
            return Err(ModelError::BadMagic.into());
        }
        let version = r.u16();
        if version != FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion { found: version }.into());
        }
        let tag = r.u8();
        let flags = r.u8();
        let declared = r.u32() as usize;
        if found < declared {
            return Err(ModelError::Truncated {
                needed: declared,
                found,
            }
            .into());
        }
        if found > declared {
            return Err(ModelError::TrailingBytes { declared, found }.into());
        }
        let body = found - TRAILER_LEN;
        let (content, trailer) = bytes.split_at(body);
        let mut t = [0u8; 4];
        t.copy_from_slice(trailer);
        let stored = u32::from_le_bytes(t);
        let computed = crc32(content);
        if stored != computed {
            return Err(ModelError::BadChecksum { stored, computed }.into());
        }
        if tag != 4 && tag != 8 {
            return Err(ModelError::UnknownPrecision { tag }.into());
        }
        if flags & !(SECTION_GEHF | SECTION_ADAM) != 0 {
            return Err(ModelError::UnknownSections { flags }.into());
        }
        let dims = [r.u32(), r.u32(), r.u32(), r.u32()].map(|x| x as usize);
        let slope = r.f64();
        let nw = r.u32() as usize;
        let spec = ResNetSpec::with_blocks(dims[0], dims[1], dims[2], dims[3], slope)
            .map_err(|_| ModelError::InvalidSpec)?;
        if spec.n_weights() != nw {
            return Err(ModelError::InvalidSpec.into());
        }
        let b = usize::from(tag);
        let with_p = flags & SECTION_GEHF != 0;
        let with_adam = flags & SECTION_ADAM != 0;
        let expected = if tag == 4 {
            saved_len::<f32>(&spec, with_p, with_adam)
        } else {
            saved_len::<f64>(&spec, with_p, with_adam)
        };
        if expected != declared {
            return Err(ModelError::InvalidSpec.into());
        }

        let weights_at = r.pos;
        if !r.values(tag, nw).all(f64::is_finite) {
            return Err(ModelError::InvalidValue { what: "weights" }.into());
        }
        let invalid = |what| Error::from(ModelError::InvalidValue { what });
        let gehf = if with_p {
            let gamma = r.f64();
            let eps0 = r.f64();
            let gain_order = match r.u8() {
                0 => GainOrder::Paper,
                1 => GainOrder::CovarianceFirst,
                _ => return Err(invalid("gain order")),
            };
            let config = GEhfConfig {
                gamma,
                eps0,
                gain_order,
            };
            config.validate().map_err(|_| invalid("g-EHF parameters"))?;
            let reg = [r.f64(), r.f64(), r.f64()];
            validate_regularization(reg).map_err(|_| invalid("g-EHF regularization"))?;
            let at = r.pos;
            let np = checked_packed_len(nw).ok_or(ModelError::InvalidSpec)?;
            let mut vals = r.values(tag, np);
            for i in 0..nw {
                for j in 0..=i {
                    let x = vals.next().unwrap_or(f64::NAN);
                    if !x.is_finite() {
                        return Err(invalid("covariance (non-finite)"));
                    }
                    if i == j && x <= 0.0 {
                        return Err(invalid("covariance (diagonal not positive)"));
                    }
                }
            }
            Some((config, reg, at))
        } else {
            None
        };
        let adam = if with_adam {
            let config = AdamConfig {
                lr: r.f64(),
                beta1: r.f64(),
                beta2: r.f64(),
                eps: r.f64(),
                mode: match r.u8() {
                    0 => AdamMode::Sample,
                    1 => AdamMode::Batch,
                    _ => return Err(invalid("adam mode")),
                },
            };
            config.validate().map_err(|_| invalid("adam parameters"))?;
            let t = r.u32();
            let (b1t, b2t) = (r.f64(), r.f64());
            for p in [b1t, b2t] {
                if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                    return Err(invalid("adam bias products"));
                }
            }
            let at = r.pos;
            let mut ok = true;
            for (k, x) in r.values(tag, 3 * nw).enumerate() {
                ok &= x.is_finite() && !((nw..2 * nw).contains(&k) && x < 0.0);
            }
            if !ok {
                return Err(invalid("adam moments"));
            }
            Some((config, t, b1t, b2t, at))
        } else {
            None
        };
        if r.pos != body || b == 0 {
            return Err(ModelError::InvalidSpec.into());
        }
        Ok(Self {
            bytes,
            tag,
            spec,
            weights_at,
            gehf,
            adam,
        })
    }

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
        self.gehf.map(|g| g.0)
    }

    /// The g-EHF's regularization of `P`, if the file has the g-EHF section.
    pub fn regularization(&self) -> Option<Regularization> {
        self.gehf.map(|g| regularization_of(g.1))
    }

    /// Adam's parameters, if the file has the Adam section.
    pub fn adam_config(&self) -> Option<AdamConfig> {
        self.adam.map(|a| a.0)
    }

    /// `true` if the file holds `P`.
    pub fn has_covariance(&self) -> bool {
        self.gehf.is_some()
    }

    fn check_target<T: Real>(&self, spec: &ResNetSpec) -> Result<()> {
        let target = tag_of::<T>()?;
        if target != self.tag {
            return Err(ModelError::PrecisionMismatch {
                file: self.tag,
                target,
            }
            .into());
        }
        if *spec != self.spec {
            return Err(ModelError::SpecMismatch.into());
        }
        Ok(())
    }

    fn decode<T: Real>(&self, at: usize, out: &mut [T]) {
        let mut r = Reader {
            bytes: self.bytes,
            pos: at,
        };
        let n = out.len();
        for (o, x) in out.iter_mut().zip(r.values(self.tag, n)) {
            *o = T::from_f64(x);
        }
    }

    /// Copies the weights into `out` (length N_w, precision of the file).
    pub fn weights_into<T: Real>(&self, out: &mut [T]) -> Result<()> {
        let target = tag_of::<T>()?;
        if target != self.tag {
            return Err(ModelError::PrecisionMismatch {
                file: self.tag,
                target,
            }
            .into());
        }
        crate::error::check_len("weights", self.spec.n_weights(), out.len())?;
        self.decode(self.weights_at, out);
        Ok(())
    }

    /// Copies `P`'s lower triangle, row by row, into `out` (length
    /// N_w(N_w+1)/2). Fails if the file has no g-EHF section.
    pub fn covariance_into<T: Real>(&self, out: &mut [T]) -> Result<()> {
        let Some((_, _, at)) = self.gehf else {
            return Err(ModelError::MissingSection { what: "g-EHF" }.into());
        };
        let target = tag_of::<T>()?;
        if target != self.tag {
            return Err(ModelError::PrecisionMismatch {
                file: self.tag,
                target,
            }
            .into());
        }
        let np = checked_packed_len(self.spec.n_weights()).unwrap_or(usize::MAX);
        crate::error::check_len("packed covariance", np, out.len())?;
        self.decode(at, out);
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
        let Some((config, reg, at)) = self.gehf else {
            return Err(ModelError::MissingSection { what: "g-EHF" }.into());
        };
        self.check_target::<T>(net.spec())?;
        let nw = self.spec.n_weights();
        crate::error::check_len("covariance dimension", nw, filter.covariance().dim())?;
        prepare_config(filter, config, reg)?;
        // Everything is checked: from here on nothing can fail.
        self.decode(at, filter.covariance_mut().packed_mut());
        self.decode(self.weights_at, net.weights_mut());
        commit_config(filter, config, reg);
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
        let Some((config, reg, _)) = self.gehf else {
            return Err(ModelError::MissingSection { what: "g-EHF" }.into());
        };
        self.check_target::<T>(net.spec())?;
        let nw = self.spec.n_weights();
        crate::error::check_len("covariance dimension", nw, filter.covariance().dim())?;
        let np = checked_packed_len(nw).unwrap_or(usize::MAX);
        let Some(scratch) = scratch.get_mut(..np) else {
            return Err(Error::CapacityExceeded {
                what: "covariance scratch",
                needed: np,
                capacity: scratch.len(),
            });
        };
        prepare_config(filter, config, reg)?;
        self.covariance_into(scratch)?;
        // `load_packed` validates before it changes anything; it is the
        // last step that can fail.
        filter.covariance_mut().load_packed(scratch)?;
        self.decode(self.weights_at, net.weights_mut());
        commit_config(filter, config, reg);
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
        let Some((config, t, b1t, b2t, at)) = self.adam else {
            return Err(ModelError::MissingSection { what: "adam" }.into());
        };
        self.check_target::<T>(net.spec())?;
        crate::error::check_len("adam dimension", self.spec.n_weights(), adam.dim())?;
        // Values were validated by `parse`; decode in place.
        adam.restore_unchecked(config, t, b1t, b2t, |buf| self.decode(at, buf));
        self.decode(self.weights_at, net.weights_mut());
        Ok(())
    }
}

fn validate_regularization(reg: [f64; 3]) -> Result<()> {
    regularization_of(reg).validate()
}

/// Checks that `filter` can take `config` and `reg` (without changing it).
fn prepare_config<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>>(
    filter: &GEhf<T, C, U>,
    config: GEhfConfig,
    reg: [f64; 3],
) -> Result<()> {
    config.validate()?;
    if !(T::from_f64(config.eps0).is_finite() && T::from_f64(config.eps0) > T::ZERO) {
        return Err(Error::InvalidEps0);
    }
    let reg = regularization_of(reg);
    reg.validate()?;
    let cov = filter.covariance();
    if !reg.is_none() && !cov.is_fixed() && !cov.supports_regularization() {
        return Err(Error::Unsupported {
            what: "regularization of this covariance",
        });
    }
    Ok(())
}

/// Sets `config` and `reg` on `filter` (already checked).
fn commit_config<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>>(
    filter: &mut GEhf<T, C, U>,
    config: GEhfConfig,
    reg: [f64; 3],
) {
    // Both were checked by `prepare_config`: neither can fail here.
    let _ = filter.set_config(config);
    let _ = filter.set_regularization(regularization_of(reg));
}
