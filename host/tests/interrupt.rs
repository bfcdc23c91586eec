//! Ctrl-C (a real SIGINT) in the middle of `reproduce`, `sweep` and
//! `train`: exit status 130, one line saying what was kept, and a folder
//! whose report describes exactly the experiment files in it; then
//! `reproduce --resume` finishes the run as if it had never stopped.

mod common;
use common::{hinf, scratch, text};

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Runs `args`, sends SIGINT once `ready` holds (or after 20 s), and
/// returns what the run printed and its exit status.
fn interrupt_when(args: &[&str], ready: impl Fn() -> bool) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_hinf"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hinf");
    let t0 = Instant::now();
    while !ready() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -INT {pid}");
    child.wait_with_output().expect("wait for hinf")
}

fn stem(e: &Value) -> String {
    let tr = if e["settings"]["variant"]["extension"] == "trust-region" {
        "_tr"
    } else {
        ""
    };
    format!("{}{tr}_L{}", e["method"].as_str().unwrap(), e["layers"])
}

/// The stems of the files in `dir` ending in `suffix`.
fn stems(dir: &Path, suffix: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(suffix)
                .filter(|s| !s.contains('.') && *s != "summary")
                .map(str::to_string)
        })
        .collect()
}

/// The folder's report and summary describe exactly its experiment
/// files (or are absent with none); returns the experiments' stems.
fn assert_truthful(d: &Path, trials: u64) -> BTreeSet<String> {
    let jsons = stems(d, ".json");
    let Ok(summary) = std::fs::read_to_string(d.join("summary.json")) else {
        assert!(!d.join("report.md").exists());
        assert!(
            jsons.is_empty(),
            "experiment files without a report: {jsons:?}"
        );
        return jsons;
    };
    let meta: Value = serde_json::from_str(&summary).unwrap();
    let listed: Vec<&Value> = meta["experiments"].as_array().unwrap().iter().collect();
    let described: BTreeSet<String> = listed.iter().map(|e| stem(e)).collect();
    assert_eq!(
        described, jsons,
        "summary.json against the <stem>.json files"
    );
    assert_eq!(stems(&d.join("figures"), ".svg"), jsons);
    assert_eq!(stems(d, "_trials.csv"), jsons);
    for e in &listed {
        let file = d.join(format!("{}.json", stem(e)));
        let own: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(&&own, e, "{} is the run's", stem(e));
        assert_eq!(e["trials"], trials, "{}: this run's trials", stem(e));
    }
    let report = std::fs::read_to_string(d.join("report.md")).unwrap();
    let figures: BTreeSet<String> = report
        .split("](figures/")
        .skip(1)
        .map(|s| s[..s.find(".svg").unwrap()].to_string())
        .collect();
    assert_eq!(figures, jsons, "report.md's figures");
    let done = listed.len();
    let planned = meta["planned"].as_u64().unwrap() as usize;
    assert_eq!(
        report.contains("**Incomplete**"),
        done < planned,
        "{done} of {planned}"
    );
    let rows = std::fs::read_to_string(d.join("trials.csv")).unwrap();
    assert_eq!(rows.lines().count() as u64, 1 + done as u64 * trials);
    jsons
}

/// The trials CSV without its `seconds` column.
fn untimed(csv: &str) -> String {
    csv.lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            c.remove(8);
            c.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn interrupted_reproduce_keeps_a_truthful_folder_and_resumes() {
    let d = scratch("reproduce");
    let out = d.to_str().unwrap();
    // An earlier run's files, with other settings (4 trials).
    let earlier = [
        "reproduce",
        "--quick",
        "--trials",
        "4",
        "--no-sd",
        "--threads",
        "2",
    ];
    let o = hinf(&[&earlier[..], &["--out", out]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_truthful(&d, 4);
    let run = ["reproduce", "--quick", "--out", out, "--threads", "1"];
    // Stop once the first experiment is written (the earlier report is
    // removed at the start).
    let o = interrupt_when(&run, || {
        std::fs::read_to_string(d.join("summary.json")).is_ok_and(|s| s.contains("\"trials\": 20"))
    });
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    let kept = assert_truthful(&d, 20);
    let line = err.lines().last().unwrap();
    let want = format!(
        "interrupted: kept the {} of 7 experiments that finished in {out} (report.md \
         describes them); rerun with --resume to run the rest",
        kept.len()
    );
    assert_eq!(line, want, "{err}");
    assert!(err.contains("note: moved "), "{err}");
    // The earlier run is kept aside, not lost.
    let previous = std::fs::read_to_string(d.join("previous/summary.json")).unwrap();
    assert!(previous.contains("\"trials\": 4"), "{previous}");
    assert!((1..7).contains(&kept.len()), "{err}");

    // --resume runs the rest; the result is that of a run never stopped.
    let o = hinf(&[&run[..], &["--resume"]].concat());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("resuming: {} of 7 experiments", kept.len())),
        "{err}"
    );
    let all = assert_truthful(&d, 20);
    assert_eq!(all.len(), 7);
    let fresh = scratch("fresh");
    let o = hinf(&[
        "reproduce",
        "--quick",
        "--out",
        fresh.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let csv = |dir: &Path| untimed(&std::fs::read_to_string(dir.join("trials.csv")).unwrap());
    assert_eq!(csv(&d), csv(&fresh));
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    assert_eq!(meta["resumed"], kept.len());
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&fresh);
}

#[test]
fn resume_keeps_only_experiments_with_the_same_settings() {
    let d = scratch("settings");
    let out = d.to_str().unwrap();
    let base = [
        "reproduce",
        "--quick",
        "--depths",
        "5",
        "--no-sd",
        "--out",
        out,
    ];
    assert_eq!(
        hinf(&[&base[..], &["--trials", "3"]].concat())
            .status
            .code(),
        Some(0)
    );
    let o = hinf(&[&base[..], &["--trials", "2", "--resume"]].concat());
    assert!(text(&o.stderr).contains("resuming: 0 of 2 experiments"));
    let o = hinf(&[&base[..], &["--trials", "2", "--resume"]].concat());
    assert!(text(&o.stderr).contains("resuming: 2 of 2 experiments"));
    assert_truthful(&d, 2);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn interrupted_sweep_and_train_say_what_they_kept() {
    let d = scratch("sweep");
    let out = d.to_str().unwrap();
    let sweep = [
        "sweep",
        "--out",
        out,
        "--method",
        "adam",
        "--layers",
        "5,21,41",
        "--trials",
        "4",
        "--threads",
        "1",
        "--max-epochs",
        "3000",
    ];
    let o = interrupt_when(&sweep, || d.join("sweep.json").exists());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("sweep.json")).unwrap()).unwrap();
    let rows = meta["rows"].as_array().unwrap().len();
    let want = format!(
        "interrupted: kept the {rows} of 3 configurations that finished in {out} \
         (sweep.md describes them)"
    );
    assert_eq!(err.lines().last(), Some(want.as_str()), "{err}");

    let t = scratch("train");
    let train = [
        "train",
        "--method",
        "hinf",
        "--layers",
        "201",
        "--trials",
        "200",
        "--threads",
        "1",
        "--out",
        t.to_str().unwrap(),
    ];
    let t0 = Instant::now();
    let o = interrupt_when(&train, || t0.elapsed() > Duration::from_millis(300));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    let want = "interrupted before every trial finished: nothing written";
    assert_eq!(err.lines().last(), Some(want), "{err}");
    assert_eq!(std::fs::read_dir(&t).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&t);
}
