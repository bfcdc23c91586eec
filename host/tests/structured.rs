//! The structured covariance gives the same g-EHF trajectory as the dense
//! and packed references of the core, before and after it turns dense;
//! so does the exact information form (`InformationCovariance`, weights
//! within 1e-10 of the structured `P`'s over whole runs at L = 5 … 41,
//! through its doublings of capacity and its turn to packed storage).

use hinf::{
    Covariance, DenseCovariance, GEhf, GEhfConfig, PackedCovariance, Regularization, ResNet,
    ResNetSpec, Xor,
};
use host::StructuredCovariance;
use host::learn::InformationCovariance;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Runs `epochs` epochs of the g-EHF over XOR from seed `seed` with `cov`;
/// returns the weights after every step and the final filter.
fn trajectory<C: Covariance<f64>>(
    layers: usize,
    seed: u64,
    epochs: usize,
    cov: C,
) -> (Vec<Vec<f64>>, GEhf<f64, C, Vec<f64>>) {
    trajectory_with(layers, seed, epochs, cov, Regularization::NONE)
}

/// [`trajectory`] with a regularization of `P`.
fn trajectory_with<C: Covariance<f64>>(
    layers: usize,
    seed: u64,
    epochs: usize,
    cov: C,
    reg: Regularization,
) -> (Vec<Vec<f64>>, GEhf<f64, C, Vec<f64>>) {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
    let mut filter = GEhf::new(GEhfConfig::default(), cov, vec![0.0; spec.n_weights()])
        .unwrap()
        .with_regularization(reg)
        .unwrap();
    let xor = Xor::<f64>::new(hinf::InputCoding::default());
    let data = xor.samples();
    let mut out = Vec::new();
    for _ in 0..epochs {
        for k in 0..data.len() {
            let (x, y) = data.get(k).expect("a sample in range");
            filter.step(&mut net, x, y).unwrap();
            out.push(net.weights().to_vec());
        }
    }
    (out, filter)
}

fn max_diff(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f64::max)
}

fn eps0() -> f64 {
    GEhfConfig::default().eps0
}

#[test]
fn structured_equals_dense_and_packed_at_l5_7_9() {
    for (layers, seed) in [(5, 1), (7, 2), (9, 3)] {
        let nw = ResNetSpec::xor(layers).unwrap().n_weights();
        let epochs = 8;
        let (dense, fd) = trajectory(
            layers,
            seed,
            epochs,
            DenseCovariance::new(nw, eps0(), vec![0.0; nw * nw]).unwrap(),
        );
        let (packed, _) = trajectory(
            layers,
            seed,
            epochs,
            PackedCovariance::new(nw, eps0(), vec![0.0; hinf::packed_len(nw)]).unwrap(),
        );
        let (structured, fs) = trajectory(
            layers,
            seed,
            epochs,
            StructuredCovariance::with_switch_at(nw, eps0(), usize::MAX),
        );
        assert!(!fs.covariance().is_packed());
        assert_eq!(fs.covariance().rank(), 4 * epochs);
        let d1 = max_diff(&structured, &dense);
        let d2 = max_diff(&structured, &packed);
        assert!(d1 < 1e-10, "L = {layers}: structured vs dense {d1:e}");
        assert!(d2 < 1e-10, "L = {layers}: structured vs packed {d2:e}");
        // The matrices agree too.
        let (pd, ps) = (fd.covariance(), fs.covariance());
        for i in (0..nw).step_by(7) {
            for j in (0..nw).step_by(5) {
                let (a, b) = (pd.get(i, j), ps.get(i, j));
                assert!((a - b).abs() < 1e-10 * eps0(), "P[{i}][{j}]: {a} vs {b}");
            }
        }
    }
}

#[test]
fn switches_to_packed_and_stays_on_the_dense_trajectory() {
    let layers = 5;
    let nw = ResNetSpec::xor(layers).unwrap().n_weights();
    let epochs = 20; // 80 downdates, past the default switch (N_w/2 = 38)
    let default_switch = StructuredCovariance::<f64>::default_switch_at(nw);
    assert!(default_switch < 4 * epochs, "{default_switch}");
    let (dense, _) = trajectory(
        layers,
        11,
        epochs,
        DenseCovariance::new(nw, eps0(), vec![0.0; nw * nw]).unwrap(),
    );
    for switch_at in [0, 1, 13, default_switch] {
        let cov = if switch_at == default_switch {
            StructuredCovariance::new(nw, eps0())
        } else {
            StructuredCovariance::with_switch_at(nw, eps0(), switch_at)
        };
        assert!(!cov.is_packed());
        let (structured, f) = trajectory(layers, 11, epochs, cov);
        assert!(f.covariance().is_packed(), "switch_at = {switch_at}");
        assert_eq!(f.covariance().rank(), 4 * epochs);
        assert_eq!(f.covariance().stored_elements(), hinf::packed_len(nw));
        let d = max_diff(&structured, &dense);
        assert!(d < 1e-10, "switch_at = {switch_at}: {d:e}");
    }
}

#[test]
fn stays_structured_below_the_switch_and_reset_forgets() {
    let nw = 10;
    let mut p = StructuredCovariance::with_switch_at(nw, 2.0, 3);
    let u: Vec<f64> = (0..nw).map(|i| i as f64 * 0.1).collect();
    for k in 1..=3 {
        p.downdate(0.5, &u);
        assert_eq!(p.rank(), k);
        assert!(!p.is_packed());
        // k factors and coefficients, and the diagonal.
        assert_eq!(p.stored_elements(), k * (nw + 1) + nw);
    }
    p.downdate(0.5, &u);
    assert!(p.is_packed());
    assert_eq!(p.rank(), 4);
    let expect = -4.0 * 0.5 * u[3] * u[4];
    assert!((p.get(4, 4) - (2.0 - 2.0 * u[4] * u[4])).abs() < 1e-15);
    assert!((p.get(3, 4) - expect).abs() < 1e-15);
    p.reset(3.0);
    assert!(!p.is_packed());
    assert_eq!(p.rank(), 0);
    assert_eq!(p.get(2, 2), 3.0);
    assert_eq!(p.get(2, 3), 0.0);
    let mut out = vec![0.0; nw];
    p.mul_vec(&u, &mut out);
    assert_eq!(out, u.iter().map(|x| 3.0 * x).collect::<Vec<_>>());
}

#[test]
fn product_matches_the_definition_for_odd_sizes() {
    // Sizes that exercise the 8-lane and 4-factor remainders.
    for (nw, k) in [(1, 1), (7, 3), (9, 5), (17, 9), (33, 4)] {
        let mut p = StructuredCovariance::with_switch_at(nw, 1.5, usize::MAX);
        let mut us = Vec::new();
        for r in 0..k {
            let u: Vec<f64> = (0..nw)
                .map(|i| ((i * 7 + r * 3) % 11) as f64 * 0.01)
                .collect();
            p.downdate(0.3 + r as f64 * 0.01, &u);
            us.push(u);
        }
        let v: Vec<f64> = (0..nw).map(|i| (i as f64).sin()).collect();
        let mut got = vec![0.0; nw];
        p.mul_vec(&v, &mut got);
        for i in 0..nw {
            let mut want = 1.5 * v[i];
            for (r, u) in us.iter().enumerate() {
                let d: f64 = u.iter().zip(&v).map(|(a, b)| a * b).sum();
                want -= (0.3 + r as f64 * 0.01) * d * u[i];
            }
            assert!((got[i] - want).abs() < 1e-13, "N = {nw}, k = {k}, i = {i}");
        }
    }
}

/// The diagonal floor acts on the structured `P` as on the packed one
/// (it adds to a diagonal `D`), before the switch to packed storage.
#[test]
fn diagonal_floor_follows_packed_at_l5_7_9() {
    // A floor high enough to act within a few epochs, alone and with
    // forgetting and process noise (which the diagonal follows too).
    let floor = Regularization {
        diagonal_floor: 0.9 * eps0(),
        ..Regularization::NONE
    };
    let all = Regularization {
        process_noise: 1e-3,
        forgetting: 0.99,
        ..floor
    };
    for (layers, seed, reg) in [(5, 4, floor), (7, 5, floor), (9, 6, floor), (7, 7, all)] {
        let nw = ResNetSpec::xor(layers).unwrap().n_weights();
        let epochs = 8;
        let (packed, fp) = trajectory_with(
            layers,
            seed,
            epochs,
            PackedCovariance::new(nw, eps0(), vec![0.0; hinf::packed_len(nw)]).unwrap(),
            reg,
        );
        let (structured, fs) = trajectory_with(
            layers,
            seed,
            epochs,
            StructuredCovariance::with_switch_at(nw, eps0(), usize::MAX),
            reg,
        );
        assert!(!fs.covariance().is_packed());
        let (hp, hs) = (fp.health(), fs.health());
        assert!(
            hp.floor_interventions > 0,
            "L = {layers}: the floor never acted"
        );
        assert_eq!(
            hs.floor_interventions, hp.floor_interventions,
            "L = {layers}"
        );
        assert_eq!(hs.regularization_skipped, 0);
        let d = max_diff(&structured, &packed);
        assert!(d < 1e-10, "L = {layers}: structured vs packed {d:e}");
        let (pp, ps) = (fp.covariance(), fs.covariance());
        for i in 0..nw {
            assert!(ps.get(i, i) >= reg.diagonal_floor - 1e-12);
            for j in (0..nw).step_by(5) {
                assert!((pp.get(i, j) - ps.get(i, j)).abs() < 1e-10, "P[{i},{j}]");
            }
        }
        let (lo, hi) = ps.diagonal_bounds();
        let (plo, phi) = pp.diagonal_bounds();
        assert!((lo - plo).abs() < 1e-10 && (hi - phi).abs() < 1e-10);
    }
}

/// The structured `P` predicts a downdate's diagonal like the packed one,
/// so the g-EHF refuses the same downdates (a non-positive diagonal).
#[test]
fn downdate_diagonal_bounds_match_packed() {
    let nw = 12;
    let mut s = StructuredCovariance::with_switch_at(nw, 2.0, usize::MAX);
    let mut p = PackedCovariance::new(nw, 2.0, vec![0.0; hinf::packed_len(nw)]).unwrap();
    for k in 0..5 {
        let u: Vec<f64> = (0..nw)
            .map(|i| ((i * 7 + k * 3) % 11) as f64 * 0.05 - 0.2)
            .collect();
        let (a, b) = (
            s.downdate_diagonal_bounds(0.3, &u),
            p.downdate_diagonal_bounds(0.3, &u),
        );
        let ((slo, shi), (plo, phi)) = (a.unwrap(), b.unwrap());
        assert!(
            (slo - plo).abs() < 1e-14 && (shi - phi).abs() < 1e-14,
            "{a:?} {b:?}"
        );
        s.downdate(0.3, &u);
        p.downdate(0.3, &u);
    }
    // A downdate that would make P_00 negative: both bounds say so.
    let mut u = vec![0.0; nw];
    u[0] = 10.0;
    let (slo, _) = s.downdate_diagonal_bounds(0.5, &u).unwrap();
    let (plo, _) = p.downdate_diagonal_bounds(0.5, &u).unwrap();
    assert!(slo < 0.0 && plo < 0.0);
    assert!((slo - plo).abs() < 1e-12);
    // A non-finite entry makes the bounds non-finite.
    u[1] = f64::INFINITY;
    assert!(!s.downdate_diagonal_bounds(0.5, &u).unwrap().0.is_finite());
    // An invalid floor is refused and changes nothing.
    let before = s.get(3, 3);
    assert!(s.floor_diagonal(f64::NAN).is_err());
    assert!(s.floor_diagonal(-1.0).is_err());
    assert_eq!(s.get(3, 3), before);
}

/// The largest |Δw| / (1 + |w|) over the two trajectories.
fn worst(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            x.iter()
                .zip(y)
                .map(|(p, q)| (p - q).abs() / (1.0 + q.abs()))
        })
        .fold(0.0, f64::max)
}

#[test]
fn information_form_follows_the_structured_p_over_whole_runs() {
    let eps0 = GEhfConfig::default().eps0;
    for (layers, seed, epochs) in [(5, 1, 60), (7, 2, 60), (9, 3, 60), (21, 4, 60), (41, 5, 60)] {
        let spec = ResNetSpec::xor(layers).unwrap();
        let n = spec.n_weights();
        let (want, _) = trajectory(layers, seed, epochs, StructuredCovariance::new(n, eps0));
        let info = InformationCovariance::new(&spec, eps0).unwrap();
        let (got, f) = trajectory(layers, seed, epochs, info);
        let w = worst(&want, &got);
        let p = f.covariance();
        eprintln!("L = {layers}: {w:.1e}, packed {}", p.is_packed());
        assert!(w <= 1e-10, "L = {layers}: {w}");
        // 240 samples: packed at L ≤ 21 (N_w ≤ 556), still the form
        // (grown from 16 to 256 samples) at L = 41 (N_w = 1156).
        assert_eq!(p.is_packed(), layers <= 21, "L = {layers}");
        if layers == 41 {
            assert_eq!(p.len(), 4 * epochs);
        }
        let moved = worst(&want[..1], &want[want.len() - 1..]);
        assert!(moved > 0.01, "the run learned: {moved}");
    }
}
