//! The information window with its rows kept by their per-neuron factors
//! (eqs. 21–23): against the dense window on XOR runs (L = 5, 7; f32, f64;
//! both gain orders; r = 1, 4, 8 and r ≥ the samples, where both are the
//! packed g-EHF), against the direct inverse of the windowed information
//! matrix, with three outputs; its storage; rows that are not a network's
//! Jacobian refused; model files.

mod common;
use common::*;
use hinf::model::{self, Model, saved_gehf_len, saved_window_len};
use hinf::*;

fn bits<T: Real>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn dense<T: Real>(spec: &ResNetSpec, memory: usize) -> InfoWindow<T, Vec<T>> {
    let shape = WindowShape::new(spec.n_weights(), memory, spec.outputs());
    InfoWindow::new(shape, T::ONE, vec![T::ZERO; shape.storage_len()]).unwrap()
}

fn factored<T: Real>(spec: &ResNetSpec, memory: usize) -> InfoWindow<T, Vec<T>> {
    let shape = FactoredShape::new(spec, memory);
    InfoWindow::factored(shape, T::ONE, vec![T::ZERO; shape.storage_len()]).unwrap()
}

fn network<T: Real>(spec: ResNetSpec, seed: u64, range: f64) -> ResNet<T, Vec<T>> {
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(seed), range).unwrap();
    net
}

fn filter<T: Real, C: Covariance<T>>(
    cov: C,
    order: GainOrder,
    outputs: usize,
) -> GEhf<T, C, Vec<T>> {
    let cfg = GEhfConfig {
        gain_order: order,
        ..GEhfConfig::default()
    };
    let n = cov.dim();
    GEhf::new(cfg, cov, vec![T::ZERO; outputs * n]).unwrap()
}

/// Sample k: XOR in the order 0, 3, 1, 2 for one output; a rotating
/// input with one-hot targets for several.
fn sample<T: Real>(outputs: usize, k: usize) -> (Vec<T>, Vec<T>) {
    if outputs == 1 {
        let xor = Xor::<T>::new(InputCoding::default());
        let (x, y) = xor.samples().get([0, 3, 1, 2][k % 4]).unwrap();
        return (x.to_vec(), y.to_vec());
    }
    let t = k as f64 * 0.7;
    let x = vec![T::from_f64(t.sin()), T::from_f64(t.cos())];
    let y = (0..outputs)
        .map(|o| T::from_f64(if o == k % outputs { 1.0 } else { 0.0 }))
        .collect();
    (x, y)
}

/// Runs two filters from the same weights for `steps` samples; returns
/// the largest |Δw| / (1 + |w|) seen and the largest |w − w0|.
fn race<T: Real, A: Covariance<T>, B: Covariance<T>>(
    spec: ResNetSpec,
    fa: &mut GEhf<T, A, Vec<T>>,
    fb: &mut GEhf<T, B, Vec<T>>,
    steps: usize,
) -> (f64, f64) {
    let mut na = network::<T>(spec, 7, PAPER_INIT_RANGE);
    let mut nb = na.clone();
    let w0: Vec<f64> = na.weights().iter().map(|w| w.to_f64()).collect();
    let mut worst = 0.0f64;
    for k in 0..steps {
        let (x, y) = sample::<T>(spec.outputs(), k);
        fa.step(&mut na, &x, &y).unwrap();
        fb.step(&mut nb, &x, &y).unwrap();
        for (a, b) in na.weights().iter().zip(nb.weights()) {
            let (a, b) = (a.to_f64(), b.to_f64());
            worst = worst.max((a - b).abs() / (1.0 + b.abs()));
        }
    }
    let moved = na
        .weights()
        .iter()
        .zip(&w0)
        .map(|(a, b)| (a.to_f64() - b).abs())
        .fold(0.0, f64::max);
    (worst, moved)
}

/// Factored against dense, XOR at L = 5 and 7, both gain orders, r = 1,
/// 4, 8 and r ≥ the 40 samples: f64 weights within 1e-9 relative, f32
/// within 1e-4; and the unbounded factored window against the packed
/// g-EHF.
#[test]
fn factored_follows_dense_on_xor_runs() {
    let steps = 40;
    for layers in [5, 7] {
        let spec = ResNetSpec::xor(layers).unwrap();
        let n = spec.n_weights();
        for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
            for memory in [1, 4, 8, steps] {
                let mut fd = filter(dense::<f64>(&spec, memory), order, 1);
                let mut ff = filter(factored::<f64>(&spec, memory), order, 1);
                let (worst, moved) = race(spec, &mut fd, &mut ff, steps);
                eprintln!("L = {layers} {order:?} r = {memory} f64: {worst:.1e}");
                assert!(
                    worst <= 1e-9,
                    "L = {layers} {order:?} r = {memory}: {worst}"
                );
                assert!(moved > 0.05, "the run learned: {moved}");
                assert_eq!(ff.covariance().len(), memory.min(steps));
                let mut fd = filter(dense::<f32>(&spec, memory), order, 1);
                let mut ff = filter(factored::<f32>(&spec, memory), order, 1);
                let (worst, _) = race(spec, &mut fd, &mut ff, steps);
                eprintln!("L = {layers} {order:?} r = {memory} f32: {worst:.1e}");
                assert!(
                    worst <= 1e-4,
                    "f32 L = {layers} {order:?} r = {memory}: {worst}"
                );
            }
            let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
            let mut fp = filter(packed, order, 1);
            let mut ff = filter(factored::<f64>(&spec, steps), order, 1);
            let (worst, _) = race(spec, &mut fp, &mut ff, steps);
            assert!(worst <= 1e-9, "packed L = {layers} {order:?}: {worst}");
        }
    }
}

/// Three outputs: factored against dense (r = 4, eviction) and, unbounded,
/// against the packed multi-output filter.
#[test]
fn factored_follows_dense_and_packed_with_three_outputs() {
    let spec = ResNetSpec::new(2, 5, 3, 7, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut fd = filter(dense::<f64>(&spec, 4), GainOrder::Paper, 3);
    let mut ff = filter(factored::<f64>(&spec, 4), GainOrder::Paper, 3);
    let (worst, moved) = race(spec, &mut fd, &mut ff, 60);
    assert!(worst <= 1e-9, "r = 4: {worst}");
    assert!(moved > 0.05);
    assert_eq!(ff.covariance().len(), 12);
    let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut fp = filter(packed, GainOrder::Paper, 3);
    let mut ff = filter(factored::<f64>(&spec, 60), GainOrder::Paper, 3);
    let (worst, _) = race(spec, &mut fp, &mut ff, 60);
    assert!(worst <= 1e-9, "unbounded: {worst}");
}

/// Against the direct inverse of the windowed information matrix (r = 6
/// at L = 5, paper order): each step's weights, and `P` (by `get`) and the
/// kept rows (by `row_into`) at the end.
#[test]
fn factored_follows_the_direct_windowed_filter() {
    let (memory, spec) = (6, ResNetSpec::xor(5).unwrap());
    let cfg = GEhfConfig::default();
    let a = 1.0 - 1.0 / (cfg.gamma * cfg.gamma);
    let mut net = network::<f64>(spec, 9, PAPER_INIT_RANGE);
    let n = spec.n_weights();
    let mut f = filter(factored::<f64>(&spec, memory), GainOrder::Paper, 1);
    let (mut w, mut probe) = (net.weights().to_vec(), net.clone());
    let mut seen: Vec<Vec<f64>> = Vec::new();
    for step in 0..30 {
        let (x, y) = sample::<f64>(1, step);
        probe.set_weights(&w).unwrap();
        let (out, h) = probe.jacobian(&x).unwrap();
        let (e, h) = (y[0] - out[0], h.to_vec());
        let p = windowed_p(n, cfg.eps0, a, &seen[seen.len().saturating_sub(memory)..]);
        let ph = p.mul_vec(&h);
        let s: f64 = h.iter().zip(&ph).map(|(x, y)| x * y).sum();
        for (wk, pk) in w.iter_mut().zip(&ph) {
            *wk += pk * e / (1.0 + s);
        }
        seen.push(h);
        f.step(&mut net, &x, &y).unwrap();
        for (k, (a, b)) in net.weights().iter().zip(&w).enumerate() {
            assert!(
                (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                "step {step} w{k}: {a} vs {b}"
            );
        }
    }
    let want = windowed_p(n, cfg.eps0, a, &seen[seen.len() - memory..]);
    let cov = f.covariance();
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            worst = worst.max((cov.get(i, j) - want.at(i, j)).abs());
        }
    }
    eprintln!("P: {worst:.1e} of {:.1e}", want.max_abs());
    assert!(worst <= 1e-10 * want.max_abs(), "P differs by {worst}");
    let mut row = vec![0.0; n];
    for q in 0..memory {
        assert!(cov.row_into(q, &mut row));
        let h = &seen[seen.len() - 1 - q];
        for (r, x) in row.iter().zip(h) {
            // (`seen` is the Jacobian at the direct filter's weights.)
            assert!(
                (r - x).abs() <= 1e-9 * (1.0 + x.abs()),
                "row {q}: {r} vs {x}"
            );
        }
    }
    assert!(!cov.row_into(memory, &mut row));
    assert!(!cov.row_into(0, &mut row[1..]));
    assert_eq!(cov.row(0), None);
}

/// Σ_t (N_t + N_{t+1}) from the spec's transitions (eq. 16).
fn factors_by_hand(spec: &ResNetSpec) -> usize {
    (1..spec.layers())
        .map(|t| spec.transition(t).unwrap())
        .map(|tr| tr.inputs + tr.outputs)
        .sum()
}

/// Per sample the factored window keeps Σ_t (N_t + N_{t+1}) numbers:
/// 0.434 N_w at L = 5, 0.374 at L = 21, 0.366 at L = 101; its whole
/// storage at r = 8 against the dense window's likewise.
#[test]
fn factored_storage_is_about_0_37_n_w_per_sample() {
    for (layers, ratio) in [(5, 33.0 / 76.0), (21, 193.0 / 516.0), (101, 993.0 / 2716.0)] {
        let spec = ResNetSpec::xor(layers).unwrap();
        let nw = spec.n_weights();
        let shape = FactoredShape::new(&spec, 8);
        assert_eq!(shape.row_len(), factors_by_hand(&spec));
        assert_eq!(shape.window(), WindowShape::new(nw, 8, 1));
        let per_sample = shape.row_len() as f64 / nw as f64;
        assert!(
            (per_sample - ratio).abs() < 1e-12,
            "L = {layers}: {per_sample}"
        );
        assert!(
            (0.36..=0.44).contains(&per_sample),
            "L = {layers}: {per_sample}"
        );
        // The Gram matrix, weights and factors are the same in both.
        let dense = shape.window().storage_len();
        let extra = dense - 9 * nw;
        assert_eq!(shape.storage_len(), 9 * shape.row_len() + extra);
        let whole = shape.storage_len() as f64 / dense as f64;
        eprintln!("L = {layers}: {per_sample:.3} N_w per sample, storage {whole:.3} of dense");
        let bound = [(5, 0.55), (21, 0.40), (101, 0.37)];
        let bound = bound.iter().find(|b| b.0 == layers).unwrap().1;
        assert!(whole < bound, "L = {layers}: {whole}");
    }
    let spec = ResNetSpec::new(3, 4, 2, 7, 1.0).unwrap();
    assert_eq!(
        FactoredShape::new(&spec, 2).row_len(),
        factors_by_hand(&spec)
    );
}

/// A trained factored learner at L = 5 (r = 4) and a real Jacobian row.
type Win = GEhf<f64, InfoWindow<f64, Vec<f64>>, Vec<f64>>;

fn trained() -> (Win, Vec<f64>) {
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 3, 0.5);
    let mut f = filter(factored::<f64>(&spec, 4), GainOrder::Paper, 1);
    for k in 0..6 {
        let (x, y) = sample::<f64>(1, k);
        f.step(&mut net, &x, &y).unwrap();
    }
    let (_, h) = net.jacobian(&[1.0, -1.0]).unwrap();
    (f, h.to_vec())
}

fn p_bits<C: Covariance<f64>>(c: &C) -> Vec<u64> {
    let n = c.dim();
    let v: Vec<f64> = (0..n).map(|i| (i % 7) as f64 - 3.0).collect();
    let mut out = vec![0.0; n];
    c.mul_vec(&v, &mut out);
    let mut b = bits(&out);
    b.push(c.get(2, 40).to_bits());
    b
}

/// Rows that are not rank one per neuron block are refused with a typed
/// error and change nothing: random, a real Jacobian with one entry moved
/// by 1e-9 relative, a weight without its threshold, an identity block of
/// rank two. A real row, one rounded to 1e-15, and one with a zero block
/// are taken.
#[test]
fn a_row_that_is_not_a_network_jacobian_is_refused() {
    let (mut f, h) = trained();
    let n = h.len();
    let mut r = rng(5);
    let random: Vec<f64> = (0..n).map(|_| uniform(&mut r, 1.0)).collect();
    let mut nudged = h.clone();
    nudged[20] *= 1.0 + 1e-9; // W² (sigmoid): neuron 0, weight 4
    let mut no_threshold = h.clone();
    no_threshold[15] = 0.0; // W²'s first threshold, its weights kept
    let mut rank_two = h.clone();
    rank_two[46] += 0.1 * rank_two[45].abs().max(1e-3); // W³ (identity)
    let mut w = vec![0.25; n];
    for bad in [&random, &nudged, &no_threshold, &rank_two] {
        let before = (p_bits(f.covariance()), f.covariance().len(), bits(&w));
        assert!(matches!(
            f.measurement_update(&mut w, bad, &[0.3]),
            Err(Error::Unsupported { .. })
        ));
        assert_eq!(
            (p_bits(f.covariance()), f.covariance().len(), bits(&w)),
            before
        );
    }
    assert!(matches!(
        f.covariance_mut().prepare_record(&random, 0.5),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(f.health().rejected, 0);
    // Taken: the row, the row rounded, the row with a zero block.
    let mut rounded = h.clone();
    rounded[20] *= 1.0 + 1e-15;
    let mut zero_block = h.clone();
    zero_block[45..70].iter_mut().for_each(|x| *x = 0.0);
    for good in [&h, &rounded, &zero_block] {
        f.measurement_update(&mut w, good, &[0.3]).unwrap();
        let mut back = vec![0.0; n];
        assert!(f.covariance().row_into(0, &mut back));
        for (a, b) in back.iter().zip(good.iter()) {
            assert!((a - b).abs() <= 1e-15 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
    assert_eq!(f.covariance().len(), 4);
}

/// `record` without `prepare_record`, or after one for other rows,
/// records its own rows (the staged factors are checked, not assumed).
#[test]
fn record_takes_its_own_rows() {
    let (mut f, h) = trained();
    let (_, g) = {
        let spec = ResNetSpec::xor(5).unwrap();
        let mut net = network::<f64>(spec, 8, 0.5);
        let (o, g) = net.jacobian(&[-1.0, 1.0]).unwrap();
        (o[0], g.to_vec())
    };
    let cov = f.covariance_mut();
    cov.prepare_record(&h, 0.5).unwrap();
    cov.record(&g, 0.5, &[0.0], &[0.0; 76]);
    let mut back = vec![0.0; 76];
    assert!(cov.row_into(0, &mut back));
    for (a, b) in back.iter().zip(&g) {
        assert!((a - b).abs() <= 1e-15 * (1.0 + b.abs()));
    }
    // And `record` of a row that is not a Jacobian changes nothing (all
    // ones would be one: δ = 1, z = 1 in every block).
    let before = p_bits(&*cov);
    let mut r = rng(2);
    let random: Vec<f64> = (0..76).map(|_| uniform(&mut r, 1.0)).collect();
    cov.record(&random, 0.5, &[0.0], &[0.0; 76]);
    assert_eq!(p_bits(&*cov), before);
}

/// A factored learner saves (row storage 1: its factors) and loads back
/// bit for bit, and both run on identically; the storages do not mix.
#[test]
fn a_factored_window_saves_and_loads_back_bit_for_bit() {
    for layers in [5, 7] {
        let spec = ResNetSpec::xor(layers).unwrap();
        let row_len = FactoredShape::new(&spec, 1).row_len();
        let mut net = network::<f32>(spec, 4, 0.5);
        let mut f = filter(factored::<f32>(&spec, 3), GainOrder::CovarianceFirst, 1);
        for k in 0..7 {
            let (x, y) = sample::<f32>(1, k);
            f.step(&mut net, &x, &y).unwrap();
        }
        let len = saved_gehf_len(&spec, f.covariance());
        assert_eq!(len, saved_window_len::<f32>(&spec, 3, RowStorage::Factored));
        assert!(len < saved_window_len::<f32>(&spec, 3, RowStorage::Dense) * 2 / 3);
        let mut buf = vec![0u8; len];
        model::save_gehf(&net, &f, &mut buf).unwrap();
        let m = Model::parse(&buf).unwrap();
        let ws = m.window().unwrap();
        assert_eq!(
            (ws.storage, ws.row_len, ws.rows),
            (RowStorage::Factored, row_len, 3)
        );

        let mut scratch = vec![0.0f32; m.covariance_scratch_len()];
        let mut net_d = network::<f32>(spec, 1, 0.5);
        let mut fd = filter(dense::<f32>(&spec, 3), GainOrder::Paper, 1);
        assert!(matches!(
            m.load_gehf_via(&mut net_d, &mut fd, &mut scratch),
            Err(Error::Unsupported { .. })
        ));
        assert!(fd.covariance().is_empty());

        let mut net2 = network::<f32>(spec, 1, 0.5);
        let mut f2 = filter(factored::<f32>(&spec, 3), GainOrder::Paper, 1);
        m.load_gehf_via(&mut net2, &mut f2, &mut scratch).unwrap();
        assert_eq!(bits(net2.weights()), bits(net.weights()));
        for k in 7..20 {
            let (x, y) = sample::<f32>(1, k);
            f.step(&mut net, &x, &y).unwrap();
            f2.step(&mut net2, &x, &y).unwrap();
            assert_eq!(
                bits(net2.weights()),
                bits(net.weights()),
                "L = {layers} step {k}"
            );
            let (pa, pb) = (f.covariance(), f2.covariance());
            assert_eq!(pa.get(3, 9).to_bits(), pb.get(3, 9).to_bits());
        }
        // A dense file does not load into a factored window.
        let mut fd = filter(dense::<f32>(&spec, 3), GainOrder::Paper, 1);
        let (x, y) = sample::<f32>(1, 0);
        fd.step(&mut net_d, &x, &y).unwrap();
        let mut dbuf = vec![0u8; saved_gehf_len(&spec, fd.covariance())];
        model::save_gehf(&net_d, &fd, &mut dbuf).unwrap();
        let dm = Model::parse(&dbuf).unwrap();
        let mut scratch = vec![0.0f32; dm.covariance_scratch_len()];
        let before = f2.covariance().get(0, 0).to_bits();
        assert!(matches!(
            dm.load_gehf_via(&mut net2, &mut f2, &mut scratch),
            Err(Error::Unsupported { .. })
        ));
        assert_eq!(f2.covariance().get(0, 0).to_bits(), before);
    }
}

#[test]
fn factored_shapes_and_storage_are_checked() {
    let spec = ResNetSpec::xor(5).unwrap();
    let shape = FactoredShape::new(&spec, 4);
    assert!(matches!(
        InfoWindow::factored(shape, 1.0, vec![0.0f64; shape.storage_len() - 1]),
        Err(Error::CapacityExceeded { needed, .. }) if needed == shape.storage_len()
    ));
    assert_eq!(
        InfoWindow::factored(FactoredShape::new(&spec, 0), 1.0, vec![0.0f64; 1000]).err(),
        Some(Error::InvalidParameter {
            name: Param::Memory
        })
    );
    assert!(matches!(
        InfoWindow::factored(FactoredShape::new(&spec, 300), 1.0, vec![0.0f64; 0]),
        Err(Error::CapacityExceeded { .. })
    ));
    assert_eq!(
        InfoWindow::factored(shape, f64::NAN, vec![0.0; shape.storage_len()]).err(),
        Some(Error::InvalidEps0)
    );
    let w = factored::<f64>(&spec, 4);
    assert_eq!(w.storage(), RowStorage::Factored);
    assert_eq!(dense::<f64>(&spec, 4).storage(), RowStorage::Dense);
    assert_eq!(w.shape(), WindowShape::new(76, 4, 1));
    assert_eq!(shape.spec(), spec);
}

/// `mul_jacobian` forms `P h` from the network's factors: the same as
/// `mul_vec` of the dense row within rounding; and a `prepare_record` of
/// another row than the one it was given takes that other row in (the
/// window then equals one that only ever saw the other row, bit for bit).
#[test]
fn mul_jacobian_matches_mul_vec_and_never_keeps_a_row_it_was_not_given() {
    let spec = ResNetSpec::xor(7).unwrap();
    let n = spec.n_weights();
    let a = 1.0 - 1.0 / (1.7f64 * 1.7);
    let mut net = network::<f64>(spec, 3, 0.5);
    let mut cov = factored::<f64>(&spec, 4);
    let mut twin = factored::<f64>(&spec, 4);
    let (mut u, mut v) = (vec![0.0; n], vec![0.0; n]);
    for k in 0..6 {
        let (x, _) = sample::<f64>(1, k);
        let h = net.jacobian(&x).unwrap().1.to_vec();
        cov.mul_jacobian(&h, &net.last_jacobian_factors(), false, &mut u);
        cov.mul_vec(&h, &mut v);
        let scale = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let worst = u
            .iter()
            .zip(&v)
            .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
        assert!(
            scale > 0.0 && worst <= 1e-12 * scale,
            "k = {k}: {worst} of {scale}"
        );
        // Another row: the premade one must not be what is recorded.
        let (x2, _) = sample::<f64>(1, k + 1);
        let h2 = net.jacobian(&[x2[0] * 0.5, x2[1]]).unwrap().1.to_vec();
        cov.prepare_record(&h2, a).unwrap();
        cov.record(&h2, a, &[], &[]);
        twin.prepare_record(&h2, a).unwrap();
        twin.record(&h2, a, &[], &[]);
        cov.mul_vec(&h, &mut u);
        twin.mul_vec(&h, &mut v);
        assert_eq!(bits(&u), bits(&v), "k = {k}");
    }
}

/// The filter's path (`mul_jacobian`, then `prepare_jacobian`, which takes
/// the premade row without comparing it) leaves the window in exactly the
/// state of the checked path (`prepare_record`, which compares the row
/// entry for entry): the same rows, weights and products, bit for bit.
#[test]
fn prepare_jacobian_takes_the_premade_row_as_prepare_record_does() {
    let spec = ResNetSpec::xor(7).unwrap();
    let n = spec.n_weights();
    let a = 1.0 - 1.0 / (1.7f64 * 1.7);
    let mut net = network::<f64>(spec, 5, 0.5);
    let mut given = factored::<f64>(&spec, 3);
    let mut checked = factored::<f64>(&spec, 3);
    let (mut u, mut v) = (vec![0.0; n], vec![0.0; n]);
    for k in 0..7 {
        let (x, _) = sample::<f64>(1, k);
        let h = net.jacobian(&x).unwrap().1.to_vec();
        let jf = net.last_jacobian_factors();
        given.mul_jacobian(&h, &jf, false, &mut u);
        checked.mul_jacobian(&h, &jf, false, &mut v);
        assert_eq!(bits(&u), bits(&v), "k = {k}");
        given.prepare_jacobian(&h, a).unwrap();
        checked.prepare_record(&h, a).unwrap();
        given.record(&h, a, &[], &[]);
        checked.record(&h, a, &[], &[]);
        assert_eq!(given.len(), checked.len());
        for q in 0..given.len() {
            let (wg, rg) = given.window_row(q).unwrap();
            let (wc, rc) = checked.window_row(q).unwrap();
            assert_eq!(
                (wg.to_bits(), bits(rg)),
                (wc.to_bits(), bits(rc)),
                "k = {k}, row {q}"
            );
        }
        given.mul_vec(&h, &mut u);
        checked.mul_vec(&h, &mut v);
        assert_eq!(bits(&u), bits(&v), "k = {k}");
    }
}
