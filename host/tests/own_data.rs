//! Training on one's own CSV data: parsing errors, encodings, fit, the
//! model file round trip, eval, and the generated data sets.

use host::data::{DataError, Dataset, Encoding, Table, Task, generated, split_indices};
use host::data::{FittedNet, ModelMeta, fit, load, save};
use host::settings::FitSpec;
use host::settings::{Method, Precision};

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hinf-own-data-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// Iris with the class column one-hot encoded, the encoding (and
/// standardisation) fitted on `fit_rows`; all 150 rows encoded.
fn iris(fit_rows: &[usize]) -> (Encoding, Dataset) {
    let table = Table::read(&repo("data/iris.csv")).unwrap();
    let enc = Encoding::fit(
        &table,
        &["species".into()],
        None,
        Task::Auto,
        true,
        fit_rows,
    )
    .unwrap();
    let all = enc.encode(&table).unwrap();
    (enc, all)
}

#[test]
fn bad_csv_errors_name_the_line_and_column() {
    // Malformed text is a CSV error; a column that is not there, an encoding one.
    assert!(matches!(Table::parse("", "f.csv"), Err(DataError::Csv(_))));
    let t = Table::parse("x\n1\n", "f.csv").unwrap();
    assert!(matches!(t.column("y"), Err(DataError::Encoding(_))));
    let e = Table::parse("", "f.csv").unwrap_err().to_string();
    assert!(e.contains("f.csv") && e.contains("empty file"), "{e}");
    let e = Table::parse("a,b\n", "f.csv").unwrap_err().to_string();
    assert!(e.contains("no data rows"), "{e}");
    let e = Table::parse("a,b,c\n1,2,3\n4,5\n", "f.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3") && e.contains("'c' is missing"), "{e}");
    let e = Table::parse("a,b\n1,2,3\n", "f.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("extra"), "{e}");
    let e = Table::parse("a,a\n1,2\n", "f.csv").unwrap_err().to_string();
    assert!(e.contains("twice"), "{e}");
    let e = Table::parse("a,b\n\"1,2\n", "f.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("unterminated"), "{e}");

    let t = Table::parse("x,y,label\n1,2,a\n3,oops,b\n", "f.csv").unwrap();
    let rows: Vec<usize> = (0..2).collect();
    let e = Encoding::fit(&t, &["label".into()], None, Task::Auto, false, &rows)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 3") && e.contains("column 'y' (2)") && e.contains("'oops'"),
        "{e}"
    );
    let e = Encoding::fit(&t, &["nope".into()], None, Task::Auto, false, &rows)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column 'nope'") && e.contains("x, y, label"),
        "{e}"
    );
    let t = Table::parse("x,y\n1,NaN\n", "f.csv").unwrap();
    let e = Encoding::fit(&t, &["y".into()], None, Task::Auto, false, &[0])
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("'NaN'"), "{e}");
}

#[test]
fn quoted_fields_blank_lines_and_class_encoding() {
    let t = Table::parse(
        "\u{feff}\"len\", width ,kind\r\n1.5,2,\"setosa\"\n\n2.5, 4 ,virginica\n3.5,6,setosa\n",
        "f.csv",
    )
    .unwrap();
    assert_eq!(t.header, ["len", "width", "kind"]);
    assert_eq!(t.rows.len(), 3);
    assert_eq!(t.rows[1].0, 4); // line numbers count the blank line
    let enc = Encoding::fit(&t, &["kind".into()], None, Task::Auto, true, &[0, 1, 2]).unwrap();
    assert_eq!(enc.task, Task::Classification);
    assert_eq!(enc.classes, ["setosa", "virginica"]);
    let d = enc.encode(&t).unwrap();
    assert_eq!(d.n_inputs, 2);
    assert_eq!(d.targets, [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
    let mean: f64 = (0..3).map(|r| d.inputs[2 * r]).sum::<f64>() / 3.0;
    assert!(mean.abs() < 1e-12);
    // An unknown class at evaluation time names its line.
    let other = Table::parse("len,width,kind\n1,1,setosa\n1,1,rose\n", "g.csv").unwrap();
    let e = enc.encode(&other).unwrap_err().to_string();
    assert!(
        e.contains("g.csv: line 3") && e.contains("unknown class 'rose'"),
        "{e}"
    );
    // Regression: targets scaled into [0.1, 0.9].
    let enc = Encoding::fit(
        &t,
        &["width".into()],
        Some(&["len".into()]),
        Task::Auto,
        false,
        &[0, 1, 2],
    )
    .unwrap();
    assert_eq!(enc.task, Task::Regression);
    let d = enc.encode(&t).unwrap();
    assert_eq!(d.targets, [0.1, 0.5, 0.9]);
    assert_eq!(enc.unscale_target(0, 0.5), 4.0);
}

#[test]
fn split_is_a_seeded_partition() {
    let (a, b) = split_indices(10, 0.8, 3);
    assert_eq!((a.len(), b.len()), (8, 2));
    let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
    all.sort();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
    assert_eq!(split_indices(10, 0.8, 3), (a, b));
    assert_eq!(split_indices(5, 1.0, 1).1.len(), 0);
}

#[test]
fn shipped_generated_sets_match_the_generators() {
    for (name, text) in generated() {
        let shipped = std::fs::read_to_string(repo(&format!("data/{name}"))).unwrap();
        assert_eq!(shipped, text, "data/{name} differs from `hinf gen`");
    }
    let iris = Table::read(&repo("data/iris.csv")).unwrap();
    assert_eq!(iris.rows.len(), 150);
    let wine = Table::read(&repo("data/wine.csv")).unwrap();
    assert_eq!(wine.rows.len(), 178);
}

#[test]
fn iris_is_learned_by_hinf_and_the_model_file_round_trips() {
    let (tr, te) = split_indices(150, 0.8, 7);
    let (enc, all) = iris(&tr);
    assert_eq!(enc.n_outputs(), 3);
    let (train, test) = (all.subset(&tr), all.subset(&te));
    let spec = FitSpec {
        tol: Some(0.02),
        max_epochs: 50,
        seed: 7,
        ..FitSpec::default()
    };
    let (mut net, out) = fit::<f64>(&train, &spec).unwrap();
    assert!(out.failure.is_none(), "{out:?}");
    let q = host::data::evaluate(&mut net, &test, &enc).unwrap();
    assert!(
        q.accuracy.unwrap() >= 0.85,
        "{q:?} after {} epochs",
        out.epochs
    );

    let path = tmp("iris.model");
    let meta = ModelMeta {
        encoding: enc.clone(),
        fit: spec,
        data: "data/iris.csv".into(),
        epochs: out.epochs,
    };
    save(&path, &meta, &net).unwrap();
    let (meta2, mut net2) = load(&path).unwrap();
    assert_eq!(meta2, meta);
    assert_eq!(net2.precision(), Precision::F64);
    let FittedNet::F64(n2) = &net2 else {
        panic!("an f64 model loaded as {:?}", net2.precision())
    };
    assert_eq!(n2.weights(), net.weights());
    let q2 = net2.evaluate(&test, &enc).unwrap();
    assert_eq!(q, q2);
    // A flipped byte anywhere is refused.
    let mut bytes = std::fs::read(&path).unwrap();
    for at in [3, 20, bytes.len() - 10] {
        bytes[at] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        assert!(load(&path).is_err(), "byte {at}");
        bytes[at] ^= 0x40;
    }
}

#[test]
fn adam_and_steepest_descent_run_on_several_outputs() {
    let rows: Vec<usize> = (0..150).collect();
    let (_, data) = iris(&rows);
    for method in [Method::Adam, Method::Sd] {
        let spec = FitSpec {
            method,
            max_epochs: 5,
            ..FitSpec::default()
        };
        let (_, out) = fit::<f64>(&data, &spec).unwrap();
        assert_eq!(out.curve.len(), 6);
        assert!(out.curve[5] < out.curve[0], "{method:?}: {:?}", out.curve);
    }
}

/// The precision tag of a `hinf fit` model file's core section (4 = f32,
/// 8 = f64), read with the core's own parser.
fn core_precision(path: &std::path::Path) -> u8 {
    let bytes = std::fs::read(path).unwrap();
    let j = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    hinf::model::Model::parse(&bytes[16 + j..])
        .unwrap()
        .precision()
}

#[test]
fn an_f32_fit_saves_and_loads_in_f32() {
    let (tr, te) = split_indices(150, 0.8, 7);
    let (enc, all) = iris(&tr);
    let (train, test) = (all.subset(&tr), all.subset(&te));
    let spec = FitSpec {
        tol: Some(0.02),
        max_epochs: 50,
        seed: 7,
        ..FitSpec::default()
    };
    let (mut net, out) = fit::<f32>(&train, &spec).unwrap();
    assert!(out.failure.is_none(), "{out:?}");
    let q = host::data::evaluate(&mut net, &test, &enc).unwrap();
    assert!(q.accuracy.unwrap() >= 0.85, "{q:?}");
    let meta = ModelMeta {
        encoding: enc.clone(),
        fit: spec,
        data: "data/iris.csv".into(),
        epochs: out.epochs,
    };
    let p32 = tmp("iris-f32.model");
    save(&p32, &meta, &net).unwrap();
    assert_eq!(core_precision(&p32), 4);
    let (meta2, mut net2) = load(&p32).unwrap();
    assert_eq!(meta2, meta);
    let FittedNet::F32(n2) = &net2 else {
        panic!("an f32 model loaded as {:?}", net2.precision())
    };
    assert_eq!(n2.weights(), net.weights());
    assert_eq!(net2.evaluate(&test, &enc).unwrap(), q);
    // The same weights in f64 take 4 more bytes each.
    let wide: Vec<f64> = net.weights().iter().map(|&w| w as f64).collect();
    let mut net64 = hinf::ResNet::new(*net.spec(), vec![0.0; net.spec().buffer_len()]).unwrap();
    net64.set_weights(&wide).unwrap();
    let p64 = tmp("iris-f32-widened.model");
    save(&p64, &meta, &net64).unwrap();
    assert_eq!(core_precision(&p64), 8);
    let (l32, l64) = (
        std::fs::metadata(&p32).unwrap().len(),
        std::fs::metadata(&p64).unwrap().len(),
    );
    assert!(l64 - l32 >= 4 * wide.len() as u64, "{l32} vs {l64} bytes");
}

/// The same fit (same seed, data, order) in f32 and f64 reaches about the
/// same training error with every method.
#[test]
fn f32_and_f64_fits_reach_similar_training_error() {
    let rows: Vec<usize> = (0..150).collect();
    let (_, data) = iris(&rows);
    for method in [Method::Hinf, Method::Sd, Method::Adam] {
        let spec = FitSpec {
            method,
            tol: Some(1e-6),
            max_epochs: 8,
            seed: 3,
            ..FitSpec::default()
        };
        let (_, a) = fit::<f64>(&data, &spec).unwrap();
        let (_, b) = fit::<f32>(&data, &spec).unwrap();
        assert!(a.failure.is_none() && b.failure.is_none(), "{a:?} {b:?}");
        assert_eq!(a.curve.len(), b.curve.len(), "{method:?}");
        let (e64, e32) = (a.curve[8], b.curve[8]);
        eprintln!(
            "{method:?}: f64 {e64:.6e}, f32 {e32:.6e}, start {:.4e}",
            a.curve[0]
        );
        assert!(
            e64 < 0.5 * a.curve[0],
            "{method:?} did not learn: {:?}",
            a.curve
        );
        assert!(
            (e32 - e64).abs() <= 0.05 * e64,
            "{method:?}: f32 {e32} vs f64 {e64}\n{:?}\n{:?}",
            b.curve,
            a.curve
        );
    }
}

/// Writes the generated sets into data/ (run with --ignored to refresh).
#[test]
#[ignore]
fn write_generated_sets() {
    for (name, text) in generated() {
        std::fs::write(repo(&format!("data/{name}")), text).unwrap();
    }
}

fn hinf(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hinf"))
        .args(args)
        .current_dir(repo(""))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_fit_save_eval_and_csv_errors() {
    let model = tmp("cli-iris.model");
    let m = model.to_str().unwrap();
    let (code, out, err) = hinf(&[
        "fit",
        "--data",
        "data/iris.csv",
        "--target",
        "species",
        "--standardize",
        "--save",
        m,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("3 outputs") && out.contains("test:  accuracy"),
        "{out}"
    );
    let (code, out, err) = hinf(&["eval", "--model", m, "--data", "data/iris.csv", "--json"]);
    assert_eq!(code, 0, "{err}");
    let q: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(q["accuracy"].as_f64().unwrap() > 0.9, "{out}");
    // Regression with Adam, JSON output.
    let (code, out, err) = hinf(&[
        "fit",
        "--data",
        "data/sine.csv",
        "--target",
        "y",
        "--method",
        "adam",
        "--max-epochs",
        "5",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"rmse\""), "{out}");

    let bad = tmp("bad.csv");
    let b = bad.to_str().unwrap();
    for (text, want) in [
        ("", "empty file"),
        ("a,b,c\n1,2,x\n3,4\n", "line 3: 2 fields"),
        ("a,b,c\n1,2,x\n3,zz,y\n", "line 3, column 'b' (2): 'zz'"),
    ] {
        std::fs::write(&bad, text).unwrap();
        let (code, _, err) = hinf(&["fit", "--data", b, "--target", "c"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want) && err.lines().count() == 1, "{err}");
    }
    let (code, _, err) = hinf(&["fit", "--data", "data/iris.csv", "--target", "kind"]);
    assert_eq!(code, 2);
    assert!(err.contains("no column 'kind'"), "{err}");
    let (code, _, err) = hinf(&["eval", "--model", b, "--data", "data/iris.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a hinf model"), "{err}");
}

#[test]
fn cli_fit_precision_f32_saves_an_f32_model_that_eval_reads() {
    let mut sizes = Vec::new();
    for prec in ["f64", "f32"] {
        let model = tmp(&format!("cli-iris-{prec}.model"));
        let m = model.to_str().unwrap();
        let (code, out, err) = hinf(&[
            "fit",
            "--data",
            "data/iris.csv",
            "--target",
            "species",
            "--standardize",
            "--precision",
            prec,
            "--save",
            m,
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let o: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(o["precision"], prec, "{out}");
        assert!(o["converged"].as_bool().unwrap(), "{out}");
        assert!(o["test"]["accuracy"].as_f64().unwrap() > 0.85, "{out}");
        assert_eq!(core_precision(&model), if prec == "f32" { 4 } else { 8 });
        sizes.push(std::fs::metadata(&model).unwrap().len());

        let (code, out, err) = hinf(&["eval", "--model", m, "--data", "data/iris.csv", "--json"]);
        assert_eq!(code, 0, "{err}");
        let q: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(q["precision"], prec, "{out}");
        let (acc, mse) = (q["accuracy"].as_f64().unwrap(), q["mse"].as_f64().unwrap());
        assert!(acc > 0.9 && mse > 0.0 && mse < 0.05, "{out}");
        let (code, out, err) = hinf(&["eval", "--model", m, "--data", "data/iris.csv"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(&format!("({prec}) on data/iris.csv (150 rows): accuracy")),
            "{out}"
        );
    }
    // N_w = 98 weights, 4 bytes fewer each.
    assert!(sizes[0] - sizes[1] >= 4 * 98, "{sizes:?}");
    // The summary names the precision.
    let (code, out, err) = hinf(&[
        "fit",
        "--data",
        "data/sine.csv",
        "--target",
        "y",
        "--max-epochs",
        "3",
        "--precision",
        "f32",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(N_w = 71, f32)"), "{out}");
    // A precision that does not exist: exit 2, one line naming the choices.
    let (code, out, err) = hinf(&[
        "fit",
        "--data",
        "data/iris.csv",
        "--target",
        "species",
        "--precision",
        "f16",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("'f16'") && err.contains("--precision") && err.contains("f64, f32"),
        "{err}"
    );
}

#[test]
fn cli_gen_and_a_small_compare_report() {
    let dir = tmp("gen");
    let d = dir.to_str().unwrap();
    let (code, out, err) = hinf(&["gen", "--out", d]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
    for (name, text) in generated() {
        assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), text);
    }
    let rep = tmp("compare");
    let r = rep.to_str().unwrap();
    let (code, out, err) = hinf(&[
        "compare",
        "--data-dir",
        d,
        "--out",
        r,
        "--layers",
        "5,7",
        "--sets",
        "parity4,sine",
        "--seeds",
        "2",
        "--max-epochs",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    // stdout says where the report is; 2 sets × 2 depths × 3 methods rows.
    let report = rep.join("report.md");
    assert!(
        out.ends_with(&format!("wrote {}\n", report.display())),
        "{out}"
    );
    let md = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with("| parity4") || l.starts_with("| sine"))
            .count(),
        12,
        "{md}"
    );
    assert!(rep.join("report.md").exists() && rep.join("sine-hinf-L7.svg").exists());
    let (code, _, err) = hinf(&["compare", "--out", r, "--sets", "nope"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = hinf(&["compare", "--out", r, "--layers", "5,6"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: invalid value '6' for '--layers'"),
        "{err}"
    );
    // `--help` names every set `--sets` accepts.
    let (code, help, err) = hinf(&["compare", "--help"]);
    assert_eq!(code, 0, "{err}");
    let line = help
        .lines()
        .find(|l| l.contains("Data sets"))
        .unwrap_or_default();
    for b in host::data::compare::benchmarks() {
        assert!(line.contains(b.name), "{} missing from: {line}", b.name);
    }
}

/// The host's structured `P` takes the N_L rank-one downdates of the
/// multi-output filter unchanged: it follows the packed `P`.
#[test]
fn structured_covariance_follows_packed_with_several_outputs() {
    use hinf::{GEhf, GEhfConfig, PackedCovariance, ResNet, ResNetSpec, packed_len};
    let spec = ResNetSpec::new(4, 5, 3, 9, hinf::PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut a = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    let mut r = <rand_xoshiro::Xoshiro256PlusPlus as rand_core::SeedableRng>::seed_from_u64(3);
    a.init_uniform(&mut r, 0.3).unwrap();
    let mut b = a.clone();
    let cfg = GEhfConfig::default();
    // Switch the structured P to packed storage half-way.
    let s = host::StructuredCovariance::with_switch_at(n, cfg.eps0, 30);
    let mut fs = GEhf::new(cfg, s, vec![0.0; 3 * n]).unwrap();
    let p = PackedCovariance::new(n, cfg.eps0, vec![0.0; packed_len(n)]).unwrap();
    let mut fp = GEhf::new(cfg, p, vec![0.0; 3 * n]).unwrap();
    for k in 0..20 {
        let t = k as f64;
        let x = [t.sin(), t.cos(), (0.5 * t).sin(), 0.3];
        let y = [
            (k % 3 == 0) as u8 as f64,
            (k % 3 == 1) as u8 as f64,
            (k % 3 == 2) as u8 as f64,
        ];
        fs.step(&mut a, &x, &y).unwrap();
        fp.step(&mut b, &x, &y).unwrap();
    }
    let d = a
        .weights()
        .iter()
        .zip(b.weights())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(d < 1e-9, "structured vs packed: {d}");
    assert!(fs.covariance().is_packed());
}

/// Every `fit` flag is checked before the data are read: a bad value exits
/// 2 with one line naming the flag (the file does not even need to exist).
#[test]
fn fit_flags_are_validated_up_front() {
    for (flag, value) in [
        ("--width", "0"),
        ("--slope", "-1"),
        ("--tol", "0"),
        ("--max-epochs", "0"),
        ("--eps0", "0"),
        ("--gamma", "1"),
        ("--adam-lr", "-1"),
        ("--layers", "4"),
        ("--split", "1.5"),
    ] {
        let (code, _, err) = hinf(&[
            "fit",
            "--data",
            "/no/such/file.csv",
            "--target",
            "y",
            flag,
            value,
        ]);
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(
            err.starts_with(&format!("error: invalid value '{value}' for '{flag}'")),
            "{flag} {value}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let (code, _, err) = hinf(&["compare", "--seeds", "0", "--out", "/no/such/dir"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'--seeds'"), "{err}");
}

/// Malformed CSV of every kind (ragged rows, quotes, NaN and ∞, huge and
/// subnormal numbers, empty fields, CRLF) ends in `Ok` or a clear `Err` at
/// every stage, parse, encode and fit, never in a panic.
#[test]
fn random_csv_is_an_error_or_a_fit_never_a_panic() {
    const TOKENS: [&str; 20] = [
        "1",
        "2.5",
        "-3",
        "nan",
        "inf",
        "-inf",
        "",
        "a",
        "b",
        "\"x,y\"",
        "\"",
        "1e308",
        "1e-320",
        "0x10",
        " 4 ",
        "setosa",
        "\"a\"\"b\"",
        "ä",
        "7",
        "0",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: usize| {
        // SplitMix64.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    };
    let (mut parsed, mut fitted, mut refused) = (0, 0, 0);
    for _ in 0..300 {
        let cols = 1 + next(4);
        let names = ["y", "x", "z", "species", ""];
        let header: Vec<&str> = (0..cols).map(|_| names[next(names.len())]).collect();
        let mut text = header.join(",");
        for _ in 0..next(10) {
            // Mostly well-formed rows of mostly numbers, so that later
            // stages are reached too.
            let k = if next(8) == 0 {
                (cols + next(3)).saturating_sub(1)
            } else {
                cols
            };
            let row: Vec<&str> = (0..k)
                .map(|_| match next(6) {
                    0 => TOKENS[next(TOKENS.len())],
                    _ => ["1", "2.5", "-3", "7", "0", "0.25"][next(6)],
                })
                .collect();
            text.push('\n');
            text += &row.join(",");
        }
        if next(5) == 0 {
            text = text.replace('\n', "\r\n");
        }
        let table = match Table::parse(&text, "random.csv") {
            Ok(t) => t,
            Err(e) => {
                assert!(matches!(e, DataError::Csv(_)), "{e:?}");
                assert!(e.to_string().starts_with("random.csv"), "{e}");
                refused += 1;
                continue;
            }
        };
        parsed += 1;
        let target = ["y", "x", "species"][next(3)].to_string();
        let idx: Vec<usize> = (0..table.rows.len()).collect();
        let task = [Task::Auto, Task::Regression, Task::Classification][next(3)];
        let Ok(enc) = Encoding::fit(&table, &[target], None, task, next(2) == 0, &idx) else {
            refused += 1;
            continue;
        };
        let Ok(data) = enc.encode(&table) else {
            refused += 1;
            continue;
        };
        let spec = FitSpec {
            max_epochs: 2,
            ..FitSpec::default()
        };
        match fit::<f64>(&data, &spec) {
            Ok(_) => fitted += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
        }
    }
    // Both outcomes occur, so the stages were exercised.
    assert!(
        parsed > 0 && fitted > 0 && refused > 0,
        "{parsed} {fitted} {refused}"
    );
}

/// A regression fit holds out a fifth of its training rows and stops once
/// the best MSE on them is `--patience` epochs old, keeping that epoch's
/// weights — not after 1 epoch at RMSE 0.2 on the noisy sine, as the
/// classification tolerance did. fit reports the RMSE in the target's units.
#[test]
fn regression_stops_on_held_out_rows_and_reports_rmse_in_units() {
    let json = |args: &[&str]| {
        let (code, out, err) = hinf(args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let sine = ["fit", "--data", "data/sine.csv", "--target", "y"];
    let j = json(&[&sine[..], &["--json"]].concat());
    assert_eq!(
        (j["train_rows"].as_u64(), j["held_out_rows"].as_u64()),
        (Some(128), Some(32))
    );
    assert_eq!(j["stop"], "validation", "{j}");
    let (epochs, kept) = (
        j["epochs"].as_u64().unwrap(),
        j["kept_epoch"].as_u64().unwrap(),
    );
    assert_eq!(epochs, kept + 20, "{j}");
    assert!(j["test"]["rmse"].as_f64().unwrap() < 0.12, "{j}");
    let (code, out, _) = hinf(&sine);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("kept epoch {kept} (held-out MSE")),
        "{out}"
    );
    assert!(out.contains("in target units"), "{out}");
    // --patience 0: every training row, to the cap (or --tol).
    let all = json(
        &[
            &sine[..],
            &["--patience", "0", "--max-epochs", "30", "--json"],
        ]
        .concat(),
    );
    assert_eq!(
        (all["train_rows"].as_u64(), all["held_out_rows"].as_u64()),
        (Some(160), Some(0))
    );
    assert_eq!(
        (all["stop"].as_str(), all["epochs"].as_u64()),
        (Some("max-epochs"), Some(30))
    );
    assert!(all["kept_epoch"].is_null());
    let tol = json(&[&sine[..], &["--patience", "0", "--tol", "0.002", "--json"]].concat());
    assert_eq!(tol["stop"], "tolerance");
    let (code, _, err) = hinf(&[
        "fit",
        "--data",
        "data/iris.csv",
        "--target",
        "species",
        "--patience",
        "5",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("'--patience'") && err.contains("for regression"),
        "{err}"
    );
}

/// The kept weights are the best epoch's on the held-out rows: their MSE
/// there is the one recorded.
#[test]
fn early_stopping_keeps_the_best_held_out_epoch() {
    let table = Table::read(&repo("data/sine.csv")).unwrap();
    let (tr, _) = split_indices(table.rows.len(), 0.8, 1);
    let (fit_rows, held) = host::data::early_stop::validation_split(&tr, 1);
    assert_eq!((fit_rows.len(), held.len()), (128, 32));
    let enc = Encoding::fit(&table, &["y".into()], None, Task::Auto, false, &tr).unwrap();
    let all = enc.encode(&table).unwrap();
    let (train, held) = (all.subset(&fit_rows), all.subset(&held));
    let spec = FitSpec {
        tol: None,
        patience: Some(5),
        ..FitSpec::default()
    };
    let (mut net, out) = host::data::fit_from::<f64>(&train, Some(&held), &spec, None).unwrap();
    let kept = out.kept.unwrap();
    assert_eq!(out.stop, host::data::Stop::Validation);
    assert_eq!(out.epochs, kept.epoch + 5);
    let q = host::data::evaluate(&mut net, &held, &enc).unwrap();
    assert!(
        (q.mse - kept.mse).abs() <= 1e-12 * kept.mse,
        "{} vs {}",
        q.mse,
        kept.mse
    );
}
