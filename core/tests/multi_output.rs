//! The g-EHF with N_L ≥ 2 outputs (the paper's outlook, PAPER.md section 4)
//! against the printed block form of eqs. (4)–(6), computed here densely
//! and independently of the crate.

mod common;
use common::*;
use hinf::*;

/// A dense r × c row-major matrix product.
fn matmul(a: &[f64], b: &[f64], r: usize, k: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            out[i * c + j] = (0..k).map(|t| a[i * k + t] * b[t * c + j]).sum();
        }
    }
    out
}

fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            out[j * r + i] = a[i * c + j];
        }
    }
    out
}

/// The printed filter for H (m × n): gain `K = P Hᵀ (H P Hᵀ + I)⁻¹`, and
/// eq. (4) `P − P [Hᵀ Hᵀ] R_e⁻¹ [H; H] P` with the 2m × 2m
/// `R_e = diag(I, −γ² I) + [H; H] P [Hᵀ Hᵀ]` (eq. 6).
fn block_form(p: &Mat, h: &[f64], m: usize, gamma: f64) -> (Vec<f64>, Mat) {
    let n = p.n;
    let ht = transpose(h, m, n); // n × m
    let pht = matmul(&p.a, &ht, n, n, m); // n × m
    let hpht = matmul(h, &pht, m, n, m); // m × m
    let mut s = Mat { n: m, a: hpht };
    for i in 0..m {
        s.a[i * m + i] += 1.0;
    }
    let k = matmul(&pht, &s.inverse().a, n, m, m); // n × m

    // [H; H] (2m × n) and R_e.
    let mut hh = h.to_vec();
    hh.extend_from_slice(h);
    let hht = transpose(&hh, 2 * m, n);
    let mut re = Mat {
        n: 2 * m,
        a: matmul(&hh, &matmul(&p.a, &hht, n, n, 2 * m), 2 * m, n, 2 * m),
    };
    for i in 0..m {
        re.a[i * 2 * m + i] += 1.0;
        re.a[(m + i) * 2 * m + m + i] -= gamma * gamma;
    }
    let phh = matmul(&p.a, &hht, n, n, 2 * m); // n × 2m
    let middle = matmul(&phh, &re.inverse().a, n, 2 * m, 2 * m);
    let corr = matmul(&middle, &transpose(&phh, n, 2 * m), n, 2 * m, n);
    let mut p1 = p.clone();
    for (x, c) in p1.a.iter_mut().zip(&corr) {
        *x -= c;
    }
    (k, p1)
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn several_outputs_follow_the_block_form_of_equations_4_to_6() {
    let mut rng = rng(41);
    for trial in 0..24 {
        let m = 1 + trial % 3; // 1, 2, 3 outputs
        let n = m + 2 + trial % 6;
        let gamma = 1.1 + 2.0 * (trial as f64 / 24.0);
        let p = Mat::random_spd(n, &mut rng);
        let h: Vec<f64> = (0..m * n).map(|_| uniform(&mut rng, 1.5)).collect();
        let e: Vec<f64> = (0..m).map(|_| uniform(&mut rng, 1.0)).collect();
        let w0: Vec<f64> = (0..n).map(|_| uniform(&mut rng, 1.0)).collect();
        let (k, p1) = block_form(&p, &h, m, gamma);
        let cfg = GEhfConfig {
            gamma,
            eps0: 1.0,
            gain_order: GainOrder::Paper,
        };

        // Packed and dense storage.
        let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
        let mut fp = GEhf::new(cfg, packed, vec![0.0; m * n]).unwrap();
        fp.covariance_mut().set_packed(&p.packed()).unwrap();
        let dense = DenseCovariance::new(n, 1.0, vec![0.0; n * n]).unwrap();
        let mut fd = GEhf::new(cfg, dense, vec![0.0; m * n]).unwrap();
        fd.covariance_mut().load_packed(&p.packed()).unwrap();

        let scale = p1.max_abs();
        for (label, got_w, got_p) in [
            {
                let mut w = w0.clone();
                fp.measurement_update(&mut w, &h, &e).unwrap();
                ("packed", w, dense_of(fp.covariance()))
            },
            {
                let mut w = w0.clone();
                fd.measurement_update(&mut w, &h, &e).unwrap();
                ("dense", w, dense_of(fd.covariance()))
            },
        ] {
            for i in 0..n {
                let expected = w0[i] + (0..m).map(|o| k[i * m + o] * e[o]).sum::<f64>();
                assert!(
                    (got_w[i] - expected).abs() < 1e-11 * (1.0 + expected.abs()),
                    "{label} trial {trial} (m = {m}): weight {i}: {} vs {expected}",
                    got_w[i]
                );
            }
            assert!(
                got_p.max_abs_diff(&p1) < 1e-10 * scale,
                "{label} trial {trial} (m = {m}): P differs by {}",
                got_p.max_abs_diff(&p1)
            );
        }

        // And the information form, eq. (7) with a rank-m term:
        // P'⁻¹ = P⁻¹ + (1 − γ⁻²) HᵀH.
        let a = 1.0 - 1.0 / (gamma * gamma);
        let mut info = p.inverse();
        let hth = matmul(&transpose(&h, m, n), &h, n, m, n);
        for (x, y) in info.a.iter_mut().zip(&hth) {
            *x += a * y;
        }
        assert!(info.inverse().max_abs_diff(&p1) < 1e-9 * scale);
    }
}

/// With one row, `measurement_update` is `step` bit for bit.
#[test]
fn one_output_measurement_update_is_the_single_output_step() {
    for (seed, order) in [(1, GainOrder::Paper), (2, GainOrder::CovarianceFirst)] {
        let spec = ResNetSpec::xor(7).unwrap();
        let n = spec.n_weights();
        let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        net.init_uniform(&mut rng(seed), 0.5).unwrap();
        let cfg = GEhfConfig {
            gain_order: order,
            ..GEhfConfig::default()
        };
        let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
        let mut a = GEhf::new(cfg, cov.clone(), vec![0.0; n]).unwrap();
        let mut b = GEhf::new(cfg, cov, vec![0.0; n]).unwrap();
        let mut w = net.weights().to_vec();
        let xor = Xor::<f64>::new(InputCoding::Bipolar);
        for epoch in 0..5 {
            for k in 0..4 {
                let (x, y) = xor.samples().get(k).expect("a sample in range");
                let mut probe = net.clone();
                probe.set_weights(&w).unwrap();
                let (out, h) = probe.jacobian(x).unwrap();
                let e = [y[0] - out[0]];
                let h = h.to_vec();
                b.measurement_update(&mut w, &h, &e).unwrap();
                a.step(&mut net, x, y).unwrap();
                assert_eq!(bits(net.weights()), bits(&w), "epoch {epoch} sample {k}");
                assert_eq!(bits(a.covariance().packed()), bits(b.covariance().packed()));
            }
        }
    }
}

fn three_class_net(layers: usize) -> ResNet<f64, Vec<f64>> {
    let spec = ResNetSpec::new(2, 5, 3, layers, PAPER_SLOPE).unwrap();
    ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap()
}

/// `step` on a 3-output network is `measurement_update` with its Jacobian.
#[test]
fn multi_output_step_is_the_measurement_update_of_its_jacobian() {
    let mut net = three_class_net(7);
    let n = net.spec().n_weights();
    net.init_uniform(&mut rng(3), 0.5).unwrap();
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut a = GEhf::new(GEhfConfig::default(), cov.clone(), vec![0.0; 3 * n]).unwrap();
    let mut b = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 3 * n]).unwrap();
    let mut w = net.weights().to_vec();
    let (x, y) = ([0.3, -0.7], [1.0, 0.0, 0.0]);
    for _ in 0..3 {
        let mut probe = net.clone();
        probe.set_weights(&w).unwrap();
        let (out, h) = probe.jacobian(&x).unwrap();
        let e: Vec<f64> = y.iter().zip(out).map(|(t, o)| t - o).collect();
        let h = h.to_vec();
        let hph = b.measurement_update(&mut w, &h, &e).unwrap();
        let report = a.step(&mut net, &x, &y).unwrap();
        assert_eq!(report.error, e[0]);
        assert_eq!(report.hph, hph);
        assert_eq!(bits(net.weights()), bits(&w));
        assert_eq!(bits(a.covariance().packed()), bits(b.covariance().packed()));
    }
    assert_eq!(a.health().steps, 3);
}

/// Three Gaussian-free clusters on a circle, one-hot targets.
fn three_clusters() -> (Vec<f64>, Vec<f64>) {
    let mut r = rng(5);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for k in 0..30 {
        let class = k % 3;
        let angle = class as f64 * 2.0 * std::f64::consts::PI / 3.0;
        xs.push(angle.cos() + uniform(&mut r, 0.3));
        xs.push(angle.sin() + uniform(&mut r, 0.3));
        for o in 0..3 {
            ys.push(if o == class { 1.0 } else { 0.0 });
        }
    }
    (xs, ys)
}

fn accuracy(net: &mut ResNet<f64, Vec<f64>>, xs: &[f64], ys: &[f64]) -> f64 {
    let mut right = 0;
    for (x, y) in xs.chunks_exact(2).zip(ys.chunks_exact(3)) {
        let out = net.forward(x).unwrap();
        let argmax = |v: &[f64]| (0..3).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
        right += (argmax(out) == argmax(y)) as usize;
    }
    right as f64 / (xs.len() / 2) as f64
}

#[test]
fn a_three_class_problem_is_learned_by_hinf_steepest_descent_and_adam() {
    let (xs, ys) = three_clusters();
    let data = Samples::new(&xs, 2, &ys, 3).unwrap();
    let cfg = TrainConfig {
        tol: 0.05,
        max_epochs: 300,
        ..TrainConfig::default()
    };
    for layers in [5, 21] {
        // H∞ (packed P).
        let mut net = three_class_net(layers);
        let n = net.spec().n_weights();
        let mut r = rng(layers as u64);
        net.init_uniform(&mut r, 0.05).unwrap();
        let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
        let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 3 * n]).unwrap();
        let out = train(&mut net, &mut f, &data, &cfg, &mut r, &mut [], |_| true).unwrap();
        assert!(out.converged, "H∞ at L = {layers}: {out:?}");
        assert!(out.epochs < 100, "H∞ at L = {layers}: {out:?}");
        assert_eq!(accuracy(&mut net, &xs, &ys), 1.0);
        // P stays symmetric positive definite.
        assert!(
            f.covariance()
                .is_positive_definite(&mut vec![0.0; packed_len(n)])
                .unwrap()
        );

        // Steepest descent: P = ε0 I for ever.
        let mut net = three_class_net(layers);
        net.init_uniform(&mut r, 0.05).unwrap();
        let cov = IsotropicCovariance::new(n, 1.0).unwrap();
        let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 3 * n]).unwrap();
        let sd = TrainConfig { tol: 0.5, ..cfg };
        let out = train(&mut net, &mut f, &data, &sd, &mut r, &mut [], |_| true).unwrap();
        assert!(out.final_error.is_finite());
        assert!(out.converged, "steepest descent at L = {layers}: {out:?}");

        // Adam: one step per sample, all outputs in the loss.
        let mut net = three_class_net(layers);
        net.init_uniform(&mut r, 0.05).unwrap();
        let mut adam = Adam::new(AdamConfig::default(), n, vec![0.0; 3 * n]).unwrap();
        let ad = TrainConfig {
            tol: 0.5,
            max_epochs: 2000,
            ..cfg
        };
        let out = train(&mut net, &mut adam, &data, &ad, &mut r, &mut [], |_| true).unwrap();
        assert!(out.converged, "Adam at L = {layers}: {out:?}");
    }
}

/// Steepest descent with several outputs: `K = ε0 Hᵀ (ε0 H Hᵀ + I)⁻¹`.
#[test]
fn steepest_descent_gain_with_several_outputs() {
    let mut rng = rng(8);
    let (m, n) = (3, 7);
    let eps0 = 0.7;
    let h: Vec<f64> = (0..m * n).map(|_| uniform(&mut rng, 1.0)).collect();
    let e = [0.3, -0.2, 0.9];
    let mut w = vec![0.0; n];
    let cov = IsotropicCovariance::new(n, eps0).unwrap();
    let cfg = GEhfConfig {
        eps0,
        ..GEhfConfig::default()
    };
    let mut f = GEhf::new(cfg, cov, vec![0.0; m * n]).unwrap();
    f.measurement_update(&mut w, &h, &e).unwrap();
    let (k, _) = block_form(&Mat::identity(n, eps0), &h, m, 1.7);
    for i in 0..n {
        let expected: f64 = (0..m).map(|o| k[i * m + o] * e[o]).sum();
        assert!((w[i] - expected).abs() < 1e-12);
    }
    assert_eq!(f.covariance().get(2, 2), eps0);
}

#[test]
fn f32_multi_output_filter_tracks_f64() {
    let spec = ResNetSpec::new(3, 4, 2, 5, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut n64 = ResNet::new(spec, vec![0.0f64; spec.buffer_len()]).unwrap();
    n64.init_uniform(&mut rng(9), 0.3).unwrap();
    let w32: Vec<f32> = n64.weights().iter().map(|w| *w as f32).collect();
    let mut n32 = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).unwrap();
    n32.set_weights(&w32).unwrap();
    let p64 = PackedCovariance::new(n, 1.0, vec![0.0f64; packed_len(n)]).unwrap();
    let p32 = PackedCovariance::new(n, 1.0, vec![0.0f32; packed_len(n)]).unwrap();
    let mut f64f = GEhf::new(GEhfConfig::default(), p64, vec![0.0; 2 * n]).unwrap();
    let mut f32f = GEhf::new(GEhfConfig::default(), p32, vec![0.0; 2 * n]).unwrap();
    for k in 0..40 {
        let t = k as f64 * 0.37;
        let x = [t.sin(), t.cos(), (2.0 * t).sin()];
        let y = [0.5 + 0.4 * t.sin(), 0.5 - 0.3 * t.cos()];
        f64f.step(&mut n64, &x, &y).unwrap();
        let x32 = x.map(|v| v as f32);
        let y32 = y.map(|v| v as f32);
        f32f.step(&mut n32, &x32, &y32).unwrap();
    }
    let diff = n64
        .weights()
        .iter()
        .zip(n32.weights())
        .map(|(a, b)| (a - f64::from(*b)).abs())
        .fold(0.0, f64::max);
    assert!(diff < 1e-3, "f32 vs f64 weights differ by {diff}");
}

#[test]
fn multi_output_limits_are_errors_that_change_nothing() {
    let mut net = three_class_net(5);
    let n = net.spec().n_weights();
    net.init_uniform(&mut rng(4), 0.5).unwrap();
    let w = bits(net.weights());
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let (x, y) = ([0.1, 0.2], [1.0, 0.0, 0.0]);

    // A scratch of N_w only.
    let mut f = GEhf::new(GEhfConfig::default(), cov.clone(), vec![0.0; n]).unwrap();
    assert!(matches!(
        f.step(&mut net, &x, &y),
        Err(Error::CapacityExceeded { needed, .. }) if needed == 3 * n
    ));
    // Wrong target length, non-finite target.
    let mut f = GEhf::new(GEhfConfig::default(), cov.clone(), vec![0.0; 3 * n]).unwrap();
    let p = bits(f.covariance().packed());
    assert!(matches!(
        f.step(&mut net, &x, &[1.0, 0.0]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        f.step(&mut net, &x, &[1.0, f64::NAN, 0.0]),
        Err(Error::NonFinite { .. })
    ));
    // The trust-region extension and the covariance-first order are
    // single-output only.
    let mut t = GEhf::new(GEhfConfig::default(), cov.clone(), vec![0.0; 6 * n])
        .unwrap()
        .with_extension(Extension::OutputTrustRegion(TrustRegion::RECOMMENDED))
        .unwrap();
    assert!(matches!(
        t.step(&mut net, &x, &y),
        Err(Error::Unsupported { .. })
    ));
    let cf = GEhfConfig {
        gain_order: GainOrder::CovarianceFirst,
        ..GEhfConfig::default()
    };
    let mut c = GEhf::new(cf, cov.clone(), vec![0.0; 3 * n]).unwrap();
    assert!(matches!(
        c.step(&mut net, &x, &y),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(bits(net.weights()), w);
    assert_eq!(bits(f.covariance().packed()), p);

    // More outputs than MAX_OUTPUTS.
    let m = MAX_OUTPUTS + 1;
    let spec = ResNetSpec::new(2, 3, m, 5, 1.0).unwrap();
    let nw = spec.n_weights();
    let mut big = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    let cov = PackedCovariance::new(nw, 1.0, vec![0.0; packed_len(nw)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; m * nw]).unwrap();
    assert!(matches!(
        f.step(&mut big, &x, &vec![0.5; m]),
        Err(Error::CapacityExceeded {
            what: "g-EHF outputs",
            ..
        })
    ));

    // measurement_update: bad lengths and values.
    let cov = PackedCovariance::new(4, 1.0, vec![0.0; packed_len(4)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 8]).unwrap();
    let mut w4 = [0.0; 4];
    assert!(f.measurement_update(&mut w4, &[0.0; 8], &[]).is_err());
    assert!(
        f.measurement_update(&mut w4, &[0.0; 7], &[1.0, 1.0])
            .is_err()
    );
    assert!(
        f.measurement_update(&mut w4, &[f64::NAN; 8], &[1.0, 1.0])
            .is_err()
    );
    assert!(
        f.measurement_update(&mut w4[..3], &[0.0; 6], &[1.0, 1.0])
            .is_err()
    );
    // A Jacobian so large that the update overflows is rejected.
    let mut huge = [0.0; 8];
    huge[0] = 1e200;
    huge[5] = 1e200;
    assert!(matches!(
        f.measurement_update(&mut w4, &huge, &[1.0, 1.0]),
        Err(Error::Diverged { .. })
    ));
    assert_eq!(w4, [0.0; 4]);
    assert_eq!(f.covariance().get(0, 0), DEFAULT_EPS0);
    assert_eq!(f.health().steps, 0);
}

/// With [`ErrorTiming::DuringEpoch`], the stopping rule measures the
/// a-priori errors of every output (N_L per sample), replayed here by hand
/// from each output before its step; for H∞ and Adam.
#[test]
fn during_epoch_errors_cover_every_output() {
    let (xs, ys) = three_clusters();
    let data = Samples::new(&xs, 2, &ys, 3).unwrap();
    let cfg = TrainConfig {
        timing: ErrorTiming::DuringEpoch,
        criterion: StopCriterion::MaxAbs,
        max_epochs: 2,
        tol: 1e-12,
        ..TrainConfig::default()
    };
    let mut net = three_class_net(7);
    let n = net.spec().n_weights();
    net.init_uniform(&mut rng(11), 0.5).unwrap();
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let hinf = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 3 * n]).unwrap();
    let adam = Adam::new(AdamConfig::default(), n, vec![0.0; 3 * n]).unwrap();

    fn check<O: Optimizer<f64> + Clone>(
        net: &ResNet<f64, Vec<f64>>,
        opt: &O,
        data: &Samples<'_, f64>,
        cfg: &TrainConfig,
    ) {
        // By hand: the residuals of all outputs before each step.
        let (mut by_hand, mut replay, mut o) = (Vec::new(), net.clone(), opt.clone());
        for _ in 0..cfg.max_epochs {
            let mut stats = ErrorStats::default();
            for (x, y) in data.iter() {
                let out = replay.forward(x).unwrap().to_vec();
                y.iter().zip(&out).for_each(|(t, z)| stats.add(t - z));
                o.observe(&mut replay, x, y).unwrap();
            }
            by_hand.push(stats);
        }
        let (mut net, mut opt, mut seen) = (net.clone(), opt.clone(), Vec::new());
        let mut r = rng(1);
        train(&mut net, &mut opt, data, cfg, &mut r, &mut [], |e| {
            seen.push(e.stats);
            true
        })
        .unwrap();
        assert_eq!(seen.len(), 1 + by_hand.len());
        for (got, want) in seen[1..].iter().zip(&by_hand) {
            assert_eq!(got.count, 3 * data.len());
            assert_eq!(got.count, want.count);
            assert_eq!(got.max_abs, want.max_abs);
            // (Σ e² is summed per sample first, then over samples.)
            assert!(
                (got.sse - want.sse).abs() <= 1e-12 * want.sse,
                "{got:?} {want:?}"
            );
        }
        // The measure is that of all outputs, not of the first one alone.
        assert!(by_hand[0].max_abs > 0.0);
    }
    check(&net, &hinf, &data, &cfg);
    check(&net, &adam, &data, &cfg);
}
