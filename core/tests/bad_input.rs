//! Every bad input returns its typed error and leaves the state bit for bit
//! unchanged (weights, P, Adam's moments).

mod common;
use common::*;
use hinf::*;

type Net = ResNet<f64, Vec<f64>>;
type Filter = GEhf<f64, PackedCovariance<f64, Vec<f64>>, Vec<f64>>;

fn setup() -> (Net, Filter) {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut r = rng(1);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut r, 0.3).unwrap();
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
    // Move P away from ε0 I so that a change would show.
    f.step(&mut net, &[1.0, -1.0], &[1.0]).unwrap();
    (net, f)
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

fn snapshot(net: &Net, f: &Filter) -> (Vec<u64>, Vec<u64>) {
    (bits(net.weights()), bits(f.covariance().packed()))
}

#[test]
fn bad_samples_leave_weights_and_p_unchanged() {
    let cases: Vec<(Vec<f64>, Vec<f64>, Error)> = vec![
        (
            vec![1.0],
            vec![1.0],
            Error::LengthMismatch {
                what: "input",
                expected: 2,
                found: 1,
            },
        ),
        (
            vec![1.0, 0.0, 0.0],
            vec![1.0],
            Error::LengthMismatch {
                what: "input",
                expected: 2,
                found: 3,
            },
        ),
        (
            vec![1.0, 0.0],
            vec![],
            Error::LengthMismatch {
                what: "target",
                expected: 1,
                found: 0,
            },
        ),
        (
            vec![1.0, 0.0],
            vec![1.0, 0.0],
            Error::LengthMismatch {
                what: "target",
                expected: 1,
                found: 2,
            },
        ),
        (
            vec![f64::NAN, 0.0],
            vec![1.0],
            Error::NonFinite { what: "input" },
        ),
        (
            vec![1.0, f64::INFINITY],
            vec![1.0],
            Error::NonFinite { what: "input" },
        ),
        (
            vec![1.0, 0.0],
            vec![f64::NAN],
            Error::NonFinite { what: "target" },
        ),
        (
            vec![1.0, 0.0],
            vec![f64::NEG_INFINITY],
            Error::NonFinite { what: "target" },
        ),
    ];
    for (x, y, expected) in cases {
        let (mut net, mut f) = setup();
        let before = snapshot(&net, &f);
        assert_eq!(
            f.step(&mut net, &x, &y),
            Err(expected),
            "x = {x:?}, y = {y:?}"
        );
        assert_eq!(snapshot(&net, &f), before, "state changed on {expected:?}");
    }
}

#[test]
fn an_update_that_would_overflow_is_rejected_and_changes_nothing() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(2), 0.3).unwrap();
    let cfg = GEhfConfig {
        eps0: 1e308,
        ..GEhfConfig::default()
    };
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut f = GEhf::new(cfg, cov, vec![0.0; n]).unwrap();
    let before = snapshot(&net, &f);
    let r = f.step(&mut net, &[1e3, 1e3], &[1.0]);
    assert!(matches!(r, Err(Error::Diverged { .. })), "{r:?}");
    assert_eq!(snapshot(&net, &f), before);
}

#[test]
fn bad_filter_parameters_are_rejected() {
    let n = 76;
    let cov = || PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    for gamma in [1.0, 0.5, -2.0, f64::NAN, f64::INFINITY] {
        let cfg = GEhfConfig {
            gamma,
            ..GEhfConfig::default()
        };
        assert_eq!(
            GEhf::new(cfg, cov(), vec![0.0; n]).err(),
            Some(Error::InvalidGamma),
            "γ = {gamma}"
        );
    }
    for eps0 in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let cfg = GEhfConfig {
            eps0,
            ..GEhfConfig::default()
        };
        assert_eq!(
            GEhf::new(cfg, cov(), vec![0.0; n]).err(),
            Some(Error::InvalidEps0),
            "ε0 = {eps0}"
        );
        assert_eq!(
            PackedCovariance::new(n, eps0, vec![0.0; packed_len(n)]).err(),
            Some(Error::InvalidEps0)
        );
        assert_eq!(
            IsotropicCovariance::new(n, eps0).err(),
            Some(Error::InvalidEps0)
        );
    }
}

#[test]
fn capacity_is_checked() {
    let spec = ResNetSpec::xor(7).unwrap();
    let need = spec.buffer_len();
    assert_eq!(
        ResNet::new(spec, [0.0f32; 100]).err(),
        Some(Error::CapacityExceeded {
            what: "network buffer",
            needed: need,
            capacity: 100
        })
    );
    assert!(matches!(
        PackedCovariance::new(76, 1.0f32, [0.0; 100]),
        Err(Error::CapacityExceeded {
            needed: 2926,
            capacity: 100,
            ..
        })
    ));
    let cov = PackedCovariance::new(76, 1.0, vec![0.0; packed_len(76)]).unwrap();
    assert!(matches!(
        GEhf::new(GEhfConfig::default(), cov, vec![0.0; 75]),
        Err(Error::CapacityExceeded { .. })
    ));
    assert!(matches!(
        Adam::new(AdamConfig::default(), 76, vec![0.0f64; 200]),
        Err(Error::CapacityExceeded { .. })
    ));
}

#[test]
fn a_filter_of_the_wrong_size_is_rejected() {
    let (mut net, _) = setup();
    let cov = PackedCovariance::new(10, 1.0, vec![0.0; packed_len(10)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 10]).unwrap();
    let w = bits(net.weights());
    assert!(matches!(
        f.step(&mut net, &[1.0, 0.0], &[1.0]),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(bits(net.weights()), w);
}

#[test]
fn several_outputs_need_an_n_outputs_by_n_weights_scratch() {
    let spec = ResNetSpec::new(2, 3, 2, 5, 1.0).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    // N_w of scratch suffices for one output only: refused, nothing changed.
    let mut f = GEhf::new(GEhfConfig::default(), cov.clone(), vec![0.0; n]).unwrap();
    assert!(matches!(
        f.step(&mut net, &[1.0, 0.0], &[1.0, 0.0]),
        Err(Error::CapacityExceeded { needed, .. }) if needed == 2 * n
    ));
    assert!(net.weights().iter().all(|w| *w == 0.0));
    // N_L · N_w: the multi-output filter (PAPER.md section 4, outlook).
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 2 * n]).unwrap();
    let report = f.step(&mut net, &[1.0, 0.0], &[1.0, 0.0]).unwrap();
    assert_eq!(report.error, 0.5);
    assert!(net.weights().iter().any(|w| *w != 0.0));
}

#[test]
fn bad_weights_are_refused_by_set_weights() {
    let (mut net, _) = setup();
    let w = bits(net.weights());
    let mut bad = net.weights().to_vec();
    bad[7] = f64::NAN;
    assert_eq!(
        net.set_weights(&bad),
        Err(Error::NonFinite { what: "weights" })
    );
    assert!(matches!(
        net.set_weights(&bad[..10]),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(bits(net.weights()), w);
    assert!(net.init_uniform(&mut rng(0), f64::NAN).is_err());
    assert!(net.init_uniform(&mut rng(0), -1.0).is_err());
    assert_eq!(bits(net.weights()), w);
}

#[test]
fn bad_adam_input_leaves_moments_unchanged() {
    let (mut net, _) = setup();
    let n = net.spec().n_weights();
    let mut adam = Adam::new(AdamConfig::default(), n, vec![0.0; 3 * n]).unwrap();
    adam.observe(&mut net, &[1.0, 1.0], &[0.0]).unwrap();
    let before = (
        bits(net.weights()),
        bits(adam.moments().0),
        bits(adam.moments().1),
        adam.steps(),
    );
    for (x, y) in [
        (vec![f64::NAN, 0.0], vec![0.0]),
        (vec![0.0, 0.0], vec![f64::INFINITY]),
        (vec![0.0], vec![0.0]),
    ] {
        assert!(adam.observe(&mut net, &x, &y).is_err());
        let after = (
            bits(net.weights()),
            bits(adam.moments().0),
            bits(adam.moments().1),
            adam.steps(),
        );
        assert_eq!(after, before);
    }
    for (name, cfg) in [
        (
            Param::AdamLr,
            AdamConfig {
                lr: 0.0,
                ..AdamConfig::default()
            },
        ),
        (
            Param::AdamBeta1,
            AdamConfig {
                beta1: 1.0,
                ..AdamConfig::default()
            },
        ),
        (
            Param::AdamBeta2,
            AdamConfig {
                beta2: -0.1,
                ..AdamConfig::default()
            },
        ),
        (
            Param::AdamEps,
            AdamConfig {
                eps: f64::NAN,
                ..AdamConfig::default()
            },
        ),
    ] {
        assert_eq!(
            Adam::new(cfg, n, vec![0.0; 3 * n]).err(),
            Some(Error::InvalidParameter { name })
        );
    }
}

#[test]
fn bad_data_and_training_config_are_rejected() {
    assert_eq!(
        Samples::<f64>::new(&[], 2, &[], 1).err(),
        Some(Error::EmptyData)
    );
    assert!(matches!(
        Samples::new(&[1.0, 2.0, 3.0], 2, &[1.0], 1),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        Samples::new(&[1.0, 2.0], 2, &[1.0, 2.0], 1),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(
        Samples::new(&[1.0, f64::NAN], 2, &[1.0], 1).err(),
        Some(Error::NonFinite { what: "input" })
    );
    assert_eq!(
        Samples::new(&[1.0, 0.0], 2, &[f64::NAN], 1).err(),
        Some(Error::NonFinite { what: "target" })
    );

    let (mut net, mut f) = setup();
    let before = snapshot(&net, &f);
    let xor = Xor::<f64>::new(InputCoding::Binary);
    for tol in [0.0, -1.0, f64::NAN] {
        let cfg = TrainConfig {
            tol,
            ..TrainConfig::default()
        };
        let r = train(
            &mut net,
            &mut f,
            &xor.samples(),
            &cfg,
            &mut rng(0),
            &mut [0; 4],
            |_| true,
        );
        assert_eq!(
            r.err(),
            Some(Error::InvalidParameter {
                name: Param::Tolerance
            })
        );
    }
    let cfg = TrainConfig {
        order: SampleOrder::Shuffled,
        ..TrainConfig::default()
    };
    let r = train(
        &mut net,
        &mut f,
        &xor.samples(),
        &cfg,
        &mut rng(0),
        &mut [0; 3],
        |_| true,
    );
    assert!(matches!(r, Err(Error::CapacityExceeded { .. })));
    let three = Samples::new(&[1.0, 2.0, 3.0], 3, &[1.0], 1).unwrap();
    let r = train(
        &mut net,
        &mut f,
        &three,
        &TrainConfig::default(),
        &mut rng(0),
        &mut [0; 4],
        |_| true,
    );
    assert!(matches!(r, Err(Error::LengthMismatch { .. })));
    assert_eq!(snapshot(&net, &f), before);
}

#[test]
fn eps0_is_checked_in_the_filters_precision() {
    let n = 76;
    for eps0 in [1e-300, 1e-46, 1e300, 1e39] {
        let cfg = GEhfConfig {
            eps0,
            ..GEhfConfig::default()
        };
        let cov = PackedCovariance::new(n, 1.0f32, vec![0.0; packed_len(n)]).unwrap();
        assert_eq!(
            GEhf::new(cfg, cov, vec![0.0f32; n]).err(),
            Some(Error::InvalidEps0),
            "ε0 = {eps0} in f32"
        );
    }
    // Fine in f64.
    let cfg = GEhfConfig {
        eps0: 1e-300,
        ..GEhfConfig::default()
    };
    let cov = PackedCovariance::new(n, 1.0f64, vec![0.0; packed_len(n)]).unwrap();
    assert!(GEhf::new(cfg, cov, vec![0.0f64; n]).is_ok());
}

#[test]
fn set_config_and_regularization_validate_and_change_nothing_on_error() {
    let (_, mut f) = setup();
    let p = bits(f.covariance().packed());
    let cfg = *f.config();
    for bad in [
        GEhfConfig { gamma: 1.0, ..cfg },
        GEhfConfig { eps0: -1.0, ..cfg },
        GEhfConfig {
            gamma: f64::NAN,
            ..cfg
        },
    ] {
        assert!(f.set_config(bad).is_err());
        assert_eq!(f.config(), &cfg);
    }
    for (name, reg) in [
        (Param::ProcessNoise, Regularization::process_noise(-1.0)),
        (Param::ProcessNoise, Regularization::process_noise(f64::NAN)),
        (
            Param::ForgettingFactor,
            Regularization {
                forgetting: 0.0,
                ..Regularization::NONE
            },
        ),
        (
            Param::ForgettingFactor,
            Regularization {
                forgetting: 1.5,
                ..Regularization::NONE
            },
        ),
        (
            Param::DiagonalFloor,
            Regularization {
                diagonal_floor: f64::INFINITY,
                ..Regularization::NONE
            },
        ),
    ] {
        assert_eq!(
            f.set_regularization(reg),
            Err(Error::InvalidParameter { name })
        );
        assert_eq!(f.regularization(), &Regularization::NONE);
    }
    assert_eq!(bits(f.covariance().packed()), p);
}

/// A covariance from outside the crate that implements only the required
/// methods: the new P-side methods default to `Unsupported`, and the
/// filter refuses a regularization it could not apply.
#[derive(Debug)]
struct Minimal(f64, usize);
impl Covariance<f64> for Minimal {
    fn dim(&self) -> usize {
        self.1
    }
    fn mul_vec(&self, v: &[f64], out: &mut [f64]) {
        for (o, x) in out.iter_mut().zip(v) {
            *o = self.0 * x;
        }
    }
    fn downdate(&mut self, _c: f64, _u: &[f64]) {}
    fn reset(&mut self, eps0: f64) {
        self.0 = eps0;
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        if i == j && i < self.1 { self.0 } else { 0.0 }
    }
}

#[test]
fn covariance_defaults_are_unsupported_or_computed_from_get() {
    let mut m = Minimal(2.0, 3);
    assert!(matches!(
        m.add_diagonal(1.0),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(m.scale(2.0), Err(Error::Unsupported { .. })));
    assert!(matches!(
        m.floor_diagonal(1.0),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(m.symmetrize(), Err(Error::Unsupported { .. })));
    assert!(matches!(
        m.load_packed(&[0.0; 6]),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(m.downdate_diagonal_bounds(1.0, &[1.0; 3]), None);
    assert_eq!(m.diagonal_bounds(), (2.0, 2.0));
    assert_eq!(m.asymmetry(), 0.0);
    assert_eq!(m.is_positive_definite(&mut [0.0; 6]), Ok(true));
    assert!(matches!(
        m.is_positive_definite(&mut [0.0; 5]),
        Err(Error::CapacityExceeded { .. })
    ));
    assert_eq!(m.regularizable(), Regularizable::NONE);
    let f = GEhf::new(GEhfConfig::default(), Minimal(1.0, 76), vec![0.0; 76]).unwrap();
    assert!(matches!(
        f.with_regularization(Regularization::process_noise(1e-3)),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn covariance_operations_validate_and_change_nothing_on_error() {
    let (_, f) = setup();
    let mut p = f.covariance().clone();
    let before = bits(p.packed());
    assert!(p.add_diagonal(-1.0).is_err());
    assert!(p.add_diagonal(f64::NAN).is_err());
    assert!(matches!(
        p.add_diagonal(f64::MAX),
        Err(Error::Diverged { .. }) | Ok(())
    ));
    let mut q = f.covariance().clone();
    assert!(q.scale(0.0).is_err());
    assert!(q.scale(-2.0).is_err());
    assert_eq!(
        q.scale(f64::MAX),
        Err(Error::Diverged { what: "covariance" })
    );
    assert!(q.floor_diagonal(-1.0).is_err());
    assert!(q.floor_diagonal(f64::NAN).is_err());
    assert!(q.load_packed(&[1.0; 3]).is_err());
    let mut nan = q.packed().to_vec();
    nan[5] = f64::NAN;
    assert!(q.load_packed(&nan).is_err());
    assert_eq!(bits(q.packed()), before);
    assert!(
        q.is_positive_definite(&mut vec![0.0; packed_len(76)])
            .unwrap()
    );

    // The dense and isotropic forms, and N = 0, never panic.
    let mut d = DenseCovariance::new(0, 1.0, Vec::<f64>::new()).unwrap();
    d.mul_vec(&[], &mut []);
    d.downdate(1.0, &[]);
    d.reset(2.0);
    assert_eq!(d.symmetrize(), Ok(0.0));
    assert_eq!(d.diagonal_bounds(), (0.0, 0.0));
    let mut iso = IsotropicCovariance::new(3, 2.0).unwrap();
    assert!(iso.load_packed(&[1.0, 0.5, 1.0, 0.0, 0.0, 1.0]).is_err());
    assert!(iso.load_packed(&[3.0, 0.0, 3.0, 0.0, 0.0, 3.0]).is_ok());
    assert_eq!(iso.get(1, 1), 3.0);
    assert!(matches!(
        PackedCovariance::new(usize::MAX, 1.0, Vec::<f64>::new()),
        Err(Error::CapacityExceeded { .. })
    ));
    assert!(matches!(
        Adam::new(AdamConfig::default(), usize::MAX, Vec::<f64>::new()),
        Err(Error::CapacityExceeded { .. })
    ));
}

#[test]
fn adam_state_and_network_mismatch_are_checked() {
    let (mut net, _) = setup();
    let n = net.spec().n_weights();
    let cfg = AdamConfig {
        mode: AdamMode::Batch,
        ..AdamConfig::default()
    };
    let mut adam = Adam::new(cfg, n, vec![0.0; 3 * n]).unwrap();
    adam.observe(&mut net, &[1.0, 1.0], &[0.0]).unwrap();
    let state = adam.state().0.to_vec();
    // A network of another size at the end of the epoch.
    let spec7 = ResNetSpec::xor(7).unwrap();
    let mut net7 = ResNet::new(spec7, vec![0.0; spec7.buffer_len()]).unwrap();
    let w7 = bits(net7.weights());
    assert!(matches!(
        adam.end_epoch(&mut net7),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(bits(net7.weights()), w7);
    assert_eq!(adam.state().0, &state[..]);
    // Bad restored states.
    let mut bad = state.clone();
    bad[n] = -1.0; // negative second moment
    assert!(adam.set_state(cfg, &bad, 1, 0.5, 0.5).is_err());
    assert!(adam.set_state(cfg, &state[..10], 1, 0.5, 0.5).is_err());
    assert!(adam.set_state(cfg, &state, 1, 1.5, 0.5).is_err());
    bad[n] = f64::NAN;
    assert!(adam.set_state(cfg, &bad, 1, 0.5, 0.5).is_err());
    assert_eq!(adam.state().0, &state[..]);
    assert!(adam.set_state(cfg, &state, 7, 0.5, 0.25).is_ok());
    assert_eq!(adam.steps(), 7);
}

#[test]
fn evaluate_names_the_mismatched_width() {
    let (mut net, _) = setup();
    let two_targets = Samples::new(&[1.0, 0.0], 2, &[1.0, 0.0], 2).unwrap();
    assert_eq!(
        net.evaluate(&two_targets).err(),
        Some(Error::LengthMismatch {
            what: "target width",
            expected: 1,
            found: 2
        })
    );
    let three_inputs = Samples::new(&[1.0, 0.0, 1.0], 3, &[1.0], 1).unwrap();
    assert_eq!(
        net.evaluate(&three_inputs).err(),
        Some(Error::LengthMismatch {
            what: "input width",
            expected: 2,
            found: 3
        })
    );
}
