//! Forward + Jacobian and one whole g-EHF step at L = 5, 7, 9 in f32 and f64.
//! Run with `cargo bench -p hinf`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hinf::{Covariance, GEhf, GEhfConfig, PackedCovariance, Real, ResNet, ResNetSpec, packed_len};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::time::Duration;

fn setup<T: Real>(layers: usize) -> ResNet<T, Vec<T>> {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut Xoshiro256PlusPlus::seed_from_u64(1), 0.05)
        .unwrap();
    net
}

fn bench_type<T: Real>(c: &mut Criterion) {
    let x = [T::ONE, -T::ONE];
    let mut group = c.benchmark_group(format!("jacobian/{}", T::NAME));
    for layers in [5, 7, 9] {
        let mut net = setup::<T>(layers);
        group.bench_with_input(BenchmarkId::from_parameter(layers), &layers, |b, _| {
            b.iter(|| black_box(net.jacobian(black_box(&x)).unwrap().1[0]))
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("gehf_step/{}", T::NAME));
    for layers in [5, 7, 9] {
        let mut net = setup::<T>(layers);
        let n = net.spec().n_weights();
        let cov = PackedCovariance::new(n, T::ONE, vec![T::ZERO; packed_len(n)]).unwrap();
        let mut filter = GEhf::new(GEhfConfig::default(), cov, vec![T::ZERO; n]).unwrap();
        let y = [T::ONE];
        group.bench_with_input(BenchmarkId::from_parameter(layers), &layers, |b, _| {
            b.iter(|| {
                // Keep P well conditioned over millions of iterations.
                if filter.covariance().get(0, 0) < T::from_f64(1e-3) {
                    filter.reset();
                }
                black_box(filter.step(&mut net, black_box(&x), &y).unwrap().hph)
            })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_type::<f32>(c);
    bench_type::<f64>(c);
}

criterion_group! {
    name = step;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(step);
