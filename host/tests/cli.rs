//! The `hinf` binary: JSON fields, exit codes, one-line errors, and the
//! files `reproduce` promises.

mod common;
use common::{hinf, scratch};

fn stdout(o: &Output) -> String {
    common::text(&o.stdout)
}
fn stderr(o: &Output) -> String {
    common::text(&o.stderr)
}

use std::path::{Path, PathBuf};
use std::process::Output;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn train_json_has_the_promised_fields() {
    let o = hinf(&[
        "train", "--method", "hinf", "--layers", "5", "--trials", "6", "--seed", "3", "--json",
    ]);
    let v = json(&o);
    assert_eq!(
        stdout(&o).trim().lines().count(),
        1,
        "one JSON object on one line"
    );
    for key in [
        "method",
        "layers",
        "n_weights",
        "trials",
        "converged",
        "not_converged",
        "diverged",
        "mean_epochs",
        "std_epochs",
        "median_epochs",
        "min_epochs",
        "max_epochs",
        "seconds",
        "settings",
        "seed",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["method"], "hinf");
    assert_eq!(v["layers"], 5);
    assert_eq!(v["n_weights"], 76);
    assert_eq!(v["trials"], 6);
    assert_eq!(v["seed"], 3);
    assert!(v.get("failed").is_none(), "`failed` is now `diverged`");
    let s = &v["settings"];
    assert_eq!(s["eps0"], hinf::DEFAULT_EPS0);
    assert_eq!(s["gamma"], 1.7);
    assert_eq!(s["criterion"], "half-sse");
    assert_eq!(s["max_epochs"], 100, "the H∞ cap of settings::caps");
    assert!(stderr(&o).is_empty(), "quiet with --json: {}", stderr(&o));
}

#[test]
fn every_method_and_option_runs() {
    for extra in [
        &["--method", "sd", "--max-epochs", "30"][..],
        &[
            "--method",
            "adam",
            "--max-epochs",
            "30",
            "--adam-mode",
            "batch",
        ][..],
        &[
            "--method",
            "hinf",
            "--precision",
            "f32",
            "--order",
            "shuffled",
        ][..],
        &[
            "--method",
            "hinf",
            "--covariance",
            "packed",
            "--inputs",
            "binary",
        ][..],
        &[
            "--method",
            "hinf",
            "--covariance",
            "dense",
            "--criterion",
            "max-abs",
        ][..],
        &[
            "--method",
            "hinf",
            "--gain-order",
            "covariance-first",
            "--timing",
            "during-epoch",
            "--criterion",
            "mse",
            "--tol",
            "0.02",
        ][..],
    ] {
        let mut args = vec![
            "train", "--layers", "7", "--trials", "2", "--seed", "1", "--json",
        ];
        args.extend_from_slice(extra);
        let v = json(&hinf(&args));
        assert_eq!(v["trials"], 2, "{extra:?}");
        assert_eq!(v["n_weights"], 131, "{extra:?}");
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let run = |threads: &str| {
        let mut v = json(&hinf(&[
            "train",
            "--method",
            "hinf",
            "--layers",
            "7",
            "--trials",
            "8",
            "--seed",
            "42",
            "--json",
            "--threads",
            threads,
            "--order",
            "shuffled",
        ]));
        let obj = v.as_object_mut().unwrap();
        obj.remove("seconds");
        obj.remove("mean_trial_seconds");
        v
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn text_output_and_out_dir() {
    let dir = scratch("train-out");
    let d = dir.to_str().unwrap();
    let o = hinf(&[
        "train", "--method", "hinf", "--layers", "5", "--trials", "3", "--seed", "1", "--out", d,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("converged="), "{}", stdout(&o));
    for f in [
        "hinf_L5.json",
        "hinf_L5_trials.csv",
        "hinf_L5_curves.csv",
        "hinf_L5.svg",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    check_svg(&dir.join("hinf_L5.svg"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Exit status 2, exactly one line on stderr, nothing on stdout, no panic.
fn assert_usage_error(args: &[&str], mentions: &str) {
    let o = hinf(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "{args:?}: one line expected, got:\n{err}"
    );
    assert!(err.ends_with('\n'));
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(mentions),
        "{args:?}: {err} should mention {mentions}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
}

#[test]
fn bad_values_exit_2_with_one_line() {
    let base = ["train", "--method", "hinf", "--trials", "2", "--seed", "1"];
    let with = |extra: &[&'static str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        a
    };
    assert_usage_error(&with(&["--layers", "6"]), "--layers");
    assert_usage_error(&with(&["--layers", "3"]), "2n + 3");
    assert_usage_error(&with(&["--layers", "x"]), "--layers");
    assert_usage_error(&with(&["--layers", "5", "--gamma", "1"]), "--gamma");
    assert_usage_error(&with(&["--layers", "5", "--gamma", "NaN"]), "--gamma");
    assert_usage_error(&with(&["--layers", "5", "--eps0", "0"]), "--eps0");
    assert_usage_error(&with(&["--layers", "5", "--eps0", "-1"]), "--eps0");
    assert_usage_error(&with(&["--layers", "5", "--tol", "0"]), "--tol");
    assert_usage_error(
        &with(&["--layers", "5", "--max-epochs", "0"]),
        "--max-epochs",
    );
    assert_usage_error(&with(&["--layers", "5", "--threads", "0"]), "--threads");
    assert_usage_error(&with(&["--layers", "5", "--criterion", "rms"]), "half-sse");
    assert_usage_error(&with(&["--layers", "5", "--order", "random"]), "shuffled");
    assert_usage_error(&with(&["--layers", "5", "--inputs", "ternary"]), "bipolar");
    assert_usage_error(&with(&["--layers", "5", "--precision", "f16"]), "f32");
    assert_usage_error(&with(&["--layers", "5", "--nonsense"]), "--nonsense");
    assert_usage_error(
        &with(&["--layers", "5", "--init-range", "-1"]),
        "--init-range",
    );
    // A bad value is refused even where the method does not use it.
    assert_usage_error(
        &with(&["--layers", "5", "--adam-beta1", "1"]),
        "--adam-beta1",
    );
    assert_usage_error(
        &["train", "--method", "sd", "--layers", "5", "--gamma", "0.5"],
        "--gamma",
    );
    assert_usage_error(
        &["train", "--method", "adam", "--layers", "5", "--eps0", "-1"],
        "--eps0",
    );
    assert_usage_error(
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-beta1",
            "1",
        ],
        "--adam-beta1",
    );
    assert_usage_error(
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-lr",
            "0",
        ],
        "--adam-lr",
    );
    assert_usage_error(
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-eps",
            "-1",
        ],
        "--adam-eps",
    );
    assert_usage_error(
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-mode",
            "x",
        ],
        "sample",
    );
    assert_usage_error(&["train", "--method", "newton", "--layers", "5"], "hinf");
    assert_usage_error(
        &[
            "train", "--method", "hinf", "--layers", "5", "--trials", "0",
        ],
        "--trials",
    );
    assert_usage_error(&["train", "--layers", "5"], "--method");
    assert_usage_error(&["train", "--method", "hinf"], "--layers");
    assert_usage_error(&[], "subcommand");
    assert_usage_error(&["fly"], "fly");
    assert_usage_error(&["reproduce", "--trials", "0"], "--trials");
    assert_usage_error(&["reproduce", "--depths", "5,6"], "--depths");
    assert_usage_error(&["reproduce", "--sd-layers", "4"], "--sd-layers");
    assert_usage_error(&["reproduce", "--gamma", "0.5"], "--gamma");
    assert_usage_error(
        &["reproduce", "--hinf-max-epochs", "0"],
        "--hinf-max-epochs",
    );
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["train", "--help"],
        &["reproduce", "--help"],
        &["--version"],
    ] {
        let o = hinf(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(!stdout(&o).is_empty());
    }
    let h = stdout(&hinf(&["train", "--help"]));
    for flag in [
        "--method",
        "--layers",
        "--trials",
        "--seed",
        "--eps0",
        "--gamma",
        "--criterion",
        "--tol",
        "--order",
        "--inputs",
        "--max-epochs",
        "--adam-mode",
        "--adam-lr",
        "--adam-beta1",
        "--adam-beta2",
        "--adam-eps",
        "--precision",
        "--json",
        "--out",
        "--gain-order",
        "--timing",
    ] {
        assert!(h.contains(flag), "train --help lacks {flag}");
    }
}

/// A parse check: an SVG root, balanced and closed.
fn check_svg(path: &Path) {
    let s = std::fs::read_to_string(path).unwrap();
    let t = s.trim_start();
    assert!(
        t.starts_with("<svg") || t.starts_with("<?xml"),
        "{}",
        path.display()
    );
    assert!(s.trim_end().ends_with("</svg>"), "{}", path.display());
    assert_eq!(s.matches("<svg").count(), s.matches("</svg>").count());
    assert_eq!(s.matches('<').count(), s.matches('>').count());
    assert!(
        s.contains("<polyline") || s.contains("<path"),
        "no curves in {}",
        path.display()
    );
}

#[test]
fn reproduce_writes_every_promised_file() {
    let dir = scratch("reproduce");
    let d = dir.to_str().unwrap();
    let o = hinf(&[
        "reproduce",
        "--trials",
        "2",
        "--depths",
        "5,7",
        "--sd-layers",
        "5",
        "--max-epochs",
        "40",
        "--hinf-max-epochs",
        "40",
        "--out",
        d,
        "--json",
    ]);
    let v = json(&o);
    let exps = v["experiments"].as_array().unwrap();
    assert_eq!(exps.len(), 5); // hinf ×2, adam ×2, sd
    let mut rows = 1; // header
    for e in exps {
        let stem = format!("{}_L{}", e["method"].as_str().unwrap(), e["layers"]);
        for f in [format!("{stem}.json"), format!("{stem}_trials.csv")] {
            assert!(dir.join(&f).is_file(), "missing {f}");
        }
        let fig = dir.join("figures").join(format!("{stem}.svg"));
        assert!(fig.is_file(), "missing {}", fig.display());
        check_svg(&fig);
        let per: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{stem}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(&per, e);
        rows += 2;
    }
    let csv = std::fs::read_to_string(dir.join("trials.csv")).unwrap();
    assert_eq!(csv.lines().count(), rows);
    assert!(csv.starts_with("method,layers,n_weights,trial,seed,epochs,converged,final_error"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["paper_table1"][0]["mean"], 25.92);
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for needle in [
        "Table 1",
        "Table 2",
        "Steepest descent",
        "25.92",
        "2160.50",
        "eps0",
        "figures/hinf_L5.svg",
    ] {
        assert!(report.contains(needle), "report lacks {needle}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "slow in debug builds: run with --release -- --ignored"]
fn reproduce_quick_finishes() {
    let dir = scratch("quick");
    let o = hinf(&["reproduce", "--quick", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.join("report.md").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `train --save` writes trial 0's learner in the core's model format;
/// `eval --model` reads it back and finds the converged XOR outputs; a
/// truncated, bit-flipped or missing file exits 2 with one line.
#[test]
fn train_save_and_eval_a_model() {
    let dir = scratch("save");
    std::fs::create_dir_all(&dir).unwrap();
    for (method, extra) in [("hinf", vec![]), ("adam", vec!["--adam-mode", "batch"])] {
        let file = dir.join(format!("{method}.hinf"));
        let f = file.to_str().unwrap();
        let mut args = vec![
            "train", "--method", method, "--layers", "7", "--trials", "2",
        ];
        args.extend(["--seed", "3", "--max-epochs", "3000", "--json", "--save", f]);
        args.extend(extra);
        let summary = json(&hinf(&args));
        assert_eq!(summary["converged"], 2, "{summary}");
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(&bytes[..8], b"HINFXOR1");

        let q = json(&hinf(&["eval", "--model", f, "--json"]));
        assert_eq!(q["layers"], 7);
        assert_eq!(q["correct"], 4, "{q}");
        assert!(q["half_sse"].as_f64().unwrap() < 0.01, "{q}");
        assert_eq!(q["has_covariance"], method == "hinf");

        let bad = dir.join("bad.hinf");
        let b = bad.to_str().unwrap();
        std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
        assert_usage_error(&["eval", "--model", b], "truncated");
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 0x10;
        std::fs::write(&bad, &flipped).unwrap();
        assert_usage_error(&["eval", "--model", b], "checksum");
        assert_usage_error(&["eval", "--model", f, "--data", "x.csv"], "drop --data");
    }
    assert_usage_error(&["eval", "--model", "/nonexistent/m.hinf"], "cannot read");
}

/// Past N_w = MAX_SAVED_P the g-EHF's `P` is not saved, and `--save` says so.
#[test]
fn save_says_when_p_is_left_out() {
    let dir = std::env::temp_dir().join(format!("hinf-save-note-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("m.hinf");
    let f = f.to_str().unwrap();
    // L = 155: N_w = 4201 > 4096; L = 5: N_w = 76.
    for (layers, noted) in [("155", true), ("5", false)] {
        let o = hinf(&[
            "train",
            "--method",
            "hinf",
            "--layers",
            layers,
            "--trials",
            "1",
            "--max-epochs",
            "1",
            "--save",
            f,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            stderr(&o).contains("holds the network only"),
            noted,
            "L = {layers}"
        );
        assert!(std::path::Path::new(f).exists());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every output flag is checked before any work: exit 2, one line naming
/// the flag, nothing written.
#[test]
fn unwritable_outputs_are_refused_before_any_work() {
    let d = scratch("unwritable");
    std::fs::create_dir_all(&d).unwrap();
    // A path under a regular file cannot be created, even by root.
    let file = d.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let under = file.join("sub");
    let under = under.to_str().unwrap();
    let data = repo().join("data/iris.csv");
    let data = data.to_str().unwrap();
    let train = [
        "train", "--method", "hinf", "--layers", "101", "--trials", "50",
    ];
    let with = |base: &[&'static str], extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let fit = ["fit", "--target", "species", "--data"];
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            with(&fit, &[data, "--save", "/nonexistent/x.model"]),
            "--save",
        ),
        (with(&fit, &[data, "--save", under]), "--save"),
        (with(&train, &["--save", "/nonexistent/x.model"]), "--save"),
        (with(&train, &["--out", under]), "--out"),
        (with(&["reproduce", "--quick", "--out"], &[under]), "--out"),
        (
            with(&["sweep", "--layers", "101", "--out"], &[under]),
            "--out",
        ),
        (with(&["compare", "--out"], &[under]), "--out"),
        (
            with(&train, &["--save", d.to_str().unwrap()]),
            "is a directory",
        ),
    ];
    for (args, flag) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let t0 = std::time::Instant::now();
        assert_usage_error(&args, flag);
        assert!(t0.elapsed().as_secs() < 5, "{args:?} ran before refusing");
    }
    let o = hinf(
        &with(&fit, &[data, "--save", "/nonexistent/x.model"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        stderr(&o),
        "error: invalid value '/nonexistent/x.model' for '--save': \
         the directory '/nonexistent' does not exist\n"
    );
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing written beside a-file");
    let _ = std::fs::remove_dir_all(&d);
}

/// A file that is not a model is named as such by `eval`, with or without
/// `--data`, and whatever it holds (CSV, empty, other bytes).
#[test]
fn eval_names_a_file_that_is_not_a_model() {
    let iris = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/iris.csv");
    for extra in [&[][..], &["--data", iris], &["--json"]] {
        let mut args = vec!["eval", "--model", iris];
        args.extend_from_slice(extra);
        assert_usage_error(
            &args,
            "is not a hinf model (wrong magic: it looks like a CSV file",
        );
    }
    let dir = scratch("not-a-model");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes, says) in [
        ("empty", &b""[..], "it is empty"),
        ("elf", b"\x7fELF\x02\x01", "(wrong magic);"),
    ] {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        assert_usage_error(&["eval", "--model", f.to_str().unwrap()], says);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The core model file inside a `train --save` file (after the magic, the
/// JSON section's length, the JSON and its CRC).
fn core_section(bytes: &[u8]) -> &[u8] {
    let j = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    &bytes[16 + j..]
}

/// `train --save` stores the input coding and targets with the model, and
/// `eval` uses them (a contradicting `--inputs` is refused); a bare core
/// model file still loads, evaluated with `--inputs` (bipolar by default,
/// said in a note).
#[test]
fn a_model_stores_its_coding_and_eval_uses_it() {
    let dir = scratch("coding");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("m.hinf");
    let f = f.to_str().unwrap();
    for (inputs, targets) in [("binary", "zero-one"), ("bipolar", "soft")] {
        let o = hinf(&[
            "train",
            "--method",
            "hinf",
            "--layers",
            "5",
            "--trials",
            "1",
            "--inputs",
            inputs,
            "--targets",
            targets,
            "--json",
            "--save",
            f,
        ]);
        assert_eq!(json(&o)["converged"], 1);
        let q = json(&hinf(&["eval", "--model", f, "--json"]));
        assert_eq!(q["inputs"], inputs, "{q}");
        assert_eq!(q["correct"], 4, "{q}");
        let low = if targets == "soft" { 0.1 } else { 0.0 };
        assert_eq!(q["targets"][0].as_f64(), Some(low), "{q}");
        let other = if inputs == "binary" {
            "bipolar"
        } else {
            "binary"
        };
        assert_usage_error(
            &["eval", "--model", f, "--inputs", other],
            &format!("was trained with --inputs {inputs}"),
        );
        let same = json(&hinf(&["eval", "--model", f, "--inputs", inputs, "--json"]));
        assert_eq!(same, q);
    }
    // The bare core file of a binary model: bipolar by default (2/4, with a
    // note), right with --inputs binary.
    hinf(&[
        "train", "--method", "hinf", "--layers", "5", "--trials", "1", "--inputs", "binary",
        "--save", f,
    ]);
    let bare = dir.join("bare.hinf");
    std::fs::write(&bare, core_section(&std::fs::read(f).unwrap())).unwrap();
    let b = bare.to_str().unwrap();
    let o = hinf(&["eval", "--model", b, "--json"]);
    assert_eq!(json(&o)["correct"], 2);
    assert!(stderr(&o).starts_with("note: ") && stderr(&o).contains("bipolar"));
    let o = hinf(&["eval", "--model", b, "--inputs", "binary", "--json"]);
    assert_eq!(json(&o)["correct"], 4);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A steepest-descent learner's `P` is `ε0 I` by definition: its model
/// file holds the network (and ε0 among the settings), not the 4.5 MB of
/// a packed `P` at L = 41 (N_w = 1066).
#[test]
fn a_steepest_descent_model_is_the_network_alone() {
    let dir = scratch("sd-size");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("sd.hinf");
    let f = f.to_str().unwrap();
    let o = hinf(&[
        "train",
        "--method",
        "sd",
        "--layers",
        "41",
        "--trials",
        "1",
        "--max-epochs",
        "1",
        "--json",
        "--save",
        f,
    ]);
    let nw = json(&o)["n_weights"].as_u64().unwrap() as usize;
    assert_eq!(nw, 1066);
    let bytes = std::fs::read(f).unwrap();
    // The core section: 40 header bytes, N_w f64 weights, the CRC.
    assert_eq!(core_section(&bytes).len(), 40 + 8 * nw + 4);
    assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
    let q = json(&hinf(&["eval", "--model", f, "--json"]));
    assert_eq!(q["has_covariance"], false);
    let _ = std::fs::remove_dir_all(&dir);
}
