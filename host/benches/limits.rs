//! The machine's own limits, to set the deep-net timings of `--bench deep`
//! beside (docs/performance.md, *How far from the limit*):
//!
//! - `read_*`: streaming a buffer of f64 (8 independent sums, so that the
//!   adds never wait): bytes per second out of L2, L3 and main memory;
//! - `axpy_l1`: `out −= g x` over 1 024 f64 already in L1, the shape of the
//!   kernels of `P·h`: the peak of a multiply–subtract pass;
//! - `dot_chain_nw`: `Σ h_i u_i` over N_w = 27 466 numbers in order, one
//!   chain of dependent adds (steepest descent's `hᵀ P h`);
//! - `sqrt_div_nw`: `m_i / (√v_i + ε)` for N_w numbers, independent
//!   (Adam's update): the divider's throughput;
//! - `sigmoid_chain_1001`: 1 001 sigmoids, each on the last's output (the
//!   core's own `sigmoid`, the platform's `exp`): the latency of a layer's
//!   nonlinearity, which a forward pass through 1 001 layers waits on;
//! - `sigmoid_each_5005`: 5 005 sigmoids of independent arguments (a
//!   forward pass's count at L = 1001, N = 5): their throughput;
//! - `dot5_chain_1001`: 1 001 dependent 5-term dot products (a layer's
//!   weighted sum, on the chain of the forward and backward passes).
//!
//! `cargo bench -p host --bench limits`

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};

/// N_w at L = 1001.
const NW: usize = 27_466;
/// Layers at L = 1001.
const LAYERS: usize = 1001;

/// Σ x with 8 independent partial sums.
fn sum8(x: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    for c in x.chunks_exact(8) {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += *v;
        }
    }
    acc.iter().sum()
}

/// The group every limit is in.
fn limits(c: &mut Criterion) -> BenchmarkGroup<'_, WallTime> {
    let mut g = c.benchmark_group("limits");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g
}

fn reads(c: &mut Criterion) {
    let mut g = limits(c);
    for (name, mib) in [
        ("read_1MiB", 1usize),
        ("read_16MiB", 16),
        ("read_256MiB", 256),
    ] {
        let x: Vec<f64> = (0..mib << 17).map(|i| i as f64).collect();
        g.throughput(Throughput::Bytes((x.len() * 8) as u64));
        g.bench_function(name, |b| b.iter(|| black_box(sum8(black_box(&x)))));
    }
    let x: Vec<f64> = (0..1024).map(|i| 1.0 + i as f64 * 1e-3).collect();
    let mut out = vec![0.0; 1024];
    g.throughput(Throughput::Elements(1024));
    g.bench_function("axpy_l1", |b| {
        b.iter(|| {
            let gq = black_box(1e-9);
            for (o, v) in out.iter_mut().zip(&x) {
                *o -= gq * *v;
            }
            black_box(out[7])
        })
    });
    g.finish();
}

fn chains(c: &mut Criterion) {
    let mut g = limits(c);
    let h: Vec<f64> = (0..NW).map(|i| 1e-3 * (i % 17) as f64).collect();
    let u: Vec<f64> = (0..NW).map(|i| 1e-3 * (i % 13) as f64).collect();
    g.throughput(Throughput::Elements(NW as u64));
    g.bench_function("dot_chain_nw", |b| {
        b.iter(|| black_box(h.iter().zip(&u).fold(0.0, |a, (x, y)| a + x * y)))
    });
    let mut out = vec![0.0; NW];
    g.bench_function("sqrt_div_nw", |b| {
        b.iter(|| {
            for ((o, m), v) in out.iter_mut().zip(&h).zip(&u) {
                *o = *m / (v.sqrt() + 1e-8);
            }
            black_box(out[5])
        })
    });
    g.throughput(Throughput::Elements(LAYERS as u64));
    g.bench_function("sigmoid_chain_1001", |b| {
        b.iter(|| {
            let mut z = black_box(0.3f64);
            for _ in 0..LAYERS {
                z = hinf::sigmoid(hinf::PAPER_SLOPE, z - 0.5);
            }
            black_box(z)
        })
    });
    let x: Vec<f64> = (0..5 * LAYERS).map(|i| 1e-4 * i as f64 - 0.2).collect();
    let mut z = vec![0.0; x.len()];
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("sigmoid_each_5005", |b| {
        b.iter(|| {
            for (o, v) in z.iter_mut().zip(&x) {
                *o = hinf::sigmoid(hinf::PAPER_SLOPE, *v);
            }
            black_box(z[5])
        })
    });
    g.throughput(Throughput::Elements(LAYERS as u64));
    let w = [0.11, -0.07, 0.05, 0.13, -0.02];
    g.bench_function("dot5_chain_1001", |b| {
        b.iter(|| {
            let mut z = [black_box(0.3f64); 5];
            for _ in 0..LAYERS {
                let s = w.iter().zip(&z).fold(0.0, |a, (x, y)| a + x * y);
                z = [s + 0.2, s - 0.1, s, s * 0.5, -s];
            }
            black_box(z)
        })
    });
    g.finish();
}

criterion_group!(benches, reads, chains);
criterion_main!(benches);
