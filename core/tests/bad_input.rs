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
fn several_outputs_are_refused_by_the_single_output_filter() {
    let spec = ResNetSpec::new(2, 3, 2, 5, 1.0).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
    assert!(matches!(
        f.step(&mut net, &[1.0, 0.0], &[1.0, 0.0]),
        Err(Error::Unsupported { .. })
    ));
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
            "adam lr",
            AdamConfig {
                lr: 0.0,
                ..AdamConfig::default()
            },
        ),
        (
            "adam beta1",
            AdamConfig {
                beta1: 1.0,
                ..AdamConfig::default()
            },
        ),
        (
            "adam beta2",
            AdamConfig {
                beta2: -0.1,
                ..AdamConfig::default()
            },
        ),
        (
            "adam eps",
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
        assert_eq!(r.err(), Some(Error::InvalidParameter { name: "tolerance" }));
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
