//! The exact information form ([`WindowShape::exact`], [`FactoredShape::exact`]):
//! eq. (7) over every sample, its factor extended row by row. Against the
//! packed g-EHF over whole XOR runs (L = 5, 7, 9, 21; both gain orders; the
//! trust region; past the stack's [`MAX_WINDOW_ROWS`] rows), extending the
//! factor against factoring it whole (bit for bit), and a sample past the
//! capacity refused with nothing changed.

mod common;
use common::*;
use hinf::*;

fn exact<T: Real>(spec: &ResNetSpec, capacity: usize) -> InfoWindow<T, Vec<T>> {
    let shape = FactoredShape::exact(spec, capacity);
    InfoWindow::factored(shape, T::ONE, vec![T::ZERO; shape.storage_len()]).unwrap()
}

fn packed(n: usize) -> PackedCovariance<f64, Vec<f64>> {
    PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap()
}

fn filter<T: Real, C: Covariance<T>>(
    cov: C,
    order: GainOrder,
    extension: Extension,
) -> GEhf<T, C, Vec<T>> {
    let cfg = GEhfConfig {
        gain_order: order,
        ..GEhfConfig::default()
    };
    let n = cov.dim();
    let scratch = vec![T::ZERO; 2 * n];
    GEhf::new(cfg, cov, scratch)
        .unwrap()
        .with_extension(extension)
        .unwrap()
}

/// XOR in the order 0, 3, 1, 2.
fn sample(k: usize) -> ([f64; 2], [f64; 1]) {
    let xor = Xor::<f64>::new(InputCoding::default());
    let (x, y) = xor.samples().get([0, 3, 1, 2][k % 4]).unwrap();
    ([x[0], x[1]], [y[0]])
}

/// Runs both filters from the same weights for `steps` samples: the
/// largest |Δw| / (1 + |w|) seen, and how far the weights moved.
fn race<A: Covariance<f64>, B: Covariance<f64>>(
    layers: usize,
    fa: &mut GEhf<f64, A, Vec<f64>>,
    fb: &mut GEhf<f64, B, Vec<f64>>,
    steps: usize,
) -> (f64, f64) {
    let mut na = xor_net::<f64>(layers, 7);
    let mut nb = na.clone();
    let w0 = na.weights().to_vec();
    let mut worst = 0.0f64;
    for k in 0..steps {
        let (x, y) = sample(k);
        let ra = fa.step(&mut na, &x, &y).map(|_| ());
        let rb = fb.step(&mut nb, &x, &y).map(|_| ());
        assert_eq!(ra.is_ok(), rb.is_ok(), "step {k}: {ra:?} against {rb:?}");
        for (a, b) in na.weights().iter().zip(nb.weights()) {
            worst = worst.max((a - b).abs() / (1.0 + b.abs()));
        }
    }
    let moved = na
        .weights()
        .iter()
        .zip(&w0)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    (worst, moved)
}

/// Whole runs (75 epochs of the four patterns) at L = 5, 7, 9, 21, both
/// gain orders, printed step and trust region: the weights within 1e-10
/// of the packed g-EHF's.
#[test]
fn exact_form_follows_the_packed_filter_over_whole_runs() {
    let steps = 300;
    let tr = Extension::OutputTrustRegion(TrustRegion::RECOMMENDED);
    for layers in [5, 7, 9, 21] {
        let n = ResNetSpec::xor(layers).unwrap().n_weights();
        for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
            for ext in [Extension::None, tr] {
                let spec = ResNetSpec::xor(layers).unwrap();
                let mut fp = filter(packed(n), order, ext);
                let mut fe = filter(exact::<f64>(&spec, steps), order, ext);
                let (worst, moved) = race(layers, &mut fp, &mut fe, steps);
                eprintln!("L = {layers} {order:?} {ext:?}: {worst:.1e}");
                assert!(worst <= 1e-10, "L = {layers} {order:?} {ext:?}: {worst}");
                assert!(moved > 0.05, "the run learned: {moved}");
                assert_eq!(fe.covariance().len(), steps);
            }
        }
    }
}

/// Past [`MAX_WINDOW_ROWS`] rows the filter's product still runs (in the
/// storage's work space); `mul_vec`, on the stack, gives NaN there.
#[test]
fn more_rows_than_the_stack_holds() {
    let spec = ResNetSpec::xor(5).unwrap();
    let steps = MAX_WINDOW_ROWS + 20;
    let mut fp = filter(packed(spec.n_weights()), GainOrder::Paper, Extension::None);
    let mut fe = filter(
        exact::<f64>(&spec, steps),
        GainOrder::Paper,
        Extension::None,
    );
    let (worst, _) = race(5, &mut fp, &mut fe, steps);
    assert!(worst <= 1e-10, "{worst}");
    let p = fe.covariance();
    assert_eq!(p.len(), steps);
    let v = vec![1.0; spec.n_weights()];
    let mut out = vec![0.0; spec.n_weights()];
    p.mul_vec(&v, &mut out);
    assert!(out.iter().all(|x| x.is_nan()));
}

/// The factor extended sample by sample is, bit for bit, the factor of
/// the same rows factored whole (a fresh window loading them).
#[test]
fn extending_the_factor_is_factoring_it_whole() {
    let spec = ResNetSpec::xor(7).unwrap();
    let n = spec.n_weights();
    for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
        let mut f = filter(exact::<f64>(&spec, 64), order, Extension::None);
        let mut net = xor_net::<f64>(7, 3);
        for k in 0..60 {
            let (x, y) = sample(k);
            f.step(&mut net, &x, &y).unwrap();
        }
        let grown = f.covariance();
        let state = grown.window_state().unwrap();
        let (mut weights, mut rows) = (Vec::new(), Vec::new());
        for q in 0..grown.len() {
            let (a, r) = grown.window_row(q).unwrap();
            weights.push(a);
            rows.extend_from_slice(r);
        }
        let mut whole = exact::<f64>(&spec, 64);
        whole.load_window(&state, &weights, &rows).unwrap();
        let mut r = rng(5);
        for _ in 0..3 {
            let v: Vec<f64> = (0..n).map(|_| uniform(&mut r, 1.0)).collect();
            let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
            grown.mul_vec(&v, &mut a);
            whole.mul_vec(&v, &mut b);
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "{order:?}");
        }
        assert_eq!(grown.get(3, 9).to_bits(), whole.get(3, 9).to_bits());
    }
}

/// A sample past the capacity: `CapacityExceeded`, and the weights and `P`
/// as they were.
#[test]
fn a_sample_past_the_capacity_is_refused() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut f = filter(exact::<f64>(&spec, 3), GainOrder::Paper, Extension::None);
    let mut net = xor_net::<f64>(5, 3);
    for k in 0..3 {
        let (x, y) = sample(k);
        f.step(&mut net, &x, &y).unwrap();
    }
    let v = vec![0.5; n];
    let mut before = vec![0.0; n];
    f.covariance().mul_vec(&v, &mut before);
    let w = net.weights().to_vec();
    let (x, y) = sample(3);
    let err = f.step(&mut net, &x, &y).unwrap_err();
    assert!(matches!(err, Error::CapacityExceeded { .. }), "{err:?}");
    assert_eq!(net.weights(), &w[..]);
    assert_eq!(f.covariance().len(), 3);
    let mut after = vec![0.0; n];
    f.covariance().mul_vec(&v, &mut after);
    assert_eq!(before, after);
    // A bounded window of the same memory forgets instead.
    let shape = FactoredShape::new(&spec, 3);
    assert!(shape.validate().is_ok());
    assert!(FactoredShape::exact(&spec, 3).storage_len() > shape.storage_len());
}

/// Grown mid-run ([`InfoWindow::with_capacity`]), the run goes on bit for
/// bit as with the capacity from the start; a window cannot grow, nor the
/// form shrink below its rows.
#[test]
fn growing_the_capacity_changes_nothing() {
    let spec = ResNetSpec::xor(7).unwrap();
    let mut big = filter(exact::<f64>(&spec, 80), GainOrder::Paper, Extension::None);
    let mut f = filter(exact::<f64>(&spec, 20), GainOrder::Paper, Extension::None);
    let mut net_big = xor_net::<f64>(7, 9);
    let mut net_small = net_big.clone();
    for k in 0..80 {
        if k == 20 {
            assert_eq!(f.covariance().len(), 20);
            let shape = FactoredShape::exact(&spec, 80);
            let grown = f
                .covariance()
                .with_capacity(80, vec![0.0; shape.storage_len()]);
            *f.covariance_mut() = grown.unwrap();
        }
        let (x, y) = sample(k);
        big.step(&mut net_big, &x, &y).unwrap();
        f.step(&mut net_small, &x, &y).unwrap();
    }
    let shape = FactoredShape::exact(&spec, 80);
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(net_big.weights()), bits(net_small.weights()));
    let p = f.covariance();
    assert!(matches!(
        p.with_capacity(10, vec![0.0; shape.storage_len()]),
        Err(Error::CapacityExceeded { .. })
    ));
    let window = InfoWindow::factored(
        FactoredShape::new(&spec, 4),
        1.0,
        vec![0.0; FactoredShape::new(&spec, 4).storage_len()],
    )
    .unwrap();
    assert!(matches!(
        window.with_capacity(8, vec![0.0; shape.storage_len()]),
        Err(Error::Unsupported { .. })
    ));
}

/// `write_packed` is the `P` of the packed filter after the same run
/// (within rounding) and of `get`; a short scratch or a wrong-sized `out`
/// is refused.
#[test]
fn written_packed_is_the_packed_filters_p() {
    let spec = ResNetSpec::xor(7).unwrap();
    let n = spec.n_weights();
    let mut fp = filter(packed(n), GainOrder::Paper, Extension::None);
    let mut fe = filter(exact::<f64>(&spec, 40), GainOrder::Paper, Extension::None);
    race(7, &mut fp, &mut fe, 40);
    let p = fe.covariance();
    let mut scratch = vec![0.0; 40 * n];
    let mut out = vec![0.0; packed_len(n)];
    p.write_packed(&mut scratch, &mut out).unwrap();
    let want = fp.covariance();
    let mut k = 0;
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..=i {
            worst = worst.max((out[k] - want.get(i, j)).abs());
            assert!((out[k] - p.get(i, j)).abs() <= 1e-12 * (1.0 + out[k].abs()));
            k += 1;
        }
    }
    assert!(worst <= 1e-10, "{worst}");
    assert!(p.write_packed(&mut scratch[..n], &mut out).is_err());
    assert!(p.write_packed(&mut scratch, &mut out[1..]).is_err());
}
