//! The information-form window (eq. 7 over the last r Jacobians, issue 15
//! item 2): with r ≥ the samples seen it is the exact g-EHF (against the
//! packed P); with fewer, against a direct inverse of the windowed
//! information matrix; the Gram system's positive definiteness; bad input.

mod common;
use common::*;
use hinf::*;

fn bits<T: Real>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn window<T: Real>(dim: usize, memory: usize, outputs: usize) -> InfoWindow<T, Vec<T>> {
    let shape = WindowShape::new(dim, memory, outputs);
    InfoWindow::new(shape, T::ONE, vec![T::ZERO; shape.storage_len()]).unwrap()
}

/// r ≥ the number of samples seen: the window is the g-EHF's P, so an XOR
/// run follows the packed filter's weights within 1e-10, in both gain
/// orders, at L = 5 and 7.
#[test]
fn an_unbounded_window_is_the_exact_gehf() {
    for layers in [5, 7] {
        for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
            let cfg = GEhfConfig {
                gain_order: order,
                ..GEhfConfig::default()
            };
            let mut net_p = xor_net(layers, 7);
            let mut net_w = net_p.clone();
            let n = net_p.spec().n_weights();
            let epochs = 40;
            let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
            let mut fp = GEhf::new(cfg, packed, vec![0.0; n]).unwrap();
            let mut fw = GEhf::new(cfg, window::<f64>(n, 4 * epochs, 1), vec![0.0; n]).unwrap();
            let xor = Xor::<f64>::new(InputCoding::default());
            let mut worst = 0.0f64;
            let mut moved = 0.0f64;
            let w0 = net_p.weights().to_vec();
            for epoch in 0..epochs {
                for k in ORDER {
                    let (x, y) = xor.samples().get(k).unwrap();
                    let a = fp.step(&mut net_p, x, y).unwrap();
                    let b = fw.step(&mut net_w, x, y).unwrap();
                    assert!((a.hph - b.hph).abs() <= 1e-9 * a.hph.abs());
                    for (i, (p, w)) in net_p.weights().iter().zip(net_w.weights()).enumerate() {
                        worst = worst.max((p - w).abs());
                        assert!(
                            (p - w).abs() <= 1e-10,
                            "L = {layers} {order:?} epoch {epoch} weight {i}: {p} vs {w}"
                        );
                    }
                }
            }
            for (a, b) in net_p.weights().iter().zip(&w0) {
                moved = moved.max((a - b).abs());
            }
            assert!(moved > 0.1, "the run learned: {moved}");
            assert_eq!(fw.covariance().len(), 4 * epochs);
            let pp = dense_of(fp.covariance());
            let pw = dense_of(fw.covariance());
            assert!(
                pp.max_abs_diff(&pw) <= 1e-9 * pp.max_abs(),
                "L = {layers} {order:?}: P differs by {}",
                pp.max_abs_diff(&pw)
            );
            let r = fw.covariance().len();
            assert!(
                fw.covariance()
                    .is_positive_definite(&mut vec![0.0; packed_len(r)])
                    .unwrap()
            );
            eprintln!("L = {layers} {order:?}: max |Δw| = {worst:.2e}");
        }
    }
}

/// Several outputs, r ≥ the samples seen: the packed multi-output filter.
#[test]
fn an_unbounded_window_is_the_exact_multi_output_gehf() {
    let spec = ResNetSpec::new(2, 5, 3, 7, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut net_p = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net_p.init_uniform(&mut rng(3), 0.3).unwrap();
    let mut net_w = net_p.clone();
    let cfg = GEhfConfig::default();
    let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut fp = GEhf::new(cfg, packed, vec![0.0; 3 * n]).unwrap();
    let mut fw = GEhf::new(cfg, window::<f64>(n, 60, 3), vec![0.0; 3 * n]).unwrap();
    for step in 0..60 {
        let t = step as f64 * 0.7;
        let x = [t.sin(), t.cos()];
        let class = step % 3;
        let y: Vec<f64> = (0..3).map(|o| if o == class { 1.0 } else { 0.0 }).collect();
        fp.step(&mut net_p, &x, &y).unwrap();
        fw.step(&mut net_w, &x, &y).unwrap();
        for (a, b) in net_p.weights().iter().zip(net_w.weights()) {
            assert!((a - b).abs() <= 1e-10, "step {step}: {a} vs {b}");
        }
    }
    assert_eq!(fw.covariance().len(), 180);
}

/// With eviction: each step's gain is that of the windowed information
/// matrix, computed here by a direct inverse — `P` of the last r samples
/// before the current one (paper order), or of the last r including it
/// (covariance-first) — and P after the step is the inverse over the last
/// r samples. Through `measurement_update`, one and two rows per sample.
#[test]
fn eviction_follows_the_inverse_of_the_windowed_information_matrix() {
    let mut r = rng(23);
    let (n, eps0, gamma) = (7, 2.0, 1.7);
    let a = 1.0 - 1.0 / (gamma * gamma);
    for (m, memory, order) in [
        (1, 3, GainOrder::Paper),
        (1, 3, GainOrder::CovarianceFirst),
        (1, 1, GainOrder::CovarianceFirst),
        (2, 2, GainOrder::Paper),
    ] {
        let cfg = GEhfConfig {
            gamma,
            eps0,
            gain_order: order,
        };
        let mut f = GEhf::new(cfg, window::<f64>(n, memory, m), vec![0.0; m * n]).unwrap();
        let mut w: Vec<f64> = (0..n).map(|_| uniform(&mut r, 1.0)).collect();
        let mut seen: Vec<Vec<Vec<f64>>> = Vec::new();
        for step in 0..12 {
            let rows: Vec<Vec<f64>> = (0..m)
                .map(|_| (0..n).map(|_| uniform(&mut r, 1.5)).collect())
                .collect();
            let e: Vec<f64> = (0..m).map(|_| uniform(&mut r, 1.0)).collect();
            let last = |seen: &[Vec<Vec<f64>>], k: usize| -> Vec<Vec<f64>> {
                seen[seen.len().saturating_sub(k)..].concat()
            };
            // The gain's P.
            let p = match order {
                GainOrder::Paper => windowed_p(n, eps0, a, &last(&seen, memory)),
                GainOrder::CovarianceFirst => {
                    let mut kept = last(&seen, memory - 1);
                    kept.extend(rows.iter().cloned());
                    windowed_p(n, eps0, a, &kept)
                }
            };
            // K = P Hᵀ (H P Hᵀ + I)⁻¹.
            let ph: Vec<Vec<f64>> = rows.iter().map(|h| p.mul_vec(h)).collect();
            let mut s = Mat::identity(m, 1.0);
            for (i, hi) in rows.iter().enumerate() {
                for (j, phj) in ph.iter().enumerate() {
                    s.a[i * m + j] += hi.iter().zip(phj).map(|(x, y)| x * y).sum::<f64>();
                }
            }
            let alpha = s.inverse().mul_vec(&e);
            let expected: Vec<f64> = (0..n)
                .map(|k| w[k] + (0..m).map(|j| ph[j][k] * alpha[j]).sum::<f64>())
                .collect();
            let h: Vec<f64> = rows.concat();
            f.measurement_update(&mut w, &h, &e).unwrap();
            for k in 0..n {
                assert!(
                    (w[k] - expected[k]).abs() < 1e-11 * (1.0 + expected[k].abs()),
                    "m = {m} r = {memory} {order:?} step {step} weight {k}: {} vs {}",
                    w[k],
                    expected[k]
                );
            }
            seen.push(rows);
            let want = windowed_p(n, eps0, a, &last(&seen, memory));
            let got = dense_of(f.covariance());
            assert!(
                got.max_abs_diff(&want) < 1e-12 * want.max_abs(),
                "m = {m} r = {memory} {order:?} step {step}: P differs by {}",
                got.max_abs_diff(&want)
            );
            assert_eq!(f.covariance().len(), m * memory.min(step + 1));
            // The newest row is row 0.
            assert_eq!(f.covariance().row(0).unwrap(), &seen[step][m - 1][..]);
        }
    }
}

/// Through `GEhf::step` on a network, with eviction (r = 6 at L = 5): the
/// weights follow a dense filter whose P is the direct inverse of the
/// windowed information matrix, in both gain orders.
#[test]
fn a_windowed_xor_run_follows_the_direct_windowed_filter() {
    for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
        let memory = 6;
        let cfg = GEhfConfig {
            gain_order: order,
            ..GEhfConfig::default()
        };
        let a = 1.0 - 1.0 / (cfg.gamma * cfg.gamma);
        let mut net = xor_net(5, 9);
        let n = net.spec().n_weights();
        let mut f = GEhf::new(cfg, window::<f64>(n, memory, 1), vec![0.0; n]).unwrap();
        let mut w = net.weights().to_vec();
        let mut probe = net.clone();
        let mut seen: Vec<Vec<f64>> = Vec::new();
        let xor = Xor::<f64>::new(InputCoding::default());
        for step in 0..40 {
            let (x, y) = xor.samples().get(ORDER[step % 4]).unwrap();
            probe.set_weights(&w).unwrap();
            let (out, h) = probe.jacobian(x).unwrap();
            let (e, h) = (y[0] - out[0], h.to_vec());
            let p = match order {
                GainOrder::Paper => {
                    windowed_p(n, cfg.eps0, a, &seen[seen.len().saturating_sub(memory)..])
                }
                GainOrder::CovarianceFirst => {
                    let mut kept = seen[seen.len().saturating_sub(memory - 1)..].to_vec();
                    kept.push(h.clone());
                    windowed_p(n, cfg.eps0, a, &kept)
                }
            };
            let ph = p.mul_vec(&h);
            let s: f64 = h.iter().zip(&ph).map(|(x, y)| x * y).sum();
            for (wk, pk) in w.iter_mut().zip(&ph) {
                *wk += pk * e / (1.0 + s);
            }
            seen.push(h);
            f.step(&mut net, x, y).unwrap();
            for (k, (a, b)) in net.weights().iter().zip(&w).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "{order:?} step {step} weight {k}: {a} vs {b}"
                );
            }
        }
        assert_eq!(f.covariance().len(), memory);
    }
}

/// The same run in f32 and f64 stays close.
#[test]
fn f32_window_tracks_f64() {
    let n64 = xor_net(5, 5);
    let n = n64.spec().n_weights();
    let (diff, _, _) = f32_vs_f64(n64, window::<f64>(n, 16, 1), window::<f32>(n, 16, 1));
    assert!(diff < 1e-3, "f32 vs f64 weights differ by {diff}");
}

/// A step whose Gram system would not be positive definite is refused
/// with `Diverged` and changes nothing: the same row twice with a huge ε0
/// makes `A = D⁻¹ + ε0 G` numerically singular (D⁻¹ is lost beside ε0 G).
#[test]
fn an_indefinite_gram_system_is_refused_and_changes_nothing() {
    let n = 5;
    let cfg = GEhfConfig {
        eps0: 1e20,
        ..GEhfConfig::default()
    };
    let mut f = GEhf::new(cfg, window::<f64>(n, 4, 1), vec![0.0; n]).unwrap();
    let h = [1.0, -0.5, 0.25, 2.0, 0.75];
    let mut w = vec![0.1; n];
    f.measurement_update(&mut w, &h, &[0.5]).unwrap();
    assert_eq!(f.covariance().len(), 1);
    let before = (bits(&w), dense_of(f.covariance()));
    assert_eq!(
        f.measurement_update(&mut w, &h, &[0.5]),
        Err(Error::Diverged { what: "covariance" })
    );
    assert_eq!(f.health().rejected, 1);
    assert_eq!(f.health().steps, 1);
    assert_eq!(bits(&w), before.0);
    assert_eq!(f.covariance().len(), 1);
    assert_eq!(dense_of(f.covariance()), before.1);
    let mut scratch = vec![0.0; packed_len(4)];
    assert!(f.covariance().is_positive_definite(&mut scratch).unwrap());
    // A different row is taken in.
    let g = [0.5, 1.0, -1.0, 0.0, 0.25];
    f.measurement_update(&mut w, &g, &[0.5]).unwrap();
    assert_eq!(f.covariance().len(), 2);
    assert!(f.covariance().is_positive_definite(&mut scratch).unwrap());
}

/// The trait used directly: `downdate` alone cannot update the window (it
/// has no `h`) and does nothing; `record` without `prepare_record` stages
/// the rows itself; `record` after a `prepare_record` for other rows
/// records its own rows.
#[test]
fn record_without_prepare_and_downdate_alone() {
    let n = 4;
    let a = 0.5;
    let mut p = window::<f64>(n, 2, 1);
    let eye = dense_of(&p);
    p.downdate(0.3, &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(dense_of(&p), eye);
    let h1 = vec![1.0, 0.0, 2.0, -1.0];
    let h2 = vec![0.0, 1.0, 1.0, 1.0];
    p.record(&h1, a, &[0.0], &[0.0; 4]);
    assert_eq!(p.len(), 1);
    p.prepare_record(&h1, a).unwrap();
    p.record(&h2, a, &[0.0], &[0.0; 4]); // not what was staged
    assert_eq!(p.row(0).unwrap(), &h2[..]);
    let want = windowed_p(n, 1.0, a, &[h1, h2]);
    assert!(dense_of(&p).max_abs_diff(&want) < 1e-14);
    // Reset empties the window.
    p.reset(3.0);
    assert!(p.is_empty());
    assert_eq!(p.get(1, 1), 3.0);
}

#[test]
fn bad_shapes_storage_and_input_are_typed_errors() {
    let shape = WindowShape::new(10, 4, 1);
    let need = shape.storage_len();
    assert_eq!(
        InfoWindow::new(WindowShape::new(10, 0, 1), 1.0, vec![0.0f64; need]).err(),
        Some(Error::InvalidParameter {
            name: Param::Memory
        })
    );
    assert_eq!(
        InfoWindow::new(WindowShape::new(10, 4, 0), 1.0, vec![0.0f64; need]).err(),
        Some(Error::ZeroWidth)
    );
    let huge = WindowShape::new(10, MAX_WINDOW_ROWS, 1);
    assert!(matches!(
        InfoWindow::new(huge, 1.0, vec![0.0f64; huge.storage_len()]),
        Err(Error::CapacityExceeded { needed, capacity: MAX_WINDOW_ROWS, .. })
            if needed == MAX_WINDOW_ROWS + 1
    ));
    assert!(
        InfoWindow::new(
            WindowShape::new(10, MAX_WINDOW_ROWS - 1, 1),
            1.0,
            vec![0.0f64; 0]
        )
        .is_err()
    );
    assert!(matches!(
        InfoWindow::new(shape, 1.0, vec![0.0f64; need - 1]),
        Err(Error::CapacityExceeded { needed, .. }) if needed == need
    ));
    for eps0 in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            InfoWindow::new(shape, eps0, vec![0.0; need]).err(),
            Some(Error::InvalidEps0)
        );
    }

    // A filter with a window: no regularization; wrong sizes and values
    // change nothing.
    let mut net = xor_net(5, 2);
    let nw = net.spec().n_weights();
    let cfg = GEhfConfig::default();
    let f = GEhf::new(cfg, window::<f64>(nw, 4, 1), vec![0.0; nw]).unwrap();
    assert!(matches!(
        f.with_regularization(Regularization::process_noise(1e-3)),
        Err(Error::Unsupported { .. })
    ));
    let mut f = GEhf::new(cfg, window::<f64>(nw, 4, 1), vec![0.0; 2 * nw]).unwrap();
    let xor = Xor::<f64>::new(InputCoding::default());
    for k in 0..6 {
        let (x, y) = xor.samples().get(k % 4).unwrap();
        f.step(&mut net, x, y).unwrap();
    }
    let w = bits(net.weights());
    let p = dense_of(f.covariance());
    let (x, _) = xor.samples().get(0).unwrap();
    assert!(matches!(
        f.step(&mut net, x, &[f64::NAN]),
        Err(Error::NonFinite { .. })
    ));
    let mut other = xor_net(7, 2);
    assert!(matches!(
        f.step(&mut other, x, &[1.0]),
        Err(Error::LengthMismatch { .. })
    ));
    // Two rows for a window of one row per sample.
    let mut ws = net.weights().to_vec();
    let two = vec![0.1; 2 * nw];
    assert!(matches!(
        f.measurement_update(&mut ws, &two, &[0.1, 0.2]),
        Err(Error::CapacityExceeded {
            needed: 2,
            capacity: 1,
            ..
        })
    ));
    let mut bad = vec![0.1; nw];
    bad[3] = f64::INFINITY;
    assert!(matches!(
        f.measurement_update(&mut ws, &bad, &[0.1]),
        Err(Error::NonFinite { .. })
    ));
    assert_eq!(bits(&ws), w);
    assert_eq!(bits(net.weights()), w);
    assert_eq!(dense_of(f.covariance()), p);
    assert_eq!(f.covariance().len(), 4);
    // The trait's own checks.
    let cov = f.covariance_mut();
    assert!(matches!(
        cov.prepare_record(&vec![0.0; nw + 1], 0.5),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(
        cov.prepare_record(&vec![0.0; nw], f64::NAN),
        Err(Error::InvalidGamma)
    );
    assert!(matches!(
        cov.load_packed(&vec![0.0; packed_len(nw)]),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        cov.is_positive_definite(&mut [0.0; 9]),
        Err(Error::CapacityExceeded { needed: 10, .. })
    ));
    assert_eq!(dense_of(f.covariance()), p);
}
