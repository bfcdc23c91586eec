//! The exact fixed-point shortcut of `run_trial`: a trial stopped at an
//! exact fixed point, with its remaining epochs filled in, must equal the
//! trial that runs every epoch in everything but wall time.

use host::{
    Method, Precision, TrialResult, TrialSpec, run_trial, run_trial_every_epoch, trial_seed,
};

fn without_time(mut r: TrialResult) -> TrialResult {
    r.seconds = 0.0;
    r.fixed_point_epoch = None;
    r
}

/// Runs trials 0..n both ways; returns how many took the shortcut.
fn check(spec: &TrialSpec, n: usize) -> usize {
    let mut shortcuts = 0;
    for i in 0..n {
        let seed = trial_seed(1, i);
        let fast = run_trial(spec, seed, i).unwrap();
        let full = run_trial_every_epoch(spec, seed, i).unwrap();
        assert_eq!(full.fixed_point_epoch, None);
        if let Some(e) = fast.fixed_point_epoch {
            assert!(e <= spec.max_epochs);
            assert!(!fast.converged);
            shortcuts += usize::from(e < spec.max_epochs);
        }
        if !fast.converged {
            assert_eq!(fast.curve.len(), spec.max_epochs as usize + 1, "trial {i}");
        }
        assert_eq!(without_time(fast), without_time(full), "trial {i}");
    }
    shortcuts
}

/// Adam with α = 0.1 saturates most runs at L = 21; once β1^t and β2^t
/// underflow and the moments decay to the smallest subnormal, an epoch
/// changes nothing (the fixed point is found after ~830 epochs).
#[test]
fn adam_runs_stopped_at_a_fixed_point_equal_full_runs() {
    for precision in [Precision::F64, Precision::F32] {
        let spec = TrialSpec {
            method: Method::Adam,
            layers: 21,
            max_epochs: 1200,
            adam_lr: 0.1,
            precision,
            ..TrialSpec::default()
        };
        let n = check(&spec, 3);
        if precision == Precision::F64 {
            assert!(n >= 1, "no f64 run reached the fixed point");
        }
    }
}

/// Steepest descent with a large step (ε0 = 1000) at L = 21, 300 epochs:
/// `hinf train --method sd --layers 21 --eps0 1000 --max-epochs 300`.
fn large_step_sd() -> TrialSpec {
    TrialSpec {
        method: Method::Sd,
        layers: 21,
        eps0: 1e3,
        max_epochs: 300,
        ..TrialSpec::default()
    }
}

/// Steepest descent (fixed P): with a large step runs saturate and their
/// weights stop changing at all.
#[test]
fn steepest_descent_runs_stopped_at_a_fixed_point_equal_full_runs() {
    assert!(
        check(&large_step_sd(), 4) >= 1,
        "no run reached the fixed point"
    );
}

/// H∞ (a P that learns) is never declared at a fixed point.
#[test]
fn hinf_runs_every_epoch() {
    let spec = TrialSpec {
        method: Method::Hinf,
        layers: 21,
        max_epochs: 150,
        eps0: 1e6,
        ..TrialSpec::default()
    };
    for i in 0..3 {
        let r = run_trial(&spec, trial_seed(1, i), i).unwrap();
        assert_eq!(r.fixed_point_epoch, None);
    }
}

/// The trials CSV says which trials took the shortcut, and from which epoch.
#[test]
fn trials_csv_names_the_fixed_point_epoch() {
    let dir = std::env::temp_dir().join(format!("hinf-fixed-point-csv-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hinf"))
        .args([
            "train", "--method", "sd", "--layers", "21", "--eps0", "1000",
        ])
        .args([
            "--max-epochs",
            "300",
            "--trials",
            "4",
            "--seed",
            "1",
            "--json",
        ])
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("sd_L21_trials.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.last(), Some(&"fixed_point_epoch"));
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut stopped = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len(), "{line}");
        // The trial the library runs with the same seed agrees.
        let trial: usize = f[col("trial")].parse().unwrap();
        let r = run_trial(&large_step_sd(), f[col("seed")].parse().unwrap(), trial).unwrap();
        let want = r.fixed_point_epoch.map_or(String::new(), |e| e.to_string());
        assert_eq!(f[col("fixed_point_epoch")], want, "{line}");
        if !want.is_empty() {
            stopped += 1;
            assert_eq!(f[col("epochs")], "300");
            assert_eq!(f[col("converged")], "false");
        }
    }
    assert!(stopped >= 1, "no trial took the shortcut:\n{csv}");
    let _ = std::fs::remove_dir_all(&dir);
}
