//! `train --init` and `fit --init`: training continues from a saved model.
//! Where the file holds the whole learner, N epochs, save, M more with
//! `--init` is the N + M epochs of one run, bit for bit.

mod common;
use common::fresh as scratch;

fn hinf(args: &[&str]) -> std::process::Output {
    common::hinf_in(&common::repo(), args)
}

use std::path::Path;

use host::data::{Encoding, Table, Task, fit, fit_from, split_indices};
use host::settings::{FitSpec, Method};

fn ok(args: &[&str]) -> String {
    let o = hinf(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Exit 2 with one line on stderr that mentions `says`.
fn refused(args: &[&str], says: &str) {
    let o = hinf(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(says), "{args:?}: {err} should say {says}");
}

/// The JSON section and the core section of a `train --save` file.
fn sections(path: &Path) -> (serde_json::Value, Vec<u8>) {
    let b = std::fs::read(path).unwrap();
    let j = u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize;
    (
        serde_json::from_slice(&b[12..12 + j]).unwrap(),
        b[16 + j..].to_vec(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// N epochs, save; M more from the file; against N + M in one run: the
/// settings of both saved files, and whether their learners are equal.
fn round_trip(
    dir: &Path,
    args: &[&str],
    n: u32,
    m: u32,
) -> (serde_json::Value, serde_json::Value, bool) {
    let (a, b, c) = (dir.join("a.hinf"), dir.join("b.hinf"), dir.join("c.hinf"));
    let (n_s, m_s, nm_s) = (n.to_string(), m.to_string(), (n + m).to_string());
    let run = |extra: &[&str]| {
        let mut v: Vec<&str> = vec!["train", "--layers", "5"];
        v.extend_from_slice(args);
        v.extend_from_slice(extra);
        ok(&v)
    };
    run(&["--trials", "1", "--max-epochs", &n_s, "--save", s(&a)]);
    let out = run(&["--init", s(&a), "--max-epochs", &m_s, "--save", s(&b)]);
    assert!(out.starts_with("continuing "), "{out}");
    run(&["--trials", "1", "--max-epochs", &nm_s, "--save", s(&c)]);
    let ((mb, cb), (mc, cc)) = (sections(&b), sections(&c));
    (mb, mc, cb == cc)
}

#[test]
fn train_init_continues_bit_for_bit_where_the_file_holds_the_learner() {
    let dir = scratch("exact");
    for (args, n, m) in [
        (&["--method", "hinf", "--covariance", "packed"][..], 5, 3000),
        // The structured P is packed after N_w / 2 = 38 downdates (10 epochs).
        (&["--method", "hinf"], 12, 3000),
        (
            &[
                "--method",
                "hinf",
                "--precision",
                "f32",
                "--covariance",
                "packed",
            ],
            4,
            3000,
        ),
        (&["--method", "sd"], 10, 3000),
        // Bounded memory: blocks saved as their block-diagonal P, an
        // information window by its rows, a structured window by its terms
        // (R = 3 terms of 20 downdates: terms dropped before the save).
        (&["--method", "lehf"], 5, 3000),
        // The exact information form: saved by its rows (12 samples), then
        // packed past 16 samples (at L = 5 the doubled form is larger).
        (&["--method", "hinf", "--covariance", "info"], 3, 3000),
        (
            &["--method", "hinf", "--covariance", "info-window"],
            5,
            3000,
        ),
        (
            &[
                "--method",
                "hinf",
                "--covariance",
                "info-window",
                "--memory",
                "3",
                "--precision",
                "f32",
            ],
            4,
            3000,
        ),
        (
            &[
                "--method",
                "hinf",
                "--covariance",
                "window",
                "--memory",
                "3",
            ],
            5,
            3000,
        ),
        (
            &[
                "--method",
                "hinf",
                "--covariance",
                "window",
                "--memory",
                "3",
                "--precision",
                "f32",
            ],
            4,
            3000,
        ),
        (&["--method", "hinf", "--covariance", "window"], 5, 3000),
        // Regularized windows: the file keeps the grown prior ε and the
        // decayed weights or coefficients.
        (
            &[
                "--method",
                "hinf",
                "--covariance",
                "info-window",
                "--memory",
                "3",
                "--forgetting",
                "0.99",
            ],
            5,
            3000,
        ),
        (
            &[
                "--method",
                "hinf",
                "--covariance",
                "window",
                "--memory",
                "3",
                "--forgetting",
                "0.99",
                "--process-noise",
                "1e-4",
            ],
            5,
            3000,
        ),
        (&["--method", "adam"], 40, 60),
        (&["--method", "adam", "--adam-mode", "batch"], 20, 3000),
        (
            &[
                "--method",
                "hinf",
                "--inputs",
                "binary",
                "--eps0",
                "100",
                "--covariance",
                "packed",
            ],
            6,
            3000,
        ),
    ] {
        let (meta, one_run, same) = round_trip(&dir, args, n, m);
        assert!(same, "{args:?}: the learners differ");
        assert_eq!(meta["epochs"], one_run["epochs"], "{args:?}");
        assert_eq!(meta["converged"], one_run["converged"], "{args:?}");
        if args.contains(&"binary") {
            assert_eq!(meta["settings"]["inputs"], "binary");
            assert_eq!(meta["settings"]["eps0"], 100.0);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Not bit for bit, but the same run up to rounding: a structured `P`
/// before its switch to packed storage (saved as packed), and a shuffled
/// order (its permutations start again from --seed).
#[test]
fn train_init_otherwise_continues_the_saved_learner() {
    let dir = scratch("close");
    for (args, n) in [
        (&["--method", "hinf"][..], 3),
        (&["--method", "hinf", "--order", "shuffled"], 5),
    ] {
        let (meta, one_run, _) = round_trip(&dir, args, n, 3000);
        assert_eq!(meta["converged"], true, "{args:?}");
        assert_eq!(one_run["converged"], true, "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Past N_w = 4096 the file holds the network only: the continued run
/// starts from its weights (its epoch-0 error is the model's) with a fresh
/// `P`, and says so.
#[test]
fn train_init_from_a_network_only_file() {
    let dir = scratch("net-only");
    let (a, out) = (dir.join("a.hinf"), dir.join("out"));
    let deep = [
        "train",
        "--method",
        "hinf",
        "--layers",
        "155",
        "--max-epochs",
        "1",
    ];
    ok(&[&deep[..], &["--trials", "1", "--save", s(&a)]].concat());
    let o = hinf(&[&deep[..], &["--init", s(&a), "--out", s(&out)]].concat());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("P starts again from ε0 I"), "{err}");
    let eval: serde_json::Value =
        serde_json::from_str(&ok(&["eval", "--model", s(&a), "--json"])).unwrap();
    let curves = std::fs::read_to_string(out.join("hinf_L155_curves.csv")).unwrap();
    let first: f64 = curves
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    let want = eval["half_sse"].as_f64().unwrap();
    assert!((first - want).abs() <= 1e-12 * want, "{first} vs {want}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn train_init_refuses_what_does_not_fit() {
    let dir = scratch("refuse");
    let (h, ad) = (dir.join("h.hinf"), dir.join("a.hinf"));
    let t = ["train", "--trials", "1", "--max-epochs", "2"];
    ok(&[
        &t[..],
        &["--method", "hinf", "--layers", "5", "--save", s(&h)],
    ]
    .concat());
    ok(&[
        &t[..],
        &["--method", "adam", "--layers", "5", "--save", s(&ad)],
    ]
    .concat());
    let init = |method: &str, layers: &str, file: &Path, says: &str| {
        refused(
            &[
                "train",
                "--method",
                method,
                "--layers",
                layers,
                "--init",
                s(file),
            ],
            says,
        );
    };
    init(
        "hinf",
        "7",
        &h,
        "--layers 7 contradicts the model: it has L = 5",
    );
    init(
        "sd",
        "5",
        &h,
        "--method sd contradicts the model: it was trained with --method hinf",
    );
    init(
        "hinf",
        "5",
        Path::new("data/iris.csv"),
        "is not a hinf model",
    );
    // A bare core file: the method is the flag's, checked against its sections.
    let bare = dir.join("bare.hinf");
    std::fs::write(&bare, sections(&ad).1).unwrap();
    init(
        "hinf",
        "5",
        &bare,
        "the model holds Adam's state (--method adam)",
    );
    let fitted = dir.join("iris.model");
    ok(&[
        "fit",
        "--data",
        "data/iris.csv",
        "--target",
        "species",
        "--max-epochs",
        "1",
        "--save",
        s(&fitted),
    ]);
    init("hinf", "5", &fitted, "is a model from `hinf fit`");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fit_init_continues_with_the_models_encoding() {
    let dir = scratch("fit");
    let (m, m2) = (dir.join("iris.model"), dir.join("iris2.model"));
    let base = ["fit", "--data", "data/iris.csv"];
    ok(&[
        &base[..],
        &[
            "--target",
            "species",
            "--standardize",
            "--layers",
            "7",
            "--max-epochs",
            "2",
            "--save",
            s(&m),
        ],
    ]
    .concat());
    let out = ok(&[
        &base[..],
        &[
            "--init",
            s(&m),
            "--max-epochs",
            "3",
            "--tol",
            "1e-9",
            "--save",
            s(&m2),
        ],
    ]
    .concat());
    assert!(out.contains("continuing") && out.contains("L = 7"), "{out}");
    let eval = ok(&["eval", "--model", s(&m2), "--data", "data/iris.csv"]);
    assert!(eval.contains("accuracy"), "{eval}");
    let meta = sections(&m2).0;
    assert_eq!(meta["epochs"], 5, "{meta}");
    assert_eq!(meta["encoding"], sections(&m).0["encoding"]);
    let with = |extra: &[&str], says: &str| {
        refused(&[&base[..], &["--init", s(&m)], extra].concat(), says);
    };
    with(&["--layers", "5"], "--layers 5: the model has L = 7");
    with(&["--width", "6"], "--width 6: the model has N = 5");
    with(
        &["--target", "sepal_length"],
        "--target sepal_length: the model's is species",
    );
    with(&["--precision", "f32"], "--precision f32: the model is f64");
    refused(
        &["fit", "--data", "data/wine.csv", "--init", s(&m)],
        "no column 'sepal_length'",
    );
    refused(
        &["fit", "--data", "data/iris.csv", "--init", "data/iris.csv"],
        "is not a hinf model",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// In the library: steepest descent (whose whole state is the network) in
/// a fixed order continues exactly: N epochs, then M from the result, is
/// N + M epochs of one fit.
#[test]
fn fit_from_a_network_continues_steepest_descent_exactly() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/iris.csv");
    let table = Table::read(Path::new(path)).unwrap();
    let (tr, _) = split_indices(table.rows.len(), 1.0, 1);
    let targets = ["species".to_string()];
    let enc = Encoding::fit(&table, &targets, None, Task::Auto, true, &tr).unwrap();
    let data = enc.encode(&table).unwrap();
    let spec = |max_epochs| FitSpec {
        method: Method::Sd,
        max_epochs,
        tol: Some(1e-9),
        shuffle: false,
        ..FitSpec::default()
    };
    let (first, _) = fit::<f64>(&data, &spec(4)).unwrap();
    let mut file = vec![0u8; hinf::model::saved_len::<f64>(first.spec(), false, false)];
    let n = hinf::model::save_network(&first, &mut file).unwrap();
    let saved = hinf::model::Model::parse(&file[..n]).unwrap();
    let (continued, out) = fit_from::<f64>(&data, None, &spec(6), Some(&saved)).unwrap();
    let (whole, _) = fit::<f64>(&data, &spec(10)).unwrap();
    assert_eq!(out.epochs, 6);
    assert_eq!(continued.weights(), whole.weights());
}
