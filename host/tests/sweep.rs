//! `hinf sweep` and the variant flags: files, failure classes, exit codes.

mod common;
use common::{hinf, scratch};

#[test]
fn sweep_writes_its_files_and_classifies_failures() {
    let dir = scratch("grid");
    let o = hinf(&[
        "sweep",
        "--out",
        dir.to_str().unwrap(),
        "--layers",
        "5,7",
        "--eps0",
        "0.5,10",
        "--gain-order",
        "paper,covariance-first",
        "--trials",
        "4",
        "--max-epochs",
        "60",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 8);
    for f in [
        "sweep.md",
        "sweep.csv",
        "sweep_trials.csv",
        "sweep.json",
        "sweep.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 9);
    let trials = std::fs::read_to_string(dir.join("sweep_trials.csv")).unwrap();
    assert_eq!(trials.lines().count(), 1 + 8 * 4);
    // Every failed trial has a class; converged ones have none.
    for line in trials.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let converged = cols[7] == "true";
        assert_eq!(cols[9].is_empty(), converged, "{line}");
    }
    // ε0 = 0.5 is far too small at L = 5: the outputs stay at the saddle.
    assert!(trials.contains(",stuck,"), "{trials}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn variant_flags_run_and_bad_values_are_one_line() {
    let o = hinf(&[
        "train",
        "--method",
        "hinf",
        "--layers",
        "7",
        "--trials",
        "3",
        "--eps0",
        "1000",
        "--extension",
        "trust-region",
        "--process-noise",
        "0.001",
        "--forgetting",
        "0.999",
        "--eps0-scale",
        "blocks",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for bad in [
        ["--tr-delta", "0"],
        ["--forgetting", "1.5"],
        ["--process-noise", "-1"],
    ] {
        let o = hinf(&["train", "--method", "hinf", "--layers", "5", bad[0], bad[1]]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        assert!(e.contains(bad[0]), "{e}");
    }
    let o = hinf(&["sweep", "--out", "/tmp/x", "--eps0", "5,-1"]);
    assert_eq!(o.status.code(), Some(2));
    let o = hinf(&["sweep", "--out", "/tmp/x", "--extension", "bogus"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The legend of `sweep.svg` sits below the panels, so it hides no point:
/// every label's text is below y = 560, where the panels end.
#[test]
fn the_sweep_legend_is_below_the_panels() {
    let dir = scratch("legend");
    let o = hinf(&[
        "sweep",
        "--out",
        dir.to_str().unwrap(),
        "--method",
        "hinf,sd",
        "--layers",
        "5,7",
        "--eps0",
        "5,50",
        "--trials",
        "2",
        "--max-epochs",
        "60",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let svg = std::fs::read_to_string(dir.join("sweep.svg")).unwrap();
    let attr = |tag: &str, name: &str| -> f64 {
        let k = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        tag[k..].split('"').next().unwrap().parse().unwrap()
    };
    let mut labels = 0;
    for (i, _) in svg.match_indices("<text") {
        let tag = &svg[i..i + svg[i..].find('>').unwrap()];
        let body = svg[i + tag.len() + 1..].trim_start();
        if body.starts_with("L=") {
            labels += 1;
            assert!(attr(tag, "y") >= 560.0, "{tag}");
        }
    }
    assert_eq!(labels, 4, "one label per (method, depth)");
    let _ = std::fs::remove_dir_all(&dir);
}
