//! Golden outputs of the `hinf` binary: what `reproduce --quick`, a small
//! `sweep`, `compare`, `fit`/`eval`/`predict`, `train`, `gen` and every usage error
//! print and write, byte for byte except timings.
//!
//! Each case runs its commands in a fresh directory holding a copy of
//! `data/`, with relative paths only, and compares the exit codes, stdout,
//! stderr and every file written with `host/tests/golden/<case>.txt`.
//! Timings are masked (`<t>`); files over 16 KB, SVGs and binary files are
//! compared by their FNV-1a hash and size. To rewrite the golden files on
//! purpose: `HINF_BLESS=1 cargo test -p host --test golden`, then review
//! the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;

/// One golden case: its commands, run in order in one directory.
struct Case {
    name: &'static str,
    commands: Vec<Vec<&'static str>>,
}

fn case(name: &'static str, commands: &[&[&'static str]]) -> Case {
    Case {
        name,
        commands: commands.iter().map(|c| c.to_vec()).collect(),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hinf-golden-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("data")).unwrap();
    for f in std::fs::read_dir(repo().join("data")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&f, d.join("data").join(f.file_name().unwrap())).unwrap();
        }
    }
    d
}

/// Every file under `dir` (recursively), sorted, relative to `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The masks applied to every text: timings, and the machine's free memory.
struct Masks {
    seconds: Regex,
    json_seconds: Regex,
    available: Regex,
}

impl Masks {
    fn new() -> Self {
        Self {
            seconds: Regex::new(r"\b\d+(\.\d+)?(e[-+]?\d+)? s\b").unwrap(),
            json_seconds: Regex::new(r#""(seconds|mean_trial_seconds)": ?[-+0-9.eE]+"#).unwrap(),
            available: Regex::new(r"the \d+\.\d GB available").unwrap(),
        }
    }

    fn text(&self, s: &str) -> String {
        let s = self.seconds.replace_all(s, "<t> s");
        let s = self.json_seconds.replace_all(&s, "\"$1\": <t>");
        let s = self.available.replace_all(&s, "the <m> GB available");
        mask_table_columns(&s)
    }

    fn csv(&self, s: &str) -> String {
        let mut lines = s.lines();
        let Some(header) = lines.next() else {
            return String::new();
        };
        let timed: Vec<usize> = header
            .split(',')
            .enumerate()
            .filter(|(_, h)| *h == "seconds")
            .map(|(i, _)| i)
            .collect();
        let mut out = format!("{header}\n");
        for l in lines {
            let mut cells: Vec<&str> = l.split(',').collect();
            for &i in &timed {
                if i < cells.len() {
                    cells[i] = "<t>";
                }
            }
            out += &cells.join(",");
            out.push('\n');
        }
        out
    }
}

/// Markdown table cells under a timing header (`s`, `s/trial`, `wall s`,
/// ...) become `<t>`.
fn mask_table_columns(s: &str) -> String {
    const TIMED: [&str; 6] = [
        "s",
        "s/trial",
        "wall s",
        "mean s/trial",
        "mean s/epoch",
        "time (s)",
    ];
    let mut out = String::new();
    let mut timed: Option<Vec<usize>> = None;
    for line in s.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if !body.starts_with('|') {
            timed = None;
            out += line;
            continue;
        }
        let cells: Vec<&str> = body.split('|').collect();
        match &timed {
            None => {
                timed = Some(
                    cells
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| TIMED.contains(&c.trim()))
                        .map(|(i, _)| i)
                        .collect(),
                );
                out += line;
            }
            Some(cols) if !body.contains("---") => {
                let masked: Vec<String> = cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if cols.contains(&i) {
                            " <t> ".to_string()
                        } else {
                            c.to_string()
                        }
                    })
                    .collect();
                out += &masked.join("|");
                out += &line[body.len()..];
            }
            Some(_) => out += line,
        }
    }
    out
}

/// Runs a case and renders everything it printed and wrote.
fn render(c: &Case, masks: &Masks) -> String {
    let dir = fresh_dir(c.name);
    let before = files_under(&dir);
    let mut r = String::new();
    for args in &c.commands {
        let o = Command::new(env!("CARGO_BIN_EXE_hinf"))
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("run hinf");
        let _ = writeln!(r, "$ hinf {}", args.join(" "));
        let _ = writeln!(r, "exit {}", o.status.code().unwrap_or(-1));
        for (what, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            if !bytes.is_empty() {
                let _ = writeln!(r, "--- {what}");
                r += &masks.text(&String::from_utf8_lossy(bytes));
            }
        }
    }
    for f in files_under(&dir) {
        if before.contains(&f) {
            continue;
        }
        let bytes = std::fs::read(dir.join(&f)).unwrap();
        let name = f.display().to_string();
        let text = String::from_utf8(bytes.clone()).ok();
        match text {
            Some(t) if bytes.len() <= 16_384 && !name.ends_with(".svg") => {
                let _ = writeln!(r, "--- file {name}");
                r += &if name.ends_with(".csv") {
                    masks.csv(&t)
                } else {
                    masks.text(&t)
                };
            }
            Some(t) => {
                let masked = if name.ends_with(".csv") {
                    masks.csv(&t)
                } else {
                    masks.text(&t)
                };
                let _ = writeln!(
                    r,
                    "--- file {name}: {} bytes, fnv1a {:016x}",
                    masked.len(),
                    fnv1a(masked.as_bytes())
                );
            }
            None => {
                let _ = writeln!(
                    r,
                    "--- file {name}: {} bytes, fnv1a {:016x} (binary)",
                    bytes.len(),
                    fnv1a(&bytes)
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn check(c: Case) {
    let got = render(&c, &Masks::new());
    let path = repo()
        .join("host/tests/golden")
        .join(format!("{}.txt", c.name));
    if std::env::var_os("HINF_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (HINF_BLESS=1 writes it)", path.display()));
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(got.lines().count().min(want.lines().count()));
        let show = |s: &str| s.lines().skip(first).take(6).collect::<Vec<_>>().join("\n");
        panic!(
            "{}: differs from {} at line {}:\n--- got\n{}\n--- want\n{}",
            c.name,
            path.display(),
            first + 1,
            show(&got),
            show(&want)
        );
    }
}

#[test]
fn reproduce_quick() {
    check(case(
        "reproduce_quick",
        &[
            &["reproduce", "--quick", "--out", "out", "--threads", "2"],
            &[
                "reproduce",
                "--quick",
                "--trials",
                "4",
                "--beyond",
                "--out",
                "beyond",
                "--threads",
                "2",
                "--json",
            ],
        ],
    ));
}

#[test]
fn train_and_xor_models() {
    check(case(
        "train",
        &[
            &[
                "train",
                "--method",
                "hinf",
                "--layers",
                "5",
                "--trials",
                "6",
                "--seed",
                "3",
                "--json",
                "--threads",
                "2",
            ],
            &[
                "train",
                "--method",
                "hinf",
                "--layers",
                "7",
                "--trials",
                "3",
                "--out",
                "tr",
                "--save",
                "m.hinf",
                "--threads",
                "2",
            ],
            &["eval", "--model", "m.hinf"],
            &["eval", "--model", "m.hinf", "--json"],
            &[
                "train",
                "--method",
                "adam",
                "--layers",
                "5",
                "--trials",
                "2",
                "--max-epochs",
                "3000",
                "--threads",
                "2",
                "--json",
                "--save",
                "adam.hinf",
            ],
            &["eval", "--model", "adam.hinf"],
            &[
                "train",
                "--method",
                "hinf",
                "--layers",
                "5",
                "--trials",
                "1",
                "--max-epochs",
                "5",
                "--inputs",
                "binary",
                "--save",
                "part.hinf",
            ],
            &[
                "train",
                "--method",
                "hinf",
                "--layers",
                "5",
                "--init",
                "part.hinf",
                "--save",
                "more.hinf",
            ],
            &["eval", "--model", "more.hinf"],
            &[
                "train",
                "--method",
                "sd",
                "--layers",
                "5",
                "--trials",
                "2",
                "--max-epochs",
                "2000",
                "--threads",
                "2",
            ],
            &[
                "train",
                "--method",
                "hinf",
                "--layers",
                "5",
                "--trials",
                "3",
                "--extension",
                "trust-region",
                "--eps0",
                "1000",
                "--process-noise",
                "0.001",
                "--forgetting",
                "0.999",
                "--eps0-scale",
                "blocks",
                "--targets",
                "soft",
                "--precision",
                "f32",
                "--covariance",
                "packed",
                "--timing",
                "during-epoch",
                "--order",
                "shuffled",
                "--threads",
                "2",
            ],
        ],
    ));
}

#[test]
fn sweep_and_replot() {
    check(case(
        "sweep",
        &[
            &[
                "sweep",
                "--out",
                "sw",
                "--method",
                "hinf,sd,adam",
                "--eps0",
                "5,10",
                "--layers",
                "5,7",
                "--trials",
                "3",
                "--max-epochs",
                "300",
                "--threads",
                "2",
            ],
            &["sweep", "--out", "sw", "--replot"],
            &[
                "sweep",
                "--out",
                "sw2",
                "--gain-order",
                "paper,covariance-first",
                "--extension",
                "none,trust-region",
                "--trials",
                "2",
                "--max-epochs",
                "100",
                "--threads",
                "2",
                "--json",
            ],
        ],
    ));
}

#[test]
fn fit_and_eval_on_shipped_data() {
    check(case(
        "fit_eval",
        &[
            &[
                "fit",
                "--data",
                "data/iris.csv",
                "--target",
                "species",
                "--standardize",
                "--max-epochs",
                "40",
                "--save",
                "iris.model",
            ],
            &["eval", "--model", "iris.model", "--data", "data/iris.csv"],
            &[
                "predict",
                "--model",
                "iris.model",
                "--data",
                "data/iris.csv",
                "--out",
                "preds.csv",
            ],
            &[
                "fit",
                "--data",
                "data/iris.csv",
                "--init",
                "iris.model",
                "--tol",
                "0.005",
                "--max-epochs",
                "5",
                "--save",
                "iris2.model",
            ],
            &[
                "eval",
                "--model",
                "iris.model",
                "--data",
                "data/iris.csv",
                "--json",
            ],
            &["fit", "--data", "data/sine.csv", "--target", "y"],
            &[
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
            ],
            &[
                "fit",
                "--data",
                "data/parity4.csv",
                "--target",
                "parity",
                "--method",
                "sd",
                "--layers",
                "7",
                "--precision",
                "f32",
                "--split",
                "1",
                "--max-epochs",
                "30",
                "--save",
                "parity.model",
            ],
            &[
                "eval",
                "--model",
                "parity.model",
                "--data",
                "data/parity4.csv",
            ],
        ],
    ));
}

#[test]
fn compare_small() {
    check(case(
        "compare",
        &[&[
            "compare",
            "--data-dir",
            "data",
            "--out",
            "cmp",
            "--layers",
            "5,7",
            "--seeds",
            "2",
            "--max-epochs",
            "15",
            "--sets",
            "iris,sine,parity4",
        ]],
    ));
}

#[test]
fn gen_sets() {
    check(case("gen", &[&["gen", "--out", "g"]]));
}

/// Every usage error the other tests check, with its exact message.
#[test]
fn usage_errors() {
    let t = ["train", "--method", "hinf", "--trials", "2", "--seed", "1"];
    let mut train_bad: Vec<Vec<&'static str>> = Vec::new();
    for extra in [
        &["--layers", "6"][..],
        &["--layers", "3"],
        &["--layers", "x"],
        &["--layers", "99999999999"],
        &["--layers", "5", "--gamma", "1"],
        &["--layers", "5", "--gamma", "NaN"],
        &["--layers", "5", "--eps0", "0"],
        &["--layers", "5", "--eps0", "-1"],
        &["--layers", "5", "--tol", "0"],
        &["--layers", "5", "--max-epochs", "0"],
        &["--layers", "5", "--threads", "0"],
        &["--layers", "5", "--criterion", "rms"],
        &["--layers", "5", "--order", "random"],
        &["--layers", "5", "--inputs", "ternary"],
        &["--layers", "5", "--precision", "f16"],
        &["--layers", "5", "--nonsense"],
        &["--layers", "5", "--init-range", "-1"],
        &["--layers", "5", "--adam-beta1", "1"],
        &["--layers", "5", "--tr-delta", "0"],
        &["--layers", "5", "--forgetting", "1.5"],
        &["--layers", "5", "--process-noise", "-1"],
        &[
            "--layers",
            "5",
            "--covariance",
            "info-window",
            "--process-noise",
            "1e-3",
        ],
        &["--layers", "5", "--trials", "0"],
    ] {
        let mut a = t.to_vec();
        a.extend_from_slice(extra);
        train_bad.push(a);
    }
    let others: &[&[&'static str]] = &[
        &["train", "--method", "sd", "--layers", "5", "--gamma", "0.5"],
        &["train", "--method", "adam", "--layers", "5", "--eps0", "-1"],
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-beta1",
            "1",
        ],
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-lr",
            "0",
        ],
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-eps",
            "-1",
        ],
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "5",
            "--adam-mode",
            "x",
        ],
        &["train", "--method", "newton", "--layers", "5"],
        &[
            "train", "--method", "hinf", "--layers", "5", "--trials", "0",
        ],
        &["train", "--layers", "5"],
        &["train", "--method", "hinf"],
        &["train"],
        &[
            "train",
            "--method",
            "adam",
            "--layers",
            "100000001",
            "--trials",
            "2",
            "--threads",
            "2",
            "--max-epochs",
            "1",
        ],
        &[],
        &["fly"],
        &["reproduce", "--trials", "0"],
        &["reproduce", "--depths", "5,6"],
        &["reproduce", "--sd-layers", "4"],
        &["reproduce", "--gamma", "0.5"],
        &["reproduce", "--hinf-max-epochs", "0"],
        &["reproduce", "--shard", "4/3"],
        &["reproduce", "--shard", "1/3", "--resume"],
        &["sweep", "--out", "x", "--shard", "0/2"],
        &["compare", "--out", "x", "--shard", "2"],
        &["merge", "--out", "x"],
        &["merge", "--out", "x", "no-such-shard"],
        &["sweep", "--out", "x", "--eps0", "5,-1"],
        &["sweep", "--out", "x", "--extension", "bogus"],
        &["sweep", "--out", "x", "--trials", "0"],
        &[
            "sweep",
            "--method",
            "adam",
            "--layers",
            "5,100000001",
            "--trials",
            "2",
            "--threads",
            "2",
            "--max-epochs",
            "1",
            "--out",
            "x",
        ],
        &["fit", "--data", "data/iris.csv", "--target", "kind"],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--width",
            "0",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--slope",
            "-1",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--tol",
            "0",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--max-epochs",
            "0",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--eps0",
            "0",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--gamma",
            "1",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--adam-lr",
            "-1",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--layers",
            "4",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--split",
            "1.5",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--width",
            "100000",
        ],
        &[
            "fit",
            "--data",
            "no/such.csv",
            "--target",
            "y",
            "--layers",
            "99999999999",
        ],
        &[
            "fit",
            "--data",
            "data/iris.csv",
            "--target",
            "species",
            "--method",
            "adam",
            "--layers",
            "100000001",
            "--max-epochs",
            "1",
        ],
        &[
            "eval",
            "--model",
            "data/iris.csv",
            "--data",
            "data/iris.csv",
        ],
        &["eval", "--model", "data/iris.csv"],
        &[
            "predict",
            "--model",
            "data/iris.csv",
            "--data",
            "data/iris.csv",
        ],
        &["eval", "--model", "no/such.model"],
        &["compare", "--seeds", "0", "--out", "no/such/dir"],
        &[
            "compare",
            "--sets",
            "iris",
            "--methods",
            "adam",
            "--layers",
            "5,100000001",
            "--seeds",
            "1",
            "--max-epochs",
            "1",
            "--out",
            "cmp",
            "--data-dir",
            "data",
        ],
    ];
    let mut all: Vec<&[&'static str]> = train_bad.iter().map(|v| v.as_slice()).collect();
    all.extend_from_slice(others);
    check(case("usage_errors", &all));
}
