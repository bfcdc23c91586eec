//! Writing model files: [`save_network`], [`save_gehf`], [`save_adam`].
//! Every check comes before the first byte is written.

use super::{
    AdamCounters, FORMAT_VERSION, MAGIC, SECTION_ADAM, SECTION_GEHF, SECTION_TERMS, SECTION_WINDOW,
    TRAILER_LEN, adam_mode_code, crc32, file_len, gain_order_code, storage_code, tag_of,
    terms_file_len, window_file_len, window_row_len,
};
use crate::adam::{Adam, AdamConfig};
use crate::covariance::{Covariance, PackedCovariance, TermState, WindowState};
use crate::error::Param;
use crate::error::{Error, Result, check_len};
use crate::gehf::{GEhf, GEhfConfig, Regularization};
use crate::network::ResNet;
use crate::real::Real;
use crate::spec::ResNetSpec;

/// Little-endian bytes into the caller's buffer (long enough: checked first).
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
    /// Values of `T`, bit for bit, in `T`'s binary format.
    fn reals<T: Real>(&mut self, xs: &[T]) {
        for x in xs {
            if T::BYTES == 4 {
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

/// The g-EHF section to write: its parameters and `P`, read through
/// [`Covariance::get`] (packed) or, for a window, its rows or terms.
struct GehfPart<'a, C> {
    config: GEhfConfig,
    regularization: Regularization,
    cov: &'a C,
}

/// The Adam section to write: its parameters, counters and 3 N_w values.
struct AdamPart<'a, T> {
    config: AdamConfig,
    counters: AdamCounters,
    state: &'a [T],
}

/// The header's `u32` fields after the section byte: total length, N1, N,
/// N_L, n; then (after η0) N_w.
struct HeaderFields {
    dims: [u32; 5],
    n_weights: u32,
}

impl HeaderFields {
    fn new(spec: &ResNetSpec, len: usize) -> Result<Self> {
        Ok(Self {
            dims: [
                to_u32(len)?,
                to_u32(spec.inputs())?,
                to_u32(spec.width())?,
                to_u32(spec.outputs())?,
                to_u32(spec.blocks())?,
            ],
            n_weights: to_u32(spec.n_weights())?,
        })
    }
}

/// How the g-EHF section stores `P`: as the covariance gives it.
enum Stored<T> {
    /// Packed, through [`Covariance::get`].
    Packed,
    /// An information window's rows (section bit 2).
    Window(WindowState<T>),
    /// A structured window's terms (section bit 3).
    Terms(TermState<T>),
}

impl<T: Real> Stored<T> {
    /// The storage of `cov`'s `P`: its window's rows if it is an
    /// information window, else its terms if it is a structured window,
    /// else packed.
    fn of<C: Covariance<T>>(cov: &C) -> Self {
        match (cov.window_state(), cov.term_state()) {
            (Some(ws), _) => Stored::Window(ws),
            (None, Some(ts)) => Stored::Terms(ts),
            (None, None) => Stored::Packed,
        }
    }

    /// The section bit it sets beside [`SECTION_GEHF`].
    fn flag(&self) -> u8 {
        match self {
            Stored::Packed => 0,
            Stored::Window(_) => SECTION_WINDOW,
            Stored::Terms(_) => SECTION_TERMS,
        }
    }
}

/// The file's length: with `P` stored as `stored`, or (`None`) without a
/// g-EHF section.
fn layout_len<T: Real>(
    spec: &ResNetSpec,
    tag: u8,
    stored: Option<&Stored<T>>,
    with_adam: bool,
) -> usize {
    let b = usize::from(tag);
    match stored {
        Some(Stored::Window(ws)) => window_file_len(spec, b, ws.rows, ws.row_len, with_adam),
        Some(Stored::Terms(ts)) => terms_file_len(spec, b, ts.terms, with_adam),
        Some(Stored::Packed) => file_len(spec, b, true, with_adam),
        None => file_len(spec, b, false, with_adam),
    }
}

/// `len`, if `out` can hold it.
fn checked_len(len: usize, out: usize) -> Result<usize> {
    if len == usize::MAX {
        return Err(Error::CapacityExceeded {
            what: "model file size",
            needed: usize::MAX,
            capacity: usize::MAX,
        });
    }
    if out < len {
        return Err(Error::CapacityExceeded {
            what: "model buffer (bytes)",
            needed: len,
            capacity: out,
        });
    }
    Ok(len)
}

/// Checks everything, then writes the whole file (table of the module
/// docs) and returns its length.
fn save_impl<T: Real, S: AsRef<[T]> + AsMut<[T]>, C: Covariance<T>>(
    net: &ResNet<T, S>,
    gehf: Option<GehfPart<'_, C>>,
    adam: Option<AdamPart<'_, T>>,
    out: &mut [u8],
) -> Result<usize> {
    let tag = tag_of::<T>()?;
    let spec = *net.spec();
    let nw = spec.n_weights();
    let stored = gehf.as_ref().map(|g| Stored::of(g.cov));
    let layout = layout_len(&spec, tag, stored.as_ref(), adam.is_some());
    let len = checked_len(layout, out.len())?;
    if let (Some(g), Some(stored)) = (&gehf, &stored) {
        check_len("covariance dimension", nw, g.cov.dim())?;
        match stored {
            Stored::Window(ws) => check_window(&spec, g.cov, ws)?,
            Stored::Terms(ts) => check_terms(nw, g.cov, ts)?,
            Stored::Packed => {}
        }
    }
    if let Some(a) = &adam {
        check_len("adam dimension", 3 * nw, a.state.len())?;
    }
    let header = HeaderFields::new(&spec, len)?;
    let flags = if gehf.is_some() { SECTION_GEHF } else { 0 }
        | if adam.is_some() { SECTION_ADAM } else { 0 }
        | stored.as_ref().map_or(0, Stored::flag);

    let mut w = Writer { out, pos: 0 };
    write_header(&mut w, tag, flags, &header, spec.slope());
    w.reals(net.weights());
    if let (Some(g), Some(stored)) = (&gehf, &stored) {
        write_gehf(&mut w, g, nw, stored);
    }
    if let Some(a) = &adam {
        write_adam(&mut w, a);
    }
    let body = len - TRAILER_LEN;
    let crc = crc32(w.out.get(..body).unwrap_or(&[]));
    w.u32(crc);
    Ok(len)
}

/// The header (`HEADER_LEN` bytes): magic, version, precision, sections, sizes, spec.
fn write_header(w: &mut Writer<'_>, tag: u8, flags: u8, header: &HeaderFields, slope: f64) {
    w.bytes(&MAGIC);
    w.u16(FORMAT_VERSION);
    w.u8(tag);
    w.u8(flags);
    for x in header.dims {
        w.u32(x);
    }
    w.f64(slope);
    w.u32(header.n_weights);
}

/// Checks a window's state against the file (row length, `u32` sizes) and
/// that it gives every row it counts: then [`write_window`] cannot fail.
fn check_window<T: Real, C: Covariance<T>>(
    spec: &ResNetSpec,
    cov: &C,
    ws: &WindowState<T>,
) -> Result<()> {
    let row_len = window_row_len(spec, ws.storage);
    check_len("information window row", row_len, ws.row_len)?;
    for x in [ws.memory, ws.outputs, ws.rows] {
        to_u32(x)?;
    }
    for q in 0..ws.rows {
        let found = cov.window_row(q).map_or(0, |(_, row)| row.len());
        check_len("information window row", row_len, found)?;
    }
    Ok(())
}

/// Checks a structured window's state against the file (r ≥ 1, n ≤ r,
/// `u32` sizes) and that it gives every term it counts, of N_w values:
/// then [`write_terms`] cannot fail and the file parses.
fn check_terms<T: Real, C: Covariance<T>>(nw: usize, cov: &C, ts: &TermState<T>) -> Result<()> {
    if ts.memory == 0 {
        return Err(Error::InvalidParameter {
            name: Param::Memory,
        });
    }
    if ts.terms > ts.memory {
        return Err(Error::CapacityExceeded {
            what: "term window terms",
            needed: ts.terms,
            capacity: ts.memory,
        });
    }
    for x in [ts.memory, ts.terms] {
        to_u32(x)?;
    }
    for q in 0..ts.terms {
        let found = cov.window_term(q).map_or(0, |(_, u)| u.len());
        check_len("term window term", nw, found)?;
    }
    Ok(())
}

/// The g-EHF section: γ_f, ε0, gain order; q, λ, floor; then `P`'s lower
/// triangle row by row, or the window's rows, or its terms.
fn write_gehf<T: Real, C: Covariance<T>>(
    w: &mut Writer<'_>,
    g: &GehfPart<'_, C>,
    nw: usize,
    stored: &Stored<T>,
) {
    w.f64(g.config.gamma);
    w.f64(g.config.eps0);
    w.u8(gain_order_code(g.config.gain_order));
    let r = g.regularization;
    for x in [r.process_noise, r.forgetting, r.diagonal_floor] {
        w.f64(x);
    }
    match stored {
        Stored::Window(ws) => return write_window(w, g.cov, ws),
        Stored::Terms(ts) => return write_terms(w, g.cov, ts),
        Stored::Packed => {}
    }
    for i in 0..nw {
        for j in 0..=i {
            w.reals(&[g.cov.get(i, j)]);
        }
    }
}

/// The window (checked by [`check_window`]): r, N_L, n, row storage, ε0;
/// the n weights `a_i`, then the n rows, newest first.
fn write_window<T: Real, C: Covariance<T>>(w: &mut Writer<'_>, cov: &C, ws: &WindowState<T>) {
    for x in [ws.memory, ws.outputs, ws.rows] {
        w.u32(x as u32);
    }
    w.u8(storage_code(ws.storage));
    w.f64(ws.eps0.to_f64());
    for q in 0..ws.rows {
        if let Some((a, _)) = cov.window_row(q) {
            w.reals(&[a]);
        }
    }
    for q in 0..ws.rows {
        if let Some((_, row)) = cov.window_row(q) {
            w.reals(row);
        }
    }
}

/// The structured window (checked by [`check_terms`]): r, n, ε0; then the
/// n terms, newest first, each `c_i` then `u_i`.
fn write_terms<T: Real, C: Covariance<T>>(w: &mut Writer<'_>, cov: &C, ts: &TermState<T>) {
    for x in [ts.memory, ts.terms] {
        w.u32(x as u32);
    }
    w.f64(ts.eps0.to_f64());
    for q in 0..ts.terms {
        if let Some((c, u)) = cov.window_term(q) {
            w.reals(&[c]);
            w.reals(u);
        }
    }
}

/// The Adam section: α, β1, β2, ε, mode; t, β1^t, β2^t; then m, v and the accumulator.
fn write_adam<T: Real>(w: &mut Writer<'_>, a: &AdamPart<'_, T>) {
    w.f64(a.config.lr);
    w.f64(a.config.beta1);
    w.f64(a.config.beta2);
    w.f64(a.config.eps);
    w.u8(adam_mode_code(a.config.mode));
    w.u32(a.counters.t);
    w.f64(a.counters.b1t);
    w.f64(a.counters.b2t);
    w.reals(a.state);
}

/// Writes the network alone (spec and weights) into `out`; returns the
/// number of bytes written
/// ([`saved_len`](super::saved_len)`(spec, false, false)`). Fails with
/// [`Error::CapacityExceeded`], writing nothing, if `out` is too short.
pub fn save_network<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    net: &ResNet<T, S>,
    out: &mut [u8],
) -> Result<usize> {
    save_impl::<T, S, PackedCovariance<T, [T; 0]>>(net, None, None, out)
}

/// Writes the network and a g-EHF learner's state (parameters and `P`)
/// into `out`; returns the number of bytes written
/// ([`saved_gehf_len`](super::saved_gehf_len)). `P` is read through
/// [`Covariance::get`] (so any covariance works) and stored packed, or,
/// for an information window ([`Covariance::window_state`]), stored as its
/// rows, or, for a structured window ([`Covariance::term_state`]), as its
/// terms. Fails, writing nothing, if `out` is too short or `P` does not
/// match the network.
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
        regularization: *filter.regularization(),
        cov: filter.covariance(),
    };
    save_impl(net, Some(part), None, out)
}

/// Writes the network and Adam's whole state into `out`; returns the
/// number of bytes written
/// ([`saved_len`](super::saved_len)`(spec, false, true)`).
pub fn save_adam<T, S, A>(net: &ResNet<T, S>, adam: &Adam<T, A>, out: &mut [u8]) -> Result<usize>
where
    T: Real,
    S: AsRef<[T]> + AsMut<[T]>,
    A: AsRef<[T]> + AsMut<[T]>,
{
    let (state, t, b1t, b2t) = adam.state();
    let part = AdamPart {
        config: *adam.config(),
        counters: AdamCounters { t, b1t, b2t },
        state,
    };
    save_impl::<T, S, PackedCovariance<T, [T; 0]>>(net, None, Some(part), out)
}
