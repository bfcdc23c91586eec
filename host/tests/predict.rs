//! `hinf predict`: one row per input row, led by its line; the classes'
//! outputs or the targets in their own units; XOR on truth values; bad
//! input is one line, exit 2, and writes nothing.

mod common;
use common::fresh as scratch;

fn hinf(args: &[&str]) -> std::process::Output {
    common::hinf_in(&common::repo(), args)
}

use std::path::Path;

fn ok(args: &[&str]) -> String {
    let o = hinf(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(args: &[&str], says: &str) {
    let o = hinf(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(says), "{args:?}: {err} should say {says}");
    assert!(o.stdout.is_empty());
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The cells of a CSV text without quoted fields.
fn cells(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn iris_predictions_name_the_classes_and_match_eval() {
    let dir = scratch("iris");
    let m = dir.join("iris.model");
    ok(&[
        "fit",
        "--data",
        "data/iris.csv",
        "--target",
        "species",
        "--standardize",
        "--save",
        s(&m),
    ]);
    let out = ok(&["predict", "--model", s(&m), "--data", "data/iris.csv"]);
    let rows = cells(&out);
    assert_eq!(
        rows[0],
        ["line", "species", "setosa", "versicolor", "virginica"]
    );
    assert_eq!(rows.len(), 151);
    let data = cells(&std::fs::read_to_string("../data/iris.csv").unwrap());
    let mut right = 0;
    for (k, (p, d)) in rows[1..].iter().zip(&data[1..]).enumerate() {
        assert_eq!(p[0], (k + 2).to_string(), "line numbers");
        let outs: Vec<f64> = p[2..].iter().map(|x| x.parse().unwrap()).collect();
        let best = (0..3).max_by(|&a, &b| outs[a].total_cmp(&outs[b])).unwrap();
        assert_eq!(p[1], rows[0][2 + best]);
        right += usize::from(p[1] == d[4]);
    }
    let eval = ok(&[
        "eval",
        "--model",
        s(&m),
        "--data",
        "data/iris.csv",
        "--json",
    ]);
    let acc = serde_json::from_str::<serde_json::Value>(&eval).unwrap()["accuracy"]
        .as_f64()
        .unwrap();
    assert_eq!(right as f64 / 150.0, acc);
    // The features alone give the same predictions; --out writes them.
    let feats = dir.join("features.csv");
    let text: Vec<String> = data.iter().map(|r| r[..4].join(",")).collect();
    std::fs::write(&feats, text.join("\n")).unwrap();
    let file = dir.join("p.csv");
    let said = ok(&[
        "predict",
        "--model",
        s(&m),
        "--data",
        s(&feats),
        "--out",
        s(&file),
    ]);
    assert!(said.contains("150 predictions"), "{said}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), out);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn regression_predictions_are_in_the_targets_units() {
    let dir = scratch("sine");
    let m = dir.join("sine.model");
    ok(&[
        "fit",
        "--data",
        "data/sine.csv",
        "--target",
        "y",
        "--split",
        "1",
        "--save",
        s(&m),
    ]);
    let rows = cells(&ok(&[
        "predict",
        "--model",
        s(&m),
        "--data",
        "data/sine.csv",
    ]));
    assert_eq!(rows[0], ["line", "y"]);
    let data = cells(&std::fs::read_to_string("../data/sine.csv").unwrap());
    let se: f64 = rows[1..]
        .iter()
        .zip(&data[1..])
        .map(|(p, d)| (p[1].parse::<f64>().unwrap() - d[1].parse::<f64>().unwrap()).powi(2))
        .sum();
    let rmse = (se / 200.0).sqrt();
    let eval = ok(&[
        "eval",
        "--model",
        s(&m),
        "--data",
        "data/sine.csv",
        "--json",
    ]);
    let want = serde_json::from_str::<serde_json::Value>(&eval).unwrap()["rmse"]
        .as_f64()
        .unwrap();
    assert!((rmse - want).abs() < 1e-12, "{rmse} vs {want}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn xor_models_predict_truth_values_in_their_own_coding() {
    let dir = scratch("xor");
    let table = dir.join("xor.csv");
    std::fs::write(&table, "x1,x2\n0,0\n0,1\n1,0\n1,1\n").unwrap();
    for inputs in ["binary", "bipolar"] {
        let m = dir.join(format!("{inputs}.hinf"));
        ok(&[
            "train",
            "--method",
            "hinf",
            "--layers",
            "5",
            "--trials",
            "1",
            "--inputs",
            inputs,
            "--save",
            s(&m),
        ]);
        let rows = cells(&ok(&["predict", "--model", s(&m), "--data", s(&table)]));
        assert_eq!(rows[0], ["line", "output", "xor"]);
        let xor: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
        assert_eq!(xor, ["0", "1", "1", "0"], "{inputs}");
    }
    refused(
        &[
            "predict",
            "--model",
            s(&dir.join("binary.hinf")),
            "--data",
            "data/iris.csv",
        ],
        "an XOR model takes two inputs",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_is_one_line_and_writes_nothing() {
    let dir = scratch("bad");
    let m = dir.join("iris.model");
    ok(&[
        "fit",
        "--data",
        "data/iris.csv",
        "--target",
        "species",
        "--max-epochs",
        "1",
        "--save",
        s(&m),
    ]);
    let bad = dir.join("bad.csv");
    let out = dir.join("p.csv");
    for (text, says) in [
        (
            "sepal_length,sepal_width,petal_length\n1,2,3\n",
            "no column 'petal_width'",
        ),
        (
            "sepal_length,sepal_width,petal_length,petal_width\n1,2,3,x\n",
            "line 2, column 'petal_width' (4): 'x' is not a finite number",
        ),
        ("a,b\n1\n", "line 2: 1 fields"),
        ("\u{0}\u{1}\u{ff}", "no data rows"),
    ] {
        std::fs::write(&bad, text).unwrap();
        refused(
            &[
                "predict",
                "--model",
                s(&m),
                "--data",
                s(&bad),
                "--out",
                s(&out),
            ],
            says,
        );
        assert!(!out.exists());
    }
    std::fs::write(&bad, [0xffu8, 0xfe, 0]).unwrap();
    refused(
        &["predict", "--model", s(&m), "--data", s(&bad)],
        "cannot read",
    );
    refused(
        &["predict", "--model", s(&m), "--data", s(&m)],
        "a hinf model, not a CSV file",
    );
    refused(
        &[
            "predict",
            "--model",
            "data/iris.csv",
            "--data",
            "data/iris.csv",
        ],
        "is not a hinf model",
    );
    refused(
        &["predict", "--model", s(&m), "--data", "no/such.csv"],
        "cannot read",
    );
    refused(
        &[
            "predict",
            "--model",
            s(&m),
            "--data",
            "data/iris.csv",
            "--inputs",
            "binary",
        ],
        "drop --inputs",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
