//! The Jacobian of eqs. (22)–(24) against central finite differences.

mod common;
use common::*;
use hinf::{ResNet, ResNetSpec};

/// Central differences of output `o` with respect to every weight.
fn finite_difference(net: &mut ResNet<f64, Vec<f64>>, x: &[f64], o: usize) -> Vec<f64> {
    let w0 = net.weights().to_vec();
    let step = 1e-5;
    let mut g = vec![0.0; w0.len()];
    for i in 0..w0.len() {
        let mut w = w0.clone();
        w[i] = w0[i] + step;
        net.set_weights(&w).unwrap();
        let plus = net.forward(x).unwrap()[o];
        w[i] = w0[i] - step;
        net.set_weights(&w).unwrap();
        let minus = net.forward(x).unwrap()[o];
        g[i] = (plus - minus) / (2.0 * step);
    }
    net.set_weights(&w0).unwrap();
    g
}

fn check(spec: ResNetSpec, seed: u64) {
    let mut rng = rng(seed);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, 0.5).unwrap();
    for _ in 0..4 {
        let x: Vec<f64> = (0..spec.inputs()).map(|_| uniform(&mut rng, 1.5)).collect();
        let (_, h) = net.jacobian(&x).unwrap();
        let h = h.to_vec();
        let nw = spec.n_weights();
        for o in 0..spec.outputs() {
            let fd = finite_difference(&mut net, &x, o);
            let row = &h[o * nw..(o + 1) * nw];
            let scale = fd.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(scale > 1e-6, "degenerate test point");
            let err = row
                .iter()
                .zip(&fd)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                err / scale < 1e-6,
                "L = {}, output {o}: relative error {:.3e}",
                spec.layers(),
                err / scale
            );
        }
    }
}

#[test]
fn jacobian_matches_finite_differences_on_the_xor_net() {
    for (l, seed) in [(5, 1), (7, 2), (9, 3)] {
        check(ResNetSpec::xor(l).unwrap(), seed);
    }
}

#[test]
fn jacobian_matches_finite_differences_with_several_outputs() {
    for (l, seed) in [(5, 4), (7, 5), (9, 6)] {
        check(ResNetSpec::new(3, 4, 2, l, 1.3).unwrap(), seed);
    }
}

#[test]
fn forward_pass_matches_the_equations_written_out_at_l5() {
    // Eqs. (10)–(13) for L = 5 written out directly from the index map of eq. (16).
    let spec = ResNetSpec::xor(5).unwrap();
    let mut rng = rng(9);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, 0.7).unwrap();
    let w = net.weights().to_vec();
    let f = |s: f64| 1.0 / (1.0 + (-2.5 * s).exp());
    let x = [0.3, -0.8];
    let z2: Vec<f64> = (0..5)
        .map(|j| f(w[3 * j] + w[3 * j + 1] * x[0] + w[3 * j + 2] * x[1]))
        .collect();
    let z3: Vec<f64> = (0..5)
        .map(|j| f(w[15 + 6 * j] + (0..5).map(|i| w[15 + 6 * j + 1 + i] * z2[i]).sum::<f64>()))
        .collect();
    let z4: Vec<f64> = (0..5)
        .map(|j| (0..5).map(|i| w[45 + 5 * j + i] * z3[i]).sum::<f64>() + z2[j])
        .collect();
    let z5 = f(w[70] + (0..5).map(|i| w[71 + i] * z4[i]).sum::<f64>());
    let y = net.forward(&x).unwrap()[0];
    assert!((y - z5).abs() < 1e-15, "{y} vs {z5}");
}

/// `evaluate` in lock-step lanes (a buffer of `lanes_buffer_len`) gives
/// bit for bit the statistics and final activations of the one-sample-at-
/// a-time path, for sample counts that are and are not multiples of the
/// lane count, at the paper's width (compile-time kernel) and another.
#[test]
fn lock_step_evaluation_equals_one_sample_at_a_time() {
    for (spec, n) in [
        (ResNetSpec::xor(21).unwrap(), 4),
        (ResNetSpec::xor(9).unwrap(), 7),
        (ResNetSpec::new(3, 4, 2, 11, 1.3).unwrap(), 9),
    ] {
        let (ni, no) = (spec.inputs(), spec.outputs());
        let mut r = rng(n as u64);
        let mut one = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        one.init_uniform(&mut r, 0.8).unwrap();
        let mut lanes = ResNet::new(spec, vec![0.0; spec.lanes_buffer_len()]).unwrap();
        lanes.set_weights(one.weights()).unwrap();
        let xs: Vec<f64> = (0..n * ni).map(|i| (i as f64 * 0.37).sin()).collect();
        let ys: Vec<f64> = (0..n * no).map(|i| (i as f64 * 0.11).cos().abs()).collect();
        let data = hinf::Samples::new(&xs, ni, &ys, no).unwrap();
        let (mut seen_one, mut seen_lanes) = (Vec::new(), Vec::new());
        let a = one
            .evaluate_each(&data, |k, o| seen_one.push((k, o.to_vec())))
            .unwrap();
        let b = lanes
            .evaluate_each(&data, |k, o| seen_lanes.push((k, o.to_vec())))
            .unwrap();
        assert_eq!(a, b, "{spec:?}, {n} samples");
        assert_eq!(seen_one, seen_lanes, "{spec:?}: outputs per sample");
        assert_eq!(seen_one.len(), n);
        assert!(seen_one.iter().enumerate().all(|(i, (k, _))| i == *k));
        assert_eq!(lanes.evaluate(&data).unwrap(), a);
        assert_eq!(one.activations(), lanes.activations(), "{spec:?}");
        assert!(a.count == n * no && a.sse > 0.0);
    }
}

/// `φ_j [β, z]` from [`ResNet::last_jacobian_factors`] is every entry of
/// the dense Jacobian, bit for bit up to the sign of a zero (the output
/// block's rows o' ≠ o are 0 there, 0 · z_i here), for every output.
#[test]
fn jacobian_factors_rebuild_the_dense_rows_exactly() {
    for (spec, seed) in [
        (ResNetSpec::xor(5).unwrap(), 1),
        (ResNetSpec::new(3, 4, 2, 9, 1.0).unwrap(), 2),
        (ResNetSpec::new(2, 3, 5, 7, 2.5).unwrap(), 3),
    ] {
        let mut rng = rng(seed);
        let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        net.init_uniform(&mut rng, 0.5).unwrap();
        let x: Vec<f64> = (0..spec.inputs()).map(|_| uniform(&mut rng, 1.5)).collect();
        let h = net.jacobian(&x).unwrap().1.to_vec();
        let f = net.last_jacobian_factors();
        let nw = spec.n_weights();
        let mut nonzero = 0;
        for o in 0..spec.outputs() {
            for t in 1..spec.layers() {
                let tr = spec.transition(t).unwrap();
                let (z, d) = (f.activations(t), f.deltas(o, t + 1));
                assert_eq!((z.len(), d.len()), (tr.inputs, tr.outputs));
                let block = &h[o * nw + tr.offset..o * nw + tr.offset + tr.len()];
                let beta = usize::from(tr.sigmoid);
                for (row, dj) in block.chunks_exact(tr.row_len()).zip(d) {
                    if beta == 1 {
                        assert_eq!(row[0].to_bits(), dj.to_bits(), "o {o}, t {t}");
                    }
                    for (hji, zi) in row[beta..].iter().zip(z) {
                        let same = hji.to_bits() == (dj * zi).to_bits();
                        assert!(same || (*hji == 0.0 && dj * zi == 0.0), "o {o}, t {t}");
                    }
                    nonzero += usize::from(*dj != 0.0);
                }
            }
        }
        assert!(nonzero > spec.n_deltas() / 2, "degenerate test point");
    }
}
