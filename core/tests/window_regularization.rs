//! The two windows under a [`Regularization`]: forgetting on the
//! information window, process noise and forgetting on the structured
//! window, checked against the packed `P` with the same regularization
//! (an unbounded window is the exact g-EHF) and, for a short window,
//! against eq. (7) with the decayed weights computed directly. What has no
//! form of a window's shape is refused and changes nothing.

mod common;
use common::*;
use hinf::*;

const EPOCHS: usize = 30;

fn forgetting(lambda: f64) -> Regularization {
    Regularization {
        forgetting: lambda,
        ..Regularization::NONE
    }
}

/// The packed filter the windows are checked against.
type Packed = Filter<f64, PackedCovariance<f64, Vec<f64>>>;

/// Trains one net with the packed `P` and a copy with `cov`, both under
/// `reg`, in [`ORDER`] for [`EPOCHS`]: the largest weight difference over
/// the run, and both filters.
fn against_packed<C: Covariance<f64>>(
    layers: usize,
    reg: Regularization,
    cov: C,
) -> (f64, Packed, Filter<f64, C>) {
    let mut net_p = xor_net::<f64>(layers, 3);
    let mut net_w = net_p.clone();
    let w0 = net_p.weights().to_vec();
    let n = net_p.spec().n_weights();
    let cfg = GEhfConfig::default();
    let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut fp = GEhf::new(cfg, packed, vec![0.0; n]).unwrap();
    let mut fw = GEhf::new(cfg, cov, vec![0.0; n]).unwrap();
    fp.set_regularization(reg).unwrap();
    fw.set_regularization(reg).unwrap();
    let xor = Xor::<f64>::new(InputCoding::default());
    let mut worst = 0.0f64;
    for _ in 0..EPOCHS {
        for k in ORDER {
            let (x, y) = xor.samples().get(k).unwrap();
            fp.step(&mut net_p, x, y).unwrap();
            fw.step(&mut net_w, x, y).unwrap();
            for (p, w) in net_p.weights().iter().zip(net_w.weights()) {
                worst = worst.max((p - w).abs() / (1.0 + p.abs()));
            }
        }
    }
    let moved = net_p
        .weights()
        .iter()
        .zip(&w0)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(moved > 0.1, "the run learned: {moved}");
    (worst, fp, fw)
}

fn info_window(spec: &ResNetSpec, memory: usize, factored: bool) -> InfoWindow<f64, Vec<f64>> {
    if factored {
        let shape = FactoredShape::new(spec, memory);
        InfoWindow::factored(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap()
    } else {
        let shape = WindowShape::new(spec.n_weights(), memory, 1);
        InfoWindow::new(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap()
    }
}

fn term_window(n: usize, memory: usize) -> TermWindow<f64, Vec<f64>> {
    let shape = TermWindowShape::new(n, memory);
    TermWindow::new(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap()
}

/// r ≥ the samples: with forgetting λ = 0.97 the information window
/// (dense and factored rows) follows the packed `P / λ` filter within
/// 1e-10, and its `P` is the packed one.
#[test]
fn an_unbounded_information_window_forgets_as_the_packed_p() {
    for layers in [5, 7] {
        let spec = ResNetSpec::xor(layers).unwrap();
        for factored in [false, true] {
            let cov = info_window(&spec, 4 * EPOCHS, factored);
            let (worst, fp, fw) = against_packed(layers, forgetting(0.97), cov);
            assert!(
                worst <= 1e-10,
                "L = {layers} factored {factored}: {worst:e}"
            );
            let (pp, pw) = (dense_of(fp.covariance()), dense_of(fw.covariance()));
            assert!(pp.max_abs_diff(&pw) <= 1e-9 * pp.max_abs());
            // P/λ^k grew ε: the window's prior is ε0 λ^-k.
            let expected = GEhfConfig::default().eps0 * 0.97f64.powi(-(4 * EPOCHS as i32));
            let eps = fw.covariance().eps0();
            assert!(
                (eps - expected).abs() <= 1e-12 * expected,
                "{eps} vs {expected}"
            );
        }
    }
}

/// r ≥ the terms: process noise, forgetting and both at once keep the
/// structured window on the packed filter within 1e-10.
#[test]
fn an_unbounded_term_window_regularizes_as_the_packed_p() {
    let both = Regularization {
        process_noise: 1e-3,
        forgetting: 0.98,
        diagonal_floor: 0.0,
    };
    for reg in [Regularization::process_noise(1e-3), forgetting(0.98), both] {
        for layers in [5, 7] {
            let n = ResNetSpec::xor(layers).unwrap().n_weights();
            let (worst, fp, fw) = against_packed(layers, reg, term_window(n, 4 * EPOCHS));
            assert!(worst <= 1e-10, "L = {layers} {reg:?}: {worst:e}");
            let (pp, pw) = (dense_of(fp.covariance()), dense_of(fw.covariance()));
            assert!(pp.max_abs_diff(&pw) <= 1e-9 * pp.max_abs(), "{reg:?}");
        }
    }
}

/// A window of 6 samples with forgetting: its `P` is eq. (7) over the six
/// newest Jacobians with weights `a λ^(q+1)` (q = 0 the newest) and prior
/// `ε0 λ^-k`, computed directly; the stored weights are those.
#[test]
fn a_short_forgetting_window_is_eq7_with_decayed_weights() {
    let (layers, memory, lambda) = (5, 6, 0.9);
    let spec = ResNetSpec::xor(layers).unwrap();
    let n = spec.n_weights();
    let mut net = xor_net::<f64>(layers, 5);
    let cfg = GEhfConfig::default();
    let a = 1.0 - 1.0 / (cfg.gamma * cfg.gamma);
    let cov = info_window(&spec, memory, true);
    let mut f = GEhf::new(cfg, cov, vec![0.0; n]).unwrap();
    f.set_regularization(forgetting(lambda)).unwrap();
    let xor = Xor::<f64>::new(InputCoding::default());
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let steps = 4 * 5;
    for k in 0..steps {
        let (x, y) = xor.samples().get(ORDER[k % 4]).unwrap();
        f.step(&mut net, x, y).unwrap();
        rows.push(net.last_jacobian().to_vec());
    }
    let w = f.covariance();
    assert_eq!(w.len(), memory);
    let prior = cfg.eps0 * lambda.powi(-(steps as i32));
    assert!((w.eps0() - prior).abs() <= 1e-12 * prior);
    let mut info = Mat::identity(n, 1.0 / prior);
    for q in 0..memory {
        let (weight, _) = w.window_row(q).unwrap();
        let expected = a * lambda.powi(q as i32 + 1);
        assert!(
            (weight - expected).abs() <= 1e-14,
            "row {q}: {weight} vs {expected}"
        );
        let h = &rows[steps - 1 - q];
        for i in 0..n {
            for j in 0..n {
                info.a[i * n + j] += expected * h[i] * h[j];
            }
        }
    }
    let direct = info.inverse();
    let pw = dense_of(w);
    let diff = direct.max_abs_diff(&pw);
    assert!(diff <= 1e-8 * direct.max_abs(), "P differs by {diff:e}");
}

/// What a window cannot hold is refused by name and changes nothing;
/// a bad α or q is a typed error on the covariance itself.
#[test]
fn what_a_window_cannot_hold_is_refused_and_changes_nothing() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let cfg = GEhfConfig::default();
    let floor = Regularization {
        diagonal_floor: 1e-6,
        ..Regularization::NONE
    };
    let mut fi = GEhf::new(cfg, info_window(&spec, 4, true), vec![0.0; n]).unwrap();
    for reg in [Regularization::process_noise(1e-3), floor] {
        let err = fi.set_regularization(reg).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        assert!(fi.regularization().is_none());
    }
    let mut ft = GEhf::new(cfg, term_window(n, 4), vec![0.0; n]).unwrap();
    assert!(matches!(
        ft.set_regularization(floor),
        Err(Error::Unsupported { .. })
    ));
    assert!(ft.regularization().is_none());
    assert_eq!(
        fi.covariance().regularizable(),
        Regularizable {
            forgetting: true,
            ..Regularizable::NONE
        }
    );

    // Bad α and q on a window that holds rows: typed, nothing changes.
    let mut net = xor_net::<f64>(5, 1);
    let xor = Xor::<f64>::new(InputCoding::default());
    for k in 0..6 {
        let (x, y) = xor.samples().get(k % 4).unwrap();
        fi.step(&mut net, x, y).unwrap();
        ft.step(&mut net, x, y).unwrap();
    }
    let (pi, pt) = (dense_of(fi.covariance()), dense_of(ft.covariance()));
    let mut wi = fi.covariance().clone();
    let mut wt = ft.covariance().clone();
    for alpha in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            wi.scale(alpha),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            wt.scale(alpha),
            Err(Error::InvalidParameter { .. })
        ));
    }
    for q in [-1.0, f64::NAN] {
        assert!(matches!(
            wt.add_diagonal(q),
            Err(Error::InvalidParameter { .. })
        ));
    }
    assert!(matches!(
        wi.add_diagonal(1e-3),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        wi.floor_diagonal(1e-3),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(dense_of(&wi), pi);
    assert_eq!(dense_of(&wt), pt);

    // An overflowing α is refused whole: ε0 and every weight as before.
    let mut big_i = wi.clone();
    big_i.scale(1e300).unwrap();
    let before: Vec<(f64, Vec<f64>)> = (0..big_i.len())
        .map(|q| {
            let (d, row) = big_i.window_row(q).unwrap();
            (d, row.to_vec())
        })
        .collect();
    let e = big_i.eps0();
    assert!(matches!(big_i.scale(1e300), Err(Error::Diverged { .. })));
    assert_eq!(big_i.eps0(), e);
    for (q, (d, row)) in before.iter().enumerate() {
        assert_eq!(big_i.window_row(q).unwrap(), (*d, &row[..]));
    }
    let mut big_t = wt.clone();
    big_t.scale(1e300).unwrap();
    let (e, c0) = (big_t.eps0(), big_t.term(0).unwrap().0);
    assert!(matches!(big_t.scale(1e300), Err(Error::Diverged { .. })));
    assert!(matches!(
        big_t.add_diagonal(f64::MAX),
        Err(Error::Diverged { .. })
    ));
    assert_eq!((big_t.eps0(), big_t.term(0).unwrap().0), (e, c0));
}

/// Three outputs (three rows per sample), r ≥ the samples: the windows
/// under forgetting (and the structured one under process noise too)
/// follow the packed multi-output filter within 1e-10.
#[test]
fn unbounded_windows_regularize_as_the_packed_multi_output_filter() {
    let spec = ResNetSpec::new(2, 5, 3, 7, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let steps = 40;
    let both = Regularization {
        process_noise: 1e-3,
        forgetting: 0.98,
        diagonal_floor: 0.0,
    };
    let shape = WindowShape::new(n, steps, 3);
    let info = InfoWindow::new(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap();
    let terms = term_window(n, 3 * steps);
    let mut net0 = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net0.init_uniform(&mut rng(3), 0.3).unwrap();
    let packed = || PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let cfg = GEhfConfig::default();
    let mut fp_i = GEhf::new(cfg, packed(), vec![0.0; 3 * n]).unwrap();
    let mut fp_t = GEhf::new(cfg, packed(), vec![0.0; 3 * n]).unwrap();
    let mut fi = GEhf::new(cfg, info, vec![0.0; 3 * n]).unwrap();
    let mut ft = GEhf::new(cfg, terms, vec![0.0; 3 * n]).unwrap();
    fp_i.set_regularization(forgetting(0.98)).unwrap();
    fi.set_regularization(forgetting(0.98)).unwrap();
    fp_t.set_regularization(both).unwrap();
    ft.set_regularization(both).unwrap();
    let (mut n_pi, mut n_i, mut n_pt, mut n_t) =
        (net0.clone(), net0.clone(), net0.clone(), net0.clone());
    for step in 0..steps {
        let t = step as f64 * 0.7;
        let x = [t.sin(), t.cos()];
        let y: Vec<f64> = (0..3).map(|o| f64::from(u8::from(o == step % 3))).collect();
        fp_i.step(&mut n_pi, &x, &y).unwrap();
        fi.step(&mut n_i, &x, &y).unwrap();
        fp_t.step(&mut n_pt, &x, &y).unwrap();
        ft.step(&mut n_t, &x, &y).unwrap();
        for (a, b) in n_pi.weights().iter().zip(n_i.weights()) {
            assert!((a - b).abs() <= 1e-10, "info, step {step}: {a} vs {b}");
        }
        for (a, b) in n_pt.weights().iter().zip(n_t.weights()) {
            assert!((a - b).abs() <= 1e-10, "terms, step {step}: {a} vs {b}");
        }
    }
    let moved = n_i
        .weights()
        .iter()
        .zip(net0.weights())
        .map(|(a, b)| (a - b).abs());
    assert!(moved.fold(0.0, f64::max) > 0.1, "the runs learned");
}
