//! `P` in information form over a window of recent Jacobians (issue 15,
//! item 2): eq. (7) with the sum cut to the last r samples.
//!
//! # What is kept
//!
//! The exact filter's `P` satisfies eq. (7),
//! `P_k⁻¹ = ε0⁻¹ I + (1 − γ_f⁻²) Σ_{i ≤ k} h_iᵀ h_i`. [`InfoWindow`] keeps
//! the Jacobian rows `h_i` of the last r samples only (N_L rows each, the
//! oldest leaves when a new one comes), stacked as the rows of `J`
//! (n × N, n ≤ r·N_L), each with the weight `a_i = 1 − γ_f⁻²` it was
//! recorded with (`D = diag(a_i)`):
//!
//! ```text
//! P⁻¹ = ε0⁻¹ I + Jᵀ D J.
//! ```
//!
//! With r at least the number of samples seen, this is the exact g-EHF's
//! `P` (up to rounding); with fewer, each step's downdate is still the
//! whole rank-one one of eq. (4), coupling every weight — only old ones
//! are forgotten.
//!
//! # The product, through the n × n Gram system (Woodbury)
//!
//! The Woodbury identity `(B + U C V)⁻¹ = B⁻¹ − B⁻¹ U (C⁻¹ + V B⁻¹ U)⁻¹ V B⁻¹`
//! with `B = ε0⁻¹ I`, `U = Jᵀ`, `C = D`, `V = J` gives
//!
//! ```text
//! P = ε0 I − ε0 Jᵀ (D⁻¹ + ε0 J Jᵀ)⁻¹ J ε0,
//! P h = ε0 h − ε0² Jᵀ A⁻¹ J h,    A = D⁻¹ + ε0 G,   G = J Jᵀ (n × n).
//! ```
//!
//! With every `a_i = a`, `D⁻¹ = I/(1 − γ⁻²)`: the issue's
//! `ε0 h − ε0² Jᵀ (I/(1−γ⁻²) + ε0 J Jᵀ)⁻¹ J h`. (Check with n = 1:
//! Sherman–Morrison on `ε0⁻¹ I + a h_1 h_1ᵀ` gives
//! `ε0 I − ε0² a h_1 h_1ᵀ / (1 + a ε0 |h_1|²)`
//! `= ε0 I − ε0² h_1 h_1ᵀ / (1/a + ε0 |h_1|²)`, the same.)
//!
//! `G` is positive semi-definite and `D⁻¹ ⪰ I` (0 < a_i < 1), so `A ⪰ I`
//! is symmetric positive definite and has a Cholesky factor `A = L Lᵀ`;
//! and then `P`, the inverse of `ε0⁻¹ I + Jᵀ D J ≻ 0`, is positive
//! definite too. In floating point the window checks the matrix it
//! factors: a successful Cholesky of `A` is its test of `P`
//! ([`Covariance::is_positive_definite`]). The window keeps `G`
//! (updated by n + m dot products per sample) and `L` (refactored, n³/6,
//! per sample), and computes `P h` as `t = J h`, `L Lᵀ z = t`,
//! `P h = ε0 h − ε0² Jᵀ z`: 2 n N + n² operations, against N²/2 for a
//! packed `P`. If the factorisation of the next `A` meets a non-positive
//! (or non-finite) pivot — rounding has made the computed `G` indefinite
//! beyond `D⁻¹` — [`Covariance::prepare_record`] refuses the step with
//! [`Error::Diverged`] and nothing changes.
//!
//! `L` is kept for the rows in the order newest first, so that the `A` of
//! the window without its oldest row (the last one) is factored by the
//! leading block of `L`: that is the `P̃` of
//! [`Covariance::mul_vec_pending`].
//!
//! # Every sample: the exact form
//!
//! [`WindowShape::exact`] keeps every sample up to a capacity, and no row
//! ever leaves. Its `L` is kept oldest row first, so a new sample's rows
//! are new last rows of `L` (forward substitution against the rows
//! already there, n² operations, instead of n³/6 for a fresh factor) and
//! the rows before them do not change: row i of a Cholesky factor depends
//! only on rows ≤ i, so extending `L` gives the bits of factoring it
//! whole. A sample past the capacity is refused with
//! [`Error::CapacityExceeded`].
//!
//! # Both gain orders
//!
//! * [`crate::GainOrder::Paper`]: the gain of sample k + 1 uses the `P`
//!   of the window as it stands (the last r samples up to k, the window's
//!   `P_{k+1|k}`); then the record takes `h_{k+1}` in and, when full,
//!   drops the oldest sample.
//! * [`crate::GainOrder::CovarianceFirst`]: the gain is to use the `P'`
//!   that already holds `h_{k+1}`: `P'⁻¹ = P̃⁻¹ + a h hᵀ`, `P̃` the window
//!   without the sample the record will drop. With `ũ = P̃ h` and
//!   `s̃ = hᵀ ũ`, Sherman–Morrison gives `P' h = ũ / (1 + a s̃)` and
//!   `K = P' h / (1 + hᵀ P' h) = ũ / (1 + (1 + a) s̃)`: the filter's closed
//!   form, exact here because the filter computes `ũ` by
//!   [`Covariance::mul_vec_pending`] (for a window not yet full `P̃ = P`).
//!
//! # Several outputs
//!
//! A sample of N_L outputs records its N_L rows at once
//! (`P'⁻¹ = P⁻¹ + a Σ_o h_oᵀ h_o`, eq. 7 with the rank-N_L term of
//! `gehf/multi.rs`) and, when full, the oldest sample's N_L rows leave:
//! the window holds r·N_L rows, with N_L spare slots for the sample being
//! recorded. The multi-output filter's gain uses `P` as it stands (the
//! paper's order); its `c_i`, `v_i` are not needed.
//!
//! # Storage
//!
//! All the caller's, in one slice of [`WindowShape::storage_len`]
//! elements: the rows ((r + 1)·N_L slots of N), the Gram matrix by slot,
//! the weights `a_i`, and two packed factors (the current one and the one
//! being prepared). The product needs n numbers of work space: on the
//! stack for a window (n ≤ [`MAX_WINDOW_ROWS`]), at the end of the storage
//! for the exact form (C more elements), whose `&self` products
//! ([`Covariance::mul_vec`], [`Covariance::get`]) still work on the stack
//! and give NaN past [`MAX_WINDOW_ROWS`] rows.
//!
//! A model file stores the window by its rows and weights
//! ([`Covariance::window_row`]; `crate::model`, section bit 2), and
//! [`Covariance::load_window`] rebuilds `G` and `L` from them with the
//! same arithmetic: the loaded window computes what the saved one did,
//! bit for bit.
//!
//! # Row storage
//!
//! [`InfoWindow::new`] stores each row densely, N numbers.
//! [`InfoWindow::factored`] ([`FactoredShape`]) stores a network's
//! Jacobian row by its per-neuron factors: a neuron's block is
//! `δ_j [β, z of the layer below]` (eqs. 21–23), so each weight matrix
//! keeps z and δ, Σ_t (N_t + N_{t+1}) numbers per row — 0.43 N_w at
//! L = 5, 0.37 N_w at L = 21, 0.366 N_w at L = 101. Rows are factored on
//! the way in and refused if they are not rank one per block; `G`, `J v`
//! and `Jᵀ z` are computed from the factors (`covariance/factors.rs`). The
//! algebra above is the same.

use super::factors::{Rows, factor_len};
use super::{Covariance, Regularizable, check_alpha, cholesky_packed, cholesky_rows};
use crate::error::{Error, Param, Result, check_finite, check_len};
use crate::network::JacobianFactors;
use crate::real::{Real, dot};
use crate::spec::{ResNetSpec, packed_len};

/// The most rows (Jacobian rows, N_L per sample) an [`InfoWindow`] holds,
/// with its spare slots: (r + 1)·N_L ≤ 256. Its products keep n numbers on
/// the stack (1 KiB in `f32`, 2 KiB in `f64`, twice that for
/// [`Covariance::get`]).
pub const MAX_WINDOW_ROWS: usize = 256;

/// How an [`InfoWindow`] keeps each of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RowStorage {
    /// The row itself, N values.
    Dense,
    /// Per weight matrix `Wᵗ`, z (N_t values) then δ (N_{t+1}):
    /// [`FactoredShape::row_len`] values ([`InfoWindow::factored`]).
    Factored,
}

/// What a model file records of an information window besides its rows
/// and their weights: [`Covariance::window_state`],
/// [`Covariance::load_window`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WindowState<T> {
    /// r, the samples kept.
    pub memory: usize,
    /// N_L, the rows per sample.
    pub outputs: usize,
    /// n ≤ r·N_L, the rows kept.
    pub rows: usize,
    /// How each row is stored.
    pub storage: RowStorage,
    /// Values stored per row (N for [`RowStorage::Dense`],
    /// [`FactoredShape::row_len`] for [`RowStorage::Factored`]).
    pub row_len: usize,
    /// ε0 of `P⁻¹ = ε0⁻¹ I + Jᵀ D J` (eq. 7).
    pub eps0: T,
}

/// The size of an [`InfoWindow`]: dimension N, memory r (samples) and
/// outputs N_L (rows per sample).
///
/// ```
/// use hinf::{InfoWindow, WindowShape};
/// const SHAPE: WindowShape = WindowShape::new(76, 16, 1); // L = 5, r = 16
/// assert_eq!(SHAPE.storage_len(), 17 * 76 + 17 * 17 + 17 + 2 * 136);
/// let p = InfoWindow::new(SHAPE, 10.0f32, [0.0f32; SHAPE.storage_len()])?;
/// assert_eq!(p.len(), 0); // P = ε0 I
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WindowShape {
    /// N, the dimension (N_w).
    pub dim: usize,
    /// r ≥ 1, the samples kept.
    pub memory: usize,
    /// N_L ≥ 1, the Jacobian rows per sample.
    pub outputs: usize,
    /// Keeps every sample ([`WindowShape::exact`]): `memory` is then a
    /// capacity, not a window.
    pub exact: bool,
}

impl WindowShape {
    /// A window of `memory` samples of `outputs` rows of dimension `dim`.
    pub const fn new(dim: usize, memory: usize, outputs: usize) -> Self {
        Self {
            dim,
            memory,
            outputs,
            exact: false,
        }
    }

    /// The exact g-EHF's `P` (eq. 7 over every sample) for up to
    /// `capacity` samples: no row ever leaves, so `L` is kept oldest row
    /// first and extended by its new rows (O(n²) a sample, the bits of
    /// factoring it whole) instead of refactored; a sample beyond the
    /// capacity is refused ([`Error::CapacityExceeded`], nothing changes).
    /// Its rows are not bounded by [`MAX_WINDOW_ROWS`]: the filter's
    /// product works in a region of the storage (C more elements), and
    /// only [`Covariance::mul_vec`] and [`Covariance::get`], which work on
    /// the stack, need n ≤ [`MAX_WINDOW_ROWS`] (beyond it they give NaN).
    ///
    /// ```
    /// use hinf::WindowShape;
    /// const SHAPE: WindowShape = WindowShape::exact(76, 300, 1);
    /// assert!(SHAPE.validate().is_ok()); // 301 slots: more than a window
    /// assert_eq!(SHAPE.storage_len(), WindowShape::new(76, 300, 1).storage_len() + 301);
    /// ```
    pub const fn exact(dim: usize, capacity: usize, outputs: usize) -> Self {
        Self {
            dim,
            memory: capacity,
            outputs,
            exact: true,
        }
    }

    /// R = r·N_L, the rows kept.
    pub const fn rows(&self) -> usize {
        self.memory.saturating_mul(self.outputs)
    }

    /// C = (r + 1)·N_L, the row slots (the kept rows and one sample's
    /// spare).
    pub const fn slots(&self) -> usize {
        self.memory.saturating_add(1).saturating_mul(self.outputs)
    }

    /// The elements of `T` the window needs: C·N (rows) + C² (Gram) + C
    /// (weights) + 2·R(R + 1)/2 (factors), and C (work space) if
    /// [`WindowShape::exact`].
    pub const fn storage_len(&self) -> usize {
        self.storage_len_for(self.dim)
    }

    /// [`WindowShape::storage_len`] for rows of `row_len` values.
    const fn storage_len_for(&self, row_len: usize) -> usize {
        let c = self.slots();
        let r = self.rows();
        let work = if self.exact { c } else { 0 };
        c.saturating_mul(row_len)
            .saturating_add(c.saturating_mul(c))
            .saturating_add(c)
            .saturating_add(r.saturating_mul(r.saturating_add(1)))
            .saturating_add(work)
    }

    /// r ≥ 1 ([`Param::Memory`]), N_L ≥ 1 ([`Error::ZeroWidth`]) and,
    /// unless exact, C ≤ [`MAX_WINDOW_ROWS`] ([`Error::CapacityExceeded`]).
    pub fn validate(&self) -> Result<()> {
        if self.memory == 0 {
            return Err(Error::InvalidParameter {
                name: Param::Memory,
            });
        }
        if self.outputs == 0 {
            return Err(Error::ZeroWidth);
        }
        if !self.exact && self.slots() > MAX_WINDOW_ROWS {
            return Err(Error::CapacityExceeded {
                what: "information window rows",
                needed: self.slots(),
                capacity: MAX_WINDOW_ROWS,
            });
        }
        Ok(())
    }

    /// Offsets of the parts of the storage for rows of `row_len` values:
    /// (Gram, weights, factor 0, factor 1).
    const fn parts_for(&self, row_len: usize) -> (usize, usize, usize, usize) {
        let c = self.slots();
        let gram = c * row_len;
        let weights = gram + c * c;
        let f0 = weights + c;
        (gram, weights, f0, f0 + packed_len(self.rows()))
    }

    /// Where the work space of an exact window starts.
    const fn work_for(&self, row_len: usize) -> usize {
        self.parts_for(row_len).3 + packed_len(self.rows())
    }

    /// Storage slot of row p of `L` for n rows from `head`: oldest first
    /// if exact, else newest first.
    const fn factor_slot(&self, head: usize, n: usize, p: usize) -> usize {
        let c = self.slots();
        match self.exact {
            true => (head + p) % c,
            false => slot(c, head, n, p),
        }
    }
}

/// The size of an [`InfoWindow`] that keeps each Jacobian row of a
/// network of shape `spec` by its per-neuron factors (eqs. 21–23, module
/// docs): memory r, N = N_w, N_L rows per sample.
///
/// ```
/// use hinf::{FactoredShape, InfoWindow, ResNetSpec};
/// const SPEC: ResNetSpec = ResNetSpec::xor_const(1); // L = 5, N_w = 76
/// const SHAPE: FactoredShape = FactoredShape::new(&SPEC, 8);
/// assert_eq!(SHAPE.row_len(), 33); // (2 + 5) + (5 + 5) + (5 + 5) + (5 + 1)
/// assert_eq!(SHAPE.storage_len(), 9 * 33 + 9 * 9 + 9 + 2 * 36);
/// let p = InfoWindow::factored(SHAPE, 1.0f32, [0.0f32; SHAPE.storage_len()])?;
/// assert!(p.is_empty());
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FactoredShape {
    spec: ResNetSpec,
    memory: usize,
    exact: bool,
}

impl FactoredShape {
    /// A window of `memory` samples of the Jacobian of a network of
    /// shape `spec`.
    pub const fn new(spec: &ResNetSpec, memory: usize) -> Self {
        Self {
            spec: *spec,
            memory,
            exact: false,
        }
    }

    /// Every sample kept, up to `capacity` ([`WindowShape::exact`]).
    pub const fn exact(spec: &ResNetSpec, capacity: usize) -> Self {
        Self {
            spec: *spec,
            memory: capacity,
            exact: true,
        }
    }

    /// The network's shape.
    pub const fn spec(&self) -> ResNetSpec {
        self.spec
    }

    /// The window's shape: N = N_w, r, N_L of the spec.
    pub const fn window(&self) -> WindowShape {
        let (n, outputs) = (self.spec.n_weights(), self.spec.outputs());
        match self.exact {
            true => WindowShape::exact(n, self.memory, outputs),
            false => WindowShape::new(n, self.memory, outputs),
        }
    }

    /// Values per row: Σ_t (N_t + N_{t+1}) over the weight matrices `Wᵗ`.
    pub const fn row_len(&self) -> usize {
        factor_len(&self.spec)
    }

    /// The elements of `T` the window needs: [`WindowShape::storage_len`]
    /// with rows of [`FactoredShape::row_len`] values.
    pub const fn storage_len(&self) -> usize {
        self.window().storage_len_for(self.row_len())
    }

    /// [`WindowShape::validate`] of [`FactoredShape::window`].
    pub fn validate(&self) -> Result<()> {
        self.window().validate()
    }
}

/// `P⁻¹ = ε0⁻¹ I + Jᵀ D J` over the Jacobian rows of the last r samples,
/// applied through the Cholesky factor of the n × n Gram system (see the
/// module docs of `covariance/window.rs`). With r ≥ the number of samples
/// seen it is the g-EHF's exact `P`.
///
/// It needs the Jacobian, which the filter hands over through
/// [`Covariance::prepare_record`] and [`Covariance::record`];
/// [`Covariance::downdate`] alone (`u` without `h`) cannot update it and
/// does nothing. Of [`crate::Regularization`] it takes forgetting
/// ([`Covariance::scale`]); `P + qI` and a floor have no information form
/// of this shape, and [`crate::GEhf`] refuses them with it.
#[derive(Debug, Clone)]
pub struct InfoWindow<T, S> {
    shape: WindowShape,
    rows: Rows,
    eps0: T,
    /// Slot of the oldest kept row.
    head: usize,
    /// Rows kept, n ≤ R.
    len: usize,
    /// Which factor is current (0 or 1).
    cur: usize,
    /// Rows staged by `prepare_record` (0: none).
    staged: usize,
    /// The address of the rows `prepare_record` staged (its caller
    /// passes the same slice to `record`: then they are not compared).
    staged_from: usize,
    /// Whether the slot after the newest kept row holds a row's factors
    /// and its Gram entries with the kept rows, from `mul_jacobian`.
    premade: bool,
    data: S,
}

impl<T, S> InfoWindow<T, S> {
    /// Forgetting keeps the information form ([`Covariance::scale`]);
    /// `P + qI` and a diagonal floor have none of this shape.
    pub const REGULARIZABLE: Regularizable = Regularizable {
        forgetting: true,
        ..Regularizable::NONE
    };
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> InfoWindow<T, S> {
    /// `P = ε0 I` (an empty window) of `shape` in `storage` (at least
    /// [`WindowShape::storage_len`] elements). Fails on an invalid shape
    /// ([`WindowShape::validate`]), ε0 not finite and > 0, or a short
    /// storage.
    pub fn new(shape: WindowShape, eps0: T, storage: S) -> Result<Self> {
        Self::with_rows(shape, Rows::Dense(shape.dim), eps0, storage)
    }

    /// `P = ε0 I` of `shape`, keeping each row by its per-neuron factors
    /// (module docs), in `storage` (at least [`FactoredShape::storage_len`]
    /// elements). Fails as [`InfoWindow::new`]. Its rows must be Jacobians
    /// of a network of `shape`'s spec: [`Covariance::prepare_record`]
    /// refuses others with [`Error::Unsupported`].
    pub fn factored(shape: FactoredShape, eps0: T, storage: S) -> Result<Self> {
        Self::with_rows(shape.window(), Rows::Factored(shape.spec), eps0, storage)
    }

    /// The checks and state of [`InfoWindow::new`] for `rows`.
    fn with_rows(shape: WindowShape, rows: Rows, eps0: T, storage: S) -> Result<Self> {
        shape.validate()?;
        if !(eps0.is_finite() && eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        let needed = shape.storage_len_for(rows.len());
        let capacity = storage.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "information window",
                needed,
                capacity,
            });
        }
        Ok(Self {
            shape,
            rows,
            eps0,
            head: 0,
            len: 0,
            cur: 0,
            staged: 0,
            staged_from: 0,
            premade: false,
            data: storage,
        })
    }

    /// The shape.
    pub fn shape(&self) -> WindowShape {
        self.shape
    }

    /// ε0.
    pub fn eps0(&self) -> T {
        self.eps0
    }

    /// n, the Jacobian rows kept (≤ r·N_L).
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` if no row is kept (`P = ε0 I`).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Kept row q, newest first (q = 0 the newest; `None` for q ≥ n), of
    /// a dense window; `None` for a factored one (see
    /// [`InfoWindow::row_into`]).
    pub fn row(&self, q: usize) -> Option<&[T]> {
        match self.rows {
            Rows::Dense(_) => self.stored(q),
            Rows::Factored(_) => None,
        }
    }

    /// Writes kept row q (newest first) into `out`, rebuilt from its
    /// factors for a factored window: `false`, writing nothing, for
    /// q ≥ n or `out` not of length N.
    pub fn row_into(&self, q: usize, out: &mut [T]) -> bool {
        match self.stored(q) {
            Some(f) if out.len() == self.shape.dim => {
                self.rows.expand(f, out);
                true
            }
            _ => false,
        }
    }

    /// The stored values of kept row q (newest first).
    fn stored(&self, q: usize) -> Option<&[T]> {
        if q >= self.len {
            return None;
        }
        let s = self.slot(self.head, self.len, q);
        let rl = self.rows.len();
        self.data.as_ref().get(s * rl..(s + 1) * rl)
    }

    /// Offsets of the parts of the storage: (Gram, weights, factor 0,
    /// factor 1).
    fn parts(&self) -> (usize, usize, usize, usize) {
        self.shape.parts_for(self.rows.len())
    }

    /// Checks the Gram system `A = D⁻¹ + ε0 J Jᵀ` of the kept rows by a
    /// fresh Cholesky factorisation in `scratch` (at least n(n + 1)/2
    /// elements): `Ok(true)` if it, and so `P`, is numerically positive
    /// definite. The same as [`Covariance::is_positive_definite`].
    pub fn gram_is_positive_definite(&self, scratch: &mut [T]) -> Result<bool> {
        let n = self.len;
        let needed = packed_len(n);
        let Some(l) = scratch.get_mut(..needed) else {
            return Err(Error::CapacityExceeded {
                what: "cholesky scratch",
                needed,
                capacity: scratch.len(),
            });
        };
        self.fill_gram_system(self.head, n, l);
        Ok(cholesky_packed(l, n))
    }

    /// The same exact form ([`WindowShape::exact`]) with room for
    /// `capacity` samples, in `storage` (at least the new shape's storage
    /// length): its rows, weights, Gram entries and `L` copied over, so it
    /// computes what this one does, bit for bit, in O(n·row + n²) instead
    /// of a reload's O(n²·row). Fails with [`Error::Unsupported`] for a
    /// window (it forgets: grow it by loading), [`Error::CapacityExceeded`]
    /// for a capacity below the rows kept or a short storage. Anything
    /// staged must be staged again.
    pub fn with_capacity<S2: AsRef<[T]> + AsMut<[T]>>(
        &self,
        capacity: usize,
        storage: S2,
    ) -> Result<InfoWindow<T, S2>> {
        if !self.shape.exact {
            return Err(Error::Unsupported {
                what: "a window growing (it forgets; load its rows instead)",
            });
        }
        let shape = WindowShape::exact(self.shape.dim, capacity, self.shape.outputs);
        if shape.rows() < self.len {
            return Err(Error::CapacityExceeded {
                what: "information form rows (every sample kept)",
                needed: self.len,
                capacity: shape.rows(),
            });
        }
        let mut grown = InfoWindow::with_rows(shape, self.rows, self.eps0, storage)?;
        let (n, rl) = (self.len, self.rows.len());
        let (c0, c1) = (self.shape.slots(), shape.slots());
        let (g0, w0, ..) = self.parts();
        let (g1, w1, f1, _) = grown.parts();
        let (from, to) = (self.data.as_ref(), grown.data.as_mut());
        // No row ever left: rows 0..n are in slots 0..n, oldest first.
        to[..n * rl].copy_from_slice(&from[..n * rl]);
        to[w1..w1 + n].copy_from_slice(&from[w0..w0 + n]);
        for p in 0..n {
            to[g1 + p * c1..g1 + p * c1 + n].copy_from_slice(&from[g0 + p * c0..g0 + p * c0 + n]);
        }
        to[f1..f1 + packed_len(n)].copy_from_slice(&self.factor()[..packed_len(n)]);
        grown.len = n;
        Ok(grown)
    }

    /// Writes `P = ε0 I − ε0² Wᵀ W`, `W = L⁻¹ J` (n × N, in `scratch`),
    /// as a packed lower triangle into `out` (N(N + 1)/2): n²N/2 + nN²/2
    /// operations, to hand the form over to packed storage. Fails, writing
    /// nothing into `out`, on a short `scratch` or a wrong-sized `out`.
    pub fn write_packed(&self, scratch: &mut [T], out: &mut [T]) -> Result<()> {
        let (n, nd) = (self.len, self.shape.dim);
        check_len("packed covariance", packed_len(nd), out.len())?;
        let Some(w) = scratch.get_mut(..n * nd) else {
            return Err(Error::CapacityExceeded {
                what: "scratch for the packed covariance",
                needed: n * nd,
                capacity: scratch.len(),
            });
        };
        let (data, rl, l) = (self.data.as_ref(), self.rows.len(), self.factor());
        // W = L⁻¹ J, row p of W from row p of J and the rows above it.
        for p in 0..n {
            let s = self.shape.factor_slot(self.head, n, p);
            let (done, wp) = w.split_at_mut(p * nd);
            let wp = &mut wp[..nd];
            self.rows.expand(&data[s * rl..(s + 1) * rl], wp);
            let lp = &l[packed_len(p)..packed_len(p) + p + 1];
            for (lpm, wm) in lp[..p].iter().zip(done.chunks_exact(nd)) {
                wp.iter_mut().zip(wm).for_each(|(x, y)| *x -= *lpm * *y);
            }
            wp.iter_mut().for_each(|x| *x /= lp[p]);
        }
        let e2 = self.eps0 * self.eps0;
        let mut k = 0;
        for i in 0..nd {
            for j in 0..=i {
                let s = w.chunks_exact(nd).fold(T::ZERO, |a, r| a + r[i] * r[j]);
                out[k] = if i == j { self.eps0 } else { T::ZERO } - e2 * s;
                k += 1;
            }
        }
        Ok(())
    }

    /// How the rows are stored.
    pub fn storage(&self) -> RowStorage {
        match self.rows {
            Rows::Dense(_) => RowStorage::Dense,
            Rows::Factored(_) => RowStorage::Factored,
        }
    }

    /// Values stored per row.
    fn row_len(&self) -> usize {
        self.rows.len()
    }

    /// [`Covariance::window_state`].
    fn state(&self) -> WindowState<T> {
        WindowState {
            memory: self.shape.memory,
            outputs: self.shape.outputs,
            rows: self.len,
            storage: self.storage(),
            row_len: self.row_len(),
            eps0: self.eps0,
        }
    }

    /// The checks of [`Covariance::load_window`], in its order.
    fn check_load(&self, state: &WindowState<T>, weights: &[T], rows: &[T]) -> Result<()> {
        if state.memory == 0 {
            return Err(Error::InvalidParameter {
                name: Param::Memory,
            });
        }
        if state.storage != self.storage() {
            return Err(Error::Unsupported {
                what: "an information window of another row storage",
            });
        }
        check_len(
            "information window rows per sample",
            self.shape.outputs,
            state.outputs,
        )?;
        check_len("information window row", self.row_len(), state.row_len)?;
        let n = state.rows;
        let capacity = self
            .shape
            .rows()
            .min(state.memory.saturating_mul(state.outputs));
        if n > capacity {
            return Err(Error::CapacityExceeded {
                what: "information window rows",
                needed: n,
                capacity,
            });
        }
        if !(state.eps0.is_finite() && state.eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        check_len("information window weights", n, weights.len())?;
        check_len("information window rows", n * state.row_len, rows.len())?;
        if !weights
            .iter()
            .all(|a| a.is_finite() && *a > T::ZERO && *a <= T::ONE)
        {
            return Err(Error::InvalidGamma);
        }
        check_finite("information window rows", rows)
    }

    /// [`Covariance::load_window`]: the checks, then `A` of the loaded rows
    /// factored into the spare factor (nothing `mul_vec` reads changes),
    /// then the rows, weights and Gram matrix copied in (head at slot 0).
    fn load(&mut self, state: &WindowState<T>, weights: &[T], rows: &[T]) -> Result<()> {
        self.check_load(state, weights, rows)?;
        let (n, nd, c) = (state.rows, self.row_len(), self.shape.slots());
        let (gram, wt, f0, f1) = self.parts();
        let spare = if self.cur == 0 { f1 } else { f0 };
        self.staged = 0;
        self.premade = false;
        let kind = self.rows;
        let row = |q: usize| &rows[q * nd..(q + 1) * nd];
        // Logical row q is newest first; `L` is oldest first if exact.
        let exact = self.shape.exact;
        let ord = move |p: usize| if exact { n - 1 - p } else { p };
        let data = self.data.as_mut();
        let l = &mut data[spare..spare + packed_len(n)];
        let g = |p, q| kind.dot(row(ord(p)), row(ord(q)));
        fill_packed((0, n), state.eps0, g, |p| weights[ord(p)], l);
        if !(cholesky_packed(l, n) && l.iter().all(|x| x.is_finite())) {
            return Err(Error::Diverged { what: "covariance" });
        }
        // Logical row q (newest first) goes to slot n − 1 − q.
        for (q, a) in weights.iter().enumerate() {
            let s = n - 1 - q;
            data[s * nd..(s + 1) * nd].copy_from_slice(row(q));
            data[wt + s] = *a;
            for p in q..n {
                let g = kind.dot(row(p), row(q));
                data[gram + (n - 1 - p) * c + s] = g;
                data[gram + s * c + (n - 1 - p)] = g;
            }
        }
        self.head = 0;
        self.len = n;
        self.cur = 1 - self.cur;
        self.eps0 = state.eps0;
        Ok(())
    }

    /// Ring slot of logical row q (0 = newest) for n rows from `head`.
    fn slot(&self, head: usize, n: usize, q: usize) -> usize {
        slot(self.shape.slots(), head, n, q)
    }

    /// The packed lower triangle of `A` for the n rows from `head` into `l`.
    fn fill_gram_system(&self, head: usize, n: usize, l: &mut [T]) {
        let parts = self.parts();
        let front = &self.data.as_ref()[..parts.2];
        fill_system(front, self.shape, parts, self.eps0, (head, 0, n), l);
    }

    /// The current factor L (packed, newest first).
    fn factor(&self) -> &[T] {
        let (_, _, f0, f1) = self.parts();
        let start = if self.cur == 0 { f0 } else { f1 };
        &self.data.as_ref()[start..start + packed_len(self.shape.rows())]
    }

    /// What the products read besides the storage.
    fn ring(&self) -> Ring<T> {
        let (_, _, f0, f1) = self.parts();
        Ring {
            shape: self.shape,
            rows: self.rows,
            eps0: self.eps0,
            head: self.head,
            len: self.len,
            factor: if self.cur == 0 { f0 } else { f1 },
        }
    }

    /// Runs `f` on the storage (without the work space) and k numbers of
    /// work space: the storage's own if exact, else the stack's (k ≤ C ≤
    /// [`MAX_WINDOW_ROWS`]).
    fn with_work<R>(&mut self, k: usize, f: impl FnOnce(&mut [T], &mut [T]) -> R) -> R {
        if self.shape.exact {
            let w = self.shape.work_for(self.rows.len());
            let (front, work) = self.data.as_mut().split_at_mut(w);
            f(front, &mut work[..k])
        } else {
            let mut z = [T::ZERO; MAX_WINDOW_ROWS];
            f(self.data.as_mut(), &mut z[..k.min(MAX_WINDOW_ROWS)])
        }
    }

    /// `out ← ε0 v − ε0² J_kᵀ A_k⁻¹ J_k v` over the first k rows of `L`
    /// (its leading k × k block factors their `A_k`), with the stack's
    /// work space: NaN for k > [`MAX_WINDOW_ROWS`] (only an exact window
    /// holds more; the filter's products use [`InfoWindow::product_mut`]).
    fn product(&self, k: usize, v: &[T], out: &mut [T]) {
        if k > MAX_WINDOW_ROWS {
            return out.iter_mut().for_each(|o| *o = T::from_f64(f64::NAN));
        }
        let mut z = [T::ZERO; MAX_WINDOW_ROWS];
        self.ring().product(self.data.as_ref(), &mut z[..k], v, out);
    }

    /// [`InfoWindow::product`] in the window's own work space.
    fn product_mut(&mut self, k: usize, v: &[T], out: &mut [T]) {
        let ring = self.ring();
        self.with_work(k, |data, z| ring.product(data, z, v, out));
    }

    /// [`InfoWindow::product`] of the premade row `h` (`None`: `out`
    /// holds `ε0 h`): `t = J h` is its column of the Gram matrix, already
    /// computed from the factors.
    fn premade_product(&mut self, k: usize, h: Option<&[T]>, out: &mut [T]) {
        let ring = self.ring();
        self.with_work(k, |data, z| {
            ring.premade_column(data, z);
            ring.apply(data, z, h, out);
        });
    }

    /// Writes output 0's row of `jf` by its factors into the slot after
    /// the newest kept row, with its Gram entries (eq. 7's `h · hᵢ`) with
    /// every kept row and itself; `false` if the rows are dense or the
    /// shapes differ. Changes nothing `mul_vec` or `get` read.
    fn premake(&mut self, h: &[T], jf: &JacobianFactors<'_, T>) -> bool {
        self.premade = false;
        self.staged = 0;
        if !h.is_empty() && h.len() != self.shape.dim {
            return false;
        }
        let c = self.shape.slots();
        let (gram, ..) = self.parts();
        let (kind, rl, head, n) = (self.rows, self.rows.len(), self.head, self.len);
        let new = (head + n) % c;
        let data = self.data.as_mut();
        if !kind.gather(jf, 0, &mut data[new * rl..(new + 1) * rl]) {
            return false;
        }
        // The arithmetic of `stage`: the same entries, bit for bit.
        self.with_work(n + 1, |data, g| {
            gram_entries(kind, data, (head, g), c, gram, new);
        });
        self.premade = true;
        true
    }

    /// Stores `rows` (m·N) with weight `a` into the slots after the newest
    /// kept row (free, since n ≤ R and m ≤ N_L = C − R), and their Gram
    /// entries with every kept and new row. A factored window refuses a
    /// row that is not rank one per block.
    fn store_rows(&mut self, rows: &[T], a: T) -> Result<()> {
        let (c, nd) = (self.shape.slots(), self.shape.dim);
        let (gram, weights, _, _) = self.parts();
        let (kind, rl, head, n) = (self.rows, self.rows.len(), self.head, self.len);
        let m = rows.len().checked_div(nd).unwrap_or(0);
        let data = self.data.as_mut();
        for (i, row) in rows.chunks_exact(nd.max(1)).enumerate() {
            let s = (head + n + i) % c;
            if !kind.store(row, &mut data[s * rl..(s + 1) * rl]) {
                return Err(Error::Unsupported {
                    what: "a row that is not a network Jacobian (not rank one per neuron)",
                });
            }
            data[weights + s] = a;
        }
        for i in 0..m {
            self.with_work(n + i + 1, |data, g| {
                gram_entries(kind, data, (head, g), c, gram, (head + n + i) % c);
            });
        }
        Ok(())
    }

    /// Rows of `P̃` (mul_vec_pending): all kept but the oldest when full.
    fn pending_len(&self) -> usize {
        if self.len == self.shape.rows() {
            self.len.saturating_sub(1)
        } else {
            self.len
        }
    }

    /// The state after `m` more rows: (head, n).
    fn after(&self, m: usize) -> (usize, usize) {
        let total = self.len + m;
        let n = total.min(self.shape.rows());
        ((self.head + (total - n)) % self.shape.slots(), n)
    }

    /// Stages `rows` (m·N) with weight `a`: copies them into the spare
    /// slots, extends the Gram matrix and factors the next `A` into the
    /// spare factor. Changes nothing `mul_vec` or `get` read. With
    /// `given` the caller vouches that one row is the row `mul_jacobian`
    /// premade ([`Covariance::prepare_jacobian`]); otherwise a premade
    /// row is reused only if it is `rows`, entry for entry.
    fn stage(&mut self, rows: &[T], a: T, given: bool) -> Result<()> {
        self.staged = 0;
        let nd = self.shape.dim;
        // The premade row vouched for: `rows` may be empty (a network
        // kept by its factors).
        let vouched = given && self.premade;
        let m = if vouched {
            1
        } else {
            rows.len().checked_div(nd).unwrap_or(0)
        };
        if !vouched && (m == 0 || m * nd != rows.len()) {
            return Err(Error::LengthMismatch {
                what: "information window rows",
                expected: self.shape.outputs * nd,
                found: rows.len(),
            });
        }
        if m > self.shape.outputs {
            return Err(Error::CapacityExceeded {
                what: "information window rows per sample",
                needed: m,
                capacity: self.shape.outputs,
            });
        }
        if !(a.is_finite() && a > T::ZERO) {
            return Err(Error::InvalidGamma);
        }
        if self.shape.exact && self.len + m > self.shape.rows() {
            return Err(Error::CapacityExceeded {
                what: "information form rows (every sample kept)",
                needed: self.len + m,
                capacity: self.shape.rows(),
            });
        }
        let premade = core::mem::replace(&mut self.premade, false);
        let c = self.shape.slots();
        let parts = self.parts();
        let (_, weights, f0, f1) = parts;
        let (head2, n2) = self.after(m);
        let spare = if self.cur == 0 { f1 } else { f0 };
        let (kind, rl, eps0) = (self.rows, self.rows.len(), self.eps0);
        let new = (self.head + self.len) % c;
        let data = self.data.as_mut();
        if premade && m == 1 && (given || kind.is_row(&data[new * rl..(new + 1) * rl], rows)) {
            // `mul_jacobian` stored this row and its Gram entries (finite:
            // `is_row` checked it, or a non-finite factor leaves a
            // non-finite Gram entry, which the factorization refuses).
            data[weights + new] = a;
        } else {
            check_finite("jacobian", rows)?;
            self.store_rows(rows, a)?;
        }
        let (shape, n) = (self.shape, self.len);
        let current = if self.cur == 0 { f0 } else { f1 };
        let data = self.data.as_mut();
        // Factor A' = D⁻¹ + ε0 G' of the rows kept after the record: if
        // exact, the current L extended by the new rows (rows past n,
        // which no product reads), else afresh into the spare factor.
        let (front, factors) = data.split_at_mut(f0);
        let (at, from) = if shape.exact {
            (current, n)
        } else {
            (spare, 0)
        };
        let l = &mut factors[at - f0..at - f0 + packed_len(n2)];
        fill_system(front, shape, parts, eps0, (head2, from, n2), l);
        let factored = cholesky_rows(l, from, n2);
        if !(factored && l[packed_len(from)..].iter().all(|x| x.is_finite())) {
            return Err(Error::Diverged { what: "covariance" });
        }
        self.staged = m;
        self.staged_from = rows.as_ptr() as usize;
        Ok(())
    }

    /// `true` if `rows` and `a` are what `stage` last staged (the slice
    /// `prepare_record` was given is taken to hold the same rows, as
    /// [`Covariance::record`] requires).
    fn is_staged(&self, rows: &[T], a: T) -> bool {
        let nd = self.shape.dim;
        let m = self.staged;
        if m == 0 || rows.len() != m * nd {
            return false;
        }
        let c = self.shape.slots();
        let (_, weights, _, _) = self.parts();
        let (kind, rl) = (self.rows, self.rows.len());
        let data = self.data.as_ref();
        let same_slice = rows.as_ptr() as usize == self.staged_from;
        rows.chunks_exact(nd.max(1)).enumerate().all(|(i, row)| {
            let s = (self.head + self.len + i) % c;
            let stored = &data[s * rl..(s + 1) * rl];
            let held = same_slice || kind.is_row(stored, row) || kind.holds(row, stored);
            data[weights + s] == a && held
        })
    }

    /// Makes the staged rows part of the window (the oldest leave).
    fn commit(&mut self) {
        let (head, n) = self.after(self.staged);
        self.head = head;
        self.len = n;
        if !self.shape.exact {
            self.cur = 1 - self.cur;
        }
        self.staged = 0;
        self.premade = false;
    }
}

/// What the products of an [`InfoWindow`] read besides its storage: the
/// shape and rows, ε0, the kept rows (n from `head`) and where the
/// current factor `L` starts.
#[derive(Clone, Copy)]
struct Ring<T> {
    shape: WindowShape,
    rows: Rows,
    eps0: T,
    head: usize,
    len: usize,
    factor: usize,
}

impl<T: Real> Ring<T> {
    /// Storage slot of row p of `L`.
    fn slot(&self, p: usize) -> usize {
        self.shape.factor_slot(self.head, self.len, p)
    }

    /// `out ← ε0 v − ε0² J_kᵀ A_k⁻¹ J_k v`, k = `z.len()` (work space).
    fn product(&self, data: &[T], z: &mut [T], v: &[T], out: &mut [T]) {
        let rl = self.rows.len();
        // t = J v.
        for (q, zq) in z.iter_mut().enumerate() {
            let s = self.slot(q);
            *zq = self.rows.dot_vec(&data[s * rl..(s + 1) * rl], v);
        }
        self.apply(data, z, Some(v), out);
    }

    /// `z ← J h` for the row premade in the slot after the newest: its
    /// column of the Gram matrix.
    fn premade_column(&self, data: &[T], z: &mut [T]) {
        let (gram, ..) = self.shape.parts_for(self.rows.len());
        let c = self.shape.slots();
        let new = (self.head + self.len) % c;
        for (q, zq) in z.iter_mut().enumerate() {
            *zq = data[gram + new * c + self.slot(q)];
        }
    }

    /// `out ← ε0 v − ε0² Jᵀ A⁻¹ t` over the k = `t.len()` first rows of `L`
    /// (`t` in `z`; `v` = `None`: `out` holds `ε0 v`).
    fn apply(&self, data: &[T], z: &mut [T], v: Option<&[T]>, out: &mut [T]) {
        let rl = self.rows.len();
        let l = &data[self.factor..self.factor + packed_len(self.shape.rows())];
        // z = A⁻¹ t = L⁻ᵀ L⁻¹ t.
        solve_cholesky(l, z);
        // out = ε0 v − ε0² Jᵀ z.
        if let Some(v) = v {
            out.iter_mut().zip(v).for_each(|(o, x)| *o = self.eps0 * *x);
        }
        let e2 = self.eps0 * self.eps0;
        z.iter_mut().for_each(|zq| *zq = e2 * *zq);
        self.rows
            .sub_scaled_each(data, |q| self.slot(q) * rl, z, out);
    }
}

/// The Gram entries `h_new · h_j` (eq. 7) of the row in slot `new` with
/// the k = `g.len()` rows from `head` (oldest first), into both halves of
/// the C × C Gram matrix at `gram`; `g` is work space.
fn gram_entries<T: Real>(
    kind: Rows,
    data: &mut [T],
    (head, g): (usize, &mut [T]),
    c: usize,
    gram: usize,
    new: usize,
) {
    let rl = kind.len();
    let row = &data[new * rl..(new + 1) * rl];
    kind.dot_each(row, data, |j| ((head + j) % c) * rl, g);
    for (j, gj) in g.iter().enumerate() {
        let sj = (head + j) % c;
        data[gram + new * c + sj] = *gj;
        data[gram + sj * c + new] = *gj;
    }
}

/// Ring slot of logical row q (0 = newest) of n rows from `head`, C slots.
const fn slot(c: usize, head: usize, n: usize, q: usize) -> usize {
    (head + n - 1 - q) % c
}

/// Rows `from..n` of the packed lower triangle of `A = D⁻¹ + ε0 G` for
/// the n rows from `head`, in `L`'s order ([`WindowShape::factor_slot`]),
/// into `l`; `front` is the storage before the factors (rows, Gram,
/// weights).
fn fill_system<T: Real>(
    front: &[T],
    shape: WindowShape,
    (gram, weights, _, _): (usize, usize, usize, usize),
    eps0: T,
    (head, from, n): (usize, usize, usize),
    l: &mut [T],
) {
    let (c, at) = (shape.slots(), |p: usize| shape.factor_slot(head, n, p));
    fill_packed(
        (from, n),
        eps0,
        |p, q| front[gram + at(p) * c + at(q)],
        |p| front[weights + at(p)],
        l,
    );
}

/// Rows `from..n` of the packed lower triangle of `A = D⁻¹ + ε0 G` into
/// `l`, from `G_pq = gram(p, q)` and `a_p = weight(p)`.
fn fill_packed<T: Real>(
    (from, n): (usize, usize),
    eps0: T,
    gram: impl Fn(usize, usize) -> T,
    weight: impl Fn(usize) -> T,
    l: &mut [T],
) {
    let mut k = packed_len(from);
    for p in from..n {
        for q in 0..=p {
            let mut x = eps0 * gram(p, q);
            if p == q {
                x += T::ONE / weight(p);
            }
            l[k] = x;
            k += 1;
        }
    }
}

/// `z ← A⁻¹ z` for `A = L Lᵀ`, L the leading k × k block (k = `z.len()`)
/// of a packed lower-triangular factor: forward, then back substitution.
fn solve_cholesky<T: Real>(l: &[T], z: &mut [T]) {
    let k = z.len();
    forward(l, z);
    for q in (0..k).rev() {
        let mut acc = z[q];
        for p in q + 1..k {
            acc -= l[packed_len(p) + q] * z[p];
        }
        z[q] = acc / l[packed_len(q) + q];
    }
}

/// `z ← L⁻¹ z`, L the leading block of a packed lower-triangular factor.
fn forward<T: Real>(l: &[T], z: &mut [T]) {
    for q in 0..z.len() {
        let row = &l[packed_len(q)..packed_len(q) + q + 1];
        let mut acc = z[q];
        for (lp, zp) in row[..q].iter().zip(&z[..q]) {
            acc -= *lp * *zp;
        }
        z[q] = acc / row[q];
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Covariance<T> for InfoWindow<T, S> {
    fn dim(&self) -> usize {
        self.shape.dim
    }

    /// `P v = ε0 v − ε0² Jᵀ A⁻¹ J v` over every kept row.
    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        self.product(self.len, v, out);
    }

    /// As [`Covariance::mul_vec`] without the oldest row when the window
    /// is full (the row the next record of one row drops).
    fn mul_vec_pending(&self, v: &[T], out: &mut [T]) {
        self.product(self.pending_len(), v, out);
    }

    /// With factored rows: stores `h` by the network's own factors, its
    /// Gram column is `J h`, and the next `prepare_record` of `h` reuses
    /// both (nothing `mul_vec` or `get` read changes). Otherwise the
    /// product of `h`.
    fn mul_jacobian(
        &mut self,
        h: &[T],
        factors: &JacobianFactors<'_, T>,
        pending: bool,
        out: &mut [T],
    ) {
        let k = if pending {
            self.pending_len()
        } else {
            self.len
        };
        if !self.premake(h, factors) {
            // (An empty `h` comes only with factors of this window's shape,
            // `takes_factors`; else a NaN product, which the filter refuses.)
            match h.is_empty() {
                true => out.iter_mut().for_each(|o| *o = T::from_f64(f64::NAN)),
                false => self.product_mut(k, h, out),
            }
        } else if h.is_empty() {
            factors.expand_scaled(0, self.eps0, out);
            self.premade_product(k, None, out);
        } else {
            self.premade_product(k, Some(h), out);
        }
    }

    /// `true` for rows kept by their factors, for the shape `spec`.
    fn takes_factors(&self, spec: &ResNetSpec) -> bool {
        self.rows == Rows::Factored(*spec)
    }

    /// Does nothing: `P − c u uᵀ` has no information form of this shape
    /// without `h`. The filter calls [`Covariance::record`], which has it.
    fn downdate(&mut self, _c: T, _u: &[T]) {}

    fn prepare_record(&mut self, rows: &[T], a: T) -> Result<()> {
        self.stage(rows, a, false)
    }

    /// Stages the row `mul_jacobian` premade without comparing `h` with
    /// it (the caller's guarantee); otherwise [`Covariance::prepare_record`].
    fn prepare_jacobian(&mut self, h: &[T], a: T) -> Result<()> {
        self.stage(h, a, true)
    }

    /// Takes the sample's rows in (eq. 7) and drops the oldest sample if
    /// the window is full. Commits what [`Covariance::prepare_record`]
    /// staged for these rows; otherwise stages them first and, if that
    /// fails, changes nothing.
    fn record(&mut self, rows: &[T], a: T, _c: &[T], _v: &[T]) {
        if self.is_staged(rows, a) || self.stage(rows, a, false).is_ok() {
            self.commit();
        }
    }

    /// Commits the row [`Covariance::prepare_jacobian`] staged (`h` may be
    /// empty then); otherwise [`Covariance::record`].
    fn record_jacobian(&mut self, h: &[T], a: T, c: T, v: &[T]) {
        if h.is_empty() && self.staged == 1 {
            self.commit();
        } else {
            self.record(h, a, &[c], v);
        }
    }

    /// `P ← ε0 I`: the window is emptied (eq. 5).
    fn reset(&mut self, eps0: T) {
        self.eps0 = eps0;
        self.head = 0;
        self.len = 0;
        self.cur = 0;
        self.staged = 0;
        self.premade = false;
    }

    /// [`InfoWindow::REGULARIZABLE`].
    fn regularizable(&self) -> Regularizable {
        Self::REGULARIZABLE
    }

    /// `αP`: `(αP)⁻¹ = (αε0)⁻¹ I + Jᵀ (D/α) J`. Its Gram system `αA` is
    /// factored afresh from the scaled ε0 and weights (as a model file's
    /// load factors it). Fails, changing nothing, on a bad α, a non-finite
    /// result or a failed factorization. Anything staged by
    /// [`Covariance::prepare_record`] must be staged again.
    fn scale(&mut self, alpha: T) -> Result<()> {
        check_alpha(alpha)?;
        let (gram, weights, f0, f1) = self.parts();
        let (shape, head, n, eps) = (self.shape, self.head, self.len, self.eps0 * alpha);
        let (c, at) = (shape.slots(), move |p: usize| shape.factor_slot(head, n, p));
        let spare = if self.cur == 0 { f1 } else { f0 };
        let (front, factors) = self.data.as_mut().split_at_mut(f0);
        let l = &mut factors[spare - f0..spare - f0 + packed_len(n)];
        let weight = |p: usize| front[weights + at(p)] / alpha;
        if !(eps.is_finite() && (0..n).all(|p| weight(p).is_finite() && weight(p) > T::ZERO)) {
            return Err(Error::Diverged { what: "covariance" });
        }
        fill_packed(
            (0, n),
            eps,
            |p, q| front[gram + at(p) * c + at(q)],
            weight,
            l,
        );
        if !(cholesky_packed(l, n) && l.iter().all(|x| x.is_finite())) {
            return Err(Error::Diverged { what: "covariance" });
        }
        (0..n).for_each(|p| front[weights + at(p)] /= alpha);
        self.eps0 = eps;
        self.cur = 1 - self.cur;
        // What was staged (in the factor just overwritten) is staged again
        // by the next record.
        self.staged = 0;
        self.premade = false;
        Ok(())
    }

    /// `P[i][j] = ε0 δ_ij − ε0² (L⁻¹ J e_i) · (L⁻¹ J e_j)`. O(n²).
    fn get(&self, i: usize, j: usize) -> T {
        let nd = self.shape.dim;
        if i >= nd || j >= nd {
            return T::ZERO;
        }
        let (n, kind, rl) = (self.len, self.rows, self.rows.len());
        if n > MAX_WINDOW_ROWS {
            return T::from_f64(f64::NAN);
        }
        let data = self.data.as_ref();
        let mut x = [T::ZERO; MAX_WINDOW_ROWS];
        let mut y = [T::ZERO; MAX_WINDOW_ROWS];
        let (x, y) = (&mut x[..n], &mut y[..n]);
        for q in 0..n {
            let s = self.shape.factor_slot(self.head, n, q);
            let row = &data[s * rl..(s + 1) * rl];
            x[q] = kind.entry(row, i);
            y[q] = kind.entry(row, j);
        }
        let l = self.factor();
        forward(l, x);
        forward(l, y);
        let base = if i == j { self.eps0 } else { T::ZERO };
        base - self.eps0 * self.eps0 * dot(x, y)
    }

    fn symmetrize(&mut self) -> Result<T> {
        Ok(T::ZERO)
    }

    fn asymmetry(&self) -> T {
        T::ZERO
    }

    /// The Gram system's Cholesky ([`InfoWindow::gram_is_positive_definite`]):
    /// `scratch` needs n(n + 1)/2 elements, n the rows kept.
    fn is_positive_definite(&self, scratch: &mut [T]) -> Result<bool> {
        self.gram_is_positive_definite(scratch)
    }

    fn window_state(&self) -> Option<WindowState<T>> {
        Some(self.state())
    }

    fn window_row(&self, q: usize) -> Option<(T, &[T])> {
        if q >= self.len {
            return None;
        }
        let s = self.slot(self.head, self.len, q);
        let (_, weights, _, _) = self.parts();
        let nd = self.row_len();
        let data = self.data.as_ref();
        Some((data[weights + s], &data[s * nd..(s + 1) * nd]))
    }

    /// Checks everything (the state against this window's shape and row
    /// storage; n ≤ r·N_L; ε0; weights in (0, 1]; rows finite) and factors
    /// the loaded `A` before it changes anything: on error ([`Error::Diverged`]
    /// for a non-positive pivot) the window is as it was.
    fn load_window(&mut self, state: &WindowState<T>, weights: &[T], rows: &[T]) -> Result<()> {
        self.load(state, weights, rows)
    }
}
