//! Reading model files: [`Model::parse`] and the [`Reader`] the `load_*`
//! methods decode with. The checks run in the order of the module docs.

use super::{
    AdamCounters, AdamSection, FORMAT_VERSION, GehfSection, HEADER_LEN, MAGIC, Model, ModelError,
    SECTION_ADAM, SECTION_GEHF, SECTION_TERMS, SECTION_WINDOW, StoredP, TRAILER_LEN, adam_mode_of,
    crc32, file_len, gain_order_of, storage_of, terms_file_len, window_file_len, window_row_len,
};
use crate::adam::AdamConfig;
use crate::covariance::{TermState, WindowState, checked_packed_len};
use crate::error::{Error, Result};
use crate::gehf::{GEhfConfig, Regularization};
use crate::spec::ResNetSpec;

/// Little-endian fields from a byte slice; past its end it reads zeros
/// (the callers check the length first).
#[derive(Clone, Copy)]
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at byte `pos` of `bytes`.
    pub(super) fn at(bytes: &'a [u8], pos: usize) -> Self {
        Self { bytes, pos }
    }
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
    pub(super) fn values(&mut self, tag: u8, n: usize) -> impl Iterator<Item = f64> + 'a {
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

/// The checked header of a file.
#[derive(Clone, Copy)]
struct Header {
    /// Bytes per value, 4 or 8.
    tag: u8,
    /// The section bits.
    flags: u8,
    spec: ResNetSpec,
    /// Bytes before the CRC trailer.
    body: usize,
}

/// [`ModelError::InvalidValue`] as an [`Error`].
fn invalid(what: &'static str) -> Error {
    ModelError::InvalidValue { what }.into()
}

impl<'a> Model<'a> {
    /// Validates a whole model file (see the module docs for the checks
    /// and their order). Nothing is loaded anywhere.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let (header, mut r) = read_header(bytes)?;
        let Header {
            tag,
            flags,
            spec,
            body,
        } = header;
        let nw = spec.n_weights();
        let weights_at = r.pos;
        if !r.values(tag, nw).all(f64::is_finite) {
            return Err(invalid("weights"));
        }
        let gehf = match flags & SECTION_GEHF {
            0 => None,
            _ => Some(read_gehf(&mut r, &header)?),
        };
        let adam = match flags & SECTION_ADAM {
            0 => None,
            _ => Some(read_adam(&mut r, tag, nw)?),
        };
        if r.pos != body || tag == 0 {
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
}

/// Checks length, magic, version, declared length, CRC, precision tag,
/// section bits and spec; returns the header and a reader at the weights.
fn read_header(bytes: &[u8]) -> Result<(Header, Reader<'_>)> {
    let found = bytes.len();
    if found < HEADER_LEN + TRAILER_LEN {
        return Err(ModelError::Truncated {
            needed: HEADER_LEN + TRAILER_LEN,
            found,
        }
        .into());
    }
    let mut r = Reader::at(bytes, 0);
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
    check_crc(bytes, body)?;
    if tag != 4 && tag != 8 {
        return Err(ModelError::UnknownPrecision { tag }.into());
    }
    check_sections(flags)?;
    let (window, terms) = (flags & SECTION_WINDOW != 0, flags & SECTION_TERMS != 0);
    let spec = read_spec(&mut r)?;
    let (with_p, with_adam) = (flags & SECTION_GEHF != 0, flags & SECTION_ADAM != 0);
    let b = usize::from(tag);
    // A window's length depends on its rows or terms: here only its least
    // (none); `read_window` and `read_terms` check the exact one.
    let fits = if window {
        window_file_len(&spec, b, 0, 0, with_adam) <= declared
    } else if terms {
        terms_file_len(&spec, b, 0, with_adam) <= declared
    } else {
        file_len(&spec, b, with_p, with_adam) == declared
    };
    if !fits {
        return Err(ModelError::InvalidSpec.into());
    }
    let header = Header {
        tag,
        flags,
        spec,
        body,
    };
    Ok((header, r))
}

/// Only known section bits, a window bit (2 or 3) only with the g-EHF
/// bit, and not both: `P` is stored one way.
fn check_sections(flags: u8) -> Result<()> {
    let known = SECTION_GEHF | SECTION_ADAM | SECTION_WINDOW | SECTION_TERMS;
    let windows = flags & (SECTION_WINDOW | SECTION_TERMS);
    let without_gehf = windows != 0 && flags & SECTION_GEHF == 0;
    if flags & !known != 0 || without_gehf || windows == SECTION_WINDOW | SECTION_TERMS {
        return Err(ModelError::UnknownSections { flags }.into());
    }
    Ok(())
}

/// The CRC-32 trailer after the first `body` bytes against their CRC.
fn check_crc(bytes: &[u8], body: usize) -> Result<()> {
    let (content, trailer) = bytes.split_at(body);
    let mut t = [0u8; 4];
    t.copy_from_slice(trailer);
    let stored = u32::from_le_bytes(t);
    let computed = crc32(content);
    if stored != computed {
        return Err(ModelError::BadChecksum { stored, computed }.into());
    }
    Ok(())
}

/// N1, N, N_L, n, η0 and N_w: a valid spec whose N_w is the stored one.
fn read_spec(r: &mut Reader<'_>) -> Result<ResNetSpec> {
    let dims = [r.u32(), r.u32(), r.u32(), r.u32()].map(|x| x as usize);
    let slope = r.f64();
    let nw = r.u32() as usize;
    let spec = ResNetSpec::with_blocks(dims[0], dims[1], dims[2], dims[3], slope)
        .map_err(|_| ModelError::InvalidSpec)?;
    if spec.n_weights() != nw {
        return Err(ModelError::InvalidSpec.into());
    }
    Ok(spec)
}

/// The g-EHF section: parameters in range, `P` finite with a positive
/// diagonal (packed) or a valid window (information or structured).
fn read_gehf(r: &mut Reader<'_>, header: &Header) -> Result<GehfSection> {
    let (tag, nw) = (header.tag, header.spec.n_weights());
    let gamma = r.f64();
    let eps0 = r.f64();
    let gain_order = gain_order_of(r.u8()).ok_or_else(|| invalid("gain order"))?;
    let config = GEhfConfig {
        gamma,
        eps0,
        gain_order,
    };
    config.validate().map_err(|_| invalid("g-EHF parameters"))?;
    let (process_noise, forgetting, diagonal_floor) = (r.f64(), r.f64(), r.f64());
    let regularization = Regularization {
        process_noise,
        forgetting,
        diagonal_floor,
    };
    regularization
        .validate()
        .map_err(|_| invalid("g-EHF regularization"))?;
    if header.flags & SECTION_WINDOW != 0 {
        let (window, covariance_at) = read_window(r, header)?;
        return Ok(GehfSection {
            config,
            regularization,
            covariance_at,
            p: StoredP::Window(window),
        });
    }
    if header.flags & SECTION_TERMS != 0 {
        let (terms, covariance_at) = read_terms(r, header)?;
        return Ok(GehfSection {
            config,
            regularization,
            covariance_at,
            p: StoredP::Terms(terms),
        });
    }
    let covariance_at = r.pos;
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
    Ok(GehfSection {
        config,
        regularization,
        covariance_at,
        p: StoredP::Packed,
    })
}

/// The window of a g-EHF section: r ≥ 1, N_L ≥ 1, n ≤ r·N_L, a known row
/// storage, ε0 finite and > 0, the file's exact length, the weights `a_i`
/// in (0, 1] and the rows finite. Returns it and where its weights start.
fn read_window(r: &mut Reader<'_>, header: &Header) -> Result<(WindowState<f64>, usize)> {
    let [memory, outputs, rows] = [r.u32(), r.u32(), r.u32()].map(|x| x as usize);
    let storage = storage_of(r.u8()).ok_or_else(|| invalid("information window (row storage)"))?;
    let eps0 = r.f64();
    if memory == 0 || outputs == 0 || rows > memory.saturating_mul(outputs) {
        return Err(invalid("information window (shape)"));
    }
    if !(eps0.is_finite() && eps0 > 0.0) {
        return Err(invalid("information window (eps0)"));
    }
    let (tag, spec) = (header.tag, &header.spec);
    let row_len = window_row_len(spec, storage);
    let with_adam = header.flags & SECTION_ADAM != 0;
    let len = window_file_len(spec, usize::from(tag), rows, row_len, with_adam);
    if len == usize::MAX || len != header.body + TRAILER_LEN {
        return Err(ModelError::InvalidSpec.into());
    }
    let at = r.pos;
    if !r
        .values(tag, rows)
        .all(|a| a.is_finite() && a > 0.0 && a <= 1.0)
    {
        return Err(invalid("information window (weights)"));
    }
    if !r
        .values(tag, rows.saturating_mul(row_len))
        .all(f64::is_finite)
    {
        return Err(invalid("information window (rows)"));
    }
    let window = WindowState {
        memory,
        outputs,
        rows,
        storage,
        row_len,
        eps0,
    };
    Ok((window, at))
}

/// The structured window of a g-EHF section: r ≥ 1, n ≤ r, ε0 finite
/// and positive, the file's exact length, every `c_i` finite and positive
/// (eq. 4's `c = a / (1 + a s)`, `a = 1 − γ⁻²`) and every `u_i` finite.
/// Returns it and where its terms start.
fn read_terms(r: &mut Reader<'_>, header: &Header) -> Result<(TermState<f64>, usize)> {
    let [memory, terms] = [r.u32(), r.u32()].map(|x| x as usize);
    let eps0 = r.f64();
    if memory == 0 || terms > memory {
        return Err(invalid("term window (shape)"));
    }
    if !(eps0.is_finite() && eps0 > 0.0) {
        return Err(invalid("term window (eps0)"));
    }
    let (tag, spec) = (header.tag, &header.spec);
    let with_adam = header.flags & SECTION_ADAM != 0;
    let len = terms_file_len(spec, usize::from(tag), terms, with_adam);
    if len == usize::MAX || len != header.body + TRAILER_LEN {
        return Err(ModelError::InvalidSpec.into());
    }
    let at = r.pos;
    let stride = spec.n_weights() + 1;
    // Term by term, c_i first: the first value out of range says which.
    for (k, x) in r.values(tag, terms * stride).enumerate() {
        if k % stride == 0 && !(x.is_finite() && x > 0.0) {
            return Err(invalid("term window (coefficients)"));
        }
        if !x.is_finite() {
            return Err(invalid("term window (vectors)"));
        }
    }
    let state = TermState {
        memory,
        terms,
        eps0,
    };
    Ok((state, at))
}

/// The Adam section: parameters in range, bias products in [0, 1],
/// moments finite and second moments ≥ 0.
fn read_adam(r: &mut Reader<'_>, tag: u8, nw: usize) -> Result<AdamSection> {
    let (lr, beta1, beta2, eps) = (r.f64(), r.f64(), r.f64(), r.f64());
    let mode = adam_mode_of(r.u8()).ok_or_else(|| invalid("adam mode"))?;
    let config = AdamConfig {
        lr,
        beta1,
        beta2,
        eps,
        mode,
    };
    config.validate().map_err(|_| invalid("adam parameters"))?;
    let (t, b1t, b2t) = (r.u32(), r.f64(), r.f64());
    for p in [b1t, b2t] {
        if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
            return Err(invalid("adam bias products"));
        }
    }
    let state_at = r.pos;
    let mut ok = true;
    for (k, x) in r.values(tag, 3 * nw).enumerate() {
        ok &= x.is_finite() && !((nw..2 * nw).contains(&k) && x < 0.0);
    }
    if !ok {
        return Err(invalid("adam moments"));
    }
    Ok(AdamSection {
        config,
        counters: AdamCounters { t, b1t, b2t },
        state_at,
    })
}
