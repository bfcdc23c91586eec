//! The cost of each covariance (docs/bounded.md): one g-EHF step at
//! L = 5, 101 and 1001 in f64 and f32, from a filter that has taken 40
//! steps (10 epochs of XOR), for the exact structured `P` and information
//! form (`--covariance info`), the per-neuron
//! and per-layer blocks, the structured window (R = 32) and the
//! information window (R = 8 and 16, rows by
//! their factors, as `--covariance info-window` builds it); and a 25-epoch
//! XOR trial at L = 1001 for each, as `hinf train` runs it (trust region,
//! ε0 = 1000, no early stop), also with the structured window (R = 32).
//!
//! `cargo bench -p host --bench bounded`

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use hinf::{
    BlockCovariance, BlockLayout, Blocking, Covariance, FactoredShape, GEhf, GEhfConfig,
    InfoWindow, Real, ResNet, ResNetSpec, TermWindow, TermWindowShape, Xor,
};
use host::settings::{CovarianceKind, ExtensionKind, Variant};
use host::{StructuredCovariance, TrialSpec};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Samples taken before the timed step.
const WARM: usize = 40;

fn net<T: Real>(layers: usize) -> ResNet<T, Vec<T>> {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.lanes_buffer_len()]).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
    net
}

/// Times one step of a filter over `p` after [`WARM`] steps.
fn bench_step<T: Real, C: Covariance<T> + Clone>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    layers: usize,
    p: C,
) {
    let mut net = net::<T>(layers);
    let nw = net.spec().n_weights();
    let mut f = GEhf::new(GEhfConfig::default(), p, vec![T::ZERO; nw]).unwrap();
    let xor = Xor::<T>::new(hinf::InputCoding::default());
    let data = xor.samples();
    for i in 0..WARM {
        let (x, y) = data.get(i % 4).unwrap();
        f.step(&mut net, x, y).unwrap();
    }
    let (x, y) = data.get(WARM % 4).unwrap();
    g.bench_function(format!("{name}_L{layers}"), |b| {
        b.iter_batched(
            || f.clone(),
            |mut f| {
                black_box(f.step(&mut net, x, y).unwrap());
                f
            },
            BatchSize::LargeInput,
        )
    });
}

fn blocks<T: Real>(
    blocking: Blocking,
    spec: &ResNetSpec,
) -> BlockCovariance<T, Vec<usize>, Vec<T>> {
    let layout = BlockLayout::standard(blocking, spec, vec![0; blocking.layout_len(spec)]).unwrap();
    let eps0 = T::from_f64(hinf::DEFAULT_EPS0);
    BlockCovariance::new(layout, eps0, vec![T::ZERO; blocking.packed_len(spec)]).unwrap()
}

fn steps<T: Real>(c: &mut Criterion, precision: &str) {
    let mut g = c.benchmark_group(format!("step_{precision}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    let eps0 = T::from_f64(hinf::DEFAULT_EPS0);
    for layers in [5, 101, 1001] {
        let spec = ResNetSpec::xor(layers).unwrap();
        let nw = spec.n_weights();
        bench_step::<T, _>(
            &mut g,
            "structured",
            layers,
            StructuredCovariance::new(nw, eps0),
        );
        let info = host::learn::InformationCovariance::new(&spec, eps0).unwrap();
        bench_step::<T, _>(&mut g, "information", layers, info);
        bench_step::<T, _>(
            &mut g,
            "neuron_blocks",
            layers,
            blocks::<T>(Blocking::PerNeuron, &spec),
        );
        bench_step::<T, _>(
            &mut g,
            "layer_blocks",
            layers,
            blocks::<T>(Blocking::PerLayer, &spec),
        );
        let terms = TermWindowShape::new(nw, 32);
        let t = TermWindow::new(terms, eps0, vec![T::ZERO; terms.storage_len()]).unwrap();
        bench_step::<T, _>(&mut g, "structured_window_r32", layers, t);
        for r in [8, 16] {
            let shape = FactoredShape::new(&spec, r);
            let w = InfoWindow::factored(shape, eps0, vec![T::ZERO; shape.storage_len()]).unwrap();
            bench_step::<T, _>(&mut g, &format!("info_window_r{r}"), layers, w);
        }
    }
    g.finish();
}

fn trials(c: &mut Criterion) {
    let mut g = c.benchmark_group("trial_L1001_25_epochs");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for (covariance, memory) in [
        (CovarianceKind::Structured, None),
        (CovarianceKind::Info, None),
        (CovarianceKind::NeuronBlocks, None),
        (CovarianceKind::LayerBlocks, None),
        (CovarianceKind::InfoWindow, Some(8)),
        (CovarianceKind::InfoWindow, Some(16)),
        (CovarianceKind::Window, Some(32)),
    ] {
        let spec = TrialSpec {
            memory,
            layers: 1001,
            max_epochs: 25,
            tol: f64::MIN_POSITIVE,
            eps0: 1000.0,
            covariance,
            variant: Variant {
                extension: ExtensionKind::TrustRegion,
                ..Variant::default()
            },
            ..TrialSpec::default()
        };
        let name = host::settings::Learner::new(spec.method, covariance, memory).name();
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    host::run_trial(&spec, host::trial_seed(1, 0), 0)
                        .unwrap()
                        .epochs,
                )
            })
        });
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    steps::<f64>(c, "f64");
    steps::<f32>(c, "f32");
    trials(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
