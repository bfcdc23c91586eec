//! The trust-region extension of the g-EHF (not in the paper; see
//! `docs/extension-notes.md`): off means the printed method bit for bit,
//! one hand-computed extended step, rejection restores the weights, and
//! the XOR experiment converges with it.

mod common;
use common::*;
use hinf::*;

fn filter(
    n: usize,
    eps0: f64,
    ext: Extension,
) -> GEhf<f64, PackedCovariance<f64, Vec<f64>>, Vec<f64>> {
    let cfg = GEhfConfig {
        eps0,
        ..GEhfConfig::default()
    };
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    GEhf::new(cfg, cov, vec![0.0; 2 * n])
        .unwrap()
        .with_extension(ext)
        .unwrap()
}

#[test]
fn extension_none_is_the_printed_method_bit_for_bit() {
    let spec = ResNetSpec::xor(7).unwrap();
    let n = spec.n_weights();
    let xor = Xor::<f64>::new(InputCoding::Bipolar);
    let data = xor.samples();
    let mut net_a = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net_a.init_uniform(&mut rng(5), 0.05).unwrap();
    let mut net_b = net_a.clone();
    let cfg = GEhfConfig::default();
    let cov = || PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut plain = GEhf::new(cfg, cov(), vec![0.0; n]).unwrap();
    let mut off = GEhf::new(cfg, cov(), vec![0.0; n])
        .unwrap()
        .with_extension(Extension::None)
        .unwrap();
    assert_eq!(*plain.extension(), Extension::None);
    for k in 0..40 {
        let (x, y) = data.get(k % 4).expect("a sample in range");
        let ra = plain.step(&mut net_a, x, y).unwrap();
        let rb = off.step(&mut net_b, x, y).unwrap();
        assert_eq!(ra, rb);
        assert_eq!(net_a.weights(), net_b.weights());
        assert_eq!(plain.covariance().packed(), off.covariance().packed());
    }
}

/// All-zero weights, L = 5: every hidden unit is f(0) = 1/2, so
/// H is non-zero only on the output block, h = f'(0)·[1, ½, ½, ½, ½, ½]
/// with f'(0) = η0/4 = 5/8, |h|² = 225/256. With y = 1, e = ½ and
/// P = ε0 I the printed step would move h by s e / (1 + s) ≈ ½ (and sᴸ by
/// ≈ 0.79). With δ = ½ the linearised move of sᴸ is exactly ½, i.e.
/// H Δw = δ f'(0) = 5/16, along Δw ∝ h: Δw = (5/16)/(225/256) · h =
/// (16/45) h, so Δbᴸ = 2/9 and each output weight moves by 1/9. The
/// output pre-activation is linear in those weights, so the
/// a-posteriori test accepts this step at once.
#[test]
fn one_extended_step_by_hand() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let out = spec.transition(spec.layers() - 1).unwrap();
    for max_halvings in [0, 10] {
        let tr = TrustRegion {
            delta: 0.5,
            tolerance: 1e-9,
            max_halvings,
        };
        let eps0 = 100.0;
        let mut f = filter(n, eps0, Extension::OutputTrustRegion(tr));
        let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        let r = f.step(&mut net, &[1.0, -1.0], &[1.0]).unwrap();
        assert_eq!(r.error, 0.5);
        let s = eps0 * 225.0 / 256.0;
        assert!((r.hph - s).abs() < 1e-12);
        let w = net.weights();
        for (i, wi) in w.iter().enumerate() {
            let expected = if i == out.offset {
                2.0 / 9.0
            } else if i > out.offset {
                1.0 / 9.0
            } else {
                0.0
            };
            assert!(
                (wi - expected).abs() < 1e-14,
                "w[{i}] = {wi}, expected {expected}"
            );
        }
        // The output pre-activation moved by exactly δ.
        let y = net.forward(&[1.0, -1.0]).unwrap()[0];
        let expected = 1.0 / (1.0 + (-2.5f64 * 0.5).exp());
        assert!((y - expected).abs() < 1e-14);
        // P received the printed downdate: P = ε0 I − c u uᵀ, u = ε0 h.
        let a = 1.0 - 1.0 / (1.7f64 * 1.7);
        let c = a / (1.0 + a * s);
        let hb = 0.625;
        let hw = 0.3125;
        let p = f.covariance();
        let close = |got: f64, want: f64| (got - want).abs() < 1e-10 * eps0;
        assert!(close(
            p.get(out.offset, out.offset),
            eps0 - c * (eps0 * hb).powi(2)
        ));
        assert!(close(
            p.get(out.offset + 1, out.offset),
            -c * eps0 * hb * eps0 * hw
        ));
        assert!(close(
            p.get(out.offset + 2, out.offset + 1),
            -c * (eps0 * hw).powi(2)
        ));
        assert!(close(p.get(0, 0), eps0));
    }
}

/// With τ = 0 a step through the nonlinear hidden layers never passes the
/// a-posteriori test: the weights come back bit for bit, while P still
/// receives the printed downdate.
#[test]
fn a_rejected_step_restores_the_weights_exactly() {
    let spec = ResNetSpec::xor(9).unwrap();
    let n = spec.n_weights();
    let tr = TrustRegion {
        delta: 1.0,
        tolerance: 0.0,
        max_halvings: 3,
    };
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(3), 0.5).unwrap();
    let w0 = net.weights().to_vec();
    let mut f = filter(n, 10.0, Extension::OutputTrustRegion(tr));
    let mut reference = filter(n, 10.0, Extension::None);
    let mut net_ref = net.clone();
    f.step(&mut net, &[1.0, 1.0], &[0.0]).unwrap();
    reference.step(&mut net_ref, &[1.0, 1.0], &[0.0]).unwrap();
    assert_eq!(net.weights(), &w0[..]);
    assert_ne!(net_ref.weights(), &w0[..]);
    assert_eq!(f.covariance().packed(), reference.covariance().packed());
}

#[test]
fn xor_l5_converges_for_20_seeds_with_the_trust_region() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let xor = Xor::<f64>::new(InputCoding::Bipolar);
    let tc = TrainConfig {
        max_epochs: 200,
        ..TrainConfig::default()
    };
    let mut total = 0;
    for seed in 0..20 {
        let mut r = rng(seed);
        let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        net.init_uniform(&mut r, PAPER_INIT_RANGE).unwrap();
        let mut f = filter(
            n,
            EXTENSION_EPS0,
            Extension::OutputTrustRegion(TrustRegion::RECOMMENDED),
        );
        let o = train(
            &mut net,
            &mut f,
            &xor.samples(),
            &tc,
            &mut r,
            &mut [0; 4],
            |_| true,
        )
        .unwrap();
        assert!(o.converged, "seed {seed}: {o:?}");
        total += o.epochs;
    }
    assert!(total <= 20 * 25, "mean epochs {}", total as f64 / 20.0);
}

#[test]
fn xor_l5_converges_in_f32_with_the_trust_region() {
    const SPEC: ResNetSpec = ResNetSpec::xor_const(1);
    let xor = Xor::<f32>::new(InputCoding::Bipolar);
    for seed in 0..5 {
        let mut r = rng(seed);
        let mut net = ResNet::new(SPEC, [0.0f32; SPEC.buffer_len()]).unwrap();
        net.init_uniform(&mut r, PAPER_INIT_RANGE).unwrap();
        let cfg = GEhfConfig {
            eps0: EXTENSION_EPS0,
            ..GEhfConfig::default()
        };
        let cov = PackedCovariance::new(SPEC.n_weights(), 1.0, [0.0f32; SPEC.n_packed()]).unwrap();
        let mut f = GEhf::new(cfg, cov, [0.0f32; 2 * SPEC.n_weights()])
            .unwrap()
            .with_extension(Extension::OutputTrustRegion(TrustRegion::RECOMMENDED))
            .unwrap();
        let tc = TrainConfig {
            max_epochs: 200,
            ..TrainConfig::default()
        };
        let o = train(
            &mut net,
            &mut f,
            &xor.samples(),
            &tc,
            &mut r,
            &mut [0; 4],
            |_| true,
        )
        .unwrap();
        assert!(o.converged, "seed {seed}: {o:?}");
    }
}

#[test]
fn bad_trust_region_parameters_are_rejected() {
    let n = 76;
    let make = |scratch: usize| {
        GEhf::new(
            GEhfConfig::default(),
            PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap(),
            vec![0.0f64; scratch],
        )
        .unwrap()
    };
    for (delta, tolerance) in [
        (0.0, 1.0),
        (-1.0, 1.0),
        (f64::NAN, 1.0),
        (1.0, -0.1),
        (1.0, f64::INFINITY),
    ] {
        let tr = TrustRegion {
            delta,
            tolerance,
            max_halvings: 0,
        };
        assert!(matches!(
            make(n)
                .with_extension(Extension::OutputTrustRegion(tr))
                .err(),
            Some(Error::InvalidParameter { .. })
        ));
    }
    // The a-posteriori test needs 2·N_w of scratch; the a-priori bound alone does not.
    let tr = TrustRegion::RECOMMENDED;
    assert!(matches!(
        make(n)
            .with_extension(Extension::OutputTrustRegion(tr))
            .err(),
        Some(Error::CapacityExceeded { needed: 152, .. })
    ));
    let tr0 = TrustRegion {
        max_halvings: 0,
        ..tr
    };
    assert!(
        make(n)
            .with_extension(Extension::OutputTrustRegion(tr0))
            .is_ok()
    );
    assert!(
        make(2 * n)
            .with_extension(Extension::OutputTrustRegion(tr))
            .is_ok()
    );
}
