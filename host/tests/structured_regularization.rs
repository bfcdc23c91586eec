//! Process noise, forgetting and the diagonal floor on the structured
//! covariance equal those on the packed one, and a regularized g-EHF trial runs at depth.

use hinf::{Covariance, PackedCovariance};
use host::StructuredCovariance;
use host::settings::Variant;
use host::settings::{CovarianceKind, Method, TrialSpec};

#[test]
fn structured_regularization_matches_packed() {
    let n = 7;
    let mut s = StructuredCovariance::<f64>::new(n, 2.0);
    let mut p = PackedCovariance::new(n, 2.0, vec![0.0; n * (n + 1) / 2]).unwrap();
    assert_eq!(s.regularizable(), hinf::Regularizable::ALL);
    for k in 0..5 {
        let u: Vec<f64> = (0..n)
            .map(|i| ((i * 7 + k * 3) % 5) as f64 * 0.1 - 0.2)
            .collect();
        s.downdate(0.3, &u);
        p.downdate(0.3, &u);
        s.add_diagonal(0.01).unwrap();
        p.add_diagonal(0.01).unwrap();
        s.scale(1.0 / 0.98).unwrap();
        p.scale(1.0 / 0.98).unwrap();
    }
    for i in 0..n {
        for j in 0..n {
            assert!((s.get(i, j) - p.get(i, j)).abs() < 1e-12, "({i}, {j})");
        }
    }
    assert!(s.add_diagonal(-1.0).is_err());
    assert!(s.scale(0.0).is_err());
    // (n = 7 turns packed after 4 downdates: both forms were exercised.)
    assert!(s.is_packed());
    // The floor, before and after the switch to packed storage.
    let mut low = StructuredCovariance::<f64>::with_switch_at(n, 2.0, usize::MAX);
    low.downdate(0.3, &[0.1; 7]); // diagonal 2 − 0.3·0.01 = 1.997
    assert_eq!(low.floor_diagonal(0.1), Ok(0));
    assert_eq!(low.floor_diagonal(1.999), Ok(7));
    assert!(!low.is_packed());
    for i in 0..n {
        assert!((low.get(i, i) - 1.999).abs() < 1e-15);
        assert!((low.get(i, (i + 1) % n) + 0.003).abs() < 1e-15);
    }
    assert!(s.floor_diagonal(0.1).is_ok());
}

#[test]
fn regularized_trial_runs_on_structured_and_packed_alike() {
    let base = TrialSpec {
        method: Method::Hinf,
        layers: 7,
        max_epochs: 60,
        variant: Variant {
            process_noise: 1e-3,
            forgetting: 0.995,
            ..Variant::default()
        },
        ..TrialSpec::default()
    };
    let a = host::run_trial(&base, host::trial_seed(1, 0), 0).unwrap();
    let packed = TrialSpec {
        covariance: CovarianceKind::Packed,
        ..base
    };
    let b = host::run_trial(&packed, host::trial_seed(1, 0), 0).unwrap();
    assert_eq!(a.failure, None);
    assert_eq!(a.epochs, b.epochs);
    for (x, y) in a.curve.iter().zip(&b.curve) {
        assert!((x - y).abs() <= 1e-9 * y.abs().max(1e-6));
    }
}
