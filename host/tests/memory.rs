//! Runs too large for the machine are refused before they start, with one
//! line and exit status 2, instead of an allocator abort part-way.

use std::process::Command;

use host::run::memory::{available_bytes, trial_bytes};
use host::settings::{Method, TrialSpec};

fn hinf(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hinf"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `hinf` with `args` (space-separated, then `extra`); where the
/// machine has less than `need` bytes available, asserts exit 2 and one
/// line starting with `prefix`, and returns that line.
fn assert_refused(args: &str, extra: &[&str], need: u128, prefix: &str) -> Option<String> {
    let all: Vec<&str> = args
        .split_whitespace()
        .chain(extra.iter().copied())
        .collect();
    let (code, err) = hinf(&all);
    if available_bytes().is_none_or(|a| a >= need) {
        eprintln!("skipped `{args}`: this machine has room for the run");
        return None;
    }
    assert_eq!(code, 2, "{args}: {err}");
    assert!(err.starts_with(prefix), "{args}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    Some(err)
}

#[test]
fn a_run_larger_than_memory_is_refused_up_front() {
    // Adam at L = 10⁸ + 1: N_w = 2.75·10⁹, about 150 GB per trial.
    let spec = TrialSpec {
        method: Method::Adam,
        layers: 100_000_001,
        max_epochs: 1,
        ..TrialSpec::default()
    };
    let need = trial_bytes(&spec).unwrap();
    assert!(need > 100_000_000_000, "{need}");
    let adam = "error: not enough memory for adam at L = 100000001";
    let two = "--layers 100000001 --trials 2 --threads 2 --max-epochs 1";
    if let Some(err) = assert_refused(&format!("train --method adam {two}"), &[], 2 * need, adam) {
        assert!(err.contains("2 runs at once"), "{err}");
    }
    // The same refusal for a sweep, a comparison and a fit on one's own data.
    let tmp = std::env::temp_dir();
    let sweep = tmp.join(format!("hinf-memory-sweep-{}", std::process::id()));
    let sweep_args =
        "sweep --method adam --layers 5,100000001 --trials 2 --threads 2 --max-epochs 1";
    assert_refused(
        sweep_args,
        &["--out", sweep.to_str().unwrap()],
        2 * need,
        adam,
    );
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../data");
    let out = tmp.join(format!("hinf-memory-compare-{}", std::process::id()));
    let compare =
        "compare --sets iris --methods adam --layers 5,100000001 --seeds 1 --max-epochs 1";
    let extra = ["--out", out.to_str().unwrap(), "--data-dir", data];
    let on_iris = "error: not enough memory for adam on iris at L = 100000001";
    if assert_refused(compare, &extra, need, on_iris).is_some() {
        assert!(!out.exists(), "nothing is written before the check");
    }
    let iris = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/iris.csv");
    let fit = "fit --target species --method adam --layers 100000001 --max-epochs 1";
    assert_refused(fit, &["--data", iris], need, adam);
}

#[test]
fn a_depth_whose_sizes_overflow_is_a_usage_error() {
    let (code, err) = hinf(&[
        "train",
        "--method",
        "hinf",
        "--layers",
        "99999999999",
        "--trials",
        "1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: invalid value '99999999999' for '--layers': the network's sizes"),
        "{err}"
    );
}

/// The estimate grows with what a trial keeps: the structured `P` of H∞
/// over its epochs, Adam's three moments, nothing for steepest descent.
#[test]
fn the_estimate_follows_the_method() {
    let at = |method, max_epochs| {
        let spec = TrialSpec {
            method,
            layers: 1001,
            max_epochs,
            ..TrialSpec::default()
        };
        trial_bytes(&spec).unwrap()
    };
    let nw = 27_466u128;
    let (sd, adam, hinf100) = (
        at(Method::Sd, 100),
        at(Method::Adam, 100),
        at(Method::Hinf, 100),
    );
    assert_eq!(adam - sd, 3 * nw * 8);
    // 400 downdates of N_w + 1 values, and the kept diagonal (2 N_w).
    assert_eq!(hinf100 - sd, (400 * (nw + 1) + 2 * nw) * 8);
    assert!(at(Method::Hinf, 200) > hinf100);
}
