//! A network's Jacobian row by its per-neuron factors (eqs. 21–23): the
//! factored row storage of [`super::InfoWindow`].
//!
//! In the layout of eq. (16) the block of `∂h_o/∂w` for the weight matrix
//! `Wᵗ` (layer t → t + 1) has rank one: its row j (neuron j of layer
//! t + 1) is `δ_j [β, z_1 … z_{N_t}]`, with β = 1 for a sigmoid layer
//! (the threshold) and no β for an identity layer; δ is the
//! back-propagated φ of eqs. (22)–(23) and z the activations of layer t.
//! A row is kept as, for t = 1 … L − 1 in order, z (N_t numbers) then δ
//! (N_{t+1}): Σ_t (N_t + N_{t+1}) numbers ([`factor_len`]) instead of N_w
//! — 33 against 76 at L = 5, ≈ 0.37 N_w for deep nets.
//!
//! # Factoring a dense row, block by block
//!
//! * With thresholds, δ is the threshold column itself and z the
//!   reference row j* (the largest |δ_j|) divided by δ_{j*}.
//! * Without, z is the reference row j* (the one holding the block's
//!   largest |entry|, at column i*) itself, and δ_j = h_{j,i*} / h_{j*,i*}
//!   (δ_{j*} = 1). Ratios, not least squares: nothing squared underflows.
//! * An all-zero block gives z = 0 and δ = 0.
//!
//! The factors are accepted if `δ_j [β, z]` reproduces every entry within
//! [`TOLERANCE`]·ε of the block's largest |entry| (plus the smallest normal
//! number, for subnormal products); otherwise the row is not a network
//! Jacobian, and the window refuses it.
//!
//! # Products from the factors
//!
//! `h_a · h_b = Σ_t (δ_a · δ_b)(β + z_a · z_b)`, `h · v` and `out −= g h`
//! run block by block on the factors, never on a dense row.

use crate::network::JacobianFactors;
use crate::real::{Real, dot};
use crate::spec::{PAPER_WIDTH, ResNetSpec, Transition};

/// The factorisation's tolerance, in units of the precision's ε, relative
/// to a block's largest |entry| (the ratios make a few ε; 64 is ample and
/// far below a row that is not rank one per block).
pub(super) const TOLERANCE: f64 = 64.0;

/// Σ_t (N_t + N_{t+1}) = 2 Σ_l N_l − N_1 − N_L: numbers per factored row.
pub(super) const fn factor_len(spec: &ResNetSpec) -> usize {
    spec.n_activations()
        .saturating_mul(2)
        .saturating_sub(spec.inputs() + spec.outputs())
}

/// One block of a row: the weight matrix `Wᵗ` and where its factors start.
#[derive(Clone, Copy)]
struct Block {
    tr: Transition,
    at: usize,
}

impl Block {
    /// β: 1 with thresholds.
    #[inline]
    fn beta(&self) -> usize {
        usize::from(self.tr.sigmoid)
    }
    /// Values per row of the block (at least 1).
    #[inline]
    fn width(&self) -> usize {
        self.tr.row_len().max(1)
    }
    /// This block's factors in a row's `f`: (z, δ); empty if `f` is short.
    #[inline]
    fn factors<'a, T>(&self, f: &'a [T]) -> (&'a [T], &'a [T]) {
        let all = f.get(self.at..self.at + self.tr.inputs + self.tr.outputs);
        all.map_or((&[], &[]), |x| x.split_at(self.tr.inputs))
    }
    /// This block's entries of a dense vector; empty if `v` is short.
    #[inline]
    fn of<'a, T>(&self, v: &'a [T]) -> &'a [T] {
        v.get(self.tr.offset..self.tr.offset + self.tr.len())
            .unwrap_or(&[])
    }
}

/// The blocks of a row, t = 1 … L − 1 (the transitions of
/// [`ResNetSpec::transition`], their offsets summed as they come).
#[inline]
fn blocks(spec: &ResNetSpec) -> Blocks {
    Blocks {
        spec: *spec,
        t: 1,
        offset: 0,
        at: 0,
    }
}

/// The iterator of [`blocks`].
#[derive(Clone)]
struct Blocks {
    spec: ResNetSpec,
    t: usize,
    offset: usize,
    at: usize,
}

impl Iterator for Blocks {
    type Item = Block;

    #[inline]
    fn next(&mut self) -> Option<Block> {
        let (s, t) = (&self.spec, self.t);
        if t >= s.layers() {
            return None;
        }
        let tr = Transition {
            from_layer: t,
            inputs: s.layer_width(t),
            outputs: s.layer_width(t + 1),
            sigmoid: s.is_sigmoid_layer(t + 1),
            offset: self.offset,
        };
        let b = Block { tr, at: self.at };
        self.t += 1;
        self.offset += tr.len();
        self.at += tr.inputs + tr.outputs;
        Some(b)
    }
}

/// `h · v` for the row with factors `f`.
pub(super) fn dot_vec<T: Real>(spec: &ResNetSpec, f: &[T], v: &[T]) -> T {
    let mut acc = T::ZERO;
    for b in blocks(spec) {
        let (z, d) = b.factors(f);
        let beta = b.beta();
        for (row, dj) in b.of(v).chunks_exact(b.width()).zip(d) {
            let mut s = dot(&row[beta..], z);
            if beta == 1 {
                s += row[0];
            }
            acc += *dj * s;
        }
    }
    acc
}

/// `out ← out − g h` for the row with factors `f`.
pub(super) fn sub_scaled<T: Real>(spec: &ResNetSpec, f: &[T], g: T, out: &mut [T]) {
    for b in blocks(spec) {
        let (z, d) = b.factors(f);
        let beta = b.beta();
        let range = b.tr.offset..b.tr.offset + b.tr.len();
        let Some(block) = out.get_mut(range) else {
            continue;
        };
        for (row, dj) in block.chunks_exact_mut(b.width()).zip(d) {
            let gj = g * *dj;
            if beta == 1 {
                row[0] -= gj;
            }
            for (o, zi) in row[beta..].iter_mut().zip(z) {
                *o -= gj * *zi;
            }
        }
    }
}

/// `h_a · h_b = Σ_t (δ_a · δ_b)(β + z_a · z_b)` from the factors.
pub(super) fn dot_rows<T: Real>(spec: &ResNetSpec, a: &[T], b: &[T]) -> T {
    let mut acc = T::ZERO;
    for blk in blocks(spec) {
        let ((za, da), (zb, db)) = (blk.factors(a), blk.factors(b));
        let mut zz = dot(za, zb);
        if blk.beta() == 1 {
            zz += T::ONE;
        }
        acc += dot(da, db) * zz;
    }
    acc
}

/// Writes the factors of output o's row from the network's own z and φ
/// (`jf`) into `out`; `false`, with `out` unchanged, if the shapes differ.
pub(super) fn gather<T: Real>(
    spec: &ResNetSpec,
    jf: &JacobianFactors<'_, T>,
    o: usize,
    out: &mut [T],
) -> bool {
    let fits = |b: &Block| {
        let t = b.tr.from_layer;
        jf.activations(t).len() == b.tr.inputs && jf.deltas(o, t + 1).len() == b.tr.outputs
    };
    if jf.spec() != spec || out.len() != factor_len(spec) || !blocks(spec).all(|b| fits(&b)) {
        return false;
    }
    for b in blocks(spec) {
        let t = b.tr.from_layer;
        let (z, d) = out[b.at..b.at + b.tr.inputs + b.tr.outputs].split_at_mut(b.tr.inputs);
        z.copy_from_slice(jf.activations(t));
        d.copy_from_slice(jf.deltas(o, t + 1));
    }
    true
}

/// `true` if `row` is, entry for entry, `δ_j [β, z]` of the factors `f`
/// (as values: the network's own products, eq. 21, are exactly these) and
/// finite.
pub(super) fn is_row<T: Real>(spec: &ResNetSpec, f: &[T], row: &[T]) -> bool {
    // Branch-free within a block (`&`, not `&&`): one pass the compiler
    // can vectorize; blocks stop at the first mismatch.
    let is = |x: T, y: T| (x == y) & x.is_finite();
    let block_is = |b: Block| {
        let ((z, d), beta) = (b.factors(f), b.beta());
        b.of(row)
            .chunks_exact(b.width())
            .zip(d)
            .fold(true, |ok, (r, dj)| {
                let threshold = beta == 0 || is(r[0], *dj);
                let weights = r[beta..]
                    .iter()
                    .zip(z)
                    .fold(true, |ok, (x, zi)| ok & is(*x, *dj * *zi));
                ok & threshold & weights
            })
    };
    f.len() == factor_len(spec) && row.len() == spec.n_weights() && blocks(spec).all(block_is)
}

/// Blocks per tile of the passes over many rows ([`dot_rows_each`],
/// [`sub_scaled_each`]): every row passes over one tile before the next,
/// so the tile of `out` (30 numbers a block at N = 5) stays in the nearest
/// cache and each row is read in runs of `TILE` blocks, not one block per
/// row in turn. The order of the sums is untouched.
const TILE: usize = 32;

/// Rows taken together over a block: their z and δ and the block's
/// entries are read once for the group.
const GROUP: usize = 4;

/// The blocks of `spec` in tiles of [`TILE`], in order.
fn tiles(spec: &ResNetSpec) -> impl Iterator<Item = core::iter::Take<Blocks>> {
    let mut rest = blocks(spec);
    core::iter::from_fn(move || {
        let tile = rest.clone().take(TILE);
        rest.clone().next()?;
        rest.nth(TILE - 1);
        Some(tile)
    })
}

/// `acc_q = h · h_q` (h by its factors `f`) for the rows whose factors
/// start at `store[base(q)]`: each `acc_q` summed block by block as
/// [`dot_rows`] sums it (the same bits), the rows taken in groups over
/// tiles of blocks.
pub(super) fn dot_rows_each<T: Real>(
    spec: &ResNetSpec,
    f: &[T],
    store: &[T],
    base: impl Fn(usize) -> usize,
    acc: &mut [T],
) {
    acc.iter_mut().for_each(|a| *a = T::ZERO);
    for tile in tiles(spec) {
        for (i, acc) in acc.chunks_mut(GROUP).enumerate() {
            let bases = group_bases(&base, i, acc.len());
            for blk in tile.clone() {
                gram_block(&blk, f, (store, &bases[..acc.len()]), acc);
            }
        }
    }
}

/// `base(q)` for the rows of group i (`len` ≤ [`GROUP`] of them).
#[inline(always)]
fn group_bases(base: &impl Fn(usize) -> usize, i: usize, len: usize) -> [usize; GROUP] {
    let mut b = [0; GROUP];
    for (r, x) in b.iter_mut().enumerate().take(len) {
        *x = base(i * GROUP + r);
    }
    b
}

/// One block of [`dot_rows_each`] for a group of rows: `acc_q += (δ · δ_q)
/// (β + z · z_q)`.
#[inline(always)]
fn gram_block<T: Real>(blk: &Block, f: &[T], (store, bases): (&[T], &[usize]), acc: &mut [T]) {
    let (za, da) = blk.factors(f);
    let (ni, n) = (blk.tr.inputs, blk.tr.inputs + blk.tr.outputs);
    // The paper's N = 5 → 5 blocks, unrolled (the same sums).
    if let (Ok(za), Ok(da)) = (<&[T; PAPER_WIDTH]>::try_from(za), da.try_into()) {
        return gram_block_fixed(za, da, blk.beta() == 1, (store, bases, blk.at), acc);
    }
    for (a, base) in acc.iter_mut().zip(bases) {
        let at = base + blk.at;
        let Some((zb, db)) = store.get(at..at + n).map(|g| g.split_at(ni)) else {
            continue;
        };
        let mut zz = dot(za, zb);
        if blk.beta() == 1 {
            zz += T::ONE;
        }
        *a += dot(da, db) * zz;
    }
}

/// One N → N block of [`dot_rows_each`] (N = `N`): `acc_q += (δ_a · δ_q)
/// (β + z_a · z_q)` for the rows whose factors start at `store[bases[q]]`,
/// this block's at `at`; the same operations as the general loop.
#[inline(always)]
fn gram_block_fixed<T: Real, const N: usize>(
    za: &[T; N],
    da: &[T; N],
    threshold: bool,
    (store, bases, at): (&[T], &[usize], usize),
    acc: &mut [T],
) {
    for (a, base) in acc.iter_mut().zip(bases) {
        let b0 = base + at;
        let Some(g) = store.get(b0..b0 + 2 * N) else {
            continue;
        };
        let (zb, db) = g.split_at(N);
        let mut zz = T::ZERO;
        for (x, y) in za.iter().zip(zb) {
            zz += *x * *y;
        }
        if threshold {
            zz += T::ONE;
        }
        let mut dd = T::ZERO;
        for (x, y) in da.iter().zip(db) {
            dd += *x * *y;
        }
        *a += dd * zz;
    }
}

/// `out ← out − Σ_q g_q h_q` for the rows whose factors start at
/// `store[base(q)]`: each entry gets the subtractions of [`sub_scaled`]
/// for q = 0, 1, … in that order (the same bits as one call per row), the
/// rows taken in groups over tiles of blocks.
pub(super) fn sub_scaled_each<T: Real>(
    spec: &ResNetSpec,
    store: &[T],
    base: impl Fn(usize) -> usize,
    g: &[T],
    out: &mut [T],
) {
    for tile in tiles(spec) {
        for (i, g) in g.chunks(GROUP).enumerate() {
            let bases = group_bases(&base, i, g.len());
            for b in tile.clone() {
                let Some(block) = out.get_mut(b.tr.offset..b.tr.offset + b.tr.len()) else {
                    continue;
                };
                sub_block(&b, (store, &bases[..g.len()], g), block);
            }
        }
    }
}

/// One block of [`sub_scaled_each`] for a group of rows:
/// `block ← block − Σ_q g_q δ_q [β, z_q]`, q in order for every entry.
#[inline(always)]
fn sub_block<T: Real>(b: &Block, (store, bases, g): (&[T], &[usize], &[T]), block: &mut [T]) {
    let (beta, ni, n) = (b.beta(), b.tr.inputs, b.tr.inputs + b.tr.outputs);
    if ni == PAPER_WIDTH && b.tr.outputs == PAPER_WIDTH {
        let rows = group_factors::<T, PAPER_WIDTH>(store, bases, b.at);
        if let (Some(rows), Ok(g)) = (rows, <&[T; GROUP]>::try_from(g)) {
            return match beta {
                1 => sub_block_fixed::<T, PAPER_WIDTH, 1>(&rows, g, block),
                _ => sub_block_fixed::<T, PAPER_WIDTH, 0>(&rows, g, block),
            };
        }
    }
    for (gq, base) in g.iter().zip(bases) {
        let Some((z, d)) = store
            .get(base + b.at..base + b.at + n)
            .map(|f| f.split_at(ni))
        else {
            continue;
        };
        for (row, dj) in block.chunks_exact_mut(b.width()).zip(d) {
            let gj = *gq * *dj;
            if beta == 1 {
                row[0] -= gj;
            }
            for (o, zi) in row[beta..].iter_mut().zip(z) {
                *o -= gj * *zi;
            }
        }
    }
}

/// The z and δ (N each) of a full group of rows at `store[bases[q] + at]`;
/// `None` for a short group or a short store.
#[inline(always)]
fn group_factors<'a, T: Real, const N: usize>(
    store: &'a [T],
    bases: &[usize],
    at: usize,
) -> Option<[(&'a [T; N], &'a [T; N]); GROUP]> {
    let one = |q: usize| {
        let b0 = bases.get(q)? + at;
        let z = store.get(b0..b0 + N)?.try_into().ok()?;
        let d = store.get(b0 + N..b0 + 2 * N)?.try_into().ok()?;
        Some((z, d))
    };
    Some([one(0)?, one(1)?, one(2)?, one(3)?])
}

/// The N × (β + N) block (β = `BETA`) less a full group's
/// `g_q δ_{q,j} [β, z_q]`: every entry loaded once, its subtractions
/// in order q = 0, 1, … (the operations of the general loop: the same
/// bits).
#[inline(always)]
fn sub_block_fixed<T: Real, const N: usize, const BETA: usize>(
    rows: &[(&[T; N], &[T; N]); GROUP],
    g: &[T; GROUP],
    block: &mut [T],
) {
    if block.len() != N * (BETA + N) {
        return;
    }
    for (j, row) in block.chunks_exact_mut(BETA + N).enumerate() {
        let mut gj = [T::ZERO; GROUP];
        for ((x, gq), (_, d)) in gj.iter_mut().zip(g).zip(rows) {
            *x = *gq * d[j];
        }
        if BETA == 1 {
            let mut t = row[0];
            for x in &gj {
                t -= *x;
            }
            row[0] = t;
        }
        for (i, o) in row[BETA..].iter_mut().enumerate() {
            let mut acc = *o;
            for (x, (z, _)) in gj.iter().zip(rows) {
                acc -= *x * z[i];
            }
            *o = acc;
        }
    }
}

/// Entry i of the row with factors `f` (0 outside it).
pub(super) fn entry<T: Real>(spec: &ResNetSpec, f: &[T], i: usize) -> T {
    for b in blocks(spec) {
        let Some(k) = i.checked_sub(b.tr.offset).filter(|k| *k < b.tr.len()) else {
            continue;
        };
        let (z, d) = b.factors(f);
        let (j, c) = (k / b.width(), k % b.width());
        let dj = d.get(j).copied().unwrap_or(T::ZERO);
        return match c.checked_sub(b.beta()) {
            None => dj,
            Some(c) => dj * z.get(c).copied().unwrap_or(T::ZERO),
        };
    }
    T::ZERO
}

/// The dense row `h` of factors `f` into `out` (N_w values).
pub(super) fn expand<T: Real>(spec: &ResNetSpec, f: &[T], out: &mut [T]) {
    out.iter_mut().for_each(|x| *x = T::ZERO);
    sub_scaled(spec, f, -T::ONE, out);
}

/// Factors the dense `row` into `out` ([`factor_len`] values): `false`,
/// with `out` partly written, if a block is not reproduced.
pub(super) fn factor<T: Real>(spec: &ResNetSpec, row: &[T], out: &mut [T]) -> bool {
    for b in blocks(spec) {
        let m = b.of(row);
        let n = b.tr.inputs + b.tr.outputs;
        let Some(f) = out.get_mut(b.at..b.at + n) else {
            return false;
        };
        if m.len() != b.tr.len() {
            return false;
        }
        block_factors(&b, m, |k, x| {
            if let Some(y) = f.get_mut(k) {
                *y = x;
            }
        });
        let (z, d) = f.split_at(b.tr.inputs);
        if !reproduces(&b, m, z, d) {
            return false;
        }
    }
    true
}

/// `true` if `stored` is what [`factor`] makes of `row`.
pub(super) fn holds<T: Real>(spec: &ResNetSpec, row: &[T], stored: &[T]) -> bool {
    blocks(spec).all(|b| {
        let f = stored.get(b.at..b.at + b.tr.inputs + b.tr.outputs);
        let mut same = f.is_some() && b.of(row).len() == b.tr.len();
        block_factors(&b, b.of(row), |k, x| {
            same &= f.and_then(|f| f.get(k)) == Some(&x);
        });
        same
    })
}

/// The factors of block `m`: `emit(i, z_i)` for i < N_t, then
/// `emit(N_t + j, δ_j)` (module docs).
fn block_factors<T: Real>(b: &Block, m: &[T], mut emit: impl FnMut(usize, T)) {
    let (ni, w) = (b.tr.inputs, b.width());
    let rows = || m.chunks_exact(w);
    if b.beta() == 1 {
        let jstar = argmax(rows().map(|r| r[0].abs()));
        let r = rows().nth(jstar).unwrap_or(&[]);
        let d = r.first().copied().unwrap_or(T::ZERO);
        for (i, x) in r.iter().skip(1).enumerate() {
            emit(i, if d == T::ZERO { T::ZERO } else { *x / d });
        }
        for (j, r) in rows().enumerate() {
            emit(ni + j, r[0]);
        }
    } else {
        let jstar = argmax(rows().map(|r| r.iter().fold(T::ZERO, |a, x| a.max(x.abs()))));
        let z = rows().nth(jstar).unwrap_or(&[]);
        let istar = argmax(z.iter().map(|x| x.abs()));
        let pivot = z.get(istar).copied().unwrap_or(T::ZERO);
        for (i, x) in z.iter().enumerate() {
            emit(i, *x);
        }
        for (j, r) in rows().enumerate() {
            let x = r.get(istar).copied().unwrap_or(T::ZERO);
            emit(ni + j, if pivot == T::ZERO { T::ZERO } else { x / pivot });
        }
    }
}

/// `true` if `δ_j [β, z]` reproduces every entry of block `m` within the
/// tolerance of the module docs.
fn reproduces<T: Real>(b: &Block, m: &[T], z: &[T], d: &[T]) -> bool {
    let scale = m.iter().fold(T::ZERO, |a, x| a.max(x.abs()));
    let (eps, tiny) = precision::<T>();
    let bound = T::from_f64(TOLERANCE) * eps * scale + tiny;
    let beta = b.beta();
    m.chunks_exact(b.width()).zip(d).all(|(row, dj)| {
        let thr = beta == 0 || (row[0] - *dj).abs() <= bound;
        thr && row[beta..]
            .iter()
            .zip(z)
            .all(|(x, zi)| (*x - *dj * *zi).abs() <= bound)
    })
}

/// The precision's ε and smallest normal number.
fn precision<T: Real>() -> (T, T) {
    if T::BYTES == 4 {
        (
            T::from_f64(f64::from(f32::EPSILON)),
            T::from_f64(f64::from(f32::MIN_POSITIVE)),
        )
    } else {
        (T::from_f64(f64::EPSILON), T::from_f64(f64::MIN_POSITIVE))
    }
}

/// The index of the first largest value (0 if none).
fn argmax<T: Real>(xs: impl Iterator<Item = T>) -> usize {
    let mut best = (0, T::ZERO);
    for (i, x) in xs.enumerate() {
        if i == 0 || x > best.1 {
            best = (i, x);
        }
    }
    best.0
}

/// How a window keeps its rows: the row itself (N values) or its factors
/// for a network's shape. The dense arms are the loops the window always
/// ran (the same bits).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Rows {
    /// N values per row.
    Dense(usize),
    /// [`factor_len`] values per row.
    Factored(ResNetSpec),
}

impl Rows {
    /// Values stored per row.
    pub(super) fn len(&self) -> usize {
        match self {
            Rows::Dense(n) => *n,
            Rows::Factored(spec) => factor_len(spec),
        }
    }

    /// `h · v` for the stored row `f`.
    pub(super) fn dot_vec<T: Real>(&self, f: &[T], v: &[T]) -> T {
        match self {
            Rows::Dense(_) => dot(f, v),
            Rows::Factored(spec) => dot_vec(spec, f, v),
        }
    }

    /// `out ← out − g h` for the stored row `f`.
    pub(super) fn sub_scaled<T: Real>(&self, f: &[T], g: T, out: &mut [T]) {
        match self {
            Rows::Dense(_) => {
                for (o, x) in out.iter_mut().zip(f) {
                    *o -= g * *x;
                }
            }
            Rows::Factored(spec) => sub_scaled(spec, f, g, out),
        }
    }

    /// `acc_q = h · h_q` for the stored row `f` and the rows stored at
    /// `store[base(q)..]`.
    pub(super) fn dot_each<T: Real>(
        &self,
        f: &[T],
        store: &[T],
        base: impl Fn(usize) -> usize,
        acc: &mut [T],
    ) {
        match self {
            Rows::Dense(n) => {
                for (q, a) in acc.iter_mut().enumerate() {
                    let b = base(q);
                    *a = store.get(b..b + n).map_or(T::ZERO, |r| dot(f, r));
                }
            }
            Rows::Factored(spec) => dot_rows_each(spec, f, store, base, acc),
        }
    }

    /// `out ← out − Σ_q g_q h_q` for the rows stored at `store[base(q)..]`
    /// (the same bits as [`Rows::sub_scaled`] for q = 0, 1, …).
    pub(super) fn sub_scaled_each<T: Real>(
        &self,
        store: &[T],
        base: impl Fn(usize) -> usize,
        g: &[T],
        out: &mut [T],
    ) {
        match self {
            Rows::Dense(n) => {
                for (q, gq) in g.iter().enumerate() {
                    let b = base(q);
                    if let Some(r) = store.get(b..b + n) {
                        self.sub_scaled(r, *gq, out);
                    }
                }
            }
            Rows::Factored(spec) => sub_scaled_each(spec, store, base, g, out),
        }
    }

    /// `h_a · h_b` for the stored rows `a`, `b`.
    pub(super) fn dot<T: Real>(&self, a: &[T], b: &[T]) -> T {
        match self {
            Rows::Dense(_) => dot(a, b),
            Rows::Factored(spec) => dot_rows(spec, a, b),
        }
    }

    /// Entry i of the stored row `f` (0 outside it).
    pub(super) fn entry<T: Real>(&self, f: &[T], i: usize) -> T {
        match self {
            Rows::Dense(_) => f.get(i).copied().unwrap_or(T::ZERO),
            Rows::Factored(spec) => entry(spec, f, i),
        }
    }

    /// Stores the dense `row` into `out`; `false` if it does not fit (or,
    /// factored, is not rank one per block).
    pub(super) fn store<T: Real>(&self, row: &[T], out: &mut [T]) -> bool {
        match self {
            Rows::Dense(_) if row.len() == out.len() => {
                out.copy_from_slice(row);
                true
            }
            Rows::Dense(_) => false,
            Rows::Factored(spec) => factor(spec, row, out),
        }
    }

    /// Stores output o's row of `jf` by its own factors into `out`;
    /// `false` if the rows are dense or the shapes differ.
    pub(super) fn gather<T: Real>(
        &self,
        jf: &JacobianFactors<'_, T>,
        o: usize,
        out: &mut [T],
    ) -> bool {
        match self {
            Rows::Dense(_) => false,
            Rows::Factored(spec) => gather(spec, jf, o, out),
        }
    }

    /// `true` if the stored `f` is `row`, entry for entry, and finite.
    pub(super) fn is_row<T: Real>(&self, f: &[T], row: &[T]) -> bool {
        match self {
            Rows::Dense(_) => f == row && row.iter().all(|x| x.is_finite()),
            Rows::Factored(spec) => is_row(spec, f, row),
        }
    }

    /// `true` if `stored` is what [`Rows::store`] makes of `row`.
    pub(super) fn holds<T: Real>(&self, row: &[T], stored: &[T]) -> bool {
        match self {
            Rows::Dense(_) => row == stored,
            Rows::Factored(spec) => holds(spec, row, stored),
        }
    }

    /// The dense row of the stored `f` into `out` (N values).
    pub(super) fn expand<T: Real>(&self, f: &[T], out: &mut [T]) {
        match self {
            Rows::Dense(_) => {
                for (o, x) in out.iter_mut().zip(f) {
                    *o = *x;
                }
            }
            Rows::Factored(spec) => expand(spec, f, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Factors of a made-up row: entry k of the factor storage.
    fn row(spec: &ResNetSpec, seed: f64) -> [f64; 1024] {
        let mut f = [0.0; 1024];
        for (k, x) in f.iter_mut().take(factor_len(spec)).enumerate() {
            *x = libm::sin(seed * (k as f64 + 1.0) + 0.3) * 1.7;
        }
        f
    }

    /// One pass over all rows (N = 5 in registers, and a runtime N) is
    /// one call per row, bit for bit; so is the Gram column. With more
    /// blocks than a tile and a group left short.
    #[test]
    fn passes_over_all_rows_equal_one_call_per_row() {
        const Q: usize = 7;
        for spec in [
            ResNetSpec::xor(7).unwrap(),
            ResNetSpec::new(2, 3, 1, 7, 1.0).unwrap(),
            ResNetSpec::xor(81).unwrap(),
        ] {
            let rl = factor_len(&spec);
            assert!(rl <= 1024 && spec.n_weights() <= 4096);
            let mut store = [0.0; Q * 1024];
            let mut bases = [0; Q];
            for q in 0..Q {
                // Slots out of order, as in a ring.
                bases[q] = ((q * 5 + 3) % Q) * rl;
                let r = row(&spec, 0.7 + q as f64);
                store[bases[q]..bases[q] + rl].copy_from_slice(&r[..rl]);
            }
            let g: [f64; Q] =
                core::array::from_fn(|q| libm::pow(10.0, q as f64 - 3.0) * (q as f64 - 3.5));
            let nw = spec.n_weights();
            let mut one = [0.0; 4096];
            for (k, x) in one.iter_mut().enumerate() {
                *x = libm::cos(k as f64) * 1e3;
            }
            let mut each = one;
            for (gq, b) in g.iter().zip(bases) {
                sub_scaled(&spec, &store[b..b + rl], *gq, &mut one[..nw]);
            }
            sub_scaled_each(&spec, &store, |q| bases[q], &g, &mut each[..nw]);
            assert!(
                one.iter()
                    .zip(&each)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
            let new = row(&spec, 0.1);
            let mut acc = [0.0; Q];
            dot_rows_each(&spec, &new[..rl], &store, |q| bases[q], &mut acc);
            for (a, b) in acc.iter().zip(bases) {
                let want = dot_rows(&spec, &new[..rl], &store[b..b + rl]);
                assert_eq!(a.to_bits(), want.to_bits());
            }
        }
    }
}
