//! Shared helpers for the core's integration tests: a tiny dense linear
//! algebra kit (independent of the crate's own code) and seeded RNGs.
#![allow(dead_code)]

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

pub fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Uniform in [-a, a].
pub fn uniform(rng: &mut impl Rng, a: f64) -> f64 {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    a * (2.0 * u - 1.0)
}

/// A dense row-major n×n matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Mat {
    pub n: usize,
    pub a: Vec<f64>,
}

impl Mat {
    pub fn zeros(n: usize) -> Self {
        Self {
            n,
            a: vec![0.0; n * n],
        }
    }
    pub fn identity(n: usize, s: f64) -> Self {
        let mut m = Self::zeros(n);
        for i in 0..n {
            m.a[i * n + i] = s;
        }
        m
    }
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.a[i * self.n + j]
    }
    pub fn mul_vec(&self, v: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| (0..self.n).map(|j| self.at(i, j) * v[j]).sum())
            .collect()
    }
    /// A random symmetric positive-definite matrix: B Bᵀ + n·I·0.1.
    pub fn random_spd(n: usize, rng: &mut impl Rng) -> Self {
        let b: Vec<f64> = (0..n * n).map(|_| uniform(rng, 1.0)).collect();
        let mut m = Self::zeros(n);
        for i in 0..n {
            for j in 0..n {
                let s: f64 = (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum();
                m.a[i * n + j] = s + if i == j { 0.1 * n as f64 } else { 0.0 };
            }
        }
        m
    }
    /// Inverse by Gauss–Jordan with partial pivoting.
    pub fn inverse(&self) -> Self {
        let n = self.n;
        let mut a = self.a.clone();
        let mut inv = Self::identity(n, 1.0).a;
        for col in 0..n {
            let piv = (col..n)
                .max_by(|&x, &y| a[x * n + col].abs().total_cmp(&a[y * n + col].abs()))
                .unwrap();
            for k in 0..n {
                a.swap(col * n + k, piv * n + k);
                inv.swap(col * n + k, piv * n + k);
            }
            let d = a[col * n + col];
            for k in 0..n {
                a[col * n + k] /= d;
                inv[col * n + k] /= d;
            }
            for r in 0..n {
                if r != col {
                    let f = a[r * n + col];
                    for k in 0..n {
                        a[r * n + k] -= f * a[col * n + k];
                        inv[r * n + k] -= f * inv[col * n + k];
                    }
                }
            }
        }
        Self { n, a: inv }
    }
    pub fn max_abs_diff(&self, other: &Self) -> f64 {
        self.a
            .iter()
            .zip(&other.a)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }
    pub fn max_abs(&self) -> f64 {
        self.a.iter().map(|x| x.abs()).fold(0.0, f64::max)
    }
    /// Lower triangle, row by row (the packed layout).
    pub fn packed(&self) -> Vec<f64> {
        let mut p = Vec::new();
        for i in 0..self.n {
            for j in 0..=i {
                p.push(self.at(i, j));
            }
        }
        p
    }
}
