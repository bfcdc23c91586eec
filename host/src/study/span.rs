//! The span of the past Jacobians H₀ … H_{k−1} (section 5), kept as an
//! orthonormal basis Q grown by modified Gram–Schmidt, with Σ HᵢᵀHᵢ
//! (eq. 8) in that basis, `M = Σ (Qᵀhᵢ)(Qᵀhᵢ)ᵀ`, and the Jacobians
//! themselves for their k × k Gram matrix.

use super::eigen::symmetric_eigenvalues;

/// A new Jacobian extends the basis if, after two Gram–Schmidt passes,
/// this much of its norm is left outside the span.
pub const RANK_TOLERANCE: f64 = 1e-9;

/// The Jacobians seen so far and their span.
#[derive(Debug, Clone)]
pub struct JacobianSpan {
    n: usize,
    basis: Vec<Vec<f64>>,
    rows: Vec<Vec<f64>>,
    /// `M` in the basis, r × r row-major (r = the basis' size).
    m: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

impl JacobianSpan {
    /// No Jacobian yet, in N_w = `n` dimensions.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            basis: Vec::new(),
            rows: Vec::new(),
            m: Vec::new(),
        }
    }

    /// r, the dimension of the span.
    pub fn rank(&self) -> usize {
        self.basis.len()
    }

    /// k, the Jacobians taken in.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no Jacobian was taken in.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The Jacobians taken in, oldest first.
    pub fn rows(&self) -> &[Vec<f64>] {
        &self.rows
    }

    /// Takes in the Jacobian `h` (N_w values): Σ HᵢᵀHᵢ gains hhᵀ (eq. 7's sum).
    pub fn push(&mut self, h: &[f64]) {
        assert_eq!(
            h.len(),
            self.n,
            "JacobianSpan::push: h must have N_w values"
        );
        self.extend_basis(h);
        let c = self.coords(h);
        let r = self.rank();
        for i in 0..r {
            for j in 0..r {
                self.m[i * r + j] += c[i] * c[j];
            }
        }
        self.rows.push(h.to_vec());
    }

    /// Adds h's part outside the span to the basis if it is not negligible.
    fn extend_basis(&mut self, h: &[f64]) {
        let scale = norm(h);
        if scale == 0.0 || !scale.is_finite() {
            return;
        }
        let mut rest = h.to_vec();
        for _ in 0..2 {
            for q in &self.basis {
                let c = dot(q, &rest);
                rest.iter_mut().zip(q).for_each(|(x, qi)| *x -= c * qi);
            }
        }
        let left = norm(&rest);
        if left <= RANK_TOLERANCE * scale {
            return;
        }
        rest.iter_mut().for_each(|x| *x /= left);
        self.basis.push(rest);
        self.grow_m();
    }

    /// Pads M with a zero row and column: the old Jacobians have no part
    /// along the new basis vector.
    fn grow_m(&mut self) {
        let r = self.rank();
        let mut m = vec![0.0; r * r];
        for i in 0..r - 1 {
            for j in 0..r - 1 {
                m[i * r + j] = self.m[i * (r - 1) + j];
            }
        }
        self.m = m;
    }

    /// Qᵀ v: v's coordinates in the basis.
    pub fn coords(&self, v: &[f64]) -> Vec<f64> {
        self.basis.iter().map(|q| dot(q, v)).collect()
    }

    /// ‖Π v‖ / ‖v‖, Π the orthogonal projector onto the span: the
    /// fraction of v in the span of the past Jacobians (0 for v = 0).
    pub fn span_fraction(&self, v: &[f64]) -> f64 {
        let whole = norm(v);
        if whole == 0.0 || !whole.is_finite() {
            return 0.0;
        }
        (norm(&self.coords(v)) / whole).clamp(0.0, 1.0)
    }

    /// The share of ‖v‖² along the directions eq. (9) shrinks, each
    /// weighted by how much: with Σ HᵢᵀHᵢ = U Λ Uᵀ (eq. 8),
    /// `Σᵢ (uᵢᵀv)² (1 − pᵢ/ε0) / ‖v‖²`, pᵢ = ε0/(1 + ε0 a λᵢ) eq. (9)'s
    /// eigenvalues of P, a = 1 − γ_f⁻²; that is `1 − vᵀPv/(ε0‖v‖²)` for
    /// the P of eq. (7) built from these Jacobians. In [0, 1]; never more
    /// than [`JacobianSpan::span_fraction`]².
    pub fn eq9_fraction(&self, v: &[f64], eps0: f64, a: f64) -> f64 {
        let whole = dot(v, v);
        if whole == 0.0 || !whole.is_finite() || self.rank() == 0 {
            return 0.0;
        }
        let c = self.coords(v);
        let r = self.rank();
        // (I + ε0 a M) x = c; cᵀc − cᵀx = cᵀ (I − (I + ε0 a M)⁻¹) c.
        let mut s: Vec<f64> = self.m.iter().map(|x| eps0 * a * x).collect();
        for i in 0..r {
            s[i * r + i] += 1.0;
        }
        let x = cholesky_solve(&mut s, r, &c);
        ((dot(&c, &c) - dot(&c, &x)) / whole).clamp(0.0, 1.0)
    }

    /// The k × k Gram matrix `Gᵢⱼ = hᵢ·hⱼ` of the Jacobians, row-major.
    pub fn gram(&self) -> Vec<f64> {
        let k = self.len();
        let mut g = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..=i {
                let x = dot(&self.rows[i], &self.rows[j]);
                g[i * k + j] = x;
                g[j * k + i] = x;
            }
        }
        g
    }

    /// The eigenvalues of Σ HᵢᵀHᵢ (eq. 8) through the Gram matrix, whose
    /// nonzero spectrum is the same: descending, clamped to ≥ 0, at most
    /// min(k, N_w) of them.
    pub fn spectrum(&self) -> Vec<f64> {
        let k = self.len();
        let mut values = symmetric_eigenvalues(&self.gram(), k);
        values.truncate(k.min(self.n));
        values.iter_mut().for_each(|x| *x = x.max(0.0));
        values
    }

    /// The eigenvalues of QᵀPQ, `P` given by its product `apply(v, out)`:
    /// P's Rayleigh–Ritz values on the span (eq. 9's first k entries for
    /// the exact filter, whose `P − ε0 I` lives in the span), descending.
    pub fn ritz_values(&self, mut apply: impl FnMut(&[f64], &mut [f64])) -> Vec<f64> {
        let r = self.rank();
        let mut pq = vec![0.0; self.n];
        let mut t = vec![0.0; r * r];
        for j in 0..r {
            apply(&self.basis[j], &mut pq);
            for i in 0..r {
                t[i * r + j] = dot(&self.basis[i], &pq);
            }
        }
        symmetric_eigenvalues(&t, r)
    }
}

/// Solves `s x = b` for the symmetric positive-definite r × r `s`
/// (overwritten by its Cholesky factor).
fn cholesky_solve(s: &mut [f64], r: usize, b: &[f64]) -> Vec<f64> {
    for j in 0..r {
        let mut d = s[j * r + j];
        for k in 0..j {
            d -= s[j * r + k] * s[j * r + k];
        }
        let d = d.max(f64::MIN_POSITIVE).sqrt();
        s[j * r + j] = d;
        for i in j + 1..r {
            let mut x = s[i * r + j];
            for k in 0..j {
                x -= s[i * r + k] * s[j * r + k];
            }
            s[i * r + j] = x / d;
        }
    }
    let mut y = b.to_vec();
    for i in 0..r {
        for k in 0..i {
            y[i] -= s[i * r + k] * y[k];
        }
        y[i] /= s[i * r + i];
    }
    for i in (0..r).rev() {
        for k in i + 1..r {
            y[i] -= s[k * r + i] * y[k];
        }
        y[i] /= s[i * r + i];
    }
    y
}

/// ‖Π v‖ / ‖v‖ for the span of `rows`, computed without a basis: with
/// the Gram matrix G = J Jᵀ = V D Vᵀ and b = J v, ‖Π v‖² = bᵀ G⁺ b,
/// G⁺ keeping the eigenvalues above `RANK_TOLERANCE² · λ_max`. A second,
/// independent way to [`JacobianSpan::span_fraction`].
pub fn span_fraction_by_gram(rows: &[Vec<f64>], v: &[f64]) -> f64 {
    let k = rows.len();
    let whole = norm(v);
    if k == 0 || whole == 0.0 {
        return 0.0;
    }
    let mut g = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            g[i * k + j] = dot(&rows[i], &rows[j]);
        }
    }
    let (values, vectors) = super::eigen::symmetric_eigen(&g, k);
    let b: Vec<f64> = rows.iter().map(|h| dot(h, v)).collect();
    let top = values.first().copied().unwrap_or(0.0);
    let mut inside = 0.0;
    for (j, &lambda) in values.iter().enumerate() {
        if lambda > RANK_TOLERANCE * RANK_TOLERANCE * top {
            let along: f64 = (0..k).map(|i| vectors[i * k + j] * b[i]).sum();
            inside += along * along / lambda;
        }
    }
    (inside.sqrt() / whole).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_in_the_span_is_wholly_in_it_and_an_orthogonal_one_not_at_all() {
        let mut s = JacobianSpan::new(3);
        s.push(&[1.0, 1.0, 0.0]);
        s.push(&[2.0, 2.0, 0.0]); // dependent: the rank stays 1
        assert_eq!((s.rank(), s.len()), (1, 2));
        assert!((s.span_fraction(&[3.0, 3.0, 0.0]) - 1.0).abs() < 1e-15);
        assert_eq!(s.span_fraction(&[0.0, 0.0, 5.0]), 0.0);
        let half = s.span_fraction(&[1.0, 0.0, 0.0]);
        assert!((half - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        let g = span_fraction_by_gram(s.rows(), &[1.0, 0.0, 0.0]);
        assert!((g - half).abs() < 1e-12);
    }

    #[test]
    fn the_spectrum_and_the_eq9_fraction_follow_eqs_7_to_9() {
        let mut s = JacobianSpan::new(2);
        s.push(&[2.0, 0.0]);
        s.push(&[0.0, 1.0]);
        // Σ hhᵀ = diag(4, 1).
        let lambda = s.spectrum();
        assert!((lambda[0] - 4.0).abs() < 1e-14 && (lambda[1] - 1.0).abs() < 1e-14);
        let (eps0, a) = (10.0, 0.5);
        // v along the first axis: 1 − p/ε0 with p = ε0/(1 + ε0 a λ) = 10/21.
        let f = s.eq9_fraction(&[1.0, 0.0], eps0, a);
        assert!((f - (1.0 - 1.0 / 21.0)).abs() < 1e-14, "{f}");
        // Ritz values of P = diag(10/21, 10/6) are its eigenvalues.
        let p = [10.0 / 21.0, 10.0 / 6.0];
        let ritz = s.ritz_values(|v, out| {
            out[0] = p[0] * v[0];
            out[1] = p[1] * v[1];
        });
        assert!((ritz[0] - p[1]).abs() < 1e-14 && (ritz[1] - p[0]).abs() < 1e-14);
    }
}
