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

/// Every entry `P[i][j]` of a covariance through [`hinf::Covariance::get`],
/// as a dense f64 matrix.
pub fn dense_of<T: hinf::Real, C: hinf::Covariance<T>>(c: &C) -> Mat {
    let n = c.dim();
    let mut m = Mat::zeros(n);
    for i in 0..n {
        for j in 0..n {
            m.a[i * n + j] = c.get(i, j).to_f64();
        }
    }
    m
}

/// The paper's XOR net at depth `layers`, weights uniform in ±0.05 from
/// `seed`.
pub fn xor_net<T: hinf::Real>(layers: usize, seed: u64) -> hinf::ResNet<T, Vec<T>> {
    let spec = hinf::ResNetSpec::xor(layers).unwrap();
    let mut net = hinf::ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(seed), hinf::PAPER_INIT_RANGE)
        .unwrap();
    net
}

/// A sample order that is not 0, 1, 2, 3.
pub const ORDER: [usize; 4] = [0, 3, 1, 2];

/// Trains `net` in f64 with `p64` and a copy rounded to f32 with `p32`
/// (the default g-EHF, 10 epochs of XOR in [`ORDER`]): the largest
/// difference of their weights after, and both filters.
pub fn f32_vs_f64<C64: hinf::Covariance<f64>, C32: hinf::Covariance<f32>>(
    mut n64: hinf::ResNet<f64, Vec<f64>>,
    p64: C64,
    p32: C32,
) -> (f64, Filter<f64, C64>, Filter<f32, C32>) {
    use hinf::{GEhf, GEhfConfig, InputCoding, ResNet, Xor};
    let spec = *n64.spec();
    let n = spec.n_weights();
    let w32: Vec<f32> = n64.weights().iter().map(|w| *w as f32).collect();
    let mut n32 = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).unwrap();
    n32.set_weights(&w32).unwrap();
    let cfg = GEhfConfig::default();
    let mut f64f = GEhf::new(cfg, p64, vec![0.0; n]).unwrap();
    let mut f32f = GEhf::new(cfg, p32, vec![0.0; n]).unwrap();
    let x64 = Xor::<f64>::new(InputCoding::default());
    let x32 = Xor::<f32>::new(InputCoding::default());
    for _ in 0..10 {
        for k in ORDER {
            let (x, y) = x64.samples().get(k).unwrap();
            f64f.step(&mut n64, x, y).unwrap();
            let (x, y) = x32.samples().get(k).unwrap();
            f32f.step(&mut n32, x, y).unwrap();
        }
    }
    let diff = n64
        .weights()
        .iter()
        .zip(n32.weights())
        .map(|(a, b)| (a - f64::from(*b)).abs())
        .fold(0.0, f64::max);
    (diff, f64f, f32f)
}

/// A g-EHF over the covariance `C` with its scratch on the heap.
pub type Filter<T, C> = hinf::GEhf<T, C, Vec<T>>;

/// `(ε0⁻¹ I + a Σ h hᵀ)⁻¹` over `rows`, by Gauss–Jordan: eq. (7)'s `P`
/// computed directly.
pub fn windowed_p(n: usize, eps0: f64, a: f64, rows: &[Vec<f64>]) -> Mat {
    let mut info = Mat::identity(n, 1.0 / eps0);
    for h in rows {
        for i in 0..n {
            for j in 0..n {
                info.a[i * n + j] += a * h[i] * h[j];
            }
        }
    }
    info.inverse()
}

/// Helpers of the model-file tests (`window_file.rs`, `terms_file.rs`).
pub mod files {
    use super::{ORDER, rng};
    use hinf::model::{self, Model, crc32, saved_gehf_len};
    use hinf::{
        Covariance, Error, GEhf, InputCoding, ModelError, Real, ResNet, ResNetSpec, Result, Xor,
    };

    pub fn bits<T: Real>(xs: &[T]) -> Vec<u64> {
        xs.iter().map(|x| x.to_f64().to_bits()).collect()
    }

    pub fn network<T: Real>(spec: ResNetSpec, seed: u64) -> ResNet<T, Vec<T>> {
        let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
        net.init_uniform(&mut rng(seed), 0.5).unwrap();
        net
    }

    /// Sample k: XOR in [`ORDER`] for one output, a rotating input with
    /// one-hot targets for several.
    pub fn sample<T: Real>(spec: &ResNetSpec, k: usize) -> (Vec<T>, Vec<T>) {
        if spec.outputs() == 1 {
            let xor = Xor::<T>::new(InputCoding::default());
            let (x, y) = xor.samples().get(ORDER[k % 4]).unwrap();
            return (x.to_vec(), y.to_vec());
        }
        let t = k as f64 * 0.7;
        let x = vec![T::from_f64(t.sin()), T::from_f64(t.cos())];
        let y = (0..spec.outputs())
            .map(|o| T::from_f64(if o == k % spec.outputs() { 1.0 } else { 0.0 }))
            .collect();
        (x, y)
    }

    pub fn run_steps<T: Real, C: Covariance<T>>(
        f: &mut GEhf<T, C, Vec<T>>,
        net: &mut ResNet<T, Vec<T>>,
        from: usize,
        steps: usize,
    ) {
        let spec = *net.spec();
        for k in from..from + steps {
            let (x, y) = sample::<T>(&spec, k);
            f.step(net, &x, &y).unwrap();
        }
    }

    /// Bits of `P v` and `P̃ v` for a few fixed probes, of a few entries and
    /// of the diagonal bounds: what the window computes.
    pub fn p_bits<T: Real, C: Covariance<T>>(c: &C) -> Vec<u64> {
        let n = c.dim();
        let mut out = vec![T::ZERO; n];
        let mut all = Vec::new();
        for p in 0..3 {
            let v: Vec<T> = (0..n)
                .map(|i| T::from_f64(((i * 7 + p * 3) % 11) as f64 / 5.0 - 1.0))
                .collect();
            c.mul_vec(&v, &mut out);
            all.extend(bits(&out));
            c.mul_vec_pending(&v, &mut out);
            all.extend(bits(&out));
        }
        for (i, j) in [(0, 0), (3, 1), (n - 1, 2), (n - 1, n - 1)] {
            all.push(c.get(i, j).to_f64().to_bits());
        }
        let (lo, hi) = c.diagonal_bounds();
        all.extend(bits(&[lo, hi]));
        all
    }

    /// Rewrites the CRC trailer so that an edit passes the checksum.
    pub fn fix_crc(buf: &mut [u8]) {
        let n = buf.len() - 4;
        let c = crc32(&buf[..n]);
        buf[n..].copy_from_slice(&c.to_le_bytes());
    }

    pub fn model_err(r: Result<Model<'_>>) -> ModelError {
        match r {
            Err(Error::Model(e)) => e,
            other => panic!("expected a model error, got {other:?}"),
        }
    }

    pub fn save<T: Real, C: Covariance<T>>(
        net: &ResNet<T, Vec<T>>,
        f: &GEhf<T, C, Vec<T>>,
    ) -> Vec<u8> {
        let len = saved_gehf_len(net.spec(), f.covariance());
        let mut buf = vec![0u8; len];
        assert_eq!(model::save_gehf(net, f, &mut buf), Ok(len));
        buf
    }
}
#[allow(unused_imports)]
pub use files::*;
