//! `hinf saddle`: the files it writes, and the basic properties of its
//! numbers (fractions in [0, 1], eigenvalues ≥ 0, eq. 9's spectrum for
//! the exact filter, steepest descent's span fraction two ways).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{hinf, scratch, text};
use hinf::{GEhf, GEhfConfig, IsotropicCovariance, Optimizer, ResNet, ResNetSpec, Xor};
use host::study::span_fraction_by_gram;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// A small run: L = 5 everywhere, L = 21 for the spectra, 12 epochs, 3
/// trials for the covariances.
const ARGS: &[&str] = &[
    "--slice-layers",
    "5",
    "--spectrum-layers",
    "5,21",
    "--covariance-layers",
    "5",
    "--span-epochs",
    "12",
    "--max-epochs",
    "300",
    "--grid",
    "9",
    "--seeds",
    "3",
];

/// The rows of a CSV file as maps from its header's names.
fn csv(path: &Path) -> Vec<HashMap<String, String>> {
    let t = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = t.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, key: &str) -> Option<f64> {
    row.get(key)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
}

fn run_saddle(name: &str) -> std::path::PathBuf {
    let out = scratch(name);
    let mut args = vec!["saddle", "--out", out.to_str().unwrap()];
    args.extend(ARGS);
    let o = hinf(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("files into"),
        "{}",
        text(&o.stdout)
    );
    out
}

#[test]
fn saddle_writes_its_files_with_sound_numbers() {
    let out = run_saddle("saddle");
    let mut names = vec!["monkey_saddle.svg", "summary.md"];
    names.extend(["slice_L5.svg", "slice_L5.csv", "surface_L5.csv"]);
    for l in [5, 21] {
        for f in ["span", "spectrum", "gain"] {
            assert!(out.join(format!("{f}_L{l}.csv")).is_file());
        }
        for f in ["span", "eq9", "gain", "spectrum", "p"] {
            let svg = std::fs::read_to_string(out.join(format!("{f}_L{l}.svg"))).unwrap();
            assert!(svg.starts_with("<svg"), "{f}_L{l}.svg");
        }
    }
    for n in names {
        assert!(out.join(n).is_file(), "{n} missing");
    }
    check_fractions(&out);
    check_spectra(&out);
    check_gains(&out);
    check_slice(&out);
    check_seeds(&out);
    sd_span_fraction_two_ways(&out);
}

/// The covariance comparison: six learners from each of 3 trials.
fn check_seeds(out: &Path) {
    let rows = csv(&out.join("seeds_L5.csv"));
    assert_eq!(rows.len(), 6 * 3);
    for r in &rows {
        for k in ["span_early", "eq9_early"] {
            assert!((0.0..=1.0).contains(&num(r, k).unwrap()), "{r:?}");
        }
        for k in ["spread_e10", "spread_e20", "spread_e40"] {
            assert!((0.0..=1.0).contains(&num(r, k).unwrap()), "{r:?}");
        }
    }
    assert!(
        !out.join("seeds_L21.csv").exists(),
        "L = 21 is no covariance depth here"
    );
}

/// Both fractions in [0, 1]; eq. (9)'s share never above the span
/// fraction squared; the first step has no past Jacobian.
fn check_fractions(out: &Path) {
    for l in [5, 21] {
        let rows = csv(&out.join(format!("span_L{l}.csv")));
        assert!(rows.len() > 100, "L = {l}: {} rows", rows.len());
        for r in &rows {
            let (s, q) = (
                num(r, "span_fraction").unwrap(),
                num(r, "eq9_fraction").unwrap(),
            );
            assert!(
                (0.0..=1.0).contains(&s) && (0.0..=1.0).contains(&q),
                "{r:?}"
            );
            assert!(q <= s * s + 1e-9, "{r:?}");
            if r["step"] == "0" {
                assert_eq!((s, r["rank"].as_str()), (0.0, "0"));
            }
        }
        let learners: Vec<&str> = rows.iter().map(|r| r["learner"].as_str()).collect();
        for want in ["hinf", "sd", "adam"] {
            assert!(learners.contains(&want), "L = {l}: no {want}");
        }
    }
}

/// Eigenvalues ≥ 0; P's at most ε0 = 10; for the exact filter P's Ritz
/// values are eq. (9)'s ε0 / (1 + ε0 a λᵢ) and P's full spectrum (L = 5)
/// holds them.
fn check_spectra(out: &Path) {
    for l in [5, 21] {
        let rows = csv(&out.join(format!("spectrum_L{l}.csv")));
        assert!(!rows.is_empty());
        for r in &rows {
            if let Some(x) = num(r, "lambda_hth") {
                assert!(x >= 0.0, "{r:?}");
            }
            for k in ["p_span", "p_full", "p_eq9"] {
                if let Some(x) = num(r, k) {
                    assert!(x > 0.0 && x <= 10.0 * (1.0 + 1e-9), "{r:?}");
                }
            }
        }
        let exact: Vec<&HashMap<String, String>> =
            rows.iter().filter(|r| r["learner"] == "hinf").collect();
        let last_epoch = exact
            .iter()
            .map(|r| r["epoch"].parse::<u32>().unwrap())
            .max();
        let at_last: Vec<_> = exact
            .iter()
            .filter(|r| r["epoch"].parse::<u32>().ok() == last_epoch)
            .collect();
        let mut ritz: Vec<f64> = at_last.iter().filter_map(|r| num(r, "p_span")).collect();
        let mut eq9: Vec<f64> = at_last.iter().filter_map(|r| num(r, "p_eq9")).collect();
        ritz.sort_by(f64::total_cmp);
        eq9.sort_by(f64::total_cmp);
        assert_eq!(ritz.len(), eq9.len(), "L = {l}");
        for (a, b) in ritz.iter().zip(&eq9) {
            assert!(
                (a - b).abs() <= 1e-6 * b,
                "L = {l}: Ritz {a} against eq. (9) {b}"
            );
        }
    }
}

/// P's gain along d* is in (0, 1], exactly 1 for steepest descent, and
/// starts at 1 (P = ε0 I before the first step).
fn check_gains(out: &Path) {
    for l in [5, 21] {
        for r in csv(&out.join(format!("gain_L{l}.csv"))) {
            let Some(g) = num(&r, "gain_solution").filter(|g| g.is_finite()) else {
                assert_eq!(r["learner"], "adam");
                continue;
            };
            assert!(g > 0.0 && g <= 1.0 + 1e-12, "{r:?}");
            if r["learner"] == "sd" || r["epoch"] == "0" {
                assert!((g - 1.0).abs() < 1e-12, "{r:?}");
            }
        }
    }
}

/// The slice starts every trajectory at its origin w₀.
fn check_slice(out: &Path) {
    let rows = csv(&out.join("slice_L5.csv"));
    for r in rows.iter().filter(|r| r["epoch"] == "0") {
        for k in ["alpha", "beta", "off_plane"] {
            assert_eq!(num(r, k), Some(0.0), "{r:?}");
        }
    }
    let surface = csv(&out.join("surface_L5.csv"));
    assert_eq!(surface.len(), 81);
    assert!(surface.iter().all(|r| num(r, "error").unwrap() >= 0.0));
}

/// Steepest descent's update is K e with K ∝ H_k: its span fraction by
/// the tool (Gram–Schmidt on the measured Δw) equals the fraction of H_k
/// in the span of H₀ … H_{k−1} from a run of the core's filter alone,
/// by the Gram matrix's pseudo-inverse.
fn sd_span_fraction_two_ways(out: &Path) {
    let tool: Vec<f64> = csv(&out.join("span_L5.csv"))
        .iter()
        .filter(|r| r["learner"] == "sd")
        .map(|r| num(r, "span_fraction").unwrap())
        .collect();
    let spec = ResNetSpec::xor(5).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(host::trial_seed(1, 0));
    let mut net = ResNet::new(spec, vec![0.0; spec.lanes_buffer_len()]).unwrap();
    net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
    let p = IsotropicCovariance::new(spec.n_weights(), hinf::DEFAULT_EPS0).unwrap();
    let mut sd = GEhf::new(GEhfConfig::default(), p, vec![0.0; spec.n_weights()]).unwrap();
    let xor = Xor::<f64>::new(hinf::InputCoding::default());
    let data = xor.samples();
    let mut past: Vec<Vec<f64>> = Vec::new();
    assert!(tool.len() >= 12);
    for (k, &measured) in tool.iter().take(12).enumerate() {
        let (x, y) = data.get(k % data.len()).unwrap();
        let h = net.jacobian(x).unwrap().1.to_vec();
        let by_gram = span_fraction_by_gram(&past, &h);
        assert!(
            (by_gram - measured).abs() < 1e-6,
            "step {k}: {by_gram} against {measured}"
        );
        sd.observe(&mut net, x, y).unwrap();
        past.push(h);
    }
}

#[test]
fn a_bad_depth_is_a_usage_error_of_one_line() {
    let out = scratch("saddle-bad");
    let o = hinf(&[
        "saddle",
        "--out",
        out.to_str().unwrap(),
        "--slice-layers",
        "4",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--slice-layers"), "{err}");
    let o = hinf(&["saddle", "--out", out.to_str().unwrap(), "--grid", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--grid"));
}

/// The probe only watches: a probed run's curve is `hinf train`'s trial
/// 0, bit for bit, for the g-EHF, the l-EHF and Adam.
#[test]
fn a_probed_run_trains_exactly_as_a_trial() {
    use host::settings::{CovarianceKind, Learner, Method, SaddleSpec};
    use host::study::ProbePlan;
    use host::study::trial::probe_trial;
    let spec = SaddleSpec {
        max_epochs: Some(60),
        ..SaddleSpec::default()
    };
    let learners = [
        Learner::new(Method::Hinf, CovarianceKind::Structured, None),
        Learner::new(Method::Hinf, CovarianceKind::NeuronBlocks, None),
        Learner::new(Method::Adam, CovarianceKind::default(), None),
    ];
    for l in learners {
        let trial = spec.trial(l, 5);
        let plan = ProbePlan {
            span_epochs: 10,
            snapshots: vec![5],
            eps0: 10.0,
            a: 0.5,
            full_p_max: 128,
            stride: 1,
            ..ProbePlan::default()
        };
        let probed = probe_trial(&trial, 1, 0, &plan).unwrap();
        let plain = host::run_trial_every_epoch(&trial, host::trial_seed(1, 0), 0).unwrap();
        assert_eq!(probed.curve, plain.curve, "{}", l.name());
        assert_eq!(probed.trajectory.len(), plain.curve.len(), "{}", l.name());
    }
}
