//! Probe (not part of the harness): is `P = ε0 I − Hᵀ M H` (the form a
//! factored-Jacobian `P` would use: the stored rows are the Jacobians `h`,
//! `M` is k × k) numerically as good as the structured u-form
//! `P = ε0 I − Σ c u uᵀ`? Runs H∞ on XOR with both, and with the packed
//! `P` where it fits, and prints how far the weights drift apart.
//!
//! `cargo run --release -p host --example gform_probe -- L:SEED:EPOCHS ...`
//! (e.g. `5:11:40 101:17:60`). The README's Speed section quotes a run.
use hinf::{Covariance, GEhf, GEhfConfig, InputCoding, ResNet, ResNetSpec, Xor};
use host::StructuredCovariance;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cell::RefCell;

struct GForm {
    n: usize,
    eps0: f64,
    rows: Vec<f64>, // k × n, the h's
    m: Vec<f64>,    // k × k
    k: usize,
    pending: RefCell<(Vec<f64>, Vec<f64>)>, // (v, −M H v)
}

impl Covariance<f64> for GForm {
    fn dim(&self) -> usize {
        self.n
    }
    fn mul_vec(&self, v: &[f64], out: &mut [f64]) {
        let (n, k) = (self.n, self.k);
        let a: Vec<f64> = (0..k)
            .map(|i| {
                self.rows[i * n..(i + 1) * n]
                    .iter()
                    .zip(v)
                    .map(|(x, y)| x * y)
                    .sum()
            })
            .collect();
        let b: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| self.m[i * k + j] * a[j]).sum())
            .collect();
        for (o, x) in out.iter_mut().zip(v) {
            *o = self.eps0 * x;
        }
        for (row, bi) in self.rows.chunks_exact(n).zip(&b) {
            for (o, x) in out.iter_mut().zip(row) {
                *o -= bi * x;
            }
        }
        *self.pending.borrow_mut() = (v.to_vec(), b.iter().map(|x| -x).collect());
    }
    fn downdate(&mut self, c: f64, _u: &[f64]) {
        let (v, mut r) = self.pending.borrow().clone();
        r.push(self.eps0);
        let k1 = self.k + 1;
        let mut m = vec![0.0; k1 * k1];
        for i in 0..self.k {
            for j in 0..self.k {
                m[i * k1 + j] = self.m[i * self.k + j];
            }
        }
        for i in 0..k1 {
            for j in 0..k1 {
                m[i * k1 + j] += c * r[i] * r[j];
            }
        }
        self.m = m;
        self.k = k1;
        self.rows.extend_from_slice(&v);
    }
    fn reset(&mut self, eps0: f64) {
        self.eps0 = eps0;
        self.k = 0;
        self.rows.clear();
        self.m.clear();
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        let (n, k) = (self.n, self.k);
        let mut x = if i == j { self.eps0 } else { 0.0 };
        for a in 0..k {
            for b in 0..k {
                x -= self.rows[a * n + i] * self.m[a * k + b] * self.rows[b * n + j];
            }
        }
        x
    }
}

fn run<C: Covariance<f64>>(
    layers: usize,
    seed: u64,
    epochs: usize,
    cov: C,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; spec.n_weights()]).unwrap();
    let xor = Xor::<f64>::new(InputCoding::default());
    let data = xor.samples();
    let (mut ws, mut errs) = (Vec::new(), Vec::new());
    for _ in 0..epochs {
        for (x, y) in data.iter() {
            if f.step(&mut net, x, y).is_err() {
                errs.push(f64::NAN);
            }
        }
        ws.push(net.weights().to_vec());
        errs.push(
            net.evaluate(&data)
                .unwrap()
                .measure(hinf::StopCriterion::HalfSse),
        );
    }
    (ws, errs)
}

fn main() {
    let cases: Vec<(usize, u64, usize)> = std::env::args()
        .skip(1)
        .map(|a| {
            let v: Vec<usize> = a.split(':').map(|x| x.parse().unwrap()).collect();
            (v[0], v[1] as u64, v[2])
        })
        .collect();
    for (layers, seed, epochs) in cases {
        let n = ResNetSpec::xor(layers).unwrap().n_weights();
        let g = GForm {
            n,
            eps0: GEhfConfig::default().eps0,
            rows: vec![],
            m: vec![],
            k: 0,
            pending: RefCell::new((vec![], vec![])),
        };
        let (wg, eg) = run(layers, seed, epochs, g);
        let (wu, eu) = run(
            layers,
            seed,
            epochs,
            StructuredCovariance::with_switch_at(n, GEhfConfig::default().eps0, usize::MAX),
        );
        let rel = |a: &[f64], b: &[f64]| {
            let d = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            d / b.iter().map(|x| x.abs()).fold(0.0, f64::max)
        };
        print!("L = {layers:4} (N_w = {n:5}), {epochs} epochs:");
        let last = epochs - 1;
        print!(" G vs u {:.1e}", rel(&wg[last], &wu[last]));
        if n <= 3000 {
            let p = hinf::PackedCovariance::new(
                n,
                GEhfConfig::default().eps0,
                vec![0.0; hinf::packed_len(n)],
            )
            .unwrap();
            let (wp, _) = run(layers, seed, epochs, p);
            print!(
                ", u vs packed {:.1e}, G vs packed {:.1e}",
                rel(&wu[last], &wp[last]),
                rel(&wg[last], &wp[last])
            );
        }
        let first_below = |es: &[f64]| es.iter().position(|e| *e < 0.01).map(|p| p + 1);
        println!(
            "  | converged at {:?} (G) vs {:?} (u)",
            first_below(&eg),
            first_below(&eu)
        );
    }
}
