//! One g-EHF step with an information window of r = 8 samples, its rows
//! stored densely or by their per-neuron factors, at L = 5, 101 and 1001
//! (f64). Run with `cargo bench -p hinf --bench window`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hinf::{FactoredShape, GEhf, GEhfConfig, InfoWindow, ResNet, ResNetSpec, WindowShape};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::time::Duration;

const MEMORY: usize = 8;
const XOR: [([f64; 2], f64); 4] = [
    ([-1.0, -1.0], 0.0),
    ([1.0, 1.0], 0.0),
    ([-1.0, 1.0], 1.0),
    ([1.0, -1.0], 1.0),
];

type Filter = GEhf<f64, InfoWindow<f64, Vec<f64>>, Vec<f64>>;

fn network(layers: usize) -> ResNet<f64, Vec<f64>> {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut Xoshiro256PlusPlus::seed_from_u64(1), 0.05)
        .unwrap();
    net
}

fn window(spec: &ResNetSpec, factored: bool) -> Filter {
    let cov = if factored {
        let shape = FactoredShape::new(spec, MEMORY);
        InfoWindow::factored(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap()
    } else {
        let shape = WindowShape::new(spec.n_weights(), MEMORY, 1);
        InfoWindow::new(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap()
    };
    GEhf::new(GEhfConfig::default(), cov, vec![0.0; spec.n_weights()]).unwrap()
}

/// One step on sample k of the XOR cycle.
fn step(f: &mut Filter, net: &mut ResNet<f64, Vec<f64>>, k: usize) -> f64 {
    let (x, y) = &XOR[k % 4];
    f.step(net, x, &[*y]).map_or(f64::NAN, |r| r.hph)
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("window_step/f64");
    for layers in [5, 101, 1001] {
        for (name, factored) in [("dense", false), ("factored", true)] {
            let mut net = network(layers);
            let mut f = window(net.spec(), factored);
            // A full window: the steady state, one row in and one out.
            for k in 0..2 * MEMORY {
                assert!(step(&mut f, &mut net, k).is_finite());
            }
            let mut k = 0;
            let id = BenchmarkId::new(name, layers);
            group.bench_with_input(id, &layers, |b, _| {
                b.iter(|| {
                    k += 1;
                    black_box(step(&mut f, &mut net, k))
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = window_steps;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(window_steps);
