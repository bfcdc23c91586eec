//! The host adds storage and orchestration, not a second network: a trial run
//! by the host (Vec storage, structured P, seeds derived from a base seed)
//! must equal the same trial written directly against the core (packed P).

use hinf::*;
use host::run::{run_trial, trial_seed};
use host::settings::{CovarianceKind, Method, TrialSpec};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The core alone: the paper's recipe, written out step by step.
fn core_only(layers: usize, seed: u64) -> (TrainOutcome, Vec<f64>) {
    let spec = ResNetSpec::xor(layers).unwrap();
    let n = spec.n_weights();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(spec, vec![0.0f64; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, PAPER_INIT_RANGE).unwrap();
    let p = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut filter = GEhf::new(GEhfConfig::default(), p, vec![0.0; n]).unwrap();
    let xor = Xor::<f64>::new(InputCoding::default());
    let cfg = TrainConfig {
        max_epochs: 300,
        ..TrainConfig::default()
    };
    let mut curve = Vec::new();
    let outcome = train(
        &mut net,
        &mut filter,
        &xor.samples(),
        &cfg,
        &mut rng,
        &mut [0; 4],
        |e| {
            curve.push(e.error);
            true
        },
    )
    .unwrap();
    (outcome, curve)
}

#[test]
fn host_trials_equal_core_only_trials() {
    for layers in [5, 7, 9] {
        for index in 0..4 {
            let seed = trial_seed(42, index);
            let (outcome, curve) = core_only(layers, seed);
            let spec = TrialSpec {
                method: Method::Hinf,
                layers,
                max_epochs: 300,
                covariance: CovarianceKind::Structured,
                ..TrialSpec::default()
            };
            let host = run_trial(&spec, seed, index).unwrap();
            assert_eq!(host.epochs, outcome.epochs, "L = {layers}, trial {index}");
            assert_eq!(host.converged, outcome.converged);
            assert_eq!(host.curve.len(), curve.len());
            for (a, b) in host.curve.iter().zip(&curve) {
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1e-6),
                    "L = {layers}, trial {index}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn trial_seeds_do_not_depend_on_the_thread_count() {
    // Seeds are a pure function of (base seed, trial index).
    let a: Vec<u64> = (0..8).map(|i| trial_seed(7, i)).collect();
    let b: Vec<u64> = (0..8).rev().map(|i| trial_seed(7, i)).rev().collect();
    assert_eq!(a, b);
    let mut sorted = a.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), a.len(), "seeds must differ between trials");
}
