//! Property tests over random specs, weights, inputs and targets: no panic,
//! finite outputs for finite input, P symmetric to rounding, the Jacobian
//! within tolerance of finite differences, model files that never panic
//! the parser.

use hinf::*;
use proptest::prelude::*;

/// A small random spec (any outputs) and its weights.
fn spec_and_weights(max_outputs: usize) -> impl Strategy<Value = (ResNetSpec, Vec<f64>)> {
    (
        1usize..4,
        1usize..5,
        1..=max_outputs,
        1usize..4,
        0.2f64..4.0,
    )
        .prop_map(|(i, w, o, b, s)| ResNetSpec::with_blocks(i, w, o, b, s).unwrap())
        .prop_flat_map(|spec| {
            (
                Just(spec),
                proptest::collection::vec(-2.0f64..2.0, spec.n_weights()),
            )
        })
}

fn net_with(spec: ResNetSpec, w: &[f64]) -> ResNet<f64, Vec<f64>> {
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.set_weights(w).unwrap();
    net
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn outputs_and_jacobian_are_finite_for_finite_input(
        (spec, w) in spec_and_weights(3),
        x in proptest::collection::vec(-1e3f64..1e3, 1..4),
    ) {
        let mut net = net_with(spec, &w);
        let x: Vec<f64> = x.iter().cycle().take(spec.inputs()).cloned().collect();
        let out = net.forward(&x).unwrap().to_vec();
        prop_assert!(out.iter().all(|y| y.is_finite() && (0.0..=1.0).contains(y)));
        let (_, h) = net.jacobian(&x).unwrap();
        prop_assert!(h.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn jacobian_matches_finite_differences(
        (spec, w) in spec_and_weights(2),
        x in proptest::collection::vec(-2.0f64..2.0, 3),
    ) {
        let mut net = net_with(spec, &w);
        let x = &x[..spec.inputs()];
        let h = net.jacobian(x).unwrap().1.to_vec();
        let nw = spec.n_weights();
        let step = 1e-6;
        for o in 0..spec.outputs() {
            let mut worst: f64 = 0.0;
            for i in 0..nw {
                let mut wp = w.clone();
                wp[i] += step;
                net.set_weights(&wp).unwrap();
                let plus = net.forward(x).unwrap()[o];
                wp[i] -= 2.0 * step;
                net.set_weights(&wp).unwrap();
                let minus = net.forward(x).unwrap()[o];
                let fd = (plus - minus) / (2.0 * step);
                worst = worst.max((fd - h[o * nw + i]).abs());
            }
            net.set_weights(&w).unwrap();
            prop_assert!(worst < 1e-6, "output {}: |H − FD| = {:.2e}", o, worst);
        }
    }

    #[test]
    fn gehf_steps_keep_p_symmetric_and_never_panic(
        (spec, w) in spec_and_weights(1),
        samples in proptest::collection::vec((-3.0f64..3.0, -3.0f64..3.0, -1.0f64..2.0), 1..12),
        gamma in 1.01f64..5.0,
        eps0 in 0.01f64..100.0,
        q in prop_oneof![Just(0.0), 0.0f64..0.1],
    ) {
        let n = spec.n_weights();
        let mut net = net_with(spec, &w);
        let cfg = GEhfConfig { gamma, eps0, gain_order: GainOrder::Paper };
        let cov = DenseCovariance::new(n, 1.0, vec![0.0; n * n]).unwrap();
        let mut f = GEhf::new(cfg, cov, vec![0.0; n]).unwrap()
            .with_regularization(Regularization::process_noise(q)).unwrap();
        for (a, b, y) in samples {
            let x = [a, b, a - b];
            let before = (net.weights().to_vec(), f.covariance().get(0, 0));
            match f.step(&mut net, &x[..spec.inputs()], &[y]) {
                Ok(r) => prop_assert!(r.error.is_finite() && r.hph >= 0.0),
                Err(Error::Diverged { .. }) => {
                    prop_assert_eq!(net.weights(), &before.0[..]);
                    prop_assert_eq!(f.covariance().get(0, 0), before.1);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
            prop_assert!(net.weights().iter().all(|v| v.is_finite()));
            let p = f.covariance();
            let (_, hi) = p.diagonal_bounds();
            prop_assert!(p.asymmetry() <= 1e-12 * hi.max(1.0), "asymmetry {:.2e}", p.asymmetry());
        }
    }

    #[test]
    fn any_values_in_a_step_either_work_or_change_nothing(
        (spec, w) in spec_and_weights(1),
        x in proptest::collection::vec(prop_oneof![
            any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), -1e300f64..1e300], 0..5),
        y in proptest::collection::vec(any::<f64>(), 0..3),
    ) {
        let n = spec.n_weights();
        let mut net = net_with(spec, &w);
        let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
        let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
        let w0 = net.weights().to_vec();
        let p0 = f.covariance().packed().to_vec();
        if f.step(&mut net, &x, &y).is_err() {
            prop_assert_eq!(net.weights(), &w0[..]);
            prop_assert_eq!(f.covariance().packed(), &p0[..]);
        }
        let mut adam = Adam::new(AdamConfig::default(), n, vec![0.0; 3 * n]).unwrap();
        let w1 = net.weights().to_vec();
        if adam.observe(&mut net, &x, &y).is_err() {
            prop_assert_eq!(net.weights(), &w1[..]);
            prop_assert!(adam.moments().0.iter().all(|m| *m == 0.0));
        }
    }

    #[test]
    fn model_parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Model::parse(&bytes);
    }

    #[test]
    fn corrupted_model_files_are_refused(
        (spec, w) in spec_and_weights(2),
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 1..4),
        cut in any::<usize>(),
    ) {
        let net = net_with(spec, &w);
        let mut buf = vec![0u8; model::saved_len::<f64>(&spec, false, false)];
        model::save_network(&net, &mut buf).unwrap();
        prop_assert!(Model::parse(&buf).is_ok());
        let mut bad = buf.clone();
        for (at, mask) in &flips {
            let i = at % bad.len();
            bad[i] ^= mask;
        }
        if bad != buf {
            prop_assert!(Model::parse(&bad).is_err());
        }
        let cut = cut % buf.len();
        prop_assert!(Model::parse(&buf[..cut]).is_err());
    }
}
