//! Probe (docs/performance.md, "Trials in vector lanes"): what running K
//! independent trials in lock-step, one per vector lane, would gain.
//!
//! `Lanes<K>` is K `f64`s that implement the core's [`Real`] lane by lane
//! (each lane's `+ − × ÷`, `exp` and `sqrt` are the scalar ones), so the
//! core's own network, Adam and g-EHF code runs K trials at once with no
//! second copy of the math. Comparisons and `is_finite` hold only if they
//! hold in every lane: good enough to time the arithmetic of trials that
//! take the same branches (the probe checks, bit for bit, that every lane
//! ends with the weights of its scalar trial), not a masked driver.
//!
//! For each rule (Adam, steepest descent), `--epochs` epochs of the 4 XOR
//! patterns (4 steps and the after-epoch evaluation) at `--layers`, K
//! trials (seeds 1 … K) run one after the other in `f64`, then in
//! lock-step in `Lanes<K>`; alternated `--repeats` times, medians. The
//! row `jacobian` times the forward pass and Jacobian alone (4 per
//! epoch, no update).
//!
//! ```text
//! cargo run --release -p host --example lanes_probe -- [--layers 1001] [--epochs 100] [--repeats 7]
//! ```
use core::cmp::Ordering;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};
use std::time::Instant;

use hinf::{
    Adam, AdamConfig, GEhf, GEhfConfig, InputCoding, IsotropicCovariance, Optimizer, Real, ResNet,
    ResNetSpec, Samples, Xor,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// K `f64` lanes, each computing exactly the scalar operation.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lanes<const K: usize>([f64; K]);

impl<const K: usize> Default for Lanes<K> {
    fn default() -> Self {
        Self([0.0; K])
    }
}

impl<const K: usize> Lanes<K> {
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Self(self.0.map(f))
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        Self(core::array::from_fn(|k| f(self.0[k], o.0[k])))
    }
}

macro_rules! binop {
    ($tr:ident, $f:ident, $atr:ident, $af:ident, $op:tt) => {
        impl<const K: usize> $tr for Lanes<K> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                self.zip(o, |a, b| a $op b)
            }
        }
        impl<const K: usize> $atr for Lanes<K> {
            #[inline(always)]
            fn $af(&mut self, o: Self) {
                *self = self.zip(o, |a, b| a $op b);
            }
        }
    };
}
binop!(Add, add, AddAssign, add_assign, +);
binop!(Sub, sub, SubAssign, sub_assign, -);
binop!(Mul, mul, MulAssign, mul_assign, *);
binop!(Div, div, DivAssign, div_assign, /);

impl<const K: usize> Neg for Lanes<K> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.map(|a| -a)
    }
}

impl<const K: usize> PartialOrd for Lanes<K> {
    /// An order only where every lane agrees.
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        let first = self.0[0].partial_cmp(&o.0[0])?;
        (1..K)
            .all(|k| self.0[k].partial_cmp(&o.0[k]) == Some(first))
            .then_some(first)
    }
}

impl<const K: usize> Real for Lanes<K> {
    const ZERO: Self = Self([0.0; K]);
    const ONE: Self = Self([1.0; K]);
    const MAX: Self = Self([f64::MAX; K]);
    const NAME: &'static str = "f64 lanes";
    const BYTES: u8 = 8;
    fn from_f64(x: f64) -> Self {
        Self([x; K])
    }
    /// Lane 0 (error statistics are lane 0's).
    fn to_f64(self) -> f64 {
        self.0[0]
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.map(f64::exp)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.map(f64::sqrt)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.map(f64::abs)
    }
    #[inline(always)]
    fn raise_to(self, x: Self) -> Self {
        self.zip(x, |a, b| if a > b { a } else { b })
    }
    fn is_finite(self) -> bool {
        self.0.iter().all(|x| x.is_finite())
    }
}

fn nets(spec: ResNetSpec, k: usize) -> Vec<ResNet<f64, Vec<f64>>> {
    (0..k)
        .map(|i| {
            let mut net = ResNet::new(spec, vec![0.0; spec.lanes_buffer_len()]).unwrap();
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(i as u64 + 1);
            net.init_uniform(&mut rng, 0.05).unwrap();
            net
        })
        .collect()
}

fn lane_net<const K: usize>(
    spec: ResNetSpec,
    scalar: &[ResNet<f64, Vec<f64>>],
) -> ResNet<Lanes<K>, Vec<Lanes<K>>> {
    let mut net = ResNet::new(spec, vec![Lanes::<K>::ZERO; spec.lanes_buffer_len()]).unwrap();
    let w: Vec<Lanes<K>> = (0..spec.n_weights())
        .map(|i| Lanes(core::array::from_fn(|k| scalar[k].weights()[i])))
        .collect();
    net.set_weights(&w).unwrap();
    net
}

/// `epochs` epochs of `opt` on `data`: 4 steps, then the evaluation.
fn epochs<T: Real, O: Optimizer<T>>(
    net: &mut ResNet<T, Vec<T>>,
    opt: &mut O,
    data: &Samples<'_, T>,
    epochs: usize,
) {
    for _ in 0..epochs {
        for (x, y) in data.iter() {
            opt.observe(net, x, y).unwrap();
        }
        opt.end_epoch(net).unwrap();
        net.evaluate(data).unwrap();
    }
}

#[derive(Clone, Copy)]
enum Rule {
    Adam,
    Sd,
    /// The Jacobian at the 4 patterns, no update (weights unchanged).
    Jacobian,
}

/// The Jacobian at every sample, `epochs` times.
fn jacobians<T: Real>(net: &mut ResNet<T, Vec<T>>, data: &Samples<'_, T>, epochs: usize) {
    for _ in 0..epochs {
        for (x, _) in data.iter() {
            core::hint::black_box(net.jacobian(x).unwrap());
        }
    }
}

fn adam<T: Real>(n: usize) -> Adam<T, Vec<T>> {
    Adam::new(AdamConfig::default(), n, vec![T::ZERO; 3 * n]).unwrap()
}

fn sd<T: Real>(n: usize) -> GEhf<T, IsotropicCovariance<T>, Vec<T>> {
    let c = GEhfConfig::default();
    let p = IsotropicCovariance::new(n, T::from_f64(c.eps0)).unwrap();
    GEhf::new(c, p, vec![T::ZERO; n]).unwrap()
}

/// Seconds for K scalar trials one after the other; their final weights.
fn run_scalar(spec: ResNetSpec, k: usize, rule: Rule, n_epochs: usize) -> (f64, Vec<Vec<f64>>) {
    let xor = Xor::<f64>::new(InputCoding::Bipolar);
    let data = xor.samples();
    let mut ns = nets(spec, k);
    let n = spec.n_weights();
    let t0 = Instant::now();
    for net in ns.iter_mut() {
        match rule {
            Rule::Adam => epochs(net, &mut adam(n), &data, n_epochs),
            Rule::Sd => epochs(net, &mut sd(n), &data, n_epochs),
            Rule::Jacobian => jacobians(net, &data, n_epochs),
        }
    }
    let s = t0.elapsed().as_secs_f64();
    (s, ns.iter().map(|n| n.weights().to_vec()).collect())
}

/// Seconds for the same K trials in lock-step; lane k's final weights.
fn run_lanes<const K: usize>(
    spec: ResNetSpec,
    rule: Rule,
    n_epochs: usize,
) -> (f64, Vec<Vec<f64>>) {
    let xor = Xor::<f64>::new(InputCoding::Bipolar);
    let d = xor.samples();
    let xs: Vec<Lanes<K>> = d
        .iter()
        .flat_map(|(x, _)| x.iter().map(|v| Lanes::from_f64(*v)))
        .collect();
    let ys: Vec<Lanes<K>> = d
        .iter()
        .flat_map(|(_, y)| y.iter().map(|v| Lanes::from_f64(*v)))
        .collect();
    let data = Samples::new(&xs, d.n_inputs(), &ys, d.n_outputs()).unwrap();
    let mut net = lane_net::<K>(spec, &nets(spec, K));
    let n = spec.n_weights();
    let t0 = Instant::now();
    match rule {
        Rule::Adam => epochs(&mut net, &mut adam(n), &data, n_epochs),
        Rule::Sd => epochs(&mut net, &mut sd(n), &data, n_epochs),
        Rule::Jacobian => jacobians(&mut net, &data, n_epochs),
    }
    let s = t0.elapsed().as_secs_f64();
    let w = (0..K)
        .map(|k| net.weights().iter().map(|l| l.0[k]).collect())
        .collect();
    (s, w)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut layers, mut n_epochs, mut repeats) = (1001usize, 100usize, 7usize);
    while let Some(a) = args.next() {
        let v: usize = args.next().and_then(|v| v.parse().ok()).expect("a number");
        match a.as_str() {
            "--layers" => layers = v,
            "--epochs" => n_epochs = v,
            "--repeats" => repeats = v,
            _ => panic!("unknown flag {a}"),
        }
    }
    let spec = ResNetSpec::xor(layers).unwrap();
    println!("| rule | K | scalar ×K (s) | lanes (s) | ratio | bits |");
    println!("|---|---|---|---|---|---|");
    for rule in [Rule::Jacobian, Rule::Sd, Rule::Adam] {
        let name = match rule {
            Rule::Adam => "adam",
            Rule::Sd => "sd",
            Rule::Jacobian => "jacobian",
        };
        for k in [2usize, 4, 8] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let mut same = true;
            for _ in 0..repeats {
                let (sa, wa) = run_scalar(spec, k, rule, n_epochs);
                let (sb, wb) = match k {
                    2 => run_lanes::<2>(spec, rule, n_epochs),
                    4 => run_lanes::<4>(spec, rule, n_epochs),
                    _ => run_lanes::<8>(spec, rule, n_epochs),
                };
                same &= wa
                    .iter()
                    .zip(&wb)
                    .all(|(x, y)| x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()));
                a.push(sa);
                b.push(sb);
            }
            let (ma, mb) = (median(a), median(b));
            println!(
                "| {name} | {k} | {ma:.3} | {mb:.3} | {:.2} | {} |",
                ma / mb,
                if same { "same" } else { "DIFFER" }
            );
        }
    }
}
