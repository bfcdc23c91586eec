//! The structured window (`TermWindow`: the last r terms of
//! `ε0 I − Σ c_i u_i u_iᵀ`, issue 15 item 3): with r ≥ the downdates it is
//! the exact g-EHF (against the packed P); with fewer, against a dense
//! filter in this file that rebuilds `ε0 I − Σ (last r terms)` every step;
//! what dropping terms keeps (positive definite, between the exact P and
//! ε0 I); its positive-definiteness test and diagonal bounds; bad input.

mod common;
use common::*;
use hinf::*;

fn bits<T: Real>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn window<T: Real>(dim: usize, memory: usize, eps0: T) -> TermWindow<T, Vec<T>> {
    let shape = TermWindowShape::new(dim, memory);
    TermWindow::new(shape, eps0, vec![T::ZERO; shape.storage_len()]).unwrap()
}

/// The test's own Cholesky of a dense symmetric matrix: `true` if every
/// pivot is positive.
fn is_pd(m: &Mat) -> bool {
    let n = m.n;
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s = m.at(i, j) - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    return false;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    true
}

/// `m + t I`.
fn shifted(m: &Mat, t: f64) -> Mat {
    let mut s = m.clone();
    for i in 0..m.n {
        s.a[i * m.n + i] += t;
    }
    s
}

/// `a − b`.
fn minus(a: &Mat, b: &Mat) -> Mat {
    Mat {
        n: a.n,
        a: a.a.iter().zip(&b.a).map(|(x, y)| x - y).collect(),
    }
}

/// `c u uᵀ`.
fn outer(c: f64, u: &[f64]) -> Mat {
    let n = u.len();
    Mat {
        n,
        a: (0..n * n).map(|k| c * u[k / n] * u[k % n]).collect(),
    }
}

/// `ε0 I − Σ c u uᵀ` over `terms`.
fn dense_terms(n: usize, eps0: f64, terms: &[(f64, Vec<f64>)]) -> Mat {
    terms
        .iter()
        .fold(Mat::identity(n, eps0), |p, (c, u)| minus(&p, &outer(*c, u)))
}

const ORDERS: [GainOrder; 2] = [GainOrder::Paper, GainOrder::CovarianceFirst];

/// An XOR run of `epochs` with the packed P and a window of as many terms
/// as samples, side by side; returns the largest weight difference
/// relative to `1 + |w|`, asserting it ≤ `tol` after every step, and
/// checks P at the end.
fn unbounded_against_packed<T: Real>(layers: usize, order: GainOrder, tol: f64) -> f64 {
    let cfg = GEhfConfig {
        gain_order: order,
        ..GEhfConfig::default()
    };
    let epochs = 40;
    let mut net_p = xor_net::<T>(layers, 7);
    let mut net_t = net_p.clone();
    let w0 = net_p.weights().to_vec();
    let n = net_p.spec().n_weights();
    let packed = PackedCovariance::new(n, T::ONE, vec![T::ZERO; packed_len(n)]).unwrap();
    let mut fp = GEhf::new(cfg, packed, vec![T::ZERO; n]).unwrap();
    let cov = window::<T>(n, 4 * epochs, T::ONE);
    let mut ft = GEhf::new(cfg, cov, vec![T::ZERO; n]).unwrap();
    let xor = Xor::<T>::new(InputCoding::default());
    let mut worst = 0.0f64;
    for epoch in 0..epochs {
        for k in ORDER {
            let (x, y) = xor.samples().get(k).unwrap();
            let a = fp.step(&mut net_p, x, y).unwrap();
            let b = ft.step(&mut net_t, x, y).unwrap();
            let (sa, sb) = (a.hph.to_f64(), b.hph.to_f64());
            assert!((sa - sb).abs() <= 10.0 * tol * sa.abs(), "{sa} vs {sb}");
            for (i, (p, t)) in net_p.weights().iter().zip(net_t.weights()).enumerate() {
                let (p, t) = (p.to_f64(), t.to_f64());
                let d = (p - t).abs() / (1.0 + p.abs());
                worst = worst.max(d);
                assert!(
                    d <= tol,
                    "{} L = {layers} {order:?} epoch {epoch} weight {i}: {p} vs {t}",
                    T::NAME
                );
            }
        }
    }
    let moved = net_p
        .weights()
        .iter()
        .zip(&w0)
        .map(|(a, b)| (a.to_f64() - b.to_f64()).abs())
        .fold(0.0, f64::max);
    assert!(moved > 0.1, "the run learned: {moved}");
    assert_eq!(ft.covariance().len(), 4 * epochs);
    let (pp, pt) = (dense_of(fp.covariance()), dense_of(ft.covariance()));
    assert!(pp.max_abs_diff(&pt) <= 10.0 * tol * pp.max_abs());
    let mut scratch = vec![T::ZERO; packed_len(4 * epochs)];
    assert!(ft.covariance().is_positive_definite(&mut scratch).unwrap());
    worst
}

/// r ≥ the downdates: the packed g-EHF, weights within 1e-10 relative in
/// f64 (1e-4 in f32) after every step of 160, at L = 5 and 7, in both
/// gain orders.
#[test]
fn an_unbounded_term_window_is_the_exact_gehf() {
    for layers in [5, 7] {
        for order in ORDERS {
            let w64 = unbounded_against_packed::<f64>(layers, order, 1e-10);
            let w32 = unbounded_against_packed::<f32>(layers, order, 1e-4);
            eprintln!("L = {layers} {order:?}: max rel |Δw| f64 {w64:.1e}, f32 {w32:.1e}");
        }
    }
}

/// Several outputs, r ≥ the terms (three per sample): the packed
/// multi-output filter.
#[test]
fn an_unbounded_term_window_is_the_exact_multi_output_gehf() {
    let spec = ResNetSpec::new(2, 5, 3, 7, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut net_p = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net_p.init_uniform(&mut rng(3), 0.3).unwrap();
    let mut net_t = net_p.clone();
    let cfg = GEhfConfig::default();
    let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut fp = GEhf::new(cfg, packed, vec![0.0; 3 * n]).unwrap();
    let mut ft = GEhf::new(cfg, window::<f64>(n, 180, 1.0), vec![0.0; 3 * n]).unwrap();
    for step in 0..60 {
        let t = step as f64 * 0.7;
        let x = [t.sin(), t.cos()];
        let class = step % 3;
        let y: Vec<f64> = (0..3).map(|o| if o == class { 1.0 } else { 0.0 }).collect();
        fp.step(&mut net_p, &x, &y).unwrap();
        ft.step(&mut net_t, &x, &y).unwrap();
        for (a, b) in net_p.weights().iter().zip(net_t.weights()) {
            assert!(
                (a - b).abs() <= 1e-10 * (1.0 + a.abs()),
                "step {step}: {a} vs {b}"
            );
        }
    }
    assert_eq!(ft.covariance().len(), 180);
}

/// The test's structured window: the filter of eqs. (3)–(4) on
/// `P = ε0 I − Σ (last r terms)`, rebuilt densely every step.
struct DenseWindow {
    n: usize,
    eps0: f64,
    a: f64,
    memory: usize,
    terms: Vec<(f64, Vec<f64>)>,
}

impl DenseWindow {
    /// `P` over the last r terms, or the last r − 1 if `pending` and full.
    fn p(&self, pending: bool) -> Mat {
        let full = self.terms.len() >= self.memory;
        let keep = self.memory - usize::from(pending && full);
        let start = self.terms.len().saturating_sub(keep);
        dense_terms(self.n, self.eps0, &self.terms[start..])
    }

    /// The gain `K` for `h`, pushing the step's term. Covariance-first:
    /// `K = P' h / (1 + hᵀ P' h)` with `P' = P̃ − c ũ ũᵀ` formed densely.
    fn step(&mut self, h: &[f64], order: GainOrder) -> Vec<f64> {
        let p = self.p(order == GainOrder::CovarianceFirst);
        let u = p.mul_vec(h);
        let s: f64 = h.iter().zip(&u).map(|(x, y)| x * y).sum();
        let c = self.a / (1.0 + self.a * s);
        let k = match order {
            GainOrder::Paper => u.iter().map(|x| x / (1.0 + s)).collect(),
            GainOrder::CovarianceFirst => {
                let after = minus(&p, &outer(c, &u));
                let ph = after.mul_vec(h);
                let sp: f64 = h.iter().zip(&ph).map(|(x, y)| x * y).sum();
                ph.iter().map(|x| x / (1.0 + sp)).collect()
            }
        };
        self.terms.push((c, u));
        k
    }
}

/// With eviction (r = 1 and 6 at L = 5), through `GEhf::step`: weights
/// and P follow the dense window after every step, in both gain orders,
/// and differ from the exact filter's.
#[test]
fn a_short_term_window_follows_the_dense_window() {
    for memory in [1, 6] {
        for order in ORDERS {
            let cfg = GEhfConfig {
                gain_order: order,
                ..GEhfConfig::default()
            };
            let mut net = xor_net::<f64>(5, 9);
            let n = net.spec().n_weights();
            let mut net_x = net.clone();
            let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
            let mut exact = GEhf::new(cfg, packed, vec![0.0; n]).unwrap();
            let mut f = GEhf::new(cfg, window::<f64>(n, memory, 1.0), vec![0.0; n]).unwrap();
            let mut dense = DenseWindow {
                n,
                eps0: cfg.eps0,
                a: 1.0 - 1.0 / (cfg.gamma * cfg.gamma),
                memory,
                terms: Vec::new(),
            };
            let mut w = net.weights().to_vec();
            let mut probe = net.clone();
            let xor = Xor::<f64>::new(InputCoding::default());
            for step in 0..40 {
                let (x, y) = xor.samples().get(ORDER[step % 4]).unwrap();
                probe.set_weights(&w).unwrap();
                let (out, h) = probe.jacobian(x).unwrap();
                let (e, h) = (y[0] - out[0], h.to_vec());
                let k = dense.step(&h, order);
                w.iter_mut().zip(&k).for_each(|(wi, ki)| *wi += ki * e);
                f.step(&mut net, x, y).unwrap();
                exact.step(&mut net_x, x, y).unwrap();
                for (i, (a, b)) in net.weights().iter().zip(&w).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                        "r = {memory} {order:?} step {step} weight {i}: {a} vs {b}"
                    );
                }
                let want = dense.p(false);
                let got = dense_of(f.covariance());
                assert!(
                    got.max_abs_diff(&want) <= 1e-12 * want.max_abs(),
                    "r = {memory} {order:?} step {step}: P differs by {}",
                    got.max_abs_diff(&want)
                );
            }
            assert_eq!(f.covariance().len(), memory);
            let (c, u) = f.covariance().term(0).unwrap();
            let newest = dense.terms.last().unwrap();
            assert!((c - newest.0).abs() <= 1e-12 && (u[0] - newest.1[0]).abs() <= 1e-9);
            let apart = net
                .weights()
                .iter()
                .zip(net_x.weights())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                apart > 1e-6,
                "r = {memory}: dropping changed the run ({apart})"
            );
        }
    }
}

/// The same short window in f32 and f64 stays close.
#[test]
fn f32_term_window_tracks_f64() {
    let n64 = xor_net::<f64>(5, 5);
    let n = n64.spec().n_weights();
    let (diff, _, _) = f32_vs_f64(n64, window::<f64>(n, 8, 1.0), window::<f32>(n, 8, 1.0));
    assert!(diff < 1e-3, "f32 vs f64 weights differ by {diff}");
}

/// What dropping terms keeps (module docs of `covariance/terms.rs`): for
/// random Jacobians (one and two rows per sample, both gain orders, ε0 up
/// to 10⁴, γ near 1), after every step P is positive definite (this
/// file's Cholesky, and the window's own test) and
/// `P_exact ⪯ P ⪯ ε0 I`, P_exact the inverse of eq. (7)'s information
/// matrix over every row seen; and P ≠ P_exact once terms are dropped.
#[test]
fn a_dropping_window_stays_between_the_exact_p_and_eps0_i() {
    let mut r = rng(31);
    let n = 6;
    for (m, memory, eps0, gamma, order) in [
        (1, 2, 10.0, 1.2, GainOrder::Paper),
        (1, 1, 1e3, 3.0, GainOrder::Paper),
        (1, 3, 1e3, 1.05, GainOrder::CovarianceFirst),
        (1, 2, 1e4, 2.0, GainOrder::CovarianceFirst),
        (2, 3, 100.0, 1.5, GainOrder::Paper),
    ] {
        let cfg = GEhfConfig {
            gamma,
            eps0,
            gain_order: order,
        };
        let a = 1.0 - 1.0 / (gamma * gamma);
        let mut f = GEhf::new(cfg, window::<f64>(n, memory, 1.0), vec![0.0; m * n]).unwrap();
        let mut w = vec![0.0; n];
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for step in 0..30 {
            let h: Vec<Vec<f64>> = (0..m)
                .map(|_| (0..n).map(|_| uniform(&mut r, 1.5)).collect())
                .collect();
            let e: Vec<f64> = (0..m).map(|_| uniform(&mut r, 1.0)).collect();
            let done = f.measurement_update(&mut w, &h.concat(), &e);
            assert!(
                done.is_ok(),
                "m = {m} r = {memory} ε0 = {eps0} step {step}: {done:?}"
            );
            rows.extend(h);
            let p = dense_of(f.covariance());
            let exact = windowed_p(n, eps0, a, &rows);
            let tol = 1e-10 * eps0;
            let case = format!("m = {m} r = {memory} ε0 = {eps0} {order:?} step {step}");
            assert!(is_pd(&p), "{case}: P not positive definite");
            let mut scratch = vec![0.0; packed_len(memory)];
            assert!(f.covariance().is_positive_definite(&mut scratch).unwrap());
            assert!(
                is_pd(&shifted(&minus(&p, &exact), tol)),
                "{case}: P ⋡ P_exact"
            );
            let below = minus(&Mat::identity(n, eps0), &p);
            assert!(is_pd(&shifted(&below, tol)), "{case}: P ⋠ ε0 I");
            if rows.len() > memory {
                assert!(p.max_abs_diff(&exact) > 1e-6 * exact.max_abs(), "{case}");
            }
        }
        assert_eq!(f.covariance().len(), memory);
    }
}

/// `is_positive_definite` by the n × n system agrees with this file's
/// Cholesky of the dense P on random terms (some P definite, some not),
/// and a term with c < 0 takes the dense test and its N(N+1)/2 scratch.
#[test]
fn the_positive_definiteness_test_is_that_of_the_dense_p() {
    let mut r = rng(41);
    let n = 5;
    let (mut yes, mut no) = (0, 0);
    for _ in 0..200 {
        let mut p = window::<f64>(n, 3, 1.0);
        for _ in 0..3 {
            let u: Vec<f64> = (0..n).map(|_| uniform(&mut r, 0.8)).collect();
            p.downdate(0.5 + uniform(&mut r, 0.5), &u);
        }
        let d = dense_of(&p);
        let (lo, hi) = (is_pd(&shifted(&d, -1e-9)), is_pd(&shifted(&d, 1e-9)));
        if lo != hi {
            continue; // within rounding of singular
        }
        let got = p.is_positive_definite(&mut [0.0; 6]).unwrap();
        assert_eq!(got, hi, "{:?}", d);
        if got { yes += 1 } else { no += 1 }
    }
    assert!(
        yes > 10 && no > 10,
        "both cases met: {yes} definite, {no} not"
    );

    // c |u|² = 2 ε0: indefinite.
    let mut p = window::<f64>(n, 3, 1.0);
    p.downdate(0.5, &[1.0, 0.0, 0.0, 0.0, 0.0]);
    assert!(p.is_positive_definite(&mut [0.0; 3]).unwrap());
    p.downdate(2.0, &[0.0, 0.6, 0.8, 0.0, 0.0]);
    assert!(!p.is_positive_definite(&mut [0.0; 3]).unwrap());
    assert!(!is_pd(&dense_of(&p)));
    // An update term (c < 0): the dense test.
    p.downdate(-3.0, &[0.0, 0.6, 0.8, 0.0, 0.0]);
    assert!(matches!(
        p.is_positive_definite(&mut [0.0; 6]),
        Err(Error::CapacityExceeded {
            needed: 15,
            capacity: 6,
            ..
        })
    ));
    assert_eq!(
        p.is_positive_definite(&mut [0.0; 15]),
        Ok(is_pd(&dense_of(&p)))
    );
    assert!(is_pd(&dense_of(&p)));
}

/// The diagonal bounds are those of `get` bit for bit: of P, and of the P
/// a downdate leaves (the oldest term dropped once full), without
/// changing P; N = 70 spans two of the kernel's chunks.
#[test]
fn diagonal_bounds_are_those_of_the_diagonal_left() {
    let mut r = rng(5);
    let n = 70;
    let mut p = window::<f64>(n, 3, 2.0);
    let diag = |p: &TermWindow<f64, Vec<f64>>| {
        let d: Vec<f64> = (0..n).map(|i| p.get(i, i)).collect();
        (
            d.iter().copied().fold(f64::INFINITY, f64::min),
            d.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    assert_eq!(p.diagonal_bounds(), (2.0, 2.0));
    for push in 0..6 {
        let u: Vec<f64> = (0..n).map(|_| uniform(&mut r, 1.0)).collect();
        let c = 0.3 + 0.1 * push as f64;
        let before = dense_of(&p);
        let predicted = p.downdate_diagonal_bounds(c, &u).unwrap();
        assert_eq!(dense_of(&p), before);
        assert_eq!(p.downdate_diagonal_bounds(c, &u[..n - 1]), None);
        let mut after = p.clone();
        after.downdate(c, &u);
        let (lo, hi) = diag(&after);
        assert_eq!(
            bits(&[predicted.0, predicted.1]),
            bits(&[lo, hi]),
            "push {push}"
        );
        assert_eq!(after.diagonal_bounds(), (lo, hi));
        assert!(lo < hi && hi < 2.0);
        p = after;
    }
    assert_eq!(p.len(), 3);
}

#[test]
fn bad_shapes_and_storage_are_typed_errors() {
    let shape = TermWindowShape::new(10, 4);
    let need = shape.storage_len();
    assert_eq!(need, 44);
    assert_eq!(
        TermWindow::new(TermWindowShape::new(10, 0), 1.0, vec![0.0f64; need]).err(),
        Some(Error::InvalidParameter {
            name: Param::Memory
        })
    );
    for eps0 in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            TermWindow::new(shape, eps0, vec![0.0; need]).err(),
            Some(Error::InvalidEps0)
        );
    }
    assert_eq!(
        TermWindow::new(shape, 1.0, vec![0.0f64; need - 1]).err(),
        Some(Error::CapacityExceeded {
            what: "term window",
            needed: 44,
            capacity: 43
        })
    );
    let huge = TermWindowShape::new(usize::MAX, 2);
    assert_eq!(huge.storage_len(), usize::MAX);
    assert!(matches!(
        TermWindow::new(huge, 1.0, vec![0.0f64; 8]),
        Err(Error::CapacityExceeded { .. })
    ));
}

/// A full window: wrong sizes and values are typed errors and change
/// neither the weights nor `P` nor the terms.
#[test]
fn bad_input_to_a_full_window_changes_nothing() {
    let mut net = xor_net::<f64>(5, 2);
    let nw = net.spec().n_weights();
    let cfg = GEhfConfig::default();
    let mut f = GEhf::new(cfg, window::<f64>(nw, 4, 1.0), vec![0.0; nw]).unwrap();
    let xor = Xor::<f64>::new(InputCoding::default());
    for k in 0..6 {
        let (x, y) = xor.samples().get(k % 4).unwrap();
        f.step(&mut net, x, y).unwrap();
    }
    let state = |f: &GEhf<f64, TermWindow<f64, Vec<f64>>, Vec<f64>>| {
        let c = f.covariance();
        let terms: Vec<(f64, Vec<f64>)> = (0..c.len())
            .map(|q| c.term(q).map(|(c, u)| (c, u.to_vec())).unwrap())
            .collect();
        (dense_of(c), terms)
    };
    let w = bits(net.weights());
    let before = state(&f);
    assert_eq!(before.1.len(), 4);
    let (x, _) = xor.samples().get(0).unwrap();
    assert!(matches!(
        f.step(&mut net, x, &[f64::NAN]),
        Err(Error::NonFinite { .. })
    ));
    let mut other = xor_net::<f64>(7, 2);
    assert!(matches!(
        f.step(&mut other, x, &[1.0]),
        Err(Error::LengthMismatch { .. })
    ));
    let mut ws = net.weights().to_vec();
    let mut bad = vec![0.1; nw];
    bad[3] = f64::INFINITY;
    assert!(matches!(
        f.measurement_update(&mut ws, &bad, &[0.1]),
        Err(Error::NonFinite { .. })
    ));
    // s = hᵀ P h overflows: refused, counted.
    assert_eq!(
        f.measurement_update(&mut ws, &vec![1e160; nw], &[0.1]),
        Err(Error::Diverged { what: "covariance" })
    );
    assert_eq!((f.health().rejected, f.health().steps), (1, 6));
    // The trait's own refusals.
    let cov = f.covariance_mut();
    assert!(matches!(
        cov.load_packed(&vec![0.0; packed_len(nw)]),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(
        cov.is_positive_definite(&mut [0.0; 9]),
        Err(Error::CapacityExceeded {
            what: "cholesky scratch",
            needed: 10,
            capacity: 9
        })
    );
    cov.downdate(0.5, &vec![1.0; nw - 1]); // too short: ignored
    assert_eq!(bits(&ws), w);
    assert_eq!(bits(net.weights()), w);
    assert_eq!(state(&f), before);
    // Reset empties it.
    let cov = f.covariance_mut();
    cov.reset(3.0);
    assert!(cov.is_empty());
    assert_eq!(
        (cov.get(2, 2), cov.get(2, 3), cov.get(nw, 0)),
        (3.0, 0.0, 0.0)
    );
    assert_eq!(cov.term(0), None);
}

/// One row in the covariance-first order, r = 1, N = 1: the gain uses
/// `P̃ = ε0` (the only term is the one the push drops), and the step is
/// checked on the `P` it leaves, `ε0 / (1 + a ε0 h²)` — not on
/// `P − c ũ²`, which is negative here. Through `measurement_update` as
/// through `step`.
#[test]
fn one_row_covariance_first_is_checked_on_the_p_it_leaves() {
    let (eps0, gamma, h) = (100.0, 2.0, 1.0);
    let a = 1.0 - 1.0 / (gamma * gamma);
    let cfg = GEhfConfig {
        gamma,
        eps0,
        gain_order: GainOrder::CovarianceFirst,
    };
    let mut f = GEhf::new(cfg, window::<f64>(1, 1, 1.0), vec![0.0]).unwrap();
    let mut w = [0.0];
    for step in 0..3 {
        let before = w[0];
        f.measurement_update(&mut w, &[h], &[1.0]).unwrap();
        let p = eps0 / (1.0 + a * eps0 * h * h);
        assert!(
            (f.covariance().get(0, 0) - p).abs() <= 1e-14 * p,
            "step {step}"
        );
        // K = P' h / (1 + h P' h), P' the P after the step.
        let k = p * h / (1.0 + h * p * h);
        assert!((w[0] - before - k).abs() <= 1e-14, "step {step}");
    }
    // What the push drops matters: P − c ũ² < 0.
    let (c, u) = f.covariance().term(0).unwrap();
    let u_new = eps0 * h;
    let c_new = a / (1.0 + a * eps0 * h * h);
    assert!(f.covariance().get(0, 0) - c_new * u_new * u_new < 0.0);
    assert_eq!((c, u[0]), (c_new, u_new));
}
