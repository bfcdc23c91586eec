//! Probe (not part of the harness; issue 15, first measurement): XOR
//! trials of H∞-learning with the bounded-memory covariances of the core
//! — `BlockCovariance` per neuron and per layer (the l-EHF read as the
//! printed step restricted to diagonal blocks) and `InfoWindow` (eq. 7 over
//! the last r samples) and `TermWindow` (the last r terms of the
//! structured `ε0 I − Σ c_i u_i u_iᵀ`) — beside the exact filter, run exactly as `hinf
//! train` runs a trial (same seeds, initialisation, stopping rule, failure
//! classes, fixed-point shortcut: the host's `Driver`), only the covariance
//! differs. The exact row uses the host's default covariance and is checked
//! against `host::run_trial` on the first trials.
//!
//! ```text
//! cargo run --release -p host --example bounded_probe -- \
//!     [--layers 5,21] [--trials 100] [--cap 300] [--seed 1] [--threads 1] \
//!     [--trust-region] [--f32] [--only exact,neuron,layer,residual,sd,w8,t32,m8]
//! ```
//!
//! `residual` cuts `P` into one block per residual block (the two weight
//! matrices of a sigmoid layer and the shortcut layer after it; the first
//! and last matrices alone), and `mR` mixes the neuron blocks with a window
//! of the last R whole downdates: `P = B − Σ_{last R} c_i u_i u_iᵀ`, a term
//! leaving the window going into the blocks restricted to them ([`Mixed`]).
//! Both exist only here, to measure them.
//!
//! `--trust-region` runs every covariance with the trust-region extension
//! at ε0 = 1000 (the setting of docs/extension-notes.md), otherwise the
//! printed step at the default ε0 = 10. Prints one Markdown table per
//! depth: trials converged, mean ± sd epochs of the converged ones, the
//! failure classes, and P's storage in numbers.
use std::time::Instant;

use hinf::{
    BlockCovariance, BlockLayout, Blocking, Covariance, GEhf, InfoWindow, Real, ResNet, ResNetSpec,
    TermWindow, TermWindowShape, WindowShape, Xor,
};
use host::StructuredCovariance;
use host::learn::{Driver, FailureClass, RunMode, Tracker, WithOptimizer};
use host::run::{learner_spec, run_trial, trial_seed};
use host::settings::{CovarianceKind, ExtensionKind, Method, Precision, TrialSpec};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// The covariances compared.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// The exact filter (the host's structured `P`, as `hinf train`).
    Exact,
    /// Steepest descent (`P = ε0 I`), as `hinf train --method sd`.
    Sd,
    /// One block per neuron.
    Neuron,
    /// One block per weight matrix.
    Layer,
    /// The information form over the last r samples.
    Window(usize),
    /// The last r terms of the structured `P` (`tR`).
    Terms(usize),
    /// One block per residual block.
    Residual,
    /// Neuron blocks under a window of the last r whole downdates (`mR`).
    Mixed(usize),
}

impl Kind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exact" => Kind::Exact,
            "sd" => Kind::Sd,
            "neuron" => Kind::Neuron,
            "layer" => Kind::Layer,
            "residual" => Kind::Residual,
            other => {
                let (tag, r) = other.split_at(1);
                let r = r.parse().ok()?;
                match tag {
                    "t" => Kind::Terms(r),
                    "w" => Kind::Window(r),
                    "m" => Kind::Mixed(r),
                    _ => return None,
                }
            }
        })
    }
    fn name(self) -> String {
        match self {
            Kind::Exact => "exact g-EHF (structured P)".into(),
            Kind::Sd => "steepest descent (P = ε0 I)".into(),
            Kind::Neuron => "neuron blocks".into(),
            Kind::Layer => "layer blocks".into(),
            Kind::Window(r) => format!("info window r = {r}"),
            Kind::Terms(r) => format!("structured window r = {r}"),
            Kind::Residual => "residual-block blocks".into(),
            Kind::Mixed(r) => format!("neuron blocks + {r} whole downdates"),
        }
    }
    /// Numbers of `T` that hold P (the exact filter's grows, per sample).
    fn storage(self, spec: &ResNetSpec) -> String {
        let n = spec.n_weights();
        match self {
            Kind::Exact => format!("≤ {}", spec.n_packed()),
            Kind::Sd => "1".into(),
            Kind::Neuron => Blocking::PerNeuron.packed_len(spec).to_string(),
            Kind::Layer => Blocking::PerLayer.packed_len(spec).to_string(),
            Kind::Window(r) => WindowShape::new(n, r, 1).storage_len().to_string(),
            Kind::Terms(r) => TermWindowShape::new(n, r).storage_len().to_string(),
            Kind::Residual => residual_bounds(spec)
                .windows(2)
                .map(|w| hinf::packed_len(w[1] - w[0]))
                .sum::<usize>()
                .to_string(),
            Kind::Mixed(r) => (Blocking::PerNeuron.packed_len(spec) + r * (n + 1)).to_string(),
        }
    }
}

/// What one trial gave.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    converged: bool,
    epochs: u32,
    class: Option<FailureClass>,
}

/// One trial as `host::run` runs it, with the covariance `cov`.
fn trial<T: Real, C: Covariance<T>>(spec: &TrialSpec, seed: u64, cov: C) -> hinf::Result<Outcome> {
    let net_spec = spec.net_spec()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(net_spec, vec![T::ZERO; net_spec.lanes_buffer_len()])?;
    net.init_uniform(&mut rng, spec.init_range)?;
    let (low, high) = spec.variant.targets.values();
    let xor = Xor::<T>::with_targets(spec.inputs.into(), low, high);
    let data = xor.samples();
    let config = spec.train_config();
    let mut tracker = Tracker::new(xor.targets.iter().map(|t| t.to_f64()).collect());
    let ls = learner_spec(spec)?;
    let filter = GEhf::new(ls.gehf, cov, vec![T::ZERO; ls.scratch])?
        .with_extension(ls.extension)?
        .with_regularization(ls.regularization)?;
    let driver = Driver {
        net: &mut net,
        data,
        config,
        rng: &mut rng,
        tracker: &mut tracker,
        mode: RunMode::Shortcut,
        on_epoch: None,
    };
    let driven = driver.run(filter)?;
    let (epochs, converged, diverged) = match driven.outcome {
        Ok(o) => (o.epochs, o.converged, !o.final_error.is_finite()),
        Err(_) => (driven.curve.len().saturating_sub(1) as u32, false, true),
    };
    let (class, _) = tracker.classify(converged, diverged, epochs);
    Ok(Outcome {
        converged,
        epochs,
        class,
    })
}

fn run(kind: Kind, spec: &TrialSpec, seed: u64) -> Outcome {
    match spec.precision {
        Precision::F64 => run_in::<f64>(kind, spec, seed),
        Precision::F32 => run_in::<f32>(kind, spec, seed),
    }
}

fn run_in<T: Real>(kind: Kind, spec: &TrialSpec, seed: u64) -> Outcome {
    let net = spec.net_spec().expect("a valid depth");
    let n = net.n_weights();
    let eps0 = T::from_f64(spec.effective_eps0().expect("a valid depth"));
    let result = match kind {
        Kind::Exact => trial::<T, _>(spec, seed, StructuredCovariance::new(n, eps0)),
        Kind::Sd => {
            let sd = TrialSpec {
                method: Method::Sd,
                ..*spec
            };
            let r = run_trial(&sd, seed, 0).expect("a steepest-descent trial");
            return Outcome {
                converged: r.converged,
                epochs: r.epochs,
                class: r.class,
            };
        }
        Kind::Neuron | Kind::Layer => {
            let blocking = if kind == Kind::Neuron {
                Blocking::PerNeuron
            } else {
                Blocking::PerLayer
            };
            let layout = BlockLayout::standard(blocking, &net, vec![0; blocking.layout_len(&net)])
                .expect("a layout");
            let cov = BlockCovariance::new(layout, eps0, vec![T::ZERO; blocking.packed_len(&net)])
                .expect("a block covariance");
            trial::<T, _>(spec, seed, cov)
        }
        Kind::Window(r) => {
            let shape = WindowShape::new(n, r, 1);
            let cov =
                InfoWindow::new(shape, eps0, vec![T::ZERO; shape.storage_len()]).expect("a window");
            trial::<T, _>(spec, seed, cov)
        }
        Kind::Terms(r) => {
            let shape = TermWindowShape::new(n, r);
            let cov = TermWindow::new(shape, eps0, vec![T::ZERO; shape.storage_len()])
                .expect("a term window");
            trial::<T, _>(spec, seed, cov)
        }
        Kind::Residual => {
            let bounds = residual_bounds(&net);
            let k = bounds.len() - 1;
            let layout =
                BlockLayout::from_bounds(&net, &bounds, vec![0; hinf::block_layout_len(k)])
                    .expect("a layout");
            let len = layout.packed_len();
            let cov = BlockCovariance::new(layout, eps0, vec![T::ZERO; len]).expect("blocks");
            trial::<T, _>(spec, seed, cov)
        }
        Kind::Mixed(r) => trial::<T, _>(spec, seed, Mixed::new(&net, eps0, r)),
    };
    result.unwrap_or(Outcome {
        converged: false,
        epochs: 0,
        class: Some(FailureClass::Diverged),
    })
}

/// Block boundaries, one block per residual block: a sigmoid layer's
/// matrix together with the shortcut (identity) matrix after it; any other
/// matrix alone.
fn residual_bounds(spec: &ResNetSpec) -> Vec<usize> {
    let mut bounds = vec![0];
    let mut t = 1;
    while let Some(tr) = spec.transition(t) {
        let shortcut_next = spec.transition(t + 1).is_some_and(|next| !next.sigmoid);
        if !(tr.sigmoid && shortcut_next) {
            bounds.push(tr.offset + tr.len());
        }
        t += 1;
    }
    bounds
}

/// Neuron blocks `B` under a window of the last r whole downdates:
/// `P = B − Σ_{last r} c_i u_i u_iᵀ`. A term that leaves the window is
/// downdated into `B` restricted to its blocks (so `P` keeps its diagonal
/// but loses the term's off-block part); nothing keeps `P` positive
/// definite but the filter's diagonal check.
#[derive(Debug, Clone)]
struct Mixed<T: Real> {
    blocks: BlockCovariance<T, Vec<usize>, Vec<T>>,
    terms: std::collections::VecDeque<(T, Vec<T>)>,
    memory: usize,
}

impl<T: Real> Mixed<T> {
    fn new(spec: &ResNetSpec, eps0: T, memory: usize) -> Self {
        let k = Blocking::PerNeuron;
        let layout = BlockLayout::standard(k, spec, vec![0; k.layout_len(spec)]).expect("a layout");
        let blocks =
            BlockCovariance::new(layout, eps0, vec![T::ZERO; k.packed_len(spec)]).expect("blocks");
        Self {
            blocks,
            terms: Default::default(),
            memory,
        }
    }
}

impl<T: Real> Covariance<T> for Mixed<T> {
    fn dim(&self) -> usize {
        self.blocks.dim()
    }

    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        self.blocks.mul_vec(v, out);
        for (c, u) in &self.terms {
            let g = *c * u.iter().zip(v).fold(T::ZERO, |a, (x, y)| a + *x * *y);
            out.iter_mut().zip(u).for_each(|(o, x)| *o -= g * *x);
        }
    }

    fn downdate(&mut self, c: T, u: &[T]) {
        self.terms.push_back((c, u[..self.dim()].to_vec()));
        if self.terms.len() > self.memory
            && let Some((c0, u0)) = self.terms.pop_front()
        {
            self.blocks.downdate(c0, &u0);
        }
    }

    fn reset(&mut self, eps0: T) {
        self.blocks.reset(eps0);
        self.terms.clear();
    }

    fn get(&self, i: usize, j: usize) -> T {
        let terms = self.terms.iter().map(|(c, u)| *c * u[i] * u[j]);
        terms.fold(self.blocks.get(i, j), |x, t| x - t)
    }

    /// The diagonal after the push (folding a term into the blocks keeps
    /// its diagonal).
    fn downdate_diagonal_bounds(&self, c: T, u: &[T]) -> Option<(T, T)> {
        let bounds = (0..self.dim()).map(|i| self.get(i, i) - c * u[i] * u[i]);
        let lo_hi = |(lo, hi): (T, T), d: T| (if d >= lo { lo } else { d }, hi.max(d));
        bounds.fold(None, |b, d| Some(b.map_or((d, d), |b| lo_hi(b, d))))
    }
}

fn main() {
    let mut layers = vec![5, 21];
    let mut trials = 100;
    let mut cap = 300;
    let mut seed = 1u64;
    let mut threads = 1;
    let mut trust_region = false;
    let mut precision = Precision::F64;
    let mut kinds: Vec<Kind> = ["exact", "sd", "neuron", "layer", "w4", "w8", "w16", "w32"]
        .iter()
        .filter_map(|s| Kind::parse(s))
        .collect();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--layers" => layers = value().split(',').map(|l| l.parse().expect("L")).collect(),
            "--trials" => trials = value().parse().expect("T"),
            "--cap" => cap = value().parse().expect("epochs"),
            "--seed" => seed = value().parse().expect("seed"),
            "--threads" => threads = value().parse().expect("threads"),
            "--trust-region" => trust_region = true,
            "--f32" => precision = Precision::F32,
            "--only" => {
                kinds = value()
                    .split(',')
                    .map(|k| {
                        Kind::parse(k).expect("exact, sd, neuron, layer, residual, wR, tR or mR")
                    })
                    .collect()
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    println!(
        "XOR, {trials} trials (seeds splitmix64({seed} ^ i)), cap {cap} epochs, {}, {}\n",
        if precision == Precision::F32 {
            "f32"
        } else {
            "f64"
        },
        if trust_region {
            "trust-region extension, eps0 = 1000"
        } else {
            "printed step, eps0 = 10"
        }
    );
    for &l in &layers {
        let mut spec = TrialSpec {
            layers: l,
            max_epochs: cap,
            precision,
            ..TrialSpec::default()
        };
        if trust_region {
            spec.eps0 = hinf::EXTENSION_EPS0;
            spec.variant.extension = ExtensionKind::TrustRegion;
        }
        let net = spec.net_spec().expect("a valid depth");
        // The exact row is `hinf train`'s trial: check it on the first seeds.
        if kinds.contains(&Kind::Exact) {
            for i in 0..trials.min(3) {
                let s = trial_seed(seed, i);
                let mine = run(Kind::Exact, &spec, s);
                let host = run_trial(
                    &TrialSpec {
                        covariance: CovarianceKind::Structured,
                        ..spec
                    },
                    s,
                    i,
                )
                .expect("a trial");
                assert_eq!(
                    (mine.converged, mine.epochs),
                    (host.converged, host.epochs),
                    "the probe's exact trial is host::run_trial's"
                );
            }
        }
        println!("L = {l} (N_w = {})\n", net.n_weights());
        println!(
            "| covariance | P (numbers) | converged | epochs (mean ± sd) | stuck | saturated | diverged | slow | s |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for &kind in &kinds {
            let start = Instant::now();
            let outcomes: Vec<Outcome> = pool.install(|| {
                (0..trials)
                    .into_par_iter()
                    .map(|i| run(kind, &spec, trial_seed(seed, i)))
                    .collect()
            });
            let secs = start.elapsed().as_secs_f64();
            let done: Vec<f64> = outcomes
                .iter()
                .filter(|o| o.converged)
                .map(|o| f64::from(o.epochs))
                .collect();
            let mean = done.iter().sum::<f64>() / done.len().max(1) as f64;
            let sd = if done.len() > 1 {
                (done.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (done.len() - 1) as f64)
                    .sqrt()
            } else {
                0.0
            };
            let count = |c: FailureClass| outcomes.iter().filter(|o| o.class == Some(c)).count();
            let epochs = if done.is_empty() {
                "–".to_string()
            } else {
                format!("{mean:.1} ± {sd:.1}")
            };
            println!(
                "| {} | {} | {}/{trials} | {epochs} | {} | {} | {} | {} | {secs:.1} |",
                kind.name(),
                kind.storage(&net),
                done.len(),
                count(FailureClass::Stuck),
                count(FailureClass::Saturated),
                count(FailureClass::Diverged),
                count(FailureClass::Slow),
            );
        }
        println!();
    }
}
