//! Deep-net timings at L = 1001 (N_w = 27,466): an Adam and a
//! steepest-descent epoch, forward + Jacobian, `P·h` and one g-EHF step
//! with the structured `P` and the information form after k updates, and
//! a whole H∞ trial. The machine's own limits they are set beside are
//! `--bench limits` (docs/performance.md, *How far from the limit*).
//!
//! `cargo bench -p host --bench deep`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hinf::{
    Adam, AdamConfig, Covariance, GEhf, GEhfConfig, IsotropicCovariance, Optimizer, ResNet,
    ResNetSpec, Xor,
};
use host::learn::InformationCovariance;
use host::{StructuredCovariance, TrialSpec};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

const L: usize = 1001;

fn net() -> ResNet<f64, Vec<f64>> {
    let spec = ResNetSpec::xor(L).unwrap();
    let mut net = ResNet::new(spec, vec![0.0; spec.lanes_buffer_len()]).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
    net
}

fn xor() -> Xor<f64> {
    Xor::new(hinf::InputCoding::default())
}

/// The network and a g-EHF with covariance `C`.
type Trained<C> = (ResNet<f64, Vec<f64>>, GEhf<f64, C, Vec<f64>>);

/// A filter with covariance `p` after `k` real g-EHF steps from the
/// paper's initialisation.
fn filter_after<C: Covariance<f64>>(k: usize, p: C) -> Trained<C> {
    let mut net = net();
    let nw = net.spec().n_weights();
    let mut f = GEhf::new(GEhfConfig::default(), p, vec![0.0; nw]).unwrap();
    let x = xor();
    let data = x.samples();
    for i in 0..k {
        let (xi, yi) = data.get(i % 4).expect("a sample in range");
        f.step(&mut net, xi, yi).unwrap();
    }
    (net, f)
}

/// `P·h` and one g-EHF step after k = 0, 50, 100 updates, as
/// `NAME_Ph_k…` and `hinf_step_NAME_k…`.
fn steps_after<C: Covariance<f64> + Clone>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    make: impl Fn() -> C,
) {
    for k in [0usize, 50, 100] {
        let (mut net, f) = filter_after(k, make());
        let h = net.jacobian(&[1.0, 1.0]).unwrap().1.to_vec();
        let mut u = vec![0.0; h.len()];
        g.bench_function(format!("{name}_Ph_k{k}"), |b| {
            b.iter(|| {
                f.covariance().mul_vec(black_box(&h), &mut u);
                black_box(u[3])
            })
        });
        g.bench_function(format!("hinf_step_{name}_k{k}"), |b| {
            b.iter_batched(
                || f.clone(),
                |mut f| {
                    black_box(f.step(&mut net, &[1.0, 1.0], &[0.0]).unwrap());
                    f
                },
                BatchSize::LargeInput,
            )
        });
    }
}

/// One epoch as the training loop runs it: the 4 per-sample steps, then
/// the after-epoch evaluation of the 4 patterns.
fn epoch(
    opt: &mut impl Optimizer<f64>,
    net: &mut ResNet<f64, Vec<f64>>,
    data: &hinf::Samples<'_, f64>,
) -> hinf::ErrorStats {
    for k in 0..4 {
        let (xi, yi) = data.get(k).expect("a sample in range");
        opt.observe(net, xi, yi).unwrap();
    }
    opt.end_epoch(net).unwrap();
    net.evaluate(data).unwrap()
}

fn deep(c: &mut Criterion) {
    let mut g = c.benchmark_group("L1001");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    // One Adam epoch as the training loop runs it (`epoch`).
    {
        let mut net = net();
        let nw = net.spec().n_weights();
        let mut adam = Adam::new(AdamConfig::default(), nw, vec![0.0; 3 * nw]).unwrap();
        let x = xor();
        let data = x.samples();
        g.bench_function("adam_epoch", |b| {
            b.iter(|| black_box(epoch(&mut adam, &mut net, &data)))
        });
        g.bench_function("adam_steps_only", |b| {
            b.iter(|| {
                for k in 0..4 {
                    let (xi, yi) = data.get(k).expect("a sample in range");
                    adam.observe(&mut net, xi, yi).unwrap();
                }
            })
        });
    }

    {
        let mut net = net();
        g.bench_function("forward", |b| {
            b.iter(|| black_box(net.forward(black_box(&[1.0, -1.0])).unwrap()[0]))
        });
        let x = xor();
        let data = x.samples();
        g.bench_function("evaluate_4_lock_step", |b| {
            b.iter(|| black_box(net.evaluate(&data).unwrap()))
        });
        let spec = *net.spec();
        let mut one = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        one.set_weights(net.weights()).unwrap();
        g.bench_function("evaluate_4_one_at_a_time", |b| {
            b.iter(|| black_box(one.evaluate(&data).unwrap()))
        });
        g.bench_function("forward_jacobian", |b| {
            b.iter(|| black_box(net.jacobian(black_box(&[1.0, -1.0])).unwrap().1[7]))
        });
    }

    // One steepest-descent epoch (P = ε0 I), as the training loop runs it.
    {
        let mut net = net();
        let nw = net.spec().n_weights();
        let cfg = GEhfConfig::default();
        let p = IsotropicCovariance::new(nw, cfg.eps0).unwrap();
        let mut sd = GEhf::new(cfg, p, vec![0.0; nw]).unwrap();
        let x = xor();
        let data = x.samples();
        g.bench_function("sd_epoch", |b| {
            b.iter(|| black_box(epoch(&mut sd, &mut net, &data)))
        });
    }

    let spec = ResNetSpec::xor(L).unwrap();
    let eps0 = GEhfConfig::default().eps0;
    steps_after(&mut g, "structured", || {
        StructuredCovariance::new(spec.n_weights(), eps0)
    });
    steps_after(&mut g, "info", || {
        InformationCovariance::new(&spec, eps0).unwrap()
    });

    // 25 epochs (100 g-EHF steps), about the paper's H∞ trial at L = 1001,
    // whether or not the current defaults converge by then.
    let spec = TrialSpec {
        layers: L,
        max_epochs: 25,
        ..TrialSpec::default()
    };
    g.bench_function("hinf_trial_25_epochs", |b| {
        b.iter(|| {
            black_box(
                host::run_trial(&spec, host::trial_seed(1, 0), 0)
                    .unwrap()
                    .epochs,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, deep);
criterion_main!(benches);
