//! The exact g-EHF's `P` in information form (eq. 7 over every sample):
//! `P⁻¹ = ε0⁻¹ I + a Σ h_iᵀ h_i`, applied through the Gram system of the
//! Jacobian rows kept by their per-neuron factors ([`hinf::InfoWindow`] of
//! [`hinf::FactoredShape::exact`] shape).
//!
//! The same `P` as [`super::StructuredCovariance`], with about a third of
//! the bytes per sample (0.37 N_w numbers against N_w) and one pass over
//! them per product (`Jᵀ z`; `J h` is the new row's Gram column, from the
//! factors). Its capacity starts at [`FIRST_CAPACITY`] samples and doubles
//! when full ([`hinf::InfoWindow::with_capacity`]: the rows, Gram matrix
//! and factor copied, bit for bit); once the doubled form would take more
//! elements than a packed `P`, it hands over to packed storage
//! ([`hinf::InfoWindow::write_packed`]) and is updated densely from then
//! on, as the structured `P` does.

use hinf::{
    Covariance, FactoredShape, InfoWindow, JacobianFactors, PackedCovariance, Real, Regularizable,
    ResNetSpec, WindowState, packed_len,
};

use super::optimizer::zeros;

/// Samples the form has room for at first.
pub const FIRST_CAPACITY: usize = 16;

/// The capacity (samples) after `samples` samples: [`FIRST_CAPACITY`]
/// doubled until it holds them.
pub fn capacity_for(samples: usize) -> usize {
    let mut c = FIRST_CAPACITY;
    while c < samples {
        c = c.saturating_mul(2);
    }
    c
}

/// The exact `P` in information form, doubling its capacity as it fills,
/// packed once that is smaller.
#[derive(Debug, Clone)]
pub struct InformationCovariance<T: Real> {
    spec: ResNetSpec,
    repr: Repr<T>,
}

#[derive(Debug, Clone)]
enum Repr<T: Real> {
    Form(InfoWindow<T, Vec<T>>),
    Packed(PackedCovariance<T, Vec<T>>),
}

/// `$body` with `$p` the current representation.
macro_rules! each {
    ($self:expr, $p:ident => $body:expr) => {
        match $self {
            Repr::Form($p) => $body,
            Repr::Packed($p) => $body,
        }
    };
}

impl<T: Real> InformationCovariance<T> {
    /// `P = ε0 I` for the Jacobians of a network of shape `spec`.
    pub fn new(spec: &ResNetSpec, eps0: T) -> hinf::Result<Self> {
        let repr = Repr::Form(form(spec, FIRST_CAPACITY, eps0)?);
        Ok(Self { spec: *spec, repr })
    }

    /// Whether `P` is in packed storage now.
    pub fn is_packed(&self) -> bool {
        matches!(self.repr, Repr::Packed(_))
    }

    /// Samples kept in information form (0 once packed).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Form(w) => w.len() / self.spec.outputs().max(1),
            Repr::Packed(_) => 0,
        }
    }

    /// `true` if no sample is kept in information form.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `rows` more rows: the capacity doubled, or packed
    /// storage once the doubled form would be larger. On error nothing
    /// changes.
    fn reserve(&mut self, rows: usize) -> hinf::Result<()> {
        let Repr::Form(w) = &self.repr else {
            return Ok(());
        };
        let shape = w.shape();
        if w.len() + rows <= shape.rows() {
            return Ok(());
        }
        let capacity = shape.memory.saturating_mul(2);
        let next = FactoredShape::exact(&self.spec, capacity);
        let n = self.spec.n_weights();
        self.repr = if next.storage_len() > packed_len(n) {
            let mut scratch = zeros(w.len() * n, "memory to pack the information form")?;
            let mut packed = zeros(packed_len(n), "memory to pack the information form")?;
            w.write_packed(&mut scratch, &mut packed)?;
            Repr::Packed(packed_p(n, &packed)?)
        } else {
            let storage = zeros(next.storage_len(), "memory for the information form")?;
            Repr::Form(w.with_capacity(capacity, storage)?)
        };
        Ok(())
    }
}

/// The exact form of `capacity` samples for `spec`.
fn form<T: Real>(
    spec: &ResNetSpec,
    capacity: usize,
    eps0: T,
) -> hinf::Result<InfoWindow<T, Vec<T>>> {
    let shape = FactoredShape::exact(spec, capacity);
    shape.validate()?;
    let storage = zeros(shape.storage_len(), "memory for the information form")?;
    InfoWindow::factored(shape, eps0, storage)
}

/// The packed `P` of dimension `n` holding `values` (checked: length,
/// finite).
fn packed_p<T: Real>(n: usize, values: &[T]) -> hinf::Result<PackedCovariance<T, Vec<T>>> {
    let storage = zeros(packed_len(n), "memory for the packed covariance")?;
    let mut p = PackedCovariance::new(n, T::ONE, storage)?;
    p.set_packed(values)?;
    Ok(p)
}

impl<T: Real> Covariance<T> for InformationCovariance<T> {
    fn dim(&self) -> usize {
        self.spec.n_weights()
    }

    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        each!(&self.repr, p => p.mul_vec(v, out))
    }

    fn mul_vec_pending(&self, v: &[T], out: &mut [T]) {
        each!(&self.repr, p => p.mul_vec_pending(v, out))
    }

    /// Grows first if the sample would not fit (so that the premade row
    /// stays where the record looks for it).
    fn mul_jacobian(
        &mut self,
        h: &[T],
        factors: &JacobianFactors<'_, T>,
        pending: bool,
        out: &mut [T],
    ) {
        // A failure to grow is reported by the record that needs the room.
        let _ = self.reserve(self.spec.outputs());
        each!(&mut self.repr, p => p.mul_jacobian(h, factors, pending, out))
    }

    fn takes_factors(&self, spec: &ResNetSpec) -> bool {
        each!(&self.repr, p => p.takes_factors(spec))
    }

    fn downdate(&mut self, c: T, u: &[T]) {
        each!(&mut self.repr, p => p.downdate(c, u))
    }

    fn prepare_record(&mut self, rows: &[T], a: T) -> hinf::Result<()> {
        self.reserve(rows.len() / self.dim().max(1))?;
        each!(&mut self.repr, p => p.prepare_record(rows, a))
    }

    fn prepare_jacobian(&mut self, h: &[T], a: T) -> hinf::Result<()> {
        self.reserve(1)?;
        each!(&mut self.repr, p => p.prepare_jacobian(h, a))
    }

    fn record(&mut self, rows: &[T], a: T, c: &[T], v: &[T]) {
        let _ = self.reserve(rows.len() / self.dim().max(1));
        each!(&mut self.repr, p => p.record(rows, a, c, v))
    }

    fn record_jacobian(&mut self, h: &[T], a: T, c: T, v: &[T]) {
        each!(&mut self.repr, p => p.record_jacobian(h, a, c, v))
    }

    fn reset(&mut self, eps0: T) {
        if let Ok(w) = form(&self.spec, FIRST_CAPACITY, eps0) {
            self.repr = Repr::Form(w);
        } else {
            each!(&mut self.repr, p => p.reset(eps0))
        }
    }

    fn get(&self, i: usize, j: usize) -> T {
        each!(&self.repr, p => p.get(i, j))
    }

    fn window_state(&self) -> Option<WindowState<T>> {
        each!(&self.repr, p => p.window_state())
    }

    fn window_row(&self, q: usize) -> Option<(T, &[T])> {
        each!(&self.repr, p => p.window_row(q))
    }

    /// Grows to the saved rows first (in information form).
    fn load_window(
        &mut self,
        state: &WindowState<T>,
        weights: &[T],
        rows: &[T],
    ) -> hinf::Result<()> {
        let samples = state.rows.div_ceil(self.spec.outputs().max(1));
        let mut w = form(&self.spec, samples.max(FIRST_CAPACITY), state.eps0)?;
        w.load_window(state, weights, rows)?;
        self.repr = Repr::Form(w);
        Ok(())
    }

    /// Forgetting, as the information form takes it (and the packed `P`).
    fn regularizable(&self) -> Regularizable {
        InfoWindow::<T, Vec<T>>::REGULARIZABLE
    }

    fn scale(&mut self, alpha: T) -> hinf::Result<()> {
        each!(&mut self.repr, p => p.scale(alpha))
    }

    fn symmetrize(&mut self) -> hinf::Result<T> {
        each!(&mut self.repr, p => p.symmetrize())
    }

    /// A saved packed `P` is taken in packed storage.
    fn load_packed(&mut self, packed: &[T]) -> hinf::Result<()> {
        self.repr = Repr::Packed(packed_p(self.dim(), packed)?);
        Ok(())
    }

    fn downdate_diagonal_bounds(&self, c: T, u: &[T]) -> Option<(T, T)> {
        each!(&self.repr, p => p.downdate_diagonal_bounds(c, u))
    }

    fn diagonal_bounds(&self) -> (T, T) {
        each!(&self.repr, p => p.diagonal_bounds())
    }

    fn asymmetry(&self) -> T {
        each!(&self.repr, p => p.asymmetry())
    }

    fn is_positive_definite(&self, scratch: &mut [T]) -> hinf::Result<bool> {
        each!(&self.repr, p => p.is_positive_definite(scratch))
    }
}
