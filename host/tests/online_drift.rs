//! Online learning on a drifting target with the bounded-memory
//! covariances (issue 15): a small copy of the loop of
//! `host/examples/online_drift.rs`, through the same core API — the same
//! stream, network, filter settings and Cholesky check.
//!
//! The default tests run L = 21 for 20 000 updates. The issue's runs
//! (L = 101, 10⁶ updates: the window; neuron blocks, which need process
//! noise in f32 — without it a block fails the check after 126 746
//! updates, also a test here; minutes in release) are `#[ignore]`d:
//!
//! ```text
//! cargo test --release -p host --test online_drift -- --ignored
//! ```

use hinf::{
    BlockCovariance, BlockLayout, Blocking, Covariance, Error, FactoredShape, GEhf, GEhfConfig,
    InfoWindow, PAPER_INIT_RANGE, Regularization, ResNet, ResNetSpec, packed_len,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The example's drift period T, in updates.
const PERIOD: f64 = 100_000.0;

/// The updates at the end of a run whose errors are compared.
const TAIL: u64 = 5_000;

/// The example's target `0.5 + 0.35 sin(3 x1 + 2 x2 + 2π t / T)`, x
/// uniform in [0, 1]².
fn sample(rng: &mut impl Rng, t: u64) -> ([f32; 2], f32) {
    let mut u = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let x = [u(), u()];
    let phase = 3.0 * x[0] + 2.0 * x[1] + std::f64::consts::TAU * t as f64 / PERIOD;
    (
        [x[0] as f32, x[1] as f32],
        (0.5 + 0.35 * phase.sin()) as f32,
    )
}

/// What a run counted.
#[derive(Debug, Default)]
struct Outcome {
    steps: u64,
    refusals: u64,
    checks: u64,
    failed_checks: u64,
    /// Σ e², Σ y, Σ y² over the last [`TAIL`] updates.
    tail: [f64; 3],
}

impl Outcome {
    /// The RMS a-priori error and the best constant's RMS error over the tail.
    fn errors(&self) -> (f64, f64) {
        let n = TAIL as f64;
        let [e2, y, y2] = self.tail;
        let mean = y / n;
        ((e2 / n).sqrt(), (y2 / n - mean * mean).max(0.0).sqrt())
    }
}

/// The filter's settings: ε0 and the process noise q (`P ← P + qI`).
#[derive(Debug, Clone, Copy)]
struct Settings {
    eps0: f64,
    q: f64,
}

/// The printed step's ε0 = 10, no process noise.
const PRINTED: Settings = Settings { eps0: 10.0, q: 0.0 };

/// ε0 = 10 with process noise q = 10⁻⁴.
const NOISY: Settings = Settings {
    eps0: 10.0,
    q: 1e-4,
};

/// `updates` g-EHF steps of an f32 `ResNetSpec::xor(layers)` net on the
/// stream (printed step, γ_f = 1.7, seed 1) from `P = ε0 I` in `cov`
/// (`GEhf::new` resets it to ε0), checked by Cholesky (in a scratch of
/// `scratch` elements) after every update. Panics on an error other than
/// a refusal.
fn run<C: Covariance<f32>>(
    layers: usize,
    updates: u64,
    settings: Settings,
    cov: C,
    scratch: usize,
) -> Outcome {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut net = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, PAPER_INIT_RANGE).unwrap();
    let n = spec.n_weights();
    let config = GEhfConfig {
        eps0: settings.eps0,
        ..GEhfConfig::default()
    };
    let mut filter = GEhf::new(config, cov, vec![0.0f32; n])
        .unwrap()
        .with_regularization(Regularization::process_noise(settings.q))
        .unwrap();
    let mut scratch = vec![0.0f32; scratch];
    let mut o = Outcome::default();
    for t in 0..updates {
        let (x, y) = sample(&mut rng, t);
        let e = match filter.step(&mut net, &x, &[y]) {
            Ok(r) => r.error,
            Err(Error::Diverged { .. }) => {
                o.refusals += 1;
                y - net.forward(&x).unwrap()[0]
            }
            Err(e) => panic!("update {t}: {e}"),
        };
        o.checks += 1;
        if !filter
            .covariance()
            .is_positive_definite(&mut scratch)
            .unwrap()
        {
            o.failed_checks += 1;
        }
        if t >= updates - TAIL {
            let (e, y) = (f64::from(e), f64::from(y));
            o.tail = [o.tail[0] + e * e, o.tail[1] + y, o.tail[2] + y * y];
        }
    }
    o.steps = filter.health().steps;
    o
}

/// A run with the window `InfoWindow` of r samples at depth L, its rows
/// by their per-neuron factors (as `--covariance info-window`).
fn window_run(layers: usize, r: usize, settings: Settings, updates: u64) -> Outcome {
    let shape = FactoredShape::new(&ResNetSpec::xor(layers).unwrap(), r);
    let cov = InfoWindow::factored(shape, 1.0f32, vec![0.0f32; shape.storage_len()]).unwrap();
    run(
        layers,
        updates,
        settings,
        cov,
        packed_len(shape.window().rows()),
    )
}

/// A run with neuron blocks at depth L.
fn blocks_run(layers: usize, settings: Settings, updates: u64) -> Outcome {
    let spec = ResNetSpec::xor(layers).unwrap();
    let k = Blocking::PerNeuron;
    let layout = BlockLayout::per_neuron(&spec, vec![0; k.layout_len(&spec)]).unwrap();
    let largest = (0..layout.blocks())
        .filter_map(|j| layout.block(j))
        .map(|b| packed_len(b.len()))
        .max()
        .unwrap();
    let cov = BlockCovariance::new(layout, 1.0f32, vec![0.0f32; k.packed_len(&spec)]).unwrap();
    run(layers, updates, settings, cov, largest)
}

/// `P` passed every check, every update was a step or a refusal, and the
/// last updates' RMS error is below `ratio` times the best constant's.
fn assert_tracks(o: &Outcome, updates: u64, ratio: f64) {
    assert_eq!((o.checks, o.failed_checks), (updates, 0), "{o:?}");
    assert_eq!(o.steps + o.refusals, updates, "{o:?}");
    let (rms, constant) = o.errors();
    assert!(
        rms < ratio * constant,
        "RMS error {rms} vs the constant's {constant}"
    );
}

#[test]
fn window_tracks_the_drift_with_p_positive_definite() {
    let o = window_run(21, 8, PRINTED, 20_000);
    assert_tracks(&o, 20_000, 0.25);
}

#[test]
fn neuron_blocks_track_the_drift_with_p_positive_definite() {
    let o = blocks_run(21, PRINTED, 20_000);
    assert_tracks(&o, 20_000, 0.25);
}

/// The criterion can fail: a learner whose gain vanishes (ε0 = 10⁻⁹)
/// stays near its initial output, no better than the best constant.
#[test]
fn a_learner_that_does_not_learn_fails_the_criterion() {
    let o = window_run(21, 8, Settings { eps0: 1e-9, q: 0.0 }, 20_000);
    let (rms, constant) = o.errors();
    assert!(rms > 0.5 * constant, "{rms} vs {constant}");
}

#[test]
#[ignore = "issue 15's run: L = 101, 10⁶ updates; minutes in --release"]
fn window_r8_a_million_updates_at_l101() {
    let o = window_run(101, 8, PRINTED, 1_000_000);
    assert_tracks(&o, 1_000_000, 0.25);
}

/// Without process noise a neuron block's `P_j` collapses along the
/// directions its Jacobians keep visiting and stays near ε0 along the
/// others; in f32 the Cholesky check fails once its condition number
/// passes about 10⁸ (docs/bounded.md: first after update 126 746).
#[test]
#[ignore = "issue 15's run: L = 101, 130 000 updates; seconds in --release"]
fn neuron_blocks_without_process_noise_lose_positive_definiteness_at_l101() {
    let o = blocks_run(101, PRINTED, 130_000);
    assert!(o.failed_checks > 0, "{o:?}");
}

/// With process noise q = 10⁻⁴ (`P_j ⪰ qI`) every check passes.
#[test]
#[ignore = "issue 15's run: L = 101, 10⁶ updates; minutes in --release"]
fn neuron_blocks_with_process_noise_a_million_updates_at_l101() {
    let o = blocks_run(101, NOISY, 1_000_000);
    assert_tracks(&o, 1_000_000, 0.25);
}
