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
//!     [--trust-region] [--f32] [--only exact,neuron,layer,sd,w4,w8,w16,w32,t8,t32]
//! ```
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
}

impl Kind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exact" => Kind::Exact,
            "sd" => Kind::Sd,
            "neuron" => Kind::Neuron,
            "layer" => Kind::Layer,
            other => match other.strip_prefix('t') {
                Some(r) => Kind::Terms(r.parse().ok()?),
                None => Kind::Window(other.strip_prefix('w')?.parse().ok()?),
            },
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
    };
    result.unwrap_or(Outcome {
        converged: false,
        epochs: 0,
        class: Some(FailureClass::Diverged),
    })
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
                    .map(|k| Kind::parse(k).expect("exact, sd, neuron, layer, wR or tR"))
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
