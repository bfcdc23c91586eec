//! `P` restricted to diagonal blocks: the l-EHF read as the printed g-EHF
//! with `P` block-diagonal (issue 15, item 1).
//!
//! The weights `w` (eq. 16) are cut into contiguous blocks `w_j` — one per
//! neuron (its threshold, if any, and its incoming weights: one row of a
//! `Wᵗ`) or one per weight matrix `Wᵗ` — and `P = diag(P_1, …, P_k)`, each
//! `P_j` stored packed and starting at `ε0 I` (eq. 5). With `H = [H_1 … H_k]`
//! cut the same way, the one-output step of [`crate::GEhf`] becomes
//!
//! ```text
//! u_j = P_j H_jᵀ,   s = Σ_j H_j u_j,   K_j = u_j / (s + 1),   w_j += K_j e   (eq. 3)
//! P_j ← P_j − c u_j u_jᵀ,   c = (1 − γ⁻²) / (1 + (1 − γ⁻²) s)              (eq. 4)
//! ```
//!
//! with the *global* `s` and `c`: the printed step with `P` restricted to
//! its diagonal blocks. [`BlockCovariance`] implements [`Covariance`], so
//! the filter's code is unchanged: [`Covariance::mul_vec`] is `u_j = P_j h_j`
//! block by block (a block-diagonal matrix times `h`), and
//! [`Covariance::downdate`]`(c, u)` applies `P_j −= c u_j u_jᵀ` to the
//! diagonal blocks only — exactly `P − c u uᵀ` with its off-diagonal blocks
//! dropped. With one block ([`Blocking::Whole`]) it is
//! [`PackedCovariance`](super::PackedCovariance) bit for bit: both run the
//! same packed kernels.
//!
//! Several outputs (`gehf/multi.rs`): the filter applies N_L rank-one
//! downdates `P ← P − c_i v_i v_iᵀ` whose `v_i`, `c_i` come from the global
//! N_L × N_L innovation `a⁻¹ I + H P Hᵀ` (its LDLᵀ factors). Each downdate
//! is restricted to the diagonal blocks, and restriction is linear, so the
//! result is the restriction of the whole multi-output update of eqs. 4–6:
//! `P' = blockdiag(P − P Hᵀ (a⁻¹ I + H P Hᵀ)⁻¹ H P)`, `P` block-diagonal,
//! `a = 1 − γ⁻²`.
//!
//! Unlike the global `P`, the restricted one is not the information form
//! of eq. (7) any more: `P_j⁻¹` does not grow by `a h_j h_jᵀ`. Each block
//! stays symmetric positive definite as long as `c u_j u_jᵀ` is smaller
//! than `P_j` (it is: `c s_j < c s < 1` with `s_j = h_jᵀ u_j ≤ s`, and
//! `P_j − c u_j u_jᵀ = P_j^{1/2} (I − c P_j^{1/2} h_j h_jᵀ P_j^{1/2}) P_j^{1/2}`
//! has the eigenvalue `1 − c s_j > 0` along `P_j^{1/2} h_j`); the filter
//! still checks every downdated diagonal entry
//! ([`Covariance::downdate_diagonal_bounds`]).
//!
//! The covariance-first gain order uses its closed form
//! `K = u / (1 + (2 − γ⁻²) s)`, which for the restricted `P` is not
//! `P' h / (1 + h P' hᵀ)` (the blocks do not share the factor `1 − c s`).
//!
//! Storage, all the caller's: the layout's block boundaries and packed
//! offsets (`usize`, [`Blocking::layout_len`] for the standard layouts) and
//! the blocks' packed triangles (Σ_j b_j(b_j + 1)/2 elements of `T`,
//! [`Blocking::packed_len`]).

use super::packed::{diagonal, for_diagonal_mut, packed_downdate, packed_identity, packed_mul_vec};
use super::{
    Covariance, Regularizable, check_alpha, check_floor, check_q, checked_packed_len,
    cholesky_packed, fold_bounds,
};
use crate::error::{Error, Param, Result, check_finite, check_len};
use crate::real::Real;
use crate::spec::{ResNetSpec, packed_len};
use core::cmp::Ordering;
use core::ops::Range;

/// The standard ways to cut the weight vector of eq. (16) into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Blocking {
    /// One block, all N_w weights: the g-EHF's global `P`.
    Whole,
    /// One block per weight matrix `Wᵗ` (t = 1 … L−1, thresholds
    /// included): L − 1 blocks.
    PerLayer,
    /// One block per neuron of layers 2 … L: its threshold (sigmoid layers
    /// only) and its incoming weights, one row of a `Wᵗ`, contiguous in
    /// eq. (16). (L − 2)·N + N_L blocks.
    PerNeuron,
}

impl Blocking {
    /// The number of blocks k for `spec`.
    pub const fn blocks(self, spec: &ResNetSpec) -> usize {
        match self {
            Blocking::Whole => 1,
            Blocking::PerLayer => spec.layers() - 1,
            Blocking::PerNeuron => {
                let mut k = 0;
                let mut t = 1;
                while let Some(tr) = spec.transition(t) {
                    k += tr.outputs;
                    t += 1;
                }
                k
            }
        }
    }

    /// The `usize`s a [`BlockLayout`] of this kind needs: 2(k + 1) (the
    /// k + 1 block boundaries and the k + 1 packed offsets).
    pub const fn layout_len(self, spec: &ResNetSpec) -> usize {
        block_layout_len(self.blocks(spec))
    }

    /// The elements of `T` a [`BlockCovariance`] of this kind needs:
    /// Σ_j b_j(b_j + 1)/2 over the block sizes b_j.
    pub const fn packed_len(self, spec: &ResNetSpec) -> usize {
        match self {
            Blocking::Whole => packed_len(spec.n_weights()),
            Blocking::PerLayer => {
                let mut total = 0;
                let mut t = 1;
                while let Some(tr) = spec.transition(t) {
                    total += packed_len(tr.len());
                    t += 1;
                }
                total
            }
            Blocking::PerNeuron => {
                let mut total = 0;
                let mut t = 1;
                while let Some(tr) = spec.transition(t) {
                    total += tr.outputs * packed_len(tr.row_len());
                    t += 1;
                }
                total
            }
        }
    }
}

/// The `usize`s a [`BlockLayout`] of k blocks needs: 2(k + 1).
pub const fn block_layout_len(blocks: usize) -> usize {
    2 * (blocks + 1)
}

/// A partition of `0..N_w` into k contiguous, non-empty blocks, checked
/// against a [`ResNetSpec`].
///
/// The storage `B` (`[usize; CAP]` or `Vec<usize>`, at least
/// [`block_layout_len`]`(k)` long) holds the k + 1 boundaries `0 = e_0 < e_1 <
/// … < e_k = N_w` (block j is `e_j..e_{j+1}`) and then the k + 1 offsets
/// of each block's packed triangle in a [`BlockCovariance`]'s storage.
///
/// ```
/// use hinf::{BlockLayout, Blocking, ResNetSpec};
/// const SPEC: ResNetSpec = ResNetSpec::xor_const(1); // L = 5, N_w = 76
/// let neurons =
///     BlockLayout::per_neuron(&SPEC, [0usize; Blocking::PerNeuron.layout_len(&SPEC)])?;
/// assert_eq!(neurons.blocks(), 16); // 5 + 5 + 5 + 1
/// assert_eq!(neurons.block(0), Some(0..3)); // b, w1, w2 of the first neuron
/// assert_eq!(neurons.block(15), Some(70..76)); // the output neuron
/// let layers = BlockLayout::per_layer(&SPEC, vec![0; Blocking::PerLayer.layout_len(&SPEC)])?;
/// assert_eq!(layers.block(2), Some(45..70)); // W³, no thresholds
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockLayout<B> {
    dim: usize,
    blocks: usize,
    storage: B,
}

impl<B: AsRef<[usize]> + AsMut<[usize]>> BlockLayout<B> {
    /// One block per neuron ([`Blocking::PerNeuron`]).
    pub fn per_neuron(spec: &ResNetSpec, storage: B) -> Result<Self> {
        Self::standard(Blocking::PerNeuron, spec, storage)
    }

    /// One block per weight matrix ([`Blocking::PerLayer`]).
    pub fn per_layer(spec: &ResNetSpec, storage: B) -> Result<Self> {
        Self::standard(Blocking::PerLayer, spec, storage)
    }

    /// One block of all N_w weights ([`Blocking::Whole`]).
    pub fn whole(spec: &ResNetSpec, storage: B) -> Result<Self> {
        Self::standard(Blocking::Whole, spec, storage)
    }

    /// The layout `blocking` of `spec` in `storage` (at least
    /// [`Blocking::layout_len`] long, else [`Error::CapacityExceeded`]).
    pub fn standard(blocking: Blocking, spec: &ResNetSpec, mut storage: B) -> Result<Self> {
        let k = blocking.blocks(spec);
        let needed = block_layout_len(k);
        let capacity = storage.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "block layout",
                needed,
                capacity,
            });
        }
        let bounds = &mut storage.as_mut()[..=k];
        bounds[0] = 0;
        let mut j = 1;
        let mut t = 1;
        while let Some(tr) = spec.transition(t) {
            match blocking {
                Blocking::Whole => {}
                Blocking::PerLayer => {
                    bounds[j] = tr.offset + tr.len();
                    j += 1;
                }
                Blocking::PerNeuron => {
                    for n in 0..tr.outputs {
                        bounds[j] = tr.offset + (n + 1) * tr.row_len();
                        j += 1;
                    }
                }
            }
            t += 1;
        }
        bounds[k] = spec.n_weights();
        Self::finish(spec, k, storage)
    }

    /// A layout from its k + 1 block boundaries `0 = e_0 < … < e_k = N_w`
    /// (block j is `e_j..e_{j+1}`), copied into `storage` (at least
    /// [`block_layout_len`]`(k)` long). Fails with
    /// [`Error::InvalidParameter`]`(`[`Param::BlockLayout`]`)` unless the
    /// blocks are non-empty and cover `0..N_w` of `spec` exactly, and with
    /// [`Error::CapacityExceeded`] on a short `storage`.
    pub fn from_bounds(spec: &ResNetSpec, bounds: &[usize], mut storage: B) -> Result<Self> {
        let invalid = Error::InvalidParameter {
            name: Param::BlockLayout,
        };
        let (Some(&first), Some(&last)) = (bounds.first(), bounds.last()) else {
            return Err(invalid);
        };
        let k = bounds.len() - 1;
        if k == 0
            || first != 0
            || last != spec.n_weights()
            || bounds.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(invalid);
        }
        let needed = block_layout_len(k);
        let capacity = storage.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "block layout",
                needed,
                capacity,
            });
        }
        storage.as_mut()[..=k].copy_from_slice(bounds);
        Self::finish(spec, k, storage)
    }

    /// Checks the k + 1 boundaries in `storage` against `spec` and fills
    /// in the packed offsets.
    fn finish(spec: &ResNetSpec, k: usize, mut storage: B) -> Result<Self> {
        let s = storage.as_mut();
        let (bounds, offsets) = s.split_at_mut(k + 1);
        let nw = spec.n_weights();
        if k == 0 || bounds[0] != 0 || bounds[k] != nw || bounds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::InvalidParameter {
                name: Param::BlockLayout,
            });
        }
        // Packed offsets: Σ_{i<j} b_i(b_i + 1)/2 (no overflow: the total is
        // at most N_w(N_w + 1)/2, which a valid spec keeps in range).
        let mut off = 0;
        for (o, w) in offsets.iter_mut().zip(bounds.windows(2)) {
            *o = off;
            off += packed_len(w[1] - w[0]);
        }
        offsets[k] = off;
        Ok(Self {
            dim: nw,
            blocks: k,
            storage,
        })
    }
}

impl<B: AsRef<[usize]>> BlockLayout<B> {
    /// N_w, the dimension covered.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// k, the number of blocks.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// The k + 1 boundaries `e_0 = 0 < … < e_k = N_w`.
    pub fn bounds(&self) -> &[usize] {
        &self.storage.as_ref()[..=self.blocks]
    }

    /// Block j's range of weight indices (`None` for j ≥ k).
    pub fn block(&self, j: usize) -> Option<Range<usize>> {
        let b = self.bounds();
        Some(*b.get(j)?..*b.get(j + 1)?)
    }

    /// The elements of `T` the blocks' packed triangles take:
    /// Σ_j b_j(b_j + 1)/2.
    pub fn packed_len(&self) -> usize {
        self.offsets()[self.blocks]
    }

    /// The block holding weight i (`None` for i ≥ N_w), by bisection.
    pub fn block_of(&self, i: usize) -> Option<usize> {
        if i >= self.dim {
            return None;
        }
        // The last boundary ≤ i.
        let b = self.bounds();
        Some(b.partition_point(|e| *e <= i) - 1)
    }

    /// Block j's offset in the packed storage, for j = 0 … k.
    fn offsets(&self) -> &[usize] {
        &self.storage.as_ref()[self.blocks + 1..2 * self.blocks + 2]
    }

    /// Each block as (its weight range, its packed range), in order.
    fn iter(&self) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + '_ {
        self.bounds()
            .windows(2)
            .zip(self.offsets().windows(2))
            .map(|(w, o)| (w[0]..w[1], o[0]..o[1]))
    }
}

/// `P` block-diagonal, each block `P_j` a packed lower triangle (the
/// l-EHF read as the printed step restricted to the blocks; see the
/// module docs of `covariance/blocks.rs`).
///
/// ```
/// use hinf::{BlockCovariance, BlockLayout, Blocking, Covariance, ResNetSpec};
/// const SPEC: ResNetSpec = ResNetSpec::xor_const(1); // L = 5, N_w = 76
/// const K: Blocking = Blocking::PerNeuron;
/// let layout = BlockLayout::per_neuron(&SPEC, [0usize; K.layout_len(&SPEC)])?;
/// let p = BlockCovariance::new(layout, 10.0, [0.0f32; K.packed_len(&SPEC)])?;
/// assert_eq!(K.packed_len(&SPEC), 231); // 76 · 77 / 2 = 2926 for the whole P
/// assert_eq!((p.get(1, 2), p.get(2, 3), p.get(3, 3)), (0.0, 0.0, 10.0));
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BlockCovariance<T, B, S> {
    layout: BlockLayout<B>,
    data: S,
    _t: core::marker::PhantomData<T>,
}

impl<T: Real, B: AsRef<[usize]>, S: AsRef<[T]> + AsMut<[T]>> BlockCovariance<T, B, S> {
    /// `ε0 I` with the blocks of `layout`, in `storage` (at least
    /// [`BlockLayout::packed_len`] elements). Fails unless ε0 is finite
    /// and > 0, or on a short storage.
    pub fn new(layout: BlockLayout<B>, eps0: T, storage: S) -> Result<Self> {
        if !(eps0.is_finite() && eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        let needed = layout.packed_len();
        let capacity = storage.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "block covariance",
                needed,
                capacity,
            });
        }
        let mut p = Self {
            layout,
            data: storage,
            _t: core::marker::PhantomData,
        };
        p.reset(eps0);
        Ok(p)
    }

    /// The layout.
    pub fn layout(&self) -> &BlockLayout<B> {
        &self.layout
    }

    /// All blocks' packed lower triangles, block after block
    /// ([`BlockLayout::packed_len`] elements).
    pub fn blocks(&self) -> &[T] {
        &self.data.as_ref()[..self.layout.packed_len()]
    }

    /// Block j's packed lower triangle (`None` for j ≥ k).
    pub fn block(&self, j: usize) -> Option<&[T]> {
        let (_, packed) = self.layout.iter().nth(j)?;
        self.data.as_ref().get(packed)
    }

    /// Replaces all blocks (the layout of [`BlockCovariance::blocks`]).
    /// Fails, changing nothing, on a wrong length or a non-finite value.
    pub fn set_blocks(&mut self, blocks: &[T]) -> Result<()> {
        check_len("block covariance", self.layout.packed_len(), blocks.len())?;
        check_finite("block covariance", blocks)?;
        self.data.as_mut()[..blocks.len()].copy_from_slice(blocks);
        Ok(())
    }

    /// The blocks' storage, mutable.
    fn data_mut(&mut self) -> &mut [T] {
        let n = self.layout.packed_len();
        &mut self.data.as_mut()[..n]
    }

    /// Every diagonal entry of `P`, block after block (index order).
    fn diagonal(&self) -> impl Iterator<Item = T> + '_ {
        let data = self.data.as_ref();
        self.layout
            .iter()
            .flat_map(move |(_, packed)| diagonal(data.get(packed).unwrap_or(&[])))
    }

    /// Applies `f` to every diagonal entry.
    fn for_diagonal_mut(&mut self, mut f: impl FnMut(&mut T)) {
        let n = self.layout.packed_len();
        let data = &mut self.data.as_mut()[..n];
        for (w, packed) in self.layout.iter() {
            if let Some(p) = data.get_mut(packed) {
                for_diagonal_mut(p, w.len(), &mut f);
            }
        }
    }
}

impl<T: Real, B: AsRef<[usize]>, S: AsRef<[T]> + AsMut<[T]>> Covariance<T>
    for BlockCovariance<T, B, S>
{
    fn dim(&self) -> usize {
        self.layout.dim
    }

    /// `u_j = P_j v_j` for every block j (the block-diagonal product).
    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        let data = self.data.as_ref();
        for (w, packed) in self.layout.iter() {
            let b = w.len();
            if let (Some(p), Some(vj), Some(oj)) =
                (data.get(packed), v.get(w.clone()), out.get_mut(w))
            {
                packed_mul_vec(p, b, vj, oj);
            }
        }
    }

    /// `P_j ← P_j − c u_j u_jᵀ` for every block j: eq. (4)'s rank-one
    /// downdate restricted to the diagonal blocks.
    fn downdate(&mut self, c: T, u: &[T]) {
        let n = self.layout.packed_len();
        let data = &mut self.data.as_mut()[..n];
        for (w, packed) in self.layout.iter() {
            let b = w.len();
            if let (Some(p), Some(uj)) = (data.get_mut(packed), u.get(w)) {
                packed_downdate(p, b, c, uj);
            }
        }
    }

    /// Every `P_j ← ε0 I` (eq. 5).
    fn reset(&mut self, eps0: T) {
        let n = self.layout.packed_len();
        let data = &mut self.data.as_mut()[..n];
        for (w, packed) in self.layout.iter() {
            if let Some(p) = data.get_mut(packed) {
                packed_identity(p, w.len(), eps0);
            }
        }
    }

    /// `P[i][j]`: 0 unless i and j are in the same block. O(log k).
    fn get(&self, i: usize, j: usize) -> T {
        let (Some(bi), Some(bj)) = (self.layout.block_of(i), self.layout.block_of(j)) else {
            return T::ZERO;
        };
        if bi != bj {
            return T::ZERO;
        }
        let start = self.layout.bounds()[bi];
        let (i, j) = if j > i { (j, i) } else { (i, j) };
        let k = self.layout.offsets()[bi] + packed_len(i - start) + (j - start);
        self.data.as_ref().get(k).copied().unwrap_or(T::ZERO)
    }

    fn regularizable(&self) -> Regularizable {
        Regularizable::ALL
    }

    fn add_diagonal(&mut self, q: T) -> Result<()> {
        check_q(q)?;
        if !self.diagonal().all(|d| (d + q).is_finite()) {
            return Err(Error::Diverged { what: "covariance" });
        }
        self.for_diagonal_mut(|d| *d += q);
        Ok(())
    }

    fn scale(&mut self, alpha: T) -> Result<()> {
        check_alpha(alpha)?;
        if !self.blocks().iter().all(|x| (*x * alpha).is_finite()) {
            return Err(Error::Diverged { what: "covariance" });
        }
        self.data_mut().iter_mut().for_each(|x| *x *= alpha);
        Ok(())
    }

    fn floor_diagonal(&mut self, floor: T) -> Result<usize> {
        check_floor(floor)?;
        let mut raised = 0;
        self.for_diagonal_mut(|d| {
            if matches!((*d).partial_cmp(&floor), None | Some(Ordering::Less)) {
                *d = floor;
                raised += 1;
            }
        });
        Ok(raised)
    }

    fn symmetrize(&mut self) -> Result<T> {
        Ok(T::ZERO)
    }

    /// Accepts a full packed `P` only if it is block-diagonal for this
    /// layout (every entry outside the blocks exactly 0).
    fn load_packed(&mut self, packed: &[T]) -> Result<()> {
        let n = self.layout.dim;
        check_len(
            "packed covariance",
            checked_packed_len(n).unwrap_or(usize::MAX),
            packed.len(),
        )?;
        check_finite("packed covariance", packed)?;
        let mut row = 0;
        for i in 0..n {
            let start = self
                .layout
                .block_of(i)
                .map_or(0, |b| self.layout.bounds()[b]);
            if packed[row..row + start].iter().any(|x| *x != T::ZERO) {
                return Err(Error::Unsupported {
                    what: "a P that is not block-diagonal in a block covariance",
                });
            }
            row += i + 1;
        }
        let mut k = 0;
        let mut row = 0;
        let bounds_len = self.layout.blocks;
        for b in 0..bounds_len {
            let Some(w) = self.layout.block(b) else {
                break;
            };
            for i in w.clone() {
                let from = row + w.start;
                let len = i - w.start + 1;
                self.data.as_mut()[k..k + len].copy_from_slice(&packed[from..from + len]);
                k += len;
                row += i + 1;
            }
        }
        Ok(())
    }

    fn downdate_diagonal_bounds(&self, c: T, u: &[T]) -> Option<(T, T)> {
        let mut bounds: Option<(T, T)> = None;
        for (d, ui) in self.diagonal().zip(u) {
            // The same roundings as `downdate`: p_ii − (c u_i) u_i.
            let cui = c * *ui;
            let x = d - cui * *ui;
            bounds = Some(match bounds {
                None => (x, x),
                Some(b) => fold_bounds(b, x),
            });
        }
        Some(bounds.unwrap_or((T::ZERO, T::ZERO)))
    }

    fn diagonal_bounds(&self) -> (T, T) {
        let mut it = self.diagonal();
        let Some(first) = it.next() else {
            return (T::ZERO, T::ZERO);
        };
        it.fold((first, first), fold_bounds)
    }

    fn asymmetry(&self) -> T {
        T::ZERO
    }

    /// Cholesky of every block in turn: `P` is positive definite iff each
    /// `P_j` is. `scratch` needs only the largest block's
    /// b_j(b_j + 1)/2 elements.
    fn is_positive_definite(&self, scratch: &mut [T]) -> Result<bool> {
        let data = self.data.as_ref();
        let needed = self
            .layout
            .iter()
            .map(|(_, packed)| packed.len())
            .max()
            .unwrap_or(0);
        let Some(l) = scratch.get_mut(..needed) else {
            return Err(Error::CapacityExceeded {
                what: "cholesky scratch",
                needed,
                capacity: scratch.len(),
            });
        };
        for (w, packed) in self.layout.iter() {
            let Some(p) = data.get(packed.clone()) else {
                return Ok(false);
            };
            let lj = &mut l[..packed.len()];
            lj.copy_from_slice(p);
            if !cholesky_packed(lj, w.len()) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
