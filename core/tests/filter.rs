//! The g-EHF update (eqs. 3–7) against independent computations.

mod common;
use common::*;
use hinf::*;

/// Eq. (4) in its printed 2×2 form: P − P[hᵀ hᵀ] R_e⁻¹ [h; h] P with
/// R_e = diag(1, −γ²) + [h; h] P [hᵀ hᵀ].
fn two_by_two(p: &Mat, h: &[f64], gamma: f64) -> Mat {
    let u = p.mul_vec(h);
    let s: f64 = h.iter().zip(&u).map(|(a, b)| a * b).sum();
    let re = [[1.0 + s, s], [s, s - gamma * gamma]];
    let det = re[0][0] * re[1][1] - re[0][1] * re[1][0];
    let inv = [
        [re[1][1] / det, -re[0][1] / det],
        [-re[1][0] / det, re[0][0] / det],
    ];
    // [u u] R_e⁻¹ [u u]ᵀ = (Σ inv) u uᵀ, but written out as the 2×2 product.
    let mut out = p.clone();
    for i in 0..p.n {
        for j in 0..p.n {
            let left = [u[i], u[i]];
            let right = [u[j], u[j]];
            let mut q = 0.0;
            for a in 0..2 {
                for b in 0..2 {
                    q += left[a] * inv[a][b] * right[b];
                }
            }
            out.a[i * p.n + j] -= q;
        }
    }
    out
}

/// Eq. (7): P'⁻¹ = P⁻¹ + (1 − γ⁻²) h hᵀ.
fn information_form(p: &Mat, h: &[f64], gamma: f64) -> Mat {
    let mut info = p.inverse();
    let a = 1.0 - 1.0 / (gamma * gamma);
    for i in 0..p.n {
        for j in 0..p.n {
            info.a[i * p.n + j] += a * h[i] * h[j];
        }
    }
    info.inverse()
}

#[test]
fn two_by_two_form_equals_rank_one_and_information_form() {
    let mut rng = rng(11);
    for trial in 0..20 {
        let n = 2 + trial % 7;
        let p = Mat::random_spd(n, &mut rng);
        let h: Vec<f64> = (0..n).map(|_| uniform(&mut rng, 2.0)).collect();
        let gamma = 1.05 + 3.0 * (trial as f64 / 20.0);
        let reference = two_by_two(&p, &h, gamma);

        // The crate's rank-one downdate, on packed and dense storage.
        let u = p.mul_vec(&h);
        let s: f64 = h.iter().zip(&u).map(|(a, b)| a * b).sum();
        let a = 1.0 - 1.0 / (gamma * gamma);
        let c = a / (1.0 + a * s);
        let mut packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
        packed.set_packed(&p.packed()).unwrap();
        let mut u2 = vec![0.0; n];
        packed.mul_vec(&h, &mut u2);
        for (x, y) in u.iter().zip(&u2) {
            assert!((x - y).abs() < 1e-12 * (1.0 + x.abs()));
        }
        packed.downdate(c, &u2);
        let mut got = Mat::zeros(n);
        for i in 0..n {
            for j in 0..n {
                got.a[i * n + j] = packed.get(i, j);
            }
        }
        let scale = reference.max_abs();
        assert!(
            got.max_abs_diff(&reference) < 1e-12 * scale,
            "rank-one vs 2x2"
        );
        let info = information_form(&p, &h, gamma);
        assert!(
            info.max_abs_diff(&reference) < 1e-9 * scale,
            "information vs 2x2"
        );
    }
}

/// One `GEhf::step` against the printed equations computed here by hand:
/// gain K = P hᵀ (h P hᵀ + 1)⁻¹, ŵ += K e, P by the 2×2 form.
#[test]
fn gehf_step_follows_equations_3_to_6() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut rng = rng(12);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, 0.5).unwrap();
    let p0 = Mat::random_spd(n, &mut rng);
    let cfg = GEhfConfig {
        gamma: 1.7,
        eps0: 1.0,
        gain_order: GainOrder::Paper,
    };
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut filter = GEhf::new(cfg, cov, vec![0.0; n]).unwrap();
    filter.covariance_mut().set_packed(&p0.packed()).unwrap();

    let (x, y) = ([1.0, -1.0], [1.0]);
    let w0 = net.weights().to_vec();
    let (out, h) = net.jacobian(&x).unwrap();
    let (out, h) = (out[0], h.to_vec());
    let report = filter.step(&mut net, &x, &y).unwrap();
    assert_eq!(report.error, y[0] - out);

    let u = p0.mul_vec(&h);
    let s: f64 = h.iter().zip(&u).map(|(a, b)| a * b).sum();
    assert!((report.hph - s).abs() < 1e-10 * s);
    for i in 0..n {
        let expected = w0[i] + u[i] / (s + 1.0) * (y[0] - out);
        assert!((net.weights()[i] - expected).abs() < 1e-12, "weight {i}");
    }
    let p1 = two_by_two(&p0, &h, 1.7);
    for i in 0..n {
        for j in 0..n {
            let got = filter.covariance().get(i, j);
            assert!(
                (got - p1.at(i, j)).abs() < 1e-10 * p1.max_abs(),
                "P[{i}][{j}]"
            );
        }
    }
}

/// The covariance-first order gives the gain u / (1 + (2 − γ⁻²) s).
#[test]
fn covariance_first_gain() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut rng = rng(13);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, 0.5).unwrap();
    let cfg = GEhfConfig {
        gamma: 2.0,
        eps0: 3.0,
        gain_order: GainOrder::CovarianceFirst,
    };
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut filter = GEhf::new(cfg, cov, vec![0.0; n]).unwrap();
    let x = [-1.0, -1.0];
    let w0 = net.weights().to_vec();
    let (out, h) = net.jacobian(&x).unwrap();
    let (out, h) = (out[0], h.to_vec());
    filter.step(&mut net, &x, &[0.0]).unwrap();
    let s = 3.0 * h.iter().map(|v| v * v).sum::<f64>();
    // Independently: P' = ε0 I − c ε0² h hᵀ, K = P' h / (1 + h P' h).
    let a = 1.0 - 0.25;
    let c = a / (1.0 + a * s);
    let p1h: Vec<f64> = h.iter().map(|v| 3.0 * v - c * 3.0 * v * s).collect();
    let hp1h: f64 = h.iter().zip(&p1h).map(|(a, b)| a * b).sum();
    for i in 0..n {
        let expected = w0[i] + p1h[i] / (1.0 + hp1h) * (0.0 - out);
        assert!((net.weights()[i] - expected).abs() < 1e-12);
    }
}

/// Packed P and a plain dense P give the same run, epoch by epoch.
#[test]
fn packed_and_dense_covariance_give_the_same_training_run() {
    for seed in 0..3 {
        let spec = ResNetSpec::xor(7).unwrap();
        let n = spec.n_weights();
        let xor = Xor::<f64>::new(InputCoding::Bipolar);
        let cfg = TrainConfig::default();
        let mut curves = Vec::new();
        for dense in [false, true] {
            let mut r = rng(seed);
            let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
            net.init_uniform(&mut r, PAPER_INIT_RANGE).unwrap();
            let mut curve = Vec::new();
            let outcome = if dense {
                let cov = DenseCovariance::new(n, 1.0, vec![0.0; n * n]).unwrap();
                let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
                train(
                    &mut net,
                    &mut f,
                    &xor.samples(),
                    &cfg,
                    &mut r,
                    &mut [0; 4],
                    |e| {
                        curve.push(e.error);
                        true
                    },
                )
            } else {
                let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
                let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
                train(
                    &mut net,
                    &mut f,
                    &xor.samples(),
                    &cfg,
                    &mut r,
                    &mut [0; 4],
                    |e| {
                        curve.push(e.error);
                        true
                    },
                )
            }
            .unwrap();
            assert!(outcome.converged);
            curves.push(curve);
        }
        assert_eq!(
            curves[0].len(),
            curves[1].len(),
            "seed {seed}: epochs differ"
        );
        for (a, b) in curves[0].iter().zip(&curves[1]) {
            assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1e-3),
                "seed {seed}: {a} vs {b}"
            );
        }
    }
}

fn xor_run<T: Real>(seed: u64, layers: usize) -> TrainOutcome {
    let spec = ResNetSpec::xor(layers).unwrap();
    let n = spec.n_weights();
    let mut r = rng(seed);
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut r, PAPER_INIT_RANGE).unwrap();
    let cov = PackedCovariance::new(n, T::ONE, vec![T::ZERO; packed_len(n)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![T::ZERO; n]).unwrap();
    let xor = Xor::<T>::new(InputCoding::default());
    let cfg = TrainConfig {
        max_epochs: 1000,
        ..TrainConfig::default()
    };
    train(
        &mut net,
        &mut f,
        &xor.samples(),
        &cfg,
        &mut r,
        &mut [0; 4],
        |_| true,
    )
    .unwrap()
}

#[test]
fn f32_and_f64_agree_on_the_epoch_count_for_most_seeds() {
    let same = (0..20)
        .filter(|&s| xor_run::<f32>(s, 5).epochs == xor_run::<f64>(s, 5).epochs)
        .count();
    assert!(same >= 16, "only {same}/20 seeds agree");
}

#[test]
fn xor_at_l5_converges_for_20_seeds_with_the_defaults() {
    for seed in 0..20 {
        let out = xor_run::<f64>(seed, 5);
        assert!(out.converged, "seed {seed}: {out:?}");
        assert!(out.epochs <= 200, "seed {seed}: {out:?}");
    }
}

#[test]
fn steepest_descent_keeps_p_fixed_and_learns() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut r = rng(3);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut r, 0.5).unwrap();
    let cov = IsotropicCovariance::new(n, 10.0).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
    let x = [1.0, 1.0];
    let w0 = net.weights().to_vec();
    let (out, h) = net.jacobian(&x).unwrap();
    let (out, h) = (out[0], h.to_vec());
    f.step(&mut net, &x, &[0.0]).unwrap();
    // K = ε0 h / (ε0 hᵀh + 1)
    let hh: f64 = h.iter().map(|v| v * v).sum();
    for i in 0..n {
        let expected = w0[i] + 10.0 * h[i] / (10.0 * hh + 1.0) * (0.0 - out);
        assert!((net.weights()[i] - expected).abs() < 1e-12);
    }
    assert_eq!(f.covariance().get(3, 3), 10.0);
    assert_eq!(f.covariance().get(3, 4), 0.0);
}

#[test]
fn adam_batch_converges_on_xor() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut r = rng(5);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut r, PAPER_INIT_RANGE).unwrap();
    let cfg = AdamConfig {
        mode: AdamMode::Batch,
        ..AdamConfig::default()
    };
    let mut adam = Adam::new(cfg, n, vec![0.0; 3 * n]).unwrap();
    let xor = Xor::<f64>::new(InputCoding::Bipolar);
    let tc = TrainConfig {
        max_epochs: 5000,
        ..TrainConfig::default()
    };
    let out = train(
        &mut net,
        &mut adam,
        &xor.samples(),
        &tc,
        &mut r,
        &mut [0; 4],
        |_| true,
    )
    .unwrap();
    assert!(out.converged, "{out:?}");
    assert!(
        out.epochs > 20,
        "Adam should need many more epochs than H-inf: {out:?}"
    );
}

/// Adam's first step moves every weight by about α against the gradient's sign.
#[test]
fn adam_first_step_is_alpha_times_sign() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut r = rng(6);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut r, 0.5).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), n, vec![0.0; 3 * n]).unwrap();
    let x = [1.0, -1.0];
    let w0 = net.weights().to_vec();
    let (out, h) = net.jacobian(&x).unwrap();
    let (out, h) = (out[0], h.to_vec());
    adam.observe(&mut net, &x, &[1.0]).unwrap();
    let e = 1.0 - out;
    for i in 0..n {
        let g: f64 = -e * h[i];
        if g.abs() > 1e-6 {
            let expected = w0[i] - 0.01 * g.signum();
            assert!((net.weights()[i] - expected).abs() < 1e-6, "weight {i}");
        }
    }
}

/// A huge but finite Adam update fails the cheap sufficient test and is
/// validated element by element instead: it is applied, and stays finite.
#[test]
fn adam_huge_finite_update_takes_the_careful_path() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(8), 0.5).unwrap();
    let cfg = AdamConfig {
        lr: 1e300,
        ..AdamConfig::default()
    };
    let mut adam = Adam::new(cfg, n, vec![0.0; 3 * n]).unwrap();
    let w0 = net.weights().to_vec();
    adam.observe(&mut net, &[1.0, -1.0], &[1.0]).unwrap();
    assert!(net.weights().iter().all(|w| w.is_finite()));
    let moved = net
        .weights()
        .iter()
        .zip(&w0)
        .filter(|(a, b)| (*a - *b).abs() > 1e299)
        .count();
    assert!(moved > n / 2, "only {moved} weights moved");
    assert_eq!(adam.steps(), 1);
}

/// Adam in weights-and-moments form after `steps` updates on XOR samples in
/// order, per sample or as one-sample batches.
fn adam_run<T: Real>(mode: AdamMode, outputs: usize, steps: usize) -> (Vec<T>, Vec<T>, Vec<T>) {
    let spec = ResNetSpec::new(2, 5, outputs, 7, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(11), 0.3).unwrap();
    let cfg = AdamConfig {
        mode,
        ..AdamConfig::default()
    };
    let mut adam = Adam::new(cfg, n, vec![T::ZERO; 3 * n]).unwrap();
    let xor = Xor::<T>::new(InputCoding::Bipolar);
    let data = xor.samples();
    for k in 0..steps {
        let (x, y) = data.get(k % 4).expect("a sample in range");
        let y: Vec<T> = (0..outputs)
            .map(|o| if o % 2 == 0 { y[0] } else { T::ONE - y[0] })
            .collect();
        adam.observe(&mut net, x, &y).unwrap();
        adam.end_epoch(&mut net).unwrap();
    }
    let (m, v) = adam.moments();
    (net.weights().to_vec(), m.to_vec(), v.to_vec())
}

/// The per-sample step forms `g = −e ∂h/∂w` inside the update (one output)
/// or accumulates it first (several outputs); both must equal a batch
/// step on a one-sample batch, bit for bit, in f64 and f32.
#[test]
fn adam_per_sample_step_equals_a_one_sample_batch_step() {
    for outputs in [1, 2] {
        assert_eq!(
            adam_run::<f64>(AdamMode::Sample, outputs, 300),
            adam_run::<f64>(AdamMode::Batch, outputs, 300),
            "f64, {outputs} outputs"
        );
        assert_eq!(
            adam_run::<f32>(AdamMode::Sample, outputs, 300),
            adam_run::<f32>(AdamMode::Batch, outputs, 300),
            "f32, {outputs} outputs"
        );
    }
}

/// A non-finite gradient (weights so large that the forward pass
/// overflows) is rejected by the per-sample step, changing nothing.
#[test]
fn adam_non_finite_gradient_is_rejected_and_changes_nothing() {
    let spec = ResNetSpec::xor(7).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.set_weights(&vec![1e308; n]).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), n, vec![0.0; 3 * n]).unwrap();
    let before = (
        net.weights().to_vec(),
        adam.state().0.to_vec(),
        adam.steps(),
    );
    let r = adam.observe(&mut net, &[1.0, -1.0], &[1.0]);
    assert!(matches!(r, Err(Error::Diverged { .. })), "{r:?}");
    let after = (
        net.weights().to_vec(),
        adam.state().0.to_vec(),
        adam.steps(),
    );
    assert_eq!(after, before);
}

/// Adam keeps `max |m|` and `max v` from update to update instead of
/// scanning the moments; a state restored with [`Adam::set_state`] must
/// refresh them: huge restored first moments make the next step overflow,
/// which is refused with the weights and moments unchanged, and a restored
/// accumulator is used by the next per-sample step.
#[test]
fn adam_restored_state_is_checked_like_its_own() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(4), 0.3).unwrap();
    let cfg = AdamConfig {
        lr: 1.0,
        ..AdamConfig::default()
    };
    let mut adam = Adam::new(cfg, n, vec![0.0; 3 * n]).unwrap();
    let mut state = vec![0.0; 3 * n];
    state[..n].iter_mut().for_each(|m| *m = 1e308);
    adam.set_state(cfg, &state, 3, 0.5, 0.5).unwrap();
    let before = (net.weights().to_vec(), adam.state().0.to_vec());
    let r = adam.observe(&mut net, &[1.0, -1.0], &[1.0]);
    assert_eq!(r, Err(Error::Diverged { what: "weights" }));
    assert_eq!((net.weights().to_vec(), adam.state().0.to_vec()), before);

    // A non-zero restored accumulator joins the next per-sample gradient,
    // exactly as in a batch step over the same sample.
    let mut state = vec![0.0; 3 * n];
    state[2 * n..]
        .iter_mut()
        .enumerate()
        .for_each(|(i, g)| *g = 1e-3 * (i as f64).sin());
    let run = |mode| {
        let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        net.init_uniform(&mut rng(4), 0.3).unwrap();
        let cfg = AdamConfig { mode, ..cfg };
        let mut adam = Adam::new(cfg, n, vec![0.0; 3 * n]).unwrap();
        adam.set_state(cfg, &state, 0, 1.0, 1.0).unwrap();
        adam.observe(&mut net, &[1.0, -1.0], &[1.0]).unwrap();
        adam.end_epoch(&mut net).unwrap();
        (net.weights().to_vec(), adam.state().0.to_vec())
    };
    let (sample, batch) = (run(AdamMode::Sample), run(AdamMode::Batch));
    assert_eq!(sample, batch);
    assert!(
        sample.1[2 * n..].iter().all(|g| *g == 0.0),
        "accumulator cleared"
    );
}
