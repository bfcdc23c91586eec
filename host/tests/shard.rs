//! `--shard K/N` and `hinf merge`: three shards run as separate `hinf`
//! processes and merged give exactly the unsharded run's files, timings
//! aside; a missing, duplicated or mismatched shard is refused.
//!
//! Timings, the only fields allowed to differ (see docs/usage.md):
//! in JSON the keys `seconds`, `mean_trial_seconds` and `threads`; in CSV
//! the `seconds` column; in Markdown a number followed by " s" and the
//! table columns `s`, `s/trial`, `wall s`, `mean s/trial`, `mean s/epoch`
//! and `time (s)`. Everything else, figures included, must be equal byte
//! for byte.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{fresh, hinf_in, repo, text};

/// Every file under `dir`, by its path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// JSON with its timing fields zeroed.
fn mask_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if ["seconds", "mean_trial_seconds", "threads"].contains(&k.as_str()) {
                    *x = 0.into();
                } else {
                    mask_json(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// CSV with its `seconds` column emptied (it comes before any quoted field).
fn mask_csv(s: &str) -> String {
    let mut lines = s.lines();
    let header = lines.next().unwrap_or("");
    let col = header.split(',').position(|c| c == "seconds");
    let mut out = vec![header.to_string()];
    for l in lines {
        let mut cells: Vec<&str> = l.split(',').collect();
        if let Some(c) = col.filter(|&c| c < cells.len()) {
            cells[c] = "";
        }
        out.push(cells.join(","));
    }
    out.join("\n")
}

/// A line with every number followed by " s" (a wall time) masked.
fn mask_seconds(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        if i > start {
            let rest = &line[i..];
            let is_time =
                rest.starts_with(" s") && !rest[2..].starts_with(|c: char| c.is_alphanumeric());
            out += if is_time { "#" } else { &line[start..i] };
        }
        if i < b.len() {
            let c = line[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Markdown with its timings masked: numbers in seconds, and the cells
/// of the timing columns of its tables.
fn mask_md(s: &str) -> String {
    const TIMING: [&str; 6] = [
        "s",
        "s/trial",
        "wall s",
        "mean s/trial",
        "mean s/epoch",
        "time (s)",
    ];
    let mut timing_cols: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for line in s.lines() {
        if !line.starts_with('|') {
            timing_cols.clear();
            out.push(mask_seconds(line));
            continue;
        }
        let mut cells: Vec<String> = line.split('|').map(str::to_string).collect();
        if timing_cols.is_empty() && !line.starts_with("|-") && !line.starts_with("|---") {
            let heads: Vec<usize> = (0..cells.len())
                .filter(|&i| TIMING.contains(&cells[i].trim()))
                .collect();
            if !heads.is_empty() {
                timing_cols = heads;
                out.push(line.to_string());
                continue;
            }
        }
        for &c in &timing_cols {
            if c < cells.len() && !cells[c].trim_start().starts_with('-') {
                cells[c] = "#".into();
            }
        }
        out.push(cells.join("|"));
    }
    out.join("\n")
}

/// A file's content with its timings masked, by its kind.
fn masked(path: &Path, bytes: &[u8]) -> Vec<u8> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let s = || String::from_utf8(bytes.to_vec()).unwrap();
    match ext {
        "json" => {
            let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            mask_json(&mut v);
            serde_json::to_vec_pretty(&v).unwrap()
        }
        "csv" => mask_csv(&s()).into_bytes(),
        "md" => mask_md(&s()).into_bytes(),
        _ => bytes.to_vec(),
    }
}

/// Asserts that `a` and `b` hold the same files, equal but for timings.
fn assert_same_but_timings(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &BTreeMap<PathBuf, Vec<u8>>| f.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb), "{} vs {}", a.display(), b.display());
    assert!(fa.len() >= 3, "too few files: {:?}", names(&fa));
    for (name, x) in &fa {
        let y = &fb[name];
        let (mx, my) = (masked(name, x), masked(name, y));
        assert!(
            mx == my,
            "{} differs beyond timings:\n--- unsharded\n{}\n--- merged\n{}",
            name.display(),
            String::from_utf8_lossy(&mx),
            String::from_utf8_lossy(&my)
        );
    }
}

/// Runs `args` (with `--out res`) unsharded in `root/whole`, and as 3
/// shards (`--out sK --shard K/3`) merged with `--out res` in
/// `root/split`; returns the two `res` directories.
fn whole_and_merged(root: &Path, args: &[&str]) -> (PathBuf, PathBuf) {
    let (whole, split) = (root.join("whole"), root.join("split"));
    fs::create_dir_all(&whole).unwrap();
    fs::create_dir_all(&split).unwrap();
    let with = |extra: &[&str]| -> Vec<String> {
        args.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |dir: &Path, a: &[String]| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = hinf_in(dir, &a);
        assert!(o.status.success(), "{a:?}: {}", text(&o.stderr));
    };
    run(&whole, &with(&["--out", "res"]));
    for k in 1..=3 {
        let (out, shard) = (format!("s{k}"), format!("{k}/3"));
        run(&split, &with(&["--out", &out, "--shard", &shard]));
        assert!(split.join(&out).join("shard.json").is_file());
    }
    assert_balanced(&split);
    // Any order of the shards.
    let merge = ["merge", "--out", "res", "s3", "s1", "s2"].map(String::from);
    run(&split, &merge);
    (whole.join("res"), split.join("res"))
}

/// The trials (or compare runs) of shards s1, s2, s3 in `dir` cover the
/// grid once, each shard ⌊G/3⌋ or ⌈G/3⌉ of its G cells, round robin.
fn assert_balanced(dir: &Path) {
    let mut cells: Vec<(usize, usize)> = Vec::new(); // (global index, shard)
    for k in 1..=3 {
        let p = dir.join(format!("s{k}/shard.json"));
        let v: serde_json::Value = serde_json::from_slice(&fs::read(p).unwrap()).unwrap();
        assert_eq!(v["shard"], serde_json::json!({"k": k, "n": 3}));
        let mut offset = 0;
        for e in v["experiments"].as_array().unwrap() {
            for t in e["trials"].as_array().unwrap() {
                cells.push((offset + t["trial"].as_u64().unwrap() as usize, k));
            }
            offset += e["spec"]["trials"].as_u64().unwrap() as usize;
        }
        for r in v["runs"].as_array().unwrap() {
            cells.push((r["index"].as_u64().unwrap() as usize, k));
        }
    }
    cells.sort_unstable();
    let g = cells.len();
    assert!(g >= 6, "{cells:?}");
    for (i, &(cell, k)) in cells.iter().enumerate() {
        assert_eq!((cell, k), (i, i % 3 + 1), "{cells:?}");
    }
}

const SWEEP: [&str; 12] = [
    "sweep",
    "--layers",
    "5",
    "--eps0",
    "5,10",
    "--trials",
    "4",
    "--max-epochs",
    "30",
    "--threads",
    "1",
    "--json",
];

#[test]
fn sweep_in_three_shards_merges_to_the_unsharded_sweep() {
    let root = fresh("shard-sweep");
    let (whole, merged) = whole_and_merged(&root, &SWEEP[..11]);
    assert_same_but_timings(&whole, &merged);
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn a_shard_with_no_trials_still_merges() {
    // 2 configurations of 1 trial: shard 3/3 runs nothing.
    let root = fresh("shard-empty");
    let mut a = SWEEP[..11].to_vec();
    a[6] = "1"; // --trials
    let (whole, split) = (root.join("whole"), root.join("split"));
    for d in [&whole, &split] {
        fs::create_dir_all(d).unwrap();
    }
    let ok = |dir: &Path, extra: &[&str]| {
        let args: Vec<&str> = a.iter().chain(extra).copied().collect();
        let o = hinf_in(dir, &args);
        assert!(o.status.success(), "{}", text(&o.stderr));
    };
    ok(&whole, &["--out", "res"]);
    for k in ["1", "2", "3"] {
        ok(&split, &["--out", k, "--shard", &format!("{k}/3")]);
    }
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(split.join("3/shard.json")).unwrap()).unwrap();
    let trials: Vec<usize> = v["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["trials"].as_array().unwrap().len())
        .collect();
    assert_eq!(trials, [0, 0]);
    let o = hinf_in(&split, &["merge", "--out", "res", "1", "2", "3"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_same_but_timings(&whole.join("res"), &split.join("res"));
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn reproduce_in_three_shards_merges_to_the_unsharded_run() {
    let root = fresh("shard-reproduce");
    let args = [
        "reproduce",
        "--quick",
        "--depths",
        "5",
        "--no-sd",
        "--trials",
        "5",
        "--max-epochs",
        "40",
        "--threads",
        "1",
    ];
    let (whole, merged) = whole_and_merged(&root, &args);
    assert!(whole.join("figures/hinf_L5.svg").is_file());
    assert_same_but_timings(&whole, &merged);
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn compare_in_three_shards_merges_to_the_unsharded_comparison() {
    let root = fresh("shard-compare");
    let data = repo().join("data");
    let args = [
        "compare",
        "--data-dir",
        data.to_str().unwrap(),
        "--sets",
        "iris",
        "--layers",
        "5",
        "--seeds",
        "4",
        "--max-epochs",
        "5",
        "--methods",
        "hinf,adam",
    ];
    let (whole, merged) = whole_and_merged(&root, &args);
    assert!(whole.join("results.json").is_file());
    assert_same_but_timings(&whole, &merged);
    let _ = fs::remove_dir_all(&root);
}

/// Three sweep shards in `root` (s1, s2, s3), and s1b: shard 1 again
/// with another seed.
fn sweep_shards(root: &Path) {
    for (out, shard, seed) in [
        ("s1", "1/3", "1"),
        ("s2", "2/3", "1"),
        ("s3", "3/3", "1"),
        ("s1b", "1/3", "2"),
    ] {
        let mut a = SWEEP[..11].to_vec();
        a.extend(["--out", out, "--shard", shard, "--seed", seed]);
        a[8] = "5"; // --max-epochs: small, these trials are not compared
        let o = hinf_in(root, &a);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
}

/// Asserts `hinf merge --out res <shards>` in `root` exits 2 with one line
/// containing `names`, and writes nothing.
fn refused(root: &Path, shards: &[&str], names: &str) {
    let mut a = vec!["merge", "--out", "res"];
    a.extend_from_slice(shards);
    let o = hinf_in(root, &a);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{shards:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains(names), "{err}");
    assert!(!root.join("res").exists(), "{shards:?} wrote into --out");
    assert!(o.stdout.is_empty());
}

#[test]
fn a_missing_duplicated_or_mismatched_shard_is_refused() {
    let root = fresh("shard-refused");
    sweep_shards(&root);
    refused(&root, &["s1", "s3"], "shard 2/3 is missing");
    refused(&root, &["s1", "s2", "s3", "s1"], "s1: shard 1/3 again");
    refused(&root, &["s1", "s2", "s2", "s3"], "s2: shard 2/3 again");
    refused(
        &root,
        &["s1b", "s2", "s3"],
        "s2: shard 2/3 has other settings",
    );
    refused(&root, &["s1", "s2", "nowhere"], "nowhere: no shard.json");
    // A shard of another hinf version.
    let p = root.join("s2/shard.json");
    let json = fs::read_to_string(&p).unwrap();
    let version = format!("\"hinf_version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(json.contains(&version));
    fs::write(&p, json.replace(&version, "\"hinf_version\": \"0.0.1\"")).unwrap();
    refused(
        &root,
        &["s1", "s2", "s3"],
        "s2: shard 2/3 was written by hinf 0.0.1",
    );
    // A corrupted one.
    fs::write(&p, "{").unwrap();
    refused(&root, &["s1", "s2", "s3"], "s2");
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn bad_shard_values_are_usage_errors() {
    let root = fresh("shard-bad");
    for bad in ["0/3", "4/3", "3", "x/y", "1/0"] {
        let mut a = SWEEP[..11].to_vec();
        a.extend(["--out", "s", "--shard", bad]);
        let o = hinf_in(&root, &a);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--shard") && err.contains("K/N"), "{err}");
    }
    assert!(!root.join("s").exists());
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn the_masks_hide_timings_only() {
    let md = |mean: &str, s: &str| {
        format!("wall time {s} s, 20 seeds.\n| mean | s |\n|---|---|\n| {mean} | {s} |\n")
    };
    assert_eq!(mask_md(&md("1.5", "0.2")), mask_md(&md("1.5", "0.7")));
    assert_ne!(mask_md(&md("1.5", "0.2")), mask_md(&md("1.6", "0.2")));
    assert_eq!(mask_seconds("(3 s) 20 seeds 4 s."), "(# s) 20 seeds # s.");
    let csv = |e: &str, s: &str| format!("epochs,seconds,failure\n{e},{s},\"a,b\"\n");
    assert_eq!(mask_csv(&csv("3", "0.1")), mask_csv(&csv("3", "0.2")));
    assert_ne!(mask_csv(&csv("3", "0.1")), mask_csv(&csv("4", "0.1")));
    let mut a =
        serde_json::json!({"seconds": 1.0, "x": [{"mean_trial_seconds": 2.0, "epochs": 3}]});
    let mut b =
        serde_json::json!({"seconds": 5.0, "x": [{"mean_trial_seconds": 6.0, "epochs": 3}]});
    mask_json(&mut a);
    mask_json(&mut b);
    assert_eq!(a, b);
    b["x"][0]["epochs"] = 4.into();
    assert_ne!(a, b);
}
