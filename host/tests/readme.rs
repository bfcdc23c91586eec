//! The README's quick start runs as shown: every `hinf …` line of its first
//! shell block, in order, in a fresh directory holding a copy of `data/`,
//! exits 0 and writes the files it names.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The lines of the first ```sh block after `## Quick start`, comments cut.
fn quick_start() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Quick start"))
        .expect("README has a Quick start section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("Quick start has a sh block");
    block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The values of `--out` and `--save` in `args`: what the command writes.
fn outputs(args: &[&str]) -> Vec<String> {
    args.windows(2)
        .filter(|w| w[0] == "--out" || w[0] == "--save")
        .map(|w| w[1].to_string())
        .collect()
}

#[test]
fn the_quick_start_runs_as_shown() {
    let dir = std::env::temp_dir().join(format!("hinf-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for f in std::fs::read_dir(repo().join("data")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join("data").join(f.file_name().unwrap())).unwrap();
    }
    let lines = quick_start();
    assert!(
        lines[0].starts_with("cargo install --path host"),
        "{lines:?}"
    );
    let mut ran = 0;
    for line in &lines[1..] {
        let args: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            args[0], "hinf",
            "every other line is a hinf command: {line}"
        );
        let o = Command::new(env!("CARGO_BIN_EXE_hinf"))
            .args(&args[1..])
            .current_dir(&dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{line}: {err}");
        for out in outputs(&args) {
            assert!(dir.join(&out).exists(), "{line} did not write {out}");
        }
        ran += 1;
    }
    assert!(ran >= 3, "the quick start shows at least three commands");
    let _ = std::fs::remove_dir_all(&dir);
}
