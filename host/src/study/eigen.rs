//! Eigenvalues of a small symmetric matrix by the cyclic Jacobi method:
//! the spectra of section 5 (Σ HᵢᵀHᵢ of eq. 8 through its Gram matrix,
//! and `P` of eq. 9), with no dependency beyond `std`.

/// Sweeps before [`symmetric_eigen`] gives up refining (it converges
/// quadratically; a few sweeps suffice for the sizes used here).
const MAX_SWEEPS: usize = 60;

/// The eigenvalues (descending) and eigenvectors of the symmetric n × n
/// matrix `a` (row-major; only its symmetric part is used): column j of
/// the returned row-major matrix `v` is the eigenvector of value j.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), n * n, "symmetric_eigen: a must be n × n");
    let mut m: Vec<f64> = (0..n * n)
        .map(|k| 0.5 * (a[k] + a[(k % n) * n + k / n]))
        .collect();
    let mut v = identity(n);
    for _ in 0..MAX_SWEEPS {
        if off_diagonal_norm(&m, n) <= 1e-15 * frobenius(&m).max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut m, &mut v, n, p, q);
            }
        }
    }
    sorted_descending(&m, &v, n)
}

/// The eigenvalues of the symmetric n × n matrix `a`, descending.
pub fn symmetric_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    symmetric_eigen(a, n).0
}

fn identity(n: usize) -> Vec<f64> {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    v
}

fn off_diagonal_norm(m: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i != j {
                s += m[i * n + j] * m[i * n + j];
            }
        }
    }
    s.sqrt()
}

fn frobenius(m: &[f64]) -> f64 {
    m.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// One Jacobi rotation zeroing `m[p][q]` (Golub & Van Loan, alg. 8.4.2),
/// accumulated into `v`.
fn rotate(m: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) {
    let apq = m[p * n + q];
    if apq == 0.0 {
        return;
    }
    let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..n {
        let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
        m[k * n + p] = c * mkp - s * mkq;
        m[k * n + q] = s * mkp + c * mkq;
    }
    for k in 0..n {
        let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
        m[p * n + k] = c * mpk - s * mqk;
        m[q * n + k] = s * mpk + c * mqk;
    }
    for k in 0..n {
        let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + q] = s * vkp + c * vkq;
    }
}

fn sorted_descending(m: &[f64], v: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (col, &i) in order.iter().enumerate() {
        for k in 0..n {
            vectors[k * n + col] = v[k * n + i];
        }
    }
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_by_two_has_its_known_eigenpairs() {
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-14 && (values[1] - 1.0).abs() < 1e-14);
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[0].abs() - r).abs() < 1e-14 && (vectors[2].abs() - r).abs() < 1e-14);
    }

    /// The n × n second-difference matrix tridiag(−1, 2, −1) has the
    /// eigenvalues 2 − 2 cos(kπ/(n+1)), k = 1..n.
    #[test]
    fn the_second_difference_matrix_has_its_known_spectrum() {
        let n = 12;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = 2.0;
            if i + 1 < n {
                a[i * n + i + 1] = -1.0;
                a[(i + 1) * n + i] = -1.0;
            }
        }
        let (values, vectors) = symmetric_eigen(&a, n);
        let mut known: Vec<f64> = (1..=n)
            .map(|k| 2.0 - 2.0 * (k as f64 * std::f64::consts::PI / (n as f64 + 1.0)).cos())
            .collect();
        known.sort_by(|x, y| y.total_cmp(x));
        for (v, k) in values.iter().zip(&known) {
            assert!((v - k).abs() < 1e-12, "{v} against {k}");
        }
        // A v_j = λ_j v_j for every column.
        for j in 0..n {
            for i in 0..n {
                let av: f64 = (0..n).map(|k| a[i * n + k] * vectors[k * n + j]).sum();
                assert!((av - values[j] * vectors[i * n + j]).abs() < 1e-12);
            }
        }
    }
}
