//! The bounded-memory covariances from the command line: every command
//! takes them, `--json` reports them, `lehf` is its shorthand, a window
//! that keeps every sample is the exact filter, and misuse exits 2.

mod common;
use common::{hinf, repo, scratch, text};

use std::process::Output;

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    serde_json::from_str(text(&o.stdout).trim()).unwrap()
}

fn train_json(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["train", "--trials", "4", "--threads", "2", "--json"];
    args.extend_from_slice(extra);
    json(&hinf(&args))
}

#[test]
fn json_reports_the_covariance_r_and_the_bytes_of_p() {
    let net = hinf::ResNetSpec::xor(5).unwrap();
    let n = net.n_weights();
    for (covariance, memory, numbers) in [
        (
            "neuron-blocks",
            None,
            hinf::Blocking::PerNeuron.packed_len(&net),
        ),
        (
            "layer-blocks",
            None,
            hinf::Blocking::PerLayer.packed_len(&net),
        ),
        (
            "info-window",
            Some(8),
            hinf::FactoredShape::new(&net, 8).storage_len(),
        ),
        (
            "info-window",
            Some(3),
            hinf::FactoredShape::new(&net, 3).storage_len(),
        ),
        (
            "window",
            Some(5),
            hinf::TermWindowShape::new(n, 5).storage_len(),
        ),
    ] {
        let r = memory.map(|r: usize| r.to_string());
        let mut args = vec![
            "--method",
            "hinf",
            "--layers",
            "5",
            "--covariance",
            covariance,
        ];
        if let (Some(r), false) = (&r, memory == Some(8)) {
            args.extend_from_slice(&["--memory", r]);
        }
        let v = train_json(&args);
        assert_eq!(v["settings"]["covariance"], covariance);
        assert_eq!(v["settings"]["memory"].as_u64(), memory.map(|r| r as u64));
        assert_eq!(v["p_bytes"].as_u64(), Some(8 * numbers as u64), "{v}");
        assert_eq!(v["trials"], 4);
    }
    // The per-neuron blocks at L = 5: 231 numbers (docs/bounded.md).
    assert_eq!(hinf::Blocking::PerNeuron.packed_len(&net), 231);
    let f32 = train_json(&[
        "--method",
        "hinf",
        "--layers",
        "5",
        "--covariance",
        "neuron-blocks",
        "--precision",
        "f32",
    ]);
    assert_eq!(f32["p_bytes"], 4 * 231);
    let sd = train_json(&["--method", "sd", "--layers", "5"]);
    assert_eq!(sd["p_bytes"], 0);
}

#[test]
fn lehf_is_hinf_with_neuron_blocks() {
    let lehf = train_json(&["--method", "lehf", "--layers", "5", "--max-epochs", "60"]);
    let blocks = train_json(&[
        "--method",
        "hinf",
        "--layers",
        "5",
        "--max-epochs",
        "60",
        "--covariance",
        "neuron-blocks",
    ]);
    for key in [
        "converged",
        "mean_epochs",
        "std_epochs",
        "p_bytes",
        "settings",
    ] {
        assert_eq!(lehf[key], blocks[key], "{key}");
    }
    assert_eq!(lehf["settings"]["covariance"], "neuron-blocks");
}

#[test]
fn a_window_that_keeps_every_sample_is_the_exact_filter() {
    // 4 samples an epoch, at most 30 epochs: R = 120 keeps them all.
    let base = ["--method", "hinf", "--layers", "7", "--max-epochs", "30"];
    let window = train_json(
        &[
            &base[..],
            &["--covariance", "info-window", "--memory", "120"],
        ]
        .concat(),
    );
    let terms = train_json(&[&base[..], &["--covariance", "window", "--memory", "120"]].concat());
    let packed = train_json(&[&base[..], &["--covariance", "packed"]].concat());
    for w in [&window, &terms] {
        assert_eq!(w["converged"], packed["converged"]);
        assert_eq!(w["mean_epochs"], packed["mean_epochs"]);
        assert_eq!(w["std_epochs"], packed["std_epochs"]);
    }
    assert!(window["converged"].as_u64().unwrap() > 0, "{window}");
}

#[test]
fn sweep_varies_the_covariance_and_r() {
    let out = scratch("bounded-sweep");
    let o = hinf(&[
        "sweep",
        "--out",
        out.to_str().unwrap(),
        "--covariance",
        "structured,info-window",
        "--memory",
        "4,8",
        "--trials",
        "2",
        "--max-epochs",
        "40",
        "--json",
    ]);
    let v = json(&o);
    let rows = v["rows"].as_array().unwrap();
    // The structured P keeps no window: its two R's are one configuration.
    assert_eq!(rows.len(), 3, "{v}");
    let memories: Vec<_> = rows
        .iter()
        .map(|r| r["summary"]["settings"]["memory"].as_u64())
        .collect();
    assert_eq!(memories, [None, Some(4), Some(8)]);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.contains(",covariance,memory,"), "{header}");
    assert!(csv.contains(",info-window,4,"), "{csv}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn compare_and_fit_take_the_bounded_learners() {
    let out = scratch("bounded-compare");
    let data = repo().join("data");
    let o = hinf(&[
        "compare",
        "--data-dir",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--sets",
        "parity4",
        "--layers",
        "5",
        "--seeds",
        "2",
        "--max-epochs",
        "5",
        "--methods",
        "hinf,lehf",
        "--covariance",
        "structured,info-window",
        "--memory",
        "4",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for name in ["| hinf |", "| lehf |", "| hinf-info-window-r4 |"] {
        assert!(md.contains(name), "{name} missing:\n{md}");
    }
    assert!(out.join("parity4-hinf-info-window-r4-L5.svg").exists());
    let _ = std::fs::remove_dir_all(&out);

    let iris = data.join("iris.csv");
    let fit = json(&hinf(&[
        "fit",
        "--data",
        iris.to_str().unwrap(),
        "--target",
        "species",
        "--method",
        "hinf",
        "--covariance",
        "info-window",
        "--memory",
        "4",
        "--max-epochs",
        "3",
        "--json",
    ]));
    assert_eq!(fit["covariance"], "info-window", "{fit}");
    assert_eq!(fit["memory"], 4, "{fit}");
}

fn assert_usage_error(args: &[&str], mentions: &str) {
    let o = hinf(args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.contains(mentions),
        "{args:?}: {err} should mention {mentions}"
    );
    assert!(text(&o.stdout).is_empty());
}

#[test]
fn misuse_exits_2_with_one_line() {
    let train = "train --layers 5 --trials 1";
    for (args, mentions) in [
        ("--method adam --covariance info-window", "--covariance"),
        ("--method sd --covariance neuron-blocks", "--covariance"),
        ("--method hinf --memory 4", "--memory"),
        ("--method hinf --covariance packed --memory 4", "--memory"),
        (
            "--method hinf --covariance info-window --memory 0",
            "--memory",
        ),
        (
            "--method hinf --covariance info-window --memory 1000",
            "at most 255",
        ),
        ("--method lehf --covariance info-window", "lehf"),
    ] {
        let line = format!("{train} {args}");
        assert_usage_error(&line.split_whitespace().collect::<Vec<_>>(), mentions);
    }
    let sweep = "sweep --out /tmp/never-written --method adam --covariance layer-blocks";
    assert_usage_error(
        &sweep.split_whitespace().collect::<Vec<_>>(),
        "--covariance",
    );
    assert_usage_error(&["reproduce", "--quick", "--memory", "4"], "--memory");
    let fit = "fit --data x.csv --target y --covariance info-window --memory 300";
    assert_usage_error(&fit.split_whitespace().collect::<Vec<_>>(), "at most 255");
}
