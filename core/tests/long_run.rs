//! Numerical health over long online runs: g-EHF in f32 at L = 5 on a
//! drifting stream. `P` must stay symmetric positive definite and the
//! learner must keep tracking; divergence is detected and the last good
//! state kept.
//!
//! The 10⁶-update run is ignored by default:
//! `cargo test -p hinf --release --test long_run -- --ignored`

mod common;
use common::*;
use hinf::*;

type Filter = GEhf<f32, PackedCovariance<f32, Vec<f32>>, Vec<f32>>;

/// Cholesky in f64 of the f32 matrix (an independent check of the
/// library's own `is_positive_definite`).
fn cholesky_f64(c: &impl Covariance<f32>) -> bool {
    let n = c.dim();
    let mut l = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = f64::from(c.get(i, j));
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
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

struct Run {
    /// Mean squared a-priori error per window.
    mse: Vec<f64>,
    /// Variance of the target per window (what predicting 1/2 would score).
    var: Vec<f64>,
    health: Health,
}

/// `steps` online updates on y = σ(3 (cos θ_k x1 + sin θ_k x2)), θ_k =
/// 2π k / period, x uniform in [−1, 1]²; P checked every `steps / windows`.
fn drifting_run(steps: usize, period: f64, windows: usize, reg: Regularization) -> Run {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut r = rng(1);
    let mut net = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut r, PAPER_INIT_RANGE).unwrap();
    let cov = PackedCovariance::new(n, 1.0f32, vec![0.0; packed_len(n)]).unwrap();
    let cfg = GEhfConfig {
        eps0: 1.0,
        ..GEhfConfig::default()
    };
    let mut f: Filter = GEhf::new(cfg, cov, vec![0.0f32; n])
        .unwrap()
        .with_regularization(reg)
        .unwrap();
    let mut scratch = vec![0.0f32; packed_len(n)];
    let per = steps / windows;
    let (mut se, mut sv) = (0.0, 0.0);
    let mut run = Run {
        mse: Vec::new(),
        var: Vec::new(),
        health: Health::default(),
    };
    for k in 0..steps {
        let th = 2.0 * std::f64::consts::PI * k as f64 / period;
        let x = [uniform(&mut r, 1.0), uniform(&mut r, 1.0)];
        let y = 1.0 / (1.0 + (-3.0 * (th.cos() * x[0] + th.sin() * x[1])).exp());
        let rep = f
            .step(&mut net, &[x[0] as f32, x[1] as f32], &[y as f32])
            .unwrap();
        se += f64::from(rep.error).powi(2);
        sv += (y - 0.5).powi(2);
        if (k + 1) % per == 0 {
            let p = f.covariance();
            assert!(
                p.is_positive_definite(&mut scratch).unwrap(),
                "k = {k}: P not PD (f32)"
            );
            assert!(cholesky_f64(p), "k = {k}: P not PD (f64 check)");
            assert_eq!(p.asymmetry(), 0.0);
            assert!(net.weights().iter().all(|w| w.is_finite()));
            run.mse.push(se / per as f64);
            run.var.push(sv / per as f64);
            (se, sv) = (0.0, 0.0);
        }
    }
    run.health = *f.health();
    run
}

fn report(name: &str, run: &Run) {
    let last = run.mse.last().unwrap();
    println!(
        "{name}: last-window MSE {last:.2e} (target variance {:.2e}), worst {:.2e}; {:?}",
        run.var.last().unwrap(),
        run.mse.iter().cloned().fold(0.0, f64::max),
        run.health
    );
}

#[test]
fn short_drifting_run_keeps_p_positive_definite_and_tracks() {
    // 2·10⁴ updates, two full turns of the target.
    let with_q = drifting_run(20_000, 10_000.0, 10, Regularization::process_noise(1e-4));
    report("q = 1e-4", &with_q);
    assert_eq!(with_q.health.rejected, 0);
    assert_eq!(with_q.health.steps, 20_000);
    let tail = &with_q.mse[5..];
    for (m, v) in tail.iter().zip(&with_q.var[5..]) {
        assert!(*m < 0.02 * v, "lost track: MSE {m:.2e}, variance {v:.2e}");
    }
    let without = drifting_run(20_000, 10_000.0, 10, Regularization::NONE);
    report("no process noise", &without);
    assert_eq!(without.health.rejected, 0);
    let (a, b): (f64, f64) = (with_q.mse[5..].iter().sum(), without.mse[5..].iter().sum());
    assert!(
        a < b,
        "process noise should track better: {a:.2e} vs {b:.2e}"
    );
}

/// 10⁶ updates (about 10 s in release).
#[test]
#[ignore]
fn million_update_drifting_run() {
    let run = drifting_run(
        1_000_000,
        100_000.0,
        20,
        Regularization::process_noise(1e-5),
    );
    report("q = 1e-5, 1e6 updates", &run);
    assert_eq!(run.health.rejected, 0);
    assert_eq!(run.health.floor_interventions, 0);
    for (m, v) in run.mse[2..].iter().zip(&run.var[2..]) {
        assert!(*m < 1e-3 * v, "lost track: MSE {m:.2e}, variance {v:.2e}");
    }
    // Without process noise P → 0 and tracking degrades (P stays PD).
    let none = drifting_run(1_000_000, 100_000.0, 20, Regularization::NONE);
    report("no process noise, 1e6 updates", &none);
    assert!(none.mse.last().unwrap() > &(10.0 * run.mse.last().unwrap()));
}

/// The floor guard raises every diagonal entry below it and counts each
/// raise (the drifting runs above never need it: their count is 0).
#[test]
fn the_floor_guard_counts_its_interventions() {
    let n = 76;
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(2), 0.5).unwrap();
    let cov = PackedCovariance::new(n, 1.0f32, vec![0.0; packed_len(n)]).unwrap();
    let reg = Regularization {
        diagonal_floor: 0.9,
        ..Regularization::NONE
    };
    let cfg = GEhfConfig {
        eps0: 1.0,
        ..GEhfConfig::default()
    };
    let mut f = GEhf::new(cfg, cov, vec![0.0f32; n])
        .unwrap()
        .with_regularization(reg)
        .unwrap();
    for k in 0..50 {
        let x = if k % 2 == 0 { [1.0, -1.0] } else { [-1.0, 1.0] };
        f.step(&mut net, &x, &[1.0]).unwrap();
    }
    let h = *f.health();
    assert!(h.floor_interventions > 0, "{h:?}");
    let (lo, _) = f.covariance().diagonal_bounds();
    assert!(lo >= 0.9, "{lo}");
}

/// A forgetting factor far below 1 winds P up until it would overflow:
/// the step that would do it is rejected, and the last good state is kept.
#[test]
fn wind_up_is_detected_and_the_last_good_state_kept() {
    let n = 76;
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(3), 0.05).unwrap();
    let cov = PackedCovariance::new(n, 1.0f32, vec![0.0; packed_len(n)]).unwrap();
    let reg = Regularization {
        forgetting: 0.5,
        ..Regularization::NONE
    };
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0f32; n])
        .unwrap()
        .with_regularization(reg)
        .unwrap();
    let mut diverged = None;
    for k in 0..1000 {
        let w = net.weights().to_vec();
        let p = f.covariance().packed().to_vec();
        match f.step(&mut net, &[1.0, 1.0], &[0.3]) {
            Ok(_) => {}
            Err(e) => {
                assert!(matches!(e, Error::Diverged { .. }), "{e:?}");
                assert_eq!(net.weights(), &w[..], "weights changed on {e}");
                assert_eq!(f.covariance().packed(), &p[..], "P changed on {e}");
                diverged = Some(k);
                break;
            }
        }
    }
    let k = diverged.expect("P / λ^k must overflow f32 within 1000 steps");
    assert!(k > 10);
    assert!(f.health().rejected >= 1);
    assert!(f.covariance().packed().iter().all(|x| x.is_finite()));
    assert!(net.weights().iter().all(|x| x.is_finite()));
}

/// A P that has become indefinite (here: loaded so) is caught before the
/// downdate makes a diagonal entry non-positive.
#[test]
fn an_indefinite_p_is_refused_and_nothing_changes() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut net = ResNet::new(spec, vec![0.0f64; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(4), 0.5).unwrap();
    let cov = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
    let mut p = f.covariance().packed().to_vec();
    // P[70][70] (the output threshold) tiny, strongly coupled to P[71][71].
    let idx = |i: usize, j: usize| packed_len(i) + j;
    p[idx(70, 70)] = 1e-6;
    p[idx(71, 70)] = 0.9;
    f.covariance_mut().set_packed(&p).unwrap();
    let w = net.weights().to_vec();
    let r = f.step(&mut net, &[1.0, 1.0], &[1.0]);
    assert!(
        matches!(r, Err(Error::Diverged { what: "covariance" })),
        "{r:?}"
    );
    assert_eq!(net.weights(), &w[..]);
    assert_eq!(f.covariance().packed(), &p[..]);
    assert_eq!(f.health().rejected, 1);
    assert_eq!(f.health().steps, 0);
}
